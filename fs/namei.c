// SPDX-License-Identifier: Apache-2.0
/*
 * The path walk (Linux's fs/namei.c, simplified): component by component from the root or a
 * start directory, with ".", ".." (never above the caller's root, crossing mounts), symlinks
 * (40 in all), trailing slashes, and a search-permission check on every directory.
 */
#include "fs/namei_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void nd_init(struct nameidata *nd, const struct vfs_start *s)
{
	nd->cr = s->cr;
	nd->root = s->root;
	nd->cur = s->start;
	path_get(&nd->cur);
	nd->links = 0;
	nd->resolve = s->resolve;
	nd->beneath = s->start;
	nd->xdev = s->start.mnt;
	nd->magic_file = NULL;
	if (s->resolve & VFS_RESOLVE_IN_ROOT)
		nd->root = s->start; /* "/" and ".." stop at the start, like a chroot */
}

void nd_done(struct nameidata *nd)
{
	if (nd->cur.dentry)
		path_put(&nd->cur);
	if (nd->magic_file) {
		file_put(nd->magic_file);
		nd->magic_file = NULL;
	}
}

/* RESOLVE_NO_XDEV: every step must stay on the start's mount. */
static int xdev_check(const struct nameidata *nd)
{
	if ((nd->resolve & VFS_RESOLVE_NO_XDEV) && nd->cur.mnt != nd->xdev)
		return -EXDEV;
	return 0;
}

static void nd_set(struct nameidata *nd, struct mount *m, struct dentry *d)
{
	struct path old = nd->cur;

	mount_get(m);
	dentry_get(d);
	nd->cur.mnt = m;
	nd->cur.dentry = d;
	path_put(&old);
}

/* Go down through every mount stacked on nd->cur (Linux's follow_mount). */
static void cross_mounts(struct nameidata *nd)
{
	struct mount *m;

	while (nd->cur.dentry->mounted && (m = mount_lookup(nd->cur.mnt, nd->cur.dentry)))
		nd_set(nd, m, m->root);
}

/* "..": stay at the caller's root; at a mount's root, climb to its mountpoint first. */
static int follow_dotdot(struct nameidata *nd)
{
	/* RESOLVE_BENEATH: climbing out of the start is an error, not a clamp. */
	if ((nd->resolve & VFS_RESOLVE_BENEATH) && path_equal(&nd->cur, &nd->beneath))
		return -EXDEV;
	for (;;) {
		if (path_equal(&nd->cur, &nd->root))
			return 0;
		if (nd->cur.dentry != nd->cur.mnt->root)
			break;
		if (!nd->cur.mnt->parent)
			return 0; /* the namespace root: ".." is itself */
		nd_set(nd, nd->cur.mnt->parent, nd->cur.mnt->mountpoint);
	}
	if (nd->cur.dentry->parent)
		nd_set(nd, nd->cur.mnt, nd->cur.dentry->parent);
	cross_mounts(nd);
	return xdev_check(nd);
}

int parent_may_lookup(struct nameidata *nd)
{
	struct inode *dir = nd->cur.dentry->inode;

	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	return vfs_permission(nd->cr, dir, MAY_EXEC);
}

/* The child @name of directory @dir from the tree or the filesystem; a new reference. */
static int lookup_child(struct dentry *dir, const char *name, size_t len, bool cached_only,
			struct dentry **out)
{
	struct dentry *d = dentry_child(dir, name, len);
	int r;

	if (d && d->inode && d->inode->ops->revalidate && !d->mounted &&
	    !d->inode->ops->revalidate(d)) {
		dentry_prune(d);
		dentry_detach(d); /* gone from the tree; holders keep it alive, dead */
		d = NULL;
	}
	if (d) {
		dentry_touch(d);
		dentry_get(d);
		*out = d;
		return 0;
	}
	if (!dir->inode->ops->lookup || dir->dead)
		return -ENOENT;
	if (cached_only)
		return -EAGAIN; /* RESOLVE_CACHED: the filesystem would have to be asked */
	r = dentry_new(dir, name, len, &d);
	if (r < 0)
		return r;
	r = dir->inode->ops->lookup(dir->inode, d);
	if (r < 0) {
		dentry_put(d);
		return r;
	}
	dentry_attach(d);
	*out = d;
	return 0;
}

int find_child(struct nameidata *nd, const struct last *l, struct dentry **out)
{
	int r = lookup_child(nd->cur.dentry, l->name, l->len, nd->resolve & VFS_RESOLVE_CACHED,
			     out);

	if (r == -ENOENT) {
		*out = NULL;
		return 0;
	}
	return r;
}

