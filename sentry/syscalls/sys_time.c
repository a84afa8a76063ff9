// SPDX-License-Identifier: Apache-2.0
/* Clocks and sleeps. The guest has no vDSO yet, so every clock read traps here. */
#include <sys/time.h>
#include <time.h>

#include "lib/waitq.h"
#include "sentry/host/host.h"
#include "sentry/kernel/timer.h"
#include "sentry/syscalls/sys_impl.h"

/* Clocks a guest may name; CPU-time clocks of other processes are not supported yet. */
static bool clock_ok(clockid_t c)
{
	switch (c) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
	case CLOCK_TAI:
		return true;
	default:
		return false;
	}
}

/*
 * Negative ids name CPU-time clocks of a process or thread (Linux's CPUCLOCK_* encoding:
 * ~pid << 3 | perthread << 2 | which). Only the caller's own are known; clock_gettime reads
 * them through task_cpuclock_ns (sentry/kernel/cputimer.c).
 */
static int cpuclock_resolve(struct task *t, clockid_t c, clockid_t *out)
{
	int pid = ~(c >> 3), which = c & 3;
	bool thread = c & 4;

	if (which == 3)
		return -EINVAL;
	if (pid != 0 && pid != (thread ? t->tid : t->tg->tgid))
		return -EINVAL;
	*out = thread ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID;
	return 0;
}

/* The host clock to read for guest clock @c, or -EINVAL. */
static int clock_resolve(struct task *t, clockid_t c, clockid_t *out)
{
	if (c < 0)
		return cpuclock_resolve(t, c, out);
	if (!clock_ok(c))
		return -EINVAL;
	*out = c;
	return 0;
}

long sys_clock_gettime(struct task *t, const struct syscall_args *a)
{
	clockid_t c;
	struct timespec ts;
	clockid_t g = (clockid_t)ARG_INT(0);
	int r = clock_resolve(t, g, &c);

	if (r < 0)
		return r;
	if (c == CLOCK_PROCESS_CPUTIME_ID || c == CLOCK_THREAD_CPUTIME_ID) {
		/* The guest's CPU time as its CPU-time timers count it (a thread's clock
		 * reads its process's: the stub's CPU is not split per thread). */
		int64_t ns = task_cpuclock_ns(t, g < 0 ? (g & 3) : CPUCLOCK_SCHED);
		ts.tv_sec = ns / NSEC_PER_SEC;
		ts.tv_nsec = ns % NSEC_PER_SEC;
	} else {
		r = host_clock_gettime(c, &ts);
		if (r < 0)
			return r;
	}
	if (mm_copy_out(t->mm, ARG_U(1), &ts, sizeof(ts)) != sizeof(ts))
		return -EFAULT;
	return 0;
}

long sys_clock_getres(struct task *t, const struct syscall_args *a)
{
	clockid_t c;
	struct timespec ts;
	int r = clock_resolve(t, (clockid_t)ARG_INT(0), &c);

	if (r < 0)
		return r;
	r = host_clock_getres(c, &ts);
	if (r < 0)
		return r;
	if (ARG_U(1) && mm_copy_out(t->mm, ARG_U(1), &ts, sizeof(ts)) != sizeof(ts))
		return -EFAULT;
	return 0;
}

long sys_gettimeofday(struct task *t, const struct syscall_args *a)
{
	struct timespec ts;
	struct timeval tv;

	host_clock_gettime(CLOCK_REALTIME, &ts);
	tv.tv_sec = ts.tv_sec;
	tv.tv_usec = ts.tv_nsec / 1000;
	if (ARG_U(0) && mm_copy_out(t->mm, ARG_U(0), &tv, sizeof(tv)) != sizeof(tv))
		return -EFAULT;
	if (ARG_U(1)) {
		struct timezone tz = { 0, 0 };
		if (mm_copy_out(t->mm, ARG_U(1), &tz, sizeof(tz)) != sizeof(tz))
			return -EFAULT;
	}
	return 0;
}

long sys_time(struct task *t, const struct syscall_args *a)
{
	struct timespec ts;
	int64_t now;

	host_clock_gettime(CLOCK_REALTIME, &ts);
	now = ts.tv_sec;
	if (ARG_U(0) && mm_copy_out(t->mm, ARG_U(0), &now, sizeof(now)) != sizeof(now))
		return -EFAULT;
	return now;
}

static int copy_in_timespec(struct task *t, uint64_t addr, struct timespec *ts)
{
	if (mm_copy_in(t->mm, addr, ts, sizeof(*ts)) != sizeof(*ts))
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
		return -EINVAL;
	return 0;
}

