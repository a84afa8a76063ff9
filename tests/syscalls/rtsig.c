/* SPDX-License-Identifier: Apache-2.0 */
/* Real-time signals queue every instance with its value, in order; standard ones coalesce. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "tap.h"

static int got_sig[16], got_val[16], ngot;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (ngot < 16) {
		got_sig[ngot] = sig;
		got_val[ngot] = si->si_value.sival_int;
		ngot++;
	}
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_sig, .sa_flags = SA_SIGINFO };
	sigset_t block, pend;
	int rt = SIGRTMIN;

	sigemptyset(&sa.sa_mask);
	sigaction(rt, &sa, NULL);
	sigaction(rt + 1, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, rt);
	sigaddset(&block, rt + 1);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	for (int i = 1; i <= 3; i++)
		sigqueue(getpid(), rt + 1, (union sigval){ .sival_int = 10 + i });
	for (int i = 1; i <= 3; i++)
		sigqueue(getpid(), rt, (union sigval){ .sival_int = i });
	for (int i = 1; i <= 3; i++)
		sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 100 + i });
	sigpending(&pend);
	ok(sigismember(&pend, rt) && sigismember(&pend, rt + 1), "both pending");

	/* sigtimedwait takes one instance at a time. */
	siginfo_t si;
	struct timespec zero = { 0, 0 };
	sigset_t only;
	sigemptyset(&only);
	sigaddset(&only, rt + 1);
	is_int(sigtimedwait(&only, &si, &zero), rt + 1, "sigtimedwait takes one");
	is_int(si.si_value.sival_int, 11, "the first queued value");
	sigpending(&pend);
	ok(sigismember(&pend, rt + 1), "still pending: two more queued");

	sigprocmask(SIG_UNBLOCK, &block, NULL);
	is_int(ngot, 6, "handlers: 1 SIGUSR1 + 3 of SIGRTMIN + 2 of SIGRTMIN+1");
	/*
	 * Each signal's instances arrive in the order queued; the interleaving of different
	 * signals (frames stacked in one return to user mode) is printed and compared with
	 * Linux's by the harness.
	 */
	int last_rt = 0, last_rt1 = 10, fifo = 1;
	for (int i = 0; i < ngot; i++) {
		if (got_sig[i] == rt) {
			fifo &= got_val[i] > last_rt;
			last_rt = got_val[i];
		} else if (got_sig[i] == rt + 1) {
			fifo &= got_val[i] > last_rt1;
			last_rt1 = got_val[i];
		}
		diag("%s %d", got_sig[i] == SIGUSR1 ? "SIGUSR1" : got_sig[i] == rt ? "RTMIN" : "RTMIN+1",
		     got_val[i]);
	}
	ok(fifo, "each signal's values in the order queued");
	sigpending(&pend);
	ok(!sigismember(&pend, rt) && !sigismember(&pend, rt + 1), "nothing left pending");
	return done_testing();
}
