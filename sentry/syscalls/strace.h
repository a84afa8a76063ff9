/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to sentry/syscalls: --strace printing (one line per syscall, gVisor style). */
#ifndef SBX_SENTRY_SYSCALLS_STRACE_H
#define SBX_SENTRY_SYSCALLS_STRACE_H

#include "sentry/syscalls/syscalls.h"

void strace_enter(struct task *t, uint64_t nr, const struct syscall_entry *e,
		  const struct syscall_args *a);
void strace_exit(struct task *t, uint64_t nr, const struct syscall_entry *e,
		 const struct syscall_args *a, long ret);

#endif
