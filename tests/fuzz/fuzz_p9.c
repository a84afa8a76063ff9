// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for the 9P2000.L codec: decode arbitrary bytes; whatever decodes must
 * re-encode to the identical bytes and decode again to an equal message.
 *
 * Build: clang -std=gnu11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined \
 *            tests/fuzz/fuzz_p9.c gofer/p9/codec.c gofer/p9/msg.c -o /tmp/fuzz_p9
 * Run:   /tmp/fuzz_p9 -max_total_time=60 -max_len=4096 [corpus_dir]
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gofer/p9/p9.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                    \
	do {                           \
		if (!(cond))           \
			__builtin_trap(); \
	} while (0)

/* Touch the helpers a server or client runs on decoded fields, so they are fuzzed too. */
static void use_fields(const struct p9_msg *m)
{
	struct p9_buf b;
	struct p9_dirent d;
	char name[256];
	int r;

	switch (m->type) {
	case P9_TWALK:
		for (int i = 0; i < m->twalk.nwname; i++) {
			CHECK(m->twalk.wnames[i].len <= UINT16_MAX);
			(void)p9_name_valid(&m->twalk.wnames[i]);
			(void)p9_str_copy(&m->twalk.wnames[i], name, sizeof(name));
		}
		break;
	case P9_RREADDIR:
		/* p9_decode() promised a clean run of dirents: walking it must end at 0. */
		p9_buf_init(&b, (void *)m->rreaddir.data, m->rreaddir.count);
		while ((r = p9_dirent_next(&b, &d)) == 1)
			CHECK(!memchr(d.name.str, '\0', d.name.len));
		CHECK(r == 0);
		break;
	case P9_RLERROR:
		r = p9_rlerror_errno(m->rlerror.ecode);
		CHECK(r < 0 && r >= -4095);
		break;
	}
	/* Fd donation: only Tlopen/Tlcreate may ask, and only with the flag; a reply of any
	 * other type (Rlerror included) may never carry the fd. */
	if (p9_reply_may_carry_fd(m)) {
		struct p9_msg err = { .type = P9_RLERROR };

		CHECK(m->type == P9_TLOPEN || m->type == P9_TLCREATE);
		CHECK(((m->type == P9_TLOPEN ? m->tlopen.flags : m->tlcreate.flags) &
		       P9_OPEN_DONATE_FD) != 0);
		CHECK(!p9_reply_fd_ok(m, &err));
	}
	CHECK(!p9_reply_fd_ok(m, m));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct p9_msg m, m2;
	uint32_t frame;
	uint8_t *out;
	size_t len;
	int r;

	/* The framing helper must agree with decode about the size field. */
	r = p9_frame_size(data, size, P9_MSIZE_DEFAULT, &frame);
	if (p9_decode(data, size, P9_MSIZE_DEFAULT, &m) != 0)
		return 0;
	CHECK(r == 0 && frame == size);
	CHECK(p9_msg_name(m.type) != NULL);
	use_fields(&m);

	/* An exact-size buffer, so ASan catches any write past the message. */
	out = malloc(size);
	CHECK(out);
	/* One byte short must fail cleanly (and leaves @out unspecified, so it goes first). */
	CHECK(p9_encode(&m, out, size - 1, &len) == -EMSGSIZE);
	CHECK(p9_encode(&m, out, size, &len) == 0);
	CHECK(len == size && memcmp(out, data, size) == 0);
	CHECK(p9_decode(out, size, P9_MSIZE_DEFAULT, &m2) == 0);
	CHECK(p9_msg_equal(&m, &m2));
	free(out);
	return 0;
}
