// SPDX-License-Identifier: Apache-2.0
/*
 * mm without a platform: mmap/munmap/mprotect/mremap/madvise/brk semantics, copies and their
 * failure modes, fault decisions, stack growth, and memory really going back to the file.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/mm/mm_impl.h"

#define P(n) ((uint64_t)(n) * PAGE_SIZE)
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static struct memfile *mf;
static struct mm *mm;

static void setup(void)
{
	ck_assert_int_eq(memfile_new(256ULL << 20, &mf), 0);
	ck_assert_int_eq(mm_new(mf, NULL, &mm), 0);
}

static void teardown(void)
{
	mm_put(mm);
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
	memfile_free(mf);
}

static gva_t map(gva_t addr, uint64_t len, int prot, int flags)
{
	struct mmap_opts o = { .addr = addr, .len = len, .prot = prot, .flags = flags };
	gva_t out = 0;

	ck_assert_int_eq(mm_mmap(mm, &o, &out), 0);
	return out;
}

static int map_err(gva_t addr, uint64_t len, int prot, int flags)
{
	struct mmap_opts o = { .addr = addr, .len = len, .prot = prot, .flags = flags };
	gva_t out;

	return mm_mmap(mm, &o, &out);
}

static void put_byte(gva_t a, uint8_t b)
{
	ck_assert_int_eq(mm_copy_out(mm, a, &b, 1), 1);
}

static int get_byte(gva_t a)
{
	uint8_t b;
	ssize_t r = mm_copy_in(mm, a, &b, 1);

	return r == 1 ? b : (int)r;
}

static uint64_t pte_of(gva_t a)
{
	uint64_t *p, e;

	pthread_mutex_lock(&mm->mu);
	p = pte_get(mm, a, false);
	e = p ? *p : 0;
	pthread_mutex_unlock(&mm->mu);
	return e;
}

/* VMA listing as "start-end prot name;" pages relative to @base. */
struct listing {
	gva_t base;
	char buf[512];
};

static void list_fn(const struct vma_info *v, void *arg)
{
	struct listing *l = arg;
	size_t n = strlen(l->buf);

	snprintf(l->buf + n, sizeof(l->buf) - n, "%lld-%lld %d %s;",
		 (long long)(v->start - l->base) / (long long)PAGE_SIZE,
		 (long long)(v->end - l->base) / (long long)PAGE_SIZE, v->prot,
		 v->name ? v->name : "-");
}

static const char *listing(struct listing *l, gva_t base)
{
	l->base = base;
	l->buf[0] = 0;
	mm_for_each_vma(mm, list_fn, l);
	return l->buf;
}

