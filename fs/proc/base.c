// SPDX-License-Identifier: Apache-2.0
/*
 * /proc/PID and /proc/PID/task/TID (Linux's fs/proc/base.c, array.c, task_mmu.c): stat,
 * status, statm, cmdline, environ, comm, maps, smaps, smaps_rollup, mem, io, oom_score(_adj),
 * wchan, cgroup, limits, mounts, mountinfo, the exe, cwd and root links, fd/ and fdinfo/.
 * Formats follow proc(5) and Linux 6.1.
 */
#include "fs/proc/proc_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "sentry/kernel/kernel.h"

#define USER_HZ 100
#define NS_TO_TICKS(ns) ((unsigned long long)((ns) / (1000000000ULL / USER_HZ)))

static int info_get(struct proc_inode *pi, unsigned int want, struct procinfo *out)
{
	int r = procinfo_get(proc_kernel(pi), pi->tgid, pi->tid, want, out);

	return r < 0 ? -ESRCH : 0;
}

/* ---- snapshots of the VMAs ---- */

/* A copy of one VMA, taken under the mm's lock so residency can be asked for afterwards. */
struct vma_snap {
	struct vma_info v;
	char *name; /* malloc'd: the path, or [heap]/[stack]; NULL for plain anonymous memory */
};

struct vma_list {
	struct vma_snap *a;
	size_t n, cap;
	int err;
};

static void vma_collect(const struct vma_info *v, void *arg)
{
	struct vma_list *l = arg;

	if (l->err)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct vma_snap *a = realloc(l->a, cap * sizeof(*a));
		if (!a) {
			l->err = -ENOMEM;
			return;
		}
		l->a = a;
		l->cap = cap;
	}
	struct vma_snap *sn = &l->a[l->n];
	sn->v = *v;
	sn->v.name = sn->v.path = NULL;
	const char *nm = v->path ? v->path : v->name;
	if (!nm && (v->flags & MAP_ANONYMOUS) && (v->flags & MAP_TYPE) == MAP_SHARED)
		nm = "/dev/zero (deleted)"; /* Linux's shmem file behind shared anonymous memory */
	sn->name = nm ? strdup(nm) : NULL;
	if (nm && !sn->name) {
		l->err = -ENOMEM;
		return;
	}
	l->n++;
}

static void vma_list_free(struct vma_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->a[i].name);
	free(l->a);
}

static int vma_snapshot(struct mm *mm, struct vma_list *l)
{
	memset(l, 0, sizeof(*l));
	if (mm)
		mm_for_each_vma(mm, vma_collect, l);
	if (l->err)
		vma_list_free(l);
	return l->err;
}

/* ---- memory figures from the VMAs ---- */

struct vm_stats {
	uint64_t size, rss, data, stack, exec;
	uint64_t rss_file, rss_shmem; /* of rss: file pages, shared anonymous memory */
	gva_t start_code, end_code, start_stack;
};

static void vm_add(const struct vma_info *v, struct vm_stats *s)
{
	uint64_t len = v->end - v->start;

	s->size += len;
	if (v->name && strcmp(v->name, "[stack]") == 0) {
		s->stack += len;
		s->start_stack = v->end;
	} else if ((v->prot & PROT_EXEC)) {
		s->exec += len;
		if (!s->start_code)
			s->start_code = v->start;
		s->end_code = v->end;
	} else if ((v->prot & PROT_WRITE) && (v->flags & MAP_TYPE) == MAP_PRIVATE) {
		s->data += len;
	}
}

static void vm_stats(struct mm *mm, struct vm_stats *s)
{
	struct vma_list l;

	memset(s, 0, sizeof(*s));
	if (!mm)
		return;
	s->rss = mm_resident_bytes(mm);
	if (vma_snapshot(mm, &l) < 0)
		return;
	for (size_t i = 0; i < l.n; i++) {
		const struct vma_info *v = &l.a[i].v;
		bool anon = v->flags & MAP_ANONYMOUS;
		struct mm_rss r;

		vm_add(v, s);
		if (anon && (v->flags & MAP_TYPE) == MAP_PRIVATE)
			continue;
		mm_resident_range(mm, v->start, v->end, !anon, &r);
		*(anon ? &s->rss_shmem : &s->rss_file) += r.resident;
	}
	vma_list_free(&l);
	if (s->rss_file + s->rss_shmem > s->rss)
		s->rss = s->rss_file + s->rss_shmem; /* the mm changed between the two looks */
}

/* ---- stat, statm, status ---- */

static int show_stat(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo in;
	struct procinfo_sys sys;
	struct vm_stats vs;
	struct mm_args ar = { 0 };
	int r = info_get(pi, PROCINFO_MM, &in);

	if (r < 0)
		return r;
	procinfo_system(proc_kernel(pi), &sys);
	vm_stats(in.mm, &vs);
	if (in.mm)
		mm_get_args(in.mm, &ar);
	uint64_t boot = kernel_now_ns() - sys.uptime_ns;
	uint64_t start = in.start_ns > boot ? in.start_ns - boot : 0;
	sb_printf(sb, "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 %llu %llu %llu %llu %d %d %d 0 "
		  "%llu %llu %llu %llu %llu %llu %llu 0 0 %llu %llu %llu %llu 0 0 0 %d %u %d %d "
		  "0 0 0 0 0 0 %llu %llu %llu %llu 0\n",
		  in.tid, in.comm, in.state, in.ppid, in.pgid, in.sid,
		  NS_TO_TICKS(in.utime_ns), NS_TO_TICKS(in.stime_ns), NS_TO_TICKS(in.cutime_ns),
		  NS_TO_TICKS(in.cstime_ns), 20 + in.nice, in.nice, in.nthreads,
		  NS_TO_TICKS(start), (unsigned long long)vs.size,
		  (unsigned long long)(vs.rss / PAGE_SIZE),
		  (unsigned long long)in.rlimits[RLIMIT_RSS].rlim_cur,
		  (unsigned long long)vs.start_code, (unsigned long long)vs.end_code,
		  (unsigned long long)vs.start_stack,
		  (unsigned long long)(in.sig_pending | in.sig_shared),
		  (unsigned long long)in.sig_blocked, (unsigned long long)in.sig_ignored,
		  (unsigned long long)in.sig_caught, in.exit_signal, 0u, in.rt_priority,
		  in.policy, (unsigned long long)ar.arg_start, (unsigned long long)ar.arg_end,
		  (unsigned long long)ar.env_start, (unsigned long long)ar.env_end);
	procinfo_put(&in);
	return 0;
}

