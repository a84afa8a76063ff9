/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86-64 guest register state: general registers (the ptrace layout), fs/gs base and the
 * XSAVE area whose size is read from CPUID at run time (never hard-coded).
 */
#ifndef SBX_SENTRY_ARCH_ARCH_H
#define SBX_SENTRY_ARCH_ARCH_H

#include <stdint.h>
#include <stddef.h>
#include <sys/user.h>

/*
 * struct arch_state - everything a platform saves and restores for a guest thread.
 * @regs:  general registers in the ptrace layout; regs.fs_base/gs_base are the TLS bases.
 *         On a syscall trap regs.orig_rax holds the syscall number and regs.rip points
 *         just past the 2-byte syscall instruction.
 * @xsave: the XSAVE area (arch_xsave_size() bytes, 64-byte aligned), the guest's whole
 *         FPU/SSE/AVX state in the standard (non-compacted) format.
 */
struct arch_state {
	struct user_regs_struct regs;
	uint8_t *xsave;
};

/* arch_init - read CPUID (XSAVE size and feature mask). Call once before anything else. */
int arch_init(void);
/* arch_xsave_size - bytes in the XSAVE area of this CPU (>= 576 when XSAVE exists). */
size_t arch_xsave_size(void);
/* arch_xsave_features - XCR0: the state components the host enabled. */
uint64_t arch_xsave_features(void);

/* arch_state_init - zeroed registers and a freshly reset FPU (FCW 0x37f, MXCSR 0x1f80). */
int arch_state_init(struct arch_state *st);
void arch_state_destroy(struct arch_state *st);
/* arch_fpu_reset - the FPU state a new program or a signal handler starts with. */
void arch_fpu_reset(struct arch_state *st);
/*
 * arch_xsave_load_user - take a guest-supplied XSAVE image (arch_xsave_size() bytes),
 * cleaned so that restoring it can never fault on the host: MXCSR reserved bits, header
 * feature bits outside XCR0 and the compaction/reserved header words are cleared.
 */
void arch_xsave_load_user(struct arch_state *st, const uint8_t *img);
/* arch_state_copy - deep copy (both already initialised). */
void arch_state_copy(struct arch_state *dst, const struct arch_state *src);

/* Syscall view of the registers, valid after a TRAP_SYSCALL. */
static inline uint64_t arch_syscall_nr(const struct arch_state *st)
{
	return st->regs.orig_rax;
}

static inline void arch_syscall_args(const struct arch_state *st, uint64_t a[6])
{
	a[0] = st->regs.rdi;
	a[1] = st->regs.rsi;
	a[2] = st->regs.rdx;
	a[3] = st->regs.r10;
	a[4] = st->regs.r8;
	a[5] = st->regs.r9;
}

static inline void arch_syscall_set_return(struct arch_state *st, uint64_t v)
{
	st->regs.rax = v;
}

/* Make the guest re-execute the syscall instruction it trapped on (restart). */
static inline void arch_syscall_restart(struct arch_state *st)
{
	st->regs.rax = st->regs.orig_rax;
	st->regs.rip -= 2;
}


/* ---- signal frames (sigframe.c): pure, the caller copies to and from guest memory ---- */

struct linux_siginfo;
struct linux_stack;
struct linux_ucontext;

struct sigframe_args {
	int sig;
	const struct linux_siginfo *info;
	uint64_t handler, restorer;
	uint64_t oldmask;               /* the mask to restore on rt_sigreturn */
	uint64_t sp;                    /* where the frame goes below: rsp - red zone, or altstack top */
	const struct linux_stack *uc_stack; /* sigaltstack state saved in the frame */
};

/* arch_sigframe_max - bytes an rt_sigframe with its XSAVE image may take. */
size_t arch_sigframe_max(void);

/*
 * arch_sigframe_build - lay out Linux's x86-64 rt_sigframe (pretcode, ucontext, siginfo,
 * then the 64-byte aligned XSAVE image with its fx_sw_bytes and magic) for @st into @buf
 * (at least arch_sigframe_max() bytes), as guest memory starting at *frame (returned),
 * *len bytes long. Then point @st at the handler (rdi/rsi/rdx arguments, rsp = frame) with
 * a fresh FPU. 0, or -EFAULT when the frame would not fit below a->sp.
 */
int arch_sigframe_build(struct arch_state *st, const struct sigframe_args *a, uint8_t *buf,
			uint64_t *frame, size_t *len);

/*
 * arch_sigframe_restore - rt_sigreturn: take registers from @uc and FPU state from @fp
 * (the guest's XSAVE image, arch_xsave_size() bytes, or NULL to reset the FPU). cs/ss stay
 * the guest's fixed selectors. The mask to restore is uc->uc_sigmask.
 */
void arch_sigframe_restore(struct arch_state *st, const struct linux_ucontext *uc, const uint8_t *fp);

#endif
