/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ptrace platform (DESIGN.md §5), the portable reference: an address space is a stub
 * process traced by a Sentry thread; PTRACE_SYSEMU runs the guest until its next syscall.
 * See platform/ptrace/README.md.
 */
#ifndef SBX_PLATFORM_PTRACE_PTRACE_H
#define SBX_PLATFORM_PTRACE_PTRACE_H

#include "platform/platform.h"

/**
 * ptrace_platform_ops - the ptrace implementation of struct platform_ops.
 *
 * init() reserves the stub region (2 MiB at the highest free candidate at or below
 * 0x7d0000000000) in the calling process and sets p->max_user_addr to its base.
 * Returns -EBADF without a memory file.
 *
 * Threading (platform.h's contract; see README.md "Threading"): a stub process per address
 * space, forked from a zygote stub and controlled by a process-wide service thread, plus one stub thread per
 * (context, address space), created on the context's first switch_to() there and traced by
 * the context's host thread. switch_to() and ctx_release() only from the context's thread
 * (-EPERM otherwise); ctx_release() parks its stub threads in an idle pool that later
 * contexts reuse. as_new(), as_map(), as_unmap(), as_release() and interrupt() from any
 * thread. A host thread that exits without releasing its contexts kills the stubs it
 * still traces (PTRACE_O_EXITKILL: never guest code running untraced).
 *
 * as_map()/as_unmap() inject mmap/munmap into the caller's own stopped stub thread, or
 * into the control thread through the service thread (~15-25 / ~35 µs); -EINVAL
 * for unaligned or out-of-range requests (anything reaching p->max_user_addr), the host
 * mmap error otherwise, -ESRCH once the stub is gone.
 *
 * switch_to() returns -ESRCH once the stub died or was released. TRAP_FAULT has access == 0
 * (ptrace does not report the page-fault error code). A syscall through the i386 ABI
 * (int $0x80, or a syscall from a 32-bit code segment) is not TRAP_SYSCALL but
 * TRAP_SIGNAL SIGSEGV/SI_KERNEL at the instruction, as on Linux without IA32 emulation.
 */
extern const struct platform_ops ptrace_platform_ops;

#endif
