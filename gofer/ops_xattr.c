// SPDX-License-Identifier: Apache-2.0
/*
 * Extended attributes over 9P2000.L. Txattrwalk makes a new fid holding the value of one
 * attribute (or, for the empty name, the NUL-separated list), read with Tread; Txattrcreate
 * turns a fid into one that collects a value through Twrite and sets it at Tclunk
 * (P9_XATTR_REMOVE: removes the attribute instead).
 *
 * The host calls are f{get,list,set,remove}xattr, which do not work on O_PATH fds: regular
 * files and directories are reopened O_RDONLY|O_NONBLOCK through gofer_fid_reopen() (the
 * checked reopen: parent fd + name with O_NOFOLLOW, compared to the walked dev/ino; "." for
 * directories). Never /proc/self/fd. Symlinks, devices, FIFOs and sockets are not opened
 * (that would reach a host driver or block): they have no attributes here (ENODATA, empty
 * list, EOPNOTSUPP to set). A read-only server refuses Txattrcreate (server.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "gofer/gofer_impl.h"

#define XATTR_NAME_MAX_ 255
#define XATTR_SIZE_MAX_ 65536

/*
 * Values held by xattr fids, over every connection (the loop is single-threaded). Fids are
 * cheap and up to GOFER_MAX_FIDS per connection, so a client could otherwise pin gigabytes
 * in open Txattrwalk fids: past the cap, new ones get ENOMEM.
 */
#define XATTR_HELD_MAX (64u << 20)
static size_t xattr_held;

struct gofer_xattr {
	bool create;  /* Txattrcreate: collecting a value to set */
	char name[XATTR_NAME_MAX_ + 1];
	uint32_t flags;
	size_t size;  /* the value's size (create: announced) */
	size_t len;   /* create: bytes written so far */
	char *buf;
};

void gofer_xattr_free(struct gofer_xattr *x)
{
	if (x) {
		xattr_held -= x->size;
		free(x->buf);
		free(x);
	}
}

/* Account @size bytes about to be held by an xattr fid; -ENOMEM past the cap. */
static int xattr_hold(size_t size)
{
	if (size > XATTR_HELD_MAX - xattr_held)
		return -ENOMEM;
	xattr_held += size;
	return 0;
}

/* An xattr name from the wire: 1..255 bytes (decoded strings hold no NUL). */
static int xattr_name(const struct p9_str *s, char *buf, bool empty_ok)
{
	if (s->len == 0 && !empty_ok)
		return -EINVAL;
	if (s->len > XATTR_NAME_MAX_)
		return -ERANGE;
	return p9_str_copy(s, buf, XATTR_NAME_MAX_ + 1);
}

/* An fd that f*xattr accepts for @f's file, or -errno; see the header comment. */
static int xattr_fd(const struct gofer_fid *f)
{
	if (!S_ISREG(f->mode) && !S_ISDIR(f->mode))
		return -EOPNOTSUPP;
	return gofer_fid_reopen(f, O_RDONLY | O_NONBLOCK);
}

/* The value (or list when @name is empty) into a malloc'd buffer; its size or -errno. */
static ssize_t host_get(int fd, const char *name, char **out)
{
	for (int tries = 0; tries < 4; tries++) {
		ssize_t n = *name ? fgetxattr(fd, name, NULL, 0) : flistxattr(fd, NULL, 0);
		char *buf;

		if (n < 0)
			return -errno;
		buf = malloc(n ? (size_t)n : 1);
		if (!buf)
			return -ENOMEM;
		ssize_t m = *name ? fgetxattr(fd, name, buf, (size_t)n) : flistxattr(fd, buf, (size_t)n);
		if (m >= 0) {
			*out = buf;
			return m;
		}
		free(buf);
		if (errno != ERANGE)
			return -errno;
		/* It grew between the two calls: ask again. */
	}
	return -ERANGE;
}

