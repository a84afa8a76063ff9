// SPDX-License-Identifier: Apache-2.0
/*
 * Gofer server: the libev loop, one read/write watcher pair per connection, message framing,
 * in-order dispatch to the handler table, and read-only enforcement.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/gofer_impl.h"
#include "lib/log.h"

/*
 * Host fd donation (DESIGN.md §8): an Rlopen/Rlcreate answering a P9_OPEN_DONATE_FD request
 * may carry the open fd of a regular file as SCM_RIGHTS on its first bytes (c->donate_fd),
 * so the Sentry reads and writes it without a round trip per call.
 */

enum { W_READ, W_WRITE };

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents);

static ev_io *conn_watchers(struct gofer_conn *c)
{
	return c->watchers;
}

static void conn_close(struct gofer_conn *c)
{
	struct ev_loop *loop = c->srv->loop;
	ev_io *w = conn_watchers(c);

	ev_io_stop(loop, &w[W_READ]);
	ev_io_stop(loop, &w[W_WRITE]);
	if (c->donate_fd >= 0)
		close(c->donate_fd);
	gofer_fid_clunk_all(c);
	close(c->sock);
	free(c->in);
	free(c->out);
	free(c->watchers);
	if (--c->srv->nlive == 0)
		ev_break(loop, EVBREAK_ALL);
	free(c);
}

bool gofer_is_mutation(const struct p9_msg *req)
{
	switch (req->type) {
	case P9_TLCREATE:
	case P9_TWRITE:
	case P9_TMKDIR:
	case P9_TMKNOD:
	case P9_TSYMLINK:
	case P9_TLINK:
	case P9_TUNLINKAT:
	case P9_TRENAMEAT:
	case P9_TRENAME:
	case P9_TSETATTR:
	case P9_TREMOVE:
	case P9_TXATTRCREATE:
		return true;
	case P9_TLOPEN:
		return (req->tlopen.flags & O_ACCMODE) != O_RDONLY ||
		       (req->tlopen.flags & (O_TRUNC | O_CREAT)) != 0;
	default:
		return false;
	}
}

/*
 * Handle one decoded request into c->out. Returns 0, or -EPROTO when the connection must go.
 */
static int conn_handle(struct gofer_conn *c, const struct p9_msg *req)
{
	struct p9_msg rep;
	gofer_handler_fn fn = gofer_handlers[req->type];
	size_t len;
	int ret;

	memset(&rep, 0, sizeof(rep));
	rep.type = (uint8_t)(req->type + 1);
	rep.tag = req->tag;
	if (!fn)
		ret = -EOPNOTSUPP;
	else if (!c->versioned && req->type != P9_TVERSION)
		ret = -EPROTO;	/* 9P: nothing but Tversion before Tversion */
	else if (c->srv->readonly && gofer_is_mutation(req)) {
		ret = -EROFS;
		if (req->type == P9_TREMOVE)
			gofer_fid_clunk(c, req->tremove.fid);	/* Tremove always clunks */
	}
	else
		ret = fn(c, req, &rep);
	if (ret < 0)
		p9_rlerror(&rep, req->tag, ret);
	ret = p9_encode(&rep, c->out, c->msize, &len);
	if (ret < 0) {
		/* Our own reply did not fit or was unencodable: answer with an error instead. */
		log_warn("gofer: cannot encode %s: %d", p9_msg_name(rep.type), ret);
		p9_rlerror(&rep, req->tag, ret == -EMSGSIZE ? -ENOBUFS : -EIO);
		if (p9_encode(&rep, c->out, c->msize, &len) < 0)
			return -EPROTO;
	}
	if (c->donate_fd >= 0 && !p9_reply_fd_ok(req, &rep)) {
		close(c->donate_fd); /* the open failed after all: the client expects no fd */
		c->donate_fd = -1;
	}
	c->out_len = len;
	c->out_pos = 0;
	return 0;
}

void gofer_donate(struct gofer_conn *c, const struct p9_msg *req, int fd, const struct stat *st)
{
	if (!c->srv->donate || !p9_reply_may_carry_fd(req) || !S_ISREG(st->st_mode) ||
	    c->donate_fd >= 0)
		return;
	/* A dup: the fid keeps its own fd for Tread/Twrite/Tfsync, and a clunk before the
	 * reply is flushed cannot close the one being sent. */
	c->donate_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

/* Send the first bytes of the reply with c->donate_fd attached (SCM_RIGHTS). */
static ssize_t send_with_fd(struct gofer_conn *c)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { c->out, c->out_len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	ssize_t n;

	memset(&ctl, 0, sizeof(ctl));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &c->donate_fd, sizeof(int));
	n = sendmsg(c->sock, &mh, MSG_NOSIGNAL);
	if (n > 0) { /* the fd went with the first byte: our copy is no longer needed */
		close(c->donate_fd);
		c->donate_fd = -1;
	}
	return n;
}

