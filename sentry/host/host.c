// SPDX-License-Identifier: Apache-2.0
/* host_* wrappers: the host syscalls the Sentry makes outside platform/, returning -errno. */
#include "host.h"

#include <errno.h>
#include <pthread.h>
#include <poll.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RET(expr)                            \
	do {                                 \
		long __r = (long)(expr);     \
		return __r < 0 ? -errno : __r; \
	} while (0)

int host_memfd_create(const char *name, unsigned int flags)
{
	RET(syscall(SYS_memfd_create, name, flags));
}

int host_ftruncate(int fd, uint64_t len)
{
	RET(ftruncate(fd, (off_t)len));
}

int host_fallocate(int fd, int mode, uint64_t off, uint64_t len)
{
	RET(fallocate(fd, mode, (off_t)off, (off_t)len));
}

int host_mmap(void *addr, size_t len, int prot, int flags, int fd, uint64_t off, void **out)
{
	void *p = mmap(addr, len, prot, flags, fd, (off_t)off);
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

int host_munmap(void *addr, size_t len)
{
	RET(munmap(addr, len));
}

int host_madvise(void *addr, size_t len, int advice)
{
	RET(madvise(addr, len, advice));
}

ssize_t host_read(int fd, void *buf, size_t len)
{
	RET(read(fd, buf, len));
}

ssize_t host_write(int fd, const void *buf, size_t len)
{
	RET(write(fd, buf, len));
}

ssize_t host_pread(int fd, void *buf, size_t len, uint64_t off)
{
	RET(pread(fd, buf, len, (off_t)off));
}

ssize_t host_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	RET(pwrite(fd, buf, len, (off_t)off));
}

ssize_t host_readv(int fd, const struct iovec *iov, int n)
{
	RET(readv(fd, iov, n));
}

ssize_t host_writev(int fd, const struct iovec *iov, int n)
{
	RET(writev(fd, iov, n));
}

ssize_t host_preadv(int fd, const struct iovec *iov, int n, uint64_t off)
{
	RET(preadv(fd, iov, n, (off_t)off));
}

ssize_t host_pwritev(int fd, const struct iovec *iov, int n, uint64_t off)
{
	RET(pwritev(fd, iov, n, (off_t)off));
}

int64_t host_lseek(int fd, int64_t off, int whence)
{
	RET(lseek(fd, (off_t)off, whence));
}

int host_close(int fd)
{
	RET(close(fd));
}

int host_dup(int fd)
{
	RET(fcntl(fd, F_DUPFD_CLOEXEC, 0));
}

int host_ioctl(int fd, unsigned long req, void *arg)
{
	RET(ioctl(fd, req, arg));
}

int host_fcntl(int fd, int cmd, long arg)
{
	RET(fcntl(fd, cmd, arg));
}

int host_fstat(int fd, struct stat *st)
{
	RET(fstat(fd, st));
}

int host_poll(struct pollfd *fds, unsigned int n, int timeout_ms)
{
	RET(poll(fds, n, timeout_ms));
}

int host_clock_gettime(clockid_t clk, struct timespec *ts)
{
	RET(clock_gettime(clk, ts));
}

int host_clock_getres(clockid_t clk, struct timespec *ts)
{
	RET(clock_getres(clk, ts));
}

int host_clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
	/* clock_nanosleep returns the error instead of setting errno. */
	int r = clock_nanosleep(clk, flags, req, rem);
	return -r;
}

ssize_t host_getrandom(void *buf, size_t len, unsigned int flags)
{
	RET(getrandom(buf, len, flags));
}

pid_t host_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

int host_futex_wait(uint32_t *addr, uint32_t val, const struct timespec *rel)
{
	RET(syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, rel, NULL, 0));
}

int host_futex_wake(uint32_t *addr, int n)
{
	RET(syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0));
}

int host_sigmask_block(const sigset_t *set)
{
	return -pthread_sigmask(SIG_BLOCK, set, NULL);
}

int host_sigtimedwait(const sigset_t *set, const struct timespec *ts)
{
	RET(sigtimedwait(set, NULL, ts));
}

int host_getcpu(void)
{
	unsigned int cpu = 0;

	if (syscall(SYS_getcpu, &cpu, NULL, NULL) < 0)
		return 0;
	return (int)cpu;
}

ssize_t host_send(int sock, const void *buf, size_t len)
{
	RET(send(sock, buf, len, MSG_NOSIGNAL));
}

#define HOST_RECV_MAX_FDS 8

ssize_t host_recv_fds(int sock, void *buf, size_t len, int *fds, int max, int *nfds,
		      int *trunc)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(HOST_RECV_MAX_FDS * sizeof(int))];
	} ctl;
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);

	*nfds = 0;
	*trunc = 0;
	if (n < 0)
		return -errno;
	*trunc = (mh.msg_flags & MSG_CTRUNC) != 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const char *p = (const char *)CMSG_DATA(cm);

		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, p + i * sizeof(int), sizeof(int));
			if (*nfds < max)
				fds[*nfds] = fd;
			else
				close(fd);
			(*nfds)++;
		}
	}
	return n;
}
