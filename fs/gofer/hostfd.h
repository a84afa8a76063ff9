/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Donated host fds of gofer files (fs/gofer only): a regular file the gofer opened for a
 * Tlopen and sent back over SCM_RIGHTS (P9_OPEN_DONATE_FD), so that read/write become
 * pread/pwrite on the host instead of Tread/Twrite round trips (DESIGN.md §8).
 *
 * The fd belongs to the open file (struct gofer_file) that received it and is closed when
 * that file is released. It is a Sentry host fd: guests only ever see their own fd table.
 */
#ifndef SBX_FS_GOFER_HOSTFD_H
#define SBX_FS_GOFER_HOSTFD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fs/vfs.h"

/*
 * Donated fds are Sentry host fds, and the Sentry's fd limit is shared with everything else
 * it opens (stubs, sockets, memfds): at most GOFERFS_HOSTFD_MAX open files hold one at a
 * time; more open files work over 9P. goferfs_hostfd_reserve - take a slot before asking the
 * gofer (false: none left, do not ask); goferfs_hostfd_unreserve - give it back (no fd came,
 * or the file holding it was released). goferfs_hostfd_set_max - change the cap (tests).
 */
#define GOFERFS_HOSTFD_MAX 512
bool goferfs_hostfd_reserve(void);
void goferfs_hostfd_unreserve(void);
void goferfs_hostfd_set_max(int max);

/*
 * goferfs_hostfd_check - may @fd be used for an open with access mode @accmode (O_RDONLY,
 * O_WRONLY, O_RDWR) of the file whose qid path is @ino? It must be a regular file (fstat),
 * opened with exactly that access mode, without O_PATH, O_APPEND (pwrite would ignore the
 * offset) or O_DIRECT, and be the file the gofer named. Return: 0, or -errno (then the
 * caller closes it and stays on 9P).
 */
int goferfs_hostfd_check(int fd, int accmode, uint64_t ino);

/*
 * goferfs_hostfd_read - pread from @fd at *@pos into @dst until it is full or at end of
 * file; *@pos advances by the bytes moved. The host reads straight into the memory (guest
 * buffers through their pinned pages, mm_pin_pages; Sentry buffers as they are, e.g.
 * page-cache fills), with no lock held.
 * Return: bytes moved, or -errno if none.
 */
ssize_t goferfs_hostfd_read(int fd, struct uio *dst, int64_t *pos);

/*
 * goferfs_hostfd_write - pwritev @src (pinned guest pages or Sentry memory) to @fd at *@pos,
 * keeping @ino's page cache coherent
 * (pagecache_write_through), *@pos advancing. The caller updates the cached size and times
 * as for a 9P write. Return: bytes written, or -errno if none.
 */
ssize_t goferfs_hostfd_write(int fd, struct inode *ino, struct uio *src, int64_t *pos);

/* goferfs_hostfd_size - the file's current size on the host (fstat), for O_APPEND. */
int goferfs_hostfd_size(int fd, int64_t *size);

#endif
