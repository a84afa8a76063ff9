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

/* How `run` builds the guest's root. */
enum root_mode {
	ROOT_OVERLAY,  /* host / (or --rootfs) read-only through the gofer, tmpfs overlay on top */
	ROOT_READONLY, /* the same without the overlay: writes get EROFS */
	ROOT_TMPFS,    /* an empty tmpfs with /tmp; the program is read from the host */
};

#define MAX_MOUNTS 64
#define MAX_ENV 4096

extern char **environ;

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [FLAGS] PROGRAM [ARGS...]\n"
		"  --platform=NAME       ptrace or systrap (see below)\n"
		"  --strace              print every guest syscall on stderr\n"
		"  --debug-log=FILE      the Sentry's log\n"
		"  (default)             the host's / read-only through a gofer with a tmpfs overlay on\n"
		"                        top: the guest may change anything, the host sees nothing\n"
		"  --readonly, --no-overlay  the host's / without the overlay: writes get EROFS\n"
		"  --rootfs=DIR          DIR as the root instead of the host's / (overlay on top)\n"
		"  --tmpfs-root          an empty tmpfs root with /tmp (the program is read from the host)\n"
		"  --host-root           the default; accepted for old scripts\n"
		"  -v, --volume=HOST:GUEST[:ro]  bind the host directory HOST at GUEST (writes reach HOST\n"
		"                        unless :ro)\n"
		"  --tmpfs=GUEST         an extra tmpfs at GUEST\n"
		"  -t, --tty             a terminal: the program runs on a pseudo-terminal in the\n"
		"                        sandbox (/dev/pts/0), relayed to the caller's terminal\n"
		"  --cwd=DIR             the guest's working directory (made if missing); default: the\n"
		"                        caller's when the guest sees it, else /\n"
		"  -e, --env=NAME=VALUE  set a variable (NAME alone: copy the caller's)\n"
		"  --clear-env           start from an empty environment\n"
		"  --dentry-cache=N      cached file names kept unused before the oldest are dropped\n"
		"                        (default 4096; each holds fds in the gofer)\n"
		"platforms:",
		prog);
	for (const char *const *n = platform_names(); *n; n++)
		fprintf(f, " %s", *n);
	fprintf(f, " (default %s)\n", BOOT_DEFAULT_PLATFORM);
}

struct run_opts {
	enum root_mode mode;
	const char *rootfs;
	struct boot_mount mounts[MAX_MOUNTS];
	const char *vol_host[MAX_MOUNTS]; /* NULL for --tmpfs */
	size_t nmounts;
	const char *env_set[MAX_ENV];
	size_t nenv;
	bool clear_env;
	char *owned[MAX_ENV + MAX_MOUNTS]; /* strings made for -e NAME and --volume paths */
	size_t nowned;
	const char *cwd;
};

/* Guest paths: absolute, no "." or ".." components (they would escape nothing, but confuse). */
static bool guest_path_ok(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *q = p; *q;) {
		while (*q == '/')
			q++;
		size_t n = strcspn(q, "/");
		if ((n == 1 && q[0] == '.') || (n == 2 && q[0] == '.' && q[1] == '.'))
			return false;
		q += n;
	}
	return true;
}

/*
 * Is @name a path inside one of the guest's volumes or extra tmpfs mounts? Then only the
 * guest can find it: the boot looks it up in the guest (and reports it if missing).
 */
static bool in_volume(const struct run_opts *o, const char *name)
{
	for (size_t i = 0; i < o->nmounts; i++) {
		size_t n = strlen(o->mounts[i].guest);
		if (!strncmp(name, o->mounts[i].guest, n) && (name[n] == '/' || name[n] == 0))
			return true;
	}
	return false;
}

/* -v HOST:GUEST[:ro|:rw]: HOST must be an existing directory, GUEST absolute. */
static int parse_volume(struct run_opts *o, const char *prog, char *spec)
{
	char *guest = strchr(spec, ':'), *opt;
	struct stat st;
	bool ro = false;

	if (o->nmounts == MAX_MOUNTS) {
		fprintf(stderr, "%s: too many mounts (at most %d)\n", prog, MAX_MOUNTS);
		return -1;
	}
	if (!guest || guest == spec) {
		fprintf(stderr, "%s: --volume %s: expected HOST:GUEST[:ro]\n", prog, spec);
		return -1;
	}
	*guest++ = '\0';
	opt = strchr(guest, ':');
	if (opt) {
		*opt++ = '\0';
		if (!strcmp(opt, "ro"))
			ro = true;
		else if (strcmp(opt, "rw")) {
			fprintf(stderr, "%s: --volume %s: unknown option '%s' (ro or rw)\n", prog,
				spec, opt);
			return -1;
		}
	}
	if (!guest_path_ok(guest)) {
		fprintf(stderr, "%s: --volume %s: the guest path must be absolute\n", prog, guest);
		return -1;
	}
	if (stat(spec, &st) < 0) {
		fprintf(stderr, "%s: --volume %s: %s\n", prog, spec, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "%s: --volume %s: not a directory\n", prog, spec);
		return -1;
	}
	/* Absolute, symlinks resolved: the gofer serves exactly the directory named now. */
	o->vol_host[o->nmounts] = realpath(spec, NULL);
	if (!o->vol_host[o->nmounts]) {
		fprintf(stderr, "%s: --volume %s: %s\n", prog, spec, strerror(errno));
		return -1;
	}
	o->owned[o->nowned++] = (char *)o->vol_host[o->nmounts];
	o->mounts[o->nmounts++] = (struct boot_mount){ .guest = guest, .gofer_fd = -1,
						       .readonly = ro };
	return 0;
}

