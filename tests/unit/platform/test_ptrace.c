// SPDX-License-Identifier: Apache-2.0
/*
 * ptrace platform: what differs from systrap (the registry, faults without an access type,
 * int $0x80, thread rules, the stub's lifecycle and death); the shared trap, mapping,
 * interrupt, FPU and fs_base tests come from platform_tests.c.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/ptrace/ptrace.h"
#include "platform/ptrace/ptrace_impl.h"
#include "platform_tests.h"

BLOB(pg_int80, "mov $20, %eax; int $0x80; mov $39, %eax; syscall");

static uint64_t stub_page(const struct platform *p)
{
	(void)p;
	return ptrace_stub_addr(ptrace_stub_syscall) & ~0xfffULL;
}

static const struct ptest_platform ptrace_pf = {
	.name = "ptrace",
	.ops = &ptrace_platform_ops,
	.loop_n = 10000,
	.stub_page = stub_page,
};

static void use_ptrace(void)
{
	ptest_use(&ptrace_pf);
}

START_TEST(test_registry)
{
	const char *const *names = platform_names();
	struct platform *p = NULL;
	int fd = memfd_create("test-memory", MFD_CLOEXEC), found = 0;

	for (int i = 0; names[i]; i++)
		found |= !strcmp(names[i], "ptrace");
	ck_assert(found);
	ck_assert_int_eq(platform_new("nonesuch", fd, &p), -ENOENT);
	ck_assert_int_eq(platform_new("ptrace", fd, &p), 0);
	ck_assert_ptr_eq(p->ops, &ptrace_platform_ops);
	ck_assert_int_eq(p->memfd, fd);
	ck_assert_uint_eq(p->max_user_addr, ptrace_region_base);
	platform_free(p);
	ck_assert_int_eq(platform_new("ptrace", -1, &p), -EBADF);
	close(fd);
}
END_TEST

static void fault_case(const char *start, const char *end, uint64_t target, uint64_t want_addr,
		       int code)
{
	struct env *e = env_start(start, end);
	struct trap t;

	e->st.regs.rdi = target;
	run_expect(e, TRAP_FAULT, &t);
	ck_assert_uint_eq(t.addr, want_addr);
	ck_assert_int_eq(t.access, 0); /* ptrace cannot tell */
	ck_assert_int_eq(t.signo, SIGSEGV);
	ck_assert_int_eq(t.code, code);
	ck_assert_uint_eq(e->st.regs.rip, CODE_VA);
	ck_assert_uint_eq(e->st.regs.orig_rax, (uint64_t)-1);
	env_free(e);
}

START_TEST(test_fault)
{
	fault_case(g_read, g_read_end, DATA_VA + 8, DATA_VA + 8, SEGV_MAPERR);
	fault_case(g_write, g_write_end, DATA_VA + 16, DATA_VA + 16, SEGV_MAPERR);
	/* Write to a read-only (code) page: a protection fault. */
	fault_case(g_write, g_write_end, CODE_VA + 0x800, CODE_VA + 0x800, SEGV_ACCERR);
}
END_TEST

/* The i386 ABI (int $0x80) is refused as Linux without IA32 emulation does: #GP. */
START_TEST(test_int80)
{
	struct env *e = env_start(pg_int80, pg_int80_end);
	struct trap t;

	run_expect(e, TRAP_SIGNAL, &t);
	ck_assert_int_eq(t.signo, SIGSEGV);
	ck_assert_int_eq(t.code, SI_KERNEL);
	ck_assert_uint_eq(t.addr, 0);
	ck_assert_uint_eq(e->st.regs.rip, CODE_VA + 5); /* at the int $0x80 */
	ck_assert_uint_eq(e->st.regs.rax, 20);
	ck_assert_uint_eq(e->st.regs.orig_rax, (uint64_t)-1);
	/* Skipping it, the guest goes on to a native syscall. */
	e->st.regs.rip += 2;
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.orig_rax, 39);
	env_free(e);
}
END_TEST

static void *release_thread(void *arg)
{
	struct env *e = arg;

	e->p.ops->as_release(e->as);
	return NULL;
}

