// SPDX-License-Identifier: Apache-2.0
/*
 * The proc engine: inodes for struct pentry tables, lookup of static and numbered names,
 * getdents, revalidation of entries whose process, thread or fd went away, and generated
 * files (text made at the first read, kept by the open file).
 */
#include "fs/proc/proc_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sentry/kernel/kernel.h"

void sb_write(struct sbuf *sb, const void *p, size_t n)
{
	if (sb->err)
		return;
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 1024;
		while (cap < sb->len + n + 1)
			cap *= 2;
		char *b = realloc(sb->buf, cap);
		if (!b) {
			sb->err = -ENOMEM;
			return;
		}
		sb->buf = b;
		sb->cap = cap;
	}
	memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = 0;
}

void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sb_write(sb, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		sb->err = -ENOMEM;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_write(sb, big, (size_t)n);
	free(big);
}

static const struct inode_ops proc_iops;
static const struct file_ops proc_dir_fops, proc_file_fops;

/* Stable inode numbers: the same entry of the same process always gets the same one. */
static uint64_t proc_ino(const struct pentry *e, pid_t tgid, pid_t tid, int fd)
{
	uint64_t h = 1469598103934665603ULL;
	uint64_t v[4] = { (uint64_t)(uintptr_t)e, (uint64_t)tgid, (uint64_t)tid, (uint64_t)fd };

	for (int i = 0; i < 4; i++) {
		h ^= v[i];
		h *= 1099511628211ULL;
	}
	return (h & 0xffffffffULL) | 0x100;
}

/* Processes' entries belong to their effective ids (Linux's task_dump_owner). */
static void proc_owner(struct proc_inode *pi)
{
	struct procinfo info;

	if (!pi->tgid || procinfo_get(proc_kernel(pi), pi->tgid, pi->tid, 0, &info) < 0)
		return;
	pthread_mutex_lock(&pi->base.mu);
	pi->base.uid = info.dumpable ? info.creds.euid : 0;
	pi->base.gid = info.dumpable ? info.creds.egid : 0;
	pthread_mutex_unlock(&pi->base.mu);
	procinfo_put(&info);
}

static int proc_new_inode(struct super *sb, const struct pentry *e, pid_t tgid, pid_t tid,
			  int fd, struct proc_inode **out)
{
	struct proc_inode *pi = calloc(1, sizeof(*pi));
	const struct file_ops *fops = NULL;

	if (!pi)
		return -ENOMEM;
	if (S_ISDIR(e->mode))
		fops = &proc_dir_fops;
	else if (S_ISREG(e->mode))
		fops = e->fops ? e->fops : &proc_file_fops;
	inode_init(&pi->base, &proc_iops, fops, sb, e->mode, 0, 0);
	pi->base.ino = proc_ino(e, tgid, tid, fd);
	pi->e = e;
	pi->tgid = tgid;
	pi->tid = tid;
	pi->fd = fd;
	proc_owner(pi);
	*out = pi;
	return 0;
}

