// SPDX-License-Identifier: Apache-2.0
/*
 * Shared by the ptrace and systrap suites: the guest-code test environment and the tests
 * every platform must pass (syscall/signal traps, map and unmap, interrupts, FPU and fs_base
 * round trips, the refused stub region).
 */
#include <check.h>
#include <cpuid.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "platform_tests.h"

BLOB(g_syscall, "mov $39, %eax; mov $1, %edi; mov $2, %esi; mov $3, %edx; mov $4, %r10d;"
		"mov $5, %r8d; mov $6, %r9d; syscall; g_syscall_after: mov %rax, %rdi;"
		"mov $60, %eax; syscall");
extern const char g_syscall_after[];
__asm__(".globl g_syscall_after\n .hidden g_syscall_after\n");
BLOB(g_loop, "1: mov $39, %eax; syscall; jmp 1b");
BLOB(g_read, "mov (%rdi), %rax; mov %rax, %rdi; mov $1, %eax; syscall");
BLOB(g_write, "movq $0x55, (%rdi); mov $1, %eax; syscall");
BLOB(g_ud2, "ud2");
BLOB(g_int3, "int3");
BLOB(g_div, "xor %ecx, %ecx; mov $1, %eax; xor %edx, %edx; div %rcx");
BLOB(g_spin, "1: jmp 1b");
BLOB(g_fpu, "movaps %xmm0, %xmm1; vmovdqa %ymm0, %ymm2; mov $39, %eax; syscall;"
	    "movaps %xmm5, %xmm6; vmovdqa %ymm5, %ymm7; mov $39, %eax; syscall");
BLOB(g_sse, "movaps %xmm0, %xmm1; mov $39, %eax; syscall; movaps %xmm1, %xmm3;"
	    "mov $39, %eax; syscall");
BLOB(g_fs, "mov %fs:8, %rdi; mov $39, %eax; syscall; mov %fs:8, %rdi; mov $39, %eax; syscall");
BLOB(g_wrfs, "wrfsbase %rdi; mov $39, %eax; syscall");

const struct ptest_platform *ptest_pf;

void ptest_use(const struct ptest_platform *pf)
{
	ptest_pf = pf;
}

static void env_setup(struct env *e)
{
	int fd;

	memset(e, 0, sizeof(*e));
	fd = memfd_create("test-memory", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, MEM_SIZE), 0);
	e->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(e->mem, MAP_FAILED);
	ck_assert_ptr_nonnull(ptest_pf);
	e->p.ops = ptest_pf->ops;
	e->p.memfd = fd;
	ck_assert_int_eq(e->p.ops->init(&e->p), 0);
	ck_assert_int_eq(e->p.ops->ctx_new(&e->p, &e->c), 0);
	ck_assert_int_eq(arch_state_init(&e->st), 0);
}

static void env_new_as(struct env *e)
{
	const struct platform_ops *ops = e->p.ops;

	ck_assert_int_eq(ops->as_new(&e->p, &e->as), 0);
	ck_assert_int_eq(ops->as_map(e->as, CODE_VA, 0x1000, PROT_READ | PROT_EXEC, CODE_OFF), 0);
	ck_assert_int_eq(ops->as_map(e->as, STACK_VA, STACK_LEN, PROT_READ | PROT_WRITE, STACK_OFF),
			 0);
}

void env_load(struct env *e, const char *start, const char *end)
{
	memset(e->mem + CODE_OFF, 0xcc, 0x1000);
	memcpy(e->mem + CODE_OFF, start, (size_t)(end - start));
	memset(&e->st.regs, 0, sizeof(e->st.regs));
	e->st.regs.rip = CODE_VA;
	e->st.regs.rsp = STACK_VA + STACK_LEN - 64;
	e->st.regs.eflags = 0x202;
}

struct env *env_start(const char *start, const char *end)
{
	struct env *e = malloc(sizeof(*e));

	ck_assert_ptr_nonnull(e);
	env_setup(e);
	env_new_as(e);
	env_load(e, start, end);
	return e;
}

