// SPDX-License-Identifier: Apache-2.0
/*
 * escape MODE: a guest trying to get out. Runs only sandboxed (some attempts would be
 * harmful natively). Prints one line per attempt; "ESCAPED" means a check failed.
 *   calls     ptrace, kill(-1), mapping over or unmapping the platform's stub region
 *   stubjump  find a `syscall` instruction in the stub region and run getppid through it:
 *             a host getppid would return the host parent (non-zero); the guest's init sees 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Where our platforms put their stubs (systrap, ptrace); probing others is harmless too. */
static const uintptr_t regions[] = { 0x7e0000000000UL, 0x7d0000000000UL, 0x7f0000000000UL };
#define PROBE_LEN 0x20000UL

static sigjmp_buf probe_env;

static void on_fault(int sig)
{
	siglongjmp(probe_env, sig);
}

static int refused(const char *what, long r)
{
	printf("%s: %s\n", what, r == -1 ? "refused" : "ESCAPED");
	return r == -1 ? 0 : 1;
}

static int mode_calls(void)
{
	int bad = 0;

	bad += refused("ptrace attach to pid 1", ptrace(PTRACE_ATTACH, 1, 0, 0));
	bad += refused("ptrace traceme", ptrace(PTRACE_TRACEME, 0, 0, 0));
	/* kill(-1) reaches every process but the caller: none other exists in the sandbox. */
	long k = kill(-1, 0);
	printf("kill(-1, 0): %s\n", k == -1 && errno == ESRCH ? "no other process" : "ESCAPED");
	bad += !(k == -1 && errno == ESRCH);
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		void *p = mmap((void *)regions[i], 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p != MAP_FAILED) {
			/* Below the limit on some platform: must be ordinary guest memory then. */
			munmap(p, 4096);
		}
		long u = munmap((void *)regions[i], PROBE_LEN);
		(void)u;
	}
	printf("mapping calls on stub regions: survived\n");
	return bad;
}

static int mode_stubjump(void)
{
	struct sigaction sa = { .sa_handler = on_fault };

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	/* volatile: the probe loop resumes here through siglongjmp. */
	for (volatile size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		for (volatile uintptr_t a = regions[i]; a < regions[i] + PROBE_LEN - 1; a++) {
			volatile uint8_t *b = (volatile uint8_t *)a;
			if (sigsetjmp(probe_env, 1)) {
				a = (a | 0xfff); /* unreadable page: skip it */
				continue;
			}
			if (b[0] != 0x0f || b[1] != 0x05)
				continue;
			long ret;
			/* getppid through the stub's syscall instruction; come back with a call. */
			__asm__ volatile("lea 1f(%%rip), %%rcx\n\t"
					 "push %%rcx\n\t"
					 "mov %1, %%rax\n\t"
					 "jmp *%2\n"
					 "1:\n\t"
					 : "=a"(ret)
					 : "i"(SYS_getppid), "r"(a + 0), "r"(0L)
					 : "rcx", "r11", "memory");
			/* Not reached normally: after the syscall the stub's next instruction runs. */
			printf("stub syscall returned %ld: %s\n", ret, ret > 0 ? "ESCAPED" : "trapped");
			return ret > 0;
		}
	}
	printf("no stub syscall instruction readable\n");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && !strcmp(argv[1], "stubjump"))
		return mode_stubjump();
	return mode_calls();
}
