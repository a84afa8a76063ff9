// SPDX-License-Identifier: Apache-2.0
/*
 * Guest pages held for host I/O (mm_pin_pages): the host writes into the Sentry's mapping
 * of the memory file while page references, not mm->mu, keep the pages alive.
 */
#include <errno.h>

#include "sentry/mm/mm_impl.h"

static struct frange pin_page(uint64_t off)
{
	return (struct frange){ off, off + PAGE_SIZE };
}

/*
 * COW decisions count page references, and a pin is one: a write fault on a pinned private
 * page would copy it, and the host's data would land in the page the guest just left. So
 * before pinning for a write, mirror the (now exclusive) page writable, as the write fault
 * would have: the guest then never faults on it while the pin is held (unless it forks
 * meanwhile, see mm.h). Preconditions: mm->mu; *@pte present and not shared.
 */
static int pin_mirror_writable(struct mm *mm, struct vma *v, gva_t page, uint64_t *pte)
{
	int prot = mm_page_prot(mm, v, *pte), r;

	if (!(prot & PROT_WRITE) || ((*pte & PTE_MAPPED) && (*pte & PTE_AS_WRITE)))
		return 0;
	r = mm_as_map(mm, page, PAGE_SIZE, prot, PTE_ADDR(*pte));
	if (r < 0)
		return r;
	*pte |= PTE_MAPPED | PTE_AS_WRITE;
	return 0;
}

/*
 * Make guest page @page (in @v) present, and for @write private to this mm, as copy.c's
 * copy_page does for COPY_OUT (a read pin allocates an absent anonymous page too: the host
 * needs memory to read from). Returns its PTE, or NULL with *@err set (-EAGAIN: mm->mu was
 * dropped, look the VMA up again). Preconditions: mm->mu.
 */
static uint64_t *pin_fault(struct mm *mm, struct vma *v, gva_t page, gva_t want_end,
			   bool write, int *err)
{
	uint64_t *pte = pte_get(mm, page, false);
	gva_t end = MIN(MIN(v->end, PAGE_ALIGN_UP(want_end)),
			page + MM_FAULT_BATCH_PAGES * PAGE_SIZE);

	*err = 0;
	if (!pte || !(*pte & PTE_PRESENT)) {
		if (v->file) {
			*err = mm_file_fill(mm, v, page, page, end, write);
			*err = *err == 0 ? -EAGAIN : *err == -EIO ? -EFAULT : *err;
			return NULL;
		}
		*err = mm_populate_locked(mm, v, page, end, false);
		if (*err == -ENOMEM && end > page + PAGE_SIZE)
			*err = mm_populate_locked(mm, v, page, page + PAGE_SIZE, false);
		if (*err)
			return NULL;
		pte = pte_get(mm, page, false);
	}
	if (write)
		*err = mm_break_cow(mm, v, page, pte);
	if (!*err && write && vma_is_private(v))
		*err = pin_mirror_writable(mm, v, page, pte);
	return *err ? NULL : pte;
}

int mm_pin_pages(struct mm *mm, gva_t addr, size_t len, bool write, struct mm_pin *out,
		 int max)
{
	gva_t end = addr + len < addr ? UINT64_MAX : addr + len;
	struct vma *v = NULL;
	int n = 0, err = 0;

	pthread_mutex_lock(&mm->mu);
	while (n < max && addr < end) {
		gva_t page = PAGE_ALIGN_DOWN(addr);
		size_t chunk = MIN(PAGE_SIZE - (addr - page), end - addr);
		uint64_t *pte;

		if (!v || addr >= v->end || addr < v->start)
			v = mm_vma_for_access(mm, addr);
		/* As copy.c's copy_allowed: x86 W or X pages are readable too. */
		if (!v || !(v->prot & (write ? PROT_WRITE : PROT_RWX))) {
			err = -EFAULT;
			break;
		}
		pte = pin_fault(mm, v, page, end, write, &err);
		if (err == -EAGAIN) {
			v = NULL;
			continue;
		}
		if (!pte)
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
	if (n || len == 0)
		return n;
	return err == -ENOMEM ? -ENOMEM : -EFAULT;
}

void mm_unpin_pages(struct mm *mm, const struct mm_pin *pins, int n)
{
	for (int i = 0; i < n; i++)
		memfile_decref(mm->mf, pin_page(pins[i].off));
}
