// SPDX-License-Identifier: Apache-2.0
/*
 * 9P2000.L messages: one table row per message type (wire format + where each field lives in
 * struct p9_msg) drives p9_encode, p9_decode and p9_msg_equal, so the three cannot disagree.
 */
#include <errno.h>
#include <string.h>

#include "gofer/p9/p9.h"
#include "gofer/p9/p9_impl.h"
#include "lib/compiler.h"

#define P9_MAX_OFFS 10

/**
 * struct p9_layout - body of one message type.
 * @name: "Twalk"; NULL marks a type that is not 9P2000.L.
 * @fmt: field letters as in p9_get() (D/T/R take two offsets).
 * @off: offset of each field in struct p9_msg, in @fmt order.
 *
 * Wire layouts follow Linux net/9p/client.c (p9_client_rpc/p9pdu_readf format strings) and
 * the 9P2000.L description of diod; e.g. Tfsync carries datasync[4] as Linux sends it.
 */
struct p9_layout {
	const char *name;
	const char *fmt;
	uint16_t off[P9_MAX_OFFS];
};

#define O(f) (uint16_t) offsetof(struct p9_msg, f)
#define QID_MSG(T, nm, f) [T] = { nm, "Q", { O(f) } }
#define EMPTY(T, nm) [T] = { nm, "", { 0 } }

