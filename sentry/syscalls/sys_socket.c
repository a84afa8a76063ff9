// SPDX-License-Identifier: Apache-2.0
/*
 * Socket syscalls: decode and copy guest arguments (addresses, msghdr, control messages),
 * resolve SCM_RIGHTS fds to file references and back, call sentry/socket/socket.h. The
 * checks and their order follow Linux's net/socket.c and net/core/scm.c.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "fs/vfs.h"
#include "lib/compiler.h"
#include "lib/waitq.h"
#include "sentry/socket/socket.h"
#include "sentry/syscalls/sys_impl.h"

#ifndef UIO_MAXIOV
#define UIO_MAXIOV 1024
#endif
#define SOCK_MAX_TYPE 11            /* Linux's SOCK_MAX */
#define SOCK_ADDR_MAX 128           /* sizeof(struct sockaddr_storage) */
#define SOCK_CTL_MAX (128 * 1024)   /* control buffers beyond net.core.optmem_max: ENOBUFS */
#define SOCK_OPT_MAX 256

static unsigned long nofile_limit(struct task *t)
{
	struct rlimit rl;
	task_get_rlimit(t, RLIMIT_NOFILE, &rl);
	return rl.rlim_cur;
}

/* SO_PEERCRED and socket ownership use the effective ids (Linux's get_current_cred). */
static struct sock_creds who_peer(struct task *t)
{
	return (struct sock_creds){ t->tg->tgid, t->creds.euid, t->creds.egid };
}

/* Default SCM_CREDENTIALS use the real ids (Linux's scm_set_cred(current_uid())). */
static struct sock_creds who_scm(struct task *t)
{
	return (struct sock_creds){ t->tg->tgid, t->creds.ruid, t->creds.rgid };
}

/* The socket file at @fd (a new reference): -EBADF, -ENOTSOCK. */
static int get_sock(struct task *t, int fd, struct file **out)
{
	struct file *f = fdtable_get_file(t->fdt, fd, NULL);

	if (!f)
		return -EBADF;
	if (!file_is_socket(f)) {
		file_put(f);
		return -ENOTSOCK;
	}
	*out = f;
	return 0;
}

/* Where path names in socket addresses start: the task's root and cwd, as fsuid/fsgid. */
struct sock_at {
	struct vfs_cred cr;
	struct vfs_start s;
};

static int at_begin(struct task *t, struct sock_at *x)
{
	memset(x, 0, sizeof(*x));
	x->cr.uid = t->creds.fsuid;
	x->cr.gid = t->creds.fsgid;
	x->s.cr = &x->cr;
	if (!t->fs)
		return -ENOENT;
	fs_context_paths(t->fs, &x->s.root, &x->s.start);
	return 0;
}

static void at_end(struct sock_at *x)
{
	if (x->s.root.dentry)
		path_put(&x->s.root);
	if (x->s.start.dentry)
		path_put(&x->s.start);
}

/* Linux's move_addr_to_kernel: at most sockaddr_storage; unix takes at most sockaddr_un. */
static int addr_in(struct task *t, gva_t uaddr, int64_t len, struct sock_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (len < 0 || len > SOCK_ADDR_MAX)
		return -EINVAL;
	if (len > (int64_t)sizeof(a->un))
		return -EINVAL;
	if (len && mm_copy_in(t->mm, uaddr, &a->un, (size_t)len) != len)
		return -EFAULT;
	a->len = (uint32_t)len;
	return 0;
}

/* Linux's move_addr_to_user: copy min(*ulen, len) bytes, then store the full length. */
static int addr_out(struct task *t, const struct sock_addr *a, gva_t uaddr, gva_t ulen_addr)
{
	int ulen, len = (int)a->len;

	if (mm_copy_in(t->mm, ulen_addr, &ulen, sizeof(ulen)) != sizeof(ulen))
		return -EFAULT;
	if (ulen < 0)
		return -EINVAL;
	if (ulen > len)
		ulen = len;
	if (ulen && mm_copy_out(t->mm, uaddr, a->raw, (size_t)ulen) != ulen)
		return -EFAULT;
	if (mm_copy_out(t->mm, ulen_addr, &len, sizeof(len)) != sizeof(len))
		return -EFAULT;
	return 0;
}

static int install(struct task *t, struct file *f, int flags)
{
	return fdtable_install(t->fdt, 0, f, (flags & O_CLOEXEC) ? FD_FLAG_CLOEXEC : 0,
			       nofile_limit(t));
}

