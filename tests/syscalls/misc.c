/* SPDX-License-Identifier: Apache-2.0 */
/* Assorted process-wide calls: uname, rlimits, affinity, getrandom, sysinfo, umask, getcwd,
 * unknown syscalls, signal masks and dispositions (nothing is ever delivered). */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include "tap.h"

#ifndef ARCH_GET_FS
#define ARCH_GET_FS 0x1003
#endif

/* The kernel's struct sigaction for rt_sigaction. */
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

static void handler(int sig)
{
	(void)sig;
}

int main(void)
{
	/* uname */
	struct utsname u;
	is_int(uname(&u), 0, "uname");
	ok(strcmp(u.sysname, "Linux") == 0, "uname sysname is Linux");
	ok(strcmp(u.machine, "x86_64") == 0, "uname machine is x86_64");
	ok(u.release[0] >= '0' && u.release[0] <= '9', "uname release starts with a digit");

	/* rlimits */
	struct rlimit rl, rl2;
	is_int(getrlimit(RLIMIT_NOFILE, &rl), 0, "getrlimit NOFILE");
	ok(rl.rlim_cur <= rl.rlim_max && rl.rlim_cur >= 64, "NOFILE soft <= hard, >= 64");
	rlim_t hard = rl.rlim_max;
	rl.rlim_cur = 100;
	is_int(setrlimit(RLIMIT_NOFILE, &rl), 0, "setrlimit NOFILE soft 100");
	is_int(getrlimit(RLIMIT_NOFILE, &rl2), 0, "getrlimit again");
	is_int(rl2.rlim_cur, 100, "soft limit reads back 100");
	ok(rl2.rlim_max == hard, "hard limit unchanged");
	struct rlimit64 nl = {.rlim_cur = 90, .rlim_max = hard}, ol = {0, 0};
	is_int(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &nl, &ol), 0, "prlimit64 set 90");
	is_int(ol.rlim_cur, 100, "prlimit64 returns the old soft limit 100");
	is_int(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &ol), 0, "prlimit64 get");
	is_int(ol.rlim_cur, 90, "prlimit64 reads back 90");
	rl.rlim_cur = hard + 1;
	rl.rlim_max = hard;
	if (hard != RLIM_INFINITY)
		is_errno(setrlimit(RLIMIT_NOFILE, &rl), EINVAL, "setrlimit soft > hard -> EINVAL");
	else
		ok(1, "setrlimit soft > hard -> EINVAL # SKIP hard is infinite");
	is_errno(syscall(SYS_getrlimit, 1000, &rl), EINVAL, "getrlimit bad resource -> EINVAL");
	is_int(getrlimit(RLIMIT_STACK, &rl), 0, "getrlimit STACK");
	ok(rl.rlim_cur > 0, "STACK soft limit > 0");

	/* affinity */
	cpu_set_t set;
	CPU_ZERO(&set);
	ok(sched_getaffinity(0, sizeof set, &set) == 0, "sched_getaffinity");
	ok(CPU_COUNT(&set) >= 1, "at least one cpu in the affinity mask");
	long r = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
	ok(r > 0 && r % 8 == 0 && r <= (long)sizeof set, "raw sched_getaffinity returns a size");
	is_int(sched_yield(), 0, "sched_yield");

	/* getrandom */
	unsigned char buf[64];
	memset(buf, 0, sizeof buf);
	is_int(getrandom(buf, sizeof buf, 0), 64, "getrandom 64 bytes");
	int nz = 0;
	for (size_t i = 0; i < sizeof buf; i++)
		nz += buf[i] != 0;
	ok(nz > 0, "getrandom bytes are not all zero");
	is_int(getrandom(buf, sizeof buf, GRND_NONBLOCK), 64, "getrandom GRND_NONBLOCK");
	is_errno(getrandom(buf, sizeof buf, 0x100), EINVAL, "getrandom bad flags -> EINVAL");
	is_int(getrandom(buf, 0, 0), 0, "getrandom 0 bytes");
	/* Linux fills the whole buffer (up to 32 MiB - 1) in one call; a fault part-way returns
	 * the count copied so far. */
	size_t big = 1 << 20;
	unsigned char *rb = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
	if (ok(rb != MAP_FAILED, "mmap 1 MiB for getrandom")) {
		is_int(getrandom(rb, 4096, 0), 4096, "getrandom 4096 bytes in one call");
		is_int(getrandom(rb, big, 0), big, "getrandom 1 MiB in one call");
		munmap(rb + 8192, big - 8192);
		is_int(getrandom(rb, big, 0), 8192,
		       "getrandom into a buffer whose tail is unmapped returns the mapped part");
		munmap(rb, 8192);
	}

	/* sysinfo */
	struct sysinfo si;
	memset(&si, 0, sizeof si);
	is_int(sysinfo(&si), 0, "sysinfo");
	ok(si.totalram > 0 && si.mem_unit > 0, "sysinfo totalram and mem_unit > 0");
	ok(si.freeram <= si.totalram, "sysinfo freeram <= totalram");
	ok(si.procs >= 1, "sysinfo procs >= 1");

	/* getrusage */
	struct rusage ru;
	is_int(getrusage(RUSAGE_SELF, &ru), 0, "getrusage SELF");
	is_errno(getrusage(12345, &ru), EINVAL, "getrusage bad who -> EINVAL");

	/* umask */
	mode_t old = umask(027);
	is_int(umask(old), 027, "umask round trip");
	is_int(umask(old), old, "umask restored");
	is_int(umask(01777) & ~0777, 0, "umask keeps only permission bits");
	umask(old);

	/* getcwd */
	char cwd[4096];
	ok(getcwd(cwd, sizeof cwd) != NULL && cwd[0] == '/', "getcwd returns an absolute path");
	is_errno(syscall(SYS_getcwd, cwd, 1), ERANGE, "getcwd with a 1-byte buffer -> ERANGE");

	/* unknown syscalls */
	is_errno(syscall(1000), ENOSYS, "syscall 1000 -> ENOSYS");

	/* prctl, arch_prctl */
	char name[16] = {0};
	is_int(prctl(PR_SET_NAME, "tap-misc", 0, 0, 0), 0, "prctl PR_SET_NAME");
	is_int(prctl(PR_GET_NAME, name, 0, 0, 0), 0, "prctl PR_GET_NAME");
	ok(strcmp(name, "tap-misc") == 0, "prctl name round trip");
	unsigned long fs = 0;
	is_int(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0, "arch_prctl ARCH_GET_FS");
	ok(fs != 0, "FS base is set (TLS)");

	/* rt_sigprocmask */
	uint64_t set1 = 1ULL << (SIGUSR1 - 1), cur = 0, prev = 0;
	is_int(syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &prev, 8), 0, "rt_sigprocmask read");
	is_int(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set1, NULL, 8), 0, "block SIGUSR1");
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &cur, 8);
	ok(cur & set1, "SIGUSR1 reads back blocked");
	uint64_t kill_stop = (1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1));
	is_int(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &kill_stop, NULL, 8), 0,
	       "blocking SIGKILL/SIGSTOP succeeds");
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &cur, 8);
	ok(!(cur & kill_stop), "SIGKILL/SIGSTOP are silently not blocked");
	is_int(syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set1, NULL, 8), 0, "unblock SIGUSR1");
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &cur, 8);
	ok(!(cur & set1), "SIGUSR1 reads back unblocked");
	ok(cur == prev, "mask restored");
	is_errno(syscall(SYS_rt_sigprocmask, 99, &set1, NULL, 8), EINVAL, "rt_sigprocmask bad how -> EINVAL");
	is_errno(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set1, NULL, 4), EINVAL,
		 "rt_sigprocmask bad sigsetsize -> EINVAL");

	/* rt_sigaction: install and read back, never delivered */
	struct ksigaction ka, oa;
	memset(&ka, 0, sizeof ka);
	memset(&oa, 0, sizeof oa);
	is_int(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &oa, 8), 0, "rt_sigaction read SIGUSR1");
	ok(oa.handler == SIG_DFL, "SIGUSR1 starts SIG_DFL");
	ka.handler = handler;
	ka.flags = SA_RESTART;
	ka.mask = 1ULL << (SIGUSR2 - 1);
	is_int(syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 8), 0, "rt_sigaction install handler");
	memset(&oa, 0, sizeof oa);
	is_int(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &oa, 8), 0, "rt_sigaction read back");
	ok(oa.handler == handler, "handler reads back");
	ok(oa.flags & SA_RESTART, "SA_RESTART reads back");
	ok(oa.mask & (1ULL << (SIGUSR2 - 1)), "sa_mask reads back");
	struct sigaction sa, so;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	is_int(sigaction(SIGUSR2, &sa, &so), 0, "libc sigaction SIG_IGN");
	is_int(sigaction(SIGUSR2, NULL, &so), 0, "libc sigaction read back");
	ok(so.sa_handler == SIG_IGN, "SIG_IGN reads back");
	ka.handler = SIG_DFL;
	ka.flags = 0;
	ka.mask = 0;
	is_int(syscall(SYS_rt_sigaction, SIGUSR1, &ka, &oa, 8), 0, "restore SIG_DFL, get old");
	ok(oa.handler == handler, "old action returned on replace");
	is_errno(syscall(SYS_rt_sigaction, SIGKILL, &ka, NULL, 8), EINVAL, "rt_sigaction SIGKILL -> EINVAL");
	is_errno(syscall(SYS_rt_sigaction, SIGSTOP, &ka, NULL, 8), EINVAL, "rt_sigaction SIGSTOP -> EINVAL");
	is_errno(syscall(SYS_rt_sigaction, 0, NULL, &oa, 8), EINVAL, "rt_sigaction signal 0 -> EINVAL");
	is_errno(syscall(SYS_rt_sigaction, 65, NULL, &oa, 8), EINVAL, "rt_sigaction signal 65 -> EINVAL");
	is_errno(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &oa, 4), EINVAL,
		 "rt_sigaction bad sigsetsize -> EINVAL");
	is_int(syscall(SYS_rt_sigaction, SIGKILL, NULL, &oa, 8), 0, "reading SIGKILL's action is allowed");
	/* last: a sandbox that mishandles nr -1 (the "no syscall" marker) may kill us */
	is_errno(syscall(-1), ENOSYS, "syscall -1 -> ENOSYS");
	return done_testing();
}
