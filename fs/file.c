// SPDX-License-Identifier: Apache-2.0
/* Open file descriptions: reference counting and the Linux defaults for missing ops. */
#include "fs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

void file_init(struct file *f, const struct file_ops *ops, int flags, void *priv)
{
	f->ops = ops;
	refcount_init(&f->ref);
	f->flags = flags;
	pthread_mutex_init(&f->pos_mu, NULL);
	f->pos = 0;
	f->priv = priv;
	f->path.mnt = NULL;
	f->path.dentry = NULL;
}

void file_get(struct file *f)
{
	refcount_inc(&f->ref);
}

void file_put(struct file *f)
{
	if (!refcount_dec(&f->ref))
		return;
	struct path p = f->path;

	vfs_locks_file_release(f); /* OFD and flock locks die with the description */
	pthread_mutex_destroy(&f->pos_mu);
	if (f->ops->release)
		f->ops->release(f);
	else
		free(f);
	/* After release: a filesystem's release may still look at the inode. */
	if (p.dentry)
		path_put(&p);
}

ssize_t vfs_read(struct file *f, struct uio *u, int64_t *pos)
{
	if ((f->flags & O_ACCMODE) == O_WRONLY || (f->flags & O_PATH))
		return -EBADF;
	if (!f->ops->read)
		return -EINVAL;
	return f->ops->read(f, u, pos);
}

ssize_t vfs_write(struct file *f, struct uio *u, int64_t *pos)
{
	if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
		return -EBADF;
	if (!f->ops->write)
		return -EINVAL;
	return f->ops->write(f, u, pos);
}

ssize_t vfs_kernel_pread(struct file *f, void *buf, size_t len, int64_t off)
{
	struct uio u;

	uio_init_kernel(&u, buf, len);
	return vfs_read(f, &u, &off);
}

int64_t vfs_llseek(struct file *f, int64_t off, int whence)
{
	if (!f->ops->llseek)
		return -ESPIPE;
	return f->ops->llseek(f, off, whence);
}

int64_t generic_file_llseek(struct file *f, int64_t off, int whence)
{
	struct inode *ino = file_inode(f);
	int64_t size, base;

	pthread_mutex_lock(&ino->mu);
	size = ino->size;
	pthread_mutex_unlock(&ino->mu);
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END:
		base = size;
		break;
	case SEEK_DATA:
		if (off < 0 || off >= size)
			return -ENXIO;
		return off;
	case SEEK_HOLE:
		if (off < 0 || off >= size)
			return -ENXIO;
		return size;
	default:
		return -EINVAL;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	return base + off;
}

long vfs_ioctl(struct file *f, struct mm *mm, unsigned int cmd, uint64_t arg)
{
	if (!f->ops->ioctl)
		return -ENOTTY;
	return f->ops->ioctl(f, mm, cmd, arg);
}

int vfs_fstat(struct file *f, struct stat *st)
{
	if (!f->ops->fstat && file_inode(f))
		return vfs_getattr(file_inode(f), st);
	if (!f->ops->fstat)
		return -EBADF;
	return f->ops->fstat(f, st);
}

int vfs_iterate(struct file *f, struct dir_ctx *ctx)
{
	int r;

	if (!f->ops->iterate)
		return -ENOTDIR;
	pthread_mutex_lock(&vfs_tree_mu);
	/* Linux's iterate_dir: a removed directory lists nothing, not even "." (IS_DEADDIR). */
	if (f->path.dentry && f->path.dentry->dead)
		r = -ENOENT;
	else
		r = f->ops->iterate(f, ctx);
	pthread_mutex_unlock(&vfs_tree_mu);
	return r;
}

int vfs_fsync(struct file *f, bool datasync)
{
	if (!f->ops->fsync)
		return 0;
	return f->ops->fsync(f, datasync);
}
