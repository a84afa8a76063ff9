/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AF_UNIX datagram and seqpacket sockets: record boundaries, MSG_TRUNC/MSG_PEEK, named and
 * abstract destinations, sender addresses, connect/disconnect, ECONNREFUSED/EPERM/ENOTCONN,
 * autobind with SO_PASSCRED, EMSGSIZE, non-blocking fill, shutdown, sendmmsg/recvmmsg,
 * SCM_RIGHTS, and seqpacket connections across fork.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
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

static socklen_t path_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s", dir, name);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "sbx-%d-%s", (int)getpid(), name);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static void test_records(int type, const char *tn)
{
	int sv[2];
	char buf[64];
	struct iovec iov = { buf, 4 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	is_int(socketpair(AF_UNIX, type, 0, sv), 0, "%s socketpair", tn);
	send(sv[0], "a", 1, 0);
	send(sv[0], "bb", 2, 0);
	send(sv[0], "ccc", 3, 0);
	send(sv[0], "", 0, 0);
	is_int(recv(sv[1], buf, sizeof buf, 0), 1, "%s: one record per recv (1)", tn);
	is_int(recv(sv[1], buf, sizeof buf, MSG_PEEK), 2, "%s: MSG_PEEK keeps the record", tn);
	is_int(recv(sv[1], buf, sizeof buf, 0), 2, "%s: (2)", tn);
	is_int(read(sv[1], buf, sizeof buf), 3, "%s: read(2) takes one record (3)", tn);
	is_int(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), 0, "%s: an empty record", tn);
	is_errno(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "%s: then EAGAIN", tn);

	send(sv[0], "0123456789", 10, 0);
	is_int(recvmsg(sv[1], &mh, 0), 4, "%s: a short buffer gets the start", tn);
	ok(mh.msg_flags & MSG_TRUNC, "%s: MSG_TRUNC in msg_flags", tn);
	ok(!memcmp(buf, "0123", 4), "%s: data", tn);
	is_errno(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "%s: the rest is discarded", tn);
	send(sv[0], "0123456789", 10, 0);
	is_int(recv(sv[1], buf, 4, MSG_TRUNC), 10, "%s: MSG_TRUNC returns the real length", tn);

	int v;
	socklen_t len = sizeof(v);
	getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len);
	is_int(v, type, "%s: SO_TYPE", tn);
	v = 8192;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	static char big[20000];
	is_errno(send(sv[0], big, sizeof big, 0), EMSGSIZE, "%s: a record larger than SO_SNDBUF", tn);

	/* Fill without blocking, then drain. */
	int n = 0;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	while (send(sv[0], big, 1000, 0) == 1000 && n < 100000)
		n++;
	is_int(errno, EAGAIN, "%s: a full queue gives EAGAIN", tn);
	ok(n > 2, "%s: after some records", tn);
	struct pollfd p = { sv[0], POLLOUT, 0 };
	is_int(poll(&p, 1, 0), 0, "%s: not writable while full", tn);
	int m = 0;
	while (recv(sv[1], big, sizeof big, MSG_DONTWAIT) == 1000)
		m++;
	is_int(m, n, "%s: every record comes back", tn);
	is_int(poll(&p, 1, 0), 1, "%s: writable again", tn);

	/* shutdown(SHUT_RD): reads end, senders get EPIPE (no SIGPIPE on datagrams). */
	is_int(shutdown(sv[1], SHUT_RD), 0, "%s: SHUT_RD", tn);
	is_int(recv(sv[1], buf, sizeof buf, 0), 0, "%s: recv after SHUT_RD: 0", tn);
	sigpipes = 0;
	is_errno(send(sv[0], "x", 1, 0), EPIPE, "%s: send to a SHUT_RD socket: EPIPE", tn);
	is_int(sigpipes, 0, "%s: no SIGPIPE", tn);
	close(sv[0]);
	close(sv[1]);
}

