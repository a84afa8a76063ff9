// SPDX-License-Identifier: Apache-2.0
/*
 * The gofer filesystem: inodes backed by walked fids, dentries instantiated by lookup (one
 * Twalk + Tgetattr per name, then cached in the dentry tree: the sandbox is the only writer),
 * open files backed by a cloned fid opened with Tlopen.
 */
#include "fs/gofer/goferfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/gofer/hostfd.h"
#include "lib/compiler.h"
#include "lib/log.h"
#include "sentry/host/host.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#endif

struct gofer_inode {
	struct inode base;
	struct p9c *c;
	uint32_t fid;      /* walked, never opened; replaced after a rename (base.mu) */
	char *target;      /* symlink target once read (base.mu) */
	uint64_t blocks, blksize, rdev; /* base.mu */
};

struct gofer_file {
	uint32_t fid; /* opened */
	uint32_t iounit;
	int host_fd;  /* donated by the gofer (regular files), or -1: I/O over 9P */
};

#define to_gi(ino) container_of(ino, struct gofer_inode, base)

static const struct inode_ops gofer_dir_iops, gofer_file_iops, gofer_link_iops;
static const struct file_ops gofer_dir_fops, gofer_file_fops;

static uint32_t gi_fid(struct gofer_inode *gi)
{
	uint32_t f;

	pthread_mutex_lock(&gi->base.mu);
	f = gi->fid;
	pthread_mutex_unlock(&gi->base.mu);
	return f;
}

/* Attributes from an Rgetattr into the inode. Preconditions: base.mu (or unshared). */
static void apply_stat(struct gofer_inode *gi, const struct p9_stat_dotl *st)
{
	struct inode *ino = &gi->base;

	if (st->valid & P9_GETATTR_MODE)
		ino->mode = (ino->mode & S_IFMT) | (st->mode & 07777);
	if (st->valid & P9_GETATTR_UID)
		ino->uid = st->uid;
	if (st->valid & P9_GETATTR_GID)
		ino->gid = st->gid;
	if (st->valid & P9_GETATTR_NLINK)
		ino->nlink = (uint32_t)st->nlink;
	if (st->valid & P9_GETATTR_SIZE)
		ino->size = (int64_t)st->size;
	if (st->valid & P9_GETATTR_ATIME)
		ino->atime = (struct timespec){ (time_t)st->atime_sec, (long)st->atime_nsec };
	if (st->valid & P9_GETATTR_MTIME)
		ino->mtime = (struct timespec){ (time_t)st->mtime_sec, (long)st->mtime_nsec };
	if (st->valid & P9_GETATTR_CTIME)
		ino->ctime = (struct timespec){ (time_t)st->ctime_sec, (long)st->ctime_nsec };
	if (st->valid & P9_GETATTR_BLOCKS)
		gi->blocks = st->blocks;
	gi->blksize = st->blksize ? st->blksize : 4096;
	if (st->valid & P9_GETATTR_RDEV)
		gi->rdev = st->rdev;
}

static int do_getattr(struct p9c *c, uint32_t fid, struct p9_stat_dotl *st)
{
	struct p9_msg t = { .type = P9_TGETATTR, .tgetattr = { fid, P9_GETATTR_BASIC } }, r;
	int e = p9c_call(c, &t, &r);

	if (e == 0) {
		*st = r.rgetattr.st;
		if (!(st->valid & P9_GETATTR_MODE))
			return -EIO; /* we cannot even tell the type */
	}
	return e;
}

static int gi_new(struct super *sb, struct p9c *c, uint32_t fid, const struct p9_stat_dotl *st,
		  struct gofer_inode **out)
{
	struct gofer_inode *gi = calloc(1, sizeof(*gi));
	const struct inode_ops *iops = &gofer_file_iops;
	const struct file_ops *fops = NULL;

