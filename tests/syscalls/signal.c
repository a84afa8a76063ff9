// SPDX-License-Identifier: Apache-2.0
/*
 * Signal delivery: handlers with siginfo and ucontext, masks during handlers, SA_RESETHAND,
 * SA_NODEFER, sigaltstack, a SIGSEGV handler that repairs the fault with mprotect, FPU state
 * preserved across a handler, rt_sigpending, and a frame the guest edits before returning.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "tap.h"

static volatile int hits, last_sig, last_code, was_blocked, on_alt;
static volatile void *last_addr;
static char *fault_page;
static char altstack[64 * 1024];

static void handler(int sig, siginfo_t *si, void *ucv)
{
	sigset_t cur;

	hits++;
	last_sig = sig;
	last_code = si->si_code;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	was_blocked = sigismember(&cur, sig);
	on_alt = (char *)&cur >= altstack && (char *)&cur < altstack + sizeof(altstack);
	(void)ucv;
}

static void segv_fixer(int sig, siginfo_t *si, void *ucv)
{
	last_addr = si->si_addr;
	last_code = si->si_code;
	hits++;
	mprotect(fault_page, 4096, PROT_READ | PROT_WRITE);
	(void)sig;
	(void)ucv;
}

/* Skip the faulting 2-byte `ud2` by editing the saved rip in the frame. */
static void ill_skipper(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uc->uc_mcontext.gregs[REG_RIP] += 2;
	hits++;
	(void)sig;
	(void)si;
}

static void fpu_clobber(int sig)
{
	volatile double x = 1.0;
	for (int i = 0; i < 10; i++)
		x = x * 3.0 + 0.5;
	__asm__ volatile("pxor %%xmm0, %%xmm0; pxor %%xmm7, %%xmm7" ::: "xmm0", "xmm7");
	(void)sig;
	(void)x;
}

static int install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

int main(void)
{
	struct sigaction old;
	sigset_t set, pend;

	/* A handler runs with siginfo, its signal blocked, and returns. */
	is_int(install(SIGUSR1, handler, 0), 0, "sigaction SIGUSR1");
	is_int(raise(SIGUSR1), 0, "raise SIGUSR1");
	is_int(hits, 1, "handler ran once");
	is_int(last_sig, SIGUSR1, "handler got SIGUSR1");
	is_int(last_code, SI_TKILL, "si_code is SI_TKILL");
	is_int(was_blocked, 1, "signal blocked inside its handler");
	sigprocmask(SIG_BLOCK, NULL, &set);
	is_int(sigismember(&set, SIGUSR1), 0, "mask restored after the handler");

	/* SA_NODEFER leaves it unblocked; SA_RESETHAND resets to SIG_DFL. */
	install(SIGUSR2, handler, SA_NODEFER | SA_RESETHAND);
	raise(SIGUSR2);
	is_int(was_blocked, 0, "SA_NODEFER: not blocked in the handler");
	sigaction(SIGUSR2, NULL, &old);
	ok(old.sa_handler == SIG_DFL, "SA_RESETHAND: back to SIG_DFL");

	/* Blocked signals stay pending until unblocked. */
	hits = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	is_int(hits, 0, "blocked signal not delivered");
	sigpending(&pend);
	is_int(sigismember(&pend, SIGUSR1), 1, "sigpending shows it");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	is_int(hits, 1, "delivered on unblock");

	/* Ignored signals vanish. */
	signal(SIGUSR1, SIG_IGN);
	raise(SIGUSR1);
	ok(1, "SIG_IGN: raise survives");

	/* sigaltstack and SA_ONSTACK. */
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0 }, oss;
	is_int(sigaltstack(&ss, NULL), 0, "sigaltstack set");
	sigaltstack(NULL, &oss);
	is_int(oss.ss_flags, 0, "sigaltstack reads back enabled, not on it");
	ss.ss_size = 100;
	is_errno(sigaltstack(&ss, NULL), ENOMEM, "sigaltstack too small -> ENOMEM");
	install(SIGUSR1, handler, SA_ONSTACK);
	raise(SIGUSR1);
	is_int(on_alt, 1, "SA_ONSTACK handler ran on the alternate stack");
	install(SIGUSR1, handler, 0);
	raise(SIGUSR1);
	is_int(on_alt, 0, "without SA_ONSTACK it did not");

	/* A SIGSEGV handler repairs the fault and the access is retried. */
	fault_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hits = 0;
	install(SIGSEGV, segv_fixer, 0);
	fault_page[10] = 42;
	is_int(hits, 1, "SIGSEGV handler ran once");
	ok(last_addr == fault_page + 10, "si_addr is the faulting address");
	is_int(last_code, SEGV_ACCERR, "si_code SEGV_ACCERR");
	is_int(fault_page[10], 42, "write retried after mprotect");

	/* The handler edits the saved rip: execution continues after the ud2. */
	hits = 0;
	install(SIGILL, ill_skipper, 0);
	__asm__ volatile("ud2");
	is_int(hits, 1, "SIGILL handler skipped ud2");

	/* FPU/SSE state survives a handler that clobbers it. */
	signal(SIGUSR2, fpu_clobber);
	volatile double d = 2.5;
	double before = d * 1.5;
	uint64_t x0 = 0x1122334455667788ULL, got = 0;
	__asm__ volatile("movq %0, %%xmm7" ::"r"(x0) : "xmm7");
	raise(SIGUSR2);
	__asm__ volatile("movq %%xmm7, %0" : "=r"(got));
	ok(got == x0, "xmm7 preserved across a handler");
	ok(d * 1.5 == before, "x87/SSE arithmetic unchanged");

	/* Bad arguments. */
	is_errno(sigaction(SIGKILL, &old, NULL), EINVAL, "sigaction(SIGKILL) -> EINVAL");
	is_errno(syscall(SYS_rt_sigaction, 65, NULL, NULL, 8), EINVAL, "signal 65 -> EINVAL");
	is_errno(syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4), EINVAL, "sigsetsize 4 -> EINVAL");
	return done_testing();
}
