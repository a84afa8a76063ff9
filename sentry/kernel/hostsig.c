// SPDX-License-Identifier: Apache-2.0
/*
 * Signals sent to the Sentry from outside — Ctrl-C on `sandbox run`, `runsc kill`, a
 * container runtime's SIGTERM — are the guest's: a thread of the Sentry takes them with
 * sigtimedwait and sends them on. Terminal-style signals (SIGINT, SIGQUIT, SIGHUP) go to
 * init's process group, as a terminal would send them to its foreground group; the others
 * (SIGTERM, SIGUSR1, SIGUSR2) to init alone, as gVisor's `runsc kill` does.
 *
 * Every Sentry thread must block these signals, or the host would run their default action
 * (the Sentry's death) on whichever thread does not: kernel_block_host_signals is called
 * first thing at boot, before any thread exists, and threads inherit the mask.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "lib/log.h"
#include "sentry/host/host.h"
#include "sentry/kernel/kernel.h"

struct hostsig {
	struct kernel *k;
	pthread_t thread;
	bool stop; /* atomic */
};

/* Sent by kernel_stop_host_signals to wake the thread at once (never forwarded). */
#define HOSTSIG_STOP (SIGRTMAX - 1)

static void forwarded_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, HOSTSIG_STOP);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

void kernel_block_host_signals(void)
{
	sigset_t set;

	forwarded_set(&set);
	host_sigmask_block(&set);
}

static void forward(struct kernel *k, int sig)
{
	struct linux_siginfo si = { .si_signo = sig, .si_code = SI_USER };
	bool group = sig == SIGINT || sig == SIGQUIT || sig == SIGHUP;

	pthread_mutex_lock(&k->mu);
	struct thread_group *init = k->init;
	if (init && !init->zombie) {
		log_info("host signal %d forwarded to %s %d", sig, group ? "process group" : "pid",
			 group ? init->pgid : init->tgid);
		if (group) {
			pid_t pgid = init->pgid;
			for (struct thread_group *g = k->groups; g; g = g->next)
				if (g->pgid == pgid)
					tg_send_signal_locked(k, g, sig, &si);
		} else {
			tg_send_signal_locked(k, init, sig, &si);
		}
	}
	pthread_mutex_unlock(&k->mu);
}

static void *hostsig_thread(void *arg)
{
	struct hostsig *hs = arg;
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	sigset_t set;

	forwarded_set(&set);
	while (!__atomic_load_n(&hs->stop, __ATOMIC_ACQUIRE)) {
		int sig = host_sigtimedwait(&set, &tick);
		if (sig > 0 && sig != HOSTSIG_STOP)
			forward(hs->k, sig);
	}
	return NULL;
}

int kernel_start_host_signals(struct kernel *k)
{
	struct hostsig *hs = calloc(1, sizeof(*hs));

	if (!hs)
		return -ENOMEM;
	hs->k = k;
	if (pthread_create(&hs->thread, NULL, hostsig_thread, hs) != 0) {
		free(hs);
		return -EAGAIN;
	}
	k->hostsig = hs;
	return 0;
}

void kernel_stop_host_signals(struct kernel *k)
{
	struct hostsig *hs = k->hostsig;

	if (!hs)
		return;
	__atomic_store_n(&hs->stop, true, __ATOMIC_RELEASE);
	pthread_kill(hs->thread, HOSTSIG_STOP); /* else it would notice within its 100 ms tick */
	pthread_join(hs->thread, NULL);
	free(hs);
	k->hostsig = NULL;
}
