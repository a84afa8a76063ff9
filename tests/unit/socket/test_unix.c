// SPDX-License-Identifier: Apache-2.0
/*
 * Unix sockets below the syscall layer: families, the stream send buffer, in-flight file
 * references (release with the receiver, cycles refused), datagram records.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fs/vfs.h"
#include "sentry/socket/socket.h"

static const struct sock_creds who = { 1, 0, 0 };
static int released;

static void counting_release(struct file *f)
{
	released++;
	free(f);
}

static const struct file_ops counting_ops = { .release = counting_release };

static ssize_t send_buf(struct file *f, const void *buf, size_t len, int flags,
			struct sock_scm *scm)
{
	struct uio u;
	bool sigpipe;

	uio_init_kernel(&u, (void *)buf, len);
	return sock_sendmsg(f, &u, flags, NULL, NULL, scm, &who, &sigpipe);
}

static ssize_t recv_buf(struct file *f, void *buf, size_t len, int flags, struct sock_scm *scm)
{
	struct uio u;
	int mf;

	uio_init_kernel(&u, buf, len);
	return sock_recvmsg(f, &u, flags, &mf, NULL, scm);
}

START_TEST(test_families)
{
	struct file *f;

	ck_assert_int_eq(sock_create(AF_INET, SOCK_STREAM, 0, 0, &who, &f), -EAFNOSUPPORT);
	ck_assert_int_eq(sock_create(AF_INET6, SOCK_DGRAM, 0, 0, &who, &f), -EAFNOSUPPORT);
	ck_assert_int_eq(sock_create(AF_NETLINK, SOCK_RAW, 0, 0, &who, &f), -EAFNOSUPPORT);
	ck_assert_int_eq(sock_create(AF_UNIX, 9, 0, 0, &who, &f), -ESOCKTNOSUPPORT);
	ck_assert_int_eq(sock_create(AF_UNIX, SOCK_STREAM, 0, 0, &who, &f), 0);
	ck_assert(file_is_socket(f));
	file_put(f);
}
END_TEST

/* A stream holds about SO_SNDBUF (208 KiB) of data before a non-blocking writer stops. */
START_TEST(test_stream_buffer)
{
	static char chunk[4096], out[8192];
	struct file *a, *b;
	size_t total = 0;
	ssize_t n;

	ck_assert_int_eq(sock_pair(AF_UNIX, SOCK_STREAM, 0, O_NONBLOCK, &who, &a, &b), 0);
	while ((n = send_buf(a, chunk, sizeof chunk, 0, NULL)) > 0)
		total += (size_t)n;
	ck_assert_int_eq(n, -EAGAIN);
	ck_assert_uint_ge(total, 196608);
	ck_assert_uint_le(total, 212992);
	size_t got = 0;
	while ((n = recv_buf(b, out, sizeof out, 0, &(struct sock_scm){ .nfiles = 0 })) > 0)
		got += (size_t)n;
	ck_assert_int_eq(n, -EAGAIN);
	ck_assert_uint_eq(got, total);
	ck_assert_int_eq(send_buf(a, chunk, sizeof chunk, 0, NULL), sizeof chunk);
	file_put(a);
	file_put(b);
}
END_TEST

/* Files in flight belong to the receiver's queue: they go when the receiver goes. */
START_TEST(test_inflight_release)
{
	static struct sock_scm scm;
	struct file *a, *b, *f = calloc(1, sizeof(*f));

	file_init(f, &counting_ops, O_RDWR, NULL);
	released = 0;
	ck_assert_int_eq(sock_pair(AF_UNIX, SOCK_DGRAM, 0, 0, &who, &a, &b), 0);
	scm.nfiles = 1;
	scm.files[0] = f; /* our reference moves into the message */
	ck_assert_int_eq(send_buf(a, "x", 1, 0, &scm), 1);
	ck_assert_int_eq(scm.nfiles, 0);
	ck_assert_int_eq(released, 0);
	file_put(b);
	ck_assert_int_eq(released, 1);
	file_put(a);
}
END_TEST

/* A send that would leave a socket's own file reachable from its queue is refused. */
START_TEST(test_inflight_cycles)
{
	static struct sock_scm scm, rscm;
	struct file *a, *b;
	char c;

	ck_assert_int_eq(sock_pair(AF_UNIX, SOCK_STREAM, 0, O_NONBLOCK, &who, &a, &b), 0);
	/* b's own file into b's queue: refused. */
	file_get(b);
	scm.nfiles = 1;
	scm.files[0] = b;
	ck_assert_int_eq(send_buf(a, "x", 1, 0, &scm), -ETOOMANYREFS);
	sock_scm_release(&scm);
	/* a's file into b's queue is fine... */
	file_get(a);
	scm.nfiles = 1;
	scm.files[0] = a;
	ck_assert_int_eq(send_buf(a, "y", 1, 0, &scm), 1);
	/* ...but then b's file into a's queue closes a loop through it. */
	file_get(b);
	scm.nfiles = 1;
	scm.files[0] = b;
	ck_assert_int_eq(send_buf(b, "z", 1, 0, &scm), -ETOOMANYREFS);
	sock_scm_release(&scm);
	/* Receiving the in-flight file breaks the chain again. */
	ck_assert_int_eq(recv_buf(b, &c, 1, 0, &rscm), 1);
	ck_assert_int_eq(rscm.nfiles, 1);
	ck_assert_ptr_eq(rscm.files[0], a);
	sock_scm_release(&rscm);
	file_get(b);
	scm.nfiles = 1;
	scm.files[0] = b;
	ck_assert_int_eq(send_buf(b, "z", 1, 0, &scm), 1);
	file_put(a);
	file_put(b);
}
END_TEST

START_TEST(test_dgram_records)
{
	static struct sock_scm scm;
	struct file *a, *b;
	char buf[16];

	ck_assert_int_eq(sock_pair(AF_UNIX, SOCK_SEQPACKET, 0, O_NONBLOCK, &who, &a, &b), 0);
	ck_assert_int_eq(send_buf(a, "12345", 5, 0, NULL), 5);
	ck_assert_int_eq(send_buf(a, "67", 2, 0, NULL), 2);
	ck_assert_int_eq(recv_buf(b, buf, 3, MSG_PEEK, &scm), 3);
	ck_assert_int_eq(recv_buf(b, buf, 3, MSG_TRUNC, &scm), 5);
	ck_assert_int_eq(recv_buf(b, buf, sizeof buf, 0, &scm), 2);
	ck_assert_int_eq(recv_buf(b, buf, sizeof buf, 0, &scm), -EAGAIN);
	file_put(a);
	ck_assert_int_eq(recv_buf(b, buf, sizeof buf, 0, &scm), 0);
	file_put(b);
}
END_TEST

Suite *unix_socket_suite(void);
Suite *unix_socket_suite(void)
{
	Suite *s = suite_create("unix_socket");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_families);
	tcase_add_test(tc, test_stream_buffer);
	tcase_add_test(tc, test_inflight_release);
	tcase_add_test(tc, test_inflight_cycles);
	tcase_add_test(tc, test_dgram_records);
	suite_add_tcase(s, tc);
	return s;
}
