// SPDX-License-Identifier: Apache-2.0
/*
 * The three seccomp programs of a stub process, hand-assembled classic BPF: the guest
 * filter (trap every syscall not made from the handler's own sites), the syscall
 * thread's filter (exactly its four sites, arguments pinned) and the spawner's filter
 * (its sites and a new thread's set-up sites, then the guest filter).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/syscall.h>

#include "systrap_impl.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

#define OFF_NR offsetof(struct seccomp_data, nr)
/* Above every x86-64 syscall number (the Sentry's table is smaller still). */
#define SYSTRAP_NR_LIMIT 1024
#define OFF_ARCH offsetof(struct seccomp_data, arch)
#define OFF_IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define OFF_IP_HI (OFF_IP_LO + 4)
#define OFF_ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define OFF_ARG_HI(i) (OFF_ARG_LO(i) + 4)

/*
 * A tiny assembler for "rules": a rule is a list of conditions on 32-bit words of
 * seccomp_data ending in RET ALLOW; a failed condition jumps to the next rule.
 */
struct bpf_prog {
	struct sock_filter *insn;
	unsigned int n, max;
	unsigned int fix[32]; /* jumps of the current rule to patch to the next rule */
	unsigned int nfix;
	int overflow;
};

static void emit(struct bpf_prog *b, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (b->n >= b->max) {
		b->overflow = 1;
		return;
	}
	b->insn[b->n++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

static void fail_jump(struct bpf_prog *b)
{
	if (b->nfix >= sizeof(b->fix) / sizeof(b->fix[0])) {
		b->overflow = 1;
		return;
	}
	b->fix[b->nfix++] = b->n - 1;
}

/* Condition: word at @off == @k, else next rule. */
static void cond_eq(struct bpf_prog *b, uint32_t off, uint32_t k)
{
	emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, off);
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, k); /* jf patched */
	fail_jump(b);
}

/* Condition: word at @off >= @k (unsigned). */
static void cond_ge(struct bpf_prog *b, uint32_t off, uint32_t k)
{
	emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, off);
	emit(b, BPF_JMP | BPF_JGE | BPF_K, 0, 0, k); /* jf patched */
	fail_jump(b);
}

/* Condition: word at @off < @k (unsigned): JGE k jumps (jt) to the next rule. */
static void cond_lt(struct bpf_prog *b, uint32_t off, uint32_t k)
{
	emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, off);
	emit(b, BPF_JMP | BPF_JGE | BPF_K, 0, 0, k);
	if (b->n && !b->overflow)
		b->insn[b->n - 1].jt = 0xff; /* marker: patch jt instead of jf */
	fail_jump(b);
}

static void cond_eq64(struct bpf_prog *b, uint32_t off_lo, uint64_t v)
{
	cond_eq(b, off_lo, (uint32_t)v);
	cond_eq(b, off_lo + 4, (uint32_t)(v >> 32));
}

static void ret(struct bpf_prog *b, uint32_t action)
{
	emit(b, BPF_RET | BPF_K, 0, 0, action);
}

/* End a rule with RET ALLOW and point its failed conditions at what follows. */
static void rule_end(struct bpf_prog *b)
{
	ret(b, SECCOMP_RET_ALLOW);
	for (unsigned int i = 0; i < b->nfix && !b->overflow; i++) {
		unsigned int at = b->fix[i];
		unsigned int dist = b->n - at - 1;

		if (dist > 255) {
			b->overflow = 1;
			break;
		}
		if (b->insn[at].jt == 0xff)
			b->insn[at].jt = dist;
		else
			b->insn[at].jf = dist;
	}
	b->nfix = 0;
}

/*
 * Every program starts by refusing any other ABI (i386 via int 0x80 or a 32-bit CS), then
 * deals with numbers no x86-64 kernel has (x32's, syscall(-1)) with @big_nr.
 */
static void check_arch(struct bpf_prog *b, uint32_t big_nr)
{
	emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFF_ARCH);
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, AUDIT_ARCH_X86_64);
	ret(b, SECCOMP_RET_KILL_PROCESS);
	emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFF_NR);
	emit(b, BPF_JMP | BPF_JGE | BPF_K, 0, 1, SYSTRAP_NR_LIMIT);
	ret(b, big_nr);
}

static void site(struct bpf_prog *b, const char *sym)
{
	cond_eq(b, OFF_IP_LO, (uint32_t)systrap_stub_addr(sym));
}

/*
 * Guest threads. A syscall from outside the stub region traps (SIGSYS to the handler).
 * From inside it, only the handler's sites with their own syscall and checked arguments
 * run; anything else there kills the stub process, so a guest that jumps into the stub
 * with hostile registers gains nothing but its own death.
 */
