// SPDX-License-Identifier: Apache-2.0
/*
 * File locks, as Linux's fs/locks.c: POSIX record locks (fcntl F_SETLK/F_SETLKW/F_GETLK),
 * open-file-description locks (F_OFD_*) and flock(2), all advisory.
 *
 * Owners: a POSIX lock belongs to an fd table (Linux's fl_owner = current->files), so a
 * process's close of *any* fd of the inode drops its locks; an OFD or flock lock belongs to
 * the open file description and goes when its last reference does. POSIX and OFD locks
 * conflict with each other; flock locks live apart (Linux keeps them separate too).
 *
 * One table for the whole sandbox: a mutex, a list of locks per inode in a small hash, and
 * one wait queue that every change wakes (blocked lockers re-check). Deadlock detection
 * for blocking POSIX locks follows the chain "owner waits for the holder of a conflicting
 * lock" as Linux's posix_locks_deadlock does.
 */
#include "fs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "lib/abi/linux/errno.h"
#include "lib/waitq.h"

#define LOCK_BUCKETS 64
#define MAX_DEADLOCK_STEPS 10

enum lock_kind { LK_POSIX, LK_OFD, LK_FLOCK };

struct file_lock {
	struct file_lock *next;
	const struct inode *ino;
	enum lock_kind kind;
	const void *owner;  /* fd table (POSIX) or struct file (OFD, flock) */
	int type;           /* F_RDLCK / F_WRLCK */
	uint64_t start, end; /* inclusive */
	pid_t pid;
};

/* A blocked POSIX locker: who it waits for (deadlock detection). */
struct lock_blocker {
	struct lock_blocker *next;
	const void *owner, *waits_for;
};

static struct {
	pthread_mutex_t mu;
	struct file_lock *b[LOCK_BUCKETS];
	struct lock_blocker *blocked;
	struct waitq wq;
	long count; /* locks held, for the close fast path */
} lt = { .mu = PTHREAD_MUTEX_INITIALIZER };

static pthread_once_t lt_once = PTHREAD_ONCE_INIT;

static void lt_init(void)
{
	waitq_init(&lt.wq);
}

static struct file_lock **bucket(const struct inode *ino)
{
	return &lt.b[((uintptr_t)ino >> 6) % LOCK_BUCKETS];
}

static bool overlap(const struct file_lock *l, uint64_t start, uint64_t end)
{
	return l->start <= end && start <= l->end;
}

/* POSIX and OFD locks share one space; flock locks another. */
static bool same_space(enum lock_kind a, enum lock_kind b)
{
	return (a == LK_FLOCK) == (b == LK_FLOCK);
}

/* The first lock of another owner that a @type lock on [start, end] conflicts with. */
static struct file_lock *find_conflict(const struct inode *ino, enum lock_kind kind,
				       const void *owner, int type, uint64_t start, uint64_t end)
{
	for (struct file_lock *l = *bucket(ino); l; l = l->next) {
		if (l->ino != ino || !same_space(l->kind, kind) || l->owner == owner)
			continue;
		if (!overlap(l, start, end))
			continue;
		if (type == F_WRLCK || l->type == F_WRLCK)
			return l;
	}
	return NULL;
}

/* Would @owner waiting for @holder close a cycle of waiters? */
static bool would_deadlock(const void *owner, const void *holder)
{
	for (int i = 0; i < MAX_DEADLOCK_STEPS && holder; i++) {
		const void *next = NULL;

		if (holder == owner)
			return true;
		for (struct lock_blocker *b = lt.blocked; b; b = b->next)
			if (b->owner == holder)
				next = b->waits_for;
		holder = next;
	}
	return false;
}

static struct file_lock *lock_new(const struct inode *ino, enum lock_kind kind,
				  const void *owner, int type, uint64_t start, uint64_t end,
				  pid_t pid)
{
	struct file_lock *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->ino = ino;
	l->kind = kind;
	l->owner = owner;
	l->type = type;
	l->start = start;
	l->end = end;
	l->pid = pid;
	return l;
}

