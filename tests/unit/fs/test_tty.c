// SPDX-License-Identifier: Apache-2.0
/*
 * /dev and ptys without a kernel (no struct tty_job_ops: nobody has a controlling terminal):
 * device numbers, the pair's life cycle, line-discipline corner cases the conformance test
 * cannot reach deterministically (a full canonical buffer, tabs, backpressure).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "fs/dev/dev.h"
#include "fs/tty/tty_impl.h"
#include "fs/vfs.h"

static struct mount *root;
static struct vfs_cred cred;
static struct vfs_start start;

static void setup(void)
{
	ck_assert_int_eq(vfs_mount_root(0, 0, &root), 0);
	ck_assert_int_eq(devfs_mount(root), 0);
	start = (struct vfs_start){ .cr = &cred, .root = { root, root->root },
				    .start = { root, root->root } };
}

static void teardown(void)
{
	mount_put(root);
}

static ssize_t kread(struct file *f, void *buf, size_t n)
{
	struct uio u;
	uio_init_kernel(&u, buf, n);
	return vfs_read(f, &u, &f->pos);
}

static ssize_t kwrite(struct file *f, const void *buf, size_t n)
{
	struct uio u;
	uio_init_kernel(&u, (void *)buf, n);
	return vfs_write(f, &u, &f->pos);
}

/* A pair: *m the master, *s the slave (unlocked). Returns the index. */
static int open_pair(struct file **m, struct file **s)
{
	char path[32];
	struct pty *p;

	ck_assert_int_eq(vfs_open(&start, "/dev/ptmx", O_RDWR | O_NOCTTY, 0, m), 0);
	p = (*m)->priv;
	snprintf(path, sizeof(path), "/dev/pts/%d", p->index);
	ck_assert_int_eq(vfs_open(&start, path, O_RDWR | O_NOCTTY, 0, s), -EIO); /* locked */
	pthread_mutex_lock(&p->mu);
	p->locked = false;
	pthread_mutex_unlock(&p->mu);
	ck_assert_int_eq(vfs_open(&start, path, O_RDWR | O_NOCTTY, 0, s), 0);
	return p->index;
}

START_TEST(test_dev_nodes)
{
	static const struct { const char *path; unsigned int maj, min, mode; } nodes[] = {
		{ "/dev/null", 1, 3, 0666 }, { "/dev/zero", 1, 5, 0666 },
		{ "/dev/full", 1, 7, 0666 }, { "/dev/random", 1, 8, 0666 },
		{ "/dev/urandom", 1, 9, 0666 }, { "/dev/tty", 5, 0, 0666 },
		{ "/dev/console", 5, 1, 0600 }, { "/dev/ptmx", 5, 2, 0666 },
	};
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		struct path p;
		struct stat st;
		ck_assert_int_eq(vfs_lookup(&start, nodes[i].path, LOOKUP_FOLLOW, &p), 0);
		ck_assert_int_eq(vfs_getattr(p.dentry->inode, &st), 0);
		ck_assert(S_ISCHR(st.st_mode));
		ck_assert_uint_eq(major(st.st_rdev), nodes[i].maj);
		ck_assert_uint_eq(minor(st.st_rdev), nodes[i].min);
		ck_assert_uint_eq(st.st_mode & 07777, nodes[i].mode);
		path_put(&p);
	}
	struct file *f;
	/* No process: no controlling terminal, no console without -t. */
	ck_assert_int_eq(vfs_open(&start, "/dev/tty", O_RDWR, 0, &f), -ENXIO);
	ck_assert_int_eq(vfs_open(&start, "/dev/console", O_RDWR, 0, &f), -ENODEV);
	ck_assert_int_eq(vfs_mknod_reg(&start, "/dev/pts/x", 0600), -EPERM);
}
END_TEST

