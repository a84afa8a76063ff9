/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared guest-code test environment and platform-generic test bodies for the ptrace and
 * systrap unit suites: a memfd memory file, code and stack pages, guest code blobs, and
 * tests that every platform must pass. Each suite adds them with ptest_add_common().
 */
#ifndef SBX_TESTS_UNIT_PLATFORM_PLATFORM_TESTS_H
#define SBX_TESTS_UNIT_PLATFORM_PLATFORM_TESTS_H

#include <check.h>
#include <stdint.h>

#include "platform/platform.h"

#define MEM_SIZE (16UL << 20)
#define CODE_VA 0x400000ULL
#define CODE_OFF 0x0
#define DATA_VA 0x600000ULL
#define DATA_OFF 0x10000
#define STACK_VA 0x7000000ULL
#define STACK_OFF 0x100000
#define STACK_LEN 0x10000

/* Guest code blobs (copied into the memory file; position independent). */
#define BLOB(name, body)                                                  \
	__asm__(".pushsection .rodata\n .globl " #name "\n .hidden " #name \
		"\n" #name ":\n" body "\n .globl " #name "_end\n .hidden " #name \
		"_end\n" #name "_end:\n .popsection\n");                      \
	extern const char name[], name##_end[]

/* Blobs defined in platform_tests.c and used by more than one file. */
extern const char g_loop[], g_loop_end[];   /* getpid in a loop */
extern const char g_read[], g_read_end[];   /* rdi = *(u64 *)rdi; write(rdi) */
extern const char g_write[], g_write_end[]; /* *(u64 *)rdi = 0x55; write */

/**
 * struct ptest_platform - what the shared tests need to know about one platform.
 * @name: printed before timings and skips ("ptrace").
 * @ops: the platform under test.
 * @loop_n: round trips timed by the syscall loop test.
 * @stub_page: an address inside the stub region that as_map() must refuse; computed after
 *	init(), from the platform's max_user_addr.
 */
struct ptest_platform {
	const char *name;
	const struct platform_ops *ops;
	int loop_n;
	uint64_t (*stub_page)(const struct platform *p);
};

/* The platform of the running test; set by a checked fixture through ptest_use(). */
extern const struct ptest_platform *ptest_pf;

void ptest_use(const struct ptest_platform *pf);

/* A platform, one context, one address space with code and stack mapped. */
struct env {
	struct platform p;
	struct addrspace *as;
	struct pctx *c;
	struct arch_state st;
	uint8_t *mem;
};

/* A new environment for ptest_pf, running start..end at CODE_VA. Aborts the test on error. */
struct env *env_start(const char *start, const char *end);
/* Copy other guest code to CODE_VA and reset the registers (rip, rsp, eflags). */
void env_load(struct env *e, const char *start, const char *end);
void env_free(struct env *e);
int run(struct env *e, struct trap *t);
/* run() must succeed with a trap of this kind. */
void run_expect(struct env *e, enum trap_kind kind, struct trap *t);
uint64_t now_ns(void);

/* Add the platform-generic tests to tc; the caller's fixture must call ptest_use(). */
void ptest_add_common(TCase *tc);

#endif