	if (!gi)
		return -ENOMEM;
	switch (st->mode & S_IFMT) {
	case S_IFDIR:
		iops = &gofer_dir_iops;
		fops = &gofer_dir_fops;
		break;
	case S_IFREG:
		fops = &gofer_file_fops;
		if (pagecache_new(false, &gi->base.pagecache) < 0) {
			free(gi);
			return -ENOMEM;
		}
		break;
	case S_IFLNK:
		iops = &gofer_link_iops;
		break;
	default:
		break; /* fifos, sockets, devices: names only (opens are O_PATH-like) */
	}
	inode_init(&gi->base, iops, fops, sb, st->mode, st->uid, st->gid);
	if (st->valid & P9_GETATTR_INO)
		gi->base.ino = st->qid.path;
	gi->c = c;
	p9c_get(c);
	gi->fid = fid;
	apply_stat(gi, st);
	*out = gi;
	return 0;
}

/* Walk @name from @dirfid to a new fid (0 names: a clone). */
static int walk(struct p9c *c, uint32_t dirfid, const char *name, size_t len, uint32_t *newfid)
{
	struct p9_msg t = { .type = P9_TWALK }, r;
	int e;

	t.twalk.fid = dirfid;
	t.twalk.newfid = p9c_fid_alloc(c);
	t.twalk.nwname = name ? 1 : 0;
	if (name)
		t.twalk.wnames[0] = (struct p9_str){ name, len };
	e = p9c_call(c, &t, &r);
	if (e < 0)
		return e;
	if (r.rwalk.nwqid != t.twalk.nwname) {
		/* A partial walk creates no fid; a longer one is a protocol error. */
		if (r.rwalk.nwqid > t.twalk.nwname)
			return -EIO;
		return -ENOENT;
	}
	*newfid = t.twalk.newfid;
	return 0;
}

/* Walk one name from @dirfid to a new fid with its attributes: one Twalkgetattr round trip. */
static int walk_getattr(struct p9c *c, uint32_t dirfid, const char *name, size_t len,
			uint32_t *newfid, struct p9_stat_dotl *st)
{
	struct p9_msg t = { .type = P9_TWALKGETATTR }, r;
	int e;

	t.twalkgetattr.fid = dirfid;
	t.twalkgetattr.newfid = p9c_fid_alloc(c);
	t.twalkgetattr.nwname = 1;
	t.twalkgetattr.wnames[0] = (struct p9_str){ name, len };
	e = p9c_call(c, &t, &r);
	if (e < 0)
		return e;
	if (r.rwalkgetattr.nwqid != 1)
		return r.rwalkgetattr.nwqid > 1 ? -EIO : -ENOENT; /* a short walk makes no fid */
	*newfid = t.twalkgetattr.newfid;
	if (!(r.rwalkgetattr.st.valid & P9_GETATTR_MODE)) {
		p9c_clunk(c, *newfid);
		return -EIO; /* we cannot even tell the type */
	}
	*st = r.rwalkgetattr.st;
	return 0;
}

/* Walk @name in @dir and make its inode. */
static int walk_inode(struct inode *dir, const char *name, struct gofer_inode **out)
{
	struct gofer_inode *gd = to_gi(dir);
	struct p9_stat_dotl st;
	uint32_t fid;
	int e = walk_getattr(gd->c, gi_fid(gd), name, strlen(name), &fid, &st);

	if (e < 0)
		return e;
	e = gi_new(dir->sb, gd->c, fid, &st, out);
	if (e < 0)
		p9c_clunk(gd->c, fid);
	return e;
}

static int gofer_lookup(struct inode *dir, struct dentry *d)
{
	struct gofer_inode *gi;
	int e = walk_inode(dir, d->name, &gi);

	if (e < 0)
		return e == -ENOTDIR ? -ENOENT : e;
	dentry_instantiate(d, &gi->base);
	return 0;
}

