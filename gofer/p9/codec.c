// SPDX-License-Identifier: Apache-2.0
/*
 * 9P field primitives: bounds-checked little-endian readers and writers over struct p9_buf,
 * the format-driven p9_get/p9_put, Rreaddir dirent helpers, and name/errno helpers.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "gofer/p9/p9.h"
#include "gofer/p9/p9_impl.h"

void p9_buf_init(struct p9_buf *b, void *data, size_t len)
{
	b->data = data;
	b->len = len;
	b->pos = 0;
	b->overflow = false;
}

/*
 * Reserve @n bytes for reading: returns a pointer to them, or NULL (and marks the buffer) when
 * fewer remain. Written as "n > len - pos" so that a huge @n cannot wrap the addition.
 */
static const uint8_t *get_bytes(struct p9_buf *b, size_t n)
{
	const uint8_t *p;

	if (b->overflow || b->pos > b->len || n > b->len - b->pos) {
		b->overflow = true;
		return NULL;
	}
	p = b->data + b->pos;
	b->pos += n;
	return p;
}

/* Same for writing; the caller stores into the returned bytes. */
static uint8_t *put_bytes(struct p9_buf *b, size_t n)
{
	uint8_t *p;

	if (b->overflow || b->pos > b->len || n > b->len - b->pos) {
		b->overflow = true;
		return NULL;
	}
	p = b->data + b->pos;
	b->pos += n;
	return p;
}

