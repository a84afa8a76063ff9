// SPDX-License-Identifier: Apache-2.0
/*
 * Path-based file syscalls: copy the path in, resolve dirfd/cwd/root from the task, call the
 * VFS (fs/vfs.h). Argument checks come first in Linux's order so errnos match.
 */
#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs/vfs.h"
#include "lib/compiler.h"
#include "sentry/syscalls/sys_impl.h"

#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif

/* Linux's VALID_OPEN_FLAGS, with the kernel's O_LARGEFILE (glibc's is 0 on x86-64). */
#define VALID_OPEN_FLAGS_K                                                                   \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_SYNC |  \
	 O_DSYNC | FASYNC | O_DIRECT | VFS_O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |  \
	 O_CLOEXEC | O_PATH | O_TMPFILE)

/* struct at - one path argument resolved against the task: the path text and where it starts. */
struct at {
	struct vfs_cred cr;
	struct vfs_start s;
	char path[VFS_PATH_MAX];
	struct file *dirf; /* the dirfd's file when it was used */
};

static void at_end(struct at *x)
{
	if (x->s.root.dentry)
		path_put(&x->s.root);
	if (x->s.start.dentry)
		path_put(&x->s.start);
	if (x->dirf)
		file_put(x->dirf);
}

/*
 * at_begin - copy in the path at @addr and pick the start: the root for absolute paths, the
 * cwd for AT_FDCWD, else @dirfd's path (EBADF; ENOTDIR unless a directory, except an empty
 * path with @empty_ok). @fsids: act as fsuid/fsgid (else the real ids, for access(2)).
 */
/* at_begin with openat2's RESOLVE_* flags: scoped walks start at dirfd even for "/x". */
static long at_begin_resolve(struct task *t, struct at *x, int dirfd, gva_t addr, bool empty_ok,
			     bool fsids, uint64_t resolve)
{
	struct path root, cwd;
	ssize_t n;
	bool scoped = resolve & (VFS_RESOLVE_BENEATH | VFS_RESOLVE_IN_ROOT);

	memset(&x->s, 0, sizeof(x->s));
	x->s.resolve = resolve;
	x->dirf = NULL;
	task_vfs_cred(t, fsids, &x->cr);
	x->s.cr = &x->cr;
	n = mm_copy_string_in(t->mm, addr, x->path, sizeof(x->path));
	if (n < 0)
		return n;
	if (n == 0 && !empty_ok)
		return -ENOENT;
	if (!t->fs)
		return -ENOENT;
	fs_context_paths(t->fs, &root, &cwd);
	x->s.root = root;
	if ((x->path[0] == '/' && !scoped) || dirfd == AT_FDCWD) {
		x->s.start = cwd;
		return 0;
	}
	path_put(&cwd);
	x->dirf = fdtable_get_file(t->fdt, dirfd, NULL);
	if (!x->dirf)
		return -EBADF;
	if (!x->dirf->path.dentry)
		return n == 0 ? -EBADF : -ENOTDIR; /* host files: no path to start from */
	if (n != 0 && !S_ISDIR(x->dirf->path.dentry->inode->mode))
		return -ENOTDIR;
	x->s.start = x->dirf->path;
	path_get(&x->s.start);
	return 0;
}

static long at_begin(struct task *t, struct at *x, int dirfd, gva_t addr, bool empty_ok,
		     bool fsids)
{
	return at_begin_resolve(t, x, dirfd, addr, empty_ok, fsids, 0);
}

static int at_flags(int flags)
{
	return ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
	       ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
}

/* ---- open ---- */

static long do_openat_resolve(struct task *t, int dirfd, gva_t path, int flags, uint32_t mode,
			      uint64_t resolve)
{
	struct at x;
	struct file *f;
	long r = at_begin_resolve(t, &x, dirfd, path, false, true, resolve);

	if (r == 0)
		r = vfs_open(&x.s, x.path, flags, mode & 07777 & ~t->umask, &f);
	at_end(&x);
	if (r < 0)
		return r;
	struct rlimit rl;
	task_get_rlimit(t, RLIMIT_NOFILE, &rl);
	r = fdtable_install(t->fdt, 0, f, (flags & O_CLOEXEC) ? FD_FLAG_CLOEXEC : 0, rl.rlim_cur);
	file_put(f);
	return r;
}

static long do_openat(struct task *t, int dirfd, gva_t path, int flags, uint32_t mode)
{
	return do_openat_resolve(t, dirfd, path, flags, mode, 0);
}

long sys_open(struct task *t, const struct syscall_args *a)
{
	return do_openat(t, AT_FDCWD, ARG_U(0), ARG_INT(1), (uint32_t)ARG_U(2));
}

long sys_openat(struct task *t, const struct syscall_args *a)
{
	return do_openat(t, ARG_INT(0), ARG_U(1), ARG_INT(2), (uint32_t)ARG_U(3));
}

