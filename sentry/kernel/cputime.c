// SPDX-License-Identifier: Apache-2.0
/*
 * CPU time accounting for times(2), getrusage(2) and /proc. A task's user time is the wall
 * time its guest code ran (the run loop adds each switch_to); its system time is the CPU
 * time of the Sentry host thread serving it (pthread_getcpuclockid), which is the Sentry's
 * work on its behalf. Exited threads add theirs to the process; reaped children to the
 * parent's children totals.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "sentry/host/host.h"
#include "sentry/kernel/kernel.h"

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
}

/* Preconditions: @t is alive (its host thread runs), e.g. on its group's list under k->mu. */
static uint64_t thread_stime(struct task *t)
{
	clockid_t clk;
	struct timespec ts;

	if (pthread_equal(t->thread, pthread_self()))
		return host_clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0 ? ts_ns(&ts) : 0;
	if (pthread_getcpuclockid(t->thread, &clk) != 0)
		return 0;
	return host_clock_gettime(clk, &ts) == 0 ? ts_ns(&ts) : 0;
}

void task_cputime(struct task *t, uint64_t *utime, uint64_t *stime)
{
	*utime = __atomic_load_n(&t->utime_ns, __ATOMIC_RELAXED);
	*stime = thread_stime(t);
}

void tg_cputime(struct thread_group *tg, uint64_t *utime, uint64_t *stime)
{
	/* Preconditions: kernel->mu held (the thread list). */
	*utime = tg->dead_utime;
	*stime = tg->dead_stime;
	for (struct task *u = tg->tasks; u; u = u->tg_next) {
		uint64_t a, b;
		task_cputime(u, &a, &b);
		*utime += a;
		*stime += b;
	}
}

void tg_child_cputime(struct thread_group *tg, uint64_t *utime, uint64_t *stime)
{
	*utime = tg->child_utime;
	*stime = tg->child_stime;
}
