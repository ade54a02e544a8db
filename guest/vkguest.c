// SPDX-License-Identifier: GPL-2.0
/*
 * vkguest - a tiny x86 guest that proves its RAM and its execution state
 * survive a host kexec.
 *
 * Loaded by QEMU's multiboot v1 loader (-kernel) in 32-bit protected
 * mode; RAM size from the multiboot memory info.  It halts between PIT
 * interrupts (HZ per second), so several run in one TCG machine.  On
 * every interrupt it moves a pattern a few pages further through all RAM
 * above 2 MiB: each page is first checked against what the previous
 * sweep wrote there, then rewritten with words derived from (sweep,
 * address).  At boot the whole area gets sweep 0, so at any instant every
 * pattern page has a known content: the pages behind the cursor hold
 * sweep S + 1, the rest sweep S.  Once a second it also checks one page
 * far from the cursor, so the whole area is sampled while the sweep is
 * slow, and prints
 *
 *	vkguest: tick N ok sweep S page P csum C
 *
 * N counts seconds of guest time since BOOT; C is the sum of every word
 * checked so far.  Both live in guest RAM like everything else, and are a
 * function of N alone, so a guest whose RAM and CPU state came back
 * prints exactly what an uninterrupted one would.  A mismatch prints
 * "vkguest: RAM ERROR at ADDR ..." and the tick lines say "bad" from then
 * on.  "vkguest: BOOT" is printed once, at boot: a second one in a log is
 * a reset.  No libc, no paging, no floating point.
 */

#define HZ		20		/* PIT interrupts per second */
#define PAGES_PER_IRQ	4		/* pattern pages rewritten per interrupt */
#define PAGE_SIZE	4096u
#define PAT_START	0x200000u	/* the image and its stack stay below */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define __packed	__attribute__((packed))
#define __aligned(x)	__attribute__((aligned(x)))

struct mb_info {
	u32 flags;
	u32 mem_lower;		/* KiB below 1 MiB */
	u32 mem_upper;		/* KiB from 1 MiB to the first hole */
};

struct idt_entry {
	u16 off_lo;
	u16 sel;
	u8 zero;
	u8 type;
	u16 off_hi;
} __packed;

static struct idt_entry idt[48] __aligned(8);
extern char vk_stubs[];	/* head.S: 48 stubs, 16 bytes apart */

/* All state is in guest RAM: it must come back exactly as it was. */
static volatile u32 seconds;	/* the counter */
static u32 irqs;		/* PIT interrupts since BOOT */
static u32 npages;		/* pattern pages */
static u32 cursor;		/* next page of this sweep */
static u32 sweep;		/* pages below cursor hold sweep + 1 */
static u32 csum;		/* sum of every word checked */
static u32 errors;

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* COM1, polled. */
#define COM1 0x3f8

static void serial_init(void)
{
	outb(COM1 + 1, 0x00);	/* no UART interrupts */
	outb(COM1 + 3, 0x80);	/* DLAB */
	outb(COM1 + 0, 0x01);	/* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);	/* 8N1 */
	outb(COM1 + 2, 0x07);	/* FIFO on, cleared */
}

