/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Terminals inside the Sentry: pseudo-terminal pairs (fs/tty/pty.c) with a Linux n_tty line
 * discipline (fs/tty/ldisc.c), the controlling-terminal and job-control rules, and the
 * console relay behind `sandbox run -t` (fs/tty/console.c). The devices that open them
 * (/dev/ptmx, /dev/pts/N, /dev/tty, /dev/console) live in fs/dev/.
 *
 * fs/ sits below sentry/kernel, so everything a terminal needs from processes (who is
 * calling, sessions and process groups, sending signals) comes through struct tty_job_ops,
 * which sentry/kernel/tty_glue.c registers at boot. Without it (unit tests) terminals work
 * as if no process ever had a controlling terminal.
 *
 * Lock order: vfs_tree_mu (opens run under it) > pty->mu > pty_table_mu, and
 * pty->mu > tty_job_ops (kernel->mu > thread_group->mu) > waitq->mu. A master's release
 * drops pty->mu before taking vfs_tree_mu to remove /dev/pts/N.
 */
#ifndef SBX_FS_TTY_TTY_H
#define SBX_FS_TTY_TTY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fs/vfs.h"

struct pty;

/* What tty_job_ops.signal_disposition reports for the calling process. */
enum tty_sig_disp {
	TTY_SIG_DEFAULT,  /* default action */
	TTY_SIG_CAUGHT,   /* a handler runs */
	TTY_SIG_IGNORED,  /* SIG_IGN or blocked: job-control checks let the access through */
};

/* struct tty_caller - who is calling: its process ids and fsuid/fsgid. */
struct tty_caller {
	pid_t pid, pgid, sid;
	uint32_t uid, gid;
};

/*
 * struct tty_job_ops - the kernel's side of terminals. The caller is the task whose host
 * thread runs the call (an open op gets no other clue), or the owner of the syscall's mm;
 * the console relay's threads are no process. Every op may take kernel->mu; none may call
 * back into a tty.
 */
struct tty_job_ops {
	/*
	 * current - the calling process: the task running on this host thread, else the
	 * process owning @mm (may be NULL). false if none (the console relay's threads).
	 */
	bool (*current)(struct mm *mm, struct tty_caller *out);
	/* pgrp_session - the session of process group @pgid, or -ESRCH if it has no member. */
	pid_t (*pgrp_session)(pid_t pgid);
	/* pgrp_orphaned - is @pgid orphaned (no member has a parent in another group of its
	 * session)? Orphaned groups get EIO instead of a stop signal (Linux's is_*_orphaned). */
	bool (*pgrp_orphaned)(pid_t pgid);
	/* signal_pgrp - send @sig to every process of group @pgid (from the kernel). */
	void (*signal_pgrp)(pid_t pgid, int sig);
	/* signal_pid - send @sig to process @pid (from the kernel). */
	void (*signal_pid)(pid_t pid, int sig);
	/* signal_disposition - what the process owning @mm does with @sig. */
	enum tty_sig_disp (*signal_disposition)(struct mm *mm, int sig);
	/* install_fd - put @f (a reference is taken) at the caller's lowest free fd, with
	 * FD_CLOEXEC if @cloexec: the fd or -errno (TIOCGPTPEER). */
	int (*install_fd)(struct mm *mm, struct file *f, bool cloexec);
	/* can_stop - the kernel stops processes on SIGTTIN/SIGTTOU/SIGTSTP (it does). A kernel
	 * that cannot makes a background read that raised SIGTTIN return EIO instead of
	 * restarting forever. */
	bool can_stop;
};

/* tty_set_job_ops - register the kernel's hooks (NULL: none). Called once at boot. */
void tty_set_job_ops(const struct tty_job_ops *ops);

/* ---- pseudo-terminals (fs/tty/pty.c) ---- */