/* as_new/as_release cost; as_release from another thread kills and reaps the stub. */
START_TEST(test_as_lifecycle)
{
	struct env *e = env_start(g_loop, g_loop_end);
	const struct platform_ops *ops = e->p.ops;
	const int n = 50;
	struct trap t;
	pthread_t th;
	pid_t pid;
	int st;

	uint64_t t0 = now_ns();
	for (int i = 0; i < n; i++) {
		struct addrspace *as;

		ck_assert_int_eq(ops->as_new(&e->p, &as), 0);
		ops->as_release(as);
	}
	printf("ptrace: as_new+as_release %llu us\n",
	       (unsigned long long)((now_ns() - t0) / (uint64_t)n / 1000));
	run_expect(e, TRAP_SYSCALL, &t);
	pid = to_ptrace_as(e->as)->pid;
	ck_assert_int_eq(pthread_create(&th, NULL, release_thread, e), 0);
	pthread_join(th, NULL);
	e->as = NULL;
	ck_assert_int_eq(waitpid(pid, &st, __WALL | WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	env_free(e);
}
END_TEST

struct other_arg {
	struct env *e;
	int map, run;
};

static void *other_thread(void *arg)
{
	struct other_arg *a = arg;
	struct trap t;

	a->map = a->e->p.ops->as_map(a->e->as, DATA_VA, 0x1000, PROT_READ, DATA_OFF);
	a->run = a->e->p.ops->switch_to(a->e->c, a->e->as, &a->e->st, &t);
	return NULL;
}

/*
 * Any thread may change the mappings (through the service thread), but a context is run
 * only by the thread that created it; a dead stub reports -ESRCH.
 */
START_TEST(test_tracer_thread_and_death)
{
	struct env *e = env_start(g_loop, g_loop_end);
	struct other_arg a = { .e = e };
	struct trap t;
	pthread_t th;

	ck_assert_int_eq(pthread_create(&th, NULL, other_thread, &a), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(a.map, 0);
	ck_assert_int_eq(a.run, -EPERM);
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_int_eq(kill(to_ptrace_as(e->as)->pid, SIGKILL), 0);
	ck_assert_int_eq(run(e, &t), -ESRCH);
	ck_assert_int_eq(run(e, &t), -ESRCH);
	ck_assert_int_eq(e->p.ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ, DATA_OFF), -ESRCH);
	env_free(e);
}
END_TEST

/* Field 4 (ppid) of /proc/<pid>/stat, -1 if unreadable. */
static pid_t ppid_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 2, "%*c %d", &ppid);
	fclose(f);
	return ppid;
}

static int fd_count(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

static uint64_t as_new_cost(struct env *e)
{
	const int n = 30;
	uint64_t t0 = now_ns();

	for (int i = 0; i < n; i++) {
		struct addrspace *as;

		ck_assert_int_eq(e->p.ops->as_new(&e->p, &as), 0);
		e->p.ops->as_release(as);
	}
	return (now_ns() - t0) / n / 1000;
}

/*
 * Stubs are forked from a pristine zygote stub (itself forked once from the Sentry): a
 * stub's parent is the zygote, whose parent is us; it holds only the memory file.
 */
START_TEST(test_zygote)
{
	struct env *e = env_start(g_loop, g_loop_end);
	pid_t pid = to_ptrace_as(e->as)->pid, zygote = ppid_of(pid);
	uint64_t with, without;
	struct trap t;
	int r = 0;

	ck_assert_int_gt(zygote, 0);
	ck_assert_int_ne(zygote, getpid());
	ck_assert_int_eq(ppid_of(zygote), getpid());
	ck_assert_int_eq(fd_count(pid), 1);
	ck_assert_int_eq(fd_count(zygote), 1);
	run_expect(e, TRAP_SYSCALL, &t);
	with = as_new_cost(e);
	ptrace_no_zygote = 1;
	without = as_new_cost(e);
	ptrace_no_zygote = 0;
	printf("ptrace: as_new+as_release %llu us from the zygote, %llu us from the Sentry\n",
	       (unsigned long long)with, (unsigned long long)without);
	/* Stubs die with their zygote. */
	ck_assert_int_eq(kill(zygote, SIGKILL), 0);
	for (int i = 0; i < 2000 && (r = run(e, &t)) == 0; i++) /* PDEATHSIG is asynchronous */
		usleep(1000);
	ck_assert_int_eq(r, -ESRCH);
	/* The next address space gets a new zygote. */
	e->p.ops->as_release(e->as);
	e->as = NULL;
	ck_assert_int_eq(e->p.ops->as_new(&e->p, &e->as), 0);
	ck_assert_int_ne(ppid_of(to_ptrace_as(e->as)->pid), zygote);
	ck_assert_int_eq(ppid_of(ppid_of(to_ptrace_as(e->as)->pid)), getpid());
	env_free(e);
}
END_TEST

Suite *ptrace_suite(void);
Suite *ptrace_suite(void)
{
	Suite *s = suite_create("ptrace");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, use_ptrace, NULL);
	tcase_add_test(tc, test_registry);
	ptest_add_common(tc);
	tcase_add_test(tc, test_fault);
	tcase_add_test(tc, test_int80);
	tcase_add_test(tc, test_tracer_thread_and_death);
	tcase_add_test(tc, test_as_lifecycle);
	tcase_add_test(tc, test_zygote);
	suite_add_tcase(s, tc);
	return s;
}
