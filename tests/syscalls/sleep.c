/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sleeps and signal waits: nanosleep/clock_nanosleep interrupted by a handler (EINTR and
 * the time left, with or without SA_RESTART), not by a blocked signal; TIMER_ABSTIME;
 * pause; sigsuspend's temporary mask; sigtimedwait's timeout and dequeuing;
 * rt_sigqueueinfo's value reaching an SA_SIGINFO handler and its si_code rules.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"

static volatile sig_atomic_t hits, last_sig, got_value, got_code, got_pid_ok;

static void on_sig(int sig)
{
	hits++;
	last_sig = sig;
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hits++;
	last_sig = sig;
	got_value = si->si_value.sival_int;
	got_code = si->si_code;
	got_pid_ok = si->si_pid == getpid();
}

static void handle(int sig, int flags)
{
	struct sigaction sa = { .sa_handler = on_sig, .sa_flags = flags };
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A child that sends @sig to the parent after @ms. */
static pid_t poke(int sig, int ms)
{
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) {
		msleep(ms);
		kill(parent, sig);
		_exit(0);
	}
	return c;
}

static void reap(pid_t c)
{
	int st;
	waitpid(c, &st, 0);
}

int main(void)
{
	struct timespec req, rem;
	pid_t c;

	/* A plain sleep takes at least as long as asked. */
	int64_t t0 = now_ns(CLOCK_MONOTONIC);
	req = (struct timespec){ 0, 30 * 1000000L };
	is_int(nanosleep(&req, NULL), 0, "nanosleep 30 ms");
	ok(now_ns(CLOCK_MONOTONIC) - t0 >= 30000000LL, "slept at least 30 ms");

	/* Interrupted by a handler: EINTR, rem in (0, requested). */
	handle(SIGUSR1, 0);
	hits = 0;
	c = poke(SIGUSR1, 50);
	req = (struct timespec){ 5, 0 };
	rem = (struct timespec){ -1, -1 };
	errno = 0;
	is_int(nanosleep(&req, &rem), -1, "nanosleep interrupted");
	is_int(errno, EINTR, "errno EINTR");
	is_int(hits, 1, "handler ran");
	ok(rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000L, "rem.tv_nsec normalised");
	ok((rem.tv_sec > 0 || rem.tv_nsec > 0) && rem.tv_sec < 5, "rem > 0 and < requested");
	ok(rem.tv_sec >= 3, "rem about right (>= 3 of 5 s)");
	reap(c);

	/* SA_RESTART does not restart nanosleep. */
	handle(SIGUSR1, SA_RESTART);
	hits = 0;
	c = poke(SIGUSR1, 50);
	errno = 0;
	is_int(nanosleep(&req, &rem), -1, "nanosleep interrupted with SA_RESTART");
	is_int(errno, EINTR, "still EINTR");
	reap(c);

	/* clock_nanosleep relative: EINTR and rem too. */
	hits = 0;
	c = poke(SIGUSR1, 50);
	is_int(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem), EINTR,
	       "clock_nanosleep relative interrupted returns EINTR");
	ok(rem.tv_sec < 5 && rem.tv_sec >= 3, "its rem about right");
	reap(c);

	/* A blocked signal does not interrupt the sleep. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	hits = 0;
	c = poke(SIGUSR1, 20);
	t0 = now_ns(CLOCK_MONOTONIC);
	req = (struct timespec){ 0, 150 * 1000000L };
	is_int(nanosleep(&req, NULL), 0, "nanosleep not interrupted by a blocked signal");
	ok(now_ns(CLOCK_MONOTONIC) - t0 >= 150000000LL, "it slept the whole time");
	is_int(hits, 0, "no handler during the sleep");
	reap(c);
	sigprocmask(SIG_SETMASK, &old, NULL);
	is_int(hits, 1, "handler once unblocked");

	/* An ignored signal does not either. */
	signal(SIGUSR2, SIG_IGN);
	c = poke(SIGUSR2, 20);
	t0 = now_ns(CLOCK_MONOTONIC);
	req = (struct timespec){ 0, 100 * 1000000L };
	is_int(nanosleep(&req, NULL), 0, "nanosleep not interrupted by an ignored signal");
	ok(now_ns(CLOCK_MONOTONIC) - t0 >= 100000000LL, "it slept the whole time");
	reap(c);

	/*
	 * A signal that ends up running no handler resumes the sleep (restart_syscall for a
	 * relative one): SIGTSTP to an orphaned process group is discarded at delivery.
	 */
	for (int abs = 0; abs < 2; abs++) {
		c = fork();
		if (c == 0) {
			setsid(); /* our own session: an orphaned process group */
			int64_t s0 = now_ns(CLOCK_MONOTONIC), dl = s0 + 300000000LL;
			struct timespec r = { 0, 300000000L }, a = { dl / 1000000000LL, dl % 1000000000LL };
			int ret = abs ? clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &a, NULL)
				      : nanosleep(&r, NULL);
			_exit(ret != 0 ? 1 : now_ns(CLOCK_MONOTONIC) - s0 < 300000000LL ? 2 : 0);
		}
		msleep(60);
		kill(c, SIGTSTP);
		msleep(30);
		kill(c, SIGTTIN);
		int st;
		waitpid(c, &st, 0);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "%s sleep resumes after discarded stop signals, full length", abs ? "absolute" : "relative");
	}

	/* TIMER_ABSTIME on both clocks. */
	for (int i = 0; i < 2; i++) {
		clockid_t ck = i ? CLOCK_REALTIME : CLOCK_MONOTONIC;
		int64_t dl = now_ns(ck) + 40000000LL;
		struct timespec abs = { dl / 1000000000LL, dl % 1000000000LL };
		is_int(clock_nanosleep(ck, TIMER_ABSTIME, &abs, NULL), 0, "TIMER_ABSTIME sleep (%s)",
		       i ? "REALTIME" : "MONOTONIC");
		ok(now_ns(ck) >= dl, "woke after the deadline (%s)", i ? "REALTIME" : "MONOTONIC");
		abs.tv_sec -= 10;
		is_int(clock_nanosleep(ck, TIMER_ABSTIME, &abs, NULL), 0, "a past deadline returns at once");
	}
	hits = 0;
	c = poke(SIGUSR1, 50);
	{
		int64_t dl = now_ns(CLOCK_MONOTONIC) + 5000000000LL;
		struct timespec abs = { dl / 1000000000LL, dl % 1000000000LL };
		rem = (struct timespec){ 42, 0 };
		is_int(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, &rem), EINTR,
		       "TIMER_ABSTIME interrupted: EINTR");
		is_int(rem.tv_sec, 42, "rem untouched for an absolute sleep");
	}
	reap(c);
	/* The process CPU clock: a past deadline returns, a far one sleeps until a signal. */
	struct timespec cpu_now;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_now);
	is_int(clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &cpu_now, NULL), 0,
	       "CPU clock, TIMER_ABSTIME now: returns at once");
	clockid_t pcpu;
	clock_getcpuclockid(0, &pcpu);
	is_int(clock_nanosleep(pcpu, TIMER_ABSTIME, &cpu_now, NULL), 0,
	       "clock_getcpuclockid(0) clock works too");
	hits = 0;
	c = poke(SIGUSR1, 50);
	req = (struct timespec){ 100, 0 };
	rem = (struct timespec){ 0, 0 };
	is_int(clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &req, &rem), EINTR,
	       "CPU clock, 100 s of CPU: ended by a handler");
	ok(rem.tv_sec >= 99 && rem.tv_sec <= 100, "rem: almost all of it (sleeping burns no CPU)");
	reap(c);
	is_int(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL), EINVAL,
	       "the thread CPU clock: EINVAL");
	req = (struct timespec){ 0, 1000000000L };
	is_int(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL), EINVAL, "tv_nsec 1e9: EINVAL");
	is_int(clock_nanosleep(CLOCK_MONOTONIC, 4, &req, NULL), EINVAL, "bad flags: EINVAL");
	is_errno(syscall(SYS_nanosleep, NULL, NULL), EFAULT, "nanosleep(NULL): EFAULT");

	/* pause returns after a handler. */
	hits = 0;
	c = poke(SIGUSR1, 30);
	errno = 0;
	is_int(pause(), -1, "pause returns -1");
	is_int(errno, EINTR, "errno EINTR");
	is_int(hits, 1, "after the handler");
	reap(c);

	/* sigsuspend: wakes on a signal its mask lets in; the old mask comes back. */
	sigprocmask(SIG_BLOCK, &set, &old);
	sigset_t susp;
	sigfillset(&susp);
	sigdelset(&susp, SIGUSR1);
	hits = 0;
	c = poke(SIGUSR1, 30);
	errno = 0;
	is_int(sigsuspend(&susp), -1, "sigsuspend returns -1");
	is_int(errno, EINTR, "errno EINTR");
	is_int(hits, 1, "handler ran inside sigsuspend");
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	ok(sigismember(&cur, SIGUSR1) && !sigismember(&cur, SIGUSR2), "mask restored after sigsuspend");
	reap(c);
	/* Already pending: returns at once. */
	hits = 0;
	raise(SIGUSR1);
	is_int(hits, 0, "blocked signal pending");
	errno = 0;
	is_int(sigsuspend(&susp), -1, "sigsuspend with the signal already pending");
	is_int(hits, 1, "handler ran");

	/* sigtimedwait: timeout, then dequeue without the handler. */
	struct timespec to = { 0, 50 * 1000000L };
	siginfo_t si;
	errno = 0;
	is_int(sigtimedwait(&set, &si, &to), -1, "sigtimedwait times out");
	is_int(errno, EAGAIN, "errno EAGAIN");
	to = (struct timespec){ 0, 0 };
	is_errno(sigtimedwait(&set, &si, &to), EAGAIN, "zero timeout polls: EAGAIN");
	hits = 0;
	kill(getpid(), SIGUSR1);
	to = (struct timespec){ 1, 0 };
	memset(&si, 0, sizeof(si));
	is_int(sigtimedwait(&set, &si, &to), SIGUSR1, "sigtimedwait takes the pending SIGUSR1");
	is_int(si.si_signo, SIGUSR1, "si_signo");
	is_int(si.si_code, SI_USER, "si_code SI_USER (kill)");
	is_int(hits, 0, "no handler ran");
	sigpending(&cur);
	ok(!sigismember(&cur, SIGUSR1), "no longer pending");
	c = poke(SIGUSR1, 30);
	to = (struct timespec){ 5, 0 };
	is_int(sigtimedwait(&set, &si, &to), SIGUSR1, "sigtimedwait waits for a signal from another process");
	is_int(si.si_code, SI_USER, "si_code SI_USER (kill)");
	ok(si.si_pid == c, "si_pid is the sender");
	is_int(hits, 0, "no handler ran");
	reap(c);
	syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
	is_int(sigwaitinfo(&set, &si), SIGUSR1, "sigwaitinfo takes a tgkill'ed signal");
	/* Another signal with a handler interrupts sigtimedwait: EINTR. */
	handle(SIGUSR2, SA_RESTART);
	hits = 0;
	c = poke(SIGUSR2, 30);
	errno = 0;
	is_int(sigtimedwait(&set, &si, &to), -1, "sigtimedwait interrupted by another signal");
	is_int(errno, EINTR, "errno EINTR (even with SA_RESTART)");
	is_int(hits, 1, "its handler ran");
	reap(c);
	is_errno(syscall(SYS_rt_sigtimedwait, &set, NULL, NULL, 4), EINVAL, "bad sigsetsize: EINVAL");
	sigprocmask(SIG_SETMASK, &old, NULL);

	/* rt_sigqueueinfo: the value reaches an SA_SIGINFO handler. */
	struct sigaction sa = { .sa_sigaction = on_info, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGRTMIN, &sa, NULL);
	hits = 0;
	is_int(sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = 4242 }), 0, "sigqueue to self");
	is_int(hits, 1, "handler ran");
	is_int(got_value, 4242, "sival_int");
	is_int(got_code, SI_QUEUE, "si_code SI_QUEUE");
	is_int(got_pid_ok, 1, "si_pid is ours");
	/* To a child, from the child: the parent gets the value. */
	hits = 0;
	pid_t parent = getpid();
	c = fork();
	if (c == 0) {
		msleep(20);
		_exit(sigqueue(parent, SIGRTMIN, (union sigval){ .sival_int = 7 }) == 0 ? 0 : 1);
	}
	int st;
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child's sigqueue succeeded");
	for (int i = 0; i < 100 && !hits; i++)
		msleep(5);
	is_int(hits, 1, "parent's handler ran");
	is_int(got_value, 7, "with the child's value");
	/* si_code rules: posing as kill() or the kernel towards another process is EPERM. */
	c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	siginfo_t fake;
	memset(&fake, 0, sizeof(fake));
	fake.si_code = SI_USER;
	is_errno(syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &fake), EPERM, "SI_USER to another: EPERM");
	fake.si_code = SI_KERNEL;
	is_errno(syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &fake), EPERM, "SI_KERNEL to another: EPERM");
	fake.si_code = SI_TKILL;
	is_errno(syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &fake), EPERM, "SI_TKILL to another: EPERM");
	fake.si_code = SI_QUEUE;
	is_int(syscall(SYS_rt_sigqueueinfo, c, 0, &fake), 0, "SI_QUEUE, signal 0 to another: ok");
	is_errno(syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, NULL), EFAULT, "NULL info: EFAULT");
	kill(c, SIGKILL);
	reap(c);
	is_errno(syscall(SYS_rt_sigqueueinfo, 999999, SIGUSR1, &fake), ESRCH, "no such process: ESRCH");
	/* To itself, SI_USER is allowed. */
	hits = 0;
	fake.si_code = SI_USER;
	fake.si_value.sival_int = 99;
	is_int(syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, &fake), 0, "SI_USER to self: allowed");
	is_int(hits, 1, "handler ran");
	is_int(got_code, SI_USER, "with the code given");
	hits = 0;
	fake.si_code = SI_QUEUE;
	fake.si_value.sival_int = 5;
	is_int(syscall(SYS_rt_tgsigqueueinfo, getpid(), getpid(), SIGRTMIN, &fake), 0,
	       "rt_tgsigqueueinfo to self");
	is_int(got_value, 5, "its value");
	return done_testing();
}
