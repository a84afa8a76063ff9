/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ptrace platform internals shared by the Sentry side (C) and the stub (stub.S): the
 * stub region layout and, below __ASSEMBLER__, the address-space and context structs.
 */
#ifndef SBX_PLATFORM_PTRACE_PTRACE_IMPL_H
#define SBX_PLATFORM_PTRACE_PTRACE_IMPL_H

/*
 * Stub region, reserved in the Sentry at init at the highest free candidate at or below
 * PTRACE_REGION_TOP (p->max_user_addr == its base) and inherited by every forked stub:
 *   +0x0000 code  R-X  private copy of ptrace_stub_start..ptrace_stub_end
 * The rest of the region stays PROT_NONE. The candidates differ from systrap's so both
 * platforms can be initialised in one process (MAP_FIXED_NOREPLACE settles any clash).
 */
#define PTRACE_REGION_TOP 0x7d0000000000ULL
#define PTRACE_REGION_BOTTOM 0x100000000000ULL
#define PTRACE_REGION_STEP 0x8000000000ULL
#define PTRACE_REGION_SIZE 0x200000
#define PTRACE_CODE_MAX 0x10000
/* Top of the x86-64 user address space (47 bits; the stub unmaps up to here). */
#define PTRACE_TASK_TOP 0x7ffffffff000

#ifndef __ASSEMBLER__

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "lib/compiler.h"
#include "platform/platform.h"

/* Stub code symbols (stub.S). Only offsets from ptrace_stub_start are meaningful. */
extern const char ptrace_stub_start[], ptrace_stub_end[];
extern const char ptrace_stub_entry[], ptrace_stub_syscall[];
/*
 * ptrace_clone_stub - fork (raw clone(SIGCHLD), no atfork handlers); the child jumps to
 * @entry with @memfd, @rseq, @rseq_len and never returns into C. Returns the pid or -errno.
 */
long ptrace_clone_stub(long memfd, uint64_t entry, uint64_t rseq, uint64_t rseq_len);

/* ptrace.c: the stub region, process-wide, set once at init. */
extern uint64_t ptrace_region_base;

/* Address of stub symbol @sym inside the stub region (as seen by every stub process). */
static inline uint64_t ptrace_stub_addr(const char *sym)
{
	return ptrace_region_base + (uint64_t)(sym - ptrace_stub_start);
}

/*
 * struct ptrace_thread - one stub thread and the host thread that traces it. Everything
 * that drives a stub (waits, injected syscalls, switch_to) goes through one of these.
 * @tid:     the stub thread.
 * @tracer:  host tid of the thread that seized it; the only thread that may map, unmap or
 *           switch_to through it (ptrace binds a tracee to one tracer thread).
 * @dead:    the stub exited and has been reaped (never signal or wait on @tid again).
 * @busy:    a switch_to is running on it (atomic).
 * @tmpl:    the thread's registers at its first stop: segment selectors, eflags.
 * @fpu_ctx: the context whose XSAVE image was last loaded into / saved from the thread.
 * @cpu:     the host CPU the thread is bound to (-1: not bound), see ptrace_bind_cpu().
 */
struct ptrace_thread {
	pid_t tid;
	pid_t tracer;
	int dead;
	int busy;
	struct user_regs_struct tmpl;
	const void *fpu_ctx;
	int cpu;
};

/*
 * struct ptrace_as - an address space: one stub process.
 * @pid:  the stub process (tgid), killed and reaped by as_release.
 * @main: its first (today: only) thread, traced by the thread that called as_new.
 *
 * One thread per address space for now. Multi-threaded guests and several Sentry threads
 * per address space (gVisor's design) need a stub thread per (tracer thread, address
 * space), created on demand by injecting clone(CLONE_VM|CLONE_THREAD|...) through @main
 * and seized by the asking thread; ptrace_as_thread() is the one place that picks the
 * thread, and nothing else assumes there is only one.
 */
struct ptrace_as {
	struct addrspace base;
	pid_t pid;
	struct ptrace_thread main;
};

#define to_ptrace_as(as) container_of(as, struct ptrace_as, base)

/*
 * struct ptrace_ctx - a context (one guest thread's run loop on its Sentry thread).
 * @mu:          protects @running_tid against interrupt() signalling a reaped stub.
 * @running_pid: stub process of the thread a switch_to is running (protected by @mu).
 * @running_tid: that stub thread, 0 when none (protected by @mu).
 * @interrupted: interrupt() was called and no TRAP_INTERRUPT returned since (atomic).
 * @fpu:         copy of the XSAVE image last loaded into / saved from @fpu_thr.
 * @fpu_thr:     the stub thread that holds @fpu (NULL: none).
 */
struct ptrace_ctx {
	struct pctx base;
	pthread_mutex_t mu;
	pid_t running_pid;
	pid_t running_tid;
	int interrupted;
	uint8_t *fpu;
	const struct ptrace_thread *fpu_thr;
};

#define to_ptrace_ctx(c) container_of(c, struct ptrace_ctx, base)

/* as.c */
int ptrace_wait_stop(struct ptrace_thread *t, int *status);
void ptrace_bind_cpu(struct ptrace_thread *t);
int ptrace_as_thread(struct ptrace_as *as, struct ptrace_thread **out);
int ptrace_as_new(struct platform *p, struct addrspace **out);
void ptrace_as_release(struct addrspace *as);
int ptrace_as_cpu_clock(struct addrspace *as, int *out);
int ptrace_as_map(struct addrspace *as, uint64_t va, uint64_t len, int prot, uint64_t off);
int ptrace_as_unmap(struct addrspace *as, uint64_t va, uint64_t len);

/* ctx.c */
int ptrace_ctx_new(struct platform *p, struct pctx **out);
void ptrace_ctx_release(struct pctx *c);
int ptrace_switch_to(struct pctx *c, struct addrspace *as, struct arch_state *st,
		     struct trap *out);
void ptrace_interrupt(struct pctx *c);

#endif /* __ASSEMBLER__ */
#endif
