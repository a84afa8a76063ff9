// SPDX-License-Identifier: Apache-2.0
/*
 * System V IPC: message queues, semaphore sets and shared memory, one IPC namespace per
 * sandbox (Linux's ipc/msg.c, ipc/sem.c, ipc/shm.c as programs see them). A shared memory
 * segment is an unlinked tmpfs file (a memfd) mapped MAP_SHARED; the mapping object handed
 * to the mm wraps the file's, so each VMA that holds it counts as one attach (nattch), and a
 * removed segment goes when the last VMA does. Unlike Linux, a removed segment's id is gone
 * at once (Linux lets shmat reach an IPC_RMID'd segment until its last detach).
 *
 * Ids are (slot + seq * IPC_SEQ_MUL): a removed id is never valid again. All state is
 * under one mutex (sysv->mu); a blocked msgsnd/msgrcv/semop sleeps on its object's wait
 * queue, so the mutex is never held across a sleep. Lock order: sysv->mu > waitq > waiter.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>

#include "fs/vfs.h"
#include "lib/waitq.h"
#include "sentry/host/host.h"
#include "sentry/kernel/kernel.h"

#define IPC_SLOTS 1024     /* objects of each kind (Linux's msgmni/semmni are 32000) */
#define IPC_SEQ_MUL 32768  /* Linux's IPCMNI */
#define MSGMAX_K 8192      /* largest message */
#define MSGMNB_K 16384     /* default bytes per queue */
#define SEMMSL_K 32000     /* semaphores per set */
#define SEMOPM_K 500       /* operations per semop */
#define SEMVMX_K 32767     /* largest semaphore value */

struct ipc_obj {
	bool used;
	key_t key;
	uint32_t uid, gid, cuid, cgid, mode;
	uint32_t seq;
	struct waitq wq; /* blocked senders, receivers, semop callers */
	time_t ctime;
};

struct msg {
	struct msg *next;
	long type;
	size_t len;
	char text[];
};

struct msq {
	struct ipc_obj o;
	struct msg *head, **tail;
	size_t bytes, qbytes, count;
	pid_t lspid, lrpid;
	time_t stime, rtime;
};

struct sem {
	int val;
	pid_t pid;
};

struct semset {
	struct ipc_obj o;
	int nsems;
	struct sem *sems;
	time_t otime;
};

struct shm_seg;
static void seg_free(struct shm_seg *seg);

struct shm_slot {
	struct ipc_obj o;
	struct shm_seg *seg; /* NULL once IPC_RMID'd (the segment lives while attached) */
};

/* SEM_UNDO: what a process's exit gives back, one entry per (set, semaphore). */
struct sem_undo {
	struct sem_undo *next;
	pid_t tgid;
	int semid;
	int num;
	int adj;
};

struct sysv {
	pthread_mutex_t mu;
	struct msq msqs[IPC_SLOTS];
	struct semset sems[IPC_SLOTS];
	struct shm_slot shms[IPC_SLOTS];
	struct sem_undo *undo;
};

