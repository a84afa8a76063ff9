// SPDX-License-Identifier: Apache-2.0
/*
 * ptrace platform, multi-threaded guests: several host threads, each with its own context,
 * running guest code at once on one address space; mapping changes from threads that never
 * ran on it; per-context interrupts; stub threads recycled when contexts go away; a
 * context moving between address spaces; tracer threads exiting under running siblings.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/ptrace/ptrace.h"
#include "platform/ptrace/ptrace_impl.h"
#include "platform_tests.h"

/* rdi: this thread's counter; rdx: a page to read. rsi, r12 stay as loaded. */
BLOB(mt_count, "1: incq (%rdi); mov (%rdx), %rbx; mov $39, %eax; syscall; jmp 1b");
BLOB(mt_spin, "1: incq (%rdi); jmp 1b");
BLOB(mt_read, "mov (%rdi), %rbx; mov $39, %eax; syscall; ud2");

#define MAX_W 8
#define PAGE2_VA 0x800000ULL
#define PAGE2_OFF 0x200000
#define PAGE3_VA 0x900000ULL
#define PAGE3_OFF 0x201000
#define MAGIC2 0x1234567887654321ULL
#define MAGIC3 0x0badc0ffee0ddf00ULL

static const struct ptest_platform ptrace_mt_pf = {
	.name = "ptrace",
	.ops = &ptrace_platform_ops,
	.loop_n = 1000,
};

static void use_ptrace(void)
{
	ptest_use(&ptrace_mt_pf);
}

/* phases of test_map_from_other_thread, published by the main thread */
enum { PH_RUN, PH_MAPPED, PH_UNMAPPING, PH_UNMAPPED };

struct worker {
	struct env *e;
	int id;
	pthread_t th;
	/* inputs */
	int iters;         /* test_concurrent: traps to take */
	int *phase;        /* test_map_from_other_thread */
	int release;       /* ctx_release before exiting */
	/* published by the worker */
	struct pctx *c;
	int ready;         /* context created (atomic) */
	int stop;          /* asked to stop (atomic; interrupt test) */
	int returns;       /* switch_to returns (atomic) */
	int spurious;      /* TRAP_INTERRUPTs nobody asked for */
	int ok;            /* finished its checks */
	int faulted;       /* PH_UNMAPPED: got the fault */
	char err[160];
};

static volatile uint64_t *counter(struct env *e, int id)
{
	return (volatile uint64_t *)(e->mem + DATA_OFF + 64 * (size_t)id);
}

static uint64_t counter_va(int id)
{
	return DATA_VA + 64 * (uint64_t)id;
}

static void state_for(struct worker *w, struct arch_state *st)
{
	memset(&st->regs, 0, sizeof(st->regs));
	st->regs.rip = CODE_VA;
	st->regs.rsp = STACK_VA + STACK_LEN - 64 - 256 * (uint64_t)w->id;
	st->regs.eflags = 0x202;
	st->regs.rdi = counter_va(w->id);
	st->regs.rdx = DATA_VA + 0x800;
	st->regs.rsi = (uint64_t)w->id;
	st->regs.r12 = 0xabc000 + (uint64_t)w->id;
}

#define FAIL(w, ...)                                               \
	do {                                                       \
		snprintf((w)->err, sizeof((w)->err), __VA_ARGS__); \
		goto out;                                          \
	} while (0)

