// SPDX-License-Identifier: Apache-2.0
/*
 * More address-space cases (no platform), added to the "mm" suite by mm_suite() as the
 * "extra" case: the mmap family, brk, copies across boundaries and holes, strings, fault
 * decisions, COW, stack growth, exhaustion, and memory going back to the memory file.
 */
#include <check.h>
#include <pthread.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "platform/platform.h"
#include "sentry/mm/mm_impl.h"

#define PG(n) ((gva_t)(n) * PAGE_SIZE)
#define BASE ((gva_t)0x10000000)
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static struct memfile *mf;
static struct mm *mm;

static void setup(void)
{
	ck_assert_int_eq(memfile_new(64ULL << 20, &mf), 0);
	ck_assert_int_eq(mm_new(mf, NULL, &mm), 0);
	ck_assert_uint_eq(mm_max_addr(mm), (1ULL << 47) - PAGE_SIZE);
	ck_assert_ptr_null(mm_addrspace(mm));
}

static void teardown(void)
{
	if (mm)
		mm_put(mm);
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
	memfile_free(mf);
	mm = NULL;
	mf = NULL;
}

static int do_mmap(gva_t addr, uint64_t len, int prot, int flags, gva_t *out)
{
	struct mmap_opts o = { .addr = addr, .len = len, .prot = prot, .flags = flags };
	*out = 0;
	return mm_mmap(mm, &o, out);
}

/* MAP_FIXED anonymous mapping that must succeed. */
static void map_fixed(gva_t addr, uint64_t len, int prot)
{
	gva_t got;

	ck_assert_int_eq(do_mmap(addr, len, prot, ANON | MAP_FIXED, &got), 0);
	ck_assert_uint_eq(got, addr);
}

static void fill(gva_t addr, size_t len, uint8_t byte)
{
	uint8_t buf[4096];

	memset(buf, byte, sizeof(buf));
	while (len) {
		size_t n = MIN(len, sizeof(buf));
		ck_assert_int_eq(mm_copy_out(mm, addr, buf, n), (ssize_t)n);
		addr += n;
		len -= n;
	}
}

/* True when [addr, addr+len) reads back as @byte everywhere. */
static bool reads(gva_t addr, size_t len, uint8_t byte)
{
	uint8_t buf[4096];

	while (len) {
		size_t n = MIN(len, sizeof(buf));
		if (mm_copy_in(mm, addr, buf, n) != (ssize_t)n)
			return false;
		for (size_t i = 0; i < n; i++)
			if (buf[i] != byte)
				return false;
		addr += n;
		len -= n;
	}
	return true;
}

/* A copy of the VMA containing @addr (all zero when none), looked up under mm->mu. */
static struct vma vma_at(gva_t addr)
{
	struct vma copy = { 0 }, *v;

	pthread_mutex_lock(&mm->mu);
	v = vma_find(mm, addr);
	if (v)
		copy = *v;
	pthread_mutex_unlock(&mm->mu);
	return copy;
}

static bool unmapped(gva_t addr)
{
	uint8_t b;

	return mm_copy_in(mm, addr, &b, 1) == -EFAULT;
}

/* ---- mmap ---- */

START_TEST(test_mmap_hint_and_placement)
{
	gva_t a, b, c;

	ck_assert_int_eq(do_mmap(BASE, PG(2), RW, ANON, &a), 0);
	ck_assert_uint_eq(a, BASE);
	/* The hint is taken; when busy, the mapping goes elsewhere, below the mmap base. */
	ck_assert_int_eq(do_mmap(BASE, PG(2), RW, ANON, &b), 0);
	ck_assert_uint_ne(b, BASE);
	ck_assert(b + PG(2) <= mm_mmap_base(mm));
	ck_assert_uint_ge(b, MM_MIN_ADDR);
	ck_assert_uint_eq(b % PAGE_SIZE, 0);
	/* No hint: top-down, so the next one lands right below. */
	ck_assert_int_eq(do_mmap(0, 100, PROT_READ, ANON, &c), 0);
	ck_assert_uint_eq(c, b - PG(1));
	/* An unaligned hint is rounded up, as Linux's get_unmapped_area does. */
	ck_assert_int_eq(do_mmap(BASE + PG(8) + 123, PG(1), RW, ANON, &a), 0);
	ck_assert_uint_eq(a, BASE + PG(9));
	/* A hint below mmap_min_addr is not taken. */
	ck_assert_int_eq(do_mmap(PG(1), PG(1), RW, ANON, &a), 0);
	ck_assert_uint_ge(a, MM_MIN_ADDR);
	/* Fresh anonymous memory reads zero. */
	ck_assert(reads(b, PG(2), 0));
}
END_TEST

START_TEST(test_mmap_fixed_replaces)
{
	gva_t got;
	uint64_t used;

	map_fixed(BASE, PG(4), RW);
	fill(BASE, PG(4), 0xab);
	used = memfile_used_bytes(mf);
	ck_assert_uint_ge(used, PG(4));
	map_fixed(BASE + PG(1), PG(2), PROT_READ);
	/* The old pages are dropped: the middle reads zero, its memory is released. */
	ck_assert(reads(BASE + PG(1), PG(2), 0));
	ck_assert(reads(BASE, PG(1), 0xab));
	ck_assert(reads(BASE + PG(3), PG(1), 0xab));
	ck_assert_uint_eq(vma_at(BASE + PG(1)).prot, PROT_READ);
	/* NOREPLACE refuses any overlap and works on a free range. */
	ck_assert_int_eq(do_mmap(BASE + PG(3), PG(2), RW, ANON | MAP_FIXED_NOREPLACE, &got), -EEXIST);
	ck_assert(reads(BASE + PG(3), PG(1), 0xab));
	ck_assert_int_eq(do_mmap(BASE + PG(4), PG(2), RW, ANON | MAP_FIXED_NOREPLACE, &got), 0);
	ck_assert_uint_eq(got, BASE + PG(4));
}
END_TEST

START_TEST(test_mmap_fixed_frees_memory)
{
	uint64_t before = memfile_used_bytes(mf), touched;

	map_fixed(BASE, PG(4), RW);
	fill(BASE, PG(4), 1);
	touched = memfile_used_bytes(mf);
	ck_assert_uint_ge(touched - before, PG(4));
	map_fixed(BASE, PG(4), RW);
	ck_assert_uint_eq(memfile_used_bytes(mf), before);
	ck_assert(reads(BASE, PG(4), 0));
}
END_TEST

