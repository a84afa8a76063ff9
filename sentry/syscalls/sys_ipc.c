// SPDX-License-Identifier: Apache-2.0
/* System V IPC syscalls: copy in/out around sentry/kernel/sysv.c. */
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>

#include "sentry/host/host.h"
#include "sentry/syscalls/sys_impl.h"

#define IPC_CMD(c) ((c) & ~0x100) /* IPC_64 is implied on x86-64 */

long sys_msgget(struct task *t, const struct syscall_args *a)
{
	return sysv_msgget(t, (key_t)ARG_INT(0), ARG_INT(1));
}

long sys_msgsnd(struct task *t, const struct syscall_args *a)
{
	size_t len = ARG_U(2);
	long type;
	char *buf;
	long r;

	if ((long)len < 0 || len > 65536)
		return -EINVAL;
	if (mm_copy_in(t->mm, ARG_U(1), &type, sizeof(type)) != sizeof(type))
		return -EFAULT;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	r = len && mm_copy_in(t->mm, ARG_U(1) + sizeof(long), buf, len) != (ssize_t)len ? -EFAULT : 0;
	if (r == 0)
		r = sysv_msgsnd(t, ARG_INT(0), type, buf, len, ARG_INT(3));
	free(buf);
	return r;
}

long sys_msgrcv(struct task *t, const struct syscall_args *a)
{
	size_t max = ARG_U(2);
	long type = 0;
	char *buf;
	long r;

	if ((long)max < 0)
		return -EINVAL;
	if (max > 65536)
		max = 65536;
	buf = malloc(max ? max : 1);
	if (!buf)
		return -ENOMEM;
	r = sysv_msgrcv(t, ARG_INT(0), buf, max, (long)ARG_U(3), ARG_INT(4), &type);
	if (r >= 0 && (mm_copy_out(t->mm, ARG_U(1), &type, sizeof(type)) != sizeof(type) ||
		       (r && mm_copy_out(t->mm, ARG_U(1) + sizeof(long), buf, (size_t)r) != r)))
		r = -EFAULT; /* the message is gone, as on Linux */
	free(buf);
	return r;
}

long sys_msgctl(struct task *t, const struct syscall_args *a)
{
	int cmd = IPC_CMD(ARG_INT(1));
	union {
		struct msqid_ds ds;
		struct msginfo info;
	} u;
	size_t len = cmd == IPC_INFO || cmd == MSG_INFO ? sizeof(u.info) : sizeof(u.ds);
	long r;

	memset(&u, 0, sizeof(u));
	if (cmd == IPC_SET && mm_copy_in(t->mm, ARG_U(2), &u.ds, sizeof(u.ds)) != sizeof(u.ds))
		return -EFAULT;
	r = sysv_msgctl(t, ARG_INT(0), cmd, &u.ds);
	if (r >= 0 && cmd != IPC_SET && cmd != IPC_RMID &&
	    mm_copy_out(t->mm, ARG_U(2), &u, len) != (ssize_t)len)
		return -EFAULT;
	return r;
}

long sys_semget(struct task *t, const struct syscall_args *a)
{
	return sysv_semget(t, (key_t)ARG_INT(0), ARG_INT(1), ARG_INT(2));
}