static void guest_body(struct bpf_prog *b)
{
	uint64_t base = systrap_region.base;
	uint32_t msg_lo = (uint32_t)(base + STUB_MSG_OFF);

	emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, OFF_IP_HI);
	emit(b, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, (uint32_t)(base >> 32));
	ret(b, SECCOMP_RET_TRAP);

	site(b, systrap_site_sigreturn);
	cond_eq(b, OFF_NR, __NR_rt_sigreturn);
	rule_end(b);

	/* futex(msg word, FUTEX_WAIT or FUTEX_WAKE, ...) on some thread's message. */
	for (int op = FUTEX_WAIT; op <= FUTEX_WAKE; op++) {
		site(b, systrap_site_futex);
		cond_eq(b, OFF_NR, __NR_futex);
		cond_eq64(b, OFF_ARG_LO(1), op);
		cond_eq(b, OFF_ARG_HI(0), (uint32_t)(base >> 32));
		cond_ge(b, OFF_ARG_LO(0), msg_lo);
		cond_lt(b, OFF_ARG_LO(0), msg_lo + STUB_MSG_AREA);
		rule_end(b);
	}

	/* fs/gs base without FSGSBASE: only the thread's own bases. */
	static const uint32_t codes[] = { ARCH_SET_FS, ARCH_GET_FS, ARCH_SET_GS, ARCH_GET_GS };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		site(b, systrap_site_arch_prctl);
		cond_eq(b, OFF_NR, __NR_arch_prctl);
		cond_eq64(b, OFF_ARG_LO(0), codes[i]);
		rule_end(b);
	}
	ret(b, SECCOMP_RET_KILL_PROCESS);
}

static void build_guest(struct bpf_prog *b)
{
	/* A guest's syscall(-1) or x32 number gets ENOSYS, as from Linux. */
	check_arch(b, SECCOMP_RET_ERRNO | ENOSYS);
	guest_body(b);
}

/*
 * The spawner and, until they install the guest filter, the threads it creates. Seccomp
 * filters stack and the most restrictive result wins, so a new guest thread runs under
 * (this filter + guest filter). This filter is the guest filter with extra ALLOW rules in
 * front, each for a syscall instruction of the spawner or of the child's set-up code; the
 * guest filter kills every syscall from those instructions (stub region, not a handler
 * site). So for every syscall both filters give the guest filter's answer: the stacked
 * pair behaves exactly like the guest filter alone. The arch check must match the guest
 * filter's for the same reason.
 */
static void build_spawner(struct bpf_prog *b, int ack_wfd)
{
	uint64_t base = systrap_region.base;
	uint32_t hi = (uint32_t)(base >> 32);
	uint32_t sstab_lo = (uint32_t)(base + STUB_SSTAB_OFF);
	uint64_t init = base + STUB_INIT_OFF;

	check_arch(b, SECCOMP_RET_ERRNO | ENOSYS);

	cond_eq(b, OFF_IP_HI, hi);
	site(b, systrap_site_p_futex);
	cond_eq(b, OFF_NR, __NR_futex);
	cond_eq64(b, OFF_ARG_LO(0), base + STUB_CTRL_OFF + SPAWN_SEQ);
	cond_eq64(b, OFF_ARG_LO(1), FUTEX_WAIT);
	rule_end(b);

	/* Only a thread in this process, on no new stack: clone(STUB_THREAD_CLONE, 0, ...). */
	cond_eq(b, OFF_IP_HI, hi);
	site(b, systrap_site_p_clone);
	cond_eq(b, OFF_NR, __NR_clone);
	cond_eq64(b, OFF_ARG_LO(0), STUB_THREAD_CLONE);
	cond_eq64(b, OFF_ARG_LO(1), 0);
	rule_end(b);

	cond_eq(b, OFF_IP_HI, hi);
	site(b, systrap_site_p_write);
	cond_eq(b, OFF_NR, __NR_write);
	cond_eq(b, OFF_ARG_LO(0), (uint32_t)ack_wfd);
	cond_eq64(b, OFF_ARG_LO(2), 8);
	rule_end(b);

	cond_eq(b, OFF_IP_HI, hi);
	site(b, systrap_site_c_settid);
	cond_eq(b, OFF_NR, __NR_set_tid_address);
	cond_eq64(b, OFF_ARG_LO(0), 0);
	rule_end(b);

	/* sigaltstack(an entry of the read-only table, NULL). */
	cond_eq(b, OFF_IP_HI, hi);
	site(b, systrap_site_c_sigaltstack);
	cond_eq(b, OFF_NR, __NR_sigaltstack);
	cond_eq(b, OFF_ARG_HI(0), hi);
	cond_ge(b, OFF_ARG_LO(0), sstab_lo);
	cond_lt(b, OFF_ARG_LO(0), sstab_lo + STUB_MAX_THREADS * STUB_SS_SIZE);
	cond_eq64(b, OFF_ARG_LO(1), 0);
	rule_end(b);

	cond_eq(b, OFF_IP_HI, hi);
	site(b, systrap_site_c_sigmask);
	cond_eq(b, OFF_NR, __NR_rt_sigprocmask);
	cond_eq64(b, OFF_ARG_LO(0), SIG_SETMASK);
	cond_eq64(b, OFF_ARG_LO(1), init + INIT_MASK_EMPTY);
	cond_eq64(b, OFF_ARG_LO(2), 0);
	rule_end(b);

	/* seccomp(SET_MODE_FILTER, 0, the guest program): only ever adds the guest filter. */
	cond_eq(b, OFF_IP_HI, hi);
	site(b, systrap_site_c_seccomp);
	cond_eq(b, OFF_NR, __NR_seccomp);
	cond_eq64(b, OFF_ARG_LO(0), SECCOMP_SET_MODE_FILTER);
	cond_eq64(b, OFF_ARG_LO(1), 0);
	cond_eq64(b, OFF_ARG_LO(2), init + INIT_GPROG);
	rule_end(b);

	guest_body(b);
}

