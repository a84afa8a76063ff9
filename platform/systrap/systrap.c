// SPDX-License-Identifier: Apache-2.0
/*
 * systrap platform set-up: the stub region (reserved once per process, code copied in),
 * the forker thread that creates every stub process, and the ops table.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
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
	/* Thread 0's alternate stack (private; each stub gets its own copy at fork). */
	if (mprotect((uint8_t *)at + STUB_STACKS_OFF, STUB_STACK_SIZE, PROT_READ | PROT_WRITE) < 0)
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
 * exits, so stubs must not be forked by task threads (a task may exit while its address
 * space lives on). One long-lived thread forks them all.
 */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_mutex_t req_mu; /* one request at a time */
	int started;
	int ready;      /* protected by mu */
	int pending;    /* protected by mu */
	int shmfd;      /* protected by mu */
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
		long r = systrap_clone_stub(forker.shmfd, systrap_stub_addr(systrap_stub_entry));

		forker.result = r; /* raw syscall: -errno or the pid */
		forker.pending = 2;
		pthread_cond_broadcast(&forker.cv);
	}
	return NULL;
}

int systrap_fork_stub(int shmfd, pid_t *out)
{
	long r;

	pthread_mutex_lock(&forker.req_mu);
	pthread_mutex_lock(&forker.mu);
	forker.shmfd = shmfd;
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
};
