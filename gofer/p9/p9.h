/* SPDX-License-Identifier: Apache-2.0 */
/*
 * 9P2000.L wire codec shared by the gofer (server) and the Sentry (client): message types,
 * typed message structs, bounds-checked encode/decode, and readdir payload helpers.
 */
#ifndef SBX_GOFER_P9_P9_H
#define SBX_GOFER_P9_P9_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Locking: none. Every function here is pure (it touches only its arguments), so callers may
 * use the codec from any thread. See gofer/p9/README.md for the rules and lifetimes.
 *
 * Wire format: little-endian; every message is size[4] type[1] tag[2] body, where size counts
 * the whole message including itself. Strings are len[2] bytes (no NUL); a qid is
 * type[1] version[4] path[8].
 */

/**
 * enum p9_type - 9P2000.L message types (T = request, R = reply, R = T + 1).
 *
 * P9_TLERROR and the 9P2000 types Terror/Rerror, Topen, Tcreate, Tstat, Twstat are not part of
 * 9P2000.L: the codec treats them as unknown (-EOPNOTSUPP), as it does every unlisted number.
 */
enum p9_type {
	P9_TLERROR = 6, /* never sent: there is no request for Rlerror */
	P9_RLERROR = 7,
	P9_TSTATFS = 8,
	P9_RSTATFS = 9,
	P9_TLOPEN = 12,
	P9_RLOPEN = 13,
	P9_TLCREATE = 14,
	P9_RLCREATE = 15,
	P9_TSYMLINK = 16,
	P9_RSYMLINK = 17,
	P9_TMKNOD = 18,
	P9_RMKNOD = 19,
	P9_TRENAME = 20,
	P9_RRENAME = 21,
	P9_TREADLINK = 22,
	P9_RREADLINK = 23,
	P9_TGETATTR = 24,
	P9_RGETATTR = 25,
	P9_TSETATTR = 26,
	P9_RSETATTR = 27,
	P9_TXATTRWALK = 30,
	P9_RXATTRWALK = 31,
	P9_TXATTRCREATE = 32,
	P9_RXATTRCREATE = 33,
	P9_TREADDIR = 40,
	P9_RREADDIR = 41,
	P9_TFSYNC = 50,
	P9_RFSYNC = 51,
	P9_TLOCK = 52,
	P9_RLOCK = 53,
	P9_TGETLOCK = 54,
	P9_RGETLOCK = 55,
	P9_TLINK = 70,
	P9_RLINK = 71,
	P9_TMKDIR = 72,
	P9_RMKDIR = 73,
	P9_TRENAMEAT = 74,
	P9_RRENAMEAT = 75,
	P9_TUNLINKAT = 76,
	P9_RUNLINKAT = 77,
	P9_TVERSION = 100,
	P9_RVERSION = 101,
	P9_TAUTH = 102,
	P9_RAUTH = 103,
	P9_TATTACH = 104,
	P9_RATTACH = 105,
	P9_TFLUSH = 108,
	P9_RFLUSH = 109,
	P9_TWALK = 110,
	P9_RWALK = 111,
	P9_TREAD = 116,
	P9_RREAD = 117,
	P9_TWRITE = 118,
	P9_RWRITE = 119,
	P9_TCLUNK = 120,
	P9_RCLUNK = 121,
	P9_TREMOVE = 122,
	P9_RREMOVE = 123,
	/* Extensions of this project (not 9P2000.L): a walk whose reply has the attributes. */
	P9_TWALKGETATTR = 200,
	P9_RWALKGETATTR = 201,
	P9_TMAX = 256, /* size of a table indexed by type (the gofer's handler table) */
};

