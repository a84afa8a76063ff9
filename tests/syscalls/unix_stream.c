/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AF_UNIX stream sockets: socketpair, named and abstract listen/connect/accept across fork,
 * SCM_RIGHTS (pipe and file fds), SCM_CREDENTIALS and SO_PEERCRED, non-blocking I/O,
 * shutdown, MSG_PEEK/WAITALL, EPIPE with SIGPIPE, ECONNRESET, poll, options, names.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"

static volatile int sigpipes;
static char dir[64];

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static void msleep(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

static socklen_t path_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s", dir, name);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1);
}

/* An abstract name unique to this run (never printed). */
static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "sbx-%d-%s", (int)getpid(), name);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int send_fds(int s, const char *data, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { (void *)data, strlen(data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = CMSG_SPACE(sizeof(int) * n) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	memset(cbuf, 0, sizeof(cbuf));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	return (int)sendmsg(s, &mh, 0);
}

/* Receive up to @max fds with a control buffer for @room of them; returns the count. */
static int recv_fds(int s, char *data, size_t dlen, int *fds, int room, int *mflags, ssize_t *got)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { data, dlen };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = room ? CMSG_LEN(sizeof(int) * room) : 0 };
	int n = 0;

	*got = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);
	*mflags = mh.msg_flags;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(c), sizeof(int) * n);
		}
	return n;
}

static void test_pair(void)
{
	int sv[2], v;
	char buf[64];
	socklen_t len;
	struct sockaddr_un a;

	is_int(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0, "socketpair");
	is_int(write(sv[0], "hello", 5), 5, "write");
	is_int(read(sv[1], buf, sizeof buf), 5, "read gets it");
	ok(!memcmp(buf, "hello", 5), "echo data");
	is_int(send(sv[1], "back", 4, 0), 4, "send the other way");
	is_int(recv(sv[0], buf, sizeof buf, 0), 4, "recv");
	len = sizeof(v);
	getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len);
	is_int(v, SOCK_STREAM, "SO_TYPE");
	getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &len);
	is_int(v, AF_UNIX, "SO_DOMAIN");
	getsockopt(sv[0], SOL_SOCKET, SO_PROTOCOL, &v, &len);
	is_int(v, 0, "SO_PROTOCOL");
	getsockopt(sv[0], SOL_SOCKET, SO_ACCEPTCONN, &v, &len);
	is_int(v, 0, "SO_ACCEPTCONN on a connected socket");
	v = 4096;
	is_int(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0, "SO_SNDBUF set");
	getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &len);
	is_int(v, 8192, "SO_SNDBUF reads back doubled");
	v = 1;
	is_int(setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), 0, "SO_REUSEADDR accepted");
	is_errno(getsockopt(sv[0], SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT, "unknown option");
	is_errno(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, 2), EINVAL, "short optlen");
	len = sizeof(a);
	is_int(getsockname(sv[0], (struct sockaddr *)&a, &len), 0, "getsockname of a pair end");
	is_int(len, 2, "unnamed: the family alone");
	is_int(a.sun_family, AF_UNIX, "family");
	len = sizeof(a);
	is_int(getpeername(sv[0], (struct sockaddr *)&a, &len), 0, "getpeername");
	is_int(len, 2, "peer unnamed too");

	/* MSG_PEEK, FIONREAD, multi-piece reads. */
	send(sv[0], "abc", 3, 0);
	send(sv[0], "def", 3, 0);
	ioctl(sv[1], FIONREAD, &v);
	is_int(v, 6, "FIONREAD counts every queued byte");
	is_int(recv(sv[1], buf, 2, MSG_PEEK), 2, "MSG_PEEK 2");
	ok(!memcmp(buf, "ab", 2), "peeked data");
	is_int(recv(sv[1], buf, sizeof buf, MSG_PEEK), 6, "MSG_PEEK reads across writes");
	is_int(recv(sv[1], buf, 4, 0), 4, "recv 4 of 6");
	ok(!memcmp(buf, "abcd", 4), "stream data joins writes");
	is_int(recv(sv[1], buf, sizeof buf, 0), 2, "the rest");
	is_errno(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "MSG_DONTWAIT on empty");

	/* readv/writev-style msghdr with two vectors. */
	struct iovec iov[2] = { { "12", 2 }, { "345", 3 } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	is_int(sendmsg(sv[0], &mh, 0), 5, "sendmsg two vectors");
	char b1[3], b2[3];
	struct iovec riov[2] = { { b1, 3 }, { b2, 3 } };
	struct msghdr rmh = { .msg_iov = riov, .msg_iovlen = 2 };
	is_int(recvmsg(sv[1], &rmh, 0), 5, "recvmsg into two vectors");
	ok(!memcmp(b1, "123", 3) && !memcmp(b2, "45", 2), "scattered");
	is_int(rmh.msg_flags, 0, "no flags");
	close(sv[0]);
	close(sv[1]);
}

