/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The systrap stub: position-independent code copied to the stub region of every stub
 * process. No libc, no stack protector, no sanitizer. It sets the stub up, runs the
 * syscall thread that performs mapping requests, and hosts the signal handler that hands
 * guest traps to the Sentry. Layout and protocol: systrap_impl.h and README.md.
 */
#include <asm/unistd.h>
#include "platform/systrap/systrap_impl.h"

#define SIGSYS 31
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define PROT_READ 1
#define MAP_SHARED 1
#define MAP_FIXED 0x10
#define SIG_SETMASK 2
#define SECCOMP_SET_MODE_FILTER 1
#define ENOSYS 38
#define EINVAL 22

#define CTRL(x) (STUB_CTRL_OFF + (x))(%rbx)
#define ZYG(x) (STUB_ZYG_OFF + (x))(%rbx)
#define CLONE_PARENT 0x8000
#define SIGCHLD 17
#define MSG_CTRUNC 8
#define EBADF 9
#define INIT(x) (STUB_INIT_OFF + (x))(%rbx)

	.text

/*
 * systrap_clone_stub(arg, entry) - runs in the Sentry. fork(); the child jumps to entry
 * with arg in %rdi without returning into C (its stack is a stale copy).
 */
	.globl systrap_clone_stub
	.hidden systrap_clone_stub
	.type systrap_clone_stub, @function
systrap_clone_stub:
	mov %rdi, %r8
	mov %rsi, %r9
	mov $17, %edi /* SIGCHLD */
	xor %esi, %esi
	xor %edx, %edx
	xor %r10d, %r10d
	mov $__NR_clone, %eax
	syscall
	test %rax, %rax
	jnz 1f
	mov %r8, %rdi
	jmp *%r9
1:	ret
	.size systrap_clone_stub, . - systrap_clone_stub

/* Everything from here to systrap_stub_end is copied into the stub region. */
	.p2align 12
	.globl systrap_stub_start
	.hidden systrap_stub_start
systrap_stub_start:
.Lstart:

/*
 * systrap_stub_entry(shmfd) - first code of a new stub process (thread 0). Trusted phase:
 * no guest code has run and no filter is installed yet.
 */
	.globl systrap_stub_entry
	.hidden systrap_stub_entry
systrap_stub_entry:
	lea .Lstart(%rip), %rbx
	lea (STUB_STACKS_OFF + STUB_STACK_SIZE)(%rbx), %rsp
	mov %rdi, %r12
	/* Map the control pages read-only: everything else comes from there. */
	lea STUB_CTRL_OFF(%rbx), %rdi
	mov $STUB_CTRL_SIZE, %esi
	mov $PROT_READ, %edx
	mov $(MAP_SHARED | MAP_FIXED), %r10d
	mov %r12, %r8
	xor %r9d, %r9d
	mov $__NR_mmap, %eax
	syscall
	cmp %rdi, %rax
	jne .Lentry_fail
	/* Run the init table the Sentry prepared (closes fds, unmaps the rest, handlers...). */
	mov INIT(INIT_NCALLS), %r14
	lea INIT(INIT_CALLS), %r15
	call .Lrun_calls
	test %rax, %rax
	jnz .Lentry_fail
	/* The syscall thread: shares everything, but gets its own filter. */
	mov $STUB_THREAD_CLONE, %edi
	xor %esi, %esi
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	mov $__NR_clone, %eax
	syscall
	test %rax, %rax
	js .Lentry_fail
	jz .Lsyscall_thread
	/* The spawner: creates guest threads on request (see .Lspawner). */
	mov $STUB_THREAD_CLONE, %edi
	xor %esi, %esi
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	mov $__NR_clone, %eax
	syscall
	test %rax, %rax
	js .Lentry_fail
	jz .Lspawner
	/* Thread 0 becomes a guest thread: install the guest filter, then report in. */
	mov $SECCOMP_SET_MODE_FILTER, %edi
	xor %esi, %esi
	lea INIT(INIT_GPROG), %rdx
	mov $__NR_seccomp, %eax
	syscall
	test %rax, %rax
	jnz .Lentry_fail
	.globl systrap_stub_init_trap
	.hidden systrap_stub_init_trap
systrap_stub_init_trap:
	ud2 /* SIGILL -> handler -> MSG_KIND_INIT; the Sentry's first switch_to replaces all regs */