/* Magic numbers. */
#define P9_NOTAG 0xffffU		/* tag of Tversion */
#define P9_NOFID 0xffffffffU		/* "no fid", e.g. afid of Tattach without auth */
#define P9_NONUNAME 0xffffffffU		/* n_uname of Tattach/Tauth when uname is used */
#define P9_MAXWELEM 16			/* most names in one Twalk, qids in one Rwalk */
#define P9_HDRSZ 7			/* size[4] type[1] tag[2] */
#define P9_IOHDRSZ 24			/* Twrite/Rread header room: iounit = msize - this */
#define P9_READDIRHDRSZ 24		/* room for the Rreaddir header */
#define P9_RREAD_DATA_OFF 11		/* Rread data starts at buf + 11: header + count[4] */
#define P9_MSIZE_DEFAULT (1U << 20)	/* DESIGN.md §8: 1 MiB */
#define P9_MSIZE_MIN 4096U		/* smallest msize a server should accept in Tversion */
#define P9_VERSION_L "9P2000.L"

/*
 * Host fd donation, a sandbox extension of Tlopen/Tlcreate (DESIGN.md §8; p9/README.md).
 * A request whose flags carry P9_OPEN_DONATE_FD asks the server to attach the host fd it
 * opened for the fid to the reply, as one SCM_RIGHTS fd in the ancillary data of the reply's
 * bytes; the wire bytes do not change. The server may decline (no fd: the client goes on
 * with Tread/Twrite). Bit 31 is no Linux O_* flag, and servers that do not know the
 * extension mask it away, so asking is always safe. An fd on any other reply, or more than
 * one, is a protocol error (the client closes them and drops the connection).
 */
#define P9_OPEN_DONATE_FD 0x80000000U

/* Qid types (p9_qid.type). */
#define P9_QTDIR 0x80
#define P9_QTAPPEND 0x40
#define P9_QTEXCL 0x20
#define P9_QTMOUNT 0x10
#define P9_QTAUTH 0x08
#define P9_QTTMP 0x04
#define P9_QTSYMLINK 0x02
#define P9_QTLINK 0x01
#define P9_QTFILE 0x00

/* Tgetattr request_mask / Rgetattr valid bits. */
#define P9_GETATTR_MODE 0x00000001ULL
#define P9_GETATTR_NLINK 0x00000002ULL
#define P9_GETATTR_UID 0x00000004ULL
#define P9_GETATTR_GID 0x00000008ULL
#define P9_GETATTR_RDEV 0x00000010ULL
#define P9_GETATTR_ATIME 0x00000020ULL
#define P9_GETATTR_MTIME 0x00000040ULL
#define P9_GETATTR_CTIME 0x00000080ULL
#define P9_GETATTR_INO 0x00000100ULL
#define P9_GETATTR_SIZE 0x00000200ULL
#define P9_GETATTR_BLOCKS 0x00000400ULL
#define P9_GETATTR_BTIME 0x00000800ULL
#define P9_GETATTR_GEN 0x00001000ULL
#define P9_GETATTR_DATA_VERSION 0x00002000ULL
#define P9_GETATTR_BASIC 0x000007ffULL /* MODE .. BLOCKS: what stat(2) needs */
#define P9_GETATTR_ALL 0x00003fffULL

/* Tsetattr valid bits (Linux's ATTR_* values). */
#define P9_SETATTR_MODE 0x00000001U
#define P9_SETATTR_UID 0x00000002U
#define P9_SETATTR_GID 0x00000004U
#define P9_SETATTR_SIZE 0x00000008U
#define P9_SETATTR_ATIME 0x00000010U
#define P9_SETATTR_MTIME 0x00000020U
#define P9_SETATTR_CTIME 0x00000040U
#define P9_SETATTR_ATIME_SET 0x00000080U /* use atime_sec/nsec, not "now" */
#define P9_SETATTR_MTIME_SET 0x00000100U /* use mtime_sec/nsec, not "now" */

/* Tlock/Tgetlock type, Tlock flags, Rlock status. */
#define P9_LOCK_TYPE_RDLCK 0
#define P9_LOCK_TYPE_WRLCK 1
#define P9_LOCK_TYPE_UNLCK 2
#define P9_LOCK_FLAGS_BLOCK 1
#define P9_LOCK_FLAGS_RECLAIM 2
#define P9_LOCK_SUCCESS 0
#define P9_LOCK_BLOCKED 1
#define P9_LOCK_ERROR 2
#define P9_LOCK_GRACE 3

