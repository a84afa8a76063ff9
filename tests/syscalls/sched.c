/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scheduling attributes, prctl (names, parent-death signal, child subreaper, keepcaps),
 * personality, CPU time (times, getrusage of self and children).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"

static volatile unsigned long sink;

/* Burn @ms of CPU time (not wall time: on a loaded machine the check below must hold). */
static void burn(int ms)
{
	struct timespec a, b;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	do {
		for (int i = 0; i < 100000; i++)
			sink += i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

static int death_pipe;

static void on_term(int sig)
{
	(void)sig;
	write(death_pipe, "T", 1);
	_exit(0);
}

int main(void)
{
	/* In the sandbox this program is pid 1, which adopts orphans anyway: run as its child. */
	if (getpid() == 1) {
		pid_t k = fork();
		if (k > 0) {
			int kst;
			while (waitpid(k, &kst, 0) < 0)
				;
			return WIFEXITED(kst) ? WEXITSTATUS(kst) : 1;
		}
	}
	/* nice */
	is_int(setpriority(PRIO_PROCESS, 0, 5), 0, "setpriority 5");
	errno = 0;
	is_int(getpriority(PRIO_PROCESS, 0), 5, "getpriority 5");
	if (getuid() == 0) {
		is_int(setpriority(PRIO_PROCESS, 0, 0), 0, "root may lower nice again");
	}
	is_errno(setpriority(99, 0, 0), EINVAL, "bad which");
	is_errno(setpriority(PRIO_PROCESS, 999999, 0), ESRCH, "no such process");

	/* policies */
	is_int(sched_getscheduler(0), SCHED_OTHER, "SCHED_OTHER");
	is_int(sched_get_priority_max(SCHED_FIFO), 99, "FIFO max 99");
	is_int(sched_get_priority_min(SCHED_RR), 1, "RR min 1");
	is_int(sched_get_priority_max(SCHED_OTHER), 0, "OTHER max 0");
	is_errno(sched_get_priority_max(42), EINVAL, "bad policy");
	struct sched_param sp = { 0 };
	is_int(sched_setscheduler(0, SCHED_BATCH, &sp), 0, "SCHED_BATCH");
	is_int(sched_getscheduler(0), SCHED_BATCH, "reads back");
	sp.sched_priority = 5;
	is_errno(sched_setscheduler(0, SCHED_BATCH, &sp), EINVAL, "priority with BATCH");
	sp.sched_priority = 0;
	sched_setscheduler(0, SCHED_OTHER, &sp);
	is_int(sched_getparam(0, &sp), 0, "sched_getparam");
	is_int(sp.sched_priority, 0, "priority 0");
	unsigned cpu = 999;
	is_int(getcpu(&cpu, NULL), 0, "getcpu");
	ok(cpu < 1024, "a cpu number");

	/* personality */
	int pers = personality(0xffffffff);
	ok(pers >= 0, "personality query");

	/* prctl names and keepcaps */
	char name[16] = { 0 };
	prctl(PR_SET_NAME, "sched-test-long-name");
	prctl(PR_GET_NAME, name);
	is_int(strcmp(name, "sched-test-long"), 0, "PR_SET_NAME truncates to 15");
	is_int(prctl(PR_GET_KEEPCAPS), 0, "keepcaps off");
	is_int(prctl(PR_SET_KEEPCAPS, 1), 0, "keepcaps on");
	is_int(prctl(PR_GET_KEEPCAPS), 1, "reads back");
	prctl(PR_SET_KEEPCAPS, 0);
	is_int(prctl(PR_GET_DUMPABLE), 1, "dumpable");
	int sig = -1;
	is_int(prctl(PR_GET_PDEATHSIG, &sig), 0, "PR_GET_PDEATHSIG");
	is_int(sig, 0, "no parent-death signal");

	/* Parent-death signal: a grandchild hears its parent die. */
	int p[2], st;
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		pid_t g = fork();
		if (g == 0) {
			death_pipe = p[1];
			signal(SIGTERM, on_term);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			write(p[1], "R", 1);
			for (;;)
				pause();
		}
		char b;
		read(p[0], &b, 1); /* the grandchild is ready */
		_exit(0);
	}
	waitpid(c, &st, 0);
	char b = 0;
	read(p[0], &b, 1);
	is_int(b, 'T', "PR_SET_PDEATHSIG: SIGTERM when the parent exits");
	close(p[0]);
	close(p[1]);

	/* Subreaper: orphaned grandchildren come to us, not to init. */
	is_int(prctl(PR_SET_CHILD_SUBREAPER, 1), 0, "become a subreaper");
	int q[2];
	pipe(p);
	pipe(q);
	c = fork();
	if (c == 0) {
		pid_t g = fork();
		if (g == 0) {
			char x;
			read(p[0], &x, 1); /* wait until the parent is gone */
			_exit(7);
		}
		write(q[1], &g, sizeof(g));
		_exit(0);
	}
	pid_t g = 0;
	read(q[0], &g, sizeof(g));
	waitpid(c, &st, 0);
	write(p[1], "x", 1);
	/* In the sandbox this program is init: other orphans come here too, so wait for g. */
	pid_t got = waitpid(g, &st, 0);
	is_int(got == g, 1, "the orphaned grandchild is our child now");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 7, "and we reap it");
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);

	/* CPU time: our own and a reaped child's. */
	struct tms t0, t1;
	times(&t0);
	burn(150);
	times(&t1);
	ok(t1.tms_utime + t1.tms_stime > t0.tms_utime + t0.tms_stime, "times: our CPU time grew");
	c = fork();
	if (c == 0) {
		burn(150);
		_exit(0);
	}
	waitpid(c, &st, 0);
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	ok(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec > 0 ||
		   ru.ru_utime.tv_usec + ru.ru_stime.tv_usec > 50000,
	   "getrusage(RUSAGE_CHILDREN) counts the reaped child");
	is_errno(getrusage(42, &ru), EINVAL, "bad who");
	return done_testing();
}