long sys_socket(struct task *t, const struct syscall_args *a)
{
	int family = ARG_INT(0), type = ARG_INT(1), flags, r;
	struct sock_creds who = who_peer(t);
	struct file *f;

	flags = type & ~0xf;
	type &= 0xf;
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	if (family < 0 || family >= AF_MAX)
		return -EAFNOSUPPORT;
	if (type >= SOCK_MAX_TYPE)
		return -EINVAL;
	r = sock_create(family, type, ARG_INT(2), flags, &who, &f);
	if (r < 0)
		return r;
	r = install(t, f, flags);
	file_put(f);
	return r;
}

long sys_socketpair(struct task *t, const struct syscall_args *a)
{
	int family = ARG_INT(0), type = ARG_INT(1), flags, r, fds[2];
	struct sock_creds who = who_peer(t);
	struct file *fa, *fb;

	flags = type & ~0xf;
	type &= 0xf;
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	if (family < 0 || family >= AF_MAX)
		return -EAFNOSUPPORT;
	if (type >= SOCK_MAX_TYPE)
		return -EINVAL;
	r = sock_pair(family, type, ARG_INT(2), flags, &who, &fa, &fb);
	if (r < 0)
		return r;
	fds[0] = install(t, fa, flags);
	fds[1] = fds[0] < 0 ? fds[0] : install(t, fb, flags);
	file_put(fa);
	file_put(fb);
	if (fds[0] < 0)
		return fds[0];
	if (fds[1] < 0) {
		fdtable_close(t->fdt, fds[0]);
		return fds[1];
	}
	if (mm_copy_out(t->mm, ARG_U(3), fds, sizeof(fds)) != (ssize_t)sizeof(fds)) {
		fdtable_close(t->fdt, fds[0]);
		fdtable_close(t->fdt, fds[1]);
		return -EFAULT;
	}
	return 0;
}

/* bind and connect: the fd, the address, the VFS start for path names. */
static long bind_or_connect(struct task *t, const struct syscall_args *a, bool bind)
{
	struct sock_creds who = who_peer(t);
	struct sock_addr addr;
	struct sock_at at;
	struct file *f;
	long r = get_sock(t, ARG_INT(0), &f);

	if (r < 0)
		return r;
	r = addr_in(t, ARG_U(1), (int)ARG_U(2), &addr);
	if (r == 0)
		r = at_begin(t, &at);
	if (r == 0) {
		if (bind)
			r = sock_bind(f, &at.s, &addr.un, addr.len, t->umask);
		else
			r = sock_connect(f, &at.s, &addr.un, addr.len, &who);
		at_end(&at);
	}
	file_put(f);
	return r;
}

long sys_bind(struct task *t, const struct syscall_args *a)
{
	return bind_or_connect(t, a, true);
}

long sys_connect(struct task *t, const struct syscall_args *a)
{
	return bind_or_connect(t, a, false);
}

long sys_listen(struct task *t, const struct syscall_args *a)
{
	struct sock_creds who = who_peer(t);
	struct file *f;
	long r = get_sock(t, ARG_INT(0), &f);

	if (r < 0)
		return r;
	r = sock_listen(f, ARG_INT(1), &who);
	file_put(f);
	return r;
}

static long do_accept4(struct task *t, const struct syscall_args *a, int flags)
{
	struct sock_addr peer;
	struct file *f, *nf;
	long r;

	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	r = get_sock(t, ARG_INT(0), &f);
	if (r < 0)
		return r;
	r = sock_accept(f, flags, &nf, &peer);
	file_put(f);
	if (r < 0)
		return r;
	/* Linux copies the peer's address before installing; a fault loses the connection. */
	if (ARG_U(1)) {
		r = addr_out(t, &peer, ARG_U(1), ARG_U(2));
		if (r < 0) {
			file_put(nf);
			return r;
		}
	}
	r = install(t, nf, flags);
	file_put(nf);
	return r;
}

long sys_accept(struct task *t, const struct syscall_args *a)
{
	return do_accept4(t, a, 0);
}

long sys_accept4(struct task *t, const struct syscall_args *a)
{
	return do_accept4(t, a, ARG_INT(3));
}

