/* SPDX-License-Identifier: Apache-2.0 */
/* Edge-triggered epoll: reported once per new event, re-armed by EPOLL_CTL_MOD. */
#define _GNU_SOURCE
#include <sys/epoll.h>

#include "tap.h"

int main(void)
{
	int et[2], lt[2];
	struct epoll_event ev, out[4];
	char b[8];

	pipe(et);
	pipe(lt);
	int ep = epoll_create1(0);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u32 = 1 };
	epoll_ctl(ep, EPOLL_CTL_ADD, et[0], &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = 2 };
	epoll_ctl(ep, EPOLL_CTL_ADD, lt[0], &ev);

	is_int(epoll_wait(ep, out, 4, 0), 0, "nothing yet");
	write(et[1], "ab", 2);
	write(lt[1], "ab", 2);
	is_int(epoll_wait(ep, out, 4, 0), 2, "both readable");
	is_int(epoll_wait(ep, out, 4, 0), 1, "again: only the level-triggered one");
	is_int((int)out[0].data.u32, 2, "it is the level-triggered pipe");
	read(et[0], b, 1);
	is_int(epoll_wait(ep, out, 4, 0), 1, "a partial read is no new edge");
	write(et[1], "c", 1);
	is_int(epoll_wait(ep, out, 4, 0), 2, "new data: the edge-triggered one again");
	is_int(epoll_wait(ep, out, 4, 0), 1, "and then not");
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u32 = 1 };
	epoll_ctl(ep, EPOLL_CTL_MOD, et[0], &ev);
	is_int(epoll_wait(ep, out, 4, 0), 2, "EPOLL_CTL_MOD re-arms it");
	read(et[0], b, sizeof(b));
	read(lt[0], b, sizeof(b));
	is_int(epoll_wait(ep, out, 4, 0), 0, "drained: nothing");
	/* A blocking wait wakes on a new edge. */
	if (fork() == 0) {
		usleep(50000);
		write(et[1], "d", 1);
		_exit(0);
	}
	is_int(epoll_wait(ep, out, 4, 5000), 1, "a blocking wait sees the new edge");
	is_int((int)out[0].data.u32, 1, "the edge-triggered pipe");
	return done_testing();
}
