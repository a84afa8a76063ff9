// SPDX-License-Identifier: Apache-2.0
/*
 * 9P2000.L codec: every message against hand-built wire bytes, round trips, and malformed input
 * (truncation at every offset, size/msize, strings, nwname, counts, trailing bytes, mutation).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "gofer/p9/p9.h"
#include "tests/unit/p9/samples.h"


static void setup(void)
{
	build_dirents();
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

START_TEST(test_type_table_complete)
{
	unsigned known = 0;

	for (unsigned t = 0; t < 256; t++)
		known += p9_msg_name((uint8_t)t) != NULL;
	ck_assert_uint_eq(known, NTYPES);
	for (size_t i = 0; i < NTYPES; i++)
		ck_assert_ptr_nonnull(p9_msg_name(all_types[i]));
	ck_assert_str_eq(p9_msg_name(P9_TWALK), "Twalk");
	ck_assert_ptr_null(p9_msg_name(P9_TLERROR));
	ck_assert_ptr_null(p9_msg_name(106)); /* Terror */
	ck_assert_ptr_null(p9_msg_name(112)); /* Topen */
}
END_TEST

START_TEST(test_golden_version)
{
	static const uint8_t want[] = { 21, 0, 0, 0, 100, 0xff, 0xff, 0x00, 0x00, 0x10, 0x00,
					8, 0, '9', 'P', '2', '0', '0', '0', '.', 'L' };
	struct p9_msg m = { .type = P9_TVERSION, .tag = P9_NOTAG };
	uint8_t buf[64];
	size_t len;

	m.tversion.msize = P9_MSIZE_DEFAULT;
	m.tversion.version = P9_STR(P9_VERSION_L);
	ck_assert_int_eq(p9_encode(&m, buf, sizeof(buf), &len), 0);
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

/* Fixed-size bodies from the spec: a wrong letter in the table would change them. */
START_TEST(test_fixed_sizes)
{
	static const struct { uint8_t type; size_t len; } sz[] = {
		{ P9_RGETATTR, 7 + 8 + 13 + 3 * 4 + 15 * 8 },
		{ P9_TSETATTR, 7 + 4 + 4 * 4 + 5 * 8 },
		{ P9_RSTATFS, 7 + 2 * 4 + 6 * 8 + 4 },
		{ P9_TGETATTR, 7 + 4 + 8 },
		{ P9_RLOPEN, 7 + 13 + 4 },
		{ P9_TREAD, 7 + 4 + 8 + 4 },
		{ P9_TFSYNC, 7 + 8 },
		{ P9_RLOCK, 7 + 1 },
		{ P9_RCLUNK, 7 },
		{ P9_RXATTRWALK, 7 + 8 },
	};
	struct sample s;
	uint8_t buf[1024];
	size_t len;

	for (size_t i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		make_sample(sz[i].type, &s);
		ck_assert_int_eq(p9_encode(&s.m, buf, sizeof(buf), &len), 0);
		ck_assert_msg(len == sz[i].len, "%s: %zu != %zu", p9_msg_name(sz[i].type), len,
			      sz[i].len);
	}
}
END_TEST

START_TEST(test_roundtrip_every_type)
{
	uint8_t type = all_types[_i];
	struct sample s;
	struct p9_msg d;
	uint8_t buf[1024];
	size_t len = 0;

	make_sample(type, &s);
	ck_assert_int_eq(p9_encode(&s.m, buf, sizeof(buf), &len), 0);
	ck_assert_msg(len == s.len && memcmp(buf, s.bytes, len) == 0, "%s: wrong wire bytes",
		      p9_msg_name(type));
	ck_assert_int_eq(p9_decode(buf, len, P9_MSIZE_DEFAULT, &d), 0);
	ck_assert_uint_eq(d.type, type);
	ck_assert_uint_eq(d.tag, s.m.tag);
	ck_assert_msg(p9_msg_equal(&d, &s.m), "%s: decode differs", p9_msg_name(type));
	/* Views point into the decoded buffer, not at the originals. */
	if (type == P9_TWALK) {
		ck_assert_ptr_eq(d.twalk.wnames[0].str, (const char *)buf + 7 + 10 + 2);
		ck_assert(p9_str_eq(&d.twalk.wnames[2], "file.txt"));
	}
}
END_TEST

/* Field-level spot checks of decode against the struct, independent of p9_msg_equal. */
START_TEST(test_decode_fields)
{
	struct sample s;
	struct p9_msg d;

	make_sample(P9_RGETATTR, &s);
	ck_assert_int_eq(p9_decode(s.bytes, s.len, P9_MSIZE_DEFAULT, &d), 0);
	ck_assert_uint_eq(d.rgetattr.st.mode, 040755);
	ck_assert_uint_eq(d.rgetattr.st.gid, 1001);
	ck_assert_uint_eq(d.rgetattr.st.qid.path, QID1.path);
	ck_assert_uint_eq(d.rgetattr.st.data_version, OFF64 + 14 * 0x1111);
	ck_assert_uint_eq(d.rgetattr.st.atime_nsec, OFF64 + 6 * 0x1111);

	make_sample(P9_TLOCK, &s);
	ck_assert_int_eq(p9_decode(s.bytes, s.len, P9_MSIZE_DEFAULT, &d), 0);
	ck_assert_uint_eq(d.tlock.type, P9_LOCK_TYPE_WRLCK);
	ck_assert_uint_eq(d.tlock.length, BIG64);
	ck_assert(p9_str_eq(&d.tlock.client_id, "host-1"));

	make_sample(P9_TWRITE, &s);
	ck_assert_int_eq(p9_decode(s.bytes, s.len, P9_MSIZE_DEFAULT, &d), 0);
	ck_assert_uint_eq(d.twrite.count, sizeof(HELLO) - 1);
	ck_assert_ptr_eq(d.twrite.data, s.bytes + 7 + 16);
	ck_assert_mem_eq(d.twrite.data, HELLO, d.twrite.count);

	make_sample(P9_TSETATTR, &s);
	ck_assert_int_eq(p9_decode(s.bytes, s.len, P9_MSIZE_DEFAULT, &d), 0);
	ck_assert_uint_eq(d.tsetattr.attr.size, BIG64);
	ck_assert_uint_eq(d.tsetattr.attr.mtime_nsec, 13);
}
END_TEST

/* Cut every message at every byte, with and without a size field that agrees. */
START_TEST(test_truncated_every_offset)
{
	struct sample s;
	struct p9_msg d;
	uint8_t buf[1024];

	make_sample(all_types[_i], &s);
	for (size_t k = 0; k < s.len; k++) {
		memcpy(buf, s.bytes, s.len);
		ck_assert_int_eq(p9_decode(buf, k, P9_MSIZE_DEFAULT, &d), -EPROTO);
		if (k >= 4) {
			put_le32(buf, (uint32_t)k);
			ck_assert_msg(p9_decode(buf, k, P9_MSIZE_DEFAULT, &d) == -EPROTO,
				      "%s cut at %zu", p9_msg_name(s.m.type), k);
		}
	}
}
END_TEST

START_TEST(test_trailing_bytes)
{
	struct sample s;
	struct p9_msg d;

	make_sample(all_types[_i], &s);
	for (size_t extra = 1; extra <= 3; extra++) {
		put_le32(s.bytes, (uint32_t)(s.len + extra));
		ck_assert_int_eq(p9_decode(s.bytes, s.len + extra, P9_MSIZE_DEFAULT, &d), -EPROTO);
	}
}
END_TEST

START_TEST(test_size_field)
{
	static const uint32_t bad[] = { 0, 1, 6, 7, 20, 22, 0x10000, 0xffffffff };
	struct sample s;
	struct p9_msg d;
	uint32_t size;

	make_sample(P9_TVERSION, &s); /* 21 bytes */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_le32(s.bytes, bad[i]);
		ck_assert_int_eq(p9_decode(s.bytes, s.len, P9_MSIZE_DEFAULT, &d), -EPROTO);
	}
	/* msize: equal is fine, one byte over is not. */
	put_le32(s.bytes, 21);
	ck_assert_int_eq(p9_decode(s.bytes, 21, 21, &d), 0);
	ck_assert_int_eq(p9_decode(s.bytes, 21, 20, &d), -EPROTO);

	ck_assert_int_eq(p9_frame_size(s.bytes, 3, 4096, &size), -EAGAIN);
	ck_assert_int_eq(p9_frame_size(s.bytes, 4, 4096, &size), 0);
	ck_assert_uint_eq(size, 21);
	ck_assert_int_eq(p9_frame_size(s.bytes, 4, 20, &size), -EPROTO);
	put_le32(s.bytes, 6);
	ck_assert_int_eq(p9_frame_size(s.bytes, 4, 4096, &size), -EPROTO);
	put_le32(s.bytes, 7);
	ck_assert_int_eq(p9_frame_size(s.bytes, 7, 4096, &size), 0);
}
END_TEST

