/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /proc/PID/mem, smaps, smaps_rollup, statm, io, oom_score(_adj), wchan: what debuggers,
 * memory profilers and service managers read and write. Only facts true on any Linux are
 * printed (no pids, addresses or sizes beyond those the test chose).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tap.h"

#define PG 4096

static char *slurp(const char *path)
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
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	close(fd);
	return buf;
}

/* "Name: value" of a key-value file, or -1. */
static long long field(const char *text, const char *name)
{
	size_t l = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, name, l) == 0 && p[l] == ':')
			return strtoll(p + l + 1, NULL, 10);
	return -1;
}

static long long io_field(const char *name)
{
	char *t = slurp("/proc/self/io");
	long long v = t ? field(t, name) : -1;

	free(t);
	return v;
}

/* The smaps block of the VMA starting at @addr (malloc'd), or NULL. */
static char *smaps_entry(const char *file, void *addr)
{
	char *t = slurp(file), key[32];
	char *r = NULL;

	if (!t)
		return NULL;
	snprintf(key, sizeof key, "%08lx-", (unsigned long)addr);
	for (char *p = t; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, strlen(key)) != 0)
			continue;
		char *end = strstr(p, "VmFlags:");
		end = end ? strchr(end, '\n') : NULL;
		if (end)
			r = strndup(p, (size_t)(end - p + 1));
		break;
	}
	free(t);
	return r;
}

static void test_mem_self(void)
{
	static char buf[64] = "the quick brown fox";
	char got[64];
	int fd = open("/proc/self/mem", O_RDWR);

	ok(fd >= 0, "open /proc/self/mem read-write");
	is_int(pread(fd, got, 20, (off_t)(uintptr_t)buf), 20, "pread at a buffer's address");
	ok(memcmp(got, "the quick brown fox", 20) == 0, "reads the buffer's bytes");
	is_int(pwrite(fd, "THE", 3, (off_t)(uintptr_t)buf), 3, "pwrite at the buffer's address");
	ok(memcmp(buf, "THE quick", 9) == 0, "the write changed the buffer");
	ok(lseek(fd, (off_t)(uintptr_t)(buf + 4), SEEK_SET) == (off_t)(uintptr_t)(buf + 4),
	   "lseek to an address");
	is_int(read(fd, got, 5), 5, "read at the file position");
	ok(memcmp(got, "quick", 5) == 0, "read from the sought address");

	/* Protections: a debugger reads and patches read-only private pages (FOLL_FORCE). */
	char *ro = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	strcpy(ro, "read-only data");
	mprotect(ro, PG, PROT_READ);
	is_int(pread(fd, got, 14, (off_t)(uintptr_t)ro), 14, "pread of a PROT_READ page");
	ok(memcmp(got, "read-only data", 14) == 0, "sees its bytes");
	is_int(pwrite(fd, "READ", 4, (off_t)(uintptr_t)ro), 4, "pwrite to a PROT_READ private page");
	ok(memcmp(ro, "READ-only", 9) == 0, "the forced write is visible");

	/* PROT_NONE: still read and written (FOLL_FORCE), untouched pages read as zeroes. */
	char *none = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	strcpy(none, "secret");
	mprotect(none, 2 * PG, PROT_NONE);
	memset(got, 1, sizeof got);
	ok(pread(fd, got, 6, (off_t)(uintptr_t)none) == 6 && memcmp(got, "secret", 6) == 0,
	   "pread of a PROT_NONE page");
	is_int(pwrite(fd, "SE", 2, (off_t)(uintptr_t)none), 2, "pwrite to a PROT_NONE page");
	ok(pread(fd, got, 4, (off_t)(uintptr_t)(none + PG)) == 4 && memcmp(got, "\0\0\0\0", 4) == 0,
	   "an untouched PROT_NONE page reads as zeroes");
	mprotect(none, PG, PROT_READ);
	ok(memcmp(none, "SEcret", 6) == 0, "the PROT_NONE write is there");
	munmap(none, 2 * PG);

	/* A private file mapping is patched in a copy: the file keeps its bytes. */
	/* (A file of our own: the program itself may be out of the guest's sight, e.g. a
	 * checkout under the host's /tmp.) */
	char xpath[] = "/tmp/procmem.XXXXXX";
	int xfd = mkstemp(xpath);
	if (write(xfd, "\x7f" "ELF", 4) != 4 || ftruncate(xfd, PG) != 0)
		diag("could not write %s", xpath);
	unlink(xpath);
	char *text = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, xfd, 0);
	is_int(pwrite(fd, "\x7fPATCH", 6, (off_t)(uintptr_t)text), 6,
	       "pwrite to a private read-only file mapping");
	ok(memcmp(text, "\x7fPATCH", 6) == 0, "the mapping sees the patch");
	ok(pread(xfd, got, 4, 0) == 4 && memcmp(got, "\x7f" "ELF", 4) == 0, "the file does not");
	munmap(text, PG);
	close(xfd);

	/* Unmapped: EIO; a read running into a hole stops there. */
	munmap(ro + PG, PG);
	errno = 0;
	ok(pread(fd, got, 8, (off_t)(uintptr_t)(ro + PG)) == -1 && errno == EIO,
	   "pread of an unmapped address: EIO");
	ok(pwrite(fd, got, 8, (off_t)(uintptr_t)(ro + PG)) == -1 && errno == EIO,
	   "pwrite to an unmapped address: EIO");
	is_int(pread(fd, got, 16, (off_t)(uintptr_t)(ro + PG - 8)), 8,
	       "a read across the end of a mapping is short");

	/* A read-only shared mapping is never written, forced or not. */
	int mfd = memfd_create("procmem", 0);
	ftruncate(mfd, PG);
	pwrite(mfd, "shared", 6, 0);
	char *sh = mmap(NULL, PG, PROT_READ, MAP_SHARED, mfd, 0);
	is_int(pread(fd, got, 6, (off_t)(uintptr_t)sh), 6, "pread of a read-only shared mapping");
	ok(memcmp(got, "shared", 6) == 0, "sees the file's bytes");
	ok(pwrite(fd, "X", 1, (off_t)(uintptr_t)sh) == -1 && errno == EIO,
	   "pwrite to a read-only shared mapping: EIO");
	munmap(sh, PG);
	close(mfd);
	munmap(ro, PG);
	close(fd);
}

