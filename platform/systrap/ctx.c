// SPDX-License-Identifier: Apache-2.0
/*
 * systrap contexts: switch_to hands the registers to a stub thread through its shared
 * message and waits (spin, then futex) for the next trap; interrupt() signals the thread.
 */
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "systrap_impl.h"

#define PF_WRITE (1 << 1)
#define PF_INSTR (1 << 4)
#define X86_TRAP_PF 14
/* While sleeping, look every so often whether the stub is still alive. */
#define SENTRY_SLEEP_NS 50000000L

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

static long futex(uint32_t *w, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, w, op, val, ts, NULL, 0);
}

/*
 * systrap_wait_trapped - wait until the stub thread behind @m reports a trap.
 * Spins first (the handler answers within a microsecond or two for a syscall), then
 * sleeps on the state word. Returns 0, -ESRCH when the stub process has died, or
 * -ETIMEDOUT after @timeout_ms (< 0: no limit).
 */
/* switch_to calls in progress, process-wide, and how many of them may spin. */
static int active_switches;
static int spin_limit;

static int spin_allowed(void)
{
	int lim = __atomic_load_n(&spin_limit, __ATOMIC_RELAXED);

	if (!lim) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		lim = n > 2 ? (int)(n / 2) : 1;
		__atomic_store_n(&spin_limit, lim, __ATOMIC_RELAXED);
	}
	return __atomic_load_n(&active_switches, __ATOMIC_RELAXED) <= lim;
}

int systrap_wait_trapped(struct systrap_as *as, struct systrap_msg *m, int timeout_ms)
{
	const struct timespec ts = { .tv_nsec = SENTRY_SLEEP_NS };
	int spin = spin_allowed() ? SENTRY_SPIN : 0;
	long slept_ms = 0;
	uint32_t v;

	for (int i = 0; i < spin; i++) {
		if (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) == MSG_STATE_TRAPPED)
			return 0;
		cpu_relax();
	}
	/* Dekker with the handler: it stores TRAPPED then reads our flag. */
	__atomic_exchange_n(&m->sentry_waiting, 1, __ATOMIC_SEQ_CST);
	while ((v = __atomic_load_n(&m->state, __ATOMIC_SEQ_CST)) != MSG_STATE_TRAPPED) {
		if (futex(&m->state, FUTEX_WAIT, v, &ts) < 0 && errno == ETIMEDOUT) {
			if (!systrap_stub_alive(as->pid)) {
				__atomic_store_n(&as->dead, 1, __ATOMIC_RELEASE);
				__atomic_store_n(&m->sentry_waiting, 0, __ATOMIC_RELAXED);
				return -ESRCH;
			}
			slept_ms += SENTRY_SLEEP_NS / 1000000;
			if (timeout_ms >= 0 && slept_ms >= timeout_ms) {
				__atomic_store_n(&m->sentry_waiting, 0, __ATOMIC_RELAXED);
				return -ETIMEDOUT;
			}
		}
	}
	__atomic_store_n(&m->sentry_waiting, 0, __ATOMIC_RELAXED);
	return 0;
}

int systrap_ctx_new(struct platform *p, struct pctx **out)
{
	struct systrap_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->base = (struct pctx){ .ops = p->ops, .p = p };
	c->id = systrap_new_id();
	pthread_mutex_init(&c->mu, NULL);
	*out = &c->base;
	return 0;
}

