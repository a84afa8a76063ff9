// SPDX-License-Identifier: Apache-2.0
/*
 * eventfd (Linux fs/eventfd.c): a 64-bit counter. read of 8+ bytes returns the counter and
 * zeroes it (EFD_SEMAPHORE: returns 1 and decrements), waiting while it is 0; write adds,
 * waiting while the sum would exceed 0xfffffffffffffffe. Short buffers and a write of
 * 0xffffffffffffffff are -EINVAL; O_NONBLOCK turns waits into -EAGAIN.
 */
#include "fs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <string.h>

#include "lib/compiler.h"
#include "lib/abi/linux/errno.h"
#include "lib/waitq.h"

#define EVENTFD_MAX UINT64_MAX

struct eventfd {
	struct file base;
	pthread_mutex_t mu;
	struct waitq q; /* readers and writers both wait here */
	uint64_t count;
	bool semaphore;
	uint64_t ino;
};

static atomic_ulong eventfd_next_ino = 1;

static struct eventfd *file_efd(struct file *f)
{
	return container_of(f, struct eventfd, base);
}

static ssize_t efd_read(struct file *f, struct uio *dst, int64_t *pos)
{
	struct eventfd *e = file_efd(f);
	uint64_t v;
	ssize_t r;

	if (dst->resid < sizeof(v))
		return -EINVAL;
	pthread_mutex_lock(&e->mu);
	while (e->count == 0) {
		if (f->flags & O_NONBLOCK) {
			pthread_mutex_unlock(&e->mu);
			return -EAGAIN;
		}
		if (waitq_wait_locked(&e->q, &e->mu, NULL) == -EINTR) {
			pthread_mutex_unlock(&e->mu);
			return -ERESTARTSYS;
		}
	}
	v = e->semaphore ? 1 : e->count;
	r = uio_copy_out(dst, &v, sizeof(v));
	if (r == (ssize_t)sizeof(v)) {
		e->count -= v;
		waitq_wake_all(&e->q);
	} else {
		r = -EFAULT;
	}
	pthread_mutex_unlock(&e->mu);
	return r;
}

static ssize_t efd_write(struct file *f, struct uio *src, int64_t *pos)
{
	struct eventfd *e = file_efd(f);
	uint64_t v;

	if (src->resid < sizeof(v))
		return -EINVAL;
	if (uio_copy_in(src, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return -EFAULT;
	if (v == EVENTFD_MAX)
		return -EINVAL;
	pthread_mutex_lock(&e->mu);
	while (EVENTFD_MAX - e->count <= v) {
		if (f->flags & O_NONBLOCK) {
			pthread_mutex_unlock(&e->mu);
			return -EAGAIN;
		}
		if (waitq_wait_locked(&e->q, &e->mu, NULL) == -EINTR) {
			pthread_mutex_unlock(&e->mu);
			return -ERESTARTSYS;
		}
	}
	e->count += v;
	if (v)
		waitq_wake_all(&e->q);
	pthread_mutex_unlock(&e->mu);
	return sizeof(v);
}

static unsigned int eventfd_poll(struct file *f, struct poll_table *pt)
{
	struct eventfd *e = file_efd(f);
	unsigned int m = 0;

	pthread_mutex_lock(&e->mu);
	poll_wait(pt, &e->q);
	if (e->count > 0)
		m |= POLLIN | POLLRDNORM;
	if (e->count < EVENTFD_MAX - 1)
		m |= POLLOUT | POLLWRNORM;
	if (e->count == EVENTFD_MAX)
		m |= POLLERR;
	pthread_mutex_unlock(&e->mu);
	return m;
}

static int eventfd_fstat(struct file *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = 0xe; /* anon_inodefs */
	st->st_ino = file_efd(f)->ino;
	st->st_mode = 0600; /* Linux's anon inode has no file type bits */
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

static void eventfd_release(struct file *f)
{
	struct eventfd *e = file_efd(f);

	waitq_destroy(&e->q);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

static const struct file_ops eventfd_ops = {
	.read = efd_read,
	.write = efd_write,
	.fstat = eventfd_fstat,
	.poll = eventfd_poll,
	.release = eventfd_release,
};

int eventfd_new(uint64_t initval, int flags, struct file **out)
{
	struct eventfd *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	pthread_mutex_init(&e->mu, NULL);
	waitq_init(&e->q);
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	e->ino = atomic_fetch_add(&eventfd_next_ino, 1);
	file_init(&e->base, &eventfd_ops, O_RDWR | (flags & O_NONBLOCK), NULL);
	*out = &e->base;
	return 0;
}