/**
 * struct p9_str - a length-counted string view (no NUL terminator on the wire or here).
 * @str: first byte; after p9_decode() it points into the decoded buffer.
 * @len: length in bytes; at most 65535 on the wire (encode rejects longer).
 *
 * Lifetime: a decoded view is valid only while the buffer passed to p9_decode() is alive and
 * unchanged. Use p9_str_copy() to keep a name or to get a NUL-terminated copy for a syscall.
 * Decoded strings never contain a NUL byte.
 */
struct p9_str {
	const char *str;
	size_t len;
};

/**
 * struct p9_qid - server's identity of a file: @type (P9_QT*), @version, @path (inode-like).
 */
struct p9_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

/**
 * struct p9_stat_dotl - Rgetattr body; @valid says which fields the server filled
 * (P9_GETATTR_* bits). Times are seconds and nanoseconds since the epoch.
 */
struct p9_stat_dotl {
	uint64_t valid;
	struct p9_qid qid;
	uint32_t mode, uid, gid;
	uint64_t nlink, rdev, size, blksize, blocks;
	uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec;
	uint64_t ctime_sec, ctime_nsec, btime_sec, btime_nsec;
	uint64_t gen, data_version;
};

/**
 * struct p9_iattr - Tsetattr body; @valid is a mask of P9_SETATTR_* bits naming the fields
 * to apply.
 */
struct p9_iattr {
	uint32_t valid, mode, uid, gid;
	uint64_t size;
	uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec;
};

/**
 * struct p9_dirent - one entry of an Rreaddir payload: qid[13] offset[8] type[1] name[s].
 * @offset is the cookie for the next Treaddir; @type is a DT_* value.
 */
struct p9_dirent {
	struct p9_qid qid;
	uint64_t offset;
	uint8_t type;
	struct p9_str name;
};

/*
 * One struct per message body. Replies with an empty body (Rflush, Rclunk, Rremove, Rrename,
 * Rsetattr, Rxattrcreate, Rfsync, Rlink, Rrenameat, Runlinkat) have no struct. Data fields
 * (Twrite, Rread, Rreaddir) are views: @data points at @count bytes, into the decoded buffer
 * after p9_decode() (same lifetime as strings).
 */
