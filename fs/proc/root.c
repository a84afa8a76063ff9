// SPDX-License-Identifier: Apache-2.0
/*
 * The /proc root: self and thread-self, one directory per process, and the system-wide
 * files (meminfo, vmstat, cpuinfo, stat, uptime, loadavg, version, filesystems, cmdline,
 * mounts) and /proc/sys, in Linux's formats (proc(5)).
 */
#include "fs/proc/proc_impl.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/kernel/kernel.h"

#define USER_HZ 100
#define NS_TO_TICKS(ns) ((unsigned long long)((ns) / (1000000000ULL / USER_HZ)))

static int link_self(struct proc_inode *pi, char **out)
{
	struct task *t = kernel_current();
	char buf[32];

	(void)pi;
	if (!t)
		return -ENOENT;
	snprintf(buf, sizeof(buf), "%d", t->tg->tgid);
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

static int link_thread_self(struct proc_inode *pi, char **out)
{
	struct task *t = kernel_current();
	char buf[48];

	(void)pi;
	if (!t)
		return -ENOENT;
	snprintf(buf, sizeof(buf), "%d/task/%d", t->tg->tgid, t->tid);
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

static int link_mounts(struct proc_inode *pi, char **out)
{
	(void)pi;
	*out = strdup("self/mounts");
	return *out ? 0 : -ENOMEM;
}

static int show_meminfo(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo_sys s;

	procinfo_system(proc_kernel(pi), &s);
	unsigned long long total = s.mem_total >> 10, used = s.mem_used >> 10;
	unsigned long long free_kb = total - used;

#define MI(name, v) sb_printf(sb, "%-16s%8llu kB\n", name ":", (unsigned long long)(v))
	MI("MemTotal", total);
	MI("MemFree", free_kb);
	MI("MemAvailable", free_kb);
	MI("Buffers", 0);
	MI("Cached", 0);
	MI("SwapCached", 0);
	MI("Active", used);
	MI("Inactive", 0);
	MI("Active(anon)", used);
	MI("Inactive(anon)", 0);
	MI("Active(file)", 0);
	MI("Inactive(file)", 0);
	MI("Unevictable", 0);
	MI("Mlocked", 0);
	MI("SwapTotal", 0);
	MI("SwapFree", 0);
	MI("Dirty", 0);
	MI("Writeback", 0);
	MI("AnonPages", used);
	MI("Mapped", 0);
	MI("Shmem", 0);
	MI("KReclaimable", 0);
	MI("Slab", 0);
	MI("SReclaimable", 0);
	MI("SUnreclaim", 0);
	MI("KernelStack", 0);
	MI("PageTables", 0);
	MI("NFS_Unstable", 0);
	MI("Bounce", 0);
	MI("WritebackTmp", 0);
	MI("CommitLimit", total);
	MI("Committed_AS", used);
	MI("VmallocTotal", 34359738367ULL);
	MI("VmallocUsed", 0);
	MI("VmallocChunk", 0);
	MI("Percpu", 0);
	MI("AnonHugePages", 0);
	MI("ShmemHugePages", 0);
	MI("ShmemPmdMapped", 0);
	MI("FileHugePages", 0);
	MI("FilePmdMapped", 0);
	sb_printf(sb, "HugePages_Total:       0\nHugePages_Free:        0\n"
		  "HugePages_Rsvd:        0\nHugePages_Surp:        0\n");
	MI("Hugepagesize", 2048);
	MI("Hugetlb", 0);
	MI("DirectMap4k", 0);
	MI("DirectMap2M", 0);
#undef MI
	return 0;
}

/*
 * /proc/vmstat, the counters vmstat(8) and monitoring agents read (Linux 6.1 names, a
 * subset): page counts from the memory file, event counters 0 (no paging here).
 */
static int show_vmstat(struct proc_inode *pi, struct sbuf *sb)
{
	static const char *const zero[] = {
		"nr_zone_inactive_file", "nr_zone_active_file", "nr_zone_unevictable",
		"nr_zone_write_pending", "nr_mlock", "nr_inactive_anon", "nr_inactive_file",
		"nr_active_file", "nr_unevictable", "nr_slab_reclaimable", "nr_slab_unreclaimable",
		"nr_mapped", "nr_file_pages", "nr_dirty", "nr_writeback", "nr_shmem",
		"nr_kernel_stack", "nr_page_table_pages", "nr_swapcached", "pgpgin", "pgpgout",
		"pswpin", "pswpout", "pgmajfault", "pgsteal_kswapd", "pgsteal_direct",
		"pgscan_kswapd", "pgscan_direct", "oom_kill", "thp_fault_alloc",
	};
	struct procinfo_sys s;

	procinfo_system(proc_kernel(pi), &s);
	unsigned long long total = s.mem_total / PAGE_SIZE, used = s.mem_used / PAGE_SIZE;
	sb_printf(sb, "nr_free_pages %llu\nnr_zone_inactive_anon 0\nnr_zone_active_anon %llu\n"
		  "nr_active_anon %llu\nnr_anon_pages %llu\n", total - used, used, used, used);
	for (size_t i = 0; i < ARRAY_SIZE(zero); i++)
		sb_printf(sb, "%s 0\n", zero[i]);
	sb_printf(sb, "nr_dirty_threshold %llu\nnr_dirty_background_threshold %llu\n"
		  "pgalloc_normal %llu\npgfree 0\npgfault 0\n", (total - used) / 5,
		  (total - used) / 10, used);
	return 0;
}

static int show_cpuinfo(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo_sys s;
	struct procinfo_cpu *c = malloc(sizeof(*c));

	if (!c)
		return -ENOMEM;
	procinfo_system(proc_kernel(pi), &s);
	procinfo_cpu(c);
	for (unsigned int i = 0; i < s.ncpus; i++) {
		sb_printf(sb, "processor\t: %u\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
			  "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: 0.000\n"
			  "cache size\t: 0 KB\nphysical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\n"
			  "cpu cores\t: %u\napicid\t\t: %u\ninitial apicid\t: %u\nfpu\t\t: yes\n"
			  "fpu_exception\t: yes\ncpuid level\t: 13\nwp\t\t: yes\nflags\t\t: %s\n"
			  "bogomips\t: 0.00\nclflush size\t: %u\ncache_alignment\t: %u\n"
			  "address sizes\t: 46 bits physical, 48 bits virtual\npower management:\n\n",
			  i, c->vendor, c->family, c->model, c->model_name, c->stepping, s.ncpus, i,
			  s.ncpus, i, i, c->flags, c->clflush, c->cache_align);
	}
	free(c);
	return 0;
}

static int show_stat(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo_sys s;

	procinfo_system(proc_kernel(pi), &s);
	unsigned int n = s.ncpus ? s.ncpus : 1;
	unsigned long long user = NS_TO_TICKS(s.utime_ns), sys = NS_TO_TICKS(s.stime_ns);
	unsigned long long all = NS_TO_TICKS(s.uptime_ns) * n;
	unsigned long long idle = all > user + sys ? all - user - sys : 0;

	sb_printf(sb, "cpu  %llu 0 %llu %llu 0 0 0 0 0 0\n", user, sys, idle);
	for (unsigned int i = 0; i < n; i++)
		sb_printf(sb, "cpu%u %llu 0 %llu %llu 0 0 0 0 0 0\n", i, user / n, sys / n, idle / n);
	sb_printf(sb, "intr 0\nctxt 0\nbtime %llu\nprocesses %d\nprocs_running %d\n"
		  "procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
		  (unsigned long long)s.boot_realtime_s, s.last_pid, s.nrunning);
	return 0;
}

static int show_uptime(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo_sys s;

	procinfo_system(proc_kernel(pi), &s);
	unsigned long long up = s.uptime_ns / 10000000ULL; /* hundredths */
	unsigned long long busy = (s.utime_ns + s.stime_ns) / 10000000ULL;
	unsigned long long idle = up * s.ncpus > busy ? up * s.ncpus - busy : 0;
	sb_printf(sb, "%llu.%02llu %llu.%02llu\n", up / 100, up % 100, idle / 100, idle % 100);
	return 0;
}

static int show_loadavg(struct proc_inode *pi, struct sbuf *sb)
{
	struct procinfo_sys s;

	procinfo_system(proc_kernel(pi), &s);
	sb_printf(sb, "0.00 0.00 0.00 %d/%d %d\n", s.nrunning, s.nthreads, s.last_pid);
	return 0;
}

static int show_version(struct proc_inode *pi, struct sbuf *sb)
{
	(void)pi;
	sb_printf(sb, "Linux version " PROCINFO_RELEASE " (sandbox@sandbox) (gcc) "
		  PROCINFO_VERSION "\n");
	return 0;
}

static int show_filesystems(struct proc_inode *pi, struct sbuf *sb)
{
	(void)pi;
	sb_printf(sb, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\t9p\n");
	return 0;
}

static int show_cmdline(struct proc_inode *pi, struct sbuf *sb)
{
	(void)pi;
	sb_printf(sb, "BOOT_IMAGE=/sandbox ro\n");
	return 0;
}

/* ---- /proc/sys ---- */

/* kernel.hostname and kernel.domainname: the reader's (writer's) UTS namespace. */
static int show_uts(struct proc_inode *pi, struct sbuf *sb, bool domain)
{
	struct task *t = kernel_current();
	char host[65], dom[65];

	if (t) {
		uts_names(t, host, dom);
	} else {
		struct procinfo_sys s;
		procinfo_system(proc_kernel(pi), &s);
		memcpy(host, s.hostname, sizeof(host));
		strcpy(dom, "(none)");
	}
	sb_printf(sb, "%s\n", domain ? dom : host);
	return 0;
}

static int show_hostname(struct proc_inode *pi, struct sbuf *sb)
{
	return show_uts(pi, sb, false);
}

static int show_domainname(struct proc_inode *pi, struct sbuf *sb)
{
	return show_uts(pi, sb, true);
}

/* Linux's proc_dostring: up to the first NUL or newline, silently cut at 64 bytes. */
static ssize_t write_uts(struct proc_inode *pi, const char *buf, size_t len, bool domain)
{
	struct task *t = kernel_current();
	size_t n = 0;

	(void)pi;
	if (!t)
		return -EPERM;
	while (n < len && n < 64 && buf[n] && buf[n] != '\n')
		n++;
	int r = uts_set(t, domain, buf, n);
	return r < 0 ? r : (ssize_t)len;
}

static ssize_t write_hostname(struct proc_inode *pi, const char *buf, size_t len)
{
	return write_uts(pi, buf, len, false);
}

static ssize_t write_domainname(struct proc_inode *pi, const char *buf, size_t len)
{
	return write_uts(pi, buf, len, true);
}

/*
 * Integer sysctls the Sentry keeps but does not act on (nothing in it has such a knob):
 * programs read them, and root may set them within Linux's bounds (proc_dointvec_minmax,
 * proc_doulongvec_minmax: EINVAL outside them or for anything but one number).
 */
struct sysctl_num {
	_Atomic long long *val;
	long long min, max;
};

#define SYSCTL_NUM(var, init, lo, hi)                                         \
	static _Atomic long long var##_val = init;                            \
	static const struct sysctl_num var = { &var##_val, lo, hi }

SYSCTL_NUM(ctl_pid_max, 4194304, 301, 4194304);
/* threads-max starts at the cap clone enforces (writing it does not move the cap). */
SYSCTL_NUM(ctl_threads_max, KERNEL_MAX_TASKS, 20, 0x3fffffff);
SYSCTL_NUM(ctl_overcommit, 0, 0, 2);
SYSCTL_NUM(ctl_max_map_count, 65530, 0, 0x7fffffff);
SYSCTL_NUM(ctl_file_max, 9223372036854775807LL, 0, 9223372036854775807LL);
SYSCTL_NUM(ctl_nr_open, 1048576, 64, 1073741816);
SYSCTL_NUM(ctl_pipe_max, 1048576, 4096, 0x7fffffff);
SYSCTL_NUM(ctl_somaxconn, 4096, 0, 0x7fffffff);

static int show_num(struct proc_inode *pi, struct sbuf *sb)
{
	const struct sysctl_num *c = pi->e->data;

	sb_printf(sb, "%lld\n", atomic_load(c->val));
	return 0;
}

static ssize_t write_num(struct proc_inode *pi, const char *buf, size_t len)
{
	const struct sysctl_num *c = pi->e->data;
	char tmp[64], *end, *p = tmp;
	long long v;

	if (len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, buf, len);
	tmp[len] = 0;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	errno = 0;
	v = strtoll(p, &end, 10);
	if (end == p || errno)
		return -EINVAL;
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (*end || v < c->min || v > c->max)
		return -EINVAL;
	atomic_store(c->val, v);
	return (ssize_t)len;
}

/* Read-only numbers: what IPC_INFO reports (sentry/kernel/sysv.c) and fixed facts. */
struct sysctl_text {
	const char *text;
};

static int show_text(struct proc_inode *pi, struct sbuf *sb)
{
	const struct sysctl_text *c = pi->e->data;

	sb_printf(sb, "%s\n", c->text);
	return 0;
}

#define SYSCTL_TEXT(var, t) static const struct sysctl_text var = { t }
SYSCTL_TEXT(ctl_shmmax, "4294967296");
SYSCTL_TEXT(ctl_shmall, "1048576");
SYSCTL_TEXT(ctl_shmmni, "1024");
SYSCTL_TEXT(ctl_msgmax, "8192");
SYSCTL_TEXT(ctl_msgmnb, "16384");
SYSCTL_TEXT(ctl_msgmni, "1024");
SYSCTL_TEXT(ctl_sem, "32000\t32768000\t500\t1024");
SYSCTL_TEXT(ctl_core_pattern, "core");
SYSCTL_TEXT(ctl_entropy, "256");
SYSCTL_TEXT(ctl_poolsize, "256");
SYSCTL_NUM(ctl_randomize_va, 2, 0, 2);
SYSCTL_NUM(ctl_perf_paranoid, 2, -1, 4);
SYSCTL_NUM(ctl_swappiness, 60, 0, 200);
SYSCTL_NUM(ctl_overcommit_ratio, 50, 0, 0x7fffffff);

#define CTL_TEXT(n, var) { .name = n, .mode = S_IFREG | 0444, .show = show_text, \
			   .data = &var, .sysctl = true }
#define CTL_RO(n, fn) { .name = n, .mode = S_IFREG | 0444, .show = fn, .sysctl = true }
#define CTL_RW(n, fn, wfn) { .name = n, .mode = S_IFREG | 0644, .show = fn, .write = wfn, \
			     .sysctl = true }
#define CTL_NUM(n, var) { .name = n, .mode = S_IFREG | 0644, .show = show_num, \
			  .write = write_num, .data = &var, .sysctl = true }

#define CONST_FILE(fn, text)                                             \
	static int fn(struct proc_inode *pi, struct sbuf *sb)              \
	{                                                                  \
		(void)pi;                                                  \
		sb_printf(sb, "%s", text);                                 \
		return 0;                                                  \
	}

CONST_FILE(show_osrelease, PROCINFO_RELEASE "\n")
CONST_FILE(show_ostype, "Linux\n")
CONST_FILE(show_kversion, PROCINFO_VERSION "\n")
static int show_ngroups_max(struct proc_inode *pi, struct sbuf *sb)
{
	(void)pi;
	sb_printf(sb, "%d\n", NGROUPS_MAX_K); /* what setgroups(2) accepts here */
	return 0;
}

static int show_cap_last_cap(struct proc_inode *pi, struct sbuf *sb)
{
	(void)pi;
	sb_printf(sb, "%d\n", CAP_LAST_CAP_K);
	return 0;
}

static int show_boot_id(struct proc_inode *pi, struct sbuf *sb)
{
	(void)pi;
	sb_printf(sb, "%s\n", procinfo_boot_id());
	return 0;
}

/* A new random UUID on every read, as Linux's random/uuid. */
static int show_uuid(struct proc_inode *pi, struct sbuf *sb)
{
	char u[37];

	(void)pi;
	procinfo_uuid(u);
	sb_printf(sb, "%s\n", u);
	return 0;
}

static const struct pentry sys_random[] = {
	CTL_RO("boot_id", show_boot_id),
	CTL_RO("uuid", show_uuid),
	CTL_TEXT("entropy_avail", ctl_entropy),
	CTL_TEXT("poolsize", ctl_poolsize),
};

static const struct pentry sys_kernel[] = {
	CTL_RW("hostname", show_hostname, write_hostname),
	CTL_RW("domainname", show_domainname, write_domainname),
	CTL_RO("osrelease", show_osrelease),
	CTL_RO("ostype", show_ostype),
	CTL_RO("version", show_kversion),
	CTL_NUM("pid_max", ctl_pid_max),
	CTL_NUM("threads-max", ctl_threads_max),
	CTL_RO("ngroups_max", show_ngroups_max),
	CTL_RO("cap_last_cap", show_cap_last_cap),
	CTL_NUM("randomize_va_space", ctl_randomize_va),
	CTL_NUM("perf_event_paranoid", ctl_perf_paranoid),
	CTL_TEXT("core_pattern", ctl_core_pattern),
	CTL_TEXT("shmmax", ctl_shmmax),
	CTL_TEXT("shmall", ctl_shmall),
	CTL_TEXT("shmmni", ctl_shmmni),
	CTL_TEXT("msgmax", ctl_msgmax),
	CTL_TEXT("msgmnb", ctl_msgmnb),
	CTL_TEXT("msgmni", ctl_msgmni),
	CTL_TEXT("sem", ctl_sem),
	PDIR("random", 0555, sys_random),
};

static const struct pentry sys_vm[] = {
	CTL_NUM("overcommit_memory", ctl_overcommit),
	CTL_NUM("overcommit_ratio", ctl_overcommit_ratio),
	CTL_NUM("max_map_count", ctl_max_map_count),
	CTL_NUM("swappiness", ctl_swappiness),
};

static const struct pentry sys_fs[] = {
	CTL_NUM("file-max", ctl_file_max),
	CTL_NUM("nr_open", ctl_nr_open),
	CTL_NUM("pipe-max-size", ctl_pipe_max),
};

static const struct pentry sys_net_core[] = {
	CTL_NUM("somaxconn", ctl_somaxconn),
};

static const struct pentry sys_net[] = {
	PDIR("core", 0555, sys_net_core),
};

static const struct pentry sys_dirs[] = {
	PDIR("fs", 0555, sys_fs),
	PDIR("kernel", 0555, sys_kernel),
	PDIR("net", 0555, sys_net),
	PDIR("vm", 0555, sys_vm),
};

static const struct pentry root_entries[] = {
	PLINK("self", link_self),
	PLINK("thread-self", link_thread_self),
	PLINK("mounts", link_mounts),
	PFILE("meminfo", show_meminfo),
	PFILE("vmstat", show_vmstat),
	PFILE("cpuinfo", show_cpuinfo),
	PFILE("stat", show_stat),
	PFILE("uptime", show_uptime),
	PFILE("loadavg", show_loadavg),
	PFILE("version", show_version),
	PFILE("filesystems", show_filesystems),
	PFILE("cmdline", show_cmdline),
	PDIR("sys", 0555, sys_dirs),
};

static const struct pentry proc_root = {
	.name = "/", .mode = S_IFDIR | 0555, .children = root_entries,
	.nchildren = (int)ARRAY_SIZE(root_entries), .dyn = DYN_PIDS, .dyn_entry = &proc_pid_dir,
};

int procfs_mount_at(struct kernel *k, struct mount *root, const char *path)
{
	return proc_mount_tree(k, root, path, &proc_root, "proc");
}
