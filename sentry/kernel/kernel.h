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
#include "lib/waitq.h"
#include "lib/abi/linux/signal.h"
#include "platform/platform.h"
#include "sentry/arch/arch.h"
#include "sentry/mm/mm.h"

struct fdtable;
struct fs_context;
struct tg_timers;
struct timer_service;
struct futex_table;
/* One more queued instance of a real-time signal (after the one in *_info[sig]). */
struct sigq {
	struct sigq *next;
	struct linux_siginfo info;
};
struct hostsig;
struct sysv;
struct waiter;
struct uts_ns;

/*
 * struct task_io - /proc/PID/io's counters (Linux's task_io_accounting): bytes moved and
 * calls made by read- and write-like syscalls. Only the owning task adds (relaxed atomics,
 * no lock); /proc reads them from any thread.
 */
struct task_io {
	_Atomic uint64_t rchar, wchar, syscr, syscw;
};
/* task_io_account - count one read (@write false) or write syscall that returned @r. */
struct task;
void task_io_account(struct task *t, bool write, long r);

#define KSIG_MAX 64   /* signals 1..64 */
/* Tasks per sandbox (each is a Sentry host thread): clone fails with EAGAIN beyond. */
#define KERNEL_MAX_TASKS 8192

/* Restartable-syscall results (ERESTARTSYS...): lib/abi/linux/errno.h. */
#define RLIM_NLIMITS_K 16

/* struct ksigaction - the kernel's sigaction layout (what rt_sigaction copies). */
struct ksigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

#define NGROUPS_MAX_K 256 /* supplementary groups per task (Linux allows 65536) */
#define CAP_LAST_CAP_K 40 /* CAP_CHECKPOINT_RESTORE */
#define CAP_FULL_SET ((1ULL << (CAP_LAST_CAP_K + 1)) - 1)

/*
 * struct creds - a task's credentials (sentry/kernel/creds.c): ids, supplementary groups,
 * capabilities (effective/permitted/inheritable/bounding/ambient as capabilities(7)) and
 * securebits. Each task changes only its own (glibc broadcasts set*id to every thread).
 */
struct creds {
	uint32_t ruid, euid, suid, fsuid;
	uint32_t rgid, egid, sgid, fsgid;
	int ngroups;
	uint32_t groups[NGROUPS_MAX_K];
	uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bounding, cap_ambient;
	bool keep_caps; /* PR_SET_KEEPCAPS */
	bool no_new_privs;
};

struct kernel {
	struct platform *platform;
	struct memfile *mf;
	bool strace;
	struct timespec boot_mono; /* CLOCK_MONOTONIC at boot, for uptime */
	char hostname[65];   /* the initial UTS namespace's names (protected by mu once */
	char domainname[65]; /* guests run: sethostname, /proc/sys/kernel/hostname) */
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

	struct futex_table *futex; /* sentry/kernel/futex.c: wait queues keyed by guest word */
	struct hostsig *hostsig;   /* sentry/kernel/hostsig.c: host signals forwarded, or NULL */
	struct waitq exit_wq;      /* woken whenever a process exits (pidfd poll) */
	struct sysv *sysv;         /* sentry/kernel/sysv.c: the sandbox's SysV IPC objects */

	/* Timers and signal waits (sentry/kernel/timer.h): the event thread. */
	struct timer_service *timers;
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
	/* Process-directed signals (kill, SIGCHLD), any thread may take them; under mu. */
	uint64_t shared_pending;
	struct linux_siginfo shared_info[KSIG_MAX + 1];
	struct sigq *shared_rtq[KSIG_MAX + 1]; /* further instances of queued RT signals */

	/*
	 * Threads, protected by kernel->mu: every task that has not finished exiting (linked by
	 * task->tg_next), how many of them still run, the thread in execve waiting for its
	 * siblings to go, and a leader that a non-leader's execve replaced (freed at reap).
	 */
	struct task *tasks;
	int live;
	/*
	 * Job control, protected by kernel->mu: stopped by a stop signal (every thread waits in
	 * task_deliver_signals until SIGCONT or SIGKILL), and the changes wait(WUNTRACED /
	 * WCONTINUED) has yet to report.
	 */
	bool stopped;
	int stop_sig;
	bool stop_report, cont_report;

