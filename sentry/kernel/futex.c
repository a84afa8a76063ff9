// SPDX-License-Identifier: Apache-2.0
/*
 * futex(2): wait queues keyed by guest word, as Linux's kernel/futex/.
 *
 * Key: a private futex (FUTEX_PRIVATE_FLAG, or any futex in a private mapping) is (mm, guest
 * address); one in a MAP_SHARED mapping is its memory-file offset, the same in every process
 * that maps the page (mm_word_op). Keys hash into buckets, each a mutex and a list of
 * waiting tasks. A waiter checks the word's value under its bucket lock before it queues,
 * and a waker takes the same lock, so a wake-up between the check and the sleep is never
 * lost. Guest threads change futex words concurrently with us, so every read-modify-write
 * of a word is an atomic on the Sentry's mapping of the page (mm_word_op).
 *
 * Lock order: bucket (lower index first when two) > mm->mu (mm_word_op) > waiter->mu.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/waitq.h"
#include "sentry/host/host.h"
#include "sentry/kernel/kernel.h"

#define FUTEX_BUCKETS 512
#define ROBUST_LIST_LIMIT 2048

struct futex_key {
	const void *mm; /* NULL for a shared key */
	uint64_t off;   /* guest address (private) or memory-file offset (shared) */
};

struct futex_waiter {
	struct futex_waiter *prev, *next; /* in its bucket; protected by the bucket lock */
	struct futex_key key;             /* protected by the bucket lock (requeue moves it) */
	struct futex_bucket *bucket;      /* the bucket it is on; atomic (requeue moves it) */
	uint32_t bitset;
	bool pi;                          /* waiting in FUTEX_LOCK_PI */
	pid_t tid;
	struct waiter *w;
	int woken;                        /* set by the waker under the bucket lock */
};

struct futex_bucket {
	pthread_mutex_t mu;
	struct futex_waiter head; /* circular list */
};

struct futex_table {
	struct futex_bucket b[FUTEX_BUCKETS];
};

int futex_table_new(struct futex_table **out)
{
	struct futex_table *ft = calloc(1, sizeof(*ft));

	if (!ft)
		return -ENOMEM;
	for (int i = 0; i < FUTEX_BUCKETS; i++) {
		pthread_mutex_init(&ft->b[i].mu, NULL);
		ft->b[i].head.prev = ft->b[i].head.next = &ft->b[i].head;
	}
	*out = ft;
	return 0;
}

void futex_table_free(struct futex_table *ft)
{
	if (!ft)
		return;
	for (int i = 0; i < FUTEX_BUCKETS; i++)
		pthread_mutex_destroy(&ft->b[i].mu);
	free(ft);
}

static bool key_eq(const struct futex_key *a, const struct futex_key *b)
{
	return a->mm == b->mm && a->off == b->off;
}

static struct futex_bucket *bucket_of(struct futex_table *ft, const struct futex_key *k)
{
	uint64_t h = (k->off >> 2) ^ ((uint64_t)(uintptr_t)k->mm >> 4);

	h *= 0x9e3779b97f4a7c15ULL;
	return &ft->b[h >> 55 & (FUTEX_BUCKETS - 1)];
}

static void lock2(struct futex_bucket *a, struct futex_bucket *b)
{
	if (a == b) {
		pthread_mutex_lock(&a->mu);
	} else if (a < b) {
		pthread_mutex_lock(&a->mu);
		pthread_mutex_lock(&b->mu);
	} else {
		pthread_mutex_lock(&b->mu);
		pthread_mutex_lock(&a->mu);
	}
}

static void unlock2(struct futex_bucket *a, struct futex_bucket *b)
{
	pthread_mutex_unlock(&a->mu);
	if (a != b)
		pthread_mutex_unlock(&b->mu);
}

static void fw_link(struct futex_bucket *b, struct futex_waiter *fw)
{
	__atomic_store_n(&fw->bucket, b, __ATOMIC_RELEASE);
	fw->prev = b->head.prev;
	fw->next = &b->head;
	b->head.prev->next = fw;
	b->head.prev = fw;
}

static void fw_unlink(struct futex_waiter *fw)
{
	fw->prev->next = fw->next;
	fw->next->prev = fw->prev;
	fw->prev = fw->next = fw;
}