.Lentry_fail:
	mov $111, %edi
	mov $__NR_exit_group, %eax
	syscall
	ud2

/*
 * .Lrun_calls - run %r14 calls (struct systrap_init_call) from the table at %r15.
 * Returns %rax = 0, or -1 as soon as a must-succeed call fails.
 */
.Lrun_calls:
1:	test %r14, %r14
	jz 3f
	mov 8(%r15), %rdi
	mov 16(%r15), %rsi
	mov 24(%r15), %rdx
	mov 32(%r15), %r10
	mov 40(%r15), %r8
	mov 48(%r15), %r9
	mov (%r15), %rax
	syscall
	cmpq $0, 56(%r15)
	je 2f
	cmp $-4095, %rax
	jae 4f
2:	add $64, %r15
	dec %r14
	jmp 1b
3:	xor %eax, %eax
	ret
4:	mov $-1, %rax
	ret

/*
 * systrap_zygote_entry(sock) - the zygote, forked from the Sentry once at platform init
 * (before the Sentry installs any seccomp filter of its own). It runs its init table
 * (rseq off, parent-death SIGKILL, not dumpable, socket moved to ZYG_SOCK, every other fd
 * closed, everything outside the stub region unmapped, signals blocked), reports ready,
 * then forks one stub per request: the child gets the three received fds at 0, 1, 2 and
 * enters systrap_stub_entry; with CLONE_PARENT it is the Sentry's child, exactly as if the
 * Sentry had forked it. The zygote never runs guest code and has no guest-writable input.
 */
	.globl systrap_zygote_entry
	.hidden systrap_zygote_entry
systrap_zygote_entry:
	lea .Lstart(%rip), %rbx
	lea (STUB_ZYG_OFF + STUB_ZYG_SIZE)(%rbx), %rsp
	mov ZYG(ZYG_NCALLS), %r14
	lea ZYG(ZYG_CALLS), %r15
	call .Lrun_calls
	test %rax, %rax
	jnz .Lz_exit
	mov $ZYG_SOCK, %edi
	lea ZYG(ZYG_READY), %rsi
	mov $8, %edx
	mov $__NR_write, %eax
	syscall
	cmp $8, %rax
	jne .Lz_exit
.Lz_loop:
	/* msghdr: one 8-byte iovec, room for exactly three fds. */
	lea ZYG(ZYG_IOV), %rdx
	lea ZYG(ZYG_BUF), %rax
	mov %rax, (%rdx)
	movq $8, 8(%rdx)
	lea ZYG(ZYG_MSG), %rsi
	movq $0, 0(%rsi)
	movq $0, 8(%rsi)
	mov %rdx, 16(%rsi)
	movq $1, 24(%rsi)
	lea ZYG(ZYG_CMSG), %rax
	mov %rax, 32(%rsi)
	movq $32, 40(%rsi)
	movq $0, 48(%rsi)
	movq $0, ZYG(ZYG_CMSG)
	mov $ZYG_SOCK, %edi
	xor %edx, %edx
	mov $__NR_recvmsg, %eax
	syscall
	test %rax, %rax
	jle .Lz_exit /* EOF or error: the Sentry is gone */
	mov $-EBADF, %r13
	testl $MSG_CTRUNC, ZYG(ZYG_MSG + 48)
	jnz .Lz_reply
	cmpq $28, ZYG(ZYG_CMSG) /* CMSG_LEN(3 * sizeof(int)) */
	jne .Lz_reply
	cmpl $1, ZYG(ZYG_CMSG + 8) /* SOL_SOCKET */
	jne .Lz_reply
	cmpl $1, ZYG(ZYG_CMSG + 12) /* SCM_RIGHTS */
	jne .Lz_reply
	cmpl $STUB_FD_SHM, ZYG(ZYG_CMSG + 16)
	jne .Lz_reply
	cmpl $STUB_FD_MEM, ZYG(ZYG_CMSG + 20)
	jne .Lz_reply
	cmpl $STUB_FD_ACK, ZYG(ZYG_CMSG + 24)
	jne .Lz_reply
	mov $(CLONE_PARENT | SIGCHLD), %edi
	xor %esi, %esi
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	mov $__NR_clone, %eax
	syscall
	test %rax, %rax
	jz .Lz_child
	mov %rax, %r13
