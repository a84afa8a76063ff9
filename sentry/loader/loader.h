/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Program loading (DESIGN.md §2 sentry/loader): ELF x86-64 executables (static, static-PIE;
 * PT_INTERP through the same reader interface once the VFS exists), the initial stack
 * (argv, envp, auxv) and the register state a new program starts with.
 */
#ifndef SBX_SENTRY_LOADER_LOADER_H
#define SBX_SENTRY_LOADER_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sentry/arch/arch.h"
#include "sentry/mm/mm.h"

/*
 * struct loader_file - what the loader reads an executable through. Today a host fd; with
 * the VFS a struct file. pread returns bytes read (short at EOF) or -errno.
 */
struct loader_file {
	void *priv;
	ssize_t (*pread)(void *priv, void *buf, size_t len, uint64_t off);
	/* open_interp - open the PT_INTERP path (may be NULL: dynamic programs then fail -ENOEXEC). */
	int (*open_interp)(void *priv, const char *path, struct loader_file *out);
	void (*close)(struct loader_file *f);
	/*
	 * mappable - optional: a new reference to an mm_mappable over the file's page cache.
	 * With it, PT_LOAD segments are private file mappings (shared page-cache pages, copy
	 * on write) instead of copies.
	 */
	int (*mappable)(void *priv, struct mm_mappable **out);
};

struct loader_args {
	struct loader_file *file;
	const char *filename;      /* AT_EXECFN and error messages */
	const char *const *argv;   /* NULL-terminated */
	const char *const *envp;   /* NULL-terminated */
	uint64_t stack_limit;      /* RLIMIT_STACK soft limit in bytes */
	uint32_t uid, euid, gid, egid;
};

/*
 * loader_load - map the executable into the (empty) @mm, build the initial stack and set
 * @st's rip, rsp and the rest to the program's starting state (FPU reset by the caller).
 * Returns 0, -ENOEXEC (not an ELF / wrong arch / malformed), -ENOMEM, -EFAULT, -E2BIG
 * (arguments too large) or the reader's error. @err, if non-NULL, gets a short reason.
 *
 * Preconditions: @mm is fresh (no VMAs) and used by no thread; arch_init() has run. The
 * interpreter is read and everything validated (and -E2BIG found) before @mm is touched;
 * a failure after that may leave partial mappings, so the caller discards @mm on error.
 * Order of mm calls: the stack VMA (MAP_GROWSDOWN|MAP_FIXED) and mm_set_stack() first,
 * then the program's segments (MAP_FIXED), then a non-fixed PROT_NONE reservation to place
 * an ET_DYN interpreter (unmapped and re-mapped MAP_FIXED), then mm_set_brk_start().
 * Blocks in the reader. A stack_limit of 0 means the 8 MiB default.
 */
int loader_load(struct mm *mm, const struct loader_args *a, struct arch_state *st, const char **err);

/*
 * elf_check_header - validate an ELF64 header and its program headers in @buf (@len bytes
 * read from offset 0 of a file of size at least @len). Pure: unit-testable. Returns 0 or
 * -ENOEXEC with *why set to a short reason.
 */
int elf_check_header(const void *buf, size_t len, const char **why);

/* Initial stack construction, pure so it can be unit tested without an mm. */
struct auxv_entry {
	uint64_t type, val;
};

/*
 * stack_build - lay out the initial stack image that ends at guest address @top (exclusive)
 * into @buf (@cap bytes, filled from the end). Strings go at the top, then the 16-byte
 * AT_RANDOM bytes (@random), then auxv (terminated by the builder), envp, argv, argc.
 * On success *sp is the guest address of argc (16-byte aligned) and *used the image size
 * (the image is buf + cap - used .. buf + cap, to be copied to guest top - used).
 * AT_RANDOM and AT_EXECFN values are filled in by the builder (the caller passes them with
 * val 0), and so is AT_PLATFORM, which then points at an "x86_64" string on the stack. @auxv
 * excludes the terminating AT_NULL, which the builder adds. NULL @argv / @envp mean empty;
 * a NULL @execfn is stored as "". The image size depends only on the strings and @nauxv,
 * never on the auxv values, so a first call can size the stack before the values are known.
 * Returns 0 or -E2BIG when it does not fit in @cap (or below @top).
 */
int stack_build(uint8_t *buf, size_t cap, gva_t top, const char *const *argv,
		const char *const *envp, const char *execfn, const uint8_t random[16],
		const struct auxv_entry *auxv, size_t nauxv, gva_t *sp, size_t *used);

#endif
