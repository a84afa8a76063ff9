// SPDX-License-Identifier: Apache-2.0
/*
 * Page caches (DESIGN.md §6): per regular file, a radix from page index to memory-file page.
 * tmpfs keeps its file data here; gofer files fill it on demand by reading through the
 * mapping's open file. File mappings (struct mm_mappable) hand these pages to mm: private
 * mappings map them read-only and copy on write, shared mappings map them as they are, so
 * read(2)/write(2) and every mapper see the same bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "fs/vfs.h"
#include "lib/compiler.h"

#define PC_BITS 9
#define PC_ENTRIES (1 << PC_BITS)
#define PC_LEVELS 4
#define PC_MAX_PAGES (1ULL << (PC_BITS * PC_LEVELS))
#define PCE_PRESENT 0x1ULL
#define PCE_DIRTY 0x2ULL /* written through a shared mapping since the last writeback */
#define PCE_ADDR(e) ((e) & PAGE_MASK)
/* Pages a gofer miss reads at once (read-ahead within the file). */
#define PC_FILL_PAGES 16

union pc_node {
	union pc_node *next[PC_ENTRIES];
	uint64_t ent[PC_ENTRIES];
};

struct pagecache {
	pthread_mutex_t mu;
	union pc_node *root; /* mu */
	int64_t size;        /* the file size mappings see: written under mu, atomically */
	uint64_t npages;     /* mu */
	bool storage;        /* tmpfs: absent pages are holes, never read from a file */
	atomic_int mappings; /* live file mappings: truncate must unmap their pages */
};

static struct memfile *pc_mf;
static pthread_mutex_t pc_mf_mu = PTHREAD_MUTEX_INITIALIZER;

void pagecache_set_memfile(struct memfile *mf)
{
	pthread_mutex_lock(&pc_mf_mu);
	__atomic_store_n(&pc_mf, mf, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pc_mf_mu);
}

struct memfile *pagecache_memfile(void)
{
	struct memfile *mf = __atomic_load_n(&pc_mf, __ATOMIC_ACQUIRE);

	if (mf) /* set once at boot: no lock on the page paths */
		return mf;
	pthread_mutex_lock(&pc_mf_mu);
	if (!pc_mf && memfile_new(4ULL << 30, &mf) == 0)
		__atomic_store_n(&pc_mf, mf, __ATOMIC_RELEASE);
	mf = pc_mf;
	pthread_mutex_unlock(&pc_mf_mu);
	return mf;
}

static struct frange one_page(uint64_t off)
{
	return (struct frange){ off, off + PAGE_SIZE };
}

void pagecache_put_page(uint64_t off)
{
	memfile_decref(pagecache_memfile(), one_page(off));
}

void *pagecache_page_ptr(uint64_t off)
{
	return memfile_map_internal(pagecache_memfile(), one_page(off));
}

int pagecache_new(bool storage, struct pagecache **out)
{
	struct pagecache *pc = calloc(1, sizeof(*pc));

	if (!pc || !pagecache_memfile()) {
		free(pc);
		return -ENOMEM;
	}
	pthread_mutex_init(&pc->mu, NULL);
	pc->storage = storage;
	*out = pc;
	return 0;
}

/* The entry for page @idx; tables allocated when @create. NULL if absent. Preconditions: mu. */
static uint64_t *pc_slot(struct pagecache *pc, uint64_t idx, bool create)
{
	union pc_node **slot = &pc->root;

	if (idx >= PC_MAX_PAGES)
		return NULL;
	for (int level = PC_LEVELS - 1;; level--) {
		if (!*slot) {
			if (!create)
				return NULL;
			*slot = calloc(1, sizeof(union pc_node));
			if (!*slot)
				return NULL;
		}
		if (level == 0)
			return &(*slot)->ent[idx & (PC_ENTRIES - 1)];
		slot = &(*slot)->next[(idx >> (level * PC_BITS)) & (PC_ENTRIES - 1)];
	}
}

/* Drop the pages with index >= @from under *@slot (covering pages from @base). Frees
 * tables left empty. Preconditions: mu. */
static void pc_drop(struct pagecache *pc, union pc_node **slot, int level, uint64_t base,
		    uint64_t from)
{
	union pc_node *n = *slot;
	uint64_t span = 1ULL << (level * PC_BITS);
	bool empty = true;

	if (!n)
		return;
	for (uint64_t i = 0; i < PC_ENTRIES; i++) {
		uint64_t cbase = base + i * span;

		if (cbase + span > from) {
			if (level == 0 && n->ent[i]) {
				memfile_decref(pagecache_memfile(), one_page(PCE_ADDR(n->ent[i])));
				n->ent[i] = 0;
				pc->npages--;
			} else if (level > 0) {
				pc_drop(pc, &n->next[i], level - 1, cbase, from);
			}
		}
		if (level == 0 ? n->ent[i] != 0 : n->next[i] != NULL)
			empty = false;
	}
	if (empty) {
		free(n);
		*slot = NULL;
	}
}

