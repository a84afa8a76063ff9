// SPDX-License-Identifier: Apache-2.0
/*
 * Red-black tree rebalancing (CLRS, with NULL leaves and parent pointers). Ordering is the
 * caller's business: this file only links, recolours and rotates.
 */
#include "rbtree.h"

static bool is_red(const struct rb_node *n)
{
	return n && n->red;
}

/* Make @v take @u's place under @u's parent. */
static void rb_replace_child(struct rb_root *root, struct rb_node *u, struct rb_node *v)
{
	if (!u->parent)
		root->node = v;
	else if (u == u->parent->left)
		u->parent->left = v;
	else
		u->parent->right = v;
	if (v)
		v->parent = u->parent;
}

static void rb_rotate_left(struct rb_root *root, struct rb_node *x)
{
	struct rb_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	rb_replace_child(root, x, y);
	y->left = x;
	x->parent = y;
}

static void rb_rotate_right(struct rb_root *root, struct rb_node *x)
{
	struct rb_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	rb_replace_child(root, x, y);
	y->right = x;
	x->parent = y;
}

void rb_insert_color(struct rb_node *z, struct rb_root *root)
{
	while (is_red(z->parent)) {
		struct rb_node *p = z->parent, *g = p->parent, *u;

		if (p == g->left) {
			u = g->right;
			if (is_red(u)) {
				p->red = u->red = false;
				g->red = true;
				z = g;
				continue;
			}
			if (z == p->right) {
				rb_rotate_left(root, p);
				z = p;
				p = z->parent;
			}
			p->red = false;
			g->red = true;
			rb_rotate_right(root, g);
		} else {
			u = g->left;
			if (is_red(u)) {
				p->red = u->red = false;
				g->red = true;
				z = g;
				continue;
			}
			if (z == p->left) {
				rb_rotate_right(root, p);
				z = p;
				p = z->parent;
			}
			p->red = false;
			g->red = true;
			rb_rotate_left(root, g);
		}
	}
	root->node->red = false;
}

/*
 * Restore the black height after a black node left the path to @x (possibly NULL), whose
 * parent is @xp. The sibling of a "doubly black" position is never NULL.
 */
static void rb_erase_fixup(struct rb_root *root, struct rb_node *x, struct rb_node *xp)
{
	while (x != root->node && !is_red(x)) {
		struct rb_node *w;

		if (x == xp->left) {
			w = xp->right;
			if (is_red(w)) {
				w->red = false;
				xp->red = true;
				rb_rotate_left(root, xp);
				w = xp->right;
			}
			if (!is_red(w->left) && !is_red(w->right)) {
				w->red = true;
				x = xp;
				xp = x->parent;
				continue;
			}
			if (!is_red(w->right)) {
				w->left->red = false;
				w->red = true;
				rb_rotate_right(root, w);
				w = xp->right;
			}
			w->red = xp->red;
			xp->red = false;
			if (w->right)
				w->right->red = false;
			rb_rotate_left(root, xp);
		} else {
			w = xp->left;
			if (is_red(w)) {
				w->red = false;
				xp->red = true;
				rb_rotate_right(root, xp);
				w = xp->left;
			}
			if (!is_red(w->left) && !is_red(w->right)) {
				w->red = true;
				x = xp;
				xp = x->parent;
				continue;
			}
			if (!is_red(w->left)) {
				w->right->red = false;
				w->red = true;
				rb_rotate_left(root, w);
				w = xp->left;
			}
			w->red = xp->red;
			xp->red = false;
			if (w->left)
				w->left->red = false;
			rb_rotate_right(root, xp);
		}
		x = root->node;
		break;
	}
	if (x)
		x->red = false;
}

void rb_erase(struct rb_node *z, struct rb_root *root)
{
	struct rb_node *x, *xp, *y;
	bool removed_red;

	if (!z->left || !z->right) {
		x = z->left ? z->left : z->right;
		xp = z->parent;
		removed_red = z->red;
		rb_replace_child(root, z, x);
	} else {
		/* Two children: the successor y takes z's place and colour. */
		y = z->right;
		while (y->left)
			y = y->left;
		removed_red = y->red;
		x = y->right;
		if (y->parent == z) {
			xp = y;
		} else {
			xp = y->parent;
			rb_replace_child(root, y, y->right);
			y->right = z->right;
			y->right->parent = y;
		}
		rb_replace_child(root, z, y);
		y->left = z->left;
		y->left->parent = y;
		y->red = z->red;
	}
	if (!removed_red && root->node)
		rb_erase_fixup(root, x, xp);
	z->parent = z->left = z->right = NULL;
}

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->node;

	while (n && n->left)
		n = n->left;
	return n;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *n = root->node;

	while (n && n->right)
		n = n->right;
	return n;
}

struct rb_node *rb_next(const struct rb_node *n)
{
	const struct rb_node *p;

	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct rb_node *)n;
	}
	while ((p = n->parent) && n == p->right)
		n = p;
	return (struct rb_node *)p;
}

struct rb_node *rb_prev(const struct rb_node *n)
{
	const struct rb_node *p;

	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (struct rb_node *)n;
	}
	while ((p = n->parent) && n == p->left)
		n = p;
	return (struct rb_node *)p;
}
