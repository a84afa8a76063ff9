// SPDX-License-Identifier: Apache-2.0
/*
 * Credentials: set*id with Linux's permission rules (CAP_SETUID/CAP_SETGID, else only ids
 * the task already has), capabilities(7) across uid changes (cap_task_fix_setuid) and
 * execve (the root rules, set-user/group-ID files), supplementary groups for permission
 * checks. Root in the sandbox is root of its own user namespace: it has every capability
 * here and none on the host.
 */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/vfs.h"
#include "sentry/kernel/kernel.h"

#define CAPBIT(c) (1ULL << (c))
#define KEEP (uint32_t)-1

/* capabilities(7): the ones a filesystem uid change raises or drops. */
#define CAP_FS_MASK (CAPBIT(CAP_CHOWN) | CAPBIT(CAP_DAC_OVERRIDE) | \
		     CAPBIT(CAP_DAC_READ_SEARCH) | CAPBIT(CAP_FOWNER) | CAPBIT(CAP_FSETID) | \
		     CAPBIT(CAP_LINUX_IMMUTABLE) | CAPBIT(CAP_MKNOD) | CAPBIT(CAP_MAC_OVERRIDE))

void creds_init(struct creds *c, uint32_t uid, uint32_t gid)
{
	memset(c, 0, sizeof(*c));
	c->ruid = c->euid = c->suid = c->fsuid = uid;
	c->rgid = c->egid = c->sgid = c->fsgid = gid;
	c->cap_bounding = CAP_FULL_SET;
	if (uid == 0)
		c->cap_effective = c->cap_permitted = CAP_FULL_SET;
}

bool task_capable(const struct task *t, int cap)
{
	return t->creds.cap_effective & CAPBIT(cap);
}

void task_vfs_cred(const struct task *t, bool fsids, struct vfs_cred *out)
{
	out->uid = fsids ? t->creds.fsuid : t->creds.ruid;
	out->gid = fsids ? t->creds.fsgid : t->creds.rgid;
	out->groups = t->creds.groups;
	out->ngroups = t->creds.ngroups;
}

/* Linux's cap_task_fix_setuid (without SECBIT_NO_SETUID_FIXUP). */
static void fix_caps(struct creds *c, uint32_t oruid, uint32_t oeuid, uint32_t osuid,
		     uint32_t ofsuid)
{
	bool was_root = oruid == 0 || oeuid == 0 || osuid == 0;
	bool now_root = c->ruid == 0 || c->euid == 0 || c->suid == 0;

	if (was_root && !now_root) {
		if (!c->keep_caps)
			c->cap_permitted = c->cap_effective = 0;
		c->cap_ambient = 0;
	}
	if (oeuid == 0 && c->euid != 0)
		c->cap_effective = 0;
	if (oeuid != 0 && c->euid == 0)
		c->cap_effective = c->cap_permitted;
	if (ofsuid == 0 && c->fsuid != 0)
		c->cap_effective &= ~CAP_FS_MASK;
	if (ofsuid != 0 && c->fsuid == 0)
		c->cap_effective |= c->cap_permitted & CAP_FS_MASK;
}

static bool one_of(uint32_t v, uint32_t a, uint32_t b, uint32_t c)
{
	return v == a || v == b || v == c;
}

int task_setresuid(struct task *t, uint32_t r, uint32_t e, uint32_t s)
{
	struct creds *c = &t->creds;
	uint32_t or = c->ruid, oe = c->euid, os = c->suid, ofs = c->fsuid;

	if (!task_capable(t, CAP_SETUID) &&
	    ((r != KEEP && !one_of(r, or, oe, os)) || (e != KEEP && !one_of(e, or, oe, os)) ||
	     (s != KEEP && !one_of(s, or, oe, os))))
		return -EPERM;
	if (r != KEEP)
		c->ruid = r;
	if (e != KEEP)
		c->euid = e;
	if (s != KEEP)
		c->suid = s;
	c->fsuid = c->euid;
	fix_caps(c, or, oe, os, ofs);
	return 0;
}

int task_setresgid(struct task *t, uint32_t r, uint32_t e, uint32_t s)
{
	struct creds *c = &t->creds;
	uint32_t or = c->rgid, oe = c->egid, os = c->sgid;

	if (!task_capable(t, CAP_SETGID) &&
	    ((r != KEEP && !one_of(r, or, oe, os)) || (e != KEEP && !one_of(e, or, oe, os)) ||
	     (s != KEEP && !one_of(s, or, oe, os))))
		return -EPERM;
	if (r != KEEP)
		c->rgid = r;
	if (e != KEEP)
		c->egid = e;
	if (s != KEEP)
		c->sgid = s;
	c->fsgid = c->egid;
	return 0;
}

