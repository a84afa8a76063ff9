/* SPDX-License-Identifier: Apache-2.0 */
/* Kernel-internal errno values of Linux (include/linux/errno.h) that the Sentry uses too. */
#ifndef SBX_LIB_ABI_LINUX_ERRNO_H
#define SBX_LIB_ABI_LINUX_ERRNO_H

/*
 * Restartable-syscall results (Linux's include/linux/errno.h). A handler returns one when a
 * signal cut a blocking wait short; they never reach the guest:
 * task_deliver_signals (sentry/kernel) turns
 * them into -EINTR or re-executes the syscall (see sentry/kernel/README.md).
 *  ERESTARTSYS            restart if every handler run has SA_RESTART (or none runs)
 *  ERESTARTNOINTR         always restart
 *  ERESTARTNOHAND         restart only if no handler runs
 *  ERESTART_RESTARTBLOCK  like NOHAND, but restart through restart_syscall(2) → t->restart_fn
 */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

#endif
