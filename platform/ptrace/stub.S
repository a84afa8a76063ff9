/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ptrace stub: position-independent code copied to the stub region. No libc, no stack,
 * no stack protector, no sanitizer. A forked stub cleans itself up and stops; afterwards
 * the Sentry only ever points its registers at guest code or at ptrace_stub_syscall.
 */
#include <asm/unistd.h>
#include "platform/ptrace/ptrace_impl.h"

#define SIGKILL 9
#define SIGSTOP 19
#define SIGCHLD 17
#define SIG_SETMASK 2
#define PR_SET_PDEATHSIG 1
#define RSEQ_FLAG_UNREGISTER 1
#define RSEQ_SIG 0x53053053

	.text

/*
 * ptrace_clone_stub(memfd, entry, rseq, rseq_len) - runs in the Sentry: fork(); the
 * child jumps to entry(memfd, rseq, rseq_len) without returning into C.
 */
	.globl ptrace_clone_stub
	.hidden ptrace_clone_stub
	.type ptrace_clone_stub, @function
ptrace_clone_stub:
	push %rbx
	push %r12
	push %r13
	push %r14
	mov %rdi, %rbx
	mov %rsi, %r12
	mov %rdx, %r13
	mov %rcx, %r14
	mov $SIGCHLD, %edi
	xor %esi, %esi
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	mov $__NR_clone, %eax
	syscall
	test %rax, %rax
	jz 1f
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	ret
1:	mov %rbx, %rdi
	mov %r13, %rsi
	mov %r14, %rdx
	jmp *%r12
	.size ptrace_clone_stub, . - ptrace_clone_stub

/* Everything from here to ptrace_stub_end is copied into the stub region. */
	.p2align 12
	.globl ptrace_stub_start
	.hidden ptrace_stub_start
ptrace_stub_start:
.Lstart:

/*
 * ptrace_stub_entry(memfd, rseq, rseq_len) - first code of a new stub, still running on
 * a copy of the Sentry: drop all of it, then stop until the tracer takes over.
 */
	.globl ptrace_stub_entry
	.hidden ptrace_stub_entry
ptrace_stub_entry:
	endbr64
	xor %esp, %esp /* no stack: nothing below may touch memory outside the region */
	mov %rdi, %r12
	lea .Lstart(%rip), %rbx
	/*
	 * Unregister glibc's rseq area inherited from the forking thread before it is
	 * unmapped (else the kernel's next rseq update kills us with SIGSEGV). glibc >= 2.40
	 * reports a feature size smaller than the registered 32 bytes: try both.
	 */
	test %rsi, %rsi
	jz 1f
	mov %rsi, %r13
	mov %rsi, %rdi
	mov %edx, %esi
	mov $RSEQ_FLAG_UNREGISTER, %edx
	mov $RSEQ_SIG, %r10d
	mov $__NR_rseq, %eax
	syscall
	mov %r13, %rdi
	mov $32, %esi
	mov $RSEQ_FLAG_UNREGISTER, %edx
	mov $RSEQ_SIG, %r10d
	mov $__NR_rseq, %eax
	syscall
1:	/* Empty signal mask: the interrupt signal must always reach the tracer. */
	mov $SIG_SETMASK, %edi
	lea .Lzero(%rip), %rsi
	xor %edx, %edx
	mov $8, %r10d
	mov $__NR_rt_sigprocmask, %eax
	syscall
	test %rax, %rax
	jnz .Lfail
	mov $PR_SET_PDEATHSIG, %edi
	mov $SIGKILL, %esi
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	mov $__NR_prctl, %eax
	syscall
	test %rax, %rax
	jnz .Lfail
	/* Close every fd but the memory file. */
	test %r12d, %r12d
	jz 2f
	xor %edi, %edi
	lea -1(%r12), %rsi
	xor %edx, %edx
	mov $__NR_close_range, %eax
	syscall
	test %rax, %rax
	jnz .Lfail