START_TEST(test_unknown_type)
{
	static const uint8_t types[] = { 0, 6, 10, 28, 106, 107, 112, 114, 124, 126, 202, 255 };
	uint8_t buf[7] = { 7, 0, 0, 0, 0, 0x34, 0x12 };
	struct p9_msg d;

	for (size_t i = 0; i < sizeof(types); i++) {
		buf[4] = types[i];
		ck_assert_int_eq(p9_decode(buf, 7, P9_MSIZE_DEFAULT, &d), -EOPNOTSUPP);
		ck_assert_uint_eq(d.tag, 0x1234); /* so the gofer can answer Rlerror */
		d.type = types[i];
		ck_assert_int_eq(p9_encode(&d, buf, sizeof(buf), &(size_t){ 0 }), -EOPNOTSUPP);
	}
}
END_TEST

START_TEST(test_strings)
{
	struct sample s;
	struct p9_msg d;
	uint8_t buf[64];
	size_t name_at = 7 + 4; /* Tlcreate: fid[4] then name[s] */

	make_sample(P9_TLCREATE, &s);
	/* Length one past the end of the message, and the maximum. */
	s.bytes[name_at] = (uint8_t)(s.len - name_at - 2 + 1);
	s.bytes[name_at + 1] = 0;
	ck_assert_int_eq(p9_decode(s.bytes, s.len, P9_MSIZE_DEFAULT, &d), -EPROTO);
	s.bytes[name_at] = s.bytes[name_at + 1] = 0xff;
	ck_assert_int_eq(p9_decode(s.bytes, s.len, P9_MSIZE_DEFAULT, &d), -EPROTO);

	/* NUL inside a string, at the start, middle and end. */
	for (size_t k = 0; k < 8; k += 3) {
		make_sample(P9_TLCREATE, &s);
		s.bytes[name_at + 2 + k] = 0;
		ck_assert_int_eq(p9_decode(s.bytes, s.len, P9_MSIZE_DEFAULT, &d), -EPROTO);
	}
	make_sample(P9_TLCREATE, &s);
	s.m.tlcreate.name = (struct p9_str){ "a\0b", 3 };
	ck_assert_int_eq(p9_encode(&s.m, buf, sizeof(buf), &(size_t){ 0 }), -EINVAL);
	s.m.tlcreate.name = (struct p9_str){ "x", 70000 };
	ck_assert_int_eq(p9_encode(&s.m, buf, sizeof(buf), &(size_t){ 0 }), -EINVAL);
}
END_TEST