static long getname(struct task *t, const struct syscall_args *a, bool peer)
{
	struct sock_addr addr;
	struct file *f;
	long r = get_sock(t, ARG_INT(0), &f);

	if (r < 0)
		return r;
	r = sock_getname(f, peer, &addr);
	file_put(f);
	if (r < 0)
		return r;
	return addr_out(t, &addr, ARG_U(1), ARG_U(2));
}

long sys_getsockname(struct task *t, const struct syscall_args *a)
{
	return getname(t, a, false);
}

long sys_getpeername(struct task *t, const struct syscall_args *a)
{
	return getname(t, a, true);
}

long sys_shutdown(struct task *t, const struct syscall_args *a)
{
	struct file *f;
	long r = get_sock(t, ARG_INT(0), &f);

	if (r < 0)
		return r;
	r = sock_shutdown(f, ARG_INT(1));
	file_put(f);
	return r;
}

long sys_getsockopt(struct task *t, const struct syscall_args *a)
{
	char buf[SOCK_OPT_MAX];
	uint32_t len;
	struct file *f;
	int ulen;
	long r = get_sock(t, ARG_INT(0), &f);

	if (r < 0)
		return r;
	if (mm_copy_in(t->mm, ARG_U(4), &ulen, sizeof(ulen)) != sizeof(ulen)) {
		r = -EFAULT;
		goto out;
	}
	if (ulen < 0) {
		r = -EINVAL;
		goto out;
	}
	len = MIN((uint32_t)ulen, sizeof(buf));
	memset(buf, 0, sizeof(buf));
	r = sock_getsockopt(f, ARG_INT(1), ARG_INT(2), buf, &len);
	if (r < 0)
		goto out;
	ulen = (int)len;
	if ((len && mm_copy_out(t->mm, ARG_U(3), buf, len) != (ssize_t)len) ||
	    mm_copy_out(t->mm, ARG_U(4), &ulen, sizeof(ulen)) != sizeof(ulen))
		r = -EFAULT;
out:
	file_put(f);
	return r;
}

long sys_setsockopt(struct task *t, const struct syscall_args *a)
{
	char buf[SOCK_OPT_MAX];
	int optlen = ARG_INT(4);
	uint32_t len;
	struct file *f;
	long r = get_sock(t, ARG_INT(0), &f);

	if (r < 0)
		return r;
	if (optlen < 0) {
		r = -EINVAL;
		goto out;
	}
	len = MIN((uint32_t)optlen, sizeof(buf));
	if (len && mm_copy_in(t->mm, ARG_U(3), buf, len) != (ssize_t)len) {
		r = -EFAULT;
		goto out;
	}
	r = sock_setsockopt(f, ARG_INT(1), ARG_INT(2), buf, len);
out:
	file_put(f);
	return r;
}

/* ---- data: sendto/recvfrom and the msghdr forms ---- */

/* Linux's __scm_send: SOL_SOCKET SCM_RIGHTS and SCM_CREDENTIALS; other levels skipped. */
static int scm_parse(struct task *t, const char *ctl, size_t clen, struct sock_scm *scm)
{
	size_t off = 0;

	while (off + sizeof(struct cmsghdr) <= clen) {
		struct cmsghdr h;
		memcpy(&h, ctl + off, sizeof(h));
		if (h.cmsg_len < sizeof(struct cmsghdr) || h.cmsg_len > clen - off)
			return -EINVAL;
		const char *data = ctl + off + CMSG_ALIGN(sizeof(struct cmsghdr));
		size_t dlen = h.cmsg_len - CMSG_ALIGN(sizeof(struct cmsghdr));
		if (h.cmsg_level != SOL_SOCKET) {
			/* skipped */
		} else if (h.cmsg_type == SCM_RIGHTS) {
			int n = (int)(dlen / sizeof(int));
			if (n > 0 && scm->nfiles + n > SOCK_SCM_MAX_FD)
				return -EINVAL;
			for (int i = 0; i < n; i++) {
				int fd;
				memcpy(&fd, data + i * sizeof(int), sizeof(fd));
				struct file *f = fdtable_get_file(t->fdt, fd, NULL);
				if (!f)
					return -EBADF;
				scm->files[scm->nfiles++] = f;
			}
		} else if (h.cmsg_type == SCM_CREDENTIALS) {
			struct ucred uc;
			if (h.cmsg_len != CMSG_LEN(sizeof(uc)))
				return -EINVAL;
			memcpy(&uc, data, sizeof(uc));
			/* scm_check_creds: only one's own pid and ids, unless privileged. */
			bool admin = t->creds.euid == 0;
			if ((uc.pid != t->tg->tgid && !admin) ||
			    (uc.uid != t->creds.ruid && uc.uid != t->creds.euid &&
			     uc.uid != t->creds.suid && !admin) ||
			    (uc.gid != t->creds.rgid && uc.gid != t->creds.egid &&
			     uc.gid != t->creds.sgid && !admin))
				return -EPERM;
			scm->has_creds = true;
			scm->creds = (struct sock_creds){ uc.pid, uc.uid, uc.gid };
		} else {
			return -EINVAL;
		}
		off += CMSG_ALIGN(h.cmsg_len);
	}
	return 0;
}

