// SPDX-License-Identifier: Apache-2.0
/*
 * Taking signals without a handler: rt_sigtimedwait and signalfd dequeue pending signals
 * of a set (Linux's dequeue_signal / do_sigtimedwait).
 */
#include <errno.h>
#include <signal.h>

#include "lib/waitq.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/timer.h"

#define SIGBIT(s) (1ULL << ((s) - 1))
/* Linux's SYNCHRONOUS_MASK: taken first, as delivery does. */
#define SYNCHRONOUS (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGTRAP) | \
		     SIGBIT(SIGFPE) | SIGBIT(SIGSYS))

int task_dequeue_signal(struct task *t, uint64_t set, struct linux_siginfo *info)
{
	struct thread_group *tg = t->tg;
	uint64_t avail;
	int sig;

	uint64_t *pending;
	struct linux_siginfo *infos;
	struct sigq **rtq;

	if (!(task_pending(t) & set))
		return 0;
	pthread_mutex_lock(&tg->mu);
	/* The thread's own signals first, then the process's (as delivery does). */
	pending = &t->pending;
	infos = t->pending_info;
	rtq = t->rtq;
	avail = *pending & set;
	if (!avail) {
		pending = &tg->shared_pending;
		infos = tg->shared_info;
		rtq = tg->shared_rtq;
		avail = *pending & set;
	}
	if (!avail) {
		pthread_mutex_unlock(&tg->mu);
		return 0;
	}
	sig = __builtin_ctzll((avail & SYNCHRONOUS) ? (avail & SYNCHRONOUS) : avail) + 1;
	sigset_dequeue(pending, infos, rtq, sig, info);
	pthread_mutex_unlock(&tg->mu);
	if (info->si_code == SI_TIMER)
		ptimer_signal_taken(tg, info);
	return sig;
}

int task_sigtimedwait(struct task *t, uint64_t set, const struct timespec *timeout,
		      struct linux_siginfo *info)
{
	struct waiter *w = waiter_current();
	struct waitq_entry e;
	struct timespec dl;
	struct waitq *q;
	int sig, r = 0;

	set &= ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
	sig = task_dequeue_signal(t, set, info);
	if (sig)
		return sig;
	if (timeout && timeout->tv_sec == 0 && timeout->tv_nsec == 0)
		return -EAGAIN;
	if (timeout && timeout->tv_sec > 100LL * 365 * 86400)
		timeout = NULL; /* a century: forever, without overflowing the deadline */
	if (timeout)
		deadline_after_ns(&dl, (long long)timeout->tv_sec * NSEC_PER_SEC + timeout->tv_nsec);
	/*
	 * The set stays blocked (so a default-ignored signal of it is kept, Linux's
	 * real_blocked); every newly pending signal wakes the signal wait queue, and a signal
	 * the task would take now interrupts the waiter.
	 */
	q = kernel_signal_waitq(t->k);
	waitq_add(q, &e, w);
	for (;;) {
		sig = task_dequeue_signal(t, set, info);
		if (sig || r == -EINTR || r == -ETIMEDOUT || t->exiting)
			break;
		r = waiter_wait(w, timeout ? &dl : NULL);
	}
	waitq_remove(q, &e);
	if (sig)
		return sig;
	return r == -ETIMEDOUT ? -EAGAIN : -EINTR;
}
