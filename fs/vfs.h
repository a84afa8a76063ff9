/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VFS's public surface (DESIGN.md §7): open file descriptions (struct file + file_ops),
 * guest I/O vectors (struct uio), fd tables, and the namespace: inodes (inode_ops), dentries
 * (the name tree, which for tmpfs is the directory itself), mounts, per-task root/cwd
 * (struct fs_context) and the path walk (fs/namei.c). Filesystems: tmpfs (fs/tmpfs/), host
 * files (fs/host/); gofer, overlay, proc and dev build on the same objects.
 *
 * Lock order: fdtable->mu > file->pos_mu > vfs_tree_mu > inode->mu > fs_context->mu.
 * vfs_tree_mu (fs/dentry.c) protects the whole dentry tree and mount table and every
 * directory's contents: path walks and namespace changes hold it throughout. It is recursive
 * (the overlay copies up from setattr and open, with or without it held). That is
 * simple and race-free while filesystems are in memory; the gofer will need per-dentry
 * locks (Linux's i_rwsem) before a walk may block on the host.
 */
#ifndef SBX_FS_VFS_H
#define SBX_FS_VFS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#include "lib/refcount.h"
#include "sentry/mm/mm.h"

struct file;
struct stat;
struct inode;
struct dentry;
struct mount;
struct dir_ctx;
struct poll_table;
struct waitq;
struct waiter;

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
/* uio_init_kernel - a uio over a Sentry buffer (mm NULL): kernel reads such as the loader's. */
void uio_init_kernel(struct uio *u, void *buf, uint64_t len);
void uio_destroy(struct uio *u);
/* uio_copy_out - write @len bytes of @src to the guest vectors; bytes done or -EFAULT. */
ssize_t uio_copy_out(struct uio *u, const void *src, size_t len);
/* uio_copy_in - read up to @len bytes from the guest vectors into @dst. */
ssize_t uio_copy_in(struct uio *u, void *dst, size_t len);
/* uio_advance - @n bytes of @u were moved by other means (a host preadv into pinned pages). */
void uio_advance(struct uio *u, uint64_t n);

/*
 * struct file_ops - an open file description's behaviour. A NULL op means the Linux default,
 * applied in one place (fs/file.c): read/write -EINVAL, llseek -ESPIPE, ioctl -ENOTTY,
 * fstat -EBADF.
 */
struct file_ops {
	/*
	 * open - set up an open of file_inode(f) (f->flags, f->path are set; f->priv is the
	 * filesystem's); called by vfs_open_path for every open but O_PATH. -errno fails it.
	 */
	int (*open)(struct file *f);
	/* read/write - move data at *pos (files that ignore offsets leave it alone). May block. */
	ssize_t (*read)(struct file *f, struct uio *dst, int64_t *pos);
	ssize_t (*write)(struct file *f, struct uio *src, int64_t *pos);
	int64_t (*llseek)(struct file *f, int64_t off, int whence);
	/* ioctl - @arg is a guest address or value; @mm to copy through. */
	long (*ioctl)(struct file *f, struct mm *mm, unsigned int cmd, uint64_t arg);
	int (*fstat)(struct file *f, struct stat *st);
	/*
	 * iterate - emit directory entries from ctx->pos on through ctx->emit until it
	 * returns false (buffer full) or the end; 0 or -errno. Called with vfs_tree_mu held.
	 */
	int (*iterate)(struct file *f, struct dir_ctx *ctx);
	/* fsync - flush to stable storage; NULL means nothing to flush (success). */
	int (*fsync)(struct file *f, bool datasync);
	/* release - last reference dropped. */
	void (*release)(struct file *f);
	/*
	 * reopen - open(2) of a magic link to this pathless file: a new open file description
	 * of the same object with @flags (a pipe end: Linux's fifo_open). NULL: -ENXIO.
	 */
	int (*reopen)(struct file *f, int flags, struct file **out);
	/*
	 * mmap_file - the open file whose page cache a mapping of @f maps (overlay: the
	 * layer's file; no new reference). NULL op: @f itself (fs/pagecache.c).
	 */
	struct file *(*mmap_file)(struct file *f);
	/*
	 * poll - the file's readiness now (POLLIN | POLLOUT | POLLHUP | ...), never blocking.
	 * With @pt non-NULL also register on every wait queue whose wake could change the
	 * answer (poll_wait). NULL op: always readable and writable (regular files).
	 */
	unsigned int (*poll)(struct file *f, struct poll_table *pt);
};

/*
 * struct dir_ctx - a getdents cursor. Offsets are stable cookies chosen by the filesystem
 * (tmpfs: 0 ".", 1 "..", then a per-directory counter), so entries added or removed between
 * calls never make a listing skip or repeat a surviving entry. @emit returns false when the
 * caller's buffer is full; the filesystem then leaves @pos at that entry.
 */
struct dir_ctx {
	bool (*emit)(struct dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
		     unsigned int type, int64_t next_off);
	int64_t pos;
};

/* struct path - a (mount, dentry) pair; both references are owned by whoever holds it. */
struct path {
	struct mount *mnt;
	struct dentry *dentry;
};

/* struct file - an open file description, shared by dup'd fds and forked fd tables. */
struct file {
	const struct file_ops *ops;
	struct refcount ref;
	int flags; /* O_* status flags (O_ACCMODE, O_APPEND, O_NONBLOCK, ...) */
	pthread_mutex_t pos_mu;
	int64_t pos; /* protected by pos_mu */
	void *priv;
	struct path path; /* where it was opened (references owned); NULLs for host files */
};

/*
 * File locks (fs/locks.c). vfs_fcntl_lock - F_GETLK/F_SETLK/F_SETLKW and the F_OFD_ forms
 * on @f for the fd table @files (the POSIX owner) and process @pid (F_GETLK's l_pid): 0,
 * -EAGAIN (conflict), -EDEADLK, -ERESTARTSYS (interrupted wait), -EINVAL, -EOVERFLOW,
 * -ENOLCK. The caller has checked l_type against the access mode. vfs_flock - flock(2).
 * vfs_locks_close - @files closed an fd of @f (its POSIX locks on the inode go);
 * vfs_locks_file_release - @f's last reference went (its OFD and flock locks go).
 */
struct flock;
int vfs_fcntl_lock(struct file *f, const void *files, pid_t pid, int cmd, struct flock *fl);
int vfs_flock(struct file *f, int op);
void vfs_locks_close(struct file *f, const void *files);
void vfs_locks_file_release(struct file *f);

/* file_init - a new file with one reference; the creator owns it. */
void file_init(struct file *f, const struct file_ops *ops, int flags, void *priv);
void file_get(struct file *f);
void file_put(struct file *f);

/* VFS entry points used by syscall handlers; each applies the Linux defaults. */
ssize_t vfs_read(struct file *f, struct uio *u, int64_t *pos);
ssize_t vfs_write(struct file *f, struct uio *u, int64_t *pos);
int64_t vfs_llseek(struct file *f, int64_t off, int whence);
/*
 * generic_file_llseek - llseek for files whose size is file_inode(f)->size and whose every
 * byte is data (Linux's generic_file_llseek): SEEK_SET/CUR/END/DATA/HOLE.
 * Preconditions: f->pos_mu held.
 */
int64_t generic_file_llseek(struct file *f, int64_t off, int whence);
long vfs_ioctl(struct file *f, struct mm *mm, unsigned int cmd, uint64_t arg);
int vfs_fstat(struct file *f, struct stat *st);
/*
 * vfs_poll - the op, or POLLIN|POLLOUT|POLLRDNORM|POLLWRNORM for files without one
 * (fs/poll.c).
 */
unsigned int vfs_poll(struct file *f, struct poll_table *pt);
/*
 * struct poll_table - what a poller is waiting on (fs/poll.c): the waiter to wake and the
 * queue entries registered so far. poll_wait(pt, q) adds an entry on @q (no-op when @pt is
 * NULL); poll_table_set_host marks the set as holding host fds, which the caller must
 * re-poll in short slices because no wait queue tells of their readiness.
 */
struct poll_entry;
struct poll_table {
	struct waiter *w;
	struct poll_entry *entries;
	bool host; /* some file is a host fd */
	int err;   /* -ENOMEM while registering */
	/* collect: register nothing, sum the wake counters of the queues instead (EPOLLET). */
	bool collect;
	uint64_t seqsum;
};
void poll_table_init(struct poll_table *pt, struct waiter *w);
/* poll_table_release - take every entry off its queue and free it. */
void poll_table_release(struct poll_table *pt);
void poll_wait(struct poll_table *pt, struct waitq *q);
void poll_table_set_host(struct poll_table *pt);

/* vfs_kernel_pread - read up to @len bytes at @off into Sentry memory; bytes or -errno. */
ssize_t vfs_kernel_pread(struct file *f, void *buf, size_t len, int64_t off);

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
/* fdtable_fork - an unshared copy of @t (fork without CLONE_FILES): same files and fd flags. */
int fdtable_fork(struct fdtable *t, struct fdtable **out);
/* fdtable_next_fd - the lowest open fd >= @from, or -1 (/proc/PID/fd listings). */
int fdtable_next_fd(struct fdtable *t, int from);
/* fdtable_close_on_exec - close every fd with FD_FLAG_CLOEXEC (execve). */
void fdtable_close_on_exec(struct fdtable *t);

/* ---- inodes, dentries, mounts (fs/inode.c, fs/dentry.c, fs/mount.c) ---- */

#define VFS_NAME_MAX 255
#define VFS_PATH_MAX 4096
#define VFS_MAXSYMLINKS 40
/* The kernel's O_LARGEFILE (glibc defines it as 0 on x86-64); open(2) always sets it. */
#define VFS_O_LARGEFILE 0100000

/* Permission bits asked of vfs_permission (Linux's MAY_*). */
#define MAY_EXEC 1
#define MAY_WRITE 2
#define MAY_READ 4

/* struct vfs_cred - who is asking: the task's fsuid/fsgid (root overrides DAC like Linux). */
struct vfs_cred {
	uint32_t uid, gid;
	const uint32_t *groups; /* supplementary groups (may be NULL when @ngroups is 0) */
	int ngroups;
};

/* vfs_cred_in_group - is @gid the credential's gid or one of its supplementary groups? */
bool vfs_cred_in_group(const struct vfs_cred *cr, uint32_t gid);

/* struct iattr - a setattr request; only the fields named in @valid are applied. */
#define ATTR_MODE 1
#define ATTR_UID 2
#define ATTR_GID 4
#define ATTR_SIZE 8
#define ATTR_ATIME 16
#define ATTR_MTIME 32
#define ATTR_CTIME 64
struct iattr {
	unsigned int valid;
	uint32_t mode, uid, gid;
	int64_t size;
	struct timespec atime, mtime, ctime;
};

/*
 * struct inode_ops - what a filesystem does with names and attributes. Directory ops get the
 * parent inode and the dentry naming the child; creators fill @d with dentry_instantiate.
 * Every op runs with vfs_tree_mu held, after the VFS checked permissions, existence and
 * types (Linux's may_create/may_delete), so filesystems only do the work. A NULL op means:
 * lookup -ENOENT (the dentry tree is the whole directory, like Linux's simple_lookup),
 * getattr/setattr the generic versions over struct inode, others -EPERM (Linux's answer
 * for an operation the filesystem lacks).
 */
struct inode_ops {
	/* lookup - a name not in the dentry tree: instantiate @d, or -ENOENT. */
	int (*lookup)(struct inode *dir, struct dentry *d);
	/* create/mkdir/symlink - @cr owns the new inode (its fsuid/fsgid). */
	int (*create)(struct inode *dir, struct dentry *d, uint32_t mode, const struct vfs_cred *cr);
	int (*mkdir)(struct inode *dir, struct dentry *d, uint32_t mode, const struct vfs_cred *cr);
	int (*symlink)(struct inode *dir, struct dentry *d, const char *target,
		       const struct vfs_cred *cr);
	/* link - make @d a new name for @old's inode. */
	int (*link)(struct dentry *old, struct inode *dir, struct dentry *d);
	/* unlink/rmdir - @d goes away (the VFS detaches it from the tree afterwards). */
	int (*unlink)(struct inode *dir, struct dentry *d);
	int (*rmdir)(struct inode *dir, struct dentry *d);
	/*
	 * rename - move @od to @nd's name; @nd may be positive (replaced; its type and emptiness
	 * already checked) or negative (a temporary dentry with a NULL inode that only names
	 * the target). The VFS moves the dentries afterwards.
	 */
	int (*rename)(struct inode *odir, struct dentry *od, struct inode *ndir, struct dentry *nd,
		      unsigned int flags);
	/* get_link - a malloc'd copy of a symlink's target in *out. */
	int (*get_link)(struct inode *ino, char **out);
	int (*getattr)(struct inode *ino, struct stat *st);
	int (*setattr)(struct inode *ino, const struct iattr *ia);
	/* release - the last reference dropped: free the filesystem's inode. */
	void (*release)(struct inode *ino);
	/*
	 * revalidate - is the cached dentry @d (whose inode this is) still valid? false makes
	 * the walk drop it (and its subtree) and ask the directory's lookup again: procfs
	 * entries of processes that went away. NULL: always valid. Called under vfs_tree_mu.
	 */
	bool (*revalidate)(struct dentry *d);
	/*
	 * mknod - a character or block device node (@mode has S_IFCHR/S_IFBLK) numbered @rdev
	 * (the kernel's dev_t). NULL: -EPERM.
	 */
	int (*mknod)(struct inode *dir, struct dentry *d, uint32_t mode, uint64_t rdev,
		     const struct vfs_cred *cr);
	/*
	 * Extended attributes (fs/xattr.c checks names, sizes and permissions first). getxattr
	 * copies the value into @buf when @size is non-zero (-ERANGE if it does not fit) and
	 * returns its length; listxattr the same with the NUL-terminated names; setxattr takes
	 * XATTR_CREATE / XATTR_REPLACE. NULL ops: -EOPNOTSUPP (no attributes).
	 */
	ssize_t (*getxattr)(struct inode *ino, const char *name, void *buf, size_t size);
	ssize_t (*listxattr)(struct inode *ino, char *buf, size_t size);
	int (*setxattr)(struct inode *ino, const char *name, const void *value, size_t size,
			int flags);
	int (*removexattr)(struct inode *ino, const char *name);
	/*
	 * tmpfile - O_TMPFILE: a new unnamed regular file in directory @dir, instantiated in
	 * @d (a dentry never attached: it names nothing until linkat). NULL: -EOPNOTSUPP.
	 */
	int (*tmpfile)(struct inode *dir, struct dentry *d, uint32_t mode,
		       const struct vfs_cred *cr);
	/*
	 * evictable - may the dentry cache drop the unused dentry @d (whose inode this is) and
	 * look it up again later with nothing lost? Filesystems whose dentries are only a cache
	 * of another store (gofer, clean overlay entries) say yes; NULL: never (tmpfs, where the
	 * tree is the data). Called under vfs_tree_mu.
	 */
	bool (*evictable)(struct dentry *d);
	/*
	 * permission - what vfs_permission answers for this inode when set (procfs: a
	 * process's own fd/ directory, fdinfo/'s ptrace check); may call
	 * vfs_generic_permission. Called without inode->mu, maybe under vfs_tree_mu.
	 */
	int (*permission)(const struct vfs_cred *cr, struct inode *ino, int mask);
	/*
	 * magic - a magic link (Linux's nd_jump_link: /proc/PID/fd/N, cwd, root): the walk jumps
	 * to *path (new references), wherever it is, instead of resolving a target string; a
	 * file with no path (pipe, socket, host stdio) comes back in *file (a new reference)
	 * and can only end a walk. -ENOSYS: an ordinary symlink (use get_link).
	 */
	int (*magic)(struct inode *ino, struct path *path, struct file **file);
};

/* struct super - one filesystem instance; every inode holds a reference. */
struct super {
	struct refcount ref;
	uint64_t dev;   /* st_dev */
	const char *fstype; /* /proc/mounts' type ("tmpfs", "proc", ...); NULL: "tmpfs" */
	atomic_ulong next_ino;
	bool rdonly;    /* SB_RDONLY: every mount of it is read-only (a read-only gofer) */
};

/* struct inode - a file's identity and attributes. Embedded first by filesystems. */
struct inode {
	const struct inode_ops *ops;
	const struct file_ops *fops; /* what an open of it gets */
	struct super *sb;
	struct refcount ref;
	uint64_t ino;
	/* mu protects the attributes and the filesystem's data (tmpfs: file contents). */
	pthread_mutex_t mu;
	uint32_t mode;  /* S_IFMT | permissions; protected by mu */
	uint32_t nlink; /* protected by mu */
	uint32_t uid, gid;
	int64_t size;
	struct timespec atime, mtime, ctime;
	/* The unix socket bound to this S_IFSOCK inode, or NULL: owned and protected by the
	 * socket layer (sentry/socket/, under its lock); the VFS never looks at it. */
	void *sock;
	/* The page cache (fs/pagecache.c) of a regular file that can be mmap'd, or NULL
	 * (mmap fails with ENODEV). Set at creation by the filesystem; immutable. */
	struct pagecache *pagecache;
	/* A device node's number (the kernel's dev_t, st_rdev); 0 for everything else. */
	uint64_t rdev;
	/* O_TMPFILE file not yet linked (linkat may give it a name unless opened O_EXCL). */
	bool tmpfile, tmpfile_nolink;
};

/* inode_init - a new inode with one reference (the caller's), times set to now. */
void inode_init(struct inode *ino, const struct inode_ops *ops, const struct file_ops *fops,
		struct super *sb, uint32_t mode, uint32_t uid, uint32_t gid);
void inode_get(struct inode *ino);
void super_put(struct super *sb);
void inode_put(struct inode *ino);
/* inode_touch - set the named timestamps (ATTR_ATIME/MTIME/CTIME) to now. Preconditions: mu. */
void inode_touch(struct inode *ino, unsigned int which);
/* vfs_getattr / vfs_setattr - the op or the generic version. setattr takes ino->mu itself. */
int vfs_getattr(struct inode *ino, struct stat *st);
int vfs_setattr(struct inode *ino, const struct iattr *ia);
/* inode_setattr_copy - apply @ia to the fields (Linux's setattr_copy). Preconditions: mu. */
void inode_setattr_copy(struct inode *ino, const struct iattr *ia);
/*
 * vfs_permission - may @cr do @mask (MAY_*) to @ino? 0 or -EACCES: the inode's permission
 * op, else vfs_generic_permission (Linux's generic_permission: mode bits, root's overrides).
 */
int vfs_permission(const struct vfs_cred *cr, struct inode *ino, int mask);
int vfs_generic_permission(const struct vfs_cred *cr, struct inode *ino, int mask);

/*
 * struct dentry - a name in the tree. A positive dentry in the tree is referenced by its
 * parent's child list (the "tree reference"), so tmpfs entries live while nobody holds them;
 * each dentry references its parent and inode. Unlinked dentries leave the tree but live on
 * while open files or cwds hold them (@dead set). Fields other than @ref are protected by
 * vfs_tree_mu.
 */
struct dentry {
	struct refcount ref;
	char *name;
	struct dentry *parent;  /* NULL for a filesystem root */
	struct inode *inode;    /* NULL while negative */
	struct dentry *first, *last; /* children, oldest first */
	struct dentry *prev, *next;  /* siblings */
	int64_t cookie;         /* getdents offset within the parent */
	int64_t next_cookie;    /* for children */
	int nchildren;
	int mounted;            /* mounts on this dentry */
	bool dead;
	bool on_lru;            /* in the dentry cache's LRU (its inode has an evictable op) */
	struct dentry *lru_prev, *lru_next;
};

extern pthread_mutex_t vfs_tree_mu;

/* dentry_new - a negative dentry named @name (copied) under @parent (referenced), one ref. */
int dentry_new(struct dentry *parent, const char *name, size_t len, struct dentry **out);
void dentry_get(struct dentry *d);
void dentry_put(struct dentry *d);
/* dentry_instantiate - make @d positive; the reference on @ino moves to @d. */
void dentry_instantiate(struct dentry *d, struct inode *ino);
/* dentry_child - the child named @name of @dir, without a new reference; NULL if absent. */
struct dentry *dentry_child(struct dentry *dir, const char *name, size_t len);
/* dentry_attach/detach - put a positive dentry in its parent's list (taking the tree
 * reference) or take it out (dropping it, marking it dead). Preconditions: vfs_tree_mu. */
void dentry_attach(struct dentry *d);
void dentry_detach(struct dentry *d);
/* dentry_prune - detach every descendant of @d (unmount, teardown). */
void dentry_prune(struct dentry *d);
/* dentry_touch - @d was found by a lookup: most recently used. Preconditions: vfs_tree_mu. */
void dentry_touch(struct dentry *d);

/*
 * The dentry cache. Positive dentries of filesystems with an evictable op sit on an LRU;
 * when it grows past a high-water mark, unused ones (only the tree holds them, no children,
 * no mounts, nobody else holds their inode) are dropped oldest first. Each cached gofer
 * dentry holds a fid, an fd in the gofer, so this is what lets a walk of a tree larger than
 * the gofer's fd limit work.
 *
 * dcache_shrink runs only where no caller can hold an unreferenced dentry pointer: between
 * syscalls (dcache_balance from the dispatcher), never from inside a walk.
 */
extern size_t dcache_high_water;
extern atomic_bool dcache_over;
/* dcache_shrink - evict down to 3/4 of the high-water mark; returns how many went. */
size_t dcache_shrink(void);
/* dcache_count - dentries on the LRU now. */
size_t dcache_count(void);
static inline void dcache_balance(void)
{
	if (atomic_load_explicit(&dcache_over, memory_order_relaxed))
		dcache_shrink();
}

/* struct mount - a filesystem instance grafted at @mountpoint of @parent (NULLs for a root). */
struct mount {
	struct refcount ref;
	struct dentry *root;
	struct mount *parent;
	struct dentry *mountpoint;
	struct mount *next_mount; /* the mount table; protected by vfs_tree_mu */
	struct mount *bind_of;    /* a bind mount: the mount whose tree it shows (referenced) */
	bool readonly;            /* MS_RDONLY: namespace changes and writes get EROFS */
};

/*
 * mount_new - a mount of the tree at @root (referenced) on @parent/@mountpoint (both
 * referenced; NULL for a namespace root). Returns one reference.
 */
int mount_new(struct dentry *root, struct mount *parent, struct dentry *mountpoint,
	      struct mount **out);
void mount_get(struct mount *m);
/* mount_put - the last put prunes the filesystem's tree and frees it. */
void mount_put(struct mount *m);
/* mount_detach - take @m (which has a parent) out of the mount table and drop the table's
 * reference (umount with MNT_DETACH semantics: open files keep it alive). */
void mount_detach(struct mount *m);
/* mount_lookup - the mount on (@parent, @d), or NULL. Preconditions: vfs_tree_mu. */
struct mount *mount_lookup(struct mount *parent, struct dentry *d);
/*
 * mount_new_bind - a bind mount of @src (any directory or file of a mounted tree) on
 * @target (mount(2) MS_BIND; submounts of @src are not carried along: mount_new_rbind).
 * The bind shares the tree: unmounting it prunes nothing. One reference in *out (the table
 * holds another).
 */
int mount_new_bind(const struct path *src, const struct path *target, bool readonly,
		   struct mount **out);
/*
 * mount_new_rbind - mount(2) MS_BIND|MS_REC: the bind of @src on @target, then a bind of
 * every mount under @src on the same place in the new one, recursively (Linux's copy_tree;
 * each copy keeps its read-only flag). One reference to the top bind in *out.
 */
int mount_new_rbind(const struct path *src, const struct path *target, struct mount **out);
/*
 * mount_umount - umount2(2) of @m (the root of a mount with a parent): -EINVAL for the
 * namespace root, -EBUSY (without @detach) while it has submounts or users beyond @holders
 * references the caller knows of. Detaches it from the table (with @detach, every mount
 * under it too, deepest first).
 */
int mount_umount(struct mount *m, bool detach, long holders);
/*
 * mount_readonly - is @m read-only (EROFS for namespace changes and writes through it)?
 * Linux's __mnt_is_readonly: the mount's flag or its filesystem's.
 */
static inline bool mount_readonly(const struct mount *m)
{
	return m && (m->readonly || m->root->inode->sb->rdonly);
}

void path_get(const struct path *p);
void path_put(struct path *p);
static inline bool path_equal(const struct path *a, const struct path *b)
{
	return a->mnt == b->mnt && a->dentry == b->dentry;
}
static inline struct inode *file_inode(const struct file *f)
{
	return f->path.dentry ? f->path.dentry->inode : NULL;
}

/* ---- per-task root and cwd (fs/fs_context.c): shared by CLONE_FS, copied otherwise ---- */

struct fs_context {
	struct refcount ref;
	pthread_mutex_t mu;
	struct path root; /* protected by mu */
	struct path cwd;  /* protected by mu */
};

/* fs_context_new - root and cwd both @root (references taken). */
int fs_context_new(const struct path *root, struct fs_context **out);
/* fs_context_copy - an unshared copy (fork without CLONE_FS). */
int fs_context_copy(struct fs_context *fs, struct fs_context **out);
void fs_context_get(struct fs_context *fs);
void fs_context_put(struct fs_context *fs);
/* fs_context_paths - new references to the root and cwd. */
void fs_context_paths(struct fs_context *fs, struct path *root, struct path *cwd);
/* fs_context_set_cwd - replace the cwd (reference taken). */
void fs_context_set_cwd(struct fs_context *fs, const struct path *p);
/* fs_context_set_root - replace the root (chroot; reference taken). */
void fs_context_set_root(struct fs_context *fs, const struct path *p);

/* ---- path walk and namespace operations (fs/namei.c, fs/ops.c, fs/open.c) ---- */

/*
 * struct vfs_start - where a walk starts: the caller's root (never walked above) and the
 * directory relative paths start from (cwd or a dirfd's path). References are borrowed.
 */
struct vfs_start {
	const struct vfs_cred *cr;
	struct path root;
	struct path start;
	uint64_t resolve; /* openat2's RESOLVE_* (0 for every other caller) */
};

/* openat2's resolve flags (linux/openat2.h). */
#define VFS_RESOLVE_NO_XDEV 0x01
#define VFS_RESOLVE_NO_MAGICLINKS 0x02
#define VFS_RESOLVE_NO_SYMLINKS 0x04
#define VFS_RESOLVE_BENEATH 0x08
#define VFS_RESOLVE_IN_ROOT 0x10
#define VFS_RESOLVE_CACHED 0x20
#define VFS_RESOLVE_ALL 0x3f

#define LOOKUP_FOLLOW 1    /* follow a symlink in the last component */
#define LOOKUP_DIRECTORY 2 /* the result must be a directory */
#define LOOKUP_EMPTY 4     /* "" means the start itself (AT_EMPTY_PATH) */

/*
 * vfs_lookup - resolve @path to a positive path in *out (new references). Errors as Linux:
 * -ENOENT, -ENOTDIR, -ELOOP (40 links), -ENAMETOOLONG (a component over NAME_MAX), -EACCES
 * (search permission). A trailing slash requires a directory and follows a final symlink.
 */
int vfs_lookup(const struct vfs_start *s, const char *path, int flags, struct path *out);
/*
 * vfs_lookup_file - vfs_lookup, except that a magic link (/proc/PID/fd/N) naming a file that
 * has no path (a pipe, a socket, the caller's stdio) gives that file (a new reference) in
 * *fout with *out zeroed, where vfs_lookup fails with -ENXIO.
 */
int vfs_lookup_file(const struct vfs_start *s, const char *path, int flags, struct path *out,
		    struct file **fout);

int vfs_mkdir(const struct vfs_start *s, const char *path, uint32_t mode);
int vfs_mknod_reg(const struct vfs_start *s, const char *path, uint32_t mode);
/*
 * vfs_mknod_sock - bind(2)'s half: a new socket inode (S_IFSOCK | @mode) at @path, its path
 * (new references) in *out. -EEXIST if the name exists (bind reports -EADDRINUSE). Opening
 * a socket inode fails with -ENXIO.
 */
int vfs_mknod_sock(const struct vfs_start *s, const char *path, uint32_t mode, struct path *out);
/*
 * vfs_mknod - a regular file, FIFO, socket or device node (@mode has the S_IFMT type; @rdev
 * the device number of S_IFCHR/S_IFBLK, which need @cap_mknod: -EPERM after the name and
 * directory checks, as Linux's vfs_mknod).
 */
int vfs_mknod(const struct vfs_start *s, const char *path, uint32_t mode, uint64_t rdev,
	      bool cap_mknod);
/*
 * vfs_chrdev_fops / vfs_blkdev_fops - what an open of a device node of any filesystem gets:
 * the open finds the Sentry's driver by inode->rdev (fs/dev/: memory devices, tty, ptmx,
 * pts) and becomes its file; unknown devices and every block device give -ENXIO.
 */
extern const struct file_ops vfs_chrdev_fops, vfs_blkdev_fops;

/*
 * Extended attributes (fs/xattr.c): Linux's vfs_{get,set,list,remove}xattr with
 * xattr_permission. @cr asks; @admin: CAP_SYS_ADMIN (trusted.*, security.*); @fowner:
 * CAP_FOWNER (user.* in sticky dirs). @p names the file (its mount: EROFS). Sizes and
 * errors as the syscalls: -ERANGE (name length, buffer too small), -E2BIG, -ENODATA,
 * -EEXIST, -EOPNOTSUPP, -EPERM, -EACCES, -EROFS.
 */
#define VFS_XATTR_NAME_MAX 255
#define VFS_XATTR_SIZE_MAX 65536
#define VFS_XATTR_LIST_MAX 65536
struct vfs_xattr_who {
	const struct vfs_cred *cr;
	bool admin, fowner;
};
ssize_t vfs_getxattr(const struct vfs_xattr_who *w, const struct path *p, const char *name,
		     void *buf, size_t size);
ssize_t vfs_listxattr(const struct vfs_xattr_who *w, const struct path *p, char *buf,
		      size_t size);
int vfs_setxattr(const struct vfs_xattr_who *w, const struct path *p, const char *name,
		 const void *value, size_t size, int flags);
int vfs_removexattr(const struct vfs_xattr_who *w, const struct path *p, const char *name);
/*
 * struct simple_xattrs - an in-memory attribute list for filesystems that keep their own
 * (tmpfs; Linux's simple_xattrs). Protected by the caller (tmpfs: inode->mu).
 */
struct simple_xattr;
struct simple_xattrs {
	struct simple_xattr *head;
};
ssize_t simple_xattr_get(struct simple_xattrs *xs, const char *name, void *buf, size_t size);
ssize_t simple_xattr_list(struct simple_xattrs *xs, char *buf, size_t size);
int simple_xattr_set(struct simple_xattrs *xs, const char *name, const void *value,
		     size_t size, int flags);
int simple_xattr_remove(struct simple_xattrs *xs, const char *name);
void simple_xattrs_free(struct simple_xattrs *xs);
int vfs_symlink(const struct vfs_start *s, const char *target, const char *path);
/* vfs_link - @flags: LOOKUP_FOLLOW (AT_SYMLINK_FOLLOW), LOOKUP_EMPTY (AT_EMPTY_PATH). */
int vfs_link(const struct vfs_start *os, const char *opath, const struct vfs_start *ns,
	     const char *npath, int flags);
int vfs_unlink(const struct vfs_start *s, const char *path);
int vfs_rmdir(const struct vfs_start *s, const char *path);
/* vfs_rename - @flags: RENAME_NOREPLACE, RENAME_EXCHANGE (Linux's renameat2 flags). */
int vfs_rename(const struct vfs_start *os, const char *opath, const struct vfs_start *ns,
	       const char *npath, unsigned int flags);
/* vfs_readlink - the target of the symlink at @path (malloc'd) in *out; -EINVAL if not one. */
int vfs_readlink(const struct vfs_start *s, const char *path, int flags, char **out);
/*
 * vfs_open - open(2): @flags are O_*, @mode the creation mode after umask. A new file with
 * one reference in *out. Handles O_CREAT/O_EXCL/O_TRUNC/O_DIRECTORY/O_NOFOLLOW/O_PATH.
 */
int vfs_open(const struct vfs_start *s, const char *path, int flags, uint32_t mode,
	     struct file **out);
/* vfs_open_path - open an already-resolved path (references taken). */
int vfs_open_path(const struct vfs_cred *cr, const struct path *p, int flags, struct file **out);
/* vfs_iterate - list directory @f from ctx->pos (struct dir_ctx); -ENOTDIR, -ENOENT if gone. */
int vfs_iterate(struct file *f, struct dir_ctx *ctx);
int vfs_fsync(struct file *f, bool datasync);
/*
 * vfs_path_string - the path of @p as seen from @root into @buf (getcwd): its length, or
 * -ENOENT if @p was unlinked, -ERANGE if it does not fit. Not under @root: "(unreachable)".
 */
int vfs_path_string(const struct path *root, const struct path *p, char *buf, size_t size);
/* vfs_path_string_locked - the same with vfs_tree_mu already held (procfs symlinks). */
int vfs_path_string_locked(const struct path *root, const struct path *p, char *buf,
			   size_t size);
/*
 * vfs_for_each_mount - call @fn for every mount with a parent, oldest first, with
 * vfs_tree_mu held (/proc/PID/mounts). The namespace root is not included.
 */
void vfs_for_each_mount(void (*fn)(struct mount *m, void *arg), void *arg);

/* ---- POSIX message queues (fs/mqueue.c) ---- */

struct mq_attr;
/* What mq_notify registered: SIGEV_NONE/SIGEV_SIGNAL, the signal, its value, the process. */
struct mq_notify_target {
	int notify;
	int signo;
	uint64_t value;
	int32_t pid;
};
/* mqueue_open - mq_open(3)'s kernel half: @name without the leading '/'. */
int mqueue_open(const char *name, int flags, uint32_t mode, const struct mq_attr *attr,
		const struct vfs_cred *cr, uint32_t umask, struct file **out);
int mqueue_unlink(const char *name, const struct vfs_cred *cr);
/*
 * mqueue_send - queue @len bytes at @prio, waiting for room until @dl (absolute
 * CLOCK_MONOTONIC, NULL: for ever) unless O_NONBLOCK. When the message lands in an empty queue
 * with a registration, *@fire gets it (the caller sends the signal). -EAGAIN, -ETIMEDOUT,
 * -EMSGSIZE, -EBADF, -ERESTARTSYS.
 */
int mqueue_send(struct file *f, const void *buf, size_t len, unsigned int prio,
		const struct timespec *dl, struct mq_notify_target *fire);
/* mqueue_receive - the oldest highest-priority message into @buf (@len >= msgsize). */
ssize_t mqueue_receive(struct file *f, void *buf, size_t len, unsigned int *prio,
		       const struct timespec *dl);
int mqueue_getsetattr(struct file *f, const struct mq_attr *set, struct mq_attr *old);
/* mqueue_notify - register @t (NULL: unregister); -EBUSY if someone is registered. */
int mqueue_notify(struct file *f, const struct mq_notify_target *t);
bool file_is_mqueue(const struct file *f);

/* ---- tmpfs (fs/tmpfs/) ---- */

/*
 * tmpfs_memfd_new - memfd_create(2): an unlinked O_RDWR file named "memfd:@name" in a
 * private tmpfs, owned by @cr; without @sealing it carries F_SEAL_SEAL.
 */
int tmpfs_memfd_new(const struct vfs_cred *cr, const char *name, bool sealing, struct file **out);
/* tmpfs_fcntl_seals - F_ADD_SEALS (@seals) / F_GET_SEALS; -EINVAL for non-tmpfs files. */
long tmpfs_fcntl_seals(struct file *f, int cmd, unsigned int seals);
/* tmpfs_new_root - a new tmpfs whose root directory has @mode and owner; one dentry ref. */
int tmpfs_new_root(uint32_t mode, uint32_t uid, uint32_t gid, struct dentry **out);
/* vfs_mount_root - the sandbox's root: a tmpfs with /tmp (1777). One reference in *out. */
int vfs_mount_root(uint32_t uid, uint32_t gid, struct mount **out);

/* ---- overlay (fs/overlay/) ---- */

/*
 * overlay_new_root - an overlay of the writable tree @upper (a fresh tmpfs) over @lower (read
 * only, e.g. the gofer's host "/"): lookups and listings merge, changes copy lower files up,
 * removals leave whiteouts; the lower tree is never written. References to both roots are
 * taken; one dentry reference in *out. See fs/overlay/overlay.c for what differs from Linux.
 */
int overlay_new_root(struct dentry *upper, struct dentry *lower, struct dentry **out);

/* ---- host files (fs/host/): wrap an fd the Sentry was given, such as the caller's stdio ---- */

/* hostfile_new - a file over host fd @fd (ownership of @fd moves to the file). */
int hostfile_new(int fd, int flags, struct file **out);

/* ---- pipes and eventfd (fs/pipe.c, fs/eventfd.c) ---- */

#define PIPE_DEF_SIZE 65536
#define PIPE_BUF_ATOMIC 4096
/*
 * pipe_new - a pipe: *rd (O_RDONLY) and *wr (O_WRONLY), each with one reference, both with
 * @flags' O_NONBLOCK / O_DIRECT. fstat reports a FIFO owned by @uid/@gid. Writing with no
 * reader returns -EPIPE: the caller sends SIGPIPE.
 */
int pipe_new(int flags, uint32_t uid, uint32_t gid, struct file **rd, struct file **wr);
/* fifo_open - open the FIFO @ino (at @path) as a pipe end, waiting for a partner (fs/pipe.c). */
int fifo_open(struct inode *ino, const struct path *path, int flags, struct file **out);
/* pipe_get_size / pipe_set_size - F_GETPIPE_SZ / F_SETPIPE_SZ (-EBADF if not a pipe). */
long pipe_get_size(struct file *f);
long pipe_set_size(struct file *f, unsigned long size, bool privileged);
/* file_is_pipe - is @f either end of a pipe? */
bool file_is_pipe(const struct file *f);
/*
 * pipe_peek - copy up to @len bytes of @f's pipe (a read end) without consuming them
 * (tee(2)); blocks while empty with writers unless @nonblock. Bytes, 0 at EOF, -EAGAIN.
 */
ssize_t pipe_peek(struct file *f, void *buf, size_t len, bool nonblock);
/* eventfd_new - an eventfd with counter @initval; @flags EFD_SEMAPHORE | EFD_NONBLOCK. */
int eventfd_new(uint64_t initval, int flags, struct file **out);

/* ---- epoll (fs/epoll.c): level-triggered; see the file's comment for what is simplified ---- */

struct epoll_event;
int epoll_new(int flags, struct file **out);
bool file_is_epoll(const struct file *f);
/* epoll_ctl_file - EPOLL_CTL_ADD/MOD/DEL of (@fd, @target); errors as epoll_ctl(2). */
int epoll_ctl_file(struct file *ep, int op, int fd, struct file *target, uint32_t events,
		   uint64_t data);
/*
 * epoll_scan - up to @max ready items into @out (Sentry memory), registering @pt (may be
 * NULL) on every armed item's wait queues. Items whose fd no longer names their file in @fdt
 * are dropped first. Returns how many are ready.
 */
int epoll_scan(struct file *ep, struct fdtable *fdt, struct poll_table *pt,
	       struct epoll_event *out, int max);

/* ---- page cache and file mappings (fs/pagecache.c) ---- */

/*
 * A page cache maps a regular file's page indexes to memory-file pages (DESIGN.md §6).
 * For tmpfs it is the file's storage (absent pages inside the size are holes of zeros);
 * for the gofer it caches pages read through an open file, kept coherent with write(2)
 * and truncate, and written back from shared mappings on msync, fsync and munmap.
 *
 * Lock order: inode->mu > pagecache mu > gofer client lock > memfile lock. mm never calls
 * into the page cache with mm->mu held (it drops it around get_page), and the page cache
 * never takes mm->mu, so copies to guest memory under inode->mu stay legal.
 */
struct pagecache;

/* pagecache_set_memfile - the memory file pages come from (boot: the guests' memfile). */
void pagecache_set_memfile(struct memfile *mf);
/* pagecache_memfile - that memory file (unit tests: a private one created on first use). */
struct memfile *pagecache_memfile(void);
/* pagecache_new - an empty cache; @storage: the cache is the file's data (tmpfs). */
int pagecache_new(bool storage, struct pagecache **out);
/* pagecache_free - drop every page (mappers keep their own references). */
void pagecache_free(struct pagecache *pc);
/*
 * pagecache_find - the memory-file offset of page @idx with a reference for the caller;
 * with @create allocate a zero page when absent (tmpfs writes). -ENOENT when absent,
 * -ENOMEM. Size is not checked. Release with pagecache_put_page.
 */
int pagecache_find(struct pagecache *pc, uint64_t idx, bool create, uint64_t *off);
void pagecache_put_page(uint64_t off);
/*
 * pagecache_prealloc - back the absent pages from @idx on (at most @n, stopping at the first
 * present one) with one memory-file run committed in one host call, for a write that will
 * cover them all. Best effort: on failure the pages are left to pagecache_find.
 */
void pagecache_prealloc(struct pagecache *pc, uint64_t idx, uint64_t n);
/* pagecache_page_ptr - the Sentry's pointer to a referenced page. */
void *pagecache_page_ptr(uint64_t off);
/* pagecache_set_size - the file's size as mappings see it (faults at or past it: SIGBUS). */
void pagecache_set_size(struct pagecache *pc, int64_t size);
/* pagecache_truncate - drop pages wholly past @size, zero the tail of the last one. */
void pagecache_truncate(struct pagecache *pc, int64_t size);
/* pagecache_write_through - @len bytes at @pos were written to the file: update cached pages. */
void pagecache_write_through(struct pagecache *pc, int64_t pos, const void *buf, size_t len);
/* pagecache_nr_pages - pages held (tests, accounting). */
uint64_t pagecache_nr_pages(struct pagecache *pc);
/*
 * vfs_file_mappable - an mm_mappable over @f's page cache for mmap(2) (one reference; @f is
 * referenced by it). @path names it in /proc/PID/maps (copied; may be NULL). -ENODEV when
 * the file cannot be mapped.
 */
int vfs_file_mappable(struct file *f, const char *path, struct mm_mappable **out);
/* vfs_file_writeback - write dirty shared-mapping pages of @f's inode back (fsync, msync). */
int vfs_file_writeback(struct file *f);

#endif
