// SPDX-License-Identifier: Apache-2.0
/*
 * Unix socket options (SOL_SOCKET): Linux's sock_getsockopt/sock_setsockopt for what a unix
 * socket has; options that mean nothing here are accepted and read back as Linux's defaults.
 */
#include "sentry/socket/unix_impl.h"

#include <errno.h>
#include <string.h>
#include <sys/time.h>

#ifndef SO_RCVTIMEO_NEW
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#endif

static int put_int(void *buf, uint32_t *len, int v)
{
	if (*len > sizeof(int))
		*len = sizeof(int);
	memcpy(buf, &v, *len);
	return 0;
}

static int put_bytes(void *buf, uint32_t *len, const void *v, uint32_t size)
{
	if (*len > size)
		*len = size;
	memcpy(buf, v, *len);
	return 0;
}

static int64_t timeval_ns(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * 1000000000 + (int64_t)tv->tv_usec * 1000;
}

int sock_getsockopt(struct file *f, int level, int name, void *buf, uint32_t *len)
{
	struct usock *s = file_usock(f);
	struct sock_creds pc;
	struct timeval tv;
	struct linger lg = { 0, 0 };
	int r = 0, v = 0;

	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&unix_mu);
	switch (name) {
	case SO_TYPE:
		v = s->type;
		break;
	case SO_DOMAIN:
		v = AF_UNIX;
		break;
	case SO_PROTOCOL:
		v = 0;
		break;
	case SO_ERROR:
		v = s->err;
		s->err = 0;
		break;
	case SO_SNDBUF:
		v = s->sndbuf;
		break;
	case SO_RCVBUF:
		v = s->rcvbuf;
		break;
	case SO_PASSCRED:
		v = s->passcred;
		break;
	case SO_REUSEADDR:
		v = s->reuseaddr;
		break;
	case SO_ACCEPTCONN:
		v = s->state == US_LISTENING;
		break;
	case SO_RCVLOWAT:
	case SO_SNDLOWAT:
		v = 1;
		break;
	case SO_KEEPALIVE:
	case SO_BROADCAST:
	case SO_OOBINLINE:
	case SO_PRIORITY:
	case SO_DONTROUTE:
	case SO_PASSSEC:
		v = 0;
		break;
	case SO_LINGER:
		r = 1;
		put_bytes(buf, len, &lg, sizeof(lg));
		break;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
	case SO_RCVTIMEO_NEW:
	case SO_SNDTIMEO_NEW: {
		int64_t ns = (name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW) ? s->rcvtimeo_ns
									     : s->sndtimeo_ns;
		tv.tv_sec = ns / 1000000000;
		tv.tv_usec = (ns % 1000000000) / 1000;
		r = 1;
		put_bytes(buf, len, &tv, sizeof(tv));
		break;
	}
	case SO_PEERCRED:
		/* Unconnected: pid 0 and the overflow ids, as Linux's cred_to_ucred(NULL). */
		pc = s->has_peercred ? s->peercred : (struct sock_creds){ 0, 65534, 65534 };
		r = 1;
		put_bytes(buf, len, &pc, sizeof(pc));
		break;
	default:
		r = -ENOPROTOOPT;
	}
	pthread_mutex_unlock(&unix_mu);
	if (r == 0)
		put_int(buf, len, v);
	return r < 0 ? r : 0;
}

static int set_timeout(const void *buf, uint32_t len, int64_t *out)
{
	struct timeval tv;

	if (len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, buf, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	*out = tv.tv_sec < 0 ? 0 : timeval_ns(&tv);
	return 0;
}

int sock_setsockopt(struct file *f, int level, int name, const void *buf, uint32_t len)
{
	struct usock *s = file_usock(f);
	int v = 0, r = 0;

	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	if (name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW || name == SO_SNDTIMEO ||
	    name == SO_SNDTIMEO_NEW) {
		int64_t ns;
		r = set_timeout(buf, len, &ns);
		if (r < 0)
			return r;
		pthread_mutex_lock(&unix_mu);
		if (name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW)
			s->rcvtimeo_ns = ns;
		else
			s->sndtimeo_ns = ns;
		pthread_mutex_unlock(&unix_mu);
		return 0;
	}
	if (name == SO_LINGER)
		return len < sizeof(struct linger) ? -EINVAL : 0;
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(&v, buf, sizeof(v));
	pthread_mutex_lock(&unix_mu);
	switch (name) {
	case SO_SNDBUF:
		/* Linux's sock_setsockopt: capped at wmem_max, doubled, at least the minimum. */
		v = v < 0 ? 0 : (v > UNIX_BUF_MAX ? UNIX_BUF_MAX : v);
		s->sndbuf = v * 2 < UNIX_MIN_SNDBUF ? UNIX_MIN_SNDBUF : v * 2;
		waitq_wake_all(&s->wwait);
		break;
	case SO_RCVBUF:
		v = v < 0 ? 0 : (v > UNIX_BUF_MAX ? UNIX_BUF_MAX : v);
		s->rcvbuf = v * 2 < UNIX_MIN_RCVBUF ? UNIX_MIN_RCVBUF : v * 2;
		break;
	case SO_PASSCRED:
		s->passcred = v != 0;
		break;
	case SO_REUSEADDR:
		s->reuseaddr = v != 0; /* accepted; unix names are never reused anyway */
		break;
	case SO_KEEPALIVE:
	case SO_BROADCAST:
	case SO_OOBINLINE:
	case SO_PRIORITY:
	case SO_DONTROUTE:
	case SO_RCVLOWAT:
	case SO_PASSSEC:
		break; /* accepted, no effect on unix sockets */
	default:
		r = -ENOPROTOOPT;
	}
	pthread_mutex_unlock(&unix_mu);
	return r;
}
