// SPDX-License-Identifier: Apache-2.0
/*
 * Sequential file I/O in 1 MiB writes/reads: `seqio write N` writes N MiB to a fresh file
 * (in the working directory: /tmp when run by bench/run.sh) and prints ns per MiB;
 * `seqio read N` writes it first (untimed), then times reading it back.
 */
#include "bench.h"

#include <fcntl.h>
#include <string.h>

#define CHUNK (1 << 20)

static char buf[CHUNK];

static int write_file(const char *path, long mib)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	for (long i = 0; i < mib; i++)
		if (syscall(SYS_write, fd, buf, CHUNK) != CHUNK)
			return -1;
	syscall(SYS_close, fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = "bench-seqio.dat";
	int reading = argc > 1 && !strcmp(argv[1], "read");
	long mib = argc > 2 ? strtol(argv[2], NULL, 10) : 256;
	double t0, t1;

	if (mib < 1)
		mib = 1;
	memset(buf, 'x', sizeof(buf));
	if (!reading) {
		t0 = bench_now_ns();
		if (write_file(path, mib) < 0)
			return bench_fail("write");
		t1 = bench_now_ns();
	} else {
		if (write_file(path, mib) < 0)
			return bench_fail("write");
		int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
		if (fd < 0)
			return bench_fail("open");
		t0 = bench_now_ns();
		for (long i = 0; i < mib; i++)
			if (syscall(SYS_read, fd, buf, CHUNK) != CHUNK)
				return bench_fail("read");
		t1 = bench_now_ns();
		syscall(SYS_close, fd);
	}
	syscall(SYS_unlinkat, AT_FDCWD, path, 0);
	return bench_report(t1 - t0, mib);
}
