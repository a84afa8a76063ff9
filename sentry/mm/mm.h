/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest memory (DESIGN.md §6). The memory file is one memfd from which every guest page is
 * allocated; the Sentry maps it once and reaches guest pages through that mapping. An mm is
 * a guest address space: a tree of VMAs, the memory-file pages backing them (filled on
 * demand), and the platform address space that mirrors what is mapped.
 *
 * Guest addresses are integers (gva_t), never pointers: the Sentry touches guest memory
 * only through mm_copy_in/out and mm_copy_string_in, which return -EFAULT for bad ranges.
 *
 * Lock order: inode->mu > mm->mu (a mutex inside struct mm) > memfile lock. Platform as_*
 * calls are made with mm->mu held; mappables (page caches) are called without it.
 */
#ifndef SBX_SENTRY_MM_MM_H
#define SBX_SENTRY_MM_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef uint64_t gva_t;

struct platform;
struct addrspace;

/* ---- memory file ---- */

/* A range of memory-file offsets [start, end), page aligned. */
struct frange {
	uint64_t start, end;
};

struct memfile;

/* memfile_new - create the memfd ("sentry-memory") able to grow to @max_bytes. */
int memfile_new(uint64_t max_bytes, struct memfile **out);
void memfile_free(struct memfile *mf);
int memfile_fd(const struct memfile *mf);
/* memfile_alloc - @len bytes (page multiple) of zeroed pages at refcount 1. -ENOMEM when full. */
int memfile_alloc(struct memfile *mf, uint64_t len, struct frange *out);
/*
 * memfile_populate - commit host memory for freshly allocated @fr in one call (the zeroing a
 * first touch would fault in page by page), for pages about to be written. Best effort.
 */
void memfile_populate(struct memfile *mf, struct frange fr);
void memfile_incref(struct memfile *mf, struct frange fr);
/* memfile_decref - pages reaching 0 are freed and their memory returned to the host. */
void memfile_decref(struct memfile *mf, struct frange fr);
/* memfile_map_internal - the Sentry's pointer to the first byte of @fr (valid while referenced). */
void *memfile_map_internal(struct memfile *mf, struct frange fr);
/* memfile_used_bytes - bytes currently allocated (for accounting and tests). */
uint64_t memfile_used_bytes(const struct memfile *mf);

/* ---- address spaces ---- */

struct mm;

/*
 * mm_new - an empty mm whose pages come from @mf and whose mappings are mirrored into a
 * new address space of platform @p (@p may be NULL in unit tests: nothing is mirrored).
 * Guest addresses are below @p->max_user_addr (or 1<<47 without a platform).
 */
int mm_new(struct memfile *mf, struct platform *p, struct mm **out);
void mm_get(struct mm *mm);
/* mm_put - drops a reference; the last one unmaps everything and releases the platform AS. */
void mm_put(struct mm *mm);
/*
 * mm_addrspace - the platform address space to run guest threads on, created on the first
 * call (call it from the thread that runs the guest: ptrace makes that thread the tracer).
 * NULL without a platform, or when the platform cannot create one.
 */
struct addrspace *mm_addrspace(struct mm *mm);
/*
 * mm_fork - a copy of @parent for fork(2) in *@out: the same VMAs and layout; private pages
 * shared copy-on-write (the parent's writable mirrors are removed so its next write faults
 * and copies), MAP_SHARED pages shared. The child has no platform address space until its
 * first mm_addrspace(). Call from the thread running @parent. 0 or -ENOMEM.
 */
int mm_fork(struct mm *parent, struct mm **out);

/*
 * struct mm_mappable - what a file-backed VMA maps (DESIGN.md §6): an object that hands out
 * memory-file pages by page index, implemented by fs/pagecache.c over an inode's page
 * cache, so mm depends on no filesystem code. A VMA holds one reference (get/put).
 *
 * get_page - the memory-file offset of page @pgoff in *@off, with one memory-file page
 *   reference for the caller (mm puts it in a page-table entry). @write: the page will be
 *   written through a shared mapping (dirty). -EFAULT past end of file (SIGBUS), -ENOMEM,
 *   -EIO. Called WITHOUT mm->mu held (it may read the file through the gofer), as are
 *   sync and put: mm->mu and page-cache locks are never nested (sentry/mm/README.md).
 * put - drop a reference; never called with mm->mu held (the last one may close a file).
 * sync - write shared-mapping changes back to the file (msync); NULL: nothing to do.
 * describe - for /proc/PID/maps: device, inode number and a path (malloc'd or NULL).
 * object - the identity of what is mapped (the page cache), for mm_unmap_file_range.
 * size - the file's size now, without blocking (called with mm->mu held).
 */
struct mm_mappable;
struct mappable_ops {
	int (*get_page)(struct mm_mappable *m, uint64_t pgoff, bool write, uint64_t *off);
	void (*get)(struct mm_mappable *m);
	void (*put)(struct mm_mappable *m);
	int (*sync)(struct mm_mappable *m);
	void (*describe)(struct mm_mappable *m, uint64_t *dev, uint64_t *ino, char **path);
	const void *(*object)(struct mm_mappable *m);
	uint64_t (*size)(struct mm_mappable *m);
};

