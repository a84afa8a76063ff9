// SPDX-License-Identifier: Apache-2.0
/* A task's root and working directory (Linux's fs_struct), shared under CLONE_FS. */
#include "fs/vfs.h"

#include <errno.h>
#include <stdlib.h>

int fs_context_new(const struct path *root, struct fs_context **out)
{
	struct fs_context *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return -ENOMEM;
	refcount_init(&fs->ref);
	pthread_mutex_init(&fs->mu, NULL);
	path_get(root);
	path_get(root);
	fs->root = *root;
	fs->cwd = *root;
	*out = fs;
	return 0;
}

int fs_context_copy(struct fs_context *fs, struct fs_context **out)
{
	struct path root, cwd;
	int r;

	fs_context_paths(fs, &root, &cwd);
	r = fs_context_new(&root, out);
	if (r == 0)
		fs_context_set_cwd(*out, &cwd);
	path_put(&root);
	path_put(&cwd);
	return r;
}

void fs_context_get(struct fs_context *fs)
{
	refcount_inc(&fs->ref);
}

void fs_context_put(struct fs_context *fs)
{
	if (!refcount_dec(&fs->ref))
		return;
	path_put(&fs->root);
	path_put(&fs->cwd);
	pthread_mutex_destroy(&fs->mu);
	free(fs);
}

void fs_context_paths(struct fs_context *fs, struct path *root, struct path *cwd)
{
	pthread_mutex_lock(&fs->mu);
	*root = fs->root;
	*cwd = fs->cwd;
	path_get(root);
	path_get(cwd);
	pthread_mutex_unlock(&fs->mu);
}

void fs_context_set_cwd(struct fs_context *fs, const struct path *p)
{
	struct path old;

	path_get(p);
	pthread_mutex_lock(&fs->mu);
	old = fs->cwd;
	fs->cwd = *p;
	pthread_mutex_unlock(&fs->mu);
	path_put(&old);
}

void fs_context_set_root(struct fs_context *fs, const struct path *p)
{
	struct path old;

	path_get(p);
	pthread_mutex_lock(&fs->mu);
	old = fs->root;
	fs->root = *p;
	pthread_mutex_unlock(&fs->mu);
	path_put(&old);
}