static void test_nonblock_and_poll(void)
{
	int sv[2], v = 1, fill = 0;
	static char chunk[4096];
	char buf[64];
	struct pollfd p;

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
	is_errno(read(sv[1], buf, sizeof buf), EAGAIN, "SOCK_NONBLOCK read on empty");
	p = (struct pollfd){ sv[1], POLLIN | POLLOUT, 0 };
	is_int(poll(&p, 1, 0), 1, "poll: writable");
	is_int(p.revents, POLLOUT, "POLLOUT only while empty");
	for (;;) {
		ssize_t n = write(sv[0], chunk, sizeof chunk);
		if (n < 0) {
			is_int(errno, EAGAIN, "a full buffer gives EAGAIN");
			break;
		}
		fill += (int)n;
		if (fill > (8 << 20))
			break;
	}
	ok(fill > 100000 && fill < (4 << 20), "the buffer holds more than 100 KB");
	p = (struct pollfd){ sv[0], POLLOUT, 0 };
	is_int(poll(&p, 1, 0), 0, "full: not writable");
	p = (struct pollfd){ sv[1], POLLIN, 0 };
	is_int(poll(&p, 1, 0), 1, "the peer is readable");
	int got = 0;
	ssize_t n;
	while ((n = read(sv[1], chunk, sizeof chunk)) > 0)
		got += (int)n;
	is_int(got, fill, "every byte comes back");
	p = (struct pollfd){ sv[0], POLLOUT, 0 };
	is_int(poll(&p, 1, 0), 1, "drained: writable again");

	/* FIONBIO turns it back to blocking; O_NONBLOCK shows in F_GETFL. */
	v = 0;
	is_int(ioctl(sv[1], FIONBIO, &v), 0, "FIONBIO off");
	is_int(fcntl(sv[1], F_GETFL) & O_NONBLOCK, 0, "F_GETFL sees it");
	v = 1;
	ioctl(sv[1], FIONBIO, &v);
	ok(fcntl(sv[1], F_GETFL) & O_NONBLOCK, "FIONBIO on");

	/* epoll sees data arrive. */
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 };
	epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
	is_int(epoll_wait(ep, &ev, 1, 0), 0, "epoll: nothing yet");
	write(sv[0], "x", 1);
	is_int(epoll_wait(ep, &ev, 1, 1000), 1, "epoll: readable");
	is_int(ev.data.u32, 7, "epoll data");
	close(ep);
	close(sv[0]);
	close(sv[1]);

	/* A blocked poll wakes when another process writes. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid_t c = fork();
	if (c == 0) {
		msleep(30);
		write(sv[1], "late", 4);
		_exit(0);
	}
	p = (struct pollfd){ sv[0], POLLIN, 0 };
	is_int(poll(&p, 1, 5000), 1, "poll wakes on the child's write");
	/* MSG_WAITALL waits for the whole request. */
	c = fork();
	if (c == 0) {
		msleep(20);
		write(sv[1], "12345", 5);
		msleep(20);
		write(sv[1], "6789", 4);
		_exit(0);
	}
	recv(sv[0], buf, 4, 0); /* "late" */
	is_int(recv(sv[0], buf, 9, MSG_WAITALL), 9, "MSG_WAITALL gathers two writes");
	ok(!memcmp(buf, "123456789", 9), "in order");
	while (wait(NULL) > 0)
		;
	close(sv[0]);
	close(sv[1]);
}

