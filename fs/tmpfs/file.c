// SPDX-License-Identifier: Apache-2.0
/* tmpfs regular files: read/write at a position, O_APPEND, lseek, truncate (sparse growth),
 * over the page cache that holds their data. */
#include "fs/tmpfs/tmpfs_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char zeros[PAGE_SIZE];

/* A big write preallocates its whole absent pages in runs of up to 1 MiB. */
#define TMPFS_PREALLOC_PAGES 256

/*
 * Data moves one page at a time between the guest and the page cache's memory-file pages.
 * The page cache lock is not held while copying (a copy may fault in a mapping of this very
 * file); base.mu keeps writers and truncate out.
 */
static ssize_t tmpfs_read(struct file *f, struct uio *dst, int64_t *pos)
{
	struct inode *ino = file_inode(f);
	ssize_t done = 0;

	pthread_mutex_lock(&ino->mu);
	while (dst->resid && *pos < ino->size) {
		uint64_t poff = (uint64_t)*pos & ~PAGE_MASK, off = 0;
		uint64_t n = MIN(MIN(dst->resid, (uint64_t)(ino->size - *pos)), PAGE_SIZE - poff);
		bool hole = pagecache_find(ino->pagecache, (uint64_t)*pos / PAGE_SIZE, false, &off) < 0;
		ssize_t c;

		c = uio_copy_out(dst, hole ? zeros : (char *)pagecache_page_ptr(off) + poff, n);
		if (!hole)
			pagecache_put_page(off);
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
	ssize_t done = 0;
	int r = 0;

	pthread_mutex_lock(&ino->mu);
	if (f->flags & O_APPEND)
		*pos = ino->size;
	while (src->resid) {
		uint64_t poff = (uint64_t)*pos & ~PAGE_MASK, off;
		uint64_t n = MIN(src->resid, PAGE_SIZE - poff);
		ssize_t c;

		if ((uint64_t)*pos + n > TMPFS_MAX_BUFFER) {
			r = -ENOSPC;
			break;
		}
		r = tmpfs_seal_check(to_tmpfs(ino), ino->size, MAX(ino->size, *pos + (int64_t)n),
				     true);
		if (r < 0)
			break;
		/* A write covering whole absent pages allocates them as one run (only those). */
		if (poff == 0 && src->resid >= 2 * PAGE_SIZE) {
			uint64_t whole = MIN(src->resid, TMPFS_MAX_BUFFER - (uint64_t)*pos) / PAGE_SIZE;

			whole = MIN(whole, TMPFS_PREALLOC_PAGES);
			if (whole > 1 &&
			    tmpfs_seal_check(to_tmpfs(ino), ino->size,
					     MAX(ino->size, *pos + (int64_t)(whole * PAGE_SIZE)),
					     true) == 0)
				pagecache_prealloc(ino->pagecache, (uint64_t)*pos / PAGE_SIZE, whole);
		}
		r = pagecache_find(ino->pagecache, (uint64_t)*pos / PAGE_SIZE, true, &off);
		if (r < 0) {
			r = -ENOSPC;
			break;
		}
		c = uio_copy_in(src, (char *)pagecache_page_ptr(off) + poff, n);
		pagecache_put_page(off);
		if (c <= 0) {
			r = c ? (int)c : -EFAULT;
			break;
		}
		done += c;
		*pos += c;
		if (*pos > ino->size) {
			ino->size = *pos;
			pagecache_set_size(ino->pagecache, ino->size);
		}
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
	pthread_mutex_lock(&ino->mu);
	if ((ia->valid & ATTR_SIZE) &&
	    tmpfs_seal_check(to_tmpfs(ino), ino->size, ia->size, false) < 0) {
		pthread_mutex_unlock(&ino->mu);
		return -EPERM;
	}
	if (ia->valid & ATTR_SIZE) {
		/* Pages past the new size go; mappings fault SIGBUS there from now on. */
		if (ia->size < ino->size)
			pagecache_truncate(ino->pagecache, ia->size);
		else
			pagecache_set_size(ino->pagecache, ia->size);
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
	TMPFS_XATTR_OPS,
	.release = tmpfs_release,
};
