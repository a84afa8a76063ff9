/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Booting a sandbox: from a configuration and the fds it was handed to a platform, a
 * kernel, the init task with its program loaded, and its run to completion.
 */
#ifndef SBX_SENTRY_BOOT_BOOT_H
#define SBX_SENTRY_BOOT_BOOT_H

#include <stdbool.h>
#include <stddef.h>

struct boot_config {
	const char *platform;     /* platform name; NULL for the default */
	const char *exe_name;     /* the program as the user named it (argv[0], messages) */
	int exe_fd;               /* open host fd of the executable (until the gofer serves files) */
	char *const *argv;        /* guest argv, NULL-terminated */
	char *const *envp;        /* guest environment */
	bool strace;              /* print every guest syscall on stderr */
	size_t dentry_cache;      /* the dentry cache's high-water mark; 0: the default */
	/*
	 * A terminal (`run -t`): the init's stdio and controlling terminal is a pty in the
	 * Sentry (/dev/pts/0) relayed to the caller's fds 0 and 1 (fs/tty/console.c); the
	 * caller puts its own terminal in raw mode. false: the caller's stdio as host files.
	 */
	bool tty;
	/*
	 * The root filesystem through a gofer: @gofer_fd is the Sentry's end of a connected
	 * socket to a gofer serving the host's "/" (or --rootfs DIR) read-only (ownership moves
	 * to boot_run), or -1 for the old tmpfs root. With @overlay a tmpfs upper layer makes
	 * it writable (fs/overlay); without, writes get EROFS. With a gofer, the program is
	 * opened through the guest VFS at @exe_path (relative to @cwd; a name without '/' is
	 * searched in @path_env, the guest's $PATH), never through @exe_fd, and the guest's cwd
	 * is @cwd if it exists in the guest, else "/" (@cwd_create: make it, or fail).
	 */
	int gofer_fd;
	bool overlay;
	const char *exe_path;
	const char *path_env;
	const char *cwd;
	bool cwd_create;
	/* Extra mounts, in order (--volume, --tmpfs). */
	const struct boot_mount *mounts;
	size_t nmounts;
	/*
	 * Confinement (sentry/boot/confine.c): non-NULL in a Sentry that boot_confine_enter
	 * has confined; boot_run then installs the seccomp allowlist (boot_confine_seccomp)
	 * once everything is open, just before the guest runs.
	 */
	const struct boot_confine *confine;
};

/*
 * struct boot_mount - a volume: the directory a gofer serves on @gofer_fd (ownership moves
 * to boot_run), or a tmpfs when @gofer_fd is -1, mounted at absolute guest path @guest
 * (created in the guest if missing and the root is writable).
 */
struct boot_mount {
	const char *guest;
	int gofer_fd;
	bool readonly;
};

#define BOOT_DEFAULT_PLATFORM "systrap"

/* What the Sentry's seccomp filter does with a call outside its allowlist. */
enum boot_seccomp_mode {
	BOOT_SECCOMP_KILL, /* kill the Sentry (SIGSYS): the default */
	BOOT_SECCOMP_TRAP, /* --debug-seccomp: print the call on stderr, fail it with ENOSYS */
	BOOT_SECCOMP_LOG,  /* --debug-seccomp=log: let it run, the kernel logs it (dmesg) */
};

struct boot_confine {
	const char *platform; /* the platform's name: the ptrace one needs more */
	enum boot_seccomp_mode seccomp;
};

/*
 * boot_confine_prepare - in the front end, before it forks the Sentry: its next child is
 * pid 1 of a new pid namespace (the front end first enters a user namespace mapping only
 * its own ids if it cannot otherwise: not root). Single-threaded callers only.
 * 0, or -errno with a one-line reason in @err.
 */
int boot_confine_prepare(char *err, size_t errlen);

/*
 * boot_confine_forked - in the front end once the Sentry is forked (or the fork failed):
 * its later children go back to its own pid namespace (when it may: root).
 */
void boot_confine_forked(void);

/*
 * boot_confine_enter - first thing in the Sentry process (forked after
 * boot_confine_prepare, before it has threads): a session of its own, new mnt, ipc, uts
 * and net namespaces, its root pivoted to an empty read-only tmpfs (SAN builds keep the
 * host's files, with a /proc of its own), no_new_privs, every capability dropped (the
 * bounding set too). From here on it opens no host path: everything comes as fds. 0, or -errno with a one-line reason in @err.
 */
int boot_confine_enter(const struct boot_confine *cf, char *err, size_t errlen);

/*
 * boot_confine_seccomp - install the Sentry's seccomp allowlist (sentry/boot/seccomp.c) on
 * every thread of the calling process; calls outside it kill the process (SIGSYS), or
 * are reported per @cf->seccomp. 0 or -errno.
 */
int boot_confine_seccomp(const struct boot_confine *cf);

/* boot_seccomp_allowlist_size - how many syscalls the filter for @cf allows (docs, tests). */
size_t boot_seccomp_allowlist_size(const struct boot_confine *cf);

/*
 * boot_run - run the sandbox until its init exits. On success returns 0 with *wait_status
 * the init's wait status (as waitpid reports it). On failure returns -errno and writes a
 * one-line reason (without the program name) into @err.
 */
int boot_run(const struct boot_config *c, int *wait_status, char *err, size_t errlen);

#endif
