/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to sentry/mm: struct mm, VMAs, the guest page table. Not for other subsystems. */
#ifndef SBX_SENTRY_MM_MM_IMPL_H
#define SBX_SENTRY_MM_MM_IMPL_H

#include <pthread.h>

#include "lib/compiler.h"
#include "lib/refcount.h"
#include "platform/platform.h"
#include "sentry/mm/mm.h"

/* A VMA: [start, end) with one protection and one set of flags. */
struct vma {
	gva_t start, end;
	int prot;
	int flags;        /* MAP_PRIVATE/MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN */
	const char *name; /* static string or NULL */
};

/*
 * Guest page table entry: the memory-file offset of the page backing a guest page, plus
 * what is mirrored into the platform address space. A zero entry means "no page yet".
 */
#define PTE_PRESENT 0x1ULL  /* backed by the memory-file page in PTE_ADDR */
#define PTE_MAPPED 0x2ULL   /* mapped in the platform address space */
#define PTE_AS_WRITE 0x4ULL /* ... with PROT_WRITE */
#define PTE_ADDR(e) ((e) & PAGE_MASK)

#define PT_BITS 9
#define PT_ENTRIES (1 << PT_BITS)

struct mm {
	struct refcount ref;
	struct memfile *mf;
	struct platform *p;
	struct addrspace *as; /* NULL when no platform (unit tests) */
	gva_t max;            /* exclusive top of guest addresses */

	pthread_mutex_t mu;
	/* Everything below is protected by mu. */
	struct vma *vmas; /* sorted by start, non-overlapping */
	size_t nvma, capvma;
	size_t hint;      /* index of the last VMA found, a cheap lookup cache */
	void **pt_root;   /* 4-level radix over guest page numbers */
	gva_t mmap_base;
	gva_t brk_start, brk;
	gva_t stack_top;
	uint64_t stack_limit;
};

/* vma.c -- Preconditions for all: mm->mu held. */
/* vma_find - the VMA containing @addr, or NULL. */
struct vma *vma_find(struct mm *mm, gva_t addr);
/* vma_find_index - index of the first VMA with end > @addr (nvma if none). */
size_t vma_find_index(struct mm *mm, gva_t addr);
/* vma_insert - add @v (must not overlap anything) and merge it with equal neighbours. */
int vma_insert(struct mm *mm, const struct vma *v);
/* vma_split - make @addr a VMA boundary if it falls inside one. */
int vma_split(struct mm *mm, gva_t addr);
/* vma_remove_range - delete the VMA parts in [start, end) (page tables untouched). */
int vma_remove_range(struct mm *mm, gva_t start, gva_t end);
/* vma_merge_range - merge equal neighbours around [start, end). */
void vma_merge_range(struct mm *mm, gva_t start, gva_t end);
/* vma_free_gap - a free [addr, addr+len) with addr+len <= @below, top-down. 0 if none. */
gva_t vma_free_gap(struct mm *mm, uint64_t len, gva_t below);
/* vma_range_free - true when nothing overlaps [start, end). */
bool vma_range_free(struct mm *mm, gva_t start, gva_t end);

/* pagetable.c -- Preconditions: mm->mu held. */
/* pte_get - pointer to the entry for @addr; allocates tables when @create. NULL if absent. */
uint64_t *pte_get(struct mm *mm, gva_t addr, bool create);
void pt_free(struct mm *mm);
/*
 * pt_clear_range - drop the pages backing [start, end): decref them and, when any was
 * mapped, as_unmap the range. 0 or the platform's error.
 */
int pt_clear_range(struct mm *mm, gva_t start, gva_t end);
/* pt_unmap_as_range - forget platform mappings in [start, end) (pages stay). */
int pt_unmap_as_range(struct mm *mm, gva_t start, gva_t end);
/* pt_move_range - move entries of [old, old+len) to [new, new+len) (mremap). */
int pt_move_range(struct mm *mm, gva_t old_addr, gva_t new_addr, uint64_t len);

/* fault.c */
/* mm_populate_locked - back [start, end) (within one VMA) with pages, batch-allocated. */
int mm_populate_locked(struct mm *mm, gva_t start, gva_t end);
/* mm_stack_grow_locked - extend a MAP_GROWSDOWN VMA down to cover @addr; its VMA or NULL. */
struct vma *mm_stack_grow_locked(struct mm *mm, gva_t addr);

#endif
