/* SPDX-License-Identifier: Apache-2.0 */
/* die MODE: end the process in a given way (exit codes, signals, faults, traps) so the
 * sandbox's exit status can be compared with native; "sleep" just sleeps 30 s. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "exit259"))
		syscall(SYS_exit_group, 259);
	if (!strcmp(m, "exit255"))
		syscall(SYS_exit_group, -1);
	if (!strcmp(m, "term"))
		syscall(SYS_kill, getpid(), SIGTERM);
	if (!strcmp(m, "kill"))
		syscall(SYS_kill, getpid(), SIGKILL);
	if (!strcmp(m, "usr1"))
		syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
	if (!strcmp(m, "chld")) {
		syscall(SYS_kill, getpid(), SIGCHLD);
		return 0;
	}
	if (!strcmp(m, "ign")) {
		signal(SIGTERM, SIG_IGN);
		syscall(SYS_kill, getpid(), SIGTERM);
		return 0;
	}
	if (!strcmp(m, "ro")) {
		char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		*(volatile char *)p = 1;
	}
	if (!strcmp(m, "ud2"))
		__asm__ volatile("ud2");
	if (!strcmp(m, "int3"))
		__asm__ volatile("int3");
	if (!strcmp(m, "div0")) {
		int a = 1, d = 0;
		__asm__ volatile("cltd; idivl %2" : "+a"(a) : "d"(0), "r"(d));
	}
	if (!strcmp(m, "hlt"))
		__asm__ volatile("hlt"); /* privileged: SIGSEGV */
	if (!strcmp(m, "exec_nx")) {
		char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		p[0] = (char)0xc3; /* ret */
		((void (*)(void))p)();
	}
	if (!strcmp(m, "sleep")) {
		struct timespec ts = {30, 0};
		nanosleep(&ts, NULL);
	}
	if (!strcmp(m, "stack")) {
		/* unbounded recursion: stack overflow -> SIGSEGV */
		volatile char buf[4096];
		buf[0] = (char)argc;
		char *args[] = {argv[0], "stack", NULL};
		return main(2 + buf[0] * 0, args) + buf[0];
	}
	return 0;
}
