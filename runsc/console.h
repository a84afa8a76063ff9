/* SPDX-License-Identifier: Apache-2.0 */
/* The caller's terminal during `run -t`: raw mode while the sandbox runs, restored after. */
#ifndef SBX_RUNSC_CONSOLE_H
#define SBX_RUNSC_CONSOLE_H

/*
 * console_raw_enter - if fd 0 is a terminal, put it in raw mode (cfmakeraw) so every key
 * reaches the guest's line discipline; the old settings come back at console_raw_leave, at
 * exit, and on SIGINT/SIGTERM/SIGHUP/SIGQUIT (then the signal is re-raised). 0 or -errno.
 */
int console_raw_enter(void);
void console_raw_leave(void);
/* console_raw_forget - in a forked child: leave the terminal to the parent (no restore at exit). */
void console_raw_forget(void);

#endif
