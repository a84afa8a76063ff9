// SPDX-License-Identifier: Apache-2.0
/*
 * More memory-file cases, added to the "memfile" suite by memfile_suite() as the "extra"
 * case: refcounts per page, scattered frees coalescing, holes filling, reuse reading zero.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "sentry/mm/mm_impl.h"

#define SMALL_PAGES 64

static struct memfile *new_small(void)
{
	struct memfile *m = NULL;

	ck_assert_int_eq(memfile_new(SMALL_PAGES * PAGE_SIZE, &m), 0);
	return m;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

START_TEST(test_alloc_zeroed_refcount_one)
{
	struct memfile *m = new_small();
	struct frange fr;

	ck_assert_int_eq(memfile_alloc(m, 3 * PAGE_SIZE, &fr), 0);
	ck_assert_uint_eq(fr.start % PAGE_SIZE, 0);
	ck_assert_uint_eq(fr.end - fr.start, 3 * PAGE_SIZE);
	ck_assert(all_zero(memfile_map_internal(m, fr), 3 * PAGE_SIZE));
	for (uint64_t off = fr.start; off < fr.end; off += PAGE_SIZE)
		ck_assert_uint_eq(memfile_page_refs(m, off), 1);
	memfile_decref(m, fr);
	for (uint64_t off = fr.start; off < fr.end; off += PAGE_SIZE)
		ck_assert_uint_eq(memfile_page_refs(m, off), 0);
	ck_assert_uint_eq(memfile_used_bytes(m), 0);
	memfile_free(m);
}
END_TEST

START_TEST(test_incref_part_of_run)
{
	struct memfile *m = new_small();
	struct frange fr, mid;

	ck_assert_int_eq(memfile_alloc(m, 4 * PAGE_SIZE, &fr), 0);
	mid = (struct frange){ fr.start + PAGE_SIZE, fr.start + 3 * PAGE_SIZE };
	memfile_incref(m, mid);
	ck_assert_uint_eq(memfile_page_refs(m, fr.start), 1);
	ck_assert_uint_eq(memfile_page_refs(m, mid.start), 2);
	ck_assert_uint_eq(memfile_page_refs(m, mid.start + PAGE_SIZE), 2);
	ck_assert_uint_eq(memfile_page_refs(m, fr.end - PAGE_SIZE), 1);
	memset((uint8_t *)memfile_map_internal(m, fr) + PAGE_SIZE, 0x5a, PAGE_SIZE);
	memfile_decref(m, fr);
	/* The middle pages are still referenced: still counted, contents kept. */
	ck_assert_uint_eq(memfile_used_bytes(m), 2 * PAGE_SIZE);
	ck_assert_uint_eq(memfile_page_refs(m, mid.start), 1);
	ck_assert_uint_eq(((uint8_t *)memfile_map_internal(m, mid))[7], 0x5a);
	/* The freed pages at both ends are reusable, one page each. */
	struct frange a, b, c;
	ck_assert_int_eq(memfile_alloc(m, PAGE_SIZE, &a), 0);
	ck_assert_int_eq(memfile_alloc(m, PAGE_SIZE, &b), 0);
	ck_assert(a.start == fr.start || a.start == fr.end - PAGE_SIZE);
	ck_assert(b.start == fr.start || b.start == fr.end - PAGE_SIZE);
	ck_assert_uint_ne(a.start, b.start);
	memfile_decref(m, a);
	memfile_decref(m, b);
	memfile_decref(m, mid);
	ck_assert_uint_eq(memfile_used_bytes(m), 0);
	/* Everything freed: the whole file is one run again. */
	ck_assert_int_eq(memfile_alloc(m, SMALL_PAGES * PAGE_SIZE, &c), 0);
	memfile_decref(m, c);
	memfile_free(m);
}
END_TEST

START_TEST(test_every_page_reused_reads_zero)
{
	struct memfile *m = new_small();
	struct frange fr, again;

	ck_assert_int_eq(memfile_alloc(m, SMALL_PAGES * PAGE_SIZE, &fr), 0);
	memset(memfile_map_internal(m, fr), 0xff, SMALL_PAGES * PAGE_SIZE);
	/* Free in three pieces, in a different order from the allocation. */
	memfile_decref(m, (struct frange){ fr.start + 10 * PAGE_SIZE, fr.start + 20 * PAGE_SIZE });
	memfile_decref(m, (struct frange){ fr.start + 40 * PAGE_SIZE, fr.end });
	memfile_decref(m, (struct frange){ fr.start, fr.start + 10 * PAGE_SIZE });
	memfile_decref(m, (struct frange){ fr.start + 20 * PAGE_SIZE, fr.start + 40 * PAGE_SIZE });
	ck_assert_uint_eq(memfile_used_bytes(m), 0);
	ck_assert_int_eq(memfile_alloc(m, SMALL_PAGES * PAGE_SIZE, &again), 0);
	ck_assert(all_zero(memfile_map_internal(m, again), SMALL_PAGES * PAGE_SIZE));
	memfile_decref(m, again);
	memfile_free(m);
}
END_TEST

