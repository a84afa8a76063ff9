/* SPDX-License-Identifier: Apache-2.0 */
/* Identity syscalls: only relations that hold natively and sandboxed (no absolute ids). */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "tap.h"

int main(void)
{
	uid_t ruid = 0, euid = 0, suid = 0;
	gid_t rgid = 0, egid = 0, sgid = 0;

	is_int(getuid(), geteuid(), "getuid == geteuid");
	is_int(getgid(), getegid(), "getgid == getegid");
	is_int(syscall(SYS_getuid), getuid(), "raw getuid == libc getuid");
	is_int(syscall(SYS_getpid), syscall(SYS_gettid), "getpid == gettid for the main thread");
	is_int(getpid(), gettid(), "libc getpid == gettid");
	ok(getpid() > 0, "getpid > 0");
	ok(getppid() >= 0, "getppid >= 0");
	ok(getppid() != getpid(), "getppid != getpid");
	is_int(getresuid(&ruid, &euid, &suid), 0, "getresuid succeeds");
	ok(ruid == getuid() && euid == geteuid() && suid == geteuid(),
	   "getresuid consistent with getuid/geteuid");
	is_int(getresgid(&rgid, &egid, &sgid), 0, "getresgid succeeds");
	ok(rgid == getgid() && egid == getegid() && sgid == getegid(),
	   "getresgid consistent with getgid/getegid");
	int ng = getgroups(0, NULL);
	ok(ng >= 0, "getgroups(0, NULL) returns a count");
	is_int(getpgid(0), getpgrp(), "getpgid(0) == getpgrp()");
	/* The session leader may live outside our pid namespace (CI runners):
	 * then getsid is 0, so only a session we make ourselves has a known id. */
	is_int(getsid(0) >= 0, 1, "getsid(0) >= 0");
	is_int(getsid(0), getsid(getpid()), "getsid(0) == getsid(getpid())");
	pid_t child = fork();
	if (child == 0) {
		if (setsid() != getpid())
			_exit(1);
		_exit(getsid(0) == getpid() && getpgrp() == getpid() ? 0 : 2);
	}
	int status = -1;
	waitpid(child, &status, 0);
	is_int(status, 0, "setsid in a child makes it session and group leader");
	is_int(syscall(SYS_set_tid_address, NULL), gettid(), "set_tid_address returns the tid");
	is_int(getpid(), getpid(), "getpid is stable");
	return done_testing();
}
