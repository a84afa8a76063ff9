/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The platform interface (DESIGN.md §5): how the Sentry runs guest code and learns that it
 * trapped. An address space holds mappings of memory-file ranges; a context runs one guest
 * thread on some address space until it makes a syscall, faults, raises a signal or is
 * interrupted. Implementations: ptrace/ (reference), systrap/, kvm/.
 *
 * Threading (multi-threaded guests: one context per task, one host thread per context):
 *  - a context is used only by the host thread that created it: switch_to and ctx_release
 *    from that thread (ptrace ties a tracee to its tracer thread). Any number of contexts
 *    may switch_to concurrently on the same address space, and a context may switch to
 *    another address space later (execve, vfork) and back.
 *  - ctx_release must come before its thread exits; it frees the context's per-address-
 *    space resources (stub threads exit or return to a pool), so creating and releasing
 *    contexts in sequence does not grow an address space.
 *  - as_new, as_map, as_unmap: any thread, concurrently, including one that never ran on
 *    the address space while other contexts run guest code on it; when as_map/as_unmap
 *    return, the change is in effect for every context running on it.
 *  - as_release: any thread, once no context runs on it and no call on it is in flight;
 *    contexts that ran on it stay valid.
 *  - interrupt: any thread; affects exactly that context.
 * Implementations document anything stricter.
 */
#ifndef SBX_PLATFORM_PLATFORM_H
#define SBX_PLATFORM_PLATFORM_H

#include <stdatomic.h>
#include <stdint.h>

#include "sentry/arch/arch.h"

enum trap_kind {
	TRAP_SYSCALL,   /* guest executed `syscall`; number/args in arch_state */
	TRAP_FAULT,     /* page fault: addr, access (TRAP_ACCESS_*, 0 when unknown) */
	TRAP_SIGNAL,    /* guest instruction raised signo/code (SIGFPE, SIGILL, SIGTRAP, ...) at addr */
	TRAP_INTERRUPT, /* interrupt() was called, or a spurious return */
};

#define TRAP_ACCESS_READ 1
#define TRAP_ACCESS_WRITE 2
#define TRAP_ACCESS_EXEC 4

struct trap {
	enum trap_kind kind;
	uint64_t addr;
	int access;
	int signo;
	int code;
};

struct platform;

struct addrspace {
	const struct platform_ops *ops;
	struct platform *p;
};

struct pctx {
	const struct platform_ops *ops;
	struct platform *p;
};

/* One range for as_map_vec: as_map's arguments. */
struct as_map_range {
	uint64_t va, len, memfile_off;
	int prot;
};

struct platform_ops {
	const char *name;
	/* init - one-time setup once p->memfd is set. 0 or -errno (platform unusable here). */
	int (*init)(struct platform *p);
	/* as_new - an empty address space (nothing mapped below p->max_user_addr). */
	int (*as_new)(struct platform *p, struct addrspace **out);
	/* as_release - destroy (any thread); no context may be running on it. */
	void (*as_release)(struct addrspace *as);
	/*
	 * as_map - map [va, va+len) to memory-file offset memfile_off with prot (PROT_*),
	 * replacing whatever was there. va, len, memfile_off page aligned; va+len <= max_user_addr.
	 */
	int (*as_map)(struct addrspace *as, uint64_t va, uint64_t len, int prot, uint64_t memfile_off);
	/* as_unmap - remove mappings in [va, va+len); unmapped holes are fine. */
	int (*as_unmap)(struct addrspace *as, uint64_t va, uint64_t len);
	/* ctx_new - a context bound to the calling host thread (only it may use the context). */
	int (*ctx_new)(struct platform *p, struct pctx **out);
	void (*ctx_release)(struct pctx *c);
	/*
	 * switch_to - load @st into the guest thread, run it on @as until it traps, save the
	 * full state (general registers, fs/gs base, XSAVE area) back into @st and describe the
	 * trap in @out. Returns 0, or -errno on a host failure (never the guest's fault).
	 * Blocks for as long as the guest runs. May return TRAP_INTERRUPT spuriously.
	 */
	int (*switch_to)(struct pctx *c, struct addrspace *as, struct arch_state *st, struct trap *out);
	/* interrupt - make a running (or the next) switch_to on @c return TRAP_INTERRUPT. Any thread. */
	void (*interrupt)(struct pctx *c);
	/*
	 * as_cpu_clock - optional: a host clock id whose clock_gettime is the CPU time of the
	 * guest code run on @as so far (a process CPU clock in Linux's CPUCLOCK encoding: the
	 * low two bits choose PROF 0, VIRT 1, SCHED 2). 0 or -ENOSYS. Any thread; the id
	 * just stops working (EINVAL) once @as is released. (CPU-time timers, timer.h.)
	 */
	int (*as_cpu_clock)(struct addrspace *as, int *out);
	/*
	 * as_map_vec - optional: as_map of the @n ranges of @r, in order, as one request
	 * (systrap: one round trip to the stub's syscall thread instead of @n). 0, or the
	 * first error: earlier ranges are mapped, later ones may or may not be. NULL: callers
	 * call as_map per range.
	 */
	int (*as_map_vec)(struct addrspace *as, const struct as_map_range *r, int n);
};

struct platform {
	const struct platform_ops *ops;
	int memfd;              /* the memory file every address space maps from */
	uint64_t max_user_addr; /* guest addresses are below this (the stub lives above) */
	void *priv;
};

/*
 * platform_new - look up @name ("ptrace", ...) and initialise it over @memfd.
 * Returns 0, -ENOENT for an unknown name, or the init error.
 */
int platform_new(const char *name, int memfd, struct platform **out);
void platform_free(struct platform *p);
/* platform_names - NULL-terminated list of compiled-in platform names. */
const char *const *platform_names(void);

#endif