/* Another process's memory: read and patch a forked child's copy of a buffer. */
static void test_mem_child(void)
{
	static char buf[32] = "parent value";
	int to[2], from[2];
	char c, path[64], got[32];

	pipe(to);
	pipe(from);
	pid_t pid = fork();
	if (pid == 0) {
		strcpy(buf, "child value");
		write(from[1], "r", 1);
		read(to[0], &c, 1); /* the parent has written */
		_exit(memcmp(buf, "CHILD value", 11) == 0 ? 0 : 1);
	}
	read(from[0], &c, 1);
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	int fd = open(path, O_RDWR);
	ok(fd >= 0, "open a child's mem");
	is_int(pread(fd, got, 11, (off_t)(uintptr_t)buf), 11, "pread of the child's buffer");
	ok(memcmp(got, "child value", 11) == 0, "sees the child's copy, not ours");
	is_int(pwrite(fd, "CHILD", 5, (off_t)(uintptr_t)buf), 5, "pwrite into the child");
	ok(strcmp(buf, "parent value") == 0, "our copy is untouched");
	write(to[1], "w", 1);
	int st;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child saw the write");
	/* The open file holds the mm, not the task: once nobody uses it, reads give 0. */
	is_int(pread(fd, got, 4, (off_t)(uintptr_t)buf), 0, "a reaped child's mem reads 0");
	is_int(pwrite(fd, got, 4, (off_t)(uintptr_t)buf), 0, "and writes 0");
	close(fd);
	close(to[0]);
	close(to[1]);
	close(from[0]);
	close(from[1]);
}

/* A page the child shares copy-on-write with us (and has mapped): the write copies it. */
static void test_mem_child_cow(void)
{
	static char page[PG] __attribute__((aligned(PG))) = "original";
	volatile char *vp = page;
	int to[2], from[2];
	char c, path[64];

	pipe(to);
	pipe(from);
	pid_t pid = fork();
	if (pid == 0) {
		c = vp[0]; /* mapped, still shared */
		write(from[1], &c, 1);
		read(to[0], &c, 1);
		_exit(memcmp((const char *)vp, "PATCHED", 7) == 0 ? 0 : 1);
	}
	read(from[0], &c, 1);
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	int fd = open(path, O_WRONLY);
	is_int(pwrite(fd, "PATCHED", 7, (off_t)(uintptr_t)page), 7, "pwrite a COW-shared page");
	write(to[1], "g", 1);
	int st;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child sees the patch");
	ok(strcmp(page, "original") == 0, "we keep the original");
	close(fd);
	close(to[0]);
	close(to[1]);
	close(from[0]);
	close(from[1]);
}

