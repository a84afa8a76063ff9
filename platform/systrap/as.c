// SPDX-License-Identifier: Apache-2.0
/*
 * systrap address spaces: one stub process each. Creation (init data, fork, hand-shake),
 * mapping requests carried out by the stub's syscall thread, and the table of guest stub
 * threads (created by the stub's spawner, owned by contexts, pooled when released).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "systrap.h"
#include "systrap_impl.h"

#define TASK_SIZE_TOP 0x7ffffffff000ULL
#define READY_MAGIC 0x5359535452415021ULL /* "SYSTRAP!" */
#define ACK_ERR_BIT (1ULL << 63)
#define ACK_SPAWN_BIT (1ULL << 62) /* spawn acks never look like mapping acks */
/*
 * Registry of live address spaces: contexts remember the address spaces where they own a
 * thread by id, and look them up here (under reg_mu) to give the threads back. Lock order:
 * reg_mu, then an address space's mu.
 */
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct systrap_as *reg_head; /* protected by reg_mu */
static uint64_t next_id = 1;        /* atomic */

uint64_t systrap_new_id(void)
{
	return __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
}

static void reg_add(struct systrap_as *as)
{
	pthread_mutex_lock(&reg_mu);
	as->reg_prev = NULL;
	as->reg_next = reg_head;
	if (reg_head)
		reg_head->reg_prev = as;
	reg_head = as;
	pthread_mutex_unlock(&reg_mu);
}

static void reg_del(struct systrap_as *as)
{
	pthread_mutex_lock(&reg_mu);
	if (as->reg_prev)
		as->reg_prev->reg_next = as->reg_next;
	else if (reg_head == as)
		reg_head = as->reg_next;
	if (as->reg_next)
		as->reg_next->reg_prev = as->reg_prev;
	as->reg_next = as->reg_prev = NULL;
	pthread_mutex_unlock(&reg_mu);
}

/* Caller holds reg_mu. */
static struct systrap_as *reg_find(uint64_t id)
{
	for (struct systrap_as *as = reg_head; as; as = as->reg_next)
		if (as->id == id)
			return as;
	return NULL;
}

/* How long as_new waits for a new stub to report in. */
#define STUB_START_TIMEOUT_MS 5000

/* The handled signals: faults and traps a guest instruction raises, SIGSYS, interrupt. */
static const int stub_signals[] = { SIGSYS, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
				    SYSTRAP_SIG_INTERRUPT };

static void init_call(uint8_t *init, uint64_t nr, int must, uint64_t a0, uint64_t a1,
		      uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	uint64_t *n = (uint64_t *)(init + INIT_NCALLS);
	struct systrap_init_call *c = (struct systrap_init_call *)(init + INIT_CALLS) + *n;

	*c = (struct systrap_init_call){ nr, { a0, a1, a2, a3, a4, a5 }, (uint64_t)must };
	(*n)++;
}

/* Close every fd but the two the stub keeps: up to three close_range() calls. */
static void init_close_fds(uint8_t *init, int keep1, int keep2)
{
	int lo = keep1 < keep2 ? keep1 : keep2, hi = keep1 < keep2 ? keep2 : keep1;

	if (lo > 0)
		init_call(init, __NR_close_range, 0, 0, lo - 1, 0, 0, 0, 0);
	if (hi > lo + 1)
		init_call(init, __NR_close_range, 0, lo + 1, hi - 1, 0, 0, 0, 0);
	init_call(init, __NR_close_range, 1, hi + 1, ~0U, 0, 0, 0, 0);
}

/*
 * Fill the init data (the Sentry's view @init; the stub sees it read-only at
 * base + STUB_INIT_OFF): what the stub's entry code executes before the first trap.
 */
