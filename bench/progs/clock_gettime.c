/* SPDX-License-Identifier: Apache-2.0 */
/* Raw clock_gettime(CLOCK_MONOTONIC) syscalls (no vDSO in the sandbox, none used natively). */
#include "bench.h"

int main(int argc, char **argv)
{
	long n = bench_iters(argc, argv, 100000);
	struct timespec ts;
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return bench_report(bench_now_ns() - t0, n);
}
