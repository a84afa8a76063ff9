// SPDX-License-Identifier: Apache-2.0
/*
 * Randomised model checks: the VMA tree and whole address spaces against a page-level model
 * (mmap/munmap/mprotect/mremap/madvise/copies), with the free-gap search against brute force.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sentry/mm/mm_impl.h"

#define NPG 96
#define WIN ((gva_t)0x20000000)
#define AT(i) (WIN + (gva_t)(i) * PAGE_SIZE)

struct page_model {
	bool mapped;
	int prot;
	uint8_t byte; /* every byte of the page */
};

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33) % n;
}

static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE,
			     PROT_READ | PROT_WRITE | PROT_EXEC };

static struct memfile *xmf;
static struct mm *xmm;
static struct page_model model[NPG];

static void msetup(void)
{
	ck_assert_int_eq(memfile_new(64ULL << 20, &xmf), 0);
	ck_assert_int_eq(mm_new(xmf, NULL, &xmm), 0);
	memset(model, 0, sizeof(model));
}

static void mteardown(void)
{
	mm_put(xmm);
	ck_assert_uint_eq(memfile_used_bytes(xmf), 0);
	memfile_free(xmf);
}

static bool all_mapped_same(int i, int k)
{
	for (int j = i; j < i + k; j++)
		if (!model[j].mapped || model[j].prot != model[i].prot)
			return false;
	return true;
}

static bool all_mapped(int i, int k)
{
	for (int j = i; j < i + k; j++)
		if (!model[j].mapped)
			return false;
	return true;
}

static void check_model(int step)
{
	uint64_t present = 0;
	struct vma *v, *prev = NULL;

	for (int i = 0; i < NPG; i++) {
		uint8_t b[2] = { 0xee, 0xee };

		pthread_mutex_lock(&xmm->mu);
		v = vma_find(xmm, AT(i));
		uint64_t *pte = pte_get(xmm, AT(i), false);
		bool has = pte && (*pte & PTE_PRESENT);
		pthread_mutex_unlock(&xmm->mu);
		present += has;
		if (!model[i].mapped) {
			ck_assert_msg(!v, "step %d page %d: VMA where none expected", step, i);
			ck_assert_msg(!has, "step %d page %d: page without VMA", step, i);
			continue;
		}
		ck_assert_msg(v != NULL, "step %d page %d: no VMA", step, i);
		ck_assert_msg(v->prot == model[i].prot, "step %d page %d: prot %d want %d", step, i,
			      v->prot, model[i].prot);
		if (model[i].prot == PROT_NONE)
			continue;
		ck_assert_int_eq(mm_copy_in(xmm, AT(i), &b[0], 1), 1);
		ck_assert_int_eq(mm_copy_in(xmm, AT(i) + PAGE_SIZE - 1, &b[1], 1), 1);
		ck_assert_msg(b[0] == model[i].byte && b[1] == model[i].byte,
			      "step %d page %d: read %#x/%#x want %#x", step, i, b[0], b[1], model[i].byte);
	}
	/* Equal neighbours are always merged. */
	pthread_mutex_lock(&xmm->mu);
	for (v = vma_find_ge(xmm, 0); v; prev = v, v = vma_next(v)) {
		ck_assert_uint_lt(v->start, v->end);
		if (prev) {
			ck_assert_uint_le(prev->end, v->start);
			ck_assert_msg(!(prev->end == v->start && prev->prot == v->prot &&
					prev->flags == v->flags && prev->name == v->name),
				      "step %d: unmerged equal VMAs at %#llx", step,
				      (unsigned long long)v->start);
		}
	}
	pthread_mutex_unlock(&xmm->mu);
	ck_assert_uint_eq(memfile_used_bytes(xmf), present * PAGE_SIZE);
}

static void fill_page(int i, uint8_t byte)
{
	static uint8_t buf[4096];

	memset(buf, byte, sizeof(buf));
	ck_assert_int_eq(mm_copy_out_force(xmm, AT(i), buf, PAGE_SIZE), (ssize_t)PAGE_SIZE);
	model[i].byte = byte;
}