static void test_shutdown_and_close(void)
{
	int sv[2], v;
	char buf[64];
	struct pollfd p;
	socklen_t len = sizeof(v);

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	is_errno(shutdown(sv[0], 7), EINVAL, "shutdown how 7");
	write(sv[0], "last", 4);
	is_int(shutdown(sv[0], SHUT_WR), 0, "SHUT_WR");
	is_int(read(sv[1], buf, sizeof buf), 4, "data before the shutdown still arrives");
	is_int(read(sv[1], buf, sizeof buf), 0, "then EOF");
	p = (struct pollfd){ sv[1], POLLIN | POLLRDHUP, 0 };
	poll(&p, 1, 0);
	is_int(p.revents, POLLIN | POLLRDHUP, "poll: POLLIN|POLLRDHUP after the peer's SHUT_WR");
	sigpipes = 0;
	is_errno(write(sv[0], "x", 1), EPIPE, "write after SHUT_WR: EPIPE");
	is_int(sigpipes, 1, "and SIGPIPE");
	is_errno(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE, "MSG_NOSIGNAL: EPIPE");
	is_int(sigpipes, 1, "without SIGPIPE");
	is_int(write(sv[1], "rev", 3), 3, "the other direction still works");
	is_int(read(sv[0], buf, sizeof buf), 3, "read it");
	is_int(shutdown(sv[0], SHUT_RD), 0, "SHUT_RD");
	is_int(read(sv[0], buf, sizeof buf), 0, "SHUT_RD: reads see EOF");
	sigpipes = 0;
	is_errno(write(sv[1], "y", 1), EPIPE, "the peer's writes: EPIPE");
	is_int(sigpipes, 1, "with SIGPIPE");
	p = (struct pollfd){ sv[0], POLLIN | POLLOUT, 0 };
	poll(&p, 1, 0);
	ok(p.revents & POLLHUP, "both directions shut: POLLHUP");
	close(sv[0]);
	close(sv[1]);

	/* Closing the peer: EOF; closing with unread data: ECONNRESET once, then EOF. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[0], "tail", 4);
	close(sv[0]);
	is_int(read(sv[1], buf, sizeof buf), 4, "data written before close");
	is_int(read(sv[1], buf, sizeof buf), 0, "EOF after the peer closed");
	sigpipes = 0;
	is_errno(write(sv[1], "z", 1), EPIPE, "write to a closed peer: EPIPE");
	is_int(sigpipes, 1, "SIGPIPE");
	close(sv[1]);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[1], "unread", 6);
	close(sv[0]);
	getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &v, &len);
	is_int(v, ECONNRESET, "SO_ERROR: ECONNRESET when the peer closed with unread data");
	getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &v, &len);
	is_int(v, 0, "SO_ERROR clears");
	is_int(read(sv[1], buf, sizeof buf), 0, "then EOF");
	close(sv[1]);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[1], "unread", 6);
	close(sv[0]);
	is_errno(read(sv[1], buf, sizeof buf), ECONNRESET, "read: ECONNRESET");
	is_int(read(sv[1], buf, sizeof buf), 0, "once");
	close(sv[1]);
}

static void test_errors(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0), p[2];
	char buf[8];
	struct sockaddr_un a;

	is_errno(read(s, buf, sizeof buf), EINVAL, "read on an unconnected stream socket");
	is_errno(write(s, "x", 1), ENOTCONN, "write on an unconnected stream socket");
	is_errno(listen(s, 1), EINVAL, "listen unbound");
	is_errno(accept(s, NULL, NULL), EINVAL, "accept on a non-listening socket");
	socklen_t len = sizeof(a);
	is_errno(getpeername(s, (struct sockaddr *)&a, &len), ENOTCONN, "getpeername unconnected");
	pipe(p);
	is_errno(getsockname(p[0], (struct sockaddr *)&a, &len), ENOTSOCK, "ENOTSOCK on a pipe");
	is_errno(socket(AF_UNIX, SOCK_STREAM, 5), EPROTONOSUPPORT, "protocol 5");
	is_errno(socket(AF_UNIX, 9, 0), ESOCKTNOSUPPORT, "type 9");
	is_errno(socket(AF_UNIX, SOCK_STREAM | 0x100, 0), EINVAL, "bad type flags");
	is_errno(accept4(s, NULL, NULL, 0x1), EINVAL, "bad accept4 flags");
	a.sun_family = AF_INET;
	is_errno(bind(s, (struct sockaddr *)&a, 8), EINVAL, "bind: wrong family");
	is_errno(bind(s, (struct sockaddr *)&a, 1), EINVAL, "bind: short address");
	close(p[0]);
	close(p[1]);
	close(s);
}

static void test_named(void)
{
	struct sockaddr_un a, got;
	socklen_t alen = path_addr(&a, "srv.sock"), len;
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), v, st;
	struct stat sb;
	char buf[64];

	umask(022);
	is_int(bind(l, (struct sockaddr *)&a, alen), 0, "bind to a path");
	is_int(stat(a.sun_path, &sb), 0, "the path exists");
	ok(S_ISSOCK(sb.st_mode), "as a socket");
	is_int(sb.st_mode & 0777, 0755, "mode 0777 & ~umask");
	is_errno(open(a.sun_path, O_RDWR), ENXIO, "open(2) of a socket: ENXIO");
	int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
	is_errno(bind(l2, (struct sockaddr *)&a, alen), EADDRINUSE, "bind to an existing path");
	is_errno(bind(l, (struct sockaddr *)&a, alen), EADDRINUSE, "bind again to the same path");
	struct sockaddr_un a2;
	socklen_t a2len = path_addr(&a2, "other.sock");
	is_errno(bind(l, (struct sockaddr *)&a2, a2len), EINVAL, "bind a bound socket elsewhere");
	is_errno(access(a2.sun_path, F_OK), ENOENT, "no node left behind");
	len = sizeof(got);
	getsockname(l, (struct sockaddr *)&got, &len);
	is_int(len, alen, "getsockname length: family + path + NUL");
	ok(!strcmp(got.sun_path, a.sun_path), "getsockname path");
	is_int(listen(l, 5), 0, "listen");
	len = sizeof(v);
	getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &len);
	is_int(v, 1, "SO_ACCEPTCONN");
	is_errno(connect(l2, (struct sockaddr *)&a, alen) == 0 ? connect(l, (struct sockaddr *)&a, alen) : -1,
		 EINVAL, "connect on a listening socket");
	close(l2);
	struct pollfd p = { l, POLLIN, 0 };
	is_int(poll(&p, 1, 0), 1, "the listener is readable: one connection pending");
	int pending = accept(l, NULL, NULL);
	ok(pending >= 0, "accept the pending one");
	close(pending);
	is_int(poll(&p, 1, 0), 0, "nothing pending");

	pid_t c = fork();
	if (c == 0) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un pa;
		socklen_t pl = sizeof(pa);
		if (connect(s, (struct sockaddr *)&a, alen) < 0)
			_exit(1);
		getpeername(s, (struct sockaddr *)&pa, &pl);
		if (pl != alen || strcmp(pa.sun_path, a.sun_path))
			_exit(2);
		struct ucred uc;
		socklen_t ul = sizeof(uc);
		getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul);
		if (uc.pid != getppid())
			_exit(3); /* the listener's credentials, from listen() */
		write(s, "ping", 4);
		if (read(s, buf, sizeof buf) != 4 || memcmp(buf, "pong", 4))
			_exit(4);
		_exit(0);
	}
	len = sizeof(got);
	int s = accept4(l, (struct sockaddr *)&got, &len, SOCK_CLOEXEC);
	ok(s >= 0, "accept4 the child's connection");
	is_int(len, 2, "the client is unnamed");
	ok(fcntl(s, F_GETFD) & FD_CLOEXEC, "SOCK_CLOEXEC");
	struct ucred uc;
	len = sizeof(uc);
	is_int(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &len), 0, "SO_PEERCRED");
	is_int(len, sizeof(uc), "ucred size");
	ok(uc.pid == c, "peer pid is the child's");
	ok(uc.uid == geteuid() && uc.gid == getegid(), "peer ids");
	len = sizeof(got);
	getsockname(s, (struct sockaddr *)&got, &len);
	ok(len == alen && !strcmp(got.sun_path, a.sun_path), "accepted socket is named as the listener");
	is_int(read(s, buf, sizeof buf), 4, "read the child's ping");
	write(s, "pong", 4);
	waitpid(c, &st, 0);
	is_int(WEXITSTATUS(st), 0, "the child connected, saw the peer name and creds, got pong");
	close(s);

	/* Backlog: listen(1) admits two pending connections; the third is EAGAIN. */
	listen(l, 1);
	int cs[3], n = 0;
	for (int i = 0; i < 3; i++) {
		cs[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(cs[i], (struct sockaddr *)&a, alen) == 0)
			n++;
		else
			is_int(errno, EAGAIN, "non-blocking connect to a full backlog: EAGAIN");
	}
	is_int(n, 2, "backlog 1 admits two");
	/* A blocking connect waits until accept makes room. */
	c = fork();
	if (c == 0) {
		int s3 = socket(AF_UNIX, SOCK_STREAM, 0);
		_exit(connect(s3, (struct sockaddr *)&a, alen) == 0 ? 0 : 1);
	}
	msleep(50);
	is_int(waitpid(c, &st, WNOHANG), 0, "the blocking connect is still waiting");
	close(accept(l, NULL, NULL));
	waitpid(c, &st, 0);
	is_int(WEXITSTATUS(st), 0, "it completes after an accept");
	for (int i = 0; i < 3; i++)
		close(cs[i]);

	/* The listener closes: ECONNREFUSED; unlinked: ENOENT. */
	close(l);
	int s4 = socket(AF_UNIX, SOCK_STREAM, 0);
	is_errno(connect(s4, (struct sockaddr *)&a, alen), ECONNREFUSED, "listener closed: ECONNREFUSED");
	is_int(unlink(a.sun_path), 0, "unlink the socket path");
	is_errno(connect(s4, (struct sockaddr *)&a, alen), ENOENT, "unlinked: ENOENT");
	/* Not a socket; a socket of another type. */
	struct sockaddr_un f;
	socklen_t flen = path_addr(&f, "plain");
	close(open(f.sun_path, O_CREAT | O_WRONLY, 0644));
	is_errno(connect(s4, (struct sockaddr *)&f, flen), ECONNREFUSED, "a regular file: ECONNREFUSED");
	unlink(f.sun_path);
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	bind(d, (struct sockaddr *)&a, alen);
	is_errno(connect(s4, (struct sockaddr *)&a, alen), EPROTOTYPE, "a datagram socket: EPROTOTYPE");
	close(d);
	unlink(a.sun_path);
	is_errno(connect(s4, (struct sockaddr *)&a, alen), ENOENT, "gone again");
	/* Rebinding a new socket after unlink works while the old one stays named. */
	close(s4);
}

