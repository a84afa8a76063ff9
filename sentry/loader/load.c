// SPDX-License-Identifier: Apache-2.0
/*
 * loader_load: map an ELF executable (and its PT_INTERP) into a fresh mm, build the initial
 * stack and auxv, and set the starting registers; Linux's load_elf_binary() is the model.
 */
#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "lib/compiler.h"
#include "sentry/host/host.h"
#include "sentry/loader/loader.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

#define LOADER_MAX_PHNUM 128                    /* as elf.c */
#define LOADER_HDR_READ (sizeof(Elf64_Ehdr) + LOADER_MAX_PHNUM * sizeof(Elf64_Phdr))
#define LOADER_BOUNCE (64 * 1024)               /* file -> guest copy chunk */
#define LOADER_MIN_ADDR (64 * 1024)             /* Linux's default vm.mmap_min_addr */
#define LOADER_MAX_ALIGN (1ULL << 30)           /* larger p_align values are ignored */
#define LOADER_DYN_RND_PAGES ((1ULL << 28) - 1) /* arch_mmap_rnd(): 28 bits of pages */
#define LOADER_STACK_RND_PAGES 0x3fffffULL      /* STACK_RND_MASK: up to 16 GiB */
#define LOADER_BRK_RND (32ULL << 20)            /* arch_randomize_brk(): 32 MiB */
#define LOADER_STACK_EXPAND (128 * 1024)        /* setup_arg_pages(): initial room below */
#define LOADER_ARG_MIN (128 * 1024)             /* ARG_MAX: always allow 32 pages of args */
#define LOADER_ARG_MAX (6ULL << 20)             /* _STK_LIM / 4 * 3 */
#define LOADER_STACK_DEFAULT (8ULL << 20)       /* _STK_LIM, when no limit is given */
#define LOADER_NAUXV 19
#define HWCAP2_FSGSBASE (1 << 1)

/* One ELF file's headers, validated, plus what the loader derives from them. */
struct elf_obj {
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;         /* eh.e_phnum entries */
	uint64_t phoff;         /* e_phoff as in the file */
	const Elf64_Phdr *interp, *phdr;
	bool exec_stack;        /* PT_GNU_STACK with PF_X */
	uint64_t lo, hi;        /* page-rounded span of the PT_LOAD segments */
	uint64_t align;         /* largest usable p_align, >= PAGE_SIZE */
	/* Set once mapped. */
	gva_t bias, entry, phdr_addr, end;
};

static const uint8_t zero_page[PAGE_SIZE];

struct exec_rand {
	uint8_t at_random[16];
	uint64_t dyn, stack, brk, sp;
};

static int fail(const char **err, const char *why, int ret)
{
	if (err)
		*err = why;
	return ret;
}

/* pread until @len bytes or EOF; returns the count or -errno. */
static ssize_t read_full(struct loader_file *f, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = f->pread(f->priv, (uint8_t *)buf + done, len - done, off + done);

		if (n < 0)
			return n;
		if (n == 0)
			break;
		if ((size_t)n > len - done)
			return -EIO;
		done += n;
	}
	return done;
}

/*
 * Read the ELF header and program headers into @buf (LOADER_HDR_READ bytes) and validate
 * them. *@phoff gets the file's e_phoff (the copy in @buf may point elsewhere).
 */
static int elf_read_headers(struct loader_file *f, uint8_t *buf, size_t *len, uint64_t *phoff,
			    const char **err)
{
	Elf64_Ehdr eh;
	ssize_t n = read_full(f, buf, LOADER_HDR_READ, 0);

	if (n < 0)
		return fail(err, "cannot read the executable", n);
	if ((size_t)n >= sizeof(eh)) {
		memcpy(&eh, buf, sizeof(eh));
		*phoff = eh.e_phoff;
		/* Program headers outside the first read (unusual): fetch them to just after
		 * the ELF header and point our copy of e_phoff there. */
		if (eh.e_phentsize == sizeof(Elf64_Phdr) && eh.e_phnum <= LOADER_MAX_PHNUM &&
		    (eh.e_phoff > (uint64_t)n || eh.e_phnum * sizeof(Elf64_Phdr) > n - eh.e_phoff)) {
			ssize_t m = read_full(f, buf + sizeof(eh), eh.e_phnum * sizeof(Elf64_Phdr),
					      eh.e_phoff);

			if (m < 0)
				return fail(err, "cannot read the executable", m);
			n = sizeof(eh) + m;
			eh.e_phoff = sizeof(eh);
			memcpy(buf, &eh, sizeof(eh));
		}
	}
	*len = n;
	return elf_check_header(buf, n, err);
}

