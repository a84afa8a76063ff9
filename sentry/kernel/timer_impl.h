/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to the timer files of sentry/kernel (timer.c, ptimer.c, cputimer.c). */
#ifndef SBX_SENTRY_KERNEL_TIMER_IMPL_H
#define SBX_SENTRY_KERNEL_TIMER_IMPL_H

#include <pthread.h>

#include "sentry/kernel/timer.h"

struct posix_timer;
struct cputimer;


/* struct tg_timers - a process's timers (thread_group->timers). */
struct tg_timers {
	struct thread_group *tg;
	pthread_mutex_t mu;
	struct kernel *k;           /* protected by mu */
	struct ktimer *real;        /* protected by mu: ITIMER_REAL and alarm */
	struct cputimer *cpu[2];    /* protected by mu: ITIMER_VIRTUAL, ITIMER_PROF */
	struct posix_timer *posix;  /* protected by mu */
	int next_id;                /* protected by mu */
	/*
	 * Where the guest code's CPU time is read (cputimer.c), protected by mu and set on a
	 * task thread (timer creation, clock reads, execve): the address space's stub process
	 * clock (0: unknown), the CPU time of stubs replaced by execve, and the last reading
	 * of the current one, per CPUCLOCK_* kind.
	 */
	int stub_clock;
	int64_t stub_base[3];
	int64_t stub_last[3];
};

/* tg_timers_get - @tg's timers, made on first use with @create (NULL: none or no memory). */
struct tg_timers *tg_timers_get(struct thread_group *tg, bool create);

/*
 * CPU-time timers (cputimer.c): sampled by a periodic tick on the event thread, so they
 * fire up to one tick (CPUTIMER_TICK_NS) late. @fn runs on the event thread, no lock held.
 */
typedef void (*cputimer_fn)(struct cputimer *ct, void *arg, uint64_t n);
int cputimer_new(struct kernel *k, struct tg_timers *tt, int kind, cputimer_fn fn, void *arg,
		 struct cputimer **out);
void cputimer_free(struct cputimer *ct);
/* Preconditions of cputimer_set/get: tt->mu held. cputimer_free: no lock held. */
/* cputimer_set - @value ns of CPU time from now (or absolute with @abs); 0 disarms. */
void cputimer_set(struct cputimer *ct, int64_t value, bool abs, int64_t interval,
		  int64_t *old_value, int64_t *old_interval);
void cputimer_get(struct cputimer *ct, int64_t *value, int64_t *interval);
/* tt_cpu_clocks_refresh - note @t's host thread and stub clocks. Preconditions: tt->mu held,
 * called on @t's thread. */
void tt_cpu_clocks_refresh(struct tg_timers *tt, struct task *t);

#endif
