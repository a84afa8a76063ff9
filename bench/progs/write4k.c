/* SPDX-License-Identifier: Apache-2.0 */
/*
 * write(2, buf, 4096): the data goes to stderr, which the driver sends to /dev/null, so that
 * stdout stays free for the result. Same host-fd path as stdout in every runner.
 */
#include "bench.h"

int main(int argc, char **argv)
{
	static char buf[4096];
	long n = bench_iters(argc, argv, 100000);
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++)
		if (syscall(SYS_write, 2, buf, sizeof(buf)) != (long)sizeof(buf))
			return 1;
	return bench_report(bench_now_ns() - t0, n);
}
