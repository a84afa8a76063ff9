// SPDX-License-Identifier: Apache-2.0
/* Kernel timers on the event thread (sentry/kernel/timer.c) and timerfd, from host threads. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <unistd.h>

#include "fs/vfs.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/timer.h"

#define MS 1000000LL

static struct kernel k;

static void setup(void)
{
	ck_assert_int_eq(kernel_timers_init(&k), 0);
}

static void teardown(void)
{
	kernel_timers_fini(&k);
}

static atomic_ulong fired;
static atomic_int in_cb;

static void count_fn(struct ktimer *kt, void *arg, uint64_t n)
{
	atomic_fetch_add(&fired, n);
}

static void slow_fn(struct ktimer *kt, void *arg, uint64_t n)
{
	atomic_store(&in_cb, 1);
	usleep(100 * 1000);
	atomic_fetch_add(&fired, n);
	atomic_store(&in_cb, 2);
}

START_TEST(test_oneshot)
{
	struct ktimer *kt;
	int64_t v, i;

	atomic_store(&fired, 0);
	ck_assert_int_eq(ktimer_new(&k, count_fn, NULL, &kt), 0);
	ktimer_get(kt, &v, &i);
	ck_assert(v == 0 && i == 0);
	ktimer_set(kt, CLOCK_MONOTONIC, clock_now_ns(CLOCK_MONOTONIC) + 20 * MS, 0, &v, &i);
	ck_assert(v == 0 && i == 0);
	ktimer_get(kt, &v, &i);
	ck_assert(v > 0 && v <= 20 * MS);
	usleep(80 * 1000);
	ck_assert_uint_eq(atomic_load(&fired), 1);
	ktimer_get(kt, &v, &i);
	ck_assert_int_eq(v, 0);
	ktimer_free(kt);
}
END_TEST

START_TEST(test_periodic_and_late)
{
	struct ktimer *kt;
	int64_t v, i;

	atomic_store(&fired, 0);
	ck_assert_int_eq(ktimer_new(&k, count_fn, NULL, &kt), 0);
	ktimer_set(kt, CLOCK_MONOTONIC, clock_now_ns(CLOCK_MONOTONIC) + 10 * MS, 10 * MS, NULL, NULL);
	usleep(200 * 1000);
	ktimer_set(kt, CLOCK_MONOTONIC, 0, 0, &v, &i);
	ck_assert(v > 0 && v <= 10 * MS && i == 10 * MS);
	unsigned long n = atomic_load(&fired);
	ck_assert_msg(n >= 10 && n <= 200, "fired %lu times", n); /* more if usleep overslept */
	usleep(30 * 1000);
	ck_assert_uint_eq(atomic_load(&fired), n);
	/* A start 1 s in the past with a 1 ms period: the missed periods come as one count. */
	atomic_store(&fired, 0);
	ktimer_set(kt, CLOCK_MONOTONIC, clock_now_ns(CLOCK_MONOTONIC) - 1000 * MS, MS, NULL, NULL);
	usleep(20 * 1000);
	ktimer_set(kt, CLOCK_MONOTONIC, 0, 0, NULL, NULL);
	ck_assert_uint_ge(atomic_load(&fired), 1000);
	ktimer_free(kt);
}
END_TEST

START_TEST(test_realtime_absolute)
{
	struct ktimer *kt;

	atomic_store(&fired, 0);
	ck_assert_int_eq(ktimer_new(&k, count_fn, NULL, &kt), 0);
	int64_t dl = clock_now_ns(CLOCK_REALTIME) + 30 * MS;
	ktimer_set(kt, CLOCK_REALTIME, dl, 0, NULL, NULL);
	while (atomic_load(&fired) == 0)
		usleep(1000);
	ck_assert_int_ge(clock_now_ns(CLOCK_REALTIME), dl);
	ktimer_free(kt);
}
END_TEST

/* ktimer_free waits for a callback that is running (del_timer_sync). */
START_TEST(test_free_waits)
{
	struct ktimer *kt;

	atomic_store(&fired, 0);
	atomic_store(&in_cb, 0);
	ck_assert_int_eq(ktimer_new(&k, slow_fn, NULL, &kt), 0);
	ktimer_set(kt, CLOCK_MONOTONIC, clock_now_ns(CLOCK_MONOTONIC) + MS, 0, NULL, NULL);
	while (atomic_load(&in_cb) == 0)
		usleep(1000);
	ktimer_free(kt);
	ck_assert_int_eq(atomic_load(&in_cb), 2);
	ck_assert_uint_eq(atomic_load(&fired), 1);
}
END_TEST

START_TEST(test_timerfd)
{
	struct file *f;
	struct uio u;
	uint64_t n = 0;
	int64_t v, i;

	ck_assert_int_eq(timerfd_new(&k, CLOCK_MONOTONIC, O_NONBLOCK, &f), 0);
	ck_assert(file_is_timerfd(f));
	uio_init_kernel(&u, &n, sizeof(n));
	ck_assert_int_eq(vfs_read(f, &u, &f->pos), -EAGAIN);
	ck_assert_uint_eq(vfs_poll(f, NULL) & POLLIN, 0);
	timerfd_file_settime(f, false, 5 * MS, 5 * MS, &v, &i);
	usleep(60 * 1000);
	ck_assert_uint_ne(vfs_poll(f, NULL) & POLLIN, 0);
	uio_init_kernel(&u, &n, sizeof(n));
	ck_assert_int_eq(vfs_read(f, &u, &f->pos), 8);
	ck_assert_msg(n >= 3 && n <= 200, "%llu expirations", (unsigned long long)n);
	timerfd_file_gettime(f, &v, &i);
	ck_assert(v > 0 && i == 5 * MS);
	file_put(f); /* frees the timer while it runs */
}
END_TEST

Suite *ktimer_suite(void);
Suite *ktimer_suite(void)
{
	Suite *s = suite_create("ktimer");
	TCase *tc = tcase_create("ktimer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_oneshot);
	tcase_add_test(tc, test_periodic_and_late);
	tcase_add_test(tc, test_realtime_absolute);
	tcase_add_test(tc, test_free_waits);
	tcase_add_test(tc, test_timerfd);
	suite_add_tcase(s, tc);
	return s;
}