int gofer_xattrwalk(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_txattrwalk *t = &req->txattrwalk;
	struct gofer_fid *f = gofer_fid_lookup(c, t->fid), *nf;
	struct gofer_xattr *x;
	char *val = NULL;
	ssize_t n;
	int fd, r;

	if (!f || f->xattr)
		return -EBADF;
	if (t->newfid == t->fid)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	r = xattr_name(&t->name, x->name, true);
	if (r < 0)
		goto fail;
	fd = xattr_fd(f);
	if (fd == -EOPNOTSUPP) {
		n = x->name[0] ? -ENODATA : 0; /* no attributes on files we do not open */
	} else if (fd < 0) {
		r = fd;
		goto fail;
	} else {
		n = host_get(fd, x->name, &val);
		close(fd);
	}
	if (n < 0) {
		r = (int)n;
		goto fail;
	}
	if (n > XATTR_SIZE_MAX_) {
		r = -E2BIG;
		goto fail;
	}
	r = xattr_hold((size_t)n);
	if (r < 0)
		goto fail;
	r = gofer_fid_new(c, t->newfid, &nf);
	if (r < 0) {
		xattr_held -= (size_t)n;
		goto fail;
	}
	x->buf = val;
	x->size = (size_t)n;
	nf->xattr = x;
	rep->rxattrwalk.size = (uint64_t)n;
	return 0;
fail:
	free(val);
	free(x);
	return r;
}

int gofer_xattrcreate(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_txattrcreate *t = &req->txattrcreate;
	struct gofer_fid *f = gofer_fid_lookup(c, t->fid);
	struct gofer_xattr *x;
	int r;

	(void)rep;
	if (!f || f->xattr || f->open_fd >= 0)
		return -EBADF;
	if (t->flags & ~(P9_XATTR_REMOVE | XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if (t->attr_size > XATTR_SIZE_MAX_)
		return -E2BIG;
	if (!S_ISREG(f->mode) && !S_ISDIR(f->mode))
		return -EOPNOTSUPP;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	r = xattr_name(&t->name, x->name, false);
	if (r == 0 && t->attr_size && !(x->buf = malloc((size_t)t->attr_size)))
		r = -ENOMEM;
	if (r == 0)
		r = xattr_hold((size_t)t->attr_size);
	if (r < 0) {
		gofer_xattr_free(x); /* size 0: nothing was held */
		return r;
	}
	x->create = true;
	x->flags = t->flags;
	x->size = (size_t)t->attr_size;
	f->xattr = x;
	return 0;
}

int gofer_xattr_read(struct gofer_conn *c, struct gofer_fid *f, const struct p9_msg *req,
		     struct p9_msg *rep)
{
	const struct p9_tread *t = &req->tread;
	struct gofer_xattr *x = f->xattr;
	uint64_t count = t->count;

	if (!x)
		return 1;
	if (x->create)
		return -EBADF;
	if (count > c->msize - P9_RREAD_DATA_OFF)
		count = c->msize - P9_RREAD_DATA_OFF;
	if (t->offset >= x->size)
		count = 0;
	else if (count > x->size - t->offset)
		count = x->size - t->offset;
	rep->rread.count = (uint32_t)count;
	rep->rread.data = count ? (const uint8_t *)x->buf + t->offset : (const uint8_t *)"";
	return 0;
}

int gofer_xattr_write(struct gofer_conn *c, struct gofer_fid *f, const struct p9_msg *req,
		      struct p9_msg *rep)
{
	const struct p9_twrite *t = &req->twrite;
	struct gofer_xattr *x = f->xattr;

	(void)c;
	if (!x)
		return 1;
	if (!x->create)
		return -EBADF;
	/* The value comes in order; anything past the announced size is refused. */
	if (t->offset != x->len || t->count > x->size - x->len)
		return -EINVAL;
	if (t->count)
		memcpy(x->buf + x->len, t->data, t->count);
	x->len += t->count;
	rep->rwrite.count = t->count;
	return 0;
}

int gofer_xattr_commit(struct gofer_fid *f)
{
	struct gofer_xattr *x = f->xattr;
	int fd, r = 0;

	if (!x->create)
		return 0;
	if (!(x->flags & P9_XATTR_REMOVE) && x->len != x->size)
		return -EINVAL; /* a short value is never set */
	fd = xattr_fd(f);
	if (fd < 0)
		return fd;
	if (x->flags & P9_XATTR_REMOVE)
		r = fremovexattr(fd, x->name);
	else
		r = fsetxattr(fd, x->name, x->size ? x->buf : "", x->size,
			      (int)(x->flags & (XATTR_CREATE | XATTR_REPLACE)));
	if (r < 0)
		r = -errno;
	close(fd);
	return r;
}