static int64_t ts_ns(const struct timespec *ts)
{
	if (ts->tv_sec >= INT64_MAX / NSEC_PER_SEC - 1)
		return INT64_MAX / 2; /* as good as forever */
	return (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static struct timespec ns_ts(int64_t ns)
{
	return (struct timespec){ ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };
}

/* Longest single wait for a CLOCK_REALTIME deadline: the clock may be set meanwhile. */
#define REALTIME_SLICE_NS NSEC_PER_SEC
/* How often a sleep on the process's CPU clock looks at it (as the CPU timers do). */
#define CPUCLOCK_SLICE_NS 5000000LL

/* @clock now: CLOCK_PROCESS_CPUTIME_ID is the guest's (task_cputime), others the host's. */
static int64_t sleep_clock_now(struct task *t, clockid_t clock)
{
	if (clock == CLOCK_PROCESS_CPUTIME_ID)
		return task_cpuclock_ns(t, CPUCLOCK_SCHED);
	return clock_now_ns(clock);
}

/*
 * Sleep until @deadline ns on @clock (CLOCK_MONOTONIC, CLOCK_REALTIME or the process's CPU
 * clock) on the task's waiter. 0 when the time is up, -EINTR when a signal the task can
 * take interrupted it.
 */
static int sleep_until(struct task *t, clockid_t clock, int64_t deadline)
{
	struct waiter *w = waiter_current();

	for (;;) {
		int64_t left = deadline - sleep_clock_now(t, clock);
		struct timespec dl;

		if (left <= 0)
			return 0;
		if (clock == CLOCK_REALTIME && left > REALTIME_SLICE_NS)
			left = REALTIME_SLICE_NS;
		else if (clock == CLOCK_PROCESS_CPUTIME_ID && left > CPUCLOCK_SLICE_NS)
			left = CPUCLOCK_SLICE_NS;
		dl = ns_ts(clock_now_ns(CLOCK_MONOTONIC) + left);
		/* 0 (a wake meant for some other wait) and -ETIMEDOUT: look at the clock again. */
		if (waiter_wait(w, &dl) == -EINTR)
			return sleep_clock_now(t, clock) >= deadline ? 0 : -EINTR;
	}
}

static long sleep_restart(struct task *t);

/*
 * A relative sleep was interrupted: write the time left to @rem_addr (-EFAULT if that
 * fails, as Linux's nanosleep_copyout) and set up restart_syscall to the same deadline.
 */
static long sleep_interrupted(struct task *t, clockid_t clock, int64_t deadline,
			      uint64_t rem_addr)
{
	if (rem_addr) {
		int64_t left = deadline - sleep_clock_now(t, clock);
		struct timespec rem = ns_ts(left > 0 ? left : 0);
		if (mm_copy_out(t->mm, rem_addr, &rem, sizeof(rem)) != sizeof(rem))
			return -EFAULT;
	}
	t->restart_data[0] = (uint64_t)clock;
	t->restart_data[1] = (uint64_t)deadline;
	t->restart_data[2] = rem_addr;
	t->restart_fn = sleep_restart;
	return -ERESTART_RESTARTBLOCK;
}

/* restart_syscall(2) after a relative sleep: on to the same deadline. */
static long sleep_restart(struct task *t)
{
	clockid_t clock = (clockid_t)t->restart_data[0];
	int64_t deadline = (int64_t)t->restart_data[1];

	if (sleep_until(t, clock, deadline) == 0)
		return 0;
	return sleep_interrupted(t, clock, deadline, t->restart_data[2]);
}

/*
 * Linux's hrtimer_nanosleep: a relative sleep counts on the monotonic clock (whatever the
 * clock: a REL hrtimer) and, interrupted, writes the time left and restarts through
 * restart_syscall to the same deadline when no handler runs; a handler makes it EINTR
 * (never SA_RESTART). An absolute one follows its clock and restarts as it was
 * (ERESTARTNOHAND). On the process's CPU clock both count the guest's CPU time, which a
 * single-threaded sleeper hardly spends: like on Linux, it sleeps until a signal.
 */
static long do_sleep(struct task *t, clockid_t c, int flags, uint64_t req_addr, uint64_t rem_addr)
{
	struct timespec req;
	int64_t deadline;
	int r = copy_in_timespec(t, req_addr, &req);

	if (r < 0)
		return r;
	if (c != CLOCK_PROCESS_CPUTIME_ID && !(flags & TIMER_ABSTIME))
		c = CLOCK_MONOTONIC;
	if (!(flags & TIMER_ABSTIME)) {
		deadline = sleep_clock_now(t, c) + ts_ns(&req);
		if (sleep_until(t, c, deadline) == 0)
			return 0;
		return sleep_interrupted(t, c, deadline, rem_addr);
	}
	deadline = ts_ns(&req);
	if (c != CLOCK_REALTIME && c != CLOCK_MONOTONIC && c != CLOCK_PROCESS_CPUTIME_ID) {
		/* BOOTTIME, TAI: the same instant on the monotonic clock. */
		deadline -= clock_now_ns(c) - clock_now_ns(CLOCK_MONOTONIC);
		c = CLOCK_MONOTONIC;
	}
	return sleep_until(t, c, deadline) == 0 ? 0 : -ERESTARTNOHAND;
}

long sys_nanosleep(struct task *t, const struct syscall_args *a)
{
	return do_sleep(t, CLOCK_MONOTONIC, 0, ARG_U(0), ARG_U(1));
}

long sys_clock_nanosleep(struct task *t, const struct syscall_args *a)
{
	clockid_t c = (clockid_t)ARG_INT(0);
	int flags = ARG_INT(1);

	if (c < 0) {
		/* CPU clocks by id: the process's sleeps on it, a thread's is EINVAL (Linux). */
		clockid_t host;
		int r = cpuclock_resolve(t, c, &host);
		if (r < 0)
			return r;
		c = host;
	}
	if (c == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	if (!clock_ok(c) || c == CLOCK_MONOTONIC_RAW || c == CLOCK_REALTIME_COARSE ||
	    c == CLOCK_MONOTONIC_COARSE)
		return -EINVAL;
	if (flags & ~TIMER_ABSTIME)
		return -EINVAL;
	return do_sleep(t, c, flags, ARG_U(2), ARG_U(3));
}