/*
 * The syscall thread never runs guest code and reads only read-only memory; its filter
 * is defence in depth: futex wait on the request word, mmap of the memory file
 * (MAP_SHARED|MAP_FIXED, below the stub), munmap below the stub, and 8-byte acks.
 */
static void build_syscall_thread(struct bpf_prog *b, int memfd, int ack_wfd)
{
	uint64_t base = systrap_region.base;
	uint32_t hi = (uint32_t)(base >> 32);

	check_arch(b, SECCOMP_RET_KILL_PROCESS);

	cond_eq(b, OFF_IP_HI, hi);
	site(b, systrap_site_s_futex);
	cond_eq(b, OFF_NR, __NR_futex);
	cond_eq64(b, OFF_ARG_LO(0), base + STUB_CTRL_OFF + REQ_SEQ);
	cond_eq64(b, OFF_ARG_LO(1), FUTEX_WAIT);
	rule_end(b);

	cond_eq(b, OFF_IP_HI, hi);
	site(b, systrap_site_s_mmap);
	cond_eq(b, OFF_NR, __NR_mmap);
	cond_lt(b, OFF_ARG_HI(0), hi);
	cond_eq64(b, OFF_ARG_LO(3), MAP_SHARED | MAP_FIXED);
	cond_eq(b, OFF_ARG_LO(4), (uint32_t)memfd);
	rule_end(b);

	cond_eq(b, OFF_IP_HI, hi);
	site(b, systrap_site_s_munmap);
	cond_eq(b, OFF_NR, __NR_munmap);
	cond_lt(b, OFF_ARG_HI(0), hi);
	rule_end(b);

	cond_eq(b, OFF_IP_HI, hi);
	site(b, systrap_site_s_write);
	cond_eq(b, OFF_NR, __NR_write);
	cond_eq(b, OFF_ARG_LO(0), (uint32_t)ack_wfd);
	cond_eq64(b, OFF_ARG_LO(2), 8);
	rule_end(b);

	ret(b, SECCOMP_RET_KILL_PROCESS);
}

int systrap_build_filters(uint8_t *init, int memfd, int ack_wfd)
{
	uint64_t stub_init = systrap_region.base + STUB_INIT_OFF;
	struct bpf_prog g = { .insn = (struct sock_filter *)(init + INIT_GFILTER),
			      .max = INIT_FILTER_MAX };
	struct bpf_prog s = { .insn = (struct sock_filter *)(init + INIT_SFILTER),
			      .max = INIT_FILTER_MAX };
	struct sock_fprog gp, sp;

	struct bpf_prog pr = { .insn = (struct sock_filter *)(init + INIT_PFILTER),
			       .max = INIT_FILTER_MAX };
	struct sock_fprog pp;

	build_guest(&g);
	build_syscall_thread(&s, memfd, ack_wfd);
	build_spawner(&pr, ack_wfd);
	if (g.overflow || s.overflow || pr.overflow)
		return -E2BIG;
	/* The programs as the stub sees them: in its read-only copy of the init data. */
	gp = (struct sock_fprog){ .len = g.n,
				  .filter = (struct sock_filter *)(stub_init + INIT_GFILTER) };
	sp = (struct sock_fprog){ .len = s.n,
				  .filter = (struct sock_filter *)(stub_init + INIT_SFILTER) };
	memcpy(init + INIT_GPROG, &gp, sizeof(gp));
	pp = (struct sock_fprog){ .len = pr.n,
				  .filter = (struct sock_filter *)(stub_init + INIT_PFILTER) };
	memcpy(init + INIT_SPROG, &sp, sizeof(sp));
	memcpy(init + INIT_PPROG, &pp, sizeof(pp));
	return 0;
}
