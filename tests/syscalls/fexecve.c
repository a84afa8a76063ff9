/* SPDX-License-Identifier: Apache-2.0 */
/* fexecve / execveat(AT_EMPTY_PATH): run the program an fd refers to (/bin/true, /bin/false). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "tap.h"

static int run_fd(int fd, int flags_path)
{
	int st;
	pid_t c = fork();
	if (c == 0) {
		char *av[] = { "prog", NULL };
		if (flags_path)
			syscall(SYS_execveat, fd, "", av, (char *[]){ NULL }, AT_EMPTY_PATH);
		else
			fexecve(fd, av, (char *[]){ NULL });
		_exit(99);
	}
	waitpid(c, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

int main(void)
{
	int t = open("/bin/true", O_RDONLY | O_CLOEXEC);
	int f = open("/bin/false", O_PATH | O_CLOEXEC);
	ok(t >= 0 && f >= 0, "open /bin/true and an O_PATH /bin/false");
	is_int(run_fd(t, 0), 0, "fexecve(/bin/true) exits 0");
	is_int(run_fd(f, 1), 1, "execveat(O_PATH /bin/false, \"\", AT_EMPTY_PATH) exits 1");
	errno = 0;
	is_int((int)syscall(SYS_execveat, t, "", (char *[]){ "x", NULL }, NULL, 0), -1,
	       "an empty path without AT_EMPTY_PATH");
	is_int(errno, ENOENT, "ENOENT");
	int d = open("/", O_RDONLY | O_DIRECTORY);
	errno = 0;
	is_int((int)syscall(SYS_execveat, d, "", (char *[]){ "x", NULL }, NULL, AT_EMPTY_PATH), -1,
	       "a directory fd");
	is_int(errno, EACCES, "EACCES");
	return done_testing();
}
