// SPDX-License-Identifier: Apache-2.0
/*
 * Per-process timers (Linux kernel/time/itimer.c, posix-timers.c) over kernel timers:
 * ITIMER_REAL and alarm (SIGALRM to the process, CLOCK_MONOTONIC), the CPU-time itimers
 * (sentry/kernel/cputimer.c), and POSIX timers (timer_create & co.) with SIGEV_SIGNAL,
 * SIGEV_THREAD_ID and SIGEV_NONE, overrun counting like Linux: while a timer's signal is
 * still queued, further expirations only add to its si_overrun; timer_getoverrun reports
 * the overrun of the last signal taken. A process's timers hang off its thread group
 * (created on first use), are not inherited by fork, and end at exit; execve ends the
 * POSIX timers only.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/timer.h"
#include "sentry/kernel/timer_impl.h"

#define SIGBIT(s) (1ULL << ((s) - 1))

/* Offsets in struct linux_siginfo's union (x86-64 _timer / _rt). */
#define SI_TIMER_TID 0
#define SI_TIMER_OVERRUN 4
#define SI_VALUE 8

struct posix_timer {
	struct tg_timers *tt;
	struct posix_timer *next; /* protected by tt->mu */
	int id;
	clockid_t clock;
	struct ksigevent ev;
	struct ktimer *kt;
	struct cputimer *ct;  /* CPU-time clocks instead of kt */
	int overrun_last;     /* protected by tt->mu */
};

struct tg_timers *tg_timers_get(struct thread_group *tg, bool create)
{
	struct tg_timers *tt;

	pthread_mutex_lock(&tg->mu);
	tt = tg->timers;
	if (!tt && create) {
		tt = calloc(1, sizeof(*tt));
		if (tt) {
			pthread_mutex_init(&tt->mu, NULL);
			tt->tg = tg;
			tg->timers = tt;
		}
	}
	pthread_mutex_unlock(&tg->mu);
	return tt;
}

static void posix_timer_free(struct posix_timer *pt)
{
	ktimer_free(pt->kt);
	cputimer_free(pt->ct);
	free(pt);
}

/* Delete every POSIX timer of @tt. Preconditions: no lock held (callbacks may run). */
static void delete_posix_timers(struct tg_timers *tt)
{
	struct posix_timer *list, *next;

	pthread_mutex_lock(&tt->mu);
	list = tt->posix;
	tt->posix = NULL;
	pthread_mutex_unlock(&tt->mu);
	for (; list; list = next) {
		next = list->next;
		posix_timer_free(list);
	}
}

void tg_timers_exec(struct task *t)
{
	struct tg_timers *tt = tg_timers_get(t->tg, false);

	if (!tt)
		return;
	delete_posix_timers(tt);
	/* The itimers go on counting on the new image's stub. */
	pthread_mutex_lock(&tt->mu);
	tt_cpu_clocks_refresh(tt, t);
	pthread_mutex_unlock(&tt->mu);
}

void tg_timers_exit(struct thread_group *tg)
{
	struct tg_timers *tt;

	pthread_mutex_lock(&tg->mu);
	tt = tg->timers;
	tg->timers = NULL;
	pthread_mutex_unlock(&tg->mu);
	if (!tt)
		return;
	delete_posix_timers(tt);
	ktimer_free(tt->real);
	for (int i = 0; i < 2; i++)
		cputimer_free(tt->cpu[i]);
	pthread_mutex_destroy(&tt->mu);
	free(tt);
}

/* ---- itimers and alarm ---- */

static void itimer_real_fire(struct ktimer *kt, void *arg, uint64_t n)
{
	struct tg_timers *tt = arg;
	struct linux_siginfo si = { .si_signo = SIGALRM, .si_code = SI_KERNEL };

	kernel_signal_group(tt->k, tt->tg, SIGALRM, &si);
}

static void itimer_cpu_fire(struct cputimer *ct, void *arg, uint64_t n)
{
	struct tg_timers *tt = arg;
	int sig = ct == tt->cpu[0] ? SIGVTALRM : SIGPROF;
	struct linux_siginfo si = { .si_signo = sig, .si_code = SI_KERNEL };

	kernel_signal_group(tt->k, tt->tg, sig, &si);
}

int task_getitimer(struct task *t, int which, int64_t *value, int64_t *interval)
{
	struct tg_timers *tt;

	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	*value = *interval = 0;
	tt = tg_timers_get(t->tg, false);
	if (!tt)
		return 0;
	pthread_mutex_lock(&tt->mu);
	if (which == ITIMER_REAL && tt->real)
		ktimer_get(tt->real, value, interval);
	else if (which != ITIMER_REAL && tt->cpu[which - 1])
		cputimer_get(tt->cpu[which - 1], value, interval);
	pthread_mutex_unlock(&tt->mu);
	return 0;
}

