// SPDX-License-Identifier: Apache-2.0
/*
 * The mapping system calls on an mm: mmap, munmap, mprotect, mremap, madvise and brk, with
 * Linux's argument rules (mm/mmap.c, mm/mprotect.c, mm/mremap.c, mm/madvise.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "sentry/mm/mm_impl.h"

#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif

int mm_unmap_locked(struct mm *mm, gva_t start, gva_t end)
{
	int r = vma_remove_range(mm, start, end);

	if (r < 0)
		return r;
	pt_clear_range(mm, start, end);
	return 0;
}

/* Map a copy of @tmpl at [tmpl->start, tmpl->end), replacing anything. */
static int mm_map_locked(struct mm *mm, const struct vma *tmpl)
{
	struct vma *v = vma_alloc(tmpl); /* first, so that failing leaves the range alone */
	gva_t start = tmpl->start, end = tmpl->end;
	int r;

	if (!v)
		return -ENOMEM;
	r = mm_unmap_locked(mm, start, end);
	if (r < 0) {
		free(v);
		return r;
	}
	vma_link(mm, v);
	return 0;
}

int mm_map_anon_locked(struct mm *mm, gva_t start, gva_t end, int prot, int flags,
		       const char *name)
{
	struct vma tmpl = { .start = start, .end = end, .prot = prot & PROT_RWX,
			    .max_prot = PROT_RWX, .flags = flags, .name = name };

	return mm_map_locked(mm, &tmpl);
}

/*
 * Where a non-fixed mapping of @len goes: the page-aligned @hint when that range is free
 * (Linux arch_get_unmapped_area_topdown()), else top-down below the mmap base, else
 * anywhere. 0 when the address space is full.
 * Preconditions: mm->mu held.
 */
static gva_t mm_pick_addr(struct mm *mm, gva_t hint, uint64_t len)
{
	gva_t addr;

	hint = PAGE_ALIGN_UP(hint);
	if (hint >= MM_MIN_ADDR && hint <= mm->max - len && vma_range_free(mm, hint, hint + len))
		return hint;
	addr = vma_free_gap(mm, len, MM_MIN_ADDR, mm->mmap_base);
	if (!addr)
		addr = vma_free_gap(mm, len, MM_MIN_ADDR, mm->max);
	return addr;
}

/*
 * Linux's heuristic overcommit (vm.overcommit_memory = 0): one request for more committed
 * memory than the machine has fails with ENOMEM. Private writable and shared memory count,
 * MAP_NORESERVE does not; the memory file's capacity stands for RAM + swap.
 */
static bool mm_overcommits(struct mm *mm, uint64_t len, int prot, int flags)
{
	bool accounted = (flags & MAP_TYPE) != MAP_PRIVATE || (prot & PROT_WRITE);

	return accounted && !(flags & MAP_NORESERVE) && len > memfile_capacity(mm->mf);
}

/* MAP_* flags a VMA records. */
static int mm_vma_flags(int flags)
{
	int type = (flags & MAP_TYPE) == MAP_PRIVATE ? MAP_PRIVATE : MAP_SHARED;

	return type | (flags & (MAP_ANONYMOUS | MAP_GROWSDOWN));
}

/*
 * MAP_POPULATE of a file mapping: bring its pages in from the page cache (mm->mu is
 * dropped on the way, so the VMA is looked up again each step). Stops at the end of the
 * file or when the range stops being this mapping. Preconditions: mm->mu held.
 */
static void mm_populate_file_locked(struct mm *mm, struct mm_mappable *file, gva_t start,
				    gva_t end)
{
	const uint64_t step = MM_FAULT_BATCH_PAGES * PAGE_SIZE;

	for (gva_t a = start; a < end; a += step) {
		struct vma *v = vma_find(mm, a);

		if (!v || v->file != file ||
		    mm_file_fill(mm, v, a, a, MIN(MIN(end, v->end), a + step), false) < 0)
			return;
	}
}

