// SPDX-License-Identifier: Apache-2.0
/* Dentries: the name tree, its references, and the child lists getdents walks. */
#include "fs/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Recursive: the overlay copies up from inside operations that already hold it. */
pthread_mutex_t vfs_tree_mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

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
