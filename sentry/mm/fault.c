// SPDX-License-Identifier: Apache-2.0
/*
 * Demand paging: a guest fault (or a Sentry copy) backs a batch of pages around the address
 * with memory-file pages and mirrors them into the platform address space.
 */
#include <errno.h>
#include <sys/mman.h>

#include "lib/log.h"
#include "sentry/mm/mm_impl.h"

/* Fault-in granularity: one platform map call per 256 KiB instead of per page. */
#define FAULT_BATCH (64 * PAGE_SIZE)
/* Linux's stack_guard_gap: a growing stack keeps this far from the VMA below it. */
#define STACK_GUARD_GAP (256 * PAGE_SIZE)

/* Back every page of [start, end) that has none, each missing run in one allocation. */
int mm_populate_locked(struct mm *mm, gva_t start, gva_t end)
{
	gva_t va = start;

	while (va < end) {
		uint64_t *pte = pte_get(mm, va, true);
		if (!pte)
			return -ENOMEM;
		if (*pte & PTE_PRESENT) {
			va += PAGE_SIZE;
			continue;
		}
		/* Measure the run of missing pages, up to the end. */
		gva_t run_end = va + PAGE_SIZE;
		while (run_end < end) {
			uint64_t *p = pte_get(mm, run_end, false);
			if (p && (*p & PTE_PRESENT))
				break;
			run_end += PAGE_SIZE;
		}
		struct frange fr;
		int r = memfile_alloc(mm->mf, run_end - va, &fr);
		if (r < 0 && run_end - va > PAGE_SIZE) {
			run_end = va + PAGE_SIZE; /* fragmented: fall back to one page */
			r = memfile_alloc(mm->mf, PAGE_SIZE, &fr);
		}
		if (r < 0)
			return r;
		for (gva_t a = va; a < run_end; a += PAGE_SIZE) {
			uint64_t *p = pte_get(mm, a, true);
			if (!p) {
				/* Give back what no entry took. */
				memfile_decref(mm->mf, (struct frange){ fr.start + (a - va), fr.end });
				return -ENOMEM;
			}
			*p = (fr.start + (a - va)) | PTE_PRESENT;
		}
		va = run_end;
	}
	return 0;
}

/* Mirror [start, end) into the platform with @prot, one as_map per contiguous file run. */
static int map_into_as(struct mm *mm, gva_t start, gva_t end, int prot)
{
	gva_t va = start;

	if (!mm->as)
		goto mark;
	while (va < end) {
		uint64_t *pte = pte_get(mm, va, false);
		uint64_t off = PTE_ADDR(*pte);
		gva_t run_end = va + PAGE_SIZE;
		while (run_end < end) {
			uint64_t *p = pte_get(mm, run_end, false);
			if (PTE_ADDR(*p) != off + (run_end - va))
				break;
			run_end += PAGE_SIZE;
		}
		int r = mm->as->ops->as_map(mm->as, va, run_end - va, prot, off);
		if (r < 0)
			return r;
		va = run_end;
	}
mark:
	for (va = start; va < end; va += PAGE_SIZE) {
		uint64_t *p = pte_get(mm, va, false);
		*p |= PTE_MAPPED;
		if (prot & PROT_WRITE)
			*p |= PTE_AS_WRITE;
		else
			*p &= ~PTE_AS_WRITE;
	}
	return 0;
}

struct vma *mm_stack_grow_locked(struct mm *mm, gva_t addr)
{
	size_t i = vma_find_index(mm, addr);
	struct vma *v;
	gva_t new_start = PAGE_ALIGN_DOWN(addr);

	if (i >= mm->nvma)
		return NULL;
	v = &mm->vmas[i];
	if (!(v->flags & MAP_GROWSDOWN) || v->start <= addr)
		return NULL;
	/* RLIMIT_STACK bounds the whole stack, measured from its top. */
	if (mm->stack_limit && v->end - new_start > mm->stack_limit)
		return NULL;
	if (i > 0 && mm->vmas[i - 1].end + STACK_GUARD_GAP > new_start)
		return NULL;
	v->start = new_start;
	return v;
}

/* Is @access allowed by @prot? x86 pages are readable whenever they are accessible. */
static bool prot_allows(int prot, int access)
{
	if (prot == PROT_NONE)
		return false;
	if ((access & TRAP_ACCESS_WRITE) && !(prot & PROT_WRITE))
		return false;
	if ((access & TRAP_ACCESS_EXEC) && !(prot & PROT_EXEC))
		return false;
	return true;
}

int mm_handle_fault(struct mm *mm, gva_t addr, int access)
{
	struct vma *v;
	uint64_t *pte;
	int r;

	if (addr >= mm->max)
		return -EFAULT;
	pthread_mutex_lock(&mm->mu);
	v = vma_find(mm, addr);
	if (!v)
		v = mm_stack_grow_locked(mm, addr);
	if (!v) {
		pthread_mutex_unlock(&mm->mu);
		return -EFAULT;
	}
	if (!prot_allows(v->prot, access)) {
		pthread_mutex_unlock(&mm->mu);
		return -EACCES;
	}
	/*
	 * The platform may not know the access type (ptrace). If the page is already mapped with
	 * everything the VMA allows, the access must have been one the VMA forbids.
	 */
	pte = pte_get(mm, addr, false);
	if (pte && (*pte & PTE_MAPPED) &&
	    (!(v->prot & PROT_WRITE) || (*pte & PTE_AS_WRITE))) {
		pthread_mutex_unlock(&mm->mu);
		return access ? 0 : -EACCES;
	}
	gva_t start = MAX(v->start, addr & ~(FAULT_BATCH - 1));
	gva_t end = MIN(v->end, (addr & ~(FAULT_BATCH - 1)) + FAULT_BATCH);
	/* A growing stack is touched top-down: batch below the fault, not above. */
	if (v->flags & MAP_GROWSDOWN) {
		gva_t page = PAGE_ALIGN_DOWN(addr);
		start = page - v->start >= FAULT_BATCH ? page - FAULT_BATCH + PAGE_SIZE : v->start;
		end = MIN(v->end, page + PAGE_SIZE * 8);
	}
	r = mm_populate_locked(mm, start, end);
	if (r == 0)
		r = map_into_as(mm, start, end, v->prot);
	pthread_mutex_unlock(&mm->mu);
	if (r < 0)
		log_warn("mm: fault at %#llx: %d", (unsigned long long)addr, r);
	return r == -ENOMEM ? -EFAULT : r;
}