long sys_creat(struct task *t, const struct syscall_args *a)
{
	return do_openat(t, AT_FDCWD, ARG_U(0), O_CREAT | O_WRONLY | O_TRUNC, (uint32_t)ARG_U(1));
}

/* openat2: Linux's build_open_flags strictness, and the RESOLVE_* scoping of the walk. */
long sys_openat2(struct task *t, const struct syscall_args *a)
{
	struct open_how how;
	size_t size = ARG_U(3);

	if (size < sizeof(how))
		return -EINVAL;
	if (size > 4096)
		return -E2BIG;
	memset(&how, 0, sizeof(how));
	if (mm_copy_in(t->mm, ARG_U(2), &how, sizeof(how)) != sizeof(how))
		return -EFAULT;
	for (size_t off = sizeof(how); off < size; off++) {
		char c;
		if (mm_copy_in(t->mm, ARG_U(2) + off, &c, 1) != 1)
			return -EFAULT;
		if (c)
			return -E2BIG;
	}
	if (how.flags >> 32 || (how.flags & ~(uint64_t)(VALID_OPEN_FLAGS_K)))
		return -EINVAL;
	if (how.mode & ~07777ULL || (!(how.flags & (O_CREAT | (O_TMPFILE & ~O_DIRECTORY))) && how.mode))
		return -EINVAL;
	if (how.resolve & ~(uint64_t)VFS_RESOLVE_ALL)
		return -EINVAL;
	if ((how.resolve & VFS_RESOLVE_BENEATH) && (how.resolve & VFS_RESOLVE_IN_ROOT))
		return -EINVAL;
	/* RESOLVE_CACHED promises no blocking: opens that may write or create cannot. */
	if ((how.resolve & VFS_RESOLVE_CACHED) && (how.flags & (O_CREAT | O_TRUNC | __O_TMPFILE)))
		return -EAGAIN;
	return do_openat_resolve(t, ARG_INT(0), ARG_U(1), (int)how.flags, (uint32_t)how.mode,
				 how.resolve);
}

/* ---- stat ---- */

static long stat_path(struct task *t, int dirfd, gva_t path, int flags, struct stat *st)
{
	struct at x;
	struct path p;
	long r;

	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT))
		return -EINVAL;
	r = at_begin(t, &x, dirfd, path, flags & AT_EMPTY_PATH, true);
	if (r == -EBADF && x.dirf && !x.path[0]) {
		/* AT_EMPTY_PATH on a host file (stdio): its own fstat. */
		memset(st, 0, sizeof(*st));
		r = vfs_fstat(x.dirf, st);
		at_end(&x);
		return r;
	}
	struct file *f = NULL;
	if (r == 0)
		r = vfs_lookup_file(&x.s, x.path, at_flags(flags), &p, &f);
	at_end(&x);
	if (r < 0)
		return r;
	if (f) {
		/* A magic link to a pipe, socket or host file: that file's attributes. */
		memset(st, 0, sizeof(*st));
		r = vfs_fstat(f, st);
		file_put(f);
		return r;
	}
	r = vfs_getattr(p.dentry->inode, st);
	path_put(&p);
	return r;
}

static long stat_out(struct task *t, long r, const struct stat *st, gva_t addr)
{
	if (r < 0)
		return r;
	if (mm_copy_out(t->mm, addr, st, sizeof(*st)) != sizeof(*st))
		return -EFAULT;
	return 0;
}

long sys_stat(struct task *t, const struct syscall_args *a)
{
	struct stat st;
	return stat_out(t, stat_path(t, AT_FDCWD, ARG_U(0), 0, &st), &st, ARG_U(1));
}

long sys_lstat(struct task *t, const struct syscall_args *a)
{
	struct stat st;
	return stat_out(t, stat_path(t, AT_FDCWD, ARG_U(0), AT_SYMLINK_NOFOLLOW, &st), &st,
			ARG_U(1));
}

long sys_newfstatat(struct task *t, const struct syscall_args *a)
{
	struct stat st;
	return stat_out(t, stat_path(t, ARG_INT(0), ARG_U(1), ARG_INT(3), &st), &st, ARG_U(2));
}

