// SPDX-License-Identifier: Apache-2.0
/* File-descriptor syscalls: decode, look the fd up, call into fs/ (vfs.h). */
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <linux/close_range.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "fs/vfs.h"
#include "lib/compiler.h"
#include "sentry/socket/socket.h"
#include "sentry/syscalls/sys_impl.h"

static unsigned long nofile_limit(struct task *t)
{
	struct rlimit rl;
	task_get_rlimit(t, RLIMIT_NOFILE, &rl);
	return rl.rlim_cur;
}

static struct file *get_file(struct task *t, int fd)
{
	return fdtable_get_file(t->fdt, fd, NULL);
}

/* Reads and writes at the file position, or at @off when @use_off (pread/pwrite). */
static long do_rw(struct task *t, int fd, struct uio *u, bool write, bool use_off, int64_t off)
{
	struct file *f = get_file(t, fd);
	long r;

	if (!f)
		return -EBADF;
	if (use_off) {
		if (off < 0) {
			file_put(f);
			return -EINVAL;
		}
		r = write ? vfs_write(f, u, &off) : vfs_read(f, u, &off);
	} else {
		pthread_mutex_lock(&f->pos_mu);
		r = write ? vfs_write(f, u, &f->pos) : vfs_read(f, u, &f->pos);
		pthread_mutex_unlock(&f->pos_mu);
	}
	task_io_account(t, write, r);
	/* Linux's pipe_write and stream sockets send SIGPIPE with EPIPE; fs/ cannot, so we do
	 * (datagram and seqpacket sockets do not). */
	bool sigpipe = write && r == -EPIPE && (!file_is_socket(f) || sock_sends_sigpipe(f));
	file_put(f);
	if (sigpipe)
		task_send_signal(t, SIGPIPE, NULL, false);
	return r;
}

/* Linux's order of checks: the fd, its access mode, the buffer, then the count. */
static long rw_single(struct task *t, const struct syscall_args *a, bool write, bool use_off)
{
	struct file *f = get_file(t, ARG_INT(0));
	struct uio u;
	int acc;

	if (!f)
		return -EBADF;
	acc = f->flags & O_ACCMODE;
	file_put(f);
	if (write ? acc == O_RDONLY : acc == O_WRONLY)
		return -EBADF;
	if (uio_init_single(&u, t->mm, ARG_U(1), ARG_U(2)) < 0)
		return -EFAULT;
	if ((int64_t)ARG_U(2) < 0)
		return -EINVAL;
	return do_rw(t, ARG_INT(0), &u, write, use_off, (int64_t)ARG_U(3));
}

long sys_read(struct task *t, const struct syscall_args *a)
{
	return rw_single(t, a, false, false);
}

long sys_write(struct task *t, const struct syscall_args *a)
{
	return rw_single(t, a, true, false);
}

long sys_pread64(struct task *t, const struct syscall_args *a)
{
	return rw_single(t, a, false, true);
}

long sys_pwrite64(struct task *t, const struct syscall_args *a)
{
	return rw_single(t, a, true, true);
}

static long do_rwv(struct task *t, const struct syscall_args *a, bool write, bool use_off)
{
	struct uio u;
	struct file *f = get_file(t, ARG_INT(0));
	long r;

	/* Linux checks the fd before the vector. */
	if (!f)
		return -EBADF;
	file_put(f);
	r = uio_init_guest_iov(&u, t->mm, ARG_U(1), ARG_INT(2));
	if (r < 0)
		return r;
	r = do_rw(t, ARG_INT(0), &u, write, use_off, (int64_t)ARG_U(3));
	uio_destroy(&u);
	return r;
}

long sys_readv(struct task *t, const struct syscall_args *a)
{
	return do_rwv(t, a, false, false);
}

long sys_writev(struct task *t, const struct syscall_args *a)
{
	return do_rwv(t, a, true, false);
}

long sys_preadv(struct task *t, const struct syscall_args *a)
{
	return do_rwv(t, a, false, true);
}

long sys_pwritev(struct task *t, const struct syscall_args *a)
{
	return do_rwv(t, a, true, true);
}

long sys_lseek(struct task *t, const struct syscall_args *a)
{
	struct file *f = get_file(t, ARG_INT(0));
	int whence = ARG_INT(2);
	long r;

	if (!f)
		return -EBADF;
	if (whence < SEEK_SET || whence > SEEK_HOLE) {
		file_put(f);
		return -EINVAL;
	}
	pthread_mutex_lock(&f->pos_mu);
	r = vfs_llseek(f, (int64_t)ARG_U(1), whence);
	if (r >= 0)
		f->pos = r;
	pthread_mutex_unlock(&f->pos_mu);
	file_put(f);
	return r;
}

