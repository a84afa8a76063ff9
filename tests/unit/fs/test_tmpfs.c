// SPDX-License-Identifier: Apache-2.0
/* tmpfs through the VFS: link counts, rename rules, getdents cookies, truncate, attributes. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/vfs.h"

#ifndef RENAME_EXCHANGE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#endif

static const struct vfs_cred root_cr = { 0, 0 };
static struct mount *rootm;
static struct vfs_start S;

static void setup(void)
{
	ck_assert_int_eq(vfs_mount_root(0, 0, &rootm), 0);
	S.cr = &root_cr;
	S.root.mnt = S.start.mnt = rootm;
	S.root.dentry = S.start.dentry = rootm->root;
}

static void teardown(void)
{
	mount_put(rootm);
}

static struct stat st_of(const char *path)
{
	struct stat st;
	struct path p;

	memset(&st, 0, sizeof(st));
	if (vfs_lookup(&S, path, 0, &p) == 0) {
		ck_assert_int_eq(vfs_getattr(p.dentry->inode, &st), 0);
		path_put(&p);
	}
	return st;
}

START_TEST(test_link_counts)
{
	ck_assert_uint_eq(st_of("/").st_nlink, 3); /* ., its name, tmp/.. */
	ck_assert_int_eq(vfs_mkdir(&S, "/d", 0755), 0);
	ck_assert_uint_eq(st_of("/").st_nlink, 4);
	ck_assert_int_eq(vfs_mknod_reg(&S, "/d/f", 0644), 0);
	ck_assert_int_eq(vfs_link(&S, "/d/f", &S, "/g", 0), 0);
	ck_assert_uint_eq(st_of("/g").st_nlink, 2);
	ck_assert_uint_eq(st_of("/g").st_ino, st_of("/d/f").st_ino);
	ck_assert_int_eq(vfs_rmdir(&S, "/d"), -ENOTEMPTY);
	ck_assert_int_eq(vfs_unlink(&S, "/d/f"), 0);
	ck_assert_uint_eq(st_of("/g").st_nlink, 1);
	ck_assert_int_eq(vfs_rmdir(&S, "/d"), 0);
	ck_assert_uint_eq(st_of("/").st_nlink, 3);
	ck_assert_uint_eq(st_of("/tmp").st_mode, S_IFDIR | 01777);
}
END_TEST

START_TEST(test_rename_rules)
{
	ck_assert_int_eq(vfs_mkdir(&S, "/a", 0755), 0);
	ck_assert_int_eq(vfs_mkdir(&S, "/a/sub", 0755), 0);
	ck_assert_int_eq(vfs_mkdir(&S, "/b", 0755), 0);
	ck_assert_int_eq(vfs_mknod_reg(&S, "/f", 0644), 0);
	ck_assert_int_eq(vfs_rename(&S, "/a", &S, "/a/sub/x", 0), -EINVAL);
	ck_assert_int_eq(vfs_rename(&S, "/a/sub", &S, "/a", 0), -ENOTEMPTY);
	ck_assert_int_eq(vfs_rename(&S, "/f", &S, "/a", 0), -EISDIR);
	ck_assert_int_eq(vfs_rename(&S, "/a", &S, "/f", 0), -ENOTDIR);
	ck_assert_int_eq(vfs_rename(&S, "/f", &S, "/b", RENAME_NOREPLACE), -EEXIST);
	ck_assert_int_eq(vfs_rename(&S, "/f", &S, "/f", 0), 0);
	ck_assert_int_eq(vfs_rename(&S, "/.", &S, "/x", 0), -EBUSY);
	ck_assert_int_eq(vfs_rename(&S, "/f", &S, "/x", 8), -EINVAL);
	/* Moving a directory moves a link between the parents. */
	ck_assert_int_eq(vfs_rename(&S, "/a/sub", &S, "/b/sub", 0), 0);
	ck_assert_uint_eq(st_of("/a").st_nlink, 2);
	ck_assert_uint_eq(st_of("/b").st_nlink, 3);
	/* Exchange a file and a directory across parents. */
	ck_assert_int_eq(vfs_rename(&S, "/f", &S, "/b/sub", RENAME_EXCHANGE), 0);
	ck_assert(S_ISDIR(st_of("/f").st_mode));
	ck_assert(S_ISREG(st_of("/b/sub").st_mode));
	ck_assert_uint_eq(st_of("/b").st_nlink, 2);
	ck_assert_uint_eq(st_of("/").st_nlink, 6); /* ., tmp, a, b, f(dir) + name */
	/* Replace an empty directory. */
	ck_assert_int_eq(vfs_rename(&S, "/f", &S, "/a", 0), 0);
	ck_assert_uint_eq(st_of("/").st_nlink, 5);
}
END_TEST

