// SPDX-License-Identifier: Apache-2.0
/*
 * Scheduling attributes, CPU time and process personality: nice values and policies are
 * recorded and reported with Linux's permission rules (the host schedules the threads);
 * times/getrusage from sentry/kernel/cputime.c.
 */
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>

#include "fs/vfs.h"
#include "sentry/host/host.h"
#include "sentry/syscalls/sys_impl.h"

#define NSEC_PER_TICK (1000000000ULL / 100) /* USER_HZ */

/* ---- nice: getpriority/setpriority over processes, groups and users ---- */

/* Call @fn on every live task that @which/@who names; returns how many (or -ESRCH/-EINVAL). */
static long for_prio_targets(struct task *t, int which, int who,
			     void (*fn)(struct task *t, struct task *u, void *arg), void *arg)
{
	struct kernel *k = t->k;
	long n = 0;

	if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER)
		return -EINVAL;
	pthread_mutex_lock(&k->mu);
	for (struct thread_group *g = k->groups; g; g = g->next) {
		if (g->zombie)
			continue;
		for (struct task *u = g->tasks; u; u = u->tg_next) {
			bool match;
			switch (which) {
			case PRIO_PROCESS:
				match = who ? u->tid == who : u == t;
				break;
			case PRIO_PGRP:
				match = g->pgid == (who ? who : t->tg->pgid);
				break;
			default:
				match = u->creds.ruid == (uint32_t)(who ? who : (int)t->creds.ruid);
				break;
			}
			if (match) {
				fn(t, u, arg);
				n++;
			}
		}
	}
	pthread_mutex_unlock(&k->mu);
	return n ? n : -ESRCH;
}

static void best_nice(struct task *t, struct task *u, void *arg)
{
	int *best = arg;
	(void)t;
	if (u->nice < *best)
		*best = u->nice;
}

long sys_getpriority(struct task *t, const struct syscall_args *a)
{
	int best = 20;
	long r = for_prio_targets(t, ARG_INT(0), ARG_INT(1), best_nice, &best);

	/* The raw syscall returns 20 - nice (1..40); glibc converts. */
	return r < 0 ? r : 20 - best;
}

struct set_nice {
	int nice;
	int err;
};

static void set_nice(struct task *t, struct task *u, void *arg)
{
	struct set_nice *s = arg;

	if (u->creds.euid != t->creds.euid && u->creds.ruid != t->creds.euid &&
	    !task_capable(t, CAP_SYS_NICE)) {
		s->err = -EPERM;
		return;
	}
	if (s->nice < u->nice && !task_capable(t, CAP_SYS_NICE)) {
		s->err = -EACCES;
		return;
	}
	u->nice = s->nice;
}

long sys_setpriority(struct task *t, const struct syscall_args *a)
{
	struct set_nice s = { .nice = ARG_INT(2) };

	if (s.nice < -20)
		s.nice = -20;
	if (s.nice > 19)
		s.nice = 19;
	long r = for_prio_targets(t, ARG_INT(0), ARG_INT(1), set_nice, &s);
	return r < 0 ? r : s.err;
}

/* ---- policies ---- */

static bool policy_ok(int policy)
{
	return policy == SCHED_OTHER || policy == SCHED_FIFO || policy == SCHED_RR ||
	       policy == SCHED_BATCH || policy == SCHED_IDLE;
}

