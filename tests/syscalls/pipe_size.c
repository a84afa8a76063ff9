/* SPDX-License-Identifier: Apache-2.0 */
/* F_GETPIPE_SZ / F_SETPIPE_SZ: sizes, rounding, data kept across a resize, EBUSY. */
#define _GNU_SOURCE
#include <fcntl.h>

#include "tap.h"

int main(void)
{
	int p[2];
	char buf[70000];

	pipe(p);
	is_int(fcntl(p[0], F_GETPIPE_SZ), 65536, "default 64 KiB");
	write(p[1], "keep", 4);
	is_int(fcntl(p[1], F_SETPIPE_SZ, 5000), 8192, "rounded up to a power of two pages");
	is_int(fcntl(p[0], F_GETPIPE_SZ), 8192, "both ends see it");
	is_int((int)read(p[0], buf, 100), 4, "data survives the resize");
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	memset(buf, 'x', sizeof(buf));
	is_int((int)write(p[1], buf, sizeof(buf)), 8192, "a nonblocking write fills 8 KiB");
	is_errno(fcntl(p[1], F_SETPIPE_SZ, 4096), EBUSY, "cannot shrink below its contents");
	is_int(fcntl(p[1], F_SETPIPE_SZ, 1 << 20), 1 << 20, "grow to 1 MiB");
	is_int((int)read(p[0], buf, sizeof(buf)), 8192, "the data is still there");
	is_int(fcntl(p[0], F_SETPIPE_SZ, 0), 4096, "0 means one page");
	int fd = open("/dev/null", O_RDONLY);
	is_errno(fcntl(fd, F_GETPIPE_SZ), EBADF, "not a pipe: EBADF");
	return done_testing();
}
