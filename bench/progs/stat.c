// SPDX-License-Identifier: Apache-2.0
/* newfstatat of a path two components deep under /tmp. */
#include "bench.h"

#include <fcntl.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	long n = bench_iters(argc, argv, 100000);
	char dir[64], path[80];
	struct stat st;

	snprintf(dir, sizeof(dir), "/tmp/sbx-bench-st-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/f", dir);
	if (syscall(SYS_mkdirat, AT_FDCWD, dir, 0700) < 0)
		return bench_fail("mkdir");
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		return bench_fail("create");
	syscall(SYS_close, fd);
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++)
		if (syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0) < 0)
			return bench_fail("stat");
	double t1 = bench_now_ns();
	syscall(SYS_unlinkat, AT_FDCWD, path, 0);
	syscall(SYS_unlinkat, AT_FDCWD, dir, AT_REMOVEDIR);
	return bench_report(t1 - t0, n);
}
