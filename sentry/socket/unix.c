// SPDX-License-Identifier: Apache-2.0
/*
 * Unix domain sockets: creation, the socket file, names (path and abstract), connections
 * (listen/connect/accept, socketpair), shutdown, release, readiness and options. Data moves
 * in unix_io.c. Behaviour follows Linux's net/unix/af_unix.c; see unix_impl.h for objects.
 */
#include "sentry/socket/unix_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/sockios.h>

#include "lib/abi/linux/errno.h"

pthread_mutex_t unix_mu = PTHREAD_MUTEX_INITIALIZER;
struct waitq unix_room;
static pthread_once_t unix_once = PTHREAD_ONCE_INIT;
/* The abstract namespace: one per Sentry, i.e. per sandbox. Protected by unix_mu. */
static struct usock *unix_abstract;
static unsigned int unix_autobind_next;
static atomic_ulong unix_next_ino = 1;

static const struct file_ops unix_fops;

static void unix_init_once(void)
{
	waitq_init(&unix_room);
}

const struct timespec *unix_deadline(int64_t ns, struct timespec *ts)
{
	if (ns <= 0)
		return NULL;
	deadline_after_ns(ts, ns);
	return ts;
}

int unix_wait(struct waitq *q, const struct timespec *deadline)
{
	int r = waitq_wait_locked(q, &unix_mu, deadline);

	if (r == -ETIMEDOUT)
		return -EAGAIN;
	/* Linux's sock_intr_errno: restartable unless the wait had a socket timeout. */
	if (r == -EINTR)
		return deadline ? -EINTR : -ERESTARTSYS;
	return r;
}

static struct usock *usock_new(int type)
{
	struct usock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->refs = 1;
	s->type = type;
	s->sndbuf = UNIX_SNDBUF_DEF;
	s->rcvbuf = UNIX_SNDBUF_DEF;
	s->ino = atomic_fetch_add(&unix_next_ino, 1);
	waitq_init(&s->rwait);
	waitq_init(&s->wwait);
	return s;
}

void unix_sock_put(struct usock *s)
{
	if (--s->refs)
		return;
	/* Only dead sockets lose their last reference: their queues are already empty. */
	if (s->peer)
		unix_sock_put(s->peer);
	if (s->path.dentry)
		path_put(&s->path);
	waitq_destroy(&s->rwait);
	waitq_destroy(&s->wwait);
	free(s);
}

struct usock *unix_file_usock(struct file *f)
{
	return f->ops == &unix_fops ? file_usock(f) : NULL;
}

bool file_is_socket(const struct file *f)
{
	return f->ops == &unix_fops;
}

bool sock_sends_sigpipe(const struct file *f)
{
	return f->ops == &unix_fops && container_of(f, struct unix_file, base)->s->type == SOCK_STREAM;
}

static int unix_file_new(struct usock *s, int flags, struct file **out)
{
	struct unix_file *uf = calloc(1, sizeof(*uf));

	if (!uf)
		return -ENOMEM;
	uf->s = s;
	file_init(&uf->base, &unix_fops, O_RDWR | (flags & O_NONBLOCK), NULL);
	*out = &uf->base;
	return 0;
}

static void abstract_unlink(struct usock *s)
{
	for (struct usock **pp = &unix_abstract; *pp; pp = &(*pp)->abs_next) {
		if (*pp == s) {
			*pp = s->abs_next;
			return;
		}
	}
}

/*
 * Linux's unix_release_sock: the socket goes away. Connected stream/seqpacket peers see the
 * connection shut down both ways, and ECONNRESET if we left data unread (or were never
 * accepted); embryos waiting in our accept queue are released the same way.
 * Preconditions: unix_mu.
 */
