// SPDX-License-Identifier: Apache-2.0
/*
 * Readiness: vfs_poll and the poll table that poll/select/epoll register through. A file's
 * poll op reports its state and calls poll_wait on each wait queue whose wake might change
 * it; the poller then sleeps on its own waiter until any of them fires (lib/waitq.h).
 */
#include "fs/vfs.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "lib/waitq.h"

struct poll_entry {
	struct waitq_entry e;
	struct waitq *q;
	struct poll_entry *next;
};

unsigned int vfs_poll(struct file *f, struct poll_table *pt)
{
	if (!f->ops->poll)
		return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	return f->ops->poll(f, pt);
}

void poll_table_init(struct poll_table *pt, struct waiter *w)
{
	pt->w = w;
	pt->entries = NULL;
	pt->host = false;
	pt->err = 0;
	pt->collect = false;
	pt->seqsum = 0;
}

void poll_wait(struct poll_table *pt, struct waitq *q)
{
	struct poll_entry *pe;

	if (!pt)
		return;
	if (pt->collect) {
		pt->seqsum += __atomic_load_n(&q->seq, __ATOMIC_ACQUIRE);
		return;
	}
	pe = calloc(1, sizeof(*pe));
	if (!pe) {
		pt->err = -ENOMEM;
		return;
	}
	pe->q = q;
	waitq_add(q, &pe->e, pt->w);
	pe->next = pt->entries;
	pt->entries = pe;
}

void poll_table_set_host(struct poll_table *pt)
{
	if (pt)
		pt->host = true;
}

void poll_table_release(struct poll_table *pt)
{
	struct poll_entry *pe = pt->entries;

	while (pe) {
		struct poll_entry *n = pe->next;
		waitq_remove(pe->q, &pe->e);
		free(pe);
		pe = n;
	}
	pt->entries = NULL;
}
