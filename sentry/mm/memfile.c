// SPDX-License-Identifier: Apache-2.0
/*
 * The memory file: one sparse memfd that backs every guest page, mapped once into the
 * Sentry. A page allocator with per-page reference counts hands out page runs; pages whose
 * count drops to zero are punched out so the host gets the memory back.
 */
#include "sentry/mm/mm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/compiler.h"
#include "sentry/host/host.h"

struct extent {
	uint64_t start, end; /* page numbers */
};

struct memfile {
	int fd;
	uint8_t *base;     /* the Sentry's mapping of the whole file */
	uint64_t npages;   /* capacity */
	uint32_t *refs;    /* per page; lazily backed (MAP_NORESERVE) */

	pthread_mutex_t mu;
	uint64_t high;          /* protected by mu: pages below were handed out at least once */
	struct extent *free;    /* protected by mu: sorted, coalesced free runs below high */
	size_t nfree, capfree;  /* protected by mu */
	uint64_t used;          /* protected by mu: pages with refs > 0 */
};

int memfile_new(uint64_t max_bytes, struct memfile **out)
{
	struct memfile *mf = calloc(1, sizeof(*mf));
	void *p;
	int r;

	if (!mf)
		return -ENOMEM;
	mf->npages = max_bytes / PAGE_SIZE;
	r = host_memfd_create("sentry-memory", MFD_CLOEXEC);
	if (r < 0)
		goto err_free;
	mf->fd = r;
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

/* Preconditions: mf->mu held. First fit among freed runs, then fresh pages at the top. */
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
	uint64_t n = PAGE_ALIGN_UP(len) / PAGE_SIZE, first;
	int r;

	if (n == 0)
		return -EINVAL;
	pthread_mutex_lock(&mf->mu);
	r = alloc_pages_locked(mf, n, &first);
	if (r == 0) {
		for (uint64_t i = 0; i < n; i++)
			mf->refs[first + i] = 1;
		mf->used += n;
	}
	pthread_mutex_unlock(&mf->mu);
	if (r < 0)
		return r;
	out->start = first * PAGE_SIZE;
	out->end = (first + n) * PAGE_SIZE;
	return 0;
}

void memfile_incref(struct memfile *mf, struct frange fr)
{
	for (uint64_t pg = fr.start / PAGE_SIZE; pg < fr.end / PAGE_SIZE; pg++)
		__atomic_add_fetch(&mf->refs[pg], 1, __ATOMIC_RELAXED);
}

/* Preconditions: mf->mu held. Insert [s, e) into the sorted free list, coalescing. */
static void free_run_locked(struct memfile *mf, uint64_t s, uint64_t e)
{
	size_t i = 0, lo = 0, hi = mf->nfree;

	while (lo < hi) { /* first extent starting after s */
		size_t mid = (lo + hi) / 2;
		if (mf->free[mid].start < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	i = lo;
	bool join_prev = i > 0 && mf->free[i - 1].end == s;
	bool join_next = i < mf->nfree && mf->free[i].start == e;
	if (join_prev && join_next) {
		mf->free[i - 1].end = mf->free[i].end;
		memmove(&mf->free[i], &mf->free[i + 1], (mf->nfree - i - 1) * sizeof(struct extent));
		mf->nfree--;
	} else if (join_prev) {
		mf->free[i - 1].end = e;
	} else if (join_next) {
		mf->free[i].start = s;
	} else {
		if (mf->nfree == mf->capfree) {
			size_t cap = mf->capfree ? mf->capfree * 2 : 64;
			struct extent *n = realloc(mf->free, cap * sizeof(*n));
			if (!n)
				return; /* leak the run rather than corrupt the allocator */
			mf->free = n;
			mf->capfree = cap;
		}
		memmove(&mf->free[i + 1], &mf->free[i], (mf->nfree - i) * sizeof(struct extent));
		mf->free[i] = (struct extent){ s, e };
		mf->nfree++;
	}
}

void memfile_decref(struct memfile *mf, struct frange fr)
{
	uint64_t run_start = 0, pg;
	bool in_run = false;

	pthread_mutex_lock(&mf->mu);
	for (pg = fr.start / PAGE_SIZE; pg <= fr.end / PAGE_SIZE; pg++) {
		bool freed = pg < fr.end / PAGE_SIZE &&
			     __atomic_sub_fetch(&mf->refs[pg], 1, __ATOMIC_ACQ_REL) == 0;
		if (freed && !in_run) {
			run_start = pg;
			in_run = true;
		} else if (!freed && in_run) {
			/* Give the memory back; the next user of these pages reads zeroes. */
			host_fallocate(mf->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       run_start * PAGE_SIZE, (pg - run_start) * PAGE_SIZE);
			free_run_locked(mf, run_start, pg);
			mf->used -= pg - run_start;
			in_run = false;
		}
	}
	pthread_mutex_unlock(&mf->mu);
}
