/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's /dev (fs/dev/): a tmpfs holding Linux's standard device nodes, with devpts on
 * /dev/pts and a tmpfs on /dev/shm. Terminals behind /dev/ptmx, /dev/pts/N, /dev/tty and
 * /dev/console are fs/tty/.
 */
#ifndef SBX_FS_DEV_DEV_H
#define SBX_FS_DEV_DEV_H

#include "fs/vfs.h"

/*
 * devfs_mount - mount the device filesystem on "/dev" of the namespace rooted at @root
 * (creating the directory when the root is writable and lacks it), devpts on /dev/pts and
 * a tmpfs (1777) on /dev/shm. Nodes: null zero full random urandom tty console ptmx
 * (character devices with Linux's numbers and modes), fd stdin stdout stderr (symlinks into
 * /proc/self/fd). 0 or -errno; 0 without devices when a read-only root has no /dev.
 */
int devfs_mount(struct mount *root);

#endif