/* Every trap must come back to this context with this context's registers. */
static void *count_worker(void *arg)
{
	struct worker *w = arg;
	const struct platform_ops *ops = w->e->p.ops;
	struct arch_state st;
	struct trap t;
	int n = 0, r;

	if (ops->ctx_new(&w->e->p, &w->c) || arch_state_init(&st)) {
		snprintf(w->err, sizeof(w->err), "ctx_new");
		return NULL;
	}
	state_for(w, &st);
	__atomic_store_n(&w->ready, 1, __ATOMIC_SEQ_CST);
	while (n < w->iters) {
		r = ops->switch_to(w->c, w->e->as, &st, &t);
		if (r)
			FAIL(w, "worker %d: switch_to %d", w->id, r);
		if (t.kind == TRAP_INTERRUPT) {
			w->spurious++;
			continue;
		}
		n++;
		if (t.kind != TRAP_SYSCALL || st.regs.orig_rax != 39)
			FAIL(w, "worker %d: trap %d nr %lld", w->id, t.kind,
			     (long long)st.regs.orig_rax);
		if (st.regs.rdi != counter_va(w->id) || st.regs.rsi != (uint64_t)w->id ||
		    st.regs.r12 != 0xabc000 + (uint64_t)w->id)
			FAIL(w, "worker %d: someone else's registers (rsi %llu)", w->id,
			     (unsigned long long)st.regs.rsi);
		if (*counter(w->e, w->id) != (uint64_t)n)
			FAIL(w, "worker %d: counter %llu after %d traps", w->id,
			     (unsigned long long)*counter(w->e, w->id), n);
	}
	w->ok = 1;
out:
	arch_state_destroy(&st);
	ops->ctx_release(w->c);
	return NULL;
}

static struct env *mt_env(const char *start, const char *end)
{
	struct env *e = env_start(start, end);
	const struct platform_ops *ops = e->p.ops;

	memset(e->mem + DATA_OFF, 0, 0x1000);
	ck_assert_int_eq(ops->as_map(e->as, DATA_VA, 0x1000, PROT_READ | PROT_WRITE, DATA_OFF),
			 0);
	return e;
}

static void start_workers(struct worker *w, int n, struct env *e, void *(*fn)(void *))
{
	for (int i = 0; i < n; i++) {
		w[i].e = e;
		w[i].id = i;
		ck_assert_int_eq(pthread_create(&w[i].th, NULL, fn, &w[i]), 0);
	}
}

static void join_workers(struct worker *w, int n)
{
	for (int i = 0; i < n; i++) {
		pthread_join(w[i].th, NULL);
		ck_assert_msg(w[i].ok, "%s", w[i].err);
	}
}