struct p9_tversion { uint32_t msize; struct p9_str version; };
struct p9_rversion { uint32_t msize; struct p9_str version; };
struct p9_tauth { uint32_t afid; struct p9_str uname, aname; uint32_t n_uname; };
struct p9_rauth { struct p9_qid aqid; };
struct p9_tattach { uint32_t fid, afid; struct p9_str uname, aname; uint32_t n_uname; };
struct p9_rattach { struct p9_qid qid; };
struct p9_rlerror { uint32_t ecode; };			/* a positive Linux errno */
struct p9_tflush { uint16_t oldtag; };
struct p9_twalk {
	uint32_t fid, newfid;
	uint16_t nwname;				/* 0..P9_MAXWELEM */
	struct p9_str wnames[P9_MAXWELEM];
};
struct p9_rwalk {
	uint16_t nwqid;					/* 0..P9_MAXWELEM */
	struct p9_qid wqids[P9_MAXWELEM];
};
/* Rwalkgetattr: Rwalk's fields first (the gofer fills them as an Rwalk), then the stat. */
struct p9_rwalkgetattr {
	uint16_t nwqid;
	struct p9_qid wqids[P9_MAXWELEM];
	struct p9_stat_dotl st;
};
struct p9_tread { uint32_t fid; uint64_t offset; uint32_t count; };
struct p9_rread { uint32_t count; const uint8_t *data; };
struct p9_twrite { uint32_t fid; uint64_t offset; uint32_t count; const uint8_t *data; };
struct p9_rwrite { uint32_t count; };
struct p9_tclunk { uint32_t fid; };
struct p9_tremove { uint32_t fid; };
struct p9_tstatfs { uint32_t fid; };
struct p9_rstatfs {
	uint32_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree, fsid;
	uint32_t namelen;
};
struct p9_tlopen { uint32_t fid, flags; };		/* flags: Linux O_* */
struct p9_rlopen { struct p9_qid qid; uint32_t iounit; };
struct p9_tlcreate { uint32_t fid; struct p9_str name; uint32_t flags, mode, gid; };
struct p9_rlcreate { struct p9_qid qid; uint32_t iounit; };
struct p9_tsymlink { uint32_t fid; struct p9_str name, symtgt; uint32_t gid; };
struct p9_rsymlink { struct p9_qid qid; };
struct p9_tmknod { uint32_t dfid; struct p9_str name; uint32_t mode, major, minor, gid; };
struct p9_rmknod { struct p9_qid qid; };
struct p9_trename { uint32_t fid, dfid; struct p9_str name; };
struct p9_treadlink { uint32_t fid; };
struct p9_rreadlink { struct p9_str target; };
struct p9_tgetattr { uint32_t fid; uint64_t request_mask; };
struct p9_rgetattr { struct p9_stat_dotl st; };
struct p9_tsetattr { uint32_t fid; struct p9_iattr attr; };
struct p9_txattrwalk { uint32_t fid, newfid; struct p9_str name; };
struct p9_rxattrwalk { uint64_t size; };
struct p9_txattrcreate { uint32_t fid; struct p9_str name; uint64_t attr_size; uint32_t flags; };
/* Txattrcreate flags: XATTR_CREATE (1), XATTR_REPLACE (2), and ours: remove the attribute
 * at Tclunk (9P2000.L cannot tell removing from setting an empty value). */
#define P9_XATTR_REMOVE 0x80000000u
struct p9_treaddir { uint32_t fid; uint64_t offset; uint32_t count; };
struct p9_rreaddir { uint32_t count; const uint8_t *data; };	/* p9_dirent_next() walks it */
struct p9_tfsync { uint32_t fid, datasync; };
struct p9_tlock {
	uint32_t fid;
	uint8_t type;					/* P9_LOCK_TYPE_* */
	uint32_t flags;					/* P9_LOCK_FLAGS_* */
	uint64_t start, length;
	uint32_t proc_id;
	struct p9_str client_id;
};
struct p9_rlock { uint8_t status; };			/* P9_LOCK_SUCCESS .. GRACE */
struct p9_tgetlock {
	uint32_t fid;
	uint8_t type;
	uint64_t start, length;
	uint32_t proc_id;
	struct p9_str client_id;
};
struct p9_rgetlock {
	uint8_t type;
	uint64_t start, length;
	uint32_t proc_id;
	struct p9_str client_id;
};
struct p9_tlink { uint32_t dfid, fid; struct p9_str name; };
struct p9_tmkdir { uint32_t dfid; struct p9_str name; uint32_t mode, gid; };
struct p9_rmkdir { struct p9_qid qid; };
struct p9_trenameat { uint32_t olddirfid; struct p9_str oldname; uint32_t newdirfid;
		      struct p9_str newname; };
struct p9_tunlinkat { uint32_t dirfid; struct p9_str name; uint32_t flags; }; /* AT_REMOVEDIR */

/**
 * struct p9_msg - one decoded (or to-be-encoded) message.
 * @type: an enum p9_type value; selects the union member named after it (P9_TWALK -> twalk).
 * @tag: request tag; P9_NOTAG for Tversion/Rversion.
 */
