// SPDX-License-Identifier: Apache-2.0
/*
 * Unix socket data: the message queues, send and receive for stream, datagram and seqpacket
 * sockets, and ancillary data (SCM_RIGHTS file references, SCM_CREDENTIALS). Linux's
 * unix_stream_sendmsg / unix_stream_read_generic / unix_dgram_sendmsg / unix_dgram_recvmsg
 * are the reference for the checks and their order.
 *
 * Buffering: every queued message is charged to its sender (len + UNIX_MSG_OVERHEAD) until
 * it is read; a sender waits while its charge is at least its SO_SNDBUF (208 KiB by
 * default), like Linux's sock_alloc_send_pskb. Datagrams to a socket not connected back to
 * the sender also wait for room in the receiver's queue (UNIX_DGRAM_QLEN records).
 *
 * File references in flight could form a cycle that nothing would ever release (a socket
 * whose own file sits in a queue it can reach): Linux collects such cycles with a garbage
 * collector; we refuse the send that would close one with -ETOOMANYREFS instead.
 */
#include "sentry/socket/unix_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "lib/compiler.h"

/* How deep the in-flight search goes; deeper nesting is refused like a cycle. */
#define UNIX_INFLIGHT_DEPTH 8

void sock_scm_release(struct sock_scm *scm)
{
	for (int i = 0; i < scm->nfiles; i++)
		file_put(scm->files[i]);
	scm->nfiles = 0;
}

void unix_msg_unlink(struct unix_msg *m, struct unix_gc *gc)
{
	struct usock *from = m->from;

	if (from) {
		from->wmem -= m->charge;
		waitq_wake_all(&from->wwait);
		m->from = NULL;
		unix_sock_put(from);
	}
	m->next = gc->msgs;
	gc->msgs = m;
}

void unix_flush_queue(struct usock *s, struct unix_gc *gc)
{
	struct unix_msg *m;

	while ((m = s->rq_head)) {
		s->rq_head = m->next;
		unix_msg_unlink(m, gc);
	}
	s->rq_tail = NULL;
	s->rq_len = 0;
	s->rq_bytes = 0;
}

static void unix_msg_free(struct unix_msg *m)
{
	for (int i = 0; i < m->nfiles; i++)
		if (m->files[i])
			file_put(m->files[i]);
	free(m->files);
	free(m);
}

void unix_gc_run(struct unix_gc *gc)
{
	struct unix_msg *m;

	while ((m = gc->msgs)) {
		gc->msgs = m->next;
		unix_msg_free(m);
	}
}

/* Take the head message off @s's queue. Preconditions: unix_mu. */
static void dequeue_head(struct usock *s, struct unix_gc *gc)
{
	struct unix_msg *m = s->rq_head;

	s->rq_head = m->next;
	if (!s->rq_head)
		s->rq_tail = NULL;
	s->rq_len--;
	s->rq_bytes -= m->len - m->off;
	unix_msg_unlink(m, gc);
	waitq_wake_all(&unix_room);
}

static void enqueue(struct usock *to, struct usock *from, struct unix_msg *m)
{
	m->from = from;
	from->refs++;
	m->charge = m->len + UNIX_MSG_OVERHEAD;
	from->wmem += m->charge;
	if (to->rq_tail)
		to->rq_tail->next = m;
	else
		to->rq_head = m;
	to->rq_tail = m;
	to->rq_len++;
	to->rq_bytes += m->len;
	waitq_wake_all(&to->rwait);
}

/* Marks sockets already searched by one check_inflight: each is visited once. */
static uint64_t unix_search_epoch;

/*
 * Can the files in flight from @x (its queue, its embryos' queues) reach @target? Each socket
 * is searched once per check (the mark), so the cost is linear in what is in flight.
 */
static bool inflight_reaches(struct usock *x, struct usock *target, int depth)
{
	if (x == target || depth > UNIX_INFLIGHT_DEPTH)
		return true;
	if (x->search_mark == unix_search_epoch)
		return false;
	x->search_mark = unix_search_epoch;
	for (struct unix_msg *m = x->rq_head; m; m = m->next)
		for (int i = 0; i < m->nfiles; i++) {
			struct usock *y = unix_file_usock(m->files[i]);
			if (y && inflight_reaches(y, target, depth + 1))
				return true;
		}
	for (struct usock *n = x->acc_head; n; n = n->acc_next)
		if (inflight_reaches(n, target, depth + 1))
			return true;
	return false;
}

/* Would queueing @scm's files at @to make a cycle? Preconditions: unix_mu. */
static int check_inflight(const struct sock_scm *scm, struct usock *to)
{
	if (!scm || !scm->nfiles)
		return 0;
	unix_search_epoch++;
	for (int i = 0; i < scm->nfiles; i++) {
		struct usock *y = unix_file_usock(scm->files[i]);
		if (y && inflight_reaches(y, to, 0))
			return -ETOOMANYREFS;
	}
	return 0;
}