/*
 * mm_unmap_file_range - a file shrank: in every mm, drop the pages of file VMAs over
 * @object (page-cache pages and private copies alike, as Linux's truncate) from file page
 * @from_pgoff on, so the next access faults again (SIGBUS past the new end). Call with no
 * mm->mu held (filesystem locks that come before mm->mu, like inode->mu, are fine).
 */
void mm_unmap_file_range(const void *object, uint64_t from_pgoff);
struct mm_mappable {
	const struct mappable_ops *ops;
};

/* mmap(2) arguments after validation by the syscall layer. */
struct mmap_opts {
	gva_t addr;   /* hint, or the exact address with MAP_FIXED */
	uint64_t len; /* > 0; rounded up to pages by mm_mmap */
	int prot;     /* PROT_* */
	int flags;    /* MAP_PRIVATE/SHARED, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_ANONYMOUS, MAP_GROWSDOWN, ... */
	/* File mappings (no MAP_ANONYMOUS): the object (the VMA takes its own reference),
	 * the page-aligned file offset, and the most mprotect may grant (a shared mapping of
	 * an O_RDONLY file: no PROT_WRITE). */
	struct mm_mappable *file;
	uint64_t offset;
	int max_prot;
};

/* mm_mmap - returns the mapped address in *out. Linux errors (EINVAL, ENOMEM, EEXIST). */
int mm_mmap(struct mm *mm, const struct mmap_opts *o, gva_t *out);
int mm_munmap(struct mm *mm, gva_t addr, uint64_t len);
int mm_mprotect(struct mm *mm, gva_t addr, uint64_t len, int prot);
/* mm_mremap - as mremap(2); returns the new address or -errno. */
int64_t mm_mremap(struct mm *mm, gva_t old_addr, uint64_t old_len, uint64_t new_len, int flags,
		  gva_t new_addr);
int mm_madvise(struct mm *mm, gva_t addr, uint64_t len, int advice);
/* mm_brk - as brk(2): returns the new (or unchanged) break. */
gva_t mm_brk(struct mm *mm, gva_t addr);
/* mm_set_brk_start - the loader sets where the heap begins (end of the highest segment). */
void mm_set_brk_start(struct mm *mm, gva_t start);
/* mm_set_stack - the loader records the stack VMA range; RLIMIT_STACK bounds its growth. */
void mm_set_stack(struct mm *mm, gva_t top, uint64_t max_size);
/*
 * mm_set_args / mm_get_args - the guest ranges holding the argv and envp strings and the
 * auxiliary vector the loader wrote (Linux's mm->arg_start..env_end, saved_auxv), for
 * /proc/PID/cmdline, environ and auxv. Zero before.
 */
struct mm_args {
	gva_t arg_start, arg_end, env_start, env_end;
	gva_t auxv_start, auxv_end;
};
void mm_set_args(struct mm *mm, const struct mm_args *a);
void mm_get_args(struct mm *mm, struct mm_args *out);
/* mm_mmap_base - where top-down mmap allocation starts (below the stack gap). */
gva_t mm_mmap_base(struct mm *mm);
/* mm_max_addr - exclusive upper bound of guest addresses. */
gva_t mm_max_addr(struct mm *mm);

/*
 * mm_handle_fault - the guest touched @addr with @access (TRAP_ACCESS_*, 0 when the platform
 * cannot tell). Populates and maps a batch of pages around it. 0 when the guest may retry,
 * -EFAULT when no VMA covers @addr (SEGV_MAPERR), -EACCES when the VMA forbids it (SEGV_ACCERR),
 * -EIO when a file mapping's page is past the end of the file (SIGBUS, BUS_ADRERR),
 * -ENOMEM when the memory file is full, or a platform as_map error.
 */
int mm_handle_fault(struct mm *mm, gva_t addr, int access);

/*
 * Copying. Each returns the number of bytes copied, which is less than @len only if a
 * fault stopped it part way; -EFAULT if nothing could be copied (len 0 returns 0).
 * Pages are faulted in as needed (allocating anonymous pages), honouring VMA protections
 * (copy_in needs PROT_READ, copy_out needs PROT_WRITE... except with the _force variants
 * used by the loader and ptrace, which ignore protections).
 */
ssize_t mm_copy_in(struct mm *mm, gva_t src, void *dst, size_t len);
ssize_t mm_copy_out(struct mm *mm, gva_t dst, const void *src, size_t len);
ssize_t mm_copy_out_force(struct mm *mm, gva_t dst, const void *src, size_t len);
/*
 * mm_access_remote - /proc/PID/mem's access to another mm (Linux's access_remote_vm with
 * FOLL_FORCE): a read sees any mapped page whatever its protection; a write goes to
 * writable VMAs and to private ones (a COW copy, as a debugger's breakpoint), never to a
 * read-only shared mapping. Same returns as mm_copy_in.
 */
