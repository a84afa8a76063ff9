// SPDX-License-Identifier: Apache-2.0
/*
 * Sequential reads of an existing host file in 1 MiB read(2)s: `fileread N [PATH]` times
 * reading N MiB of PATH (default /var/tmp/sbx-bench-fileread.dat) and prints ns per MiB.
 * Unlike `seqio read`, whose file is written by the guest (to the overlay's tmpfs when
 * sandboxed), this file is the host's: sandboxed, it is read through the gofer (a donated fd
 * when the gofer gives one). When the file is missing or short it is made first (by the
 * native run, which bench/run.sh runs first, so the sandboxed runs find it on the host).
 */
#include "bench.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#define CHUNK (1 << 20)
#define MIN_MIB 256

static char buf[CHUNK];

static int make_file(const char *path, long mib)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	memset(buf, 'r', sizeof(buf));
	for (long i = 0; i < mib; i++)
		if (syscall(SYS_write, fd, buf, CHUNK) != CHUNK)
			return -1;
	syscall(SYS_close, fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 2 ? argv[2] : "/var/tmp/sbx-bench-fileread.dat";
	long mib = bench_iters(argc, argv, 256), want = mib < MIN_MIB ? MIN_MIB : mib;
	struct stat st;
	double t0, t1;
	int fd;

	if (syscall(SYS_stat, path, &st) < 0 || st.st_size < want * CHUNK)
		if (make_file(path, want) < 0)
			return bench_fail("make the file");
	fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
	if (fd < 0)
		return bench_fail("open");
	/* Untimed: the buffer is touched (as a program that uses what it reads would) and the
	 * first MiB read, so the page cache and the buffer are warm. */
	memset(buf, 0, sizeof(buf));
	if (syscall(SYS_read, fd, buf, CHUNK) != CHUNK)
		return bench_fail("read");
	syscall(SYS_lseek, fd, 0, SEEK_SET);
	t0 = bench_now_ns();
	for (long i = 0; i < mib; i++)
		if (syscall(SYS_read, fd, buf, CHUNK) != CHUNK)
			return bench_fail("read");
	t1 = bench_now_ns();
	syscall(SYS_close, fd);
	return bench_report(t1 - t0, mib);
}
