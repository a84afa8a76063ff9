// SPDX-License-Identifier: Apache-2.0
/*
 * Demand paging: find (or grow) the VMA behind a guest access, allocate the missing pages
 * of a batch around it as contiguous memory-file runs, and mirror them into the platform
 * address space. Also the copy-on-write break that fork will rely on.
 */
#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "sentry/mm/mm_impl.h"

/* RLIMIT_STACK when the loader has not said (Linux's default soft limit). */
#define MM_DEFAULT_STACK_LIMIT (8ULL << 20)

struct vma *mm_vma_for_access(struct mm *mm, gva_t addr)
{
	struct vma *v, *prev;
	uint64_t limit = mm->stack_limit ? mm->stack_limit : MM_DEFAULT_STACK_LIMIT;
	gva_t start = PAGE_ALIGN_DOWN(addr);

	if (addr >= mm->max)
		return NULL;
	v = vma_find(mm, addr);
	if (v)
		return v;
	/* Below a MAP_GROWSDOWN VMA: grow it down (Linux expand_downwards()). */
	v = vma_find_ge(mm, addr);
	if (!v || !(v->flags & MAP_GROWSDOWN) || start < MM_MIN_ADDR)
		return NULL;
	if (v->end - start > limit)
		return NULL;
	prev = vma_prev(v);
	if (prev && start - prev->end < MM_STACK_GUARD_GAP)
		return NULL;
	/* The tree is keyed by start, and nothing lies between prev and v: order holds. */
	v->start = start;
	return v;
}

int mm_page_prot(struct mm *mm, const struct vma *v, uint64_t pte)
{
	int prot = v->prot;

	/* A page mirrored writable is this mm's alone (fork write-protects what it shares):
	 * more references then are pins (mm_pin_pages), not sharers. */
	if ((prot & PROT_WRITE) && vma_is_private(v) && !(pte & PTE_AS_WRITE) &&
	    memfile_page_refs(mm->mf, PTE_ADDR(pte)) > 1)
		prot &= ~PROT_WRITE; /* shared copy-on-write page: the first write copies it */
	return prot;
}

int mm_break_cow(struct mm *mm, struct vma *v, gva_t addr, uint64_t *pte)
{
	struct frange old = { PTE_ADDR(*pte), PTE_ADDR(*pte) + PAGE_SIZE }, fr;
	int r;

	if (!vma_is_private(v) || (*pte & PTE_AS_WRITE) ||
	    memfile_page_refs(mm->mf, old.start) <= 1)
		return 0; /* not shared (a writable mirror means pins at most: see mm_page_prot) */
	r = memfile_alloc(mm->mf, PAGE_SIZE, &fr);
	if (r < 0)
		return r;
	memcpy(memfile_map_internal(mm->mf, fr), memfile_map_internal(mm->mf, old), PAGE_SIZE);
	*pte = fr.start | PTE_PRESENT | (*pte & (PTE_MAPPED | PTE_AS_WRITE));
	if (*pte & PTE_MAPPED) {
		/* The old page must leave the AS before our reference to it goes. */
		r = mm_as_map(mm, addr, PAGE_SIZE, v->prot, fr.start);
		if (r < 0) {
			mm_as_unmap(mm, addr, PAGE_SIZE);
			*pte &= ~(PTE_MAPPED | PTE_AS_WRITE);
		} else if (v->prot & PROT_WRITE) {
			*pte |= PTE_AS_WRITE;
		}
	}
	memfile_decref(mm->mf, old);
	return 0;
}

/*
 * A write to a private writable file mapping: copy every page of [start, end) still shared
 * with the page cache, as one memory-file run. Written data segments (.data of every
 * library) are written nearly all over, and a fault costs far more here than in Linux, so
 * one fault copies the window instead of one fault per page. Mirrors of the range are
 * removed; the caller maps it again. Returns the pages copied (0: none, or out of memory:
 * the caller falls back to the single page).
 */
static int cow_window(struct mm *mm, struct vma *v, gva_t start, gva_t end)
{
	struct frange fr;
	uint64_t n = 0, i = 0;
	uint8_t *dst;

	if (!v->file || !vma_is_private(v) || !(v->prot & PROT_WRITE))
		return 0;
	for (gva_t a = start; a < end; a += PAGE_SIZE) {
		uint64_t *pte = pte_get(mm, a, false);

		n += pte && (*pte & PTE_PRESENT) && memfile_page_refs(mm->mf, PTE_ADDR(*pte)) > 1;
	}
	if (n < 2 || memfile_alloc(mm->mf, n * PAGE_SIZE, &fr) < 0)
		return 0;
	pt_unmap_as_range(mm, start, end);
	dst = memfile_map_internal(mm->mf, fr);
	for (gva_t a = start; a < end; a += PAGE_SIZE) {
		uint64_t *pte = pte_get(mm, a, false);
		struct frange old;

		if (!pte || !(*pte & PTE_PRESENT) || memfile_page_refs(mm->mf, PTE_ADDR(*pte)) <= 1)
			continue;
		old = (struct frange){ PTE_ADDR(*pte), PTE_ADDR(*pte) + PAGE_SIZE };
		memcpy(dst + i * PAGE_SIZE, memfile_map_internal(mm->mf, old), PAGE_SIZE);
		*pte = (fr.start + i * PAGE_SIZE) | PTE_PRESENT;
		memfile_decref(mm->mf, old);
		i++;
	}
	return (int)n;
}