	/* CPU time (ns) of exited threads and of reaped children; protected by kernel->mu. */
	uint64_t dead_utime, dead_stime, child_utime, child_stime;
	bool child_subreaper;   /* PR_SET_CHILD_SUBREAPER; protected by kernel->mu */
	bool dumpable;          /* PR_SET_DUMPABLE (reset by exec) */
	uint32_t personality;   /* personality(2), inherited */
	/* /proc/PID/oom_score_adj and the least an unprivileged write may set (Linux's
	 * signal->oom_score_adj_min); inherited; protected by kernel->mu. */
	int oom_score_adj, oom_score_adj_min;
	/* /proc/PID/io of exited threads and reaped children (Linux's signal->ioac);
	 * protected by kernel->mu. */
	uint64_t dead_rchar, dead_wchar, dead_syscr, dead_syscw;
	struct task *exec_task;
	struct task *old_leader;

	/* Process tree, protected by kernel->mu (pgid, sid and ppid above too). */
	struct thread_group *parent; /* NULL for init */
	struct thread_group *next;   /* in kernel->groups or kernel->graveyard */
	struct task *leader;
	int exit_signal;  /* sent to the parent at exit (clone's low byte); 0: none */
	bool zombie;      /* exited; exit_status is final, waiting to be reaped */
	bool execed;      /* has called execve (setpgid from the parent: EACCES) */
	bool own_thread;  /* the leader runs on a host thread of its own (joined after reap) */

	/* Timers (sentry/kernel/ptimer.c): made on first use under mu, freed at exit. */
	struct tg_timers *timers;
	/* /proc: the executable's path (malloc'd, set at exec, copied by fork) and when the
	 * process started (CLOCK_MONOTONIC ns); both protected by kernel->mu. */
	char *exe_path;
	uint64_t start_ns;
};

/* struct task - a guest thread. */
struct task {
	struct kernel *k;
	struct thread_group *tg;
	pid_t tid;
	/* mm, fdt and fs change only under k->mu (exec, exit, unshare): /proc reads them. */
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
	struct linux_siginfo pending_info[KSIG_MAX + 1]; /* the first queued siginfo per signal */
	struct sigq *rtq[KSIG_MAX + 1];  /* protected by tg->mu: more instances of RT signals */
	struct linux_stack altstack;                   /* sigaltstack(2) state */
	uint64_t clear_child_tid;
	uint64_t robust_list, robust_len;
	bool exiting;      /* set by the task or (group exit, execve) by another, under k->mu */
	int exit_code;     /* exit(2)'s status for the last thread of a group */
	struct task *tg_next; /* protected by k->mu: in tg->tasks */
	bool joinable;     /* its host thread is joined at reap (process leaders), else detached */
	pthread_t thread;  /* the host thread running the task (when tg->own_thread) */
	struct waiter *waiter; /* protected by k->mu: the task thread's (lib/waitq.h), or NULL */
	bool vfork_done;   /* protected by k->mu: a CLONE_VFORK child has exec'd or exited */

	/* Scheduling attributes: reported back, the host schedules (sentry/kernel/sched.c). */
	int nice;            /* -20..19 */
	int sched_policy;    /* SCHED_OTHER, SCHED_FIFO, ... */
	int sched_priority;  /* 1..99 for FIFO/RR */
	uint64_t timer_slack_ns;
	int pdeath_signal;   /* PR_SET_PDEATHSIG: sent when the parent process exits */
	uint64_t utime_ns;   /* guest (user) time: time spent in platform switch_to; atomic */

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

	struct task_io io;   /* /proc/PID/io */
	/* The task's UTS namespace (sentry/kernel/uts.c); NULL: the initial one, whose names
	 * are kernel->hostname/domainname. Changed under k->mu by unshare(CLONE_NEWUTS). */
	struct uts_ns *uts;
};

/*
 * UTS namespaces (sentry/kernel/uts.c): what uname(2), sethostname(2) and
 * /proc/sys/kernel/{hostname,domainname} see. Names are protected by kernel->mu.
 * uts_names - copy @t's node and domain names (65 bytes each, NUL-terminated).
 * uts_set - set one (@domain: the domain name) to @len bytes of @name; -EINVAL if too long.
 * uts_clone - child @c of @t shares @t's namespace, or gets a copy when @new_ns.
 * uts_unshare - @t gets a copy of its namespace of its own. 0 or -ENOMEM.
 * uts_release - drop @t's reference (task_free).
 */
