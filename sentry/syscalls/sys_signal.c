// SPDX-License-Identifier: Apache-2.0
/* Signal dispositions, masks and sending (delivery to handlers comes with the signals issue). */
#include <signal.h>
#include <string.h>

#include "lib/abi/linux/signal.h"
#include "sentry/syscalls/sys_impl.h"

#define KSIGSET_SIZE LINUX_SIGSET_SIZE
#define SIGBIT(s) (1ULL << ((s) - 1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

long sys_rt_sigaction(struct task *t, const struct syscall_args *a)
{
	int sig = ARG_INT(0);
	struct ksigaction act, old;

	if (ARG_U(3) != KSIGSET_SIZE)
		return -EINVAL;
	if (sig < 1 || sig > KSIG_MAX)
		return -EINVAL;
	if (ARG_U(1)) {
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
		if (mm_copy_in(t->mm, ARG_U(1), &act, sizeof(act)) != sizeof(act))
			return -EFAULT;
		act.mask &= ~UNBLOCKABLE;
	}
	pthread_mutex_lock(&t->tg->mu);
	old = t->tg->actions[sig];
	if (ARG_U(1))
		t->tg->actions[sig] = act;
	pthread_mutex_unlock(&t->tg->mu);
	if (ARG_U(2) && mm_copy_out(t->mm, ARG_U(2), &old, sizeof(old)) != sizeof(old))
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(struct task *t, const struct syscall_args *a)
{
	uint64_t set, old = t->sigmask;

	if (ARG_U(3) != KSIGSET_SIZE)
		return -EINVAL;
	if (ARG_U(1)) {
		if (mm_copy_in(t->mm, ARG_U(1), &set, sizeof(set)) != sizeof(set))
			return -EFAULT;
		switch (ARG_INT(0)) {
		case SIG_BLOCK:
			t->sigmask |= set;
			break;
		case SIG_UNBLOCK:
			t->sigmask &= ~set;
			break;
		case SIG_SETMASK:
			t->sigmask = set;
			break;
		default:
			return -EINVAL;
		}
		t->sigmask &= ~UNBLOCKABLE;
	}
	if (ARG_U(2) && mm_copy_out(t->mm, ARG_U(2), &old, sizeof(old)) != sizeof(old)) {
		t->sigmask = old;
		return -EFAULT;
	}
	return 0;
}

long sys_sigaltstack(struct task *t, const struct syscall_args *a)
{
	stack_t ss, old = { .ss_flags = SS_DISABLE };

	if (ARG_U(0)) {
		if (mm_copy_in(t->mm, ARG_U(0), &ss, sizeof(ss)) != sizeof(ss))
			return -EFAULT;
		if (ss.ss_flags & ~(SS_DISABLE | LINUX_SS_AUTODISARM))
			return -EINVAL;
		if (!(ss.ss_flags & SS_DISABLE) && ss.ss_size < (size_t)MINSIGSTKSZ)
			return -ENOMEM;
	}
	if (ARG_U(1) && mm_copy_out(t->mm, ARG_U(1), &old, sizeof(old)) != sizeof(old))
		return -EFAULT;
	return 0;
}

static long send_to_self(struct task *t, int sig)
{
	if (sig < 0 || sig > KSIG_MAX)
		return -EINVAL;
	if (sig > 0)
		task_send_signal(t, sig, false);
	return 0;
}

long sys_kill(struct task *t, const struct syscall_args *a)
{
	int pid = ARG_INT(0);

	/* -1 and our own group/process reach only us until there are other processes. */
	if (pid != t->tg->tgid && pid != 0 && pid != -1 && pid != -t->tg->pgid)
		return (ARG_INT(1) < 0 || ARG_INT(1) > KSIG_MAX) ? -EINVAL : -ESRCH;
	return send_to_self(t, ARG_INT(1));
}

long sys_tgkill(struct task *t, const struct syscall_args *a)
{
	if (ARG_INT(0) <= 0 || ARG_INT(1) <= 0)
		return -EINVAL;
	if (ARG_INT(0) != t->tg->tgid || ARG_INT(1) != t->tid)
		return (ARG_INT(2) < 0 || ARG_INT(2) > KSIG_MAX) ? -EINVAL : -ESRCH;
	return send_to_self(t, ARG_INT(2));
}

long sys_tkill(struct task *t, const struct syscall_args *a)
{
	if (ARG_INT(0) <= 0)
		return -EINVAL;
	if (ARG_INT(0) != t->tid)
		return -ESRCH;
	return send_to_self(t, ARG_INT(1));
}
