// SPDX-License-Identifier: Apache-2.0
/*
 * ptrace address spaces: one stub process each, forked and controlled by the service
 * thread, plus one stub thread per context that runs on it (traced by the context's host
 * thread, created on demand, parked in an idle pool by ctx_release). Mapping changes are
 * mmap/munmap calls injected into a stopped stub thread.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "ptrace_impl.h"

/*
 * glibc registers an rseq area per thread; the stub inherits the forking thread's
 * registration and must drop it before unmapping that memory (see stub.S).
 */
extern const ptrdiff_t __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

static void rseq_area(uint64_t *addr, uint64_t *len)
{
	*addr = 0;
	*len = 0;
	if (&__rseq_size && &__rseq_offset && __rseq_size) {
		*addr = (uint64_t)__builtin_thread_pointer() + (uint64_t)__rseq_offset;
		*len = __rseq_size;
	}
}

/*
 * ptrace_wait_stop - wait for the next stop of stub thread @t. Returns 0 with the waitpid
 * status in @status, or -ESRCH when the thread exited (it is reaped and marked dead).
 */
int ptrace_wait_stop(struct ptrace_thread *t, int *status)
{
	pid_t r;

	do
		r = waitpid(t->tid, status, __WALL);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		log_warn("ptrace: waitpid(%d): %s", t->tid, strerror(errno));
		t->dead = 1;
		return -ESRCH;
	}
	if (WIFSTOPPED(*status))
		return 0;
	log_debug("ptrace: stub %d gone (status %#x)", t->tid, *status);
	t->dead = 1;
	return -ESRCH;
}

/**
 * ptrace_bind_cpu - pin the stopped stub to the CPU the tracer runs on.
 * Every stop and resume hands the CPU between tracer and stub; on one CPU that is a
 * plain context switch instead of a cross-CPU wake-up (gVisor's ptrace does the same).
 * Only a hint: failures are ignored, and the binding follows the tracer when it moves.
 */
void ptrace_bind_cpu(struct ptrace_thread *t)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0 || cpu == t->cpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (!sched_setaffinity(t->tid, sizeof(set), &set))
		t->cpu = cpu;
}

/* ptrace() for a stopped stub: 0, or -errno (ESRCH: not stopped or gone). */
static int pt(int req, pid_t pid, void *addr, void *data)
{
	if (ptrace((enum __ptrace_request)req, pid, addr, data) < 0)
		return -errno;
	return 0;
}

/**
 * ptrace_inject - run one syscall in stopped stub thread @t (traced by the caller):
 * registers point at @entry (`syscall; int3` in the stub), PTRACE_CONT, wait for the
 * int3's SIGTRAP, which must leave rip at @ret_at. Other signal and event stops on the way
 * (a late interrupt signal) are suppressed. Returns the syscall's raw result in @ret, or
 * -errno.
 */
int ptrace_inject(struct ptrace_thread *t, uint64_t entry, uint64_t ret_at, uint64_t nr,
		  const uint64_t a[6], uint64_t *ret)
{
	struct user_regs_struct regs = t->tmpl;
	int st, r;

	regs.rip = entry;
	regs.rax = nr;
	regs.orig_rax = (uint64_t)-1;
	regs.rdi = a[0];
	regs.rsi = a[1];
	regs.rdx = a[2];
	regs.r10 = a[3];
	regs.r8 = a[4];
	regs.r9 = a[5];
	regs.rsp = 0;
	regs.fs_base = 0;
	regs.gs_base = 0;
	r = pt(PTRACE_SETREGS, t->tid, NULL, &regs);
	if (r)
		return r;
	ptrace_bind_cpu(t);
	for (;;) {
		r = pt(PTRACE_CONT, t->tid, NULL, NULL);
		if (r)
			return r;
		r = ptrace_wait_stop(t, &st);
		if (r)
			return r;
		if (WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0)
			break;
	}
	r = pt(PTRACE_GETREGS, t->tid, NULL, &regs);
	if (r)
		return r;
	if (regs.rip != ret_at) {
		log_warn("ptrace: stub %d stopped at %#llx after an injected syscall", t->tid,
			 (unsigned long long)regs.rip);
		return -EIO;
	}
	*ret = regs.rax;
	return 0;
}