void systrap_ctx_release(struct pctx *base)
{
	struct systrap_ctx *c = to_systrap_ctx(base);

	/* Its stub threads go back to their pools, waiting in the handler for a new owner. */
	systrap_ctx_unbind_all(c);
	free(c->bound);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

void systrap_interrupt(struct pctx *base)
{
	struct systrap_ctx *c = to_systrap_ctx(base);

	/* Flag first, then look: switch_to publishes running first, then reads the flag. */
	__atomic_store_n(&c->interrupted, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&c->mu);
	if (c->running)
		syscall(SYS_tgkill, c->running_pid, c->running->tid, SYSTRAP_SIG_INTERRUPT);
	pthread_mutex_unlock(&c->mu);
}

static void set_running(struct systrap_ctx *c, struct systrap_as *as, struct systrap_thread *t)
{
	pthread_mutex_lock(&c->mu);
	c->running = t;
	c->running_pid = as ? as->pid : 0;
	pthread_mutex_unlock(&c->mu);
}

static int fault_access(uint64_t err)
{
	if (err & PF_INSTR)
		return TRAP_ACCESS_EXEC;
	if (err & PF_WRITE)
		return TRAP_ACCESS_WRITE;
	return TRAP_ACCESS_READ;
}

/*
 * Turn the message into a trap. Everything in the message is guest-writable, so this
 * only classifies: a forged message can at most claim a trap the guest could have caused.
 */
static void decode_trap(struct systrap_ctx *c, const struct systrap_msg *m, struct trap *out)
{
	uint64_t signo = m->signo;

	memset(out, 0, sizeof(*out));
	out->kind = TRAP_INTERRUPT;
	out->signo = (int)signo;
	out->code = (int)m->code;
	out->addr = m->addr;
	if (m->kind != MSG_KIND_TRAP)
		return;
	switch (signo) {
	case SIGSYS:
		out->kind = TRAP_SYSCALL;
		out->addr = 0;
		break;
	case SIGSEGV:
	case SIGBUS:
		if (m->trapno == X86_TRAP_PF) {
			out->kind = TRAP_FAULT;
			out->access = fault_access(m->err);
		} else {
			out->kind = TRAP_SIGNAL;
		}
		break;
	case SIGFPE:
	case SIGILL:
	case SIGTRAP:
		out->kind = TRAP_SIGNAL;
		break;
	case SYSTRAP_SIG_INTERRUPT:
		__atomic_store_n(&c->interrupted, 0, __ATOMIC_SEQ_CST);
		break;
	default:
		break;
	}
}

int systrap_switch_to(struct pctx *cbase, struct addrspace *asbase, struct arch_state *st,
		      struct trap *out)
{
	struct systrap_ctx *c = to_systrap_ctx(cbase);
	struct systrap_as *as = to_systrap_as(asbase);
	struct systrap_thread *t;
	struct systrap_msg *m;
	size_t xsz = arch_xsave_size();
	int r;

	if (__atomic_load_n(&as->dead, __ATOMIC_ACQUIRE))
		return -ESRCH;
	/* Fast path: the same address space as last time (ids are never reused). */
	if (c->cur_as == as && c->cur_as_id == as->id) {
		t = c->cur_t;
	} else {
		r = systrap_ctx_bind(c, as, &t);
		if (r)
			return r;
	}
	m = t->msg;
	if (__atomic_exchange_n(&t->busy, 1, __ATOMIC_ACQUIRE))
		return -EBUSY; /* the context is used by two host threads at once */
	__atomic_add_fetch(&active_switches, 1, __ATOMIC_RELAXED);
	uint32_t *stub_spin = (uint32_t *)(as->shm + CTRL_STUB_SPIN);
	uint32_t want = spin_allowed() ? STUB_SPIN : 0;

	if (__atomic_load_n(stub_spin, __ATOMIC_RELAXED) != want)
		__atomic_store_n(stub_spin, want, __ATOMIC_RELAXED);
	set_running(c, as, t);
	if (__atomic_exchange_n(&c->interrupted, 0, __ATOMIC_SEQ_CST)) {
		memset(out, 0, sizeof(*out));
		out->kind = TRAP_INTERRUPT;
		r = 0;
		goto out;
	}
	/* The thread waits in its handler (state TRAPPED) whenever no switch_to runs. */
	if (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) != MSG_STATE_TRAPPED) {
		r = -EPROTO;
		goto out;
	}
	m->regs = st->regs;
	memcpy((uint8_t *)m + MSG_XSAVE, st->xsave, xsz);
	__atomic_exchange_n(&m->state, MSG_STATE_RESUME, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->stub_waiting, __ATOMIC_SEQ_CST))
		futex(&m->state, FUTEX_WAKE, 1, NULL);

	r = systrap_wait_trapped(as, m, -1);
	if (r)
		goto out;
	st->regs = m->regs;
	memcpy(st->xsave, (uint8_t *)m + MSG_XSAVE, xsz);
	decode_trap(c, m, out);
out:
	set_running(c, NULL, NULL);
	__atomic_sub_fetch(&active_switches, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&t->busy, 0, __ATOMIC_RELEASE);
	if (r == -EPROTO) {
		log_warn("systrap: stub %d out of protocol", as->pid);
		__atomic_store_n(&as->dead, 1, __ATOMIC_RELEASE);
		r = -ESRCH;
	}
	return r;
}
