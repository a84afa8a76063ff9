/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Blocking syscalls interrupted by a signal with a handler: EINTR without SA_RESTART,
 * transparent restart with it (pipe read, wait4, poll), ppoll's temporary mask staying in
 * force until the handler runs, and ignored signals never interrupting.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"

static volatile sig_atomic_t hits;
static volatile sig_atomic_t usr2_blocked_in_handler;

static void on_usr1(int sig)
{
	sigset_t cur;

	(void)sig;
	hits++;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	usr2_blocked_in_handler = sigismember(&cur, SIGUSR2);
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void handle(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = flags };
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* A child that signals the parent after @ms, then (if @fd >= 0) writes a byte after @ms more. */
static pid_t poke(int sig, int ms, int fd)
{
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) {
		msleep(ms);
		kill(parent, sig);
		if (fd >= 0) {
			msleep(ms);
			write(fd, "x", 1);
		}
		_exit(0);
	}
	return c;
}

int main(void)
{
	int p[2], st;
	char b;

	/* pipe read: no SA_RESTART → EINTR after the handler. */
	handle(SIGUSR1, 0);
	pipe(p);
	hits = 0;
	pid_t c = poke(SIGUSR1, 50, p[1]);
	errno = 0;
	is_int(read(p[0], &b, 1), -1, "read interrupted without SA_RESTART");
	is_int(errno, EINTR, "errno EINTR");
	is_int(hits, 1, "handler ran once");
	waitpid(c, &st, 0);
	is_int(read(p[0], &b, 1), 1, "the byte written later is still there");
	close(p[0]);
	close(p[1]);

	/* pipe read: SA_RESTART → the read goes on and returns the byte. */
	handle(SIGUSR1, SA_RESTART);
	pipe(p);
	hits = 0;
	c = poke(SIGUSR1, 50, p[1]);
	is_int(read(p[0], &b, 1), 1, "read restarted with SA_RESTART");
	is_int(hits, 1, "handler ran once");
	waitpid(c, &st, 0);
	close(p[0]);
	close(p[1]);

	/* wait4 with SA_RESTART: the signal from a grandchild-free child does not end the wait. */
	hits = 0;
	pid_t parent = getpid();
	c = fork();
	if (c == 0) {
		msleep(50);
		kill(parent, SIGUSR1);
		msleep(50);
		_exit(7);
	}
	is_int(waitpid(c, &st, 0), c, "waitpid restarted with SA_RESTART");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 7, "child's status");
	is_int(hits, 1, "handler ran once");

	/* poll never restarts after a handler: EINTR even with SA_RESTART. */
	pipe(p);
	hits = 0;
	c = poke(SIGUSR1, 50, -1);
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	errno = 0;
	is_int(poll(&pfd, 1, 5000), -1, "poll interrupted");
	is_int(errno, EINTR, "errno EINTR");
	is_int(hits, 1, "handler ran once");
	waitpid(c, &st, 0);

	/*
	 * ppoll's mask: SIGUSR1 blocked outside, unblocked by ppoll; the handler runs (with the
	 * ppoll mask's complement: SIGUSR2 blocked by ppoll's mask is not blocked in the
	 * handler unless the original mask blocks it) and afterwards SIGUSR1 is blocked again.
	 */
	sigset_t block, ppmask, cur;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&ppmask);
	sigaddset(&ppmask, SIGUSR2);
	hits = 0;
	c = poke(SIGUSR1, 50, -1);
	errno = 0;
	is_int(ppoll(&pfd, 1, NULL, &ppmask), -1, "ppoll interrupted by a signal its mask lets in");
	is_int(errno, EINTR, "errno EINTR");
	is_int(hits, 1, "handler ran during ppoll");
	is_int(usr2_blocked_in_handler, 1, "handler runs with the original mask (SIGUSR2 blocked)");
	sigprocmask(SIG_BLOCK, NULL, &cur);
	ok(sigismember(&cur, SIGUSR1) && sigismember(&cur, SIGUSR2), "original mask restored after");
	waitpid(c, &st, 0);

	/* A pending signal already unblocked by ppoll's mask ends it at once. */
	hits = 0;
	kill(getpid(), SIGUSR1);
	is_int(hits, 0, "blocked signal stays pending");
	errno = 0;
	is_int(ppoll(&pfd, 1, NULL, &ppmask), -1, "ppoll with a pending unblocked signal");
	is_int(errno, EINTR, "errno EINTR");
	is_int(hits, 1, "its handler ran");
	sigprocmask(SIG_UNBLOCK, &block, NULL);

	/* An ignored signal does not interrupt a blocking read. */
	signal(SIGUSR1, SIG_IGN);
	c = poke(SIGUSR1, 50, p[1]);
	is_int(read(p[0], &b, 1), 1, "read not interrupted by an ignored signal");
	waitpid(c, &st, 0);
	close(p[0]);
	close(p[1]);
	return done_testing();
}
