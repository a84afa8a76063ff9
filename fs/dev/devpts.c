// SPDX-License-Identifier: Apache-2.0
/*
 * devpts (Linux's fs/devpts): the directory of pty slaves. One instance per sandbox; ptmx
 * opens add /dev/pts/N (char device 136,N, mode 0620, owner the opener, group tty) and the
 * master's close removes it. Nothing else can be created here (NULL ops: EPERM).
 */
#include "fs/dev/dev_impl.h"

#include <dirent.h>
#include <errno.h>
#include <sys/sysmacros.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/tty/tty.h"

#define TTY_GID 5 /* the tty group: what devpts' gid=5 mount option gives on most systems */

/* The instance; protected by vfs_tree_mu. */
static struct dentry *devpts_root;

static unsigned int dtype(uint32_t mode)
{
	return (mode >> 12) & 017;
}

/* Linux's dcache_readdir over the dentry tree (as tmpfs). */
static int devpts_iterate(struct file *f, struct dir_ctx *ctx)
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

static int64_t devpts_dir_llseek(struct file *f, int64_t off, int whence)
{
	if (whence == SEEK_CUR)
		off += f->pos;
	else if (whence != SEEK_SET)
		return -EINVAL;
	return off < 0 ? -EINVAL : off;
}

static void devpts_dir_release(struct inode *ino)
{
	free(ino);
}

static const struct inode_ops devpts_dir_iops = { .release = devpts_dir_release };
static const struct file_ops devpts_dir_fops = {
	.iterate = devpts_iterate,
	.llseek = devpts_dir_llseek,
};

int devpts_new_root(struct dentry **out)
{
	struct super *sb;
	struct inode *ino;
	struct dentry *d;
	int r = 0;

	pthread_mutex_lock(&vfs_tree_mu);
	if (devpts_root) {
		dentry_get(devpts_root);
		*out = devpts_root;
		goto out;
	}
	r = -ENOMEM;
	sb = calloc(1, sizeof(*sb));
	ino = calloc(1, sizeof(*ino));
	if (!sb || !ino) {
		free(sb);
		free(ino);
		goto out;
	}
	sb->dev = 0x1d; /* an anonymous device number of its own */
	atomic_init(&sb->next_ino, 1);
	refcount_init(&sb->ref);
	inode_init(ino, &devpts_dir_iops, &devpts_dir_fops, sb, S_IFDIR | 0755, 0, 0);
	super_put(sb); /* the inodes hold it */
	r = dentry_new(NULL, "/", 1, &d);
	if (r < 0) {
		inode_put(ino);
		goto out;
	}
	dentry_instantiate(d, ino);
	/* The table's reference lives as long as the sandbox: ptys outlive any one mount. */
	devpts_root = d;
	dentry_get(d);
	*out = d;
out:
	pthread_mutex_unlock(&vfs_tree_mu);
	return r;
}

int devpts_add(int index, uint32_t uid)
{
	struct dev_inode *di;
	struct dentry *d;
	char name[16];
	int r;

	if (!devpts_root)
		return -ENODEV;
	snprintf(name, sizeof(name), "%d", index);
	r = dev_inode_new(devpts_root->inode->sb, 0620, uid, TTY_GID, PTY_MAJOR_SLAVE,
			  (uint32_t)index, &pty_slave_fops, &di);
	if (r < 0)
		return r;
	di->index = index;
	r = dentry_new(devpts_root, name, strlen(name), &d);
	if (r < 0) {
		inode_put(&di->base);
		return r;
	}
	dentry_instantiate(d, &di->base);
	dentry_attach(d);
	dentry_put(d);
	return 0;
}

void devpts_remove(int index)
{
	char name[16];
	struct dentry *d;

	if (!devpts_root)
		return;
	snprintf(name, sizeof(name), "%d", index);
	d = dentry_child(devpts_root, name, strlen(name));
	if (d && d->inode && devpts_index(d->inode) == index)
		dentry_detach(d);
}

int devpts_index(struct inode *ino)
{
	if (ino && ino->ops != &dev_chr_iops && S_ISCHR(ino->mode) &&
	    major(ino->rdev) == PTY_MAJOR_SLAVE && minor(ino->rdev) < PTY_MAX)
		return (int)minor(ino->rdev); /* a node made by mknod elsewhere */
	if (!ino || ino->ops != &dev_chr_iops)
		return -1;
	return to_dev_inode(ino)->index;
}

int devpts_slave_path(const struct path *ptmx, int index, struct path *out)
{
	struct dentry *pts, *d;
	struct mount *m;
	char name[16];

	if (!ptmx->dentry || !ptmx->dentry->parent)
		return -EIO;
	pts = dentry_child(ptmx->dentry->parent, "pts", 3);
	m = pts ? mount_lookup(ptmx->mnt, pts) : NULL;
	if (!m || m->root != devpts_root)
		return -EIO;
	snprintf(name, sizeof(name), "%d", index);
	d = dentry_child(m->root, name, strlen(name));
	if (!d)
		return -EIO;
	mount_get(m);
	dentry_get(d);
	out->mnt = m;
	out->dentry = d;
	return 0;
}
