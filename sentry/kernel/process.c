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
#include <linux/capability.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
		struct task *t = g->leader, *old = g->old_leader;

		next = g->next;
		if (old) {
			if (old->joinable)
				pthread_join(old->thread, NULL);
			old->tg = NULL;
			task_free(old);
		}
		if (t->joinable)
			pthread_join(t->thread, NULL);
		task_free(t);
	}
}

/* Preconditions: k->mu held. The task with thread id @tid, or NULL. */
static struct task *task_find_locked(struct kernel *k, pid_t tid)
{
	for (struct thread_group *g = k->groups; g; g = g->next)
		for (struct task *u = g->tasks; u; u = u->tg_next)
			if (u->tid == tid && !u->exiting)
				return u;
	return NULL;
}

int task_get_creds(struct kernel *k, pid_t tid, struct creds *out)
{
	pthread_mutex_lock(&k->mu);
	struct task *u = task_find_locked(k, tid);
	if (u)
		*out = u->creds;
	pthread_mutex_unlock(&k->mu);
	return u ? 0 : -ESRCH;
}

bool task_tid_exists(struct kernel *k, pid_t tid)
{
	pthread_mutex_lock(&k->mu);
	bool r = task_find_locked(k, tid) != NULL;
	pthread_mutex_unlock(&k->mu);
	return r;
}

/* Preconditions: k->mu held. Make @u leave its run loop and any wait as soon as it can. */
static void task_stop_locked(struct task *u)
{
	__atomic_store_n(&u->exiting, true, __ATOMIC_RELEASE);
	task_kick_locked(u);
	if (u->waiter)
		waiter_interrupt(u->waiter);
}

/* Preconditions: k->mu held. The whole group ends with wait status @status (first wins). */
static void group_exit_locked(struct thread_group *tg, int status)
{
	tg->stopped = false;
	pthread_mutex_lock(&tg->mu);
	if (!tg->exiting) {
		tg->exiting = true;
		tg->exit_status = status;
	}
	pthread_mutex_unlock(&tg->mu);
	for (struct task *u = tg->tasks; u; u = u->tg_next)
		task_stop_locked(u);
}

void task_exit_group(struct task *t, int status)
{
	pthread_mutex_lock(&t->k->mu);
	group_exit_locked(t->tg, status);
	pthread_mutex_unlock(&t->k->mu);
}

void task_exit_thread_code(struct task *t, int code)
{
	t->exit_code = code & 0xff;
	__atomic_store_n(&t->exiting, true, __ATOMIC_RELEASE);
}

static void chld_info(struct linux_siginfo *si, int sig, pid_t pid, uint32_t uid, int status);

/* Preconditions: k->mu held. SIGCHLD CLD_STOPPED/CONTINUED to @g's parent. */
static void notify_parent_stop(struct kernel *k, struct thread_group *g, int status)
{
	struct thread_group *p = g->parent;
	struct linux_siginfo si;
	bool nocldstop;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	nocldstop = p->actions[SIGCHLD].flags & SA_NOCLDSTOP;
	pthread_mutex_unlock(&p->mu);
	if (!nocldstop) {
		chld_info(&si, SIGCHLD, g->tgid, g->leader->creds.ruid, status);
		tg_send_signal_locked(k, p, SIGCHLD, &si);
	}
	pthread_cond_broadcast(&k->cv);
}

#define STOP_SIGS (SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))

/*
 * Linux's prepare_signal: SIGCONT discards pending stop signals and resumes a stopped
 * process (even when SIGCONT itself is ignored or blocked); a stop signal discards a
 * pending SIGCONT. Preconditions: k->mu held.
 */
static void prepare_signal_locked(struct kernel *k, struct thread_group *tg, int sig)
{
	uint64_t drop = sig == SIGCONT ? STOP_SIGS : (STOP_SIGS & SIGBIT(sig)) ? SIGBIT(SIGCONT) : 0;

	if (!drop)
		return;
	pthread_mutex_lock(&tg->mu);
	__atomic_and_fetch(&tg->shared_pending, ~drop, __ATOMIC_RELEASE);
	for (struct task *u = tg->tasks; u; u = u->tg_next)
		__atomic_and_fetch(&u->pending, ~drop, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&tg->mu);
	if (sig == SIGCONT && tg->stopped) {
		tg->stopped = false;
		tg->stop_report = false;
		tg->cont_report = true;
		notify_parent_stop(k, tg, 0xffff);
	}
}

