// SPDX-License-Identifier: Apache-2.0
/*
 * The guest page table: a lazily allocated 4-level radix (512 entries a level, like x86)
 * from guest page to memory-file page, and the walks that drop, unmap and move its entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "sentry/mm/mm_impl.h"

#define PT_SHIFT(level) (12 + (level) * PT_BITS)
#define PT_INDEX(addr, level) (((addr) >> PT_SHIFT(level)) & (PT_ENTRIES - 1))

uint64_t *pte_get(struct mm *mm, gva_t addr, bool create)
{
	union pt_table **slot = &mm->pt_root;

	for (int level = PT_LEVELS - 1;; level--) {
		if (!*slot) {
			if (!create)
				return NULL;
			*slot = calloc(1, sizeof(union pt_table));
			if (!*slot)
				return NULL;
		}
		if (level == 0)
			return &(*slot)->pte[PT_INDEX(addr, 0)];
		slot = &(*slot)->next[PT_INDEX(addr, level)];
	}
}

/* A visit of every leaf segment of a range; @fn sees @n entries for pages from @addr. */
struct pt_walker {
	void (*fn)(struct mm *mm, uint64_t *pte, gva_t addr, size_t n, void *arg);
	void *arg;
	bool prune; /* free tables left empty */
};

static bool pt_table_empty(const union pt_table *t)
{
	for (size_t i = 0; i < PT_ENTRIES; i++)
		if (t->pte[i])
			return false;
	return true;
}

/* Visit [start, end) (inside *@slot's span at @level); absent subtrees are skipped. */
static void pt_walk_level(struct mm *mm, union pt_table **slot, int level, gva_t start,
			  gva_t end, const struct pt_walker *w)
{
	union pt_table *t = *slot;

	if (!t)
		return;
	if (level == 0) {
		w->fn(mm, &t->pte[PT_INDEX(start, 0)], start, (end - start) / PAGE_SIZE, w->arg);
	} else {
		uint64_t span = 1ULL << PT_SHIFT(level);

		for (gva_t a = start; a < end;) {
			gva_t next = MIN((a & ~(span - 1)) + span, end);

			pt_walk_level(mm, &t->next[PT_INDEX(a, level)], level - 1, a, next, w);
			a = next;
		}
	}
	if (w->prune && pt_table_empty(t)) {
		free(t);
		*slot = NULL;
	}
}

static void pt_walk(struct mm *mm, gva_t start, gva_t end, const struct pt_walker *w)
{
	if (start < end)
		pt_walk_level(mm, &mm->pt_root, PT_LEVELS - 1, start, end, w);
}

static void rss_leaf(struct mm *mm, uint64_t *pte, gva_t addr, size_t n, void *arg)
{
	uint64_t *count = arg;

	(void)mm;
	(void)addr;
	for (size_t i = 0; i < n; i++)
		*count += (pte[i] & PTE_PRESENT) != 0;
}

uint64_t mm_resident_bytes(struct mm *mm)
{
	uint64_t pages = 0;
	struct pt_walker w = { .fn = rss_leaf, .arg = &pages };

	pthread_mutex_lock(&mm->mu);
	pt_walk(mm, 0, PAGE_ALIGN_DOWN(mm->max), &w);
	pthread_mutex_unlock(&mm->mu);
	return pages * PAGE_SIZE;
}

struct range_rss {
	struct mm_rss *out;
	uint32_t cache_refs; /* references a page cache holds (file VMAs: 1) */
};

static void range_leaf(struct mm *mm, uint64_t *pte, gva_t addr, size_t n, void *arg)
{
	struct range_rss *r = arg;

	(void)addr;
	for (size_t i = 0; i < n; i++) {
		if (!(pte[i] & PTE_PRESENT))
			continue;
		uint32_t refs = memfile_page_refs(mm->mf, PTE_ADDR(pte[i]));
		uint32_t maps = refs > r->cache_refs ? refs - r->cache_refs : 1;
		r->out->resident += PAGE_SIZE;
		if (maps > 1)
			r->out->shared += PAGE_SIZE;
		r->out->pss += ((uint64_t)PAGE_SIZE << MM_PSS_SHIFT) / maps;
	}
}

void mm_resident_range(struct mm *mm, gva_t start, gva_t end, bool file, struct mm_rss *out)
{
	struct range_rss r = { out, file ? 1 : 0 };
	struct pt_walker w = { .fn = range_leaf, .arg = &r };

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&mm->mu);
	pt_walk(mm, PAGE_ALIGN_DOWN(start), MIN(PAGE_ALIGN_UP(end), PAGE_ALIGN_DOWN(mm->max)), &w);
	pthread_mutex_unlock(&mm->mu);
}

static void pt_free_level(union pt_table *t, int level)
{
	if (!t)
		return;
	if (level > 0)
		for (size_t i = 0; i < PT_ENTRIES; i++)
			pt_free_level(t->next[i], level - 1);
	free(t);
}

void pt_free(struct mm *mm)
{
	pt_free_level(mm->pt_root, PT_LEVELS - 1);
	mm->pt_root = NULL;
}