/* One sendmsg (also sendto, sendmmsg): @mh is the guest's msghdr, copied in. */
static long do_sendmsg(struct task *t, struct file *f, const struct msghdr *mh, struct uio *u,
		       int flags)
{
	struct sock_creds who = who_scm(t);
	struct sock_addr to, *top = NULL;
	struct sock_scm *scm = NULL;
	char *ctl = NULL;
	struct sock_at at;
	bool sigpipe = false, have_at = false;
	long r = 0;

	if (mh->msg_name && mh->msg_namelen) {
		r = addr_in(t, (gva_t)mh->msg_name, (int)mh->msg_namelen, &to);
		if (r < 0)
			return r;
		top = &to;
	}
	if (mh->msg_controllen) {
		if (mh->msg_controllen > SOCK_CTL_MAX)
			return -ENOBUFS;
		ctl = malloc(mh->msg_controllen);
		scm = calloc(1, sizeof(*scm));
		if (!ctl || !scm) {
			r = -ENOMEM;
			goto out;
		}
		if (mm_copy_in(t->mm, (gva_t)mh->msg_control, ctl, mh->msg_controllen) !=
		    (ssize_t)mh->msg_controllen) {
			r = -EFAULT;
			goto out;
		}
		r = scm_parse(t, ctl, mh->msg_controllen, scm);
		if (r < 0)
			goto out;
	}
	r = at_begin(t, &at);
	if (r < 0)
		goto out;
	have_at = true;
	r = sock_sendmsg(f, u, flags, &at.s, top, scm, &who, &sigpipe);
	if (r == -EPIPE && sigpipe)
		task_send_signal(t, SIGPIPE, NULL, false);
out:
	if (have_at)
		at_end(&at);
	if (scm) {
		sock_scm_release(scm);
		free(scm);
	}
	free(ctl);
	return r;
}

long sys_sendto(struct task *t, const struct syscall_args *a)
{
	struct msghdr mh = { 0 };
	struct file *f;
	struct uio u;
	long r = get_sock(t, ARG_INT(0), &f);

	if (r < 0)
		return r;
	r = uio_init_single(&u, t->mm, ARG_U(1), MIN(ARG_U(2), (uint64_t)0x7ffff000));
	if (r < 0)
		goto out;
	mh.msg_name = (void *)ARG_U(4);
	mh.msg_namelen = (socklen_t)ARG_U(5);
	if (!mh.msg_name)
		mh.msg_namelen = 0;
	r = do_sendmsg(t, f, &mh, &u, ARG_INT(3));
out:
	file_put(f);
	return r;
}

/* A control buffer being filled (Linux's put_cmsg / scm_detach_fds), in Sentry memory. */
struct cbuf {
	char *buf;
	size_t cap, used;
	int flags;
};

static void put_cmsg(struct cbuf *cb, int level, int type, const void *data, size_t len)
{
	size_t left = cb->cap - cb->used, cmlen = CMSG_LEN(len);
	struct cmsghdr h;

	if (left < sizeof(h)) {
		cb->flags |= MSG_CTRUNC;
		return;
	}
	if (left < cmlen) {
		cb->flags |= MSG_CTRUNC;
		cmlen = left;
	}
	h.cmsg_len = cmlen;
	h.cmsg_level = level;
	h.cmsg_type = type;
	memcpy(cb->buf + cb->used, &h, sizeof(h));
	memcpy(cb->buf + cb->used + sizeof(h), data, cmlen - sizeof(h));
	cb->used += MIN(CMSG_SPACE(len), left);
}

