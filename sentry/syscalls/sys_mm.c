// SPDX-License-Identifier: Apache-2.0
/* Memory syscalls: argument checks Linux makes before mm/ does the work. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "fs/vfs.h"
#include "lib/compiler.h"
#include "sentry/syscalls/sys_impl.h"

long sys_brk(struct task *t, const struct syscall_args *a)
{
	return (long)mm_brk(t->mm, ARG_U(0));
}

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
/* Flags MAP_SHARED_VALIDATE accepts (Linux LEGACY_MAP_MASK plus MAP_SYNC's absence). */
#define MAP_KNOWN_FLAGS (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | \
			 MAP_EXECUTABLE | MAP_GROWSDOWN | MAP_LOCKED |     \
			 MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | \
			 MAP_FIXED_NOREPLACE | (0x3f << 26) /* MAP_HUGE_SHIFT sizes */)

/*
 * A file mapping: the file's page cache through an mm_mappable, with Linux's access rules
 * (do_mmap): the file must be readable; a shared writable mapping needs it writable, and a
 * shared mapping of a read-only file may never become writable (max_prot).
 */
static int mmap_file(struct task *t, struct mmap_opts *o, struct file *f, gva_t *out)
{
	int acc = f->flags & O_ACCMODE;
	bool shared = (o->flags & MAP_TYPE) != MAP_PRIVATE;
	struct path root, cwd;
	char *path;
	long seals;
	int r;

	if ((f->flags & O_PATH) || !file_inode(f))
		return -ENODEV;
	if (acc == O_WRONLY)
		return -EACCES;
	o->max_prot = PROT_READ | PROT_WRITE | PROT_EXEC;
	if (shared && acc == O_RDONLY) {
		if (o->prot & PROT_WRITE)
			return -EACCES;
		o->max_prot &= ~PROT_WRITE;
	}
	/* A memfd sealed against writes: no shared writable mapping, now or by mprotect. */
	seals = shared ? tmpfs_fcntl_seals(f, F_GET_SEALS, 0) : 0;
	if (seals > 0 && (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))) {
		if (o->prot & PROT_WRITE)
			return -EPERM;
		o->max_prot &= ~PROT_WRITE;
	}
	/* The path /proc/PID/maps shows, as seen from the task's root at mmap time. */
	path = malloc(VFS_PATH_MAX);
	if (!path)
		return -ENOMEM;
	fs_context_paths(t->fs, &root, &cwd);
	r = vfs_path_string(&root, &f->path, path, VFS_PATH_MAX);
	path_put(&root);
	path_put(&cwd);
	r = vfs_file_mappable(f, r < 0 ? NULL : path, &o->file);
	free(path);
	if (r < 0)
		return r;
	r = mm_mmap(t->mm, o, out);
	o->file->ops->put(o->file); /* the VMA holds its own reference */
	return r;
}

long sys_mmap(struct task *t, const struct syscall_args *a)
{
	struct mmap_opts o = {
		.addr = ARG_U(0),
		.len = ARG_U(1),
		.prot = (int)ARG_U(2),
		.flags = (int)ARG_U(3),
		.offset = ARG_U(5),
	};
	int type = o.flags & MAP_TYPE;
	struct file *f = NULL;
	gva_t out;
	int r;

	if (ARG_U(5) & ~PAGE_MASK)
		return -EINVAL;
	if (!(o.flags & MAP_ANONYMOUS)) {
		f = fdtable_get_file(t->fdt, (int)ARG_U(4), NULL);
		if (!f)
			return -EBADF;
	}
	r = -EINVAL;
	if (o.len == 0)
		goto out;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		goto out;
	if (type == MAP_SHARED_VALIDATE && (o.flags & ~MAP_KNOWN_FLAGS)) {
		r = -EOPNOTSUPP;
		goto out;
	}
	r = -ENOMEM;
	if (PAGE_ALIGN_UP(o.len) < o.len || PAGE_ALIGN_UP(o.len) == 0)
		goto out;
	if (f) {
		r = -EOVERFLOW;
		if (o.offset + PAGE_ALIGN_UP(o.len) < o.offset)
			goto out;
		r = mmap_file(t, &o, f, &out);
	} else {
		r = mm_mmap(t->mm, &o, &out);
	}
out:
	if (f)
		file_put(f);
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

long sys_msync(struct task *t, const struct syscall_args *a)
{
	uint64_t addr = ARG_U(0);
	int flags = ARG_INT(2);

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	return mm_msync(t->mm, addr, ARG_U(1), flags);
}

long sys_mincore(struct task *t, const struct syscall_args *a)
{
	uint64_t addr = ARG_U(0), len = ARG_U(1), pages, done = 0;
	unsigned char vec[512];
	int r;

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (PAGE_ALIGN_UP(len) < len)
		return -ENOMEM;
	pages = PAGE_ALIGN_UP(len) / PAGE_SIZE;
	while (done < pages) {
		uint64_t n = MIN(pages - done, (uint64_t)sizeof(vec));

		r = mm_mincore(t->mm, addr + done * PAGE_SIZE, n * PAGE_SIZE, vec);
		if (r < 0)
			return r;
		if (mm_copy_out(t->mm, ARG_U(2) + done, vec, n) != (ssize_t)n)
			return -EFAULT;
		done += n;
	}
	return 0;
}

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#define MFD_NOEXEC_SEAL 0x0008U
#define MFD_EXEC 0x0010U
/* memfd_create names are at most 249 bytes (NAME_MAX minus "memfd:"). */
#define MFD_NAME_MAX 249

long sys_memfd_create(struct task *t, const struct syscall_args *a)
{
	unsigned int flags = (unsigned int)ARG_U(1);
	struct vfs_cred cr = { t->creds.fsuid, t->creds.fsgid };
	char name[MFD_NAME_MAX + 1];
	struct file *f;
	ssize_t n;
	struct rlimit rl;
	long r;

	if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC))
		return -EINVAL; /* MFD_HUGETLB: no huge pages here */
	if ((flags & MFD_NOEXEC_SEAL) && (flags & MFD_EXEC))
		return -EINVAL;
	n = mm_copy_string_in(t->mm, ARG_U(0), name, sizeof(name));
	if (n == -ENAMETOOLONG)
		return -EINVAL;
	if (n < 0)
		return n;
	r = tmpfs_memfd_new(&cr, name, flags & (MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL), &f);
	if (r < 0)
		return r;
	task_get_rlimit(t, RLIMIT_NOFILE, &rl);
	r = fdtable_install(t->fdt, 0, f, (flags & MFD_CLOEXEC) ? FD_FLAG_CLOEXEC : 0,
			    rl.rlim_cur);
	file_put(f);
	return r;
}
