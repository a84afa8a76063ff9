// SPDX-License-Identifier: Apache-2.0
/* lib/waitq, pipes, eventfd and the poll table, driven from host threads. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fs/vfs.h"
#include "lib/waitq.h"

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

static void msleep(int ms)
{
	usleep((useconds_t)ms * 1000);
}

/* ---- waitq ---- */

static struct waitq wq;
static pthread_mutex_t obj_mu = PTHREAD_MUTEX_INITIALIZER;
static int cond;

static void *waker(void *arg)
{
	msleep(20);
	pthread_mutex_lock(&obj_mu);
	cond = 1;
	waitq_wake_all(&wq);
	pthread_mutex_unlock(&obj_mu);
	return NULL;
}

START_TEST(test_waitq_wake)
{
	pthread_t th;

	waitq_init(&wq);
	cond = 0;
	pthread_create(&th, NULL, waker, NULL);
	pthread_mutex_lock(&obj_mu);
	while (!cond)
		ck_assert_int_ne(waitq_wait_locked(&wq, &obj_mu, NULL), -EINTR);
	pthread_mutex_unlock(&obj_mu);
	pthread_join(th, NULL);
	waitq_destroy(&wq);
}
END_TEST

START_TEST(test_waitq_timeout)
{
	struct timespec dl;

	waitq_init(&wq);
	deadline_after_ns(&dl, 20 * 1000000LL);
	pthread_mutex_lock(&obj_mu);
	ck_assert_int_eq(waitq_wait_locked(&wq, &obj_mu, &dl), -ETIMEDOUT);
	pthread_mutex_unlock(&obj_mu);
	ck_assert(deadline_passed(&dl));
	waitq_destroy(&wq);
}
END_TEST

static struct waiter *victim;

static void *interrupter(void *arg)
{
	msleep(20);
	waiter_interrupt(victim);
	return NULL;
}

START_TEST(test_waitq_interrupt)
{
	pthread_t th;

	waitq_init(&wq);
	victim = waiter_current();
	pthread_create(&th, NULL, interrupter, NULL);
	pthread_mutex_lock(&obj_mu);
	ck_assert_int_eq(waitq_wait_locked(&wq, &obj_mu, NULL), -EINTR);
	ck_assert_int_eq(waitq_wait_locked(&wq, &obj_mu, NULL), -EINTR); /* sticky */
	pthread_mutex_unlock(&obj_mu);
	pthread_join(th, NULL);
	ck_assert(waiter_interrupted(victim));
	waiter_clear_interrupt(victim);
	ck_assert(!waiter_interrupted(victim));
	waitq_destroy(&wq);
}
END_TEST

/* ---- pipes ---- */

static struct file *prd, *pwr;

static void *late_writer(void *arg)
{
	msleep(20);
	ck_assert_int_eq(kwrite(pwr, "ping", 4), 4);
	return NULL;
}

static void *late_closer(void *arg)
{
	msleep(20);
	file_put(pwr);
	return NULL;
}

static void *late_reader(void *arg)
{
	static char buf[PIPE_DEF_SIZE];
	msleep(20);
	ck_assert_int_eq(kread(prd, buf, 100), 100);
	return NULL;
}

START_TEST(test_pipe_blocking_read)
{
	pthread_t th;
	char buf[16];

	ck_assert_int_eq(pipe_new(0, 0, 0, &prd, &pwr), 0);
	pthread_create(&th, NULL, late_writer, NULL);
	ck_assert_int_eq(kread(prd, buf, sizeof buf), 4);
	ck_assert_mem_eq(buf, "ping", 4);
	pthread_join(th, NULL);
	/* A blocked reader sees EOF when the last writer goes. */
	pthread_create(&th, NULL, late_closer, NULL);
	ck_assert_int_eq(kread(prd, buf, sizeof buf), 0);
	pthread_join(th, NULL);
	file_put(prd);
}
END_TEST

START_TEST(test_pipe_blocking_write)
{
	static char buf[PIPE_DEF_SIZE];
	pthread_t th;

	ck_assert_int_eq(pipe_new(0, 0, 0, &prd, &pwr), 0);
	ck_assert_int_eq(kwrite(pwr, buf, sizeof buf), PIPE_DEF_SIZE);
	pthread_create(&th, NULL, late_reader, NULL);
	/* Waits until the reader makes room for all 50 bytes (atomic write). */
	ck_assert_int_eq(kwrite(pwr, buf, 50), 50);
	pthread_join(th, NULL);
	file_put(pwr);
	file_put(prd);
}
END_TEST

