/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to sentry/mm: struct mm, VMAs, the guest page table and the helpers the .c files
 * share. Not for other subsystems (they include sentry/mm/mm.h only).
 */
#ifndef SBX_SENTRY_MM_MM_IMPL_H
#define SBX_SENTRY_MM_MM_IMPL_H

#include <pthread.h>
#include <sys/mman.h>

#include "lib/compiler.h"
#include "lib/rbtree.h"
#include "lib/refcount.h"
#include "platform/platform.h"
#include "sentry/mm/mm.h"

#define PROT_RWX (PROT_READ | PROT_WRITE | PROT_EXEC)

/* Pages handled together by one fault (and the largest run copies allocate at once). */
#define MM_FAULT_BATCH_PAGES 64
/* Lowest address mmap places a non-fixed mapping at (Linux vm.mmap_min_addr). */
#define MM_MIN_ADDR (16 * PAGE_SIZE)
/* Gap kept below a growing stack (Linux stack_guard_gap, 256 pages). */
#define MM_STACK_GUARD_GAP (256 * PAGE_SIZE)

/*
 * A VMA: [start, end) with one protection and one set of flags; file-backed VMAs also hold
 * a reference on their mappable and the file offset of @start.
 */
struct vma {
	struct rb_node node; /* in mm->vmas, keyed by start */
	gva_t start, end;
	int prot;         /* PROT_* now in force */
	int max_prot;     /* mprotect may not go beyond (PROT_RWX for anonymous memory) */
	int flags;        /* MAP_PRIVATE/MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN */
	const char *name; /* static string ("[heap]", "[stack]") or NULL */
	struct mm_mappable *file; /* NULL for anonymous memory; one reference */
	uint64_t off;             /* file offset of start (page aligned) */
	struct vma *next_dead;    /* on mm->dead: file reference to drop after unlocking */
};

/* vma_pgoff - the file page index behind guest page @addr of file VMA @v. */
static inline uint64_t vma_pgoff(const struct vma *v, gva_t addr)
{
	return (v->off + (addr - v->start)) / PAGE_SIZE;
}

static inline bool vma_is_private(const struct vma *v)
{
	return (v->flags & MAP_TYPE) == MAP_PRIVATE;
}

/*
 * Guest page table entry: the memory-file offset of the page backing a guest page, plus
 * what is mirrored into the platform address space. A zero entry means "no page yet".
 * The mirror bits are kept even without a platform so fault decisions are testable.
 */
#define PTE_PRESENT 0x1ULL  /* backed by the memory-file page at PTE_ADDR */
#define PTE_MAPPED 0x2ULL   /* mapped in the platform address space */
#define PTE_AS_WRITE 0x4ULL /* ... with PROT_WRITE */
#define PTE_ADDR(e) ((e) & PAGE_MASK)

#define PT_BITS 9
#define PT_ENTRIES (1 << PT_BITS)
#define PT_LEVELS 4

/* One level of the radix: 512 pointers to the next level, or 512 leaf entries. */
union pt_table {
	union pt_table *next[PT_ENTRIES];
	uint64_t pte[PT_ENTRIES];
};

/*
 * Lock order: mm->mu > memfile mu. Platform as_* calls are made with mm->mu held, so a
 * platform must never call back into the mm.
 */
struct mm {
	struct refcount ref;
	struct memfile *mf;
	struct platform *p;
	struct addrspace *as; /* NULL when no platform (unit tests) */
	gva_t max;            /* exclusive top of guest addresses; immutable */

	pthread_mutex_t mu;
	struct rb_root vmas;      /* protected by mu: keyed by start, non-overlapping */
	struct vma *vma_cache;    /* protected by mu: last VMA found, or NULL */
	union pt_table *pt_root;  /* protected by mu: 4-level radix over guest page numbers */
	gva_t mmap_base;          /* protected by mu */
	gva_t brk_start, brk;     /* protected by mu */
	gva_t stack_top;          /* protected by mu: 0 until mm_set_stack */
	uint64_t stack_limit;     /* protected by mu */
	struct vma *dead;         /* protected by mu: unlinked file VMAs, freed by mm_unlock */
	uint64_t unmap_gen;       /* protected by mu: bumped whenever mirrors are removed */
	struct mm *list_prev, *list_next; /* every live mm (mm.c mm_list_mu), for truncate */
	struct mm_args args;      /* protected by mu: where the loader put argv/envp strings */
};

/*
 * mm_unlock - release mm->mu, then drop the file references of VMAs removed meanwhile
 * (a last file_put may take filesystem locks, which come before mm->mu).
 */
void mm_unlock(struct mm *mm);

/* VMA names, compared by pointer (mm.c). */
extern const char mm_heap_name[];
extern const char mm_stack_name[];

/* memfile.c -- internal accessors. */
/* memfile_page_refs - the reference count of the page at memory-file offset @off. */
uint32_t memfile_page_refs(struct memfile *mf, uint64_t off);
/* memfile_capacity - the most bytes the file can hold (the sandbox's "RAM"). */
uint64_t memfile_capacity(const struct memfile *mf);

