/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to sentry/syscalls: the handler list, shared by table.c and the sys_*.c files. */
#ifndef SBX_SENTRY_SYSCALLS_SYS_IMPL_H
#define SBX_SENTRY_SYSCALLS_SYS_IMPL_H

#include <errno.h>
#include <sys/syscall.h>

#include "sentry/kernel/kernel.h"
#include "sentry/syscalls/syscalls.h"

/*
 * X(name, args, support, note): every syscall with a handler sys_<name>. Numbers come from
 * <sys/syscall.h> (__NR_<name>).
 */
#define SYSCALL_LIST(X)                                                                          \
	/* files and fds: host stdio and tmpfs files (fs/) */                                     \
	X(read, "fBu", SYS_FULL, NULL)                                                            \
	X(write, "fbu", SYS_FULL, NULL)                                                           \
	X(readv, "fpi", SYS_FULL, NULL)                                                           \
	X(writev, "fpi", SYS_FULL, NULL)                                                          \
	X(pread64, "fpui", SYS_FULL, NULL)                                                        \
	X(pwrite64, "fpui", SYS_FULL, NULL)                                                       \
	X(preadv, "fpii", SYS_FULL, NULL)                                                         \
	X(pwritev, "fpii", SYS_FULL, NULL)                                                        \
	X(lseek, "fii", SYS_FULL, NULL)                                                           \
	X(ioctl, "fxx", SYS_PARTIAL, "terminals: host stdio (termios, winsize) and ptys (termios, winsize, job control, ptmx; no TIOCSTI); FIONREAD, FIOCLEX, FIONCLEX") \
	X(fcntl, "fix", SYS_PARTIAL, "F_DUPFD*, F_GETFD/SETFD, F_GETFL/SETFL; record locks never conflict (one process)")          \
	X(dup, "f", SYS_FULL, NULL)                                                               \
	X(dup2, "ff", SYS_FULL, NULL)                                                             \
	X(dup3, "ffx", SYS_FULL, NULL)                                                            \
	X(close, "f", SYS_FULL, NULL)                                                             \
	X(close_range, "uux", SYS_PARTIAL, "CLOSE_RANGE_CLOEXEC supported; UNSHARE ignored")      \
	X(fstat, "fp", SYS_FULL, NULL)                                                            \
	X(newfstatat, "fspx", SYS_FULL, NULL)                                                     \
	X(statx, "fsxxp", SYS_PARTIAL, "STATX_BASIC_STATS only (no btime)")                       \
	X(stat, "sp", SYS_FULL, NULL)                                                             \
	X(lstat, "sp", SYS_FULL, NULL)                                                            \
	X(open, "sxo", SYS_PARTIAL, "O_TMPFILE: EOPNOTSUPP")                                      \
	X(openat, "fsxo", SYS_PARTIAL, "O_TMPFILE: EOPNOTSUPP")                                   \
	X(openat2, "fspu", SYS_PARTIAL, "RESOLVE_* flags: EINVAL")                                \
	X(creat, "so", SYS_FULL, NULL)                                                            \
	X(getdents64, "fpu", SYS_FULL, NULL)                                                      \
	X(fsync, "f", SYS_PARTIAL, "no-op: tmpfs has nothing to flush")                           \
	X(fdatasync, "f", SYS_PARTIAL, "no-op: tmpfs has nothing to flush")                       \
	X(truncate, "si", SYS_FULL, NULL)                                                         \
	X(ftruncate, "fi", SYS_FULL, NULL)                                                        \
	X(mkdir, "so", SYS_FULL, NULL)                                                            \
	X(mkdirat, "fso", SYS_FULL, NULL)                                                         \
	X(rmdir, "s", SYS_FULL, NULL)                                                             \
	X(unlink, "s", SYS_FULL, NULL)                                                            \
	X(unlinkat, "fsx", SYS_FULL, NULL)                                                        \
	X(rename, "ss", SYS_FULL, NULL)                                                           \
	X(renameat, "fsfs", SYS_FULL, NULL)                                                       \
	X(renameat2, "fsfsx", SYS_PARTIAL, "RENAME_WHITEOUT: EINVAL")                             \
	X(link, "ss", SYS_FULL, NULL)                                                             \
	X(linkat, "fsfsx", SYS_FULL, NULL)                                                        \
	X(symlink, "ss", SYS_FULL, NULL)                                                          \
	X(symlinkat, "sfs", SYS_FULL, NULL)                                                       \
	X(readlink, "spu", SYS_FULL, NULL)                                                        \
	X(readlinkat, "fspu", SYS_FULL, NULL)                                                     \
	X(access, "so", SYS_PARTIAL, "no supplementary groups")                                   \
	X(faccessat, "fso", SYS_PARTIAL, "no supplementary groups")                               \
	X(faccessat2, "fsox", SYS_PARTIAL, "no supplementary groups")                             \
	X(chmod, "so", SYS_FULL, NULL)                                                            \
	X(fchmod, "fo", SYS_FULL, NULL)                                                           \
	X(fchmodat, "fso", SYS_FULL, NULL)                                                        \
	X(chown, "sii", SYS_FULL, NULL)                                                           \
	X(fchown, "fii", SYS_FULL, NULL)                                                          \
	X(lchown, "sii", SYS_FULL, NULL)                                                          \
	X(fchownat, "fsiix", SYS_FULL, NULL)                                                      \
	X(utimensat, "fspx", SYS_FULL, NULL)                                                      \
	X(chdir, "s", SYS_FULL, NULL)                                                             \
	X(fchdir, "f", SYS_FULL, NULL)                                                            \
	X(getcwd, "pu", SYS_FULL, NULL)                                                           \
	/* pipes, eventfd, readiness (fs/pipe.c, fs/eventfd.c, fs/poll.c) */                      \
	X(pipe, "p", SYS_FULL, NULL)                                                              \
	X(pipe2, "px", SYS_PARTIAL, "O_DIRECT accepted, no packet mode; 64 KiB, no F_SETPIPE_SZ") \
	X(eventfd, "u", SYS_FULL, NULL)                                                           \
	X(eventfd2, "ux", SYS_FULL, NULL)                                                         \
	X(poll, "pui", SYS_FULL, NULL)                                                            \
	X(ppoll, "pupxu", SYS_PARTIAL, "mask applies during the wait; no saved_sigmask for handlers") \
	X(select, "ipppp", SYS_FULL, NULL)                                                        \
	X(pselect6, "ippppp", SYS_PARTIAL, "mask applies during the wait; no saved_sigmask for handlers") \
	X(epoll_create, "i", SYS_FULL, NULL)                                                      \
	X(epoll_create1, "x", SYS_FULL, NULL)                                                     \
	X(epoll_ctl, "fifp", SYS_PARTIAL, "EPOLLET acts level-triggered; no nested epoll (EINVAL)") \
	X(epoll_wait, "fpii", SYS_PARTIAL, "level-triggered; EPOLLONESHOT honoured")              \
	X(epoll_pwait, "fpiipu", SYS_PARTIAL, "as epoll_wait; mask applies during the wait only") \
	X(umask, "o", SYS_FULL, NULL)                                                             \
	/* memory */                                                                             \
	X(brk, "p", SYS_FULL, NULL)                                                              \
	X(mmap, "puxxfx", SYS_PARTIAL, "anonymous mappings until the VFS")                       \
	X(munmap, "pu", SYS_FULL, NULL)                                                          \
	X(mprotect, "pux", SYS_FULL, NULL)                                                       \
	X(mremap, "puuxp", SYS_FULL, NULL)                                                       \
	X(madvise, "pui", SYS_PARTIAL, "DONTNEED/FREE drop pages; others accepted")              \
	X(mlock, "pu", SYS_PARTIAL, "accepted, no effect")                                       \
	X(munlock, "pu", SYS_PARTIAL, "accepted, no effect")                                     \
	X(mlockall, "x", SYS_PARTIAL, "accepted, no effect")                                     \
	X(munlockall, "", SYS_PARTIAL, "accepted, no effect")                                    \
	/* tasks and identity */                                                                 \
	X(exit, "i", SYS_PARTIAL, "single-threaded: exits the group")                            \
	X(exit_group, "i", SYS_FULL, NULL)                                                       \
	/* processes (sentry/kernel/process.c, exec.c) */                                       \
	X(fork, "", SYS_FULL, NULL)                                                              \
	X(vfork, "", SYS_PARTIAL, "the child runs on a copy-on-write copy of the parent's memory") \
	X(clone, "xpppx", SYS_PARTIAL, "processes only: CLONE_THREAD, and CLONE_VM without CLONE_VFORK, are ENOSYS") \
	X(clone3, "pu", SYS_PARTIAL, "as clone; no set_tid, pidfd or cgroup")                    \
	X(execve, "spp", SYS_PARTIAL, "ELF and one level of #! scripts")                         \
	X(execveat, "fsppx", SYS_PARTIAL, "AT_EMPTY_PATH (fexecve): ENOSYS")                      \
	X(wait4, "ipxp", SYS_PARTIAL, "no stopped/continued children; rusage zeroed")            \
	X(waitid, "iipxp", SYS_PARTIAL, "P_ALL/P_PID/P_PGID; no stopped/continued children; rusage zeroed") \
	X(setpgid, "ii", SYS_FULL, NULL)                                                         \
	X(setsid, "", SYS_FULL, NULL)                                                            \
	X(getpid, "", SYS_FULL, NULL)                                                            \
	X(gettid, "", SYS_FULL, NULL)                                                            \
	X(getppid, "", SYS_FULL, NULL)                                                           \
	X(getuid, "", SYS_FULL, NULL)                                                            \
	X(geteuid, "", SYS_FULL, NULL)                                                           \
	X(getgid, "", SYS_FULL, NULL)                                                            \
	X(getegid, "", SYS_FULL, NULL)                                                           \
	X(getresuid, "ppp", SYS_FULL, NULL)                                                      \
	X(getresgid, "ppp", SYS_FULL, NULL)                                                      \
	X(getgroups, "ip", SYS_PARTIAL, "no supplementary groups")                               \
	X(getpgrp, "", SYS_FULL, NULL)                                                           \
	X(getpgid, "i", SYS_FULL, NULL)                                                                     \
	X(getsid, "i", SYS_FULL, NULL)                                                                      \
	X(futex, "pxupux", SYS_PARTIAL, "one thread per process: waits end by timeout, wakes find nobody") \
	X(set_tid_address, "p", SYS_FULL, NULL)                                                  \
	X(set_robust_list, "pu", SYS_PARTIAL, "recorded; used when threads exist")               \
	X(get_robust_list, "ipp", SYS_PARTIAL, "own thread only")                                             \
	X(rseq, "puxx", SYS_NONE, "ENOSYS: glibc falls back")                                    \
	X(arch_prctl, "xp", SYS_PARTIAL, "ARCH_SET/GET_FS/GS")                                   \
	X(prctl, "ixxxx", SYS_PARTIAL, "PR_SET/GET_NAME, PR_GET/SET_DUMPABLE, NO_NEW_PRIVS")     \
	X(uname, "p", SYS_FULL, NULL)                                                            \
	X(sysinfo, "p", SYS_FULL, NULL)                                                          \
	X(getrlimit, "ip", SYS_FULL, NULL)                                                       \
	X(setrlimit, "ip", SYS_FULL, NULL)                                                       \
	X(prlimit64, "iipp", SYS_PARTIAL, "own process only")                                    \
	X(getrusage, "ip", SYS_PARTIAL, "times only")                                            \
	X(getrandom, "Bux", SYS_FULL, NULL)                                                      \
	X(sched_yield, "", SYS_FULL, NULL)                                                       \
	X(sched_getaffinity, "iup", SYS_FULL, NULL)                                              \
	X(sched_setaffinity, "iup", SYS_PARTIAL, "accepted, no effect")                         \
	/* time */                                                                               \
	X(clock_gettime, "ip", SYS_FULL, NULL)                                                   \
	X(clock_getres, "ip", SYS_FULL, NULL)                                                    \
	X(gettimeofday, "pp", SYS_FULL, NULL)                                                    \
	X(time, "p", SYS_FULL, NULL)                                                             \
	X(nanosleep, "pp", SYS_PARTIAL, "not yet interruptible by guest signals")                \
	X(clock_nanosleep, "ixpp", SYS_PARTIAL, "not yet interruptible by guest signals")        \
	/* signals: dispositions, masks, handler frames; stops and queued RT signals later */    \
	X(rt_sigaction, "ippu", SYS_FULL, NULL)                                                  \
	X(rt_sigprocmask, "ippu", SYS_FULL, NULL)                                                \
	X(rt_sigreturn, "", SYS_FULL, NULL)                                                      \
	X(restart_syscall, "", SYS_FULL, NULL)                                                   \
	X(rt_sigpending, "pu", SYS_FULL, NULL)                                                   \
	X(sigaltstack, "pp", SYS_FULL, NULL)                                                     \
	X(kill, "ii", SYS_PARTIAL, "no stop/continue (job control) yet")                             \
	X(tgkill, "iii", SYS_PARTIAL, "own thread until threads exist")                          \
	X(tkill, "ii", SYS_PARTIAL, "own thread until threads exist")

#define DECLARE_SYS(name, args, support, note) long sys_##name(struct task *t, const struct syscall_args *a);
SYSCALL_LIST(DECLARE_SYS)
#undef DECLARE_SYS

/* Argument helpers. */
#define ARG_INT(i) ((int)a->a[i])
#define ARG_U(i) (a->a[i])

#endif
