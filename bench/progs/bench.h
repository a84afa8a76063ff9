/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the microbenchmarks in bench/progs: each program takes its iteration count in
 * argv[1], times the loop itself with clock_gettime(CLOCK_MONOTONIC) and prints one number,
 * ns per operation, on stdout. Raw syscall(2) everywhere: the sandbox has no vDSO, and glibc
 * wrappers would add work that differs between native and sandboxed runs.
 */
#ifndef SBX_BENCH_PROGS_BENCH_H
#define SBX_BENCH_PROGS_BENCH_H

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline long bench_iters(int argc, char **argv, long def)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : def;
	return n > 0 ? n : 1;
}

/* Raw clock_gettime so the clock read costs the same on every runner. */
static inline double bench_now_ns(void)
{
	struct timespec ts;
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int bench_report(double ns, long ops)
{
	printf("%.1f\n", ns / (double)ops);
	return 0;
}

static inline int bench_fail(const char *what)
{
	/* stderr may be the benchmark's data sink (/dev/null); the exit status is what counts. */
	fprintf(stderr, "bench: %s failed\n", what);
	return 1;
}

#endif
