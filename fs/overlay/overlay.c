// SPDX-License-Identifier: Apache-2.0
/*
 * The overlay filesystem (Linux's overlayfs as programs see it): a writable upper tree (a
 * tmpfs) over a read-only lower tree (the gofer's host "/"). Every overlay inode names the
 * real dentry of its upper and/or lower layer; lookups try upper then lower, directories
 * present in both merge. Anything that changes a lower file first copies it up (data, mode,
 * owner, times; parent directories first). Removing a name that exists in the lower layer
 * records a whiteout.
 *
 * Differences from overlayfs, all invisible to the guest:
 *  - whiteouts and opaqueness live in the overlay's own directory inodes (a list of hidden
 *    names) instead of char-device 0/0 files in the upper tmpfs. That is enough because the
 *    overlay's dentries, like tmpfs's, are never evicted: the tree is only pruned at unmount.
 *  - each overlay dentry has its own overlay inode (hard links made in the overlay share the
 *    upper inode and report the same st_ino).
 *  - renaming a directory that has a lower layer fails with EXDEV (overlayfs without
 *    redirect_dir); `mv` then copies. RENAME_EXCHANGE is EINVAL.
 * st_dev is the overlay's; st_ino is the lower file's (kept across copy-up), or the upper
 * file's with bit 62 set for files that only ever lived in the upper layer.
 * All inode ops run with vfs_tree_mu held (it is recursive: setattr copies up under it).
 */
#include "fs/vfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/compiler.h"

#define OVL_UPPER_INO_BIT (1ULL << 62)
#define COPY_CHUNK (64 * 1024)

struct ovl_fs {
	struct refcount ref;
	struct mount *upper, *lower; /* private mounts (not in the mount table) to open files */
	atomic_ulong tmp_seq;        /* names for copy-ups of unlinked files */
};

struct ovl_inode {
	struct inode base;
	struct ovl_fs *fs;
	struct dentry *upper; /* NULL until copied up; protected by vfs_tree_mu */
	struct dentry *lower; /* NULL for upper-only (and opaque) entries */
	struct dentry *alias; /* the overlay dentry naming it (not referenced): for copy-up */
	char **whiteouts;     /* directories: lower names hidden here */
	size_t nwhiteouts;
};

#define to_ovl(ino) container_of(ino, struct ovl_inode, base)

static const struct inode_ops ovl_iops;
static const struct file_ops ovl_file_fops, ovl_dir_fops;

static void ovl_fs_put(struct ovl_fs *fs)
{
	if (!refcount_dec(&fs->ref))
		return;
	mount_put(fs->upper);
	mount_put(fs->lower);
	free(fs);
}

static struct dentry *ovl_real(const struct ovl_inode *oi)
{
	return oi->upper ? oi->upper : oi->lower;
}

/* Copy the real file's attributes into the overlay inode (the VFS checks those). */
static void ovl_sync(struct ovl_inode *oi)
{
	struct stat st;

	if (vfs_getattr(ovl_real(oi)->inode, &st) < 0)
		return;
	pthread_mutex_lock(&oi->base.mu);
	oi->base.mode = st.st_mode;
	oi->base.uid = st.st_uid;
	oi->base.gid = st.st_gid;
	oi->base.nlink = (uint32_t)st.st_nlink;
	oi->base.size = st.st_size;
	oi->base.atime = st.st_atim;
	oi->base.mtime = st.st_mtim;
	oi->base.ctime = st.st_ctim;
	oi->base.rdev = st.st_rdev;
	pthread_mutex_unlock(&oi->base.mu);
}

/* A new overlay inode over @upper and/or @lower (references taken). */
static int ovl_inode_new(struct super *sb, struct ovl_fs *fs, struct dentry *upper,
			 struct dentry *lower, struct ovl_inode **out)
{
	struct ovl_inode *oi = calloc(1, sizeof(*oi));
	struct inode *real = (upper ? upper : lower)->inode;
	const struct file_ops *fops = NULL;

	if (!oi)
		return -ENOMEM;
	if (S_ISDIR(real->mode))
		fops = &ovl_dir_fops;
	else if (S_ISREG(real->mode))
		fops = &ovl_file_fops;
	else if (S_ISCHR(real->mode))
		fops = &vfs_chrdev_fops; /* devices of either layer open the Sentry's driver */
	else if (S_ISBLK(real->mode))
		fops = &vfs_blkdev_fops;
	inode_init(&oi->base, &ovl_iops, fops, sb, real->mode, real->uid, real->gid);
	oi->base.ino = lower ? lower->inode->ino : (upper->inode->ino | OVL_UPPER_INO_BIT);
	refcount_inc(&fs->ref);
	oi->fs = fs;
	if (upper)
		dentry_get(upper);
	if (lower)
		dentry_get(lower);
	oi->upper = upper;
	oi->lower = lower;
	ovl_sync(oi);
	*out = oi;
	return 0;
}

