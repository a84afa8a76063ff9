// SPDX-License-Identifier: Apache-2.0
/* Signal dispositions, masks and sending (delivery to handlers comes with the signals issue). */
#include <signal.h>
#include <stdlib.h>
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
	struct linux_stack ss, old = t->altstack;

	if (task_on_altstack(t))
		old.ss_flags = LINUX_SS_ONSTACK;
	else if (old.ss_flags & LINUX_SS_DISABLE)
		old = (struct linux_stack){ .ss_flags = LINUX_SS_DISABLE };
	if (ARG_U(0)) {
		if (mm_copy_in(t->mm, ARG_U(0), &ss, sizeof(ss)) != sizeof(ss))
			return -EFAULT;
		if (task_on_altstack(t))
			return -EPERM;
		int mode = ss.ss_flags & ~(int32_t)LINUX_SS_AUTODISARM;
		if (mode != 0 && mode != LINUX_SS_DISABLE && mode != LINUX_SS_ONSTACK)
			return -EINVAL;
		if (mode == LINUX_SS_DISABLE) {
			ss = (struct linux_stack){ .ss_flags = LINUX_SS_DISABLE };
		} else {
			if (ss.ss_size < LINUX_MINSIGSTKSZ)
				return -ENOMEM;
			ss.ss_flags &= (int32_t)LINUX_SS_AUTODISARM;
		}
	}
	if (ARG_U(1) && mm_copy_out(t->mm, ARG_U(1), &old, sizeof(old)) != sizeof(old))
		return -EFAULT;
	if (ARG_U(0))
		t->altstack = ss;
	return 0;
}

/*
 * rt_sigreturn: the handler's `ret` popped pretcode, so the ucontext is at rsp. Registers,
 * FPU state, mask and sigaltstack come back from the guest's (untrusted) frame; arch/
 * sanitises what the host would refuse. A frame that cannot be read is fatal (SIGSEGV).
 */
long sys_rt_sigreturn(struct task *t, const struct syscall_args *a)
{
	struct linux_ucontext uc;
	size_t xsz = arch_xsave_size();
	uint8_t *fp = NULL;

	if (mm_copy_in(t->mm, t->regs.regs.rsp, &uc, sizeof(uc)) != sizeof(uc))
		goto bad;
	if (uc.uc_mcontext.fpstate) {
		fp = malloc(xsz);
		if (!fp || mm_copy_in(t->mm, uc.uc_mcontext.fpstate, fp, xsz) != (ssize_t)xsz)
			goto bad;
	}
	arch_sigframe_restore(&t->regs, &uc, fp);
	free(fp);
	t->sigmask = uc.uc_sigmask & ~UNBLOCKABLE;
	/* Linux's restore_altstack(): like sigaltstack(uc_stack, NULL), errors ignored. */
	if (!task_on_altstack(t)) {
		struct linux_stack ss = uc.uc_stack;
		int mode = ss.ss_flags & ~(int32_t)LINUX_SS_AUTODISARM;
		if (mode == LINUX_SS_DISABLE)
			t->altstack = (struct linux_stack){ .ss_flags = LINUX_SS_DISABLE };
		else if ((mode == 0 || mode == LINUX_SS_ONSTACK) && ss.ss_size >= LINUX_MINSIGSTKSZ)
			t->altstack = (struct linux_stack){ ss.ss_sp, ss.ss_flags & (int32_t)LINUX_SS_AUTODISARM,
							    0, ss.ss_size };
	}
	return (long)t->regs.regs.rax;
bad:
	free(fp);
	task_send_fault(t, SIGSEGV, SI_KERNEL, 0);
	return (long)t->regs.regs.rax;
}

long sys_rt_sigpending(struct task *t, const struct syscall_args *a)
{
	uint64_t set = task_pending(t) & t->sigmask;

	if (ARG_U(1) > KSIGSET_SIZE)
		return -EINVAL;
	if (mm_copy_out(t->mm, ARG_U(0), &set, ARG_U(1)) != (ssize_t)ARG_U(1))
		return -EFAULT;
	return 0;
}

long sys_kill(struct task *t, const struct syscall_args *a)
{
	int pid = ARG_INT(0);

	/* Other processes of the sandbox, groups, and -1: everyone but init and the caller. */
	return task_kill(t, pid, ARG_INT(1));
}

long sys_tgkill(struct task *t, const struct syscall_args *a)
{
	if (ARG_INT(0) <= 0 || ARG_INT(1) <= 0)
		return -EINVAL;
	return task_tgkill(t, ARG_INT(0), ARG_INT(1), ARG_INT(2));
}

long sys_tkill(struct task *t, const struct syscall_args *a)
{
	if (ARG_INT(0) <= 0)
		return -EINVAL;
	return task_tgkill(t, 0, ARG_INT(0), ARG_INT(1));
}

/* restart_syscall(2): continue a call that returned -ERESTART_RESTARTBLOCK (poll, sleeps). */
long sys_restart_syscall(struct task *t, const struct syscall_args *a)
{
	long (*fn)(struct task *) = t->restart_fn;

	(void)a;
	t->restart_fn = NULL;
	return fn ? fn(t) : -EINTR;
}
