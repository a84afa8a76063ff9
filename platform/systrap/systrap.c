// SPDX-License-Identifier: Apache-2.0
/*
 * systrap platform set-up: the stub region (reserved once per process, code copied in),
 * the zygote process that forks every stub, the forker thread that forks the zygote, and
 * the ops table.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "systrap.h"
#include "systrap_impl.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

struct systrap_region systrap_region;

static pthread_mutex_t region_mu = PTHREAD_MUTEX_INITIALIZER;
static int region_err = 1; /* 1: not tried yet; protected by region_mu */

/*
 * Reserve the stub region in the Sentry itself, at the highest free 4 GiB aligned
 * candidate below the usual mmap area, and copy the stub code in. Stub processes are
 * forked from the Sentry, so they inherit it at the same address.
 */
static int region_setup(void)
{
	size_t code = (size_t)(systrap_stub_end - systrap_stub_start);
	uint64_t cand;
	void *at = MAP_FAILED;

	if (code > STUB_CODE_MAX)
		return -E2BIG;
	for (cand = 0x7e0000000000ULL; cand >= 0x100000000000ULL; cand -= 0x8000000000ULL) {
		at = mmap((void *)cand, STUB_REGION_SIZE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
		if (at == (void *)cand)
			break;
		if (at != MAP_FAILED)
			munmap(at, STUB_REGION_SIZE); /* old kernel: treated as a hint */
		at = MAP_FAILED;
	}
	if (at == MAP_FAILED)
		return -ENOMEM;
	/* Code: write, then make it read+exec. */
	if (mprotect(at, STUB_CODE_MAX, PROT_READ | PROT_WRITE) < 0)
		goto err;
	memcpy(at, systrap_stub_start, code);
	if (mprotect(at, STUB_CODE_MAX, PROT_READ | PROT_EXEC) < 0)
		goto err;
	/*
	 * The alternate stacks (private; each stub gets its own copy at fork). Never touched
	 * here, so they cost nothing in the Sentry nor at fork; a stub touches a stack only
	 * once a thread runs in its slot.
	 */
	if (mprotect((uint8_t *)at + STUB_STACKS_OFF, STUB_STACKS_AREA, PROT_READ | PROT_WRITE) < 0)
		goto err;
	/* The zygote's scratch page: its init table is written here before it is forked. */
	if (mprotect((uint8_t *)at + STUB_ZYG_OFF, STUB_ZYG_SIZE, PROT_READ | PROT_WRITE) < 0)
		goto err;
	systrap_region.base = cand;
	systrap_region.fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
	return 0;
err:
	munmap(at, STUB_REGION_SIZE);
	return -errno;
}

/*
 * The forker thread. PR_SET_PDEATHSIG fires when the *thread* that forked a process
 * exits, so neither the zygote nor stubs may be forked by task threads (a task may exit
 * while its address space lives on). One long-lived thread forks the zygote; the stubs the
 * zygote forks with CLONE_PARENT get the same parent thread.
 */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_mutex_t req_mu; /* one request at a time */
	int started;
	int ready;      /* protected by mu */
	int pending;    /* protected by mu */
	long arg;       /* protected by mu */
	uint64_t entry; /* protected by mu */
	long result;    /* protected by mu */
} forker = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
	.req_mu = PTHREAD_MUTEX_INITIALIZER,
};

/*
 * glibc registers an rseq area per thread; a forked stub inherits the forker thread's
 * registration, and once the stub unmaps that memory the kernel's next rseq update kills
 * it with SIGSEGV. The stub unregisters it first (see as.c), with what we record here.
 */
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));
uint64_t systrap_forker_rseq;
uint32_t systrap_forker_rseq_len;

static void *forker_main(void *arg)
{
	sigset_t all;

	if (&__rseq_size && &__rseq_offset && __rseq_size) {
		systrap_forker_rseq = (uint64_t)__builtin_thread_pointer() + (uint64_t)__rseq_offset;
		systrap_forker_rseq_len = __rseq_size;
	}

	/* The stub resets its mask; block here so no Sentry signal lands on this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&forker.mu);
	forker.ready = 1;
	pthread_cond_broadcast(&forker.cv);
	for (;;) {
		while (forker.pending != 1)
			pthread_cond_wait(&forker.cv, &forker.mu);
		long r = systrap_clone_stub(forker.arg, forker.entry);

		forker.result = r; /* raw syscall: -errno or the pid */
		forker.pending = 2;
		pthread_cond_broadcast(&forker.cv);
	}
	return NULL;
}

