/* SPDX-License-Identifier: Apache-2.0 */
/*
 * systrap internals shared by the Sentry side (C) and the stub (stub.S): the fixed layout of
 * the stub region, the per-thread message and the control pages, and internal prototypes.
 * Everything below __ASSEMBLER__ is C only. See README.md for the protocol.
 */
#ifndef SBX_PLATFORM_SYSTRAP_SYSTRAP_IMPL_H
#define SBX_PLATFORM_SYSTRAP_SYSTRAP_IMPL_H

/*
 * Stub region, at a 4 GiB aligned address chosen at init (p->max_user_addr == its base):
 *   +0x0000000 code      R-X  private copy of systrap_stub_start..end (same in every stub)
 *   +0x0010000 ctrl      R--  shared (per address space): requests, init data, filters and
 *                             the alternate-stack table; written only by the Sentry through
 *                             its own RW mapping
 *   +0x0100000 msg[i]    RW-  shared (per address space): one message per stub thread
 *   +0x3000000 zygote    RW-  private: the zygote's init table, buffers and stack
 *   +0x4000000 stack[i]  RW-  private: the alternate signal stack of stub thread i
 * The whole region is reserved (PROT_NONE where unused) so it never crosses 4 GiB and the
 * seccomp filters can compare only the low 32 bits of an address once the high half matched.
 * Messages and stacks are touched only when a thread uses its slot.
 */
#define STUB_REGION_SIZE 0x10000000
#define STUB_CODE_OFF 0x0
#define STUB_CODE_MAX 0x10000
#define STUB_CTRL_OFF 0x10000
#define STUB_CTRL_SIZE 0x10000
#define STUB_INIT_OFF (STUB_CTRL_OFF + 0x1000) /* init data inside ctrl */
#define STUB_SSTAB_OFF (STUB_CTRL_OFF + 0x4000) /* stack_t[STUB_MAX_THREADS] */
#define STUB_SS_SIZE 24                         /* sizeof(stack_t) */
#define STUB_MSG_OFF 0x100000
#define STUB_MSG_SHIFT 14 /* 16 KiB per message */
#define STUB_MSG_STRIDE (1 << STUB_MSG_SHIFT)
#define STUB_MAX_THREADS 2048 /* guest threads per stub process (slot 0 is the first) */
#define STUB_MSG_AREA (STUB_MAX_THREADS * STUB_MSG_STRIDE)
/* The zygote's private scratch page and stack (see stub.S); unused in stubs. */
#define STUB_ZYG_OFF 0x3000000
#define STUB_ZYG_SIZE 0x10000
#define STUB_STACKS_OFF 0x4000000
#define STUB_STACK_SHIFT 16 /* 64 KiB alternate stack per thread */
#define STUB_STACK_SIZE (1 << STUB_STACK_SHIFT)
#define STUB_STACKS_AREA (STUB_MAX_THREADS * STUB_STACK_SIZE)
/* The per-address-space memfd: ctrl first, then the messages. */
#define STUB_SHM_SIZE (STUB_CTRL_SIZE + STUB_MSG_AREA)

/* struct systrap_msg offsets. */
#define MSG_STATE 0x0          /* u32 futex word: MSG_STATE_* */
#define MSG_SENTRY_WAITING 0x4 /* u32: the Sentry sleeps (or is about to) on MSG_STATE */
#define MSG_STUB_WAITING 0x8   /* u32: the stub handler sleeps on MSG_STATE */
#define MSG_KIND 0xc           /* u32: MSG_KIND_* */
#define MSG_SIGNO 0x10
#define MSG_CODE 0x18
#define MSG_ADDR 0x20
#define MSG_ERR 0x28
#define MSG_TRAPNO 0x30
#define MSG_FPSIZE 0x38
#define MSG_REGS 0x40 /* struct user_regs_struct */
#define MSG_TID 0x3f0 /* u32: the thread's host tid, stored by a spawned thread at birth */
#define MSG_XSAVE 0x400
#define MSG_XSAVE_MAX (STUB_MSG_STRIDE - MSG_XSAVE)

#define MSG_STATE_NONE 0
#define MSG_STATE_TRAPPED 1 /* stub -> Sentry: registers and trap info are in the message */
#define MSG_STATE_RESUME 2  /* Sentry -> stub: load the registers and return to the guest */

#define MSG_KIND_TRAP 1 /* a signal in the guest */
#define MSG_KIND_INIT 2 /* the stub finished its set-up (the init trap) */

