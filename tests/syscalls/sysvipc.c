/* SPDX-License-Identifier: Apache-2.0 */
/* System V message queues and semaphores: between processes, blocking, errors, undo. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include "tap.h"

struct m {
	long type;
	char text[64];
};

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

int main(void)
{
	int st;
	struct m msg;

	/* Message queues. */
	int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	ok(q >= 0, "msgget IPC_PRIVATE");
	msg.type = 2;
	strcpy(msg.text, "two");
	is_int(msgsnd(q, &msg, 4, 0), 0, "msgsnd type 2");
	msg.type = 1;
	strcpy(msg.text, "one");
	is_int(msgsnd(q, &msg, 4, 0), 0, "msgsnd type 1");
	struct msqid_ds ds;
	is_int(msgctl(q, IPC_STAT, &ds), 0, "IPC_STAT");
	is_int((int)ds.msg_qnum, 2, "two messages queued");
	is_int((int)msgrcv(q, &msg, sizeof(msg.text), 1, 0), 4, "msgrcv by type");
	is_int(strcmp(msg.text, "one"), 0, "got type 1 first");
	is_int((int)msgrcv(q, &msg, 2, 0, IPC_NOWAIT), -1, "too long");
	is_int(errno, E2BIG, "E2BIG");
	is_int((int)msgrcv(q, &msg, 2, 0, MSG_NOERROR), 2, "MSG_NOERROR truncates");
	is_int((int)msgrcv(q, &msg, sizeof(msg.text), 0, IPC_NOWAIT), -1, "empty");
	is_int(errno, ENOMSG, "ENOMSG");

	/* A child blocks in msgrcv until we send. */
	pid_t c = fork();
	if (c == 0) {
		struct m r;
		ssize_t n = msgrcv(q, &r, sizeof(r.text), 7, 0);
		_exit(n == 6 && strcmp(r.text, "hello") == 0 ? 0 : 1);
	}
	msg.type = 7;
	strcpy(msg.text, "hello");
	msgsnd(q, &msg, 6, 0);
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "blocked msgrcv in a child gets the message");

	/* Removing a queue wakes a blocked receiver with EIDRM. */
	c = fork();
	if (c == 0) {
		struct m r;
		ssize_t n = msgrcv(q, &r, sizeof(r.text), 0, 0);
		_exit(n < 0 && errno == EIDRM ? 0 : 1);
	}
	usleep(50000);
	is_int(msgctl(q, IPC_RMID, NULL), 0, "IPC_RMID");
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the blocked receiver sees EIDRM");
	is_errno(msgsnd(q, &msg, 4, 0), EINVAL, "a removed id is invalid");

	/* Keys: IPC_CREAT|IPC_EXCL, then lookup. */
	key_t key = 0x5bd1e5;
	int q2 = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	ok(q2 >= 0, "keyed queue");
	is_errno(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST, "IPC_EXCL: EEXIST");
	is_int(msgget(key, 0), q2, "found by key");
	msgctl(q2, IPC_RMID, NULL);
	is_errno(msgget(key, 0), ENOENT, "gone: ENOENT");

	/* Semaphores. */
	int s = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	ok(s >= 0, "semget");
	union semun arg = { .val = 1 };
	is_int(semctl(s, 0, SETVAL, arg), 0, "SETVAL 1");
	is_int(semctl(s, 0, GETVAL), 1, "GETVAL");
	struct sembuf down = { 0, -1, 0 }, up = { 0, 1, 0 };
	is_int(semop(s, &down, 1), 0, "down");
	struct sembuf try = { 0, -1, IPC_NOWAIT };
	is_errno(semop(s, &try, 1), EAGAIN, "would block: EAGAIN");
	struct timespec ts = { 0, 20000000 };
	is_errno(semtimedop(s, &down, 1, &ts), EAGAIN, "semtimedop times out: EAGAIN");
	c = fork();
	if (c == 0) {
		usleep(50000);
		semop(s, &up, 1);
		_exit(0);
	}
	is_int(semop(s, &down, 1), 0, "a blocked down proceeds after the child's up");
	waitpid(c, &st, 0);
	/* Two operations at once: all or nothing. */
	struct sembuf both[2] = { { 0, 1, 0 }, { 1, -1, IPC_NOWAIT } };
	is_errno(semop(s, both, 2), EAGAIN, "all or nothing");
	is_int(semctl(s, 0, GETVAL), 0, "first op undone");
	unsigned short vals[2] = { 3, 4 }, out[2] = { 0, 0 };
	arg.array = vals;
	is_int(semctl(s, 0, SETALL, arg), 0, "SETALL");
	arg.array = out;
	is_int(semctl(s, 0, GETALL, arg), 0, "GETALL");
	ok(out[0] == 3 && out[1] == 4, "values");
	/* SEM_UNDO: a child's decrement is given back when it exits. */
	c = fork();
	if (c == 0) {
		struct sembuf d = { 1, -4, SEM_UNDO };
		semop(s, &d, 1);
		_exit(semctl(s, 1, GETVAL) == 0 ? 0 : 1);
	}
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child took 4");
	is_int(semctl(s, 1, GETVAL), 4, "SEM_UNDO gave them back at exit");
	is_int(semctl(s, 0, GETPID), getpid(), "GETPID: the last to operate");
	struct semid_ds sds;
	arg.buf = &sds;
	is_int(semctl(s, 0, IPC_STAT, arg), 0, "IPC_STAT");
	is_int((int)sds.sem_nsems, 2, "sem_nsems");
	is_int(semctl(s, 0, IPC_RMID), 0, "IPC_RMID");
	is_errno(semctl(s, 0, GETVAL), EINVAL, "removed");

	/* Shared memory. */
	int m = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
	ok(m >= 0, "shmget");
	char *pm = shmat(m, NULL, 0);
	ok(pm != (void *)-1, "shmat");
	is_int(pm[9999], 0, "zero-filled");
	struct shmid_ds mds;
	is_int(shmctl(m, IPC_STAT, &mds), 0, "IPC_STAT");
	is_int((int)mds.shm_segsz, 10000, "shm_segsz");
	is_int((int)mds.shm_nattch, 1, "one attach");
	c = fork();
	if (c == 0) {
		strcpy(pm, "from the child");
		char *again = shmat(m, NULL, SHM_RDONLY);
		int same = again != (void *)-1 && strcmp(again, "from the child") == 0;
		struct shmid_ds cds;
		shmctl(m, IPC_STAT, &cds);
		_exit(same && cds.shm_nattch == 3 ? 0 : 1);
	}
	waitpid(c, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child (inherited and new attach) sees it");
	is_int(strcmp(pm, "from the child"), 0, "the parent sees the child's write");
	shmctl(m, IPC_STAT, &mds);
	is_int((int)mds.shm_nattch, 1, "the child's attaches went with it");
	is_errno(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL, "size 0: EINVAL");
	is_int(shmctl(m, IPC_RMID, NULL), 0, "IPC_RMID while attached");
	strcpy(pm, "still here");
	is_int(strcmp(pm, "still here"), 0, "the attach still works");
	is_int(shmdt(pm), 0, "shmdt");
	is_errno(shmdt(pm), EINVAL, "not attached any more");
	key_t mkey = 0x5bd1e6;
	int m2 = shmget(mkey, 4096, IPC_CREAT | 0600);
	is_int(shmget(mkey, 4096, 0), m2, "found by key");
	is_errno(shmget(mkey, 8192, 0), EINVAL, "bigger than it is: EINVAL");
	shmctl(m2, IPC_RMID, NULL);
	return done_testing();
}
