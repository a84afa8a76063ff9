// SPDX-License-Identifier: Apache-2.0
/*
 * The VMA tree of an mm: an rb-tree of non-overlapping [start, end) ranges keyed by start,
 * with lookup, split, merge, range removal and the top-down free-gap search used by mmap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/mm/mm_impl.h"

static struct vma *to_vma(struct rb_node *n)
{
	return rb_entry_safe(n, struct vma, node);
}

struct vma *vma_next(struct vma *v)
{
	return to_vma(rb_next(&v->node));
}

struct vma *vma_prev(struct vma *v)
{
	return to_vma(rb_prev(&v->node));
}

struct vma *vma_find_ge(struct mm *mm, gva_t addr)
{
	struct rb_node *n = mm->vmas.node;
	struct vma *best = NULL;

	while (n) {
		struct vma *v = to_vma(n);

		if (addr < v->end) {
			best = v;
			if (addr >= v->start)
				break;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

struct vma *vma_find(struct mm *mm, gva_t addr)
{
	struct vma *v = mm->vma_cache;

	if (v && addr >= v->start && addr < v->end)
		return v;
	v = vma_find_ge(mm, addr);
	if (!v || addr < v->start)
		return NULL;
	mm->vma_cache = v;
	return v;
}

struct vma *vma_alloc(const struct vma *tmpl)
{
	struct vma *v = malloc(sizeof(*v));

	if (v) {
		*v = *tmpl;
		memset(&v->node, 0, sizeof(v->node));
		v->next_dead = NULL;
		if (v->file)
			v->file->ops->get(v->file);
	}
	return v;
}

/* Two adjacent VMAs that could be one: same attributes, same file at contiguous offsets. */
static bool vma_mergeable(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->prot == b->prot && a->max_prot == b->max_prot &&
	       a->flags == b->flags && a->name == b->name && a->file == b->file &&
	       (!a->file || a->off + (a->end - a->start) == b->off);
}

void vma_unlink_free(struct mm *mm, struct vma *v)
{
	if (mm->vma_cache == v)
		mm->vma_cache = NULL;
	rb_erase(&v->node, &mm->vmas);
	if (v->file) { /* the put may close a file: after mm->mu is released (mm_unlock) */
		v->next_dead = mm->dead;
		mm->dead = v;
		return;
	}
	free(v);
}

/* Merge @v with its neighbours when they are equal; returns the surviving VMA. */
static struct vma *vma_merge_around(struct mm *mm, struct vma *v)
{
	struct vma *prev = vma_prev(v), *next = vma_next(v);

	if (next && vma_mergeable(v, next)) {
		v->end = next->end;
		vma_unlink_free(mm, next);
	}
	if (prev && vma_mergeable(prev, v)) {
		prev->end = v->end;
		vma_unlink_free(mm, v);
		v = prev;
	}
	return v;
}

static void vma_link_nomerge(struct mm *mm, struct vma *v)
{
	struct rb_node **link = &mm->vmas.node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = v->start < to_vma(parent)->start ? &parent->left : &parent->right;
	}
	rb_link_node(&v->node, parent, link);
	rb_insert_color(&v->node, &mm->vmas);
}

void vma_link(struct mm *mm, struct vma *v)
{
	vma_link_nomerge(mm, v);
	vma_merge_around(mm, v);
}

int vma_split(struct mm *mm, gva_t addr)
{
	struct vma *v = vma_find(mm, addr), *hi;

	if (!v || v->start == addr)
		return 0;
	hi = vma_alloc(v);
	if (!hi)
		return -ENOMEM;
	hi->start = addr;
	hi->off = v->off + (addr - v->start);
	v->end = addr;
	vma_link_nomerge(mm, hi);
	return 0;
}

int vma_remove_range(struct mm *mm, gva_t start, gva_t end)
{
	struct vma *v, *next;
	int r;

	r = vma_split(mm, start);
	if (r == 0)
		r = vma_split(mm, end);
	if (r < 0)
		return r;
	for (v = vma_find_ge(mm, start); v && v->start < end; v = next) {
		next = vma_next(v);
		vma_unlink_free(mm, v);
	}
	return 0;
}

void vma_merge_range(struct mm *mm, gva_t start, gva_t end)
{
	struct vma *v = vma_find_ge(mm, start ? start - 1 : 0);

	while (v && v->start <= end) {
		struct vma *next = vma_next(v);

		if (next && vma_mergeable(v, next)) {
			v->end = next->end;
			vma_unlink_free(mm, next);
			continue;
		}
		v = next;
	}
}

bool vma_range_free(struct mm *mm, gva_t start, gva_t end)
{
	struct vma *v = vma_find_ge(mm, start);

	return !v || v->start >= end;
}

bool vma_range_covered(struct mm *mm, gva_t start, gva_t end)
{
	struct vma *v = vma_find_ge(mm, start);
	gva_t at = start;

	while (at < end) {
		if (!v || v->start > at)
			return false;
		at = v->end;
		v = vma_next(v);
	}
	return true;
}

/*
 * Walk down from the highest VMA below @hi, looking at each gap's top. O(number of VMAs
 * above the result); Linux augments the tree with the largest gap per subtree instead.
 */
gva_t vma_free_gap(struct mm *mm, uint64_t len, gva_t lo, gva_t hi)
{
	struct vma *v;
	gva_t top = hi;

	if (len == 0 || hi < lo || hi - lo < len)
		return 0;
	v = vma_find_ge(mm, hi - 1);
	if (v && v->start >= hi)
		v = vma_prev(v);
	else if (!v)
		v = to_vma(rb_last(&mm->vmas));
	for (;;) {
		gva_t bottom = v ? MAX(v->end, lo) : lo;

		if (v && v->end > top) /* a VMA straddles the top: the gap starts below it */
			top = v->start;
		else if (top >= bottom && top - bottom >= len)
			return top - len;
		else if (v)
			top = v->start;
		if (!v || top < lo + len)
			return 0;
		v = vma_prev(v);
	}
}
