// SPDX-License-Identifier: Apache-2.0
/* pipe, pipe2, eventfd, eventfd2: make the files (fs/pipe.c, fs/eventfd.c) and install them. */
#include <fcntl.h>
#include <sys/eventfd.h>

#include "fs/vfs.h"
#include "sentry/syscalls/sys_impl.h"

static unsigned long nofile_limit(struct task *t)
{
	struct rlimit rl;
	task_get_rlimit(t, RLIMIT_NOFILE, &rl);
	return rl.rlim_cur;
}

static long do_pipe2(struct task *t, uint64_t addr, int flags)
{
	struct file *rd, *wr;
	int fds[2], fdfl, r;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	fdfl = (flags & O_CLOEXEC) ? FD_FLAG_CLOEXEC : 0;
	r = pipe_new(flags, t->creds.fsuid, t->creds.fsgid, &rd, &wr);
	if (r < 0)
		return r;
	fds[0] = fdtable_install(t->fdt, 0, rd, fdfl, nofile_limit(t));
	fds[1] = fds[0] < 0 ? fds[0] : fdtable_install(t->fdt, 0, wr, fdfl, nofile_limit(t));
	file_put(rd);
	file_put(wr);
	if (fds[0] < 0)
		return fds[0];
	if (fds[1] < 0) {
		fdtable_close(t->fdt, fds[0]);
		return fds[1];
	}
	if (mm_copy_out(t->mm, addr, fds, sizeof(fds)) != (ssize_t)sizeof(fds)) {
		fdtable_close(t->fdt, fds[0]);
		fdtable_close(t->fdt, fds[1]);
		return -EFAULT;
	}
	return 0;
}

long sys_pipe(struct task *t, const struct syscall_args *a)
{
	return do_pipe2(t, ARG_U(0), 0);
}

long sys_pipe2(struct task *t, const struct syscall_args *a)
{
	return do_pipe2(t, ARG_U(0), ARG_INT(1));
}

static long do_eventfd2(struct task *t, unsigned int initval, int flags)
{
	struct file *f;
	int r;

	if (flags & ~(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC))
		return -EINVAL;
	r = eventfd_new(initval, flags & (EFD_SEMAPHORE | EFD_NONBLOCK), &f);
	if (r < 0)
		return r;
	r = fdtable_install(t->fdt, 0, f, (flags & EFD_CLOEXEC) ? FD_FLAG_CLOEXEC : 0,
			    nofile_limit(t));
	file_put(f);
	return r;
}

long sys_eventfd(struct task *t, const struct syscall_args *a)
{
	return do_eventfd2(t, (unsigned int)ARG_U(0), 0);
}

long sys_eventfd2(struct task *t, const struct syscall_args *a)
{
	return do_eventfd2(t, (unsigned int)ARG_U(0), ARG_INT(1));
}
