// SPDX-License-Identifier: Apache-2.0
/*
 * tmpfs directories: names live only in the dentry tree (Linux's shmem + libfs "simple_*"),
 * so create/mkdir/link/unlink/rmdir/rename just keep inodes' link counts and times right.
 */
#include "fs/tmpfs/tmpfs_impl.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static int tmpfs_new_inode(struct super *sb, uint32_t mode, uint32_t uid, uint32_t gid,
			   struct tmpfs_inode **out)
{
	struct tmpfs_inode *ti = calloc(1, sizeof(*ti));
	const struct inode_ops *iops = &tmpfs_file_iops;
	const struct file_ops *fops = &tmpfs_file_fops;

	if (!ti)
		return -ENOMEM;
	if (S_ISDIR(mode)) {
		iops = &tmpfs_dir_iops;
		fops = &tmpfs_dir_fops;
	} else if (S_ISLNK(mode)) {
		iops = &tmpfs_symlink_iops;
		fops = NULL;
	} else if (S_ISCHR(mode)) {
		fops = &vfs_chrdev_fops; /* the driver is found by number at open */
	} else if (S_ISBLK(mode)) {
		fops = &vfs_blkdev_fops;
	} else if (!S_ISREG(mode)) {
		fops = NULL; /* sockets (bind): no data, open fails with ENXIO; FIFOs: fifo_open */
	}
	ti->seals = 0x0001; /* F_SEAL_SEAL: only memfds take seals */
	if (S_ISREG(mode) && pagecache_new(true, &ti->base.pagecache) < 0) {
		free(ti);
		return -ENOMEM;
	}
	inode_init(&ti->base, iops, fops, sb, mode, uid, gid);
	*out = ti;
	return 0;
}

/* The group of a new inode: the directory's if it is setgid (and dirs inherit S_ISGID). */
static int make_child(struct inode *dir, struct dentry *d, uint32_t mode,
		      const struct vfs_cred *cr, struct tmpfs_inode **out)
{
	uint32_t gid = cr->gid;
	int r;

	if (dir->mode & S_ISGID) {
		gid = dir->gid;
		if (S_ISDIR(mode))
			mode |= S_ISGID;
	}
	r = tmpfs_new_inode(dir->sb, mode, cr->uid, gid, out);
	if (r < 0)
		return r;
	dentry_instantiate(d, &(*out)->base);
	pthread_mutex_lock(&dir->mu);
	inode_touch(dir, ATTR_MTIME | ATTR_CTIME);
	if (S_ISDIR(mode))
		dir->nlink++;
	pthread_mutex_unlock(&dir->mu);
	return 0;
}

static int tmpfs_create(struct inode *dir, struct dentry *d, uint32_t mode,
			const struct vfs_cred *cr)
{
	struct tmpfs_inode *ti;

	return make_child(dir, d, mode, cr, &ti);
}

static int tmpfs_mknod(struct inode *dir, struct dentry *d, uint32_t mode, uint64_t rdev,
		       const struct vfs_cred *cr)
{
	struct tmpfs_inode *ti;
	int r = make_child(dir, d, mode, cr, &ti);

	if (r == 0)
		ti->base.rdev = rdev;
	return r;
}

/*
 * O_TMPFILE (Linux's shmem_tmpfile): a regular file with no name and no link; @d stays out
 * of the tree. linkat(AT_EMPTY_PATH) gives it one unless it was opened O_EXCL.
 */
static int tmpfs_tmpfile(struct inode *dir, struct dentry *d, uint32_t mode,
			 const struct vfs_cred *cr)
{
	struct tmpfs_inode *ti;
	uint32_t gid = (dir->mode & S_ISGID) ? dir->gid : cr->gid;
	int r = tmpfs_new_inode(dir->sb, S_IFREG | (mode & 07777), cr->uid, gid, &ti);

	if (r < 0)
		return r;
	ti->base.nlink = 0;
	ti->base.tmpfile = true;
	dentry_instantiate(d, &ti->base);
	return 0;
}

