// SPDX-License-Identifier: Apache-2.0
/*
 * One sample message per 9P2000.L type for the p9 unit tests: the struct, and the wire bytes the
 * spec says it encodes to (written out independently of the codec's message table).
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "tests/unit/p9/samples.h"

const struct p9_qid QID1 = { P9_QTDIR, 0xdeadbeef, 0x123456789abcdef0ULL };
const struct p9_qid QID2 = { .type = P9_QTFILE, .version = 7, .path = 42 };
const uint8_t HELLO[10] = "hello, 9p";
uint8_t dirents[128];
size_t dirents_len;

void build_dirents(void)
{
	struct p9_buf b;
	struct p9_dirent d1 = { .qid = QID1, .offset = 1, .type = 4, .name = P9_STR(".") };
	struct p9_dirent d2 = { .qid = QID2, .offset = 2, .type = 8, .name = P9_STR("file.txt") };

	p9_buf_init(&b, dirents, sizeof(dirents));
	ck_assert_int_eq(p9_dirent_put(&b, &d1), 0);
	ck_assert_int_eq(p9_dirent_put(&b, &d2), 0);
	dirents_len = b.pos;
	ck_assert_uint_eq(dirents_len, 2 * (13 + 8 + 1 + 2) + 1 + 8);
}

/*
 * Expected bytes come from the 9P2000.L layouts written out again here (Linux
 * net/9p/client.c format strings), independently of the codec's message table.
 */
#define EXPECT(fmt, ...) ck_assert_int_eq(p9_put(&eb, fmt, __VA_ARGS__), 0)

