// SPDX-License-Identifier: Apache-2.0
/*
 * ptrace platform: syscall/fault/signal traps, interrupts, FPU and fs_base round trips,
 * mapping, the stub region and stub death. Guest code is assembled into this binary.
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/ptrace/ptrace.h"
#include "platform/ptrace/ptrace_impl.h"

#define MEM_SIZE (16UL << 20)
#define CODE_VA 0x400000ULL
#define CODE_OFF 0x0
#define DATA_VA 0x600000ULL
#define DATA_OFF 0x10000
#define STACK_VA 0x7000000ULL
#define STACK_OFF 0x100000
#define STACK_LEN 0x10000

/* Guest code blobs (copied into the memory file; position independent). */
#define BLOB(name, body)                                                  \
	__asm__(".pushsection .rodata\n .globl " #name "\n .hidden " #name \
		"\n" #name ":\n" body "\n .globl " #name "_end\n .hidden " #name \
		"_end\n" #name "_end:\n .popsection\n");                      \
	extern const char name[], name##_end[]

BLOB(pg_syscall, "mov $39, %eax; mov $1, %edi; mov $2, %esi; mov $3, %edx; mov $4, %r10d;"
		 "mov $5, %r8d; mov $6, %r9d; syscall; pg_syscall_after: mov %rax, %rdi;"
		 "mov $60, %eax; syscall");
extern const char pg_syscall_after[];
__asm__(".globl pg_syscall_after\n .hidden pg_syscall_after\n");
BLOB(pg_loop, "1: mov $39, %eax; syscall; jmp 1b");
BLOB(pg_read, "mov (%rdi), %rax; mov %rax, %rdi; mov $1, %eax; syscall");
BLOB(pg_write, "movq $0x55, (%rdi); mov $1, %eax; syscall");
BLOB(pg_ud2, "ud2");
BLOB(pg_int3, "int3");
BLOB(pg_int80, "mov $20, %eax; int $0x80; mov $39, %eax; syscall");
BLOB(pg_div, "xor %ecx, %ecx; mov $1, %eax; xor %edx, %edx; div %rcx");
BLOB(pg_spin, "1: jmp 1b");
BLOB(pg_fpu, "movaps %xmm0, %xmm1; vmovdqa %ymm0, %ymm2; mov $39, %eax; syscall;"
	     "movaps %xmm5, %xmm6; vmovdqa %ymm5, %ymm7; mov $39, %eax; syscall");
BLOB(pg_sse, "movaps %xmm0, %xmm1; mov $39, %eax; syscall; movaps %xmm1, %xmm3;"
	     "mov $39, %eax; syscall");
BLOB(pg_fs, "mov %fs:8, %rdi; mov $39, %eax; syscall; mov %fs:8, %rdi; mov $39, %eax; syscall");
BLOB(pg_wrfs, "wrfsbase %rdi; mov $39, %eax; syscall");

struct env {
	struct platform p;
	struct addrspace *as;
	struct pctx *c;
	struct arch_state st;
	uint8_t *mem;
};

static void env_setup(struct env *e)
{
	int fd;

	memset(e, 0, sizeof(*e));
	fd = memfd_create("test-memory", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, MEM_SIZE), 0);
	e->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(e->mem, MAP_FAILED);
	e->p.ops = &ptrace_platform_ops;
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

static void env_load(struct env *e, const char *start, const char *end)
{
	memset(e->mem + CODE_OFF, 0xcc, 0x1000);
	memcpy(e->mem + CODE_OFF, start, (size_t)(end - start));
	memset(&e->st.regs, 0, sizeof(e->st.regs));
	e->st.regs.rip = CODE_VA;
	e->st.regs.rsp = STACK_VA + STACK_LEN - 64;
	e->st.regs.eflags = 0x202;
}

static struct env *env_start(const char *start, const char *end)
{
	struct env *e = malloc(sizeof(*e));

	ck_assert_ptr_nonnull(e);
	env_setup(e);
	env_new_as(e);
	env_load(e, start, end);
	return e;
}

static int run(struct env *e, struct trap *t)
{
	return e->p.ops->switch_to(e->c, e->as, &e->st, t);
}

static void run_expect(struct env *e, enum trap_kind kind, struct trap *t)
{
	ck_assert_int_eq(run(e, t), 0);
	ck_assert_int_eq(t->kind, kind);
}

static void env_free(struct env *e)
{
	if (e->as)
		e->p.ops->as_release(e->as);
	e->p.ops->ctx_release(e->c);
	arch_state_destroy(&e->st);
	munmap(e->mem, MEM_SIZE);
	close(e->p.memfd);
	free(e);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
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

START_TEST(test_syscall_trap)
{
	struct env *e = env_start(pg_syscall, pg_syscall_end);
	struct trap t;
	uint64_t a[6];

	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.orig_rax, 39);
	ck_assert_uint_eq(e->st.regs.rax, (uint64_t)-ENOSYS);
	ck_assert_uint_eq(e->st.regs.rip, CODE_VA + (uint64_t)(pg_syscall_after - pg_syscall));
	ck_assert_uint_eq(e->st.regs.rcx, e->st.regs.rip);
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
	env_load(e, pg_syscall, pg_syscall_end);
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
	struct env *e = env_start(pg_loop, pg_loop_end);
	struct trap t;
	const int n = 10000;

	run_expect(e, TRAP_SYSCALL, &t); /* warm up */
	uint64_t t0 = now_ns();
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(run(e, &t), 0);
		if (t.kind != TRAP_SYSCALL || e->st.regs.orig_rax != 39)
			ck_abort_msg("trap %d nr %llu", t.kind,
				     (unsigned long long)e->st.regs.orig_rax);
	}
	uint64_t dt = now_ns() - t0;
	printf("ptrace: %d syscall round trips, %llu ns each\n", n,
	       (unsigned long long)(dt / (uint64_t)n));
	env_free(e);
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
	fault_case(pg_read, pg_read_end, DATA_VA + 8, DATA_VA + 8, SEGV_MAPERR);
	fault_case(pg_write, pg_write_end, DATA_VA + 16, DATA_VA + 16, SEGV_MAPERR);
	/* Write to a read-only (code) page: a protection fault. */
	fault_case(pg_write, pg_write_end, CODE_VA + 0x800, CODE_VA + 0x800, SEGV_ACCERR);
}
END_TEST

