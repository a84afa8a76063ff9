/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mmap_file.c: file-backed mappings (page cache). Private mappings see the file and keep
 * their writes; shared mappings and read/write see each other, across fork too; SIGBUS
 * past end of file; mprotect/mremap of file mappings; msync; access checks; POSIX
 * semaphores and shm_open across fork; memfd_create.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tap.h"

#define PG 4096UL

static char path[64];

static int make_file(size_t len, char fill)
{
	char buf[PG];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	memset(buf, fill, sizeof(buf));
	for (size_t done = 0; fd >= 0 && done < len; done += PG)
		if (write(fd, buf, len - done < PG ? len - done : PG) < 0)
			return -1;
	return fd;
}

static sigjmp_buf jb;
static volatile int got_sig;

static void on_sig(int sig)
{
	got_sig = sig;
	siglongjmp(jb, 1);
}

/* Read a byte at @p; returns the signal it raised (0 when none). */
static int touch(volatile char *p, char *out)
{
	got_sig = 0;
	if (sigsetjmp(jb, 1) == 0)
		*out = *p;
	return got_sig;
}

static void test_private(void)
{
	int fd = make_file(3 * PG, 'a');
	char *p, buf[4];

	p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ok(p != MAP_FAILED, "private file mapping");
	ok(p[0] == 'a' && p[3 * PG - 1] == 'a', "private mapping shows the file");
	/* Before the first write to the mapping: the sandbox copies a window of pages on a
	 * private write fault (POSIX leaves later file changes unspecified there). */
	ok(pwrite(fd, "b", 1, PG) == 1 && p[PG] == 'b',
	   "unwritten private mapping sees a later write(2)");
	ok(pwrite(fd, "z", 1, 2 * PG + 7) == 1, "write behind the third page");
	p[0] = 'X';
	ok(pread(fd, buf, 1, 0) == 1 && buf[0] == 'a', "private write does not reach the file");
	ok(p[0] == 'X', "private write is visible in the mapping");
	ok(madvise(p, PG, MADV_DONTNEED) == 0 && p[0] == 'a',
	   "MADV_DONTNEED drops the private copy: the file again");
	/* Offsets. */
	char *q = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, PG);
	ok(q != MAP_FAILED && q[0] == 'b', "mapping at a file offset");
	munmap(q, PG);
	is_errno(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED ? -1 : 0, EINVAL,
		 "unaligned offset");
	/* mprotect and mremap keep file and offset. */
	ok(mprotect(p + PG, PG, PROT_READ) == 0 && p[PG] == 'b' && p[2 * PG] == 'a',
	   "mprotect splits a file mapping");
	/* (MAP_FIXED is refused on some CI hosts: grow, in place or moved) */
	q = mremap(p + 2 * PG, PG, 64 * PG, MREMAP_MAYMOVE);
	ok(q != MAP_FAILED && q[7] == 'z' && q[0] == 'a', "mremap keeps the file offset");
	munmap(q, 64 * PG);
	munmap(p, 2 * PG);
	close(fd);
	unlink(path);
}

