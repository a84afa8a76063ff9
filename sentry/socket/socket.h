/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sockets as files (DESIGN.md §7, §9): the BSD socket API over struct file. Today only
 * AF_UNIX, handled entirely inside the Sentry (sentry/socket/unix*.c); other families return
 * -EAFNOSUPPORT until the netstack exists. The syscall layer (sentry/syscalls/sys_socket.c)
 * copies guest arguments in and out; everything here works on Sentry memory, except data,
 * which moves through struct uio.
 *
 * Ancillary data crosses this interface parsed: struct sock_scm carries file references
 * (SCM_RIGHTS) and credentials (SCM_CREDENTIALS); the syscall layer resolves fds into
 * references on send and installs references into the receiver's fd table on receive.
 *
 * Locking: one lock for every unix socket in the sandbox (unix_mu, sentry/socket/unix.c);
 * guest copies of received data run under it (unix_mu > mm->mu), so nothing that holds an
 * mm lock may call in here. unix_mu > vfs_tree_mu (bind creates the socket's inode).
 */
#ifndef SBX_SENTRY_SOCKET_SOCKET_H
#define SBX_SENTRY_SOCKET_SOCKET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

struct file;
struct uio;
struct vfs_start;

/* The most file references one message may carry (Linux's SCM_MAX_FD). */
#define SOCK_SCM_MAX_FD 253

/* struct sock_creds - who a process is, as SCM_CREDENTIALS and SO_PEERCRED show it. */
struct sock_creds {
	int32_t pid;
	uint32_t uid, gid;
};

/*
 * struct sock_addr - a socket address in Sentry memory: @len bytes of @un are meaningful
 * (sun_family first). A length of 0 means "no address" (an unbound peer).
 */
struct sock_addr {
	uint32_t len;
	union {
		struct sockaddr_un un;
		/* A path may fill all of sun_path; Linux then reports family + 108 + NUL. */
		char raw[sizeof(struct sockaddr_un) + 1];
	};
};

/*
 * struct sock_scm - ancillary data of one message. @files holds @nfiles references owned
 * by whoever holds the struct (sock_scm_release drops them). @has_creds: @creds were given.
 */
struct sock_scm {
	struct file *files[SOCK_SCM_MAX_FD];
	int nfiles;
	bool has_creds;
	struct sock_creds creds;
};

void sock_scm_release(struct sock_scm *scm);

/*
 * sock_create - socket(2): a new socket file (O_RDWR | @flags' O_NONBLOCK) in *out with one
 * reference, owned (fstat) by @who's uid/gid. @type is SOCK_STREAM/DGRAM/SEQPACKET without flags. Errors as Linux:
 * -EAFNOSUPPORT (families other than AF_UNIX), -ESOCKTNOSUPPORT, -EPROTONOSUPPORT.
 */
int sock_create(int family, int type, int protocol, int flags, const struct sock_creds *who,
		struct file **out);
/* sock_pair - socketpair(2): two connected sockets whose peer credentials are @who. */
int sock_pair(int family, int type, int protocol, int flags, const struct sock_creds *who,
	      struct file **a, struct file **b);
/* file_is_socket - is @f a socket (else the socket calls answer -ENOTSOCK)? */
bool file_is_socket(const struct file *f);
/*
 * sock_sends_sigpipe - does -EPIPE from write(2) on socket @f come with SIGPIPE? Stream
 * sockets yes; datagram and seqpacket sockets no (Linux's unix_dgram_sendmsg never signals).
 */
bool sock_sends_sigpipe(const struct file *f);

/*
 * sock_bind - bind(2) to the guest address @addr (@len bytes, validated here). A path name
 * makes a socket inode through the VFS walk @s (its creds check the directory), mode 0777
 * & ~@umask; -EADDRINUSE if the name exists. A lone sun_family autobinds an abstract name.
 */
int sock_bind(struct file *f, const struct vfs_start *s, const void *addr, uint32_t len,
	      uint32_t umask);
/* sock_listen - listen(2); @who becomes the peer credentials of connecting sockets. */
int sock_listen(struct file *f, int backlog, const struct sock_creds *who);
/*
 * sock_connect - connect(2). Stream/seqpacket: may block while the listener's backlog is
 * full (-EAGAIN when non-blocking); -ECONNREFUSED, -ENOENT, -EPROTOTYPE, -EISCONN. Dgram:
 * sets the default destination (AF_UNSPEC dissolves it).
 */
int sock_connect(struct file *f, const struct vfs_start *s, const void *addr, uint32_t len,
		 const struct sock_creds *who);
/*
 * sock_accept - accept4(2): the next connection as a new file (@flags SOCK_NONBLOCK) in
 * *out and its peer's address in @peer. Blocks unless non-blocking (-EAGAIN); -EINTR.
 */
int sock_accept(struct file *f, int flags, struct file **out, struct sock_addr *peer);
/* sock_getname - getsockname (@peer false) / getpeername (-ENOTCONN). */
int sock_getname(struct file *f, bool peer, struct sock_addr *out);
/* sock_shutdown - shutdown(2) with SHUT_RD/SHUT_WR/SHUT_RDWR. */
int sock_shutdown(struct file *f, int how);

/*
 * sock_sendmsg - send from @src with MSG_* @flags to @to (NULL: the connected peer; else the
 * guest's address bytes, validated here, path names resolved through @vs), with
 * the ancillary data in @scm (its file references are taken over on success, left to the
 * caller on failure). @who is the sender (default credentials). Returns bytes sent or
 * -errno; -EPIPE means the caller sends SIGPIPE if *@sigpipe is set (stream sockets
 * without MSG_NOSIGNAL). May block.
 */
ssize_t sock_sendmsg(struct file *f, struct uio *src, int flags, const struct vfs_start *vs,
		     const struct sock_addr *to, struct sock_scm *scm, const struct sock_creds *who,
		     bool *sigpipe);
/*
 * sock_recvmsg - receive into @dst. Fills *@msg_flags (MSG_TRUNC, ...), @from (the sender's
 * address, len 0 when unbound; may be NULL) and @scm (references for the caller to install
 * or release; credentials only with SO_PASSCRED). Returns bytes (the full record length
 * with MSG_TRUNC on datagrams) or -errno. May block.
 */
ssize_t sock_recvmsg(struct file *f, struct uio *dst, int flags, int *msg_flags,
		     struct sock_addr *from, struct sock_scm *scm);

/*
 * sock_getsockopt / sock_setsockopt - SOL_SOCKET options. get fills up to *@len bytes of
 * @buf (Sentry memory) and sets *@len to what is meaningful.
 */
int sock_getsockopt(struct file *f, int level, int name, void *buf, uint32_t *len);
int sock_setsockopt(struct file *f, int level, int name, const void *buf, uint32_t len);

#endif
