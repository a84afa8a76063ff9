// SPDX-License-Identifier: Apache-2.0
/*
 * Pipes (Linux fs/pipe.c semantics over a byte ring). One struct pipe is shared by the read
 * and write open file descriptions; @readers/@writers count those descriptions (dup and
 * fork share a description through its reference count, so they do not change the counts).
 *
 *  - read: returns what is there (up to the request) without waiting for more; empty with
 *    no writers -> 0 (EOF); empty and O_NONBLOCK -> -EAGAIN; else waits.
 *  - write: no readers -> -EPIPE (the syscall layer sends SIGPIPE). Writes of at most
 *    PIPE_BUF bytes are atomic: they wait for room for all of them. Larger writes go in
 *    pieces as room appears; O_NONBLOCK returns what fit, or -EAGAIN if nothing did.
 *  - a wait interrupted (lib/waitq.h) returns what was done or -ERESTARTSYS.
 *
 * Locking: pipe->mu protects everything; guest copies run under it (pipe->mu > mm->mu).
 */
#include "fs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "lib/compiler.h"
#include "lib/abi/linux/errno.h"
#include "lib/waitq.h"

struct pipe {
	struct refcount ref; /* one per end's open file description */
	pthread_mutex_t mu;
	struct waitq rq, wq; /* readers wait on rq (data/EOF), writers on wq (room/no readers) */
	char *buf;
	size_t cap, head, len; /* ring: data at [head, head+len) mod cap */
	int readers, writers;
	uint64_t ino;
	uint32_t uid, gid;
	struct timespec ctime;
	/* FIFOs (named pipes): the inode it belongs to, opens so far (a partner that opened
	 * and closed again still lets a blocked open finish), the table link. fifo_mu. */
	const struct inode *fifo_ino;
	uint64_t r_opens, w_opens;
	struct pipe *fifo_next;
};

static pthread_mutex_t fifo_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pipe *fifo_list; /* protected by fifo_mu */

struct pipe_file {
	struct file base;
	struct pipe *p;
};

static atomic_ulong pipe_next_ino = 1;

static struct pipe *file_pipe(struct file *f)
{
	return container_of(f, struct pipe_file, base)->p;
}

/* Copy up to @n bytes out of the ring into @u. Bytes or -EFAULT. */
static ssize_t ring_out(struct pipe *p, struct uio *u, size_t n)
{
	size_t done = 0;

	n = MIN(n, p->len);
	while (done < n) {
		size_t chunk = MIN(n - done, p->cap - p->head);
		ssize_t c = uio_copy_out(u, p->buf + p->head, chunk);
		if (c <= 0)
			return done ? (ssize_t)done : (c ? c : -EFAULT);
		p->head = (p->head + (size_t)c) % p->cap;
		p->len -= (size_t)c;
		done += (size_t)c;
		if ((size_t)c < chunk)
			break;
	}
	return (ssize_t)done;
}

static ssize_t ring_in(struct pipe *p, struct uio *u, size_t n)
{
	size_t done = 0;

	n = MIN(n, p->cap - p->len);
	while (done < n) {
		size_t tail = (p->head + p->len) % p->cap;
		size_t chunk = MIN(n - done, p->cap - tail);
		ssize_t c = uio_copy_in(u, p->buf + tail, chunk);
		if (c <= 0)
			return done ? (ssize_t)done : (c ? c : -EFAULT);
		p->len += (size_t)c;
		done += (size_t)c;
		if ((size_t)c < chunk)
			break;
	}
	return (ssize_t)done;
}

static ssize_t pipe_read(struct file *f, struct uio *dst, int64_t *pos)
{
	struct pipe *p = file_pipe(f);
	ssize_t r;

	if (pos != &f->pos)
		return -ESPIPE; /* pread: pipes have no offsets (no FMODE_PREAD) */
	if (dst->resid == 0)
		return 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->len) {
			r = ring_out(p, dst, dst->resid);
			if (r > 0)
				waitq_wake_all(&p->wq);
			break;
		}
		if (!p->writers) {
			r = 0;
			break;
		}
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		if (waitq_wait_locked(&p->rq, &p->mu, NULL) == -EINTR) {
			r = -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return r;
}

