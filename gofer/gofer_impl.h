/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Gofer internals shared by server.c (loop, framing), fid.c (fid table, safe opens), ops*.c
 * (one handler per T-message) and filter.c (confinement). Not for other subsystems.
 */
#ifndef SBX_GOFER_GOFER_IMPL_H
#define SBX_GOFER_GOFER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "gofer/gofer.h"
#include "gofer/p9/p9.h"

/*
 * Security rules (DESIGN.md §11.2), kept by every handler:
 *  - a fid always holds an fd of the file it names (O_PATH, opened with O_NOFOLLOW), plus an
 *    O_PATH fd of its parent directory and its single-component name;
 *  - names from the wire pass p9_name_valid() before reaching any *at() call, so no request
 *    can carry "/" or ".." to the host;
 *  - symlinks are never followed: a walk onto one yields the link itself, a walk through it
 *    fails (openat on a non-directory gives ENOTDIR);
 *  - reopening for I/O goes through the parent fd + name with O_NOFOLLOW and is checked
 *    against the walked dev/ino (gofer_fid_reopen()), or through the directory fd itself.
 */

#define GOFER_MAX_FIDS 65536	/* per connection; then EMFILE */
#define GOFER_FID_BUCKETS 256

/**
 * struct gofer_fid - one client fid.
 * @id: the client's number.
 * @fd: O_PATH|O_NOFOLLOW fd of the file (for a symlink: of the link itself).
 * @parent_fd: O_PATH fd of the directory holding @name; -1 for the root.
 * @name: NUL-terminated single component; NULL for the root.
 * @dev, @ino, @mode: identity and type of @fd when walked (checked on every reopen).
 * @open_fd: fd opened by Tlopen/Tlcreate for I/O, or -1.
 * @open_flags: the O_* access flags @open_fd was opened with.
 * @uid: the attach uid (owner for files this fid creates), or -1.
 * @xattr: an xattr fid's state (Txattrwalk's value to read, or Txattrcreate's to write
 *	and set at Tclunk), else NULL (ops_xattr.c).
 * @next: hash chain.
 */
struct gofer_fid {
	uint32_t id;
	int fd;
	int parent_fd;
	char *name;
	dev_t dev;
	ino_t ino;
	mode_t mode;
	int open_fd;
	int open_flags;
	uint32_t uid;
	struct gofer_xattr *xattr;
	struct gofer_fid *next;
};

struct gofer_server;

/**
 * struct gofer_conn - one 9P connection (one mount point). Owned by the loop.
 * @srv: the server.
 * @sock: the socket.
 * @msize: negotiated msize (the server's maximum until Tversion).
 * @versioned: a Tversion has been accepted; every other request before it is refused.
 * @in, @in_len: receive buffer (capacity srv->max_msize) and bytes held.
 * @out, @out_len, @out_pos: reply being sent (capacity srv->max_msize).
 * @fids: hash of struct gofer_fid by id; @nfids how many.
 * @donate_fd: an fd to send with the reply in @out (SCM_RIGHTS, fd donation: a dup of a
 *             fid's open_fd, set by lopen/lcreate), closed once sent; -1 for none.
 */
struct gofer_conn {
	struct gofer_server *srv;
	int sock;
	uint32_t msize;
	bool versioned;
	uint8_t *in;
	size_t in_len;
	uint8_t *out;
	size_t out_len, out_pos;
	struct gofer_fid *fids[GOFER_FID_BUCKETS];
	unsigned nfids;
	int donate_fd;
	void *watchers;	/* struct ev_io[2] (read, write), opaque to the handlers */
};

/**
 * struct gofer_server - state shared by all connections.
 * @root_fd: O_PATH fd of the served tree (our dup).
 * @readonly: refuse mutations with EROFS.
 * @max_msize: msize ceiling.
 * @nlive: connections still open; the loop stops at 0.
 * @donate: answer P9_OPEN_DONATE_FD requests with the open fd (gofer_config.no_fd_donation).
 */
struct gofer_server {
	int root_fd;
	bool readonly;
	bool donate;
	uint32_t max_msize;
	int nlive;
	void *loop;
};

