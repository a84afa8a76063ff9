// SPDX-License-Identifier: Apache-2.0
/*
 * CPU-time timers: ITIMER_VIRTUAL, ITIMER_PROF and POSIX timers on CPU-time clocks.
 *
 * A guest process's CPU time is spent in two host places: its guest code runs in the
 * platform's stub process for its address space (platform_ops.as_cpu_clock gives that
 * process's host CPU clock: user time is the guest's user time, PROF adds the stub's
 * system time), and its syscalls run on the tasks' Sentry host threads (tg_cputime's system
 * time, cputime.c: counted for PROF and SCHED, not VIRTUAL). Nothing tells the Sentry when a CPU clock passes a
 * value, so an armed timer samples the clocks with a periodic tick on the event thread
 * (CPUTIMER_TICK_NS): it fires up to one tick late, and the host's utime/stime split is
 * itself tick-sampled. Good enough for profilers and CPU limits; not for exact counts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "sentry/host/host.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/timer_impl.h"

#define CPUTIMER_TICK_NS 5000000LL

struct cputimer {
	struct tg_timers *tt;
	int kind;
	cputimer_fn fn;
	void *arg;
	struct ktimer *tick;
	int64_t expires;  /* protected by tt->mu: absolute CPU time in ns; 0: disarmed */
	int64_t interval; /* protected by tt->mu */
};

static int64_t read_clock(clockid_t c, int64_t *out)
{
	struct timespec ts;
	int r = host_clock_gettime(c, &ts);

	if (r == 0)
		*out = (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
	return r;
}

/* Preconditions: tt->mu held (takes k->mu). The process's CPU time of @kind. */
static int64_t tt_cputime_locked(struct tg_timers *tt, int kind)
{
	int64_t total = 0, v;

	if (tt->stub_clock && read_clock((tt->stub_clock & ~3) | kind, &v) == 0)
		tt->stub_last[kind] = v;
	total = tt->stub_base[kind] + tt->stub_last[kind];
	if (kind != CPUCLOCK_USER && tt->k) {
		/* The Sentry threads' CPU time, live and exited (cputime.c): system time. */
		uint64_t ut, st;
		pthread_mutex_lock(&tt->k->mu);
		tg_cputime(tt->tg, &ut, &st);
		pthread_mutex_unlock(&tt->k->mu);
		total += (int64_t)st;
	}
	return total;
}

void tt_cpu_clocks_refresh(struct tg_timers *tt, struct task *t)
{
	const struct platform_ops *ops = t->k->platform->ops;
	struct addrspace *as = t->mm ? mm_addrspace(t->mm) : NULL;
	int c = 0;

	if (!as || !ops->as_cpu_clock || ops->as_cpu_clock(as, &c) < 0)
		c = 0;
	if (c != tt->stub_clock) {
		/* A new image (execve): keep what the old stub had used. */
		for (int i = 0; i < 3; i++) {
			tt->stub_base[i] += tt->stub_last[i];
			tt->stub_last[i] = 0;
		}
		tt->stub_clock = c;
	}
}

int64_t task_cpuclock_ns(struct task *t, int kind)
{
	/* From the first reading on, the process's CPU time survives execve. */
	struct tg_timers *tt = tg_timers_get(t->tg, true);
	int64_t v;

	if (!tt)
		return 0;
	pthread_mutex_lock(&tt->mu);
	tt->k = t->k;
	tt_cpu_clocks_refresh(tt, t);
	v = tt_cputime_locked(tt, kind);
	pthread_mutex_unlock(&tt->mu);
	return v;
}

static void cputimer_tick(struct ktimer *kt, void *arg, uint64_t ticks)
{
	struct cputimer *ct = arg;
	struct tg_timers *tt = ct->tt;
	int64_t now;
	uint64_t n = 1;

	pthread_mutex_lock(&tt->mu);
	if (!ct->expires) {
		pthread_mutex_unlock(&tt->mu);
		return;
	}
	now = tt_cputime_locked(tt, ct->kind);
	if (now < ct->expires) {
		pthread_mutex_unlock(&tt->mu);
		return;
	}
	if (ct->interval) {
		n += (uint64_t)((now - ct->expires) / ct->interval);
		ct->expires += (int64_t)n * ct->interval;
	} else {
		ct->expires = 0;
		ktimer_set(ct->tick, CLOCK_MONOTONIC, 0, 0, NULL, NULL);
	}
	pthread_mutex_unlock(&tt->mu);
	ct->fn(ct, ct->arg, n);
}

int cputimer_new(struct kernel *k, struct tg_timers *tt, int kind, cputimer_fn fn, void *arg,
		 struct cputimer **out)
{
	struct cputimer *ct = calloc(1, sizeof(*ct));
	int r;

	if (!ct)
		return -ENOMEM;
	ct->tt = tt;
	ct->kind = kind;
	ct->fn = fn;
	ct->arg = arg;
	r = ktimer_new(k, cputimer_tick, ct, &ct->tick);
	if (r < 0) {
		free(ct);
		return r;
	}
	*out = ct;
	return 0;
}

void cputimer_free(struct cputimer *ct)
{
	if (!ct)
		return;
	ktimer_free(ct->tick);
	free(ct);
}

void cputimer_get(struct cputimer *ct, int64_t *value, int64_t *interval)
{
	int64_t left = 0;

	if (ct->expires) {
		left = ct->expires - tt_cputime_locked(ct->tt, ct->kind);
		if (left <= 0)
			left = 1;
	}
	*value = left;
	*interval = ct->interval;
}

void cputimer_set(struct cputimer *ct, int64_t value, bool abs, int64_t interval,
		  int64_t *old_value, int64_t *old_interval)
{
	int64_t now = tt_cputime_locked(ct->tt, ct->kind);

	if (old_value)
		cputimer_get(ct, old_value, old_interval);
	if (!value) {
		ct->expires = 0;
		ct->interval = 0;
		ktimer_set(ct->tick, CLOCK_MONOTONIC, 0, 0, NULL, NULL);
		return;
	}
	ct->expires = abs ? value : now + value;
	if (ct->expires <= 0)
		ct->expires = 1;
	ct->interval = interval;
	ktimer_set(ct->tick, CLOCK_MONOTONIC, clock_now_ns(CLOCK_MONOTONIC) + CPUTIMER_TICK_NS,
		   CPUTIMER_TICK_NS, NULL, NULL);
}
