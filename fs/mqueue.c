// SPDX-License-Identifier: Apache-2.0
/*
 * POSIX message queues (mq_overview(7)): named queues in one namespace per sandbox, each a
 * priority-ordered list of messages (FIFO within a priority) with Linux's limits, opened as
 * files that poll readable when a message waits and writable when there is room.
 *
 * Locking: mq_mu guards the name table and every queue's contents; blocked senders and
 * receivers wait on the queue's wait queue with mq_mu released (lib/waitq.h).
 */
#include "fs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/abi/linux/errno.h"
#include "lib/compiler.h"
#include "lib/waitq.h"

#define MQ_DEF_MAXMSG 10
#define MQ_DEF_MSGSIZE 8192
#define MQ_HARD_MAXMSG 65536
#define MQ_HARD_MSGSIZE (16 * 1024 * 1024)
#define MQ_NAME_MAX 255
#define MQ_PRIO_MAX_K 32768 /* Linux's MQ_PRIO_MAX */

struct mq_msg {
	struct mq_msg *next;
	unsigned int prio;
	size_t len;
	char data[];
};

struct mqueue {
	struct mqueue *next_name; /* in the name table while linked */
	char *name;               /* NULL once unlinked */
	int refs;                 /* open descriptions + the name */
	long maxmsg, msgsize, curmsgs;
	struct mq_msg *head;      /* highest priority first, FIFO within one */
	uint32_t uid, gid, mode;
	uint64_t ino;
	struct waitq wq;          /* senders and receivers */
	/* mq_notify: one registered process (opaque owner) and its event */
	const void *notify_owner;
	struct mq_notify_target notify;
};

struct mq_file {
	struct file base;
	struct mqueue *q;
};

static pthread_mutex_t mq_mu = PTHREAD_MUTEX_INITIALIZER;
static struct mqueue *mq_names;
static uint64_t mq_next_ino = 1;

static struct mqueue *file_mq(struct file *f)
{
	return container_of(f, struct mq_file, base)->q;
}

/* Preconditions: mq_mu held. */
static void mq_unref_locked(struct mqueue *q)
{
	if (--q->refs > 0)
		return;
	for (struct mq_msg *m = q->head, *n; m; m = n) {
		n = m->next;
		free(m);
	}
	waitq_destroy(&q->wq);
	free(q->name);
	free(q);
}

static unsigned int mq_poll(struct file *f, struct poll_table *pt)
{
	struct mqueue *q = file_mq(f);
	unsigned int m = 0;

	pthread_mutex_lock(&mq_mu);
	poll_wait(pt, &q->wq);
	if (q->curmsgs > 0)
		m |= POLLIN | POLLRDNORM;
	if (q->curmsgs < q->maxmsg)
		m |= POLLOUT | POLLWRNORM;
	pthread_mutex_unlock(&mq_mu);
	return m;
}

/* Reading the descriptor gives the queue's status line, as Linux's mqueue fs does. */
static ssize_t mq_read(struct file *f, struct uio *dst, int64_t *pos)
{
	struct mqueue *q = file_mq(f);
	char buf[160];
	int n;

	long qsize = 0;
	pthread_mutex_lock(&mq_mu);
	for (struct mq_msg *m = q->head; m; m = m->next)
		qsize += (long)m->len;
	n = snprintf(buf, sizeof(buf), "QSIZE:%-10ld NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n",
		     qsize, q->notify_owner ? q->notify.notify : 0,
		     q->notify_owner ? q->notify.signo : 0, q->notify_owner ? q->notify.pid : 0);
	pthread_mutex_unlock(&mq_mu);
	if (*pos >= n)
		return 0;
	ssize_t r = uio_copy_out(dst, buf + *pos, (size_t)(n - *pos));
	if (r > 0)
		*pos += r;
	return r;
}

static int mq_fstat(struct file *f, struct stat *st)
{
	struct mqueue *q = file_mq(f);

	memset(st, 0, sizeof(*st));
	st->st_dev = 0x13; /* the mqueue filesystem */
	st->st_ino = q->ino;
	st->st_mode = S_IFREG | q->mode;
	st->st_nlink = 1;
	st->st_uid = q->uid;
	st->st_gid = q->gid;
	st->st_blksize = 4096;
	return 0;
}