int run(struct env *e, struct trap *t)
{
	return e->p.ops->switch_to(e->c, e->as, &e->st, t);
}

void run_expect(struct env *e, enum trap_kind kind, struct trap *t)
{
	ck_assert_int_eq(run(e, t), 0);
	ck_assert_int_eq(t->kind, kind);
}

void env_free(struct env *e)
{
	if (e->as)
		e->p.ops->as_release(e->as);
	e->p.ops->ctx_release(e->c);
	arch_state_destroy(&e->st);
	munmap(e->mem, MEM_SIZE);
	close(e->p.memfd);
	free(e);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

START_TEST(test_syscall_trap)
{
	struct env *e = env_start(g_syscall, g_syscall_end);
	struct trap t;
	uint64_t a[6];

	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.orig_rax, 39);
	ck_assert_uint_eq(e->st.regs.rax, (uint64_t)-ENOSYS);
	ck_assert_uint_eq(e->st.regs.rip, CODE_VA + (uint64_t)(g_syscall_after - g_syscall));
	ck_assert_uint_eq(e->st.regs.rcx, e->st.regs.rip); /* as ptrace shows it */
	arch_syscall_args(&e->st, a);
	for (int i = 0; i < 6; i++)
		ck_assert_uint_eq(a[i], (uint64_t)i + 1);
	ck_assert_uint_eq(e->st.regs.rsp, STACK_VA + STACK_LEN - 64);
	arch_syscall_set_return(&e->st, 1234);
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.orig_rax, 60);
	ck_assert_uint_eq(e->st.regs.rdi, 1234);
	/* Restart: the guest executes the same syscall again. */
	arch_syscall_restart(&e->st);
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.orig_rax, 60);
	/* A return value that looks like -ERESTARTSYS is delivered as is, never restarted. */
	env_load(e, g_syscall, g_syscall_end);
	run_expect(e, TRAP_SYSCALL, &t);
	arch_syscall_set_return(&e->st, (uint64_t)-512);
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.orig_rax, 60);
	ck_assert_uint_eq(e->st.regs.rdi, (uint64_t)-512);
	env_free(e);
}
END_TEST

START_TEST(test_syscall_loop)
{
	struct env *e = env_start(g_loop, g_loop_end);
	struct trap t;
	const int n = ptest_pf->loop_n;

	run_expect(e, TRAP_SYSCALL, &t); /* warm up */
	uint64_t t0 = now_ns();
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(run(e, &t), 0);
		if (t.kind != TRAP_SYSCALL || e->st.regs.orig_rax != 39)
			ck_abort_msg("trap %d nr %llu", t.kind,
				     (unsigned long long)e->st.regs.orig_rax);
	}
	uint64_t dt = now_ns() - t0;
	printf("%s: %d syscall round trips, %llu ns each\n", ptest_pf->name, n,
	       (unsigned long long)(dt / (uint64_t)n));
	env_free(e);
}
END_TEST

START_TEST(test_map_then_retry)
{
	struct env *e = env_start(g_read, g_read_end);
	const struct platform_ops *ops = e->p.ops;
	struct trap t;

	*(uint64_t *)(e->mem + DATA_OFF + 8) = 0xdeadbeefcafeULL;
	e->st.regs.rdi = DATA_VA + 8;
	run_expect(e, TRAP_FAULT, &t);
	ck_assert_uint_eq(t.addr, DATA_VA + 8);
	ck_assert_uint_eq(e->st.regs.rip, CODE_VA);
	ck_assert_int_eq(ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ, DATA_OFF), 0);
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.rdi, 0xdeadbeefcafeULL);

	/* The cost of a mapping change. */
	const int n = 2000;
	uint64_t map_ns = 0, unmap_ns = 0, t0;
	for (int i = 0; i < n; i++) {
		t0 = now_ns();
		ck_assert_int_eq(ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ, DATA_OFF), 0);
		map_ns += now_ns() - t0;
		t0 = now_ns();
		ck_assert_int_eq(ops->as_unmap(e->as, DATA_VA, 0x1000), 0);
		unmap_ns += now_ns() - t0;
	}
	printf("%s: as_map %llu ns, as_unmap %llu ns\n", ptest_pf->name,
	       (unsigned long long)(map_ns / (uint64_t)n),
	       (unsigned long long)(unmap_ns / (uint64_t)n));
	/* Mapping changes between runs leave the guest's registers alone. */
	e->st.regs.rip = CODE_VA;
	e->st.regs.rdi = DATA_VA + 8;
	ck_assert_int_eq(ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ, DATA_OFF), 0);
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.rdi, 0xdeadbeefcafeULL);
	ck_assert_uint_eq(e->st.regs.rsp, STACK_VA + STACK_LEN - 64);
	env_free(e);
}
END_TEST