/* Number of threads of process @pid (entries of /proc/pid/task). */
static int task_count(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

static void concurrent(int n, int iters)
{
	struct env *e = mt_env(mt_count, mt_count_end);
	struct worker w[MAX_W];
	uint64_t t0;
	int spurious = 0;

	memset(w, 0, sizeof(w));
	for (int i = 0; i < n; i++)
		w[i].iters = iters;
	t0 = now_ns();
	start_workers(w, n, e, count_worker);
	join_workers(w, n);
	for (int i = 0; i < n; i++) {
		ck_assert_uint_eq(*counter(e, i), (uint64_t)iters);
		spurious += w[i].spurious;
	}
	printf("ptrace: %d threads x %d traps: %llu ns per trap (wall / total), %d spurious\n",
	       n, iters, (unsigned long long)((now_ns() - t0) / (uint64_t)(n * iters)), spurious);
	/* One stub process: the control thread plus one (now parked) thread per worker. */
	pid_t pid = to_ptrace_as(e->as)->pid;

	ck_assert_int_eq(task_count(pid), n + 1);
	env_free(e);
	/* as_release killed and reaped the whole stub: nothing left, not even a zombie. */
	ck_assert_int_eq(task_count(pid), -1);
	ck_assert_int_eq(waitpid(pid, NULL, __WALL | WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

START_TEST(test_two_threads)
{
	concurrent(2, 3000);
}
END_TEST

START_TEST(test_eight_threads)
{
	concurrent(8, 1000);
}
END_TEST

/* Follows the main thread's phases: read the new page once mapped, fault once unmapped. */
static void *phase_worker(void *arg)
{
	struct worker *w = arg;
	const struct platform_ops *ops = w->e->p.ops;
	struct arch_state st;
	struct trap t;
	int r, seen = PH_RUN;

	if (ops->ctx_new(&w->e->p, &w->c) || arch_state_init(&st)) {
		snprintf(w->err, sizeof(w->err), "ctx_new");
		return NULL;
	}
	state_for(w, &st);
	for (;;) {
		int ph = __atomic_load_n(w->phase, __ATOMIC_SEQ_CST);

		if (ph != seen) {
			seen = ph;
			if (ph == PH_MAPPED)
				st.regs.rdx = w->id & 1 ? PAGE3_VA : PAGE2_VA;
		}
		r = ops->switch_to(w->c, w->e->as, &st, &t);
		__atomic_add_fetch(&w->returns, 1, __ATOMIC_SEQ_CST);
		if (r)
			FAIL(w, "worker %d: switch_to %d", w->id, r);
		if (t.kind == TRAP_INTERRUPT)
			continue;
		/* (The phase may have moved on while we ran: read it again after a fault.) */
		if (t.kind == TRAP_FAULT && seen == PH_MAPPED &&
		    __atomic_load_n(w->phase, __ATOMIC_SEQ_CST) >= PH_UNMAPPING)
			seen = PH_UNMAPPING;
		if (seen == PH_UNMAPPING && t.kind == TRAP_FAULT) {
			/* The unmap has begun: wait for it to return, then it must fault. */
			while (__atomic_load_n(w->phase, __ATOMIC_SEQ_CST) != PH_UNMAPPED)
				usleep(100);
			continue;
		}
		if (seen == PH_UNMAPPED) {
			if (t.kind != TRAP_FAULT || t.addr != st.regs.rdx)
				FAIL(w, "worker %d: no fault after unmap (trap %d)", w->id, t.kind);
			w->faulted = 1;
			break;
		}
		if (t.kind != TRAP_SYSCALL)
			FAIL(w, "worker %d: trap %d sig %d code %d at %#llx in phase %d", w->id,
			     t.kind, t.signo, t.code, (unsigned long long)t.addr, seen);
		if (seen == PH_MAPPED && st.regs.rbx != (w->id & 1 ? MAGIC3 : MAGIC2))
			FAIL(w, "worker %d: read %#llx from the new page", w->id,
			     (unsigned long long)st.regs.rbx);
	}
	w->ok = 1;
out:
	arch_state_destroy(&st);
	ops->ctx_release(w->c);
	return NULL;
}

struct mapper {
	struct env *e;
	uint64_t va, off;
	int unmap;
	int r;
	uint64_t ns;
};

/* A host thread that never ran on the address space (and has no context). */
static void *mapper_thread(void *arg)
{
	struct mapper *m = arg;
	const struct platform_ops *ops = m->e->p.ops;
	uint64_t t0 = now_ns();

	if (m->unmap)
		m->r = ops->as_unmap(m->e->as, m->va, 0x1000);
	else
		m->r = ops->as_map(m->e->as, m->va, 0x1000, PROT_READ, m->off);
	m->ns = now_ns() - t0;
	return NULL;
}

static void map_two(struct env *e, int unmap)
{
	struct mapper m[2] = {
		{ .e = e, .va = PAGE2_VA, .off = PAGE2_OFF, .unmap = unmap },
		{ .e = e, .va = PAGE3_VA, .off = PAGE3_OFF, .unmap = unmap },
	};
	pthread_t th[2];

	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, mapper_thread, &m[i]), 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(m[i].r, 0);
	}
	printf("ptrace: as_%s from a thread without a stub thread, under load: %llu us\n",
	       unmap ? "unmap" : "map", (unsigned long long)(m[0].ns / 1000));
}

static void wait_returns(struct worker *w, int n, int min)
{
	for (int i = 0; i < n; i++)
		while (__atomic_load_n(&w[i].returns, __ATOMIC_SEQ_CST) < min)
			usleep(100);
}

START_TEST(test_map_from_other_thread)
{
	struct env *e = mt_env(mt_count, mt_count_end);
	struct worker w[4];
	int phase = PH_RUN;

	*(uint64_t *)(e->mem + PAGE2_OFF) = MAGIC2;
	*(uint64_t *)(e->mem + PAGE3_OFF) = MAGIC3;
	memset(w, 0, sizeof(w));
	for (int i = 0; i < 4; i++)
		w[i].phase = &phase;
	start_workers(w, 4, e, phase_worker);
	wait_returns(w, 4, 20);
	map_two(e, 0);
	__atomic_store_n(&phase, PH_MAPPED, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 4; i++) { /* each has run with the page a few times */
		int snap = __atomic_load_n(&w[i].returns, __ATOMIC_SEQ_CST);

		wait_returns(&w[i], 1, snap + 20);
	}
	__atomic_store_n(&phase, PH_UNMAPPING, __ATOMIC_SEQ_CST);
	map_two(e, 1);
	__atomic_store_n(&phase, PH_UNMAPPED, __ATOMIC_SEQ_CST);
	join_workers(w, 4);
	for (int i = 0; i < 4; i++)
		ck_assert(w[i].faulted);
	env_free(e);
}
END_TEST

/* Spins until interrupted; an interrupt before its turn is spurious. */
static void *spin_worker(void *arg)
{
	struct worker *w = arg;
	const struct platform_ops *ops = w->e->p.ops;
	struct arch_state st;
	struct trap t;
	int r;

	if (ops->ctx_new(&w->e->p, &w->c) || arch_state_init(&st)) {
		snprintf(w->err, sizeof(w->err), "ctx_new");
		return NULL;
	}
	state_for(w, &st);
	__atomic_store_n(&w->ready, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		r = ops->switch_to(w->c, w->e->as, &st, &t);
		__atomic_add_fetch(&w->returns, 1, __ATOMIC_SEQ_CST);
		if (r)
			FAIL(w, "worker %d: switch_to %d", w->id, r);
		if (t.kind != TRAP_INTERRUPT)
			FAIL(w, "worker %d: trap %d", w->id, t.kind);
		if (__atomic_load_n(&w->stop, __ATOMIC_SEQ_CST))
			break;
		w->spurious++;
	}
	w->ok = 1;
out:
	arch_state_destroy(&st);
	ops->ctx_release(w->c);
	return NULL;
}

START_TEST(test_interrupt_one)
{
	struct env *e = mt_env(mt_spin, mt_spin_end);
	const struct platform_ops *ops = e->p.ops;
	struct worker w[4];
	const int n = 4;

	memset(w, 0, sizeof(w));
	start_workers(w, n, e, spin_worker);
	for (int i = 0; i < n; i++) /* every worker is spinning in guest code */
		while (*counter(e, i) < 100000)
			usleep(100);
	for (int i = 0; i < n; i++) {
		uint64_t before[MAX_W];

		for (int j = 0; j < n; j++)
			before[j] = *counter(e, j);
		__atomic_store_n(&w[i].stop, 1, __ATOMIC_SEQ_CST);
		ops->interrupt(w[i].c);
		pthread_join(w[i].th, NULL);
		ck_assert_msg(w[i].ok, "%s", w[i].err);
		ck_assert_int_eq(w[i].spurious, 0);
		/* The others never came back and are still counting. */
		for (int j = i + 1; j < n; j++) {
			ck_assert_int_eq(__atomic_load_n(&w[j].returns, __ATOMIC_SEQ_CST), 0);
			while (*counter(e, j) == before[j])
				usleep(100);
		}
	}
	env_free(e);
}
END_TEST

struct once_arg {
	struct env *e;
	int release;
	int r;
};

/* A short-lived task: one trap on its own context, then exit. */
static void *once_thread(void *arg)
{
	struct once_arg *a = arg;
	const struct platform_ops *ops = a->e->p.ops;
	struct arch_state st;
	struct pctx *c;
	struct trap t;

	a->r = ops->ctx_new(&a->e->p, &c);
	if (a->r)
		return NULL;
	arch_state_init(&st);
	st.regs.rip = CODE_VA;
	st.regs.rdi = counter_va(MAX_W);
	st.regs.rdx = DATA_VA;
	st.regs.eflags = 0x202;
	a->r = ops->switch_to(c, a->e->as, &st, &t);
	if (!a->r && t.kind != TRAP_SYSCALL)
		a->r = -EIO;
	arch_state_destroy(&st);
	if (a->release)
		ops->ctx_release(c);
	else /* leak the context: its thread exits still tracing the stub */
		__atomic_store_n(&a->e->c, c, __ATOMIC_SEQ_CST);
	return NULL;
}

static int once(struct env *e, int release)
{
	struct once_arg a = { .e = e, .release = release };
	pthread_t th;

	ck_assert_int_eq(pthread_create(&th, NULL, once_thread, &a), 0);
	pthread_join(th, NULL);
	return a.r;
}

/*
 * 1000 tasks created and joined in sequence, while another runs: stub threads are
 * reused (the stub does not grow) and no exiting tracer kills the stub.
 */
START_TEST(test_thread_churn)
{
	struct env *e = mt_env(mt_count, mt_count_end);
	pid_t pid = to_ptrace_as(e->as)->pid;
	int phase = PH_MAPPED, before;
	struct worker w[1];
	const int n = 1000;
	uint64_t t0;

	memset(w, 0, sizeof(w));
	w[0].phase = &phase;
	*(uint64_t *)(e->mem + PAGE2_OFF) = MAGIC2;
	ck_assert_int_eq(e->p.ops->as_map(e->as, PAGE2_VA, 0x1000, PROT_READ, PAGE2_OFF), 0);
	start_workers(w, 1, e, phase_worker);
	wait_returns(w, 1, 10);
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(once(e, 1), 0);
		if (i % 100 == 99) /* control thread, the sibling's, one parked (+1 in flight) */
			ck_assert_int_le(task_count(pid), 4);
	}
	printf("ptrace: task churn (thread + ctx_new + first trap + ctx_release): %llu us\n",
	       (unsigned long long)((now_ns() - t0) / (uint64_t)n / 1000));
	ck_assert_uint_eq(*counter(e, MAX_W), (uint64_t)n);
	/* The sibling is still running; stop it with a fault. */
	before = __atomic_load_n(&w[0].returns, __ATOMIC_SEQ_CST);
	wait_returns(w, 1, before + 10);
	__atomic_store_n(&phase, PH_UNMAPPING, __ATOMIC_SEQ_CST);
	ck_assert_int_eq(e->p.ops->as_unmap(e->as, PAGE2_VA, 0x1000), 0);
	__atomic_store_n(&phase, PH_UNMAPPED, __ATOMIC_SEQ_CST);
	join_workers(w, 1);
	ck_assert(w[0].faulted);
	env_free(e);
}
END_TEST

/*
 * A host thread that exits while tracing a stub thread (no ctx_release) kills that stub:
 * never guest code running untraced. Other address spaces are unaffected.
 */
START_TEST(test_exit_without_release)
{
	struct env *e = mt_env(mt_count, mt_count_end);
	struct env *e2 = mt_env(mt_count, mt_count_end);
	struct pctx *mine = e->c;
	struct trap t;
	pid_t pid = to_ptrace_as(e->as)->pid;

	ck_assert_int_eq(once(e, 0), 0);
	ck_assert_ptr_ne(e->c, mine);
	e->p.ops->ctx_release(e->c); /* the leaked context (its thread is gone) */
	e->c = mine;
	e->st.regs.rdi = counter_va(0);
	e->st.regs.rdx = DATA_VA;
	for (int i = 0; i < 1000 && kill(pid, 0) == 0; i++) {
		char path[64], buf[256];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			break;
		buf[0] = 0;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		if (strstr(buf, ") Z") || strstr(buf, ") X"))
			break;
		usleep(1000);
	}
	ck_assert_int_eq(run(e, &t), -ESRCH);
	/* The other stub is fine. */
	e2->st.regs.rdi = counter_va(0);
	e2->st.regs.rdx = DATA_VA;
	run_expect(e2, TRAP_SYSCALL, &t);
	env_free(e);
	env_free(e2);
}
END_TEST

/* One context alternating between two address spaces (execve, vfork), then one goes. */
START_TEST(test_two_address_spaces)
{
	struct env *e = env_start(mt_read, mt_read_end);
	const struct platform_ops *ops = e->p.ops;
	struct addrspace *as1 = e->as, *as2;
	struct trap t;

	*(uint64_t *)(e->mem + PAGE2_OFF) = 1;
	*(uint64_t *)(e->mem + PAGE3_OFF) = 2;
	ck_assert_int_eq(ops->as_map(as1, DATA_VA, 0x1000, PROT_READ, PAGE2_OFF), 0);
	ck_assert_int_eq(ops->as_new(&e->p, &as2), 0);
	ck_assert_int_eq(ops->as_map(as2, CODE_VA, 0x1000, PROT_READ | PROT_EXEC, CODE_OFF), 0);
	ck_assert_int_eq(ops->as_map(as2, DATA_VA, 0x1000, PROT_READ, PAGE3_OFF), 0);
	for (int i = 0; i < 10; i++) {
		e->as = i & 1 ? as2 : as1;
		env_load(e, mt_read, mt_read_end);
		e->st.regs.rdi = DATA_VA;
		run_expect(e, TRAP_SYSCALL, &t);
		ck_assert_uint_eq(e->st.regs.rbx, (uint64_t)(i & 1 ? 2 : 1));
	}
	/* Mapping changes from this thread go through its own stub thread in each. */
	ck_assert_int_eq(ops->as_map(as2, DATA_VA, 0x1000, PROT_READ, PAGE2_OFF), 0);
	e->as = as2;
	env_load(e, mt_read, mt_read_end);
	e->st.regs.rdi = DATA_VA;
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.rbx, 1);
	/* as2 released while the context still has a stub thread in it. */
	ops->as_release(as2);
	e->as = as1;
	env_load(e, mt_read, mt_read_end);
	e->st.regs.rdi = DATA_VA;
	run_expect(e, TRAP_SYSCALL, &t);
	ck_assert_uint_eq(e->st.regs.rbx, 1);
	env_free(e);
}
END_TEST

