// SPDX-License-Identifier: Apache-2.0
/*
 * Processes: fork/vfork/clone as new thread groups on host threads of their own, exit into
 * zombies and SIGCHLD, wait, reparenting to init, kill to other processes and groups,
 * process groups and sessions, and the end of the sandbox when init exits.
 *
 * The process tree (kernel->groups, each group's parent, pgid, sid, zombie state) is
 * protected by kernel->mu; kernel->cv is broadcast whenever it changes or a waiting task
 * gets a signal.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "fs/vfs.h"
#include "lib/log.h"
#include "lib/waitq.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/timer.h"

#define SIGBIT(s) (1ULL << ((s) - 1))

/* Preconditions: k->mu held. An unreaped process (zombies included). */
static struct thread_group *tg_find(struct kernel *k, pid_t pid)
{
	for (struct thread_group *g = k->groups; g; g = g->next)
		if (g->tgid == pid)
			return g;
	return NULL;
}

/* Preconditions: k->mu held. */
static void task_kick_locked(struct task *t)
{
	if (t->pctx)
		t->k->platform->ops->interrupt(t->pctx);
	pthread_cond_broadcast(&t->k->cv);
}

/*
 * Preconditions: k->mu held, @sig pending for @t. Kick it, and when it can take the signal
 * now (not blocked), also break it out of blocking waits (pipes, poll: lib/waitq.h); the
 * wait returns -ERESTART* and task_deliver_signals clears the flag.
 */
static void task_kick_signal_locked(struct task *t, int sig)
{
	task_kick_locked(t);
	if (t->waiter && (t->k->shutting_down || task_signal_fatal(t, sig) ||
			  task_signal_pending(t)))
		waiter_interrupt(t->waiter);
}

void task_kick(struct task *t)
{
	pthread_mutex_lock(&t->k->mu);
	task_kick_locked(t);
	pthread_mutex_unlock(&t->k->mu);
}

/* Join the host threads of reaped processes and free them. */
static void graveyard_drain(struct kernel *k)
{
	struct thread_group *g, *next;

	pthread_mutex_lock(&k->mu);
	g = k->graveyard;
	k->graveyard = NULL;
	pthread_mutex_unlock(&k->mu);
	for (; g; g = next) {
		struct task *t = g->leader;

		next = g->next;
		if (g->own_thread)
			pthread_join(t->thread, NULL);
		task_free(t);
	}
}

/* Preconditions: k->mu held. Move @g from the live list to the graveyard. */
static void tg_reap_locked(struct kernel *k, struct thread_group *g)
{
	for (struct thread_group **pp = &k->groups; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	g->next = k->graveyard;
	k->graveyard = g;
}

/* Fill @si as Linux's SIGCHLD siginfo for a child that ended with wait status @status. */
static void chld_info(struct linux_siginfo *si, int sig, pid_t pid, uint32_t uid, int status)
{
	int32_t st;

	memset(si, 0, sizeof(*si));
	si->si_signo = sig;
	if ((status & 0x7f) == 0) {
		si->si_code = 1; /* CLD_EXITED */
		st = (status >> 8) & 0xff;
	} else {
		si->si_code = (status & 0x80) ? 3 /* CLD_DUMPED */ : 2 /* CLD_KILLED */;
		st = status & 0x7f;
	}
	si->kill.pid = pid;
	si->kill.uid = uid;
	memcpy(si->raw + 8, &st, sizeof(st));
}

/*
 * The end of a process that ran on its own thread: drop what others can observe (files,
 * memory), become a zombie, hand the children to init and tell the parent.
 */
static void task_exit_process(struct task *t)
{
	struct kernel *k = t->k;
	struct thread_group *g = t->tg, *p;
	struct pctx *pc;
	uint32_t uid = t->creds.ruid;

	tg_timers_exit(g); /* before the zombie: no timer signal for a dead process */
	pthread_mutex_lock(&k->mu);
	pc = t->pctx;
	t->pctx = NULL;
	t->waiter = NULL;
	pthread_mutex_unlock(&k->mu);
	if (pc)
		k->platform->ops->ctx_release(pc);
	mm_put(t->mm);
	t->mm = NULL;
	if (t->fdt)
		fdtable_put(t->fdt);
	t->fdt = NULL;
	if (t->fs)
		fs_context_put(t->fs);
	t->fs = NULL;

	pthread_mutex_lock(&k->mu);
	t->vfork_done = true;
	for (struct thread_group *h = k->groups; h; h = h->next) {
		if (h->parent == g) {
			h->parent = k->init;
			h->ppid = k->init ? k->init->tgid : 0;
		}
	}
	pthread_mutex_lock(&g->mu);
	g->zombie = true;
	int status = g->exit_status;
	pthread_mutex_unlock(&g->mu);
	p = g->parent;
	if (p) {
		struct ksigaction act;
		bool ign, autoreap;

		pthread_mutex_lock(&p->mu);
		act = p->actions[SIGCHLD];
		pthread_mutex_unlock(&p->mu);
		ign = act.handler == (uint64_t)(uintptr_t)SIG_IGN;
		autoreap = ign || (act.flags & SA_NOCLDWAIT);
		if (g->exit_signal && !(ign && g->exit_signal == SIGCHLD)) {
			struct linux_siginfo si;

			chld_info(&si, g->exit_signal, g->tgid, uid, status);
			task_send_signal(p->leader, g->exit_signal, &si, false);
			task_kick_locked(p->leader);
		}
		if (autoreap)
			tg_reap_locked(k, g);
	}
	k->nthreads--;
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->mu);
}