static int build_init(uint8_t *init, int memfd, int shmfd, int ack_wfd)
{
	uint64_t base = systrap_region.base;
	uint64_t sinit = base + STUB_INIT_OFF;
	uint64_t mask = 0;
	int r;

	*(uint64_t *)(init + INIT_MEMFD) = (uint64_t)memfd;
	*(uint64_t *)(init + INIT_ACKFD) = (uint64_t)ack_wfd;
	*(uint64_t *)(init + INIT_FLAGS) = systrap_region.fsgsbase ? INIT_FLAG_FSGSBASE : 0;
	*(uint64_t *)(init + INIT_XSAVE_SIZE) = arch_xsave_size();
	*(uint64_t *)(init + INIT_READY) = READY_MAGIC;
	*(uint64_t *)(init + INIT_MASK_FULL) = ~0ULL;
	*(uint64_t *)(init + INIT_MASK_EMPTY) = 0;
	*(uint64_t *)(init + INIT_NCALLS) = 0;

	r = systrap_build_filters(init, memfd, ack_wfd);
	if (r)
		return r;

	/* The zygote already dropped its rseq area, most fds and memory; the stub repeats the
	 * last two (cheap) so its own set-up does not depend on how it was forked. */
	init_call(init, __NR_prctl, 1, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0, 0);
	/* No core dumps of a stub killed by its filter; nobody else may ptrace it. */
	init_call(init, __NR_prctl, 1, PR_SET_DUMPABLE, 0, 0, 0, 0, 0);
	init_call(init, __NR_mmap, 1, base + STUB_MSG_OFF, STUB_MSG_AREA, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_FIXED, shmfd, STUB_CTRL_SIZE);
	init_close_fds(init, memfd, ack_wfd);
	/* Drop the inherited copy of the Sentry: everything but the stub region. */
	init_call(init, __NR_munmap, 1, 0, base, 0, 0, 0, 0);
	init_call(init, __NR_munmap, 1, base + STUB_REGION_SIZE,
		  TASK_SIZE_TOP - (base + STUB_REGION_SIZE), 0, 0, 0, 0);

	stack_t ss = { .ss_sp = (void *)(base + STUB_STACKS_OFF), .ss_size = STUB_STACK_SIZE };
	memcpy(init + INIT_ALTSTACK, &ss, sizeof(ss));
	init_call(init, __NR_sigaltstack, 1, sinit + INIT_ALTSTACK, 0, 0, 0, 0, 0);

	for (size_t i = 0; i < STUB_ARRAY_SIZE(stub_signals); i++)
		mask |= 1ULL << (stub_signals[i] - 1);
	for (size_t i = 0; i < STUB_ARRAY_SIZE(stub_signals); i++) {
		struct systrap_ksigaction *sa = (struct systrap_ksigaction *)(init + INIT_SIGACT) + i;

		sa->handler = systrap_stub_addr(systrap_stub_handler);
		sa->flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER;
		sa->restorer = systrap_stub_addr(systrap_stub_restorer);
		sa->mask = mask;
		init_call(init, __NR_rt_sigaction, 1, stub_signals[i],
			  sinit + INIT_SIGACT + i * sizeof(*sa), 0, 8, 0, 0);
	}
	init_call(init, __NR_prctl, 1, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
	init_call(init, __NR_rt_sigprocmask, 1, SIG_SETMASK, sinit + INIT_MASK_EMPTY, 0, 8, 0, 0);
	if (*(uint64_t *)(init + INIT_NCALLS) > INIT_MAX_CALLS)
		return -E2BIG;
	return 0;
}

/* Read one 8-byte ack from the stub's syscall thread; -ESRCH on EOF (stub gone). */
static int read_ack(struct systrap_as *as, int timeout_ms, uint64_t *v)
{
	struct pollfd pfd = { .fd = as->ack_fd, .events = POLLIN };
	ssize_t n;

	/* The ack usually comes within microseconds: poll the non-blocking pipe first. */
	for (int i = 0;; i++) {
		n = read(as->ack_fd, v, sizeof(*v));
		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			break;
		if (i < SENTRY_ACK_SPIN) {
			for (int j = 0; j < 20; j++)
				__builtin_ia32_pause();
			continue;
		}
		int r = poll(&pfd, 1, timeout_ms);

		if (r == 0)
			return -ETIMEDOUT;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
	if (n < 0)
		return -errno;
	if (n != sizeof(*v))
		return -ESRCH; /* EOF: the stub is gone (a pipe never splits 8 bytes) */
	return 0;
}

/*
 * The stub maker: a Sentry thread that keeps SPARE_STUBS started stubs ready, so that
 * as_new (fork, execve) only takes one, and reaps released stubs, so that as_release does
 * not wait for the kernel to tear a process down. Started by the first as_new.
 */
#define SPARE_STUBS 2
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started;    /* mu */
	int failed;     /* mu: the last background creation failed; refill on the next as_new */
	/*
	 * The memory file the spares map: the maker's own dup of the platform's memfd (never
	 * the platform itself, which may be freed while the maker works), identified by
	 * dev/ino; a different memory file (another platform, in tests) starts a new
	 * generation and spares of older ones are dropped (their dup stays open: rare).
	 */
	int memfd;      /* mu */
	dev_t dev;      /* mu */
	ino_t ino;      /* mu */
	uint64_t gen;   /* mu */
	struct systrap_as *spare[SPARE_STUBS]; /* mu */
	int nspare;                             /* mu */
	pid_t *reap;    /* mu: killed stubs to reap */
	size_t nreap, capreap;
} maker = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static int as_create(int memfd, uint64_t gen, struct systrap_as **out);

static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

static void *maker_main(void *arg)
{
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&maker.mu);
	for (;;) {
		while (!maker.nreap && (maker.nspare >= SPARE_STUBS || maker.failed))
			pthread_cond_wait(&maker.cv, &maker.mu);
		if (maker.nreap) {
			pid_t pid = maker.reap[--maker.nreap];

			pthread_mutex_unlock(&maker.mu);
			reap(pid);
			pthread_mutex_lock(&maker.mu);
			continue;
		}
		int memfd = maker.memfd;
		uint64_t gen = maker.gen;
		struct systrap_as *as = NULL;

		pthread_mutex_unlock(&maker.mu);
		int r = as_create(memfd, gen, &as);

		pthread_mutex_lock(&maker.mu);
		if (r)
			maker.failed = 1; /* as_new creates its own and asks again */
		else
			maker.spare[maker.nspare++] = as;
	}
	return NULL;
}

