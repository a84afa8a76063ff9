/* SPDX-License-Identifier: Apache-2.0 */
/* The stdio fds: write/writev, fcntl, dup family, close. Never reads stdin. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "tap.h"

static long put(int fd, const char *s)
{
	return write(fd, s, strlen(s));
}

int main(void)
{
	is_int(put(1, "# plain write to stdout\n"), 24, "write to stdout returns the length");
	is_int(write(1, "", 0), 0, "write of 0 bytes returns 0");

	struct iovec iov[3] = {
		{.iov_base = "# writev ", .iov_len = 9},
		{.iov_base = NULL, .iov_len = 0},
		{.iov_base = "to stdout\n", .iov_len = 10},
	};
	is_int(writev(1, iov, 3), 19, "writev 3 iovecs (one empty) returns the total");
	is_int(writev(1, iov, 0), 0, "writev of 0 iovecs returns 0");
	is_errno(syscall(SYS_writev, 1, iov, -1), EINVAL, "writev negative iovcnt -> EINVAL");
	is_errno(syscall(SYS_writev, 1, iov, 1025), EINVAL, "writev iovcnt > IOV_MAX -> EINVAL");

	/* fcntl */
	is_int(fcntl(1, F_GETFD), 0, "F_GETFD of stdout is 0");
	is_int(fcntl(1, F_SETFD, FD_CLOEXEC), 0, "F_SETFD FD_CLOEXEC");
	is_int(fcntl(1, F_GETFD), FD_CLOEXEC, "F_GETFD reads back FD_CLOEXEC");
	is_int(fcntl(1, F_SETFD, 0), 0, "F_SETFD 0");
	is_int(fcntl(1, F_GETFD), 0, "F_GETFD reads back 0");
	int fl = fcntl(1, F_GETFL);
	ok(fl >= 0 && (fl & O_ACCMODE) != O_RDONLY, "F_GETFL of stdout is writable");
	is_errno(fcntl(99, F_GETFD), EBADF, "fcntl on a closed fd -> EBADF");
	is_errno(fcntl(-1, F_GETFL), EBADF, "fcntl on fd -1 -> EBADF");

	/* dup family */
	int d = dup(1);
	ok(d >= 3, "dup(1) returns a new fd >= 3");
	is_int(put(d, "# through dup\n"), 14, "write through dup");
	is_int(fcntl(d, F_GETFD), 0, "dup clears FD_CLOEXEC");
	is_int(dup2(1, 10), 10, "dup2(1, 10) returns 10");
	is_int(put(10, "# through dup2\n"), 15, "write through dup2");
	is_int(dup2(1, 10), 10, "dup2 onto an open fd replaces it");
	is_int(dup2(1, 1), 1, "dup2 same fd returns it");
	is_errno(dup2(99, 12), EBADF, "dup2 bad oldfd -> EBADF");
	is_errno(dup2(1, -1), EBADF, "dup2 negative newfd -> EBADF");
	is_int(dup3(1, 11, O_CLOEXEC), 11, "dup3(1, 11, O_CLOEXEC) returns 11");
	is_int(fcntl(11, F_GETFD), FD_CLOEXEC, "dup3 O_CLOEXEC sets FD_CLOEXEC");
	is_int(put(11, "# through dup3\n"), 15, "write through dup3");
	is_errno(dup3(1, 1, 0), EINVAL, "dup3 same fd -> EINVAL");
	is_errno(dup3(1, 12, 0x1), EINVAL, "dup3 bad flags -> EINVAL");
	int c = fcntl(1, F_DUPFD_CLOEXEC, 20);
	ok(c >= 20, "F_DUPFD_CLOEXEC returns an fd >= 20");
	is_int(fcntl(c, F_GETFD), FD_CLOEXEC, "F_DUPFD_CLOEXEC sets FD_CLOEXEC");
	int c2 = fcntl(1, F_DUPFD, 20);
	ok(c2 > 20, "F_DUPFD returns the lowest free fd >= 20 (20 taken)");
	is_int(fcntl(c2, F_GETFD), 0, "F_DUPFD clears FD_CLOEXEC");
	int low = fcntl(1, F_DUPFD, 0);
	ok(low > d && low < 10, "F_DUPFD 0 returns the lowest free fd");
	close(low);

	/* close */
	is_int(close(d), 0, "close dup");
	is_int(close(10), 0, "close dup2");
	is_int(close(11), 0, "close dup3");
	is_int(close(c), 0, "close F_DUPFD_CLOEXEC fd");
	is_int(close(c2), 0, "close F_DUPFD fd");
	is_errno(close(d), EBADF, "close twice -> EBADF");
	is_errno(close(999), EBADF, "close bad fd -> EBADF");
	is_errno(close(-1), EBADF, "close -1 -> EBADF");
	is_errno(put(10, "x"), EBADF, "write to a closed fd -> EBADF");
	is_int(dup(1), d, "dup reuses the lowest free fd");
	close(d);
	is_int(put(1, "# stdout still works\n"), 21, "stdout still works after closing its dups");
	return done_testing();
}
