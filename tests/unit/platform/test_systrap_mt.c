// SPDX-License-Identifier: Apache-2.0
/*
 * systrap with many contexts: several host threads, each with its own context, running
 * guest code at once on one address space (one stub thread each); mapping requests from a
 * thread that never ran there; interrupting one of several; the thread pool; a context
 * moving between address spaces; and a guest thread attacking the thread-creation path.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "platform/systrap/systrap.h"
#include "platform/systrap/systrap_impl.h"
#include "platform_tests.h"

/* Each iteration: bump the counter at rdi, read the probe word at rdx into rsi, getpid. */
BLOB(g_count, "1: incq (%rdi); mov (%rdx), %rsi; mov $39, %eax; syscall; jmp 1b");
BLOB(g_spin2, "1: jmp 1b");
BLOB(g_jump2, "jmp *%rbx");
/* syscall(-1) must come back -ENOSYS without a trap; then a real trap reports it in rdi. */
BLOB(g_enosys, "mov $-1, %rax; syscall; mov %rax, %rdi; mov $39, %eax; syscall");
/* futex wake on a message word from the handler's site (allowed), then getpid. */
BLOB(g_call2, "call *%rbx; mov $39, %eax; syscall");

#define PROBE_VA 0x800000ULL   /* mapped and unmapped while threads run */
#define PROBE_A_OFF 0x200000   /* memory-file pages the probe maps to */
#define PROBE_B_OFF 0x201000
#define PROBE_FIXED_OFF 0x202000 /* permanently mapped probe */
#define PROBE_FIXED_VA 0x900000ULL
#define MARK(i) (0x5eed000000000000ULL + (uint64_t)(i))

static uint64_t stub_page(const struct platform *p)
{
	return p->max_user_addr + STUB_MSG_OFF;
}

static const struct ptest_platform systrap_mt_pf = {
	.name = "systrap-mt",
	.ops = &systrap_platform_ops,
	.loop_n = 1000,
	.stub_page = stub_page,
};

static void use_systrap_mt(void)
{
	ptest_use(&systrap_mt_pf);
}

/* The common environment plus the counters page and a fixed probe page. */
static struct env *mt_env(const char *start, const char *end)
{
	struct env *e = env_start(start, end);
	const struct platform_ops *ops = e->p.ops;

	ck_assert_int_eq(ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ | PROT_WRITE, DATA_OFF), 0);
	*(uint64_t *)(e->mem + PROBE_FIXED_OFF) = 0x1234;
	ck_assert_int_eq(ops->as_map(e->as, PROBE_FIXED_VA, 0x1000, PROT_READ, PROBE_FIXED_OFF),
			 0);
	return e;
}

/* Threads of the stub process behind @as. */
static int stub_threads(struct addrspace *as)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", to_systrap_as(as)->pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

static pid_t ctx_tid(struct pctx *c)
{
	return to_systrap_ctx(c)->cur_t ? to_systrap_ctx(c)->cur_t->tid : 0;
}

/* One worker: a host thread with its own context and registers. Errors are counted. */
struct worker {
	struct env *e;
	int idx;
	int iters;
	pthread_t th;
	struct pctx *c;
	struct arch_state st;
	char err[160];
	int done;
	uint64_t traps;
	/* probe test */
	int probe;
	uint64_t seen_ok, seen_fault; /* phase numbers last observed cleanly */
	/* interrupt test */
	int ready;
	int returns;
	pid_t tid;
};

static struct {
	/*
	 * atomic: 4k+1 = mapping value k in progress, 4k+2 = mapped, 4k+3 = unmapping in
	 * progress, 4k+4 (and 0) = unmapped. A request takes effect before it returns, so
	 * only a trap whose whole switch_to lies in one settled phase is judged.
	 */
	int phase;
	int stop;  /* atomic */
} probe_ctl;

#define FAIL(w, ...) \
	do { if (!(w)->err[0]) snprintf((w)->err, sizeof((w)->err), __VA_ARGS__); } while (0)

static void worker_regs(struct worker *w)
{
	memset(&w->st.regs, 0, sizeof(w->st.regs));
	w->st.regs.rip = CODE_VA;
	w->st.regs.rsp = STACK_VA + STACK_LEN - 64 - 256 * (uint64_t)w->idx;
	w->st.regs.eflags = 0x202;
	w->st.regs.rdi = DATA_VA + 8 * (uint64_t)w->idx;
	w->st.regs.rdx = w->probe ? PROBE_VA : PROBE_FIXED_VA;
	w->st.regs.r12 = MARK(w->idx);
	w->st.regs.r13 = ~MARK(w->idx);
	w->st.regs.fs_base = 0x10000000ULL + 0x1000ULL * (uint64_t)w->idx;
}

