// SPDX-License-Identifier: Apache-2.0
/*
 * Namespace operations: mkdir, mknod (regular), symlink, link, unlink, rmdir, rename,
 * readlink. The checks and their order follow Linux's fs/namei.c (filename_create,
 * may_create, may_delete, do_renameat2) so errno results match; filesystems only do the work.
 */
#include "fs/namei_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)
#endif

/*
 * Linux's filename_create: walk to the parent, refuse "." / ".." / "/" and existing names
 * (EEXIST), a trailing slash on a non-directory (ENOENT), then may_create. On success the
 * lock is held, nd->cur is the parent and *out a new negative dentry for the name.
 */
static int create_prep(const struct vfs_start *s, const char *path, bool is_dir,
		       struct nameidata *nd, struct dentry **out)
{
	struct dentry *d;
	struct last l;
	int r;

	pthread_mutex_lock(&vfs_tree_mu);
	nd_init(nd, s);
	r = walk_parent(nd, path, &l);
	if (r < 0)
		return r;
	r = parent_may_lookup(nd);
	if (r < 0)
		return r;
	if (l.type != LAST_NORM)
		return -EEXIST;
	r = find_child(nd, &l, &d);
	if (r < 0)
		return r;
	if (d) {
		dentry_put(d);
		return -EEXIST;
	}
	if (l.trailing && !is_dir)
		return -ENOENT;
	if (mount_readonly(nd->cur.mnt))
		return -EROFS;
	r = may_create(nd->cr, nd->cur.dentry);
	if (r < 0)
		return r;
	return dentry_new(nd->cur.dentry, l.name, l.len, out);
}

static void create_done(struct nameidata *nd)
{
	nd_done(nd);
	pthread_mutex_unlock(&vfs_tree_mu);
}

/* Run a creator and attach the new name; the new dentry reference is dropped. */
static int create_finish(struct dentry *d, int r)
{
	if (r == 0)
		dentry_attach(d);
	dentry_put(d);
	return r;
}

int vfs_mkdir(const struct vfs_start *s, const char *path, uint32_t mode)
{
	struct nameidata nd;
	struct dentry *d;
	int r = create_prep(s, path, true, &nd, &d);

	if (r == 0) {
		struct inode *dir = nd.cur.dentry->inode;
		r = dir->ops->mkdir ? dir->ops->mkdir(dir, d, S_IFDIR | (mode & 07777), nd.cr) : -EPERM;
		r = create_finish(d, r);
	}
	create_done(&nd);
	return r;
}

int vfs_mknod_reg(const struct vfs_start *s, const char *path, uint32_t mode)
{
	struct nameidata nd;
	struct dentry *d;
	int r = create_prep(s, path, false, &nd, &d);

	if (r == 0) {
		struct inode *dir = nd.cur.dentry->inode;
		r = dir->ops->create ? dir->ops->create(dir, d, S_IFREG | (mode & 07777), nd.cr) : -EPERM;
		r = create_finish(d, r);
	}
	create_done(&nd);
	return r;
}

int vfs_mknod_sock(const struct vfs_start *s, const char *path, uint32_t mode, struct path *out)
{
	struct nameidata nd;
	struct dentry *d;
	int r = create_prep(s, path, false, &nd, &d);

	if (r == 0) {
		struct inode *dir = nd.cur.dentry->inode;
		r = dir->ops->create ? dir->ops->create(dir, d, S_IFSOCK | (mode & 07777), nd.cr)
				     : -EPERM;
		if (r == 0) {
			out->mnt = nd.cur.mnt;
			out->dentry = d;
			path_get(out);
		}
		r = create_finish(d, r);
	}
	create_done(&nd);
	return r;
}

