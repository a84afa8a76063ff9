// SPDX-License-Identifier: Apache-2.0
/*
 * The overlay over a tmpfs lower (no gofer needed): copy-up, whiteouts, opaque directories,
 * merged readdir, rename, st_ino across copy-up, readers of the lower file, and the lower
 * tree left untouched.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/vfs.h"

#define XATTR_CREATE_ 1

static const struct vfs_cred root_cr = { 0, 0 };
static struct mount *lowm, *ovlm;
static struct vfs_start L, O;

static void start_of(struct vfs_start *s, struct mount *m)
{
	s->cr = &root_cr;
	s->root.mnt = s->start.mnt = m;
	s->root.dentry = s->start.dentry = m->root;
}

static void put_file(struct vfs_start *s, const char *path, const char *data)
{
	struct file *f;
	struct uio u;
	int64_t off = 0;

	ck_assert_int_eq(vfs_open(s, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f), 0);
	uio_init_kernel(&u, (void *)data, strlen(data));
	ck_assert_int_eq(vfs_write(f, &u, &off), (ssize_t)strlen(data));
	file_put(f);
}

/* The contents of @path (static buffer), or "<errno>" if it cannot be opened. */
static const char *get_file(struct vfs_start *s, const char *path)
{
	static char buf[256];
	struct file *f;
	ssize_t n;
	int r = vfs_open(s, path, O_RDONLY, 0, &f);

	if (r < 0) {
		snprintf(buf, sizeof(buf), "<%d>", r);
		return buf;
	}
	n = vfs_kernel_pread(f, buf, sizeof(buf) - 1, 0);
	file_put(f);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void setup(void)
{
	struct dentry *lower, *upper, *ovl;

	ck_assert_int_eq(vfs_mount_root(0, 0, &lowm), 0);
	start_of(&L, lowm);
	ck_assert_int_eq(vfs_mkdir(&L, "/etc", 0755), 0);
	ck_assert_int_eq(vfs_mkdir(&L, "/etc/sub", 0700), 0);
	put_file(&L, "/etc/passwd", "root:x:0:0\n");
	put_file(&L, "/etc/hosts", "127.0.0.1 localhost\n");
	put_file(&L, "/etc/sub/deep", "deep\n");
	ck_assert_int_eq(vfs_symlink(&L, "passwd", "/etc/pw"), 0);
	ck_assert_int_eq(tmpfs_new_root(0755, 0, 0, &upper), 0);
	lower = lowm->root;
	ck_assert_int_eq(overlay_new_root(upper, lower, &ovl), 0);
	dentry_put(upper);
	ck_assert_int_eq(mount_new(ovl, NULL, NULL, &ovlm), 0);
	dentry_put(ovl);
	start_of(&O, ovlm);
}

static void teardown(void)
{
	mount_put(ovlm);
	mount_put(lowm);
}

struct names {
	struct dir_ctx ctx;
	char buf[1024];
};

static bool names_emit(struct dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
		       unsigned int type, int64_t next)
{
	struct names *n = (struct names *)ctx;

	(void)ino;
	(void)type;
	(void)next;
	if ((len == 1 && name[0] == '.') || (len == 2 && !memcmp(name, "..", 2)))
		return true;
	strncat(n->buf, name, len);
	strcat(n->buf, " ");
	return true;
}

/* The names in directory @path, in listing order, space-separated. */
static const char *list(struct vfs_start *s, const char *path)
{
	static struct names n;
	struct file *f;

	memset(&n, 0, sizeof(n));
	n.ctx.emit = names_emit;
	ck_assert_int_eq(vfs_open(s, path, O_RDONLY | O_DIRECTORY, 0, &f), 0);
	ck_assert_int_eq(vfs_iterate(f, &n.ctx), 0);
	file_put(f);
	return n.buf;
}

static struct stat st_of(struct vfs_start *s, const char *path)
{
	struct stat st;
	struct path p;

	memset(&st, 0, sizeof(st));
	st.st_ino = 0;
	if (vfs_lookup(s, path, 0, &p) == 0) {
		ck_assert_int_eq(vfs_getattr(p.dentry->inode, &st), 0);
		path_put(&p);
	}
	return st;
}

START_TEST(test_read_through)
{
	ck_assert_str_eq(get_file(&O, "/etc/passwd"), "root:x:0:0\n");
	ck_assert_str_eq(get_file(&O, "/etc/pw"), "root:x:0:0\n");
	ck_assert_str_eq(get_file(&O, "/etc/sub/deep"), "deep\n");
	ck_assert_str_eq(list(&O, "/etc"), "sub passwd hosts pw ");
	ck_assert_uint_eq(st_of(&O, "/etc/sub").st_mode, S_IFDIR | 0700);
}
END_TEST

START_TEST(test_copy_up)
{
	struct stat before = st_of(&O, "/etc/sub/deep");
	struct file *ro;

	ck_assert_int_eq(vfs_open(&O, "/etc/sub/deep", O_RDONLY, 0, &ro), 0);
	put_file(&O, "/etc/sub/deep", "new\n");
	ck_assert_str_eq(get_file(&O, "/etc/sub/deep"), "new\n");
	ck_assert_str_eq(get_file(&L, "/etc/sub/deep"), "deep\n");
	/* A reader opened before the copy-up keeps the lower file. */
	char buf[16] = "";
	ck_assert_int_eq(vfs_kernel_pread(ro, buf, sizeof(buf) - 1, 0), 5);
	ck_assert_str_eq(buf, "deep\n");
	file_put(ro);
	/* Same file as far as stat says; the parent was copied up with its mode. */
	ck_assert_uint_eq(st_of(&O, "/etc/sub/deep").st_ino, before.st_ino);
	ck_assert_uint_eq(st_of(&O, "/etc/sub/deep").st_dev, before.st_dev);
	ck_assert_uint_eq(st_of(&O, "/etc/sub").st_mode, S_IFDIR | 0700);
	/* chmod copies up too; data comes along. */
	struct iattr ia = { .valid = ATTR_MODE, .mode = 0600 };
	struct path p;
	ck_assert_int_eq(vfs_lookup(&O, "/etc/hosts", 0, &p), 0);
	ck_assert_int_eq(vfs_setattr(p.dentry->inode, &ia), 0);
	path_put(&p);
	ck_assert_uint_eq(st_of(&O, "/etc/hosts").st_mode, S_IFREG | 0600);
	ck_assert_uint_eq(st_of(&L, "/etc/hosts").st_mode, S_IFREG | 0644);
	ck_assert_str_eq(get_file(&O, "/etc/hosts"), "127.0.0.1 localhost\n");
	ck_assert_str_eq(list(&O, "/etc"), "sub hosts passwd pw ");
}
END_TEST

START_TEST(test_whiteouts)
{
	ck_assert_int_eq(vfs_unlink(&O, "/etc/passwd"), 0);
	ck_assert_str_eq(get_file(&O, "/etc/passwd"), "<-2>");
	ck_assert_str_eq(get_file(&L, "/etc/passwd"), "root:x:0:0\n");
	ck_assert_str_eq(list(&O, "/etc"), "sub hosts pw ");
	ck_assert_str_eq(get_file(&O, "/etc/pw"), "<-2>"); /* dangling now */
	/* Re-create: a new file, not the old contents. */
	put_file(&O, "/etc/passwd", "x\n");
	ck_assert_str_eq(get_file(&O, "/etc/passwd"), "x\n");
	ck_assert_int_eq(vfs_unlink(&O, "/etc/passwd"), 0);
	ck_assert_str_eq(get_file(&O, "/etc/passwd"), "<-2>");
	/* A copied-up file removed stays removed. */
	put_file(&O, "/etc/hosts", "h\n");
	ck_assert_int_eq(vfs_unlink(&O, "/etc/hosts"), 0);
	ck_assert_str_eq(get_file(&O, "/etc/hosts"), "<-2>");
	ck_assert_str_eq(list(&O, "/etc"), "sub pw ");
}
END_TEST

START_TEST(test_opaque_dirs)
{
	ck_assert_int_eq(vfs_rmdir(&O, "/etc/sub"), -ENOTEMPTY);
	ck_assert_int_eq(vfs_unlink(&O, "/etc/sub/deep"), 0);
	ck_assert_str_eq(list(&O, "/etc/sub"), "");
	ck_assert_int_eq(vfs_rmdir(&O, "/etc/sub"), 0);
	ck_assert_int_eq(st_of(&O, "/etc/sub").st_ino, 0);
	ck_assert_int_eq(vfs_mkdir(&O, "/etc/sub", 0755), 0);
	ck_assert_str_eq(list(&O, "/etc/sub"), "");
	ck_assert_str_eq(get_file(&O, "/etc/sub/deep"), "<-2>");
	ck_assert_str_eq(get_file(&L, "/etc/sub/deep"), "deep\n");
	/* rmdir of a whole lower tree: every name must be gone first. */
	ck_assert_int_eq(vfs_unlink(&O, "/etc/passwd"), 0);
	ck_assert_int_eq(vfs_unlink(&O, "/etc/hosts"), 0);
	ck_assert_int_eq(vfs_unlink(&O, "/etc/pw"), 0);
	ck_assert_int_eq(vfs_rmdir(&O, "/etc/sub"), 0);
	ck_assert_int_eq(vfs_rmdir(&O, "/etc"), 0);
	ck_assert_int_eq(vfs_mkdir(&O, "/etc", 0755), 0);
	ck_assert_str_eq(list(&O, "/etc"), "");
	ck_assert_str_eq(list(&O, "/"), "etc tmp ");
	ck_assert_str_eq(list(&L, "/etc"), "sub passwd hosts pw ");
}
END_TEST

START_TEST(test_rename)
{
	ck_assert_int_eq(vfs_rename(&O, "/etc/passwd", &O, "/tmp/moved", 0), 0);
	ck_assert_str_eq(get_file(&O, "/etc/passwd"), "<-2>");
	ck_assert_str_eq(get_file(&O, "/tmp/moved"), "root:x:0:0\n");
	ck_assert_str_eq(list(&O, "/etc"), "sub hosts pw ");
	/* Over an existing lower file. */
	ck_assert_int_eq(vfs_rename(&O, "/tmp/moved", &O, "/etc/hosts", 0), 0);
	ck_assert_str_eq(get_file(&O, "/etc/hosts"), "root:x:0:0\n");
	ck_assert_str_eq(list(&O, "/etc"), "hosts sub pw ");
	/* Lower directories: EXDEV (no redirect_dir); upper-only ones move. */
	ck_assert_int_eq(vfs_rename(&O, "/etc/sub", &O, "/sub2", 0), -EXDEV);
	ck_assert_int_eq(vfs_mkdir(&O, "/etc/new", 0755), 0);
	put_file(&O, "/etc/new/f", "f\n");
	ck_assert_int_eq(vfs_rename(&O, "/etc/new", &O, "/new2", 0), 0);
	ck_assert_str_eq(get_file(&O, "/new2/f"), "f\n");
	ck_assert_str_eq(list(&L, "/etc"), "sub passwd hosts pw ");
	ck_assert_str_eq(get_file(&L, "/etc/hosts"), "127.0.0.1 localhost\n");
}
END_TEST

START_TEST(test_links_and_symlinks)
{
	ck_assert_int_eq(vfs_link(&O, "/etc/passwd", &O, "/etc/pw2", 0), 0);
	ck_assert_uint_eq(st_of(&O, "/etc/pw2").st_ino, st_of(&O, "/etc/passwd").st_ino);
	ck_assert_uint_eq(st_of(&O, "/etc/pw2").st_nlink, 2);
	ck_assert_int_eq(vfs_symlink(&O, "/etc/hosts", "/hl"), 0);
	ck_assert_str_eq(get_file(&O, "/hl"), "127.0.0.1 localhost\n");
	ck_assert_int_eq(st_of(&L, "/hl").st_ino, 0);
}
END_TEST

/* O_TRUNC copies nothing but still replaces; a file unlinked while open can still change. */
START_TEST(test_truncate_and_unlinked)
{
	struct file *f;
	struct iattr ia = { .valid = ATTR_MODE, .mode = 0640 };
	struct stat st;

	put_file(&O, "/etc/passwd", "r");
	ck_assert_str_eq(get_file(&O, "/etc/passwd"), "r");
	ck_assert_str_eq(get_file(&L, "/etc/passwd"), "root:x:0:0\n");
	ck_assert_int_eq(vfs_open(&O, "/etc/hosts", O_RDONLY, 0, &f), 0);
	ck_assert_int_eq(vfs_unlink(&O, "/etc/hosts"), 0);
	ck_assert_int_eq(vfs_setattr(file_inode(f), &ia), 0);
	ck_assert_int_eq(vfs_fstat(f, &st), 0);
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0640);
	file_put(f);
	ck_assert_str_eq(list(&O, "/"), "etc tmp ");
	ck_assert_str_eq(list(&O, "/etc"), "passwd sub pw "); /* upper first */
	ck_assert_uint_eq(st_of(&L, "/etc/hosts").st_mode, S_IFREG | 0644);
}
END_TEST