static void ovl_release(struct inode *ino)
{
	struct ovl_inode *oi = to_ovl(ino);

	if (oi->upper)
		dentry_put(oi->upper);
	if (oi->lower)
		dentry_put(oi->lower);
	for (size_t i = 0; i < oi->nwhiteouts; i++)
		free(oi->whiteouts[i]);
	free(oi->whiteouts);
	ovl_fs_put(oi->fs);
	free(oi);
}

static void ovl_instantiate(struct dentry *d, struct ovl_inode *oi)
{
	oi->alias = d;
	dentry_instantiate(d, &oi->base);
}

/* ---- whiteouts ---- */

static bool whiteout_has(const struct ovl_inode *dir, const char *name, size_t len)
{
	for (size_t i = 0; i < dir->nwhiteouts; i++)
		if (strlen(dir->whiteouts[i]) == len && !memcmp(dir->whiteouts[i], name, len))
			return true;
	return false;
}

/* Hide @name of the lower layer in @dir (nothing to hide if @dir has no lower layer). */
static int whiteout_add(struct ovl_inode *dir, const char *name)
{
	char **w;

	if (!dir->lower || whiteout_has(dir, name, strlen(name)))
		return 0;
	w = realloc(dir->whiteouts, (dir->nwhiteouts + 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	dir->whiteouts = w;
	w[dir->nwhiteouts] = strdup(name);
	if (!w[dir->nwhiteouts])
		return -ENOMEM;
	dir->nwhiteouts++;
	return 0;
}

/* ---- real layers ---- */

/* The child @name of real directory @dir (tree, then the filesystem's lookup); a reference. */
static int real_child(struct dentry *dir, const char *name, struct dentry **out)
{
	size_t len = strlen(name);
	struct dentry *d = dentry_child(dir, name, len);
	int r;

	if (d) {
		dentry_touch(d);
		dentry_get(d);
		*out = d;
		return 0;
	}
	if (!dir->inode->ops->lookup || dir->dead)
		return -ENOENT;
	r = dentry_new(dir, name, len, &d);
	if (r < 0)
		return r;
	r = dir->inode->ops->lookup(dir->inode, d);
	if (r < 0) {
		dentry_put(d);
		return r;
	}
	dentry_attach(d);
	*out = d;
	return 0;
}

/* Move upper dentry @d (in the tree) to @parent as @name, like the VFS does for renames. */
static int real_move(struct dentry *d, struct dentry *parent, const char *name)
{
	char *copy = strdup(name);
	struct dentry *oldp = d->parent;

	if (!copy)
		return -ENOMEM;
	dentry_get(d);
	dentry_detach(d);
	free(d->name);
	d->name = copy;
	dentry_get(parent);
	d->parent = parent;
	dentry_attach(d);
	dentry_put(d);
	dentry_put(oldp);
	return 0;
}

/* Copy the bytes of @from (lower layer) into @to (upper layer). */
static int copy_data(struct ovl_fs *fs, struct dentry *from, struct dentry *to)
{
	struct path lp = { fs->lower, from }, up = { fs->upper, to };
	struct file *in = NULL, *out = NULL;
	int64_t off = 0, woff = 0;
	char *buf = malloc(COPY_CHUNK);
	int r;

	if (!buf)
		return -ENOMEM;
	r = vfs_open_path(NULL, &lp, O_RDONLY, &in);
	if (r < 0)
		goto out;
	r = vfs_open_path(NULL, &up, O_WRONLY, &out);
	if (r < 0)
		goto out;
	for (;;) {
		ssize_t n = vfs_kernel_pread(in, buf, COPY_CHUNK, off);
		struct uio u;

		if (n <= 0) {
			r = (int)n;
			break;
		}
		off += n;
		uio_init_kernel(&u, buf, (uint64_t)n);
		while (u.resid) {
			ssize_t w = vfs_write(out, &u, &woff);
			if (w <= 0) {
				r = w ? (int)w : -EIO;
				goto out;
			}
		}
	}
out:
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	free(buf);
	return r;
}

/*
 * Copy every extended attribute of @from to @to (overlayfs's ovl_copy_xattr). Best effort on
 * the lower side: a file whose attributes cannot be read (no support, or a gofer that may
 * not open it, e.g. a directory without read permission) is copied up without them rather
 * than not at all. Only running out of memory or failing to store fails the copy-up.
 */
static int copy_xattrs(struct inode *from, struct inode *to)
{
	ssize_t n = from->ops->listxattr ? from->ops->listxattr(from, NULL, 0) : 0;
	char *names, *val = NULL;
	int r = 0;

	if (n <= 0)
		return n == -ENOMEM ? -ENOMEM : 0;
	names = malloc((size_t)n + 1);
	if (!names)
		return -ENOMEM;
	n = from->ops->listxattr(from, names, (size_t)n);
	if (n > 0)
		names[n] = '\0'; /* the last name ends even if the lower's list is malformed */
	for (ssize_t i = 0; r == 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
		const char *name = names + i;
		ssize_t len = from->ops->getxattr(from, name, NULL, 0);
		if (len < 0)
			continue; /* went away meanwhile, or unreadable */
		free(val);
		val = malloc((size_t)len + 1);
		if (!val) {
			r = -ENOMEM;
			break;
		}
		len = len ? from->ops->getxattr(from, name, val, (size_t)len) : 0;
		if (len < 0)
			continue; /* changed meanwhile (ERANGE) or went away */
		r = to->ops->setxattr ? to->ops->setxattr(to, name, val, (size_t)len, 0) : -EOPNOTSUPP;
	}
	free(val);
	free(names);
	return r;
}

/*
 * Make the upper copy of @oi's lower file as @name in upper directory @udir: same type,
 * data, mode, owner and times. *out is the new upper dentry (attached, one reference).
 */
static int copy_one(struct ovl_inode *oi, struct dentry *udir, const char *name, bool data,
		    struct dentry **out)
{
	struct inode *dir = udir->inode, *lo = oi->lower->inode;
	struct stat st;
	struct dentry *ud;
	struct vfs_cred cr;
	struct iattr ia;
	char *target = NULL;
	int r = vfs_getattr(lo, &st);

	if (r < 0)
		return r;
	cr = (struct vfs_cred){ st.st_uid, st.st_gid };
	r = dentry_new(udir, name, strlen(name), &ud);
	if (r < 0)
		return r;
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		r = dir->ops->mkdir ? dir->ops->mkdir(dir, ud, st.st_mode, &cr) : -EPERM;
		break;
	case S_IFREG:
		r = dir->ops->create ? dir->ops->create(dir, ud, st.st_mode, &cr) : -EPERM;
		break;
	case S_IFLNK:
		r = lo->ops->get_link ? lo->ops->get_link(lo, &target) : -EINVAL;
		if (r == 0)
			r = dir->ops->symlink ? dir->ops->symlink(dir, ud, target, &cr) : -EPERM;
		free(target);
		break;
	case S_IFCHR:
	case S_IFBLK:
		r = dir->ops->mknod ? dir->ops->mknod(dir, ud, st.st_mode, st.st_rdev, &cr) : -EPERM;
		break;
	case S_IFIFO:
	case S_IFSOCK:
		r = dir->ops->create ? dir->ops->create(dir, ud, st.st_mode, &cr) : -EPERM;
		break;
	default:
		r = -EOPNOTSUPP;
	}
	if (r < 0) {
		dentry_put(ud);
		return r;
	}
	dentry_attach(ud);
	if (S_ISREG(st.st_mode) && st.st_size && data) {
		r = copy_data(oi->fs, oi->lower, ud);
		if (r < 0)
			goto fail;
	}
	r = copy_xattrs(lo, ud->inode);
	if (r < 0)
		goto fail;
	if (!S_ISLNK(st.st_mode)) {
		ia = (struct iattr){ .valid = ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_ATIME | ATTR_MTIME,
				     .mode = st.st_mode, .uid = st.st_uid, .gid = st.st_gid,
				     .atime = st.st_atim, .mtime = st.st_mtim };
		r = vfs_setattr(ud->inode, &ia);
		if (r < 0)
			goto fail;
	}
	*out = ud;
	return 0;
fail:
	if (S_ISDIR(st.st_mode) ? dir->ops->rmdir(dir, ud) == 0 : dir->ops->unlink(dir, ud) == 0)
		dentry_detach(ud);
	dentry_put(ud);
	return r;
}

/*
 * Give @oi an upper copy (Linux's ovl_copy_up): its parents first. A file unlinked while
 * open is copied to a temporary upper name that is removed again at once. Without @data
 * the copy is empty (it is about to be truncated to 0).
 */
static int ovl_copy_up_data(struct ovl_inode *oi, bool data)
{
	struct dentry *d = oi->alias, *ud, *udir;
	struct ovl_inode *parent;
	char tmp[64];
	const char *name;
	int r = 0;

	pthread_mutex_lock(&vfs_tree_mu);
	if (oi->upper)
		goto out;
	if (!d || !d->parent) {
		r = -EIO;
		goto out;
	}
	if (d->dead) {
		if (S_ISDIR(oi->base.mode)) {
			r = -ENOENT;
			goto out;
		}
		parent = NULL;
		udir = oi->fs->upper->root;
		snprintf(tmp, sizeof(tmp), ".ovl-unlinked-%lu", atomic_fetch_add(&oi->fs->tmp_seq, 1));
		name = tmp;
	} else {
		parent = to_ovl(d->parent->inode);
		r = ovl_copy_up_data(parent, true);
		if (r < 0)
			goto out;
		udir = parent->upper;
		name = d->name;
	}
	r = copy_one(oi, udir, name, data, &ud);
	if (r < 0)
		goto out;
	if (!parent && udir->inode->ops->unlink(udir->inode, ud) == 0)
		dentry_detach(ud);
	oi->upper = ud;
	ovl_sync(oi);
out:
	pthread_mutex_unlock(&vfs_tree_mu);
	return r;
}

static int ovl_copy_up(struct ovl_inode *oi)
{
	return ovl_copy_up_data(oi, true);
}

/* ---- merged directory listings ---- */

struct ovl_ent {
	char *name;
	uint64_t ino;
	unsigned int type;
};

struct ovl_list {
	struct ovl_ent *e;
	size_t n, cap;
	struct ovl_inode *dir;
	size_t nupper; /* entries [0, nupper) came from the upper layer */
	bool lower;    /* collecting the lower layer: skip names the upper has or hides */
	int err;
};

struct collect_ctx {
	struct dir_ctx ctx;
	struct ovl_list *l;
};

static bool list_has(const struct ovl_list *l, const char *name, size_t len)
{
	for (size_t i = 0; i < l->nupper; i++)
		if (strlen(l->e[i].name) == len && !memcmp(l->e[i].name, name, len))
			return true;
	return false;
}

static bool collect_emit(struct dir_ctx *ctx, const char *name, size_t len, uint64_t ino,
			 unsigned int type, int64_t next_off)
{
	struct ovl_list *l = container_of(ctx, struct collect_ctx, ctx)->l;

	(void)next_off;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return true;
	if (l->lower && (list_has(l, name, len) || whiteout_has(l->dir, name, len)))
		return true;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct ovl_ent *e = realloc(l->e, cap * sizeof(*e));
		if (!e) {
			l->err = -ENOMEM;
			return false;
		}
		l->e = e;
		l->cap = cap;
	}
	l->e[l->n].name = strndup(name, len);
	if (!l->e[l->n].name) {
		l->err = -ENOMEM;
		return false;
	}
	l->e[l->n].ino = l->lower ? ino : (ino | OVL_UPPER_INO_BIT);
	l->e[l->n].type = type;
	l->n++;
	return true;
}

