/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/sys as programs use it, and UTS namespaces: sethostname/setdomainname inside
 * unshare(CLONE_NEWUTS) (so the host's name is never touched), the same names through
 * /proc/sys/kernel/{hostname,domainname}, clone(CLONE_NEWUTS), who may write what.
 * Numeric sysctls are only rewritten with the value they hold, or given invalid values.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "tap.h"

static int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, size - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = 0;
	return (int)n;
}

static int write_text(const char *path, const char *s, size_t len)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, s, len);
	int e = errno;
	close(fd);
	return n < 0 ? -e : (int)n;
}

static const char *const numeric[] = {
	"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max",
	"/proc/sys/vm/overcommit_memory", "/proc/sys/vm/max_map_count",
	"/proc/sys/fs/file-max", "/proc/sys/fs/nr_open", "/proc/sys/net/core/somaxconn",
};

static void test_numbers(void)
{
	char buf[64], again[64];

	for (size_t i = 0; i < sizeof(numeric) / sizeof(numeric[0]); i++) {
		const char *p = numeric[i];
		int n = read_text(p, buf, sizeof buf);
		char *end;
		long long v = strtoll(buf, &end, 10);
		ok(n > 0 && end != buf && *end == '\n' && v >= 0, "%s: one number", p + 10);
		is_int(write_text(p, buf, (size_t)n), n, "%s: root rewrites its value", p + 10);
		ok(read_text(p, again, sizeof again) == n && strcmp(buf, again) == 0,
		   "%s: unchanged", p + 10);
		is_int(write_text(p, "abc\n", 4), -EINVAL, "%s: not a number: EINVAL", p + 10);
	}
	is_int(write_text("/proc/sys/vm/overcommit_memory", "3\n", 2), -EINVAL,
	       "overcommit_memory 3: EINVAL");
	is_int(write_text("/proc/sys/kernel/pid_max", "100\n", 4), -EINVAL,
	       "pid_max below 301: EINVAL");
	is_int(write_text("/proc/sys/fs/nr_open", "1\n", 2), -EINVAL, "nr_open 1: EINVAL");
	is_int(write_text("/proc/sys/kernel/osrelease", "x\n", 2), -EACCES,
	       "a read-only sysctl: EACCES even for root");
	is_int(write_text("/proc/sys/kernel/ostype", "x\n", 2), -EACCES, "ostype: EACCES");

	pid_t pid = fork();
	if (pid == 0) {
		setgid(65534);
		setuid(65534);
		int r = 0;
		r |= write_text("/proc/sys/kernel/hostname", "x", 1) == -EACCES ? 0 : 1;
		r |= write_text("/proc/sys/vm/max_map_count", "1", 1) == -EACCES ? 0 : 2;
		r |= read_text("/proc/sys/kernel/hostname", buf, sizeof buf) > 0 ? 0 : 4;
		_exit(r);
	}
	int st;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && !(WEXITSTATUS(st) & 1), "non-root: hostname not writable");
	ok(WIFEXITED(st) && !(WEXITSTATUS(st) & 2), "non-root: max_map_count not writable");
	ok(WIFEXITED(st) && !(WEXITSTATUS(st) & 4), "non-root: hostname readable");
}

static unsigned long long read_num(const char *path)
{
	char buf[64];

	return read_text(path, buf, sizeof buf) > 0 ? strtoull(buf, NULL, 10) : ~0ULL;
}

/* The IPC sysctls say what IPC_INFO says. */
static void test_ipc(void)
{
	struct shminfo si;
	struct msginfo mi;
	struct seminfo se;
	char buf[128], want[128];

	ok(shmctl(0, IPC_INFO, (struct shmid_ds *)&si) >= 0, "shmctl IPC_INFO");
	ok(read_num("/proc/sys/kernel/shmmni") == si.shmmni, "kernel.shmmni");
	ok(read_num("/proc/sys/kernel/shmmax") == si.shmmax, "kernel.shmmax");
	ok(read_num("/proc/sys/kernel/shmall") == si.shmall, "kernel.shmall");
	ok(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi) >= 0, "msgctl IPC_INFO");
	ok(read_num("/proc/sys/kernel/msgmax") == (unsigned long long)mi.msgmax, "kernel.msgmax");
	ok(read_num("/proc/sys/kernel/msgmnb") == (unsigned long long)mi.msgmnb, "kernel.msgmnb");
	ok(read_num("/proc/sys/kernel/msgmni") == (unsigned long long)mi.msgmni, "kernel.msgmni");
	union semun {
		int val;
		struct seminfo *info;
	} arg = { .info = &se };
	ok(semctl(0, 0, IPC_INFO, arg) >= 0, "semctl IPC_INFO");
	snprintf(want, sizeof want, "%d\t%d\t%d\t%d\n", se.semmsl, se.semmns, se.semopm, se.semmni);
	ok(read_text("/proc/sys/kernel/sem", buf, sizeof buf) > 0 && strcmp(buf, want) == 0,
	   "kernel.sem: semmsl semmns semopm semmni");
	ok(read_num("/proc/sys/kernel/random/entropy_avail") <= 4096, "random/entropy_avail");
	ok(read_num("/proc/sys/vm/swappiness") <= 200, "vm.swappiness");
	ok(read_num("/proc/sys/kernel/randomize_va_space") <= 2, "kernel.randomize_va_space");
}