struct p9_msg {
	uint8_t type;
	uint16_t tag;
	union {
		struct p9_tversion tversion;
		struct p9_rversion rversion;
		struct p9_tauth tauth;
		struct p9_rauth rauth;
		struct p9_tattach tattach;
		struct p9_rattach rattach;
		struct p9_rlerror rlerror;
		struct p9_tflush tflush;
		struct p9_twalk twalk;
		struct p9_rwalk rwalk;
		struct p9_twalk twalkgetattr;
		struct p9_rwalkgetattr rwalkgetattr;
		struct p9_tread tread;
		struct p9_rread rread;
		struct p9_twrite twrite;
		struct p9_rwrite rwrite;
		struct p9_tclunk tclunk;
		struct p9_tremove tremove;
		struct p9_tstatfs tstatfs;
		struct p9_rstatfs rstatfs;
		struct p9_tlopen tlopen;
		struct p9_rlopen rlopen;
		struct p9_tlcreate tlcreate;
		struct p9_rlcreate rlcreate;
		struct p9_tsymlink tsymlink;
		struct p9_rsymlink rsymlink;
		struct p9_tmknod tmknod;
		struct p9_rmknod rmknod;
		struct p9_trename trename;
		struct p9_treadlink treadlink;
		struct p9_rreadlink rreadlink;
		struct p9_tgetattr tgetattr;
		struct p9_rgetattr rgetattr;
		struct p9_tsetattr tsetattr;
		struct p9_txattrwalk txattrwalk;
		struct p9_rxattrwalk rxattrwalk;
		struct p9_txattrcreate txattrcreate;
		struct p9_treaddir treaddir;
		struct p9_rreaddir rreaddir;
		struct p9_tfsync tfsync;
		struct p9_tlock tlock;
		struct p9_rlock rlock;
		struct p9_tgetlock tgetlock;
		struct p9_rgetlock rgetlock;
		struct p9_tlink tlink;
		struct p9_tmkdir tmkdir;
		struct p9_rmkdir rmkdir;
		struct p9_trenameat trenameat;
		struct p9_tunlinkat tunlinkat;
	};
};

/**
 * struct p9_buf - a cursor over a byte buffer for the low-level readers and writers.
 * @data: the bytes (read-only when decoding; the codec never writes through a decode buffer).
 * @len: bytes available: the message length when reading, the capacity when writing.
 * @pos: next byte to read or write.
 * @overflow: sticky: set by the first read or write that did not fit or was malformed; every
 *            later call on the buffer then fails without touching it.
 */
struct p9_buf {
	uint8_t *data;
	size_t len, pos;
	bool overflow;
};

/* p9_buf_init - point @b at @len bytes of @data, position 0, no overflow. */
void p9_buf_init(struct p9_buf *b, void *data, size_t len);

/*
 * Low-level readers: fill *out and advance, or return -EPROTO (and set b->overflow) if the
 * field does not fit in what is left. p9_get_str() also rejects a NUL byte inside the string;
 * p9_get_data() reads count[4] then a view of count bytes.
 */
int p9_get_u8(struct p9_buf *b, uint8_t *out);
int p9_get_u16(struct p9_buf *b, uint16_t *out);
int p9_get_u32(struct p9_buf *b, uint32_t *out);
int p9_get_u64(struct p9_buf *b, uint64_t *out);
int p9_get_str(struct p9_buf *b, struct p9_str *out);
int p9_get_qid(struct p9_buf *b, struct p9_qid *out);
int p9_get_data(struct p9_buf *b, uint32_t *count, const uint8_t **data);

/*
 * Low-level writers: append and advance, or return -EMSGSIZE (and set b->overflow) if the
 * field does not fit in the capacity. p9_put_str() returns -EINVAL for a string longer than
 * 65535 bytes or containing NUL (without setting overflow). p9_put_data() writes count[4]
 * then the bytes; it skips the copy when @data already sits at the destination.
 */
int p9_put_u8(struct p9_buf *b, uint8_t v);
int p9_put_u16(struct p9_buf *b, uint16_t v);
int p9_put_u32(struct p9_buf *b, uint32_t v);
int p9_put_u64(struct p9_buf *b, uint64_t v);
int p9_put_str(struct p9_buf *b, const struct p9_str *s);
int p9_put_qid(struct p9_buf *b, const struct p9_qid *q);
int p9_put_data(struct p9_buf *b, uint32_t count, const void *data);

