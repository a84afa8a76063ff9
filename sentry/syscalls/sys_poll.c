// SPDX-License-Identifier: Apache-2.0
/*
 * poll, ppoll, select, pselect6 over every file (fs/poll.c). The scan asks each file's
 * vfs_poll; the first scan that finds nothing also registers the task's waiter on the
 * files' wait queues, then the task sleeps until a wake, the deadline, or an interrupt, and
 * scans again (one last scan after the deadline, like Linux's do_poll). Host fds (stdio)
 * have no wait queue: a set holding one is re-scanned every POLL_HOST_SLICE_NS.
 *
 * ppoll/pselect6/epoll_pwait's mask is the task's signal mask for the call; when a signal
 * ends the call, the mask stays until that signal's handler frame is built (saved_sigmask).
 * Interrupted calls return -ERESTART* codes (lib/abi/linux/errno.h), as Linux's do.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "fs/vfs.h"
#include "lib/waitq.h"
#include "sentry/syscalls/sys_impl.h"

#define POLL_HOST_SLICE_NS 10000000LL
#define SIGBIT(s) (1ULL << ((s) - 1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

/* Linux's select masks (fs/select.c). */
#define POLLIN_SET (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET (POLLPRI)

static unsigned long nofile_limit(struct task *t)
{
	struct rlimit rl;
	task_get_rlimit(t, RLIMIT_NOFILE, &rl);
	return rl.rlim_cur;
}

/*
 * do_poll - wait until an entry of @pfds has revents (its events filtered; POLLNVAL for an
 * fd that is not open) or @deadline (NULL: never; already past: just scan). Returns how many
 * entries have revents, or -EINTR / -ENOMEM.
 */
static long do_poll(struct task *t, struct pollfd *pfds, unsigned long n,
		    const struct timespec *deadline)
{
	struct file **files = calloc(n ? n : 1, sizeof(*files));
	struct waiter *w = waiter_current();
	struct poll_table pt;
	bool registered = false, timed_out = deadline && deadline_passed(deadline);
	long count;

	if (!files)
		return -ENOMEM;
	for (unsigned long i = 0; i < n; i++)
		files[i] = pfds[i].fd < 0 ? NULL : fdtable_get_file(t->fdt, pfds[i].fd, NULL);
	poll_table_init(&pt, w);
	for (;;) {
		count = 0;
		for (unsigned long i = 0; i < n; i++) {
			pfds[i].revents = 0;
			if (pfds[i].fd < 0)
				continue;
			if (!files[i]) {
				pfds[i].revents = POLLNVAL;
			} else {
				unsigned int m = vfs_poll(files[i], registered || timed_out ? NULL : &pt);
				pfds[i].revents = (short)(m & (unsigned short)pfds[i].events);
			}
			if (pfds[i].revents)
				count++;
		}
		if (pt.err) {
			count = pt.err;
			break;
		}
		registered = true;
		if (count || timed_out)
			break;
		struct timespec slice, *until = (struct timespec *)deadline;
		if (pt.host) {
			deadline_after_ns(&slice, POLL_HOST_SLICE_NS);
			if (!deadline || slice.tv_sec < deadline->tv_sec ||
			    (slice.tv_sec == deadline->tv_sec && slice.tv_nsec < deadline->tv_nsec))
				until = &slice;
		}
		int r = waiter_wait(w, until);
		if (r == -EINTR) {
			count = -EINTR;
			break;
		}
		if (deadline && deadline_passed(deadline))
			timed_out = true;
	}
	poll_table_release(&pt);
	for (unsigned long i = 0; i < n; i++)
		if (files[i])
			file_put(files[i]);
	free(files);
	return count;
}

/* A relative timeout to an absolute deadline; false when @rel is NULL (infinite). */
static void deadline_from(struct timespec *dl, const struct timespec *rel)
{
	deadline_after_ns(dl, (long long)rel->tv_sec * 1000000000LL + rel->tv_nsec);
}