/* Counting loop: every trap must be this worker's, with its registers and counter. */
static void *count_main(void *arg)
{
	struct worker *w = arg;
	const struct platform_ops *ops = w->e->p.ops;
	volatile uint64_t *ctr = (uint64_t *)(w->e->mem + DATA_OFF) + w->idx;
	struct trap t;
	int r;

	if ((r = ops->ctx_new(&w->e->p, &w->c)) || (r = arch_state_init(&w->st))) {
		FAIL(w, "setup %d", r);
		goto out;
	}
	worker_regs(w);
	for (int i = 1; i <= w->iters; i++) {
		int ph = __atomic_load_n(&probe_ctl.phase, __ATOMIC_SEQ_CST);

		r = ops->switch_to(w->c, w->e->as, &w->st, &t);
		if (r) {
			FAIL(w, "switch_to %d at %d", r, i);
			break;
		}
		int ph2 = __atomic_load_n(&probe_ctl.phase, __ATOMIC_SEQ_CST);

		w->traps++;
		if (w->st.regs.r12 != MARK(w->idx) || w->st.regs.r13 != ~MARK(w->idx) ||
		    w->st.regs.rdi != DATA_VA + 8 * (uint64_t)w->idx ||
		    w->st.regs.fs_base != 0x10000000ULL + 0x1000ULL * (uint64_t)w->idx) {
			FAIL(w, "foreign registers at %d: r12 %llx rdi %llx", i,
			     (unsigned long long)w->st.regs.r12, (unsigned long long)w->st.regs.rdi);
			break;
		}
		if (t.kind == TRAP_FAULT && w->probe && t.addr == PROBE_VA) {
			/* The unmapped probe: retried at the same instruction. */
			i--;
			if (ph == ph2 && ph % 4 == 2)
				FAIL(w, "fault while mapped (phase %d)", ph);
			if (ph == ph2 && ph % 4 == 0)
				__atomic_store_n(&w->seen_fault, (uint64_t)ph, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&probe_ctl.stop, __ATOMIC_SEQ_CST))
				break;
			continue;
		}
		if (t.kind != TRAP_SYSCALL || w->st.regs.orig_rax != 39) {
			FAIL(w, "trap %d nr %lld at %d", t.kind, (long long)w->st.regs.orig_rax, i);
			break;
		}
		if (*ctr != (uint64_t)i) {
			FAIL(w, "counter %llu, want %d", (unsigned long long)*ctr, i);
			break;
		}
		if (w->probe) {
			if (ph == ph2 && ph % 4 == 0)
				FAIL(w, "read %llx while unmapped (phase %d)",
				     (unsigned long long)w->st.regs.rsi, ph);
			if (ph == ph2 && ph % 4 == 2) {
				if (w->st.regs.rsi != (uint64_t)(ph / 4))
					FAIL(w, "read %llu, want %d", (unsigned long long)w->st.regs.rsi,
					     ph / 4);
				__atomic_store_n(&w->seen_ok, (uint64_t)ph, __ATOMIC_SEQ_CST);
			}
			if (__atomic_load_n(&probe_ctl.stop, __ATOMIC_SEQ_CST))
				break;
			i = 0;
			*ctr = 0;
		} else if (w->st.regs.rsi != 0x1234) {
			FAIL(w, "probe %llx", (unsigned long long)w->st.regs.rsi);
			break;
		}
		w->st.regs.rax = (uint64_t)getpid();
	}
	w->tid = ctx_tid(w->c);
out:
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void workers_join(struct worker *ws, int n)
{
	for (int i = 0; i < n; i++) {
		pthread_join(ws[i].th, NULL);
		ck_assert_msg(!ws[i].err[0], "worker %d: %s", i, ws[i].err);
	}
}

static void workers_free(struct worker *ws, int n)
{
	for (int i = 0; i < n; i++) {
		if (ws[i].c)
			ws[i].e->p.ops->ctx_release(ws[i].c);
		arch_state_destroy(&ws[i].st);
	}
	free(ws);
}

