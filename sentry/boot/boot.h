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

/*
 * boot_run - run the sandbox until its init exits. On success returns 0 with *wait_status
 * the init's wait status (as waitpid reports it). On failure returns -errno and writes a
 * one-line reason (without the program name) into @err.
 */
int boot_run(const struct boot_config *c, int *wait_status, char *err, size_t errlen);

#endif