int task_setitimer(struct task *t, int which, int64_t value, int64_t interval,
		   int64_t *old_value, int64_t *old_interval)
{
	struct tg_timers *tt;
	int r = 0;

	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	*old_value = *old_interval = 0;
	tt = tg_timers_get(t->tg, value != 0);
	if (!tt)
		return value ? -ENOMEM : 0;
	pthread_mutex_lock(&tt->mu);
	tt->k = t->k;
	if (which == ITIMER_REAL) {
		if (!tt->real)
			r = ktimer_new(t->k, itimer_real_fire, tt, &tt->real);
		if (r == 0)
			ktimer_set(tt->real, CLOCK_MONOTONIC,
				   value ? clock_now_ns(CLOCK_MONOTONIC) + value : 0, interval,
				   old_value, old_interval);
	} else {
		struct cputimer **ct = &tt->cpu[which - 1];
		if (!*ct)
			r = cputimer_new(t->k, tt, which == ITIMER_VIRTUAL ? CPUCLOCK_USER : CPUCLOCK_PROF,
					 itimer_cpu_fire, tt, ct);
		if (r == 0)
			tt_cpu_clocks_refresh(tt, t);
		if (r == 0)
			cputimer_set(*ct, value, false, interval, old_value, old_interval);
	}
	pthread_mutex_unlock(&tt->mu);
	return r;
}

/* ---- POSIX timers ---- */

/* Preconditions: tt->mu held. */
static struct posix_timer *ptimer_find(struct tg_timers *tt, int id)
{
	for (struct posix_timer *pt = tt->posix; pt; pt = pt->next)
		if (pt->id == id)
			return pt;
	return NULL;
}

static void ptimer_info(const struct posix_timer *pt, struct linux_siginfo *si, int overrun)
{
	memset(si, 0, sizeof(*si));
	si->si_signo = pt->ev.signo;
	si->si_code = SI_TIMER;
	memcpy(si->raw + SI_TIMER_TID, &pt->id, sizeof(int32_t));
	memcpy(si->raw + SI_TIMER_OVERRUN, &overrun, sizeof(int32_t));
	memcpy(si->raw + SI_VALUE, &pt->ev.value, sizeof(uint64_t));
}

static bool info_is_timer(const struct linux_siginfo *si, int id)
{
	int32_t tid;

	memcpy(&tid, si->raw + SI_TIMER_TID, sizeof(tid));
	return si->si_code == SI_TIMER && tid == id;
}

/*
 * The siginfo of @pt's signal while it is still queued, else NULL (where overruns are
 * counted), and the pending set it is on: the process's, or with SIGEV_THREAD_ID the
 * target thread's. Preconditions: tg->mu held (and k->mu for a thread's).
 */
static struct linux_siginfo *queued_info(struct posix_timer *pt, uint64_t **pending)
{
	struct thread_group *tg = pt->tt->tg;
	int sig = pt->ev.signo;
	struct linux_siginfo *infos = tg->shared_info;

	*pending = &tg->shared_pending;
	if (pt->ev.notify & SIGEV_THREAD_ID) {
		struct task *u;
		for (u = tg->tasks; u && u->tid != pt->ev.tid; u = u->tg_next)
			;
		if (!u)
			return NULL;
		*pending = &u->pending;
		infos = u->pending_info;
	}
	if ((**pending & SIGBIT(sig)) && info_is_timer(&infos[sig], pt->id))
		return &infos[sig];
	return NULL;
}

static int add_overrun(int a, uint64_t n)
{
	uint64_t s = (uint64_t)a + n;
	return s > INT_MAX ? INT_MAX : (int)s; /* DELAYTIMER_MAX */
}

/* A POSIX timer expired @n times: queue its signal, or count overruns on the queued one. */
static void ptimer_expire(struct posix_timer *pt, uint64_t n)
{
	struct tg_timers *tt = pt->tt;
	struct thread_group *tg = tt->tg;
	struct linux_siginfo si, *q;
	uint64_t *pending;

	if ((pt->ev.notify & ~SIGEV_THREAD_ID) == SIGEV_NONE)
		return;
	pthread_mutex_lock(&tt->k->mu);
	pthread_mutex_lock(&tg->mu);
	q = queued_info(pt, &pending);
	if (q) {
		int32_t ov;
		memcpy(&ov, q->raw + SI_TIMER_OVERRUN, sizeof(ov));
		ov = add_overrun(ov, n);
		memcpy(q->raw + SI_TIMER_OVERRUN, &ov, sizeof(ov));
	}
	pthread_mutex_unlock(&tg->mu);
	pthread_mutex_unlock(&tt->k->mu);
	if (q)
		return;
	ptimer_info(pt, &si, add_overrun(0, n - 1));
	if (pt->ev.notify & SIGEV_THREAD_ID)
		kernel_signal_thread(tt->k, tg->tgid, pt->ev.tid, pt->ev.signo, &si);
	else
		kernel_signal_group(tt->k, tg, pt->ev.signo, &si);
}

