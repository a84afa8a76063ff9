/* SPDX-License-Identifier: Apache-2.0 */
/* Named pipes: mkfifo, blocking and nonblocking opens, data between processes, EOF. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tap.h"

static const char *path = "/tmp/fifo-test";

int main(void)
{
	struct stat st;
	int st2;

	unlink(path);
	is_int(mkfifo(path, 0600), 0, "mkfifo");
	is_int(stat(path, &st), 0, "stat");
	ok(S_ISFIFO(st.st_mode), "S_IFIFO");
	is_int(st.st_mode & 0777, 0600, "mode");
	is_errno(mkfifo(path, 0600), EEXIST, "EEXIST");
	is_errno(open(path, O_WRONLY | O_NONBLOCK), ENXIO, "nonblocking writer without reader: ENXIO");
	int r = open(path, O_RDONLY | O_NONBLOCK);
	ok(r >= 0, "nonblocking reader opens at once");
	char b[16];
	is_int((int)read(r, b, sizeof(b)), 0, "no writer ever: EOF");
	int w = open(path, O_WRONLY | O_NONBLOCK);
	ok(w >= 0, "then a nonblocking writer opens");
	is_int((int)write(w, "hi", 2), 2, "write");
	is_int((int)read(r, b, sizeof(b)), 2, "read");
	errno = 0;
	is_int((int)read(r, b, sizeof(b)), -1, "empty with a writer: EAGAIN");
	is_int(errno, EAGAIN, "EAGAIN");
	close(w);
	close(r);

	/* Blocking opens rendezvous: the writer blocks until our reader opens. */
	pid_t c = fork();
	if (c == 0) {
		int fd = open(path, O_WRONLY);
		write(fd, "from child", 10);
		close(fd);
		_exit(0);
	}
	r = open(path, O_RDONLY);
	ok(r >= 0, "blocking reader open meets the writer");
	is_int((int)read(r, b, sizeof(b)), 10, "reads the child's data");
	is_int((int)read(r, b, sizeof(b)), 0, "EOF after the writer closes");
	close(r);
	waitpid(c, &st2, 0);

	/* O_RDWR never blocks; data is dropped once nobody has it open. */
	int rw = open(path, O_RDWR);
	ok(rw >= 0, "O_RDWR open");
	write(rw, "zz", 2);
	close(rw);
	r = open(path, O_RDONLY | O_NONBLOCK);
	errno = 0;
	is_int((int)read(r, b, sizeof(b)), 0, "data gone after the last close");
	close(r);
	is_int(mknod("/tmp/fifo-reg", S_IFREG | 0644, 0), 0, "mknod S_IFREG");
	unlink("/tmp/fifo-reg");
	unlink(path);
	return done_testing();
}