/* After a change in @dir: refresh its attributes (link count, times) from the server. */
static void refresh(struct inode *ino)
{
	struct gofer_inode *gi = to_gi(ino);
	struct p9_stat_dotl st;

	if (do_getattr(gi->c, gi_fid(gi), &st) == 0) {
		pthread_mutex_lock(&ino->mu);
		apply_stat(gi, &st);
		pthread_mutex_unlock(&ino->mu);
	}
}

/* The new name @d in @dir exists on the server now: instantiate it. */
static int finish_new(struct inode *dir, struct dentry *d)
{
	struct gofer_inode *gi;
	int e = walk_inode(dir, d->name, &gi);

	if (e < 0)
		return e;
	dentry_instantiate(d, &gi->base);
	refresh(dir);
	return 0;
}

static uint32_t new_gid(struct inode *dir, const struct vfs_cred *cr)
{
	return (dir->mode & S_ISGID) ? dir->gid : cr->gid;
}

static int gofer_create(struct inode *dir, struct dentry *d, uint32_t mode,
			const struct vfs_cred *cr)
{
	struct p9_msg t = { .type = P9_TMKNOD };
	int e;

	t.tmknod.dfid = gi_fid(to_gi(dir));
	t.tmknod.name = P9_STR(d->name);
	t.tmknod.mode = S_IFREG | (mode & 07777);
	t.tmknod.gid = new_gid(dir, cr);
	e = p9c_call(to_gi(dir)->c, &t, NULL);
	return e < 0 ? e : finish_new(dir, d);
}

static int gofer_mkdir(struct inode *dir, struct dentry *d, uint32_t mode,
		       const struct vfs_cred *cr)
{
	struct p9_msg t = { .type = P9_TMKDIR };
	int e;

	t.tmkdir.dfid = gi_fid(to_gi(dir));
	t.tmkdir.name = P9_STR(d->name);
	t.tmkdir.mode = mode & 07777;
	t.tmkdir.gid = new_gid(dir, cr);
	e = p9c_call(to_gi(dir)->c, &t, NULL);
	return e < 0 ? e : finish_new(dir, d);
}

static int gofer_symlink(struct inode *dir, struct dentry *d, const char *target,
			 const struct vfs_cred *cr)
{
	struct p9_msg t = { .type = P9_TSYMLINK };
	int e;

	t.tsymlink.fid = gi_fid(to_gi(dir));
	t.tsymlink.name = P9_STR(d->name);
	t.tsymlink.symtgt = P9_STR(target);
	t.tsymlink.gid = new_gid(dir, cr);
	e = p9c_call(to_gi(dir)->c, &t, NULL);
	return e < 0 ? e : finish_new(dir, d);
}

static int gofer_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
	struct p9_msg t = { .type = P9_TLINK };
	int e;

	t.tlink.dfid = gi_fid(to_gi(dir));
	t.tlink.fid = gi_fid(to_gi(old->inode));
	t.tlink.name = P9_STR(d->name);
	e = p9c_call(to_gi(dir)->c, &t, NULL);
	if (e < 0)
		return e;
	refresh(old->inode);
	return finish_new(dir, d);
}

static int do_unlinkat(struct inode *dir, struct dentry *d, uint32_t flags)
{
	struct p9_msg t = { .type = P9_TUNLINKAT };
	int e;

	t.tunlinkat.dirfid = gi_fid(to_gi(dir));
	t.tunlinkat.name = P9_STR(d->name);
	t.tunlinkat.flags = flags;
	e = p9c_call(to_gi(dir)->c, &t, NULL);
	if (e < 0)
		return e;
	pthread_mutex_lock(&d->inode->mu);
	if (flags || d->inode->nlink <= 1)
		d->inode->nlink = 0;
	else
		d->inode->nlink--;
	inode_touch(d->inode, ATTR_CTIME);
	pthread_mutex_unlock(&d->inode->mu);
	refresh(dir);
	return 0;
}

static int gofer_unlink(struct inode *dir, struct dentry *d)
{
	return do_unlinkat(dir, d, 0);
}

