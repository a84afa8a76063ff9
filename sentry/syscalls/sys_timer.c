// SPDX-License-Identifier: Apache-2.0
/*
 * alarm, getitimer/setitimer, POSIX timers (timer_*) and timerfd: decode the guest's
 * timevals/timespecs and sigevents, and call the kernel's timers (sentry/kernel/timer.h).
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

#include "fs/vfs.h"
#include "sentry/kernel/timer.h"
#include "sentry/syscalls/sys_impl.h"

static unsigned long nofile_limit(struct task *t)
{
	struct rlimit rl;
	task_get_rlimit(t, RLIMIT_NOFILE, &rl);
	return rl.rlim_cur;
}

/* Far-future times are clamped: a timer a century away never fires either way. */
#define MAX_SECS (INT64_MAX / NSEC_PER_SEC / 4)

static int64_t tv_ns(const struct timeval *tv)
{
	if (tv->tv_sec > MAX_SECS)
		return MAX_SECS * NSEC_PER_SEC;
	return (int64_t)tv->tv_sec * NSEC_PER_SEC + (int64_t)tv->tv_usec * 1000;
}

static int64_t ts_ns(const struct timespec *ts)
{
	if (ts->tv_sec > MAX_SECS)
		return MAX_SECS * NSEC_PER_SEC;
	return (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static struct timespec ns_ts(int64_t ns)
{
	return (struct timespec){ ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };
}

/* Linux's ns_to_timeval for itimers: microseconds rounded up, so a live timer never reads 0. */
static struct timeval ns_tv(int64_t ns)
{
	int64_t us = (ns + 999) / 1000;
	return (struct timeval){ us / 1000000, us % 1000000 };
}

static bool ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < NSEC_PER_SEC;
}

/* ---- alarm, getitimer, setitimer ---- */

long sys_alarm(struct task *t, const struct syscall_args *a)
{
	unsigned int secs = (unsigned int)ARG_U(0);
	int64_t old, oldi;

	task_setitimer(t, ITIMER_REAL, (int64_t)secs * NSEC_PER_SEC, 0, &old, &oldi);
	/* Linux's alarm_setitimer: a pending alarm never reads 0; round to nearest second. */
	struct timespec o = ns_ts(old);
	if ((!o.tv_sec && o.tv_nsec) || o.tv_nsec >= NSEC_PER_SEC / 2)
		o.tv_sec++;
	return o.tv_sec;
}

long sys_getitimer(struct task *t, const struct syscall_args *a)
{
	int64_t v, i;
	int r = task_getitimer(t, ARG_INT(0), &v, &i);
	struct itimerval it;

	if (r < 0)
		return r;
	it.it_value = ns_tv(v);
	it.it_interval = ns_tv(i);
	if (mm_copy_out(t->mm, ARG_U(1), &it, sizeof(it)) != sizeof(it))
		return -EFAULT;
	return 0;
}

long sys_setitimer(struct task *t, const struct syscall_args *a)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } }, old;
	int64_t ov, oi;
	int r;

	/* A NULL new value disarms, as Linux still allows. */
	if (ARG_U(1) && mm_copy_in(t->mm, ARG_U(1), &it, sizeof(it)) != sizeof(it))
		return -EFAULT;
	if (it.it_value.tv_usec < 0 || it.it_value.tv_usec >= 1000000 || it.it_value.tv_sec < 0 ||
	    it.it_interval.tv_usec < 0 || it.it_interval.tv_usec >= 1000000 ||
	    it.it_interval.tv_sec < 0)
		return -EINVAL;
	r = task_setitimer(t, ARG_INT(0), tv_ns(&it.it_value), tv_ns(&it.it_interval), &ov, &oi);
	if (r < 0)
		return r;
	if (ARG_U(2)) {
		old.it_value = ns_tv(ov);
		old.it_interval = ns_tv(oi);
		if (mm_copy_out(t->mm, ARG_U(2), &old, sizeof(old)) != sizeof(old))
			return -EFAULT;
	}
	return 0;
}

/* ---- POSIX timers ---- */

/* The kernel's struct sigevent (64 bytes): value, signo, notify, then the tid. */
struct guest_sigevent {
	uint64_t value;
	int32_t signo;
	int32_t notify;
	int32_t tid;
	int32_t pad[11];
};

long sys_timer_create(struct task *t, const struct syscall_args *a)
{
	struct ksigevent ev = { .signo = SIGALRM, .notify = SIGEV_SIGNAL, .value_is_id = true };
	int id, r;

	if (ARG_U(1)) {
		struct guest_sigevent g;
		if (mm_copy_in(t->mm, ARG_U(1), &g, sizeof(g)) != sizeof(g))
			return -EFAULT;
		ev = (struct ksigevent){ .value = g.value, .signo = g.signo, .notify = g.notify,
					 .tid = g.tid };
	}
	r = task_timer_create(t, (clockid_t)ARG_INT(0), &ev, &id);
	if (r < 0)
		return r;
	if (mm_copy_out(t->mm, ARG_U(2), &id, sizeof(id)) != sizeof(id)) {
		task_timer_delete(t, id);
		return -EFAULT;
	}
	return 0;
}