/* Checks inside a new UTS namespace; returns a bit mask of failures. */
static int uts_child(void)
{
	struct utsname u;
	char buf[128], name64[65];

	if (sethostname("sbx-uts-test", 12) != 0)
		return 1;
	uname(&u);
	if (!(strcmp(u.nodename, "sbx-uts-test") == 0))
		return 2;
	read_text("/proc/sys/kernel/hostname", buf, sizeof buf);
	if (!(strcmp(buf, "sbx-uts-test\n") == 0))
		return 3;
	if (!(write_text("/proc/sys/kernel/hostname", "viaproc\nignored", 15) == 15))
		return 4;
	uname(&u);
	if (!(strcmp(u.nodename, "viaproc") == 0))
		return 5;
	if (!(setdomainname("dom.example", 11) == 0))
		return 6;
	read_text("/proc/sys/kernel/domainname", buf, sizeof buf);
	if (!(strcmp(buf, "dom.example\n") == 0))
		return 7;
	uname(&u);
	if (!(strcmp(u.domainname, "dom.example") == 0))
		return 8;
	memset(name64, 'h', 64);
	name64[64] = 0;
	if (!(sethostname(name64, 65) == -1 && errno == EINVAL))
		return 9;
	if (!(sethostname(name64, 64) == 0))
		return 10;
	uname(&u);
	if (!(strcmp(u.nodename, name64) == 0))
		return 11;
	/* Longer than 64 through /proc: cut, not refused. */
	char name70[71];
	memset(name70, 'p', 70);
	name70[70] = 0;
	if (!(write_text("/proc/sys/kernel/hostname", name70, 70) == 70))
		return 12;
	uname(&u);
	if (!(strlen(u.nodename) == 64 && u.nodename[0] == 'p'))
		return 13;
	if (!(sethostname("", 0) == 0))
		return 14;
	uname(&u);
	if (!(u.nodename[0] == 0))
		return 15;
	return 0;
}

static void test_uts(void)
{
	struct utsname before, after;
	char buf[128];

	uname(&before);
	read_text("/proc/sys/kernel/hostname", buf, sizeof buf);
	ok(strlen(buf) > 0 && strncmp(buf, before.nodename, strlen(before.nodename)) == 0 &&
	   buf[strlen(before.nodename)] == '\n', "/proc/sys/kernel/hostname is uname's nodename");
	read_text("/proc/sys/kernel/domainname", buf, sizeof buf);
	ok(strncmp(buf, before.domainname, strlen(before.domainname)) == 0,
	   "/proc/sys/kernel/domainname is uname's domainname");

	pid_t pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWUTS) != 0)
			_exit(255);
		_exit(uts_child());
	}
	int st;
	waitpid(pid, &st, 0);
	int r = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	is_int(r, 0, "in a new UTS namespace: sethostname, setdomainname, /proc/sys writes");
	uname(&after);
	ok(strcmp(before.nodename, after.nodename) == 0 &&
	   strcmp(before.domainname, after.domainname) == 0, "our names did not change");

	/* clone(CLONE_NEWUTS): the child's namespace is its own from the start. */
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		struct utsname u;
		uname(&u);
		int e = strcmp(u.nodename, before.nodename) == 0 ? 0 : 1;
		e |= sethostname("cloned", 6) == 0 ? 0 : 2;
		_exit(e);
	}
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "clone(CLONE_NEWUTS) starts with our names");
	uname(&after);
	ok(strcmp(before.nodename, after.nodename) == 0, "the clone's sethostname stays there");

	/* Without CAP_SYS_ADMIN: EPERM for both. */
	pid = fork();
	if (pid == 0) {
		setgid(65534);
		setuid(65534);
		int e = unshare(CLONE_NEWUTS) == -1 && errno == EPERM ? 0 : 1;
		e |= sethostname("x", 1) == -1 && errno == EPERM ? 0 : 2;
		e |= setdomainname("x", 1) == -1 && errno == EPERM ? 0 : 4;
		_exit(e);
	}
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unprivileged: unshare and sethostname EPERM");
}

int main(void)
{
	test_numbers();
	test_ipc();
	test_uts();
	return done_testing();
}
