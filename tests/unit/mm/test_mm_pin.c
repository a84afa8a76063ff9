// SPDX-License-Identifier: Apache-2.0
/*
 * mm_pin_pages: guest pages held for host I/O — allocation of absent pages, COW broken,
 * holes and read-only VMAs stop it, and a munmap while pinned frees the pages only at unpin.
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

/* Unaligned ranges: the first and last pins are partial; writes land in the guest. */
START_TEST(test_pin_write_through)
{
	gva_t a = map(0, P(4), RW, ANON);
	struct mm_pin pins[8];
	char buf[P(3)];
	int n;

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
	/* @max bounds it. */
	n = mm_pin_pages(mm, a, P(4), true, pins, 2);
	ck_assert_int_eq(n, 2);
	mm_unpin_pages(mm, pins, n);
}
END_TEST

/* A hole or a read-only VMA ends the run; nothing pinnable at all is -EFAULT. */
START_TEST(test_pin_stops)
{
	gva_t a = map(0, P(4), RW, ANON);
	struct mm_pin pins[8];
	int n;

	ck_assert_int_eq(mm_munmap(mm, a + P(2), P(1)), 0);
	n = mm_pin_pages(mm, a, P(4), true, pins, 8);
	ck_assert_int_eq(n, 2);
	mm_unpin_pages(mm, pins, n);
	ck_assert_int_eq(mm_pin_pages(mm, a + P(2), P(1), true, pins, 8), -EFAULT);
	ck_assert_int_eq(mm_mprotect(mm, a + P(3), P(1), PROT_READ), 0);
	ck_assert_int_eq(mm_pin_pages(mm, a + P(3), 10, true, pins, 8), -EFAULT);
	/* ... but it can be read from (write(2) of a read-only buffer). */
	ck_assert_int_eq(mm_pin_pages(mm, a + P(3), 10, false, pins, 8), 1);
	ck_assert_int_eq(*(char *)pins[0].ptr, 0);
	mm_unpin_pages(mm, pins, 1);
	ck_assert_int_eq(mm_mprotect(mm, a + P(3), P(1), PROT_NONE), 0);
	ck_assert_int_eq(mm_pin_pages(mm, a + P(3), 10, false, pins, 8), -EFAULT);
	ck_assert_int_eq(mm_pin_pages(mm, 0, 10, false, pins, 8), -EFAULT);
}
END_TEST

/* A shared (COW) page is copied first: the other owner never sees the pinned writes. */
START_TEST(test_pin_breaks_cow)
{
	gva_t a = map(0, P(1), RW, ANON);
	struct mm_pin pin;
	struct frange fr;
	uint8_t b = 0x55;

	ck_assert_int_eq(mm_copy_out(mm, a, &b, 1), 1);
	fr.start = PTE_ADDR(pte_of(a));
	fr.end = fr.start + PAGE_SIZE;
	memfile_incref(mf, fr); /* as a fork would */
	ck_assert_int_eq(mm_pin_pages(mm, a, 1, false, &pin, 1), 1);
	ck_assert_uint_eq(pin.off, fr.start); /* reading needs no copy */
	mm_unpin_pages(mm, &pin, 1);
	ck_assert_int_eq(mm_pin_pages(mm, a, 1, true, &pin, 1), 1);
	ck_assert_uint_ne(pin.off, fr.start);
	ck_assert_uint_eq(*(uint8_t *)pin.ptr, 0x55);
	*(uint8_t *)pin.ptr = 0x66;
	mm_unpin_pages(mm, &pin, 1);
	ck_assert_uint_eq(*(uint8_t *)memfile_map_internal(mf, fr), 0x55);
	memfile_decref(mf, fr);
}
END_TEST

/*
 * A page pinned for writing is mirrored writable first: a guest write meanwhile (another
 * thread) then needs no fault, and neither a (spurious) write fault nor a copy-out copies
 * the page away from the host I/O: a writable mirror is exclusive, the pin is no sharer.
 */
START_TEST(test_pin_mirrors_writable)
{
	gva_t a = map(0, P(2), RW, ANON);
	struct mm_pin pins[2];
	uint64_t before;

	ck_assert_int_eq(mm_pin_pages(mm, a, P(2), true, pins, 2), 2); /* absent pages */
	ck_assert((pte_of(a) & (PTE_MAPPED | PTE_AS_WRITE)) == (PTE_MAPPED | PTE_AS_WRITE));
	ck_assert((pte_of(a + P(1)) & (PTE_MAPPED | PTE_AS_WRITE)) == (PTE_MAPPED | PTE_AS_WRITE));
	before = pte_of(a);
	ck_assert_int_eq(mm_handle_fault(mm, a, TRAP_ACCESS_WRITE), 0); /* a spurious one */
	ck_assert_uint_eq(PTE_ADDR(pte_of(a)), PTE_ADDR(before));	  /* still the pinned page */
	/* Another syscall writing elsewhere in the page does not move it either. */
	uint8_t b = 0x42, got = 0;

	ck_assert_int_eq(mm_copy_out(mm, a + 2000, &b, 1), 1);
	ck_assert_uint_eq(PTE_ADDR(pte_of(a)), PTE_ADDR(before));
	((uint8_t *)pins[0].ptr)[10] = 0x43; /* the host I/O */
	ck_assert_int_eq(mm_copy_in(mm, a + 10, &got, 1), 1);
	ck_assert_uint_eq(got, 0x43);
	mm_unpin_pages(mm, pins, 2);
	/* A read pin changes no mirror. */
	ck_assert_int_eq(mm_mprotect(mm, a, P(2), PROT_READ), 0);
	ck_assert_int_eq(mm_pin_pages(mm, a, 10, false, pins, 1), 1);
	mm_unpin_pages(mm, pins, 1);
}
END_TEST

/* munmap while pinned: the page stays until the unpin (teardown checks it went then). */
START_TEST(test_pin_survives_munmap)
{
	gva_t a = map(0, P(1), RW, ANON);
	struct mm_pin pin;

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
	tcase_add_test(tc, test_pin_breaks_cow);
	tcase_add_test(tc, test_pin_survives_munmap);
	tcase_add_test(tc, test_pin_mirrors_writable);
	suite_add_tcase(s, tc);
	return s;
}