int read_link_body(struct nameidata *nd, struct dentry *link, char **body)
{
	struct inode *ino = link->inode;

	if (nd->resolve & VFS_RESOLVE_NO_SYMLINKS)
		return -ELOOP;
	if (++nd->links > VFS_MAXSYMLINKS)
		return -ELOOP;
	if (!ino->ops->get_link)
		return -EINVAL;
	return ino->ops->get_link(ino, body);
}

static int link_path_walk(struct nameidata *nd, const char *p, struct last *l);

int follow_magic(struct nameidata *nd, struct dentry *link)
{
	struct inode *ino = link->inode;
	struct path target = { 0 };
	struct file *f = NULL;
	int r;

	if (!ino->ops->magic)
		return 0;
	r = ino->ops->magic(ino, &target, &f);
	if (r == -ENOSYS)
		return 0;
	if (r < 0)
		return r;
	if (nd->resolve & (VFS_RESOLVE_NO_MAGICLINKS | VFS_RESOLVE_NO_SYMLINKS))
		r = -ELOOP;
	else if (nd->resolve & (VFS_RESOLVE_BENEATH | VFS_RESOLVE_IN_ROOT))
		r = -EXDEV; /* a jump can land anywhere: never inside a scoped walk */
	else if (++nd->links > VFS_MAXSYMLINKS)
		r = -ELOOP;
	if (r < 0) {
		if (target.dentry)
			path_put(&target);
		if (f)
			file_put(f);
		return r;
	}
	if (target.dentry) {
		struct path old = nd->cur;
		nd->cur = target; /* the references move */
		path_put(&old);
		r = xdev_check(nd);
		return r < 0 ? r : 1;
	}
	nd->magic_file = f;
	return 1;
}

/* nd->cur is the directory holding @link: continue the walk through the link's target. */
static int follow_link(struct nameidata *nd, struct dentry *link)
{
	struct last l;
	char *body;
	int r;

	r = read_link_body(nd, link, &body);

	if (r < 0)
		return r;
	if (!body[0])
		r = -ENOENT;
	else
		r = link_path_walk(nd, body, &l);
	if (r == 0)
		r = walk_last(nd, &l, true);
	free(body);
	return r;
}

/* One component: nd->cur becomes the child (following a symlink when @follow). */
static int walk_one(struct nameidata *nd, const char *name, size_t len, bool follow)
{
	struct dentry *d;
	struct path old;
	int r = parent_may_lookup(nd);

	if (r < 0)
		return r;
	if (len == 1 && name[0] == '.')
		return 0;
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return follow_dotdot(nd);
	r = lookup_child(nd->cur.dentry, name, len, nd->resolve & VFS_RESOLVE_CACHED, &d);
	if (r < 0)
		return r;
	if (follow && S_ISLNK(d->inode->mode)) {
		r = follow_magic(nd, d);
		if (r == 0)
			r = follow_link(nd, d);
		dentry_put(d);
		return r < 0 ? r : 0;
	}
	old = nd->cur;
	mount_get(old.mnt);
	nd->cur.dentry = d; /* the reference from lookup_child moves here */
	path_put(&old);
	cross_mounts(nd);
	return xdev_check(nd);
}

/* Walk all but the last component of @p from nd->cur (or the root when @p is absolute). */
static int link_path_walk(struct nameidata *nd, const char *p, struct last *l)
{
	if (*p == '/') {
		if (nd->resolve & VFS_RESOLVE_BENEATH)
			return -EXDEV; /* an absolute path or symlink leaves the start */
		nd_set(nd, nd->root.mnt, nd->root.dentry);
		if (xdev_check(nd) < 0)
			return -EXDEV;
		while (*p == '/')
			p++;
	}
	if (!*p) {
		l->type = LAST_ROOT;
		l->name = p;
		l->len = 0;
		l->trailing = false;
		return 0;
	}
	for (;;) {
		const char *name = p;
		size_t len = strcspn(p, "/");
		bool trailing = false;
		int r;

		if (len > VFS_NAME_MAX)
			return -ENAMETOOLONG;
		p += len;
		while (*p == '/') {
			p++;
			trailing = true;
		}
		if (!*p) {
			l->name = name;
			l->len = len;
			l->trailing = trailing;
			if (len == 1 && name[0] == '.')
				l->type = LAST_DOT;
			else if (len == 2 && name[0] == '.' && name[1] == '.')
				l->type = LAST_DOTDOT;
			else
				l->type = LAST_NORM;
			return 0;
		}
		r = walk_one(nd, name, len, true);
		if (r < 0)
			return r;
		if (nd->magic_file)
			return -ENOTDIR; /* a pipe or socket has nothing below it */
	}
}

