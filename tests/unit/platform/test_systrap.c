// SPDX-License-Identifier: Apache-2.0
/*
 * systrap platform: what differs from ptrace (faults with their access type, and a guest
 * that attacks the stub); the shared trap, mapping, interrupt, FPU and fs_base tests come
 * from platform_tests.c.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/systrap/systrap.h"
#include "platform/systrap/systrap_impl.h"
#include "platform_tests.h"

BLOB(g_exec, "call *%rdi");
BLOB(g_jump, "jmp *%rbx");
BLOB(g_call, "call *%rbx; mov $39, %eax; syscall");
BLOB(g_int80, "int $0x80; mov $39, %eax; syscall");
BLOB(g_scribble, "mov $0xff, %eax; rep stosb; mov $39, %eax; syscall");
BLOB(g_openat, "mov $257, %eax; syscall; mov $39, %eax; syscall");

static uint64_t stub_page(const struct platform *p)
{
	return p->max_user_addr + STUB_MSG_OFF;
}

static const struct ptest_platform systrap_pf = {
	.name = "systrap",
	.ops = &systrap_platform_ops,
	.loop_n = 20000,
	.stub_page = stub_page,
};

static void use_systrap(void)
{
	ptest_use(&systrap_pf);
}

static int as_unmap_all(struct env *e, const struct as_map_range *r, int n)
{
	for (int i = 0; i < n; i++) {
		int err = e->p.ops->as_unmap(e->as, r[i].va, r[i].len);

		if (err)
			return err;
	}
	return 0;
}

static void fault_case(const char *start, const char *end, uint64_t target, int access,
		       uint64_t want_addr)
{
	struct env *e = env_start(start, end);
	struct trap t;

	e->st.regs.rdi = target;
	run_expect(e, TRAP_FAULT, &t);
	ck_assert_uint_eq(t.addr, want_addr);
	ck_assert_int_eq(t.access, access);
	ck_assert_int_eq(t.signo, SIGSEGV);
	env_free(e);
}

START_TEST(test_fault_access)
{
	fault_case(g_read, g_read_end, DATA_VA + 8, TRAP_ACCESS_READ, DATA_VA + 8);
	fault_case(g_write, g_write_end, DATA_VA + 16, TRAP_ACCESS_WRITE, DATA_VA + 16);
	fault_case(g_exec, g_exec_end, DATA_VA, TRAP_ACCESS_EXEC, DATA_VA);
	/* Write to a read-only (code) page: a protection fault, still a write. */
	fault_case(g_write, g_write_end, CODE_VA + 0x800, TRAP_ACCESS_WRITE, CODE_VA + 0x800);
}
END_TEST

/* as_map_vec: scattered ranges, more than one request's worth (REQ_VEC_MAX), in one call. */
START_TEST(test_map_vec)
{
	struct env *e = env_start(g_read, g_read_end);
	const struct platform_ops *ops = e->p.ops;
	enum { N = REQ_VEC_MAX + 12 };
	struct as_map_range r[N];
	struct trap t;

	ck_assert_ptr_nonnull(ops->as_map_vec);
	/* Range i: one page at DATA_VA + 2i pages (holes between), file pages in reverse. */
	for (int i = 0; i < N; i++) {
		uint64_t off = DATA_OFF + (uint64_t)(N - 1 - i) * 0x1000;

		r[i] = (struct as_map_range){ DATA_VA + 2 * (uint64_t)i * 0x1000, 0x1000, off,
					      PROT_READ };
		*(uint64_t *)(e->mem + off + 8) = 1000 + (uint64_t)i;
	}
	ck_assert_int_eq(ops->as_map_vec(e->as, r, N), 0);
	for (int i = 0; i < N; i += 7) {
		e->st.regs.rip = CODE_VA;
		e->st.regs.rdi = r[i].va + 8;
		run_expect(e, TRAP_SYSCALL, &t);
		ck_assert_uint_eq(e->st.regs.rdi, 1000 + (uint64_t)i);
	}
	/* The holes stay unmapped. */
	e->st.regs.rip = CODE_VA;
	e->st.regs.rdi = DATA_VA + 0x1000;
	run_expect(e, TRAP_FAULT, &t);
	ck_assert_uint_eq(t.addr, DATA_VA + 0x1000);
	/* One bad range (into the stub region) refuses the whole call before any request. */
	ck_assert_int_eq(as_unmap_all(e, r, N), 0);
	r[3].va = e->p.max_user_addr;
	ck_assert_int_eq(ops->as_map_vec(e->as, r, N), -EINVAL);
	e->st.regs.rip = CODE_VA;
	e->st.regs.rdi = r[0].va + 8;
	run_expect(e, TRAP_FAULT, &t);
	env_free(e);
}
END_TEST

/* A guest that jumps to a stub syscall instruction with its own registers must die. */
static void jump_case(const char *site, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct env *e = env_start(g_jump, g_jump_end);
	struct trap t;

	e->st.regs.rbx = systrap_stub_addr(site) - 2; /* the 2-byte syscall before the site */
	e->st.regs.rax = nr;
	e->st.regs.rdi = a0;
	e->st.regs.rsi = a1;
	e->st.regs.rdx = a2;
	ck_assert_int_eq(run(e, &t), -ESRCH);
	ck_assert_int_eq(run(e, &t), -ESRCH);
	env_free(e);
}

