// SPDX-License-Identifier: Apache-2.0
/*
 * Pseudo-terminals (Linux's drivers/tty/pty.c + tty_io.c, reduced): the pair table,
 * /dev/ptmx, /dev/pts/N, /dev/tty and /dev/console opens, reads and writes on both ends,
 * poll, and hangup. The line discipline is ldisc.c, ioctls ioctl.c, job control jobctl.c.
 */
#include "fs/tty/tty_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "lib/abi/linux/errno.h"
#include "lib/compiler.h"

/* The pair table: index -> pty. A pty is freed when its last reference goes. */
static pthread_mutex_t pty_table_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pty *pty_table[PTY_MAX];
static int console_index = -1; /* protected by pty_table_mu */

static void pty_free(struct pty *p)
{
	waitq_destroy(&p->slave_rq);
	waitq_destroy(&p->slave_wq);
	waitq_destroy(&p->master_rq);
	waitq_destroy(&p->master_wq);
	pthread_mutex_destroy(&p->mu);
	free(p->in.buf);
	free(p->in_delim);
	free(p->out.buf);
	free(p);
}

void pty_put(struct pty *p)
{
	bool last;

	pthread_mutex_lock(&pty_table_mu);
	last = --p->refs == 0;
	if (last) {
		if (pty_table[p->index] == p)
			pty_table[p->index] = NULL;
		if (console_index == p->index)
			console_index = -1;
	}
	pthread_mutex_unlock(&pty_table_mu);
	if (last)
		pty_free(p);
}

/* A new reference to pty @index if it is alive, else NULL. */
static struct pty *pty_lookup(int index)
{
	struct pty *p = NULL;

	if (index < 0 || index >= PTY_MAX)
		return NULL;
	pthread_mutex_lock(&pty_table_mu);
	if (pty_table[index]) {
		p = pty_table[index];
		p->refs++;
	}
	pthread_mutex_unlock(&pty_table_mu);
	return p;
}

struct pty *pty_find_session(pid_t sid, const struct pty *except)
{
	struct pty *p = NULL;

	pthread_mutex_lock(&pty_table_mu);
	for (int i = 0; i < PTY_MAX && !p; i++) {
		struct pty *q = pty_table[i];
		/* Other ptys' @session is read without their lock: written atomically. */
		if (q && q != except && __atomic_load_n(&q->session, __ATOMIC_RELAXED) == sid) {
			p = q;
			p->refs++;
		}
	}
	pthread_mutex_unlock(&pty_table_mu);
	return p;
}

static struct pty *file_pty(struct file *f)
{
	return f->priv;
}

/* ---- opens ---- */

static int pty_new(uint32_t uid, struct pty **out)
{
	struct pty *p = calloc(1, sizeof(*p));
	int r = -ENOMEM;

	if (!p)
		return -ENOMEM;
	p->in.buf = malloc(TTY_BUF_SIZE);
	p->in_delim = calloc(1, TTY_BUF_SIZE);
	p->out.buf = malloc(TTY_OUT_SIZE);
	if (!p->in.buf || !p->in_delim || !p->out.buf)
		goto err;
	p->in.cap = TTY_BUF_SIZE;
	p->out.cap = TTY_OUT_SIZE;
	pthread_mutex_init(&p->mu, NULL);
	waitq_init(&p->slave_rq);
	waitq_init(&p->slave_wq);
	waitq_init(&p->master_rq);
	waitq_init(&p->master_wq);
	ldisc_init_termios(&p->termios);
	p->locked = true;
	p->master_open = true;
	p->refs = 1; /* the master's */
	pthread_mutex_lock(&pty_table_mu);
	r = -ENOSPC; /* Linux: ptmx open with every index taken */
	for (int i = 0; i < PTY_MAX; i++) {
		if (!pty_table[i]) {
			p->index = i;
			pty_table[i] = p;
			r = 0;
			break;
		}
	}
	pthread_mutex_unlock(&pty_table_mu);
	if (r < 0)
		goto err_sync;
	r = devpts_add(p->index, uid);
	if (r < 0) {
		pty_put(p);
		return r;
	}
	*out = p;
	return 0;

err_sync:
	waitq_destroy(&p->slave_rq);
	waitq_destroy(&p->slave_wq);
	waitq_destroy(&p->master_rq);
	waitq_destroy(&p->master_wq);
	pthread_mutex_destroy(&p->mu);
err:
	free(p->in.buf);
	free(p->in_delim);
	free(p->out.buf);
	free(p);
	return r;
}

