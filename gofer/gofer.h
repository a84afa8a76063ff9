/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Gofer: a separate, confined process that serves one host directory tree to the Sentry
 * over 9P2000.L (DESIGN.md §8, §11). This header is its whole public surface.
 */
#ifndef SBX_GOFER_GOFER_H
#define SBX_GOFER_GOFER_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Locking: none. The gofer is single-threaded: gofer_serve() runs one libev loop that owns
 * every connection and fid. Internals live in gofer/gofer_impl.h.
 */

/**
 * struct gofer_config - what gofer_serve() serves and how.
 * @root_fd: an O_PATH (or any) fd of the directory to serve. Every name the client sends is
 *           resolved beneath it, one component at a time, never following symlinks. The
 *           gofer dup()s it; the caller keeps ownership of @root_fd.
 * @conn_fds: connected unix stream sockets, one per mount point; gofer_serve() takes
 *            ownership of them (closes each when its connection ends).
 * @nconns: number of entries in @conn_fds (at least 1).
 * @readonly: refuse every mutating request with EROFS (in the gofer itself, whatever the
 *            host mount allows).
 * @confine: before serving, drop capabilities to those file work needs, set
 *           PR_SET_NO_NEW_PRIVS and install the seccomp allowlist (everything else kills the
 *           process). gofer_serve() refuses to serve when that fails.
 * @max_msize: largest msize to negotiate; 0 means P9_MSIZE_DEFAULT (1 MiB), which is also the
 *             upper bound.
 * @no_fd_donation: never send host fds (P9_OPEN_DONATE_FD requests get a plain reply, so
 *                  every byte goes through Tread/Twrite). By default a regular file opened
 *                  by Tlopen/Tlcreate is donated when the client asks: the fd has exactly
 *                  the access the open had (read-only mounts: O_RDONLY only).
 */
struct gofer_config {
	int root_fd;
	const int *conn_fds;
	int nconns;
	bool readonly;
	bool confine;
	uint32_t max_msize;
	bool no_fd_donation;
};

/**
 * gofer_serve - serve @cfg->root_fd on every connection until all of them are closed.
 * @cfg: configuration (see struct gofer_config).
 *
 * Blocks in the event loop. Requests on one connection are handled in order and answered with
 * their tag. A malformed message (DESIGN.md §11.4) closes only that connection, with a log
 * line; the other connections go on being served.
 *
 * Return: 0 once every connection has been closed; -errno when setup or confinement failed
 * (nothing was served then): -EINVAL for a bad config, -EPERM/-EACCES/... from confinement.
 * Postconditions: with @cfg->confine, the calling process stays confined after return (the
 * seccomp filter cannot be removed); it should just exit.
 */
int gofer_serve(const struct gofer_config *cfg);

/**
 * gofer_confine - drop capabilities, set no_new_privs and install the seccomp allowlist.
 *
 * Called by gofer_serve() when @confine is set; exported for runsc and tests. Capabilities the
 * process does not hold are simply not kept; the bounding set is reduced when CAP_SETPCAP is
 * held. Irreversible.
 *
 * Return: 0, or -errno (the process may then be partly confined: do not serve).
 */
int gofer_confine(void);

#endif
