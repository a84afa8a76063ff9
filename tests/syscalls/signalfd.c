/* SPDX-License-Identifier: Apache-2.0 */
/*
 * timerfd and signalfd: expiration counts, nonblocking EAGAIN, poll/epoll readiness,
 * absolute timers, gettime; signalfd reads pending signals as signalfd_siginfo records,
 * polls readable, takes its mask from later signalfd calls, and wakes a blocked read.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void test_timerfd(void)
{
	struct itimerspec its, cur;
	uint64_t n = 0;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	ok(fd >= 0, "timerfd_create MONOTONIC, NONBLOCK|CLOEXEC");
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "close-on-exec set");
	ok(fcntl(fd, F_GETFL) & O_NONBLOCK, "O_NONBLOCK set");
	is_errno(read(fd, &n, sizeof(n)), EAGAIN, "unarmed: read EAGAIN");
	is_int(timerfd_gettime(fd, &cur), 0, "gettime unarmed");
	ok(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0, "reads zero");

	/* One-shot: one expiration. */
	its = (struct itimerspec){ { 0, 0 }, { 0, 20000000 } };
	is_int(timerfd_settime(fd, 0, &its, NULL), 0, "settime 20 ms one-shot");
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	is_int(poll(&pfd, 1, 0), 0, "not readable before expiry");
	is_int(poll(&pfd, 1, 5000), 1, "poll readable after expiry");
	is_int(read(fd, &n, 4), -1, "short buffer: -1");
	is_int(read(fd, &n, sizeof(n)), 8, "read 8 bytes");
	is_int(n, 1, "one expiration");
	is_errno(read(fd, &n, sizeof(n)), EAGAIN, "then EAGAIN");

	/* Periodic: the count accumulates between reads. */
	its = (struct itimerspec){ { 0, 10000000 }, { 0, 10000000 } };
	timerfd_settime(fd, 0, &its, NULL);
	msleep(100);
	read(fd, &n, sizeof(n));
	ok(n >= 3 && n <= 200, "periodic: about 10 expirations in 100 ms (more if we slept long)");
	is_int(timerfd_gettime(fd, &cur), 0, "gettime periodic");
	ok(cur.it_interval.tv_nsec == 10000000 && cur.it_value.tv_sec == 0 &&
	   cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10000000, "value and interval");

	/* epoll readiness. */
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 }, out;
	is_int(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0, "epoll_ctl ADD timerfd");
	is_int(epoll_wait(ep, &out, 1, 5000), 1, "epoll_wait reports it");
	ok(out.data.u64 == 42 && (out.events & EPOLLIN), "EPOLLIN with our data");
	read(fd, &n, sizeof(n));
	its = (struct itimerspec){ { 0, 0 }, { 0, 0 } };
	struct itimerspec old;
	timerfd_settime(fd, 0, &its, &old);
	ok(old.it_interval.tv_nsec == 10000000, "disarm returns the old interval");
	is_int(epoll_wait(ep, &out, 1, 50), 0, "disarmed: nothing ready");
	close(ep);
	close(fd);

	/* Blocking read and absolute time on REALTIME. */
	fd = timerfd_create(CLOCK_REALTIME, 0);
	ok(fd >= 0, "timerfd_create REALTIME, blocking");
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	its = (struct itimerspec){ { 0, 0 }, { now.tv_sec, now.tv_nsec } };
	its.it_value.tv_nsec += 30000000;
	if (its.it_value.tv_nsec >= 1000000000L) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000000000L;
	}
	is_int(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL), 0, "TFD_TIMER_ABSTIME");
	n = 0;
	is_int(read(fd, &n, sizeof(n)), 8, "blocking read returns at the deadline");
	is_int(n, 1, "one expiration");
	struct timespec after;
	clock_gettime(CLOCK_REALTIME, &after);
	ok(after.tv_sec > its.it_value.tv_sec ||
	   (after.tv_sec == its.it_value.tv_sec && after.tv_nsec >= its.it_value.tv_nsec),
	   "not before the deadline");
	/* An absolute time in the past with an interval: expirations counted at once. */
	its = (struct itimerspec){ { 0, 1000000 }, { now.tv_sec - 1, 0 } };
	timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL);
	msleep(5);
	read(fd, &n, sizeof(n));
	ok(n >= 1000, "a deadline 1+ s ago with 1 ms interval: 1000+ expirations");
	close(fd);

	/* Errors. */
	is_errno(timerfd_create(CLOCK_MONOTONIC, 0x1234), EINVAL, "bad flags: EINVAL");
	is_errno(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL, "CPU clock: EINVAL");
	fd = timerfd_create(CLOCK_BOOTTIME, 0);
	ok(fd >= 0, "timerfd_create BOOTTIME");
	its = (struct itimerspec){ { 0, 0 }, { 0, 1000000000L } };
	is_errno(timerfd_settime(fd, 0, &its, NULL), EINVAL, "tv_nsec 1e9: EINVAL");
	its = (struct itimerspec){ { 0, 0 }, { 0, 1000 } };
	is_errno(timerfd_settime(fd, 0x100, &its, NULL), EINVAL, "bad settime flags: EINVAL");
	int p[2];
	pipe(p);
	is_errno(timerfd_settime(p[0], 0, &its, NULL), EINVAL, "settime on a pipe: EINVAL");
	is_errno(timerfd_gettime(p[0], &cur), EINVAL, "gettime on a pipe: EINVAL");
	is_errno(timerfd_gettime(999, &cur), EBADF, "bad fd: EBADF");
	close(p[0]);
	close(p[1]);
	close(fd);
}

