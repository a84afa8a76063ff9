// SPDX-License-Identifier: Apache-2.0
/*
 * Gofer handlers for open files: lopen, lcreate, read, write, readdir, fsync.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gofer/gofer_impl.h"

/* Open flags a client may ask for (as gVisor's fsgofer): access mode and truncate. The gofer
 * adds O_NOFOLLOW|O_CLOEXEC itself and ignores the rest (O_APPEND and friends are the
 * Sentry's business; O_DIRECT, O_NOATIME, O_ASYNC would change host behaviour). */
#define GOFER_OPEN_FLAGS (O_ACCMODE | O_TRUNC)

static uint32_t conn_iounit(const struct gofer_conn *c)
{
	return c->msize - P9_IOHDRSZ;
}

int gofer_lopen(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	struct gofer_fid *f = gofer_fid_lookup(c, req->tlopen.fid);
	int flags = (int)(req->tlopen.flags & GOFER_OPEN_FLAGS);
	struct stat st;
	int fd;

	if (!f)
		return -EBADF;
	if (f->open_fd >= 0)
		return -EBUSY;
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	/* Only regular files and directories: opening a FIFO or a device would block the loop
	 * or reach a host driver. Symlinks are read with Treadlink. */
	if (S_ISLNK(f->mode))
		return -ELOOP;
	if (!S_ISREG(f->mode) && !S_ISDIR(f->mode))
		return -ENXIO;
	if (S_ISDIR(f->mode) && flags != O_RDONLY)
		return -EISDIR;
	fd = gofer_fid_reopen(f, flags);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -EIO;
	}
	f->open_fd = fd;
	f->open_flags = flags;
	gofer_donate(c, req, fd, &st);
	gofer_stat_to_qid(&st, &rep->rlopen.qid);
	rep->rlopen.iounit = conn_iounit(c);
	return 0;
}

int gofer_lcreate(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_tlcreate *t = &req->tlcreate;
	struct gofer_fid *f = gofer_fid_lookup(c, t->fid);
	int flags = (int)(t->flags & GOFER_OPEN_FLAGS);
	char name[256], *dname;
	struct stat st;
	int fd, pfd, ret;

	if (!f)
		return -EBADF;
	if (f->open_fd >= 0)
		return -EBUSY;
	if (!S_ISDIR(f->mode))
		return -ENOTDIR;
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	ret = gofer_name(&t->name, name, sizeof(name));
	if (ret < 0)
		return ret;
	fd = gofer_open_beneath(f->fd, name, flags | O_CREAT | O_EXCL, t->mode & 07777);
	if (fd < 0)
		return fd;
	if (f->uid != P9_NONUNAME && fchown(fd, f->uid, t->gid) < 0 && errno != EPERM) {
		ret = -errno;
		goto err_unlink;
	}
	/* The fid now names the new file: parent = the directory it named, plus an O_PATH fd. */
	pfd = f->fd;
	f->fd = -1;
	dname = strdup(name);
	int path_fd = gofer_open_beneath(pfd, name, O_PATH, 0);

	if (!dname || path_fd < 0) {
		free(dname);
		if (path_fd >= 0)
			close(path_fd);
		f->fd = pfd;
		ret = -ENOMEM;
		goto err_unlink;
	}
	if (f->parent_fd >= 0)
		close(f->parent_fd);
	f->parent_fd = -1;
	ret = gofer_fid_set(f, path_fd, pfd, dname);
	if (ret < 0 || fstat(fd, &st) < 0 || st.st_ino != f->ino || st.st_dev != f->dev) {
		/* The fid is left half-built; the client will clunk it. */
		close(fd);
		return ret < 0 ? ret : -ESTALE;
	}
	f->open_fd = fd;
	f->open_flags = flags;
	gofer_donate(c, req, fd, &st);
	gofer_stat_to_qid(&st, &rep->rlcreate.qid);
	rep->rlcreate.iounit = conn_iounit(c);
	return 0;
err_unlink:
	close(fd);
	unlinkat(f->fd, name, 0);
	return ret;
}

