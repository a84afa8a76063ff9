// SPDX-License-Identifier: Apache-2.0
/*
 * The memory file: one sparse memfd that backs every guest page, mapped once into the
 * Sentry. A page allocator with per-page reference counts hands out page runs; pages whose
 * count drops to zero are punched out so the host gets the memory back.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/log.h"
#include "sentry/host/host.h"
#include "sentry/mm/mm_impl.h"

/* A run of free pages [start, end), in page numbers. */
struct extent {
	uint64_t start, end;
};

struct memfile {
	int fd;
	uint8_t *base;   /* the Sentry's mapping of the whole file; immutable */
	uint64_t npages; /* capacity; immutable */
	uint32_t *refs;  /* per page, atomic; MAP_NORESERVE, so untouched parts cost nothing */

	pthread_mutex_t mu;
	uint64_t high;         /* protected by mu: pages at and above were never handed out */
	struct extent *free;   /* protected by mu: sorted, coalesced free runs below high */
	size_t nfree, capfree; /* protected by mu */
	uint64_t used;         /* written under mu, read atomically: pages with refs > 0 */
};

int memfile_new(uint64_t max_bytes, struct memfile **out)
{
	struct memfile *mf;
	void *p;
	int r;

	if (max_bytes < PAGE_SIZE)
		return -EINVAL;
	mf = calloc(1, sizeof(*mf));
	if (!mf)
		return -ENOMEM;
	mf->npages = max_bytes / PAGE_SIZE;
	r = host_memfd_create("sentry-memory", MFD_CLOEXEC);
	if (r < 0)
		goto err_free;
	mf->fd = r;
	/* Sparse: ftruncate reserves nothing, pages cost memory only once written. */
	r = host_ftruncate(mf->fd, mf->npages * PAGE_SIZE);
	if (r < 0)
		goto err_close;
	r = host_mmap(NULL, mf->npages * PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_NORESERVE, mf->fd, 0, &p);
	if (r < 0)
		goto err_close;
	mf->base = p;
	r = host_mmap(NULL, mf->npages * sizeof(uint32_t), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0, &p);
	if (r < 0)
		goto err_unmap;
	mf->refs = p;
	pthread_mutex_init(&mf->mu, NULL);
	*out = mf;
	return 0;

err_unmap:
	host_munmap(mf->base, mf->npages * PAGE_SIZE);
err_close:
	host_close(mf->fd);
err_free:
	free(mf);
	return r;
}

void memfile_free(struct memfile *mf)
{
	if (!mf)
		return;
	host_munmap(mf->refs, mf->npages * sizeof(uint32_t));
	host_munmap(mf->base, mf->npages * PAGE_SIZE);
	host_close(mf->fd);
	pthread_mutex_destroy(&mf->mu);
	free(mf->free);
	free(mf);
}

int memfile_fd(const struct memfile *mf)
{
	return mf->fd;
}

uint64_t memfile_used_bytes(const struct memfile *mf)
{
	return __atomic_load_n(&mf->used, __ATOMIC_RELAXED) * PAGE_SIZE;
}

void *memfile_map_internal(struct memfile *mf, struct frange fr)
{
	return mf->base + fr.start;
}

uint64_t memfile_capacity(const struct memfile *mf)
{
	return mf->npages * PAGE_SIZE;
}

uint32_t memfile_page_refs(struct memfile *mf, uint64_t off)
{
	return __atomic_load_n(&mf->refs[off / PAGE_SIZE], __ATOMIC_ACQUIRE);
}

/*
 * First fit among freed runs (they are low in the file, which keeps the file compact),
 * then fresh pages at the top.
 * Preconditions: mf->mu held.
 */
static int alloc_pages_locked(struct memfile *mf, uint64_t n, uint64_t *first)
{
	for (size_t i = 0; i < mf->nfree; i++) {
		struct extent *e = &mf->free[i];

		if (e->end - e->start < n)
			continue;
		*first = e->start;
		e->start += n;
		if (e->start == e->end) {
			memmove(e, e + 1, (mf->nfree - i - 1) * sizeof(*e));
			mf->nfree--;
		}
		return 0;
	}
	if (mf->npages - mf->high < n)
		return -ENOMEM;
	*first = mf->high;
	mf->high += n;
	return 0;
}

