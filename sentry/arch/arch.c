// SPDX-License-Identifier: Apache-2.0
/* CPUID-driven XSAVE sizing and register-state helpers. */
#include "arch.h"

#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t xsave_size = 512 + 64;
static uint64_t xsave_features = 0x3; /* x87 | SSE */

int arch_init(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return -ENOSYS;
	if (!(c & bit_XSAVE))
		return 0; /* FXSAVE layout only: 512 bytes + header room */
	/* Leaf 0xD sub-leaf 0: EBX = size for the features enabled in XCR0, EDX:EAX = XCR0 mask. */
	__cpuid_count(0xd, 0, a, b, c, d);
	xsave_size = b;
	if (xsave_size < 576)
		xsave_size = 576;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	xsave_features = ((uint64_t)hi << 32) | lo;
	return 0;
}

size_t arch_xsave_size(void)
{
	return xsave_size;
}

uint64_t arch_xsave_features(void)
{
	return xsave_features;
}

static void fpu_reset(uint8_t *area)
{
	memset(area, 0, xsave_size);
	/* FXSAVE legacy region: FCW at 0, MXCSR at 24 (Intel SDM vol.1 10.5.1). */
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(area + 0, &fcw, sizeof(fcw));
	memcpy(area + 24, &mxcsr, sizeof(mxcsr));
}

int arch_state_init(struct arch_state *st)
{
	memset(&st->regs, 0, sizeof(st->regs));
	st->xsave = aligned_alloc(64, (xsave_size + 63) & ~(size_t)63);
	if (!st->xsave)
		return -ENOMEM;
	fpu_reset(st->xsave);
	return 0;
}

void arch_fpu_reset(struct arch_state *st)
{
	fpu_reset(st->xsave);
}

/* Offsets in the XSAVE area (Intel SDM vol.1 13.4). */
#define XSAVE_MXCSR_OFF 24
#define XSAVE_HDR_OFF 512
#define XSAVE_HDR_LEN 64
/* MXCSR bits a guest may set (everything but the reserved ones; DAZ included). */
#define MXCSR_VALID 0xffffU

void arch_xsave_load_user(struct arch_state *st, const uint8_t *img)
{
	uint32_t mxcsr;
	uint64_t bv;

	memcpy(st->xsave, img, xsave_size);
	memcpy(&mxcsr, st->xsave + XSAVE_MXCSR_OFF, sizeof(mxcsr));
	mxcsr &= MXCSR_VALID;
	memcpy(st->xsave + XSAVE_MXCSR_OFF, &mxcsr, sizeof(mxcsr));
	if (xsave_size < XSAVE_HDR_OFF + XSAVE_HDR_LEN)
		return;
	memcpy(&bv, st->xsave + XSAVE_HDR_OFF, sizeof(bv));
	bv &= xsave_features;
	memset(st->xsave + XSAVE_HDR_OFF, 0, XSAVE_HDR_LEN);
	memcpy(st->xsave + XSAVE_HDR_OFF, &bv, sizeof(bv));
}

void arch_state_destroy(struct arch_state *st)
{
	free(st->xsave);
	st->xsave = NULL;
}

void arch_state_copy(struct arch_state *dst, const struct arch_state *src)
{
	dst->regs = src->regs;
	memcpy(dst->xsave, src->xsave, xsave_size);
}