/* struct user_regs_struct offsets. */
#define R_R15 0
#define R_R14 8
#define R_R13 16
#define R_R12 24
#define R_RBP 32
#define R_RBX 40
#define R_R11 48
#define R_R10 56
#define R_R9 64
#define R_R8 72
#define R_RAX 80
#define R_RCX 88
#define R_RDX 96
#define R_RSI 104
#define R_RDI 112
#define R_ORIG_RAX 120
#define R_RIP 128
#define R_CS 136
#define R_EFLAGS 144
#define R_RSP 152
#define R_SS 160
#define R_FS_BASE 168
#define R_GS_BASE 176

/* ucontext_t offsets (x86-64 ABI: gregs at 40, fpregs pointer at 224). */
#define UC_GREG(i) (40 + 8 * (i))
#define UC_FPREGS 224
#define G_R8 0
#define G_R9 1
#define G_R10 2
#define G_R11 3
#define G_R12 4
#define G_R13 5
#define G_R14 6
#define G_R15 7
#define G_RDI 8
#define G_RSI 9
#define G_RBP 10
#define G_RBX 11
#define G_RDX 12
#define G_RAX 13
#define G_RCX 14
#define G_RSP 15
#define G_RIP 16
#define G_EFL 17
#define G_CSGSFS 18
#define G_ERR 19
#define G_TRAPNO 20
/* fpstate: struct _fpx_sw_bytes lives at 464 in the FXSAVE area. */
#define FP_SW_BYTES 464
#define FP_SW_XSTATE_SIZE (FP_SW_BYTES + 16)
#define FP_XSTATE_MAGIC1_VAL 0x46505853

/* Control page 0: the mapping request (struct systrap_req). */
#define REQ_SEQ 0x0 /* u32 futex word, bumped by the Sentry per request */
#define REQ_OP 0x8
#define REQ_VA 0x10
#define REQ_LEN 0x18
#define REQ_PROT 0x20
#define REQ_OFF 0x28
#define REQ_ACK_OK 0x30  /* what the syscall thread writes to the ack pipe on success */
#define REQ_ACK_ERR 0x38 /* ... and on failure */
#define REQ_OP_MAP 1
#define REQ_OP_UNMAP 2
#define REQ_OP_MAPV 3 /* REQ_N maps from REQ_VEC: one ack for all (the first error ends it) */
#define REQ_N 0x40
#define REQ_VEC 0x100 /* struct systrap_req_ent[REQ_VEC_MAX]: va, len, prot, off */
#define REQ_VEC_MAX 48
#define REQ_ENT_SHIFT 5

/* Control page 0: how long a handler spins for RESUME before it sleeps (u32, Sentry-set). */
#define CTRL_STUB_SPIN 0xc00
/*
 * Control page 0: whether a handler may spin at all, per kind of trap (u8 each, Sentry-set
 * from how long the Sentry took to answer that kind lately; see ctx.c). Keys: the syscall
 * number below 512, the futex ops that may block, every other trap, larger numbers.
 */
#define CTRL_SPIN_TAB 0xd00
#define SPIN_KEY_SYSCALLS 512
#define SPIN_KEY_FUTEX_WAIT 512
#define SPIN_KEY_TRAP 513
#define SPIN_KEY_OTHER 514
#define SPIN_KEYS 515
/* futex commands (op & 0x7f) that may block: WAIT, LOCK_PI, WAIT_BITSET, WAIT_REQUEUE_PI,
 * LOCK_PI2. */
#define SPIN_FUTEX_WAIT_OPS 0x2a41

/* Control page 0, second half: the thread-creation request (struct systrap_spawn_req). */
#define SPAWN_SEQ 0x800 /* u32 futex word, bumped by the Sentry per request */
#define SPAWN_SLOT 0x808 /* slot of the new thread: 1..STUB_MAX_THREADS-1 */
#define SPAWN_ACK_OK 0x810
#define SPAWN_ACK_ERR 0x818

/* Init data (struct systrap_init), relative to STUB_INIT_OFF. */
#define INIT_MEMFD 0x0
#define INIT_ACKFD 0x8
#define INIT_FLAGS 0x10
#define INIT_XSAVE_SIZE 0x18
#define INIT_READY 0x20
#define INIT_MASK_FULL 0x28
#define INIT_MASK_EMPTY 0x30
#define INIT_GPROG 0x40
#define INIT_SPROG 0x50
#define INIT_NCALLS 0x60
#define INIT_PPROG 0x70
#define INIT_CALLS 0x100 /* struct systrap_init_call[INIT_MAX_CALLS], 64 bytes each */
#define INIT_MAX_CALLS 24
#define INIT_SIGACT 0x700
#define INIT_ALTSTACK 0x800
#define INIT_GFILTER 0x1000
#define INIT_SFILTER 0x1800
#define INIT_PFILTER 0x2000
#define INIT_FILTER_MAX 256 /* instructions */
#define INIT_FLAG_FSGSBASE 1

