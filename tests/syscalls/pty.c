/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Terminals and /dev: the memory devices, /dev/ptmx + devpts (posix_openpt, grantpt,
 * unlockpt, ptsname, openpty), the line discipline (canonical editing, echo, input and
 * output processing, VMIN/VTIME), window size, controlling terminals and job control
 * (setsid + TIOCSCTTY, ^C to the foreground group, background reads), and hangup.
 *
 * Linux feeds master writes to the line discipline asynchronously (a work queue), so every
 * read that expects data first polls with a timeout.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include "tap.h"

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* Read from @fd until @want bytes came or 2 s passed; returns the count (NUL-terminated). */
static int read_n(int fd, char *buf, int want)
{
	int got = 0;

	while (got < want && readable(fd, 2000)) {
		ssize_t n = read(fd, buf + got, (size_t)(want - got));
		if (n <= 0)
			break;
		got += (int)n;
	}
	buf[got] = 0;
	return got;
}

/* Whatever arrives within @ms (echoes), NUL-terminated. */
static int drain(int fd, char *buf, int size, int ms)
{
	int got = 0;

	while (got < size - 1 && readable(fd, ms)) {
		ssize_t n = read(fd, buf + got, (size_t)(size - 1 - got));
		if (n <= 0)
			break;
		got += (int)n;
	}
	buf[got] = 0;
	return got;
}

static void wr(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		diag("short write");
}

static void check_dev(const char *path, unsigned int maj, unsigned int min, unsigned int mode)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		ok(0, "stat %s", path);
		return;
	}
	ok(S_ISCHR(st.st_mode) && major(st.st_rdev) == maj && minor(st.st_rdev) == min,
	   "%s is char device %u,%u", path, maj, min);
	is_int(st.st_mode & 07777, mode, "%s mode %o", path, mode);
}

static void test_mem_devices(void)
{
	char buf[64];
	int fd;

	check_dev("/dev/null", 1, 3, 0666);
	check_dev("/dev/zero", 1, 5, 0666);
	check_dev("/dev/full", 1, 7, 0666);
	check_dev("/dev/random", 1, 8, 0666);
	check_dev("/dev/urandom", 1, 9, 0666);
	check_dev("/dev/tty", 5, 0, 0666);

	fd = open("/dev/null", O_RDWR);
	is_int(read(fd, buf, sizeof buf), 0, "/dev/null reads EOF");
	is_int(write(fd, "abc", 3), 3, "/dev/null swallows writes");
	close(fd);
	fd = open("/dev/zero", O_RDWR);
	memset(buf, 'x', sizeof buf);
	is_int(read(fd, buf, sizeof buf), (int)sizeof buf, "/dev/zero reads fully");
	ok(buf[0] == 0 && buf[63] == 0, "/dev/zero gives zeros");
	is_int(write(fd, "abc", 3), 3, "/dev/zero swallows writes");
	close(fd);
	fd = open("/dev/full", O_RDWR);
	is_errno(write(fd, "abc", 3), ENOSPC, "/dev/full: write ENOSPC");
	is_int(read(fd, buf, 8), 8, "/dev/full reads zeros");
	close(fd);
	fd = open("/dev/urandom", O_RDONLY);
	memset(buf, 0, sizeof buf);
	is_int(read(fd, buf, sizeof buf), (int)sizeof buf, "/dev/urandom reads fully");
	int nz = 0;
	for (size_t i = 0; i < sizeof buf; i++)
		nz += buf[i] != 0;
	ok(nz > 32, "/dev/urandom bytes are not zeros");
	close(fd);
	struct stat st;
	ok(lstat("/dev/fd", &st) == 0 && S_ISLNK(st.st_mode), "/dev/fd is a symlink");
	ok(stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 01777) == 01777,
	   "/dev/shm is a sticky world-writable directory");

	/* A new session has no controlling terminal. */
	pid_t c = fork();
	if (c == 0) {
		setsid();
		_exit(open("/dev/tty", O_RDWR) < 0 && errno == ENXIO ? 0 : 1);
	}
	int s;
	waitpid(c, &s, 0);
	ok(WIFEXITED(s) && WEXITSTATUS(s) == 0, "/dev/tty without a controlling terminal: ENXIO");
}

