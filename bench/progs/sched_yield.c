/* SPDX-License-Identifier: Apache-2.0 */
/* Raw sched_yield() calls; prints ns/call. */
#include "bench.h"

int main(int argc, char **argv)
{
	long n = bench_iters(argc, argv, 100000);
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_sched_yield);
	return bench_report(bench_now_ns() - t0, n);
}
