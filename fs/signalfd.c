// SPDX-License-Identifier: Apache-2.0
/*
 * signalfd (Linux fs/signalfd.c): read takes pending signals of a mask off the reading
 * task's pending set as struct signalfd_siginfo records (no handler runs); poll is
 * readable while one is pending. Like Linux, the file reads the signals of whichever task
 * uses it (a forked child reads its own), and waits on the kernel's signal wait queue,
 * which every newly pending signal wakes (kernel_signal_notify): the thread's own and its
 * process's signals.
 */
#include "fs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include "lib/abi/linux/errno.h"
#include "lib/compiler.h"
#include "lib/waitq.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/timer.h"

#define SIGBIT(s) (1ULL << ((s) - 1))

struct signalfd {
	struct file base;
	struct kernel *k;
	_Atomic uint64_t mask;
	uint64_t ino;
};

static atomic_ulong signalfd_next_ino = 1;

static const struct file_ops signalfd_ops;

static struct signalfd *file_sfd(struct file *f)
{
	return container_of(f, struct signalfd, base);
}

bool file_is_signalfd(struct file *f)
{
	return f->ops == &signalfd_ops;
}

void signalfd_set_mask(struct file *f, uint64_t mask)
{
	file_sfd(f)->mask = mask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
	kernel_signal_notify(file_sfd(f)->k); /* pollers look again */
}

/* Linux's signalfd_copyinfo: the fields of each siginfo kind at their fixed places. */
static void to_sfd_info(const struct linux_siginfo *si, struct signalfd_siginfo *o)
{
	int32_t i32[2];
	uint64_t u64;

	memset(o, 0, sizeof(*o));
	o->ssi_signo = (uint32_t)si->si_signo;
	o->ssi_errno = si->si_errno;
	o->ssi_code = si->si_code;
	memcpy(i32, si->raw, sizeof(i32));
	memcpy(&u64, si->raw + 8, sizeof(u64));
	switch (si->si_signo) {
	case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGTRAP:
		if (si->si_code > 0) {
			o->ssi_addr = si->fault.addr;
			return;
		}
		break;
	default:
		break;
	}
	if (si->si_code == SI_TIMER) {
		o->ssi_tid = (uint32_t)i32[0];
		o->ssi_overrun = (uint32_t)i32[1];
		o->ssi_ptr = u64;
		o->ssi_int = (int32_t)u64;
		return;
	}
	o->ssi_pid = (uint32_t)i32[0];
	o->ssi_uid = (uint32_t)i32[1];
	if (si->si_signo == SIGCHLD && si->si_code > 0) {
		int32_t st;
		memcpy(&st, si->raw + 8, sizeof(st));
		o->ssi_status = st;
		return;
	}
	o->ssi_ptr = u64;
	o->ssi_int = (int32_t)u64;
}

static ssize_t signalfd_read(struct file *f, struct uio *dst, int64_t *pos)
{
	struct signalfd *s = file_sfd(f);
	struct task *t = kernel_current();
	struct waitq *q = kernel_signal_waitq(s->k);
	struct waiter *w = waiter_current();
	size_t n = dst->resid / sizeof(struct signalfd_siginfo);
	ssize_t done = 0;

	if (!t)
		return -EINVAL;
	if (n == 0)
		return -EINVAL;
	while ((size_t)done < n * sizeof(struct signalfd_siginfo)) {
		struct linux_siginfo si;
		struct signalfd_siginfo o;
		struct waitq_entry e;
		int sig;

		sig = task_dequeue_signal(t, s->mask, &si);
		if (!sig) {
			/* The first record may wait; later ones only take what is there. */
			if (done || (f->flags & O_NONBLOCK))
				break;
			waitq_add(q, &e, w);
			sig = task_dequeue_signal(t, s->mask, &si);
			int r = sig ? 0 : waiter_wait(w, NULL);
			waitq_remove(q, &e);
			if (r == -EINTR)
				return -ERESTARTSYS;
			if (!sig)
				continue;
		}
		to_sfd_info(&si, &o);
		if (uio_copy_out(dst, &o, sizeof(o)) != (ssize_t)sizeof(o))
			return done ? done : -EFAULT;
		done += (ssize_t)sizeof(o);
	}
	return done ? done : -EAGAIN;
}

static unsigned int signalfd_poll(struct file *f, struct poll_table *pt)
{
	struct signalfd *s = file_sfd(f);
	struct task *t = kernel_current();

	poll_wait(pt, kernel_signal_waitq(s->k));
	if (t && (task_pending(t) & s->mask))
		return POLLIN | POLLRDNORM;
	return 0;
}

static int signalfd_fstat(struct file *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = 0xe; /* anon_inodefs */
	st->st_ino = file_sfd(f)->ino;
	st->st_mode = 0600;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

static void signalfd_release(struct file *f)
{
	free(file_sfd(f));
}

static const struct file_ops signalfd_ops = {
	.read = signalfd_read,
	.fstat = signalfd_fstat,
	.poll = signalfd_poll,
	.release = signalfd_release,
};

int signalfd_new(struct kernel *k, uint64_t mask, int flags, struct file **out)
{
	struct signalfd *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->k = k;
	s->mask = mask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
	s->ino = atomic_fetch_add(&signalfd_next_ino, 1);
	file_init(&s->base, &signalfd_ops, O_RDWR | (flags & O_NONBLOCK), NULL);
	*out = &s->base;
	return 0;
}