static void detach_fds(struct task *t, struct cbuf *cb, struct sock_scm *scm, int flags)
{
	size_t left = cb->cap - cb->used;
	int fdmax = left > sizeof(struct cmsghdr) ? (int)((left - sizeof(struct cmsghdr)) / sizeof(int)) : 0;
	int fds[SOCK_SCM_MAX_FD], i;

	for (i = 0; i < scm->nfiles && i < fdmax; i++) {
		int fd = install(t, scm->files[i], (flags & MSG_CMSG_CLOEXEC) ? O_CLOEXEC : 0);
		if (fd < 0)
			break;
		fds[i] = fd;
	}
	if (i > 0)
		put_cmsg(cb, SOL_SOCKET, SCM_RIGHTS, fds, (size_t)i * sizeof(int));
	if (i < scm->nfiles || (scm->nfiles && fdmax <= 0))
		cb->flags |= MSG_CTRUNC;
}

/* One recvmsg: fills the guest's msghdr at @umh (name, control, flags) after receiving. */
static long do_recvmsg(struct task *t, struct file *f, gva_t umh, struct msghdr *mh,
		       struct uio *u, int flags)
{
	struct sock_scm *scm = calloc(1, sizeof(*scm));
	struct sock_addr from;
	struct cbuf cb = { NULL, 0, 0, 0 };
	/* Linux's ___sys_recvmsg starts msg_flags from the caller's MSG_CMSG_CLOEXEC. */
	int mflags = 0, mflags0 = flags & MSG_CMSG_CLOEXEC;
	long r;

	if (!scm)
		return -ENOMEM;
	r = sock_recvmsg(f, u, flags & ~MSG_CMSG_CLOEXEC, &mflags, &from, scm);
	if (r < 0)
		goto out;
	cb.cap = mh->msg_control ? MIN(mh->msg_controllen, (size_t)SOCK_CTL_MAX) : 0;
	cb.buf = calloc(1, cb.cap ? cb.cap : 1);
	if (!cb.buf) {
		r = -ENOMEM;
		goto out;
	}
	if (scm->has_creds) {
		struct ucred uc = { scm->creds.pid, scm->creds.uid, scm->creds.gid };
		put_cmsg(&cb, SOL_SOCKET, SCM_CREDENTIALS, &uc, sizeof(uc));
	}
	if (scm->nfiles)
		detach_fds(t, &cb, scm, flags);
	mflags |= cb.flags | mflags0;
	{
		mh->msg_flags = mflags;
		mh->msg_controllen = cb.used;
		if (mh->msg_name) {
			int ulen = (int)mh->msg_namelen, len = (int)from.len;
			if (ulen < 0) {
				r = -EINVAL;
				goto out;
			}
			if (mm_copy_out(t->mm, (gva_t)mh->msg_name, from.raw,
					(size_t)MIN(ulen, len)) != MIN(ulen, len)) {
				r = -EFAULT;
				goto out;
			}
			mh->msg_namelen = (socklen_t)len;
		}
		if ((cb.used && mm_copy_out(t->mm, (gva_t)mh->msg_control, cb.buf, cb.used) !=
					(ssize_t)cb.used) ||
		    mm_copy_out(t->mm, umh, mh, sizeof(*mh)) != sizeof(*mh))
			r = -EFAULT;
	}
out:
	/* Our references go; files not installed (truncation, errors) are closed with them,
	 * as Linux's scm_destroy. */
	sock_scm_release(scm);
	free(cb.buf);
	free(scm);
	return r;
}

long sys_recvfrom(struct task *t, const struct syscall_args *a)
{
	struct sock_scm *scm;
	struct sock_addr from;
	struct file *f;
	struct uio u;
	int mflags;
	long r = get_sock(t, ARG_INT(0), &f);

	if (r < 0)
		return r;
	r = uio_init_single(&u, t->mm, ARG_U(1), MIN(ARG_U(2), (uint64_t)0x7ffff000));
	if (r < 0)
		goto out;
	scm = calloc(1, sizeof(*scm));
	if (!scm) {
		r = -ENOMEM;
		goto out;
	}
	r = sock_recvmsg(f, &u, ARG_INT(3) & ~MSG_CMSG_CLOEXEC, &mflags, &from, scm);
	sock_scm_release(scm); /* no control buffer: rights are closed */
	free(scm);
	if (r >= 0 && ARG_U(4)) {
		long e = addr_out(t, &from, ARG_U(4), ARG_U(5));
		if (e < 0)
			r = e;
	}
out:
	file_put(f);
	return r;
}