.Lz_reply:
	/* Drop the received fds (the stub has its copies), answer the pid or -errno. */
	xor %edi, %edi
	mov $(ZYG_SOCK - 1), %esi
	xor %edx, %edx
	mov $__NR_close_range, %eax
	syscall
	mov %r13, ZYG(ZYG_REPLY)
	mov $ZYG_SOCK, %edi
	lea ZYG(ZYG_REPLY), %rsi
	mov $8, %edx
	mov $__NR_write, %eax
	syscall
	cmp $8, %rax
	je .Lz_loop
.Lz_exit:
	xor %edi, %edi
	mov $__NR_exit_group, %eax
	syscall
	ud2
.Lz_child:
	mov $STUB_FD_SHM, %edi
	jmp systrap_stub_entry

/*
 * The syscall thread. It uses no memory that the guest can write: registers only (it has
 * no stack at all: %rsp = 0), the read-only control pages, and the code. Requests are
 * read from ctrl page 0 (written by the Sentry), acks go to the pipe that only this
 * thread can write to. Its filter allows exactly its four syscall sites.
 */
.Lsyscall_thread:
	xor %esp, %esp
	mov $SIG_SETMASK, %edi
	lea INIT(INIT_MASK_FULL), %rsi
	xor %edx, %edx
	mov $8, %r10d
	mov $__NR_rt_sigprocmask, %eax
	syscall
	test %rax, %rax
	jnz .Ls_die
	mov $SECCOMP_SET_MODE_FILTER, %edi
	xor %esi, %esi
	lea INIT(INIT_SPROG), %rdx
	mov $__NR_seccomp, %eax
	syscall
	test %rax, %rax
	jnz .Ls_die
	xor %r12d, %r12d /* last request seen */
	lea INIT(INIT_READY), %rsi
	jmp .Ls_send
.Ls_loop:
	/* Requests come in bursts (a fault maps several ranges): spin briefly first. */
	mov $STUB_REQ_SPIN, %ecx
1:	mov CTRL(REQ_SEQ), %eax
	cmp %eax, %r12d
	jne .Ls_got
	pause
	dec %ecx
	jnz 1b
	lea CTRL(REQ_SEQ), %rdi
	mov $FUTEX_WAIT, %esi
	mov %r12d, %edx
	xor %r10d, %r10d
	mov $__NR_futex, %eax
	syscall
	.globl systrap_site_s_futex
	.hidden systrap_site_s_futex
systrap_site_s_futex:
	jmp .Ls_loop
.Ls_got:
	mov %eax, %r12d
	xor %r13d, %r13d /* vector: next entry */
	xor %r14d, %r14d /* vector: entries; 0 for a single request */
	mov CTRL(REQ_OP), %rax
	cmp $REQ_OP_MAPV, %rax
	jne .Ls_single
	mov CTRL(REQ_N), %r14
	mov $-EINVAL, %rax
	test %r14, %r14
	jz .Ls_ack
	cmp $REQ_VEC_MAX, %r14
	ja .Ls_ack
.Ls_vnext:
	mov %r13, %rax
	shl $REQ_ENT_SHIFT, %rax
	mov (STUB_CTRL_OFF + REQ_VEC)(%rbx, %rax), %rdi
	mov (STUB_CTRL_OFF + REQ_VEC + 8)(%rbx, %rax), %rsi
	mov (STUB_CTRL_OFF + REQ_VEC + 16)(%rbx, %rax), %rdx
	mov (STUB_CTRL_OFF + REQ_VEC + 24)(%rbx, %rax), %r9
	jmp .Ls_mmap
.Ls_single:
	cmp $REQ_OP_MAP, %rax
	jne 1f
	mov CTRL(REQ_VA), %rdi
	mov CTRL(REQ_LEN), %rsi
	mov CTRL(REQ_PROT), %rdx
	mov CTRL(REQ_OFF), %r9
.Ls_mmap:
	mov $(MAP_SHARED | MAP_FIXED), %r10d
	mov INIT(INIT_MEMFD), %r8
	mov $__NR_mmap, %eax
	syscall
	.globl systrap_site_s_mmap
	.hidden systrap_site_s_mmap
systrap_site_s_mmap:
	test %r14, %r14
	jz .Ls_ack
	cmp $-4095, %rax
	jae .Ls_ack /* a failed entry ends the vector: error ack */
	inc %r13
	cmp %r14, %r13
	jb .Ls_vnext
	xor %eax, %eax
	jmp .Ls_ack