/* Bind mounts share their source's tree; read-only mounts refuse changes; umount rules. */
START_TEST(test_bind_mounts)
{
	struct path src, dst, p;
	struct mount *m;
	struct file *f;

	ck_assert_int_eq(vfs_lookup(&L, "/etc", 0, &src), 0);
	ck_assert_int_eq(vfs_lookup(&L, "/tmp", 0, &dst), 0);
	ck_assert_int_eq(mount_new_bind(&src, &dst, true, &m), 0);
	path_put(&src);
	path_put(&dst);
	ck_assert_str_eq(get_file(&L, "/tmp/passwd"), "root:x:0:0\n");
	ck_assert_int_eq(vfs_mknod_reg(&L, "/tmp/new", 0644), -EROFS);
	ck_assert_int_eq(vfs_unlink(&L, "/tmp/passwd"), -EROFS);
	ck_assert_int_eq(vfs_mkdir(&L, "/tmp/sub", 0755), -EEXIST); /* EEXIST first, as Linux */
	ck_assert_int_eq(vfs_open(&L, "/tmp/passwd", O_WRONLY, 0, &f), -EROFS);
	ck_assert_int_eq(vfs_open(&L, "/tmp/x", O_WRONLY | O_CREAT, 0644, &f), -EROFS);
	ck_assert_int_eq(vfs_rename(&L, "/tmp/hosts", &L, "/tmp/h2", 0), -EROFS);
	/* The source stays writable. */
	ck_assert_int_eq(vfs_mknod_reg(&L, "/etc/new", 0644), 0);
	ck_assert_int_eq(st_of(&L, "/tmp/new").st_mode, S_IFREG | 0644);
	/* Busy while someone holds it (the caller's reference and one more), then gone. */
	ck_assert_int_eq(vfs_lookup(&L, "/tmp/sub", 0, &p), 0);
	ck_assert_int_eq(mount_umount(m, false, 1), -EBUSY);
	path_put(&p);
	ck_assert_int_eq(mount_umount(m, false, 1), 0);
	ck_assert_int_eq(mount_umount(m, false, 1), -EINVAL);
	mount_put(m);
	ck_assert_str_eq(list(&L, "/tmp"), "");
	ck_assert_str_eq(get_file(&L, "/etc/sub/deep"), "deep\n"); /* nothing pruned */
	ck_assert_int_eq(mount_umount(lowm, false, 0), -EINVAL);
}
END_TEST

