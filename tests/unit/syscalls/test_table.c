// SPDX-License-Identifier: Apache-2.0
/* The syscall table: rows sit at their Linux numbers and carry what docs and strace need. */
#include <check.h>
#include <string.h>
#include <sys/syscall.h>

#include "sentry/syscalls/syscalls.h"

START_TEST(test_rows_at_linux_numbers)
{
	const struct syscall_entry *e = syscall_lookup(__NR_write);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->name, "write");
	ck_assert_ptr_nonnull(e->fn);
	ck_assert_str_eq(syscall_lookup(__NR_exit_group)->name, "exit_group");
	ck_assert_str_eq(syscall_lookup(__NR_mmap)->name, "mmap");
	ck_assert_ptr_null(syscall_lookup(SYSCALL_MAX));
	ck_assert_ptr_null(syscall_lookup(~0ULL));
}
END_TEST

START_TEST(test_rows_well_formed)
{
	for (uint64_t nr = 0; nr < SYSCALL_MAX; nr++) {
		const struct syscall_entry *e = syscall_lookup(nr);
		if (!e)
			continue;
		ck_assert_msg(strlen(e->args) <= 6, "%s: too many args", e->name);
		ck_assert_msg(strspn(e->args, "iuxpsbBofa") == strlen(e->args), "%s: bad fmt", e->name);
		ck_assert_msg(e->support == SYS_FULL || e->note, "%s: partial support needs a note", e->name);
	}
}
END_TEST

Suite *syscall_table_suite(void);
Suite *syscall_table_suite(void)
{
	Suite *s = suite_create("syscall_table");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_rows_at_linux_numbers);
	tcase_add_test(tc, test_rows_well_formed);
	suite_add_tcase(s, tc);
	return s;
}
