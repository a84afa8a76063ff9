/* SPDX-License-Identifier: Apache-2.0 */
/* RLIMIT_NPROC stops a fork bomb of an unprivileged user with EAGAIN. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "tap.h"

int main(void)
{
	if (getuid() != 0) {
		diag("not root: cannot switch to a fresh uid");
		return done_testing();
	}
	int p[2], st;
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		struct rlimit rl = { 10, 10 };
		int made = 0;
		setrlimit(RLIMIT_NPROC, &rl);
		if (setresuid(54321, 54321, 54321) != 0)
			_exit(200);
		close(p[1]);
		for (int i = 0; i < 50; i++) {
			pid_t k = fork();
			if (k == 0) {
				char b;
				read(p[0], &b, 1); /* until the parent's pipe closes */
				_exit(0);
			}
			if (k < 0) {
				if (errno != EAGAIN)
					_exit(201);
				break;
			}
			made++;
		}
		_exit(made);
	}
	close(p[0]);
	waitpid(c, &st, 0);
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 9, "9 children, then EAGAIN (10 tasks of the user)");
	close(p[1]);
	return done_testing();
}