/* xattrs: the lower's show through; a change copies up and leaves the lower alone. */
START_TEST(test_xattrs)
{
	struct vfs_xattr_who w = { .cr = &root_cr, .admin = true, .fowner = true };
	struct path lp, op;
	char buf[64];

	ck_assert_int_eq(vfs_lookup(&L, "/etc/hosts", 0, &lp), 0);
	ck_assert_int_eq(vfs_setxattr(&w, &lp, "user.low", "L", 1, 0), 0);
	ck_assert_int_eq(vfs_lookup(&O, "/etc/hosts", 0, &op), 0);
	ck_assert_int_eq(vfs_getxattr(&w, &op, "user.low", buf, sizeof(buf)), 1);
	ck_assert_int_eq(vfs_listxattr(&w, &op, buf, sizeof(buf)), 9);
	/* Removing a missing attribute copies nothing up. */
	ck_assert_int_eq(vfs_removexattr(&w, &op, "user.none"), -ENODATA);
	ck_assert_int_eq(vfs_setxattr(&w, &op, "user.up", "U", 1, XATTR_CREATE_), 0);
	ck_assert_int_eq(vfs_listxattr(&w, &op, NULL, 0), 9 + 8);
	ck_assert_int_eq(vfs_getxattr(&w, &op, "user.low", buf, sizeof(buf)), 1); /* copied up */
	ck_assert_int_eq(vfs_getxattr(&w, &lp, "user.up", buf, sizeof(buf)), -ENODATA);
	ck_assert_int_eq(vfs_removexattr(&w, &op, "user.low"), 0);
	ck_assert_int_eq(vfs_getxattr(&w, &op, "user.low", buf, sizeof(buf)), -ENODATA);
	ck_assert_int_eq(vfs_getxattr(&w, &lp, "user.low", buf, sizeof(buf)), 1);
	ck_assert_str_eq(get_file(&O, "/etc/hosts"), "127.0.0.1 localhost\n");
	path_put(&lp);
	path_put(&op);
}
END_TEST

