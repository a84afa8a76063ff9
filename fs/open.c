// SPDX-License-Identifier: Apache-2.0
/* open(2) on the VFS: Linux's path_openat/do_open, with O_CREAT, O_EXCL, O_TRUNC, O_PATH. */
#include "fs/namei_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* O_PATH files: an fd that names a file but cannot read or write it. */
static const struct file_ops opath_fops = { .release = NULL };

static int acc_mask(int flags)
{
	int m = 0;

	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		m = MAY_READ;
		break;
	case O_WRONLY:
		m = MAY_WRITE;
		break;
	default:
		m = MAY_READ | MAY_WRITE;
	}
	if (flags & O_TRUNC)
		m |= MAY_WRITE;
	return m;
}

int vfs_open_path(const struct vfs_cred *cr, const struct path *p, int flags, struct file **out)
{
	struct inode *ino = p->dentry->inode;
	struct file *f;

	if (!(flags & O_PATH)) {
		if (S_ISLNK(ino->mode))
			return -ELOOP;
		if (S_ISDIR(ino->mode) && (acc_mask(flags) & MAY_WRITE))
			return -EISDIR;
		if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
			return -ENOTDIR;
		/* Linux's may_open: devices, fifos and sockets stay writable on a read-only mount. */
		if ((acc_mask(flags) & MAY_WRITE) && mount_readonly(p->mnt) &&
		    (S_ISREG(ino->mode) || S_ISDIR(ino->mode)))
			return -EROFS;
		if (cr) {
			int r = vfs_permission(cr, ino, acc_mask(flags));
			if (r < 0)
				return r;
		}
		/* Linux's sockfs inodes have no open (no_open): -ENXIO after the permission check. */
		if (S_ISSOCK(ino->mode))
			return -ENXIO;
		if ((flags & O_TRUNC) && S_ISREG(ino->mode)) {
			struct iattr ia = { .valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = 0 };
			clock_gettime(CLOCK_REALTIME, &ia.mtime);
			int r = vfs_setattr(ino, &ia);
			if (r < 0)
				return r;
		}
	} else if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode)) {
		return -ENOTDIR;
	}
	if (S_ISFIFO(ino->mode) && !(flags & O_PATH))
		return fifo_open(ino, p, flags, out);
	f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	/*
	 * Linux keeps everything but the open-time flags in f_flags (do_dentry_open). O_NOCTTY
	 * stays for the open op (a terminal's controlling-tty rule) and goes after it.
	 */
	file_init(f, (flags & O_PATH) || !ino->fops ? &opath_fops : ino->fops,
		  (flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC)) | VFS_O_LARGEFILE, NULL);
	f->path = *p;
	path_get(p);
	if (f->ops->open) {
		int r = f->ops->open(f);
		if (r < 0) {
			f->ops = &opath_fops; /* nothing of the filesystem's to release */
			file_put(f);
			return r;
		}
	}
	f->flags &= ~O_NOCTTY;
	*out = f;
	return 0;
}

/*
 * O_CREAT: the parent, then the name; an existing symlink is followed (and its target created
 * if absent, as Linux does) unless O_EXCL or O_NOFOLLOW. Leaves the result in nd->cur.
 * Sets *created when a new file was made (no permission check on it then).
 */
static int open_create(struct nameidata *nd, const char *path, int flags, uint32_t mode,
		       bool *created)
{
	struct dentry *d;
	struct last l;
	int r = walk_parent(nd, path, &l);

	if (r < 0)
		return r;
	if (l.type != LAST_NORM || l.trailing) {
		/* "/", ".", ".." or "name/": Linux answers EISDIR for O_CREAT. */
		if (l.type == LAST_NORM) {
			r = parent_may_lookup(nd);
			return r < 0 ? r : -EISDIR;
		}
		r = walk_last(nd, &l, true);
		return r < 0 ? r : -EISDIR;
	}
	r = parent_may_lookup(nd);
	if (r < 0)
		return r;
	r = find_child(nd, &l, &d);
	if (r < 0)
		return r;
	if (d) {
		struct inode *ino = d->inode;
		if (flags & O_EXCL) {
			dentry_put(d);
			return -EEXIST;
		}
		if (S_ISLNK(ino->mode)) {
			char *body;
			if (flags & O_NOFOLLOW) {
				dentry_put(d);
				return -ELOOP;
			}
			r = follow_magic(nd, d);
			if (r != 0) {
				dentry_put(d);
				if (r < 0 || nd->magic_file)
					return r < 0 ? r : 0;
				return S_ISDIR(nd->cur.dentry->inode->mode) ? -EISDIR : 0;
			}
			r = read_link_body(nd, d, &body);
			dentry_put(d);
			if (r < 0)
				return r;
			r = body[0] ? open_create(nd, body, flags, mode, created) : -ENOENT;
			free(body);
			return r;
		}
		struct path old = nd->cur;
		mount_get(old.mnt);
		nd->cur.dentry = d;
		path_put(&old);
		if (S_ISDIR(ino->mode))
			return -EISDIR;
		return 0;
	}
	r = mount_readonly(nd->cur.mnt) ? -EROFS : may_create(nd->cr, nd->cur.dentry);
	if (r < 0)
		return r;
	struct inode *dir = nd->cur.dentry->inode;
	if (!dir->ops->create)
		return -EPERM;
	r = dentry_new(nd->cur.dentry, l.name, l.len, &d);
	if (r < 0)
		return r;
	r = dir->ops->create(dir, d, S_IFREG | (mode & 07777), nd->cr);
	if (r < 0) {
		dentry_put(d);
		return r;
	}
	dentry_attach(d);
	struct path old = nd->cur;
	mount_get(old.mnt);
	nd->cur.dentry = d;
	path_put(&old);
	*created = true;
	return 0;
}

