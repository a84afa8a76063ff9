/* SPDX-License-Identifier: Apache-2.0 */
/* Sample 9P messages shared by the p9 unit tests (tests/unit/p9/samples.c). */
#ifndef SBX_TESTS_UNIT_P9_SAMPLES_H
#define SBX_TESTS_UNIT_P9_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include "gofer/p9/p9.h"

/* One message: the struct and the bytes the spec says it must encode to. */
struct sample {
	struct p9_msg m;
	uint8_t bytes[1024];
	size_t len;
};

#define FID 0x11223344u
#define FID2 0x55667788u
#define OFF64 ((uint64_t)0x0102030405060708ULL)
#define BIG64 ((uint64_t)0xf1e2d3c4b5a69788ULL)
#define TAG 0xa55a
#define NTYPES 59 /* 29 T/R pairs (with our Twalkgetattr) + Rlerror */

extern const struct p9_qid QID1, QID2;
extern const uint8_t HELLO[10];		/* "hello, 9p" + NUL; messages carry the 9 bytes */
extern uint8_t dirents[128];		/* an Rreaddir payload: "." then "file.txt" */
extern size_t dirents_len;
extern const uint8_t all_types[NTYPES];	/* every 9P2000.L type the codec knows */

/* build_dirents - fill dirents/dirents_len with p9_dirent_put(); call before make_sample(). */
void build_dirents(void);
/* make_sample - fill @s with a sample of @type (one of all_types) and its expected bytes. */
void make_sample(uint8_t type, struct sample *s);

#endif