int memfile_alloc(struct memfile *mf, uint64_t len, struct frange *out)
{
	uint64_t n, first;
	int r;

	if (len == 0 || len > mf->npages * PAGE_SIZE)
		return len ? -ENOMEM : -EINVAL;
	n = PAGE_ALIGN_UP(len) / PAGE_SIZE;
	pthread_mutex_lock(&mf->mu);
	r = alloc_pages_locked(mf, n, &first);
	if (r == 0) {
		for (uint64_t i = 0; i < n; i++)
			__atomic_store_n(&mf->refs[first + i], 1, __ATOMIC_RELAXED);
		__atomic_store_n(&mf->used, mf->used + n, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&mf->mu);
	if (r < 0)
		return r;
	out->start = first * PAGE_SIZE;
	out->end = (first + n) * PAGE_SIZE;
	return 0;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* Cleared on the first EINVAL (a host before Linux 5.14): populating is only an optimisation. */
static bool populate_ok = true;

void memfile_populate(struct memfile *mf, struct frange fr)
{
	int r;

	if (!__atomic_load_n(&populate_ok, __ATOMIC_RELAXED) || fr.end <= fr.start)
		return;
	r = host_madvise(mf->base + fr.start, fr.end - fr.start, MADV_POPULATE_WRITE);
	if (r == -EINVAL)
		__atomic_store_n(&populate_ok, false, __ATOMIC_RELAXED);
}

void memfile_incref(struct memfile *mf, struct frange fr)
{
	for (uint64_t pg = fr.start / PAGE_SIZE; pg < fr.end / PAGE_SIZE; pg++)
		__atomic_add_fetch(&mf->refs[pg], 1, __ATOMIC_RELAXED);
}

/* Preconditions: mf->mu held. Slot for a new extent at index @i; false when out of memory. */
static bool extent_insert_at(struct memfile *mf, size_t i, uint64_t s, uint64_t e)
{
	if (mf->nfree == mf->capfree) {
		size_t cap = mf->capfree ? mf->capfree * 2 : 64;
		struct extent *n = realloc(mf->free, cap * sizeof(*n));

		if (!n)
			return false;
		mf->free = n;
		mf->capfree = cap;
	}
	memmove(&mf->free[i + 1], &mf->free[i], (mf->nfree - i) * sizeof(struct extent));
	mf->free[i] = (struct extent){ s, e };
	mf->nfree++;
	return true;
}

/* Preconditions: mf->mu held. Return [s, e) to the allocator, coalescing. */
static void free_run_locked(struct memfile *mf, uint64_t s, uint64_t e)
{
	size_t lo = 0, hi = mf->nfree, i;
	bool join_prev, join_next;

	while (lo < hi) { /* first extent starting at or after s */
		size_t mid = (lo + hi) / 2;

		if (mf->free[mid].start < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	i = lo;
	join_prev = i > 0 && mf->free[i - 1].end == s;
	join_next = i < mf->nfree && mf->free[i].start == e;
	if (join_prev && join_next) {
		mf->free[i - 1].end = mf->free[i].end;
		memmove(&mf->free[i], &mf->free[i + 1], (mf->nfree - i - 1) * sizeof(*mf->free));
		mf->nfree--;
	} else if (join_prev) {
		mf->free[i - 1].end = e;
	} else if (join_next) {
		mf->free[i].start = s;
	} else if (e == mf->high) {
		mf->high = s;
		return;
	} else if (!extent_insert_at(mf, i, s, e)) {
		log_warn("memfile: leaking %llu pages (out of memory)",
			 (unsigned long long)(e - s));
		return;
	}
	/* A free run touching the high-water mark gives its pages back to the top. */
	if (mf->nfree && mf->free[mf->nfree - 1].end == mf->high) {
		mf->high = mf->free[mf->nfree - 1].start;
		mf->nfree--;
	}
}

/*
 * Pages [s, e) reached refcount 0: punch them out (without mf->mu, the host call may take a
 * while; nobody can allocate them until they are back on the free list) and free them.
 */
static void release_run(struct memfile *mf, uint64_t s, uint64_t e)
{
	int r = host_fallocate(mf->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, s * PAGE_SIZE,
			       (e - s) * PAGE_SIZE);

	if (r < 0) /* the pages stay allocated on the host: zero them so reuse reads zeroes */
		memset(mf->base + s * PAGE_SIZE, 0, (e - s) * PAGE_SIZE);
	pthread_mutex_lock(&mf->mu);
	free_run_locked(mf, s, e);
	__atomic_store_n(&mf->used, mf->used - (e - s), __ATOMIC_RELAXED);
	pthread_mutex_unlock(&mf->mu);
}

void memfile_decref(struct memfile *mf, struct frange fr)
{
	uint64_t end = fr.end / PAGE_SIZE, run = 0, pg;
	bool in_run = false;

	for (pg = fr.start / PAGE_SIZE; pg < end; pg++) {
		uint32_t left = __atomic_sub_fetch(&mf->refs[pg], 1, __ATOMIC_ACQ_REL);

		if (unlikely(left == UINT32_MAX)) { /* a Sentry bug: never underflow */
			log_warn("memfile: decref of free page %llu", (unsigned long long)pg);
			__atomic_store_n(&mf->refs[pg], 0, __ATOMIC_RELAXED);
			left = 1; /* not ours to free again */
		}
		if (left == 0 && !in_run) {
			run = pg;
			in_run = true;
		} else if (left != 0 && in_run) {
			release_run(mf, run, pg);
			in_run = false;
		}
	}
	if (in_run)
		release_run(mf, run, end);
}