static void *task_thread(void *arg)
{
	struct task *t = arg;
	struct kernel *k = t->k;
	struct pctx *pc;
	int r = k->platform->ops->ctx_new(k->platform, &pc);

	if (r < 0) {
		log_warn("task %d: cannot create a platform context: %d", t->tid, r);
		task_exit_group(t, SIGKILL);
	} else {
		pthread_mutex_lock(&k->mu);
		t->pctx = pc;
		t->waiter = waiter_current();
		pthread_mutex_unlock(&k->mu);
		task_run(t);
	}
	task_exit_process(t);
	return NULL;
}

/* Preconditions: k->mu held. Does @t have a signal it should act on? */
static bool task_interrupted(struct task *t)
{
	uint64_t pending = __atomic_load_n(&t->pending, __ATOMIC_ACQUIRE);

	return t->exiting || t->k->shutting_down ||
	       (pending & (~t->sigmask | SIGBIT(SIGKILL) | SIGBIT(SIGSTOP)));
}

#define CLONE_NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
			CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

long task_clone(struct task *t, const struct clone_args_k *ca)
{
	struct kernel *k = t->k;
	uint64_t fl = ca->flags;
	struct task *c;
	struct thread_group *g, *parent;
	pid_t tid;
	int r;

	if ((fl & CLONE_THREAD) && !(fl & CLONE_SIGHAND))
		return -EINVAL;
	if ((fl & CLONE_SIGHAND) && !(fl & CLONE_VM))
		return -EINVAL;
	if ((fl & CLONE_FS) && (fl & CLONE_NEWNS))
		return -EINVAL;
	if (ca->exit_signal < 0 || ca->exit_signal > KSIG_MAX)
		return -EINVAL;
	if (fl & (CLONE_THREAD | CLONE_SIGHAND))
		return -ENOSYS; /* threads: not yet */
	if ((fl & CLONE_VM) && !(fl & CLONE_VFORK))
		return -ENOSYS;
	if (fl & (CLONE_NS_FLAGS | CLONE_PIDFD | CLONE_NEWTIME))
		return -EINVAL;
	if ((fl & CLONE_PARENT) && t->tg == k->init)
		return -EINVAL;

	c = calloc(1, sizeof(*c));
	g = calloc(1, sizeof(*g));
	if (!c || !g) {
		free(c);
		free(g);
		return -ENOMEM;
	}
	r = arch_state_init(&c->regs);
	if (r < 0) {
		free(c);
		free(g);
		return r;
	}
	arch_state_copy(&c->regs, &t->regs);
	c->regs.regs.rax = 0;
	if (ca->stack)
		c->regs.regs.rsp = ca->stack + ca->stack_size;
	if (fl & CLONE_SETTLS)
		c->regs.regs.fs_base = ca->tls;
	c->k = k;
	c->tg = g;
	r = mm_fork(t->mm, &c->mm);
	if (r < 0)
		goto err;
	if (fl & CLONE_FILES) {
		fdtable_get(t->fdt);
		c->fdt = t->fdt;
	} else {
		r = fdtable_fork(t->fdt, &c->fdt);
		if (r < 0)
			goto err;
	}
	if (t->fs) {
		if (fl & CLONE_FS) {
			fs_context_get(t->fs);
			c->fs = t->fs;
		} else {
			r = fs_context_copy(t->fs, &c->fs);
			if (r < 0)
				goto err;
		}
	}
	c->creds = t->creds;
	c->umask = t->umask;
	memcpy(c->comm, t->comm, sizeof(c->comm));
	c->sigmask = t->sigmask;
	c->altstack = t->altstack;
	c->clear_child_tid = (fl & CLONE_CHILD_CLEARTID) ? ca->child_tid : 0;

	pthread_mutex_init(&g->mu, NULL);
	pthread_mutex_lock(&t->tg->mu);
	memcpy(g->rlimits, t->tg->rlimits, sizeof(g->rlimits));
	memcpy(g->actions, t->tg->actions, sizeof(g->actions));
	pthread_mutex_unlock(&t->tg->mu);
	g->exit_signal = ca->exit_signal;
	g->leader = c;
	g->own_thread = true;

	pthread_mutex_lock(&k->mu);
	if (k->shutting_down) {
		pthread_mutex_unlock(&k->mu);
		r = -EINTR;
		goto err_tg;
	}
	tid = k->next_tid++;
	c->tid = g->tgid = tid;
	g->pgid = t->tg->pgid;
	g->sid = t->tg->sid;
	parent = (fl & CLONE_PARENT) ? t->tg->parent : t->tg;
	g->parent = parent;
	g->ppid = parent ? parent->tgid : 0;
	pthread_mutex_unlock(&k->mu);

	if ((fl & CLONE_CHILD_SETTID) &&
	    mm_copy_out(c->mm, ca->child_tid, &tid, sizeof(tid)) != sizeof(tid)) {
		r = -EFAULT;
		goto err_tg;
	}
	if ((fl & CLONE_PARENT_SETTID) &&
	    mm_copy_out(t->mm, ca->parent_tid, &tid, sizeof(tid)) != sizeof(tid)) {
		r = -EFAULT;
		goto err_tg;
	}

	pthread_mutex_lock(&k->mu);
	g->next = k->groups;
	k->groups = g;
	k->ntasks++;
	k->nthreads++;
	r = pthread_create(&c->thread, NULL, task_thread, c);
	if (r != 0) {
		k->groups = g->next;
		k->ntasks--;
		k->nthreads--;
		pthread_mutex_unlock(&k->mu);
		r = -EAGAIN;
		goto err_tg;
	}
	if (fl & CLONE_VFORK) {
		for (;;) {
			struct thread_group *h = tg_find(k, tid);

			if (!h || h->zombie || h->leader->vfork_done || task_interrupted(t))
				break;
			pthread_cond_wait(&k->cv, &k->mu);
		}
	}
	pthread_mutex_unlock(&k->mu);
	return tid;

err_tg:
	pthread_mutex_destroy(&g->mu);
err:
	mm_put(c->mm);
	if (c->fdt)
		fdtable_put(c->fdt);
	if (c->fs)
		fs_context_put(c->fs);
	arch_state_destroy(&c->regs);
	free(c);
	free(g);
	return r;
}

