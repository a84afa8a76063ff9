// SPDX-License-Identifier: Apache-2.0
/*
 * Controlling terminals and job control (Linux's drivers/tty/tty_jobctrl.c) over the
 * kernel's struct tty_job_ops: who is calling, the background checks that send SIGTTIN and
 * SIGTTOU, TIOCSCTTY/TIOCNOTTY/TIOCSPGRP/TIOCGPGRP/TIOCGSID, and a session leader's exit.
 *
 * A pty records the session it controls (@session) and that session's foreground group
 * (@pgrp), as Linux's tty->ctrl does; a process's controlling terminal is the pty whose
 * @session is its sid (a session has at most one), so setsid leaves the old terminal behind
 * by itself. Not kept: the per-process pointer Linux clears on TIOCNOTTY by a non-leader.
 */
#include "fs/tty/tty_impl.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "lib/abi/linux/errno.h"

const struct tty_job_ops *tty_job;

void tty_set_job_ops(const struct tty_job_ops *ops)
{
	tty_job = ops;
}

void tty_caller_get(struct mm *mm, struct caller *c)
{
	struct tty_caller tc;

	memset(c, 0, sizeof(*c));
	c->valid = tty_job && tty_job->current(mm, &tc);
	if (c->valid) {
		c->pid = tc.pid;
		c->pgid = tc.pgid;
		c->sid = tc.sid;
		c->uid = tc.uid;
		c->gid = tc.gid;
	}
}

/* Preconditions: p->mu. Is @p the caller's controlling terminal? */
static bool is_ctty(struct pty *p, const struct caller *c)
{
	return c->valid && p->session && p->session == c->sid;
}

/*
 * Linux's __tty_check_change: may the caller, if it is in a background group of the
 * terminal's session, do this (read: SIGTTIN; write with TOSTOP or a settings change:
 * SIGTTOU)? 0, -EIO, or -ERESTARTSYS after signalling its group.
 * Preconditions: p->mu.
 */
int tty_job_check(struct pty *p, struct mm *mm, int sig)
{
	struct caller c;
	enum tty_sig_disp d;

	if (!p->session || !p->pgrp)
		return 0; /* nobody's terminal: no background (and no process lookup) */
	tty_caller_get(mm, &c);
	if (!is_ctty(p, &c) || !p->pgrp || c.pgid == p->pgrp)
		return 0;
	d = tty_job->signal_disposition(mm, sig);
	if (d == TTY_SIG_IGNORED)
		return sig == SIGTTIN ? -EIO : 0;
	if (tty_job->pgrp_orphaned(c.pgid))
		return -EIO;
	tty_job->signal_pgrp(c.pgid, sig);
	if (d == TTY_SIG_DEFAULT && !tty_job->can_stop) {
		/* The kernel cannot stop us yet: restarting would signal forever. */
		return sig == SIGTTIN ? -EIO : 0;
	}
	return -ERESTARTSYS;
}

/* Preconditions: p->mu. Signal the foreground group (ISIG, SIGWINCH). */
void tty_signal_fg(struct pty *p, int sig)
{
	if (tty_job && p->pgrp > 0)
		tty_job->signal_pgrp(p->pgrp, sig);
}

/* Become the controlling terminal of the caller's session (Linux's __proc_set_tty). */
void tty_set_ctty(struct pty *p, const struct caller *c)
{
	__atomic_store_n(&p->session, c->sid, __ATOMIC_RELAXED);
	p->pgrp = c->pgid;
}

/* Preconditions: p->mu. Is some other pty the controlling terminal of session @sid? */
bool tty_session_has_ctty(struct pty *self, pid_t sid)
{
	struct pty *q = pty_find_session(sid, self);

	if (q)
		pty_put(q);
	return q != NULL;
}

long tty_tiocsctty(struct pty *p, struct mm *mm, uint64_t arg)
{
	struct caller c;

	tty_caller_get(mm, &c);
	if (!c.valid)
		return -EPERM;
	if (p->session == c.sid)
		return 0; /* already ours */
	/* Only a session leader without a terminal may take one (tiocsctty). */
	if (c.pid != c.sid || tty_session_has_ctty(p, c.sid))
		return -EPERM;
	if (p->session) {
		/* Stealing another session's terminal needs arg 1 and CAP_SYS_ADMIN (root here). */
		if (arg != 1)
			return -EPERM;
		/* TODO: check CAP_SYS_ADMIN once capabilities exist; uid 0 is assumed. */
	}
	tty_set_ctty(p, &c);
	return 0;
}

/* Linux's disassociate_ctty for the leader: SIGHUP, SIGCONT to the foreground group. */
long tty_tiocnotty(struct pty *p, struct mm *mm)
{
	struct caller c;

	tty_caller_get(mm, &c);
	if (!is_ctty(p, &c))
		return -ENOTTY;
	if (c.pid == c.sid) {
		if (p->pgrp > 0) {
			tty_job->signal_pgrp(p->pgrp, SIGHUP);
			tty_job->signal_pgrp(p->pgrp, SIGCONT);
		}
		__atomic_store_n(&p->session, 0, __ATOMIC_RELAXED);
		p->pgrp = 0;
	}
	return 0;
}

long tty_tiocspgrp(struct pty *p, struct mm *mm, uint64_t arg)
{
	struct caller c;
	int32_t pgrp;
	pid_t s;
	long r;

	tty_caller_get(mm, &c);
	if (!is_ctty(p, &c))
		return -ENOTTY;
	r = tty_job_check(p, mm, SIGTTOU);
	if (r < 0)
		return r;
	if (mm_copy_in(mm, arg, &pgrp, sizeof(pgrp)) != sizeof(pgrp))
		return -EFAULT;
	if (pgrp < 0)
		return -EINVAL;
	s = tty_job->pgrp_session(pgrp);
	if (s < 0)
		return -ESRCH;
	if (s != c.sid)
		return -EPERM;
	p->pgrp = pgrp;
	return 0;
}

/* TIOCGPGRP / TIOCGSID: on a slave only by processes it controls (on a master: anyone). */
long tty_tiocg_id(struct pty *p, struct mm *mm, bool master, bool sid, uint64_t arg)
{
	struct caller c;
	int32_t v;

	tty_caller_get(mm, &c);
	if (!master && !is_ctty(p, &c))
		return -ENOTTY;
	if (sid && !p->session)
		return -ENOTTY;
	v = sid ? p->session : p->pgrp;
	if (mm_copy_out(mm, arg, &v, sizeof(v)) != sizeof(v))
		return -EFAULT;
	return 0;
}

void tty_session_exit(pid_t sid)
{
	struct pty *p = pty_find_session(sid, NULL);
	pid_t pgrp = 0;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	if (p->session == sid) {
		pgrp = p->pgrp;
		__atomic_store_n(&p->session, 0, __ATOMIC_RELAXED);
		p->pgrp = 0;
	}
	pthread_mutex_unlock(&p->mu);
	/* Linux's disassociate_ctty(1) for a pty: SIGHUP to the foreground group. */
	if (pgrp > 0 && tty_job)
		tty_job->signal_pgrp(pgrp, SIGHUP);
	pty_put(p);
}

