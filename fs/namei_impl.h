/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to fs/: the path walk's state, shared by namei.c, ops.c and open.c. */
#ifndef SBX_FS_NAMEI_IMPL_H
#define SBX_FS_NAMEI_IMPL_H

#include "fs/vfs.h"

enum last_type { LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT };

/* struct nameidata - one walk. @cur is owned; @root is borrowed from the vfs_start. */
struct nameidata {
	const struct vfs_cred *cr;
	struct path root;
	struct path cur;
	int links; /* symlinks followed so far: ELOOP past VFS_MAXSYMLINKS */
	uint64_t resolve;    /* VFS_RESOLVE_* */
	struct path beneath; /* RESOLVE_BENEATH: the start, never walked above (borrowed) */
	struct mount *xdev;  /* RESOLVE_NO_XDEV: the only mount the walk may be on */
	/* A magic link ended the walk on a file with no path (referenced); nd->cur is then the
	 * link's directory and means nothing. */
	struct file *magic_file;
};

/* struct last - the final component of a walk, left for the caller to act on. */
struct last {
	const char *name; /* points into the walked string */
	size_t len;
	enum last_type type;
	bool trailing; /* followed by one or more '/' */
};

/* All of these run with vfs_tree_mu held. */
void nd_init(struct nameidata *nd, const struct vfs_start *s);
void nd_done(struct nameidata *nd);
/* walk_parent - walk all but the last component of @path; nd->cur is its directory. */
int walk_parent(struct nameidata *nd, const char *path, struct last *l);
/* walk_last - resolve @l from nd->cur into nd->cur (positive), following a symlink if @follow. */
int walk_last(struct nameidata *nd, const struct last *l, bool follow);
/* parent_may_lookup - nd->cur must be a searchable directory (ENOTDIR, EACCES). */
int parent_may_lookup(struct nameidata *nd);
/* find_child - the positive child named by @l (LAST_NORM) with a reference, or NULL. */
int find_child(struct nameidata *nd, const struct last *l, struct dentry **out);
/* read_link_body - the target string of symlink @link, counting it (ELOOP past 40) and
 * enforcing RESOLVE_NO_SYMLINKS. */
int read_link_body(struct nameidata *nd, struct dentry *link, char **body);
/*
 * follow_magic - if @link is a magic link, jump nd->cur to its target (or set
 * nd->magic_file) and return 1; 0 for an ordinary symlink; < 0 on error (ELOOP with
 * RESOLVE_NO_MAGICLINKS, EXDEV under RESOLVE_BENEATH/IN_ROOT).
 */
int follow_magic(struct nameidata *nd, struct dentry *link);
/* may_create - may @cr add a name to directory @dir? (ENOENT if it was removed, EACCES) */
int may_create(const struct vfs_cred *cr, struct dentry *dir);

#endif
