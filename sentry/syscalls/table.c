// SPDX-License-Identifier: Apache-2.0
/* The syscall table (a row per implemented call) and the dispatcher. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "fs/vfs.h"
#include "lib/log.h"
#include "sentry/syscalls/strace.h"
#include "sentry/syscalls/sys_impl.h"

#define ROW(name, fmt, sup, why) [__NR_##name] = { #name, sys_##name, sup, fmt, why },
static const struct syscall_entry table[SYSCALL_MAX] = { SYSCALL_LIST(ROW) };
#undef ROW

/* One "unknown syscall" warning per number, as gVisor does. */
static atomic_uchar warned[SYSCALL_MAX];

const struct syscall_entry *syscall_lookup(uint64_t nr)
{
	if (nr >= SYSCALL_MAX || !table[nr].name)
		return NULL;
	return &table[nr];
}

void syscall_dispatch(struct task *t)
{
	uint64_t nr = arch_syscall_nr(&t->regs);
	const struct syscall_entry *e = syscall_lookup(nr);
	struct syscall_args a;
	long r;

	arch_syscall_args(&t->regs, a.a);
	if (t->k->strace)
		strace_enter(t, nr, e, &a);
	if (e && e->fn) {
		r = e->fn(t, &a);
	} else {
		if (nr < SYSCALL_MAX && !atomic_exchange(&warned[nr], 1))
			log_info("unsupported syscall %llu", (unsigned long long)nr);
		r = -ENOSYS;
	}
	/* Here no walk is in progress on this thread: the one safe point to trim the cache. */
	dcache_balance();
	if (t->exiting)
		return;
	/* -ERESTART*: task_deliver_signals decides between -EINTR and re-execution. */
	t->syscall_result = r <= -ERESTARTSYS && r >= -ERESTART_RESTARTBLOCK ? r : 0;
	arch_syscall_set_return(&t->regs, (uint64_t)r);
	if (t->k->strace)
		strace_exit(t, nr, e, &a, r);
}

void syscall_print_table(int fd)
{
	static const char *const names[] = { "full", "partial", "ENOSYS" };
	FILE *f = fdopen(fd, "w");

	if (!f)
		return;
	fprintf(f, "| nr | syscall | support | note |\n|---:|---|---|---|\n");
	for (unsigned int i = 0; i < SYSCALL_MAX; i++) {
		if (!table[i].name)
			continue;
		fprintf(f, "| %u | %s | %s | %s |\n", i, table[i].name, names[table[i].support],
			table[i].note ? table[i].note : "");
	}
	fflush(f);
}
