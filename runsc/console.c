// SPDX-License-Identifier: Apache-2.0
/* Raw mode on the caller's terminal for `run -t` (what docker run -t does to its terminal). */
#include "runsc/console.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved;
static volatile sig_atomic_t raw_on;

void console_raw_leave(void)
{
	if (raw_on) {
		tcsetattr(0, TCSAFLUSH, &saved);
		raw_on = 0;
	}
}

void console_raw_forget(void)
{
	raw_on = 0;
}

static void on_signal(int sig)
{
	/* tcsetattr is async-signal-safe. */
	if (raw_on) {
		tcsetattr(0, TCSAFLUSH, &saved);
		raw_on = 0;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

int console_raw_enter(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	static bool atexit_done;
	struct termios raw;

	if (!isatty(0))
		return 0;
	if (tcgetattr(0, &saved) < 0)
		return -errno;
	raw = saved;
	cfmakeraw(&raw);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
	if (!atexit_done) {
		atexit(console_raw_leave);
		atexit_done = true;
	}
	if (tcsetattr(0, TCSAFLUSH, &raw) < 0)
		return -errno;
	raw_on = 1;
	return 0;
}
