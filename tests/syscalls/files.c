// SPDX-License-Identifier: Apache-2.0
/*
 * Files and directories: open/creat/openat/openat2, read/write/lseek at positions, O_APPEND,
 * truncate, stat/statx, getdents64, mkdir/rmdir/unlink/rename/link/symlink/readlink,
 * access, chmod/chown/utimensat, chdir/getcwd, umask, and Linux's errno for each misuse.
 * Works in a scratch directory it makes under /tmp (only its own entries are asserted on).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tap.h"

/* An address no test maps (volatile: keep the compiler from reasoning about it). */
static void *volatile bad_ptr = (void *)8;
#define BAD_PTR bad_ptr

static int put(const char *name, const char *s)
{
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* The file's contents as a string (static buffer), or "<errno>" on failure. */
static const char *get(const char *name)
{
	static char buf[256];
	int fd = open(name, O_RDONLY);
	if (fd < 0) {
		snprintf(buf, sizeof buf, "<%s>", strerror(errno));
		return buf;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static mode_t mode_of(const char *name, int follow)
{
	struct stat st;
	if ((follow ? stat(name, &st) : lstat(name, &st)) < 0)
		return 0;
	return st.st_mode;
}

static long nlink_of(const char *name)
{
	struct stat st;
	return stat(name, &st) < 0 ? -1 : (long)st.st_nlink;
}

/* Names in @dir (except . and ..), sorted and joined by spaces, read with @bufsz buffers. */
static const char *list(const char *dir, size_t bufsz, int *calls)
{
	static char out[1024];
	char names[32][64];
	int n = 0, dots = 0;
	char buf[4096];
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	out[0] = '\0';
	*calls = 0;
	if (fd < 0)
		return "<open failed>";
	for (;;) {
		long r = syscall(SYS_getdents64, fd, buf, bufsz);
		if (r <= 0)
			break;
		(*calls)++;
		for (long off = 0; off < r;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				dots++;
			else if (n < 32)
				snprintf(names[n++], sizeof names[0], "%.60s%s", d->d_name,
					 d->d_type == DT_DIR ? "/" : d->d_type == DT_LNK ? "@" : "");
			off += d->d_reclen;
		}
	}
	close(fd);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (strcmp(names[i], names[j]) > 0) {
				char tmp[64];
				memcpy(tmp, names[i], 64);
				memcpy(names[i], names[j], 64);
				memcpy(names[j], tmp, 64);
			}
	snprintf(out, sizeof out, "dots=%d", dots);
	for (int i = 0; i < n; i++) {
		strncat(out, " ", sizeof out - strlen(out) - 1);
		strncat(out, names[i], sizeof out - strlen(out) - 1);
	}
	return out;
}

static void test_rw(void)
{
	char buf[64];
	struct stat st;
	int fd = open("f", O_RDWR | O_CREAT | O_EXCL, 0644);

	ok(fd >= 0, "open O_CREAT|O_EXCL a new file");
	is_errno(open("f", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST, "O_EXCL on an existing file -> EEXIST");
	ok(fstat(fd, &st) == 0 && st.st_mode == (S_IFREG | 0644) && st.st_size == 0,
	   "fstat: regular, 0644, empty");
	is_int(write(fd, "hello world", 11), 11, "write 11 bytes");
	is_int(lseek(fd, 0, SEEK_CUR), 11, "position after write");
	is_int(lseek(fd, 0, SEEK_SET), 0, "lseek SEEK_SET 0");
	memset(buf, 0, sizeof buf);
	ok(read(fd, buf, 5) == 5 && !memcmp(buf, "hello", 5), "read 5 -> hello");
	ok(pread(fd, buf, 5, 6) == 5 && !memcmp(buf, "world", 5), "pread at 6 -> world");
	is_int(lseek(fd, 0, SEEK_CUR), 5, "pread leaves the position alone");
	is_int(pwrite(fd, "X", 1, 20), 1, "pwrite past the end");
	ok(fstat(fd, &st) == 0 && st.st_size == 21, "size grows to 21");
	ok(pread(fd, buf, 10, 11) == 10 && !memcmp(buf, "\0\0\0\0\0\0\0\0\0X", 10),
	   "the gap reads as zeros");
	is_int(pread(fd, buf, 10, 21), 0, "pread at EOF -> 0");
	is_int(lseek(fd, -1, SEEK_END), 20, "lseek SEEK_END -1");
	is_errno(lseek(fd, -100, SEEK_CUR), EINVAL, "lseek before 0 -> EINVAL");
	is_errno(lseek(fd, 0, 42), EINVAL, "lseek bad whence -> EINVAL");
	is_errno(pread(fd, buf, 1, -1), EINVAL, "pread negative offset -> EINVAL");

	struct iovec iov[2] = { { "ab", 2 }, { "cd", 2 } };
	is_int(lseek(fd, 0, SEEK_SET), 0, "rewind");
	is_int(writev(fd, iov, 2), 4, "writev 2+2");
	char a[3] = { 0 }, b[3] = { 0 };
	struct iovec riov[2] = { { a, 2 }, { b, 2 } };
	is_int(lseek(fd, 0, SEEK_SET), 0, "rewind again");
	ok(readv(fd, riov, 2) == 4 && !strcmp(a, "ab") && !strcmp(b, "cd"), "readv 2+2");
	is_errno(read(fd, BAD_PTR, 4), EFAULT, "read into a bad buffer -> EFAULT");
	is_int(fsync(fd), 0, "fsync");
	is_int(fdatasync(fd), 0, "fdatasync");
	is_errno(fsync(-1), EBADF, "fsync(-1) -> EBADF");
	close(fd);

	fd = open("f", O_WRONLY | O_APPEND);
	ok(fd >= 0, "open O_WRONLY|O_APPEND");
	is_int(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND), O_WRONLY | O_APPEND, "F_GETFL shows O_WRONLY|O_APPEND");
	lseek(fd, 0, SEEK_SET);
	is_int(write(fd, "!", 1), 1, "append write");
	ok(fstat(fd, &st) == 0 && st.st_size == 22, "O_APPEND wrote at the end");
	is_errno(read(fd, buf, 1), EBADF, "read on a write-only fd -> EBADF");
	close(fd);
	fd = open("f", O_RDONLY);
	is_errno(write(fd, "x", 1), EBADF, "write on a read-only fd -> EBADF");
	is_errno(ftruncate(fd, 0), EINVAL, "ftruncate on a read-only fd -> EINVAL");
	close(fd);

	fd = open("f", O_RDWR);
	is_int(ftruncate(fd, 10000), 0, "ftruncate up to 10000");
	ok(pread(fd, buf, 1, 9999) == 1 && buf[0] == 0, "the last byte is zero");
	is_int(ftruncate(fd, 3), 0, "ftruncate down to 3");
	is_int(ftruncate(fd, 8), 0, "and up to 8 again");
	ok(pread(fd, buf, 8, 0) == 8 && !memcmp(buf, "abc\0\0\0\0\0", 8), "old bytes past 3 are gone");
	is_errno(ftruncate(fd, -1), EINVAL, "ftruncate(-1) -> EINVAL");
	close(fd);
	is_int(truncate("f", 2), 0, "truncate by path");
	is_int(strlen(get("f")), 2, "now 2 bytes");
	is_errno(truncate(".", 0), EISDIR, "truncate a directory -> EISDIR");
	is_errno(truncate("nope", 0), ENOENT, "truncate a missing file -> ENOENT");
	fd = open("f", O_RDWR | O_TRUNC);
	ok(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0, "O_TRUNC empties it");
	close(fd);
	fd = creat("c", 0600);
	ok(fd >= 0 && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY, "creat opens write-only");
	close(fd);
	ok(mode_of("c", 1) == (S_IFREG | 0600), "creat's mode");
	fd = open("f", O_PATH);
	ok(fd >= 0, "open O_PATH");
	is_errno(read(fd, buf, 1), EBADF, "read on O_PATH -> EBADF");
	ok(fstat(fd, &st) == 0 && S_ISREG(st.st_mode), "fstat on O_PATH works");
	close(fd);
}

static void test_open_errors(void)
{
	char longname[300], longpath[5000];

	is_errno(open("missing", O_RDONLY), ENOENT, "open a missing file -> ENOENT");
	is_errno(open("missing/x", O_RDONLY | O_CREAT, 0644), ENOENT, "create under a missing dir -> ENOENT");
	is_errno(open("f/", O_RDONLY), ENOTDIR, "file with a trailing slash -> ENOTDIR");
	is_errno(open("f/x", O_RDONLY), ENOTDIR, "a file as a directory -> ENOTDIR");
	is_errno(open("new/", O_RDWR | O_CREAT, 0644), EISDIR, "O_CREAT with a trailing slash -> EISDIR");
	is_errno(open(".", O_RDWR), EISDIR, "open a directory for writing -> EISDIR");
	is_errno(open(".", O_RDONLY | O_CREAT, 0644), EISDIR, "O_CREAT on . -> EISDIR");
	is_errno(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR, "O_DIRECTORY on a file -> ENOTDIR");
	is_errno(open("", O_RDONLY), ENOENT, "open(\"\") -> ENOENT");
	is_errno(open(BAD_PTR, O_RDONLY), EFAULT, "open(bad pointer) -> EFAULT");
	memset(longname, 'a', 256);
	longname[256] = '\0';
	is_errno(open(longname, O_RDONLY | O_CREAT, 0644), ENAMETOOLONG, "a 256-byte name -> ENAMETOOLONG");
	longname[255] = '\0';
	is_errno(open(longname, O_RDONLY), ENOENT, "a 255-byte name is fine (ENOENT)");
	for (int i = 0; i < 4999; i++)
		longpath[i] = (i % 2) ? '/' : '.';
	longpath[4999] = '\0';
	is_errno(open(longpath, O_RDONLY), ENAMETOOLONG, "a 5000-byte path -> ENAMETOOLONG");
	longpath[4094] = '\0';
	ok(open(longpath, O_RDONLY) >= 0, "a 4094-byte path of ./ works");
	is_errno(stat("f", BAD_PTR), EFAULT, "stat into a bad buffer -> EFAULT");
	is_errno(syscall(SYS_openat, 9999, "f", O_RDONLY), EBADF, "openat(bad dirfd) -> EBADF");
}

static void test_dirs(void)
{
	int calls;

	is_int(mkdir("d", 0755), 0, "mkdir d");
	is_errno(mkdir("d", 0755), EEXIST, "mkdir again -> EEXIST");
	is_errno(mkdir(".", 0755), EEXIST, "mkdir . -> EEXIST");
	is_errno(mkdir("f/x", 0755), ENOTDIR, "mkdir under a file -> ENOTDIR");
	is_int(mkdir("d/sub/", 0700), 0, "mkdir with a trailing slash");
	ok(mode_of("d", 1) == (S_IFDIR | 0755), "stat d: directory 0755");
	is_int(nlink_of("d"), 3, "d has 3 links (., its name, sub/..)");
	is_errno(rmdir("d"), ENOTEMPTY, "rmdir non-empty -> ENOTEMPTY");
	is_errno(rmdir("d/."), EINVAL, "rmdir d/. -> EINVAL");
	is_errno(rmdir("d/sub/.."), ENOTEMPTY, "rmdir d/sub/.. -> ENOTEMPTY");
	is_errno(unlink("d"), EISDIR, "unlink a directory -> EISDIR");
	is_errno(rmdir("f"), ENOTDIR, "rmdir a file -> ENOTDIR");
	is_errno(rmdir("missing"), ENOENT, "rmdir missing -> ENOENT");
	is_errno(unlink("f/"), ENOTDIR, "unlink file/ -> ENOTDIR");
	is_errno(unlink("."), EISDIR, "unlink . -> EISDIR");
	is_int(rmdir("d/sub"), 0, "rmdir d/sub");
	is_int(nlink_of("d"), 2, "d back to 2 links");

	put("d/a", "A");
	put("d/b", "B");
	put("d/c", "C");
	mkdir("d/e", 0755);
	unlink("d/b");
	is_int(strcmp(list("d", 4096, &calls), "dots=2 a c e/"), 0, "getdents64 lists . .. a c e/");
	is_int(strcmp(list("d", 48, &calls), "dots=2 a c e/"), 0, "same with a 48-byte buffer");
	ok(calls >= 3, "small buffers need several calls");
	int fd = open("d", O_RDONLY | O_DIRECTORY);
	char small[8];
	is_errno(syscall(SYS_getdents64, fd, small, sizeof small), EINVAL, "getdents64 buffer too small -> EINVAL");
	close(fd);
	fd = open("f", O_RDONLY);
	char big[256];
	is_errno(syscall(SYS_getdents64, fd, big, sizeof big), ENOTDIR, "getdents64 on a file -> ENOTDIR");
	close(fd);
	is_errno(syscall(SYS_getdents64, 9999, big, sizeof big), EBADF, "getdents64 bad fd -> EBADF");

	/* Rewinding a directory lists it again. */
	char dbuf[4096];
	fd = open("d", O_RDONLY | O_DIRECTORY);
	long first = syscall(SYS_getdents64, fd, dbuf, sizeof dbuf);
	ok(first > 0, "getdents64 reads entries");
	is_int(syscall(SYS_getdents64, fd, dbuf, sizeof dbuf), 0, "then 0 at the end");
	is_int(lseek(fd, 0, SEEK_SET), 0, "lseek a directory to 0");
	is_int(syscall(SYS_getdents64, fd, dbuf, sizeof dbuf), first, "the same listing again");
	close(fd);

	/* A removed directory still open lists nothing (ENOENT). */
	mkdir("dz", 0755);
	fd = open("dz", O_RDONLY | O_DIRECTORY);
	rmdir("dz");
	is_errno(syscall(SYS_getdents64, fd, dbuf, sizeof dbuf), ENOENT, "getdents64 on a removed dir -> ENOENT");
	close(fd);
	is_errno(open("dz2", O_RDWR | O_CREAT | O_DIRECTORY, 0644), EINVAL, "O_CREAT|O_DIRECTORY -> EINVAL");
}

static void test_links(void)
{
	char buf[64];
	struct stat st;

	put("t", "target");
	is_int(symlink("t", "l"), 0, "symlink l -> t");
	is_errno(symlink("t", "l"), EEXIST, "symlink over an existing name -> EEXIST");
	is_errno(symlink("", "l2"), ENOENT, "symlink with an empty target -> ENOENT");
	ok(S_ISLNK(mode_of("l", 0)), "lstat sees a symlink");
	ok(S_ISREG(mode_of("l", 1)), "stat follows it");
	is_int(strcmp(get("l"), "target"), 0, "open follows it");
	memset(buf, 0, sizeof buf);
	is_int(readlink("l", buf, sizeof buf), 1, "readlink length");
	is_int(strcmp(buf, "t"), 0, "readlink body");
	is_errno(readlink("t", buf, sizeof buf), EINVAL, "readlink on a file -> EINVAL");
	is_errno(readlink("l", buf, 0), EINVAL, "readlink with size 0 -> EINVAL");
	symlink("a-longer-target", "l3");
	memset(buf, 0, sizeof buf);
	ok(readlink("l3", buf, 4) == 4 && !memcmp(buf, "a-lo", 4) && !buf[4], "readlink truncates, no NUL");
	is_errno(open("l", O_RDONLY | O_NOFOLLOW), ELOOP, "O_NOFOLLOW on a symlink -> ELOOP");
	is_errno(open("l", O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST, "O_CREAT|O_EXCL on a symlink -> EEXIST");
	symlink("loop2", "loop1");
	symlink("loop1", "loop2");
	is_errno(open("loop1", O_RDONLY), ELOOP, "a symlink loop -> ELOOP");
	is_errno(stat("loop1/x", &st), ELOOP, "a loop mid-path -> ELOOP");
	symlink("nowhere", "dangling");
	is_errno(open("dangling", O_RDONLY), ENOENT, "a dangling symlink -> ENOENT");
	int fd = open("dangling", O_WRONLY | O_CREAT, 0644);
	ok(fd >= 0, "O_CREAT through a dangling symlink creates the target");
	close(fd);
	ok(S_ISREG(mode_of("nowhere", 0)), "the target now exists");
	mkdir("dir", 0755);
	symlink("dir", "dl");
	ok(S_ISDIR(mode_of("dl/", 0)), "lstat(dl/) follows to the directory");
	is_errno(unlink("dl/"), ENOTDIR, "unlink(symlink/) -> ENOTDIR");
	is_errno(rmdir("dl"), ENOTDIR, "rmdir(symlink) -> ENOTDIR");
	is_int(put("dl/inside", "in"), 0, "create through a directory symlink");
	is_int(strcmp(get("dir/inside"), "in"), 0, "it lands in the directory");
	symlink("../t", "dir/up");
	is_int(strcmp(get("dir/up"), "target"), 0, "relative symlink with ..");

	is_int(link("t", "h"), 0, "link h -> t");
	is_int(nlink_of("t"), 2, "2 links");
	is_errno(link("t", "h"), EEXIST, "link over an existing name -> EEXIST");
	is_errno(link("dir", "dir2"), EPERM, "link a directory -> EPERM");
	is_errno(link("missing", "m2"), ENOENT, "link a missing file -> ENOENT");
	is_int(unlink("t"), 0, "unlink t");
	is_int(strcmp(get("h"), "target"), 0, "h still has the data");
	is_int(nlink_of("h"), 1, "1 link left");
	is_int(strcmp(get("l"), "<No such file or directory>"), 0, "l now dangles");
	is_int(syscall(SYS_linkat, AT_FDCWD, "l", AT_FDCWD, "l_hard", 0), 0, "linkat without FOLLOW links the symlink");
	ok(S_ISLNK(mode_of("l_hard", 0)), "the new name is a symlink");
	is_errno(syscall(SYS_linkat, AT_FDCWD, "h", AT_FDCWD, "h3", 0x1000000), EINVAL, "linkat bad flags -> EINVAL");

	fd = open("h", O_RDONLY);
	unlink("h");
	ok(fstat(fd, &st) == 0 && st.st_nlink == 0, "an unlinked open file has 0 links");
	memset(buf, 0, sizeof buf);
	ok(read(fd, buf, sizeof buf) == 6 && !strcmp(buf, "target"), "and is still readable");
	close(fd);
}

static void test_rename(void)
{
	put("r1", "one");
	put("r2", "two");
	is_int(rename("r1", "r3"), 0, "rename r1 -> r3");
	is_errno(stat("r1", &(struct stat){ 0 }), ENOENT, "r1 is gone");
	is_int(strcmp(get("r3"), "one"), 0, "r3 has the data");
	is_int(rename("r3", "r2"), 0, "rename over an existing file");
	is_int(strcmp(get("r2"), "one"), 0, "r2 replaced");
	is_int(rename("r2", "r2"), 0, "rename to itself");
	is_errno(rename("missing", "x"), ENOENT, "rename a missing file -> ENOENT");
	mkdir("rd1", 0755);
	mkdir("rd2", 0755);
	put("rd2/x", "x");
	is_errno(rename("rd1", "rd2"), ENOTEMPTY, "dir over a non-empty dir -> ENOTEMPTY");
	is_errno(rename("rd1", "r2"), ENOTDIR, "dir over a file -> ENOTDIR");
	is_errno(rename("r2", "rd1"), EISDIR, "file over a dir -> EISDIR");
	is_errno(rename("rd2", "rd2/sub"), EINVAL, "dir into itself -> EINVAL");
	is_errno(rename("r2/", "r9"), ENOTDIR, "file with a trailing slash -> ENOTDIR");
	is_int(unlink("rd2/x"), 0, "empty rd2");
	is_int(rename("rd1", "rd2"), 0, "dir over an empty dir");
	ok(S_ISDIR(mode_of("rd2", 1)) && !mode_of("rd1", 1), "rd1 is now rd2");
	mkdir("rd3", 0755);
	is_int(rename("rd2", "rd3/in"), 0, "move a dir into another");
	is_int(nlink_of("rd3"), 3, "the new parent gains a link");
	is_int(rename("rd3/", "rd4/"), 0, "rename dirs with trailing slashes");
	is_int(rename("rd4", "rd3"), 0, "and back");
	put("x1", "X1");
	put("x2", "X2");
	is_errno(syscall(SYS_renameat2, AT_FDCWD, "x1", AT_FDCWD, "x2", 1 /* NOREPLACE */), EEXIST,
		 "RENAME_NOREPLACE over a file -> EEXIST");
	is_int(syscall(SYS_renameat2, AT_FDCWD, "x1", AT_FDCWD, "x2", 2 /* EXCHANGE */), 0, "RENAME_EXCHANGE");
	ok(!strcmp(get("x1"), "X2") && !strcmp(get("x2"), "X1") ? 1 : 0, "contents swapped");
	is_errno(syscall(SYS_renameat2, AT_FDCWD, "x1", AT_FDCWD, "x9", 2), ENOENT, "EXCHANGE with a missing target -> ENOENT");
	is_errno(syscall(SYS_renameat2, AT_FDCWD, "x1", AT_FDCWD, "x2", 3), EINVAL, "NOREPLACE|EXCHANGE -> EINVAL");
}

static void test_attrs(void)
{
	struct stat st;

	put("m", "m");
	is_int(chmod("m", 0600), 0, "chmod 0600");
	ok(mode_of("m", 1) == (S_IFREG | 0600), "mode is 0600");
	int fd = open("m", O_RDONLY);
	is_int(fchmod(fd, 04755), 0, "fchmod 4755");
	ok(mode_of("m", 1) == (S_IFREG | 04755), "mode is 4755");
	is_int(fchown(fd, -1, -1), 0, "fchown(-1, -1)");
	ok(mode_of("m", 1) == (S_IFREG | 0755), "chown drops setuid");
	close(fd);
	is_errno(chmod("missing", 0600), ENOENT, "chmod missing -> ENOENT");
	if (getuid() == 0) {
		is_int(chown("m", 1234, 5678), 0, "root chowns to 1234:5678");
		ok(stat("m", &st) == 0 && st.st_uid == 1234 && st.st_gid == 5678, "owner changed");
	} else {
		is_errno(chown("m", 1234, -1), EPERM, "non-root chown away -> EPERM");
		ok(1, "owner unchanged");
	}
	symlink("m", "ml");
	is_int(lchown("ml", -1, -1), 0, "lchown on a symlink");

	is_int(access("m", F_OK), 0, "access F_OK");
	is_int(access("m", R_OK | W_OK | X_OK), 0, "access rwx on 0755");
	chmod("m", 0644);
	if (getuid() == 0)
		is_errno(access("m", X_OK), EACCES, "even root needs an x bit to execute");
	else
		is_errno(access("m", X_OK), EACCES, "no x bit -> EACCES");
	is_errno(access("missing", F_OK), ENOENT, "access missing -> ENOENT");
	is_errno(access("m", 8), EINVAL, "access bad mode -> EINVAL");
	is_errno(syscall(SYS_faccessat2, AT_FDCWD, "m", R_OK, 0x1), EINVAL, "faccessat2 bad flags -> EINVAL");

	struct timespec ts[2] = { { 1000000000, 5 }, { 1100000000, 7 } };
	is_int(utimensat(AT_FDCWD, "m", ts, 0), 0, "utimensat explicit times");
	ok(stat("m", &st) == 0 && st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 5 &&
		   st.st_mtim.tv_sec == 1100000000 && st.st_mtim.tv_nsec == 7,
	   "atime and mtime set");
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
	is_int(utimensat(AT_FDCWD, "m", omit, 0), 0, "UTIME_OMIT atime, UTIME_NOW mtime");
	ok(stat("m", &st) == 0 && st.st_atim.tv_sec == 1000000000 && st.st_mtim.tv_sec > 1100000000,
	   "atime kept, mtime now");
	struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	is_errno(utimensat(AT_FDCWD, "m", bad, 0), EINVAL, "bad tv_nsec -> EINVAL");
	is_errno(utimensat(AT_FDCWD, "missing", NULL, 0), ENOENT, "utimensat missing -> ENOENT");

	struct statx sx;
	is_int(statx(AT_FDCWD, "m", 0, STATX_BASIC_STATS, &sx), 0, "statx");
	ok((sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS && sx.stx_mode == (S_IFREG | 0644) &&
		   sx.stx_size == 1,
	   "statx mode and size");

	mode_t old = umask(077);
	int cfd = open("u", O_CREAT | O_WRONLY, 0666);
	close(cfd);
	mkdir("ud", 0777);
	umask(old);
	ok(mode_of("u", 1) == (S_IFREG | 0600), "umask 077 applied to a new file");
	ok(mode_of("ud", 1) == (S_IFDIR | 0700), "and to a new directory");
}

static void test_at_and_cwd(const char *scratch)
{
	char cwd[4096], want[4096];
	struct stat st, st2;

	int dfd = open("dir", O_RDONLY | O_DIRECTORY);
	ok(dfd >= 0, "open a dirfd");
	int fd = openat(dfd, "at_file", O_CREAT | O_RDWR, 0644);
	ok(fd >= 0, "openat relative to the dirfd");
	ok(fstatat(dfd, "at_file", &st, 0) == 0 && S_ISREG(st.st_mode), "fstatat through the dirfd");
	ok(stat("dir/at_file", &st2) == 0 && st.st_ino == st2.st_ino, "same file by path");
	ok(fstatat(fd, "", &st2, AT_EMPTY_PATH) == 0 && st.st_ino == st2.st_ino, "AT_EMPTY_PATH");
	is_errno(fstatat(fd, "", &st2, 0), ENOENT, "empty path without AT_EMPTY_PATH -> ENOENT");
	is_errno(openat(fd, "x", O_RDONLY), ENOTDIR, "openat relative to a file -> ENOTDIR");
	ok(openat(9999, "/", O_RDONLY) >= 0, "an absolute path ignores a bad dirfd");
	is_errno(fstatat(AT_FDCWD, "f", &st, 0x4000000), EINVAL, "fstatat bad flags -> EINVAL");
	is_int(mkdirat(dfd, "sub", 0755), 0, "mkdirat");
	is_int(symlinkat("sub", dfd, "sl"), 0, "symlinkat");
	char buf[16] = { 0 };
	is_int(readlinkat(dfd, "sl", buf, sizeof buf), 3, "readlinkat");
	is_int(renameat(dfd, "sub", dfd, "sub2"), 0, "renameat");
	is_int(unlinkat(dfd, "sub2", AT_REMOVEDIR), 0, "unlinkat AT_REMOVEDIR");
	is_errno(unlinkat(dfd, "sl", AT_REMOVEDIR), ENOTDIR, "unlinkat AT_REMOVEDIR on a symlink -> ENOTDIR");
	is_int(unlinkat(dfd, "sl", 0), 0, "unlinkat a symlink");
	is_errno(unlinkat(dfd, "at_file", 0x1), EINVAL, "unlinkat bad flags -> EINVAL");
	is_int(fchmodat(dfd, "at_file", 0640, 0), 0, "fchmodat");
	is_int(faccessat(dfd, "at_file", R_OK, 0), 0, "faccessat");
	is_int(fchownat(dfd, "at_file", -1, -1, 0), 0, "fchownat");
	struct open_how how = { .flags = O_RDONLY };
	int fd2 = syscall(SYS_openat2, dfd, "at_file", &how, sizeof how);
	ok(fd2 >= 0, "openat2");
	close(fd2);
	is_errno(syscall(SYS_openat2, dfd, "at_file", &how, 8), EINVAL, "openat2 short how -> EINVAL");
	how.mode = 0644;
	is_errno(syscall(SYS_openat2, dfd, "at_file", &how, sizeof how), EINVAL, "openat2 mode without O_CREAT -> EINVAL");
	close(fd);

	is_int(chdir("dir"), 0, "chdir dir");
	snprintf(want, sizeof want, "%s/dir", scratch);
	ok(getcwd(cwd, sizeof cwd) && !strcmp(cwd, want), "getcwd follows");
	is_int(chdir(".."), 0, "chdir ..");
	ok(getcwd(cwd, sizeof cwd) && !strcmp(cwd, scratch), "back in the scratch dir");
	is_errno(chdir("f"), ENOTDIR, "chdir to a file -> ENOTDIR");
	is_errno(chdir("missing"), ENOENT, "chdir missing -> ENOENT");
	is_int(fchdir(dfd), 0, "fchdir");
	ok(getcwd(cwd, sizeof cwd) && !strcmp(cwd, want), "getcwd after fchdir");
	fd = open("at_file", O_RDONLY);
	is_errno(fchdir(fd), ENOTDIR, "fchdir to a file -> ENOTDIR");
	close(fd);
	is_int(chdir("/"), 0, "chdir /");
	ok(getcwd(cwd, sizeof cwd) && !strcmp(cwd, "/"), "getcwd is /");
	ok(stat("/..", &st) == 0 && stat("/", &st2) == 0 && st.st_ino == st2.st_ino, "/.. is /");
	is_errno(syscall(SYS_getcwd, cwd, 1), ERANGE, "getcwd small buffer -> ERANGE");
	chdir(scratch);
	mkdir("gone", 0755);
	chdir("gone");
	rmdir(want); /* not empty: fails, fine */
	char gone[4096];
	snprintf(gone, sizeof gone, "%s/gone", scratch);
	rmdir(gone);
	is_errno(syscall(SYS_getcwd, cwd, sizeof cwd), ENOENT, "getcwd in a removed dir -> ENOENT");
	is_errno(open("x", O_CREAT | O_RDWR, 0644), ENOENT, "creating in a removed dir -> ENOENT");
	chdir(scratch);
	close(dfd);
}

/* rm -r of the scratch dir (depth-first, by getdents). */
static void rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		char buf[4096], child[4096];
		int fd = open(path, O_RDONLY | O_DIRECTORY);
		long n;
		while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
			for (long off = 0; off < n;) {
				struct dirent64 *d = (struct dirent64 *)(buf + off);
				off += d->d_reclen;
				if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
					continue;
				snprintf(child, sizeof child, "%s/%s", path, d->d_name);
				rm_rf(child);
			}
		}
		close(fd);
		rmdir(path);
	} else {
		unlink(path);
	}
}

int main(void)
{
	char scratch[] = "/tmp/files.XXXXXX";

	umask(022);
	ok(mkdtemp(scratch) != NULL, "mkdtemp under /tmp");
	is_int(chdir(scratch), 0, "chdir into it");
	test_rw();
	test_open_errors();
	test_dirs();
	test_links();
	test_rename();
	test_attrs();
	test_at_and_cwd(scratch);
	rm_rf(scratch);
	is_errno(access(scratch, F_OK), ENOENT, "scratch dir removed");
	return done_testing();
}
