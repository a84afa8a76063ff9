// SPDX-License-Identifier: Apache-2.0
/*
 * The Sentry's seccomp allowlist (DESIGN.md §11.1): every host syscall the Sentry makes
 * once the guest runs, with why; anything else kills the whole Sentry (SIGSYS). The calls
 * come from sentry/host/ (host_* wrappers), platform/ (stubs, ptrace), glibc (malloc,
 * threads, stdio), libev (timers) and the 9P client. Opening a path, exec, socket() and
 * every namespace or mount call are absent.
 *
 * Missing an entry? Run with --debug-seccomp (SIGSYS handler: prints the call, which then
 * fails with ENOSYS) or --debug-seccomp=log (the call proceeds; the kernel logs it to the
 * audit log, `dmesg | grep type=1326`), then add the call here with its reason.
 */
#include "sentry/boot/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ptrace.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <ucontext.h>
#include <unistd.h>

#include "lib/compiler.h"

#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif

/* Allowed with any arguments. */
static const struct {
	int nr;
	const char *why;
} allow[] = {
	/* I/O on fds the Sentry holds: stdio, gofer sockets, memory files, pipes, the log. */
	{ SCMP_SYS(read), "host files (stdio), ack pipes, the console relay" },
	{ SCMP_SYS(write), "host files (stdio), the debug log, the console relay" },
	{ SCMP_SYS(readv), "host files (guest readv on stdio)" },
	{ SCMP_SYS(writev), "host files (guest writev on stdio)" },
	{ SCMP_SYS(pread64), "the program's fd, memory files, files a gofer donated" },
	{ SCMP_SYS(pwrite64), "memory files, files a gofer donated" },
	{ SCMP_SYS(preadv), "files a gofer donated (fd donation)" },
	{ SCMP_SYS(pwritev), "files a gofer donated (fd donation)" },
	{ SCMP_SYS(lseek), "host files (guest lseek on stdio)" },
	{ SCMP_SYS(close), "fds the Sentry is done with" },
	{ SCMP_SYS(fstat), "host files, memory files" },
	{ SCMP_SYS(poll), "the console relay, host files' readiness" },
	{ SCMP_SYS(ppoll), "poll as some glibc paths make it" },
	{ SCMP_SYS(sendto), "9P requests to the gofers (send)" },
	{ SCMP_SYS(recvfrom), "9P replies from the gofers (recv)" },
	{ SCMP_SYS(sendmsg), "fds to the systrap zygote (SCM_RIGHTS)" },
	{ SCMP_SYS(recvmsg), "the zygote's answers; fds donated by a gofer" },
	{ SCMP_SYS(pipe2), "systrap: a stub's ack pipe, per address space" },
	/* Memory. */
	{ SCMP_SYS(memfd_create), "systrap: a stub's control memory, per address space" },
	{ SCMP_SYS(ftruncate), "sizing memory files" },
	{ SCMP_SYS(fallocate), "punching holes in the memory file (freed guest pages)" },
	{ SCMP_SYS(munmap), "malloc, memory file windows, stub regions" },
	{ SCMP_SYS(mremap), "malloc (realloc of large blocks)" },
	{ SCMP_SYS(madvise), "malloc, freed pages; MADV_POPULATE_WRITE of new memory-file runs" },
	{ SCMP_SYS(brk), "malloc" },
	/* Threads: one host thread per guest task (clone: see the argument rules). */
	{ SCMP_SYS(futex), "mutexes, condition variables, stub state words" },
	{ SCMP_SYS(set_robust_list), "a new thread's glibc start" },
	{ SCMP_SYS(rseq), "a new thread's glibc start" },
	{ SCMP_SYS(sched_yield), "spinning waits; guest sched_yield" },
	{ SCMP_SYS(sched_getaffinity), "glibc's CPU count" },
	{ SCMP_SYS(getcpu), "host_getcpu" },
	{ SCMP_SYS(gettid), "host_gettid, log lines" },
	{ SCMP_SYS(getpid), "glibc (pthread_kill, raise), the ptrace zygote's owner" },
	{ SCMP_SYS(exit), "a thread ends" },
	{ SCMP_SYS(exit_group), "the Sentry ends" },
	/* Signals. */
	{ SCMP_SYS(rt_sigprocmask), "blocking host signals on every thread" },
	{ SCMP_SYS(rt_sigtimedwait), "taking host signals to forward (hostsig.c)" },
	{ SCMP_SYS(rt_sigreturn), "return from the SIGSYS debug handler" },
	{ SCMP_SYS(restart_syscall), "a host call restarted after a stop" },
	/* Stubs. */
	{ SCMP_SYS(wait4), "reaping stubs (waitpid); ptrace stops" },
	{ SCMP_SYS(waitid), "systrap: is a stub alive" },
	/* Time and randomness. */
	{ SCMP_SYS(clock_gettime), "clocks, timers (when the vDSO cannot)" },
	{ SCMP_SYS(clock_getres), "guest clock_getres" },
	{ SCMP_SYS(clock_nanosleep), "guest sleeps, short waits" },
	{ SCMP_SYS(nanosleep), "short waits" },
	{ SCMP_SYS(gettimeofday), "glibc time (when the vDSO cannot)" },
	{ SCMP_SYS(getrandom), "guest getrandom, AT_RANDOM, malloc" },
	/* The timer thread's libev loop. */
	{ SCMP_SYS(epoll_wait), "libev" },
	{ SCMP_SYS(epoll_pwait), "libev" },
	{ SCMP_SYS(epoll_ctl), "libev" },
	{ SCMP_SYS(eventfd2), "libev async watchers" },
	{ SCMP_SYS(timerfd_create), "libev: wall-clock jumps (made with the first periodic timer)" },
	{ SCMP_SYS(timerfd_settime), "libev: wall-clock jumps" },
};