static time_t now_sec(void)
{
	struct timespec ts;
	host_clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

int sysv_new(struct sysv **out)
{
	struct sysv *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	for (int i = 0; i < IPC_SLOTS; i++) {
		waitq_init(&s->msqs[i].o.wq);
		waitq_init(&s->sems[i].o.wq);
		waitq_init(&s->shms[i].o.wq);
	}
	*out = s;
	return 0;
}

static void msq_free_msgs(struct msq *q)
{
	for (struct msg *m = q->head, *n; m; m = n) {
		n = m->next;
		free(m);
	}
	q->head = NULL;
	q->tail = &q->head;
	q->bytes = q->count = 0;
}

void sysv_free(struct sysv *s)
{
	if (!s)
		return;
	for (int i = 0; i < IPC_SLOTS; i++) {
		msq_free_msgs(&s->msqs[i]);
		free(s->sems[i].sems);
		waitq_destroy(&s->msqs[i].o.wq);
		waitq_destroy(&s->sems[i].o.wq);
		waitq_destroy(&s->shms[i].o.wq);
	}
	for (struct sem_undo *u = s->undo, *n; u; u = n) {
		n = u->next;
		free(u);
	}
	/* Every mm is gone by now: segments still in the table have no attaches. */
	for (int i = 0; i < IPC_SLOTS; i++)
		if (s->shms[i].o.used && s->shms[i].seg)
			seg_free(s->shms[i].seg);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* ---- common: ids, lookup, permissions ---- */

#define OBJ_AT(base, stride, i) ((struct ipc_obj *)((char *)(base) + (size_t)(i) * (stride)))

static int obj_id(const struct ipc_obj *o, int slot)
{
	return (int)(o->seq * IPC_SEQ_MUL) + slot;
}

/* ipcperms: the owner, creator, group or others bits, root (CAP_IPC_OWNER) bypasses. */
static int ipc_perm(struct task *t, const struct ipc_obj *o, int want /* 4 read, 2 write */)
{
	uint32_t bits;

	if (task_capable(t, CAP_IPC_OWNER))
		return 0;
	if (t->creds.euid == o->uid || t->creds.euid == o->cuid)
		bits = (o->mode >> 6) & 7;
	else if (t->creds.egid == o->gid || t->creds.egid == o->cgid)
		bits = (o->mode >> 3) & 7;
	else
		bits = o->mode & 7;
	return (want & ~(int)bits) ? -EACCES : 0;
}

static bool ipc_owner(struct task *t, const struct ipc_obj *o)
{
	return t->creds.euid == o->uid || t->creds.euid == o->cuid ||
	       task_capable(t, CAP_SYS_ADMIN);
}

/*
 * ipcget: find @key (or make a new object with IPC_PRIVATE / IPC_CREAT). Returns the slot,
 * with *@created; -ENOENT, -EEXIST, -EACCES or -ENOSPC. Preconditions: sysv->mu held.
 */
static int ipc_get(struct task *t, void *base, size_t stride, key_t key, int flags,
		   bool *created)
{
	int free_slot = -1;

	*created = false;
	for (int i = 0; i < IPC_SLOTS; i++) {
		struct ipc_obj *o = OBJ_AT(base, stride, i);
		if (!o->used) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (key != IPC_PRIVATE && o->key == key) {
			if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
				return -EEXIST;
			int want = ((flags >> 6) & 7) ? ((flags >> 6) & 6) : 0;
			int r = ipc_perm(t, o, want);
			return r < 0 ? r : i;
		}
	}
	if (key != IPC_PRIVATE && !(flags & IPC_CREAT))
		return -ENOENT;
	if (free_slot < 0)
		return -ENOSPC;
	struct ipc_obj *o = OBJ_AT(base, stride, free_slot);
	o->used = true;
	o->key = key;
	o->uid = o->cuid = t->creds.euid;
	o->gid = o->cgid = t->creds.egid;
	o->mode = (uint32_t)flags & 0777;
	o->seq++;
	o->ctime = now_sec();
	*created = true;
	return free_slot;
}

/* The live object with id @id, or NULL. Preconditions: sysv->mu held. */
static struct ipc_obj *ipc_lookup(void *base, size_t stride, int id, int *slot)
{
	if (id < 0)
		return NULL;
	int i = id % IPC_SEQ_MUL;
	if (i >= IPC_SLOTS)
		return NULL;
	struct ipc_obj *o = OBJ_AT(base, stride, i);
	if (!o->used || obj_id(o, i) != id)
		return NULL;
	*slot = i;
	return o;
}

static void ipc_fill_perm(const struct ipc_obj *o, struct ipc_perm *p)
{
	memset(p, 0, sizeof(*p));
	p->__key = o->key;
	p->uid = o->uid;
	p->gid = o->gid;
	p->cuid = o->cuid;
	p->cgid = o->cgid;
	p->mode = (unsigned short)o->mode;
	p->__seq = (unsigned short)o->seq;
}

/* IPC_SET: owner or root changes uid, gid and the permission bits. */
static int ipc_set(struct task *t, struct ipc_obj *o, const struct ipc_perm *p)
{
	if (!ipc_owner(t, o))
		return -EPERM;
	o->uid = p->uid;
	o->gid = p->gid;
	o->mode = (o->mode & ~0777u) | (p->mode & 0777);
	o->ctime = now_sec();
	return 0;
}

/* Sleep on @o's queue without sysv->mu; -EINTR (signal) or -ETIMEDOUT, 0 when woken. */
static int ipc_wait(struct sysv *s, struct ipc_obj *o, const struct timespec *dl)
{
	struct waiter *w = waiter_current();
	struct waitq_entry e;

	waitq_add(&o->wq, &e, w);
	pthread_mutex_unlock(&s->mu);
	int r = waiter_wait(w, dl);
	pthread_mutex_lock(&s->mu);
	waitq_remove(&o->wq, &e);
	return r;
}

/* ---- message queues ---- */

long sysv_msgget(struct task *t, key_t key, int flags)
{
	struct sysv *s = t->k->sysv;
	bool created;

	pthread_mutex_lock(&s->mu);
	int i = ipc_get(t, s->msqs, sizeof(s->msqs[0]), key, flags, &created);
	if (i >= 0 && created) {
		struct msq *q = &s->msqs[i];
		q->head = NULL;
		q->tail = &q->head;
		q->bytes = q->count = 0;
		q->qbytes = MSGMNB_K;
		q->lspid = q->lrpid = 0;
		q->stime = q->rtime = 0;
	}
	long r = i < 0 ? i : obj_id(&s->msqs[i].o, i);
	pthread_mutex_unlock(&s->mu);
	return r;
}

long sysv_msgsnd(struct task *t, int id, long type, const void *text, size_t len, int flags)
{
	struct sysv *s = t->k->sysv;
	struct msg *m;
	int slot;
	long r;

	if (type < 1 || len > MSGMAX_K)
		return -EINVAL;
	m = malloc(sizeof(*m) + len);
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->type = type;
	m->len = len;
	memcpy(m->text, text, len);
	bool waited = false;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct ipc_obj *o = ipc_lookup(s->msqs, sizeof(s->msqs[0]), id, &slot);
		if (!o) {
			r = waited ? -EIDRM : -EINVAL; /* removed while we slept, or never there */
			break;
		}
		struct msq *q = &s->msqs[slot];
		r = ipc_perm(t, o, 2);
		if (r < 0)
			break;
		if (q->bytes + len <= q->qbytes && q->count + 1 <= q->qbytes) {
			*q->tail = m;
			q->tail = &m->next;
			q->bytes += len;
			q->count++;
			q->lspid = t->tg->tgid;
			q->stime = now_sec();
			m = NULL;
			waitq_wake_all(&o->wq);
			r = 0;
			break;
		}
		if (flags & IPC_NOWAIT) {
			r = -EAGAIN;
			break;
		}
		waited = true;
		if (ipc_wait(s, o, NULL) == -EINTR) {
			r = -ERESTARTNOHAND;
			break;
		}
	}
	pthread_mutex_unlock(&s->mu);
	free(m);
	return r;
}

/* msgrcv's choice: the first message, the first of @type, the first not of @type
 * (MSG_EXCEPT), or the lowest type <= -@type. */
static struct msg **msg_pick(struct msq *q, long type, int flags)
{
	struct msg **best = NULL;

	for (struct msg **pp = &q->head; *pp; pp = &(*pp)->next) {
		struct msg *m = *pp;
		if (type == 0)
			return pp;
		if (type > 0) {
			if ((flags & MSG_EXCEPT) ? m->type != type : m->type == type)
				return pp;
		} else if (m->type <= -type && (!best || m->type < (*best)->type)) {
			best = pp;
		}
	}
	return best;
}

long sysv_msgrcv(struct task *t, int id, void *buf, size_t max, long type, int flags,
		 long *got_type)
{
	struct sysv *s = t->k->sysv;
	int slot;
	long r;

	if ((long)max < 0)
		return -EINVAL;
	if (flags & MSG_COPY)
		return -ENOSYS;
	bool waited = false;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct ipc_obj *o = ipc_lookup(s->msqs, sizeof(s->msqs[0]), id, &slot);
		if (!o) {
			r = waited ? -EIDRM : -EINVAL; /* removed while we slept, or never there */
			break;
		}
		struct msq *q = &s->msqs[slot];
		r = ipc_perm(t, o, 4);
		if (r < 0)
			break;
		struct msg **pp = msg_pick(q, type, flags);
		if (pp) {
			struct msg *m = *pp;
			if (m->len > max && !(flags & MSG_NOERROR)) {
				r = -E2BIG;
				break;
			}
			size_t n = m->len < max ? m->len : max;
			*pp = m->next;
			if (q->tail == &m->next)
				q->tail = pp;
			q->bytes -= m->len;
			q->count--;
			q->lrpid = t->tg->tgid;
			q->rtime = now_sec();
			memcpy(buf, m->text, n);
			*got_type = m->type;
			free(m);
			waitq_wake_all(&o->wq);
			r = (long)n;
			break;
		}
		if (flags & IPC_NOWAIT) {
			r = -ENOMSG;
			break;
		}
		waited = true;
		if (ipc_wait(s, o, NULL) == -EINTR) {
			r = -ERESTARTNOHAND;
			break;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

long sysv_msgctl(struct task *t, int id, int cmd, struct msqid_ds *ds)
{
	struct sysv *s = t->k->sysv;
	int slot;
	long r = 0;

	pthread_mutex_lock(&s->mu);
	if (cmd == IPC_INFO || cmd == MSG_INFO) {
		struct msginfo *mi = (struct msginfo *)ds;
		memset(mi, 0, sizeof(*mi));
		mi->msgmax = MSGMAX_K;
		mi->msgmnb = MSGMNB_K;
		mi->msgmni = IPC_SLOTS;
		mi->msgssz = 16;
		mi->msgseg = 0xffff;
		mi->msgpool = IPC_SLOTS * MSGMNB_K / 1024;
		mi->msgtql = IPC_SLOTS * MSGMNB_K / 16;
		mi->msgmap = mi->msgtql;
		for (int i = 0; i < IPC_SLOTS; i++) {
			if (s->msqs[i].o.used) {
				r = i;
				if (cmd == MSG_INFO) {
					mi->msgpool++;
					mi->msgmap += (int)s->msqs[i].count;
					mi->msgtql += (int)s->msqs[i].bytes;
				}
			}
		}
		pthread_mutex_unlock(&s->mu);
		return r;
	}
	struct ipc_obj *o = ipc_lookup(s->msqs, sizeof(s->msqs[0]), id, &slot);
	if (!o) {
		pthread_mutex_unlock(&s->mu);
		return -EINVAL;
	}
	struct msq *q = &s->msqs[slot];
	switch (cmd) {
	case IPC_STAT:
	case MSG_STAT:
		r = ipc_perm(t, o, 4);
		if (r < 0)
			break;
		memset(ds, 0, sizeof(*ds));
		ipc_fill_perm(o, &ds->msg_perm);
		ds->msg_stime = q->stime;
		ds->msg_rtime = q->rtime;
		ds->msg_ctime = o->ctime;
		ds->__msg_cbytes = q->bytes;
		ds->msg_qnum = q->count;
		ds->msg_qbytes = q->qbytes;
		ds->msg_lspid = q->lspid;
		ds->msg_lrpid = q->lrpid;
		break;
	case IPC_SET:
		if (ds->msg_qbytes > MSGMNB_K && !task_capable(t, CAP_SYS_RESOURCE)) {
			r = -EPERM;
			break;
		}
		r = ipc_set(t, o, &ds->msg_perm);
		if (r == 0) {
			q->qbytes = ds->msg_qbytes;
			waitq_wake_all(&o->wq);
		}
		break;
	case IPC_RMID:
		if (!ipc_owner(t, o)) {
			r = -EPERM;
			break;
		}
		msq_free_msgs(q);
		o->used = false;
		waitq_wake_all(&o->wq); /* blocked callers find the id gone: EIDRM */
		break;
	default:
		r = -EINVAL;
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* ---- semaphores ---- */

long sysv_semget(struct task *t, key_t key, int nsems, int flags)
{
	struct sysv *s = t->k->sysv;
	bool created;

	if (nsems < 0 || nsems > SEMMSL_K)
		return -EINVAL;
	pthread_mutex_lock(&s->mu);
	int i = ipc_get(t, s->sems, sizeof(s->sems[0]), key, flags, &created);
	long r = i;
	if (i >= 0 && created) {
		struct semset *ss = &s->sems[i];
		if (nsems == 0) {
			ss->o.used = false;
			r = -EINVAL;
		} else {
			ss->sems = calloc((size_t)nsems, sizeof(*ss->sems));
			if (!ss->sems) {
				ss->o.used = false;
				r = -ENOMEM;
			}
			ss->nsems = nsems;
			ss->otime = 0;
		}
	} else if (i >= 0 && nsems > s->sems[i].nsems) {
		r = -EINVAL;
	}
	if (r >= 0)
		r = obj_id(&s->sems[i].o, i);
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* Preconditions: sysv->mu held. Record -@delta for @tgid's exit (SEM_UNDO). */
static int undo_add(struct sysv *s, pid_t tgid, int semid, int num, int delta)
{
	for (struct sem_undo *u = s->undo; u; u = u->next) {
		if (u->tgid == tgid && u->semid == semid && u->num == num) {
			u->adj -= delta;
			return 0;
		}
	}
	struct sem_undo *u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->tgid = tgid;
	u->semid = semid;
	u->num = num;
	u->adj = -delta;
	u->next = s->undo;
	s->undo = u;
	return 0;
}

/* Try every operation at once: 0 (done), 1 (would block), -ERANGE/-EFBIG. */
static int sem_try(struct sysv *s, struct semset *ss, int semid, const struct sembuf *ops,
		   int n, pid_t tgid)
{
	int i;

	for (i = 0; i < n; i++) {
		struct sem *sm = &ss->sems[ops[i].sem_num];
		int v = sm->val + ops[i].sem_op;
		if (ops[i].sem_op == 0 ? sm->val != 0 : v < 0)
			break;
		if (v > SEMVMX_K)
			break;
		sm->val = v;
	}
	if (i < n) {
		bool range = ops[i].sem_op && ss->sems[ops[i].sem_num].val + ops[i].sem_op > SEMVMX_K;
		while (i-- > 0)
			ss->sems[ops[i].sem_num].val -= ops[i].sem_op;
		return range ? -ERANGE : 1;
	}
	for (i = 0; i < n; i++) {
		ss->sems[ops[i].sem_num].pid = tgid;
		if ((ops[i].sem_flg & SEM_UNDO) && ops[i].sem_op)
			undo_add(s, tgid, semid, ops[i].sem_num, ops[i].sem_op);
	}
	return 0;
}

long sysv_semop(struct task *t, int id, struct sembuf *ops, int n, const struct timespec *dl)
{
	struct sysv *s = t->k->sysv;
	int slot, want = 0;
	long r;

	if (n < 1)
		return -EINVAL;
	if (n > SEMOPM_K)
		return -E2BIG;
	for (int i = 0; i < n; i++)
		want |= ops[i].sem_op ? 2 : 4;
	bool waited = false;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct ipc_obj *o = ipc_lookup(s->sems, sizeof(s->sems[0]), id, &slot);
		if (!o) {
			r = waited ? -EIDRM : -EINVAL; /* removed while we slept, or never there */
			break;
		}
		struct semset *ss = &s->sems[slot];
		r = ipc_perm(t, o, want);
		if (r < 0)
			break;
		int nowait = 0;
		for (int i = 0; i < n; i++) {
			if (ops[i].sem_num >= ss->nsems) {
				r = -EFBIG;
				break;
			}
			nowait |= ops[i].sem_flg & IPC_NOWAIT;
		}
		if (r < 0)
			break;
		r = sem_try(s, ss, id, ops, n, t->tg->tgid);
		if (r <= 0) {
			if (r == 0) {
				ss->otime = now_sec();
				waitq_wake_all(&o->wq);
			}
			break;
		}
		if (nowait) {
			r = -EAGAIN;
			break;
		}
		waited = true;
		r = ipc_wait(s, o, dl);
		if (r == -EINTR) {
			r = -ERESTARTNOHAND;
			break;
		}
		if (r == -ETIMEDOUT) {
			r = -EAGAIN; /* semtimedop's timeout */
			break;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* A process exits: apply and drop its SEM_UNDO adjustments. */
void sysv_exit(struct kernel *k, pid_t tgid)
{
	struct sysv *s = k->sysv;

	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	for (struct sem_undo **pp = &s->undo; *pp;) {
		struct sem_undo *u = *pp;
		if (u->tgid != tgid) {
			pp = &u->next;
			continue;
		}
		int slot;
		struct ipc_obj *o = ipc_lookup(s->sems, sizeof(s->sems[0]), u->semid, &slot);
		if (o && u->num < s->sems[slot].nsems) {
			struct sem *sm = &s->sems[slot].sems[u->num];
			int v = sm->val + u->adj;
			sm->val = v < 0 ? 0 : v > SEMVMX_K ? SEMVMX_K : v;
			sm->pid = tgid;
			waitq_wake_all(&o->wq);
		}
		*pp = u->next;
		free(u);
	}
	pthread_mutex_unlock(&s->mu);
}

/* Waiters on semaphore @num for a value (ncnt) or for zero (zcnt): not tracked per
 * semaphore here, so report 0, which programs use only as a hint. */
long sysv_semctl(struct task *t, int id, int num, int cmd, union sysv_semarg *arg)
{
	struct sysv *s = t->k->sysv;
	int slot;
	long r = 0;

	pthread_mutex_lock(&s->mu);
	if (cmd == IPC_INFO || cmd == SEM_INFO) {
		struct seminfo *si = &arg->info;
		memset(si, 0, sizeof(*si));
		si->semmni = IPC_SLOTS;
		si->semmsl = SEMMSL_K;
		si->semmns = IPC_SLOTS * SEMMSL_K;
		si->semopm = SEMOPM_K;
		si->semvmx = SEMVMX_K;
		si->semaem = SEMVMX_K;
		si->semmnu = si->semmns;
		si->semume = SEMOPM_K;
		si->semusz = 20;
		si->semmap = si->semmns;
		r = 0;
		for (int i = 0; i < IPC_SLOTS; i++) {
			if (s->sems[i].o.used) {
				r = i;
				if (cmd == SEM_INFO) {
					si->semusz++;
					si->semaem += s->sems[i].nsems;
				}
			}
		}
		pthread_mutex_unlock(&s->mu);
		return r;
	}
	struct ipc_obj *o = ipc_lookup(s->sems, sizeof(s->sems[0]), id, &slot);
	if (!o) {
		pthread_mutex_unlock(&s->mu);
		return -EINVAL;
	}
	struct semset *ss = &s->sems[slot];
	switch (cmd) {
	case IPC_STAT:
	case SEM_STAT:
		r = ipc_perm(t, o, 4);
		if (r < 0)
			break;
		memset(&arg->ds, 0, sizeof(arg->ds));
		ipc_fill_perm(o, &arg->ds.sem_perm);
		arg->ds.sem_otime = ss->otime;
		arg->ds.sem_ctime = o->ctime;
		arg->ds.sem_nsems = (unsigned long)ss->nsems;
		break;
	case IPC_SET:
		r = ipc_set(t, o, &arg->ds.sem_perm);
		break;
	case IPC_RMID:
		if (!ipc_owner(t, o)) {
			r = -EPERM;
			break;
		}
		free(ss->sems);
		ss->sems = NULL;
		ss->nsems = 0;
		o->used = false;
		waitq_wake_all(&o->wq);
		break;
	case GETVAL:
	case GETPID:
	case GETNCNT:
	case GETZCNT:
		r = ipc_perm(t, o, 4);
		if (r < 0)
			break;
		if (num < 0 || num >= ss->nsems) {
			r = -EINVAL;
			break;
		}
		r = cmd == GETVAL ? ss->sems[num].val : cmd == GETPID ? ss->sems[num].pid : 0;
		break;
	case GETALL:
		r = ipc_perm(t, o, 4);
		if (r < 0)
			break;
		arg->count = ss->nsems;
		for (int i = 0; i < ss->nsems && i < SYSV_SEMARG_MAX; i++)
			arg->vals[i] = (unsigned short)ss->sems[i].val;
		break;
	case SETVAL:
		r = ipc_perm(t, o, 2);
		if (r < 0)
			break;
		if (num < 0 || num >= ss->nsems || arg->val < 0 || arg->val > SEMVMX_K) {
			r = num < 0 || num >= ss->nsems ? -EINVAL : -ERANGE;
			break;
		}
		ss->sems[num].val = arg->val;
		ss->sems[num].pid = t->tg->tgid;
		o->ctime = now_sec();
		waitq_wake_all(&o->wq);
		break;
	case SETALL:
		r = ipc_perm(t, o, 2);
		if (r < 0)
			break;
		for (int i = 0; i < ss->nsems && i < SYSV_SEMARG_MAX; i++) {
			if (arg->vals[i] > SEMVMX_K) {
				r = -ERANGE;
				break;
			}
		}
		if (r < 0)
			break;
		for (int i = 0; i < ss->nsems && i < SYSV_SEMARG_MAX; i++) {
			ss->sems[i].val = arg->vals[i];
			ss->sems[i].pid = t->tg->tgid;
		}
		o->ctime = now_sec();
		waitq_wake_all(&o->wq);
		break;
	default:
		r = -EINVAL;
	}
	if (cmd == GETALL || cmd == SETALL)
		arg->count = ss->nsems;
	pthread_mutex_unlock(&s->mu);
	return r;
}

int sysv_semset_size(struct task *t, int id)
{
	struct sysv *s = t->k->sysv;
	int slot, n = -EINVAL;

	pthread_mutex_lock(&s->mu);
	if (ipc_lookup(s->sems, sizeof(s->sems[0]), id, &slot))
		n = s->sems[slot].nsems;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* ---- shared memory ---- */

#define SHMMIN_K 1
#define SHMMAX_K (1ULL << 32)  /* 4 GiB: the sandbox's memory */
#define SHM_DEV 0x5e5e         /* st_dev of segments in /proc/PID/maps */

struct shm_seg {
	struct mm_mappable base;   /* what VMAs hold: one reference per attach */
	struct mm_mappable *inner; /* the memfd's page-cache mapping (one reference) */
	struct file *f;
	struct sysv *s;
	int id;
	uint64_t size;
	long nattch;     /* protected by s->mu: VMAs holding base */
	bool removed;    /* protected by s->mu: IPC_RMID'd; freed when nattch drops to 0 */
	pid_t cpid, lpid;
	time_t atime, dtime;
};

static struct shm_seg *to_seg(struct mm_mappable *m)
{
	return (struct shm_seg *)m;
}

static int seg_get_page(struct mm_mappable *m, uint64_t pgoff, bool write, uint64_t *off)
{
	struct mm_mappable *in = to_seg(m)->inner;
	return in->ops->get_page(in, pgoff, write, off);
}

static void seg_free(struct shm_seg *seg)
{
	seg->inner->ops->put(seg->inner);
	file_put(seg->f);
	free(seg);
}

static void seg_get(struct mm_mappable *m)
{
	struct shm_seg *seg = to_seg(m);

	pthread_mutex_lock(&seg->s->mu);
	seg->nattch++;
	pthread_mutex_unlock(&seg->s->mu);
}

static void seg_put(struct mm_mappable *m)
{
	struct shm_seg *seg = to_seg(m);
	bool last;

	pthread_mutex_lock(&seg->s->mu);
	last = --seg->nattch == 0 && seg->removed;
	seg->dtime = now_sec();
	pthread_mutex_unlock(&seg->s->mu);
	if (last)
		seg_free(seg); /* outside the lock: the last file_put may take filesystem locks */
}

static void seg_describe(struct mm_mappable *m, uint64_t *dev, uint64_t *ino, char **path)
{
	struct shm_seg *seg = to_seg(m);
	char buf[32];

	*dev = SHM_DEV;
	*ino = (uint64_t)seg->id;
	snprintf(buf, sizeof(buf), "/SYSV%08x", (unsigned int)seg->id);
	*path = strdup(buf);
}

static const void *seg_object(struct mm_mappable *m)
{
	struct mm_mappable *in = to_seg(m)->inner;
	return in->ops->object(in);
}

static uint64_t seg_size(struct mm_mappable *m)
{
	return to_seg(m)->size;
}

static const struct mappable_ops seg_ops = {
	.get_page = seg_get_page,
	.get = seg_get,
	.put = seg_put,
	.describe = seg_describe,
	.object = seg_object,
	.size = seg_size,
};

long sysv_shmget(struct task *t, key_t key, uint64_t size, int flags)
{
	struct sysv *s = t->k->sysv;
	struct shm_seg *seg = NULL;
	struct vfs_cred cr;
	bool created;
	long r;

	if (size < SHMMIN_K || size > SHMMAX_K)
		return -EINVAL;
	/* Make the file first (filesystem work outside s->mu); drop it if unused. */
	seg = calloc(1, sizeof(*seg));
	if (!seg)
		return -ENOMEM;
	task_vfs_cred(t, true, &cr);
	r = tmpfs_memfd_new(&cr, "SYSV", false, &seg->f);
	if (r == 0) {
		struct iattr ia = { .valid = ATTR_SIZE, .size = (int64_t)size };
		r = vfs_setattr(file_inode(seg->f), &ia);
	}
	if (r == 0)
		r = vfs_file_mappable(seg->f, NULL, &seg->inner);
	if (r < 0) {
		if (seg->f)
			file_put(seg->f);
		free(seg);
		return r;
	}
	seg->base.ops = &seg_ops;
	seg->s = s;
	seg->size = size;
	seg->cpid = t->tg->tgid;

	pthread_mutex_lock(&s->mu);
	int i = ipc_get(t, s->shms, sizeof(s->shms[0]), key, flags, &created);
	r = i;
	if (i >= 0 && created) {
		seg->id = obj_id(&s->shms[i].o, i);
		s->shms[i].seg = seg;
		seg = NULL;
	} else if (i >= 0 && size > s->shms[i].seg->size) {
		r = -EINVAL;
	}
	if (r >= 0)
		r = obj_id(&s->shms[i].o, i);
	pthread_mutex_unlock(&s->mu);
	if (seg)
		seg_free(seg);
	return r;
}

long sysv_shmat(struct task *t, int id, uint64_t addr, int flags, uint64_t *out)
{
	struct sysv *s = t->k->sysv;
	struct shm_seg *seg;
	int slot;
	long r;

	if (addr & (SHMLBA - 1)) {
		if (!(flags & SHM_RND))
			return -EINVAL;
		addr &= ~(uint64_t)(SHMLBA - 1);
	}
	pthread_mutex_lock(&s->mu);
	struct ipc_obj *o = ipc_lookup(s->shms, sizeof(s->shms[0]), id, &slot);
	if (!o) {
		pthread_mutex_unlock(&s->mu);
		return -EINVAL;
	}
	seg = s->shms[slot].seg;
	r = ipc_perm(t, o, (flags & SHM_RDONLY) ? 4 : 6);
	if (r == 0) {
		seg->nattch++; /* keeps it alive across the mmap below; dropped after */
		seg->atime = now_sec();
		seg->lpid = t->tg->tgid;
	}
	pthread_mutex_unlock(&s->mu);
	if (r < 0)
		return r;
	struct mmap_opts mo = {
		.addr = addr,
		.len = seg->size,
		.prot = PROT_READ | ((flags & SHM_RDONLY) ? 0 : PROT_WRITE) |
			((flags & SHM_EXEC) ? PROT_EXEC : 0),
		.flags = MAP_SHARED | (addr ? MAP_FIXED : 0),
		.file = &seg->base,
		.offset = 0,
		.max_prot = PROT_READ | PROT_EXEC | ((flags & SHM_RDONLY) ? 0 : PROT_WRITE),
	};
	if (addr && (flags & SHM_REMAP) == 0) {
		/* Linux refuses to attach over an existing mapping without SHM_REMAP. */
		mo.flags = MAP_SHARED | MAP_FIXED_NOREPLACE;
	}
	r = mm_mmap(t->mm, &mo, out);
	seg_put(&seg->base);
	if (r == -EEXIST)
		r = -EINVAL;
	return r;
}

struct shmdt_find {
	uint64_t addr;
	bool found;
	uint64_t len;
};

static void find_shm_vma(const struct vma_info *v, void *arg)
{
	struct shmdt_find *f = arg;

	if (v->start == f->addr && v->dev == SHM_DEV && v->offset == 0) {
		f->found = true;
		f->len = v->end - v->start;
	} else if (f->found && v->start == f->addr + f->len && v->dev == SHM_DEV) {
		f->len += v->end - v->start; /* the rest of a segment split by mprotect */
	}
}

long sysv_shmdt(struct task *t, uint64_t addr)
{
	struct shmdt_find f = { .addr = addr };

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	mm_for_each_vma(t->mm, find_shm_vma, &f);
	if (!f.found)
		return -EINVAL;
	return mm_munmap(t->mm, addr, f.len);
}

long sysv_shmctl(struct task *t, int id, int cmd, struct shmid_ds *ds)
{
	struct sysv *s = t->k->sysv;
	struct shm_seg *free_seg = NULL;
	int slot;
	long r = 0;

	pthread_mutex_lock(&s->mu);
	if (cmd == IPC_INFO || cmd == SHM_INFO) {
		struct shminfo *si = (struct shminfo *)ds;
		struct shm_info *sh = (struct shm_info *)ds;
		int last = 0, used = 0;
		uint64_t pages = 0;
		for (int i = 0; i < IPC_SLOTS; i++) {
			if (s->shms[i].o.used) {
				last = i;
				used++;
				pages += (s->shms[i].seg->size + PAGE_SIZE - 1) / PAGE_SIZE;
			}
		}
		if (cmd == IPC_INFO) {
			memset(si, 0, sizeof(*si));
			si->shmmax = SHMMAX_K;
			si->shmmin = SHMMIN_K;
			si->shmmni = IPC_SLOTS;
			si->shmseg = IPC_SLOTS;
			si->shmall = SHMMAX_K / PAGE_SIZE;
		} else {
			memset(sh, 0, sizeof(*sh));
			sh->used_ids = used;
			sh->shm_tot = pages;
			sh->shm_rss = pages;
		}
		pthread_mutex_unlock(&s->mu);
		return last;
	}
	struct ipc_obj *o = ipc_lookup(s->shms, sizeof(s->shms[0]), id, &slot);
	if (!o) {
		pthread_mutex_unlock(&s->mu);
		return -EINVAL;
	}
	struct shm_seg *seg = s->shms[slot].seg;
	switch (cmd) {
	case IPC_STAT:
	case SHM_STAT:
		r = ipc_perm(t, o, 4);
		if (r < 0)
			break;
		memset(ds, 0, sizeof(*ds));
		ipc_fill_perm(o, &ds->shm_perm);
		ds->shm_segsz = seg->size;
		ds->shm_atime = seg->atime;
		ds->shm_dtime = seg->dtime;
		ds->shm_ctime = o->ctime;
		ds->shm_cpid = seg->cpid;
		ds->shm_lpid = seg->lpid;
		ds->shm_nattch = (shmatt_t)seg->nattch;
		break;
	case IPC_SET:
		r = ipc_set(t, o, &ds->shm_perm);
		break;
	case IPC_RMID:
		if (!ipc_owner(t, o)) {
			r = -EPERM;
			break;
		}
		o->used = false;
		s->shms[slot].seg = NULL;
		seg->removed = true;
		if (seg->nattch == 0)
			free_seg = seg;
		break;
	case SHM_LOCK:
	case SHM_UNLOCK:
		break; /* memory is never swapped here */
	default:
		r = -EINVAL;
	}
	pthread_mutex_unlock(&s->mu);
	if (free_seg)
		seg_free(free_seg);
	return r;
}
