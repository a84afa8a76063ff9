/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VFS's public surface (DESIGN.md §7). This first cut holds open file descriptions
 * (struct file + file_ops), guest I/O vectors (struct uio) and fd tables; mounts, dentries,
 * inodes and the filesystems (gofer, tmpfs, overlay, proc, dev) build on it.
 *
 * Lock order: fdtable->mu > file->pos_mu. No fs lock is held across a blocking host call
 * except file->pos_mu (per open file, like Linux's f_pos_lock).
 */
#ifndef SBX_FS_VFS_H
#define SBX_FS_VFS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/refcount.h"
#include "sentry/mm/mm.h"

struct file;
struct stat;

/*
 * struct uio - a guest I/O vector being consumed: @iov (copied in and validated), the mm
 * the addresses belong to, and how much is left. Filesystems move data with
 * uio_copy_out (file -> guest) and uio_copy_in (guest -> file).
 */
struct uio_vec {
	gva_t base;
	uint64_t len;
};

struct uio {
	struct mm *mm;
	struct uio_vec *iov;
	int iovcnt;
	int cur;          /* index of the current vector */
	uint64_t cur_off; /* bytes consumed of iov[cur] */
	uint64_t resid;   /* bytes left in total */
	struct uio_vec one; /* storage for single-buffer read/write */
};

/* uio_init_single - a uio over one guest buffer; -EFAULT if it is not in user space. */
int uio_init_single(struct uio *u, struct mm *mm, gva_t base, uint64_t len);
/*
 * uio_init_guest_iov - copy in @cnt struct iovec from guest @iov_addr and validate them
 * (IOV_MAX, total capped at MAX_RW_COUNT like Linux). The vector array is owned by @u;
 * release with uio_destroy. 0 or -EINVAL / -EFAULT / -ENOMEM.
 */
int uio_init_guest_iov(struct uio *u, struct mm *mm, gva_t iov_addr, int cnt);
void uio_destroy(struct uio *u);
/* uio_copy_out - write @len bytes of @src to the guest vectors; bytes done or -EFAULT. */
ssize_t uio_copy_out(struct uio *u, const void *src, size_t len);
/* uio_copy_in - read up to @len bytes from the guest vectors into @dst. */
ssize_t uio_copy_in(struct uio *u, void *dst, size_t len);

/*
 * struct file_ops - an open file description's behaviour. A NULL op means the Linux default,
 * applied in one place (fs/file.c): read/write -EINVAL, llseek -ESPIPE, ioctl -ENOTTY,
 * fstat -EBADF.
 */
struct file_ops {
	/* read/write - move data at *pos (files that ignore offsets leave it alone). May block. */
	ssize_t (*read)(struct file *f, struct uio *dst, int64_t *pos);
	ssize_t (*write)(struct file *f, struct uio *src, int64_t *pos);
	int64_t (*llseek)(struct file *f, int64_t off, int whence);
	/* ioctl - @arg is a guest address or value; @mm to copy through. */
	long (*ioctl)(struct file *f, struct mm *mm, unsigned int cmd, uint64_t arg);
	int (*fstat)(struct file *f, struct stat *st);
	/* release - last reference dropped. */
	void (*release)(struct file *f);
};

/* struct file - an open file description, shared by dup'd fds and forked fd tables. */
struct file {
	const struct file_ops *ops;
	struct refcount ref;
	int flags; /* O_* status flags (O_ACCMODE, O_APPEND, O_NONBLOCK, ...) */
	pthread_mutex_t pos_mu;
	int64_t pos; /* protected by pos_mu */
	void *priv;
};

/* file_init - a new file with one reference; the creator owns it. */
void file_init(struct file *f, const struct file_ops *ops, int flags, void *priv);
void file_get(struct file *f);
void file_put(struct file *f);

/* VFS entry points used by syscall handlers; each applies the Linux defaults. */
ssize_t vfs_read(struct file *f, struct uio *u, int64_t *pos);
ssize_t vfs_write(struct file *f, struct uio *u, int64_t *pos);
int64_t vfs_llseek(struct file *f, int64_t off, int whence);
long vfs_ioctl(struct file *f, struct mm *mm, unsigned int cmd, uint64_t arg);
int vfs_fstat(struct file *f, struct stat *st);

/* ---- fd tables ---- */

#define FD_FLAG_CLOEXEC 1

struct fdtable;

int fdtable_new(struct fdtable **out);
void fdtable_get(struct fdtable *t);
void fdtable_put(struct fdtable *t);
/* fdtable_install - put @f (a reference is taken) at the lowest free fd >= @min below @limit. */
int fdtable_install(struct fdtable *t, int min, struct file *f, int fd_flags, unsigned long limit);
/* fdtable_install_at - put @f at @fd, closing what was there (dup2). */
int fdtable_install_at(struct fdtable *t, int fd, struct file *f, int fd_flags, unsigned long limit);
/* fdtable_get_file - a new reference to the file at @fd (and its fd flags), or NULL. */
struct file *fdtable_get_file(struct fdtable *t, int fd, int *fd_flags);
int fdtable_set_flags(struct fdtable *t, int fd, int fd_flags);
/* fdtable_close - remove @fd and drop its reference. -EBADF if not open. */
int fdtable_close(struct fdtable *t, int fd);
/* fdtable_close_range - close [first, last] (close_range(2) without flags). */
void fdtable_close_range(struct fdtable *t, unsigned int first, unsigned int last);

/* ---- host files (fs/host/): wrap an fd the Sentry was given, such as the caller's stdio ---- */

/* hostfile_new - a file over host fd @fd (ownership of @fd moves to the file). */
int hostfile_new(int fd, int flags, struct file **out);

#endif