static void test_named_dgram(void)
{
	struct sockaddr_un a, b, from;
	socklen_t alen = path_addr(&a, "d.sock"), blen = path_addr(&b, "e.sock"), flen;
	int r = socket(AF_UNIX, SOCK_DGRAM, 0), s = socket(AF_UNIX, SOCK_DGRAM, 0);
	char buf[32];

	is_int(bind(r, (struct sockaddr *)&a, alen), 0, "bind a datagram socket");
	is_int(sendto(s, "anon", 4, 0, (struct sockaddr *)&a, alen), 4, "sendto from an unbound socket");
	flen = sizeof(from);
	is_int(recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen), 4, "recvfrom");
	is_int(flen, 0, "unbound sender: no address");
	bind(s, (struct sockaddr *)&b, blen);
	sendto(s, "named", 5, 0, (struct sockaddr *)&a, alen);
	flen = sizeof(from);
	recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
	ok(flen == blen && !strcmp(from.sun_path, b.sun_path), "the sender's path");
	is_errno(send(s, "x", 1, 0), ENOTCONN, "send without a destination: ENOTCONN");
	is_int(connect(s, (struct sockaddr *)&a, alen), 0, "connect sets the destination");
	is_int(send(s, "conn", 4, 0), 4, "send to it");
	flen = sizeof(from);
	is_int(getpeername(s, (struct sockaddr *)&from, &flen), 0, "getpeername");
	ok(!strcmp(from.sun_path, a.sun_path), "peer path");
	recv(r, buf, sizeof buf, 0);
	struct sockaddr uns = { .sa_family = AF_UNSPEC };
	is_int(connect(s, &uns, sizeof(uns)), 0, "AF_UNSPEC dissolves it");
	flen = sizeof(from);
	is_errno(getpeername(s, (struct sockaddr *)&from, &flen), ENOTCONN, "no peer");

	/* A socket connected elsewhere accepts nothing from us: EPERM. */
	int t = socket(AF_UNIX, SOCK_DGRAM, 0);
	connect(r, (struct sockaddr *)&b, blen);
	is_errno(sendto(t, "x", 1, 0, (struct sockaddr *)&a, alen), EPERM, "receiver connected elsewhere: EPERM");
	is_int(sendto(s, "ok", 2, 0, (struct sockaddr *)&a, alen), 2, "its peer may send");
	recv(r, buf, sizeof buf, 0);

	/* The destination closes: ECONNREFUSED, then the connection is gone. */
	connect(t, (struct sockaddr *)&b, blen);
	close(s);
	is_errno(send(t, "x", 1, 0), ECONNREFUSED, "connected peer closed: ECONNREFUSED");
	is_errno(send(t, "x", 1, 0), ENOTCONN, "then ENOTCONN");
	is_errno(sendto(t, "x", 1, 0, (struct sockaddr *)&b, blen), ECONNREFUSED, "to its stale path: ECONNREFUSED");
	unlink(b.sun_path);
	is_errno(sendto(t, "x", 1, 0, (struct sockaddr *)&b, blen), ENOENT, "unlinked path: ENOENT");
	close(t);
	close(r);
	unlink(a.sun_path);

	/* Abstract names, autobind through SO_PASSCRED, credentials. */
	struct sockaddr_un ab;
	socklen_t ablen = abstract_addr(&ab, "dg");
	r = socket(AF_UNIX, SOCK_DGRAM, 0);
	is_int(bind(r, (struct sockaddr *)&ab, ablen), 0, "bind an abstract datagram name");
	int v = 1;
	setsockopt(r, SOL_SOCKET, SO_PASSCRED, &v, sizeof(v));
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	setsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, sizeof(v));
	pid_t c = fork();
	if (c == 0) {
		sendto(s, "abs", 3, 0, (struct sockaddr *)&ab, ablen);
		_exit(0);
	}
	char cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { buf, sizeof buf };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			     .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	is_int(recvmsg(r, &mh, 0), 3, "datagram to an abstract name");
	is_int(mh.msg_namelen, 8, "the SO_PASSCRED sender was autobound");
	is_int(from.sun_path[0], 0, "to an abstract name");
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	ok(cm && cm->cmsg_type == SCM_CREDENTIALS, "SCM_CREDENTIALS");
	if (cm) {
		struct ucred uc;
		memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
		ok(uc.pid == c, "pid == the child's pid");
		ok(uc.uid == getuid(), "uid");
	}
	waitpid(c, NULL, 0);
	close(s);
	close(r);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	is_errno(sendto(s, "x", 1, 0, (struct sockaddr *)&ab, ablen), ECONNREFUSED, "abstract name gone: ECONNREFUSED");
	close(s);
}

static void test_mmsg_and_rights(void)
{
	int sv[2], p[2];
	char b[3][8];
	struct iovec iov[3] = { { "one", 3 }, { "two!", 4 }, { "3", 1 } };
	struct mmsghdr mm[3];

	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	is_int(sendmmsg(sv[0], mm, 3, 0), 3, "sendmmsg three");
	is_int(mm[1].msg_len, 4, "msg_len set");
	struct iovec riov[3] = { { b[0], 8 }, { b[1], 8 }, { b[2], 8 } };
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_iov = &riov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	is_int(recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL), 3, "recvmmsg three");
	ok(mm[0].msg_len == 3 && mm[1].msg_len == 4 && mm[2].msg_len == 1, "lengths");
	ok(!memcmp(b[1], "two!", 4), "data");
	is_errno(recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL), EAGAIN, "recvmmsg on empty");

	/* A pipe end over a datagram socket to a child. */
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		char cbuf[CMSG_SPACE(sizeof(int))], d[4];
		struct iovec io = { d, sizeof d };
		struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof cbuf };
		close(p[1]);
		if (recvmsg(sv[1], &mh, 0) != 1)
			_exit(1);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		int fd;
		if (!cm || cm->cmsg_type != SCM_RIGHTS)
			_exit(2);
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		_exit(write(fd, "hi", 2) == 2 ? 0 : 3);
	}
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec io = { "R", 1 };
	struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
	is_int(sendmsg(sv[0], &mh, 0), 1, "send a pipe write end as a datagram");
	close(p[1]);
	int st;
	waitpid(c, &st, 0);
	is_int(WEXITSTATUS(st), 0, "the child wrote through it");
	char got[4];
	is_int(read(p[0], got, sizeof got), 2, "the parent reads the child's write");
	is_int(read(p[0], got, sizeof got), 0, "EOF: the only write end went with the child");
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