static void test_abstract(void)
{
	struct sockaddr_un a, got;
	socklen_t alen = abstract_addr(&a, "abs"), len;
	int l = socket(AF_UNIX, SOCK_STREAM, 0), st;
	char buf[16];

	is_int(bind(l, (struct sockaddr *)&a, alen), 0, "bind an abstract name");
	len = sizeof(got);
	getsockname(l, (struct sockaddr *)&got, &len);
	ok(len == alen && !memcmp(&got, &a, alen), "getsockname: the exact abstract name");
	int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
	is_errno(bind(l2, (struct sockaddr *)&a, alen), EADDRINUSE, "abstract name in use");
	close(l2);
	listen(l, 4);
	pid_t c = fork();
	if (c == 0) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&a, alen) < 0)
			_exit(1);
		write(s, "abstract", 8);
		_exit(0);
	}
	int s = accept(l, NULL, NULL);
	is_int(read(s, buf, sizeof buf), 8, "data over an abstract-name connection");
	waitpid(c, &st, 0);
	is_int(WEXITSTATUS(st), 0, "the child connected");
	close(s);
	close(l);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	is_errno(connect(s, (struct sockaddr *)&a, alen), ECONNREFUSED, "the name goes with the socket");
	/* Autobind: an address of just the family. */
	struct sockaddr_un fam = { .sun_family = AF_UNIX };
	is_int(bind(s, (struct sockaddr *)&fam, sizeof(sa_family_t)), 0, "autobind");
	len = sizeof(got);
	getsockname(s, (struct sockaddr *)&got, &len);
	is_int(len, 8, "autobound: NUL and five hex digits");
	is_int(got.sun_path[0], 0, "abstract");
	close(s);
}

