// SPDX-License-Identifier: Apache-2.0
/* open + close of an existing file in /tmp (the sandbox's tmpfs; the host's /tmp natively). */
#include "bench.h"

#include <fcntl.h>

int main(int argc, char **argv)
{
	long n = bench_iters(argc, argv, 100000);
	char path[64];

	snprintf(path, sizeof(path), "/tmp/sbx-bench-oc-%d", (int)getpid());
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		return bench_fail("create");
	syscall(SYS_close, fd);
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
		if (fd < 0)
			return bench_fail("open");
		syscall(SYS_close, fd);
	}
	double t1 = bench_now_ns();
	syscall(SYS_unlinkat, AT_FDCWD, path, 0);
	return bench_report(t1 - t0, n);
}
