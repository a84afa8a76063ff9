// SPDX-License-Identifier: Apache-2.0
/*
 * Extended attributes: no filesystem stores any yet. The calls resolve their file (so
 * ENOENT, EBADF, ENOTDIR and EFAULT are right) and then answer as a filesystem without
 * attributes does: get and remove ENODATA, list empty, set EOPNOTSUPP. Programs such as
 * `ls -l` and `cp -a` treat those as "no attributes" silently, where ENOSYS is an error.
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "fs/vfs.h"
#include "sentry/syscalls/sys_impl.h"

/* The file at path @addr (following symlinks when @follow): 0 or -errno. */
static long xattr_path(struct task *t, gva_t addr, bool follow)
{
	struct vfs_cred cr = { .uid = t->creds.fsuid, .gid = t->creds.fsgid };
	struct vfs_start s = { .cr = &cr };
	char *path = malloc(VFS_PATH_MAX);
	struct path p;
	ssize_t n;
	long r;

	if (!path)
		return -ENOMEM;
	n = mm_copy_string_in(t->mm, addr, path, VFS_PATH_MAX);
	if (n <= 0 || !t->fs) {
		free(path);
		return n < 0 ? n : -ENOENT;
	}
	fs_context_paths(t->fs, &s.root, &s.start);
	r = vfs_lookup(&s, path, follow ? LOOKUP_FOLLOW : 0, &p);
	if (r == 0)
		path_put(&p);
	path_put(&s.root);
	path_put(&s.start);
	free(path);
	return r;
}

static long xattr_fd(struct task *t, int fd)
{
	struct file *f = fdtable_get_file(t->fdt, fd, NULL);

	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

/* What a file without attributes answers, once it is found. */
enum xattr_op { XATTR_GET, XATTR_LIST, XATTR_SET, XATTR_REMOVE };

static long xattr_answer(long found, enum xattr_op op)
{
	if (found < 0)
		return found;
	switch (op) {
	case XATTR_GET:
	case XATTR_REMOVE:
		return -ENODATA;
	case XATTR_LIST:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

long sys_getxattr(struct task *t, const struct syscall_args *a)
{
	return xattr_answer(xattr_path(t, ARG_U(0), true), XATTR_GET);
}

long sys_lgetxattr(struct task *t, const struct syscall_args *a)
{
	return xattr_answer(xattr_path(t, ARG_U(0), false), XATTR_GET);
}

long sys_fgetxattr(struct task *t, const struct syscall_args *a)
{
	return xattr_answer(xattr_fd(t, ARG_INT(0)), XATTR_GET);
}

long sys_listxattr(struct task *t, const struct syscall_args *a)
{
	return xattr_answer(xattr_path(t, ARG_U(0), true), XATTR_LIST);
}

long sys_llistxattr(struct task *t, const struct syscall_args *a)
{
	return xattr_answer(xattr_path(t, ARG_U(0), false), XATTR_LIST);
}

long sys_flistxattr(struct task *t, const struct syscall_args *a)
{
	return xattr_answer(xattr_fd(t, ARG_INT(0)), XATTR_LIST);
}

long sys_setxattr(struct task *t, const struct syscall_args *a)
{
	return xattr_answer(xattr_path(t, ARG_U(0), true), XATTR_SET);
}

long sys_lsetxattr(struct task *t, const struct syscall_args *a)
{
	return xattr_answer(xattr_path(t, ARG_U(0), false), XATTR_SET);
}

long sys_fsetxattr(struct task *t, const struct syscall_args *a)
{
	return xattr_answer(xattr_fd(t, ARG_INT(0)), XATTR_SET);
}

long sys_removexattr(struct task *t, const struct syscall_args *a)
{
	return xattr_answer(xattr_path(t, ARG_U(0), true), XATTR_REMOVE);
}

long sys_lremovexattr(struct task *t, const struct syscall_args *a)
{
	return xattr_answer(xattr_path(t, ARG_U(0), false), XATTR_REMOVE);
}

long sys_fremovexattr(struct task *t, const struct syscall_args *a)
{
	return xattr_answer(xattr_fd(t, ARG_INT(0)), XATTR_REMOVE);
}