/* A message of @len bytes copied from @src, with @scm's files moved in when @scm. */
static int msg_new(struct uio *src, size_t len, struct sock_scm *scm,
		   const struct sock_creds *creds, struct unix_msg **out)
{
	struct unix_msg *m = calloc(1, sizeof(*m) + len);
	ssize_t c;

	if (!m)
		return -ENOMEM;
	m->len = len;
	m->creds = *creds;
	if (len) {
		c = uio_copy_in(src, m->data, len);
		if (c < 0 || (size_t)c != len) {
			free(m);
			return c < 0 ? (int)c : -EFAULT;
		}
	}
	if (scm && scm->nfiles) {
		m->files = malloc(sizeof(struct file *) * (size_t)scm->nfiles);
		if (!m->files) {
			free(m);
			return -ENOMEM;
		}
		memcpy(m->files, scm->files, sizeof(struct file *) * (size_t)scm->nfiles);
		m->nfiles = scm->nfiles;
		scm->nfiles = 0; /* the message owns the references now */
	}
	*out = m;
	return 0;
}

/* Wait until @s may charge more (wmem below sndbuf). Preconditions: unix_mu. */
static int wait_wmem(struct usock *s, bool nonblock, const struct timespec *dl)
{
	while (s->wmem >= (size_t)s->sndbuf) {
		int r;
		if (nonblock)
			return -EAGAIN;
		r = unix_wait(&s->wwait, dl);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Linux's unix_stream_sendmsg. Preconditions: unix_mu. */
static ssize_t stream_send(struct usock *s, struct uio *src, bool nonblock, struct sock_scm *scm,
			   const struct sock_creds *creds, bool *sigpipe)
{
	struct timespec ts;
	const struct timespec *dl = unix_deadline(s->sndtimeo_ns, &ts);
	size_t sent = 0;
	ssize_t r = 0;

	if (!s->peer)
		return -ENOTCONN;
	if (s->shutdown & UNIX_SEND_SHUTDOWN) {
		*sigpipe = true;
		return -EPIPE;
	}
	while (src->resid) {
		struct usock *o;
		struct unix_msg *m;
		size_t chunk;

		r = wait_wmem(s, nonblock, dl);
		if (r < 0)
			break;
		o = s->peer;
		if (!o || o->dead || (o->shutdown & UNIX_RCV_SHUTDOWN) ||
		    (s->shutdown & UNIX_SEND_SHUTDOWN)) {
			*sigpipe = sent == 0;
			r = -EPIPE;
			break;
		}
		r = check_inflight(scm, o);
		if (r < 0)
			break;
		/* Linux sends at most half the buffer per skb. */
		chunk = MIN(src->resid, (size_t)s->sndbuf / 2);
		r = msg_new(src, chunk, scm, creds, &m);
		if (r < 0)
			break;
		enqueue(o, s, m);
		sent += chunk;
		scm = NULL; /* rights travel with the first piece */
	}
	return sent ? (ssize_t)sent : r;
}

/* Linux's unix_dgram_sendmsg (and seqpacket's, which calls it). Preconditions: unix_mu. */
static ssize_t dgram_send(struct usock *s, struct usock *named, struct uio *src, bool nonblock,
			  struct sock_scm *scm, const struct sock_creds *creds)
{
	struct timespec ts;
	const struct timespec *dl = unix_deadline(s->sndtimeo_ns, &ts);
	size_t len = src->resid;
	struct unix_msg *m;
	int r;

	if (len > (size_t)s->sndbuf - 32)
		return -EMSGSIZE;
	for (;;) {
		struct usock *o = named ? named : s->peer;
		if (!o)
			return -ENOTCONN;
		if (o->dead) {
			if (s->type == SOCK_SEQPACKET)
				return -EPIPE;
			if (o == s->peer) {
				/* A dead default destination is dropped: ECONNREFUSED once. */
				s->peer = NULL;
				s->state = US_UNCONNECTED;
				unix_sock_put(o);
			}
			return -ECONNREFUSED;
		}
		if (o->peer && o->peer != s)
			return -EPERM; /* unix_may_send */
		if (o->shutdown & UNIX_RCV_SHUTDOWN)
			return -EPIPE;
		if (o != s && o->peer != s && o->rq_len > UNIX_DGRAM_QLEN) {
			if (nonblock)
				return -EAGAIN;
			r = unix_wait(&unix_room, dl);
			if (r < 0)
				return r;
			continue;
		}
		if (s->wmem >= (size_t)s->sndbuf) {
			r = wait_wmem(s, nonblock, dl);
			if (r < 0)
				return r;
			continue;
		}
		r = check_inflight(scm, o);
		if (r < 0)
			return r;
		r = msg_new(src, len, scm, creds, &m);
		if (r < 0)
			return r;
		enqueue(o, s, m);
		return (ssize_t)len;
	}
}

ssize_t sock_sendmsg(struct file *f, struct uio *src, int flags, const struct vfs_start *vs,
		     const struct sock_addr *to, struct sock_scm *scm, const struct sock_creds *who,
		     bool *sigpipe)
{
	struct usock *s = file_usock(f), *named = NULL;
	bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
	struct sock_creds creds = (scm && scm->has_creds) ? scm->creds : *who;
	struct sock_addr a;
	ssize_t r;

	*sigpipe = false;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->type == SOCK_STREAM) {
		if (to && to->len) {
			pthread_mutex_lock(&unix_mu);
			r = s->state == US_CONNECTED ? -EISCONN : -EOPNOTSUPP;
			pthread_mutex_unlock(&unix_mu);
			return r;
		}
		pthread_mutex_lock(&unix_mu);
		r = stream_send(s, src, nonblock, scm, &creds, sigpipe);
		pthread_mutex_unlock(&unix_mu);
		if (flags & MSG_NOSIGNAL)
			*sigpipe = false;
		return r;
	}
	if (s->type == SOCK_SEQPACKET) {
		pthread_mutex_lock(&unix_mu);
		r = s->state != US_CONNECTED ? -ENOTCONN : 0;
		pthread_mutex_unlock(&unix_mu);
		if (r < 0)
			return r;
		to = NULL; /* unix_seqpacket_sendmsg ignores an address */
	}
	if (to && to->len) {
		r = unix_mkname(&to->un, to->len, &a);
		if (r < 0)
			return r;
	}
	pthread_mutex_lock(&unix_mu);
	r = s->passcred ? unix_autobind(s) : 0;
	pthread_mutex_unlock(&unix_mu);
	if (r < 0)
		return r;
	if (to && to->len) {
		r = unix_lookup_addr(vs, &a, s->type, &named);
		if (r < 0)
			return r;
	}
	pthread_mutex_lock(&unix_mu);
	r = dgram_send(s, named, src, nonblock, scm, &creds);
	if (named)
		unix_sock_put(named);
	pthread_mutex_unlock(&unix_mu);
	return r;
}

/* ---- receive ---- */

static void from_addr(const struct unix_msg *m, struct sock_addr *from)
{
	if (!from)
		return;
	if (m->from && m->from->bound)
		*from = m->from->addr;
	else
		from->len = 0; /* Linux's unix_copy_addr: no name, msg_namelen 0 */
}

/* Give @m's files to @scm: moved when consuming, new references when peeking. */
static void take_files(struct unix_msg *m, struct sock_scm *scm, bool peek)
{
	for (int i = 0; i < m->nfiles && scm->nfiles < SOCK_SCM_MAX_FD; i++) {
		scm->files[scm->nfiles++] = m->files[i];
		if (peek)
			file_get(m->files[i]);
		else
			m->files[i] = NULL;
	}
	if (!peek)
		m->nfiles = 0;
}

static bool creds_eq(const struct sock_creds *a, const struct sock_creds *b)
{
	return a->pid == b->pid && a->uid == b->uid && a->gid == b->gid;
}

/* Linux's unix_stream_read_generic. Preconditions: unix_mu. */
static ssize_t stream_recv(struct usock *s, struct uio *dst, int flags, bool nonblock,
			   struct sock_addr *from, struct sock_scm *scm, struct unix_gc *gc)
{
	struct timespec ts;
	const struct timespec *dl = unix_deadline(s->rcvtimeo_ns, &ts);
	bool peek = flags & MSG_PEEK, first = true;
	size_t target = (flags & MSG_WAITALL) ? dst->resid : 1, copied = 0;
	struct unix_msg *m, *last = NULL;
	ssize_t r = 0;

	if (s->state != US_CONNECTED)
		return -EINVAL;
	if (target == 0)
		target = 1;
	for (;;) {
		m = peek ? (last ? last->next : s->rq_head) : s->rq_head;
		if (!m) {
			if (copied >= target || (peek && copied))
				break;
			if (s->err) {
				r = -s->err;
				s->err = 0;
				break;
			}
			if (s->shutdown & UNIX_RCV_SHUTDOWN)
				break;
			if (nonblock) {
				r = -EAGAIN;
				break;
			}
			r = unix_wait(&s->rwait, dl);
			if (r < 0)
				break;
			continue;
		}
		/* Credentials never merge across a change of sender (SO_PASSCRED). */
		if (!first && s->passcred && !creds_eq(&m->creds, &scm->creds))
			break;
		if (first) {
			from_addr(m, from);
			scm->creds = m->creds;
			scm->has_creds = true;
			first = false;
		}
		size_t chunk = MIN(m->len - m->off, dst->resid);
		ssize_t c = chunk ? uio_copy_out(dst, m->data + m->off, chunk) : 0;
		if (c < 0 || (size_t)c != chunk) {
			r = copied ? 0 : -EFAULT;
			break;
		}
		copied += chunk;
		bool had_files = m->nfiles > 0;
		if (had_files)
			take_files(m, scm, peek);
		if (!peek) {
			m->off += chunk;
			s->rq_bytes -= chunk;
			if (m->off < m->len)
				break; /* the caller's buffer is full */
			dequeue_head(s, gc);
		} else {
			last = m;
		}
		if (had_files || !dst->resid)
			break;
	}
	return copied ? (ssize_t)copied : r;
}

/* Linux's unix_dgram_recvmsg. Preconditions: unix_mu. */
static ssize_t dgram_recv(struct usock *s, struct uio *dst, int flags, bool nonblock,
			  int *msg_flags, struct sock_addr *from, struct sock_scm *scm,
			  struct unix_gc *gc)
{
	struct timespec ts;
	const struct timespec *dl = unix_deadline(s->rcvtimeo_ns, &ts);
	struct unix_msg *m;
	size_t chunk;
	ssize_t c;
	int r;

	if (s->type == SOCK_SEQPACKET && s->state != US_CONNECTED)
		return -ENOTCONN;
	while (!(m = s->rq_head)) {
		if (s->err) {
			r = -s->err;
			s->err = 0;
			return r;
		}
		if (s->shutdown & UNIX_RCV_SHUTDOWN)
			return 0;
		if (nonblock)
			return -EAGAIN;
		r = unix_wait(&s->rwait, dl);
		if (r < 0)
			return r;
	}
	chunk = MIN(m->len, dst->resid);
	c = chunk ? uio_copy_out(dst, m->data, chunk) : 0;
	if (c < 0 || (size_t)c != chunk)
		return -EFAULT;
	if (m->len > chunk)
		*msg_flags |= MSG_TRUNC;
	from_addr(m, from);
	scm->creds = m->creds;
	scm->has_creds = true;
	take_files(m, scm, flags & MSG_PEEK);
	if (!(flags & MSG_PEEK))
		dequeue_head(s, gc);
	return (flags & MSG_TRUNC) ? (ssize_t)m->len : (ssize_t)chunk;
}

ssize_t sock_recvmsg(struct file *f, struct uio *dst, int flags, int *msg_flags,
		     struct sock_addr *from, struct sock_scm *scm)
{
	struct usock *s = file_usock(f);
	bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
	struct unix_gc gc = { NULL };
	ssize_t r;

	*msg_flags = 0;
	scm->nfiles = 0;
	scm->has_creds = false;
	if (from)
		from->len = 0;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&unix_mu);
	if (s->type == SOCK_STREAM) {
		r = stream_recv(s, dst, flags, nonblock, from, scm, &gc);
	} else {
		/* A dequeued record stays readable on @gc until unix_gc_run. */
		r = dgram_recv(s, dst, flags, nonblock, msg_flags, from, scm, &gc);
	}
	/* Credentials are delivered only to sockets that asked for them (SO_PASSCRED). */
	if (!s->passcred)
		scm->has_creds = false;
	pthread_mutex_unlock(&unix_mu);
	unix_gc_run(&gc);
	return r;
}

/* ---- read(2)/write(2) on a socket: recv/send without flags or ancillary data ---- */

ssize_t unix_read(struct file *f, struct uio *dst, int64_t *pos)
{
	struct sock_scm *scm;
	int mf;
	ssize_t r;

	if (pos != &f->pos)
		return -ESPIPE;
	scm = malloc(sizeof(*scm));
	if (!scm)
		return -ENOMEM;
	r = sock_recvmsg(f, dst, 0, &mf, NULL, scm);
	/* Rights arriving without a control buffer are closed, as Linux's scm_detach_fds. */
	sock_scm_release(scm);
	free(scm);
	return r;
}

ssize_t unix_write(struct file *f, struct uio *src, int64_t *pos)
{
	struct usock *s = file_usock(f);
	bool sigpipe;

	if (pos != &f->pos)
		return -ESPIPE;
	/* No task here: the credentials are those of the socket's creator (see README). */
	return sock_sendmsg(f, src, 0, NULL, NULL, NULL, &s->owner, &sigpipe);
}