/*
 * Drop @owner's locks of @kind on [start, end] (splitting the ones that stick out), then
 * add @add if not NULL. Needs one spare lock for a split: *@spare, consumed if used.
 * Preconditions: lt.mu held.
 */
static void replace_range(const struct inode *ino, enum lock_kind kind, const void *owner,
			  uint64_t start, uint64_t end, struct file_lock *add,
			  struct file_lock **spare)
{
	struct file_lock **pp = bucket(ino);

	while (*pp) {
		struct file_lock *l = *pp;
		if (l->ino != ino || l->kind != kind || l->owner != owner || !overlap(l, start, end)) {
			pp = &l->next;
			continue;
		}
		if (l->start < start && l->end > end && *spare) {
			/* Split: l keeps the head, the spare takes the tail. */
			struct file_lock *tail = *spare;
			*spare = NULL;
			*tail = *l;
			tail->start = end + 1;
			l->end = start - 1;
			tail->next = l->next;
			l->next = tail;
			lt.count++;
			pp = &tail->next;
		} else if (l->start < start) {
			l->end = start - 1;
			pp = &l->next;
		} else if (l->end > end) {
			l->start = end + 1;
			pp = &l->next;
		} else {
			*pp = l->next;
			free(l);
			lt.count--;
		}
	}
	if (add) {
		add->next = *bucket(ino);
		*bucket(ino) = add;
		lt.count++;
	}
}

static int lock_common(struct inode *ino, enum lock_kind kind, const void *owner, pid_t pid,
		       int type, uint64_t start, uint64_t end, bool wait)
{
	struct file_lock *add = NULL, *spare = NULL;
	struct lock_blocker self = { .owner = owner };
	bool blocked = false;
	int r = 0;

	pthread_once(&lt_once, lt_init);
	if (type != F_UNLCK) {
		add = lock_new(ino, kind, owner, type, start, end, pid);
		if (!add)
			return -ENOLCK;
	}
	spare = lock_new(ino, kind, owner, 0, 0, 0, pid);
	if (!spare) {
		free(add);
		return -ENOLCK;
	}
	pthread_mutex_lock(&lt.mu);
	for (;;) {
		struct file_lock *c = add ? find_conflict(ino, kind, owner, type, start, end) : NULL;
		if (!c)
			break;
		if (!wait) {
			r = kind == LK_FLOCK ? -EWOULDBLOCK : -EAGAIN;
			break;
		}
		if (kind == LK_POSIX && c->kind == LK_POSIX && would_deadlock(owner, c->owner)) {
			r = -EDEADLK;
			break;
		}
		self.waits_for = c->owner;
		if (!blocked) {
			self.next = lt.blocked;
			lt.blocked = &self;
			blocked = true;
		}
		struct waitq_entry e;
		struct waiter *w = waiter_current();
		waitq_add(&lt.wq, &e, w);
		pthread_mutex_unlock(&lt.mu);
		int wr = waiter_wait(w, NULL);
		pthread_mutex_lock(&lt.mu);
		waitq_remove(&lt.wq, &e);
		if (wr == -EINTR) {
			r = -ERESTARTSYS;
			break;
		}
	}
	if (blocked) {
		for (struct lock_blocker **pp = &lt.blocked; *pp; pp = &(*pp)->next) {
			if (*pp == &self) {
				*pp = self.next;
				break;
			}
		}
	}
	if (r == 0) {
		replace_range(ino, kind, owner, start, end, add, &spare);
		add = NULL;
		waitq_wake_all(&lt.wq);
	}
	pthread_mutex_unlock(&lt.mu);
	free(add);
	free(spare);
	return r;
}

