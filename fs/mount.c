// SPDX-License-Identifier: Apache-2.0
/* Mounts and the mount table; struct path references; the sandbox's root filesystem. */
#include "fs/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Every mount with a parent; protected by vfs_tree_mu. Short: a list is enough. */
static struct mount *mount_table;

int mount_new(struct dentry *root, struct mount *parent, struct dentry *mountpoint,
	      struct mount **out)
{
	struct mount *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	refcount_init(&m->ref);
	dentry_get(root);
	m->root = root;
	if (parent) {
		mount_get(parent);
		dentry_get(mountpoint);
		m->parent = parent;
		m->mountpoint = mountpoint;
		pthread_mutex_lock(&vfs_tree_mu);
		/* The table holds its own reference: a mount lives until unmounted. */
		mount_get(m);
		mountpoint->mounted++;
		m->next_mount = mount_table;
		mount_table = m;
		pthread_mutex_unlock(&vfs_tree_mu);
	}
	*out = m;
	return 0;
}

void vfs_for_each_mount(void (*fn)(struct mount *m, void *arg), void *arg)
{
	struct mount *v[256];
	int n = 0;

	pthread_mutex_lock(&vfs_tree_mu);
	/* The table is newest first; /proc/mounts lists oldest first. */
	for (struct mount *m = mount_table; m && n < 256; m = m->next_mount)
		v[n++] = m;
	while (n > 0)
		fn(v[--n], arg);
	pthread_mutex_unlock(&vfs_tree_mu);
}

void mount_get(struct mount *m)
{
	refcount_inc(&m->ref);
}

void mount_put(struct mount *m)
{
	if (!refcount_dec(&m->ref))
		return;
	/* A bind shows part of another mount's tree: that mount prunes it, not the bind. */
	if (!m->bind_of) {
		pthread_mutex_lock(&vfs_tree_mu);
		dentry_prune(m->root);
		pthread_mutex_unlock(&vfs_tree_mu);
	}
	dentry_put(m->root);
	if (m->bind_of)
		mount_put(m->bind_of);
	if (m->parent) {
		dentry_put(m->mountpoint);
		mount_put(m->parent);
	}
	free(m);
}

void mount_detach(struct mount *m)
{
	pthread_mutex_lock(&vfs_tree_mu);
	for (struct mount **pp = &mount_table; *pp; pp = &(*pp)->next_mount) {
		if (*pp == m) {
			*pp = m->next_mount;
			m->mountpoint->mounted--;
			break;
		}
	}
	pthread_mutex_unlock(&vfs_tree_mu);
	mount_put(m);
}

struct mount *mount_lookup(struct mount *parent, struct dentry *d)
{
	for (struct mount *m = mount_table; m; m = m->next_mount)
		if (m->parent == parent && m->mountpoint == d)
			return m;
	return NULL;
}

int mount_new_bind(const struct path *src, const struct path *target, bool readonly,
		   struct mount **out)
{
	struct mount *m, *owner = src->mnt;
	int r;

	/* Bind of a bind: share the owner so chains never prune. */
	while (owner->bind_of)
		owner = owner->bind_of;
	r = mount_new(src->dentry, target->mnt, target->dentry, &m);
	if (r < 0)
		return r;
	mount_get(owner);
	m->bind_of = owner;
	m->readonly = readonly;
	*out = m;
	return 0;
}

int mount_umount(struct mount *m, bool detach, long holders)
{
	int r = 0;

	pthread_mutex_lock(&vfs_tree_mu);
	if (!m->parent) {
		r = -EINVAL;
		goto out;
	}
	for (struct mount *c = mount_table; c; c = c->next_mount) {
		if (c->parent == m) {
			r = -EBUSY;
			goto out;
		}
	}
	/* The table's reference and the caller's: anything more is an open file or a cwd. */
	if (!detach && atomic_load(&m->ref.n) > holders + 1) {
		r = -EBUSY;
		goto out;
	}
	r = -EINVAL; /* unless still in the table (a lazy umount may have taken it out) */
	for (struct mount *c = mount_table; c; c = c->next_mount)
		if (c == m)
			r = 0;
out:
	pthread_mutex_unlock(&vfs_tree_mu);
	if (r == 0)
		mount_detach(m);
	return r;
}

void path_get(const struct path *p)
{
	mount_get(p->mnt);
	dentry_get(p->dentry);
}

void path_put(struct path *p)
{
	dentry_put(p->dentry);
	mount_put(p->mnt);
	p->dentry = NULL;
	p->mnt = NULL;
}

int vfs_mount_root(uint32_t uid, uint32_t gid, struct mount **out)
{
	struct vfs_cred root_cred = { .uid = uid, .gid = gid };
	struct dentry *root;
	struct vfs_start s = { 0 };
	int r;

	r = tmpfs_new_root(0755, uid, gid, &root);
	if (r < 0)
		return r;
	r = mount_new(root, NULL, NULL, out);
	dentry_put(root);
	if (r < 0)
		return r;
	s.cr = &root_cred;
	s.root.mnt = s.start.mnt = *out;
	s.root.dentry = s.start.dentry = (*out)->root;
	/* mkdir applies the mode as given: 1777 like every Linux /tmp. */
	r = vfs_mkdir(&s, "/tmp", 01777);
	if (r < 0) {
		mount_put(*out);
		return r;
	}
	return 0;
}
