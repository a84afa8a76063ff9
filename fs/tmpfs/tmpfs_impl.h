/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to fs/tmpfs: the inode type shared by the directory and file halves. */
#ifndef SBX_FS_TMPFS_TMPFS_IMPL_H
#define SBX_FS_TMPFS_TMPFS_IMPL_H

#include "fs/vfs.h"
#include "lib/compiler.h"

/*
 * struct tmpfs_inode - a tmpfs file. Regular file contents live in a growable heap buffer
 * @data of @cap bytes; bytes at or past @cap read as zero, so truncate() up is sparse.
 * Invariant: data[size..cap) is zero. TODO: take pages from the memory file instead (so
 * file mmap can share them and the container's memory limit counts them).
 * Directories keep no data: their dentries in the tree are the directory.
 */
struct tmpfs_inode {
	struct inode base;
	char *data;     /* protected by base.mu */
	size_t cap;     /* protected by base.mu */
	char *target;   /* symlinks: immutable */
};

#define to_tmpfs(ino) container_of(ino, struct tmpfs_inode, base)

/* Largest buffer tmpfs allocates: writes past it get -ENOSPC (a size= mount limit). */
#define TMPFS_MAX_BUFFER (1ULL << 34)

/* tmpfs_release - free a tmpfs inode (the inode_ops release of every type). */
void tmpfs_release(struct inode *ino);

extern const struct inode_ops tmpfs_dir_iops, tmpfs_file_iops, tmpfs_symlink_iops;
extern const struct file_ops tmpfs_dir_fops, tmpfs_file_fops;

#endif