/*
 * Caller holds maker.mu. Point the maker at @p's memory file and start it once (best
 * effort: without it, as_new and as_release do everything themselves). Returns whether
 * spares of the current generation are made from @p's memory file.
 */
static bool maker_start(struct platform *p)
{
	pthread_t th;
	pthread_attr_t attr;
	struct stat sb;

	if (maker.started < 0 || fstat(p->memfd, &sb) < 0)
		return false;
	if (maker.started && sb.st_dev == maker.dev && sb.st_ino == maker.ino)
		return true;
	int fd = fcntl(p->memfd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		return false;
	maker.memfd = fd;
	maker.dev = sb.st_dev;
	maker.ino = sb.st_ino;
	maker.gen++;
	if (maker.started)
		return true;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &attr, maker_main, NULL) == 0)
		maker.started = 1;
	else
		maker.started = -1;
	pthread_attr_destroy(&attr);
	return maker.started == 1;
}

static void as_kill(struct systrap_as *as)
{
	bool queued = false;

	if (as->pid <= 0)
		return;
	kill(as->pid, SIGKILL);
	pthread_mutex_lock(&maker.mu);
	if (maker.started == 1) {
		if (maker.nreap == maker.capreap) {
			size_t cap = maker.capreap ? 2 * maker.capreap : 16;
			pid_t *n = realloc(maker.reap, cap * sizeof(*n));

			if (n) {
				maker.reap = n;
				maker.capreap = cap;
			}
		}
		if (maker.nreap < maker.capreap) {
			maker.reap[maker.nreap++] = as->pid;
			pthread_cond_signal(&maker.cv);
			queued = true;
		}
	}
	pthread_mutex_unlock(&maker.mu);
	if (!queued)
		reap(as->pid);
	as->pid = 0;
}

