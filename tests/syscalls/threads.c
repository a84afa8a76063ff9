/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Threads (glibc pthreads: clone(CLONE_THREAD...), futexes, clear_child_tid, robust and PI
 * mutexes), thread-directed and process-directed signals, exit_group and execve from a
 * thread, and vfork's shared memory.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"

#define NTHREADS 4
#define ITERS 20000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static atomic_int tid_differs, pid_same;

static void *adder(void *arg)
{
	(void)arg;
	if (gettid() != getpid())
		tid_differs++;
	if (syscall(SYS_getpid) == getpid())
		pid_same++;
	for (int i = 0; i < ITERS; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	return (void *)(long)7;
}

/* Condition-variable ping-pong: each side waits for its turn. */
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn, rounds_done;

static void *ponger(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&mu);
		while (turn != 1)
			pthread_cond_wait(&cv, &mu);
		turn = 0;
		rounds_done++;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

static atomic_int handled_by_target;
static pid_t target_tid;
static sem_t ready, go;

static void on_usr1(int sig)
{
	(void)sig;
	if (gettid() == target_tid)
		handled_by_target++;
}

/* Waits (signals unblocked) until told to finish. */
static void *signal_target(void *arg)
{
	(void)arg;
	target_tid = gettid();
	sem_post(&ready);
	while (sem_wait(&go) < 0)
		;
	return NULL;
}

static void *exiter(void *arg)
{
	(void)arg;
	exit(9); /* exit_group from a thread while main blocks in read */
}

static char *self_path;

static void *execer(void *arg)
{
	(void)arg;
	char *argv[] = { self_path, "exec-child", NULL };
	/* Without the host's files in the sandbox the binary is not visible: same status. */
	if (access(self_path, X_OK) != 0)
		syscall(SYS_exit_group, 42);
	execv(self_path, argv);
	_exit(99);
}

static pthread_mutex_t robust;

static void *robust_owner(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&robust);
	return NULL; /* dies holding it */
}

static pthread_mutex_t pi;
static atomic_int pi_count;

static void *pi_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&pi);
		pi_count++;
		pthread_mutex_unlock(&pi);
	}
	return NULL;
}

static volatile int vfork_mark;

int main(int argc, char **argv)
{
	pthread_t th[NTHREADS];
	void *ret;
	int st;

	if (argc > 1) {
		/* After execve from a thread of the parent program: the pid is the same. */
		return atoi(getenv("EXPECT_PID")) == getpid() ? 42 : 43;
	}
	self_path = argv[0];

	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, adder, NULL);
	int joined = 0;
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_join(th[i], &ret) == 0 && ret == (void *)7L)
			joined++;
	is_int(joined, NTHREADS, "threads joined with their return values");
	is_int((int)counter, NTHREADS * ITERS, "mutex-protected counter");
	is_int(tid_differs, NTHREADS, "each thread has its own tid");
	is_int(pid_same, NTHREADS, "and the process's pid");

	pthread_t p;
	pthread_create(&p, NULL, ponger, NULL);
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&mu);
		turn = 1;
		pthread_cond_signal(&cv);
		while (turn != 0)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
	}
	pthread_join(p, NULL);
	is_int(rounds_done, 200, "condition variable ping-pong");

	/* Thread-directed: pthread_kill reaches exactly that thread. */
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);
	sem_init(&ready, 0, 0);
	sem_init(&go, 0, 0);
	pthread_create(&p, NULL, signal_target, NULL);
	sem_wait(&ready);
	pthread_kill(p, SIGUSR1);
	/* Process-directed with the main thread blocking it: the other thread takes it. */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	kill(getpid(), SIGUSR1);
	for (int i = 0; i < 1000 && handled_by_target < 2; i++)
		usleep(1000);
	sem_post(&go);
	pthread_join(p, NULL);
	is_int(handled_by_target, 2, "pthread_kill and kill both handled by the unblocked thread");
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);

	/* exit() from a thread ends the whole process with its status. */
	pid_t c = fork();
	if (c == 0) {
		int pp[2];
		char b;
		pipe(pp);
		pthread_create(&p, NULL, exiter, NULL);
		read(pp[0], &b, 1);
		_exit(1);
	}
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 9, "exit from a thread ends the process");

	/* execve from a non-main thread: the other threads go, the pid stays. */
	c = fork();
	if (c == 0) {
		char pid[32];
		snprintf(pid, sizeof(pid), "%d", getpid());
		setenv("EXPECT_PID", pid, 1);
		pthread_create(&p, NULL, execer, NULL);
		pthread_create(&th[0], NULL, signal_target, NULL); /* blocks forever */
		for (;;)
			pause();
	}
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 42, "execve from a thread keeps the pid");

	/* A robust mutex whose owner died: EOWNERDEAD, then usable. */
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &ma);
	pthread_create(&p, NULL, robust_owner, NULL);
	pthread_join(p, NULL);
	is_int(pthread_mutex_lock(&robust), EOWNERDEAD, "robust mutex: EOWNERDEAD");
	is_int(pthread_mutex_consistent(&robust), 0, "made consistent");
	is_int(pthread_mutex_unlock(&robust), 0, "unlocked");

	/* Priority-inheritance mutexes under contention. */
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(&pi, &ma);
	pthread_create(&th[0], NULL, pi_worker, NULL);
	pthread_create(&th[1], NULL, pi_worker, NULL);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	is_int(pi_count, 4000, "PI mutex counter");
	is_int(pthread_mutex_trylock(&pi), 0, "PI trylock of a free mutex");
	pthread_mutex_unlock(&pi);

	/* vfork: the child runs in the parent's memory until it exits. */
	c = vfork();
	if (c == 0) {
		vfork_mark = 5;
		_exit(0);
	}
	waitpid(c, &st, 0);
	is_int(vfork_mark, 5, "vfork child wrote the parent's memory");

	/* Many short-lived threads in sequence. */
	int made = 0;
	for (int i = 0; i < 300; i++) {
		if (pthread_create(&p, NULL, signal_target, NULL) != 0)
			break;
		sem_wait(&ready);
		sem_post(&go);
		pthread_join(p, NULL);
		made++;
	}
	is_int(made, 300, "300 threads created and joined in turn");
	return done_testing();
}