/**
 * p9_get - read fields by format, like Linux's p9pdu_readf().
 * @b: buffer cursor.
 * @fmt: one letter per field: b u8, w u16, d u32, q u64, s string, Q qid, A stat_dotl,
 *       I iattr, D count[4]+data, T nwname[2]+names, R nwqid[2]+qids.
 * @...: one pointer per letter (uint8_t *, uint16_t *, uint32_t *, uint64_t *,
 *       struct p9_str *, struct p9_qid *, struct p9_stat_dotl *, struct p9_iattr *) except
 *       D (uint32_t *count, const uint8_t **data), T (uint16_t *n, struct p9_str[P9_MAXWELEM])
 *       and R (uint16_t *n, struct p9_qid[P9_MAXWELEM]).
 *
 * Return: 0; -EPROTO on a short field, a NUL in a string, or T/R with more than P9_MAXWELEM
 * entries; -EINVAL on an unknown format letter (a programming error).
 */
int p9_get(struct p9_buf *b, const char *fmt, ...);

/**
 * p9_put - write fields by format, like Linux's p9pdu_writef(); same letters as p9_get().
 * @...: values for b, w, d (unsigned int) and q (uint64_t); pointers for s, Q, A, I
 *       (const struct ...*); D takes (uint32_t count, const void *data), T (unsigned n,
 *       const struct p9_str *names), R (unsigned n, const struct p9_qid *qids).
 *
 * Return: 0; -EMSGSIZE when the buffer is full; -EINVAL on an unencodable value (string too
 * long or with NUL, T/R over P9_MAXWELEM, NULL data with a non-zero count, bad letter).
 */
int p9_put(struct p9_buf *b, const char *fmt, ...);

/**
 * p9_frame_size - validate a message header before reading the rest of it.
 * @hdr: the first @n bytes received.
 * @n: how many bytes of @hdr are valid.
 * @msize: the negotiated msize (before Tversion: the server's maximum).
 * @size: on success, the whole message size (including the 4 size bytes).
 *
 * Return: 0; -EAGAIN when fewer than 4 bytes are available; -EPROTO when the size field is
 * below P9_HDRSZ or above @msize (the caller must drop the connection).
 */
int p9_frame_size(const uint8_t *hdr, size_t n, uint32_t msize, uint32_t *size);

/**
 * p9_decode - parse one complete message.
 * @buf: the message bytes, starting at size[4].
 * @len: exactly the message length.
 * @msize: the negotiated msize; the message must not be larger.
 * @m: filled on success. String and data fields are views into @buf (see struct p9_str).
 *
 * Every field is bounds-checked against @len: there is no way for a message to make the codec
 * read outside @buf. Replies are checked as strictly as requests, so the Sentry can decode
 * what an untrusted gofer sends.
 *
 * Return: 0; -EPROTO when the size field differs from @len, is below 7 or above @msize, a field
 * is truncated, a string runs past the end or contains NUL, nwname/nwqid exceed P9_MAXWELEM,
 * a count exceeds the bytes left, an Rreaddir payload is not a clean run of dirents, or bytes
 * trail the last field; -EOPNOTSUPP when the header is sound but the type is not 9P2000.L
 * (m->type and m->tag are then set, so a server can answer Rlerror with the right tag).
 */
int p9_decode(const uint8_t *buf, size_t len, uint32_t msize, struct p9_msg *m);