/* Send what is pending. Returns 1 when everything went, 0 when the socket is full, -errno. */
static int conn_flush(struct gofer_conn *c)
{
	while (c->out_pos < c->out_len) {
		/* MSG_NOSIGNAL: a client that hung up must not kill the gofer with SIGPIPE. */
		ssize_t n = c->donate_fd >= 0 && c->out_pos == 0
				    ? send_with_fd(c)
				    : send(c->sock, c->out + c->out_pos,
					   c->out_len - c->out_pos, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		c->out_pos += (size_t)n;
	}
	c->out_len = c->out_pos = 0;
	return 1;
}

/*
 * Handle every complete message in c->in, one at a time, as long as replies go out without
 * blocking. Returns 0, or -errno when the connection must be closed.
 */
static int conn_process(struct gofer_conn *c)
{
	for (;;) {
		struct p9_msg req;
		uint32_t size;
		int ret;

		ret = conn_flush(c);
		if (ret <= 0)
			return ret;
		ret = p9_frame_size(c->in, c->in_len, c->msize, &size);
		if (ret == -EAGAIN || (ret == 0 && size > c->in_len))
			return 0;
		if (ret < 0) {
			log_warn("gofer: bad frame size on fd %d, closing", c->sock);
			return -EPROTO;
		}
		ret = p9_decode(c->in, size, c->msize, &req);
		if (ret == -EOPNOTSUPP) {
			/* Sound header, unknown type: answer, do not drop. */
			memset(&req.tversion, 0, sizeof(req.tversion));
		} else if (ret < 0) {
			log_warn("gofer: malformed message (type %u) on fd %d, closing", c->in[4],
				 c->sock);
			return -EPROTO;
		}
		ret = conn_handle(c, &req);
		if (ret < 0)
			return ret;
		/* The request's string views die here: nothing kept them past the handler. */
		memmove(c->in, c->in + size, c->in_len - size);
		c->in_len -= size;
	}
}

static void conn_update_watchers(struct gofer_conn *c)
{
	struct ev_loop *loop = c->srv->loop;
	ev_io *w = conn_watchers(c);

	/* Back-pressure: stop reading while a reply is stuck in the socket. */
	if (c->out_pos < c->out_len) {
		ev_io_stop(loop, &w[W_READ]);
		ev_io_start(loop, &w[W_WRITE]);
	} else {
		ev_io_stop(loop, &w[W_WRITE]);
		ev_io_start(loop, &w[W_READ]);
	}
}

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct gofer_conn *c = w->data;
	int ret;

	if (revents & EV_READ) {
		size_t room = c->srv->max_msize - c->in_len;
		ssize_t n = room ? read(c->sock, c->in + c->in_len, room) : -1;

		if (!room)
			errno = EAGAIN;	/* a whole message is waiting: process it first */
		if (n == 0) {
			conn_close(c);
			return;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			log_warn("gofer: read fd %d: %s", c->sock, strerror(errno));
			conn_close(c);
			return;
		}
		if (n > 0)
			c->in_len += (size_t)n;
	}
	ret = conn_process(c);
	if (ret < 0) {
		conn_close(c);
		return;
	}
	conn_update_watchers(c);
}

static int conn_add(struct gofer_server *srv, int sock)
{
	struct gofer_conn *c = calloc(1, sizeof(*c));
	ev_io *w = calloc(2, sizeof(*w));
	int fl = fcntl(sock, F_GETFL);

	if (!c || !w || fl < 0 || fcntl(sock, F_SETFL, fl | O_NONBLOCK) < 0)
		goto err;
	c->srv = srv;
	c->sock = sock;
	c->donate_fd = -1;
	c->msize = srv->max_msize;
	c->in = malloc(srv->max_msize);
	c->out = malloc(srv->max_msize);
	if (!c->in || !c->out)
		goto err;
	c->watchers = w;
	ev_io_init(&w[W_READ], conn_io_cb, sock, EV_READ);
	ev_io_init(&w[W_WRITE], conn_io_cb, sock, EV_WRITE);
	w[W_READ].data = c;
	w[W_WRITE].data = c;
	ev_io_start(srv->loop, &w[W_READ]);
	srv->nlive++;
	return 0;
err:
	if (c) {
		free(c->in);
		free(c->out);
	}
	free(c);
	free(w);
	close(sock);
	return -ENOMEM;
}

int gofer_serve(const struct gofer_config *cfg)
{
	struct gofer_server srv = { .root_fd = -1 };
	struct stat st;
	int ret = 0;

	if (!cfg || cfg->nconns < 1 || !cfg->conn_fds || cfg->root_fd < 0)
		return -EINVAL;
	if (fstat(cfg->root_fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	srv.readonly = cfg->readonly;
	srv.donate = !cfg->no_fd_donation;
	srv.max_msize = cfg->max_msize ? cfg->max_msize : P9_MSIZE_DEFAULT;
	if (srv.max_msize > P9_MSIZE_DEFAULT)
		srv.max_msize = P9_MSIZE_DEFAULT;
	if (srv.max_msize < P9_MSIZE_MIN)
		return -EINVAL;
	srv.root_fd = fcntl(cfg->root_fd, F_DUPFD_CLOEXEC, 0);
	if (srv.root_fd < 0)
		return -errno;
	/* epoll, so that the seccomp allowlist names one backend's syscalls. */
	srv.loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV | EVFLAG_NOSIGMASK);
	if (!srv.loop) {
		close(srv.root_fd);
		return -ENOMEM;
	}
	for (int i = 0; i < cfg->nconns; i++) {
		int r = conn_add(&srv, cfg->conn_fds[i]);

		if (r < 0 && !ret)
			ret = r;
	}
	if (!ret && cfg->confine) {
		ret = gofer_confine();
		if (ret < 0)
			log_warn("gofer: confinement failed (%d), refusing to serve", ret);
	}
	if (!ret)
		ev_run(srv.loop, 0);
	/* On error, connections were added but never served: leave their fds to process exit. */
	ev_loop_destroy(srv.loop);
	close(srv.root_fd);
	return ret;
}
