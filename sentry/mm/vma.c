// SPDX-License-Identifier: Apache-2.0
/*
 * VMAs kept in an array sorted by address: O(log n) lookup, O(n) insert/remove, which is
 * cheap for the few hundred VMAs real programs have. A last-hit index makes the common
 * repeated lookup O(1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/mm/mm_impl.h"

size_t vma_find_index(struct mm *mm, gva_t addr)
{
	size_t lo = 0, hi = mm->nvma;

	if (mm->hint < mm->nvma && mm->vmas[mm->hint].start <= addr && addr < mm->vmas[mm->hint].end)
		return mm->hint;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (mm->vmas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct vma *vma_find(struct mm *mm, gva_t addr)
{
	size_t i = vma_find_index(mm, addr);

	if (i < mm->nvma && mm->vmas[i].start <= addr) {
		mm->hint = i;
		return &mm->vmas[i];
	}
	return NULL;
}

static int vma_reserve(struct mm *mm, size_t n)
{
	if (mm->nvma + n <= mm->capvma)
		return 0;
	size_t cap = mm->capvma ? mm->capvma * 2 : 32;
	while (cap < mm->nvma + n)
		cap *= 2;
	struct vma *v = realloc(mm->vmas, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	mm->vmas = v;
	mm->capvma = cap;
	return 0;
}

static bool vma_mergeable(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags &&
	       a->name == b->name;
}

/* Merge vmas[i] with vmas[i+1] when they can be one. */
static void vma_try_merge(struct mm *mm, size_t i)
{
	if (i + 1 >= mm->nvma || !vma_mergeable(&mm->vmas[i], &mm->vmas[i + 1]))
		return;
	mm->vmas[i].end = mm->vmas[i + 1].end;
	memmove(&mm->vmas[i + 1], &mm->vmas[i + 2], (mm->nvma - i - 2) * sizeof(struct vma));
	mm->nvma--;
}

int vma_insert(struct mm *mm, const struct vma *v)
{
	size_t i;

	if (vma_reserve(mm, 1) < 0)
		return -ENOMEM;
	i = vma_find_index(mm, v->start);
	memmove(&mm->vmas[i + 1], &mm->vmas[i], (mm->nvma - i) * sizeof(struct vma));
	mm->vmas[i] = *v;
	mm->nvma++;
	vma_try_merge(mm, i);
	if (i > 0)
		vma_try_merge(mm, i - 1);
	mm->hint = 0;
	return 0;
}

int vma_split(struct mm *mm, gva_t addr)
{
	size_t i = vma_find_index(mm, addr);
	struct vma *v;

	if (i >= mm->nvma || mm->vmas[i].start >= addr)
		return 0; /* not inside a VMA, or already a boundary */
	if (vma_reserve(mm, 1) < 0)
		return -ENOMEM;
	memmove(&mm->vmas[i + 1], &mm->vmas[i], (mm->nvma - i) * sizeof(struct vma));
	mm->nvma++;
	v = &mm->vmas[i];
	v->end = addr;
	v[1].start = addr;
	return 0;
}

int vma_remove_range(struct mm *mm, gva_t start, gva_t end)
{
	size_t i, j;
	int r;

	r = vma_split(mm, start);
	if (r == 0)
		r = vma_split(mm, end);
	if (r < 0)
		return r;
	i = vma_find_index(mm, start);
	for (j = i; j < mm->nvma && mm->vmas[j].end <= end; j++)
		;
	memmove(&mm->vmas[i], &mm->vmas[j], (mm->nvma - j) * sizeof(struct vma));
	mm->nvma -= j - i;
	mm->hint = 0;
	return 0;
}

void vma_merge_range(struct mm *mm, gva_t start, gva_t end)
{
	size_t i = vma_find_index(mm, start);

	if (i > 0)
		i--;
	while (i < mm->nvma && mm->vmas[i].start <= end) {
		size_t before = mm->nvma;
		vma_try_merge(mm, i);
		if (mm->nvma == before)
			i++;
	}
	mm->hint = 0;
}

bool vma_range_free(struct mm *mm, gva_t start, gva_t end)
{
	size_t i = vma_find_index(mm, start);
	return i >= mm->nvma || mm->vmas[i].start >= end;
}

gva_t vma_free_gap(struct mm *mm, uint64_t len, gva_t below)
{
	size_t i = vma_find_index(mm, below);
	gva_t top = below;

	/* Walk gaps downward from @below: the gap under vmas[i-1]..vmas[i]. */
	for (;;) {
		gva_t floor = i > 0 ? mm->vmas[i - 1].end : PAGE_SIZE * 16;
		if (i < mm->nvma && mm->vmas[i].start < top)
			top = mm->vmas[i].start;
		if (top >= floor && top - floor >= len)
			return top - len;
		if (i == 0)
			return 0;
		i--;
		top = mm->vmas[i].start;
	}
}
