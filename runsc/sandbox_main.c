// SPDX-License-Identifier: Apache-2.0
/* bin/sandbox: the standalone front end (`sandbox run PROGRAM ARGS...`). */
#include <stdio.h>
#include <string.h>

#include "runsc/cli.h"
#include "runsc/cmd_bench.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: sandbox run [--platform=NAME] [--readonly] [--rootfs=DIR] [-v HOST:GUEST[:ro]]\n"
		   "                   [--tmpfs=GUEST] [--cwd=DIR] [-e NAME=VALUE] [--clear-env] [--strace]\n"
		   "                   [--debug-log=FILE] PROGRAM [ARGS...]   (sandbox run --help: details)\n"
		   "       sandbox bench [--platform=NAME[,NAME...]] [--quick] [--no-gvisor]\n"
		   "       sandbox --version\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 125;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("sandbox %s\n", SANDBOX_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cli_run("sandbox", argc - 1, argv + 1);
	if (!strcmp(argv[1], "bench"))
		return cmd_bench(argc - 1, argv + 1);
	fprintf(stderr, "sandbox: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 125;
}
