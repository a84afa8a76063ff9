// SPDX-License-Identifier: Apache-2.0
/* Credentials: set*id, supplementary groups, capget/capset (sentry/kernel/creds.c). */
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/syscalls/sys_impl.h"

#define ARG_ID(i) ((uint32_t)a->a[i])

/*
 * Linux's commit_creds: once the effective or filesystem ids change (or permitted
 * capabilities grow), the process is no longer dumpable (its /proc files become root's,
 * /proc/PID/mem is closed to its old user) and its parent-death signal is cleared.
 */
struct ids {
	uint32_t euid, egid, fsuid, fsgid;
	uint64_t permitted;
};

static struct ids ids_of(const struct task *t)
{
	const struct creds *c = &t->creds;

	return (struct ids){ c->euid, c->egid, c->fsuid, c->fsgid, c->cap_permitted };
}

static long commit(struct task *t, struct ids o, long r)
{
	const struct creds *c = &t->creds;

	if (c->euid != o.euid || c->egid != o.egid || c->fsuid != o.fsuid ||
	    c->fsgid != o.fsgid || (c->cap_permitted & ~o.permitted)) {
		t->tg->dumpable = false; /* as prctl(PR_SET_DUMPABLE) writes it */
		t->pdeath_signal = 0;
	}
	return r;
}

long sys_setuid(struct task *t, const struct syscall_args *a)
{
	struct ids o = ids_of(t);

	return commit(t, o, task_setuid(t, ARG_ID(0)));
}

long sys_setgid(struct task *t, const struct syscall_args *a)
{
	struct ids o = ids_of(t);

	return commit(t, o, task_setgid(t, ARG_ID(0)));
}

long sys_setreuid(struct task *t, const struct syscall_args *a)
{
	struct ids o = ids_of(t);

	return commit(t, o, task_setreuid(t, ARG_ID(0), ARG_ID(1)));
}

long sys_setregid(struct task *t, const struct syscall_args *a)
{
	struct ids o = ids_of(t);

	return commit(t, o, task_setregid(t, ARG_ID(0), ARG_ID(1)));
}

long sys_setresuid(struct task *t, const struct syscall_args *a)
{
	struct ids o = ids_of(t);

	return commit(t, o, task_setresuid(t, ARG_ID(0), ARG_ID(1), ARG_ID(2)));
}

long sys_setresgid(struct task *t, const struct syscall_args *a)
{
	struct ids o = ids_of(t);

	return commit(t, o, task_setresgid(t, ARG_ID(0), ARG_ID(1), ARG_ID(2)));
}

long sys_setfsuid(struct task *t, const struct syscall_args *a)
{
	struct ids o = ids_of(t);

	return commit(t, o, task_setfsuid(t, ARG_ID(0)));
}

long sys_setfsgid(struct task *t, const struct syscall_args *a)
{
	struct ids o = ids_of(t);

	return commit(t, o, task_setfsgid(t, ARG_ID(0)));
}

long sys_getgroups(struct task *t, const struct syscall_args *a)
{
	int n = ARG_INT(0), have = t->creds.ngroups;

	if (n < 0)
		return -EINVAL;
	if (n == 0)
		return have;
	if (n < have)
		return -EINVAL;
	size_t len = (size_t)have * sizeof(uint32_t);
	if (have && mm_copy_out(t->mm, ARG_U(1), t->creds.groups, len) != (ssize_t)len)
		return -EFAULT;
	return have;
}

