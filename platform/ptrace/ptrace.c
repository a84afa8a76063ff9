// SPDX-License-Identifier: Apache-2.0
/*
 * ptrace platform set-up: the stub region (reserved once per process, code copied in) and
 * the ops table. Address spaces are in as.c, contexts in ctx.c.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/log.h"
#include "ptrace.h"
#include "ptrace_impl.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

uint64_t ptrace_region_base;

static pthread_mutex_t region_mu = PTHREAD_MUTEX_INITIALIZER;
static int region_err = 1; /* 1: not tried yet; protected by region_mu */

/* Reserve PTRACE_REGION_SIZE at the highest free candidate; MAP_FAILED if none is free. */
static void *region_reserve(void)
{
	for (uint64_t cand = PTRACE_REGION_TOP; cand >= PTRACE_REGION_BOTTOM;
	     cand -= PTRACE_REGION_STEP) {
		void *at = mmap((void *)cand, PTRACE_REGION_SIZE, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
				-1, 0);

		if (at == (void *)cand)
			return at;
		if (at != MAP_FAILED)
			munmap(at, PTRACE_REGION_SIZE); /* old kernel: treated as a hint */
	}
	return MAP_FAILED;
}

/*
 * Reserve the stub region in the Sentry and copy the stub code in. Stubs are forked
 * from the Sentry, so they inherit it at the same address.
 */
static int region_setup(void)
{
	size_t code = (size_t)(ptrace_stub_end - ptrace_stub_start);
	void *at;

	if (code > PTRACE_CODE_MAX)
		return -E2BIG;
	at = region_reserve();
	if (at == MAP_FAILED)
		return -ENOMEM;
	if (mprotect(at, PTRACE_CODE_MAX, PROT_READ | PROT_WRITE) < 0)
		goto err;
	memcpy(at, ptrace_stub_start, code);
	if (mprotect(at, PTRACE_CODE_MAX, PROT_READ | PROT_EXEC) < 0)
		goto err;
	ptrace_region_base = (uint64_t)at;
	return 0;
err:
	munmap(at, PTRACE_REGION_SIZE);
	return -errno;
}

static int ptrace_init(struct platform *p)
{
	int r;

	if (p->memfd < 0)
		return -EBADF;
	pthread_mutex_lock(&region_mu);
	if (region_err == 1)
		region_err = region_setup();
	r = region_err;
	pthread_mutex_unlock(&region_mu);
	if (!r)
		r = ptrace_service_start();
	if (r) {
		log_warn("ptrace: init failed: %s", strerror(-r));
		return r;
	}
	p->max_user_addr = ptrace_region_base;
	log_debug("ptrace: stub region at %#llx", (unsigned long long)ptrace_region_base);
	return 0;
}

const struct platform_ops ptrace_platform_ops = {
	.name = "ptrace",
	.init = ptrace_init,
	.as_new = ptrace_as_new,
	.as_release = ptrace_as_release,
	.as_cpu_clock = ptrace_as_cpu_clock,
	.as_map = ptrace_as_map,
	.as_unmap = ptrace_as_unmap,
	.ctx_new = ptrace_ctx_new,
	.ctx_release = ptrace_ctx_release,
	.switch_to = ptrace_switch_to,
	.interrupt = ptrace_interrupt,
};