int vfs_mknod(const struct vfs_start *s, const char *path, uint32_t mode, uint64_t rdev,
	      bool cap_mknod)
{
	struct nameidata nd;
	struct dentry *d;
	int r = create_prep(s, path, false, &nd, &d);

	if (r == 0) {
		struct inode *dir = nd.cur.dentry->inode;
		mode &= S_IFMT | 07777;
		if ((S_ISCHR(mode) || S_ISBLK(mode)) && !cap_mknod)
			r = -EPERM;
		else if (S_ISCHR(mode) || S_ISBLK(mode))
			r = dir->ops->mknod ? dir->ops->mknod(dir, d, mode, rdev, nd.cr) : -EPERM;
		else
			r = dir->ops->create ? dir->ops->create(dir, d, mode, nd.cr) : -EPERM;
		r = create_finish(d, r);
	}
	create_done(&nd);
	return r;
}

int vfs_symlink(const struct vfs_start *s, const char *target, const char *path)
{
	struct nameidata nd;
	struct dentry *d;
	int r;

	if (!*target)
		return -ENOENT;
	r = create_prep(s, path, false, &nd, &d);
	if (r == 0) {
		struct inode *dir = nd.cur.dentry->inode;
		r = dir->ops->symlink ? dir->ops->symlink(dir, d, target, nd.cr) : -EPERM;
		r = create_finish(d, r);
	}
	create_done(&nd);
	return r;
}

int vfs_link(const struct vfs_start *os, const char *opath, const struct vfs_start *ns,
	     const char *npath, int flags)
{
	struct nameidata nd;
	struct path old;
	struct dentry *d;
	struct inode *dir;
	int r;

	r = vfs_lookup(os, opath, flags & (LOOKUP_FOLLOW | LOOKUP_EMPTY), &old);
	if (r < 0)
		return r;
	r = create_prep(ns, npath, false, &nd, &d);
	if (r < 0)
		goto out;
	dir = nd.cur.dentry->inode;
	if (old.mnt != nd.cur.mnt)
		r = -EXDEV;
	else if (S_ISDIR(old.dentry->inode->mode) || !dir->ops->link)
		r = -EPERM;
	else if (old.dentry->inode->nlink == 0 &&
		 !(old.dentry->inode->tmpfile && !old.dentry->inode->tmpfile_nolink))
		r = -ENOENT; /* unlinked while open: Linux refuses unless O_TMPFILE (not O_EXCL) */
	else
		r = dir->ops->link(old.dentry, dir, d);
	r = create_finish(d, r);
out:
	create_done(&nd);
	path_put(&old);
	return r;
}

/*
 * Linux's may_delete: write+search on the directory, the sticky bit (only the owner of the
 * file or directory, or root, may remove), the type, and busy mount points.
 */
static int may_delete(const struct vfs_cred *cr, struct dentry *dir, struct dentry *victim,
		      bool is_dir)
{
	struct inode *ino = victim->inode;
	int r = vfs_permission(cr, dir->inode, MAY_WRITE | MAY_EXEC);

	if (r < 0)
		return r;
	if ((dir->inode->mode & S_ISVTX) && cr->uid != 0 && cr->uid != ino->uid &&
	    cr->uid != dir->inode->uid)
		return -EPERM;
	if (is_dir && !S_ISDIR(ino->mode))
		return -ENOTDIR;
	if (!is_dir && S_ISDIR(ino->mode))
		return -EISDIR;
	if (victim->mounted)
		return -EBUSY;
	return 0;
}

