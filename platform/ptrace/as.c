// SPDX-License-Identifier: Apache-2.0
/*
 * ptrace address spaces: one stopped stub process each, seized by the creating thread.
 * Mapping changes are mmap/munmap calls injected into the stub.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "ptrace_impl.h"

/*
 * glibc registers an rseq area per thread; the stub inherits the forking thread's
 * registration and must drop it before unmapping that memory (see stub.S).
 */
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

static void rseq_area(uint64_t *addr, uint64_t *len)
{
	*addr = 0;
	*len = 0;
	if (&__rseq_size && &__rseq_offset && __rseq_size) {
		*addr = (uint64_t)__builtin_thread_pointer() + (uint64_t)__rseq_offset;
		*len = __rseq_size;
	}
}

/* The stub exited and waitpid reaped it: never signal or wait on its pid again. */
static void as_mark_dead(struct ptrace_as *as)
{
	as->dead = 1;
}

/*
 * ptrace_wait_stop - wait for the next stop of @as's stub. Returns 0 with the waitpid
 * status in @status, or -ESRCH when the stub exited (it is reaped and marked dead).
 */
int ptrace_wait_stop(struct ptrace_as *as, int *status)
{
	pid_t r;

	do
		r = waitpid(as->pid, status, __WALL);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		log_warn("ptrace: waitpid(%d): %s", as->pid, strerror(errno));
		as_mark_dead(as);
		return -ESRCH;
	}
	if (WIFSTOPPED(*status))
		return 0;
	log_debug("ptrace: stub %d gone (status %#x)", as->pid, *status);
	as_mark_dead(as);
	return -ESRCH;
}

/**
 * ptrace_bind_cpu - pin the stopped stub to the CPU the tracer runs on.
 * Every stop and resume hands the CPU between tracer and stub; on one CPU that is a
 * plain context switch instead of a cross-CPU wake-up (gVisor's ptrace does the same).
 * Only a hint: failures are ignored, and the binding follows the tracer when it moves.
 */
void ptrace_bind_cpu(struct ptrace_as *as)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0 || cpu == as->cpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (!sched_setaffinity(as->pid, sizeof(set), &set))
		as->cpu = cpu;
}

/* ptrace() for a stopped stub: 0, or -errno (ESRCH: not stopped or gone). */
static int pt(int req, pid_t pid, void *addr, void *data)
{
	if (ptrace((enum __ptrace_request)req, pid, addr, data) < 0)
		return -errno;
	return 0;
}

/*
 * Run one syscall in the stopped stub: registers point at `syscall; int3` in the stub,
 * PTRACE_CONT, wait for the int3's SIGTRAP. Other signal stops on the way (a late
 * interrupt signal) are suppressed. Returns the syscall's raw result in @ret, or -errno.
 */
static int inject(struct ptrace_as *as, uint64_t nr, const uint64_t a[6], uint64_t *ret)
{
	struct user_regs_struct regs = as->tmpl;
	int st, r;

	regs.rip = ptrace_stub_addr(ptrace_stub_syscall);
	regs.rax = nr;
	regs.orig_rax = (uint64_t)-1;
	regs.rdi = a[0];
	regs.rsi = a[1];
	regs.rdx = a[2];
	regs.r10 = a[3];
	regs.r8 = a[4];
	regs.r9 = a[5];
	regs.rsp = 0;
	regs.fs_base = 0;
	regs.gs_base = 0;
	r = pt(PTRACE_SETREGS, as->pid, NULL, &regs);
	if (r)
		return r;
	ptrace_bind_cpu(as);
	for (;;) {
		r = pt(PTRACE_CONT, as->pid, NULL, NULL);
		if (r)
			return r;
		r = ptrace_wait_stop(as, &st);
		if (r)
			return r;
		if (WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0)
			break;
	}
	r = pt(PTRACE_GETREGS, as->pid, NULL, &regs);
	if (r)
		return r;
	if (regs.rip != ptrace_stub_addr(ptrace_stub_syscall) + 3) {
		log_warn("ptrace: stub %d stopped at %#llx after an injected syscall", as->pid,
			 (unsigned long long)regs.rip);
		return -EIO;
	}
	*ret = regs.rax;
	return 0;
}