void uts_names(struct task *t, char host[65], char domain[65]);
int uts_set(struct task *t, bool domain, const char *name, size_t len);
int uts_clone(struct task *t, struct task *c, bool new_ns);
int uts_unshare(struct task *t);
void uts_release(struct task *t);

/*
 * Host signals for the guest (sentry/kernel/hostsig.c): kernel_block_host_signals blocks
 * SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGUSR1/2 in the calling thread, first thing at boot
 * (threads inherit it); kernel_start_host_signals forwards them to init (its process group
 * for the terminal ones) until kernel_free.
 */
void kernel_block_host_signals(void);
int kernel_start_host_signals(struct kernel *k);
void kernel_stop_host_signals(struct kernel *k);

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
/*
 * tg_send_signal_locked - a process-directed signal (kill, SIGCHLD, timers): pending for the
 * whole group, taken by the first thread that does not block it, which is kicked. SIGKILL
 * ends the group at once. Preconditions: k->mu held.
 */
void tg_send_signal_locked(struct kernel *k, struct thread_group *tg, int sig,
			   const struct linux_siginfo *info);
/* kernel_signal_group - tg_send_signal_locked taking k->mu (timers, the event thread). */
void kernel_signal_group(struct kernel *k, struct thread_group *tg, int sig,
			 const struct linux_siginfo *info);
/* tg_queue_signal - make @sig pending for the group (no kick); false if ignored. */
bool tg_queue_signal(struct thread_group *tg, int sig, const struct linux_siginfo *info);
/*
 * sigset_dequeue - take @sig off a pending set (@pending, its first-instance @infos and its
 * RT queue @rtq) into *@out; the bit stays while more instances are queued. tg->mu held.
 */
void sigset_dequeue(uint64_t *pending, struct linux_siginfo *infos, struct sigq **rtq, int sig,
		    struct linux_siginfo *out);
/* sigset_free - drop every queued instance (task or group going away). */
void sigset_free(struct sigq **rtq);
/* task_blocks - does @t's mask block @sig now? */
bool task_blocks(const struct task *t, int sig);
/* task_pgrp_orphaned - is @t's process group orphaned (SIGTSTP/TTIN/TTOU are discarded)? */
bool task_pgrp_orphaned(struct task *t);
/*
 * kernel_signal_pid - rt_sigqueueinfo's send: @sig with @info to process @pid (a
 * process-directed signal). 0 or -ESRCH.
 */
int kernel_signal_pid(struct kernel *k, pid_t pid, int sig, const struct linux_siginfo *info);
/*
 * kernel_signal_thread - rt_tgsigqueueinfo, a timer's SIGEV_THREAD_ID: @sig with @info to
 * thread @tid of process @tgid, kicked. 0 or -ESRCH.
 */
int kernel_signal_thread(struct kernel *k, pid_t tgid, pid_t tid, int sig,
			 const struct linux_siginfo *info);
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
 * task_futex - futex(2) (sentry/kernel/futex.c). Returns what Linux returns to the caller,
 * -ERESTART* codes included.
 */
long task_futex(struct task *t, uint64_t addr, int op, uint32_t val, uint64_t ts_or_val2,
		uint64_t addr2, uint32_t val3);
int futex_table_new(struct futex_table **out);
void futex_table_free(struct futex_table *ft);
/* task_futex_exit - a thread ends: release its robust futexes, clear and wake its
 * clear_child_tid word (pthread_join). */
void task_futex_exit(struct task *t);
/* task_tid_exists - is @tid a live task of the sandbox? */
bool task_tid_exists(struct kernel *k, pid_t tid);
/* task_exit_thread_code - exit(2): only this thread ends (the group with its last one). */
void task_exit_thread_code(struct task *t, int code);
/*
 * task_exit_thread - after the run loop: release the thread's futexes, context and
 * references; the last thread makes the process a zombie. Frees @t unless it leads its group.
 */
void task_exit_thread(struct task *t);
/*
 * task_exec_dethread - execve's point of no return in a multi-threaded process: end every
 * other thread, wait for them, and take over the leader's tid. 0, or -EINTR when the group
 * is exiting (then the caller ends too).
 */