void pagecache_free(struct pagecache *pc)
{
	if (!pc)
		return;
	pc_drop(pc, &pc->root, PC_LEVELS - 1, 0, 0);
	pthread_mutex_destroy(&pc->mu);
	free(pc);
}

/* Allocate a zero page for empty slot @e. Preconditions: mu. */
static int pc_alloc_page(struct pagecache *pc, uint64_t *e)
{
	struct frange fr;
	int r = memfile_alloc(pagecache_memfile(), PAGE_SIZE, &fr);

	if (r < 0)
		return r;
	*e = fr.start | PCE_PRESENT;
	pc->npages++;
	return 0;
}

void pagecache_prealloc(struct pagecache *pc, uint64_t idx, uint64_t n)
{
	struct frange fr;
	uint64_t got = 0;

	pthread_mutex_lock(&pc->mu);
	while (got < n) {
		uint64_t *e = pc_slot(pc, idx + got, false);

		if (e && (*e & PCE_PRESENT))
			break;
		got++;
	}
	/* One page gains nothing over pagecache_find; memory short: let it go page by page. */
	if (got < 2 || memfile_alloc(pagecache_memfile(), got * PAGE_SIZE, &fr) < 0)
		goto out;
	memfile_populate(pagecache_memfile(), fr);
	for (uint64_t i = 0; i < got; i++) {
		uint64_t *e = pc_slot(pc, idx + i, true);

		if (!e) {
			memfile_decref(pagecache_memfile(),
				       (struct frange){ fr.start + i * PAGE_SIZE, fr.end });
			break;
		}
		*e = (fr.start + i * PAGE_SIZE) | PCE_PRESENT;
		pc->npages++;
	}
out:
	pthread_mutex_unlock(&pc->mu);
}

int pagecache_find(struct pagecache *pc, uint64_t idx, bool create, uint64_t *off)
{
	uint64_t *e;
	int r = 0;

	pthread_mutex_lock(&pc->mu);
	e = pc_slot(pc, idx, create);
	if (!e || !(*e & PCE_PRESENT)) {
		r = create ? (e ? pc_alloc_page(pc, e) : -ENOMEM) : -ENOENT;
		if (r < 0)
			goto out;
	}
	*off = PCE_ADDR(*e);
	memfile_incref(pagecache_memfile(), one_page(*off));
out:
	pthread_mutex_unlock(&pc->mu);
	return r;
}

void pagecache_set_size(struct pagecache *pc, int64_t size)
{
	pthread_mutex_lock(&pc->mu);
	__atomic_store_n(&pc->size, size, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pc->mu);
}

void pagecache_truncate(struct pagecache *pc, int64_t size)
{
	uint64_t *e;

	pthread_mutex_lock(&pc->mu);
	pc_drop(pc, &pc->root, PC_LEVELS - 1, 0, PAGE_ALIGN_UP((uint64_t)size) / PAGE_SIZE);
	/* Bytes past the new size in the last page read as zero if the file grows again. */
	e = (size & ~PAGE_MASK) ? pc_slot(pc, (uint64_t)size / PAGE_SIZE, false) : NULL;
	if (e && (*e & PCE_PRESENT))
		memset((char *)pagecache_page_ptr(PCE_ADDR(*e)) + (size & ~PAGE_MASK), 0,
		       PAGE_SIZE - (size & ~PAGE_MASK));
	__atomic_store_n(&pc->size, size, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pc->mu);
	/* Then mappers lose their pages past the new end (Linux truncate_pagecache()), the
	 * size already set: their next access faults and gets SIGBUS. */
	if (atomic_load(&pc->mappings))
		mm_unmap_file_range(pc, PAGE_ALIGN_UP((uint64_t)size) / PAGE_SIZE);
}