static void mq_release(struct file *f)
{
	struct mqueue *q = file_mq(f);

	pthread_mutex_lock(&mq_mu);
	if (q->notify_owner == f)
		q->notify_owner = NULL; /* Linux drops the registration with the descriptor */
	mq_unref_locked(q);
	pthread_mutex_unlock(&mq_mu);
	free(container_of(f, struct mq_file, base));
}

static const struct file_ops mq_fops = {
	.read = mq_read,
	.fstat = mq_fstat,
	.poll = mq_poll,
	.release = mq_release,
};

bool file_is_mqueue(const struct file *f)
{
	return f->ops == &mq_fops;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	return n > 0 && n <= MQ_NAME_MAX && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..");
}

int mqueue_open(const char *name, int flags, uint32_t mode, const struct mq_attr *attr,
		const struct vfs_cred *cr, uint32_t umask, struct file **out)
{
	struct mqueue *q;
	struct mq_file *mf;
	int acc = flags & O_ACCMODE;

	if (!name_ok(name))
		return strlen(name) > MQ_NAME_MAX ? -ENAMETOOLONG : -EACCES;
	if (acc == O_ACCMODE)
		return -EINVAL;
	mf = calloc(1, sizeof(*mf));
	if (!mf)
		return -ENOMEM;
	pthread_mutex_lock(&mq_mu);
	for (q = mq_names; q && strcmp(q->name, name); q = q->next_name)
		;
	if (q && (flags & O_CREAT) && (flags & O_EXCL)) {
		pthread_mutex_unlock(&mq_mu);
		free(mf);
		return -EEXIST;
	}
	if (!q) {
		if (!(flags & O_CREAT)) {
			pthread_mutex_unlock(&mq_mu);
			free(mf);
			return -ENOENT;
		}
		long maxmsg = MQ_DEF_MAXMSG, msgsize = MQ_DEF_MSGSIZE;
		if (attr) {
			if (attr->mq_maxmsg <= 0 || attr->mq_msgsize <= 0 ||
			    attr->mq_maxmsg > MQ_HARD_MAXMSG || attr->mq_msgsize > MQ_HARD_MSGSIZE) {
				pthread_mutex_unlock(&mq_mu);
				free(mf);
				return -EINVAL;
			}
			maxmsg = attr->mq_maxmsg;
			msgsize = attr->mq_msgsize;
		}
		q = calloc(1, sizeof(*q));
		if (!q || !(q->name = strdup(name))) {
			free(q);
			pthread_mutex_unlock(&mq_mu);
			free(mf);
			return -ENOMEM;
		}
		q->maxmsg = maxmsg;
		q->msgsize = msgsize;
		q->uid = cr->uid;
		q->gid = cr->gid;
		q->mode = mode & 0777 & ~umask;
		q->ino = mq_next_ino++;
		waitq_init(&q->wq);
		q->refs = 1; /* the name */
		q->next_name = mq_names;
		mq_names = q;
	} else {
		/* Permission: owner, group or other bits for the access asked for. */
		uint32_t bits = cr->uid == 0 ? 7 : cr->uid == q->uid ? (q->mode >> 6) & 7 :
			      vfs_cred_in_group(cr, q->gid) ? (q->mode >> 3) & 7 : q->mode & 7;
		int want = acc == O_RDONLY ? 4 : acc == O_WRONLY ? 2 : 6;
		if (want & ~(int)bits) {
			pthread_mutex_unlock(&mq_mu);
			free(mf);
			return -EACCES;
		}
	}
	q->refs++;
	pthread_mutex_unlock(&mq_mu);
	mf->q = q;
	file_init(&mf->base, &mq_fops, acc | (flags & O_NONBLOCK), NULL);
	*out = &mf->base;
	return 0;
}

int mqueue_unlink(const char *name, const struct vfs_cred *cr)
{
	int r = -ENOENT;

	if (!name_ok(name))
		return strlen(name) > MQ_NAME_MAX ? -ENAMETOOLONG : -EACCES;
	pthread_mutex_lock(&mq_mu);
	for (struct mqueue **pp = &mq_names; *pp; pp = &(*pp)->next_name) {
		struct mqueue *q = *pp;
		if (strcmp(q->name, name))
			continue;
		if (cr->uid != 0 && cr->uid != q->uid) {
			r = -EACCES;
			break;
		}
		*pp = q->next_name;
		mq_unref_locked(q);
		r = 0;
		break;
	}
	pthread_mutex_unlock(&mq_mu);
	return r;
}