static int gofer_rmdir(struct inode *dir, struct dentry *d)
{
	return do_unlinkat(dir, d, AT_REMOVEDIR);
}

static int gofer_rename(struct inode *odir, struct dentry *od, struct inode *ndir,
			struct dentry *nd, unsigned int flags)
{
	struct p9_msg t = { .type = P9_TRENAMEAT };
	struct gofer_inode *moved = to_gi(od->inode);
	uint32_t fid, old;
	int e;

	if (flags & RENAME_EXCHANGE)
		return -EINVAL; /* 9P2000.L has no exchange */
	t.trenameat.olddirfid = gi_fid(to_gi(odir));
	t.trenameat.oldname = P9_STR(od->name);
	t.trenameat.newdirfid = gi_fid(to_gi(ndir));
	t.trenameat.newname = P9_STR(nd->name);
	e = p9c_call(moved->c, &t, NULL);
	if (e < 0)
		return e;
	if (nd->inode) {
		pthread_mutex_lock(&nd->inode->mu);
		nd->inode->nlink = 0;
		pthread_mutex_unlock(&nd->inode->mu);
	}
	/* The server's fid names the file by (parent, name): walk it again at its new name. */
	if (walk(moved->c, gi_fid(to_gi(ndir)), nd->name, strlen(nd->name), &fid) == 0) {
		pthread_mutex_lock(&moved->base.mu);
		old = moved->fid;
		moved->fid = fid;
		pthread_mutex_unlock(&moved->base.mu);
		p9c_clunk(moved->c, old);
	}
	refresh(odir);
	if (ndir != odir)
		refresh(ndir);
	return 0;
}

static int gofer_get_link(struct inode *ino, char **out)
{
	struct gofer_inode *gi = to_gi(ino);
	struct p9_msg t = { .type = P9_TREADLINK, .treadlink.fid = gi_fid(gi) }, r;
	char *s = NULL;
	int e;

	pthread_mutex_lock(&ino->mu);
	if (gi->target)
		s = strdup(gi->target);
	pthread_mutex_unlock(&ino->mu);
	if (s) {
		*out = s;
		return 0;
	}
	p9c_lock(gi->c);
	e = p9c_rpc(gi->c, &t, &r);
	if (e == 0) {
		s = strndup(r.rreadlink.target.str, r.rreadlink.target.len);
		if (!s)
			e = -ENOMEM;
	}
	p9c_unlock(gi->c);
	if (e < 0)
		return e;
	pthread_mutex_lock(&ino->mu);
	if (!gi->target)
		gi->target = strdup(s);
	pthread_mutex_unlock(&ino->mu);
	*out = s;
	return 0;
}

static int gofer_getattr(struct inode *ino, struct stat *st)
{
	struct gofer_inode *gi = to_gi(ino);

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&ino->mu);
	st->st_dev = ino->sb->dev;
	st->st_ino = ino->ino;
	st->st_mode = ino->mode;
	st->st_nlink = ino->nlink;
	st->st_uid = ino->uid;
	st->st_gid = ino->gid;
	st->st_rdev = gi->rdev;
	st->st_size = ino->size;
	st->st_blksize = (blksize_t)gi->blksize;
	st->st_blocks = (blkcnt_t)gi->blocks;
	st->st_atim = ino->atime;
	st->st_mtim = ino->mtime;
	st->st_ctim = ino->ctime;
	pthread_mutex_unlock(&ino->mu);
	return 0;
}

