// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the ELF header checker: any input must give 0 or -ENOEXEC with a
 * reason, without reading past the input. Build:
 *   clang -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE -I. \
 *       tests/fuzz/fuzz_elf.c sentry/loader/elf.c -o fuzz_elf
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sentry/loader/loader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	int ret = elf_check_header(data, size, &why);

	if (ret != 0 && (ret != -ENOEXEC || !why))
		abort();
	return 0;
}
