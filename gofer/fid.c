// SPDX-License-Identifier: Apache-2.0
/*
 * Gofer fids: a per-connection hash of fids, each backed by an O_PATH fd, and the only ways
 * the gofer opens host files (one component beneath a directory fd, never following links).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gofer/gofer_impl.h"

static unsigned fid_hash(uint32_t id)
{
	return (id * 2654435761U) % GOFER_FID_BUCKETS;
}

struct gofer_fid *gofer_fid_lookup(struct gofer_conn *c, uint32_t id)
{
	struct gofer_fid *f;

	for (f = c->fids[fid_hash(id)]; f; f = f->next)
		if (f->id == id)
			return f;
	return NULL;
}

int gofer_fid_new(struct gofer_conn *c, uint32_t id, struct gofer_fid **out)
{
	struct gofer_fid *f;
	unsigned h = fid_hash(id);

	if (id == P9_NOFID || gofer_fid_lookup(c, id))
		return -EBADF;
	if (c->nfids >= GOFER_MAX_FIDS)
		return -EMFILE;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->id = id;
	f->fd = -1;
	f->parent_fd = -1;
	f->open_fd = -1;
	f->uid = P9_NONUNAME;
	f->next = c->fids[h];
	c->fids[h] = f;
	c->nfids++;
	*out = f;
	return 0;
}

static void fid_free(struct gofer_fid *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->parent_fd >= 0)
		close(f->parent_fd);
	if (f->open_fd >= 0)
		close(f->open_fd);
	gofer_xattr_free(f->xattr);
	free(f->name);
	free(f);
}

int gofer_fid_clunk(struct gofer_conn *c, uint32_t id)
{
	struct gofer_fid **pp, *f;

	for (pp = &c->fids[fid_hash(id)]; (f = *pp); pp = &f->next) {
		if (f->id != id)
			continue;
		*pp = f->next;
		c->nfids--;
		fid_free(f);
		return 0;
	}
	return -EBADF;
}

void gofer_fid_clunk_all(struct gofer_conn *c)
{
	for (unsigned i = 0; i < GOFER_FID_BUCKETS; i++) {
		while (c->fids[i]) {
			struct gofer_fid *f = c->fids[i];

			c->fids[i] = f->next;
			fid_free(f);
		}
	}
	c->nfids = 0;
}

int gofer_fid_set(struct gofer_fid *f, int fd, int parent_fd, char *name)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int err = -errno;

		close(fd);
		if (parent_fd >= 0)
			close(parent_fd);
		free(name);
		return err;
	}
	if (f->fd >= 0)
		close(f->fd);
	if (f->parent_fd >= 0)
		close(f->parent_fd);
	free(f->name);
	f->fd = fd;
	f->parent_fd = parent_fd;
	f->name = name;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->mode = st.st_mode;
	return 0;
}

int gofer_open_beneath(int dirfd, const char *name, int flags, mode_t mode)
{
	static bool no_openat2;
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (!no_openat2) {
		fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS)
			return -errno;
		no_openat2 = true;
	}
	/* Old kernel: the name is one validated component, so O_NOFOLLOW is enough. */
	fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	return fd < 0 ? -errno : fd;
}

int gofer_fid_reopen(const struct gofer_fid *f, int flags)
{
	struct stat st;
	int fd;

	if (S_ISDIR(f->mode)) {
		/* "." of the directory's own fd cannot be a swapped symlink. */
		if ((flags & O_ACCMODE) != O_RDONLY)
			return -EISDIR;
		fd = openat(f->fd, ".", flags | O_DIRECTORY | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	if (f->parent_fd < 0 || !f->name)
		return -EINVAL;
	if (S_ISLNK(f->mode))
		return -ELOOP;
	fd = gofer_open_beneath(f->parent_fd, f->name, flags, 0);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || st.st_dev != f->dev || st.st_ino != f->ino) {
		/* The name was replaced after the walk: refuse rather than open another file. */
		close(fd);
		return -ESTALE;
	}
	return fd;
}

void gofer_fid_renamed(struct gofer_conn *c, int odir, const char *oname, int ndir,
		       const char *nname)
{
	struct stat ost, nst, pst;

	if (fstat(odir, &ost) < 0 || fstat(ndir, &nst) < 0)
		return;
	for (unsigned i = 0; i < GOFER_FID_BUCKETS; i++) {
		for (struct gofer_fid *f = c->fids[i]; f; f = f->next) {
			if (!f->name || strcmp(f->name, oname) != 0)
				continue;
			if (fstat(f->parent_fd, &pst) < 0 || pst.st_dev != ost.st_dev ||
			    pst.st_ino != ost.st_ino)
				continue;
			char *name = strdup(nname);
			int pfd = fcntl(ndir, F_DUPFD_CLOEXEC, 0);

			if (!name || pfd < 0) {
				free(name);
				if (pfd >= 0)
					close(pfd);
				continue;	/* the fid goes stale: later reopens get ESTALE */
			}
			close(f->parent_fd);
			free(f->name);
			f->parent_fd = pfd;
			f->name = name;
		}
	}
}

int gofer_name(const struct p9_str *s, char *buf, size_t cap)
{
	if (!p9_name_valid(s))
		return -EINVAL;
	return p9_str_copy(s, buf, cap);
}

void gofer_stat_to_qid(const struct stat *st, struct p9_qid *q)
{
	q->type = S_ISDIR(st->st_mode) ? P9_QTDIR : S_ISLNK(st->st_mode) ? P9_QTSYMLINK
								      : P9_QTFILE;
	q->version = 0;
	q->path = st->st_ino;
}