/* Sleep on @q's queue with mq_mu released; -EINTR, -ETIMEDOUT or 0. */
static int mq_wait(struct mqueue *q, const struct timespec *dl)
{
	struct waiter *w = waiter_current();
	struct waitq_entry e;

	waitq_add(&q->wq, &e, w);
	pthread_mutex_unlock(&mq_mu);
	int r = waiter_wait(w, dl);
	pthread_mutex_lock(&mq_mu);
	waitq_remove(&q->wq, &e);
	return r;
}

int mqueue_send(struct file *f, const void *buf, size_t len, unsigned int prio,
		const struct timespec *dl, struct mq_notify_target *fire)
{
	struct mqueue *q;
	struct mq_msg *m;
	int r = 0;

	if (!file_is_mqueue(f) || (f->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (prio >= MQ_PRIO_MAX_K)
		return -EINVAL;
	q = file_mq(f);
	if ((long)len > q->msgsize)
		return -EMSGSIZE;
	m = malloc(sizeof(*m) + len);
	if (!m)
		return -ENOMEM;
	m->prio = prio;
	m->len = len;
	memcpy(m->data, buf, len);
	pthread_mutex_lock(&mq_mu);
	while (q->curmsgs >= q->maxmsg) {
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		r = mq_wait(q, dl);
		if (r == -EINTR) {
			r = -ERESTARTSYS; /* Linux's mq_timedsend: EINTR for a handler */
			break;
		}
		if (r == -ETIMEDOUT)
			break;
		r = 0;
	}
	if (r == 0) {
		struct mq_msg **pp = &q->head;
		while (*pp && (*pp)->prio >= prio)
			pp = &(*pp)->next;
		m->next = *pp;
		*pp = m;
		m = NULL;
		/* A registered process hears of a message arriving on an empty queue, once. */
		if (q->curmsgs == 0 && q->notify_owner && fire) {
			*fire = q->notify;
			q->notify_owner = NULL;
		}
		q->curmsgs++;
		waitq_wake_all(&q->wq);
	}
	pthread_mutex_unlock(&mq_mu);
	free(m);
	return r;
}

ssize_t mqueue_receive(struct file *f, void *buf, size_t len, unsigned int *prio,
		       const struct timespec *dl)
{
	struct mqueue *q;
	ssize_t r = 0;

	if (!file_is_mqueue(f) || (f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	q = file_mq(f);
	if ((long)len < q->msgsize)
		return -EMSGSIZE;
	pthread_mutex_lock(&mq_mu);
	while (!q->head) {
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		int w = mq_wait(q, dl);
		if (w == -EINTR) {
			r = -ERESTARTSYS;
			break;
		}
		if (w == -ETIMEDOUT) {
			r = -ETIMEDOUT;
			break;
		}
	}
	if (r == 0) {
		struct mq_msg *m = q->head;
		q->head = m->next;
		q->curmsgs--;
		memcpy(buf, m->data, m->len);
		if (prio)
			*prio = m->prio;
		r = (ssize_t)m->len;
		free(m);
		waitq_wake_all(&q->wq);
	}
	pthread_mutex_unlock(&mq_mu);
	return r;
}

int mqueue_getsetattr(struct file *f, const struct mq_attr *set, struct mq_attr *old)
{
	struct mqueue *q;

	if (!file_is_mqueue(f))
		return -EBADF;
	q = file_mq(f);
	pthread_mutex_lock(&mq_mu);
	if (old) {
		memset(old, 0, sizeof(*old));
		old->mq_flags = f->flags & O_NONBLOCK;
		old->mq_maxmsg = q->maxmsg;
		old->mq_msgsize = q->msgsize;
		old->mq_curmsgs = q->curmsgs;
	}
	if (set)
		f->flags = (f->flags & ~O_NONBLOCK) | (int)(set->mq_flags & O_NONBLOCK);
	pthread_mutex_unlock(&mq_mu);
	return 0;
}

int mqueue_notify(struct file *f, const struct mq_notify_target *t)
{
	struct mqueue *q;
	int r = 0;

	if (!file_is_mqueue(f))
		return -EBADF;
	q = file_mq(f);
	pthread_mutex_lock(&mq_mu);
	if (!t) {
		q->notify_owner = NULL; /* unregister (Linux: only the registered process may) */
	} else if (q->notify_owner) {
		r = -EBUSY;
	} else {
		q->notify = *t;
		q->notify_owner = f;
	}
	pthread_mutex_unlock(&mq_mu);
	return r;
}
