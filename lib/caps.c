// SPDX-License-Identifier: Apache-2.0
/* Dropping capabilities (libcap): shared by the Sentry's and the gofer's confinement. */
#include "lib/caps.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/prctl.h>

int caps_drop_except(const cap_value_t *keep, size_t nkeep)
{
	cap_t caps = cap_get_proc(), want = cap_init();
	cap_flag_value_t have;
	bool setpcap = false;
	int ret = 0;

	if (!caps || !want) {
		ret = -ENOMEM;
		goto out;
	}
	if (cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &have) == 0 && have == CAP_SET)
		setpcap = true;
	for (cap_value_t v = 0; setpcap && v <= CAP_LAST_CAP; v++) {
		bool k = false;

		for (size_t i = 0; i < nkeep; i++)
			k |= keep[i] == v;
		if (!k && cap_drop_bound(v) < 0 && errno != EINVAL) {
			ret = -errno;
			goto out;
		}
	}
	for (size_t i = 0; i < nkeep; i++) {
		if (cap_get_flag(caps, keep[i], CAP_PERMITTED, &have) < 0 || have != CAP_SET)
			continue;
		if (cap_set_flag(want, CAP_PERMITTED, 1, &keep[i], CAP_SET) < 0 ||
		    cap_set_flag(want, CAP_EFFECTIVE, 1, &keep[i], CAP_SET) < 0) {
			ret = -EINVAL;
			goto out;
		}
	}
	if (cap_set_proc(want) < 0) {
		ret = -errno;
		goto out;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		ret = -errno;
out:
	if (caps)
		cap_free(caps);
	if (want)
		cap_free(want);
	return ret;
}