int mm_as_map(struct mm *mm, gva_t va, uint64_t len, int prot, uint64_t off)
{
	if (!mm->as)
		return 0;
	return mm->as->ops->as_map(mm->as, va, len, prot, off);
}

int mm_as_map_vec(struct mm *mm, const struct as_map_range *r, int n)
{
	int err = 0;

	if (!mm->as)
		return 0;
	if (mm->as->ops->as_map_vec)
		return mm->as->ops->as_map_vec(mm->as, r, n);
	for (int i = 0; i < n && !err; i++)
		err = mm->as->ops->as_map(mm->as, r[i].va, r[i].len, r[i].prot, r[i].memfile_off);
	return err;
}

void mm_as_unmap(struct mm *mm, gva_t va, uint64_t len)
{
	int r;

	mm->unmap_gen++; /* what a thread mirrored before is no longer known to be there */
	if (!mm->as)
		return;
	r = mm->as->ops->as_unmap(mm->as, va, len);
	if (r < 0) /* the guest could keep reaching pages we are about to free: never ignore */
		log_warn("mm: as_unmap(%#llx, %#llx) failed: %d", (unsigned long long)va,
			 (unsigned long long)len, r);
}

/* The span of pages whose mirror bits were cleared. */
struct unmap_state {
	gva_t lo, hi;
};

static void unmap_leaf(struct mm *mm, uint64_t *pte, gva_t addr, size_t n, void *arg)
{
	struct unmap_state *s = arg;

	for (size_t i = 0; i < n; i++) {
		gva_t a = addr + i * PAGE_SIZE;

		if (!(pte[i] & PTE_MAPPED))
			continue;
		pte[i] &= ~(PTE_MAPPED | PTE_AS_WRITE);
		s->lo = MIN(s->lo, a);
		s->hi = MAX(s->hi, a + PAGE_SIZE);
	}
}

void pt_unmap_as_range(struct mm *mm, gva_t start, gva_t end)
{
	struct unmap_state s = { .lo = UINT64_MAX, .hi = 0 };
	struct pt_walker w = { .fn = unmap_leaf, .arg = &s };

	pt_walk(mm, start, end, &w);
	if (s.lo < s.hi)
		mm_as_unmap(mm, s.lo, s.hi - s.lo);
}

/* Memory-file pages to decref, batched into contiguous runs. */
struct drop_state {
	struct frange run;
};

static void drop_flush(struct mm *mm, struct drop_state *s)
{
	if (s->run.end > s->run.start)
		memfile_decref(mm->mf, s->run);
	s->run.start = s->run.end = 0;
}

static void drop_leaf(struct mm *mm, uint64_t *pte, gva_t addr, size_t n, void *arg)
{
	struct drop_state *s = arg;

	for (size_t i = 0; i < n; i++) {
		uint64_t off = PTE_ADDR(pte[i]);

		if (!(pte[i] & PTE_PRESENT))
			continue;
		pte[i] = 0;
		if (s->run.end == off && s->run.end > s->run.start) {
			s->run.end += PAGE_SIZE;
			continue;
		}
		drop_flush(mm, s);
		s->run = (struct frange){ off, off + PAGE_SIZE };
	}
}

void pt_clear_range(struct mm *mm, gva_t start, gva_t end)
{
	struct drop_state s = { { 0, 0 } };
	struct pt_walker w = { .fn = drop_leaf, .arg = &s, .prune = true };

	/* Out of the platform AS first: no guest thread may reach a page once it is freed. */
	pt_unmap_as_range(mm, start, end);
	pt_walk(mm, start, end, &w);
	drop_flush(mm, &s);
}

struct move_state {
	gva_t old_addr, new_addr;
	int err;
};

/* Pass 1: make sure every destination entry exists, so pass 2 cannot fail. */
static void move_prepare_leaf(struct mm *mm, uint64_t *pte, gva_t addr, size_t n, void *arg)
{
	struct move_state *s = arg;

	for (size_t i = 0; i < n && !s->err; i++)
		if ((pte[i] & PTE_PRESENT) &&
		    !pte_get(mm, addr + i * PAGE_SIZE - s->old_addr + s->new_addr, true))
			s->err = -ENOMEM;
}

static void move_leaf(struct mm *mm, uint64_t *pte, gva_t addr, size_t n, void *arg)
{
	struct move_state *s = arg;

	for (size_t i = 0; i < n; i++) {
		uint64_t *dst;

		if (!(pte[i] & PTE_PRESENT))
			continue;
		dst = pte_get(mm, addr + i * PAGE_SIZE - s->old_addr + s->new_addr, false);
		*dst = pte[i] & ~(PTE_MAPPED | PTE_AS_WRITE);
		pte[i] = 0;
	}
}

static void noop_leaf(struct mm *mm, uint64_t *pte, gva_t addr, size_t n, void *arg)
{
}

