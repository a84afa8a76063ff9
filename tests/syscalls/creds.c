/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credentials: set*id rules for root and for an unprivileged user, supplementary groups in
 * permission checks, capabilities dropped with the uid, capget/capset. Runs as root (the
 * checks that need root say so when it is not).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tap.h"

static int capget_eff(uint32_t *eff0)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int r = (int)syscall(SYS_capget, &h, d);
	*eff0 = d[0].effective;
	return r;
}

/* In a child: become uid/gid 1000 with supplementary group 4242, then check files. */
static int unprivileged_child(const char *owner_only, const char *group_file)
{
	uid_t r, e, s;
	uint32_t eff = 1;
	int fails = 0;
	gid_t g[] = { 4242 };

	if (setgroups(1, g) != 0)
		fails |= 1;
	if (setresgid(1000, 1000, 1000) != 0)
		fails |= 2;
	if (setresuid(1000, 1000, 1000) != 0)
		fails |= 4;
	getresuid(&r, &e, &s);
	if (r != 1000 || e != 1000 || s != 1000)
		fails |= 8;
	if (capget_eff(&eff) != 0 || eff != 0)
		fails |= 16; /* capabilities went with the uid */
	if (setuid(0) != -1 || errno != EPERM)
		fails |= 32;
	if (open(owner_only, O_RDONLY) != -1 || errno != EACCES)
		fails |= 64;
	int fd = open(group_file, O_RDONLY);
	if (fd < 0)
		fails |= 128; /* readable through supplementary group 4242 */
	if (setgroups(1, g) != -1 || errno != EPERM)
		fails |= 256;
	if (setresuid(-1, 1000, -1) != 0)
		fails |= 512;
	return fails;
}

int main(void)
{
	if (getuid() != 0) {
		diag("not root: only the unprivileged checks run");
		is_errno(setuid(0), EPERM, "setuid(0) as a user");
		return done_testing();
	}
	gid_t g[] = { 9, 5, 3 }, got[8];
	is_int(setgroups(3, g), 0, "setgroups as root");
	is_int(getgroups(0, NULL), 3, "getgroups(0) counts");
	is_int(getgroups(8, got), 3, "getgroups returns them");
	ok(got[0] == 3 && got[1] == 5 && got[2] == 9, "sorted");
	is_errno(getgroups(1, got), EINVAL, "a too-small buffer: EINVAL");

	is_int(setfsuid(1234), 0, "setfsuid returns the old fsuid");
	is_int(setfsuid(0), 1234, "and sets it");

	struct __user_cap_header_struct h = { 0, 0 };
	struct __user_cap_data_struct d[2];
	is_errno(syscall(SYS_capget, &h, d), EINVAL, "capget with a bad version");
	is_int((int)h.version, _LINUX_CAPABILITY_VERSION_3, "learns the preferred version");
	uint32_t eff = 0;
	is_int(capget_eff(&eff), 0, "capget v3");
	ok(eff & (1u << CAP_SETUID), "root holds CAP_SETUID");

	const char *owner_only = "/tmp/creds-owner-only", *group_file = "/tmp/creds-group";
	int fd = open(owner_only, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	close(fd);
	chmod(owner_only, 0600);
	fd = open(group_file, O_CREAT | O_WRONLY | O_TRUNC, 0640);
	close(fd);
	chmod(group_file, 0640);
	is_int(chown(group_file, 0, 4242), 0, "chown to group 4242");

	pid_t c = fork();
	if (c == 0)
		_exit(unprivileged_child(owner_only, group_file));
	int st;
	waitpid(c, &st, 0);
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0, "unprivileged child: every check (bitmask)");

	/* setreuid: the saved uid follows a new effective uid. */
	c = fork();
	if (c == 0) {
		uid_t r, e, s;
		int f = 0;
		if (setreuid(1000, 2000) != 0)
			f |= 1;
		getresuid(&r, &e, &s);
		if (r != 1000 || e != 2000 || s != 2000)
			f |= 2;
		if (setreuid(-1, 1000) != 0)
			f |= 4;
		if (setreuid(-1, 0) != -1 || errno != EPERM)
			f |= 8;
		_exit(f);
	}
	waitpid(c, &st, 0);
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0, "setreuid rules (bitmask)");

	/* capset: a root process drops CAP_SETUID; it cannot take it back. */
	c = fork();
	if (c == 0) {
		struct __user_cap_header_struct hh = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct dd[2];
		int f = 0;
		syscall(SYS_capget, &hh, dd);
		dd[0].effective &= ~(1u << CAP_SETUID);
		dd[0].permitted &= ~(1u << CAP_SETUID);
		if (syscall(SYS_capset, &hh, dd) != 0)
			f |= 1;
		if (setuid(1000) != -1 || errno != EPERM)
			f |= 2;
		dd[0].permitted |= 1u << CAP_SETUID;
		if (syscall(SYS_capset, &hh, dd) != -1 || errno != EPERM)
			f |= 4;
		_exit(f);
	}
	waitpid(c, &st, 0);
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0, "capset drops for good (bitmask)");
	unlink(owner_only);
	unlink(group_file);
	return done_testing();
}
