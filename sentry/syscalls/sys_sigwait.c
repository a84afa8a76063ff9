// SPDX-License-Identifier: Apache-2.0
/*
 * Waiting for signals: pause, rt_sigsuspend, rt_sigtimedwait, signalfd; and queueing one
 * with the caller's siginfo: rt_sigqueueinfo, rt_tgsigqueueinfo.
 */
#include <signal.h>
#include <sys/signalfd.h>

#include "fs/vfs.h"
#include "lib/waitq.h"
#include "sentry/kernel/timer.h"
#include "sentry/syscalls/sys_impl.h"

#define SIGBIT(s) (1ULL << ((s) - 1))

/* Sleep until a signal the task can take is pending (or it is being killed). */
static void wait_for_signal(struct task *t)
{
	struct waiter *w = waiter_current();

	/* Pairs with the sender's pending-then-kick: see the new mask or be interrupted. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	while (!task_signal_pending(t) && !t->exiting)
		if (waiter_wait(w, NULL) == -EINTR)
			break;
}

long sys_pause(struct task *t, const struct syscall_args *a)
{
	wait_for_signal(t);
	return -ERESTARTNOHAND;
}

long sys_rt_sigsuspend(struct task *t, const struct syscall_args *a)
{
	uint64_t mask;

	if (ARG_U(1) != sizeof(mask))
		return -EINVAL;
	if (mm_copy_in(t->mm, ARG_U(0), &mask, sizeof(mask)) != sizeof(mask))
		return -EFAULT;
	/* The old mask comes back once the handler frame is built (saved_sigmask). */
	task_set_temp_sigmask(t, mask);
	wait_for_signal(t);
	return -ERESTARTNOHAND;
}

long sys_rt_sigtimedwait(struct task *t, const struct syscall_args *a)
{
	struct linux_siginfo si;
	struct timespec ts;
	uint64_t set;
	int sig;

	if (ARG_U(3) != sizeof(set))
		return -EINVAL;
	if (mm_copy_in(t->mm, ARG_U(0), &set, sizeof(set)) != sizeof(set))
		return -EFAULT;
	if (ARG_U(2)) {
		if (mm_copy_in(t->mm, ARG_U(2), &ts, sizeof(ts)) != sizeof(ts))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
	}
	sig = task_sigtimedwait(t, set, ARG_U(2) ? &ts : NULL, &si);
	if (sig > 0 && ARG_U(1) && mm_copy_out(t->mm, ARG_U(1), &si, sizeof(si)) != sizeof(si))
		return -EFAULT;
	return sig;
}

/*
 * Linux's do_rt_sigqueueinfo: nobody may pose as the kernel or as kill()/tkill() (si_code
 * >= 0, SI_TKILL) towards another process; to itself anything goes.
 */
static long do_sigqueue(struct task *t, pid_t tgid, pid_t tid, int sig, uint64_t uinfo)
{
	struct linux_siginfo si;

	if (mm_copy_in(t->mm, uinfo, &si, sizeof(si)) != sizeof(si))
		return -EFAULT;
	if (sig < 0 || sig > KSIG_MAX)
		return -EINVAL;
	if ((si.si_code >= 0 || si.si_code == SI_TKILL) && (tid ? tid != t->tid : tgid != t->tg->tgid))
		return -EPERM;
	si.si_signo = sig;
	if (tid)
		return kernel_signal_thread(t->k, tgid, tid, sig, &si);
	return kernel_signal_pid(t->k, tgid, sig, &si);
}

long sys_rt_sigqueueinfo(struct task *t, const struct syscall_args *a)
{
	if (ARG_INT(0) <= 0)
		return -ESRCH;
	return do_sigqueue(t, ARG_INT(0), 0, ARG_INT(1), ARG_U(2));
}

long sys_rt_tgsigqueueinfo(struct task *t, const struct syscall_args *a)
{
	if (ARG_INT(0) <= 0 || ARG_INT(1) <= 0)
		return -EINVAL;
	return do_sigqueue(t, ARG_INT(0), ARG_INT(1), ARG_INT(2), ARG_U(3));
}

/* ---- signalfd ---- */

static long do_signalfd4(struct task *t, int fd, uint64_t maskp, uint64_t size, int flags)
{
	struct rlimit rl;
	struct file *f;
	uint64_t mask;
	int r;

	if (flags & ~(SFD_NONBLOCK | SFD_CLOEXEC))
		return -EINVAL;
	if (size != sizeof(mask))
		return -EINVAL;
	if (mm_copy_in(t->mm, maskp, &mask, sizeof(mask)) != sizeof(mask))
		return -EFAULT;
	if (fd != -1) {
		f = fdtable_get_file(t->fdt, fd, NULL);
		if (!f)
			return -EBADF;
		if (!file_is_signalfd(f)) {
			file_put(f);
			return -EINVAL;
		}
		signalfd_set_mask(f, mask);
		file_put(f);
		return fd;
	}
	r = signalfd_new(t->k, mask, flags & SFD_NONBLOCK, &f);
	if (r < 0)
		return r;
	task_get_rlimit(t, RLIMIT_NOFILE, &rl);
	r = fdtable_install(t->fdt, 0, f, (flags & SFD_CLOEXEC) ? FD_FLAG_CLOEXEC : 0, rl.rlim_cur);
	file_put(f);
	return r;
}

long sys_signalfd(struct task *t, const struct syscall_args *a)
{
	return do_signalfd4(t, ARG_INT(0), ARG_U(1), ARG_U(2), 0);
}

long sys_signalfd4(struct task *t, const struct syscall_args *a)
{
	return do_signalfd4(t, ARG_INT(0), ARG_U(1), ARG_U(2), ARG_INT(3));
}
