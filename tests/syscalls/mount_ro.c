/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Read-only mounts refuse every change with EROFS (chmod, chown, utimes, truncate, xattrs,
 * creation, O_TMPFILE, write opens), and MS_REC binds carry submounts. Natively the test
 * first enters a private mount namespace, so nothing reaches the host's mount table; the
 * sandbox has one namespace of its own (unshare says EINVAL there) and takes the mounts.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>

#include "tap.h"

static char dir[64];

static char *at(const char *name)
{
	static char buf[8][128];
	static int i;
	char *b = buf[i++ & 7];
	snprintf(b, 128, "%s/%s", dir, name);
	return b;
}

int main(void)
{
	struct stat st;
	char buf[16];
	int fd;

	if (unshare(CLONE_NEWNS) == 0) {
		if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
			return 1;
	} else if (errno != EINVAL) {
		return 1; /* no private namespace natively: do not touch the host's mounts */
	}
	umask(0);
	strcpy(dir, "/tmp/sbx-mountro-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	mkdir(at("a"), 0755);
	mkdir(at("b"), 0755);
	mkdir(at("c"), 0755);
	mkdir(at("e"), 0755);

	is_int(mount("none", at("a"), "tmpfs", 0, "mode=0755"), 0, "tmpfs on a");
	fd = open(at("a/f"), O_CREAT | O_WRONLY, 0644);
	write(fd, "data", 4);
	close(fd);
	mkfifo(at("a/fifo"), 0644);
	setxattr(at("a/f"), "user.x", "1", 1, 0);
	is_int(mount(at("a"), at("b"), NULL, MS_BIND, NULL), 0, "bind a on b");
	is_int(mount(NULL, at("b"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), 0,
		"remount b read-only");

	/* Attribute changes. */
	is_errno(chmod(at("b/f"), 0600), EROFS, "chmod: EROFS");
	is_errno(chown(at("b/f"), 1, 1), EROFS, "chown: EROFS");
	is_errno(lchown(at("b/f"), 0, 0), EROFS, "lchown to the same owner: EROFS");
	is_errno(utimes(at("b/f"), NULL), EROFS, "utimes now: EROFS");
	struct timespec ts[2] = { { 1, 0 }, { 2, 0 } };
	is_errno(utimensat(AT_FDCWD, at("b/f"), ts, 0), EROFS, "utimensat: EROFS");
	is_errno(truncate(at("b/f"), 0), EROFS, "truncate: EROFS");
	is_errno(truncate(at("b"), 0), EISDIR, "truncate of a directory: EISDIR first");
	is_errno(truncate(at("b/fifo"), 0), EINVAL, "truncate of a FIFO: EINVAL first");
	is_errno(chmod(at("b/fifo"), 0600), EROFS, "chmod of a FIFO: EROFS");
	is_errno(chmod(at("b"), 0700), EROFS, "chmod of the mount's root: EROFS");
	is_errno(setxattr(at("b/f"), "user.y", "1", 1, 0), EROFS, "setxattr: EROFS");
	is_errno(removexattr(at("b/f"), "user.x"), EROFS, "removexattr: EROFS");
	is_int(getxattr(at("b/f"), "user.x", buf, sizeof(buf)), 1, "getxattr works");
	fd = open(at("b/f"), O_RDONLY);
	is_errno(fchmod(fd, 0600), EROFS, "fchmod: EROFS");
	is_errno(fchown(fd, 1, 1), EROFS, "fchown: EROFS");
	is_errno(futimens(fd, NULL), EROFS, "futimens: EROFS");
	is_errno(ftruncate(fd, 0), EINVAL, "ftruncate of a read-only fd: EINVAL");
	is_errno(fsetxattr(fd, "user.y", "1", 1, 0), EROFS, "fsetxattr: EROFS");
	close(fd);

	/* Namespace changes and write opens. */
	is_errno(open(at("b/f"), O_WRONLY), EROFS, "open for writing: EROFS");
	is_errno(open(at("b/new"), O_CREAT | O_WRONLY, 0644), EROFS, "create: EROFS");
	is_errno(open(at("b"), O_TMPFILE | O_RDWR, 0644), EROFS, "O_TMPFILE: EROFS");
	is_errno(mknod(at("b/n"), S_IFIFO | 0644, 0), EROFS, "mknod: EROFS");
	is_errno(mkdir(at("b/d"), 0755), EROFS, "mkdir: EROFS");
	is_errno(unlink(at("b/f")), EROFS, "unlink: EROFS");

	/* The same file through the writable mount. */
	is_int(chmod(at("a/f"), 0600), 0, "chmod through a");
	is_int(stat(at("b/f"), &st), 0, "stat through b");
	is_int(st.st_mode & 0777, 0600, "b sees the change");

	/* MS_REC: submounts come along; a plain bind shows the directory underneath. */
	mkdir(at("a/sub"), 0755);
	is_int(mount("none", at("a/sub"), "tmpfs", 0, "mode=0755"), 0, "tmpfs on a/sub");
	fd = open(at("a/sub/g"), O_CREAT | O_WRONLY, 0644);
	close(fd);
	is_int(mount(at("a"), at("c"), NULL, MS_BIND | MS_REC, NULL), 0, "rbind a on c");
	is_int(stat(at("c/sub/g"), &st), 0, "c/sub/g through the copied submount");
	is_int(mount(at("a"), at("e"), NULL, MS_BIND, NULL), 0, "bind a on e");
	is_errno(stat(at("e/sub/g"), &st), ENOENT, "e/sub is the bare directory");
	fd = open(at("c/sub/h"), O_CREAT | O_WRONLY, 0644);
	close(fd);
	is_int(stat(at("a/sub/h"), &st), 0, "the copy shows the same tmpfs");

	/* Cleanup, innermost first. */
	is_errno(umount(at("c")), EBUSY, "umount c with a submount: EBUSY");
	is_int(umount2(at("c"), MNT_DETACH), 0, "umount -l c takes its submounts along");
	is_errno(stat(at("c/sub"), &st), ENOENT, "c is the bare directory again");
	is_int(umount(at("e")), 0, "umount e");
	is_int(umount(at("b")), 0, "umount b");
	is_int(umount(at("a/sub")), 0, "umount a/sub");
	is_int(umount(at("a")), 0, "umount a");
	rmdir(at("a"));
	rmdir(at("b"));
	rmdir(at("c"));
	rmdir(at("e"));
	is_int(rmdir(dir), 0, "cleanup");
	return done_testing();
}
