// SPDX-License-Identifier: Apache-2.0
/* prctl(2): names, dumpable, no_new_privs, parent-death signal, subreaper, capabilities. */
#include <linux/capability.h>
#include <linux/prctl.h>
#include <string.h>

#include "sentry/syscalls/sys_impl.h"

static long put_int(struct task *t, uint64_t addr, int v)
{
	return mm_copy_out(t->mm, addr, &v, sizeof(v)) == sizeof(v) ? 0 : -EFAULT;
}

long sys_prctl(struct task *t, const struct syscall_args *a)
{
	struct kernel *k = t->k;
	uint64_t arg2 = ARG_U(1);
	long r;

	switch (ARG_INT(0)) {
	case PR_SET_NAME: {
		char buf[16];
		ssize_t n = mm_copy_string_in(t->mm, arg2, buf, sizeof(buf));
		if (n == -ENAMETOOLONG) {
			if (mm_copy_in(t->mm, arg2, buf, sizeof(buf) - 1) != sizeof(buf) - 1)
				return -EFAULT;
			buf[15] = 0;
		} else if (n < 0) {
			return n;
		}
		memcpy(t->comm, buf, sizeof(t->comm));
		return 0;
	}
	case PR_GET_NAME:
		return mm_copy_out(t->mm, arg2, t->comm, sizeof(t->comm)) == sizeof(t->comm) ? 0 : -EFAULT;
	case PR_GET_DUMPABLE:
		return t->tg->dumpable;
	case PR_SET_DUMPABLE:
		if (arg2 > 1)
			return -EINVAL;
		t->tg->dumpable = arg2;
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		return t->creds.no_new_privs;
	case PR_SET_NO_NEW_PRIVS:
		if (arg2 != 1 || ARG_U(2) || ARG_U(3) || ARG_U(4))
			return -EINVAL;
		t->creds.no_new_privs = true;
		return 0;
	case PR_SET_PDEATHSIG:
		if (arg2 > KSIG_MAX)
			return -EINVAL;
		t->pdeath_signal = (int)arg2;
		return 0;
	case PR_GET_PDEATHSIG:
		return put_int(t, arg2, t->pdeath_signal);
	case PR_SET_CHILD_SUBREAPER:
		pthread_mutex_lock(&k->mu);
		t->tg->child_subreaper = arg2 != 0;
		pthread_mutex_unlock(&k->mu);
		return 0;
	case PR_GET_CHILD_SUBREAPER:
		pthread_mutex_lock(&k->mu);
		r = t->tg->child_subreaper;
		pthread_mutex_unlock(&k->mu);
		return put_int(t, arg2, (int)r);
	case PR_SET_KEEPCAPS:
		if (arg2 > 1)
			return -EINVAL;
		t->creds.keep_caps = arg2;
		return 0;
	case PR_GET_KEEPCAPS:
		return t->creds.keep_caps;
	case PR_CAPBSET_READ:
		if (arg2 > CAP_LAST_CAP_K)
			return -EINVAL;
		return (t->creds.cap_bounding >> arg2) & 1;
	case PR_CAPBSET_DROP:
		if (arg2 > CAP_LAST_CAP_K)
			return -EINVAL;
		if (!task_capable(t, CAP_SETPCAP))
			return -EPERM;
		t->creds.cap_bounding &= ~(1ULL << arg2);
		return 0;
	case PR_CAP_AMBIENT:
		switch (arg2) {
		case PR_CAP_AMBIENT_IS_SET:
			if (ARG_U(2) > CAP_LAST_CAP_K)
				return -EINVAL;
			return (t->creds.cap_ambient >> ARG_U(2)) & 1;
		case PR_CAP_AMBIENT_CLEAR_ALL:
			t->creds.cap_ambient = 0;
			return 0;
		case PR_CAP_AMBIENT_RAISE:
		case PR_CAP_AMBIENT_LOWER: {
			uint64_t bit;
			if (ARG_U(2) > CAP_LAST_CAP_K)
				return -EINVAL;
			bit = 1ULL << ARG_U(2);
			if (arg2 == PR_CAP_AMBIENT_LOWER) {
				t->creds.cap_ambient &= ~bit;
				return 0;
			}
			if (!(t->creds.cap_permitted & bit) || !(t->creds.cap_inheritable & bit))
				return -EPERM;
			t->creds.cap_ambient |= bit;
			return 0;
		}
		default:
			return -EINVAL;
		}
	case PR_GET_SECUREBITS:
		return 0;
	case PR_SET_SECUREBITS:
		return task_capable(t, CAP_SETPCAP) ? -EINVAL : -EPERM;
	case PR_GET_TIMERSLACK:
		return (long)t->timer_slack_ns;
	case PR_SET_TIMERSLACK:
		t->timer_slack_ns = arg2 ? arg2 : 50000;
		return 0;
	case PR_GET_SECCOMP:
		return 0;
	case PR_SET_SECCOMP:
		return -EINVAL; /* seccomp filters for the guest: not yet */
	case PR_GET_THP_DISABLE:
		return 0;
	case PR_SET_THP_DISABLE:
		return 0;
	case PR_MCE_KILL:
	case PR_MCE_KILL_GET:
		return ARG_INT(0) == PR_MCE_KILL_GET ? 0 : (arg2 > 1 ? -EINVAL : 0);
	case PR_SET_PTRACER:
		return 0;
	case PR_GET_TID_ADDRESS:
		return mm_copy_out(t->mm, arg2, &t->clear_child_tid, sizeof(uint64_t)) == sizeof(uint64_t) ?
			       0 : -EFAULT;
	case PR_SET_MM:
		return task_capable(t, CAP_SYS_RESOURCE) ? -EINVAL : -EPERM;
	default:
		return -EINVAL;
	}
}