START_TEST(test_walk_limits)
{
	uint8_t buf[1024];
	struct p9_buf b;
	struct p9_msg m = { .type = P9_TWALK, .tag = 1 }, d;
	size_t len;

	/* 16 names is the maximum and works. */
	m.twalk.nwname = P9_MAXWELEM;
	for (int i = 0; i < P9_MAXWELEM; i++)
		m.twalk.wnames[i] = P9_STR("d");
	ck_assert_int_eq(p9_encode(&m, buf, sizeof(buf), &len), 0);
	ck_assert_int_eq(p9_decode(buf, len, P9_MSIZE_DEFAULT, &d), 0);
	ck_assert_uint_eq(d.twalk.nwname, 16);
	m.twalk.nwname = 17;
	ck_assert_int_eq(p9_encode(&m, buf, sizeof(buf), &len), -EINVAL);

	/* Hand-made Twalk with nwname 17 and 17 real names. */
	p9_buf_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(p9_put(&b, "dbwddw", 0U, P9_TWALK, 1, 1, 2, 17), 0);
	for (int i = 0; i < 17; i++)
		ck_assert_int_eq(p9_put(&b, "s", &m.twalk.wnames[0]), 0);
	put_le32(buf, (uint32_t)b.pos);
	ck_assert_int_eq(p9_decode(buf, b.pos, P9_MSIZE_DEFAULT, &d), -EPROTO);

	/* Rwalk with nwqid 17. */
	p9_buf_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(p9_put(&b, "dbww", 0U, P9_RWALK, 1, 17), 0);
	for (int i = 0; i < 17; i++)
		ck_assert_int_eq(p9_put(&b, "Q", &QID1), 0);
	put_le32(buf, (uint32_t)b.pos);
	ck_assert_int_eq(p9_decode(buf, b.pos, P9_MSIZE_DEFAULT, &d), -EPROTO);
	/* nwname 65535 with nothing behind it. */
	p9_buf_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(p9_put(&b, "dbwddw", 17U, P9_TWALK, 1, 1, 2, 0xffff), 0);
	ck_assert_int_eq(p9_decode(buf, b.pos, P9_MSIZE_DEFAULT, &d), -EPROTO);
}
END_TEST