long sys_ioctl(struct task *t, const struct syscall_args *a)
{
	int fd = ARG_INT(0), fl;
	unsigned int cmd = (unsigned int)ARG_U(1);
	struct file *f = fdtable_get_file(t->fdt, fd, &fl);
	long r;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case FIOCLEX:
		r = fdtable_set_flags(t->fdt, fd, fl | FD_FLAG_CLOEXEC);
		break;
	case FIONCLEX:
		r = fdtable_set_flags(t->fdt, fd, fl & ~FD_FLAG_CLOEXEC);
		break;
	default:
		r = vfs_ioctl(f, t->mm, cmd, ARG_U(2));
	}
	file_put(f);
	return r;
}

/* Record locks (fs/locks.c): Linux's checks here, the lock table there. */
static long fcntl_lock(struct task *t, struct file *f, int cmd, uint64_t addr)
{
	struct flock fl;
	int acc = f->flags & O_ACCMODE;
	bool get = cmd == F_GETLK || cmd == F_OFD_GETLK;
	long r;

	if (mm_copy_in(t->mm, addr, &fl, sizeof(fl)) != sizeof(fl))
		return -EFAULT;
	if (fl.l_whence != SEEK_SET && fl.l_whence != SEEK_CUR && fl.l_whence != SEEK_END)
		return -EINVAL;
	if ((cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW) && fl.l_pid != 0)
		return -EINVAL;
	switch (fl.l_type) {
	case F_RDLCK:
		if (!get && acc == O_WRONLY)
			return -EBADF;
		break;
	case F_WRLCK:
		if (!get && acc == O_RDONLY)
			return -EBADF;
		break;
	case F_UNLCK:
		if (get)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	r = vfs_fcntl_lock(f, t->fdt, t->tg->tgid, cmd, &fl);
	if (r == 0 && get && mm_copy_out(t->mm, addr, &fl, sizeof(fl)) != sizeof(fl))
		return -EFAULT;
	return r;
}

long sys_flock(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	long r;

	if (!f)
		return -EBADF;
	r = (f->flags & O_PATH) ? -EBADF : vfs_flock(f, ARG_INT(1));
	file_put(f);
	return r;
}

/* Status flags F_SETFL may change (Linux's SETFL_MASK). */
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_NDELAY | O_DIRECT | O_NOATIME | FASYNC)

long sys_fcntl(struct task *t, const struct syscall_args *a)
{
	int fd = ARG_INT(0), cmd = ARG_INT(1), fl;
	struct file *f = fdtable_get_file(t->fdt, fd, &fl);
	long r;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if ((int)ARG_U(2) < 0 || ARG_U(2) >= nofile_limit(t)) {
			r = -EINVAL;
			break;
		}
		r = fdtable_install(t->fdt, (int)ARG_U(2), f,
				    cmd == F_DUPFD_CLOEXEC ? FD_FLAG_CLOEXEC : 0, nofile_limit(t));
		break;
	case F_GETFD:
		r = fl & FD_FLAG_CLOEXEC;
		break;
	case F_SETFD:
		r = fdtable_set_flags(t->fdt, fd, (int)ARG_U(2) & FD_FLAG_CLOEXEC);
		break;
	case F_GETPIPE_SZ:
		r = pipe_get_size(f);
		break;
	case F_SETPIPE_SZ:
		r = pipe_set_size(f, (unsigned long)(unsigned int)ARG_U(2),
				  task_capable(t, CAP_SYS_RESOURCE));
		break;
	case F_GETFL:
		r = f->flags;
		break;
	case F_SETFL:
		f->flags = (f->flags & ~SETFL_MASK) | ((int)ARG_U(2) & SETFL_MASK);
		r = 0;
		break;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		r = fcntl_lock(t, f, cmd, ARG_U(2));
		break;
	case F_ADD_SEALS:
	case F_GET_SEALS:
		r = tmpfs_fcntl_seals(f, cmd, (unsigned int)ARG_U(2));
		break;
	default:
		r = -EINVAL;
	}
	file_put(f);
	return r;
}

long sys_dup(struct task *t, const struct syscall_args *a)
{
	struct file *f = get_file(t, ARG_INT(0));
	long r;

	if (!f)
		return -EBADF;
	r = fdtable_install(t->fdt, 0, f, 0, nofile_limit(t));
	file_put(f);
	return r;
}

static long do_dup3(struct task *t, int oldfd, int newfd, int flags)
{
	struct file *f;
	long r;

	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	f = get_file(t, oldfd);
	if (!f)
		return -EBADF;
	r = fdtable_install_at(t->fdt, newfd, f, (flags & O_CLOEXEC) ? FD_FLAG_CLOEXEC : 0,
			       nofile_limit(t));
	file_put(f);
	return r;
}