/* ptrace's attach rule: another user's (or a non-dumpable) process's mem and io: EACCES. */
static void test_mem_access(void)
{
	int sync[2], go[2];
	char c, path[64];

	pipe(sync);
	pipe(go);
	pid_t victim = fork();
	if (victim == 0) {
		setgid(65534);
		setuid(65534);
		prctl(PR_SET_DUMPABLE, 1); /* Linux cleared it at setuid; we want it set */
		write(sync[1], "a", 1);
		read(go[0], &c, 1);
		prctl(PR_SET_DUMPABLE, 0);
		write(sync[1], "b", 1);
		read(go[0], &c, 1);
		_exit(0);
	}
	read(sync[0], &c, 1);
	pid_t prober = fork();
	if (prober == 0) {
		setgid(65534);
		setuid(65534);
		prctl(PR_SET_DUMPABLE, 1);
		snprintf(path, sizeof path, "/proc/%d/mem", victim);
		int fd = open(path, O_RDONLY);
		_exit(fd >= 0 ? 0 : 1);
	}
	int st;
	waitpid(prober, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "same uid, dumpable: mem opens");
	write(go[1], "g", 1);
	read(sync[0], &c, 1);
	prober = fork();
	if (prober == 0) {
		setgid(65534);
		setuid(65534);
		snprintf(path, sizeof path, "/proc/%d/mem", victim);
		int fd = open(path, O_RDONLY);
		int e1 = fd < 0 ? errno : 0;
		snprintf(path, sizeof path, "/proc/%d/io", victim);
		char *t = slurp(path);
		snprintf(path, sizeof path, "/proc/%d/smaps", victim);
		int e3 = open(path, O_RDONLY) < 0 ? errno : 0;
		snprintf(path, sizeof path, "/proc/%d/stat", victim);
		int e4 = open(path, O_RDONLY) < 0 ? errno : 0;
		_exit((e1 == EACCES ? 1 : 0) | (t == NULL || !*t ? 2 : 0) | (e3 == EACCES ? 4 : 0) |
		      (e4 == 0 ? 8 : 0));
	}
	waitpid(prober, &st, 0);
	ok(WIFEXITED(st) && (WEXITSTATUS(st) & 1), "not dumpable: mem is EACCES");
	ok(WIFEXITED(st) && (WEXITSTATUS(st) & 2), "not dumpable: io cannot be read");
	ok(WIFEXITED(st) && (WEXITSTATUS(st) & 4), "not dumpable: smaps is EACCES");
	ok(WIFEXITED(st) && (WEXITSTATUS(st) & 8), "not dumpable: stat still opens");
	snprintf(path, sizeof path, "/proc/%d/mem", victim);
	int fd = open(path, O_RDONLY);
	ok(fd >= 0, "root (CAP_SYS_PTRACE) opens it anyway");
	close(fd);
	prober = fork();
	if (prober == 0) {
		setgid(12345);
		setuid(12345);
		snprintf(path, sizeof path, "/proc/%d/mem", getppid());
		fd = open(path, O_RDONLY);
		_exit(fd < 0 && errno == EACCES ? 0 : 1);
	}
	waitpid(prober, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "another user's mem: EACCES");
	write(go[1], "g", 1);
	waitpid(victim, &st, 0);
	close(sync[0]);
	close(sync[1]);
	close(go[0]);
	close(go[1]);
}

