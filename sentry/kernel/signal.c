// SPDX-License-Identifier: Apache-2.0
/*
 * Signals: pending sets, default actions, and delivery to guest handlers through x86-64
 * rt_sigframes on the guest stack (Linux's get_signal/handle_signal in one place).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "lib/log.h"
#include "lib/waitq.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/timer.h"

#define SIGBIT(s) (1ULL << ((s) - 1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
/* Linux's SYNCHRONOUS_MASK: faults are delivered before anything else pending. */
#define SYNCHRONOUS (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGTRAP) | \
		     SIGBIT(SIGFPE) | SIGBIT(SIGSYS))
#define RED_ZONE 128

enum sig_default { SIGDFL_TERM, SIGDFL_CORE, SIGDFL_IGNORE, SIGDFL_STOP, SIGDFL_CONT };

/* signal(7): the default action of each standard signal; real-time signals terminate. */
static enum sig_default sig_default_action(int sig)
{
	switch (sig) {
	case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
	case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
		return SIGDFL_CORE;
	case SIGCHLD: case SIGURG: case SIGWINCH:
		return SIGDFL_IGNORE;
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return SIGDFL_STOP;
	case SIGCONT:
		return SIGDFL_CONT;
	default:
		return SIGDFL_TERM;
	}
}

static bool sig_ignored(const struct ksigaction *act, int sig)
{
	if (act->handler == (uint64_t)(uintptr_t)SIG_IGN)
		return true;
	return act->handler == (uint64_t)(uintptr_t)SIG_DFL &&
	       (sig_default_action(sig) == SIGDFL_IGNORE || sig_default_action(sig) == SIGDFL_CONT);
}

/*
 * Queue @sig on the set @pending with its @infos slot. Standard signals coalesce; real-time
 * ones would queue (one slot for now). Preconditions: tg->mu held.
 */
/* Instances of one RT signal a set may hold (Linux bounds them by RLIMIT_SIGPENDING). */
#define RTQ_MAX 1024

static void queue_signal(uint64_t *pending, struct linux_siginfo *infos, struct sigq **rtq,
			 int sig, const struct linux_siginfo *si)
{
	if (*pending & SIGBIT(sig)) {
		/*
		 * Real-time signals queue every instance with its siginfo; standard ones (and
		 * POSIX timer signals, which count overruns instead) coalesce.
		 */
		if (sig < 32 || si->si_code == SI_TIMER)
			return;
		struct sigq **pp = &rtq[sig];
		int n = 0;
		while (*pp && n < RTQ_MAX) {
			pp = &(*pp)->next;
			n++;
		}
		struct sigq *q = n < RTQ_MAX ? malloc(sizeof(*q)) : NULL;
		if (!q)
			return; /* over the limit: lost, as Linux's kill does past RLIMIT_SIGPENDING */
		q->next = NULL;
		q->info = *si;
		*pp = q;
		return;
	}
	infos[sig] = *si;
	__atomic_or_fetch(pending, SIGBIT(sig), __ATOMIC_RELEASE);
}

void sigset_dequeue(uint64_t *pending, struct linux_siginfo *infos, struct sigq **rtq, int sig,
		    struct linux_siginfo *out)
{
	struct sigq *q = rtq[sig];

	*out = infos[sig];
	if (q) {
		infos[sig] = q->info;
		rtq[sig] = q->next;
		free(q);
		return;
	}
	__atomic_and_fetch(pending, ~SIGBIT(sig), __ATOMIC_RELEASE);
}

void sigset_free(struct sigq **rtq)
{
	for (int sig = 0; sig <= KSIG_MAX; sig++) {
		while (rtq[sig]) {
			struct sigq *q = rtq[sig];
			rtq[sig] = q->next;
			free(q);
		}
	}
}

static void default_info(struct linux_siginfo *si, int sig, const struct linux_siginfo *info)
{
	if (info) {
		*si = *info;
		return;
	}
	memset(si, 0, sizeof(*si));
	si->si_signo = sig;
	si->si_code = SI_KERNEL;
}

bool tg_queue_signal(struct thread_group *tg, int sig, const struct linux_siginfo *info)
{
	struct linux_siginfo si;
	bool queued = false;

	if (sig < 1 || sig > KSIG_MAX)
		return false;
	default_info(&si, sig, info);
	pthread_mutex_lock(&tg->mu);
	/* Blocked by the main thread: kept even if ignored (Linux's sig_ignored on it). */
	if (sig == SIGKILL || (tg->leader && task_blocks(tg->leader, sig)) ||
	    !sig_ignored(&tg->actions[sig], sig)) {
		queue_signal(&tg->shared_pending, tg->shared_info, tg->shared_rtq, sig, &si);
		queued = true;
	}
	pthread_mutex_unlock(&tg->mu);
	if (queued && tg->leader)
		kernel_signal_notify(tg->leader->k); /* signalfd readers and pollers (timer.h) */
	return queued;
}

bool task_blocks(const struct task *t, int sig)
{
	return sig != SIGKILL && sig != SIGSTOP &&
	       (__atomic_load_n(&t->sigmask, __ATOMIC_ACQUIRE) & SIGBIT(sig));
}