struct collect {
	struct dir_ctx ctx;
	char names[16][32];
	int64_t offs[16];
	int n, max;
};

static bool collect_emit(struct dir_ctx *c, const char *name, size_t len, uint64_t ino,
			 unsigned int type, int64_t next_off)
{
	struct collect *col = (struct collect *)c;

	(void)ino;
	(void)type;
	if (col->n >= col->max)
		return false;
	snprintf(col->names[col->n], sizeof(col->names[0]), "%.*s", (int)len, name);
	col->offs[col->n++] = next_off;
	return true;
}

START_TEST(test_getdents_stable)
{
	struct file *f;
	struct collect c = { .ctx.emit = collect_emit, .max = 3 };

	ck_assert_int_eq(vfs_mkdir(&S, "/d", 0755), 0);
	ck_assert_int_eq(vfs_mknod_reg(&S, "/d/a", 0644), 0);
	ck_assert_int_eq(vfs_mknod_reg(&S, "/d/b", 0644), 0);
	ck_assert_int_eq(vfs_mknod_reg(&S, "/d/c", 0644), 0);
	ck_assert_int_eq(vfs_open(&S, "/d", O_RDONLY | O_DIRECTORY, 0, &f), 0);
	ck_assert_int_eq(vfs_iterate(f, &c.ctx), 0);
	ck_assert_int_eq(c.n, 3);
	ck_assert_str_eq(c.names[0], ".");
	ck_assert_str_eq(c.names[1], "..");
	ck_assert_str_eq(c.names[2], "a");
	/* Changes between calls: removing a listed entry and the next one, adding one. */
	ck_assert_int_eq(vfs_unlink(&S, "/d/a"), 0);
	ck_assert_int_eq(vfs_unlink(&S, "/d/b"), 0);
	ck_assert_int_eq(vfs_mknod_reg(&S, "/d/e", 0644), 0);
	c.n = 0;
	c.max = 16;
	ck_assert_int_eq(vfs_iterate(f, &c.ctx), 0);
	ck_assert_int_eq(c.n, 2);
	ck_assert_str_eq(c.names[0], "c");
	ck_assert_str_eq(c.names[1], "e");
	/* Seeking back to a returned offset resumes after that entry. */
	c.ctx.pos = 1;
	c.n = 0;
	ck_assert_int_eq(vfs_iterate(f, &c.ctx), 0);
	ck_assert_int_eq(c.n, 3);
	ck_assert_str_eq(c.names[0], "..");
	file_put(f);
	ck_assert_int_eq(vfs_open(&S, "/d/c", O_RDONLY, 0, &f), 0);
	ck_assert_int_eq(vfs_iterate(f, &c.ctx), -ENOTDIR);
	file_put(f);
}
END_TEST

