// SPDX-License-Identifier: Apache-2.0
/* The VMA tree (and the rb-tree under it): insert, split, merge, removal, gap search. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "lib/rbtree.h"
#include "sentry/mm/mm_impl.h"

#define P(n) ((gva_t)(n) * PAGE_SIZE)

/* ---- rb-tree invariants under random inserts and erases ---- */

struct item {
	struct rb_node node;
	int key;
};

static int rb_check(const struct rb_node *n, const struct rb_node *parent)
{
	int lh, rh;

	if (!n)
		return 1;
	ck_assert_ptr_eq(n->parent, parent);
	if (n->red) {
		ck_assert(!n->left || !n->left->red);
		ck_assert(!n->right || !n->right->red);
	}
	lh = rb_check(n->left, n);
	rh = rb_check(n->right, n);
	ck_assert_int_eq(lh, rh);
	return lh + !n->red;
}

static void item_insert(struct rb_root *root, struct item *it)
{
	struct rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = it->key < rb_entry(parent, struct item, node)->key ? &parent->left
									    : &parent->right;
	}
	rb_link_node(&it->node, parent, link);
	rb_insert_color(&it->node, root);
}

START_TEST(test_rbtree_random)
{
	enum { N = 2000 };
	struct item *items = calloc(N, sizeof(*items));
	bool *in = calloc(N, sizeof(*in));
	struct rb_root root = RB_ROOT;
	unsigned seed = 12345;

	for (int i = 0; i < N; i++)
		items[i].key = i;
	for (int step = 0; step < 20000; step++) {
		int i = rand_r(&seed) % N;

		if (in[i])
			rb_erase(&items[i].node, &root);
		else
			item_insert(&root, &items[i]);
		in[i] = !in[i];
		if (step % 500 == 0)
			rb_check(root.node, NULL);
	}
	rb_check(root.node, NULL);
	int prev = -1, count = 0, expect = 0;
	for (struct rb_node *n = rb_first(&root); n; n = rb_next(n)) {
		int k = rb_entry(n, struct item, node)->key;
		ck_assert_int_gt(k, prev);
		prev = k;
		count++;
	}
	for (int i = 0; i < N; i++)
		expect += in[i];
	ck_assert_int_eq(count, expect);
	prev = N;
	for (struct rb_node *n = rb_last(&root); n; n = rb_prev(n)) {
		int k = rb_entry(n, struct item, node)->key;
		ck_assert_int_lt(k, prev);
		prev = k;
	}
	free(items);
	free(in);
}
END_TEST

/* ---- VMAs ---- */

static struct memfile *mf;
static struct mm *mm;

static void setup(void)
{
	ck_assert_int_eq(memfile_new(16ULL << 20, &mf), 0);
	ck_assert_int_eq(mm_new(mf, NULL, &mm), 0);
	pthread_mutex_lock(&mm->mu);
}

static void teardown(void)
{
	pthread_mutex_unlock(&mm->mu);
	mm_put(mm);
	memfile_free(mf);
}

static void add(gva_t start, gva_t end, int prot)
{
	struct vma t = { .start = start, .end = end, .prot = prot, .max_prot = PROT_RWX,
			 .flags = MAP_PRIVATE | MAP_ANONYMOUS };
	struct vma *v = vma_alloc(&t);

	ck_assert_ptr_nonnull(v);
	vma_link(mm, v);
}

static size_t count(void)
{
	size_t n = 0;

	for (struct rb_node *r = rb_first(&mm->vmas); r; r = rb_next(r))
		n++;
	return n;
}

static void expect(gva_t addr, gva_t start, gva_t end, int prot)
{
	struct vma *v = vma_find(mm, addr);

	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v->start, start);
	ck_assert_uint_eq(v->end, end);
	ck_assert_int_eq(v->prot, prot);
}

START_TEST(test_insert_find_merge)
{
	add(P(10), P(20), PROT_READ);
	add(P(30), P(40), PROT_READ);
	ck_assert_uint_eq(count(), 2);
	ck_assert_ptr_null(vma_find(mm, P(20)));
	ck_assert_ptr_null(vma_find(mm, P(9)));
	expect(P(19), P(10), P(20), PROT_READ);
	ck_assert_uint_eq(vma_find_ge(mm, P(25))->start, P(30));
	ck_assert_ptr_null(vma_find_ge(mm, P(40)));
	/* Filling the hole with the same attributes merges all three. */
	add(P(20), P(30), PROT_READ);
	ck_assert_uint_eq(count(), 1);
	expect(P(25), P(10), P(40), PROT_READ);
	/* Different protection: no merge. */
	add(P(40), P(50), PROT_WRITE);
	ck_assert_uint_eq(count(), 2);
}
END_TEST