/*
 * Mirror @n runs with one request. On failure some runs may be mapped already: mark them
 * all, so that a later unmap covers whatever reached the host address space.
 */
static int map_runs_flush(struct mm *mm, const struct as_map_range *runs, int n)
{
	int r;

	if (!n)
		return 0;
	r = mm_as_map_vec(mm, runs, n);
	for (int i = 0; i < n; i++) {
		uint64_t bits = PTE_MAPPED | ((runs[i].prot & PROT_WRITE) ? PTE_AS_WRITE : 0);

		for (gva_t a = runs[i].va; a < runs[i].va + runs[i].len; a += PAGE_SIZE)
			*pte_get(mm, a, false) |= bits;
	}
	return r;
}

/* Mirror the present, not yet mapped pages of [start, end) in @v: one range per run. */
static int map_present(struct mm *mm, struct vma *v, gva_t start, gva_t end)
{
	struct as_map_range runs[MM_FAULT_BATCH_PAGES];
	int n = 0, r;

	if (!(v->prot & PROT_RWX) || !mm_mirroring(mm))
		return 0; /* PROT_NONE: nothing to mirror, every access faults (or no AS yet) */
	for (gva_t a = start; a < end; a += PAGE_SIZE) {
		uint64_t *pte = pte_get(mm, a, false);
		struct as_map_range *last = n ? &runs[n - 1] : NULL;
		int prot;

		if (!pte || !(*pte & PTE_PRESENT) || (*pte & PTE_MAPPED))
			continue; /* a gap: the next page cannot extend the last run */
		prot = mm_page_prot(mm, v, *pte);
		if (last && last->va + last->len == a &&
		    last->memfile_off + last->len == PTE_ADDR(*pte) && last->prot == prot) {
			last->len += PAGE_SIZE;
			continue;
		}
		if (n == (int)ARRAY_SIZE(runs)) {
			r = map_runs_flush(mm, runs, n);
			n = 0;
			if (r)
				return r;
		}
		runs[n++] = (struct as_map_range){ a, PAGE_SIZE, PTE_ADDR(*pte), prot };
	}
	return map_runs_flush(mm, runs, n);
}

/*
 * Give the missing pages of [start, end) memory-file pages from as few runs as possible
 * (with @split, smaller runs when memory is short; without it, one run or nothing).
 */
static int alloc_missing(struct mm *mm, gva_t start, gva_t end, bool split)
{
	uint64_t missing = 0;
	gva_t a = start;

	for (gva_t p = start; p < end; p += PAGE_SIZE) {
		uint64_t *pte = pte_get(mm, p, true);

		if (!pte)
			return -ENOMEM;
		missing += !(*pte & PTE_PRESENT);
	}
	while (missing) {
		uint64_t want = missing;
		struct frange fr;
		int r;

		/* Contiguous when possible: fewer host VMAs in the stub, fewer as_map calls. */
		while ((r = memfile_alloc(mm->mf, want * PAGE_SIZE, &fr)) == -ENOMEM && split &&
		       want > 1)
			want = (want + 1) / 2;
		if (r < 0)
			return r;
		for (uint64_t off = fr.start; off < fr.end; a += PAGE_SIZE) {
			uint64_t *pte = pte_get(mm, a, false);

			if (*pte & PTE_PRESENT)
				continue;
			*pte = off | PTE_PRESENT;
			off += PAGE_SIZE;
		}
		missing -= want;
	}
	return 0;
}

