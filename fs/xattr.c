// SPDX-License-Identifier: Apache-2.0
/*
 * Extended attributes: the VFS half of Linux's fs/xattr.c (namespaces, xattr_permission,
 * read-only mounts) and simple_xattrs, the in-memory list tmpfs keeps. Filesystems only
 * store: the inode ops see names already checked.
 */
#include "fs/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#define PFX_USER "user."
#define PFX_TRUSTED "trusted."
#define PFX_SECURITY "security."
#define PFX_SYSTEM "system."

static bool has_prefix(const char *name, const char *pfx)
{
	return !strncmp(name, pfx, strlen(pfx));
}

/*
 * Linux's xattr_resolve_name: a known namespace with a non-empty suffix. system.* holds
 * only POSIX ACLs, which no filesystem here keeps: -EOPNOTSUPP like a filesystem without
 * ACL support.
 */
static int xattr_check_namespace(const char *name)
{
	static const char *const known[] = { PFX_USER, PFX_TRUSTED, PFX_SECURITY };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (has_prefix(name, known[i]))
			return name[strlen(known[i])] ? 0 : -EINVAL;
	}
	return -EOPNOTSUPP;
}

/* Linux's xattr_permission (+ the capability module's security.* rule for writes). */
static int xattr_permission(const struct vfs_xattr_who *w, struct inode *ino, const char *name,
			    int mask)
{
	uint32_t mode = ino->mode;

	if (has_prefix(name, PFX_SECURITY) || has_prefix(name, PFX_SYSTEM)) {
		if ((mask & MAY_WRITE) && has_prefix(name, PFX_SECURITY) && !w->admin)
			return -EPERM;
		return 0;
	}
	if (has_prefix(name, PFX_TRUSTED)) {
		if (!w->admin)
			return (mask & MAY_WRITE) ? -EPERM : -ENODATA;
		return 0;
	}
	if (has_prefix(name, PFX_USER)) {
		if (!S_ISREG(mode) && !S_ISDIR(mode))
			return (mask & MAY_WRITE) ? -EPERM : -ENODATA;
		if (S_ISDIR(mode) && (mode & S_ISVTX) && (mask & MAY_WRITE) && !w->fowner &&
		    w->cr->uid != ino->uid)
			return -EPERM;
	}
	return vfs_permission(w->cr, ino, mask);
}

ssize_t vfs_getxattr(const struct vfs_xattr_who *w, const struct path *p, const char *name,
		     void *buf, size_t size)
{
	struct inode *ino = p->dentry->inode;
	int r = xattr_permission(w, ino, name, MAY_READ);

	if (r < 0)
		return r;
	r = xattr_check_namespace(name);
	if (r < 0)
		return r;
	if (!ino->ops->getxattr)
		return -EOPNOTSUPP;
	return ino->ops->getxattr(ino, name, buf, size);
}

/* Without CAP_SYS_ADMIN trusted.* names are not listed (Linux's simple_xattr_list). */
static ssize_t filter_trusted(char *buf, ssize_t len)
{
	ssize_t out = 0;

	for (ssize_t i = 0; i < len;) {
		size_t n = strlen(buf + i) + 1;
		if (!has_prefix(buf + i, PFX_TRUSTED)) {
			memmove(buf + out, buf + i, n);
			out += (ssize_t)n;
		}
		i += (ssize_t)n;
	}
	return out;
}

ssize_t vfs_listxattr(const struct vfs_xattr_who *w, const struct path *p, char *buf,
		      size_t size)
{
	struct inode *ino = p->dentry->inode;
	char *all;
	ssize_t n;

	if (!ino->ops->listxattr)
		return 0; /* Linux: no listxattr op and no LSM: an empty list */
	if (w->admin)
		return ino->ops->listxattr(ino, buf, size);
	/* The filtered list may be shorter than the whole: list everything, then filter. */
	n = ino->ops->listxattr(ino, NULL, 0);
	if (n <= 0)
		return n;
	all = malloc((size_t)n + 1);
	if (!all)
		return -ENOMEM;
	n = ino->ops->listxattr(ino, all, (size_t)n);
	if (n > 0) {
		all[n] = '\0'; /* a malformed list (a gofer's) cannot run past the buffer */
		n = filter_trusted(all, n);
		if (size && (size_t)n > size)
			n = -ERANGE;
		else if (size)
			memcpy(buf, all, (size_t)n);
	}
	free(all);
	return n;
}