static void test_rights(void)
{
	int sv[2], p[2], st, fds[4], mflags;
	char buf[64];
	ssize_t got;
	char file[96];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	/* A pipe made by the child reaches the parent. */
	pid_t c = fork();
	if (c == 0) {
		close(sv[0]);
		pipe(p);
		if (send_fds(sv[1], "P", &p[0], 1) != 1)
			_exit(1);
		close(p[0]);
		write(p[1], "via pipe", 8);
		_exit(0);
	}
	is_int(recv_fds(sv[0], buf, sizeof buf, fds, 1, &mflags, &got), 1, "one fd received");
	is_int(got, 1, "with its byte");
	is_int(mflags, MSG_CMSG_CLOEXEC, "msg_flags: no MSG_CTRUNC, the MSG_CMSG_CLOEXEC asked for");
	ok(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, "MSG_CMSG_CLOEXEC");
	is_int(read(fds[0], buf, sizeof buf), 8, "read the child's pipe");
	ok(!memcmp(buf, "via pipe", 8), "pipe data");
	waitpid(c, &st, 0);
	is_int(read(fds[0], buf, sizeof buf), 0, "EOF: the child's write end is gone");
	close(fds[0]);

	/* A file opened by the parent reaches the child, sharing the offset. */
	snprintf(file, sizeof file, "%s/data", dir);
	int fd = open(file, O_CREAT | O_RDWR | O_TRUNC, 0600);
	write(fd, "file contents", 13);
	lseek(fd, 5, SEEK_SET);
	c = fork();
	if (c == 0) {
		int rf[1], mf;
		ssize_t g;
		if (recv_fds(sv[1], buf, sizeof buf, rf, 1, &mf, &g) != 1)
			_exit(1);
		if (read(rf[0], buf, 8) != 8 || memcmp(buf, "contents", 8))
			_exit(2);
		_exit(0);
	}
	is_int(send_fds(sv[0], "F", &fd, 1), 1, "send a file fd");
	waitpid(c, &st, 0);
	is_int(WEXITSTATUS(st), 0, "the child read the file from the shared offset");
	is_int(lseek(fd, 0, SEEK_CUR), 13, "the offset moved for the parent too");

	/* Too little control space: one fd arrives, MSG_CTRUNC, the other is closed. */
	pipe(p);
	int two[2] = { p[0], fd };
	is_int(send_fds(sv[0], "T", two, 2), 1, "send two fds");
	is_int(recv_fds(sv[1], buf, sizeof buf, fds, 1, &mflags, &got), 1, "room for one");
	ok(mflags & MSG_CTRUNC, "MSG_CTRUNC");
	close(fds[0]);
	/* No control buffer at all: MSG_CTRUNC. */
	send_fds(sv[0], "N", &fd, 1);
	is_int(recv_fds(sv[1], buf, sizeof buf, fds, 0, &mflags, &got), 0, "no room");
	ok(mflags & MSG_CTRUNC, "MSG_CTRUNC without a control buffer");

	/* Rights never received are closed when the socket goes: the pipe sees EOF. */
	int sv2[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv2);
	is_int(send_fds(sv2[0], "W", &p[1], 1), 1, "send a pipe's write end");
	close(p[1]);
	close(sv2[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	is_int(read(p[0], buf, sizeof buf), 0, "in-flight write end closed with the receiver");
	close(sv2[0]);
	close(p[0]);

	/* A bad fd: EBADF, nothing sent. */
	int bad = 999;
	is_errno(send_fds(sv[0], "B", &bad, 1), EBADF, "SCM_RIGHTS with a bad fd");
	close(fd);
	unlink(file);
	close(sv[0]);
	close(sv[1]);
}

static void test_creds(void)
{
	int sv[2], v = 1, st;
	char buf[16], cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, sizeof buf };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	is_int(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &v, sizeof(v)), 0, "SO_PASSCRED");
	pid_t c = fork();
	if (c == 0) {
		send(sv[1], "c", 1, 0);
		_exit(0);
	}
	waitpid(c, &st, 0);
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof cbuf;
	is_int(recvmsg(sv[0], &mh, 0), 1, "recvmsg");
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	ok(cm && cm->cmsg_type == SCM_CREDENTIALS, "SCM_CREDENTIALS arrives");
	if (cm) {
		struct ucred uc;
		memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
		ok(uc.uid == getuid() && uc.gid == getgid(), "sender's ids");
		ok(uc.pid == c, "pid == the child's pid");
	}
	/* Explicit credentials: our own pid and ids. */
	struct ucred mine = { getpid(), getuid(), getgid() };
	char sbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec siov = { "e", 1 };
	struct msghdr smh = { .msg_iov = &siov, .msg_iovlen = 1, .msg_control = sbuf,
			      .msg_controllen = sizeof sbuf };
	struct cmsghdr *sc = CMSG_FIRSTHDR(&smh);
	sc->cmsg_level = SOL_SOCKET;
	sc->cmsg_type = SCM_CREDENTIALS;
	sc->cmsg_len = CMSG_LEN(sizeof(mine));
	memcpy(CMSG_DATA(sc), &mine, sizeof(mine));
	is_int(sendmsg(sv[1], &smh, 0), 1, "sendmsg with SCM_CREDENTIALS");
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof cbuf;
	recvmsg(sv[0], &mh, 0);
	cm = CMSG_FIRSTHDR(&mh);
	if (cm) {
		struct ucred uc;
		memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
		ok(uc.pid == getpid(), "pid == sender pid");
	} else {
		ok(0, "credentials missing");
	}
	sc->cmsg_len = CMSG_LEN(sizeof(mine)) - 1;
	is_errno(sendmsg(sv[1], &smh, 0), EINVAL, "SCM_CREDENTIALS of the wrong size");
	/* Without SO_PASSCRED no credentials are delivered. */
	write(sv[0], "n", 1);
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof cbuf;
	recvmsg(sv[1], &mh, 0);
	is_int(mh.msg_controllen, 0, "no SO_PASSCRED: no control data");
	close(sv[0]);
	close(sv[1]);
}

