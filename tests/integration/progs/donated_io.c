// SPDX-License-Identifier: Apache-2.0
/*
 * File I/O on a volume, printed so that a native run and a sandboxed one (where the gofer
 * donates its host fds) can be compared line by line: read/write/pread past EOF/append/
 * truncate/readv/writev/large unaligned transfers/MAP_SHARED coherence, and the guest's own
 * fd table (/proc/self/fd shows guest fds only).
 * Usage: donated_io DIR (read-write)  |  donated_io DIR ro (DIR/ro.txt must hold "ro data")
 */
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static char path[4096];

static void show(const char *what, long r)
{
	printf("%s = %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

static void show_bytes(const char *what, const char *b, long n)
{
	printf("%s [", what);
	for (long i = 0; i < n; i++)
		printf(b[i] >= 32 && b[i] < 127 ? "%c" : "\\%o", (unsigned char)b[i]);
	printf("]\n");
}

static long fsize(int fd)
{
	struct stat st;

	return fstat(fd, &st) < 0 ? -1 : (long)st.st_size;
}

static uint64_t fnv(const unsigned char *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

/* The guest's fds, with the names of the files they open (basenames: paths differ). */
static void list_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char link[64], target[4096];
	int fds[256], n = 0;

	if (!d) {
		printf("opendir /proc/self/fd: %s\n", strerror(errno));
		return;
	}
	while ((e = readdir(d)) && n < 256)
		if (e->d_name[0] != '.')
			fds[n++] = atoi(e->d_name);
	closedir(d);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (fds[j] < fds[i]) {
				int t = fds[i];
				fds[i] = fds[j];
				fds[j] = t;
			}
	printf("fds:");
	for (int i = 0; i < n; i++) {
		ssize_t k;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[i]);
		k = readlink(link, target, sizeof(target) - 1);
		target[k < 0 ? 0 : k] = 0;
		const char *base = strrchr(target, '/');
		/* stdio and the directory being listed differ by runner; files are ours */
		printf(" %d%s%s", fds[i], fds[i] > 2 && base && !strchr(base, ':') ? ":" : "",
		       fds[i] > 2 && base && !strchr(base, ':') ? base + 1 : "");
	}
	printf("\n");
}

/*
 * Reads into fresh (never touched) pages while another thread keeps writing, by syscall and
 * by store, to the same pages just past the buffer: every read must land in full (in the
 * sandbox the host writes into pinned guest pages, which nothing may copy away meanwhile).
 */
struct race {
	char head[100];
	char buf[(64 << 12) - 100];
	struct timespec ts; /* shares the buffer's last page */
	volatile long stores;
	volatile int stop;
};

static void *race_writer(void *arg)
{
	struct race *r = arg;

	while (!r->stop) {
		clock_gettime(CLOCK_MONOTONIC, &r->ts);
		r->stores++;
	}
	return NULL;
}

static void race_reads(int rfd, const char *want, size_t len)
{
	int bad = 0;

	for (int i = 0; i < 20 && !bad; i++) {
		struct race *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		pthread_t t;

		if (r == MAP_FAILED || pthread_create(&t, NULL, race_writer, r) != 0) {
			printf("race setup failed\n");
			return;
		}
		if (pread(rfd, r->buf, len, 0) != (ssize_t)len || memcmp(r->buf, want, len))
			bad = 1;
		r->stop = 1;
		pthread_join(t, NULL);
		munmap(r, sizeof(*r));
	}
	printf("reads racing stores on the same pages: %s\n", bad ? "CORRUPTED" : "ok");
}

static int run_ro(const char *dir)
{
	char buf[64];
	int fd;

	snprintf(path, sizeof(path), "%s/ro.txt", dir);
	show("open rdwr", open(path, O_RDWR));
	show("open trunc", open(path, O_RDONLY | O_TRUNC));
	fd = open(path, O_RDONLY);
	show("open rdonly", fd >= 0 ? 0 : -1);
	long n = pread(fd, buf, sizeof(buf), 0);
	show("pread", n);
	show_bytes("data", buf, n);
	show("write", write(fd, "x", 1));
	show("pread past eof", pread(fd, buf, sizeof(buf), 4096));
	show("mmap shared rw", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
				       MAP_FAILED ? -1 : 0);
	char *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	show("mmap shared ro", m == MAP_FAILED ? -1 : 0);
	if (m != MAP_FAILED)
		show_bytes("mapped", m, 7);
	return 0;
}

int main(int argc, char **argv)
{
	char buf[8192], *big;
	struct iovec iov[3];
	int fd, afd, rfd;
	long n;

	if (argc < 2)
		return 2;
	for (int i = 3; i < 256; i++) /* whatever the runner left open */
		close(i);
	if (argc > 2 && !strcmp(argv[2], "ro"))
		return run_ro(argv[1]);

	snprintf(path, sizeof(path), "%s/f", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	show("open", fd);
	rfd = open(path, O_RDONLY);
	show("open rdonly", rfd);
	show("write", write(fd, "hello", 5));
	show("pwrite at 10", pwrite(fd, "XY", 2, 10));
	show("size", fsize(fd));
	n = pread(rfd, buf, sizeof(buf), 0);
	show("pread", n);
	show_bytes("data", buf, n);
	show("pread past eof", pread(rfd, buf, sizeof(buf), 100));
	show("pread at eof", pread(rfd, buf, sizeof(buf), 12));
	show("read after write", read(fd, buf, 3)); /* pos 5: the hole */
	show_bytes("hole", buf, 3);

	afd = open(path, O_WRONLY | O_APPEND);
	show("open append", afd);
	show("append", write(afd, "tail", 4));
	show("append pos", lseek(afd, 0, SEEK_CUR));
	show("append flag", fcntl(afd, F_GETFL) & O_APPEND);
	show("pwrite on append fd", pwrite(afd, "!", 1, 0)); /* Linux: appends anyway */
	show("size", fsize(fd));
	n = pread(rfd, buf, sizeof(buf), 0);
	show_bytes("data", buf, n);

	show("ftruncate 3", ftruncate(fd, 3));
	show("size", fsize(rfd));
	n = pread(rfd, buf, sizeof(buf), 0);
	show_bytes("truncated", buf, n);
	show("ftruncate 8192", ftruncate(fd, 8192));
	n = pread(rfd, buf, 100, 8000);
	show("pread in grown tail", n);
	show("tail zero", n > 0 && !memcmp(buf, (char[100]){ 0 }, (size_t)n));
	show("pread straddling eof", pread(rfd, buf, 1000, 8000));

	show("lseek 1", lseek(fd, 1, SEEK_SET));
	iov[0] = (struct iovec){ "ABC", 3 };
	iov[1] = (struct iovec){ "", 0 };
	iov[2] = (struct iovec){ "DEFG", 4 };
	show("writev", writev(fd, iov, 3));
	show("pos", lseek(fd, 0, SEEK_CUR));
	char a[2], b[6];
	iov[0] = (struct iovec){ a, 2 };
	iov[1] = (struct iovec){ b, 6 };
	show("preadv", preadv(rfd, iov, 2, 0));
	show_bytes("preadv a", a, 2);
	show_bytes("preadv b", b, 6);
	show("lseek end", lseek(rfd, 0, SEEK_END));

	/* MAP_SHARED and write(2)/read(2) see each other. */
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	show("mmap", m == MAP_FAILED ? -1 : 0);
	if (m != MAP_FAILED) {
		show("pwrite MAP", pwrite(fd, "MAP", 3, 4096));
		show_bytes("mapping sees write", m + 4096, 3);
		m[0] = 'H';
		show("msync", msync(m, 8192, MS_SYNC));
		n = pread(rfd, buf, 2, 0);
		show_bytes("read sees store", buf, n);
		munmap(m, 8192);
	}

	/* Guest buffers that end in a hole or are not writable (the host reads straight into
	 * guest pages in the sandbox). */
	char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(two + 4096, 4096);
	show("pread into half-mapped", pread(rfd, two + 100, 8000, 0));
	show("pread into hole", pread(rfd, two + 4096, 10, 0));
	mprotect(two, 4096, PROT_READ);
	show("pread into read-only", pread(rfd, two, 10, 0));
	show("pwrite from read-only", pwrite(fd, two + 100, 3, 8190));
	show("pwrite from hole", pwrite(fd, two + 4096, 3, 0));
	show("size", fsize(fd));
	char *self = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (self != MAP_FAILED) {
		show("pread into own mapping", pread(rfd, self + 10, 20, 4090));
		show_bytes("own mapping", self + 10, 20);
		munmap(self, 8192);
	}
	munmap(two, 4096);

	/* Large unaligned transfers (crossing any bounce-buffer size), checksummed. */
	size_t len = (3u << 20) + 12345;
	big = malloc(len);
	for (size_t i = 0; i < len; i++)
		big[i] = (char)(i * 7 + (i >> 12));
	show("pwrite big", pwrite(fd, big, len, 777));
	uint64_t h = 14695981039346656037ULL;
	size_t got = 0;
	for (size_t chunk = 1; got < len + 777 + 10; chunk = chunk * 3 + 1000) {
		n = pread(rfd, big, chunk, (off_t)got);
		if (n <= 0)
			break;
		h = fnv((unsigned char *)big, (size_t)n, h);
		got += (size_t)n;
	}
	printf("big read %zu bytes, hash %016llx\n", got, (unsigned long long)h);
	{
		size_t rl = sizeof(((struct race *)0)->buf);
		char *want = malloc(rl);

		if (pread(rfd, want, rl, 0) == (ssize_t)rl)
			race_reads(rfd, want, rl);
		free(want);
	}
	show("size", fsize(fd));
	free(big);

	list_fds();
	/* The Sentry's host fds (donated ones included) are no guest fds. */
	int others = 0;
	for (int i = 7; i < 1024; i++)
		others += fcntl(i, F_GETFD) >= 0;
	printf("other fds: %d\n", others);
	close(afd);
	close(rfd);
	show("close", close(fd));
	list_fds();
	return 0;
}
