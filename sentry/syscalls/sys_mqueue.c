// SPDX-License-Identifier: Apache-2.0
/* POSIX message queues: mq_open, mq_unlink, mq_timedsend/receive, mq_notify, mq_getsetattr. */
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fs/vfs.h"
#include "sentry/host/host.h"
#include "sentry/syscalls/sys_impl.h"

#define MQ_COPY_MAX (16 * 1024 * 1024)

static long mq_name_in(struct task *t, uint64_t addr, char *name, size_t len)
{
	ssize_t n = mm_copy_string_in(t->mm, addr, name, len);

	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	return 0;
}

long sys_mq_open(struct task *t, const struct syscall_args *a)
{
	char name[300];
	struct mq_attr attr;
	struct vfs_cred cr;
	struct file *f;
	struct rlimit rl;
	int flags = ARG_INT(1);
	long r = mq_name_in(t, ARG_U(0), name, sizeof(name));

	if (r < 0)
		return r == -ENAMETOOLONG ? r : r;
	if ((flags & O_CREAT) && ARG_U(3) &&
	    mm_copy_in(t->mm, ARG_U(3), &attr, sizeof(attr)) != sizeof(attr))
		return -EFAULT;
	task_vfs_cred(t, true, &cr);
	r = mqueue_open(name, flags, (uint32_t)ARG_U(2), (flags & O_CREAT) && ARG_U(3) ? &attr : NULL,
			&cr, t->umask, &f);
	if (r < 0)
		return r;
	task_get_rlimit(t, RLIMIT_NOFILE, &rl);
	r = fdtable_install(t->fdt, 0, f, (flags & O_CLOEXEC) ? FD_FLAG_CLOEXEC : 0, rl.rlim_cur);
	file_put(f);
	return r;
}

long sys_mq_unlink(struct task *t, const struct syscall_args *a)
{
	char name[300];
	struct vfs_cred cr;
	long r = mq_name_in(t, ARG_U(0), name, sizeof(name));

	if (r < 0)
		return r;
	task_vfs_cred(t, true, &cr);
	return mqueue_unlink(name, &cr);
}

/* An absolute CLOCK_REALTIME timeout from the guest as a CLOCK_MONOTONIC deadline. */
static long mq_deadline(struct task *t, uint64_t addr, struct timespec *dl, bool *have)
{
	struct timespec ts, now, mono;
	long long ns;

	*have = false;
	if (!addr)
		return 0;
	if (mm_copy_in(t->mm, addr, &ts, sizeof(ts)) != sizeof(ts))
		return -EFAULT;
	if (ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L || ts.tv_sec < 0)
		return -EINVAL;
	host_clock_gettime(CLOCK_REALTIME, &now);
	host_clock_gettime(CLOCK_MONOTONIC, &mono);
	ns = (ts.tv_sec - now.tv_sec) * 1000000000LL + (ts.tv_nsec - now.tv_nsec);
	if (ns < 0)
		ns = 0;
	ns += mono.tv_nsec;
	dl->tv_sec = mono.tv_sec + ns / 1000000000LL;
	dl->tv_nsec = ns % 1000000000LL;
	*have = true;
	return 0;
}

long sys_mq_timedsend(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	struct mq_notify_target fire = { .notify = -1 };
	struct timespec dl;
	bool timed;
	size_t len = ARG_U(2);
	char *buf = NULL;
	long r;

	if (!f)
		return -EBADF;
	r = file_is_mqueue(f) ? 0 : -EBADF;
	if (r == 0 && len > MQ_COPY_MAX)
		r = -EMSGSIZE;
	if (r == 0) {
		buf = malloc(len ? len : 1);
		if (!buf)
			r = -ENOMEM;
		else if (len && mm_copy_in(t->mm, ARG_U(1), buf, len) != (ssize_t)len)
			r = -EFAULT;
	}
	if (r == 0)
		r = mq_deadline(t, ARG_U(4), &dl, &timed);
	if (r == 0)
		r = mqueue_send(f, buf, len, (unsigned int)ARG_U(3), timed ? &dl : NULL, &fire);
	free(buf);
	file_put(f);
	if (r == -ETIMEDOUT)
		r = -ETIMEDOUT;
	if (r == 0 && fire.notify == SIGEV_SIGNAL) {
		struct linux_siginfo si = { .si_signo = fire.signo, .si_code = SI_MESGQ };
		si.kill.pid = t->tg->tgid;
		si.kill.uid = t->creds.ruid;
		memcpy(si.raw + 8, &fire.value, sizeof(fire.value));
		kernel_signal_pid(t->k, fire.pid, fire.signo, &si);
	}
	return r;
}

long sys_mq_timedreceive(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	struct mq_attr attr;
	struct timespec dl;
	unsigned int prio = 0;
	bool timed;
	char *buf = NULL;
	long r;

	if (!f)
		return -EBADF;
	r = mqueue_getsetattr(f, NULL, &attr);
	if (r == 0 && (long)ARG_U(2) < attr.mq_msgsize)
		r = -EMSGSIZE;
	if (r == 0)
		r = mq_deadline(t, ARG_U(4), &dl, &timed);
	if (r == 0) {
		buf = malloc((size_t)attr.mq_msgsize);
		r = buf ? mqueue_receive(f, buf, (size_t)attr.mq_msgsize, &prio, timed ? &dl : NULL)
			: -ENOMEM;
	}
	file_put(f);
	if (r >= 0) {
		if (r && mm_copy_out(t->mm, ARG_U(1), buf, (size_t)r) != r)
			r = -EFAULT;
		else if (ARG_U(3) && mm_copy_out(t->mm, ARG_U(3), &prio, sizeof(prio)) != sizeof(prio))
			r = -EFAULT;
	}
	free(buf);
	return r;
}

long sys_mq_notify(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	struct {
		uint64_t value;
		int32_t signo, notify;
		int32_t tid;
	} ev;
	struct mq_notify_target tg = { 0 };
	long r = 0;

	if (!f)
		return -EBADF;
	if (ARG_U(1)) {
		if (mm_copy_in(t->mm, ARG_U(1), &ev, sizeof(ev)) != sizeof(ev))
			r = -EFAULT;
		else if (ev.notify != SIGEV_NONE && ev.notify != SIGEV_SIGNAL)
			r = -EINVAL; /* SIGEV_THREAD is glibc's, over netlink: not here */
		else if (ev.notify == SIGEV_SIGNAL && (ev.signo < 1 || ev.signo > KSIG_MAX))
			r = -EINVAL;
		tg.notify = ev.notify;
		tg.signo = ev.signo;
		tg.value = ev.value;
		tg.pid = t->tg->tgid;
	}
	if (r == 0)
		r = mqueue_notify(f, ARG_U(1) ? &tg : NULL);
	file_put(f);
	return r;
}

long sys_mq_getsetattr(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	struct mq_attr set, old;
	long r = 0;

	if (!f)
		return -EBADF;
	if (ARG_U(1) && mm_copy_in(t->mm, ARG_U(1), &set, sizeof(set)) != sizeof(set))
		r = -EFAULT;
	if (r == 0)
		r = mqueue_getsetattr(f, ARG_U(1) ? &set : NULL, &old);
	file_put(f);
	if (r == 0 && ARG_U(2) && mm_copy_out(t->mm, ARG_U(2), &old, sizeof(old)) != sizeof(old))
		r = -EFAULT;
	return r;
}
