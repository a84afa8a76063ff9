// SPDX-License-Identifier: Apache-2.0
/* Platform registry: names to ops tables, and construction over the memory file. */
#include "platform/platform.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/compiler.h"
#include "platform/ptrace/ptrace.h"
#include "platform/systrap/systrap.h"

static const struct platform_ops *const platforms[] = {
	&systrap_platform_ops,
	&ptrace_platform_ops,
};

static const char *const names[] = { "systrap", "ptrace", NULL };

const char *const *platform_names(void)
{
	return names;
}

int platform_new(const char *name, int memfd, struct platform **out)
{
	for (size_t i = 0; i < ARRAY_SIZE(platforms); i++) {
		if (strcmp(platforms[i]->name, name))
			continue;
		struct platform *p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		p->ops = platforms[i];
		p->memfd = memfd;
		int r = p->ops->init(p);
		if (r < 0) {
			free(p);
			return r;
		}
		*out = p;
		return 0;
	}
	return -ENOENT;
}

/* The platform holds no other resource (stub regions are process-wide, never freed). */
void platform_free(struct platform *p)
{
	free(p);
}
