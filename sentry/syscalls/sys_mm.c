// SPDX-License-Identifier: Apache-2.0
/* Memory syscalls: argument checks Linux makes before mm/ does the work. */
#include <sys/mman.h>

#include "fs/vfs.h"
#include "lib/compiler.h"
#include "sentry/syscalls/sys_impl.h"

long sys_brk(struct task *t, const struct syscall_args *a)
{
	return (long)mm_brk(t->mm, ARG_U(0));
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
		file_put(f);
		return -ENODEV; /* no mappable files until the VFS */
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