1:	cmp $REQ_OP_UNMAP, %rax
	jne 2f
	mov CTRL(REQ_VA), %rdi
	mov CTRL(REQ_LEN), %rsi
	mov $__NR_munmap, %eax
	syscall
	.globl systrap_site_s_munmap
	.hidden systrap_site_s_munmap
systrap_site_s_munmap:
	jmp .Ls_ack
2:	mov $-EINVAL, %rax
.Ls_ack:
	lea CTRL(REQ_ACK_OK), %rsi
	cmp $-4095, %rax
	jb .Ls_send
	lea CTRL(REQ_ACK_ERR), %rsi
.Ls_send:
	mov INIT(INIT_ACKFD), %rdi
	mov $8, %edx
	mov $__NR_write, %eax
	syscall
	.globl systrap_site_s_write
	.hidden systrap_site_s_write
systrap_site_s_write:
	cmp $8, %rax
	je .Ls_loop
.Ls_die:
	ud2 /* SIGILL is blocked here: the kernel kills the whole stub */

/*
 * The spawner. Like the syscall thread it has no stack and reads only the read-only control
 * pages. Its filter is the guest filter plus ALLOW rules for its own sites and for the
 * sites of the child's set-up below; the guest filter kills every one of those sites, so a
 * child carries (spawner filter + guest filter) == exactly the guest filter.
 * Request: ctrl SPAWN_SEQ bumped, SPAWN_SLOT = slot of the new thread. Ack: 8 bytes of
 * SPAWN_ACK_OK (clone succeeded) or SPAWN_ACK_ERR; the Sentry then waits for the child's
 * init trap in message SPAWN_SLOT.
 */
.Lspawner:
	xor %esp, %esp
	mov $SIG_SETMASK, %edi
	lea INIT(INIT_MASK_FULL), %rsi
	xor %edx, %edx
	mov $8, %r10d
	mov $__NR_rt_sigprocmask, %eax
	syscall
	test %rax, %rax
	jnz .Lp_die
	mov $SECCOMP_SET_MODE_FILTER, %edi
	xor %esi, %esi
	lea INIT(INIT_PPROG), %rdx
	mov $__NR_seccomp, %eax
	syscall
	test %rax, %rax
	jnz .Lp_die
	xor %r12d, %r12d /* last request seen */
.Lp_loop:
	mov CTRL(SPAWN_SEQ), %eax
	cmp %eax, %r12d
	jne .Lp_got
	lea CTRL(SPAWN_SEQ), %rdi
	mov $FUTEX_WAIT, %esi
	mov %r12d, %edx
	xor %r10d, %r10d
	mov $__NR_futex, %eax
	syscall
	.globl systrap_site_p_futex
	.hidden systrap_site_p_futex
systrap_site_p_futex:
	jmp .Lp_loop
.Lp_got:
	mov %eax, %r12d
	/* The slot travels to the child in %r13: it never reads the request again. */
	mov CTRL(SPAWN_SLOT), %r13
	test %r13, %r13
	jz .Lp_err
	cmp $STUB_MAX_THREADS, %r13
	jae .Lp_err
	mov $STUB_THREAD_CLONE, %edi
	xor %esi, %esi
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	mov $__NR_clone, %eax
	syscall
	.globl systrap_site_p_clone
	.hidden systrap_site_p_clone
systrap_site_p_clone:
	test %rax, %rax
	jz .Lchild
	lea CTRL(SPAWN_ACK_OK), %rsi
	cmp $-4095, %rax
	jb 1f
.Lp_err:
	lea CTRL(SPAWN_ACK_ERR), %rsi
1:	mov INIT(INIT_ACKFD), %rdi
	mov $8, %edx
	mov $__NR_write, %eax
	syscall
	.globl systrap_site_p_write
	.hidden systrap_site_p_write
systrap_site_p_write:
	cmp $8, %rax
	je .Lp_loop
.Lp_die:
	/* No site: both the spawner's and the guest filter kill the whole stub. */
	mov $__NR_exit_group, %eax
	syscall
	ud2

/*
 * A new guest thread (slot in %r13, stub base in %rbx, all signals blocked, no stack,
 * still under the spawner's filter): report its tid, take its alternate stack from the
 * read-only table, unblock signals, install the guest filter and report in like thread 0.
 */
