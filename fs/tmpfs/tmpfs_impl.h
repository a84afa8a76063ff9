/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to fs/tmpfs: the inode type shared by the directory and file halves. */
#ifndef SBX_FS_TMPFS_TMPFS_IMPL_H
#define SBX_FS_TMPFS_TMPFS_IMPL_H

#include "fs/vfs.h"
#include "lib/compiler.h"

/*
 * struct tmpfs_inode - a tmpfs file. Regular file contents are the pages of the inode's
 * page cache (base.pagecache, memory-file pages): absent pages are holes of zeros, so
 * truncate() up is sparse, and file mappings share the very pages read(2) and write(2) use.
 * Invariant: bytes past the size are zero. Directories keep no data: their dentries in the
 * tree are the directory.
 */
struct tmpfs_inode {
	struct inode base;
	char *target;   /* symlinks: immutable */
	int seals;      /* F_SEAL_*; protected by base.mu (plain tmpfs files: F_SEAL_SEAL) */
	struct simple_xattrs xattrs; /* protected by base.mu */
};

/* tmpfs_seal_check - may a change from @old_size to @new_size (@write: data) happen? */
int tmpfs_seal_check(struct tmpfs_inode *ti, int64_t old_size, int64_t new_size, bool write);

#define to_tmpfs(ino) container_of(ino, struct tmpfs_inode, base)

/* Largest file tmpfs holds: writes past it get -ENOSPC (a size= mount limit). */
#define TMPFS_MAX_BUFFER (1ULL << 34)

/* tmpfs_release - free a tmpfs inode (the inode_ops release of every type). */
void tmpfs_release(struct inode *ino);

/* fs/tmpfs/xattr.c: the xattr inode ops of every tmpfs inode. */
ssize_t tmpfs_getxattr(struct inode *ino, const char *name, void *buf, size_t size);
ssize_t tmpfs_listxattr(struct inode *ino, char *buf, size_t size);
int tmpfs_setxattr(struct inode *ino, const char *name, const void *value, size_t size,
		   int flags);
int tmpfs_removexattr(struct inode *ino, const char *name);
#define TMPFS_XATTR_OPS                                                                      \
	.getxattr = tmpfs_getxattr, .listxattr = tmpfs_listxattr, .setxattr = tmpfs_setxattr, \
	.removexattr = tmpfs_removexattr

extern const struct inode_ops tmpfs_dir_iops, tmpfs_file_iops, tmpfs_symlink_iops;
extern const struct file_ops tmpfs_dir_fops, tmpfs_file_fops;

#endif
