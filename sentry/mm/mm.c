// SPDX-License-Identifier: Apache-2.0
/*
 * mm objects: creation over a platform address space, reference counting and teardown,
 * and the layout knobs the loader sets (program break, stack, mmap base).
 */
#include <errno.h>
#include <stdlib.h>

#include "lib/log.h"

#include "sentry/mm/mm_impl.h"

/* Without a platform (unit tests): the x86-64 user half, minus the top page like Linux. */
#define MM_DEFAULT_MAX ((1ULL << 47) - PAGE_SIZE)
/* Linux mmap_base(): the gap below the stack is RLIMIT_STACK, at least 128 MiB. */
#define MM_MIN_GAP (128ULL << 20)
#define MM_DEFAULT_STACK (8ULL << 20)

const char mm_heap_name[] = "[heap]";
const char mm_stack_name[] = "[stack]";

/* Top-down mmap placement starts this far below a stack topped at @top. */
static gva_t mm_calc_mmap_base(gva_t max, gva_t top, uint64_t stack_limit)
{
	uint64_t gap = stack_limit + MM_STACK_GUARD_GAP, max_gap = max / 6 * 5;

	gap = MIN(MAX(gap, MM_MIN_GAP), max_gap);
	if (gap >= top)
		return PAGE_ALIGN_DOWN(top / 2);
	return PAGE_ALIGN_DOWN(top - gap);
}

int mm_new(struct memfile *mf, struct platform *p, struct mm **out)
{
	struct mm *mm = calloc(1, sizeof(*mm));

	if (!mm)
		return -ENOMEM;
	refcount_init(&mm->ref);
	mm->mf = mf;
	mm->p = p;
	mm->max = p ? PAGE_ALIGN_DOWN(p->max_user_addr) : MM_DEFAULT_MAX;
	/* The platform address space is created lazily by mm_addrspace(), on the thread that
	 * will run the guest (ptrace: that thread becomes the stub's tracer). */
	pthread_mutex_init(&mm->mu, NULL);
	mm->vmas = RB_ROOT;
	mm->mmap_base = mm_calc_mmap_base(mm->max, mm->max, MM_DEFAULT_STACK);
	*out = mm;
	return 0;
}

void mm_get(struct mm *mm)
{
	refcount_inc(&mm->ref);
}

static void mm_release(struct mm *mm)
{
	struct rb_node *n;

	/* No thread runs on the AS any more: drop it first, then the pages need no unmap. */
	if (mm->as)
		mm->as->ops->as_release(mm->as);
	mm->as = NULL;
	pt_clear_range(mm, 0, mm->max);
	pt_free(mm);
	while ((n = rb_first(&mm->vmas)))
		vma_unlink_free(mm, rb_entry(n, struct vma, node));
	pthread_mutex_destroy(&mm->mu);
	free(mm);
}

void mm_put(struct mm *mm)
{
	if (mm && refcount_dec(&mm->ref))
		mm_release(mm);
}

struct addrspace *mm_addrspace(struct mm *mm)
{
	struct addrspace *as;

	pthread_mutex_lock(&mm->mu);
	if (!mm->as && mm->p) {
		int r = mm->p->ops->as_new(mm->p, &mm->as);
		if (r < 0) {
			log_warn("mm: cannot create the platform address space: %d", r);
			mm->as = NULL;
		}
	}
	as = mm->as;
	pthread_mutex_unlock(&mm->mu);
	return as;
}

/* Copy the VMAs and page references of @parent into the empty @child (both locked). */
static int mm_fork_locked(struct mm *parent, struct mm *child)
{
	child->mmap_base = parent->mmap_base;
	child->brk_start = parent->brk_start;
	child->brk = parent->brk;
	child->stack_top = parent->stack_top;
	child->stack_limit = parent->stack_limit;
	child->args = parent->args;
	for (struct rb_node *n = rb_first(&parent->vmas); n; n = rb_next(n)) {
		struct vma *v = rb_entry(n, struct vma, node);
		struct vma *c = vma_alloc(v);
		int r;

		if (!c)
			return -ENOMEM;
		vma_link(child, c);
		/* Shared anonymous memory has no object of its own: its pages live in the page
		 * tables, so back all of it now (untouched memory-file pages cost nothing) for
		 * both processes to see the same pages. */
		if (!vma_is_private(v)) {
			r = mm_populate_locked(parent, v, v->start, v->end, false);
			if (r < 0)
				return r;
		}
		r = pt_fork_range(parent, child, v->start, v->end, vma_is_private(v));
		if (r < 0)
			return r;
	}
	return 0;
}

int mm_fork(struct mm *parent, struct mm **out)
{
	struct mm *child;
	int r = mm_new(parent->mf, parent->p, &child);

	if (r < 0)
		return r;
	pthread_mutex_lock(&parent->mu);
	pthread_mutex_lock(&child->mu);
	r = mm_fork_locked(parent, child);
	pthread_mutex_unlock(&child->mu);
	pthread_mutex_unlock(&parent->mu);
	if (r < 0) {
		mm_put(child);
		return r;
	}
	*out = child;
	return 0;
}

gva_t mm_max_addr(struct mm *mm)
{
	return mm->max;
}

void mm_set_brk_start(struct mm *mm, gva_t start)
{
	pthread_mutex_lock(&mm->mu);
	mm->brk_start = mm->brk = MIN(PAGE_ALIGN_UP(start), mm->max);
	pthread_mutex_unlock(&mm->mu);
}

void mm_set_args(struct mm *mm, const struct mm_args *a)
{
	pthread_mutex_lock(&mm->mu);
	mm->args = *a;
	pthread_mutex_unlock(&mm->mu);
}

void mm_get_args(struct mm *mm, struct mm_args *out)
{
	pthread_mutex_lock(&mm->mu);
	*out = mm->args;
	pthread_mutex_unlock(&mm->mu);
}

void mm_set_stack(struct mm *mm, gva_t top, uint64_t max_size)
{
	struct vma *v;

	pthread_mutex_lock(&mm->mu);
	mm->stack_top = top;
	mm->stack_limit = max_size;
	v = top ? vma_find(mm, top - 1) : NULL;
	if (v)
		v->name = mm_stack_name;
	mm->mmap_base = mm_calc_mmap_base(mm->max, MIN(top, mm->max), max_size);
	pthread_mutex_unlock(&mm->mu);
}

gva_t mm_mmap_base(struct mm *mm)
{
	gva_t base;

	pthread_mutex_lock(&mm->mu);
	base = mm->mmap_base;
	pthread_mutex_unlock(&mm->mu);
	return base;
}

void mm_for_each_vma(struct mm *mm, void (*fn)(const struct vma_info *v, void *arg), void *arg)
{
	pthread_mutex_lock(&mm->mu);
	for (struct rb_node *n = rb_first(&mm->vmas); n; n = rb_next(n)) {
		struct vma *v = rb_entry(n, struct vma, node);
		struct vma_info info = { v->start, v->end, v->prot, v->flags, v->name };

		fn(&info, arg);
	}
	pthread_mutex_unlock(&mm->mu);
}