static ssize_t pipe_write(struct file *f, struct uio *src, int64_t *pos)
{
	struct pipe *p = file_pipe(f);
	size_t total = src->resid;
	ssize_t done = 0, r = 0;

	if (pos != &f->pos)
		return -ESPIPE;
	pthread_mutex_lock(&p->mu);
	if (!p->readers) {
		pthread_mutex_unlock(&p->mu);
		return -EPIPE;
	}
	if (total == 0) {
		pthread_mutex_unlock(&p->mu);
		return 0;
	}
	while (src->resid) {
		size_t room = p->cap - p->len;
		if (!p->readers) {
			r = -EPIPE;
			break;
		}
		/* Atomic writes wait for room for all of them. */
		bool fits = total <= PIPE_BUF_ATOMIC ? room >= src->resid : room > 0;
		if (fits) {
			ssize_t c = ring_in(p, src, src->resid);
			if (c < 0) {
				r = c;
				break;
			}
			done += c;
			waitq_wake_all(&p->rq);
			if (c == 0)
				break;
			continue;
		}
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		if (waitq_wait_locked(&p->wq, &p->mu, NULL) == -EINTR) {
			r = -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return done ? done : r;
}

static long pipe_ioctl(struct file *f, struct mm *mm, unsigned int cmd, uint64_t arg)
{
	struct pipe *p = file_pipe(f);
	int n;

	if (cmd != FIONREAD)
		return -ENOTTY;
	pthread_mutex_lock(&p->mu);
	n = (int)p->len;
	pthread_mutex_unlock(&p->mu);
	if (mm_copy_out(mm, arg, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return -EFAULT;
	return 0;
}

static int pipe_fstat(struct file *f, struct stat *st)
{
	struct pipe *p = file_pipe(f);

	if (f->path.dentry)
		return vfs_getattr(f->path.dentry->inode, st); /* a FIFO: its own inode */
	memset(st, 0, sizeof(*st));
	st->st_dev = 0xd; /* Linux's pipefs is an anonymous device too */
	st->st_ino = p->ino;
	st->st_mode = S_IFIFO | 0600;
	st->st_nlink = 1;
	st->st_uid = p->uid;
	st->st_gid = p->gid;
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = p->ctime;
	return 0;
}

static unsigned int pipe_poll(struct file *f, struct poll_table *pt)
{
	struct pipe *p = file_pipe(f);
	bool rd = (f->flags & O_ACCMODE) == O_RDONLY;
	unsigned int m = 0;

	pthread_mutex_lock(&p->mu);
	poll_wait(pt, rd ? &p->rq : &p->wq);
	if (rd) {
		if (p->len)
			m |= POLLIN | POLLRDNORM;
		if (!p->writers)
			m |= POLLHUP;
	} else {
		if (p->cap - p->len >= PIPE_BUF_ATOMIC || (p->len == 0))
			m |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			m |= POLLERR;
	}
	pthread_mutex_unlock(&p->mu);
	return m;
}

static void pipe_put(struct pipe *p)
{
	if (!refcount_dec(&p->ref))
		return;
	waitq_destroy(&p->rq);
	waitq_destroy(&p->wq);
	pthread_mutex_destroy(&p->mu);
	free(p->buf);
	free(p);
}

static void pipe_release(struct file *f)
{
	struct pipe *p = file_pipe(f);
	bool fifo = p->fifo_ino != NULL, gone = false;
	int acc = f->flags & O_ACCMODE;

	if (fifo)
		pthread_mutex_lock(&fifo_mu);
	pthread_mutex_lock(&p->mu);
	if (acc == O_RDONLY || acc == O_RDWR)
		p->readers--;
	if (acc == O_WRONLY || acc == O_RDWR)
		p->writers--;
	/* Wake both sides: readers see EOF, writers see EPIPE, pollers see HUP/ERR. */
	waitq_wake_all(&p->rq);
	waitq_wake_all(&p->wq);
	/* A FIFO nobody has open forgets its data and leaves the table (its reference). */
	if (fifo && !p->readers && !p->writers) {
		for (struct pipe **pp = &fifo_list; *pp; pp = &(*pp)->fifo_next) {
			if (*pp == p) {
				*pp = p->fifo_next;
				gone = true;
				break;
			}
		}
	}
	pthread_mutex_unlock(&p->mu);
	if (fifo)
		pthread_mutex_unlock(&fifo_mu);
	free(container_of(f, struct pipe_file, base));
	if (gone)
		pipe_put(p);
	pipe_put(p);
}

static int pipe_reopen(struct file *f, int flags, struct file **out);

static const struct file_ops pipe_ops = {
	.read = pipe_read,
	.write = pipe_write,
	.ioctl = pipe_ioctl,
	.fstat = pipe_fstat,
	.poll = pipe_poll,
	.release = pipe_release,
	.reopen = pipe_reopen,
};

/* Linux's pipe-max-size: what an unprivileged F_SETPIPE_SZ may ask for. */
#define PIPE_MAX_SIZE (1024 * 1024)

long pipe_get_size(struct file *f)
{
	if (!file_is_pipe(f))
		return -EBADF;
	struct pipe *p = file_pipe(f);
	pthread_mutex_lock(&p->mu);
	long r = (long)p->cap;
	pthread_mutex_unlock(&p->mu);
	return r;
}

long pipe_set_size(struct file *f, unsigned long size, bool privileged)
{
	struct pipe *p;
	size_t cap = 4096;
	char *nb;

	if (!file_is_pipe(f))
		return -EBADF;
	/* round_pipe_size: a power of two number of pages, at least one. */
	while (cap < size && cap <= (1UL << 30))
		cap <<= 1;
	if (size > (1UL << 31))
		return -EINVAL;
	if (cap > PIPE_MAX_SIZE && !privileged)
		return -EPERM;
	p = file_pipe(f);
	nb = malloc(cap);
	if (!nb)
		return -ENOMEM;
	pthread_mutex_lock(&p->mu);
	if (p->len > cap) {
		pthread_mutex_unlock(&p->mu);
		free(nb);
		return -EBUSY;
	}
	/* Move the ring's contents to the start of the new buffer. */
	size_t first = MIN(p->len, p->cap - p->head);
	memcpy(nb, p->buf + p->head, first);
	memcpy(nb + first, p->buf, p->len - first);
	free(p->buf);
	p->buf = nb;
	p->cap = cap;
	p->head = 0;
	waitq_wake_all(&p->wq); /* writers may fit now */
	pthread_mutex_unlock(&p->mu);
	return (long)cap;
}

bool file_is_pipe(const struct file *f)
{
	return f->ops == &pipe_ops;
}

ssize_t pipe_peek(struct file *f, void *buf, size_t len, bool nonblock)
{
	struct pipe *p;
	ssize_t r;

	if (!file_is_pipe(f))
		return -EINVAL;
	p = file_pipe(f);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->len) {
			size_t n = MIN(len, p->len), first = MIN(n, p->cap - p->head);
			memcpy(buf, p->buf + p->head, first);
			memcpy((char *)buf + first, p->buf, n - first);
			r = (ssize_t)n;
			break;
		}
		if (!p->writers) {
			r = 0;
			break;
		}
		if (nonblock || (f->flags & O_NONBLOCK)) {
			r = -EAGAIN;
			break;
		}
		if (waitq_wait_locked(&p->rq, &p->mu, NULL) == -EINTR) {
			r = -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return r;
}

/* A pipe object with no ends yet (one reference, the caller's). */
static struct pipe *pipe_alloc(uint32_t uid, uint32_t gid)
{
	struct pipe *p = calloc(1, sizeof(*p));

	if (p)
		p->buf = malloc(PIPE_DEF_SIZE);
	if (!p || !p->buf) {
		if (p)
			free(p->buf);
		free(p);
		return NULL;
	}
	refcount_init(&p->ref);
	pthread_mutex_init(&p->mu, NULL);
	waitq_init(&p->rq);
	waitq_init(&p->wq);
	p->cap = PIPE_DEF_SIZE;
	p->ino = atomic_fetch_add(&pipe_next_ino, 1);
	p->uid = uid;
	p->gid = gid;
	clock_gettime(CLOCK_REALTIME, &p->ctime);
	return p;
}

/* Count a new end of @p opened with access @acc. Preconditions: p->mu. */
static void count_end(struct pipe *p, int acc)
{
	if (acc == O_RDONLY || acc == O_RDWR) {
		p->readers++;
		p->r_opens++;
		waitq_wake_all(&p->wq);
	}
	if (acc == O_WRONLY || acc == O_RDWR) {
		p->writers++;
		p->w_opens++;
		waitq_wake_all(&p->rq);
	}
}

/* A blocking open waits for an end of the other kind to exist or to have come and gone.
 * Preconditions: p->mu (dropped while waiting). */
static int wait_partner(struct pipe *p, int acc)
{
	uint64_t start = acc == O_RDONLY ? p->w_opens : p->r_opens;

	for (;;) {
		bool partner = acc == O_RDONLY ? p->writers || p->w_opens != start
					       : p->readers || p->r_opens != start;
		if (partner)
			return 0;
		if (waitq_wait_locked(acc == O_RDONLY ? &p->rq : &p->wq, &p->mu, NULL) == -EINTR)
			return -ERESTARTSYS;
	}
}

/*
 * open(2) of /proc/PID/fd/N naming an anonymous pipe: a new end of the same pipe. Linux's
 * fifo_open never waits for a partner nor fails with ENXIO on a pipefs inode: the pipe
 * already had both ends, and a reader of a writerless one reads EOF.
 */
static int pipe_reopen(struct file *f, int flags, struct file **out)
{
	struct pipe *p = file_pipe(f);
	int acc = flags & O_ACCMODE;
	struct pipe_file *pf;

	if (p->fifo_ino)
		return -ENXIO; /* FIFOs have a path: opened through it */
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	refcount_inc(&p->ref);
	pthread_mutex_lock(&p->mu);
	count_end(p, acc);
	pthread_mutex_unlock(&p->mu);
	pf->p = p;
	file_init(&pf->base, &pipe_ops,
		  flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC), NULL);
	*out = &pf->base;
	return 0;
}

/*
 * Opening a FIFO (Linux's fifo_open): readers wait for a writer and writers for a reader,
 * unless O_NONBLOCK (a nonblocking writer with no reader gets ENXIO); O_RDWR never waits.
 */
int fifo_open(struct inode *ino, const struct path *path, int flags, struct file **out)
{
	int acc = flags & O_ACCMODE, r = 0;
	bool nonblock = flags & O_NONBLOCK;
	struct pipe *p;
	struct pipe_file *pf = calloc(1, sizeof(*pf));

	if (!pf)
		return -ENOMEM;
	pthread_mutex_lock(&fifo_mu);
	for (p = fifo_list; p && p->fifo_ino != ino; p = p->fifo_next)
		;
	if (!p) {
		p = pipe_alloc(ino->uid, ino->gid);
		if (!p) {
			pthread_mutex_unlock(&fifo_mu);
			free(pf);
			return -ENOMEM;
		}
		p->fifo_ino = ino;
		p->fifo_next = fifo_list;
		fifo_list = p; /* the table's reference */
	}
	refcount_inc(&p->ref); /* this end's */
	pthread_mutex_lock(&p->mu);
	if (acc == O_WRONLY && nonblock && !p->readers) {
		r = -ENXIO;
	} else {
		count_end(p, acc);
	}
	pthread_mutex_unlock(&fifo_mu);
	pf->p = p;
	file_init(&pf->base, &pipe_ops, flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC), NULL);
	pf->base.path = *path;
	path_get(&pf->base.path);
	if (r == 0 && !nonblock && acc != O_RDWR)
		r = wait_partner(p, acc);
	pthread_mutex_unlock(&p->mu);
	if (r < 0) {
		if (r == -ENXIO) {
			/* Never counted as an end: drop our reference only. */
			pthread_mutex_lock(&fifo_mu);
			bool orphan = !p->readers && !p->writers;
			if (orphan) {
				for (struct pipe **pp = &fifo_list; *pp; pp = &(*pp)->fifo_next) {
					if (*pp == p) {
						*pp = p->fifo_next;
						break;
					}
				}
			}
			pthread_mutex_unlock(&fifo_mu);
			path_put(&pf->base.path);
			free(pf);
			if (orphan)
				pipe_put(p);
			pipe_put(p);
		} else {
			file_put(&pf->base); /* an end after all: release undoes the counts */
		}
		return r;
	}
	*out = &pf->base;
	return 0;
}

int pipe_new(int flags, uint32_t uid, uint32_t gid, struct file **rd, struct file **wr)
{
	struct pipe *p = calloc(1, sizeof(*p));
	struct pipe_file *r = calloc(1, sizeof(*r)), *w = calloc(1, sizeof(*w));
	int fl = flags & (O_NONBLOCK | O_DIRECT);

	if (p)
		p->buf = malloc(PIPE_DEF_SIZE);
	if (!p || !p->buf || !r || !w) {
		if (p)
			free(p->buf);
		free(p);
		free(r);
		free(w);
		return -ENOMEM;
	}
	refcount_init(&p->ref);
	refcount_inc(&p->ref);
	pthread_mutex_init(&p->mu, NULL);
	waitq_init(&p->rq);
	waitq_init(&p->wq);
	p->cap = PIPE_DEF_SIZE;
	p->readers = p->writers = 1;
	p->ino = atomic_fetch_add(&pipe_next_ino, 1);
	p->uid = uid;
	p->gid = gid;
	clock_gettime(CLOCK_REALTIME, &p->ctime);
	r->p = w->p = p;
	file_init(&r->base, &pipe_ops, O_RDONLY | fl, NULL);
	file_init(&w->base, &pipe_ops, O_WRONLY | fl, NULL);
	*rd = &r->base;
	*wr = &w->base;
	return 0;
}
