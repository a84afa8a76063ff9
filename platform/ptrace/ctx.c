// SPDX-License-Identifier: Apache-2.0
/*
 * ptrace contexts: switch_to loads the guest registers into the stub, runs it with
 * PTRACE_SYSEMU until the next stop and decodes the stop; interrupt() signals the stub.
 */
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "ptrace_impl.h"

#ifndef AUDIT_ARCH_X86_64
#define AUDIT_ARCH_X86_64 0xc000003eU
#endif

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
/* The signal interrupt() sends: a traced task stops for it even though it is ignored. */
#define PTRACE_SIG_INTERRUPT SIGCHLD
/* The kernel refuses fs/gs bases at or above this (the 47-bit TASK_SIZE_MAX). */
#define TASK_SIZE_MAX_47 0x7ffffffff000ULL

/* The calling thread's contexts, newest first (contexts are used by their creator only). */
static __thread struct ptrace_ctx *tls_ctxs;

struct ptrace_ctx *ptrace_ctx_tls_list(void)
{
	return tls_ctxs;
}

int ptrace_ctx_new(struct platform *p, struct pctx **out)
{
	struct ptrace_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->fpu = aligned_alloc(64, (arch_xsave_size() + 63) & ~(size_t)63);
	if (!c->fpu) {
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->mu, NULL);
	c->base.ops = p->ops;
	c->base.p = p;
	c->owner = ptrace_gettid();
	c->tls_next = tls_ctxs;
	tls_ctxs = c;
	*out = &c->base;
	return 0;
}

/*
 * Park every stub thread of the context (detached, back in its address space's idle pool)
 * so that the owner thread may exit without its PTRACE_O_EXITKILL killing stubs that
 * sibling contexts still use.
 */
void ptrace_ctx_release(struct pctx *base)
{
	struct ptrace_ctx *c = to_ptrace_ctx(base);
	struct ptrace_thread *t, *next;
	struct ptrace_ctx **pp;

	if (c->owner != ptrace_gettid())
		log_warn("ptrace: context of thread %d released by thread %d", c->owner,
			 ptrace_gettid());
	for (t = c->threads; t; t = next) {
		next = t->ctx_next;
		ptrace_thread_park(t);
	}
	for (pp = &tls_ctxs; *pp; pp = &(*pp)->tls_next) {
		if (*pp == c) {
			*pp = c->tls_next;
			break;
		}
	}
	pthread_mutex_destroy(&c->mu);
	free(c->fpu);
	free(c);
}

void ptrace_interrupt(struct pctx *base)
{
	struct ptrace_ctx *c = to_ptrace_ctx(base);

	/* Flag first: a switch_to that has not published running_pid yet will see it. */
	__atomic_store_n(&c->interrupted, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&c->mu);
	if (c->running_tid)
		syscall(SYS_tgkill, c->running_pid, c->running_tid, PTRACE_SIG_INTERRUPT);
	pthread_mutex_unlock(&c->mu);
}

static void set_running(struct ptrace_ctx *c, pid_t pid, pid_t tid)
{
	pthread_mutex_lock(&c->mu);
	c->running_pid = pid;
	c->running_tid = tid;
	pthread_mutex_unlock(&c->mu);
}

static int pt(int req, pid_t pid, void *addr, void *data)
{
	if (ptrace((enum __ptrace_request)req, pid, addr, data) < 0)
		return -errno;
	return 0;
}

/* A base the kernel would refuse (non-canonical or kernel half) is loaded as 0. */
static uint64_t sane_base(uint64_t v)
{
	return v < TASK_SIZE_MAX_47 ? v : 0;
}

/*
 * Load @st into the stub. Segment selectors come from the stub itself (the Sentry cannot
 * pick segments); orig_rax = -1 so the kernel never treats the load as a syscall to
 * restart. The XSAVE area is skipped when the stub already holds exactly this image.
 */
static int load_state(struct ptrace_ctx *c, struct ptrace_thread *t, const struct arch_state *st)
{
	struct user_regs_struct regs = st->regs;
	size_t xsz = arch_xsave_size();
	struct iovec iov = { .iov_base = st->xsave, .iov_len = xsz };
	int r;

	regs.cs = t->tmpl.cs;
	regs.ss = t->tmpl.ss;
	regs.ds = regs.es = regs.fs = regs.gs = 0;
	regs.orig_rax = (uint64_t)-1;
	regs.fs_base = sane_base(regs.fs_base);
	regs.gs_base = sane_base(regs.gs_base);
	r = pt(PTRACE_SETREGS, t->tid, NULL, &regs);
	if (r)
		return r;
	if (c->fpu_thr == t && t->fpu_ctx == c && !memcmp(c->fpu, st->xsave, xsz))
		return 0;
	c->fpu_thr = NULL;
	r = pt(PTRACE_SETREGSET, t->tid, (void *)(long)NT_X86_XSTATE, &iov);
	if (r)
		return r;
	memcpy(c->fpu, st->xsave, xsz);
	c->fpu_thr = t;
	t->fpu_ctx = c;
	return 0;
}

static int save_state(struct ptrace_ctx *c, struct ptrace_thread *t, struct arch_state *st)
{
	size_t xsz = arch_xsave_size();
	struct iovec iov = { .iov_base = st->xsave, .iov_len = xsz };
	int r;

	c->fpu_thr = NULL;
	r = pt(PTRACE_GETREGS, t->tid, NULL, &st->regs);
	if (r)
		return r;
	r = pt(PTRACE_GETREGSET, t->tid, (void *)(long)NT_X86_XSTATE, &iov);
	if (r)
		return r;
	if (iov.iov_len < xsz)
		memset(st->xsave + iov.iov_len, 0, xsz - iov.iov_len);
	memcpy(c->fpu, st->xsave, xsz);
	c->fpu_thr = t;
	t->fpu_ctx = c;
	return 0;
}

