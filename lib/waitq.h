/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wait queues: how a task's host thread sleeps until an object changes (pipes, eventfd,
 * poll now; futex and wait4 later).
 *
 * A struct waiter belongs to one host thread (waiter_current()); it is a mutex, a condvar
 * (CLOCK_MONOTONIC) and two sticky flags: @woken (set by a wake, consumed by the wait that
 * sees it) and @interrupted (set by waiter_interrupt, cleared only by
 * waiter_clear_interrupt). A struct waitq is a list of entries, each pointing at a waiter;
 * one waiter may sit on several queues at once (poll), one entry per queue.
 *
 * The no-lost-wakeup rule: add the entry to the queue while holding the lock that protects
 * the condition (e.g. the pipe's mutex), drop that lock, then waiter_wait. A wake that comes
 * in between sets @woken and the wait returns at once. Waits may return spuriously: always
 * re-check the condition.
 *
 * Interruption ("the task is being killed", later a signal): the kernel calls
 * waiter_interrupt on the task's waiter (recorded from waiter_current() on the task's
 * thread); every waiter_wait then returns -EINTR immediately until the flag is cleared.
 *
 * Lock order: the caller's object lock > waitq->mu > waiter->mu.
 */
#ifndef SBX_LIB_WAITQ_H
#define SBX_LIB_WAITQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* CLOCK_MONOTONIC */
	bool woken;        /* protected by mu */
	bool interrupted;  /* protected by mu */
};

struct waitq_entry {
	struct waitq_entry *prev, *next;
	struct waiter *w;
};

struct waitq {
	pthread_mutex_t mu;
	struct waitq_entry head; /* circular list of entries; protected by mu */
	uint64_t seq;            /* wakes so far (atomic): edge-triggered epoll sees new events */
};

void waiter_init(struct waiter *w);
void waiter_destroy(struct waiter *w);
/* waiter_current - this host thread's waiter (created on first use, freed at thread exit). */
struct waiter *waiter_current(void);
/*
 * waiter_wait - sleep until woken, interrupted, or the absolute CLOCK_MONOTONIC @deadline
 * (NULL: no deadline). Returns 0 (woken; @woken consumed), -EINTR (interrupted) or
 * -ETIMEDOUT.
 */
int waiter_wait(struct waiter *w, const struct timespec *deadline);
/* waiter_wake - wake @w directly (sets @woken). */
void waiter_wake(struct waiter *w);
/* waiter_interrupt - make every wait of @w return -EINTR until waiter_clear_interrupt. */
void waiter_interrupt(struct waiter *w);
void waiter_clear_interrupt(struct waiter *w);
bool waiter_interrupted(struct waiter *w);

void waitq_init(struct waitq *q);
/* waitq_destroy - the queue must be empty. */
void waitq_destroy(struct waitq *q);
/* waitq_add / waitq_remove - put @e (for @w) on @q or take it off (idempotent). */
void waitq_add(struct waitq *q, struct waitq_entry *e, struct waiter *w);
void waitq_remove(struct waitq *q, struct waitq_entry *e);
/* waitq_wake_all - wake every waiter on @q (entries stay queued; waiters remove themselves). */
void waitq_wake_all(struct waitq *q);

/*
 * waitq_wait_locked - the common pattern in one call: with @obj_mu held (it protects the
 * condition), queue the current thread's waiter on @q, drop @obj_mu, wait, retake @obj_mu
 * and dequeue. Returns what waiter_wait returned. The caller re-checks its condition.
 */
int waitq_wait_locked(struct waitq *q, pthread_mutex_t *obj_mu, const struct timespec *deadline);

/* Deadlines: absolute CLOCK_MONOTONIC times. */
void deadline_after_ns(struct timespec *out, long long ns);
bool deadline_passed(const struct timespec *deadline);

#endif
