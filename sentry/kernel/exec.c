// SPDX-License-Identifier: Apache-2.0
/*
 * execve/execveat: resolve the program in the guest VFS, one level of "#!" scripts, load it
 * into a new mm and, only once that worked, replace the task's image: mm, registers,
 * close-on-exec fds, handled signals back to SIG_DFL, no altstack, comm.
 */
#include "sentry/kernel/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/timer.h"

#define MAX_ARG_STRLEN (32 * 4096) /* Linux: one argument or environment string */
#define MAX_ARG_TOTAL (2 * 1024 * 1024) /* with the default 8 MiB stack: a quarter of it */
#define BINPRM_BUF 256

struct vfs_exe {
	struct file *f;
	struct vfs_cred cr;
	struct path root; /* references owned */
};

static ssize_t vfs_exe_pread(void *priv, void *buf, size_t len, uint64_t off)
{
	return vfs_kernel_pread(((struct vfs_exe *)priv)->f, buf, len, (int64_t)off);
}

static int vfs_exe_mappable(void *priv, struct mm_mappable **out)
{
	struct vfs_exe *e = priv;
	char *path = malloc(VFS_PATH_MAX);
	int r;

	if (!path)
		return -ENOMEM;
	r = vfs_path_string(&e->root, &e->f->path, path, VFS_PATH_MAX);
	r = vfs_file_mappable(e->f, r < 0 ? NULL : path, out);
	free(path);
	return r;
}

static void vfs_exe_close(struct loader_file *lf)
{
	struct vfs_exe *e = lf->priv;

	file_put(e->f);
	path_put(&e->root);
	free(e);
}

static int vfs_exe_open_interp(void *priv, const char *path, struct loader_file *out)
{
	struct vfs_exe *e = priv;

	return exec_open(&e->cr, &e->root, &e->root, path, false, false, out);
}

/* exec_open's second half, over an open file (@f: the reference moves to *@out or is put). */
static int exec_open_file(const struct vfs_cred *cr, const struct path *root, struct file *f,
			  bool need_exec, struct loader_file *out)
{
	struct vfs_exe *e = calloc(1, sizeof(*e));
	struct stat st;
	int r;

	if (!e) {
		file_put(f);
		return -ENOMEM;
	}
	e->f = f;
	r = vfs_fstat(e->f, &st);
	if (r == 0 && !S_ISREG(st.st_mode))
		r = -EACCES;
	if (r == 0 && need_exec) {
		if (!(st.st_mode & 0111))
			r = -EACCES;
		else if (e->f->path.dentry)
			r = vfs_permission(cr, e->f->path.dentry->inode, MAY_EXEC);
	}
	if (r < 0) {
		file_put(e->f);
		free(e);
		return r;
	}
	e->cr = *cr;
	e->root = *root;
	path_get(root);
	*out = (struct loader_file){ .priv = e, .pread = vfs_exe_pread,
				     .open_interp = vfs_exe_open_interp, .close = vfs_exe_close,
				     .mappable = vfs_exe_mappable };
	return 0;
}

int exec_open(const struct vfs_cred *cr, const struct path *root, const struct path *start,
	      const char *path, bool need_exec, bool nofollow, struct loader_file *out)
{
	struct vfs_start s = { .cr = cr, .root = *root, .start = *start };
	struct file *f;
	int r = vfs_open(&s, path, O_RDONLY | (nofollow ? O_NOFOLLOW : 0), 0, &f);

	if (r < 0)
		return r;
	return exec_open_file(cr, root, f, need_exec, out);
}

char *exec_exe_path(struct loader_file *lf, const struct path *root)
{
	struct file *f = lf->pread == vfs_exe_pread ? ((struct vfs_exe *)lf->priv)->f : NULL;
	char *buf;

	if (!f || !f->path.dentry)
		return NULL;
	buf = malloc(VFS_PATH_MAX);
	if (buf && vfs_path_string(root, &f->path, buf, VFS_PATH_MAX) < 0) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

/* A NULL-terminated vector of strings copied from the guest. */
struct strv {
	char **v;
	size_t n, cap;
};

static void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int strv_push(struct strv *s, const char *str)
{
	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = strdup(str);
	if (!s->v[s->n])
		return -ENOMEM;
	s->n++;
	s->v[s->n] = NULL;
	return 0;
}

static int strv_copy_in(struct task *t, uint64_t addr, struct strv *s, size_t *total, char *buf)
{
	int r = strv_push(s, "");

	if (r < 0)
		return r;
	free(s->v[--s->n]);
	s->v[0] = NULL;
	if (!addr)
		return 0; /* Linux accepts NULL as an empty vector */
	for (uint64_t i = 0;; i++) {
		uint64_t p;
		ssize_t n;

		if (mm_copy_in(t->mm, addr + i * 8, &p, 8) != 8)
			return -EFAULT;
		if (!p)
			return 0;
		n = mm_copy_string_in(t->mm, p, buf, MAX_ARG_STRLEN);
		if (n == -ENAMETOOLONG)
			return -E2BIG;
		if (n < 0)
			return (int)n;
		*total += (size_t)n + 1 + 8;
		if (*total > MAX_ARG_TOTAL)
			return -E2BIG;
		r = strv_push(s, buf);
		if (r < 0)
			return r;
	}
}

/* Parse a "#!" line in @buf (@len bytes): *interp and *arg (NULL if none) point into it. */
static int parse_shebang(char *buf, size_t len, char **interp, char **arg)
{
	char *end, *p;

	buf[len] = 0;
	end = memchr(buf, '\n', len);
	if (end)
		*end = 0;
	p = buf + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return -ENOEXEC;
	*interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*arg = NULL;
	if (*p) {
		*p++ = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p) {
			char *e = p + strlen(p);
			while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
				*--e = 0;
			*arg = p;
		}
	}
	return 0;
}

