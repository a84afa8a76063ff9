// SPDX-License-Identifier: Apache-2.0
/*
 * Copying between the Sentry and guest memory. Every access is translated through the VMAs
 * and the guest page table and performed through the Sentry's own mapping of the memory file;
 * a guest address is never dereferenced, and a bad one yields -EFAULT.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "sentry/mm/mm_impl.h"

enum copy_dir { COPY_IN, COPY_OUT, COPY_OUT_FORCE, ZERO_OUT };

/*
 * Preconditions: mm->mu held. The Sentry's pointer to guest page @page, backing it first
 * if needed, or NULL when the guest may not make this access there.
 */
static uint8_t *guest_page(struct mm *mm, gva_t page, enum copy_dir dir)
{
	struct vma *v = vma_find(mm, page);
	uint64_t *pte;

	if (!v)
		v = mm_stack_grow_locked(mm, page);
	if (!v)
		return NULL;
	if (dir == COPY_IN && v->prot == PROT_NONE)
		return NULL;
	if ((dir == COPY_OUT || dir == ZERO_OUT) && !(v->prot & PROT_WRITE))
		return NULL;
	pte = pte_get(mm, page, false);
	if (!pte || !(*pte & PTE_PRESENT)) {
		if (mm_populate_locked(mm, page, page + PAGE_SIZE) < 0)
			return NULL;
		pte = pte_get(mm, page, false);
	}
	return memfile_map_internal(mm->mf, (struct frange){ PTE_ADDR(*pte), PTE_ADDR(*pte) + PAGE_SIZE });
}

static ssize_t mm_copy(struct mm *mm, gva_t addr, void *buf, size_t len, enum copy_dir dir)
{
	size_t done = 0;

	if (len == 0)
		return 0;
	if (addr >= mm->max || len > mm->max - addr)
		len = addr >= mm->max ? 0 : mm->max - addr; /* copy what lies below the top */
	pthread_mutex_lock(&mm->mu);
	while (done < len) {
		gva_t va = addr + done;
		size_t in_page = PAGE_SIZE - (va & (PAGE_SIZE - 1));
		size_t n = MIN(len - done, in_page);
		uint8_t *p = guest_page(mm, PAGE_ALIGN_DOWN(va), dir);
		if (!p)
			break;
		p += va & (PAGE_SIZE - 1);
		switch (dir) {
		case COPY_IN:
			memcpy((uint8_t *)buf + done, p, n);
			break;
		case COPY_OUT:
		case COPY_OUT_FORCE:
			memcpy(p, (const uint8_t *)buf + done, n);
			break;
		case ZERO_OUT:
			memset(p, 0, n);
			break;
		}
		done += n;
	}
	pthread_mutex_unlock(&mm->mu);
	return done ? (ssize_t)done : -EFAULT;
}

ssize_t mm_copy_in(struct mm *mm, gva_t src, void *dst, size_t len)
{
	return mm_copy(mm, src, dst, len, COPY_IN);
}

ssize_t mm_copy_out(struct mm *mm, gva_t dst, const void *src, size_t len)
{
	return mm_copy(mm, dst, (void *)src, len, COPY_OUT);
}

ssize_t mm_copy_out_force(struct mm *mm, gva_t dst, const void *src, size_t len)
{
	return mm_copy(mm, dst, (void *)src, len, COPY_OUT_FORCE);
}

ssize_t mm_zero_out(struct mm *mm, gva_t dst, size_t len)
{
	return mm_copy(mm, dst, NULL, len, ZERO_OUT);
}

ssize_t mm_copy_string_in(struct mm *mm, gva_t src, char *dst, size_t max)
{
	size_t done = 0;

	if (max == 0)
		return -ENAMETOOLONG;
	/* Copy page-sized pieces so a string ending just before a hole still works. */
	while (done < max) {
		gva_t va = src + done;
		size_t n = MIN(max - done, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		ssize_t r = mm_copy_in(mm, va, dst + done, n);
		if (r < 0)
			return r;
		char *nul = memchr(dst + done, 0, (size_t)r);
		if (nul)
			return nul - dst;
		done += (size_t)r;
		if ((size_t)r < n)
			return -EFAULT;
	}
	return -ENAMETOOLONG;
}
