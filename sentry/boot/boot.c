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
		struct vfs_cred cr = { .uid = getuid(), .gid = getgid() };
		struct path root, cwd;
		fs_context_paths(t->fs, &root, &cwd);
		r = exec_open(&cr, &root, &cwd, c->exe_path ? c->exe_path : c->exe_name, false, false,
			      &lf);
		path_put(&root);
		path_put(&cwd);
		if (r < 0) {
			snprintf(err, errlen, "cannot open the program in the sandbox: %s",
				 strerror(-r));
			return r;
		}
	}
	task_get_rlimit(t, RLIMIT_STACK, &stack);
	la.stack_limit = stack.rlim_cur;
	r = loader_load(t->mm, &la, &t->regs, &why);
	if (lf.close)
		lf.close(&lf);
	if (r < 0)
		snprintf(err, errlen, "%s", why ? why : strerror(-r));
	return r;
}

/* A tmpfs mounted on @path of @root's tree if that is a directory there (else nothing). */
static int mount_tmpfs_at(struct mount *root, const char *path, uint32_t mode)
{
	struct vfs_cred cr = { .uid = getuid(), .gid = getgid() };
	struct vfs_start s = { .cr = &cr, .root = { root, root->root }, .start = { root, root->root } };
	struct dentry *troot;
	struct mount *m;
	struct path p;
	int r = vfs_lookup(&s, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);

	if (r < 0)
		return r == -ENOENT || r == -ENOTDIR ? 0 : r;
	r = tmpfs_new_root(mode, 0, 0, &troot);
	if (r == 0) {
		r = mount_new(troot, p.mnt, p.dentry, &m);
		dentry_put(troot);
		if (r == 0)
			mount_put(m); /* the mount table keeps it */
	}
	path_put(&p);
	return r;
}

/*
 * The host's "/" (read-only) through the gofer on @sock, with tmpfs on /tmp so programs have
 * somewhere to write (/dev, with /dev/shm, is devfs_mount's). The host's /proc and /sys
 * describe the host, not the sandbox: empty read-only tmpfs mounts hide them until the
 * Sentry has its own proc and sys.
 */
static int mount_host_root(int sock, struct mount **out)
{
	struct dentry *d;
	int r = goferfs_new_root(sock, true, &d);

	if (r < 0)
		return r;
	r = mount_new(d, NULL, NULL, out);
	dentry_put(d);
	if (r < 0)
		return r;
	r = mount_tmpfs_at(*out, "/tmp", 01777);
	if (r == 0)
		r = mount_tmpfs_at(*out, "/proc", 0555);
	if (r == 0)
		r = mount_tmpfs_at(*out, "/sys", 0555);
	if (r < 0)
		mount_put(*out);
	return r;
}

/* The guest's cwd: @cwd if it is a directory in the guest, else "/". */
static void set_cwd(struct fs_context *fs, struct mount *root, const char *cwd)
{
	struct vfs_cred cr = { .uid = getuid(), .gid = getgid() };
	struct vfs_start s = { .cr = &cr, .root = { root, root->root }, .start = { root, root->root } };
	struct path p;

	if (!cwd || vfs_lookup(&s, cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p) < 0)
		return;
	fs_context_set_cwd(fs, &p);
	path_put(&p);
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
	bool gofer_fd_taken = false;
	int r;

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
	r = fdtable_new(&fdt);
	if (r < 0)
		goto out_kernel;
	r = c->tty ? 0 : stdio_install(fdt);
	if (r < 0)
		goto out_fdt;
	/* The root filesystem: the host's through the gofer, or a tmpfs with /tmp. */
	if (c->gofer_fd >= 0) {
		r = mount_host_root(c->gofer_fd, &root);
		gofer_fd_taken = true;
	} else {
		r = vfs_mount_root(getuid(), getgid(), &root);
	}
	if (r == 0) {
		r = devfs_mount(root);
		if (r < 0)
			mount_put(root);
	}
	if (r < 0) {
		snprintf(err, errlen, "cannot mount the root filesystem: %s", strerror(-r));
		goto out_fdt;
	}
	r = task_new_init(k, fdt, &t);
	if (r < 0) {
		snprintf(err, errlen, "cannot start the init task: %s", strerror(-r));
		goto out_root;
	}
	r = fs_context_new(&(struct path){ .mnt = root, .dentry = root->root }, &t->fs);
	if (r == 0 && c->gofer_fd >= 0)
		set_cwd(t->fs, root, c->cwd);
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
	if (r < 0 && !err[0])
		snprintf(err, errlen, "%s", strerror(-r));
	return r;
}
