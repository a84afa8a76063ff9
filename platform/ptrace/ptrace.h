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
 * Threading (stricter than platform.h): the host thread that calls as_new() becomes the
 * stub's tracer. Only that thread may call as_map(), as_unmap() and switch_to() on the
 * address space (others get -EPERM), and the stub is killed when that thread exits
 * (PTRACE_O_EXITKILL). The Sentry runs a task on one host thread, so this holds for
 * single-threaded guests. as_release() and interrupt() may be called from any thread.
 *
 * as_map()/as_unmap() inject mmap/munmap into the stopped stub (about 5 µs); -EINVAL
 * for unaligned or out-of-range requests (anything reaching p->max_user_addr), the host
 * mmap error otherwise, -ESRCH once the stub is gone.
 *
 * switch_to() returns -EBUSY if another context runs on the address space (one guest
 * thread per address space) and -ESRCH once the stub died. TRAP_FAULT has access == 0
 * (ptrace does not report the page-fault error code). A syscall through the i386 ABI
 * (int $0x80, or a syscall from a 32-bit code segment) is not TRAP_SYSCALL but
 * TRAP_SIGNAL SIGSEGV/SI_KERNEL at the instruction, as on Linux without IA32 emulation.
 */
extern const struct platform_ops ptrace_platform_ops;

#endif
