/* SPDX-License-Identifier: Apache-2.0 */
/* sendfile, copy_file_range, splice, tee, vmsplice, preadv2/pwritev2. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

#include "tap.h"

static char data[200000];

static int mkfile(const char *path, size_t len)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	write(fd, data, len);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static int same(int fd, size_t off, size_t len)
{
	char *b = malloc(len);
	ssize_t n = pread(fd, b, len, 0);
	int r = n == (ssize_t)len && memcmp(b, data + off, len) == 0;
	free(b);
	return r;
}

int main(void)
{
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + i / 251);
	int in = mkfile("/tmp/xfer-in", sizeof(data));
	int out = open("/tmp/xfer-out", O_RDWR | O_CREAT | O_TRUNC, 0644);

	/* sendfile with the file position, then with an explicit offset. */
	is_int((int)sendfile(out, in, NULL, 100000), 100000, "sendfile 100000 bytes");
	is_int((int)lseek(in, 0, SEEK_CUR), 100000, "moved the input position");
	off_t off = 150000;
	is_int((int)sendfile(out, in, &off, 100000), 50000, "sendfile from an offset stops at EOF");
	is_int((int)off, 200000, "offset updated");
	is_int((int)lseek(in, 0, SEEK_CUR), 100000, "input position untouched");
	ok(same(out, 0, 100000), "data");
	int p[2];
	pipe(p);
	lseek(in, 0, SEEK_SET);
	is_int((int)sendfile(p[1], in, NULL, 1000), 1000, "sendfile into a pipe");
	char b[2000];
	is_int((int)read(p[0], b, sizeof(b)), 1000, "pipe got it");
	ok(memcmp(b, data, 1000) == 0, "pipe data");
	is_errno(sendfile(out, p[1], NULL, 10), EBADF, "a write-only input: EBADF");

	/* copy_file_range */
	ftruncate(out, 0);
	loff_t io = 10, oo = 0;
	is_int((int)copy_file_range(in, &io, out, &oo, 5000, 0), 5000, "copy_file_range");
	ok(io == 5010 && oo == 5000, "offsets advanced");
	char c[5000];
	pread(out, c, 5000, 0);
	ok(memcmp(c, data + 10, 5000) == 0, "copied data");
	is_errno(copy_file_range(in, NULL, out, NULL, 10, 1), EINVAL, "flags must be 0");
	loff_t a0 = 0, a1 = 100;
	is_errno(copy_file_range(in, &a0, in, &a1, 1000, 0), EINVAL, "overlapping range of one file");
	is_errno(copy_file_range(in, NULL, p[1], NULL, 10, 0), EINVAL, "a pipe: EINVAL");

	/* splice file -> pipe -> file */
	loff_t so = 1000;
	is_int((int)splice(in, &so, p[1], NULL, 4096, 0), 4096, "splice file to pipe");
	is_int((int)so, 5096, "offset advanced");
	ftruncate(out, 0);
	lseek(out, 0, SEEK_SET);
	is_int((int)splice(p[0], NULL, out, NULL, 4096, 0), 4096, "splice pipe to file");
	pread(out, c, 4096, 0);
	ok(memcmp(c, data + 1000, 4096) == 0, "spliced data");
	is_errno(splice(in, NULL, out, NULL, 10, 0), EINVAL, "no pipe: EINVAL");
	is_errno(splice(p[0], &so, out, NULL, 10, 0), ESPIPE, "offset on a pipe: ESPIPE");

	/* tee duplicates without consuming. */
	int q[2];
	pipe(q);
	write(p[1], "tee-data", 8);
	is_int((int)tee(p[0], q[1], 100, 0), 8, "tee");
	is_int((int)read(q[0], b, sizeof(b)), 8, "copy arrives");
	is_int((int)read(p[0], b, sizeof(b)), 8, "original still there");
	is_errno(tee(p[0], q[1], 10, SPLICE_F_NONBLOCK), EAGAIN, "tee of an empty pipe, nonblocking");

	/* vmsplice into and out of a pipe */
	struct iovec iov[2] = { { "ab", 2 }, { "cde", 3 } };
	is_int((int)vmsplice(p[1], iov, 2, 0), 5, "vmsplice into a pipe");
	char r1[2], r2[3];
	struct iovec riov[2] = { { r1, 2 }, { r2, 3 } };
	is_int((int)vmsplice(p[0], riov, 2, 0), 5, "vmsplice out of a pipe");
	ok(memcmp(r1, "ab", 2) == 0 && memcmp(r2, "cde", 3) == 0, "data");

	/* preadv2/pwritev2 */
	char x[4];
	struct iovec xv = { x, 4 };
	lseek(in, 8, SEEK_SET);
	is_int((int)preadv2(in, &xv, 1, -1, 0), 4, "preadv2 at the file position");
	is_int((int)lseek(in, 0, SEEK_CUR), 12, "position moved");
	ok(memcmp(x, data + 8, 4) == 0, "data");
	is_int((int)preadv2(in, &xv, 1, 100, RWF_HIPRI), 4, "preadv2 at an offset");
	ok(memcmp(x, data + 100, 4) == 0, "data");
	is_errno(preadv2(in, &xv, 1, 0, 0x1000), EOPNOTSUPP, "unknown flag");
	is_int((int)pwritev2(out, &xv, 1, 0, RWF_DSYNC), 4, "pwritev2");
	unlink("/tmp/xfer-in");
	unlink("/tmp/xfer-out");
	return done_testing();
}