static const struct p9_layout layouts[P9_TMAX] = {
	[P9_TVERSION] = { "Tversion", "ds", { O(tversion.msize), O(tversion.version) } },
	[P9_RVERSION] = { "Rversion", "ds", { O(rversion.msize), O(rversion.version) } },
	[P9_TAUTH] = { "Tauth", "dssd",
		       { O(tauth.afid), O(tauth.uname), O(tauth.aname), O(tauth.n_uname) } },
	QID_MSG(P9_RAUTH, "Rauth", rauth.aqid),
	[P9_TATTACH] = { "Tattach", "ddssd",
			 { O(tattach.fid), O(tattach.afid), O(tattach.uname), O(tattach.aname),
			   O(tattach.n_uname) } },
	QID_MSG(P9_RATTACH, "Rattach", rattach.qid),
	[P9_RLERROR] = { "Rlerror", "d", { O(rlerror.ecode) } },
	[P9_TFLUSH] = { "Tflush", "w", { O(tflush.oldtag) } },
	EMPTY(P9_RFLUSH, "Rflush"),
	[P9_TWALK] = { "Twalk", "ddT",
		       { O(twalk.fid), O(twalk.newfid), O(twalk.nwname), O(twalk.wnames) } },
	[P9_RWALK] = { "Rwalk", "R", { O(rwalk.nwqid), O(rwalk.wqids) } },
	[P9_TWALKGETATTR] = { "Twalkgetattr", "ddT",
			      { O(twalkgetattr.fid), O(twalkgetattr.newfid),
				O(twalkgetattr.nwname), O(twalkgetattr.wnames) } },
	[P9_RWALKGETATTR] = { "Rwalkgetattr", "RA",
			      { O(rwalkgetattr.nwqid), O(rwalkgetattr.wqids),
				O(rwalkgetattr.st) } },
	[P9_TREAD] = { "Tread", "dqd", { O(tread.fid), O(tread.offset), O(tread.count) } },
	[P9_RREAD] = { "Rread", "D", { O(rread.count), O(rread.data) } },
	[P9_TWRITE] = { "Twrite", "dqD",
			{ O(twrite.fid), O(twrite.offset), O(twrite.count), O(twrite.data) } },
	[P9_RWRITE] = { "Rwrite", "d", { O(rwrite.count) } },
	[P9_TCLUNK] = { "Tclunk", "d", { O(tclunk.fid) } },
	EMPTY(P9_RCLUNK, "Rclunk"),
	[P9_TREMOVE] = { "Tremove", "d", { O(tremove.fid) } },
	EMPTY(P9_RREMOVE, "Rremove"),
	[P9_TSTATFS] = { "Tstatfs", "d", { O(tstatfs.fid) } },
	[P9_RSTATFS] = { "Rstatfs", "ddqqqqqqd",
			 { O(rstatfs.type), O(rstatfs.bsize), O(rstatfs.blocks), O(rstatfs.bfree),
			   O(rstatfs.bavail), O(rstatfs.files), O(rstatfs.ffree), O(rstatfs.fsid),
			   O(rstatfs.namelen) } },
	[P9_TLOPEN] = { "Tlopen", "dd", { O(tlopen.fid), O(tlopen.flags) } },
	[P9_RLOPEN] = { "Rlopen", "Qd", { O(rlopen.qid), O(rlopen.iounit) } },
	[P9_TLCREATE] = { "Tlcreate", "dsddd",
			  { O(tlcreate.fid), O(tlcreate.name), O(tlcreate.flags), O(tlcreate.mode),
			    O(tlcreate.gid) } },
	[P9_RLCREATE] = { "Rlcreate", "Qd", { O(rlcreate.qid), O(rlcreate.iounit) } },
	[P9_TSYMLINK] = { "Tsymlink", "dssd",
			  { O(tsymlink.fid), O(tsymlink.name), O(tsymlink.symtgt),
			    O(tsymlink.gid) } },
	QID_MSG(P9_RSYMLINK, "Rsymlink", rsymlink.qid),
	[P9_TMKNOD] = { "Tmknod", "dsdddd",
			{ O(tmknod.dfid), O(tmknod.name), O(tmknod.mode), O(tmknod.major),
			  O(tmknod.minor), O(tmknod.gid) } },
	QID_MSG(P9_RMKNOD, "Rmknod", rmknod.qid),
	[P9_TRENAME] = { "Trename", "dds", { O(trename.fid), O(trename.dfid), O(trename.name) } },
	EMPTY(P9_RRENAME, "Rrename"),
	[P9_TREADLINK] = { "Treadlink", "d", { O(treadlink.fid) } },
	[P9_RREADLINK] = { "Rreadlink", "s", { O(rreadlink.target) } },
	[P9_TGETATTR] = { "Tgetattr", "dq", { O(tgetattr.fid), O(tgetattr.request_mask) } },
	[P9_RGETATTR] = { "Rgetattr", "A", { O(rgetattr.st) } },
	[P9_TSETATTR] = { "Tsetattr", "dI", { O(tsetattr.fid), O(tsetattr.attr) } },
	EMPTY(P9_RSETATTR, "Rsetattr"),
	[P9_TXATTRWALK] = { "Txattrwalk", "dds",
			    { O(txattrwalk.fid), O(txattrwalk.newfid), O(txattrwalk.name) } },
	[P9_RXATTRWALK] = { "Rxattrwalk", "q", { O(rxattrwalk.size) } },
	[P9_TXATTRCREATE] = { "Txattrcreate", "dsqd",
			      { O(txattrcreate.fid), O(txattrcreate.name),
				O(txattrcreate.attr_size), O(txattrcreate.flags) } },
	EMPTY(P9_RXATTRCREATE, "Rxattrcreate"),
	[P9_TREADDIR] = { "Treaddir", "dqd",
			  { O(treaddir.fid), O(treaddir.offset), O(treaddir.count) } },
	[P9_RREADDIR] = { "Rreaddir", "D", { O(rreaddir.count), O(rreaddir.data) } },
	[P9_TFSYNC] = { "Tfsync", "dd", { O(tfsync.fid), O(tfsync.datasync) } },
	EMPTY(P9_RFSYNC, "Rfsync"),
	[P9_TLOCK] = { "Tlock", "dbdqqds",
		       { O(tlock.fid), O(tlock.type), O(tlock.flags), O(tlock.start),
			 O(tlock.length), O(tlock.proc_id), O(tlock.client_id) } },
	[P9_RLOCK] = { "Rlock", "b", { O(rlock.status) } },
	[P9_TGETLOCK] = { "Tgetlock", "dbqqds",
			  { O(tgetlock.fid), O(tgetlock.type), O(tgetlock.start),
			    O(tgetlock.length), O(tgetlock.proc_id), O(tgetlock.client_id) } },
	[P9_RGETLOCK] = { "Rgetlock", "bqqds",
			  { O(rgetlock.type), O(rgetlock.start), O(rgetlock.length),
			    O(rgetlock.proc_id), O(rgetlock.client_id) } },
	[P9_TLINK] = { "Tlink", "dds", { O(tlink.dfid), O(tlink.fid), O(tlink.name) } },
	EMPTY(P9_RLINK, "Rlink"),
	[P9_TMKDIR] = { "Tmkdir", "dsdd",
			{ O(tmkdir.dfid), O(tmkdir.name), O(tmkdir.mode), O(tmkdir.gid) } },
	QID_MSG(P9_RMKDIR, "Rmkdir", rmkdir.qid),
	[P9_TRENAMEAT] = { "Trenameat", "dsds",
			   { O(trenameat.olddirfid), O(trenameat.oldname), O(trenameat.newdirfid),
			     O(trenameat.newname) } },
	EMPTY(P9_RRENAMEAT, "Rrenameat"),
	[P9_TUNLINKAT] = { "Tunlinkat", "dsd",
			   { O(tunlinkat.dirfid), O(tunlinkat.name), O(tunlinkat.flags) } },
	EMPTY(P9_RUNLINKAT, "Runlinkat"),
};

#undef O
#undef QID_MSG
#undef EMPTY

