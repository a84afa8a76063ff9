/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The systrap platform (DESIGN.md §5): guest threads run as threads of a stub process
 * whose seccomp filter turns every guest syscall into a SIGSYS; the stub's handler hands
 * the registers to the Sentry through shared memory. See platform/systrap/README.md.
 */
#ifndef SBX_PLATFORM_SYSTRAP_SYSTRAP_H
#define SBX_PLATFORM_SYSTRAP_SYSTRAP_H

#include "platform/platform.h"

/**
 * systrap_platform_ops - the systrap implementation of struct platform_ops.
 *
 * init() reserves the stub region (16 MiB, 4 GiB aligned, highest free slot at or below
 * 0x7e0000000000) in the calling process and sets p->max_user_addr to its base; it
 * starts one detached forker thread that lives as long as the process. Returns -EBADF
 * without a memory file, -EOPNOTSUPP when the XSAVE area is too large for a message.
 *
 * Stub processes are forked from the Sentry: create address spaces before the Sentry
 * installs its own seccomp filter (the stubs would inherit it), see README.md.
 *
 * as_map()/as_unmap() block until the stub's syscall thread has done the change
 * (about 10 µs); -EINVAL for unaligned or out-of-range requests (anything reaching
 * p->max_user_addr), -ENOMEM when the host mmap failed, -ESRCH when the stub is gone.
 *
 * switch_to() returns -EBUSY if another context is running on the same address space
 * (one guest thread per address space for now) and -ESRCH once the stub process died
 * (for example because the guest jumped into the stub and got killed by the filter).
 */
extern const struct platform_ops systrap_platform_ops;

#endif
