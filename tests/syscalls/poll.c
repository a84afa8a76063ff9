/* SPDX-License-Identifier: Apache-2.0 */
/* Readiness: poll, ppoll, select, pselect6 on pipes and eventfds; timeouts; POLLNVAL. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>

#include "tap.h"

static long ms_since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void test_poll(void)
{
	int p[2];
	char c;

	is_int(pipe(p), 0, "pipe");
	struct pollfd fds[2] = { { .fd = p[0], .events = POLLIN }, { .fd = p[1], .events = POLLOUT } };
	is_int(poll(fds, 2, 0), 1, "empty pipe: only the write end is ready");
	is_int(fds[0].revents, 0, "read end not readable");
	is_int(fds[1].revents, POLLOUT, "write end writable");

	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(poll(fds, 1, 20), 0, "poll with a 20 ms timeout times out");
	ok(ms_since(&t0) >= 19, "and waited at least 20 ms");

	is_int(write(p[1], "x", 1), 1, "write a byte");
	is_int(poll(fds, 1, -1), 1, "after the write the read end is ready (infinite timeout)");
	is_int(fds[0].revents, POLLIN, "POLLIN");
	fds[0].events = POLLIN | POLLRDNORM;
	is_int(poll(fds, 1, 0), 1, "POLLRDNORM asked");
	is_int(fds[0].revents, POLLIN | POLLRDNORM, "POLLIN|POLLRDNORM");
	fds[0].events = POLLOUT;
	is_int(poll(fds, 1, 0), 0, "read end never writable");
	fds[0].events = POLLIN;

	close(p[1]);
	is_int(poll(fds, 1, 0), 1, "writer closed with data left");
	is_int(fds[0].revents, POLLIN | POLLHUP, "POLLIN|POLLHUP");
	is_int(read(p[0], &c, 1), 1, "drain");
	is_int(poll(fds, 1, 0), 1, "writer closed, empty");
	is_int(fds[0].revents, POLLHUP, "POLLHUP alone");
	fds[0].events = 0;
	is_int(poll(fds, 1, 0), 1, "POLLHUP reported even when not asked");
	is_int(fds[0].revents, POLLHUP, "events 0 still gets POLLHUP");
	close(p[0]);

	is_int(poll(fds, 1, 0), 1, "closed fd counts");
	is_int(fds[0].revents, POLLNVAL, "closed fd -> POLLNVAL");
	fds[0].fd = -1;
	fds[0].revents = 123;
	is_int(poll(fds, 1, 0), 0, "negative fd is skipped");
	is_int(fds[0].revents, 0, "and its revents cleared");

	/* Reader gone: the write end gets POLLERR. */
	is_int(pipe(p), 0, "pipe 2");
	close(p[0]);
	struct pollfd w = { .fd = p[1], .events = POLLOUT };
	is_int(poll(&w, 1, 0), 1, "write end of a widowed pipe");
	is_int(w.revents, POLLOUT | POLLERR, "POLLOUT|POLLERR");
	close(p[1]);

	/* Full pipe: not writable. */
	is_int(pipe2(p, O_NONBLOCK), 0, "pipe 3");
	static char buf[65536];
	is_int(write(p[1], buf, sizeof buf), 65536, "fill");
	w.fd = p[1];
	is_int(poll(&w, 1, 0), 0, "full pipe is not writable");
	is_int(read(p[0], buf, sizeof buf), 65536, "drain");
	is_int(poll(&w, 1, 0), 1, "writable again");
	close(p[0]);
	close(p[1]);

	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	is_errno(syscall(SYS_poll, fds, rl.rlim_cur + 1, 0), EINVAL, "nfds > RLIMIT_NOFILE -> EINVAL");
	is_errno(syscall(SYS_poll, (void *)8, 1, 0), EFAULT, "bad array -> EFAULT");
	is_int(poll(NULL, 0, 10), 0, "poll of nothing sleeps and returns 0");
}

