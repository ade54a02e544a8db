/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vkguest entry: multiboot v1 header, our own flat GDT (the loader's
 * GDTR is not ours to keep), the stack, and the interrupt stubs.  Every
 * vector goes through one stub into vk_trap(vector, error code); the C
 * side decides what a vector means.
 */

#define MB_MAGIC	0x1BADB002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.text
	.globl _start
_start:
	cli
	lgdt gdt_desc
	ljmp $0x08, $1f
1:	movw $0x10, %cx
	movw %cx, %ds
	movw %cx, %es
	movw %cx, %fs
	movw %cx, %gs
	movw %cx, %ss
	movl $stack_top, %esp
	pushl %ebx		/* multiboot info */
	pushl %eax		/* multiboot magic */
	call vk_main
2:	cli
	hlt
	jmp 2b

/* Vectors with a CPU error code: 8, 10-14, 17, 21, 29, 30. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
		    (v) == 21 || (v) == 29 || (v) == 30)

	.macro stub v
	.balign 16
	.if !HAS_ERR(\v)
	pushl $0
	.endif
	pushl $\v
	jmp trap_common
	.endm

	.balign 16
	.globl vk_stubs
vk_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stub \v
	.endr
	.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	stub \v
	.endr

trap_common:
	pushal
	cld
	pushl 36(%esp)		/* error code */
	pushl 36(%esp)		/* vector (the push moved it up by 4) */
	call vk_trap
	addl $8, %esp
	popal
	addl $8, %esp
	iret

	.section .rodata
	.balign 8
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: code, flat 4 GiB */
	.quad 0x00cf92000000ffff	/* 0x10: data, flat 4 GiB */
gdt_desc:
	.word gdt_desc - gdt - 1
	.long gdt

	.bss
	.balign 16
	.space 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
