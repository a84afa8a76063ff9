// SPDX-License-Identifier: Apache-2.0
/*
 * Files over host fds the Sentry was handed (the caller's stdio, later donated fds). Data
 * moves through a bounce buffer: the guest's memory is reached only through the uio.
 */
#include "fs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "lib/compiler.h"
#include "sentry/host/host.h"

#define HOSTFILE_CHUNK (64 * 1024)
/* The kernel's struct termios (asm-generic/termbits.h), not glibc's larger one. */
#define KERNEL_TERMIOS_SIZE 36

struct hostfile {
	struct file base;
	int fd;
};

static int host_fd(struct file *f)
{
	return container_of(f, struct hostfile, base)->fd;
}

static ssize_t hostfile_read(struct file *f, struct uio *dst, int64_t *pos)
{
	size_t n = MIN(dst->resid, (uint64_t)HOSTFILE_CHUNK);
	char *buf;
	ssize_t r;

	if (n == 0)
		return 0;
	buf = malloc(n);
	if (!buf)
		return -ENOMEM;
	/* One host read: a second could block on a terminal or pipe that gave a short read. */
	r = host_read(host_fd(f), buf, n);
	if (r > 0) {
		ssize_t c = uio_copy_out(dst, buf, (size_t)r);
		/* Data read but not deliverable is lost, as on Linux when copy_to_user fails. */
		if (c < 0)
			r = c;
	}
	free(buf);
	return r;
}

static ssize_t hostfile_write(struct file *f, struct uio *src, int64_t *pos)
{
	char *buf = malloc(HOSTFILE_CHUNK);
	ssize_t done = 0;

	if (!buf)
		return -ENOMEM;
	while (src->resid) {
		ssize_t n = uio_copy_in(src, buf, MIN(src->resid, (uint64_t)HOSTFILE_CHUNK));
		if (n <= 0) {
			if (!done)
				done = n ? n : -EFAULT;
			break;
		}
		ssize_t w = 0;
		while (w < n) {
			ssize_t r = host_write(host_fd(f), buf + w, (size_t)(n - w));
			if (r < 0) {
				free(buf);
				return done + w ? done + w : r;
			}
			w += r;
		}
		done += n;
	}
	free(buf);
	return done;
}

static int64_t hostfile_llseek(struct file *f, int64_t off, int whence)
{
	return host_lseek(host_fd(f), off, whence);
}

static long ioctl_in(struct mm *mm, int fd, unsigned int cmd, uint64_t arg, size_t len)
{
	uint8_t buf[64];
	if (mm_copy_in(mm, arg, buf, len) != (ssize_t)len)
		return -EFAULT;
	return host_ioctl(fd, cmd, buf);
}

static long ioctl_out(struct mm *mm, int fd, unsigned int cmd, uint64_t arg, size_t len)
{
	uint8_t buf[64];
	memset(buf, 0, sizeof(buf));
	long r = host_ioctl(fd, cmd, buf);
	if (r < 0)
		return r;
	if (mm_copy_out(mm, arg, buf, len) != (ssize_t)len)
		return -EFAULT;
	return r;
}

/* Only terminal queries and settings are passed through, with sizes we know. */
static long hostfile_ioctl(struct file *f, struct mm *mm, unsigned int cmd, uint64_t arg)
{
	int fd = host_fd(f);

	switch (cmd) {
	case TCGETS:
		return ioctl_out(mm, fd, cmd, arg, KERNEL_TERMIOS_SIZE);
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return ioctl_in(mm, fd, cmd, arg, KERNEL_TERMIOS_SIZE);
	case TIOCGWINSZ:
		return ioctl_out(mm, fd, cmd, arg, sizeof(struct winsize));
	case TIOCSWINSZ:
		return ioctl_in(mm, fd, cmd, arg, sizeof(struct winsize));
	case FIONREAD:
		return ioctl_out(mm, fd, cmd, arg, sizeof(int));
	default:
		return -ENOTTY;
	}
}

static int hostfile_fstat(struct file *f, struct stat *st)
{
	return host_fstat(host_fd(f), st);
}

/* Readiness of the host fd now; the poller re-polls host fds in slices (poll_table_set_host). */
static unsigned int hostfile_poll(struct file *f, struct poll_table *pt)
{
	struct pollfd pfd = { .fd = host_fd(f), .events = POLLIN | POLLOUT | POLLPRI };

	poll_table_set_host(pt);
	if (host_poll(&pfd, 1, 0) < 0)
		return POLLERR;
	return (unsigned int)pfd.revents;
}

static void hostfile_release(struct file *f)
{
	struct hostfile *hf = container_of(f, struct hostfile, base);
	host_close(hf->fd);
	free(hf);
}

/*
 * open(2) of /proc/self/fd/N (/dev/stdout...) naming the caller's stdio: a new open file
 * over a duplicate of the host fd. The Sentry cannot open the host object again, so the
 * access asked for must be within what the host fd already allows.
 */
static int hostfile_reopen(struct file *f, int flags, struct file **out)
{
	int fd = host_fd(f), hfl = host_fcntl(fd, F_GETFL, 0), acc = flags & O_ACCMODE, nfd, r;
	bool want_r = acc == O_RDONLY || acc == O_RDWR, want_w = acc == O_WRONLY || acc == O_RDWR;
	int hacc = hfl & O_ACCMODE;

	if (hfl < 0)
		return hfl;
	if ((want_r && hacc == O_WRONLY) || (want_w && hacc == O_RDONLY))
		return -EACCES;
	nfd = host_dup(fd);
	if (nfd < 0)
		return nfd;
	r = hostfile_new(nfd, flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC), out);
	if (r < 0)
		host_close(nfd);
	return r;
}

static const struct file_ops hostfile_ops = {
	.read = hostfile_read,
	.write = hostfile_write,
	.llseek = hostfile_llseek,
	.ioctl = hostfile_ioctl,
	.fstat = hostfile_fstat,
	.release = hostfile_release,
	.poll = hostfile_poll,
	.reopen = hostfile_reopen,
};

int hostfile_new(int fd, int flags, struct file **out)
{
	struct hostfile *hf = calloc(1, sizeof(*hf));
	if (!hf)
		return -ENOMEM;
	hf->fd = fd;
	file_init(&hf->base, &hostfile_ops, flags, NULL);
	*out = &hf->base;
	return 0;
}