START_TEST(test_split_and_remove_middle)
{
	add(P(10), P(20), PROT_READ);
	ck_assert_int_eq(vma_split(mm, P(15)), 0);
	ck_assert_int_eq(vma_split(mm, P(15)), 0); /* already a boundary */
	ck_assert_int_eq(vma_split(mm, P(30)), 0); /* not in a VMA */
	ck_assert_uint_eq(count(), 2);
	expect(P(14), P(10), P(15), PROT_READ);
	expect(P(15), P(15), P(20), PROT_READ);
	vma_merge_range(mm, P(10), P(20));
	ck_assert_uint_eq(count(), 1);

	ck_assert_int_eq(vma_remove_range(mm, P(12), P(14)), 0);
	ck_assert_uint_eq(count(), 2);
	expect(P(11), P(10), P(12), PROT_READ);
	expect(P(14), P(14), P(20), PROT_READ);
	ck_assert(vma_range_free(mm, P(12), P(14)));
	ck_assert(!vma_range_free(mm, P(12), P(15)));
	ck_assert(!vma_range_covered(mm, P(10), P(20)));
	ck_assert(vma_range_covered(mm, P(14), P(20)));
	/* Removing across several VMAs and holes. */
	add(P(30), P(40), PROT_WRITE);
	ck_assert_int_eq(vma_remove_range(mm, P(11), P(35)), 0);
	ck_assert_uint_eq(count(), 2);
	expect(P(10), P(10), P(11), PROT_READ);
	expect(P(35), P(35), P(40), PROT_WRITE);
}
END_TEST

START_TEST(test_protect_middle)
{
	add(P(10), P(20), PROT_READ | PROT_WRITE);
	pthread_mutex_unlock(&mm->mu);
	ck_assert_int_eq(mm_mprotect(mm, P(13), P(2), PROT_READ), 0);
	pthread_mutex_lock(&mm->mu);
	ck_assert_uint_eq(count(), 3);
	expect(P(12), P(10), P(13), PROT_READ | PROT_WRITE);
	expect(P(13), P(13), P(15), PROT_READ);
	expect(P(15), P(15), P(20), PROT_READ | PROT_WRITE);
	pthread_mutex_unlock(&mm->mu);
	ck_assert_int_eq(mm_mprotect(mm, P(13), P(2), PROT_READ | PROT_WRITE), 0);
	pthread_mutex_lock(&mm->mu);
	ck_assert_uint_eq(count(), 1);
	expect(P(13), P(10), P(20), PROT_READ | PROT_WRITE);
}
END_TEST

START_TEST(test_gap_search)
{
	/* Top-down: the highest gap that fits below `hi`. */
	ck_assert_uint_eq(vma_free_gap(mm, P(4), P(16), P(100)), P(96));
	add(P(90), P(100), PROT_READ);
	ck_assert_uint_eq(vma_free_gap(mm, P(4), P(16), P(100)), P(86));
	add(P(80), P(88), PROT_READ);
	/* [88, 90) is too small for 4 pages, so below 80. */
	ck_assert_uint_eq(vma_free_gap(mm, P(4), P(16), P(100)), P(76));
	ck_assert_uint_eq(vma_free_gap(mm, P(2), P(16), P(100)), P(88));
	/* A VMA straddling hi. */
	ck_assert_uint_eq(vma_free_gap(mm, P(1), P(16), P(95)), P(89));
	/* Nothing fits. */
	add(P(16), P(80), PROT_READ);
	ck_assert_uint_eq(vma_free_gap(mm, P(4), P(16), P(100)), 0);
	ck_assert_uint_eq(vma_free_gap(mm, P(1), P(16), P(90)), P(89));
	ck_assert_uint_eq(vma_free_gap(mm, P(200), P(16), P(100)), 0);
	ck_assert_uint_eq(vma_free_gap(mm, P(4), P(100), P(104)), P(100));
}
END_TEST

TCase *vma_extra_tcase(void); /* in test_vma_extra.c */
Suite *vma_suite(void);
Suite *vma_suite(void)
{
	Suite *s = suite_create("vma");
	TCase *tc = tcase_create("rbtree");
	TCase *tv = tcase_create("vma");

	tcase_add_test(tc, test_rbtree_random);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tv, setup, teardown);
	tcase_add_test(tv, test_insert_find_merge);
	tcase_add_test(tv, test_split_and_remove_middle);
	tcase_add_test(tv, test_protect_middle);
	tcase_add_test(tv, test_gap_search);
	suite_add_tcase(s, tv);
	suite_add_tcase(s, vma_extra_tcase());
	return s;
}
