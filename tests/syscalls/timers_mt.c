/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Timers and signal waits with threads: SIGEV_THREAD_ID picks the thread, a process-directed
 * timer signal goes to a thread that does not block it, sigwaitinfo in one thread takes a
 * signal sent to the process, and a signalfd read in a thread sees process signals.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>

#include "tap.h"

static volatile pid_t handler_tid;
static volatile sig_atomic_t hits;
static volatile pid_t worker_tid;
static volatile int stop;

static void on_sig(int sig)
{
	(void)sig;
	handler_tid = gettid();
	hits++;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A worker that does not block SIGRTMIN and idles until told to stop. */
static void *idle_worker(void *arg)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGRTMIN);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	worker_tid = gettid();
	while (!stop)
		msleep(5);
	return NULL;
}

static int wait_result = -1;
static siginfo_t wait_info;

static void *waiter_thread(void *arg)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	worker_tid = gettid();
	wait_result = sigwaitinfo(&s, &wait_info);
	return NULL;
}

static int sfd_result = -1;
static struct signalfd_siginfo sfd_info;

static void *sfd_thread(void *arg)
{
	int fd = *(int *)arg;
	sfd_result = (int)read(fd, &sfd_info, sizeof(sfd_info));
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_sig };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGRTMIN, &sa, NULL);

	/* The main thread blocks SIGRTMIN; the worker does not. */
	sigset_t rt, all;
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &rt, NULL);
	pthread_t th;
	pthread_create(&th, NULL, idle_worker, NULL);
	while (!worker_tid)
		msleep(1);

	/* A process-directed timer signal goes to the thread that can take it. */
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN };
	timer_t t1;
	is_int(timer_create(CLOCK_MONOTONIC, &sev, &t1), 0, "timer_create SIGEV_SIGNAL");
	struct itimerspec its = { { 0, 0 }, { 0, 20000000 } };
	hits = 0;
	timer_settime(t1, 0, &its, NULL);
	for (int i = 0; i < 400 && !hits; i++)
		msleep(5);
	is_int(hits, 1, "delivered once");
	ok(handler_tid == worker_tid, "to the thread that does not block it");
	timer_delete(t1);

	/* SIGEV_THREAD_ID: to the named thread. Unblock in main, target main. */
	sigprocmask(SIG_UNBLOCK, &rt, NULL);
	struct sigevent tev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGRTMIN };
	tev._sigev_un._tid = worker_tid;
	timer_t t2;
	is_int(timer_create(CLOCK_MONOTONIC, &tev, &t2), 0, "timer_create SIGEV_THREAD_ID at the worker");
	hits = 0;
	handler_tid = 0;
	timer_settime(t2, 0, &its, NULL);
	for (int i = 0; i < 400 && !hits; i++)
		msleep(5);
	is_int(hits, 1, "delivered");
	ok(handler_tid == worker_tid, "on the worker although main would take it too");
	timer_delete(t2);
	tev._sigev_un._tid = gettid();
	timer_t t3;
	is_int(timer_create(CLOCK_MONOTONIC, &tev, &t3), 0, "SIGEV_THREAD_ID at the main thread");
	hits = 0;
	timer_settime(t3, 0, &its, NULL);
	for (int i = 0; i < 400 && !hits; i++)
		msleep(5);
	ok(hits == 1 && handler_tid == gettid(), "delivered on the main thread");
	timer_delete(t3);
	stop = 1;
	pthread_join(th, NULL);
	tev._sigev_un._tid = worker_tid; /* gone now */
	is_errno(timer_create(CLOCK_MONOTONIC, &tev, &t3), EINVAL, "SIGEV_THREAD_ID at an exited thread: EINVAL");

	/* sigwaitinfo in a thread takes a signal sent to the process. */
	sigemptyset(&all);
	sigaddset(&all, SIGUSR2);
	sigprocmask(SIG_BLOCK, &all, NULL);
	worker_tid = 0;
	pthread_create(&th, NULL, waiter_thread, NULL);
	while (!worker_tid)
		msleep(1);
	msleep(20);
	kill(getpid(), SIGUSR2);
	pthread_join(th, NULL);
	is_int(wait_result, SIGUSR2, "sigwaitinfo in a thread takes kill()'s signal");
	is_int(wait_info.si_code, SI_USER, "SI_USER");

	/* A signalfd read in a thread sees the process's signal. */
	int fd = signalfd(-1, &all, 0);
	pthread_create(&th, NULL, sfd_thread, &fd);
	msleep(20);
	sigqueue(getpid(), SIGUSR2, (union sigval){ .sival_int = 5 });
	pthread_join(th, NULL);
	is_int(sfd_result, (int)sizeof(sfd_info), "signalfd read in a thread");
	is_int(sfd_info.ssi_signo, SIGUSR2, "SIGUSR2");
	is_int(sfd_info.ssi_int, 5, "its value");
	close(fd);
	return done_testing();
}