static void list_free(struct ovl_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->e[i].name);
	free(l->e);
	memset(l, 0, sizeof(*l));
}

/* Read the whole of real directory @d into @l. */
static int collect_real(struct mount *m, struct dentry *d, struct ovl_list *l)
{
	struct collect_ctx c = { .ctx = { .emit = collect_emit, .pos = 0 }, .l = l };
	struct path p = { m, d };
	struct file *f;
	int r = vfs_open_path(NULL, &p, O_RDONLY | O_DIRECTORY, &f);

	if (r < 0)
		return r;
	for (;;) {
		int64_t before = c.ctx.pos;
		size_t had = l->n;
		r = f->ops->iterate ? f->ops->iterate(f, &c.ctx) : -ENOTDIR;
		if (r < 0 || l->err)
			break;
		if (l->n == had && c.ctx.pos == before)
			break; /* nothing more */
	}
	file_put(f);
	return r < 0 ? r : l->err;
}

/*
 * The merged listing of @dir: the upper entries, then lower entries neither in the upper
 * layer nor whited out. Entries the overlay has looked up report the overlay's st_ino.
 */
static int ovl_list_dir(struct dentry *dir, struct ovl_list *l)
{
	struct ovl_inode *oi = to_ovl(dir->inode);
	int r = 0;

	memset(l, 0, sizeof(*l));
	l->dir = oi;
	pthread_mutex_lock(&vfs_tree_mu);
	if (oi->upper)
		r = collect_real(oi->fs->upper, oi->upper, l);
	l->nupper = l->n;
	l->lower = true;
	if (r == 0 && oi->lower)
		r = collect_real(oi->fs->lower, oi->lower, l);
	for (size_t i = 0; r == 0 && i < l->n; i++) {
		struct dentry *c = dentry_child(dir, l->e[i].name, strlen(l->e[i].name));
		if (c && c->inode)
			l->e[i].ino = c->inode->ino;
	}
	pthread_mutex_unlock(&vfs_tree_mu);
	if (r < 0)
		list_free(l);
	return r;
}