int pty_open_master(struct file *f)
{
	struct caller c;
	struct pty *p;
	int r;

	tty_caller_get(NULL, &c);
	r = pty_new(c.valid ? c.uid : (uint32_t)getuid(), &p); /* the console: the sandbox's user */
	if (r < 0)
		return r;
	f->priv = p;
	return 0;
}

/* Attach @f as a slave of @p (a reference moves to @f); the open-time ctty rule. */
static int slave_attach(struct file *f, struct pty *p, bool noctty)
{
	struct caller c;

	pthread_mutex_lock(&p->mu);
	if (p->locked || p->hung_up) {
		pthread_mutex_unlock(&p->mu);
		pty_put(p);
		return -EIO;
	}
	p->slave_opens++;
	p->slave_closed = false;
	if (!noctty) {
		/* tty_open_proc_set_tty: a leader without a terminal opening a free one. */
		tty_caller_get(NULL, &c);
		if (c.valid && c.pid == c.sid && !p->session && !tty_session_has_ctty(p, c.sid))
			tty_set_ctty(p, &c);
	}
	pthread_mutex_unlock(&p->mu);
	f->ops = &pty_slave_fops;
	f->priv = p;
	return 0;
}

int pty_open_slave(struct file *f)
{
	struct pty *p = pty_lookup(devpts_index(file_inode(f)));

	if (!p)
		return -EIO;
	return slave_attach(f, p, f->flags & O_NOCTTY);
}

int pty_open_ctty(struct file *f)
{
	struct caller c;
	struct pty *p;

	tty_caller_get(NULL, &c);
	if (!c.valid)
		return -ENXIO;
	p = pty_find_session(c.sid, NULL);
	if (!p)
		return -ENXIO;
	return slave_attach(f, p, true);
}

int pty_open_console(struct file *f)
{
	struct pty *p;
	int idx;

	pthread_mutex_lock(&pty_table_mu);
	idx = console_index;
	pthread_mutex_unlock(&pty_table_mu);
	p = pty_lookup(idx);
	if (!p)
		return -ENODEV;
	return slave_attach(f, p, true); /* tty_open: /dev/console never becomes a ctty */
}

/* ---- reads and writes ---- */

static int wait_on(struct waitq *q, struct pty *p, const struct timespec *deadline)
{
	int r = waitq_wait_locked(q, &p->mu, deadline);

	return r == -EINTR ? -ERESTARTSYS : r;
}

/* Non-canonical reads: VMIN/VTIME (Linux's n_tty_read, man termios "MIN > 0, TIME > 0"). */
static ssize_t slave_read_raw(struct file *f, struct pty *p, struct uio *dst)
{
	unsigned int min = p->termios.c_cc[VMIN], time = p->termios.c_cc[VTIME];
	size_t need = MIN((size_t)(min ? min : 1), dst->resid), seen = 0;
	struct timespec deadline, *dl = NULL;
	ssize_t r;

	if (time && !min) {
		deadline_after_ns(&deadline, (long long)time * 100000000LL);
		dl = &deadline;
	}
	for (;;) {
		size_t avail = p->in.len;
		if (p->hung_up)
			return 0;
		r = tty_job_check(p, dst->mm, SIGTTIN);
		if (r < 0)
			return r;
		if (avail >= need || (avail && (f->flags & O_NONBLOCK)) || (!min && !time))
			break;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (time && min && avail > seen) {
			/* The inter-byte timer restarts with every byte. */
			seen = avail;
			deadline_after_ns(&deadline, (long long)time * 100000000LL);
			dl = &deadline;
		}
		r = wait_on(&p->slave_rq, p, dl);
		if (r == -ETIMEDOUT)
			break;
		if (r < 0)
			return r;
	}
	return ldisc_read(p, dst, dst->resid);
}

static ssize_t pty_slave_read(struct file *f, struct uio *dst, int64_t *pos)
{
	struct pty *p = file_pty(f);
	ssize_t r;

	(void)pos;
	if (dst->resid == 0)
		return 0;
	pthread_mutex_lock(&p->mu);
	if (!(p->termios.c_lflag & ICANON)) {
		r = slave_read_raw(f, p, dst);
	} else {
		for (;;) {
			if (p->hung_up) {
				r = 0;
				break;
			}
			if (!(p->termios.c_lflag & ICANON)) {
				/* Settings changed while we waited (set_termios wakes us). */
				r = slave_read_raw(f, p, dst);
				break;
			}
			r = tty_job_check(p, dst->mm, SIGTTIN);
			if (r < 0)
				break;
			if (ldisc_readable(p)) {
				r = ldisc_read(p, dst, dst->resid);
				break;
			}
			if (f->flags & O_NONBLOCK) {
				r = -EAGAIN;
				break;
			}
			r = wait_on(&p->slave_rq, p, NULL);
			if (r < 0)
				break;
		}
	}
	if (r > 0)
		waitq_wake_all(&p->master_wq);
	pthread_mutex_unlock(&p->mu);
	return r;
}