#define PTY_MAX 4096           /* /dev/pts/0 .. 4095 (Linux's default kernel.pty.max) */
#define PTY_MAJOR_SLAVE 136
#define TTY_MAJOR 5            /* /dev/tty 5,0; /dev/console 5,1; /dev/ptmx 5,2 */

/*
 * pty_open_master - the open op of /dev/ptmx: allocate a pair (locked, like Linux: the
 * slave cannot be opened before TIOCSPTLCK 0 / unlockpt), add /dev/pts/N, make @f its master.
 * Preconditions: vfs_tree_mu held (vfs_open holds it around the open op).
 */
int pty_open_master(struct file *f);
/* pty_open_slave - the open op of /dev/pts/N; -EIO while locked or after a hangup. */
int pty_open_slave(struct file *f);
/*
 * pty_open_ctty - the open op of /dev/tty: the caller's controlling terminal (the file's ops
 * become the slave's), or -ENXIO without one.
 */
int pty_open_ctty(struct file *f);
/* pty_open_console - the open op of /dev/console: the console pty's slave, else -ENODEV. */
int pty_open_console(struct file *f);

extern const struct file_ops pty_master_fops, pty_slave_fops;

/*
 * tty_session_exit - a session leader (pid @sid) exited: its controlling terminal, if any,
 * controls no session any more and its foreground group gets SIGHUP (Linux's
 * disassociate_ctty(1) from do_exit, for a pty). For the kernel's exit path; call it
 * without kernel->mu (sentry/kernel/process.c calls it through tty_glue_session_exit).
 */
void tty_session_exit(pid_t sid);

/* ---- devpts (fs/dev/devpts.c) ---- */

/*
 * devpts_new_root - the devpts directory (/dev/pts): one entry per live pty. Only one
 * instance exists; a second call returns the same root. One dentry reference in *out.
 */
int devpts_new_root(struct dentry **out);
/* devpts_add / devpts_remove - show or hide /dev/pts/@index, a char device 136,@index
 * owned by @uid (mode 0620, group tty). Preconditions: vfs_tree_mu held. */
int devpts_add(int index, uint32_t uid);
void devpts_remove(int index);
/*
 * devpts_slave_path - /dev/pts/@index of the devpts mounted beside the ptmx at @ptmx (its
 * "pts" sibling, as Linux's TIOCGPTPEER finds it): new references in *out, or -EIO.
 * Preconditions: vfs_tree_mu held.
 */
int devpts_slave_path(const struct path *ptmx, int index, struct path *out);
/* devpts_index - the pty index of a /dev/pts inode, or -1 for any other inode. */
int devpts_index(struct inode *ino);

/* ---- the console relay of `sandbox run -t` (fs/tty/console.c) ---- */

struct tty_console;

/*
 * tty_console_start - open /dev/ptmx and its slave in the guest namespace @s, start relaying
 * host @in_fd -> master and master -> host @out_fd (two Sentry threads), and copy the host
 * terminal's window size (re-read on every 200 ms input poll slice, so a host resize
 * becomes TIOCSWINSZ and a guest SIGWINCH within 200 ms). *slave gets a reference to the
 * slave file for the init's stdio. The pty becomes the one /dev/console opens. The host
 * fds stay the caller's. Returns 0 or -errno.
 */
int tty_console_start(const struct vfs_start *s, int in_fd, int out_fd,
		      struct tty_console **out, struct file **slave);
/* tty_console_make_ctty - make the console the controlling terminal of session @sid with
 * foreground group @pgid (the init process: setsid + TIOCSCTTY by hand). */
void tty_console_make_ctty(struct tty_console *c, pid_t sid, pid_t pgid);
/*
 * tty_console_stop - drain what the guest wrote (until no slave is open and the buffer is
 * empty, or 2 s pass), stop both threads and free everything. Call after the guest's last
 * file references are gone (boot: after the fd table is put).
 */
void tty_console_stop(struct tty_console *c);

#endif