/* The set-id bits and owner of the program @lf (vfs_exe), for creds_exec. */
static void exec_file_ids(struct loader_file *lf, uint32_t *mode, uint32_t *uid, uint32_t *gid)
{
	struct inode *ino = file_inode(((struct vfs_exe *)lf->priv)->f);
	struct stat st;

	*mode = 0;
	if (ino && vfs_getattr(ino, &st) == 0) {
		*mode = st.st_mode;
		*uid = st.st_uid;
		*gid = st.st_gid;
	}
}

static void exec_commit(struct task *t, struct mm *nmm, struct arch_state *nregs,
			const char *path, uint32_t mode, uint32_t uid, uint32_t gid, char *exe)
{
	struct mm *old;
	const char *base = strrchr(path, '/');

	pthread_mutex_lock(&t->k->mu); /* /proc reads t->mm and the exe under k->mu */
	old = t->mm;
	t->mm = nmm;
	if (exe) {
		free(t->tg->exe_path);
		t->tg->exe_path = exe;
	}
	pthread_mutex_unlock(&t->k->mu);
	mm_put(old);
	tg_timers_exec(t); /* POSIX timers end; itimers count on (timer.h) */
	arch_state_destroy(&t->regs);
	t->regs = *nregs;
	fdtable_close_on_exec(t->fdt);
	pthread_mutex_lock(&t->tg->mu);
	for (int sig = 1; sig <= KSIG_MAX; sig++) {
		struct ksigaction *a = &t->tg->actions[sig];
		if (a->handler != (uint64_t)(uintptr_t)SIG_IGN)
			a->handler = (uint64_t)(uintptr_t)SIG_DFL;
		a->flags = 0;
		a->restorer = 0;
		a->mask = 0;
	}
	pthread_mutex_unlock(&t->tg->mu);
	t->altstack.ss_sp = 0;
	t->altstack.ss_size = 0;
	t->altstack.ss_flags = LINUX_SS_DISABLE;
	base = base ? base + 1 : path;
	memset(t->comm, 0, sizeof(t->comm));
	strncpy(t->comm, base, sizeof(t->comm) - 1);
	t->clear_child_tid = 0;
	t->robust_list = t->robust_len = 0;
	creds_exec(&t->creds, mode, uid, gid);
	/* Linux's begin_new_exec: dumpable again unless the ids are now set-id ones. */
	t->tg->dumpable = t->creds.euid == t->creds.ruid && t->creds.egid == t->creds.rgid;
	pthread_mutex_lock(&t->k->mu);
	t->vfork_done = true;
	t->tg->execed = true;
	pthread_cond_broadcast(&t->k->cv);
	pthread_mutex_unlock(&t->k->mu);
}