/* Turn an flock(2)-style l_whence/l_start/l_len into an inclusive range. */
static int lock_range(struct file *f, const struct flock *fl, uint64_t *start, uint64_t *end)
{
	int64_t base = 0, s, e;

	switch (fl->l_whence) {
	case SEEK_SET:
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END: {
		struct stat st;
		struct inode *ino = file_inode(f);
		if (!ino || vfs_getattr(ino, &st) < 0)
			return -EBADF;
		base = st.st_size;
		break;
	}
	default:
		return -EINVAL;
	}
	s = base + fl->l_start;
	if (s < 0)
		return -EINVAL;
	if (fl->l_len > 0) {
		e = s + fl->l_len - 1;
		if (e < s)
			return -EOVERFLOW;
	} else if (fl->l_len < 0) {
		/* A negative length locks the bytes before start (POSIX 2008). */
		e = s - 1;
		s += fl->l_len;
		if (s < 0)
			return -EINVAL;
	} else {
		e = INT64_MAX;
	}
	*start = (uint64_t)s;
	*end = e == INT64_MAX ? UINT64_MAX : (uint64_t)e;
	return 0;
}

int vfs_fcntl_lock(struct file *f, const void *files, pid_t pid, int cmd, struct flock *fl)
{
	struct inode *ino = file_inode(f);
	bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	enum lock_kind kind = ofd ? LK_OFD : LK_POSIX;
	const void *owner = ofd ? (const void *)f : files;
	uint64_t start, end;
	int r;

	if (!ino)
		return -EBADF; /* host stdio: nothing to lock */
	r = lock_range(f, fl, &start, &end);
	if (r < 0)
		return r;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		pthread_once(&lt_once, lt_init);
		pthread_mutex_lock(&lt.mu);
		struct file_lock *c = find_conflict(ino, kind, owner, fl->l_type, start, end);
		if (!c) {
			fl->l_type = F_UNLCK;
		} else {
			fl->l_type = (short)c->type;
			fl->l_whence = SEEK_SET;
			fl->l_start = (off_t)c->start;
			fl->l_len = c->end == UINT64_MAX ? 0 : (off_t)(c->end - c->start + 1);
			fl->l_pid = c->kind == LK_POSIX ? c->pid : -1;
		}
		pthread_mutex_unlock(&lt.mu);
		return 0;
	}
	return lock_common(ino, kind, owner, pid, fl->l_type, start, end,
			   cmd == F_SETLKW || cmd == F_OFD_SETLKW);
}

int vfs_flock(struct file *f, int op)
{
	struct inode *ino = file_inode(f);
	int type;

	if (!ino)
		return -EBADF;
	if (op & 32 /* LOCK_MAND */)
		return 0; /* Linux ignores the old mandatory-lock requests */
	switch (op & ~LOCK_NB) {
	case LOCK_SH:
		type = F_RDLCK;
		break;
	case LOCK_EX:
		type = F_WRLCK;
		break;
	case LOCK_UN:
		type = F_UNLCK;
		break;
	default:
		return -EINVAL;
	}
	/* A conversion first drops the old lock (not atomic, as on Linux). */
	if (type != F_UNLCK)
		lock_common(ino, LK_FLOCK, f, 0, F_UNLCK, 0, UINT64_MAX, false);
	return lock_common(ino, LK_FLOCK, f, 0, type, 0, UINT64_MAX, !(op & LOCK_NB));
}

/* Drop the locks @owner holds on @ino in the given spaces. */
static void drop_owner(const struct inode *ino, const void *owner, bool posix, bool per_file)
{
	if (!__atomic_load_n(&lt.count, __ATOMIC_RELAXED))
		return;
	pthread_once(&lt_once, lt_init);
	pthread_mutex_lock(&lt.mu);
	bool changed = false;
	for (struct file_lock **pp = bucket(ino); *pp;) {
		struct file_lock *l = *pp;
		bool mine = l->ino == ino && l->owner == owner &&
			    (l->kind == LK_POSIX ? posix : per_file);
		if (mine) {
			*pp = l->next;
			free(l);
			lt.count--;
			changed = true;
		} else {
			pp = &l->next;
		}
	}
	if (changed)
		waitq_wake_all(&lt.wq);
	pthread_mutex_unlock(&lt.mu);
}

void vfs_locks_close(struct file *f, const void *files)
{
	struct inode *ino = file_inode(f);

	if (ino)
		drop_owner(ino, files, true, false);
}

void vfs_locks_file_release(struct file *f)
{
	struct inode *ino = file_inode(f);

	if (ino)
		drop_owner(ino, f, false, true);
}