void pagecache_write_through(struct pagecache *pc, int64_t pos, const void *buf, size_t len)
{
	const char *src = buf;

	pthread_mutex_lock(&pc->mu);
	while (len) {
		uint64_t poff = (uint64_t)pos & ~PAGE_MASK;
		size_t n = MIN(len, PAGE_SIZE - poff);
		uint64_t *e = pc_slot(pc, (uint64_t)pos / PAGE_SIZE, false);

		if (e && (*e & PCE_PRESENT)) /* memmove: writeback writes a page from itself */
			memmove((char *)pagecache_page_ptr(PCE_ADDR(*e)) + poff, src, n);
		pos += (int64_t)n;
		src += n;
		len -= n;
	}
	if (pos > pc->size)
		__atomic_store_n(&pc->size, pos, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pc->mu);
}

uint64_t pagecache_nr_pages(struct pagecache *pc)
{
	uint64_t n;

	pthread_mutex_lock(&pc->mu);
	n = pc->npages;
	pthread_mutex_unlock(&pc->mu);
	return n;
}

/*
 * Read the absent pages from @idx on (up to PC_FILL_PAGES, within the size) from @f into
 * one new memory-file run. Preconditions: mu; page @idx absent and inside the size.
 */
static int pc_fill(struct pagecache *pc, struct file *f, uint64_t idx)
{
	uint64_t last = PAGE_ALIGN_UP((uint64_t)pc->size) / PAGE_SIZE, n = 0;
	struct frange fr;
	ssize_t got;
	int r;

	while (n < PC_FILL_PAGES && idx + n < last) {
		uint64_t *e = pc_slot(pc, idx + n, false);

		if (e && (*e & PCE_PRESENT))
			break;
		n++;
	}
	while ((r = memfile_alloc(pagecache_memfile(), n * PAGE_SIZE, &fr)) == -ENOMEM && n > 1)
		n /= 2;
	if (r < 0)
		return r;
	/* Straight into the new pages; a short read (the file shrank) leaves zeros. */
	got = vfs_kernel_pread(f, memfile_map_internal(pagecache_memfile(), fr), n * PAGE_SIZE,
			       (int64_t)(idx * PAGE_SIZE));
	if (got < 0) {
		memfile_decref(pagecache_memfile(), fr);
		return (int)got;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t *e = pc_slot(pc, idx + i, true);

		if (!e) {
			memfile_decref(pagecache_memfile(),
				       (struct frange){ fr.start + i * PAGE_SIZE, fr.end });
			return i ? 0 : -ENOMEM;
		}
		*e = (fr.start + i * PAGE_SIZE) | PCE_PRESENT;
		pc->npages++;
	}
	return 0;
}

/*
 * Page @idx for a mapping of @f: past the size -EFAULT (SIGBUS); absent pages are holes
 * (storage) or read from @f.
 */
static int pc_get_mapped(struct pagecache *pc, struct file *f, uint64_t idx, bool dirty,
			 uint64_t *off)
{
	uint64_t *e;
	int r = 0;

	pthread_mutex_lock(&pc->mu);
	if (idx >= PAGE_ALIGN_UP((uint64_t)pc->size) / PAGE_SIZE) {
		r = -EFAULT;
		goto out;
	}
	e = pc_slot(pc, idx, false);
	if (!e || !(*e & PCE_PRESENT)) {
		if (pc->storage) {
			e = pc_slot(pc, idx, true);
			r = e ? pc_alloc_page(pc, e) : -ENOMEM;
		} else {
			r = pc_fill(pc, f, idx);
			e = pc_slot(pc, idx, false);
		}
		if (r < 0)
			goto out;
	}
	if (dirty && !pc->storage)
		*e |= PCE_DIRTY;
	*off = PCE_ADDR(*e);
	memfile_incref(pagecache_memfile(), one_page(*off));
out:
	pthread_mutex_unlock(&pc->mu);
	return r;
}

/* Write the dirty pages (within the size) back through @f. */
static int pc_writeback(struct pagecache *pc, struct file *f)
{
	int r = 0;

	if (pc->storage || (f->flags & O_ACCMODE) == O_RDONLY)
		return 0;
	/* While shared mappings live, written pages stay writable in them, and later stores
	 * are not seen: keep them dirty (written again by the next msync) until the last
	 * mapping goes. */
	bool clean = atomic_load(&pc->mappings) == 0;
	uint64_t from = 0;

	for (;;) {
		uint64_t off = 0, idx = 0, *e = NULL;
		int64_t size;
		bool found = false;

		/* One page at a time, found by a scan: simple, and dirty pages are rare. */
		pthread_mutex_lock(&pc->mu);
		size = pc->size;
		for (idx = from; idx < PAGE_ALIGN_UP((uint64_t)size) / PAGE_SIZE; idx++) {
			e = pc_slot(pc, idx, false);
			if (e && (*e & PCE_DIRTY)) {
				found = true;
				break;
			}
			if (!e) /* skip an absent leaf table quickly */
				idx |= PC_ENTRIES - 1;
		}
		if (found) {
			if (clean)
				*e &= ~PCE_DIRTY;
			from = idx + 1;
			off = PCE_ADDR(*e);
			memfile_incref(pagecache_memfile(), one_page(off));
		}
		pthread_mutex_unlock(&pc->mu);
		if (!found)
			return r;
		{
			struct uio u;
			int64_t pos = (int64_t)(idx * PAGE_SIZE);
			size_t n = (size_t)MIN((int64_t)PAGE_SIZE, size - pos);
			ssize_t w;

			uio_init_kernel(&u, pagecache_page_ptr(off), n);
			w = f->ops->write ? f->ops->write(f, &u, &pos) : -EINVAL;
			if (w < 0 && r == 0)
				r = (int)w;
		}
		pagecache_put_page(off);
	}
}

