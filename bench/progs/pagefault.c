/* SPDX-License-Identifier: Apache-2.0 */
/*
 * First-touch page faults: N pages (argv[1]) are touched once each, in 64 MiB mappings that
 * are created and unmapped outside the timed region; prints ns per fault (one write per page).
 */
#include "bench.h"

#include <sys/mman.h>

#define CHUNK (64L << 20)
#define PAGE 4096L

int main(int argc, char **argv)
{
	long n = bench_iters(argc, argv, 100000), left = n;
	double total = 0;
	while (left > 0) {
		long pages = left < CHUNK / PAGE ? left : CHUNK / PAGE;
		char *p = (char *)syscall(SYS_mmap, NULL, CHUNK, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return bench_fail("mmap");
		double t0 = bench_now_ns();
		for (long i = 0; i < pages; i++)
			((volatile char *)p)[i * PAGE] = 1;
		total += bench_now_ns() - t0;
		if (syscall(SYS_munmap, p, CHUNK))
			return bench_fail("munmap");
		left -= pages;
	}
	return bench_report(total, n);
}
