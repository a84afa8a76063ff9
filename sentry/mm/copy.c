// SPDX-License-Identifier: Apache-2.0
/*
 * Copies between the Sentry and guest memory: walk the range page by page through the VMAs,
 * check protections, allocate missing pages and copy through the Sentry's mapping of the
 * memory file. A guest address is never dereferenced; a bad one ends the copy (-EFAULT).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "sentry/mm/mm_impl.h"

enum copy_dir {
	COPY_IN,    /* guest -> Sentry; needs a readable VMA */
	COPY_OUT,   /* Sentry -> guest; needs PROT_WRITE */
	COPY_FORCE, /* Sentry -> guest, ignoring protections (loader, ptrace) */
	COPY_ZERO,  /* zeroes -> guest; needs PROT_WRITE */
	COPY_STR,   /* COPY_IN that stops after a NUL */
	COPY_REMOTE_IN,  /* /proc/PID/mem read: any VMA (Linux's FOLL_FORCE) */
	COPY_REMOTE_OUT, /* /proc/PID/mem write: writable or private (COW) VMAs */
};

struct copy_op {
	enum copy_dir dir;
	uint8_t *buf; /* Sentry side (NULL for COPY_ZERO) */
	bool found_nul;
};

static bool copy_allowed(const struct vma *v, enum copy_dir dir)
{
	switch (dir) {
	case COPY_IN:
	case COPY_STR:
		return v->prot & PROT_RWX; /* x86: W or X pages are readable too */
	case COPY_OUT:
	case COPY_ZERO:
		return v->prot & PROT_WRITE;
	case COPY_FORCE:
	case COPY_REMOTE_IN:
		return true;
	case COPY_REMOTE_OUT:
		/* FOLL_FORCE writes a private copy, never a read-only shared page. */
		return (v->prot & PROT_WRITE) || vma_is_private(v);
	}
	return false;
}

/*
 * The Sentry's pointer to guest page @page (in @v) for @dir, allocating a batch of pages
 * when it is missing and breaking COW before writes. NULL for a read of a missing page
 * (it reads as zeroes, no need to allocate) or when out of memory (*@err set).
 */
static uint8_t *copy_page(struct mm *mm, struct vma *v, gva_t page, gva_t want_end,
			  enum copy_dir dir, int *err)
{
	uint64_t *pte = pte_get(mm, page, false);
	bool write = dir == COPY_OUT || dir == COPY_FORCE || dir == COPY_ZERO ||
		     dir == COPY_REMOTE_OUT;
	struct frange fr;

	*err = 0;
	if (!pte || !(*pte & PTE_PRESENT)) {
		gva_t end = MIN(v->end, want_end);

		if (v->file) {
			/* Drops mm->mu: the caller looks the VMA up again (-EAGAIN). Past the end
			 * of the file the copy stops, as Linux's copy_to_user() does on SIGBUS. */
			end = MIN(PAGE_ALIGN_UP(end), page + MM_FAULT_BATCH_PAGES * PAGE_SIZE);
			*err = mm_file_fill(mm, v, page, page, end, write);
			*err = *err == 0 ? -EAGAIN : *err == -EIO ? -EFAULT : *err;
			return NULL;
		}
		if (!write || dir == COPY_ZERO)
			return NULL; /* absent anonymous pages are zero already */
		end = MIN(end, page + MM_FAULT_BATCH_PAGES * PAGE_SIZE);
		*err = mm_populate_locked(mm, v, page, end, false);
		if (*err == -ENOMEM && end > page + PAGE_SIZE)
			*err = mm_populate_locked(mm, v, page, page + PAGE_SIZE, false);
		if (*err)
			return NULL;
		pte = pte_get(mm, page, false);
	}
	if (write) {
		*err = mm_break_cow(mm, v, page, pte);
		if (*err)
			return NULL;
	}
	fr.start = PTE_ADDR(*pte);
	fr.end = fr.start + PAGE_SIZE;
	return memfile_map_internal(mm->mf, fr);
}

/*
 * Move @n bytes between guest page memory @g (NULL: an absent page, all zeroes) and the
 * Sentry buffer at @done. Returns the bytes consumed (for a string: up to its NUL).
 */
static size_t copy_chunk(struct copy_op *op, uint8_t *g, size_t done, size_t n)
{
	uint8_t *nul;

	switch (op->dir) {
	case COPY_STR:
		nul = g ? memchr(g, 0, n) : NULL;
		if (g && !nul) {
			memcpy(op->buf + done, g, n);
			return n;
		}
		op->found_nul = true;
		n = g ? (size_t)(nul - g) : 0;
		if (n)
			memcpy(op->buf + done, g, n);
		op->buf[done + n] = 0;
		return n;
	case COPY_IN:
	case COPY_REMOTE_IN:
		if (g)
			memcpy(op->buf + done, g, n);
		else
			memset(op->buf + done, 0, n);
		return n;
	case COPY_OUT:
	case COPY_FORCE:
	case COPY_REMOTE_OUT:
		memcpy(g, op->buf + done, n);
		return n;
	case COPY_ZERO:
		if (g)
			memset(g, 0, n);
		return n;
	}
	return 0;
}