int task_exec_dethread(struct task *t);
/* task_tgkill - tgkill(2)/tkill(2) (@tgid 0: any group): a signal for one thread. */
int task_tgkill(struct task *t, pid_t tgid, pid_t tid, int sig);
/*
 * task_group_stop - a stop signal's default action: stop every thread of @t's process and
 * tell the parent (SIGCHLD CLD_STOPPED unless SA_NOCLDSTOP).
 */
void task_group_stop(struct task *t, int sig);
/* task_stop_wait - park @t while its process is stopped (run loop). */
void task_stop_wait(struct task *t);
/* task_pending - the signals pending for @t: its own and its process's. */
uint64_t task_pending(struct task *t);

/* ---- processes (sentry/kernel/process.c) ---- */

/*
 * task_clone - fork/vfork/clone/clone3: new processes (copy-on-write memory, or the same mm
 * with CLONE_VM) and threads (CLONE_THREAD: same group, mm and handlers). Each new task
 * runs on a host thread of its own. Returns the child's tid or -errno.
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

/* ---- credentials (sentry/kernel/creds.c) ---- */

struct vfs_cred;
/* creds_init - the first task's: the caller's ids, all capabilities for root. */
void creds_init(struct creds *c, uint32_t uid, uint32_t gid);
/* task_capable - does @t hold capability @cap (CAP_*) in its effective set? */
bool task_capable(const struct task *t, int cap);
/* task_vfs_cred - @t's credentials for file access (fs ids when @fsids, else real ids). */
void task_vfs_cred(const struct task *t, bool fsids, struct vfs_cred *out);
int task_setresuid(struct task *t, uint32_t r, uint32_t e, uint32_t s);
int task_setresgid(struct task *t, uint32_t r, uint32_t e, uint32_t s);
int task_setreuid(struct task *t, uint32_t r, uint32_t e);
int task_setregid(struct task *t, uint32_t r, uint32_t e);
int task_setuid(struct task *t, uint32_t uid);
int task_setgid(struct task *t, uint32_t gid);
/* task_setfsuid/gid - return the old fs id; change it only when allowed (no errors). */
uint32_t task_setfsuid(struct task *t, uint32_t uid);
uint32_t task_setfsgid(struct task *t, uint32_t gid);
/* task_get_creds - a copy of the credentials of task @tid (capget of another thread). */
int task_get_creds(struct kernel *k, pid_t tid, struct creds *out);
/* creds_exec - execve's capability and set-id transform (@mode/@uid/@gid: the file's). */
void creds_exec(struct creds *c, uint32_t mode, uint32_t uid, uint32_t gid);

/* ---- System V IPC (sentry/kernel/sysv.c): message queues and semaphore sets ---- */

#include <sys/msg.h>
#include <sys/sem.h>

#define SYSV_SEMARG_MAX 32000
/* semctl's argument, already copied in (or to copy out) by the syscall layer. */
union sysv_semarg {
	int val;
	struct semid_ds ds;
	struct seminfo info;
	struct {
		int count;
		unsigned short vals[SYSV_SEMARG_MAX];
	};
};
int sysv_new(struct sysv **out);
void sysv_free(struct sysv *s);
long sysv_msgget(struct task *t, key_t key, int flags);
long sysv_msgsnd(struct task *t, int id, long type, const void *text, size_t len, int flags);
/* sysv_msgrcv - the message text into @buf (at most @max bytes): its length, *@got_type. */
long sysv_msgrcv(struct task *t, int id, void *buf, size_t max, long type, int flags,
		 long *got_type);
long sysv_msgctl(struct task *t, int id, int cmd, struct msqid_ds *ds);
long sysv_semget(struct task *t, key_t key, int nsems, int flags);
/* sysv_semop - @dl: absolute CLOCK_MONOTONIC deadline (semtimedop) or NULL. */
long sysv_semop(struct task *t, int id, struct sembuf *ops, int n, const struct timespec *dl);
long sysv_semctl(struct task *t, int id, int num, int cmd, union sysv_semarg *arg);
/* sysv_semset_size - semaphores in set @id, or -EINVAL. */
int sysv_semset_size(struct task *t, int id);
#include <sys/shm.h>
long sysv_shmget(struct task *t, key_t key, uint64_t size, int flags);
/* sysv_shmat - attach segment @id at @addr (0: anywhere); the address in *@out. */
long sysv_shmat(struct task *t, int id, uint64_t addr, int flags, uint64_t *out);
long sysv_shmdt(struct task *t, uint64_t addr);
/* sysv_shmctl - @ds is a shmid_ds, or (IPC_INFO/SHM_INFO) a shminfo/shm_info buffer. */
long sysv_shmctl(struct task *t, int id, int cmd, struct shmid_ds *ds);
/* sysv_exit - process @tgid exits: apply its SEM_UNDO adjustments. */
void sysv_exit(struct kernel *k, pid_t tgid);

