// SPDX-License-Identifier: Apache-2.0
/*
 * ELF64 header and program-header validation. Everything here treats the bytes as hostile:
 * no read past @len, no unaligned access, no integer overflow (the loader relies on it).
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lib/compiler.h"
#include "sentry/loader/loader.h"

/* Linux rejects e_phnum * sizeof(phdr) > 64 KiB; real programs have about a dozen. */
#define ELF_MAX_PHNUM 128
/* x86-64 user addresses are below 1 << 47 (4-level paging, as Linux's TASK_SIZE_MAX). */
#define ELF_USER_END (1ULL << 47)
/* Linux's PATH_MAX bound on the PT_INTERP string (fs/binfmt_elf.c). */
#define ELF_INTERP_MAX 4096

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

static const struct {
	uint16_t machine;
	const char *why;
} foreign_arches[] = {
	{ EM_386, "ELF for another architecture (i386)" },
	{ EM_ARM, "ELF for another architecture (arm)" },
	{ EM_AARCH64, "ELF for another architecture (aarch64)" },
	{ EM_RISCV, "ELF for another architecture (riscv)" },
	{ EM_PPC, "ELF for another architecture (ppc)" },
	{ EM_PPC64, "ELF for another architecture (ppc64)" },
	{ EM_S390, "ELF for another architecture (s390)" },
	{ EM_MIPS, "ELF for another architecture (mips)" },
	{ EM_SPARCV9, "ELF for another architecture (sparc64)" },
	{ EM_LOONGARCH, "ELF for another architecture (loongarch)" },
	{ EM_IA_64, "ELF for another architecture (ia64)" },
};

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -ENOEXEC;
}

static const char *machine_reason(uint16_t machine)
{
	for (size_t i = 0; i < ARRAY_SIZE(foreign_arches); i++)
		if (foreign_arches[i].machine == machine)
			return foreign_arches[i].why;
	return "ELF for another architecture";
}

/* The identification bytes: they say how to read the rest. */
static int check_ident(const uint8_t *ident, const char **why)
{
	if (ident[EI_CLASS] != ELFCLASS64)
		return fail(why, ident[EI_CLASS] == ELFCLASS32 ? "32-bit ELF is not supported"
							       : "bad ELF class");
	if (ident[EI_DATA] != ELFDATA2LSB)
		return fail(why, "big-endian ELF is not supported");
	if (ident[EI_VERSION] != EV_CURRENT)
		return fail(why, "bad ELF version");
	return 0;
}

/* The fixed part of the ELF header. */
static int check_ehdr(const Elf64_Ehdr *eh, const char **why)
{
	if (eh->e_version != EV_CURRENT)
		return fail(why, "bad ELF version");
	if (eh->e_machine != EM_X86_64)
		return fail(why, machine_reason(eh->e_machine));
	switch (eh->e_type) {
	case ET_EXEC:
	case ET_DYN:
		break;
	case ET_CORE:
		return fail(why, "ELF core dump, not an executable");
	case ET_REL:
		return fail(why, "ELF relocatable object, not an executable");
	default:
		return fail(why, "unsupported ELF type");
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return fail(why, "bad ELF program header size");
	if (eh->e_phnum == 0)
		return fail(why, "ELF has no program headers");
	if (eh->e_phnum > ELF_MAX_PHNUM)
		return fail(why, "too many ELF program headers");
	return 0;
}

/* One PT_LOAD entry; @prev_end is the end of the previous PT_LOAD (vaddr + memsz). */
static int check_load(const Elf64_Phdr *ph, uint64_t *prev_end, const char **why)
{
	if (ph->p_filesz > ph->p_memsz)
		return fail(why, "ELF segment file size exceeds its memory size");
	if (ph->p_offset > UINT64_MAX - ph->p_filesz)
		return fail(why, "ELF segment file range overflows");
	if ((ph->p_offset & (PAGE_SIZE - 1)) != (ph->p_vaddr & (PAGE_SIZE - 1)))
		return fail(why, "ELF segment offset and address are misaligned");
	if (ph->p_vaddr >= ELF_USER_END || ph->p_memsz > ELF_USER_END - ph->p_vaddr)
		return fail(why, "ELF segment outside the user address range");
	/* Now vaddr + memsz <= 1 << 47: page rounding cannot overflow either. */
	if (ph->p_vaddr < *prev_end)
		return fail(why, "ELF segments overlap or are out of order");
	*prev_end = ph->p_vaddr + ph->p_memsz;
	return 0;
}

static int check_phdrs(const uint8_t *p, uint16_t phnum, const char **why)
{
	uint64_t prev_end = 0;
	bool have_load = false;
	int ret;

	for (uint16_t i = 0; i < phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, p + (size_t)i * sizeof(ph), sizeof(ph));
		switch (ph.p_type) {
		case PT_LOAD:
			ret = check_load(&ph, &prev_end, why);
			if (ret)
				return ret;
			have_load = true;
			break;
		case PT_INTERP:
			if (ph.p_filesz < 2 || ph.p_filesz > ELF_INTERP_MAX)
				return fail(why, "bad ELF interpreter path size");
			if (ph.p_offset > UINT64_MAX - ph.p_filesz)
				return fail(why, "ELF interpreter path range overflows");
			break;
		default:
			break;
		}
	}
	if (!have_load)
		return fail(why, "ELF has no loadable segments");
	return 0;
}

int elf_check_header(const void *buf, size_t len, const char **why)
{
	Elf64_Ehdr eh;
	uint64_t ph_size;

	if (!buf || len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return fail(why, "not an ELF file");
	if (len < EI_NIDENT)
		return fail(why, "truncated ELF header");
	if (check_ident(buf, why))
		return -ENOEXEC;
	if (len < sizeof(eh))
		return fail(why, "truncated ELF header");
	memcpy(&eh, buf, sizeof(eh));
	if (check_ehdr(&eh, why))
		return -ENOEXEC;
	/* e_phnum <= ELF_MAX_PHNUM: the product is small; only e_phoff can be anything. */
	ph_size = (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);
	if (eh.e_phoff > len || ph_size > len - eh.e_phoff)
		return fail(why, "truncated ELF program headers");
	return check_phdrs((const uint8_t *)buf + eh.e_phoff, eh.e_phnum, why);
}
