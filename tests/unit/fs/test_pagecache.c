// SPDX-License-Identifier: Apache-2.0
/*
 * The page cache (fs/pagecache.c) and file mappings through mm without a platform: pages
 * shared with read/write, private copies, SIGBUS past EOF, fork, split/mremap offsets,
 * truncate, and every memory-file page going back when the last user goes.
 */
#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "fs/vfs.h"
#include "lib/compiler.h"
#include "sentry/mm/mm.h"

#define P(n) ((uint64_t)(n) * PAGE_SIZE)
#define RW (PROT_READ | PROT_WRITE)

static struct memfile *mf;
static struct mm *mm;
static struct file *f;

static void setup(void)
{
	struct vfs_cred cr = { 0, 0 };

	ck_assert_int_eq(memfile_new(64ULL << 20, &mf), 0);
	pagecache_set_memfile(mf);
	ck_assert_int_eq(mm_new(mf, NULL, &mm), 0);
	ck_assert_int_eq(tmpfs_memfd_new(&cr, "t", true, &f), 0);
}

static void teardown(void)
{
	mm_put(mm);
	file_put(f); /* the unlinked inode goes, and its pages with it */
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);
	pagecache_set_memfile(NULL);
	memfile_free(mf);
}

static void fill(uint64_t len, char c)
{
	static char buf[PAGE_SIZE];
	int64_t pos = 0;

	memset(buf, c, sizeof(buf));
	while ((uint64_t)pos < len) {
		struct uio u;

		uio_init_kernel(&u, buf, MIN(len - (uint64_t)pos, PAGE_SIZE));
		ck_assert_int_gt(vfs_write(f, &u, &pos), 0);
	}
}

static char file_byte(int64_t off)
{
	char c = 0;

	ck_assert_int_eq(vfs_kernel_pread(f, &c, 1, off), 1);
	return c;
}

static void file_put_byte(int64_t off, char c)
{
	struct uio u;

	uio_init_kernel(&u, &c, 1);
	ck_assert_int_eq(vfs_write(f, &u, &off), 1);
}

static gva_t map_file(uint64_t len, int prot, int flags, uint64_t off)
{
	struct mmap_opts o = { .len = len, .prot = prot, .flags = flags, .offset = off,
			       .max_prot = PROT_READ | PROT_WRITE | PROT_EXEC };
	gva_t out = 0;

	ck_assert_int_eq(vfs_file_mappable(f, "/t", &o.file), 0);
	ck_assert_int_eq(mm_mmap(mm, &o, &out), 0);
	o.file->ops->put(o.file);
	return out;
}

static char guest_byte(struct mm *m, gva_t a)
{
	char c = 0;

	ck_assert_int_eq(mm_copy_in(m, a, &c, 1), 1);
	return c;
}

START_TEST(test_cache_pages)
{
	struct pagecache *pc;
	uint64_t a, b;
	char *p;

	ck_assert_int_eq(pagecache_new(true, &pc), 0);
	ck_assert_int_eq(pagecache_find(pc, 3, false, &a), -ENOENT);
	ck_assert_int_eq(pagecache_find(pc, 3, true, &a), 0);
	ck_assert_int_eq(pagecache_find(pc, 3, false, &b), 0);
	ck_assert_uint_eq(a, b);
	ck_assert_uint_eq(pagecache_nr_pages(pc), 1);
	p = pagecache_page_ptr(a);
	memset(p, 'x', PAGE_SIZE);
	pagecache_write_through(pc, P(3) + 10, "abc", 3);
	pagecache_write_through(pc, P(5), "zz", 2); /* absent: nothing allocated */
	ck_assert_uint_eq(pagecache_nr_pages(pc), 1);
	ck_assert(memcmp(p + 9, "xabcx", 5) == 0);
	pagecache_truncate(pc, (int64_t)P(3) + 100); /* page 3 stays, its tail is zeroed */
	ck_assert_uint_eq(pagecache_nr_pages(pc), 1);
	ck_assert_int_eq(p[99], 'x');
	ck_assert_int_eq(p[100], 0);
	ck_assert_int_eq(p[PAGE_SIZE - 1], 0);
	pagecache_truncate(pc, (int64_t)P(3));
	ck_assert_uint_eq(pagecache_nr_pages(pc), 0);
	ck_assert_uint_eq(memfile_used_bytes(mf), P(1)); /* one page, our two references */
	pagecache_put_page(a);
	pagecache_put_page(b);
	pagecache_free(pc);
}
END_TEST