static int show_statm(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo in;
	struct vm_stats vs;
	int r = info_get(pi, PROCINFO_MM, &in);

	if (r < 0)
		return r;
	vm_stats(in.mm, &vs);
	sb_printf(sb, "%llu %llu %llu %llu 0 %llu 0\n", (unsigned long long)(vs.size / PAGE_SIZE),
		  (unsigned long long)(vs.rss / PAGE_SIZE),
		  (unsigned long long)((vs.rss_file + vs.rss_shmem) / PAGE_SIZE),
		  (unsigned long long)(vs.exec / PAGE_SIZE),
		  (unsigned long long)((vs.data + vs.stack) / PAGE_SIZE));
	procinfo_put(&in);
	return 0;
}

static const char *state_name(char c)
{
	switch (c) {
	case 'R':
		return "R (running)";
	case 'T':
		return "T (stopped)";
	case 'Z':
		return "Z (zombie)";
	default:
		return "S (sleeping)";
	}
}

static void cpu_mask(struct sbuf *sb, unsigned int n)
{
	/* 32-bit words, most significant first, comma separated (bitmap_print_to_pagebuf). */
	unsigned int words = (n + 31) / 32;

	for (unsigned int w = words; w-- > 0;) {
		unsigned int bits = n - w * 32 >= 32 ? 32 : n - w * 32;
		uint32_t m = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
		sb_printf(sb, w == words - 1 ? "%x" : ",%08x", m);
	}
}