int task_wait(struct task *t, int idtype, pid_t id, int options, pid_t *pid, int *status,
	      uint32_t *uid)
{
	struct kernel *k = t->k;
	int r;

	pthread_mutex_lock(&k->mu);
	for (;;) {
		bool any = false;

		for (struct thread_group *g = k->groups; g; g = g->next) {
			if (g->parent != t->tg)
				continue;
			if (idtype == P_PID && g->tgid != id)
				continue;
			if (idtype == P_PGID && g->pgid != id)
				continue;
			any = true;
			if (g->zombie && (options & WEXITED)) {
				*pid = g->tgid;
				*status = g->exit_status;
				*uid = g->leader->creds.ruid;
				if (!(options & WNOWAIT))
					tg_reap_locked(k, g);
				pthread_mutex_unlock(&k->mu);
				graveyard_drain(k);
				return 1;
			}
		}
		if (!any)
			r = -ECHILD;
		else if (options & WNOHANG)
			r = 0;
		else if (task_interrupted(t))
			r = -EINTR;
		else {
			pthread_cond_wait(&k->cv, &k->mu);
			continue;
		}
		break;
	}
	pthread_mutex_unlock(&k->mu);
	return r;
}

/* Preconditions: k->mu held. */
static void kill_one(struct task *t, struct thread_group *g, int sig)
{
	struct linux_siginfo si = { .si_signo = sig, .si_code = SI_USER };

	if (sig == 0 || g->zombie)
		return;
	si.kill.pid = t->tg->tgid;
	si.kill.uid = t->creds.ruid;
	task_send_signal(g->leader, sig, &si, false);
	if (g->leader != t)
		task_kick_signal_locked(g->leader, sig);
}

void kernel_signal_group(struct kernel *k, struct thread_group *tg, int sig,
			 const struct linux_siginfo *info)
{
	pthread_mutex_lock(&k->mu);
	if (!tg->zombie) {
		task_send_signal(tg->leader, sig, info, false);
		task_kick_signal_locked(tg->leader, sig);
	}
	pthread_mutex_unlock(&k->mu);
}

int kernel_signal_pid(struct kernel *k, struct task *sender, pid_t pid, int sig,
		      const struct linux_siginfo *info)
{
	struct thread_group *g;
	int r = -ESRCH;

	pthread_mutex_lock(&k->mu);
	g = pid > 0 ? tg_find(k, pid) : NULL;
	if (g) {
		r = 0;
		if (sig && !g->zombie) {
			task_send_signal(g->leader, sig, info, false);
			if (g->leader != sender)
				task_kick_signal_locked(g->leader, sig);
		}
	}
	pthread_mutex_unlock(&k->mu);
	return r;
}

