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
/* follow_link - nd->cur is the link's directory; resolve link @d's target into nd->cur. */
int read_link_body(struct nameidata *nd, struct dentry *link, char **body);
/* may_create - may @cr add a name to directory @dir? (ENOENT if it was removed, EACCES) */
int may_create(const struct vfs_cred *cr, struct dentry *dir);

#endif