/* Bulk allocation for big writes: only absent pages, never past what was asked, zeroed. */
START_TEST(test_prealloc)
{
	static char buf[P(3) + 200];
	struct pagecache *pc;
	uint64_t a, b;
	int64_t pos;
	struct uio u;
	char *p;

	ck_assert_int_eq(pagecache_new(true, &pc), 0);
	ck_assert_int_eq(pagecache_find(pc, 2, true, &a), 0);
	pagecache_prealloc(pc, 0, 5); /* stops at the present page 2 */
	ck_assert_uint_eq(pagecache_nr_pages(pc), 3);
	pagecache_prealloc(pc, 3, 1); /* a single page is left to pagecache_find */
	ck_assert_uint_eq(pagecache_nr_pages(pc), 3);
	pagecache_prealloc(pc, 3, 4);
	ck_assert_uint_eq(pagecache_nr_pages(pc), 7);
	ck_assert_int_eq(pagecache_find(pc, 6, false, &b), 0);
	p = pagecache_page_ptr(b);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		ck_assert_int_eq(p[i], 0);
	ck_assert_int_eq(pagecache_find(pc, 7, false, &b), -ENOENT);
	pagecache_put_page(b);
	pagecache_put_page(a);
	pagecache_free(pc);
	ck_assert_uint_eq(memfile_used_bytes(mf), 0);

	/* A write of 3 pages + 200 bytes at offset 100 touches pages 0..3, and only those. */
	memset(buf, 'w', sizeof(buf));
	uio_init_kernel(&u, buf, sizeof(buf));
	pos = 100;
	ck_assert_int_eq(vfs_write(f, &u, &pos), (int)sizeof(buf));
	ck_assert_uint_eq(memfile_used_bytes(mf), P(4));
	ck_assert_int_eq(file_byte(99), 0);
	ck_assert_int_eq(file_byte(100), 'w');
	ck_assert_int_eq(file_byte((int64_t)sizeof(buf) + 99), 'w');
	/* Page-aligned, 2 whole pages past the end: exactly those two more. */
	uio_init_kernel(&u, buf, P(2));
	pos = (int64_t)P(4);
	ck_assert_int_eq(vfs_write(f, &u, &pos), (int)P(2));
	ck_assert_uint_eq(memfile_used_bytes(mf), P(6));
	ck_assert_int_eq(file_byte((int64_t)P(6) - 1), 'w');
}
END_TEST

START_TEST(test_private_mapping)
{
	gva_t a;
	char x = 'X';

	fill(P(3), 'a');
	a = map_file(P(4), RW, MAP_PRIVATE, 0);
	ck_assert_int_eq(guest_byte(mm, a + P(2) + 5), 'a');
	ck_assert_int_eq(mm_copy_out(mm, a, &x, 1), 1);
	ck_assert_int_eq(guest_byte(mm, a), 'X');
	ck_assert_int_eq(file_byte(0), 'a'); /* the write stayed private */
	ck_assert_int_eq(mm_madvise(mm, a, P(1), MADV_DONTNEED), 0);
	ck_assert_int_eq(guest_byte(mm, a), 'a');
	/* Past the end of the file: SIGBUS for the guest, EFAULT for copies. */
	ck_assert_int_eq(mm_handle_fault(mm, a + P(3), 0), -EIO);
	ck_assert_int_eq(mm_copy_in(mm, a + P(3), &x, 1), -EFAULT);
	ck_assert_int_eq(mm_handle_fault(mm, a + P(1), 0), 0);
	ck_assert_int_eq(mm_munmap(mm, a, P(4)), 0);
}
END_TEST

