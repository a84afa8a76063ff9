/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Job control: stop and continue signals, wait's WUNTRACED/WCONTINUED and waitid's
 * WSTOPPED, SIGCHLD with CLD_STOPPED/CLD_CONTINUED, SA_NOCLDSTOP, and a blocking read that
 * carries on transparently across a stop.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"

static atomic_int chld_stopped, chld_continued;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code == CLD_STOPPED)
		chld_stopped++;
	else if (si->si_code == CLD_CONTINUED)
		chld_continued++;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int main(void)
{
	int p[2], st;
	char b;

	struct sigaction sa = { .sa_sigaction = on_chld, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);

	/* A child blocked in read: stopped, continued, then it reads what we write. */
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		close(p[1]);
		ssize_t n = read(p[0], &b, 1);
		_exit(n == 1 && b == 'x' ? 3 : 4);
	}
	close(p[0]);
	msleep(50);
	kill(c, SIGSTOP);
	is_int(waitpid(c, &st, WUNTRACED), c, "waitpid WUNTRACED reports the stop");
	ok(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "WIFSTOPPED, WSTOPSIG == SIGSTOP");
	is_int(waitpid(c, &st, WUNTRACED | WNOHANG), 0, "reported once");
	for (int i = 0; i < 100 && !chld_stopped; i++)
		msleep(5);
	is_int(chld_stopped, 1, "SIGCHLD with CLD_STOPPED");
	kill(c, SIGCONT);
	is_int(waitpid(c, &st, WCONTINUED), c, "waitpid WCONTINUED reports the continue");
	ok(WIFCONTINUED(st), "WIFCONTINUED");
	for (int i = 0; i < 100 && !chld_continued; i++)
		msleep(5);
	is_int(chld_continued, 1, "SIGCHLD with CLD_CONTINUED");
	write(p[1], "x", 1);
	is_int(waitpid(c, &st, 0), c, "then it exits");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 3, "its read carried on across the stop");
	close(p[1]);

	/* A child that stops itself with SIGTSTP; waitid WSTOPPED sees it; SIGKILL ends it. */
	c = fork();
	if (c == 0) {
		raise(SIGTSTP);
		_exit(5);
	}
	siginfo_t si = { 0 };
	is_int(waitid(P_PID, c, &si, WSTOPPED), 0, "waitid WSTOPPED");
	is_int(si.si_code, CLD_STOPPED, "si_code CLD_STOPPED");
	is_int(si.si_status, SIGTSTP, "si_status SIGTSTP");
	is_int(si.si_pid, c, "si_pid");
	kill(c, SIGKILL);
	is_int(waitpid(c, &st, 0), c, "a stopped child dies by SIGKILL");
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "WTERMSIG SIGKILL");

	/* SIGCONT continues even when the child ignores it; SA_NOCLDSTOP: no SIGCHLD. */
	sa.sa_flags |= SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	chld_stopped = chld_continued = 0;
	c = fork();
	if (c == 0) {
		signal(SIGCONT, SIG_IGN);
		raise(SIGSTOP);
		_exit(6);
	}
	is_int(waitpid(c, &st, WUNTRACED), c, "stopped");
	kill(c, SIGCONT);
	is_int(waitpid(c, &st, 0), c, "continued although SIGCONT is ignored");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 6, "exit 6");
	is_int(chld_stopped + chld_continued, 0, "SA_NOCLDSTOP: no SIGCHLD for stop/continue");
	return done_testing();
}
