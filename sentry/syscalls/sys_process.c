// SPDX-License-Identifier: Apache-2.0
/* Processes: fork, vfork, clone, clone3, execve, execveat, wait4, waitid, setpgid, setsid. */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "fs/vfs.h"
#include "sentry/syscalls/sys_impl.h"

long sys_fork(struct task *t, const struct syscall_args *a)
{
	struct clone_args_k ca = { .exit_signal = SIGCHLD };

	return task_clone(t, &ca);
}

long sys_vfork(struct task *t, const struct syscall_args *a)
{
	struct clone_args_k ca = { .flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD };

	return task_clone(t, &ca);
}

long sys_clone(struct task *t, const struct syscall_args *a)
{
	/* x86-64: clone(flags, stack, parent_tid, child_tid, tls). */
	struct clone_args_k ca = {
		.flags = ARG_U(0) & ~0xffULL,
		.exit_signal = (int)(ARG_U(0) & 0xff),
		.stack = ARG_U(1),
		.parent_tid = ARG_U(2),
		.child_tid = ARG_U(3),
		.tls = ARG_U(4),
	};

	return task_clone(t, &ca);
}

/* struct clone_args up to CLONE_ARGS_SIZE_VER2. */
struct clone_args3 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
		set_tid, set_tid_size, cgroup;
};

long sys_clone3(struct task *t, const struct syscall_args *a)
{
	struct clone_args3 u;
	uint64_t size = ARG_U(1);
	struct clone_args_k ca;

	memset(&u, 0, sizeof(u));
	if (size < 64 || size > 4096)
		return -EINVAL;
	if (mm_copy_in(t->mm, ARG_U(0), &u, size < sizeof(u) ? size : sizeof(u)) !=
	    (ssize_t)(size < sizeof(u) ? size : sizeof(u)))
		return -EFAULT;
	if (size > sizeof(u)) {
		/* Unknown trailing fields must be zero. */
		uint8_t z[256];
		for (uint64_t off = sizeof(u); off < size; off += sizeof(z)) {
			size_t n = size - off < sizeof(z) ? size - off : sizeof(z);
			if (mm_copy_in(t->mm, ARG_U(0) + off, z, n) != (ssize_t)n)
				return -EFAULT;
			for (size_t i = 0; i < n; i++)
				if (z[i])
					return -E2BIG;
		}
	}
	if ((u.flags & 0xff) || u.exit_signal > KSIG_MAX || u.set_tid || u.set_tid_size)
		return -EINVAL;
	if ((u.stack == 0) != (u.stack_size == 0))
		return -EINVAL;
	if (u.flags & CLONE_INTO_CGROUP)
		return -EINVAL;
	ca = (struct clone_args_k){ .flags = u.flags, .exit_signal = (int)u.exit_signal,
				    .stack = u.stack, .stack_size = u.stack_size,
				    .parent_tid = u.parent_tid, .child_tid = u.child_tid,
				    .tls = u.tls };
	return task_clone(t, &ca);
}

long sys_execve(struct task *t, const struct syscall_args *a)
{
	return task_execve(t, AT_FDCWD, ARG_U(0), ARG_U(1), ARG_U(2), 0);
}

long sys_execveat(struct task *t, const struct syscall_args *a)
{
	return task_execve(t, ARG_INT(0), ARG_U(1), ARG_U(2), ARG_U(3), ARG_INT(4));
}

static long put_rusage(struct task *t, uint64_t addr)
{
	struct rusage ru;

	if (!addr)
		return 0;
	memset(&ru, 0, sizeof(ru));
	return mm_copy_out(t->mm, addr, &ru, sizeof(ru)) == sizeof(ru) ? 0 : -EFAULT;
}

long sys_wait4(struct task *t, const struct syscall_args *a)
{
	int pid = ARG_INT(0), options = ARG_INT(2), idtype, status = 0;
	pid_t id = 0, got = 0;
	uint32_t uid;
	long r;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	if (pid > 0) {
		idtype = P_PID;
		id = pid;
	} else if (pid == -1) {
		idtype = P_ALL;
	} else {
		idtype = P_PGID;
		id = pid == 0 ? t->tg->pgid : -pid;
	}
	r = task_wait(t, idtype, id,
		      (options & (WNOHANG | WCONTINUED)) | ((options & WUNTRACED) ? WSTOPPED : 0) |
			      WEXITED,
		      &got, &status, &uid);
	if (r == -EINTR)
		return -ERESTARTSYS;
	if (r <= 0)
		return r;
	if (ARG_U(1) && mm_copy_out(t->mm, ARG_U(1), &status, sizeof(status)) != sizeof(status))
		return -EFAULT;
	r = put_rusage(t, ARG_U(3));
	return r < 0 ? r : got;
}

