// SPDX-License-Identifier: Apache-2.0
/* Path walk: ".", "..", roots, mounts, symlink limits, trailing slashes, lengths, permissions. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/vfs.h"

static const struct vfs_cred root_cr = { 0, 0 }, user_cr = { 1000, 1000 },
			      other_cr = { 1001, 1001 };
static struct mount *rootm;
static struct vfs_start S; /* root cred, root = start = "/" */

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

static struct vfs_start as(const struct vfs_cred *cr)
{
	struct vfs_start s = S;
	s.cr = cr;
	return s;
}

static int lookup_ino(const struct vfs_start *s, const char *path, int flags, uint64_t *ino)
{
	struct path p;
	int r = vfs_lookup(s, path, flags, &p);
	if (r == 0) {
		*ino = p.dentry->inode->ino;
		path_put(&p);
	}
	return r;
}

static uint64_t ino_of(const char *path)
{
	uint64_t ino = 0;
	ck_assert_int_eq(lookup_ino(&S, path, LOOKUP_FOLLOW, &ino), 0);
	return ino;
}

START_TEST(test_dots_and_root)
{
	uint64_t root = ino_of("/"), tmp = ino_of("/tmp");
	uint64_t ino;

	ck_assert_uint_ne(root, tmp);
	ck_assert_uint_eq(ino_of("//tmp//"), tmp);
	ck_assert_uint_eq(ino_of("/tmp/."), tmp);
	ck_assert_uint_eq(ino_of("/tmp/.."), root);
	ck_assert_uint_eq(ino_of("/../../.."), root);
	ck_assert_uint_eq(ino_of(".."), root);
	ck_assert_uint_eq(ino_of("tmp/./../tmp"), tmp);
	ck_assert_int_eq(lookup_ino(&S, "", 0, &ino), -ENOENT);
	ck_assert_int_eq(lookup_ino(&S, "", LOOKUP_EMPTY, &ino), 0);
	ck_assert_uint_eq(ino, root);
	ck_assert_int_eq(lookup_ino(&S, "/nope", 0, &ino), -ENOENT);
	ck_assert_int_eq(lookup_ino(&S, "/nope/..", 0, &ino), -ENOENT);
}
END_TEST

START_TEST(test_chroot_confines_dotdot_and_symlinks)
{
	struct vfs_start jail = S;
	struct path jp;
	uint64_t ino;

	ck_assert_int_eq(vfs_mkdir(&S, "/jail", 0755), 0);
	ck_assert_int_eq(vfs_mkdir(&S, "/jail/etc", 0755), 0);
	ck_assert_int_eq(vfs_mknod_reg(&S, "/secret", 0600), 0);
	ck_assert_int_eq(vfs_symlink(&S, "/etc", "/jail/abs"), 0);
	ck_assert_int_eq(vfs_symlink(&S, "../../../secret", "/jail/rel"), 0);
	ck_assert_int_eq(vfs_lookup(&S, "/jail", LOOKUP_FOLLOW, &jp), 0);
	jail.root = jail.start = jp;
	ck_assert_int_eq(lookup_ino(&jail, "/..", 0, &ino), 0);
	ck_assert_uint_eq(ino, jp.dentry->inode->ino);
	ck_assert_int_eq(lookup_ino(&jail, "etc/../../../..", 0, &ino), 0);
	ck_assert_uint_eq(ino, jp.dentry->inode->ino);
	/* An absolute symlink resolves inside the jail; ".." in one cannot climb out. */
	ck_assert_int_eq(lookup_ino(&jail, "abs", LOOKUP_FOLLOW, &ino), 0);
	ck_assert_uint_eq(ino, ino_of("/jail/etc"));
	ck_assert_int_eq(lookup_ino(&jail, "rel", LOOKUP_FOLLOW, &ino), -ENOENT);
	ck_assert_int_eq(lookup_ino(&jail, "/secret", 0, &ino), -ENOENT);
	char buf[64];
	ck_assert_int_eq(vfs_path_string(&jp, &jp, buf, sizeof buf), 1);
	ck_assert_str_eq(buf, "/");
	ck_assert_int_eq(vfs_path_string(&jp, &S.root, buf, sizeof buf), 14);
	ck_assert_str_eq(buf, "(unreachable)/");
	path_put(&jp);
}
END_TEST