START_TEST(test_mmap_errors)
{
	gva_t got;

	ck_assert_int_eq(do_mmap(BASE + 1, PG(1), RW, ANON | MAP_FIXED, &got), -EINVAL);
	ck_assert_int_eq(do_mmap(BASE + 1, PG(1), RW, ANON | MAP_FIXED_NOREPLACE, &got), -EINVAL);
	ck_assert_int_eq(do_mmap(BASE, 0, RW, ANON, &got), -EINVAL);
	ck_assert_int_eq(do_mmap(0, 1ULL << 48, RW, ANON, &got), -ENOMEM);
	ck_assert_int_eq(do_mmap(0, ~0ULL, RW, ANON, &got), -ENOMEM);
	ck_assert_int_eq(do_mmap(0, ~0ULL - PAGE_SIZE, RW, ANON, &got), -ENOMEM);
	/* Fixed ranges reaching past the top. */
	ck_assert_int_eq(do_mmap(mm_max_addr(mm) - PG(1), PG(2), RW, ANON | MAP_FIXED, &got), -ENOMEM);
	ck_assert_int_eq(do_mmap(mm_max_addr(mm), PG(1), RW, ANON | MAP_FIXED, &got), -ENOMEM);
	/* The last page is fine. */
	ck_assert_int_eq(do_mmap(mm_max_addr(mm) - PG(1), PG(1), RW, ANON | MAP_FIXED, &got), 0);
	/* Nothing was created by the failures. */
	ck_assert(unmapped(BASE));
}
END_TEST

/* ---- munmap ---- */

START_TEST(test_munmap)
{
	map_fixed(BASE, PG(6), RW);
	fill(BASE, PG(6), 0x11);
	ck_assert_int_eq(mm_munmap(mm, BASE + 1, PG(1)), -EINVAL);
	ck_assert_int_eq(mm_munmap(mm, BASE, 0), -EINVAL);
	ck_assert_int_eq(mm_munmap(mm, mm_max_addr(mm), PG(1)), -EINVAL);
	ck_assert_int_eq(mm_munmap(mm, BASE, ~0ULL), -EINVAL);
	/* An unaligned length covers the whole page. */
	ck_assert_int_eq(mm_munmap(mm, BASE + PG(2), PG(1) + 1), 0);
	ck_assert(reads(BASE, PG(2), 0x11));
	ck_assert(unmapped(BASE + PG(2)));
	ck_assert(unmapped(BASE + PG(3) + PAGE_SIZE - 1));
	ck_assert(reads(BASE + PG(4), PG(2), 0x11));
	ck_assert_uint_eq(vma_at(BASE + PG(3)).end, 0);
	/* Unmapping a hole is not an error. */
	ck_assert_int_eq(mm_munmap(mm, BASE + PG(100), PG(4)), 0);
}
END_TEST

START_TEST(test_memory_returned)
{
	uint64_t before = memfile_used_bytes(mf);
	gva_t a;

	ck_assert_int_eq(do_mmap(0, PG(300), RW, ANON, &a), 0);
	fill(a, PG(300), 0x77);
	ck_assert_uint_ge(memfile_used_bytes(mf), before + PG(300));
	ck_assert_int_eq(mm_munmap(mm, a + PG(100), PG(100)), 0);
	ck_assert_uint_ge(memfile_used_bytes(mf), before + PG(200));
	ck_assert_uint_lt(memfile_used_bytes(mf), before + PG(300));
	ck_assert_int_eq(mm_munmap(mm, a, PG(300)), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), before);
}
END_TEST

START_TEST(test_put_releases_memory)
{
	gva_t a;

	mm_get(mm);
	ck_assert_int_eq(do_mmap(0, PG(50), RW, ANON, &a), 0);
	fill(a, PG(50), 3);
	ck_assert_int_eq(mm_handle_fault(mm, a, TRAP_ACCESS_READ), 0);
	mm_put(mm); /* not the last reference */
	ck_assert(reads(a, PG(50), 3));
	mm_put(mm);
	mm = NULL;
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
}
END_TEST

/* ---- mprotect ---- */

START_TEST(test_mprotect)
{
	const char msg[] = "forced";
	char buf[sizeof(msg)], big[32] = { 0 };

	map_fixed(BASE, PG(4), RW);
	fill(BASE, PG(4), 0x22);
	ck_assert_int_eq(mm_mprotect(mm, BASE + PG(1), PG(2), PROT_READ), 0);
	ck_assert_int_eq(mm_copy_out(mm, BASE + PG(1), msg, sizeof(msg)), -EFAULT);
	ck_assert_int_eq(mm_zero_out(mm, BASE + PG(2), 8), -EFAULT);
	ck_assert_int_eq(mm_copy_out_force(mm, BASE + PG(1), msg, sizeof(msg)), (ssize_t)sizeof(msg));
	ck_assert_int_eq(mm_copy_in(mm, BASE + PG(1), buf, sizeof(buf)), (ssize_t)sizeof(buf));
	ck_assert_str_eq(buf, msg);
	/* Writes stop at the read-only part. */
	ck_assert_int_eq(mm_copy_out(mm, BASE + PG(1) - 10, big, sizeof(big)), 10);
	/* The split pieces. */
	ck_assert_int_eq(vma_at(BASE).prot, RW);
	ck_assert_uint_eq(vma_at(BASE).end, BASE + PG(1));
	ck_assert_int_eq(vma_at(BASE + PG(2)).prot, PROT_READ);
	ck_assert_uint_eq(vma_at(BASE + PG(3)).start, BASE + PG(3));
	/* Back to RW: one VMA again, and writable. */
	ck_assert_int_eq(mm_mprotect(mm, BASE + PG(1), PG(2), RW), 0);
	ck_assert_uint_eq(vma_at(BASE).end, BASE + PG(4));
	fill(BASE, PG(4), 0x33);
	/* PROT_NONE: no reads either, but force writes still work. */
	ck_assert_int_eq(mm_mprotect(mm, BASE, PG(1), PROT_NONE), 0);
	ck_assert(unmapped(BASE));
	ck_assert_int_eq(mm_copy_out_force(mm, BASE, msg, 1), 1);
	/* Holes and bad arguments. */
	ck_assert_int_eq(mm_mprotect(mm, BASE + PG(10), PG(1), PROT_READ), -ENOMEM);
	ck_assert_int_eq(mm_mprotect(mm, BASE + PG(3), PG(2), PROT_READ), -ENOMEM);
	ck_assert_int_eq(mm_mprotect(mm, BASE + 1, PG(1), PROT_READ), -EINVAL);
	ck_assert_int_eq(mm_mprotect(mm, BASE, 0, PROT_READ), 0);
}
END_TEST

/* ---- mremap ---- */

START_TEST(test_mremap_shrink_and_grow)
{
	map_fixed(BASE, PG(4), RW);
	fill(BASE, PG(4), 0x44);
	ck_assert_int_eq(mm_mremap(mm, BASE, PG(4), PG(2), 0, 0), (int64_t)BASE);
	ck_assert(reads(BASE, PG(2), 0x44));
	ck_assert(unmapped(BASE + PG(2)));
	/* Grow in place: the new part is fresh memory. */
	ck_assert_int_eq(mm_mremap(mm, BASE, PG(2), PG(6), 0, 0), (int64_t)BASE);
	ck_assert(reads(BASE, PG(2), 0x44));
	ck_assert(reads(BASE + PG(2), PG(4), 0));
	ck_assert_uint_eq(vma_at(BASE).end, BASE + PG(6));
	/* Not mapped. */
	ck_assert_int_eq(mm_mremap(mm, BASE + PG(50), PG(1), PG(2), MREMAP_MAYMOVE, 0), -EFAULT);
	ck_assert_int_eq(mm_mremap(mm, BASE + 1, PG(1), PG(2), 0, 0), -EINVAL);
	ck_assert_int_eq(mm_mremap(mm, BASE, PG(1), PG(2), MREMAP_FIXED, BASE + PG(20)), -EINVAL);
}
END_TEST