pid_t ptrace_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void as_unref(struct ptrace_as *as)
{
	struct ptrace_thread *t, *next;
	int refs;

	pthread_mutex_lock(&as->mu);
	refs = --as->refs;
	pthread_mutex_unlock(&as->mu);
	if (refs)
		return;
	for (t = as->threads; t; t = next) {
		next = t->as_next;
		free(t);
	}
	pthread_mutex_destroy(&as->mu);
	free(as);
}

/* Take stub thread @t (parked or just cloned, untraced): seize it and stop it. */
static int thread_seize(struct ptrace_thread *t)
{
	int st, r;

	/*
	 * EXITKILL as a fail-safe: a host thread that exits still tracing a stub thread
	 * (without ctx_release) kills the stub rather than leaving guest code running
	 * untraced. ctx_release parks (detaches) the threads first, so siblings survive.
	 */
	r = pt(PTRACE_SEIZE, t->tid, NULL,
	       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
	if (r)
		return r;
	t->tracer = ptrace_gettid();
	t->cpu = -1;
	r = pt(PTRACE_INTERRUPT, t->tid, NULL, NULL);
	if (r)
		return r;
	return ptrace_wait_stop(t, &st);
}

/* A parked thread of @as for @c, or a new one cloned through the control thread. */
static int thread_acquire(struct ptrace_ctx *c, struct ptrace_as *as, struct ptrace_thread **out)
{
	const uint64_t flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			       CLONE_THREAD | CLONE_SYSVSEM;
	const uint64_t a[6] = { flags };
	struct ptrace_thread *t;
	uint64_t raw = 0;
	int r;

	pthread_mutex_lock(&as->mu);
	if (as->released) {
		pthread_mutex_unlock(&as->mu);
		return -ESRCH;
	}
	for (t = as->threads; t; t = t->as_next)
		if (!t->owner && !t->dead)
			break;
	if (t)
		t->owner = c;
	as->refs++;
	pthread_mutex_unlock(&as->mu);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t) {
			r = -ENOMEM;
			goto fail;
		}
		r = ptrace_service_inject(as, ptrace_stub_addr(ptrace_stub_clone),
					  ptrace_stub_addr(ptrace_stub_clone_ret), __NR_clone, a,
					  &raw);
		if (!r && raw >= (uint64_t)-4095)
			r = (int)(int64_t)raw;
		if (r) {
			free(t);
			goto fail;
		}
		t->tid = (pid_t)raw;
		t->as = as;
		t->tmpl = as->ctl.tmpl;
		t->owner = c;
		pthread_mutex_lock(&as->mu);
		t->as_next = as->threads;
		as->threads = t;
		pthread_mutex_unlock(&as->mu);
	}
	r = thread_seize(t);
	if (r) {
		log_warn("ptrace: cannot seize stub thread %d: %s", t->tid, strerror(-r));
		pthread_mutex_lock(&as->mu);
		t->dead = 1;
		t->owner = NULL;
		t->tracer = 0;
		pthread_mutex_unlock(&as->mu);
		goto fail;
	}
	*out = t;
	return 0;
fail:
	as_unref(as);
	return r;
}

/**
 * ptrace_as_thread - the stub thread of @as that context @c (on its own thread) runs on;
 * created (or taken from the idle pool) and seized by the caller on first use.
 * Returns 0, or -ESRCH when the stub has died or was released.
 */
int ptrace_as_thread(struct ptrace_ctx *c, struct ptrace_as *as, struct ptrace_thread **out)
{
	struct ptrace_thread *t, **pp = &c->threads;
	int r;

	while ((t = *pp) && t->as != as) {
		if (__atomic_load_n(&t->as->released, __ATOMIC_RELAXED)) {
			/* Drop bindings to released address spaces (exec'd away). */
			*pp = t->ctx_next;
			ptrace_thread_park(t);
			continue;
		}
		pp = &t->ctx_next;
	}
	if (!t) {
		r = thread_acquire(c, as, &t);
		if (r)
			return r;
		t->ctx_next = c->threads;
		c->threads = t;
	}
	if (t->dead)
		return -ESRCH;
	*out = t;
	return 0;
}

/**
 * ptrace_thread_park - give up stub thread @t (called by its tracer): point it at the
 * pause loop, detach it and put it in its address space's idle pool, then drop the
 * binding's reference. A dead or released stub is just dropped (as_release reaps).
 */
