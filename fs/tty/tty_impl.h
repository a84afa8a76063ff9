/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to fs/tty: the pty pair and the line discipline that works on it. */
#ifndef SBX_FS_TTY_TTY_IMPL_H
#define SBX_FS_TTY_TTY_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "fs/tty/tty.h"
#include "lib/waitq.h"

/* The kernel's struct termios / termios2 (asm-generic/termbits.h), not glibc's. */
#define KNCCS 19
struct ktermios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[KNCCS];
	uint32_t c_ispeed, c_ospeed; /* termios2 only */
};
#define KTERMIOS_SIZE 36
#define KTERMIOS2_SIZE 44

struct kwinsize {
	uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* termios2 ioctls (asm-generic/ioctls.h; glibc's headers cannot expand them). */
#define K_TCGETS2 0x802c542aU
#define K_TCSETS2 0x402c542bU
#define K_TCSETSW2 0x402c542cU
#define K_TCSETSF2 0x402c542dU

#define TTY_BUF_SIZE 4096  /* Linux's N_TTY_BUF_SIZE: input (master -> slave) */
#define TTY_OUT_SIZE 8192  /* output (slave -> master) */

/* A byte ring. */
struct tty_ring {
	uint8_t *buf;
	size_t cap, head, len;
};

/*
 * struct pty - a pseudo-terminal pair. The slave side owns the terminal state (termios,
 * window size, session, foreground group): master ioctls act on it too, as in Linux.
 *
 * Input (master write -> slave read) is processed on arrival (n_tty_receive_buf): ICRNL &c.,
 * signals, canonical editing. @in holds processed characters; in canonical mode the first
 * @canon_len of them are complete lines, each ending at a byte whose @in_delim bit is set
 * (an EOF delimiter is not returned to the reader); the rest is the line being edited.
 * Output (slave write, echoes) is post-processed (OPOST) into @out for the master to read.
 */
struct pty {
	int index;

	pthread_mutex_t mu;
	struct ktermios termios;     /* protected by mu */
	struct kwinsize winsize;     /* protected by mu */
	struct tty_ring in, out;     /* protected by mu */
	uint8_t *in_delim;           /* bitmap over in.buf positions; protected by mu */
	size_t canon_len;            /* protected by mu */
	unsigned int column;         /* output column (for tabs, ECHOE); protected by mu */
	unsigned int canon_column;   /* column where the edited line began */
	bool lnext;                  /* the previous input char was VLNEXT */
	bool stopped;                /* output stopped by VSTOP (IXON) until VSTART */
	bool packet;                 /* TIOCPKT: master reads carry a status byte */
	uint8_t pktstatus;           /* TIOCPKT_* events not yet read by the master */
	bool locked;                 /* TIOCSPTLCK */
	bool hung_up;                /* the master closed: slave files are dead */
	bool slave_closed;           /* every slave file closed (TTY_OTHER_CLOSED on master) */
	bool master_open;
	int slave_opens;             /* slave open file descriptions */
	pid_t session, pgrp;         /* controlling terminal of @session; 0 if none */
	struct waitq slave_rq;       /* slave readers: input arrived, hangup */
	struct waitq slave_wq;       /* slave writers: room in @out */
	struct waitq master_rq;      /* master readers: output arrived, slave closed */
	struct waitq master_wq;      /* master writers: room in @in */
	int refs;                    /* master + slaves + table entry; protected by pty_table_mu */
};

extern const struct tty_job_ops *tty_job;

/* ---- fs/tty/pty.c ---- */

/* pty_find_session - a new reference to the pty controlling session @sid (not @except). */
struct pty *pty_find_session(pid_t sid, const struct pty *except);
/* pty_put - drop a reference; the last frees the pair. Never with pty_table_mu held. */
void pty_put(struct pty *p);

/* ---- fs/tty/ioctl.c: the file_ops ioctl of each end ---- */

long pty_master_ioctl(struct file *f, struct mm *mm, unsigned int cmd, uint64_t arg);
long pty_slave_ioctl(struct file *f, struct mm *mm, unsigned int cmd, uint64_t arg);

/* ---- fs/tty/jobctl.c (Preconditions: p->mu held, where a pty is passed) ---- */

/* struct caller - the calling process (tty_job_ops.current), @valid false if none. */
struct caller {
	bool valid;
	pid_t pid, pgid, sid;
	uint32_t uid, gid;
};
void tty_caller_get(struct mm *mm, struct caller *c);
/*
 * tty_job_check - Linux's __tty_check_change: a caller in a background group of the
 * terminal's session reading (SIGTTIN) or writing with TOSTOP / changing settings (SIGTTOU).
 * 0 (go ahead), -EIO, or -ERESTARTSYS after signalling the caller's group.
 */
int tty_job_check(struct pty *p, struct mm *mm, int sig);
/* tty_signal_fg - @sig to the foreground group (ISIG, SIGWINCH), if there is one. */
void tty_signal_fg(struct pty *p, int sig);
/* tty_set_ctty - @p becomes the controlling terminal of @c's session, @c's group in front. */
void tty_set_ctty(struct pty *p, const struct caller *c);
/* tty_session_has_ctty - does another pty control session @sid? */
bool tty_session_has_ctty(struct pty *self, pid_t sid);
/* The job-control ioctls: results as Linux's tiocsctty, tiocnotty, tiocspgrp, tiocgpgrp. */
long tty_tiocsctty(struct pty *p, struct mm *mm, uint64_t arg);
long tty_tiocnotty(struct pty *p, struct mm *mm);
long tty_tiocspgrp(struct pty *p, struct mm *mm, uint64_t arg);
/* tty_tiocg_id - TIOCGPGRP (@sid false) or TIOCGSID; on a slave only for its session. */
long tty_tiocg_id(struct pty *p, struct mm *mm, bool master, bool sid, uint64_t arg);

/* ---- fs/tty/ldisc.c (all: Preconditions p->mu held) ---- */

void ldisc_init_termios(struct ktermios *t);
/*
 * ldisc_receive - feed @n typed characters (from the master) through input processing.
 * Returns how many were taken (fewer when @in is full); *sig gets a signal to send to the
 * foreground group (INTR/QUIT/SUSP), 0 if none; the caller sends it after unlocking.
 */
size_t ldisc_receive(struct pty *p, const uint8_t *c, size_t n, int *sig);
/* ldisc_readable - bytes a slave read could return now (canonical: a complete line). */
size_t ldisc_readable(struct pty *p);
/*
 * ldisc_read - move up to @n input bytes to @dst (a canonical read stops after one line).
 * Bytes or -EFAULT.
 */
ssize_t ldisc_read(struct pty *p, struct uio *dst, size_t n);
/*
 * ldisc_write - output-process up to the room in @out from @src (one chunk of @len bytes
 * already copied in); returns source bytes consumed.
 */
size_t ldisc_write(struct pty *p, const uint8_t *src, size_t len);
/* ldisc_flush_input - TCFLSH TCIFLUSH: drop @in (and the line being edited). */
void ldisc_flush_input(struct pty *p);
/* ldisc_flush_output - drop @out, what the master has not read (pty_flush_buffer). */
void ldisc_flush_output(struct pty *p);
/* ldisc_set_stopped - stop or restart output (stop_tty/start_tty; TIOCPKT_STOP/START). */
void ldisc_set_stopped(struct pty *p, bool stop);
/* ldisc_set_termios - apply new settings; leaving canonical mode makes the partial line
 * readable, entering it starts a new line (Linux's n_tty_set_termios). */
void ldisc_set_termios(struct pty *p, const struct ktermios *t);

/* ---- fs/tty/pty.c, for the console ---- */

/* pty_make_console - unlock @master's pair and make it what /dev/console opens; its index. */
int pty_make_console(struct file *master);
/* pty_set_ctty - make the pty of @f (either end) the terminal of session @sid. */
void pty_set_ctty(struct file *f, pid_t sid, pid_t pgid);
/* pty_set_winsize - TIOCSWINSZ from the Sentry: SIGWINCH to the foreground on a change. */
void pty_set_winsize(struct file *f, const struct kwinsize *ws);

size_t ring_space(const struct tty_ring *r);
void ring_put(struct tty_ring *r, uint8_t c);

#endif