static void test_signalfd(void)
{
	sigset_t mask, old;
	struct signalfd_siginfo si[4];

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, &old);
	int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	ok(fd >= 0, "signalfd NONBLOCK|CLOEXEC");
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "close-on-exec set");
	is_errno(read(fd, si, sizeof(si[0])), EAGAIN, "nothing pending: EAGAIN");
	is_errno(read(fd, si, 8), EINVAL, "short buffer: EINVAL");
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	is_int(poll(&pfd, 1, 0), 0, "not readable");

	kill(getpid(), SIGUSR1);
	is_int(poll(&pfd, 1, 0), 1, "readable with SIGUSR1 pending");
	sigqueue(getpid(), SIGUSR2, (union sigval){ .sival_int = 31337 });
	memset(si, 0, sizeof(si));
	is_int(read(fd, si, sizeof(si)), 2 * (int)sizeof(si[0]), "one read takes both");
	is_int(si[0].ssi_signo, SIGUSR1, "first SIGUSR1");
	is_int(si[0].ssi_code, SI_USER, "its code SI_USER");
	ok(si[0].ssi_pid == (uint32_t)getpid(), "its pid");
	ok(si[0].ssi_uid == getuid(), "its uid");
	is_int(si[1].ssi_signo, SIGUSR2, "then SIGUSR2");
	is_int(si[1].ssi_code, SI_QUEUE, "SI_QUEUE");
	is_int(si[1].ssi_int, 31337, "ssi_int");
	sigset_t pend;
	sigpending(&pend);
	ok(!sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGUSR2), "both dequeued");
	is_int(poll(&pfd, 1, 0), 0, "not readable again");

	/* A signal outside the mask is not read. */
	sigset_t only1;
	sigemptyset(&only1);
	sigaddset(&only1, SIGUSR1);
	is_int(signalfd(fd, &only1, 0), fd, "signalfd(fd, ...) updates the mask");
	kill(getpid(), SIGUSR2);
	is_errno(read(fd, si, sizeof(si[0])), EAGAIN, "SIGUSR2 no longer read");
	is_int(poll(&pfd, 1, 0), 0, "and does not make it readable");
	struct timespec z = { 0, 0 };
	is_int(sigtimedwait(&mask, NULL, &z), SIGUSR2, "it stayed pending");

	/* epoll and a wake from another process. */
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 }, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	is_int(epoll_wait(ep, &out, 1, 0), 0, "epoll: nothing yet");
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) {
		msleep(30);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	is_int(epoll_wait(ep, &out, 1, 5000), 1, "epoll_wait woken by a signal from a child");
	ok(out.data.u64 == 7, "our data");
	is_int(read(fd, si, sizeof(si)), (int)sizeof(si[0]), "read it");
	is_int(si[0].ssi_signo, SIGUSR1, "SIGUSR1");
	ok(si[0].ssi_pid == (uint32_t)c, "from the child");
	waitpid(c, NULL, 0);
	close(ep);
	close(fd);

	/* A blocking read waits for the signal. */
	fd = signalfd(-1, &mask, 0);
	c = fork();
	if (c == 0) {
		msleep(30);
		kill(parent, SIGUSR2);
		_exit(0);
	}
	is_int(read(fd, si, sizeof(si)), (int)sizeof(si[0]), "blocking read woken");
	is_int(si[0].ssi_signo, SIGUSR2, "by SIGUSR2");
	int st;
	waitpid(c, &st, 0);
	/* SIGCHLD through a signalfd carries the child's status. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	int cfd = signalfd(-1, &chld, 0);
	c = fork();
	if (c == 0)
		_exit(3);
	is_int(read(cfd, si, sizeof(si)), (int)sizeof(si[0]), "SIGCHLD read");
	is_int(si[0].ssi_signo, SIGCHLD, "ssi_signo SIGCHLD");
	is_int(si[0].ssi_code, CLD_EXITED, "CLD_EXITED");
	is_int(si[0].ssi_status, 3, "ssi_status");
	ok(si[0].ssi_pid == (uint32_t)c, "ssi_pid");
	waitpid(c, NULL, 0);
	close(cfd);

	/* A timer signal through a signalfd. */
	sigset_t rt;
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &rt, NULL);
	int rfd = signalfd(-1, &rt, 0);
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN };
	sev.sigev_value.sival_int = 88;
	timer_t tid;
	timer_create(CLOCK_MONOTONIC, &sev, &tid);
	struct itimerspec its = { { 0, 0 }, { 0, 10000000 } };
	timer_settime(tid, 0, &its, NULL);
	is_int(read(rfd, si, sizeof(si)), (int)sizeof(si[0]), "timer signal read");
	is_int(si[0].ssi_code, SI_TIMER, "SI_TIMER");
	is_int(si[0].ssi_int, 88, "ssi_int");
	is_int(si[0].ssi_tid, (int)(intptr_t)tid, "ssi_tid is the timer id");
	timer_delete(tid);
	close(rfd);

	/* Errors. */
	is_errno(syscall(SYS_signalfd4, -1, &mask, 4, 0), EINVAL, "bad sigset size: EINVAL");
	is_errno(signalfd(-1, &mask, 0x1234), EINVAL, "bad flags: EINVAL");
	int p[2];
	pipe(p);
	is_errno(signalfd(p[0], &mask, 0), EINVAL, "a pipe is not a signalfd: EINVAL");
	is_errno(signalfd(999, &mask, 0), EBADF, "bad fd: EBADF");
	close(p[0]);
	close(p[1]);
	close(fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(void)
{
	test_timerfd();
	test_signalfd();
	return done_testing();
}
