// SPDX-License-Identifier: Apache-2.0
/* The 9P2000.L client connection: one socket, one request at a time, strict reply checks. */
#include "fs/gofer/goferfs.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/refcount.h"

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
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recv_all(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = recv(fd, p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
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

int p9c_rpc(struct p9c *c, const struct p9_msg *t, struct p9_msg *r)
{
	struct p9_msg m = *t;
	uint32_t size;
	size_t len;
	int e;

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
	if (recv_all(c->sock, c->rbuf, 4) < 0)
		return fail(c, "connection closed");
	if (p9_frame_size(c->rbuf, 4, c->msize, &size) < 0)
		return fail(c, "bad reply size");
	if (recv_all(c->sock, c->rbuf + 4, size - 4) < 0)
		return fail(c, "connection closed");
	if (p9_decode(c->rbuf, size, c->msize, r) < 0)
		return fail(c, "malformed reply");
	if (r->tag != m.tag)
		return fail(c, "reply with the wrong tag");
	if (r->type == P9_RLERROR && m.type != P9_TVERSION)
		return p9_rlerror_errno(r->rlerror.ecode);
	if (r->type != m.type + 1)
		return fail(c, "reply of the wrong type");
	return 0;
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
		close(sock);
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
	close(c->sock);
	pthread_mutex_destroy(&c->mu);
	free(c->tbuf);
	free(c->rbuf);
	free(c);
}