static void test_shared(void)
{
	int fd = make_file(2 * PG, 'c');
	char *p, buf[4];
	int st;

	p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok(p != MAP_FAILED, "shared file mapping");
	p[10] = 'S';
	ok(pread(fd, buf, 1, 10) == 1 && buf[0] == 'S', "shared write reaches read(2)");
	ok(pwrite(fd, "W", 1, PG + 5) == 1 && p[PG + 5] == 'W', "write(2) reaches the mapping");
	ok(msync(p, 2 * PG, MS_SYNC) == 0, "msync MS_SYNC");
	ok(msync(p, 2 * PG, MS_ASYNC) == 0, "msync MS_ASYNC");
	is_errno(msync(p, 2 * PG, MS_SYNC | MS_ASYNC), EINVAL, "msync SYNC|ASYNC");
	is_errno(msync(p + 1, PG, MS_SYNC), EINVAL, "msync unaligned");
	if (fork() == 0) {
		p[20] = 'C';
		_exit(p[10] == 'S' ? 0 : 1);
	}
	wait(&st);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child sees the shared mapping");
	ok(p[20] == 'C', "parent sees the child's write");
	ok(pread(fd, buf, 1, 20) == 1 && buf[0] == 'C', "child's write reaches the file");
	/* MAP_POPULATE brings the file's pages in; mincore sees them, not past EOF. */
	unsigned char vec[3] = { 9, 9, 9 };
	char *r = mmap(NULL, 3 * PG, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	ok(r != MAP_FAILED && mincore(r, 3 * PG, vec) == 0, "MAP_POPULATE, mincore");
	ok(vec[0] == 1 && vec[1] == 1 && vec[2] == 0, "resident: the file's two pages");
	is_errno(mincore(r + 1, PG, vec), EINVAL, "mincore unaligned");
	munmap(r, 3 * PG);
	is_errno(mincore(r, PG, vec), ENOMEM, "mincore unmapped");
	/* Another mapping of the same file sees it too. */
	char *q = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
	ok(q != MAP_FAILED && q[20] == 'C' && q[10] == 'S', "second shared mapping agrees");
	munmap(q, PG);
	munmap(p, 2 * PG);
	close(fd);
	unlink(path);
}

static void test_sigbus(void)
{
	int fd = make_file(2 * PG, 'd');
	struct sigaction sa = { .sa_handler = on_sig };
	char c = 0, *p;

	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	p = mmap(NULL, 4 * PG, PROT_READ, MAP_SHARED, fd, 0);
	ok(p != MAP_FAILED, "mapping longer than the file");
	is_int(touch(p + PG + 100, &c), 0, "inside the file: no signal");
	is_int(c, 'd', "reads the file");
	is_int(touch(p + 2 * PG, &c), SIGBUS, "past end of file: SIGBUS");
	char *q = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	is_int(touch(q + PG, &c), 0, "second page mapped");
	q[PG] = 'q'; /* a private copy */
	ok(ftruncate(fd, PG) == 0, "truncate to one page");
	is_int(touch(p + PG, &c), SIGBUS, "after truncate: SIGBUS where a page was mapped");
	is_int(touch(q + PG, &c), SIGBUS, "after truncate: SIGBUS past the new end");
	is_int(touch(q, &c), 0, "after truncate: first page readable");
	ok(ftruncate(fd, 3 * PG) == 0, "grow again");
	is_int(touch(q + PG, &c), 0, "grown: the page is a hole");
	is_int(c, 0, "hole reads zero");
	munmap(p, 4 * PG);
	munmap(q, 2 * PG);
	signal(SIGBUS, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
	close(fd);
	unlink(path);
}

static void test_access(void)
{
	int fd = make_file(PG, 'e'), ro, wo;

	ro = open(path, O_RDONLY);
	wo = open(path, O_WRONLY);
	is_errno(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED ? -1 : 0,
		 EACCES, "shared writable mapping of O_RDONLY");
	char *p = mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
	ok(p != MAP_FAILED, "shared read-only mapping of O_RDONLY");
	is_errno(mprotect(p, PG, PROT_READ | PROT_WRITE), EACCES, "... cannot become writable");
	munmap(p, PG);
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	ok(p != MAP_FAILED, "private writable mapping of O_RDONLY");
	munmap(p, PG);
	is_errno(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, wo, 0) == MAP_FAILED ? -1 : 0, EACCES,
		 "mapping of O_WRONLY");
	is_errno(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 999, 0) == MAP_FAILED ? -1 : 0, EBADF,
		 "bad fd");
	int dfd = open("/tmp", O_RDONLY | O_DIRECTORY);
	is_errno(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, dfd, 0) == MAP_FAILED ? -1 : 0, ENODEV,
		 "directory");
	int pfd[2];
	ok(pipe(pfd) == 0, "pipe");
	is_errno(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, pfd[0], 0) == MAP_FAILED ? -1 : 0, ENODEV,
		 "pipe");
	close(pfd[0]);
	close(pfd[1]);
	close(dfd);
	close(ro);
	close(wo);
	close(fd);
	unlink(path);
}