static int tmpfs_symlink(struct inode *dir, struct dentry *d, const char *target,
			 const struct vfs_cred *cr)
{
	struct tmpfs_inode *ti;
	char *copy = strdup(target);
	int r;

	if (!copy)
		return -ENOMEM;
	r = make_child(dir, d, S_IFLNK | 0777, cr, &ti);
	if (r < 0) {
		free(copy);
		return r;
	}
	ti->target = copy;
	ti->base.size = (int64_t)strlen(copy);
	return 0;
}

static int tmpfs_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
	struct inode *ino = old->inode;

	inode_get(ino);
	pthread_mutex_lock(&ino->mu);
	ino->nlink++;
	ino->tmpfile = false; /* Linux clears I_LINKABLE once an O_TMPFILE file has a name */
	inode_touch(ino, ATTR_CTIME);
	pthread_mutex_unlock(&ino->mu);
	pthread_mutex_lock(&dir->mu);
	inode_touch(dir, ATTR_MTIME | ATTR_CTIME);
	pthread_mutex_unlock(&dir->mu);
	dentry_instantiate(d, ino);
	return 0;
}

/* A name goes away: one link less on @ino (two for a directory: its "." too). */
static void drop_name(struct inode *dir, struct inode *ino)
{
	pthread_mutex_lock(&ino->mu);
	if (S_ISDIR(ino->mode))
		ino->nlink = 0;
	else if (ino->nlink)
		ino->nlink--;
	inode_touch(ino, ATTR_CTIME);
	pthread_mutex_unlock(&ino->mu);
	pthread_mutex_lock(&dir->mu);
	if (S_ISDIR(ino->mode))
		dir->nlink--;
	inode_touch(dir, ATTR_MTIME | ATTR_CTIME);
	pthread_mutex_unlock(&dir->mu);
}

static int tmpfs_unlink(struct inode *dir, struct dentry *d)
{
	drop_name(dir, d->inode);
	return 0;
}

static int tmpfs_rmdir(struct inode *dir, struct dentry *d)
{
	if (d->nchildren)
		return -ENOTEMPTY;
	drop_name(dir, d->inode);
	return 0;
}

static int tmpfs_rename(struct inode *odir, struct dentry *od, struct inode *ndir,
			struct dentry *nd, unsigned int flags)
{
	bool odir_is = S_ISDIR(od->inode->mode);

	if (flags & RENAME_EXCHANGE) {
		bool ndir_is = S_ISDIR(nd->inode->mode);
		if (odir != ndir && odir_is != ndir_is) {
			pthread_mutex_lock(&odir->mu);
			odir->nlink += odir_is ? -1 : 1;
			pthread_mutex_unlock(&odir->mu);
			pthread_mutex_lock(&ndir->mu);
			ndir->nlink += odir_is ? 1 : -1;
			pthread_mutex_unlock(&ndir->mu);
		}
	} else {
		if (nd && nd->inode) {
			if (S_ISDIR(nd->inode->mode) && nd->nchildren)
				return -ENOTEMPTY;
			drop_name(ndir, nd->inode);
		}
		if (odir_is && odir != ndir) {
			pthread_mutex_lock(&odir->mu);
			odir->nlink--;
			pthread_mutex_unlock(&odir->mu);
			pthread_mutex_lock(&ndir->mu);
			ndir->nlink++;
			pthread_mutex_unlock(&ndir->mu);
		}
	}
	pthread_mutex_lock(&odir->mu);
	inode_touch(odir, ATTR_MTIME | ATTR_CTIME);
	pthread_mutex_unlock(&odir->mu);
	if (ndir != odir) {
		pthread_mutex_lock(&ndir->mu);
		inode_touch(ndir, ATTR_MTIME | ATTR_CTIME);
		pthread_mutex_unlock(&ndir->mu);
	}
	pthread_mutex_lock(&od->inode->mu);
	inode_touch(od->inode, ATTR_CTIME);
	pthread_mutex_unlock(&od->inode->mu);
	return 0;
}