/* A decimal name without sign or leading zeros, or -1. */
static long parse_num(const char *s, size_t len)
{
	long v = 0;

	if (!len || len > 9 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Is fd @fd open in process @tgid? */
static bool fd_open(struct kernel *k, pid_t tgid, pid_t tid, int fd)
{
	struct procinfo info;
	bool r = false;

	if (procinfo_get(k, tgid, tid, PROCINFO_FDT, &info) < 0)
		return false;
	if (info.fdt)
		r = fdtable_next_fd(info.fdt, fd) == fd;
	procinfo_put(&info);
	return r;
}

/* fd/N's permissions say how the fd was opened: lr-x, l-wx or lrwx for its owner. */
static uint32_t fd_link_mode(struct kernel *k, pid_t tgid, pid_t tid, int fd)
{
	struct procinfo info;
	struct file *f = NULL;
	uint32_t mode = 0700;

	if (procinfo_get(k, tgid, tid, PROCINFO_FDT, &info) < 0)
		return mode;
	if (info.fdt)
		f = fdtable_get_file(info.fdt, fd, NULL);
	if (f) {
		int acc = f->flags & O_ACCMODE;
		mode = acc == O_RDONLY ? 0500 : acc == O_WRONLY ? 0300 : 0700;
		file_put(f);
	}
	procinfo_put(&info);
	return mode;
}

/* Does numbered child @n of directory @dir exist? */
static bool dyn_exists(struct proc_inode *dir, long n)
{
	struct kernel *k = proc_kernel(dir);

	switch (dir->e->dyn) {
	case DYN_PIDS:
		return procinfo_exists(k, (pid_t)n, 0);
	case DYN_TIDS:
		return procinfo_exists(k, dir->tgid, (pid_t)n);
	case DYN_FDS:
	case DYN_FDINFO:
		return fd_open(k, dir->tgid, dir->tid, (int)n);
	}
	return false;
}

static void dyn_ids(struct proc_inode *dir, long n, pid_t *tgid, pid_t *tid, int *fd)
{
	*tgid = dir->tgid;
	*tid = dir->tid;
	*fd = dir->fd;
	if (dir->e->dyn == DYN_PIDS)
		*tgid = (pid_t)n;
	else if (dir->e->dyn == DYN_TIDS)
		*tid = (pid_t)n;
	else
		*fd = (int)n;
}

static int proc_lookup(struct inode *dino, struct dentry *d)
{
	struct proc_inode *dir = to_proc(dino), *pi;
	const struct pentry *e = dir->e;
	size_t len = strlen(d->name);
	int r;

	for (int i = 0; i < e->nchildren; i++) {
		if (strcmp(e->children[i].name, d->name) == 0) {
			r = proc_new_inode(dino->sb, &e->children[i], dir->tgid, dir->tid, dir->fd,
					   &pi);
			if (r == 0)
				dentry_instantiate(d, &pi->base);
			return r;
		}
	}
	if (e->dyn) {
		long n = parse_num(d->name, len);
		pid_t tgid, tid;
		int fd;

		if (n < 0 || !dyn_exists(dir, n))
			return -ENOENT;
		dyn_ids(dir, n, &tgid, &tid, &fd);
		r = proc_new_inode(dino->sb, e->dyn_entry, tgid, tid, fd, &pi);
		if (r < 0)
			return r;
		if (e->dyn == DYN_FDS)
			pi->base.mode = S_IFLNK | fd_link_mode(proc_kernel(dir), tgid, tid, fd);
		dentry_instantiate(d, &pi->base);
		return 0;
	}
	return -ENOENT;
}

static bool proc_revalidate(struct dentry *d)
{
	struct proc_inode *pi = to_proc(d->inode);
	struct proc_inode *parent = d->parent && d->parent->inode->ops == &proc_iops ?
		to_proc(d->parent->inode) : NULL;

	if (!pi->tgid)
		return true;
	if (!procinfo_exists(proc_kernel(pi), pi->tgid, pi->tid))
		return false;
	/* A numbered fd entry lives as long as its fd. */
	if (parent && (parent->e->dyn == DYN_FDS || parent->e->dyn == DYN_FDINFO) &&
	    pi->e == parent->e->dyn_entry && !fd_open(proc_kernel(pi), pi->tgid, pi->tid, pi->fd))
		return false;
	proc_owner(pi);
	return true;
}

static int proc_get_link(struct inode *ino, char **out)
{
	struct proc_inode *pi = to_proc(ino);

	if (!pi->e->link)
		return -EINVAL;
	return pi->e->link(pi, out);
}

static int proc_magic(struct inode *ino, struct path *path, struct file **file)
{
	struct proc_inode *pi = to_proc(ino);

	if (!pi->e->magic)
		return -ENOSYS;
	return pi->e->magic(pi, path, file);
}

/*
 * Linux's proc_setattr (process entries: no chmod) and proc_notify_change (the rest may be
 * chmod'ed); sizes (O_TRUNC) are ignored; owner and times stick until revalidation.
 */
static int proc_setattr(struct inode *ino, const struct iattr *ia)
{
	struct iattr a = *ia;

	if ((a.valid & ATTR_MODE) && to_proc(ino)->tgid)
		return -EPERM;
	a.valid &= ~(unsigned int)ATTR_SIZE;
	pthread_mutex_lock(&ino->mu);
	inode_setattr_copy(ino, &a);
	pthread_mutex_unlock(&ino->mu);
	return 0;
}

static void proc_release(struct inode *ino)
{
	free(to_proc(ino));
}

/*
 * Linux's proc_fd_permission (a process may always look into its own fd/, even when it is
 * no longer dumpable and the directory is root's) and proc_fdinfo_permission (fdinfo/ is
 * open to those who may ptrace-read the process, then the mode bits).
 */
static int proc_permission(const struct vfs_cred *cr, struct inode *ino, int mask)
{
	struct proc_inode *pi = to_proc(ino);
	int r;

	if (pi->e->dyn == DYN_FDINFO) {
		r = procinfo_may_access(proc_kernel(pi), pi->tgid);
		if (r < 0)
			return r == -ENOENT ? -ENOENT : -EACCES;
	}
	r = vfs_generic_permission(cr, ino, mask);
	if (r < 0 && pi->e->dyn == DYN_FDS) {
		struct task *cur = kernel_current();
		if (cur && cur->tg->tgid == pi->tgid)
			r = 0;
	}
	return r;
}

static const struct inode_ops proc_iops = {
	.lookup = proc_lookup,
	.permission = proc_permission,
	.get_link = proc_get_link,
	.magic = proc_magic,
	.setattr = proc_setattr,
	.release = proc_release,
	.revalidate = proc_revalidate,
};

/* ---- directories ---- */

static int pid_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/* The numbered children of @dir, ascending; *n of them. Caller frees. */
static int *dyn_list(struct proc_inode *dir, int *n)
{
	struct kernel *k = proc_kernel(dir);
	int cap = 64, *v = NULL;

	*n = 0;
	if (dir->e->dyn == DYN_FDS || dir->e->dyn == DYN_FDINFO) {
		struct procinfo info;
		if (procinfo_get(k, dir->tgid, dir->tid, PROCINFO_FDT, &info) < 0)
			return NULL;
		for (int fd = info.fdt ? fdtable_next_fd(info.fdt, 0) : -1; fd >= 0;
		     fd = fdtable_next_fd(info.fdt, fd + 1)) {
			if (!v || *n == cap) {
				int *nv = realloc(v, (size_t)(cap *= 2) * sizeof(*v));
				if (!nv)
					break;
				v = nv;
			}
			v[(*n)++] = fd;
		}
		procinfo_put(&info);
		return v;
	}
	for (;;) {
		pid_t *p = malloc((size_t)cap * sizeof(*p));
		int got;

		if (!p)
			return NULL;
		got = dir->e->dyn == DYN_PIDS ? procinfo_pids(k, p, cap) :
						procinfo_tids(k, dir->tgid, p, cap);
		if (got <= cap) {
			*n = got;
			qsort(p, (size_t)got, sizeof(*p), pid_cmp);
			return (int *)p;
		}
		free(p);
		cap = got + 16;
	}
}

static unsigned int dtype(uint32_t mode)
{
	return (mode >> 12) & 017;
}

/*
 * Offsets: 0 ".", 1 "..", 2.. the static children, then 2 + nchildren + N for numbered
 * child N, so a listing resumes at the right number whatever came and went in between.
 */
static int proc_iterate(struct file *f, struct dir_ctx *ctx)
{
	struct dentry *dd = f->path.dentry;
	struct proc_inode *dir = to_proc(dd->inode);
	const struct pentry *e = dir->e;
	int64_t base = 2 + e->nchildren;

	if (dir->tgid && !procinfo_exists(proc_kernel(dir), dir->tgid, dir->tid))
		return 0; /* the process is gone: an empty directory */
	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, dd->inode->ino, DT_DIR, 1))
			return 0;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		struct dentry *p = dd->parent ? dd->parent : dd;
		if (!ctx->emit(ctx, "..", 2, p->inode->ino, DT_DIR, 2))
			return 0;
		ctx->pos = 2;
	}
	for (int i = (int)ctx->pos - 2; i >= 0 && i < e->nchildren; i++) {
		const struct pentry *c = &e->children[i];
		if (!ctx->emit(ctx, c->name, strlen(c->name),
			       proc_ino(c, dir->tgid, dir->tid, dir->fd), dtype(c->mode), i + 3))
			return 0;
		ctx->pos = i + 3;
	}
	if (!e->dyn)
		return 0;
	int n, *v = dyn_list(dir, &n);
	for (int i = 0; i < n; i++) {
		char name[16];
		pid_t tgid, tid;
		int fd;

		if (base + v[i] < ctx->pos)
			continue;
		dyn_ids(dir, v[i], &tgid, &tid, &fd);
		snprintf(name, sizeof(name), "%d", v[i]);
		if (!ctx->emit(ctx, name, strlen(name), proc_ino(e->dyn_entry, tgid, tid, fd),
			       dtype(e->dyn_entry->mode), base + v[i] + 1))
			break;
		ctx->pos = base + v[i] + 1;
	}
	free(v);
	return 0;
}