/* Record the PT_LOAD span and alignment, PT_INTERP, PT_PHDR and PT_GNU_STACK. */
static void elf_scan(struct elf_obj *o)
{
	bool first = true;

	o->align = PAGE_SIZE;
	for (unsigned int i = 0; i < o->eh.e_phnum; i++) {
		const Elf64_Phdr *ph = &o->ph[i];

		switch (ph->p_type) {
		case PT_LOAD:
			if (first)
				o->lo = PAGE_ALIGN_DOWN(ph->p_vaddr);
			first = false;
			o->hi = MAX(o->hi, PAGE_ALIGN_UP(ph->p_vaddr + ph->p_memsz));
			if (ph->p_align > o->align && ph->p_align <= LOADER_MAX_ALIGN &&
			    !(ph->p_align & (ph->p_align - 1)))
				o->align = ph->p_align;
			break;
		case PT_INTERP:
			if (!o->interp)
				o->interp = ph;
			break;
		case PT_PHDR:
			o->phdr = ph;
			break;
		case PT_GNU_STACK:
			o->exec_stack = ph->p_flags & PF_X;
			break;
		}
	}
}

static int elf_read(struct loader_file *f, struct elf_obj *o, const char **err)
{
	uint8_t *buf = malloc(LOADER_HDR_READ);
	size_t len;
	int ret;

	if (!buf)
		return fail(err, "out of memory", -ENOMEM);
	ret = elf_read_headers(f, buf, &len, &o->phoff, err);
	if (ret)
		goto out;
	memcpy(&o->eh, buf, sizeof(o->eh));
	o->ph = calloc(o->eh.e_phnum, sizeof(Elf64_Phdr));
	if (!o->ph) {
		ret = fail(err, "out of memory", -ENOMEM);
		goto out;
	}
	memcpy(o->ph, buf + o->eh.e_phoff, o->eh.e_phnum * sizeof(Elf64_Phdr));
	elf_scan(o);
	ret = 0;
out:
	free(buf);
	return ret;
}

