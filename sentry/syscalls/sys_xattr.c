// SPDX-License-Identifier: Apache-2.0
/*
 * Extended attributes: the {,l,f}{get,set,list,remove}xattr families. Argument checks in
 * Linux's order (6.13+: the name and value are copied in before the path is walked), then
 * the VFS (fs/xattr.c) checks namespaces and permissions and the filesystem stores.
 */
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "fs/vfs.h"
#include "sentry/syscalls/sys_impl.h"

/* struct xtarget - the file an xattr call acts on, and who asks. */
struct xtarget {
	struct vfs_cred cr;
	struct vfs_xattr_who who;
	struct path p;   /* NULLs for a file without a path (host stdio) */
	char name[VFS_XATTR_NAME_MAX + 1];
};

/* Linux's import_xattr_name: empty or longer than XATTR_NAME_MAX → ERANGE. */
static long xattr_name_in(struct task *t, gva_t addr, char *name)
{
	ssize_t n = mm_copy_string_in(t->mm, addr, name, VFS_XATTR_NAME_MAX + 1);

	if (n == -ENAMETOOLONG || n == 0)
		return -ERANGE;
	return n < 0 ? n : 0;
}

static void xtarget_who(struct task *t, struct xtarget *x)
{
	task_vfs_cred(t, true, &x->cr);
	x->who.cr = &x->cr;
	x->who.admin = task_capable(t, CAP_SYS_ADMIN);
	x->who.fowner = task_capable(t, CAP_FOWNER);
}

/* The file at path @addr (following a final symlink when @follow). */
static long xtarget_path(struct task *t, struct xtarget *x, gva_t addr, bool follow)
{
	struct vfs_start s = { .cr = &x->cr };
	char *path = malloc(VFS_PATH_MAX);
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
	r = vfs_lookup(&s, path, follow ? LOOKUP_FOLLOW : 0, &x->p);
	path_put(&s.root);
	path_put(&s.start);
	free(path);
	return r;
}

/* The file open at @fd (O_PATH fds: EBADF, as Linux's fdget). */
static long xtarget_fd(struct task *t, struct xtarget *x, int fd)
{
	struct file *f = fdtable_get_file(t->fdt, fd, NULL);
	long r = 0;

	if (!f)
		return -EBADF;
	if (f->flags & O_PATH) {
		r = -EBADF;
	} else if (f->path.dentry) {
		x->p = f->path;
		path_get(&x->p);
	}
	file_put(f);
	return r;
}

enum xwhere { X_PATH, X_LPATH, X_FD };

static long xtarget_get(struct task *t, struct xtarget *x, enum xwhere w, uint64_t arg)
{
	x->p.mnt = NULL;
	x->p.dentry = NULL;
	xtarget_who(t, x);
	if (w == X_FD)
		return xtarget_fd(t, x, (int)arg);
	return xtarget_path(t, x, arg, w == X_PATH);
}

static void xtarget_put(struct xtarget *x)
{
	if (x->p.dentry)
		path_put(&x->p);
}

static long do_getxattr(struct task *t, enum xwhere w, const struct syscall_args *a)
{
	struct xtarget *x = malloc(sizeof(*x));
	size_t size = ARG_U(3);
	void *buf = NULL;
	long r;

	if (!x)
		return -ENOMEM;
	r = xattr_name_in(t, ARG_U(1), x->name);
	if (r < 0) {
		free(x);
		return r;
	}
	if (size > VFS_XATTR_SIZE_MAX)
		size = VFS_XATTR_SIZE_MAX;
	r = xtarget_get(t, x, w, ARG_U(0));
	if (r == 0 && size && !(buf = malloc(size)))
		r = -ENOMEM;
	if (r == 0)
		r = x->p.dentry ? vfs_getxattr(&x->who, &x->p, x->name, buf, size) : -EOPNOTSUPP;
	if (r > 0 && size && mm_copy_out(t->mm, ARG_U(2), buf, (size_t)r) != r)
		r = -EFAULT;
	else if (r == -ERANGE && size >= VFS_XATTR_SIZE_MAX)
		r = -E2BIG;
	xtarget_put(x);
	free(buf);
	free(x);
	return r;
}

