/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Extended attributes on the test's own files under /tmp (tmpfs sandboxed, the host's /tmp
 * natively): namespaces, limits, flags, list sizes, symlinks and FIFOs, fds, and what an
 * unprivileged user may do. Values stay small (ext4 keeps them in one block) and listings
 * are sorted (filesystems list in different orders).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "tap.h"

static char dir[64];

static void path(char *buf, const char *name)
{
	snprintf(buf, 128, "%s/%s", dir, name);
}

/* The NUL-separated list of @p sorted into one comma-separated string. */
static const char *sorted_list(const char *p)
{
	static char out[1024];
	char buf[1024], *names[32];
	ssize_t n = listxattr(p, buf, sizeof(buf));
	int cnt = 0;

	out[0] = 0;
	if (n < 0)
		return "error";
	for (ssize_t i = 0; i < n && cnt < 32; i += (ssize_t)strlen(buf + i) + 1)
		names[cnt++] = buf + i;
	for (int i = 0; i < cnt; i++)
		for (int j = i + 1; j < cnt; j++)
			if (strcmp(names[i], names[j]) > 0) {
				char *t = names[i];
				names[i] = names[j];
				names[j] = t;
			}
	for (int i = 0; i < cnt; i++) {
		strcat(out, names[i]);
		if (i + 1 < cnt)
			strcat(out, ",");
	}
	return out;
}

/* Run @fn as uid/gid 65534 in a child; its results come back through a pipe. */
static void as_nobody(void (*fn)(int *res), int *res, int n)
{
	int p[2];
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		int r[16] = { 0 };
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(1);
		fn(r);
		write(p[1], r, sizeof(r));
		_exit(0);
	}
	close(p[1]);
	int r[16];
	memset(r, 0x7f, sizeof(r));
	read(p[0], r, sizeof(r));
	close(p[0]);
	waitpid(c, NULL, 0);
	memcpy(res, r, (size_t)n * sizeof(int));
}

#define ERR(expr) ((expr) < 0 ? errno : 0)

static char f_path[128], d_path[128];

static void nobody_checks(int *r)
{
	char buf[64];
	r[0] = ERR(setxattr(f_path, "user.n", "x", 1, 0));          /* no write permission */
	r[1] = getxattr(f_path, "user.a", buf, sizeof(buf)) == 6 ? 0 : -1; /* readable */
	r[2] = ERR(getxattr(f_path, "trusted.t", buf, sizeof(buf))); /* hidden */
	r[3] = ERR(setxattr(f_path, "trusted.t", "x", 1, 0));
	r[4] = ERR(setxattr(f_path, "security.s", "x", 1, 0));
	r[5] = strcmp(sorted_list(f_path),
		"security.s,user.a,user.empty") == 0 ? 0 : 1; /* no trusted.* */
	r[6] = ERR(setxattr(d_path, "user.n", "x", 1, 0));           /* sticky dir, not owner */
}