int mm_file_fill(struct mm *mm, struct vma *v, gva_t need, gva_t start, gva_t end, bool write)
{
	struct mm_mappable *m = v->file;
	gva_t addr[MM_FAULT_BATCH_PAGES];
	uint64_t pgoff[MM_FAULT_BATCH_PAGES], off[MM_FAULT_BATCH_PAGES];
	int got[MM_FAULT_BATCH_PAGES], n = 0, need_r = 0;
	uint64_t limit;
	bool kept = false;

	for (gva_t a = start; a < end && n < MM_FAULT_BATCH_PAGES; a += PAGE_SIZE) {
		uint64_t *pte = pte_get(mm, a, false);

		if (pte && (*pte & PTE_PRESENT))
			continue;
		addr[n] = a;
		pgoff[n++] = vma_pgoff(v, a);
	}
	if (!n)
		return 0;
	/* Pages of a shared writable VMA are mapped writable from the start: dirty now. */
	write = !vma_is_private(v) && (v->prot & PROT_WRITE);
	m->ops->get(m);
	/* The page cache may read the file (a gofer RPC): never with mm->mu held. */
	pthread_mutex_unlock(&mm->mu);
	for (int i = 0; i < n; i++) {
		got[i] = m->ops->get_page(m, pgoff[i], write, &off[i]);
		if (addr[i] == need)
			need_r = got[i];
	}
	pthread_mutex_lock(&mm->mu);
	/*
	 * A truncate may have run meanwhile: it sets the size, then unmaps from every mm
	 * under mm->mu. Checking the size under mm->mu means either we see the new size, or
	 * its unmap comes after us and removes what we install.
	 */
	limit = m->ops->size ? PAGE_ALIGN_UP(m->ops->size(m)) / PAGE_SIZE : UINT64_MAX;
	for (int i = 0; i < n; i++) {
		struct vma *cur;
		uint64_t *pte;

		if (got[i] == 0 && pgoff[i] >= limit) {
			memfile_decref(mm->mf, (struct frange){ off[i], off[i] + PAGE_SIZE });
			got[i] = -EFAULT;
			if (addr[i] == need)
				need_r = -EFAULT;
		}
		if (got[i] < 0)
			continue;
		/* Install only where the same file page is still mapped and still absent. */
		cur = vma_find(mm, addr[i]);
		if (cur && cur->file == m && vma_pgoff(cur, addr[i]) == pgoff[i]) {
			kept = true;
			pte = pte_get(mm, addr[i], true);
			if (pte && !(*pte & PTE_PRESENT)) {
				*pte = off[i] | PTE_PRESENT;
				continue;
			}
		}
		memfile_decref(mm->mf, (struct frange){ off[i], off[i] + PAGE_SIZE });
	}
	if (kept) {
		m->ops->put(m); /* a VMA still holds another reference: not the last */
	} else {
		pthread_mutex_unlock(&mm->mu);
		m->ops->put(m);
		pthread_mutex_lock(&mm->mu);
	}
	if (need_r == -EFAULT)
		return -EIO; /* past end of file: SIGBUS */
	return need_r;
}

int mm_populate_locked(struct mm *mm, struct vma *v, gva_t start, gva_t end, bool map)
{
	/* In 2 MiB steps, so that a huge MAP_POPULATE stops (without page tables for all
	 * of it) as soon as memory runs out. */
	const uint64_t chunk = PT_ENTRIES * PAGE_SIZE;
	int r = 0;

	if (v->file)
		return 0; /* file pages come from the page cache on fault (best effort, as Linux) */
	for (gva_t a = start, next; a < end && r == 0; a = next) {
		next = end - a > chunk ? a + chunk : end;
		r = alloc_missing(mm, a, next, true);
		if (r == 0 && map)
			r = map_present(mm, v, a, next);
	}
	return r;
}

/* May @access (TRAP_ACCESS_*, 0 = unknown) touch a page of a VMA with @prot? (x86: any
 * of R, W, X makes a page readable.) */
static bool access_allowed(int prot, int access)
{
	if (!(prot & PROT_RWX))
		return false;
	if ((access & TRAP_ACCESS_WRITE) && !(prot & PROT_WRITE))
		return false;
	if ((access & TRAP_ACCESS_EXEC) && !(prot & PROT_EXEC))
		return false;
	return true;
}

/*
 * The page is mirrored already, so the access needed more than the mirror allows. With an
 * unknown access type, a read-only mirror in a writable VMA means a write; a mirror with all
 * the VMA's permissions means a genuine violation.
 */
/*
 * What this host thread (one guest task) last mirrored in a fault, and the page it was
 * last told to retry. With several guest threads, a thread can trap on a page another one
 * mirrors before this fault is handled (more so while a file page is read with mm->mu
 * released); with the access type unknown (ptrace) that looks like a violation.
 */
static __thread struct {
	const struct mm *mm;
	gva_t lo, hi;  /* last window mirrored by this thread */
	uint64_t gen;  /* mm->unmap_gen then: any unmap since makes the window stale */
	gva_t retried; /* page retried once already */
} fault_tl;

static void fault_note_mapped(struct mm *mm, gva_t lo, gva_t hi)
{
	fault_tl.mm = mm;
	fault_tl.lo = lo;
	fault_tl.hi = hi;
	fault_tl.gen = mm->unmap_gen;
	fault_tl.retried = 0;
}

