// SPDX-License-Identifier: Apache-2.0
/* tmpfs extended attributes: an in-memory list per inode under inode->mu (fs/xattr.c). */
#include "fs/tmpfs/tmpfs_impl.h"

ssize_t tmpfs_getxattr(struct inode *ino, const char *name, void *buf, size_t size)
{
	ssize_t r;

	pthread_mutex_lock(&ino->mu);
	r = simple_xattr_get(&to_tmpfs(ino)->xattrs, name, buf, size);
	pthread_mutex_unlock(&ino->mu);
	return r;
}

ssize_t tmpfs_listxattr(struct inode *ino, char *buf, size_t size)
{
	ssize_t r;

	pthread_mutex_lock(&ino->mu);
	r = simple_xattr_list(&to_tmpfs(ino)->xattrs, buf, size);
	pthread_mutex_unlock(&ino->mu);
	return r;
}

int tmpfs_setxattr(struct inode *ino, const char *name, const void *value, size_t size,
		   int flags)
{
	int r;

	pthread_mutex_lock(&ino->mu);
	r = simple_xattr_set(&to_tmpfs(ino)->xattrs, name, value, size, flags);
	pthread_mutex_unlock(&ino->mu);
	return r;
}

int tmpfs_removexattr(struct inode *ino, const char *name)
{
	int r;

	pthread_mutex_lock(&ino->mu);
	r = simple_xattr_remove(&to_tmpfs(ino)->xattrs, name);
	pthread_mutex_unlock(&ino->mu);
	return r;
}
