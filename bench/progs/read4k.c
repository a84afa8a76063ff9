/* SPDX-License-Identifier: Apache-2.0 */
/* read(0, buf, 4096): the driver points stdin at /dev/zero (a host fd in the sandbox). */
#include "bench.h"

int main(int argc, char **argv)
{
	static char buf[4096];
	long n = bench_iters(argc, argv, 100000);
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++)
		if (syscall(SYS_read, 0, buf, sizeof(buf)) != (long)sizeof(buf))
			return bench_fail("read(stdin) (is stdin /dev/zero?)");
	return bench_report(bench_now_ns() - t0, n);
}
