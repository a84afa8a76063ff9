/* SPDX-License-Identifier: Apache-2.0 */
/* mmap 64 MiB anonymous, write one byte per 4 KiB page, munmap; prints ns per iteration. */
#include "bench.h"

#include <sys/mman.h>

#define SIZE (64L << 20)
#define PAGE 4096L

int main(int argc, char **argv)
{
	long n = bench_iters(argc, argv, 10);
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++) {
		char *p = (char *)syscall(SYS_mmap, NULL, SIZE, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return bench_fail("mmap");
		for (long off = 0; off < SIZE; off += PAGE)
			((volatile char *)p)[off] = 1;
		if (syscall(SYS_munmap, p, SIZE))
			return bench_fail("munmap");
	}
	return bench_report(bench_now_ns() - t0, n);
}