START_TEST(test_mmap_basic)
{
	gva_t a = map(0, P(3), RW, ANON), b;
	char buf[16] = "hello";

	ck_assert_uint_eq(a & ~PAGE_MASK, 0);
	ck_assert_uint_le(a + P(3), mm_mmap_base(mm));
	ck_assert_uint_eq(memfile_used_bytes(mf), 0); /* lazy */
	ck_assert_int_eq(get_byte(a + 5), 0);         /* reading allocates nothing */
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
	ck_assert_int_eq(mm_copy_out(mm, a + P(1) - 2, buf, 6), 6);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(mm_copy_in(mm, a + P(1) - 2, buf, 6), 6);
	ck_assert_str_eq(buf, "hello");
	ck_assert_uint_gt(memfile_used_bytes(mf), 0);
	/* Top-down: the next mapping goes right below. */
	b = map(0, P(2), RW, ANON);
	ck_assert_uint_eq(b, a - P(2));
	/* Same attributes and adjacent: one VMA. */
	struct listing l;
	ck_assert_str_eq(listing(&l, b), "0-5 3 -;");
	ck_assert_int_eq(mm_munmap(mm, b, P(5)), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
	ck_assert_str_eq(listing(&l, b), "");
}
END_TEST

START_TEST(test_mmap_errors)
{
	gva_t a = map(0, P(4), RW, ANON);
	struct listing l;

	ck_assert_int_eq(map_err(0, 0, RW, ANON), -EINVAL);
	ck_assert_int_eq(map_err(a + 1, P(1), RW, ANON | MAP_FIXED), -EINVAL);
	ck_assert_int_eq(map_err(a + 1, P(1), RW, ANON | MAP_FIXED_NOREPLACE), -EINVAL);
	ck_assert_int_eq(map_err(0, UINT64_MAX, RW, ANON), -ENOMEM);
	ck_assert_int_eq(map_err(0, mm_max_addr(mm) + PAGE_SIZE, RW, ANON), -ENOMEM);
	ck_assert_int_eq(map_err(mm_max_addr(mm) - P(1), P(2), RW, ANON | MAP_FIXED), -ENOMEM);
	ck_assert_int_eq(map_err(a + P(2), P(4), RW, ANON | MAP_FIXED_NOREPLACE), -EEXIST);
	ck_assert_int_eq(map_err(0, P(1), RW, MAP_PRIVATE), -ENODEV);
	ck_assert_int_eq(map_err(0, P(1), RW, MAP_ANONYMOUS), -EINVAL); /* no type */
	ck_assert_str_eq(listing(&l, a), "0-4 3 -;");
	ck_assert_uint_eq(map(a + P(4), P(1), RW, ANON | MAP_FIXED_NOREPLACE), a + P(4));
	ck_assert_uint_eq(map(mm_max_addr(mm) - P(1), P(1), RW, ANON | MAP_FIXED),
			  mm_max_addr(mm) - P(1));
	/* More than the memory file holds: refused unless NORESERVE or read-only private. */
	ck_assert_int_eq(map_err(0, 1ULL << 40, RW, ANON), -ENOMEM);
	ck_assert_int_eq(map_err(0, 1ULL << 40, PROT_READ, MAP_SHARED | MAP_ANONYMOUS), -ENOMEM);
	ck_assert_int_eq(map_err(0, 1ULL << 40, RW, ANON | MAP_NORESERVE), 0);
	ck_assert_int_eq(map_err(0, 1ULL << 40, PROT_READ, ANON), 0);
}
END_TEST

START_TEST(test_mmap_fixed_replaces)
{
	gva_t a = map(0, P(4), RW, ANON);
	struct listing l;

	for (int i = 0; i < 4; i++)
		put_byte(a + P(i), 0x10 + i);
	ck_assert_uint_eq(memfile_used_bytes(mf), P(4));
	ck_assert_uint_eq(map(a + P(1), P(2), PROT_READ, ANON | MAP_FIXED), a + P(1));
	ck_assert_int_eq(get_byte(a), 0x10);
	ck_assert_int_eq(get_byte(a + P(1)), 0); /* new, empty mapping */
	ck_assert_int_eq(get_byte(a + P(2)), 0);
	ck_assert_int_eq(get_byte(a + P(3)), 0x13);
	ck_assert_uint_eq(memfile_used_bytes(mf), P(2));
	ck_assert_str_eq(listing(&l, a), "0-1 3 -;1-3 1 -;3-4 3 -;");
}
END_TEST

START_TEST(test_mmap_hint)
{
	gva_t hint = 0x200000000ULL, a, b;

	a = map(hint, P(2), RW, ANON);
	ck_assert_uint_eq(a, hint);
	b = map(hint + 123, P(1), RW, ANON); /* aligned up: hint+1 page is taken? no: a+P(1) is */
	ck_assert_uint_ne(b, hint);
	ck_assert_uint_eq(map(hint + P(2), P(1), RW, ANON), hint + P(2));
	ck_assert_uint_lt(map(hint, P(1), RW, ANON), mm_mmap_base(mm)); /* taken: top-down */
	ck_assert_uint_eq(map(0x1000, P(1), RW, ANON) >= MM_MIN_ADDR, 1); /* below min: ignored */
}
END_TEST

START_TEST(test_munmap)
{
	gva_t a = map(0, P(6), RW, ANON);
	struct listing l;

	for (int i = 0; i < 6; i++)
		put_byte(a + P(i), 1 + i);
	ck_assert_int_eq(mm_munmap(mm, a + P(2), P(2) - 100), 0); /* length rounded up */
	ck_assert_str_eq(listing(&l, a), "0-2 3 -;4-6 3 -;");
	ck_assert_uint_eq(memfile_used_bytes(mf), P(4));
	ck_assert_int_eq(get_byte(a + P(2)), -EFAULT);
	ck_assert_int_eq(get_byte(a + P(4)), 5);
	ck_assert_int_eq(mm_munmap(mm, a + 1, P(1)), -EINVAL);
	ck_assert_int_eq(mm_munmap(mm, a, 0), -EINVAL);
	ck_assert_int_eq(mm_munmap(mm, a, UINT64_MAX), -EINVAL);
	ck_assert_int_eq(mm_munmap(mm, mm_max_addr(mm), P(1)), -EINVAL);
	ck_assert_int_eq(mm_munmap(mm, a + P(100), P(1)), 0); /* nothing there: fine */
	ck_assert_int_eq(mm_munmap(mm, a, P(6)), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
}
END_TEST

START_TEST(test_mprotect)
{
	gva_t a = map(0, P(4), RW, ANON);
	uint8_t b = 7;

	put_byte(a + P(1), 42);
	ck_assert_int_eq(mm_mprotect(mm, a + P(1), P(1), PROT_READ), 0);
	ck_assert_int_eq(mm_copy_out(mm, a + P(1), &b, 1), -EFAULT);
	ck_assert_int_eq(get_byte(a + P(1)), 42);
	ck_assert_int_eq(mm_copy_out_force(mm, a + P(1), &b, 1), 1); /* the loader's way */
	ck_assert_int_eq(get_byte(a + P(1)), 7);
	ck_assert_int_eq(mm_zero_out(mm, a + P(1), 1), -EFAULT);
	ck_assert_int_eq(mm_mprotect(mm, a + P(1), P(1), PROT_NONE), 0);
	ck_assert_int_eq(get_byte(a + P(1)), -EFAULT);
	ck_assert_int_eq(mm_mprotect(mm, a + P(1), P(1), PROT_WRITE), 0);
	ck_assert_int_eq(get_byte(a + P(1)), 7); /* x86: writable means readable */
	/* Errors. */
	ck_assert_int_eq(mm_mprotect(mm, a + 1, P(1), PROT_READ), -EINVAL);
	ck_assert_int_eq(mm_mprotect(mm, a, P(1), 0x100), -EINVAL);
	ck_assert_int_eq(mm_mprotect(mm, a, P(5), PROT_READ), -ENOMEM); /* runs into a hole */
	ck_assert_int_eq(get_byte(a), 0);                                 /* unchanged: still RW */
	put_byte(a, 1);
	ck_assert_int_eq(mm_mprotect(mm, a, 0, PROT_READ), 0);
	ck_assert_int_eq(mm_mprotect(mm, a, UINT64_MAX - a, PROT_READ), -ENOMEM);
	ck_assert_int_eq(mm_mprotect(mm, a, P(1), PROT_READ | PROT_GROWSDOWN), -EINVAL);
}
END_TEST

START_TEST(test_mremap)
{
	gva_t a = map(0, P(4), RW, ANON), b, c;
	struct listing l;

	for (int i = 0; i < 4; i++)
		put_byte(a + P(i), 0x20 + i);
	/* Shrink. */
	ck_assert_int_eq(mm_mremap(mm, a, P(4), P(3), 0, 0), (int64_t)a);
	ck_assert_int_eq(get_byte(a + P(3)), -EFAULT);
	ck_assert_uint_eq(memfile_used_bytes(mf), P(3));
	/* Grow in place (the space above is free). */
	ck_assert_int_eq(mm_mremap(mm, a, P(3), P(5), 0, 0), (int64_t)a);
	ck_assert_int_eq(get_byte(a + P(4)), 0);
	ck_assert_int_eq(get_byte(a + P(2)), 0x22);
	/* Blocked above: only MAYMOVE helps, and the pages move without copying. */
	b = map(a + P(5), P(1), PROT_READ, ANON | MAP_FIXED);
	ck_assert_int_eq(mm_mremap(mm, a, P(5), P(8), 0, 0), -ENOMEM);
	uint64_t off = PTE_ADDR(pte_of(a + P(1)));
	c = (gva_t)mm_mremap(mm, a, P(5), P(8), MREMAP_MAYMOVE, 0);
	ck_assert_uint_ne(c, a);
	ck_assert_int_eq(get_byte(a), -EFAULT);
	ck_assert_int_eq(get_byte(c + P(1)), 0x21);
	ck_assert_int_eq(get_byte(c + P(7)), 0);
	ck_assert_uint_eq(PTE_ADDR(pte_of(c + P(1))), off);
	ck_assert_uint_eq(memfile_used_bytes(mf), P(3));
	/* MREMAP_FIXED onto the old place (replacing b), shrinking on the way. */
	ck_assert_int_eq(mm_mremap(mm, c, P(8), P(2), MREMAP_MAYMOVE | MREMAP_FIXED, a),
			 (int64_t)a);
	ck_assert_int_eq(get_byte(a + P(1)), 0x21);
	ck_assert_uint_eq(memfile_used_bytes(mf), P(2));
	ck_assert_str_eq(listing(&l, a), "0-2 3 -;5-6 1 -;"); /* b stays */
	ck_assert_uint_eq(b, a + P(5));
	/* Errors. */
	ck_assert_int_eq(mm_mremap(mm, a + 1, P(1), P(2), 0, 0), -EINVAL);
	ck_assert_int_eq(mm_mremap(mm, a, P(1), 0, 0, 0), -EINVAL);
	ck_assert_int_eq(mm_mremap(mm, a, P(1), P(2), MREMAP_FIXED, 0), -EINVAL);
	ck_assert_int_eq(mm_mremap(mm, a, P(1), P(2), 0x80, 0), -EINVAL);
	ck_assert_int_eq(mm_mremap(mm, a, P(2), P(2), MREMAP_MAYMOVE | MREMAP_FIXED, a + P(1)),
			 -EINVAL); /* overlap */
	ck_assert_int_eq(mm_mremap(mm, a, P(3), P(4), MREMAP_MAYMOVE, 0), -EFAULT);
	ck_assert_int_eq(mm_mremap(mm, a + P(100), P(1), P(2), MREMAP_MAYMOVE, 0), -EFAULT);
	/* DONTUNMAP: the old range stays mapped, empty. */
	c = (gva_t)mm_mremap(mm, a, P(2), P(2), MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	ck_assert_uint_ne(c, a);
	ck_assert_int_eq(get_byte(c + P(1)), 0x21);
	ck_assert_int_eq(get_byte(a + P(1)), 0);
}
END_TEST

START_TEST(test_madvise)
{
	gva_t a = map(0, P(4), RW, ANON), s = map(0, P(1), RW, MAP_SHARED | MAP_ANONYMOUS);

	for (int i = 0; i < 4; i++)
		put_byte(a + P(i), 9);
	put_byte(s, 8);
	ck_assert_int_eq(mm_madvise(mm, a + P(1), P(2), MADV_DONTNEED), 0);
	ck_assert_int_eq(get_byte(a + P(1)), 0);
	ck_assert_int_eq(get_byte(a + P(3)), 9);
	ck_assert_uint_eq(memfile_used_bytes(mf), P(3));
	ck_assert_int_eq(mm_madvise(mm, a, P(1), MADV_FREE), 0);
	ck_assert_int_eq(get_byte(a), 0);
	ck_assert_int_eq(mm_madvise(mm, s, P(1), MADV_DONTNEED), 0);
	ck_assert_int_eq(get_byte(s), 8); /* shared memory keeps its contents */
	ck_assert_int_eq(mm_madvise(mm, s, P(1), MADV_FREE), -EINVAL);
	ck_assert_int_eq(mm_madvise(mm, a, P(1), MADV_NORMAL), 0);
	ck_assert_int_eq(mm_madvise(mm, a, P(1), MADV_HUGEPAGE), 0);
	ck_assert_int_eq(mm_madvise(mm, a, P(1), 12345), -EINVAL);
	ck_assert_int_eq(mm_madvise(mm, a + 1, P(1), MADV_DONTNEED), -EINVAL);
	ck_assert_int_eq(mm_madvise(mm, a, 0, MADV_DONTNEED), 0);
	ck_assert_int_eq(mm_madvise(mm, a + P(3), P(8), MADV_DONTNEED), -ENOMEM); /* hole */
	ck_assert_int_eq(get_byte(a + P(3)), 0); /* still applied to the mapped part */
	ck_assert_int_eq(mm_madvise(mm, a, P(4), MADV_POPULATE_WRITE), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), P(5));
}
END_TEST

START_TEST(test_brk)
{
	gva_t start = 0x555555000000ULL, b;
	struct listing l;

	ck_assert_uint_eq(mm_brk(mm, 0x1234000), 0); /* no heap yet */
	mm_set_brk_start(mm, start);
	ck_assert_uint_eq(mm_brk(mm, 0), start);
	ck_assert_uint_eq(mm_brk(mm, start - 1), start);
	b = mm_brk(mm, start + 100);
	ck_assert_uint_eq(b, start + 100);
	put_byte(start + 99, 1);
	put_byte(start + PAGE_SIZE - 1, 1); /* the rest of the page is there too */
	ck_assert_int_eq(get_byte(start + PAGE_SIZE), -EFAULT);
	ck_assert_uint_eq(mm_brk(mm, start + P(3)), start + P(3));
	put_byte(start + P(3) - 1, 3);
	ck_assert_str_eq(listing(&l, start), "0-3 3 [heap];");
	/* Shrink: pages go away. */
	ck_assert_uint_eq(mm_brk(mm, start + P(1)), start + P(1));
	ck_assert_int_eq(get_byte(start + P(2)), -EFAULT);
	ck_assert_uint_eq(memfile_used_bytes(mf), P(1));
	/* A mapping in the way (or right above: one guard page) stops growth. */
	map(start + P(4), P(1), RW, ANON | MAP_FIXED);
	ck_assert_uint_eq(mm_brk(mm, start + P(4)), start + P(1));
	ck_assert_uint_eq(mm_brk(mm, start + P(3) + 1), start + P(1));
	ck_assert_uint_eq(mm_brk(mm, start + P(3)), start + P(3));
	ck_assert_uint_eq(mm_brk(mm, UINT64_MAX), start + P(3));
	ck_assert_uint_eq(mm_brk(mm, start + (1ULL << 40)), start + P(3)); /* overcommit */
	ck_assert_uint_eq(mm_brk(mm, start), start);
	ck_assert_str_eq(listing(&l, start), "4-5 3 -;");
}
END_TEST

START_TEST(test_copy_across_vmas_and_holes)
{
	gva_t a = map(0, P(4), RW, ANON);
	char out[3 * PAGE_SIZE], in[3 * PAGE_SIZE];

	/* Two VMAs with different protections, adjacent: a copy crosses transparently. */
	ck_assert_int_eq(mm_mprotect(mm, a + P(2), P(2), RW | PROT_EXEC), 0);
	memset(out, 'x', sizeof(out));
	ck_assert_int_eq(mm_copy_out(mm, a + P(1) + 10, out, sizeof(out) - 20),
			 (ssize_t)sizeof(out) - 20);
	ck_assert_int_eq(mm_copy_in(mm, a + P(1) + 10, in, sizeof(in) - 20),
			 (ssize_t)sizeof(in) - 20);
	ck_assert(memcmp(in, out, sizeof(in) - 20) == 0);
	/* A hole stops the copy: short count, then -EFAULT when nothing was copied. */
	ck_assert_int_eq(mm_munmap(mm, a + P(3), P(1)), 0);
	ck_assert_int_eq(mm_copy_in(mm, a + P(2) + 100, in, sizeof(in)), PAGE_SIZE - 100);
	ck_assert_int_eq(mm_copy_out(mm, a + P(2) + 100, out, sizeof(out)), PAGE_SIZE - 100);
	ck_assert_int_eq(mm_zero_out(mm, a + P(2) + 100, sizeof(out)), PAGE_SIZE - 100);
	ck_assert_int_eq(mm_copy_in(mm, a + P(3), in, 10), -EFAULT);
	ck_assert_int_eq(mm_copy_in(mm, a + P(3), in, 0), 0);
	/* A read-only VMA stops a write part way. */
	ck_assert_int_eq(mm_mprotect(mm, a + P(1), P(1), PROT_READ), 0);
	ck_assert_int_eq(mm_copy_out(mm, a + P(1) - 5, out, 10), 5);
	/* Zeroing. */
	ck_assert_int_eq(mm_zero_out(mm, a + 10, 5), 5);
	ck_assert_int_eq(get_byte(a + 12), 0);
}
END_TEST

START_TEST(test_copy_bad_addresses)
{
	static char buf[PAGE_SIZE];
	gva_t top = mm_max_addr(mm);

	ck_assert_int_eq(mm_copy_in(mm, 0, buf, 8), -EFAULT);
	ck_assert_int_eq(mm_copy_out(mm, 0, buf, 8), -EFAULT);
	ck_assert_int_eq(mm_copy_in(mm, top, buf, 8), -EFAULT);
	ck_assert_int_eq(mm_copy_in(mm, 0xffff800000000000ULL, buf, 8), -EFAULT);
	ck_assert_int_eq(mm_copy_out(mm, UINT64_MAX - 10, buf, 64), -EFAULT); /* wraps */
	ck_assert_int_eq(mm_zero_out(mm, UINT64_MAX, 2), -EFAULT);
	ck_assert_int_eq(mm_copy_string_in(mm, UINT64_MAX - 3, buf, 64), -EFAULT);
	ck_assert_int_eq(mm_handle_fault(mm, UINT64_MAX, 0), -EFAULT);
	/* The top page of the address space: a copy ends at the top, never wraps. */
	gva_t a = map(top - P(1), P(1), RW, ANON | MAP_FIXED);
	ck_assert_int_eq(mm_copy_out(mm, a + PAGE_SIZE - 4, buf, 64), 4);
	ck_assert_int_eq(mm_copy_in(mm, a, buf, SIZE_MAX), PAGE_SIZE);
	ck_assert_int_eq(mm_zero_out(mm, a, SIZE_MAX), PAGE_SIZE);
}
END_TEST

START_TEST(test_copy_string_in)
{
	gva_t a = map(0, P(2), RW, ANON);
	char buf[32];

	ck_assert_int_eq(mm_copy_out(mm, a, "abc", 4), 4);
	ck_assert_int_eq(mm_copy_string_in(mm, a, buf, sizeof(buf)), 3);
	ck_assert_str_eq(buf, "abc");
	ck_assert_int_eq(mm_copy_string_in(mm, a, buf, 4), 3);             /* exactly max */
	ck_assert_int_eq(mm_copy_string_in(mm, a, buf, 3), -ENAMETOOLONG); /* no NUL in max */
	ck_assert_int_eq(mm_copy_string_in(mm, a, buf, 0), -ENAMETOOLONG);
	ck_assert_int_eq(mm_copy_string_in(mm, a + 3, buf, 8), 0); /* empty */
	ck_assert_int_eq(mm_copy_string_in(mm, a + P(1), buf, 8), 0); /* untouched page: "" */
	ck_assert_str_eq(buf, "");
	/* A string crossing a page boundary. */
	ck_assert_int_eq(mm_copy_out(mm, a + P(1) - 3, "xyzw", 5), 5);
	ck_assert_int_eq(mm_copy_string_in(mm, a + P(1) - 3, buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "xyzw");
	/* Running into the end of the mapping without a NUL: -EFAULT. */
	memset(buf, 'q', sizeof(buf));
	ck_assert_int_eq(mm_copy_out(mm, a + P(2) - 8, buf, 8), 8);
	ck_assert_int_eq(mm_copy_string_in(mm, a + P(2) - 8, buf, sizeof(buf)), -EFAULT);
	ck_assert_int_eq(mm_copy_string_in(mm, a + P(2) - 8, buf, 8), -ENAMETOOLONG);
	/* NUL in the very last byte of the mapping. */
	ck_assert_int_eq(mm_copy_out(mm, a + P(2) - 1, "", 1), 1);
	ck_assert_int_eq(mm_copy_string_in(mm, a + P(2) - 8, buf, sizeof(buf)), 7);
	ck_assert_int_eq(mm_copy_string_in(mm, a + P(2), buf, sizeof(buf)), -EFAULT);
	ck_assert_int_eq(mm_mprotect(mm, a, P(1), PROT_NONE), 0);
	ck_assert_int_eq(mm_copy_string_in(mm, a, buf, sizeof(buf)), -EFAULT);
}
END_TEST

START_TEST(test_fault_decisions)
{
	gva_t rw = map(0, P(128), RW, ANON), ro = map(0, P(1), PROT_READ, ANON);
	gva_t none = map(0, P(1), PROT_NONE, ANON);

	ck_assert_int_eq(mm_handle_fault(mm, 0, 0), -EFAULT);
	ck_assert_int_eq(mm_handle_fault(mm, none, TRAP_ACCESS_READ), -EACCES);
	ck_assert_int_eq(mm_handle_fault(mm, none, 0), -EACCES);
	ck_assert_int_eq(mm_handle_fault(mm, ro, TRAP_ACCESS_WRITE), -EACCES);
	ck_assert_int_eq(mm_handle_fault(mm, ro, TRAP_ACCESS_EXEC), -EACCES);
	/* Unknown access on a read-only VMA: first maps, second is a violation. */
	ck_assert_int_eq(mm_handle_fault(mm, ro + 5, 0), 0);
	ck_assert(pte_of(ro) & PTE_MAPPED);
	ck_assert(!(pte_of(ro) & PTE_AS_WRITE));
	ck_assert_int_eq(mm_handle_fault(mm, ro + 5, 0), -EACCES);
	ck_assert_int_eq(mm_handle_fault(mm, ro + 5, TRAP_ACCESS_READ), 0); /* stale: remap */
	/* A batch: 64 pages around the fault, aligned, contiguous in the memory file. */
	uint64_t before = memfile_used_bytes(mf);
	gva_t f = (rw + P(64)) & ~(P(64) - 1);
	ck_assert_int_eq(mm_handle_fault(mm, f + P(3) + 7, TRAP_ACCESS_READ), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf) - before, P(64));
	for (int i = 1; i < 64; i++) {
		ck_assert_uint_eq(PTE_ADDR(pte_of(f + P(i))), PTE_ADDR(pte_of(f)) + P(i));
		ck_assert(pte_of(f + P(i)) & PTE_AS_WRITE);
	}
	ck_assert_int_eq(mm_handle_fault(mm, f, 0), -EACCES); /* mapped with all permissions */
	/* mprotect drops the mirror; faults map again with the new protection. */
	ck_assert_int_eq(mm_mprotect(mm, f, P(1), PROT_READ), 0);
	ck_assert(!(pte_of(f) & PTE_MAPPED));
	ck_assert_int_eq(mm_handle_fault(mm, f, 0), 0);
	ck_assert(!(pte_of(f) & PTE_AS_WRITE));
	ck_assert_int_eq(mm_mprotect(mm, f, P(1), RW), 0);
	ck_assert_int_eq(mm_handle_fault(mm, f, 0), 0);
	ck_assert(pte_of(f) & PTE_AS_WRITE);
	/* The batch is clipped to the VMA. */
	before = memfile_used_bytes(mf);
	gva_t small = map(0, P(2), RW, ANON | MAP_POPULATE);
	ck_assert_uint_eq(memfile_used_bytes(mf) - before, P(2)); /* MAP_POPULATE */
	ck_assert(pte_of(small + P(1)) & PTE_MAPPED);
}
END_TEST

/* A page shared with another owner (as after fork): a write fault copies it. */
START_TEST(test_cow_break)
{
	gva_t a = map(0, P(1), RW, ANON);
	struct frange fr;

	put_byte(a, 0x77);
	fr.start = PTE_ADDR(pte_of(a));
	fr.end = fr.start + PAGE_SIZE;
	memfile_incref(mf, fr);
	/* Mapped now: read-only while shared. */
	ck_assert_int_eq(mm_handle_fault(mm, a, 0), 0);
	ck_assert(!(pte_of(a) & PTE_AS_WRITE));
	/* Unknown access on the read-only mirror of a writable VMA: a write; copy. */
	ck_assert_int_eq(mm_handle_fault(mm, a, 0), 0);
	ck_assert(pte_of(a) & PTE_AS_WRITE);
	ck_assert_uint_ne(PTE_ADDR(pte_of(a)), fr.start);
	ck_assert_int_eq(get_byte(a), 0x77);
	put_byte(a, 0x78);
	ck_assert_uint_eq(*(uint8_t *)memfile_map_internal(mf, fr), 0x77);
	/* A copy-out also breaks the sharing. Sharing a page write-protects it, as fork does
	 * (a page still mirrored writable is this mm's alone: more references are pins). */
	memfile_incref(mf, (struct frange){ PTE_ADDR(pte_of(a)), PTE_ADDR(pte_of(a)) + PAGE_SIZE });
	pthread_mutex_lock(&mm->mu);
	pt_unmap_as_range(mm, a, a + PAGE_SIZE);
	pthread_mutex_unlock(&mm->mu);
	struct frange fr2 = { PTE_ADDR(pte_of(a)), PTE_ADDR(pte_of(a)) + PAGE_SIZE };
	put_byte(a, 0x79);
	ck_assert_uint_ne(PTE_ADDR(pte_of(a)), fr2.start);
	ck_assert_uint_eq(*(uint8_t *)memfile_map_internal(mf, fr2), 0x78);
	memfile_decref(mf, fr);
	memfile_decref(mf, fr2);
}
END_TEST

START_TEST(test_stack_growth)
{
	gva_t top = 0x7ff000000000ULL, lo = top - P(16);
	struct listing l;

	ck_assert_uint_eq(map(lo, P(16), RW, ANON | MAP_GROWSDOWN | MAP_FIXED), lo);
	mm_set_stack(mm, top, 1 << 20);
	ck_assert_uint_lt(mm_mmap_base(mm), top - (128ULL << 20) + 1);
	ck_assert_str_eq(listing(&l, lo), "0-16 3 [stack];");
	ck_assert_int_eq(mm_handle_fault(mm, lo - P(4) + 8, TRAP_ACCESS_WRITE), 0);
	ck_assert_str_eq(listing(&l, lo), "-4-16 3 [stack];");
	/* Copies grow it too (Linux: a kernel access faults like a user one). */
	ck_assert_int_eq(mm_copy_out(mm, lo - P(10), "s", 1), 1);
	ck_assert_str_eq(listing(&l, lo), "-10-16 3 [stack];");
	/* Beyond the 1 MiB limit: no. */
	ck_assert_int_eq(mm_handle_fault(mm, top - (1 << 20) - 1, TRAP_ACCESS_WRITE), -EFAULT);
	ck_assert_int_eq(mm_handle_fault(mm, top - (1 << 20), TRAP_ACCESS_WRITE), 0);
	/* A mapping within the guard gap below blocks growth. */
	gva_t bottom = top - (1 << 20);
	ck_assert_int_eq(mm_munmap(mm, bottom, P(128)), 0);
	map(bottom - P(100), P(1), RW, ANON | MAP_FIXED);
	ck_assert_int_eq(mm_handle_fault(mm, bottom + P(100), TRAP_ACCESS_WRITE), -EFAULT);
	ck_assert_int_eq(mm_handle_fault(mm, bottom + P(200), TRAP_ACCESS_WRITE), 0);
}
END_TEST

START_TEST(test_exhaustion)
{
	struct memfile *small;
	struct mm *m;
	struct mmap_opts o = { .len = P(32), .prot = RW, .flags = ANON | MAP_NORESERVE };
	static char buf[P(32)];
	gva_t a;

	ck_assert_int_eq(memfile_new(P(8), &small), 0);
	ck_assert_int_eq(mm_new(small, NULL, &m), 0);
	ck_assert_int_eq(mm_mmap(m, &o, &a), 0); /* address space is not memory */
	/* The fault batch shrinks to what is left. */
	ck_assert_int_eq(mm_handle_fault(m, a, TRAP_ACCESS_WRITE), 0);
	ck_assert_uint_eq(memfile_used_bytes(small), P(8));
	ck_assert_int_eq(mm_handle_fault(m, a + P(20), TRAP_ACCESS_WRITE), -ENOMEM);
	ck_assert_int_eq(mm_copy_out(m, a, buf, sizeof(buf)), P(8)); /* short */
	ck_assert_int_eq(mm_copy_out(m, a + P(8), buf, 1), -EFAULT);
	ck_assert_int_eq(mm_madvise(m, a, P(2), MADV_DONTNEED), 0);
	ck_assert_int_eq(mm_copy_out(m, a + P(8), buf, P(2)), P(2));
	mm_put(m);
	ck_assert_uint_eq(memfile_used_bytes(small), 0);
	memfile_free(small);
}
END_TEST

START_TEST(test_refs_and_release)
{
	gva_t a = map(0, P(8), RW, ANON);

	ck_assert_ptr_null(mm_addrspace(mm));
	ck_assert_uint_eq(mm_max_addr(mm), (1ULL << 47) - PAGE_SIZE);
	ck_assert_int_eq(mm_zero_out(mm, a, P(8)), P(8));
	ck_assert_uint_eq(memfile_used_bytes(mf), 0); /* zeroing absent pages allocates nothing */
	ck_assert_int_eq(mm_copy_out(mm, a + P(7), "z", 1), 1);
	mm_get(mm);
	mm_put(mm);
	ck_assert_int_eq(get_byte(a + P(7)), 'z');
	ck_assert_uint_gt(memfile_used_bytes(mf), 0);
	/* teardown's mm_put checks that everything returns to the memory file */
}
END_TEST

/* Moving entries across leaf tables (a destination leaf is empty mid-move). */
START_TEST(test_mremap_across_tables)
{
	gva_t base = 0x40000000ULL, src = base + (2 << 20) - P(1), dst = src - P(512);

	map(src, P(3), RW, ANON | MAP_FIXED);
	for (int i = 0; i < 3; i++)
		put_byte(src + P(i), 0x30 + i);
	ck_assert_int_eq(mm_mremap(mm, src, P(3), P(3), MREMAP_MAYMOVE | MREMAP_FIXED, dst),
			 (int64_t)dst);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(get_byte(dst + P(i)), 0x30 + i);
	ck_assert_int_eq(get_byte(src + P(1)), -EFAULT);
	ck_assert_uint_eq(memfile_used_bytes(mf), P(3));
}
END_TEST

/* A huge MAP_POPULATE stops where memory ends; the mapping still succeeds. */
START_TEST(test_populate_huge)
{
	gva_t a = map(0, 1ULL << 30, RW, ANON | MAP_POPULATE | MAP_NORESERVE);

	ck_assert_uint_eq(memfile_used_bytes(mf), 256ULL << 20);
	ck_assert_int_eq(mm_munmap(mm, a, 1ULL << 30), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
}
END_TEST

/* Random operations against a page-granular model of a 64-page window. */
enum { MODEL_PAGES = 64 };
struct model_page {
	bool mapped;
	int prot;
	uint8_t val;
};

static void model_check_vmas(gva_t base, const struct model_page *m)
{
	struct vma *prev = NULL;

	pthread_mutex_lock(&mm->mu);
	for (struct rb_node *n = rb_first(&mm->vmas); n; n = rb_next(n)) {
		struct vma *v = rb_entry(n, struct vma, node);

		ck_assert_uint_lt(v->start, v->end);
		if (prev) {
			ck_assert_uint_le(prev->end, v->start);
			ck_assert(!(prev->end == v->start && prev->prot == v->prot &&
				    prev->flags == v->flags)); /* merged */
		}
		prev = v;
	}
	for (int i = 0; i < MODEL_PAGES; i++) {
		struct vma *v = vma_find(mm, base + P(i));

		ck_assert_int_eq(v != NULL, m[i].mapped);
		if (v)
			ck_assert_int_eq(v->prot, m[i].prot);
	}
	pthread_mutex_unlock(&mm->mu);
}

START_TEST(test_random_model)
{
	static const int prots[] = { PROT_NONE, PROT_READ, RW, RW | PROT_EXEC };
	struct model_page m[MODEL_PAGES] = { 0 };
	gva_t base = 0x10000000ULL;
	unsigned seed = 42;

	for (int step = 0; step < 3000; step++) {
		int i = rand_r(&seed) % MODEL_PAGES, n = 1 + rand_r(&seed) % 8, op = rand_r(&seed) % 6;
		int prot = prots[rand_r(&seed) % 4];
		bool covered = true;
		uint8_t b;

		n = MIN(n, MODEL_PAGES - i);
		for (int k = i; k < i + n; k++)
			covered &= m[k].mapped;
		switch (op) {
		case 0:
			map(base + P(i), P(n), prot, ANON | MAP_FIXED);
			for (int k = i; k < i + n; k++)
				m[k] = (struct model_page){ true, prot, 0 };
			break;
		case 1:
			ck_assert_int_eq(mm_munmap(mm, base + P(i), P(n)), 0);
			for (int k = i; k < i + n; k++)
				m[k].mapped = false;
			break;
		case 2:
			ck_assert_int_eq(mm_mprotect(mm, base + P(i), P(n), prot), covered ? 0 : -ENOMEM);
			for (int k = i; k < i + n && covered; k++)
				m[k].prot = prot;
			break;
		case 3:
			b = (uint8_t)rand_r(&seed);
			ck_assert_int_eq(mm_copy_out(mm, base + P(i) + 7, &b, 1),
					 m[i].mapped && (m[i].prot & PROT_WRITE) ? 1 : -EFAULT);
			if (m[i].mapped && (m[i].prot & PROT_WRITE))
				m[i].val = b;
			break;
		case 4:
			ck_assert_int_eq(get_byte(base + P(i) + 7),
					 m[i].mapped && m[i].prot ? m[i].val : -EFAULT);
			break;
		case 5:
			ck_assert_int_eq(mm_madvise(mm, base + P(i), P(n), MADV_DONTNEED),
					 covered ? 0 : -ENOMEM);
			for (int k = i; k < i + n; k++)
				m[k].val = 0;
			break;
		}
		if (step % 50 == 0)
			model_check_vmas(base, m);
	}
	model_check_vmas(base, m);
	ck_assert_int_eq(mm_munmap(mm, base, P(MODEL_PAGES)), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
}
END_TEST

/* /proc/PID/mem's access: FOLL_FORCE reads anything mapped, writes private copies only. */
START_TEST(test_access_remote)
{
	gva_t a = map(0, P(2), RW, ANON), sh = map(0, P(1), PROT_READ, MAP_SHARED | MAP_ANONYMOUS);
	char buf[4] = { 0 };
	struct mm *child;

	ck_assert_int_eq(mm_copy_out(mm, a, "abc", 3), 3);
	ck_assert_int_eq(mm_mprotect(mm, a, P(2), PROT_NONE), 0);
	ck_assert_int_eq(mm_copy_in(mm, a, buf, 3), -EFAULT);
	ck_assert_int_eq(mm_access_remote(mm, a, buf, 3, false), 3);
	ck_assert_mem_eq(buf, "abc", 3);
	ck_assert_int_eq(mm_access_remote(mm, a, "X", 1, true), 1);
	ck_assert_int_eq(mm_access_remote(mm, a + P(1), buf, 2, false), 2); /* never touched */
	ck_assert_mem_eq(buf, "\0\0", 2);
	ck_assert_int_eq(mm_access_remote(mm, sh, buf, 1, false), 1);
	ck_assert_int_eq(mm_access_remote(mm, sh, "X", 1, true), -EFAULT); /* read-only shared */
	ck_assert_int_eq(mm_access_remote(mm, a + P(2) - 1, buf, 4, false), 1); /* up to the end */
	ck_assert_int_eq(mm_mprotect(mm, a, P(2), RW), 0);
	ck_assert_int_eq(get_byte(a), 'X');

	/* A forked child's copy is written without touching the parent's page. */
	ck_assert_int_eq(mm_fork(mm, &child), 0);
	ck_assert_int_eq(mm_access_remote(child, a, "Y", 1, true), 1);
	ck_assert_int_eq(get_byte(a), 'X');
	ck_assert_int_eq(mm_access_remote(child, a, buf, 1, false), 1);
	ck_assert_int_eq(buf[0], 'Y');
	mm_put(child);
}
END_TEST

TCase *mm_extra_tcase(void); /* in test_mm_extra.c */
TCase *mm_model_tcase(void); /* in test_mm_model.c */
Suite *mm_suite(void);
Suite *mm_suite(void)
{
	Suite *s = suite_create("mm");
	TCase *tc = tcase_create("mm");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mmap_basic);
	tcase_add_test(tc, test_mmap_errors);
	tcase_add_test(tc, test_mmap_fixed_replaces);
	tcase_add_test(tc, test_mmap_hint);
	tcase_add_test(tc, test_munmap);
	tcase_add_test(tc, test_mprotect);
	tcase_add_test(tc, test_mremap);
	tcase_add_test(tc, test_madvise);
	tcase_add_test(tc, test_brk);
	tcase_add_test(tc, test_copy_across_vmas_and_holes);
	tcase_add_test(tc, test_copy_bad_addresses);
	tcase_add_test(tc, test_copy_string_in);
	tcase_add_test(tc, test_fault_decisions);
	tcase_add_test(tc, test_cow_break);
	tcase_add_test(tc, test_stack_growth);
	tcase_add_test(tc, test_exhaustion);
	tcase_add_test(tc, test_refs_and_release);
	tcase_add_test(tc, test_mremap_across_tables);
	tcase_add_test(tc, test_populate_huge);
	tcase_add_test(tc, test_random_model);
	tcase_add_test(tc, test_access_remote);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, mm_extra_tcase());
	suite_add_tcase(s, mm_model_tcase());
	return s;
}
