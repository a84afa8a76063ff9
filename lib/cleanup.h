/* SPDX-License-Identifier: Apache-2.0 */
/* __attribute__((cleanup)) helpers for local host resources (bubblewrap/crun style). */
#ifndef SBX_LIB_CLEANUP_H
#define SBX_LIB_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))

/* Hand ownership out of a cleanup-managed local. */
#define steal_ptr(p)                     \
	({                               \
		__typeof__(p) __tmp = (p); \
		(p) = NULL;              \
		__tmp;                   \
	})
#define steal_fd(fd)             \
	({                       \
		int __tmp = (fd); \
		(fd) = -1;       \
		__tmp;           \
	})

#endif