/* Walk [addr, addr+len); bytes done, or -EFAULT when none. */
static ssize_t mm_copy(struct mm *mm, gva_t addr, size_t len, struct copy_op *op)
{
	struct vma *v = NULL;
	gva_t want_end = addr + len < addr ? UINT64_MAX : addr + len;
	size_t done = 0;
	int err = 0;

	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	pthread_mutex_lock(&mm->mu);
	while (done < len) {
		gva_t a = addr + done, page = PAGE_ALIGN_DOWN(a);
		size_t n = MIN(PAGE_SIZE - (a - page), len - done);
		uint8_t *g;

		if (a < addr) /* wrapped around the top of the address space */
			break;
		if (!v || a >= v->end || a < v->start)
			v = mm_vma_for_access(mm, a);
		if (!v || !copy_allowed(v, op->dir))
			break;
		g = copy_page(mm, v, page, want_end, op->dir, &err);
		if (err == -EAGAIN) { /* mm->mu was dropped and retaken */
			v = NULL;
			continue;
		}
		if (err)
			break;
		done += copy_chunk(op, g ? g + (a - page) : NULL, done, n);
		if (op->found_nul)
			break;
	}
	mm_unlock(mm);
	if (done || len == 0 || op->found_nul)
		return done;
	return -EFAULT; /* also when out of memory, as Linux's copy_to_user() reports it */
}

ssize_t mm_copy_in(struct mm *mm, gva_t src, void *dst, size_t len)
{
	struct copy_op op = { .dir = COPY_IN, .buf = dst };

	return mm_copy(mm, src, len, &op);
}

ssize_t mm_copy_out(struct mm *mm, gva_t dst, const void *src, size_t len)
{
	struct copy_op op = { .dir = COPY_OUT, .buf = (uint8_t *)src };

	return mm_copy(mm, dst, len, &op);
}

ssize_t mm_copy_out_force(struct mm *mm, gva_t dst, const void *src, size_t len)
{
	struct copy_op op = { .dir = COPY_FORCE, .buf = (uint8_t *)src };

	return mm_copy(mm, dst, len, &op);
}

ssize_t mm_access_remote(struct mm *mm, gva_t addr, void *buf, size_t len, bool write)
{
	struct copy_op op = { .dir = write ? COPY_REMOTE_OUT : COPY_REMOTE_IN, .buf = buf };

	return mm_copy(mm, addr, len, &op);
}

ssize_t mm_zero_out(struct mm *mm, gva_t dst, size_t len)
{
	struct copy_op op = { .dir = COPY_ZERO };

	return mm_copy(mm, dst, len, &op);
}

ssize_t mm_copy_string_in(struct mm *mm, gva_t src, char *dst, size_t max)
{
	struct copy_op op = { .dir = COPY_STR, .buf = (uint8_t *)dst };
	ssize_t r;

	if (max == 0)
		return -ENAMETOOLONG;
	r = mm_copy(mm, src, max, &op);
	if (r < 0)
		return r;
	if (op.found_nul)
		return r;
	return (size_t)r == max ? -ENAMETOOLONG : -EFAULT;
}

int mm_word_op(struct mm *mm, gva_t addr, bool write, int (*fn)(uint32_t *word, void *arg),
	       void *arg, struct mm_word_key *key)
{
	gva_t page = PAGE_ALIGN_DOWN(addr);
	struct vma *v;
	uint64_t *pte;
	struct frange fr;
	int r;

	if (addr & 3)
		return -EINVAL;
	pthread_mutex_lock(&mm->mu);
retry:
	v = mm_vma_for_access(mm, addr);
	r = -EFAULT;
	if (!v || !copy_allowed(v, write ? COPY_OUT : COPY_IN))
		goto out;
	pte = pte_get(mm, page, false);
	if ((!pte || !(*pte & PTE_PRESENT)) && v->file) {
		/* The page cache's page (mm->mu dropped meanwhile: look up again). */
		r = mm_file_fill(mm, v, page, page, page + PAGE_SIZE, write);
		if (r < 0)
			goto out;
		goto retry;
	}
	if (!pte || !(*pte & PTE_PRESENT)) {
		/* A futex key needs a real page, even for a read of a never-touched one. */
		r = mm_populate_locked(mm, v, page, page + PAGE_SIZE, false);
		if (r < 0)
			goto out;
		pte = pte_get(mm, page, false);
	}
	if (write) {
		r = mm_break_cow(mm, v, page, pte);
		if (r < 0)
			goto out;
	}
	fr.start = PTE_ADDR(*pte);
	fr.end = fr.start + PAGE_SIZE;
	if (key) {
		key->shared = !vma_is_private(v);
		key->off = key->shared ? fr.start + (addr - page) : addr;
	}
	r = fn ? fn((uint32_t *)((uint8_t *)memfile_map_internal(mm->mf, fr) + (addr - page)), arg) : 0;
out:
	mm_unlock(mm);
	return r == -ENOMEM || r == -EIO ? -EFAULT : r;
}