/* Fork (on the forker thread) a process that jumps to @entry with @arg. */
static int forker_fork(long arg, uint64_t entry, pid_t *out)
{
	long r;

	pthread_mutex_lock(&forker.req_mu);
	pthread_mutex_lock(&forker.mu);
	forker.arg = arg;
	forker.entry = entry;
	forker.pending = 1;
	pthread_cond_broadcast(&forker.cv);
	while (forker.pending != 2)
		pthread_cond_wait(&forker.cv, &forker.mu);
	forker.pending = 0;
	r = forker.result;
	pthread_mutex_unlock(&forker.mu);
	pthread_mutex_unlock(&forker.req_mu);
	if (r < 0)
		return (int)r;
	*out = (pid_t)r;
	return 0;
}

/*
 * The zygote. Stubs forked from it inherit nothing of the Sentry (no memory outside the
 * stub region, no fds but the three they are sent, and no seccomp filter the Sentry
 * installs after platform init), and forking it costs the same however large the Sentry
 * grows. Requests are serialised by mu; any thread may send one.
 */
#define ZYG_READY_MAGIC 0x5a59474f54452121ULL /* "!!ETOGYZ" */
#define ZYG_TIMEOUT_MS 5000
#define TASK_SIZE_TOP 0x7ffffffff000ULL