START_TEST(test_security_jump_to_sites)
{
	pid_t me = getpid();
	const char *sites[] = { systrap_site_futex, systrap_site_sigreturn,
				systrap_site_arch_prctl, systrap_site_s_futex,
				systrap_site_s_mmap, systrap_site_s_munmap,
				systrap_site_s_write, systrap_site_p_futex,
				systrap_site_p_clone, systrap_site_p_write,
				systrap_site_c_settid, systrap_site_c_sigaltstack,
				systrap_site_c_sigmask, systrap_site_c_seccomp };

	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		jump_case(sites[i], __NR_kill, (uint64_t)me, SIGKILL, 0);
		jump_case(sites[i], __NR_getpid, 0, 0, 0);
	}
	/* The syscall thread's own calls, from a guest thread: still death. */
	jump_case(systrap_site_s_write, __NR_write, 2, systrap_region.base, 8);
	jump_case(systrap_site_s_mmap, __NR_mmap, DATA_VA, 0x1000, PROT_READ);
	jump_case(systrap_site_s_munmap, __NR_munmap, systrap_region.base, 0x1000, 0);
	/* The spawner's clone, exactly as its filter allows it, from thread 0: death. */
	jump_case(systrap_site_p_clone, __NR_clone, STUB_THREAD_CLONE, 0, 0);
	/* arch_prctl beyond fs/gs (ARCH_MAP_VDSO_64 = 0x2003) is refused. */
	jump_case(systrap_site_arch_prctl, __NR_arch_prctl, 0x2003, DATA_VA, 0);
	/* Still alive: no kill() reached the host. */
	ck_assert_int_eq(kill(me, 0), 0);
}
END_TEST

START_TEST(test_security_openat)
{
	char path[64];
	struct env *e;
	struct trap t;

	snprintf(path, sizeof(path), "/tmp/systrap-sec-%d", getpid());
	unlink(path);
	/* From guest code: a trap, nothing on the host. */
	e = env_start(g_openat, g_openat_end);
	memcpy(e->mem + CODE_OFF + 0x800, path, strlen(path) + 1);
	e->st.regs.rdi = (uint64_t)AT_FDCWD;
	e->st.regs.rsi = CODE_VA + 0x800;
	e->st.regs.rdx = O_CREAT | O_WRONLY;
	e->st.regs.r10 = 0644;
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.orig_rax, __NR_openat);
	env_free(e);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* Through the handler's futex site: the stub dies instead. */
	e = env_start(g_jump, g_jump_end);
	memcpy(e->mem + CODE_OFF + 0x800, path, strlen(path) + 1);
	e->st.regs.rbx = systrap_stub_addr(systrap_site_futex) - 2;
	e->st.regs.rax = __NR_openat;
	e->st.regs.rdi = (uint64_t)AT_FDCWD;
	e->st.regs.rsi = CODE_VA + 0x800;
	e->st.regs.rdx = O_CREAT | O_WRONLY;
	e->st.regs.r10 = 0644;
	ck_assert_int_eq(run(e, &t), -ESRCH);
	env_free(e);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(test_security_int80)
{
	struct env *e = env_start(g_int80, g_int80_end);
	struct trap t;

	e->st.regs.rax = 37; /* i386 kill */
	e->st.regs.rbx = (uint64_t)getpid();
	e->st.regs.rcx = SIGKILL;
	ck_assert_int_eq(run(e, &t), -ESRCH);
	env_free(e);
}
END_TEST

START_TEST(test_security_harmless_site_use)
{
	/* futex wake on its own message from the handler's site is allowed and returns. */
	struct env *e = env_start(g_call, g_call_end);
	struct trap t;

	e->st.regs.rbx = systrap_stub_addr(systrap_site_futex) - 2;
	e->st.regs.rax = __NR_futex;
	e->st.regs.rdi = systrap_region.base + STUB_MSG_OFF;
	e->st.regs.rsi = 1; /* FUTEX_WAKE */
	e->st.regs.rdx = 1;
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.orig_rax, 39);
	env_free(e);
}
END_TEST

START_TEST(test_security_scribble)
{
	struct env *e = env_start(g_scribble, g_scribble_end);
	uint64_t ctrl = systrap_region.base + STUB_CTRL_OFF;
	struct trap t;

	/* Overwrite its whole message (registers, state, flags) then make a syscall. */
	e->st.regs.rdi = systrap_region.base + STUB_MSG_OFF;
	e->st.regs.rcx = STUB_MSG_STRIDE;
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.orig_rax, 39);
	/* The control pages are read-only for it. */
	env_load(e, g_scribble, g_scribble_end);
	e->st.regs.rdi = ctrl;
	e->st.regs.rcx = 16;
	run_expect(e, TRAP_FAULT, &t);
	ck_assert_uint_eq(t.addr, ctrl);
	ck_assert_int_eq(t.access, TRAP_ACCESS_WRITE);
	/* The stub still works: map requests go through. */
	ck_assert_int_eq(e->p.ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ, DATA_OFF), 0);
	env_free(e);
}
END_TEST

Suite *systrap_suite(void);
Suite *systrap_suite(void)
{
	Suite *s = suite_create("systrap");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, use_systrap, NULL);
	ptest_add_common(tc);
	tcase_add_test(tc, test_fault_access);
	tcase_add_test(tc, test_map_vec);
	tcase_add_test(tc, test_security_jump_to_sites);
	tcase_add_test(tc, test_security_openat);
	tcase_add_test(tc, test_security_int80);
	tcase_add_test(tc, test_security_harmless_site_use);
	tcase_add_test(tc, test_security_scribble);
	suite_add_tcase(s, tc);
	return s;
}
