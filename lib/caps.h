/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SBX_LIB_CAPS_H
#define SBX_LIB_CAPS_H

#include <stddef.h>
#include <sys/capability.h>

/*
 * caps_drop_except - drop every capability but @keep from the bounding set (first: that
 * needs CAP_SETPCAP, which goes next), the permitted and effective sets (keeping those of
 * @keep the caller has), and the ambient set. 0 or -errno. Only the calling thread: call
 * before the process has any other.
 */
int caps_drop_except(const cap_value_t *keep, size_t nkeep);

#endif