/*
 * The zygote (systrap.c, stub.S): init calls at +ZYG_CALLS, then a loop receiving requests
 * on fd ZYG_SOCK: 8 bytes with SCM_RIGHTS [shm memfd, memory file, ack pipe write end],
 * which land at fds 0, 1, 2 (the zygote keeps nothing else below ZYG_SOCK) and keep those
 * numbers in the stub; the reply is the stub's pid or -errno (8 bytes).
 */
#define ZYG_SOCK 63
#define ZYG_CALLS 0x0 /* struct systrap_init_call[ZYG_MAX_CALLS] */
#define ZYG_MAX_CALLS 16
#define ZYG_NCALLS 0x400
#define ZYG_MASK_FULL 0x408
#define ZYG_READY 0x410
#define ZYG_MSG 0x500  /* struct msghdr */
#define ZYG_IOV 0x540  /* struct iovec */
#define ZYG_CMSG 0x560 /* CMSG_SPACE(3 * sizeof(int)) = 32 bytes */
#define ZYG_BUF 0x580
#define ZYG_REPLY 0x588
#define STUB_FD_SHM 0
#define STUB_FD_MEM 1
#define STUB_FD_ACK 2

/* clone flags of every stub thread: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */
#define STUB_THREAD_CLONE 0x50f00

/* The host signal that interrupt() sends to a stub thread (gVisor uses SIGCHLD too). */
#define SYSTRAP_SIG_INTERRUPT 17 /* SIGCHLD */

/*
 * Iterations of `pause` (25 ns on the EPYC VMs) before a side sleeps on the futex; both
 * sides spin only while at most half the CPUs have a switch_to in progress (spinning on an
 * oversubscribed machine steals the CPU from the side it waits for). Build-time tunables
 * (-D) for experiments.
 */
#ifndef STUB_SPIN
#define STUB_SPIN 1000
#endif
#ifndef SENTRY_SPIN
#define SENTRY_SPIN 1000
#endif
/*
 * The syscall thread after each request (back-to-back requests of one Sentry operation come
 * within a microsecond or two; a longer spin mostly steals the CPU from the guest thread
 * that faulted: 2000 made page faults 40% and fork 25% slower on 2 CPUs), and the Sentry's
 * non-blocking reads of the ack pipe before it polls (each one a read() plus 20 pauses).
 */
#ifndef STUB_REQ_SPIN
#define STUB_REQ_SPIN 100
#endif
#ifndef SENTRY_ACK_SPIN
#define SENTRY_ACK_SPIN 20
#endif
#if STUB_REQ_SPIN < 1
#error "STUB_REQ_SPIN must be at least 1 (the stub's loop counts down to zero)"
#endif

#ifndef __ASSEMBLER__

#include <linux/filter.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "platform/platform.h"

/* lib/compiler.h clashes with <sys/user.h> (PAGE_SIZE), which arch.h needs: local helpers. */
#define systrap_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define STUB_PAGE_SIZE 4096ULL
#define STUB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

struct systrap_msg {
	uint32_t state;
	uint32_t sentry_waiting;
	uint32_t stub_waiting;
	uint32_t kind;
	uint64_t signo, code, addr, err, trapno, fpsize;
	struct user_regs_struct regs;
};

struct systrap_req {
	uint32_t seq;
	uint32_t pad;
	uint64_t op, va, len, prot, off, ack_ok, ack_err;
	uint64_t n;
	uint64_t pad2[23];
	struct systrap_req_ent {
		uint64_t va, len, prot, off;
	} vec[REQ_VEC_MAX];
};

_Static_assert(offsetof(struct systrap_msg, kind) == MSG_KIND, "msg layout");
_Static_assert(offsetof(struct systrap_msg, fpsize) == MSG_FPSIZE, "msg layout");
_Static_assert(offsetof(struct systrap_msg, regs) == MSG_REGS, "msg layout");
_Static_assert(sizeof(struct systrap_msg) <= MSG_XSAVE, "msg layout");
_Static_assert(offsetof(struct user_regs_struct, gs_base) == R_GS_BASE, "regs layout");
_Static_assert(offsetof(struct systrap_req, ack_err) == REQ_ACK_ERR, "req layout");
_Static_assert(sizeof(struct systrap_req) <= SPAWN_SEQ, "req layout");
_Static_assert(offsetof(struct systrap_req, n) == REQ_N, "req layout");
_Static_assert(offsetof(struct systrap_req, vec) == REQ_VEC, "req layout");
_Static_assert(sizeof(struct systrap_req_ent) == 1 << REQ_ENT_SHIFT, "req layout");
_Static_assert(SPAWN_ACK_ERR + 8 <= CTRL_STUB_SPIN && CTRL_STUB_SPIN + 4 <= CTRL_SPIN_TAB &&
	       CTRL_SPIN_TAB + SPIN_KEYS <= 0x1000, "ctrl page 0 layout");