START_TEST(test_symlink_limit)
{
	char name[32], target[32];
	uint64_t ino;

	ck_assert_int_eq(vfs_mknod_reg(&S, "/f", 0644), 0);
	/* s1 -> s2 -> ... -> s40 -> f: 40 links, allowed; s0 makes 41. */
	for (int i = 40; i >= 0; i--) {
		snprintf(name, sizeof name, "/s%d", i);
		if (i == 40)
			snprintf(target, sizeof target, "f");
		else
			snprintf(target, sizeof target, "s%d", i + 1);
		ck_assert_int_eq(vfs_symlink(&S, target, name), 0);
	}
	ck_assert_int_eq(lookup_ino(&S, "/s1", LOOKUP_FOLLOW, &ino), 0);
	ck_assert_uint_eq(ino, ino_of("/f"));
	ck_assert_int_eq(lookup_ino(&S, "/s0", LOOKUP_FOLLOW, &ino), -ELOOP);
	ck_assert_int_eq(lookup_ino(&S, "/s0", 0, &ino), 0); /* not followed: the link itself */
	ck_assert_int_eq(vfs_symlink(&S, "self", "/self"), 0);
	ck_assert_int_eq(lookup_ino(&S, "/self/x", 0, &ino), -ELOOP);
	ck_assert_int_eq(vfs_symlink(&S, "", "/empty"), -ENOENT);
}
END_TEST

START_TEST(test_trailing_slash_and_types)
{
	uint64_t ino;
	struct path p;

	ck_assert_int_eq(vfs_mknod_reg(&S, "/f", 0644), 0);
	ck_assert_int_eq(vfs_mkdir(&S, "/d", 0755), 0);
	ck_assert_int_eq(vfs_symlink(&S, "d", "/ld"), 0);
	ck_assert_int_eq(vfs_symlink(&S, "f", "/lf"), 0);
	ck_assert_int_eq(lookup_ino(&S, "/f/", 0, &ino), -ENOTDIR);
	ck_assert_int_eq(lookup_ino(&S, "/f/.", 0, &ino), -ENOTDIR);
	ck_assert_int_eq(lookup_ino(&S, "/f/x", 0, &ino), -ENOTDIR);
	ck_assert_int_eq(lookup_ino(&S, "/d/", 0, &ino), 0);
	ck_assert_int_eq(lookup_ino(&S, "/ld/", 0, &ino), 0); /* trailing slash follows */
	ck_assert_uint_eq(ino, ino_of("/d"));
	ck_assert_int_eq(lookup_ino(&S, "/lf/", 0, &ino), -ENOTDIR);
	ck_assert_int_eq(vfs_lookup(&S, "/f", LOOKUP_DIRECTORY, &p), -ENOTDIR);
	ck_assert_int_eq(vfs_mknod_reg(&S, "/new/", 0644), -ENOENT);
	ck_assert_int_eq(vfs_mkdir(&S, "/newd/", 0755), 0);
	ck_assert_int_eq(vfs_mkdir(&S, "/f", 0755), -EEXIST);
	ck_assert_int_eq(vfs_mkdir(&S, "/", 0755), -EEXIST);
	ck_assert_int_eq(vfs_rmdir(&S, "/"), -EBUSY);
	ck_assert_int_eq(vfs_unlink(&S, "/"), -EISDIR);
}
END_TEST

