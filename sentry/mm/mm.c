// SPDX-License-Identifier: Apache-2.0
/* struct mm: creation, references, layout (stack, mmap base, brk) and VMA enumeration. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "sentry/mm/mm_impl.h"

/* Without a platform (unit tests) guest addresses end below the 47-bit user limit. */
#define MM_DEFAULT_MAX ((1ULL << 47) - PAGE_SIZE)
/* Space kept for the stack below its top before mmap allocations start (Linux's gap). */
#define MM_STACK_GAP_MIN (128ULL << 20)
#define MM_STACK_GAP_MAX (1ULL << 36)
/* The loader randomises the stack top up to 16 GiB below max. */
#define MM_STACK_RANDOM (16ULL << 30)

int mm_new(struct memfile *mf, struct platform *p, struct mm **out)
{
	struct mm *mm = calloc(1, sizeof(*mm));
	int r;

	if (!mm)
		return -ENOMEM;
	refcount_init(&mm->ref);
	pthread_mutex_init(&mm->mu, NULL);
	mm->mf = mf;
	mm->p = p;
	mm->max = p ? PAGE_ALIGN_DOWN(p->max_user_addr) : MM_DEFAULT_MAX;
	mm->mmap_base = mm->max - MM_STACK_RANDOM - MM_STACK_GAP_MIN;
	if (p) {
		r = p->ops->as_new(p, &mm->as);
		if (r < 0) {
			pthread_mutex_destroy(&mm->mu);
			free(mm);
			return r;
		}
	}
	*out = mm;
	return 0;
}

void mm_get(struct mm *mm)
{
	refcount_inc(&mm->ref);
}

void mm_put(struct mm *mm)
{
	if (!mm || !refcount_dec(&mm->ref))
		return;
	/* The address space goes first, so clearing pages need not unmap them one by one. */
	if (mm->as)
		mm->as->ops->as_release(mm->as);
	mm->as = NULL;
	for (size_t i = 0; i < mm->nvma; i++)
		pt_clear_range(mm, mm->vmas[i].start, mm->vmas[i].end);
	pt_free(mm);
	free(mm->vmas);
	pthread_mutex_destroy(&mm->mu);
	free(mm);
}

struct addrspace *mm_addrspace(struct mm *mm)
{
	return mm->as;
}

gva_t mm_max_addr(struct mm *mm)
{
	return mm->max;
}

gva_t mm_mmap_base(struct mm *mm)
{
	return mm->mmap_base;
}

void mm_set_brk_start(struct mm *mm, gva_t start)
{
	pthread_mutex_lock(&mm->mu);
	mm->brk_start = mm->brk = start;
	pthread_mutex_unlock(&mm->mu);
}

void mm_set_stack(struct mm *mm, gva_t top, uint64_t max_size)
{
	uint64_t gap = MIN(MAX(max_size, MM_STACK_GAP_MIN), MM_STACK_GAP_MAX);

	pthread_mutex_lock(&mm->mu);
	mm->stack_top = top;
	mm->stack_limit = max_size;
	/* Like Linux's mmap_base(): allocations start a stack-limit gap below the stack. */
	if (top > gap + PAGE_SIZE * 16 && top - gap < mm->mmap_base)
		mm->mmap_base = PAGE_ALIGN_DOWN(top - gap);
	pthread_mutex_unlock(&mm->mu);
}

void mm_for_each_vma(struct mm *mm, void (*fn)(const struct vma_info *v, void *arg), void *arg)
{
	pthread_mutex_lock(&mm->mu);
	for (size_t i = 0; i < mm->nvma; i++) {
		const struct vma *v = &mm->vmas[i];
		struct vma_info info = { v->start, v->end, v->prot, v->flags, v->name };
		if (!info.name && (v->flags & MAP_GROWSDOWN) && v->end == PAGE_ALIGN_UP(mm->stack_top))
			info.name = "[stack]";
		fn(&info, arg);
	}
	pthread_mutex_unlock(&mm->mu);
}
