/* SPDX-License-Identifier: Apache-2.0 */
/* O_TMPFILE in a directory of the test's own under /tmp: unnamed files, linkat, errors. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
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

static int count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

int main(void)
{
	struct stat st;
	char buf[64];
	int fd, fd2;

	umask(022);
	strcpy(dir, "/tmp/sbx-tmpfile-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	chmod(dir, 0755);

	fd = open(dir, O_TMPFILE | O_RDWR, 0666);
	ok(fd >= 0, "O_TMPFILE|O_RDWR");
	is_int(fstat(fd, &st), 0, "fstat");
	ok(S_ISREG(st.st_mode), "a regular file");
	is_int(st.st_mode & 07777, 0644, "mode after umask");
	is_int(st.st_nlink, 0, "no links");
	is_int(count_entries(), 0, "the directory shows nothing");
	is_int(write(fd, "tmpdata", 7), 7, "write");
	is_int(pread(fd, buf, sizeof(buf), 0), 7, "read back");
	is_int(fcntl(fd, F_GETFL) & (O_TMPFILE | O_ACCMODE), O_TMPFILE | O_RDWR,
		"F_GETFL keeps O_TMPFILE");

	is_int(linkat(fd, "", AT_FDCWD, at("named"), AT_EMPTY_PATH), 0,
		"linkat(AT_EMPTY_PATH) names it");
	is_int(stat(at("named"), &st), 0, "stat the name");
	is_int(st.st_nlink, 1, "one link");
	is_int(count_entries(), 1, "the directory shows it");
	fd2 = open(at("named"), O_RDONLY);
	memset(buf, 0, sizeof(buf));
	is_int(read(fd2, buf, sizeof(buf)), 7, "read through the name");
	ok(!memcmp(buf, "tmpdata", 7), "same data");
	close(fd2);
	is_int(linkat(fd, "", AT_FDCWD, at("second"), AT_EMPTY_PATH), 0, "a second name");
	is_int(fstat(fd, &st), 0, "fstat");
	is_int(st.st_nlink, 2, "two links");
	is_errno(linkat(fd, "", AT_FDCWD, at("named"), AT_EMPTY_PATH), EEXIST,
		"linkat over a name: EEXIST");
	close(fd);

	/* Through /proc/self/fd/N: a magic link to the file itself. */
	char pp[64];
	fd = open(dir, O_TMPFILE | O_RDWR, 0600);
	write(fd, "proc", 4);
	snprintf(pp, sizeof(pp), "/proc/self/fd/%d", fd);
	is_errno(linkat(AT_FDCWD, pp, AT_FDCWD, at("viaproc"), 0), EXDEV,
		 "linkat of the /proc link itself: EXDEV");
	is_int(linkat(AT_FDCWD, pp, AT_FDCWD, at("viaproc"), AT_SYMLINK_FOLLOW), 0,
	       "linkat(/proc/self/fd/N, AT_SYMLINK_FOLLOW) names it");
	fd2 = open(at("viaproc"), O_RDONLY);
	memset(buf, 0, sizeof(buf));
	is_int(read(fd2, buf, sizeof(buf)), 4, "read through that name");
	close(fd2);
	close(fd);
	unlink(at("viaproc"));
	/* ... and reopening an unlinked file. */
	fd = open(at("del"), O_CREAT | O_RDWR, 0600);
	write(fd, "deleted", 7);
	unlink(at("del"));
	snprintf(pp, sizeof(pp), "/proc/self/fd/%d", fd);
	fd2 = open(pp, O_RDONLY);
	ok(fd2 >= 0, "open an unlinked file through /proc/self/fd");
	memset(buf, 0, sizeof(buf));
	is_int(read(fd2, buf, sizeof(buf)), 7, "its data");
	close(fd2);
	close(fd);

	/* O_EXCL: never linkable. */
	fd = open(dir, O_TMPFILE | O_WRONLY | O_EXCL, 0600);
	ok(fd >= 0, "O_TMPFILE|O_EXCL");
	is_errno(linkat(fd, "", AT_FDCWD, at("excl"), AT_EMPTY_PATH), ENOENT,
		"O_EXCL: linkat ENOENT");
	close(fd);

	/* A file unlinked while open is not linkable either. */
	fd = open(at("gone"), O_CREAT | O_RDWR, 0600);
	unlink(at("gone"));
	is_errno(linkat(fd, "", AT_FDCWD, at("back"), AT_EMPTY_PATH), ENOENT,
		"unlinked file: ENOENT");
	close(fd);

	/* Errors. */
	is_errno(open(dir, O_TMPFILE | O_RDONLY, 0600), EINVAL, "O_TMPFILE|O_RDONLY: EINVAL");
	is_errno(open(dir, O_TMPFILE | O_RDWR | O_CREAT, 0600), EINVAL, "with O_CREAT: EINVAL");
	is_errno(open(dir, (O_TMPFILE & ~O_DIRECTORY) | O_RDWR, 0600), EINVAL,
		"without O_DIRECTORY: EINVAL");
	is_errno(open(at("named"), O_TMPFILE | O_RDWR, 0600), ENOTDIR, "on a file: ENOTDIR");
	is_errno(open(at("nodir"), O_TMPFILE | O_RDWR, 0600), ENOENT, "missing directory: ENOENT");
	is_errno(open(at("named"), O_PATH | O_TMPFILE), ENOTDIR,
		"O_PATH keeps only O_DIRECTORY: ENOTDIR");

	/* Write permission on the directory. */
	pid_t c = fork();
	if (c == 0) {
		int f = 0;
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(100);
		if (open(dir, O_TMPFILE | O_RDWR, 0600) != -1 || errno != EACCES)
			f |= 1;
		if (open("/tmp", O_TMPFILE | O_RDWR, 0600) < 0)
			f |= 2; /* /tmp is 1777 */
		_exit(f);
	}
	int wst;
	waitpid(c, &wst, 0);
	is_int(WIFEXITED(wst) ? WEXITSTATUS(wst) : -1, 0,
		"unprivileged: EACCES without write permission (bitmask)");

	unlink(at("named"));
	unlink(at("second"));
	is_int(rmdir(dir), 0, "cleanup");
	return done_testing();
}