.Lchild:
	xor %edi, %edi
	mov $__NR_set_tid_address, %eax
	syscall /* returns the caller's tid */
	.globl systrap_site_c_settid
	.hidden systrap_site_c_settid
systrap_site_c_settid:
	mov %r13, %rcx
	shl $STUB_MSG_SHIFT, %rcx
	mov %eax, (STUB_MSG_OFF + MSG_TID)(%rbx, %rcx)
	imul $STUB_SS_SIZE, %r13, %rdi
	lea STUB_SSTAB_OFF(%rbx, %rdi), %rdi
	xor %esi, %esi
	mov $__NR_sigaltstack, %eax
	syscall
	.globl systrap_site_c_sigaltstack
	.hidden systrap_site_c_sigaltstack
systrap_site_c_sigaltstack:
	test %rax, %rax
	jnz .Lp_die
	mov $SIG_SETMASK, %edi
	lea INIT(INIT_MASK_EMPTY), %rsi
	xor %edx, %edx
	mov $8, %r10d
	mov $__NR_rt_sigprocmask, %eax
	syscall
	.globl systrap_site_c_sigmask
	.hidden systrap_site_c_sigmask
systrap_site_c_sigmask:
	test %rax, %rax
	jnz .Lp_die
	mov $SECCOMP_SET_MODE_FILTER, %edi
	xor %esi, %esi
	lea INIT(INIT_GPROG), %rdx
	mov $__NR_seccomp, %eax
	syscall
	.globl systrap_site_c_seccomp
	.hidden systrap_site_c_seccomp
systrap_site_c_seccomp:
	test %rax, %rax
	jnz .Lp_die
	jmp systrap_stub_init_trap

/* Helpers called by the handler. Each syscall instruction here is an allowed site. */
.Ldo_futex:
	mov $__NR_futex, %eax
	syscall
	.globl systrap_site_futex
	.hidden systrap_site_futex
systrap_site_futex:
	ret

.Ldo_arch_prctl:
	mov $__NR_arch_prctl, %eax
	syscall
	.globl systrap_site_arch_prctl
	.hidden systrap_site_arch_prctl
systrap_site_arch_prctl:
	ret

	.globl systrap_stub_restorer
	.hidden systrap_stub_restorer
systrap_stub_restorer:
	mov $__NR_rt_sigreturn, %eax
	syscall
	.globl systrap_site_sigreturn
	.hidden systrap_site_sigreturn
systrap_site_sigreturn:
	ud2

/*
 * .Lfp_size - in: %r14 = ucontext, %rbx = stub base. out: %rsi = fpstate (0 if none),
 * %rcx = bytes to copy: min(frame xstate size, the Sentry's XSAVE size), 512 without XSAVE.
 */
.Lfp_size:
	mov UC_FPREGS(%r14), %rsi
	xor %ecx, %ecx
	test %rsi, %rsi
	jz 1f
	mov $512, %ecx
	cmpl $FP_XSTATE_MAGIC1_VAL, FP_SW_BYTES(%rsi)
	jne 1f
	mov FP_SW_XSTATE_SIZE(%rsi), %ecx
	mov INIT(INIT_XSAVE_SIZE), %rax
	cmp %rax, %rcx
	cmova %rax, %rcx
1:	ret

#define IN(g, r) mov UC_GREG(g)(%r14), %rax; mov %rax, (MSG_REGS + (r))(%r15)
#define OUT(g, r) mov (MSG_REGS + (r))(%r15), %rax; mov %rax, UC_GREG(g)(%r14)

/*
 * systrap_stub_handler(signo, info, uc) - SIGSYS, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP
 * and the interrupt signal, on the thread's alternate stack with all of them blocked.
 * Copies the guest state into this thread's message, hands over to the Sentry, waits for
 * the reply and loads it into the frame; rt_sigreturn (the restorer) resumes the guest.
 */
	.p2align 4
	.globl systrap_stub_handler
	.hidden systrap_stub_handler
