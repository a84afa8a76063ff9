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

/* Every live mm, for mm_unmap_file_range (truncate of a mapped file). */
static pthread_mutex_t mm_list_mu = PTHREAD_MUTEX_INITIALIZER;
static struct mm *mm_list; /* mm_list_mu */

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
	pthread_mutex_lock(&mm_list_mu);
	mm->list_next = mm_list;
	if (mm_list)
		mm_list->list_prev = mm;
	mm_list = mm;
	pthread_mutex_unlock(&mm_list_mu);
	*out = mm;
	return 0;
}

void mm_get(struct mm *mm)
{
	refcount_inc(&mm->ref);
}

/* Drop the file references of the VMAs on @dead and free them. No mm lock held. */
static void vma_free_dead(struct vma *dead)
{
	while (dead) {
		struct vma *next = dead->next_dead;

		dead->file->ops->put(dead->file);
		free(dead);
		dead = next;
	}
}

void mm_unlock(struct mm *mm)
{
	struct vma *dead = mm->dead;

	mm->dead = NULL;
	pthread_mutex_unlock(&mm->mu);
	vma_free_dead(dead);
}

static void mm_release(struct mm *mm)
{
	struct rb_node *n;

	pthread_mutex_lock(&mm_list_mu);
	if (mm->list_prev)
		mm->list_prev->list_next = mm->list_next;
	else
		mm_list = mm->list_next;
	if (mm->list_next)
		mm->list_next->list_prev = mm->list_prev;
	pthread_mutex_unlock(&mm_list_mu);

	/* No thread runs on the AS any more: drop it first, then the pages need no unmap. */
	if (mm->as)
		mm->as->ops->as_release(mm->as);
	mm->as = NULL;
	pt_clear_range(mm, 0, mm->max);
	pt_free(mm);
	while ((n = rb_first(&mm->vmas)))
		vma_unlink_free(mm, rb_entry(n, struct vma, node));
	vma_free_dead(mm->dead);
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
	mm_unlock(mm);
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
		 * both processes to see the same pages. Shared file pages are in the page cache,
		 * which both reach. */
		if (!vma_is_private(v) && !v->file) {
			r = mm_populate_locked(parent, v, v->start, v->end, false);
			if (r < 0)
				return r;
		}
		r = pt_fork_range(parent, child, v->start, v->end, vma_is_private(v),
				  v->prot & ~PROT_WRITE);
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
	mm_unlock(child);
	mm_unlock(parent);
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
	mm_unlock(mm);
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
	mm_unlock(mm);
}

gva_t mm_mmap_base(struct mm *mm)
{
	gva_t base;

	pthread_mutex_lock(&mm->mu);
	base = mm->mmap_base;
	mm_unlock(mm);
	return base;
}

void mm_for_each_vma(struct mm *mm, void (*fn)(const struct vma_info *v, void *arg), void *arg)
{
	pthread_mutex_lock(&mm->mu);
	for (struct rb_node *n = rb_first(&mm->vmas); n; n = rb_next(n)) {
		struct vma *v = rb_entry(n, struct vma, node);
		struct vma_info info = { v->start, v->end, v->prot, v->flags, v->name };
		char *path = NULL;

		if (v->file) {
			info.offset = v->off;
			if (v->file->ops->describe)
				v->file->ops->describe(v->file, &info.dev, &info.ino, &path);
			info.path = path;
		}
		fn(&info, arg);
		free(path);
	}
	mm_unlock(mm);
}

/* A reference to @mm unless its last one is already gone (it is being released). */
static bool mm_tryget(struct mm *mm)
{
	long n = atomic_load(&mm->ref.n);

	while (n > 0)
		if (atomic_compare_exchange_weak(&mm->ref.n, &n, n + 1))
			return true;
	return false;
}

/* Drop the pages of @object's VMAs in @mm from file page @from on. */
static void mm_unmap_file_one(struct mm *mm, const void *object, uint64_t from)
{
	pthread_mutex_lock(&mm->mu);
	for (struct rb_node *n = rb_first(&mm->vmas); n; n = rb_next(n)) {
		struct vma *v = rb_entry(n, struct vma, node);
		uint64_t first;
		gva_t s;

		if (!v->file || !v->file->ops->object || v->file->ops->object(v->file) != object)
			continue;
		first = v->off / PAGE_SIZE;
		s = from <= first ? v->start : v->start + (from - first) * PAGE_SIZE;
		if (s > v->start && (s - v->start) / PAGE_SIZE != from - first)
			continue; /* overflow: nothing of this VMA is past @from */
		if (s < v->end)
			pt_clear_range(mm, s, v->end);
	}
	mm_unlock(mm);
}

void mm_unmap_file_range(const void *object, uint64_t from_pgoff)
{
	struct mm **mms = NULL;
	size_t n = 0, cap = 0;

	pthread_mutex_lock(&mm_list_mu);
	for (struct mm *mm = mm_list; mm; mm = mm->list_next) {
		if (n == cap) {
			struct mm **m2 = realloc(mms, (cap ? cap * 2 : 16) * sizeof(*mms));

			if (!m2)
				break; /* best effort: those mms keep their pages */
			mms = m2;
			cap = cap ? cap * 2 : 16;
		}
		if (mm_tryget(mm))
			mms[n++] = mm;
	}
	pthread_mutex_unlock(&mm_list_mu);
	for (size_t i = 0; i < n; i++) {
		mm_unmap_file_one(mms[i], object, from_pgoff);
		mm_put(mms[i]);
	}
	free(mms);
}
