// SPDX-License-Identifier: Apache-2.0
/*
 * --strace: decoded arguments and results on stderr. Calls that may not return (exit,
 * exit_group) are printed on entry; the rest once they complete, so output buffers read
 * by the call can be shown.
 */
#include "sentry/syscalls/strace.h"

#include <ctype.h>
#include <errno.h>
#include <sys/syscall.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "lib/compiler.h"
#include "sentry/kernel/kernel.h"

#define STRACE_BUF_SHOW 32

struct line {
	char buf[1024];
	size_t n;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	if (l->n >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	int r = vsnprintf(l->buf + l->n, sizeof(l->buf) - l->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		l->n = MIN(l->n + (size_t)r, sizeof(l->buf) - 1);
}

/* Guest bytes at @addr, escaped; read through the mm like any other guest access. */
static void put_guest_bytes(struct line *l, struct task *t, uint64_t addr, long len, bool str)
{
	char data[STRACE_BUF_SHOW + 1];
	long want = len < 0 ? 0 : MIN(len, STRACE_BUF_SHOW);
	ssize_t got;

	if (str)
		got = mm_copy_string_in(t->mm, addr, data, sizeof(data));
	else
		got = mm_copy_in(t->mm, addr, data, (size_t)want);
	if (got == -ENAMETOOLONG)
		got = STRACE_BUF_SHOW;
	if (got < 0) {
		put(l, "%#llx (bad address)", (unsigned long long)addr);
		return;
	}
	put(l, "%#llx \"", (unsigned long long)addr);
	for (ssize_t i = 0; i < got; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c == '\n')
			put(l, "\\n");
		else if (c == '"' || c == '\\')
			put(l, "\\%c", c);
		else if (isprint(c))
			put(l, "%c", c);
		else
			put(l, "\\x%02x", c);
	}
	put(l, "\"%s", (str ? got >= STRACE_BUF_SHOW : len > STRACE_BUF_SHOW) ? "..." : "");
}

/* A guest socket address of @len bytes: {AF_UNIX, "path"} or @"abstract", else the family. */
static void put_sockaddr(struct line *l, struct task *t, uint64_t addr, uint64_t len)
{
	struct sockaddr_un un;
	size_t n = MIN(len, sizeof(un));
	size_t hdr = offsetof(struct sockaddr_un, sun_path);

	memset(&un, 0, sizeof(un));
	if (!addr || n < sizeof(sa_family_t) || mm_copy_in(t->mm, addr, &un, n) != (ssize_t)n) {
		put(l, addr ? "%#llx" : "NULL", (unsigned long long)addr);
		return;
	}
	if (un.sun_family != AF_UNIX) {
		put(l, "{family=%u}", un.sun_family);
		return;
	}
	if (n <= hdr) {
		put(l, "{AF_UNIX}");
		return;
	}
	bool abstract = un.sun_path[0] == 0;
	size_t plen = abstract ? n - hdr - 1 : strnlen(un.sun_path, n - hdr);
	const char *p = un.sun_path + (abstract ? 1 : 0);
	put(l, "{AF_UNIX, %s\"", abstract ? "@" : "");
	for (size_t i = 0; i < plen && i < 64; i++) {
		unsigned char c = (unsigned char)p[i];
		if (isprint(c) && c != '"' && c != '\\')
			put(l, "%c", c);
		else
			put(l, "\\x%02x", c);
	}
	put(l, "\"}");
}

static void put_call(struct line *l, struct task *t, uint64_t nr, const struct syscall_entry *e,
		     const struct syscall_args *a, bool done, long ret)
{
	put(l, "[%4d] ", t->tid);
	if (!e) {
		put(l, "syscall_%llu(%#llx, %#llx, %#llx, ...)", (unsigned long long)nr,
		    (unsigned long long)a->a[0], (unsigned long long)a->a[1],
		    (unsigned long long)a->a[2]);
		return;
	}
	put(l, "%s(", e->name);
	for (int i = 0; e->args[i] && i < 6; i++) {
		uint64_t v = a->a[i];
		if (i)
			put(l, ", ");
		switch (e->args[i]) {
		case 'i':
		case 'f':
			put(l, "%d", (int)v);
			break;
		case 'u':
			put(l, "%llu", (unsigned long long)v);
			break;
		case 'o':
			put(l, "%#llo", (unsigned long long)v);
			break;
		case 's':
			put_guest_bytes(l, t, v, 0, true);
			break;
		case 'b':
			put_guest_bytes(l, t, v, i < 5 ? (long)a->a[i + 1] : 0, false);
			break;
		case 'B':
			if (done && ret > 0)
				put_guest_bytes(l, t, v, ret, false);
			else
				put(l, "%#llx", (unsigned long long)v);
			break;
		case 'p':
			put(l, v ? "%#llx" : "NULL", (unsigned long long)v);
			break;
		case 'a':
			put_sockaddr(l, t, v, i < 5 ? a->a[i + 1] : 0);
			break;
		default:
			put(l, "%#llx", (unsigned long long)v);
		}
	}
	put(l, ")");
}

static void emit(struct line *l)
{
	l->buf[l->n++] = '\n';
	fwrite(l->buf, 1, l->n, stderr);
}

static bool prints_on_entry(uint64_t nr)
{
	return nr == __NR_exit || nr == __NR_exit_group;
}

void strace_enter(struct task *t, uint64_t nr, const struct syscall_entry *e,
		  const struct syscall_args *a)
{
	struct line l = { .n = 0 };
	if (!prints_on_entry(nr))
		return;
	put_call(&l, t, nr, e, a, false, 0);
	emit(&l);
}

void strace_exit(struct task *t, uint64_t nr, const struct syscall_entry *e,
		 const struct syscall_args *a, long ret)
{
	struct line l = { .n = 0 };
	if (prints_on_entry(nr))
		return;
	put_call(&l, t, nr, e, a, true, ret);
	if (ret < 0 && ret > -4096)
		put(&l, " = %ld (%s)", ret, strerrorname_np((int)-ret) ?: "?");
	else if (ret >= 0 && ret < 4096)
		put(&l, " = %ld", ret);
	else
		put(&l, " = %#lx", (unsigned long)ret);
	emit(&l);
}
