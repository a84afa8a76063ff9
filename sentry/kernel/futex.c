// SPDX-License-Identifier: Apache-2.0
/*
 * futex(2) for a thread group of one: nothing can wait on or wake another task yet, so the
 * calls reduce to their checks on the futex word (EAGAIN, EDEADLK, EPERM, ...), to sleeping
 * until a timeout, and to WAKE_OP's update of the second word. Real wait queues keyed by
 * memory-file page arrive with threads.
 */
#include <errno.h>
#include <linux/futex.h>
#include <time.h>

#include "sentry/host/host.h"
#include "sentry/kernel/kernel.h"

static int word_get(struct task *t, uint64_t addr, uint32_t *v)
{
	if (addr & 3)
		return -EINVAL;
	return mm_copy_in(t->mm, addr, v, sizeof(*v)) == sizeof(*v) ? 0 : -EFAULT;
}

static int word_put(struct task *t, uint64_t addr, uint32_t v)
{
	return mm_copy_out(t->mm, addr, &v, sizeof(v)) == sizeof(v) ? 0 : -EFAULT;
}

/*
 * Nobody can wake us: wait for the timeout (relative, or absolute on @clk), or for ever.
 * Returns -ETIMEDOUT like Linux when the time passes.
 */
static long sleep_alone(struct task *t, uint64_t ts_addr, bool absolute, clockid_t clk)
{
	struct timespec ts;

	if (!ts_addr) {
		for (;;) {
			struct timespec day = { .tv_sec = 86400 };
			host_clock_nanosleep(CLOCK_MONOTONIC, 0, &day, NULL);
		}
	}
	if (mm_copy_in(t->mm, ts_addr, &ts, sizeof(ts)) != sizeof(ts))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
		return -EINVAL;
	while (host_clock_nanosleep(clk, absolute ? TIMER_ABSTIME : 0, &ts, &ts) == -EINTR)
		;
	return -ETIMEDOUT;
}

/* FUTEX_OP encoding: op<<28 | cmp<<24 | oparg<<12 | cmparg (futex(2)). */
static int wake_op_apply(struct task *t, uint64_t addr2, uint32_t encoded)
{
	uint32_t op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
	int32_t oparg = (int32_t)(encoded << 8) >> 20;
	uint32_t old;
	int r;

	if ((encoded >> 28) & FUTEX_OP_OPARG_SHIFT) {
		if (oparg < 0 || oparg > 31)
			return -EINVAL;
		oparg = 1 << oparg;
	}
	if (cmp > FUTEX_OP_CMP_GE)
		return -ENOSYS;
	r = word_get(t, addr2, &old);
	if (r < 0)
		return r;
	uint32_t nv;
	switch (op) {
	case FUTEX_OP_SET: nv = (uint32_t)oparg; break;
	case FUTEX_OP_ADD: nv = old + (uint32_t)oparg; break;
	case FUTEX_OP_OR: nv = old | (uint32_t)oparg; break;
	case FUTEX_OP_ANDN: nv = old & ~(uint32_t)oparg; break;
	case FUTEX_OP_XOR: nv = old ^ (uint32_t)oparg; break;
	default: return -ENOSYS;
	}
	return word_put(t, addr2, nv);
}

long task_futex(struct task *t, uint64_t addr, int op, uint32_t val, uint64_t ts_or_val2,
		uint64_t addr2, uint32_t val3)
{
	int cmd = op & FUTEX_CMD_MASK;
	clockid_t clk = (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	uint32_t cur;
	long r;

	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET &&
	    cmd != FUTEX_WAIT_REQUEUE_PI && cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (cmd == FUTEX_WAIT_BITSET && val3 == 0)
			return -EINVAL;
		r = word_get(t, addr, &cur);
		if (r < 0)
			return r;
		if (cur != val)
			return -EAGAIN;
		/* FUTEX_WAIT's timeout is relative (on CLOCK_MONOTONIC); BITSET's absolute. */
		return sleep_alone(t, ts_or_val2, cmd == FUTEX_WAIT_BITSET,
				   cmd == FUTEX_WAIT ? CLOCK_MONOTONIC : clk);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE_BITSET && val3 == 0)
			return -EINVAL;
		return (addr & 3) ? -EINVAL : 0;
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
		if ((addr & 3) || (addr2 & 3) || (int)val < 0 || (int)ts_or_val2 < 0)
			return -EINVAL;
		if (cmd == FUTEX_CMP_REQUEUE) {
			r = word_get(t, addr, &cur);
			if (r < 0)
				return r;
			if (cur != val3)
				return -EAGAIN;
		}
		return 0;
	case FUTEX_WAKE_OP:
		if (addr & 3)
			return -EINVAL;
		r = wake_op_apply(t, addr2, val3);
		return r < 0 ? r : 0;
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
	case FUTEX_TRYLOCK_PI:
		r = word_get(t, addr, &cur);
		if (r < 0)
			return r;
		if ((cur & FUTEX_TID_MASK) == 0)
			return word_put(t, addr, (uint32_t)t->tid | (cur & FUTEX_OWNER_DIED));
		if ((cur & FUTEX_TID_MASK) == (uint32_t)t->tid)
			return -EDEADLK;
		/* The owner is no task of ours: Linux answers ESRCH for a dead owner. */
		return cmd == FUTEX_TRYLOCK_PI ? -EWOULDBLOCK : -ESRCH;
	case FUTEX_UNLOCK_PI:
		r = word_get(t, addr, &cur);
		if (r < 0)
			return r;
		if ((cur & FUTEX_TID_MASK) != (uint32_t)t->tid)
			return -EPERM;
		return word_put(t, addr, 0);
	default:
		return -ENOSYS;
	}
}
