// SPDX-License-Identifier: Apache-2.0
/*
 * The console of `sandbox run -t`: a pty pair in the Sentry whose slave is the init's stdio
 * and controlling terminal, and two relay threads between it and the host terminal:
 *   input:  host in_fd -> master (the guest's line discipline does the rest: echo, ^C...);
 *           every poll slice also re-reads the host window size (SIGWINCH -> TIOCSWINSZ)
 *   output: master -> host out_fd; when no slave is open (EIO) it looks again every 50 ms,
 *           since the guest may reopen /dev/tty; at the end it drains until EIO.
 * The host terminal is in raw mode (runsc/run.c), so bytes pass through untouched.
 */
#include "fs/tty/tty_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/abi/linux/errno.h"
#include "lib/log.h"
#include "sentry/host/host.h"

#define RELAY_POLL_MS 200
#define DRAIN_MS 2000 /* how long stop waits for the guest's last output */

struct tty_console {
	struct file *master;
	int in_fd, out_fd;
	pthread_t in_thr, out_thr;
	atomic_bool stop;
	atomic_bool draining; /* the guest is gone: the output thread ends at the first EIO */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct waiter *in_waiter, *out_waiter; /* protected by mu */
	bool out_done;                          /* protected by mu */
	struct kwinsize ws;
};

static void console_winsize(struct tty_console *c)
{
	struct winsize hw;

	if (host_ioctl(c->out_fd, TIOCGWINSZ, &hw) < 0 && host_ioctl(c->in_fd, TIOCGWINSZ, &hw) < 0)
		return;
	struct kwinsize ws = { hw.ws_row, hw.ws_col, hw.ws_xpixel, hw.ws_ypixel };
	if (memcmp(&ws, &c->ws, sizeof(ws)) != 0) {
		c->ws = ws;
		pty_set_winsize(c->master, &ws);
	}
}

/* Write all of @buf to the master; false when stopped or the pty is gone. */
static bool master_write_all(struct tty_console *c, const char *buf, size_t n)
{
	while (n && !atomic_load(&c->stop)) {
		struct uio u;
		int64_t pos = 0;
		uio_init_kernel(&u, (void *)buf, n);
		ssize_t w = vfs_write(c->master, &u, &pos);
		if (w == -ERESTARTSYS || w == -EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		n -= (size_t)w;
	}
	return !atomic_load(&c->stop);
}

static void *console_input(void *arg)
{
	struct tty_console *c = arg;
	bool in_open = true;
	char buf[4096];

	pthread_mutex_lock(&c->mu);
	c->in_waiter = waiter_current();
	pthread_mutex_unlock(&c->mu);
	while (!atomic_load(&c->stop)) {
		struct pollfd pfd = { .fd = c->in_fd, .events = POLLIN };
		int r = host_poll(&pfd, in_open ? 1 : 0, RELAY_POLL_MS);
		console_winsize(c);
		if (r <= 0 || !in_open)
			continue;
		ssize_t n = host_read(c->in_fd, buf, sizeof(buf));
		if (n == -EINTR || n == -EAGAIN)
			continue;
		if (n <= 0) {
			in_open = false; /* the host closed our input: keep relaying output */
			continue;
		}
		if (!master_write_all(c, buf, (size_t)n))
			break;
	}
	return NULL;
}

static void *console_output(void *arg)
{
	struct tty_console *c = arg;
	char buf[4096];

	pthread_mutex_lock(&c->mu);
	c->out_waiter = waiter_current();
	pthread_mutex_unlock(&c->mu);
	for (;;) {
		struct uio u;
		int64_t pos = 0;
		uio_init_kernel(&u, buf, sizeof(buf));
		ssize_t n = vfs_read(c->master, &u, &pos);
		if (n == -ERESTARTSYS || n == -EINTR) {
			if (atomic_load(&c->stop))
				break;
			continue;
		}
		if (n == -EIO && !atomic_load(&c->draining)) {
			/*
			 * No slave is open right now, but the guest may open /dev/tty or
			 * /dev/console again: keep serving, looking again every 50 ms.
			 */
			struct timespec dl;
			deadline_after_ns(&dl, 50 * 1000000LL);
			if (waiter_wait(waiter_current(), &dl) == -EINTR && atomic_load(&c->stop))
				break;
			continue;
		}
		if (n <= 0)
			break; /* EIO while draining: every slave closed and the data read */
		for (ssize_t off = 0; off < n;) {
			ssize_t w = host_write(c->out_fd, buf + off, (size_t)(n - off));
			if (w == -EINTR)
				continue;
			if (w <= 0)
				break; /* the host terminal went away: drop the rest */
			off += w;
		}
	}
	pthread_mutex_lock(&c->mu);
	c->out_done = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int tty_console_start(const struct vfs_start *s, int in_fd, int out_fd,
		      struct tty_console **out, struct file **slave)
{
	struct tty_console *c = calloc(1, sizeof(*c));
	char path[32];
	int r;

	if (!c)
		return -ENOMEM;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	r = vfs_open(s, "/dev/ptmx", O_RDWR | O_NOCTTY, 0, &c->master);
	if (r < 0)
		goto err;
	snprintf(path, sizeof(path), "/dev/pts/%d", pty_make_console(c->master));
	r = vfs_open(s, path, O_RDWR | O_NOCTTY, 0, slave);
	if (r < 0)
		goto err_master;
	console_winsize(c);
	r = -pthread_create(&c->out_thr, NULL, console_output, c);
	if (r < 0)
		goto err_slave;
	r = -pthread_create(&c->in_thr, NULL, console_input, c);
	if (r < 0) {
		atomic_store(&c->stop, true);
		file_put(*slave);
		*slave = NULL;
		pthread_join(c->out_thr, NULL);
		goto err_master;
	}
	*out = c;
	return 0;

err_slave:
	file_put(*slave);
	*slave = NULL;
err_master:
	file_put(c->master);
err:
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
	return r;
}

void tty_console_make_ctty(struct tty_console *c, pid_t sid, pid_t pgid)
{
	pty_set_ctty(c->master, sid, pgid);
}

void tty_console_stop(struct tty_console *c)
{
	struct timespec dl;

	/* Let the output thread drain until the last slave closes, for a while. */
	deadline_after_ns(&dl, (long long)DRAIN_MS * 1000000LL);
	atomic_store(&c->draining, true);
	pthread_mutex_lock(&c->mu);
	while (!c->out_done && pthread_cond_timedwait(&c->cv, &c->mu, &dl) == 0)
		;
	atomic_store(&c->stop, true);
	if (!c->out_done && c->out_waiter)
		waiter_interrupt(c->out_waiter);
	if (c->in_waiter)
		waiter_interrupt(c->in_waiter);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->out_thr, NULL);
	pthread_join(c->in_thr, NULL);
	file_put(c->master);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
