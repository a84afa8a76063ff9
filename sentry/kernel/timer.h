/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Timers and signal waits of the Sentry's kernel (DESIGN.md §4): one event thread per
 * sandbox runs a libev loop that fires kernel timers (struct ktimer) at absolute
 * CLOCK_MONOTONIC or CLOCK_REALTIME deadlines; on top of them the per-process timers
 * (alarm, setitimer ITIMER_REAL, POSIX timers) and timerfd (fs/timerfd.c). Signal waits
 * (sigtimedwait, signalfd) dequeue pending signals without running handlers.
 *
 * Kept apart from kernel.h so that the timer code stays in its own files.
 *
 * Lock order: tg_timers->mu > kernel->mu > thread_group->mu, and tg_timers->mu >
 * timer_service->mu. A ktimer's callback runs on the event thread with no
 * lock held; it may take any of them.
 */
#ifndef SBX_SENTRY_KERNEL_TIMER_H
#define SBX_SENTRY_KERNEL_TIMER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "lib/abi/linux/signal.h"

struct kernel;
struct task;
struct thread_group;
struct waitq;
struct ktimer;

#define NSEC_PER_SEC 1000000000LL

/* ---- the event thread and kernel timers (sentry/kernel/timer.c) ---- */

/*
 * kernel_timers_init - start the event thread of @k and the signal wait queue. Called by
 * kernel_new; 0 or -errno. kernel_timers_fini stops it (every ktimer must be freed before).
 */
int kernel_timers_init(struct kernel *k);
void kernel_timers_fini(struct kernel *k);

/*
 * ktimer_fn - a timer expired @n times (n > 1 when the event thread was late for a
 * periodic timer: the missed periods, Linux's hrtimer_forward overrun). Runs on the event
 * thread with no lock held.
 */
typedef void (*ktimer_fn)(struct ktimer *kt, void *arg, uint64_t n);

/* ktimer_new - a disarmed timer that calls @fn(kt, @arg, n) on expiry. 0 or -ENOMEM. */
int ktimer_new(struct kernel *k, ktimer_fn fn, void *arg, struct ktimer **out);
/*
 * ktimer_free - disarm, wait until a running callback has returned, free. Must not be
 * called with a lock the callback takes. NULL is fine.
 */
void ktimer_free(struct ktimer *kt);
/*
 * ktimer_set - arm @kt to expire at @value ns (absolute on @clock: CLOCK_MONOTONIC or
 * CLOCK_REALTIME; the latter follows changes of the realtime clock), then every
 * @interval ns (0: once). @value 0 disarms. @old_value and @old_interval (may be NULL)
 * get the time that was left (ns, 0 when disarmed) and the old interval.
 */
void ktimer_set(struct ktimer *kt, clockid_t clock, int64_t value, int64_t interval,
		int64_t *old_value, int64_t *old_interval);
/* ktimer_get - time left until the next expiry (0: disarmed; >= 1 while armed), interval. */
void ktimer_get(struct ktimer *kt, int64_t *value, int64_t *interval);

/* clock_now_ns - the host's @clock now, in ns. */
int64_t clock_now_ns(clockid_t clock);

/* Which CPU time a clock counts (Linux's CPUCLOCK_PROF/VIRT/SCHED encoding). */
enum { CPUCLOCK_PROF = 0, CPUCLOCK_USER = 1, CPUCLOCK_SCHED = 2 };
/*
 * task_cpuclock_ns - CPU time of @t's process of @kind in ns, as the CPU-time timers count it
 * (sentry/kernel/cputimer.c): guest code in the platform's stub plus the Sentry thread.
 * Call on @t's thread.
 */
int64_t task_cpuclock_ns(struct task *t, int kind);

/* ---- per-process timers (sentry/kernel/ptimer.c) ---- */

/*
 * tg_timers_exit - a process ends: delete its itimers and POSIX timers. Idempotent.
 * tg_timers_exec - @t's execve replaced the image (call on @t's thread after the new mm is
 * in place): POSIX timers end, itimers and alarm survive, as on Linux. Neither may be
 * called with k->mu or tg->mu held.
 */