long sys_statx(struct task *t, const struct syscall_args *a)
{
	int flags = ARG_INT(2);
	unsigned int mask = (unsigned int)ARG_U(3);
	struct statx sx;
	struct stat st;
	long r;

	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (mask & STATX__RESERVED))
		return -EINVAL;
	r = stat_path(t, ARG_INT(0), ARG_U(1), flags & ~AT_STATX_SYNC_TYPE, &st);
	if (r < 0)
		return r;
	memset(&sx, 0, sizeof(sx));
	sx.stx_mask = STATX_BASIC_STATS;
	sx.stx_blksize = (uint32_t)st.st_blksize;
	sx.stx_nlink = (uint32_t)st.st_nlink;
	sx.stx_uid = st.st_uid;
	sx.stx_gid = st.st_gid;
	sx.stx_mode = (uint16_t)st.st_mode;
	sx.stx_ino = st.st_ino;
	sx.stx_size = (uint64_t)st.st_size;
	sx.stx_blocks = (uint64_t)st.st_blocks;
	sx.stx_atime = (struct statx_timestamp){ st.st_atim.tv_sec, (uint32_t)st.st_atim.tv_nsec, 0 };
	sx.stx_mtime = (struct statx_timestamp){ st.st_mtim.tv_sec, (uint32_t)st.st_mtim.tv_nsec, 0 };
	sx.stx_ctime = (struct statx_timestamp){ st.st_ctim.tv_sec, (uint32_t)st.st_ctim.tv_nsec, 0 };
	sx.stx_rdev_major = major(st.st_rdev);
	sx.stx_rdev_minor = minor(st.st_rdev);
	sx.stx_dev_major = major(st.st_dev);
	sx.stx_dev_minor = minor(st.st_dev);
	if (mm_copy_out(t->mm, ARG_U(4), &sx, sizeof(sx)) != sizeof(sx))
		return -EFAULT;
	return 0;
}

/* ---- namespace changes ---- */

static long do_mkdirat(struct task *t, int dirfd, gva_t path, uint32_t mode)
{
	struct at x;
	long r = at_begin(t, &x, dirfd, path, false, true);

	if (r == 0)
		r = vfs_mkdir(&x.s, x.path, mode & 07777 & ~t->umask);
	at_end(&x);
	return r;
}

long sys_mkdir(struct task *t, const struct syscall_args *a)
{
	return do_mkdirat(t, AT_FDCWD, ARG_U(0), (uint32_t)ARG_U(1));
}

long sys_mkdirat(struct task *t, const struct syscall_args *a)
{
	return do_mkdirat(t, ARG_INT(0), ARG_U(1), (uint32_t)ARG_U(2));
}

/*
 * mknod: regular files, FIFOs, sockets and device nodes (CAP_MKNOD). A device node opens the
 * Sentry's driver for its number (fs/dev/); others give ENXIO at open, as in gVisor.
 */
