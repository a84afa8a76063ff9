/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to fs/proc and fs/sys: a filesystem of generated files described by static
 * tables (struct pentry). Directories list static children and, for the dynamic ones,
 * numbered children (processes, threads, fds) asked of the kernel on every lookup and
 * listing. Regular files are produced whole at their first read (Linux's seq_file) into a
 * buffer the open file keeps, so reads at any offset see one consistent snapshot.
 */
#ifndef SBX_FS_PROC_PROC_IMPL_H
#define SBX_FS_PROC_PROC_IMPL_H

#include <stdarg.h>
#include <sys/types.h>

#include "fs/proc/procfs.h"
#include "fs/vfs.h"
#include "lib/compiler.h"

/* struct sbuf - a growing text buffer; @err sticks at -ENOMEM. */
struct sbuf {
	char *buf;
	size_t len, cap;
	int err;
};
void sb_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_write(struct sbuf *sb, const void *p, size_t n);

struct proc_inode;

/* Kinds of numbered children a directory has. */
enum { DYN_NONE, DYN_PIDS, DYN_TIDS, DYN_FDS, DYN_FDINFO };

/*
 * struct pentry - one name in a proc tree. A directory has @children (static) and, with
 * @dyn, numbered children described by @dyn_entry. A file has @show (and @write when it
 * may be written), or file operations of its own (@fops: /proc/PID/mem); a symlink has
 * @link. @data is the entry's own (a sysctl's value and bounds). @sysctl: /proc/sys's
 * permission rule (a read-only file cannot be opened for writing, not even by root).
 * @ptrace_read: Linux's proc_mem_open(PTRACE_MODE_READ): only those who could ptrace the
 * process open it (EACCES).
 */
struct pentry {
	const char *name;
	uint32_t mode; /* S_IFREG | 0444 ... */
	int (*show)(struct proc_inode *pi, struct sbuf *sb);
	int (*link)(struct proc_inode *pi, char **out);
	/* magic - a magic link's target (inode_ops.magic); NULL: an ordinary symlink. */
	int (*magic)(struct proc_inode *pi, struct path *path, struct file **file);
	ssize_t (*write)(struct proc_inode *pi, const char *buf, size_t len);
	const struct pentry *children;
	int nchildren;
	int dyn;
	const struct pentry *dyn_entry;
	const struct file_ops *fops;
	const void *data;
	bool sysctl;
	bool ptrace_read; /* opening needs procinfo_may_access (maps, smaps, environ...) */
};

#define PDIR(n, m, kids) { .name = n, .mode = S_IFDIR | (m), .children = kids, \
			   .nchildren = (int)ARRAY_SIZE(kids) }
#define PFILE(n, fn) { .name = n, .mode = S_IFREG | 0444, .show = fn }
#define PLINK(n, fn) { .name = n, .mode = S_IFLNK | 0777, .link = fn }
#define PMAGIC(n, fn, mfn) { .name = n, .mode = S_IFLNK | 0777, .link = fn, .magic = mfn }

/* The super of a proc tree: which kernel it shows. */
struct proc_super {
	struct super base;
	struct kernel *k;
};

/* struct proc_inode - an entry for a process @tgid (0: none), thread @tid, fd @fd. */
struct proc_inode {
	struct inode base;
	const struct pentry *e;
	pid_t tgid, tid;
	int fd;
};

#define to_proc(ino) container_of(ino, struct proc_inode, base)

static inline struct kernel *proc_kernel(const struct proc_inode *pi)
{
	return container_of(pi->base.sb, struct proc_super, base)->k;
}

/* proc_mount_tree - mount a tree whose root is @root (a directory entry) on @path. */
int proc_mount_tree(struct kernel *k, struct mount *root, const char *path,
		    const struct pentry *top, const char *fstype);

/* fs/proc/base.c: /proc/PID and /proc/PID/task/TID. */
extern const struct pentry proc_pid_dir, proc_tid_dir;
/* /proc/PID/mounts, for /proc/mounts too. */
int proc_show_mounts(struct proc_inode *pi, struct sbuf *sb);

#endif
