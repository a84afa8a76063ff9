// SPDX-License-Identifier: Apache-2.0
/*
 * A minimal /sys: the CPU topology files glibc (get_nprocs), nproc and language runtimes
 * read, an empty fs/cgroup, and transparent_hugepage/enabled. Built on the proc engine
 * (fs/proc/inode.c); every file is generated from the kernel's CPU count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/proc/proc_impl.h"
#include "sentry/kernel/kernel.h"

/* The CPUs are 0..ncpus-1. */
static unsigned int ncpus(struct proc_inode *pi)
{
	struct procinfo_sys s;

	procinfo_system(proc_kernel(pi), &s);
	return s.ncpus ? s.ncpus : 1;
}

static int show_cpu_range(struct proc_inode *pi, struct sbuf *sb)
{
	unsigned int n = ncpus(pi);

	if (n == 1)
		sb_printf(sb, "0\n");
	else
		sb_printf(sb, "0-%u\n", n - 1);
	return 0;
}

static int show_kernel_max(struct proc_inode *pi, struct sbuf *sb)
{
	(void)pi;
	sb_printf(sb, "8191\n");
	return 0;
}

static int show_one(struct proc_inode *pi, struct sbuf *sb)
{
	(void)pi;
	sb_printf(sb, "1\n");
	return 0;
}

static int show_thp(struct proc_inode *pi, struct sbuf *sb)
{
	(void)pi;
	sb_printf(sb, "always [madvise] never\n");
	return 0;
}

static const struct pentry empty[] = { { .name = NULL } };

/* cpuN/: "online" (cpu0 has none on Linux; harmless here) and an empty topology/. */
static const struct pentry cpu_n[] = {
	PFILE("online", show_one),
	{ .name = "topology", .mode = S_IFDIR | 0555, .children = empty, .nchildren = 0 },
};

static const struct pentry cpu_n_dir = PDIR("", 0555, cpu_n);

static const struct pentry cpu_entries[] = {
	PFILE("online", show_cpu_range),
	PFILE("possible", show_cpu_range),
	PFILE("present", show_cpu_range),
	PFILE("kernel_max", show_kernel_max),
};

static const struct pentry thp_entries[] = {
	PFILE("enabled", show_thp),
};

static const struct pentry mm_entries[] = {
	PDIR("transparent_hugepage", 0555, thp_entries),
};

static const struct pentry kernel_entries[] = {
	PDIR("mm", 0555, mm_entries),
};

static const struct pentry cgroup_dir = {
	.name = "cgroup", .mode = S_IFDIR | 0555, .children = empty, .nchildren = 0,
};

static const struct pentry fs_entries[] = { cgroup_dir };

/*
 * The cpu directory's children are "cpuN", not plain numbers, so its table is built for the
 * CPU count at mount time (one sandbox per Sentry process: static tables are enough).
 */
#define SYSFS_MAX_CPUS 256
static struct pentry cpu_all[ARRAY_SIZE(cpu_entries) + SYSFS_MAX_CPUS];
static char cpu_names[SYSFS_MAX_CPUS][8];
static struct pentry cpu_dir[1];
static struct pentry devices_entries[1];
static struct pentry sys_entries[3];
static struct pentry sys_root;

int sysfs_mount_at(struct kernel *k, struct mount *root, const char *path)
{
	unsigned int n = k->ncpus ? k->ncpus : 1;
	int c = 0;

	if (n > SYSFS_MAX_CPUS)
		n = SYSFS_MAX_CPUS;
	for (size_t i = 0; i < ARRAY_SIZE(cpu_entries); i++)
		cpu_all[c++] = cpu_entries[i];
	for (unsigned int i = 0; i < n; i++) {
		snprintf(cpu_names[i], sizeof(cpu_names[i]), "cpu%u", i);
		cpu_all[c] = cpu_n_dir;
		cpu_all[c++].name = cpu_names[i];
	}
	cpu_dir[0] = (struct pentry){ .name = "cpu", .mode = S_IFDIR | 0555,
				      .children = cpu_all, .nchildren = c };
	devices_entries[0] = (struct pentry){ .name = "system", .mode = S_IFDIR | 0555,
					      .children = cpu_dir, .nchildren = 1 };
	sys_entries[0] = (struct pentry){ .name = "devices", .mode = S_IFDIR | 0555,
					  .children = devices_entries, .nchildren = 1 };
	sys_entries[1] = (struct pentry){ .name = "fs", .mode = S_IFDIR | 0555,
					  .children = fs_entries, .nchildren = 1 };
	sys_entries[2] = (struct pentry){ .name = "kernel", .mode = S_IFDIR | 0555,
					  .children = kernel_entries, .nchildren = 1 };
	sys_root = (struct pentry){ .name = "/", .mode = S_IFDIR | 0555, .children = sys_entries,
				    .nchildren = 3 };
	return proc_mount_tree(k, root, path, &sys_root, "sysfs");
}
