// SPDX-License-Identifier: Apache-2.0
/*
 * Moving data between files inside the Sentry: sendfile, copy_file_range, splice, tee,
 * vmsplice, and preadv2/pwritev2. Everything goes through a bounce buffer with the VFS's
 * read and write (Linux moves pages; the observable results are the same).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "fs/vfs.h"
#include "lib/compiler.h"
#include "sentry/syscalls/sys_impl.h"

#define XFER_CHUNK (64 * 1024)
#define MAX_RW_COUNT (0x7ffff000L) /* Linux caps one transfer at INT_MAX & PAGE_MASK */

#ifndef SPLICE_F_NONBLOCK
#define SPLICE_F_NONBLOCK 2
#endif

/* A position: @off when the caller gave one, else the file's own (under pos_mu). */
struct xpos {
	struct file *f;
	bool own;     /* using f->pos */
	int64_t off;
};

static ssize_t xread(struct xpos *x, void *buf, size_t len)
{
	struct uio u;
	ssize_t r;

	uio_init_kernel(&u, buf, len);
	if (!x->own)
		return vfs_read(x->f, &u, &x->off);
	pthread_mutex_lock(&x->f->pos_mu);
	r = vfs_read(x->f, &u, &x->f->pos);
	pthread_mutex_unlock(&x->f->pos_mu);
	return r;
}

static ssize_t xwrite(struct xpos *x, const void *buf, size_t len)
{
	struct uio u;
	ssize_t r;

	uio_init_kernel(&u, (void *)buf, len);
	if (!x->own)
		return vfs_write(x->f, &u, &x->off);
	pthread_mutex_lock(&x->f->pos_mu);
	r = vfs_write(x->f, &u, &x->f->pos);
	pthread_mutex_unlock(&x->f->pos_mu);
	return r;
}

/* Give back bytes read but not written (a short write). */
static void unread(struct xpos *x, size_t n)
{
	if (!x->own) {
		x->off -= (int64_t)n;
		return;
	}
	pthread_mutex_lock(&x->f->pos_mu);
	x->f->pos -= (int64_t)n;
	pthread_mutex_unlock(&x->f->pos_mu);
}

/* The copy loop: up to @len bytes from @in to @out. Bytes moved, or -errno if none. */
static long copy_loop(struct task *t, struct xpos *in, struct xpos *out, uint64_t len,
		      bool stop_at_short_read)
{
	char *buf = malloc(XFER_CHUNK);
	uint64_t done = 0;
	long r = 0;

	if (!buf)
		return -ENOMEM;
	len = MIN(len, (uint64_t)MAX_RW_COUNT);
	while (done < len) {
		size_t want = (size_t)MIN(len - done, (uint64_t)XFER_CHUNK);
		ssize_t n = xread(in, buf, want);
		if (n <= 0) {
			r = n;
			break;
		}
		size_t w = 0;
		while (w < (size_t)n) {
			ssize_t m = xwrite(out, buf + w, (size_t)n - w);
			if (m <= 0) {
				r = m ? m : -EIO;
				break;
			}
			w += (size_t)m;
		}
		done += w;
		if (w < (size_t)n) {
			if (!file_is_pipe(in->f))
				unread(in, (size_t)n - w);
			break;
		}
		if (stop_at_short_read && (size_t)n < want)
			break;
		/* Between chunks, a pending signal ends the transfer with what was done. */
		if (task_signal_pending(t))
			break;
	}
	free(buf);
	if (r == -EPIPE)
		task_send_signal(t, SIGPIPE, NULL, false);
	return done ? (long)done : r;
}

static bool readable(struct file *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY && !(f->flags & O_PATH);
}

static bool writable(struct file *f)
{
	return (f->flags & O_ACCMODE) != O_RDONLY && !(f->flags & O_PATH);
}

static bool is_reg(struct file *f)
{
	struct stat st;
	return vfs_fstat(f, &st) == 0 && S_ISREG(st.st_mode);
}

static void put_files(struct file *in, struct file *out)
{
	if (in)
		file_put(in);
	if (out)
		file_put(out);
}

