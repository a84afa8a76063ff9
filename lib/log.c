// SPDX-License-Identifier: Apache-2.0
/* Logging backend: one fd, one write(2) per line so lines from threads never interleave. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1;

int log_open(const char *path)
{
	if (!path)
		return 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	log_fd = fd;
	return 0;
}

int log_enabled(enum log_level lvl)
{
	return log_fd >= 0 || lvl >= LOG_WARN;
}

void log_write(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "D", "I", "W" };
	char line[1024];
	struct timespec ts;
	va_list ap;
	int saved = errno;

	if (!log_enabled(lvl))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int n = snprintf(line, sizeof(line), "%s %ld.%06ld [%ld] ", names[lvl], (long)ts.tv_sec,
			 ts.tv_nsec / 1000, (long)syscall(SYS_gettid));
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(log_fd >= 0 ? log_fd : 2, line, (size_t)n) < 0) {
		/* Nothing sensible to do when the log itself fails. */
	}
	errno = saved;
}