static int gofer_setattr(struct inode *ino, const struct iattr *ia)
{
	struct gofer_inode *gi = to_gi(ino);
	struct p9_msg t = { .type = P9_TSETATTR };
	struct p9_iattr *a = &t.tsetattr.attr;
	int e;

	t.tsetattr.fid = gi_fid(gi);
	if (ia->valid & ATTR_MODE) {
		a->valid |= P9_SETATTR_MODE;
		a->mode = ia->mode & 07777;
	}
	if (ia->valid & ATTR_UID) {
		a->valid |= P9_SETATTR_UID;
		a->uid = ia->uid;
	}
	if (ia->valid & ATTR_GID) {
		a->valid |= P9_SETATTR_GID;
		a->gid = ia->gid;
	}
	if (ia->valid & ATTR_SIZE) {
		if (ia->size < 0)
			return -EINVAL;
		a->valid |= P9_SETATTR_SIZE;
		a->size = (uint64_t)ia->size;
	}
	if (ia->valid & ATTR_ATIME) {
		a->valid |= P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET;
		a->atime_sec = (uint64_t)ia->atime.tv_sec;
		a->atime_nsec = (uint64_t)ia->atime.tv_nsec;
	}
	if (ia->valid & ATTR_MTIME) {
		a->valid |= P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET;
		a->mtime_sec = (uint64_t)ia->mtime.tv_sec;
		a->mtime_nsec = (uint64_t)ia->mtime.tv_nsec;
	}
	if (ia->valid & ATTR_CTIME)
		a->valid |= P9_SETATTR_CTIME;
	e = p9c_call(gi->c, &t, NULL);
	if (e < 0)
		return e;
	if ((ia->valid & ATTR_SIZE) && ino->pagecache) /* mappings fault SIGBUS past it */
		pagecache_truncate(ino->pagecache, ia->size);
	refresh(ino);
	return 0;
}

static void gofer_release(struct inode *ino)
{
	struct gofer_inode *gi = to_gi(ino);

	p9c_clunk(gi->c, gi->fid);
	p9c_put(gi->c);
	pagecache_free(gi->base.pagecache);
	free(gi->target);
	free(gi);
}

/* Extended attributes: through the gofer (fs/gofer/xattr.c); nothing cached. */
static ssize_t gofer_getxattr(struct inode *ino, const char *name, void *buf, size_t size)
{
	return p9c_getxattr(to_gi(ino)->c, gi_fid(to_gi(ino)), name, buf, size);
}

static ssize_t gofer_listxattr(struct inode *ino, char *buf, size_t size)
{
	return p9c_getxattr(to_gi(ino)->c, gi_fid(to_gi(ino)), "", buf, size);
}

static int gofer_setxattr(struct inode *ino, const char *name, const void *value, size_t size,
			  int flags)
{
	return p9c_setxattr(to_gi(ino)->c, gi_fid(to_gi(ino)), name, value, size, (uint32_t)flags);
}

static int gofer_removexattr(struct inode *ino, const char *name)
{
	return p9c_setxattr(to_gi(ino)->c, gi_fid(to_gi(ino)), name, NULL, 0, P9_XATTR_REMOVE);
}

#define GOFER_XATTR_OPS                                                                      \
	.getxattr = gofer_getxattr, .listxattr = gofer_listxattr, .setxattr = gofer_setxattr, \
	.removexattr = gofer_removexattr

/* A gofer dentry is a cache of the server's tree: dropped, it is walked again on demand
 * (attributes refetched, the same st_ino from the qid). */
static bool gofer_evictable(struct dentry *d)
{
	(void)d;
	return true;
}

static const struct inode_ops gofer_dir_iops = {
	GOFER_XATTR_OPS,
	.lookup = gofer_lookup,
	.create = gofer_create,
	.mkdir = gofer_mkdir,
	.symlink = gofer_symlink,
	.link = gofer_link,
	.unlink = gofer_unlink,
	.rmdir = gofer_rmdir,
	.rename = gofer_rename,
	.getattr = gofer_getattr,
	.setattr = gofer_setattr,
	.release = gofer_release,
	.evictable = gofer_evictable,
};

static const struct inode_ops gofer_file_iops = {
	GOFER_XATTR_OPS,
	.getattr = gofer_getattr,
	.setattr = gofer_setattr,
	.release = gofer_release,
	.evictable = gofer_evictable,
};