/* The ptrace platform only (PTRACE_* requests: see below). */
static const struct {
	int nr;
	const char *why;
} allow_ptrace[] = {
	{ SCMP_SYS(sched_setaffinity), "a stub thread on its tracer's CPU" },
};

static const unsigned long ptrace_requests[] = {
	PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_CONT, PTRACE_SYSEMU, PTRACE_GETREGS,
	PTRACE_SETREGS, PTRACE_GETREGSET, PTRACE_SETREGSET, PTRACE_GETSIGINFO,
	PTRACE_GET_SYSCALL_INFO, PTRACE_DETACH,
};

/* Terminal requests on the caller's tty (fs/host/hostfile.c, fs/tty/console.c). */
static const unsigned long ioctl_requests[] = {
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCSWINSZ, FIONREAD,
};

/* fcntl: status flags of host files, dup'ing stdio. */
static const int fcntl_cmds[] = { F_GETFL, F_SETFL, F_GETFD, F_SETFD, F_DUPFD_CLOEXEC };

/*
 * Signals the Sentry sends: SIGKILL/SIGCONT to stubs (kill), SIGCHLD to interrupt a stub
 * thread (both platforms' interrupt), SIGRTMAX-1 to wake the host-signal thread, SIGABRT
 * from abort() (tgkill).
 */
static const int kill_sigs[] = { SIGKILL, SIGCONT };
static const int tgkill_sigs[] = { SIGCHLD, SIGABRT, 0 /* SIGRTMAX - 1, set at run time */ };

/* What pthread_create passes (glibc 2.3x); nothing else may clone. */
#define THREAD_CLONE_FLAGS                                                             \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | \
	 CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