START_TEST(test_counts)
{
	static const uint8_t types[] = { P9_RREAD, P9_TWRITE, P9_RREADDIR };
	struct sample s;
	struct p9_msg d;

	for (size_t i = 0; i < sizeof(types); i++) {
		size_t at;

		make_sample(types[i], &s);
		at = types[i] == P9_TWRITE ? 7 + 12 : 7;
		/* count one more than the data, then huge: both exceed the message. */
		put_le32(s.bytes + at, (uint32_t)(s.len - at - 4 + 1));
		ck_assert_int_eq(p9_decode(s.bytes, s.len, P9_MSIZE_DEFAULT, &d), -EPROTO);
		put_le32(s.bytes + at, 0xffffffff);
		ck_assert_int_eq(p9_decode(s.bytes, s.len, P9_MSIZE_DEFAULT, &d), -EPROTO);
		/* count one less: the last data byte becomes trailing garbage. */
		put_le32(s.bytes + at, (uint32_t)(s.len - at - 4 - 1));
		ck_assert_int_eq(p9_decode(s.bytes, s.len, P9_MSIZE_DEFAULT, &d), -EPROTO);
	}
	/* A count with no data pointer cannot be encoded. */
	make_sample(P9_RREAD, &s);
	s.m.rread.data = NULL;
	ck_assert_int_eq(p9_encode(&s.m, s.bytes, sizeof(s.bytes), &(size_t){ 0 }), -EINVAL);
}
END_TEST

START_TEST(test_encode_capacity)
{
	uint8_t type = all_types[_i];
	struct sample s;
	uint8_t buf[1024];
	size_t len;

	make_sample(type, &s);
	for (size_t cap = 0; cap < s.len; cap++)
		ck_assert_int_eq(p9_encode(&s.m, buf, cap, &len), -EMSGSIZE);
	ck_assert_int_eq(p9_encode(&s.m, buf, s.len, &len), 0);
	ck_assert_uint_eq(len, s.len);
}
END_TEST