static void unix_release_sock(struct usock *s, bool embryo, struct unix_gc *gc)
{
	struct usock *peer = s->peer;
	struct usock *n;

	s->dead = true;
	s->shutdown = UNIX_RCV_SHUTDOWN | UNIX_SEND_SHUTDOWN;
	if (s->bound && !s->addr.un.sun_path[0] && s->addr.len > offsetof(struct sockaddr_un, sun_path))
		abstract_unlink(s);
	if (s->path.dentry && s->path.dentry->inode->sock == s)
		s->path.dentry->inode->sock = NULL;
	if (peer && s->type != SOCK_DGRAM) {
		if (peer->peer == s) {
			peer->shutdown = UNIX_RCV_SHUTDOWN | UNIX_SEND_SHUTDOWN;
			if (s->rq_head || embryo)
				peer->err = ECONNRESET;
		}
		waitq_wake_all(&peer->rwait);
		waitq_wake_all(&peer->wwait);
	}
	if (peer) {
		s->peer = NULL;
		unix_sock_put(peer);
	}
	unix_flush_queue(s, gc);
	while ((n = s->acc_head)) {
		s->acc_head = n->acc_next;
		s->acc_len--;
		unix_release_sock(n, true, gc);
		unix_sock_put(n);
	}
	s->acc_tail = NULL;
	s->state = US_UNCONNECTED;
	waitq_wake_all(&s->rwait);
	waitq_wake_all(&s->wwait);
	waitq_wake_all(&unix_room);
}

static void unix_release(struct file *f)
{
	struct usock *s = file_usock(f);
	struct unix_gc gc = { NULL };

	pthread_mutex_lock(&unix_mu);
	unix_release_sock(s, false, &gc);
	unix_sock_put(s);
	pthread_mutex_unlock(&unix_mu);
	unix_gc_run(&gc);
	free(container_of(f, struct unix_file, base));
}

