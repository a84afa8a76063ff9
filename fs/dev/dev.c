// SPDX-License-Identifier: Apache-2.0
/*
 * /dev: a tmpfs populated with Linux's standard nodes (what devtmpfs plus a container runtime
 * give a container), with devpts on /dev/pts and a tmpfs on /dev/shm. Device inodes carry
 * their numbers (st_rdev) and open through the fops of their driver.
 */
#include "fs/dev/dev_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs/tty/tty.h"

static int dev_getattr(struct inode *ino, struct stat *st)
{
	struct dev_inode *di = to_dev_inode(ino);

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&ino->mu);
	st->st_dev = ino->sb->dev;
	st->st_ino = ino->ino;
	st->st_mode = ino->mode;
	st->st_nlink = ino->nlink;
	st->st_uid = ino->uid;
	st->st_gid = ino->gid;
	st->st_rdev = makedev(di->major, di->minor);
	st->st_blksize = 4096;
	st->st_atim = ino->atime;
	st->st_mtim = ino->mtime;
	st->st_ctim = ino->ctime;
	pthread_mutex_unlock(&ino->mu);
	return 0;
}

static void dev_release(struct inode *ino)
{
	free(to_dev_inode(ino));
}

const struct inode_ops dev_chr_iops = {
	.getattr = dev_getattr,
	.release = dev_release,
};

int dev_inode_new(struct super *sb, uint32_t perm, uint32_t uid, uint32_t gid,
		  uint32_t major, uint32_t minor, const struct file_ops *fops,
		  struct dev_inode **out)
{
	struct dev_inode *di = calloc(1, sizeof(*di));

	if (!di)
		return -ENOMEM;
	inode_init(&di->base, &dev_chr_iops, fops, sb, S_IFCHR | (perm & 07777), uid, gid);
	di->major = major;
	di->minor = minor;
	di->base.rdev = makedev(major, minor);
	di->index = -1;
	*out = di;
	return 0;
}

/* /dev/tty and /dev/console: the open finds the terminal and becomes a pty slave file. */
static const struct file_ops dev_tty_fops = { .open = pty_open_ctty };
static const struct file_ops dev_console_fops = { .open = pty_open_console };

static const struct dev_node {
	const char *name;
	uint32_t perm, major, minor;
	const struct file_ops *fops;
} dev_nodes[] = {
	{ "null", 0666, 1, 3, &dev_null_fops },
	{ "zero", 0666, 1, 5, &dev_zero_fops },
	{ "full", 0666, 1, 7, &dev_full_fops },
	{ "random", 0666, 1, 8, &dev_random_fops },
	{ "urandom", 0666, 1, 9, &dev_random_fops },
	{ "tty", 0666, TTY_MAJOR, 0, &dev_tty_fops },
	{ "console", 0600, TTY_MAJOR, 1, &dev_console_fops },
	{ "ptmx", 0666, TTY_MAJOR, 2, &pty_master_fops },
};

/*
 * Device nodes made by mknod (any filesystem): Linux's chrdev_open. The driver is found by
 * number among the devices the Sentry has; the file takes its ops and runs their open.
 */
static int chrdev_open(struct file *f)
{
	struct inode *ino = file_inode(f);
	uint32_t maj = major(ino->rdev), min = minor(ino->rdev);
	const struct file_ops *fops = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++)
		if (dev_nodes[i].major == maj && dev_nodes[i].minor == min)
			fops = dev_nodes[i].fops;
	if (maj == PTY_MAJOR_SLAVE && min < PTY_MAX)
		fops = &pty_slave_fops; /* its open finds the pty by devpts_index */
	if (!fops)
		return -ENXIO;
	f->ops = fops;
	return fops->open ? fops->open(f) : 0;
}

/* Block devices: the Sentry has none (gVisor neither). */
static int blkdev_open(struct file *f)
{
	(void)f;
	return -ENXIO;
}

const struct file_ops vfs_chrdev_fops = { .open = chrdev_open };
const struct file_ops vfs_blkdev_fops = { .open = blkdev_open };

