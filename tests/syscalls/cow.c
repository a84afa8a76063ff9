// SPDX-License-Identifier: Apache-2.0
/*
 * Copy-on-write after fork when the parent writes first: memory the parent had written
 * (so mirrored writable) and the child has not touched yet must keep its fork-time
 * contents in the child however the parent writes it afterwards (a whole page, one byte
 * per page, from a second thread of the parent); and the other way round.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

#define LEN (4 << 20)
#define PAGE 4096

static volatile int *shared; /* MAP_SHARED page for parent/child handshakes */
static char *mem;

static void spin_until(volatile int *p, int v)
{
	while (*p != v)
		sched_yield();
}

static int all_are(const char *p, size_t len, char c)
{
	for (size_t i = 0; i < len; i += 256)
		if (p[i] != c)
			return 0;
	return 1;
}

static void *writer(void *arg)
{
	for (size_t i = 0; i < LEN; i += PAGE)
		mem[i] = *(char *)arg;
	return NULL;
}

/* The parent fills with @before, forks, writes @after (via @how); the child checks. */
static void parent_writes_first(const char *what, int how)
{
	char after = 'p';
	pid_t pid;
	int st = -1;

	memset(mem, 'a', LEN);
	shared[0] = 0;
	pid = fork();
	if (pid == 0) {
		spin_until(shared, 1); /* the parent wrote; we have not touched mem yet */
		_exit(all_are(mem, LEN, 'a') ? 0 : 1);
	}
	if (how == 0) {
		memset(mem, after, LEN);
	} else if (how == 1) {
		writer(&after);
	} else {
		pthread_t th;

		pthread_create(&th, NULL, writer, &after);
		pthread_join(th, NULL);
	}
	shared[0] = 1;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child keeps the fork-time contents: %s", what);
	ok(how ? mem[0] == after && mem[PAGE + 1] == 'a' : all_are(mem, LEN, after),
	   "parent sees its own writes: %s", what);
}

int main(void)
{
	pid_t pid;
	int st = -1;

	shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	mem = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok(shared != MAP_FAILED && mem != MAP_FAILED, "mappings");

	parent_writes_first("memset", 0);
	parent_writes_first("one byte per page", 1);
	parent_writes_first("from another thread", 2);

	/* The child writes first; the parent, which only read since, keeps its contents. */
	memset(mem, 'b', LEN);
	(void)all_are(mem, LEN, 'b'); /* reads: mirrored pages the fork keeps readable */
	shared[0] = 0;
	pid = fork();
	if (pid == 0) {
		memset(mem, 'c', LEN);
		shared[0] = 1;
		spin_until(shared, 2);
		_exit(all_are(mem, LEN, 'c') ? 0 : 1);
	}
	spin_until(shared, 1);
	ok(all_are(mem, LEN, 'b'), "parent does not see the child's writes");
	memset(mem, 'q', LEN);
	shared[0] = 2;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child does not see the parent's later writes");
	ok(all_are(mem, LEN, 'q'), "parent keeps its writes");

	/* Twice in a row: pages still shared with a live child are forked again. */
	memset(mem, 'd', LEN);
	shared[0] = 0;
	pid_t c1 = fork();
	if (c1 == 0) {
		spin_until(shared, 1);
		_exit(all_are(mem, LEN, 'd') ? 0 : 1);
	}
	pid_t c2 = fork();
	if (c2 == 0) {
		spin_until(shared, 1);
		_exit(all_are(mem, LEN, 'd') ? 0 : 1);
	}
	memset(mem, 'e', LEN);
	shared[0] = 1;
	waitpid(c1, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "first child keeps its contents");
	waitpid(c2, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "second child keeps its contents");
	ok(all_are(mem, LEN, 'e'), "parent keeps its writes after two forks");
	return done_testing();
}
