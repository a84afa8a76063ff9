/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc as programs use it: /proc/self/{stat,status,cmdline,comm,maps,fd,task,exe,limits},
 * the pid directories, meminfo, cpuinfo, uptime, and what the directories list and allow.
 * Only facts true on any Linux are printed (no pids, addresses or sizes).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tap.h"

/* The whole file into a malloc'd NUL-terminated buffer (length in *len), or NULL. */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	size_t cap = 4096, n = 0;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	for (;;) {
		if (n + 1 >= cap)
			buf = realloc(buf, cap *= 2);
		/* Small reads: the text must stay consistent across them. */
		ssize_t r = read(fd, buf + n, n % 7 + 1 < cap - n - 1 ? n % 7 + 1 : cap - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

/* The value after "Key:" in a status-like text, or -1. */
static long status_field(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ':')
			return strtol(p + kl + 1, NULL, 10);
	}
	return -1;
}

static int count_dir(const char *path, int *max_num)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	if (max_num)
		*max_num = -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		if (max_num && atoi(e->d_name) > *max_num)
			*max_num = atoi(e->d_name);
	}
	closedir(d);
	return n;
}

static void test_stat(void)
{
	char *s = slurp("/proc/self/stat", NULL);
	long pid = -1, ppid = -1;
	char state = 0;

	ok(s != NULL, "/proc/self/stat opens");
	if (!s)
		return;
	pid = strtol(s, NULL, 10);
	char *rp = strrchr(s, ')');
	if (rp)
		sscanf(rp + 2, "%c %ld", &state, &ppid);
	is_int(pid, getpid(), "stat field 1 is getpid()");
	is_int(ppid, getppid(), "stat field 4 is getppid()");
	ok(strstr(s, "(procfs)") != NULL, "stat field 2 is (comm)");
	ok(state == 'R', "stat state of the reader is R");
	int fields = 0;
	for (char *p = rp + 1; *p; p++)
		fields += *p == ' ';
	ok(fields >= 50, "stat has at least 52 fields");
	free(s);
}

static void test_status(void)
{
	char *s = slurp("/proc/self/status", NULL);

	ok(s != NULL, "/proc/self/status opens");
	if (!s)
		return;
	is_int(status_field(s, "Tgid"), getpid(), "status Tgid");
	is_int(status_field(s, "Pid"), getpid(), "status Pid");
	is_int(status_field(s, "PPid"), getppid(), "status PPid");
	is_int(status_field(s, "Threads"), 1, "status Threads: 1");
	ok(strncmp(s, "Name:\tprocfs\n", 13) == 0, "status starts with Name");
	ok(strstr(s, "\nUid:\t") && strstr(s, "\nGid:\t") && strstr(s, "\nVmSize:") &&
		   strstr(s, "\nSigBlk:\t") && strstr(s, "\nCapEff:\t") &&
		   strstr(s, "\nCpus_allowed_list:\t"),
	   "status has Uid, Gid, VmSize, SigBlk, CapEff, Cpus_allowed_list");
	char want[64];
	snprintf(want, sizeof(want), "\nUid:\t%u\t%u\t", getuid(), geteuid());
	ok(strstr(s, want) != NULL, "status Uid is getuid/geteuid");
	free(s);
}

static void *sleeper(void *arg)
{
	int *fd = arg;
	char c;

	read(fd[0], &c, 1);
	return NULL;
}

static void test_threads(void)
{
	pthread_t th;
	int p[2];
	char *s;

	pipe(p);
	pthread_create(&th, NULL, sleeper, p);
	s = slurp("/proc/self/status", NULL);
	is_int(status_field(s, "Threads"), 2, "status Threads: 2 with a pthread");
	free(s);
	is_int(count_dir("/proc/self/task", NULL), 2, "task/ lists 2 threads");
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", gettid());
	s = slurp(path, NULL);
	ok(s && strtol(s, NULL, 10) == gettid(), "task/TID/stat names the thread");
	free(s);
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", gettid());
	s = slurp(path, NULL);
	ok(s && strcmp(s, "procfs\n") == 0, "task/TID/comm");
	free(s);
	write(p[1], "x", 1);
	pthread_join(th, NULL);
	close(p[0]);
	close(p[1]);
	/* The kernel clears the joined thread's tid (ending the join) just before it is gone. */
	int left = count_dir("/proc/self/task", NULL);
	for (int i = 0; i < 200 && left != 1; i++) {
		usleep(5000);
		left = count_dir("/proc/self/task", NULL);
	}
	is_int(left, 1, "task/ lists 1 thread after the join");
}