int gofer_read(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_tread *t = &req->tread;
	struct gofer_fid *f = gofer_fid_lookup(c, t->fid);
	uint32_t count = t->count;
	ssize_t n;

	if (!f)
		return -EBADF;
	if (f->open_fd < 0 || (f->open_flags & O_ACCMODE) == O_WRONLY || S_ISDIR(f->mode))
		return -EBADF;
	if (t->offset > INT64_MAX)
		return -EINVAL;
	if (count > c->msize - P9_RREAD_DATA_OFF)
		count = c->msize - P9_RREAD_DATA_OFF;
	/* Straight into the reply: p9_encode() sees the data in place and skips the copy. */
	uint8_t *dst = c->out + P9_RREAD_DATA_OFF;

	do
		n = pread(f->open_fd, dst, count, (off_t)t->offset);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	rep->rread.count = (uint32_t)n;
	rep->rread.data = dst;
	return 0;
}

int gofer_write(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_twrite *t = &req->twrite;
	struct gofer_fid *f = gofer_fid_lookup(c, t->fid);
	ssize_t n;

	if (!f)
		return -EBADF;
	if (f->open_fd < 0 || (f->open_flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (t->offset > INT64_MAX)
		return -EINVAL;
	do
		n = pwrite(f->open_fd, t->data, t->count, (off_t)t->offset);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	rep->rwrite.count = (uint32_t)n;
	return 0;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static uint8_t dtype_to_qtype(unsigned char t)
{
	return t == DT_DIR ? P9_QTDIR : t == DT_LNK ? P9_QTSYMLINK : P9_QTFILE;
}

/*
 * Treaddir: getdents64 from the cookie (the host's d_off, used as the 9P offset); entries
 * that do not fit in @count are read again next time from the last cookie sent.
 */
int gofer_readdir(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_treaddir *t = &req->treaddir;
	struct gofer_fid *f = gofer_fid_lookup(c, t->fid);
	static uint8_t ents[65536];
	uint8_t *payload = c->out + P9_HDRSZ + 4;
	uint32_t count = t->count;
	struct p9_buf b;
	bool full = false;

	if (!f)
		return -EBADF;
	if (f->open_fd < 0 || !S_ISDIR(f->mode))
		return -EBADF;
	if (t->offset > INT64_MAX)
		return -EINVAL;
	if (count > c->msize - P9_READDIRHDRSZ)
		count = c->msize - P9_READDIRHDRSZ;
	p9_buf_init(&b, payload, count);
	if (lseek(f->open_fd, (off_t)t->offset, SEEK_SET) < 0)
		return -errno;
	while (!full) {
		long n = syscall(SYS_getdents64, f->open_fd, ents,
				 count < sizeof(ents) ? count : sizeof(ents));

		if (n < 0)
			return b.pos ? 0 : -errno;
		if (n == 0)
			break;
		for (long pos = 0; pos < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(ents + pos);
			struct p9_dirent de = {
				.qid = { .type = dtype_to_qtype(d->d_type), .path = d->d_ino },
				.offset = (uint64_t)d->d_off,
				.type = d->d_type,
				.name = P9_STR(d->d_name),
			};

			if (p9_dirent_put(&b, &de) < 0) {
				full = true;
				break;
			}
			pos += d->d_reclen;
		}
	}
	rep->rreaddir.count = (uint32_t)b.pos;
	rep->rreaddir.data = payload;
	return 0;
}

int gofer_fsync(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	struct gofer_fid *f = gofer_fid_lookup(c, req->tfsync.fid);
	int ret;

	if (!f)
		return -EBADF;
	if (f->open_fd < 0)
		return -EBADF;
	ret = req->tfsync.datasync ? fdatasync(f->open_fd) : fsync(f->open_fd);
	return ret < 0 ? -errno : 0;
}
