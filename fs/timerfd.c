// SPDX-License-Identifier: Apache-2.0
/*
 * timerfd (Linux fs/timerfd.c) over a kernel timer (sentry/kernel/timer.h): every expiry
 * adds to a counter that read returns (8 bytes, then zero) and poll reports as POLLIN.
 * TFD_TIMER_CANCEL_ON_SET is accepted and has no effect: the guest cannot set the clock.
 */
#include "fs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/abi/linux/errno.h"
#include "lib/compiler.h"
#include "lib/waitq.h"
#include "sentry/kernel/timer.h"

struct timerfd {
	struct file base;
	clockid_t clock;
	struct ktimer *kt;
	pthread_mutex_t mu;
	uint64_t ticks; /* protected by mu: expirations not yet read */
	struct waitq q;
	uint64_t ino;
};

static atomic_ulong timerfd_next_ino = 1;

static const struct file_ops timerfd_ops;

static struct timerfd *file_tfd(struct file *f)
{
	return container_of(f, struct timerfd, base);
}

bool file_is_timerfd(struct file *f)
{
	return f->ops == &timerfd_ops;
}

static void timerfd_fire(struct ktimer *kt, void *arg, uint64_t n)
{
	struct timerfd *tfd = arg;

	pthread_mutex_lock(&tfd->mu);
	tfd->ticks += n;
	pthread_mutex_unlock(&tfd->mu);
	waitq_wake_all(&tfd->q);
}

static ssize_t timerfd_read(struct file *f, struct uio *dst, int64_t *pos)
{
	struct timerfd *tfd = file_tfd(f);
	uint64_t v;
	ssize_t r;

	if (dst->resid < sizeof(v))
		return -EINVAL;
	pthread_mutex_lock(&tfd->mu);
	while (tfd->ticks == 0) {
		if (f->flags & O_NONBLOCK) {
			pthread_mutex_unlock(&tfd->mu);
			return -EAGAIN;
		}
		if (waitq_wait_locked(&tfd->q, &tfd->mu, NULL) == -EINTR) {
			pthread_mutex_unlock(&tfd->mu);
			return -ERESTARTSYS;
		}
	}
	v = tfd->ticks;
	r = uio_copy_out(dst, &v, sizeof(v));
	if (r == (ssize_t)sizeof(v))
		tfd->ticks = 0;
	else
		r = -EFAULT;
	pthread_mutex_unlock(&tfd->mu);
	return r;
}

static unsigned int timerfd_poll(struct file *f, struct poll_table *pt)
{
	struct timerfd *tfd = file_tfd(f);
	unsigned int m;

	pthread_mutex_lock(&tfd->mu);
	poll_wait(pt, &tfd->q);
	m = tfd->ticks ? POLLIN | POLLRDNORM : 0;
	pthread_mutex_unlock(&tfd->mu);
	return m;
}

static int timerfd_fstat(struct file *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = 0xe; /* anon_inodefs */
	st->st_ino = file_tfd(f)->ino;
	st->st_mode = 0600;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

static void timerfd_release(struct file *f)
{
	struct timerfd *tfd = file_tfd(f);

	ktimer_free(tfd->kt); /* waits for a running timerfd_fire */
	waitq_destroy(&tfd->q);
	pthread_mutex_destroy(&tfd->mu);
	free(tfd);
}

static const struct file_ops timerfd_ops = {
	.read = timerfd_read,
	.fstat = timerfd_fstat,
	.poll = timerfd_poll,
	.release = timerfd_release,
};

int timerfd_new(struct kernel *k, clockid_t clock, int flags, struct file **out)
{
	struct timerfd *tfd = calloc(1, sizeof(*tfd));
	int r;

	if (!tfd)
		return -ENOMEM;
	r = ktimer_new(k, timerfd_fire, tfd, &tfd->kt);
	if (r < 0) {
		free(tfd);
		return r;
	}
	tfd->clock = clock;
	pthread_mutex_init(&tfd->mu, NULL);
	waitq_init(&tfd->q);
	tfd->ino = atomic_fetch_add(&timerfd_next_ino, 1);
	file_init(&tfd->base, &timerfd_ops, O_RDWR | (flags & O_NONBLOCK), NULL);
	*out = &tfd->base;
	return 0;
}

void timerfd_file_settime(struct file *f, bool abs, int64_t value, int64_t interval,
		     int64_t *old_value, int64_t *old_interval)
{
	struct timerfd *tfd = file_tfd(f);
	clockid_t c = tfd->clock;

	if (value && !abs) {
		c = CLOCK_MONOTONIC; /* a relative timer ignores clock changes */
		value += clock_now_ns(CLOCK_MONOTONIC);
	} else if (value && c != CLOCK_REALTIME && c != CLOCK_MONOTONIC) {
		value -= clock_now_ns(c) - clock_now_ns(CLOCK_MONOTONIC);
		if (value <= 0)
			value = 1;
		c = CLOCK_MONOTONIC;
	}
	/* Linux's timerfd_setup: a new setting forgets the expirations not read. */
	pthread_mutex_lock(&tfd->mu);
	tfd->ticks = 0;
	pthread_mutex_unlock(&tfd->mu);
	ktimer_set(tfd->kt, c, value, interval, old_value, old_interval);
}

void timerfd_file_gettime(struct file *f, int64_t *value, int64_t *interval)
{
	ktimer_get(file_tfd(f)->kt, value, interval);
}
