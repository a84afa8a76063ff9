// SPDX-License-Identifier: Apache-2.0
/* The kernel object, the first task, and the task run loop (DESIGN.md §4). */
#include "sentry/kernel/kernel.h"

#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fs/vfs.h"
#include "lib/log.h"
#include "sentry/host/host.h"
#include "sentry/kernel/timer.h"
#include "sentry/syscalls/syscalls.h"

int kernel_new(struct platform *p, struct memfile *mf, struct kernel **out)
{
	struct kernel *k = calloc(1, sizeof(*k));
	long n;

	if (!k)
		return -ENOMEM;
	k->platform = p;
	k->mf = mf;
	host_clock_gettime(CLOCK_MONOTONIC, &k->boot_mono);
	strcpy(k->hostname, "sandbox");
	strcpy(k->domainname, "(none)"); /* Linux's initial domain name */
	n = sysconf(_SC_NPROCESSORS_ONLN);
	k->ncpus = n > 0 ? (unsigned int)n : 1;
	if (futex_table_new(&k->futex) < 0 || sysv_new(&k->sysv) < 0) {
		futex_table_free(k->futex);
		free(k);
		return -ENOMEM;
	}
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	waitq_init(&k->exit_wq);
	k->next_tid = 1;
	n = kernel_timers_init(k);
	if (n < 0) {
		kernel_free(k);
		return (int)n;
	}
	*out = k;
	return 0;
}

void kernel_free(struct kernel *k)
{
	kernel_stop_host_signals(k);
	kernel_timers_fini(k);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	futex_table_free(k->futex);
	sysv_free(k->sysv);
	waitq_destroy(&k->exit_wq);
	free(k);
}

/* Limits a new sandbox starts with: the host's, as a process started by the caller would. */
static void rlimits_init(struct rlimit *rl)
{
	for (int i = 0; i < RLIM_NLIMITS_K; i++)
		if (getrlimit(i, &rl[i]) < 0)
			rl[i].rlim_cur = rl[i].rlim_max = RLIM_INFINITY;
}

static int thread_group_new(pid_t tgid, struct thread_group **out)
{
	struct thread_group *tg = calloc(1, sizeof(*tg));
	if (!tg)
		return -ENOMEM;
	tg->tgid = tg->pgid = tg->sid = tgid;
	tg->ppid = 0; /* the sandbox's init has no parent in its pid namespace */
	pthread_mutex_init(&tg->mu, NULL);
	rlimits_init(tg->rlimits);
	*out = tg;
	return 0;
}

int task_new_init(struct kernel *k, struct fdtable *fdt, struct task **out)
{
	struct task *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	t->k = k;
	pthread_mutex_lock(&k->mu);
	t->tid = k->next_tid++;
	k->ntasks++;
	pthread_mutex_unlock(&k->mu);
	r = thread_group_new(t->tid, &t->tg);
	if (r < 0)
		goto err_task;
	r = arch_state_init(&t->regs);
	if (r < 0)
		goto err_tg;
	r = mm_new(k->mf, k->platform, &t->mm);
	if (r < 0)
		goto err_regs;
	r = k->platform->ops->ctx_new(k->platform, &t->pctx);
	if (r < 0)
		goto err_mm;
	fdtable_get(fdt);
	t->fdt = fdt;
	creds_init(&t->creds, getuid(), getgid());
	t->umask = 022;
	t->fs = NULL; /* boot attaches the root (fs_context_new) */
	t->altstack.ss_flags = LINUX_SS_DISABLE;
	t->tg->leader = t;
	t->tg->dumpable = true;
	t->thread = pthread_self(); /* init runs on the thread that boots it */
	t->timer_slack_ns = 50000;
	pthread_mutex_lock(&k->mu);
	t->tg->tasks = t;
	t->tg->live = 1;
	t->tg->next = k->groups;
	k->groups = t->tg;
	k->init = t->tg;
	pthread_mutex_unlock(&k->mu);
	*out = t;
	return 0;

err_mm:
	mm_put(t->mm);
err_regs:
	arch_state_destroy(&t->regs);
err_tg:
	free(t->tg);
err_task:
	free(t);
	return r;
}

