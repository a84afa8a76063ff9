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
extern const char ptrace_stub_clone[], ptrace_stub_clone_ret[], ptrace_stub_park[];
extern const char ptrace_stub_fork[], ptrace_stub_fork_ret[], ptrace_stub_sigign[];
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

struct ptrace_as;
struct ptrace_ctx;

/*
 * struct ptrace_thread - one stub thread and the host thread that traces it. Everything
 * that drives a stub (waits, injected syscalls, switch_to) goes through one of these.
 * @tid:      the stub thread.
 * @tracer:   host tid of the thread that seized it (0: parked, untraced); the only thread
 *            that may wait on, inject into or switch_to through it.
 * @dead:     the stub died; never signal or wait on @tid again (under @as->mu once the
 *            thread is in @as->threads).
 * @busy:     a switch_to is running on it (atomic).
 * @tmpl:     segment selectors and eflags of the stub (from the control thread's first stop).
 * @fpu_ctx:  the context whose XSAVE image was last loaded into / saved from the thread.
 * @cpu:      the host CPU the thread is bound to (-1: not bound), see ptrace_bind_cpu().
 * @as:       the address space it belongs to.
 * @owner:    the context it is bound to; NULL while parked in the idle pool (under @as->mu).
 * @as_next:  link in @as->threads (every thread but the control thread).
 * @ctx_next: link in @owner->threads.
 */
struct ptrace_thread {
	pid_t tid;
	pid_t tracer;
	int dead;
	int busy;
	struct user_regs_struct tmpl;
	const void *fpu_ctx;
	int cpu;
	struct ptrace_as *as;
	struct ptrace_ctx *owner;
	struct ptrace_thread *as_next;
	struct ptrace_thread *ctx_next;
};

/*
 * struct ptrace_as - an address space: one stub process.
 * @pid:      the stub process (tgid), killed and reaped by as_release.
 * @ctl:      its first thread (the control thread), forked and traced by the service
 *            thread (service.c); mapping requests from threads without a stub thread of
 *            their own and clones of new stub threads are injected here.
 * @mu:       protects @threads, @released, @refs and the threads' @owner/@dead.
 * @threads:  every other stub thread: bound to a context (traced by its host thread) or
 *            parked in the idle pool (untraced, in ptrace_stub_park).
 * @released: as_release was called: no new bindings, no parking.
 * @refs:     one for the creator (dropped by as_release) + one per bound thread; the
 *            struct is freed at zero.
 */
struct ptrace_as {
	struct addrspace base;
	pid_t pid;
	struct ptrace_thread ctl;
	pthread_mutex_t mu;
	struct ptrace_thread *threads;
	int released;
	int refs;
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
 * @owner:       host tid of the creating thread, the only one that may use the context.
 * @threads:     its stub threads, at most one per address space (owner thread only).
 * @tls_next:    link in the owner thread's list of contexts (as_map's fast path).
 */
struct ptrace_ctx {
	struct pctx base;
	pthread_mutex_t mu;
	pid_t running_pid;
	pid_t running_tid;
	int interrupted;
	uint8_t *fpu;
	const struct ptrace_thread *fpu_thr;
	pid_t owner;
	struct ptrace_thread *threads;
	struct ptrace_ctx *tls_next;
};

#define to_ptrace_ctx(c) container_of(c, struct ptrace_ctx, base)

/* as.c */
pid_t ptrace_gettid(void);
int ptrace_wait_stop(struct ptrace_thread *t, int *status);
void ptrace_bind_cpu(struct ptrace_thread *t);
int ptrace_inject(struct ptrace_thread *t, uint64_t entry, uint64_t ret_at, uint64_t nr,
		  const uint64_t a[6], uint64_t *ret);
int ptrace_stub_create(struct platform *p, struct ptrace_as *as);
extern int ptrace_no_zygote;
int ptrace_as_thread(struct ptrace_ctx *c, struct ptrace_as *as, struct ptrace_thread **out);
void ptrace_thread_park(struct ptrace_thread *t);
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
/* The calling thread's contexts (as_map's fast path: inject into its own stub thread). */
struct ptrace_ctx *ptrace_ctx_tls_list(void);

/* service.c: the service thread, process-wide (tracer of every control thread). */
int ptrace_service_start(void);
/* Create the stub of @as on @p in the service thread (fills @as->pid and @as->ctl). */
int ptrace_service_new(struct ptrace_as *as, struct platform *p);
/* Inject syscall @nr into @as's control thread at @entry (see ptrace_inject). */
int ptrace_service_inject(struct ptrace_as *as, uint64_t entry, uint64_t ret_at, uint64_t nr,
			  const uint64_t a[6], uint64_t *ret);

#endif /* __ASSEMBLER__ */
#endif
