/* SPDX-License-Identifier: Apache-2.0 */
/*
 * subreaper REPORT CMD [ARGS...]: run CMD as a child subreaper, so that every process CMD
 * leaves behind (stubs, tracees, helpers, even after setsid) is re-parented to us. Once CMD
 * exits, wait up to 2 s for its descendants to go, then list the survivors in REPORT (one
 * "pid comm" line each; empty file = clean), SIGKILL and reap them. Exits with CMD's status
 * as a shell reports it (code, or 128+signal).
 * Env SUBREAPER_KILL_MS=N: SIGKILL CMD itself after N ms (to test dying mid-run).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LEFT 256

/* Our children (= orphaned descendants of CMD) that are still alive; returns how many. */
static int list_children(pid_t *out, char comm[][64], int max)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		char path[300], buf[512];
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = 0;
		/* pid (comm) state ppid ...; comm may hold spaces and ')' so use the last ')'. */
		char *l = strchr(buf, '('), *r = strrchr(buf, ')');
		if (!l || !r)
			continue;
		char state;
		int ppid;
		if (sscanf(r + 2, "%c %d", &state, &ppid) != 2 || ppid != getpid() || state == 'Z')
			continue;
		out[n] = atoi(e->d_name);
		snprintf(comm[n], 64, "%.*s", (int)(r - l - 1), l + 1);
		n++;
	}
	closedir(d);
	return n;
}

static void reap_zombies(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: subreaper REPORT CMD [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		perror("subreaper: PR_SET_CHILD_SUBREAPER");
		return 2;
	}
	pid_t child = fork();
	if (child < 0) {
		perror("subreaper: fork");
		return 2;
	}
	if (child == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "subreaper: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	const char *kill_ms = getenv("SUBREAPER_KILL_MS");
	if (kill_ms && *kill_ms) {
		sleep_ms(atol(kill_ms));
		kill(child, SIGKILL);
	}
	int status = 0;
	while (waitpid(child, &status, 0) < 0)
		;
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

	static pid_t left[MAX_LEFT];
	static char comm[MAX_LEFT][64];
	int n = 0;
	for (int i = 0; i < 20; i++) {
		reap_zombies();
		n = list_children(left, comm, MAX_LEFT);
		if (n == 0)
			break;
		sleep_ms(100);
	}
	FILE *rep = fopen(argv[1], "w");
	for (int i = 0; i < n; i++) {
		if (rep)
			fprintf(rep, "%d %s\n", (int)left[i], comm[i]);
		kill(left[i], SIGKILL);
	}
	if (rep)
		fclose(rep);
	for (int i = 0; i < 20 && n > 0; i++) {
		reap_zombies();
		n = list_children(left, comm, MAX_LEFT);
		if (n)
			sleep_ms(50);
	}
	return rc;
}
