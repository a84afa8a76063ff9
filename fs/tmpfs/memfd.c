// SPDX-License-Identifier: Apache-2.0
/*
 * memfd_create(2): an unlinked regular file of a private tmpfs instance, and file seals
 * (F_ADD_SEALS / F_GET_SEALS) on tmpfs files.
 */
#include "fs/tmpfs/tmpfs_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#endif
#define SEALS_ALL (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

static pthread_mutex_t memfd_mu = PTHREAD_MUTEX_INITIALIZER;
static struct mount *memfd_mnt; /* memfd_mu; lives until the process exits */
static uint64_t memfd_seq;      /* memfd_mu */

int tmpfs_memfd_new(const struct vfs_cred *cr, const char *name, bool sealing, struct file **out)
{
	char path[VFS_NAME_MAX + 32];
	struct vfs_start s = { .cr = cr };
	struct dentry *root;
	int r = 0;

	pthread_mutex_lock(&memfd_mu);
	if (!memfd_mnt) {
		r = tmpfs_new_root(01777, 0, 0, &root);
		if (r == 0) {
			r = mount_new(root, NULL, NULL, &memfd_mnt);
			dentry_put(root);
		}
	}
	snprintf(path, sizeof(path), "/memfd:%.*s.%llu", VFS_NAME_MAX - 30, name,
		 (unsigned long long)memfd_seq++);
	if (r == 0)
		mount_get(memfd_mnt);
	pthread_mutex_unlock(&memfd_mu);
	if (r < 0)
		return r;
	s.root = s.start = (struct path){ memfd_mnt, memfd_mnt->root };
	r = vfs_open(&s, path, O_RDWR | O_CREAT | O_EXCL | VFS_O_LARGEFILE, 0777, out);
	if (r == 0) {
		struct inode *ino = file_inode(*out);

		vfs_unlink(&s, path);
		pthread_mutex_lock(&ino->mu);
		to_tmpfs(ino)->seals = sealing ? 0 : F_SEAL_SEAL;
		pthread_mutex_unlock(&ino->mu);
	}
	mount_put(memfd_mnt);
	return r;
}

long tmpfs_fcntl_seals(struct file *f, int cmd, unsigned int seals)
{
	struct inode *ino = file_inode(f);
	struct tmpfs_inode *ti;
	long r = 0;

	if (!ino || ino->fops != &tmpfs_file_fops)
		return -EINVAL;
	ti = to_tmpfs(ino);
	pthread_mutex_lock(&ino->mu);
	if (cmd == F_GET_SEALS) {
		r = ti->seals;
	} else if (seals & ~SEALS_ALL) {
		r = -EINVAL;
	} else if ((f->flags & O_ACCMODE) == O_RDONLY || (ti->seals & F_SEAL_SEAL)) {
		r = -EPERM;
	} else {
		ti->seals |= (int)seals;
	}
	pthread_mutex_unlock(&ino->mu);
	return r;
}

int tmpfs_seal_check(struct tmpfs_inode *ti, int64_t old_size, int64_t new_size, bool write)
{
	if (write && (ti->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		return -EPERM;
	if (new_size > old_size && (ti->seals & F_SEAL_GROW))
		return -EPERM;
	if (new_size < old_size && (ti->seals & F_SEAL_SHRINK))
		return -EPERM;
	return 0;
}
