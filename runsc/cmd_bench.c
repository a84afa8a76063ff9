// SPDX-License-Identifier: Apache-2.0
/* `sandbox bench`: exec bench/run.sh from the tree this binary lives in (bin/ -> ../bench). */
#include "runsc/cmd_bench.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_USAGE 125
#define EXIT_CANNOT_EXEC 126

static void bench_usage(FILE *f, const char *cmd)
{
	fprintf(f,
		"usage: %s [--platform=NAME[,NAME...]]... [--quick] [--no-gvisor]\n"
		"  runs bench/run.sh: every microbenchmark natively, under each platform (default:\n"
		"  ptrace systrap) and under gVisor's runsc when installed; writes bench/out/\n",
		cmd);
}

/* Appends NAME[,NAME...] to the space-separated list in buf. */
static int add_platforms(char *buf, size_t len, const char *names)
{
	for (const char *p = names; *p;) {
		size_t n = strcspn(p, ",");
		size_t used = strlen(buf);
		if (n) {
			int w = snprintf(buf + used, len - used, "%s%.*s", used ? " " : "", (int)n, p);
			if (w < 0 || (size_t)w >= len - used)
				return -1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	const char *cmd = "sandbox bench";
	char platforms[256] = "";
	int quick = 0, no_gvisor = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "--platform=", 11)) {
			if (!a[11] || add_platforms(platforms, sizeof(platforms), a + 11)) {
				fprintf(stderr, "%s: bad --platform value '%s'\n", cmd, a + 11);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--platform") && i + 1 < argc) {
			if (add_platforms(platforms, sizeof(platforms), argv[++i])) {
				fprintf(stderr, "%s: bad --platform value '%s'\n", cmd, argv[i]);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--quick")) {
			quick = 1;
		} else if (!strcmp(a, "--no-gvisor")) {
			no_gvisor = 1;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			bench_usage(stdout, cmd);
			return 0;
		} else {
			fprintf(stderr, "%s: unknown argument '%s'\n", cmd, a);
			bench_usage(stderr, cmd);
			return EXIT_USAGE;
		}
	}

	/* /proc/self/exe = ROOT/BINDIR/sandbox; the driver is ROOT/bench/run.sh. */
	char exe[PATH_MAX], root[PATH_MAX], script[PATH_MAX + 32], build[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		fprintf(stderr, "%s: cannot resolve /proc/self/exe: %s\n", cmd, strerror(errno));
		return EXIT_USAGE;
	}
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash || slash == exe) {
		fprintf(stderr, "%s: unexpected executable path '%s'\n", cmd, exe);
		return EXIT_USAGE;
	}
	*slash = '\0'; /* exe is now BINDIR */
	const char *bindir_name = strrchr(exe, '/') + 1;
	/* ROOT is "" when BINDIR is a top-level directory: paths below still start with '/'. */
	snprintf(root, sizeof(root), "%.*s", (int)(bindir_name - 1 - exe), exe);
	snprintf(script, sizeof(script), "%s/bench/run.sh", root);
	if (access(script, X_OK)) {
		fprintf(stderr, "%s: benchmark driver not found at %s (bench needs the source tree)\n",
			cmd, script);
		return EXIT_USAGE;
	}
	/* bin -> build, bin-san -> build-san: the tree `make bench` builds the programs in. */
	const char *suffix = strncmp(bindir_name, "bin", 3) ? "" : bindir_name + 3;
	snprintf(build, sizeof(build), "%s/build%s", root, suffix);

	if (setenv("BIN", exe, 0) || setenv("BUILD", build, 0) ||
	    (platforms[0] && setenv("PLATFORMS", platforms, 1)) || (quick && setenv("QUICK", "1", 1)) ||
	    (no_gvisor && setenv("RUNSC", "", 1))) {
		fprintf(stderr, "%s: setenv: %s\n", cmd, strerror(errno));
		return EXIT_USAGE;
	}
	fflush(NULL);
	char *const args[] = { script, NULL };
	execv(script, args);
	fprintf(stderr, "%s: cannot execute %s: %s\n", cmd, script, strerror(errno));
	return EXIT_CANNOT_EXEC;
}