/* Device nodes and O_TMPFILE in the overlay; lower devices copy up on chmod. */
START_TEST(test_devices_and_tmpfile)
{
	struct stat st;
	struct path p;
	struct file *f;
	char buf[8];

	ck_assert_int_eq(vfs_mknod(&L, "/etc/lowdev", S_IFCHR | 0644, 0x105, true), 0);
	ck_assert_int_eq(vfs_mknod(&O, "/etc/null", S_IFCHR | 0666, 0x103, true), 0);
	ck_assert_int_eq(vfs_lookup(&O, "/etc/null", 0, &p), 0);
	ck_assert_int_eq(vfs_getattr(p.dentry->inode, &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_int_eq(st.st_rdev, 0x103);
	path_put(&p);
	ck_assert_int_eq(vfs_lookup(&L, "/etc/null", 0, &p), -ENOENT);
	ck_assert_int_eq(vfs_lookup(&O, "/etc/lowdev", 0, &p), 0);
	struct iattr ia = { .valid = ATTR_MODE, .mode = 0600 };
	ck_assert_int_eq(vfs_setattr(p.dentry->inode, &ia), 0); /* copies the node up */
	ck_assert_int_eq(vfs_getattr(p.dentry->inode, &st), 0);
	ck_assert_int_eq(st.st_rdev, 0x105);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	path_put(&p);
	ck_assert_int_eq(vfs_lookup(&L, "/etc/lowdev", 0, &p), 0);
	ck_assert_int_eq(p.dentry->inode->mode & 0777, 0644); /* the lower is untouched */
	path_put(&p);

	ck_assert_int_eq(vfs_open(&O, "/etc", O_TMPFILE | O_RDWR, 0600, &f), 0);
	ck_assert_int_eq(file_inode(f)->nlink, 0);
	struct uio u;
	int64_t off = 0;
	uio_init_kernel(&u, "tmp", 3);
	ck_assert_int_eq(vfs_write(f, &u, &off), 3);
	struct vfs_start F = { .cr = &root_cr, .root = O.root, .start = f->path };
	ck_assert_int_eq(vfs_link(&F, "", &O, "/etc/named", LOOKUP_EMPTY), 0);
	ck_assert_int_eq(file_inode(f)->nlink, 1);
	file_put(f);
	ck_assert_str_eq(get_file(&O, "/etc/named"), "tmp");
	ck_assert_int_eq(vfs_lookup(&L, "/etc/named", 0, &p), -ENOENT);
	/* O_EXCL: never linkable. */
	ck_assert_int_eq(vfs_open(&O, "/etc", O_TMPFILE | O_RDWR | O_EXCL, 0600, &f), 0);
	F.start = f->path;
	ck_assert_int_eq(vfs_link(&F, "", &O, "/etc/named2", LOOKUP_EMPTY), -ENOENT);
	file_put(f);
	(void)buf;
}
END_TEST

Suite *overlay_suite(void);
Suite *overlay_suite(void)
{
	Suite *s = suite_create("overlay");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_read_through);
	tcase_add_test(tc, test_copy_up);
	tcase_add_test(tc, test_whiteouts);
	tcase_add_test(tc, test_opaque_dirs);
	tcase_add_test(tc, test_rename);
	tcase_add_test(tc, test_links_and_symlinks);
	tcase_add_test(tc, test_bind_mounts);
	tcase_add_test(tc, test_truncate_and_unlinked);
	tcase_add_test(tc, test_xattrs);
	tcase_add_test(tc, test_devices_and_tmpfile);
	suite_add_tcase(s, tc);
	return s;
}
