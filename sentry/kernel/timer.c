// SPDX-License-Identifier: Apache-2.0
/*
 * The event thread and kernel timers (sentry/kernel/timer.h). One libev loop per sandbox
 * on a host thread of its own. libev is not thread-safe, so the loop follows libev's
 * "thread locking example": the event thread holds svc->mu except while it polls, other
 * threads change watchers under svc->mu and poke it with an ev_async. Expired timers are
 * collected under the lock by the watcher callbacks, and their ktimer_fn run afterwards
 * with the lock dropped, so that callbacks may take kernel locks and send signals.
 */
#include "sentry/kernel/timer.h"

#include <errno.h>
#include <ev.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "lib/log.h"
#include "lib/waitq.h"
#include "sentry/host/host.h"
#include "sentry/kernel/kernel.h"

struct timer_service {
	struct ev_loop *loop;
	pthread_t thread;
	ev_async wake;
	pthread_mutex_t mu;
	bool stop;              /* protected by mu */
	struct ktimer *fired;   /* protected by mu: expired, callback not yet run */
	struct ktimer *running; /* protected by mu: whose callback runs now */
	pthread_cond_t done;    /* broadcast when a callback returns */
	struct waitq signal_wq; /* kernel_signal_notify */
};

struct ktimer {
	struct timer_service *svc;
	ktimer_fn fn;
	void *arg;
	/* All protected by svc->mu. */
	clockid_t clock;  /* CLOCK_MONOTONIC (ev_timer) or CLOCK_REALTIME (ev_periodic) */
	int64_t next;     /* absolute expiry on clock; 0: disarmed */
	int64_t interval;
	uint64_t count;   /* expirations collected, not yet handed to fn */
	bool on_fired;    /* on svc->fired */
	struct ktimer *fired_next;
	ev_timer tw;
	ev_periodic pw;
};

int64_t clock_now_ns(clockid_t clock)
{
	struct timespec ts;

	host_clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Preconditions: svc->mu held. Stop whichever watcher runs. */
static void kt_stop_watchers(struct ktimer *kt)
{
	ev_timer_stop(kt->svc->loop, &kt->tw);
	ev_periodic_stop(kt->svc->loop, &kt->pw);
}

/* Preconditions: svc->mu held, kt->next set. Start the watcher for kt->next. */
static void kt_start_watcher(struct ktimer *kt)
{
	struct ev_loop *loop = kt->svc->loop;

	if (kt->clock == CLOCK_REALTIME) {
		/* ev_periodic: absolute wall-clock time, rescheduled when the clock jumps. */
		ev_periodic_set(&kt->pw, (ev_tstamp)kt->next / 1e9, 0, NULL);
		ev_periodic_start(loop, &kt->pw);
	} else {
		/* ev_timer counts from the loop's monotonic time: bring it up to date first. */
		ev_now_update(loop);
		int64_t left = kt->next - clock_now_ns(CLOCK_MONOTONIC);
		ev_timer_set(&kt->tw, left > 0 ? (ev_tstamp)left / 1e9 : 0, 0);
		ev_timer_start(loop, &kt->tw);
	}
}

/* Preconditions: svc->mu held (event thread). A watcher went off: count and re-arm. */
static void kt_expire(struct ktimer *kt)
{
	struct timer_service *svc = kt->svc;
	int64_t now;
	uint64_t n;

	if (!kt->next)
		return;
	now = clock_now_ns(kt->clock);
	if (now < kt->next) { /* early by rounding (or the realtime clock went back) */
		kt_start_watcher(kt);
		return;
	}
	n = 1;
	if (kt->interval) {
		/* Periods missed while the thread was late count as expirations too. */
		n += (uint64_t)((now - kt->next) / kt->interval);
		kt->next += (int64_t)n * kt->interval;
		kt_start_watcher(kt);
	} else {
		kt->next = 0;
	}
	kt->count += n;
	if (!kt->on_fired) {
		kt->on_fired = true;
		kt->fired_next = svc->fired;
		svc->fired = kt;
	}
}

static void kt_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	kt_expire(w->data);
}

static void kt_periodic_cb(struct ev_loop *loop, ev_periodic *w, int revents)
{
	kt_expire(w->data);
}

static void svc_wake_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct timer_service *svc = w->data;

	if (svc->stop)
		ev_break(loop, EVBREAK_ALL);
}

/* libev's invoke_pending hook: watcher callbacks under the lock, then ktimer_fns without. */
static void svc_invoke(struct ev_loop *loop)
{
	struct timer_service *svc = ev_userdata(loop);

	ev_invoke_pending(loop);
	while (svc->fired) {
		struct ktimer *kt = svc->fired;
		uint64_t n = kt->count;

		svc->fired = kt->fired_next;
		kt->on_fired = false;
		kt->count = 0;
		svc->running = kt;
		pthread_mutex_unlock(&svc->mu);
		kt->fn(kt, kt->arg, n);
		pthread_mutex_lock(&svc->mu);
		svc->running = NULL;
		pthread_cond_broadcast(&svc->done);
	}
}

static void svc_release(struct ev_loop *loop)
{
	struct timer_service *svc = ev_userdata(loop);
	pthread_mutex_unlock(&svc->mu);
}

static void svc_acquire(struct ev_loop *loop)
{
	struct timer_service *svc = ev_userdata(loop);
	pthread_mutex_lock(&svc->mu);
}