static void test_seqpacket_conn(void)
{
	struct sockaddr_un a;
	socklen_t alen = path_addr(&a, "sp.sock");
	int l = socket(AF_UNIX, SOCK_SEQPACKET, 0), st;
	char buf[16];

	is_errno(send(l, "x", 1, 0), ENOTCONN, "seqpacket: send unconnected");
	is_errno(recv(l, buf, sizeof buf, MSG_DONTWAIT), ENOTCONN, "seqpacket: recv unconnected");
	bind(l, (struct sockaddr *)&a, alen);
	is_int(listen(l, 2), 0, "seqpacket listen");
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	is_errno(listen(d, 1), EOPNOTSUPP, "datagram listen: EOPNOTSUPP");
	close(d);
	pid_t c = fork();
	if (c == 0) {
		int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		if (connect(s, (struct sockaddr *)&a, alen) < 0)
			_exit(1);
		send(s, "rec1", 4, 0);
		send(s, "record2", 7, 0);
		_exit(0);
	}
	int s = accept(l, NULL, NULL);
	ok(s >= 0, "seqpacket accept");
	is_int(recv(s, buf, sizeof buf, 0), 4, "first record");
	is_int(recv(s, buf, sizeof buf, 0), 7, "second record");
	waitpid(c, &st, 0);
	is_int(recv(s, buf, sizeof buf, 0), 0, "peer gone: 0");
	sigpipes = 0;
	is_errno(send(s, "x", 1, 0), EPIPE, "send to a closed seqpacket peer: EPIPE");
	is_errno(write(s, "x", 1), EPIPE, "write(2) too");
	is_int(sigpipes, 0, "without SIGPIPE");
	close(s);
	close(l);
	unlink(a.sun_path);
}

/* A path filling all 108 bytes of sun_path, without a NUL. */
static void test_long_path(void)
{
	struct sockaddr_un a, got;
	char rel[sizeof(a.sun_path) + 1];
	int s = socket(AF_UNIX, SOCK_DGRAM, 0), t = socket(AF_UNIX, SOCK_DGRAM, 0);
	socklen_t len;
	char buf[4];

	if (chdir(dir) < 0)
		return;
	memset(rel, 'p', sizeof(a.sun_path));
	rel[sizeof(a.sun_path)] = 0;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, rel, sizeof(a.sun_path));
	is_int(bind(s, (struct sockaddr *)&a, sizeof(a)), 0, "bind a 108-byte path");
	struct sockaddr_storage ss;
	len = sizeof(ss);
	getsockname(s, (struct sockaddr *)&ss, &len);
	is_int(len, sizeof(a) + 1, "getsockname: family + 108 + NUL");
	memcpy(&got, &ss, sizeof(got));
	ok(!memcmp(got.sun_path, rel, sizeof(got.sun_path)), "the name");
	is_int(sendto(t, "L", 1, 0, (struct sockaddr *)&a, sizeof(a)), 1, "sendto it");
	is_int(recv(s, buf, sizeof buf, 0), 1, "received");
	unlink(rel);
	close(s);
	close(t);
	chdir("/");
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };
	sigaction(SIGPIPE, &sa, NULL);
	strcpy(dir, "/tmp/unixdXXXXXX");
	if (!mkdtemp(dir))
		return 2;
	int raw = socket(AF_UNIX, SOCK_RAW, 0), v;
	socklen_t vl = sizeof(v);
	ok(raw >= 0, "AF_UNIX SOCK_RAW is accepted");
	getsockopt(raw, SOL_SOCKET, SO_TYPE, &v, &vl);
	is_int(v, SOCK_DGRAM, "as SOCK_DGRAM");
	close(raw);
	is_errno(socket(AF_UNIX, 9, 5), EPROTONOSUPPORT, "the protocol is checked before the type");
	test_records(SOCK_DGRAM, "dgram");
	test_records(SOCK_SEQPACKET, "seqpacket");
	test_named_dgram();
	test_mmsg_and_rights();
	test_seqpacket_conn();
	test_long_path();
	rmdir(dir);
	return done_testing();
}