void tmpfs_release(struct inode *ino)
{
	struct tmpfs_inode *ti = to_tmpfs(ino);

	pagecache_free(ti->base.pagecache);
	simple_xattrs_free(&ti->xattrs);
	free(ti->target);
	free(ti);
}

static unsigned int dtype(uint32_t mode)
{
	return (mode >> 12) & 017; /* DT_* are S_IFMT >> 12 */
}

/* Offsets: 0 ".", 1 "..", then each child's cookie; the next offset is cookie + 1. */
static int tmpfs_iterate(struct file *f, struct dir_ctx *ctx)
{
	struct dentry *dir = f->path.dentry;

	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, dir->inode->ino, DT_DIR, 1))
			return 0;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		struct dentry *p = dir->parent ? dir->parent : dir;
		if (!ctx->emit(ctx, "..", 2, p->inode->ino, DT_DIR, 2))
			return 0;
		ctx->pos = 2;
	}
	for (struct dentry *c = dir->first; c; c = c->next) {
		if (c->cookie < ctx->pos)
			continue;
		if (!ctx->emit(ctx, c->name, strlen(c->name), c->inode->ino, dtype(c->inode->mode),
			       c->cookie + 1))
			return 0;
		ctx->pos = c->cookie + 1;
	}
	return 0;
}

/* Linux's dcache_dir_lseek: SEEK_SET and SEEK_CUR only. Preconditions: f->pos_mu. */
static int64_t tmpfs_dir_llseek(struct file *f, int64_t off, int whence)
{
	if (whence == SEEK_CUR)
		off += f->pos;
	else if (whence != SEEK_SET)
		return -EINVAL;
	if (off < 0)
		return -EINVAL;
	return off;
}

const struct inode_ops tmpfs_dir_iops = {
	.create = tmpfs_create,
	.mkdir = tmpfs_create,
	.symlink = tmpfs_symlink,
	.link = tmpfs_link,
	.unlink = tmpfs_unlink,
	.rmdir = tmpfs_rmdir,
	.rename = tmpfs_rename,
	.release = tmpfs_release,
	.mknod = tmpfs_mknod,
	.tmpfile = tmpfs_tmpfile,
	TMPFS_XATTR_OPS,
};

const struct file_ops tmpfs_dir_fops = {
	.iterate = tmpfs_iterate,
	.llseek = tmpfs_dir_llseek,
};

static int tmpfs_get_link(struct inode *ino, char **out)
{
	*out = strdup(to_tmpfs(ino)->target);
	return *out ? 0 : -ENOMEM;
}

const struct inode_ops tmpfs_symlink_iops = {
	.get_link = tmpfs_get_link,
	.release = tmpfs_release,
	TMPFS_XATTR_OPS,
};

static atomic_ulong tmpfs_next_dev = 0x100;

int tmpfs_new_root(uint32_t mode, uint32_t uid, uint32_t gid, struct dentry **out)
{
	struct super *sb = calloc(1, sizeof(*sb));
	struct tmpfs_inode *ti;
	struct dentry *d;
	int r;

	if (!sb)
		return -ENOMEM;
	sb->dev = atomic_fetch_add(&tmpfs_next_dev, 1);
	atomic_init(&sb->next_ino, 1);
	refcount_init(&sb->ref);
	r = tmpfs_new_inode(sb, S_IFDIR | (mode & 07777), uid, gid, &ti);
	super_put(sb); /* the inodes hold it from here on */
	if (r < 0)
		return r;
	r = dentry_new(NULL, "/", 1, &d);
	if (r < 0) {
		inode_put(&ti->base);
		return r;
	}
	dentry_instantiate(d, &ti->base);
	*out = d;
	return 0;
}