long sys_sendfile(struct task *t, const struct syscall_args *a)
{
	struct file *out = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	struct file *in = fdtable_get_file(t->fdt, ARG_INT(1), NULL);
	struct xpos xi = { .f = in, .own = true }, xo = { .f = out, .own = true };
	long r;

	if (!in || !out) {
		r = -EBADF;
		goto out;
	}
	if (!readable(in) || !writable(out)) {
		r = -EBADF;
		goto out;
	}
	if (out->flags & O_APPEND) {
		r = -EINVAL; /* Linux refuses an O_APPEND destination */
		goto out;
	}
	if (ARG_U(2)) {
		if (mm_copy_in(t->mm, ARG_U(2), &xi.off, sizeof(xi.off)) != sizeof(xi.off)) {
			r = -EFAULT;
			goto out;
		}
		if (xi.off < 0) {
			r = -EINVAL;
			goto out;
		}
		xi.own = false;
	}
	r = copy_loop(t, &xi, &xo, ARG_U(3), true);
	task_io_account(t, false, r); /* Linux's do_sendfile counts both sides */
	task_io_account(t, true, r);
	if (ARG_U(2) && r >= 0 &&
	    mm_copy_out(t->mm, ARG_U(2), &xi.off, sizeof(xi.off)) != sizeof(xi.off))
		r = -EFAULT;
out:
	put_files(in, out);
	return r;
}

/* An optional guest loff_t *: read it into @x (own position when NULL). */
static long get_off(struct task *t, uint64_t addr, struct xpos *x)
{
	if (!addr) {
		x->own = true;
		return 0;
	}
	if (mm_copy_in(t->mm, addr, &x->off, sizeof(x->off)) != sizeof(x->off))
		return -EFAULT;
	if (x->off < 0)
		return -EINVAL;
	x->own = false;
	return 0;
}

static long put_off(struct task *t, uint64_t addr, const struct xpos *x)
{
	if (!addr)
		return 0;
	return mm_copy_out(t->mm, addr, &x->off, sizeof(x->off)) == sizeof(x->off) ? 0 : -EFAULT;
}

/* copy_file_range and splice take their optional offsets as arguments 1 (in) and 3 (out). */
static long get_offs(struct task *t, const struct syscall_args *a, struct xpos *xi,
		     struct xpos *xo)
{
	long r = get_off(t, ARG_U(1), xi);
	return r < 0 ? r : get_off(t, ARG_U(3), xo);
}

/* After a transfer that returned @r: write the advanced offsets back. */
static long put_offs(struct task *t, const struct syscall_args *a, const struct xpos *xi,
		     const struct xpos *xo, long r)
{
	long e;

	if (r < 0)
		return r;
	e = put_off(t, ARG_U(1), xi);
	if (e == 0)
		e = put_off(t, ARG_U(3), xo);
	return e < 0 ? e : r;
}

long sys_copy_file_range(struct task *t, const struct syscall_args *a)
{
	struct file *in = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	struct file *out = fdtable_get_file(t->fdt, ARG_INT(2), NULL);
	struct xpos xi = { .f = in }, xo = { .f = out };
	long r;

	if (!in || !out) {
		r = -EBADF;
		goto out;
	}
	if (ARG_U(5)) {
		r = -EINVAL;
		goto out;
	}
	if (!readable(in) || !writable(out) || (out->flags & O_APPEND)) {
		r = -EBADF;
		goto out;
	}
	if (!is_reg(in) || !is_reg(out)) {
		struct stat st;
		r = (vfs_fstat(in, &st) == 0 && S_ISDIR(st.st_mode)) ||
			    (vfs_fstat(out, &st) == 0 && S_ISDIR(st.st_mode)) ? -EISDIR : -EINVAL;
		goto out;
	}
	r = get_offs(t, a, &xi, &xo);
	if (r < 0)
		goto out;
	/* Overlapping ranges of one file: EINVAL, as Linux's generic_copy_file_checks. */
	if (file_inode(in) && file_inode(in) == file_inode(out)) {
		int64_t ipos = xi.own ? in->pos : xi.off, opos = xo.own ? out->pos : xo.off;
		uint64_t len = ARG_U(4);
		if ((uint64_t)ipos < (uint64_t)opos + len && (uint64_t)opos < (uint64_t)ipos + len) {
			r = -EINVAL;
			goto out;
		}
	}
	r = copy_loop(t, &xi, &xo, ARG_U(4), true);
	task_io_account(t, false, r);
	task_io_account(t, true, r);
	r = put_offs(t, a, &xi, &xo, r);
out:
	put_files(in, out);
	return r;
}