/* Linux's commit_creds: changing ids ends dumpability (and the parent-death signal). */
static void test_dumpable_reset(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		int sig = -1, fd;
		struct stat st;
		DIR *d;
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (prctl(PR_GET_DUMPABLE) != 1)
			_exit(1);
		setgid(65534);
		setuid(65534);
		if (prctl(PR_GET_DUMPABLE) != 0)
			_exit(2);
		prctl(PR_GET_PDEATHSIG, &sig);
		if (sig != 0)
			_exit(3);
		if (stat("/proc/self/status", &st) != 0 || st.st_uid != 0)
			_exit(4);
		if (open("/proc/self/mem", O_RDONLY) >= 0 || errno != EACCES)
			_exit(5);
		/* Its own fd/ stays open to it (Linux's proc_fd_permission), fdinfo/ too. */
		d = opendir("/proc/self/fd");
		if (!d || stat("/proc/self/fd", &st) != 0 || st.st_uid != 0)
			_exit(6);
		closedir(d);
		fd = open("/proc/self/fd/0", O_RDONLY); /* /dev/null */
		if (fd < 0)
			_exit(7);
		close(fd);
		fd = open("/proc/self/fdinfo/1", O_RDONLY);
		if (fd < 0)
			_exit(8);
		close(fd);
		prctl(PR_SET_DUMPABLE, 1);
		if (stat("/proc/self/status", &st) != 0 || st.st_uid != 65534)
			_exit(9);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0,
	       "setuid: not dumpable, no pdeath signal, /proc/self is root's but fd/ still ours");
}