/* Page-fault si_codes: the access hit an unmapped or protected page of the guest. */
static int is_page_fault(const siginfo_t *si)
{
	if (si->si_signo == SIGSEGV)
		return si->si_code == SEGV_MAPERR || si->si_code == SEGV_ACCERR ||
		       si->si_code == SEGV_PKUERR;
	return si->si_signo == SIGBUS && si->si_code == BUS_ADRERR;
}

/* Decode a signal-delivery-stop of @sig (the signal is always suppressed on resume). */
static int decode_signal(struct ptrace_ctx *c, struct ptrace_thread *t, int sig, struct trap *out)
{
	siginfo_t si;
	int r;

	memset(&si, 0, sizeof(si));
	r = pt(PTRACE_GETSIGINFO, t->tid, NULL, &si);
	if (r)
		return r;
	out->signo = si.si_signo;
	out->code = si.si_code;
	switch (sig) {
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
		if (si.si_code <= 0)
			break; /* sent by someone (kill, tgkill): not the guest's instruction */
		out->addr = (uint64_t)si.si_addr;
		out->kind = is_page_fault(&si) ? TRAP_FAULT : TRAP_SIGNAL;
		return 0;
	default:
		break;
	}
	/* The interrupt signal, or anything asynchronous: someone wants the task back. */
	out->kind = TRAP_INTERRUPT;
	__atomic_store_n(&c->interrupted, 0, __ATOMIC_SEQ_CST);
	return 0;
}

/*
 * A syscall-stop. SYSEMU stops for every syscall entry, including the i386 ABI (int $0x80,
 * or syscall/sysenter after the guest far-jumped to a 32-bit code segment), whose
 * number and arguments mean something else; only the kernel knows which entry was used
 * (PTRACE_GET_SYSCALL_INFO's arch, ~0.3 us). The Sentry implements x86-64 only, so a
 * non-native entry is reported as Linux without IA32 emulation reports int $0x80: a
 * general-protection SIGSEGV (SI_KERNEL, addr 0) at the instruction.
 */
static int decode_syscall(struct ptrace_thread *t, struct arch_state *st, struct trap *out)
{
	struct __ptrace_syscall_info info;
	long n;

	memset(&info, 0, sizeof(info));
	n = ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(info), &info);
	if (n < 0)
		return -errno;
	if (info.op == PTRACE_SYSCALL_INFO_ENTRY && info.arch == AUDIT_ARCH_X86_64) {
		out->kind = TRAP_SYSCALL;
		return 0;
	}
	st->regs.rip -= 2; /* int $0x80, syscall and sysenter are all 2 bytes */
	st->regs.rax = st->regs.orig_rax;
	st->regs.orig_rax = (uint64_t)-1;
	out->kind = TRAP_SIGNAL;
	out->signo = SIGSEGV;
	out->code = SI_KERNEL;
	out->addr = 0;
	return 0;
}

/* Run the loaded guest until its next stop and describe it in @out. */
static int run_guest(struct ptrace_ctx *c, struct ptrace_thread *t, struct arch_state *st,
		     struct trap *out)
{
	int status, sig, r;

	ptrace_bind_cpu(t);
	r = pt(PTRACE_SYSEMU, t->tid, NULL, NULL);
	if (r)
		return r;
	r = ptrace_wait_stop(t, &status);
	if (r)
		return r;
	r = save_state(c, t, st);
	if (r)
		return r;
	sig = WSTOPSIG(status);
	if (sig == (SIGTRAP | 0x80))
		return decode_syscall(t, st, out);
	st->regs.orig_rax = (uint64_t)-1;
	if (status >> 16) { /* group-stop or other event stop: spurious */
		out->kind = TRAP_INTERRUPT;
		return 0;
	}
	return decode_signal(c, t, sig, out);
}

int ptrace_switch_to(struct pctx *base, struct addrspace *as_base, struct arch_state *st,
		     struct trap *out)
{
	struct ptrace_ctx *c = to_ptrace_ctx(base);
	struct ptrace_as *as = to_ptrace_as(as_base);
	struct ptrace_thread *t;
	int r;

	memset(out, 0, sizeof(*out));
	if (c->owner != ptrace_gettid())
		return -EPERM;
	r = ptrace_as_thread(c, as, &t);
	if (r)
		return r;
	if (__atomic_exchange_n(&t->busy, 1, __ATOMIC_ACQUIRE))
		return -EBUSY;
	set_running(c, as->pid, t->tid);
	/* Dekker with interrupt(): it sets the flag, then reads running_tid under mu. */
	if (__atomic_exchange_n(&c->interrupted, 0, __ATOMIC_SEQ_CST)) {
		out->kind = TRAP_INTERRUPT;
		r = 0;
		goto out;
	}
	r = load_state(c, t, st);
	if (!r)
		r = run_guest(c, t, st, out);
	if (r && r != -ESRCH)
		log_warn("ptrace: switch_to on stub %d: %s", t->tid, strerror(-r));
out:
	set_running(c, 0, 0);
	__atomic_store_n(&t->busy, 0, __ATOMIC_RELEASE);
	return r;
}
