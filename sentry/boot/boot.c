// SPDX-License-Identifier: Apache-2.0
/* Boot: memory file, platform, kernel, stdio, init task, program load, run. */
#include "sentry/boot/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/dev/dev.h"
#include "fs/gofer/goferfs.h"
#include "fs/proc/procfs.h"
#include "fs/tty/tty.h"
#include "fs/vfs.h"
#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/arch/arch.h"
#include "sentry/host/host.h"
#include "sentry/kernel/exec.h"
#include "sentry/kernel/kernel.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/mm.h"

/* Guest memory may grow to this much; the memfd is sparse so only touched pages cost. */
#define MEMFILE_MAX (64ULL << 30)

static ssize_t exe_pread(void *priv, void *buf, size_t len, uint64_t off)
{
	return host_pread(*(int *)priv, buf, len, off);
}

/* The guest's fds 0-2 are the caller's stdio, each dup'd so the guest's close is its own. */
static int stdio_install(struct fdtable *fdt)
{
	for (int fd = 0; fd < 3; fd++) {
		struct file *f;
		int fl = host_fcntl(fd, F_GETFL, 0);
		if (fl < 0)
			continue; /* the caller had it closed: so does the guest */
		int hfd = host_dup(fd);
		if (hfd < 0)
			return hfd;
		int r = hostfile_new(hfd, fl & ~O_CLOEXEC, &f);
		if (r < 0) {
			host_close(hfd);
			return r;
		}
		r = fdtable_install_at(fdt, fd, f, 0, 3);
		file_put(f);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * The program in the guest's VFS: a path as given, or a bare name searched in the guest's
 * $PATH like execvp (the first executable regular file wins; EACCES if only others exist).
 */
static int open_program(struct task *t, const struct boot_config *c, struct loader_file *lf)
{
	struct vfs_cred cr = { .uid = getuid(), .gid = getgid() };
	const char *name = c->exe_path ? c->exe_path : c->exe_name;
	const char *p = c->path_env && *c->path_env ? c->path_env : "/usr/local/bin:/usr/bin:/bin";
	struct path root, cwd;
	char buf[4096];
	int r, last = -ENOENT;

	fs_context_paths(t->fs, &root, &cwd);
	if (strchr(name, '/')) {
		r = exec_open(&cr, &root, &cwd, name, true, false, lf);
		goto out;
	}
	while (*p) {
		size_t n = strcspn(p, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? p : ".", name);
		r = exec_open(&cr, &root, &cwd, buf, true, false, lf);
		if (r == 0)
			goto out;
		if (r != -ENOENT && r != -ENOTDIR)
			last = r;
		p += n + (p[n] == ':');
	}
	r = last;
out:
	path_put(&root);
	path_put(&cwd);
	return r;
}

static int load_init(struct task *t, const struct boot_config *c, char *err, size_t errlen)
{
	struct rlimit stack;
	struct loader_file lf = { .priv = (void *)&c->exe_fd, .pread = exe_pread };
	struct loader_args la = {
		.file = &lf,
		.filename = c->exe_name,
		.argv = (const char *const *)c->argv,
		.envp = (const char *const *)c->envp,
		.uid = t->creds.ruid, .euid = t->creds.euid,
		.gid = t->creds.rgid, .egid = t->creds.egid,
	};
	const char *why = NULL;
	int r;

	if (c->gofer_fd >= 0) {
		r = open_program(t, c, &lf);
		/*
		 * A program the guest cannot see (under the caller's /tmp, say) but that the
		 * front end opened on the host: load it from that fd, as the tmpfs root does.
		 */
		if (r == -ENOENT && c->exe_fd >= 0) {
			lf = (struct loader_file){ .priv = (void *)&c->exe_fd, .pread = exe_pread };
			r = 0;
		}
		if (r < 0) {
			snprintf(err, errlen, "cannot open the program in the sandbox: %s",
				 strerror(-r));
			return r;
		}
	}
	task_get_rlimit(t, RLIMIT_STACK, &stack);
	la.stack_limit = stack.rlim_cur;
	r = loader_load(t->mm, &la, &t->regs, &why);
	if (r == 0)
		procinfo_set_exe(t, &lf, c->exe_name);
	if (lf.close)
		lf.close(&lf);
	if (r < 0)
		snprintf(err, errlen, "%s", why ? why : strerror(-r));
	return r;
}

static struct vfs_start root_start(struct mount *root, struct vfs_cred *cr)
{
	*cr = (struct vfs_cred){ .uid = getuid(), .gid = getgid() };
	return (struct vfs_start){ .cr = cr, .root = { root, root->root },
				   .start = { root, root->root } };
}

/* mkdir -p @path in the guest (modes 0755); 0 if it ends up a directory. */
static int guest_mkdir_p(struct mount *root, const char *path)
{
	struct vfs_cred cr;
	struct vfs_start s = root_start(root, &cr);
	char buf[4096];
	int r = 0;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *q = buf + 1; r == 0; q++) {
		if (*q != '/' && *q)
			continue;
		char c = *q;
		*q = '\0';
		r = vfs_mkdir(&s, buf, 0755);
		if (r == -EEXIST)
			r = 0;
		*q = c;
		if (!c)
			break;
	}
	return r;
}

/*
 * Mount the tree at @fsroot on @path of @root's tree. A missing mountpoint is made when
 * @create (a writable root), else the mount is skipped (@required: an error).
 */
static int mount_tree_at(struct mount *root, const char *path, struct dentry *fsroot,
			 bool create, bool required)
{
	struct vfs_cred cr;
	struct vfs_start s = root_start(root, &cr);
	struct mount *m;
	struct path p;
	int r = vfs_lookup(&s, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);

	if (r == -ENOENT && create) {
		r = guest_mkdir_p(root, path);
		if (r == 0)
			r = vfs_lookup(&s, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	}
	if (r < 0)
		return !required && (r == -ENOENT || r == -ENOTDIR) ? 0 : r;
	r = mount_new(fsroot, p.mnt, p.dentry, &m);
	if (r == 0)
		mount_put(m); /* the mount table keeps it */
	path_put(&p);
	return r;
}

/* A tmpfs on @path if that is a directory there (or can be made). */
static int mount_tmpfs_at(struct mount *root, const char *path, uint32_t mode, bool create,
			  bool required)
{
	struct dentry *troot;
	int r = tmpfs_new_root(mode, 0, 0, &troot);

	if (r < 0)
		return r;
	r = mount_tree_at(root, path, troot, create, required);
	dentry_put(troot);
	return r;
}

/* The Sentry's /dev (fs/dev/): device nodes, devpts on /dev/pts, a tmpfs on /dev/shm. */
static int mount_dev(struct mount *root, bool w)
{
	(void)w; /* devfs_mount makes /dev only where it can, and copes without */
	return devfs_mount(root);
}

static int mount_dev_shm(struct mount *root, bool w)
{
	(void)root;
	(void)w;
	return 0; /* devfs_mount has mounted it */
}

static int mount_tmp(struct mount *root, bool w)
{
	return mount_tmpfs_at(root, "/tmp", 01777, w, false);
}

/* A --volume (a gofer's tree) or --tmpfs on its guest path. */
static int mount_volume(struct mount *root, const struct boot_mount *bm, bool w)
{
	struct dentry *d;
	int r;

	if (bm->gofer_fd < 0)
		return mount_tmpfs_at(root, bm->guest, 01777, w, true);
	r = goferfs_new_root(bm->gofer_fd, bm->readonly, &d);
	if (r < 0)
		return r;
	r = mount_tree_at(root, bm->guest, d, w, true);
	dentry_put(d);
	return r;
}

/*
 * The root: the gofer's tree ("/" of the host or --rootfs), read-only, with a tmpfs
 * overlay on top unless @overlay is false.
 */
static int mount_gofer_root(int sock, bool overlay, struct mount **out)
{
	struct dentry *lower, *upper, *d;
	int r = goferfs_new_root(sock, true, &lower);

	if (r < 0)
		return r;
	d = lower;
	if (overlay) {
		r = tmpfs_new_root(0755, 0, 0, &upper);
		if (r == 0) {
			r = overlay_new_root(upper, lower, &d);
			dentry_put(upper);
		}
		dentry_put(lower);
		if (r < 0)
			return r;
	}
	r = mount_new(d, NULL, NULL, out);
	dentry_put(d);
	return r;
}

/* Everything mounted under the root, in order; mount points are made when @w (writable). */
static int mount_all(const struct boot_config *c, struct mount *root, char *err, size_t errlen)
{
	bool w = c->overlay;
	int r;

	if ((r = mount_tmp(root, w)) < 0 || (r = mount_dev(root, w)) < 0 ||
	    (r = mount_dev_shm(root, w)) < 0) {
		snprintf(err, errlen, "cannot mount the standard filesystems: %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < c->nmounts; i++) {
		r = mount_volume(root, &c->mounts[i], w);
		if (r < 0) {
			snprintf(err, errlen, "cannot mount %s: %s", c->mounts[i].guest, strerror(-r));
			return r;
		}
	}
	return 0;
}

/* The guest's cwd: @cwd if it is a directory in the guest (made with cwd_create), else "/". */
static int set_cwd(struct fs_context *fs, struct mount *root, const struct boot_config *c,
		   char *err, size_t errlen)
{
	struct vfs_cred cr;
	struct vfs_start s = root_start(root, &cr);
	struct path p;
	int r;

	if (!c->cwd)
		return 0;
	r = vfs_lookup(&s, c->cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	if (r == -ENOENT && c->cwd_create && c->overlay) {
		r = guest_mkdir_p(root, c->cwd);
		if (r == 0)
			r = vfs_lookup(&s, c->cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	}
	if (r < 0) {
		if (!c->cwd_create)
			return 0;
		snprintf(err, errlen, "working directory %s: %s", c->cwd, strerror(-r));
		return r;
	}
	fs_context_set_cwd(fs, &p);
	path_put(&p);
	return 0;
}

/* `run -t`: the init's fds 0-2 are the console pty's slave, its controlling terminal. */
static int console_setup(struct task *t, struct mount *root, struct tty_console **con)
{
	struct vfs_cred cr = { .uid = getuid(), .gid = getgid() };
	struct vfs_start s = { .cr = &cr, .root = { root, root->root }, .start = { root, root->root } };
	struct file *slave;
	int r = tty_console_start(&s, 0, 1, con, &slave);

	for (int fd = 0; fd < 3 && r >= 0; fd++)
		r = fdtable_install_at(t->fdt, fd, slave, 0, 3);
	if (r >= 0) {
		tty_console_make_ctty(*con, t->tg->sid, t->tg->pgid);
		r = 0;
	}
	if (*con)
		file_put(slave);
	return r;
}

int boot_run(const struct boot_config *c, int *wait_status, char *err, size_t errlen)
{
	struct tty_console *con = NULL;
	const char *pname = c->platform ? c->platform : BOOT_DEFAULT_PLATFORM;
	struct memfile *mf = NULL;
	struct platform *p = NULL;
	struct kernel *k = NULL;
	struct fdtable *fdt = NULL;
	struct mount *root = NULL;
	struct task *t = NULL;
	bool gofer_fd_taken = false, mounts_taken = false;
	int r;

	kernel_block_host_signals(); /* before any thread exists: they inherit the mask */
	r = arch_init();
	if (r < 0) {
		snprintf(err, errlen, "unsupported CPU");
		return r;
	}
	r = memfile_new(MEMFILE_MAX, &mf);
	if (r < 0) {
		snprintf(err, errlen, "cannot create the memory file: %s", strerror(-r));
		return r;
	}
	pagecache_set_memfile(mf); /* page caches share the guests' memory file */
	if (c->dentry_cache)
		dcache_high_water = c->dentry_cache;
	r = platform_new(pname, memfile_fd(mf), &p);
	if (r < 0) {
		snprintf(err, errlen, r == -ENOENT ? "unknown platform '%s'" :
			 "platform '%s' is not usable here", pname);
		goto out_mf;
	}
	r = kernel_new(p, mf, &k);
	if (r < 0)
		goto out_platform;
	k->strace = c->strace;
	tty_glue_init(k);
	r = kernel_start_host_signals(k);
	if (r < 0)
		goto out_kernel;
	r = fdtable_new(&fdt);
	if (r < 0)
		goto out_kernel;
	r = c->tty ? 0 : stdio_install(fdt);
	if (r < 0)
		goto out_fdt;
	/* The root filesystem: the host's through the gofer, or a tmpfs with /tmp. */
	if (c->gofer_fd >= 0) {
		r = mount_gofer_root(c->gofer_fd, c->overlay, &root);
		gofer_fd_taken = true;
		if (r == 0) {
			r = mount_all(c, root, err, errlen);
			mounts_taken = true;
			if (r < 0)
				goto out_root;
		}
	} else {
		r = vfs_mount_root(getuid(), getgid(), &root);
		if (r == 0 && (r = mount_dev(root, true)) < 0)
			mount_put(root);
	}
	if (r < 0) {
		snprintf(err, errlen, "cannot mount the root filesystem: %s", strerror(-r));
		goto out_fdt;
	}
	/* The Sentry's own /proc and /sys (the host's describe the host), with either root. */
	if ((r = procfs_mount_at(k, root, "/proc")) < 0 ||
	    (r = sysfs_mount_at(k, root, "/sys")) < 0) {
		snprintf(err, errlen, "cannot mount /proc and /sys: %s", strerror(-r));
		goto out_root;
	}
	r = task_new_init(k, fdt, &t);
	if (r < 0) {
		snprintf(err, errlen, "cannot start the init task: %s", strerror(-r));
		goto out_root;
	}
	r = fs_context_new(&(struct path){ .mnt = root, .dentry = root->root }, &t->fs);
	if (r == 0 && c->gofer_fd >= 0)
		r = set_cwd(t->fs, root, c, err, errlen);
	if (r == 0 && c->tty) {
		r = console_setup(t, root, &con);
		if (r < 0)
			snprintf(err, errlen, "cannot set up the terminal: %s", strerror(-r));
	}
	if (r == 0)
		r = load_init(t, c, err, errlen);
	if (r == 0) {
		log_info("boot: running %s on %s", c->exe_name, pname);
		*wait_status = kernel_run_init(t);
	}
	task_free(t);
out_root:
	mount_put(root);
out_fdt:
	fdtable_put(fdt);
	if (con)
		tty_console_stop(con); /* after the last slave fd is gone: drains the output */
out_kernel:
	kernel_free(k);
out_platform:
	platform_free(p);
out_mf:
	memfile_free(mf);
	if (c->gofer_fd >= 0 && !gofer_fd_taken)
		close(c->gofer_fd);
	/* Volumes not mounted: their sockets are still ours to close. */
	for (size_t i = 0; !mounts_taken && i < c->nmounts; i++)
		if (c->mounts[i].gofer_fd >= 0)
			close(c->mounts[i].gofer_fd);
	if (r < 0 && !err[0])
		snprintf(err, errlen, "%s", strerror(-r));
	return r;
}