/* Time left until @dl (zero once past). */
static struct timespec remaining(const struct timespec *dl)
{
	struct timespec now, r = { 0, 0 };

	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ns = ((long long)dl->tv_sec - now.tv_sec) * 1000000000LL + (dl->tv_nsec - now.tv_nsec);
	if (ns > 0) {
		r.tv_sec = ns / 1000000000LL;
		r.tv_nsec = ns % 1000000000LL;
	}
	return r;
}

static long poll_common(struct task *t, uint64_t ufds, uint64_t nfds, const struct timespec *dl)
{
	struct pollfd *pfds;
	long r;

	if (nfds > nofile_limit(t))
		return -EINVAL;
	pfds = malloc(nfds ? nfds * sizeof(*pfds) : 1);
	if (!pfds)
		return -ENOMEM;
	if (nfds && mm_copy_in(t->mm, ufds, pfds, nfds * sizeof(*pfds)) != (ssize_t)(nfds * sizeof(*pfds))) {
		free(pfds);
		return -EFAULT;
	}
	for (uint64_t i = 0; i < nfds; i++)
		pfds[i].events |= POLLERR | POLLHUP;
	r = do_poll(t, pfds, nfds, dl);
	if (r >= 0 || r == -EINTR) {
		/* Only revents goes back, like Linux's __put_user of each revents. */
		for (uint64_t i = 0; i < nfds; i++) {
			uint64_t a = ufds + i * sizeof(*pfds) + offsetof(struct pollfd, revents);
			if (mm_copy_out(t->mm, a, &pfds[i].revents, sizeof(short)) != sizeof(short)) {
				r = -EFAULT;
				break;
			}
		}
	}
	free(pfds);
	return r;
}

static long poll_restart(struct task *t)
{
	struct timespec dl = { (time_t)t->restart_data[2], (long)t->restart_data[3] };
	long r = poll_common(t, t->restart_data[0], t->restart_data[1], &dl);

	return r == -EINTR ? -ERESTART_RESTARTBLOCK : r;
}

long sys_poll(struct task *t, const struct syscall_args *a)
{
	int ms = ARG_INT(2);
	struct timespec dl;

	if (ms >= 0)
		deadline_after_ns(&dl, (long long)ms * 1000000LL);
	long r = poll_common(t, ARG_U(0), ARG_U(1), ms >= 0 ? &dl : NULL);
	/* Linux restarts poll with the time left (restart_block); without one, from scratch. */
	if (r == -EINTR && ms < 0)
		return -ERESTARTNOHAND;
	if (r == -EINTR) {
		t->restart_data[0] = ARG_U(0);
		t->restart_data[1] = ARG_U(1);
		t->restart_data[2] = (uint64_t)dl.tv_sec;
		t->restart_data[3] = (uint64_t)dl.tv_nsec;
		t->restart_fn = poll_restart;
		return -ERESTART_RESTARTBLOCK;
	}
	return r;
}

/*
 * Swap in a ppoll/pselect/epoll_pwait mask for the call: 0, or -EINVAL (bad size) /
 * -EFAULT. *@set says whether one was installed (end_temp_mask undoes it).
 */
static int set_temp_mask(struct task *t, uint64_t addr, uint64_t size, bool *set)
{
	uint64_t m;

	*set = false;
	if (!addr)
		return 0;
	if (size != sizeof(uint64_t))
		return -EINVAL;
	if (mm_copy_in(t->mm, addr, &m, sizeof(m)) != sizeof(m))
		return -EFAULT;
	task_set_temp_sigmask(t, m);
	*set = true;
	return 0;
}

/*
 * A call that a signal ended keeps its mask until that signal's handler frame is built
 * (Linux's saved_sigmask), so a signal it unblocked is delivered; otherwise restore now.
 */
static long end_temp_mask(struct task *t, bool set, long r, long interrupted)
{
	if (r == -EINTR)
		return interrupted;
	if (set)
		task_restore_sigmask(t);
	return r;
}