/* ---- mappings ---- */

struct file_mapping {
	struct mm_mappable m;
	atomic_int ref;
	struct file *f;
	struct pagecache *pc;
	char *path;
	uint64_t dev, ino;
};

#define to_fm(mp) container_of(mp, struct file_mapping, m)

static int fm_get_page(struct mm_mappable *m, uint64_t pgoff, bool write, uint64_t *off)
{
	struct file_mapping *fm = to_fm(m);

	return pc_get_mapped(fm->pc, fm->f, pgoff, write, off);
}

static void fm_get(struct mm_mappable *m)
{
	atomic_fetch_add(&to_fm(m)->ref, 1);
}

static void fm_put(struct mm_mappable *m)
{
	struct file_mapping *fm = to_fm(m);

	if (atomic_fetch_sub(&fm->ref, 1) != 1)
		return;
	atomic_fetch_sub(&fm->pc->mappings, 1);
	pc_writeback(fm->pc, fm->f); /* munmap of the last mapping writes shared pages back */
	file_put(fm->f);
	free(fm->path);
	free(fm);
}

static int fm_sync(struct mm_mappable *m)
{
	struct file_mapping *fm = to_fm(m);

	return pc_writeback(fm->pc, fm->f);
}

static void fm_describe(struct mm_mappable *m, uint64_t *dev, uint64_t *ino, char **path)
{
	struct file_mapping *fm = to_fm(m);

	*dev = fm->dev;
	*ino = fm->ino;
	*path = fm->path ? strdup(fm->path) : NULL;
}

static uint64_t fm_size(struct mm_mappable *m)
{
	return (uint64_t)__atomic_load_n(&to_fm(m)->pc->size, __ATOMIC_ACQUIRE);
}

static const void *fm_object(struct mm_mappable *m)
{
	return to_fm(m)->pc;
}

static const struct mappable_ops file_mapping_ops = {
	.object = fm_object,
	.size = fm_size,
	.get_page = fm_get_page,
	.get = fm_get,
	.put = fm_put,
	.sync = fm_sync,
	.describe = fm_describe,
};

int vfs_file_mappable(struct file *f, const char *path, struct mm_mappable **out)
{
	struct inode *ino;
	struct file_mapping *fm;

	if (f->ops->mmap_file && !(f->flags & O_PATH))
		f = f->ops->mmap_file(f);
	ino = f ? file_inode(f) : NULL;
	if (!ino || !ino->pagecache || (f->flags & O_PATH))
		return -ENODEV;
	fm = calloc(1, sizeof(*fm));
	if (!fm)
		return -ENOMEM;
	if (path && !(fm->path = strdup(path))) {
		free(fm);
		return -ENOMEM;
	}
	fm->m.ops = &file_mapping_ops;
	atomic_init(&fm->ref, 1);
	file_get(f);
	fm->f = f;
	fm->pc = ino->pagecache;
	atomic_fetch_add(&fm->pc->mappings, 1);
	fm->ino = ino->ino;
	fm->dev = ino->sb ? ino->sb->dev : 0;
	if (!fm->pc->storage) { /* the gofer's size may have moved (the cache follows writes) */
		pthread_mutex_lock(&ino->mu);
		pagecache_set_size(fm->pc, ino->size);
		pthread_mutex_unlock(&ino->mu);
	}
	*out = &fm->m;
	return 0;
}

int vfs_file_writeback(struct file *f)
{
	struct inode *ino;

	if (f->ops->mmap_file)
		f = f->ops->mmap_file(f);
	ino = f ? file_inode(f) : NULL;
	if (!ino || !ino->pagecache)
		return 0;
	return pc_writeback(ino->pagecache, f);
}
