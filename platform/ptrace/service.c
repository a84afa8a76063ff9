// SPDX-License-Identifier: Apache-2.0
/*
 * The ptrace service thread: one per Sentry process, started by the first init and never
 * exiting. It forks every stub (so the stub's PR_SET_PDEATHSIG, which fires when the
 * forking *thread* exits, means "when the Sentry dies") and traces each stub's control
 * thread (with PTRACE_O_EXITKILL, same meaning). Other threads hand it requests through a
 * queue: fork a stub, or inject a syscall (mmap/munmap from a thread that has no stub thread
 * of its own in that address space, clone of a new stub thread).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "ptrace_impl.h"

enum svc_op { SVC_NEW, SVC_INJECT };

struct svc_req {
	enum svc_op op;
	struct ptrace_as *as;
	struct platform *p;
	uint64_t entry, ret_at, nr, a[6], ret;
	int r;
	int done;
	struct svc_req *next;
};

static pthread_mutex_t svc_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t svc_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t svc_done = PTHREAD_COND_INITIALIZER;
static struct svc_req *svc_head, **svc_tail = &svc_head;
static pid_t svc_pid; /* the process the thread runs in (0: none); under svc_mu */

static void svc_do(struct svc_req *q)
{
	switch (q->op) {
	case SVC_NEW:
		q->r = ptrace_stub_create(q->p, q->as);
		break;
	case SVC_INJECT:
		if (q->as->ctl.dead)
			q->r = -ESRCH;
		else
			q->r = ptrace_inject(&q->as->ctl, q->entry, q->ret_at, q->nr, q->a, &q->ret);
		break;
	}
}

static void *svc_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct svc_req *q;

		pthread_mutex_lock(&svc_mu);
		while (!svc_head)
			pthread_cond_wait(&svc_work, &svc_mu);
		q = svc_head;
		svc_head = q->next;
		if (!svc_head)
			svc_tail = &svc_head;
		pthread_mutex_unlock(&svc_mu);
		svc_do(q);
		pthread_mutex_lock(&svc_mu);
		q->done = 1;
		pthread_cond_broadcast(&svc_done);
		pthread_mutex_unlock(&svc_mu);
	}
	return NULL;
}

/*
 * Start the service thread unless this process has one. A process forked from one that
 * had it (check's fork mode) inherits the state but not the thread: start a new one.
 */
int ptrace_service_start(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t th;
	int r = 0;

	pthread_mutex_lock(&svc_mu);
	if (svc_pid == getpid())
		goto out;
	svc_head = NULL;
	svc_tail = &svc_head;
	/* All signals blocked: the service thread must not take the Sentry's signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	r = -pthread_create(&th, &attr, svc_main, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!r) {
		pthread_setname_np(th, "ptrace-svc");
		svc_pid = getpid();
	}
out:
	pthread_mutex_unlock(&svc_mu);
	return r;
}

static int svc_call(struct svc_req *q)
{
	pthread_mutex_lock(&svc_mu);
	if (svc_pid != getpid()) {
		pthread_mutex_unlock(&svc_mu);
		return -ESRCH;
	}
	q->next = NULL;
	*svc_tail = q;
	svc_tail = &q->next;
	pthread_cond_signal(&svc_work);
	while (!q->done)
		pthread_cond_wait(&svc_done, &svc_mu);
	pthread_mutex_unlock(&svc_mu);
	return q->r;
}

int ptrace_service_new(struct ptrace_as *as, struct platform *p)
{
	struct svc_req q = { .op = SVC_NEW, .as = as, .p = p };

	return svc_call(&q);
}

int ptrace_service_inject(struct ptrace_as *as, uint64_t entry, uint64_t ret_at, uint64_t nr,
			  const uint64_t a[6], uint64_t *ret)
{
	struct svc_req q = { .op = SVC_INJECT, .as = as, .entry = entry, .ret_at = ret_at,
			     .nr = nr };
	int r;

	memcpy(q.a, a, sizeof(q.a));
	r = svc_call(&q);
	*ret = q.ret;
	return r;
}
