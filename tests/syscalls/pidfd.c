/* SPDX-License-Identifier: Apache-2.0 */
/* pidfds: open, poll for exit, send a signal, waitid(P_PIDFD), errors. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tap.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int main(void)
{
	int p[2];
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		char b;
		close(p[1]);
		read(p[0], &b, 1);
		_exit(0);
	}
	close(p[0]);
	int fd = (int)syscall(SYS_pidfd_open, c, 0);
	ok(fd >= 0, "pidfd_open of a child");
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	is_int(poll(&pfd, 1, 0), 0, "not readable while it runs");
	is_int((int)syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0), 0, "pidfd_send_signal");
	is_int(poll(&pfd, 1, 5000), 1, "readable once it has exited");
	ok(pfd.revents & POLLIN, "POLLIN");
	siginfo_t si = { 0 };
	is_int(waitid(P_PIDFD, fd, &si, WEXITED), 0, "waitid(P_PIDFD)");
	is_int(si.si_pid, c, "si_pid");
	is_int(si.si_code, CLD_KILLED, "CLD_KILLED");
	is_int(si.si_status, SIGTERM, "by SIGTERM");
	is_errno(syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0), ESRCH, "a reaped process: ESRCH");
	close(fd);
	close(p[1]);
	is_errno(syscall(SYS_pidfd_open, 999999, 0), ESRCH, "no such pid");
	is_errno(syscall(SYS_pidfd_open, getpid(), 1), EINVAL, "bad flags");
	is_errno(syscall(SYS_pidfd_send_signal, 0, SIGTERM, NULL, 0), EBADF, "not a pidfd");
	return done_testing();
}
