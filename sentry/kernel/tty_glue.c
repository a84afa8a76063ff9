// SPDX-License-Identifier: Apache-2.0
/*
 * The kernel's side of terminals (fs/tty/tty.h struct tty_job_ops): who is calling, process
 * groups and sessions, and signals from a terminal (^C, SIGWINCH, SIGHUP, SIGTTIN/SIGTTOU).
 *
 * The caller: kernel_current(), the task whose host thread makes the call.
 *
 * Signals come from the kernel, not a process (Linux's SEND_SIG_PRIV: si_code SI_KERNEL):
 * tg_send_signal_locked to every process of the group, as a kill would.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "fs/tty/tty.h"
#include "fs/vfs.h"
#include "lib/waitq.h"
#include "sentry/kernel/kernel.h"

#define SIGBIT(s) (1ULL << ((s) - 1))

static struct kernel *glue_k;

/* Preconditions: k->mu. The calling task (task_run records it), NULL on other threads
 * (the console relay's). */
static struct task *caller_task(struct kernel *k)
{
	struct task *t = kernel_current();

	return t && t->k == k && t->tg && !t->tg->zombie ? t : NULL;
}

static bool glue_current(struct mm *mm, struct tty_caller *out)
{
	struct kernel *k = glue_k;
	struct task *t;

	pthread_mutex_lock(&k->mu);
	t = caller_task(k);
	if (t) {
		out->pid = t->tg->tgid;
		out->pgid = t->tg->pgid;
		out->sid = t->tg->sid;
		out->uid = t->creds.fsuid;
		out->gid = t->creds.fsgid;
	}
	pthread_mutex_unlock(&k->mu);
	return t != NULL;
}

static pid_t glue_pgrp_session(pid_t pgid)
{
	struct kernel *k = glue_k;
	pid_t r = -ESRCH;

	pthread_mutex_lock(&k->mu);
	for (struct thread_group *g = k->groups; g; g = g->next) {
		if (!g->zombie && g->pgid == pgid) {
			r = g->sid;
			break;
		}
	}
	pthread_mutex_unlock(&k->mu);
	return r;
}

/*
 * Linux's will_become_orphaned_pgrp: orphaned unless some member has its parent in another
 * group of the same session. The sandbox's init counts as a parent like any other (it is
 * a container's pid 1, not the global init Linux leaves out).
 */
static bool glue_pgrp_orphaned(pid_t pgid)
{
	struct kernel *k = glue_k;
	bool orphaned = true;

	pthread_mutex_lock(&k->mu);
	for (struct thread_group *g = k->groups; g && orphaned; g = g->next) {
		struct thread_group *par = g->parent;
		if (g->zombie || g->pgid != pgid || !par)
			continue;
		if (par->pgid != pgid && par->sid == g->sid)
			orphaned = false;
	}
	pthread_mutex_unlock(&k->mu);
	return orphaned;
}

/* Linux sends terminal signals with SEND_SIG_PRIV: si_code SI_KERNEL, no sender. */
static void signal_groups(pid_t id, bool pgrp, int sig)
{
	struct linux_siginfo si = { .si_signo = sig, .si_code = SI_KERNEL };
	struct kernel *k = glue_k;

	pthread_mutex_lock(&k->mu);
	for (struct thread_group *g = k->groups; g; g = g->next)
		if (!g->zombie && (pgrp ? g->pgid == id : g->tgid == id))
			tg_send_signal_locked(k, g, sig, &si);
	pthread_mutex_unlock(&k->mu);
}

static void glue_signal_pid(pid_t pid, int sig)
{
	if (pid > 0)
		signal_groups(pid, false, sig);
}

static void glue_signal_pgrp(pid_t pgid, int sig)
{
	if (pgid > 0)
		signal_groups(pgid, true, sig);
}

/* The calling thread's mask and its process's action (Linux's is_ignored()). */
static enum tty_sig_disp glue_signal_disposition(struct mm *mm, int sig)
{
	struct kernel *k = glue_k;
	enum tty_sig_disp d = TTY_SIG_DEFAULT;
	struct task *t;

	pthread_mutex_lock(&k->mu);
	t = caller_task(k);
	if (t) {
		pthread_mutex_lock(&t->tg->mu);
		uint64_t h = t->tg->actions[sig].handler;
		if ((t->sigmask & SIGBIT(sig)) || h == (uint64_t)(uintptr_t)SIG_IGN)
			d = TTY_SIG_IGNORED;
		else if (h != (uint64_t)(uintptr_t)SIG_DFL)
			d = TTY_SIG_CAUGHT;
		pthread_mutex_unlock(&t->tg->mu);
	}
	pthread_mutex_unlock(&k->mu);
	return d;
}

static int glue_install_fd(struct mm *mm, struct file *f, bool cloexec)
{
	struct kernel *k = glue_k;
	struct task *t;
	struct rlimit rl;

	pthread_mutex_lock(&k->mu);
	t = caller_task(k); /* the caller itself: it cannot go away under us */
	pthread_mutex_unlock(&k->mu);
	if (!t)
		return -ESRCH;
	task_get_rlimit(t, RLIMIT_NOFILE, &rl);
	return fdtable_install(t->fdt, 0, f, cloexec ? FD_FLAG_CLOEXEC : 0, rl.rlim_cur);
}

static const struct tty_job_ops glue_ops = {
	.current = glue_current,
	.pgrp_session = glue_pgrp_session,
	.pgrp_orphaned = glue_pgrp_orphaned,
	.signal_pgrp = glue_signal_pgrp,
	.signal_pid = glue_signal_pid,
	.signal_disposition = glue_signal_disposition,
	.install_fd = glue_install_fd,
	.can_stop = true, /* signal.c stops thread groups on SIGTTIN/SIGTTOU/SIGTSTP */
};

void tty_glue_init(struct kernel *k)
{
	glue_k = k;
	tty_set_job_ops(&glue_ops);
}

void tty_glue_session_exit(pid_t sid)
{
	tty_session_exit(sid);
}