START_TEST(test_map_then_retry)
{
	struct env *e = env_start(pg_read, pg_read_end);
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

	/* The cost of a mapping change (one injected syscall each). */
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
	printf("ptrace: as_map %llu ns, as_unmap %llu ns\n",
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
	struct env *e = env_start(pg_read, pg_read_end);
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
	signal_case(pg_ud2, pg_ud2_end, SIGILL, ILL_ILLOPN, CODE_VA);
	signal_case(pg_div, pg_div_end, SIGFPE, FPE_INTDIV, CODE_VA + 9);
	signal_case(pg_int3, pg_int3_end, SIGTRAP, SI_KERNEL, 0);
	struct env *e = env_start(pg_int3, pg_int3_end);
	struct trap t;
	run_expect(e, TRAP_SIGNAL, &t);
	ck_assert_uint_eq(e->st.regs.rip, CODE_VA + 1); /* after int3 */
	/* The signal was suppressed: resuming at the int3 traps again, the stub lives on. */
	e->st.regs.rip = CODE_VA;
	run_expect(e, TRAP_SIGNAL, &t);
	ck_assert_int_eq(t.signo, SIGTRAP);
	env_free(e);
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
	struct env *e = env_start(pg_spin, pg_spin_end);
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
		ck_assert_uint_lt(lat, 1000000000);
		printf("ptrace: interrupt latency %llu us\n", (unsigned long long)(lat / 1000));
	}
	/* Mapping requests still work after interrupts. */
	ck_assert_int_eq(e->p.ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ, DATA_OFF), 0);
	env_free(e);
}
END_TEST

