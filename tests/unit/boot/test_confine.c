// SPDX-License-Identifier: Apache-2.0
/*
 * The Sentry's seccomp allowlist (sentry/boot/seccomp.c), applied in forked children: what
 * the Sentry needs passes, opening a host path, forking, exec and socket() kill the process
 * with SIGSYS, and the debug mode reports instead of killing.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "sentry/boot/boot.h"

enum probe {
	PROBE_ALLOWED,	   /* calls the Sentry makes: must pass */
	PROBE_OPEN,	   /* open("/etc/passwd") */
	PROBE_FORK,	   /* clone with process flags */
	PROBE_EXEC,	   /* execve */
	PROBE_SOCKET,	   /* socket(AF_INET) */
	PROBE_MMAP_EXEC,   /* executable memory */
	PROBE_IOCTL,	   /* a tty request outside the list (TIOCSTI) */
	PROBE_TRAP_OPEN,   /* debug mode: open fails with ENOSYS, the process lives */
};

/* In a child: install the filter for @platform, run @p; exit 0 if it returned as expected. */
static void probe_child(const char *platform, enum boot_seccomp_mode mode, enum probe p)
{
	struct boot_confine cf = { .platform = platform, .seccomp = mode };
	char buf[16];
	void *m;
	int fds[2];

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(90);
	if (boot_confine_seccomp(&cf) < 0)
		_exit(91);
	switch (p) {
	case PROBE_ALLOWED:
		if (pipe2(fds, O_CLOEXEC) < 0 || write(fds[1], "x", 1) != 1 ||
		    read(fds[0], buf, 1) != 1)
			_exit(1);
		m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED || munmap(m, 4096) < 0)
			_exit(2);
		if (fcntl(fds[0], F_GETFL) < 0 || close(fds[0]) < 0 || close(fds[1]) < 0)
			_exit(3);
		if (syscall(SYS_memfd_create, "t", 0) < 0)
			_exit(4);
		if (syscall(SYS_gettid) <= 0 || getpid() <= 0)
			_exit(5);
		_exit(0);
	case PROBE_OPEN:
		open("/etc/passwd", O_RDONLY);
		_exit(0);
	case PROBE_FORK:
		if (syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) == 0)
			_exit(0);
		_exit(0);
	case PROBE_EXEC:
		execl("/bin/true", "true", (char *)NULL);
		_exit(0);
	case PROBE_SOCKET:
		socket(AF_INET, SOCK_STREAM, 0);
		_exit(0);
	case PROBE_MMAP_EXEC:
		mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		_exit(0);
	case PROBE_IOCTL:
		ioctl(0, TIOCSTI, "x");
		_exit(0);
	case PROBE_TRAP_OPEN:
		if (open("/etc/passwd", O_RDONLY) < 0 && errno == ENOSYS)
			_exit(0);
		_exit(1);
	}
	_exit(99);
}

/* The wait status of a child running probe @p under the filter for @platform. */
static int probe(const char *platform, enum boot_seccomp_mode mode, enum probe p)
{
	int st;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* The debug mode's report goes to stderr: keep the test output clean. */
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0)
			dup2(null, 2);
		probe_child(platform, mode, p);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

static void assert_killed(int st)
{
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
		      "expected death by SIGSYS, got status %#x", st);
}

#if !defined(__SANITIZE_ADDRESS__)
START_TEST(test_allowed_calls_pass)
{
	const char *plat[] = { "systrap", "ptrace" };
	int st = probe(plat[_i], BOOT_SECCOMP_KILL, PROBE_ALLOWED);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}
END_TEST

/* --debug-seccomp: the forbidden call fails with ENOSYS and the process goes on. */
START_TEST(test_debug_trap_reports)
{
	int st = probe("systrap", BOOT_SECCOMP_TRAP, PROBE_TRAP_OPEN);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}
END_TEST
#endif

START_TEST(test_open_kills)
{
	assert_killed(probe("systrap", BOOT_SECCOMP_KILL, PROBE_OPEN));
	assert_killed(probe("ptrace", BOOT_SECCOMP_KILL, PROBE_OPEN));
}
END_TEST

START_TEST(test_fork_exec_socket_kill)
{
	assert_killed(probe("systrap", BOOT_SECCOMP_KILL, PROBE_FORK));
	assert_killed(probe("systrap", BOOT_SECCOMP_KILL, PROBE_EXEC));
	assert_killed(probe("systrap", BOOT_SECCOMP_KILL, PROBE_SOCKET));
}
END_TEST

START_TEST(test_exec_memory_and_tiocsti_kill)
{
	assert_killed(probe("systrap", BOOT_SECCOMP_KILL, PROBE_MMAP_EXEC));
	assert_killed(probe("systrap", BOOT_SECCOMP_KILL, PROBE_IOCTL));
}
END_TEST

START_TEST(test_allowlist_size)
{
	struct boot_confine s = { .platform = "systrap" }, p = { .platform = "ptrace" };

	ck_assert_uint_gt(boot_seccomp_allowlist_size(&s), 40);
	ck_assert_uint_gt(boot_seccomp_allowlist_size(&p), boot_seccomp_allowlist_size(&s));
}
END_TEST

Suite *confine_suite(void);
Suite *confine_suite(void)
{
	Suite *s = suite_create("confine");
	TCase *tc = tcase_create("seccomp");

#if !defined(__SANITIZE_ADDRESS__)
	/* The sanitizer runtime makes calls of its own (SAN builds install no filter). */
	tcase_add_loop_test(tc, test_allowed_calls_pass, 0, 2);
	tcase_add_test(tc, test_debug_trap_reports);
#endif
	tcase_add_test(tc, test_open_kills);
	tcase_add_test(tc, test_fork_exec_socket_kill);
	tcase_add_test(tc, test_exec_memory_and_tiocsti_kill);
	tcase_add_test(tc, test_allowlist_size);
	suite_add_tcase(s, tc);
	return s;
}
