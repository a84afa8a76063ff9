// SPDX-License-Identifier: Apache-2.0
/*
 * More VMA-tree cases, added to the "vma" suite by vma_suite() as the "extra" case: merges
 * and non-merges, splits, range removal, coverage, and the top-down gap search.
 */
#include <check.h>
#include <errno.h>
#include <sys/mman.h>

#include "sentry/mm/mm_impl.h"

#define PG(n) ((gva_t)(n) * PAGE_SIZE)
#define BASE PG(0x1000)
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static struct memfile *vmf;
static struct mm *vmm;

static void vsetup(void)
{
	ck_assert_int_eq(memfile_new(PG(256), &vmf), 0);
	ck_assert_int_eq(mm_new(vmf, NULL, &vmm), 0);
	pthread_mutex_lock(&vmm->mu);
}

static void vteardown(void)
{
	pthread_mutex_unlock(&vmm->mu);
	mm_put(vmm);
	memfile_free(vmf);
	vmm = NULL;
	vmf = NULL;
}

static void add_named(gva_t start, gva_t end, int prot, int flags, const char *name)
{
	struct vma tmpl = { .start = start, .end = end, .prot = prot, .max_prot = PROT_RWX,
			    .flags = flags, .name = name };
	struct vma *v = vma_alloc(&tmpl);

	ck_assert_ptr_nonnull(v);
	vma_link(vmm, v);
}

static void add(gva_t start, gva_t end, int prot)
{
	add_named(start, end, prot, ANON, NULL);
}

struct span {
	gva_t start, end;
	int prot;
};

/* The tree holds exactly @n VMAs equal to @want, in order, linked both ways. */
static void expect(const struct span *want, int n)
{
	struct vma *v = vma_find_ge(vmm, 0), *prev = NULL;
	int i = 0;

	for (; v; prev = v, v = vma_next(v), i++) {
		ck_assert_int_lt(i, n);
		ck_assert_uint_eq(v->start, want[i].start);
		ck_assert_uint_eq(v->end, want[i].end);
		ck_assert_int_eq(v->prot, want[i].prot);
		ck_assert_ptr_eq(vma_prev(v), prev);
	}
	ck_assert_int_eq(i, n);
}

#define EXPECT(...)                                                  \
	do {                                                         \
		const struct span w_[] = { __VA_ARGS__ };             \
		expect(w_, (int)(sizeof(w_) / sizeof(w_[0])));       \
	} while (0)

START_TEST(test_find_and_cache)
{
	add(BASE, BASE + PG(2), RW);
	add(BASE + PG(10), BASE + PG(12), RW);
	ck_assert_ptr_null(vma_find(vmm, BASE - 1));
	ck_assert_uint_eq(vma_find(vmm, BASE)->start, BASE);
	ck_assert_uint_eq(vma_find(vmm, BASE + PG(2) - 1)->start, BASE);
	/* The lookup cache must not answer for the address just past the cached VMA. */
	ck_assert_ptr_null(vma_find(vmm, BASE + PG(2)));
	ck_assert_ptr_null(vma_find(vmm, BASE + PG(5)));
	ck_assert_uint_eq(vma_find_ge(vmm, BASE + PG(5))->start, BASE + PG(10));
	ck_assert_uint_eq(vma_find_ge(vmm, BASE + PG(1))->start, BASE);
	ck_assert_ptr_null(vma_find_ge(vmm, BASE + PG(12)));
	ck_assert_uint_eq(vma_find(vmm, BASE + PG(11))->start, BASE + PG(10));
	ck_assert_ptr_null(vma_find(vmm, BASE + PG(12)));
	/* After unlinking the cached VMA, lookups miss. */
	vma_unlink_free(vmm, vma_find(vmm, BASE + PG(10)));
	ck_assert_ptr_null(vma_find(vmm, BASE + PG(10)));
	ck_assert_ptr_null(vma_find_ge(vmm, BASE + PG(2)));
}
END_TEST

START_TEST(test_merge_neighbours_both_sides)
{
	add(BASE, BASE + PG(2), RW);
	add(BASE + PG(4), BASE + PG(6), RW);
	EXPECT({ BASE, BASE + PG(2), RW }, { BASE + PG(4), BASE + PG(6), RW });
	add(BASE + PG(2), BASE + PG(4), RW); /* fills the hole: all three join */
	EXPECT({ BASE, BASE + PG(6), RW });
	add(BASE + PG(6), BASE + PG(7), RW);
	add(BASE - PG(1), BASE, RW);
	EXPECT({ BASE - PG(1), BASE + PG(7), RW });
}
END_TEST