static volatile int usr1s;

static void on_usr1(int sig)
{
	(void)sig;
	usr1s++;
}

/* A signal during a blocking recv/accept: EINTR, or a restart with SA_RESTART. */
static void test_signals(void)
{
	int sv[2], st;
	char buf[8];

	for (int restart = 0; restart < 2; restart++) {
		struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0 };
		sigaction(SIGUSR1, &sa, NULL);
		socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
		usr1s = 0;
		pid_t parent = getpid(), c = fork();
		if (c == 0) {
			msleep(40);
			kill(parent, SIGUSR1);
			msleep(40);
			write(sv[1], "data", 4);
			_exit(0);
		}
		if (restart)
			is_int(recv(sv[0], buf, sizeof buf, 0), 4,
			       "SA_RESTART: the recv restarts and gets the data");
		else
			is_errno(recv(sv[0], buf, sizeof buf, 0), EINTR, "no SA_RESTART: recv fails EINTR");
		is_int(usr1s, 1, "the handler ran");
		waitpid(c, &st, 0);
		close(sv[0]);
		close(sv[1]);
	}
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "sig");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(l, (struct sockaddr *)&a, alen);
	listen(l, 1);
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);
	pid_t parent = getpid(), c = fork();
	if (c == 0) {
		msleep(40);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	is_errno(accept(l, NULL, NULL), EINTR, "accept interrupted: EINTR");
	waitpid(c, &st, 0);
	/* With SO_RCVTIMEO the wait ends with EAGAIN. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct timeval tv = { 0, 30000 };
	is_int(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0, "SO_RCVTIMEO");
	is_errno(recv(sv[0], buf, sizeof buf, 0), EAGAIN, "SO_RCVTIMEO expires: EAGAIN");
	close(sv[0]);
	close(sv[1]);
	close(l);
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };
	sigaction(SIGPIPE, &sa, NULL);
	strcpy(dir, "/tmp/unixsXXXXXX");
	if (!mkdtemp(dir))
		return 2;
	test_pair();
	test_nonblock_and_poll();
	test_shutdown_and_close();
	test_errors();
	test_named();
	test_abstract();
	test_rights();
	test_creds();
	test_signals();
	rmdir(dir);
	return done_testing();
}