int mm_mmap(struct mm *mm, const struct mmap_opts *o, gva_t *out)
{
	int type = o->flags & MAP_TYPE, r = 0;
	bool noreplace = o->flags & MAP_FIXED_NOREPLACE;
	bool fixed = noreplace || (o->flags & MAP_FIXED);
	uint64_t len = PAGE_ALIGN_UP(o->len);
	gva_t addr = o->addr;

	if (o->len == 0)
		return -EINVAL;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (len < o->len || len > mm->max || mm_overcommits(mm, len, o->prot, o->flags))
		return -ENOMEM;
	if (fixed && (addr & ~PAGE_MASK))
		return -EINVAL;
	if (!(o->flags & MAP_ANONYMOUS) && (!o->file || (o->offset & ~PAGE_MASK)))
		return o->file ? -EINVAL : -ENODEV;
	/* The file's page index must not wrap (Linux: -EOVERFLOW). */
	if (!(o->flags & MAP_ANONYMOUS) && o->offset + len < o->offset)
		return -EOVERFLOW;

	pthread_mutex_lock(&mm->mu);
	if (fixed) {
		if (addr > mm->max - len)
			r = -ENOMEM;
		else if (noreplace && !vma_range_free(mm, addr, addr + len))
			r = -EEXIST;
	} else {
		addr = mm_pick_addr(mm, addr, len);
		if (!addr)
			r = -ENOMEM;
	}
	if (r == 0) {
		struct vma tmpl = { .start = addr, .end = addr + len, .prot = o->prot & PROT_RWX,
				    .max_prot = PROT_RWX, .flags = mm_vma_flags(o->flags) };

		if (!(o->flags & MAP_ANONYMOUS)) {
			tmpl.file = o->file;
			tmpl.off = o->offset;
			tmpl.max_prot = o->max_prot & PROT_RWX;
		}
		r = mm_map_locked(mm, &tmpl);
	}
	if (r == 0 && (o->flags & MAP_POPULATE) && !(o->flags & MAP_NONBLOCK) &&
	    (o->prot & PROT_RWX)) {
		/* Best effort, like Linux: a mapping whose prefault failed still succeeds. */
		if (o->flags & MAP_ANONYMOUS)
			mm_populate_locked(mm, vma_find(mm, addr), addr, addr + len, true);
		else
			mm_populate_file_locked(mm, o->file, addr, addr + len);
	}
	mm_unlock(mm);
	if (r == 0)
		*out = addr;
	return r;
}

int mm_munmap(struct mm *mm, gva_t addr, uint64_t len)
{
	uint64_t alen = PAGE_ALIGN_UP(len);
	int r;

	if ((addr & ~PAGE_MASK) || len == 0 || alen < len)
		return -EINVAL;
	if (addr > mm->max || alen > mm->max - addr)
		return -EINVAL;
	pthread_mutex_lock(&mm->mu);
	r = mm_unmap_locked(mm, addr, addr + alen);
	mm_unlock(mm);
	return r;
}

/* Preconditions: mm->mu held; [start, end) is page aligned and inside the address space. */
static int mm_mprotect_locked(struct mm *mm, gva_t start, gva_t end, int prot)
{
	struct vma *v;
	int r;

	if (prot & PROT_GROWSDOWN) { /* extend to the start of the growsdown VMA */
		v = vma_find(mm, start);
		if (!v)
			return -ENOMEM;
		if (!(v->flags & MAP_GROWSDOWN))
			return -EINVAL;
		start = v->start;
	}
	if (!vma_range_covered(mm, start, end))
		return -ENOMEM;
	for (v = vma_find(mm, start); v && v->start < end; v = vma_next(v))
		if ((prot & PROT_RWX) & ~v->max_prot)
			return -EACCES;
	r = vma_split(mm, start);
	if (r == 0)
		r = vma_split(mm, end);
	if (r < 0)
		return r;
	for (v = vma_find(mm, start); v && v->start < end; v = vma_next(v)) {
		/* A shared file VMA becoming writable refetches its pages (the page cache's,
		 * nothing lost) so they are marked dirty for writeback. */
		if (v->file && !vma_is_private(v) && (prot & PROT_WRITE) && !(v->prot & PROT_WRITE))
			pt_clear_range(mm, v->start, v->end);
		v->prot = prot & PROT_RWX;
	}
	/*
	 * Forget the platform mappings: the next access faults and maps with the new
	 * protection. (Fault decisions rely on mirrors never exceeding nor silently lacking
	 * a permission other than write.)
	 */
	pt_unmap_as_range(mm, start, end);
	vma_merge_range(mm, start, end);
	return 0;
}

