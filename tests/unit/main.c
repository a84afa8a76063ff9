// SPDX-License-Identifier: Apache-2.0
/*
 * check runner for every unit suite. Suites are weak references so a subsystem's tests
 * link in when its test file exists; CK_RUN_SUITE=name runs one suite.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "sentry/arch/arch.h"

#define SUITES(X)        \
	X(memfile_suite) \
	X(vma_suite)     \
	X(mm_suite)      \
	X(mm_fork_suite) \
	X(mm_pin_suite)  \
	X(elf_suite)     \
	X(stack_suite)   \
	X(ptrace_suite)  \
	X(ptrace_mt_suite) \
	X(systrap_suite) \
	X(systrap_mt_suite) \
	X(p9_suite)      \
	X(gofer_suite)   \
	X(fdtable_suite) \
	X(namei_suite)   \
	X(tmpfs_suite)   \
	X(gofer_client_suite) \
	X(gofer_hostfd_suite) \
	X(sigframe_suite) \
	X(syscall_table_suite) \
	X(pipe_suite)    \
	X(overlay_suite) \
	X(unix_socket_suite) \
	X(ktimer_suite) \
	X(pagecache_suite) \
	X(tty_suite) \
	X(confine_suite)

#define DECLARE(name) Suite *name(void) __attribute__((weak));
SUITES(DECLARE)
#undef DECLARE

int main(void)
{
	Suite *(*const makers[])(void) = {
#define ENTRY(name) name,
		SUITES(ENTRY)
#undef ENTRY
	};
	SRunner *sr = NULL;
	int failed;

	arch_init();
	for (size_t i = 0; i < sizeof(makers) / sizeof(makers[0]); i++) {
		if (!makers[i])
			continue;
		if (!sr)
			sr = srunner_create(makers[i]());
		else
			srunner_add_suite(sr, makers[i]());
	}
	if (!sr) {
		fprintf(stderr, "unit: no suites linked\n");
		return 1;
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