static void test_eventfd_poll(void)
{
	int e = eventfd(0, EFD_NONBLOCK);
	struct pollfd f = { .fd = e, .events = POLLIN | POLLOUT };
	uint64_t v = 1;

	is_int(poll(&f, 1, 0), 1, "eventfd 0: writable");
	is_int(f.revents, POLLOUT, "POLLOUT only");
	write(e, &v, 8);
	is_int(poll(&f, 1, 0), 1, "eventfd 1");
	is_int(f.revents, POLLIN | POLLOUT, "POLLIN|POLLOUT");
	close(e);
}

static void test_ppoll(void)
{
	int p[2];
	sigset_t mask, old, now;

	pipe(p);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_SETMASK, &mask, &old);
	struct pollfd f = { .fd = p[0], .events = POLLIN };
	struct timespec ts = { 0, 20 * 1000 * 1000 }, t0;
	sigset_t pm;
	sigemptyset(&pm);
	sigaddset(&pm, SIGUSR2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(ppoll(&f, 1, &ts, &pm), 0, "ppoll with a mask times out");
	ok(ms_since(&t0) >= 19, "after 20 ms");
	sigprocmask(SIG_SETMASK, NULL, &now);
	ok(sigismember(&now, SIGUSR1) && !sigismember(&now, SIGUSR2), "mask restored after ppoll");
	write(p[1], "x", 1);
	ts.tv_sec = 1;
	ts.tv_nsec = 0;
	is_int(ppoll(&f, 1, &ts, &pm), 1, "ppoll sees data");
	struct timespec raw = { 1, 0 };
	is_int(syscall(SYS_ppoll, &f, 1, &raw, NULL, 8), 1, "raw ppoll sees data");
	ok(raw.tv_sec == 0 || (raw.tv_sec == 1 && raw.tv_nsec == 0), "raw ppoll writes back the time left");
	is_int(ppoll(&f, 1, NULL, NULL), 1, "ppoll without timeout or mask");
	ts.tv_nsec = 1000000000;
	is_errno(ppoll(&f, 1, &ts, NULL), EINVAL, "ppoll with tv_nsec 1e9 -> EINVAL");
	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	is_errno(syscall(SYS_ppoll, &f, 1, &ts, &pm, 4), EINVAL, "ppoll sigsetsize 4 -> EINVAL");
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[0]);
	close(p[1]);
}

static void test_select(void)
{
	int p[2];
	fd_set r, w;
	struct timeval tv = { 0, 0 };

	pipe(p);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	is_int(select(p[1] + 1, &r, &w, NULL, &tv), 1, "select: only the write end is ready");
	ok(!FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w), "the right bits");

	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv.tv_sec = 0;
	tv.tv_usec = 20000;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(select(p[0] + 1, &r, NULL, NULL, &tv), 0, "select times out after 20 ms");
	ok(ms_since(&t0) >= 19, "waited");
	ok(!FD_ISSET(p[0], &r), "set cleared on timeout");

	write(p[1], "x", 1);
	FD_SET(p[0], &r);
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	is_int(select(p[1] + 1, &r, &w, NULL, NULL), 2, "select: both ready");
	ok(FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w), "both bits");

	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timespec ts = { 0, 0 };
	sigset_t m;
	sigemptyset(&m);
	is_int(pselect(p[0] + 1, &r, NULL, NULL, &ts, &m), 1, "pselect with a mask");

	close(p[1]);
	char c;
	read(p[0], &c, 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	is_int(select(p[0] + 1, &r, NULL, NULL, NULL), 1, "EOF is readable for select");

	int bad = p[1];
	FD_ZERO(&r);
	FD_SET(bad, &r);
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	is_errno(select(bad + 1, &r, NULL, NULL, &tv), EBADF, "select on a closed fd -> EBADF");
	is_errno(select(-1, NULL, NULL, NULL, &tv), EINVAL, "select nfds -1 -> EINVAL");
	tv.tv_sec = -1;
	is_errno(select(0, NULL, NULL, NULL, &tv), EINVAL, "select negative timeout -> EINVAL");
	is_errno(select(p[0] + 1, (void *)8, NULL, NULL, NULL), EFAULT, "select bad set -> EFAULT");
	tv.tv_sec = 0;
	is_int(select(0, NULL, NULL, NULL, &tv), 0, "select of nothing");
	close(p[0]);
}

