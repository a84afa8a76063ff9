// SPDX-License-Identifier: Apache-2.0
/* Memory syscalls: argument checks Linux makes before mm/ does the work. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "fs/vfs.h"
#include "lib/compiler.h"
#include "sentry/syscalls/sys_impl.h"

long sys_brk(struct task *t, const struct syscall_args *a)
{
	return (long)mm_brk(t->mm, ARG_U(0));
}

#define MMAP_BOUNCE (256 * 1024)

/*
 * A MAP_PRIVATE file mapping as a snapshot: anonymous pages with the file's bytes copied in
 * (zeros past EOF), which is what a private mapping shows until the file changes under it.
 * TODO: page-cache backed mappings (MAP_SHARED, coherence with write) from the memory file.
 */
static int mmap_file_private(struct task *t, struct mmap_opts *o, struct file *f, uint64_t off,
			     gva_t *out)
{
	int acc = f->flags & O_ACCMODE;
	uint64_t done = 0;
	bool mapped;
	char *bounce;
	int r;

	if ((f->flags & O_PATH) || !f->ops->read || !file_inode(f))
		return -ENODEV;
	if (acc == O_WRONLY)
		return -EACCES;
	if ((o->flags & MAP_TYPE) != MAP_PRIVATE)
		return -ENODEV; /* shared file mappings need a page cache */
	bounce = malloc(MMAP_BOUNCE);
	if (!bounce)
		return -ENOMEM;
	o->flags |= MAP_ANONYMOUS;
	r = mm_mmap(t->mm, o, out);
	mapped = r == 0;
	while (r == 0 && done < o->len) {
		size_t n = (size_t)MIN(o->len - done, MMAP_BOUNCE);
		ssize_t got = vfs_kernel_pread(f, bounce, n, (int64_t)(off + done));
		if (got < 0)
			r = (int)got;
		if (got <= 0)
			break;
		if (mm_copy_out_force(t->mm, *out + done, bounce, (size_t)got) != got)
			r = -EFAULT;
		done += (uint64_t)got;
		if ((size_t)got < n)
			break;
	}
	if (r < 0 && mapped)
		mm_munmap(t->mm, *out, o->len);
	free(bounce);
	return r;
}

long sys_mmap(struct task *t, const struct syscall_args *a)
{
	struct mmap_opts o = {
		.addr = ARG_U(0),
		.len = ARG_U(1),
		.prot = (int)ARG_U(2),
		.flags = (int)ARG_U(3),
	};
	int type = o.flags & MAP_TYPE;
	gva_t out;
	int r;

	if (o.len == 0 || (ARG_U(5) & ~PAGE_MASK))
		return -EINVAL;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (PAGE_ALIGN_UP(o.len) < o.len || PAGE_ALIGN_UP(o.len) == 0)
		return -ENOMEM;
	if (!(o.flags & MAP_ANONYMOUS)) {
		struct file *f = fdtable_get_file(t->fdt, (int)ARG_U(4), NULL);
		if (!f)
			return -EBADF;
		r = mmap_file_private(t, &o, f, ARG_U(5), &out);
		file_put(f);
		return r < 0 ? r : (long)out;
	}
	r = mm_mmap(t->mm, &o, &out);
	return r < 0 ? r : (long)out;
}

long sys_munmap(struct task *t, const struct syscall_args *a)
{
	return mm_munmap(t->mm, ARG_U(0), ARG_U(1));
}

long sys_mprotect(struct task *t, const struct syscall_args *a)
{
	return mm_mprotect(t->mm, ARG_U(0), ARG_U(1), (int)ARG_U(2));
}

long sys_mremap(struct task *t, const struct syscall_args *a)
{
	return (long)mm_mremap(t->mm, ARG_U(0), ARG_U(1), ARG_U(2), (int)ARG_U(3), ARG_U(4));
}

long sys_madvise(struct task *t, const struct syscall_args *a)
{
	return mm_madvise(t->mm, ARG_U(0), ARG_U(1), (int)ARG_U(2));
}

/* Locking pages changes nothing here: guest memory is never swapped by the Sentry. */
static long check_range(uint64_t addr, uint64_t len)
{
	if (addr + len < addr)
		return -ENOMEM;
	return 0;
}

long sys_mlock(struct task *t, const struct syscall_args *a)
{
	return check_range(ARG_U(0), ARG_U(1));
}

long sys_munlock(struct task *t, const struct syscall_args *a)
{
	return check_range(ARG_U(0), ARG_U(1));
}

long sys_mlockall(struct task *t, const struct syscall_args *a)
{
	int flags = ARG_INT(0);
	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)))
		return -EINVAL;
	return 0;
}

long sys_munlockall(struct task *t, const struct syscall_args *a)
{
	return 0;
}