int mm_mprotect(struct mm *mm, gva_t addr, uint64_t len, int prot)
{
	uint64_t alen = PAGE_ALIGN_UP(len);
	int r;

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (prot & ~(PROT_RWX | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (prot & PROT_GROWSUP) /* x86 has no grows-up VMAs */
		return -EINVAL;
	if (len == 0)
		return 0;
	if (alen < len || addr + alen <= addr || addr + alen > mm->max)
		return -ENOMEM;
	pthread_mutex_lock(&mm->mu);
	r = mm_mprotect_locked(mm, addr, addr + alen, prot);
	mm_unlock(mm);
	return r;
}

/*
 * Move [old, old+old_len) of @v to [new, new+new_len), which is free: page-table entries
 * move, data is not copied. With @dontunmap the old VMA stays, empty.
 * Preconditions: mm->mu held.
 */
static int64_t mremap_move(struct mm *mm, struct vma *v, gva_t old_addr, uint64_t old_len,
			   gva_t new_addr, uint64_t new_len, bool dontunmap)
{
	struct vma tmpl = *v, *nv;
	int r;

	tmpl.start = new_addr;
	tmpl.end = new_addr + new_len;
	tmpl.off = v->off + (old_addr - v->start);
	nv = vma_alloc(&tmpl);
	if (!nv)
		return -ENOMEM;
	/* Everything that can fail comes before the first change. */
	r = vma_split(mm, old_addr);
	if (r == 0)
		r = vma_split(mm, old_addr + old_len);
	if (r == 0)
		r = pt_move_range(mm, old_addr, new_addr, MIN(old_len, new_len));
	if (r < 0) {
		free(nv);
		return r;
	}
	if (!dontunmap)
		mm_unmap_locked(mm, old_addr, old_addr + old_len); /* splits done: cannot fail */
	vma_link(mm, nv);
	return (int64_t)new_addr;
}

/* MREMAP_FIXED. Preconditions: mm->mu held. */
static int64_t mremap_fixed(struct mm *mm, gva_t old_addr, uint64_t old_len, uint64_t new_len,
			    gva_t new_addr, bool dontunmap)
{
	struct vma *v;
	int r;

	if ((new_addr & ~PAGE_MASK) || new_addr > mm->max || new_len > mm->max - new_addr)
		return -EINVAL;
	if (new_addr < old_addr + old_len && old_addr < new_addr + new_len)
		return -EINVAL;
	r = mm_unmap_locked(mm, new_addr, new_addr + new_len);
	if (r < 0)
		return r;
	v = vma_find(mm, old_addr);
	if (!v || old_len > v->end - old_addr)
		return -EFAULT;
	return mremap_move(mm, v, old_addr, old_len, new_addr, new_len, dontunmap);
}

/* Preconditions: mm->mu held; lengths page aligned and non-zero. */
static int64_t mm_mremap_locked(struct mm *mm, gva_t old_addr, uint64_t old_len, uint64_t new_len,
				int flags, gva_t new_addr)
{
	struct vma *v;
	gva_t old_end = old_addr + old_len;
	int r;

	if (old_addr > mm->max || old_len > mm->max - old_addr)
		return -EFAULT;
	if (flags & MREMAP_FIXED)
		return mremap_fixed(mm, old_addr, old_len, new_len, new_addr,
				    flags & MREMAP_DONTUNMAP);
	if (new_len < old_len && !(flags & MREMAP_DONTUNMAP)) {
		r = mm_unmap_locked(mm, old_addr + new_len, old_end);
		return r < 0 ? r : (int64_t)old_addr;
	}
	v = vma_find(mm, old_addr);
	if (!v || old_len > v->end - old_addr)
		return -EFAULT;
	if (new_len == old_len && !(flags & MREMAP_DONTUNMAP))
		return (int64_t)old_addr;
	if (new_len > old_len && mm_overcommits(mm, new_len - old_len, v->prot, v->flags))
		return -ENOMEM;
	/* Grow in place when the VMA ends with the old range and the space above is free. */
	if (!(flags & MREMAP_DONTUNMAP) && old_end == v->end &&
	    new_len - old_len <= mm->max - old_end &&
	    vma_range_free(mm, old_end, old_addr + new_len)) {
		v->end = old_addr + new_len;
		vma_merge_range(mm, v->start, v->end);
		return (int64_t)old_addr;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	new_addr = mm_pick_addr(mm, 0, new_len);
	if (!new_addr)
		return -ENOMEM;
	return mremap_move(mm, v, old_addr, old_len, new_addr, new_len, flags & MREMAP_DONTUNMAP);
}

int64_t mm_mremap(struct mm *mm, gva_t old_addr, uint64_t old_len, uint64_t new_len, int flags,
		  gva_t new_addr)
{
	uint64_t olen = PAGE_ALIGN_UP(old_len), nlen = PAGE_ALIGN_UP(new_len);
	int64_t r;

	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
		return -EINVAL;
	if ((old_addr & ~PAGE_MASK) || olen < old_len || nlen < new_len || nlen == 0)
		return -EINVAL;
	/* old_len 0 duplicates a shared mapping in Linux; anonymous pages here have no
	 * shared object to map twice yet. */
	if (olen == 0)
		return -EINVAL;
	pthread_mutex_lock(&mm->mu);
	r = mm_mremap_locked(mm, old_addr, olen, nlen, flags, new_addr);
	mm_unlock(mm);
	return r;
}

/* Linux brk(2): failures leave the break where it was, and that is what is returned. */
gva_t mm_brk(struct mm *mm, gva_t addr)
{
	gva_t newbrk = PAGE_ALIGN_UP(addr), oldbrk, ret;

	pthread_mutex_lock(&mm->mu);
	oldbrk = PAGE_ALIGN_UP(mm->brk);
	if (!mm->brk_start || addr < mm->brk_start || newbrk < addr || newbrk > mm->max)
		goto out;
	if (newbrk == oldbrk) {
		mm->brk = addr;
	} else if (newbrk < oldbrk) {
		if (mm_unmap_locked(mm, newbrk, oldbrk) == 0)
			mm->brk = addr;
	} else if (newbrk - oldbrk <= memfile_capacity(mm->mf) &&
		   vma_range_free(mm, oldbrk, MIN(newbrk + PAGE_SIZE, mm->max)) &&
		   mm_map_anon_locked(mm, oldbrk, newbrk, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, mm_heap_name) == 0) {
		/* One free guard page above the new break, as Linux checks. */
		mm->brk = addr;
	}
out:
	ret = mm->brk;
	mm_unlock(mm);
	return ret;
}

/*
 * ---- madvise ---- DONTNEED/FREE drop private anonymous pages so they read back as zero,
 * POPULATE_* prefault, the rest are accepted hints.
 */

#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

static bool madvise_known(int advice)
{
	switch (advice) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_FREE:
	case MADV_REMOVE:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
	case MADV_WIPEONFORK:
	case MADV_KEEPONFORK:
	case MADV_COLD:
	case MADV_PAGEOUT:
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
	case MADV_DONTNEED_LOCKED:
	case MADV_COLLAPSE:
		return true;
	default:
		return false;
	}
}

/* Apply @advice to [start, end), all inside @v. Preconditions: mm->mu held. */
static int madvise_vma(struct mm *mm, struct vma *v, gva_t start, gva_t end, int advice)
{
	switch (advice) {
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
		/* A shared mapping's pages are its contents: only the mirror goes. */
		if (vma_is_private(v))
			pt_clear_range(mm, start, end);
		else
			pt_unmap_as_range(mm, start, end);
		return 0;
	case MADV_FREE:
		if (!vma_is_private(v))
			return -EINVAL;
		pt_clear_range(mm, start, end);
		return 0;
	case MADV_REMOVE: /* punch a hole in shared memory */
		if (vma_is_private(v) || !(v->prot & PROT_WRITE))
			return -EACCES;
		pt_clear_range(mm, start, end);
		return 0;
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
		if (!(v->prot & (advice == MADV_POPULATE_WRITE ? PROT_WRITE : PROT_RWX)))
			return -EFAULT;
		return mm_populate_locked(mm, v, start, end, true);
	default:
		return 0;
	}
}

int mm_madvise(struct mm *mm, gva_t addr, uint64_t len, int advice)
{
	uint64_t alen = PAGE_ALIGN_UP(len);
	gva_t end = addr + alen, at = addr;
	struct vma *v;
	bool hole = false;
	int r = 0;

	if ((addr & ~PAGE_MASK) || !madvise_known(advice))
		return -EINVAL;
	if (alen < len || end < addr)
		return -EINVAL;
	if (alen == 0)
		return 0;
	if (end > mm->max)
		return -ENOMEM;
	pthread_mutex_lock(&mm->mu);
	/* Linux applies the advice to the mapped parts and reports holes as ENOMEM. */
	for (v = vma_find_ge(mm, addr); v && v->start < end && r == 0; v = vma_next(v)) {
		hole |= v->start > at;
		at = v->end;
		r = madvise_vma(mm, v, MAX(v->start, addr), MIN(v->end, end), advice);
	}
	if (r == 0 && (hole || at < end))
		r = -ENOMEM;
	mm_unlock(mm);
	return r;
}

int mm_msync(struct mm *mm, gva_t addr, uint64_t len, int flags)
{
	uint64_t alen = PAGE_ALIGN_UP(len);
	struct mm_mappable *sync[16];
	int r = 0, n = 0;

	if (alen < len || addr + alen < addr)
		return -ENOMEM;
	if (alen == 0)
		return 0;
	pthread_mutex_lock(&mm->mu);
	if (!vma_range_covered(mm, addr, addr + alen))
		r = -ENOMEM;
	for (struct vma *v = vma_find_ge(mm, addr); v && v->start < addr + alen; v = vma_next(v)) {
		if (!(flags & (MS_SYNC | MS_ASYNC)) || !v->file || vma_is_private(v) ||
		    !v->file->ops->sync || n == (int)ARRAY_SIZE(sync))
			continue;
		if (n && sync[n - 1] == v->file)
			continue;
		v->file->ops->get(v->file);
		sync[n++] = v->file;
	}
	mm_unlock(mm);
	/* Writing back reads the pages and calls the filesystem: without mm->mu. */
	for (int i = 0; i < n; i++) {
		int e = sync[i]->ops->sync(sync[i]);

		if (e < 0 && r == 0)
			r = -EIO;
		sync[i]->ops->put(sync[i]);
	}
	return r;
}

int mm_mincore(struct mm *mm, gva_t addr, uint64_t len, unsigned char *vec)
{
	uint64_t alen = PAGE_ALIGN_UP(len);
	int r = 0;

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (alen < len || addr + alen < addr || addr + alen > mm->max)
		return -ENOMEM;
	pthread_mutex_lock(&mm->mu);
	if (!vma_range_covered(mm, addr, addr + alen)) {
		r = -ENOMEM;
	} else {
		for (uint64_t i = 0; i < alen / PAGE_SIZE; i++) {
			uint64_t *pte = pte_get(mm, addr + i * PAGE_SIZE, false);

			vec[i] = pte && (*pte & PTE_PRESENT);
		}
	}
	mm_unlock(mm);
	return r;
}