START_TEST(test_mremap_move)
{
	uint64_t used;
	int64_t r;

	map_fixed(BASE, PG(4), RW);
	map_fixed(BASE + PG(4), PG(1), PROT_READ); /* blocks growth */
	fill(BASE, PG(4), 0x55);
	used = memfile_used_bytes(mf);
	ck_assert_int_eq(mm_mremap(mm, BASE, PG(4), PG(8), 0, 0), -ENOMEM);
	ck_assert(reads(BASE, PG(4), 0x55));
	r = mm_mremap(mm, BASE, PG(4), PG(8), MREMAP_MAYMOVE, 0);
	ck_assert_int_gt(r, 0);
	ck_assert_uint_ne((gva_t)r, BASE);
	ck_assert_uint_eq((gva_t)r % PAGE_SIZE, 0);
	/* Contents moved (not copied), the old range is gone, the blocker stays. */
	ck_assert_uint_eq(memfile_used_bytes(mf), used);
	ck_assert(reads((gva_t)r, PG(4), 0x55));
	ck_assert(reads((gva_t)r + PG(4), PG(4), 0));
	ck_assert(unmapped(BASE));
	ck_assert(unmapped(BASE + PG(3)));
	ck_assert(reads(BASE + PG(4), PG(1), 0));
	ck_assert_int_eq(vma_at((gva_t)r + PG(7)).prot, RW);
}
END_TEST

START_TEST(test_mremap_fixed)
{
	gva_t dst = BASE + PG(100);

	map_fixed(BASE, PG(3), RW);
	fill(BASE, PG(3), 0x66);
	map_fixed(dst, PG(6), RW); /* replaced by the move */
	fill(dst, PG(6), 0x99);
	ck_assert_int_eq(mm_mremap(mm, BASE, PG(3), PG(3), MREMAP_MAYMOVE | MREMAP_FIXED, dst),
			 (int64_t)dst);
	ck_assert(reads(dst, PG(3), 0x66));
	ck_assert(unmapped(BASE));
	/* The rest of the old mapping at dst survives. */
	ck_assert(reads(dst + PG(3), PG(3), 0x99));
	/* Overlapping source and destination. */
	ck_assert_int_eq(mm_mremap(mm, dst, PG(3), PG(3), MREMAP_MAYMOVE | MREMAP_FIXED, dst + PG(1)),
			 -EINVAL);
	/* Only part of a VMA moves: a shrinking move of the head. */
	ck_assert_int_eq(mm_mremap(mm, dst, PG(2), PG(1), MREMAP_MAYMOVE | MREMAP_FIXED, BASE),
			 (int64_t)BASE);
	ck_assert(reads(BASE, PG(1), 0x66));
	ck_assert(unmapped(BASE + PG(1)));
	ck_assert(unmapped(dst));
	ck_assert(unmapped(dst + PG(1)));
	ck_assert(reads(dst + PG(2), PG(1), 0x66));
	ck_assert(reads(dst + PG(3), PG(3), 0x99));
}
END_TEST

/* ---- madvise ---- */

START_TEST(test_madvise)
{
	uint64_t used;

	map_fixed(BASE, PG(4), RW);
	fill(BASE, PG(4), 0x12);
	used = memfile_used_bytes(mf);
	ck_assert_int_eq(mm_madvise(mm, BASE + PG(1), PG(2), MADV_DONTNEED), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), used - PG(2));
	ck_assert(reads(BASE, PG(1), 0x12));
	ck_assert(reads(BASE + PG(1), PG(2), 0));
	ck_assert(reads(BASE + PG(3), PG(1), 0x12));
	ck_assert_int_eq(mm_madvise(mm, BASE, PG(1), 12345), -EINVAL);
	ck_assert_int_eq(mm_madvise(mm, BASE, PG(1), -1), -EINVAL);
	ck_assert_int_eq(mm_madvise(mm, BASE + 1, PG(1), MADV_DONTNEED), -EINVAL);
	ck_assert_int_eq(mm_madvise(mm, BASE, PG(1), MADV_NORMAL), 0);
	/* A hole in the range: -ENOMEM (Linux still drops the mapped part). */
	ck_assert_int_eq(mm_madvise(mm, BASE + PG(3), PG(2), MADV_DONTNEED), -ENOMEM);
	ck_assert_int_eq(mm_madvise(mm, BASE + PG(10), PG(2), MADV_DONTNEED), -ENOMEM);
}
END_TEST

/* ---- brk ---- */

struct seen {
	int n;
	struct vma_info v[8];
};

static void collect(const struct vma_info *v, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8)
		s->v[s->n] = *v;
	s->n++;
}

START_TEST(test_brk)
{
	gva_t start = BASE + PG(1);
	struct seen s = { 0 };

	map_fixed(BASE, PG(1), RW); /* the data segment below the heap */
	/* The loader's end of data is rounded up to a page, as Linux does. */
	mm_set_brk_start(mm, BASE + 0x123);
	ck_assert_uint_eq(mm_brk(mm, 0), start);
	ck_assert_uint_eq(mm_brk(mm, start - 1), start);
	ck_assert_uint_eq(mm_brk(mm, start + PG(3) - 5), start + PG(3) - 5);
	fill(start, PG(3), 0x7e);
	ck_assert(reads(start, PG(3), 0x7e));
	ck_assert(unmapped(start + PG(3)));
	mm_for_each_vma(mm, collect, &s);
	ck_assert_int_eq(s.n, 2);
	ck_assert_ptr_null(s.v[0].name);
	ck_assert_str_eq(s.v[1].name, "[heap]");
	ck_assert_int_eq(s.v[1].prot, RW);
	ck_assert_uint_eq(s.v[1].start, start);
	ck_assert_uint_eq(s.v[1].end, start + PG(3));
	/* Shrink: the memory above the new break goes away. */
	ck_assert_uint_eq(mm_brk(mm, start + 10), start + 10);
	ck_assert(reads(start, 10, 0x7e));
	ck_assert(unmapped(start + PG(1)));
	/* Grow again: the old page keeps its bytes, the new ones are zero. */
	ck_assert_uint_eq(mm_brk(mm, start + PG(2)), start + PG(2));
	ck_assert(reads(start, PG(1), 0x7e));
	ck_assert(reads(start + PG(1), PG(1), 0));
	/* Blocked by a mapping: unchanged. */
	map_fixed(start + PG(10), PG(1), RW);
	ck_assert_uint_eq(mm_brk(mm, start + PG(20)), start + PG(2));
	/* Back to the start: the heap is empty. */
	ck_assert_uint_eq(mm_brk(mm, start), start);
	ck_assert(unmapped(start));
}
END_TEST

