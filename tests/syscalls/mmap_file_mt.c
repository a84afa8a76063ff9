/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mmap_file_mt.c: threads mapping, touching, mprotecting, mremapping and unmapping one file
 * (shared and private) while the main thread writes it and a child maps it: no deadlock,
 * no spurious fault, and the data adds up.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "tap.h"

#define PG 4096
#define THREADS 4
#define ROUNDS 200

static int fd;

static void *worker(void *arg)
{
	long bad = 0;

	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		char *p = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, (i & 1) ? MAP_SHARED : MAP_PRIVATE,
			       fd, 0);

		if (p == MAP_FAILED) {
			bad++;
			continue;
		}
		for (int j = 0; j < 8; j++) {
			bad += p[j * PG] != 's';
			p[j * PG + 100] = (char)i; /* never read by anyone */
		}
		if (i % 7 == 0)
			bad += mprotect(p + PG, PG, PROT_READ) != 0;
		if (i % 5 == 0 && i % 7) {
			char *q = mremap(p, 16 * PG, 32 * PG, MREMAP_MAYMOVE);

			bad += q == MAP_FAILED || q[15 * PG] != 's';
			munmap(q == MAP_FAILED ? p : q, q == MAP_FAILED ? 16 * PG : 32 * PG);
		} else {
			munmap(p, 16 * PG);
		}
	}
	return (void *)(intptr_t)bad;
}

int main(void)
{
	char path[64], buf[16 * PG];
	pthread_t t[THREADS];
	long bad = 0;
	int st;

	snprintf(path, sizeof(path), "/tmp/sbx_mmap_file_mt.%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	memset(buf, 's', sizeof(buf));
	ok(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf), "file written");
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 200; i++)
		bad += pwrite(fd, "s", 1, (i % 16) * PG + 3) != 1;
	if (fork() == 0) {
		char *p = mmap(NULL, 8 * PG, PROT_READ, MAP_SHARED, fd, 0);
		long s = 0;

		for (int j = 0; p != MAP_FAILED && j < 8; j++)
			s += p[j * PG] == 's';
		_exit(s == 8 ? 0 : 1);
	}
	for (int i = 0; i < THREADS; i++) {
		void *r;

		pthread_join(t[i], &r);
		bad += (intptr_t)r;
	}
	wait(&st);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child mapped the file");
	is_int(bad, 0, "threads saw the file and every call worked");
	unlink(path);
	close(fd);
	return done_testing();
}