static long copy_timespec_in(struct task *t, uint64_t addr, struct timespec *ts)
{
	if (mm_copy_in(t->mm, addr, ts, sizeof(*ts)) != sizeof(*ts))
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
		return -EINVAL;
	return 0;
}

long sys_ppoll(struct task *t, const struct syscall_args *a)
{
	struct timespec ts, dl;
	bool masked;
	long r;

	if (ARG_U(2)) {
		r = copy_timespec_in(t, ARG_U(2), &ts);
		if (r < 0)
			return r;
		deadline_from(&dl, &ts);
	}
	r = set_temp_mask(t, ARG_U(3), ARG_U(4), &masked);
	if (r < 0)
		return r;
	if (task_signal_pending(t))
		r = -EINTR;
	else
		r = poll_common(t, ARG_U(0), ARG_U(1), ARG_U(2) ? &dl : NULL);
	r = end_temp_mask(t, masked, r, -ERESTARTNOHAND);
	if (ARG_U(2) && r != -EFAULT) {
		struct timespec rem = remaining(&dl);
		/* Linux ignores a failure to write the time back. */
		mm_copy_out(t->mm, ARG_U(2), &rem, sizeof(rem));
	}
	return r;
}

/* ---- select ---- */

static long select_common(struct task *t, int n, uint64_t inp, uint64_t outp, uint64_t exp,
			  const struct timespec *dl)
{
	size_t words, bytes;
	uint64_t *in = NULL, *out = NULL, *ex = NULL, *res;
	struct pollfd *pfds = NULL;
	unsigned long np = 0;
	long r;

	if (n < 0)
		return -EINVAL;
	if ((unsigned long)n > nofile_limit(t))
		n = (int)nofile_limit(t);
	words = ((size_t)n + 63) / 64;
	bytes = words * 8;
	in = calloc(words ? 3 * words : 1, 8);
	res = calloc(words ? 3 * words : 1, 8);
	if (!in || !res) {
		r = -ENOMEM;
		goto out;
	}
	out = in + words;
	ex = out + words;
	if ((inp && bytes && mm_copy_in(t->mm, inp, in, bytes) != (ssize_t)bytes) ||
	    (outp && bytes && mm_copy_in(t->mm, outp, out, bytes) != (ssize_t)bytes) ||
	    (exp && bytes && mm_copy_in(t->mm, exp, ex, bytes) != (ssize_t)bytes)) {
		r = -EFAULT;
		goto out;
	}
	/* Bits past n in the last word are ignored. */
	if (n % 64) {
		uint64_t keep = (1ULL << (n % 64)) - 1;
		in[words - 1] &= keep;
		out[words - 1] &= keep;
		ex[words - 1] &= keep;
	}
	pfds = calloc(n ? (size_t)n : 1, sizeof(*pfds));
	if (!pfds) {
		r = -ENOMEM;
		goto out;
	}
	for (int fd = 0; fd < n; fd++) {
		uint64_t bit = 1ULL << (fd % 64);
		size_t w = (size_t)fd / 64;
		short ev = 0;
		if (in[w] & bit)
			ev |= POLLIN_SET;
		if (out[w] & bit)
			ev |= POLLOUT_SET;
		if (ex[w] & bit)
			ev |= POLLEX_SET;
		if (!ev)
			continue;
		struct file *f = fdtable_get_file(t->fdt, fd, NULL);
		if (!f) {
			r = -EBADF;
			goto out;
		}
		file_put(f);
		pfds[np].fd = fd;
		pfds[np].events = ev;
		np++;
	}
	r = do_poll(t, pfds, np, dl);
	if (r < 0)
		goto out;
	/* A file closed meanwhile reads as POLLNVAL: Linux would say EBADF; count nothing. */
	r = 0;
	for (unsigned long i = 0; i < np; i++) {
		int fd = pfds[i].fd;
		uint64_t bit = 1ULL << (fd % 64);
		size_t w = (size_t)fd / 64;
		short rev = pfds[i].revents;
		if (rev & POLLNVAL)
			continue;
		if ((in[w] & bit) && (rev & POLLIN_SET)) {
			res[w] |= bit;
			r++;
		}
		if ((out[w] & bit) && (rev & POLLOUT_SET)) {
			res[words + w] |= bit;
			r++;
		}
		if ((ex[w] & bit) && (rev & POLLEX_SET)) {
			res[2 * words + w] |= bit;
			r++;
		}
	}
	if ((inp && bytes && mm_copy_out(t->mm, inp, res, bytes) != (ssize_t)bytes) ||
	    (outp && bytes && mm_copy_out(t->mm, outp, res + words, bytes) != (ssize_t)bytes) ||
	    (exp && bytes && mm_copy_out(t->mm, exp, res + 2 * words, bytes) != (ssize_t)bytes))
		r = -EFAULT;
out:
	free(in);
	free(res);
	free(pfds);
	return r;
}

