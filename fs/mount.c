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

/* Lazily unmount every mount under @m, deepest first (umount -l of a tree, Linux's
 * umount_tree). Preconditions: vfs_tree_mu. */
static void detach_submounts(struct mount *m)
{
	for (;;) {
		struct mount *c = mount_table;

		while (c && c->parent != m)
			c = c->next_mount;
		if (!c)
			return;
		mount_get(c);
		detach_submounts(c);
		mount_detach(c);
		mount_put(c);
	}
}

static bool dentry_under(struct dentry *d, struct dentry *anc)
{
	for (; d; d = d->parent)
		if (d == anc)
			return true;
	return false;
}

/*
 * The mounts on @m whose mountpoint is at or under @top, skipping @skip: a malloc'd array
 * of new references in *out. Preconditions: vfs_tree_mu.
 */
static int submounts(struct mount *m, struct dentry *top, struct mount *skip,
		     struct mount ***out, size_t *n)
{
	struct mount **v = NULL;
	size_t cnt = 0, cap = 0;

	for (struct mount *c = mount_table; c; c = c->next_mount) {
		if (c->parent != m || c == skip || !dentry_under(c->mountpoint, top))
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 8;
			struct mount **nv = realloc(v, nc * sizeof(*nv));
			if (!nv) {
				for (size_t i = 0; i < cnt; i++)
					mount_put(v[i]);
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = nc;
		}
		mount_get(c);
		v[cnt++] = c;
	}
	/* The table is newest first: copy oldest first so stacked mounts keep their order. */
	for (size_t i = 0; i < cnt / 2; i++) {
		struct mount *x = v[i];
		v[i] = v[cnt - 1 - i];
		v[cnt - 1 - i] = x;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/*
 * Copy the submounts @subs of @src onto the bind @dst (which shows the same dentries), then
 * theirs (Linux's copy_tree for MS_REC). @top: the first bind, never copied into itself.
 */
static int rbind_copy(struct mount **subs, size_t n, struct mount *dst, struct mount *top)
{
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		struct mount *c = subs[i], *copy, **inner;
		struct path src = { c, c->root }, at = { dst, c->mountpoint };
		size_t ninner;

		r = submounts(c, c->root, top, &inner, &ninner);
		if (r < 0)
			break;
		r = mount_new_bind(&src, &at, c->readonly, &copy);
		if (r == 0) {
			r = rbind_copy(inner, ninner, copy, top);
			mount_put(copy); /* the table keeps it */
		}
		for (size_t j = 0; j < ninner; j++)
			mount_put(inner[j]);
		free(inner);
	}
	return r;
}

int mount_new_rbind(const struct path *src, const struct path *target, struct mount **out)
{
	struct mount **subs, *m;
	size_t n;
	int r;

	pthread_mutex_lock(&vfs_tree_mu);
	/* The submounts as they are before the bind, which may land inside the source. */
	r = submounts(src->mnt, src->dentry, NULL, &subs, &n);
	if (r < 0)
		goto out;
	r = mount_new_bind(src, target, false, &m);
	if (r == 0) {
		r = rbind_copy(subs, n, m, m);
		if (r < 0) {
			/* All or nothing, as Linux: take the partial copy away again. */
			detach_submounts(m);
			mount_detach(m);
			mount_put(m);
		} else {
			*out = m;
		}
	}
	for (size_t i = 0; i < n; i++)
		mount_put(subs[i]);
	free(subs);
out:
	pthread_mutex_unlock(&vfs_tree_mu);
	return r;
}

int mount_umount(struct mount *m, bool detach, long holders)
{
	int r = 0;

	pthread_mutex_lock(&vfs_tree_mu);
	if (!m->parent) {
		r = -EINVAL;
		goto out;
	}
	for (struct mount *c = mount_table; c && !detach; c = c->next_mount) {
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
	if (r == 0 && detach)
		detach_submounts(m);
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
