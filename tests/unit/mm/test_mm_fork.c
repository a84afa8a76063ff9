// SPDX-License-Identifier: Apache-2.0
/* mm_fork without a platform: copy-on-write in both directions, shared memory stays shared. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "sentry/mm/mm_impl.h"

#define P(n) ((uint64_t)(n) * PAGE_SIZE)
#define RW (PROT_READ | PROT_WRITE)

static struct memfile *mf;
static struct mm *parent, *child;

static void setup(void)
{
	ck_assert_int_eq(memfile_new(256ULL << 20, &mf), 0);
	ck_assert_int_eq(mm_new(mf, NULL, &parent), 0);
	child = NULL;
}

static void teardown(void)
{
	mm_put(child);
	mm_put(parent);
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
	memfile_free(mf);
}

static gva_t map(struct mm *mm, uint64_t len, int flags)
{
	struct mmap_opts o = { .len = len, .prot = RW, .flags = flags | MAP_ANONYMOUS };
	gva_t out = 0;

	ck_assert_int_eq(mm_mmap(mm, &o, &out), 0);
	return out;
}

static void put(struct mm *mm, gva_t a, uint8_t b)
{
	ck_assert_int_eq(mm_copy_out(mm, a, &b, 1), 1);
}

static int get(struct mm *mm, gva_t a)
{
	uint8_t b;

	ck_assert_int_eq(mm_copy_in(mm, a, &b, 1), 1);
	return b;
}

static uint64_t pte_of(struct mm *mm, gva_t a)
{
	uint64_t *p = pte_get(mm, a, false);

	return p ? *p : 0;
}

START_TEST(test_cow_both_ways)
{
	gva_t a = map(parent, P(16), MAP_PRIVATE);
	uint64_t used;

	for (int i = 0; i < 16; i++)
		put(parent, a + P(i), (uint8_t)i);
	ck_assert_int_eq(mm_handle_fault(parent, a, TRAP_ACCESS_WRITE), 0);
	ck_assert(pte_of(parent, a) & PTE_AS_WRITE);
	used = memfile_used_bytes(mf);
	ck_assert_int_eq(mm_fork(parent, &child), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), used); /* shared, nothing copied */
	/* The parent lost its writable mirrors; the child has none. */
	ck_assert(!(pte_of(parent, a) & (PTE_MAPPED | PTE_AS_WRITE)));
	ck_assert(!(pte_of(child, a) & PTE_MAPPED));
	ck_assert_uint_eq(PTE_ADDR(pte_of(parent, a)), PTE_ADDR(pte_of(child, a)));
	ck_assert_uint_eq(memfile_page_refs(mf, PTE_ADDR(pte_of(child, a))), 2);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(get(child, a + P(i)), i);
	/* Child writes: its own copy. */
	put(child, a + P(1), 0xc1);
	ck_assert_int_eq(get(child, a + P(1)), 0xc1);
	ck_assert_int_eq(get(parent, a + P(1)), 1);
	ck_assert_uint_eq(memfile_used_bytes(mf), used + P(1));
	/* Parent writes through a fault: read maps read-only, write copies. */
	ck_assert_int_eq(mm_handle_fault(parent, a + P(2), TRAP_ACCESS_READ), 0);
	ck_assert(pte_of(parent, a + P(2)) & PTE_MAPPED);
	ck_assert(!(pte_of(parent, a + P(2)) & PTE_AS_WRITE));
	ck_assert_int_eq(mm_handle_fault(parent, a + P(2), TRAP_ACCESS_WRITE), 0);
	ck_assert(pte_of(parent, a + P(2)) & PTE_AS_WRITE);
	ck_assert_uint_ne(PTE_ADDR(pte_of(parent, a + P(2))), PTE_ADDR(pte_of(child, a + P(2))));
	put(parent, a + P(2), 0xa2);
	ck_assert_int_eq(get(parent, a + P(2)), 0xa2);
	ck_assert_int_eq(get(child, a + P(2)), 2);
	/* Page 1: the parent is its only owner again, so writing it copies nothing. */
	used = memfile_used_bytes(mf);
	put(parent, a + P(1), 0xa1);
	ck_assert_uint_eq(memfile_used_bytes(mf), used);
	ck_assert_int_eq(get(child, a + P(1)), 0xc1);
	/* The child going away leaves the parent's pages intact. */
	mm_put(child);
	child = NULL;
	for (int i = 3; i < 16; i++)
		ck_assert_int_eq(get(parent, a + P(i)), i);
}
END_TEST

START_TEST(test_shared_stays_shared)
{
	gva_t s = map(parent, P(4), MAP_SHARED);

	put(parent, s, 1);
	ck_assert_int_eq(mm_fork(parent, &child), 0);
	put(child, s, 2);
	ck_assert_int_eq(get(parent, s), 2);
	put(parent, s + P(0) + 1, 3);
	ck_assert_int_eq(get(child, s + 1), 3);
}
END_TEST

START_TEST(test_layout_copied)
{
	gva_t a = map(parent, P(8), MAP_PRIVATE);
	int n = 0;

	mm_set_brk_start(parent, P(1000));
	ck_assert_uint_eq(mm_brk(parent, P(1002)), P(1002));
	ck_assert_int_eq(mm_fork(parent, &child), 0);
	ck_assert_uint_eq(mm_brk(child, 0), P(1002));
	ck_assert_uint_eq(mm_mmap_base(child), mm_mmap_base(parent));
	/* Untouched pages stay untouched: nothing allocated for either. */
	ck_assert_uint_eq(pte_of(child, a), 0);
	put(child, a, 9);
	ck_assert_int_eq(get(parent, a), 0);
	(void)n;
}
END_TEST

Suite *mm_fork_suite(void);
Suite *mm_fork_suite(void)
{
	Suite *s = suite_create("mm_fork");
	TCase *tc = tcase_create("fork");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cow_both_ways);
	tcase_add_test(tc, test_shared_stays_shared);
	tcase_add_test(tc, test_layout_copied);
	suite_add_tcase(s, tc);
	return s;
}