static int elf_prot(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

/* Copy @len file bytes at @off to guest @dst. */
static int copy_file(struct mm *mm, struct loader_file *f, uint64_t off, gva_t dst, uint64_t len,
		     uint8_t *bounce, const char **err)
{
	while (len) {
		size_t n = MIN(len, LOADER_BOUNCE);
		ssize_t r = read_full(f, bounce, n, off);

		if (r < 0)
			return fail(err, "cannot read the executable", r);
		if ((size_t)r < n)
			return fail(err, "ELF segment extends past the end of the file", -ENOEXEC);
		r = mm_copy_out_force(mm, dst, bounce, n);
		if (r != (ssize_t)n)
			return fail(err, "cannot write the program into memory", r < 0 ? r : -EFAULT);
		off += n;
		dst += n;
		len -= n;
	}
	return 0;
}

/*
 * Map one PT_LOAD. With a mappable file: a private file mapping of the pages holding file
 * bytes (Linux elf_map()), anonymous pages for the rest of the bss. Otherwise anonymous
 * pages with the file bytes copied in (from the start of the first page, as a file mapping
 * would show them). A first page shared with the previous segment (*@prev_end) is kept,
 * given both protections, and this segment's bytes on it are copied.
 */
static int map_segment(struct mm *mm, struct loader_file *f, const Elf64_Phdr *ph, gva_t bias,
		       gva_t *prev_end, int *prev_prot, uint8_t *bounce, const char **err)
{
	gva_t va = bias + ph->p_vaddr, start = PAGE_ALIGN_DOWN(va);
	gva_t end = PAGE_ALIGN_UP(va + ph->p_memsz), file_end = va + ph->p_filesz;
	uint64_t off = ph->p_offset, len = ph->p_filesz;
	int prot = elf_prot(ph->p_flags), ret;
	struct mm_mappable *m = NULL;
	gva_t got;

	if (start < *prev_end) {
		uint64_t n;

		ret = mm_mprotect(mm, start, PAGE_SIZE, prot | *prev_prot);
		if (ret)
			return fail(err, "cannot map the program", ret);
		start += PAGE_SIZE;
		n = MIN(len, start - va);
		ret = copy_file(mm, f, off, va, n, bounce, err);
		if (ret)
			return ret;
		off += n;
		va += n;
		len -= n;
	} else if (len) {
		off -= va - start;
		len += va - start;
		va = start;
	}
	if (len && f->mappable && !(off & ~PAGE_MASK) && va == start && end > start) {
		uint8_t last;

		/* A segment past the end of the file is malformed (a mapping would SIGBUS). */
		if (read_full(f, &last, 1, off + len - 1) != 1)
			return fail(err, "ELF segment extends past the end of the file", -ENOEXEC);
		ret = f->mappable(f->priv, &m);
		if (ret < 0)
			m = NULL; /* not mappable: copy */
	}
	if (m) {
		gva_t fend = MIN(PAGE_ALIGN_UP(va + len), end);
		struct mmap_opts o = { .addr = start, .len = fend - start, .prot = prot,
				       .flags = MAP_PRIVATE | MAP_FIXED, .file = m, .offset = off,
				       .max_prot = PROT_READ | PROT_WRITE | PROT_EXEC };

		ret = mm_mmap(mm, &o, &got);
		m->ops->put(m);
		if (ret)
			return fail(err, "cannot map the program", ret);
		start = fend;
		len = 0;
	}
	if (end > start) {
		struct mmap_opts o = { .addr = start, .len = end - start, .prot = prot,
				       .flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED };

		ret = mm_mmap(mm, &o, &got);
		if (ret)
			return fail(err, "cannot map the program", ret);
	}
	ret = copy_file(mm, f, off, va, len, bounce, err);
	if (ret)
		return ret;
	/*
	 * bss in the last file page: a file mapping shows the file's bytes there. Zeroed to the
	 * end of the page like Linux's padzero() (ld.so's early malloc uses the rest of its
	 * last page and relies on it being zero); _force: the segment need not be writable.
	 */
	if (ph->p_memsz > ph->p_filesz && PAGE_ALIGN_UP(file_end) > file_end) {
		size_t n = PAGE_ALIGN_UP(file_end) - file_end;
		ssize_t r = mm_copy_out_force(mm, file_end, zero_page, n);

		if (r != (ssize_t)n)
			return fail(err, "cannot write the program into memory", r < 0 ? r : -EFAULT);
	}
	*prev_end = MAX(*prev_end, end);
	*prev_prot = prot;
	return 0;
}

/*
 * Choose the load bias. ET_EXEC: 0. The main ET_DYN program: 2/3 of the address space plus
 * up to 1 TiB of randomness (ELF_ET_DYN_BASE + arch_mmap_rnd()). An ET_DYN interpreter:
 * wherever the mm's top-down allocator puts a reservation of its size.
 */
static int elf_pick_bias(struct mm *mm, struct elf_obj *o, bool is_interp, uint64_t rnd,
			 const char **err)
{
	uint64_t span = o->hi - o->lo, base;
	int ret;

	if (o->eh.e_type == ET_EXEC) {
		o->bias = 0;
		return 0;
	}
	if (is_interp) {
		struct mmap_opts r = { .len = span + o->align - PAGE_SIZE, .prot = PROT_NONE,
				       .flags = MAP_PRIVATE | MAP_ANONYMOUS };
		gva_t got;

		ret = mm_mmap(mm, &r, &got);
		if (ret)
			return fail(err, "no room for the ELF interpreter", ret);
		ret = mm_munmap(mm, got, r.len);
		if (ret)
			return fail(err, "cannot map the ELF interpreter", ret);
		base = (got + o->align - 1) & ~(o->align - 1);
	} else {
		base = PAGE_ALIGN_DOWN(mm_max_addr(mm) / 3 * 2);
		base += (rnd & LOADER_DYN_RND_PAGES) * PAGE_SIZE;
		base &= ~(o->align - 1);
	}
	o->bias = base - o->lo; /* modulo 2^64: a first vaddr above base is fine */
	return 0;
}

/* Map every PT_LOAD of @o below @limit (the stack) and work out entry, AT_PHDR and end. */
static int elf_map(struct mm *mm, struct loader_file *f, struct elf_obj *o, gva_t limit,
		   uint8_t *bounce, const char **err)
{
	gva_t prev_end = 0;
	int prev_prot = 0, ret;

	if (o->bias + o->lo < LOADER_MIN_ADDR || o->bias + o->lo > o->bias + o->hi ||
	    o->bias + o->hi > limit)
		return fail(err, "ELF segments outside the usable address range", -ENOEXEC);
	o->entry = o->bias + o->eh.e_entry;
	if (o->entry >= limit)
		return fail(err, "ELF entry point outside the user address range", -ENOEXEC);
	for (unsigned int i = 0; i < o->eh.e_phnum; i++) {
		const Elf64_Phdr *ph = &o->ph[i];

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		ret = map_segment(mm, f, ph, o->bias, &prev_end, &prev_prot, bounce, err);
		if (ret)
			return ret;
		/* AT_PHDR: the segment holding the file's program headers (as Linux 6.x). */
		if (!o->phdr_addr && o->phoff >= ph->p_offset &&
		    o->phoff - ph->p_offset < ph->p_filesz)
			o->phdr_addr = o->bias + ph->p_vaddr + (o->phoff - ph->p_offset);
	}
	if (o->phdr)
		o->phdr_addr = o->bias + o->phdr->p_vaddr;
	o->end = prev_end;
	return 0;
}

/* Read the PT_INTERP path and open it through the reader. */
static int interp_open(struct loader_file *f, const struct elf_obj *exe, struct loader_file *out,
		       const char **err)
{
	const Elf64_Phdr *ph = exe->interp;
	char *path;
	ssize_t n;
	int ret;

	if (!f->open_interp)
		return fail(err, "dynamic executables need the VFS (PT_INTERP)", -ENOEXEC);
	path = malloc(ph->p_filesz); /* 2..4096 bytes, checked by elf_check_header */
	if (!path)
		return fail(err, "out of memory", -ENOMEM);
	n = read_full(f, path, ph->p_filesz, ph->p_offset);
	if (n < 0) {
		ret = fail(err, "cannot read the executable", n);
	} else if ((size_t)n != ph->p_filesz || path[n - 1] != '\0' || path[0] == '\0') {
		ret = fail(err, "bad ELF interpreter path", -ENOEXEC);
	} else {
		ret = f->open_interp(f->priv, path, out);
		if (ret)
			fail(err, "cannot open the ELF interpreter", ret);
	}
	free(path);
	return ret;
}

static int interp_read(struct loader_file *f, struct elf_obj *o, const char **err)
{
	int ret = elf_read(f, o, err);

	if (ret) {
		if (ret == -ENOEXEC && err)
			*err = "bad ELF interpreter";
		return ret;
	}
	if (o->interp)
		return fail(err, "the ELF interpreter has an interpreter itself", -ENOEXEC);
	return 0;
}

static void cpu_hwcap(uint64_t *hwcap, uint64_t *hwcap2)
{
	unsigned int a, b, c, d;

	*hwcap = 0;
	*hwcap2 = 0;
	if (__get_cpuid(1, &a, &b, &c, &d))
		*hwcap = d; /* Linux's ELF_HWCAP: CPUID.1:EDX */
	/* FSGSBASE needs the CPU bit and the host kernel's CR4.FSGSBASE (its own AT_HWCAP2). */
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & 1) &&
	    (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE))
		*hwcap2 |= HWCAP2_FSGSBASE;
}

