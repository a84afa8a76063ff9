// SPDX-License-Identifier: Apache-2.0
/* Dentries: the name tree, its references, and the child lists getdents walks. */
#include "fs/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Recursive: the overlay copies up from inside operations that already hold it. */
pthread_mutex_t vfs_tree_mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

/*
 * The LRU of evictable dentries, oldest first (protected by vfs_tree_mu). A cached gofer name
 * costs the gofer two fds (the file's and its parent's); 4096 names keep it far below its fd
 * limit while covering the working set of a build or a package manager.
 */
size_t dcache_high_water = 4096;
atomic_bool dcache_over;
static struct dentry *lru_head, *lru_tail;
static size_t lru_count;

static void lru_add(struct dentry *d)
{
	d->lru_prev = lru_tail;
	d->lru_next = NULL;
	if (lru_tail)
		lru_tail->lru_next = d;
	else
		lru_head = d;
	lru_tail = d;
	d->on_lru = true;
	if (++lru_count > dcache_high_water)
		atomic_store_explicit(&dcache_over, true, memory_order_relaxed);
}

static void lru_del(struct dentry *d)
{
	if (d->lru_prev)
		d->lru_prev->lru_next = d->lru_next;
	else
		lru_head = d->lru_next;
	if (d->lru_next)
		d->lru_next->lru_prev = d->lru_prev;
	else
		lru_tail = d->lru_prev;
	d->lru_prev = d->lru_next = NULL;
	d->on_lru = false;
	lru_count--;
}

void dentry_touch(struct dentry *d)
{
	if (d->on_lru && d != lru_tail) {
		lru_del(d);
		lru_add(d);
	}
}

/* Unused: only the tree holds @d and only @d holds its inode; nothing hangs below it. */
static bool dentry_unused(struct dentry *d)
{
	struct inode *ino = d->inode;

	return atomic_load(&d->ref.n) == 1 && !d->first && !d->mounted && ino &&
	       atomic_load(&ino->ref.n) == 1 && ino->ops->evictable && ino->ops->evictable(d);
}

size_t dcache_shrink(void)
{
	size_t evicted = 0, budget;

	pthread_mutex_lock(&vfs_tree_mu);
	/* One pass over the list at most: entries in use move to the tail. A directory whose
	 * children go in this pass is reached again in a later one. */
	budget = lru_count;
	while (lru_count > dcache_high_water / 4 * 3 && budget-- > 0) {
		struct dentry *d = lru_head;

		if (dentry_unused(d)) {
			dentry_detach(d); /* the last reference: frees it, clunks its fid */
			evicted++;
		} else {
			lru_del(d);
			lru_add(d);
		}
	}
	atomic_store_explicit(&dcache_over, lru_count > dcache_high_water, memory_order_relaxed);
	pthread_mutex_unlock(&vfs_tree_mu);
	return evicted;
}

size_t dcache_count(void)
{
	size_t n;

	pthread_mutex_lock(&vfs_tree_mu);
	n = lru_count;
	pthread_mutex_unlock(&vfs_tree_mu);
	return n;
}

int dentry_new(struct dentry *parent, const char *name, size_t len, struct dentry **out)
{
	struct dentry *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->name = strndup(name, len);
	if (!d->name) {
		free(d);
		return -ENOMEM;
	}
	refcount_init(&d->ref);
	d->parent = parent;
	if (parent)
		dentry_get(parent);
	d->next_cookie = 2; /* 0 and 1 are "." and ".." */
	*out = d;
	return 0;
}

void dentry_get(struct dentry *d)
{
	refcount_inc(&d->ref);
}

void dentry_put(struct dentry *d)
{
	/* Iterative up the parent chain: a deep tree must not recurse deeply. */
	while (d && refcount_dec(&d->ref)) {
		struct dentry *parent = d->parent;
		if (d->inode)
			inode_put(d->inode);
		free(d->name);
		free(d);
		d = parent;
	}
}

void dentry_instantiate(struct dentry *d, struct inode *ino)
{
	d->inode = ino;
}

struct dentry *dentry_child(struct dentry *dir, const char *name, size_t len)
{
	for (struct dentry *c = dir->first; c; c = c->next)
		if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
			return c;
	return NULL;
}

void dentry_attach(struct dentry *d)
{
	struct dentry *p = d->parent;

	dentry_get(d); /* the tree reference */
	d->dead = false;
	d->cookie = p->next_cookie++;
	d->prev = p->last;
	d->next = NULL;
	if (p->last)
		p->last->next = d;
	else
		p->first = d;
	p->last = d;
	p->nchildren++;
	if (d->inode && d->inode->ops->evictable)
		lru_add(d);
}

void dentry_detach(struct dentry *d)
{
	struct dentry *p = d->parent;

	if (d->prev)
		d->prev->next = d->next;
	else
		p->first = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		p->last = d->prev;
	d->prev = d->next = NULL;
	p->nchildren--;
	d->dead = true;
	if (d->on_lru)
		lru_del(d);
	dentry_put(d);
}

/* Depth-first without recursion: a guest can nest directories as deep as it likes. */
void dentry_prune(struct dentry *d)
{
	struct dentry *cur = d;

	for (;;) {
		if (cur->first) {
			cur = cur->first;
			continue;
		}
		if (cur == d)
			break;
		struct dentry *parent = cur->parent; /* alive: still in the tree, or @d */
		dentry_detach(cur);
		cur = parent;
	}
}
