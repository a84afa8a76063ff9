// SPDX-License-Identifier: Apache-2.0
/* elf_check_header: real binaries, hand-built headers, every rejection, and a mutation loop. */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sentry/loader/loader.h"

#define IMG_LEN 1024

/* A small valid ET_EXEC: text at 0x400000 (covering the headers), data+bss, GNU_STACK. */
static void make_elf(uint8_t *img)
{
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_entry = 0x401000,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 3,
	};
	Elf64_Phdr ph[3] = {
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0, .p_vaddr = 0x400000,
		  .p_filesz = 0x200, .p_memsz = 0x200, .p_align = 0x1000 },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = 0x200, .p_vaddr = 0x601200,
		  .p_filesz = 0x100, .p_memsz = 0x3000, .p_align = 0x1000 },
		{ .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W },
	};

	memset(img, 0, IMG_LEN);
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), ph, sizeof(ph));
}

static Elf64_Ehdr *ehdr(uint8_t *img)
{
	return (Elf64_Ehdr *)img;
}

static Elf64_Phdr *phdr(uint8_t *img, int i)
{
	return (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr)) + i;
}

/* Check a copy of exactly @len bytes so ASan sees any read past the end. */
static int check_exact(const uint8_t *img, size_t len, const char **why)
{
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	memcpy(copy, img, len);
	*why = NULL;
	ret = elf_check_header(copy, len, why);
	free(copy);
	return ret;
}

static void expect_reject(uint8_t *img, size_t len, const char *needle)
{
	const char *why;

	ck_assert_int_eq(check_exact(img, len, &why), -ENOEXEC);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, needle), "reason \"%s\" lacks \"%s\"", why, needle);
}

START_TEST(test_accept_built)
{
	uint8_t img[IMG_LEN];
	const char *why;

	make_elf(img);
	ck_assert_int_eq(check_exact(img, IMG_LEN, &why), 0);
	/* Exactly the header and the table is enough. */
	ck_assert_int_eq(check_exact(img, sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr), &why), 0);
	ehdr(img)->e_type = ET_DYN;
	ck_assert_int_eq(check_exact(img, IMG_LEN, &why), 0);
}
END_TEST

static void check_real(const char *path, uint16_t want_type)
{
	uint8_t buf[16384];
	const char *why = NULL;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return; /* not installed here */
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_gt(n, (ssize_t)sizeof(Elf64_Ehdr));
	ck_assert_msg(elf_check_header(buf, n, &why) == 0, "%s: %s", path, why);
	ck_assert_int_eq(ehdr(buf)->e_type, want_type);
}

START_TEST(test_accept_real)
{
	check_real("/bin/busybox", ET_EXEC); /* busybox-static */
	check_real("/bin/ls", ET_DYN);       /* PIE with PT_INTERP */
	check_real("/lib64/ld-linux-x86-64.so.2", ET_DYN);
}
END_TEST

START_TEST(test_reject_not_elf)
{
	uint8_t img[IMG_LEN] = "#!/bin/sh\necho hi\n";
	const char *why;

	expect_reject(img, 0, "not an ELF file");
	expect_reject(img, strlen((char *)img), "not an ELF file");
	ck_assert_int_eq(elf_check_header(NULL, 0, &why), -ENOEXEC);
	make_elf(img);
	expect_reject(img, 3, "not an ELF file");
	expect_reject(img, 10, "truncated ELF header");
	expect_reject(img, sizeof(Elf64_Ehdr) - 1, "truncated ELF header");
	/* NULL why is allowed. */
	ck_assert_int_eq(elf_check_header(img, 10, NULL), -ENOEXEC);
}
END_TEST

START_TEST(test_reject_ident)
{
	uint8_t img[IMG_LEN];

	make_elf(img);
	img[EI_CLASS] = ELFCLASS32;
	expect_reject(img, IMG_LEN, "32-bit");
	expect_reject(img, 20, "32-bit"); /* says why even when shorter than an Elf64_Ehdr */
	make_elf(img);
	img[EI_CLASS] = 7;
	expect_reject(img, IMG_LEN, "class");
	make_elf(img);
	img[EI_DATA] = ELFDATA2MSB;
	expect_reject(img, IMG_LEN, "big-endian");
	make_elf(img);
	img[EI_VERSION] = 2;
	expect_reject(img, IMG_LEN, "version");
	make_elf(img);
	ehdr(img)->e_version = 0;
	expect_reject(img, IMG_LEN, "version");
}
END_TEST

START_TEST(test_reject_machine)
{
	uint8_t img[IMG_LEN];

	make_elf(img);
	ehdr(img)->e_machine = EM_AARCH64;
	expect_reject(img, IMG_LEN, "another architecture (aarch64)");
	ehdr(img)->e_machine = EM_386;
	expect_reject(img, IMG_LEN, "(i386)");
	ehdr(img)->e_machine = EM_RISCV;
	expect_reject(img, IMG_LEN, "(riscv)");
	ehdr(img)->e_machine = 0x7777;
	expect_reject(img, IMG_LEN, "another architecture");
}
END_TEST

START_TEST(test_reject_type)
{
	uint8_t img[IMG_LEN];

	make_elf(img);
	ehdr(img)->e_type = ET_CORE;
	expect_reject(img, IMG_LEN, "core");
	ehdr(img)->e_type = ET_REL;
	expect_reject(img, IMG_LEN, "relocatable");
	ehdr(img)->e_type = ET_NONE;
	expect_reject(img, IMG_LEN, "type");
}
END_TEST