static int64_t proc_dir_llseek(struct file *f, int64_t off, int whence)
{
	if (whence == SEEK_CUR)
		off += f->pos;
	else if (whence != SEEK_SET)
		return -EINVAL;
	if (off < 0)
		return -EINVAL;
	return off;
}

static const struct file_ops proc_dir_fops = {
	.iterate = proc_iterate,
	.llseek = proc_dir_llseek,
};

/* ---- generated files ---- */

struct proc_file {
	pthread_mutex_t mu;
	bool made;
	int err;
	struct sbuf sb;
};

static int proc_file_open(struct file *f)
{
	struct proc_file *pf;

	/* Opening for write is the mode bits' business (root may); writing is write's. But a
	 * read-only sysctl refuses writers whoever they are (Linux's test_perm). */
	const struct pentry *e = to_proc(file_inode(f))->e;
	if (e->sysctl && (f->flags & O_ACCMODE) != O_RDONLY && !(e->mode & 0222))
		return -EACCES;
	if (e->ptrace_read) {
		struct proc_inode *pi = to_proc(file_inode(f));
		int r = procinfo_may_access(proc_kernel(pi), pi->tgid);
		if (r < 0)
			return r == -ENOENT ? -ESRCH : r;
	}
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	pthread_mutex_init(&pf->mu, NULL);
	f->priv = pf;
	return 0;
}

