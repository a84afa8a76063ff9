// SPDX-License-Identifier: Apache-2.0
/*
 * epoll (level-triggered). An epoll file holds a list of items (fd, file reference, events,
 * data). epoll_scan polls every item's file and reports the ready ones, registering the
 * caller's poll table on their wait queues so the caller can sleep; polling the epoll file
 * itself (poll() on an epoll fd) forwards the table the same way.
 *
 * Edge-triggered items (EPOLLET) are reported again only after one of their file's wait
 * queues was woken since the last report (each queue counts its wakes); host fds, which have
 * no queue, stay level-triggered. EPOLLONESHOT disables an item after it is reported until
 * EPOLL_CTL_MOD;
 * EPOLLEXCLUSIVE/EPOLLWAKEUP accepted and ignored. An item holds a reference on its file and
 * is dropped when its fd no longer names that file in the waiter's fd table (Linux drops it
 * when the file description is released: the same for the common close(fd) case). Epoll
 * files cannot be added to epoll files (-EINVAL), so there are no loops to detect.
 *
 * Locking: ep->mu > the items' own locks (pipe->mu, ...) > waitq->mu; ep->mu > fdtable->mu.
 */
#include "fs/vfs.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "lib/compiler.h"
#include "lib/waitq.h"

struct epitem {
	struct epitem *next;
	int fd;
	struct file *f;
	uint32_t events; /* 0 while an EPOLLONESHOT item is disarmed */
	uint64_t data;
	bool et_seen;    /* EPOLLET: reported since added or modified */
	uint64_t et_seq; /* ... when its queues had seen this many wakes */
};

struct epoll {
	struct file base;
	pthread_mutex_t mu;
	struct epitem *items; /* protected by mu */
};

static struct epoll *file_ep(struct file *f)
{
	return container_of(f, struct epoll, base);
}

/* Events always reported whether asked or not. */
#define EP_ALWAYS (EPOLLERR | EPOLLHUP)
#define EP_FLAGS (EPOLLET | EPOLLONESHOT | EPOLLWAKEUP | EPOLLEXCLUSIVE)

static unsigned int item_ready(struct epitem *it, struct poll_table *pt)
{
	if (!it->events) {
		return 0;
	}
	return vfs_poll(it->f, pt) & ((it->events & ~EP_FLAGS) | EP_ALWAYS);
}

static unsigned int epoll_poll(struct file *f, struct poll_table *pt)
{
	struct epoll *ep = file_ep(f);
	unsigned int m = 0;

	pthread_mutex_lock(&ep->mu);
	for (struct epitem *it = ep->items; it; it = it->next)
		if (item_ready(it, pt))
			m = POLLIN | POLLRDNORM;
	pthread_mutex_unlock(&ep->mu);
	return m;
}

static void epoll_release(struct file *f)
{
	struct epoll *ep = file_ep(f);
	struct epitem *it = ep->items;

	while (it) {
		struct epitem *n = it->next;
		file_put(it->f);
		free(it);
		it = n;
	}
	pthread_mutex_destroy(&ep->mu);
	free(ep);
}

static const struct file_ops epoll_ops = {
	.poll = epoll_poll,
	.release = epoll_release,
};

bool file_is_epoll(const struct file *f)
{
	return f->ops == &epoll_ops;
}

int epoll_new(int flags, struct file **out)
{
	struct epoll *ep = calloc(1, sizeof(*ep));

	if (!ep)
		return -ENOMEM;
	pthread_mutex_init(&ep->mu, NULL);
	file_init(&ep->base, &epoll_ops, 2 /* O_RDWR */, NULL);
	*out = &ep->base;
	return 0;
}

int epoll_ctl_file(struct file *epf, int op, int fd, struct file *target, uint32_t events,
		   uint64_t data)
{
	struct epoll *ep = file_ep(epf);
	struct epitem **pp, *it;
	int r = 0;

	if (target == epf || file_is_epoll(target))
		return -EINVAL;
	if (!target->ops->poll)
		return -EPERM; /* regular files: Linux's file_can_poll */
	if (op == EPOLL_CTL_MOD && (events & EPOLLEXCLUSIVE))
		return -EINVAL;
	pthread_mutex_lock(&ep->mu);
	for (pp = &ep->items; *pp; pp = &(*pp)->next)
		if ((*pp)->fd == fd && (*pp)->f == target)
			break;
	it = *pp;
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it) {
			r = -EEXIST;
			break;
		}
		it = calloc(1, sizeof(*it));
		if (!it) {
			r = -ENOMEM;
			break;
		}
		it->fd = fd;
		it->f = target;
		file_get(target);
		it->events = events | EP_ALWAYS;
		it->data = data;
		*pp = it; /* at the tail: reported in the order added */
		break;
	case EPOLL_CTL_MOD:
		if (!it) {
			r = -ENOENT;
			break;
		}
		it->events = events | EP_ALWAYS;
		it->data = data;
		it->et_seen = false; /* re-armed: the current state counts as an edge */
		break;
	case EPOLL_CTL_DEL:
		if (!it) {
			r = -ENOENT;
			break;
		}
		*pp = it->next;
		file_put(it->f);
		free(it);
		break;
	default:
		r = -EINVAL;
	}
	pthread_mutex_unlock(&ep->mu);
	return r;
}

int epoll_scan(struct file *epf, struct fdtable *fdt, struct poll_table *pt,
	       struct epoll_event *out, int max)
{
	struct epoll *ep = file_ep(epf);
	struct epitem *dead = NULL;
	int n = 0;

	pthread_mutex_lock(&ep->mu);
	for (struct epitem **pp = &ep->items; *pp;) {
		struct epitem *it = *pp;
		struct file *cur = fdtable_get_file(fdt, it->fd, NULL);
		if (cur)
			file_put(cur);
		if (cur != it->f) { /* closed (or reused): Linux dropped it on release */
			*pp = it->next;
			it->next = dead;
			dead = it;
			continue;
		}
		pp = &it->next;
		if (n >= max) {
			continue;
		}
		unsigned int m = item_ready(it, pt);
		if (!m)
			continue;
		if (it->events & EPOLLET) {
			struct poll_table c = { .collect = true };
			vfs_poll(it->f, &c);
			if (!c.host && it->et_seen && c.seqsum == it->et_seq)
				continue; /* no new event since the last report */
			it->et_seen = true;
			it->et_seq = c.seqsum;
		}
		out[n].events = m;
		out[n].data.u64 = it->data;
		n++;
		if (it->events & EPOLLONESHOT)
			it->events = 0;
	}
	pthread_mutex_unlock(&ep->mu);
	while (dead) {
		struct epitem *nx = dead->next;
		file_put(dead->f);
		free(dead);
		dead = nx;
	}
	return n;
}