static void test_smaps(void)
{
	char *m = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < 4; i++)
		m[i * PG] = 1;
	char *e = smaps_entry("/proc/self/smaps", m);
	ok(e != NULL, "smaps has an entry for a new mapping");
	if (!e)
		return;
	ok(strstr(e, " rw-p 00000000 00:00 0") != NULL, "its header: rw-p, anonymous");
	is_int(field(e, "Size"), 64, "Size: 64 kB");
	is_int(field(e, "KernelPageSize"), 4, "KernelPageSize: 4 kB");
	long long rss = field(e, "Rss");
	ok(rss >= 16 && rss <= 64, "Rss covers the touched pages, within Size");
	is_int(field(e, "Anonymous"), rss, "Anonymous is the Rss of anonymous memory");
	is_int(field(e, "Pss"), rss, "Pss: the pages are ours alone");
	is_int(field(e, "Swap"), 0, "Swap: 0 kB");
	ok(strstr(e, "VmFlags: rd wr ") != NULL, "VmFlags: rd wr ...");
	free(e);
	mprotect(m, 16 * PG, PROT_READ);
	e = smaps_entry("/proc/self/smaps", m);
	ok(e && strstr(e, " r--p ") != NULL, "mprotect shows in smaps");
	ok(e && strstr(e, "VmFlags: rd mr") != NULL, "VmFlags: rd, no wr");
	free(e);
	munmap(m, 16 * PG);
	e = smaps_entry("/proc/self/smaps", m);
	ok(e == NULL, "an unmapped range has no entry");
	free(e);

	/* Sharing: a forked child maps the same page until it writes its own copy. */
	char *one = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	one[0] = 1;
	int to[2], from[2];
	char c;
	pipe(to);
	pipe(from);
	pid_t pid = fork();
	if (pid == 0) {
		read(to[0], &c, 1);
		one[0] = 2; /* copy on write */
		write(from[1], "w", 1);
		read(to[0], &c, 1);
		_exit(0);
	}
	e = smaps_entry("/proc/self/smaps", one);
	ok(e && field(e, "Rss") == 4 && field(e, "Pss") == 2, "shared with a child: Pss is half");
	ok(e && field(e, "Shared_Dirty") == 4 && field(e, "Private_Dirty") == 0,
	   "Shared_Dirty: the page");
	free(e);
	write(to[1], "g", 1);
	read(from[0], &c, 1);
	e = smaps_entry("/proc/self/smaps", one);
	ok(e && field(e, "Pss") == 4 && field(e, "Private_Dirty") == 4,
	   "after the child's write: Private_Dirty, whole Pss");
	free(e);
	write(to[1], "g", 1);
	waitpid(pid, NULL, 0);
	munmap(one, PG);
	close(to[0]);
	close(to[1]);
	close(from[0]);
	close(from[1]);

	/* A file mapping names its file, offset and inode. */
	/* A file of our own in /tmp (the program may be out of the guest's sight). */
	char exe[] = "/tmp/procmem-map.XXXXXX", want[128];
	int fd = mkstemp(exe);
	struct stat st;
	if (ftruncate(fd, 3 * PG) != 0 || pwrite(fd, "page1", 5, PG) != 5)
		diag("could not write %s", exe);
	fstat(fd, &st);
	char *f = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE, fd, PG);
	volatile char touch = f[0] + f[PG]; /* resident file pages, for statm below */
	(void)touch;
	e = smaps_entry("/proc/self/smaps", f);
	snprintf(want, sizeof want, " r--p %08x ", PG);
	ok(e && strstr(e, want) != NULL, "a file mapping's header: r--p and its offset");
	snprintf(want, sizeof want, " %llu ", (unsigned long long)st.st_ino);
	ok(e && strstr(e, want) != NULL, "its inode number");
	ok(e && strstr(e, exe) != NULL, "its path");
	is_int(e ? field(e, "Size") : -1, 8, "Size: 8 kB");
	is_int(e ? field(e, "Anonymous") : -1, 0, "Anonymous: 0 kB for clean file pages");
	free(e);

	/* maps and smaps list the same mappings. */
	char *maps = slurp("/proc/self/maps"), *sm = slurp("/proc/self/smaps");
	int nm = 0, ns = 0;
	for (char *p = maps; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		nm++;
	for (char *p = sm; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		ns += strncmp(p, "Size:", 5) == 0;
	ok(nm > 0 && nm == ns, "smaps has one entry per maps line");
	free(maps);
	free(sm);

	char *r = slurp("/proc/self/smaps_rollup");
	ok(r && strstr(r, "[rollup]\n") != NULL, "smaps_rollup's header names [rollup]");
	ok(r && field(r, "Rss") > 0, "smaps_rollup: Rss > 0");
	ok(r && field(r, "Pss_Anon") >= 0 && field(r, "Pss_File") >= 0, "has Pss_Anon, Pss_File");
	ok(r && field(r, "Rss") >= field(r, "Anonymous"), "Rss >= Anonymous");
	free(r);

	char *s = slurp("/proc/self/statm");
	unsigned long v[7];
	ok(s && sscanf(s, "%lu %lu %lu %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			&v[6]) == 7, "statm: seven numbers");
	ok(s && v[0] >= v[1] && v[1] > 0, "statm: size >= resident > 0");
	ok(s && v[2] > 0 && v[2] <= v[1], "statm: 0 < shared (file pages) <= resident");
	free(s);
	munmap(f, 2 * PG);
	close(fd);
	unlink(exe);
}

static void test_io(void)
{
	static char buf[10000];
	long long w0 = io_field("wchar"), sw0 = io_field("syscw");
	int fd = open("/dev/null", O_WRONLY);

	ok(w0 >= 0 && sw0 >= 0 && io_field("rchar") >= 0 && io_field("syscr") >= 0,
	   "io: rchar, wchar, syscr, syscw");
	write(fd, buf, sizeof buf);
	close(fd);
	ok(io_field("wchar") >= w0 + 10000, "wchar grows by the bytes written");
	ok(io_field("syscw") >= sw0 + 1, "syscw counts the write");
	long long r0 = io_field("rchar"), sr0 = io_field("syscr");
	fd = open("/dev/zero", O_RDONLY);
	read(fd, buf, 5000);
	struct iovec iov = { buf, 3000 };
	readv(fd, &iov, 1);
	pread(fd, buf, 2000, 0);
	close(fd);
	ok(io_field("rchar") >= r0 + 10000, "rchar grows by read, readv and pread");
	ok(io_field("syscr") >= sr0 + 3, "syscr counts them");
	ok(io_field("read_bytes") >= 0 && io_field("cancelled_write_bytes") >= 0,
	   "read_bytes, write_bytes, cancelled_write_bytes");

	/* A reaped child's counts join its parent's (Linux's signal->ioac). */
	w0 = io_field("wchar");
	pid_t pid = fork();
	if (pid == 0) {
		int z = open("/dev/null", O_WRONLY);
		for (int i = 0; i < 100; i++)
			write(z, buf, sizeof buf);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	ok(io_field("wchar") >= w0 + 1000000, "a reaped child's wchar counts in its parent's");
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/io", (int)getpid());
	char *t = slurp(path);
	ok(t && field(t, "syscr") > 0, "task/TID/io: the thread's own counters");
	free(t);
}

static int read_int(const char *path)
{
	char *t = slurp(path);
	int v = t ? atoi(t) : -99999;

	free(t);
	return v;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ssize_t r = write(fd, s, strlen(s));
	int e = r < 0 ? -errno : 0;
	close(fd);
	return e;
}

static void test_oom(void)
{
	is_int(write_str("/proc/self/oom_score_adj", "300\n"), 0, "write oom_score_adj 300");
	is_int(read_int("/proc/self/oom_score_adj"), 300, "reads back 300");
	is_int(write_str("/proc/self/oom_score_adj", "1001"), -EINVAL, "1001: EINVAL");
	is_int(write_str("/proc/self/oom_score_adj", "x"), -EINVAL, "not a number: EINVAL");
	/* Lowering it below the minimum needs CAP_SYS_RESOURCE (some containers drop it). */
	char *status = slurp("/proc/self/status");
	char *cap = status ? strstr(status, "CapEff:\t") : NULL;
	bool priv = cap && (strtoull(cap + 8, NULL, 16) >> 24 & 1);
	free(status);
	int r = write_str("/proc/self/oom_score_adj", "-1000");
	ok(priv ? r == 0 : r == -EACCES, "-1000 needs CAP_SYS_RESOURCE");
	ok(!priv || read_int("/proc/self/oom_score") == 0, "OOM_SCORE_ADJ_MIN: oom_score 0");
	write_str("/proc/self/oom_score_adj", "0");
	int s0 = read_int("/proc/self/oom_score");
	write_str("/proc/self/oom_score_adj", "1000");
	int s1 = read_int("/proc/self/oom_score");
	ok(s0 >= 0 && s1 > s0, "a higher oom_score_adj, a higher oom_score");
	write_str("/proc/self/oom_score_adj", "250");

	int pfd[2];
	pipe(pfd);
	pid_t pid = fork();
	if (pid == 0) {
		int r = 0;
		r |= read_int("/proc/self/oom_score_adj") == 250 ? 0 : 1;
		setgid(65534);
		setuid(65534);
		prctl(PR_SET_DUMPABLE, 1); /* else /proc/self's files are root's */
		r |= write_str("/proc/self/oom_score_adj", "500") == 0 ? 0 : 2;
		r |= write_str("/proc/self/oom_score_adj", "250") == 0 ? 0 : 4;
		r |= write_str("/proc/self/oom_score_adj", "-1000") == -EACCES ? 0 : 8;
		_exit(r);
	}
	int st;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && !(WEXITSTATUS(st) & 1), "a child inherits oom_score_adj");
	ok(WIFEXITED(st) && !(WEXITSTATUS(st) & 2), "unprivileged: raising it is fine");
	ok(WIFEXITED(st) && !(WEXITSTATUS(st) & 4), "unprivileged: lowering back to the minimum");
	ok(WIFEXITED(st) && !(WEXITSTATUS(st) & 8), "unprivileged: below the minimum: EACCES");
	close(pfd[0]);
	close(pfd[1]);

	/* The legacy oom_adj (-17..15) is the same value on another scale. */
	is_int(write_str("/proc/self/oom_score_adj", "100"), 0, "oom_score_adj 100");
	is_int(read_int("/proc/self/oom_adj"), 1, "oom_adj reads 100 * 17 / 1000");
	is_int(write_str("/proc/self/oom_adj", "15"), 0, "oom_adj 15");
	is_int(read_int("/proc/self/oom_score_adj"), 1000, "is oom_score_adj 1000");
	r = write_str("/proc/self/oom_adj", "3");
	ok(priv ? r == 0 && read_int("/proc/self/oom_score_adj") == 176 : r == -EACCES,
	   "lowering oom_adj needs CAP_SYS_RESOURCE; 3 is 176");
	is_int(write_str("/proc/self/oom_adj", "16"), -EINVAL, "oom_adj 16: EINVAL");

	char *w = slurp("/proc/self/wchan");
	ok(w && strcmp(w, "0") == 0, "wchan of a running task: 0");
	free(w);
}

int main(void)
{
	test_mem_self();
	test_mem_child();
	test_mem_child_cow();
	test_mem_access();
	test_dumpable_reset();
	test_smaps();
	test_io();
	test_oom();
	return done_testing();
}
