/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Sentry's host system calls (DESIGN.md §2 sentry/host). Apart from platform/, this is
 * the only Sentry code that calls into the host kernel, so the Sentry's seccomp allowlist can
 * be read off this file and platform/. Each wrapper returns the result or -errno; none
 * leaves anything in errno that a caller should read.
 */
#ifndef SBX_SENTRY_HOST_HOST_H
#define SBX_SENTRY_HOST_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

/* Memory. */
int host_memfd_create(const char *name, unsigned int flags);
int host_ftruncate(int fd, uint64_t len);
int host_fallocate(int fd, int mode, uint64_t off, uint64_t len);
/* host_mmap - 0 and *out, or -errno. */
int host_mmap(void *addr, size_t len, int prot, int flags, int fd, uint64_t off, void **out);
int host_munmap(void *addr, size_t len);
int host_madvise(void *addr, size_t len, int advice);

/* Files and I/O on fds the Sentry holds (stdio, donated fds, the memory file). */
ssize_t host_read(int fd, void *buf, size_t len);
ssize_t host_write(int fd, const void *buf, size_t len);
ssize_t host_pread(int fd, void *buf, size_t len, uint64_t off);
ssize_t host_pwrite(int fd, const void *buf, size_t len, uint64_t off);
ssize_t host_readv(int fd, const struct iovec *iov, int n);
ssize_t host_writev(int fd, const struct iovec *iov, int n);
ssize_t host_preadv(int fd, const struct iovec *iov, int n, uint64_t off);
ssize_t host_pwritev(int fd, const struct iovec *iov, int n, uint64_t off);
int64_t host_lseek(int fd, int64_t off, int whence);
int host_close(int fd);
int host_dup(int fd);
int host_ioctl(int fd, unsigned long req, void *arg);
int host_fcntl(int fd, int cmd, long arg);
struct stat;
int host_fstat(int fd, struct stat *st);
/*
 * Sockets the Sentry holds (the gofer connections). host_send never raises SIGPIPE
 * (MSG_NOSIGNAL). host_recv_fds - recvmsg(2) of up to @len bytes into @buf with
 * MSG_CMSG_CLOEXEC, taking the SCM_RIGHTS fds that came with them: *@nfds is how many came,
 * the first min(*@nfds, @max) are in @fds (the caller owns them), the rest are closed here.
 * *@trunc is set when the kernel dropped fds (MSG_CTRUNC: no room in the control buffer, or
 * the Sentry is at its fd limit). Returns the bytes received (0: peer closed), or -errno.
 */
ssize_t host_send(int sock, const void *buf, size_t len);
ssize_t host_recv_fds(int sock, void *buf, size_t len, int *fds, int max, int *nfds,
		      int *trunc);
struct pollfd;
/* host_poll - poll(2) on Sentry-held fds; @timeout_ms 0 never blocks. */
int host_poll(struct pollfd *fds, unsigned int n, int timeout_ms);

/* Time and randomness. */
int host_clock_gettime(clockid_t clk, struct timespec *ts);
int host_clock_getres(clockid_t clk, struct timespec *ts);
/* host_clock_nanosleep - absolute or relative sleep; -EINTR when a host signal interrupts. */
int host_clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem);
ssize_t host_getrandom(void *buf, size_t len, unsigned int flags);

/* Threads. */
pid_t host_gettid(void);
/* host_getcpu - the CPU the calling thread runs on (0 if unknown). */
int host_getcpu(void);
int host_futex_wait(uint32_t *addr, uint32_t val, const struct timespec *rel);
int host_futex_wake(uint32_t *addr, int n);

/* Signals sent to the Sentry from outside (forwarded to the guest, sentry/kernel/hostsig.c). */
#include <signal.h>
int host_sigmask_block(const sigset_t *set);
/* host_sigtimedwait - the signal number taken from @set, or -EAGAIN after @ts. */
int host_sigtimedwait(const sigset_t *set, const struct timespec *ts);

#endif
