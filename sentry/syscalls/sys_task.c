// SPDX-License-Identifier: Apache-2.0
/* Task identity, exit, TLS, limits and system information. */
#include <asm/prctl.h>
#include <linux/capability.h>
#include <linux/prctl.h>
#include <sched.h>
#include <sys/random.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include "lib/compiler.h"
#include "sentry/host/host.h"
#include "sentry/syscalls/sys_impl.h"

#define KERNEL_RELEASE "6.1.0-sandbox"
#define KERNEL_VERSION "#1 SMP PREEMPT_DYNAMIC sandbox"

long sys_exit(struct task *t, const struct syscall_args *a)
{
	task_exit_thread_code(t, ARG_INT(0));
	return 0;
}

long sys_exit_group(struct task *t, const struct syscall_args *a)
{
	task_exit_group(t, (ARG_INT(0) & 0xff) << 8);
	return 0;
}

long sys_getpid(struct task *t, const struct syscall_args *a)
{
	return t->tg->tgid;
}

long sys_gettid(struct task *t, const struct syscall_args *a)
{
	return t->tid;
}

long sys_getppid(struct task *t, const struct syscall_args *a)
{
	return task_getppid(t);
}

long sys_getuid(struct task *t, const struct syscall_args *a)
{
	return t->creds.ruid;
}

long sys_geteuid(struct task *t, const struct syscall_args *a)
{
	return t->creds.euid;
}

long sys_getgid(struct task *t, const struct syscall_args *a)
{
	return t->creds.rgid;
}

long sys_getegid(struct task *t, const struct syscall_args *a)
{
	return t->creds.egid;
}

static long put_three(struct task *t, const struct syscall_args *a, uint32_t x, uint32_t y, uint32_t z)
{
	uint32_t v[3] = { x, y, z };
	for (int i = 0; i < 3; i++)
		if (mm_copy_out(t->mm, ARG_U(i), &v[i], sizeof(v[i])) != sizeof(v[i]))
			return -EFAULT;
	return 0;
}

long sys_getresuid(struct task *t, const struct syscall_args *a)
{
	return put_three(t, a, t->creds.ruid, t->creds.euid, t->creds.suid);
}

long sys_getresgid(struct task *t, const struct syscall_args *a)
{
	return put_three(t, a, t->creds.rgid, t->creds.egid, t->creds.sgid);
}

long sys_getpgrp(struct task *t, const struct syscall_args *a)
{
	return t->tg->pgid;
}

/* The caller's own process (prlimit, affinity, robust lists: other processes not yet). */
static bool is_self(struct task *t, int pid)
{
	return pid == 0 || pid == t->tg->tgid;
}

long sys_getpgid(struct task *t, const struct syscall_args *a)
{
	return task_getpgid(t, ARG_INT(0));
}

long sys_getsid(struct task *t, const struct syscall_args *a)
{
	return task_getsid(t, ARG_INT(0));
}

long sys_futex(struct task *t, const struct syscall_args *a)
{
	return task_futex(t, ARG_U(0), ARG_INT(1), (uint32_t)ARG_U(2), ARG_U(3), ARG_U(4),
			  (uint32_t)ARG_U(5));
}

long sys_set_tid_address(struct task *t, const struct syscall_args *a)
{
	t->clear_child_tid = ARG_U(0);
	return t->tid;
}

/* sizeof(struct robust_list_head) on x86-64. */
#define ROBUST_LIST_HEAD_SIZE 24

long sys_set_robust_list(struct task *t, const struct syscall_args *a)
{
	if (ARG_U(1) != ROBUST_LIST_HEAD_SIZE)
		return -EINVAL;
	t->robust_list = ARG_U(0);
	t->robust_len = ARG_U(1);
	return 0;
}

long sys_get_robust_list(struct task *t, const struct syscall_args *a)
{
	uint64_t len = ROBUST_LIST_HEAD_SIZE;

	if (!is_self(t, ARG_INT(0)) && ARG_INT(0) != t->tid)
		return -ESRCH;
	if (mm_copy_out(t->mm, ARG_U(1), &t->robust_list, 8) != 8 ||
	    mm_copy_out(t->mm, ARG_U(2), &len, 8) != 8)
		return -EFAULT;
	return 0;
}

long sys_rseq(struct task *t, const struct syscall_args *a)
{
	return -ENOSYS;
}

long sys_arch_prctl(struct task *t, const struct syscall_args *a)
{
	uint64_t v;

	switch (ARG_INT(0)) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		if (ARG_U(1) >= mm_max_addr(t->mm))
			return -EPERM;
		if (ARG_INT(0) == ARCH_SET_FS)
			t->regs.regs.fs_base = ARG_U(1);
		else
			t->regs.regs.gs_base = ARG_U(1);
		return 0;
	case ARCH_GET_FS:
	case ARCH_GET_GS:
		v = ARG_INT(0) == ARCH_GET_FS ? t->regs.regs.fs_base : t->regs.regs.gs_base;
		if (mm_copy_out(t->mm, ARG_U(1), &v, sizeof(v)) != sizeof(v))
			return -EFAULT;
		return 0;
	default:
		return -EINVAL;
	}
}

long sys_uname(struct task *t, const struct syscall_args *a)
{
	struct utsname u;

	memset(&u, 0, sizeof(u));
	strcpy(u.sysname, "Linux");
	uts_names(t, u.nodename, u.domainname);
	strcpy(u.release, KERNEL_RELEASE);
	strcpy(u.version, KERNEL_VERSION);
	strcpy(u.machine, "x86_64");
	if (mm_copy_out(t->mm, ARG_U(0), &u, sizeof(u)) != sizeof(u))
		return -EFAULT;
	return 0;
}