static long do_mknodat(struct task *t, int dirfd, gva_t path, uint32_t mode, uint32_t dev)
{
	uint64_t rdev = 0;
	struct at x;
	long r;

	switch (mode & S_IFMT) {
	case 0:
		mode |= S_IFREG;
		break;
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	case S_IFCHR:
	case S_IFBLK:
		rdev = makedev(major(dev), minor(dev)); /* the syscall's 32-bit new_encode_dev */
		break;
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
	r = at_begin(t, &x, dirfd, path, false, true);
	if (r == 0)
		r = vfs_mknod(&x.s, x.path, (mode & S_IFMT) | (mode & 07777 & ~t->umask), rdev,
			      task_capable(t, CAP_MKNOD));
	at_end(&x);
	return r;
}

long sys_mknod(struct task *t, const struct syscall_args *a)
{
	return do_mknodat(t, AT_FDCWD, ARG_U(0), (uint32_t)ARG_U(1), (uint32_t)ARG_U(2));
}

long sys_mknodat(struct task *t, const struct syscall_args *a)
{
	return do_mknodat(t, ARG_INT(0), ARG_U(1), (uint32_t)ARG_U(2), (uint32_t)ARG_U(3));
}

static long do_unlinkat(struct task *t, int dirfd, gva_t path, int flags)
{
	struct at x;
	long r;

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	r = at_begin(t, &x, dirfd, path, false, true);
	if (r == 0)
		r = (flags & AT_REMOVEDIR) ? vfs_rmdir(&x.s, x.path) : vfs_unlink(&x.s, x.path);
	at_end(&x);
	return r;
}

long sys_rmdir(struct task *t, const struct syscall_args *a)
{
	return do_unlinkat(t, AT_FDCWD, ARG_U(0), AT_REMOVEDIR);
}

long sys_unlink(struct task *t, const struct syscall_args *a)
{
	return do_unlinkat(t, AT_FDCWD, ARG_U(0), 0);
}

long sys_unlinkat(struct task *t, const struct syscall_args *a)
{
	return do_unlinkat(t, ARG_INT(0), ARG_U(1), ARG_INT(2));
}

static long do_renameat2(struct task *t, int ofd, gva_t opath, int nfd, gva_t npath,
			 unsigned int flags)
{
	struct at *o = malloc(sizeof(*o)), *n = malloc(sizeof(*n));
	long r = -ENOMEM;

	if (o && n) {
		o->dirf = n->dirf = NULL;
		memset(&o->s, 0, sizeof(o->s));
		memset(&n->s, 0, sizeof(n->s));
		r = at_begin(t, o, ofd, opath, false, true);
		if (r == 0)
			r = at_begin(t, n, nfd, npath, false, true);
		if (r == 0)
			r = vfs_rename(&o->s, o->path, &n->s, n->path, flags);
		at_end(o);
		at_end(n);
	}
	free(o);
	free(n);
	return r;
}

long sys_rename(struct task *t, const struct syscall_args *a)
{
	return do_renameat2(t, AT_FDCWD, ARG_U(0), AT_FDCWD, ARG_U(1), 0);
}

long sys_renameat(struct task *t, const struct syscall_args *a)
{
	return do_renameat2(t, ARG_INT(0), ARG_U(1), ARG_INT(2), ARG_U(3), 0);
}

long sys_renameat2(struct task *t, const struct syscall_args *a)
{
	return do_renameat2(t, ARG_INT(0), ARG_U(1), ARG_INT(2), ARG_U(3), (unsigned int)ARG_U(4));
}

static long do_linkat(struct task *t, int ofd, gva_t opath, int nfd, gva_t npath, int flags)
{
	struct at *o, *n;
	long r = -ENOMEM;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	o = malloc(sizeof(*o));
	n = malloc(sizeof(*n));
	if (o && n) {
		o->dirf = n->dirf = NULL;
		memset(&o->s, 0, sizeof(o->s));
		memset(&n->s, 0, sizeof(n->s));
		r = at_begin(t, o, ofd, opath, flags & AT_EMPTY_PATH, true);
		if (r == 0)
			r = at_begin(t, n, nfd, npath, false, true);
		if (r == 0)
			r = vfs_link(&o->s, o->path, &n->s, n->path,
				     ((flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0) |
					     ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0));
		at_end(o);
		at_end(n);
	}
	free(o);
	free(n);
	return r;
}

long sys_link(struct task *t, const struct syscall_args *a)
{
	return do_linkat(t, AT_FDCWD, ARG_U(0), AT_FDCWD, ARG_U(1), 0);
}

long sys_linkat(struct task *t, const struct syscall_args *a)
{
	return do_linkat(t, ARG_INT(0), ARG_U(1), ARG_INT(2), ARG_U(3), ARG_INT(4));
}

static long do_symlinkat(struct task *t, gva_t target, int dirfd, gva_t path)
{
	char *body = malloc(VFS_PATH_MAX);
	struct at x;
	ssize_t n;
	long r;

	if (!body)
		return -ENOMEM;
	n = mm_copy_string_in(t->mm, target, body, VFS_PATH_MAX);
	if (n < 0) {
		free(body);
		return n;
	}
	r = at_begin(t, &x, dirfd, path, false, true);
	if (r == 0)
		r = vfs_symlink(&x.s, body, x.path);
	at_end(&x);
	free(body);
	return r;
}

long sys_symlink(struct task *t, const struct syscall_args *a)
{
	return do_symlinkat(t, ARG_U(0), AT_FDCWD, ARG_U(1));
}

long sys_symlinkat(struct task *t, const struct syscall_args *a)
{
	return do_symlinkat(t, ARG_U(0), ARG_INT(1), ARG_U(2));
}

static long do_readlinkat(struct task *t, int dirfd, gva_t path, gva_t buf, int64_t size)
{
	struct at x;
	char *body = NULL;
	long r;

	if (size <= 0)
		return -EINVAL;
	r = at_begin(t, &x, dirfd, path, true, true);
	if (r == 0)
		r = vfs_readlink(&x.s, x.path, LOOKUP_EMPTY, &body);
	at_end(&x);
	if (r < 0)
		return r;
	size_t len = MIN(strlen(body), (size_t)size);
	if (mm_copy_out(t->mm, buf, body, len) != (ssize_t)len)
		r = -EFAULT;
	else
		r = (long)len;
	free(body);
	return r;
}

long sys_readlink(struct task *t, const struct syscall_args *a)
{
	return do_readlinkat(t, AT_FDCWD, ARG_U(0), ARG_U(1), (int64_t)(int)ARG_U(2));
}

long sys_readlinkat(struct task *t, const struct syscall_args *a)
{
	return do_readlinkat(t, ARG_INT(0), ARG_U(1), ARG_U(2), (int64_t)(int)ARG_U(3));
}

/* ---- access, attributes ---- */

static long do_faccessat(struct task *t, int dirfd, gva_t path, int mode, int flags)
{
	struct at x;
	struct path p;
	long r;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	/* access(2) asks with the real ids unless AT_EACCESS. */
	r = at_begin(t, &x, dirfd, path, flags & AT_EMPTY_PATH, flags & AT_EACCESS);
	struct file *f = NULL;
	if (r == 0)
		r = vfs_lookup_file(&x.s, x.path, at_flags(flags), &p, &f);
	if (r == 0 && f) {
		/* A pipe or the caller's stdio through /proc/self/fd: what it was opened for. */
		int acc = f->flags & O_ACCMODE;
		if (((mode & R_OK) && acc == O_WRONLY) || ((mode & W_OK) && acc == O_RDONLY) ||
		    (mode & X_OK))
			r = -EACCES;
		file_put(f);
	} else if (r == 0) {
		int m = ((mode & R_OK) ? MAY_READ : 0) | ((mode & W_OK) ? MAY_WRITE : 0) |
			((mode & X_OK) ? MAY_EXEC : 0);
		r = m ? vfs_permission(&x.cr, p.dentry->inode, m) : 0;
		path_put(&p);
	}
	at_end(&x);
	return r;
}

long sys_access(struct task *t, const struct syscall_args *a)
{
	return do_faccessat(t, AT_FDCWD, ARG_U(0), ARG_INT(1), 0);
}

long sys_faccessat(struct task *t, const struct syscall_args *a)
{
	return do_faccessat(t, ARG_INT(0), ARG_U(1), ARG_INT(2), 0);
}

long sys_faccessat2(struct task *t, const struct syscall_args *a)
{
	return do_faccessat(t, ARG_INT(0), ARG_U(1), ARG_INT(2), ARG_INT(3));
}

/* Resolve (dirfd, path, flags) to a path; an empty path with AT_EMPTY_PATH is the fd. */
static long at_lookup(struct task *t, int dirfd, gva_t path, int flags, struct vfs_cred *cr,
		      struct path *out)
{
	struct at x;
	long r = at_begin(t, &x, dirfd, path, flags & AT_EMPTY_PATH, true);

	if (r == 0)
		r = vfs_lookup(&x.s, x.path, at_flags(flags), out);
	*cr = x.cr;
	at_end(&x);
	return r;
}

/* Linux's inode_owner_or_capable. */
static bool owner_or_root(const struct vfs_cred *cr, struct inode *ino)
{
	return cr->uid == 0 || cr->uid == ino->uid;
}

/*
 * Linux's mnt_want_write before every attribute change: a read-only mount refuses chmod,
 * chown, utimes and truncate of any file in it (EROFS before the permission checks).
 */
static long setattr_may_write(const struct path *p)
{
	return mount_readonly(p->mnt) ? -EROFS : 0;
}

static long chmod_inode(const struct vfs_cred *cr, const struct path *p, uint32_t mode)
{
	struct iattr ia = { .valid = ATTR_MODE, .mode = mode & 07777 };
	struct inode *ino = p->dentry->inode;

	if (setattr_may_write(p) < 0)
		return -EROFS;
	if (!owner_or_root(cr, ino))
		return -EPERM;
	/* A non-root owner outside the file's group cannot keep setgid (Linux's setattr_copy). */
	if (cr->uid != 0 && !vfs_cred_in_group(cr, ino->gid))
		ia.mode &= ~S_ISGID;
	return vfs_setattr(ino, &ia);
}

/* Linux's chown_common + setattr_prepare: only root gives files away. */
static long chown_inode(const struct vfs_cred *cr, const struct path *p, uint32_t uid,
			uint32_t gid)
{
	struct iattr ia = { .valid = 0 };
	struct inode *ino = p->dentry->inode;
	uint32_t mode = ino->mode;

	if (setattr_may_write(p) < 0)
		return -EROFS;
	if (uid != (uint32_t)-1) {
		if (cr->uid != 0 && (cr->uid != ino->uid || uid != ino->uid))
			return -EPERM;
		ia.valid |= ATTR_UID;
		ia.uid = uid;
	}
	if (gid != (uint32_t)-1) {
		if (cr->uid != 0 &&
		    (cr->uid != ino->uid || (gid != ino->gid && !vfs_cred_in_group(cr, gid))))
			return -EPERM;
		ia.valid |= ATTR_GID;
		ia.gid = gid;
	}
	if (!S_ISDIR(mode)) {
		/* ATTR_KILL_SUID / ATTR_KILL_SGID: a chown drops set-id bits. */
		uint32_t nm = mode & ~(uint32_t)S_ISUID;
		if ((mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
			nm &= ~(uint32_t)S_ISGID;
		if (nm != mode) {
			ia.valid |= ATTR_MODE;
			ia.mode = nm & 07777;
		}
	}
	return vfs_setattr(ino, &ia);
}

long sys_chmod(struct task *t, const struct syscall_args *a)
{
	struct vfs_cred cr;
	struct path p;
	long r = at_lookup(t, AT_FDCWD, ARG_U(0), 0, &cr, &p);

	if (r < 0)
		return r;
	r = chmod_inode(&cr, &p, (uint32_t)ARG_U(1));
	path_put(&p);
	return r;
}

long sys_fchmodat(struct task *t, const struct syscall_args *a)
{
	struct vfs_cred cr;
	struct path p;
	long r = at_lookup(t, ARG_INT(0), ARG_U(1), 0, &cr, &p);

	if (r < 0)
		return r;
	r = chmod_inode(&cr, &p, (uint32_t)ARG_U(2));
	path_put(&p);
	return r;
}

static long do_fchownat(struct task *t, int dirfd, gva_t path, uint32_t uid, uint32_t gid,
			int flags)
{
	struct vfs_cred cr;
	struct path p;
	long r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	r = at_lookup(t, dirfd, path, flags, &cr, &p);
	if (r < 0)
		return r;
	r = chown_inode(&cr, &p, uid, gid);
	path_put(&p);
	return r;
}

long sys_chown(struct task *t, const struct syscall_args *a)
{
	return do_fchownat(t, AT_FDCWD, ARG_U(0), (uint32_t)ARG_U(1), (uint32_t)ARG_U(2), 0);
}

long sys_lchown(struct task *t, const struct syscall_args *a)
{
	return do_fchownat(t, AT_FDCWD, ARG_U(0), (uint32_t)ARG_U(1), (uint32_t)ARG_U(2),
			   AT_SYMLINK_NOFOLLOW);
}

long sys_fchownat(struct task *t, const struct syscall_args *a)
{
	return do_fchownat(t, ARG_INT(0), ARG_U(1), (uint32_t)ARG_U(2), (uint32_t)ARG_U(3),
			   ARG_INT(4));
}

/* fchmod/fchown/ftruncate: the fd's inode (host files have none: EBADF/EINVAL). */
static struct file *fd_inode_file(struct task *t, int fd, struct vfs_cred *cr)
{
	task_vfs_cred(t, true, cr);
	return fdtable_get_file(t->fdt, fd, NULL);
}

long sys_fchmod(struct task *t, const struct syscall_args *a)
{
	struct vfs_cred cr;
	struct file *f = fd_inode_file(t, ARG_INT(0), &cr);
	long r;

	if (!f)
		return -EBADF;
	r = (file_inode(f) && !(f->flags & O_PATH)) ?
		    chmod_inode(&cr, &f->path, (uint32_t)ARG_U(1)) : -EBADF;
	file_put(f);
	return r;
}

long sys_fchown(struct task *t, const struct syscall_args *a)
{
	struct vfs_cred cr;
	struct file *f = fd_inode_file(t, ARG_INT(0), &cr);
	long r;

	if (!f)
		return -EBADF;
	r = (file_inode(f) && !(f->flags & O_PATH)) ?
		    chown_inode(&cr, &f->path, (uint32_t)ARG_U(1), (uint32_t)ARG_U(2)) :
		    -EBADF;
	file_put(f);
	return r;
}

static long truncate_inode(struct inode *ino, int64_t len)
{
	struct iattr ia = { .valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = len };

	if (S_ISDIR(ino->mode))
		return -EISDIR;
	if (!S_ISREG(ino->mode))
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &ia.mtime);
	return vfs_setattr(ino, &ia);
}

long sys_truncate(struct task *t, const struct syscall_args *a)
{
	struct vfs_cred cr;
	struct path p;
	long r;

	if ((int64_t)ARG_U(1) < 0)
		return -EINVAL;
	r = at_lookup(t, AT_FDCWD, ARG_U(0), 0, &cr, &p);
	if (r < 0)
		return r;
	if (S_ISDIR(p.dentry->inode->mode))
		r = -EISDIR;
	else if (!S_ISREG(p.dentry->inode->mode))
		r = -EINVAL;
	else if ((r = setattr_may_write(&p)) == 0)
		r = vfs_permission(&cr, p.dentry->inode, MAY_WRITE);
	if (r == 0)
		r = truncate_inode(p.dentry->inode, (int64_t)ARG_U(1));
	path_put(&p);
	return r;
}

long sys_ftruncate(struct task *t, const struct syscall_args *a)
{
	struct vfs_cred cr;
	struct file *f = fd_inode_file(t, ARG_INT(0), &cr);
	long r;

	if (!f)
		return -EBADF;
	if ((int64_t)ARG_U(1) < 0 || !file_inode(f) || (f->flags & O_ACCMODE) == O_RDONLY ||
	    (f->flags & O_PATH))
		r = (f->flags & O_PATH) ? -EBADF : -EINVAL;
	else if (!S_ISREG(file_inode(f)->mode))
		r = -EINVAL;
	else
		r = truncate_inode(file_inode(f), (int64_t)ARG_U(1));
	file_put(f);
	return r;
}

/*
 * The common part of utimensat/utimes/futimesat/utime: @ts (NULL: both now) with UTIME_NOW
 * and UTIME_OMIT; a 0 @path means the dirfd itself (futimens).
 */
static long do_utimes(struct task *t, int dirfd, uint64_t path, struct timespec *ts, int flags)
{
	struct timespec now, def[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	struct iattr ia = { .valid = ATTR_CTIME };
	struct vfs_cred cr;
	struct path p;
	bool explicit = false;
	long r;

	task_vfs_cred(t, true, &cr);
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &now);
	if (ts) {
		for (int i = 0; i < 2; i++) {
			if (ts[i].tv_nsec == UTIME_NOW || ts[i].tv_nsec == UTIME_OMIT)
				continue;
			if (ts[i].tv_nsec < 0 || ts[i].tv_nsec > 999999999)
				return -EINVAL;
			explicit = true;
		}
		if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
			return 0;
	} else {
		ts = def;
	}
	for (int i = 0; i < 2; i++) {
		if (ts[i].tv_nsec == UTIME_OMIT)
			continue;
		ia.valid |= i ? ATTR_MTIME : ATTR_ATIME;
		if (i)
			ia.mtime = ts[i].tv_nsec == UTIME_NOW ? now : ts[i];
		else
			ia.atime = ts[i].tv_nsec == UTIME_NOW ? now : ts[i];
	}
	if (!path) {
		struct file *f;
		if (dirfd == AT_FDCWD)
			return -EFAULT;
		f = fdtable_get_file(t->fdt, dirfd, NULL);
		if (!f)
			return -EBADF;
		if (!file_inode(f)) {
			file_put(f);
			return -EBADF;
		}
		p = f->path;
		path_get(&p);
		file_put(f);
	} else {
		r = at_lookup(t, dirfd, path, flags, &cr, &p);
		if (r < 0)
			return r;
	}
	/* Linux: explicit times need the owner (or root); "now" also allows write access. */
	if (setattr_may_write(&p) < 0)
		r = -EROFS;
	else if (owner_or_root(&cr, p.dentry->inode))
		r = 0;
	else if (explicit)
		r = -EPERM;
	else
		r = vfs_permission(&cr, p.dentry->inode, MAY_WRITE);
	if (r == 0)
		r = vfs_setattr(p.dentry->inode, &ia);
	path_put(&p);
	return r;
}

long sys_utimensat(struct task *t, const struct syscall_args *a)
{
	struct timespec ts[2];

	if (ARG_U(2) && mm_copy_in(t->mm, ARG_U(2), ts, sizeof(ts)) != sizeof(ts))
		return -EFAULT;
	return do_utimes(t, ARG_INT(0), ARG_U(1), ARG_U(2) ? ts : NULL, ARG_INT(3));
}

/* utimes/futimesat: microsecond timevals (no UTIME_NOW/OMIT), NULL for now. */
static long utimes_common(struct task *t, int dirfd, uint64_t path, uint64_t tv_addr)
{
	struct timeval tv[2];
	struct timespec ts[2];

	if (!tv_addr)
		return do_utimes(t, dirfd, path, NULL, 0);
	if (mm_copy_in(t->mm, tv_addr, tv, sizeof(tv)) != sizeof(tv))
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	return do_utimes(t, dirfd, path, ts, 0);
}

long sys_utimes(struct task *t, const struct syscall_args *a)
{
	return utimes_common(t, AT_FDCWD, ARG_U(0), ARG_U(1));
}

long sys_futimesat(struct task *t, const struct syscall_args *a)
{
	/* Unlike utimensat, a NULL path is EFAULT, not the dirfd itself. */
	if (!ARG_U(1))
		return -EFAULT;
	return utimes_common(t, ARG_INT(0), ARG_U(1), ARG_U(2));
}

long sys_utime(struct task *t, const struct syscall_args *a)
{
	struct { int64_t actime, modtime; } ub;
	struct timespec ts[2];

	if (!ARG_U(1))
		return do_utimes(t, AT_FDCWD, ARG_U(0), NULL, 0);
	if (mm_copy_in(t->mm, ARG_U(1), &ub, sizeof(ub)) != sizeof(ub))
		return -EFAULT;
	ts[0] = (struct timespec){ ub.actime, 0 };
	ts[1] = (struct timespec){ ub.modtime, 0 };
	return do_utimes(t, AT_FDCWD, ARG_U(0), ts, 0);
}

/* ---- cwd ---- */

long sys_chdir(struct task *t, const struct syscall_args *a)
{
	struct vfs_cred cr;
	struct path p;
	long r = at_lookup(t, AT_FDCWD, ARG_U(0), 0, &cr, &p);

	if (r < 0)
		return r;
	if (!S_ISDIR(p.dentry->inode->mode))
		r = -ENOTDIR;
	else
		r = vfs_permission(&cr, p.dentry->inode, MAY_EXEC);
	if (r == 0)
		fs_context_set_cwd(t->fs, &p);
	path_put(&p);
	return r;
}

/* ---- statfs ---- */

#define SANDBOX_MEM_BYTES (4ULL << 30) /* what sysinfo reports as RAM */

static uint64_t fs_magic(const char *type)
{
	static const struct { const char *name; uint64_t magic; } m[] = {
		{ "tmpfs", 0x01021994 }, { "9p", 0x01021997 }, { "overlay", 0x794c7630 },
		{ "proc", 0x9fa0 },      { "sysfs", 0x62656572 }, { "devpts", 0x1cd1 },
		{ "devtmpfs", 0x01021994 },
	};
	for (size_t i = 0; type && i < sizeof(m) / sizeof(m[0]); i++)
		if (!strcmp(type, m[i].name))
			return m[i].magic;
	return 0x01021994;
}

/*
 * Every filesystem here lives in the sandbox's memory (tmpfs, the overlay's upper layer,
 * page caches) or is read through the gofer: report the sandbox's memory as the size, the
 * memory file's free part as free space, like a tmpfs sized to RAM.
 */
static long statfs_path(struct task *t, const struct path *p, uint64_t addr)
{
	struct statfs st;
	uint64_t used = memfile_used_bytes(t->k->mf), total = SANDBOX_MEM_BYTES;
	uint64_t freeb = used < total ? total - used : 0;
	struct super *sb = p->dentry->inode->sb;

	memset(&st, 0, sizeof(st));
	st.f_type = (__fsword_t)fs_magic(sb ? sb->fstype : NULL);
	st.f_bsize = 4096;
	st.f_frsize = 4096;
	st.f_blocks = total / 4096;
	st.f_bfree = st.f_bavail = freeb / 4096;
	st.f_files = total / 4096;
	st.f_ffree = st.f_files / 2;
	st.f_namelen = 255;
	st.f_fsid.__val[0] = (int)(sb ? sb->dev : 0);
	st.f_flags = 0x20 /* ST_VALID */ | (mount_readonly(p->mnt) ? ST_RDONLY : 0);
	return mm_copy_out(t->mm, addr, &st, sizeof(st)) == sizeof(st) ? 0 : -EFAULT;
}

long sys_statfs(struct task *t, const struct syscall_args *a)
{
	struct vfs_cred cr;
	struct path p;
	long r = at_lookup(t, AT_FDCWD, ARG_U(0), 0, &cr, &p);

	if (r < 0)
		return r;
	r = statfs_path(t, &p, ARG_U(1));
	path_put(&p);
	return r;
}

long sys_fstatfs(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	long r;

	if (!f)
		return -EBADF;
	if (!f->path.dentry) {
		/* Host stdio, pipes, sockets: an anonymous in-memory filesystem. */
		r = statfs_path(t, &(struct path){ 0 }, ARG_U(1));
	} else {
		r = statfs_path(t, &f->path, ARG_U(1));
	}
	file_put(f);
	return r;
}

long sys_chroot(struct task *t, const struct syscall_args *a)
{
	struct vfs_cred cr;
	struct path p;
	long r = at_lookup(t, AT_FDCWD, ARG_U(0), 0, &cr, &p);

	if (r < 0)
		return r;
	if (!S_ISDIR(p.dentry->inode->mode))
		r = -ENOTDIR;
	else
		r = vfs_permission(&cr, p.dentry->inode, MAY_EXEC);
	if (r == 0 && !task_capable(t, CAP_SYS_CHROOT))
		r = -EPERM;
	if (r == 0)
		fs_context_set_root(t->fs, &p); /* the cwd stays, as on Linux */
	path_put(&p);
	return r;
}

long sys_fchdir(struct task *t, const struct syscall_args *a)
{
	struct vfs_cred cr;
	task_vfs_cred(t, true, &cr);
	struct file *f = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	long r;

	if (!f)
		return -EBADF;
	if (!file_inode(f) || !S_ISDIR(file_inode(f)->mode))
		r = -ENOTDIR;
	else
		r = vfs_permission(&cr, file_inode(f), MAY_EXEC);
	if (r == 0 && t->fs)
		fs_context_set_cwd(t->fs, &f->path);
	file_put(f);
	return r;
}

long sys_getcwd(struct task *t, const struct syscall_args *a)
{
	struct path root, cwd;
	char *buf;
	long r;

	if (!t->fs)
		return -ENOENT;
	buf = malloc(VFS_PATH_MAX);
	if (!buf)
		return -ENOMEM;
	fs_context_paths(t->fs, &root, &cwd);
	r = vfs_path_string(&root, &cwd, buf, VFS_PATH_MAX);
	path_put(&root);
	path_put(&cwd);
	if (r >= 0) {
		size_t len = (size_t)r + 1;
		if (ARG_U(1) < len)
			r = -ERANGE;
		else if (mm_copy_out(t->mm, ARG_U(0), buf, len) != (ssize_t)len)
			r = -EFAULT;
		else
			r = (long)len;
	}
	free(buf);
	return r;
}

long sys_umask(struct task *t, const struct syscall_args *a)
{
	uint32_t old = t->umask;
	t->umask = (uint32_t)ARG_U(0) & 0777;
	return old;
}