static long semop_common(struct task *t, int id, uint64_t uops, uint64_t n, uint64_t uts)
{
	struct sembuf *ops;
	struct timespec dl, *dlp = NULL;
	long r;

	if (n < 1 || n > 500)
		return n < 1 ? -EINVAL : -E2BIG;
	if (uts) {
		struct timespec ts, now;
		if (mm_copy_in(t->mm, uts, &ts, sizeof(ts)) != sizeof(ts))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		host_clock_gettime(CLOCK_MONOTONIC, &now);
		dl.tv_sec = now.tv_sec + ts.tv_sec + (now.tv_nsec + ts.tv_nsec) / 1000000000L;
		dl.tv_nsec = (now.tv_nsec + ts.tv_nsec) % 1000000000L;
		dlp = &dl;
	}
	ops = malloc(n * sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	if (mm_copy_in(t->mm, uops, ops, n * sizeof(*ops)) != (ssize_t)(n * sizeof(*ops)))
		r = -EFAULT;
	else
		r = sysv_semop(t, id, ops, (int)n, dlp);
	free(ops);
	return r;
}

long sys_semop(struct task *t, const struct syscall_args *a)
{
	return semop_common(t, ARG_INT(0), ARG_U(1), ARG_U(2), 0);
}

long sys_semtimedop(struct task *t, const struct syscall_args *a)
{
	return semop_common(t, ARG_INT(0), ARG_U(1), ARG_U(2), ARG_U(3));
}

long sys_semctl(struct task *t, const struct syscall_args *a)
{
	int id = ARG_INT(0), num = ARG_INT(1), cmd = IPC_CMD(ARG_INT(2));
	uint64_t arg = ARG_U(3);
	union sysv_semarg *u = calloc(1, sizeof(*u));
	long r = 0;
	int n;

	if (!u)
		return -ENOMEM;
	switch (cmd) {
	case SETVAL:
		u->val = (int)arg; /* the union is passed by value: an int */
		break;
	case IPC_SET:
		if (mm_copy_in(t->mm, arg, &u->ds, sizeof(u->ds)) != sizeof(u->ds))
			r = -EFAULT;
		break;
	case SETALL:
		n = sysv_semset_size(t, id);
		if (n < 0)
			r = n;
		else if (mm_copy_in(t->mm, arg, u->vals, (size_t)n * 2) != (ssize_t)n * 2)
			r = -EFAULT;
		break;
	}
	if (r == 0)
		r = sysv_semctl(t, id, num, cmd, u);
	if (r >= 0) {
		size_t len = 0;
		const void *src = NULL;
		switch (cmd) {
		case IPC_STAT:
		case SEM_STAT:
			src = &u->ds;
			len = sizeof(u->ds);
			break;
		case IPC_INFO:
		case SEM_INFO:
			src = &u->info;
			len = sizeof(u->info);
			break;
		case GETALL:
			src = u->vals;
			len = (size_t)u->count * 2;
			break;
		}
		if (len && mm_copy_out(t->mm, arg, src, len) != (ssize_t)len)
			r = -EFAULT;
	}
	free(u);
	return r;
}

long sys_shmget(struct task *t, const struct syscall_args *a)
{
	return sysv_shmget(t, (key_t)ARG_INT(0), ARG_U(1), ARG_INT(2));
}

long sys_shmat(struct task *t, const struct syscall_args *a)
{
	uint64_t addr = 0;
	long r = sysv_shmat(t, ARG_INT(0), ARG_U(1), ARG_INT(2), &addr);

	return r < 0 ? r : (long)addr;
}

long sys_shmdt(struct task *t, const struct syscall_args *a)
{
	return sysv_shmdt(t, ARG_U(0));
}

long sys_shmctl(struct task *t, const struct syscall_args *a)
{
	int cmd = IPC_CMD(ARG_INT(1));
	union {
		struct shmid_ds ds;
		struct shminfo info;
		struct shm_info sinfo;
	} u;
	size_t len = cmd == IPC_INFO ? sizeof(u.info) : cmd == SHM_INFO ? sizeof(u.sinfo) : sizeof(u.ds);
	long r;

	memset(&u, 0, sizeof(u));
	if (cmd == IPC_SET && mm_copy_in(t->mm, ARG_U(2), &u.ds, sizeof(u.ds)) != sizeof(u.ds))
		return -EFAULT;
	r = sysv_shmctl(t, ARG_INT(0), cmd, &u.ds);
	if (r >= 0 && (cmd == IPC_STAT || cmd == SHM_STAT || cmd == IPC_INFO || cmd == SHM_INFO) &&
	    mm_copy_out(t->mm, ARG_U(2), &u, len) != (ssize_t)len)
		return -EFAULT;
	return r;
}