static int show_status(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo in;
	struct vm_stats vs;
	int r = info_get(pi, PROCINFO_MM | PROCINFO_FDT, &in);
	unsigned int ncpus = 0;

	if (r < 0)
		return r;
	{
		struct procinfo_sys sys;
		procinfo_system(proc_kernel(pi), &sys);
		ncpus = sys.ncpus;
	}
	vm_stats(in.mm, &vs);
	sb_printf(sb, "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
		  "PPid:\t%d\nTracerPid:\t0\n", in.comm, in.umask, state_name(in.state), in.tgid,
		  in.tid, in.ppid);
	sb_printf(sb, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", in.creds.ruid,
		  in.creds.euid, in.creds.suid, in.creds.fsuid, in.creds.rgid, in.creds.egid,
		  in.creds.sgid, in.creds.fsgid);
	int fdsize = 64;
	if (in.fdt)
		for (int fd = fdtable_next_fd(in.fdt, 0); fd >= 0; fd = fdtable_next_fd(in.fdt, fd + 1))
			while (fd >= fdsize)
				fdsize *= 2;
	sb_printf(sb, "FDSize:\t%d\nGroups:\t", fdsize);
	for (int i = 0; i < in.creds.ngroups; i++)
		sb_printf(sb, "%u ", in.creds.groups[i]);
	sb_printf(sb, "\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", in.tgid, in.tid,
		  in.pgid, in.sid);
	if (in.mm) {
		unsigned long long kb = 1024;
		sb_printf(sb, "VmPeak:\t%8llu kB\nVmSize:\t%8llu kB\nVmLck:\t       0 kB\n"
			  "VmPin:\t       0 kB\nVmHWM:\t%8llu kB\nVmRSS:\t%8llu kB\n"
			  "RssAnon:\t%8llu kB\nRssFile:\t%8llu kB\nRssShmem:\t%8llu kB\n"
			  "VmData:\t%8llu kB\nVmStk:\t%8llu kB\nVmExe:\t%8llu kB\n"
			  "VmLib:\t       0 kB\nVmPTE:\t       0 kB\nVmSwap:\t       0 kB\n"
			  "HugetlbPages:\t       0 kB\n",
			  vs.size / kb, vs.size / kb, vs.rss / kb, vs.rss / kb,
			  (vs.rss - vs.rss_file - vs.rss_shmem) / kb, vs.rss_file / kb,
			  vs.rss_shmem / kb, vs.data / kb, vs.stack / kb, vs.exec / kb);
	}
	sb_printf(sb, "CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t%d\nSigQ:\t0/%llu\n",
		  in.nthreads, (unsigned long long)in.rlimits[RLIMIT_SIGPENDING].rlim_cur);
	sb_printf(sb, "SigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\nSigIgn:\t%016llx\n"
		  "SigCgt:\t%016llx\n", (unsigned long long)in.sig_pending,
		  (unsigned long long)in.sig_shared, (unsigned long long)in.sig_blocked,
		  (unsigned long long)in.sig_ignored, (unsigned long long)in.sig_caught);
	sb_printf(sb, "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\nCapBnd:\t%016llx\n"
		  "CapAmb:\t%016llx\nNoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n"
		  "Speculation_Store_Bypass:\tthread vulnerable\n"
		  "SpeculationIndirectBranch:\tconditional enabled\nCpus_allowed:\t",
		  (unsigned long long)in.creds.cap_inheritable,
		  (unsigned long long)in.creds.cap_permitted,
		  (unsigned long long)in.creds.cap_effective,
		  (unsigned long long)in.creds.cap_bounding,
		  (unsigned long long)in.creds.cap_ambient, in.creds.no_new_privs);
	cpu_mask(sb, ncpus);
	if (ncpus > 1)
		sb_printf(sb, "\nCpus_allowed_list:\t0-%u\n", ncpus - 1);
	else
		sb_printf(sb, "\nCpus_allowed_list:\t0\n");
	sb_printf(sb, "Mems_allowed:\t00000001\nMems_allowed_list:\t0\n"
		  "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
	procinfo_put(&in);
	return 0;
}

/* ---- cmdline, environ, comm ---- */

#define ARGS_MAX (128 * 1024)

static int show_range(struct proc_inode *pi, struct sbuf *sb, bool env, bool auxv)
{
	struct procinfo in;
	struct mm_args ar;
	int r = info_get(pi, PROCINFO_MM, &in);

	if (r < 0)
		return r;
	if (!in.mm) {
		procinfo_put(&in);
		return 0; /* a zombie: empty, as on Linux */
	}
	mm_get_args(in.mm, &ar);
	gva_t lo = env ? ar.env_start : ar.arg_start, hi = env ? ar.env_end : ar.arg_end;
	if (auxv) {
		lo = ar.auxv_start;
		hi = ar.auxv_end;
	}
	char buf[4096];
	while (lo < hi && sb->len < ARGS_MAX) {
		size_t n = MIN(sizeof(buf), hi - lo);
		ssize_t got = mm_copy_in(in.mm, lo, buf, n);
		if (got <= 0)
			break;
		sb_write(sb, buf, (size_t)got);
		lo += (gva_t)got;
	}
	procinfo_put(&in);
	return 0;
}

static int show_cmdline(struct proc_inode *pi, struct sbuf *sb)
{
	return show_range(pi, sb, false, false);
}

static int show_environ(struct proc_inode *pi, struct sbuf *sb)
{
	return show_range(pi, sb, true, false);
}

/* auxv: read back from the initial stack (the guest may have overwritten it; rarely). */
static int show_auxv(struct proc_inode *pi, struct sbuf *sb)
{
	return show_range(pi, sb, false, true);
}

static int show_comm(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo in;
	int r = info_get(pi, 0, &in);

	if (r < 0)
		return r;
	sb_printf(sb, "%s\n", in.comm);
	procinfo_put(&in);
	return 0;
}

static ssize_t write_comm(struct proc_inode *pi, const char *buf, size_t len)
{
	size_t n = len;

	while (n && (buf[n - 1] == '\n' || buf[n - 1] == 0))
		n--;
	int r = procinfo_set_comm(proc_kernel(pi), pi->tgid, pi->tid, buf, n);
	return r < 0 ? r : (ssize_t)len;
}

/* ---- maps, smaps, smaps_rollup ---- */

/* One maps line (Linux's show_map_vma): name padded to column 73 on 64-bit. */
static void map_line(struct sbuf *sb, const struct vma_snap *sn)
{
	const struct vma_info *v = &sn->v;
	bool file = !(v->flags & MAP_ANONYMOUS) || sn->v.ino;
	size_t start = sb->len;

	sb_printf(sb, "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ",
		  (unsigned long long)v->start, (unsigned long long)v->end,
		  v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
		  v->prot & PROT_EXEC ? 'x' : '-', (v->flags & MAP_TYPE) == MAP_SHARED ? 's' : 'p',
		  (unsigned long long)(file ? v->offset : 0), file ? major(v->dev) : 0,
		  file ? minor(v->dev) : 0, (unsigned long long)(file ? v->ino : 0));
	if (sn->name) {
		while (sb->len - start < 73 && !sb->err)
			sb_write(sb, " ", 1);
		sb_printf(sb, "%s", sn->name);
	}
	sb_write(sb, "\n", 1);
}

static int show_maps(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo in;
	struct vma_list l;
	int r = info_get(pi, PROCINFO_MM, &in);

	if (r < 0)
		return r;
	r = vma_snapshot(in.mm, &l);
	for (size_t i = 0; r == 0 && i < l.n; i++)
		map_line(sb, &l.a[i]);
	if (r == 0)
		vma_list_free(&l);
	procinfo_put(&in);
	return r;
}

/*
 * What smaps counts of a VMA (mm_resident_range): pages and their proportional share, a
 * page being shared when another mm (or a COW sibling) maps it too. Approximate
 * (fs/README.md): anonymous and shared memory is dirty, private file pages clean.
 */
struct smap_stats {
	uint64_t rss, shared, pss; /* pss in bytes << MM_PSS_SHIFT */
	uint64_t anon, pss_anon, pss_file, pss_shmem;
	bool dirty;
};

static void smap_count(struct mm *mm, const struct vma_snap *sn, struct smap_stats *st)
{
	const struct vma_info *v = &sn->v;
	bool anon = v->flags & MAP_ANONYMOUS, shared = (v->flags & MAP_TYPE) == MAP_SHARED;
	struct mm_rss r;

	mm_resident_range(mm, v->start, v->end, !anon, &r);
	memset(st, 0, sizeof(*st));
	st->rss = r.resident;
	st->shared = r.shared;
	st->pss = r.pss;
	st->dirty = anon || shared;
	if (anon && shared) {
		st->pss_shmem = r.pss;
	} else if (anon) {
		st->anon = r.resident;
		st->pss_anon = r.pss;
	} else {
		st->pss_file = r.pss;
	}
}

/* Sums of smap_stats (smaps_rollup), dirtiness kept per part. */
struct smap_sum {
	uint64_t rss, pss, pss_dirty, anon, pss_anon, pss_file, pss_shmem;
	uint64_t shared_clean, shared_dirty, private_clean, private_dirty;
};

static void smap_add(struct smap_sum *sum, const struct smap_stats *st)
{
	sum->rss += st->rss;
	sum->pss += st->pss;
	sum->pss_dirty += st->dirty ? st->pss : 0;
	sum->anon += st->anon;
	sum->pss_anon += st->pss_anon;
	sum->pss_file += st->pss_file;
	sum->pss_shmem += st->pss_shmem;
	*(st->dirty ? &sum->shared_dirty : &sum->shared_clean) += st->shared;
	*(st->dirty ? &sum->private_dirty : &sum->private_clean) += st->rss - st->shared;
}

#define KB(x) ((unsigned long long)((x) >> 10))
#define PSS_KB(x) KB((x) >> MM_PSS_SHIFT)

/* The counters smaps and smaps_rollup share (Linux's __show_smap). */
static void smap_fields(struct sbuf *sb, const struct smap_sum *s, bool rollup)
{
	sb_printf(sb, "Rss:            %8llu kB\nPss:            %8llu kB\n"
		  "Pss_Dirty:      %8llu kB\n", KB(s->rss), PSS_KB(s->pss), PSS_KB(s->pss_dirty));
	if (rollup)
		sb_printf(sb, "Pss_Anon:       %8llu kB\nPss_File:       %8llu kB\n"
			  "Pss_Shmem:      %8llu kB\n", PSS_KB(s->pss_anon), PSS_KB(s->pss_file),
			  PSS_KB(s->pss_shmem));
	sb_printf(sb, "Shared_Clean:   %8llu kB\nShared_Dirty:   %8llu kB\n"
		  "Private_Clean:  %8llu kB\nPrivate_Dirty:  %8llu kB\n"
		  "Referenced:     %8llu kB\nAnonymous:      %8llu kB\n"
		  "LazyFree:       %8llu kB\nAnonHugePages:  %8llu kB\n"
		  "ShmemPmdMapped: %8llu kB\nFilePmdMapped:  %8llu kB\n"
		  "Shared_Hugetlb: %8llu kB\nPrivate_Hugetlb:%8llu kB\n"
		  "Swap:           %8llu kB\nSwapPss:        %8llu kB\n"
		  "Locked:         %8llu kB\n", KB(s->shared_clean), KB(s->shared_dirty),
		  KB(s->private_clean), KB(s->private_dirty), KB(s->rss), KB(s->anon), 0ULL, 0ULL,
		  0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL, 0ULL);
}

/* VmFlags (Linux's show_smap_vma_flags) for what the Sentry knows of a VMA. */
static void smap_vmflags(struct sbuf *sb, const struct vma_info *v)
{
	bool shared = (v->flags & MAP_TYPE) == MAP_SHARED;

	sb_printf(sb, "VmFlags:");
	if (v->prot & PROT_READ)
		sb_printf(sb, " rd");
	if (v->prot & PROT_WRITE)
		sb_printf(sb, " wr");
	if (v->prot & PROT_EXEC)
		sb_printf(sb, " ex");
	if (shared)
		sb_printf(sb, " sh");
	sb_printf(sb, " mr mw me");
	if (shared)
		sb_printf(sb, " ms");
	if (v->flags & MAP_GROWSDOWN)
		sb_printf(sb, " gd");
	if (!shared && (v->prot & PROT_WRITE))
		sb_printf(sb, " ac");
	sb_printf(sb, " \n");
}

static int show_smaps(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo in;
	struct vma_list l;
	int r = info_get(pi, PROCINFO_MM, &in);

	if (r < 0)
		return r;
	r = vma_snapshot(in.mm, &l);
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		struct smap_stats st;
		struct smap_sum one = { 0 };
		const struct vma_info *v = &l.a[i].v;

		map_line(sb, &l.a[i]);
		smap_count(in.mm, &l.a[i], &st);
		smap_add(&one, &st);
		sb_printf(sb, "Size:           %8llu kB\nKernelPageSize: %8llu kB\n"
			  "MMUPageSize:    %8llu kB\n", KB(v->end - v->start), KB(PAGE_SIZE),
			  KB(PAGE_SIZE));
		smap_fields(sb, &one, false);
		sb_printf(sb, "THPeligible:    0\n");
		smap_vmflags(sb, v);
	}
	if (r == 0)
		vma_list_free(&l);
	procinfo_put(&in);
	return r;
}

