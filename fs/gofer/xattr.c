// SPDX-License-Identifier: Apache-2.0
/*
 * Extended attributes through the gofer (9P2000.L): Txattrwalk + Tread to get a value or
 * the list, Txattrcreate + Twrite + Tclunk on a clone of the inode's fid to set or remove
 * one (the clunk's reply carries the host's answer). See gofer/ops_xattr.c for the server.
 */
#include "fs/gofer/goferfs.h"

#include <errno.h>
#include <string.h>
#include <sys/xattr.h>

#include "lib/compiler.h"

ssize_t p9c_getxattr(struct p9c *c, uint32_t fid, const char *name, void *buf, size_t size)
{
	struct p9_msg t = { .type = P9_TXATTRWALK }, r;
	uint32_t xfid = p9c_fid_alloc(c);
	uint64_t total, done = 0;
	int e;

	t.txattrwalk = (struct p9_txattrwalk){ fid, xfid, { name, strlen(name) } };
	e = p9c_call(c, &t, &r);
	if (e < 0)
		return e;
	total = r.rxattrwalk.size;
	if (total > 65536) {
		e = -E2BIG; /* XATTR_SIZE_MAX/XATTR_LIST_MAX: a gofer never sends more */
		goto out;
	}
	if (size == 0 || total == 0)
		goto out;
	if (total > size) {
		e = -ERANGE;
		goto out;
	}
	while (done < total) {
		uint32_t n = (uint32_t)MIN(total - done, (uint64_t)(p9c_msize(c) - P9_IOHDRSZ));
		t = (struct p9_msg){ .type = P9_TREAD, .tread = { xfid, done, n } };
		p9c_lock(c);
		e = p9c_rpc(c, &t, &r);
		if (e == 0 && (r.rread.count == 0 || r.rread.count > n))
			e = -EIO;
		if (e == 0)
			memcpy((char *)buf + done, r.rread.data, r.rread.count);
		p9c_unlock(c);
		if (e < 0)
			goto out;
		done += r.rread.count;
	}
out:
	p9c_clunk(c, xfid);
	return e < 0 ? e : (ssize_t)total;
}

int p9c_setxattr(struct p9c *c, uint32_t fid, const char *name, const void *value, size_t size,
		 uint32_t flags)
{
	struct p9_msg t = { .type = P9_TWALK }, r;
	uint32_t xfid = p9c_fid_alloc(c);
	size_t done = 0;
	int e, ce;

	/* A clone: Txattrcreate turns the fid it is given into an xattr fid. */
	t.twalk.fid = fid;
	t.twalk.newfid = xfid;
	t.twalk.nwname = 0;
	e = p9c_call(c, &t, &r);
	if (e < 0)
		return e;
	t = (struct p9_msg){ .type = P9_TXATTRCREATE };
	t.txattrcreate = (struct p9_txattrcreate){ xfid, { name, strlen(name) }, size, flags };
	e = p9c_call(c, &t, NULL);
	while (e == 0 && done < size) {
		uint32_t n = (uint32_t)MIN(size - done, (size_t)(p9c_msize(c) - P9_IOHDRSZ));
		t = (struct p9_msg){ .type = P9_TWRITE,
				     .twrite = { xfid, done, n, (const uint8_t *)value + done } };
		e = p9c_call(c, &t, &r);
		if (e == 0 && (r.rwrite.count == 0 || r.rwrite.count > n))
			e = -EIO;
		if (e == 0)
			done += r.rwrite.count;
	}
	t = (struct p9_msg){ .type = P9_TCLUNK, .tclunk.fid = xfid };
	ce = p9c_call(c, &t, NULL);
	return e < 0 ? e : ce;
}
