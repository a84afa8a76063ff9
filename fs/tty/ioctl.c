// SPDX-License-Identifier: Apache-2.0
/*
 * Terminal ioctls of both pty ends (Linux's tty_ioctl.c, tty_io.c's tty_ioctl and pty.c's
 * pty_unix98_ioctl): termios, window size, queues and flushes, flow control, packet mode,
 * the job-control requests (jobctl.c) and the master's TIOCGPTN/TIOCSPTLCK/TIOCGPTPEER.
 * As in Linux, a master's requests act on the terminal state the slave side holds.
 */
#include "fs/tty/tty_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "lib/compiler.h"

static long get_termios(struct pty *p, struct mm *mm, uint64_t arg, size_t size)
{
	if (mm_copy_out(mm, arg, &p->termios, size) != (ssize_t)size)
		return -EFAULT;
	return 0;
}

static long set_termios(struct pty *p, struct mm *mm, bool slave, uint64_t arg, size_t size,
			bool flush)
{
	struct ktermios t = p->termios;
	long r;

	if (slave) {
		r = tty_job_check(p, mm, SIGTTOU);
		if (r < 0)
			return r;
	}
	if (mm_copy_in(mm, arg, &t, size) != (ssize_t)size)
		return -EFAULT;
	if (flush)
		ldisc_flush_input(p);
	ldisc_set_termios(p, &t);
	/* New settings may make input readable (leaving ICANON) or change VMIN. */
	waitq_wake_all(&p->slave_rq);
	waitq_wake_all(&p->master_rq); /* packet mode: DOSTOP/NOSTOP */
	return 0;
}

static long put_int(struct mm *mm, uint64_t arg, int v)
{
	if (mm_copy_out(mm, arg, &v, sizeof(v)) != sizeof(v))
		return -EFAULT;
	return 0;
}

/* Bytes a read would see (TIOCINQ): canonical mode leaves out EOF marks (inq_canon). */
static int inq(struct pty *p)
{
	return (int)ldisc_readable(p);
}

static long tcflsh(struct pty *p, bool master, uint64_t arg)
{
	/* A pty's "output" buffer is the other side's input (pty_flush_buffer). */
	bool in = arg == TCIFLUSH || arg == TCIOFLUSH, out = arg == TCOFLUSH || arg == TCIOFLUSH;

	if (arg > TCIOFLUSH)
		return -EINVAL;
	if (master ? out : in)
		ldisc_flush_input(p);
	if (master ? in : out) {
		bool pkt = p->packet;
		p->packet = pkt && !master; /* a master's own flush is no event for itself */
		ldisc_flush_output(p);
		p->packet = pkt;
	}
	waitq_wake_all(&p->master_rq);
	waitq_wake_all(&p->master_wq);
	waitq_wake_all(&p->slave_wq);
	return 0;
}

/* Preconditions: p->mu. The ioctls both ends share; -ENOIOCTLCMD-like 1 for "not mine". */
static long tty_ioctl_common(struct pty *p, struct mm *mm, bool master, unsigned int cmd,
			     uint64_t arg)
{
	struct kwinsize ws;
	long r;

	switch (cmd) {
	case TCGETS:
		return get_termios(p, mm, arg, KTERMIOS_SIZE);
	case K_TCGETS2:
		return get_termios(p, mm, arg, KTERMIOS2_SIZE);
	case TCSETS:
	case TCSETSW:
		return set_termios(p, mm, !master, arg, KTERMIOS_SIZE, false);
	case TCSETSF:
		return set_termios(p, mm, !master, arg, KTERMIOS_SIZE, true);
	case K_TCSETS2:
	case K_TCSETSW2:
		return set_termios(p, mm, !master, arg, KTERMIOS2_SIZE, false);
	case K_TCSETSF2:
		return set_termios(p, mm, !master, arg, KTERMIOS2_SIZE, true);
	case TIOCGWINSZ:
		if (mm_copy_out(mm, arg, &p->winsize, sizeof(ws)) != sizeof(ws))
			return -EFAULT;
		return 0;
	case TIOCSWINSZ:
		if (mm_copy_in(mm, arg, &ws, sizeof(ws)) != sizeof(ws))
			return -EFAULT;
		if (memcmp(&ws, &p->winsize, sizeof(ws)) != 0) {
			p->winsize = ws;
			tty_signal_fg(p, SIGWINCH);
		}
		return 0;
	case FIONREAD:
		return put_int(mm, arg, master ? (int)p->out.len : inq(p));
	case TIOCOUTQ:
		return put_int(mm, arg, 0); /* ptys have no driver queue (no chars_in_buffer) */
	case TCFLSH:
		if (!master) {
			r = tty_job_check(p, mm, SIGTTOU);
			if (r < 0)
				return r;
		}
		return tcflsh(p, master, arg);
	case TCXONC:
		/* TCOOFF/TCOON stop and restart output; TCIOFF/TCION (send STOP/START) do nothing. */
		if (arg > TCION)
			return -EINVAL;
		if (arg == TCOOFF || arg == TCOON) {
			ldisc_set_stopped(p, arg == TCOOFF);
			waitq_wake_all(&p->slave_wq);
			waitq_wake_all(&p->master_rq);
		}
		return 0;
	case TCSBRK:
	case TCSBRKP:
	case TIOCEXCL:
	case TIOCNXCL:
		return 0; /* nothing queued to drain, no flow control, no exclusivity kept */
	case TIOCGETD:
		return put_int(mm, arg, 0); /* N_TTY */
	case TIOCSETD: {
		int ld;
		if (mm_copy_in(mm, arg, &ld, sizeof(ld)) != sizeof(ld))
			return -EFAULT;
		return ld == 0 ? 0 : -EINVAL;
	}
	case TIOCGPGRP:
		return tty_tiocg_id(p, mm, master, false, arg);
	case TIOCGSID:
		return tty_tiocg_id(p, mm, master, true, arg);
	case TIOCSPGRP:
		/* On the master too: Linux's tiocspgrp works on the slave (real_tty). */
		return tty_tiocspgrp(p, mm, arg);
	case TIOCSCTTY:
		return master ? -EINVAL : tty_tiocsctty(p, mm, arg);
	case TIOCNOTTY:
		return master ? -ENOTTY : tty_tiocnotty(p, mm);
	default:
		return -ENOTTY;
	}
}