long sys_select(struct task *t, const struct syscall_args *a)
{
	struct timeval tv;
	struct timespec dl;
	long r;

	if (ARG_U(4)) {
		if (mm_copy_in(t->mm, ARG_U(4), &tv, sizeof(tv)) != sizeof(tv))
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return -EINVAL;
		/* Linux normalises oversized tv_usec rather than failing. */
		deadline_after_ns(&dl, (long long)tv.tv_sec * 1000000000LL + (long long)tv.tv_usec * 1000LL);
	}
	r = select_common(t, ARG_INT(0), ARG_U(1), ARG_U(2), ARG_U(3), ARG_U(4) ? &dl : NULL);
	if (r == -EINTR)
		r = -ERESTARTNOHAND; /* the time left was written back: a restart continues it */
	if (ARG_U(4) && r != -EFAULT) {
		struct timespec rem = remaining(&dl);
		tv.tv_sec = rem.tv_sec;
		tv.tv_usec = rem.tv_nsec / 1000;
		mm_copy_out(t->mm, ARG_U(4), &tv, sizeof(tv));
	}
	return r;
}

long sys_pselect6(struct task *t, const struct syscall_args *a)
{
	struct timespec ts, dl;
	struct { uint64_t ss, size; } sm = { 0, 0 };
	bool masked;
	long r;

	if (ARG_U(4)) {
		r = copy_timespec_in(t, ARG_U(4), &ts);
		if (r < 0)
			return r;
		deadline_from(&dl, &ts);
	}
	if (ARG_U(5) && mm_copy_in(t->mm, ARG_U(5), &sm, sizeof(sm)) != sizeof(sm))
		return -EFAULT;
	r = set_temp_mask(t, sm.ss, sm.size, &masked);
	if (r < 0)
		return r;
	if (task_signal_pending(t))
		r = -EINTR;
	else
		r = select_common(t, ARG_INT(0), ARG_U(1), ARG_U(2), ARG_U(3), ARG_U(4) ? &dl : NULL);
	r = end_temp_mask(t, masked, r, -ERESTARTNOHAND);
	if (ARG_U(4) && r != -EFAULT) {
		struct timespec rem = remaining(&dl);
		mm_copy_out(t->mm, ARG_U(4), &rem, sizeof(rem));
	}
	return r;
}

/* ---- epoll (fs/epoll.c) ---- */

static long epoll_create_common(struct task *t, int flags)
{
	struct file *f;
	int r;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	r = epoll_new(flags, &f);
	if (r < 0)
		return r;
	r = fdtable_install(t->fdt, 0, f, (flags & EPOLL_CLOEXEC) ? FD_FLAG_CLOEXEC : 0,
			    nofile_limit(t));
	file_put(f);
	return r;
}

long sys_epoll_create(struct task *t, const struct syscall_args *a)
{
	if (ARG_INT(0) <= 0)
		return -EINVAL;
	return epoll_create_common(t, 0);
}

long sys_epoll_create1(struct task *t, const struct syscall_args *a)
{
	return epoll_create_common(t, ARG_INT(0));
}