START_TEST(test_pair_lifecycle)
{
	struct file *m, *s;
	char path[32], buf[16];
	struct path p;
	int idx = open_pair(&m, &s);

	snprintf(path, sizeof(path), "/dev/pts/%d", idx);
	ck_assert_int_eq(vfs_lookup(&start, path, 0, &p), 0);
	path_put(&p);
	ck_assert_int_eq(kwrite(s, "bye", 3), 3);
	file_put(s);
	ck_assert_int_eq(kread(m, buf, sizeof(buf)), 3); /* written before the close: kept */
	ck_assert_int_eq(kread(m, buf, sizeof(buf)), -EIO); /* then: every slave closed */
	file_put(m);
	ck_assert_int_eq(vfs_lookup(&start, path, 0, &p), -ENOENT);
}
END_TEST

START_TEST(test_hangup)
{
	struct file *m, *s;
	char path[32], buf[16];
	struct path p;
	int idx = open_pair(&m, &s);

	ck_assert_int_eq(kwrite(m, "typed\n", 6), 6);
	file_put(m);
	ck_assert_int_eq(kread(s, buf, sizeof(buf)), 0); /* hung up: EOF, input dropped */
	ck_assert_int_eq(kwrite(s, "x", 1), -EIO);
	snprintf(path, sizeof(path), "/dev/pts/%d", idx);
	ck_assert_int_eq(vfs_lookup(&start, path, 0, &p), -ENOENT);
	file_put(s);
}
END_TEST

START_TEST(test_canon_full_line)
{
	struct file *m, *s;
	static char big[5000], got[TTY_BUF_SIZE + 16];

	open_pair(&m, &s);
	struct pty *p = m->priv;
	p->termios.c_lflag &= ~ECHO;
	memset(big, 'a', sizeof(big));
	/* A line longer than the buffer: the excess is dropped, the newline still fits. */
	ck_assert_int_eq(kwrite(m, big, sizeof(big)), (ssize_t)sizeof(big));
	ck_assert_int_eq(kwrite(m, "\n", 1), 1);
	ck_assert_int_eq(kread(s, got, sizeof(got)), TTY_BUF_SIZE);
	ck_assert_int_eq(got[TTY_BUF_SIZE - 1], '\n');
	file_put(s);
	file_put(m);
}
END_TEST

START_TEST(test_raw_backpressure)
{
	struct file *m, *s;
	static char big[TTY_BUF_SIZE + 100], got[TTY_BUF_SIZE + 100];

	open_pair(&m, &s);
	struct pty *p = m->priv;
	p->termios.c_lflag &= ~(ECHO | ICANON);
	m->flags |= O_NONBLOCK;
	memset(big, 'b', sizeof(big));
	ck_assert_int_eq(kwrite(m, big, sizeof(big)), TTY_BUF_SIZE); /* what fits */
	ck_assert_int_eq(kwrite(m, big, 1), -EAGAIN);
	ck_assert_int_eq(kread(s, got, sizeof(got)), TTY_BUF_SIZE);
	ck_assert_int_eq(kwrite(m, big, 1), 1);
	file_put(s);
	file_put(m);
}
END_TEST

START_TEST(test_tab_erase)
{
	struct file *m, *s;
	char got[64];

	open_pair(&m, &s);
	/* "ab<TAB>" then ERASE: the tab is taken back as cursor moves only (no blanking). */
	ck_assert_int_eq(kwrite(m, "ab\t\177\n", 5), 5);
	ck_assert_int_eq(kread(s, got, sizeof(got)), 3);
	ck_assert(memcmp(got, "ab\n", 3) == 0);
	ssize_t n = kread(m, got, sizeof(got));
	ck_assert_int_eq(n, 11);
	ck_assert(memcmp(got, "ab\t\b\b\b\b\b\b\r\n", 11) == 0);
	file_put(s);
	file_put(m);
}
END_TEST

Suite *tty_suite(void);
Suite *tty_suite(void)
{
	Suite *s = suite_create("tty");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dev_nodes);
	tcase_add_test(tc, test_pair_lifecycle);
	tcase_add_test(tc, test_hangup);
	tcase_add_test(tc, test_canon_full_line);
	tcase_add_test(tc, test_raw_backpressure);
	tcase_add_test(tc, test_tab_erase);
	suite_add_tcase(s, tc);
	return s;
}