/* unlink and rmdir: find the victim, check it (Linux's do_unlinkat / do_rmdir). */
static int remove_name(const struct vfs_start *s, const char *path, bool is_dir)
{
	struct nameidata nd;
	struct dentry *d = NULL;
	struct inode *dir;
	struct last l;
	int r;

	pthread_mutex_lock(&vfs_tree_mu);
	nd_init(&nd, s);
	r = walk_parent(&nd, path, &l);
	if (r < 0)
		goto out;
	if (l.type != LAST_NORM) {
		if (!is_dir)
			r = -EISDIR;
		else
			r = l.type == LAST_DOT ? -EINVAL : l.type == LAST_DOTDOT ? -ENOTEMPTY : -EBUSY;
		goto out;
	}
	r = parent_may_lookup(&nd);
	if (r < 0)
		goto out;
	r = find_child(&nd, &l, &d);
	if (r < 0)
		goto out;
	if (!d) {
		r = -ENOENT;
		goto out;
	}
	if (!is_dir && l.trailing) {
		r = S_ISDIR(d->inode->mode) ? -EISDIR : -ENOTDIR;
		goto out;
	}
	r = mount_readonly(nd.cur.mnt) ? -EROFS : may_delete(nd.cr, nd.cur.dentry, d, is_dir);
	if (r < 0)
		goto out;
	dir = nd.cur.dentry->inode;
	if (is_dir)
		r = dir->ops->rmdir ? dir->ops->rmdir(dir, d) : -EPERM;
	else
		r = dir->ops->unlink ? dir->ops->unlink(dir, d) : -EPERM;
	if (r == 0)
		dentry_detach(d);
out:
	if (d)
		dentry_put(d);
	nd_done(&nd);
	pthread_mutex_unlock(&vfs_tree_mu);
	return r;
}

int vfs_unlink(const struct vfs_start *s, const char *path)
{
	return remove_name(s, path, false);
}

int vfs_rmdir(const struct vfs_start *s, const char *path)
{
	return remove_name(s, path, true);
}

/* Move @d (in the tree) to @parent as @name: a new getdents cookie, like Linux's d_move. */
static int dentry_move(struct dentry *d, struct dentry *parent, const char *name, size_t len)
{
	char *copy = strndup(name, len);
	struct dentry *oldp = d->parent;

	if (!copy)
		return -ENOMEM;
	dentry_get(d); /* keep it while it is out of the tree */
	dentry_detach(d);
	free(d->name);
	d->name = copy;
	dentry_get(parent);
	d->parent = parent;
	dentry_attach(d);
	dentry_put(d);
	dentry_put(oldp);
	return 0;
}

static bool is_ancestor(struct dentry *anc, struct dentry *d)
{
	for (; d; d = d->parent)
		if (d == anc)
			return true;
	return false;
}

struct rename_side {
	struct nameidata nd;
	struct last l;
	struct dentry *d;
};