static int ovl_check_empty(struct dentry *d)
{
	struct ovl_list l;
	int r = ovl_list_dir(d, &l);

	if (r < 0)
		return r;
	r = l.n ? -ENOTEMPTY : 0;
	list_free(&l);
	return r;
}

/* ---- inode ops ---- */

static int ovl_lookup(struct inode *dir, struct dentry *d)
{
	struct ovl_inode *od = to_ovl(dir), *oi;
	struct dentry *u = NULL, *l = NULL;
	int r;

	if (od->upper) {
		r = real_child(od->upper, d->name, &u);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	/* An upper non-directory hides the lower name; a whiteout hides it (or makes an upper
	 * directory opaque). */
	if (od->lower && (!u || S_ISDIR(u->inode->mode)) &&
	    !whiteout_has(od, d->name, strlen(d->name))) {
		r = real_child(od->lower, d->name, &l);
		if (r < 0 && r != -ENOENT) {
			if (u)
				dentry_put(u);
			return r;
		}
		if (u && l && !S_ISDIR(l->inode->mode)) {
			dentry_put(l);
			l = NULL;
		}
	}
	if (!u && !l)
		return -ENOENT;
	r = ovl_inode_new(dir->sb, od->fs, u, l, &oi);
	if (u)
		dentry_put(u);
	if (l)
		dentry_put(l);
	if (r < 0)
		return r;
	ovl_instantiate(d, oi);
	return 0;
}

enum ovl_kind { OVL_REG, OVL_DIR, OVL_LNK, OVL_DEV };

/* create/mkdir/symlink: the parent is copied up, the new name lives in the upper layer. */
static int ovl_make(struct inode *dir, struct dentry *d, enum ovl_kind kind, uint32_t mode,
		    const char *target, uint64_t rdev, const struct vfs_cred *cr)
{
	struct ovl_inode *od = to_ovl(dir), *oi;
	struct dentry *ud;
	struct inode *udir;
	int r = ovl_copy_up(od);

	if (r < 0)
		return r;
	udir = od->upper->inode;
	r = dentry_new(od->upper, d->name, strlen(d->name), &ud);
	if (r < 0)
		return r;
	switch (kind) {
	case OVL_REG:
		r = udir->ops->create ? udir->ops->create(udir, ud, mode, cr) : -EPERM;
		break;
	case OVL_DIR:
		/* A new directory over a removed lower one must not show its old entries. */
		r = whiteout_add(od, d->name);
		if (r == 0)
			r = udir->ops->mkdir ? udir->ops->mkdir(udir, ud, mode, cr) : -EPERM;
		break;
	case OVL_LNK:
		r = udir->ops->symlink ? udir->ops->symlink(udir, ud, target, cr) : -EPERM;
		break;
	case OVL_DEV:
		r = udir->ops->mknod ? udir->ops->mknod(udir, ud, mode, rdev, cr) : -EPERM;
		break;
	}
	if (r == 0) {
		dentry_attach(ud);
		r = ovl_inode_new(dir->sb, od->fs, ud, NULL, &oi);
		if (r == 0)
			ovl_instantiate(d, oi);
	}
	dentry_put(ud);
	ovl_sync(od);
	return r;
}

static int ovl_create(struct inode *dir, struct dentry *d, uint32_t mode, const struct vfs_cred *cr)
{
	return ovl_make(dir, d, OVL_REG, mode, NULL, 0, cr);
}

static int ovl_mkdir(struct inode *dir, struct dentry *d, uint32_t mode, const struct vfs_cred *cr)
{
	return ovl_make(dir, d, OVL_DIR, mode, NULL, 0, cr);
}

static int ovl_symlink(struct inode *dir, struct dentry *d, const char *target,
		       const struct vfs_cred *cr)
{
	return ovl_make(dir, d, OVL_LNK, 0777, target, 0, cr);
}

static int ovl_mknod(struct inode *dir, struct dentry *d, uint32_t mode, uint64_t rdev,
		     const struct vfs_cred *cr)
{
	return ovl_make(dir, d, OVL_DEV, mode, NULL, rdev, cr);
}

/* O_TMPFILE: an unnamed file of the upper layer (overlayfs's ovl_tmpfile). */
static int ovl_tmpfile(struct inode *dir, struct dentry *d, uint32_t mode,
		       const struct vfs_cred *cr)
{
	struct ovl_inode *od = to_ovl(dir), *oi;
	struct dentry *ud;
	struct inode *udir;
	int r = ovl_copy_up(od);

	if (r < 0)
		return r;
	udir = od->upper->inode;
	if (!udir->ops->tmpfile)
		return -EOPNOTSUPP;
	r = dentry_new(od->upper, d->name, strlen(d->name), &ud);
	if (r < 0)
		return r;
	r = udir->ops->tmpfile(udir, ud, mode, cr);
	if (r == 0) {
		ud->dead = true;
		r = ovl_inode_new(dir->sb, od->fs, ud, NULL, &oi);
		if (r == 0) {
			oi->base.tmpfile = true;
			ovl_instantiate(d, oi);
		}
	}
	dentry_put(ud);
	return r;
}

static int ovl_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
	struct ovl_inode *oo = to_ovl(old->inode), *od = to_ovl(dir), *oi;
	struct dentry *ud;
	struct inode *udir;
	int r = ovl_copy_up(oo);

	if (r == 0)
		r = ovl_copy_up(od);
	if (r < 0)
		return r;
	udir = od->upper->inode;
	if (!udir->ops->link)
		return -EPERM;
	r = dentry_new(od->upper, d->name, strlen(d->name), &ud);
	if (r < 0)
		return r;
	r = udir->ops->link(oo->upper, udir, ud);
	if (r == 0) {
		dentry_attach(ud);
		r = ovl_inode_new(dir->sb, od->fs, ud, NULL, &oi);
		if (r == 0) {
			oi->base.ino = oo->base.ino; /* one file, one st_ino */
			ovl_instantiate(d, oi);
			ovl_sync(oo);
			oo->base.tmpfile = false;
		}
	}
	dentry_put(ud);
	ovl_sync(od);
	return r;
}