static const struct dev_link {
	const char *name, *target;
} dev_links[] = {
	{ "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

/* Preconditions: vfs_tree_mu. A new name @name in @dir for @ino (its reference moves). */
static int add_entry(struct dentry *dir, const char *name, struct inode *ino)
{
	struct dentry *d;
	int r = dentry_new(dir, name, strlen(name), &d);

	if (r < 0) {
		inode_put(ino);
		return r;
	}
	dentry_instantiate(d, ino);
	dentry_attach(d);
	dentry_put(d); /* the tree keeps it */
	return 0;
}

/* Preconditions: vfs_tree_mu. A symlink or directory through the tmpfs ops of @dir. */
static int add_via_ops(struct dentry *dir, const char *name, const char *target, uint32_t mode)
{
	struct vfs_cred cr = { .uid = 0, .gid = 0 };
	struct inode *di = dir->inode;
	struct dentry *d;
	int r = dentry_new(dir, name, strlen(name), &d);

	if (r < 0)
		return r;
	r = target ? di->ops->symlink(di, d, target, &cr) : di->ops->mkdir(di, d, mode, &cr);
	if (r == 0)
		dentry_attach(d);
	dentry_put(d);
	return r;
}

static int populate(struct dentry *root)
{
	struct super *sb = root->inode->sb;
	int r = 0;

	pthread_mutex_lock(&vfs_tree_mu);
	for (size_t i = 0; i < ARRAY_SIZE(dev_nodes) && r == 0; i++) {
		const struct dev_node *n = &dev_nodes[i];
		struct dev_inode *di;
		r = dev_inode_new(sb, n->perm, 0, 0, n->major, n->minor, n->fops, &di);
		if (r == 0)
			r = add_entry(root, n->name, &di->base);
	}
	for (size_t i = 0; i < ARRAY_SIZE(dev_links) && r == 0; i++)
		r = add_via_ops(root, dev_links[i].name, dev_links[i].target, 0);
	if (r == 0)
		r = add_via_ops(root, "pts", NULL, S_IFDIR | 0755);
	if (r == 0)
		r = add_via_ops(root, "shm", NULL, S_IFDIR | 01777);
	pthread_mutex_unlock(&vfs_tree_mu);
	return r;
}

/* Mount @froot (a reference is taken) on @path under @parent's tree. */
static int mount_at(struct mount *root, const char *path, struct dentry *froot,
		    struct mount **out)
{
	struct vfs_cred cr = { .uid = 0, .gid = 0 };
	struct vfs_start s = { .cr = &cr, .root = { root, root->root }, .start = { root, root->root } };
	struct path p;
	struct mount *m;
	int r = vfs_lookup(&s, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);

	if (r == -ENOENT) {
		/* A root without /dev (the bare tmpfs root): make one if it can. */
		r = vfs_mkdir(&s, path, 0755);
		if (r == 0)
			r = vfs_lookup(&s, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	}
	if (r < 0)
		return r;
	r = mount_new(froot, p.mnt, p.dentry, &m);
	path_put(&p);
	if (r < 0)
		return r;
	if (out)
		*out = m;
	else
		mount_put(m); /* the mount table keeps it */
	return 0;
}

int devfs_mount(struct mount *root)
{
	struct dentry *dev, *pts, *shm;
	struct mount *m;
	int r = tmpfs_new_root(0755, 0, 0, &dev);

	if (r < 0)
		return r;
	r = populate(dev);
	if (r == 0)
		r = mount_at(root, "/dev", dev, &m);
	dentry_put(dev);
	if (r == -EROFS || r == -EACCES || r == -ENOTDIR)
		return 0; /* a read-only root without a /dev directory: no devices, not an error */
	if (r < 0)
		return r;
	mount_put(m);
	r = devpts_new_root(&pts);
	if (r < 0)
		return r;
	r = mount_at(root, "/dev/pts", pts, NULL);
	dentry_put(pts);
	if (r < 0)
		return r;
	r = tmpfs_new_root(01777, 0, 0, &shm);
	if (r < 0)
		return r;
	r = mount_at(root, "/dev/shm", shm, NULL);
	dentry_put(shm);
	return r;
}