static const struct inode_ops gofer_link_iops = {
	GOFER_XATTR_OPS,
	.get_link = gofer_get_link,
	.getattr = gofer_getattr,
	.setattr = gofer_setattr,
	.release = gofer_release,
	.evictable = gofer_evictable,
};

/* ---- open files ---- */

/*
 * Tlopen @fid for @f, asking for the gofer's host fd when @f is a regular file; a donated fd
 * that fails goferfs_hostfd_check is closed (I/O then goes over 9P).
 */
static int open_fid(struct gofer_inode *gi, struct file *f, uint32_t fid, struct gofer_file *gf)
{
	struct p9_msg t = { .type = P9_TLOPEN }, r;
	int accmode = f->flags & O_ACCMODE, fd, e;
	bool donate = S_ISREG(gi->base.mode) && goferfs_hostfd_reserve();

	t.tlopen.fid = fid;
	t.tlopen.flags = (uint32_t)accmode | (donate ? P9_OPEN_DONATE_FD : 0);
	p9c_lock(gi->c);
	e = p9c_rpc_fd(gi->c, &t, &r, &fd);
	p9c_unlock(gi->c);
	gf->host_fd = -1;
	if (e == 0 && fd >= 0) {
		e = goferfs_hostfd_check(fd, accmode, r.rlopen.qid.path);
		if (e < 0) {
			log_warn("gofer: donated fd refused (%d); using 9P I/O", e);
			host_close(fd);
			e = 0;
		} else {
			gf->host_fd = fd;
		}
	}
	if (donate && gf->host_fd < 0)
		goferfs_hostfd_unreserve();
	if (e < 0)
		return e;
	gf->iounit = r.rlopen.iounit;
	return 0;
}

static int gofer_open(struct file *f)
{
	struct gofer_inode *gi = to_gi(file_inode(f));
	struct gofer_file *gf = calloc(1, sizeof(*gf));
	uint32_t fid;
	int e;

	if (!gf)
		return -ENOMEM;
	e = walk(gi->c, gi_fid(gi), NULL, 0, &fid);
	if (e < 0) {
		free(gf);
		return e;
	}
	e = open_fid(gi, f, fid, gf);
	if (e < 0) {
		p9c_clunk(gi->c, fid);
		free(gf);
		return e;
	}
	gf->fid = fid;
	f->priv = gf;
	return 0;
}

static void gofer_file_release(struct file *f)
{
	struct gofer_file *gf = f->priv;

	if (gf) {
		if (gf->host_fd >= 0) {
			host_close(gf->host_fd);
			goferfs_hostfd_unreserve();
		}
		p9c_clunk(to_gi(file_inode(f))->c, gf->fid);
		free(gf);
	}
	free(f);
}

static uint32_t io_chunk(struct p9c *c, const struct gofer_file *gf)
{
	uint32_t n = p9c_msize(c) - P9_IOHDRSZ;

	if (gf->iounit && gf->iounit < n)
		n = gf->iounit;
	return n;
}