static void concurrent_counts(int n, int iters)
{
	struct env *e = mt_env(g_count, g_count_end);
	struct worker *ws = calloc((size_t)n, sizeof(*ws));
	uint64_t t0 = now_ns();

	ck_assert_ptr_nonnull(ws);
	for (int i = 0; i < n; i++) {
		ws[i] = (struct worker){ .e = e, .idx = i, .iters = iters };
		ck_assert_int_eq(pthread_create(&ws[i].th, NULL, count_main, &ws[i]), 0);
	}
	workers_join(ws, n);
	printf("systrap-mt: %d threads x %d syscalls: %llu ns per round trip (wall / total)\n", n,
	       iters, (unsigned long long)((now_ns() - t0) / ((uint64_t)n * (uint64_t)iters)));
	for (int i = 0; i < n; i++) {
		ck_assert_uint_eq(((uint64_t *)(e->mem + DATA_OFF))[i], (uint64_t)iters);
		ck_assert_uint_eq(ws[i].traps, (uint64_t)iters);
		for (int j = 0; j < i; j++)
			ck_assert_int_ne(ws[i].tid, ws[j].tid); /* one stub thread each */
	}
	/* One stub process: n guest threads (the first took thread 0 from the pool, the env's
	 * own context never ran) + the syscall thread + the spawner. */
	ck_assert_int_eq(stub_threads(e->as), n + 2);
	workers_free(ws, n);
	env_free(e);
}

START_TEST(test_two_threads)
{
	concurrent_counts(2, 3000);
}
END_TEST

START_TEST(test_eight_threads)
{
	concurrent_counts(8, 1000);
}
END_TEST

/* A second mapper: maps and unmaps another page as fast as it can until told to stop. */
struct mapper {
	struct env *e;
	uint64_t va;
	int stop; /* atomic */
	int err;
	unsigned long n;
};

static void *mapper_main(void *arg)
{
	struct mapper *m = arg;
	const struct platform_ops *ops = m->e->p.ops;

	while (!__atomic_load_n(&m->stop, __ATOMIC_SEQ_CST) && !m->err) {
		m->err = ops->as_map(m->e->as, m->va, 0x2000, PROT_READ | PROT_WRITE, DATA_OFF);
		if (!m->err)
			m->err = ops->as_unmap(m->e->as, m->va, 0x2000);
		m->n++;
	}
	return NULL;
}

/*
 * as_map/as_unmap from the test's main thread, whose context never ran on the address
 * space, while workers read the probe page and two more threads map and unmap other pages. A read that starts and ends within one phase
 * must see exactly that phase: the value mapped, or a fault once unmapped.
 */
