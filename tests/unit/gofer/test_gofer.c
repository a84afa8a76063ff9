// SPDX-License-Identifier: Apache-2.0
/*
 * Gofer server: a forked gofer on a socketpair serving a temp tree, driven by the 9P codec as
 * a client. Protocol operations, escape attempts (.., symlinks, '/'), read-only mode,
 * malformed frames, and a confined (seccomp) run.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofer/gofer.h"
#include "gofer/p9/p9.h"

#define ROOT 1	/* fid of the attached root */

static char tree[64];

struct client {
	int sock;
	uint32_t msize;
	uint16_t tag;
	uint8_t buf[P9_MSIZE_DEFAULT];
};

/* A server child; its pid and our end(s). */
struct server {
	pid_t pid;
	struct client *cl[2];
};

static void put_file(const char *rel, const char *data)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(data, f);
	fclose(f);
}

static void tree_make(void)
{
	char p[256];

	strcpy(tree, "/tmp/gofer-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tree));
	put_file("a.txt", "hello world\n");
	snprintf(p, sizeof(p), "%s/d", tree);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/d/e", tree);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	put_file("d/b.txt", "inner");
	snprintf(p, sizeof(p), "%s/passwd", tree);
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/up", tree);
	ck_assert_int_eq(symlink("../../..", p), 0);
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(p);
}

static void tree_remove(void)
{
	nftw(tree, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *host_read(const char *rel, char *buf, size_t cap)
{
	char p[256];
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, cap - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return buf;
}

static int host_lstat(const char *rel, struct stat *st)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	return lstat(p, st);
}

static bool srv_no_donate; /* the next server_start()s refuse fd donation */

/* Start a gofer on @n socketpairs serving the tree. */
static void server_start(struct server *s, int n, bool readonly, bool confine)
{
	int fds[2][2], theirs[2];

	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds[i]), 0);
		theirs[i] = fds[i][1];
	}
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0) {
		int root = open(tree, O_PATH | O_DIRECTORY);
		struct gofer_config cfg = { .root_fd = root, .conn_fds = theirs, .nconns = n,
					    .readonly = readonly, .confine = confine,
					    .no_fd_donation = srv_no_donate };

		for (int i = 0; i < n; i++)
			close(fds[i][0]);
		_exit(gofer_serve(&cfg) == 0 ? 0 : 3);
	}
	for (int i = 0; i < n; i++) {
		close(fds[i][1]);
		s->cl[i] = calloc(1, sizeof(struct client));
		s->cl[i]->sock = fds[i][0];
		s->cl[i]->msize = P9_MSIZE_DEFAULT;
	}
}

/* Close our ends and return the server's wait status. */
static int server_stop(struct server *s, int n)
{
	int status;

	for (int i = 0; i < n; i++) {
		if (s->cl[i]->sock >= 0)
			close(s->cl[i]->sock);
		free(s->cl[i]);
	}
	ck_assert_int_eq(waitpid(s->pid, &status, 0), s->pid);
	return status;
}

/* fds that came (SCM_RIGHTS) with the last reply rpc() read, and how many. */
static int rx_fds[8];
static int rx_nfds;

/* Read exactly @n bytes, collecting donated fds into rx_fds. */
static int read_full(int fd, uint8_t *p, size_t n)
{
	while (n) {
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(8 * sizeof(int))];
		} ctl;
		struct iovec iov = { p, n };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
				     .msg_controllen = sizeof(ctl.buf) };
		ssize_t r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

		if (r <= 0)
			return -EPIPE;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			ck_assert_int_eq(cm->cmsg_type, SCM_RIGHTS);
			for (size_t i = 0; i < k; i++)
				memcpy(&rx_fds[rx_nfds++ & 7], CMSG_DATA(cm) + i * sizeof(int),
				       sizeof(int));
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* The one fd the last reply brought, or -1; fails the test on more than one. */
static int rx_fd(void)
{
	ck_assert_int_le(rx_nfds, 1);
	return rx_nfds ? rx_fds[0] : -1;
}

/* Send @req, receive into @rep. Return 0, -ecode for Rlerror, -EPIPE on a closed connection. */
static int rpc(struct client *c, struct p9_msg *req, struct p9_msg *rep)
{
	static uint8_t out[P9_MSIZE_DEFAULT];
	uint32_t size;
	size_t len;

	rx_nfds = 0;
	if (req->type != P9_TVERSION)
		req->tag = c->tag++ % 0xfff0;
	ck_assert_int_eq(p9_encode(req, out, c->msize, &len), 0);
	ck_assert_int_eq(write(c->sock, out, len), (ssize_t)len);
	if (read_full(c->sock, c->buf, 4) < 0)
		return -EPIPE;
	ck_assert_int_eq(p9_frame_size(c->buf, 4, c->msize, &size), 0);
	ck_assert_int_eq(read_full(c->sock, c->buf + 4, size - 4), 0);
	ck_assert_int_eq(p9_decode(c->buf, size, c->msize, rep), 0);
	ck_assert_uint_eq(rep->tag, req->tag);
	if (rep->type == P9_RLERROR)
		return -(int)rep->rlerror.ecode;
	ck_assert_uint_eq(rep->type, req->type + 1);
	return 0;
}

static void session(struct client *c)
{
	struct p9_msg req = { .type = P9_TVERSION, .tag = P9_NOTAG }, rep;

	req.tversion.msize = P9_MSIZE_DEFAULT;
	req.tversion.version = P9_STR(P9_VERSION_L);
	ck_assert_int_eq(rpc(c, &req, &rep), 0);
	ck_assert_str_eq(rep.rversion.version.len == 8 ? P9_VERSION_L : "?", P9_VERSION_L);
	c->msize = rep.rversion.msize;
	req = (struct p9_msg){ .type = P9_TATTACH };
	req.tattach = (struct p9_tattach){ .fid = ROOT, .afid = P9_NOFID, .uname = P9_STR("root"),
					   .aname = P9_STR(""), .n_uname = 0 };
	ck_assert_int_eq(rpc(c, &req, &rep), 0);
	ck_assert_uint_eq(rep.rattach.qid.type, P9_QTDIR);
}