START_TEST(test_name_lengths)
{
	char name[300];
	uint64_t ino;

	name[0] = '/';
	memset(name + 1, 'n', 255);
	name[256] = '\0';
	ck_assert_int_eq(vfs_mknod_reg(&S, name, 0644), 0);
	ck_assert_int_eq(lookup_ino(&S, name, 0, &ino), 0);
	name[256] = 'n';
	name[257] = '\0';
	ck_assert_int_eq(vfs_mknod_reg(&S, name, 0644), -ENAMETOOLONG);
	ck_assert_int_eq(lookup_ino(&S, name, 0, &ino), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_permissions)
{
	struct vfs_start u = as(&user_cr), o = as(&other_cr);
	struct file *f;
	uint64_t ino;

	ck_assert_int_eq(vfs_mkdir(&S, "/priv", 0700), 0);
	ck_assert_int_eq(vfs_mknod_reg(&S, "/priv/x", 0644), 0);
	ck_assert_int_eq(lookup_ino(&u, "/priv/x", 0, &ino), -EACCES);
	ck_assert_int_eq(lookup_ino(&u, "/priv", 0, &ino), 0); /* the dir itself is visible */
	ck_assert_int_eq(vfs_mkdir(&u, "/mine", 0755), -EACCES); /* / is root's 0755 */
	ck_assert_int_eq(vfs_mknod_reg(&S, "/ro", 0444), 0);
	ck_assert_int_eq(vfs_open(&u, "/ro", O_RDONLY, 0, &f), 0);
	file_put(f);
	ck_assert_int_eq(vfs_open(&u, "/ro", O_WRONLY, 0, &f), -EACCES);
	ck_assert_int_eq(vfs_open(&u, "/ro", O_RDONLY | O_TRUNC, 0, &f), -EACCES);
	ck_assert_int_eq(vfs_open(&S, "/ro", O_WRONLY, 0, &f), 0); /* root overrides */
	file_put(f);
	/* Exec needs an x bit even for root; directories are always searchable by root. */
	ck_assert_int_eq(vfs_permission(&root_cr, S.root.dentry->inode, MAY_EXEC), 0);
	struct path p;
	ck_assert_int_eq(vfs_lookup(&S, "/ro", 0, &p), 0);
	ck_assert_int_eq(vfs_permission(&root_cr, p.dentry->inode, MAY_EXEC), -EACCES);
	ck_assert_int_eq(vfs_permission(&root_cr, p.dentry->inode, MAY_READ | MAY_WRITE), 0);
	path_put(&p);

	/* Sticky /tmp: others' files cannot be removed or renamed away. */
	ck_assert_int_eq(vfs_mknod_reg(&u, "/tmp/ufile", 0666), 0);
	ck_assert_int_eq(vfs_lookup(&S, "/tmp/ufile", 0, &p), 0);
	ck_assert_uint_eq(p.dentry->inode->uid, 1000);
	path_put(&p);
	ck_assert_int_eq(vfs_unlink(&o, "/tmp/ufile"), -EPERM);
	ck_assert_int_eq(vfs_rename(&o, "/tmp/ufile", &o, "/tmp/other", 0), -EPERM);
	ck_assert_int_eq(vfs_mknod_reg(&o, "/tmp/ofile", 0666), 0);
	ck_assert_int_eq(vfs_unlink(&o, "/tmp/ofile"), 0);
	ck_assert_int_eq(vfs_unlink(&u, "/tmp/ufile"), 0);
}
END_TEST

START_TEST(test_mounts)
{
	struct dentry *r2;
	struct mount *m2;
	struct path mp, p;
	uint64_t ino;
	char buf[64];

	ck_assert_int_eq(vfs_mkdir(&S, "/mnt", 0755), 0);
	ck_assert_int_eq(vfs_mknod_reg(&S, "/mnt/hidden", 0644), 0);
	ck_assert_int_eq(vfs_lookup(&S, "/mnt", 0, &mp), 0);
	ck_assert_int_eq(tmpfs_new_root(0755, 0, 0, &r2), 0);
	ck_assert_int_eq(mount_new(r2, rootm, mp.dentry, &m2), 0);
	dentry_put(r2);
	struct vfs_start inner = S;
	inner.start.mnt = m2;
	inner.start.dentry = m2->root;
	ck_assert_int_eq(vfs_mknod_reg(&inner, "inner", 0644), 0);
	ck_assert_int_eq(lookup_ino(&S, "/mnt/inner", 0, &ino), 0);
	ck_assert_int_eq(lookup_ino(&S, "/mnt/hidden", 0, &ino), -ENOENT);
	ck_assert_uint_eq(ino_of("/mnt/.."), ino_of("/"));
	ck_assert_int_eq(vfs_lookup(&S, "/mnt/inner", 0, &p), 0);
	ck_assert_ptr_eq(p.mnt, m2);
	ck_assert_int_eq(vfs_path_string(&S.root, &p, buf, sizeof buf), 10);
	ck_assert_str_eq(buf, "/mnt/inner");
	ck_assert_int_eq(vfs_path_string(&S.root, &p, buf, 5), -ERANGE);
	path_put(&p);
	ck_assert_int_eq(vfs_rename(&S, "/mnt/inner", &S, "/moved", 0), -EXDEV);
	ck_assert_int_eq(vfs_link(&S, "/mnt/inner", &S, "/linked", 0), -EXDEV);
	ck_assert_int_eq(vfs_rmdir(&S, "/mnt"), -EBUSY);
	mount_detach(m2);
	mount_put(m2);
	ck_assert_int_eq(lookup_ino(&S, "/mnt/hidden", 0, &ino), 0);
	path_put(&mp);
	ck_assert_int_eq(vfs_unlink(&S, "/mnt/hidden"), 0);
	ck_assert_int_eq(vfs_rmdir(&S, "/mnt"), 0);
}
END_TEST

START_TEST(test_cwd_and_removed_dirs)
{
	struct fs_context *fs, *copy;
	struct path root, cwd, p;
	char buf[64];

	ck_assert_int_eq(fs_context_new(&S.root, &fs), 0);
	ck_assert_int_eq(vfs_mkdir(&S, "/a", 0755), 0);
	ck_assert_int_eq(vfs_mkdir(&S, "/a/b", 0755), 0);
	ck_assert_int_eq(vfs_lookup(&S, "/a/b", 0, &p), 0);
	fs_context_set_cwd(fs, &p);
	path_put(&p);
	ck_assert_int_eq(fs_context_copy(fs, &copy), 0);
	fs_context_paths(copy, &root, &cwd);
	ck_assert_int_eq(vfs_path_string(&root, &cwd, buf, sizeof buf), 4);
	ck_assert_str_eq(buf, "/a/b");
	ck_assert_int_eq(vfs_rename(&S, "/a", &S, "/z", 0), 0);
	ck_assert_int_eq(vfs_path_string(&root, &cwd, buf, sizeof buf), 4);
	ck_assert_str_eq(buf, "/z/b");
	ck_assert_int_eq(vfs_rmdir(&S, "/z/b"), 0);
	ck_assert_int_eq(vfs_path_string(&root, &cwd, buf, sizeof buf), -ENOENT);
	struct vfs_start in_dead = S;
	in_dead.start = cwd;
	ck_assert_int_eq(vfs_mknod_reg(&in_dead, "x", 0644), -ENOENT);
	ck_assert_int_eq(vfs_mkdir(&in_dead, "x", 0755), -ENOENT);
	ck_assert_int_eq(vfs_lookup(&in_dead, "..", 0, &p), 0);
	path_put(&p);
	path_put(&root);
	path_put(&cwd);
	fs_context_put(copy);
	fs_context_put(fs);
}
END_TEST

Suite *namei_suite(void);
Suite *namei_suite(void)
{
	Suite *s = suite_create("namei");
	TCase *tc = tcase_create("walk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dots_and_root);
	tcase_add_test(tc, test_chroot_confines_dotdot_and_symlinks);
	tcase_add_test(tc, test_symlink_limit);
	tcase_add_test(tc, test_trailing_slash_and_types);
	tcase_add_test(tc, test_name_lengths);
	tcase_add_test(tc, test_permissions);
	tcase_add_test(tc, test_mounts);
	tcase_add_test(tc, test_cwd_and_removed_dirs);
	suite_add_tcase(s, tc);
	return s;
}