/* TIOCGPTPEER: open the slave through the master, without a path walk; @flags are open's. */
static long pty_open_peer(struct file *m, struct mm *mm, uint64_t flags)
{
	struct pty *p = (struct pty *)m->priv;
	struct path sp;
	struct file *f;
	long r;

	/* Linux's ptm_open_peer hands @flags to dentry_open unchecked; creation bits mean
	 * nothing for an existing slave, so only these are kept. */
	flags &= (uint64_t)(O_ACCMODE | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (!tty_job)
		return -ENOTTY; /* no process to give an fd to */
	pthread_mutex_lock(&vfs_tree_mu);
	r = devpts_slave_path(&m->path, p->index, &sp);
	if (r == 0) {
		r = vfs_open_path(NULL, &sp, (int)(flags & ~(uint64_t)O_CLOEXEC), &f);
		path_put(&sp);
	}
	pthread_mutex_unlock(&vfs_tree_mu);
	if (r < 0)
		return r;
	r = tty_job->install_fd(mm, f, flags & O_CLOEXEC);
	file_put(f);
	return r;
}

#ifndef TIOCGPTPEER
#define TIOCGPTPEER 0x5441
#endif

long pty_master_ioctl(struct file *f, struct mm *mm, unsigned int cmd, uint64_t arg)
{
	struct pty *p = (struct pty *)f->priv;
	long r;
	int v;

	if (cmd == TIOCGPTPEER)
		return pty_open_peer(f, mm, arg); /* takes vfs_tree_mu: before p->mu */
	pthread_mutex_lock(&p->mu);
	switch (cmd) {
	case TIOCGPTN:
		r = put_int(mm, arg, p->index);
		break;
	case TIOCSPTLCK:
		r = -EFAULT;
		if (mm_copy_in(mm, arg, &v, sizeof(v)) == sizeof(v)) {
			p->locked = v != 0;
			r = 0;
		}
		break;
	case TIOCGPTLCK:
		r = put_int(mm, arg, p->locked);
		break;
	case TIOCPKT:
		r = -EFAULT;
		if (mm_copy_in(mm, arg, &v, sizeof(v)) == sizeof(v)) {
			if (v && !p->packet)
				p->pktstatus = 0; /* pty_set_pktmode */
			p->packet = v != 0;
			r = 0;
		}
		break;
	case TIOCGPKT:
		r = put_int(mm, arg, p->packet);
		break;
	default:
		r = tty_ioctl_common(p, mm, true, cmd, arg);
	}
	pthread_mutex_unlock(&p->mu);
	return r;
}

long pty_slave_ioctl(struct file *f, struct mm *mm, unsigned int cmd, uint64_t arg)
{
	struct pty *p = (struct pty *)f->priv;
	long r;

	pthread_mutex_lock(&p->mu);
	if (p->hung_up)
		r = cmd == TIOCSPGRP ? -ENOTTY : -EIO; /* hung_up_tty_ioctl */
	else
		r = tty_ioctl_common(p, mm, false, cmd, arg);
	pthread_mutex_unlock(&p->mu);
	return r;
}
