// SPDX-License-Identifier: Apache-2.0
/* bin/runsc: the OCI runtime's multi-call entry (crun's command table). */
#include <stdio.h>
#include <string.h>

#include "lib/compiler.h"
#include "runsc/cli.h"
#include "runsc/cmd_gofer.h"
#include "sentry/syscalls/syscalls.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

/* `runsc boot` is the Sentry process. Until bundles exist it takes a program like `do`. */
static int cmd_boot(int argc, char **argv)
{
	return cli_run("runsc boot", argc, argv);
}

static int cmd_do(int argc, char **argv)
{
	return cli_run("runsc do", argc, argv);
}

/* `runsc syscalls`: the syscall table as markdown (docs/compatibility.md is made from it). */
static int cmd_syscalls(int argc, char **argv)
{
	fflush(stdout);
	syscall_print_table(1);
	return 0;
}

static const struct command commands[] = {
	{ "boot", cmd_boot, "(internal) run the Sentry" },
	{ "do", cmd_do, "run a program in a new sandbox: do [FLAGS] PROGRAM [ARGS...]" },
	{ "gofer", cmd_gofer, "(internal) serve files: gofer --root=DIR --fd=N [--readonly]" },
	{ "syscalls", cmd_syscalls, "print the syscall compatibility table (markdown)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: runsc [--version] COMMAND [ARGS...]\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 125;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v")) {
		printf("runsc version %s (sandbox)\nspec: 1.1.0\n", SANDBOX_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "runsc: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 125;
}
