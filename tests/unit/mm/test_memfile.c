// SPDX-License-Identifier: Apache-2.0
/* The memory file: allocation, reference counts, contiguity, zeroed reuse, exhaustion. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "sentry/mm/mm_impl.h"

#define MF_SIZE (64 * PAGE_SIZE)

static struct memfile *mf;

static void setup(void)
{
	ck_assert_int_eq(memfile_new(MF_SIZE, &mf), 0);
}

static void teardown(void)
{
	memfile_free(mf);
	mf = NULL;
}

START_TEST(test_alloc_free)
{
	struct frange a, b;

	ck_assert_int_ge(memfile_fd(mf), 0);
	ck_assert_int_eq(memfile_alloc(mf, PAGE_SIZE, &a), 0);
	ck_assert_uint_eq(a.end - a.start, PAGE_SIZE);
	ck_assert_uint_eq(memfile_used_bytes(mf), PAGE_SIZE);
	ck_assert_int_eq(memfile_alloc(mf, 100, &b), 0); /* rounded up */
	ck_assert_uint_eq(b.end - b.start, PAGE_SIZE);
	ck_assert(b.start != a.start);
	ck_assert_uint_eq(memfile_used_bytes(mf), 2 * PAGE_SIZE);
	memfile_decref(mf, a);
	memfile_decref(mf, b);
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
	ck_assert_int_eq(memfile_alloc(mf, 0, &a), -EINVAL);
}
END_TEST

START_TEST(test_refcount)
{
	struct frange a;
	uint8_t *p;

	ck_assert_int_eq(memfile_alloc(mf, 2 * PAGE_SIZE, &a), 0);
	p = memfile_map_internal(mf, a);
	memset(p, 0xab, 2 * PAGE_SIZE);
	memfile_incref(mf, a);
	ck_assert_uint_eq(memfile_page_refs(mf, a.start), 2);
	memfile_decref(mf, a);
	ck_assert_uint_eq(memfile_page_refs(mf, a.start), 1);
	ck_assert_uint_eq(memfile_used_bytes(mf), 2 * PAGE_SIZE);
	ck_assert_uint_eq(p[PAGE_SIZE + 5], 0xab); /* still there */
	/* Drop one page of the two. */
	memfile_decref(mf, (struct frange){ a.start, a.start + PAGE_SIZE });
	ck_assert_uint_eq(memfile_used_bytes(mf), PAGE_SIZE);
	ck_assert_uint_eq(p[PAGE_SIZE + 5], 0xab);
	memfile_decref(mf, (struct frange){ a.start + PAGE_SIZE, a.end });
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
}
END_TEST

START_TEST(test_freed_reads_zero)
{
	struct frange a, b;
	uint8_t *p;

	ck_assert_int_eq(memfile_alloc(mf, 4 * PAGE_SIZE, &a), 0);
	p = memfile_map_internal(mf, a);
	memset(p, 0x5a, 4 * PAGE_SIZE);
	memfile_decref(mf, a);
	/* Punched out: the bytes are gone even through the old pointer. */
	ck_assert_uint_eq(p[0], 0);
	ck_assert_int_eq(memfile_alloc(mf, 4 * PAGE_SIZE, &b), 0);
	ck_assert_uint_eq(b.start, a.start); /* reused */
	p = memfile_map_internal(mf, b);
	for (size_t i = 0; i < 4 * PAGE_SIZE; i++)
		ck_assert_uint_eq(p[i], 0);
	memfile_decref(mf, b);
}
END_TEST

START_TEST(test_contiguous)
{
	struct frange r[8], big;

	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(memfile_alloc(mf, PAGE_SIZE, &r[i]), 0);
	/* Free every other page: no 2-page hole, so a 2-page run comes from fresh space. */
	for (int i = 0; i < 8; i += 2)
		memfile_decref(mf, r[i]);
	ck_assert_int_eq(memfile_alloc(mf, 2 * PAGE_SIZE, &big), 0);
	ck_assert_uint_eq(big.end - big.start, 2 * PAGE_SIZE);
	ck_assert_uint_ge(big.start, r[7].end);
	/* Free the odd ones too: holes coalesce into one 8-page run at the bottom. */
	for (int i = 1; i < 8; i += 2)
		memfile_decref(mf, r[i]);
	memfile_decref(mf, big);
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
	ck_assert_int_eq(memfile_alloc(mf, 8 * PAGE_SIZE, &big), 0);
	ck_assert_uint_eq(big.start, r[0].start);
	memfile_decref(mf, big);
}
END_TEST

START_TEST(test_exhaustion)
{
	struct frange all, one, half;

	ck_assert_int_eq(memfile_alloc(mf, MF_SIZE + PAGE_SIZE, &all), -ENOMEM);
	ck_assert_int_eq(memfile_alloc(mf, UINT64_MAX, &all), -ENOMEM);
	ck_assert_int_eq(memfile_alloc(mf, MF_SIZE, &all), 0);
	ck_assert_int_eq(memfile_alloc(mf, PAGE_SIZE, &one), -ENOMEM);
	memfile_decref(mf, (struct frange){ all.start, all.start + MF_SIZE / 2 });
	ck_assert_int_eq(memfile_alloc(mf, MF_SIZE / 2 + PAGE_SIZE, &half), -ENOMEM);
	ck_assert_int_eq(memfile_alloc(mf, MF_SIZE / 2, &half), 0);
	memfile_decref(mf, half);
	memfile_decref(mf, (struct frange){ all.start + MF_SIZE / 2, all.end });
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
}
END_TEST

START_TEST(test_bad_size)
{
	struct memfile *m;

	ck_assert_int_eq(memfile_new(100, &m), -EINVAL);
}
END_TEST

TCase *memfile_extra_tcase(void); /* in test_memfile_extra.c */
Suite *memfile_suite(void);
Suite *memfile_suite(void)
{
	Suite *s = suite_create("memfile");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_alloc_free);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_freed_reads_zero);
	tcase_add_test(tc, test_contiguous);
	tcase_add_test(tc, test_exhaustion);
	tcase_add_test(tc, test_bad_size);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, memfile_extra_tcase());
	return s;
}
