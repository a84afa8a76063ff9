/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to sentry/socket: unix domain socket objects, shared by unix.c (life cycle, names,
 * connections), unix_opt.c (options) and unix_io.c (messages, send, receive). Linux's net/unix/af_unix.c
 * is the behaviour reference; gVisor's pkg/sentry/socket/unix the Sentry-shaped one.
 *
 * Objects: a struct usock is one endpoint (Linux's unix_sock). Its references, all counted
 * in @refs under unix_mu: the socket file (struct unix_file), a connected peer's @peer
 * pointer, a listener's accept queue (for embryos: sockets made by connect, not yet
 * accepted), and every queued message it sent (@from). A released socket is @dead: its
 * queues are flushed, it is unnamed, and it is freed when the last reference goes.
 *
 * Files in flight (SCM_RIGHTS) are file references inside queued messages. They are dropped
 * outside unix_mu (a file_put may release another socket, which takes unix_mu): code that
 * removes messages under the lock collects them in a struct unix_gc and frees them after
 * unlocking (unix_gc_run).
 */
#ifndef SBX_SENTRY_SOCKET_UNIX_IMPL_H
#define SBX_SENTRY_SOCKET_UNIX_IMPL_H

#include <pthread.h>

#include "fs/vfs.h"
#include "lib/compiler.h"
#include "lib/waitq.h"
#include "sentry/socket/socket.h"

#define UNIX_RCV_SHUTDOWN 1
#define UNIX_SEND_SHUTDOWN 2

/* Linux's defaults: net.core.wmem_default/wmem_max = 212992 (208 KiB). */
#define UNIX_SNDBUF_DEF 212992
#define UNIX_BUF_MAX 212992
#define UNIX_MIN_SNDBUF 4608
#define UNIX_MIN_RCVBUF 2304
/* Charged per message besides its data, like an skb's truesize: bounds empty records. */
#define UNIX_MSG_OVERHEAD 256
/* Datagrams queued at a receiver not connected back to the sender: Linux's default
 * net.unix.max_dgram_qlen (a queue of N admits N + 1). */
#define UNIX_DGRAM_QLEN 10
#define UNIX_SOMAXCONN 4096

enum unix_state {
	US_UNCONNECTED,
	US_LISTENING,
	US_CONNECTED,
};

/* struct unix_msg - one queued write: a datagram/record, or a piece of a stream. */
struct unix_msg {
	struct unix_msg *next;
	struct usock *from;    /* the sender (referenced), charged @charge bytes */
	size_t charge;
	size_t len, off;       /* data bytes; bytes already read (stream) */
	struct sock_creds creds;
	struct file **files;   /* SCM_RIGHTS references (malloc'd array) or NULL */
	int nfiles;
	char data[];
};

struct usock {
	/* Everything below is protected by unix_mu. */
	int refs;
	int type; /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	enum unix_state state;
	bool dead;
	int shutdown; /* UNIX_RCV_SHUTDOWN | UNIX_SEND_SHUTDOWN */
	int err;      /* SO_ERROR, cleared when read */
	struct usock *peer; /* referenced */
	bool bound;
	struct sock_addr addr;    /* valid when bound (embryos: the listener's) */
	struct path path;         /* a path name's socket inode (references), or NULLs */
	struct usock *abs_next;   /* in the abstract namespace list while bound there */
	struct unix_msg *rq_head, *rq_tail; /* receive queue */
	int rq_len;
	size_t rq_bytes;
	struct usock *acc_head, *acc_tail, *acc_next; /* accept queue (listener) / link */
	int acc_len, backlog;
	size_t wmem; /* bytes charged for our messages still queued somewhere */
	int sndbuf, rcvbuf;
	bool passcred, reuseaddr, has_peercred;
	struct sock_creds peercred;
	struct sock_creds owner; /* the creator: credentials of write(2)s, which have no task */
	int64_t rcvtimeo_ns, sndtimeo_ns; /* 0: none */
	uint64_t ino;
	uint64_t search_mark; /* in-flight cycle search (unix_io.c) */
	uint32_t uid, gid;
	struct waitq rwait; /* data, connections, state changes (readers, accept, poll) */
	struct waitq wwait; /* our charged bytes went down (writers) */
};

struct unix_file {
	struct file base;
	struct usock *s;
};

struct unix_gc {
	struct unix_msg *msgs;
};

extern pthread_mutex_t unix_mu;
/* Woken whenever a receive queue or an accept queue shrinks: senders waiting for room. */
extern struct waitq unix_room;

static inline struct usock *file_usock(struct file *f)
{
	return container_of(f, struct unix_file, base)->s;
}

/* unix_sock_put - drop a reference; the last frees a dead socket. Preconditions: unix_mu. */
void unix_sock_put(struct usock *s);
/* unix_autobind - bind an unbound socket to a fresh abstract name. Preconditions: unix_mu. */
int unix_autobind(struct usock *s);
/* unix_mkname - validate a guest address (Linux's unix_validate_addr/unix_mkname_bsd). */
int unix_mkname(const void *addr, uint32_t len, struct sock_addr *out);
/*
 * unix_lookup_addr - the socket (referenced) bound to name @a, of @type: -ENOENT,
 * -ECONNREFUSED, -EPROTOTYPE, -EACCES. Preconditions: unix_mu NOT held (it walks the VFS).
 */
int unix_lookup_addr(const struct vfs_start *vs, const struct sock_addr *a, int type,
		     struct usock **out);
/* unix_file_usock - the usock of a unix socket file, or NULL. */
struct usock *unix_file_usock(struct file *f);

/* ---- unix_io.c ---- */
/*
 * unix_msg_unlink - the message leaves a queue: uncharge and unreference its sender (waking
 * its writers) and put it on @gc. Preconditions: unix_mu.
 */
void unix_msg_unlink(struct unix_msg *m, struct unix_gc *gc);
/* unix_flush_queue - every message of @s's receive queue onto @gc. Preconditions: unix_mu. */
void unix_flush_queue(struct usock *s, struct unix_gc *gc);
/* unix_gc_run - free the collected messages and their files. Preconditions: unix_mu NOT held. */
void unix_gc_run(struct unix_gc *gc);
/* unix_deadline - an absolute deadline @ns from now in @ts, or NULL when @ns is 0. */
const struct timespec *unix_deadline(int64_t ns, struct timespec *ts);
/*
 * unix_wait - wait on @q with unix_mu held, until woken or @deadline: 0, -ERESTARTSYS (the
 * task was interrupted, e.g. by a signal; -EINTR when a socket timeout was set, like Linux's
 * sock_intr_errno) or -EAGAIN (the socket timeout passed, as sock_rcvtimeo/sndtimeo).
 */
int unix_wait(struct waitq *q, const struct timespec *deadline);

ssize_t unix_read(struct file *f, struct uio *dst, int64_t *pos);
ssize_t unix_write(struct file *f, struct uio *src, int64_t *pos);

#endif
