// SPDX-License-Identifier: Apache-2.0
/*
 * What /proc and /sys show of the kernel (the "/proc support" section of kernel.h): copies
 * of process and thread state taken under kernel->mu, so fs/proc never walks kernel lists
 * itself, plus references to a task's mm, fd table and fs context that keep them alive while
 * /proc reads them (exec, exit and unshare swap those pointers under kernel->mu too).
 */
#include <cpuid.h>
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs/vfs.h"
#include "sentry/host/host.h"
#include "sentry/kernel/exec.h"
#include "sentry/kernel/kernel.h"

static __thread struct task *current_task;

void kernel_set_current(struct task *t)
{
	current_task = t;
}

struct task *kernel_current(void)
{
	return current_task;
}

uint64_t kernel_now_ns(void)
{
	struct timespec ts;

	host_clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Preconditions: k->mu held. Unreaped process @tgid (zombies too), or NULL. */
static struct thread_group *group_find(struct kernel *k, pid_t tgid)
{
	for (struct thread_group *g = k->groups; g; g = g->next)
		if (g->tgid == tgid)
			return g;
	return NULL;
}

/* Preconditions: k->mu held. */
static struct task *thread_find(struct thread_group *g, pid_t tid)
{
	for (struct task *u = g->tasks; u; u = u->tg_next)
		if (u->tid == tid && !u->exiting)
			return u;
	return NULL;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

bool procinfo_exists(struct kernel *k, pid_t tgid, pid_t tid)
{
	bool r;

	pthread_mutex_lock(&k->mu);
	struct thread_group *g = group_find(k, tgid);
	r = g && (!tid || thread_find(g, tid));
	pthread_mutex_unlock(&k->mu);
	return r;
}

int procinfo_pids(struct kernel *k, pid_t *out, int max)
{
	int n = 0;

	pthread_mutex_lock(&k->mu);
	for (struct thread_group *g = k->groups; g; g = g->next, n++)
		if (n < max)
			out[n] = g->tgid;
	pthread_mutex_unlock(&k->mu);
	qsort(out, (size_t)(n < max ? n : max), sizeof(*out), cmp_pid);
	return n;
}

int procinfo_tids(struct kernel *k, pid_t tgid, pid_t *out, int max)
{
	int n = 0;

	pthread_mutex_lock(&k->mu);
	struct thread_group *g = group_find(k, tgid);
	for (struct task *u = g ? g->tasks : NULL; u; u = u->tg_next) {
		if (u->exiting)
			continue;
		if (n < max)
			out[n] = u->tid;
		n++;
	}
	pthread_mutex_unlock(&k->mu);
	qsort(out, (size_t)(n < max ? n : max), sizeof(*out), cmp_pid);
	return n;
}

int procinfo_get(struct kernel *k, pid_t tgid, pid_t tid, unsigned int want,
		 struct procinfo *out)
{
	struct thread_group *g;
	struct task *t;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&k->mu);
	g = group_find(k, tgid);
	if (!g) {
		pthread_mutex_unlock(&k->mu);
		return -ENOENT;
	}
	t = tid ? thread_find(g, tid) : g->leader;
	if (!t) {
		pthread_mutex_unlock(&k->mu);
		return -ENOENT;
	}
	out->tgid = g->tgid;
	out->tid = tid ? tid : g->tgid;
	out->ppid = g->ppid;
	out->pgid = g->pgid;
	out->sid = g->sid;
	memcpy(out->comm, t->comm, sizeof(out->comm));
	out->comm[sizeof(out->comm) - 1] = 0;
	if (g->zombie)
		out->state = 'Z';
	else if (g->stopped)
		out->state = 'T';
	else if (t == current_task || (!tid && current_task && current_task->tg == g))
		out->state = 'R';
	else
		out->state = 'S';
	out->creds = t->creds;
	out->umask = t->umask;
	for (struct task *u = g->tasks; u; u = u->tg_next)
		out->nthreads += !u->exiting;
	out->sig_pending = t->pending;
	out->sig_blocked = t->sigmask;
	out->nice = t->nice;
	out->policy = t->sched_policy;
	out->rt_priority = t->sched_priority;
	out->exit_signal = g->exit_signal;
	out->start_ns = g->start_ns;
	if (tid)
		task_cputime(t, &out->utime_ns, &out->stime_ns);
	else
		tg_cputime(g, &out->utime_ns, &out->stime_ns);
	tg_child_cputime(g, &out->cutime_ns, &out->cstime_ns);
	out->exe = g->exe_path ? strdup(g->exe_path) : NULL;
	if ((want & PROCINFO_MM) && t->mm) {
		mm_get(t->mm);
		out->mm = t->mm;
	}
	if ((want & PROCINFO_FDT) && t->fdt) {
		fdtable_get(t->fdt);
		out->fdt = t->fdt;
	}
	if ((want & PROCINFO_FS) && t->fs) {
		fs_context_get(t->fs);
		out->fs = t->fs;
	}
	pthread_mutex_lock(&g->mu);
	out->sig_shared = g->shared_pending;
	for (int sig = 1; sig <= KSIG_MAX; sig++) {
		uint64_t h = g->actions[sig].handler;
		if (h == (uint64_t)(uintptr_t)SIG_IGN)
			out->sig_ignored |= 1ULL << (sig - 1);
		else if (h != (uint64_t)(uintptr_t)SIG_DFL)
			out->sig_caught |= 1ULL << (sig - 1);
	}
	memcpy(out->rlimits, g->rlimits, sizeof(out->rlimits));
	out->dumpable = g->dumpable;
	out->oom_score_adj = g->oom_score_adj;
	if (!tid) {
		out->rchar = g->dead_rchar;
		out->wchar = g->dead_wchar;
		out->syscr = g->dead_syscr;
		out->syscw = g->dead_syscw;
	}
	for (struct task *u = tid ? t : g->tasks; u; u = tid ? NULL : u->tg_next) {
		out->rchar += atomic_load_explicit(&u->io.rchar, memory_order_relaxed);
		out->wchar += atomic_load_explicit(&u->io.wchar, memory_order_relaxed);
		out->syscr += atomic_load_explicit(&u->io.syscr, memory_order_relaxed);
		out->syscw += atomic_load_explicit(&u->io.syscw, memory_order_relaxed);
	}
	pthread_mutex_unlock(&g->mu);
	pthread_mutex_unlock(&k->mu);
	return 0;
}

void procinfo_put(struct procinfo *pi)
{
	free(pi->exe);
	pi->exe = NULL;
	if (pi->mm)
		mm_put(pi->mm);
	if (pi->fdt)
		fdtable_put(pi->fdt);
	if (pi->fs)
		fs_context_put(pi->fs);
	pi->mm = NULL;
	pi->fdt = NULL;
	pi->fs = NULL;
}

int procinfo_set_comm(struct kernel *k, pid_t tgid, pid_t tid, const char *name, size_t len)
{
	struct task *cur = current_task;
	int r = -ENOENT;

	pthread_mutex_lock(&k->mu);
	struct thread_group *g = group_find(k, tgid);
	struct task *t = g ? (tid ? thread_find(g, tid) : g->leader) : NULL;
	if (t && (!cur || cur->tg != g)) {
		r = -EINVAL; /* Linux: only a thread of the same process may rename it */
	} else if (t) {
		if (len > sizeof(t->comm) - 1)
			len = sizeof(t->comm) - 1;
		memset(t->comm, 0, sizeof(t->comm));
		memcpy(t->comm, name, len);
		r = 0;
	}
	pthread_mutex_unlock(&k->mu);
	return r;
}

void task_io_account(struct task *t, bool write, long r)
{
	/* Linux's add_rchar/inc_syscr: only the task adds to its own counters. */
	if (write) {
		if (r > 0)
			atomic_fetch_add_explicit(&t->io.wchar, (uint64_t)r, memory_order_relaxed);
		atomic_fetch_add_explicit(&t->io.syscw, 1, memory_order_relaxed);
	} else {
		if (r > 0)
			atomic_fetch_add_explicit(&t->io.rchar, (uint64_t)r, memory_order_relaxed);
		atomic_fetch_add_explicit(&t->io.syscr, 1, memory_order_relaxed);
	}
}

int procinfo_set_oom_score_adj(struct kernel *k, pid_t tgid, int adj, bool legacy)
{
	struct task *cur = current_task;
	bool privileged = cur && task_capable(cur, CAP_SYS_RESOURCE);
	int r = -ESRCH;

	if (adj < -1000 || adj > 1000)
		return -EINVAL;
	pthread_mutex_lock(&k->mu);
	struct thread_group *g = group_find(k, tgid);
	if (g && !g->zombie) {
		if (adj < (legacy ? g->oom_score_adj : g->oom_score_adj_min) && !privileged) {
			r = -EACCES;
		} else {
			g->oom_score_adj = adj;
			if (privileged && !legacy)
				g->oom_score_adj_min = adj;
			r = 0;
		}
	}
	pthread_mutex_unlock(&k->mu);
	return r;
}

/* Does @id match every one of @a, @b, @c? */
static bool ids_match(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
	return id == a && id == b && id == c;
}

int procinfo_may_access(struct kernel *k, pid_t tgid)
{
	struct task *cur = current_task;
	int r = 0;

	if (!cur)
		return 0; /* the Sentry itself (unit tests) */
	pthread_mutex_lock(&k->mu);
	struct thread_group *g = group_find(k, tgid);
	struct task *t = g ? g->leader : NULL;
	if (!t) {
		r = -ENOENT;
	} else if (g != cur->tg) {
		const struct creds *c = &cur->creds, *tc = &t->creds;
		bool ptrace_cap = task_capable(cur, CAP_SYS_PTRACE);
		if (!ptrace_cap && (!ids_match(c->fsuid, tc->ruid, tc->euid, tc->suid) ||
				    !ids_match(c->fsgid, tc->rgid, tc->egid, tc->sgid)))
			r = -EACCES;
		else if (!ptrace_cap && !g->dumpable)
			r = -EACCES;
	}
	pthread_mutex_unlock(&k->mu);
	return r;
}

void procinfo_set_exe(struct task *t, struct loader_file *lf, const char *fallback)
{
	char *exe = NULL;

	if (lf && lf->close && t->fs) {
		struct path root, cwd;
		fs_context_paths(t->fs, &root, &cwd);
		exe = exec_exe_path(lf, &root);
		path_put(&root);
		path_put(&cwd);
	}
	if (!exe && fallback) {
		/* Not in the guest's namespace: still absolute (glibc's $ORIGIN insists). */
		while (fallback[0] == '.' && fallback[1] == '/')
			fallback += 2;
		if (asprintf(&exe, "%s%s", fallback[0] == '/' ? "" : "/", fallback) < 0)
			exe = NULL;
	}
	pthread_mutex_lock(&t->k->mu);
	if (!t->comm[0] && fallback) {
		/* The init task was never exec'd: its comm is the program's name, as exec sets. */
		const char *base = strrchr(fallback, '/');
		strncpy(t->comm, base ? base + 1 : fallback, sizeof(t->comm) - 1);
	}
	free(t->tg->exe_path);
	t->tg->exe_path = exe;
	t->tg->start_ns = kernel_now_ns();
	pthread_mutex_unlock(&t->k->mu);
}

void procinfo_system(struct kernel *k, struct procinfo_sys *out)
{
	struct timespec real;
	uint64_t now = kernel_now_ns();
	uint64_t boot = (uint64_t)k->boot_mono.tv_sec * 1000000000ULL +
			(uint64_t)k->boot_mono.tv_nsec;

	memset(out, 0, sizeof(*out));
	out->ncpus = k->ncpus;
	out->uptime_ns = now - boot;
	host_clock_gettime(CLOCK_REALTIME, &real);
	out->boot_realtime_s = (uint64_t)real.tv_sec - out->uptime_ns / 1000000000ULL;
	out->mem_total = PROCINFO_MEM_TOTAL;
	out->mem_used = memfile_used_bytes(k->mf);
	if (out->mem_used > out->mem_total)
		out->mem_used = out->mem_total;
	pthread_mutex_lock(&k->mu);
	memcpy(out->hostname, k->hostname, sizeof(out->hostname));
	out->hostname[sizeof(out->hostname) - 1] = 0;
	out->last_pid = k->next_tid - 1;
	for (struct thread_group *g = k->groups; g; g = g->next) {
		uint64_t u, s;

		out->nprocs++;
		tg_cputime(g, &u, &s);
		out->utime_ns += u + g->child_utime;
		out->stime_ns += s + g->child_stime;
		for (struct task *t = g->tasks; t; t = t->tg_next) {
			if (t->exiting)
				continue;
			out->nthreads++;
			out->nrunning += t == current_task;
		}
	}
	pthread_mutex_unlock(&k->mu);
	if (!out->nrunning)
		out->nrunning = 1;
}

void procinfo_uuid(char out[37])
{
	uint8_t b[16] = { 0 };

	if (host_getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		uint64_t x = kernel_now_ns();
		memcpy(b, &x, sizeof(x));
	}
	b[6] = (b[6] & 0x0f) | 0x40; /* a version 4 UUID, as Linux's */
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static char boot_id[37];
static pthread_once_t boot_id_once = PTHREAD_ONCE_INIT;

static void boot_id_make(void)
{
	procinfo_uuid(boot_id);
}

const char *procinfo_boot_id(void)
{
	pthread_once(&boot_id_once, boot_id_make);
	return boot_id;
}

/* The cpuinfo "flags" CPUID reports, a common subset, in Linux's order and names. */
struct cpu_flag {
	unsigned int leaf, sub, reg, bit; /* reg: 0 eax 1 ebx 2 ecx 3 edx */
	const char *name;
};

static const struct cpu_flag cpu_flags[] = {
	{ 1, 0, 3, 0, "fpu" }, { 1, 0, 3, 1, "vme" }, { 1, 0, 3, 2, "de" },
	{ 1, 0, 3, 3, "pse" }, { 1, 0, 3, 4, "tsc" }, { 1, 0, 3, 5, "msr" },
	{ 1, 0, 3, 6, "pae" }, { 1, 0, 3, 7, "mce" }, { 1, 0, 3, 8, "cx8" },
	{ 1, 0, 3, 9, "apic" }, { 1, 0, 3, 11, "sep" }, { 1, 0, 3, 12, "mtrr" },
	{ 1, 0, 3, 13, "pge" }, { 1, 0, 3, 14, "mca" }, { 1, 0, 3, 15, "cmov" },
	{ 1, 0, 3, 16, "pat" }, { 1, 0, 3, 17, "pse36" }, { 1, 0, 3, 19, "clflush" },
	{ 1, 0, 3, 23, "mmx" }, { 1, 0, 3, 24, "fxsr" }, { 1, 0, 3, 25, "sse" },
	{ 1, 0, 3, 26, "sse2" }, { 1, 0, 3, 28, "ht" },
	{ 0x80000001, 0, 3, 11, "syscall" }, { 0x80000001, 0, 3, 20, "nx" },
	{ 0x80000001, 0, 3, 26, "pdpe1gb" }, { 0x80000001, 0, 3, 27, "rdtscp" },
	{ 0x80000001, 0, 3, 29, "lm" },
	{ 1, 0, 2, 0, "pni" }, { 1, 0, 2, 1, "pclmulqdq" }, { 1, 0, 2, 9, "ssse3" },
	{ 1, 0, 2, 12, "fma" }, { 1, 0, 2, 13, "cx16" }, { 1, 0, 2, 19, "sse4_1" },
	{ 1, 0, 2, 20, "sse4_2" }, { 1, 0, 2, 22, "movbe" }, { 1, 0, 2, 23, "popcnt" },
	{ 1, 0, 2, 25, "aes" }, { 1, 0, 2, 26, "xsave" }, { 1, 0, 2, 28, "avx" },
	{ 1, 0, 2, 29, "f16c" }, { 1, 0, 2, 30, "rdrand" }, { 1, 0, 2, 31, "hypervisor" },
	{ 0x80000001, 0, 2, 0, "lahf_lm" }, { 0x80000001, 0, 2, 5, "abm" },
	{ 7, 0, 1, 0, "fsgsbase" }, { 7, 0, 1, 3, "bmi1" }, { 7, 0, 1, 5, "avx2" },
	{ 7, 0, 1, 7, "smep" }, { 7, 0, 1, 8, "bmi2" }, { 7, 0, 1, 9, "erms" },
	{ 7, 0, 1, 16, "avx512f" }, { 7, 0, 1, 18, "rdseed" }, { 7, 0, 1, 19, "adx" },
	{ 7, 0, 1, 20, "smap" }, { 7, 0, 1, 23, "clflushopt" }, { 7, 0, 1, 29, "sha_ni" },
	{ 7, 0, 2, 4, "pku" },
};

void procinfo_cpu(struct procinfo_cpu *out)
{
	unsigned int a, b, c, d, max, maxext;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	max = __get_cpuid_max(0, (unsigned int *)&b);
	__cpuid(0, a, b, c, d);
	memcpy(out->vendor, &b, 4);
	memcpy(out->vendor + 4, &d, 4);
	memcpy(out->vendor + 8, &c, 4);
	__cpuid(1, a, b, c, d);
	out->stepping = a & 0xf;
	out->model = (a >> 4) & 0xf;
	out->family = (a >> 8) & 0xf;
	if (out->family == 0xf)
		out->family += (a >> 20) & 0xff;
	if (out->family >= 6)
		out->model += ((a >> 16) & 0xf) << 4;
	out->clflush = ((b >> 8) & 0xff) * 8;
	out->cache_align = out->clflush;
	maxext = __get_cpuid_max(0x80000000, NULL);
	if (maxext >= 0x80000004) {
		unsigned int v[12];
		for (unsigned int i = 0; i < 3; i++)
			__cpuid(0x80000002 + i, v[i * 4], v[i * 4 + 1], v[i * 4 + 2], v[i * 4 + 3]);
		memcpy(out->model_name, v, 48);
		/* Trim the brand string's padding. */
		char *p = out->model_name;
		while (*p == ' ')
			p++;
		memmove(out->model_name, p, strlen(p) + 1);
		for (size_t l = strlen(out->model_name); l && out->model_name[l - 1] == ' '; l--)
			out->model_name[l - 1] = 0;
	} else {
		strcpy(out->model_name, "unknown");
	}
	for (size_t i = 0; i < sizeof(cpu_flags) / sizeof(cpu_flags[0]); i++) {
		const struct cpu_flag *f = &cpu_flags[i];
		unsigned int r[4];

		if (f->leaf >= 0x80000000 ? f->leaf > maxext : f->leaf > max)
			continue;
		__cpuid_count(f->leaf, f->sub, r[0], r[1], r[2], r[3]);
		if (!(r[f->reg] >> f->bit & 1))
			continue;
		size_t l = strlen(f->name);
		if (n + l + 2 > sizeof(out->flags))
			break;
		if (n)
			out->flags[n++] = ' ';
		memcpy(out->flags + n, f->name, l + 1);
		n += l;
	}
}
