/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by gofer/p9/codec.c (field primitives) and gofer/p9/msg.c (message table). */
#ifndef SBX_GOFER_P9_P9_IMPL_H
#define SBX_GOFER_P9_P9_IMPL_H

#include "gofer/p9/p9.h"

/*
 * Format letters consume one field pointer each, except these, which take two: D (count,
 * data pointer), T (nwname, name array) and R (nwqid, qid array).
 */
static inline bool p9_fmt_two_ptrs(char c)
{
	return c == 'D' || c == 'T' || c == 'R';
}

/**
 * p9_field_get - read one field of kind @c into @p (and @p2 for D/T/R).
 * Return: 0, -EPROTO (short or malformed field), -EINVAL (unknown letter).
 */
int p9_field_get(struct p9_buf *b, char c, void *p, void *p2);

/**
 * p9_field_put - write one field of kind @c from @p (and @p2 for D/T/R; for D, @p2 points at
 * the data pointer, for T/R at the array).
 * Return: 0, -EMSGSIZE (no room), -EINVAL (value the wire cannot carry, unknown letter).
 */
int p9_field_put(struct p9_buf *b, char c, const void *p, const void *p2);

/**
 * p9_field_equal - compare one field of kind @c between two structs (@pa/@pa2 vs @pb/@pb2).
 */
bool p9_field_equal(char c, const void *pa, const void *pa2, const void *pb, const void *pb2);

/**
 * p9_dirents_valid - true when @len bytes at @data are a whole number of well-formed dirents
 * (what p9_decode() demands of an Rreaddir payload and p9_encode() of one it sends).
 */
bool p9_dirents_valid(const uint8_t *data, size_t len);

#endif