START_TEST(test_unmap_then_fault)
{
	struct env *e = env_start(g_read, g_read_end);
	const struct platform_ops *ops = e->p.ops;
	struct trap t;

	*(uint64_t *)(e->mem + DATA_OFF) = 77;
	ck_assert_int_eq(ops->as_map(e->as, DATA_VA, 0x2000, PROT_READ, DATA_OFF), 0);
	e->st.regs.rdi = DATA_VA;
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.rdi, 77);
	ck_assert_int_eq(ops->as_unmap(e->as, DATA_VA, 0x1000), 0);
	e->st.regs.rip = CODE_VA;
	e->st.regs.rdi = DATA_VA;
	run_expect(e, TRAP_FAULT, &t);
	ck_assert_uint_eq(t.addr, DATA_VA);
	/* The second page is still there; unmapping a hole is fine. */
	ck_assert_int_eq(ops->as_unmap(e->as, DATA_VA, 0x1000), 0);
	e->st.regs.rip = CODE_VA;
	e->st.regs.rdi = DATA_VA + 0x1000;
	run_expect(e, TRAP_SYSCALL, &t);
	env_free(e);
}
END_TEST

static void signal_case(const char *start, const char *end, int signo, int code, uint64_t addr)
{
	struct env *e = env_start(start, end);
	struct trap t;

	run_expect(e, TRAP_SIGNAL, &t);
	ck_assert_int_eq(t.signo, signo);
	ck_assert_int_eq(t.code, code);
	ck_assert_uint_eq(t.addr, addr);
	ck_assert_uint_eq(e->st.regs.orig_rax, (uint64_t)-1);
	env_free(e);
}

START_TEST(test_signals)
{
	signal_case(g_ud2, g_ud2_end, SIGILL, ILL_ILLOPN, CODE_VA);
	signal_case(g_div, g_div_end, SIGFPE, FPE_INTDIV, CODE_VA + 9);
	signal_case(g_int3, g_int3_end, SIGTRAP, SI_KERNEL, 0);
	struct env *e = env_start(g_int3, g_int3_end);
	struct trap t;
	run_expect(e, TRAP_SIGNAL, &t);
	ck_assert_uint_eq(e->st.regs.rip, CODE_VA + 1); /* after int3 */
	ck_assert_uint_eq(e->st.regs.orig_rax, (uint64_t)-1);
	/* The signal was suppressed: resuming at the int3 traps again, the stub lives on. */
	e->st.regs.rip = CODE_VA;
	run_expect(e, TRAP_SIGNAL, &t);
	ck_assert_int_eq(t.signo, SIGTRAP);
	env_free(e);
}
END_TEST

struct intr_arg {
	struct env *e;
	uint64_t sent;
};

static void *interrupter(void *arg)
{
	struct intr_arg *a = arg;
	struct timespec ts = { .tv_nsec = 20000000 };

	nanosleep(&ts, NULL);
	a->sent = now_ns();
	a->e->p.ops->interrupt(a->e->c);
	return NULL;
}

