/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tap.h: a tiny header-only TAP harness for the syscall conformance programs.
 *
 * Output must be identical natively and sandboxed: descriptions print facts only
 * (never pids, addresses or times). Output goes through write(2) on fd 1 directly,
 * unbuffered, so it interleaves predictably and survives a crash.
 *
 *   ok(cond, fmt, ...)              pass when cond is true
 *   is_int(got, want, fmt, ...)     pass when got == want (prints both on failure)
 *   is_errno(expr, ERRNO, fmt, ...) pass when expr == -1 and errno == ERRNO
 *                                   (libc wrappers or raw syscall())
 *   diag(fmt, ...)                  "# ..." comment line (keep it deterministic)
 *   done_testing()                  prints the plan; returns non-zero on any failure:
 *                                   use as `return done_testing();`
 */
#ifndef SBX_TESTS_TAP_H
#define SBX_TESTS_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int tap_n_;
static int tap_failed_;

static void tap_out_(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(1, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

__attribute__((format(printf, 1, 2))) static void tap_printf_(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	tap_out_(buf, (size_t)n);
}

static int tap_result_(int pass, const char *fmt, va_list ap)
{
	char desc[512];
	vsnprintf(desc, sizeof desc, fmt, ap);
	tap_n_++;
	if (!pass)
		tap_failed_++;
	tap_printf_("%sok %d - %s\n", pass ? "" : "not ", tap_n_, desc);
	return pass;
}

__attribute__((format(printf, 2, 3), unused)) static int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = tap_result_(cond != 0, fmt, ap);
	va_end(ap);
	return r;
}

__attribute__((format(printf, 1, 2), unused)) static void diag(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	tap_printf_("# %s\n", buf);
}

__attribute__((format(printf, 3, 4), unused)) static int is_int_(long long got, long long want,
								   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = tap_result_(got == want, fmt, ap);
	va_end(ap);
	if (!r)
		tap_printf_("#   got %lld, expected %lld\n", got, want);
	return r;
}
#define is_int(got, want, ...) is_int_((long long)(got), (long long)(want), __VA_ARGS__)

__attribute__((format(printf, 4, 5), unused)) static int is_errno_(long ret, int err, int want,
								     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = tap_result_(ret == -1 && err == want, fmt, ap);
	va_end(ap);
	if (!r)
		tap_printf_("#   got ret %ld errno %d (%s), expected -1 errno %d (%s)\n", ret,
			    ret == -1 ? err : 0, ret == -1 ? strerror(err) : "-", want,
			    strerror(want));
	return r;
}
/* errno is cleared first so a stale value cannot pass. */
#define is_errno(expr, want, ...)                                                     \
	({                                                                            \
		errno = 0;                                                            \
		long tap_ret_ = (long)(expr);                                         \
		int tap_err_ = errno;                                                 \
		is_errno_(tap_ret_, tap_err_, (want), __VA_ARGS__);                   \
	})

__attribute__((unused)) static int done_testing(void)
{
	tap_printf_("1..%d\n", tap_n_);
	if (tap_failed_)
		tap_printf_("# failed %d of %d\n", tap_failed_, tap_n_);
	return tap_failed_ ? 1 : 0;
}

#endif