static void test_cmdline(int argc, char **argv)
{
	size_t len, want = 0;
	char *s = slurp("/proc/self/cmdline", &len);

	for (int i = 0; i < argc; i++)
		want += strlen(argv[i]) + 1;
	ok(s && len == want, "cmdline length is argv joined by NULs");
	bool same = s && len == want;
	for (size_t off = 0, i = 0; same && i < (size_t)argc; i++) {
		same = strcmp(s + off, argv[i]) == 0;
		off += strlen(argv[i]) + 1;
	}
	ok(same, "cmdline == argv joined by NULs");
	free(s);
	s = slurp("/proc/self/environ", &len);
	ok(s && (len == 0 || s[len - 1] == 0), "environ is NUL-terminated strings");
	free(s);
	uint64_t *av = (uint64_t *)slurp("/proc/self/auxv", &len);
	bool pagesz = false, uid = false;
	for (size_t i = 0; av && i + 1 < len / 8; i += 2) {
		pagesz |= av[i] == AT_PAGESZ && av[i + 1] == getauxval(AT_PAGESZ);
		uid |= av[i] == AT_UID && av[i + 1] == getauxval(AT_UID);
	}
	ok(av && len % 16 == 0 && len >= 16 && av[len / 8 - 2] == AT_NULL, "auxv ends with AT_NULL");
	ok(pagesz && uid, "auxv has AT_PAGESZ and AT_UID as getauxval says");
	free(av);
}

static void test_exe(char **argv)
{
	char link[PATH_MAX], *real;
	ssize_t n = readlink("/proc/self/exe", link, sizeof(link) - 1);

	ok(n > 0, "readlink /proc/self/exe");
	if (n <= 0)
		return;
	link[n] = 0;
	real = realpath(argv[0], NULL);
	if (real)
		ok(strcmp(real, link) == 0, "exe names this program");
	else /* the program is outside the sandbox's view: still a name */
		ok(strrchr(link, '/') && strcmp(strrchr(link, '/') + 1, "procfs") == 0,
		   "exe names this program");
	free(real);
	n = readlink("/proc/self", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	is_int(atoi(link), getpid(), "readlink /proc/self is the pid");
	char want[64];
	snprintf(want, sizeof(want), "%d/task/%d", getpid(), gettid());
	n = readlink("/proc/thread-self", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	ok(strcmp(link, want) == 0, "readlink /proc/thread-self is pid/task/tid");
	char cwd[PATH_MAX];
	n = readlink("/proc/self/cwd", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	ok(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, link) == 0, "cwd link is getcwd()");
	n = readlink("/proc/self/root", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	ok(strcmp(link, "/") == 0, "root link is /");
}

static void test_maps(void)
{
	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *s = slurp("/proc/self/maps", NULL), *line;
	bool found = false, stack = false;

	ok(s != NULL, "/proc/self/maps opens");
	for (line = s; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long lo, hi;
		char perms[5];
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3)
			continue;
		if (lo <= (unsigned long)p && (unsigned long)p + 3 * 4096 <= hi &&
		    strcmp(perms, "rw-p") == 0)
			found = true;
		char *nl = strchr(line, '\n');
		if (nl && nl - line > 7 && strncmp(nl - 7, "[stack]", 7) == 0)
			stack = true;
	}
	ok(found, "maps has an rw-p line covering a fresh mmap");
	ok(stack, "maps names [stack]");
	free(s);
	munmap(p, 3 * 4096);
}

static void test_fds(void)
{
	int before = count_dir("/proc/self/fd", NULL);
	int fd = open("/proc/self/status", O_RDONLY);
	int p[2];
	int maxfd;

	pipe(p);
	int after = count_dir("/proc/self/fd", &maxfd);
	/* opendir itself holds one fd while listing: both counts include it. */
	is_int(after - before, 3, "fd/ lists the 3 fds we opened");
	char path[64], link[256];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	ok(strncmp(link, "pipe:[", 6) == 0, "fd/N of a pipe reads pipe:[ino]");
	struct stat st;
	ok(lstat(path, &st) == 0 && (st.st_mode & 0777) == 0500, "fd/N of a read end is lr-x");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[1]);
	ok(lstat(path, &st) == 0 && (st.st_mode & 0777) == 0300, "fd/N of a write end is l-wx");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	char want[64];
	snprintf(want, sizeof(want), "/proc/%d/status", getpid());
	ok(strcmp(link, want) == 0, "fd/N of a file names its path");
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	char *s = slurp(path, NULL);
	ok(s && strncmp(s, "pos:\t0\nflags:\t0", 15) == 0, "fdinfo has pos and flags");
	free(s);
	close(p[0]);
	close(p[1]);
	close(fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	is_errno(readlink(path, link, sizeof(link)), ENOENT, "fd/N of a closed fd: ENOENT");
	is_int(count_dir("/proc/self/fd", NULL), before, "fd/ after closing them");
}

static void test_comm(void)
{
	char *s;

	prctl(PR_SET_NAME, "renamed");
	s = slurp("/proc/self/comm", NULL);
	ok(s && strcmp(s, "renamed\n") == 0, "comm after PR_SET_NAME");
	free(s);
	int fd = open("/proc/self/comm", O_WRONLY);
	ok(fd >= 0 && write(fd, "again", 5) == 5, "comm is writable by the process");
	close(fd);
	s = slurp("/proc/self/comm", NULL);
	ok(s && strcmp(s, "again\n") == 0, "comm after writing it");
	free(s);
	prctl(PR_SET_NAME, "procfs");
}

static void test_dirs(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool self = false, mine = false;
	char me[16];

	snprintf(me, sizeof(me), "%d", getpid());
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, "self") == 0)
			self = e->d_type == DT_LNK;
		if (strcmp(e->d_name, me) == 0)
			mine = e->d_type == DT_DIR;
	}
	if (d)
		closedir(d);
	ok(mine, "/proc lists getpid() as a directory");
	ok(self, "/proc lists self as a symlink");

	struct stat st;
	ok(stat("/proc/self/status", &st) == 0 && (st.st_mode & 07777) == 0444 &&
		   S_ISREG(st.st_mode), "status is a 0444 regular file");
	ok(lstat("/proc/self/exe", &st) == 0 && S_ISLNK(st.st_mode) &&
		   (st.st_mode & 0777) == 0777, "exe is a 0777 symlink");
	ok(stat("/proc/self", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0555 &&
		   st.st_uid == geteuid(), "the pid directory is 0555 and ours");
	ok(stat("/proc/self/fd", &st) == 0 && (st.st_mode & 07777) == 0500, "fd/ is 0500");
	ok(stat("/proc/meminfo", &st) == 0 && (st.st_mode & 07777) == 0444, "meminfo is 0444");
	if (geteuid() != 0) {
		is_errno(open("/proc/meminfo", O_WRONLY), EACCES, "meminfo is not writable");
	} else { /* root may open it; the write fails */
		int wfd = open("/proc/meminfo", O_WRONLY);
		ok(wfd >= 0 && write(wfd, "x", 1) < 0 && errno == EIO, "meminfo is not writable");
		close(wfd);
	}
	is_errno(chmod("/proc/self/status", 0644), EPERM, "chmod in /proc/PID: EPERM");
	is_errno(open("/proc/999999999/status", O_RDONLY), ENOENT, "no such pid: ENOENT");
	is_errno(open("/proc/nonesuch", O_RDONLY), ENOENT, "no such file: ENOENT");

	/* A child's directory goes away once it is reaped. */
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d", c);
	int dfd = open(path, O_RDONLY | O_DIRECTORY);
	ok(dfd >= 0, "a child's pid directory");
	waitpid(c, NULL, 0);
	is_errno(stat(path, &st), ENOENT, "a reaped child's directory: ENOENT");
	int sfd = openat(dfd, "status", O_RDONLY);
	ok(sfd < 0 && (errno == ENOENT || errno == ESRCH), "its open directory is empty");
	close(dfd);
}