static long do_listxattr(struct task *t, enum xwhere w, const struct syscall_args *a)
{
	struct xtarget *x = malloc(sizeof(*x));
	size_t size = ARG_U(2);
	char *buf = NULL;
	long r;

	if (!x)
		return -ENOMEM;
	if (size > VFS_XATTR_LIST_MAX)
		size = VFS_XATTR_LIST_MAX;
	r = xtarget_get(t, x, w, ARG_U(0));
	if (r == 0 && size && !(buf = malloc(size)))
		r = -ENOMEM;
	if (r == 0)
		r = x->p.dentry ? vfs_listxattr(&x->who, &x->p, buf, size) : 0;
	if (r > 0 && size && mm_copy_out(t->mm, ARG_U(1), buf, (size_t)r) != r)
		r = -EFAULT;
	else if (r == -ERANGE && size >= VFS_XATTR_LIST_MAX)
		r = -E2BIG;
	xtarget_put(x);
	free(buf);
	free(x);
	return r;
}

/* Linux's setxattr_copy: flags, name, size (E2BIG), then the value (EFAULT). */
static long do_setxattr(struct task *t, enum xwhere w, const struct syscall_args *a)
{
	struct xtarget *x = malloc(sizeof(*x));
	size_t size = ARG_U(3);
	int flags = ARG_INT(4);
	void *val = NULL;
	long r;

	if (!x)
		return -ENOMEM;
	r = (flags & ~(XATTR_CREATE | XATTR_REPLACE)) ? -EINVAL : 0;
	if (r == 0)
		r = xattr_name_in(t, ARG_U(1), x->name);
	if (r == 0 && size > VFS_XATTR_SIZE_MAX)
		r = -E2BIG;
	if (r == 0 && size) {
		val = malloc(size);
		if (!val)
			r = -ENOMEM;
		else if (mm_copy_in(t->mm, ARG_U(2), val, size) != (ssize_t)size)
			r = -EFAULT;
	}
	if (r < 0) {
		free(val);
		free(x);
		return r;
	}
	r = xtarget_get(t, x, w, ARG_U(0));
	if (r == 0)
		r = x->p.dentry ? vfs_setxattr(&x->who, &x->p, x->name, val, size, flags)
				: -EOPNOTSUPP;
	xtarget_put(x);
	free(val);
	free(x);
	return r;
}

static long do_removexattr(struct task *t, enum xwhere w, const struct syscall_args *a)
{
	struct xtarget *x = malloc(sizeof(*x));
	long r;

	if (!x)
		return -ENOMEM;
	r = xattr_name_in(t, ARG_U(1), x->name);
	if (r == 0)
		r = xtarget_get(t, x, w, ARG_U(0));
	else
		x->p.dentry = NULL;
	if (r == 0)
		r = x->p.dentry ? vfs_removexattr(&x->who, &x->p, x->name) : -EOPNOTSUPP;
	xtarget_put(x);
	free(x);
	return r;
}

long sys_getxattr(struct task *t, const struct syscall_args *a)
{
	return do_getxattr(t, X_PATH, a);
}

long sys_lgetxattr(struct task *t, const struct syscall_args *a)
{
	return do_getxattr(t, X_LPATH, a);
}

long sys_fgetxattr(struct task *t, const struct syscall_args *a)
{
	return do_getxattr(t, X_FD, a);
}

long sys_listxattr(struct task *t, const struct syscall_args *a)
{
	return do_listxattr(t, X_PATH, a);
}

long sys_llistxattr(struct task *t, const struct syscall_args *a)
{
	return do_listxattr(t, X_LPATH, a);
}

long sys_flistxattr(struct task *t, const struct syscall_args *a)
{
	return do_listxattr(t, X_FD, a);
}

long sys_setxattr(struct task *t, const struct syscall_args *a)
{
	return do_setxattr(t, X_PATH, a);
}

long sys_lsetxattr(struct task *t, const struct syscall_args *a)
{
	return do_setxattr(t, X_LPATH, a);
}

long sys_fsetxattr(struct task *t, const struct syscall_args *a)
{
	return do_setxattr(t, X_FD, a);
}

long sys_removexattr(struct task *t, const struct syscall_args *a)
{
	return do_removexattr(t, X_PATH, a);
}

long sys_lremovexattr(struct task *t, const struct syscall_args *a)
{
	return do_removexattr(t, X_LPATH, a);
}

long sys_fremovexattr(struct task *t, const struct syscall_args *a)
{
	return do_removexattr(t, X_FD, a);
}
