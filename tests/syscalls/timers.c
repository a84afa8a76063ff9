/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Timers: alarm (SIGALRM to a handler, interrupting a blocking read and pause),
 * setitimer/getitimer (REAL periodic counts, VIRTUAL and PROF during a busy loop),
 * POSIX timers (SIGEV_SIGNAL with sival and SI_TIMER, overruns while blocked,
 * SIGEV_NONE, SIGEV_THREAD_ID, delete, errors), timers not inherited by fork.
 * Counts are asserted in loose ranges: the machine may be busy.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"

static volatile sig_atomic_t alrm, vtalrm, prof, rt_hits, rt_value, rt_code, rt_overrun, rt_timerid;

static void on_alrm(int sig) { (void)sig; alrm++; }
static void on_vtalrm(int sig) { (void)sig; vtalrm++; }
static void on_prof(int sig) { (void)sig; prof++; }

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	rt_hits++;
	rt_value = si->si_value.sival_int;
	rt_code = si->si_code;
	rt_overrun = si->si_overrun;
	rt_timerid = si->si_timerid;
}

static void handle(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { .sa_handler = fn, .sa_flags = flags };
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static volatile uint64_t sink;

/* Spin until @flag becomes nonzero or @ms of wall time pass. */
static void spin(volatile sig_atomic_t *flag, int ms)
{
	int64_t end = now_ns() + (int64_t)ms * 1000000LL;
	while (!*flag && now_ns() < end)
		for (int i = 0; i < 100000; i++)
			sink += (uint64_t)i;
}

/*
 * "exec-check" (tests/integration: timers_exec): a POSIX timer ends at execve, an itimer
 * goes on, and the signal it sends is delivered to the new image (default action here).
 */
static int exec_check(char **argv)
{
	if (strcmp(argv[1], "after-exec") == 0) {
		struct itimerspec its;
		struct itimerval it;
		int gone = timer_gettime((timer_t)0, &its) == -1 && errno == EINVAL;
		getitimer(ITIMER_REAL, &it);
		int kept = it.it_value.tv_sec > 0 && it.it_value.tv_sec <= 100;
		tap_printf_("posix-timer-gone=%d itimer-kept=%d\n", gone, kept);
		return 0;
	}
	timer_t tid;
	struct itimerspec its = { { 0, 0 }, { 100, 0 } };
	struct itimerval it = { { 0, 0 }, { 100, 0 } };
	if (timer_create(CLOCK_MONOTONIC, NULL, &tid) != 0 || timer_settime(tid, 0, &its, NULL) != 0 ||
	    setitimer(ITIMER_REAL, &it, NULL) != 0)
		return 1;
	char *av[] = { argv[0], "after-exec", NULL };
	execv(argv[0], av);
	return 2;
}

int main(int argc, char **argv)
{
	struct itimerval it, old;

	if (argc > 1)
		return exec_check(argv);
	int p[2];
	char b;

	/* alarm: SIGALRM reaches the handler and interrupts a blocking read. */
	handle(SIGALRM, on_alrm, 0);
	is_int(alarm(0), 0, "no alarm pending at start");
	pipe(p);
	alrm = 0;
	is_int(alarm(1), 0, "alarm(1)");
	errno = 0;
	is_int(read(p[0], &b, 1), -1, "read interrupted by the alarm");
	is_int(errno, EINTR, "errno EINTR");
	is_int(alrm, 1, "SIGALRM handler ran");
	/* alarm returns what was left, rounded; alarm(0) cancels. */
	is_int(alarm(10), 0, "alarm(10)");
	unsigned int left = alarm(5);
	ok(left >= 9 && left <= 10, "second alarm returns the old one's seconds left");
	left = alarm(0);
	ok(left >= 4 && left <= 5, "alarm(0) returns the seconds left");
	is_int(alarm(0), 0, "and cancelled it");
	/* pause woken by the alarm. */
	alrm = 0;
	it = (struct itimerval){ { 0, 0 }, { 0, 50000 } };
	is_int(setitimer(ITIMER_REAL, &it, NULL), 0, "setitimer REAL one-shot 50 ms");
	errno = 0;
	is_int(pause(), -1, "pause woken by SIGALRM");
	is_int(alrm, 1, "handler ran once");
	/* SA_RESTART: the read goes on after the handler. */
	handle(SIGALRM, on_alrm, SA_RESTART);
	alrm = 0;
	it = (struct itimerval){ { 0, 0 }, { 0, 30000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	pid_t c = fork();
	if (c == 0) {
		msleep(150);
		write(p[1], "x", 1);
		_exit(0);
	}
	is_int(read(p[0], &b, 1), 1, "read restarted after SIGALRM with SA_RESTART");
	is_int(alrm, 1, "handler ran");
	waitpid(c, NULL, 0);

	/* getitimer: remaining decreases; interval kept. */
	it = (struct itimerval){ { 2, 0 }, { 5, 0 } };
	is_int(setitimer(ITIMER_REAL, &it, &old), 0, "setitimer REAL 5 s every 2 s");
	ok(old.it_value.tv_sec == 0 && old.it_value.tv_usec == 0, "old value was disarmed");
	struct itimerval g1, g2;
	getitimer(ITIMER_REAL, &g1);
	msleep(30);
	getitimer(ITIMER_REAL, &g2);
	ok(g1.it_value.tv_sec <= 5 && (g1.it_value.tv_sec >= 4), "getitimer value about 5 s");
	ok(g2.it_value.tv_sec * 1000000LL + g2.it_value.tv_usec <
	   g1.it_value.tv_sec * 1000000LL + g1.it_value.tv_usec, "remaining decreases");
	ok(g1.it_interval.tv_sec == 2 && g1.it_interval.tv_usec == 0, "interval reads back");
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &it, &old);
	ok(old.it_value.tv_sec >= 4 && old.it_interval.tv_sec == 2, "old value on disarm");
	getitimer(ITIMER_REAL, &g1);
	ok(g1.it_value.tv_sec == 0 && g1.it_value.tv_usec == 0, "disarmed reads zero");

	/* Periodic REAL every 10 ms for ~200 ms. */
	alrm = 0;
	it = (struct itimerval){ { 0, 10000 }, { 0, 10000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	int64_t end = now_ns() + 200000000LL;
	while (now_ns() < end)
		msleep(5);
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &it, NULL);
	int n = alrm;
	ok(n >= 3 && n <= 25, "periodic ITIMER_REAL fired about 20 times in 200 ms");
	msleep(30);
	is_int(alrm, n, "no more after disarming");

	/* Errors. */
	it = (struct itimerval){ { 0, 0 }, { 0, 1000000 } };
	is_errno(setitimer(ITIMER_REAL, &it, NULL), EINVAL, "tv_usec 1e6: EINVAL");
	is_errno(setitimer(7, &it, NULL), EINVAL, "bad which: EINVAL");
	is_errno(getitimer(7, &g1), EINVAL, "getitimer bad which: EINVAL");
	is_errno(syscall(SYS_getitimer, ITIMER_REAL, NULL), EFAULT, "getitimer NULL: EFAULT");

	/* VIRTUAL and PROF count CPU time: they fire during a busy loop. */
	handle(SIGVTALRM, on_vtalrm, 0);
	handle(SIGPROF, on_prof, 0);
	it = (struct itimerval){ { 0, 0 }, { 0, 20000 } };
	is_int(setitimer(ITIMER_VIRTUAL, &it, NULL), 0, "setitimer VIRTUAL 20 ms");
	getitimer(ITIMER_VIRTUAL, &g1);
	ok(g1.it_value.tv_sec == 0 && g1.it_value.tv_usec > 0 && g1.it_value.tv_usec <= 30000,
	   "getitimer VIRTUAL armed");
	spin(&vtalrm, 5000);
	is_int(vtalrm, 1, "SIGVTALRM during a busy loop");
	getitimer(ITIMER_VIRTUAL, &g1);
	ok(g1.it_value.tv_sec == 0 && g1.it_value.tv_usec == 0, "VIRTUAL one-shot disarmed after");
	it = (struct itimerval){ { 0, 10000 }, { 0, 10000 } };
	is_int(setitimer(ITIMER_PROF, &it, NULL), 0, "setitimer PROF every 10 ms");
	spin(&prof, 5000);
	ok(prof >= 1, "SIGPROF during a busy loop");
	static volatile sig_atomic_t never;
	for (int i = 0; i < 100 && prof < 3; i++)
		spin(&never, 50);
	ok(prof >= 3, "PROF periodic");
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_PROF, &it, NULL);
	/* Sleeping uses no CPU: VIRTUAL does not fire while asleep. */
	vtalrm = 0;
	it = (struct itimerval){ { 0, 0 }, { 0, 50000 } };
	setitimer(ITIMER_VIRTUAL, &it, NULL);
	msleep(150);
	is_int(vtalrm, 0, "VIRTUAL does not advance during sleep");
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_VIRTUAL, &it, NULL);

	/* POSIX timer, SIGEV_SIGNAL with a value: SI_TIMER, si_timerid, sival. */
	struct sigaction sa = { .sa_sigaction = on_rt, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGRTMIN, &sa, NULL);
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN };
	sev.sigev_value.sival_int = 1234;
	timer_t tid;
	is_int(timer_create(CLOCK_MONOTONIC, &sev, &tid), 0, "timer_create MONOTONIC");
	is_int((long)(intptr_t)tid, 0, "the first timer's id is 0");
	struct itimerspec its = { { 0, 0 }, { 0, 20000000 } }, oits;
	rt_hits = 0;
	is_int(timer_settime(tid, 0, &its, NULL), 0, "timer_settime 20 ms");
	for (int i = 0; i < 200 && !rt_hits; i++)
		msleep(5);
	is_int(rt_hits, 1, "timer signal delivered");
	is_int(rt_value, 1234, "si_value");
	is_int(rt_code, SI_TIMER, "si_code SI_TIMER");
	is_int(rt_timerid, 0, "si_timerid");
	is_int(rt_overrun, 0, "no overrun");
	is_int(timer_gettime(tid, &oits), 0, "timer_gettime");
	ok(oits.it_value.tv_sec == 0 && oits.it_value.tv_nsec == 0, "expired one-shot reads zero");

	/* Overruns while the signal is blocked. */
	sigset_t set, prev;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, &prev);
	rt_hits = 0;
	its = (struct itimerspec){ { 0, 10000000 }, { 0, 10000000 } };
	timer_settime(tid, 0, &its, NULL);
	msleep(200);
	is_int(timer_getoverrun(tid), 0, "getoverrun 0 before the signal is taken");
	is_int(rt_hits, 0, "blocked: not delivered yet");
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigaddset(&set, SIGALRM); /* a mask that lets SIGRTMIN in for one sigsuspend */
	sigfillset(&set);
	sigdelset(&set, SIGRTMIN);
	sigsuspend(&set);
	int got_overrun = rt_overrun;
	is_int(rt_hits, 1, "one signal for all the expirations");
	if (!ok(got_overrun >= 5 && got_overrun <= 300, "si_overrun counts the rest (about 19)"))
		diag("si_overrun %d", got_overrun);
	is_int(timer_getoverrun(tid), got_overrun, "timer_getoverrun matches si_overrun");
	its = (struct itimerspec){ { 0, 0 }, { 0, 0 } };
	timer_settime(tid, 0, &its, &oits);
	ok(oits.it_interval.tv_nsec == 10000000, "old interval from settime");
	is_int(timer_getoverrun(tid), 0, "settime resets the overrun");
	sigprocmask(SIG_SETMASK, &prev, NULL);


	/* A second timer gets the next id; a NULL sigevent means SIGALRM with sival = id. */
	timer_t t2;
	alrm = 0;
	is_int(timer_create(CLOCK_REALTIME, NULL, &t2), 0, "timer_create REALTIME, NULL sigevent");
	is_int((long)(intptr_t)t2, 1, "id 1");
	its = (struct itimerspec){ { 0, 0 }, { 0, 20000000 } };
	timer_settime(t2, 0, &its, NULL);
	for (int i = 0; i < 200 && !alrm; i++)
		msleep(5);
	is_int(alrm, 1, "SIGALRM from the default sigevent");
	/* Absolute REALTIME expiry. */
	struct timespec nowr;
	clock_gettime(CLOCK_REALTIME, &nowr);
	its = (struct itimerspec){ { 0, 0 }, { nowr.tv_sec, nowr.tv_nsec } };
	its.it_value.tv_nsec += 30000000;
	if (its.it_value.tv_nsec >= 1000000000L) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000000000L;
	}
	alrm = 0;
	is_int(timer_settime(t2, TIMER_ABSTIME, &its, NULL), 0, "timer_settime TIMER_ABSTIME");
	for (int i = 0; i < 200 && !alrm; i++)
		msleep(5);
	is_int(alrm, 1, "absolute timer fired");
	is_int(timer_delete(t2), 0, "timer_delete");
	is_errno(timer_delete(t2), EINVAL, "deleting twice: EINVAL");
	is_errno(timer_gettime(t2, &oits), EINVAL, "gettime on a deleted timer: EINVAL");

	/* SIGEV_NONE: no signal, but gettime counts down. */
	struct sigevent none = { .sigev_notify = SIGEV_NONE };
	timer_t t3;
	is_int(timer_create(CLOCK_MONOTONIC, &none, &t3), 0, "timer_create SIGEV_NONE");
	its = (struct itimerspec){ { 0, 0 }, { 1, 0 } };
	timer_settime(t3, 0, &its, NULL);
	msleep(20);
	timer_gettime(t3, &oits);
	ok(oits.it_value.tv_sec == 0 && oits.it_value.tv_nsec > 500000000L, "SIGEV_NONE counts down");
	timer_delete(t3);

	/* SIGEV_THREAD_ID at ourselves. */
	struct sigevent tev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGRTMIN };
	tev._sigev_un._tid = gettid();
	tev.sigev_value.sival_int = 77;
	timer_t t4;
	is_int(timer_create(CLOCK_MONOTONIC, &tev, &t4), 0, "timer_create SIGEV_THREAD_ID");
	rt_hits = 0;
	its = (struct itimerspec){ { 0, 0 }, { 0, 10000000 } };
	timer_settime(t4, 0, &its, NULL);
	for (int i = 0; i < 200 && !rt_hits; i++)
		msleep(5);
	is_int(rt_value, 77, "delivered to the thread with its value");
	timer_delete(t4);
	tev._sigev_un._tid = 999999;
	is_errno(timer_create(CLOCK_MONOTONIC, &tev, &t4), EINVAL, "SIGEV_THREAD_ID, no such thread: EINVAL");
	struct sigevent bad = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = 0 };
	is_errno(timer_create(CLOCK_MONOTONIC, &bad, &t4), EINVAL, "signal 0: EINVAL");
	bad.sigev_signo = 65;
	is_errno(timer_create(CLOCK_MONOTONIC, &bad, &t4), EINVAL, "signal 65: EINVAL");
	is_errno(timer_create(12345, NULL, &t4), EINVAL, "bad clock: EINVAL");
	its = (struct itimerspec){ { 0, 0 }, { 0, 1000000000L } };
	is_errno(timer_settime(tid, 0, &its, NULL), EINVAL, "tv_nsec 1e9: EINVAL");
	is_errno(syscall(SYS_timer_getoverrun, 4242), EINVAL, "getoverrun of no timer: EINVAL");

	/* The process CPU clock advances while the guest computes. */
	struct timespec c0, c1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	int64_t cpu0 = c0.tv_sec * 1000000000LL + c0.tv_nsec, cpu1 = cpu0;
	int64_t wall_end = now_ns() + 5000000000LL;
	static volatile sig_atomic_t never2;
	while (cpu1 - cpu0 < 30000000LL && now_ns() < wall_end) {
		spin(&never2, 5);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
		cpu1 = c1.tv_sec * 1000000000LL + c1.tv_nsec;
	}
	ok(cpu1 - cpu0 >= 30000000LL, "CLOCK_PROCESS_CPUTIME_ID counts a busy loop");
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	ok(c1.tv_sec > 0 || c1.tv_nsec > 0, "CLOCK_THREAD_CPUTIME_ID is nonzero");

	/* CPU-time POSIX timer. */
	timer_t t5;
	sev.sigev_value.sival_int = 5;
	is_int(timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &t5), 0, "timer_create PROCESS_CPUTIME_ID");
	rt_hits = 0;
	its = (struct itimerspec){ { 0, 0 }, { 0, 20000000 } };
	timer_settime(t5, 0, &its, NULL);
	spin(&rt_hits, 5000);
	is_int(rt_hits, 1, "CPU-time timer fires during a busy loop");
	is_int(rt_value, 5, "with its value");

	/* fork: the child has no timers; the parent's still work. */
	rt_hits = 0;
	its = (struct itimerspec){ { 0, 0 }, { 0, 100000000 } };
	timer_settime(tid, 0, &its, NULL);
	it = (struct itimerval){ { 0, 0 }, { 0, 100000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	c = fork();
	if (c == 0) {
		struct itimerval cg;
		getitimer(ITIMER_REAL, &cg);
		int bad_child = cg.it_value.tv_sec || cg.it_value.tv_usec;
		struct itimerspec cs;
		bad_child |= (timer_gettime(tid, &cs) != -1 || errno != EINVAL) << 1;
		alrm = 0;
		msleep(200);
		bad_child |= (alrm != 0) << 2;
		_exit(bad_child);
	}
	int st;
	waitpid(c, &st, 0);
	ok(WIFEXITED(st), "child exited");
	is_int(WEXITSTATUS(st), 0, "child inherited no itimer, no POSIX timer, got no SIGALRM");
	for (int i = 0; i < 200 && !rt_hits; i++)
		msleep(5);
	is_int(rt_hits, 1, "the parent's timer still fires");
	is_int(timer_delete(tid), 0, "timer_delete");
	timer_delete(t5);
	close(p[0]);
	close(p[1]);
	return done_testing();
}
