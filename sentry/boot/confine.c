// SPDX-License-Identifier: Apache-2.0
/*
 * Confining the Sentry (DESIGN.md §1, §11.1), the way gVisor confines its sandbox process:
 *
 *   front end (not confined)          boot_confine_prepare: a new pid namespace for its next
 *     │                               child (and first a user namespace when it may not make
 *     │ fork                          one directly: not root)
 *     ▼
 *   the Sentry, pid 1 of its pid ns   boot_confine_enter: a session of its own, new mnt, ipc,
 *                                     uts and net namespaces, root pivoted to an empty
 *                                     read-only tmpfs, every capability dropped (bounding set
 *                                     too), no_new_privs;
 *                                     boot_run then opens everything it needs (memory file,
 *                                     platform, stubs' zygote, gofer sockets, stdio) and calls
 *                                     boot_confine_seccomp just before the guest runs: the
 *                                     allowlist of sentry/boot/seccomp.c on every thread.
 *
 * The Sentry never opens a host path after boot_confine_enter: what it needs comes as fds
 * (stdio, the program, gofer sockets, the debug log) or needs no path (memfd, pipes).
 */
#include "sentry/boot/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/caps.h"
#include "lib/compiler.h"
#include "lib/log.h"

/* Write @text to @path (user-namespace id maps, while the host's /proc is still there). */
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

/* A user namespace mapping only our own ids: files keep their owners, nothing is gained. */
static int enter_userns(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];

	if (unshare(CLONE_NEWUSER) < 0)
		return -errno;
	snprintf(map, sizeof(map), "%u %u 1", uid, uid);
	if (write_file("/proc/self/uid_map", map) < 0 ||
	    write_file("/proc/self/setgroups", "deny") < 0)
		return -EPERM;
	snprintf(map, sizeof(map), "%u %u 1", gid, gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		return -EPERM;
	return 0;
}

/* The front end's own pid namespace, to go back to once the Sentry is forked. */
static int host_pidns = -1;

int boot_confine_prepare(char *err, size_t errlen)
{
	int r = 0;

	host_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	/* Root makes the pid namespace directly (and keeps its host uid); anyone else, or a
	 * root without CAP_SYS_ADMIN, first enters a user namespace of its own. */
	if (unshare(CLONE_NEWPID) == 0)
		return 0;
	if (errno != EPERM) {
		r = -errno;
		goto fail;
	}
	r = enter_userns();
	if (r < 0)
		goto fail;
	if (unshare(CLONE_NEWPID) < 0) {
		r = -errno;
		goto fail;
	}
	return 0;
fail:
	boot_confine_forked();
	snprintf(err, errlen, "cannot create the Sentry's namespaces: %s (--unsafe-nosandbox runs "
		 "it unconfined)", strerror(-r));
	return r;
}

void boot_confine_forked(void)
{
	/*
	 * Later children of the front end (LeakSanitizer's tracer at exit, say) belong in its
	 * own pid namespace, not the Sentry's, which dies with it. Needs CAP_SYS_ADMIN over
	 * the host's: in a user namespace of our own this fails and they stay in the Sentry's.
	 */
	if (host_pidns >= 0) {
		if (setns(host_pidns, CLONE_NEWPID) < 0)
			log_debug("confine: cannot return to the host's pid namespace: %s",
				  strerror(errno));
		close(host_pidns);
		host_pidns = -1;
	}
}

/*
 * The root: an empty read-only tmpfs. pivot_root(".", ".") then detaching the old root
 * leaves no path to any host file; the mount point is any existing directory (only this
 * namespace sees the tmpfs on it).
 */
static __attribute__((unused)) int pivot_to_empty(void)
{
	const char *at = access("/tmp", F_OK) == 0 ? "/tmp" : "/";

	if (mount("sentry-root", at, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,nr_inodes=2,mode=0555") < 0)
		return -errno;
	if (chdir(at) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
		  MS_NOEXEC, NULL) < 0)
		return -errno;
	return 0;
}

int boot_confine_enter(const struct boot_confine *cf, char *err, size_t errlen)
{
	const char *what;
	int r;

	/*
	 * A session of its own: the caller's terminal signals (^C) reach the front end alone,
	 * which forwards each once; the tty stays usable through the fds (not our ctty).
	 */
	what = "setsid";
	if (setsid() < 0)
		goto fail_errno;
	/*
	 * glibc's malloc counts CPUs (reading /sys) when threads need a ninth arena; set its
	 * default limit (8 per CPU) now, while /sys is still there.
	 */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	mallopt(M_ARENA_MAX, 8 * (int)(ncpu > 0 ? ncpu : 1));
	what = "namespaces";
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET) < 0)
		goto fail_errno;
	what = "mount propagation";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		goto fail_errno;
#if defined(__SANITIZE_ADDRESS__)
	/*
	 * SAN builds keep the host's files: LeakSanitizer reads /proc/self/maps and attaches to
	 * the threads it lists, so /proc must be one of this pid namespace.
	 */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		log_warn("confine: cannot mount /proc for the sanitizer: %s", strerror(errno));
#else
	what = "pivot_root to an empty directory";
	r = pivot_to_empty();
	if (r < 0)
		goto fail;
#endif
	what = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail_errno;
	what = "dropping capabilities";
	/* None is needed: stubs are our own children (ptrace needs no CAP_SYS_PTRACE). */
	r = caps_drop_except(NULL, 0);
	if (r < 0)
		goto fail;
	return 0;
fail_errno:
	r = -errno;
fail:
	snprintf(err, errlen, "cannot confine the Sentry: %s: %s", what, strerror(-r));
	return r;
}