void task_free(struct task *t)
{
	struct kernel *k = t->k;

	if (t->pctx)
		k->platform->ops->ctx_release(t->pctx);
	mm_put(t->mm);
	if (t->fdt)
		fdtable_put(t->fdt);
	if (t->fs)
		fs_context_put(t->fs);
	uts_release(t);
	arch_state_destroy(&t->regs);
	if (t->tg && t->tg->leader == t)
		tg_timers_exit(t->tg); /* the process's (usually gone already: task_exit_process) */
	pthread_mutex_lock(&k->mu);
	k->ntasks--;
	/* Only a process's leader owns its group (threads and replaced leaders do not). */
	bool owner = t->tg && t->tg->leader == t;
	if (owner) {
		/* Init stays on the list until the end; unlink it if it is freed there. */
		for (struct thread_group **pp = &k->groups; *pp; pp = &(*pp)->next) {
			if (*pp == t->tg) {
				*pp = t->tg->next;
				break;
			}
		}
		if (k->init == t->tg)
			k->init = NULL;
	}
	pthread_mutex_unlock(&k->mu);
	if (owner) {
		sigset_free(t->tg->shared_rtq);
		free(t->tg->exe_path);
		pthread_mutex_destroy(&t->tg->mu);
		free(t->tg);
	}
	sigset_free(t->rtq);
	free(t);
}

void task_get_rlimit(struct task *t, int res, struct rlimit *out)
{
	pthread_mutex_lock(&t->tg->mu);
	*out = t->tg->rlimits[res];
	pthread_mutex_unlock(&t->tg->mu);
}

int task_set_rlimit(struct task *t, int res, const struct rlimit *in)
{
	int r = 0;

	if (in->rlim_cur > in->rlim_max)
		return -EINVAL;
	if (res == RLIMIT_NOFILE && in->rlim_max > 1024 * 1024)
		return -EPERM; /* Linux's nr_open */
	pthread_mutex_lock(&t->tg->mu);
	/* Raising the hard limit needs CAP_SYS_RESOURCE, which only root holds here. */
	if (in->rlim_max > t->tg->rlimits[res].rlim_max && !task_capable(t, CAP_SYS_RESOURCE))
		r = -EPERM;
	else
		t->tg->rlimits[res] = *in;
	pthread_mutex_unlock(&t->tg->mu);
	return r;
}

/* A fault the mm could not resolve becomes SIGSEGV (SIGBUS past the end of a mapped file). */
static void task_fault(struct task *t, const struct trap *trap)
{
	int r = mm_handle_fault(t->mm, trap->addr, trap->access);
	if (r == 0)
		return;
	if (r == -EIO) { /* a file mapping past the end of its file */
		task_send_fault(t, SIGBUS, BUS_ADRERR, trap->addr);
		return;
	}
	log_debug("task %d: SIGSEGV at %#llx (rip %#llx, %s)", t->tid,
		  (unsigned long long)trap->addr, (unsigned long long)t->regs.regs.rip,
		  r == -EACCES ? "SEGV_ACCERR" : "SEGV_MAPERR");
	task_send_fault(t, SIGSEGV, r == -EACCES ? SEGV_ACCERR : SEGV_MAPERR, trap->addr);
}

int task_run(struct task *t)
{
	const struct platform_ops *ops = t->k->platform->ops;
	struct trap trap;

	kernel_set_current(t);
	for (;;) {
		task_deliver_signals(t);
		if (__atomic_load_n(&t->exiting, __ATOMIC_ACQUIRE))
			break;
		struct addrspace *as = mm_addrspace(t->mm);
		struct timespec t0, t1;
		host_clock_gettime(CLOCK_MONOTONIC, &t0);
		int r = as ? ops->switch_to(t->pctx, as, &t->regs, &trap) : -ENOMEM;
		host_clock_gettime(CLOCK_MONOTONIC, &t1);
		__atomic_add_fetch(&t->utime_ns,
				   (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL +
					      (t1.tv_nsec - t0.tv_nsec)),
				   __ATOMIC_RELAXED);
		if (r < 0) {
			log_warn("task %d: platform failure: %s", t->tid, strerror(-r));
			task_exit_group(t, SIGKILL);
			break;
		}
		switch (trap.kind) {
		case TRAP_SYSCALL:
			syscall_dispatch(t);
			break;
		case TRAP_FAULT:
			task_fault(t, &trap);
			break;
		case TRAP_SIGNAL:
			log_debug("task %d: signal %d code %d at %#llx", t->tid, trap.signo,
				  trap.code, (unsigned long long)trap.addr);
			task_send_fault(t, trap.signo, trap.code, trap.addr);
			break;
		case TRAP_INTERRUPT:
			break;
		}
	}
	return t->tg->exit_status;
}