int pt_move_range(struct mm *mm, gva_t old_addr, gva_t new_addr, uint64_t len)
{
	struct move_state s = { .old_addr = old_addr, .new_addr = new_addr };
	struct pt_walker prep = { .fn = move_prepare_leaf, .arg = &s };
	struct pt_walker move = { .fn = move_leaf, .arg = &s };
	struct pt_walker prune = { .fn = noop_leaf, .prune = true };

	pt_walk(mm, old_addr, old_addr + len, &prep);
	if (s.err)
		return s.err;
	pt_unmap_as_range(mm, old_addr, old_addr + len);
	pt_walk(mm, old_addr, old_addr + len, &move);
	/* Pruning only now: mid-move, a table can be empty yet hold destination slots. */
	pt_walk(mm, old_addr, old_addr + len, &prune);
	return 0;
}

struct fork_state {
	struct mm *child;
	bool cow;
	int ro_prot;  /* >= 0: write-protect the parent's mirrors with this prot (as_map_vec) */
	gva_t lo, hi; /* parent mirrors to remove */
	struct frange run; /* pages to incref */
	struct as_map_range *ro; /* parent mirrors to remap read-only */
	size_t nro, capro;
	int err;
};

static void fork_flush(struct mm *mm, struct fork_state *s)
{
	if (s->run.end > s->run.start)
		memfile_incref(mm->mf, s->run);
	s->run.start = s->run.end = 0;
}

/* Queue @a (file page @off) for a read-only remap; false when out of memory. */
static bool fork_ro_add(struct fork_state *s, gva_t a, uint64_t off)
{
	struct as_map_range *last = s->nro ? &s->ro[s->nro - 1] : NULL;

	if (last && last->va + last->len == a && last->memfile_off + last->len == off) {
		last->len += PAGE_SIZE;
		return true;
	}
	if (s->nro == s->capro) {
		size_t cap = s->capro ? 2 * s->capro : 64;
		struct as_map_range *n = realloc(s->ro, cap * sizeof(*n));

		if (!n)
			return false;
		s->ro = n;
		s->capro = cap;
	}
	s->ro[s->nro++] = (struct as_map_range){ a, PAGE_SIZE, off, s->ro_prot };
	return true;
}

static void fork_leaf(struct mm *mm, uint64_t *pte, gva_t addr, size_t n, void *arg)
{
	struct fork_state *s = arg;

	for (size_t i = 0; i < n && !s->err; i++) {
		gva_t a = addr + i * PAGE_SIZE;
		uint64_t off = PTE_ADDR(pte[i]), *dst;

		if (!(pte[i] & PTE_PRESENT))
			continue;
		dst = pte_get(s->child, a, true);
		if (!dst) {
			s->err = -ENOMEM;
			return;
		}
		*dst = off | PTE_PRESENT;
		if (s->cow && (pte[i] & PTE_MAPPED) && s->ro_prot >= 0) {
			/* Read-only mirrors stay; writable ones are remapped read-only. */
			if ((pte[i] & PTE_AS_WRITE) && fork_ro_add(s, a, off)) {
				pte[i] &= ~PTE_AS_WRITE;
			} else if (pte[i] & PTE_AS_WRITE) {
				pte[i] &= ~(PTE_MAPPED | PTE_AS_WRITE);
				s->lo = MIN(s->lo, a);
				s->hi = MAX(s->hi, a + PAGE_SIZE);
			}
		} else if (s->cow && (pte[i] & PTE_MAPPED)) {
			pte[i] &= ~(PTE_MAPPED | PTE_AS_WRITE);
			s->lo = MIN(s->lo, a);
			s->hi = MAX(s->hi, a + PAGE_SIZE);
		}
		if (s->run.end == off && s->run.end > s->run.start) {
			s->run.end += PAGE_SIZE;
			continue;
		}
		fork_flush(mm, s);
		s->run = (struct frange){ off, off + PAGE_SIZE };
	}
}

int pt_fork_range(struct mm *parent, struct mm *child, gva_t start, gva_t end, bool cow,
		  int ro_prot)
{
	/* Write-protecting in place beats unmapping (the parent keeps its read access) only
	 * when the platform takes all runs in one request. */
	bool ro = ro_prot >= 0 && parent->as && parent->as->ops->as_map_vec;
	struct fork_state s = { .child = child, .cow = cow, .ro_prot = ro ? ro_prot : -1,
				.lo = UINT64_MAX };
	struct pt_walker w = { .fn = fork_leaf, .arg = &s };

	pt_walk(parent, start, end, &w);
	fork_flush(parent, &s);
	/* The pages are shared now: no writable mirror of them may survive a failure. */
	if (s.nro && mm_as_map_vec(parent, s.ro, (int)s.nro) < 0) {
		for (size_t i = 0; i < s.nro; i++) {
			for (gva_t a = s.ro[i].va; a < s.ro[i].va + s.ro[i].len; a += PAGE_SIZE)
				*pte_get(parent, a, false) &= ~(PTE_MAPPED | PTE_AS_WRITE);
			s.lo = MIN(s.lo, s.ro[i].va);
			s.hi = MAX(s.hi, s.ro[i].va + s.ro[i].len);
		}
	}
	free(s.ro);
	if (s.lo < s.hi)
		mm_as_unmap(parent, s.lo, s.hi - s.lo);
	return s.err;
}