/* The text, made once. Preconditions: pf->mu held. */
static int proc_file_make(struct file *f, struct proc_file *pf)
{
	struct proc_inode *pi = to_proc(file_inode(f));

	if (pf->made)
		return pf->err;
	pf->made = true;
	if (pi->tgid && !procinfo_exists(proc_kernel(pi), pi->tgid, pi->tid))
		pf->err = -ESRCH;
	else
		pf->err = pi->e->show(pi, &pf->sb);
	if (!pf->err)
		pf->err = pf->sb.err;
	return pf->err;
}

static ssize_t proc_file_read(struct file *f, struct uio *dst, int64_t *pos)
{
	struct proc_file *pf = f->priv;
	ssize_t r;

	pthread_mutex_lock(&pf->mu);
	r = proc_file_make(f, pf);
	if (r == 0 && *pos >= 0 && (size_t)*pos < pf->sb.len) {
		r = uio_copy_out(dst, pf->sb.buf + *pos, MIN(dst->resid, pf->sb.len - (size_t)*pos));
		if (r > 0)
			*pos += r;
	}
	pthread_mutex_unlock(&pf->mu);
	return r;
}

static ssize_t proc_file_write(struct file *f, struct uio *src, int64_t *pos)
{
	struct proc_inode *pi = to_proc(file_inode(f));
	char buf[256];
	size_t n = MIN(src->resid, sizeof(buf));
	ssize_t r;

	if (!pi->e->write)
		return -EIO; /* Linux's proc_reg_write without a write op */
	r = uio_copy_in(src, buf, n);
	if (r < 0)
		return r;
	r = pi->e->write(pi, buf, (size_t)r);
	if (r > 0)
		*pos += r;
	return r;
}

static int64_t proc_file_llseek(struct file *f, int64_t off, int whence)
{
	struct proc_file *pf = f->priv;
	int64_t r;

	pthread_mutex_lock(&pf->mu);
	r = proc_file_make(f, pf);
	if (r == 0) {
		if (whence == SEEK_CUR)
			off += f->pos;
		else if (whence == SEEK_END)
			off += (int64_t)pf->sb.len;
		else if (whence != SEEK_SET)
			off = -1;
		r = off < 0 ? -EINVAL : off;
	}
	pthread_mutex_unlock(&pf->mu);
	return r;
}

static void proc_file_release(struct file *f)
{
	struct proc_file *pf = f->priv;

	if (pf) {
		pthread_mutex_destroy(&pf->mu);
		free(pf->sb.buf);
		free(pf);
	}
	free(f); /* a release op frees the file too (fs/file.c) */
}

static const struct file_ops proc_file_fops = {
	.open = proc_file_open,
	.read = proc_file_read,
	.write = proc_file_write,
	.llseek = proc_file_llseek,
	.release = proc_file_release,
};

/* ---- mounting ---- */

static atomic_ulong proc_next_dev = 0x800;

int proc_mount_tree(struct kernel *k, struct mount *root, const char *path,
		    const struct pentry *top, const char *fstype)
{
	struct vfs_cred cr = { .uid = 0, .gid = 0 };
	struct vfs_start s = { .cr = &cr, .root = { root, root->root },
			       .start = { root, root->root } };
	struct proc_super *ps;
	struct proc_inode *pi;
	struct dentry *d;
	struct mount *m;
	struct path p;
	int r = vfs_lookup(&s, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);

	if (r == -ENOENT && vfs_mkdir(&s, path, 0555) == 0)
		r = vfs_lookup(&s, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	if (r < 0)
		return r == -ENOENT || r == -ENOTDIR ? 0 : r;
	ps = calloc(1, sizeof(*ps));
	if (!ps) {
		path_put(&p);
		return -ENOMEM;
	}
	ps->k = k;
	ps->base.dev = atomic_fetch_add(&proc_next_dev, 1);
	ps->base.fstype = fstype;
	atomic_init(&ps->base.next_ino, 1);
	refcount_init(&ps->base.ref);
	r = proc_new_inode(&ps->base, top, 0, 0, 0, &pi);
	super_put(&ps->base); /* the inodes hold it from here on */
	if (r < 0)
		goto out;
	pi->base.ino = 1;
	r = dentry_new(NULL, "/", 1, &d);
	if (r < 0) {
		inode_put(&pi->base);
		goto out;
	}
	dentry_instantiate(d, &pi->base);
	r = mount_new(d, p.mnt, p.dentry, &m);
	dentry_put(d);
	if (r == 0)
		mount_put(m); /* the mount table keeps it */
out:
	path_put(&p);
	return r;
}