/*
 * O_TMPFILE (Linux's do_tmpfile/vfs_tmpfile): an unnamed regular file in the directory
 * @path names. Its dentry is never in the tree (dead, named "#ino" as Linux's d_tmpfile);
 * linkat(AT_EMPTY_PATH) gives it a name unless O_EXCL was asked.
 */
static int open_tmpfile(const struct vfs_start *s, const char *path, int flags, uint32_t mode,
			struct file **out)
{
	struct nameidata nd;
	struct dentry *d = NULL;
	struct inode *dir;
	struct last l;
	char name[32];
	int r;

	if ((flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE || !(acc_mask(flags) & MAY_WRITE))
		return -EINVAL;
	if (!*path)
		return -ENOENT;
	pthread_mutex_lock(&vfs_tree_mu);
	nd_init(&nd, s);
	r = walk_parent(&nd, path, &l);
	if (r == 0)
		r = walk_last(&nd, &l, true);
	if (r < 0)
		goto out;
	dir = nd.cur.dentry->inode;
	if (!S_ISDIR(dir->mode)) {
		r = -ENOTDIR;
		goto out;
	}
	if (mount_readonly(nd.cur.mnt)) {
		r = -EROFS;
		goto out;
	}
	r = vfs_permission(nd.cr, dir, MAY_WRITE | MAY_EXEC);
	if (r < 0)
		goto out;
	if (!dir->ops->tmpfile) {
		r = -EOPNOTSUPP;
		goto out;
	}
	r = dentry_new(nd.cur.dentry, "#", 1, &d);
	if (r < 0)
		goto out;
	r = dir->ops->tmpfile(dir, d, S_IFREG | (mode & 07777), nd.cr);
	if (r < 0)
		goto out;
	snprintf(name, sizeof(name), "#%llu", (unsigned long long)d->inode->ino);
	char *copy = strdup(name);
	if (copy) {
		free(d->name);
		d->name = copy;
	}
	d->dead = true;
	if (flags & O_EXCL)
		d->inode->tmpfile_nolink = true;
	struct path p = { nd.cur.mnt, d };
	r = vfs_open_path(NULL, &p, flags & ~(O_TMPFILE | O_EXCL), out);
	if (r == 0)
		(*out)->flags |= flags & O_TMPFILE; /* F_GETFL shows it, as in Linux */
out:
	if (d)
		dentry_put(d);
	nd_done(&nd);
	pthread_mutex_unlock(&vfs_tree_mu);
	return r;
}

int vfs_open(const struct vfs_start *s, const char *path, int flags, uint32_t mode,
	     struct file **out)
{
	struct nameidata nd;
	bool created = false;
	struct last l;
	int r;

	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if (flags & (O_TMPFILE & ~O_DIRECTORY))
		return open_tmpfile(s, path, flags, mode, out);
	if ((flags & O_CREAT) && (flags & O_DIRECTORY))
		return -EINVAL; /* Linux 6.4+ */
	if (!*path)
		return -ENOENT;
	pthread_mutex_lock(&vfs_tree_mu);
	nd_init(&nd, s);
	if (flags & O_CREAT) {
		r = open_create(&nd, path, flags, mode, &created);
	} else {
		r = walk_parent(&nd, path, &l);
		if (r == 0)
			r = walk_last(&nd, &l, !(flags & O_NOFOLLOW));
	}
	if (r == 0 && nd.magic_file) {
		/* A magic link to a pipe, socket or host file: a new open of the same object,
		 * which (a pipe's) may wait for the other end: not with the tree locked. */
		struct file *f = nd.magic_file;

		nd.magic_file = NULL;
		nd_done(&nd);
		pthread_mutex_unlock(&vfs_tree_mu);
		if (flags & O_DIRECTORY)
			r = -ENOTDIR;
		else if ((flags & O_PATH) || !f->ops->reopen)
			r = -ENXIO;
		else
			r = f->ops->reopen(f, flags, out);
		file_put(f);
		return r;
	}
	if (r == 0 && !created && !(flags & O_PATH) && S_ISFIFO(nd.cur.dentry->inode->mode)) {
		/* A FIFO's open may wait for its other end: not with the tree locked. */
		struct path p = nd.cur;

		path_get(&p);
		nd_done(&nd);
		pthread_mutex_unlock(&vfs_tree_mu);
		r = vfs_open_path(s->cr, &p, flags, out);
		path_put(&p);
		return r;
	}
	if (r == 0)
		r = vfs_open_path(created ? NULL : nd.cr, &nd.cur,
				  created ? flags & ~O_TRUNC : flags, out);
	nd_done(&nd);
	pthread_mutex_unlock(&vfs_tree_mu);
	return r;
}