/*
 * AT_MINSIGSTKSZ, after Linux's init_sigframe_size(): sizeof(struct rt_sigframe) (440 on
 * x86-64) plus frame alignment slack, the XSAVE area with FP_XSTATE_MAGIC2, the legacy
 * fregs_state Linux reserves with IA32 emulation (112) and 64-byte XSAVE alignment slack.
 * An upper bound for our own frames; sentry/arch's signal code must stay within it.
 */
static uint64_t min_sigstksz(void)
{
	uint64_t sz = 440 + 63 + arch_xsave_size() + 4 + 112 + 63;

	return (sz + 63) & ~63ULL;
}

static size_t auxv_fill(struct auxv_entry *v, const struct loader_args *a,
			const struct elf_obj *exe, const struct elf_obj *interp)
{
	uint64_t hwcap, hwcap2;
	size_t n = 0;

	cpu_hwcap(&hwcap, &hwcap2);
#define AUX(t, x) (v[n++] = (struct auxv_entry){ .type = (t), .val = (x) })
	AUX(AT_HWCAP, hwcap);
	AUX(AT_PAGESZ, PAGE_SIZE);
	AUX(AT_CLKTCK, 100);
	AUX(AT_PHDR, exe->phdr_addr);
	AUX(AT_PHENT, sizeof(Elf64_Phdr));
	AUX(AT_PHNUM, exe->eh.e_phnum);
	AUX(AT_BASE, interp ? interp->bias : 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, exe->entry);
	AUX(AT_UID, a->uid);
	AUX(AT_EUID, a->euid);
	AUX(AT_GID, a->gid);
	AUX(AT_EGID, a->egid);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, 0);   /* filled in by stack_build */
	AUX(AT_HWCAP2, hwcap2);
	AUX(AT_EXECFN, 0);   /* filled in by stack_build */
	AUX(AT_PLATFORM, 0); /* filled in by stack_build */
	AUX(AT_MINSIGSTKSZ, min_sigstksz());
