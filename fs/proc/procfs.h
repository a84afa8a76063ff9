/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Sentry's proc and sys filesystems (fs/proc/, fs/sys/): files generated from the
 * kernel's state through the "/proc support" accessors of sentry/kernel/kernel.h.
 */
#ifndef SBX_FS_PROC_PROCFS_H
#define SBX_FS_PROC_PROCFS_H

#include "fs/vfs.h"

struct kernel;

/*
 * procfs_mount_at / sysfs_mount_at - mount a proc (sys) filesystem of @k on @path of the
 * tree rooted at @root, creating the directory (0555) when it is missing and the root is
 * writable. 0 (also when there is no place for it), or -errno.
 */
int procfs_mount_at(struct kernel *k, struct mount *root, const char *path);
int sysfs_mount_at(struct kernel *k, struct mount *root, const char *path);

#endif
