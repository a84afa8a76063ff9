// SPDX-License-Identifier: Apache-2.0
/*
 * mount(2) and umount2(2) inside the sandbox: tmpfs mounts and bind mounts of guest paths,
 * read-only remounts, propagation flags (accepted: there is one mount namespace). Nothing
 * here reaches the host: sources are guest paths, and other filesystem types are EPERM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "fs/vfs.h"
#include "sentry/syscalls/sys_impl.h"

#ifndef MS_MGC_MSK
#define MS_MGC_VAL 0xc0ed0000
#define MS_MGC_MSK 0xffff0000
#endif
#ifndef UMOUNT_NOFOLLOW
#define UMOUNT_NOFOLLOW 8
#endif

#define MOUNT_DATA_MAX 4096

/* Resolve guest path @addr against the task's cwd and root (mount paths are AT_FDCWD). */
static long mount_lookup_path(struct task *t, gva_t addr, bool follow, struct path *out)
{
	struct vfs_cred cr = { .uid = t->creds.fsuid, .gid = t->creds.fsgid };
	struct vfs_start s = { .cr = &cr };
	char *path = malloc(VFS_PATH_MAX);
	ssize_t n;
	long r;

	if (!path)
		return -ENOMEM;
	n = mm_copy_string_in(t->mm, addr, path, VFS_PATH_MAX);
	if (n < 0) {
		free(path);
		return n;
	}
	if (n == 0 || !t->fs) {
		free(path);
		return -ENOENT;
	}
	fs_context_paths(t->fs, &s.root, &s.start);
	r = vfs_lookup(&s, path, follow ? LOOKUP_FOLLOW : 0, out);
	path_put(&s.root);
	path_put(&s.start);
	free(path);
	return r;
}

/* tmpfs options: mode= (octal), uid=, gid=; size= and the rest are accepted and ignored. */
static long tmpfs_options(struct task *t, gva_t data, uint32_t *mode, uint32_t *uid, uint32_t *gid)
{
	char buf[MOUNT_DATA_MAX];
	ssize_t n;

	if (!data)
		return 0;
	n = mm_copy_string_in(t->mm, data, buf, sizeof(buf));
	if (n < 0)
		return n == -ENAMETOOLONG ? -EINVAL : n;
	for (char *save = NULL, *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long v;

		if (!strncmp(o, "mode=", 5)) {
			v = strtoul(o + 5, &end, 8);
			if (*end || end == o + 5 || v > 07777)
				return -EINVAL;
			*mode = (uint32_t)v;
		} else if (!strncmp(o, "uid=", 4) || !strncmp(o, "gid=", 4)) {
			v = strtoul(o + 4, &end, 10);
			if (*end || end == o + 4 || v > UINT32_MAX)
				return -EINVAL;
			*(o[0] == 'u' ? uid : gid) = (uint32_t)v;
		}
	}
	return 0;
}

static long mount_tmpfs(struct task *t, const struct path *target, unsigned long flags, gva_t data)
{
	uint32_t mode = 01777, uid = 0, gid = 0;
	struct dentry *root;
	struct mount *m;
	long r;

	if (!S_ISDIR(target->dentry->inode->mode))
		return -ENOTDIR;
	r = tmpfs_options(t, data, &mode, &uid, &gid);
	if (r < 0)
		return r;
	r = tmpfs_new_root(mode, uid, gid, &root);
	if (r < 0)
		return r;
	r = mount_new(root, target->mnt, target->dentry, &m);
	dentry_put(root);
	if (r < 0)
		return r;
	m->readonly = flags & MS_RDONLY;
	mount_put(m); /* the mount table keeps it */
	return 0;
}

static long mount_bind(struct task *t, gva_t source, const struct path *target, unsigned long flags)
{
	struct path src;
	struct mount *m;
	long r = mount_lookup_path(t, source, true, &src);

	if (r < 0)
		return r;
	if (S_ISDIR(src.dentry->inode->mode) != S_ISDIR(target->dentry->inode->mode))
		r = S_ISDIR(src.dentry->inode->mode) ? -ENOTDIR : -EISDIR;
	else if (src.dentry->dead)
		r = -ENOENT;
	/* Like Linux, MS_RDONLY does not apply to the initial bind: remount it read-only. */
	if (r == 0)
		r = (flags & MS_REC) ? mount_new_rbind(&src, target, &m)
				     : mount_new_bind(&src, target, false, &m);
	if (r == 0)
		mount_put(m);
	path_put(&src);
	return r;
}

long sys_mount(struct task *t, const struct syscall_args *a)
{
	unsigned long flags = ARG_U(3);
	struct path target;
	char fstype[64];
	ssize_t n;
	long r;

	if (t->creds.euid != 0)
		return -EPERM; /* CAP_SYS_ADMIN */
	if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
		flags &= ~(unsigned long)MS_MGC_MSK;
	r = mount_lookup_path(t, ARG_U(1), true, &target);
	if (r < 0)
		return r;
	if (flags & MS_REMOUNT) {
		/* Only the read-only flag of an existing mount changes. */
		if (target.dentry != target.mnt->root)
			r = -EINVAL;
		else
			target.mnt->readonly = flags & MS_RDONLY;
	} else if (flags & MS_BIND) {
		r = mount_bind(t, ARG_U(0), &target, flags);
	} else if (flags & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)) {
		r = 0; /* propagation types: one namespace, nothing propagates */
	} else if (flags & MS_MOVE) {
		r = -EINVAL;
	} else {
		n = ARG_U(2) ? mm_copy_string_in(t->mm, ARG_U(2), fstype, sizeof(fstype)) : -EFAULT;
		if (n < 0)
			r = n == -ENAMETOOLONG ? -ENODEV : n;
		else if (strcmp(fstype, "tmpfs"))
			r = -EPERM; /* no host filesystems, and no other types yet */
		else
			r = mount_tmpfs(t, &target, flags, ARG_U(4));
	}
	path_put(&target);
	return r;
}

long sys_umount2(struct task *t, const struct syscall_args *a)
{
	int flags = ARG_INT(1);
	struct path target;
	struct mount *m;
	long r;

	if (t->creds.euid != 0)
		return -EPERM;
	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH)))
		return -EINVAL;
	r = mount_lookup_path(t, ARG_U(0), !(flags & UMOUNT_NOFOLLOW), &target);
	if (r < 0)
		return r;
	if (target.dentry != target.mnt->root || !target.mnt->parent) {
		path_put(&target);
		return -EINVAL;
	}
	if (flags & MNT_EXPIRE) {
		path_put(&target);
		return -EAGAIN; /* marked for expiry; nothing expires it here */
	}
	m = target.mnt;
	mount_get(m);
	path_put(&target);
	r = mount_umount(m, flags & MNT_DETACH, 1);
	mount_put(m);
	return r;
}