static void test_ptmx(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), s, n = -1;
	char name[64];
	struct stat st;

	ok(m >= 0, "posix_openpt");
	ok(isatty(m), "the master is a tty");
	is_int(grantpt(m), 0, "grantpt");
	is_int(ioctl(m, TIOCGPTN, &n), 0, "TIOCGPTN");
	snprintf(name, sizeof name, "/dev/pts/%d", n);
	ok(ptsname(m) && strcmp(ptsname(m), name) == 0, "ptsname is /dev/pts/<TIOCGPTN>");
	is_errno(open(name, O_RDWR | O_NOCTTY), EIO, "the slave is locked until unlockpt");
	is_errno(ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY), EIO, "TIOCGPTPEER while locked: EIO");
	is_int(unlockpt(m), 0, "unlockpt");
	int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	ok(peer >= 0, "TIOCGPTPEER opens the slave");
	ok(fstat(peer, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 136 &&
	   (int)minor(st.st_rdev) == n, "TIOCGPTPEER: it is /dev/pts/N");
	is_int(fcntl(peer, F_GETFD), FD_CLOEXEC, "TIOCGPTPEER honours O_CLOEXEC");
	close(peer);
	s = open(name, O_RDWR | O_NOCTTY);
	ok(s >= 0, "open the slave");
	ok(isatty(s), "the slave is a tty");
	ok(fstat(s, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 136 &&
	   (int)minor(st.st_rdev) == n, "the slave is char device 136,N");
	ok((st.st_mode & 0777) == 0620 || (st.st_mode & 0777) == 0600, "slave mode 0620 (0600)");
	is_int(st.st_uid, getuid(), "the slave belongs to the opener");
	ok(fstat(m, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 5 &&
	   minor(st.st_rdev) == 2, "the master is /dev/ptmx (5,2)");
	int v = -1;
	is_errno(ioctl(s, TIOCGPTN, &v), ENOTTY, "TIOCGPTN on the slave: ENOTTY");
	close(s);
	close(m);
	ok(stat(name, &st) < 0 && errno == ENOENT, "/dev/pts/N goes away with the master");
}

static void test_canonical(int m, int s)
{
	struct termios t;
	char buf[256];

	ok(tcgetattr(s, &t) == 0, "tcgetattr");
	ok((t.c_lflag & (ICANON | ECHO | ISIG)) == (ICANON | ECHO | ISIG), "default: ICANON ECHO ISIG");
	ok((t.c_iflag & ICRNL) && (t.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR),
	   "default: ICRNL OPOST ONLCR");
	ok(t.c_cc[VINTR] == 3 && t.c_cc[VERASE] == 0177 && t.c_cc[VKILL] == 025 &&
	   t.c_cc[VEOF] == 4 && t.c_cc[VMIN] == 1, "default control characters");

	wr(m, "hel");
	ok(!readable(s, 100), "no complete line yet: the slave is not readable");
	int q = -1;
	is_int(ioctl(s, FIONREAD, &q), 0, "FIONREAD");
	is_int(q, 0, "FIONREAD counts complete lines only");
	wr(m, "lo\n");
	ok(readable(s, 2000), "a newline makes it readable");
	is_int(ioctl(s, FIONREAD, &q), 0, "FIONREAD");
	is_int(q, 6, "FIONREAD is the line");
	is_int(read(s, buf, sizeof buf), 6, "read returns the line");
	ok(memcmp(buf, "hello\n", 6) == 0, "line data");
	is_int(read_n(m, buf, 7), 7, "echo on the master");
	ok(strcmp(buf, "hello\r\n") == 0, "echo is output-processed (ONLCR)");

	wr(m, "abc\177\177d\n");
	ok(readable(s, 2000), "erase: readable");
	is_int(read(s, buf, sizeof buf), 3, "ERASE removes characters");
	ok(memcmp(buf, "ad\n", 3) == 0, "erased line");
	is_int(read_n(m, buf, 12), 12, "ECHOE echo");
	ok(strcmp(buf, "abc\b \b\b \bd\r\n") == 0, "ERASE echoes backspace-space-backspace");

	wr(m, "xyz\025ok\n");
	ok(readable(s, 2000), "kill: readable");
	is_int(read(s, buf, sizeof buf), 3, "KILL drops the line");
	ok(memcmp(buf, "ok\n", 3) == 0, "killed line");
	drain(m, buf, sizeof buf, 200);

	wr(m, "xyz\025\n");
	ok(readable(s, 2000), "kill echo: readable");
	read(s, buf, sizeof buf);
	is_int(read_n(m, buf, 14), 14, "ECHOKE kill echo");
	ok(strcmp(buf, "xyz\b \b\b \b\b \b\r\n") == 0, "ECHOKE erases the line on screen");
	t.c_lflag &= ~ECHOKE;
	tcsetattr(s, TCSANOW, &t);
	wr(m, "xyz\025\n");
	ok(readable(s, 2000), "kill without ECHOKE: readable");
	read(s, buf, sizeof buf);
	is_int(read_n(m, buf, 9), 9, "ECHOK kill echo");
	ok(strcmp(buf, "xyz^U\r\n\r\n") == 0, "ECHOK echoes the KILL char and a newline");
	t.c_lflag |= ECHOKE;
	tcsetattr(s, TCSANOW, &t);

	wr(m, "a\026\003b\n");
	ok(readable(s, 2000), "LNEXT: readable");
	is_int(read(s, buf, sizeof buf), 4, "LNEXT quotes ^C");
	ok(memcmp(buf, "a\003b\n", 4) == 0, "LNEXT data");
	is_int(read_n(m, buf, 8), 8, "LNEXT echo");
	ok(strcmp(buf, "a^\b^Cb\r\n") == 0, "LNEXT echoes ^ backspace, then the char");

	wr(m, "ab\022c\n");
	ok(readable(s, 2000), "REPRINT: readable");
	is_int(read(s, buf, sizeof buf), 4, "REPRINT leaves the line alone");
	is_int(read_n(m, buf, 11), 11, "REPRINT echo");
	ok(strcmp(buf, "ab^R\r\nabc\r\n") == 0, "REPRINT shows the line again");

	wr(m, "two words\027\n");
	ok(readable(s, 2000), "werase: readable");
	is_int(read(s, buf, sizeof buf), 5, "WERASE drops a word");
	ok(memcmp(buf, "two \n", 5) == 0, "werased line");
	drain(m, buf, sizeof buf, 200);

	wr(m, "ab\004");
	ok(readable(s, 2000), "EOF ends a line");
	is_int(read(s, buf, sizeof buf), 2, "the EOF character is not returned");
	wr(m, "\004");
	ok(readable(s, 2000), "EOF at line start");
	is_int(read(s, buf, sizeof buf), 0, "EOF at line start reads 0");
	drain(m, buf, sizeof buf, 200);

	wr(m, "part1\n");
	ok(readable(s, 2000), "short reads: readable");
	is_int(read(s, buf, 3), 3, "a short read takes part of the line");
	is_int(read(s, buf, sizeof buf), 3, "the next read the rest");
	ok(memcmp(buf, "t1\n", 3) == 0, "rest of the line");
	drain(m, buf, sizeof buf, 200);

	wr(m, "\001\n");
	ok(readable(s, 2000), "control char line");
	read(s, buf, sizeof buf);
	is_int(read_n(m, buf, 4), 4, "ECHOCTL echo");
	ok(strcmp(buf, "^A\r\n") == 0, "control characters echo as ^X");

	wr(m, "cr\r");
	ok(readable(s, 2000), "ICRNL: CR ends the line");
	is_int(read(s, buf, sizeof buf), 3, "ICRNL line");
	ok(memcmp(buf, "cr\n", 3) == 0, "CR became NL");
	drain(m, buf, sizeof buf, 200);

	t.c_cc[VEOL] = ';';
	tcsetattr(s, TCSANOW, &t);
	wr(m, "a;b");
	ok(readable(s, 2000), "EOL ends a line");
	is_int(read(s, buf, sizeof buf), 2, "EOL is returned");
	ok(memcmp(buf, "a;", 2) == 0, "EOL data");
	tcflush(s, TCIFLUSH);
	is_int(ioctl(s, FIONREAD, &q), 0, "FIONREAD after TCIFLUSH");
	t.c_cc[VEOL] = 0;
	drain(m, buf, sizeof buf, 200);

	t.c_lflag &= ~ECHO;
	t.c_lflag |= ECHONL;
	t.c_iflag |= IGNCR;
	tcsetattr(s, TCSANOW, &t);
	wr(m, "se\rcret\n");
	ok(readable(s, 2000), "IGNCR line");
	is_int(read(s, buf, sizeof buf), 7, "IGNCR drops CR");
	is_int(drain(m, buf, sizeof buf, 300), 2, "ECHONL without ECHO echoes only the newline");
	ok(strcmp(buf, "\r\n") == 0, "ECHONL data");
	t.c_lflag |= ECHO;
	t.c_lflag &= ~ECHONL;
	t.c_iflag &= ~IGNCR;
	tcsetattr(s, TCSANOW, &t);

	/* Output processing. */
	wr(s, "a\nb");
	is_int(read_n(m, buf, 4), 4, "ONLCR output");
	ok(strcmp(buf, "a\r\nb") == 0, "slave NL becomes CR NL");
	t.c_oflag &= ~OPOST;
	tcsetattr(s, TCSANOW, &t);
	wr(s, "a\nb");
	is_int(read_n(m, buf, 3), 3, "raw output");
	ok(strcmp(buf, "a\nb") == 0, "no OPOST: bytes as written");
	t.c_oflag |= OPOST;
	tcsetattr(s, TCSANOW, &t);
	/* IXON: ^S stops the slave's output, ^Q restarts it. */
	int fl = fcntl(s, F_GETFL);
	fcntl(s, F_SETFL, fl | O_NONBLOCK);
	wr(m, "\023");
	msleep(100);
	is_errno(write(s, "z", 1), EAGAIN, "after ^S a slave write would block");
	struct pollfd pw = { .fd = s, .events = POLLOUT };
	is_int(poll(&pw, 1, 0), 0, "and the slave does not poll POLLOUT");
	wr(m, "\021");
	msleep(100);
	is_int(write(s, "z", 1), 1, "after ^Q it writes");
	is_int(read_n(m, buf, 1), 1, "the write arrives");
	ok(!readable(s, 50), "^S and ^Q are not input");
	is_int(tcflow(s, TCOOFF), 0, "tcflow TCOOFF");
	is_errno(write(s, "z", 1), EAGAIN, "TCOOFF stops output");
	is_int(tcflow(s, TCOON), 0, "tcflow TCOON");
	is_int(write(s, "z", 1), 1, "TCOON restarts it");
	read_n(m, buf, 1);
	fcntl(s, F_SETFL, fl);
	int oq = -1;
	is_int(ioctl(s, TIOCOUTQ, &oq), 0, "TIOCOUTQ");
	is_int(oq, 0, "TIOCOUTQ of a pty is 0");
}

static void test_raw(int m, int s)
{
	struct termios t, saved;
	char buf[64];

	tcgetattr(s, &saved);
	t = saved;
	cfmakeraw(&t);
	is_int(tcsetattr(s, TCSAFLUSH, &t), 0, "cfmakeraw");
	wr(m, "xyz");
	ok(readable(s, 2000), "raw: readable at once");
	is_int(read_n(s, buf, 3), 3, "raw read");
	ok(memcmp(buf, "xyz", 3) == 0, "raw data");
	ok(!readable(m, 150), "raw: no echo");

	wr(m, "\003");
	ok(readable(s, 2000), "raw: ^C is data");
	is_int(read(s, buf, 1), 1, "^C read");
	is_int(buf[0], 3, "^C byte");

	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	tcsetattr(s, TCSANOW, &t);
	is_int(read(s, buf, sizeof buf), 0, "VMIN 0 VTIME 0: returns 0 at once");
	t.c_cc[VTIME] = 1;
	tcsetattr(s, TCSANOW, &t);
	is_int(read(s, buf, sizeof buf), 0, "VMIN 0 VTIME 1: returns 0 after 0.1 s");

	t.c_cc[VMIN] = 3;
	t.c_cc[VTIME] = 0;
	tcsetattr(s, TCSANOW, &t);
	wr(m, "ab");
	pid_t c = fork();
	if (c == 0) {
		msleep(100);
		wr(m, "c");
		_exit(0);
	}
	is_int(read(s, buf, sizeof buf), 3, "VMIN 3: waits for the third byte");
	waitpid(c, NULL, 0);

	int fl = fcntl(s, F_GETFL);
	fcntl(s, F_SETFL, fl | O_NONBLOCK);
	is_errno(read(s, buf, sizeof buf), EAGAIN, "O_NONBLOCK and nothing there: EAGAIN");
	fcntl(s, F_SETFL, fl);

	t.c_iflag |= INLCR;
	t.c_cc[VMIN] = 1;
	tcsetattr(s, TCSANOW, &t);
	wr(m, "\n");
	ok(readable(s, 2000), "INLCR");
	read(s, buf, 1);
	is_int(buf[0], '\r', "INLCR maps NL to CR");
	tcsetattr(s, TCSAFLUSH, &saved);
}

static void test_winsize(int m, int s)
{
	struct winsize w = { .ws_row = 33, .ws_col = 101 }, g = { 0 };

	is_int(ioctl(m, TIOCSWINSZ, &w), 0, "TIOCSWINSZ on the master");
	is_int(ioctl(s, TIOCGWINSZ, &g), 0, "TIOCGWINSZ on the slave");
	ok(g.ws_row == 33 && g.ws_col == 101, "the slave sees the size");
	memset(&g, 0, sizeof g);
	ioctl(m, TIOCGWINSZ, &g);
	ok(g.ws_row == 33 && g.ws_col == 101, "and the master");
}

static volatile sig_atomic_t got_winch, winch_code;
static void on_winch(int sig, siginfo_t *si, void *uc)
{
	winch_code = si->si_code;
	got_winch = 1;
}

/* A session on the pty: SIGWINCH, ^C and background reads reach the right processes. */
static void test_session(int m, const char *sname)
{
	int ready[2], st;
	char buf[64];
	pid_t pg = -1;

	int nt = open(sname, O_RDWR | O_NOCTTY);
	is_errno(ioctl(nt, TIOCGPGRP, &pg), ENOTTY, "TIOCGPGRP on a terminal that is not ours");
	close(nt);
	pipe(ready);
	pid_t c = fork();
	if (c == 0) {
		close(ready[0]);
		setsid();
		int s = open(sname, O_RDWR | O_NOCTTY);
		int r = ioctl(s, TIOCSCTTY, 0);
		pid_t pgrp = -1, sid = -1, bad = 0x3fffffff;
		ioctl(s, TIOCGPGRP, &pgrp);
		ioctl(s, TIOCGSID, &sid);
		int t = open("/dev/tty", O_RDWR);
		int spg = ioctl(s, TIOCSPGRP, &bad) < 0 ? errno : 0;
		pid_t me = getpid();
		int mpg = ioctl(m, TIOCSPGRP, &me);
		char res[8] = { r == 0 ? 'y' : 'n', pgrp == getpid() ? 'y' : 'n',
				sid == getpid() ? 'y' : 'n', t >= 0 && isatty(t) ? 'y' : 'n',
				spg == ESRCH ? 'y' : 'n' };
		close(t);

		/* A background group: reads with SIGTTIN ignored get EIO. */
		pid_t bg = fork();
		if (bg == 0) {
			setpgid(0, 0);
			signal(SIGTTIN, SIG_IGN);
			_exit(read(s, buf, 1) < 0 && errno == EIO ? 0 : 1);
		}
		int bst;
		waitpid(bg, &bst, 0);
		res[5] = WIFEXITED(bst) && WEXITSTATUS(bst) == 0 ? 'y' : 'n';
		res[6] = mpg == 0 ? 'y' : 'n';

		/* With the default action, a background read stops the reader (SIGTTIN). */
		pid_t bg2 = fork();
		if (bg2 == 0) {
			setpgid(0, 0);
			read(s, buf, 1);
			_exit(9);
		}
		waitpid(bg2, &bst, WUNTRACED);
		res[7] = WIFSTOPPED(bst) && WSTOPSIG(bst) == SIGTTIN ? 'y' : 'n';
		kill(bg2, SIGKILL);
		waitpid(bg2, &bst, 0);

		struct sigaction sa = { .sa_sigaction = on_winch, .sa_flags = SA_SIGINFO };
		sigaction(SIGWINCH, &sa, NULL);
		write(ready[1], res, 8);
		for (int i = 0; i < 200 && !got_winch; i++)
			msleep(10);
		write(ready[1], !got_winch ? "-" : winch_code == SI_KERNEL ? "K" : "W", 1);
		/* Now wait on the terminal until ^C kills us (default SIGINT). */
		read(s, buf, sizeof buf);
		_exit(7);
	}
	close(ready[1]);
	char res[9] = { 0 };
	is_int(read_n(ready[0], res, 8), 8, "child ready");
	ok(res[0] == 'y', "TIOCSCTTY by a session leader");
	ok(res[1] == 'y', "the foreground group is the leader's");
	ok(res[2] == 'y', "TIOCGSID is the session");
	ok(res[3] == 'y', "/dev/tty opens the controlling terminal");
	ok(res[4] == 'y', "TIOCSPGRP to a missing group: ESRCH");
	ok(res[5] == 'y', "a background read with SIGTTIN ignored: EIO");
	ok(res[6] == 'y', "TIOCSPGRP through the master by the controlling process");
	ok(res[7] == 'y', "a background read stops the reader with SIGTTIN");
	pid_t mine = getpgrp();
	is_errno(ioctl(m, TIOCSPGRP, &mine), ENOTTY, "TIOCSPGRP on a master by an outsider: ENOTTY");
	pid_t fg = -1;
	is_int(ioctl(m, TIOCGPGRP, &fg), 0, "TIOCGPGRP on the master");
	is_int(fg, c, "the master reports the child's group");
	struct winsize w = { .ws_row = 10, .ws_col = 20 };
	ioctl(m, TIOCSWINSZ, &w);
	is_int(read_n(ready[0], res, 1), 1, "child answered");
	ok(res[0] == 'K' || res[0] == 'W', "TIOCSWINSZ sends SIGWINCH to the foreground group");
	is_int(res[0], 'K', "from the kernel (si_code SI_KERNEL)");
	msleep(50);
	wr(m, "\003");
	is_int(waitpid(c, &st, 0), c, "reap the session leader");
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT, "^C kills the foreground group with SIGINT");
	is_int(read_n(m, buf, 2), 2, "^C echo");
	ok(strcmp(buf, "^C") == 0, "^C echoes as ^C");
	close(ready[0]);
}

/*
 * A leader opening a free terminal without O_NOCTTY gets it as controlling terminal; TIOCNOTTY
 * gives it back (SIGHUP to the foreground group: ignored here). Background writes go through
 * unless TOSTOP (with SIGTTOU ignored they go through anyway).
 */
static void test_ctty_open(const char *sname)
{
	int st, ready[2];
	char res[8] = { 0 };

	pipe(ready);
	pid_t c = fork();
	if (c == 0) {
		close(ready[0]);
		setsid();
		signal(SIGHUP, SIG_IGN);
		int s = open(sname, O_RDWR);
		pid_t sid = -1, pg = -1;
		res[0] = ioctl(s, TIOCGSID, &sid) == 0 && sid == getpid() ? 'y' : 'n';
		pid_t bg = fork();
		if (bg == 0) {
			setpgid(0, 0);
			struct termios t;
			tcgetattr(s, &t);
			int ok1 = write(s, "", 0) == 0;
			t.c_lflag |= TOSTOP;
			signal(SIGTTOU, SIG_IGN);
			int ok2 = tcsetattr(s, TCSANOW, &t) == 0; /* SIGTTOU ignored: allowed */
			int ok3 = write(s, "w", 1) == 1;
			t.c_lflag &= ~TOSTOP;
			tcsetattr(s, TCSANOW, &t);
			_exit(ok1 && ok2 && ok3 ? 0 : 1);
		}
		int bst;
		waitpid(bg, &bst, 0);
		res[1] = WIFEXITED(bst) && WEXITSTATUS(bst) == 0 ? 'y' : 'n';
		res[2] = ioctl(s, TIOCNOTTY) == 0 ? 'y' : 'n';
		res[3] = ioctl(s, TIOCGPGRP, &pg) < 0 && errno == ENOTTY ? 'y' : 'n';
		res[4] = open("/dev/tty", O_RDWR) < 0 && errno == ENXIO ? 'y' : 'n';
		write(ready[1], res, 5);
		_exit(0);
	}
	close(ready[1]);
	is_int(read_n(ready[0], res, 5), 5, "child answered");
	ok(res[0] == 'y', "open without O_NOCTTY by a leader: controlling terminal");
	ok(res[1] == 'y', "background writes: allowed, TOSTOP with SIGTTOU ignored too");
	ok(res[2] == 'y', "TIOCNOTTY by the leader");
	ok(res[3] == 'y', "then TIOCGPGRP: ENOTTY");
	ok(res[4] == 'y', "then /dev/tty: ENXIO");
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child exited");
	close(ready[0]);
}

/* Packet mode (TIOCPKT): a status byte before data; flushes and flow control as events. */
static void test_packet(void)
{
	int m, s, one = 1, v = -1;
	unsigned char buf[16];

	openpty(&m, &s, NULL, NULL, NULL);
	is_int(ioctl(m, TIOCPKT, &one), 0, "TIOCPKT on");
	is_int(ioctl(m, TIOCGPKT, &v), 0, "TIOCGPKT");
	is_int(v, 1, "packet mode is on");
	is_errno(ioctl(s, TIOCPKT, &one), ENOTTY, "TIOCPKT on the slave: ENOTTY");
	wr(s, "hi");
	ok(readable(m, 2000), "packet: data readable");
	is_int(read(m, buf, sizeof buf), 3, "a data packet: status byte + data");
	ok(buf[0] == TIOCPKT_DATA && buf[1] == 'h' && buf[2] == 'i', "TIOCPKT_DATA then the bytes");
	tcflush(s, TCIFLUSH);
	struct pollfd p = { .fd = m, .events = POLLPRI };
	ok(poll(&p, 1, 2000) == 1 && (p.revents & POLLPRI), "a flush is POLLPRI on the master");
	is_int(read(m, buf, sizeof buf), 1, "a control packet is one byte");
	is_int(buf[0], TIOCPKT_FLUSHREAD, "slave TCIFLUSH: TIOCPKT_FLUSHREAD");
	tcflush(s, TCOFLUSH);
	ok(readable(m, 2000), "TCOFLUSH event");
	read(m, buf, sizeof buf);
	is_int(buf[0], TIOCPKT_FLUSHWRITE, "slave TCOFLUSH: TIOCPKT_FLUSHWRITE");
	wr(m, "\023");
	ok(readable(m, 2000), "^S event");
	read(m, buf, sizeof buf);
	is_int(buf[0], TIOCPKT_STOP, "^S: TIOCPKT_STOP");
	wr(m, "\021");
	ok(readable(m, 2000), "^Q event");
	read(m, buf, sizeof buf);
	is_int(buf[0], TIOCPKT_START, "^Q: TIOCPKT_START");
	struct termios t;
	tcgetattr(s, &t);
	cfmakeraw(&t);
	tcsetattr(s, TCSANOW, &t);
	ok(readable(m, 2000), "termios event");
	read(m, buf, sizeof buf);
	is_int(buf[0], TIOCPKT_NOSTOP, "no more IXON: TIOCPKT_NOSTOP");
	close(s);
	close(m);
}

/* The master goes away: the session leader gets SIGHUP, the slave reads EOF, writes EIO. */
static void test_hangup(void)
{
	int m, s, st;
	char name[64], buf[16];

	is_int(openpty(&m, &s, name, NULL, NULL), 0, "openpty");
	pid_t c = fork();
	if (c == 0) {
		close(m);
		setsid();
		ioctl(s, TIOCSCTTY, 0);
		read(s, buf, sizeof buf); /* until the hangup */
		for (;;)
			pause();
	}
	msleep(100);
	close(m);
	is_int(waitpid(c, &st, 0), c, "reap");
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGHUP, "closing the master sends SIGHUP to the leader");
	is_int(read(s, buf, sizeof buf), 0, "after hangup the slave reads EOF");
	is_errno(write(s, "x", 1), EIO, "after hangup slave writes fail EIO");
	struct pollfd p = { .fd = s, .events = POLLIN };
	ok(poll(&p, 1, 0) == 1 && (p.revents & POLLHUP), "poll on a hung-up slave: POLLHUP");
	close(s);

	is_int(openpty(&m, &s, name, NULL, NULL), 0, "openpty");
	wr(s, "bye");
	close(s);
	is_int(read_n(m, buf, 3), 3, "data written before the slave closed is still read");
	is_errno(read(m, buf, sizeof buf), EIO, "then the master reads EIO");
	p.fd = m;
	ok(poll(&p, 1, 0) == 1 && (p.revents & POLLHUP), "and polls POLLHUP");
	close(m);
}

