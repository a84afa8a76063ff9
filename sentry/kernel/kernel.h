/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Sentry's kernel: tasks (guest threads), thread groups (processes), credentials,
 * resource limits, signal dispositions, and the task run loop (DESIGN.md §4).
 *
 * Threading: each task runs on its own host thread (task_run). Lock order:
 * kernel->mu > thread_group->mu > mm->mu > fdtable->mu.
 */
#ifndef SBX_SENTRY_KERNEL_KERNEL_H
#define SBX_SENTRY_KERNEL_KERNEL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <time.h>

#include "lib/abi/linux/signal.h"
#include "platform/platform.h"
#include "sentry/arch/arch.h"
#include "sentry/mm/mm.h"

struct fdtable;
struct fs_context;

#define KSIG_MAX 64   /* signals 1..64 */
#define RLIM_NLIMITS_K 16

/* struct ksigaction - the kernel's sigaction layout (what rt_sigaction copies). */
struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct creds {
	uint32_t ruid, euid, suid, fsuid;
	uint32_t rgid, egid, sgid, fsgid;
};

struct kernel {
	struct platform *platform;
	struct memfile *mf;
	bool strace;
	struct timespec boot_mono; /* CLOCK_MONOTONIC at boot, for uptime */
	char hostname[65];
	unsigned int ncpus;

	pthread_mutex_t mu;
	pid_t next_tid; /* protected by mu */
	int ntasks;     /* protected by mu */
};

/* struct thread_group - a process: what threads share. */
struct thread_group {
	pid_t tgid;
	pid_t ppid;
	pid_t pgid, sid;

	pthread_mutex_t mu;
	struct rlimit rlimits[RLIM_NLIMITS_K];      /* protected by mu */
	struct ksigaction actions[KSIG_MAX + 1];    /* protected by mu; index = signo */
	bool exiting;                               /* protected by mu */
	int exit_status;                            /* wait status: code << 8, or signal */
};

/* struct task - a guest thread. */
struct task {
	struct kernel *k;
	struct thread_group *tg;
	pid_t tid;
	struct mm *mm;
	struct fdtable *fdt;
	struct pctx *pctx;
	struct arch_state regs;

	struct creds creds;
	uint32_t umask;
	char comm[16]; /* PR_SET_NAME, /proc/PID/comm */
	struct fs_context *fs; /* root and cwd (fs/vfs.h); set by boot, shared by CLONE_FS */
	uint64_t sigmask;
	uint64_t pending;                              /* signals waiting for delivery */
	struct linux_siginfo pending_info[KSIG_MAX + 1]; /* one queued siginfo per signal */
	struct linux_stack altstack;                   /* sigaltstack(2) state */
	uint64_t clear_child_tid;
	uint64_t robust_list, robust_len;
	bool exiting;
};

/* kernel_new - a kernel over platform @p and memory file @mf. */
int kernel_new(struct platform *p, struct memfile *mf, struct kernel **out);
void kernel_free(struct kernel *k);

/*
 * task_new_init - the first task (pid 1) with a new thread group, an empty mm and @fdt
 * (a reference is taken). Its registers are zero until the loader fills them.
 */
int task_new_init(struct kernel *k, struct fdtable *fdt, struct task **out);
void task_free(struct task *t);

/*
 * task_run - run @t on the calling host thread until its thread group exits. Returns the
 * group's wait status (exit code << 8, or the terminating signal number | 0x80 if it dumped
 * core), as waitpid(2) would report it.
 */
int task_run(struct task *t);

/* task_exit_group - the whole thread group exits with wait status @status. */
void task_exit_group(struct task *t, int status);
/*
 * task_send_signal - make @sig (with @info, or SI_KERNEL when NULL) pending for @t. Ignored
 * signals are dropped; a standard signal already pending is not queued twice. @forced (a
 * fault the guest raised) resets a blocked or ignored signal to its default action first,
 * like Linux's force_sig_info.
 */
void task_send_signal(struct task *t, int sig, const struct linux_siginfo *info, bool forced);
/* task_send_fault - a synchronous SIGSEGV/SIGBUS/SIGILL/... with si_code and address. */
void task_send_fault(struct task *t, int sig, int code, uint64_t addr);
/*
 * task_deliver_signals - act on every pending, unblocked signal before @t returns to the
 * guest: run default actions (which may end the group) or push handler frames onto the
 * guest stack. Called by the run loop only.
 */
void task_deliver_signals(struct task *t);
/* task_on_altstack - is the guest's stack pointer on its sigaltstack? */
bool task_on_altstack(const struct task *t);

/*
 * task_futex - futex(2) (sentry/kernel/futex.c). Single-threaded for now: waits end only by
 * timeout, wakes find nobody. Returns what Linux returns to the caller.
 */
long task_futex(struct task *t, uint64_t addr, int op, uint32_t val, uint64_t ts_or_val2,
		uint64_t addr2, uint32_t val3);

/* Resource limits of the task's thread group. */
void task_get_rlimit(struct task *t, int res, struct rlimit *out);
int task_set_rlimit(struct task *t, int res, const struct rlimit *in);

#endif
