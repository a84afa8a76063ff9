/* SPDX-License-Identifier: Apache-2.0 */
/* `runsc gofer`: the file server process (DESIGN.md §1, §8), and how the front ends start it. */
#ifndef SBX_RUNSC_CMD_GOFER_H
#define SBX_RUNSC_CMD_GOFER_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * cmd_gofer - parse "--root=DIR --fd=N [--readonly]" (argv[0] is the command name), open DIR
 * O_PATH and serve it on connected socket N with confinement on (gofer_serve). Returns the
 * exit status: 0 once the connection closed, 125 for a usage or setup error.
 */
int cmd_gofer(int argc, char **argv);

/*
 * gofer_spawn - start a gofer serving @root (read-only if @readonly) on one end of a new
 * socketpair: exec of the `runsc` binary next to /proc/self/exe (`runsc gofer ...`), or, if
 * there is none, a forked child of this (pre-boot) process that calls gofer_serve. The child
 * keeps only the socket and stdio. On success *sock is the Sentry's end (close-on-exec) and
 * *pid the child. Returns 0 or -errno.
 */
int gofer_spawn(const char *root, bool readonly, int *sock, pid_t *pid);

#endif
