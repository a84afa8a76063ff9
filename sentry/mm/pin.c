// SPDX-License-Identifier: Apache-2.0
/*
 * Guest pages held for host I/O (mm_pin_pages): the host reads or writes them through the
 * Sentry's mapping of the memory file while page references, not mm->mu, keep them alive.
 * Only pages that need no fault are pinned, so pinning never changes the address space.
 */
#include <errno.h>

#include "sentry/mm/mm_impl.h"

static struct frange pin_page(uint64_t off)
{
	return (struct frange){ off, off + PAGE_SIZE };
}

/*
 * May page *@pte of @v be pinned as it is? For @write (the host fills it) it must be this
 * mm's alone or shared on purpose: a shared VMA's page (the page cache's or shared memory,
 * handed out dirty when writable), or a private page mirrored writable, which only this mm
 * maps (fork write-protects what it shares) — then a COW decision during the I/O cannot
 * copy it away (mm_break_cow does not count references on such a page). Any other page
 * would need a fault first. Preconditions: mm->mu.
 */
static bool pin_ok(const struct vma *v, uint64_t pte, bool write)
{
	if (!(pte & PTE_PRESENT))
		return false; /* absent: the caller's copy faults it in (or reads zeroes) */
	if (!write)
		return v->prot & PROT_RWX; /* x86: W or X pages are readable too (copy.c) */
	if (!(v->prot & PROT_WRITE))
		return false;
	if (!vma_is_private(v))
		return true;
	return (pte & (PTE_MAPPED | PTE_AS_WRITE)) == (PTE_MAPPED | PTE_AS_WRITE);
}

int mm_pin_pages(struct mm *mm, gva_t addr, size_t len, bool write, struct mm_pin *out,
		 int max)
{
	gva_t end = addr + len < addr ? UINT64_MAX : addr + len;
	struct vma *v = NULL;
	int n = 0;

	pthread_mutex_lock(&mm->mu);
	while (n < max && addr < end) {
		gva_t page = PAGE_ALIGN_DOWN(addr);
		size_t chunk = MIN(PAGE_SIZE - (addr - page), end - addr);
		uint64_t *pte;

		if (!v || addr >= v->end || addr < v->start)
			v = vma_find(mm, addr);
		if (!v)
			break;
		pte = pte_get(mm, page, false);
		if (!pte || !pin_ok(v, *pte, write))
			break;
		out[n].off = PTE_ADDR(*pte);
		memfile_incref(mm->mf, pin_page(out[n].off));
		out[n].ptr = (uint8_t *)memfile_map_internal(mm->mf, pin_page(out[n].off)) +
			     (addr - page);
		out[n].len = chunk;
		n++;
		addr += chunk;
	}
	mm_unlock(mm);
	return n;
}

void mm_unpin_pages(struct mm *mm, const struct mm_pin *pins, int n)
{
	for (int i = 0; i < n; i++)
		memfile_decref(mm->mf, pin_page(pins[i].off));
}
