/* SPDX-License-Identifier: Apache-2.0 */
/* Pipes and eventfd in one process: data, EOF, EAGAIN, EPIPE/SIGPIPE, FIONREAD, flags. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "tap.h"

static volatile int sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static void test_basic(void)
{
	int p[2];
	char buf[64];

	is_int(pipe(p), 0, "pipe succeeds");
	ok(p[0] >= 3 && p[1] == p[0] + 1, "pipe returns the two lowest free fds");
	is_int(write(p[1], "hello world", 11), 11, "write 11 bytes");
	int n = -1;
	is_int(ioctl(p[0], FIONREAD, &n), 0, "FIONREAD succeeds");
	is_int(n, 11, "FIONREAD reports 11");
	is_int(read(p[0], buf, 5), 5, "partial read of 5");
	ok(memcmp(buf, "hello", 5) == 0, "partial read data");
	is_int(read(p[0], buf, sizeof buf), 6, "read returns what is left, not the request");
	ok(memcmp(buf, " world", 6) == 0, "rest of the data");
	struct iovec iov[2] = { { "ab", 2 }, { "cdef", 4 } };
	is_int(writev(p[1], iov, 2), 6, "writev into a pipe");
	is_int(read(p[0], buf, sizeof buf), 6, "read the writev");
	ok(memcmp(buf, "abcdef", 6) == 0, "writev data in order");
	is_int(write(p[1], "", 0), 0, "write of 0 bytes");
	is_int(read(p[0], buf, 0), 0, "read of 0 bytes");
	is_errno(read(p[1], buf, 1), EBADF, "read from the write end -> EBADF");
	is_errno(write(p[0], "x", 1), EBADF, "write to the read end -> EBADF");
	is_errno(lseek(p[0], 0, SEEK_SET), ESPIPE, "lseek on a pipe -> ESPIPE");
	is_errno(pread(p[0], buf, 1, 0), ESPIPE, "pread on a pipe -> ESPIPE");

	struct stat st;
	is_int(fstat(p[0], &st), 0, "fstat read end");
	ok(S_ISFIFO(st.st_mode), "read end is a FIFO");
	is_int(fstat(p[1], &st), 0, "fstat write end");
	ok(S_ISFIFO(st.st_mode), "write end is a FIFO");
	struct stat st2;
	fstat(p[0], &st2);
	ok(st.st_ino == st2.st_ino, "both ends share an inode");
	is_int(fcntl(p[0], F_GETFL), O_RDONLY, "F_GETFL read end is O_RDONLY");
	is_int(fcntl(p[1], F_GETFL), O_WRONLY, "F_GETFL write end is O_WRONLY");
	is_int(fcntl(p[0], F_GETFD), 0, "pipe fds are not close-on-exec");

	/* EOF once the writer is gone; a dup keeps it open. */
	int d = dup(p[1]);
	is_int(write(d, "z", 1), 1, "write through a dup of the write end");
	close(p[1]);
	is_int(read(p[0], buf, sizeof buf), 1, "data written before close is still read");
	close(d);
	is_int(read(p[0], buf, sizeof buf), 0, "EOF after every write end closed");
	is_int(read(p[0], buf, sizeof buf), 0, "EOF again");
	close(p[0]);
}

static void test_nonblock(void)
{
	int p[2];
	char buf[4096];

	is_int(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0, "pipe2(O_NONBLOCK|O_CLOEXEC)");
	is_int(fcntl(p[0], F_GETFL), O_RDONLY | O_NONBLOCK, "F_GETFL read end has O_NONBLOCK");
	is_int(fcntl(p[1], F_GETFL), O_WRONLY | O_NONBLOCK, "F_GETFL write end has O_NONBLOCK");
	is_int(fcntl(p[0], F_GETFD), FD_CLOEXEC, "read end close-on-exec");
	is_int(fcntl(p[1], F_GETFD), FD_CLOEXEC, "write end close-on-exec");
	is_errno(read(p[0], buf, 1), EAGAIN, "read from an empty nonblocking pipe -> EAGAIN");

	memset(buf, 'x', sizeof buf);
	long total = 0, w;
	while ((w = write(p[1], buf, sizeof buf)) > 0)
		total += w;
	is_int(total, 65536, "a pipe holds 64 KiB");
	is_errno(write(p[1], buf, 1), EAGAIN, "write to a full nonblocking pipe -> EAGAIN");
	is_int(read(p[0], buf, 100), 100, "read 100 from the full pipe");
	is_errno(write(p[1], buf, 4096), EAGAIN, "atomic write of PIPE_BUF with 100 free -> EAGAIN");
	int n = 0;
	ioctl(p[0], FIONREAD, &n);
	is_int(n, 65436, "FIONREAD of a nearly full pipe");
	while (read(p[0], buf, sizeof buf) > 0)
		;
	is_errno(read(p[0], buf, 1), EAGAIN, "drained -> EAGAIN");

	/* A large nonblocking write goes in as far as it fits. */
	static char big[100000];
	is_int(write(p[1], big, sizeof big), 65536, "nonblocking write of 100000 writes 64 KiB");
	close(p[0]);
	close(p[1]);

	is_errno(syscall(SYS_pipe2, p, 0x1), EINVAL, "pipe2 with an unknown flag -> EINVAL");
	is_errno(syscall(SYS_pipe2, (void *)8, 0), EFAULT, "pipe2 with a bad address -> EFAULT");
	is_int(pipe2(p, O_DIRECT), 0, "pipe2(O_DIRECT) accepted");
	is_int(fcntl(p[1], F_GETFL) & O_DIRECT, O_DIRECT, "O_DIRECT shows in F_GETFL");
	close(p[0]);
	close(p[1]);
}

