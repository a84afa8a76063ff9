// SPDX-License-Identifier: Apache-2.0
/*
 * systrap platform: syscall/fault/signal traps, interrupts, FPU and fs_base round trips,
 * mapping, and a guest that attacks the stub. Guest code is assembled into this binary.
 */
#include <check.h>
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "platform/systrap/systrap.h"
#include "platform/systrap/systrap_impl.h"

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

BLOB(g_syscall, "mov $39, %eax; mov $1, %edi; mov $2, %esi; mov $3, %edx; mov $4, %r10d;"
		"mov $5, %r8d; mov $6, %r9d; syscall; g_syscall_after: mov %rax, %rdi;"
		"mov $60, %eax; syscall");
extern const char g_syscall_after[];
__asm__(".globl g_syscall_after\n .hidden g_syscall_after\n");
BLOB(g_loop, "1: mov $39, %eax; syscall; jmp 1b");
BLOB(g_read, "mov (%rdi), %rax; mov %rax, %rdi; mov $1, %eax; syscall");
BLOB(g_write, "movq $0x55, (%rdi); mov $1, %eax; syscall");
BLOB(g_exec, "call *%rdi");
BLOB(g_ud2, "ud2");
BLOB(g_int3, "int3");
BLOB(g_div, "xor %ecx, %ecx; mov $1, %eax; xor %edx, %edx; div %rcx");
BLOB(g_spin, "1: jmp 1b");
BLOB(g_fpu, "movaps %xmm0, %xmm1; vmovdqa %ymm0, %ymm2; mov $39, %eax; syscall;"
	    "movaps %xmm5, %xmm6; vmovdqa %ymm5, %ymm7; mov $39, %eax; syscall");
BLOB(g_fs, "mov %fs:8, %rdi; mov $39, %eax; syscall; mov %fs:8, %rdi; mov $39, %eax; syscall");
BLOB(g_wrfs, "wrfsbase %rdi; mov $39, %eax; syscall");
BLOB(g_jump, "jmp *%rbx");
BLOB(g_call, "call *%rbx; mov $39, %eax; syscall");
BLOB(g_int80, "int $0x80; mov $39, %eax; syscall");
BLOB(g_scribble, "mov $0xff, %eax; rep stosb; mov $39, %eax; syscall");
BLOB(g_openat, "mov $257, %eax; syscall; mov $39, %eax; syscall");

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
	e->p.ops = &systrap_platform_ops;
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
	free(e);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

START_TEST(test_syscall_trap)
{
	struct env *e = env_start(g_syscall, g_syscall_end);
	struct trap t;

	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.orig_rax, 39);
	ck_assert_uint_eq(e->st.regs.rax, (uint64_t)-ENOSYS);
	ck_assert_uint_eq(e->st.regs.rip, CODE_VA + (uint64_t)(g_syscall_after - g_syscall));
	ck_assert_uint_eq(e->st.regs.rcx, e->st.regs.rip); /* as ptrace shows it */
	uint64_t a[6];
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
	env_free(e);
}
END_TEST

START_TEST(test_syscall_loop)
{
	struct env *e = env_start(g_loop, g_loop_end);
	struct trap t;
	const int n = 20000;

	run_expect(e, TRAP_SYSCALL, &t); /* warm up */
	uint64_t t0 = now_ns();
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(run(e, &t), 0);
		if (t.kind != TRAP_SYSCALL || e->st.regs.orig_rax != 39)
			ck_abort_msg("trap %d nr %llu", t.kind,
				     (unsigned long long)e->st.regs.orig_rax);
	}
	uint64_t dt = now_ns() - t0;
	printf("systrap: %d syscall round trips, %llu ns each\n", n,
	       (unsigned long long)(dt / (uint64_t)n));
	env_free(e);
}
END_TEST

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
	uint64_t t0 = now_ns();
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ, DATA_OFF), 0);
		ck_assert_int_eq(ops->as_unmap(e->as, DATA_VA, 0x1000), 0);
	}
	printf("systrap: as_map+as_unmap %llu ns per pair\n",
	       (unsigned long long)((now_ns() - t0) / (uint64_t)n));
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
	ck_assert_uint_eq(e->st.regs.rip, CODE_VA + 1); /* after int3, like ptrace */
	ck_assert_uint_eq(e->st.regs.orig_rax, (uint64_t)-1);
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
		/* Latency is a benchmark figure; the bound only catches a lost interrupt on a busy machine. */
		ck_assert_uint_lt(lat, 1000000000ULL);
		printf("systrap: interrupt latency %llu us\n", (unsigned long long)(lat / 1000));
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

START_TEST(test_fpu_avx)
{
	if (!avx_usable()) {
		printf("systrap: no AVX, FPU test skipped\n");
		return;
	}
	struct env *e = env_start(g_fpu, g_fpu_end);
	uint8_t *x = e->st.xsave;
	uint32_t yo = ymm_offset();
	struct trap t;
	uint64_t *bv = (uint64_t *)(x + 512);

	for (int i = 0; i < 16; i++) {
		x[160 + i] = (uint8_t)(0x10 + i);      /* xmm0 */
		x[yo + i] = (uint8_t)(0x80 + i);       /* ymm0 upper half */
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

	ck_assert_uint_ge(max, 1ULL << 44);
	ck_assert_int_eq(ops->as_map(e->as, max - 0x1000, 0x2000, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, max, 0x1000, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, max + STUB_MSG_OFF, 0x1000, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, ~0xfffULL, 0x1000, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, 0x1000, ~0xfffULL, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, DATA_VA + 1, 0x1000, PROT_READ, 0), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ, 1), -EINVAL);
	ck_assert_int_eq(ops->as_unmap(e->as, max - 0x1000, 0x2000), -EINVAL);
	ck_assert_int_eq(ops->as_map(e->as, max - 0x1000, 0x1000, PROT_READ, 0), 0);
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
				systrap_site_s_write };

	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
		jump_case(sites[i], __NR_kill, (uint64_t)me, SIGKILL, 0);
		jump_case(sites[i], __NR_getpid, 0, 0, 0);
	}
	/* The syscall thread's own calls, from a guest thread: still death. */
	jump_case(systrap_site_s_write, __NR_write, 2, systrap_region.base, 8);
	jump_case(systrap_site_s_mmap, __NR_mmap, DATA_VA, 0x1000, PROT_READ);
	jump_case(systrap_site_s_munmap, __NR_munmap, systrap_region.base, 0x1000, 0);
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
	tcase_add_test(tc, test_syscall_trap);
	tcase_add_test(tc, test_syscall_loop);
	tcase_add_test(tc, test_fault_access);
	tcase_add_test(tc, test_map_then_retry);
	tcase_add_test(tc, test_unmap_then_fault);
	tcase_add_test(tc, test_signals);
	tcase_add_test(tc, test_interrupt);
	tcase_add_test(tc, test_fpu_avx);
	tcase_add_test(tc, test_fs_base);
	tcase_add_test(tc, test_refuse_stub_region);
	tcase_add_test(tc, test_security_jump_to_sites);
	tcase_add_test(tc, test_security_openat);
	tcase_add_test(tc, test_security_int80);
	tcase_add_test(tc, test_security_harmless_site_use);
	tcase_add_test(tc, test_security_scribble);
	suite_add_tcase(s, tc);
	return s;
}