_Static_assert(STUB_MSG_OFF >= STUB_CTRL_OFF + STUB_CTRL_SIZE, "region layout");
_Static_assert(STUB_MSG_OFF + STUB_MSG_AREA <= STUB_ZYG_OFF, "region layout");
_Static_assert(STUB_ZYG_OFF + STUB_ZYG_SIZE <= STUB_STACKS_OFF, "region layout");
_Static_assert(ZYG_CALLS + ZYG_MAX_CALLS * 64 <= ZYG_NCALLS, "zygote layout");
_Static_assert(STUB_STACKS_OFF + STUB_STACKS_AREA <= STUB_REGION_SIZE, "region layout");
_Static_assert(STUB_INIT_OFF + INIT_PFILTER + INIT_FILTER_MAX * 8 <= STUB_SSTAB_OFF,
	       "ctrl layout");
_Static_assert(STUB_SSTAB_OFF + STUB_MAX_THREADS * STUB_SS_SIZE <=
	       STUB_CTRL_OFF + STUB_CTRL_SIZE, "ctrl layout");
_Static_assert(sizeof(stack_t) == STUB_SS_SIZE, "stack_t");

struct systrap_init_call {
	uint64_t nr;
	uint64_t args[6];
	uint64_t must_succeed;
};

struct systrap_ksigaction {
	uint64_t handler, flags, restorer, mask;
};

/* Stub code symbols (stub.S). Only offsets from systrap_stub_start are meaningful. */
extern const char systrap_stub_start[], systrap_stub_end[];
extern const char systrap_stub_entry[], systrap_stub_handler[], systrap_stub_restorer[];
extern const char systrap_zygote_entry[];
extern const char systrap_site_sigreturn[], systrap_site_futex[], systrap_site_arch_prctl[];
extern const char systrap_site_s_futex[], systrap_site_s_mmap[], systrap_site_s_munmap[];
extern const char systrap_site_s_write[], systrap_stub_init_trap[];
extern const char systrap_site_p_futex[], systrap_site_p_clone[], systrap_site_p_write[];
extern const char systrap_site_c_settid[], systrap_site_c_sigmask[];
extern const char systrap_site_c_sigaltstack[], systrap_site_c_seccomp[];
/* systrap_clone_stub - fork (SIGCHLD, no CLONE_VM); the child jumps to @entry with @arg. */
long systrap_clone_stub(long arg, uint64_t entry);

/* The stub region, process-wide (set once by systrap_region_init). */
struct systrap_region {
	uint64_t base;
	bool fsgsbase;
};
extern struct systrap_region systrap_region;

/* Address of stub symbol @sym inside the stub region (as seen by every stub process). */
static inline uint64_t systrap_stub_addr(const char *sym)
{
	return systrap_region.base + (uint64_t)(sym - systrap_stub_start);
}

/*
 * One stub thread that runs guest code: slot i of its stub (message i, alternate stack i).
 * Owned by at most one context at a time; a free thread waits in its handler (state
 * TRAPPED) in the address space's pool until a context takes it.
 */
struct systrap_thread {
	struct systrap_msg *msg;      /* the Sentry's view; guest-writable, never trusted */
	pid_t tid;                    /* host tid (reported by the thread itself, see README) */
	uint32_t slot;
	uint64_t owner;               /* id of the owning context, 0 if free; as->mu */
	struct systrap_thread *next_free; /* as->mu */
	int busy;                     /* a switch_to is using it (atomic) */
};