uint64_t task_pending(struct task *t)
{
	return __atomic_load_n(&t->pending, __ATOMIC_ACQUIRE) |
	       __atomic_load_n(&t->tg->shared_pending, __ATOMIC_ACQUIRE);
}

void task_send_signal(struct task *t, int sig, const struct linux_siginfo *info, bool forced)
{
	struct thread_group *tg = t->tg;
	struct linux_siginfo si;

	if (sig < 1 || sig > KSIG_MAX)
		return;
	default_info(&si, sig, info);
	pthread_mutex_lock(&tg->mu);
	if (forced && (sig_ignored(&tg->actions[sig], sig) || (t->sigmask & SIGBIT(sig)))) {
		/* A fault the guest cannot take is fatal: back to the default action. */
		tg->actions[sig].handler = (uint64_t)(uintptr_t)SIG_DFL;
		t->sigmask &= ~SIGBIT(sig);
	}
	/* Linux's sig_ignored: a blocked signal is kept (sigwait, signalfd may take it). */
	bool drop = sig != SIGKILL && !(t->sigmask & SIGBIT(sig)) &&
		    sig_ignored(&tg->actions[sig], sig) && !forced;
	if (!drop)
		queue_signal(&t->pending, t->pending_info, t->rtq, sig, &si);
	pthread_mutex_unlock(&tg->mu);
	if (!drop)
		kernel_signal_notify(t->k); /* signalfd readers and pollers (timer.h) */
}

void task_send_fault(struct task *t, int sig, int code, uint64_t addr)
{
	struct linux_siginfo si;

	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = code;
	si.fault.addr = addr;
	task_send_signal(t, sig, &si, true);
}

bool task_signal_fatal(struct task *t, int sig)
{
	enum sig_default def;
	bool fatal;

	if (sig == SIGKILL)
		return true;
	if (sig < 1 || sig > KSIG_MAX || (t->sigmask & SIGBIT(sig)))
		return false;
	def = sig_default_action(sig);
	pthread_mutex_lock(&t->tg->mu);
	fatal = t->tg->actions[sig].handler == (uint64_t)(uintptr_t)SIG_DFL &&
		(def == SIGDFL_TERM || def == SIGDFL_CORE);
	pthread_mutex_unlock(&t->tg->mu);
	return fatal;
}

bool task_on_altstack(const struct task *t)
{
	const struct linux_stack *ss = &t->altstack;
	uint64_t sp = t->regs.regs.rsp;

	if (ss->ss_flags & LINUX_SS_DISABLE)
		return false;
	return sp > ss->ss_sp && sp - ss->ss_sp <= ss->ss_size;
}

void task_set_temp_sigmask(struct task *t, uint64_t mask)
{
	if (!t->restore_sigmask) {
		t->saved_sigmask = t->sigmask;
		t->restore_sigmask = true;
	}
	__atomic_store_n(&t->sigmask, mask & ~UNBLOCKABLE, __ATOMIC_RELEASE);
}

void task_restore_sigmask(struct task *t)
{
	if (!t->restore_sigmask)
		return;
	t->restore_sigmask = false;
	__atomic_store_n(&t->sigmask, t->saved_sigmask, __ATOMIC_RELEASE);
}

bool task_signal_pending(struct task *t)
{
	return task_pending(t) & (~__atomic_load_n(&t->sigmask, __ATOMIC_ACQUIRE) | UNBLOCKABLE);
}

static bool is_restart_code(long r)
{
	return r == -ERESTARTSYS || r == -ERESTARTNOINTR || r == -ERESTARTNOHAND ||
	       r == -ERESTART_RESTARTBLOCK;
}

/* A handler is about to run: Linux's handle_signal syscall-restart rules. */
static void restart_before_handler(struct task *t, const struct ksigaction *act)
{
	long r = t->syscall_result;

	if (!is_restart_code(r))
		return;
	t->syscall_result = 0;
	if (r == -ERESTARTNOINTR || (r == -ERESTARTSYS && (act->flags & LINUX_SA_RESTART)))
		arch_syscall_restart(&t->regs);
	else
		arch_syscall_set_return(&t->regs, (uint64_t)-EINTR);
}

/* No handler ran (nothing pending, or only ignored/default-ignored signals): restart. */
static void restart_without_handler(struct task *t)
{
	long r = t->syscall_result;

	if (!is_restart_code(r))
		return;
	t->syscall_result = 0;
	arch_syscall_restart(&t->regs);
	if (r == -ERESTART_RESTARTBLOCK)
		t->regs.regs.rax = __NR_restart_syscall;
}

/* Pick the next signal to deliver: synchronous ones first, then the lowest number. */
static int next_signal(uint64_t deliverable)
{
	uint64_t sync = deliverable & SYNCHRONOUS;
	return __builtin_ctzll(sync ? sync : deliverable) + 1;
}

static void kill_group(struct task *t, int sig)
{
	task_exit_group(t, sig | (sig_default_action(sig) == SIGDFL_CORE ? 0x80 : 0));
}

