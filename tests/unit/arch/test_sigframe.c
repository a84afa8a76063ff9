// SPDX-License-Identifier: Apache-2.0
/* Signal frames: Linux's layout, handler entry state, round trip, hostile FPU images. */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/abi/linux/signal.h"
#include "sentry/arch/arch.h"

static void fill_regs(struct arch_state *st)
{
	uint64_t *r = (uint64_t *)&st->regs;
	for (size_t i = 0; i < sizeof(st->regs) / 8; i++)
		r[i] = 0x1000 + i;
	st->regs.rsp = 0x7f0000010000;
	st->regs.rip = 0x401000;
	st->regs.eflags = 0x246 | 0x400; /* DF set: the handler must see it clear */
	st->xsave[100] = 0xab;
}

START_TEST(test_layout_and_entry)
{
	struct arch_state st, orig;
	struct linux_siginfo si = { .si_signo = 11, .si_code = 2 };
	struct linux_stack ss = { .ss_flags = LINUX_SS_DISABLE };
	uint8_t *buf = malloc(arch_sigframe_max());
	uint64_t frame;
	size_t len;

	si.fault.addr = 0xdead000;
	arch_state_init(&st);
	arch_state_init(&orig);
	fill_regs(&st);
	arch_state_copy(&orig, &st);
	struct sigframe_args a = { .sig = 11, .info = &si, .handler = 0x402000, .restorer = 0x403000,
				   .oldmask = 0x5, .sp = st.regs.rsp - 128, .uc_stack = &ss };
	ck_assert_int_eq(arch_sigframe_build(&st, &a, buf, &frame, &len), 0);
	ck_assert_uint_eq((frame + 8) % 16, 0); /* as after a call: rsp+8 aligned */
	ck_assert_uint_le(frame + len, a.sp);
	const struct linux_rt_sigframe *sf = (const void *)buf;
	ck_assert_uint_eq(sf->pretcode, 0x403000);
	ck_assert_uint_eq(sf->uc.uc_mcontext.rip, 0x401000);
	ck_assert_uint_eq(sf->uc.uc_mcontext.rsp, orig.regs.rsp);
	ck_assert_uint_eq(sf->uc.uc_mcontext.cr2, 0xdead000);
	ck_assert_uint_eq(sf->uc.uc_sigmask, 0x5);
	ck_assert_int_eq(sf->info.si_signo, 11);
	uint64_t fp = sf->uc.uc_mcontext.fpstate;
	ck_assert_uint_eq(fp % 64, 0);
	ck_assert_uint_eq(buf[fp - frame + 100], 0xab);
	struct linux_fpx_sw_bytes sw;
	memcpy(&sw, buf + (fp - frame) + LINUX_FX_SW_BYTES_OFF, sizeof(sw));
	ck_assert_uint_eq(sw.magic1, LINUX_FP_XSTATE_MAGIC1);
	ck_assert_uint_eq(sw.xstate_size, arch_xsave_size());
	/* Handler entry. */
	ck_assert_uint_eq(st.regs.rip, 0x402000);
	ck_assert_uint_eq(st.regs.rsp, frame);
	ck_assert_uint_eq(st.regs.rdi, 11);
	ck_assert_uint_eq(st.regs.rsi, frame + offsetof(struct linux_rt_sigframe, info));
	ck_assert_uint_eq(st.regs.rdx, frame + offsetof(struct linux_rt_sigframe, uc));
	ck_assert_uint_eq(st.regs.eflags & 0x400, 0);
	ck_assert_uint_eq(st.xsave[100], 0); /* fresh FPU */

	/* rt_sigreturn gives the interrupted state back. */
	arch_sigframe_restore(&st, &sf->uc, buf + (fp - frame));
	ck_assert_uint_eq(st.regs.rip, orig.regs.rip);
	ck_assert_uint_eq(st.regs.rsp, orig.regs.rsp);
	ck_assert_uint_eq(st.regs.r15, orig.regs.r15);
	ck_assert_uint_eq(st.regs.eflags, orig.regs.eflags);
	ck_assert_uint_eq(st.xsave[100], 0xab);
	ck_assert_uint_eq(st.regs.cs, 0x33);
	free(buf);
	arch_state_destroy(&st);
	arch_state_destroy(&orig);
}
END_TEST

START_TEST(test_hostile_restore)
{
	struct arch_state st;
	struct linux_ucontext uc;
	uint8_t *img = malloc(arch_xsave_size());
	uint32_t mxcsr = 0xffffffff;
	uint64_t bv = ~0ULL;

	arch_state_init(&st);
	memset(&uc, 0xff, sizeof(uc));
	memset(img, 0xff, arch_xsave_size());
	arch_sigframe_restore(&st, &uc, img);
	ck_assert_uint_eq(st.regs.cs, 0x33); /* selectors never from the guest */
	ck_assert_uint_eq(st.regs.ss, 0x2b);
	ck_assert_uint_eq(st.regs.eflags & ~0x40dd5ULL, 0); /* no IOPL, VM, ... */
	memcpy(&mxcsr, st.xsave + 24, 4);
	ck_assert_uint_eq(mxcsr & ~0xffffU, 0);
	if (arch_xsave_size() >= 576) {
		memcpy(&bv, st.xsave + 512, 8);
		ck_assert_uint_eq(bv & ~arch_xsave_features(), 0);
		memcpy(&bv, st.xsave + 520, 8); /* XCOMP_BV: standard format */
		ck_assert_uint_eq(bv, 0);
	}
	free(img);
	arch_state_destroy(&st);
}
END_TEST

START_TEST(test_no_room)
{
	struct arch_state st;
	struct linux_siginfo si = { .si_signo = 10 };
	struct linux_stack ss = { .ss_flags = LINUX_SS_DISABLE };
	uint8_t *buf = malloc(arch_sigframe_max());
	uint64_t frame;
	size_t len;

	arch_state_init(&st);
	struct sigframe_args a = { .sig = 10, .info = &si, .sp = 100, .uc_stack = &ss };
	ck_assert_int_eq(arch_sigframe_build(&st, &a, buf, &frame, &len), -EFAULT);
	free(buf);
	arch_state_destroy(&st);
}
END_TEST

Suite *sigframe_suite(void);
Suite *sigframe_suite(void)
{
	Suite *s = suite_create("sigframe");
	TCase *tc = tcase_create("frame");

	tcase_add_test(tc, test_layout_and_entry);
	tcase_add_test(tc, test_hostile_restore);
	tcase_add_test(tc, test_no_room);
	suite_add_tcase(s, tc);
	return s;
}
