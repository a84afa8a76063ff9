/* SPDX-License-Identifier: Apache-2.0 */
/* Opening programs through the guest VFS for the loader (boot and execve). */
#ifndef SBX_SENTRY_KERNEL_EXEC_H
#define SBX_SENTRY_KERNEL_EXEC_H

#include <stdbool.h>

#include "fs/vfs.h"
#include "sentry/loader/loader.h"

/*
 * exec_open - open @path (relative paths from @start) as a loader_file whose PT_INTERP
 * opens resolve from @root. -EACCES unless a regular file (and, with @need_exec, executable
 * for @cr); other errors from the lookup. @nofollow: a final symlink is -ELOOP.
 */
int exec_open(const struct vfs_cred *cr, const struct path *root, const struct path *start,
	      const char *path, bool need_exec, bool nofollow, struct loader_file *out);
/*
 * exec_exe_path - the path (from @root) of the file an exec_open'd @lf reads, malloc'd, or
 * NULL: what /proc/PID/exe shows.
 */
char *exec_exe_path(struct loader_file *lf, const struct path *root);

#endif