struct map_loop {
	struct env *e;
	int n;
	int r;
	uint64_t ns;
};

static void *map_loop_thread(void *arg)
{
	struct map_loop *m = arg;
	uint64_t t0 = now_ns();

	for (int i = 0; i < m->n && !m->r; i++)
		m->r = m->e->p.ops->as_map(m->e->as, PAGE2_VA, 0x1000, PROT_READ, PAGE2_OFF);
	m->ns = (now_ns() - t0) / (uint64_t)m->n;
	return NULL;
}

/* The two mapping paths, unloaded: own stub thread vs the service thread. */
START_TEST(test_map_cost)
{
	struct env *e = mt_env(mt_read, mt_read_end);
	struct map_loop m = { .e = e, .n = 500 };
	uint64_t own, t0;
	struct trap t;
	pthread_t th;

	e->st.regs.rdi = DATA_VA;
	run_expect(e, TRAP_SYSCALL, &t); /* the main thread now has a stub thread */
	t0 = now_ns();
	for (int i = 0; i < m.n; i++)
		ck_assert_int_eq(e->p.ops->as_map(e->as, PAGE2_VA, 0x1000, PROT_READ, PAGE2_OFF), 0);
	own = (now_ns() - t0) / (uint64_t)m.n;
	ck_assert_int_eq(pthread_create(&th, NULL, map_loop_thread, &m), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(m.r, 0);
	printf("ptrace: as_map from the thread's own stub thread %llu ns, through the service "
	       "thread %llu ns\n", (unsigned long long)own, (unsigned long long)m.ns);
	env_free(e);
}
END_TEST

Suite *ptrace_mt_suite(void);
Suite *ptrace_mt_suite(void)
{
	Suite *s = suite_create("ptrace_mt");
	TCase *tc = tcase_create("mt");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, use_ptrace, NULL);
	tcase_add_test(tc, test_two_threads);
	tcase_add_test(tc, test_eight_threads);
	tcase_add_test(tc, test_map_from_other_thread);
	tcase_add_test(tc, test_interrupt_one);
	tcase_add_test(tc, test_thread_churn);
	tcase_add_test(tc, test_exit_without_release);
	tcase_add_test(tc, test_two_address_spaces);
	tcase_add_test(tc, test_map_cost);
	suite_add_tcase(s, tc);
	return s;
}
