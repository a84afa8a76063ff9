// SPDX-License-Identifier: Apache-2.0
/*
 * Gofer handlers for session and metadata requests: version, attach, walk, getattr, setattr,
 * readlink, statfs, xattr, locks, flush, clunk; and the handler table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gofer/gofer_impl.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

int gofer_version(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	uint32_t msize = req->tversion.msize;

	/* A new session: every fid of the old one goes (9P: Tversion aborts all I/O). */
	gofer_fid_clunk_all(c);
	if (msize > c->srv->max_msize)
		msize = c->srv->max_msize;
	rep->rversion.msize = msize;
	if (!p9_str_eq(&req->tversion.version, P9_VERSION_L) || msize < P9_MSIZE_MIN) {
		c->versioned = false;
		rep->rversion.msize = c->srv->max_msize;
		rep->rversion.version = P9_STR("unknown");
		return 0;
	}
	c->msize = msize;
	c->versioned = true;
	rep->rversion.version = P9_STR(P9_VERSION_L);
	return 0;
}

int gofer_attach(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_tattach *t = &req->tattach;
	struct gofer_fid *f;
	struct stat st;
	int fd, ret;

	if (t->afid != P9_NOFID)
		return -EINVAL;	/* no auth */
	/* One tree per connection: aname may only name its root. */
	if (t->aname.len && !p9_str_eq(&t->aname, "/"))
		return -ENOENT;
	fd = fcntl(c->srv->root_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = gofer_fid_new(c, t->fid, &f);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	ret = gofer_fid_set(f, fd, -1, NULL);
	if (ret < 0 || fstat(f->fd, &st) < 0) {
		gofer_fid_clunk(c, t->fid);
		return ret < 0 ? ret : -EIO;
	}
	f->uid = t->n_uname;
	gofer_stat_to_qid(&st, &rep->rattach.qid);
	return 0;
}

/* Clone @from into @to: dup every fd, copy the name. Does not copy the open state. */
static int fid_clone(const struct gofer_fid *from, struct gofer_fid *to)
{
	int fd = fcntl(from->fd, F_DUPFD_CLOEXEC, 0);
	int pfd = from->parent_fd >= 0 ? fcntl(from->parent_fd, F_DUPFD_CLOEXEC, 0) : -1;
	char *name = from->name ? strdup(from->name) : NULL;

	if (fd < 0 || (from->parent_fd >= 0 && pfd < 0) || (from->name && !name)) {
		if (fd >= 0)
			close(fd);
		if (pfd >= 0)
			close(pfd);
		free(name);
		return -ENOMEM;
	}
	to->uid = from->uid;
	return gofer_fid_set(to, fd, pfd, name);
}

/*
 * Twalk, and Twalkgetattr's walk: the reply's qids go into rep->rwalk (Rwalkgetattr starts
 * with the same fields). *last_st gets the stat of the file the new fid names.
 */
static int do_walk(struct gofer_conn *c, const struct p9_twalk *t, struct p9_msg *rep,
		   struct stat *last_st)
{
	struct gofer_fid *f = gofer_fid_lookup(c, t->fid), *nf;
	int cur, parent = -1, ret = 0;
	char name[256], *last = NULL;
	uint16_t i;

	if (!f)
		return -EBADF;
	if (f->open_fd >= 0)
		return -EBUSY;	/* 9P: an open fid cannot be walked */
	if (t->newfid != t->fid && gofer_fid_lookup(c, t->newfid))
		return -EBADF;
	cur = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
	if (cur < 0)
		return -errno;
	for (i = 0; i < t->nwname; i++) {
		struct stat st;
		int fd;

		/* Rejects "", ".", "..", and anything with '/': ".." never leaves the root. */
		ret = gofer_name(&t->wnames[i], name, sizeof(name));
		if (ret < 0)
			break;
		/* One component, O_PATH|O_NOFOLLOW: a symlink yields the link, never its target;
		 * walking on from a link (or a file) fails with ENOTDIR. */
		fd = gofer_open_beneath(cur, name, O_PATH, 0);
		if (fd < 0) {
			ret = fd;
			break;
		}
		if (fstat(fd, &st) < 0) {
			ret = -errno;
			close(fd);
			break;
		}
		gofer_stat_to_qid(&st, &rep->rwalk.wqids[i]);
		*last_st = st;
		if (parent >= 0)
			close(parent);
		parent = cur;
		cur = fd;
	}
	rep->rwalk.nwqid = i;
	if (i < t->nwname) {
		close(cur);
		if (parent >= 0)
			close(parent);
		/* The first name failing is an error; a later one a short Rwalk (newfid unset). */
		return i == 0 ? ret : 0;
	}
	if (t->nwname > 0) {
		last = strdup(name);
		if (!last) {
			close(cur);
			close(parent);
			return -ENOMEM;
		}
	}
	if (t->newfid == t->fid) {
		nf = f;
	} else {
		ret = gofer_fid_new(c, t->newfid, &nf);
		if (ret < 0)
			goto err;
	}
	if (t->nwname == 0) {
		/* A clone: the new fid names the same file. */
		if (fstat(cur, last_st) < 0)
			memset(last_st, 0, sizeof(*last_st));
		close(cur);
		if (nf == f)
			return 0;
		ret = fid_clone(f, nf);
		if (ret < 0)
			gofer_fid_clunk(c, t->newfid);
		return ret;
	}
	nf->uid = f->uid;
	return gofer_fid_set(nf, cur, parent, last);
err:
	close(cur);
	if (parent >= 0)
		close(parent);
	free(last);
	return ret;
}

int gofer_walk(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	struct stat last;

	return do_walk(c, &req->twalk, rep, &last);
}

static void stat_to_p9(const struct stat *st0, struct p9_stat_dotl *s)
{
	const struct stat st = *st0;

	s->valid = P9_GETATTR_BASIC;
	gofer_stat_to_qid(&st, &s->qid);
	s->mode = st.st_mode;
	s->uid = st.st_uid;
	s->gid = st.st_gid;
	s->nlink = st.st_nlink;
	s->rdev = st.st_rdev;
	s->size = (uint64_t)st.st_size;
	s->blksize = (uint64_t)st.st_blksize;
	s->blocks = (uint64_t)st.st_blocks;
	s->atime_sec = (uint64_t)st.st_atim.tv_sec;
	s->atime_nsec = (uint64_t)st.st_atim.tv_nsec;
	s->mtime_sec = (uint64_t)st.st_mtim.tv_sec;
	s->mtime_nsec = (uint64_t)st.st_mtim.tv_nsec;
	s->ctime_sec = (uint64_t)st.st_ctim.tv_sec;
	s->ctime_nsec = (uint64_t)st.st_ctim.tv_nsec;
}

int gofer_getattr(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	struct gofer_fid *f = gofer_fid_lookup(c, req->tgetattr.fid);
	struct stat st;

	if (!f)
		return -EBADF;
	if (fstat(f->fd, &st) < 0)
		return -errno;
	stat_to_p9(&st, &rep->rgetattr.st);
	return 0;
}

/*
 * Twalkgetattr (our extension, like gVisor's): a Twalk whose reply also carries the walked
 * file's attributes, read from the very fd the new fid holds, so a lookup is one round trip.
 * A short walk has no attributes (valid 0).
 */
int gofer_walkgetattr(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	struct stat last;
	int r = do_walk(c, &req->twalkgetattr, rep, &last);

	memset(&rep->rwalkgetattr.st, 0, sizeof(rep->rwalkgetattr.st));
	if (r == 0 && rep->rwalkgetattr.nwqid == req->twalkgetattr.nwname)
		stat_to_p9(&last, &rep->rwalkgetattr.st);
	return r;
}

static int setattr_mode(struct gofer_fid *f, mode_t mode)
{
	int fd, ret;

	if (S_ISLNK(f->mode))
		return -EOPNOTSUPP;	/* Linux cannot chmod a symlink either */
	/* fchmodat2(AT_EMPTY_PATH) works on the O_PATH fd itself (Linux 6.6+). */
	if (syscall(SYS_fchmodat2, f->fd, "", mode & 07777, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
		return -errno;
	if (!S_ISREG(f->mode) && !S_ISDIR(f->mode))
		return -EOPNOTSUPP;
	fd = gofer_fid_reopen(f, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	ret = fchmod(fd, mode & 07777) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

static int setattr_size(struct gofer_fid *f, uint64_t size)
{
	int fd, ret;

	if (size > INT64_MAX)
		return -EINVAL;
	if (S_ISDIR(f->mode))
		return -EISDIR;
	if (!S_ISREG(f->mode))
		return -EINVAL;
	if (f->open_fd >= 0 && (f->open_flags & O_ACCMODE) != O_RDONLY)
		return ftruncate(f->open_fd, (off_t)size) < 0 ? -errno : 0;
	fd = gofer_fid_reopen(f, O_WRONLY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	ret = ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

static int setattr_times(struct gofer_fid *f, const struct p9_iattr *a)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT } };

	if (a->valid & P9_SETATTR_ATIME) {
		if (a->valid & P9_SETATTR_ATIME_SET)
			ts[0] = (struct timespec){ (time_t)a->atime_sec, (long)a->atime_nsec };
		else
			ts[0].tv_nsec = UTIME_NOW;
	}
	if (a->valid & P9_SETATTR_MTIME) {
		if (a->valid & P9_SETATTR_MTIME_SET)
			ts[1] = (struct timespec){ (time_t)a->mtime_sec, (long)a->mtime_nsec };
		else
			ts[1].tv_nsec = UTIME_NOW;
	}
	/* On the O_PATH fd itself (AT_EMPTY_PATH, Linux 5.8+)... */
	if (utimensat(f->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOENT)
		return -errno;
	/* ...else by name in the parent, never following a link. */
	if (f->parent_fd >= 0)
		return utimensat(f->parent_fd, f->name, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	int fd = gofer_fid_reopen(f, O_RDONLY);	/* the root: a directory */
	int ret;

	if (fd < 0)
		return fd;
	ret = futimens(fd, ts) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

int gofer_setattr(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_iattr *a = &req->tsetattr.attr;
	struct gofer_fid *f = gofer_fid_lookup(c, req->tsetattr.fid);
	struct stat st;
	int ret;

	if (!f)
		return -EBADF;
	if (a->valid & P9_SETATTR_MODE) {
		ret = setattr_mode(f, a->mode);
		if (ret < 0)
			return ret;
	}
	if (a->valid & (P9_SETATTR_UID | P9_SETATTR_GID)) {
		uid_t uid = (a->valid & P9_SETATTR_UID) ? a->uid : (uid_t)-1;
		gid_t gid = (a->valid & P9_SETATTR_GID) ? a->gid : (gid_t)-1;

		if (fchownat(f->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	if (a->valid & P9_SETATTR_SIZE) {
		ret = setattr_size(f, a->size);
		if (ret < 0)
			return ret;
	}
	if (a->valid & (P9_SETATTR_ATIME | P9_SETATTR_MTIME)) {
		ret = setattr_times(f, a);
		if (ret < 0)
			return ret;
	}
	if (fstat(f->fd, &st) == 0)
		f->mode = st.st_mode;
	return 0;
}

int gofer_readlink(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	struct gofer_fid *f = gofer_fid_lookup(c, req->treadlink.fid);
	/* The target is encoded from here before the next request: one static buffer is enough
	 * for a single-threaded server. */
	static char buf[4096];
	ssize_t n;

	if (!f)
		return -EBADF;
	if (!S_ISLNK(f->mode))
		return -EINVAL;
	n = readlinkat(f->fd, "", buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	rep->rreadlink.target = (struct p9_str){ .str = buf, .len = (size_t)n };
	return 0;
}

static int gofer_statfs(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	struct gofer_fid *f = gofer_fid_lookup(c, req->tstatfs.fid);
	struct p9_rstatfs *r = &rep->rstatfs;
	struct statfs sf;

	if (!f)
		return -EBADF;
	if (fstatfs(f->fd, &sf) < 0)
		return -errno;
	r->type = (uint32_t)sf.f_type;
	r->bsize = (uint32_t)sf.f_bsize;
	r->blocks = sf.f_blocks;
	r->bfree = sf.f_bfree;
	r->bavail = sf.f_bavail;
	r->files = sf.f_files;
	r->ffree = sf.f_ffree;
	r->fsid = (uint64_t)(uint32_t)sf.f_fsid.__val[0] | (uint64_t)sf.f_fsid.__val[1] << 32;
	r->namelen = (uint32_t)sf.f_namelen;
	return 0;
}

/* Tread/Twrite: xattr fids (ops_xattr.c) carry their value, others read the file. */
static int gofer_read_any(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	struct gofer_fid *f = gofer_fid_lookup(c, req->tread.fid);
	int r = f ? gofer_xattr_read(c, f, req, rep) : 1;

	return r == 1 ? gofer_read(c, req, rep) : r;
}

static int gofer_write_any(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	struct gofer_fid *f = gofer_fid_lookup(c, req->twrite.fid);
	int r = f ? gofer_xattr_write(c, f, req, rep) : 1;

	return r == 1 ? gofer_write(c, req, rep) : r;
}

/*
 * Locks are advisory and the Sentry keeps them among its own tasks; the gofer grants every
 * lock and reports every range unlocked.
 */
static int gofer_lock(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	if (!gofer_fid_lookup(c, req->tlock.fid))
		return -EBADF;
	rep->rlock.status = P9_LOCK_SUCCESS;
	return 0;
}

static int gofer_getlock(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_tgetlock *t = &req->tgetlock;

	if (!gofer_fid_lookup(c, t->fid))
		return -EBADF;
	rep->rgetlock = (struct p9_rgetlock){ .type = P9_LOCK_TYPE_UNLCK, .start = t->start,
					      .length = t->length, .proc_id = t->proc_id,
					      .client_id = t->client_id };
	return 0;
}

/* Requests are answered in order before the next is read, so there is never one to cancel. */
static int gofer_flush(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	return 0;
}

static int gofer_clunk(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	struct gofer_fid *f = gofer_fid_lookup(c, req->tclunk.fid);
	int r = 0;

	/* A Txattrcreate fid sets its attribute now; the fid goes either way (9P2000.L). */
	if (f && f->xattr)
		r = gofer_xattr_commit(f);
	int e = gofer_fid_clunk(c, req->tclunk.fid);
	return r < 0 ? r : e;
}

static int gofer_auth(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	return -EOPNOTSUPP;
}

const gofer_handler_fn gofer_handlers[P9_TMAX] = {
	[P9_TVERSION] = gofer_version,
	[P9_TAUTH] = gofer_auth,
	[P9_TATTACH] = gofer_attach,
	[P9_TFLUSH] = gofer_flush,
	[P9_TWALK] = gofer_walk,
	[P9_TWALKGETATTR] = gofer_walkgetattr,
	[P9_TCLUNK] = gofer_clunk,
	[P9_TREMOVE] = gofer_remove,
	[P9_TGETATTR] = gofer_getattr,
	[P9_TSETATTR] = gofer_setattr,
	[P9_TREADLINK] = gofer_readlink,
	[P9_TSTATFS] = gofer_statfs,
	[P9_TXATTRWALK] = gofer_xattrwalk,
	[P9_TXATTRCREATE] = gofer_xattrcreate,
	[P9_TLOCK] = gofer_lock,
	[P9_TGETLOCK] = gofer_getlock,
	[P9_TLOPEN] = gofer_lopen,
	[P9_TLCREATE] = gofer_lcreate,
	[P9_TREAD] = gofer_read_any,
	[P9_TWRITE] = gofer_write_any,
	[P9_TREADDIR] = gofer_readdir,
	[P9_TFSYNC] = gofer_fsync,
	[P9_TMKDIR] = gofer_mkdir,
	[P9_TMKNOD] = gofer_mknod,
	[P9_TSYMLINK] = gofer_symlink,
	[P9_TLINK] = gofer_link,
	[P9_TUNLINKAT] = gofer_unlinkat,
	[P9_TRENAMEAT] = gofer_renameat,
	[P9_TRENAME] = gofer_rename,
};
