/* SPDX-License-Identifier: Apache-2.0 */
/* Allocate and touch 256 MiB (malloc -> mmap), print a checksum of the contents. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	size_t n = (256UL << 20) / sizeof(uint64_t);
	uint64_t *m = malloc(n * sizeof *m);
	if (!m) {
		fprintf(stderr, "alloc256: malloc failed\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		m[i] = i * 0x9e3779b97f4a7c15ULL ^ (i >> 7);
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i += 1)
		sum = (sum ^ m[i]) * 1099511628211ULL;
	printf("alloc256 %zu MiB checksum %016llx\n", (n * sizeof *m) >> 20, (unsigned long long)sum);
	free(m);
	return 0;
}