START_TEST(test_map_from_other_thread)
{
	enum { N = 3, PHASES = 40 };
	struct env *e = mt_env(g_count, g_count_end);
	const struct platform_ops *ops = e->p.ops;
	struct worker *ws = calloc(N, sizeof(*ws));

	ck_assert_ptr_nonnull(ws);
	probe_ctl.phase = 0;
	probe_ctl.stop = 0;
	struct mapper mp[2] = { { .e = e, .va = 0xa00000 }, { .e = e, .va = 0xb00000 } };
	pthread_t mth[2];

	for (int i = 0; i < N; i++) {
		ws[i] = (struct worker){ .e = e, .idx = i, .iters = 1 << 30, .probe = 1 };
		ck_assert_int_eq(pthread_create(&ws[i].th, NULL, count_main, &ws[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&mth[i], NULL, mapper_main, &mp[i]), 0);
	for (int k = 1; k <= PHASES; k++) {
		uint64_t off = (k & 1) ? PROBE_A_OFF : PROBE_B_OFF;
		int ph;

		*(uint64_t *)(e->mem + off) = (uint64_t)k;
		__atomic_store_n(&probe_ctl.phase, 4 * k + 1, __ATOMIC_SEQ_CST);
		ck_assert_int_eq(ops->as_map(e->as, PROBE_VA, 0x1000, PROT_READ, off), 0);
		ph = 4 * k + 2;
		__atomic_store_n(&probe_ctl.phase, ph, __ATOMIC_SEQ_CST);
		for (int i = 0; i < N; i++)
			while (__atomic_load_n(&ws[i].seen_ok, __ATOMIC_SEQ_CST) != (uint64_t)ph &&
			       !__atomic_load_n(&ws[i].done, __ATOMIC_SEQ_CST))
				sched_yield();
		__atomic_store_n(&probe_ctl.phase, 4 * k + 3, __ATOMIC_SEQ_CST);
		ck_assert_int_eq(ops->as_unmap(e->as, PROBE_VA, 0x1000), 0);
		ph = 4 * k + 4;
		__atomic_store_n(&probe_ctl.phase, ph, __ATOMIC_SEQ_CST);
		for (int i = 0; i < N; i++)
			while (__atomic_load_n(&ws[i].seen_fault, __ATOMIC_SEQ_CST) != (uint64_t)ph &&
			       !__atomic_load_n(&ws[i].done, __ATOMIC_SEQ_CST))
				sched_yield();
	}
	/* Workers are faulting on the unmapped probe: they stop at their next trap. */
	__atomic_store_n(&probe_ctl.stop, 1, __ATOMIC_SEQ_CST);
	workers_join(ws, N);
	for (int i = 0; i < 2; i++) {
		__atomic_store_n(&mp[i].stop, 1, __ATOMIC_SEQ_CST);
		pthread_join(mth[i], NULL);
		ck_assert_int_eq(mp[i].err, 0);
		ck_assert_uint_gt(mp[i].n, 0);
	}
	workers_free(ws, N);
	env_free(e);
}
END_TEST

/* Spin until interrupted; count the returns. */
static void *spin_main(void *arg)
{
	struct worker *w = arg;
	const struct platform_ops *ops = w->e->p.ops;
	struct trap t;
	int r;

	if ((r = arch_state_init(&w->st)) || (r = ops->ctx_new(&w->e->p, &w->c))) {
		FAIL(w, "setup %d", r);
		__atomic_store_n(&w->ready, 1, __ATOMIC_SEQ_CST);
		goto out;
	}
	__atomic_store_n(&w->ready, 1, __ATOMIC_SEQ_CST);
	worker_regs(w);
	w->st.regs.rip = CODE_VA + 0x100;
	r = ops->switch_to(w->c, w->e->as, &w->st, &t);
	__atomic_add_fetch(&w->returns, 1, __ATOMIC_SEQ_CST);
	if (r || t.kind != TRAP_INTERRUPT)
		FAIL(w, "switch_to %d kind %d", r, t.kind);
	else if (w->st.regs.rip != CODE_VA + 0x100 || w->st.regs.r12 != MARK(w->idx))
		FAIL(w, "rip %llx r12 %llx", (unsigned long long)w->st.regs.rip,
		     (unsigned long long)w->st.regs.r12);
out:
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

START_TEST(test_interrupt_one_of_several)
{
	enum { N = 4 };
	struct env *e = mt_env(g_count, g_count_end);
	struct worker *ws = calloc(N, sizeof(*ws));
	struct timespec ts = { .tv_nsec = 30000000 };

	ck_assert_ptr_nonnull(ws);
	memcpy(e->mem + CODE_OFF + 0x100, g_spin2, (size_t)(g_spin2_end - g_spin2));
	for (int i = 0; i < N; i++) {
		ws[i] = (struct worker){ .e = e, .idx = i };
		ck_assert_int_eq(pthread_create(&ws[i].th, NULL, spin_main, &ws[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		while (!__atomic_load_n(&ws[i].ready, __ATOMIC_SEQ_CST))
			sched_yield();
		ck_assert_ptr_nonnull(ws[i].c);
	}
	nanosleep(&ts, NULL); /* all of them in the guest (or about to be) */
	for (int k = 0; k < N; k++) {
		e->p.ops->interrupt(ws[k].c);
		while (!__atomic_load_n(&ws[k].done, __ATOMIC_SEQ_CST))
			sched_yield();
		nanosleep(&ts, NULL);
		/* Exactly that one came back; the others still spin. */
		for (int i = 0; i < N; i++)
			ck_assert_int_eq(__atomic_load_n(&ws[i].returns, __ATOMIC_SEQ_CST),
					 i <= k ? 1 : 0);
	}
	workers_join(ws, N);
	workers_free(ws, N);
	env_free(e);
}
END_TEST

/* One short-lived guest thread: a context on a new host thread, one trap, release. */
struct once_arg {
	struct env *e;
	int ok;
	pid_t tid;
};

static void *once_main(void *arg)
{
	struct once_arg *a = arg;
	const struct platform_ops *ops = a->e->p.ops;
	struct arch_state st;
	struct pctx *c;
	struct trap t;

	if (ops->ctx_new(&a->e->p, &c))
		return NULL;
	if (!arch_state_init(&st)) {
		memset(&st.regs, 0, sizeof(st.regs));
		st.regs.rip = CODE_VA;
		st.regs.rdi = DATA_VA + 8 * 100;
		st.regs.rdx = PROBE_FIXED_VA;
		st.regs.eflags = 0x202;
		a->ok = !ops->switch_to(c, a->e->as, &st, &t) && t.kind == TRAP_SYSCALL &&
			st.regs.rsi == 0x1234;
		a->tid = ctx_tid(c);
		arch_state_destroy(&st);
	}
	ops->ctx_release(c);
	return NULL;
}

START_TEST(test_thread_pool_bounded)
{
	struct env *e = mt_env(g_count, g_count_end);
	int before = stub_threads(e->as);
	pid_t first = 0;

	ck_assert_int_eq(before, 3);
	for (int i = 0; i < 1000; i++) {
		struct once_arg a = { .e = e };
		pthread_t th;

		ck_assert_int_eq(pthread_create(&th, NULL, once_main, &a), 0);
		pthread_join(th, NULL);
		ck_assert(a.ok);
		if (!first)
			first = a.tid;
		ck_assert_int_eq(a.tid, first); /* the pooled thread is reused */
	}
	ck_assert_int_eq(stub_threads(e->as), before);
	ck_assert_uint_eq(((uint64_t *)(e->mem + DATA_OFF))[100], 1000);
	env_free(e);
}
END_TEST

/* One context alternating between two address spaces (execve, vfork) and a third. */
START_TEST(test_ctx_moves_between_as)
{
	struct env *e = mt_env(g_count, g_count_end);
	const struct platform_ops *ops = e->p.ops;
	struct addrspace *as2, *as3;
	struct trap t;
	pid_t tid1 = 0, tid2 = 0;

	ck_assert_int_eq(ops->as_new(&e->p, &as2), 0);
	ck_assert_int_eq(ops->as_map(as2, CODE_VA, 0x1000, PROT_READ | PROT_EXEC, CODE_OFF), 0);
	ck_assert_int_eq(ops->as_map(as2, DATA_VA, 0x1000, PROT_READ | PROT_WRITE, DATA_OFF), 0);
	/* The probe shows which address space ran: 0x1234 in the first, 0xa2 in the second. */
	*(uint64_t *)(e->mem + PROBE_A_OFF) = 0xa2;
	ck_assert_int_eq(ops->as_map(as2, PROBE_FIXED_VA, 0x1000, PROT_READ, PROBE_A_OFF), 0);
	e->st.regs.rdi = DATA_VA;
	e->st.regs.rdx = PROBE_FIXED_VA;
	for (int i = 0; i < 20; i++) {
		struct addrspace *as = (i & 1) ? as2 : e->as;

		e->st.regs.rip = CODE_VA;
		ck_assert_int_eq(ops->switch_to(e->c, as, &e->st, &t), 0);
		ck_assert_int_eq(t.kind, TRAP_SYSCALL);
		ck_assert_uint_eq(e->st.regs.rsi, (i & 1) ? 0xa2 : 0x1234);
		if (i & 1) {
			ck_assert(!tid2 || tid2 == ctx_tid(e->c));
			tid2 = ctx_tid(e->c);
		} else {
			ck_assert(!tid1 || tid1 == ctx_tid(e->c));
			tid1 = ctx_tid(e->c);
		}
	}
	ck_assert_uint_eq(((uint64_t *)(e->mem + DATA_OFF))[0], 20);
	/* The second goes away while the context is bound there; a third comes. */
	ops->as_release(as2);
	ck_assert_int_eq(ops->as_new(&e->p, &as3), 0);
	ck_assert_int_eq(ops->as_map(as3, CODE_VA, 0x1000, PROT_READ | PROT_EXEC, CODE_OFF), 0);
	ck_assert_int_eq(ops->as_map(as3, DATA_VA, 0x1000, PROT_READ | PROT_WRITE, DATA_OFF), 0);
	ck_assert_int_eq(ops->as_map(as3, PROBE_FIXED_VA, 0x1000, PROT_READ, PROBE_A_OFF), 0);
	for (int i = 0; i < 4; i++) {
		e->st.regs.rip = CODE_VA;
		ck_assert_int_eq(ops->switch_to(e->c, (i & 1) ? as3 : e->as, &e->st, &t), 0);
		ck_assert_int_eq(t.kind, TRAP_SYSCALL);
		ck_assert_uint_eq(e->st.regs.rsi, (i & 1) ? 0xa2 : 0x1234);
	}
	ck_assert_int_eq(ctx_tid(e->c), to_systrap_as(as3)->pid); /* thread 0 of the new stub */
	/* Released context, then address space: both orders are fine. */
	ops->ctx_release(e->c);
	ck_assert_int_eq(ops->ctx_new(&e->p, &e->c), 0);
	ops->as_release(as3);
	env_free(e);
}
END_TEST

/* 512 contexts at once on one address space, then again (the pool is reused). */
struct many_arg {
	struct env *e;
	pthread_barrier_t *bar;
	int idx;
	int ok;
};

static void *many_main(void *arg)
{
	struct many_arg *a = arg;
	const struct platform_ops *ops = a->e->p.ops;
	struct arch_state st;
	struct pctx *c;
	struct trap t;
	int ok = 1;

	if (ops->ctx_new(&a->e->p, &c)) {
		pthread_barrier_wait(a->bar);
		pthread_barrier_wait(a->bar);
		return NULL;
	}
	if (arch_state_init(&st))
		ok = 0;
	memset(&st.regs, 0, sizeof(st.regs));
	st.regs.rip = CODE_VA;
	st.regs.rdi = DATA_VA + 8 * (uint64_t)(a->idx % 512);
	st.regs.rdx = PROBE_FIXED_VA;
	st.regs.r12 = MARK(a->idx);
	st.regs.eflags = 0x202;
	for (int i = 0; ok && i < 3; i++)
		ok = !ops->switch_to(c, a->e->as, &st, &t) && t.kind == TRAP_SYSCALL &&
		     st.regs.r12 == MARK(a->idx);
	pthread_barrier_wait(a->bar); /* every context holds its thread now */
	pthread_barrier_wait(a->bar); /* the main thread counted them */
	a->ok = ok;
	arch_state_destroy(&st);
	ops->ctx_release(c);
	return NULL;
}

static void many_round(struct env *e, int n)
{
	pthread_t *th = calloc((size_t)n, sizeof(*th));
	struct many_arg *a = calloc((size_t)n, sizeof(*a));
	pthread_barrier_t bar;
	pthread_attr_t attr;

	ck_assert(th && a);
	pthread_barrier_init(&bar, NULL, (unsigned)n + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (int i = 0; i < n; i++) {
		a[i] = (struct many_arg){ .e = e, .bar = &bar, .idx = i };
		ck_assert_int_eq(pthread_create(&th[i], &attr, many_main, &a[i]), 0);
	}
	pthread_barrier_wait(&bar);
	/* n guest threads at once (thread 0 among them), the syscall thread, the spawner. */
	ck_assert_int_eq(stub_threads(e->as), n + 2);
	pthread_barrier_wait(&bar);
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(a[i].ok, "context %d", i);
	}
	pthread_attr_destroy(&attr);
	pthread_barrier_destroy(&bar);
	free(th);
	free(a);
}

START_TEST(test_512_threads)
{
	struct env *e = mt_env(g_count, g_count_end);
	uint64_t *ctr = (uint64_t *)(e->mem + DATA_OFF);

	uint64_t t0 = now_ns();

	many_round(e, 512);
	printf("systrap-mt: 512 contexts (host thread, stub thread, 3 syscalls each): %llu ms\n",
	       (unsigned long long)((now_ns() - t0) / 1000000));
	t0 = now_ns();
	many_round(e, 512);
	printf("systrap-mt: again with pooled stub threads: %llu ms\n",
	       (unsigned long long)((now_ns() - t0) / 1000000));
	for (int i = 0; i < 512; i++)
		ck_assert_uint_eq(ctr[i], 6);
	ck_assert_int_eq(stub_threads(e->as), 512 + 2);
	env_free(e);
}
END_TEST

/*
 * A second guest thread (created by the spawner) runs under exactly the guest filter:
 * syscall(-1) is answered ENOSYS by the filter, other syscalls trap, the handler's futex
 * site works; the spawner's and the set-up sites kill the stub.
 */
static struct env *env_second_thread(const char *start, const char *end, struct pctx **c2)
{
	struct env *e = mt_env(start, end);
	struct trap t;

	/* The env's context takes thread 0; a second context gets a spawned thread. */
	memcpy(e->mem + CODE_OFF + 0x800, g_spin2, (size_t)(g_spin2_end - g_spin2));
	e->st.regs.rip = CODE_VA + 0x800;
	e->p.ops->interrupt(e->c);
	ck_assert_int_eq(run(e, &t), 0);
	ck_assert_int_eq(t.kind, TRAP_INTERRUPT);
	ck_assert_int_eq(ctx_tid(e->c), to_systrap_as(e->as)->pid);
	ck_assert_int_eq(e->p.ops->ctx_new(&e->p, c2), 0);
	env_load(e, start, end);
	return e;
}

START_TEST(test_second_thread_guest_filter)
{
	struct pctx *c2;
	struct env *e = env_second_thread(g_enosys, g_enosys_end, &c2);
	struct trap t;

	ck_assert_int_eq(e->p.ops->switch_to(c2, e->as, &e->st, &t), 0);
	ck_assert_int_eq(t.kind, TRAP_SYSCALL);
	ck_assert_int_ne(ctx_tid(c2), to_systrap_as(e->as)->pid);
	ck_assert_uint_eq(e->st.regs.orig_rax, 39);
	ck_assert_uint_eq(e->st.regs.rdi, (uint64_t)-ENOSYS);
	/* Allowed handler site from the new thread: futex wake on its message. */
	env_load(e, g_call2, g_call2_end);
	e->st.regs.rbx = systrap_stub_addr(systrap_site_futex) - 2;
	e->st.regs.rax = __NR_futex;
	e->st.regs.rdi = systrap_region.base + STUB_MSG_OFF + STUB_MSG_STRIDE;
	e->st.regs.rsi = 1;
	e->st.regs.rdx = 1;
	ck_assert_int_eq(e->p.ops->switch_to(c2, e->as, &e->st, &t), 0);
	ck_assert_int_eq(t.kind, TRAP_SYSCALL);
	ck_assert_uint_eq(e->st.regs.orig_rax, 39);
	ck_assert_int_eq(stub_threads(e->as), 4);
	e->p.ops->ctx_release(c2);
	env_free(e);
}
END_TEST

static void spawn_site_case(const char *site, uint64_t nr, uint64_t a0, uint64_t a1,
			    uint64_t a2)
{
	struct pctx *c2;
	struct env *e = env_second_thread(g_jump2, g_jump2_end, &c2);
	pid_t pid = to_systrap_as(e->as)->pid;
	struct trap t;

	ck_assert_int_eq(stub_threads(e->as), 3);
	if (a0 == (uint64_t)-1) /* the ack pipe's write end, as the stub numbers it */
		a0 = *(uint64_t *)(to_systrap_as(e->as)->shm + (STUB_INIT_OFF - STUB_CTRL_OFF) +
				   INIT_ACKFD);
	e->st.regs.rbx = systrap_stub_addr(site) - 2; /* the 2-byte syscall before the site */
	e->st.regs.rax = nr;
	e->st.regs.rdi = a0;
	e->st.regs.rsi = a1;
	e->st.regs.rdx = a2;
	e->st.regs.r10 = 0;
	e->st.regs.r8 = 0;
	ck_assert_int_eq(e->p.ops->switch_to(c2, e->as, &e->st, &t), -ESRCH);
	/* The whole stub died: thread 0 too; nothing was created. */
	ck_assert_int_eq(run(e, &t), -ESRCH);
	ck_assert_int_eq(systrap_stub_alive(pid), 0);
	e->p.ops->ctx_release(c2);
	env_free(e);
}

START_TEST(test_security_spawn_sites)
{
	uint64_t base = systrap_region.base;
	uint64_t init = base + STUB_INIT_OFF;
	pid_t me = getpid();
	const char *sites[] = { systrap_site_p_futex, systrap_site_p_clone, systrap_site_p_write,
				systrap_site_c_settid, systrap_site_c_sigaltstack,
				systrap_site_c_sigmask, systrap_site_c_seccomp };

	/* Exactly the calls the spawner's filter allows there, with the allowed arguments. */
	spawn_site_case(systrap_site_p_clone, __NR_clone, STUB_THREAD_CLONE, 0, 0);
	spawn_site_case(systrap_site_p_futex, __NR_futex, base + STUB_CTRL_OFF + SPAWN_SEQ, 0,
			0);
	spawn_site_case(systrap_site_p_write, __NR_write, (uint64_t)-1, base + STUB_CTRL_OFF, 8);
	spawn_site_case(systrap_site_c_settid, __NR_set_tid_address, 0, 0, 0);
	spawn_site_case(systrap_site_c_sigaltstack, __NR_sigaltstack, base + STUB_SSTAB_OFF, 0,
			0);
	spawn_site_case(systrap_site_c_sigmask, __NR_rt_sigprocmask, SIG_SETMASK,
			init + INIT_MASK_EMPTY, 0);
	spawn_site_case(systrap_site_c_seccomp, __NR_seccomp, 1, 0, init + INIT_GPROG);
	/* And hostile ones. */
	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++)
		spawn_site_case(sites[i], __NR_kill, (uint64_t)me, SIGKILL, 0);
	ck_assert_int_eq(kill(me, 0), 0);
}
END_TEST

/* The parent pid of @pid (field 4 of /proc/pid/stat). */
static pid_t ppid_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 2, "%*c %d", &ppid);
	fclose(f);
	return ppid;
}

/*
 * Stubs come from the zygote forked at platform init: a seccomp filter the Sentry installs
 * afterwards (here: sigaltstack -> EPERM, on every thread) does not reach new stubs or
 * their new threads, which need sigaltstack. Stubs are still the Sentry's children.
 */
START_TEST(test_stub_from_zygote)
{
	struct env *e = mt_env(g_count, g_count_end);
	const struct platform_ops *ops = e->p.ops;
	struct sock_filter insn[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sigaltstack, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = insn };
	struct addrspace *as2;
	struct pctx *c2;
	struct trap t;
	stack_t ss;

	ck_assert_int_eq(ppid_of(to_systrap_as(e->as)->pid), getpid());
	uint64_t t0 = now_ns();

	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(ops->as_new(&e->p, &as2), 0);
		ops->as_release(as2);
	}
	printf("systrap-mt: as_new + as_release (stub from the zygote): %llu us\n",
	       (unsigned long long)((now_ns() - t0) / 20000));
	ck_assert_int_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	ck_assert_int_eq(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
				 &prog), 0);
	ck_assert_int_eq(sigaltstack(NULL, &ss), -1); /* the filter is on */
	ck_assert_int_eq(errno, EPERM);

	ck_assert_int_eq(ops->as_new(&e->p, &as2), 0);
	ck_assert_int_eq(ppid_of(to_systrap_as(as2)->pid), getpid());
	ck_assert_int_eq(ops->as_map(as2, CODE_VA, 0x1000, PROT_READ | PROT_EXEC, CODE_OFF), 0);
	ck_assert_int_eq(ops->as_map(as2, DATA_VA, 0x1000, PROT_READ | PROT_WRITE, DATA_OFF), 0);
	ck_assert_int_eq(ops->as_map(as2, PROBE_FIXED_VA, 0x1000, PROT_READ, PROBE_FIXED_OFF), 0);
	e->st.regs.rdi = DATA_VA;
	e->st.regs.rdx = PROBE_FIXED_VA;
	ck_assert_int_eq(ops->switch_to(e->c, as2, &e->st, &t), 0);
	ck_assert_int_eq(t.kind, TRAP_SYSCALL);
	/* A second thread in the new stub: the spawner's child calls sigaltstack. */
	ck_assert_int_eq(ops->ctx_new(&e->p, &c2), 0);
	e->st.regs.rip = CODE_VA;
	ck_assert_int_eq(ops->switch_to(c2, as2, &e->st, &t), 0);
	ck_assert_int_eq(t.kind, TRAP_SYSCALL);
	ck_assert_uint_eq(e->st.regs.rsi, 0x1234);
	ck_assert_int_eq(stub_threads(as2), 4);
	ops->ctx_release(c2);
	ops->as_release(as2);
	env_free(e);
}
END_TEST

Suite *systrap_mt_suite(void);
Suite *systrap_mt_suite(void)
{
	Suite *s = suite_create("systrap_mt");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, use_systrap_mt, NULL);
	tcase_add_test(tc, test_two_threads);
	tcase_add_test(tc, test_eight_threads);
	tcase_add_test(tc, test_map_from_other_thread);
	tcase_add_test(tc, test_interrupt_one_of_several);
	tcase_add_test(tc, test_thread_pool_bounded);
	tcase_add_test(tc, test_ctx_moves_between_as);
	tcase_add_test(tc, test_512_threads);
	tcase_add_test(tc, test_second_thread_guest_filter);
	tcase_add_test(tc, test_security_spawn_sites);
	tcase_add_test(tc, test_stub_from_zygote);
	suite_add_tcase(s, tc);
	return s;
}