/**
 * p9_encode - serialize @m into @buf.
 * @m: the message; its strings and data are copied (data is not copied when it already lies
 *     at its final place in @buf, e.g. read(2) into buf + P9_RREAD_DATA_OFF for Rread).
 * @buf: output.
 * @cap: capacity of @buf; pass the negotiated msize to honour it.
 * @len: set to the message size on success.
 *
 * Return: 0; -EMSGSIZE if the message does not fit in @cap; -EOPNOTSUPP for an unknown type;
 * -EINVAL for a value the wire cannot carry or that p9_decode() would reject (string over
 * 65535 bytes or with NUL, nwname/nwqid over P9_MAXWELEM, NULL data with non-zero count,
 * malformed Rreaddir payload). A message p9_encode() accepts always p9_decode()s back.
 * On error the contents of @buf are unspecified (a prefix may have been written).
 */
int p9_encode(const struct p9_msg *m, uint8_t *buf, size_t cap, size_t *len);

/**
 * p9_msg_equal - compare two messages field by field (strings and data by content).
 * Return: true when @a and @b would encode to the same bytes.
 */
bool p9_msg_equal(const struct p9_msg *a, const struct p9_msg *b);

/* p9_msg_name - "Twalk", "Rlerror", ... or NULL when @type is not a 9P2000.L message. */
const char *p9_msg_name(uint8_t type);

/**
 * p9_rlerror - turn @m into an Rlerror reply for @tag.
 * @err: a negative (or positive) errno; 0 and values beyond 4095 become EIO so that an
 *       error reply never reads as success.
 */
void p9_rlerror(struct p9_msg *m, uint16_t tag, int err);

/**
 * p9_rlerror_errno - the negative errno a client should return for an Rlerror @ecode.
 * Return: -@ecode when 1 <= @ecode <= 4095, else -EIO (a hostile gofer cannot forge success
 * or an out-of-range value).
 */
int p9_rlerror_errno(uint32_t ecode);

/**
 * p9_dirent_put - append one dirent to an Rreaddir payload being built in @b.
 * Return: 0; -EMSGSIZE if it does not fit (then @b is unchanged and not marked overflowed,
 * so the caller can stop and send what it has); -EINVAL for a bad name (NUL or too long).
 */
int p9_dirent_put(struct p9_buf *b, const struct p9_dirent *d);

/**
 * p9_dirent_next - read the next dirent of an Rreaddir payload.
 * @b: cursor over the payload (p9_buf_init(b, m->rreaddir.data, m->rreaddir.count)).
 * @d: filled on success; d->name is a view into the payload.
 * Return: 1 when an entry was read, 0 at the clean end of the payload, -EPROTO if the payload
 * is truncated or an entry name contains NUL. Names may be "." and ".."; the caller decides.
 */
int p9_dirent_next(struct p9_buf *b, struct p9_dirent *d);

/**
 * p9_name_valid - true when @s can name one directory entry in a walk/create/mkdir/link/
 * rename/unlink request: non-empty, not "." or "..", no '/' and no NUL. The gofer calls it on
 * every name before using it with openat() and friends; the codec itself does not.
 */
bool p9_name_valid(const struct p9_str *s);

/**
 * p9_str_copy - copy @s into @dst as a NUL-terminated C string.
 * Return: 0, or -ENAMETOOLONG when @s->len + 1 > @cap (then @dst is the empty string if
 * @cap > 0).
 */
int p9_str_copy(const struct p9_str *s, char *dst, size_t cap);

/* p9_str_eq - true when @s holds exactly the C string @cstr. */
bool p9_str_eq(const struct p9_str *s, const char *cstr);

/**
 * p9_reply_may_carry_fd - may the reply to request @req carry a donated fd?
 * Return: true only for Tlopen/Tlcreate with P9_OPEN_DONATE_FD in their flags; the reply
 * must then also be Rlopen/Rlcreate (p9_reply_fd_ok()).
 */
bool p9_reply_may_carry_fd(const struct p9_msg *req);

/* p9_reply_fd_ok - may reply @rep to request @req come with one donated fd? */
bool p9_reply_fd_ok(const struct p9_msg *req, const struct p9_msg *rep);

/* P9_STR - a p9_str view of the C string @s (evaluates @s twice). */
#define P9_STR(s) ((struct p9_str){ .str = (s), .len = __builtin_strlen(s) })

#endif