START_TEST(test_interrupt)
{
	struct env *e = env_start(g_spin, g_spin_end);
	struct intr_arg a = { .e = e };
	struct trap t;
	pthread_t th;

	/* Before switch_to: the next one returns at once. */
	e->p.ops->interrupt(e->c);
	run_expect(e, TRAP_INTERRUPT, &t);
	ck_assert_uint_eq(e->st.regs.rip, CODE_VA);

	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(pthread_create(&th, NULL, interrupter, &a), 0);
		ck_assert_int_eq(run(e, &t), 0);
		uint64_t lat = now_ns() - a.sent;
		pthread_join(th, NULL);
		ck_assert_int_eq(t.kind, TRAP_INTERRUPT);
		ck_assert_uint_eq(e->st.regs.rip, CODE_VA); /* still in the loop */
		/* Typically ~0.1 ms; generous bound: a loaded 2-CPU host showed 141 ms once. */
		ck_assert_uint_lt(lat, 1000000000ULL);
		printf("%s: interrupt latency %llu us\n", ptest_pf->name,
		       (unsigned long long)(lat / 1000));
	}
	/* Mapping requests still work after interrupts. */
	ck_assert_int_eq(e->p.ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ, DATA_OFF), 0);
	env_free(e);
}
END_TEST

/* An interrupt racing with syscall traps is never lost: some later switch_to reports it. */
START_TEST(test_interrupt_not_lost)
{
	struct env *e = env_start(g_loop, g_loop_end);
	struct trap t;

	for (int i = 0; i < 200; i++) {
		int seen = 0;

		e->p.ops->interrupt(e->c);
		for (int j = 0; j < 3 && !seen; j++) {
			ck_assert_int_eq(run(e, &t), 0);
			seen = t.kind == TRAP_INTERRUPT;
		}
		ck_assert(seen);
	}
	env_free(e);
}
END_TEST

static int avx_usable(void)
{
	return (arch_xsave_features() & 0x6) == 0x6;
}

static uint32_t ymm_offset(void)
{
	unsigned int a, b, c, d;

	__cpuid_count(0xd, 2, a, b, c, d);
	return b;
}

START_TEST(test_fpu_sse)
{
	struct env *e = env_start(g_sse, g_sse_end);
	uint8_t *x = e->st.xsave;
	struct trap t;

	for (int i = 0; i < 16; i++)
		x[160 + i] = (uint8_t)(0x30 + i); /* xmm0 */
	*(uint64_t *)(x + 512) |= 0x2;
	run_expect(e, TRAP_SYSCALL, &t);
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(x[160 + 16 + i], 0x30 + i); /* xmm1 = xmm0 */
	/* Change xmm1 in the Sentry (the cached image differs): the guest sees it. */
	for (int i = 0; i < 16; i++)
		x[160 + 16 + i] = (uint8_t)(0x70 + i);
	run_expect(e, TRAP_SYSCALL, &t);
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(x[160 + 48 + i], 0x70 + i); /* xmm3 = new xmm1 */
	env_free(e);
}
END_TEST

