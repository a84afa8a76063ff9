// SPDX-License-Identifier: Apache-2.0
/* `runsc gofer --root=DIR --fd=N [--readonly]` and starting one from a front end. */
#include "runsc/cmd_gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gofer/gofer.h"

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

static int serve(const char *root, int fd, bool readonly, bool confine, const char *prog)
{
	struct gofer_config cfg = { .conn_fds = &fd, .nconns = 1, .readonly = readonly,
				    .confine = confine };
	int r;

	/* Every fid holds an fd: allow as many as the hard limit does. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	cfg.root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cfg.root_fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, root, strerror(errno));
		close(fd);
		return 125;
	}
	r = gofer_serve(&cfg);
	close(cfg.root_fd);
	if (r < 0) {
		fprintf(stderr, "%s: cannot serve %s: %s\n", prog, root, strerror(-r));
		return 125;
	}
	return 0;
}

int cmd_gofer(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "fd", required_argument, NULL, 'f' },
		{ "readonly", no_argument, NULL, 'o' },
		{ "unsafe-nosandbox", no_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = NULL;
	bool readonly = false, confine = true;
	int opt, fd = -1, type;
	socklen_t tl = sizeof(type);
	char *end;
	long v;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			root = optarg;
			break;
		case 'f':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 0 || v > INT_MAX) {
				fprintf(stderr, "runsc gofer: bad --fd '%s'\n", optarg);
				return 125;
			}
			fd = (int)v;
			break;
		case 'o':
			readonly = true;
			break;
		case 'U':
			/* Debugging only: serve without the mount namespace, capability and
			 * seccomp confinement (which otherwise must succeed or nothing is served). */
			confine = false;
			break;
		case 'h':
			printf("usage: runsc gofer --root=DIR --fd=N [--readonly] [--unsafe-nosandbox]\n");
			return 0;
		default:
			fprintf(stderr, "usage: runsc gofer --root=DIR --fd=N [--readonly] [--unsafe-nosandbox]\n");
			return 125;
		}
	}
	if (!root || fd < 0 || optind != argc) {
		fprintf(stderr, "usage: runsc gofer --root=DIR --fd=N [--readonly] [--unsafe-nosandbox]\n");
		return 125;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_STREAM) {
		fprintf(stderr, "runsc gofer: fd %d is not a stream socket\n", fd);
		return 125;
	}
	return serve(root, fd, readonly, confine, "runsc gofer");
}

/* The child: keep the socket (as fd 3) and stdio, then become the gofer. Never returns. */
static void child(const char *runsc, const char *root, bool readonly, int sock)
{
	char fdarg[32], rootarg[PATH_MAX + 16];

	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* the Sentry's end closing also ends it */
	/*
	 * Out of the caller's process group: a Ctrl-C (or `timeout`) signals the whole group,
	 * and such signals are the guest's to get (the Sentry forwards them), not the gofer's.
	 */
	setsid();
	if (sock != 3) {
		if (dup2(sock, 3) < 0)
			_exit(125);
		sock = 3;
	}
	if (syscall(436 /* close_range */, 4U, ~0U, 0U) < 0) {
		for (int fd = 4; fd < 1024; fd++)
			close(fd);
	}
	if (runsc) {
		snprintf(fdarg, sizeof(fdarg), "--fd=%d", sock);
		snprintf(rootarg, sizeof(rootarg), "--root=%s", root);
		char *argv[] = { "runsc", "gofer", rootarg, fdarg, readonly ? "--readonly" : NULL,
				 NULL };
		execv(runsc, argv);
		/* fall through: serve from this image */
	}
	_exit(serve(root, sock, readonly, true, "gofer"));
}

int gofer_spawn(const char *root, bool readonly, int *sock, pid_t *pid)
{
	char self[PATH_MAX], runsc[PATH_MAX + 8];
	const char *exe = NULL;
	int sv[2];
	ssize_t n;
	pid_t p;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			snprintf(runsc, sizeof(runsc), "%s/runsc", self);
			if (access(runsc, X_OK) == 0)
				exe = runsc;
		}
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	p = fork();
	if (p < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	if (p == 0) {
		close(sv[0]);
		/* dup2 clears FD_CLOEXEC on the copy; if already 3, clear it here. */
		if (sv[1] == 3)
			fcntl(3, F_SETFD, 0);
		child(exe, root, readonly, sv[1]);
	}
	close(sv[1]);
	*sock = sv[0];
	*pid = p;
	return 0;
}
