// SPDX-License-Identifier: Apache-2.0
/* openat2(2)'s RESOLVE_* scoping: BENEATH, IN_ROOT, NO_SYMLINKS, NO_MAGICLINKS, NO_XDEV. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tap.h"

static int o2(int dfd, const char *path, unsigned long long flags, unsigned long long resolve)
{
	struct open_how how = { .flags = flags, .resolve = resolve };
	int fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));

	if (fd >= 0)
		close(fd);
	return fd >= 0 ? 0 : -1;
}

static void put(int dfd, const char *name, const char *data)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0) {
		if (write(fd, data, strlen(data)) < 0)
			perror("write");
		close(fd);
	}
}

int main(void)
{
	char dir[] = "/tmp/openat2.XXXXXX", path[128];
	int d, root;

	ok(mkdtemp(dir) != NULL, "mkdtemp");
	d = open(dir, O_RDONLY | O_DIRECTORY);
	ok(d >= 0, "open the directory");
	ok(mkdirat(d, "a", 0755) == 0, "mkdir a");
	put(d, "a/f", "f");
	ok(symlinkat("a/f", d, "rel") == 0, "a relative symlink");
	ok(symlinkat("/a/f", d, "abs") == 0, "an absolute symlink");
	ok(symlinkat("..", d, "up") == 0, "a symlink to ..");

	is_int(o2(d, "a/f", O_RDONLY, 0), 0, "no resolve flags");
	is_int(o2(d, "a/f", O_RDONLY, RESOLVE_BENEATH), 0, "BENEATH: below the start");
	is_int(o2(d, "a/../a/f", O_RDONLY, RESOLVE_BENEATH), 0, "BENEATH: .. that stays inside");
	is_int(o2(d, "rel", O_RDONLY, RESOLVE_BENEATH), 0, "BENEATH: a relative symlink inside");
	is_errno(o2(d, "../x", O_RDONLY, RESOLVE_BENEATH), EXDEV, "BENEATH: .. above the start");
	is_errno(o2(d, "up/x", O_RDONLY, RESOLVE_BENEATH), EXDEV, "BENEATH: a symlink to ..");
	is_errno(o2(d, "/etc/passwd", O_RDONLY, RESOLVE_BENEATH), EXDEV, "BENEATH: absolute path");
	is_errno(o2(d, "abs", O_RDONLY, RESOLVE_BENEATH), EXDEV, "BENEATH: absolute symlink");

	is_int(o2(d, "/a/f", O_RDONLY, RESOLVE_IN_ROOT), 0, "IN_ROOT: / is the start");
	is_int(o2(d, "../../../a/f", O_RDONLY, RESOLVE_IN_ROOT), 0, "IN_ROOT: .. stops at the start");
	is_int(o2(d, "abs", O_RDONLY, RESOLVE_IN_ROOT), 0, "IN_ROOT: absolute symlink inside");
	is_errno(o2(d, "/etc/passwd", O_RDONLY, RESOLVE_IN_ROOT), ENOENT,
		 "IN_ROOT: the real /etc is out of sight");

	is_errno(o2(d, "rel", O_RDONLY, RESOLVE_NO_SYMLINKS), ELOOP, "NO_SYMLINKS: final symlink");
	is_int(o2(d, "rel", O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS), 0,
	       "NO_SYMLINKS: O_PATH|O_NOFOLLOW of a symlink");
	ok(symlinkat("a", d, "dirlink") == 0, "a symlink to a directory");
	is_errno(o2(d, "dirlink/f", O_RDONLY, RESOLVE_NO_SYMLINKS), ELOOP,
		 "NO_SYMLINKS: symlink in the middle");

	snprintf(path, sizeof(path), "/proc/self/fd/%d/a/f", d);
	is_int(o2(AT_FDCWD, path, O_RDONLY, 0), 0, "a magic link followed");
	is_errno(o2(AT_FDCWD, path, O_RDONLY, RESOLVE_NO_MAGICLINKS), ELOOP,
		 "NO_MAGICLINKS: refused");
	is_int(o2(AT_FDCWD, "/proc/self/status", O_RDONLY, RESOLVE_NO_MAGICLINKS), 0,
	       "NO_MAGICLINKS: /proc/self is an ordinary symlink");

	root = open("/", O_RDONLY | O_DIRECTORY);
	is_int(o2(d, "a/f", O_RDONLY, RESOLVE_NO_XDEV), 0, "NO_XDEV: the same mount");
	is_errno(o2(root, "proc/self/status", O_RDONLY, RESOLVE_NO_XDEV), EXDEV,
		 "NO_XDEV: into /proc");
	close(root);

	is_errno(o2(d, "a/f", O_RDONLY, 1ULL << 40), EINVAL, "unknown resolve flag");
	is_errno(o2(d, "a/f", O_RDONLY, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL,
		 "BENEATH and IN_ROOT together");
	is_errno(o2(d, "new", O_RDWR | O_CREAT, RESOLVE_CACHED), EAGAIN, "CACHED with O_CREAT");

	unlinkat(d, "a/f", 0);
	unlinkat(d, "a", AT_REMOVEDIR);
	unlinkat(d, "rel", 0);
	unlinkat(d, "abs", 0);
	unlinkat(d, "up", 0);
	unlinkat(d, "dirlink", 0);
	close(d);
	ok(rmdir(dir) == 0, "clean up");
	return done_testing();
}
