// SPDX-License-Identifier: Apache-2.0
/*
 * systrap contexts: switch_to hands the registers to a stub thread through its shared
 * message and waits (spin, then futex) for the next trap; interrupt() signals the thread.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
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

/* switch_to calls in progress, process-wide, and how many of them may spin. */
static int active_switches;
static int spin_limit;
/* ns per `pause` (measured once: 25 on the EPYC VMs, more on recent Intel parts). */
static uint32_t pause_ns;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void spin_setup(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t best = UINT64_MAX;

	/* The fastest of a few tries: a preempted one overestimates. */
	for (int t = 0; t < 3; t++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < 200; i++)
			cpu_relax();
		uint64_t d = now_ns() - t0;

		if (d < best)
			best = d;
	}
	__atomic_store_n(&pause_ns, best >= 200 ? (uint32_t)(best / 200) : 1, __ATOMIC_RELAXED);
	__atomic_store_n(&spin_limit, n > 2 ? (int)(n / 2) : 1, __ATOMIC_RELAXED);
}

static pthread_once_t spin_once = PTHREAD_ONCE_INIT;

/*
 * Called from platform init: glibc counts CPUs by opening /sys and /proc files, which the
 * confined Sentry may not do (its seccomp filter kills it), so never lazily from a thread
 * that may run after the filter is on.
 */
void systrap_spin_setup(void)
{
	pthread_once(&spin_once, spin_setup);
}

static int spin_allowed(void)
{
	if (!__atomic_load_n(&spin_limit, __ATOMIC_RELAXED))
		systrap_spin_setup();
	return __atomic_load_n(&active_switches, __ATOMIC_RELAXED) <=
	       __atomic_load_n(&spin_limit, __ATOMIC_RELAXED);
}

int systrap_sentry_spin(void)
{
	return spin_allowed() ? SENTRY_SPIN : 0;
}

/*
 * Spin learning. A spin pays off when the other side answers within it; otherwise it burns
 * a CPU the other side (or another pair) needs, which on 2 CPUs costs more than the futex
 * hand-off it tried to save. Both sides keep a success rate, an average of the last ~8
 * answers (0..255, spin while >= 128), measured whether or not they spun, so a kind of
 * trap that turns fast again is noticed:
 * - the handler, per kind of trap (syscall number, the blocking futex ops, other traps):
 *   did the Sentry answer within STUB_SPIN pauses? Per address space in as->spin_rate, and
 *   published to the stub as a yes/no table in ctrl; a process-wide copy seeds new
 *   address spaces (whose first syscalls are often the same, e.g. wait4 after fork).
 * - the Sentry, per context: did the guest trap within SENTRY_SPIN pauses of its resume?
 * The table is read-only to the stub; a guest that scribbles on its own message at most
 * misleads the statistics of its own process.
 */
#define SPIN_RATE_ON 128
static uint8_t seed_rate[SPIN_KEYS];
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void seed_setup(void)
{
	for (int k = 0; k < SPIN_KEYS; k++)
		__atomic_store_n(&seed_rate[k], 255, __ATOMIC_RELAXED);
	/* Never answered on the same address space: the process is gone or replaced. */
	__atomic_store_n(&seed_rate[__NR_exit], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&seed_rate[__NR_exit_group], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&seed_rate[__NR_execve], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&seed_rate[__NR_execveat], 0, __ATOMIC_RELAXED);
}

static uint32_t rate_update(uint32_t rate, bool hit)
{
	return (rate * 7 + (hit ? 255 : 0)) / 8;
}

void systrap_spin_init(struct systrap_as *as)
{
	uint8_t *tab = as->shm + CTRL_SPIN_TAB;

	pthread_once(&seed_once, seed_setup);
	for (int k = 0; k < SPIN_KEYS; k++) {
		uint8_t r = __atomic_load_n(&seed_rate[k], __ATOMIC_RELAXED);

		as->spin_rate[k] = r;
		tab[k] = r >= SPIN_RATE_ON;
	}
}

/* The key the handler computed for this trap (same rules as stub.S). */
static int spin_key(const struct systrap_msg *m, const struct trap *t)
{
	uint64_t nr = m->regs.orig_rax, cmd;

	if (t->kind != TRAP_SYSCALL)
		return SPIN_KEY_TRAP;
	if (nr >= SPIN_KEY_SYSCALLS)
		return SPIN_KEY_OTHER;
	cmd = m->regs.rsi & 0x7f;
	if (nr == __NR_futex && cmd < 32 && ((SPIN_FUTEX_WAIT_OPS >> cmd) & 1))
		return SPIN_KEY_FUTEX_WAIT;
	return (int)nr;
}

/* At a switch_to on @as at @now: how long did the Sentry take to answer the last trap? */
static void spin_learn_stub(struct systrap_ctx *c, struct systrap_as *as, uint64_t now)
{
	int k = c->last_key;
	uint8_t *tab = as->shm + CTRL_SPIN_TAB;
	uint32_t r;
	bool hit;

	c->last_key = -1;
	if (k < 0 || c->last_as_id != as->id)
		return;
	hit = now - c->trap_ns <= (uint64_t)STUB_SPIN * __atomic_load_n(&pause_ns, __ATOMIC_RELAXED);
	r = rate_update(__atomic_load_n(&as->spin_rate[k], __ATOMIC_RELAXED), hit);
	__atomic_store_n(&as->spin_rate[k], (uint8_t)r, __ATOMIC_RELAXED);
	__atomic_store_n(&seed_rate[k],
			 (uint8_t)rate_update(__atomic_load_n(&seed_rate[k], __ATOMIC_RELAXED), hit),
			 __ATOMIC_RELAXED);
	if (__atomic_load_n(&tab[k], __ATOMIC_RELAXED) != (r >= SPIN_RATE_ON))
		__atomic_store_n(&tab[k], r >= SPIN_RATE_ON, __ATOMIC_RELAXED);
}

/*
 * systrap_wait_trapped - wait until the stub thread behind @m reports a trap.
 * Spins @spin pauses first (the handler answers within a microsecond or two for a
 * syscall), then sleeps on the state word. Returns 0, -ESRCH when the stub process has
 * died, or -ETIMEDOUT after @timeout_ms (< 0: no limit).
 */
int systrap_wait_trapped(struct systrap_as *as, struct systrap_msg *m, int spin, int timeout_ms)
{
	const struct timespec ts = { .tv_nsec = SENTRY_SLEEP_NS };
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
	c->last_key = -1;
	c->run_rate = 255;
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
	uint64_t t0 = now_ns(), t1;
	int r, spin;

	if (__atomic_load_n(&as->dead, __ATOMIC_ACQUIRE))
		return -ESRCH;
	spin_learn_stub(c, as, t0);
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

	spin = want && c->run_rate >= SPIN_RATE_ON ? SENTRY_SPIN : 0;

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

	r = systrap_wait_trapped(as, m, spin, -1);
	if (r)
		goto out;
	t1 = now_ns();
	c->run_rate = rate_update(c->run_rate, t1 - t0 <= (uint64_t)SENTRY_SPIN *
							 __atomic_load_n(&pause_ns, __ATOMIC_RELAXED));
	st->regs = m->regs;
	memcpy(st->xsave, (uint8_t *)m + MSG_XSAVE, xsz);
	decode_trap(c, m, out);
	c->last_key = spin_key(m, out);
	c->last_as_id = as->id;
	c->trap_ns = t1;
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