static int show_smaps_rollup(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo in;
	struct vma_list l;
	struct smap_sum sum = { 0 };
	int r = info_get(pi, PROCINFO_MM, &in);

	if (r < 0)
		return r;
	r = vma_snapshot(in.mm, &l);
	if (r == 0 && l.n) {
		for (size_t i = 0; i < l.n; i++) {
			struct smap_stats st;
			smap_count(in.mm, &l.a[i], &st);
			smap_add(&sum, &st);
		}
		struct vma_snap head = { .v = { .start = l.a[0].v.start,
						.end = l.a[l.n - 1].v.end,
						.flags = MAP_PRIVATE | MAP_ANONYMOUS },
					 .name = "[rollup]" };
		map_line(sb, &head);
		smap_fields(sb, &sum, true);
	}
	if (r == 0)
		vma_list_free(&l);
	procinfo_put(&in);
	return r;
}

/* ---- mem: another process's memory at the offset of its address ---- */

/* An open mem file: the target's mm as it was at open, and whose it is. */
struct mem_file {
	struct mm *mm;
	struct kernel *k;
	pid_t tgid, tid;
};

static int mem_open(struct file *f)
{
	struct proc_inode *pi = to_proc(file_inode(f));
	struct procinfo in;
	struct mem_file *mf;
	int r;

	r = procinfo_may_access(proc_kernel(pi), pi->tgid);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	mf = calloc(1, sizeof(*mf));
	if (!mf)
		return -ENOMEM;
	r = info_get(pi, PROCINFO_MM, &in);
	if (r < 0) {
		free(mf);
		return r;
	}
	mf->mm = in.mm; /* a reference to the mm, not the task (NULL for a zombie) */
	mf->k = proc_kernel(pi);
	mf->tgid = pi->tgid;
	mf->tid = pi->tid;
	in.mm = NULL;
	procinfo_put(&in);
	f->priv = mf;
	return 0;
}