/* Common checks of every mapping request; 0 when the request may go to the stub. */
static int check_range(struct ptrace_as *as, uint64_t va, uint64_t len)
{
	uint64_t max = as->base.p->max_user_addr;

	if ((va | len) & (PAGE_SIZE - 1) || !len)
		return -EINVAL;
	if (va >= max || len > max - va)
		return -EINVAL;
	if (as->dead)
		return -ESRCH;
	if ((pid_t)syscall(SYS_gettid) != as->tracer)
		return -EPERM;
	return 0;
}

static int syscall_result(uint64_t raw, int r)
{
	if (r)
		return r;
	if (raw >= (uint64_t)-4095)
		return (int)(int64_t)raw;
	return 0;
}

int ptrace_as_map(struct addrspace *base, uint64_t va, uint64_t len, int prot, uint64_t off)
{
	struct ptrace_as *as = to_ptrace_as(base);
	uint64_t a[6] = { va, len, (uint64_t)prot, MAP_SHARED | MAP_FIXED,
			  (uint64_t)base->p->memfd, off };
	uint64_t raw = 0;
	int r;

	if (off & (PAGE_SIZE - 1) || prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	r = check_range(as, va, len);
	if (r)
		return r;
	r = syscall_result(raw, inject(as, __NR_mmap, a, &raw));
	if (!r && raw != va)
		r = -EIO;
	return r;
}

int ptrace_as_unmap(struct addrspace *base, uint64_t va, uint64_t len)
{
	struct ptrace_as *as = to_ptrace_as(base);
	uint64_t a[6] = { va, len };
	uint64_t raw = 0;
	int r;

	r = check_range(as, va, len);
	if (r)
		return r;
	return syscall_result(raw, inject(as, __NR_munmap, a, &raw));
}

/* Kill and reap a stub that never became usable. */
static void stub_kill(struct ptrace_as *as)
{
	int st;

	if (as->dead)
		return;
	kill(as->pid, SIGKILL);
	while (waitpid(as->pid, &st, __WALL) < 0 && errno == EINTR)
		;
	as->dead = 1;
}

/* Seize the new stub and wait until it has cleaned up and stopped itself. */
static int stub_attach(struct ptrace_as *as)
{
	int st, r;

	r = pt(PTRACE_SEIZE, as->pid, NULL,
	       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
	if (r)
		return r;
	r = ptrace_wait_stop(as, &st);
	if (r)
		return r;
	r = pt(PTRACE_GETREGS, as->pid, NULL, &as->tmpl);
	if (r)
		return r;
	as->tmpl.ds = as->tmpl.es = as->tmpl.fs = as->tmpl.gs = 0;
	return 0;
}

int ptrace_as_new(struct platform *p, struct addrspace **out)
{
	struct ptrace_as *as = calloc(1, sizeof(*as));
	uint64_t rseq, rseq_len;
	long pid;
	int r;

	if (!as)
		return -ENOMEM;
	as->base.ops = p->ops;
	as->base.p = p;
	as->tracer = (pid_t)syscall(SYS_gettid);
	as->cpu = -1;
	rseq_area(&rseq, &rseq_len);
	pid = ptrace_clone_stub(p->memfd, ptrace_stub_addr(ptrace_stub_entry), rseq, rseq_len);
	if (pid < 0) {
		free(as);
		return (int)pid;
	}
	as->pid = (pid_t)pid;
	r = stub_attach(as);
	if (r) {
		log_warn("ptrace: stub %d failed to start: %s", as->pid, strerror(-r));
		stub_kill(as);
		free(as);
		return r == -ESRCH ? -ECHILD : r;
	}
	*out = &as->base;
	return 0;
}

void ptrace_as_release(struct addrspace *base)
{
	struct ptrace_as *as = to_ptrace_as(base);

	stub_kill(as);
	free(as);
}
