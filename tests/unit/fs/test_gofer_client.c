// SPDX-License-Identifier: Apache-2.0
/*
 * The Sentry's 9P client filesystem (fs/gofer) against a real gofer_serve in a forked child
 * on a socketpair, serving a temp tree: lookup, read, readdir, readlink, create/mkdir/
 * rename/unlink/setattr when writable, EROFS when read-only, -EIO on a dead server.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs/gofer/goferfs.h"
#include "fs/gofer/hostfd.h"
#include "fs/vfs.h"
#include "gofer/gofer.h"

static const struct vfs_cred root_cr = { 0, 0 };
static char tree[64];
static pid_t server;
static struct mount *m;
static struct vfs_start S;

static void put(const char *rel, const char *data)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(data, f);
	fclose(f);
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(p);
}

static bool no_donate; /* start() runs a gofer that never donates fds (set by the setups) */

static void start(bool readonly)
{
	char p[256];
	int sv[2];
	struct dentry *root;

	strcpy(tree, "/tmp/goferfs-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tree));
	put("a.txt", "hello world\n");
	snprintf(p, sizeof(p), "%s/d", tree);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	put("d/b.txt", "inner");
	snprintf(p, sizeof(p), "%s/link", tree);
	ck_assert_int_eq(symlink("d/b.txt", p), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	server = fork();
	ck_assert_int_ge(server, 0);
	if (server == 0) {
		struct gofer_config cfg = { .root_fd = open(tree, O_PATH | O_DIRECTORY),
					    .conn_fds = &sv[1], .nconns = 1,
					    .readonly = readonly, .confine = false,
					    .no_fd_donation = no_donate };
		close(sv[0]);
		_exit(gofer_serve(&cfg) == 0 ? 0 : 3);
	}
	close(sv[1]);
	ck_assert_int_eq(goferfs_new_root(sv[0], readonly, &root), 0);
	ck_assert_int_eq(mount_new(root, NULL, NULL, &m), 0);
	dentry_put(root);
	S.cr = &root_cr;
	S.root.mnt = S.start.mnt = m;
	S.root.dentry = S.start.dentry = m->root;
}

static void stop(void)
{
	int status;

	mount_put(m); /* the last inode closes the connection: the server ends */
	ck_assert_int_eq(waitpid(server, &status, 0), server);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	nftw(tree, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup_rw(void)
{
	no_donate = false;
	start(false);
}

static void setup_ro(void)
{
	no_donate = false;
	start(true);
}

static void setup_rw_9p(void)
{
	no_donate = true;
	start(false);
}

static void setup_ro_9p(void)
{
	no_donate = true;
	start(true);
}

/* How many fds this process holds. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static ssize_t kwrite(struct file *f, const char *s, int64_t pos)
{
	struct uio u;

	uio_init_kernel(&u, (void *)s, strlen(s));
	return vfs_write(f, &u, &pos);
}

static void host_content(const char *rel, char *buf, size_t cap, ssize_t *len)
{
	char hp[256];
	int fd;

	snprintf(hp, sizeof(hp), "%s/%s", tree, rel);
	fd = open(hp, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	*len = read(fd, buf, cap);
	close(fd);
}

static ssize_t read_path(const char *path, char *buf, size_t cap)
{
	struct file *f;
	ssize_t n;
	int r = vfs_open(&S, path, O_RDONLY, 0, &f);

	if (r < 0)
		return r;
	n = vfs_kernel_pread(f, buf, cap - 1, 0);
	buf[n < 0 ? 0 : n] = 0;
	file_put(f);
	return n;
}

struct names {
	struct dir_ctx ctx;
	char all[512];
	int n;
};

static bool collect(struct dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
		    unsigned int type, int64_t next)
{
	struct names *nm = (struct names *)ctx;

	if ((len == 1 && name[0] == '.') || (len == 2 && !memcmp(name, "..", 2)))
		return true;
	strncat(nm->all, name, len);
	strcat(nm->all, type == DT_DIR ? "/ " : " ");
	nm->n++;
	return true;
}

static bool has(const char *all, const char *word)
{
	char w[64];

	snprintf(w, sizeof(w), "%s ", word);
	return strstr(all, w) != NULL;
}

START_TEST(test_lookup_read_readlink)
{
	char buf[64], *target;
	struct path p;
	struct stat st, hst;
	char hp[256];

	ck_assert_int_eq(read_path("/a.txt", buf, sizeof(buf)), 12);
	ck_assert_str_eq(buf, "hello world\n");
	ck_assert_int_eq(read_path("d/b.txt", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "inner");
	ck_assert_int_eq(read_path("/link", buf, sizeof(buf)), 5); /* followed in the guest */
	ck_assert_int_eq(vfs_readlink(&S, "/link", 0, &target), 0);
	ck_assert_str_eq(target, "d/b.txt");
	free(target);
	ck_assert_int_eq(vfs_lookup(&S, "/nope", LOOKUP_FOLLOW, &p), -ENOENT);
	ck_assert_int_eq(vfs_lookup(&S, "/a.txt/x", LOOKUP_FOLLOW, &p), -ENOTDIR);
	ck_assert_int_eq(vfs_lookup(&S, "/d", LOOKUP_FOLLOW, &p), 0);
	ck_assert_int_eq(vfs_getattr(p.dentry->inode, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	path_put(&p);
	ck_assert_int_eq(vfs_lookup(&S, "/a.txt", LOOKUP_FOLLOW, &p), 0);
	ck_assert_int_eq(vfs_getattr(p.dentry->inode, &st), 0);
	snprintf(hp, sizeof(hp), "%s/a.txt", tree);
	ck_assert_int_eq(stat(hp, &hst), 0);
	ck_assert_int_eq(st.st_size, 12);
	ck_assert_int_eq(st.st_mode, hst.st_mode);
	ck_assert_int_eq(st.st_mtim.tv_sec, hst.st_mtim.tv_sec);
	path_put(&p);
	/* ".." at the root stays there: nothing above the served tree */
	ck_assert_int_eq(read_path("/../../a.txt", buf, sizeof(buf)), 12);
}
END_TEST

START_TEST(test_readdir)
{
	struct names nm = { 0 };
	struct file *f;

	ck_assert_int_eq(vfs_open(&S, "/", O_RDONLY | O_DIRECTORY, 0, &f), 0);
	nm.ctx.emit = collect;
	ck_assert_int_eq(vfs_iterate(f, &nm.ctx), 0);
	ck_assert_int_eq(nm.n, 3);
	ck_assert(has(nm.all, "a.txt") && has(nm.all, "d/") && has(nm.all, "link"));
	/* at the end: nothing more */
	nm.n = 0;
	ck_assert_int_eq(vfs_iterate(f, &nm.ctx), 0);
	ck_assert_int_eq(nm.n, 0);
	file_put(f);
}
END_TEST

START_TEST(test_write_ops)
{
	char buf[64], hp[256], hbuf[64];
	struct file *f;
	struct uio u;
	struct stat st;
	struct path p;
	int fd;
	ssize_t n;

	ck_assert_int_eq(vfs_open(&S, "/new.txt", O_CREAT | O_WRONLY | O_EXCL, 0644, &f), 0);
	uio_init_kernel(&u, "data!", 5);
	int64_t pos = 0;
	ck_assert_int_eq(vfs_write(f, &u, &pos), 5);
	ck_assert_int_eq(vfs_fstat(f, &st), 0);
	ck_assert_int_eq(st.st_size, 5);
	file_put(f);
	snprintf(hp, sizeof(hp), "%s/new.txt", tree);
	fd = open(hp, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, hbuf, sizeof(hbuf));
	close(fd);
	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(memcmp(hbuf, "data!", 5), 0);
	ck_assert_int_eq(read_path("/new.txt", buf, sizeof(buf)), 5);

	ck_assert_int_eq(vfs_mkdir(&S, "/sub", 0750), 0);
	ck_assert_int_eq(vfs_rename(&S, "/new.txt", &S, "/sub/moved", 0), 0);
	ck_assert_int_eq(read_path("/sub/moved", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "data!");
	ck_assert_int_eq(vfs_lookup(&S, "/new.txt", 0, &p), -ENOENT);
	/* truncate through O_TRUNC (setattr) */
	ck_assert_int_eq(vfs_open(&S, "/sub/moved", O_WRONLY | O_TRUNC, 0, &f), 0);
	file_put(f);
	snprintf(hp, sizeof(hp), "%s/sub/moved", tree);
	ck_assert_int_eq(stat(hp, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(vfs_symlink(&S, "moved", "/sub/sl"), 0);
	ck_assert_int_eq(vfs_rmdir(&S, "/sub"), -ENOTEMPTY);
	ck_assert_int_eq(vfs_unlink(&S, "/sub/sl"), 0);
	ck_assert_int_eq(vfs_unlink(&S, "/sub/moved"), 0);
	ck_assert_int_eq(vfs_rmdir(&S, "/sub"), 0);
	snprintf(hp, sizeof(hp), "%s/sub", tree);
	ck_assert_int_eq(lstat(hp, &st), -1);
}
END_TEST

/*
 * read/write/append/truncate/pread past EOF through an open file: the same results whether
 * the gofer donated the fd (tcase rw) or not (rw9p), the host file agrees, and the cached
 * size follows the writes.
 */
START_TEST(test_io_semantics)
{
	static const char want[] = "hello\0\0\0\0\0XYtail";
	char buf[64];
	struct file *f, *ra, *ap;
	struct iattr ia = { .valid = ATTR_SIZE, .size = 3 };
	struct stat st;
	ssize_t n;

	ck_assert_int_eq(vfs_open(&S, "/io", O_CREAT | O_RDWR | O_EXCL, 0644, &f), 0);
	ck_assert_int_eq(vfs_open(&S, "/io", O_RDONLY, 0, &ra), 0);
	ck_assert_int_eq(kwrite(f, "hello", 0), 5);
	ck_assert_int_eq(kwrite(f, "XY", 10), 2); /* a hole from 5 to 10 */
	ck_assert_int_eq(vfs_fstat(f, &st), 0);
	ck_assert_int_eq(st.st_size, 12);
	ck_assert_int_eq(vfs_open(&S, "/io", O_WRONLY | O_APPEND, 0, &ap), 0);
	ck_assert_int_eq(kwrite(ap, "tail", 0), 4); /* O_APPEND: at the end, not at 0 */
	ck_assert_int_eq(vfs_fstat(ap, &st), 0);
	ck_assert_int_eq(st.st_size, 16);
	ck_assert_int_eq(vfs_kernel_pread(ra, buf, sizeof(buf), 0), 16);
	ck_assert_int_eq(memcmp(buf, want, 16), 0);
	ck_assert_int_eq(vfs_kernel_pread(ra, buf, sizeof(buf), 14), 2);
	ck_assert_int_eq(vfs_kernel_pread(ra, buf, sizeof(buf), 16), 0);
	ck_assert_int_eq(vfs_kernel_pread(ra, buf, sizeof(buf), 4096), 0);
	host_content("io", buf, sizeof(buf), &n);
	ck_assert_int_eq(n, 16);
	ck_assert_int_eq(memcmp(buf, want, 16), 0);
	ck_assert_int_eq(vfs_setattr(file_inode(f), &ia), 0); /* ftruncate */
	ck_assert_int_eq(vfs_kernel_pread(ra, buf, sizeof(buf), 0), 3);
	ck_assert_int_eq(memcmp(buf, "hel", 3), 0);
	ck_assert_int_eq(kwrite(ap, "!", 0), 1);
	ck_assert_int_eq(vfs_kernel_pread(ra, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(memcmp(buf, "hel!", 4), 0);
	ck_assert_int_eq(vfs_fstat(ra, &st), 0);
	ck_assert_int_eq(st.st_size, 4);
	ck_assert_int_eq(kwrite(ra, "x", 0), -EBADF); /* read-only open */
	file_put(ap);
	file_put(ra);
	file_put(f);
	host_content("io", buf, sizeof(buf), &n);
	ck_assert_int_eq(n, 4);
}
END_TEST

/*
 * A donated fd lives exactly as long as its open file: one more fd in this process per
 * open regular file with donation (none without, none for directories), none left after.
 */
START_TEST(test_fd_lifetime)
{
	int before, per_open = no_donate ? 0 : 1;
	struct file *f[8], *d;
	char buf[64];

	/* The first open sets up what lives on (the page cache's memory file). */
	ck_assert_int_eq(read_path("/a.txt", buf, sizeof(buf)), 12);
	before = count_fds();

	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(vfs_open(&S, "/a.txt", O_RDONLY, 0, &f[i]), 0);
	ck_assert_int_eq(count_fds(), before + 8 * per_open);
	ck_assert_int_eq(vfs_open(&S, "/d", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	ck_assert_int_eq(count_fds(), before + 8 * per_open);
	file_put(d);
	ck_assert_int_eq(vfs_kernel_pread(f[3], buf, sizeof(buf), 6), 6);
	for (int i = 0; i < 8; i++)
		file_put(f[i]);
	ck_assert_int_eq(count_fds(), before);
}
END_TEST

/* Past GOFERFS_HOSTFD_MAX open files, opens do not ask for fds: they work over 9P. */
START_TEST(test_fd_cap)
{
	struct file *f[6];
	char buf[64];
	int before;

	ck_assert_int_eq(read_path("/a.txt", buf, sizeof(buf)), 12);
	before = count_fds();
	goferfs_hostfd_set_max(2);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(vfs_open(&S, "/a.txt", O_RDONLY, 0, &f[i]), 0);
	ck_assert_int_eq(count_fds(), before + 2);
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(vfs_kernel_pread(f[i], buf, sizeof(buf), 0), 12);
		ck_assert_int_eq(memcmp(buf, "hello world\n", 12), 0);
	}
	file_put(f[0]); /* a slot comes free */
	ck_assert_int_eq(vfs_open(&S, "/a.txt", O_RDONLY, 0, &f[0]), 0);
	ck_assert_int_eq(count_fds(), before + 2);
	for (int i = 0; i < 6; i++)
		file_put(f[i]);
	ck_assert_int_eq(count_fds(), before);
	goferfs_hostfd_set_max(GOFERFS_HOSTFD_MAX);
}
END_TEST

/* At its fd limit the Sentry cannot take a donated fd: the kernel drops it, 9P I/O goes on. */
START_TEST(test_fd_limit)
{
	struct rlimit old, lim;
	char buf[64];
	struct file *f;
	int lowest_free, before;

	ck_assert_int_eq(read_path("/a.txt", buf, sizeof(buf)), 12);
	before = count_fds();
	lowest_free = dup(0);
	ck_assert_int_ge(lowest_free, 0);
	close(lowest_free);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)lowest_free; /* no new fd at all */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
	ck_assert_int_eq(vfs_open(&S, "/a.txt", O_RDONLY, 0, &f), 0);
	ck_assert_int_eq(vfs_kernel_pread(f, buf, sizeof(buf), 0), 12);
	ck_assert_int_eq(memcmp(buf, "hello world\n", 12), 0);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_int_eq(count_fds(), before);
	file_put(f);
	ck_assert_int_eq(read_path("/a.txt", buf, sizeof(buf)), 12); /* the connection is fine */
}
END_TEST

START_TEST(test_readonly)
{
	char buf[64], hp[256];
	struct file *f;
	struct stat st;

	ck_assert_int_eq(read_path("/a.txt", buf, sizeof(buf)), 12);
	ck_assert_int_eq(vfs_open(&S, "/x", O_CREAT | O_WRONLY, 0644, &f), -EROFS);
	ck_assert_int_eq(vfs_open(&S, "/a.txt", O_WRONLY, 0, &f), -EROFS);
	ck_assert_int_eq(vfs_open(&S, "/a.txt", O_RDONLY | O_TRUNC, 0, &f), -EROFS);
	ck_assert_int_eq(vfs_mkdir(&S, "/dd", 0755), -EROFS);
	ck_assert_int_eq(vfs_unlink(&S, "/a.txt"), -EROFS);
	ck_assert_int_eq(vfs_rename(&S, "/a.txt", &S, "/b.txt", 0), -EROFS);
	ck_assert_int_eq(vfs_symlink(&S, "a", "/s"), -EROFS);
	snprintf(hp, sizeof(hp), "%s/a.txt", tree);
	ck_assert_int_eq(stat(hp, &st), 0);
	ck_assert_int_eq(st.st_size, 12);
	snprintf(hp, sizeof(hp), "%s/x", tree);
	ck_assert_int_eq(lstat(hp, &st), -1);
	struct vfs_xattr_who w = { .cr = &root_cr, .admin = true, .fowner = true };
	struct path p;
	ck_assert_int_eq(vfs_lookup(&S, "/a.txt", 0, &p), 0);
	ck_assert_int_eq(vfs_setxattr(&w, &p, "user.x", "1", 1, 0), -EROFS);
	ck_assert_int_eq(vfs_removexattr(&w, &p, "user.x"), -EROFS);
	ck_assert_int_eq(vfs_listxattr(&w, &p, buf, sizeof(buf)), 0);
	path_put(&p);
}
END_TEST

/* Extended attributes through the VFS, the client and the gofer, down to the host. */
START_TEST(test_xattrs)
{
	struct vfs_xattr_who w = { .cr = &root_cr, .admin = true, .fowner = true };
	char buf[128], hp[256], big[3000];
	struct path p;

	snprintf(hp, sizeof(hp), "%s/a.txt", tree);
	ck_assert_int_eq(setxattr(hp, "user.host", "H", 1, 0), 0);
	ck_assert_int_eq(vfs_lookup(&S, "/a.txt", 0, &p), 0);
	ck_assert_int_eq(vfs_getxattr(&w, &p, "user.host", buf, sizeof(buf)), 1);
	ck_assert_int_eq(vfs_getxattr(&w, &p, "user.host", NULL, 0), 1);
	ck_assert_int_eq(vfs_getxattr(&w, &p, "user.none", buf, sizeof(buf)), -ENODATA);
	memset(big, 'v', sizeof(big));
	ck_assert_int_eq(vfs_setxattr(&w, &p, "user.big", big, sizeof(big), 0), 0);
	ck_assert_int_eq(vfs_getxattr(&w, &p, "user.big", buf, sizeof(buf)), -ERANGE);
	ck_assert_int_eq(getxattr(hp, "user.big", big, sizeof(big)), (ssize_t)sizeof(big));
	ck_assert_int_eq(vfs_listxattr(&w, &p, NULL, 0), 19);
	ck_assert_int_eq(vfs_listxattr(&w, &p, buf, 5), -ERANGE);
	ck_assert_int_eq(vfs_setxattr(&w, &p, "user.host", "x", 1, XATTR_CREATE), -EEXIST);
	ck_assert_int_eq(vfs_removexattr(&w, &p, "user.host"), 0);
	ck_assert_int_eq(getxattr(hp, "user.host", buf, sizeof(buf)), -1);
	ck_assert_int_eq(vfs_removexattr(&w, &p, "user.host"), -ENODATA);
	path_put(&p);
	/* A symlink of the gofer has none (the gofer never opens it). */
	ck_assert_int_eq(vfs_lookup(&S, "/link", 0, &p), 0);
	ck_assert_int_eq(vfs_listxattr(&w, &p, buf, sizeof(buf)), 0);
	path_put(&p);
}
END_TEST

/* A dead server: every request is -EIO, nothing crashes. */
START_TEST(test_server_gone)
{
	char buf[64];
	struct file *f;

	ck_assert_int_eq(vfs_open(&S, "/a.txt", O_RDONLY, 0, &f), 0);
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	/* An open file with a donated fd does not need the gofer any more (as in gVisor). */
	ck_assert_int_eq(vfs_kernel_pread(f, buf, sizeof(buf), 0), no_donate ? -EIO : 12);
	file_put(f);
	ck_assert_int_eq(read_path("/d/b.txt", buf, sizeof(buf)), -EIO);
	mount_put(m);
	nftw(tree, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
END_TEST

static int server_fds(void)
{
	char p[64];
	int n = 0;
	DIR *d;

	snprintf(p, sizeof(p), "/proc/%d/fd", (int)server);
	d = opendir(p);
	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2;
}

/* More names than the cache may keep: the oldest unused ones go, with their fids (the
 * server's fds); names in use, and directories with cached children, stay. */
START_TEST(test_dcache_evict)
{
	char p[256];
	struct path keep, q;
	struct file *f;
	struct stat st, hst;
	int before, mid;

	snprintf(p, sizeof(p), "%s/many", tree);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	for (int i = 0; i < 64; i++) {
		snprintf(p, sizeof(p), "many/f%d", i);
		put(p, "x");
	}
	dcache_high_water = 16;
	before = server_fds();
	for (int i = 0; i < 64; i++) {
		snprintf(p, sizeof(p), "/many/f%d", i);
		ck_assert_int_eq(vfs_lookup(&S, p, LOOKUP_FOLLOW, &q), 0);
		path_put(&q);
	}
	ck_assert_int_ge(dcache_count(), 65);
	ck_assert_int_ge(server_fds(), before + 64);
	ck_assert_int_eq(vfs_lookup(&S, "/many/f0", LOOKUP_FOLLOW, &keep), 0);
	ck_assert_int_eq(vfs_open(&S, "/a.txt", O_RDONLY, 0, &f), 0);
	mid = server_fds();
	ck_assert(dcache_shrink() >= 50);
	ck_assert_int_le(dcache_count(), 12);
	ck_assert_int_le(server_fds(), mid - 50); /* each dropped name clunked its fid */
	ck_assert(!keep.dentry->dead && !f->path.dentry->dead);
	ck_assert_ptr_eq(dentry_child(m->root, "many", 4), keep.dentry->parent);
	/* dropped names come back with the same identity */
	ck_assert_int_eq(vfs_lookup(&S, "/many/f33", LOOKUP_FOLLOW, &q), 0);
	ck_assert_int_eq(vfs_getattr(q.dentry->inode, &st), 0);
	snprintf(p, sizeof(p), "%s/many/f33", tree);
	ck_assert_int_eq(stat(p, &hst), 0);
	ck_assert_int_eq(st.st_ino, hst.st_ino);
	path_put(&q);
	/* unused now: everything can go, "many" after its children */
	path_put(&keep);
	file_put(f);
	dcache_high_water = 0;
	while (dcache_shrink() > 0)
		;
	ck_assert_ptr_null(dentry_child(m->root, "many", 4));
	ck_assert_int_eq(dcache_count(), 0);
	ck_assert_int_le(server_fds(), before);
}
END_TEST

static void noop(void)
{
}

Suite *gofer_client_suite(void);
Suite *gofer_client_suite(void)
{
	Suite *s = suite_create("gofer_client");
	TCase *rw = tcase_create("rw"), *ro = tcase_create("ro"), *gone = tcase_create("gone");
	TCase *rw9p = tcase_create("rw9p"), *ro9p = tcase_create("ro9p");
	TCase *gone9p = tcase_create("gone9p");

	signal(SIGPIPE, SIG_IGN);
	tcase_add_checked_fixture(rw, setup_rw, stop);
	tcase_add_test(rw, test_lookup_read_readlink);
	tcase_add_test(rw, test_readdir);
	tcase_add_test(rw, test_write_ops);
	tcase_add_test(rw, test_xattrs);
	tcase_add_test(rw, test_dcache_evict);
	tcase_add_test(rw, test_io_semantics);
	tcase_add_test(rw, test_fd_lifetime);
	tcase_add_test(rw, test_fd_limit);
	tcase_add_test(rw, test_fd_cap);
	tcase_add_checked_fixture(rw9p, setup_rw_9p, stop);
	tcase_add_test(rw9p, test_lookup_read_readlink);
	tcase_add_test(rw9p, test_write_ops);
	tcase_add_test(rw9p, test_io_semantics);
	tcase_add_test(rw9p, test_fd_lifetime);
	tcase_add_checked_fixture(ro9p, setup_ro_9p, stop);
	tcase_add_test(ro9p, test_readonly);
	tcase_add_checked_fixture(ro, setup_ro, stop);
	tcase_add_test(ro, test_readonly);
	tcase_add_checked_fixture(gone, setup_ro, noop);
	tcase_add_test(gone, test_server_gone);
	tcase_add_checked_fixture(gone9p, setup_ro_9p, noop);
	tcase_add_test(gone9p, test_server_gone);
	suite_add_tcase(s, rw);
	suite_add_tcase(s, ro);
	suite_add_tcase(s, rw9p);
	suite_add_tcase(s, ro9p);
	suite_add_tcase(s, gone9p);
	suite_add_tcase(s, gone);
	return s;
}
