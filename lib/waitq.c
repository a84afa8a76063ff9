// SPDX-License-Identifier: Apache-2.0
/* Wait queues (lib/waitq.h). */
#include "lib/waitq.h"

#include <errno.h>
#include <stdlib.h>

void waiter_init(struct waiter *w)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	w->woken = false;
	w->interrupted = false;
}

void waiter_destroy(struct waiter *w)
{
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}

static pthread_key_t waiter_key;
static pthread_once_t waiter_once = PTHREAD_ONCE_INIT;

static void waiter_free(void *p)
{
	waiter_destroy(p);
	free(p);
}

static void waiter_key_init(void)
{
	pthread_key_create(&waiter_key, waiter_free);
}

struct waiter *waiter_current(void)
{
	struct waiter *w;

	pthread_once(&waiter_once, waiter_key_init);
	w = pthread_getspecific(waiter_key);
	if (!w) {
		w = malloc(sizeof(*w));
		if (!w)
			abort();
		waiter_init(w);
		pthread_setspecific(waiter_key, w);
	}
	return w;
}

int waiter_wait(struct waiter *w, const struct timespec *deadline)
{
	int r = 0;

	pthread_mutex_lock(&w->mu);
	while (!w->woken && !w->interrupted) {
		int e = deadline ? pthread_cond_timedwait(&w->cv, &w->mu, deadline)
				 : pthread_cond_wait(&w->cv, &w->mu);
		if (e == ETIMEDOUT && !w->woken && !w->interrupted) {
			r = -ETIMEDOUT;
			break;
		}
	}
	if (w->interrupted)
		r = -EINTR;
	else if (w->woken) {
		w->woken = false;
		r = 0;
	}
	pthread_mutex_unlock(&w->mu);
	return r;
}

void waiter_wake(struct waiter *w)
{
	pthread_mutex_lock(&w->mu);
	w->woken = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void waiter_interrupt(struct waiter *w)
{
	pthread_mutex_lock(&w->mu);
	w->interrupted = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void waiter_clear_interrupt(struct waiter *w)
{
	/* Called on every return to the guest: skip the lock when there is nothing to clear. */
	if (!__atomic_load_n(&w->interrupted, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&w->mu);
	w->interrupted = false;
	pthread_mutex_unlock(&w->mu);
}

bool waiter_interrupted(struct waiter *w)
{
	pthread_mutex_lock(&w->mu);
	bool r = w->interrupted;
	pthread_mutex_unlock(&w->mu);
	return r;
}

void waitq_init(struct waitq *q)
{
	pthread_mutex_init(&q->mu, NULL);
	q->head.prev = q->head.next = &q->head;
	q->head.w = NULL;
}

void waitq_destroy(struct waitq *q)
{
	pthread_mutex_destroy(&q->mu);
}

void waitq_add(struct waitq *q, struct waitq_entry *e, struct waiter *w)
{
	e->w = w;
	pthread_mutex_lock(&q->mu);
	e->next = &q->head;
	e->prev = q->head.prev;
	q->head.prev->next = e;
	q->head.prev = e;
	pthread_mutex_unlock(&q->mu);
}

void waitq_remove(struct waitq *q, struct waitq_entry *e)
{
	pthread_mutex_lock(&q->mu);
	if (e->next) {
		e->prev->next = e->next;
		e->next->prev = e->prev;
		e->next = e->prev = NULL;
	}
	pthread_mutex_unlock(&q->mu);
}

void waitq_wake_all(struct waitq *q)
{
	__atomic_add_fetch(&q->seq, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&q->mu);
	for (struct waitq_entry *e = q->head.next; e != &q->head; e = e->next)
		waiter_wake(e->w);
	pthread_mutex_unlock(&q->mu);
}

int waitq_wait_locked(struct waitq *q, pthread_mutex_t *obj_mu, const struct timespec *deadline)
{
	struct waiter *w = waiter_current();
	struct waitq_entry e;
	int r;

	waitq_add(q, &e, w);
	pthread_mutex_unlock(obj_mu);
	r = waiter_wait(w, deadline);
	pthread_mutex_lock(obj_mu);
	waitq_remove(q, &e);
	return r;
}

void deadline_after_ns(struct timespec *out, long long ns)
{
	clock_gettime(CLOCK_MONOTONIC, out);
	out->tv_sec += ns / 1000000000LL;
	out->tv_nsec += ns % 1000000000LL;
	if (out->tv_nsec >= 1000000000L) {
		out->tv_sec++;
		out->tv_nsec -= 1000000000L;
	}
}

bool deadline_passed(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}