/* Walk @fid to @newfid through the NULL-terminated names; return -errno or nwqid. */
static int walk(struct client *c, uint32_t fid, uint32_t newfid, struct p9_qid *last, ...)
{
	struct p9_msg req = { .type = P9_TWALK }, rep;
	const char *name;
	va_list ap;
	int ret;

	req.twalk.fid = fid;
	req.twalk.newfid = newfid;
	va_start(ap, last);
	while ((name = va_arg(ap, const char *)))
		req.twalk.wnames[req.twalk.nwname++] = P9_STR(name);
	va_end(ap);
	ret = rpc(c, &req, &rep);
	if (ret < 0)
		return ret;
	if (last && rep.rwalk.nwqid)
		*last = rep.rwalk.wqids[rep.rwalk.nwqid - 1];
	return rep.rwalk.nwqid;
}

static int getattr(struct client *c, uint32_t fid, struct p9_stat_dotl *st)
{
	struct p9_msg req = { .type = P9_TGETATTR }, rep;
	int ret;

	req.tgetattr = (struct p9_tgetattr){ .fid = fid, .request_mask = P9_GETATTR_ALL };
	ret = rpc(c, &req, &rep);
	if (!ret && st)
		*st = rep.rgetattr.st;
	return ret;
}

static int lopen(struct client *c, uint32_t fid, uint32_t flags)
{
	struct p9_msg req = { .type = P9_TLOPEN }, rep;

	req.tlopen = (struct p9_tlopen){ .fid = fid, .flags = flags };
	return rpc(c, &req, &rep);
}

static int readf(struct client *c, uint32_t fid, uint64_t off, char *buf, size_t cap)
{
	struct p9_msg req = { .type = P9_TREAD }, rep;
	int ret;

	req.tread = (struct p9_tread){ .fid = fid, .offset = off, .count = (uint32_t)cap - 1 };
	ret = rpc(c, &req, &rep);
	if (ret < 0)
		return ret;
	memcpy(buf, rep.rread.data, rep.rread.count);
	buf[rep.rread.count] = 0;
	return (int)rep.rread.count;
}

static int writef(struct client *c, uint32_t fid, uint64_t off, const char *data)
{
	struct p9_msg req = { .type = P9_TWRITE }, rep;
	int ret;

	req.twrite = (struct p9_twrite){ .fid = fid, .offset = off,
					 .count = (uint32_t)strlen(data),
					 .data = (const uint8_t *)data };
	ret = rpc(c, &req, &rep);
	return ret < 0 ? ret : (int)rep.rwrite.count;
}

static int clunk(struct client *c, uint32_t fid)
{
	struct p9_msg req = { .type = P9_TCLUNK }, rep;

	req.tclunk.fid = fid;
	return rpc(c, &req, &rep);
}

static int lcreate(struct client *c, uint32_t fid, const char *name, uint32_t flags)
{
	struct p9_msg req = { .type = P9_TLCREATE }, rep;

	req.tlcreate = (struct p9_tlcreate){ .fid = fid, .name = P9_STR(name), .flags = flags,
					     .mode = 0644, .gid = 0 };
	return rpc(c, &req, &rep);
}

static int mkdir9(struct client *c, uint32_t dfid, const char *name)
{
	struct p9_msg req = { .type = P9_TMKDIR }, rep;

	req.tmkdir = (struct p9_tmkdir){ .dfid = dfid, .name = P9_STR(name), .mode = 0755 };
	return rpc(c, &req, &rep);
}

static int unlinkat9(struct client *c, uint32_t dfid, const char *name, uint32_t flags)
{
	struct p9_msg req = { .type = P9_TUNLINKAT }, rep;

	req.tunlinkat = (struct p9_tunlinkat){ .dirfid = dfid, .name = P9_STR(name),
					       .flags = flags };
	return rpc(c, &req, &rep);
}

static int setattr(struct client *c, uint32_t fid, const struct p9_iattr *a)
{
	struct p9_msg req = { .type = P9_TSETATTR }, rep;

	req.tsetattr = (struct p9_tsetattr){ .fid = fid, .attr = *a };
	return rpc(c, &req, &rep);
}

static int readlink9(struct client *c, uint32_t fid, char *buf, size_t cap)
{
	struct p9_msg req = { .type = P9_TREADLINK }, rep;
	int ret;

	req.treadlink.fid = fid;
	ret = rpc(c, &req, &rep);
	if (ret < 0)
		return ret;
	return p9_str_copy(&rep.rreadlink.target, buf, cap);
}

/* Read the whole directory @fid (opened) in @count-byte replies; return how many entries and
 * whether @want was among them. */
static int readdir_all(struct client *c, uint32_t fid, uint32_t count, const char *want,
		       bool *found)
{
	uint64_t off = 0;
	int n = 0;

	*found = false;
	for (;;) {
		struct p9_msg req = { .type = P9_TREADDIR }, rep;
		struct p9_dirent d;
		struct p9_buf b;
		int got = 0;

		req.treaddir = (struct p9_treaddir){ .fid = fid, .offset = off, .count = count };
		ck_assert_int_eq(rpc(c, &req, &rep), 0);
		p9_buf_init(&b, (void *)rep.rreaddir.data, rep.rreaddir.count);
		while (p9_dirent_next(&b, &d) == 1) {
			got++;
			off = d.offset;
			if (p9_str_eq(&d.name, want))
				*found = true;
		}
		if (!got)
			return n;
		n += got;
	}
}