static const struct p9_layout *layout_of(uint8_t type)
{
	const struct p9_layout *l = &layouts[type];

	return l->name ? l : NULL;
}

const char *p9_msg_name(uint8_t type)
{
	const struct p9_layout *l = layout_of(type);

	return l ? l->name : NULL;
}

int p9_frame_size(const uint8_t *hdr, size_t n, uint32_t msize, uint32_t *size)
{
	uint32_t sz;

	if (n < 4)
		return -EAGAIN;
	sz = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
	     (uint32_t)hdr[3] << 24;
	if (sz < P9_HDRSZ || sz > msize)
		return -EPROTO;
	*size = sz;
	return 0;
}

/*
 * Walk @l's fields over @m. The offsets in the table are trusted (they are ours); only the
 * bytes are not. Returns the first field error.
 */
static int body_get(struct p9_buf *b, const struct p9_layout *l, struct p9_msg *m)
{
	const uint16_t *off = l->off;

	for (const char *c = l->fmt; *c; c++) {
		void *p = (char *)m + *off++;
		void *p2 = p9_fmt_two_ptrs(*c) ? (char *)m + *off++ : NULL;
		int r = p9_field_get(b, *c, p, p2);

		if (r)
			return r;
	}
	return 0;
}

static int body_put(struct p9_buf *b, const struct p9_layout *l, const struct p9_msg *m)
{
	const uint16_t *off = l->off;

	for (const char *c = l->fmt; *c; c++) {
		const void *p = (const char *)m + *off++;
		const void *p2 = p9_fmt_two_ptrs(*c) ? (const char *)m + *off++ : NULL;
		int r = p9_field_put(b, *c, p, p2);

		if (r)
			return r;
	}
	return 0;
}

int p9_decode(const uint8_t *buf, size_t len, uint32_t msize, struct p9_msg *m)
{
	const struct p9_layout *l;
	struct p9_buf b;
	uint32_t size;

	/* The header: size must be exactly the bytes we were given, and within msize. */
	if (len < P9_HDRSZ || p9_frame_size(buf, len, msize, &size) || size != len)
		return -EPROTO;
	memset(m, 0, sizeof(*m));
	m->type = buf[4];
	m->tag = (uint16_t)(buf[5] | buf[6] << 8);
	l = layout_of(m->type);
	if (!l)
		return -EOPNOTSUPP;

	/* The codec never writes through b.data when reading; the cast only fits the struct. */
	p9_buf_init(&b, (uint8_t *)buf, len);
	b.pos = P9_HDRSZ;
	if (body_get(&b, l, m))
		return -EPROTO;
	if (b.pos != b.len) /* trailing garbage */
		return -EPROTO;
	/* Validate readdir payloads once here, so no consumer ever walks a malformed one. */
	if (m->type == P9_RREADDIR && !p9_dirents_valid(m->rreaddir.data, m->rreaddir.count))
		return -EPROTO;
	return 0;
}

int p9_encode(const struct p9_msg *m, uint8_t *buf, size_t cap, size_t *len)
{
	const struct p9_layout *l = layout_of(m->type);
	struct p9_buf b;
	int r;

	if (!l)
		return -EOPNOTSUPP;
	if (m->type == P9_RREADDIR && m->rreaddir.count &&
	    (!m->rreaddir.data || !p9_dirents_valid(m->rreaddir.data, m->rreaddir.count)))
		return -EINVAL;
	p9_buf_init(&b, buf, MIN(cap, (size_t)UINT32_MAX));
	r = p9_put(&b, "dbw", 0U, (unsigned int)m->type, (unsigned int)m->tag);
	if (!r)
		r = body_put(&b, l, m);
	if (r)
		return r;
	/* Now that the length is known, fill in size[4] (it counts itself). */
	buf[0] = (uint8_t)b.pos;
	buf[1] = (uint8_t)(b.pos >> 8);
	buf[2] = (uint8_t)(b.pos >> 16);
	buf[3] = (uint8_t)(b.pos >> 24);
	*len = b.pos;
	return 0;
}

bool p9_msg_equal(const struct p9_msg *a, const struct p9_msg *b)
{
	const struct p9_layout *l;
	const uint16_t *off;

	if (a->type != b->type || a->tag != b->tag)
		return false;
	l = layout_of(a->type);
	if (!l)
		return false;
	off = l->off;
	for (const char *c = l->fmt; *c; c++) {
		uint16_t o = *off++;
		uint16_t o2 = p9_fmt_two_ptrs(*c) ? *off++ : 0;

		if (!p9_field_equal(*c, (const char *)a + o, (const char *)a + o2,
				    (const char *)b + o, (const char *)b + o2))
			return false;
	}
	return true;
}
