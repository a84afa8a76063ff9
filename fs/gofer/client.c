// SPDX-License-Identifier: Apache-2.0
/* The 9P2000.L client connection: one socket, one request at a time, strict reply checks. */
#include "fs/gofer/goferfs.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/refcount.h"
#include "sentry/host/host.h"

struct p9c {
	struct refcount ref;
	pthread_mutex_t mu;
	int sock;
	uint32_t msize;
	uint16_t tag;
	bool broken;       /* protected by mu: every later call answers -EIO */
	uint32_t next_fid; /* protected by mu */
	uint8_t *tbuf, *rbuf;
};

static int send_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = host_send(fd, p, n);
		if (w == -EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * The fds that came with one reply (SCM_RIGHTS, fd donation): the first is kept in @fd, any
 * other is closed and counted in @extra; @trunc records that the kernel dropped some.
 */
struct reply_fds {
	int fd;
	int extra;
	bool trunc;
};

static void reply_fds_drop(struct reply_fds *rf)
{
	if (rf->fd >= 0)
		host_close(rf->fd);
	rf->fd = -1;
}

/* Receive exactly @n bytes, collecting any fds that come with them into @rf. */
static int recv_all(int fd, uint8_t *p, size_t n, struct reply_fds *rf)
{
	while (n) {
		int fds[1], nfds, trunc;
		ssize_t r = host_recv_fds(fd, p, n, fds, 1, &nfds, &trunc);

		if (r == -EINTR)
			continue;
		if (nfds > 0 && rf->fd < 0) {
			rf->fd = fds[0];
			rf->extra += nfds - 1;
		} else if (nfds > 0) {
			host_close(fds[0]);
			rf->extra += nfds;
		}
		rf->trunc |= trunc != 0;
		if (r <= 0)
			return -EIO;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int fail(struct p9c *c, const char *why)
{
	if (!c->broken)
		log_warn("gofer client: %s; the connection is now unusable", why);
	c->broken = true;
	return -EIO;
}

int p9c_rpc_fd(struct p9c *c, const struct p9_msg *t, struct p9_msg *r, int *fdp)
{
	struct reply_fds rf = { .fd = -1 };
	struct p9_msg m = *t;
	uint32_t size;
	size_t len;
	int e;

	if (fdp)
		*fdp = -1;
	if (c->broken)
		return -EIO;
	if (m.type != P9_TVERSION) {
		m.tag = c->tag++;
		if (c->tag == P9_NOTAG)
			c->tag = 0;
	}
	e = p9_encode(&m, c->tbuf, c->msize, &len);
	if (e < 0)
		return e == -EMSGSIZE ? -ENAMETOOLONG : -EINVAL; /* our request, not the server */
	if (send_all(c->sock, c->tbuf, len) < 0)
		return fail(c, "send failed");
	/* One request at a time: whatever fds arrive while its reply is read belong to it. */
	if (recv_all(c->sock, c->rbuf, 4, &rf) < 0) {
		e = fail(c, "connection closed");
		goto out;
	}
	if (p9_frame_size(c->rbuf, 4, c->msize, &size) < 0) {
		e = fail(c, "bad reply size");
		goto out;
	}
	if (recv_all(c->sock, c->rbuf + 4, size - 4, &rf) < 0) {
		e = fail(c, "connection closed");
		goto out;
	}
	if (p9_decode(c->rbuf, size, c->msize, r) < 0) {
		e = fail(c, "malformed reply");
		goto out;
	}
	if (r->tag != m.tag) {
		e = fail(c, "reply with the wrong tag");
		goto out;
	}
	if ((rf.fd >= 0 || rf.extra) && (!fdp || rf.extra || !p9_reply_fd_ok(&m, r))) {
		e = fail(c, "an fd came with a reply that cannot carry one");
		goto out;
	}
	if (rf.trunc) /* e.g. the Sentry at its fd limit: carry on without the fd */
		log_warn("gofer client: a donated fd was dropped by the host");
	if (r->type == P9_RLERROR && m.type != P9_TVERSION) {
		e = p9_rlerror_errno(r->rlerror.ecode);
		goto out;
	}
	if (r->type != m.type + 1) {
		e = fail(c, "reply of the wrong type");
		goto out;
	}
	if (fdp) {
		*fdp = rf.fd;
		rf.fd = -1;
	}
	e = 0;
out:
	reply_fds_drop(&rf);
	return e;
}

int p9c_rpc(struct p9c *c, const struct p9_msg *t, struct p9_msg *r)
{
	return p9c_rpc_fd(c, t, r, NULL);
}

void p9c_lock(struct p9c *c)
{
	pthread_mutex_lock(&c->mu);
}

void p9c_unlock(struct p9c *c)
{
	pthread_mutex_unlock(&c->mu);
}

int p9c_call(struct p9c *c, const struct p9_msg *t, struct p9_msg *r)
{
	struct p9_msg tmp;
	int e;

	p9c_lock(c);
	e = p9c_rpc(c, t, r ? r : &tmp);
	p9c_unlock(c);
	return e;
}

void p9c_clunk(struct p9c *c, uint32_t fid)
{
	struct p9_msg t = { .type = P9_TCLUNK, .tclunk.fid = fid };

	p9c_call(c, &t, NULL);
}

uint32_t p9c_fid_alloc(struct p9c *c)
{
	uint32_t f;

	/* Fids are never reused: 2^32 walks is far beyond a sandbox's life. */
	pthread_mutex_lock(&c->mu);
	f = c->next_fid++;
	if (c->next_fid == P9_NOFID)
		c->next_fid = 1;
	pthread_mutex_unlock(&c->mu);
	return f;
}

uint32_t p9c_msize(const struct p9c *c)
{
	return c->msize;
}

int p9c_new(int sock, uint32_t msize, struct p9c **out)
{
	struct p9c *c = calloc(1, sizeof(*c));
	struct p9_msg t = { .type = P9_TVERSION, .tag = P9_NOTAG }, r;
	int e;

	if (!msize || msize > P9_MSIZE_DEFAULT)
		msize = P9_MSIZE_DEFAULT;
	if (!c) {
		host_close(sock);
		return -ENOMEM;
	}
	refcount_init(&c->ref);
	pthread_mutex_init(&c->mu, NULL);
	c->sock = sock;
	c->msize = msize;
	c->next_fid = 1;
	c->tbuf = malloc(msize);
	c->rbuf = malloc(msize);
	if (!c->tbuf || !c->rbuf) {
		p9c_put(c);
		return -ENOMEM;
	}
	t.tversion.msize = msize;
	t.tversion.version = P9_STR(P9_VERSION_L);
	e = p9c_rpc(c, &t, &r);
	if (e == 0 && r.type != P9_RVERSION)
		e = -EIO;
	if (e == 0 && (!p9_str_eq(&r.rversion.version, P9_VERSION_L) ||
		       r.rversion.msize < P9_MSIZE_MIN || r.rversion.msize > msize))
		e = -EIO;
	if (e < 0) {
		p9c_put(c);
		return e;
	}
	c->msize = r.rversion.msize;
	*out = c;
	return 0;
}

void p9c_get(struct p9c *c)
{
	refcount_inc(&c->ref);
}

void p9c_put(struct p9c *c)
{
	if (!refcount_dec(&c->ref))
		return;
	host_close(c->sock);
	pthread_mutex_destroy(&c->mu);
	free(c->tbuf);
	free(c->rbuf);
	free(c);
}