static void putc(char c)
{
	int i;

	for (i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, c);
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void putu(u32 v)
{
	char b[11];
	int i = 10;

	b[i] = 0;
	do {
		b[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	puts(b + i);
}

static void putx(u32 v)
{
	int i;

	puts("0x");
	for (i = 28; i >= 0; i -= 4)
		putc("0123456789abcdef"[(v >> i) & 15]);
}

/* The word at addr in sweep s: a cheap mix of both, never constant. */
static inline u32 pattern(u32 s, u32 addr)
{
	u32 x = addr * 0x9e3779b1u + s * 0x85ebca6bu + 0x5eed;

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x;
}

static inline u32 *page_addr(u32 p)
{
	return (u32 *)(PAT_START + p * PAGE_SIZE);
}

/* The sweep page p holds now. */
static inline u32 page_sweep(u32 p)
{
	return p < cursor ? sweep + 1 : sweep;
}

static void write_page(u32 p, u32 s)
{
	u32 *w = page_addr(p);
	u32 a = (u32)w, i;

	for (i = 0; i < PAGE_SIZE / 4; i++, a += 4)
		w[i] = pattern(s, a);
}

/* Check page p against sweep s; report the first bad word of the page. */
static void check_page(u32 p, u32 s)
{
	u32 *w = page_addr(p);
	u32 a = (u32)w, i, want;

	for (i = 0; i < PAGE_SIZE / 4; i++, a += 4) {
		want = pattern(s, a);
		csum += w[i];
		if (w[i] == want)
			continue;
		if (errors++ < 16) {
			puts("vkguest: RAM ERROR at ");
			putx(a);
			puts(" got ");
			putx(w[i]);
			puts(" want ");
			putx(want);
			puts(" sweep ");
			putu(s);
			puts("\n");
		}
		write_page(p, s);	/* report each loss once */
		return;
	}
}

static void step(void)
{
	int i;

	for (i = 0; i < PAGES_PER_IRQ; i++) {
		check_page(cursor, sweep);
		write_page(cursor, sweep + 1);
		if (++cursor == npages) {
			cursor = 0;
			sweep++;
		}
	}
}

static void tick(void)
{
	u32 p;

	if (++irqs % HZ)
		return;
	seconds++;
	/* One page far from the cursor, a different one every second. */
	p = (cursor + npages / 2 + seconds * 7919u) % npages;
	check_page(p, page_sweep(p));
	puts("vkguest: tick ");
	putu(seconds);
	puts(errors ? " bad" : " ok");
	puts(" sweep ");
	putu(sweep);
	puts(" page ");
	putu(cursor);
	puts(" csum ");
	putx(csum);
	puts("\n");
}

void vk_trap(u32 vec, u32 err);
void vk_trap(u32 vec, u32 err)
{
	if (vec == 32) {
		outb(0x20, 0x20);	/* EOI before the work: no tick is lost */
		step();
		tick();
		return;
	}
	if (vec >= 32) {		/* other or spurious IRQs */
		if (vec >= 40)
			outb(0xa0, 0x20);
		outb(0x20, 0x20);
		return;
	}
	puts("vkguest: FAULT vector ");
	putu(vec);
	puts(" error ");
	putx(err);
	puts("\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void idt_init(void)
{
	struct {
		u16 limit;
		u32 base;
	} __packed d = { sizeof(idt) - 1, (u32)idt };
	u32 i, a;

	for (i = 0; i < 48; i++) {
		a = (u32)vk_stubs + 16 * i;
		idt[i].off_lo = a & 0xffff;
		idt[i].sel = 0x08;
		idt[i].zero = 0;
		idt[i].type = 0x8e;	/* present, ring 0, interrupt gate */
		idt[i].off_hi = a >> 16;
	}
	__asm__ volatile("lidt %0" : : "m"(d));
}

/* The PICs on vectors 32-47, only IRQ0 (the PIT) unmasked. */
static void pic_init(void)
{
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 32);
	outb(0xa1, 40);
	outb(0x21, 4);
	outb(0xa1, 2);
	outb(0x21, 1);
	outb(0xa1, 1);
	outb(0x21, 0xfe);
	outb(0xa1, 0xff);
}

static void pit_init(void)
{
	u32 div = 1193182 / HZ;

	outb(0x43, 0x34);	/* channel 0, lo/hi, rate generator */
	outb(0x40, div & 0xff);
	outb(0x40, div >> 8);
}

void vk_main(u32 magic, struct mb_info *mb);
void vk_main(u32 magic, struct mb_info *mb)
{
	u32 end, p;

	serial_init();
	puts("vkguest: BOOT\n");
	if (magic != 0x2badb002 || !(mb->flags & 1)) {
		puts("vkguest: no multiboot memory info\n");
		return;
	}
	end = 0x100000 + mb->mem_upper * 1024;
	if (end <= PAT_START + 16 * PAGE_SIZE) {
		puts("vkguest: too little RAM\n");
		return;
	}
	npages = (end - PAT_START) / PAGE_SIZE;
	for (p = 0; p < npages; p++)
		write_page(p, 0);
	puts("vkguest: RAM ");
	putu(end >> 20);
	puts(" MiB, pattern ");
	putx(PAT_START);
	puts("-");
	putx(end);
	puts(", ");
	putu(npages);
	puts(" pages, ");
	putu(HZ * PAGES_PER_IRQ);
	puts(" pages/s\n");

	idt_init();
	pic_init();
	pit_init();
	for (;;)
		__asm__ volatile("sti; hlt" : : : "memory");
}