long task_execve(struct task *t, int dirfd, uint64_t upath, uint64_t uargv, uint64_t uenvp,
		 int flags)
{
	struct vfs_cred cr;
	struct strv argv = { 0 }, envp = { 0 }, nargv = { 0 };
	struct path root = { 0 }, start = { 0 };
	struct loader_file lf = { 0 };
	struct file *dirf = NULL;
	struct mm *nmm = NULL;
	struct arch_state nregs;
	bool have_regs = false;
	char *path = NULL, *buf = NULL, hdr[BINPRM_BUF + 1];
	size_t total = 0;
	const char *why = NULL;
	uint32_t id_mode = 0, id_uid = 0, id_gid = 0;
	long r;

	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	task_vfs_cred(t, true, &cr);
	path = malloc(VFS_PATH_MAX);
	buf = malloc(MAX_ARG_STRLEN);
	if (!path || !buf) {
		r = -ENOMEM;
		goto out;
	}
	r = mm_copy_string_in(t->mm, upath, path, VFS_PATH_MAX);
	if (r < 0)
		goto out;
	bool by_fd = r == 0;
	if (by_fd && !(flags & AT_EMPTY_PATH)) {
		r = -ENOENT;
		goto out;
	}
	if (by_fd) /* fexecve: the program is the fd; Linux names it /dev/fd/N */
		snprintf(path, VFS_PATH_MAX, "/dev/fd/%d", dirfd);
	r = strv_copy_in(t, uargv, &argv, &total, buf);
	if (r == 0)
		r = strv_copy_in(t, uenvp, &envp, &total, buf);
	if (r < 0)
		goto out;
	if (!t->fs) {
		r = -ENOENT;
		goto out;
	}
	fs_context_paths(t->fs, &root, &start);
	if (by_fd) {
		struct file *pf = fdtable_get_file(t->fdt, dirfd, NULL);
		if (!pf) {
			r = -EBADF;
			goto out;
		}
		if (pf->flags & O_PATH) {
			/* O_PATH descriptors execute too: reopen what they name for reading. */
			struct file *rf;
			r = pf->path.dentry ? vfs_open_path(&cr, &pf->path, O_RDONLY, &rf) : -EBADF;
			file_put(pf);
			if (r < 0)
				goto out;
			pf = rf;
		}
		r = exec_open_file(&cr, &root, pf, true, &lf);
	} else if (path[0] != '/' && dirfd != AT_FDCWD) {
		path_put(&start);
		start.dentry = NULL;
		dirf = fdtable_get_file(t->fdt, dirfd, NULL);
		if (!dirf) {
			r = -EBADF;
			goto out;
		}
		if (!dirf->path.dentry || !S_ISDIR(dirf->path.dentry->inode->mode)) {
			r = -ENOTDIR;
			goto out;
		}
		start = dirf->path;
		path_get(&start);
	}
	if (!by_fd)
		r = exec_open(&cr, &root, &start, path, true, flags & AT_SYMLINK_NOFOLLOW, &lf);
	if (r == 0)
		exec_file_ids(&lf, &id_mode, &id_uid, &id_gid);
	if (r < 0)
		goto out;
	ssize_t n = lf.pread(lf.priv, hdr, BINPRM_BUF, 0);
	if (n < 0) {
		r = n;
		goto out;
	}
	if (n >= 2 && hdr[0] == '#' && hdr[1] == '!') {
		char *interp, *arg;

		id_mode = 0; /* Linux ignores set-id bits on scripts */
		r = parse_shebang(hdr, (size_t)n, &interp, &arg);
		if (r < 0)
			goto out;
		lf.close(&lf);
		lf.close = NULL;
		r = strv_push(&nargv, interp);
		if (r == 0 && arg)
			r = strv_push(&nargv, arg);
		if (r == 0)
			r = strv_push(&nargv, path);
		for (size_t i = 1; r == 0 && i < argv.n; i++)
			r = strv_push(&nargv, argv.v[i]);
		if (r < 0)
			goto out;
		r = exec_open(&cr, &root, &start, interp, true, false, &lf);
		if (r < 0)
			goto out;
		n = lf.pread(lf.priv, hdr, 2, 0);
		if (n == 2 && hdr[0] == '#' && hdr[1] == '!') {
			r = -ENOEXEC; /* one level of interpreters */
			goto out;
		}
	}

	r = mm_new(t->k->mf, t->k->platform, &nmm);
	if (r < 0)
		goto out;
	r = arch_state_init(&nregs);
	if (r < 0)
		goto out;
	have_regs = true;
	{
		struct rlimit stack;
		struct loader_args la = {
			.file = &lf,
			.filename = path,
			.argv = (const char *const *)(nargv.v ? nargv.v : argv.v),
			.envp = (const char *const *)envp.v,
			.uid = t->creds.ruid, .euid = t->creds.euid,
			.gid = t->creds.rgid, .egid = t->creds.egid,
		};

		task_get_rlimit(t, RLIMIT_STACK, &stack);
		la.stack_limit = stack.rlim_cur;
		r = loader_load(nmm, &la, &nregs, &why);
	}
	if (r < 0) {
		log_debug("task %d: execve %s: %s", t->tid, path, why ? why : strerror((int)-r));
		goto out;
	}
	/* The point of no return: the other threads go, then the old image. */
	r = task_exec_dethread(t);
	if (r < 0)
		goto out;
	exec_commit(t, nmm, &nregs, path, id_mode, id_uid, id_gid, exec_exe_path(&lf, &root));
	nmm = NULL;
	have_regs = false;
	r = 0;
out:
	if (lf.close)
		lf.close(&lf);
	if (have_regs)
		arch_state_destroy(&nregs);
	mm_put(nmm);
	if (dirf)
		file_put(dirf);
	if (root.dentry)
		path_put(&root);
	if (start.dentry)
		path_put(&start);
	strv_free(&argv);
	strv_free(&envp);
	strv_free(&nargv);
	free(path);
	free(buf);
	return r;
}