void task_group_stop(struct task *t, int sig)
{
	struct kernel *k = t->k;
	struct thread_group *g = t->tg;

	pthread_mutex_lock(&k->mu);
	if (!g->exiting && !g->stopped) {
		g->stopped = true;
		g->stop_sig = sig;
		g->stop_report = true;
		g->cont_report = false;
		/* The other threads stop when they next pass through task_deliver_signals. */
		for (struct task *u = g->tasks; u; u = u->tg_next) {
			if (u == t)
				continue;
			task_kick_locked(u);
			if (u->waiter)
				waiter_interrupt(u->waiter);
		}
		notify_parent_stop(k, g, (sig << 8) | 0x7f);
	}
	pthread_mutex_unlock(&k->mu);
}

void task_stop_wait(struct task *t)
{
	struct kernel *k = t->k;

	if (!__atomic_load_n(&t->tg->stopped, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&k->mu);
	while (t->tg->stopped && !t->exiting && !k->shutting_down)
		pthread_cond_wait(&k->cv, &k->mu);
	pthread_mutex_unlock(&k->mu);
}

void tg_send_signal_locked(struct kernel *k, struct thread_group *tg, int sig,
			   const struct linux_siginfo *info)
{
	struct task *target = NULL;

	if (tg->zombie)
		return;
	prepare_signal_locked(k, tg, sig);
	if (!tg_queue_signal(tg, sig, info))
		return;
	if (sig == SIGKILL) {
		group_exit_locked(tg, SIGKILL);
		return;
	}
	/* Linux's complete_signal: the main thread if it can take it, else any that can. */
	if (tg->leader && !tg->leader->exiting && !task_blocks(tg->leader, sig))
		target = tg->leader;
	for (struct task *u = tg->tasks; u && !target; u = u->tg_next)
		if (!u->exiting && !task_blocks(u, sig))
			target = u;
	if (target)
		task_kick_signal_locked(target, sig);
	else
		pthread_cond_broadcast(&k->cv);
}

void kernel_signal_group(struct kernel *k, struct thread_group *tg, int sig,
			 const struct linux_siginfo *info)
{
	pthread_mutex_lock(&k->mu);
	tg_send_signal_locked(k, tg, sig, info);
	pthread_mutex_unlock(&k->mu);
}

int task_tgkill(struct task *t, pid_t tgid, pid_t tid, int sig)
{
	struct kernel *k = t->k;
	struct task *u;
	int r = 0;

	if (sig < 0 || sig > KSIG_MAX)
		return -EINVAL;
	pthread_mutex_lock(&k->mu);
	u = task_find_locked(k, tid);
	if (!u || (tgid > 0 && u->tg->tgid != tgid)) {
		r = -ESRCH;
	} else if (sig) {
		struct linux_siginfo si = { .si_signo = sig, .si_code = SI_TKILL };
		si.kill.pid = t->tg->tgid;
		si.kill.uid = t->creds.ruid;
		task_send_signal(u, sig, &si, false);
		if (sig == SIGKILL)
			group_exit_locked(u->tg, SIGKILL);
		else if (u != t)
			task_kick_signal_locked(u, sig);
	}
	pthread_mutex_unlock(&k->mu);
	return r;
}

struct thread_group *task_find_group_locked(struct kernel *k, pid_t pid)
{
	return tg_find(k, pid);
}

/* Preconditions: k->mu held. Move @g from the live list to the graveyard. */
static void tg_reap_locked(struct kernel *k, struct thread_group *g)
{
	if (g->parent) {
		g->parent->child_utime += g->dead_utime + g->child_utime;
		g->parent->child_stime += g->dead_stime + g->child_stime;
		g->parent->dead_rchar += g->dead_rchar; /* Linux's wait_task_zombie ioac */
		g->parent->dead_wchar += g->dead_wchar;
		g->parent->dead_syscr += g->dead_syscr;
		g->parent->dead_syscw += g->dead_syscw;
	}
	for (struct thread_group **pp = &k->groups; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	g->next = k->graveyard;
	k->graveyard = g;
}

/*
 * Fill @si as Linux's SIGCHLD siginfo for a child with wait status @status: exited, killed,
 * stopped ((sig << 8) | 0x7f) or continued (0xffff).
 */
static void chld_info(struct linux_siginfo *si, int sig, pid_t pid, uint32_t uid, int status)
{
	int32_t st;

	memset(si, 0, sizeof(*si));
	si->si_signo = sig;
	if (status == 0xffff) {
		si->si_code = 6; /* CLD_CONTINUED */
		st = SIGCONT;
	} else if ((status & 0xff) == 0x7f) {
		si->si_code = 5; /* CLD_STOPPED */
		st = (status >> 8) & 0xff;
	} else if ((status & 0x7f) == 0) {
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
 * The end of a thread: release its futexes (pthread_join's wake), its platform context and
 * its references (files, memory). The last thread of its group turns the process into a
 * zombie (task_exit_process). A thread that is not the group's leader frees itself; the
 * leader's struct stays until the process is reaped. Returns with @t freed or not: callers
 * must not touch it afterwards.
 */
static void task_exit_process(struct task *t, struct thread_group *g, int status);

void task_exit_thread(struct task *t)
{
	struct kernel *k = t->k;
	struct thread_group *g = t->tg;
	struct pctx *pc;
	bool last, leader;

	task_futex_exit(t);
	pthread_mutex_lock(&k->mu);
	pc = t->pctx;
	t->pctx = NULL;
	t->waiter = NULL;
	pthread_mutex_unlock(&k->mu);
	if (pc)
		k->platform->ops->ctx_release(pc);
	/* Under k->mu: /proc takes references to them from other threads. */
	pthread_mutex_lock(&k->mu);
	struct mm *mm = t->mm;
	struct fdtable *fdt = t->fdt;
	struct fs_context *fs = t->fs;
	t->mm = NULL;
	t->fdt = NULL;
	t->fs = NULL;
	pthread_mutex_unlock(&k->mu);
	mm_put(mm);
	if (fdt)
		fdtable_put(fdt);
	if (fs)
		fs_context_put(fs);

	uint64_t ut, st;
	pthread_mutex_lock(&k->mu);
	task_cputime(t, &ut, &st);
	g->dead_utime += ut;
	g->dead_stime += st;
	g->dead_rchar += atomic_load_explicit(&t->io.rchar, memory_order_relaxed);
	g->dead_wchar += atomic_load_explicit(&t->io.wchar, memory_order_relaxed);
	g->dead_syscr += atomic_load_explicit(&t->io.syscr, memory_order_relaxed);
	g->dead_syscw += atomic_load_explicit(&t->io.syscw, memory_order_relaxed);
	for (struct task **pp = &g->tasks; *pp; pp = &(*pp)->tg_next) {
		if (*pp == t) {
			*pp = t->tg_next;
			break;
		}
	}
	last = --g->live == 0;
	leader = g->leader == t;
	pthread_mutex_lock(&g->mu);
	if (last && !g->exiting) {
		g->exiting = true;
		g->exit_status = t->exit_code << 8;
	}
	int status = g->exit_status;
	pthread_mutex_unlock(&g->mu);
	t->vfork_done = true;
	/*
	 * A thread is not its group's owner: once the group is reaped (which can happen as
	 * soon as the last thread drops k->mu below) its struct must not be looked at.
	 */
	if (!leader)
		t->tg = NULL;
	pthread_cond_broadcast(&k->cv); /* execve waits for its siblings to go */
	pthread_mutex_unlock(&k->mu);
	if (last)
		task_exit_process(t, g, status);
	if (!leader)
		task_free(t);
}

/* The last thread of a process is gone: become a zombie, hand the children to init, tell
 * the parent. */
static void task_exit_process(struct task *t, struct thread_group *g, int status)
{
	struct kernel *k = t->k;
	struct thread_group *p;
	uint32_t uid = t->creds.ruid;

	sysv_exit(k, g->tgid);
	/* A session leader's end hangs up its controlling terminal (Linux's disassociate_ctty). */
	if (g->sid == g->tgid)
		tty_glue_session_exit(g->sid);
	tg_timers_exit(g); /* before the zombie: no timer signal for a dead process */
	pthread_mutex_lock(&k->mu);
	/* Orphans go to the nearest live subreaper ancestor, else to init (find_new_reaper). */
	struct thread_group *reaper = k->init;
	for (struct thread_group *a = g->parent; a; a = a->parent) {
		if (a->child_subreaper && !a->zombie && !a->exiting) {
			reaper = a;
			break;
		}
	}
	for (struct thread_group *h = k->groups; h; h = h->next) {
		if (h->parent != g)
			continue;
		h->parent = reaper;
		h->ppid = reaper ? reaper->tgid : 0;
		for (struct task *u = h->tasks; u; u = u->tg_next) {
			if (u->pdeath_signal) {
				struct linux_siginfo si = { .si_signo = u->pdeath_signal,
							    .si_code = SI_USER };
				si.kill.pid = g->tgid;
				task_send_signal(u, u->pdeath_signal, &si, false);
				task_kick_signal_locked(u, u->pdeath_signal);
			}
		}
		/* A zombie orphan: its new parent hears of it (Linux's reparent_leader). */
		if (h->zombie && reaper && h->exit_signal) {
			struct linux_siginfo si;
			chld_info(&si, h->exit_signal, h->tgid, h->leader->creds.ruid, h->exit_status);
			tg_send_signal_locked(k, reaper, h->exit_signal, &si);
		}
	}
	pthread_mutex_lock(&g->mu);
	g->zombie = true;
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
			tg_send_signal_locked(k, p, g->exit_signal, &si);
		}
		if (autoreap)
			tg_reap_locked(k, g);
	}
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->mu);
	waitq_wake_all(&k->exit_wq);
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
	task_exit_thread(t); /* @t may be gone now */
	pthread_mutex_lock(&k->mu);
	k->nthreads--;
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

/* Preconditions: k->mu held. Does @t have a signal it should act on? */
static bool task_interrupted(struct task *t)
{
	return t->exiting || t->k->shutting_down || task_signal_pending(t);
}

#define CLONE_NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
			CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/* Preconditions: k->mu held. Live tasks whose real uid is @uid. */
static long count_user_tasks_locked(struct kernel *k, uint32_t uid)
{
	long n = 0;

	for (struct thread_group *g = k->groups; g; g = g->next)
		for (struct task *u = g->tasks; u; u = u->tg_next)
			n += u->creds.ruid == uid;
	return n;
}

/* The parts of a new task that do not depend on it being a thread or a process. */
static int clone_task_state(struct task *t, struct task *c, const struct clone_args_k *ca)
{
	uint64_t fl = ca->flags;
	int r = arch_state_init(&c->regs);

	if (r < 0)
		return r;
	arch_state_copy(&c->regs, &t->regs);
	c->regs.regs.rax = 0;
	if (ca->stack)
		c->regs.regs.rsp = ca->stack + ca->stack_size;
	if (fl & CLONE_SETTLS)
		c->regs.regs.fs_base = ca->tls;
	c->k = t->k;
	if (fl & CLONE_VM) {
		mm_get(t->mm);
		c->mm = t->mm;
	} else {
		r = mm_fork(t->mm, &c->mm);
		if (r < 0)
			return r;
	}
	if (fl & CLONE_FILES) {
		fdtable_get(t->fdt);
		c->fdt = t->fdt;
	} else {
		r = fdtable_fork(t->fdt, &c->fdt);
		if (r < 0)
			return r;
	}
	if (t->fs) {
		if (fl & CLONE_FS) {
			fs_context_get(t->fs);
			c->fs = t->fs;
		} else {
			r = fs_context_copy(t->fs, &c->fs);
			if (r < 0)
				return r;
		}
	}
	c->creds = t->creds;
	c->umask = t->umask;
	memcpy(c->comm, t->comm, sizeof(c->comm));
	c->sigmask = t->sigmask;
	/* A thread on a new stack gets no alternate stack; fork and vfork keep it. */
	if ((fl & CLONE_VM) && !(fl & CLONE_VFORK))
		c->altstack = (struct linux_stack){ .ss_flags = LINUX_SS_DISABLE };
	else
		c->altstack = t->altstack;
	c->clear_child_tid = (fl & CLONE_CHILD_CLEARTID) ? ca->child_tid : 0;
	c->nice = t->nice;
	c->sched_policy = t->sched_policy;
	c->sched_priority = t->sched_priority;
	c->timer_slack_ns = t->timer_slack_ns;
	c->thread = (pthread_t)0;
	return uts_clone(t, c, fl & CLONE_NEWUTS);
}

static void clone_task_undo(struct task *c)
{
	mm_put(c->mm);
	if (c->fdt)
		fdtable_put(c->fdt);
	if (c->fs)
		fs_context_put(c->fs);
	uts_release(c);
	arch_state_destroy(&c->regs);
	free(c);
}

long task_clone(struct task *t, const struct clone_args_k *ca)
{
	struct kernel *k = t->k;
	uint64_t fl = ca->flags;
	bool thread = fl & CLONE_THREAD;
	struct task *c;
	struct thread_group *g = NULL, *parent;
	pthread_attr_t attr;
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
	if (fl & ((CLONE_NS_FLAGS & ~(uint64_t)CLONE_NEWUTS) | CLONE_PIDFD | CLONE_NEWTIME))
		return -EINVAL;
	if ((fl & CLONE_NEWUTS) && !task_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	if ((fl & CLONE_PARENT) && t->tg == k->init)
		return -EINVAL;
	if (thread && (fl & CLONE_VFORK))
		return -EINVAL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = clone_task_state(t, c, ca);
	if (r < 0) {
		clone_task_undo(c);
		return r;
	}
	if (thread) {
		g = t->tg;
	} else {
		g = calloc(1, sizeof(*g));
		if (!g) {
			clone_task_undo(c);
			return -ENOMEM;
		}
		pthread_mutex_init(&g->mu, NULL);
		pthread_mutex_lock(&t->tg->mu);
		memcpy(g->rlimits, t->tg->rlimits, sizeof(g->rlimits));
		/* CLONE_SIGHAND without CLONE_THREAD: copied, not shared (a gap). */
		memcpy(g->actions, t->tg->actions, sizeof(g->actions));
		pthread_mutex_unlock(&t->tg->mu);
		g->exit_signal = ca->exit_signal;
		g->leader = c;
		g->own_thread = true;
		g->dumpable = t->tg->dumpable;
		g->personality = t->tg->personality;
		g->oom_score_adj = t->tg->oom_score_adj; /* unlocked read: a racing write is */
		g->oom_score_adj_min = t->tg->oom_score_adj_min; /* either before or after */
		c->joinable = true;
	}
	c->tg = g;

	struct rlimit nproc;
	task_get_rlimit(t, RLIMIT_NPROC, &nproc);
	pthread_mutex_lock(&k->mu);
	if (k->shutting_down || (thread && (g->exiting || g->exec_task))) {
		pthread_mutex_unlock(&k->mu);
		r = -EINTR;
		goto err;
	}
	/*
	 * Fork bombs: every task is a host thread, so the sandbox has a hard cap of its own,
	 * and RLIMIT_NPROC counts the caller's user's tasks as Linux does (root is exempt).
	 */
	if (k->ntasks >= KERNEL_MAX_TASKS ||
	    (nproc.rlim_cur != RLIM_INFINITY && t->creds.ruid != 0 &&
	     (rlim_t)count_user_tasks_locked(k, t->creds.ruid) >= nproc.rlim_cur)) {
		pthread_mutex_unlock(&k->mu);
		r = -EAGAIN;
		goto err;
	}
	tid = k->next_tid++;
	c->tid = tid;
	if (!thread) {
		g->exe_path = t->tg->exe_path ? strdup(t->tg->exe_path) : NULL;
		g->start_ns = kernel_now_ns();
		g->tgid = tid;
		g->pgid = t->tg->pgid;
		g->sid = t->tg->sid;
		parent = (fl & CLONE_PARENT) ? t->tg->parent : t->tg;
		g->parent = parent;
		g->ppid = parent ? parent->tgid : 0;
	}
	pthread_mutex_unlock(&k->mu);

	if ((fl & CLONE_CHILD_SETTID) &&
	    mm_copy_out(c->mm, ca->child_tid, &tid, sizeof(tid)) != sizeof(tid)) {
		r = -EFAULT;
		goto err;
	}
	if ((fl & CLONE_PARENT_SETTID) &&
	    mm_copy_out(t->mm, ca->parent_tid, &tid, sizeof(tid)) != sizeof(tid)) {
		r = -EFAULT;
		goto err;
	}

	pthread_attr_init(&attr);
	if (!c->joinable)
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&k->mu);
	if (!thread) {
		g->next = k->groups;
		k->groups = g;
	}
	c->tg_next = g->tasks;
	g->tasks = c;
	g->live++;
	k->ntasks++;
	k->nthreads++;
	r = pthread_create(&c->thread, &attr, task_thread, c);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		g->tasks = c->tg_next;
		g->live--;
		if (!thread)
			k->groups = g->next;
		k->ntasks--;
		k->nthreads--;
		pthread_mutex_unlock(&k->mu);
		r = -EAGAIN;
		goto err;
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

err:
	if (!thread && g) {
		free(g->exe_path);
		pthread_mutex_destroy(&g->mu);
		free(g);
	}
	clone_task_undo(c);
	return r;
}

int task_exec_dethread(struct task *t)
{
	struct kernel *k = t->k;
	struct thread_group *g = t->tg;
	int r = 0;

	pthread_mutex_lock(&k->mu);
	if (g->live == 1 && g->leader == t) {
		pthread_mutex_unlock(&k->mu);
		return 0;
	}
	if (g->exiting || g->exec_task) {
		pthread_mutex_unlock(&k->mu);
		return -EINTR;
	}
	g->exec_task = t;
	for (struct task *u = g->tasks; u; u = u->tg_next)
		if (u != t)
			task_stop_locked(u);
	/* Linux's de_thread: wait until we are the only thread left. */
	while (g->live > 1 && !t->exiting)
		pthread_cond_wait(&k->cv, &k->mu);
	g->exec_task = NULL;
	if (t->exiting) {
		r = -EINTR;
	} else if (g->leader != t) {
		/* Take over the leader's identity: the process keeps its pid. */
		struct task *old = g->leader;

		t->tid = g->tgid;
		g->leader = t;
		g->own_thread = true;
		if (g != k->init || old->joinable)
			g->old_leader = old; /* else the boot thread's task: boot frees it */
		/* Our host thread was detached (threads are): nobody joins it. */
	}
	pthread_mutex_unlock(&k->mu);
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
			if (!g->zombie && (options & WSTOPPED) && g->stopped && g->stop_report) {
				*pid = g->tgid;
				*status = (g->stop_sig << 8) | 0x7f;
				*uid = g->leader->creds.ruid;
				if (!(options & WNOWAIT))
					g->stop_report = false;
				pthread_mutex_unlock(&k->mu);
				return 1;
			}
			if (!g->zombie && (options & WCONTINUED) && g->cont_report) {
				*pid = g->tgid;
				*status = 0xffff;
				*uid = g->leader->creds.ruid;
				if (!(options & WNOWAIT))
					g->cont_report = false;
				pthread_mutex_unlock(&k->mu);
				return 1;
			}
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
	tg_send_signal_locked(t->k, g, sig, &si);
}

bool task_pgrp_orphaned(struct task *t)
{
	struct kernel *k = t->k;
	bool orphaned = true;

	pthread_mutex_lock(&k->mu);
	/*
	 * Linux's will_become_orphaned_pgrp: no member has a parent in another group of the
	 * same session. Init's parent is outside the sandbox; it counts as such a parent (the
	 * sandbox started from a shell), so init's own group is never orphaned.
	 */
	for (struct thread_group *g = k->groups; g && orphaned; g = g->next) {
		struct thread_group *p = g->parent;
		if (g->pgid == t->tg->pgid && !g->zombie &&
		    (!p || (p->pgid != g->pgid && p->sid == g->sid)))
			orphaned = false;
	}
	pthread_mutex_unlock(&k->mu);
	return orphaned;
}

int kernel_signal_pid(struct kernel *k, pid_t pid, int sig, const struct linux_siginfo *info)
{
	struct thread_group *g;
	int r = -ESRCH;

	pthread_mutex_lock(&k->mu);
	g = pid > 0 ? tg_find(k, pid) : NULL;
	if (g) {
		r = 0;
		if (sig && !g->zombie)
			tg_send_signal_locked(k, g, sig, info);
	}
	pthread_mutex_unlock(&k->mu);
	return r;
}

int kernel_signal_thread(struct kernel *k, pid_t tgid, pid_t tid, int sig,
			 const struct linux_siginfo *info)
{
	struct task *u;
	int r = -ESRCH;

	pthread_mutex_lock(&k->mu);
	u = task_find_locked(k, tid);
	if (u && u->tg->tgid == tgid) {
		r = 0;
		if (sig && !u->exiting && !u->tg->zombie) {
			task_send_signal(u, sig, info, false);
			task_kick_signal_locked(u, sig);
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
	struct thread_group *ig = init->tg;
	int status;

	pthread_mutex_lock(&k->mu);
	init->waiter = waiter_current();
	pthread_mutex_unlock(&k->mu);
	task_run(init);
	task_exit_thread(init);

	pthread_mutex_lock(&k->mu);
	/* Init's other threads may outlive its main thread (pthread_exit in main). */
	while (ig->live > 0)
		pthread_cond_wait(&k->cv, &k->mu);
	status = ig->exit_status;
	k->shutting_down = true;
	while (k->nthreads > 0) {
		struct timespec ts;

		for (struct thread_group *g = k->groups; g; g = g->next) {
			if (g == k->init || g->zombie)
				continue;
			tg_queue_signal(g, SIGKILL, NULL);
			group_exit_locked(g, SIGKILL);
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
