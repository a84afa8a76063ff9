// SPDX-License-Identifier: Apache-2.0
/* mmap, munmap, mprotect, mremap, madvise and brk over the VMA array and page table. */
#include <errno.h>
#include <sys/mman.h>

#include "sentry/mm/mm_impl.h"

#define PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)
/* Flags a VMA remembers; the rest only steer placement. */
#define VMA_FLAGS (MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN)

/* Preconditions: mm->mu held. Remove everything in [start, end). */
static int unmap_locked(struct mm *mm, gva_t start, gva_t end)
{
	int r = vma_remove_range(mm, start, end);
	if (r < 0)
		return r;
	return pt_clear_range(mm, start, end);
}

static bool range_ok(struct mm *mm, gva_t addr, uint64_t len)
{
	return addr < mm->max && len <= mm->max - addr;
}

int mm_mmap(struct mm *mm, const struct mmap_opts *o, gva_t *out)
{
	uint64_t len = PAGE_ALIGN_UP(o->len);
	gva_t addr = PAGE_ALIGN_DOWN(o->addr);
	bool fixed = o->flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	struct vma v;
	int r = 0;

	if (o->len == 0 || len < o->len)
		return o->len ? -ENOMEM : -EINVAL;
	if (o->prot & ~PROT_ALL & ~(PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (fixed && (o->addr & ~PAGE_MASK))
		return -EINVAL;
	if (len > mm->max)
		return -ENOMEM;
	pthread_mutex_lock(&mm->mu);
	if (fixed) {
		if (!range_ok(mm, addr, len)) {
			r = -ENOMEM;
		} else if (!vma_range_free(mm, addr, addr + len)) {
			if (o->flags & MAP_FIXED_NOREPLACE)
				r = -EEXIST;
			else
				r = unmap_locked(mm, addr, addr + len);
		}
	} else if (!(addr && range_ok(mm, addr, len) && addr >= PAGE_SIZE * 16 &&
		     vma_range_free(mm, addr, addr + len))) {
		/* The hint is taken only when the range is free, as on Linux. */
		addr = vma_free_gap(mm, len, mm->mmap_base);
		if (!addr)
			r = -ENOMEM;
	}
	if (r == 0) {
		v = (struct vma){ .start = addr, .end = addr + len, .prot = o->prot & PROT_ALL,
				  .flags = (o->flags & VMA_FLAGS) | MAP_ANONYMOUS };
		if ((v.flags & MAP_SHARED_VALIDATE) == MAP_SHARED_VALIDATE)
			v.flags = (v.flags & ~MAP_SHARED_VALIDATE) | MAP_SHARED;
		r = vma_insert(mm, &v);
	}
	if (r == 0 && (o->flags & MAP_POPULATE))
		(void)mm_populate_locked(mm, addr, addr + len); /* best effort, as on Linux */
	pthread_mutex_unlock(&mm->mu);
	if (r == 0)
		*out = addr;
	return r;
}

int mm_munmap(struct mm *mm, gva_t addr, uint64_t len)
{
	uint64_t alen = PAGE_ALIGN_UP(len);
	int r;

	if ((addr & ~PAGE_MASK) || len == 0 || alen < len || !range_ok(mm, addr, alen))
		return -EINVAL;
	pthread_mutex_lock(&mm->mu);
	r = unmap_locked(mm, addr, addr + alen);
	pthread_mutex_unlock(&mm->mu);
	return r;
}

/* Preconditions: mm->mu held. True when VMAs cover [start, end) without holes. */
static bool range_covered(struct mm *mm, gva_t start, gva_t end)
{
	gva_t at = start;
	size_t i = vma_find_index(mm, start);

	for (; i < mm->nvma && at < end; i++) {
		if (mm->vmas[i].start > at)
			return false;
		at = mm->vmas[i].end;
	}
	return at >= end;
}

int mm_mprotect(struct mm *mm, gva_t addr, uint64_t len, int prot)
{
	uint64_t alen = PAGE_ALIGN_UP(len);
	gva_t end = addr + alen;
	int r;

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (prot & ~(PROT_ALL | PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (alen < len || !range_ok(mm, addr, alen))
		return -ENOMEM;
	if (len == 0)
		return 0;
	pthread_mutex_lock(&mm->mu);
	if (!range_covered(mm, addr, end)) {
		pthread_mutex_unlock(&mm->mu);
		return -ENOMEM;
	}
	r = vma_split(mm, addr);
	if (r == 0)
		r = vma_split(mm, end);
	for (size_t i = vma_find_index(mm, addr); r == 0 && i < mm->nvma && mm->vmas[i].start < end; i++)
		mm->vmas[i].prot = prot & PROT_ALL;
	if (r == 0) {
		vma_merge_range(mm, addr, end);
		/* Drop the platform mappings: the next access re-faults with the new protection. */
		r = pt_unmap_as_range(mm, addr, end);
	}
	pthread_mutex_unlock(&mm->mu);
	return r;
}

/* Preconditions: mm->mu held. Move [old, old+len) (one VMA) to @new_addr. */
static int move_locked(struct mm *mm, const struct vma *old, gva_t old_addr, uint64_t old_len,
		       gva_t new_addr, uint64_t new_len)
{
	struct vma v = *old;
	int r;

	v.start = new_addr;
	v.end = new_addr + new_len;
	r = pt_move_range(mm, old_addr, new_addr, MIN(old_len, new_len));
	if (r == 0)
		r = unmap_locked(mm, old_addr, old_addr + old_len);
	if (r == 0)
		r = vma_insert(mm, &v);
	return r;
}

int64_t mm_mremap(struct mm *mm, gva_t old_addr, uint64_t old_len, uint64_t new_len, int flags,
		  gva_t new_addr)
{
	struct vma *v, copy;
	int64_t r;

	if ((old_addr & ~PAGE_MASK) || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if (flags & MREMAP_DONTUNMAP)
		return -EINVAL; /* not supported yet */
	old_len = PAGE_ALIGN_UP(old_len);
	new_len = PAGE_ALIGN_UP(new_len);
	if (new_len == 0 || old_len == 0)
		return -EINVAL; /* old_len 0 duplicates shared mappings only */
	if (!range_ok(mm, old_addr, old_len) || !range_ok(mm, old_addr, new_len))
		return (flags & MREMAP_FIXED) ? -EINVAL : -ENOMEM;
	pthread_mutex_lock(&mm->mu);
	v = vma_find(mm, old_addr);
	if (!v || old_addr + old_len > v->end) {
		r = -EFAULT;
		goto out;
	}
	copy = *v;
	if (flags & MREMAP_FIXED) {
		if ((new_addr & ~PAGE_MASK) || !range_ok(mm, new_addr, new_len) ||
		    (new_addr < old_addr + old_len && old_addr < new_addr + new_len)) {
			r = -EINVAL;
			goto out;
		}
		r = unmap_locked(mm, new_addr, new_addr + new_len);
		if (r == 0)
			r = move_locked(mm, &copy, old_addr, old_len, new_addr, new_len);
		r = r < 0 ? r : (int64_t)new_addr;
		goto out;
	}
	if (new_len <= old_len) {
		r = unmap_locked(mm, old_addr + new_len, old_addr + old_len);
		r = r < 0 ? r : (int64_t)old_addr;
		goto out;
	}
	if (old_addr + old_len == v->end && vma_range_free(mm, v->end, old_addr + new_len)) {
		v->end = old_addr + new_len; /* grow in place */
		vma_merge_range(mm, old_addr, v->end);
		r = (int64_t)old_addr;
		goto out;
	}
	if (!(flags & MREMAP_MAYMOVE)) {
		r = -ENOMEM;
		goto out;
	}
	new_addr = vma_free_gap(mm, new_len, mm->mmap_base);
	if (!new_addr) {
		r = -ENOMEM;
		goto out;
	}
	r = move_locked(mm, &copy, old_addr, old_len, new_addr, new_len);
	r = r < 0 ? r : (int64_t)new_addr;
out:
	pthread_mutex_unlock(&mm->mu);
	return r;
}

int mm_madvise(struct mm *mm, gva_t addr, uint64_t len, int advice)
{
	uint64_t alen = PAGE_ALIGN_UP(len);
	int r = 0;

	if ((addr & ~PAGE_MASK) || alen < len)
		return -EINVAL;
	switch (advice) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
	case MADV_DONTFORK: case MADV_DOFORK: case MADV_MERGEABLE: case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE: case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP:
	case MADV_COLD: case MADV_PAGEOUT: case MADV_WIPEONFORK: case MADV_KEEPONFORK:
		return 0;
	case MADV_DONTNEED:
	case MADV_FREE:
		break;
	default:
		return -EINVAL;
	}
	if (len == 0)
		return 0;
	if (!range_ok(mm, addr, alen))
		return -ENOMEM;
	pthread_mutex_lock(&mm->mu);
	if (!range_covered(mm, addr, addr + alen))
		r = -ENOMEM;
	else
		/* Private anonymous memory reads back as zero: drop the pages. */
		r = pt_clear_range(mm, addr, addr + alen);
	pthread_mutex_unlock(&mm->mu);
	return r;
}

gva_t mm_brk(struct mm *mm, gva_t addr)
{
	gva_t ret;

	pthread_mutex_lock(&mm->mu);
	ret = mm->brk;
	if (addr < mm->brk_start || addr >= mm->mmap_base)
		goto out;
	gva_t old_top = PAGE_ALIGN_UP(mm->brk), new_top = PAGE_ALIGN_UP(addr);
	if (new_top > old_top) {
		if (!vma_range_free(mm, old_top, new_top))
			goto out;
		struct vma v = { .start = old_top, .end = new_top, .prot = PROT_READ | PROT_WRITE,
				 .flags = MAP_PRIVATE | MAP_ANONYMOUS, .name = "[heap]" };
		if (vma_insert(mm, &v) < 0)
			goto out;
	} else if (new_top < old_top) {
		if (unmap_locked(mm, new_top, old_top) < 0)
			goto out;
	}
	mm->brk = addr;
	ret = addr;
out:
	pthread_mutex_unlock(&mm->mu);
	return ret;
}