/* ---- copies ---- */

START_TEST(test_copy_across_boundaries)
{
	static uint8_t out[3 * 4096 + 100], in[sizeof(out)];

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + 1);
	/* Two VMAs that cannot merge, back to back. */
	map_fixed(BASE, PG(2), RW);
	map_fixed(BASE + PG(2), PG(3), RW | PROT_EXEC);
	ck_assert_uint_eq(vma_at(BASE).end, BASE + PG(2));
	ck_assert_int_eq(mm_copy_out(mm, BASE + 50, out, sizeof(out)), (ssize_t)sizeof(out));
	ck_assert_int_eq(mm_copy_in(mm, BASE + 50, in, sizeof(in)), (ssize_t)sizeof(in));
	ck_assert_mem_eq(in, out, sizeof(out));
	/* Zeroing across the boundary. */
	ck_assert_int_eq(mm_zero_out(mm, BASE + PG(2) - 5, 10), 10);
	ck_assert(reads(BASE + PG(2) - 5, 10, 0));
	ck_assert_int_eq(mm_copy_in(mm, BASE + PG(2) + 5, in, 1), 1);
	ck_assert_uint_eq(in[0], out[PG(2) + 5 - 50]);
	ck_assert_int_eq(mm_copy_in(mm, BASE, in, 0), 0);
}
END_TEST

START_TEST(test_copy_partial_and_faults)
{
	uint8_t buf[256];
	gva_t top = mm_max_addr(mm);

	memset(buf, 0x3c, sizeof(buf));
	map_fixed(BASE, PG(2), RW);
	/* Stops at the hole after the mapping and reports what was copied. */
	ck_assert_int_eq(mm_copy_out(mm, BASE + PG(2) - 10, buf, 100), 10);
	ck_assert_int_eq(mm_copy_in(mm, BASE + PG(2) - 10, buf, 100), 10);
	ck_assert_int_eq(mm_zero_out(mm, BASE + PG(2) - 10, 100), 10);
	/* Nothing copied: -EFAULT. */
	ck_assert_int_eq(mm_copy_in(mm, BASE + PG(2), buf, 100), -EFAULT);
	ck_assert_int_eq(mm_copy_out(mm, BASE - 1, buf, 100), -EFAULT);
	ck_assert_int_eq(mm_copy_in(mm, 0, buf, 1), -EFAULT);
	ck_assert_int_eq(mm_copy_in(mm, top, buf, 1), -EFAULT);
	ck_assert_int_eq(mm_copy_in(mm, 1ULL << 63, buf, 1), -EFAULT);
	ck_assert_int_eq(mm_copy_out_force(mm, top, buf, 1), -EFAULT);
	ck_assert_int_eq(mm_copy_in(mm, ~0ULL - 10, buf, 100), -EFAULT);
	ck_assert_int_eq(mm_copy_out_force(mm, ~0ULL - 10, buf, 100), -EFAULT);
	/* The last page below the top: copies stop at the top, wrapping is impossible. */
	map_fixed(top - PG(1), PG(1), RW);
	ck_assert_int_eq(mm_copy_out(mm, top - 10, buf, 100), 10);
	ck_assert_int_eq(mm_copy_in(mm, top - 10, buf, sizeof(buf)), 10);
	ck_assert_int_eq(mm_copy_in(mm, top - 10, buf, SIZE_MAX), 10);
}
END_TEST

