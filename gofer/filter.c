// SPDX-License-Identifier: Apache-2.0
/*
 * Gofer confinement (DESIGN.md §8, §11): a mount namespace whose root is an empty,
 * read-only tmpfs (the served tree stays reachable only through the fds the gofer already
 * holds, so no absolute path or ".." chain leads anywhere), only the capabilities file work
 * needs, no_new_privs, and a seccomp allowlist of the syscalls the server makes.
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdbool.h>
#include <sys/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gofer/gofer_impl.h"
#include "lib/caps.h"
#include "lib/compiler.h"
#include "lib/log.h"

/* Capabilities the gofer keeps (when it has them): ownership and permission overrides for
 * serving a tree as its owners see it. No CAP_MKNOD: Tmknod makes only FIFOs and files. */
static const cap_value_t gofer_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID,
};

/*
 * Every syscall the gofer makes once serving: the handlers (ops*.c, fid.c), the loop (libev
 * epoll backend), logging (lib/log.c) and glibc's malloc. Some take argument filters below.
 */
static const int gofer_syscalls[] = {
	/* file work */
	SCMP_SYS(openat), SCMP_SYS(openat2), SCMP_SYS(close), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(fstatfs), SCMP_SYS(lseek),
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(sendto), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
	SCMP_SYS(sendmsg), /* replies carrying a donated fd (SCM_RIGHTS) */
	SCMP_SYS(getdents64), SCMP_SYS(fchmod), SCMP_SYS(fchownat), SCMP_SYS(fchown),
	SCMP_SYS(ftruncate), SCMP_SYS(utimensat), SCMP_SYS(mkdirat), SCMP_SYS(mknodat),
	SCMP_SYS(symlinkat), SCMP_SYS(linkat), SCMP_SYS(readlinkat), SCMP_SYS(unlinkat),
	SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(fgetxattr), SCMP_SYS(flistxattr), SCMP_SYS(fsetxattr), SCMP_SYS(fremovexattr),
	/* event loop and time */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	/* memory (mmap/mprotect: see below), process */
	SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise),
	SCMP_SYS(futex), SCMP_SYS(getrandom), SCMP_SYS(gettid), SCMP_SYS(getpid),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(restart_syscall),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* What the ASan/UBSan runtime adds (SAN=1 builds only; never in a release gofer). */
static const int gofer_san_syscalls[] = {
#if defined(__SANITIZE_ADDRESS__)
	SCMP_SYS(sigaltstack), SCMP_SYS(sched_yield), SCMP_SYS(rt_sigaction),
	SCMP_SYS(prctl), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),
#endif
	-1,
};

#define GOFER_SYS_FCHMODAT2 452	/* libseccomp 2.5 does not know it by name */

/* fcntl commands the gofer uses: dup an fd, get/set the status flags. */
static const int gofer_fcntl_cmds[] = { F_DUPFD_CLOEXEC, F_GETFL, F_SETFL, F_GETFD, F_SETFD };

static int confine_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int ret = 0;

	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(gofer_syscalls) && !ret; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, gofer_syscalls[i], 0);
	for (size_t i = 0; gofer_san_syscalls[i] >= 0 && !ret; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, gofer_san_syscalls[i], 0);
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, GOFER_SYS_FCHMODAT2, 0);
	/* No executable memory: the gofer never loads code after setup. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	for (size_t i = 0; i < ARRAY_SIZE(gofer_fcntl_cmds) && !ret; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
				       SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)gofer_fcntl_cmds[i]));
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	return ret;
}

/* Write @text to @path (for user-namespace id maps, before the root goes away). */
static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

/*
 * A private mount namespace rooted at an empty tmpfs. Root does it directly; anyone else
 * first enters a user namespace that maps only its own ids (files keep their owners; what
 * it could not do before, it still cannot do).
 */
static __attribute__((unused)) int confine_mountns(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char map[64];

	if (unshare(CLONE_NEWNS) < 0) {
		if (errno != EPERM || unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
			return -errno;
		snprintf(map, sizeof(map), "%u %u 1", uid, uid);
		if (write_file("/proc/self/uid_map", map) < 0 ||
		    write_file("/proc/self/setgroups", "deny") < 0)
			return -EPERM;
		snprintf(map, sizeof(map), "%u %u 1", gid, gid);
		if (write_file("/proc/self/gid_map", map) < 0)
			return -EPERM;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	/* Any existing directory serves as the mount point; it is only seen in our namespace. */
	const char *at = access("/tmp", F_OK) == 0 ? "/tmp" : "/";
	if (mount("gofer-root", at, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,nr_inodes=2,mode=0555") < 0)
		return -errno;
	/* pivot_root(".", ".") then detach the old root: no directory needs creating. */
	if (chdir(at) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return -errno;
	return 0;
}

int gofer_confine(void)
{
	int ret;

#if defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer reads /proc/self/maps at exit: SAN builds keep the host's root. */
	ret = 0;
#else
	ret = confine_mountns();
#endif
	if (ret < 0) {
		log_warn("gofer: mount namespace: %d", ret);
		return ret;
	}
	ret = caps_drop_except(gofer_caps, ARRAY_SIZE(gofer_caps));

	if (ret < 0) {
		log_warn("gofer: dropping capabilities: %d", ret);
		return ret;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	ret = confine_seccomp();
	if (ret < 0)
		log_warn("gofer: seccomp: %d", ret);
	return ret;
}