/* Remove @d's upper name (if any) and hide a lower one. */
static int ovl_remove(struct inode *dir, struct dentry *d, bool is_dir)
{
	struct ovl_inode *od = to_ovl(dir), *oi = to_ovl(d->inode);
	int r;

	if (is_dir) {
		r = ovl_check_empty(d);
		if (r < 0)
			return r;
	}
	r = whiteout_add(od, d->name);
	if (r < 0)
		return r;
	if (oi->upper) {
		struct inode *udir = oi->upper->parent->inode;
		r = is_dir ? udir->ops->rmdir(udir, oi->upper) : udir->ops->unlink(udir, oi->upper);
		if (r < 0)
			return r;
		dentry_detach(oi->upper);
		if (od->upper)
			ovl_sync(od);
	}
	pthread_mutex_lock(&oi->base.mu);
	if (is_dir || oi->base.nlink <= 1)
		oi->base.nlink = 0;
	else
		oi->base.nlink--;
	pthread_mutex_unlock(&oi->base.mu);
	return 0;
}

static int ovl_unlink(struct inode *dir, struct dentry *d)
{
	return ovl_remove(dir, d, false);
}

static int ovl_rmdir(struct inode *dir, struct dentry *d)
{
	return ovl_remove(dir, d, true);
}

static int ovl_rename(struct inode *odir, struct dentry *od, struct inode *ndir,
		      struct dentry *nd, unsigned int flags)
{
	struct ovl_inode *oo = to_ovl(odir), *on = to_ovl(ndir), *oi = to_ovl(od->inode);
	struct dentry *target = NULL, *neg = NULL, *ud;
	bool is_dir = S_ISDIR(oi->base.mode);
	int r;