START_TEST(test_random_ops)
{
	rng_state = 0x1234 + (uint64_t)_i;
	for (int step = 0; step < 800; step++) {
		int i = rnd(NPG), k = 1 + rnd(8), op = rnd(8);
		struct mmap_opts o;
		gva_t got;

		if (i + k > NPG)
			k = NPG - i;
		switch (op) {
		case 0: /* mmap fixed */
		case 1:
			o = (struct mmap_opts){ AT(i), (uint64_t)k * PAGE_SIZE, prots[rnd(4)],
						MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED };
			ck_assert_int_eq(mm_mmap(xmm, &o, &got), 0);
			for (int j = i; j < i + k; j++)
				model[j] = (struct page_model){ true, o.prot, 0 };
			break;
		case 2:
			ck_assert_int_eq(mm_munmap(xmm, AT(i), (uint64_t)k * PAGE_SIZE), 0);
			for (int j = i; j < i + k; j++)
				model[j] = (struct page_model){ 0 };
			break;
		case 3: { /* mprotect, only over fully mapped ranges */
			int p = prots[rnd(4)];

			if (!all_mapped(i, k)) {
				ck_assert_int_eq(mm_mprotect(xmm, AT(i), (uint64_t)k * PAGE_SIZE, p), -ENOMEM);
				break;
			}
			ck_assert_int_eq(mm_mprotect(xmm, AT(i), (uint64_t)k * PAGE_SIZE, p), 0);
			for (int j = i; j < i + k; j++)
				model[j].prot = p;
			break;
		}
		case 4: /* writes */
		case 5:
			for (int j = i; j < i + k; j++)
				if (model[j].mapped)
					fill_page(j, (uint8_t)(1 + rnd(255)));
			break;
		case 6: /* madvise DONTNEED over mapped ranges */
			if (!all_mapped(i, k))
				break;
			ck_assert_int_eq(mm_madvise(xmm, AT(i), (uint64_t)k * PAGE_SIZE, MADV_DONTNEED), 0);
			for (int j = i; j < i + k; j++)
				model[j].byte = 0;
			break;
		case 7: { /* mremap FIXED of a range inside one VMA to a free or mapped place */
			int d = rnd(NPG), nk = 1 + rnd(8);
			int64_t r;

			if (d + nk > NPG)
				nk = NPG - d;
			if (!all_mapped_same(i, k))
				break;
			if (d < i + k && i < d + nk)
				break; /* overlapping: -EINVAL, tested elsewhere */
			/* A VMA of equal prot may continue past the range: fine, still one VMA. */
			r = mm_mremap(xmm, AT(i), (uint64_t)k * PAGE_SIZE, (uint64_t)nk * PAGE_SIZE,
				      MREMAP_MAYMOVE | MREMAP_FIXED, AT(d));
			ck_assert_int_eq(r, (int64_t)AT(d));
			struct page_model moved[8];
			for (int j = 0; j < k; j++)
				moved[j] = model[i + j];
			for (int j = i; j < i + k; j++)
				model[j] = (struct page_model){ 0 };
			for (int j = 0; j < nk; j++)
				model[d + j] = j < k ? moved[j] :
					(struct page_model){ true, moved[0].prot, 0 };
			break;
		}
		}
		check_model(step);
	}
	ck_assert_int_eq(mm_munmap(xmm, WIN, (uint64_t)NPG * PAGE_SIZE), 0);
	ck_assert_uint_eq(memfile_used_bytes(xmf), 0);
}
END_TEST

/* vma_free_gap against a brute-force search over a random layout. */
START_TEST(test_random_free_gap)
{
	rng_state = 0x9876 + (uint64_t)_i;
	for (int round = 0; round < 50; round++) {
		bool used[NPG] = { false };

		for (int n = rnd(10); n > 0; n--) {
			int i = rnd(NPG), k = 1 + rnd(10);
			struct mmap_opts o = { AT(i), (uint64_t)MIN(k, NPG - i) * PAGE_SIZE,
					       prots[rnd(4)], MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED };
			gva_t got;

			ck_assert_int_eq(mm_mmap(xmm, &o, &got), 0);
			for (int j = i; j < i + MIN(k, NPG - i); j++)
				used[j] = true;
		}
		for (int q = 0; q < 40; q++) {
			int lo = rnd(NPG), hi = lo + rnd(NPG - lo + 1), len = 1 + rnd(12), want = -1;

			for (int a = hi - len; a >= lo; a--) {
				bool free_run = true;
				for (int j = a; j < a + len; j++)
					free_run &= !used[j];
				if (free_run) {
					want = a;
					break;
				}
			}
			pthread_mutex_lock(&xmm->mu);
			gva_t g = vma_free_gap(xmm, (uint64_t)len * PAGE_SIZE, AT(lo), AT(hi));
			pthread_mutex_unlock(&xmm->mu);
			ck_assert_msg(g == (want < 0 ? 0 : AT(want)),
				      "round %d: gap(len %d, lo %d, hi %d) = %#llx, want page %d", round,
				      len, lo, hi, (unsigned long long)g, want);
		}

		ck_assert_int_eq(mm_munmap(xmm, WIN, (uint64_t)NPG * PAGE_SIZE), 0);
	}
}
END_TEST

TCase *mm_model_tcase(void);
TCase *mm_model_tcase(void)
{
	TCase *tc = tcase_create("model");

	tcase_add_checked_fixture(tc, msetup, mteardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_random_ops, 0, 3);
	tcase_add_loop_test(tc, test_random_free_gap, 0, 3);
	return tc;
}