/* Explicit byte assembly: the wire is little-endian whatever the host, and unaligned. */
static uint64_t le_load(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void le_store(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

int p9_get_u8(struct p9_buf *b, uint8_t *out)
{
	const uint8_t *p = get_bytes(b, 1);

	if (!p)
		return -EPROTO;
	*out = p[0];
	return 0;
}

int p9_get_u16(struct p9_buf *b, uint16_t *out)
{
	const uint8_t *p = get_bytes(b, 2);

	if (!p)
		return -EPROTO;
	*out = (uint16_t)le_load(p, 2);
	return 0;
}

int p9_get_u32(struct p9_buf *b, uint32_t *out)
{
	const uint8_t *p = get_bytes(b, 4);

	if (!p)
		return -EPROTO;
	*out = (uint32_t)le_load(p, 4);
	return 0;
}

int p9_get_u64(struct p9_buf *b, uint64_t *out)
{
	const uint8_t *p = get_bytes(b, 8);

	if (!p)
		return -EPROTO;
	*out = le_load(p, 8);
	return 0;
}

int p9_get_str(struct p9_buf *b, struct p9_str *out)
{
	uint16_t len;
	const uint8_t *p;

	if (p9_get_u16(b, &len))
		return -EPROTO;
	p = get_bytes(b, len);
	if (!p)
		return -EPROTO;
	/* An embedded NUL would make the gofer's C-string copy name a different file. */
	if (memchr(p, '\0', len)) {
		b->overflow = true;
		return -EPROTO;
	}
	out->str = (const char *)p;
	out->len = len;
	return 0;
}

int p9_get_qid(struct p9_buf *b, struct p9_qid *out)
{
	const uint8_t *p = get_bytes(b, 13);

	if (!p)
		return -EPROTO;
	out->type = p[0];
	out->version = (uint32_t)le_load(p + 1, 4);
	out->path = le_load(p + 5, 8);
	return 0;
}

int p9_get_data(struct p9_buf *b, uint32_t *count, const uint8_t **data)
{
	uint32_t n;
	const uint8_t *p;

	if (p9_get_u32(b, &n))
		return -EPROTO;
	p = get_bytes(b, n);
	if (!p)
		return -EPROTO;
	*count = n;
	*data = p;
	return 0;
}

int p9_put_u8(struct p9_buf *b, uint8_t v)
{
	uint8_t *p = put_bytes(b, 1);

	if (!p)
		return -EMSGSIZE;
	p[0] = v;
	return 0;
}

int p9_put_u16(struct p9_buf *b, uint16_t v)
{
	uint8_t *p = put_bytes(b, 2);

	if (!p)
		return -EMSGSIZE;
	le_store(p, v, 2);
	return 0;
}

int p9_put_u32(struct p9_buf *b, uint32_t v)
{
	uint8_t *p = put_bytes(b, 4);

	if (!p)
		return -EMSGSIZE;
	le_store(p, v, 4);
	return 0;
}

int p9_put_u64(struct p9_buf *b, uint64_t v)
{
	uint8_t *p = put_bytes(b, 8);

	if (!p)
		return -EMSGSIZE;
	le_store(p, v, 8);
	return 0;
}

int p9_put_str(struct p9_buf *b, const struct p9_str *s)
{
	uint8_t *p;

	/* Refuse what p9_decode() would refuse, so every encoded message decodes back. */
	if (s->len > UINT16_MAX || (s->len && (!s->str || memchr(s->str, '\0', s->len))))
		return -EINVAL;
	p = put_bytes(b, 2 + s->len);
	if (!p)
		return -EMSGSIZE;
	le_store(p, s->len, 2);
	if (s->len)
		memcpy(p + 2, s->str, s->len);
	return 0;
}

int p9_put_qid(struct p9_buf *b, const struct p9_qid *q)
{
	uint8_t *p = put_bytes(b, 13);

	if (!p)
		return -EMSGSIZE;
	p[0] = q->type;
	le_store(p + 1, q->version, 4);
	le_store(p + 5, q->path, 8);
	return 0;
}

int p9_put_data(struct p9_buf *b, uint32_t count, const void *data)
{
	uint8_t *p;

	if (count && !data)
		return -EINVAL;
	p = put_bytes(b, 4 + (size_t)count);
	if (!p)
		return -EMSGSIZE;
	le_store(p, count, 4);
	/* Zero copy: the caller may have read(2) straight into the payload slot. */
	if (count && p + 4 != (const uint8_t *)data)
		memmove(p + 4, data, count);
	return 0;
}

/* Layouts of the two composite fields, in their own struct's offsets. */
#define SOFF(f) offsetof(struct p9_stat_dotl, f)
static const char stat_fmt[] = "qQdddqqqqqqqqqqqqqqq";
static const uint16_t stat_off[] = {
	SOFF(valid), SOFF(qid), SOFF(mode), SOFF(uid), SOFF(gid),
	SOFF(nlink), SOFF(rdev), SOFF(size), SOFF(blksize), SOFF(blocks),
	SOFF(atime_sec), SOFF(atime_nsec), SOFF(mtime_sec), SOFF(mtime_nsec),
	SOFF(ctime_sec), SOFF(ctime_nsec), SOFF(btime_sec), SOFF(btime_nsec),
	SOFF(gen), SOFF(data_version),
};
#undef SOFF
#define IOFF(f) offsetof(struct p9_iattr, f)
static const char iattr_fmt[] = "ddddqqqqq";
static const uint16_t iattr_off[] = {
	IOFF(valid), IOFF(mode), IOFF(uid), IOFF(gid), IOFF(size),
	IOFF(atime_sec), IOFF(atime_nsec), IOFF(mtime_sec), IOFF(mtime_nsec),
};
#undef IOFF

/* The composites contain only one-pointer letters, so offsets map one to one. */
static int composite_get(struct p9_buf *b, const char *fmt, const uint16_t *off, void *base)
{
	for (int i = 0; fmt[i]; i++) {
		int r = p9_field_get(b, fmt[i], (char *)base + off[i], NULL);
		if (r)
			return r;
	}
	return 0;
}

static int composite_put(struct p9_buf *b, const char *fmt, const uint16_t *off,
			 const void *base)
{
	for (int i = 0; fmt[i]; i++) {
		int r = p9_field_put(b, fmt[i], (const char *)base + off[i], NULL);
		if (r)
			return r;
	}
	return 0;
}

static bool composite_equal(const char *fmt, const uint16_t *off, const void *a, const void *b)
{
	for (int i = 0; fmt[i]; i++) {
		const char *pa = (const char *)a + off[i], *pb = (const char *)b + off[i];

		if (!p9_field_equal(fmt[i], pa, NULL, pb, NULL))
			return false;
	}
	return true;
}

int p9_field_get(struct p9_buf *b, char c, void *p, void *p2)
{
	uint16_t n;
	int r;

	switch (c) {
	case 'b': return p9_get_u8(b, p);
	case 'w': return p9_get_u16(b, p);
	case 'd': return p9_get_u32(b, p);
	case 'q': return p9_get_u64(b, p);
	case 's': return p9_get_str(b, p);
	case 'Q': return p9_get_qid(b, p);
	case 'D': return p9_get_data(b, p, p2);
	case 'A': return composite_get(b, stat_fmt, stat_off, p);
	case 'I': return composite_get(b, iattr_fmt, iattr_off, p);
	case 'T':
	case 'R':
		if (p9_get_u16(b, &n))
			return -EPROTO;
		if (n > P9_MAXWELEM) {
			b->overflow = true;
			return -EPROTO;
		}
		for (uint16_t i = 0; i < n; i++) {
			r = c == 'T' ? p9_get_str(b, (struct p9_str *)p2 + i)
				     : p9_get_qid(b, (struct p9_qid *)p2 + i);
			if (r)
				return r;
		}
		*(uint16_t *)p = n;
		return 0;
	}
	return -EINVAL;
}

int p9_field_put(struct p9_buf *b, char c, const void *p, const void *p2)
{
	uint16_t n;
	int r;

	switch (c) {
	case 'b': return p9_put_u8(b, *(const uint8_t *)p);
	case 'w': return p9_put_u16(b, *(const uint16_t *)p);
	case 'd': return p9_put_u32(b, *(const uint32_t *)p);
	case 'q': return p9_put_u64(b, *(const uint64_t *)p);
	case 's': return p9_put_str(b, p);
	case 'Q': return p9_put_qid(b, p);
	case 'D': return p9_put_data(b, *(const uint32_t *)p, *(const uint8_t *const *)p2);
	case 'A': return composite_put(b, stat_fmt, stat_off, p);
	case 'I': return composite_put(b, iattr_fmt, iattr_off, p);
	case 'T':
	case 'R':
		n = *(const uint16_t *)p;
		if (n > P9_MAXWELEM)
			return -EINVAL;
		r = p9_put_u16(b, n);
		for (uint16_t i = 0; i < n && !r; i++)
			r = c == 'T' ? p9_put_str(b, (const struct p9_str *)p2 + i)
				     : p9_put_qid(b, (const struct p9_qid *)p2 + i);
		return r;
	}
	return -EINVAL;
}

static bool str_equal(const struct p9_str *a, const struct p9_str *b)
{
	return a->len == b->len && (!a->len || memcmp(a->str, b->str, a->len) == 0);
}

static bool qid_equal(const struct p9_qid *a, const struct p9_qid *b)
{
	return a->type == b->type && a->version == b->version && a->path == b->path;
}

bool p9_field_equal(char c, const void *pa, const void *pa2, const void *pb, const void *pb2)
{
	uint16_t n;

	switch (c) {
	case 'b': return *(const uint8_t *)pa == *(const uint8_t *)pb;
	case 'w': return *(const uint16_t *)pa == *(const uint16_t *)pb;
	case 'd': return *(const uint32_t *)pa == *(const uint32_t *)pb;
	case 'q': return *(const uint64_t *)pa == *(const uint64_t *)pb;
	case 's': return str_equal(pa, pb);
	case 'Q': return qid_equal(pa, pb);
	case 'A': return composite_equal(stat_fmt, stat_off, pa, pb);
	case 'I': return composite_equal(iattr_fmt, iattr_off, pa, pb);
	case 'D':
		if (*(const uint32_t *)pa != *(const uint32_t *)pb)
			return false;
		return !*(const uint32_t *)pa || memcmp(*(const uint8_t *const *)pa2,
							 *(const uint8_t *const *)pb2,
							 *(const uint32_t *)pa) == 0;
	case 'T':
	case 'R':
		n = *(const uint16_t *)pa;
		if (n != *(const uint16_t *)pb || n > P9_MAXWELEM)
			return false;
		for (uint16_t i = 0; i < n; i++) {
			bool eq = c == 'T' ? str_equal((const struct p9_str *)pa2 + i,
						       (const struct p9_str *)pb2 + i)
					   : qid_equal((const struct p9_qid *)pa2 + i,
						       (const struct p9_qid *)pb2 + i);
			if (!eq)
				return false;
		}
		return true;
	}
	return false;
}

int p9_get(struct p9_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r = 0;

	va_start(ap, fmt);
	for (; *fmt && !r; fmt++) {
		void *p = va_arg(ap, void *);
		void *p2 = p9_fmt_two_ptrs(*fmt) ? va_arg(ap, void *) : NULL;

		r = p9_field_get(b, *fmt, p, p2);
	}
	va_end(ap);
	return r;
}

int p9_put(struct p9_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r = 0;

	va_start(ap, fmt);
	for (; *fmt && !r; fmt++) {
		/* Scalars arrive by value (promoted): copy them to a slot p9_field_put can read. */
		union {
			uint8_t u8;
			uint16_t u16;
			uint32_t u32;
			uint64_t u64;
		} v;
		const void *data;
		const void *p;

		switch (*fmt) {
		case 'b': v.u8 = (uint8_t)va_arg(ap, unsigned int); p = &v.u8; break;
		case 'w': v.u16 = (uint16_t)va_arg(ap, unsigned int); p = &v.u16; break;
		case 'd': v.u32 = va_arg(ap, unsigned int); p = &v.u32; break;
		case 'q': v.u64 = va_arg(ap, uint64_t); p = &v.u64; break;
		case 's': case 'Q': case 'A': case 'I': p = va_arg(ap, const void *); break;
		case 'D':
			v.u32 = va_arg(ap, uint32_t);
			data = va_arg(ap, const void *);
			r = p9_field_put(b, 'D', &v.u32, &data);
			continue;
		case 'T':
		case 'R': {
			unsigned int n = va_arg(ap, unsigned int);

			if (n > P9_MAXWELEM) {
				r = -EINVAL;
				continue;
			}
			v.u16 = (uint16_t)n;
			r = p9_field_put(b, *fmt, &v.u16, va_arg(ap, const void *));
			continue;
		}
		default:
			r = -EINVAL;
			continue;
		}
		r = p9_field_put(b, *fmt, p, NULL);
	}
	va_end(ap);
	return r;
}

int p9_dirent_put(struct p9_buf *b, const struct p9_dirent *d)
{
	size_t save = b->pos;
	int r;

	/* A bad name is the caller's bug, reported as such even when the buffer is full. */
	if (d->name.len > UINT16_MAX ||
	    (d->name.len && (!d->name.str || memchr(d->name.str, '\0', d->name.len))))
		return -EINVAL;
	if (b->overflow)
		return -EMSGSIZE;
	r = p9_put(b, "Qqbs", &d->qid, d->offset, (unsigned int)d->type, &d->name);
	if (r) {
		/* Undo a partial entry so the caller can send the payload built so far. */
		b->pos = save;
		b->overflow = false;
	}
	return r;
}

int p9_dirent_next(struct p9_buf *b, struct p9_dirent *d)
{
	if (!b->overflow && b->pos == b->len)
		return 0;
	return p9_get(b, "Qqbs", &d->qid, &d->offset, &d->type, &d->name) ? -EPROTO : 1;
}

bool p9_dirents_valid(const uint8_t *data, size_t len)
{
	struct p9_buf b;
	struct p9_dirent d;
	int r;

	p9_buf_init(&b, (void *)data, len);
	while ((r = p9_dirent_next(&b, &d)) == 1)
		;
	return r == 0;
}

bool p9_reply_may_carry_fd(const struct p9_msg *req)
{
	switch (req->type) {
	case P9_TLOPEN:
		return req->tlopen.flags & P9_OPEN_DONATE_FD;
	case P9_TLCREATE:
		return req->tlcreate.flags & P9_OPEN_DONATE_FD;
	default:
		return false;
	}
}

bool p9_reply_fd_ok(const struct p9_msg *req, const struct p9_msg *rep)
{
	return p9_reply_may_carry_fd(req) && rep->type == req->type + 1;
}

bool p9_name_valid(const struct p9_str *s)
{
	if (s->len == 0 || s->len > UINT16_MAX || !s->str)
		return false;
	if ((s->len == 1 && s->str[0] == '.') ||
	    (s->len == 2 && s->str[0] == '.' && s->str[1] == '.'))
		return false;
	return !memchr(s->str, '/', s->len) && !memchr(s->str, '\0', s->len);
}

int p9_str_copy(const struct p9_str *s, char *dst, size_t cap)
{
	if (s->len >= cap) {
		if (cap)
			dst[0] = '\0';
		return -ENAMETOOLONG;
	}
	if (s->len)
		memcpy(dst, s->str, s->len);
	dst[s->len] = '\0';
	return 0;
}

bool p9_str_eq(const struct p9_str *s, const char *cstr)
{
	size_t n = strlen(cstr);

	return s->len == n && (!n || memcmp(s->str, cstr, n) == 0);
}

void p9_rlerror(struct p9_msg *m, uint16_t tag, int err)
{
	unsigned int e = err < 0 ? (unsigned int)-(long)err : (unsigned int)err;

	m->type = P9_RLERROR;
	m->tag = tag;
	m->rlerror.ecode = (e == 0 || e > 4095) ? EIO : e;
}

int p9_rlerror_errno(uint32_t ecode)
{
	return (ecode == 0 || ecode > 4095) ? -EIO : -(int)ecode;
}