#undef AUX
	return n;
}

/* The initial stack: its VMA, where the image ends, and the image buffer. */
struct stack_plan {
	gva_t top, lo, img_top;
	uint8_t *buf;
	size_t cap, used;
	uint64_t limit;
};

/*
 * Size the image (-E2BIG before anything is mapped), map the stack VMA below a randomised
 * top and tell the mm about it. Linux bounds the arguments by RLIMIT_STACK / 4, at least
 * 128 KiB and at most 6 MiB.
 */
static int stack_prepare(struct mm *mm, const struct loader_args *a, const struct exec_rand *r,
			 bool exec, struct stack_plan *sp, const char **err)
{
	struct auxv_entry dummy[LOADER_NAUXV] = { 0 };
	struct mmap_opts o = { .prot = PROT_READ | PROT_WRITE | (exec ? PROT_EXEC : 0),
			       .flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED };
	gva_t rsp, got;
	int ret;

	sp->limit = a->stack_limit ? a->stack_limit : LOADER_STACK_DEFAULT;
	sp->cap = MAX(LOADER_ARG_MIN, MIN(LOADER_ARG_MAX, sp->limit / 4)) + PAGE_SIZE;
	sp->buf = malloc(sp->cap);
	if (!sp->buf)
		return fail(err, "out of memory", -ENOMEM);
	sp->top = PAGE_ALIGN_DOWN(mm_max_addr(mm)) - (r->stack & LOADER_STACK_RND_PAGES) * PAGE_SIZE;
	sp->img_top = sp->top - (r->sp % 8192 & ~15ULL); /* arch_align_stack() */
	for (size_t i = 0; i < LOADER_NAUXV; i++)
		dummy[i].type = i == 0 ? AT_PLATFORM : AT_IGNORE;
	ret = stack_build(sp->buf, sp->cap, sp->img_top, a->argv, a->envp, a->filename,
			  r->at_random, dummy, LOADER_NAUXV, &rsp, &sp->used);
	if (ret)
		return fail(err, "argument list too long", ret);
	o.len = PAGE_ALIGN_UP(sp->used + (sp->top - sp->img_top)) + LOADER_STACK_EXPAND;
	o.addr = sp->lo = sp->top - o.len;
	ret = mm_mmap(mm, &o, &got);
	if (ret)
		return fail(err, "cannot map the stack", ret);
	mm_set_stack(mm, sp->top, sp->limit);
	return 0;
}

static int stack_finish(struct mm *mm, const struct loader_args *a, const struct exec_rand *r,
			const struct elf_obj *exe, const struct elf_obj *interp,
			struct stack_plan *sp, gva_t *rsp, const char **err)
{
	struct auxv_entry auxv[LOADER_NAUXV];
	size_t n = auxv_fill(auxv, a, exe, interp), used;
	ssize_t w;
	int ret;