/* Push a handler frame for @sig; false when the guest stack cannot take it. */
static bool setup_frame(struct task *t, int sig, const struct ksigaction *act,
			const struct linux_siginfo *info)
{
	struct linux_stack uc_stack = t->altstack;
	struct sigframe_args a = {
		.sig = sig,
		.info = info,
		.handler = act->handler,
		.restorer = act->restorer,
		.oldmask = t->sigmask,
		.sp = t->regs.regs.rsp - RED_ZONE,
		.uc_stack = &uc_stack,
	};
	uint64_t frame;
	size_t len;
	uint8_t *buf;
	bool ok;

	if (task_on_altstack(t))
		uc_stack.ss_flags = LINUX_SS_ONSTACK;
	else if ((act->flags & LINUX_SA_ONSTACK) && !(t->altstack.ss_flags & LINUX_SS_DISABLE)) {
		a.sp = t->altstack.ss_sp + t->altstack.ss_size;
		if (t->altstack.ss_flags & LINUX_SS_AUTODISARM)
			t->altstack.ss_flags = LINUX_SS_DISABLE;
	}
	/* x86-64 handlers return through the restorer; without one Linux fails the frame. */
	if (!(act->flags & LINUX_SA_RESTORER))
		return false;
	buf = malloc(arch_sigframe_max());
	if (!buf)
		return false;
	struct arch_state saved = { .regs = t->regs.regs, .xsave = NULL };
	ok = arch_sigframe_build(&t->regs, &a, buf, &frame, &len) == 0 &&
	     mm_copy_out(t->mm, frame, buf, len) == (ssize_t)len;
	if (!ok)
		t->regs.regs = saved.regs; /* the fatal SIGSEGV reports where the guest was */
	free(buf);
	return ok;
}

/* Nothing (more) to deliver: finish an interrupted syscall and undo a temporary mask. */
static void deliver_none(struct task *t)
{
	restart_without_handler(t);
	task_restore_sigmask(t);
}

void task_deliver_signals(struct task *t)
{
	struct thread_group *tg = t->tg;

	/*
	 * Waits of this task were interrupted for the signals about to be handled here; a
	 * signal sent from now on sets the flag again (cleared first, checked after).
	 */
	task_stop_wait(t);
	if (t->waiter && !t->exiting)
		waiter_clear_interrupt(t->waiter);
	while (!t->exiting) {
		uint64_t deliverable = task_pending(t) & (~t->sigmask | UNBLOCKABLE);
		struct ksigaction act;
		struct linux_siginfo info;
		int sig;

		if (!deliverable) {
			deliver_none(t);
			return;
		}
		pthread_mutex_lock(&tg->mu);
		/* The thread's own signals (faults among them) before the process's. */
		deliverable = t->pending & (~t->sigmask | UNBLOCKABLE);
		if (deliverable) {
			sig = next_signal(deliverable);
			sigset_dequeue(&t->pending, t->pending_info, t->rtq, sig, &info);
		} else {
			deliverable = tg->shared_pending & (~t->sigmask | UNBLOCKABLE);
			if (!deliverable) {
				pthread_mutex_unlock(&tg->mu);
				deliver_none(t);
				return;
			}
			sig = next_signal(deliverable);
			sigset_dequeue(&tg->shared_pending, tg->shared_info, tg->shared_rtq, sig, &info);
		}
		act = tg->actions[sig];
		if (act.handler > (uint64_t)(uintptr_t)SIG_IGN && (act.flags & LINUX_SA_RESETHAND))
			tg->actions[sig].handler = (uint64_t)(uintptr_t)SIG_DFL;
		pthread_mutex_unlock(&tg->mu);
		if (info.si_code == SI_TIMER)
			ptimer_signal_taken(tg, &info); /* timer_getoverrun (timer.h) */

		if (sig == SIGKILL || act.handler == (uint64_t)(uintptr_t)SIG_DFL) {
			enum sig_default def = sig_default_action(sig);
			if (sig != SIGKILL && (def == SIGDFL_IGNORE || def == SIGDFL_CONT))
				continue;
			if (sig != SIGKILL && def == SIGDFL_STOP) {
				/* Linux's get_signal: no terminal stops for an orphaned group. */
				if (sig != SIGSTOP && task_pgrp_orphaned(t))
					continue;
				task_group_stop(t, sig);
				task_stop_wait(t);
				continue;
			}
			kill_group(t, sig);
			return;
		}
		if (act.handler == (uint64_t)(uintptr_t)SIG_IGN)
			continue;
		restart_before_handler(t, &act);
		/* The frame records the mask to return to: the one before sigsuspend/ppoll. */
		if (t->restore_sigmask) {
			t->sigmask = t->saved_sigmask;
			t->restore_sigmask = false;
		}
		uint64_t oldmask = t->sigmask;
		if (!setup_frame(t, sig, &act, &info)) {
			log_debug("task %d: cannot deliver signal %d: bad stack", t->tid, sig);
			kill_group(t, SIGSEGV);
			return;
		}
		t->sigmask = (oldmask | act.mask | ((act.flags & LINUX_SA_NODEFER) ? 0 : SIGBIT(sig))) &
			     ~UNBLOCKABLE;
	}
}
