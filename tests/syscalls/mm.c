/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mm.c: anonymous memory syscalls (mmap, munmap, mprotect, mremap, madvise, brk).
 * Probes use MAP_FIXED_NOREPLACE (EEXIST = mapped) and getrandom (EFAULT = not writable),
 * never a signal, so a failure is a TAP line rather than a crash.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "tap.h"

#define PG 4096UL

static char *map_anon(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* 1 if [addr, addr+PG) is mapped (probe with MAP_FIXED_NOREPLACE), 0 if not, -1 on error. */
static int page_mapped(void *addr)
{
	void *p = mmap(addr, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
		       0);
	if (p == addr) {
		munmap(p, PG);
		return 0;
	}
	if (p == MAP_FAILED && errno == EEXIST)
		return 1;
	if (p != MAP_FAILED)
		munmap(p, PG);
	return -1;
}

static int all_bytes(const char *p, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

static void test_mmap_basic(void)
{
	char *p = map_anon(4 * PG, PROT_READ | PROT_WRITE);
	ok(p != NULL, "mmap anonymous 4 pages");
	if (!p)
		return;
	ok(((uintptr_t)p & (PG - 1)) == 0, "mmap result is page aligned");
	ok(all_bytes(p, 4 * PG, 0), "fresh anonymous memory reads as zero");
	memset(p, 0x5a, 4 * PG);
	ok(all_bytes(p, 4 * PG, 0x5a), "anonymous memory keeps what was written");
	is_int(munmap(p + PG, PG), 0, "munmap one page in the middle");
	is_int(page_mapped(p + PG), 0, "the hole is unmapped");
	is_int(page_mapped(p), 1, "the page before the hole is still mapped");
	is_int(page_mapped(p + 2 * PG), 1, "the page after the hole is still mapped");
	ok(all_bytes(p + 2 * PG, 2 * PG, 0x5a), "data after the hole survives");
	is_int(munmap(p, 4 * PG), 0, "munmap a range containing a hole");
	is_int(page_mapped(p), 0, "range is gone after munmap");
	is_int(munmap(p, 4 * PG), 0, "munmap of an unmapped range succeeds");

	char *q = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ok(q != MAP_FAILED, "mmap MAP_SHARED|MAP_ANONYMOUS");
	if (q != MAP_FAILED) {
		q[0] = 1;
		q[2 * PG - 1] = 2;
		ok(q[0] == 1 && q[2 * PG - 1] == 2 && q[PG] == 0, "shared anonymous memory works");
		munmap(q, 2 * PG);
	}
}

static void test_mmap_errors(void)
{
	is_errno(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL,
		 "mmap length 0 -> EINVAL");
	is_errno(mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL,
		 "mmap without MAP_PRIVATE or MAP_SHARED -> EINVAL");
	is_errno(mmap((void *)(PG + 1), PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		      -1, 0),
		 EINVAL, "mmap MAP_FIXED at an unaligned address -> EINVAL");
	is_errno(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, -1, 0), EBADF,
		 "file mmap with fd -1 -> EBADF");
	is_errno(mmap(NULL, (size_t)1 << 60, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		 ENOMEM, "mmap 2^60 bytes -> ENOMEM");

	char *p = map_anon(2 * PG, PROT_READ | PROT_WRITE);
	if (!p)
		return;
	is_errno(munmap(p + 1, PG), EINVAL, "munmap unaligned address -> EINVAL");
	is_errno(munmap(p, 0), EINVAL, "munmap length 0 -> EINVAL");
	is_errno(mprotect(p + 1, PG, PROT_READ), EINVAL, "mprotect unaligned address -> EINVAL");
	is_int(munmap(p, PG + 1), 0, "munmap length rounds up to a page");
	is_int(page_mapped(p + PG), 0, "rounded-up munmap removed the second page");
	is_errno(mprotect(p, PG, PROT_READ), ENOMEM, "mprotect of an unmapped range -> ENOMEM");
}

static void test_fixed(void)
{
	char *p = map_anon(2 * PG, PROT_READ | PROT_WRITE);
	if (!ok(p != NULL, "mmap 2 pages for MAP_FIXED"))
		return;
	memset(p, 0x11, 2 * PG);
	char *q = mmap(p, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		       0);
	ok(q == p, "MAP_FIXED over an existing mapping returns the address asked for");
	ok(all_bytes(p, PG, 0), "MAP_FIXED replaced the first page with zeroes");
	ok(all_bytes(p + PG, PG, 0x11), "the second page is untouched");
	is_errno(mmap(p + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		      -1, 0),
		 EEXIST, "MAP_FIXED_NOREPLACE over a mapping -> EEXIST");
	ok(all_bytes(p + PG, PG, 0x11), "failed MAP_FIXED_NOREPLACE left the page alone");
	munmap(p, 2 * PG);
	q = mmap(p, PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ok(q == p, "MAP_FIXED_NOREPLACE on a free range maps it there");
	if (q != MAP_FAILED)
		munmap(q, PG);
}

static void test_mprotect(void)
{
	char *p = map_anon(2 * PG, PROT_READ | PROT_WRITE);
	if (!ok(p != NULL, "mmap 2 pages for mprotect"))
		return;
	memset(p, 0x22, 2 * PG);
	is_int(mprotect(p, PG, PROT_READ), 0, "mprotect first page PROT_READ");
	ok(all_bytes(p, PG, 0x22), "read-only page still reads its data");
	is_errno(syscall(SYS_getrandom, p, 16, 0), EFAULT,
		 "kernel write into the read-only page -> EFAULT");
	is_int(syscall(SYS_getrandom, p + PG, 16, 0), 16,
	       "kernel write into the still-writable page succeeds");
	is_int(mprotect(p, PG, PROT_NONE), 0, "mprotect PROT_NONE");
	is_errno(syscall(SYS_write, 1, p, 1), EFAULT, "kernel read of a PROT_NONE page -> EFAULT");
	is_int(mprotect(p, 2 * PG, PROT_READ | PROT_WRITE), 0, "mprotect back to read-write");
	ok(all_bytes(p, PG, 0x22), "data survives PROT_NONE and back");
	p[0] = 1;
	ok(p[0] == 1, "page is writable again");
	munmap(p, 2 * PG);
}

static void test_mremap(void)
{
	/* 5 pages so that p+2..p+5 is known to be ours (free) after the shrink. */
	char *p = map_anon(5 * PG, PROT_READ | PROT_WRITE);
	if (!ok(p != NULL, "mmap 5 pages for mremap"))
		return;
	memset(p, 0x33, 5 * PG);

	/* Shrink in place: the tail is unmapped. */
	ok(mremap(p, 5 * PG, 2 * PG, 0) == p, "mremap shrink returns the same address");
	is_int(page_mapped(p + 2 * PG), 0, "mremap shrink unmapped the tail");

	/* Grow in place when the page after is free. */
	ok(mremap(p, 2 * PG, 3 * PG, 0) == p, "mremap grow in place into a free page");
	ok(all_bytes(p, 2 * PG, 0x33), "old data kept after in-place grow");
	ok(all_bytes(p + 2 * PG, PG, 0), "grown part is zero");

	/* Blocked: mapping right after. Without MAYMOVE -> ENOMEM, with MAYMOVE it moves. */
	char *blk = mmap(p + 3 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_FIXED_NOREPLACE, -1, 0);
	ok(blk == p + 3 * PG, "map a blocker page right after");
	is_errno(mremap(p, 3 * PG, 4 * PG, 0), ENOMEM, "mremap grow without MAYMOVE when blocked -> ENOMEM");
	char *n = mremap(p, 3 * PG, 16 * PG, MREMAP_MAYMOVE);
	ok(n != MAP_FAILED && n != p, "mremap MAYMOVE grow moves the mapping");
	if (n == MAP_FAILED)
		return;
	ok(all_bytes(n, 2 * PG, 0x33) && all_bytes(n + 2 * PG, 14 * PG, 0),
	   "moved mapping keeps its data, new part is zero");
	is_int(page_mapped(p), 0, "old location is unmapped after the move");
	n[16 * PG - 1] = 7;
	ok(n[16 * PG - 1] == 7, "end of the moved mapping is writable");

	/* MREMAP_FIXED to the (now free) old place. */
	char *f = mremap(n, 16 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, p);
	ok(f == p, "mremap MREMAP_FIXED moves to the given address");
	ok(f == p && all_bytes(p, 2 * PG, 0x33), "data follows MREMAP_FIXED");
	is_errno(mremap(p + 1, PG, 2 * PG, MREMAP_MAYMOVE), EINVAL, "mremap unaligned -> EINVAL");
	is_errno(mremap(p, PG, 2 * PG, 0x100), EINVAL, "mremap bad flags -> EINVAL");
	is_errno(mremap(p + 8 * PG, PG, 2 * PG, MREMAP_MAYMOVE), EFAULT,
		 "mremap of an unmapped address -> EFAULT");
	munmap(p, 2 * PG);
	munmap(blk, PG);
}

static void test_madvise(void)
{
	char *p = map_anon(4 * PG, PROT_READ | PROT_WRITE);
	if (!ok(p != NULL, "mmap 4 pages for madvise"))
		return;
	memset(p, 0x44, 4 * PG);
	is_int(madvise(p + PG, 2 * PG, MADV_DONTNEED), 0, "madvise MADV_DONTNEED");
	ok(all_bytes(p + PG, 2 * PG, 0), "MADV_DONTNEED pages read back as zero");
	ok(all_bytes(p, PG, 0x44) && all_bytes(p + 3 * PG, PG, 0x44),
	   "pages outside the range keep their data");
	is_int(madvise(p, 4 * PG, MADV_NORMAL), 0, "madvise MADV_NORMAL");
	is_int(madvise(p, 4 * PG, MADV_WILLNEED), 0, "madvise MADV_WILLNEED");
	is_errno(madvise(p + 1, PG, MADV_DONTNEED), EINVAL, "madvise unaligned -> EINVAL");
	munmap(p, 4 * PG);
}

static void test_brk(void)
{
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	ok(cur != 0, "brk(0) returns the current break");
	uintptr_t want = cur + 3 * PG;
	ok((uintptr_t)syscall(SYS_brk, want) == want, "brk grows by 3 pages");
	char *pg = (char *)((cur + PG - 1) & ~(PG - 1));
	ok(all_bytes(pg, PG, 0), "new heap memory is zero");
	memset(pg, 0x55, PG);
	ok(all_bytes(pg, PG, 0x55), "new heap memory is writable");
	ok((uintptr_t)syscall(SYS_brk, cur) == cur, "brk shrinks back");
	ok((uintptr_t)syscall(SYS_brk, 0) == cur, "brk(0) reports the shrunk break");
	ok((uintptr_t)syscall(SYS_brk, 1) == cur, "brk below the heap start is refused (returns old break)");
	ok((uintptr_t)syscall(SYS_brk, want) == want, "brk grows again");
	ok(all_bytes(pg, PG, 0), "memory freed by a shrink is zero when regrown");
	ok((uintptr_t)syscall(SYS_brk, (uintptr_t)1 << 46) == want,
	   "brk to an absurd address is refused");
	syscall(SYS_brk, cur);
}

static void test_big(void)
{
	size_t len = 64UL << 20;
	char *p = map_anon(len, PROT_READ | PROT_WRITE);
	if (!ok(p != NULL, "mmap 64 MiB"))
		return;
	for (size_t off = 0; off < len; off += PG)
		p[off] = (char)(off / PG);
	unsigned long sum = 0;
	for (size_t off = 0; off < len; off += PG)
		sum += (unsigned char)p[off];
	is_int(sum, 2088960, "touched every page of 64 MiB, checksum matches");
	is_int(munmap(p, len), 0, "munmap 64 MiB");
}

int main(void)
{
	test_mmap_basic();
	test_mmap_errors();
	test_fixed();
	test_mprotect();
	test_mremap();
	test_madvise();
	test_brk();
	test_big();
	return done_testing();
}
