// SPDX-License-Identifier: Apache-2.0
/* tmpfs regular files: read/write at a position, O_APPEND, lseek, truncate (sparse growth). */
#include "fs/tmpfs/tmpfs_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TMPFS_CHUNK (64 * 1024)

static const char zeros[4096];

/* Make the buffer hold at least @len bytes (new bytes zero). Preconditions: base.mu. */
static int tmpfs_reserve(struct tmpfs_inode *ti, uint64_t len)
{
	size_t cap = ti->cap ? ti->cap : 4096;
	char *p;

	if (len <= ti->cap)
		return 0;
	if (len > TMPFS_MAX_BUFFER)
		return -ENOSPC;
	while (cap < len)
		cap *= 2;
	p = realloc(ti->data, cap);
	if (!p)
		return -ENOSPC;
	memset(p + ti->cap, 0, cap - ti->cap);
	ti->data = p;
	ti->cap = cap;
	return 0;
}

static ssize_t tmpfs_read(struct file *f, struct uio *dst, int64_t *pos)
{
	struct inode *ino = file_inode(f);
	struct tmpfs_inode *ti = to_tmpfs(ino);
	ssize_t done = 0;

	pthread_mutex_lock(&ino->mu);
	while (dst->resid && *pos < ino->size) {
		uint64_t n = MIN(dst->resid, (uint64_t)(ino->size - *pos));
		const char *src;
		ssize_t c;

		/* Past the buffer the file is a hole of zeros (truncate up). */
		if ((uint64_t)*pos < ti->cap) {
			src = ti->data + *pos;
			n = MIN(n, ti->cap - (uint64_t)*pos);
		} else {
			src = zeros;
			n = MIN(n, sizeof(zeros));
		}
		c = uio_copy_out(dst, src, n);
		if (c <= 0) {
			if (!done)
				done = c ? c : -EFAULT;
			break;
		}
		done += c;
		*pos += c;
		if ((uint64_t)c < n)
			break;
	}
	pthread_mutex_unlock(&ino->mu);
	return done;
}

static ssize_t tmpfs_write(struct file *f, struct uio *src, int64_t *pos)
{
	struct inode *ino = file_inode(f);
	struct tmpfs_inode *ti = to_tmpfs(ino);
	ssize_t done = 0;
	int r = 0;

	pthread_mutex_lock(&ino->mu);
	if (f->flags & O_APPEND)
		*pos = ino->size;
	while (src->resid) {
		uint64_t n = MIN(src->resid, (uint64_t)TMPFS_CHUNK);
		ssize_t c;

		r = tmpfs_reserve(ti, (uint64_t)*pos + n);
		if (r < 0)
			break;
		c = uio_copy_in(src, ti->data + *pos, n);
		if (c <= 0) {
			r = c ? (int)c : -EFAULT;
			break;
		}
		done += c;
		*pos += c;
		if (*pos > ino->size)
			ino->size = *pos;
		if ((uint64_t)c < n)
			break;
	}
	if (done)
		inode_touch(ino, ATTR_MTIME | ATTR_CTIME);
	pthread_mutex_unlock(&ino->mu);
	return done ? done : r;
}

static int tmpfs_setattr(struct inode *ino, const struct iattr *ia)
{
	struct tmpfs_inode *ti = to_tmpfs(ino);

	pthread_mutex_lock(&ino->mu);
	if ((ia->valid & ATTR_SIZE) && ia->size < ino->size && (uint64_t)ia->size < ti->cap) {
		/* Keep the invariant: bytes past the size are zero. */
		memset(ti->data + ia->size, 0, MIN(ti->cap, (uint64_t)ino->size) - ia->size);
	}
	inode_setattr_copy(ino, ia);
	pthread_mutex_unlock(&ino->mu);
	return 0;
}

const struct file_ops tmpfs_file_fops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
	.llseek = generic_file_llseek,
};

const struct inode_ops tmpfs_file_iops = {
	.setattr = tmpfs_setattr,
	.release = tmpfs_release,
};