struct systrap_as {
	struct addrspace base;
	uint64_t id;         /* unique, never reused (contexts remember ids, not pointers) */
	pid_t pid;
	int ack_fd;          /* read end of the ack pipe; the stub holds the only write end */
	uint8_t *shm;        /* Sentry's RW view of ctrl + messages */
	pthread_mutex_t mu;  /* serialises requests; protects the thread table */
	uint32_t seq;        /* protected by mu */
	uint32_t spawn_seq;  /* protected by mu */
	int dead;            /* atomic: the stub process is gone or broke protocol */
	uint32_t nthreads;   /* threads created (slots 0..nthreads-1); mu */
	struct systrap_thread *free; /* pool of created, unowned threads; mu */
	struct systrap_thread *threads; /* [STUB_MAX_THREADS] */
	struct systrap_as *reg_next, *reg_prev; /* registry of live address spaces */
	/* Per spin key: how often the Sentry answered within the handler's spin window lately
	 * (0..255, relaxed atomics, racy updates are fine: a heuristic). */
	uint8_t spin_rate[SPIN_KEYS];
	uint64_t gen;        /* a spare's memory-file generation (as.c) */
};

#define to_systrap_as(as) systrap_container_of(as, struct systrap_as, base)

struct systrap_ctx {
	struct pctx base;
	uint64_t id;                     /* unique, never reused */
	pthread_mutex_t mu;              /* protects running */
	struct systrap_thread *running;  /* protected by mu: the stub thread in switch_to */
	pid_t running_pid;               /* protected by mu */
	int interrupted;                 /* atomic */
	/* Owner thread only: the last (address space, thread) pair, and every address space
	 * (by id) where this context may own a thread. */
	struct systrap_as *cur_as;
	uint64_t cur_as_id;
	struct systrap_thread *cur_t;
	struct systrap_binding {
		uint64_t as_id;
		uint32_t slot;
	} *bound;
	size_t nbound, capbound;
	/* Owner thread only, spin learning (ctx.c): the last trap's spin key and when the
	 * Sentry got it (on cur_as), and how often the guest trapped within the Sentry's spin
	 * window lately (0..255). */
	int last_key;
	uint64_t last_as_id;
	uint64_t trap_ns;
	uint32_t run_rate;
};

#define to_systrap_ctx(c) systrap_container_of(c, struct systrap_ctx, base)

/* filter.c: build the three seccomp programs into @init (the Sentry's view of init data). */
int systrap_build_filters(uint8_t *init, int memfd, int ack_wfd);

/* systrap.c */
/* Fork a stub from the zygote; it gets @shmfd, @memfd, @ackfd as STUB_FD_*. */
int systrap_fork_stub(int shmfd, int memfd, int ackfd, pid_t *out);
extern uint64_t systrap_forker_rseq;     /* the forker thread's rseq area, 0 if none */
extern uint32_t systrap_forker_rseq_len;
int systrap_stub_alive(pid_t pid);

/* as.c / ctx.c */
int systrap_as_new(struct platform *p, struct addrspace **out);
void systrap_as_release(struct addrspace *as);
int systrap_as_cpu_clock(struct addrspace *as, int *out);
int systrap_as_map(struct addrspace *as, uint64_t va, uint64_t len, int prot, uint64_t off);
int systrap_as_unmap(struct addrspace *as, uint64_t va, uint64_t len);
int systrap_as_map_vec(struct addrspace *as, const struct as_map_range *r, int n);
/*
 * Wait for the thread behind @m to trap, spinning @spin pauses first; @timeout_ms < 0: until
 * the stub dies.
 */
int systrap_wait_trapped(struct systrap_as *as, struct systrap_msg *m, int spin, int timeout_ms);
/* systrap_spin_init - a new address space's spin table (ctrl and as->spin_rate). */
void systrap_spin_init(struct systrap_as *as);
/* systrap_spin_setup - count CPUs and calibrate pause once, at platform init (before the
 * Sentry's seccomp filter: the count reads /sys). */
void systrap_spin_setup(void);
/* systrap_sentry_spin - SENTRY_SPIN, or 0 while the CPUs are oversubscribed. */
int systrap_sentry_spin(void);
/*
 * systrap_ctx_bind - the thread @c owns in @as (also cached in c->cur_*), taken from the
 * pool or created on first use. Called by @c's owner thread only.
 */
int systrap_ctx_bind(struct systrap_ctx *c, struct systrap_as *as, struct systrap_thread **out);
/* systrap_ctx_unbind_all - give every thread @c owns (in live address spaces) back to its pool. */
void systrap_ctx_unbind_all(struct systrap_ctx *c);
uint64_t systrap_new_id(void);
int systrap_ctx_new(struct platform *p, struct pctx **out);
void systrap_ctx_release(struct pctx *c);
int systrap_switch_to(struct pctx *c, struct addrspace *as, struct arch_state *st,
		      struct trap *out);
void systrap_interrupt(struct pctx *c);

#endif /* __ASSEMBLER__ */
#endif
