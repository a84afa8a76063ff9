// SPDX-License-Identifier: Apache-2.0
/* File descriptor tables: a growable array of (file, fd flags), shared by CLONE_FILES. */
#include "fs/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct fd_slot {
	struct file *file;
	int flags;
};

struct fdtable {
	struct refcount ref;
	pthread_mutex_t mu;
	struct fd_slot *slots; /* protected by mu */
	unsigned int cap;      /* protected by mu */
};

int fdtable_new(struct fdtable **out)
{
	struct fdtable *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	refcount_init(&t->ref);
	pthread_mutex_init(&t->mu, NULL);
	*out = t;
	return 0;
}

/* A close by this table: its POSIX locks on the file's inode go (Linux's filp_close). */
static void fd_drop(struct fdtable *t, struct file *f)
{
	vfs_locks_close(f, t);
	file_put(f);
}

void fdtable_get(struct fdtable *t)
{
	refcount_inc(&t->ref);
}

void fdtable_put(struct fdtable *t)
{
	if (!refcount_dec(&t->ref))
		return;
	for (unsigned int i = 0; i < t->cap; i++)
		if (t->slots[i].file)
			fd_drop(t, t->slots[i].file);
	free(t->slots);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

int fdtable_next_fd(struct fdtable *t, int from)
{
	int fd = -1;

	if (from < 0)
		from = 0;
	pthread_mutex_lock(&t->mu);
	for (unsigned int i = (unsigned int)from; i < t->cap; i++) {
		if (t->slots[i].file) {
			fd = (int)i;
			break;
		}
	}
	pthread_mutex_unlock(&t->mu);
	return fd;
}

/* Preconditions: t->mu held. */
static int fdtable_grow(struct fdtable *t, unsigned int need)
{
	unsigned int cap = t->cap ? t->cap : 64;
	while (cap < need)
		cap *= 2;
	if (cap == t->cap)
		return 0;
	struct fd_slot *s = realloc(t->slots, cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + t->cap, 0, (cap - t->cap) * sizeof(*s));
	t->slots = s;
	t->cap = cap;
	return 0;
}

int fdtable_install(struct fdtable *t, int min, struct file *f, int fd_flags, unsigned long limit)
{
	int fd, r;

	if (min < 0 || (unsigned long)min >= limit)
		return -EINVAL;
	pthread_mutex_lock(&t->mu);
	for (fd = min; (unsigned int)fd < t->cap && t->slots[fd].file; fd++)
		;
	if ((unsigned long)fd >= limit) {
		pthread_mutex_unlock(&t->mu);
		return -EMFILE;
	}
	r = fdtable_grow(t, (unsigned int)fd + 1);
	if (r == 0) {
		file_get(f);
		t->slots[fd].file = f;
		t->slots[fd].flags = fd_flags;
		r = fd;
	}
	pthread_mutex_unlock(&t->mu);
	return r;
}

int fdtable_install_at(struct fdtable *t, int fd, struct file *f, int fd_flags, unsigned long limit)
{
	struct file *old = NULL;
	int r;

	if (fd < 0 || (unsigned long)fd >= limit)
		return -EBADF;
	pthread_mutex_lock(&t->mu);
	r = fdtable_grow(t, (unsigned int)fd + 1);
	if (r == 0) {
		old = t->slots[fd].file;
		file_get(f);
		t->slots[fd].file = f;
		t->slots[fd].flags = fd_flags;
		r = fd;
	}
	pthread_mutex_unlock(&t->mu);
	/* Drop the replaced file outside the lock: its release may block. */
	if (old)
		fd_drop(t, old);
	return r;
}

struct file *fdtable_get_file(struct fdtable *t, int fd, int *fd_flags)
{
	struct file *f = NULL;

	pthread_mutex_lock(&t->mu);
	if (fd >= 0 && (unsigned int)fd < t->cap && t->slots[fd].file) {
		f = t->slots[fd].file;
		file_get(f);
		if (fd_flags)
			*fd_flags = t->slots[fd].flags;
	}
	pthread_mutex_unlock(&t->mu);
	return f;
}

int fdtable_set_flags(struct fdtable *t, int fd, int fd_flags)
{
	int r = -EBADF;

	pthread_mutex_lock(&t->mu);
	if (fd >= 0 && (unsigned int)fd < t->cap && t->slots[fd].file) {
		t->slots[fd].flags = fd_flags;
		r = 0;
	}
	pthread_mutex_unlock(&t->mu);
	return r;
}

int fdtable_close(struct fdtable *t, int fd)
{
	struct file *f = NULL;

	pthread_mutex_lock(&t->mu);
	if (fd >= 0 && (unsigned int)fd < t->cap) {
		f = t->slots[fd].file;
		t->slots[fd].file = NULL;
	}
	pthread_mutex_unlock(&t->mu);
	if (!f)
		return -EBADF;
	fd_drop(t, f);
	return 0;
}

void fdtable_close_range(struct fdtable *t, unsigned int first, unsigned int last)
{
	for (;;) {
		struct file *f = NULL;

		pthread_mutex_lock(&t->mu);
		for (; first <= last && first < t->cap; first++) {
			if (t->slots[first].file) {
				f = t->slots[first].file;
				t->slots[first].file = NULL;
				break;
			}
		}
		pthread_mutex_unlock(&t->mu);
		if (!f)
			return;
		fd_drop(t, f);
	}
}

int fdtable_fork(struct fdtable *t, struct fdtable **out)
{
	struct fdtable *n;
	int r = fdtable_new(&n);

	if (r < 0)
		return r;
	pthread_mutex_lock(&t->mu);
	r = fdtable_grow(n, t->cap);
	for (unsigned int i = 0; r == 0 && i < t->cap; i++) {
		n->slots[i] = t->slots[i];
		if (n->slots[i].file)
			file_get(n->slots[i].file);
	}
	pthread_mutex_unlock(&t->mu);
	if (r < 0) {
		fdtable_put(n);
		return r;
	}
	*out = n;
	return 0;
}

void fdtable_close_on_exec(struct fdtable *t)
{
	for (unsigned int fd = 0;; fd++) {
		struct file *f = NULL;

		pthread_mutex_lock(&t->mu);
		for (; fd < t->cap; fd++) {
			if (t->slots[fd].file && (t->slots[fd].flags & FD_FLAG_CLOEXEC)) {
				f = t->slots[fd].file;
				t->slots[fd].file = NULL;
				t->slots[fd].flags = 0;
				break;
			}
		}
		pthread_mutex_unlock(&t->mu);
		if (!f)
			return;
		fd_drop(t, f);
	}
}