	if (flags & (1 << 1) /* RENAME_EXCHANGE */)
		return -EINVAL;
	if (is_dir && oi->lower)
		return -EXDEV; /* no redirect_dir: the caller copies */
	if (nd->inode && S_ISDIR(nd->inode->mode)) {
		r = ovl_check_empty(nd);
		if (r < 0)
			return r;
	}
	r = ovl_copy_up(oi);
	if (r == 0)
		r = ovl_copy_up(on);
	if (r < 0)
		return r;
	/* Both the old name and (for a directory) the new one must hide the lower layer. */
	r = whiteout_add(oo, od->name);
	if (r == 0 && is_dir)
		r = whiteout_add(on, nd->name);
	if (r < 0)
		return r;
	ud = oi->upper;
	if (nd->inode && to_ovl(nd->inode)->upper) {
		target = to_ovl(nd->inode)->upper;
	} else {
		r = dentry_new(on->upper, nd->name, strlen(nd->name), &neg);
		if (r < 0)
			return r;
		target = neg;
	}
	r = ud->parent->inode->ops->rename(ud->parent->inode, ud, on->upper->inode, target, 0);
	if (r == 0) {
		if (!neg)
			dentry_detach(target);
		r = real_move(ud, on->upper, nd->name);
	}
	if (neg)
		dentry_put(neg);
	if (nd->inode) {
		struct ovl_inode *victim = to_ovl(nd->inode);
		pthread_mutex_lock(&victim->base.mu);
		victim->base.nlink = 0;
		pthread_mutex_unlock(&victim->base.mu);
	}
	if (oo->upper)
		ovl_sync(oo);
	ovl_sync(on);
	return r;
}

static int ovl_get_link(struct inode *ino, char **out)
{
	struct inode *real;
	int r;

	pthread_mutex_lock(&vfs_tree_mu);
	real = ovl_real(to_ovl(ino))->inode;
	r = real->ops->get_link ? real->ops->get_link(real, out) : -EINVAL;
	pthread_mutex_unlock(&vfs_tree_mu);
	return r;
}

static int ovl_getattr(struct inode *ino, struct stat *st)
{
	struct ovl_inode *oi = to_ovl(ino);
	bool merged;
	int r;

	pthread_mutex_lock(&vfs_tree_mu); /* oi->upper may be set by a copy-up */
	merged = oi->upper && oi->lower;
	r = vfs_getattr(ovl_real(oi)->inode, st);
	pthread_mutex_unlock(&vfs_tree_mu);
	if (r < 0)
		return r;
	st->st_dev = ino->sb->dev;
	st->st_ino = ino->ino;
	/* Like overlayfs: a merged directory's link count is unknown (find must not trust it). */
	if (merged && S_ISDIR(st->st_mode))
		st->st_nlink = 1;
	pthread_mutex_lock(&ino->mu);
	ino->mode = st->st_mode;
	ino->uid = st->st_uid;
	ino->gid = st->st_gid;
	ino->size = st->st_size;
	if (ino->nlink) /* an unlinked lower file still has its host links */
		ino->nlink = (uint32_t)st->st_nlink;
	else
		st->st_nlink = 0;
	pthread_mutex_unlock(&ino->mu);
	return 0;
}

static int ovl_setattr(struct inode *ino, const struct iattr *ia)
{
	struct ovl_inode *oi = to_ovl(ino);
	/* O_TRUNC and truncate to 0: no need to copy the bytes that go away. */
	bool data = !((ia->valid & ATTR_SIZE) && ia->size == 0);
	int r = ovl_copy_up_data(oi, data);

	if (r < 0)
		return r;
	r = vfs_setattr(oi->upper->inode, ia);
	ovl_sync(oi);
	return r;
}

/* ---- extended attributes: read from the real file, written to the upper copy ---- */

/* The real inode with a reference (oi->upper may be set by a concurrent copy-up). */
static struct inode *ovl_real_inode(struct ovl_inode *oi)
{
	struct inode *real;