START_TEST(test_reject_phdr_table)
{
	uint8_t img[IMG_LEN];

	make_elf(img);
	expect_reject(img, sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr) + 10, "truncated");
	ehdr(img)->e_phoff = IMG_LEN - 100;
	expect_reject(img, IMG_LEN, "truncated ELF program headers");
	ehdr(img)->e_phoff = UINT64_MAX - 8; /* offset + size would wrap */
	expect_reject(img, IMG_LEN, "truncated ELF program headers");
	make_elf(img);
	ehdr(img)->e_phnum = 0;
	expect_reject(img, IMG_LEN, "no program headers");
	ehdr(img)->e_phnum = 0xffff;
	expect_reject(img, IMG_LEN, "too many");
	make_elf(img);
	ehdr(img)->e_phentsize = 32;
	expect_reject(img, IMG_LEN, "program header size");
	make_elf(img);
	phdr(img, 0)->p_type = PT_NOTE;
	phdr(img, 1)->p_type = PT_NULL;
	expect_reject(img, IMG_LEN, "no loadable segments");
}
END_TEST

START_TEST(test_reject_segments)
{
	uint8_t img[IMG_LEN];

	make_elf(img);
	phdr(img, 1)->p_filesz = phdr(img, 1)->p_memsz + 1;
	expect_reject(img, IMG_LEN, "file size exceeds");
	make_elf(img);
	phdr(img, 1)->p_offset = 0x208;
	expect_reject(img, IMG_LEN, "misaligned");
	make_elf(img);
	phdr(img, 1)->p_vaddr = UINT64_MAX - 0xdff; /* same page offset as 0x200 */
	expect_reject(img, IMG_LEN, "outside the user address range");
	make_elf(img);
	phdr(img, 1)->p_vaddr = (1ULL << 47) - 0x1e00;
	expect_reject(img, IMG_LEN, "outside the user address range");
	make_elf(img);
	phdr(img, 1)->p_offset = UINT64_MAX - 0xdff;
	phdr(img, 1)->p_filesz = 0x1000;
	expect_reject(img, IMG_LEN, "overflows");
	make_elf(img);
	phdr(img, 1)->p_vaddr = 0x400100; /* inside the first segment */
	phdr(img, 1)->p_offset = 0x100;
	expect_reject(img, IMG_LEN, "overlap");
}
END_TEST

START_TEST(test_reject_interp)
{
	uint8_t img[IMG_LEN];
	const char *why;

	make_elf(img);
	phdr(img, 2)->p_type = PT_INTERP;
	phdr(img, 2)->p_offset = 0x100;
	phdr(img, 2)->p_filesz = 1;
	expect_reject(img, IMG_LEN, "interpreter");
	phdr(img, 2)->p_filesz = 5000;
	expect_reject(img, IMG_LEN, "interpreter");
	phdr(img, 2)->p_filesz = 28;
	ck_assert_int_eq(check_exact(img, IMG_LEN, &why), 0);
	phdr(img, 2)->p_offset = UINT64_MAX - 10;
	expect_reject(img, IMG_LEN, "interpreter");
}
END_TEST

/*
 * Mutations of a valid header must only ever return 0 or -ENOEXEC with a reason; the real
 * check is ASan/UBSan finding no out-of-bounds read, misaligned access or overflow.
 */
START_TEST(test_mutations)
{
	static const uint64_t edges[] = { 0, 1, 0xfff, 0x1000, 0x7fffffffffffULL,
					  1ULL << 47, UINT64_MAX, UINT64_MAX - 0xfff };
	size_t hdr = sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr);
	unsigned int seed = 12345;
	uint8_t img[IMG_LEN];
	int accepted = 0;

	for (int iter = 0; iter < 20000; iter++) {
		const char *why;
		size_t len;
		int nmut = 1 + rand_r(&seed) % 6, ret;

		make_elf(img);
		for (int m = 0; m < nmut; m++) {
			size_t pos = rand_r(&seed) % hdr;

			if (rand_r(&seed) % 3 == 0 && pos + 8 <= hdr) {
				uint64_t v = edges[rand_r(&seed) % (sizeof(edges) / sizeof(edges[0]))];

				memcpy(img + pos, &v, sizeof(v));
			} else {
				img[pos] = rand_r(&seed);
			}
		}
		len = rand_r(&seed) % 4 ? IMG_LEN : (size_t)rand_r(&seed) % (hdr + 16);
		ret = check_exact(img, len, &why);
		ck_assert(ret == 0 || ret == -ENOEXEC);
		if (ret)
			ck_assert_ptr_nonnull(why);
		else
			accepted++;
	}
	ck_assert_int_gt(accepted, 0); /* some mutations hit unused bytes */
}
END_TEST

Suite *elf_suite(void);
Suite *elf_suite(void)
{
	Suite *s = suite_create("elf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_accept_built);
	tcase_add_test(tc, test_accept_real);
	tcase_add_test(tc, test_reject_not_elf);
	tcase_add_test(tc, test_reject_ident);
	tcase_add_test(tc, test_reject_machine);
	tcase_add_test(tc, test_reject_type);
	tcase_add_test(tc, test_reject_phdr_table);
	tcase_add_test(tc, test_reject_segments);
	tcase_add_test(tc, test_reject_interp);
	tcase_add_test(tc, test_mutations);
	suite_add_tcase(s, tc);
	return s;
}