/* fid.c */
struct gofer_fid *gofer_fid_lookup(struct gofer_conn *c, uint32_t id);
/* gofer_fid_new - add a fid @id with no fds yet; -EBADF when @id is taken, -EMFILE at limit. */
int gofer_fid_new(struct gofer_conn *c, uint32_t id, struct gofer_fid **out);
/* gofer_fid_clunk - close the fid's fds and forget it; -EBADF when unknown. */
int gofer_fid_clunk(struct gofer_conn *c, uint32_t id);
void gofer_fid_clunk_all(struct gofer_conn *c);
/* gofer_fid_set - give @f its fds/name (takes ownership of @fd, @parent_fd and @name). */
int gofer_fid_set(struct gofer_fid *f, int fd, int parent_fd, char *name);
/*
 * gofer_fid_reopen - open @f's file for I/O with @flags (O_NOFOLLOW|O_CLOEXEC added):
 * directories through "." of their own fd, others through parent fd + name, then checked to
 * be the walked dev/ino. Return: the new fd, or -errno (-ESTALE when the name now names
 * another file).
 */
int gofer_fid_reopen(const struct gofer_fid *f, int flags);
/* gofer_fid_renamed - after a rename, point fids that named (@odir, @oname) at the new place. */
void gofer_fid_renamed(struct gofer_conn *c, int odir, const char *oname, int ndir,
		       const char *nname);

/*
 * gofer_open_beneath - open one validated component @name under @dirfd: openat2 with
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS when the kernel has it, else
 * openat; O_NOFOLLOW|O_CLOEXEC always added. Return: fd or -errno.
 */
int gofer_open_beneath(int dirfd, const char *name, int flags, mode_t mode);
/* gofer_name - validate @s with p9_name_valid() and copy it to @buf; -EINVAL/-ENAMETOOLONG. */
int gofer_name(const struct p9_str *s, char *buf, size_t cap);
void gofer_stat_to_qid(const struct stat *st, struct p9_qid *q);

/* ops.c / ops_file.c / ops_dir.c: each handler fills @rep's body (type and tag are preset by
 * the dispatcher) and returns 0, or -errno to be answered with Rlerror. */
typedef int (*gofer_handler_fn)(struct gofer_conn *c, const struct p9_msg *req,
				struct p9_msg *rep);
extern const gofer_handler_fn gofer_handlers[P9_TMAX];

int gofer_version(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_attach(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_walk(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_walkgetattr(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_getattr(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_setattr(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_lopen(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_lcreate(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_read(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_write(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_readdir(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_fsync(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_mkdir(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_mknod(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_symlink(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_link(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_readlink(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_unlinkat(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_renameat(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_rename(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_remove(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);

/* ops_xattr.c: Txattrwalk, Txattrcreate, and reads/writes/clunks of xattr fids. */
struct gofer_xattr;
int gofer_xattrwalk(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
int gofer_xattrcreate(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep);
/* gofer_xattr_read/write - Tread/Twrite of an xattr fid; 1 when @f is not one (not handled). */
int gofer_xattr_read(struct gofer_conn *c, struct gofer_fid *f, const struct p9_msg *req,
		     struct p9_msg *rep);
int gofer_xattr_write(struct gofer_conn *c, struct gofer_fid *f, const struct p9_msg *req,
		      struct p9_msg *rep);
/* gofer_xattr_commit - Tclunk of a Txattrcreate fid: set (or remove) the attribute. */
int gofer_xattr_commit(struct gofer_fid *f);
void gofer_xattr_free(struct gofer_xattr *x);
/*
 * gofer_donate - after a successful Tlopen/Tlcreate of @f into @fd: when @req asked for it
 * and @fd is a regular file (fstat @st), queue a dup of @fd to go with the reply. Never
 * fails (no dup: no donation).
 */
void gofer_donate(struct gofer_conn *c, const struct p9_msg *req, int fd, const struct stat *st);

/* server.c: true when @req would change the tree (answered EROFS in read-only mode). */
bool gofer_is_mutation(const struct p9_msg *req);

#endif