/* Set @name on @fid's file through a clone @xfid (Txattrcreate + Twrite + Tclunk). */
static int xattr_set(struct client *c, uint32_t fid, uint32_t xfid, const char *name,
		     const char *val, uint32_t flags)
{
	struct p9_msg req = { .type = P9_TXATTRCREATE }, rep;
	int ret = walk(c, fid, xfid, NULL, NULL);

	if (ret < 0)
		return ret;
	req.txattrcreate = (struct p9_txattrcreate){ .fid = xfid, .name = P9_STR(name),
						     .attr_size = strlen(val), .flags = flags };
	ret = rpc(c, &req, &rep);
	if (ret == 0 && *val)
		ret = writef(c, xfid, 0, val) == (int)strlen(val) ? 0 : -EIO;
	int cl = clunk(c, xfid);
	return ret < 0 ? ret : cl;
}

/* The value of @name ("": the list) of @fid's file through Txattrwalk + Tread; its size. */
static int xattr_get(struct client *c, uint32_t fid, uint32_t xfid, const char *name,
		     char *buf, size_t cap)
{
	struct p9_msg req = { .type = P9_TXATTRWALK }, rep;
	int ret;

	req.txattrwalk = (struct p9_txattrwalk){ .fid = fid, .newfid = xfid, .name = P9_STR(name) };
	ret = rpc(c, &req, &rep);
	if (ret < 0)
		return ret;
	ret = (int)rep.rxattrwalk.size;
	memset(buf, 0, cap);
	if (ret && readf(c, xfid, 0, buf, cap) != ret)
		ret = -EIO;
	clunk(c, xfid);
	return ret;
}