static int cmp_gid(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

long sys_setgroups(struct task *t, const struct syscall_args *a)
{
	int n = ARG_INT(0);
	uint32_t g[NGROUPS_MAX_K];

	if (!task_capable(t, CAP_SETGID))
		return -EPERM;
	if (n < 0 || n > 65536)
		return -EINVAL;
	if (n > NGROUPS_MAX_K)
		return -ENOMEM; /* more than this sandbox keeps per task */
	size_t len = (size_t)n * sizeof(uint32_t);
	if (n && mm_copy_in(t->mm, ARG_U(1), g, len) != (ssize_t)len)
		return -EFAULT;
	qsort(g, (size_t)n, sizeof(g[0]), cmp_gid); /* Linux keeps them sorted */
	memcpy(t->creds.groups, g, len);
	t->creds.ngroups = n;
	return 0;
}

/* capget/capset: versions 1 (one 32-bit set) and 2/3 (two). */
static int cap_words(uint32_t version)
{
	switch (version) {
	case _LINUX_CAPABILITY_VERSION_1:
		return 1;
	case _LINUX_CAPABILITY_VERSION_2:
	case _LINUX_CAPABILITY_VERSION_3:
		return 2;
	default:
		return 0;
	}
}

/* Read the header; a bad version gets the preferred one written back and EINVAL. */
static long cap_header(struct task *t, uint64_t addr, struct __user_cap_header_struct *h,
		       bool data)
{
	if (mm_copy_in(t->mm, addr, h, sizeof(*h)) != sizeof(*h))
		return -EFAULT;
	if (!cap_words(h->version)) {
		h->version = _LINUX_CAPABILITY_VERSION_3;
		if (mm_copy_out(t->mm, addr, h, sizeof(*h)) != sizeof(*h))
			return -EFAULT;
		return data ? -EINVAL : 0;
	}
	if (h->pid < 0)
		return -EINVAL;
	return 1;
}

long sys_capget(struct task *t, const struct syscall_args *a)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];
	struct creds c;
	long r = cap_header(t, ARG_U(0), &h, ARG_U(1) != 0);

	if (r <= 0)
		return r;
	if (h.pid && h.pid != t->tid) {
		r = task_get_creds(t->k, h.pid, &c);
		if (r < 0)
			return r;
	} else {
		c = t->creds;
	}
	if (!ARG_U(1))
		return 0;
	for (int i = 0; i < 2; i++) {
		d[i].effective = (uint32_t)(c.cap_effective >> (32 * i));
		d[i].permitted = (uint32_t)(c.cap_permitted >> (32 * i));
		d[i].inheritable = (uint32_t)(c.cap_inheritable >> (32 * i));
	}
	size_t len = (size_t)cap_words(h.version) * sizeof(d[0]);
	return mm_copy_out(t->mm, ARG_U(1), d, len) == (ssize_t)len ? 0 : -EFAULT;
}

long sys_capset(struct task *t, const struct syscall_args *a)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2] = { 0 };
	struct creds *c = &t->creds;
	long r = cap_header(t, ARG_U(0), &h, true);

	if (r <= 0)
		return r;
	if (h.pid && h.pid != t->tid)
		return -EPERM;
	size_t len = (size_t)cap_words(h.version) * sizeof(d[0]);
	if (mm_copy_in(t->mm, ARG_U(1), d, len) != (ssize_t)len)
		return -EFAULT;
	uint64_t eff = d[0].effective | (uint64_t)d[1].effective << 32;
	uint64_t perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	uint64_t inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	eff &= CAP_FULL_SET;
	perm &= CAP_FULL_SET;
	inh &= CAP_FULL_SET;
	/* capset(2): no new permitted bits; inheritable within permitted (or the bounding set
	 * with CAP_SETPCAP); effective within the new permitted. */
	if (perm & ~c->cap_permitted)
		return -EPERM;
	uint64_t inh_limit = c->cap_inheritable |
			     (task_capable(t, CAP_SETPCAP) ? c->cap_bounding : c->cap_permitted);
	if (inh & ~inh_limit)
		return -EPERM;
	if (eff & ~perm)
		return -EPERM;
	c->cap_effective = eff;
	c->cap_permitted = perm;
	c->cap_inheritable = inh;
	c->cap_ambient &= perm & inh;
	return 0;
}