void tg_timers_exit(struct thread_group *tg);
void tg_timers_exec(struct task *t);

/* task_getitimer / task_setitimer - ITIMER_REAL, VIRTUAL, PROF in ns; 0 or -EINVAL. */
int task_getitimer(struct task *t, int which, int64_t *value, int64_t *interval);
int task_setitimer(struct task *t, int which, int64_t value, int64_t interval,
		   int64_t *old_value, int64_t *old_interval);

/* struct ksigevent - struct sigevent as the guest gave it (checked by the caller). */
struct ksigevent {
	uint64_t value;
	int32_t signo;
	int32_t notify;
	int32_t tid;
	bool value_is_id; /* no sigevent given: sival_int is the timer's id */
};

int task_timer_create(struct task *t, clockid_t clock, const struct ksigevent *ev, int *id);
int task_timer_settime(struct task *t, int id, bool abs, int64_t value, int64_t interval,
		       int64_t *old_value, int64_t *old_interval);
int task_timer_gettime(struct task *t, int id, int64_t *value, int64_t *interval);
int task_timer_getoverrun(struct task *t, int id);
int task_timer_delete(struct task *t, int id);
/*
 * ptimer_signal_taken - a SI_TIMER signal was dequeued (handler, sigtimedwait, signalfd):
 * what timer_getoverrun reports from now on. Hook for signal delivery.
 */
void ptimer_signal_taken(struct thread_group *tg, const struct linux_siginfo *info);

/* ---- signal waits (sentry/kernel/sigwait.c) ---- */

/*
 * task_dequeue_signal - take the lowest pending signal of @t in @set off the pending set
 * (no handler runs); its siginfo to *@info. The signal number, or 0 when none.
 */
int task_dequeue_signal(struct task *t, uint64_t set, struct linux_siginfo *info);
/*
 * task_sigtimedwait - rt_sigtimedwait: wait for a signal of @set (NULL @timeout: forever,
 * relative otherwise). The signal number, -EAGAIN on timeout, -EINTR when another
 * signal interrupts (never restarted, as on Linux).
 */
int task_sigtimedwait(struct task *t, uint64_t set, const struct timespec *timeout,
		      struct linux_siginfo *info);
/*
 * kernel_signal_notify - a signal became pending somewhere: wake signalfd readers and
 * pollers (kernel->signal_wq). Hook for task_send_signal; any context.
 */
void kernel_signal_notify(struct kernel *k);
/* kernel_signal_waitq - the queue kernel_signal_notify wakes. */
struct waitq *kernel_signal_waitq(struct kernel *k);

/* ---- timerfd and signalfd (fs/timerfd.c, fs/signalfd.c): files over the above ---- */

struct file;

/*
 * timerfd_new - a timerfd on @clock (REALTIME, MONOTONIC, BOOTTIME; checked by the
 * caller) with O_NONBLOCK from @flags. read gives the 8-byte expiration count.
 */
int timerfd_new(struct kernel *k, clockid_t clock, int flags, struct file **out);
bool file_is_timerfd(struct file *f);
/* timerfd_file_settime / timerfd_file_gettime - in ns; @abs: TFD_TIMER_ABSTIME. */
void timerfd_file_settime(struct file *f, bool abs, int64_t value, int64_t interval,
		     int64_t *old_value, int64_t *old_interval);
void timerfd_file_gettime(struct file *f, int64_t *value, int64_t *interval);

/*
 * signalfd_new - a signalfd for signals in @mask (O_NONBLOCK from @flags). It reads the
 * signals of whichever task reads or polls it (kernel_current()), as on Linux.
 */
int signalfd_new(struct kernel *k, uint64_t mask, int flags, struct file **out);
bool file_is_signalfd(struct file *f);
void signalfd_set_mask(struct file *f, uint64_t mask);

#endif