/*
 * An unknown access to a page mirrored with every permission its VMA has: a violation if
 * this thread mirrored it itself with nothing unmapped since (or it was retried already),
 * else perhaps another thread's mirror raced our trap: let the guest retry once.
 */
static int fault_unknown_on_mapped(struct mm *mm, gva_t page)
{
	if (fault_tl.mm == mm && fault_tl.gen == mm->unmap_gen && page >= fault_tl.lo &&
	    page < fault_tl.hi)
		return -EACCES;
	if (fault_tl.mm == mm && fault_tl.retried == page + 1) {
		fault_tl.retried = 0;
		return -EACCES;
	}
	fault_tl.mm = mm;
	fault_tl.lo = fault_tl.hi = 0;
	fault_tl.retried = page + 1; /* +1: page 0 is a valid address too */
	return 0;
}

static int fault_mapped(struct mm *mm, struct vma *v, gva_t page, uint64_t *pte, int access)
{
	bool write = (access & TRAP_ACCESS_WRITE) ||
		     (!access && !(*pte & PTE_AS_WRITE) && (v->prot & PROT_WRITE));
	int prot, r;

	if (!write && !access)
		return fault_unknown_on_mapped(mm, page);
	if (write) {
		r = mm_break_cow(mm, v, page, pte);
		if (r < 0)
			return r;
	}
	/* A known, allowed access on a mirrored page (another thread changed it): remap. */
	prot = mm_page_prot(mm, v, *pte);
	r = mm_as_map(mm, page, PAGE_SIZE, prot, PTE_ADDR(*pte));
	if (r < 0)
		return r;
	*pte = (*pte & ~PTE_AS_WRITE) | PTE_MAPPED | ((prot & PROT_WRITE) ? PTE_AS_WRITE : 0);
	fault_note_mapped(mm, page, page + PAGE_SIZE);
	return 0;
}

int mm_handle_fault(struct mm *mm, gva_t addr, int access)
{
	gva_t page = PAGE_ALIGN_DOWN(addr), ws, we;
	uint64_t batch = MM_FAULT_BATCH_PAGES * PAGE_SIZE, *pte;
	struct vma *v;
	int r;

	pthread_mutex_lock(&mm->mu);
retry:
	v = mm_vma_for_access(mm, addr);
	if (!v) {
		r = -EFAULT;
		goto out;
	}
	if (!access_allowed(v->prot, access)) {
		r = -EACCES;
		goto out;
	}
	pte = pte_get(mm, page, false);
	ws = MAX(v->start, page & ~(batch - 1));
	we = MIN(v->end, (page & ~(batch - 1)) + batch);
	if (pte && (*pte & PTE_MAPPED)) {
		bool write = (access & TRAP_ACCESS_WRITE) ||
			     (!access && !(*pte & PTE_AS_WRITE) && (v->prot & PROT_WRITE));

		if (write && cow_window(mm, v, ws, we) > 0) {
			r = map_present(mm, v, ws, we);
			goto mapped;
		}
		r = fault_mapped(mm, v, page, pte, access);
		goto out;
	}
	if (v->file) {
		if (!pte || !(*pte & PTE_PRESENT)) {
			/* mm->mu was dropped: look everything up again. */
			r = mm_file_fill(mm, v, page, ws, we, access & TRAP_ACCESS_WRITE);
			if (r < 0)
				goto out;
			goto retry;
		}
		r = 0;
		if ((access & TRAP_ACCESS_WRITE) && cow_window(mm, v, ws, we) == 0)
			r = mm_break_cow(mm, v, page, pte);
		if (r == 0)
			r = map_present(mm, v, ws, we);
		goto mapped;
	}
	/*
	 * The batch is best effort, the faulting page is not: when the batch does not fit in
	 * one run, back the faulting page first so the batch cannot take its memory.
	 */
	r = alloc_missing(mm, ws, we, false);
	if (r == -ENOMEM) {
		r = alloc_missing(mm, page, page + PAGE_SIZE, false);
		if (r == 0)
			(void)alloc_missing(mm, ws, we, true);
	}
	if (r == 0 && (access & TRAP_ACCESS_WRITE))
		r = mm_break_cow(mm, v, page, pte_get(mm, page, false));
	if (r == 0)
		r = map_present(mm, v, ws, we);
mapped:
	if (r == 0)
		fault_note_mapped(mm, ws, we);
out:
	mm_unlock(mm);
	if (r < 0 && r != -EFAULT && r != -EACCES && r != -EIO)
		log_warn("mm: fault at %#llx failed: %d", (unsigned long long)addr, r);
	return r;
}
