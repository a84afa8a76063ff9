/* SPDX-License-Identifier: Apache-2.0 */
/* Pipes between processes (needs fork/wait): blocking read and write, EOF, SIGPIPE death. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"

static void msleep(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

int main(void)
{
	int p[2], st;
	char buf[256];
	static char big[200000];

	/* A reader blocks until the child writes, then sees EOF when it exits. */
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		msleep(20);
		write(p[1], "from child", 10);
		_exit(0);
	}
	close(p[1]);
	is_int(read(p[0], buf, sizeof buf), 10, "blocking read gets the child's write");
	ok(memcmp(buf, "from child", 10) == 0, "data");
	is_int(read(p[0], buf, sizeof buf), 0, "EOF once the child has exited");
	is_int(waitpid(c, &st, 0), c, "reap");
	close(p[0]);

	/* A writer blocks on a full pipe until the reader drains it. */
	pipe(p);
	c = fork();
	if (c == 0) {
		close(p[1]);
		long total = 0, n;
		while ((n = read(p[0], big, sizeof big)) > 0)
			total += n;
		_exit(total == (long)sizeof big ? 0 : 1);
	}
	close(p[0]);
	is_int(write(p[1], big, sizeof big), (long)sizeof big, "a write larger than the pipe completes");
	close(p[1]);
	is_int(waitpid(c, &st, 0), c, "reap reader");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the reader got every byte");

	/* poll wakes when another process writes. */
	pipe(p);
	c = fork();
	if (c == 0) {
		msleep(20);
		write(p[1], "x", 1);
		_exit(0);
	}
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	is_int(poll(&pf, 1, 5000), 1, "poll wakes on another process's write");
	is_int(pf.revents, POLLIN, "POLLIN");
	waitpid(c, &st, 0);
	close(p[0]);
	close(p[1]);

	/* Default SIGPIPE kills a writer with no reader. */
	pipe(p);
	close(p[0]); /* before the fork: no reader anywhere */
	c = fork();
	if (c == 0) {
		write(p[1], "x", 1);
		_exit(0);
	}
	close(p[1]);
	is_int(waitpid(c, &st, 0), c, "reap writer");
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "killed by SIGPIPE");
	return done_testing();
}