void make_sample(uint8_t type, struct sample *s)
{
	static const struct p9_str user = { "user", 4 }, empty = { "", 0 };
	static const struct p9_str name = { "file.txt", 8 }, tgt = { "../a/b", 6 };
	static const struct p9_str ver = { P9_VERSION_L, 8 }, cid = { "host-1", 6 };
	struct p9_msg *m = &s->m;
	struct p9_buf eb;

	memset(s, 0, sizeof(*s));
	m->type = type;
	m->tag = type == P9_TVERSION || type == P9_RVERSION ? P9_NOTAG : TAG;
	p9_buf_init(&eb, s->bytes, sizeof(s->bytes));
	eb.pos = P9_HDRSZ;

	switch (type) {
	case P9_TVERSION:
	case P9_RVERSION:
		m->tversion.msize = P9_MSIZE_DEFAULT;
		m->tversion.version = ver;
		EXPECT("ds", P9_MSIZE_DEFAULT, &ver);
		break;
	case P9_TAUTH:
		m->tauth = (struct p9_tauth){ FID, user, empty, 1000 };
		EXPECT("dssd", FID, &user, &empty, 1000);
		break;
	case P9_RAUTH: m->rauth.aqid = QID1; EXPECT("Q", &QID1); break;
	case P9_TATTACH:
		m->tattach = (struct p9_tattach){ FID, P9_NOFID, user, name, P9_NONUNAME };
		EXPECT("ddssd", FID, P9_NOFID, &user, &name, P9_NONUNAME);
		break;
	case P9_RATTACH: m->rattach.qid = QID1; EXPECT("Q", &QID1); break;
	case P9_RLERROR: m->rlerror.ecode = ENOENT; EXPECT("d", ENOENT); break;
	case P9_TFLUSH: m->tflush.oldtag = 0x1234; EXPECT("w", 0x1234); break;
	case P9_TWALK:
		m->twalk.fid = FID;
		m->twalk.newfid = FID2;
		m->twalk.nwname = 3;
		m->twalk.wnames[0] = P9_STR("usr");
		m->twalk.wnames[1] = P9_STR("lib");
		m->twalk.wnames[2] = name;
		EXPECT("ddwsss", FID, FID2, 3, &m->twalk.wnames[0], &m->twalk.wnames[1], &name);
		break;
	case P9_TWALKGETATTR:
		m->twalkgetattr.fid = FID;
		m->twalkgetattr.newfid = FID2;
		m->twalkgetattr.nwname = 1;
		m->twalkgetattr.wnames[0] = name;
		EXPECT("ddws", FID, FID2, 1, &name);
		break;
	case P9_RWALKGETATTR: {
		struct p9_stat_dotl *st = &m->rwalkgetattr.st;

		m->rwalkgetattr.nwqid = 1;
		m->rwalkgetattr.wqids[0] = QID2;
		st->valid = P9_GETATTR_BASIC;
		st->qid = QID2;
		st->mode = 0100644, st->uid = 7, st->gid = 8;
		st->size = OFF64;
		EXPECT("wQqQddd", 1, &QID2, (uint64_t)P9_GETATTR_BASIC, &QID2, 0100644, 7, 8);
		EXPECT("qqq", (uint64_t)0, (uint64_t)0, OFF64);
		for (int i = 0; i < 12; i++)
			EXPECT("q", (uint64_t)0);
		break;
	}
	case P9_RWALK:
		m->rwalk.nwqid = 2;
		m->rwalk.wqids[0] = QID1;
		m->rwalk.wqids[1] = QID2;
		EXPECT("wQQ", 2, &QID1, &QID2);
		break;
	case P9_TREAD:
	case P9_TREADDIR:
		m->tread = (struct p9_tread){ FID, OFF64, 8192 };
		EXPECT("dqd", FID, OFF64, 8192);
		break;
	case P9_RREAD:
		m->rread = (struct p9_rread){ sizeof(HELLO) - 1, HELLO };
		EXPECT("d", (unsigned)sizeof(HELLO) - 1);
		memcpy(s->bytes + eb.pos, HELLO, sizeof(HELLO) - 1);
		eb.pos += sizeof(HELLO) - 1;
		break;
	case P9_TWRITE:
		m->twrite = (struct p9_twrite){ FID, OFF64, sizeof(HELLO) - 1, HELLO };
		EXPECT("dqd", FID, OFF64, (unsigned)sizeof(HELLO) - 1);
		memcpy(s->bytes + eb.pos, HELLO, sizeof(HELLO) - 1);
		eb.pos += sizeof(HELLO) - 1;
		break;
	case P9_RWRITE: m->rwrite.count = 4096; EXPECT("d", 4096); break;
	case P9_TCLUNK:
	case P9_TREMOVE:
	case P9_TSTATFS:
	case P9_TREADLINK:
		m->tclunk.fid = FID;
		EXPECT("d", FID);
		break;
	case P9_RSTATFS:
		m->rstatfs = (struct p9_rstatfs){ 0x01021994, 4096, 1, 2, 3, 4, 5, BIG64, 255 };
		EXPECT("ddqqqqqqd", 0x01021994, 4096, (uint64_t)1, (uint64_t)2, (uint64_t)3,
		       (uint64_t)4, (uint64_t)5, BIG64, 255);
		break;
	case P9_TLOPEN:
		m->tlopen = (struct p9_tlopen){ FID, 0x8002 };
		EXPECT("dd", FID, 0x8002);
		break;
	case P9_RLOPEN:
	case P9_RLCREATE:
		m->rlopen = (struct p9_rlopen){ QID2, 65512 };
		EXPECT("Qd", &QID2, 65512);
		break;
	case P9_TLCREATE:
		m->tlcreate = (struct p9_tlcreate){ FID, name, 0x42, 0644, 100 };
		EXPECT("dsddd", FID, &name, 0x42, 0644, 100);
		break;
	case P9_TSYMLINK:
		m->tsymlink = (struct p9_tsymlink){ FID, name, tgt, 100 };
		EXPECT("dssd", FID, &name, &tgt, 100);
		break;
	case P9_RSYMLINK:
	case P9_RMKNOD:
	case P9_RMKDIR:
		m->rsymlink.qid = QID2;
		EXPECT("Q", &QID2);
		break;
	case P9_TMKNOD:
		m->tmknod = (struct p9_tmknod){ FID, name, 020644, 8, 1, 100 };
		EXPECT("dsdddd", FID, &name, 020644, 8, 1, 100);
		break;
	case P9_TRENAME:
		m->trename = (struct p9_trename){ FID, FID2, name };
		EXPECT("dds", FID, FID2, &name);
		break;
	case P9_RREADLINK: m->rreadlink.target = tgt; EXPECT("s", &tgt); break;
	case P9_TGETATTR:
		m->tgetattr = (struct p9_tgetattr){ FID, P9_GETATTR_ALL };
		EXPECT("dq", FID, (uint64_t)P9_GETATTR_ALL);
		break;
	case P9_RGETATTR: {
		struct p9_stat_dotl *st = &m->rgetattr.st;
		uint64_t *const q[15] = {
			&st->nlink, &st->rdev, &st->size, &st->blksize, &st->blocks,
			&st->atime_sec, &st->atime_nsec, &st->mtime_sec, &st->mtime_nsec,
			&st->ctime_sec, &st->ctime_nsec, &st->btime_sec, &st->btime_nsec,
			&st->gen, &st->data_version,
		};

		st->valid = P9_GETATTR_BASIC;
		st->qid = QID1;
		st->mode = 040755, st->uid = 1000, st->gid = 1001;
		for (int i = 0; i < 15; i++)
			*q[i] = OFF64 + (uint64_t)i * 0x1111;
		EXPECT("qQddd", (uint64_t)P9_GETATTR_BASIC, &QID1, 040755, 1000, 1001);
		for (int i = 0; i < 15; i++)
			EXPECT("q", OFF64 + (uint64_t)i * 0x1111);
		break;
	}
	case P9_TSETATTR: {
		struct p9_iattr *a = &m->tsetattr.attr;

		m->tsetattr.fid = FID;
		*a = (struct p9_iattr){ P9_SETATTR_MODE | P9_SETATTR_SIZE, 0600, 1, 2, BIG64,
					10, 11, 12, 13 };
		EXPECT("dddddqqqqq", FID, P9_SETATTR_MODE | P9_SETATTR_SIZE, 0600, 1, 2, BIG64,
		       (uint64_t)10, (uint64_t)11, (uint64_t)12, (uint64_t)13);
		break;
	}
	case P9_TXATTRWALK:
		m->txattrwalk = (struct p9_txattrwalk){ FID, FID2, P9_STR("user.foo") };
		EXPECT("dds", FID, FID2, &m->txattrwalk.name);
		break;
	case P9_RXATTRWALK: m->rxattrwalk.size = BIG64; EXPECT("q", BIG64); break;
	case P9_TXATTRCREATE:
		m->txattrcreate = (struct p9_txattrcreate){ FID, P9_STR("user.foo"), 77, 1 };
		EXPECT("dsqd", FID, &m->txattrcreate.name, (uint64_t)77, 1);
		break;
	case P9_RREADDIR:
		m->rreaddir = (struct p9_rreaddir){ (uint32_t)dirents_len, dirents };
		EXPECT("d", (unsigned)dirents_len);
		memcpy(s->bytes + eb.pos, dirents, dirents_len);
		eb.pos += dirents_len;
		break;
	case P9_TFSYNC: m->tfsync = (struct p9_tfsync){ FID, 1 }; EXPECT("dd", FID, 1); break;
	case P9_TLOCK:
		m->tlock = (struct p9_tlock){ FID, P9_LOCK_TYPE_WRLCK, P9_LOCK_FLAGS_BLOCK, OFF64,
					      BIG64, 4242, cid };
		EXPECT("dbdqqds", FID, P9_LOCK_TYPE_WRLCK, P9_LOCK_FLAGS_BLOCK, OFF64, BIG64, 4242,
		       &cid);
		break;
	case P9_RLOCK: m->rlock.status = P9_LOCK_BLOCKED; EXPECT("b", P9_LOCK_BLOCKED); break;
	case P9_TGETLOCK:
		m->tgetlock =
			(struct p9_tgetlock){ FID, P9_LOCK_TYPE_RDLCK, OFF64, BIG64, 4242, cid };
		EXPECT("dbqqds", FID, P9_LOCK_TYPE_RDLCK, OFF64, BIG64, 4242, &cid);
		break;
	case P9_RGETLOCK:
		m->rgetlock = (struct p9_rgetlock){ P9_LOCK_TYPE_UNLCK, OFF64, BIG64, 4242, cid };
		EXPECT("bqqds", P9_LOCK_TYPE_UNLCK, OFF64, BIG64, 4242, &cid);
		break;
	case P9_TLINK:
		m->tlink = (struct p9_tlink){ FID, FID2, name };
		EXPECT("dds", FID, FID2, &name);
		break;
	case P9_TMKDIR:
		m->tmkdir = (struct p9_tmkdir){ FID, name, 0755, 100 };
		EXPECT("dsdd", FID, &name, 0755, 100);
		break;
	case P9_TRENAMEAT:
		m->trenameat = (struct p9_trenameat){ FID, name, FID2, P9_STR("new") };
		EXPECT("dsds", FID, &name, FID2, &m->trenameat.newname);
		break;
	case P9_TUNLINKAT:
		m->tunlinkat = (struct p9_tunlinkat){ FID, name, 0x200 };
		EXPECT("dsd", FID, &name, 0x200);
		break;
	default: /* the empty-bodied replies */
		break;
	}
	s->len = eb.pos;
	s->bytes[0] = (uint8_t)s->len;
	s->bytes[1] = (uint8_t)(s->len >> 8);
	s->bytes[2] = s->bytes[3] = 0;
	s->bytes[4] = type;
	s->bytes[5] = (uint8_t)m->tag;
	s->bytes[6] = (uint8_t)(m->tag >> 8);
}

