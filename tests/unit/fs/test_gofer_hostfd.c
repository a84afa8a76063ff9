// SPDX-License-Identifier: Apache-2.0
/*
 * Fd donation from the Sentry's side against a scripted (hostile) gofer in a forked child:
 * an fd on a reply that may not carry one, two fds, and fds that are no regular file or have
 * more access than asked are refused and closed; nothing leaks into this process.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs/gofer/goferfs.h"
#include "fs/gofer/hostfd.h"

/* What the fake gofer attaches to its Rlopen, chosen by the request's fid. */
enum {
	FID_PIPE = 1,	   /* a pipe */
	FID_DIR = 2,	   /* a directory */
	FID_RDWR = 3,	   /* the file, O_RDWR (asked: O_RDONLY) */
	FID_GOOD = 4,	   /* the file, O_RDONLY */
	FID_APPEND = 5,	   /* the file, O_WRONLY|O_APPEND */
	FID_NONE = 6,	   /* nothing */
	FID_TWO = 7,	   /* two fds */
	FID_CLUNK_FD = 8,  /* Tclunk of this fid: Rclunk with an fd */
};

static char file_path[64];

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int fake_fds_for(uint32_t fid, int fds[2])
{
	int p[2];

	switch (fid) {
	case FID_PIPE:
		if (pipe(p) < 0)
			return 0;
		close(p[1]);
		fds[0] = p[0];
		return 1;
	case FID_DIR:
		fds[0] = open("/", O_RDONLY | O_DIRECTORY);
		return 1;
	case FID_RDWR:
		fds[0] = open(file_path, O_RDWR);
		return 1;
	case FID_GOOD:
		fds[0] = open(file_path, O_RDONLY);
		return 1;
	case FID_APPEND:
		fds[0] = open(file_path, O_WRONLY | O_APPEND);
		return 1;
	case FID_TWO:
	case FID_CLUNK_FD:
		fds[0] = open(file_path, O_RDONLY);
		fds[1] = open(file_path, O_RDONLY);
		return fid == FID_TWO ? 2 : 1;
	default:
		return 0;
	}
}

static void fake_send(int sock, const uint8_t *buf, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) != (ssize_t)len)
		_exit(4);
}

/* The fake gofer: answers Tversion, Tlopen (fds by fid) and Tclunk until the socket closes. */
static void fake_serve(int sock)
{
	static uint8_t in[P9_MSIZE_DEFAULT], out[P9_MSIZE_DEFAULT];
	struct stat st;

	if (stat(file_path, &st) < 0)
		_exit(5);
	for (;;) {
		struct p9_msg req, rep = { 0 };
		uint32_t size;
		size_t len, got = 0;
		int fds[2], nfds = 0;

		while (got < 4) {
			ssize_t r = read(sock, in + got, 4 - got);
			if (r <= 0)
				_exit(0);
			got += (size_t)r;
		}
		if (p9_frame_size(in, 4, P9_MSIZE_DEFAULT, &size) < 0)
			_exit(6);
		while (got < size) {
			ssize_t r = read(sock, in + got, size - got);
			if (r <= 0)
				_exit(0);
			got += (size_t)r;
		}
		if (p9_decode(in, size, P9_MSIZE_DEFAULT, &req) < 0)
			_exit(7);
		rep.type = (uint8_t)(req.type + 1);
		rep.tag = req.tag;
		switch (req.type) {
		case P9_TVERSION:
			rep.rversion.msize = req.tversion.msize;
			rep.rversion.version = P9_STR(P9_VERSION_L);
			break;
		case P9_TLOPEN:
			rep.rlopen.qid.path = st.st_ino;
			rep.rlopen.iounit = 4096;
			nfds = fake_fds_for(req.tlopen.fid, fds);
			break;
		case P9_TCLUNK:
			nfds = fake_fds_for(req.tclunk.fid, fds);
			break;
		default:
			p9_rlerror(&rep, req.tag, -EOPNOTSUPP);
		}
		if (p9_encode(&rep, out, P9_MSIZE_DEFAULT, &len) < 0)
			_exit(8);
		fake_send(sock, out, len, fds, nfds);
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
	}
}

static pid_t fake_start(struct p9c **c)
{
	int sv[2];
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		fake_serve(sv[1]);
	}
	close(sv[1]);
	ck_assert_int_eq(p9c_new(sv[0], 0, c), 0);
	return pid;
}