long sys_waitid(struct task *t, const struct syscall_args *a)
{
	int idtype = ARG_INT(0), options = ARG_INT(3), status = 0;
	pid_t id = ARG_INT(1), got = 0;
	struct linux_siginfo si;
	uint32_t uid = 0;
	long r;

	if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD |
			__WCLONE | __WALL))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	switch (idtype) {
	case P_ALL:
		break;
	case P_PID:
	case P_PGID:
		if (id < 0)
			return -EINVAL;
		if (idtype == P_PID && id == 0)
			return -EINVAL;
		if (idtype == P_PGID && id == 0)
			id = t->tg->pgid;
		break;
	case P_PIDFD: {
		struct file *f = fdtable_get_file(t->fdt, id, NULL);
		if (!f)
			return -EBADF;
		id = pidfd_pid(f);
		file_put(f);
		if (id < 0)
			return -EBADF;
		idtype = P_PID;
		break;
	}
	default:
		return -EINVAL;
	}
	r = task_wait(t, idtype, id, options, &got, &status, &uid);
	if (r == -EINTR)
		return -ERESTARTSYS;
	if (r < 0)
		return r;
	memset(&si, 0, sizeof(si));
	if (r > 0) {
		int32_t st;

		si.si_signo = SIGCHLD;
		if (status == 0xffff) {
			si.si_code = CLD_CONTINUED;
			st = SIGCONT;
		} else if ((status & 0xff) == 0x7f) {
			si.si_code = CLD_STOPPED;
			st = (status >> 8) & 0xff;
		} else if ((status & 0x7f) == 0) {
			si.si_code = CLD_EXITED;
			st = (status >> 8) & 0xff;
		} else {
			si.si_code = (status & 0x80) ? CLD_DUMPED : CLD_KILLED;
			st = status & 0x7f;
		}
		si.kill.pid = got;
		si.kill.uid = uid;
		memcpy(si.raw + 8, &st, sizeof(st));
	}
	if (ARG_U(2) && mm_copy_out(t->mm, ARG_U(2), &si, sizeof(si)) != sizeof(si))
		return -EFAULT;
	return put_rusage(t, ARG_U(4));
}

long sys_setpgid(struct task *t, const struct syscall_args *a)
{
	return task_setpgid(t, ARG_INT(0), ARG_INT(1));
}

long sys_setsid(struct task *t, const struct syscall_args *a)
{
	return task_setsid(t);
}

/* ---- pidfds (sentry/kernel/pidfd.c) ---- */

long sys_pidfd_open(struct task *t, const struct syscall_args *a)
{
	struct file *f;
	struct rlimit rl;
	long r;

	if (ARG_U(1) & ~(uint64_t)O_NONBLOCK)
		return -EINVAL;
	if (ARG_INT(0) <= 0)
		return -EINVAL;
	r = pidfd_new(t, ARG_INT(0), (int)ARG_U(1), &f);
	if (r < 0)
		return r;
	task_get_rlimit(t, RLIMIT_NOFILE, &rl);
	r = fdtable_install(t->fdt, 0, f, FD_CLOEXEC, rl.rlim_cur);
	file_put(f);
	return r;
}

long sys_pidfd_send_signal(struct task *t, const struct syscall_args *a)
{
	struct file *f;
	pid_t pid;

	if (ARG_U(3))
		return -EINVAL;
	f = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	if (!f)
		return -EBADF;
	pid = pidfd_pid(f);
	file_put(f);
	if (pid < 0)
		return -EBADF;
	if (ARG_U(2))
		return -EINVAL; /* caller-supplied siginfo: not yet */
	if (ARG_INT(1) < 0 || ARG_INT(1) > KSIG_MAX)
		return -EINVAL;
	return task_kill(t, pid, ARG_INT(1));
}
