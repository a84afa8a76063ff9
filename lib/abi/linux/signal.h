/* SPDX-License-Identifier: Apache-2.0 */
/* Guest ABI: signal constants glibc's headers do not expose without conflicts. */
#ifndef SBX_LIB_ABI_LINUX_SIGNAL_H
#define SBX_LIB_ABI_LINUX_SIGNAL_H

#define LINUX_SS_AUTODISARM (1U << 31)
#define LINUX_SIGSET_SIZE 8 /* rt_sig* sigsetsize on x86-64 */

#endif