systrap_stub_handler:
	cld
	lea .Lstart(%rip), %rbx
	/* Thread index from the alternate stack we run on. */
	mov %rsp, %rax
	sub %rbx, %rax
	sub $STUB_STACKS_OFF, %rax
	jb .Lh_die
	shr $STUB_STACK_SHIFT, %rax
	cmp $STUB_MAX_THREADS, %rax
	jae .Lh_die
	shl $STUB_MSG_SHIFT, %rax
	lea STUB_MSG_OFF(%rbx, %rax), %r15
	mov %rsi, %r13
	mov %rdx, %r14
	mov %edi, %r12d

	mov %rdi, MSG_SIGNO(%r15)
	movslq 8(%r13), %rax
	mov %rax, MSG_CODE(%r15)
	mov 16(%r13), %rax
	mov %rax, MSG_ADDR(%r15)
	mov UC_GREG(G_ERR)(%r14), %rax
	mov %rax, MSG_ERR(%r15)
	mov UC_GREG(G_TRAPNO)(%r14), %rax
	mov %rax, MSG_TRAPNO(%r15)
	movl $MSG_KIND_TRAP, MSG_KIND(%r15)
	lea systrap_stub_init_trap(%rip), %rax
	cmp UC_GREG(G_RIP)(%r14), %rax
	jne 1f
	movl $MSG_KIND_INIT, MSG_KIND(%r15)
1:
	IN(G_R15, R_R15); IN(G_R14, R_R14); IN(G_R13, R_R13); IN(G_R12, R_R12)
	IN(G_RBP, R_RBP); IN(G_RBX, R_RBX); IN(G_R11, R_R11); IN(G_R10, R_R10)
	IN(G_R9, R_R9); IN(G_R8, R_R8); IN(G_RAX, R_RAX); IN(G_RCX, R_RCX)
	IN(G_RDX, R_RDX); IN(G_RSI, R_RSI); IN(G_RDI, R_RDI); IN(G_RIP, R_RIP)
	IN(G_EFL, R_EFLAGS); IN(G_RSP, R_RSP)
	/* orig_rax: the syscall number for SIGSYS (rax was rolled back to it), else -1. */
	mov $-1, %rax
	cmp $SIGSYS, %r12d
	jne 2f
	mov UC_GREG(G_RAX)(%r14), %rax
	movq $-ENOSYS, (MSG_REGS + R_RAX)(%r15)
2:	mov %rax, (MSG_REGS + R_ORIG_RAX)(%r15)
	movzwl UC_GREG(G_CSGSFS)(%r14), %eax
	mov %rax, (MSG_REGS + R_CS)(%r15)
	movzwl (UC_GREG(G_CSGSFS) + 6)(%r14), %eax
	mov %rax, (MSG_REGS + R_SS)(%r15)
	/* fs/gs base: the handler never touches them, so they are still the guest's. */
	testl $INIT_FLAG_FSGSBASE, INIT(INIT_FLAGS)
	jz 3f
	rdfsbase %rax
	mov %rax, (MSG_REGS + R_FS_BASE)(%r15)
	rdgsbase %rax
	mov %rax, (MSG_REGS + R_GS_BASE)(%r15)
	jmp 4f
3:	mov $ARCH_GET_FS, %edi
	lea (MSG_REGS + R_FS_BASE)(%r15), %rsi
	call .Ldo_arch_prctl
	mov $ARCH_GET_GS, %edi
	lea (MSG_REGS + R_GS_BASE)(%r15), %rsi
	call .Ldo_arch_prctl
4:	call .Lfp_size
	mov %rcx, MSG_FPSIZE(%r15)
	test %rsi, %rsi
	jz 5f
	lea MSG_XSAVE(%r15), %rdi
	rep movsb

5:	/* Hand over: TRAPPED, then wake the Sentry if it sleeps (Dekker with its flag). */
	mov $MSG_STATE_TRAPPED, %eax
	xchg %eax, MSG_STATE(%r15)
	cmpl $0, MSG_SENTRY_WAITING(%r15)
	je 6f
	lea MSG_STATE(%r15), %rdi
	mov $FUTEX_WAKE, %esi
	mov $1, %edx
	xor %r10d, %r10d
	call .Ldo_futex
6:	/* Spin budget: set by the Sentry in ctrl (0 when its CPUs are oversubscribed), and
	 * only for kinds of trap the Sentry lately answered within it (ctrl spin table). */
	mov CTRL(CTRL_STUB_SPIN), %ecx
	mov $SPIN_KEY_TRAP, %eax
	cmp $SIGSYS, %r12d
	jne 12f
	mov UC_GREG(G_RAX)(%r14), %rax /* the syscall number (rolled back by the kernel) */
	cmp $SPIN_KEY_SYSCALLS, %rax
	jb 11f
	mov $SPIN_KEY_OTHER, %eax
	jmp 12f