/* An interrupt racing with syscall traps is never lost: some later switch_to reports it. */
START_TEST(test_interrupt_not_lost)
{
	struct env *e = env_start(pg_loop, pg_loop_end);
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
	struct env *e = env_start(pg_sse, pg_sse_end);
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
		printf("ptrace: no AVX, AVX test skipped\n");
		return;
	}
	struct env *e = env_start(pg_fpu, pg_fpu_end);
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
	struct env *e = env_start(pg_fs, pg_fs_end);
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
		env_load(e, pg_wrfs, pg_wrfs_end);
		e->st.regs.rdi = 0x12345000;
		run_expect(e, TRAP_SYSCALL, &t);
		ck_assert_uint_eq(e->st.regs.fs_base, 0x12345000);
	}
	env_free(e);
}
END_TEST

START_TEST(test_refuse_stub_region)
{
	struct env *e = env_start(pg_loop, pg_loop_end);
	const struct platform_ops *ops = e->p.ops;
	uint64_t max = e->p.max_user_addr;

	ck_assert_uint_ge(max, 1ULL << 44);
	ck_assert_int_eq(ops->as_map(e->as, max - 0x1000, 0x2000, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, max, 0x1000, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, ptrace_stub_addr(ptrace_stub_syscall) & ~0xfffULL,
				     0x1000, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, ~0xfffULL, 0x1000, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, 0x1000, ~0xfffULL, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, DATA_VA + 1, 0x1000, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ, 1), -EINVAL);
	ck_assert_int_eq(ops->as_unmap(e->as, max - 0x1000, 0x2000), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, max - 0x1000, 0x1000, PROT_READ, 0), 0);
	/* The stub still runs the guest. */
	struct trap t;
	run_expect(e, TRAP_SYSCALL, &t);
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
	struct env *e = env_start(pg_loop, pg_loop_end);
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

/* Only the tracer thread may drive the stub; a dead stub reports -ESRCH. */
START_TEST(test_tracer_thread_and_death)
{
	struct env *e = env_start(pg_loop, pg_loop_end);
	struct other_arg a = { .e = e };
	struct trap t;
	pthread_t th;

	ck_assert_int_eq(pthread_create(&th, NULL, other_thread, &a), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(a.map, -EPERM);
	ck_assert_int_eq(a.run, -EPERM);
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_int_eq(kill(to_ptrace_as(e->as)->pid, SIGKILL), 0);
	ck_assert_int_eq(run(e, &t), -ESRCH);
	ck_assert_int_eq(run(e, &t), -ESRCH);
	ck_assert_int_eq(e->p.ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ, DATA_OFF), -ESRCH);
	env_free(e);
}
END_TEST

Suite *ptrace_suite(void);
Suite *ptrace_suite(void)
{
	Suite *s = suite_create("ptrace");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_registry);
	tcase_add_test(tc, test_syscall_trap);
	tcase_add_test(tc, test_syscall_loop);
	tcase_add_test(tc, test_fault);
	tcase_add_test(tc, test_map_then_retry);
	tcase_add_test(tc, test_unmap_then_fault);
	tcase_add_test(tc, test_signals);
	tcase_add_test(tc, test_int80);
	tcase_add_test(tc, test_interrupt);
	tcase_add_test(tc, test_interrupt_not_lost);
	tcase_add_test(tc, test_fpu_sse);
	tcase_add_test(tc, test_fpu_avx);
	tcase_add_test(tc, test_fs_base);
	tcase_add_test(tc, test_refuse_stub_region);
	tcase_add_test(tc, test_tracer_thread_and_death);
	tcase_add_test(tc, test_as_lifecycle);
	suite_add_tcase(s, tc);
	return s;
}