/* sethostname/setdomainname: Linux's order is the capability, the length, the copy. */
static long set_uts_name(struct task *t, const struct syscall_args *a, bool domain)
{
	char name[65];
	int64_t len = (int64_t)ARG_U(1);

	if (!task_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	if (len < 0 || len > 64)
		return -EINVAL;
	if (len && mm_copy_in(t->mm, ARG_U(0), name, (size_t)len) != len)
		return -EFAULT;
	return uts_set(t, domain, name, (size_t)len);
}

long sys_sethostname(struct task *t, const struct syscall_args *a)
{
	return set_uts_name(t, a, false);
}

long sys_setdomainname(struct task *t, const struct syscall_args *a)
{
	return set_uts_name(t, a, true);
}

long sys_sysinfo(struct task *t, const struct syscall_args *a)
{
	struct sysinfo si;
	struct timespec now;

	memset(&si, 0, sizeof(si));
	host_clock_gettime(CLOCK_MONOTONIC, &now);
	si.uptime = now.tv_sec - t->k->boot_mono.tv_sec;
	/* Report what the memory file may grow to and what is in use. */
	si.mem_unit = 1;
	si.totalram = 4UL << 30;
	si.freeram = si.totalram - memfile_used_bytes(t->k->mf);
	si.procs = (unsigned short)t->k->ntasks;
	if (mm_copy_out(t->mm, ARG_U(0), &si, sizeof(si)) != sizeof(si))
		return -EFAULT;
	return 0;
}

long sys_getrlimit(struct task *t, const struct syscall_args *a)
{
	struct rlimit rl;

	if (ARG_U(0) >= RLIM_NLIMITS_K)
		return -EINVAL;
	task_get_rlimit(t, ARG_INT(0), &rl);
	return mm_copy_out(t->mm, ARG_U(1), &rl, sizeof(rl)) == sizeof(rl) ? 0 : -EFAULT;
}

long sys_setrlimit(struct task *t, const struct syscall_args *a)
{
	struct rlimit rl;

	if (ARG_U(0) >= RLIM_NLIMITS_K)
		return -EINVAL;
	if (mm_copy_in(t->mm, ARG_U(1), &rl, sizeof(rl)) != sizeof(rl))
		return -EFAULT;
	return task_set_rlimit(t, ARG_INT(0), &rl);
}

long sys_prlimit64(struct task *t, const struct syscall_args *a)
{
	struct rlimit old, nw;
	int res = ARG_INT(1);
	int r;

	if (!is_self(t, ARG_INT(0)))
		return -ESRCH;
	if (res < 0 || res >= RLIM_NLIMITS_K)
		return -EINVAL;
	if (ARG_U(2) && mm_copy_in(t->mm, ARG_U(2), &nw, sizeof(nw)) != sizeof(nw))
		return -EFAULT;
	task_get_rlimit(t, res, &old);
	if (ARG_U(2)) {
		r = task_set_rlimit(t, res, &nw);
		if (r < 0)
			return r;
	}
	if (ARG_U(3) && mm_copy_out(t->mm, ARG_U(3), &old, sizeof(old)) != sizeof(old))
		return -EFAULT;
	return 0;
}

/* Linux serves up to MAX_RW_COUNT bytes per call from the CRNG; we do it in chunks. */
#define GETRANDOM_CHUNK 4096
#define GETRANDOM_MAX (0x7fffffffUL & ~4095UL)

long sys_getrandom(struct task *t, const struct syscall_args *a)
{
	uint8_t buf[GETRANDOM_CHUNK];
	uint64_t len = MIN(ARG_U(1), GETRANDOM_MAX), done = 0;
	unsigned int flags = (unsigned int)ARG_U(2);

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
		return -EINVAL;
	while (done < len) {
		size_t n = MIN(len - done, sizeof(buf));
		ssize_t r = host_getrandom(buf, n, GRND_NONBLOCK);
		if (r <= 0)
			return done ? (long)done : r;
		ssize_t c = mm_copy_out(t->mm, ARG_U(0) + done, buf, (size_t)r);
		if (c <= 0)
			return done ? (long)done : -EFAULT;
		done += (uint64_t)c;
		if (c < r)
			break;
	}
	return (long)done;
}

long sys_sched_yield(struct task *t, const struct syscall_args *a)
{
	sched_yield();
	return 0;
}

long sys_sched_getaffinity(struct task *t, const struct syscall_args *a)
{
	uint64_t mask = 0;
	uint64_t len = ARG_U(1);

	if (!is_self(t, ARG_INT(0)) && ARG_INT(0) != t->tid)
		return -ESRCH;
	if (len < sizeof(mask) || (len & (sizeof(mask) - 1)))
		return -EINVAL;
	for (unsigned int i = 0; i < t->k->ncpus && i < 64; i++)
		mask |= 1ULL << i;
	if (mm_copy_out(t->mm, ARG_U(2), &mask, sizeof(mask)) != sizeof(mask))
		return -EFAULT;
	return sizeof(mask);
}

long sys_sched_setaffinity(struct task *t, const struct syscall_args *a)
{
	if (!is_self(t, ARG_INT(0)) && ARG_INT(0) != t->tid)
		return -ESRCH;
	return 0;
}