static void fake_stop(struct p9c *c, pid_t pid)
{
	int status;

	p9c_put(c);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}

/* Tlopen @fid (O_RDONLY, donation asked): the rpc result, the fd in *@fd. */
static int lopen(struct p9c *c, uint32_t fid, uint32_t flags, int *fd)
{
	struct p9_msg t = { .type = P9_TLOPEN }, r;
	int e;

	t.tlopen = (struct p9_tlopen){ .fid = fid, .flags = flags };
	p9c_lock(c);
	e = p9c_rpc_fd(c, &t, &r, fd);
	p9c_unlock(c);
	return e;
}

static void setup(void)
{
	int fd;

	strcpy(file_path, "/tmp/goferfs-hostfd-XXXXXX");
	fd = mkstemp(file_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "donated", 7), 7);
	close(fd);
}

static void teardown(void)
{
	unlink(file_path);
}

/* goferfs_hostfd_check refuses every fd but a regular file with exactly the open's access. */
START_TEST(test_check)
{
	struct stat st;
	struct p9c *c;
	pid_t pid;
	int base, fd;

	ck_assert_int_eq(stat(file_path, &st), 0);
	pid = fake_start(&c);
	base = count_fds();
	ck_assert_int_eq(lopen(c, FID_PIPE, P9_OPEN_DONATE_FD, &fd), 0);
	ck_assert_int_eq(goferfs_hostfd_check(fd, O_RDONLY, st.st_ino), -EINVAL);
	close(fd);
	ck_assert_int_eq(lopen(c, FID_DIR, P9_OPEN_DONATE_FD, &fd), 0);
	ck_assert_int_eq(goferfs_hostfd_check(fd, O_RDONLY, st.st_ino), -EINVAL);
	close(fd);
	ck_assert_int_eq(lopen(c, FID_RDWR, P9_OPEN_DONATE_FD, &fd), 0);
	ck_assert_int_eq(goferfs_hostfd_check(fd, O_RDONLY, st.st_ino), -EINVAL);
	close(fd);
	ck_assert_int_eq(lopen(c, FID_APPEND, O_WRONLY | P9_OPEN_DONATE_FD, &fd), 0);
	ck_assert_int_eq(goferfs_hostfd_check(fd, O_WRONLY, st.st_ino), -EINVAL);
	close(fd);
	ck_assert_int_eq(lopen(c, FID_GOOD, P9_OPEN_DONATE_FD, &fd), 0);
	ck_assert_int_eq(goferfs_hostfd_check(fd, O_RDONLY, st.st_ino + 1), -ESTALE);
	ck_assert_int_eq(goferfs_hostfd_check(fd, O_RDONLY, st.st_ino), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	close(fd);
	ck_assert_int_eq(lopen(c, FID_NONE, P9_OPEN_DONATE_FD, &fd), 0);
	ck_assert_int_eq(fd, -1); /* declined: fine */
	ck_assert_int_eq(count_fds(), base);
	fake_stop(c, pid);
}
END_TEST

/* An fd nobody asked for, or two, is a protocol failure: -EIO, closed, connection broken. */
START_TEST(test_unexpected)
{
	struct p9_msg t = { .type = P9_TCLUNK }, r;
	struct p9c *c;
	pid_t pid;
	int base, fd;

	pid = fake_start(&c);
	base = count_fds();
	ck_assert_int_eq(lopen(c, FID_GOOD, 0, &fd), -EIO); /* not asked for */
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(lopen(c, FID_NONE, P9_OPEN_DONATE_FD, &fd), -EIO); /* broken now */
	ck_assert_int_eq(count_fds(), base);
	fake_stop(c, pid);

	pid = fake_start(&c);
	ck_assert_int_eq(lopen(c, FID_TWO, P9_OPEN_DONATE_FD, &fd), -EIO);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(count_fds(), base);
	fake_stop(c, pid);

	pid = fake_start(&c);
	t.tclunk.fid = FID_CLUNK_FD;
	ck_assert_int_eq(p9c_call(c, &t, &r), -EIO);
	ck_assert_int_eq(count_fds(), base);
	fake_stop(c, pid);
}
END_TEST

Suite *gofer_hostfd_suite(void);
Suite *gofer_hostfd_suite(void)
{
	Suite *s = suite_create("gofer_hostfd");
	TCase *tc = tcase_create("hostile");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_check);
	tcase_add_test(tc, test_unexpected);
	suite_add_tcase(s, tc);
	return s;
}
