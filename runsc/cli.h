/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the runsc and sandbox front ends: running a program in a fresh sandbox. */
#ifndef SBX_RUNSC_CLI_H
#define SBX_RUNSC_CLI_H

#define SANDBOX_VERSION "0.1.0"

/*
 * cli_run - parse "[--platform=NAME] [--strace] [--debug-log=FILE] PROGRAM [ARGS...]" and
 * run PROGRAM in a new sandbox. Returns the process exit status to use: the guest's exit
 * code, 128+N if it was killed by signal N, 125 for a usage or sandbox error, 126 when the
 * program cannot be executed, 127 when it does not exist.
 */
int cli_run(const char *prog, int argc, char **argv);

#endif
