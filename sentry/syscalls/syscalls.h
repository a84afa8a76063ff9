/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syscall table and dispatcher. Each row records the handler, how its arguments are
 * printed by --strace, and its support status (the source of docs/compatibility.md).
 */
#ifndef SBX_SENTRY_SYSCALLS_SYSCALLS_H
#define SBX_SENTRY_SYSCALLS_SYSCALLS_H

#include <stdint.h>

struct task;

struct syscall_args {
	uint64_t a[6];
};

typedef long (*syscall_fn)(struct task *t, const struct syscall_args *a);

enum sys_support {
	SYS_FULL,    /* behaves as Linux does */
	SYS_PARTIAL, /* implemented with the limits given in the note */
	SYS_NONE,    /* returns ENOSYS (listed so the reason is documented) */
};

/*
 * struct syscall_entry - one row. @args is one character per argument for --strace:
 * i signed, u unsigned, x hex, p pointer, s string (in), b buffer in (length is the next
 * argument), B buffer out (length is the return value), o octal, f fd, a socket address in
 * (length is the next argument).
 */
struct syscall_entry {
	const char *name;
	syscall_fn fn;
	enum sys_support support;
	const char *args;
	const char *note;
};

#define SYSCALL_MAX 512

/* syscall_lookup - the row for @nr, or NULL for a number Linux does not have. */
const struct syscall_entry *syscall_lookup(uint64_t nr);

/*
 * syscall_dispatch - service the syscall that @t trapped on (TRAP_SYSCALL): decode, run the
 * handler, store the result in the guest's rax, print it under --strace.
 */
void syscall_dispatch(struct task *t);

/* syscall_print_table - markdown compatibility table (for docs/compatibility.md). */
void syscall_print_table(int fd);

#endif
