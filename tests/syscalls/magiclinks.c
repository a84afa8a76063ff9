// SPDX-License-Identifier: Apache-2.0
/*
 * Magic links: /proc/self/fd/N, /proc/self/cwd and /proc/self/root are followed to the
 * object itself (Linux's nd_jump_link), not through a path string: a pipe reopened through
 * its fd link, an unlinked file read again, /dev/stdin-style opens, cwd-relative walks.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

static void fdlink(char *buf, size_t n, int fd, const char *rest)
{
	snprintf(buf, n, "/proc/self/fd/%d%s", fd, rest);
}

int main(void)
{
	char path[128], buf[16], dir[] = "/tmp/magic.XXXXXX";
	int p[2], sv[2], fd, fd2;
	struct stat st, st2;

	/* A pipe's read end, opened again through its link, reads what the write end wrote. */
	ok(pipe(p) == 0, "pipe");
	fdlink(path, sizeof(path), p[0], "");
	fd = open(path, O_RDONLY);
	ok(fd >= 0, "open of a pipe's fd link for reading");
	is_int(write(p[1], "abc", 3), 3, "write to the pipe");
	is_int(read(fd, buf, sizeof(buf)), 3, "the reopened end reads the data");
	ok(fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode), "the reopened end is a FIFO");
	ok(stat(path, &st2) == 0 && S_ISFIFO(st2.st_mode) && st2.st_ino == st.st_ino,
	   "stat through the link is the pipe");
	is_int(access(path, R_OK), 0, "access R_OK through the link");
	fdlink(path, sizeof(path), p[1], "");
	fd2 = open(path, O_WRONLY);
	ok(fd2 >= 0, "open of the write end's link for writing");
	is_int(write(fd2, "de", 2), 2, "write through the new write end");
	is_int(read(p[0], buf, sizeof(buf)), 2, "the original read end reads it");
	close(fd2);
	close(p[1]);
	/* No writer left: a new reader does not wait, it reads EOF. */
	fdlink(path, sizeof(path), p[0], "");
	fd2 = open(path, O_RDONLY);
	ok(fd2 >= 0, "open of a writerless pipe's link does not block");
	is_int(read(fd2, buf, sizeof(buf)), 0, "and reads EOF");
	close(fd2);
	fdlink(path, sizeof(path), p[0], "/x");
	is_errno(open(path, O_RDONLY), ENOTDIR, "a pipe's link has nothing below it");
	close(fd);
	close(p[0]);

	/* A socket cannot be opened through its link. */
	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	fdlink(path, sizeof(path), sv[0], "");
	is_errno(open(path, O_RDWR), ENXIO, "open of a socket's fd link");
	ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "stat through a socket's link");
	close(sv[0]);
	close(sv[1]);

	/* An unlinked file is still reachable through its fd link. */
	ok(mkdtemp(dir) != NULL, "mkdtemp");
	ok(chdir(dir) == 0, "chdir");
	fd = open("gone", O_RDWR | O_CREAT | O_EXCL, 0600);
	ok(fd >= 0, "create a file");
	is_int(write(fd, "still here", 10), 10, "write it");
	is_int(unlink("gone"), 0, "unlink it");
	fdlink(path, sizeof(path), fd, "");
	fd2 = open(path, O_RDONLY);
	ok(fd2 >= 0, "open of the unlinked file's link");
	memset(buf, 0, sizeof(buf));
	is_int(read(fd2, buf, sizeof(buf)), 10, "reads its data");
	ok(strcmp(buf, "still here") == 0, "the same data");
	ok(fstat(fd2, &st) == 0 && st.st_nlink == 0, "it has no links");
	close(fd2);
	close(fd);

	/* /proc/self/cwd and root are the directories themselves. */
	fd = open("here", O_WRONLY | O_CREAT, 0644);
	ok(fd >= 0, "a file in the cwd");
	close(fd);
	ok(stat("/proc/self/cwd/here", &st) == 0 && stat("here", &st2) == 0 &&
	   st.st_ino == st2.st_ino, "/proc/self/cwd/here is ./here");
	ok(stat("/proc/self/root", &st) == 0 && stat("/", &st2) == 0 && st.st_ino == st2.st_ino &&
	   st.st_dev == st2.st_dev, "/proc/self/root is /");
	fd = open("/proc/self/cwd", O_RDONLY | O_DIRECTORY);
	ok(fd >= 0, "open /proc/self/cwd as a directory");
	ok(fstat(fd, &st) == 0 && stat(".", &st2) == 0 && st.st_ino == st2.st_ino,
	   "it is the cwd");
	close(fd);
	/* A directory's fd link continues the walk below the directory. */
	fd = open(".", O_RDONLY | O_DIRECTORY);
	fdlink(path, sizeof(path), fd, "/here");
	ok(access(path, F_OK) == 0, "a walk continues below a directory's fd link");
	close(fd);
	unlink("here");
	ok(chdir("/") == 0 && rmdir(dir) == 0, "clean up");
	return done_testing();
}