START_TEST(test_pipe_ring_wraps)
{
	char in[3000], out[3000];

	ck_assert_int_eq(pipe_new(O_NONBLOCK, 0, 0, &prd, &pwr), 0);
	for (int round = 0; round < 100; round++) {
		for (size_t i = 0; i < sizeof in; i++)
			in[i] = (char)(round + i);
		ck_assert_int_eq(kwrite(pwr, in, sizeof in), sizeof in);
		ck_assert_int_eq(kread(prd, out, sizeof out), sizeof out);
		ck_assert_mem_eq(in, out, sizeof in);
	}
	ck_assert_int_eq(kread(prd, out, 1), -EAGAIN);
	file_put(prd);
	ck_assert_int_eq(kwrite(pwr, in, 1), -EPIPE);
	file_put(pwr);
}
END_TEST

/* ---- poll table ---- */

START_TEST(test_poll_table_wakes)
{
	struct waiter *w = waiter_current();
	struct poll_table pt;
	pthread_t th;

	ck_assert_int_eq(pipe_new(0, 0, 0, &prd, &pwr), 0);
	poll_table_init(&pt, w);
	ck_assert_uint_eq(vfs_poll(prd, &pt), 0);
	ck_assert_ptr_nonnull(pt.entries);
	pthread_create(&th, NULL, late_writer, NULL);
	while (!(vfs_poll(prd, NULL) & POLLIN))
		ck_assert_int_eq(waiter_wait(w, NULL), 0);
	pthread_join(th, NULL);
	poll_table_release(&pt);
	ck_assert_ptr_null(pt.entries);
	ck_assert_uint_eq(vfs_poll(pwr, NULL), POLLOUT | POLLWRNORM);
	file_put(pwr);
	ck_assert_uint_eq(vfs_poll(prd, NULL), POLLIN | POLLRDNORM | POLLHUP);
	file_put(prd);
}
END_TEST

static int plain_released;
static void plain_release(struct file *f)
{
	plain_released++;
	free(f);
}
static const struct file_ops plain_ops = { .release = plain_release };

START_TEST(test_poll_default)
{
	struct file *f = calloc(1, sizeof(*f));

	file_init(f, &plain_ops, O_RDWR, NULL);
	ck_assert_uint_eq(vfs_poll(f, NULL), POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
	file_put(f);
	ck_assert_int_eq(plain_released, 1);
}
END_TEST

/* ---- eventfd ---- */

static struct file *efd;

static void *late_signal(void *arg)
{
	uint64_t v = 5;
	msleep(20);
	ck_assert_int_eq(kwrite(efd, &v, 8), 8);
	return NULL;
}

START_TEST(test_eventfd)
{
	uint64_t v;
	pthread_t th;

	ck_assert_int_eq(eventfd_new(0, 0, &efd), 0);
	pthread_create(&th, NULL, late_signal, NULL);
	ck_assert_int_eq(kread(efd, &v, 8), 8); /* blocks until the write */
	ck_assert_uint_eq(v, 5);
	pthread_join(th, NULL);
	v = UINT64_MAX;
	ck_assert_int_eq(kwrite(efd, &v, 8), -EINVAL);
	ck_assert_int_eq(kread(efd, &v, 7), -EINVAL);
	file_put(efd);

	ck_assert_int_eq(eventfd_new(2, EFD_SEMAPHORE | O_NONBLOCK, &efd), 0);
	ck_assert_int_eq(kread(efd, &v, 8), 8);
	ck_assert_uint_eq(v, 1);
	ck_assert_uint_eq(vfs_poll(efd, NULL) & POLLIN, POLLIN);
	ck_assert_int_eq(kread(efd, &v, 8), 8);
	ck_assert_int_eq(kread(efd, &v, 8), -EAGAIN);
	ck_assert_uint_eq(vfs_poll(efd, NULL) & POLLIN, 0);
	file_put(efd);
}
END_TEST

Suite *pipe_suite(void);
Suite *pipe_suite(void)
{
	Suite *s = suite_create("pipe");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_waitq_wake);
	tcase_add_test(tc, test_waitq_timeout);
	tcase_add_test(tc, test_waitq_interrupt);
	tcase_add_test(tc, test_pipe_blocking_read);
	tcase_add_test(tc, test_pipe_blocking_write);
	tcase_add_test(tc, test_pipe_ring_wraps);
	tcase_add_test(tc, test_poll_table_wakes);
	tcase_add_test(tc, test_poll_default);
	tcase_add_test(tc, test_eventfd);
	suite_add_tcase(s, tc);
	return s;
}