static void test_sem(void)
{
	sem_t *s;
	int st;

	mkdir("/dev", 0755); /* sandboxed without a host root there is no /dev/shm yet */
	mkdir("/dev/shm", 01777);
	sem_unlink("/sbx_mmap_file_sem");
	s = sem_open("/sbx_mmap_file_sem", O_CREAT | O_EXCL, 0600, 0);
	ok(s != SEM_FAILED, "sem_open");
	if (s == SEM_FAILED)
		return;
	is_errno(sem_trywait(s), EAGAIN, "sem_trywait on 0");
	/* (the child posts before the parent waits: no futex wait across processes) */
	if (fork() == 0) {
		sem_post(s);
		_exit(0);
	}
	wait(&st);
	ok(sem_wait(s) == 0, "sem_wait gets the child's post");
	/* Contended: the parent sleeps in the futex until the child posts. */
	if (fork() == 0) {
		usleep(50000);
		sem_post(s);
		_exit(0);
	}
	ok(sem_wait(s) == 0, "sem_wait woken by the child's post");
	wait(&st);
	int v = -1;
	ok(sem_getvalue(s, &v) == 0 && v == 0, "value back to 0");
	sem_close(s);
	ok(sem_unlink("/sbx_mmap_file_sem") == 0, "sem_unlink");
}

static void test_shm(void)
{
	int fd, st;
	volatile int *p;

	shm_unlink("/sbx_mmap_file_shm");
	fd = shm_open("/sbx_mmap_file_shm", O_RDWR | O_CREAT | O_EXCL, 0600);
	ok(fd >= 0, "shm_open");
	ok(ftruncate(fd, PG) == 0, "ftruncate");
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok(p != MAP_FAILED, "mmap shm");
	if (p == MAP_FAILED)
		return;
	if (fork() == 0) {
		p[1] = 42;
		_exit(0);
	}
	wait(&st);
	is_int(p[1], 42, "child's store seen through shm");
	shm_unlink("/sbx_mmap_file_shm");
	close(fd);
}

static void test_memfd(void)
{
	int fd = (int)syscall(SYS_memfd_create, "sbx", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	char buf[8] = { 0 };
	char *p;

	ok(fd >= 0, "memfd_create");
	ok(fcntl(fd, F_GETFD) == FD_CLOEXEC, "MFD_CLOEXEC");
	ok(write(fd, "hello", 5) == 5, "write to memfd");
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ok(p != MAP_FAILED && memcmp(p, "hello", 5) == 0, "memfd mapping");
	if (p != MAP_FAILED) {
		p[0] = 'j';
		ok(pread(fd, buf, 5, 0) == 5 && memcmp(buf, "jello", 5) == 0, "memfd shared");
		munmap(p, PG);
	}
	is_int(fcntl(fd, F_GET_SEALS), 0, "no seals");
	ok(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) == 0, "F_ADD_SEALS");
	is_int(fcntl(fd, F_GET_SEALS), F_SEAL_GROW, "F_GET_SEALS");
	is_errno(write(fd, "0123456789", 10) < 0 ? -1 : 0, EPERM, "sealed against growth");
	is_errno((int)syscall(SYS_memfd_create, "x", 0x1000), EINVAL, "unknown flags");
	close(fd);
	fd = (int)syscall(SYS_memfd_create, "ws", MFD_ALLOW_SEALING);
	ok(ftruncate(fd, PG) == 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0, "F_SEAL_WRITE");
	is_errno(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0,
		 EPERM, "sealed: no shared writable mapping");
	p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
	ok(p != MAP_FAILED, "sealed: shared read-only mapping");
	is_errno(mprotect(p, PG, PROT_READ | PROT_WRITE), EACCES, "... cannot become writable");
	munmap(p, PG);
	p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ok(p != MAP_FAILED, "sealed: private writable mapping");
	munmap(p, PG);
	close(fd);
	fd = (int)syscall(SYS_memfd_create, "nos", 0);
	is_int(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL, "without ALLOW_SEALING: sealed");
	close(fd);
}

int main(void)
{
	snprintf(path, sizeof(path), "/tmp/sbx_mmap_file.%d", (int)getpid());
	test_private();
	test_shared();
	test_sigbus();
	test_access();
	test_sem();
	test_shm();
	test_memfd();
	return done_testing();
}
