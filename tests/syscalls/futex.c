// SPDX-License-Identifier: Apache-2.0
/* futex(2) from one thread: value checks, timeouts, WAKE_OP, PI lock words, bad arguments. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

static long futex(void *addr, int op, uint32_t val, void *ts, void *addr2, uint32_t val3)
{
	return syscall(SYS_futex, addr, op, val, ts, addr2, val3);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(void)
{
	static uint32_t w = 5, w2 = 10, pi;
	struct timespec rel = { 0, 20 * 1000 * 1000 };
	struct timespec abs;
	uint64_t t0;

	is_errno(futex(&w, FUTEX_WAIT_PRIVATE, 6, NULL, NULL, 0), EAGAIN, "WAIT on a changed value -> EAGAIN");
	t0 = now_ns();
	is_errno(futex(&w, FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0), ETIMEDOUT, "WAIT times out -> ETIMEDOUT");
	ok(now_ns() - t0 >= 20 * 1000 * 1000, "WAIT slept at least its timeout");
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 10 * 1000 * 1000;
	if (abs.tv_nsec >= 1000000000L) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000L;
	}
	is_errno(futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL, ~0U), ETIMEDOUT,
		 "WAIT_BITSET absolute timeout -> ETIMEDOUT");
	is_errno(futex(&w, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL, 0), EINVAL, "WAIT_BITSET mask 0 -> EINVAL");
	is_int(futex(&w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0, "WAKE with no waiter wakes 0");
	is_errno(futex((char *)&w + 1, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), EINVAL, "unaligned -> EINVAL");
	is_errno(futex((void *)8, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EFAULT, "bad address -> EFAULT");
	is_errno(futex(&w, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &w2, 4), EAGAIN, "CMP_REQUEUE mismatch -> EAGAIN");
	is_int(futex(&w, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &w2, 5), 0, "CMP_REQUEUE match -> 0");
	is_int(futex(&w, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &w2,
		     FUTEX_OP(FUTEX_OP_ADD, 7, FUTEX_OP_CMP_EQ, 10)), 0, "WAKE_OP -> 0 woken");
	is_int(w2, 17, "WAKE_OP added 7 to the second word");
	is_int(futex(&w, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &w2,
		     FUTEX_OP(FUTEX_OP_OR, 4, FUTEX_OP_CMP_EQ, 0) | (FUTEX_OP_OPARG_SHIFT << 28)), 0,
	       "WAKE_OP with shifted oparg");
	is_int(w2, 17 | 16, "OR (1 << 4) applied");
	is_errno(futex(&w, 99, 0, NULL, NULL, 0), ENOSYS, "unknown op -> ENOSYS");
	is_errno(futex(&w, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS,
		 "CLOCK_REALTIME on WAKE -> ENOSYS");

	pid_t tid = (pid_t)syscall(SYS_gettid);
	is_int(futex(&pi, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0, "LOCK_PI of a free word");
	ok(pi == (uint32_t)tid, "LOCK_PI stored our tid");
	is_errno(futex(&pi, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), EDEADLK, "LOCK_PI again -> EDEADLK");
	is_int(futex(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0, "UNLOCK_PI by the owner");
	is_int(pi, 0, "word released");
	is_errno(futex(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), EPERM, "UNLOCK_PI not owner -> EPERM");
	is_int(futex(&pi, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0), 0, "TRYLOCK_PI of a free word");
	futex(&pi, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
	return done_testing();
}