	pthread_mutex_lock(&vfs_tree_mu);
	real = ovl_real(oi)->inode;
	inode_get(real);
	pthread_mutex_unlock(&vfs_tree_mu);
	return real;
}

static ssize_t ovl_getxattr(struct inode *ino, const char *name, void *buf, size_t size)
{
	struct inode *real = ovl_real_inode(to_ovl(ino));
	ssize_t r = real->ops->getxattr ? real->ops->getxattr(real, name, buf, size) : -EOPNOTSUPP;

	inode_put(real);
	return r;
}

static ssize_t ovl_listxattr(struct inode *ino, char *buf, size_t size)
{
	struct inode *real = ovl_real_inode(to_ovl(ino));
	ssize_t r = real->ops->listxattr ? real->ops->listxattr(real, buf, size) : 0;

	inode_put(real);
	return r == -EOPNOTSUPP ? 0 : r;
}

/* overlayfs's ovl_xattr_set: removing an attribute the lower file lacks copies nothing up. */
static int ovl_xattr_change(struct inode *ino, const char *name, const void *value,
			    size_t size, int flags, bool remove)
{
	struct ovl_inode *oi = to_ovl(ino);
	struct inode *up;
	int r;

	if (remove) {
		ssize_t n = ovl_getxattr(ino, name, NULL, 0);
		if (n < 0)
			return n == -EOPNOTSUPP ? -ENODATA : (int)n;
	}
	r = ovl_copy_up(oi);
	if (r < 0)
		return r;
	up = ovl_real_inode(oi);
	if (remove)
		r = up->ops->removexattr ? up->ops->removexattr(up, name) : -EOPNOTSUPP;
	else
		r = up->ops->setxattr ? up->ops->setxattr(up, name, value, size, flags)
				      : -EOPNOTSUPP;
	inode_put(up);
	ovl_sync(oi);
	return r;
}

static int ovl_setxattr(struct inode *ino, const char *name, const void *value, size_t size,
			int flags)
{
	return ovl_xattr_change(ino, name, value, size, flags, false);
}

static int ovl_removexattr(struct inode *ino, const char *name)
{
	return ovl_xattr_change(ino, name, NULL, 0, 0, true);
}

/*
 * Only entries that exist purely in the lower layer can be dropped and found again as they
 * were: an upper copy carries the st_ino of its lower file only while this inode lives, and
 * whiteouts live in the directory inode.
 */
static bool ovl_evictable(struct dentry *d)
{
	struct ovl_inode *oi = to_ovl(d->inode);

	return !oi->upper && !oi->nwhiteouts;
}

static const struct inode_ops ovl_iops = {
	.mknod = ovl_mknod,
	.tmpfile = ovl_tmpfile,
	.getxattr = ovl_getxattr,
	.listxattr = ovl_listxattr,
	.setxattr = ovl_setxattr,
	.removexattr = ovl_removexattr,
	.lookup = ovl_lookup,
	.create = ovl_create,
	.mkdir = ovl_mkdir,
	.symlink = ovl_symlink,
	.link = ovl_link,
	.unlink = ovl_unlink,
	.rmdir = ovl_rmdir,
	.rename = ovl_rename,
	.get_link = ovl_get_link,
	.getattr = ovl_getattr,
	.setattr = ovl_setattr,
	.release = ovl_release,
	.evictable = ovl_evictable,
};

/* ---- open files: a real file underneath (upper once written; a reader keeps the lower) ---- */

static int ovl_file_open(struct file *f)
{
	struct ovl_inode *oi = to_ovl(file_inode(f));
	struct file *real;
	struct path p;
	int r;

	if ((f->flags & O_ACCMODE) != O_RDONLY) {
		r = ovl_copy_up(oi);
		if (r < 0)
			return r;
	}
	pthread_mutex_lock(&vfs_tree_mu);
	p.mnt = oi->upper ? oi->fs->upper : oi->fs->lower;
	p.dentry = ovl_real(oi);
	path_get(&p);
	pthread_mutex_unlock(&vfs_tree_mu);
	r = vfs_open_path(NULL, &p, f->flags & ~(O_CREAT | O_EXCL | O_TRUNC), &real);
	path_put(&p);
	if (r < 0)
		return r;
	f->priv = real;
	return 0;
}

static void ovl_file_release(struct file *f)
{
	if (f->priv)
		file_put(f->priv);
	free(f);
}

static ssize_t ovl_read(struct file *f, struct uio *dst, int64_t *pos)
{
	return vfs_read(f->priv, dst, pos);
}

static ssize_t ovl_write(struct file *f, struct uio *src, int64_t *pos)
{
	struct file *real = f->priv;
	ssize_t r;

	real->flags = (real->flags & ~O_APPEND) | (f->flags & O_APPEND); /* fcntl(F_SETFL) */
	r = vfs_write(real, src, pos);
	return r;
}