long sys_splice(struct task *t, const struct syscall_args *a)
{
	struct file *in = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	struct file *out = fdtable_get_file(t->fdt, ARG_INT(2), NULL);
	struct xpos xi = { .f = in, .own = true }, xo = { .f = out, .own = true };
	unsigned int flags = (unsigned int)ARG_U(5);
	long r;

	if (!in || !out) {
		r = -EBADF;
		goto out;
	}
	if (flags & ~0xfu) {
		r = -EINVAL;
		goto out;
	}
	if (!readable(in) || !writable(out)) {
		r = -EBADF;
		goto out;
	}
	if (!file_is_pipe(in) && !file_is_pipe(out)) {
		r = -EINVAL; /* one side must be a pipe */
		goto out;
	}
	if ((file_is_pipe(in) && ARG_U(1)) || (file_is_pipe(out) && ARG_U(3))) {
		r = -ESPIPE;
		goto out;
	}
	if (out->flags & O_APPEND) {
		r = -EINVAL;
		goto out;
	}
	r = get_offs(t, a, &xi, &xo);
	if (r < 0)
		goto out;
	if (ARG_U(4) == 0) {
		r = 0;
		goto out;
	}
	/* One pipe's worth per call, like Linux: stop after what one read gave. */
	r = copy_loop(t, &xi, &xo, MIN(ARG_U(4), (uint64_t)XFER_CHUNK), true);
	r = put_offs(t, a, &xi, &xo, r);
out:
	put_files(in, out);
	return r;
}

long sys_tee(struct task *t, const struct syscall_args *a)
{
	struct file *in = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	struct file *out = fdtable_get_file(t->fdt, ARG_INT(1), NULL);
	struct xpos xo = { .f = out, .own = true };
	char *buf = NULL;
	long r;

	if (!in || !out) {
		r = -EBADF;
		goto out;
	}
	if ((unsigned int)ARG_U(3) & ~0xfu) {
		r = -EINVAL;
		goto out;
	}
	if (!file_is_pipe(in) || !file_is_pipe(out) || !readable(in) || !writable(out) ||
	    in == out) {
		r = -EINVAL;
		goto out;
	}
	size_t len = (size_t)MIN(ARG_U(2), (uint64_t)XFER_CHUNK);
	if (!len) {
		r = 0;
		goto out;
	}
	buf = malloc(len);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	r = pipe_peek(in, buf, len, (unsigned int)ARG_U(3) & SPLICE_F_NONBLOCK);
	if (r > 0)
		r = xwrite(&xo, buf, (size_t)r);
out:
	free(buf);
	put_files(in, out);
	return r;
}

long sys_vmsplice(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	struct uio u;
	long r;

	if (!f)
		return -EBADF;
	if (!file_is_pipe(f) || ((unsigned int)ARG_U(3) & ~0xfu)) {
		file_put(f);
		return -EINVAL;
	}
	r = uio_init_guest_iov(&u, t->mm, ARG_U(1), ARG_INT(2));
	if (r < 0) {
		file_put(f);
		return r;
	}
	pthread_mutex_lock(&f->pos_mu);
	r = writable(f) ? vfs_write(f, &u, &f->pos) : vfs_read(f, &u, &f->pos);
	pthread_mutex_unlock(&f->pos_mu);
	uio_destroy(&u);
	file_put(f);
	if (r == -EPIPE)
		task_send_signal(t, SIGPIPE, NULL, false);
	return r;
}

/* preadv2/pwritev2: offset -1 means the file position; RWF_* flags are hints here. */
#define RWF_SUPPORTED 0x1f /* HIPRI DSYNC SYNC NOWAIT APPEND */

static long rwv2(struct task *t, const struct syscall_args *a, bool write)
{
	struct file *f = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	int64_t off = (int64_t)ARG_U(3);
	struct uio u;
	long r;

	if (!f)
		return -EBADF;
	if (ARG_U(5) & ~(uint64_t)RWF_SUPPORTED) {
		file_put(f);
		return -EOPNOTSUPP;
	}
	if (write ? !writable(f) : !readable(f)) {
		file_put(f);
		return -EBADF;
	}
	r = uio_init_guest_iov(&u, t->mm, ARG_U(1), ARG_INT(2));
	if (r < 0) {
		file_put(f);
		return r;
	}
	if (off == -1) {
		pthread_mutex_lock(&f->pos_mu);
		r = write ? vfs_write(f, &u, &f->pos) : vfs_read(f, &u, &f->pos);
		pthread_mutex_unlock(&f->pos_mu);
	} else if (off < 0) {
		r = -EINVAL;
	} else {
		r = write ? vfs_write(f, &u, &off) : vfs_read(f, &u, &off);
	}
	task_io_account(t, write, r);
	uio_destroy(&u);
	file_put(f);
	if (write && r == -EPIPE)
		task_send_signal(t, SIGPIPE, NULL, false);
	return r;
}

long sys_preadv2(struct task *t, const struct syscall_args *a)
{
	return rwv2(t, a, false);
}

long sys_pwritev2(struct task *t, const struct syscall_args *a)
{
	return rwv2(t, a, true);
}
