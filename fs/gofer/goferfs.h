/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Sentry's 9P2000.L client filesystem (DESIGN.md §7, §8): a mount over one connected
 * socket to a gofer (gofer/gofer.h). Inodes hold walked fids; open files hold a cloned,
 * Tlopen'ed fid. Protocol failures (a malformed or unexpected reply, a dropped socket)
 * answer -EIO and mark the connection broken; Rlerror passes through as -errno.
 *
 * Locking: one mutex per connection, held for one request/reply round trip (one request
 * at a time). It is the innermost lock: vfs_tree_mu > inode->mu > conn->mu.
 */
#ifndef SBX_FS_GOFER_GOFERFS_H
#define SBX_FS_GOFER_GOFERFS_H

#include <stdbool.h>
#include <stdint.h>

#include "fs/vfs.h"
#include "gofer/p9/p9.h"

struct p9c;

/*
 * p9c_new - negotiate 9P2000.L (Tversion, msize at most @msize, 0 = 1 MiB) on connected
 * socket @sock (ownership moves to the connection; closed when the last user goes).
 */
int p9c_new(int sock, uint32_t msize, struct p9c **out);
void p9c_get(struct p9c *c);
void p9c_put(struct p9c *c);
uint32_t p9c_msize(const struct p9c *c);
/* p9c_fid_alloc - a fid number not in use on @c. */
uint32_t p9c_fid_alloc(struct p9c *c);
/*
 * p9c_rpc - send @t (tag filled in) and wait for its reply in *r. Returns 0 with *r the
 * reply of type t->type + 1, -errno for an Rlerror, -EIO for any protocol failure.
 * *r's strings and data point into the connection's buffer: call with p9c_lock held and
 * use them before unlocking.
 */
void p9c_lock(struct p9c *c);
void p9c_unlock(struct p9c *c);
int p9c_rpc(struct p9c *c, const struct p9_msg *t, struct p9_msg *r);
/*
 * p9c_rpc_fd - p9c_rpc for a request that may bring back a donated host fd
 * (P9_OPEN_DONATE_FD): *@fd is that fd (the caller owns it; opened close-on-exec) or -1.
 * An fd on a reply that may not carry one, or more than one, is a protocol failure (-EIO,
 * the fds are closed). The fd is not checked here (see goferfs_hostfd_check).
 */
int p9c_rpc_fd(struct p9c *c, const struct p9_msg *t, struct p9_msg *r, int *fd);
/* p9c_call - lock, p9c_rpc, unlock: for replies whose views are not needed. */
int p9c_call(struct p9c *c, const struct p9_msg *t, struct p9_msg *r);
/* p9c_clunk - Tclunk @fid (errors ignored: the fid is gone either way). */
void p9c_clunk(struct p9c *c, uint32_t fid);

/*
 * Extended attributes of the file @fid names (fs/gofer/xattr.c). p9c_getxattr - the value of
 * @name, or the NUL-separated list when @name is "", into @buf (@size 0: only the length);
 * its length, -ERANGE if larger than @size, or the host's -errno. p9c_setxattr - set @name
 * to @value (@flags: XATTR_CREATE/XATTR_REPLACE, or P9_XATTR_REMOVE to remove it).
 */
ssize_t p9c_getxattr(struct p9c *c, uint32_t fid, const char *name, void *buf, size_t size);
int p9c_setxattr(struct p9c *c, uint32_t fid, const char *name, const void *value, size_t size,
		 uint32_t flags);

/*
 * goferfs_new_root - attach to the server's root over @sock (ownership moves) and return
 * the root dentry of a new filesystem (one reference) in *out. @readonly only marks the
 * mount; the gofer enforces it.
 */
int goferfs_new_root(int sock, bool readonly, struct dentry **out);

#endif
