// SPDX-License-Identifier: Apache-2.0
/* fd tables: lowest-free allocation, limits, dup2 replacement, close_range, references. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "fs/vfs.h"

static int released;

static void counting_release(struct file *f)
{
	released++;
	free(f);
}

static const struct file_ops counting_ops = { .release = counting_release };

static struct file *new_file(void)
{
	struct file *f = calloc(1, sizeof(*f));
	file_init(f, &counting_ops, O_RDWR, NULL);
	return f;
}

START_TEST(test_lowest_free)
{
	struct fdtable *t;
	struct file *f = new_file();

	released = 0;
	ck_assert_int_eq(fdtable_new(&t), 0);
	ck_assert_int_eq(fdtable_install(t, 0, f, 0, 1024), 0);
	ck_assert_int_eq(fdtable_install(t, 0, f, 0, 1024), 1);
	ck_assert_int_eq(fdtable_install(t, 5, f, 0, 1024), 5);
	ck_assert_int_eq(fdtable_close(t, 0), 0);
	ck_assert_int_eq(fdtable_install(t, 0, f, 0, 1024), 0);
	ck_assert_int_eq(fdtable_close(t, 3), -EBADF);
	file_put(f);
	ck_assert_int_eq(released, 0);
	fdtable_put(t);
	ck_assert_int_eq(released, 1);
}
END_TEST

START_TEST(test_limit)
{
	struct fdtable *t;
	struct file *f = new_file();

	ck_assert_int_eq(fdtable_new(&t), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(fdtable_install(t, 0, f, 0, 3), i);
	ck_assert_int_eq(fdtable_install(t, 0, f, 0, 3), -EMFILE);
	ck_assert_int_eq(fdtable_install(t, 3, f, 0, 3), -EINVAL);
	ck_assert_int_eq(fdtable_install_at(t, 3, f, 0, 3), -EBADF);
	file_put(f);
	fdtable_put(t);
}
END_TEST

START_TEST(test_dup2_replaces_and_flags)
{
	struct fdtable *t;
	struct file *a = new_file(), *b = new_file();
	int fl = -1;

	released = 0;
	ck_assert_int_eq(fdtable_new(&t), 0);
	ck_assert_int_eq(fdtable_install(t, 0, a, 0, 64), 0);
	ck_assert_int_eq(fdtable_install_at(t, 0, b, FD_FLAG_CLOEXEC, 64), 0);
	file_put(a);
	ck_assert_int_eq(released, 1); /* a's last reference went with the replacement */
	struct file *got = fdtable_get_file(t, 0, &fl);
	ck_assert_ptr_eq(got, b);
	ck_assert_int_eq(fl, FD_FLAG_CLOEXEC);
	file_put(got);
	ck_assert_int_eq(fdtable_set_flags(t, 0, 0), 0);
	got = fdtable_get_file(t, 0, &fl);
	ck_assert_int_eq(fl, 0);
	file_put(got);
	ck_assert_ptr_null(fdtable_get_file(t, 9, NULL));
	ck_assert_ptr_null(fdtable_get_file(t, -1, NULL));
	file_put(b);
	fdtable_put(t);
	ck_assert_int_eq(released, 2);
}
END_TEST

START_TEST(test_close_range)
{
	struct fdtable *t;
	struct file *f = new_file();

	ck_assert_int_eq(fdtable_new(&t), 0);
	for (int i = 0; i < 10; i++)
		fdtable_install(t, 0, f, 0, 64);
	fdtable_close_range(t, 2, 7);
	for (int i = 0; i < 10; i++) {
		struct file *g = fdtable_get_file(t, i, NULL);
		ck_assert_int_eq(g != NULL, i < 2 || i > 7);
		if (g)
			file_put(g);
	}
	fdtable_close_range(t, 0, ~0U);
	ck_assert_ptr_null(fdtable_get_file(t, 9, NULL));
	file_put(f);
	fdtable_put(t);
}
END_TEST

Suite *fdtable_suite(void);
Suite *fdtable_suite(void)
{
	Suite *s = suite_create("fdtable");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_lowest_free);
	tcase_add_test(tc, test_limit);
	tcase_add_test(tc, test_dup2_replaces_and_flags);
	tcase_add_test(tc, test_close_range);
	suite_add_tcase(s, tc);
	return s;
}