/*
 * Settime and delete drop the timer's signal still queued (Linux 6.13+; older kernels
 * deliver it with the old setting's overrun). Preconditions: tt->mu held.
 */
static void ptimer_drop_signal(struct posix_timer *pt)
{
	struct thread_group *tg = pt->tt->tg;
	uint64_t *pending;

	if ((pt->ev.notify & ~SIGEV_THREAD_ID) == SIGEV_NONE || !pt->tt->k)
		return;
	pthread_mutex_lock(&pt->tt->k->mu);
	pthread_mutex_lock(&tg->mu);
	if (queued_info(pt, &pending))
		__atomic_and_fetch(pending, ~SIGBIT(pt->ev.signo), __ATOMIC_RELEASE);
	pthread_mutex_unlock(&tg->mu);
	pthread_mutex_unlock(&pt->tt->k->mu);
}

static void ptimer_fire(struct ktimer *kt, void *arg, uint64_t n)
{
	ptimer_expire(arg, n);
}

static void ptimer_cpu_fire(struct cputimer *ct, void *arg, uint64_t n)
{
	ptimer_expire(arg, n);
}

void ptimer_signal_taken(struct thread_group *tg, const struct linux_siginfo *info)
{
	struct tg_timers *tt = tg_timers_get(tg, false);
	struct posix_timer *pt;
	int32_t id, ov;

	if (!tt || info->si_code != SI_TIMER)
		return;
	memcpy(&id, info->raw + SI_TIMER_TID, sizeof(id));
	memcpy(&ov, info->raw + SI_TIMER_OVERRUN, sizeof(ov));
	pthread_mutex_lock(&tt->mu);
	pt = ptimer_find(tt, id);
	if (pt)
		pt->overrun_last = ov;
	pthread_mutex_unlock(&tt->mu);
}

/* CPU-time clock ids (Linux's CPUCLOCK_* encoding) of the caller's own process/thread. */
static int cpu_clock_kind(struct task *t, clockid_t c, int *kind)
{
	if (c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID) {
		*kind = CPUCLOCK_SCHED;
		return 1;
	}
	if (c >= 0)
		return 0;
	int pid = ~(c >> 3), which = c & 3;
	bool thread = c & 4;
	if (which == 3 || (pid != 0 && pid != (thread ? t->tid : t->tg->tgid)))
		return -EINVAL;
	*kind = which == 0 ? CPUCLOCK_PROF : which == 1 ? CPUCLOCK_USER : CPUCLOCK_SCHED;
	return 1;
}

int task_timer_create(struct task *t, clockid_t clock, const struct ksigevent *ev, int *id)
{
	struct tg_timers *tt;
	struct posix_timer *pt;
	int kind = 0, r;

	r = cpu_clock_kind(t, clock, &kind);
	if (r < 0)
		return r;
	if (r == 0) {
		switch (clock) {
		case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_BOOTTIME: case CLOCK_TAI:
			break;
		case CLOCK_REALTIME_ALARM: case CLOCK_BOOTTIME_ALARM:
			return -EPERM; /* CAP_WAKE_ALARM */
		case CLOCK_MONOTONIC_RAW: case CLOCK_REALTIME_COARSE: case CLOCK_MONOTONIC_COARSE:
			return -EOPNOTSUPP;
		default:
			return -EINVAL;
		}
	}
	switch (ev->notify) {
	case SIGEV_SIGNAL: case SIGEV_THREAD: case SIGEV_NONE:
		break;
	case SIGEV_SIGNAL | SIGEV_THREAD_ID: {
		/* Linux's good_sigevent: a thread of the caller's process. */
		bool found = false;
		pthread_mutex_lock(&t->k->mu);
		for (struct task *u = t->tg->tasks; u && !found; u = u->tg_next)
			found = u->tid == ev->tid;
		pthread_mutex_unlock(&t->k->mu);
		if (!found)
			return -EINVAL;
		break;
	}
	default:
		return -EINVAL;
	}
	if (ev->notify != SIGEV_NONE && (ev->signo <= 0 || ev->signo > KSIG_MAX))
		return -EINVAL;
	tt = tg_timers_get(t->tg, true);
	pt = calloc(1, sizeof(*pt));
	if (!tt || !pt) {
		free(pt);
		return -EAGAIN;
	}
	pt->tt = tt;
	pt->clock = clock;
	pt->ev = *ev;
	r = r == 1 ? cputimer_new(t->k, tt, kind, ptimer_cpu_fire, pt, &pt->ct)
		   : ktimer_new(t->k, ptimer_fire, pt, &pt->kt);
	if (r < 0) {
		free(pt);
		return -EAGAIN;
	}
	pthread_mutex_lock(&tt->mu);
	tt->k = t->k;
	if (pt->ct)
		tt_cpu_clocks_refresh(tt, t);
	pt->id = tt->next_id;
	/* Linux hands out ids upwards from 0, skipping ones in use. */
	while (ptimer_find(tt, pt->id))
		pt->id = pt->id == INT_MAX ? 0 : pt->id + 1;
	tt->next_id = pt->id == INT_MAX ? 0 : pt->id + 1;
	if (pt->ev.value_is_id)
		pt->ev.value = (uint64_t)pt->id;
	pt->next = tt->posix;
	tt->posix = pt;
	*id = pt->id;
	pthread_mutex_unlock(&tt->mu);
	return 0;
}

