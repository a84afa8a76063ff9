// SPDX-License-Identifier: Apache-2.0
/* stack_build: the SysV initial stack layout, auxv fill-ins, alignment and -E2BIG. */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/loader/loader.h"

#define CAP 4096
#define TOP 0x7ffff000ULL

static const uint8_t rnd[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

/* A built image and a way to read guest addresses inside it. */
struct img {
	uint8_t *buf;
	size_t cap, used;
	gva_t top, sp;
};

static const uint8_t *at(const struct img *m, gva_t a, size_t n)
{
	ck_assert_msg(a >= m->top - m->used && a + n <= m->top && a + n >= a,
		      "guest address %#lx (+%zu) outside the image", (unsigned long)a, n);
	return m->buf + m->cap - (m->top - a);
}

static uint64_t word(const struct img *m, gva_t a)
{
	uint64_t v;

	memcpy(&v, at(m, a, 8), 8);
	return v;
}

static const char *str(const struct img *m, gva_t a)
{
	const char *s = (const char *)at(m, a, 1);

	ck_assert(memchr(s, 0, m->top - a)); /* NUL-terminated inside the image */
	return s;
}

static int build(struct img *m, gva_t top, const char *const *argv, const char *const *envp,
		 const char *execfn, const struct auxv_entry *auxv, size_t nauxv)
{
	m->top = top;
	return stack_build(m->buf, m->cap, top, argv, envp, execfn, rnd, auxv, nauxv, &m->sp,
			   &m->used);
}

/* Walk the image: strings and vectors; returns the address of the auxv. */
static gva_t check_vectors(const struct img *m, const char *const *argv, const char *const *envp)
{
	size_t argc = 0, envc = 0;
	gva_t p = m->sp;

	while (argv && argv[argc])
		argc++;
	while (envp && envp[envc])
		envc++;
	ck_assert_uint_eq(m->sp % 16, 0);
	ck_assert_uint_eq(m->top - m->sp, m->used);
	ck_assert_uint_eq(word(m, p), argc);
	p += 8;
	for (size_t i = 0; i < argc; i++, p += 8)
		ck_assert_str_eq(str(m, word(m, p)), argv[i]);
	ck_assert_uint_eq(word(m, p), 0);
	p += 8;
	for (size_t i = 0; i < envc; i++, p += 8)
		ck_assert_str_eq(str(m, word(m, p)), envp[i]);
	ck_assert_uint_eq(word(m, p), 0);
	return p + 8;
}

START_TEST(test_layout)
{
	const char *argv[] = { "prog", "-a", "", "hello world", NULL };
	const char *envp[] = { "A=1", "PATH=/bin:/usr/bin", NULL };
	const struct auxv_entry auxv[] = {
		{ AT_PAGESZ, 4096 }, { AT_RANDOM, 0 }, { AT_ENTRY, 0x401000 },
		{ AT_EXECFN, 0 },    { AT_PLATFORM, 0 },
	};
	struct img m = { .buf = malloc(CAP), .cap = CAP };
	bool seen[5] = { 0 };
	gva_t p;
	size_t i;

	ck_assert_int_eq(build(&m, TOP, argv, envp, "/usr/bin/prog", auxv, 5), 0);
	p = check_vectors(&m, argv, envp);
	for (i = 0; word(&m, p) != AT_NULL; i++, p += 16) {
		uint64_t type = word(&m, p), val = word(&m, p + 8);

		ck_assert_uint_lt(i, 5);
		ck_assert_uint_eq(type, auxv[i].type);
		seen[i] = true;
		switch (type) {
		case AT_RANDOM:
			ck_assert_mem_eq(at(&m, val, 16), rnd, 16);
			break;
		case AT_EXECFN:
			ck_assert_str_eq(str(&m, val), "/usr/bin/prog");
			break;
		case AT_PLATFORM:
			ck_assert_str_eq(str(&m, val), "x86_64");
			break;
		default:
			ck_assert_uint_eq(val, auxv[i].val);
		}
	}
	ck_assert_uint_eq(i, 5);
	ck_assert_uint_eq(word(&m, p + 8), 0);
	ck_assert(seen[4]);
	/* The strings sit above the vectors; the top 8 bytes are the zero end marker. */
	ck_assert_uint_eq(word(&m, TOP - 8), 0);
	ck_assert_uint_lt(p + 16, word(&m, m.sp + 8));
	free(m.buf);
}
END_TEST

START_TEST(test_empty)
{
	struct img m = { .buf = malloc(CAP), .cap = CAP };
	gva_t p;

	ck_assert_int_eq(build(&m, TOP, NULL, NULL, NULL, NULL, 0), 0);
	p = check_vectors(&m, NULL, NULL);
	ck_assert_uint_eq(word(&m, p), AT_NULL);
	ck_assert_uint_eq(word(&m, p + 8), 0);
	/* argc + 2 NULLs + AT_NULL pair + 16 random bytes + "" + end marker, aligned. */
	ck_assert_uint_le(m.used, 96);

	const char *none[] = { NULL };
	ck_assert_int_eq(build(&m, TOP, none, none, "x", NULL, 0), 0);
	check_vectors(&m, none, none);
	free(m.buf);
}
END_TEST

START_TEST(test_alignment)
{
	struct auxv_entry auxv[3] = { { AT_RANDOM, 0 }, { AT_EXECFN, 0 }, { AT_PAGESZ, 4096 } };
	struct img m = { .buf = malloc(CAP), .cap = CAP };
	char arg[40];

	for (int len = 0; len < 33; len++) {
		for (int nargs = 1; nargs < 4; nargs++) {
			const char *argv[] = { arg, arg, arg, NULL };

			argv[nargs] = NULL;
			memset(arg, 'a', len);
			arg[len] = 0;
			for (int nauxv = 0; nauxv <= 3; nauxv++) {
				ck_assert_int_eq(build(&m, TOP - 16 * len, argv, NULL, "f", auxv,
						       nauxv), 0);
				check_vectors(&m, argv, NULL);
			}
		}
	}
	free(m.buf);
}
END_TEST

START_TEST(test_e2big)
{
	const char *argv[] = { "prog", NULL };
	struct img m = { .buf = malloc(CAP), .cap = CAP };
	char *big = malloc(CAP + 1);
	const char *bigv[] = { big, NULL };
	struct auxv_entry auxv[1] = { { AT_PAGESZ, 4096 } };

	memset(big, 'x', CAP);
	big[CAP] = 0;
	ck_assert_int_eq(build(&m, TOP, bigv, NULL, "f", NULL, 0), -E2BIG);
	ck_assert_int_eq(build(&m, TOP, argv, bigv, "f", NULL, 0), -E2BIG);
	ck_assert_int_eq(build(&m, TOP, argv, NULL, big, NULL, 0), -E2BIG);
	/* Too many auxv entries for the space. */
	ck_assert_int_eq(build(&m, TOP, argv, NULL, "f", auxv, SIZE_MAX / 2), -E2BIG);
	/* Strings fit but the pointer vectors do not. */
	big[CAP - 60] = 0;
	ck_assert_int_eq(build(&m, TOP, argv, bigv, "f", NULL, 0), -E2BIG);
	/* Tiny buffers, and a top so low the image would wrap below address 0. */
	m.cap = 8;
	ck_assert_int_eq(build(&m, TOP, argv, NULL, "f", NULL, 0), -E2BIG);
	m.cap = 0;
	ck_assert_int_eq(build(&m, TOP, argv, NULL, "f", NULL, 0), -E2BIG);
	m.cap = CAP;
	ck_assert_int_eq(build(&m, 64, argv, NULL, "f", NULL, 0), -E2BIG);
	/* Exactly enough: find the size, then build into a buffer of that size. */
	ck_assert_int_eq(build(&m, TOP, argv, NULL, "f", auxv, 1), 0);
	m.buf += CAP - m.used;
	m.cap = m.used;
	ck_assert_int_eq(build(&m, TOP, argv, NULL, "f", auxv, 1), 0);
	check_vectors(&m, argv, NULL);
	m.buf -= CAP - m.cap;
	free(m.buf);
	free(big);
}
END_TEST

START_TEST(test_size_ignores_values)
{
	const char *argv[] = { "a", "bb", NULL };
	struct auxv_entry a1[2] = { { AT_PLATFORM, 0 }, { AT_ENTRY, 0 } };
	struct auxv_entry a2[2] = { { AT_PLATFORM, 0 }, { AT_ENTRY, 0x123456789 } };
	struct img m = { .buf = malloc(CAP), .cap = CAP };
	size_t used;

	ck_assert_int_eq(build(&m, TOP, argv, argv, "e", a1, 2), 0);
	used = m.used;
	ck_assert_int_eq(build(&m, TOP, argv, argv, "e", a2, 2), 0);
	ck_assert_uint_eq(m.used, used);
	free(m.buf);
}
END_TEST

Suite *stack_suite(void);
Suite *stack_suite(void)
{
	Suite *s = suite_create("stack");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_alignment);
	tcase_add_test(tc, test_e2big);
	tcase_add_test(tc, test_size_ignores_values);
	suite_add_tcase(s, tc);
	return s;
}