START_TEST(test_exhaustion_single_pages)
{
	struct memfile *m = new_small();
	struct frange a, b, c;

	ck_assert_int_eq(memfile_alloc(m, (SMALL_PAGES - 1) * PAGE_SIZE, &a), 0);
	ck_assert_int_eq(memfile_alloc(m, 2 * PAGE_SIZE, &b), -ENOMEM);
	ck_assert_int_eq(memfile_alloc(m, PAGE_SIZE, &b), 0);
	ck_assert_uint_eq(memfile_used_bytes(m), SMALL_PAGES * PAGE_SIZE);
	ck_assert_int_eq(memfile_alloc(m, PAGE_SIZE, &c), -ENOMEM);
	memfile_decref(m, b);
	ck_assert_int_eq(memfile_alloc(m, PAGE_SIZE, &c), 0);
	ck_assert_uint_eq(c.start, b.start);
	memfile_decref(m, c);
	memfile_decref(m, a);
	ck_assert_uint_eq(memfile_used_bytes(m), 0);
	memfile_free(m);
}
END_TEST

START_TEST(test_free_coalescing_scattered)
{
	struct memfile *m = new_small();
	struct frange pg[SMALL_PAGES], all;
	/* Odd pages upwards, then even pages downwards: neighbours join late, from both sides. */
	int order[SMALL_PAGES], n = 0;

	for (int i = 0; i < SMALL_PAGES; i++) {
		ck_assert_int_eq(memfile_alloc(m, PAGE_SIZE, &pg[i]), 0);
		memset(memfile_map_internal(m, pg[i]), i + 1, PAGE_SIZE);
	}
	ck_assert_int_eq(memfile_alloc(m, PAGE_SIZE, &all), -ENOMEM);
	for (int i = 1; i < SMALL_PAGES; i += 2)
		order[n++] = i;
	for (int i = SMALL_PAGES - 2; i >= 0; i -= 2)
		order[n++] = i;
	for (int i = 0; i < SMALL_PAGES; i++) {
		memfile_decref(m, pg[order[i]]);
		ck_assert_uint_eq(memfile_used_bytes(m), (uint64_t)(SMALL_PAGES - 1 - i) * PAGE_SIZE);
		/* Nothing bigger than one page is free until a pair of neighbours is. */
		if (i < SMALL_PAGES / 2)
			ck_assert_int_eq(memfile_alloc(m, 2 * PAGE_SIZE, &all), -ENOMEM);
	}
	/* Only a fully coalesced free list can satisfy this. */
	ck_assert_int_eq(memfile_alloc(m, SMALL_PAGES * PAGE_SIZE, &all), 0);
	ck_assert(all_zero(memfile_map_internal(m, all), SMALL_PAGES * PAGE_SIZE));
	memfile_decref(m, all);
	memfile_free(m);
}
END_TEST

START_TEST(test_hole_fills_in_middle)
{
	struct memfile *m = new_small();
	struct frange fr, a, b;

	ck_assert_int_eq(memfile_alloc(m, SMALL_PAGES * PAGE_SIZE, &fr), 0);
	memfile_decref(m, (struct frange){ fr.start + 8 * PAGE_SIZE, fr.start + 10 * PAGE_SIZE });
	memfile_decref(m, (struct frange){ fr.start + 11 * PAGE_SIZE, fr.start + 13 * PAGE_SIZE });
	ck_assert_uint_eq(memfile_used_bytes(m), (SMALL_PAGES - 4) * PAGE_SIZE);
	ck_assert_int_eq(memfile_alloc(m, 3 * PAGE_SIZE, &a), -ENOMEM);
	/* Page 10 joins [8, 10) and [11, 13) into one 5-page run. */
	memfile_decref(m, (struct frange){ fr.start + 10 * PAGE_SIZE, fr.start + 11 * PAGE_SIZE });
	ck_assert_int_eq(memfile_alloc(m, 5 * PAGE_SIZE, &a), 0);
	ck_assert_uint_eq(a.start, fr.start + 8 * PAGE_SIZE);
	ck_assert_int_eq(memfile_alloc(m, PAGE_SIZE, &b), -ENOMEM);
	memfile_decref(m, a);
	memfile_decref(m, (struct frange){ fr.start, fr.start + 8 * PAGE_SIZE });
	memfile_decref(m, (struct frange){ fr.start + 13 * PAGE_SIZE, fr.end });
	ck_assert_uint_eq(memfile_used_bytes(m), 0);
	memfile_free(m);
}
END_TEST

TCase *memfile_extra_tcase(void);
TCase *memfile_extra_tcase(void)
{
	TCase *tc = tcase_create("extra");

	tcase_add_test(tc, test_alloc_zeroed_refcount_one);
	tcase_add_test(tc, test_incref_part_of_run);
	tcase_add_test(tc, test_every_page_reused_reads_zero);
	tcase_add_test(tc, test_exhaustion_single_pages);
	tcase_add_test(tc, test_free_coalescing_scattered);
	tcase_add_test(tc, test_hole_fills_in_middle);
	return tc;
}