START_TEST(test_shared_mapping)
{
	struct mm *child;
	gva_t a;
	char s = 'S';

	fill(P(2), 'b');
	a = map_file(P(2), RW, MAP_SHARED, 0);
	ck_assert_int_eq(mm_copy_out(mm, a + 7, &s, 1), 1);
	ck_assert_int_eq(file_byte(7), 'S');
	file_put_byte(P(1) + 1, 'W');
	ck_assert_int_eq(guest_byte(mm, a + P(1) + 1), 'W');
	ck_assert_int_eq(mm_fork(mm, &child), 0);
	s = 'C';
	ck_assert_int_eq(mm_copy_out(child, a + 8, &s, 1), 1);
	ck_assert_int_eq(guest_byte(mm, a + 8), 'C');
	ck_assert_int_eq(file_byte(8), 'C');
	ck_assert_int_eq(mm_msync(mm, a, P(2), MS_SYNC), 0);
	ck_assert_int_eq(mm_msync(mm, a, P(3), MS_SYNC), -ENOMEM);
	mm_put(child);
}
END_TEST

struct vma_seen {
	int n;
	uint64_t off[4];
	bool named;
};

static void see_vma(const struct vma_info *v, void *arg)
{
	struct vma_seen *s = arg;

	if (s->n < 4)
		s->off[s->n] = v->offset;
	s->named = s->n == 0 ? v->path && strcmp(v->path, "/t") == 0 : s->named;
	s->n++;
}

START_TEST(test_split_and_move)
{
	struct vma_seen seen = { 0 };
	int64_t na;
	gva_t a;

	fill(P(3), 'c');
	file_put_byte(P(2) + 3, 'z');
	a = map_file(P(3), RW, MAP_PRIVATE, 0);
	ck_assert_int_eq(mm_mprotect(mm, a + P(1), P(1), PROT_READ), 0);
	mm_for_each_vma(mm, see_vma, &seen);
	ck_assert_int_eq(seen.n, 3);
	ck_assert(seen.named);
	ck_assert_uint_eq(seen.off[0], 0);
	ck_assert_uint_eq(seen.off[1], P(1));
	ck_assert_uint_eq(seen.off[2], P(2));
	ck_assert_int_eq(mm_mprotect(mm, a + P(1), P(1), RW), 0); /* merges back */
	seen.n = 0;
	mm_for_each_vma(mm, see_vma, &seen);
	ck_assert_int_eq(seen.n, 1);
	/* Move the last page far away: it still maps file page 2. */
	na = mm_mremap(mm, a + P(2), P(1), P(1), MREMAP_MAYMOVE | MREMAP_FIXED, a + P(100));
	ck_assert_int_eq(na, (int64_t)(a + P(100)));
	ck_assert_int_eq(guest_byte(mm, a + P(100) + 3), 'z');
	ck_assert_int_eq(mm_munmap(mm, a, P(101)), 0);
}
END_TEST

START_TEST(test_truncate_faults)
{
	struct iattr ia = { .valid = ATTR_SIZE, .size = (int64_t)P(1) };
	gva_t a;

	gva_t b;

	fill(P(3), 'd');
	a = map_file(P(3), PROT_READ, MAP_SHARED, 0);
	b = map_file(P(3), RW, MAP_PRIVATE, 0);
	ck_assert_int_eq(guest_byte(mm, a + P(2)), 'd'); /* mapped before the truncate */
	ck_assert_int_eq(mm_copy_out(mm, b + P(2), "p", 1), 1); /* a private copy */
	ck_assert_int_eq(vfs_setattr(file_inode(f), &ia), 0);
	ck_assert_int_eq(mm_handle_fault(mm, b + P(2), 0), -EIO); /* copies go too */
	ck_assert_int_eq(mm_handle_fault(mm, a + P(2), 0), -EIO);
	ck_assert_int_eq(mm_handle_fault(mm, a, 0), 0);
	ia.size = (int64_t)P(3);
	ck_assert_int_eq(vfs_setattr(file_inode(f), &ia), 0);
	ck_assert_int_eq(guest_byte(mm, a + P(2)), 0); /* a hole now */
}
END_TEST

Suite *pagecache_suite(void);
Suite *pagecache_suite(void)
{
	Suite *s = suite_create("pagecache");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cache_pages);
	tcase_add_test(tc, test_prealloc);
	tcase_add_test(tc, test_private_mapping);
	tcase_add_test(tc, test_shared_mapping);
	tcase_add_test(tc, test_split_and_move);
	tcase_add_test(tc, test_truncate_faults);
	suite_add_tcase(s, tc);
	return s;
}