static int copy_out_its(struct task *t, uint64_t addr, int64_t v, int64_t i)
{
	struct itimerspec its = { .it_interval = ns_ts(i), .it_value = ns_ts(v) };

	if (addr && mm_copy_out(t->mm, addr, &its, sizeof(its)) != sizeof(its))
		return -EFAULT;
	return 0;
}

static int copy_in_its(struct task *t, uint64_t addr, struct itimerspec *its)
{
	if (mm_copy_in(t->mm, addr, its, sizeof(*its)) != sizeof(*its))
		return -EFAULT;
	if (!ts_valid(&its->it_value) || !ts_valid(&its->it_interval))
		return -EINVAL;
	return 0;
}

long sys_timer_settime(struct task *t, const struct syscall_args *a)
{
	struct itimerspec its;
	int64_t ov, oi;
	int r = copy_in_its(t, ARG_U(2), &its);

	if (r < 0)
		return r;
	r = task_timer_settime(t, ARG_INT(0), ARG_INT(1) & TIMER_ABSTIME, ts_ns(&its.it_value),
			       ts_ns(&its.it_interval), &ov, &oi);
	if (r < 0)
		return r;
	return copy_out_its(t, ARG_U(3), ov, oi);
}

long sys_timer_gettime(struct task *t, const struct syscall_args *a)
{
	int64_t v, i;
	int r = task_timer_gettime(t, ARG_INT(0), &v, &i);

	if (r < 0)
		return r;
	if (!ARG_U(1))
		return -EFAULT;
	return copy_out_its(t, ARG_U(1), v, i);
}

long sys_timer_getoverrun(struct task *t, const struct syscall_args *a)
{
	return task_timer_getoverrun(t, ARG_INT(0));
}

long sys_timer_delete(struct task *t, const struct syscall_args *a)
{
	return task_timer_delete(t, ARG_INT(0));
}

/* ---- timerfd ---- */

long sys_timerfd_create(struct task *t, const struct syscall_args *a)
{
	clockid_t c = (clockid_t)ARG_INT(0);
	int flags = ARG_INT(1);
	struct file *f;
	int r;

	if (flags & ~(TFD_NONBLOCK | TFD_CLOEXEC))
		return -EINVAL;
	switch (c) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_BOOTTIME:
		break;
	case CLOCK_REALTIME_ALARM: case CLOCK_BOOTTIME_ALARM:
		return -EPERM; /* CAP_WAKE_ALARM */
	default:
		return -EINVAL;
	}
	r = timerfd_new(t->k, c, flags & TFD_NONBLOCK, &f);
	if (r < 0)
		return r;
	r = fdtable_install(t->fdt, 0, f, (flags & TFD_CLOEXEC) ? FD_FLAG_CLOEXEC : 0,
			    nofile_limit(t));
	file_put(f);
	return r;
}

/* The timerfd behind @fd with a reference, or NULL and *@err (-EBADF / -EINVAL). */
static struct file *timerfd_get(struct task *t, int fd, long *err)
{
	struct file *f = fdtable_get_file(t->fdt, fd, NULL);

	*err = -EBADF;
	if (f && !file_is_timerfd(f)) {
		file_put(f);
		*err = -EINVAL;
		return NULL;
	}
	return f;
}

long sys_timerfd_settime(struct task *t, const struct syscall_args *a)
{
	int flags = ARG_INT(1);
	struct itimerspec its;
	int64_t ov, oi;
	struct file *f;
	long r;

	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	r = copy_in_its(t, ARG_U(2), &its);
	if (r < 0)
		return r;
	f = timerfd_get(t, ARG_INT(0), &r);
	if (!f)
		return r;
	timerfd_file_settime(f, flags & TFD_TIMER_ABSTIME, ts_ns(&its.it_value), ts_ns(&its.it_interval),
			&ov, &oi);
	file_put(f);
	return copy_out_its(t, ARG_U(3), ov, oi);
}

long sys_timerfd_gettime(struct task *t, const struct syscall_args *a)
{
	int64_t v, i;
	struct file *f;
	long r;

	f = timerfd_get(t, ARG_INT(0), &r);
	if (!f)
		return r;
	timerfd_file_gettime(f, &v, &i);
	file_put(f);
	if (!ARG_U(1))
		return -EFAULT;
	return copy_out_its(t, ARG_U(1), v, i);
}
