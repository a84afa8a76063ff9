/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device nodes made by mknod in a directory of the test's own under /tmp: st_rdev, opening
 * the driver by number (null, zero, full, urandom), unknown devices and block devices
 * (ENXIO), `cp -a /dev/null`, and who may make them (CAP_MKNOD).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "tap.h"

static char dir[64];

static char *at(const char *name)
{
	static char buf[4][128];
	static int i;
	char *b = buf[i++ & 3];
	snprintf(b, 128, "%s/%s", dir, name);
	return b;
}

int main(void)
{
	struct stat st;
	char buf[64];
	int fd;

	umask(0);
	strcpy(dir, "/tmp/sbx-devnode-XXXXXX");
	if (!mkdtemp(dir))
		return 1;

	/* mknod x c 1 3; echo hi > x */
	is_int(mknod(at("null"), S_IFCHR | 0666, makedev(1, 3)), 0, "mknod c 1 3");
	is_int(stat(at("null"), &st), 0, "stat it");
	ok(S_ISCHR(st.st_mode), "a character device");
	is_int(st.st_mode & 07777, 0666, "mode");
	is_int(major(st.st_rdev), 1, "st_rdev major");
	is_int(minor(st.st_rdev), 3, "st_rdev minor");
	is_int(st.st_size, 0, "size 0");
	fd = open(at("null"), O_WRONLY);
	ok(fd >= 0, "open for writing");
	is_int(write(fd, "hi\n", 3), 3, "write to null");
	close(fd);
	fd = open(at("null"), O_RDONLY);
	is_int(read(fd, buf, sizeof(buf)), 0, "read from null: EOF");
	close(fd);

	is_int(mknod(at("zero"), S_IFCHR | 0644, makedev(1, 5)), 0, "mknod c 1 5");
	fd = open(at("zero"), O_RDONLY);
	memset(buf, 1, sizeof(buf));
	is_int(read(fd, buf, 16), 16, "read zero");
	ok(buf[0] == 0 && buf[15] == 0, "zeros");
	close(fd);
	is_int(mknod(at("full"), S_IFCHR | 0644, makedev(1, 7)), 0, "mknod c 1 7");
	fd = open(at("full"), O_WRONLY);
	is_errno(write(fd, "x", 1), ENOSPC, "write full: ENOSPC");
	close(fd);
	is_int(mknod(at("urandom"), S_IFCHR | 0644, makedev(1, 9)), 0, "mknod c 1 9");
	fd = open(at("urandom"), O_RDONLY);
	is_int(read(fd, buf, 32), 32, "read urandom");
	close(fd);

	/* Devices without a driver, and block devices. */
	is_int(mknod(at("unknown"), S_IFCHR | 0644, makedev(240, 7)), 0,
		"mknod of an unknown device");
	is_errno(open(at("unknown"), O_RDONLY), ENXIO, "opening it: ENXIO");
	is_int(mknod(at("blk"), S_IFBLK | 0600, makedev(240, 0)), 0, "mknod b");
	is_int(stat(at("blk"), &st), 0, "stat the block device");
	ok(S_ISBLK(st.st_mode) && major(st.st_rdev) == 240, "a block device 240,0");
	is_errno(open(at("blk"), O_RDONLY), ENXIO, "opening it: ENXIO");
	fd = open(at("blk"), O_PATH);
	ok(fd >= 0, "O_PATH open of a device works");
	close(fd);

	/* cp -a /dev/null: the same type, mode and number. */
	struct stat dn;
	is_int(stat("/dev/null", &dn), 0, "stat /dev/null");
	is_int(mknod(at("copy"), dn.st_mode, dn.st_rdev), 0,
		"mknod with /dev/null's mode and rdev");
	is_int(stat(at("copy"), &st), 0, "stat the copy");
	ok(st.st_rdev == dn.st_rdev && st.st_mode == dn.st_mode, "same mode and number");
	fd = open(at("copy"), O_RDWR);
	is_int(write(fd, "x", 1), 1, "the copy is a null device");
	close(fd);

	/* Errors. */
	is_errno(mknod(at("null"), S_IFCHR | 0666, makedev(1, 3)), EEXIST, "EEXIST");
	is_errno(mknod(at("d"), S_IFDIR | 0755, 0), EPERM, "S_IFDIR: EPERM");
	is_errno(mknod(at("bad"), 0170000 | 0644, 0), EINVAL, "bad type: EINVAL");
	is_int(chmod(at("null"), 0600), 0, "chmod a device node");
	is_int(stat(at("null"), &st), 0, "stat");
	is_int(st.st_mode & 07777, 0600, "new mode");
	is_int(rename(at("null"), at("null2")), 0, "rename a device node");
	fd = open(at("null2"), O_WRONLY);
	is_int(write(fd, "x", 1), 1, "still null after the rename");
	close(fd);
	is_int(link(at("null2"), at("null3")), 0, "link a device node");
	is_int(stat(at("null3"), &st), 0, "stat the link");
	is_int(st.st_nlink, 2, "two links");

	/* Without CAP_MKNOD. */
	chmod(dir, 0777);
	pid_t c = fork();
	if (c == 0) {
		int f = 0;
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(100);
		if (mknod(at("u"), S_IFCHR | 0666, makedev(1, 3)) != -1 || errno != EPERM)
			f |= 1;
		if (mknod(at("ublk"), S_IFBLK | 0666, makedev(240, 0)) != -1 || errno != EPERM)
			f |= 2;
		if (mknod(at("ufifo"), S_IFIFO | 0666, 0) != 0)
			f |= 4; /* FIFOs need no privilege */
		if (mknod(at("zero"), S_IFCHR | 0666, makedev(1, 5)) != -1 || errno != EEXIST)
			f |= 16; /* the name is checked before the capability */
		if (mknod("/etc/sbx-no", S_IFCHR | 0666, makedev(1, 5)) != -1 || errno != EACCES)
			f |= 32; /* and so is write permission on the directory */
		int fd2 = open(at("zero"), O_RDONLY); /* 0644: others may read */
		if (fd2 < 0 || read(fd2, buf, 4) != 4)
			f |= 8;
		_exit(f);
	}
	int wst;
	waitpid(c, &wst, 0);
	is_int(WIFEXITED(wst) ? WEXITSTATUS(wst) : -1, 0,
		"unprivileged: devices EPERM, FIFOs fine (bitmask)");

	const char *names[] = { "null2", "null3", "zero", "full", "urandom",
				"unknown", "blk", "copy", "ufifo" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(at(names[i]));
	is_int(rmdir(dir), 0, "cleanup");
	return done_testing();
}