/* Preconditions: @fw's bucket locked. Mark it woken, dequeue it, wake its thread. */
static void fw_wake(struct futex_waiter *fw)
{
	fw_unlink(fw);
	__atomic_store_n(&fw->woken, 1, __ATOMIC_RELEASE);
	waiter_wake(fw->w);
}

static int read_word(uint32_t *w, void *arg)
{
	*(uint32_t *)arg = __atomic_load_n(w, __ATOMIC_SEQ_CST);
	return 0;
}

/*
 * The key of @addr. Private futexes need no page (Linux does not touch memory either); the
 * others look at the mapping. *@val gets the word when @val is not NULL.
 */
static int get_key(struct task *t, uint64_t addr, bool priv, struct futex_key *key,
		   uint32_t *val)
{
	struct mm_word_key wk;
	int r;

	if (addr & 3)
		return -EINVAL;
	if (priv && !val) {
		key->mm = t->mm;
		key->off = addr;
		return 0;
	}
	r = mm_word_op(t->mm, addr, false, val ? read_word : NULL, val, &wk);
	if (r < 0)
		return r;
	key->mm = (wk.shared && !priv) ? NULL : (const void *)t->mm;
	key->off = key->mm ? addr : wk.off;
	return 0;
}

/* Wake up to @n waiters on @key whose bitset intersects @bitset. Bucket locked. */
static int wake_locked(struct futex_bucket *b, const struct futex_key *key, uint32_t bitset, int n)
{
	int woken = 0;

	for (struct futex_waiter *fw = b->head.next, *next; fw != &b->head && woken < n; fw = next) {
		next = fw->next;
		if (!key_eq(&fw->key, key) || !(fw->bitset & bitset) || fw->pi)
			continue;
		fw_wake(fw);
		woken++;
	}
	return woken;
}

/* Lock the bucket @fw is on now (a requeue may have moved it). */
static struct futex_bucket *lock_own_bucket(struct futex_waiter *fw)
{
	for (;;) {
		struct futex_bucket *b = __atomic_load_n(&fw->bucket, __ATOMIC_ACQUIRE);

		pthread_mutex_lock(&b->mu);
		if (__atomic_load_n(&fw->bucket, __ATOMIC_ACQUIRE) == b)
			return b;
		pthread_mutex_unlock(&b->mu);
	}
}

/*
 * Sleep until @fw is woken, the deadline passes or a signal interrupts. 0 when woken
 * (or woken while giving up: a wake is never lost), -ETIMEDOUT or -EINTR otherwise.
 */
static int fw_sleep(struct futex_waiter *fw, const struct timespec *dl)
{
	int r = 0;

	while (!__atomic_load_n(&fw->woken, __ATOMIC_ACQUIRE)) {
		r = waiter_wait(fw->w, dl);
		if (r < 0)
			break;
	}
	if (__atomic_load_n(&fw->woken, __ATOMIC_ACQUIRE))
		return 0;
	struct futex_bucket *b = lock_own_bucket(fw);
	bool woken = __atomic_load_n(&fw->woken, __ATOMIC_ACQUIRE);
	if (!woken)
		fw_unlink(fw);
	pthread_mutex_unlock(&b->mu);
	return woken ? 0 : r;
}

/* An absolute CLOCK_MONOTONIC deadline from the guest's timespec (@abs on @clk, or relative). */
static int deadline_in(struct task *t, uint64_t ts_addr, bool abs, clockid_t clk,
		       struct timespec *dl)
{
	struct timespec ts, now;
	long long ns;

	if (mm_copy_in(t->mm, ts_addr, &ts, sizeof(ts)) != sizeof(ts))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
		return -EINVAL;
	if (abs && clk == CLOCK_MONOTONIC) {
		*dl = ts;
		return 0;
	}
	if (abs) {
		host_clock_gettime(clk, &now);
		ns = (ts.tv_sec - now.tv_sec) * 1000000000LL + (ts.tv_nsec - now.tv_nsec);
	} else {
		ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
	}
	if (ns < 0)
		ns = 0;
	host_clock_gettime(CLOCK_MONOTONIC, &now);
	ns += now.tv_nsec;
	dl->tv_sec = now.tv_sec + ns / 1000000000LL;
	dl->tv_nsec = ns % 1000000000LL;
	return 0;
}

static long futex_wait_restart(struct task *t);