static void test_system(void)
{
	char *s = slurp("/proc/meminfo", NULL);

	ok(s && strncmp(s, "MemTotal:", 9) == 0 && strstr(s, "\nMemFree:") &&
		   strstr(s, "\nMemAvailable:"), "meminfo has MemTotal, MemFree, MemAvailable");
	free(s);
	s = slurp("/proc/cpuinfo", NULL);
	int n = 0;
	for (char *p = s; p && (p = strstr(p, "processor\t:")); p++)
		n++;
	is_int(n, sysconf(_SC_NPROCESSORS_ONLN), "cpuinfo processors == _SC_NPROCESSORS_ONLN");
	free(s);
	s = slurp("/proc/uptime", NULL);
	double up = -1, idle = -1;
	ok(s && sscanf(s, "%lf %lf", &up, &idle) == 2 && up >= 0 && idle >= 0,
	   "uptime is two floats");
	free(s);
	s = slurp("/proc/stat", NULL);
	ok(s && strncmp(s, "cpu ", 4) == 0 && strstr(s, "\nbtime ") && strstr(s, "\nprocesses "),
	   "stat has cpu, btime, processes");
	free(s);
	s = slurp("/proc/loadavg", NULL);
	double a, b, c;
	ok(s && sscanf(s, "%lf %lf %lf", &a, &b, &c) == 3, "loadavg has three averages");
	free(s);
	s = slurp("/proc/sys/kernel/ostype", NULL);
	ok(s && strcmp(s, "Linux\n") == 0, "sys/kernel/ostype");
	free(s);
	s = slurp("/proc/self/limits", NULL);
	ok(s && strncmp(s, "Limit ", 6) == 0 && strstr(s, "\nMax open files "), "limits");
	free(s);
	s = slurp("/proc/self/mounts", NULL);
	ok(s && strstr(s, " /proc proc "), "mounts lists /proc");
	free(s);
	s = slurp("/sys/devices/system/cpu/online", NULL);
	ok(s && s[0] == '0', "sys/devices/system/cpu/online");
	free(s);
}

int main(int argc, char **argv)
{
	test_stat();
	test_status();
	test_threads();
	test_cmdline(argc, argv);
	test_exe(argv);
	test_maps();
	test_fds();
	test_comm();
	test_dirs();
	test_system();
	return done_testing();
}