static void test_poll(int m, int s)
{
	struct pollfd p[2] = { { .fd = m, .events = POLLIN | POLLOUT },
			       { .fd = s, .events = POLLIN | POLLOUT } };

	poll(p, 2, 0);
	is_int(p[0].revents, POLLOUT, "master: writable, nothing to read");
	is_int(p[1].revents, POLLOUT, "slave: writable, nothing to read");
	struct termios t;
	tcgetattr(s, &t);
	t.c_lflag &= ~ECHO;
	tcsetattr(s, TCSANOW, &t);
	wr(m, "x\n");
	ok(readable(s, 2000), "a line makes the slave POLLIN");
	char buf[8];
	read(s, buf, sizeof buf);
	wr(s, "y");
	ok(readable(m, 2000), "output makes the master POLLIN");
	read(m, buf, sizeof buf);

	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = s }, got;
	epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	is_int(epoll_wait(ep, &got, 1, 0), 0, "epoll: the slave is not readable yet");
	wr(m, "e\n");
	is_int(epoll_wait(ep, &got, 1, 2000), 1, "epoll: a line wakes epoll_wait");
	ok(got.events & EPOLLIN, "epoll: EPOLLIN");
	read(s, buf, sizeof buf);
	close(ep);
	t.c_lflag |= ECHO;
	tcsetattr(s, TCSANOW, &t);
}

int main(void)
{
	int m, s;
	char name[64];

	alarm(60);
	test_mem_devices();
	test_ptmx();
	is_int(openpty(&m, &s, name, NULL, NULL), 0, "openpty");
	test_canonical(m, s);
	test_raw(m, s);
	test_winsize(m, s);
	test_poll(m, s);
	close(s);
	test_session(m, name);
	close(m);
	is_int(openpty(&m, &s, name, NULL, NULL), 0, "openpty");
	close(s);
	test_ctty_open(name);
	close(m);
	test_hangup();
	test_packet();
	return done_testing();
}