int task_kill(struct task *t, pid_t pid, int sig)
{
	struct kernel *k = t->k;
	int r = -ESRCH;

	if (sig < 0 || sig > KSIG_MAX)
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	pthread_mutex_lock(&k->mu);
	if (pid > 0) {
		struct thread_group *g = tg_find(k, pid);
		if (g) {
			kill_one(t, g, sig);
			r = 0;
		}
	} else if (pid == -1) {
		/* Everyone but init and the caller. */
		for (struct thread_group *g = k->groups; g; g = g->next) {
			if (g == k->init || g == t->tg)
				continue;
			kill_one(t, g, sig);
			r = 0;
		}
	} else {
		pid_t pgid = pid == 0 ? t->tg->pgid : -pid;
		for (struct thread_group *g = k->groups; g; g = g->next) {
			if (g->pgid != pgid)
				continue;
			kill_one(t, g, sig);
			r = 0;
		}
	}
	pthread_mutex_unlock(&k->mu);
	return r;
}

pid_t task_getppid(struct task *t)
{
	pid_t r;

	pthread_mutex_lock(&t->k->mu);
	r = t->tg->ppid;
	pthread_mutex_unlock(&t->k->mu);
	return r;
}

int task_setpgid(struct task *t, pid_t pid, pid_t pgid)
{
	struct kernel *k = t->k;
	struct thread_group *g;
	int r = 0;

	if (pid < 0 || pgid < 0)
		return -EINVAL;
	pthread_mutex_lock(&k->mu);
	g = pid == 0 ? t->tg : tg_find(k, pid);
	if (!g || (g != t->tg && g->parent != t->tg) || g->zombie) {
		r = -ESRCH;
	} else if (g != t->tg && g->sid != t->tg->sid) {
		r = -EPERM;
	} else if (g != t->tg && g->execed) {
		r = -EACCES;
	} else if (g->sid == g->tgid) {
		r = -EPERM;
	} else {
		if (!pgid)
			pgid = g->tgid;
		if (pgid != g->tgid) {
			bool found = false;
			for (struct thread_group *h = k->groups; h && !found; h = h->next)
				found = h->pgid == pgid && h->sid == t->tg->sid && !h->zombie;
			if (!found)
				r = -EPERM;
		}
		if (r == 0)
			g->pgid = pgid;
	}
	pthread_mutex_unlock(&k->mu);
	return r;
}

static pid_t get_id(struct task *t, pid_t pid, bool sid)
{
	struct thread_group *g;
	pid_t r;

	if (pid < 0)
		return -ESRCH;
	pthread_mutex_lock(&t->k->mu);
	g = pid == 0 ? t->tg : tg_find(t->k, pid);
	r = !g ? -ESRCH : sid ? g->sid : g->pgid;
	pthread_mutex_unlock(&t->k->mu);
	return r;
}

pid_t task_getpgid(struct task *t, pid_t pid)
{
	return get_id(t, pid, false);
}

pid_t task_getsid(struct task *t, pid_t pid)
{
	return get_id(t, pid, true);
}

pid_t task_setsid(struct task *t)
{
	struct kernel *k = t->k;
	pid_t r = t->tg->tgid;

	pthread_mutex_lock(&k->mu);
	for (struct thread_group *g = k->groups; g; g = g->next)
		if (g->pgid == t->tg->tgid)
			r = -EPERM;
	if (r > 0)
		t->tg->sid = t->tg->pgid = t->tg->tgid;
	pthread_mutex_unlock(&k->mu);
	return r;
}

int kernel_run_init(struct task *init)
{
	struct kernel *k = init->k;
	int status;

	pthread_mutex_lock(&k->mu);
	init->waiter = waiter_current();
	pthread_mutex_unlock(&k->mu);
	status = task_run(init);

	pthread_mutex_lock(&k->mu);
	init->waiter = NULL;
	k->shutting_down = true;
	while (k->nthreads > 0) {
		struct timespec ts;

		for (struct thread_group *g = k->groups; g; g = g->next) {
			if (g == k->init || g->zombie)
				continue;
			task_send_signal(g->leader, SIGKILL, NULL, false);
			task_kick_signal_locked(g->leader, SIGKILL);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&k->cv, &k->mu, &ts);
	}
	/* Every other process is a zombie now (or reaped): free them all. */
	for (struct thread_group *g = k->groups, *next; g; g = next) {
		next = g->next;
		if (g != k->init)
			tg_reap_locked(k, g);
	}
	pthread_mutex_unlock(&k->mu);
	graveyard_drain(k);
	return status;
}
