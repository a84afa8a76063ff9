/* SPDX-License-Identifier: Apache-2.0 */
/* Atomic reference counts: X_get() increments, X_put() calls release on the last put. */
#ifndef SBX_LIB_REFCOUNT_H
#define SBX_LIB_REFCOUNT_H

#include <stdatomic.h>
#include <stdbool.h>

struct refcount {
	atomic_long n;
};

static inline void refcount_init(struct refcount *r)
{
	atomic_init(&r->n, 1);
}

static inline void refcount_inc(struct refcount *r)
{
	atomic_fetch_add_explicit(&r->n, 1, memory_order_relaxed);
}

/* Returns true when this was the last reference. */
static inline bool refcount_dec(struct refcount *r)
{
	return atomic_fetch_sub_explicit(&r->n, 1, memory_order_acq_rel) == 1;
}

#endif