START_TEST(test_rread_zero_copy)
{
	uint8_t buf[64];
	struct p9_msg m = { .type = P9_RREAD, .tag = 3 }, d;
	size_t len;

	memcpy(buf + P9_RREAD_DATA_OFF, "in place", 8);
	m.rread.count = 8;
	m.rread.data = buf + P9_RREAD_DATA_OFF;
	ck_assert_int_eq(p9_encode(&m, buf, sizeof(buf), &len), 0);
	ck_assert_uint_eq(len, P9_RREAD_DATA_OFF + 8);
	ck_assert_int_eq(p9_decode(buf, len, P9_MSIZE_DEFAULT, &d), 0);
	ck_assert_mem_eq(d.rread.data, "in place", 8);
}
END_TEST

START_TEST(test_readdir_payload)
{
	uint8_t small[30], buf[256];
	struct p9_dirent d, big = { .qid = QID1, .offset = 9, .type = 4, .name = P9_STR("x") };
	struct p9_buf b;
	struct p9_msg m;
	int n = 0, r;

	p9_buf_init(&b, dirents, dirents_len);
	while ((r = p9_dirent_next(&b, &d)) == 1)
		n++;
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(n, 2);
	ck_assert(p9_str_eq(&d.name, "file.txt"));
	ck_assert_uint_eq(d.offset, 2);
	ck_assert_uint_eq(d.qid.path, QID2.path);

	/* A full buffer refuses the entry and stays usable. */
	p9_buf_init(&b, small, sizeof(small));
	ck_assert_int_eq(p9_dirent_put(&b, &big), 0); /* 25 bytes */
	ck_assert_int_eq(p9_dirent_put(&b, &big), -EMSGSIZE);
	ck_assert_uint_eq(b.pos, 25);
	ck_assert(!b.overflow);
	big.name = (struct p9_str){ "a\0", 2 };
	ck_assert_int_eq(p9_dirent_put(&b, &big), -EINVAL);
	ck_assert_uint_eq(b.pos, 25);

	/* Truncated payloads: the walker and the decoder both refuse them. */
	for (size_t k = 1; k < dirents_len; k++) {
		if (k == 25) /* a whole first entry (".") is a valid payload */
			continue;
		p9_buf_init(&b, dirents, k);
		while ((r = p9_dirent_next(&b, &d)) == 1)
			;
		ck_assert_int_eq(r, -EPROTO);
		m = (struct p9_msg){ .type = P9_RREADDIR, .tag = 1 };
		m.rreaddir.count = (uint32_t)k;
		m.rreaddir.data = dirents;
		ck_assert_int_eq(p9_encode(&m, buf, sizeof(buf), &(size_t){ 0 }), -EINVAL);
		p9_buf_init(&b, buf, sizeof(buf));
		ck_assert_int_eq(p9_put(&b, "dbwD", (unsigned)(11 + k), P9_RREADDIR, 1, (uint32_t)k,
					dirents), 0);
		ck_assert_int_eq(p9_decode(buf, b.pos, P9_MSIZE_DEFAULT, &m), -EPROTO);
	}
}
END_TEST

START_TEST(test_name_valid)
{
	static const char *const good[] = { "a", "file.txt", "...", ".hidden", "a..b", "-" };
	struct p9_str s;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		s = P9_STR(good[i]);
		ck_assert_msg(p9_name_valid(&s), "%s", good[i]);
	}
	s = P9_STR("");
	ck_assert(!p9_name_valid(&s));
	s = P9_STR(".");
	ck_assert(!p9_name_valid(&s));
	s = P9_STR("..");
	ck_assert(!p9_name_valid(&s));
	s = P9_STR("a/b");
	ck_assert(!p9_name_valid(&s));
	s = P9_STR("/");
	ck_assert(!p9_name_valid(&s));
	s = (struct p9_str){ "ab\0", 3 };
	ck_assert(!p9_name_valid(&s));
	s = (struct p9_str){ "..x", 2 }; /* the view is "..", whatever follows in memory */
	ck_assert(!p9_name_valid(&s));
}
END_TEST