static void test_epipe(void)
{
	int p[2];
	struct sigaction sa = { 0 };

	sa.sa_handler = on_sigpipe;
	sigaction(SIGPIPE, &sa, NULL);
	is_int(pipe(p), 0, "pipe for EPIPE");
	close(p[0]);
	is_errno(write(p[1], "x", 1), EPIPE, "write with no reader -> EPIPE");
	is_int(sigpipes, 1, "SIGPIPE delivered to the writer");
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	is_errno(write(p[1], "x", 1), EPIPE, "EPIPE with SIGPIPE ignored");
	is_int(sigpipes, 1, "no handler run when ignored");
	close(p[1]);

	/* A reader that goes away while data is buffered. */
	is_int(pipe(p), 0, "second pipe");
	is_int(write(p[1], "abc", 3), 3, "buffer some data");
	close(p[0]);
	is_errno(write(p[1], "x", 1), EPIPE, "EPIPE even with data buffered");
	close(p[1]);
}

static void test_eventfd(void)
{
	uint64_t v;
	int e = eventfd(3, 0);

	ok(e >= 0, "eventfd(3, 0)");
	is_int(read(e, &v, 8), 8, "read 8 bytes");
	is_int((int)v, 3, "read returns the counter");
	v = 5;
	is_int(write(e, &v, 8), 8, "write 5");
	v = 2;
	is_int(write(e, &v, 8), 8, "write 2");
	is_int(read(e, &v, 8), 8, "read again");
	is_int((int)v, 7, "writes add up");
	is_errno(read(e, &v, 4), EINVAL, "short read -> EINVAL");
	is_errno(write(e, &v, 4), EINVAL, "short write -> EINVAL");
	v = UINT64_MAX;
	is_errno(write(e, &v, 8), EINVAL, "write of 2^64-1 -> EINVAL");
	is_int(fcntl(e, F_GETFL) & O_ACCMODE, O_RDWR, "eventfd is O_RDWR");
	close(e);

	e = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ok(e >= 0, "eventfd(0, EFD_NONBLOCK|EFD_CLOEXEC)");
	is_int(fcntl(e, F_GETFD), FD_CLOEXEC, "EFD_CLOEXEC sets FD_CLOEXEC");
	ok(fcntl(e, F_GETFL) & O_NONBLOCK, "EFD_NONBLOCK sets O_NONBLOCK");
	is_errno(read(e, &v, 8), EAGAIN, "read of a zero counter -> EAGAIN");
	v = UINT64_MAX - 1;
	is_int(write(e, &v, 8), 8, "write the maximum");
	v = 1;
	is_errno(write(e, &v, 8), EAGAIN, "overflowing write -> EAGAIN");
	close(e);

	e = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
	ok(e >= 0, "eventfd semaphore");
	is_int(read(e, &v, 8), 8, "semaphore read 1");
	is_int((int)v, 1, "semaphore read returns 1");
	is_int(read(e, &v, 8), 8, "semaphore read 2");
	is_int((int)v, 1, "and 1 again");
	is_errno(read(e, &v, 8), EAGAIN, "semaphore exhausted -> EAGAIN");
	close(e);
	is_errno(syscall(SYS_eventfd2, 0, 0x2), EINVAL, "eventfd2 with an unknown flag -> EINVAL");
}

int main(void)
{
	test_basic();
	test_nonblock();
	test_epipe();
	test_eventfd();
	return done_testing();
}
