// SPDX-License-Identifier: Apache-2.0
/* Reads and writes of gofer files through a host fd the gofer donated (fs/gofer/hostfd.h). */
#include "fs/gofer/hostfd.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "lib/compiler.h"
#include "sentry/host/host.h"

/*
 * Guest data moves through a per-thread bounce buffer: the host cannot pread into guest
 * memory the Sentry only reaches through mm_copy_out. 256 KiB stays in a core's L2, so the
 * second copy is cheap, and one pread per 256 KiB is few syscalls.
 */
#define HOSTFD_CHUNK (256u << 10)

static pthread_key_t bounce_key;
static pthread_once_t bounce_once = PTHREAD_ONCE_INIT;
static __thread char *bounce;

static void bounce_key_init(void)
{
	pthread_key_create(&bounce_key, free);
}

/* The calling thread's bounce buffer (freed when the thread exits), or NULL. */
static char *bounce_get(void)
{
	if (bounce)
		return bounce;
	pthread_once(&bounce_once, bounce_key_init);
	bounce = malloc(HOSTFD_CHUNK);
	if (bounce && pthread_setspecific(bounce_key, bounce) != 0) {
		free(bounce);
		bounce = NULL;
	}
	return bounce;
}

int goferfs_hostfd_check(int fd, int accmode, uint64_t ino)
{
	struct stat st;
	int fl, e;

	/* The gofer already refused anything but a regular file inside the mount; a second
	 * look here means a confused or hostile gofer cannot hand us a socket, a directory or
	 * a device, nor more access than the open asked for. */
	e = host_fstat(fd, &st);
	if (e < 0)
		return e;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_ino != ino)
		return -ESTALE;
	fl = host_fcntl(fd, F_GETFL, 0);
	if (fl < 0)
		return fl;
	if ((fl & O_ACCMODE) != accmode || (fl & (O_PATH | O_APPEND | O_DIRECT)))
		return -EINVAL;
	return 0;
}

int goferfs_hostfd_size(int fd, int64_t *size)
{
	struct stat st;
	int e = host_fstat(fd, &st);

	if (e == 0)
		*size = st.st_size;
	return e;
}

/* A Sentry buffer (uio_init_kernel: page-cache fills and writeback) can be used in place. */
static char *kernel_ptr(const struct uio *u)
{
	if (u->mm || u->iovcnt != 1)
		return NULL;
	return (char *)(uintptr_t)(u->iov[0].base + u->cur_off);
}

static void kernel_advance(struct uio *u, size_t n)
{
	u->cur_off += n;
	u->resid -= n;
}

ssize_t goferfs_hostfd_read(int fd, struct uio *dst, int64_t *pos)
{
	ssize_t done = 0;
	char *kp = kernel_ptr(dst), *buf = NULL;

	if (!kp && dst->resid && !(buf = bounce_get()))
		return -ENOMEM;
	while (dst->resid) {
		size_t n = kp ? dst->resid : MIN(dst->resid, HOSTFD_CHUNK);
		ssize_t got = host_pread(fd, kp ? kp + done : buf, n, (uint64_t)*pos);
		ssize_t moved;

		if (got == -EINTR)
			continue;
		if (got <= 0)
			return done ? done : got;
		if (kp) {
			kernel_advance(dst, (size_t)got);
			moved = got;
		} else {
			moved = uio_copy_out(dst, buf, (size_t)got);
			if (moved < 0)
				return done ? done : moved;
		}
		done += moved;
		*pos += moved;
		if (moved < got)
			break; /* a fault part way */
	}
	return done;
}

/* pwrite all of @buf (a short write means no space or a limit: stop there). */
static ssize_t pwrite_full(int fd, const char *buf, size_t n, int64_t pos)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = host_pwrite(fd, buf + done, n - done, (uint64_t)pos + done);

		if (w == -EINTR)
			continue;
		if (w <= 0)
			return done ? (ssize_t)done : (w ? w : -EIO);
		done += (size_t)w;
	}
	return (ssize_t)done;
}

ssize_t goferfs_hostfd_write(int fd, struct inode *ino, struct uio *src, int64_t *pos)
{
	ssize_t done = 0;
	char *kp = kernel_ptr(src), *buf = NULL;

	if (!kp && src->resid && !(buf = bounce_get()))
		return -ENOMEM;
	while (src->resid) {
		size_t n = kp ? src->resid : MIN(src->resid, HOSTFD_CHUNK);
		const char *p = kp ? kp + done : buf;
		ssize_t w;

		if (!kp) {
			ssize_t got = uio_copy_in(src, buf, n);

			if (got <= 0)
				return done ? done : (got ? got : -EFAULT);
			n = (size_t)got;
		}
		w = pwrite_full(fd, p, n, *pos);
		if (w < 0)
			return done ? done : w;
		if (kp)
			kernel_advance(src, (size_t)w);
		if (ino->pagecache) /* mappings see what write(2) wrote */
			pagecache_write_through(ino->pagecache, *pos, p, (size_t)w);
		done += w;
		*pos += w;
		if ((size_t)w < n)
			break;
	}
	return done;
}
