/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signal round trip: tgkill(self, SIGUSR1) -> handler -> rt_sigreturn, N times; prints ns per
 * round trip. Raw tgkill rather than raise(3), which adds two sigprocmask calls and a gettid.
 */
#include "bench.h"

#include <signal.h>

static volatile long hits;

static void on_usr1(int sig)
{
	(void)sig;
	hits++;
}

int main(int argc, char **argv)
{
	long n = bench_iters(argc, argv, 100000);
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return bench_fail("sigaction");
	long pid = syscall(SYS_getpid), tid = syscall(SYS_gettid);
	double t0 = bench_now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_tgkill, pid, tid, SIGUSR1);
	double dt = bench_now_ns() - t0;
	if (hits != n)
		return bench_fail("signal delivery count");
	return bench_report(dt, n);
}