/* ---- pidfds (sentry/kernel/pidfd.c) ---- */

struct file;
/* pidfd_new - a pidfd for the live process @pid: 0 and *@out, or -ESRCH / -ENOMEM. */
int pidfd_new(struct task *t, pid_t pid, int flags, struct file **out);
/* pidfd_pid - the pid a pidfd names, or -EBADF if @f is no pidfd. */
pid_t pidfd_pid(struct file *f);

/* ---- CPU time (sentry/kernel/cputime.c) ---- */

/*
 * User time is the time a task spends running guest code (inside the platform's
 * switch_to); system time is its host thread's CPU time (the Sentry working for it).
 */
void task_cputime(struct task *t, uint64_t *utime, uint64_t *stime);
/* tg_cputime - the whole process: live threads plus exited ones. */
void tg_cputime(struct thread_group *tg, uint64_t *utime, uint64_t *stime);
/* tg_child_cputime - of the reaped children (RUSAGE_CHILDREN, times' cutime/cstime). */
void tg_child_cputime(struct thread_group *tg, uint64_t *utime, uint64_t *stime);
/* task_find_group - the process @pid (0: @t's), or NULL; for getpriority and friends. */
struct thread_group *task_find_group_locked(struct kernel *k, pid_t pid);

/* Resource limits of the task's thread group. */
void task_get_rlimit(struct task *t, int res, struct rlimit *out);
int task_set_rlimit(struct task *t, int res, const struct rlimit *in);

/*
 * ==== /proc support (sentry/kernel/procinfo.c): what fs/proc and fs/sys may read ====
 * Every accessor copies under kernel->mu and returns; fs/proc calls them with vfs_tree_mu
 * held (lookup, getdents, readlink), so the kernel must never take vfs_tree_mu (nor drop the
 * last reference to a mount, file or fs context) while holding kernel->mu.
 */

struct loader_file;

/* kernel_set_current / kernel_current - the task the calling host thread runs (or NULL). */
void kernel_set_current(struct task *t);
struct task *kernel_current(void);
/* kernel_now_ns - CLOCK_MONOTONIC in ns (compare with kernel->boot_mono, tg->start_ns). */
uint64_t kernel_now_ns(void);

/* What procinfo_get copies about a process (tid 0) or one of its threads. */
#define PROCINFO_MM 1  /* take a reference to the mm (NULL for a zombie) */
#define PROCINFO_FDT 2 /* ... to the fd table */
#define PROCINFO_FS 4  /* ... to the root/cwd context */
struct procinfo {
	pid_t tgid, tid, ppid, pgid, sid;
	char comm[16];
	char state;             /* 'R', 'S', 'T' (stopped), 'Z' (zombie) */
	struct creds creds;     /* the task's (the leader's for a process) */
	uint32_t umask;
	int nthreads;
	uint64_t sig_pending;   /* the task's own pending set */
	uint64_t sig_shared;    /* process-directed pending */
	uint64_t sig_blocked, sig_ignored, sig_caught;
	int nice, policy, rt_priority, exit_signal;
	uint64_t utime_ns, stime_ns;   /* the thread's for tid != 0, else the process's */
	uint64_t cutime_ns, cstime_ns; /* reaped children */
	uint64_t start_ns;             /* CLOCK_MONOTONIC when the process started */
	struct rlimit rlimits[RLIM_NLIMITS_K];
	bool dumpable;
	int oom_score_adj;
	uint64_t rchar, wchar, syscr, syscw; /* /proc/PID/io: the thread's, or the process's
						(live threads, exited ones, reaped children) */
	char *exe;               /* malloc'd path of the executable, or NULL */
	struct mm *mm;           /* references as asked for by @want, else NULL */
	struct fdtable *fdt;
	struct fs_context *fs;
};
/*
 * procinfo_get - a snapshot of process @tgid (@tid 0) or of its thread @tid, with the
 * references @want asks for; release with procinfo_put. -ENOENT if there is no such
 * unreaped process (zombies are found) or no such live thread in it.
 */
