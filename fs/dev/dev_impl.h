/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to fs/dev: device inodes (a char device number on top of struct inode). */
#ifndef SBX_FS_DEV_DEV_IMPL_H
#define SBX_FS_DEV_DEV_IMPL_H

#include "fs/dev/dev.h"
#include "lib/compiler.h"

struct dev_inode {
	struct inode base;
	uint32_t major, minor;
	int index; /* devpts: the pty index; -1 elsewhere */
};

#define to_dev_inode(ino) container_of(ino, struct dev_inode, base)

/* dev_inode_new - a character device inode (mode S_IFCHR | @perm) on @sb with @fops. */
int dev_inode_new(struct super *sb, uint32_t perm, uint32_t uid, uint32_t gid,
		  uint32_t major, uint32_t minor, const struct file_ops *fops,
		  struct dev_inode **out);
extern const struct inode_ops dev_chr_iops;

/* fs/dev/mem.c: the memory devices, major 1. */
extern const struct file_ops dev_null_fops, dev_zero_fops, dev_full_fops, dev_random_fops;

#endif