/* Preconditions: f->pos_mu. The real file's position follows ours. */
static int64_t ovl_llseek(struct file *f, int64_t off, int whence)
{
	struct file *real = f->priv;
	int64_t r;

	pthread_mutex_lock(&real->pos_mu);
	real->pos = f->pos;
	r = vfs_llseek(real, off, whence);
	pthread_mutex_unlock(&real->pos_mu);
	return r;
}

static long ovl_ioctl(struct file *f, struct mm *mm, unsigned int cmd, uint64_t arg)
{
	return vfs_ioctl(f->priv, mm, cmd, arg);
}

static int ovl_fsync(struct file *f, bool datasync)
{
	return vfs_fsync(f->priv, datasync);
}

/* Mappings map the layer's page cache (overlayfs maps the real file too). */
static struct file *ovl_mmap_file(struct file *f)
{
	return f->priv;
}

static const struct file_ops ovl_file_fops = {
	.mmap_file = ovl_mmap_file,
	.open = ovl_file_open,
	.read = ovl_read,
	.write = ovl_write,
	.llseek = ovl_llseek,
	.ioctl = ovl_ioctl,
	.fsync = ovl_fsync,
	.release = ovl_file_release,
};

/* Directories: the merged listing is built when read from offset 0 (overlayfs's cache). */
struct ovl_dir_file {
	struct ovl_list l;
	bool valid;
};

static int ovl_dir_open(struct file *f)
{
	f->priv = calloc(1, sizeof(struct ovl_dir_file));
	return f->priv ? 0 : -ENOMEM;
}

static void ovl_dir_release(struct file *f)
{
	struct ovl_dir_file *df = f->priv;

	if (df) {
		list_free(&df->l);
		free(df);
	}
	free(f);
}

/* Offsets: 0 ".", 1 "..", then 2 + the index in the merged listing. */
static int ovl_iterate(struct file *f, struct dir_ctx *ctx)
{
	struct ovl_dir_file *df = f->priv;
	struct dentry *dir = f->path.dentry;
	int r;

	if (ctx->pos == 0 || !df->valid) {
		list_free(&df->l);
		df->valid = false;
		r = ovl_list_dir(dir, &df->l);
		if (r < 0)
			return r;
		df->valid = true;
	}
	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, dir->inode->ino, DT_DIR, 1))
			return 0;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		struct dentry *p = dir->parent ? dir->parent : dir;
		if (!ctx->emit(ctx, "..", 2, p->inode->ino, DT_DIR, 2))
			return 0;
		ctx->pos = 2;
	}
	for (size_t i = (size_t)ctx->pos - 2; i < df->l.n; i++) {
		struct ovl_ent *e = &df->l.e[i];
		if (!ctx->emit(ctx, e->name, strlen(e->name), e->ino, e->type, (int64_t)i + 3))
			return 0;
		ctx->pos = (int64_t)i + 3;
	}
	return 0;
}

static int64_t ovl_dir_llseek(struct file *f, int64_t off, int whence)
{
	if (whence == SEEK_CUR)
		off += f->pos;
	else if (whence != SEEK_SET)
		return -EINVAL;
	if (off < 0)
		return -EINVAL;
	return off;
}

static const struct file_ops ovl_dir_fops = {
	.open = ovl_dir_open,
	.iterate = ovl_iterate,
	.llseek = ovl_dir_llseek,
	.release = ovl_dir_release,
};

static atomic_ulong ovl_next_dev = 0x500;

int overlay_new_root(struct dentry *upper, struct dentry *lower, struct dentry **out)
{
	struct ovl_fs *fs = calloc(1, sizeof(*fs));
	struct super *sb = calloc(1, sizeof(*sb));
	struct ovl_inode *oi;
	struct stat st;
	struct iattr ia;
	struct dentry *d;
	int r = -ENOMEM;

	if (!fs || !sb)
		goto fail;
	refcount_init(&fs->ref);
	r = mount_new(upper, NULL, NULL, &fs->upper);
	if (r < 0)
		goto fail;
	r = mount_new(lower, NULL, NULL, &fs->lower);
	if (r < 0) {
		mount_put(fs->upper);
		goto fail;
	}
	/* The upper root looks like the lower one: "/" keeps its mode and owner. */
	if (vfs_getattr(lower->inode, &st) == 0) {
		ia = (struct iattr){ .valid = ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_ATIME | ATTR_MTIME,
				     .mode = st.st_mode, .uid = st.st_uid, .gid = st.st_gid,
				     .atime = st.st_atim, .mtime = st.st_mtim };
		vfs_setattr(upper->inode, &ia);
	}
	sb->dev = atomic_fetch_add(&ovl_next_dev, 1);
	sb->fstype = "overlay";
	atomic_init(&sb->next_ino, 1);
	refcount_init(&sb->ref);
	r = ovl_inode_new(sb, fs, upper, lower, &oi);
	super_put(sb);
	ovl_fs_put(fs); /* the inodes hold it from here on */
	if (r < 0)
		return r;
	r = dentry_new(NULL, "/", 1, &d);
	if (r < 0) {
		inode_put(&oi->base);
		return r;
	}
	ovl_instantiate(d, oi);
	*out = d;
	return 0;
fail:
	free(fs);
	free(sb);
	return r;
}