/* The checks of set and remove, in Linux's order: read-only mount, permission, namespace. */
static int xattr_may_change(const struct vfs_xattr_who *w, const struct path *p,
			    const char *name)
{
	int r;

	if (mount_readonly(p->mnt))
		return -EROFS;
	r = xattr_permission(w, p->dentry->inode, name, MAY_WRITE);
	return r < 0 ? r : xattr_check_namespace(name);
}

/* A changed attribute is a change of the inode: ctime. */
static int xattr_changed(struct inode *ino, int r)
{
	if (r == 0) {
		pthread_mutex_lock(&ino->mu);
		inode_touch(ino, ATTR_CTIME);
		pthread_mutex_unlock(&ino->mu);
	}
	return r;
}

int vfs_setxattr(const struct vfs_xattr_who *w, const struct path *p, const char *name,
		 const void *value, size_t size, int flags)
{
	struct inode *ino = p->dentry->inode;
	int r = xattr_may_change(w, p, name);

	if (r < 0)
		return r;
	if (!ino->ops->setxattr)
		return -EOPNOTSUPP;
	return xattr_changed(ino, ino->ops->setxattr(ino, name, value, size, flags));
}

int vfs_removexattr(const struct vfs_xattr_who *w, const struct path *p, const char *name)
{
	struct inode *ino = p->dentry->inode;
	int r = xattr_may_change(w, p, name);

	if (r < 0)
		return r;
	if (!ino->ops->removexattr)
		return -EOPNOTSUPP;
	return xattr_changed(ino, ino->ops->removexattr(ino, name));
}

/* ---- simple_xattrs: a list in insertion order ---- */

struct simple_xattr {
	struct simple_xattr *next;
	char *name;
	size_t size;
	char value[];
};

static struct simple_xattr **sx_find(struct simple_xattrs *xs, const char *name)
{
	struct simple_xattr **pp = &xs->head;

	while (*pp && strcmp((*pp)->name, name))
		pp = &(*pp)->next;
	return pp;
}

ssize_t simple_xattr_get(struct simple_xattrs *xs, const char *name, void *buf, size_t size)
{
	struct simple_xattr *x = *sx_find(xs, name);

	if (!x)
		return -ENODATA;
	if (size) {
		if (x->size > size)
			return -ERANGE;
		memcpy(buf, x->value, x->size);
	}
	return (ssize_t)x->size;
}

ssize_t simple_xattr_list(struct simple_xattrs *xs, char *buf, size_t size)
{
	size_t total = 0;

	for (struct simple_xattr *x = xs->head; x; x = x->next) {
		size_t n = strlen(x->name) + 1;
		if (size) {
			if (total + n > size)
				return -ERANGE;
			memcpy(buf + total, x->name, n);
		}
		total += n;
	}
	return (ssize_t)total;
}

int simple_xattr_set(struct simple_xattrs *xs, const char *name, const void *value,
		     size_t size, int flags)
{
	struct simple_xattr **pp = sx_find(xs, name), *x;

	if (*pp && (flags & XATTR_CREATE))
		return -EEXIST;
	if (!*pp && (flags & XATTR_REPLACE))
		return -ENODATA;
	x = malloc(sizeof(*x) + size);
	if (!x)
		return -ENOMEM;
	x->name = strdup(name);
	if (!x->name) {
		free(x);
		return -ENOMEM;
	}
	x->size = size;
	if (size)
		memcpy(x->value, value, size);
	if (*pp) {
		/* Replace in place: the list keeps its order. */
		struct simple_xattr *old = *pp;
		x->next = old->next;
		*pp = x;
		free(old->name);
		free(old);
	} else {
		x->next = NULL;
		*pp = x;
	}
	return 0;
}

int simple_xattr_remove(struct simple_xattrs *xs, const char *name)
{
	struct simple_xattr **pp = sx_find(xs, name), *x = *pp;

	if (!x)
		return -ENODATA;
	*pp = x->next;
	free(x->name);
	free(x);
	return 0;
}

void simple_xattrs_free(struct simple_xattrs *xs)
{
	while (xs->head) {
		struct simple_xattr *x = xs->head;
		xs->head = x->next;
		free(x->name);
		free(x);
	}
}
