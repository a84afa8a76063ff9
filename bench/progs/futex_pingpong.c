// SPDX-License-Identifier: Apache-2.0
/*
 * Two threads hand a token back and forth through a futex word: one FUTEX_WAKE and one
 * FUTEX_WAIT each way per round trip (ns per round trip). Threads are raw clone()s with
 * their own stacks so the measurement has no pthread code in it.
 */
#include "bench.h"

#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

static _Atomic uint32_t word; /* 0: main's turn, 1: the other thread's */
static long iters;
static _Atomic uint32_t done_tid = 1;

static void futex_wait(uint32_t v)
{
	syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void futex_wake(void)
{
	syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static int ponger(void *arg)
{
	(void)arg;
	for (long i = 0; i < iters; i++) {
		while (atomic_load(&word) != 1)
			futex_wait(0);
		atomic_store(&word, 0);
		futex_wake();
	}
	syscall(SYS_exit, 0);
	return 0;
}

int main(int argc, char **argv)
{
	size_t stack_len = 256 * 1024;
	iters = bench_iters(argc, argv, 50000);
	char *stack = mmap(NULL, stack_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (stack == MAP_FAILED)
		return bench_fail("mmap");
	int fl = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
		 CLONE_CHILD_CLEARTID;
	if (clone(ponger, stack + stack_len, fl, NULL, NULL, NULL, &done_tid) < 0)
		return bench_fail("clone");
	double t0 = bench_now_ns();
	for (long i = 0; i < iters; i++) {
		atomic_store(&word, 1);
		futex_wake();
		while (atomic_load(&word) != 0)
			futex_wait(1);
	}
	double t1 = bench_now_ns();
	/* Wait for the thread to be gone (CLONE_CHILD_CLEARTID clears done_tid and wakes). */
	while (atomic_load(&done_tid) != 0)
		syscall(SYS_futex, &done_tid, FUTEX_WAIT, atomic_load(&done_tid), NULL, NULL, 0);
	return bench_report(t1 - t0, iters);
}