START_TEST(test_no_merge_when_different)
{
	add(BASE, BASE + PG(2), RW);
	add(BASE + PG(2), BASE + PG(3), PROT_READ);          /* prot */
	add_named(BASE + PG(3), BASE + PG(4), RW, ANON, "[heap]"); /* name */
	add_named(BASE + PG(4), BASE + PG(5), RW, ANON | MAP_GROWSDOWN, NULL); /* flags */
	add_named(BASE + PG(5), BASE + PG(6), RW, MAP_SHARED | MAP_ANONYMOUS, NULL);
	add(BASE + PG(7), BASE + PG(8), RW);                 /* not adjacent */
	EXPECT({ BASE, BASE + PG(2), RW }, { BASE + PG(2), BASE + PG(3), PROT_READ },
	       { BASE + PG(3), BASE + PG(4), RW }, { BASE + PG(4), BASE + PG(5), RW },
	       { BASE + PG(5), BASE + PG(6), RW }, { BASE + PG(7), BASE + PG(8), RW });
}
END_TEST

START_TEST(test_split_inside_and_at_boundary)
{
	add(BASE, BASE + PG(4), RW);
	ck_assert_int_eq(vma_split(vmm, BASE), 0);
	ck_assert_int_eq(vma_split(vmm, BASE + PG(4)), 0);
	ck_assert_int_eq(vma_split(vmm, BASE + PG(9)), 0);
	EXPECT({ BASE, BASE + PG(4), RW });
	ck_assert_int_eq(vma_split(vmm, BASE + PG(1)), 0);
	ck_assert_int_eq(vma_split(vmm, BASE + PG(3)), 0);
	ck_assert_int_eq(vma_split(vmm, BASE + PG(3)), 0); /* now a boundary */
	EXPECT({ BASE, BASE + PG(1), RW }, { BASE + PG(1), BASE + PG(3), RW },
	       { BASE + PG(3), BASE + PG(4), RW });
	ck_assert_uint_eq(vma_find(vmm, BASE + PG(2))->start, BASE + PG(1));
	ck_assert_uint_eq(vma_find(vmm, BASE)->end, BASE + PG(1));
	vma_merge_range(vmm, BASE, BASE + PG(4));
	EXPECT({ BASE, BASE + PG(4), RW });
}
END_TEST

START_TEST(test_merge_range_leaves_below)
{
	add(BASE, BASE + PG(8), RW);
	for (int i = 1; i < 8; i++)
		ck_assert_int_eq(vma_split(vmm, BASE + PG(i)), 0);
	vma_merge_range(vmm, BASE + PG(3), BASE + PG(4));
	ck_assert_uint_eq(vma_find(vmm, BASE)->end, BASE + PG(1));
	ck_assert_uint_eq(vma_find(vmm, BASE + PG(1))->end, BASE + PG(2));
	ck_assert_uint_eq(vma_find(vmm, BASE + PG(3))->start, BASE + PG(2));
	ck_assert_uint_ge(vma_find(vmm, BASE + PG(3))->end, BASE + PG(5));
	vma_merge_range(vmm, 0, BASE + PG(100));
	EXPECT({ BASE, BASE + PG(8), RW });
}
END_TEST

START_TEST(test_remove_across_several)
{
	add(BASE, BASE + PG(2), RW);
	add(BASE + PG(3), BASE + PG(5), PROT_READ);
	add(BASE + PG(6), BASE + PG(8), RW);
	add(BASE + PG(9), BASE + PG(10), RW);
	ck_assert_int_eq(vma_remove_range(vmm, BASE + PG(1), BASE + PG(7)), 0);
	EXPECT({ BASE, BASE + PG(1), RW }, { BASE + PG(7), BASE + PG(8), RW },
	       { BASE + PG(9), BASE + PG(10), RW });
	ck_assert_int_eq(vma_remove_range(vmm, BASE + PG(20), BASE + PG(30)), 0);
	ck_assert_int_eq(vma_remove_range(vmm, BASE + PG(2), BASE + PG(7)), 0);
	EXPECT({ BASE, BASE + PG(1), RW }, { BASE + PG(7), BASE + PG(8), RW },
	       { BASE + PG(9), BASE + PG(10), RW });
	ck_assert_int_eq(vma_remove_range(vmm, 0, BASE + PG(100)), 0);
	ck_assert_ptr_null(vma_find_ge(vmm, 0));
	ck_assert_ptr_null(vma_find(vmm, BASE));
}
END_TEST