static long futex_wait(struct task *t, uint64_t addr, bool priv, uint32_t val, uint32_t bitset,
		       const struct timespec *dl)
{
	struct futex_table *ft = t->k->futex;
	struct futex_waiter fw = { .bitset = bitset, .tid = t->tid, .w = waiter_current() };
	struct futex_bucket *b;
	uint32_t cur;
	int r;

	for (;;) {
		r = get_key(t, addr, priv, &fw.key, NULL);
		if (r < 0)
			return r;
		b = bucket_of(ft, &fw.key);
		pthread_mutex_lock(&b->mu);
		struct futex_key again;
		r = get_key(t, addr, priv, &again, &cur);
		if (r < 0 || key_eq(&again, &fw.key))
			break;
		pthread_mutex_unlock(&b->mu); /* remapped under us: try again */
	}
	if (r < 0 || cur != val) {
		pthread_mutex_unlock(&b->mu);
		return r < 0 ? r : -EAGAIN;
	}
	fw_link(b, &fw);
	pthread_mutex_unlock(&b->mu);

	r = fw_sleep(&fw, dl);
	if (r != -EINTR)
		return r;
	if (!dl)
		return -ERESTARTSYS;
	/* Linux restarts a timed wait with the same absolute deadline (restart_block). */
	t->restart_data[0] = addr;
	t->restart_data[1] = (uint64_t)val | (uint64_t)bitset << 32;
	t->restart_data[2] = (uint64_t)dl->tv_sec;
	t->restart_data[3] = (uint64_t)dl->tv_nsec | (priv ? 1ULL << 63 : 0);
	t->restart_fn = futex_wait_restart;
	return -ERESTART_RESTARTBLOCK;
}

static long futex_wait_restart(struct task *t)
{
	struct timespec dl = { (time_t)t->restart_data[2],
			       (long)(t->restart_data[3] & ~(1ULL << 63)) };

	return futex_wait(t, t->restart_data[0], t->restart_data[3] >> 63,
			  (uint32_t)t->restart_data[1], (uint32_t)(t->restart_data[1] >> 32), &dl);
}

static long futex_wake(struct task *t, uint64_t addr, bool priv, int n, uint32_t bitset)
{
	struct futex_key key;
	int r = get_key(t, addr, priv, &key, NULL);

	if (r < 0)
		return r;
	struct futex_bucket *b = bucket_of(t->k->futex, &key);
	pthread_mutex_lock(&b->mu);
	r = wake_locked(b, &key, bitset, n);
	pthread_mutex_unlock(&b->mu);
	return r;
}

static long futex_requeue(struct task *t, uint64_t addr, uint64_t addr2, bool priv, int nwake,
			  int nreq, bool cmp, uint32_t val3)
{
	struct futex_table *ft = t->k->futex;
	struct futex_key k1, k2;
	uint32_t cur = 0;
	int r, woken = 0, moved = 0;

	if (nwake < 0 || nreq < 0)
		return -EINVAL;
	r = get_key(t, addr, priv, &k1, cmp ? &cur : NULL);
	if (r == 0)
		r = get_key(t, addr2, priv, &k2, NULL);
	if (r < 0)
		return r;
	struct futex_bucket *b1 = bucket_of(ft, &k1), *b2 = bucket_of(ft, &k2);
	lock2(b1, b2);
	if (cmp) {
		r = get_key(t, addr, priv, &k1, &cur);
		if (r == 0 && cur != val3)
			r = -EAGAIN;
		if (r < 0) {
			unlock2(b1, b2);
			return r;
		}
	}
	for (struct futex_waiter *fw = b1->head.next, *next; fw != &b1->head; fw = next) {
		next = fw->next;
		if (!key_eq(&fw->key, &k1) || fw->pi)
			continue;
		if (woken < nwake) {
			fw_wake(fw);
			woken++;
		} else if (moved < nreq) {
			fw_unlink(fw);
			fw->key = k2;
			fw_link(b2, fw);
			moved++;
		} else {
			break;
		}
	}
	unlock2(b1, b2);
	return woken + moved;
}

struct wake_op_arg {
	uint32_t op, cmp;
	int32_t oparg, cmparg;
	uint32_t old;
};