static void *svc_thread(void *arg)
{
	struct timer_service *svc = arg;

	pthread_mutex_lock(&svc->mu);
	while (!svc->stop)
		ev_run(svc->loop, 0);
	pthread_mutex_unlock(&svc->mu);
	return NULL;
}

int kernel_timers_init(struct kernel *k)
{
	struct timer_service *svc = calloc(1, sizeof(*svc));
	sigset_t all, old;
	int r;

	if (!svc)
		return -ENOMEM;
	svc->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV | EVFLAG_NOSIGMASK);
	if (!svc->loop) {
		free(svc);
		return -ENOMEM;
	}
	pthread_mutex_init(&svc->mu, NULL);
	pthread_cond_init(&svc->done, NULL);
	waitq_init(&svc->signal_wq);
	ev_set_userdata(svc->loop, svc);
	ev_set_invoke_pending_cb(svc->loop, svc_invoke);
	ev_set_loop_release_cb(svc->loop, svc_release, svc_acquire);
	ev_async_init(&svc->wake, svc_wake_cb);
	svc->wake.data = svc;
	ev_async_start(svc->loop, &svc->wake);
	/* Host signals (platform interrupts, SIGCHLD of stubs) are for the task threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&svc->thread, NULL, svc_thread, svc);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		ev_loop_destroy(svc->loop);
		waitq_destroy(&svc->signal_wq);
		free(svc);
		return -r;
	}
	k->timers = svc;
	return 0;
}

void kernel_timers_fini(struct kernel *k)
{
	struct timer_service *svc = k->timers;

	if (!svc)
		return;
	pthread_mutex_lock(&svc->mu);
	svc->stop = true;
	ev_async_send(svc->loop, &svc->wake);
	pthread_mutex_unlock(&svc->mu);
	pthread_join(svc->thread, NULL);
	ev_loop_destroy(svc->loop);
	waitq_destroy(&svc->signal_wq);
	pthread_cond_destroy(&svc->done);
	pthread_mutex_destroy(&svc->mu);
	free(svc);
	k->timers = NULL;
}

int ktimer_new(struct kernel *k, ktimer_fn fn, void *arg, struct ktimer **out)
{
	struct ktimer *kt = calloc(1, sizeof(*kt));

	if (!kt)
		return -ENOMEM;
	kt->svc = k->timers;
	kt->fn = fn;
	kt->arg = arg;
	kt->clock = CLOCK_MONOTONIC;
	ev_init(&kt->tw, kt_timer_cb);
	kt->tw.data = kt;
	ev_init(&kt->pw, kt_periodic_cb);
	kt->pw.data = kt;
	*out = kt;
	return 0;
}

/* Preconditions: svc->mu held. Take @kt off the fired list. */
static void kt_unfire(struct ktimer *kt)
{
	struct timer_service *svc = kt->svc;

	if (!kt->on_fired)
		return;
	for (struct ktimer **pp = &svc->fired; *pp; pp = &(*pp)->fired_next) {
		if (*pp == kt) {
			*pp = kt->fired_next;
			break;
		}
	}
	kt->on_fired = false;
	kt->count = 0;
}

void ktimer_free(struct ktimer *kt)
{
	struct timer_service *svc;

	if (!kt)
		return;
	svc = kt->svc;
	pthread_mutex_lock(&svc->mu);
	kt->next = 0;
	kt_stop_watchers(kt);
	kt_unfire(kt);
	/* Linux's del_timer_sync; a callback freeing its own timer must not wait for itself. */
	while (svc->running == kt && !pthread_equal(pthread_self(), svc->thread))
		pthread_cond_wait(&svc->done, &svc->mu);
	pthread_mutex_unlock(&svc->mu);
	free(kt);
}

/* Preconditions: svc->mu held. */
static void kt_get_locked(struct ktimer *kt, int64_t *value, int64_t *interval)
{
	int64_t left = 0;

	if (kt->next) {
		left = kt->next - clock_now_ns(kt->clock);
		if (left <= 0)
			left = 1; /* due but not yet run: still armed (Linux reports 1 ns too) */
	}
	if (value)
		*value = left;
	if (interval)
		*interval = kt->interval;
}

void ktimer_set(struct ktimer *kt, clockid_t clock, int64_t value, int64_t interval,
		int64_t *old_value, int64_t *old_interval)
{
	struct timer_service *svc = kt->svc;

	pthread_mutex_lock(&svc->mu);
	kt_get_locked(kt, old_value, old_interval);
	kt_stop_watchers(kt);
	/* Expirations of the old setting not yet reported are dropped, as settime does. */
	kt_unfire(kt);
	kt->clock = clock == CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	kt->next = value;
	kt->interval = value ? interval : 0;
	if (value) {
		kt_start_watcher(kt);
		ev_async_send(svc->loop, &svc->wake); /* the loop recomputes its poll timeout */
	}
	pthread_mutex_unlock(&svc->mu);
}

void ktimer_get(struct ktimer *kt, int64_t *value, int64_t *interval)
{
	pthread_mutex_lock(&kt->svc->mu);
	kt_get_locked(kt, value, interval);
	pthread_mutex_unlock(&kt->svc->mu);
}

/* ---- the signal wait queue (signalfd) ---- */

void kernel_signal_notify(struct kernel *k)
{
	if (k->timers)
		waitq_wake_all(&k->timers->signal_wq);
}

struct waitq *kernel_signal_waitq(struct kernel *k)
{
	return &k->timers->signal_wq;
}

