/* SPDX-License-Identifier: Apache-2.0 */
/* File locks between processes: POSIX record locks, OFD locks, flock. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"

static const char *path = "/tmp/locks-test";

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, cmd, &fl);
}

static void msleep(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

/* Run @fn in a child and return its exit code. */
static int in_child(int (*fn)(void))
{
	int st;
	pid_t c = fork();
	if (c == 0)
		_exit(fn());
	waitpid(c, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

static pid_t parent;

static int child_sees_conflict(void)
{
	int fd = open(path, O_RDWR);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };
	if (fcntl(fd, F_GETLK, &fl) != 0)
		return 1;
	if (fl.l_type != F_WRLCK || fl.l_start != 0 || fl.l_len != 10 || fl.l_pid != parent)
		return 2;
	if (setlk(fd, F_SETLK, F_RDLCK, 0, 1) != -1 || (errno != EAGAIN && errno != EACCES))
		return 3;
	if (setlk(fd, F_SETLK, F_WRLCK, 10, 5) != 0)
		return 4; /* past the parent's range */
	return 0;
}

static int child_can_lock(void)
{
	int fd = open(path, O_RDWR);
	return setlk(fd, F_SETLK, F_WRLCK, 0, 10) == 0 ? 0 : 1;
}

static int child_split(void)
{
	int fd = open(path, O_RDWR);
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 45, .l_len = 1 };
	fcntl(fd, F_GETLK, &fl);
	if (fl.l_type != F_UNLCK)
		return 1;
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 70, .l_len = 1 };
	fcntl(fd, F_GETLK, &fl);
	if (fl.l_type != F_WRLCK || fl.l_start != 60 || fl.l_len != 40)
		return 2;
	return 0;
}

static int child_flock(void)
{
	int fd = open(path, O_RDWR);
	if (flock(fd, LOCK_EX | LOCK_NB) != -1 || errno != EWOULDBLOCK)
		return 1;
	if (flock(fd, LOCK_SH | LOCK_NB) != -1 || errno != EWOULDBLOCK)
		return 2;
	return 0;
}

int main(void)
{
	int fd, fd2, st;

	parent = getpid();
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	write(fd, "0123456789abcdef", 16);

	is_int(setlk(fd, F_SETLK, F_WRLCK, 0, 10), 0, "write lock 0..9");
	is_int(in_child(child_sees_conflict), 0, "another process sees it (F_GETLK, EAGAIN)");
	is_int(setlk(fd, F_SETLK, F_RDLCK, 0, 10), 0, "own lock converted, no conflict with itself");
	is_int(setlk(fd, F_SETLK, F_UNLCK, 0, 0), 0, "unlock all");
	is_int(in_child(child_can_lock), 0, "then the other process can lock");

	/* Closing any fd of the file drops the process's POSIX locks. */
	setlk(fd, F_SETLK, F_WRLCK, 0, 10);
	fd2 = open(path, O_RDONLY);
	close(fd2);
	is_int(in_child(child_can_lock), 0, "close of another fd dropped the lock");

	/* Splitting: lock 0..99, unlock 40..59. */
	setlk(fd, F_SETLK, F_WRLCK, 0, 100);
	setlk(fd, F_SETLK, F_UNLCK, 40, 20);
	is_int(in_child(child_split), 0, "unlock in the middle splits the lock");
	setlk(fd, F_SETLK, F_UNLCK, 0, 0);

	/* F_SETLKW waits for the holder. */
	setlk(fd, F_SETLK, F_WRLCK, 0, 1);
	int p[2];
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		int cfd = open(path, O_RDWR);
		write(p[1], "w", 1);
		int r = setlk(cfd, F_SETLKW, F_WRLCK, 0, 1);
		_exit(r == 0 ? 0 : 1);
	}
	char b;
	read(p[0], &b, 1);
	msleep(50);
	is_int(waitpid(c, &st, WNOHANG), 0, "the F_SETLKW child is blocked");
	setlk(fd, F_SETLK, F_UNLCK, 0, 1);
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "and gets the lock once we unlock");

	/* Deadlock: we hold 0, the child holds 1 and waits for 0; we ask for 1. */
	setlk(fd, F_SETLK, F_WRLCK, 0, 1);
	c = fork();
	if (c == 0) {
		int cfd = open(path, O_RDWR);
		setlk(cfd, F_SETLK, F_WRLCK, 1, 1);
		write(p[1], "w", 1);
		setlk(cfd, F_SETLKW, F_WRLCK, 0, 1);
		_exit(0);
	}
	read(p[0], &b, 1);
	msleep(50);
	errno = 0;
	is_int(setlk(fd, F_SETLKW, F_WRLCK, 1, 1), -1, "F_SETLKW that would deadlock fails");
	is_int(errno, EDEADLK, "EDEADLK");
	setlk(fd, F_SETLK, F_UNLCK, 0, 0);
	waitpid(c, &st, 0);

	/* OFD locks conflict between two descriptions even in one process. */
	fd2 = open(path, O_RDWR);
	is_int(setlk(fd, F_OFD_SETLK, F_WRLCK, 0, 10), 0, "OFD lock on one description");
	errno = 0;
	is_int(setlk(fd2, F_OFD_SETLK, F_WRLCK, 5, 1), -1, "another description conflicts");
	is_int(errno, EAGAIN, "EAGAIN");
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };
	fcntl(fd2, F_OFD_GETLK, &fl);
	is_int(fl.l_pid, -1, "F_OFD_GETLK reports l_pid -1");
	errno = 0;
	is_int(setlk(fd2, F_SETLK, F_WRLCK, 5, 1), -1, "a POSIX lock conflicts with the OFD lock");
	setlk(fd, F_OFD_SETLK, F_UNLCK, 0, 0);
	close(fd2);

	/* flock: owned by the description, shared by fork, independent of fcntl locks. */
	is_int(flock(fd, LOCK_EX), 0, "flock LOCK_EX");
	is_int(in_child(child_flock), 0, "another description cannot take it");
	is_int(setlk(fd, F_SETLK, F_WRLCK, 0, 1), 0, "fcntl locks do not see flock locks");
	c = fork();
	if (c == 0)
		_exit(flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the inherited description holds it already");
	is_int(flock(fd, LOCK_UN), 0, "LOCK_UN");
	is_errno(flock(fd, LOCK_SH | LOCK_EX), EINVAL, "bad operation");
	close(fd);
	unlink(path);
	return done_testing();
}
