// SPDX-License-Identifier: Apache-2.0
/*
 * UTS namespaces: the node and domain names uname(2) reports. Tasks of the initial
 * namespace have no object (t->uts NULL) and use kernel->hostname/domainname, so boot may
 * set those directly; unshare(CLONE_NEWUTS) and clone(CLONE_NEWUTS) give a task a
 * refcounted copy. All names are read and written under kernel->mu.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/refcount.h"
#include "sentry/kernel/kernel.h"

struct uts_ns {
	struct refcount ref;
	char hostname[65], domainname[65];
};

static void uts_put(struct uts_ns *u)
{
	if (u && refcount_dec(&u->ref))
		free(u);
}

/* Preconditions: k->mu held. Where @t's names live. */
static void uts_fields(struct task *t, char **host, char **domain)
{
	*host = t->uts ? t->uts->hostname : t->k->hostname;
	*domain = t->uts ? t->uts->domainname : t->k->domainname;
}

void uts_names(struct task *t, char host[65], char domain[65])
{
	char *h, *d;

	pthread_mutex_lock(&t->k->mu);
	uts_fields(t, &h, &d);
	memcpy(host, h, 65);
	memcpy(domain, d, 65);
	pthread_mutex_unlock(&t->k->mu);
	host[64] = domain[64] = 0;
}

int uts_set(struct task *t, bool domain, const char *name, size_t len)
{
	char *h, *d;

	if (len > 64)
		return -EINVAL;
	pthread_mutex_lock(&t->k->mu);
	uts_fields(t, &h, &d);
	char *dst = domain ? d : h;
	memcpy(dst, name, len);
	memset(dst + len, 0, 65 - len);
	pthread_mutex_unlock(&t->k->mu);
	return 0;
}

/* A copy of @t's namespace at refcount 1, or NULL. */
static struct uts_ns *uts_copy(struct task *t)
{
	struct uts_ns *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	refcount_init(&u->ref);
	uts_names(t, u->hostname, u->domainname);
	return u;
}

int uts_clone(struct task *t, struct task *c, bool new_ns)
{
	if (new_ns) {
		c->uts = uts_copy(t);
		return c->uts ? 0 : -ENOMEM;
	}
	pthread_mutex_lock(&t->k->mu);
	c->uts = t->uts;
	if (c->uts)
		refcount_inc(&c->uts->ref);
	pthread_mutex_unlock(&t->k->mu);
	return 0;
}

int uts_unshare(struct task *t)
{
	struct uts_ns *u = uts_copy(t), *old;

	if (!u)
		return -ENOMEM;
	pthread_mutex_lock(&t->k->mu);
	old = t->uts;
	t->uts = u;
	pthread_mutex_unlock(&t->k->mu);
	uts_put(old);
	return 0;
}

void uts_release(struct task *t)
{
	uts_put(t->uts);
	t->uts = NULL;
}
