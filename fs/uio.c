// SPDX-License-Identifier: Apache-2.0
/* Guest I/O vectors: validation (Linux's import_iovec rules) and copying through the mm. */
#include "fs/vfs.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "lib/compiler.h"

/* Linux caps a single read/write at INT_MAX rounded down to a page (MAX_RW_COUNT). */
#define MAX_RW_COUNT (INT_MAX & PAGE_MASK)


/* Linux's access_ok(): the range must lie in user space, whether or not it is mapped. */
static bool uio_access_ok(struct mm *mm, gva_t base, uint64_t len)
{
	return len == 0 || (base < mm_max_addr(mm) && len <= mm_max_addr(mm) - base);
}

int uio_init_single(struct uio *u, struct mm *mm, gva_t base, uint64_t len)
{
	if (!uio_access_ok(mm, base, len))
		return -EFAULT;
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	u->mm = mm;
	u->one.base = base;
	u->one.len = len;
	u->iov = &u->one;
	u->iovcnt = 1;
	u->cur = 0;
	u->cur_off = 0;
	u->resid = len;
	return 0;
}

int uio_init_guest_iov(struct uio *u, struct mm *mm, gva_t iov_addr, int cnt)
{
	struct iovec *raw;
	uint64_t total = 0;

	u->iov = NULL;
	if (cnt < 0 || cnt > UIO_MAXIOV)
		return -EINVAL;
	raw = calloc((size_t)cnt + 1, sizeof(*raw));
	u->iov = calloc((size_t)cnt + 1, sizeof(*u->iov));
	if (!raw || !u->iov) {
		free(raw);
		free(u->iov);
		u->iov = NULL;
		return -ENOMEM;
	}
	size_t bytes = (size_t)cnt * sizeof(*raw);
	if (cnt && mm_copy_in(mm, iov_addr, raw, bytes) != (ssize_t)bytes) {
		free(raw);
		free(u->iov);
		u->iov = NULL;
		return -EFAULT;
	}
	for (int i = 0; i < cnt; i++) {
		uint64_t len = raw[i].iov_len;
		if ((int64_t)len < 0 || !uio_access_ok(mm, (gva_t)(uintptr_t)raw[i].iov_base, len)) {
			free(raw);
			free(u->iov);
			u->iov = NULL;
			return (int64_t)len < 0 ? -EINVAL : -EFAULT;
		}
		/* Like Linux, silently truncate the total at MAX_RW_COUNT. */
		if (len > MAX_RW_COUNT - total)
			len = MAX_RW_COUNT - total;
		u->iov[i].base = (gva_t)(uintptr_t)raw[i].iov_base;
		u->iov[i].len = len;
		total += len;
	}
	free(raw);
	u->mm = mm;
	u->iovcnt = cnt;
	u->cur = 0;
	u->cur_off = 0;
	u->resid = total;
	return 0;
}

void uio_destroy(struct uio *u)
{
	if (u->iov != &u->one)
		free(u->iov);
	u->iov = NULL;
}

/* Advance to the next non-exhausted vector; false at the end. */
static bool uio_seek_nonempty(struct uio *u)
{
	while (u->cur < u->iovcnt && u->cur_off >= u->iov[u->cur].len) {
		u->cur++;
		u->cur_off = 0;
	}
	return u->cur < u->iovcnt;
}

void uio_advance(struct uio *u, uint64_t n)
{
	u->resid -= n;
	while (n && uio_seek_nonempty(u)) {
		uint64_t k = MIN(n, u->iov[u->cur].len - u->cur_off);

		u->cur_off += k;
		n -= k;
	}
}

static ssize_t uio_move(struct uio *u, void *buf, size_t len, bool out)
{
	size_t done = 0;

	while (done < len && u->resid && uio_seek_nonempty(u)) {
		struct uio_vec *v = &u->iov[u->cur];
		uint64_t n = MIN(len - done, v->len - u->cur_off);
		gva_t addr = v->base + u->cur_off;
		ssize_t r;
		if (!u->mm) { /* a kernel buffer (uio_init_kernel) */
			if (out)
				memcpy((void *)(uintptr_t)addr, (const char *)buf + done, n);
			else
				memcpy((char *)buf + done, (const void *)(uintptr_t)addr, n);
			r = (ssize_t)n;
		} else {
			r = out ? mm_copy_out(u->mm, addr, (const char *)buf + done, n)
				: mm_copy_in(u->mm, addr, (char *)buf + done, n);
		}
		if (r <= 0)
			return done ? (ssize_t)done : (r ? r : -EFAULT);
		done += (size_t)r;
		u->cur_off += (uint64_t)r;
		u->resid -= (uint64_t)r;
		if ((uint64_t)r < n)
			break; /* short copy: a fault part way */
	}
	return (ssize_t)done;
}

void uio_init_kernel(struct uio *u, void *buf, uint64_t len)
{
	memset(u, 0, sizeof(*u));
	u->one.base = (gva_t)(uintptr_t)buf;
	u->one.len = len;
	u->iov = &u->one;
	u->iovcnt = 1;
	u->resid = len;
}

ssize_t uio_copy_out(struct uio *u, const void *src, size_t len)
{
	return uio_move(u, (void *)src, len, true);
}

ssize_t uio_copy_in(struct uio *u, void *dst, size_t len)
{
	return uio_move(u, dst, len, false);
}