static ssize_t gofer_read(struct file *f, struct uio *dst, int64_t *pos)
{
	struct gofer_file *gf = f->priv;
	struct p9c *c = to_gi(file_inode(f))->c;
	uint32_t chunk = io_chunk(c, gf);
	ssize_t done = 0;
	char *buf = NULL;

	if (gf->host_fd >= 0)
		return goferfs_hostfd_read(gf->host_fd, dst, pos);
	/*
	 * Guest buffers are filled after the client lock is released: copying to guest memory
	 * can fault in a file mapping, whose page cache may read through this client.
	 */
	if (dst->mm && dst->resid) {
		buf = malloc(MIN(dst->resid, chunk));
		if (!buf)
			return -ENOMEM;
	}
	while (dst->resid) {
		uint32_t n = (uint32_t)MIN(dst->resid, chunk);
		struct p9_msg t = { .type = P9_TREAD, .tread = { gf->fid, (uint64_t)*pos, n } }, r;
		uint32_t count;
		ssize_t got;
		int e;

		p9c_lock(c);
		e = p9c_rpc(c, &t, &r);
		if (e == 0 && r.rread.count > n)
			e = -EIO;
		if (e < 0) {
			p9c_unlock(c);
			free(buf);
			return done ? done : e;
		}
		count = r.rread.count;
		if (buf) {
			memcpy(buf, r.rread.data, count);
			p9c_unlock(c);
			got = count ? uio_copy_out(dst, buf, count) : 0;
		} else {
			got = count ? uio_copy_out(dst, r.rread.data, count) : 0;
			p9c_unlock(c);
		}
		if (got < 0) {
			free(buf);
			return done ? done : got;
		}
		done += got;
		*pos += got;
		if ((uint32_t)got < n)
			break; /* EOF, or a fault part way */
	}
	free(buf);
	return done;
}

static ssize_t gofer_write(struct file *f, struct uio *src, int64_t *pos)
{
	struct gofer_file *gf = f->priv;
	struct inode *ino = file_inode(f);
	struct p9c *c = to_gi(ino)->c;
	uint32_t chunk = io_chunk(c, gf);
	size_t cap = (size_t)MIN(src->resid, chunk);
	ssize_t done = 0;
	char *buf;

	if (f->flags & O_APPEND) {
		int64_t size;
		bool fresh = false;

		/* The end of file is the host's: ask it (fstat on the donated fd is cheaper
		 * than a Tgetattr round trip). */
		if (gf->host_fd >= 0)
			fresh = goferfs_hostfd_size(gf->host_fd, &size) == 0;
		else
			refresh(ino);
		pthread_mutex_lock(&ino->mu);
		if (fresh)
			ino->size = size;
		*pos = ino->size;
		pthread_mutex_unlock(&ino->mu);
	}
	if (!src->resid)
		return 0;
	if (gf->host_fd >= 0) {
		done = goferfs_hostfd_write(gf->host_fd, ino, src, pos);
		goto out;
	}
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	while (src->resid) {
		ssize_t n = uio_copy_in(src, buf, MIN(src->resid, cap));
		struct p9_msg t = { .type = P9_TWRITE }, r;
		int e;

		if (n <= 0) {
			if (!done)
				done = n ? n : -EFAULT;
			break;
		}
		t.twrite = (struct p9_twrite){ gf->fid, (uint64_t)*pos, (uint32_t)n, (uint8_t *)buf };
		e = p9c_call(c, &t, &r);
		if (e == 0 && r.rwrite.count > (uint32_t)n)
			e = -EIO;
		if (e < 0) {
			if (!done)
				done = e;
			break;
		}
		if (ino->pagecache) /* mappings see what write(2) wrote */
			pagecache_write_through(ino->pagecache, *pos, buf, r.rwrite.count);
		done += r.rwrite.count;
		*pos += r.rwrite.count;
		if (r.rwrite.count < (uint32_t)n)
			break;
	}
	free(buf);
out:
	if (done > 0) {
		pthread_mutex_lock(&ino->mu);
		if (*pos > ino->size)
			ino->size = *pos;
		inode_touch(ino, ATTR_MTIME | ATTR_CTIME);
		pthread_mutex_unlock(&ino->mu);
	}
	return done;
}

static int gofer_fsync(struct file *f, bool datasync)
{
	struct gofer_file *gf = f->priv;
	struct p9_msg t = { .type = P9_TFSYNC, .tfsync = { gf->fid, datasync } };
	int e = vfs_file_writeback(f); /* shared mappings' pages first */

	if (e < 0)
		return e;
	return p9c_call(to_gi(file_inode(f))->c, &t, NULL);
}

