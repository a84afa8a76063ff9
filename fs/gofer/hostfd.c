// SPDX-License-Identifier: Apache-2.0
/* Reads and writes of gofer files through a host fd the gofer donated (fs/gofer/hostfd.h). */
#include "fs/gofer/hostfd.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "lib/compiler.h"
#include "sentry/host/host.h"

static atomic_int hostfd_used;
static atomic_int hostfd_max = GOFERFS_HOSTFD_MAX;

bool goferfs_hostfd_reserve(void)
{
	int n = atomic_load(&hostfd_used);

	do
		if (n >= atomic_load(&hostfd_max))
			return false;
	while (!atomic_compare_exchange_weak(&hostfd_used, &n, n + 1));
	return true;
}

void goferfs_hostfd_unreserve(void)
{
	atomic_fetch_sub(&hostfd_used, 1);
}

void goferfs_hostfd_set_max(int max)
{
	atomic_store(&hostfd_max, max);
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

/*
 * Guest pages that are not ready for the host (absent, or still to be faulted writable: see
 * mm_pin_pages) go through a per-thread bounce buffer and mm_copy_in/out, which fault them
 * in; the next transfer to the same buffer usually finds them ready.
 */
#define HOSTFD_BOUNCE (256u << 10)

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
	bounce = malloc(HOSTFD_BOUNCE);
	if (bounce && pthread_setspecific(bounce_key, bounce) != 0) {
		free(bounce);
		bounce = NULL;
	}
	return bounce;
}

/* Bytes of @u's current vector, at most HOSTFD_BOUNCE. Preconditions: u->resid. */
static size_t bounce_len(const struct uio *u)
{
	return (size_t)MIN(MIN(u->iov[u->cur].len - u->cur_off, u->resid), HOSTFD_BOUNCE);
}

/*
 * Host I/O straight between the file and the uio's memory: Sentry buffers (uio_init_kernel:
 * page-cache fills and writeback) as they are, guest buffers through their pinned pages
 * (mm_pin_pages), so data is copied once, by the host kernel, as in a native read/write.
 * No lock is held during the host call.
 */
#define HOSTFD_IOV 128 /* pages (or kernel vectors) per preadv/pwritev: 512 KiB */

struct hostfd_io {
	struct iovec iov[HOSTFD_IOV];
	int niov;
	struct mm_pin pins[HOSTFD_IOV];
	int npins;
	size_t len;
};

/* Append [p, p + n) to the host vector, merging with the previous piece when adjacent. */
static void io_add(struct hostfd_io *io, void *p, size_t n)
{
	struct iovec *last = io->niov ? &io->iov[io->niov - 1] : NULL;

	if (last && (char *)last->iov_base + last->iov_len == p)
		last->iov_len += n;
	else
		io->iov[io->niov++] = (struct iovec){ p, n };
	io->len += n;
}

/*
 * The host vector for the next bytes of @u: several kernel vectors, or the pinned pages of
 * the current guest vector (@to_guest: they will be written). io->len is 0 at the end of @u,
 * or when the next guest page is not ready to be pinned (then use the bounce buffer).
 */
static void io_prepare(struct hostfd_io *io, struct uio *u, bool to_guest)
{
	io->niov = io->npins = 0;
	io->len = 0;
	while (u->cur < u->iovcnt && u->cur_off >= u->iov[u->cur].len) {
		u->cur++;
		u->cur_off = 0;
	}
	if (!u->resid || u->cur >= u->iovcnt)
		return;
	if (!u->mm) {
		uint64_t left = u->resid, off = u->cur_off;

		for (int i = u->cur; i < u->iovcnt && left && io->niov < HOSTFD_IOV; i++) {
			uint64_t n = MIN(u->iov[i].len - off, left);

			if (n)
				io_add(io, (char *)(uintptr_t)(u->iov[i].base + off), (size_t)n);
			left -= n;
			off = 0;
		}
		return;
	}
	uint64_t want = MIN(u->iov[u->cur].len - u->cur_off, u->resid);
	int n = mm_pin_pages(u->mm, u->iov[u->cur].base + u->cur_off, (size_t)want, to_guest,
			     io->pins, HOSTFD_IOV);

	io->npins = n;
	for (int i = 0; i < n; i++)
		io_add(io, io->pins[i].ptr, io->pins[i].len);
}

