/* SPDX-License-Identifier: Apache-2.0 */
/* statfs/fstatfs: what programs rely on (sizes differ between hosts: relations only). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include "tap.h"

int main(void)
{
	struct statfs a, b;
	struct statvfs v;

	is_int(statfs("/", &a), 0, "statfs /");
	ok(a.f_bsize > 0 && a.f_blocks > 0, "a size");
	is_int((int)a.f_namelen, 255, "f_namelen 255");
	ok(a.f_bavail <= a.f_blocks && a.f_bfree <= a.f_blocks, "free <= total");
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
	is_int(fstatfs(fd, &b), 0, "fstatfs of /tmp");
	struct statfs c;
	statfs("/tmp", &c);
	ok(b.f_type == c.f_type && b.f_blocks == c.f_blocks, "fstatfs agrees with statfs");
	close(fd);
	is_int(statvfs("/tmp", &v), 0, "statvfs");
	ok(v.f_frsize > 0, "f_frsize");
	is_errno(statfs("/no/such/path", &a), ENOENT, "ENOENT");
	is_errno(fstatfs(-1, &a), EBADF, "EBADF");
	is_errno(syscall(SYS_statfs, "/", (void *)8), EFAULT, "EFAULT");
	return done_testing();
}