/*
 * Is @mf's mm still the target's? Linux reads and writes nothing (0) once the mm has no
 * users (the process exited or exec'd); the reference we hold keeps it from being freed,
 * not in use.
 */
static bool mem_live(struct mem_file *mf)
{
	struct procinfo in;
	bool live;

	if (!mf->mm || procinfo_get(mf->k, mf->tgid, mf->tid, PROCINFO_MM, &in) < 0)
		return false;
	live = in.mm == mf->mm;
	procinfo_put(&in);
	return live;
}

/* Linux's mem_rw: a page at a time through a bounce buffer; EIO when nothing moved. */
static ssize_t mem_rw(struct file *f, struct uio *u, int64_t *pos, bool write)
{
	struct mem_file *mf = f->priv;
	struct mm *mm = mf->mm;
	uint8_t *buf;
	ssize_t done = 0;

	if (!u->resid || !mem_live(mf))
		return 0;
	buf = malloc(PAGE_SIZE);
	if (!buf)
		return -ENOMEM;
	while (u->resid) {
		size_t n = MIN(u->resid, (size_t)PAGE_SIZE);
		ssize_t got;

		if (write) {
			got = uio_copy_in(u, buf, n);
			if (got <= 0) {
				done = done ? done : (got < 0 ? got : -EFAULT);
				break;
			}
			n = (size_t)got;
		}
		got = mm_access_remote(mm, (gva_t)*pos, buf, n, write);
		if (got <= 0) {
			done = done ? done : -EIO;
			break;
		}
		if (!write) {
			ssize_t c = uio_copy_out(u, buf, (size_t)got);
			if (c <= 0) {
				done = done ? done : (c < 0 ? c : -EFAULT);
				break;
			}
			got = c;
		}
		done += got;
		*pos += got;
		if ((size_t)got < n)
			break;
	}
	free(buf);
	return done;
}

static ssize_t mem_read(struct file *f, struct uio *dst, int64_t *pos)
{
	return mem_rw(f, dst, pos, false);
}

static ssize_t mem_write(struct file *f, struct uio *src, int64_t *pos)
{
	return mem_rw(f, src, pos, true);
}

static int64_t mem_llseek(struct file *f, int64_t off, int whence)
{
	if (whence == SEEK_CUR)
		off += f->pos;
	else if (whence != SEEK_SET)
		return -EINVAL;
	return off < 0 ? -EINVAL : off;
}

static void mem_release(struct file *f)
{
	struct mem_file *mf = f->priv;

	if (mf && mf->mm)
		mm_put(mf->mm);
	free(mf);
	free(f); /* a release op frees the file too (fs/file.c) */
}

static const struct file_ops mem_fops = {
	.open = mem_open,
	.read = mem_read,
	.write = mem_write,
	.llseek = mem_llseek,
	.release = mem_release,
};

/* ---- io, oom_score, oom_score_adj, wchan ---- */

static int show_io(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo in;
	int r = procinfo_may_access(proc_kernel(pi), pi->tgid);

	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	r = info_get(pi, 0, &in);
	if (r < 0)
		return r;
	/* read_bytes/write_bytes count block-device I/O: none under tmpfs and the gofer. */
	sb_printf(sb, "rchar: %llu\nwchar: %llu\nsyscr: %llu\nsyscw: %llu\nread_bytes: 0\n"
		  "write_bytes: 0\ncancelled_write_bytes: 0\n", (unsigned long long)in.rchar,
		  (unsigned long long)in.wchar, (unsigned long long)in.syscr,
		  (unsigned long long)in.syscw);
	procinfo_put(&in);
	return 0;
}

/* Linux's proc_oom_score: (1000 + badness * 1000 / totalpages) * 2 / 3, badness being the
 * resident pages plus oom_score_adj thousandths of all memory; 0 for OOM_SCORE_ADJ_MIN. */
static int show_oom_score(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo in;
	int r = info_get(pi, PROCINFO_MM, &in);

	if (r < 0)
		return r;
	long total = (long)(PROCINFO_MEM_TOTAL / PAGE_SIZE);
	long badness = (long)((in.mm ? mm_resident_bytes(in.mm) : 0) / PAGE_SIZE);
	long points = 0;
	badness += (long)in.oom_score_adj * (total / 1000);
	if (in.oom_score_adj != -1000)
		points = (1000 + badness * 1000 / total) * 2 / 3;
	sb_printf(sb, "%ld\n", points > 0 ? points : 0);
	procinfo_put(&in);
	return 0;
}

static int show_oom_score_adj(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo in;
	int r = info_get(pi, 0, &in);

	if (r < 0)
		return r;
	sb_printf(sb, "%d\n", in.oom_score_adj);
	procinfo_put(&in);
	return 0;
}

/* A decimal integer with optional sign and surrounding blanks (kstrtoint after strstrip). */
static int parse_int(const char *buf, size_t len, long long *out)
{
	char tmp[64];
	char *end;

	if (len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, buf, len);
	tmp[len] = 0;
	char *p = tmp;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	errno = 0;
	*out = strtoll(p, &end, 10);
	if (end == p || errno)
		return -EINVAL;
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	return *end ? -EINVAL : 0;
}

