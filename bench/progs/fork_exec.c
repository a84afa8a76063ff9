// SPDX-License-Identifier: Apache-2.0
/*
 * fork + execve of bench/progs/true (found next to this program) + wait: ns per iteration.
 * The exec'd program must be visible in the guest (the default overlay root shows it).
 */
#include "bench.h"

#include <limits.h>
#include <string.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	long n = bench_iters(argc, argv, 500);
	char path[PATH_MAX];
	int status;

	snprintf(path, sizeof(path), "%s", argv[0]);
	char *slash = strrchr(path, '/');
	snprintf(slash ? slash + 1 : path, sizeof(path) - (size_t)(slash ? slash + 1 - path : 0),
		 "true");
	char *args[] = { path, NULL };
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return bench_fail("fork");
		if (pid == 0) {
			execve(path, args, (char *[]){ NULL });
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid || status != 0)
			return bench_fail("exec");
	}
	double t1 = bench_now_ns();
	return bench_report(t1 - t0, n);
}
