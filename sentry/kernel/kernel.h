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

#include "lib/abi/linux/errno.h"
#include "lib/abi/linux/signal.h"
#include "platform/platform.h"
#include "sentry/arch/arch.h"
#include "sentry/mm/mm.h"

struct fdtable;
struct fs_context;
struct waiter;

#define KSIG_MAX 64   /* signals 1..64 */

/* Restartable-syscall results (ERESTARTSYS...): lib/abi/linux/errno.h. */
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
	/*
	 * Processes (sentry/kernel/process.c), all protected by mu: every thread group that
	 * has not been reaped, the reaped ones whose host threads are still to be joined,
	 * the init process, the number of task threads (besides init's) still running, and a
	 * condition broadcast on every exit, exec, reap and signal sent to a waiting task.
	 */
	struct thread_group *groups;
	struct thread_group *graveyard;
	struct thread_group *init;
	int nthreads;
	bool shutting_down;
	pthread_cond_t cv;
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

	/* Process tree, protected by kernel->mu (pgid, sid and ppid above too). */
	struct thread_group *parent; /* NULL for init */
	struct thread_group *next;   /* in kernel->groups or kernel->graveyard */
	struct task *leader;
	int exit_signal;  /* sent to the parent at exit (clone's low byte); 0: none */
	bool zombie;      /* exited; exit_status is final, waiting to be reaped */
	bool execed;      /* has called execve (setpgid from the parent: EACCES) */
	bool own_thread;  /* the leader runs on a host thread of its own (joined after reap) */
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
	pthread_t thread;  /* the host thread running the task (when tg->own_thread) */
	struct waiter *waiter; /* protected by k->mu: the task thread's (lib/waitq.h), or NULL */
	bool vfork_done;   /* protected by k->mu: a CLONE_VFORK child has exec'd or exited */

	/* Syscall restart state (task thread only). */
	long syscall_result;   /* the last syscall's result if it is an -ERESTART* code, else 0 */
	long (*restart_fn)(struct task *t); /* what restart_syscall(2) continues */
	uint64_t restart_data[4];           /* restart_fn's saved arguments */
	/*
	 * sigsuspend/ppoll/pselect6/epoll_pwait: the mask to restore once the signal that
	 * ended the call has been delivered (Linux's saved_sigmask). Task thread only.
	 */
	uint64_t saved_sigmask;
	bool restore_sigmask;
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
/* task_signal_fatal - would @sig, delivered now, end @t's process (SIGKILL, or unblocked with
 * a default action that terminates)? */
bool task_signal_fatal(struct task *t, int sig);
/*
 * task_set_temp_sigmask - install @mask for the rest of this syscall (sigsuspend, ppoll...);
 * the old mask comes back when the syscall returns (task_restore_sigmask) or, if a signal
 * interrupts it, after that signal's handler frame is built (the frame holds the old mask).
 */
void task_set_temp_sigmask(struct task *t, uint64_t mask);
/* task_restore_sigmask - undo task_set_temp_sigmask now (the call did not end by a signal). */
void task_restore_sigmask(struct task *t);
/* task_signal_pending - does @t have a pending signal its current mask lets through? */
bool task_signal_pending(struct task *t);
/* task_on_altstack - is the guest's stack pointer on its sigaltstack? */
bool task_on_altstack(const struct task *t);

/*
 * task_futex - futex(2) (sentry/kernel/futex.c). Single-threaded for now: waits end only by
 * timeout, wakes find nobody. Returns what Linux returns to the caller.
 */
long task_futex(struct task *t, uint64_t addr, int op, uint32_t val, uint64_t ts_or_val2,
		uint64_t addr2, uint32_t val3);

/* ---- processes (sentry/kernel/process.c) ---- */

/*
 * task_clone - fork/vfork/clone/clone3 for new processes (no threads yet: CLONE_THREAD or
 * CLONE_VM without CLONE_VFORK give -ENOSYS / -EINVAL). CLONE_VM|CLONE_VFORK copies the
 * address space like fork (the child cannot write into the parent's memory) and waits
 * like vfork. Returns the child's pid or -errno.
 */
struct clone_args_k {
	uint64_t flags, stack, stack_size, parent_tid, child_tid, tls;
	int exit_signal;
};
long task_clone(struct task *t, const struct clone_args_k *ca);
/*
 * task_wait - wait4/waitid core. @idtype P_ALL/P_PID/P_PGID. Fills *@pid, *@status (wait
 * status) of the reaped child; returns 1 when one was found, 0 with WNOHANG and nothing
 * ready, -ECHILD, -EINTR (a signal is pending) or -EINVAL.
 */
int task_wait(struct task *t, int idtype, pid_t id, int options, pid_t *pid, int *status,
	      uint32_t *uid);
/* task_kill - kill(2): @pid > 0, 0, -1 or -pgid. 0 or -ESRCH / -EINVAL / -EPERM. */
int task_kill(struct task *t, pid_t pid, int sig);
/* task_kick - make @t notice a new pending signal (platform interrupt, wake waits). */
void task_kick(struct task *t);
pid_t task_getppid(struct task *t);
int task_setpgid(struct task *t, pid_t pid, pid_t pgid);
pid_t task_getpgid(struct task *t, pid_t pid);
pid_t task_getsid(struct task *t, pid_t pid);
pid_t task_setsid(struct task *t);
/*
 * kernel_run_init - run the init task on the calling thread; when it exits, kill every
 * other task, wait for their threads and free them. Returns init's wait status.
 */
int kernel_run_init(struct task *init);
/* task_execve - execve/execveat (sentry/kernel/exec.c). */
long task_execve(struct task *t, int dirfd, uint64_t path, uint64_t argv, uint64_t envp,
		 int flags);

/* Resource limits of the task's thread group. */
void task_get_rlimit(struct task *t, int res, struct rlimit *out);
int task_set_rlimit(struct task *t, int res, const struct rlimit *in);

/* ---- terminals (sentry/kernel/tty_glue.c) ---- */

/*
 * tty_glue_init - give fs/tty its view of processes (struct tty_job_ops in fs/tty/tty.h):
 * the caller's ids, process groups, signals from a terminal. Called once by boot.
 */
void tty_glue_init(struct kernel *k);

#endif
