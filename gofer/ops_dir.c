// SPDX-License-Identifier: Apache-2.0
/*
 * Gofer handlers that change directories: mkdir, mknod, symlink, link, unlinkat, renameat,
 * rename, remove. Every name is one validated component under a directory fid's fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/gofer_impl.h"

/* The directory fid @id, or NULL. */
static struct gofer_fid *dir_fid(struct gofer_conn *c, uint32_t id, int *err)
{
	struct gofer_fid *f = gofer_fid_lookup(c, id);

	*err = !f ? -EBADF : !S_ISDIR(f->mode) ? -ENOTDIR : 0;
	return *err ? NULL : f;
}

/*
 * After creating @name in @d: give it the attach uid and @gid (best effort when we lack
 * CAP_CHOWN) and report its qid. On failure the new entry is removed again.
 */
static int created(struct gofer_fid *d, const char *name, uint32_t gid, bool isdir,
		   struct p9_qid *qid)
{
	struct stat st;
	int ret = 0;

	if (d->uid != P9_NONUNAME &&
	    fchownat(d->fd, name, d->uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM)
		ret = -errno;
	if (!ret && fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		ret = -errno;
	if (ret < 0) {
		unlinkat(d->fd, name, isdir ? AT_REMOVEDIR : 0);
		return ret;
	}
	gofer_stat_to_qid(&st, qid);
	return 0;
}

int gofer_mkdir(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_tmkdir *t = &req->tmkdir;
	struct gofer_fid *d;
	char name[256];
	int ret;

	d = dir_fid(c, t->dfid, &ret);
	if (!d)
		return ret;
	ret = gofer_name(&t->name, name, sizeof(name));
	if (ret < 0)
		return ret;
	if (mkdirat(d->fd, name, t->mode & 07777) < 0)
		return -errno;
	return created(d, name, t->gid, true, &rep->rmkdir.qid);
}

int gofer_mknod(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_tmknod *t = &req->tmknod;
	mode_t type = t->mode & S_IFMT;
	struct gofer_fid *d;
	char name[256];
	int ret;

	d = dir_fid(c, t->dfid, &ret);
	if (!d)
		return ret;
	/* No device nodes, sockets bound by name, or anything a host driver would serve. */
	if (type != 0 && type != S_IFREG && type != S_IFIFO)
		return -EPERM;
	ret = gofer_name(&t->name, name, sizeof(name));
	if (ret < 0)
		return ret;
	if (mknodat(d->fd, name, (type ? type : S_IFREG) | (t->mode & 07777), 0) < 0)
		return -errno;
	return created(d, name, t->gid, false, &rep->rmknod.qid);
}

int gofer_symlink(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_tsymlink *t = &req->tsymlink;
	char name[256], target[4096];
	struct gofer_fid *d;
	int ret;

	d = dir_fid(c, t->fid, &ret);
	if (!d)
		return ret;
	ret = gofer_name(&t->name, name, sizeof(name));
	if (ret < 0)
		return ret;
	/* The target is only data: the gofer never follows it. */
	if (t->symtgt.len == 0)
		return -ENOENT;
	ret = p9_str_copy(&t->symtgt, target, sizeof(target));
	if (ret < 0)
		return ret;
	if (symlinkat(target, d->fd, name) < 0)
		return -errno;
	return created(d, name, t->gid, false, &rep->rsymlink.qid);
}

int gofer_link(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_tlink *t = &req->tlink;
	struct gofer_fid *d, *f = gofer_fid_lookup(c, t->fid);
	char name[256];
	int ret;

	d = dir_fid(c, t->dfid, &ret);
	if (!d)
		return ret;
	if (!f)
		return -EBADF;
	if (S_ISDIR(f->mode))
		return -EPERM;
	ret = gofer_name(&t->name, name, sizeof(name));
	if (ret < 0)
		return ret;
	/* Link the walked file itself (needs CAP_DAC_READ_SEARCH)... */
	if (linkat(f->fd, "", d->fd, name, AT_EMPTY_PATH) == 0)
		return 0;
	if ((errno != ENOENT && errno != EPERM) || f->parent_fd < 0)
		return -errno;
	/* ...else by its name, which linkat() never follows when it is a symlink. */
	return linkat(f->parent_fd, f->name, d->fd, name, 0) < 0 ? -errno : 0;
}

int gofer_unlinkat(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_tunlinkat *t = &req->tunlinkat;
	struct gofer_fid *d;
	char name[256];
	int ret;

	d = dir_fid(c, t->dirfid, &ret);
	if (!d)
		return ret;
	if (t->flags & ~(uint32_t)AT_REMOVEDIR)
		return -EINVAL;
	ret = gofer_name(&t->name, name, sizeof(name));
	if (ret < 0)
		return ret;
	return unlinkat(d->fd, name, (int)t->flags) < 0 ? -errno : 0;
}

int gofer_renameat(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_trenameat *t = &req->trenameat;
	struct gofer_fid *od, *nd;
	char oname[256], nname[256];
	int ret;

	od = dir_fid(c, t->olddirfid, &ret);
	if (!od)
		return ret;
	nd = dir_fid(c, t->newdirfid, &ret);
	if (!nd)
		return ret;
	ret = gofer_name(&t->oldname, oname, sizeof(oname));
	if (ret < 0)
		return ret;
	ret = gofer_name(&t->newname, nname, sizeof(nname));
	if (ret < 0)
		return ret;
	if (renameat(od->fd, oname, nd->fd, nname) < 0)
		return -errno;
	gofer_fid_renamed(c, od->fd, oname, nd->fd, nname);
	return 0;
}

int gofer_rename(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	const struct p9_trename *t = &req->trename;
	struct gofer_fid *nd, *f = gofer_fid_lookup(c, t->fid);
	char nname[256], oname[256];
	int ret;

	if (!f)
		return -EBADF;
	if (f->parent_fd < 0)
		return -EBUSY;	/* the root */
	nd = dir_fid(c, t->dfid, &ret);
	if (!nd)
		return ret;
	ret = gofer_name(&t->name, nname, sizeof(nname));
	if (ret < 0)
		return ret;
	snprintf(oname, sizeof(oname), "%s", f->name);
	if (renameat(f->parent_fd, oname, nd->fd, nname) < 0)
		return -errno;
	gofer_fid_renamed(c, f->parent_fd, oname, nd->fd, nname);
	return 0;
}

/* Tremove: unlink the fid's file and clunk the fid, whatever the outcome (9P). */
int gofer_remove(struct gofer_conn *c, const struct p9_msg *req, struct p9_msg *rep)
{
	struct gofer_fid *f = gofer_fid_lookup(c, req->tremove.fid);
	struct stat st;
	int ret = 0;

	if (!f)
		return -EBADF;
	if (f->parent_fd < 0) {
		ret = -EBUSY;
	} else if (fstatat(f->parent_fd, f->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		ret = -errno;
	} else if (st.st_dev != f->dev || st.st_ino != f->ino) {
		ret = -ESTALE;	/* the name now names another file */
	} else if (unlinkat(f->parent_fd, f->name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0) {
		ret = -errno;
	}
	gofer_fid_clunk(c, req->tremove.fid);
	return ret;
}