static void io_release(struct hostfd_io *io, struct uio *u)
{
	if (io->npins)
		mm_unpin_pages(u->mm, io->pins, io->npins);
	io->npins = 0;
}

/* One bounce-buffer read into @dst's current vector: bytes moved, 0 at EOF, or -errno. */
static ssize_t read_bounce(int fd, struct uio *dst, int64_t pos, bool *stop)
{
	char *buf = bounce_get();
	size_t n = bounce_len(dst);
	ssize_t got, moved;

	if (!buf)
		return -ENOMEM;
	do
		got = host_pread(fd, buf, n, (uint64_t)pos);
	while (got == -EINTR);
	if (got <= 0)
		return got;
	moved = uio_copy_out(dst, buf, (size_t)got);
	*stop = moved < 0 || moved < got || (size_t)got < n; /* a fault, or the end of file */
	return moved;
}

ssize_t goferfs_hostfd_read(int fd, struct uio *dst, int64_t *pos)
{
	struct hostfd_io io;
	ssize_t done = 0;

	for (;;) {
		bool stop = false;
		ssize_t got;

		io_prepare(&io, dst, true);
		if (!io.len) {
			if (!dst->resid || dst->cur >= dst->iovcnt)
				break;
			got = read_bounce(fd, dst, *pos, &stop);
		} else {
			do
				got = host_preadv(fd, io.iov, io.niov, (uint64_t)*pos);
			while (got == -EINTR);
			io_release(&io, dst);
			if (got > 0)
				uio_advance(dst, (uint64_t)got);
			stop = got > 0 && (size_t)got < io.len; /* end of file */
		}
		if (got <= 0)
			return done ? done : got;
		done += got;
		*pos += got;
		if (stop)
			break;
	}
	return done;
}

/* Tell @ino's page cache what the first @n bytes of @io now hold at @pos. */
static void io_write_through(struct inode *ino, const struct hostfd_io *io, int64_t pos,
			     size_t n)
{
	for (int i = 0; i < io->niov && n; i++) {
		size_t k = MIN(n, io->iov[i].iov_len);

		pagecache_write_through(ino->pagecache, pos, io->iov[i].iov_base, k);
		pos += (int64_t)k;
		n -= k;
	}
}

/* One bounce-buffer write from @src's current vector: bytes written, or -errno. */
static ssize_t write_bounce(int fd, struct inode *ino, struct uio *src, int64_t pos,
			    bool *stop)
{
	char *buf = bounce_get();
	size_t n = bounce_len(src), done = 0;
	ssize_t got;

	if (!buf)
		return -ENOMEM;
	got = uio_copy_in(src, buf, n);
	if (got <= 0)
		return got ? got : -EFAULT;
	while (done < (size_t)got) {
		ssize_t w = host_pwrite(fd, buf + done, (size_t)got - done, (uint64_t)pos + done);

		if (w == -EINTR)
			continue;
		if (w <= 0) {
			if (!done)
				return w ? w : -EIO;
			break;
		}
		done += (size_t)w;
	}
	if (ino->pagecache) /* mappings see what write(2) wrote */
		pagecache_write_through(ino->pagecache, pos, buf, done);
	*stop = done < (size_t)got || (size_t)got < n;
	return (ssize_t)done;
}

ssize_t goferfs_hostfd_write(int fd, struct inode *ino, struct uio *src, int64_t *pos)
{
	struct hostfd_io io;
	ssize_t done = 0;

	for (;;) {
		bool stop = false;
		ssize_t w;

		io_prepare(&io, src, false);
		if (!io.len) {
			if (!src->resid || src->cur >= src->iovcnt)
				break;
			w = write_bounce(fd, ino, src, *pos, &stop);
		} else {
			do
				w = host_pwritev(fd, io.iov, io.niov, (uint64_t)*pos);
			while (w == -EINTR);
			if (w > 0 && ino->pagecache) /* mappings see what write(2) wrote */
				io_write_through(ino, &io, *pos, (size_t)w);
			io_release(&io, src);
			if (w > 0)
				uio_advance(src, (uint64_t)w);
			if (w == 0)
				w = -EIO;
			stop = w > 0 && (size_t)w < io.len; /* no space, or a limit */
		}
		if (w <= 0)
			return done ? done : w;
		done += w;
		*pos += w;
		if (stop)
			break;
	}
	return done;
}