static bool rt_policy(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

/* Preconditions: k->mu held. The task @pid (0: @t), or NULL. */
static struct task *sched_target(struct task *t, pid_t pid)
{
	if (pid == 0)
		return t;
	for (struct thread_group *g = t->k->groups; g; g = g->next)
		for (struct task *u = g->tasks; u; u = u->tg_next)
			if (u->tid == pid && !u->exiting)
				return u;
	return NULL;
}

static long do_setscheduler(struct task *t, pid_t pid, int policy, uint64_t param_addr)
{
	struct sched_param sp;
	long r = 0;

	if (pid < 0 || !param_addr)
		return -EINVAL;
	if (mm_copy_in(t->mm, param_addr, &sp, sizeof(sp)) != sizeof(sp))
		return -EFAULT;
	pthread_mutex_lock(&t->k->mu);
	struct task *u = sched_target(t, pid);
	if (!u) {
		r = -ESRCH;
		goto out;
	}
	if (policy < 0)
		policy = u->sched_policy;
	policy &= ~SCHED_RESET_ON_FORK;
	if (!policy_ok(policy) ||
	    (rt_policy(policy) ? sp.sched_priority < 1 || sp.sched_priority > 99
			       : sp.sched_priority != 0)) {
		r = -EINVAL;
		goto out;
	}
	if (rt_policy(policy) && !task_capable(t, CAP_SYS_NICE)) {
		r = -EPERM;
		goto out;
	}
	u->sched_policy = policy;
	u->sched_priority = sp.sched_priority;
out:
	pthread_mutex_unlock(&t->k->mu);
	return r;
}

long sys_sched_setscheduler(struct task *t, const struct syscall_args *a)
{
	if (ARG_INT(1) < 0)
		return -EINVAL;
	return do_setscheduler(t, ARG_INT(0), ARG_INT(1), ARG_U(2));
}

long sys_sched_setparam(struct task *t, const struct syscall_args *a)
{
	return do_setscheduler(t, ARG_INT(0), -1, ARG_U(1));
}

long sys_sched_getscheduler(struct task *t, const struct syscall_args *a)
{
	long r;

	if (ARG_INT(0) < 0)
		return -EINVAL;
	pthread_mutex_lock(&t->k->mu);
	struct task *u = sched_target(t, ARG_INT(0));
	r = u ? u->sched_policy : -ESRCH;
	pthread_mutex_unlock(&t->k->mu);
	return r;
}

long sys_sched_getparam(struct task *t, const struct syscall_args *a)
{
	struct sched_param sp = { 0 };

	if (ARG_INT(0) < 0 || !ARG_U(1))
		return -EINVAL;
	pthread_mutex_lock(&t->k->mu);
	struct task *u = sched_target(t, ARG_INT(0));
	if (u)
		sp.sched_priority = u->sched_priority;
	pthread_mutex_unlock(&t->k->mu);
	if (!u)
		return -ESRCH;
	return mm_copy_out(t->mm, ARG_U(1), &sp, sizeof(sp)) == sizeof(sp) ? 0 : -EFAULT;
}

long sys_sched_get_priority_max(struct task *t, const struct syscall_args *a)
{
	return !policy_ok(ARG_INT(0)) ? -EINVAL : rt_policy(ARG_INT(0)) ? 99 : 0;
}

long sys_sched_get_priority_min(struct task *t, const struct syscall_args *a)
{
	return !policy_ok(ARG_INT(0)) ? -EINVAL : rt_policy(ARG_INT(0)) ? 1 : 0;
}

long sys_sched_rr_get_interval(struct task *t, const struct syscall_args *a)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 }; /* Linux's RR_TIMESLICE */

	if (ARG_INT(0) < 0)
		return -EINVAL;
	pthread_mutex_lock(&t->k->mu);
	struct task *u = sched_target(t, ARG_INT(0));
	if (u && u->sched_policy == SCHED_FIFO)
		ts.tv_nsec = 0;
	pthread_mutex_unlock(&t->k->mu);
	if (!u)
		return -ESRCH;
	return mm_copy_out(t->mm, ARG_U(1), &ts, sizeof(ts)) == sizeof(ts) ? 0 : -EFAULT;
}

long sys_getcpu(struct task *t, const struct syscall_args *a)
{
	unsigned int cpu = (unsigned int)host_getcpu() % t->k->ncpus, node = 0;

	if (ARG_U(0) && mm_copy_out(t->mm, ARG_U(0), &cpu, sizeof(cpu)) != sizeof(cpu))
		return -EFAULT;
	if (ARG_U(1) && mm_copy_out(t->mm, ARG_U(1), &node, sizeof(node)) != sizeof(node))
		return -EFAULT;
	return 0;
}

long sys_personality(struct task *t, const struct syscall_args *a)
{
	uint32_t old = t->tg->personality, p = (uint32_t)ARG_U(0);

	if (p != 0xffffffff)
		t->tg->personality = p;
	return old;
}

