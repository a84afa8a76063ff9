// SPDX-License-Identifier: Apache-2.0
/* One byte there and back between two processes over two pipes: ns per round trip. */
#include "bench.h"

#include <sys/wait.h>

int main(int argc, char **argv)
{
	long n = bench_iters(argc, argv, 50000);
	int ab[2], ba[2];
	char c = 'x';

	if (syscall(SYS_pipe2, ab, 0) < 0 || syscall(SYS_pipe2, ba, 0) < 0)
		return bench_fail("pipe");
	pid_t pid = fork();
	if (pid < 0)
		return bench_fail("fork");
	if (pid == 0) {
		for (long i = 0; i < n; i++)
			if (syscall(SYS_read, ab[0], &c, 1) != 1 || syscall(SYS_write, ba[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++)
		if (syscall(SYS_write, ab[1], &c, 1) != 1 || syscall(SYS_read, ba[0], &c, 1) != 1)
			return bench_fail("ping");
	double t1 = bench_now_ns();
	int status;
	waitpid(pid, &status, 0);
	return bench_report(t1 - t0, n);
}
