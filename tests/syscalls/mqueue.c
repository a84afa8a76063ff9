/* SPDX-License-Identifier: Apache-2.0 */
/* POSIX message queues: priorities, blocking between processes, limits, notify, unlink. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"

static volatile sig_atomic_t notified, notified_val;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	notified++;
	notified_val = si->si_value.sival_int;
}

int main(void)
{
	const char *name = "/sbx-mq-test";
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 64 }, got;
	char buf[64];
	unsigned int prio;
	int st;

	mq_unlink(name);
	mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	ok(q != (mqd_t)-1, "mq_open O_CREAT");
	is_errno(mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr), EEXIST, "O_EXCL: EEXIST");
	is_int(mq_getattr(q, &got), 0, "mq_getattr");
	ok(got.mq_maxmsg == 4 && got.mq_msgsize == 64 && got.mq_curmsgs == 0, "attributes");
	mq_send(q, "low", 4, 1);
	mq_send(q, "high", 5, 9);
	mq_send(q, "low2", 5, 1);
	is_int((int)mq_receive(q, buf, sizeof(buf), &prio), 5, "highest priority first");
	ok(!strcmp(buf, "high") && prio == 9, "high, prio 9");
	mq_receive(q, buf, sizeof(buf), &prio);
	is_int(strcmp(buf, "low"), 0, "then FIFO within a priority");
	mq_receive(q, buf, sizeof(buf), &prio);
	is_int(strcmp(buf, "low2"), 0, "low2");
	is_errno(mq_receive(q, buf, 10, NULL), EMSGSIZE, "buffer smaller than msgsize: EMSGSIZE");
	is_errno(mq_send(q, buf, 65, 0), EMSGSIZE, "message larger than msgsize");

	/* Nonblocking and full. */
	struct mq_attr nb = { .mq_flags = O_NONBLOCK };
	mq_setattr(q, &nb, NULL);
	is_errno(mq_receive(q, buf, sizeof(buf), NULL), EAGAIN, "empty, nonblocking: EAGAIN");
	for (int i = 0; i < 4; i++)
		mq_send(q, "x", 2, 0);
	is_errno(mq_send(q, "x", 2, 0), EAGAIN, "full, nonblocking: EAGAIN");
	struct pollfd pfd = { .fd = q, .events = POLLIN | POLLOUT };
	poll(&pfd, 1, 0);
	ok((pfd.revents & POLLIN) && !(pfd.revents & POLLOUT), "poll: readable, not writable");
	nb.mq_flags = 0;
	mq_setattr(q, &nb, NULL);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 20000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	is_errno(mq_timedsend(q, "x", 2, 0, &ts), ETIMEDOUT, "mq_timedsend on a full queue times out");
	for (int i = 0; i < 4; i++)
		mq_receive(q, buf, sizeof(buf), NULL);

	/* A child blocks in mq_receive on another descriptor until we send. */
	pid_t c = fork();
	if (c == 0) {
		mqd_t cq = mq_open(name, O_RDONLY);
		ssize_t n = mq_receive(cq, buf, sizeof(buf), &prio);
		_exit(n == 6 && !strcmp(buf, "hello") && prio == 3 ? 0 : 1);
	}
	usleep(50000);
	mq_send(q, "hello", 6, 3);
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a blocked receiver in a child gets it");

	/* mq_notify with SIGEV_SIGNAL: fires once, when a message lands in an empty queue. */
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1,
			       .sigev_value.sival_int = 77 };
	is_int(mq_notify(q, &ev), 0, "mq_notify");
	is_errno(mq_notify(q, &ev), EBUSY, "a second registration: EBUSY");
	mq_send(q, "n", 2, 0);
	for (int i = 0; i < 100 && !notified; i++)
		usleep(1000);
	ok(notified == 1 && notified_val == 77, "notified with the value");
	mq_send(q, "m", 2, 0);
	usleep(20000);
	is_int(notified, 1, "only once");
	is_int(mq_notify(q, NULL), 0, "unregister");

	mq_close(q);
	is_int(mq_unlink(name), 0, "mq_unlink");
	is_errno(mq_open(name, O_RDONLY), ENOENT, "gone");
	is_errno(mq_unlink(name), ENOENT, "ENOENT");
	is_errno(mq_open("/a/b", O_RDONLY), EACCES, "a name with a slash: EACCES");
	return done_testing();
}
