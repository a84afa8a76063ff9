// SPDX-License-Identifier: Apache-2.0
/*
 * x86-64 signal frames as Linux builds them (arch/x86/kernel/signal.c: get_sigframe,
 * x64_setup_rt_frame, restore_sigcontext), as pure functions over a buffer.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "lib/abi/linux/signal.h"
#include "lib/compiler.h"
#include "sentry/arch/arch.h"

#define EFLAGS_TF 0x100
#define EFLAGS_DF 0x400
#define EFLAGS_RF 0x10000
#define EFLAGS_AC 0x40000
/* Bits rt_sigreturn lets the guest set (Linux's FIX_EFLAGS). */
#define EFLAGS_USER_MASK 0x40dd5
#define GUEST_CS 0x33
#define GUEST_SS 0x2b

size_t arch_sigframe_max(void)
{
	return sizeof(struct linux_rt_sigframe) + arch_xsave_size() + 4 + 64 + 16;
}

static void fill_sigcontext(struct linux_sigcontext *sc, const struct user_regs_struct *r)
{
	sc->r8 = r->r8;
	sc->r9 = r->r9;
	sc->r10 = r->r10;
	sc->r11 = r->r11;
	sc->r12 = r->r12;
	sc->r13 = r->r13;
	sc->r14 = r->r14;
	sc->r15 = r->r15;
	sc->rdi = r->rdi;
	sc->rsi = r->rsi;
	sc->rbp = r->rbp;
	sc->rbx = r->rbx;
	sc->rdx = r->rdx;
	sc->rax = r->rax;
	sc->rcx = r->rcx;
	sc->rsp = r->rsp;
	sc->rip = r->rip;
	sc->eflags = r->eflags;
	sc->cs = GUEST_CS;
	sc->ss = GUEST_SS;
}

int arch_sigframe_build(struct arch_state *st, const struct sigframe_args *a, uint8_t *buf,
			uint64_t *frame, size_t *len)
{
	size_t xsz = arch_xsave_size();
	uint64_t fp, f;
	struct linux_rt_sigframe sf;
	struct linux_fpx_sw_bytes sw = {
		.magic1 = LINUX_FP_XSTATE_MAGIC1,
		.extended_size = (uint32_t)xsz + 4,
		.xfeatures = arch_xsave_features(),
		.xstate_size = (uint32_t)xsz,
	};
	uint32_t magic2 = LINUX_FP_XSTATE_MAGIC2;

	if (a->sp < arch_sigframe_max() + 4096)
		return -EFAULT;
	fp = (a->sp - xsz - 4) & ~63ULL;
	f = ((fp - sizeof(sf)) & ~15ULL) - 8;

	memset(&sf, 0, sizeof(sf));
	sf.pretcode = a->restorer;
	sf.uc.uc_flags = LINUX_UC_FP_XSTATE | LINUX_UC_SIGCONTEXT_SS | LINUX_UC_STRICT_RESTORE_SS;
	sf.uc.uc_stack = *a->uc_stack;
	fill_sigcontext(&sf.uc.uc_mcontext, &st->regs);
	sf.uc.uc_mcontext.oldmask = a->oldmask;
	sf.uc.uc_mcontext.fpstate = fp;
	if (a->info->si_signo == 11 || a->info->si_signo == 7) /* SIGSEGV, SIGBUS: cr2 */
		sf.uc.uc_mcontext.cr2 = a->info->fault.addr;
	sf.uc.uc_sigmask = a->oldmask;
	sf.info = *a->info;

	*len = (size_t)(fp + xsz + 4 - f);
	memset(buf, 0, *len);
	memcpy(buf, &sf, sizeof(sf));
	memcpy(buf + (fp - f), st->xsave, xsz);
	memcpy(buf + (fp - f) + LINUX_FX_SW_BYTES_OFF, &sw, sizeof(sw));
	memcpy(buf + (fp - f) + xsz, &magic2, sizeof(magic2));
	*frame = f;

	/* The handler starts with its arguments, on the frame, with a clean FPU (Linux). */
	st->regs.rdi = (uint64_t)a->sig;
	st->regs.rsi = f + offsetof(struct linux_rt_sigframe, info);
	st->regs.rdx = f + offsetof(struct linux_rt_sigframe, uc);
	st->regs.rax = 0;
	st->regs.rsp = f;
	st->regs.rip = a->handler;
	st->regs.eflags &= ~(uint64_t)(EFLAGS_TF | EFLAGS_DF | EFLAGS_RF | EFLAGS_AC);
	st->regs.cs = GUEST_CS;
	st->regs.ss = GUEST_SS;
	arch_fpu_reset(st);
	return 0;
}

void arch_sigframe_restore(struct arch_state *st, const struct linux_ucontext *uc, const uint8_t *fp)
{
	const struct linux_sigcontext *sc = &uc->uc_mcontext;
	struct user_regs_struct *r = &st->regs;

	r->r8 = sc->r8;
	r->r9 = sc->r9;
	r->r10 = sc->r10;
	r->r11 = sc->r11;
	r->r12 = sc->r12;
	r->r13 = sc->r13;
	r->r14 = sc->r14;
	r->r15 = sc->r15;
	r->rdi = sc->rdi;
	r->rsi = sc->rsi;
	r->rbp = sc->rbp;
	r->rbx = sc->rbx;
	r->rdx = sc->rdx;
	r->rax = sc->rax;
	r->rcx = sc->rcx;
	r->rsp = sc->rsp;
	r->rip = sc->rip;
	r->eflags = (r->eflags & ~(uint64_t)EFLAGS_USER_MASK) | (sc->eflags & EFLAGS_USER_MASK);
	r->cs = GUEST_CS;
	r->ss = GUEST_SS;
	r->orig_rax = (uint64_t)-1; /* no syscall restart after sigreturn */
	if (fp)
		arch_xsave_load_user(st, fp);
	else
		arch_fpu_reset(st);
}