static void test_epoll(void)
{
	int p[2], e = eventfd(0, EFD_NONBLOCK);
	struct epoll_event ev, out[4];
	uint64_t v = 1;

	pipe(p);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	ok(ep >= 0, "epoll_create1(EPOLL_CLOEXEC)");
	is_int(fcntl(ep, F_GETFD), FD_CLOEXEC, "EPOLL_CLOEXEC sets FD_CLOEXEC");
	is_errno(epoll_create(0), EINVAL, "epoll_create(0) -> EINVAL");
	is_errno(epoll_create1(1), EINVAL, "epoll_create1 unknown flag -> EINVAL");
	ev.events = EPOLLIN;
	ev.data.u64 = 100;
	is_int(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0, "add the read end");
	is_errno(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST, "add twice -> EEXIST");
	is_errno(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), ENOENT, "mod a missing fd -> ENOENT");
	is_errno(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL, "add itself -> EINVAL");
	is_errno(epoll_ctl(ep, EPOLL_CTL_ADD, 99, &ev), EBADF, "add a closed fd -> EBADF");
	is_errno(epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev), EINVAL, "epfd not an epoll -> EINVAL");
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = 200;
	is_int(epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev), 0, "add an eventfd, one-shot");

	is_int(epoll_wait(ep, out, 4, 0), 0, "nothing ready");
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(epoll_wait(ep, out, 4, 20), 0, "epoll_wait times out");
	ok(ms_since(&t0) >= 19, "after 20 ms");
	write(p[1], "x", 1);
	is_int(epoll_wait(ep, out, 4, -1), 1, "pipe readable");
	ok(out[0].events == EPOLLIN && out[0].data.u64 == 100, "events and data");
	is_int(epoll_wait(ep, out, 4, 0), 1, "level-triggered: still readable");
	write(e, &v, 8);
	is_int(epoll_wait(ep, out, 4, 0), 2, "both ready");
	is_int(epoll_wait(ep, out, 4, 0), 1, "one-shot item reported once");
	ok(out[0].data.u64 == 100, "only the pipe now");
	ev.events = EPOLLIN;
	ev.data.u64 = 300;
	is_int(epoll_ctl(ep, EPOLL_CTL_MOD, e, &ev), 0, "re-arm with MOD");
	is_int(epoll_wait(ep, out, 1, 0), 1, "maxevents 1 returns one");
	is_int(epoll_wait(ep, out, 4, 0), 2, "re-armed item reported again");
	is_errno(epoll_wait(ep, out, 0, 0), EINVAL, "maxevents 0 -> EINVAL");
	is_errno(epoll_wait(p[0], out, 1, 0), EINVAL, "epoll_wait on a pipe -> EINVAL");

	struct pollfd pf = { .fd = ep, .events = POLLIN };
	is_int(poll(&pf, 1, 0), 1, "an epoll fd with ready items polls readable");
	is_int(epoll_ctl(ep, EPOLL_CTL_DEL, e, NULL), 0, "delete the eventfd");
	is_errno(epoll_ctl(ep, EPOLL_CTL_DEL, e, NULL), ENOENT, "delete again -> ENOENT");
	char c;
	read(p[0], &c, 1);
	is_int(poll(&pf, 1, 0), 0, "nothing ready: epoll fd not readable");
	close(p[1]);
	is_int(epoll_wait(ep, out, 4, 0), 1, "writer closed");
	is_int(out[0].events, EPOLLHUP, "EPOLLHUP without asking");
	sigset_t m;
	sigemptyset(&m);
	is_int(epoll_pwait(ep, out, 4, 0, &m), 1, "epoll_pwait with a mask");
	close(p[0]);
	is_int(epoll_wait(ep, out, 4, 0), 0, "closing the fd removes the item");
	close(e);
	close(ep);
}

int main(void)
{
	test_poll();
	test_eventfd_poll();
	test_ppoll();
	test_select();
	test_epoll();
	return done_testing();
}