ssize_t mm_access_remote(struct mm *mm, gva_t addr, void *buf, size_t len, bool write);
/* mm_zero_out - write @len zero bytes at @dst (clear_user). */
ssize_t mm_zero_out(struct mm *mm, gva_t dst, size_t len);
/*
 * mm_copy_string_in - copy a NUL-terminated string of at most @max bytes including the NUL.
 * Returns its length (without NUL), -EFAULT, or -ENAMETOOLONG when no NUL within @max.
 */
ssize_t mm_copy_string_in(struct mm *mm, gva_t src, char *dst, size_t max);

/*
 * mm_word_op - atomic access to the aligned 32-bit guest word at @addr (futexes, robust
 * lists, clear_child_tid): with the page present (and COW broken when @write, which also
 * needs PROT_WRITE), call @fn on the Sentry's pointer to the word under the mm's lock, so
 * the page stays put; @fn uses __atomic builtins because guest threads run concurrently.
 * @key (may be NULL) gets the futex key: for a MAP_SHARED VMA the memory-file offset of the
 * word (the same in every process mapping the page), else @addr (private to this mm).
 * Returns @fn's result (0 when @fn is NULL), -EINVAL (misaligned) or -EFAULT.
 */
struct mm_word_key {
	bool shared;
	uint64_t off;
};
int mm_word_op(struct mm *mm, gva_t addr, bool write, int (*fn)(uint32_t *word, void *arg),
	       void *arg, struct mm_word_key *key);

/*
 * mm_for_each_vma - call @fn for each VMA in address order (for /proc/PID/maps, tests).
 * @fn runs with the mm's lock held: it must not call back into this mm.
 */
struct vma_info {
	gva_t start, end;
	int prot;  /* PROT_* */
	int flags; /* MAP_PRIVATE/MAP_SHARED/MAP_ANONYMOUS/MAP_GROWSDOWN */
	const char *name; /* "[heap]", "[stack]", or NULL */
	/* File mappings (MAP_ANONYMOUS clear in @flags): file offset of @start, device and
	 * inode numbers, and the path (NULL when unknown; valid during the callback only). */
	uint64_t offset;
	uint64_t dev, ino;
	const char *path;
};
void mm_for_each_vma(struct mm *mm, void (*fn)(const struct vma_info *v, void *arg), void *arg);
/* mm_resident_bytes - memory-file pages mapped in @mm (VmRSS; shared pages count in each). */
uint64_t mm_resident_bytes(struct mm *mm);
/*
 * mm_resident_range - /proc/PID/smaps' figures for [start, end): bytes resident, of which
 * mapped elsewhere too (another mm, or a COW sibling), and the proportional share in
 * bytes << MM_PSS_SHIFT (each page divided by how many map it). Mappers are counted from
 * memory-file references; @file: one of them is the page cache's.
 */
#define MM_PSS_SHIFT 12
struct mm_rss {
	uint64_t resident, shared, pss;
};
void mm_resident_range(struct mm *mm, gva_t start, gva_t end, bool file, struct mm_rss *out);

/*
 * mm_msync - msync(2) over a mapped range (flags already validated): -ENOMEM on holes.
 * Shared file pages are the page cache's (read(2) sees them at once); MS_SYNC/MS_ASYNC also
 * write them back to files that have a backing store (gofer).
 */
int mm_msync(struct mm *mm, gva_t addr, uint64_t len, int flags);
/* mm_mincore - one byte per page of [addr, addr+len) into @vec (1: resident). -ENOMEM on holes. */
int mm_mincore(struct mm *mm, gva_t addr, uint64_t len, unsigned char *vec);

/*
 * mm_pin_pages - hold the guest pages behind [@addr, @addr + @len) so that the host can
 * read or write them directly (a donated file's preadv into a read(2) buffer, @write true,
 * or pwritev from a write(2) buffer: one copy instead of two). Only pages that need no fault
 * are taken: present, readable, and for @write either in a shared writable VMA or private
 * and mirrored writable (this mm's alone: see mm_break_cow). Each gets a memory-file
 * reference; @out[i] is the Sentry's pointer to the part of page i inside the range. At most
 * @max pages. Pinning changes nothing in the address space and no lock is held on return:
 * the references keep the pages alive, so a concurrent munmap only means the I/O uses a
 * page nobody maps any more (Linux's get_user_pages); a fork by another thread during the
 * I/O may leave a page being written shared with the child (as in Linux before FOLL_PIN).
 * Returns how many pages were pinned: fewer than asked (0 included) when the next page
 * needs a fault, or a hole or a protection stops it; the caller then copies that part with
 * mm_copy_in/out, which faults or fails as usual. Release with mm_unpin_pages.
 */
struct mm_pin {
	void *ptr;
	size_t len;
	uint64_t off; /* memory-file offset of the page */
};
int mm_pin_pages(struct mm *mm, gva_t addr, size_t len, bool write, struct mm_pin *out,
		 int max);
void mm_unpin_pages(struct mm *mm, const struct mm_pin *pins, int n);

#endif