/* The stub process's CPU clock: Linux's MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED). */
int systrap_as_cpu_clock(struct addrspace *base, int *out)
{
	pid_t pid = to_systrap_as(base)->pid;

	if (pid <= 0)
		return -ENOSYS;
	*out = (int)((~(unsigned int)pid) << 3) | 2;
	return 0;
}

void systrap_as_release(struct addrspace *base)
{
	struct systrap_as *as = to_systrap_as(base);

	reg_del(as); /* from now on no context gives threads back here */
	as_kill(as);
	if (as->ack_fd >= 0)
		close(as->ack_fd);
	if (as->shm)
		munmap(as->shm, STUB_SHM_SIZE);
	pthread_mutex_destroy(&as->mu);
	free(as->threads);
	free(as);
}

int systrap_as_new(struct platform *p, struct addrspace **out)
{
	struct systrap_as *as = NULL;
	int r;

	pthread_mutex_lock(&maker.mu);
	bool same = maker_start(p);

	while (maker.nspare && !as) {
		as = maker.spare[--maker.nspare];
		if (!same || as->gen != maker.gen || !systrap_stub_alive(as->pid)) {
			pthread_mutex_unlock(&maker.mu);
			systrap_as_release(&as->base);
			pthread_mutex_lock(&maker.mu);
			as = NULL;
		}
	}
	maker.failed = 0;
	pthread_cond_signal(&maker.cv); /* refill */
	pthread_mutex_unlock(&maker.mu);
	if (!as) {
		r = as_create(p->memfd, 0, &as);
		if (r)
			return r;
	}
	as->base = (struct addrspace){ .ops = p->ops, .p = p };
	systrap_spin_init(as); /* what the process learned since the spare was made */
	reg_add(as);
	*out = &as->base;
	return 0;
}

