// SPDX-License-Identifier: Apache-2.0
/*
 * Processes: fork and wait statuses (exit codes, deaths by signal), copy-on-write in both
 * directions over 16 MiB, shared anonymous memory across fork, vfork, WNOHANG, ECHILD,
 * getppid, SIGCHLD to a handler, waitid, kill to another process, process groups and
 * sessions, execve errors and (when the binary is visible) re-exec of this program.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

#define BIG (16 << 20)

static volatile int *shared; /* MAP_SHARED page for parent/child handshakes */
static volatile sig_atomic_t chld_hits;

static void on_chld(int sig)
{
	chld_hits++;
}

static int wait_status(pid_t pid)
{
	int st = -1;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static void spin_until(volatile int *p, int v)
{
	while (*p != v)
		sched_yield();
}

static int check_fill(const char *p, char c)
{
	for (size_t i = 0; i < BIG; i += 512)
		if (p[i] != c)
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	pid_t pid, me = getpid();
	int st;

	if (argc > 1 && strcmp(argv[1], "child-exec") == 0)
		return 42;

	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ok(shared != MAP_FAILED, "shared page");

	/* Exit codes. */
	pid = fork();
	if (pid == 0)
		_exit(3);
	ok(pid > 0, "fork returns a pid to the parent");
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 3, "child exit 3: WIFEXITED, status 3");

	/* Death by a signal the child sends itself. */
	pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGTERM);
		_exit(0);
	}
	st = wait_status(pid);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "child killed by SIGTERM: WIFSIGNALED");

	/* Killed by the parent while it runs. */
	shared[0] = 0;
	pid = fork();
	if (pid == 0) {
		shared[0] = 1;
		for (;;)
			sched_yield();
	}
	spin_until(shared, 1);
	is_int(kill(pid, SIGKILL), 0, "kill(child, SIGKILL)");
	st = wait_status(pid);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "running child killed by the parent");

	/* Copy-on-write, both ways, over 16 MiB. */
	char *big = malloc(BIG);
	memset(big, 'a', BIG);
	shared[0] = 0;
	pid = fork();
	if (pid == 0) {
		int good = check_fill(big, 'a');
		memset(big, 'c', BIG);
		good = good && check_fill(big, 'c');
		shared[0] = 1;         /* child wrote */
		spin_until(shared, 2); /* parent wrote */
		good = good && check_fill(big, 'c');
		_exit(good ? 0 : 1);
	}
	spin_until(shared, 1);
	ok(check_fill(big, 'a'), "parent does not see the child's writes");
	memset(big, 'p', BIG);
	shared[0] = 2;
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child saw its own copy, not the parent's writes");
	ok(check_fill(big, 'p'), "parent keeps its writes");
	free(big);

	/* Shared memory stays shared. */
	shared[1] = 0;
	pid = fork();
	if (pid == 0) {
		shared[1] = 77;
		_exit(0);
	}
	wait_status(pid);
	is_int(shared[1], 77, "MAP_SHARED page written by the child");

	/* vfork. */
	pid = vfork();
	if (pid == 0)
		_exit(4);
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 4, "vfork child _exit(4)");

	/* WNOHANG with a child still running, then a real wait. */
	shared[0] = 0;
	pid = fork();
	if (pid == 0) {
		spin_until(shared, 1);
		_exit(5);
	}
	is_int(waitpid(pid, &st, WNOHANG), 0, "WNOHANG: running child gives 0");
	shared[0] = 1;
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 5, "then waits for exit 5");
	is_errno(waitpid(-1, &st, 0), ECHILD, "wait with no children: ECHILD");
	is_errno(waitpid(-1, &st, WNOHANG), ECHILD, "WNOHANG with no children: ECHILD");

	/* getppid. */
	pid = fork();
	if (pid == 0)
		_exit(getppid() == me ? 0 : 1);
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "getppid in the child is the parent's pid");

	/* SIGCHLD to a handler. */
	signal(SIGCHLD, on_chld);
	pid = fork();
	if (pid == 0)
		_exit(0);
	wait_status(pid);
	is_int(chld_hits, 1, "SIGCHLD handler ran once");
	signal(SIGCHLD, SIG_DFL);

	/* A signal during a blocking wait: SA_RESTART restarts it, otherwise EINTR. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	chld_hits = 0;
	shared[0] = 0;
	pid_t slow = fork();
	if (slow == 0) {
		spin_until(shared, 1);
		_exit(8);
	}
	pid = fork();
	if (pid == 0) {
		spin_until(shared, 2);
		shared[0] = 1; /* release the slow one only once we are gone (nearly) */
		_exit(0);
	}
	shared[0] = 2;
	st = wait_status(slow);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 8, "SA_RESTART: waitpid(slow) survives another child's SIGCHLD");
	wait_status(pid);
	ok(chld_hits >= 1, "SIGCHLD handler ran during the wait");
	sa.sa_flags = 0;
	sigaction(SIGUSR1, &sa, NULL);
	shared[0] = 0;
	slow = fork();
	if (slow == 0) {
		spin_until(shared, 1);
		_exit(0);
	}
	pid = fork();
	if (pid == 0) {
		usleep(100 * 1000);
		kill(getppid(), SIGUSR1);
		spin_until(shared, 3);
		_exit(0);
	}
	is_errno(waitpid(slow, &st, 0), EINTR, "no SA_RESTART: waitpid fails EINTR");
	shared[0] = 1;
	wait_status(slow);
	shared[0] = 3;
	wait_status(pid);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);

	/* waitid. */
	pid = fork();
	if (pid == 0)
		_exit(6);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	is_int(waitid(P_PID, pid, &si, WEXITED), 0, "waitid(P_PID, WEXITED)");
	ok(si.si_signo == SIGCHLD && si.si_code == CLD_EXITED && si.si_status == 6 &&
	   si.si_pid == pid, "waitid siginfo: SIGCHLD, CLD_EXITED, status 6, pid");
	pid = fork();
	if (pid == 0) {
		kill(getpid(), SIGKILL);
		_exit(0);
	}
	memset(&si, 0, sizeof(si));
	is_int(waitid(P_ALL, 0, &si, WEXITED), 0, "waitid(P_ALL)");
	ok(si.si_code == CLD_KILLED && si.si_status == SIGKILL, "waitid: CLD_KILLED by SIGKILL");
	is_errno(waitid(P_ALL, 0, &si, 0), EINVAL, "waitid without WEXITED etc.: EINVAL");

	/* Process groups and sessions. */
	pid = fork();
	if (pid == 0) {
		int good = setpgid(0, 0) == 0 && getpgrp() == getpid() && getpgid(0) == getpid();
		_exit(good ? 0 : 1);
	}
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "setpgid(0, 0) makes the child a group leader");
	pid = fork();
	if (pid == 0) {
		int good = setsid() == getpid() && getsid(0) == getpid() && getpgrp() == getpid();
		good = good && setpgid(0, 0) == -1 && errno == EPERM;
		_exit(good ? 0 : 1);
	}
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "setsid in the child: new session and group");
	shared[0] = 0;
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		shared[0] = 1;
		for (;;)
			sched_yield();
	}
	spin_until(shared, 1);
	is_int(getpgid(pid), pid, "getpgid(child) after its setpgid");
	is_int(kill(-pid, SIGTERM), 0, "kill(-pgid, SIGTERM)");
	st = wait_status(pid);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "group member killed");
	is_errno(kill(-pid, 0), ESRCH, "kill to a reaped group: ESRCH");
	is_errno(kill(pid, 0), ESRCH, "kill to a reaped pid: ESRCH");

	/* execve. */
	pid = fork();
	if (pid == 0) {
		char *av[] = { "x", NULL };
		int e1 = execve("/nonexistent-dir/prog", av, NULL) == -1 && errno == ENOENT;
		int e2 = execve("/", av, NULL) == -1 && errno == EACCES;
		_exit(e1 && e2 ? 0 : 1);
	}
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "execve errors: ENOENT, EACCES for a directory");
	pid = fork();
	if (pid == 0) {
		char *av[] = { argv[0], "child-exec", NULL };
		if (access(argv[0], X_OK) == 0)
			execve(argv[0], av, NULL);
		_exit(42); /* the binary is not visible (sandbox tmpfs root): same status */
	}
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 42, "re-exec of this program exits 42");

	return done_testing();
}
