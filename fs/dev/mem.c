// SPDX-License-Identifier: Apache-2.0
/*
 * The memory devices (Linux's drivers/char/mem.c and random.c): /dev/null, /dev/zero,
 * /dev/full, /dev/random and /dev/urandom. Random bytes come from the host's getrandom, as
 * the guest's getrandom(2) does; both random devices behave like urandom (never block,
 * as Linux since 5.6 once the pool is initialised).
 */
#include "fs/dev/dev_impl.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "sentry/host/host.h"

/* Linux's null_lseek and noop_llseek: every position is fine and stays 0. */
static int64_t dev_zero_llseek(struct file *f, int64_t off, int whence)
{
	(void)f;
	(void)off;
	(void)whence;
	return 0;
}

static ssize_t null_read(struct file *f, struct uio *dst, int64_t *pos)
{
	return 0;
}

static ssize_t sink_write(struct file *f, struct uio *src, int64_t *pos)
{
	return (ssize_t)src->resid;
}

static ssize_t zero_read(struct file *f, struct uio *dst, int64_t *pos)
{
	static const uint8_t zeros[4096];
	ssize_t done = 0;

	while (dst->resid) {
		ssize_t c = uio_copy_out(dst, zeros, MIN(dst->resid, sizeof(zeros)));
		if (c <= 0)
			return done ? done : (c ? c : -EFAULT);
		done += c;
	}
	return done;
}

static ssize_t full_write(struct file *f, struct uio *src, int64_t *pos)
{
	return -ENOSPC;
}

static ssize_t random_read(struct file *f, struct uio *dst, int64_t *pos)
{
	uint8_t buf[4096];
	ssize_t done = 0;

	while (dst->resid) {
		ssize_t n = host_getrandom(buf, MIN(dst->resid, sizeof(buf)), 0);
		if (n <= 0)
			return done ? done : (n ? n : -EIO);
		ssize_t c = uio_copy_out(dst, buf, (size_t)n);
		if (c <= 0)
			return done ? done : (c ? c : -EFAULT);
		done += c;
		if (done >= 1 << 20)
			break; /* a short read is fine; keep one call bounded */
	}
	return done;
}

const struct file_ops dev_null_fops = {
	.read = null_read,
	.write = sink_write,
	.llseek = dev_zero_llseek,
};

const struct file_ops dev_zero_fops = {
	.read = zero_read,
	.write = sink_write,
	.llseek = dev_zero_llseek,
};

const struct file_ops dev_full_fops = {
	.read = zero_read,
	.write = full_write,
	.llseek = dev_zero_llseek,
};

/* Writes "add entropy" on Linux: accepted and dropped here. */
const struct file_ops dev_random_fops = {
	.read = random_read,
	.write = sink_write,
	.llseek = dev_zero_llseek,
};