/* A started stub mapping @memfd, not yet registered (as_new registers it). */
static int as_create(int memfd, uint64_t gen, struct systrap_as **out)
{
	struct systrap_as *as;
	int shmfd, pipefd[2] = { -1, -1 };
	uint64_t v;
	int r;

	as = calloc(1, sizeof(*as));
	if (!as)
		return -ENOMEM;
	as->base = (struct addrspace){ .ops = &systrap_platform_ops };
	as->id = systrap_new_id();
	as->gen = gen;
	as->ack_fd = -1;
	pthread_mutex_init(&as->mu, NULL);
	as->threads = calloc(STUB_MAX_THREADS, sizeof(*as->threads));
	if (!as->threads) {
		free(as);
		return -ENOMEM;
	}

	shmfd = memfd_create("systrap-stub", MFD_CLOEXEC);
	if (shmfd < 0 || ftruncate(shmfd, STUB_SHM_SIZE) < 0)
		goto err_errno;
	as->shm = mmap(NULL, STUB_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, shmfd, 0);
	if (as->shm == MAP_FAILED) {
		as->shm = NULL;
		goto err_errno;
	}
	systrap_spin_init(as);
	if (pipe2(pipefd, O_CLOEXEC) < 0 || fcntl(pipefd[0], F_SETFL, O_NONBLOCK) < 0)
		goto err_errno;
	as->ack_fd = pipefd[0];
	/* The stub gets the three fds at fixed numbers (the zygote's protocol). */
	r = build_init(as->shm + (STUB_INIT_OFF - STUB_CTRL_OFF), STUB_FD_MEM, STUB_FD_SHM,
		       STUB_FD_ACK);
	if (r)
		goto err;
	/* The alternate stack of every slot, for sigaltstack() in a new thread. */
	for (uint32_t i = 0; i < STUB_MAX_THREADS; i++) {
		stack_t ss = { .ss_sp = (void *)(systrap_region.base + STUB_STACKS_OFF +
						 (uint64_t)i * STUB_STACK_SIZE),
			       .ss_size = STUB_STACK_SIZE };

		memcpy(as->shm + (STUB_SSTAB_OFF - STUB_CTRL_OFF) + i * STUB_SS_SIZE, &ss,
		       sizeof(ss));
		as->threads[i].slot = i;
		as->threads[i].msg = (struct systrap_msg *)(as->shm + STUB_CTRL_SIZE +
							    (size_t)i * STUB_MSG_STRIDE);
	}

	r = systrap_fork_stub(shmfd, memfd, pipefd[1], &as->pid);
	close(pipefd[1]); /* the stub holds the only write end now: EOF means it died */
	pipefd[1] = -1;
	close(shmfd);
	shmfd = -1;
	if (r)
		goto err;
	as->threads[0].tid = as->pid;

	/* The syscall thread reports once its filter is on, thread 0 with the init trap. */
	r = read_ack(as, STUB_START_TIMEOUT_MS, &v);
	if (!r && v != READY_MAGIC)
		r = -EPROTO;
	if (!r)
		r = systrap_wait_trapped(as, as->threads[0].msg, systrap_sentry_spin(),
					 STUB_START_TIMEOUT_MS);
	if (!r && __atomic_load_n(&as->threads[0].msg->kind, __ATOMIC_ACQUIRE) != MSG_KIND_INIT)
		r = -EPROTO;
	if (r) {
		log_warn("systrap: stub %d did not start: %s", as->pid, strerror(-r));
		goto err;
	}
	/* Thread 0 is the first thread of the pool. */
	as->nthreads = 1;
	as->free = &as->threads[0];
	*out = as;
	return 0;

err_errno:
	r = -errno;
err:
	if (shmfd >= 0)
		close(shmfd);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	systrap_as_release(&as->base);
	return r;
}

/*
 * One request to the syscall thread: the Sentry writes the fields, then the sequence
 * number, wakes the thread and blocks on the ack pipe. The stub reads the fields only
 * after seeing the new number and the Sentry touches them again only after the ack, so
 * a request is never torn; the ack cannot be forged (only that thread may write the pipe).
 */
static int as_request(struct systrap_as *as, uint64_t op, uint64_t va, uint64_t len,
		      uint64_t prot, uint64_t off, const struct as_map_range *vec, int n)
{
	struct systrap_req *rq = (struct systrap_req *)as->shm;
	uint64_t v;
	uint32_t seq;
	int r;

	pthread_mutex_lock(&as->mu);
	if (__atomic_load_n(&as->dead, __ATOMIC_ACQUIRE)) {
		r = -ESRCH;
		goto out;
	}
	seq = ++as->seq;
	rq->op = op;
	rq->va = va;
	rq->len = len;
	rq->prot = prot;
	rq->off = off;
	rq->n = (uint64_t)n;
	for (int i = 0; i < n; i++)
		rq->vec[i] = (struct systrap_req_ent){ vec[i].va, vec[i].len,
						       (uint64_t)vec[i].prot, vec[i].memfile_off };
	rq->ack_ok = seq;
	rq->ack_err = seq | ACK_ERR_BIT;
	__atomic_store_n(&rq->seq, seq, __ATOMIC_RELEASE);
	syscall(SYS_futex, &rq->seq, FUTEX_WAKE, 1, NULL, NULL, 0);
	r = read_ack(as, -1, &v);
	if (!r && v == seq)
		r = 0;
	else if (!r && v == (seq | ACK_ERR_BIT))
		r = -ENOMEM;
	else if (!r)
		r = -EPROTO;
	if (r && r != -ENOMEM) {
		log_warn("systrap: stub %d mapping request failed: %s", as->pid, strerror(-r));
		__atomic_store_n(&as->dead, 1, __ATOMIC_RELEASE);
		r = -ESRCH;
	}
out:
	pthread_mutex_unlock(&as->mu);
	return r;
}