static int wake_op_word(uint32_t *w, void *arg)
{
	struct wake_op_arg *a = arg;
	uint32_t old = __atomic_load_n(w, __ATOMIC_RELAXED), nv;

	do {
		switch (a->op) {
		case FUTEX_OP_SET: nv = (uint32_t)a->oparg; break;
		case FUTEX_OP_ADD: nv = old + (uint32_t)a->oparg; break;
		case FUTEX_OP_OR: nv = old | (uint32_t)a->oparg; break;
		case FUTEX_OP_ANDN: nv = old & ~(uint32_t)a->oparg; break;
		case FUTEX_OP_XOR: nv = old ^ (uint32_t)a->oparg; break;
		default: return -ENOSYS;
		}
	} while (!__atomic_compare_exchange_n(w, &old, nv, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	a->old = old;
	return 0;
}

static bool wake_op_cmp(const struct wake_op_arg *a)
{
	int32_t old = (int32_t)a->old;

	switch (a->cmp) {
	case FUTEX_OP_CMP_EQ: return old == a->cmparg;
	case FUTEX_OP_CMP_NE: return old != a->cmparg;
	case FUTEX_OP_CMP_LT: return old < a->cmparg;
	case FUTEX_OP_CMP_LE: return old <= a->cmparg;
	case FUTEX_OP_CMP_GT: return old > a->cmparg;
	default: return old >= a->cmparg;
	}
}

/* FUTEX_WAKE_OP: encoded as op<<28 | cmp<<24 | oparg<<12 | cmparg (futex(2)). */
static long futex_wake_op(struct task *t, uint64_t addr, uint64_t addr2, bool priv, int n1,
			  int n2, uint32_t encoded)
{
	struct futex_table *ft = t->k->futex;
	struct wake_op_arg a = {
		.op = (encoded >> 28) & 7,
		.cmp = (encoded >> 24) & 15,
		.oparg = (int32_t)(encoded << 8) >> 20,
		.cmparg = (int32_t)(encoded << 20) >> 20,
	};
	struct futex_key k1, k2;
	int r, woken;

	if ((encoded >> 28) & FUTEX_OP_OPARG_SHIFT) {
		if (a.oparg < 0 || a.oparg > 31)
			return -EINVAL;
		a.oparg = 1 << a.oparg;
	}
	if (a.cmp > FUTEX_OP_CMP_GE || a.op > FUTEX_OP_XOR)
		return -ENOSYS;
	r = get_key(t, addr, priv, &k1, NULL);
	if (r == 0)
		r = get_key(t, addr2, priv, &k2, NULL);
	if (r < 0)
		return r;
	struct futex_bucket *b1 = bucket_of(ft, &k1), *b2 = bucket_of(ft, &k2);
	lock2(b1, b2);
	r = mm_word_op(t->mm, addr2, true, wake_op_word, &a, NULL);
	if (r < 0) {
		unlock2(b1, b2);
		return r;
	}
	woken = wake_locked(b1, &k1, FUTEX_BITSET_MATCH_ANY, n1);
	if (wake_op_cmp(&a))
		woken += wake_locked(b2, &k2, FUTEX_BITSET_MATCH_ANY, n2);
	unlock2(b1, b2);
	return woken;
}

/* ---- priority-inheritance futexes (no priorities here: an ownership hand-over protocol) ---- */

struct pi_lock_arg {
	uint32_t tid;
	uint32_t cur; /* out: the word as seen */
	bool got;     /* out: we own it now */
};

/* Take a free lock, or mark it contended (FUTEX_WAITERS) so its owner will hand it over. */
static int pi_try(uint32_t *w, void *arg)
{
	struct pi_lock_arg *a = arg;
	uint32_t old = __atomic_load_n(w, __ATOMIC_RELAXED);

	for (;;) {
		uint32_t nv;

		a->got = false;
		if ((old & FUTEX_TID_MASK) == 0)
			nv = a->tid | (old & FUTEX_OWNER_DIED) | (old & FUTEX_WAITERS);
		else if ((old & FUTEX_TID_MASK) == a->tid)
			break;
		else
			nv = old | FUTEX_WAITERS;
		if (__atomic_compare_exchange_n(w, &old, nv, false, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED)) {
			a->got = (old & FUTEX_TID_MASK) == 0;
			break;
		}
	}
	a->cur = old;
	return 0;
}

static bool pi_has_waiter(struct futex_bucket *b, const struct futex_key *key,
			  struct futex_waiter *except)
{
	for (struct futex_waiter *fw = b->head.next; fw != &b->head; fw = fw->next)
		if (fw != except && fw->pi && key_eq(&fw->key, key))
			return true;
	return false;
}

static long futex_lock_pi(struct task *t, uint64_t addr, bool trylock, const struct timespec *dl)
{
	struct futex_table *ft = t->k->futex;
	struct futex_waiter fw = { .pi = true, .bitset = FUTEX_BITSET_MATCH_ANY, .tid = t->tid,
				   .w = waiter_current() };
	struct pi_lock_arg a = { .tid = (uint32_t)t->tid };
	struct futex_bucket *b;
	int r;

	r = get_key(t, addr, false, &fw.key, NULL);
	if (r < 0)
		return r;
	b = bucket_of(ft, &fw.key);
	pthread_mutex_lock(&b->mu);
	r = mm_word_op(t->mm, addr, true, pi_try, &a, NULL);
	if (r == 0 && !a.got) {
		pid_t owner = (pid_t)(a.cur & FUTEX_TID_MASK);
		if (owner == t->tid)
			r = -EDEADLK;
		else if (trylock)
			r = -EWOULDBLOCK;
		else if (!task_tid_exists(t->k, owner) && !(a.cur & FUTEX_OWNER_DIED))
			r = -ESRCH; /* Linux: the owner is no task: ESRCH */
	}
	if (r < 0 || a.got) {
		pthread_mutex_unlock(&b->mu);
		return r;
	}
	fw_link(b, &fw);
	pthread_mutex_unlock(&b->mu);
	r = fw_sleep(&fw, dl);
	/* Woken means the owner handed the lock to us (futex_unlock_pi wrote our tid). */
	if (r == -EINTR)
		return -ERESTARTNOINTR;
	return r;
}

struct pi_unlock_arg {
	uint32_t tid, next;
	bool waiters;
};

static int pi_release(uint32_t *w, void *arg)
{
	struct pi_unlock_arg *a = arg;
	uint32_t old = __atomic_load_n(w, __ATOMIC_RELAXED);

	do {
		if ((old & FUTEX_TID_MASK) != a->tid)
			return -EPERM;
	} while (!__atomic_compare_exchange_n(w, &old,
					      a->next | (a->next && a->waiters ? FUTEX_WAITERS : 0),
					      false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	return 0;
}

static long futex_unlock_pi(struct task *t, uint64_t addr)
{
	struct futex_table *ft = t->k->futex;
	struct pi_unlock_arg a = { .tid = (uint32_t)t->tid };
	struct futex_waiter *next = NULL;
	struct futex_key key;
	int r = get_key(t, addr, false, &key, NULL);

	if (r < 0)
		return r;
	struct futex_bucket *b = bucket_of(ft, &key);
	pthread_mutex_lock(&b->mu);
	for (struct futex_waiter *fw = b->head.next; fw != &b->head; fw = fw->next) {
		if (fw->pi && key_eq(&fw->key, &key)) {
			next = fw;
			break;
		}
	}
	if (next) {
		a.next = (uint32_t)next->tid;
		a.waiters = pi_has_waiter(b, &key, next);
	}
	r = mm_word_op(t->mm, addr, true, pi_release, &a, NULL);
	if (r == 0 && next)
		fw_wake(next);
	pthread_mutex_unlock(&b->mu);
	return r;
}

long task_futex(struct task *t, uint64_t addr, int op, uint32_t val, uint64_t ts_or_val2,
		uint64_t addr2, uint32_t val3)
{
	int cmd = op & FUTEX_CMD_MASK;
	bool priv = op & FUTEX_PRIVATE_FLAG;
	clockid_t clk = (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	struct timespec dl;
	bool timed = false;
	int r;

	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET &&
	    cmd != FUTEX_WAIT_REQUEUE_PI && cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	if (addr & 3)
		return -EINVAL;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (cmd == FUTEX_WAIT_BITSET && val3 == 0)
			return -EINVAL;
		if (ts_or_val2) {
			/* FUTEX_WAIT's timeout is relative (on CLOCK_MONOTONIC); BITSET's absolute. */
			r = deadline_in(t, ts_or_val2, cmd == FUTEX_WAIT_BITSET, clk, &dl);
			if (r < 0)
				return r;
			timed = true;
		}
		return futex_wait(t, addr, priv, val,
				  cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3,
				  timed ? &dl : NULL);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE_BITSET && val3 == 0)
			return -EINVAL;
		return futex_wake(t, addr, priv, (int)val,
				  cmd == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : val3);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		if (addr2 & 3)
			return -EINVAL;
		return futex_requeue(t, addr, addr2, priv, (int)val, (int)ts_or_val2,
				     cmd == FUTEX_CMP_REQUEUE, val3);
	case FUTEX_WAKE_OP:
		if (addr2 & 3)
			return -EINVAL;
		return futex_wake_op(t, addr, addr2, priv, (int)val, (int)ts_or_val2, val3);
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
	case FUTEX_TRYLOCK_PI:
		if (cmd != FUTEX_TRYLOCK_PI && ts_or_val2) {
			/* LOCK_PI's timeout is absolute CLOCK_REALTIME; LOCK_PI2 follows the flag. */
			r = deadline_in(t, ts_or_val2, true,
					cmd == FUTEX_LOCK_PI ? CLOCK_REALTIME : clk, &dl);
			if (r < 0)
				return r;
			timed = true;
		}
		return futex_lock_pi(t, addr, cmd == FUTEX_TRYLOCK_PI, timed ? &dl : NULL);
	case FUTEX_UNLOCK_PI:
		return futex_unlock_pi(t, addr);
	default:
		return -ENOSYS;
	}
}

/* ---- thread exit: clear_child_tid and robust lists ---- */

static int clear_word(uint32_t *w, void *arg)
{
	(void)arg;
	__atomic_store_n(w, 0, __ATOMIC_SEQ_CST);
	return 0;
}

struct death_arg {
	uint32_t tid;
	bool wake;
};

/* Linux's handle_futex_death: a lock the dead thread held becomes OWNER_DIED. */
static int mark_owner_died(uint32_t *w, void *arg)
{
	struct death_arg *a = arg;
	uint32_t old = __atomic_load_n(w, __ATOMIC_RELAXED);

	do {
		a->wake = false;
		if ((old & FUTEX_TID_MASK) != a->tid)
			return 0;
	} while (!__atomic_compare_exchange_n(w, &old, (old & FUTEX_WAITERS) | FUTEX_OWNER_DIED,
					      false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	a->wake = old & FUTEX_WAITERS;
	return 0;
}

static void futex_death(struct task *t, uint64_t uaddr)
{
	struct death_arg a = { .tid = (uint32_t)t->tid };

	if (mm_word_op(t->mm, uaddr, true, mark_owner_died, &a, NULL) == 0 && a.wake) {
		/* A PI waiter takes the lock over through FUTEX_LOCK_PI's OWNER_DIED path. */
		futex_wake(t, uaddr, false, 1, FUTEX_BITSET_MATCH_ANY);
		struct futex_key key;
		if (get_key(t, uaddr, false, &key, NULL) == 0) {
			struct futex_bucket *b = bucket_of(t->k->futex, &key);
			pthread_mutex_lock(&b->mu);
			for (struct futex_waiter *fw = b->head.next; fw != &b->head; fw = fw->next) {
				if (fw->pi && key_eq(&fw->key, &key)) {
					fw_wake(fw);
					break;
				}
			}
			pthread_mutex_unlock(&b->mu);
		}
	}
}

void task_futex_exit(struct task *t)
{
	if (t->robust_list && t->robust_len == 3 * sizeof(uint64_t)) {
		struct { uint64_t next; int64_t off; uint64_t pending; } head;
		uint64_t e;

		if (mm_copy_in(t->mm, t->robust_list, &head, sizeof(head)) == sizeof(head)) {
			e = head.next;
			for (int i = 0; e != t->robust_list && i < ROBUST_LIST_LIMIT; i++) {
				uint64_t next;
				if (mm_copy_in(t->mm, e, &next, sizeof(next)) != sizeof(next))
					break;
				if (e != head.pending)
					futex_death(t, e + (uint64_t)head.off);
				e = next;
			}
			if (head.pending)
				futex_death(t, head.pending + (uint64_t)head.off);
		}
		t->robust_list = 0;
	}
	if (t->clear_child_tid) {
		/* pthread_join waits for this: the tid word cleared, then a wake. */
		if (mm_word_op(t->mm, t->clear_child_tid, true, clear_word, NULL, NULL) == 0)
			futex_wake(t, t->clear_child_tid, false, 1, FUTEX_BITSET_MATCH_ANY);
		t->clear_child_tid = 0;
	}
}