long sys_dup2(struct task *t, const struct syscall_args *a)
{
	int oldfd = ARG_INT(0), newfd = ARG_INT(1);

	if (oldfd == newfd) {
		struct file *f = get_file(t, oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return do_dup3(t, oldfd, newfd, 0);
}

long sys_dup3(struct task *t, const struct syscall_args *a)
{
	if (ARG_INT(0) == ARG_INT(1))
		return -EINVAL;
	return do_dup3(t, ARG_INT(0), ARG_INT(1), ARG_INT(2));
}

long sys_close(struct task *t, const struct syscall_args *a)
{
	return fdtable_close(t->fdt, ARG_INT(0));
}

long sys_close_range(struct task *t, const struct syscall_args *a)
{
	unsigned int first = (unsigned int)ARG_U(0), last = (unsigned int)ARG_U(1);
	unsigned int flags = (unsigned int)ARG_U(2);

	if (flags & ~(CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	if (flags & CLOSE_RANGE_CLOEXEC) {
		unsigned long lim = nofile_limit(t);
		for (unsigned long fd = first; fd <= last && fd < lim; fd++)
			fdtable_set_flags(t->fdt, (int)fd, FD_FLAG_CLOEXEC);
		return 0;
	}
	fdtable_close_range(t->fdt, first, last);
	return 0;
}

static long stat_fd_out(struct task *t, int fd, uint64_t addr)
{
	struct file *f = get_file(t, fd);
	struct stat st;
	long r;

	if (!f)
		return -EBADF;
	memset(&st, 0, sizeof(st));
	r = vfs_fstat(f, &st);
	file_put(f);
	if (r < 0)
		return r;
	if (mm_copy_out(t->mm, addr, &st, sizeof(st)) != sizeof(st))
		return -EFAULT;
	return 0;
}

long sys_fstat(struct task *t, const struct syscall_args *a)
{
	return stat_fd_out(t, ARG_INT(0), ARG_U(1));
}

long sys_fsync(struct task *t, const struct syscall_args *a)
{
	struct file *f = get_file(t, ARG_INT(0));
	long r;

	if (!f)
		return -EBADF;
	r = vfs_fsync(f, false);
	file_put(f);
	return r;
}

long sys_fdatasync(struct task *t, const struct syscall_args *a)
{
	struct file *f = get_file(t, ARG_INT(0));
	long r;

	if (!f)
		return -EBADF;
	r = vfs_fsync(f, true);
	file_put(f);
	return r;
}

/* getdents64: records are built in a bounded Sentry buffer, then copied out once. */
#define GETDENTS_MAX (64 * 1024)

struct dents_ctx {
	struct dir_ctx ctx;
	char *buf;
	size_t len, cap;
	bool too_small;
	bool legacy; /* getdents(2)'s struct linux_dirent: d_type in the record's last byte */
};

static bool dents_emit(struct dir_ctx *c, const char *name, size_t len, uint64_t ino,
		       unsigned int type, int64_t next_off)
{
	struct dents_ctx *d = container_of(c, struct dents_ctx, ctx);
	/* dirent64: ino, off, reclen, type, name, NUL; linux_dirent: ino, off, reclen, name,
	 * NUL, ..., type. */
	size_t reclen = d->legacy ? (18 + len + 2 + 7) & ~(size_t)7 : (19 + len + 1 + 7) & ~(size_t)7;
	char *p = d->buf + d->len;
	uint16_t rl = (uint16_t)reclen;
	uint8_t ty = (uint8_t)type;

	if (d->len + reclen > d->cap) {
		d->too_small = d->len == 0;
		return false;
	}
	memset(p, 0, reclen);
	memcpy(p, &ino, 8);
	memcpy(p + 8, &next_off, 8);
	memcpy(p + 16, &rl, 2);
	if (d->legacy) {
		memcpy(p + 18, name, len);
		memcpy(p + reclen - 1, &ty, 1);
	} else {
		memcpy(p + 18, &ty, 1);
		memcpy(p + 19, name, len);
	}
	d->len += reclen;
	return true;
}

static long do_getdents(struct task *t, const struct syscall_args *a, bool legacy)
{
	struct file *f = get_file(t, ARG_INT(0));
	struct dents_ctx d = { .ctx.emit = dents_emit, .legacy = legacy };
	struct uio u;
	long r;

	if (!f)
		return -EBADF;
	if (uio_init_single(&u, t->mm, ARG_U(1), (unsigned int)ARG_U(2)) < 0) {
		file_put(f);
		return -EFAULT;
	}
	d.cap = MIN((size_t)(unsigned int)ARG_U(2), (size_t)GETDENTS_MAX);
	d.buf = malloc(d.cap ? d.cap : 1);
	if (!d.buf) {
		file_put(f);
		return -ENOMEM;
	}
	pthread_mutex_lock(&f->pos_mu);
	d.ctx.pos = f->pos;
	r = vfs_iterate(f, &d.ctx);
	/* The first record did not fit: Linux says EINVAL ("result buffer is too small"). */
	if (r == 0 && d.too_small)
		r = -EINVAL;
	if (r == 0 && d.len) {
		if (mm_copy_out(t->mm, ARG_U(1), d.buf, d.len) != (ssize_t)d.len)
			r = -EFAULT;
		else {
			f->pos = d.ctx.pos;
			r = (long)d.len;
		}
	}
	pthread_mutex_unlock(&f->pos_mu);
	free(d.buf);
	file_put(f);
	return r;
}

long sys_getdents64(struct task *t, const struct syscall_args *a)
{
	return do_getdents(t, a, false);
}

long sys_getdents(struct task *t, const struct syscall_args *a)
{
	return do_getdents(t, a, true);
}

/* ---- space, syncing and hints ---- */

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#define FALLOC_FL_PUNCH_HOLE 0x02
#define FALLOC_FL_ZERO_RANGE 0x10
#endif

/* Write @len zero bytes at @off through the file's own write (punch hole, zero range). */
static long write_zeros(struct file *f, int64_t off, int64_t len)
{
	static const char zeros[4096];

	while (len > 0) {
		struct uio u;
		size_t n = (size_t)MIN(len, (int64_t)sizeof(zeros));
		uio_init_kernel(&u, (void *)zeros, n);
		ssize_t w = vfs_write(f, &u, &off);
		if (w <= 0)
			return w ? w : -EIO;
		len -= w;
	}
	return 0;
}

long sys_fallocate(struct task *t, const struct syscall_args *a)
{
	int mode = ARG_INT(1);
	int64_t off = (int64_t)ARG_U(2), len = (int64_t)ARG_U(3);
	struct file *f = get_file(t, ARG_INT(0));
	struct inode *ino;
	struct stat st;
	long r = 0;

	if (!f)
		return -EBADF;
	ino = file_inode(f);
	if (off < 0 || len <= 0)
		r = -EINVAL;
	else if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
		r = -EOPNOTSUPP;
	else if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		r = -EOPNOTSUPP;
	else if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
		r = -EBADF;
	else if (file_is_pipe(f))
		r = -ESPIPE;
	else if (!ino || vfs_getattr(ino, &st) < 0)
		r = -ENODEV;
	else if (S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		r = -ENODEV;
	else if (off + len < off)
		r = -EFBIG;
	if (r == 0 && (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))) {
		/* Zero what exists of the range; ZERO_RANGE without KEEP_SIZE may extend. */
		int64_t end = off + len;
		if (mode & FALLOC_FL_KEEP_SIZE || mode & FALLOC_FL_PUNCH_HOLE)
			end = MIN(end, (int64_t)st.st_size);
		if (end > off)
			r = write_zeros(f, off, end - off);
	} else if (r == 0 && !(mode & FALLOC_FL_KEEP_SIZE) && off + len > st.st_size) {
		struct iattr ia = { .valid = ATTR_SIZE, .size = off + len };
		r = vfs_setattr(ino, &ia);
	}
	file_put(f);
	return r;
}

/* Nothing the Sentry holds needs flushing beyond what fsync does per file. */
long sys_sync(struct task *t, const struct syscall_args *a)
{
	(void)t;
	(void)a;
	return 0;
}

long sys_syncfs(struct task *t, const struct syscall_args *a)
{
	struct file *f = get_file(t, ARG_INT(0));

	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

/* fd checks only: readahead, fadvise and sync_file_range are hints or no-ops here. */
static long fd_hint(struct task *t, int fd, bool need_regular)
{
	struct file *f = get_file(t, fd);
	struct stat st;
	long r = 0;

	if (!f)
		return -EBADF;
	if (file_is_pipe(f))
		r = -ESPIPE;
	else if (need_regular && (vfs_fstat(f, &st) < 0 || !S_ISREG(st.st_mode)))
		r = -EINVAL;
	file_put(f);
	return r;
}

long sys_readahead(struct task *t, const struct syscall_args *a)
{
	long r = fd_hint(t, ARG_INT(0), true);
	return r == -ESPIPE ? -EINVAL : r;
}

long sys_fadvise64(struct task *t, const struct syscall_args *a)
{
	if (ARG_INT(3) < 0 || ARG_INT(3) > 5)
		return -EINVAL;
	if ((int64_t)ARG_U(2) < 0)
		return -EINVAL;
	return fd_hint(t, ARG_INT(0), false);
}

long sys_sync_file_range(struct task *t, const struct syscall_args *a)
{
	if ((int64_t)ARG_U(1) < 0 || (int64_t)ARG_U(2) < 0 || (ARG_U(3) & ~7ULL))
		return -EINVAL;
	return fd_hint(t, ARG_INT(0), false);
}
