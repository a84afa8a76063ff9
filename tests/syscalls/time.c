/* SPDX-License-Identifier: Apache-2.0 */
/* Clocks and sleeps. Never prints times: only facts about them. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "tap.h"

static int64_t ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int64_t mono_raw(void)
{
	struct timespec t;
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
	return ns(&t);
}

int main(void)
{
	struct timespec a, b, r;

	/* monotonic never goes back, via libc (vDSO natively) and the raw syscall */
	int mono_ok = 1;
	int64_t prev = 0;
	for (int i = 0; i < 1000; i++) {
		if (clock_gettime(CLOCK_MONOTONIC, &a) != 0) {
			mono_ok = 0;
			break;
		}
		if (ns(&a) < prev)
			mono_ok = 0;
		prev = ns(&a);
	}
	ok(mono_ok, "CLOCK_MONOTONIC non-decreasing over 1000 reads");
	mono_ok = 1;
	prev = 0;
	for (int i = 0; i < 1000; i++) {
		int64_t t = mono_raw();
		if (t < prev)
			mono_ok = 0;
		prev = t;
	}
	ok(mono_ok, "raw clock_gettime(CLOCK_MONOTONIC) non-decreasing over 1000 calls");

	is_int(syscall(SYS_clock_gettime, CLOCK_REALTIME, &a), 0, "clock_gettime REALTIME");
	time_t t0 = (time_t)syscall(SYS_time, NULL);
	ok(t0 - a.tv_sec >= -1 && t0 - a.tv_sec <= 2, "REALTIME within 2 s of time()");
	ok(a.tv_nsec >= 0 && a.tv_nsec < 1000000000L, "REALTIME tv_nsec in range");
	ok(a.tv_sec > 1600000000, "REALTIME is after 2020");
	time_t t1 = 0;
	ok(syscall(SYS_time, &t1) == t1, "time(&t) stores and returns the same value");
	struct timeval tv;
	is_int(syscall(SYS_gettimeofday, &tv, NULL), 0, "gettimeofday");
	ok(tv.tv_sec - a.tv_sec >= 0 && tv.tv_sec - a.tv_sec <= 2, "gettimeofday close to REALTIME");
	ok(tv.tv_usec >= 0 && tv.tv_usec < 1000000, "gettimeofday tv_usec in range");
	is_int(syscall(SYS_clock_gettime, CLOCK_BOOTTIME, &b), 0, "clock_gettime BOOTTIME");
	is_int(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a), 0, "clock_gettime MONOTONIC");

	/* resolution */
	static const struct {
		clockid_t id;
		const char *name;
	} clocks[] = {{CLOCK_REALTIME, "REALTIME"}, {CLOCK_MONOTONIC, "MONOTONIC"}};
	for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		r.tv_sec = -1;
		r.tv_nsec = -1;
		is_int(syscall(SYS_clock_getres, clocks[i].id, &r), 0, "clock_getres %s", clocks[i].name);
		ok(r.tv_sec == 0 && r.tv_nsec > 0 && r.tv_nsec <= 10000000,
		   "clock_getres %s in (0, 10 ms]", clocks[i].name);
	}
	is_int(syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL), 0, "clock_getres with NULL res");

	/* every clock Linux offers without privileges, and CPU-time clocks of self */
	static const struct {
		clockid_t id;
		const char *name;
	} more[] = {
		{CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID"},
		{CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID"},
		{CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW"},
		{CLOCK_REALTIME_COARSE, "REALTIME_COARSE"},
		{CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE"},
		{CLOCK_BOOTTIME, "BOOTTIME"},
		{CLOCK_TAI, "TAI"},
		{-2, "-2 (MAKE_PROCESS_CPUCLOCK(0, SCHED), as from clock_getcpuclockid(0))"},
		{-6, "-6 (MAKE_THREAD_CPUCLOCK(0, SCHED), as from pthread_getcpuclockid(self))"},
	};
	for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
		is_int(syscall(SYS_clock_gettime, more[i].id, &a), 0, "clock_gettime %s", more[i].name);
		is_int(syscall(SYS_clock_getres, more[i].id, &r), 0, "clock_getres %s", more[i].name);
	}
	clockid_t cpu;
	is_int(clock_getcpuclockid(0, &cpu), 0, "clock_getcpuclockid(0)");
	is_int(clock_gettime(cpu, &a), 0, "clock_gettime on the process CPU clock");
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a);
	syscall(SYS_clock_gettime, CLOCK_BOOTTIME, &b);
	ok(ns(&b) >= ns(&a), "BOOTTIME >= MONOTONIC");

	/* bad clock ids */
	is_errno(syscall(SYS_clock_gettime, 12345, &a), EINVAL, "clock_gettime bad clock -> EINVAL");
	is_errno(syscall(SYS_clock_getres, 12345, &r), EINVAL, "clock_getres bad clock -> EINVAL");

	/* sleeps */
	struct timespec req = {0, 10 * 1000 * 1000};
	int64_t s = mono_raw();
	is_int(syscall(SYS_nanosleep, &req, NULL), 0, "nanosleep 10 ms");
	int64_t e = mono_raw();
	ok(e - s >= 10 * 1000 * 1000, "nanosleep 10 ms takes >= 10 ms");
	ok(e - s < 2000LL * 1000 * 1000, "nanosleep 10 ms takes < 2 s");

	s = mono_raw();
	is_int(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL), 0,
	       "clock_nanosleep relative 10 ms");
	e = mono_raw();
	ok(e - s >= 10 * 1000 * 1000, "clock_nanosleep 10 ms takes >= 10 ms");

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a);
	int64_t deadline = ns(&a) + 10 * 1000 * 1000;
	struct timespec abs_req = {deadline / 1000000000LL, deadline % 1000000000LL};
	is_int(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs_req, NULL), 0,
	       "clock_nanosleep TIMER_ABSTIME");
	ok(mono_raw() >= deadline, "clock_nanosleep TIMER_ABSTIME reaches the deadline");

	struct timespec zero = {0, 0};
	is_int(syscall(SYS_nanosleep, &zero, NULL), 0, "nanosleep 0");

	struct timespec bad = {0, 1000000000L};
	is_errno(syscall(SYS_nanosleep, &bad, NULL), EINVAL, "nanosleep tv_nsec 1e9 -> EINVAL");
	bad.tv_nsec = -1;
	is_errno(syscall(SYS_nanosleep, &bad, NULL), EINVAL, "nanosleep tv_nsec -1 -> EINVAL");
	bad.tv_sec = -1;
	bad.tv_nsec = 0;
	is_errno(syscall(SYS_nanosleep, &bad, NULL), EINVAL, "nanosleep tv_sec -1 -> EINVAL");
	bad.tv_sec = 0;
	bad.tv_nsec = 1000000000L;
	is_errno(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL), EINVAL,
		 "clock_nanosleep bad tv_nsec -> EINVAL");
	is_errno(syscall(SYS_clock_nanosleep, 12345, 0, &req, NULL), EINVAL,
		 "clock_nanosleep bad clock -> EINVAL");
	return done_testing();
}
