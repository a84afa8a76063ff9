// SPDX-License-Identifier: Apache-2.0
/* Inodes: references, timestamps, generic getattr/setattr and DAC permission checks. */
#include "fs/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void inode_init(struct inode *ino, const struct inode_ops *ops, const struct file_ops *fops,
		struct super *sb, uint32_t mode, uint32_t uid, uint32_t gid)
{
	ino->ops = ops;
	ino->fops = fops;
	ino->sb = sb;
	refcount_inc(&sb->ref);
	refcount_init(&ino->ref);
	ino->ino = atomic_fetch_add(&sb->next_ino, 1);
	pthread_mutex_init(&ino->mu, NULL);
	ino->mode = mode;
	ino->nlink = S_ISDIR(mode) ? 2 : 1;
	ino->uid = uid;
	ino->gid = gid;
	ino->size = 0;
	ino->sock = NULL;
	ino->rdev = 0;
	ino->tmpfile = ino->tmpfile_nolink = false;
	inode_touch(ino, ATTR_ATIME | ATTR_MTIME | ATTR_CTIME);
}

void inode_get(struct inode *ino)
{
	refcount_inc(&ino->ref);
}

void inode_put(struct inode *ino)
{
	if (!refcount_dec(&ino->ref))
		return;
	struct super *sb = ino->sb;

	pthread_mutex_destroy(&ino->mu);
	ino->ops->release(ino);
	super_put(sb);
}

void super_put(struct super *sb)
{
	if (refcount_dec(&sb->ref))
		free(sb);
}

void inode_touch(struct inode *ino, unsigned int which)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (which & ATTR_ATIME)
		ino->atime = now;
	if (which & ATTR_MTIME)
		ino->mtime = now;
	if (which & ATTR_CTIME)
		ino->ctime = now;
}

/* Linux's generic_fillattr. Blocks are counted in 512-byte units over whole pages. */
static void generic_getattr(struct inode *ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = ino->sb->dev;
	st->st_ino = ino->ino;
	st->st_mode = ino->mode;
	st->st_nlink = ino->nlink;
	st->st_rdev = ino->rdev;
	st->st_uid = ino->uid;
	st->st_gid = ino->gid;
	st->st_size = ino->size;
	st->st_blksize = 4096;
	st->st_blocks = ((ino->size + 4095) / 4096) * 8;
	st->st_atim = ino->atime;
	st->st_mtim = ino->mtime;
	st->st_ctim = ino->ctime;
}

int vfs_getattr(struct inode *ino, struct stat *st)
{
	if (ino->ops->getattr)
		return ino->ops->getattr(ino, st);
	pthread_mutex_lock(&ino->mu);
	generic_getattr(ino, st);
	pthread_mutex_unlock(&ino->mu);
	return 0;
}

/* Linux's setattr_copy: size is the filesystem's business (it owns the data). */
static void generic_setattr(struct inode *ino, const struct iattr *ia)
{
	if (ia->valid & ATTR_MODE)
		ino->mode = (ino->mode & S_IFMT) | (ia->mode & 07777);
	if (ia->valid & ATTR_UID)
		ino->uid = ia->uid;
	if (ia->valid & ATTR_GID)
		ino->gid = ia->gid;
	if (ia->valid & ATTR_SIZE)
		ino->size = ia->size;
	if (ia->valid & ATTR_ATIME)
		ino->atime = ia->atime;
	if (ia->valid & ATTR_MTIME)
		ino->mtime = ia->mtime;
	inode_touch(ino, ATTR_CTIME);
}

int vfs_setattr(struct inode *ino, const struct iattr *ia)
{
	if (ino->ops->setattr)
		return ino->ops->setattr(ino, ia);
	if (ia->valid & ATTR_SIZE)
		return -EPERM;
	pthread_mutex_lock(&ino->mu);
	generic_setattr(ino, ia);
	pthread_mutex_unlock(&ino->mu);
	return 0;
}

void inode_setattr_copy(struct inode *ino, const struct iattr *ia)
{
	generic_setattr(ino, ia);
}

bool vfs_cred_in_group(const struct vfs_cred *cr, uint32_t gid)
{
	if (cr->gid == gid)
		return true;
	for (int i = 0; i < cr->ngroups; i++)
		if (cr->groups[i] == gid)
			return true;
	return false;
}

/*
 * Linux's generic_permission with capable(CAP_DAC_OVERRIDE) for uid 0: root may read and
 * write anything and search any directory, but executes a file only if some x bit is set.
 * The group bits apply to the file's group and to any of the caller's supplementary groups.
 */
int vfs_permission(const struct vfs_cred *cr, struct inode *ino, int mask)
{
	if (ino->ops && ino->ops->permission)
		return ino->ops->permission(cr, ino, mask);
	return vfs_generic_permission(cr, ino, mask);
}

int vfs_generic_permission(const struct vfs_cred *cr, struct inode *ino, int mask)
{
	uint32_t mode, uid, gid, bits;

	pthread_mutex_lock(&ino->mu);
	mode = ino->mode;
	uid = ino->uid;
	gid = ino->gid;
	pthread_mutex_unlock(&ino->mu);

	if (cr->uid == 0) {
		if (!(mask & MAY_EXEC) || S_ISDIR(mode) || (mode & 0111))
			return 0;
		return -EACCES;
	}
	if (cr->uid == uid)
		bits = (mode >> 6) & 7;
	else if (vfs_cred_in_group(cr, gid))
		bits = (mode >> 3) & 7;
	else
		bits = mode & 7;
	return (mask & ~(int)bits) ? -EACCES : 0;
}