/* vma.c -- Preconditions for all: mm->mu held. */
/* vma_find - the VMA containing @addr, or NULL. */
struct vma *vma_find(struct mm *mm, gva_t addr);
/* vma_find_ge - the first VMA with end > @addr (containing it or above it), or NULL. */
struct vma *vma_find_ge(struct mm *mm, gva_t addr);
struct vma *vma_next(struct vma *v);
struct vma *vma_prev(struct vma *v);
/* vma_alloc - a heap copy of @tmpl, not yet linked. NULL when out of memory. */
struct vma *vma_alloc(const struct vma *tmpl);
/* vma_link - add @v, which must not overlap anything, then merge it with equal neighbours. */
void vma_link(struct mm *mm, struct vma *v);
/* vma_unlink_free - remove @v from the tree and free it. */
void vma_unlink_free(struct mm *mm, struct vma *v);
/* vma_split - make @addr a VMA boundary if it falls strictly inside one. 0 or -ENOMEM. */
int vma_split(struct mm *mm, gva_t addr);
/* vma_remove_range - delete the VMA parts in [start, end) (page tables untouched). */
int vma_remove_range(struct mm *mm, gva_t start, gva_t end);
/* vma_merge_range - merge equal neighbours among the VMAs touching [start, end]. */
void vma_merge_range(struct mm *mm, gva_t start, gva_t end);
/* vma_range_free - true when no VMA overlaps [start, end). */
bool vma_range_free(struct mm *mm, gva_t start, gva_t end);
/* vma_range_covered - true when VMAs cover [start, end) without holes. */
bool vma_range_covered(struct mm *mm, gva_t start, gva_t end);
/*
 * vma_free_gap - the highest @addr with [addr, addr+len) free and lo <= addr,
 * addr + len <= hi; 0 when there is none (so @lo must be > 0).
 */
gva_t vma_free_gap(struct mm *mm, uint64_t len, gva_t lo, gva_t hi);

/* pagetable.c -- Preconditions for all: mm->mu held. */
/* pte_get - pointer to the entry for @addr; allocates tables when @create. NULL if absent. */
uint64_t *pte_get(struct mm *mm, gva_t addr, bool create);
/* pt_free - free every table (entries must already be dropped). */
void pt_free(struct mm *mm);
/*
 * pt_clear_range - drop the pages backing [start, end): decref them and, when any was
 * mapped, as_unmap the range. Frees tables that become empty.
 */
void pt_clear_range(struct mm *mm, gva_t start, gva_t end);
/* pt_unmap_as_range - remove [start, end) from the platform AS; pages stay. */
void pt_unmap_as_range(struct mm *mm, gva_t start, gva_t end);
/*
 * pt_move_range - move the entries of [old, old+len) to [new, new+len) (mremap), which must
 * hold no pages. Nothing moves on failure (-ENOMEM).
 */
int pt_move_range(struct mm *mm, gva_t old_addr, gva_t new_addr, uint64_t len);
/*
 * pt_fork_range - give @child (empty there) references to the pages of @parent in
 * [start, end). With @cow, the parent's mirrors of the range lose write access so the next
 * write faults and copies: remapped with @ro_prot (>= 0; the VMA's prot without write) in
 * one request when the platform has as_map_vec, else PTE bits cleared and as_unmap. 0 or
 * -ENOMEM (entries set so far stay in @child, referenced).
 */
int pt_fork_range(struct mm *parent, struct mm *child, gva_t start, gva_t end, bool cow,
		  int ro_prot);
/* mm_mirroring - are mappings mirrored (a platform AS exists, or no platform at all)? */
static inline bool mm_mirroring(const struct mm *mm)
{
	return mm->as || !mm->p;
}
/* mm_as_map / mm_as_unmap - mirror into the platform AS (no-ops without one). */
int mm_as_map(struct mm *mm, gva_t va, uint64_t len, int prot, uint64_t off);
/* mm_as_map_vec - @n mm_as_map calls as one platform request when the platform can. */
int mm_as_map_vec(struct mm *mm, const struct as_map_range *r, int n);
void mm_as_unmap(struct mm *mm, gva_t va, uint64_t len);

/* fault.c -- Preconditions for all: mm->mu held. */
/*
 * mm_populate_locked - back [start, end) (inside @v) with pages, allocated as contiguous
 * memory-file runs where possible; with @map, also mirror them into the platform AS.
 */
int mm_populate_locked(struct mm *mm, struct vma *v, gva_t start, gva_t end, bool map);
/*
 * mm_vma_for_access - the VMA covering @addr, growing a MAP_GROWSDOWN VMA down to it
 * within the stack limit. NULL when there is none.
 */
struct vma *mm_vma_for_access(struct mm *mm, gva_t addr);
/*
 * mm_break_cow - give the private page behind *@pte (in @v at @addr) to this mm alone by
 * copying it when it is shared. 0 or -ENOMEM.
 */
int mm_break_cow(struct mm *mm, struct vma *v, gva_t addr, uint64_t *pte);
/* mm_page_prot - the protection to mirror page @pte with in @v (write dropped while shared). */
int mm_page_prot(struct mm *mm, const struct vma *v, uint64_t pte);
/*
 * mm_file_fill - give the absent pages of [start, end) of file VMA @v (which holds @need)
 * their page-cache pages. Drops and retakes mm->mu around the page-cache calls, so VMAs
 * may have changed on return: callers look up again. 0 when @need got a page, -EIO when
 * @need is past end of file, -ENOMEM / -errno. (@write is informational: pages of a
 * shared writable VMA are always handed out as dirty, since they are mapped writable.)
 */
int mm_file_fill(struct mm *mm, struct vma *v, gva_t need, gva_t start, gva_t end, bool write);

/* mmap.c -- Preconditions for all: mm->mu held. */
/* mm_unmap_locked - munmap [start, end) (page aligned): VMAs and pages. */
int mm_unmap_locked(struct mm *mm, gva_t start, gva_t end);
/* mm_map_anon_locked - create an anonymous VMA at exactly [start, end), replacing anything. */
int mm_map_anon_locked(struct mm *mm, gva_t start, gva_t end, int prot, int flags,
		       const char *name);

#endif