int main(void)
{
	char buf[256], p[128], big[300];
	int fd;

	umask(0);
	strcpy(dir, "/tmp/sbx-xattr-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	chmod(dir, 0755);
	path(f_path, "f");
	fd = open(f_path, O_CREAT | O_RDWR, 0644);
	close(fd);

	/* set, get, sizes */
	is_int(setxattr(f_path, "user.a", "hello", 5, 0), 0, "setxattr user.a");
	is_int(getxattr(f_path, "user.a", NULL, 0), 5, "getxattr size 0 gives the length");
	memset(buf, 0, sizeof(buf));
	is_int(getxattr(f_path, "user.a", buf, sizeof(buf)), 5, "getxattr");
	ok(!memcmp(buf, "hello", 5), "value");
	is_errno(getxattr(f_path, "user.a", buf, 3), ERANGE, "buffer too small: ERANGE");
	is_errno(getxattr(f_path, "user.none", buf, sizeof(buf)), ENODATA, "missing: ENODATA");
	is_int(setxattr(f_path, "user.empty", "", 0, 0), 0, "empty value");
	is_int(getxattr(f_path, "user.empty", buf, sizeof(buf)), 0, "empty value reads 0 bytes");

	/* flags */
	is_errno(setxattr(f_path, "user.a", "x", 1, XATTR_CREATE), EEXIST,
		"XATTR_CREATE on existing");
	is_errno(setxattr(f_path, "user.b", "x", 1, XATTR_REPLACE), ENODATA,
		"XATTR_REPLACE on missing");
	is_int(setxattr(f_path, "user.a", "world!", 6, XATTR_REPLACE), 0, "XATTR_REPLACE");
	is_int(getxattr(f_path, "user.a", buf, sizeof(buf)), 6, "replaced value length");
	is_int(setxattr(f_path, "user.b", "bb", 2, XATTR_CREATE), 0, "XATTR_CREATE new");
	is_errno(setxattr(f_path, "user.c", "x", 1, 4), EINVAL, "bad flags: EINVAL");

	/* names and limits */
	is_errno(setxattr(f_path, "", "x", 1, 0), ERANGE, "empty name: ERANGE");
	memset(big, 'n', 299);
	big[299] = 0;
	memcpy(big, "user.", 5);
	is_errno(setxattr(f_path, big, "x", 1, 0), ERANGE, "name over 255: ERANGE");
	is_errno(getxattr(f_path, big, buf, sizeof(buf)), ERANGE, "get: name over 255: ERANGE");
	big[255] = 0;
	is_int(setxattr(f_path, big, "x", 1, 0), 0, "name of 255 bytes");
	is_int(removexattr(f_path, big), 0, "remove it");
	is_errno(setxattr(f_path, "user.", "x", 1, 0), EINVAL, "user. without a name: EINVAL");
	is_errno(setxattr(f_path, "foo.bar", "x", 1, 0), EOPNOTSUPP,
		"unknown namespace: EOPNOTSUPP");
	is_errno(getxattr(f_path, "foo.bar", buf, sizeof(buf)), EOPNOTSUPP,
		"get unknown namespace");
	char *huge = calloc(1, 65537);
	is_errno(setxattr(f_path, "user.huge", huge, 65537, 0), E2BIG, "value over 64 KiB: E2BIG");
	is_int(getxattr(f_path, "user.a", huge, 65537), 6, "a buffer over 64 KiB is fine");
	free(huge);

	/* trusted and security as root */
	is_int(setxattr(f_path, "trusted.t", "T", 1, 0), 0, "trusted.* as root");
	is_int(setxattr(f_path, "security.s", "S", 1, 0), 0, "security.* as root");
	is_int(getxattr(f_path, "trusted.t", buf, sizeof(buf)), 1, "get trusted.*");

	/* list */
	ok(!strcmp(sorted_list(f_path), "security.s,trusted.t,user.a,user.b,user.empty"),
	   "listxattr: %s", sorted_list(f_path));
	ssize_t total = listxattr(f_path, NULL, 0);
	is_int(total, (ssize_t)strlen("user.a user.empty user.b trusted.t security.s "),
	       "listxattr size 0 gives the total");
	is_errno(listxattr(f_path, buf, (size_t)total - 1), ERANGE, "list buffer too small");
	is_int(listxattr(f_path, buf, (size_t)total), total, "list buffer exact");

	/* remove */
	is_int(removexattr(f_path, "user.b"), 0, "removexattr");
	is_errno(removexattr(f_path, "user.b"), ENODATA, "remove again: ENODATA");
	is_errno(getxattr(f_path, "user.b", buf, sizeof(buf)), ENODATA, "gone");
	is_errno(removexattr(f_path, "foo.x"), EOPNOTSUPP, "remove unknown namespace");

	/* fds */
	fd = open(f_path, O_RDONLY);
	is_int(fsetxattr(fd, "user.fd", "1", 1, 0), 0, "fsetxattr on a read-only fd");
	is_int(fgetxattr(fd, "user.fd", buf, sizeof(buf)), 1, "fgetxattr");
	is_int(flistxattr(fd, NULL, 0),
	       total - (ssize_t)strlen("user.b ") + (ssize_t)strlen("user.fd "),
	       "flistxattr size");
	is_int(fremovexattr(fd, "user.fd"), 0, "fremovexattr");
	close(fd);
	fd = open(f_path, O_PATH);
	is_errno(fgetxattr(fd, "user.a", buf, sizeof(buf)), EBADF, "fgetxattr on O_PATH: EBADF");
	is_errno(fsetxattr(fd, "user.a", "x", 1, 0), EBADF, "fsetxattr on O_PATH: EBADF");
	close(fd);
	is_errno(fgetxattr(-1, "user.a", buf, sizeof(buf)), EBADF, "bad fd");
	is_errno(getxattr("/tmp/sbx-no-such-file", "user.a", buf, sizeof(buf)), ENOENT, "ENOENT");
	is_errno(syscall(SYS_getxattr, f_path, (void *)8, buf, sizeof(buf)), EFAULT,
		"bad name: EFAULT");

	/* directories, symlinks and FIFOs */
	path(d_path, "d");
	mkdir(d_path, 01777);
	chmod(d_path, 01777);
	is_int(setxattr(d_path, "user.dir", "d", 1, 0), 0, "user.* on a directory");
	is_int(getxattr(d_path, "user.dir", buf, sizeof(buf)), 1, "get from a directory");
	path(p, "l");
	symlink("f", p);
	is_errno(lsetxattr(p, "user.l", "x", 1, 0), EPERM, "user.* on a symlink: EPERM");
	is_errno(lgetxattr(p, "user.l", buf, sizeof(buf)), ENODATA,
		"lgetxattr user.* on a symlink");
	is_int(getxattr(p, "user.a", buf, sizeof(buf)), 6, "getxattr follows the symlink");
	is_int(llistxattr(p, buf, sizeof(buf)), 0, "llistxattr of the link: empty");
	is_int(lsetxattr(p, "trusted.l", "x", 1, 0), 0, "trusted.* on a symlink");
	is_int(lgetxattr(p, "trusted.l", buf, sizeof(buf)), 1, "lgetxattr trusted.*");
	is_errno(lremovexattr(p, "user.a"), EPERM, "lremovexattr user.* on a symlink: EPERM");
	path(p, "fifo");
	mkfifo(p, 0644);
	is_errno(setxattr(p, "user.x", "x", 1, 0), EPERM, "user.* on a FIFO: EPERM");
	is_errno(getxattr(p, "user.x", buf, sizeof(buf)), ENODATA, "get user.* of a FIFO: ENODATA");

	/* an unprivileged user */
	int res[7];
	as_nobody(nobody_checks, res, 7);
	is_int(res[0], EACCES, "nobody: set user.* without write permission: EACCES");
	is_int(res[1], 0, "nobody: get user.* with read permission");
	is_int(res[2], ENODATA, "nobody: get trusted.*: ENODATA");
	is_int(res[3], EPERM, "nobody: set trusted.*: EPERM");
	is_int(res[4], EPERM, "nobody: set security.*: EPERM");
	is_int(res[5], 0, "nobody: trusted.* not listed");
	is_int(res[6], EPERM, "nobody: user.* on a sticky directory it does not own: EPERM");

	/* cleanup */
	path(p, "l");
	unlink(p);
	path(p, "fifo");
	unlink(p);
	rmdir(d_path);
	unlink(f_path);
	rmdir(dir);
	return done_testing();
}