11:	cmp $__NR_futex, %eax
	jne 12f
	mov UC_GREG(G_RSI)(%r14), %rdx
	and $0x7f, %edx
	cmp $31, %edx
	ja 12f
	mov $SPIN_FUTEX_WAIT_OPS, %esi
	bt %edx, %esi
	jnc 12f
	mov $SPIN_KEY_FUTEX_WAIT, %eax
12:	cmpb $0, (STUB_CTRL_OFF + CTRL_SPIN_TAB)(%rbx, %rax)
	jne 7f
	xor %ecx, %ecx
7:	cmpl $MSG_STATE_RESUME, MSG_STATE(%r15)
	je .Lh_resume
	test %ecx, %ecx
	jz 10f
	pause
	dec %ecx
	jmp 7b
10:
	mov $1, %eax
	xchg %eax, MSG_STUB_WAITING(%r15)
8:	cmpl $MSG_STATE_RESUME, MSG_STATE(%r15)
	je 9f
	lea MSG_STATE(%r15), %rdi
	mov $FUTEX_WAIT, %esi
	mov $MSG_STATE_TRAPPED, %edx
	xor %r10d, %r10d
	call .Ldo_futex
	jmp 8b
9:	movl $0, MSG_STUB_WAITING(%r15)

.Lh_resume:
	/* cs/ss stay as the kernel saved them: the Sentry cannot pick segments. */
	OUT(G_R15, R_R15); OUT(G_R14, R_R14); OUT(G_R13, R_R13); OUT(G_R12, R_R12)
	OUT(G_RBP, R_RBP); OUT(G_RBX, R_RBX); OUT(G_R11, R_R11); OUT(G_R10, R_R10)
	OUT(G_R9, R_R9); OUT(G_R8, R_R8); OUT(G_RAX, R_RAX); OUT(G_RCX, R_RCX)
	OUT(G_RDX, R_RDX); OUT(G_RSI, R_RSI); OUT(G_RDI, R_RDI); OUT(G_RIP, R_RIP)
	OUT(G_EFL, R_EFLAGS); OUT(G_RSP, R_RSP)
	testl $INIT_FLAG_FSGSBASE, INIT(INIT_FLAGS)
	jz 3f
	/* wrfsbase faults on a non-canonical value: skip such values. */
	mov (MSG_REGS + R_FS_BASE)(%r15), %rax
	mov %rax, %rdx
	sar $47, %rdx
	inc %rdx
	cmp $1, %rdx
	ja 1f
	wrfsbase %rax
1:	mov (MSG_REGS + R_GS_BASE)(%r15), %rax
	mov %rax, %rdx
	sar $47, %rdx
	inc %rdx
	cmp $1, %rdx
	ja 4f
	wrgsbase %rax
	jmp 4f
3:	mov $ARCH_SET_FS, %edi
	mov (MSG_REGS + R_FS_BASE)(%r15), %rsi
	call .Ldo_arch_prctl
	mov $ARCH_SET_GS, %edi
	mov (MSG_REGS + R_GS_BASE)(%r15), %rsi
	call .Ldo_arch_prctl
4:	/* FPU: copy back, but keep the kernel's fx_sw_bytes (464..511) so the frame stays XSAVE. */
	call .Lfp_size
	test %rsi, %rsi
	jz 5f
	mov %rsi, %rdi
	lea MSG_XSAVE(%r15), %rsi
	mov %rcx, %rdx
	mov $FP_SW_BYTES, %ecx
	cmp %rdx, %rcx
	cmova %rdx, %rcx
	rep movsb
	cmp $512, %rdx
	jbe 5f
	add $48, %rsi
	add $48, %rdi
	lea -512(%rdx), %rcx
	rep movsb
5:	ret /* to systrap_stub_restorer */

.Lh_die:
	ud2 /* SIGILL is blocked in the handler: the kernel kills the stub */

	.p2align 4
	.globl systrap_stub_end
	.hidden systrap_stub_end
systrap_stub_end:

	.section .note.GNU-stack, "", @progbits