START_TEST(test_copy_string_in)
{
	char buf[64];
	const char hello[] = "hello";

	map_fixed(BASE, PG(2), RW);
	ck_assert_int_eq(mm_copy_out(mm, BASE + 100, hello, sizeof(hello)), (ssize_t)sizeof(hello));
	/* Exact fit: 5 characters plus the NUL in 6 bytes. */
	ck_assert_int_eq(mm_copy_string_in(mm, BASE + 100, buf, 6), 5);
	ck_assert_str_eq(buf, "hello");
	ck_assert_int_eq(mm_copy_string_in(mm, BASE + 100, buf, 5), -ENAMETOOLONG);
	ck_assert_int_eq(mm_copy_string_in(mm, BASE + 100, buf, 0), -ENAMETOOLONG);
	ck_assert_int_eq(mm_copy_string_in(mm, BASE + 105, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	/* Across a page boundary inside the mapping. */
	ck_assert_int_eq(mm_copy_out(mm, BASE + PG(1) - 3, hello, sizeof(hello)), (ssize_t)sizeof(hello));
	ck_assert_int_eq(mm_copy_string_in(mm, BASE + PG(1) - 3, buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "hello");
	/* Ending (NUL included) right before the hole: fine. */
	ck_assert_int_eq(mm_copy_out(mm, BASE + PG(2) - 6, hello, 6), 6);
	ck_assert_int_eq(mm_copy_string_in(mm, BASE + PG(2) - 6, buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "hello");
	/* Running into the hole without a NUL: -EFAULT, not -ENAMETOOLONG. */
	ck_assert_int_eq(mm_copy_out(mm, BASE + PG(2) - 5, hello, 5), 5);
	ck_assert_int_eq(mm_copy_string_in(mm, BASE + PG(2) - 5, buf, sizeof(buf)), -EFAULT);
	/* ... unless @max is reached first. */
	ck_assert_int_eq(mm_copy_string_in(mm, BASE + PG(2) - 5, buf, 5), -ENAMETOOLONG);
	ck_assert_int_eq(mm_copy_string_in(mm, BASE + PG(5), buf, sizeof(buf)), -EFAULT);
	/* Unreadable memory. */
	ck_assert_int_eq(mm_mprotect(mm, BASE, PG(1), PROT_NONE), 0);
	ck_assert_int_eq(mm_copy_string_in(mm, BASE + 100, buf, sizeof(buf)), -EFAULT);
}
END_TEST

/* ---- faults ---- */

START_TEST(test_fault)
{
	uint64_t *pte;

	map_fixed(BASE, PG(4), RW);
	map_fixed(BASE + PG(4), PG(1), PROT_READ);
	map_fixed(BASE + PG(5), PG(1), PROT_NONE);
	ck_assert_int_eq(mm_handle_fault(mm, BASE + PG(1) + 8, TRAP_ACCESS_WRITE), 0);
	pthread_mutex_lock(&mm->mu);
	pte = pte_get(mm, BASE + PG(1), false);
	ck_assert_ptr_nonnull(pte);
	ck_assert(*pte & PTE_PRESENT);
	ck_assert(*pte & PTE_MAPPED);
	ck_assert(*pte & PTE_AS_WRITE);
	pthread_mutex_unlock(&mm->mu);
	ck_assert_int_eq(mm_handle_fault(mm, BASE, TRAP_ACCESS_READ), 0);
	ck_assert_int_eq(mm_handle_fault(mm, BASE + PG(4), TRAP_ACCESS_READ), 0);
	/* Unknown access type on a page already mapped with all the VMA allows: forbidden. */
	ck_assert_int_eq(mm_handle_fault(mm, BASE + PG(4), 0), -EACCES);
	ck_assert_int_eq(mm_handle_fault(mm, BASE + PG(4), TRAP_ACCESS_WRITE), -EACCES);
	ck_assert_int_eq(mm_handle_fault(mm, BASE + PG(4), TRAP_ACCESS_EXEC), -EACCES);
	ck_assert_int_eq(mm_handle_fault(mm, BASE + PG(5), TRAP_ACCESS_READ), -EACCES);
	ck_assert_int_eq(mm_handle_fault(mm, BASE + PG(5), 0), -EACCES);
	ck_assert_int_eq(mm_handle_fault(mm, BASE + PG(6), TRAP_ACCESS_READ), -EFAULT);
	ck_assert_int_eq(mm_handle_fault(mm, 0, TRAP_ACCESS_READ), -EFAULT);
	ck_assert_int_eq(mm_handle_fault(mm, mm_max_addr(mm), TRAP_ACCESS_READ), -EFAULT);
	ck_assert_int_eq(mm_handle_fault(mm, ~0ULL, TRAP_ACCESS_READ), -EFAULT);
	/* The fault never populates beyond its VMA. */
	pthread_mutex_lock(&mm->mu);
	pte = pte_get(mm, BASE + PG(5), false);
	ck_assert(!pte || !(*pte & PTE_PRESENT));
	pthread_mutex_unlock(&mm->mu);
	/* Data written through a copy is what a fault maps. */
	fill(BASE + PG(2), 16, 0xc3);
	ck_assert_int_eq(mm_handle_fault(mm, BASE + PG(2), TRAP_ACCESS_READ), 0);
	ck_assert(reads(BASE + PG(2), 16, 0xc3));
	/* munmap drops the entries. */
	ck_assert_int_eq(mm_munmap(mm, BASE, PG(6)), 0);
	pthread_mutex_lock(&mm->mu);
	pte = pte_get(mm, BASE + PG(1), false);
	ck_assert(!pte || *pte == 0);
	pthread_mutex_unlock(&mm->mu);
}
END_TEST

START_TEST(test_mprotect_drops_mirror)
{
	uint64_t *pte;

	map_fixed(BASE, PG(2), RW);
	ck_assert_int_eq(mm_handle_fault(mm, BASE, TRAP_ACCESS_WRITE), 0);
	ck_assert_int_eq(mm_mprotect(mm, BASE, PG(2), PROT_READ), 0);
	pthread_mutex_lock(&mm->mu);
	pte = pte_get(mm, BASE, false);
	ck_assert_ptr_nonnull(pte);
	ck_assert(*pte & PTE_PRESENT);
	ck_assert(!(*pte & PTE_AS_WRITE));
	pthread_mutex_unlock(&mm->mu);
	ck_assert_int_eq(mm_handle_fault(mm, BASE, TRAP_ACCESS_WRITE), -EACCES);
	ck_assert_int_eq(mm_handle_fault(mm, BASE, TRAP_ACCESS_READ), 0);
}
END_TEST

/* ---- stack growth ---- */

#define STACK_TOP ((gva_t)0x7f0000000000)

START_TEST(test_stack_growth)
{
	gva_t lo = STACK_TOP - PG(4);
	uint8_t b = 0x5e;
	struct seen s = { 0 };

	ck_assert_int_eq(do_mmap(lo, PG(4), RW, ANON | MAP_FIXED | MAP_GROWSDOWN, &lo), 0);
	mm_set_stack(mm, STACK_TOP, PG(64));
	ck_assert_uint_lt(mm_mmap_base(mm), STACK_TOP - PG(64));
	/* Just below: the VMA grows down to the faulting page. */
	ck_assert_int_eq(mm_handle_fault(mm, lo - 8, TRAP_ACCESS_WRITE), 0);
	ck_assert_uint_eq(vma_at(lo - 8).start, lo - PG(1));
	ck_assert_uint_eq(vma_at(lo - 8).end, STACK_TOP);
	/* Copies grow it too (the kernel writing a signal frame). */
	ck_assert_int_eq(mm_copy_out(mm, lo - PG(3), &b, 1), 1);
	ck_assert(reads(lo - PG(3), 1, 0x5e));
	/* Up to the limit, measured from the top, and not one page further. */
	ck_assert_int_eq(mm_handle_fault(mm, STACK_TOP - PG(64), TRAP_ACCESS_WRITE), 0);
	ck_assert_int_eq(mm_handle_fault(mm, STACK_TOP - PG(65), TRAP_ACCESS_WRITE), -EFAULT);
	ck_assert_int_eq(mm_copy_out(mm, STACK_TOP - PG(65), &b, 1), -EFAULT);
	mm_for_each_vma(mm, collect, &s);
	ck_assert_int_eq(s.n, 1);
	ck_assert_uint_eq(s.v[0].start, STACK_TOP - PG(64));
	ck_assert_uint_eq(s.v[0].end, STACK_TOP);
	ck_assert(s.v[0].flags & MAP_GROWSDOWN);
	ck_assert_str_eq(s.v[0].name, "[stack]");
}
END_TEST

START_TEST(test_stack_guard_gap)
{
	gva_t lo = STACK_TOP - PG(4), below = lo - PG(300);

	ck_assert_int_eq(do_mmap(lo, PG(4), RW, ANON | MAP_FIXED | MAP_GROWSDOWN, &lo), 0);
	mm_set_stack(mm, STACK_TOP, PG(1024));
	map_fixed(below, PG(1), RW);
	/* Growing to within the guard gap of the mapping below is refused. */
	ck_assert_int_eq(mm_handle_fault(mm, lo - PG(1), TRAP_ACCESS_READ), 0);
	ck_assert_int_eq(mm_handle_fault(mm, below + PG(1) + MM_STACK_GUARD_GAP - PG(1), TRAP_ACCESS_READ),
			 -EFAULT);
	ck_assert_int_eq(mm_handle_fault(mm, below + PG(1) + MM_STACK_GUARD_GAP, TRAP_ACCESS_READ), 0);
	/* A non-GROWSDOWN VMA never grows. */
	ck_assert_int_eq(mm_handle_fault(mm, below - PG(1), TRAP_ACCESS_READ), -EFAULT);
}
END_TEST

/* ---- enumeration ---- */

START_TEST(test_for_each_vma)
{
	struct seen s = { 0 };

	map_fixed(BASE + PG(20), PG(2), PROT_READ);
	map_fixed(BASE, PG(1), RW);
	map_fixed(BASE + PG(10), PG(3), PROT_EXEC | PROT_READ);
	mm_set_brk_start(mm, BASE + PG(30));
	ck_assert_uint_eq(mm_brk(mm, BASE + PG(32)), BASE + PG(32));
	mm_for_each_vma(mm, collect, &s);
	ck_assert_int_eq(s.n, 4);
	ck_assert_uint_eq(s.v[0].start, BASE);
	ck_assert_uint_eq(s.v[0].end, BASE + PG(1));
	ck_assert_int_eq(s.v[0].prot, RW);
	ck_assert(s.v[0].flags & MAP_ANONYMOUS);
	ck_assert_int_eq(s.v[0].flags & MAP_TYPE, MAP_PRIVATE);
	ck_assert_ptr_null(s.v[0].name);
	ck_assert_uint_eq(s.v[1].start, BASE + PG(10));
	ck_assert_int_eq(s.v[1].prot, PROT_EXEC | PROT_READ);
	ck_assert_uint_eq(s.v[2].start, BASE + PG(20));
	ck_assert_uint_eq(s.v[2].end, BASE + PG(22));
	ck_assert_uint_eq(s.v[3].start, BASE + PG(30));
	ck_assert_uint_eq(s.v[3].end, BASE + PG(32));
	ck_assert_str_eq(s.v[3].name, "[heap]");
}
END_TEST

/* ---- more edge cases ---- */

START_TEST(test_mremap_middle_and_spanning)
{
	int64_t r;

	map_fixed(BASE, PG(6), RW);
	fill(BASE, PG(6), 0x21);
	fill(BASE + PG(2), PG(2), 0x42);
	/* Moving the middle of a VMA leaves both sides where they were. */
	r = mm_mremap(mm, BASE + PG(2), PG(2), PG(3), MREMAP_MAYMOVE, 0);
	ck_assert_int_gt(r, 0);
	ck_assert(reads(BASE, PG(2), 0x21));
	ck_assert(unmapped(BASE + PG(2)));
	ck_assert(unmapped(BASE + PG(3)));
	ck_assert(reads(BASE + PG(4), PG(2), 0x21));
	ck_assert(reads((gva_t)r, PG(2), 0x42));
	ck_assert(reads((gva_t)r + PG(2), PG(1), 0));
	/* A range over two VMAs (or a hole) cannot be remapped. */
	map_fixed(BASE + PG(2), PG(2), PROT_READ);
	ck_assert_int_eq(mm_mremap(mm, BASE, PG(3), PG(4), MREMAP_MAYMOVE, 0), -EFAULT);
	ck_assert_int_eq(mm_mremap(mm, BASE + PG(5), PG(2), PG(4), MREMAP_MAYMOVE, 0), -EFAULT);
	/* Same size: nothing to do. */
	ck_assert_int_eq(mm_mremap(mm, BASE, PG(2), PG(2), 0, 0), (int64_t)BASE);
}
END_TEST

START_TEST(test_mremap_dontunmap)
{
	int64_t r;

	map_fixed(BASE, PG(2), RW);
	fill(BASE, PG(2), 0x31);
	ck_assert_int_eq(mm_mremap(mm, BASE, PG(2), PG(3), MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0), -EINVAL);
	ck_assert_int_eq(mm_mremap(mm, BASE, PG(2), PG(2), MREMAP_DONTUNMAP, 0), -EINVAL);
	r = mm_mremap(mm, BASE, PG(2), PG(2), MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	ck_assert_int_gt(r, 0);
	ck_assert_uint_ne((gva_t)r, BASE);
	ck_assert(reads((gva_t)r, PG(2), 0x31));
	/* The old range stays mapped, empty. */
	ck_assert(reads(BASE, PG(2), 0));
}
END_TEST

START_TEST(test_copy_in_absent_allocates_nothing)
{
	uint8_t buf[64];
	uint64_t before;
	gva_t a;

	ck_assert_int_eq(do_mmap(0, PG(64), RW, ANON, &a), 0);
	before = memfile_used_bytes(mf);
	ck_assert(reads(a, PG(64), 0));
	ck_assert_int_eq(mm_zero_out(mm, a, PG(64)), (ssize_t)PG(64));
	ck_assert_int_eq(mm_copy_string_in(mm, a, (char *)buf, sizeof(buf)), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), before);
	/* A write allocates, and reading it back sees it. */
	ck_assert_int_eq(mm_copy_out(mm, a + PG(10) + 3, "x", 1), 1);
	ck_assert_uint_gt(memfile_used_bytes(mf), before);
	ck_assert(reads(a + PG(10) + 3, 1, 'x'));
	ck_assert(reads(a + PG(10) + 4, PG(1) - 4, 0));
}
END_TEST

START_TEST(test_populate)
{
	gva_t a;
	uint64_t before = memfile_used_bytes(mf);

	ck_assert_int_eq(do_mmap(0, PG(8), RW, ANON | MAP_POPULATE, &a), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), before + PG(8));
	pthread_mutex_lock(&mm->mu);
	for (int i = 0; i < 8; i++) {
		uint64_t *pte = pte_get(mm, a + PG(i), false);
		ck_assert(pte && (*pte & PTE_PRESENT) && (*pte & PTE_MAPPED));
	}
	pthread_mutex_unlock(&mm->mu);
	ck_assert_int_eq(mm_madvise(mm, a, PG(8), MADV_DONTNEED), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), before);
	ck_assert_int_eq(mm_madvise(mm, a, PG(8), MADV_POPULATE_WRITE), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), before + PG(8));
	ck_assert_int_eq(mm_munmap(mm, a, PG(8)), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), before);
}
END_TEST

