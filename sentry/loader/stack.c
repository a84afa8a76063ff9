// SPDX-License-Identifier: Apache-2.0
/*
 * The initial process stack image (argc, argv, envp, auxv, random bytes and strings), laid
 * out in a host buffer as Linux's create_elf_tables() does, for the loader to copy out.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "sentry/loader/loader.h"

#define STACK_PLATFORM "x86_64"

/*
 * The image grows down from buf + cap, which stands for guest address @top; @off bytes of it
 * are in use, at most @lim (cap, or less when @top is lower than that). Guest address a lives
 * at buf + cap - (top - a).
 */
struct stack_img {
	uint8_t *buf;
	size_t cap, lim;
	gva_t top;
	size_t off;
};

static int img_push(struct stack_img *s, const void *p, size_t n, gva_t *addr)
{
	if (n > s->lim - s->off)
		return -E2BIG;
	s->off += n;
	memcpy(s->buf + s->cap - s->off, p, n);
	*addr = s->top - s->off;
	return 0;
}

static int img_push_str(struct stack_img *s, const char *str, gva_t *addr)
{
	return img_push(s, str, strlen(str) + 1, addr);
}

/* Drop to a 16-byte aligned guest address, zero-filling the gap. */
static int img_align16(struct stack_img *s)
{
	size_t pad = (s->top - s->off) & 15;
	gva_t unused;

	if (!pad)
		return 0;
	return img_push(s, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", pad, &unused);
}

static void img_put64(struct stack_img *s, gva_t addr, uint64_t v)
{
	memcpy(s->buf + s->cap - (s->top - addr), &v, sizeof(v));
}

static size_t strv_count(const char *const *v)
{
	size_t n = 0;

	if (v)
		while (v[n])
			n++;
	return n;
}

/* Push @n strings, the last first, so v[0] is lowest; *lo is the guest address of v[0]. */
static int img_push_strv(struct stack_img *s, const char *const *v, size_t n, gva_t *lo)
{
	int ret;

	*lo = s->top - s->off;
	for (size_t i = n; i-- > 0;) {
		ret = img_push_str(s, v[i], lo);
		if (ret)
			return ret;
	}
	return 0;
}

/* Write the n pointers to the consecutive strings starting at @lo, then a NULL. */
static gva_t img_put_ptrs(struct stack_img *s, gva_t at, const char *const *v, size_t n, gva_t lo)
{
	for (size_t i = 0; i < n; i++, at += 8) {
		img_put64(s, at, lo);
		lo += strlen(v[i]) + 1;
	}
	img_put64(s, at, 0);
	return at + 8;
}

static bool auxv_has(const struct auxv_entry *auxv, size_t nauxv, uint64_t type)
{
	for (size_t i = 0; i < nauxv; i++)
		if (auxv[i].type == type)
			return true;
	return false;
}

int stack_build(uint8_t *buf, size_t cap, gva_t top, const char *const *argv,
		const char *const *envp, const char *execfn, const uint8_t random[16],
		const struct auxv_entry *auxv, size_t nauxv, gva_t *sp, size_t *used)
{
	struct stack_img s = { .buf = buf, .cap = cap, .lim = top < cap ? top : cap, .top = top };
	size_t argc = strv_count(argv), envc = strv_count(envp), nvec;
	gva_t execfn_at, env_lo, arg_lo, platform_at = 0, random_at, at, lo;
	uint64_t zero = 0;
	int ret;

	if (nauxv > s.lim / 16)
		return -E2BIG;
	/* Top down, as Linux: an 8-byte end marker, execfn, envp and argv strings, platform. */
	ret = img_push(&s, &zero, sizeof(zero), &at);
	ret = ret ?: img_push_str(&s, execfn ? execfn : "", &execfn_at);
	ret = ret ?: img_push_strv(&s, envp, envc, &env_lo);
	ret = ret ?: img_push_strv(&s, argv, argc, &arg_lo);
	if (!ret && auxv_has(auxv, nauxv, AT_PLATFORM))
		ret = img_push_str(&s, STACK_PLATFORM, &platform_at);
	ret = ret ?: img_align16(&s);
	ret = ret ?: img_push(&s, random, 16, &random_at);
	if (ret)
		return ret;

	/* argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL pair. Each string took >= 1
	 * byte of @cap, so argc and envc are below cap (nauxv was bounded above). */
	nvec = 1 + (argc + 1) + (envc + 1) + 2 * (nauxv + 1);
	if (nvec > (s.lim - s.off) / 8)
		return -E2BIG;
	lo = (s.top - s.off - nvec * 8) & ~(gva_t)15;
	if (s.top - lo > s.lim)
		return -E2BIG;
	s.off = s.top - lo;
	memset(s.buf + s.cap - s.off, 0, random_at - lo);

	img_put64(&s, lo, argc);
	at = img_put_ptrs(&s, lo + 8, argv, argc, arg_lo);
	at = img_put_ptrs(&s, at, envp, envc, env_lo);
	for (size_t i = 0; i < nauxv; i++, at += 16) {
		uint64_t v = auxv[i].val;

		if (auxv[i].type == AT_RANDOM)
			v = random_at;
		else if (auxv[i].type == AT_EXECFN)
			v = execfn_at;
		else if (auxv[i].type == AT_PLATFORM)
			v = platform_at;
		img_put64(&s, at, auxv[i].type);
		img_put64(&s, at + 8, v);
	}
	img_put64(&s, at, AT_NULL);
	img_put64(&s, at + 8, 0);

	*sp = lo;
	*used = s.off;
	return 0;
}