long sys_epoll_ctl(struct task *t, const struct syscall_args *a)
{
	int op = ARG_INT(1), fd = ARG_INT(2);
	struct epoll_event ev = { 0 };
	struct file *ep, *f;
	long r;

	if (op != EPOLL_CTL_DEL &&
	    mm_copy_in(t->mm, ARG_U(3), &ev, sizeof(ev)) != (ssize_t)sizeof(ev))
		return -EFAULT;
	ep = fdtable_get_file(t->fdt, ARG_INT(0), NULL);
	if (!ep)
		return -EBADF;
	f = fdtable_get_file(t->fdt, fd, NULL);
	if (!f) {
		file_put(ep);
		return -EBADF;
	}
	if (!file_is_epoll(ep))
		r = -EINVAL;
	else
		r = epoll_ctl_file(ep, op, fd, f, ev.events, ev.data.u64);
	file_put(f);
	file_put(ep);
	return r;
}

static long epoll_wait_common(struct task *t, int epfd, uint64_t uevents, int max, int ms)
{
	struct epoll_event *evs;
	struct waiter *w = waiter_current();
	struct poll_table pt;
	struct timespec dl;
	struct file *ep;
	bool registered = false, timed_out = ms == 0;
	long n;

	if (max <= 0 || (size_t)max > INT32_MAX / sizeof(struct epoll_event))
		return -EINVAL;
	uint64_t len = (uint64_t)max * sizeof(struct epoll_event);
	if (uevents >= mm_max_addr(t->mm) || len > mm_max_addr(t->mm) - uevents)
		return -EFAULT; /* Linux's access_ok */
	ep = fdtable_get_file(t->fdt, epfd, NULL);
	if (!ep)
		return -EBADF;
	if (!file_is_epoll(ep)) {
		file_put(ep);
		return -EINVAL;
	}
	if (max > 1024)
		max = 1024; /* the rest stay ready for the next call */
	evs = calloc((size_t)max, sizeof(*evs));
	if (!evs) {
		file_put(ep);
		return -ENOMEM;
	}
	if (ms > 0)
		deadline_after_ns(&dl, (long long)ms * 1000000LL);
	poll_table_init(&pt, w);
	for (;;) {
		n = epoll_scan(ep, t->fdt, registered || timed_out ? NULL : &pt, evs, max);
		if (pt.err) {
			n = pt.err;
			break;
		}
		registered = true;
		if (n || timed_out)
			break;
		struct timespec slice, *until = ms > 0 ? &dl : NULL;
		if (pt.host) {
			deadline_after_ns(&slice, POLL_HOST_SLICE_NS);
			if (!until || slice.tv_sec < dl.tv_sec ||
			    (slice.tv_sec == dl.tv_sec && slice.tv_nsec < dl.tv_nsec))
				until = &slice;
		}
		if (waiter_wait(w, until) == -EINTR) {
			n = -EINTR;
			break;
		}
		if (ms > 0 && deadline_passed(&dl))
			timed_out = true;
	}
	poll_table_release(&pt);
	file_put(ep);
	if (n > 0 && mm_copy_out(t->mm, uevents, evs, (size_t)n * sizeof(*evs)) !=
			     (ssize_t)((size_t)n * sizeof(*evs)))
		n = -EFAULT;
	free(evs);
	return n;
}

long sys_epoll_wait(struct task *t, const struct syscall_args *a)
{
	return epoll_wait_common(t, ARG_INT(0), ARG_U(1), ARG_INT(2), ARG_INT(3));
}

long sys_epoll_pwait(struct task *t, const struct syscall_args *a)
{
	bool masked;
	long r = set_temp_mask(t, ARG_U(4), ARG_U(5), &masked);

	if (r < 0)
		return r;
	if (task_signal_pending(t))
		r = -EINTR;
	else
		r = epoll_wait_common(t, ARG_INT(0), ARG_U(1), ARG_INT(2), ARG_INT(3));
	/* epoll_wait never restarts: -EINTR even without a handler, as on Linux. */
	return end_temp_mask(t, masked, r, -EINTR);
}
