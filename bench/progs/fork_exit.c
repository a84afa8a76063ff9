// SPDX-License-Identifier: Apache-2.0
/* fork + _exit + wait of a small static process: ns per iteration. */
#include "bench.h"

#include <sys/wait.h>

int main(int argc, char **argv)
{
	long n = bench_iters(argc, argv, 2000);
	int status;

	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return bench_fail("fork");
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) != pid || status != 0)
			return bench_fail("wait");
	}
	double t1 = bench_now_ns();
	return bench_report(t1 - t0, n);
}