START_TEST(test_fault_small_memfile)
{
	struct memfile *small;
	struct mm *m;
	/* Bigger than the file: only with MAP_NORESERVE (no overcommit accounting). */
	struct mmap_opts o = { .addr = BASE, .len = PG(128), .prot = RW,
			       .flags = ANON | MAP_FIXED | MAP_NORESERVE };
	struct frange hog;
	gva_t got;

	ck_assert_int_eq(memfile_new(PG(8), &small), 0);
	ck_assert_int_eq(mm_new(small, NULL, &m), 0);
	o.flags &= ~MAP_NORESERVE;
	ck_assert_int_eq(mm_mmap(m, &o, &got), -ENOMEM);
	o.flags |= MAP_NORESERVE;
	ck_assert_int_eq(mm_mmap(m, &o, &got), 0);
	/* One page left: the batch does not fit, but the faulting page alone does. */
	ck_assert_int_eq(memfile_alloc(small, PG(7), &hog), 0);
	ck_assert_int_eq(mm_handle_fault(m, BASE + PG(100), TRAP_ACCESS_WRITE), 0);
	ck_assert_uint_eq(memfile_used_bytes(small), PG(8));
	/* Copies into the backed page work with the file full; elsewhere they cannot. */
	ck_assert_int_eq(mm_copy_out(m, BASE + PG(100), "ok", 2), 2);
	ck_assert_int_lt(mm_copy_out(m, BASE + PG(5), "ok", 2), 0);
	ck_assert_int_lt(mm_handle_fault(m, BASE + PG(5), TRAP_ACCESS_WRITE), 0);
	/* Reads of absent pages need no memory. */
	ck_assert_int_eq(mm_copy_in(m, BASE + PG(5), &got, sizeof(got)), (ssize_t)sizeof(got));
	ck_assert_uint_eq(got, 0);
	memfile_decref(small, hog);
	mm_put(m);
	ck_assert_uint_eq(memfile_used_bytes(small), 0);
	memfile_free(small);
}
END_TEST