const uint8_t all_types[NTYPES] = {
	P9_RLERROR, P9_TSTATFS, P9_RSTATFS, P9_TLOPEN, P9_RLOPEN, P9_TLCREATE, P9_RLCREATE,
	P9_TSYMLINK, P9_RSYMLINK, P9_TMKNOD, P9_RMKNOD, P9_TRENAME, P9_RRENAME, P9_TREADLINK,
	P9_RREADLINK, P9_TGETATTR, P9_RGETATTR, P9_TSETATTR, P9_RSETATTR, P9_TXATTRWALK,
	P9_RXATTRWALK, P9_TXATTRCREATE, P9_RXATTRCREATE, P9_TREADDIR, P9_RREADDIR, P9_TFSYNC,
	P9_RFSYNC, P9_TLOCK, P9_RLOCK, P9_TGETLOCK, P9_RGETLOCK, P9_TLINK, P9_RLINK, P9_TMKDIR,
	P9_RMKDIR, P9_TRENAMEAT, P9_RRENAMEAT, P9_TUNLINKAT, P9_RUNLINKAT, P9_TVERSION,
	P9_RVERSION, P9_TAUTH, P9_RAUTH, P9_TATTACH, P9_RATTACH, P9_TFLUSH, P9_RFLUSH,
	P9_TWALK, P9_RWALK, P9_TREAD, P9_RREAD, P9_TWRITE, P9_RWRITE, P9_TCLUNK, P9_RCLUNK,
	P9_TREMOVE, P9_RREMOVE, P9_TWALKGETATTR, P9_RWALKGETATTR,
};