static ssize_t write_oom_score_adj(struct proc_inode *pi, const char *buf, size_t len)
{
	long long v;
	int r = parse_int(buf, len, &v);

	if (r < 0)
		return r;
	if (v < -1000 || v > 1000)
		return -EINVAL;
	r = procinfo_set_oom_score_adj(proc_kernel(pi), pi->tgid, (int)v, false);
	return r < 0 ? r : (ssize_t)len;
}

/* oom_adj, the legacy scale -17..15 (Linux's oom_adj_read/oom_adj_write). */
static int show_oom_adj(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo in;
	int r = info_get(pi, 0, &in);

	if (r < 0)
		return r;
	int adj = in.oom_score_adj == 1000 ? 15 : in.oom_score_adj * 17 / 1000;
	sb_printf(sb, "%d\n", adj);
	procinfo_put(&in);
	return 0;
}

static ssize_t write_oom_adj(struct proc_inode *pi, const char *buf, size_t len)
{
	long long v;
	int r = parse_int(buf, len, &v);

	if (r < 0)
		return r;
	if (v < -17 || v > 15)
		return -EINVAL;
	r = procinfo_set_oom_score_adj(proc_kernel(pi), pi->tgid,
				       v == 15 ? 1000 : (int)(v * 1000 / 17), true);
	return r < 0 ? r : (ssize_t)len;
}

/* wchan: Linux shows a symbol only to those allowed to ptrace, and "0" for running tasks;
 * the Sentry has no kernel symbols to show. */
static int show_wchan(struct proc_inode *pi, struct sbuf *sb)
{
	(void)pi;
	sb_printf(sb, "0");
	return 0;
}

/* ---- limits ---- */

static const struct {
	const char *name, *unit;
} limit_names[RLIM_NLIMITS_K] = {
	{ "Max cpu time", "seconds" }, { "Max file size", "bytes" },
	{ "Max data size", "bytes" }, { "Max stack size", "bytes" },
	{ "Max core file size", "bytes" }, { "Max resident set", "bytes" },
	{ "Max processes", "processes" }, { "Max open files", "files" },
	{ "Max locked memory", "bytes" }, { "Max address space", "bytes" },
	{ "Max file locks", "locks" }, { "Max pending signals", "signals" },
	{ "Max msgqueue size", "bytes" }, { "Max nice priority", NULL },
	{ "Max realtime priority", NULL }, { "Max realtime timeout", "us" },
};