static ssize_t pty_slave_write(struct file *f, struct uio *src, int64_t *pos)
{
	struct pty *p = file_pty(f);
	uint8_t buf[512];
	size_t blen = 0, bpos = 0;
	ssize_t done = 0, r = 0;

	(void)pos;
	pthread_mutex_lock(&p->mu);
	if (p->termios.c_lflag & TOSTOP) {
		r = tty_job_check(p, src->mm, SIGTTOU);
		if (r < 0)
			goto out;
	}
	for (;;) {
		if (p->hung_up) {
			r = -EIO;
			break;
		}
		if (bpos == blen) {
			if (!src->resid)
				break;
			ssize_t c = uio_copy_in(src, buf, MIN(src->resid, sizeof(buf)));
			if (c <= 0) {
				r = c ? c : -EFAULT;
				break;
			}
			blen = (size_t)c;
			bpos = 0;
		}
		size_t k = ldisc_write(p, buf + bpos, blen - bpos);
		if (k) {
			bpos += k;
			done += (ssize_t)k;
			waitq_wake_all(&p->master_rq);
			continue;
		}
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		r = wait_on(&p->slave_wq, p, NULL);
		if (r < 0)
			break;
	}
out:
	pthread_mutex_unlock(&p->mu);
	return done ? done : r;
}

static ssize_t pty_master_read(struct file *f, struct uio *dst, int64_t *pos)
{
	struct pty *p = file_pty(f);
	ssize_t r;

	(void)pos;
	if (dst->resid == 0)
		return 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->packet && p->pktstatus) {
			/* A control packet: the status byte alone (n_tty_read's packet mode). */
			uint8_t st = p->pktstatus;
			r = uio_copy_out(dst, &st, 1);
			if (r == 1)
				p->pktstatus = 0;
			break;
		}
		if (p->out.len) {
			size_t n, done = 0;
			if (p->packet) {
				uint8_t data = TIOCPKT_DATA;
				if (uio_copy_out(dst, &data, 1) != 1) {
					r = -EFAULT;
					break;
				}
			}
			n = MIN(dst->resid, p->out.len);
			while (done < n) {
				size_t chunk = MIN(n - done, p->out.cap - p->out.head);
				ssize_t c = uio_copy_out(dst, p->out.buf + p->out.head, chunk);
				if (c <= 0)
					break;
				p->out.head = (p->out.head + (size_t)c) % p->out.cap;
				p->out.len -= (size_t)c;
				done += (size_t)c;
			}
			r = (ssize_t)done + p->packet;
			waitq_wake_all(&p->slave_wq);
			break;
		}
		/* Linux: EIO once every slave is closed (TTY_OTHER_CLOSED), after the data. */
		if (p->slave_closed) {
			r = -EIO;
			break;
		}
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		r = wait_on(&p->master_rq, p, NULL);
		if (r < 0)
			break;
	}
	pthread_mutex_unlock(&p->mu);
	return r;
}

static ssize_t pty_master_write(struct file *f, struct uio *src, int64_t *pos)
{
	struct pty *p = file_pty(f);
	uint8_t buf[512];
	size_t blen = 0, bpos = 0;
	ssize_t done = 0, r = 0;

	(void)pos;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (bpos == blen) {
			if (!src->resid)
				break;
			ssize_t c = uio_copy_in(src, buf, MIN(src->resid, sizeof(buf)));
			if (c <= 0) {
				r = c ? c : -EFAULT;
				break;
			}
			blen = (size_t)c;
			bpos = 0;
		}
		int sig = 0;
		size_t k = ldisc_receive(p, buf + bpos, blen - bpos, &sig);
		if (sig)
			tty_signal_fg(p, sig);
		if (k) {
			bpos += k;
			done += (ssize_t)k;
			waitq_wake_all(&p->slave_rq);
			waitq_wake_all(&p->slave_wq); /* VSTART, or an ISIG flush made room */
			waitq_wake_all(&p->master_rq); /* echoes */
			continue;
		}
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		r = wait_on(&p->master_wq, p, NULL);
		if (r < 0)
			break;
	}
	pthread_mutex_unlock(&p->mu);
	return done ? done : r;
}

/* ---- poll ---- */