2:	lea 1(%r12), %rdi
	mov $-1, %esi
	xor %edx, %edx
	mov $__NR_close_range, %eax
	syscall
	test %rax, %rax
	jnz .Lfail
	/* Unmap the inherited copy of the Sentry: everything but the stub region. */
	xor %edi, %edi
	mov %rbx, %rsi
	mov $__NR_munmap, %eax
	syscall
	test %rax, %rax
	jnz .Lfail
	lea PTRACE_REGION_SIZE(%rbx), %rdi
	mov $PTRACE_TASK_TOP, %rsi
	sub %rdi, %rsi
	mov $__NR_munmap, %eax
	syscall
	test %rax, %rax
	jnz .Lfail
	/* Stop until the tracer points us somewhere (it never lets us out of here). */
.Lstop:
	mov $__NR_getpid, %eax
	syscall
	mov %rax, %rdi
	mov $SIGSTOP, %esi
	mov $__NR_kill, %eax
	syscall
	jmp .Lstop
.Lfail:
	mov $111, %edi
	mov $__NR_exit_group, %eax
	syscall
	ud2

/*
 * ptrace_stub_syscall - injected syscalls: the tracer loads rax and the arguments, sets
 * rip here and continues; the int3 stops the stub again with the result in rax.
 */
	.p2align 4
	.globl ptrace_stub_syscall
	.hidden ptrace_stub_syscall
ptrace_stub_syscall:
	syscall
	int3
	ud2

/*
 * ptrace_stub_fork - an injected fork (clone(SIGCHLD)) in the zygote: the zygote stops at
 * the int3 with the child's pid in rax; the child (an exact copy: stub region, memory file,
 * empty signal mask) asks for SIGKILL when the zygote dies and stops like a new stub.
 */
	.p2align 4
	.globl ptrace_stub_fork
	.hidden ptrace_stub_fork
ptrace_stub_fork:
	syscall
	test %rax, %rax
	jz 1f
	int3
	.globl ptrace_stub_fork_ret
	.hidden ptrace_stub_fork_ret
ptrace_stub_fork_ret:
	ud2
1:	mov $PR_SET_PDEATHSIG, %edi
	mov $SIGKILL, %esi
	xor %edx, %edx
	xor %r10d, %r10d
	xor %r8d, %r8d
	mov $__NR_prctl, %eax
	syscall
	test %rax, %rax
	jnz .Lfail
	jmp .Lstop

/*
 * ptrace_stub_clone - an injected clone(CLONE_THREAD|...): the parent (the control thread)
 * stops at the int3 with the new tid in rax; the new thread (rax 0) parks.
 */
	.p2align 4
	.globl ptrace_stub_clone
	.hidden ptrace_stub_clone
ptrace_stub_clone:
	syscall
	test %rax, %rax
	jz ptrace_stub_park
	int3
	.globl ptrace_stub_clone_ret
	.hidden ptrace_stub_clone_ret
ptrace_stub_clone_ret:
	ud2

/*
 * ptrace_stub_park - an untraced idle thread: pause() forever (no signal it can receive
 * has a handler). A tracer takes it with PTRACE_SEIZE + PTRACE_INTERRUPT; a thread is
 * put back here (registers) before PTRACE_DETACH. Never touches memory.
 */
	.globl ptrace_stub_park
	.hidden ptrace_stub_park
ptrace_stub_park:
	mov $__NR_pause, %eax
	syscall
	jmp ptrace_stub_park

	.p2align 3
.Lzero:
	.quad 0
/* struct kernel_sigaction {SIG_IGN, flags 0, restorer 0, mask 0}: the zygote's SIGCHLD. */
	.globl ptrace_stub_sigign
	.hidden ptrace_stub_sigign
ptrace_stub_sigign:
	.quad 1, 0, 0, 0

	.p2align 4
	.globl ptrace_stub_end
	.hidden ptrace_stub_end
ptrace_stub_end:

	.section .note.GNU-stack, "", @progbits