START_TEST(test_truncate_and_attrs)
{
	struct path p;
	struct iattr ia = { .valid = ATTR_SIZE, .size = 1 << 20 };
	struct file *f;

	ck_assert_int_eq(vfs_mknod_reg(&S, "/f", 0640), 0);
	ck_assert_int_eq(vfs_lookup(&S, "/f", 0, &p), 0);
	ck_assert_int_eq(vfs_setattr(p.dentry->inode, &ia), 0);
	ck_assert_int_eq(st_of("/f").st_size, 1 << 20);
	ia.size = 10;
	ck_assert_int_eq(vfs_setattr(p.dentry->inode, &ia), 0);
	ck_assert_int_eq(st_of("/f").st_size, 10);
	ia.valid = ATTR_MODE | ATTR_UID | ATTR_GID;
	ia.mode = 04711;
	ia.uid = 7;
	ia.gid = 8;
	ck_assert_int_eq(vfs_setattr(p.dentry->inode, &ia), 0);
	ck_assert_uint_eq(st_of("/f").st_mode, S_IFREG | 04711);
	ck_assert_uint_eq(st_of("/f").st_uid, 7);
	ck_assert_uint_eq(st_of("/f").st_gid, 8);
	path_put(&p);
	ck_assert_int_eq(vfs_open(&S, "/f", O_RDWR | O_TRUNC, 0, &f), 0);
	ck_assert_int_eq(st_of("/f").st_size, 0);
	ck_assert_int_eq(f->flags & O_ACCMODE, O_RDWR);
	ck_assert_int_eq(f->flags & (O_TRUNC | O_CREAT), 0);
	file_put(f);
	/* Directories and symlinks. */
	ck_assert_int_eq(vfs_open(&S, "/tmp", O_RDWR, 0, &f), -EISDIR);
	ck_assert_int_eq(vfs_symlink(&S, "/f", "/l"), 0);
	ck_assert_int_eq(vfs_open(&S, "/l", O_RDONLY | O_NOFOLLOW, 0, &f), -ELOOP);
	ck_assert_int_eq(vfs_open(&S, "/l", O_PATH | O_NOFOLLOW, 0, &f), 0);
	file_put(f);
	char *body;
	ck_assert_int_eq(vfs_readlink(&S, "/l", 0, &body), 0);
	ck_assert_str_eq(body, "/f");
	free(body);
	ck_assert_int_eq(st_of("/l").st_size, 2);
	ck_assert_int_eq(vfs_readlink(&S, "/f", 0, &body), -EINVAL);
}
END_TEST

START_TEST(test_create_through_symlink_and_excl)
{
	struct file *f;

	ck_assert_int_eq(vfs_symlink(&S, "/tmp/target", "/dangling"), 0);
	ck_assert_int_eq(vfs_open(&S, "/dangling", O_CREAT | O_EXCL | O_WRONLY, 0644, &f), -EEXIST);
	ck_assert_int_eq(vfs_open(&S, "/dangling", O_CREAT | O_WRONLY, 0600, &f), 0);
	file_put(f);
	ck_assert_uint_eq(st_of("/tmp/target").st_mode, S_IFREG | 0600);
	ck_assert_int_eq(vfs_open(&S, "/", O_CREAT | O_RDONLY, 0644, &f), -EISDIR);
	ck_assert_int_eq(vfs_open(&S, "/x/", O_CREAT | O_RDONLY, 0644, &f), -EISDIR);
	ck_assert_int_eq(vfs_open(&S, "/x", O_CREAT | O_DIRECTORY, 0644, &f), -EINVAL);
	ck_assert_int_eq(vfs_open(&S, "/nope/x", O_CREAT | O_RDONLY, 0644, &f), -ENOENT);
}
END_TEST

/* A deep tree is torn down without recursion (teardown's mount_put prunes it). */
START_TEST(test_deep_tree)
{
	struct vfs_start s = S;
	struct path p;

	path_get(&s.start);
	for (int i = 0; i < 5000; i++) {
		ck_assert_int_eq(vfs_mkdir(&s, "d", 0755), 0);
		ck_assert_int_eq(vfs_mknod_reg(&s, "f", 0644), 0);
		ck_assert_int_eq(vfs_lookup(&s, "d", 0, &p), 0);
		path_put(&s.start);
		s.start = p;
	}
	char *buf = malloc(VFS_PATH_MAX);
	ck_assert_int_eq(vfs_path_string(&S.root, &s.start, buf, VFS_PATH_MAX), -ERANGE);
	free(buf);
	path_put(&s.start);
}
END_TEST

Suite *tmpfs_suite(void);
Suite *tmpfs_suite(void)
{
	Suite *s = suite_create("tmpfs");
	TCase *tc = tcase_create("ops");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_link_counts);
	tcase_add_test(tc, test_rename_rules);
	tcase_add_test(tc, test_getdents_stable);
	tcase_add_test(tc, test_truncate_and_attrs);
	tcase_add_test(tc, test_create_through_symlink_and_excl);
	tcase_add_test(tc, test_deep_tree);
	suite_add_tcase(s, tc);
	return s;
}