static int add_rules(scmp_filter_ctx ctx, const struct boot_confine *cf)
{
	bool ptrace = cf->platform && !strcmp(cf->platform, "ptrace");
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(allow) && !r; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i].nr, 0);
	for (size_t i = 0; ptrace && i < ARRAY_SIZE(allow_ptrace) && !r; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow_ptrace[i].nr, 0);
	for (size_t i = 0; ptrace && i < ARRAY_SIZE(ptrace_requests) && !r; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ptrace), 1,
				     SCMP_A0(SCMP_CMP_EQ, ptrace_requests[i]));
	/* glibc's fstat is fstatat(fd, "", buf, AT_EMPTY_PATH); no lookup by path. */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
				     SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH));
	/* getrlimit (a new thread group's limits): reading ours, never setting them. */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
				     SCMP_A2(SCMP_CMP_EQ, 0));
	/* No executable memory: the Sentry loads no code once it runs guests. */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	for (size_t i = 0; i < ARRAY_SIZE(ioctl_requests) && !r; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_EQ, ioctl_requests[i]));
	for (size_t i = 0; i < ARRAY_SIZE(fcntl_cmds) && !r; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
				     SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)fcntl_cmds[i]));
	for (size_t i = 0; i < ARRAY_SIZE(kill_sigs) && !r; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
				     SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)kill_sigs[i]));
	for (size_t i = 0; i < ARRAY_SIZE(tgkill_sigs) && !r; i++) {
		int sig = tgkill_sigs[i] ? tgkill_sigs[i] : SIGRTMAX - 1;
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				     SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)sig));
	}
	/* Threads only: nothing in the Sentry forks once guests run (stubs come from the
	 * zygotes made at boot, which do not carry this filter). */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_EQ, THREAD_CLONE_FLAGS));
	/* clone3's flags are in memory, out of the filter's sight: glibc falls back to clone. */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	return r;
}

/* --debug-seccomp: name the call that would have killed the Sentry; it fails with ENOSYS. */
static void debug_sigsys(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	char buf[160];
	int n;

	n = snprintf(buf, sizeof(buf), "sandbox: seccomp: the Sentry made host syscall %d "
		     "(args %#llx %#llx %#llx), not in its allowlist\n", si->si_syscall,
		     (unsigned long long)uc->uc_mcontext.gregs[REG_RDI],
		     (unsigned long long)uc->uc_mcontext.gregs[REG_RSI],
		     (unsigned long long)uc->uc_mcontext.gregs[REG_RDX]);
	if (n > 0 && write(2, buf, (size_t)n) < 0) {
		/* nothing more to do */
	}
	uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
}

int boot_confine_seccomp(const struct boot_confine *cf)
{
	uint32_t def = cf->seccomp == BOOT_SECCOMP_TRAP ? SCMP_ACT_TRAP :
		       cf->seccomp == BOOT_SECCOMP_LOG	? SCMP_ACT_LOG :
							  SCMP_ACT_KILL_PROCESS;
	scmp_filter_ctx ctx;
	int r;

	if (cf->seccomp == BOOT_SECCOMP_TRAP) {
		struct sigaction sa = { .sa_sigaction = debug_sigsys, .sa_flags = SA_SIGINFO };
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGSYS, &sa, NULL) < 0)
			return -errno;
	}
	ctx = seccomp_init(def);
	if (!ctx)
		return -ENOMEM;
	/* Every thread of the Sentry, those already running included. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	/* A binary search on the syscall number instead of a linear scan: every host call
	 * (futex, read, the stubs' traffic) pays for the filter. */
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (!r)
		r = add_rules(ctx, cf);
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

size_t boot_seccomp_allowlist_size(const struct boot_confine *cf)
{
	bool ptrace = cf->platform && !strcmp(cf->platform, "ptrace");

	/* + (ptrace), newfstatat, prlimit64, mmap, mprotect, ioctl, fcntl, kill, tgkill,
	 * clone (with argument rules); clone3 only gets ENOSYS. */
	return ARRAY_SIZE(allow) + (ptrace ? ARRAY_SIZE(allow_ptrace) + 1 : 0) + 9;
}