int procinfo_get(struct kernel *k, pid_t tgid, pid_t tid, unsigned int want,
		 struct procinfo *out);
void procinfo_put(struct procinfo *pi);
/* procinfo_exists - is @tgid unreaped and (@tid != 0) @tid one of its live threads? */
bool procinfo_exists(struct kernel *k, pid_t tgid, pid_t tid);
/* procinfo_pids / procinfo_tids - ascending tgids (threads of @tgid); the total count,
 * of which at most @max were stored. */
int procinfo_pids(struct kernel *k, pid_t *out, int max);
int procinfo_tids(struct kernel *k, pid_t tgid, pid_t *out, int max);
/* procinfo_set_comm - write /proc/PID/task/TID/comm: only the thread's own process may. */
int procinfo_set_comm(struct kernel *k, pid_t tgid, pid_t tid, const char *name, size_t len);
/*
 * procinfo_set_oom_score_adj - write /proc/PID/oom_score_adj (-1000..1000, else -EINVAL):
 * below the process's minimum needs CAP_SYS_RESOURCE (-EACCES), which also sets the minimum.
 * @legacy (oom_adj): any lowering needs the capability, and the minimum stays.
 */
int procinfo_set_oom_score_adj(struct kernel *k, pid_t tgid, int adj, bool legacy);
/*
 * procinfo_may_access - may the calling task look into process @tgid as ptrace's attach
 * check says (Linux's __ptrace_may_access with FSCREDS): its own process, or the caller's
 * fsuid/fsgid equal to the target's real, effective and saved ids and the target dumpable,
 * or CAP_SYS_PTRACE. 0, -EACCES, or -ENOENT (no such process).
 */
int procinfo_may_access(struct kernel *k, pid_t tgid);
/*
 * procinfo_set_exe - record @t's executable at boot: @lf's path (exec_open'd) or else
 * @fallback made absolute; an empty comm becomes @fallback's base name.
 */
void procinfo_set_exe(struct task *t, struct loader_file *lf, const char *fallback);

/* The sandbox as a whole: /proc/stat, meminfo, loadavg, uptime. */
struct procinfo_sys {
	unsigned int ncpus;
	uint64_t uptime_ns, boot_realtime_s;
	uint64_t mem_total, mem_used;  /* bytes: what sysinfo(2) reports */
	int nprocs, nthreads, nrunning;
	pid_t last_pid;
	uint64_t utime_ns, stime_ns;   /* CPU time of every live process and its dead parts */
	char hostname[65];
};
void procinfo_system(struct kernel *k, struct procinfo_sys *out);
/* The kernel's identity, as uname(2) reports it. */
#define PROCINFO_RELEASE "6.1.0-sandbox"
#define PROCINFO_VERSION "#1 SMP PREEMPT_DYNAMIC sandbox"
#define PROCINFO_MEM_TOTAL (4ULL << 30)

/* procinfo_uuid - a new random (version 4) UUID string (/proc/sys/kernel/random/uuid). */
void procinfo_uuid(char out[37]);
/* procinfo_boot_id - one made once per Sentry (/proc/sys/kernel/random/boot_id). */
const char *procinfo_boot_id(void);

/* procinfo_cpu - the host CPU's identity from CPUID (no host files). */
struct procinfo_cpu {
	char vendor[13];
	char model_name[49];
	unsigned int family, model, stepping, clflush, cache_align;
	char flags[1024];
};
void procinfo_cpu(struct procinfo_cpu *out);

/* ---- terminals (sentry/kernel/tty_glue.c) ---- */

/*
 * tty_glue_init - give fs/tty its view of processes (struct tty_job_ops in fs/tty/tty.h):
 * the caller's ids, process groups, signals from a terminal. Called once by boot.
 */
void tty_glue_init(struct kernel *k);
/* tty_glue_session_exit - session leader @sid exited: hang up its terminal (no k->mu held). */
void tty_glue_session_exit(pid_t sid);

#endif