void ptrace_thread_park(struct ptrace_thread *t)
{
	struct ptrace_as *as = t->as;
	struct user_regs_struct regs = t->tmpl;

	if (t->owner && t->owner->fpu_thr == t)
		t->owner->fpu_thr = NULL; /* (the owner is the caller) */
	pthread_mutex_lock(&as->mu);
	if (!as->released && !t->dead) {
		regs.rip = ptrace_stub_addr(ptrace_stub_park);
		regs.rax = 0;
		regs.orig_rax = (uint64_t)-1;
		regs.rsp = 0;
		regs.fs_base = 0;
		regs.gs_base = 0;
		if (pt(PTRACE_SETREGS, t->tid, NULL, &regs) ||
		    pt(PTRACE_DETACH, t->tid, NULL, NULL)) {
			/*
			 * Not stopped for us (a dying stub, or the wrong thread): leave it
			 * out of the pool but counted as traced, so as_release reaps it.
			 */
			log_warn("ptrace: cannot park stub thread %d: %s", t->tid,
				 strerror(errno));
			goto out;
		}
	}
	t->owner = NULL;
	t->tracer = 0;
	t->fpu_ctx = NULL;
	t->cpu = -1;
out:
	t->ctx_next = NULL;
	pthread_mutex_unlock(&as->mu);
	as_unref(as);
}

/* The calling thread's own stopped stub thread in @as, if one of its contexts has one. */
static struct ptrace_thread *own_thread(struct ptrace_as *as)
{
	for (struct ptrace_ctx *c = ptrace_ctx_tls_list(); c; c = c->tls_next)
		for (struct ptrace_thread *t = c->threads; t; t = t->ctx_next)
			if (t->as == as && !__atomic_load_n(&t->busy, __ATOMIC_ACQUIRE))
				return t;
	return NULL;
}

/*
 * Run mapping syscall @nr in @as: in the caller's own stub thread when it has one (no
 * hand-off), else in the control thread through the service thread.
 */
static int as_syscall(struct ptrace_as *as, uint64_t nr, const uint64_t a[6], uint64_t *raw)
{
	struct ptrace_thread *t = own_thread(as);
	uint64_t entry = ptrace_stub_addr(ptrace_stub_syscall);

	if (t) {
		if (t->dead)
			return -ESRCH;
		return ptrace_inject(t, entry, entry + 3, nr, a, raw);
	}
	return ptrace_service_inject(as, entry, entry + 3, nr, a, raw);
}

static int check_range(struct ptrace_as *as, uint64_t va, uint64_t len)
{
	uint64_t max = as->base.p->max_user_addr;

	if ((va | len) & (PAGE_SIZE - 1) || !len)
		return -EINVAL;
	if (va >= max || len > max - va)
		return -EINVAL;
	return 0;
}

static int syscall_result(uint64_t raw, int r)
{
	if (r)
		return r;
	if (raw >= (uint64_t)-4095)
		return (int)(int64_t)raw;
	return 0;
}