static int rename_checks(struct rename_side *o, struct rename_side *n, unsigned int flags)
{
	struct inode *src;
	bool is_dir;
	int r;

	if (o->l.type != LAST_NORM || n->l.type != LAST_NORM)
		return -EBUSY;
	if (o->nd.cur.mnt != n->nd.cur.mnt)
		return -EXDEV;
	if ((r = parent_may_lookup(&o->nd)) < 0 || (r = parent_may_lookup(&n->nd)) < 0)
		return r;
	if ((r = find_child(&o->nd, &o->l, &o->d)) < 0)
		return r;
	if (!o->d)
		return -ENOENT;
	if ((r = find_child(&n->nd, &n->l, &n->d)) < 0)
		return r;
	if (n->d && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	if (!n->d && (flags & RENAME_EXCHANGE))
		return -ENOENT;
	src = o->d->inode;
	is_dir = S_ISDIR(src->mode);
	if (!is_dir && (o->l.trailing || (n->l.trailing && !(flags & RENAME_EXCHANGE))))
		return -ENOTDIR;
	if (flags & RENAME_EXCHANGE && n->l.trailing && !S_ISDIR(n->d->inode->mode))
		return -ENOTDIR;
	/* Moving a directory under itself; or replacing an ancestor of the source. */
	if (is_ancestor(o->d, n->nd.cur.dentry))
		return -EINVAL;
	if (n->d && is_ancestor(n->d, o->nd.cur.dentry))
		return (flags & RENAME_EXCHANGE) ? -EINVAL : -ENOTEMPTY;
	if (mount_readonly(o->nd.cur.mnt))
		return -EROFS;
	if (n->d && n->d->inode == src)
		return 1; /* same file: nothing to do, success */
	if ((r = may_delete(o->nd.cr, o->nd.cur.dentry, o->d, is_dir)) < 0)
		return r;
	if (n->d)
		r = may_delete(n->nd.cr, n->nd.cur.dentry, n->d,
			       (flags & RENAME_EXCHANGE) ? S_ISDIR(n->d->inode->mode) : is_dir);
	else
		r = may_create(n->nd.cr, n->nd.cur.dentry);
	if (r < 0)
		return r;
	if (o->d->mounted)
		return -EBUSY;
	/* A directory changing parent rewrites its "..": Linux wants write permission on it. */
	if (o->nd.cur.dentry != n->nd.cur.dentry) {
		if (is_dir && (r = vfs_permission(o->nd.cr, src, MAY_WRITE)) < 0)
			return r;
		if ((flags & RENAME_EXCHANGE) && S_ISDIR(n->d->inode->mode) &&
		    (r = vfs_permission(o->nd.cr, n->d->inode, MAY_WRITE)) < 0)
			return r;
	}
	return 0;
}

static int rename_apply(struct rename_side *o, struct rename_side *n, unsigned int flags)
{
	struct inode *odir = o->nd.cur.dentry->inode, *ndir = n->nd.cur.dentry->inode;
	struct dentry *op = o->nd.cur.dentry, *np = n->nd.cur.dentry;
	char *oname;
	int r;

	if (!odir->ops->rename)
		return -EPERM;
	if (n->d) {
		r = odir->ops->rename(odir, o->d, ndir, n->d, flags);
	} else {
		/* A negative dentry names the target for filesystems that need it (gofer). */
		struct dentry *neg;
		r = dentry_new(np, n->l.name, n->l.len, &neg);
		if (r < 0)
			return r;
		r = odir->ops->rename(odir, o->d, ndir, neg, flags);
		dentry_put(neg);
	}
	if (r < 0)
		return r;
	if (flags & RENAME_EXCHANGE) {
		oname = strdup(o->d->name);
		if (!oname)
			return -ENOMEM;
		r = dentry_move(o->d, np, n->l.name, n->l.len);
		if (r == 0)
			r = dentry_move(n->d, op, oname, strlen(oname));
		free(oname);
		return r;
	}
	if (n->d)
		dentry_detach(n->d);
	return dentry_move(o->d, np, n->l.name, n->l.len);
}

int vfs_rename(const struct vfs_start *os, const char *opath, const struct vfs_start *ns,
	       const char *npath, unsigned int flags)
{
	struct rename_side o = { .d = NULL }, n = { .d = NULL };
	int r;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	if (flags & RENAME_WHITEOUT)
		return -EINVAL; /* tmpfs has no whiteouts without overlay */
	pthread_mutex_lock(&vfs_tree_mu);
	nd_init(&o.nd, os);
	nd_init(&n.nd, ns);
	r = walk_parent(&o.nd, opath, &o.l);
	if (r == 0)
		r = walk_parent(&n.nd, npath, &n.l);
	if (r == 0)
		r = rename_checks(&o, &n, flags);
	if (r == 0)
		r = rename_apply(&o, &n, flags);
	if (r > 0)
		r = 0;
	if (o.d)
		dentry_put(o.d);
	if (n.d)
		dentry_put(n.d);
	nd_done(&o.nd);
	nd_done(&n.nd);
	pthread_mutex_unlock(&vfs_tree_mu);
	return r;
}

int vfs_readlink(const struct vfs_start *s, const char *path, int flags, char **out)
{
	struct path p;
	struct inode *ino;
	int r = vfs_lookup(s, path, flags & LOOKUP_EMPTY, &p);

	if (r < 0)
		return r;
	ino = p.dentry->inode;
	if (!S_ISLNK(ino->mode) || !ino->ops->get_link) {
		r = -EINVAL;
	} else {
		/* get_link runs with the tree locked, as in a walk: procfs reads dentry names. */
		pthread_mutex_lock(&vfs_tree_mu);
		r = ino->ops->get_link(ino, out);
		pthread_mutex_unlock(&vfs_tree_mu);
	}
	path_put(&p);
	return r;
}