/* Linux's unix_create: the protocol, then the type (SOCK_RAW is taken as SOCK_DGRAM). */
static int check_type(int family, int *type, int protocol)
{
	if (family != AF_UNIX)
		return -EAFNOSUPPORT;
	if (protocol != 0 && protocol != PF_UNIX)
		return -EPROTONOSUPPORT;
	if (*type == SOCK_RAW)
		*type = SOCK_DGRAM;
	if (*type != SOCK_STREAM && *type != SOCK_DGRAM && *type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	return 0;
}

int sock_create(int family, int type, int protocol, int flags, const struct sock_creds *who,
		struct file **out)
{
	struct usock *s;
	int r;

	pthread_once(&unix_once, unix_init_once);
	r = check_type(family, &type, protocol);
	if (r < 0)
		return r;
	s = usock_new(type);
	if (!s)
		return -ENOMEM;
	s->uid = who->uid;
	s->gid = who->gid;
	s->owner = *who;
	r = unix_file_new(s, flags, out);
	if (r < 0) {
		pthread_mutex_lock(&unix_mu);
		s->dead = true;
		unix_sock_put(s);
		pthread_mutex_unlock(&unix_mu);
	}
	return r;
}

int sock_pair(int family, int type, int protocol, int flags, const struct sock_creds *who,
	      struct file **a, struct file **b)
{
	struct usock *sa, *sb;
	int r;

	r = sock_create(family, type, protocol, flags, who, a);
	if (r < 0)
		return r;
	r = sock_create(family, type, protocol, flags, who, b);
	if (r < 0) {
		file_put(*a);
		return r;
	}
	sa = file_usock(*a);
	sb = file_usock(*b);
	pthread_mutex_lock(&unix_mu);
	sa->peer = sb;
	sb->peer = sa;
	sa->refs++;
	sb->refs++;
	sa->state = sb->state = US_CONNECTED;
	sa->peercred = sb->peercred = *who;
	sa->has_peercred = sb->has_peercred = true;
	pthread_mutex_unlock(&unix_mu);
	return 0;
}

/* ---- names ---- */

/*
 * Linux's unix_validate_addr + unix_mkname_bsd: copy @addr into @out. A path name is cut at
 * its NUL and gets the length Linux reports for it (family + name + NUL); an abstract name
 * keeps its exact length.
 */
int unix_mkname(const void *addr, uint32_t len, struct sock_addr *out)
{
	const size_t hdr = offsetof(struct sockaddr_un, sun_path);

	if (len <= hdr || len > sizeof(struct sockaddr_un))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memcpy(&out->un, addr, len);
	if (out->un.sun_family != AF_UNIX)
		return -EINVAL;
	if (out->un.sun_path[0]) {
		size_t n = strnlen(out->raw + hdr, len - hdr);
		out->raw[hdr + n] = 0;
		out->len = (uint32_t)(hdr + n + 1);
	} else {
		out->len = len;
	}
	return 0;
}

/* The path name of a validated non-abstract address, NUL-terminated. */
static const char *addr_path(const struct sock_addr *a)
{
	return a->raw + offsetof(struct sockaddr_un, sun_path);
}

static bool is_abstract(const struct sock_addr *a)
{
	return a->len > offsetof(struct sockaddr_un, sun_path) && !a->un.sun_path[0];
}

static struct usock *abstract_find(const struct sock_addr *a)
{
	for (struct usock *s = unix_abstract; s; s = s->abs_next)
		if (s->addr.len == a->len && !memcmp(s->addr.un.sun_path, a->un.sun_path,
						     a->len - offsetof(struct sockaddr_un, sun_path)))
			return s;
	return NULL;
}

static void abstract_bind(struct usock *s, const struct sock_addr *a)
{
	s->addr = *a;
	s->bound = true;
	s->abs_next = unix_abstract;
	unix_abstract = s;
}

int unix_autobind(struct usock *s)
{
	struct sock_addr a;

	if (s->bound)
		return 0;
	/* Linux: "\0" + five hex digits, trying the whole space before giving up. */
	for (unsigned int i = 0; i < 0x100000; i++) {
		unsigned int n = (unix_autobind_next++) & 0xfffff;
		memset(&a, 0, sizeof(a));
		a.un.sun_family = AF_UNIX;
		snprintf(a.un.sun_path + 1, sizeof(a.un.sun_path) - 1, "%05x", n);
		a.len = offsetof(struct sockaddr_un, sun_path) + 6;
		if (!abstract_find(&a)) {
			abstract_bind(s, &a);
			return 0;
		}
	}
	return -ENOSPC;
}

int sock_bind(struct file *f, const struct vfs_start *vs, const void *addr, uint32_t len,
	      uint32_t umask)
{
	struct usock *s = file_usock(f);
	struct sock_addr a;
	struct path p;
	int r;

	if (len == offsetof(struct sockaddr_un, sun_path) &&
	    ((const struct sockaddr_un *)addr)->sun_family == AF_UNIX) {
		pthread_mutex_lock(&unix_mu);
		r = unix_autobind(s);
		pthread_mutex_unlock(&unix_mu);
		return r;
	}
	r = unix_mkname(addr, len, &a);
	if (r < 0)
		return r;
	pthread_mutex_lock(&unix_mu);
	if (s->bound && !is_abstract(&a)) {
		/* Linux makes the node before it looks at the socket: an existing name wins. */
		r = vfs_lookup(vs, addr_path(&a), 0, &p);
		if (r == 0)
			path_put(&p);
		r = r == 0 ? -EADDRINUSE : -EINVAL;
	} else if (s->bound) {
		r = -EINVAL;
	} else if (is_abstract(&a)) {
		if (abstract_find(&a))
			r = -EADDRINUSE;
		else
			abstract_bind(s, &a);
	} else {
		/* Linux's unix_bind_bsd: mknod the socket inode, mode 0777 & ~umask. */
		r = vfs_mknod_sock(vs, addr_path(&a), 0777 & ~umask, &p);
		if (r == -EEXIST)
			r = -EADDRINUSE;
		if (r == 0) {
			p.dentry->inode->sock = s;
			s->path = p;
			s->addr = a;
			s->bound = true;
		}
	}
	pthread_mutex_unlock(&unix_mu);
	return r;
}

/*
 * Resolve a path name to its socket inode (Linux's unix_find_bsd, the part outside the
 * socket lock): the walk, write permission, S_ISSOCK. *p holds references on success.
 */
static int find_path(const struct vfs_start *vs, const struct sock_addr *a, struct path *p)
{
	int r = vfs_lookup(vs, addr_path(a), LOOKUP_FOLLOW, p);

	if (r < 0)
		return r;
	r = vfs_permission(vs->cr, p->dentry->inode, MAY_WRITE);
	if (r == 0 && !S_ISSOCK(p->dentry->inode->mode))
		r = -ECONNREFUSED;
	if (r < 0)
		path_put(p);
	return r;
}

/*
 * The socket a name refers to, referenced, in *out. @p is find_path's result for path names.
 * Preconditions: unix_mu.
 */
static int find_other(const struct sock_addr *a, const struct path *p, int type,
		      struct usock **out)
{
	struct usock *o = is_abstract(a) ? abstract_find(a) : p->dentry->inode->sock;

	if (!o || o->dead)
		return -ECONNREFUSED;
	if (o->type != type)
		return -EPROTOTYPE;
	o->refs++;
	*out = o;
	return 0;
}

int unix_lookup_addr(const struct vfs_start *vs, const struct sock_addr *a, int type,
		     struct usock **out)
{
	struct path p = { NULL, NULL };
	int r = 0;

	if (!is_abstract(a))
		r = find_path(vs, a, &p);
	if (r < 0)
		return r;
	pthread_mutex_lock(&unix_mu);
	r = find_other(a, &p, type, out);
	pthread_mutex_unlock(&unix_mu);
	if (p.dentry)
		path_put(&p);
	return r;
}

int sock_getname(struct file *f, bool peer, struct sock_addr *out)
{
	struct usock *s = file_usock(f);
	int r = 0;

	pthread_mutex_lock(&unix_mu);
	if (peer) {
		s = s->peer;
		if (!s)
			r = -ENOTCONN;
	}
	if (r == 0 && s->bound) {
		*out = s->addr;
	} else if (r == 0) {
		/* Linux's unix_getname for an unbound socket: the family alone. */
		memset(out, 0, sizeof(*out));
		out->un.sun_family = AF_UNIX;
		out->len = offsetof(struct sockaddr_un, sun_path);
	}
	pthread_mutex_unlock(&unix_mu);
	return r;
}

/* ---- connections ---- */

int sock_listen(struct file *f, int backlog, const struct sock_creds *who)
{
	struct usock *s = file_usock(f);
	int r = 0;

	if ((unsigned int)backlog > UNIX_SOMAXCONN)
		backlog = UNIX_SOMAXCONN;
	pthread_mutex_lock(&unix_mu);
	if (s->type == SOCK_DGRAM)
		r = -EOPNOTSUPP;
	else if (!s->bound)
		r = -EINVAL;
	else if (s->state == US_CONNECTED)
		r = -EINVAL;
	if (r == 0) {
		if (backlog > s->backlog)
			waitq_wake_all(&unix_room); /* blocked connects may fit now */
		s->backlog = backlog;
		s->state = US_LISTENING;
		s->peercred = *who;
		s->has_peercred = true;
	}
	pthread_mutex_unlock(&unix_mu);
	return r;
}

/* Linux's unix_stream_connect with the socket lock held and @other found. */
static int stream_connect_locked(struct file *f, struct usock *s, struct usock *other,
				 const struct sock_creds *who)
{
	struct timespec ts;
	const struct timespec *dl = unix_deadline(s->sndtimeo_ns, &ts);
	struct usock *n;
	int r;

	for (;;) {
		if (s->state == US_CONNECTED)
			return -EISCONN;
		if (s->state == US_LISTENING)
			return -EINVAL;
		if (other->dead || other->state != US_LISTENING ||
		    (other->shutdown & UNIX_RCV_SHUTDOWN))
			return -ECONNREFUSED;
		/* unix_recvq_full: a backlog of N admits N + 1 pending connections. */
		if (other->acc_len <= other->backlog)
			break;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		r = unix_wait(&unix_room, dl);
		if (r < 0)
			return r;
	}
	n = usock_new(s->type);
	if (!n)
		return -ENOMEM;
	/* The embryo: connected to us, named like the listener, queued for accept. */
	n->state = US_CONNECTED;
	n->peer = s;
	s->refs++;
	n->peercred = *who;
	n->has_peercred = true;
	n->addr = other->addr;
	n->bound = other->bound;
	if (other->path.dentry) {
		n->path = other->path;
		path_get(&n->path);
	}
	n->uid = other->uid;
	n->gid = other->gid;
	n->owner = other->owner;
	s->peer = n;
	n->refs++;
	s->state = US_CONNECTED;
	s->peercred = other->peercred;
	s->has_peercred = other->has_peercred;
	if (other->acc_tail)
		other->acc_tail->acc_next = n;
	else
		other->acc_head = n;
	other->acc_tail = n;
	other->acc_len++;
	waitq_wake_all(&other->rwait);
	return 0;
}

/* Linux's unix_dgram_connect: set or (AF_UNSPEC) dissolve the default destination. */
static void dgram_set_peer(struct usock *s, struct usock *other)
{
	struct usock *old = s->peer;

	s->peer = other;
	s->state = other ? US_CONNECTED : US_UNCONNECTED;
	if (old) {
		waitq_wake_all(&old->rwait);
		unix_sock_put(old);
	}
}

int sock_connect(struct file *f, const struct vfs_start *vs, const void *addr, uint32_t len,
		 const struct sock_creds *who)
{
	struct usock *s = file_usock(f), *other = NULL;
	struct sock_addr a;
	int r;

	if (len < sizeof(sa_family_t))
		return -EINVAL;
	if (s->type == SOCK_DGRAM && ((const struct sockaddr *)addr)->sa_family == AF_UNSPEC) {
		pthread_mutex_lock(&unix_mu);
		dgram_set_peer(s, NULL);
		pthread_mutex_unlock(&unix_mu);
		return 0;
	}
	r = unix_mkname(addr, len, &a);
	if (r < 0)
		return r;
	pthread_mutex_lock(&unix_mu);
	if (s->passcred)
		r = unix_autobind(s);
	pthread_mutex_unlock(&unix_mu);
	if (r < 0)
		return r;
	r = unix_lookup_addr(vs, &a, s->type, &other);
	if (r < 0)
		return r;
	pthread_mutex_lock(&unix_mu);
	if (s->type == SOCK_DGRAM) {
		/* Linux's unix_may_send: a socket connected elsewhere takes nothing from us. */
		if (other->peer && other->peer != s) {
			r = -EPERM;
		} else {
			other->refs++;
			dgram_set_peer(s, other);
		}
	} else {
		r = stream_connect_locked(f, s, other, who);
	}
	unix_sock_put(other);
	pthread_mutex_unlock(&unix_mu);
	return r;
}

int sock_accept(struct file *f, int flags, struct file **out, struct sock_addr *peer)
{
	struct usock *s = file_usock(f), *n = NULL;
	struct timespec ts;
	const struct timespec *dl = unix_deadline(s->rcvtimeo_ns, &ts);
	int r = 0;

	pthread_mutex_lock(&unix_mu);
	for (;;) {
		if (s->type == SOCK_DGRAM) {
			r = -EOPNOTSUPP;
			break;
		}
		if (s->state != US_LISTENING) {
			r = -EINVAL;
			break;
		}
		n = s->acc_head;
		if (n)
			break;
		if (s->shutdown & UNIX_RCV_SHUTDOWN) {
			r = -EINVAL; /* unix_accept: skb_recv_datagram found nothing and no error */
			break;
		}
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		r = unix_wait(&s->rwait, dl);
		if (r < 0)
			break;
	}
	if (n) {
		s->acc_head = n->acc_next;
		if (!s->acc_head)
			s->acc_tail = NULL;
		n->acc_next = NULL;
		s->acc_len--;
		n->passcred = s->passcred; /* unix_sock_inherit_flags */
		waitq_wake_all(&unix_room);
		memset(peer, 0, sizeof(*peer));
		if (n->peer && n->peer->bound) {
			*peer = n->peer->addr;
		} else {
			peer->un.sun_family = AF_UNIX;
			peer->len = offsetof(struct sockaddr_un, sun_path);
		}
	}
	pthread_mutex_unlock(&unix_mu);
	if (!n)
		return r;
	/* The accept queue's reference becomes the new file's. */
	r = unix_file_new(n, flags, out);
	if (r < 0) {
		struct unix_gc gc = { NULL };
		pthread_mutex_lock(&unix_mu);
		unix_release_sock(n, true, &gc);
		unix_sock_put(n);
		pthread_mutex_unlock(&unix_mu);
		unix_gc_run(&gc);
	}
	return r;
}

int sock_shutdown(struct file *f, int how)
{
	struct usock *s = file_usock(f), *o;
	int mode, peer_mode;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	mode = how + 1; /* SHUT_RD -> RCV, SHUT_WR -> SEND, SHUT_RDWR -> both */
	pthread_mutex_lock(&unix_mu);
	s->shutdown |= mode;
	waitq_wake_all(&s->rwait);
	waitq_wake_all(&s->wwait);
	o = s->peer;
	if (o && s->type != SOCK_DGRAM) {
		peer_mode = ((mode & UNIX_RCV_SHUTDOWN) ? UNIX_SEND_SHUTDOWN : 0) |
			    ((mode & UNIX_SEND_SHUTDOWN) ? UNIX_RCV_SHUTDOWN : 0);
		o->shutdown |= peer_mode;
		waitq_wake_all(&o->rwait);
		waitq_wake_all(&o->wwait);
	}
	pthread_mutex_unlock(&unix_mu);
	return 0;
}

/* ---- the file: readiness, ioctl, stat ---- */

/* Linux's unix_writable: not listening and at most a quarter of the send buffer in use. */
static bool unix_writable(const struct usock *s)
{
	return s->state != US_LISTENING && (s->wmem << 2) <= (size_t)s->sndbuf;
}

/* Linux's unix_poll (stream) and unix_dgram_poll (dgram, seqpacket). */
static unsigned int unix_poll(struct file *f, struct poll_table *pt)
{
	struct usock *s = file_usock(f), *o;
	unsigned int m = 0;

	pthread_mutex_lock(&unix_mu);
	poll_wait(pt, &s->rwait);
	poll_wait(pt, &s->wwait);
	if (s->err)
		m |= POLLERR;
	if (s->shutdown == (UNIX_RCV_SHUTDOWN | UNIX_SEND_SHUTDOWN))
		m |= POLLHUP;
	if (s->shutdown & UNIX_RCV_SHUTDOWN)
		m |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (s->rq_head || s->acc_head)
		m |= POLLIN | POLLRDNORM;
	if (s->type != SOCK_DGRAM && s->state == US_UNCONNECTED)
		m |= POLLHUP;
	if (unix_writable(s)) {
		bool w = true;
		o = s->peer;
		if (s->type != SOCK_STREAM && o && o->peer != s && o->rq_len > UNIX_DGRAM_QLEN) {
			poll_wait(pt, &unix_room);
			w = false;
		}
		if (w)
			m |= POLLOUT | POLLWRNORM | POLLWRBAND;
	}
	pthread_mutex_unlock(&unix_mu);
	return m;
}

static long unix_ioctl(struct file *f, struct mm *mm, unsigned int cmd, uint64_t arg)
{
	struct usock *s = file_usock(f);
	int v = 0;

	switch (cmd) {
	case FIONBIO:
		if (mm_copy_in(mm, arg, &v, sizeof(v)) != (ssize_t)sizeof(v))
			return -EFAULT;
		/* Linux's do_vfs_ioctl: FIONBIO is F_SETFL's O_NONBLOCK. */
		pthread_mutex_lock(&f->pos_mu);
		f->flags = v ? f->flags | O_NONBLOCK : f->flags & ~O_NONBLOCK;
		pthread_mutex_unlock(&f->pos_mu);
		return 0;
	case SIOCINQ: /* == FIONREAD; Linux's unix_inq_len */
		pthread_mutex_lock(&unix_mu);
		if (s->state == US_LISTENING)
			v = -EINVAL;
		else if (s->type == SOCK_DGRAM)
			v = s->rq_head ? (int)s->rq_head->len : 0;
		else
			for (struct unix_msg *m = s->rq_head; m; m = m->next)
				v += (int)(m->len - m->off);
		pthread_mutex_unlock(&unix_mu);
		break;
	case SIOCOUTQ:
		pthread_mutex_lock(&unix_mu);
		v = s->state == US_LISTENING ? -EINVAL : (int)s->wmem;
		pthread_mutex_unlock(&unix_mu);
		break;
	default:
		return -ENOTTY;
	}
	if (v < 0)
		return v;
	if (mm_copy_out(mm, arg, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return -EFAULT;
	return 0;
}

static int unix_fstat(struct file *f, struct stat *st)
{
	struct usock *s = file_usock(f);

	memset(st, 0, sizeof(*st));
	st->st_dev = 0x8; /* Linux's sockfs is an anonymous device */
	st->st_ino = s->ino;
	st->st_mode = S_IFSOCK | 0777;
	st->st_nlink = 1;
	st->st_uid = s->uid;
	st->st_gid = s->gid;
	st->st_blksize = 4096;
	return 0;
}

static const struct file_ops unix_fops = {
	.read = unix_read,
	.write = unix_write,
	.ioctl = unix_ioctl,
	.fstat = unix_fstat,
	.poll = unix_poll,
	.release = unix_release,
};
