/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intrusive red-black trees in the Linux rbtree style: embed a struct rb_node, find the
 * insertion point with your own comparison, then rb_link_node() + rb_insert_color().
 * No locking: callers protect a tree with the lock of the object that owns it.
 */
#ifndef SBX_LIB_RBTREE_H
#define SBX_LIB_RBTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"

struct rb_node {
	struct rb_node *parent, *left, *right;
	bool red;
};

struct rb_root {
	struct rb_node *node;
};

#define RB_ROOT ((struct rb_root){ NULL })
#define rb_entry(ptr, type, member) container_of(ptr, type, member)
/* rb_entry_safe - like rb_entry, but NULL stays NULL. */
#define rb_entry_safe(ptr, type, member)                                     \
	({                                                                   \
		__typeof__(ptr) __p = (ptr);                                 \
		__p ? rb_entry(__p, type, member) : NULL;                    \
	})

/**
 * rb_link_node - attach @node as a leaf at *@link, a child pointer of @parent (NULL for the
 * root). Follow with rb_insert_color() to rebalance.
 */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **link)
{
	node->parent = parent;
	node->left = node->right = NULL;
	node->red = true;
	*link = node;
}

/** rb_insert_color - rebalance @root after rb_link_node() added @node. */
void rb_insert_color(struct rb_node *node, struct rb_root *root);
/** rb_erase - unlink @node from @root (the node's memory is the caller's). */
void rb_erase(struct rb_node *node, struct rb_root *root);
/** rb_first - the leftmost (smallest) node, or NULL for an empty tree. */
struct rb_node *rb_first(const struct rb_root *root);
/** rb_last - the rightmost (largest) node, or NULL. */
struct rb_node *rb_last(const struct rb_root *root);
/** rb_next - in-order successor of @node, or NULL. */
struct rb_node *rb_next(const struct rb_node *node);
/** rb_prev - in-order predecessor of @node, or NULL. */
struct rb_node *rb_prev(const struct rb_node *node);

static inline bool rb_empty(const struct rb_root *root)
{
	return root->node == NULL;
}

#endif