int walk_parent(struct nameidata *nd, const char *path, struct last *l)
{
	if (!*path)
		return -ENOENT;
	return link_path_walk(nd, path, l);
}

int walk_last(struct nameidata *nd, const struct last *l, bool follow)
{
	int r;

	if (l->type == LAST_ROOT)
		return 0;
	r = walk_one(nd, l->name, l->len, follow || l->trailing);
	if (r < 0)
		return r;
	if (nd->magic_file)
		return l->trailing ? -ENOTDIR : 0;
	if (l->trailing && !S_ISDIR(nd->cur.dentry->inode->mode))
		return -ENOTDIR;
	return 0;
}

int may_create(const struct vfs_cred *cr, struct dentry *dir)
{
	if (dir->dead)
		return -ENOENT;
	return vfs_permission(cr, dir->inode, MAY_WRITE | MAY_EXEC);
}

int vfs_lookup(const struct vfs_start *s, const char *path, int flags, struct path *out)
{
	return vfs_lookup_file(s, path, flags, out, NULL);
}

int vfs_lookup_file(const struct vfs_start *s, const char *path, int flags, struct path *out,
		    struct file **fout)
{
	struct nameidata nd;
	struct last l;
	int r = 0;

	pthread_mutex_lock(&vfs_tree_mu);
	nd_init(&nd, s);
	if (!*path) {
		if (!(flags & LOOKUP_EMPTY))
			r = -ENOENT;
	} else {
		r = link_path_walk(&nd, path, &l);
		if (r == 0)
			r = walk_last(&nd, &l, flags & LOOKUP_FOLLOW);
	}
	if (r == 0 && nd.magic_file) {
		if (flags & LOOKUP_DIRECTORY)
			r = -ENOTDIR;
		else if (!fout)
			r = -ENXIO;
		else {
			*fout = nd.magic_file;
			nd.magic_file = NULL;
			out->mnt = NULL;
			out->dentry = NULL;
		}
		nd_done(&nd);
		pthread_mutex_unlock(&vfs_tree_mu);
		return r;
	}
	if (r == 0 && (flags & LOOKUP_DIRECTORY) && !S_ISDIR(nd.cur.dentry->inode->mode))
		r = -ENOTDIR;
	if (r == 0) {
		*out = nd.cur;
		nd.cur.dentry = NULL;
		nd.cur.mnt = NULL;
	}
	nd_done(&nd);
	pthread_mutex_unlock(&vfs_tree_mu);
	return r;
}

/*
 * getcwd: names from @p up to @root, crossing mount points (Linux's prepend_path). A path
 * that is not below @root gets Linux's "(unreachable)" prefix.
 */
int vfs_path_string(const struct path *root, const struct path *p, char *buf, size_t size)
{
	int r;

	pthread_mutex_lock(&vfs_tree_mu);
	r = vfs_path_string_locked(root, p, buf, size);
	pthread_mutex_unlock(&vfs_tree_mu);
	return r;
}

int vfs_path_string_locked(const struct path *root, const struct path *p, char *buf,
			   size_t size)
{
	struct mount *m = p->mnt;
	struct dentry *d = p->dentry;
	size_t pos = size;
	bool reachable = true;
	int r = 0;

	if (size == 0)
		return -ERANGE;
	if (d->dead) {
		r = -ENOENT;
		goto out;
	}
	buf[--pos] = '\0';
	for (;;) {
		if (m == root->mnt && d == root->dentry)
			break;
		if (d == m->root) {
			if (!m->parent) {
				reachable = false;
				break;
			}
			d = m->mountpoint;
			m = m->parent;
			continue;
		}
		size_t len = strlen(d->name);
		if (pos < len + 1) {
			r = -ERANGE;
			goto out;
		}
		pos -= len;
		memcpy(buf + pos, d->name, len);
		buf[--pos] = '/';
		d = d->parent;
	}
	if (pos == size - 1) {
		if (pos < 1) {
			r = -ERANGE;
			goto out;
		}
		buf[--pos] = '/';
	}
	if (!reachable) {
		static const char unreach[] = "(unreachable)";
		if (pos < sizeof(unreach) - 1) {
			r = -ERANGE;
			goto out;
		}
		pos -= sizeof(unreach) - 1;
		memcpy(buf + pos, unreach, sizeof(unreach) - 1);
	}
	memmove(buf, buf + pos, size - pos);
	r = (int)(size - pos - 1);
out:
	return r;
}