START_TEST(test_range_free_and_covered)
{
	add(BASE, BASE + PG(2), RW);
	add(BASE + PG(2), BASE + PG(4), PROT_READ);
	add(BASE + PG(6), BASE + PG(8), RW);
	ck_assert(vma_range_free(vmm, 0, BASE));
	ck_assert(!vma_range_free(vmm, 0, BASE + 1));
	ck_assert(vma_range_free(vmm, BASE + PG(4), BASE + PG(6)));
	ck_assert(!vma_range_free(vmm, BASE + PG(4), BASE + PG(6) + 1));
	ck_assert(!vma_range_free(vmm, BASE + PG(5), BASE + PG(20)));
	ck_assert(!vma_range_free(vmm, BASE + PG(7), BASE + PG(7) + 1));
	ck_assert(vma_range_free(vmm, BASE + PG(8), BASE + PG(100)));
	ck_assert(vma_range_covered(vmm, BASE, BASE + PG(4)));
	ck_assert(vma_range_covered(vmm, BASE + PG(1), BASE + PG(3)));
	ck_assert(!vma_range_covered(vmm, BASE, BASE + PG(5)));
	ck_assert(!vma_range_covered(vmm, BASE + PG(3), BASE + PG(7)));
	ck_assert(!vma_range_covered(vmm, BASE - PG(1), BASE + PG(1)));
	ck_assert(vma_range_covered(vmm, BASE + PG(6), BASE + PG(8)));
	ck_assert(!vma_range_covered(vmm, BASE + PG(8), BASE + PG(9)));
}
END_TEST

START_TEST(test_free_gap_topdown)
{
	gva_t lo = PG(16), hi = PG(100);

	ck_assert_uint_eq(vma_free_gap(vmm, PG(4), lo, hi), hi - PG(4));
	ck_assert_uint_eq(vma_free_gap(vmm, hi - lo, lo, hi), lo);
	ck_assert_uint_eq(vma_free_gap(vmm, hi - lo + PG(1), lo, hi), 0);
	ck_assert_uint_eq(vma_free_gap(vmm, 0, lo, hi), 0);
	add(PG(90), PG(100), RW); /* right under hi */
	add(PG(80), PG(87), RW);  /* a 3-page gap above it */
	add(PG(50), PG(70), RW);  /* a 10-page gap above it */
	ck_assert_uint_eq(vma_free_gap(vmm, PG(3), lo, hi), PG(87));
	ck_assert_uint_eq(vma_free_gap(vmm, PG(2), lo, hi), PG(88));
	ck_assert_uint_eq(vma_free_gap(vmm, PG(4), lo, hi), PG(76));
	ck_assert_uint_eq(vma_free_gap(vmm, PG(10), lo, hi), PG(70));
	ck_assert_uint_eq(vma_free_gap(vmm, PG(11), lo, hi), PG(39));
	ck_assert_uint_eq(vma_free_gap(vmm, PG(34), lo, hi), PG(16));
	ck_assert_uint_eq(vma_free_gap(vmm, PG(35), lo, hi), 0);
	/* @hi inside a VMA: only below it. */
	ck_assert_uint_eq(vma_free_gap(vmm, PG(3), lo, PG(85)), PG(77));
	ck_assert_uint_eq(vma_free_gap(vmm, PG(1), lo, PG(60)), PG(49));
	/* @hi inside a gap: the gap is cut at hi. */
	ck_assert_uint_eq(vma_free_gap(vmm, PG(2), lo, PG(75)), PG(73));
	ck_assert_uint_eq(vma_free_gap(vmm, PG(6), lo, PG(75)), PG(44));
	/* @lo bounds from below. */
	ck_assert_uint_eq(vma_free_gap(vmm, PG(11), PG(40), hi), 0);
	ck_assert_uint_eq(vma_free_gap(vmm, PG(10), PG(40), hi), PG(70));
	ck_assert_uint_eq(vma_free_gap(vmm, PG(10), PG(40), PG(75)), PG(40));
	ck_assert_uint_eq(vma_free_gap(vmm, PG(3), PG(88), PG(90)), 0);
	ck_assert_uint_eq(vma_free_gap(vmm, PG(2), PG(88), PG(90)), PG(88));
	/* VMAs above hi do not matter; one straddling lo does. */
	add(PG(200), PG(210), RW);
	ck_assert_uint_eq(vma_free_gap(vmm, PG(4), PG(100), PG(200)), PG(196));
	add(PG(10), PG(20), RW);
	ck_assert_uint_eq(vma_free_gap(vmm, PG(30), PG(16), PG(50)), PG(20));
	ck_assert_uint_eq(vma_free_gap(vmm, PG(31), PG(16), PG(50)), 0);
}
END_TEST

TCase *vma_extra_tcase(void);
TCase *vma_extra_tcase(void)
{
	TCase *tc = tcase_create("extra");

	tcase_add_checked_fixture(tc, vsetup, vteardown);
	tcase_add_test(tc, test_find_and_cache);
	tcase_add_test(tc, test_merge_neighbours_both_sides);
	tcase_add_test(tc, test_no_merge_when_different);
	tcase_add_test(tc, test_split_inside_and_at_boundary);
	tcase_add_test(tc, test_merge_range_leaves_below);
	tcase_add_test(tc, test_remove_across_several);
	tcase_add_test(tc, test_range_free_and_covered);
	tcase_add_test(tc, test_free_gap_topdown);
	return tc;
}