/* setreuid(2): the saved id follows the new effective one when the real id is set or the
 * effective one moves away from the old real id. */
int task_setreuid(struct task *t, uint32_t r, uint32_t e)
{
	struct creds *c = &t->creds;
	uint32_t or = c->ruid, oe = c->euid, os = c->suid, ofs = c->fsuid;
	bool cap = task_capable(t, CAP_SETUID);

	if (!cap && ((r != KEEP && r != or && r != oe) ||
		     (e != KEEP && !one_of(e, or, oe, os))))
		return -EPERM;
	if (r != KEEP)
		c->ruid = r;
	if (e != KEEP)
		c->euid = e;
	if (r != KEEP || (e != KEEP && e != or))
		c->suid = c->euid;
	c->fsuid = c->euid;
	fix_caps(c, or, oe, os, ofs);
	return 0;
}

int task_setregid(struct task *t, uint32_t r, uint32_t e)
{
	struct creds *c = &t->creds;
	uint32_t or = c->rgid, oe = c->egid, os = c->sgid;
	bool cap = task_capable(t, CAP_SETGID);

	if (!cap && ((r != KEEP && r != or && r != oe) ||
		     (e != KEEP && !one_of(e, or, oe, os))))
		return -EPERM;
	if (r != KEEP)
		c->rgid = r;
	if (e != KEEP)
		c->egid = e;
	if (r != KEEP || (e != KEEP && e != or))
		c->sgid = c->egid;
	c->fsgid = c->egid;
	return 0;
}

int task_setuid(struct task *t, uint32_t uid)
{
	struct creds *c = &t->creds;
	uint32_t or = c->ruid, oe = c->euid, os = c->suid, ofs = c->fsuid;

	if (uid == KEEP)
		return -EINVAL;
	if (task_capable(t, CAP_SETUID)) {
		c->ruid = c->euid = c->suid = uid;
	} else if (uid == c->ruid || uid == c->suid) {
		c->euid = uid;
	} else {
		return -EPERM;
	}
	c->fsuid = c->euid;
	fix_caps(c, or, oe, os, ofs);
	return 0;
}

int task_setgid(struct task *t, uint32_t gid)
{
	struct creds *c = &t->creds;

	if (gid == KEEP)
		return -EINVAL;
	if (task_capable(t, CAP_SETGID))
		c->rgid = c->egid = c->sgid = gid;
	else if (gid == c->rgid || gid == c->sgid)
		c->egid = gid;
	else
		return -EPERM;
	c->fsgid = c->egid;
	return 0;
}

uint32_t task_setfsuid(struct task *t, uint32_t uid)
{
	struct creds *c = &t->creds;
	uint32_t old = c->fsuid;

	if (uid != KEEP && (task_capable(t, CAP_SETUID) ||
			    one_of(uid, c->ruid, c->euid, c->suid) || uid == c->fsuid)) {
		c->fsuid = uid;
		fix_caps(c, c->ruid, c->euid, c->suid, old);
	}
	return old;
}

uint32_t task_setfsgid(struct task *t, uint32_t gid)
{
	struct creds *c = &t->creds;
	uint32_t old = c->fsgid;

	if (gid != KEEP && (task_capable(t, CAP_SETGID) ||
			    one_of(gid, c->rgid, c->egid, c->sgid) || gid == c->fsgid))
		c->fsgid = gid;
	return old;
}

void creds_exec(struct creds *c, uint32_t mode, uint32_t uid, uint32_t gid)
{
	/* Set-user/group-ID files, unless no_new_privs (then Linux ignores the bits). */
	if (!c->no_new_privs) {
		if (mode & S_ISUID)
			c->euid = uid;
		if ((mode & S_ISGID) && (mode & S_IXGRP))
			c->egid = gid;
	}
	c->suid = c->fsuid = c->euid;
	c->sgid = c->fsgid = c->egid;
	/* capabilities(7), "root" rules: root gets the bounding set, effective if euid 0. */
	if (c->euid == 0 || c->ruid == 0) {
		c->cap_permitted = (c->cap_inheritable | c->cap_bounding) & CAP_FULL_SET;
		c->cap_effective = c->euid == 0 ? c->cap_permitted : 0;
		c->cap_ambient = 0;
	} else {
		c->cap_permitted = c->cap_ambient;
		c->cap_effective = c->cap_ambient;
	}
	c->keep_caps = false;
}