START_TEST(test_helpers)
{
	struct p9_msg m;
	struct p9_str s = { "abcdef", 3 };
	char out[4];

	p9_rlerror(&m, 9, -ENOENT);
	ck_assert_uint_eq(m.type, P9_RLERROR);
	ck_assert_uint_eq(m.tag, 9);
	ck_assert_uint_eq(m.rlerror.ecode, ENOENT);
	p9_rlerror(&m, 9, EACCES);
	ck_assert_uint_eq(m.rlerror.ecode, EACCES);
	p9_rlerror(&m, 9, 0);
	ck_assert_uint_eq(m.rlerror.ecode, EIO);
	p9_rlerror(&m, 9, -100000);
	ck_assert_uint_eq(m.rlerror.ecode, EIO);
	ck_assert_int_eq(p9_rlerror_errno(ENOENT), -ENOENT);
	ck_assert_int_eq(p9_rlerror_errno(0), -EIO);
	ck_assert_int_eq(p9_rlerror_errno(0xffffffff), -EIO);

	ck_assert_int_eq(p9_str_copy(&s, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "abc");
	s.len = 4;
	ck_assert_int_eq(p9_str_copy(&s, out, sizeof(out)), -ENAMETOOLONG);
	ck_assert_str_eq(out, "");
	ck_assert(p9_str_eq(&s, "abcd"));
	ck_assert(!p9_str_eq(&s, "abc"));
}
END_TEST

START_TEST(test_get_put_formats)
{
	uint8_t buf[64];
	struct p9_buf b;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32, cnt;
	uint64_t u64;
	struct p9_str str;
	struct p9_qid q;
	const uint8_t *data;
	struct p9_str in = P9_STR("xyz");

	p9_buf_init(&b, buf, sizeof(buf));
	ck_assert_int_eq(p9_put(&b, "bwdqsQD", 0xab, 0xbeef, 0xcafef00d, BIG64, &in, &QID2, 3U,
				"123"), 0);
	ck_assert_uint_eq(b.pos, 1 + 2 + 4 + 8 + 5 + 13 + 7);
	ck_assert_int_eq(p9_put(&b, "x", 1), -EINVAL);
	p9_buf_init(&b, buf, b.pos);
	ck_assert_int_eq(p9_get(&b, "bwdqsQD", &u8, &u16, &u32, &u64, &str, &q, &cnt, &data), 0);
	ck_assert_uint_eq(u8, 0xab);
	ck_assert_uint_eq(u16, 0xbeef);
	ck_assert_uint_eq(u32, 0xcafef00d);
	ck_assert_uint_eq(u64, BIG64);
	ck_assert(p9_str_eq(&str, "xyz"));
	ck_assert_uint_eq(q.path, 42);
	ck_assert_uint_eq(cnt, 3);
	ck_assert_mem_eq(data, "123", 3);
	/* Sticky: once a read runs off the end, even a 1-byte read fails. */
	ck_assert_int_eq(p9_get(&b, "q", &u64), -EPROTO);
	ck_assert(b.overflow);
	b.pos = 0;
	ck_assert_int_eq(p9_get_u8(&b, &u8), -EPROTO);
	/* Little-endian on the wire. */
	ck_assert_uint_eq(buf[1], 0xef);
	ck_assert_uint_eq(buf[2], 0xbe);
}
END_TEST

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/*
 * Flip random bytes of valid messages: decode must never crash, and whatever it accepts must
 * encode back to the very same bytes (the wire form is canonical).
 */
START_TEST(test_mutation)
{
	struct sample s;
	struct p9_msg d;
	uint8_t buf[1024], out[1024];
	size_t len;
	int accepted = 0;

	for (int iter = 0; iter < 20000; iter++) {
		make_sample(all_types[rng() % NTYPES], &s);
		memcpy(buf, s.bytes, s.len);
		len = s.len;
		for (int f = 1 + (int)(rng() % 4); f > 0; f--)
			buf[rng() % len] ^= (uint8_t)(1 + rng() % 255);
		if (rng() % 4 == 0) /* sometimes keep the size field honest */
			put_le32(buf, (uint32_t)len);
		if (p9_decode(buf, len, P9_MSIZE_DEFAULT, &d) == 0) {
			size_t olen;

			accepted++;
			ck_assert_int_eq(p9_encode(&d, out, sizeof(out), &olen), 0);
			ck_assert_uint_eq(olen, len);
			ck_assert_mem_eq(out, buf, len);
		}
	}
	ck_assert_int_gt(accepted, 0);
}
END_TEST

/* Fd donation: which requests may bring an fd back, and with which replies. */
START_TEST(test_donate_flag)
{
	struct p9_msg t = { .type = P9_TLOPEN }, r = { .type = P9_RLOPEN };
	struct p9_msg e = { .type = P9_RLERROR }, w = { .type = P9_TWALK };
	uint8_t buf[64];
	size_t len;

	t.tlopen = (struct p9_tlopen){ .fid = 1, .flags = O_RDONLY };
	ck_assert(!p9_reply_may_carry_fd(&t));
	ck_assert(!p9_reply_fd_ok(&t, &r));
	t.tlopen.flags |= P9_OPEN_DONATE_FD;
	ck_assert(p9_reply_may_carry_fd(&t));
	ck_assert(p9_reply_fd_ok(&t, &r));
	ck_assert(!p9_reply_fd_ok(&t, &e)); /* an error brings no fd */
	/* The flag is an ordinary bit of the flags field: it survives the wire. */
	ck_assert_int_eq(p9_encode(&t, buf, sizeof(buf), &len), 0);
	ck_assert_int_eq(p9_decode(buf, len, sizeof(buf), &r), 0);
	ck_assert_uint_eq(r.tlopen.flags, O_RDONLY | P9_OPEN_DONATE_FD);
	t = (struct p9_msg){ .type = P9_TLCREATE };
	t.tlcreate = (struct p9_tlcreate){ .fid = 1, .name = P9_STR("n"),
					   .flags = O_RDWR | P9_OPEN_DONATE_FD };
	r = (struct p9_msg){ .type = P9_RLCREATE };
	ck_assert(p9_reply_fd_ok(&t, &r));
	r.type = P9_RLOPEN;
	ck_assert(!p9_reply_fd_ok(&t, &r)); /* the reply must match the request */
	w.twalk.fid = P9_OPEN_DONATE_FD;
	ck_assert(!p9_reply_may_carry_fd(&w));
}
END_TEST

Suite *p9_suite(void);
Suite *p9_suite(void)
{
	Suite *s = suite_create("p9");
	TCase *wire = tcase_create("wire");
	TCase *bad = tcase_create("malformed");

	tcase_add_checked_fixture(wire, setup, NULL);
	tcase_add_test(wire, test_type_table_complete);
	tcase_add_test(wire, test_golden_version);
	tcase_add_test(wire, test_fixed_sizes);
	tcase_add_loop_test(wire, test_roundtrip_every_type, 0, NTYPES);
	tcase_add_test(wire, test_decode_fields);
	tcase_add_loop_test(wire, test_encode_capacity, 0, NTYPES);
	tcase_add_test(wire, test_rread_zero_copy);
	tcase_add_test(wire, test_readdir_payload);
	tcase_add_test(wire, test_name_valid);
	tcase_add_test(wire, test_helpers);
	tcase_add_test(wire, test_get_put_formats);
	tcase_add_test(wire, test_donate_flag);
	suite_add_tcase(s, wire);

	tcase_add_checked_fixture(bad, setup, NULL);
	tcase_add_loop_test(bad, test_truncated_every_offset, 0, NTYPES);
	tcase_add_loop_test(bad, test_trailing_bytes, 0, NTYPES);
	tcase_add_test(bad, test_size_field);
	tcase_add_test(bad, test_unknown_type);
	tcase_add_test(bad, test_strings);
	tcase_add_test(bad, test_walk_limits);
	tcase_add_test(bad, test_counts);
	tcase_add_test(bad, test_mutation);
	suite_add_tcase(s, bad);
	return s;
}