	ret = stack_build(sp->buf, sp->cap, sp->img_top, a->argv, a->envp, a->filename,
			  r->at_random, auxv, n, rsp, &used);
	if (ret || used != sp->used)
		return fail(err, "argument list too long", ret ? ret : -E2BIG);
	w = mm_copy_out_force(mm, *rsp, sp->buf + sp->cap - used, used);
	if (w != (ssize_t)used)
		return fail(err, "cannot write the initial stack", w < 0 ? (int)w : -EFAULT);
	/* stack_build's strings, top down: 8 zero bytes, execfn, envp, argv (/proc cmdline). */
	struct mm_args ar;
	ar.env_end = sp->img_top - 8 - (strlen(a->filename ? a->filename : "") + 1);
	ar.env_start = ar.env_end;
	for (size_t i = 0; a->envp && a->envp[i]; i++)
		ar.env_start -= strlen(a->envp[i]) + 1;
	ar.arg_end = ar.arg_start = ar.env_start;
	size_t argc = 0, envc = 0;
	for (; a->argv && a->argv[argc]; argc++)
		ar.arg_start -= strlen(a->argv[argc]) + 1;
	while (a->envp && a->envp[envc])
		envc++;
	/* argc, argv[], NULL, envp[], NULL, then the auxv pairs and AT_NULL. */
	ar.auxv_start = *rsp + 8 * (1 + argc + 1 + envc + 1);
	ar.auxv_end = ar.auxv_start + 16 * (n + 1);
	mm_set_args(mm, &ar);
	return 0;
}

static void regs_init(struct arch_state *st, gva_t rip, gva_t rsp)
{
	memset(&st->regs, 0, sizeof(st->regs)); /* rdx = 0: no atexit function (SysV ABI) */
	st->regs.rip = rip;
	st->regs.rsp = rsp;
	st->regs.cs = 0x33;
	st->regs.ss = 0x2b;
	st->regs.eflags = 0x202; /* IF and the always-one bit 1 */
}

/* Map the program (and interpreter) below the stack, then place the program break. */
static int load_images(struct mm *mm, const struct loader_args *a, struct loader_file *ifile,
		       struct elf_obj *exe, struct elf_obj *interp, const struct exec_rand *r,
		       gva_t limit, const char **err)
{
	uint8_t *bounce = malloc(LOADER_BOUNCE);
	int ret;

	if (!bounce)
		return fail(err, "out of memory", -ENOMEM);
	ret = elf_pick_bias(mm, exe, false, r->dyn, err);
	ret = ret ?: elf_map(mm, a->file, exe, limit, bounce, err);
	if (!ret && interp->ph) {
		ret = elf_pick_bias(mm, interp, true, 0, err);
		ret = ret ?: elf_map(mm, ifile, interp, limit, bounce, err);
	}
	free(bounce);
	if (ret)
		return ret;
	/* arch_randomize_brk(): the heap starts up to 32 MiB above the program's end. */
	mm_set_brk_start(mm, exe->end + (r->brk % LOADER_BRK_RND & PAGE_MASK));
	return 0;
}

int loader_load(struct mm *mm, const struct loader_args *a, struct arch_state *st, const char **err)
{
	struct elf_obj exe = { 0 }, interp = { 0 };
	struct loader_file ifile = { 0 };
	struct stack_plan sp = { 0 };
	struct exec_rand r;
	bool have_ifile = false;
	gva_t rsp;
	ssize_t n;
	int ret;

	ret = elf_read(a->file, &exe, err);
	if (!ret && exe.interp) {
		ret = interp_open(a->file, &exe, &ifile, err);
		have_ifile = !ret;
		ret = ret ?: interp_read(&ifile, &interp, err);
	}
	if (ret)
		goto out;
	n = host_getrandom(&r, sizeof(r), 0);
	if (n != (ssize_t)sizeof(r)) {
		ret = fail(err, "no randomness for the new program", n < 0 ? (int)n : -EAGAIN);
		goto out;
	}
	ret = stack_prepare(mm, a, &r, exe.exec_stack, &sp, err);
	ret = ret ?: load_images(mm, a, &ifile, &exe, &interp, &r, sp.lo, err);
	ret = ret ?: stack_finish(mm, a, &r, &exe, exe.interp ? &interp : NULL, &sp, &rsp, err);
	if (ret)
		goto out;
	regs_init(st, exe.interp ? interp.entry : exe.entry, rsp);
out:
	explicit_bzero(&r, sizeof(r));
	free(sp.buf);
	free(exe.ph);
	free(interp.ph);
	if (have_ifile && ifile.close)
		ifile.close(&ifile);
	return ret;
}
