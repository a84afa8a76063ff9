// SPDX-License-Identifier: Apache-2.0
/*
 * pidfds: a file naming a process, readable (POLLIN) once it has exited. It records the
 * pid, not the thread group: the Sentry never reuses a pid, so a pid cannot come to name
 * another process, and the group may be freed (reaped) while the file lives.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/vfs.h"
#include "lib/waitq.h"
#include "sentry/kernel/kernel.h"

struct pidfd {
	struct file base;
	struct kernel *k;
	pid_t pid;
};

static struct pidfd *to_pidfd(struct file *f)
{
	return (struct pidfd *)f;
}

/* Preconditions: k->mu held. Has @pid exited (zombie or reaped)? */
static bool pid_exited_locked(struct kernel *k, pid_t pid)
{
	struct thread_group *g = task_find_group_locked(k, pid);
	return !g || g->zombie;
}

static unsigned int pidfd_poll(struct file *f, struct poll_table *pt)
{
	struct pidfd *p = to_pidfd(f);
	unsigned int m;

	poll_wait(pt, &p->k->exit_wq);
	pthread_mutex_lock(&p->k->mu);
	m = pid_exited_locked(p->k, p->pid) ? POLLIN | POLLRDNORM : 0;
	pthread_mutex_unlock(&p->k->mu);
	return m;
}

static int pidfd_fstat(struct file *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = 0xe; /* anon_inodefs */
	st->st_ino = (ino_t)to_pidfd(f)->pid;
	st->st_mode = 0600;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

static void pidfd_release(struct file *f)
{
	free(to_pidfd(f));
}

static const struct file_ops pidfd_ops = {
	.fstat = pidfd_fstat,
	.poll = pidfd_poll,
	.release = pidfd_release,
};

int pidfd_new(struct task *t, pid_t pid, int flags, struct file **out)
{
	struct pidfd *p;
	bool ok;

	pthread_mutex_lock(&t->k->mu);
	struct thread_group *g = task_find_group_locked(t->k, pid);
	ok = g && !g->zombie;
	pthread_mutex_unlock(&t->k->mu);
	if (!ok)
		return -ESRCH;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->k = t->k;
	p->pid = pid;
	file_init(&p->base, &pidfd_ops, O_RDWR | (flags & O_NONBLOCK), NULL);
	*out = &p->base;
	return 0;
}

pid_t pidfd_pid(struct file *f)
{
	return f->ops == &pidfd_ops ? to_pidfd(f)->pid : -EBADF;
}