int ptrace_as_map(struct addrspace *base, uint64_t va, uint64_t len, int prot, uint64_t off)
{
	struct ptrace_as *as = to_ptrace_as(base);
	uint64_t a[6] = { va, len, (uint64_t)prot, MAP_SHARED | MAP_FIXED,
			  (uint64_t)base->p->memfd, off };
	uint64_t raw = 0;
	int r;

	if (off & (PAGE_SIZE - 1) || prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	r = check_range(as, va, len);
	if (r)
		return r;
	r = syscall_result(raw, as_syscall(as, __NR_mmap, a, &raw));
	if (!r && raw != va)
		r = -EIO;
	return r;
}

int ptrace_as_unmap(struct addrspace *base, uint64_t va, uint64_t len)
{
	struct ptrace_as *as = to_ptrace_as(base);
	uint64_t a[6] = { va, len };
	uint64_t raw = 0;
	int r;

	r = check_range(as, va, len);
	if (r)
		return r;
	return syscall_result(raw, as_syscall(as, __NR_munmap, a, &raw));
}

/*
 * Reap stub thread @tid after SIGKILL. Works from any thread of the Sentry (a thread group
 * may wait for its threads' children and tracees). A stop report nobody collected yet
 * may come first: keep waiting for the exit. ECHILD: not ours to reap (untraced threads
 * are reaped by the kernel).
 */
static void reap(pid_t tid)
{
	pid_t r;
	int st;

	for (;;) {
		r = waitpid(tid, &st, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || WIFEXITED(st) || WIFSIGNALED(st))
			break;
	}
}

/*
 * Kill the whole stub and reap it: first the traced non-leader threads (the leader only
 * becomes reapable once they are gone), then the control thread.
 */
static void stub_kill(struct ptrace_as *as)
{
	pid_t *tids = NULL;
	size_t n = 0, cap = 0;

	pthread_mutex_lock(&as->mu);
	as->released = 1;
	for (struct ptrace_thread *t = as->threads; t; t = t->as_next) {
		if (t->owner && !t->dead) {
			if (n == cap) {
				size_t ncap = cap ? 2 * cap : 16;
				pid_t *nt = realloc(tids, ncap * sizeof(*nt));

				if (nt) {
					tids = nt;
					cap = ncap;
				}
			}
			if (n < cap)
				tids[n++] = t->tid;
		}
		t->dead = 1;
	}
	pthread_mutex_unlock(&as->mu);
	if (as->ctl.dead) {
		free(tids);
		return;
	}
	kill(as->pid, SIGKILL);
	for (size_t i = 0; i < n; i++)
		reap(tids[i]);
	free(tids);
	reap(as->pid);
	as->ctl.dead = 1;
}

/*
 * Seize the new stub @as->pid (stopping itself in ptrace_stub_entry's loop) from the
 * service thread, wait for the stop and record the register template. The initial
 * SIGSTOP leaves the stub's thread group in the job-control "stopped" state, which every
 * later CLONE_THREAD child would join: a SIGCONT clears it, and an injected getpid
 * swallows the resulting stops.
 */
static int stub_seize_new(struct ptrace_as *as)
{
	struct ptrace_thread *t = &as->ctl;
	uint64_t entry = ptrace_stub_addr(ptrace_stub_syscall);
	uint64_t raw = 0, a[6] = { 0 };
	int st, r;

	t->tracer = ptrace_gettid();
	t->cpu = -1;
	t->as = as;
	t->tid = as->pid;
	r = pt(PTRACE_SEIZE, t->tid, NULL,
	       (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
	if (!r)
		r = ptrace_wait_stop(t, &st);
	if (!r)
		r = pt(PTRACE_GETREGS, t->tid, NULL, &t->tmpl);
	if (!r) {
		t->tmpl.ds = t->tmpl.es = t->tmpl.fs = t->tmpl.gs = 0;
		kill(as->pid, SIGCONT);
		r = ptrace_inject(t, entry, entry + 3, __NR_getpid, a, &raw);
	}
	if (!r && raw != (uint64_t)as->pid)
		r = -EIO;
	return r;
}

/* Fork a stub from the Sentry itself (it cleans itself up: see stub.S). */
static int stub_fork_sentry(int memfd, struct ptrace_as *as)
{
	uint64_t rseq, rseq_len;
	long pid;

	rseq_area(&rseq, &rseq_len);
	pid = ptrace_clone_stub(memfd, ptrace_stub_addr(ptrace_stub_entry), rseq, rseq_len);
	if (pid < 0)
		return (int)pid;
	as->pid = (pid_t)pid;
	return 0;
}

/* A started stub that failed later: kill and reap it. */
static int stub_abort(struct ptrace_as *as, int r)
{
	log_warn("ptrace: stub %d failed to start: %s", as->pid, strerror(-r));
	stub_kill(as);
	return r == -ESRCH ? -ECHILD : r;
}

/*
 * struct ptrace_zygote - a pristine stub per memory file, forked from the Sentry once;
 * every other stub is forked from it, so as_new no longer copies the Sentry's page tables
 * and no stub ever held a copy of the Sentry's memory. Its SIGCHLD is SIG_IGN so the
 * kernel reaps its children once their tracer (the service thread) has. Zygotes are
 * found by the memory file's inode (the zygote keeps it open, so the key cannot be
 * reused) and live as long as the process: their stubs die with them (PDEATHSIG).
 * Service thread only.
 */
struct ptrace_zygote {
	struct ptrace_as as;
	pid_t owner; /* the Sentry process whose service thread traces it */
	dev_t dev;
	ino_t ino;
	struct ptrace_zygote *next;
};

static struct ptrace_zygote *zygotes;

static struct ptrace_zygote *zygote_get(struct platform *p)
{
	uint64_t raw = 0, a[6] = { SIGCHLD, ptrace_stub_addr(ptrace_stub_sigign), 0, 8 };
	uint64_t entry = ptrace_stub_addr(ptrace_stub_syscall);
	struct ptrace_zygote *z, **pp;
	struct stat sb;
	int r;

	if (fstat(p->memfd, &sb) < 0)
		return NULL;
	for (pp = &zygotes; (z = *pp); pp = &z->next) {
		if (z->owner != getpid()) { /* we were forked: another process's, not ours */
			*pp = z->next;
			pthread_mutex_destroy(&z->as.mu);
			free(z);
			z = NULL;
			break;
		}
		if (z->dev == sb.st_dev && z->ino == sb.st_ino)
			break;
	}
	if (z && !z->as.ctl.dead)
		return z;
	if (z) { /* died: replace it */
		stub_kill(&z->as);
		*pp = z->next;
		pthread_mutex_destroy(&z->as.mu);
		free(z);
	}
	z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	pthread_mutex_init(&z->as.mu, NULL);
	z->owner = getpid();
	z->dev = sb.st_dev;
	z->ino = sb.st_ino;
	r = stub_fork_sentry(p->memfd, &z->as);
	if (r)
		goto fail;
	r = stub_seize_new(&z->as);
	if (!r)
		r = ptrace_inject(&z->as.ctl, entry, entry + 3, __NR_rt_sigaction, a, &raw);
	if (!r && raw)
		r = (int)(int64_t)raw;
	if (r) {
		stub_abort(&z->as, r);
		goto fail;
	}
	z->next = zygotes;
	zygotes = z;
	return z;
fail:
	log_warn("ptrace: no zygote stub (%s): forking stubs from the Sentry", strerror(-r));
	pthread_mutex_destroy(&z->as.mu);
	free(z);
	return NULL;
}

/* Fork a stub from @p's zygote: 0, or -errno (then the caller forks from the Sentry). */
static int stub_fork_zygote(struct platform *p, struct ptrace_as *as)
{
	const uint64_t a[6] = { SIGCHLD };
	struct ptrace_zygote *z;
	uint64_t raw = 0;
	int r = -ENOENT;

	/* A zygote killed behind our back fails with -ESRCH: replace it once. */
	for (int tries = 0; tries < 2; tries++) {
		z = zygote_get(p);
		if (!z)
			return -ENOENT;
		r = ptrace_inject(&z->as.ctl, ptrace_stub_addr(ptrace_stub_fork),
				  ptrace_stub_addr(ptrace_stub_fork_ret), __NR_clone, a, &raw);
		if (!r && raw >= (uint64_t)-4095)
			r = (int)(int64_t)raw;
		if (!r) {
			as->pid = (pid_t)raw;
			return 0;
		}
		if (r != -ESRCH)
			return r;
		stub_kill(&z->as); /* marks it dead: zygote_get replaces it */
	}
	return r;
}

/* Set by tests to compare: fork every stub from the Sentry (no zygote). */
int ptrace_no_zygote;

/**
 * ptrace_stub_create - in the service thread: create the stub of @as on platform @p
 * (forked from @p's zygote, else from the Sentry), seize it and wait until it has stopped.
 * Fills @as->pid and @as->ctl.
 */
int ptrace_stub_create(struct platform *p, struct ptrace_as *as)
{
	int r = -ENOENT;

	if (!ptrace_no_zygote)
		r = stub_fork_zygote(p, as);
	if (r)
		r = stub_fork_sentry(p->memfd, as);
	if (r)
		return r;
	r = stub_seize_new(as);
	if (r)
		return stub_abort(as, r);
	return 0;
}

int ptrace_as_new(struct platform *p, struct addrspace **out)
{
	struct ptrace_as *as = calloc(1, sizeof(*as));
	int r;

	if (!as)
		return -ENOMEM;
	as->base.ops = p->ops;
	as->base.p = p;
	as->refs = 1;
	pthread_mutex_init(&as->mu, NULL);
	r = ptrace_service_new(as, p);
	if (r) {
		pthread_mutex_destroy(&as->mu);
		free(as);
		return r;
	}
	*out = &as->base;
	return 0;
}

/* The stub process's CPU clock: Linux's MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED). */
int ptrace_as_cpu_clock(struct addrspace *base, int *out)
{
	pid_t pid = to_ptrace_as(base)->pid;

	if (pid <= 0)
		return -ENOSYS;
	*out = (int)((~(unsigned int)pid) << 3) | 2;
	return 0;
}

void ptrace_as_release(struct addrspace *base)
{
	struct ptrace_as *as = to_ptrace_as(base);

	stub_kill(as);
	as_unref(as);
}