/* Look up timer @id; tt->mu is held on success. */
static struct posix_timer *ptimer_lock(struct task *t, int id, struct tg_timers **ttp)
{
	struct tg_timers *tt = tg_timers_get(t->tg, false);
	struct posix_timer *pt;

	if (!tt || id < 0)
		return NULL;
	pthread_mutex_lock(&tt->mu);
	pt = ptimer_find(tt, id);
	if (!pt) {
		pthread_mutex_unlock(&tt->mu);
		return NULL;
	}
	*ttp = tt;
	return pt;
}

int task_timer_settime(struct task *t, int id, bool abs, int64_t value, int64_t interval,
		       int64_t *old_value, int64_t *old_interval)
{
	struct tg_timers *tt;
	struct posix_timer *pt = ptimer_lock(t, id, &tt);
	clockid_t c;

	if (!pt)
		return -EINVAL;
	pt->overrun_last = 0; /* Linux's common_timer_set */
	ptimer_drop_signal(pt);
	if (pt->ct) {
		cputimer_set(pt->ct, value, abs, interval, old_value, old_interval);
		pthread_mutex_unlock(&tt->mu);
		return 0;
	}
	c = pt->clock;
	if (value && !abs) {
		/* Relative: counted on the monotonic clock whatever the timer's (hrtimer REL). */
		c = CLOCK_MONOTONIC;
		value += clock_now_ns(CLOCK_MONOTONIC);
	} else if (value && c != CLOCK_REALTIME && c != CLOCK_MONOTONIC) {
		/* BOOTTIME, TAI: the same deadline on the monotonic clock. */
		value -= clock_now_ns(c) - clock_now_ns(CLOCK_MONOTONIC);
		if (value <= 0)
			value = 1;
		c = CLOCK_MONOTONIC;
	}
	ktimer_set(pt->kt, c, value, interval, old_value, old_interval);
	pthread_mutex_unlock(&tt->mu);
	return 0;
}

int task_timer_gettime(struct task *t, int id, int64_t *value, int64_t *interval)
{
	struct tg_timers *tt;
	struct posix_timer *pt = ptimer_lock(t, id, &tt);

	if (!pt)
		return -EINVAL;
	if (pt->ct)
		cputimer_get(pt->ct, value, interval);
	else
		ktimer_get(pt->kt, value, interval);
	pthread_mutex_unlock(&tt->mu);
	return 0;
}

int task_timer_getoverrun(struct task *t, int id)
{
	struct tg_timers *tt;
	struct posix_timer *pt = ptimer_lock(t, id, &tt);
	int r;

	if (!pt)
		return -EINVAL;
	r = pt->overrun_last;
	pthread_mutex_unlock(&tt->mu);
	return r;
}

int task_timer_delete(struct task *t, int id)
{
	struct tg_timers *tt;
	struct posix_timer *pt = ptimer_lock(t, id, &tt);

	if (!pt)
		return -EINVAL;
	ptimer_drop_signal(pt);
	for (struct posix_timer **pp = &tt->posix; *pp; pp = &(*pp)->next) {
		if (*pp == pt) {
			*pp = pt->next;
			break;
		}
	}
	pthread_mutex_unlock(&tt->mu);
	/* After the unlock: a running callback may need tg locks (ktimer_free waits for it). */
	posix_timer_free(pt);
	return 0;
}
