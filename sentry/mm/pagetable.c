// SPDX-License-Identifier: Apache-2.0
/*
 * The guest page table: guest page -> memory-file page, a 4-level radix tree shaped like
 * x86-64's (9 bits per level over 48-bit addresses), allocated as guest memory is touched.
 */
#include <errno.h>
#include <stdlib.h>

#include "lib/log.h"
#include "sentry/mm/mm_impl.h"

static unsigned int pt_index(gva_t addr, int level)
{
	return (unsigned int)(addr >> (12 + PT_BITS * level)) & (PT_ENTRIES - 1);
}

uint64_t *pte_get(struct mm *mm, gva_t addr, bool create)
{
	void **table;

	if (!mm->pt_root) {
		if (!create)
			return NULL;
		mm->pt_root = calloc(PT_ENTRIES, sizeof(void *));
		if (!mm->pt_root)
			return NULL;
	}
	table = mm->pt_root;
	for (int level = 3; level > 1; level--) {
		void **next = table[pt_index(addr, level)];
		if (!next) {
			if (!create)
				return NULL;
			next = calloc(PT_ENTRIES, sizeof(void *));
			if (!next)
				return NULL;
			table[pt_index(addr, level)] = next;
		}
		table = next;
	}
	uint64_t *leaf = table[pt_index(addr, 1)];
	if (!leaf) {
		if (!create)
			return NULL;
		leaf = calloc(PT_ENTRIES, sizeof(uint64_t));
		if (!leaf)
			return NULL;
		table[pt_index(addr, 1)] = leaf;
	}
	return &leaf[pt_index(addr, 0)];
}

static void pt_free_level(void **table, int level)
{
	if (!table)
		return;
	if (level > 1)
		for (int i = 0; i < PT_ENTRIES; i++)
			pt_free_level(table[i], level - 1);
	else
		for (int i = 0; i < PT_ENTRIES; i++)
			free(table[i]);
	free(table);
}

void pt_free(struct mm *mm)
{
	pt_free_level(mm->pt_root, 3);
	mm->pt_root = NULL;
}

/* Size of the aligned block one leaf table covers: skip whole absent leaves quickly. */
#define LEAF_SPAN ((gva_t)PAGE_SIZE * PT_ENTRIES)

/*
 * Visit present entries in [start, end); @fn may modify the entry. Absent leaf tables are
 * skipped a whole leaf at a time, so walking a huge sparse range stays cheap.
 */
static void pt_walk(struct mm *mm, gva_t start, gva_t end,
		    void (*fn)(struct mm *mm, gva_t va, uint64_t *pte, void *arg), void *arg)
{
	gva_t va = start;

	while (va < end) {
		uint64_t *pte = pte_get(mm, va, false);
		if (!pte) {
			gva_t next = (va + LEAF_SPAN) & ~(LEAF_SPAN - 1);
			if (next <= va)
				break;
			va = next;
			continue;
		}
		if (*pte)
			fn(mm, va, pte, arg);
		va += PAGE_SIZE;
	}
}

struct clear_state {
	bool any_mapped;
	struct frange run; /* contiguous memory-file run to decref */
};

static void clear_flush(struct mm *mm, struct clear_state *s)
{
	if (s->run.end > s->run.start)
		memfile_decref(mm->mf, s->run);
	s->run.start = s->run.end = 0;
}

static void clear_one(struct mm *mm, gva_t va, uint64_t *pte, void *arg)
{
	struct clear_state *s = arg;
	uint64_t off = PTE_ADDR(*pte);

	if (*pte & PTE_MAPPED)
		s->any_mapped = true;
	if (*pte & PTE_PRESENT) {
		if (s->run.end != off || s->run.end == s->run.start) {
			clear_flush(mm, s);
			s->run.start = off;
		}
		s->run.end = off + PAGE_SIZE;
	}
	*pte = 0;
}

int pt_clear_range(struct mm *mm, gva_t start, gva_t end)
{
	struct clear_state s = { false, { 0, 0 } };

	pt_walk(mm, start, end, clear_one, &s);
	clear_flush(mm, &s);
	if (s.any_mapped && mm->as)
		return mm->as->ops->as_unmap(mm->as, start, end - start);
	return 0;
}

static void unmap_one(struct mm *mm, gva_t va, uint64_t *pte, void *arg)
{
	if (*pte & PTE_MAPPED)
		*(bool *)arg = true;
	*pte &= ~(PTE_MAPPED | PTE_AS_WRITE);
}

int pt_unmap_as_range(struct mm *mm, gva_t start, gva_t end)
{
	bool any = false;

	pt_walk(mm, start, end, unmap_one, &any);
	if (any && mm->as)
		return mm->as->ops->as_unmap(mm->as, start, end - start);
	return 0;
}

int pt_move_range(struct mm *mm, gva_t old_addr, gva_t new_addr, uint64_t len)
{
	int r = pt_unmap_as_range(mm, old_addr, old_addr + len);

	if (r < 0)
		return r;
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t *src = pte_get(mm, old_addr + off, false);
		if (!src || !*src)
			continue;
		uint64_t *dst = pte_get(mm, new_addr + off, true);
		if (!dst)
			return -ENOMEM;
		*dst = *src;
		/* pte_get may have reallocated nothing: src stays valid (tables never move). */
		*src = 0;
	}
	return 0;
}