/* ---- CPU time ---- */

static void ns_to_timeval(uint64_t ns, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ns / 1000000000ULL);
	tv->tv_usec = (suseconds_t)(ns % 1000000000ULL / 1000);
}

long sys_times(struct task *t, const struct syscall_args *a)
{
	struct kernel *k = t->k;
	struct tms tms;
	struct timespec now;
	uint64_t u, s, cu, cs;

	pthread_mutex_lock(&k->mu);
	tg_cputime(t->tg, &u, &s);
	tg_child_cputime(t->tg, &cu, &cs);
	pthread_mutex_unlock(&k->mu);
	tms.tms_utime = (clock_t)(u / NSEC_PER_TICK);
	tms.tms_stime = (clock_t)(s / NSEC_PER_TICK);
	tms.tms_cutime = (clock_t)(cu / NSEC_PER_TICK);
	tms.tms_cstime = (clock_t)(cs / NSEC_PER_TICK);
	if (ARG_U(0) && mm_copy_out(t->mm, ARG_U(0), &tms, sizeof(tms)) != sizeof(tms))
		return -EFAULT;
	host_clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(((uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec) / NSEC_PER_TICK);
}

long sys_getrusage(struct task *t, const struct syscall_args *a)
{
	struct kernel *k = t->k;
	struct rusage ru;
	uint64_t u = 0, s = 0;
	int who = ARG_INT(0);

	memset(&ru, 0, sizeof(ru));
	pthread_mutex_lock(&k->mu);
	if (who == RUSAGE_SELF)
		tg_cputime(t->tg, &u, &s);
	else if (who == RUSAGE_THREAD)
		task_cputime(t, &u, &s);
	else if (who == RUSAGE_CHILDREN)
		tg_child_cputime(t->tg, &u, &s);
	pthread_mutex_unlock(&k->mu);
	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
		return -EINVAL;
	ns_to_timeval(u, &ru.ru_utime);
	ns_to_timeval(s, &ru.ru_stime);
	return mm_copy_out(t->mm, ARG_U(1), &ru, sizeof(ru)) == sizeof(ru) ? 0 : -EFAULT;
}

/* ---- unshare: what a task can stop sharing without namespaces ---- */

long sys_unshare(struct task *t, const struct syscall_args *a)
{
	uint64_t fl = ARG_U(0);
	const uint64_t ok = CLONE_FILES | CLONE_FS | CLONE_SYSVSEM | CLONE_VM | CLONE_SIGHAND |
			    CLONE_THREAD | CLONE_NEWUTS;
	int r;

	if ((fl & CLONE_NEWUTS) && !task_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	if (fl & ~ok) {
		/* Namespaces: not for the guest (yet); Linux says EPERM without CAP_SYS_ADMIN. */
		return task_capable(t, CAP_SYS_ADMIN) ? -EINVAL : -EPERM;
	}
	/* CLONE_VM/SIGHAND/THREAD can be "unshared" only by a single-threaded process. */
	if (fl & (CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)) {
		pthread_mutex_lock(&t->k->mu);
		bool alone = t->tg->live == 1;
		pthread_mutex_unlock(&t->k->mu);
		if (!alone)
			return -EINVAL;
	}
	if (fl & CLONE_FILES) {
		struct fdtable *nf;
		r = fdtable_fork(t->fdt, &nf);
		if (r < 0)
			return r;
		pthread_mutex_lock(&t->k->mu);
		struct fdtable *of = t->fdt;
		t->fdt = nf;
		pthread_mutex_unlock(&t->k->mu);
		fdtable_put(of);
	}
	if ((fl & CLONE_FS) && t->fs) {
		struct fs_context *nfs;
		r = fs_context_copy(t->fs, &nfs);
		if (r < 0)
			return r;
		pthread_mutex_lock(&t->k->mu);
		struct fs_context *ofs = t->fs;
		t->fs = nfs;
		pthread_mutex_unlock(&t->k->mu);
		fs_context_put(ofs);
	}
	if (fl & CLONE_NEWUTS)
		return uts_unshare(t);
	return 0;
}
