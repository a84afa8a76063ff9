/* SPDX-License-Identifier: Apache-2.0 */
/* `sandbox bench`: runs the benchmark driver (bench/run.sh) of the tree this binary was built in. */
#ifndef SBX_RUNSC_CMD_BENCH_H
#define SBX_RUNSC_CMD_BENCH_H

/*
 * cmd_bench - parse "[--platform=NAME[,NAME...]]... [--quick] [--no-gvisor]" (argv[0] is the
 * command name) and exec bench/run.sh, found as ../bench/run.sh next to the directory of
 * /proc/self/exe, with PLATFORMS, QUICK and RUNSC set accordingly and BIN/BUILD pointing at
 * this binary's tree (unless already set in the environment). Returns only on failure:
 * 125 for a usage error or a missing driver, 126 when it cannot be executed.
 */
int cmd_bench(int argc, char **argv);

#endif
