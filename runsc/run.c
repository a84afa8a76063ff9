// SPDX-License-Identifier: Apache-2.0
/* `sandbox run` / `runsc boot`: flags, finding the program, booting, the exit status. */
#include "runsc/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "runsc/cmd_gofer.h"
#include "runsc/console.h"
#include "sentry/boot/boot.h"

#define EXIT_SANDBOX_ERROR 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

/* Whether `run` serves the host's root through a gofer unless told otherwise. */
#define HOST_ROOT_DEFAULT false

extern char **environ;

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--platform=NAME] [--strace] [--debug-log=FILE] [--host-root|--tmpfs-root]\n"
		"       PROGRAM [ARGS...]\n"
		"  --host-root   the host's / read-only through a gofer (tmpfs on /tmp, /dev/shm)\n"
		"  --tmpfs-root  an empty tmpfs root with /tmp (the program is read from the host)\n"
		"  -t, --tty     a terminal: the program runs on a pseudo-terminal in the sandbox\n"
		"platforms:",
		prog);
	for (const char *const *n = platform_names(); *n; n++)
		fprintf(f, " %s", *n);
	fprintf(f, " (default %s)\n", BOOT_DEFAULT_PLATFORM);
}

/* PROGRAM without a slash is looked up in $PATH, as a shell would. */
static int open_program(const char *name, char *path, size_t len)
{
	const char *p = getenv("PATH");
	int last = ENOENT;

	if (strchr(name, '/')) {
		snprintf(path, len, "%s", name);
		return open(path, O_RDONLY | O_CLOEXEC);
	}
	if (!p || !*p)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		size_t n = strcspn(p, ":");
		snprintf(path, len, "%.*s/%s", (int)n, n ? p : ".", name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			struct stat st;
			if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
				return fd;
			close(fd);
			last = EACCES;
		} else if (errno != ENOENT && errno != ENOTDIR) {
			last = errno;
		}
		p += n + (p[n] == ':');
	}
	errno = last;
	return -1;
}

static int check_executable(int fd, const char *prog, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: %s: not a regular file\n", prog, path);
		return EXIT_CANNOT_EXEC;
	}
	if (!(st.st_mode & 0111)) {
		fprintf(stderr, "%s: %s: permission denied (not executable)\n", prog, path);
		return EXIT_CANNOT_EXEC;
	}
	return 0;
}

int cli_run(const char *prog, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, 'p' },
		{ "strace", no_argument, NULL, 's' },
		{ "debug-log", required_argument, NULL, 'l' },
		{ "host-root", no_argument, NULL, 'H' },
		{ "tmpfs-root", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "tty", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct boot_config c = { .envp = environ, .gofer_fd = -1 };
	char path[4096], cwd[4096], err[512] = "";
	bool host_root = HOST_ROOT_DEFAULT;
	pid_t gofer = -1;
	int opt, status = 0, r;

	optind = 1;
	/* '+': stop at the program name so its own flags reach it. */
	while ((opt = getopt_long(argc, argv, "+ht", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			c.platform = optarg;
			break;
		case 's':
			c.strace = true;
			break;
		case 'l':
			if (log_open(optarg) < 0) {
				fprintf(stderr, "%s: cannot open debug log %s: %s\n", prog, optarg,
					strerror(errno));
				return EXIT_SANDBOX_ERROR;
			}
			break;
		case 'H':
			host_root = true;
			break;
		case 'T':
			host_root = false;
			break;
		case 'h':
			usage(stdout, prog);
			return 0;
		case 't':
			c.tty = true;
			break;
		default:
			usage(stderr, prog);
			return EXIT_SANDBOX_ERROR;
		}
	}
	if (optind >= argc) {
		usage(stderr, prog);
		return EXIT_SANDBOX_ERROR;
	}
	c.exe_name = argv[optind];
	c.argv = &argv[optind];
	c.exe_fd = open_program(c.exe_name, path, sizeof(path));
	if (c.exe_fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, c.exe_name, strerror(errno));
		return errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
	}
	r = check_executable(c.exe_fd, prog, path);
	if (r)
		return r;
	if (host_root) {
		r = gofer_spawn("/", true, &c.gofer_fd, &gofer);
		if (r < 0) {
			fprintf(stderr, "%s: cannot start the gofer: %s\n", prog, strerror(-r));
			close(c.exe_fd);
			return EXIT_SANDBOX_ERROR;
		}
		c.exe_path = path;
		c.cwd = getcwd(cwd, sizeof(cwd));
	}
	if (c.tty)
		console_raw_enter();
	r = boot_run(&c, &status, err, sizeof(err));
	if (c.tty)
		console_raw_leave();
	close(c.exe_fd);
	if (gofer > 0) {
		/* boot_run closed our end; a read-only gofer has nothing left to finish. */
		kill(gofer, SIGKILL);
		waitpid(gofer, NULL, 0);
	}
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, c.exe_name, err);
		return r == -ENOEXEC ? EXIT_CANNOT_EXEC : EXIT_SANDBOX_ERROR;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
