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

/*
 * ptrace_wait_stop - wait for the next stop of stub thread @t. Returns 0 with the waitpid
 * status in @status, or -ESRCH when the thread exited (it is reaped and marked dead).
 */
int ptrace_wait_stop(struct ptrace_thread *t, int *status)
{
	pid_t r;

	do
		r = waitpid(t->tid, status, __WALL);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		log_warn("ptrace: waitpid(%d): %s", t->tid, strerror(errno));
		t->dead = 1;
		return -ESRCH;
	}
	if (WIFSTOPPED(*status))
		return 0;
	log_debug("ptrace: stub %d gone (status %#x)", t->tid, *status);
	t->dead = 1;
	return -ESRCH;
}

/**
 * ptrace_bind_cpu - pin the stopped stub to the CPU the tracer runs on.
 * Every stop and resume hands the CPU between tracer and stub; on one CPU that is a
 * plain context switch instead of a cross-CPU wake-up (gVisor's ptrace does the same).
 * Only a hint: failures are ignored, and the binding follows the tracer when it moves.
 */
void ptrace_bind_cpu(struct ptrace_thread *t)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0 || cpu == t->cpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (!sched_setaffinity(t->tid, sizeof(set), &set))
		t->cpu = cpu;
}

/**
 * ptrace_as_thread - the stub thread of @as that the calling host thread traces.
 * Returns 0, -EPERM when the caller traces none (today only the thread that called
 * as_new does), or -ESRCH when it has died. Later: create one on demand here.
 */
int ptrace_as_thread(struct ptrace_as *as, struct ptrace_thread **out)
{
	struct ptrace_thread *t = &as->main;

	if ((pid_t)syscall(SYS_gettid) != t->tracer)
		return -EPERM;
	if (t->dead)
		return -ESRCH;
	*out = t;
	return 0;
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
static int inject(struct ptrace_thread *t, uint64_t nr, const uint64_t a[6], uint64_t *ret)
{
	struct user_regs_struct regs = t->tmpl;
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
	r = pt(PTRACE_SETREGS, t->tid, NULL, &regs);
	if (r)
		return r;
	ptrace_bind_cpu(t);
	for (;;) {
		r = pt(PTRACE_CONT, t->tid, NULL, NULL);
		if (r)
			return r;
		r = ptrace_wait_stop(t, &st);
		if (r)
			return r;
		if (WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0)
			break;
	}
	r = pt(PTRACE_GETREGS, t->tid, NULL, &regs);
	if (r)
		return r;
	if (regs.rip != ptrace_stub_addr(ptrace_stub_syscall) + 3) {
		log_warn("ptrace: stub %d stopped at %#llx after an injected syscall", t->tid,
			 (unsigned long long)regs.rip);
		return -EIO;
	}
	*ret = regs.rax;
	return 0;
}

/*
 * Common checks of every mapping request. Returns 0 with the stub thread to inject into
 * in @t, or -errno.
 */
static int check_range(struct ptrace_as *as, uint64_t va, uint64_t len,
		       struct ptrace_thread **t)
{
	uint64_t max = as->base.p->max_user_addr;

	if ((va | len) & (PAGE_SIZE - 1) || !len)
		return -EINVAL;
	if (va >= max || len > max - va)
		return -EINVAL;
	return ptrace_as_thread(as, t);
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
	struct ptrace_thread *t;
	uint64_t raw = 0;
	int r;

	if (off & (PAGE_SIZE - 1) || prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	r = check_range(as, va, len, &t);
	if (r)
		return r;
	r = syscall_result(raw, inject(t, __NR_mmap, a, &raw));
	if (!r && raw != va)
		r = -EIO;
	return r;
}

int ptrace_as_unmap(struct addrspace *base, uint64_t va, uint64_t len)
{
	struct ptrace_as *as = to_ptrace_as(base);
	uint64_t a[6] = { va, len };
	struct ptrace_thread *t;
	uint64_t raw = 0;
	int r;

	r = check_range(as, va, len, &t);
	if (r)
		return r;
	return syscall_result(raw, inject(t, __NR_munmap, a, &raw));
}

/*
 * Kill and reap the stub process. Works from any thread of the Sentry (a thread group
 * may wait for its threads' children and tracees). A stop report nobody collected yet
 * may come first: keep waiting for the exit.
 */
static void stub_kill(struct ptrace_as *as)
{
	pid_t r;
	int st;

	if (as->main.dead)
		return;
	kill(as->pid, SIGKILL);
	for (;;) {
		r = waitpid(as->pid, &st, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || WIFEXITED(st) || WIFSIGNALED(st))
			break;
	}
	as->main.dead = 1;
}

/* Seize the new stub and wait until it has cleaned up and stopped itself. */
static int stub_attach(struct ptrace_thread *t)
{
	int st, r;

	r = pt(PTRACE_SEIZE, t->tid, NULL,
	       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
	if (r)
		return r;
	r = ptrace_wait_stop(t, &st);
	if (r)
		return r;
	r = pt(PTRACE_GETREGS, t->tid, NULL, &t->tmpl);
	if (r)
		return r;
	t->tmpl.ds = t->tmpl.es = t->tmpl.fs = t->tmpl.gs = 0;
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
	as->main.tracer = (pid_t)syscall(SYS_gettid);
	as->main.cpu = -1;
	rseq_area(&rseq, &rseq_len);
	pid = ptrace_clone_stub(p->memfd, ptrace_stub_addr(ptrace_stub_entry), rseq, rseq_len);
	if (pid < 0) {
		free(as);
		return (int)pid;
	}
	as->pid = (pid_t)pid;
	as->main.tid = (pid_t)pid;
	r = stub_attach(&as->main);
	if (r) {
		log_warn("ptrace: stub %d failed to start: %s", as->pid, strerror(-r));
		stub_kill(as);
		free(as);
		return r == -ESRCH ? -ECHILD : r;
	}
	*out = &as->base;
	return 0;
}

/* The stub process's CPU clock: Linux's MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED). */
int ptrace_as_cpu_clock(struct addrspace *base, int *out)
{
	pid_t pid = to_ptrace_as(base)->pid;

	if (pid <= 0)
		return -ENOSYS;
	*out = (int)((~(unsigned int)pid) << 3) | 2;
	return 0;
}

void ptrace_as_release(struct addrspace *base)
{
	struct ptrace_as *as = to_ptrace_as(base);

	stub_kill(as);
	free(as);
}