static struct {
	pthread_mutex_t mu;
	int fd;    /* our end of the socket pair; protected by mu */
	pid_t pid;
} zygote = { .mu = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

static void zyg_call(uint8_t *z, uint64_t nr, int must, uint64_t a0, uint64_t a1, uint64_t a2,
		     uint64_t a3)
{
	uint64_t *n = (uint64_t *)(z + ZYG_NCALLS);
	struct systrap_init_call *c = (struct systrap_init_call *)(z + ZYG_CALLS) + *n;

	*c = (struct systrap_init_call){ nr, { a0, a1, a2, a3, 0, 0 }, (uint64_t)must };
	(*n)++;
}

/* Wait up to ZYG_TIMEOUT_MS for one 8-byte message from the zygote. */
static int zyg_recv(int fd, int64_t *v)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r;

	do
		r = poll(&pfd, 1, ZYG_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return -errno;
	do
		n = recv(fd, v, sizeof(*v), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(*v) ? 0 : -ESRCH;
}

/* Called once, under region_mu, after the forker thread started. */
static int zygote_start(void)
{
	uint64_t base = systrap_region.base;
	uint8_t *z = (uint8_t *)(base + STUB_ZYG_OFF);
	int sv[2], r;
	int64_t v;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	memset(z, 0, 0x1000);
	*(uint64_t *)(z + ZYG_MASK_FULL) = ~0ULL;
	*(uint64_t *)(z + ZYG_READY) = ZYG_READY_MAGIC;
	/* The forker thread's rseq area goes away with the unmap below (see forker_main). */
	if (systrap_forker_rseq) {
		zyg_call(z, __NR_rseq, 0, systrap_forker_rseq, systrap_forker_rseq_len, 1,
			 0x53053053);
		zyg_call(z, __NR_rseq, 0, systrap_forker_rseq, 32, 1, 0x53053053);
	}
	zyg_call(z, __NR_prctl, 1, PR_SET_PDEATHSIG, SIGKILL, 0, 0);
	zyg_call(z, __NR_prctl, 1, PR_SET_DUMPABLE, 0, 0, 0);
	/*
	 * A session of its own (stubs inherit it): Ctrl-C or `timeout` signal the Sentry's
	 * process group, and a stub killed by SIGINT would take its guest down as a platform
	 * failure; the Sentry forwards such signals to the guest instead.
	 */
	zyg_call(z, __NR_setsid, 1, 0, 0, 0, 0);
	zyg_call(z, __NR_rt_sigprocmask, 1, SIG_SETMASK, base + STUB_ZYG_OFF + ZYG_MASK_FULL, 0, 8);
	zyg_call(z, __NR_dup2, 1, (uint64_t)sv[1], ZYG_SOCK, 0, 0);
	zyg_call(z, __NR_close_range, 1, 0, ZYG_SOCK - 1, 0, 0);
	zyg_call(z, __NR_close_range, 1, ZYG_SOCK + 1, ~0U, 0, 0);
	zyg_call(z, __NR_munmap, 1, 0, base, 0, 0);
	zyg_call(z, __NR_munmap, 1, base + STUB_REGION_SIZE,
		 TASK_SIZE_TOP - (base + STUB_REGION_SIZE), 0, 0);

	r = forker_fork(sv[1], systrap_stub_addr(systrap_zygote_entry), &zygote.pid);
	close(sv[1]);
	if (!r)
		r = zyg_recv(sv[0], &v);
	if (!r && (uint64_t)v != ZYG_READY_MAGIC)
		r = -EPROTO;
	if (r) {
		log_warn("systrap: zygote did not start: %s", strerror(-r));
		if (zygote.pid > 0) {
			kill(zygote.pid, SIGKILL);
			waitpid(zygote.pid, NULL, 0);
		}
		close(sv[0]);
		return r;
	}
	zygote.fd = sv[0];
	return 0;
}

int systrap_fork_stub(int shmfd, int memfd, int ackfd, pid_t *out)
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	uint64_t word = 0;
	struct iovec iov = { .iov_base = &word, .iov_len = sizeof(word) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int fds[3] = { shmfd, memfd, ackfd };
	int64_t v;
	int r;

	memset(u.buf, 0, sizeof(u.buf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	pthread_mutex_lock(&zygote.mu);
	if (zygote.fd < 0) {
		r = -ESRCH;
		goto out;
	}
	if (sendmsg(zygote.fd, &mh, MSG_NOSIGNAL) < 0) {
		r = -errno;
		goto out;
	}
	r = zyg_recv(zygote.fd, &v);
	if (!r && v < 0)
		r = (int)v;
	if (!r)
		*out = (pid_t)v;
out:
	pthread_mutex_unlock(&zygote.mu);
	if (r)
		log_warn("systrap: zygote: fork failed: %s", strerror(-r));
	return r;
}

/* systrap_stub_alive - 1 while @pid has not exited (it is not reaped here), else 0. */
int systrap_stub_alive(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == EINTR;
	return si.si_pid == 0;
}

static int systrap_init(struct platform *p)
{
	int r = 0;

	if (p->memfd < 0)
		return -EBADF;
	if (arch_xsave_size() > MSG_XSAVE_MAX)
		return -EOPNOTSUPP;
	systrap_spin_setup();
	pthread_mutex_lock(&region_mu);
	if (region_err == 1)
		region_err = region_setup();
	r = region_err;
	if (!r && !forker.started) {
		pthread_t th;
		pthread_attr_t attr;

		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		r = -pthread_create(&th, &attr, forker_main, NULL);
		pthread_attr_destroy(&attr);
		if (!r)
			forker.started = 1;
		/* Wait until forker_main has recorded its rseq area. */
		pthread_mutex_lock(&forker.mu);
		while (!r && !forker.ready)
			pthread_cond_wait(&forker.cv, &forker.mu);
		pthread_mutex_unlock(&forker.mu);
		if (!r)
			region_err = r = zygote_start();
	}
	pthread_mutex_unlock(&region_mu);
	if (r) {
		log_warn("systrap: init failed: %s", strerror(-r));
		return r;
	}
	p->max_user_addr = systrap_region.base;
	log_debug("systrap: stub region at %#llx, fsgsbase %d",
		  (unsigned long long)systrap_region.base, systrap_region.fsgsbase);
	return 0;
}

const struct platform_ops systrap_platform_ops = {
	.name = "systrap",
	.init = systrap_init,
	.as_new = systrap_as_new,
	.as_release = systrap_as_release,
	.as_cpu_clock = systrap_as_cpu_clock,
	.as_map = systrap_as_map,
	.as_unmap = systrap_as_unmap,
	.ctx_new = systrap_ctx_new,
	.ctx_release = systrap_ctx_release,
	.switch_to = systrap_switch_to,
	.interrupt = systrap_interrupt,
	.as_map_vec = systrap_as_map_vec,
};