START_TEST(test_xattrs)
{
	struct server s;
	struct client *c;
	struct p9_msg req = { .type = P9_TXATTRCREATE }, rep;
	char buf[256], p[256];

	tree_make();
	server_start(&s, 2, false, false);
	c = s.cl[0];
	session(c);
	ck_assert_int_eq(walk(c, ROOT, 2, NULL, "a.txt", NULL), 1);
	ck_assert_int_eq(xattr_set(c, 2, 10, "user.t", "value", 0), 0);
	snprintf(p, sizeof(p), "%s/a.txt", tree);
	ck_assert_int_eq(getxattr(p, "user.t", buf, sizeof(buf)), 5); /* on the host */
	ck_assert_int_eq(xattr_get(c, 2, 11, "user.t", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "value");
	ck_assert_int_eq(xattr_set(c, 2, 12, "user.t", "x", XATTR_CREATE), -EEXIST);
	ck_assert_int_eq(xattr_set(c, 2, 13, "user.n", "x", XATTR_REPLACE), -ENODATA);
	ck_assert_int_eq(xattr_set(c, 2, 14, "user.e", "", 0), 0); /* an empty value */
	ck_assert_int_eq(xattr_get(c, 2, 15, "user.e", buf, sizeof(buf)), 0);
	ck_assert_int_eq(xattr_get(c, 2, 16, "", buf, sizeof(buf)), 14); /* "user.t\0user.e\0" */
	ck_assert_int_eq(xattr_set(c, 2, 17, "user.e", "", P9_XATTR_REMOVE), 0);
	ck_assert_int_eq(xattr_get(c, 2, 18, "user.e", buf, sizeof(buf)), -ENODATA);
	ck_assert_int_eq(xattr_set(c, 2, 19, "user.e", "", P9_XATTR_REMOVE), -ENODATA);
	/* A value shorter than announced is never set. */
	ck_assert_int_eq(walk(c, 2, 20, NULL, NULL), 0);
	req.txattrcreate = (struct p9_txattrcreate){ .fid = 20, .name = P9_STR("user.s"),
						     .attr_size = 5 };
	ck_assert_int_eq(rpc(c, &req, &rep), 0);
	ck_assert_int_eq(writef(c, 20, 0, "ab"), 2);
	ck_assert_int_eq(writef(c, 20, 0, "ab"), -EINVAL); /* out of order */
	ck_assert_int_eq(clunk(c, 20), -EINVAL);
	ck_assert_int_eq(getxattr(p, "user.s", buf, sizeof(buf)), -1);
	/* Directories yes; symlinks are never opened: no attributes. */
	ck_assert_int_eq(walk(c, ROOT, 3, NULL, "d", NULL), 1);
	ck_assert_int_eq(xattr_set(c, 3, 21, "user.d", "dir", 0), 0);
	ck_assert_int_eq(xattr_get(c, 3, 22, "user.d", buf, sizeof(buf)), 3);
	ck_assert_int_eq(walk(c, ROOT, 4, NULL, "passwd", NULL), 1);
	ck_assert_int_eq(xattr_get(c, 4, 23, "user.d", buf, sizeof(buf)), -ENODATA);
	ck_assert_int_eq(xattr_get(c, 4, 24, "", buf, sizeof(buf)), 0);
	ck_assert_int_eq(xattr_set(c, 4, 25, "user.d", "x", 0), -EOPNOTSUPP);
	/* Names are 1..255 bytes; flags are known ones. */
	ck_assert_int_eq(xattr_set(c, 2, 26, "", "x", 0), -EINVAL);
	ck_assert_int_eq(xattr_set(c, 2, 27, "user.f", "x", 0x100), -EINVAL);
	/* An xattr fid cannot be opened or read as a file; a plain fid is no xattr fid. */
	ck_assert_int_eq(readf(c, 2, 0, buf, sizeof(buf)), -EBADF);
	ck_assert_int_eq(server_stop(&s, 2), 0);

	/* A read-only server reads attributes and refuses changes. */
	server_start(&s, 1, true, false);
	c = s.cl[0];
	session(c);
	ck_assert_int_eq(walk(c, ROOT, 2, NULL, "a.txt", NULL), 1);
	ck_assert_int_eq(xattr_get(c, 2, 10, "user.t", buf, sizeof(buf)), 5);
	ck_assert_int_eq(xattr_set(c, 2, 11, "user.r", "x", 0), -EROFS);
	ck_assert_int_eq(xattr_set(c, 2, 12, "user.t", "", P9_XATTR_REMOVE), -EROFS);
	ck_assert_int_eq(server_stop(&s, 1), 0);
	tree_remove();
}
END_TEST

/* Twalkgetattr: the walk and the walked file's attributes in one reply. */
START_TEST(test_walkgetattr)
{
	struct server s;
	struct client *c;
	struct p9_msg req = { .type = P9_TWALKGETATTR }, rep;
	struct p9_stat_dotl st;

	tree_make();
	server_start(&s, 1, false, false);
	c = s.cl[0];
	session(c);
	req.twalkgetattr = (struct p9_twalk){ .fid = ROOT, .newfid = 2, .nwname = 2,
					      .wnames = { P9_STR("d"), P9_STR("b.txt") } };
	ck_assert_int_eq(rpc(c, &req, &rep), 0);
	ck_assert_uint_eq(rep.type, P9_RWALKGETATTR);
	ck_assert_uint_eq(rep.rwalkgetattr.nwqid, 2);
	ck_assert(S_ISREG(rep.rwalkgetattr.st.mode));
	ck_assert_uint_eq(rep.rwalkgetattr.st.size, 5);
	ck_assert_uint_eq(rep.rwalkgetattr.st.qid.path, rep.rwalkgetattr.wqids[1].path);
	ck_assert_int_eq(getattr(c, 2, &st), 0); /* the new fid is the walked file */
	ck_assert_uint_eq(st.qid.path, rep.rwalkgetattr.st.qid.path);
	/* A short walk: no fid, no attributes; a first name missing: an error. */
	req.twalkgetattr = (struct p9_twalk){ .fid = ROOT, .newfid = 3, .nwname = 2,
					      .wnames = { P9_STR("d"), P9_STR("nope") } };
	ck_assert_int_eq(rpc(c, &req, &rep), 0);
	ck_assert_uint_eq(rep.rwalkgetattr.nwqid, 1);
	ck_assert_uint_eq(rep.rwalkgetattr.st.valid, 0);
	ck_assert_int_eq(getattr(c, 3, NULL), -EBADF);
	req.twalkgetattr.wnames[0] = P9_STR("nope");
	ck_assert_int_eq(rpc(c, &req, &rep), -ENOENT);
	/* Escapes are refused as in Twalk. */
	req.twalkgetattr = (struct p9_twalk){ .fid = ROOT, .newfid = 4, .nwname = 1,
					      .wnames = { P9_STR("..") } };
	ck_assert_int_lt(rpc(c, &req, &rep), 0);
	ck_assert_int_eq(server_stop(&s, 1), 0);
	tree_remove();
}
END_TEST

START_TEST(test_basic_ops)
{
	struct server s;
	struct client *c;
	struct p9_stat_dotl st;
	struct p9_qid q;
	char buf[256];
	bool found;

	tree_make();
	server_start(&s, 1, false, false);
	c = s.cl[0];
	session(c);
	ck_assert_int_eq(walk(c, ROOT, 2, &q, "a.txt", NULL), 1);
	ck_assert_uint_eq(q.type, P9_QTFILE);
	ck_assert_int_eq(getattr(c, 2, &st), 0);
	ck_assert_uint_eq(st.size, 12);
	ck_assert(S_ISREG(st.mode));
	ck_assert_int_eq(lopen(c, 2, O_RDONLY), 0);
	ck_assert_int_eq(readf(c, 2, 0, buf, sizeof(buf)), 12);
	ck_assert_str_eq(buf, "hello world\n");
	ck_assert_int_eq(readf(c, 2, 6, buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "world\n");
	ck_assert_int_eq(writef(c, 2, 0, "x"), -EBADF);	/* opened read-only */
	ck_assert_int_eq(clunk(c, 2), 0);
	ck_assert_int_eq(clunk(c, 2), -EBADF);

	/* Multi-name walk. */
	ck_assert_int_eq(walk(c, ROOT, 3, &q, "d", "b.txt", NULL), 2);
	ck_assert_int_eq(lopen(c, 3, O_RDONLY), 0);
	ck_assert_int_eq(readf(c, 3, 0, buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "inner");

	/* Readdir of the root, in one reply and in tiny ones (cookies resume). */
	ck_assert_int_eq(walk(c, ROOT, 4, NULL, NULL), 0);
	ck_assert_int_eq(lopen(c, 4, O_RDONLY | O_DIRECTORY), 0);
	ck_assert_int_eq(readdir_all(c, 4, 8192, "passwd", &found), 6);	/* . .. a d passwd up */
	ck_assert(found);
	ck_assert_int_eq(readdir_all(c, 4, 40, "up", &found), 6);
	ck_assert(found);

	/* Create, write, read back on the host. */
	ck_assert_int_eq(walk(c, ROOT, 5, NULL, "d", NULL), 1);
	ck_assert_int_eq(lcreate(c, 5, "new.txt", O_RDWR), 0);
	ck_assert_int_eq(writef(c, 5, 0, "xyz"), 3);
	ck_assert_str_eq(host_read("d/new.txt", buf, sizeof(buf)), "xyz");
	ck_assert_int_eq(lcreate(c, ROOT, "a.txt", O_RDWR), -EEXIST);

	/* mkdir, renameat, unlinkat. */
	struct stat hs;

	ck_assert_int_eq(mkdir9(c, ROOT, "m"), 0);
	ck_assert_int_eq(host_lstat("m", &hs), 0);
	ck_assert(S_ISDIR(hs.st_mode));
	ck_assert_int_eq(walk(c, ROOT, 6, NULL, "d", NULL), 1);
	{
		struct p9_msg req = { .type = P9_TRENAMEAT }, rep;

		req.trenameat = (struct p9_trenameat){ .olddirfid = ROOT,
						       .oldname = P9_STR("a.txt"),
						       .newdirfid = 6,
						       .newname = P9_STR("a2.txt") };
		ck_assert_int_eq(rpc(c, &req, &rep), 0);
	}
	ck_assert_str_eq(host_read("d/a2.txt", buf, sizeof(buf)), "hello world\n");
	ck_assert_int_eq(host_lstat("a.txt", &hs), -1);
	ck_assert_int_eq(unlinkat9(c, ROOT, "m", 0), -EISDIR);
	ck_assert_int_eq(unlinkat9(c, ROOT, "m", AT_REMOVEDIR), 0);
	ck_assert_int_eq(host_lstat("m", &hs), -1);
	ck_assert_int_eq(unlinkat9(c, 6, "a2.txt", 0), 0);

	/* symlink + readlink. */
	{
		struct p9_msg req = { .type = P9_TSYMLINK }, rep;

		req.tsymlink = (struct p9_tsymlink){ .fid = ROOT, .name = P9_STR("s"),
						     .symtgt = P9_STR("some/target") };
		ck_assert_int_eq(rpc(c, &req, &rep), 0);
		ck_assert_uint_eq(rep.rsymlink.qid.type, P9_QTSYMLINK);
	}
	ck_assert_int_eq(walk(c, ROOT, 7, NULL, "s", NULL), 1);
	ck_assert_int_eq(readlink9(c, 7, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "some/target");

	/* setattr: truncate, chmod, mtime. */
	struct p9_iattr a = { .valid = P9_SETATTR_SIZE, .size = 2 };

	ck_assert_int_eq(walk(c, ROOT, 8, NULL, "d", "b.txt", NULL), 2);
	ck_assert_int_eq(setattr(c, 8, &a), 0);
	ck_assert_str_eq(host_read("d/b.txt", buf, sizeof(buf)), "in");
	a = (struct p9_iattr){ .valid = P9_SETATTR_MODE, .mode = 0600 };
	ck_assert_int_eq(setattr(c, 8, &a), 0);
	a = (struct p9_iattr){ .valid = P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET |
					P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET,
			       .mtime_sec = 1000000, .atime_sec = 2000000 };
	ck_assert_int_eq(setattr(c, 8, &a), 0);
	ck_assert_int_eq(host_lstat("d/b.txt", &hs), 0);
	ck_assert_uint_eq(hs.st_mode & 07777, 0600);
	ck_assert_int_eq(hs.st_mtime, 1000000);
	ck_assert_int_eq(hs.st_atime, 2000000);
	ck_assert_int_eq(setattr(c, ROOT, &a), 0);	/* the root has no parent fd */

	ck_assert_int_eq(server_stop(&s, 1), 0);
	tree_remove();
}
END_TEST

START_TEST(test_escapes)
{
	struct server s;
	struct client *c;
	struct p9_stat_dotl st;
	struct p9_qid q;
	char buf[256];

	tree_make();
	server_start(&s, 1, false, false);
	c = s.cl[0];
	session(c);
	/* ".." is refused everywhere, so never escapes the root. */
	ck_assert_int_lt(walk(c, ROOT, 2, NULL, "..", NULL), 0);
	ck_assert_int_eq(walk(c, ROOT, 2, NULL, "d", "..", "..", NULL), 1);
	ck_assert_int_eq(getattr(c, 2, NULL), -EBADF);	/* short walk: newfid not made */
	ck_assert_int_eq(walk(c, ROOT, 2, NULL, ".", NULL), -EINVAL);
	ck_assert_int_eq(walk(c, ROOT, 2, NULL, "", NULL), -EINVAL);
	ck_assert_int_eq(walk(c, ROOT, 2, NULL, "d/b.txt", NULL), -EINVAL);
	ck_assert_int_eq(walk(c, ROOT, 2, NULL, "/etc", NULL), -EINVAL);

	/* Walking onto a symlink yields the link itself. */
	ck_assert_int_eq(walk(c, ROOT, 2, &q, "passwd", NULL), 1);
	ck_assert_uint_eq(q.type, P9_QTSYMLINK);
	ck_assert_int_eq(getattr(c, 2, &st), 0);
	ck_assert(S_ISLNK(st.mode));
	ck_assert_int_eq(readlink9(c, 2, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/etc/passwd");
	ck_assert_int_lt(lopen(c, 2, O_RDONLY), 0);	/* never opens the target */
	/* ... and walking through one fails. */
	ck_assert_int_eq(walk(c, ROOT, 3, NULL, "up", "etc", NULL), 1);
	ck_assert_int_eq(getattr(c, 3, NULL), -EBADF);
	ck_assert_int_lt(walk(c, 2, 3, NULL, "x", NULL), 0);
	ck_assert_int_eq(walk(c, ROOT, 3, &q, "up", NULL), 1);
	ck_assert_int_lt(walk(c, 3, 4, NULL, "etc", NULL), 0);
	/* Names with '/' or ".." in creating requests. */
	ck_assert_int_eq(mkdir9(c, ROOT, "../x"), -EINVAL);
	ck_assert_int_eq(mkdir9(c, ROOT, ".."), -EINVAL);
	ck_assert_int_eq(lcreate(c, ROOT, "up/x", O_RDWR), -EINVAL);
	ck_assert_int_eq(unlinkat9(c, ROOT, "../etc", 0), -EINVAL);

	/* A name swapped for a symlink after the walk: the reopen must not follow it. */
	ck_assert_int_eq(walk(c, ROOT, 5, NULL, "d", "b.txt", NULL), 2);
	{
		char p[256];

		snprintf(p, sizeof(p), "%s/d/b.txt", tree);
		ck_assert_int_eq(unlink(p), 0);
		ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	}
	ck_assert_int_lt(lopen(c, 5, O_RDONLY), 0);
	struct p9_iattr a = { .valid = P9_SETATTR_SIZE, .size = 0 };

	ck_assert_int_lt(setattr(c, 5, &a), 0);
	ck_assert_int_eq(server_stop(&s, 1), 0);
	tree_remove();
}
END_TEST

START_TEST(test_readonly)
{
	struct server s;
	struct client *c;
	char buf[256];
	struct stat hs;

	tree_make();
	server_start(&s, 1, true, false);
	c = s.cl[0];
	session(c);
	ck_assert_int_eq(lcreate(c, ROOT, "n", O_RDWR), -EROFS);
	ck_assert_int_eq(mkdir9(c, ROOT, "m"), -EROFS);
	ck_assert_int_eq(unlinkat9(c, ROOT, "a.txt", 0), -EROFS);
	ck_assert_int_eq(walk(c, ROOT, 2, NULL, "a.txt", NULL), 1);
	struct p9_iattr a = { .valid = P9_SETATTR_SIZE, .size = 0 };

	ck_assert_int_eq(setattr(c, 2, &a), -EROFS);
	a = (struct p9_iattr){ .valid = P9_SETATTR_MODE, .mode = 0 };
	ck_assert_int_eq(setattr(c, 2, &a), -EROFS);
	ck_assert_int_eq(lopen(c, 2, O_WRONLY), -EROFS);
	ck_assert_int_eq(lopen(c, 2, O_RDONLY | O_TRUNC), -EROFS);
	ck_assert_int_eq(lopen(c, 2, O_RDONLY), 0);
	ck_assert_int_eq(writef(c, 2, 0, "x"), -EROFS);
	ck_assert_int_eq(readf(c, 2, 0, buf, sizeof(buf)), 12);
	/* Unchanged on the host. */
	ck_assert_str_eq(host_read("a.txt", buf, sizeof(buf)), "hello world\n");
	ck_assert_int_eq(host_lstat("n", &hs), -1);
	ck_assert_int_eq(host_lstat("m", &hs), -1);
	ck_assert_int_eq(host_lstat("a.txt", &hs), 0);
	ck_assert_uint_eq(hs.st_mode & 0777, 0644);
	ck_assert_int_eq(server_stop(&s, 1), 0);
	tree_remove();
}
END_TEST

START_TEST(test_malformed)
{
	/* A bad size field closes that connection only; the other keeps working. */
	static const uint8_t bad[] = { 5, 0, 0, 0, 100, 0xff, 0xff };
	/* A sound header but a truncated Twalk body. */
	static const uint8_t trunc[] = { 9, 0, 0, 0, P9_TWALK, 1, 0, 1, 0 };
	struct server s;
	uint8_t b;
	int status;

	tree_make();
	server_start(&s, 2, false, false);
	session(s.cl[0]);
	session(s.cl[1]);
	ck_assert_int_eq(write(s.cl[0]->sock, bad, sizeof(bad)), sizeof(bad));
	ck_assert_int_eq(read(s.cl[0]->sock, &b, 1), 0);	/* closed */
	ck_assert_int_eq(walk(s.cl[1], ROOT, 2, NULL, "a.txt", NULL), 1);
	/* A client that hangs up with requests in flight: no SIGPIPE for the server. */
	{
		struct p9_msg req = { .type = P9_TGETATTR };
		uint8_t many[64 * 32];
		size_t len, off = 0;
		struct server s2;

		req.tgetattr.fid = ROOT;
		server_start(&s2, 1, false, false);
		session(s2.cl[0]);
		for (int i = 0; i < 64; i++, off += len)
			ck_assert_int_eq(p9_encode(&req, many + off, sizeof(many) - off, &len), 0);
		ck_assert_int_eq(write(s2.cl[0]->sock, many, off), (ssize_t)off);
		status = server_stop(&s2, 1);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	}
	ck_assert_int_eq(write(s.cl[1]->sock, trunc, sizeof(trunc)), sizeof(trunc));
	ck_assert_int_eq(read(s.cl[1]->sock, &b, 1), 0);
	status = server_stop(&s, 2);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);	/* the last one gone: a clean exit */
	tree_remove();
}
END_TEST

START_TEST(test_unknown_and_misc)
{
	/* Terror (106) is not 9P2000.L: Rlerror(EOPNOTSUPP), connection kept. */
	static const uint8_t terror[] = { 7, 0, 0, 0, 106, 9, 0 };
	struct server s;
	struct client *c;
	uint8_t hdr[64];
	struct p9_msg req = { .type = P9_TFLUSH }, rep;

	tree_make();
	server_start(&s, 1, false, false);
	c = s.cl[0];
	/* Before Tversion nothing else is served. */
	ck_assert_int_lt(getattr(c, ROOT, NULL), 0);
	session(c);
	ck_assert_int_eq(write(c->sock, terror, sizeof(terror)), sizeof(terror));
	ck_assert_int_eq(read_full(c->sock, hdr, 11), 0);
	ck_assert_int_eq(p9_decode(hdr, 11, c->msize, &rep), 0);
	ck_assert_uint_eq(rep.type, P9_RLERROR);
	ck_assert_uint_eq(rep.tag, 9);
	ck_assert_uint_eq(rep.rlerror.ecode, EOPNOTSUPP);
	req.tflush.oldtag = 3;
	ck_assert_int_eq(rpc(c, &req, &rep), 0);
	req = (struct p9_msg){ .type = P9_TSTATFS };
	req.tstatfs.fid = ROOT;
	ck_assert_int_eq(rpc(c, &req, &rep), 0);
	ck_assert_uint_gt(rep.rstatfs.bsize, 0);
	req = (struct p9_msg){ .type = P9_TXATTRWALK };
	req.txattrwalk = (struct p9_txattrwalk){ .fid = ROOT, .newfid = 9,
						 .name = P9_STR("user.x") };
	ck_assert_int_eq(rpc(c, &req, &rep), -ENODATA);
	ck_assert_int_eq(walk(c, ROOT, ROOT, NULL, "d", NULL), 1);	/* fid == newfid */
	ck_assert_int_eq(walk(c, ROOT, 2, NULL, "b.txt", NULL), 1);
	ck_assert_int_eq(walk(c, ROOT, 2, NULL, "e", NULL), -EBADF);	/* newfid in use */
	req = (struct p9_msg){ .type = P9_TREMOVE };
	req.tremove.fid = 2;
	ck_assert_int_eq(rpc(c, &req, &rep), 0);
	ck_assert_int_eq(getattr(c, 2, NULL), -EBADF);
	ck_assert_int_eq(server_stop(&s, 1), 0);
	tree_remove();
}
END_TEST

/* The confined server must do a full round of work without tripping its own filter. */
START_TEST(test_confined)
{
	struct server s;
	struct client *c;
	char buf[256];
	bool found;
	struct p9_msg req, rep;
	int status;

	tree_make();
	server_start(&s, 1, false, true);
	c = s.cl[0];
	session(c);
	/* Serving means confined: seccomp filter mode, no_new_privs, only the file caps. */
	{
		char p[64], line[256];
		int seen = 0;
		FILE *f;

		snprintf(p, sizeof(p), "/proc/%d/status", (int)s.pid);
		f = fopen(p, "r");
		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof(line), f)) {
			seen += strcmp(line, "Seccomp:\t2\n") == 0;
			seen += strcmp(line, "NoNewPrivs:\t1\n") == 0;
			if (strncmp(line, "CapEff:\t", 8) == 0)
				ck_assert_uint_eq(strtoull(line + 8, NULL, 16) & ~0x1fULL, 0);
		}
		fclose(f);
		ck_assert_int_eq(seen, 2);
	}
	ck_assert_int_eq(walk(c, ROOT, 2, NULL, "a.txt", NULL), 1);
	ck_assert_int_eq(getattr(c, 2, NULL), 0);
	ck_assert_int_eq(lopen(c, 2, O_RDWR | P9_OPEN_DONATE_FD), 0);
	{
		int fd = rx_fd(); /* sendmsg is in the allowlist */

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
		close(fd);
	}
	ck_assert_int_eq(readf(c, 2, 0, buf, sizeof(buf)), 12);
	ck_assert_int_eq(writef(c, 2, 0, "J"), 1);
	req = (struct p9_msg){ .type = P9_TFSYNC };
	req.tfsync.fid = 2;
	ck_assert_int_eq(rpc(c, &req, &rep), 0);
	ck_assert_int_eq(walk(c, ROOT, 3, NULL, NULL), 0);
	ck_assert_int_eq(lopen(c, 3, O_RDONLY), 0);
	ck_assert_int_eq(readdir_all(c, 3, 4096, "d", &found), 6);
	ck_assert_int_eq(walk(c, ROOT, 4, NULL, "d", NULL), 1);
	ck_assert_int_eq(lcreate(c, 4, "c.txt", O_WRONLY), 0);
	ck_assert_int_eq(writef(c, 4, 0, "conf"), 4);
	ck_assert_int_eq(mkdir9(c, ROOT, "m"), 0);
	struct p9_iattr a = { .valid = P9_SETATTR_SIZE | P9_SETATTR_MODE | P9_SETATTR_MTIME |
					P9_SETATTR_UID | P9_SETATTR_GID,
			      .size = 1, .mode = 0640, .uid = 0, .gid = 0 };

	ck_assert_int_eq(walk(c, ROOT, 5, NULL, "d", "b.txt", NULL), 2);
	ck_assert_int_eq(setattr(c, 5, &a), 0);
	req = (struct p9_msg){ .type = P9_TSYMLINK };
	req.tsymlink = (struct p9_tsymlink){ .fid = ROOT, .name = P9_STR("s"),
					     .symtgt = P9_STR("/x") };
	ck_assert_int_eq(rpc(c, &req, &rep), 0);
	ck_assert_int_eq(walk(c, ROOT, 6, NULL, "passwd", NULL), 1);
	ck_assert_int_eq(readlink9(c, 6, buf, sizeof(buf)), 0);
	/* xattrs: the reopen and f*xattr pass the filter. */
	ck_assert_int_eq(xattr_set(c, 5, 30, "user.c", "conf", 0), 0);
	ck_assert_int_eq(xattr_get(c, 5, 31, "user.c", buf, sizeof(buf)), 4);
	ck_assert_int_eq(xattr_get(c, 5, 32, "", buf, sizeof(buf)), 7);
	ck_assert_int_eq(xattr_set(c, 5, 33, "user.c", "", P9_XATTR_REMOVE), 0);
	req = (struct p9_msg){ .type = P9_TRENAME };
	req.trename = (struct p9_trename){ .fid = 5, .dfid = ROOT, .name = P9_STR("b2") };
	ck_assert_int_eq(rpc(c, &req, &rep), 0);
	ck_assert_int_eq(getattr(c, 5, NULL), 0);
	ck_assert_int_eq(lopen(c, 5, O_RDONLY), 0);	/* the fid followed the rename */
	req = (struct p9_msg){ .type = P9_TLINK };
	req.tlink = (struct p9_tlink){ .dfid = ROOT, .fid = 5, .name = P9_STR("hard") };
	ck_assert_int_eq(rpc(c, &req, &rep), 0);
	req = (struct p9_msg){ .type = P9_TMKNOD };
	req.tmknod = (struct p9_tmknod){ .dfid = ROOT, .name = P9_STR("fifo"),
					 .mode = S_IFIFO | 0600 };
	ck_assert_int_eq(rpc(c, &req, &rep), 0);
	req.tmknod.name = P9_STR("dev");
	req.tmknod.mode = S_IFCHR | 0600;
	ck_assert_int_eq(rpc(c, &req, &rep), -EPERM);
	ck_assert_int_eq(unlinkat9(c, ROOT, "m", AT_REMOVEDIR), 0);
	ck_assert_int_eq(clunk(c, 2), 0);
	status = server_stop(&s, 1);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	ck_assert_str_eq(host_read("a.txt", buf, sizeof(buf)), "Jello world\n");
	ck_assert_str_eq(host_read("d/c.txt", buf, sizeof(buf)), "conf");
	ck_assert_str_eq(host_read("b2", buf, sizeof(buf)), "i");
	tree_remove();
}
END_TEST

/* Check a donated @fd: a regular file, access @acc only, no O_APPEND/O_PATH; then close it. */
static void check_donated(int fd, int acc, const char *content)
{
	struct stat st;
	char buf[64];
	int fl;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	fl = fcntl(fd, F_GETFL);
	ck_assert_int_eq(fl & O_ACCMODE, acc);
	ck_assert_int_eq(fl & (O_APPEND | O_PATH), 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	if (content) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

		ck_assert_int_ge(n, 0);
		buf[n] = 0;
		ck_assert_str_eq(buf, content);
	}
	if (acc == O_RDONLY)
		ck_assert_int_eq(pwrite(fd, "x", 1, 0), -1); /* EBADF: no more than asked */
	close(fd);
}

/*
 * Fd donation: Tlopen/Tlcreate with P9_OPEN_DONATE_FD bring the open fd of a regular file,
 * with exactly the open's access; never without the flag, never for a directory or a
 * failed open, never on a server with no_fd_donation; read-only servers donate O_RDONLY.
 */
START_TEST(test_donate)
{
	struct server s;
	struct client *c;
	char buf[64];

	tree_make();
	server_start(&s, 1, false, false);
	c = s.cl[0];
	session(c);
	ck_assert_int_eq(walk(c, ROOT, 2, NULL, "a.txt", NULL), 1);
	ck_assert_int_eq(lopen(c, 2, O_RDONLY | P9_OPEN_DONATE_FD), 0);
	check_donated(rx_fd(), O_RDONLY, "hello world\n");
	ck_assert_int_eq(readf(c, 2, 0, buf, sizeof(buf)), 12); /* 9P still works */
	ck_assert_int_eq(walk(c, ROOT, 3, NULL, "a.txt", NULL), 1);
	ck_assert_int_eq(lopen(c, 3, O_RDWR), 0);
	ck_assert_int_eq(rx_fd(), -1); /* not asked */
	ck_assert_int_eq(walk(c, ROOT, 4, NULL, "a.txt", NULL), 1);
	ck_assert_int_eq(lopen(c, 4, O_WRONLY | O_TRUNC | P9_OPEN_DONATE_FD), 0);
	{
		int fd = rx_fd();

		ck_assert_int_eq(pwrite(fd, "via fd", 6, 0), 6);
		check_donated(fd, O_WRONLY, NULL);
	}
	ck_assert_str_eq(host_read("a.txt", buf, sizeof(buf)), "via fd");
	ck_assert_int_eq(walk(c, ROOT, 5, NULL, "d", NULL), 1);
	ck_assert_int_eq(lopen(c, 5, O_RDONLY | P9_OPEN_DONATE_FD), 0);
	ck_assert_int_eq(rx_fd(), -1); /* a directory */
	ck_assert_int_eq(walk(c, ROOT, 6, NULL, "d", NULL), 1);
	ck_assert_int_eq(lcreate(c, 6, "n.txt", O_RDWR | P9_OPEN_DONATE_FD), 0);
	check_donated(rx_fd(), O_RDWR, "");
	ck_assert_int_eq(walk(c, ROOT, 7, NULL, "d", NULL), 1);
	ck_assert_int_eq(lcreate(c, 7, "n.txt", O_RDWR | P9_OPEN_DONATE_FD), -EEXIST);
	ck_assert_int_eq(rx_fd(), -1);
	ck_assert_int_eq(lopen(c, 2, O_RDONLY | P9_OPEN_DONATE_FD), -EBUSY);
	ck_assert_int_eq(rx_fd(), -1);
	ck_assert_int_eq(walk(c, ROOT, 8, NULL, "passwd", NULL), 1);
	ck_assert_int_eq(lopen(c, 8, O_RDONLY | P9_OPEN_DONATE_FD), -ELOOP);
	ck_assert_int_eq(rx_fd(), -1);
	ck_assert_int_eq(server_stop(&s, 1), 0);
	tree_remove();

	/* Read-only: the only fd a guest can get is O_RDONLY. */
	tree_make();
	server_start(&s, 1, true, false);
	c = s.cl[0];
	session(c);
	ck_assert_int_eq(walk(c, ROOT, 2, NULL, "a.txt", NULL), 1);
	ck_assert_int_eq(lopen(c, 2, O_RDWR | P9_OPEN_DONATE_FD), -EROFS);
	ck_assert_int_eq(rx_fd(), -1);
	ck_assert_int_eq(lopen(c, 2, O_RDONLY | O_TRUNC | P9_OPEN_DONATE_FD), -EROFS);
	ck_assert_int_eq(rx_fd(), -1);
	ck_assert_int_eq(lopen(c, 2, O_RDONLY | P9_OPEN_DONATE_FD), 0);
	check_donated(rx_fd(), O_RDONLY, "hello world\n");
	ck_assert_int_eq(server_stop(&s, 1), 0);

	/* Donation turned off: plain replies. */
	srv_no_donate = true;
	server_start(&s, 1, false, false);
	srv_no_donate = false;
	c = s.cl[0];
	session(c);
	ck_assert_int_eq(walk(c, ROOT, 2, NULL, "a.txt", NULL), 1);
	ck_assert_int_eq(lopen(c, 2, O_RDWR | P9_OPEN_DONATE_FD), 0);
	ck_assert_int_eq(rx_fd(), -1);
	ck_assert_int_eq(server_stop(&s, 1), 0);
	tree_remove();
}
END_TEST

Suite *gofer_suite(void);
Suite *gofer_suite(void)
{
	Suite *s = suite_create("gofer");
	TCase *tc = tcase_create("server");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_basic_ops);
	tcase_add_test(tc, test_walkgetattr);
	tcase_add_test(tc, test_escapes);
	tcase_add_test(tc, test_readonly);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_unknown_and_misc);
	tcase_add_test(tc, test_confined);
	tcase_add_test(tc, test_xattrs);
	tcase_add_test(tc, test_donate);
	suite_add_tcase(s, tc);
	return s;
}