START_TEST(test_mmap_fills_then_falls_back)
{
	gva_t a, b, base = mm_mmap_base(mm);

	/* Everything between MM_MIN_ADDR and the mmap base taken: the next goes above it. */
	map_fixed(MM_MIN_ADDR, base - MM_MIN_ADDR, PROT_NONE);
	ck_assert_int_eq(do_mmap(0, PG(4), RW, ANON, &a), 0);
	ck_assert_uint_ge(a, base);
	ck_assert_uint_le(a + PG(4), mm_max_addr(mm));
	ck_assert_int_eq(do_mmap(0, mm_max_addr(mm), RW, ANON, &b), -ENOMEM);
	ck_assert_int_eq(mm_munmap(mm, MM_MIN_ADDR, base - MM_MIN_ADDR), 0);
}
END_TEST

START_TEST(test_munmap_huge_sparse)
{
	map_fixed(PG(16), PG(1), RW);
	map_fixed(mm_max_addr(mm) - PG(1), PG(1), RW);
	fill(PG(16), 8, 1);
	fill(mm_max_addr(mm) - 8, 8, 2);
	ck_assert_int_eq(mm_munmap(mm, 0, mm_max_addr(mm)), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
	ck_assert(unmapped(PG(16)));
	ck_assert(unmapped(mm_max_addr(mm) - 1));
}
END_TEST

START_TEST(test_cow_shared_page)
{
	uint64_t *pte, off;

	map_fixed(BASE, PG(1), RW);
	fill(BASE, PG(1), 0x61);
	ck_assert_int_eq(mm_handle_fault(mm, BASE, TRAP_ACCESS_READ), 0);
	pthread_mutex_lock(&mm->mu);
	pte = pte_get(mm, BASE, false);
	off = PTE_ADDR(*pte);
	/* Another reference (as fork will take) makes the page copy-on-write. */
	memfile_incref(mf, (struct frange){ off, off + PAGE_SIZE });
	pt_unmap_as_range(mm, BASE, BASE + PG(1));
	pthread_mutex_unlock(&mm->mu);
	ck_assert_int_eq(mm_handle_fault(mm, BASE, TRAP_ACCESS_READ), 0);
	pthread_mutex_lock(&mm->mu);
	ck_assert(!(*pte_get(mm, BASE, false) & PTE_AS_WRITE));
	pthread_mutex_unlock(&mm->mu);
	/* An unknown access on a read-only mirror of a writable VMA is a write: copy. */
	ck_assert_int_eq(mm_handle_fault(mm, BASE, 0), 0);
	pthread_mutex_lock(&mm->mu);
	pte = pte_get(mm, BASE, false);
	ck_assert_uint_ne(PTE_ADDR(*pte), off);
	ck_assert(*pte & PTE_AS_WRITE);
	pthread_mutex_unlock(&mm->mu);
	ck_assert_uint_eq(memfile_page_refs(mf, off), 1);
	ck_assert(reads(BASE, PG(1), 0x61));
	/* The other owner's page is untouched by our writes. */
	fill(BASE, 1, 0x62);
	ck_assert_uint_eq(*(uint8_t *)memfile_map_internal(mf, (struct frange){ off, off + PAGE_SIZE }), 0x61);
	memfile_decref(mf, (struct frange){ off, off + PAGE_SIZE });
}
END_TEST

START_TEST(test_cow_copy_out)
{
	uint64_t off;

	map_fixed(BASE, PG(1), RW);
	fill(BASE, PG(1), 0x71);
	pthread_mutex_lock(&mm->mu);
	off = PTE_ADDR(*pte_get(mm, BASE, false));
	pthread_mutex_unlock(&mm->mu);
	memfile_incref(mf, (struct frange){ off, off + PAGE_SIZE });
	fill(BASE + 5, 1, 0x72);
	ck_assert_uint_eq(((uint8_t *)memfile_map_internal(mf, (struct frange){ off, off + PAGE_SIZE }))[5], 0x71);
	ck_assert(reads(BASE + 5, 1, 0x72));
	ck_assert(reads(BASE + 6, 10, 0x71));
	memfile_decref(mf, (struct frange){ off, off + PAGE_SIZE });
}
END_TEST

START_TEST(test_shared_anon_advice)
{
	gva_t a;

	ck_assert_int_eq(do_mmap(0, PG(2), RW, MAP_SHARED | MAP_ANONYMOUS, &a), 0);
	ck_assert_int_eq(vma_at(a).flags & MAP_TYPE, MAP_SHARED);
	fill(a, PG(2), 0x3a);
	ck_assert_int_eq(mm_handle_fault(mm, a, TRAP_ACCESS_WRITE), 0);
	/* Shared memory is its own backing: DONTNEED only drops the mirror. */
	ck_assert_int_eq(mm_madvise(mm, a, PG(2), MADV_DONTNEED), 0);
	ck_assert(reads(a, PG(2), 0x3a));
	ck_assert_int_eq(mm_madvise(mm, a, PG(2), MADV_FREE), -EINVAL);
	ck_assert_int_eq(mm_madvise(mm, a, PG(2), MADV_REMOVE), 0);
	ck_assert(reads(a, PG(2), 0));
	/* On private memory REMOVE is refused, FREE drops the pages. */
	map_fixed(BASE, PG(1), RW);
	fill(BASE, PG(1), 0x3b);
	ck_assert_int_eq(mm_madvise(mm, BASE, PG(1), MADV_REMOVE), -EACCES);
	ck_assert(reads(BASE, PG(1), 0x3b));
	ck_assert_int_eq(mm_madvise(mm, BASE, PG(1), MADV_FREE), 0);
	ck_assert(reads(BASE, PG(1), 0));
}
END_TEST

START_TEST(test_brk_guard_page)
{
	gva_t start = BASE + PG(1);

	map_fixed(BASE, PG(1), RW);
	map_fixed(start + PG(8), PG(1), RW);
	mm_set_brk_start(mm, start);
	/* One free page must stay between the heap and the next mapping. */
	ck_assert_uint_eq(mm_brk(mm, start + PG(8)), start);
	ck_assert_uint_eq(mm_brk(mm, start + PG(7) + 1), start);
	ck_assert_uint_eq(mm_brk(mm, start + PG(7)), start + PG(7));
	fill(start, PG(7), 0x4d);
	/* An unaligned break inside the last page keeps that page. */
	ck_assert_uint_eq(mm_brk(mm, start + PG(6) + 1), start + PG(6) + 1);
	ck_assert(reads(start + PG(6), PG(1), 0x4d));
	ck_assert_uint_eq(mm_brk(mm, start + PG(6)), start + PG(6));
	ck_assert(unmapped(start + PG(6)));
}
END_TEST

START_TEST(test_stack_default_limit_and_copies)
{
	gva_t lo = STACK_TOP - PG(4), got;
	uint8_t b = 1;

	/* No mm_set_stack: RLIMIT_STACK's default (8 MiB) bounds the growth. */
	ck_assert_int_eq(do_mmap(lo, PG(4), RW, ANON | MAP_FIXED | MAP_GROWSDOWN, &got), 0);
	ck_assert_int_eq(mm_copy_out(mm, STACK_TOP - (8ULL << 20), &b, 1), 1);
	ck_assert_int_eq(mm_copy_out(mm, STACK_TOP - (8ULL << 20) - 1, &b, 1), -EFAULT);
	ck_assert_uint_eq(vma_at(STACK_TOP - 1).start, STACK_TOP - (8ULL << 20));
	/* Reads grow it as well, and see zeroes. */
	ck_assert_int_eq(mm_munmap(mm, STACK_TOP - (8ULL << 20), (8ULL << 20) - PG(4)), 0);
	ck_assert(reads(lo - PG(2), 16, 0));
	ck_assert_uint_eq(vma_at(STACK_TOP - 1).start, lo - PG(2));
	/* A read-only stack does not accept writes below it either. */
	ck_assert_int_eq(mm_mprotect(mm, lo - PG(2), PG(6), PROT_READ), 0);
	ck_assert_int_eq(mm_copy_out(mm, lo - PG(3), &b, 1), -EFAULT);
	ck_assert_int_eq(mm_handle_fault(mm, lo - PG(3), TRAP_ACCESS_WRITE), -EACCES);
	ck_assert_int_eq(mm_handle_fault(mm, lo - PG(3), TRAP_ACCESS_READ), 0);
}
END_TEST

START_TEST(test_mprotect_growsdown)
{
	gva_t lo = STACK_TOP - PG(4), got;

	ck_assert_int_eq(do_mmap(lo, PG(4), RW, ANON | MAP_FIXED | MAP_GROWSDOWN, &got), 0);
	map_fixed(BASE, PG(4), RW);
	/* PROT_GROWSDOWN extends the change down to the start of the stack VMA. */
	ck_assert_int_eq(mm_mprotect(mm, lo + PG(2), PG(1), PROT_READ | PROT_GROWSDOWN), 0);
	ck_assert_int_eq(vma_at(lo).prot, PROT_READ);
	ck_assert_uint_eq(vma_at(lo).end, lo + PG(3));
	ck_assert_int_eq(vma_at(lo + PG(3)).prot, RW);
	ck_assert_int_eq(mm_mprotect(mm, BASE + PG(1), PG(1), PROT_READ | PROT_GROWSDOWN), -EINVAL);
	ck_assert_int_eq(mm_mprotect(mm, BASE, PG(1), PROT_READ | PROT_GROWSUP), -EINVAL);
	ck_assert_int_eq(mm_mprotect(mm, BASE, PG(1), 0x100), -EINVAL);
	ck_assert_int_eq(vma_at(BASE).prot, RW);
}
END_TEST

struct worker {
	gva_t base;
	int id;
	int failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	uint8_t buf[3 * 4096], back[sizeof(buf)];

	for (int round = 0; round < 200; round++) {
		struct mmap_opts o = { .addr = w->base, .len = PG(8), .prot = RW,
				       .flags = ANON | MAP_FIXED };
		gva_t got;

		memset(buf, (w->id * 31 + round) & 0xff, sizeof(buf));
		if (mm_mmap(mm, &o, &got) != 0 ||
		    mm_copy_out(mm, w->base + 100, buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
		    mm_handle_fault(mm, w->base + PG(5), TRAP_ACCESS_WRITE) != 0 ||
		    mm_copy_in(mm, w->base + 100, back, sizeof(back)) != (ssize_t)sizeof(back) ||
		    memcmp(buf, back, sizeof(buf)) != 0 ||
		    mm_mprotect(mm, w->base + PG(1), PG(2), PROT_READ) != 0 ||
		    mm_madvise(mm, w->base, PG(8), MADV_DONTNEED) != 0 ||
		    mm_munmap(mm, w->base, PG(8)) != 0)
			w->failures++;
	}
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t t[4];
	struct worker w[4];

	for (int i = 0; i < 4; i++) {
		/* Neighbouring regions: the threads share VMAs' neighbours and page tables. */
		w[i] = (struct worker){ .base = BASE + PG(8) * (gva_t)i, .id = i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
	}
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
}
END_TEST

TCase *mm_extra_tcase(void);
TCase *mm_extra_tcase(void)
{
	TCase *tc = tcase_create("extra");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mmap_hint_and_placement);
	tcase_add_test(tc, test_mmap_fixed_replaces);
	tcase_add_test(tc, test_mmap_fixed_frees_memory);
	tcase_add_test(tc, test_mmap_errors);
	tcase_add_test(tc, test_munmap);
	tcase_add_test(tc, test_memory_returned);
	tcase_add_test(tc, test_put_releases_memory);
	tcase_add_test(tc, test_mprotect);
	tcase_add_test(tc, test_mremap_shrink_and_grow);
	tcase_add_test(tc, test_mremap_move);
	tcase_add_test(tc, test_mremap_fixed);
	tcase_add_test(tc, test_madvise);
	tcase_add_test(tc, test_brk);
	tcase_add_test(tc, test_copy_across_boundaries);
	tcase_add_test(tc, test_copy_partial_and_faults);
	tcase_add_test(tc, test_copy_string_in);
	tcase_add_test(tc, test_fault);
	tcase_add_test(tc, test_mprotect_drops_mirror);
	tcase_add_test(tc, test_stack_growth);
	tcase_add_test(tc, test_stack_guard_gap);
	tcase_add_test(tc, test_for_each_vma);
	tcase_add_test(tc, test_mremap_middle_and_spanning);
	tcase_add_test(tc, test_mremap_dontunmap);
	tcase_add_test(tc, test_copy_in_absent_allocates_nothing);
	tcase_add_test(tc, test_populate);
	tcase_add_test(tc, test_fault_small_memfile);
	tcase_add_test(tc, test_mmap_fills_then_falls_back);
	tcase_add_test(tc, test_munmap_huge_sparse);
	tcase_add_test(tc, test_cow_shared_page);
	tcase_add_test(tc, test_cow_copy_out);
	tcase_add_test(tc, test_shared_anon_advice);
	tcase_add_test(tc, test_brk_guard_page);
	tcase_add_test(tc, test_stack_default_limit_and_copies);
	tcase_add_test(tc, test_mprotect_growsdown);
	tcase_add_test(tc, test_threads);
	return tc;
}