/* Offsets are the server's cookies; "." and ".." come from the server too. */
static int gofer_iterate(struct file *f, struct dir_ctx *ctx)
{
	struct gofer_file *gf = f->priv;
	struct p9c *c = to_gi(file_inode(f))->c;
	uint32_t chunk = p9c_msize(c) - P9_READDIRHDRSZ;

	for (;;) {
		struct p9_msg t = { .type = P9_TREADDIR }, r;
		struct p9_dirent de;
		struct p9_buf b;
		int e, got = 0;

		t.treaddir = (struct p9_treaddir){ gf->fid, (uint64_t)ctx->pos, chunk };
		p9c_lock(c);
		e = p9c_rpc(c, &t, &r);
		if (e < 0) {
			p9c_unlock(c);
			return e;
		}
		p9_buf_init(&b, (void *)r.rreaddir.data, r.rreaddir.count);
		while ((e = p9_dirent_next(&b, &de)) == 1) {
			got++;
			if (!ctx->emit(ctx, de.name.str, de.name.len, de.qid.path, de.type,
				       (int64_t)de.offset)) {
				p9c_unlock(c);
				return 0;
			}
			ctx->pos = (int64_t)de.offset;
		}
		p9c_unlock(c);
		if (e < 0)
			return -EIO;
		if (!got)
			return 0;
	}
}

static int64_t gofer_dir_llseek(struct file *f, int64_t off, int whence)
{
	if (whence == SEEK_CUR)
		off += f->pos;
	else if (whence != SEEK_SET)
		return -EINVAL;
	if (off < 0)
		return -EINVAL;
	return off;
}

static const struct file_ops gofer_file_fops = {
	.open = gofer_open,
	.read = gofer_read,
	.write = gofer_write,
	.llseek = generic_file_llseek,
	.fsync = gofer_fsync,
	.release = gofer_file_release,
};

static const struct file_ops gofer_dir_fops = {
	.open = gofer_open,
	.iterate = gofer_iterate,
	.llseek = gofer_dir_llseek,
	.fsync = gofer_fsync,
	.release = gofer_file_release,
};

static atomic_ulong gofer_next_dev = 0x900;

int goferfs_new_root(int sock, bool readonly, struct dentry **out)
{
	struct p9_msg t = { .type = P9_TATTACH };
	struct gofer_inode *gi;
	struct p9_stat_dotl st;
	struct super *sb;
	struct dentry *d;
	struct p9c *c;
	uint32_t fid;
	int e = p9c_new(sock, 0, &c);

	if (e < 0)
		return e;
	fid = p9c_fid_alloc(c);
	t.tattach = (struct p9_tattach){ fid, P9_NOFID, P9_STR(""), P9_STR(""), (uint32_t)getuid() };
	e = p9c_call(c, &t, NULL);
	if (e == 0) {
		e = do_getattr(c, fid, &st);
		if (e == 0 && !S_ISDIR(st.mode))
			e = -ENOTDIR;
		if (e < 0)
			p9c_clunk(c, fid);
	}
	if (e < 0)
		goto out;
	sb = calloc(1, sizeof(*sb));
	if (!sb) {
		p9c_clunk(c, fid);
		e = -ENOMEM;
		goto out;
	}
	sb->dev = atomic_fetch_add(&gofer_next_dev, 1);
	sb->fstype = "9p";
	sb->rdonly = readonly; /* EROFS in the Sentry, before any request (the gofer refuses too) */
	atomic_init(&sb->next_ino, 1);
	refcount_init(&sb->ref);
	e = gi_new(sb, c, fid, &st, &gi);
	super_put(sb);
	if (e < 0) {
		p9c_clunk(c, fid);
		goto out;
	}
	e = dentry_new(NULL, "/", 1, &d);
	if (e < 0) {
		inode_put(&gi->base);
		goto out;
	}
	dentry_instantiate(d, &gi->base);
	*out = d;
out:
	p9c_put(c);
	return e;
}