static int show_limits(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo in;
	int r = info_get(pi, 0, &in);

	if (r < 0)
		return r;
	sb_printf(sb, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (int i = 0; i < RLIM_NLIMITS_K; i++) {
		struct rlimit *l = &in.rlimits[i];
		sb_printf(sb, "%-25s ", limit_names[i].name);
		if (l->rlim_cur == RLIM_INFINITY)
			sb_printf(sb, "%-20s ", "unlimited");
		else
			sb_printf(sb, "%-20llu ", (unsigned long long)l->rlim_cur);
		if (l->rlim_max == RLIM_INFINITY)
			sb_printf(sb, "%-20s ", "unlimited");
		else
			sb_printf(sb, "%-20llu ", (unsigned long long)l->rlim_max);
		if (limit_names[i].unit)
			sb_printf(sb, "%-10s", limit_names[i].unit);
		sb_write(sb, "\n", 1);
	}
	procinfo_put(&in);
	return 0;
}

/* ---- mounts and mountinfo ---- */

struct mount_walk {
	struct sbuf *sb;
	struct path root;
	bool info;
	struct mount *ids[257]; /* index = mount id - 1 */
	int n;
};

static int mount_id(struct mount_walk *w, struct mount *m)
{
	for (int i = 0; i < w->n; i++)
		if (w->ids[i] == m)
			return i + 1;
	return 0;
}

static const char *fstype_of(struct mount *m)
{
	const char *t = m->root->inode->sb->fstype;

	return t ? t : "tmpfs";
}

static void mount_line(struct mount *m, void *arg)
{
	struct mount_walk *w = arg;
	struct path p = { m, m->root };
	char *buf = malloc(VFS_PATH_MAX);
	const char *type = fstype_of(m);
	const char *src = strcmp(type, "9p") == 0 ? "none" : type;
	bool ro = mount_readonly(m);

	if (!buf)
		return;
	if (w->n < (int)ARRAY_SIZE(w->ids))
		w->ids[w->n++] = m;
	if (vfs_path_string_locked(&w->root, &p, buf, VFS_PATH_MAX) >= 0 &&
	    strncmp(buf, "(unreachable)", 13) != 0) {
		if (w->info) {
			uint64_t dev = m->root->inode->sb->dev;
			sb_printf(w->sb, "%d %d 0:%llu / %s %s,relatime - %s %s %s\n", mount_id(w, m),
				  m->parent ? mount_id(w, m->parent) : mount_id(w, m),
				  (unsigned long long)(dev & 0xfff), buf, ro ? "ro" : "rw", type, src,
				  ro ? "ro" : "rw");
		} else {
			sb_printf(w->sb, "%s %s %s %s,relatime 0 0\n", src, buf, type, ro ? "ro" : "rw");
		}
	}
	free(buf);
}

static int show_mounts_common(struct proc_inode *pi, struct sbuf *sb, bool info)
{
	struct procinfo in;
	struct mount_walk *w;
	int r = info_get(pi, PROCINFO_FS, &in);

	if (r < 0)
		return r;
	w = calloc(1, sizeof(*w));
	if (!w || !in.fs) {
		free(w);
		procinfo_put(&in);
		return w ? 0 : -ENOMEM;
	}
	struct path cwd;
	fs_context_paths(in.fs, &w->root, &cwd);
	path_put(&cwd);
	w->sb = sb;
	w->info = info;
	/* The namespace root first (it is not in the mount table). */
	struct mount *top = w->root.mnt;
	while (top->parent)
		top = top->parent;
	pthread_mutex_lock(&vfs_tree_mu);
	mount_line(top, w);
	pthread_mutex_unlock(&vfs_tree_mu);
	vfs_for_each_mount(mount_line, w);
	path_put(&w->root);
	free(w);
	procinfo_put(&in);
	return 0;
}

int proc_show_mounts(struct proc_inode *pi, struct sbuf *sb)
{
	if (!pi->tgid) {
		/* /proc/mounts itself is a link to self/mounts; this serves callers without one. */
		struct task *cur = kernel_current();
		struct proc_inode self = *pi;
		if (!cur)
			return 0;
		self.tgid = cur->tg->tgid;
		return show_mounts_common(&self, sb, false);
	}
	return show_mounts_common(pi, sb, false);
}

static int show_mountinfo(struct proc_inode *pi, struct sbuf *sb)
{
	return show_mounts_common(pi, sb, true);
}

/* ---- links: exe, cwd, root, fd/N ---- */

static int link_exe(struct proc_inode *pi, char **out)
{
	struct procinfo in;
	int r = info_get(pi, 0, &in);

	if (r < 0)
		return -ENOENT;
	if (!in.exe) {
		procinfo_put(&in);
		return -ENOENT;
	}
	*out = in.exe;
	in.exe = NULL;
	procinfo_put(&in);
	return 0;
}

/* @p as a string from the process's root. Preconditions: vfs_tree_mu held (get_link). */
static int path_link(struct fs_context *fs, const struct path *p, char **out)
{
	struct path root, cwd;
	char *buf = malloc(VFS_PATH_MAX);
	int r;

	if (!buf)
		return -ENOMEM;
	fs_context_paths(fs, &root, &cwd);
	r = vfs_path_string_locked(&root, p, buf, VFS_PATH_MAX);
	if (r == -ENOENT && p->dentry->dead && p->dentry->name) {
		/* Unlinked: Linux appends " (deleted)" to the last name it had. */
		snprintf(buf, VFS_PATH_MAX, "/%s (deleted)", p->dentry->name);
		r = 0;
	}
	path_put(&root);
	path_put(&cwd);
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	return 0;
}

static int link_fs(struct proc_inode *pi, char **out, bool want_root)
{
	struct procinfo in;
	int r = info_get(pi, PROCINFO_FS, &in);

	if (r < 0)
		return -ENOENT;
	if (!in.fs) {
		procinfo_put(&in);
		return -ENOENT;
	}
	struct path root, cwd;
	fs_context_paths(in.fs, &root, &cwd);
	r = path_link(in.fs, want_root ? &root : &cwd, out);
	path_put(&root);
	path_put(&cwd);
	procinfo_put(&in);
	return r;
}

static int link_cwd(struct proc_inode *pi, char **out)
{
	return link_fs(pi, out, false);
}

static int link_root(struct proc_inode *pi, char **out)
{
	return link_fs(pi, out, true);
}

/* cwd and root as magic links: the walk continues from the process's own directory. */
static int magic_fs(struct proc_inode *pi, struct path *path, bool want_root)
{
	struct procinfo in;
	struct path root, cwd;
	int r = info_get(pi, PROCINFO_FS, &in);

	if (r < 0 || !in.fs) {
		if (r == 0)
			procinfo_put(&in);
		return -ENOENT;
	}
	fs_context_paths(in.fs, &root, &cwd);
	*path = want_root ? root : cwd;
	path_put(want_root ? &cwd : &root);
	procinfo_put(&in);
	return 0;
}

static int magic_cwd(struct proc_inode *pi, struct path *path, struct file **file)
{
	(void)file;
	return magic_fs(pi, path, false);
}

static int magic_root(struct proc_inode *pi, struct path *path, struct file **file)
{
	(void)file;
	return magic_fs(pi, path, true);
}

/* The usual /dev name of a character device (Documentation/admin-guide/devices.txt). */
static void chr_name(dev_t rdev, char *buf, size_t size)
{
	unsigned int ma = major(rdev), mi = minor(rdev);
	static const char *const mem[] = { [3] = "null", [5] = "zero", [7] = "full",
					   [8] = "random", [9] = "urandom" };

	if (ma == 1 && mi < ARRAY_SIZE(mem) && mem[mi])
		snprintf(buf, size, "/dev/%s", mem[mi]);
	else if (ma >= 136 && ma <= 143)
		snprintf(buf, size, "/dev/pts/%u", (ma - 136) * 256 + mi);
	else if (ma == 5 && mi == 0)
		snprintf(buf, size, "/dev/tty");
	else if (ma == 5 && mi == 1)
		snprintf(buf, size, "/dev/console");
	else if (ma == 4)
		snprintf(buf, size, "/dev/tty%u", mi);
	else
		snprintf(buf, size, "/dev/char/%u:%u", ma, mi);
}

/* A file without a path: what Linux's d_dname names it. */
static int anon_name(struct file *f, char **out)
{
	struct stat st;
	char buf[64];

	memset(&st, 0, sizeof(st));
	vfs_fstat(f, &st);
	if (S_ISFIFO(st.st_mode))
		snprintf(buf, sizeof(buf), "pipe:[%llu]", (unsigned long long)st.st_ino);
	else if (S_ISSOCK(st.st_mode))
		snprintf(buf, sizeof(buf), "socket:[%llu]", (unsigned long long)st.st_ino);
	else if (file_is_epoll(f))
		snprintf(buf, sizeof(buf), "anon_inode:[eventpoll]");
	else if (pidfd_pid(f) >= 0)
		snprintf(buf, sizeof(buf), "anon_inode:[pidfd]");
	else if (!(st.st_mode & S_IFMT))
		snprintf(buf, sizeof(buf), "anon_inode:[eventfd]");
	else if (S_ISCHR(st.st_mode))
		chr_name(st.st_rdev, buf, sizeof(buf)); /* a host device: the caller's stdio */
	else
		snprintf(buf, sizeof(buf), "host:[%llu]", (unsigned long long)st.st_ino);
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

static int link_fd(struct proc_inode *pi, char **out)
{
	struct procinfo in;
	struct file *f;
	int r = info_get(pi, PROCINFO_FDT | PROCINFO_FS, &in);

	if (r < 0)
		return -ENOENT;
	f = in.fdt ? fdtable_get_file(in.fdt, pi->fd, NULL) : NULL;
	if (!f)
		r = -ENOENT;
	else if (f->path.dentry && in.fs)
		r = path_link(in.fs, &f->path, out);
	else
		r = anon_name(f, out);
	if (f)
		file_put(f);
	procinfo_put(&in);
	return r;
}

/* fd/N: the open file's own path (even unlinked), or the pathless file itself. */
static int magic_fd(struct proc_inode *pi, struct path *path, struct file **file)
{
	struct procinfo in;
	struct file *f;
	int r = info_get(pi, PROCINFO_FDT, &in);

	if (r < 0)
		return -ENOENT;
	f = in.fdt ? fdtable_get_file(in.fdt, pi->fd, NULL) : NULL;
	procinfo_put(&in);
	if (!f)
		return -ENOENT;
	if (f->path.dentry) {
		*path = f->path;
		path_get(path);
		file_put(f);
	} else {
		*file = f;
	}
	return 0;
}

static int show_fdinfo(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo in;
	struct file *f;
	int fl = 0, r = info_get(pi, PROCINFO_FDT, &in);

	if (r < 0)
		return r;
	f = in.fdt ? fdtable_get_file(in.fdt, pi->fd, &fl) : NULL;
	if (!f) {
		procinfo_put(&in);
		return -ENOENT;
	}
	struct stat st;
	memset(&st, 0, sizeof(st));
	vfs_fstat(f, &st);
	pthread_mutex_lock(&f->pos_mu);
	long long pos = f->pos;
	pthread_mutex_unlock(&f->pos_mu);
	sb_printf(sb, "pos:\t%lld\nflags:\t0%o\nmnt_id:\t%d\nino:\t%llu\n", pos,
		  (unsigned int)(f->flags | ((fl & FD_FLAG_CLOEXEC) ? O_CLOEXEC : 0)), 1,
		  (unsigned long long)st.st_ino);
	file_put(f);
	procinfo_put(&in);
	return 0;
}

static int show_cgroup(struct proc_inode *pi, struct sbuf *sb)
{
	(void)pi;
	sb_printf(sb, "0::/\n"); /* cgroup v2, the root: the sandbox has no cgroups of its own */
	return 0;
}

static const struct pentry fd_link = { .name = "", .mode = S_IFLNK | 0700, .link = link_fd,
				       .magic = magic_fd };
static const struct pentry fdinfo_file = { .name = "", .mode = S_IFREG | 0444,
					   .show = show_fdinfo };

#define PID_COMMON \
	{ .name = "fd", .mode = S_IFDIR | 0500, .dyn = DYN_FDS, .dyn_entry = &fd_link }, \
	{ .name = "fdinfo", .mode = S_IFDIR | 0555, .dyn = DYN_FDINFO, \
	  .dyn_entry = &fdinfo_file }, \
	{ .name = "environ", .mode = S_IFREG | 0400, .show = show_environ, .ptrace_read = true }, \
	{ .name = "auxv", .mode = S_IFREG | 0400, .show = show_auxv, .ptrace_read = true }, \
	PFILE("status", show_status), \
	PFILE("limits", show_limits), \
	PFILE("cmdline", show_cmdline), \
	{ .name = "comm", .mode = S_IFREG | 0644, .show = show_comm, .write = write_comm }, \
	PFILE("stat", show_stat), \
	PFILE("statm", show_statm), \
	{ .name = "maps", .mode = S_IFREG | 0444, .show = show_maps, .ptrace_read = true }, \
	PFILE("mounts", proc_show_mounts), \
	PFILE("mountinfo", show_mountinfo), \
	PMAGIC("cwd", link_cwd, magic_cwd), \
	PMAGIC("root", link_root, magic_root), \
	PLINK("exe", link_exe), \
	PFILE("cgroup", show_cgroup), \
	PFILE("oom_score", show_oom_score), \
	{ .name = "oom_score_adj", .mode = S_IFREG | 0644, .show = show_oom_score_adj, \
	  .write = write_oom_score_adj }, \
	{ .name = "oom_adj", .mode = S_IFREG | 0644, .show = show_oom_adj, \
	  .write = write_oom_adj }, \
	{ .name = "smaps", .mode = S_IFREG | 0444, .show = show_smaps, .ptrace_read = true }, \
	{ .name = "smaps_rollup", .mode = S_IFREG | 0444, .show = show_smaps_rollup, \
	  .ptrace_read = true }, \
	{ .name = "mem", .mode = S_IFREG | 0600, .fops = &mem_fops }, \
	{ .name = "io", .mode = S_IFREG | 0400, .show = show_io }, \
	PFILE("wchan", show_wchan)

static const struct pentry tid_entries[] = { PID_COMMON };

const struct pentry proc_tid_dir = PDIR("", 0555, tid_entries);

static const struct pentry pid_entries[] = {
	{ .name = "task", .mode = S_IFDIR | 0555, .dyn = DYN_TIDS, .dyn_entry = &proc_tid_dir },
	PID_COMMON,
};

const struct pentry proc_pid_dir = PDIR("", 0555, pid_entries);