/* Copy in a msghdr and its iovec (Linux's copy_msghdr_from_user + import_iovec). */
static long msghdr_in(struct task *t, gva_t umh, struct msghdr *mh, struct uio *u)
{
	if (mm_copy_in(t->mm, umh, mh, sizeof(*mh)) != sizeof(*mh))
		return -EFAULT;
	if ((int)mh->msg_namelen < 0)
		return -EINVAL;
	if (mh->msg_namelen > SOCK_ADDR_MAX)
		mh->msg_namelen = SOCK_ADDR_MAX;
	if (mh->msg_controllen > INT32_MAX)
		return -ENOBUFS;
	if (mh->msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	return uio_init_guest_iov(u, t->mm, (gva_t)mh->msg_iov, (int)mh->msg_iovlen);
}

long sys_sendmsg(struct task *t, const struct syscall_args *a)
{
	struct msghdr mh;
	struct file *f;
	struct uio u;
	long r = get_sock(t, ARG_INT(0), &f);

	if (r < 0)
		return r;
	r = msghdr_in(t, ARG_U(1), &mh, &u);
	if (r == 0) {
		r = do_sendmsg(t, f, &mh, &u, ARG_INT(2));
		uio_destroy(&u);
	}
	file_put(f);
	return r;
}

long sys_recvmsg(struct task *t, const struct syscall_args *a)
{
	struct msghdr mh;
	struct file *f;
	struct uio u;
	long r = get_sock(t, ARG_INT(0), &f);

	if (r < 0)
		return r;
	r = msghdr_in(t, ARG_U(1), &mh, &u);
	if (r == 0) {
		r = do_recvmsg(t, f, ARG_U(1), &mh, &u, ARG_INT(2));
		uio_destroy(&u);
	}
	file_put(f);
	return r;
}

/* struct mmsghdr: a msghdr then the byte count of that message. */
#define MMSG_SIZE sizeof(struct mmsghdr)
#define MMSG_LEN_OFF offsetof(struct mmsghdr, msg_len)

long sys_sendmmsg(struct task *t, const struct syscall_args *a)
{
	unsigned int vlen = MIN((unsigned int)ARG_U(2), UIO_MAXIOV), n;
	struct file *f;
	long r = get_sock(t, ARG_INT(0), &f);

	if (r < 0)
		return r;
	for (n = 0; n < vlen; n++) {
		gva_t umh = ARG_U(1) + n * MMSG_SIZE;
		struct msghdr mh;
		struct uio u;
		unsigned int len;
		r = msghdr_in(t, umh, &mh, &u);
		if (r < 0)
			break;
		r = do_sendmsg(t, f, &mh, &u, ARG_INT(3));
		uio_destroy(&u);
		if (r < 0)
			break;
		len = (unsigned int)r;
		if (mm_copy_out(t->mm, umh + MMSG_LEN_OFF, &len, sizeof(len)) != sizeof(len)) {
			r = -EFAULT;
			break;
		}
	}
	file_put(f);
	return n ? (long)n : r;
}

long sys_recvmmsg(struct task *t, const struct syscall_args *a)
{
	unsigned int vlen = MIN((unsigned int)ARG_U(2), UIO_MAXIOV), n;
	int flags = ARG_INT(3);
	struct timespec ts, dl;
	bool timed = false;
	struct file *f;
	long r;

	if (ARG_U(4)) {
		if (mm_copy_in(t->mm, ARG_U(4), &ts, sizeof(ts)) != sizeof(ts))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
			return -EINVAL;
		deadline_after_ns(&dl, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
		timed = true;
	}
	r = get_sock(t, ARG_INT(0), &f);
	if (r < 0)
		return r;
	for (n = 0; n < vlen; n++) {
		gva_t umh = ARG_U(1) + n * MMSG_SIZE;
		struct msghdr mh;
		struct uio u;
		unsigned int len;
		r = msghdr_in(t, umh, &mh, &u);
		if (r < 0)
			break;
		r = do_recvmsg(t, f, umh, &mh, &u, flags);
		uio_destroy(&u);
		if (r < 0)
			break;
		len = (unsigned int)r;
		if (mm_copy_out(t->mm, umh + MMSG_LEN_OFF, &len, sizeof(len)) != sizeof(len)) {
			r = -EFAULT;
			break;
		}
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		if (timed && deadline_passed(&dl)) {
			n++;
			break;
		}
	}
	file_put(f);
	return n ? (long)n : r;
}
