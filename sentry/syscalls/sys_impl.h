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
	X(preadv2, "fpiiix", SYS_PARTIAL, "RWF_* flags accepted as hints")                      \
	X(pwritev2, "fpiiix", SYS_PARTIAL, "RWF_* flags accepted as hints")                     \
	X(sendfile, "ffpu", SYS_FULL, NULL)                                                      \
	X(copy_file_range, "fpfpux", SYS_FULL, NULL)                                             \
	X(splice, "fpfpux", SYS_PARTIAL, "copies through a buffer; SPLICE_F_NONBLOCK follows the pipe's O_NONBLOCK") \
	X(tee, "ffux", SYS_FULL, NULL)                                                           \
	X(vmsplice, "fpix", SYS_PARTIAL, "copies (no page gifting)")                             \
	X(ioctl, "fxx", SYS_PARTIAL, "terminals: host stdio (termios, winsize) and ptys (termios, winsize, job control, ptmx; no TIOCSTI); FIONREAD, FIOCLEX, FIONCLEX") \
	X(fcntl, "fix", SYS_PARTIAL, "F_DUPFD*, F_GETFD/SETFD, F_GETFL/SETFL, record and OFD locks, seals, F_GET/SETPIPE_SZ")          \
	X(dup, "f", SYS_FULL, NULL)                                                               \
	X(flock, "fi", SYS_FULL, NULL)                                                            \
	X(dup2, "ff", SYS_FULL, NULL)                                                             \
	X(dup3, "ffx", SYS_FULL, NULL)                                                            \
	X(close, "f", SYS_FULL, NULL)                                                             \
	X(close_range, "uux", SYS_PARTIAL, "CLOSE_RANGE_CLOEXEC supported; UNSHARE ignored")      \
	X(fstat, "fp", SYS_FULL, NULL)                                                            \
	X(newfstatat, "fspx", SYS_FULL, NULL)                                                     \
	X(statx, "fsxxp", SYS_PARTIAL, "STATX_BASIC_STATS only (no btime)")                       \
	X(stat, "sp", SYS_FULL, NULL)                                                             \
	X(lstat, "sp", SYS_FULL, NULL)                                                            \
	X(open, "sxo", SYS_PARTIAL, "O_TMPFILE on tmpfs and the overlay; in gofer directories EOPNOTSUPP") \
	X(openat, "fsxo", SYS_PARTIAL, "O_TMPFILE on tmpfs and the overlay; in gofer directories EOPNOTSUPP") \
	X(openat2, "fspu", SYS_FULL, "RESOLVE_* scoping; CACHED walks only the dentry cache")      \
	X(creat, "so", SYS_FULL, NULL)                                                            \
	X(getdents64, "fpu", SYS_FULL, NULL)                                                      \
	X(getdents, "fpu", SYS_FULL, NULL)                                                       \
	X(fsync, "f", SYS_PARTIAL, "no-op: tmpfs has nothing to flush")                           \
	X(fdatasync, "f", SYS_PARTIAL, "no-op: tmpfs has nothing to flush")                       \
	X(truncate, "si", SYS_FULL, NULL)                                                         \
	X(ftruncate, "fi", SYS_FULL, NULL)                                                        \
	X(mkdir, "so", SYS_FULL, NULL)                                                            \
	X(mkdirat, "fso", SYS_FULL, NULL)                                                         \
	X(mknod, "sox", SYS_PARTIAL, "device nodes (CAP_MKNOD) on tmpfs and the overlay open the Sentry's drivers (mem, tty, console, ptmx, pts); others and block devices ENXIO at open") \
	X(mknodat, "fsox", SYS_PARTIAL, "device nodes (CAP_MKNOD) on tmpfs and the overlay open the Sentry's drivers (mem, tty, console, ptmx, pts); others and block devices ENXIO at open") \
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
	X(access, "so", SYS_FULL, NULL)                                                          \
	X(faccessat, "fso", SYS_FULL, NULL)                                                      \
	X(faccessat2, "fsox", SYS_FULL, NULL)                                                    \
	X(chmod, "so", SYS_FULL, NULL)                                                            \
	X(fchmod, "fo", SYS_FULL, NULL)                                                           \
	X(fchmodat, "fso", SYS_FULL, NULL)                                                        \
	X(chown, "sii", SYS_FULL, NULL)                                                           \
	X(fchown, "fii", SYS_FULL, NULL)                                                          \
	X(lchown, "sii", SYS_FULL, NULL)                                                          \
	X(fchownat, "fsiix", SYS_FULL, NULL)                                                      \
	X(utimensat, "fspx", SYS_FULL, NULL)                                                      \
	X(utimes, "sp", SYS_FULL, NULL)                                                          \
	X(futimesat, "fsp", SYS_FULL, NULL)                                                      \
	X(utime, "sp", SYS_FULL, NULL)                                                           \
	X(chdir, "s", SYS_FULL, NULL)                                                             \
	X(fchdir, "f", SYS_FULL, NULL)                                                            \
	X(getcwd, "pu", SYS_FULL, NULL)                                                           \
	X(chroot, "s", SYS_FULL, NULL)                                                           \
	X(statfs, "sp", SYS_PARTIAL, "sizes are the sandbox's memory (tmpfs-like) for every filesystem") \
	X(fstatfs, "fp", SYS_PARTIAL, "as statfs")                                               \
	X(fallocate, "fiii", SYS_PARTIAL, "modes 0, KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE (written as zeros)") \
	X(sync, "", SYS_FULL, NULL)                                                              \
	X(syncfs, "f", SYS_FULL, NULL)                                                           \
	X(readahead, "fiu", SYS_FULL, NULL)                                                      \
	X(fadvise64, "fiii", SYS_FULL, NULL)                                                     \
	X(sync_file_range, "fiix", SYS_FULL, NULL)                                               \
	/* pipes, eventfd, readiness (fs/pipe.c, fs/eventfd.c, fs/poll.c) */                      \
	X(pipe, "p", SYS_FULL, NULL)                                                              \
	X(pipe2, "px", SYS_PARTIAL, "O_DIRECT accepted, no packet mode") \
	X(eventfd, "u", SYS_FULL, NULL)                                                           \
	X(eventfd2, "ux", SYS_FULL, NULL)                                                         \
	X(poll, "pui", SYS_FULL, NULL)                                                            \
	X(ppoll, "pupxu", SYS_PARTIAL, "mask applies during the wait; no saved_sigmask for handlers") \
	X(select, "ipppp", SYS_FULL, NULL)                                                        \
	X(pselect6, "ippppp", SYS_PARTIAL, "mask applies during the wait; no saved_sigmask for handlers") \
	X(epoll_create, "i", SYS_FULL, NULL)                                                      \
	X(epoll_create1, "x", SYS_FULL, NULL)                                                     \
	X(epoll_ctl, "fifp", SYS_PARTIAL, "no nested epoll (EINVAL); EPOLLET edges are queue wakes") \
	X(epoll_wait, "fpii", SYS_FULL, NULL)              \
	X(epoll_pwait, "fpiipu", SYS_PARTIAL, "as epoll_wait; mask applies during the wait only") \
	X(umask, "o", SYS_FULL, NULL)                                                             \
	X(mount, "sssup", SYS_PARTIAL, "tmpfs (mode=, uid=, gid=) and bind mounts of guest paths, MS_RDONLY remount, propagation flags accepted; MS_REC binds copy submounts; other types EPERM") \
	X(umount2, "si", SYS_PARTIAL, "EBUSY while in use unless MNT_DETACH (which takes submounts along); MNT_EXPIRE always EAGAIN") \
	X(getxattr, "sspu", SYS_PARTIAL, "user/trusted/security on tmpfs, the overlay and the gofer (regular files and directories; trusted.* not visible through the gofer); system.* (ACLs) EOPNOTSUPP") \
	X(lgetxattr, "sspu", SYS_PARTIAL, "user/trusted/security on tmpfs, the overlay and the gofer (regular files and directories; trusted.* not visible through the gofer); system.* (ACLs) EOPNOTSUPP") \
	X(fgetxattr, "fspu", SYS_PARTIAL, "user/trusted/security on tmpfs, the overlay and the gofer (regular files and directories; trusted.* not visible through the gofer); system.* (ACLs) EOPNOTSUPP") \
	X(listxattr, "spu", SYS_PARTIAL, "user/trusted/security on tmpfs, the overlay and the gofer (regular files and directories; trusted.* not visible through the gofer); system.* (ACLs) EOPNOTSUPP") \
	X(llistxattr, "spu", SYS_PARTIAL, "user/trusted/security on tmpfs, the overlay and the gofer (regular files and directories; trusted.* not visible through the gofer); system.* (ACLs) EOPNOTSUPP") \
	X(flistxattr, "fpu", SYS_PARTIAL, "user/trusted/security on tmpfs, the overlay and the gofer (regular files and directories; trusted.* not visible through the gofer); system.* (ACLs) EOPNOTSUPP") \
	X(setxattr, "spui", SYS_PARTIAL, "user/trusted/security on tmpfs, the overlay and the gofer (regular files and directories; trusted.* not visible through the gofer); system.* (ACLs) EOPNOTSUPP") \
	X(lsetxattr, "spui", SYS_PARTIAL, "user/trusted/security on tmpfs, the overlay and the gofer (regular files and directories; trusted.* not visible through the gofer); system.* (ACLs) EOPNOTSUPP") \
	X(fsetxattr, "fspui", SYS_PARTIAL, "user/trusted/security on tmpfs, the overlay and the gofer (regular files and directories; trusted.* not visible through the gofer); system.* (ACLs) EOPNOTSUPP") \
	X(removexattr, "ss", SYS_PARTIAL, "user/trusted/security on tmpfs, the overlay and the gofer (regular files and directories; trusted.* not visible through the gofer); system.* (ACLs) EOPNOTSUPP") \
	X(lremovexattr, "ss", SYS_PARTIAL, "user/trusted/security on tmpfs, the overlay and the gofer (regular files and directories; trusted.* not visible through the gofer); system.* (ACLs) EOPNOTSUPP") \
	X(fremovexattr, "fs", SYS_PARTIAL, "user/trusted/security on tmpfs, the overlay and the gofer (regular files and directories; trusted.* not visible through the gofer); system.* (ACLs) EOPNOTSUPP") \
	/* sockets (sentry/socket/): AF_UNIX inside the Sentry; other families EAFNOSUPPORT */    \
	X(socket, "iii", SYS_PARTIAL, "AF_UNIX stream/dgram/seqpacket; other families EAFNOSUPPORT") \
	X(socketpair, "iiip", SYS_PARTIAL, "AF_UNIX only")                                        \
	X(bind, "fau", SYS_PARTIAL, "AF_UNIX: path names (socket inodes in the VFS), abstract names, autobind") \
	X(listen, "fi", SYS_FULL, NULL)                                                           \
	X(accept, "fpp", SYS_FULL, NULL)                                                          \
	X(accept4, "fppx", SYS_FULL, NULL)                                                        \
	X(connect, "fau", SYS_PARTIAL, "AF_UNIX; blocking connect waits for backlog room")        \
	X(getsockname, "fpp", SYS_FULL, NULL)                                                     \
	X(getpeername, "fpp", SYS_FULL, NULL)                                                     \
	X(sendto, "fbuxau", SYS_PARTIAL, "no MSG_OOB")                                            \
	X(recvfrom, "fBuxpp", SYS_PARTIAL, "no MSG_OOB, MSG_ERRQUEUE")                            \
	X(sendmsg, "fpx", SYS_PARTIAL, "SCM_RIGHTS, SCM_CREDENTIALS; a send that would make an in-flight fd cycle fails ETOOMANYREFS (Linux collects cycles)") \
	X(recvmsg, "fpx", SYS_PARTIAL, "SCM_RIGHTS (MSG_CMSG_CLOEXEC, MSG_CTRUNC), SCM_CREDENTIALS; no MSG_OOB/ERRQUEUE") \
	X(sendmmsg, "fpux", SYS_PARTIAL, "as sendmsg")                                            \
	X(recvmmsg, "fpuxp", SYS_PARTIAL, "as recvmsg; the timeout is checked between messages")  \
	X(shutdown, "fi", SYS_FULL, NULL)                                                         \
	X(getsockopt, "fiipp", SYS_PARTIAL, "SOL_SOCKET: SO_TYPE/DOMAIN/PROTOCOL/ERROR/PEERCRED/SNDBUF/RCVBUF/PASSCRED/ACCEPTCONN/RCVTIMEO/SNDTIMEO and inert ones") \
	X(setsockopt, "fiipi", SYS_PARTIAL, "SOL_SOCKET: SO_SNDBUF/RCVBUF/PASSCRED/RCVTIMEO/SNDTIMEO; SO_REUSEADDR, SO_KEEPALIVE, SO_LINGER... accepted") \
	/* memory */                                                                             \
	X(brk, "p", SYS_FULL, NULL)                                                              \
	X(mmap, "puxxfx", SYS_PARTIAL, "files through the page cache (tmpfs, memfd, gofer, overlay)") \
	X(munmap, "pu", SYS_FULL, NULL)                                                          \
	X(msync, "pux", SYS_FULL, NULL)                                                          \
	X(mincore, "pup", SYS_PARTIAL, "resident = backed in this address space")               \
	X(memfd_create, "sx", SYS_PARTIAL, "tmpfs file; seals on write, truncate, new shared mappings (F_ADD_SEALS ignores existing ones)") \
	X(mprotect, "pux", SYS_FULL, NULL)                                                       \
	X(mremap, "puuxp", SYS_FULL, NULL)                                                       \
	X(madvise, "pui", SYS_PARTIAL, "DONTNEED/FREE drop pages; others accepted")              \
	X(mlock, "pu", SYS_PARTIAL, "accepted, no effect")                                       \
	X(munlock, "pu", SYS_PARTIAL, "accepted, no effect")                                     \
	X(mlockall, "x", SYS_PARTIAL, "accepted, no effect")                                     \
	X(munlockall, "", SYS_PARTIAL, "accepted, no effect")                                    \
	/* tasks and identity */                                                                 \
	X(exit, "i", SYS_FULL, NULL)                            \
	X(exit_group, "i", SYS_FULL, NULL)                                                       \
	/* processes (sentry/kernel/process.c, exec.c) */                                       \
	X(fork, "", SYS_FULL, NULL)                                                              \
	X(vfork, "", SYS_FULL, NULL) \
	X(clone, "xpppx", SYS_PARTIAL, "namespaces: EINVAL; CLONE_SIGHAND without CLONE_THREAD copies handlers") \
	X(clone3, "pu", SYS_PARTIAL, "as clone; no set_tid, pidfd or cgroup")                    \
	X(execve, "spp", SYS_PARTIAL, "ELF and one level of #! scripts")                         \
	X(execveat, "fsppx", SYS_FULL, NULL)                                                     \
	X(wait4, "ipxp", SYS_PARTIAL, "rusage zeroed")            \
	X(waitid, "iipxp", SYS_PARTIAL, "rusage zeroed") \
	X(setpgid, "ii", SYS_FULL, NULL)                                                         \
	X(pidfd_open, "ix", SYS_FULL, NULL)                                                      \
	X(pidfd_send_signal, "fipx", SYS_PARTIAL, "no caller-supplied siginfo (EINVAL)")        \
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
	X(getgroups, "ip", SYS_FULL, NULL)                                                       \
	/* System V IPC (sentry/kernel/sysv.c) */                                                \
	X(msgget, "ix", SYS_FULL, NULL)                                                          \
	X(msgsnd, "ipux", SYS_FULL, NULL)                                                        \
	X(msgrcv, "ipuix", SYS_PARTIAL, "no MSG_COPY")                                           \
	X(msgctl, "iip", SYS_FULL, NULL)                                                         \
	X(semget, "iix", SYS_FULL, NULL)                                                         \
	X(semop, "ipu", SYS_FULL, NULL)                                                          \
	X(semtimedop, "ipup", SYS_FULL, NULL)                                                    \
	X(semctl, "iiix", SYS_PARTIAL, "GETNCNT/GETZCNT report 0")                              \
	X(shmget, "iux", SYS_FULL, NULL)                                                         \
	X(shmat, "ipx", SYS_FULL, NULL)                                                          \
	X(shmdt, "p", SYS_FULL, NULL)                                                            \
	X(shmctl, "iip", SYS_PARTIAL, "SHM_LOCK/UNLOCK accepted (no swapping here)")             \
	/* POSIX message queues (fs/mqueue.c) */                                                  \
	X(mq_open, "sxop", SYS_FULL, NULL)                                                       \
	X(mq_unlink, "s", SYS_FULL, NULL)                                                        \
	X(mq_timedsend, "fpuup", SYS_FULL, NULL)                                                 \
	X(mq_timedreceive, "fpupp", SYS_FULL, NULL)                                              \
	X(mq_notify, "fp", SYS_PARTIAL, "SIGEV_NONE and SIGEV_SIGNAL (glibc's SIGEV_THREAD needs netlink)") \
	X(mq_getsetattr, "fpp", SYS_FULL, NULL)                                                  \
	/* credentials (sentry/kernel/creds.c) */                                                \
	X(setuid, "i", SYS_FULL, NULL)                                                           \
	X(setgid, "i", SYS_FULL, NULL)                                                           \
	X(setreuid, "ii", SYS_FULL, NULL)                                                        \
	X(setregid, "ii", SYS_FULL, NULL)                                                        \
	X(setresuid, "iii", SYS_FULL, NULL)                                                      \
	X(setresgid, "iii", SYS_FULL, NULL)                                                      \
	X(setfsuid, "i", SYS_FULL, NULL)                                                         \
	X(setfsgid, "i", SYS_FULL, NULL)                                                         \
	X(setgroups, "ip", SYS_PARTIAL, "at most 256 groups per task (ENOMEM beyond)")           \
	X(capget, "pp", SYS_FULL, NULL)                                                          \
	X(capset, "pp", SYS_PARTIAL, "own thread only; no securebits")                           \
	X(getpgrp, "", SYS_FULL, NULL)                                                           \
	X(getpgid, "i", SYS_FULL, NULL)                                                                     \
	X(getsid, "i", SYS_FULL, NULL)                                                                      \
	X(futex, "pxupux", SYS_PARTIAL, "no priority inheritance (PI ops hand the lock over in FIFO order)") \
	X(set_tid_address, "p", SYS_FULL, NULL)                                                  \
	X(set_robust_list, "pu", SYS_FULL, NULL)               \
	X(get_robust_list, "ipp", SYS_PARTIAL, "own thread only")                                             \
	X(rseq, "puxx", SYS_NONE, "ENOSYS: glibc falls back")                                    \
	X(arch_prctl, "xp", SYS_PARTIAL, "ARCH_SET/GET_FS/GS")                                   \
	X(prctl, "ixxxx", SYS_PARTIAL, "names, dumpable, no_new_privs, pdeathsig, subreaper, keepcaps, capability sets, timerslack; PR_SET_SECCOMP: EINVAL")     \
	X(uname, "p", SYS_FULL, NULL)                                                            \
	X(sysinfo, "p", SYS_FULL, NULL)                                                          \
	X(sethostname, "su", SYS_FULL, "in the caller's UTS namespace")                           \
	X(setdomainname, "su", SYS_FULL, "in the caller's UTS namespace")                         \
	X(getrlimit, "ip", SYS_FULL, NULL)                                                       \
	X(setrlimit, "ip", SYS_FULL, NULL)                                                       \
	X(prlimit64, "iipp", SYS_PARTIAL, "own process only")                                    \
	X(getrusage, "ip", SYS_PARTIAL, "utime (guest) and stime (Sentry thread CPU); other fields 0") \
	X(times, "p", SYS_PARTIAL, "as getrusage")                                               \
	X(getpriority, "ii", SYS_FULL, NULL)                                                     \
	X(setpriority, "iii", SYS_PARTIAL, "recorded and reported; the host schedules")         \
	X(sched_setscheduler, "iip", SYS_PARTIAL, "recorded and reported; the host schedules")  \
	X(sched_getscheduler, "i", SYS_FULL, NULL)                                               \
	X(sched_setparam, "ip", SYS_PARTIAL, "recorded and reported; the host schedules")       \
	X(sched_getparam, "ip", SYS_FULL, NULL)                                                  \
	X(sched_get_priority_max, "i", SYS_FULL, NULL)                                           \
	X(sched_get_priority_min, "i", SYS_FULL, NULL)                                           \
	X(sched_rr_get_interval, "ip", SYS_FULL, NULL)                                           \
	X(getcpu, "ppp", SYS_FULL, NULL)                                                         \
	X(personality, "x", SYS_PARTIAL, "recorded; no flag changes behaviour")                 \
	X(unshare, "x", SYS_PARTIAL, "CLONE_FILES, CLONE_FS, CLONE_NEWUTS; other namespaces: EPERM/EINVAL") \
	X(getrandom, "Bux", SYS_FULL, NULL)                                                      \
	X(sched_yield, "", SYS_FULL, NULL)                                                       \
	X(sched_getaffinity, "iup", SYS_FULL, NULL)                                              \
	X(sched_setaffinity, "iup", SYS_PARTIAL, "accepted, no effect")                         \
	/* time */                                                                               \
	X(clock_gettime, "ip", SYS_FULL, NULL)                                                   \
	X(clock_getres, "ip", SYS_FULL, NULL)                                                    \
	X(gettimeofday, "pp", SYS_FULL, NULL)                                                    \
	X(time, "p", SYS_FULL, NULL)                                                             \
	X(nanosleep, "pp", SYS_FULL, NULL)                                                       \
	X(clock_nanosleep, "ixpp", SYS_PARTIAL, "process CPU clock looked at every 5 ms")        \
	/* timers (sentry/kernel/timer.c, ptimer.c, cputimer.c; fs/timerfd.c) */                 \
	X(alarm, "u", SYS_FULL, NULL)                                                            \
	X(getitimer, "ip", SYS_FULL, NULL)                                                       \
	X(setitimer, "ipp", SYS_PARTIAL, "VIRTUAL/PROF: CPU time sampled every 5 ms")            \
	X(timer_create, "ipp", SYS_PARTIAL, "CPU-time clocks: the process's, sampled every 5 ms") \
	X(timer_settime, "ixpp", SYS_FULL, NULL)                                                 \
	X(timer_gettime, "ip", SYS_FULL, NULL)                                                   \
	X(timer_getoverrun, "i", SYS_FULL, NULL)                                                 \
	X(timer_delete, "i", SYS_FULL, NULL)                                                     \
	X(timerfd_create, "ix", SYS_FULL, NULL)                                                  \
	X(timerfd_settime, "fxpp", SYS_PARTIAL, "TFD_TIMER_CANCEL_ON_SET accepted, no effect (the clock cannot be set)") \
	X(timerfd_gettime, "fp", SYS_FULL, NULL)                                                 \
	/* signals: dispositions, masks, handler frames, stops, queued RT signals */             \
	X(rt_sigaction, "ippu", SYS_FULL, NULL)                                                  \
	X(rt_sigprocmask, "ippu", SYS_FULL, NULL)                                                \
	X(rt_sigreturn, "", SYS_FULL, NULL)                                                      \
	X(restart_syscall, "", SYS_FULL, NULL)                                                   \
	X(rt_sigpending, "pu", SYS_FULL, NULL)                                                   \
	X(sigaltstack, "pp", SYS_FULL, NULL)                                                     \
	X(kill, "ii", SYS_FULL, NULL)                             \
	X(tgkill, "iii", SYS_FULL, NULL)                          \
	X(tkill, "ii", SYS_FULL, NULL) \
	/* waiting for signals (sentry/syscalls/sys_sigwait.c, fs/signalfd.c) */                  \
	X(pause, "", SYS_FULL, NULL)                                                             \
	X(rt_sigsuspend, "pu", SYS_FULL, NULL)                                                   \
	X(rt_sigtimedwait, "pppu", SYS_FULL, NULL)                                              \
	X(rt_sigqueueinfo, "iip", SYS_PARTIAL, "one queued instance per real-time signal")       \
	X(rt_tgsigqueueinfo, "iiip", SYS_PARTIAL, "one queued instance per real-time signal")    \
	X(signalfd, "fpu", SYS_FULL, NULL)                                                       \
	X(signalfd4, "fpux", SYS_FULL, NULL)

#define DECLARE_SYS(name, args, support, note) long sys_##name(struct task *t, const struct syscall_args *a);
SYSCALL_LIST(DECLARE_SYS)
#undef DECLARE_SYS

/* Argument helpers. */
#define ARG_INT(i) ((int)a->a[i])
#define ARG_U(i) (a->a[i])

#endif