START_TEST(test_fpu_avx)
{
	if (!avx_usable()) {
		printf("%s: no AVX, AVX test skipped\n", ptest_pf->name);
		return;
	}
	struct env *e = env_start(g_fpu, g_fpu_end);
	uint8_t *x = e->st.xsave;
	uint32_t yo = ymm_offset();
	struct trap t;
	uint64_t *bv = (uint64_t *)(x + 512);

	for (int i = 0; i < 16; i++) {
		x[160 + i] = (uint8_t)(0x10 + i);          /* xmm0 */
		x[yo + i] = (uint8_t)(0x80 + i);           /* ymm0 upper half */
		x[160 + 5 * 16 + i] = (uint8_t)(0x40 + i); /* xmm5 */
		x[yo + 5 * 16 + i] = (uint8_t)(0xc0 + i);  /* ymm5 upper */
	}
	*bv |= 0x6;
	run_expect(e, TRAP_SYSCALL, &t);
	for (int i = 0; i < 16; i++) {
		ck_assert_uint_eq(x[160 + 16 + i], 0x10 + i); /* xmm1 = xmm0 */
		ck_assert_uint_eq(x[160 + 32 + i], 0x10 + i); /* xmm2 = xmm0 */
		ck_assert_uint_eq(x[yo + 32 + i], 0x80 + i);  /* ymm2 upper */
	}
	/* Change xmm5/ymm5 in the Sentry: the guest must see the new value. */
	for (int i = 0; i < 16; i++) {
		x[160 + 5 * 16 + i] = (uint8_t)(0x20 + i);
		x[yo + 5 * 16 + i] = (uint8_t)(0x60 + i);
	}
	*bv |= 0x6;
	run_expect(e, TRAP_SYSCALL, &t);
	for (int i = 0; i < 16; i++) {
		ck_assert_uint_eq(x[160 + 6 * 16 + i], 0x20 + i); /* xmm6 */
		ck_assert_uint_eq(x[160 + 7 * 16 + i], 0x20 + i); /* xmm7 */
		ck_assert_uint_eq(x[yo + 7 * 16 + i], 0x60 + i);  /* ymm7 upper */
		ck_assert_uint_eq(x[160 + 16 + i], 0x10 + i);     /* xmm1 kept */
	}
	env_free(e);
}
END_TEST

START_TEST(test_fs_base)
{
	struct env *e = env_start(g_fs, g_fs_end);
	const struct platform_ops *ops = e->p.ops;
	struct trap t;

	*(uint64_t *)(e->mem + DATA_OFF + 8) = 111;
	*(uint64_t *)(e->mem + DATA_OFF + 0x108) = 222;
	ck_assert_int_eq(ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ, DATA_OFF), 0);
	e->st.regs.fs_base = DATA_VA;
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.rdi, 111);
	ck_assert_uint_eq(e->st.regs.fs_base, DATA_VA);
	e->st.regs.fs_base = DATA_VA + 0x100;
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.rdi, 222);

	if (getauxval(AT_HWCAP2) & 2) { /* HWCAP2_FSGSBASE: the guest sets it itself */
		env_load(e, g_wrfs, g_wrfs_end);
		e->st.regs.rdi = 0x12345000;
		run_expect(e, TRAP_SYSCALL, &t);
		ck_assert_uint_eq(e->st.regs.fs_base, 0x12345000);
	}
	env_free(e);
}
END_TEST

START_TEST(test_refuse_stub_region)
{
	struct env *e = env_start(g_loop, g_loop_end);
	const struct platform_ops *ops = e->p.ops;
	uint64_t max = e->p.max_user_addr;
	struct trap t;

	ck_assert_uint_ge(max, 1ULL << 44);
	ck_assert_int_eq(ops->as_map(e->as, max - 0x1000, 0x2000, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, max, 0x1000, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, ptest_pf->stub_page(&e->p), 0x1000, PROT_READ, 0),
			 -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, ~0xfffULL, 0x1000, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, 0x1000, ~0xfffULL, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, DATA_VA + 1, 0x1000, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ, 1), -EINVAL);
	ck_assert_int_eq(ops->as_unmap(e->as, max - 0x1000, 0x2000), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, max - 0x1000, 0x1000, PROT_READ, 0), 0);
	/* The stub still runs the guest. */
	run_expect(e, TRAP_SYSCALL, &t);
	env_free(e);
}
END_TEST

void ptest_add_common(TCase *tc)
{
	tcase_add_test(tc, test_syscall_trap);
	tcase_add_test(tc, test_syscall_loop);
	tcase_add_test(tc, test_map_then_retry);
	tcase_add_test(tc, test_unmap_then_fault);
	tcase_add_test(tc, test_signals);
	tcase_add_test(tc, test_interrupt);
	tcase_add_test(tc, test_interrupt_not_lost);
	tcase_add_test(tc, test_fpu_sse);
	tcase_add_test(tc, test_fpu_avx);
	tcase_add_test(tc, test_fs_base);
	tcase_add_test(tc, test_refuse_stub_region);
}