static int range_ok(struct addrspace *base, uint64_t va, uint64_t len)
{
	uint64_t max = base->p->max_user_addr;

	if ((va | len) & (STUB_PAGE_SIZE - 1))
		return 0;
	return va < max && len <= max - va;
}

int systrap_as_map(struct addrspace *base, uint64_t va, uint64_t len, int prot,
		   uint64_t off)
{
	if (!len || !range_ok(base, va, len) || (off & (STUB_PAGE_SIZE - 1)) ||
	    (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EINVAL;
	return as_request(to_systrap_as(base), REQ_OP_MAP, va, len, (uint64_t)prot, off, NULL, 0);
}

int systrap_as_map_vec(struct addrspace *base, const struct as_map_range *r, int n)
{
	for (int i = 0; i < n; i++)
		if (!r[i].len || !range_ok(base, r[i].va, r[i].len) ||
		    (r[i].memfile_off & (STUB_PAGE_SIZE - 1)) ||
		    (r[i].prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
			return -EINVAL;
	while (n > 0) {
		int k = n < REQ_VEC_MAX ? n : REQ_VEC_MAX;
		int err = k == 1 ? as_request(to_systrap_as(base), REQ_OP_MAP, r->va, r->len,
					      (uint64_t)r->prot, r->memfile_off, NULL, 0)
				 : as_request(to_systrap_as(base), REQ_OP_MAPV, 0, 0, 0, 0, r, k);

		if (err)
			return err;
		r += k;
		n -= k;
	}
	return 0;
}

int systrap_as_unmap(struct addrspace *base, uint64_t va, uint64_t len)
{
	if (!len)
		return 0;
	if (!range_ok(base, va, len))
		return -EINVAL;
	return as_request(to_systrap_as(base), REQ_OP_UNMAP, va, len, 0, 0, NULL, 0);
}

/*
 * Create the stub thread of the next slot (caller holds as->mu): the spawner clones it,
 * acks, and the new thread reports in with an init trap like thread 0. Its tid comes from
 * its message, which other guest threads can write: a wrong tid only ever makes interrupt()
 * signal another thread of the same stub (tgkill checks the thread group).
 */
static int as_spawn(struct systrap_as *as, struct systrap_thread **out)
{
	uint8_t *ctrl = as->shm;
	uint32_t slot = as->nthreads, seq;
	struct systrap_thread *t;
	uint64_t v;
	int32_t tid;
	int r;

	if (__atomic_load_n(&as->dead, __ATOMIC_ACQUIRE))
		return -ESRCH;
	if (slot >= STUB_MAX_THREADS)
		return -EAGAIN;
	t = &as->threads[slot];
	seq = ++as->spawn_seq;
	*(uint64_t *)(ctrl + SPAWN_SLOT) = slot;
	*(uint64_t *)(ctrl + SPAWN_ACK_OK) = seq | ACK_SPAWN_BIT;
	*(uint64_t *)(ctrl + SPAWN_ACK_ERR) = seq | ACK_SPAWN_BIT | ACK_ERR_BIT;
	__atomic_store_n((uint32_t *)(ctrl + SPAWN_SEQ), seq, __ATOMIC_RELEASE);
	syscall(SYS_futex, ctrl + SPAWN_SEQ, FUTEX_WAKE, 1, NULL, NULL, 0);
	r = read_ack(as, STUB_START_TIMEOUT_MS, &v);
	if (!r && v == (seq | ACK_SPAWN_BIT | ACK_ERR_BIT))
		return -EAGAIN; /* clone failed (thread limit): the stub is fine */
	if (!r && v != (seq | ACK_SPAWN_BIT))
		r = -EPROTO;
	if (!r)
		r = systrap_wait_trapped(as, t->msg, systrap_sentry_spin(), STUB_START_TIMEOUT_MS);
	if (!r && __atomic_load_n(&t->msg->kind, __ATOMIC_ACQUIRE) != MSG_KIND_INIT)
		r = -EPROTO;
	tid = __atomic_load_n((int32_t *)((uint8_t *)t->msg + MSG_TID), __ATOMIC_ACQUIRE);
	if (!r && tid <= 0)
		r = -EPROTO;
	if (r) {
		log_warn("systrap: stub %d: thread %u did not start: %s", as->pid, slot,
			 strerror(-r));
		__atomic_store_n(&as->dead, 1, __ATOMIC_RELEASE);
		if (as->pid > 0)
			kill(as->pid, SIGKILL);
		return -ESRCH;
	}
	t->tid = tid;
	as->nthreads++;
	*out = t;
	return 0;
}

/* Caller holds as->mu: a free thread of @as for context @id. */
static int as_thread_take(struct systrap_as *as, uint64_t id, struct systrap_thread **out)
{
	struct systrap_thread *t = as->free;
	int r;

	if (t) {
		as->free = t->next_free;
		t->next_free = NULL;
	} else {
		r = as_spawn(as, &t);
		if (r)
			return r;
	}
	t->owner = id;
	*out = t;
	return 0;
}

/* Caller holds as->mu. */
static void as_thread_put(struct systrap_as *as, struct systrap_thread *t)
{
	t->owner = 0;
	t->next_free = as->free;
	as->free = t;
}

/* Drop bindings to address spaces that are gone, so the list stays short. */
static void ctx_prune(struct systrap_ctx *c)
{
	size_t n = 0;

	pthread_mutex_lock(&reg_mu);
	for (size_t i = 0; i < c->nbound; i++)
		if (reg_find(c->bound[i].as_id))
			c->bound[n++] = c->bound[i];
	pthread_mutex_unlock(&reg_mu);
	c->nbound = n;
}

int systrap_ctx_bind(struct systrap_ctx *c, struct systrap_as *as, struct systrap_thread **out)
{
	struct systrap_thread *t = NULL;
	size_t i;
	int r = 0;

	for (i = 0; i < c->nbound; i++)
		if (c->bound[i].as_id == as->id)
			break;
	if (i == c->nbound) {
		/* A new (context, address space) pair: make room for its binding first. */
		ctx_prune(c);
		i = c->nbound;
		if (c->nbound == c->capbound) {
			size_t cap = c->capbound ? 2 * c->capbound : 4;
			struct systrap_binding *nb = realloc(c->bound, cap * sizeof(*nb));

			if (!nb)
				return -ENOMEM;
			c->bound = nb;
			c->capbound = cap;
		}
		pthread_mutex_lock(&as->mu);
		r = as_thread_take(as, c->id, &t);
		pthread_mutex_unlock(&as->mu);
		if (r)
			return r;
		c->bound[i] = (struct systrap_binding){ .as_id = as->id, .slot = t->slot };
		c->nbound++;
	} else {
		t = &as->threads[c->bound[i].slot];
	}
	c->cur_as = as;
	c->cur_as_id = as->id;
	c->cur_t = t;
	*out = t;
	return 0;
}

void systrap_ctx_unbind_all(struct systrap_ctx *c)
{
	pthread_mutex_lock(&reg_mu);
	for (size_t i = 0; i < c->nbound; i++) {
		struct systrap_as *as = reg_find(c->bound[i].as_id);
		struct systrap_thread *t;

		if (!as)
			continue;
		pthread_mutex_lock(&as->mu);
		t = &as->threads[c->bound[i].slot];
		if (t->owner == c->id)
			as_thread_put(as, t);
		pthread_mutex_unlock(&as->mu);
	}
	pthread_mutex_unlock(&reg_mu);
	c->nbound = 0;
	c->cur_as = NULL;
	c->cur_t = NULL;
}