static int parse_tmpfs(struct run_opts *o, const char *prog, const char *guest)
{
	if (o->nmounts == MAX_MOUNTS) {
		fprintf(stderr, "%s: too many mounts (at most %d)\n", prog, MAX_MOUNTS);
		return -1;
	}
	if (!guest_path_ok(guest)) {
		fprintf(stderr, "%s: --tmpfs %s: the guest path must be absolute\n", prog, guest);
		return -1;
	}
	o->vol_host[o->nmounts] = NULL;
	o->mounts[o->nmounts++] = (struct boot_mount){ .guest = guest, .gofer_fd = -1 };
	return 0;
}

/* The guest's environment: the caller's (unless --clear-env) with -e applied in order. */
static char **build_env(struct run_opts *o)
{
	size_t n = 0, cap;
	char **env;

	if (!o->clear_env)
		while (environ[n])
			n++;
	cap = n + o->nenv + 1;
	env = calloc(cap, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		env[i] = environ[i];
	for (size_t i = 0; i < o->nenv; i++) {
		const char *e = o->env_set[i], *eq = strchr(e, '=');
		size_t klen = eq ? (size_t)(eq - e) : strlen(e);
		char *val = (char *)e;
		size_t j;

		if (!eq) {
			/* NAME alone: the caller's value, if any (docker run -e NAME). */
			const char *v = getenv(e);
			if (!v)
				continue;
			if (asprintf(&val, "%s=%s", e, v) < 0) {
				free(env);
				return NULL;
			}
			o->owned[o->nowned++] = val;
		}
		for (j = 0; j < n; j++)
			if (!strncmp(env[j], e, klen) && env[j][klen] == '=')
				break;
		env[j] = val;
		if (j == n)
			n++;
	}
	env[n] = NULL;
	return env;
}

/* Start one gofer per --volume; on failure the ones started are left to the caller. */
static int spawn_volumes(struct run_opts *o, const char *prog, pid_t *pids)
{
	for (size_t i = 0; i < o->nmounts; i++) {
		if (!o->vol_host[i])
			continue;
		int r = gofer_spawn(o->vol_host[i], o->mounts[i].readonly, &o->mounts[i].gofer_fd,
				    &pids[i]);
		if (r < 0) {
			fprintf(stderr, "%s: cannot start the gofer for %s: %s\n", prog,
				o->vol_host[i], strerror(-r));
			return r;
		}
	}
	return 0;
}

static void reap(pid_t pid)
{
	if (pid > 0) {
		/* boot_run closed our end; a gofer has nothing left to finish once it sees EOF. */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
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
		{ "readonly", no_argument, NULL, 'R' },
		{ "no-overlay", no_argument, NULL, 'R' },
		{ "rootfs", required_argument, NULL, 'F' },
		{ "volume", required_argument, NULL, 'v' },
		{ "tmpfs", required_argument, NULL, 'M' }, /* -t is --tty */
		{ "cwd", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "clear-env", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "tty", no_argument, NULL, 't' },
		{ "dentry-cache", required_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	static struct run_opts o; /* large; one run per process */
	struct boot_config c = { .gofer_fd = -1 };
	char path[4096], cwd[4096], err[512] = "", rootfs[4096];
	pid_t gofer = -1, vol_pids[MAX_MOUNTS];
	int opt, status = 0, r, ret = EXIT_SANDBOX_ERROR;
	struct stat st;

	memset(&o, 0, sizeof(o));
	for (size_t i = 0; i < MAX_MOUNTS; i++)
		vol_pids[i] = -1;
	optind = 1;
	/* '+': stop at the program name so its own flags reach it. */
	while ((opt = getopt_long(argc, argv, "+hv:e:t", opts, NULL)) != -1) {
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
			o.mode = ROOT_OVERLAY;
			break;
		case 'T':
			o.mode = ROOT_TMPFS;
			break;
		case 'R':
			o.mode = ROOT_READONLY;
			break;
		case 'F':
			o.rootfs = optarg;
			break;
		case 'v':
			if (parse_volume(&o, prog, optarg) < 0)
				return EXIT_SANDBOX_ERROR;
			break;
		case 'M':
			if (parse_tmpfs(&o, prog, optarg) < 0)
				return EXIT_SANDBOX_ERROR;
			break;
		case 'w':
			if (!guest_path_ok(optarg)) {
				fprintf(stderr, "%s: --cwd %s: must be an absolute path\n", prog, optarg);
				return EXIT_SANDBOX_ERROR;
			}
			o.cwd = optarg;
			break;
		case 'e':
			if (!optarg[0] || optarg[0] == '=') {
				fprintf(stderr, "%s: --env '%s': expected NAME=VALUE\n", prog, optarg);
				return EXIT_SANDBOX_ERROR;
			}
			if (o.nenv == MAX_ENV) {
				fprintf(stderr, "%s: too many --env\n", prog);
				return EXIT_SANDBOX_ERROR;
			}
			o.env_set[o.nenv++] = optarg;
			break;
		case 'C':
			o.clear_env = true;
			break;
		case 'D': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (!optarg[0] || *end || n < 16 || n > 1000000) {
				fprintf(stderr, "%s: --dentry-cache %s: expected a number from 16 to 1000000\n",
					prog, optarg);
				return EXIT_SANDBOX_ERROR;
			}
			c.dentry_cache = n;
			break;
		}
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
	if (o.mode == ROOT_TMPFS && (o.rootfs || o.nmounts || o.cwd)) {
		fprintf(stderr, "%s: --tmpfs-root cannot be combined with --rootfs, --volume, --tmpfs "
			"or --cwd\n", prog);
		return EXIT_SANDBOX_ERROR;
	}
	if (o.rootfs) {
		if (!realpath(o.rootfs, rootfs) || stat(rootfs, &st) < 0) {
			fprintf(stderr, "%s: --rootfs %s: %s\n", prog, o.rootfs, strerror(errno));
			return EXIT_SANDBOX_ERROR;
		}
		if (!S_ISDIR(st.st_mode)) {
			fprintf(stderr, "%s: --rootfs %s: not a directory\n", prog, o.rootfs);
			return EXIT_SANDBOX_ERROR;
		}
	}
	c.envp = build_env(&o);
	if (!c.envp) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return EXIT_SANDBOX_ERROR;
	}
	c.exe_name = argv[optind];
	c.argv = &argv[optind];
	c.exe_fd = -1;
	if (!o.rootfs && !in_volume(&o, c.exe_name)) {
		/* The host's files are the guest's: find the program as a shell would. */
		c.exe_fd = open_program(c.exe_name, path, sizeof(path));
		if (c.exe_fd < 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, c.exe_name, strerror(errno));
			ret = errno == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
			goto out;
		}
		r = check_executable(c.exe_fd, prog, path);
		if (r) {
			ret = r;
			goto out;
		}
		c.exe_path = path;
	}
	if (o.mode != ROOT_TMPFS) {
		const char *pe = NULL;
		for (char *const *e = c.envp; *e; e++)
			if (!strncmp(*e, "PATH=", 5))
				pe = *e + 5;
		c.path_env = pe;
		c.overlay = o.mode == ROOT_OVERLAY;
		c.mounts = o.mounts;
		c.nmounts = o.nmounts;
		r = gofer_spawn(o.rootfs ? rootfs : "/", true, &c.gofer_fd, &gofer);
		if (r < 0) {
			fprintf(stderr, "%s: cannot start the gofer: %s\n", prog, strerror(-r));
			goto out;
		}
		if (spawn_volumes(&o, prog, vol_pids) < 0) {
			close(c.gofer_fd);
			for (size_t i = 0; i < o.nmounts; i++)
				if (o.mounts[i].gofer_fd >= 0)
					close(o.mounts[i].gofer_fd);
			goto out;
		}
		if (o.cwd) {
			c.cwd = o.cwd;
			c.cwd_create = true;
		} else {
			/* The caller's directory is the host's: meaningless in another rootfs. */
			c.cwd = o.rootfs ? "/" : getcwd(cwd, sizeof(cwd));
		}
	}
	if (c.tty)
		console_raw_enter();
	r = boot_run(&c, &status, err, sizeof(err));
	if (c.tty)
		console_raw_leave();
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, c.exe_name, err);
		ret = r == -ENOEXEC || r == -EACCES ? EXIT_CANNOT_EXEC :
		      r == -ENOENT && strstr(err, "cannot open the program") ? EXIT_NOT_FOUND :
		      EXIT_SANDBOX_ERROR;
	} else if (WIFSIGNALED(status)) {
		ret = 128 + WTERMSIG(status);
	} else {
		ret = WEXITSTATUS(status);
	}
out:
	if (c.exe_fd >= 0)
		close(c.exe_fd);
	reap(gofer);
	for (size_t i = 0; i < o.nmounts; i++)
		reap(vol_pids[i]);
	free((void *)c.envp);
	for (size_t i = 0; i < o.nowned; i++)
		free(o.owned[i]);
	return ret;
}
