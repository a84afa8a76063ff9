// SPDX-License-Identifier: Apache-2.0
/*
 * mm_pin_pages: only pages that need no fault are pinned (present; for writing, mirrored
 * writable or in a shared VMA), a pinned page stays put through faults and copy-outs of
 * other threads, and a munmap while pinned frees it only at unpin.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "sentry/mm/mm_impl.h"

#define P(n) ((uint64_t)(n) * PAGE_SIZE)
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static struct memfile *mf;
static struct mm *mm;

static void setup(void)
{
	ck_assert_int_eq(memfile_new(64ULL << 20, &mf), 0);
	ck_assert_int_eq(mm_new(mf, NULL, &mm), 0);
}

static void teardown(void)
{
	mm_put(mm);
	ck_assert_uint_eq(memfile_used_bytes(mf), 0); /* every pin was dropped */
	memfile_free(mf);
}

static gva_t map(gva_t addr, uint64_t len, int prot, int flags)
{
	struct mmap_opts o = { .addr = addr, .len = len, .prot = prot, .flags = flags };
	gva_t out = 0;

	ck_assert_int_eq(mm_mmap(mm, &o, &out), 0);
	return out;
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

/* The guest wrote pages [a, a + n pages): present and mirrored writable. */
static void touch(gva_t a, int n)
{
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(mm_handle_fault(mm, a + P(i), TRAP_ACCESS_WRITE), 0);
}

/* Unaligned ranges: the first and last pins are partial; writes land in the guest. */
START_TEST(test_pin_write_through)
{
	gva_t a = map(0, P(4), RW, ANON);
	struct mm_pin pins[8];
	char buf[P(3)];
	int n;

	ck_assert_int_eq(mm_pin_pages(mm, a, P(1), true, pins, 8), 0); /* absent: fault first */
	touch(a, 4);
	n = mm_pin_pages(mm, a + 100, P(2) + 50, true, pins, 8);
	ck_assert_int_eq(n, 3);
	ck_assert_uint_eq(pins[0].len, PAGE_SIZE - 100);
	ck_assert_uint_eq(pins[1].len, PAGE_SIZE);
	ck_assert_uint_eq(pins[2].len, 150);
	for (int i = 0; i < n; i++)
		memset(pins[i].ptr, 'a' + i, pins[i].len);
	mm_unpin_pages(mm, pins, n);
	ck_assert_int_eq(mm_copy_in(mm, a, buf, P(3)), (ssize_t)P(3));
	ck_assert_int_eq(buf[99], 0);
	ck_assert_int_eq(buf[100], 'a');
	ck_assert_int_eq(buf[P(1)], 'b');
	ck_assert_int_eq(buf[P(2) + 149], 'c');
	ck_assert_int_eq(buf[P(2) + 150], 0);
	ck_assert_int_eq(mm_pin_pages(mm, a, 0, true, pins, 8), 0);
	n = mm_pin_pages(mm, a, P(4), true, pins, 2); /* @max bounds it */
	ck_assert_int_eq(n, 2);
	mm_unpin_pages(mm, pins, n);
}
END_TEST

/* A hole, an absent page or a protection ends the run. */
START_TEST(test_pin_stops)
{
	gva_t a = map(0, P(4), RW, ANON);
	struct mm_pin pins[8];
	int n;

	touch(a, 4);
	ck_assert_int_eq(mm_madvise(mm, a + P(2), P(2), MADV_DONTNEED), 0);
	n = mm_pin_pages(mm, a, P(4), true, pins, 8); /* pages 2, 3 absent */
	ck_assert_int_eq(n, 2);
	mm_unpin_pages(mm, pins, n);
	touch(a + P(2), 2);
	ck_assert_int_eq(mm_munmap(mm, a + P(2), P(1)), 0);
	n = mm_pin_pages(mm, a, P(4), false, pins, 8);
	ck_assert_int_eq(n, 2);
	mm_unpin_pages(mm, pins, n);
	ck_assert_int_eq(mm_pin_pages(mm, a + P(2), P(1), false, pins, 8), 0);
	ck_assert_int_eq(mm_mprotect(mm, a + P(3), P(1), PROT_READ), 0);
	ck_assert_int_eq(mm_pin_pages(mm, a + P(3), 10, true, pins, 8), 0);
	/* ... but it can be read from (write(2) of a read-only buffer). */
	ck_assert_int_eq(mm_pin_pages(mm, a + P(3), 10, false, pins, 8), 1);
	mm_unpin_pages(mm, pins, 1);
	ck_assert_int_eq(mm_mprotect(mm, a + P(3), P(1), PROT_NONE), 0);
	ck_assert_int_eq(mm_pin_pages(mm, a + P(3), 10, false, pins, 8), 0);
	ck_assert_int_eq(mm_pin_pages(mm, 0, 10, false, pins, 8), 0);
}
END_TEST

/* A COW-shared page is not pinned for writing until the guest's own write copied it. */
START_TEST(test_pin_shared_page)
{
	gva_t a = map(0, P(1), RW, ANON);
	struct mm_pin pin;
	struct frange fr;

	touch(a, 1);
	fr.start = PTE_ADDR(pte_of(a));
	fr.end = fr.start + PAGE_SIZE;
	memfile_incref(mf, fr); /* shared as fork does it: the mirror write-protected */
	pthread_mutex_lock(&mm->mu);
	pt_unmap_as_range(mm, a, a + PAGE_SIZE);
	pthread_mutex_unlock(&mm->mu);
	ck_assert_int_eq(mm_pin_pages(mm, a, 1, true, &pin, 1), 0);
	ck_assert_int_eq(mm_pin_pages(mm, a, 1, false, &pin, 1), 1); /* reading is fine */
	ck_assert_uint_eq(pin.off, fr.start);
	mm_unpin_pages(mm, &pin, 1);
	touch(a, 1); /* the COW copy */
	ck_assert_int_eq(mm_pin_pages(mm, a, 1, true, &pin, 1), 1);
	ck_assert_uint_ne(pin.off, fr.start);
	mm_unpin_pages(mm, &pin, 1);
	memfile_decref(mf, fr);
}
END_TEST

/*
 * While pinned (two references), the page stays put: a write fault by another thread and a
 * copy-out by another syscall write into it instead of copying it away from the host I/O.
 */
START_TEST(test_pin_keeps_page)
{
	gva_t a = map(0, P(1), RW, ANON);
	uint8_t b = 0x42, got = 0;
	struct mm_pin pin;
	uint64_t before;

	touch(a, 1);
	before = pte_of(a);
	ck_assert_int_eq(mm_pin_pages(mm, a, P(1), true, &pin, 1), 1);
	ck_assert_int_eq(mm_handle_fault(mm, a, TRAP_ACCESS_WRITE), 0);
	ck_assert_uint_eq(PTE_ADDR(pte_of(a)), PTE_ADDR(before));
	ck_assert(pte_of(a) & PTE_AS_WRITE);
	ck_assert_int_eq(mm_copy_out(mm, a + 2000, &b, 1), 1);
	ck_assert_uint_eq(PTE_ADDR(pte_of(a)), PTE_ADDR(before));
	((uint8_t *)pin.ptr)[10] = 0x43; /* the host I/O */
	ck_assert_int_eq(mm_copy_in(mm, a + 10, &got, 1), 1);
	ck_assert_uint_eq(got, 0x43);
	mm_unpin_pages(mm, &pin, 1);
}
END_TEST

/* munmap while pinned: the page stays until the unpin. */
START_TEST(test_pin_survives_munmap)
{
	gva_t a = map(0, P(1), RW, ANON);
	struct mm_pin pin;

	touch(a, 1);
	ck_assert_int_eq(mm_pin_pages(mm, a, P(1), true, &pin, 1), 1);
	ck_assert_int_eq(mm_munmap(mm, a, P(1)), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), PAGE_SIZE);
	memset(pin.ptr, 1, pin.len); /* harmless: nobody maps it any more */
	mm_unpin_pages(mm, &pin, 1);
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
}
END_TEST

Suite *mm_pin_suite(void);
Suite *mm_pin_suite(void)
{
	Suite *s = suite_create("mm_pin");
	TCase *tc = tcase_create("pin");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pin_write_through);
	tcase_add_test(tc, test_pin_stops);
	tcase_add_test(tc, test_pin_shared_page);
	tcase_add_test(tc, test_pin_keeps_page);
	tcase_add_test(tc, test_pin_survives_munmap);
	suite_add_tcase(s, tc);
	return s;
}