static unsigned int pty_master_poll(struct file *f, struct poll_table *pt)
{
	struct pty *p = file_pty(f);
	unsigned int m = 0;

	pthread_mutex_lock(&p->mu);
	poll_wait(pt, &p->master_rq);
	poll_wait(pt, &p->master_wq);
	if (p->out.len)
		m |= POLLIN | POLLRDNORM;
	if (p->packet && p->pktstatus)
		m |= POLLPRI | POLLIN | POLLRDNORM;
	if (p->slave_closed)
		m |= POLLHUP;
	if (ring_space(&p->in))
		m |= POLLOUT | POLLWRNORM;
	pthread_mutex_unlock(&p->mu);
	return m;
}

static unsigned int pty_slave_poll(struct file *f, struct poll_table *pt)
{
	struct pty *p = file_pty(f);
	unsigned int m = 0;

	pthread_mutex_lock(&p->mu);
	poll_wait(pt, &p->slave_rq);
	poll_wait(pt, &p->slave_wq);
	if (p->hung_up) {
		m = POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDNORM | POLLWRNORM;
	} else {
		if (ldisc_readable(p))
			m |= POLLIN | POLLRDNORM;
		if (ring_space(&p->out) >= 2 && !p->stopped)
			m |= POLLOUT | POLLWRNORM;
	}
	pthread_mutex_unlock(&p->mu);
	return m;
}

/* ---- release and hangup ---- */

static void pty_slave_release(struct file *f)
{
	struct pty *p = file_pty(f);

	pthread_mutex_lock(&p->mu);
	if (--p->slave_opens == 0) {
		p->slave_closed = true;
		waitq_wake_all(&p->master_rq);
	}
	pthread_mutex_unlock(&p->mu);
	free(f);
	pty_put(p);
}

/*
 * The master closed: hang the slave up (Linux's pty_close -> tty_vhangup). Slave reads see
 * EOF, writes EIO; the session leader gets SIGHUP and SIGCONT; /dev/pts/N goes away.
 */
static void pty_master_release(struct file *f)
{
	struct pty *p = file_pty(f);
	pid_t leader;

	pthread_mutex_lock(&p->mu);
	p->master_open = false;
	p->hung_up = true;
	leader = p->session;
	__atomic_store_n(&p->session, 0, __ATOMIC_RELAXED);
	p->pgrp = 0;
	ldisc_flush_input(p);
	waitq_wake_all(&p->slave_rq);
	waitq_wake_all(&p->slave_wq);
	waitq_wake_all(&p->master_rq);
	waitq_wake_all(&p->master_wq);
	pthread_mutex_unlock(&p->mu);
	if (leader > 0 && tty_job) {
		tty_job->signal_pid(leader, SIGHUP);
		tty_job->signal_pid(leader, SIGCONT);
	}
	pthread_mutex_lock(&vfs_tree_mu);
	devpts_remove(p->index);
	pthread_mutex_unlock(&vfs_tree_mu);
	free(f);
	pty_put(p);
}

const struct file_ops pty_master_fops = {
	.open = pty_open_master,
	.read = pty_master_read,
	.write = pty_master_write,
	.ioctl = pty_master_ioctl,
	.poll = pty_master_poll,
	.release = pty_master_release,
};

const struct file_ops pty_slave_fops = {
	.open = pty_open_slave,
	.read = pty_slave_read,
	.write = pty_slave_write,
	.ioctl = pty_slave_ioctl,
	.poll = pty_slave_poll,
	.release = pty_slave_release,
};

/* ---- the console (fs/tty/console.c) ---- */

int pty_make_console(struct file *master)
{
	struct pty *p = file_pty(master);

	pthread_mutex_lock(&p->mu);
	p->locked = false;
	pthread_mutex_unlock(&p->mu);
	pthread_mutex_lock(&pty_table_mu);
	console_index = p->index;
	pthread_mutex_unlock(&pty_table_mu);
	return p->index;
}

void pty_set_ctty(struct file *f, pid_t sid, pid_t pgid)
{
	struct pty *p = file_pty(f);

	pthread_mutex_lock(&p->mu);
	__atomic_store_n(&p->session, sid, __ATOMIC_RELAXED);
	p->pgrp = pgid;
	pthread_mutex_unlock(&p->mu);
}

void pty_set_winsize(struct file *f, const struct kwinsize *ws)
{
	struct pty *p = file_pty(f);

	pthread_mutex_lock(&p->mu);
	if (memcmp(ws, &p->winsize, sizeof(*ws)) != 0) {
		p->winsize = *ws;
		tty_signal_fg(p, SIGWINCH);
	}
	pthread_mutex_unlock(&p->mu);
}
