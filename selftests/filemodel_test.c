// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * filemodel_test - region files behave as device-dax files (issue 21):
 * mremap() cannot grow a region mapping, nor move one that the kernel
 * maps with 1 GiB entries (mainline clears such a PUD as "bad" and leaks
 * the region); truncate is refused and never zaps a mapping; opening a
 * device node leaves no flag on the devtmpfs inode; long-term pins
 * (io_uring fixed buffers, AF_XDP umem) accept every kind of region file;
 * a memory failure reaches every process that maps the page, when it
 * touches it.
 *
 * The 1 GiB cases need a pool of 1 GiB pages with 1 GiB free
 * (vmkeep.pools=SIZE@ADDR:1G), and SKIP without one.  Regions made here
 * are "fm-*" and freed in the teardown.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/if_xdp.h>
#include <linux/io_uring.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

#define GiB		(1024 * MiB)
#define NODE_DIR	"/dev/vmkeep-region/"

#ifndef SOL_XDP
#define SOL_XDP		283
#endif
#ifndef MADV_HWPOISON
#define MADV_HWPOISON	100
#endif

/* Free bytes of all pools of the kind (1 GiB pages or not). */
static uint64_t pool_free(int dev, int pages_1g)
{
	struct vmkeep_pool_info p;
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; !vk_pool(dev, i, &p); i++)
		if (!!(p.flags & VMKEEP_POOL_PAGES_1G) == pages_1g)
			sum += p.free;
	return sum;
}

/*
 * Wait until the pools of the kind have @want bytes free again: a page
 * let go by io_uring or AF_XDP comes back from a worker.
 */
static uint64_t wait_free(int dev, int pages_1g, uint64_t want)
{
	int i;

	for (i = 0; i < 100 && pool_free(dev, pages_1g) != want; i++)
		usleep(100000);
	return pool_free(dev, pages_1g);
}

static int kernel_at_least(int maj, int min)
{
	struct utsname u;
	int a = 0, b = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return 0;
	return a > maj || (a == maj && b >= min);
}

/* 6.15 maps folios, and regions of 1 GiB pages with PUDs (vmkeep_compat.h). */
static int pud_maps(void)
{
	return kernel_at_least(6, 15);
}

static int open_node(const char *name, int flags)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), NODE_DIR "%s", name);
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* A reopen of @fd through /proc/self/fd, as QEMU's mem-path does it. */
static int reopen(int fd, int flags)
{
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = open(path, flags | O_CLOEXEC);
	return ret < 0 ? -errno : ret;
}

/* @len bytes of address space aligned to @align, unmapped again. */
static char *aligned_hole(uint64_t len, uint64_t align)
{
	char *p = mmap(NULL, len + align, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	munmap(p, len + align);
	return a;
}

/* Faults the module served for region @name (debugfs), or -1. */
static long long region_faults(const char *name)
{
	char line[1024], key[80], *p;
	long long sum = -1;
	FILE *f = fopen("/sys/kernel/debug/vmkeep/state", "r");

	if (!f)
		return -1;
	snprintf(key, sizeof(key), "  region %s ", name);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, strlen(key)))
			continue;
		p = strstr(line, "pmd_faults ");
		sum = p ? atoll(p + 11) : 0;
		p = strstr(line, "pte_faults ");
		sum += p ? atoll(p + 11) : 0;
		p = strstr(line, "pud_faults ");
		sum += p ? atoll(p + 11) : 0;
	}
	fclose(f);
	return sum;
}

FIXTURE(fm) {
	int dev;
};

FIXTURE_SETUP(fm)
{
	self->dev = vk_open();
	ASSERT_LE(0, self->dev) TH_LOG("open /dev/vmkeep: %s", strerror(errno));
}

FIXTURE_TEARDOWN(fm)
{
	struct vmkeep_region_info *r;
	uint32_t n, i;

	r = vk_list(self->dev, &n);
	for (i = 0; r && i < n; i++)
		if (!strncmp(r[i].name, "fm-", 3))
			vk_free(self->dev, r[i].name);
	free(r);
	close(self->dev);
}

/*
 * Test Case: mremap() cannot grow a region mapping, in place or moved,
 * past its VMA (VM_DONTEXPAND: EFAULT), nor keep the old one with
 * MREMAP_DONTUNMAP (EINVAL): a grown mapping reaches past the region
 * (SIGBUS) or, inside it, pages that mmap() never checked.
 */
TEST_F(fm, mremap_grow_2m)
{
	int fd = vk_alloc(self->dev, "fm-grow", 8 * MiB, 0);
	size_t len = 2 * MiB;
	char *p, *q;

	ASSERT_LE(0, fd);
	p = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	q = mremap(p, 2 * MiB, 4 * MiB, 0);
	EXPECT_EQ(MAP_FAILED, q) {
		len = 4 * MiB;
	}
	EXPECT_EQ(EFAULT, errno);
	q = mremap(p, len, 4 * MiB, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, q) {
		p = q;
		len = 4 * MiB;
	}
	EXPECT_EQ(EFAULT, errno);
	q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	EXPECT_EQ(MAP_FAILED, q) {
		munmap(q, len);
	}
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, p[0]);
	munmap(p, len);
	close(fd);
	EXPECT_EQ(0, vk_free(self->dev, "fm-grow"));
}

/*
 * Test Case: a region mapping of 2 MiB pages moves with mremap() (PMD
 * entries move whole, or fall back to smaller ones), keeps its bytes, and
 * the region's memory is all back in the pool after its FREE.
 */
TEST_F(fm, mremap_move_2m)
{
	uint64_t free0 = pool_free(self->dev, 0);
	int fd = vk_alloc(self->dev, "fm-move", 8 * MiB, 0);
	char *p, *q, *hole;

	ASSERT_LE(0, fd);
	p = mmap(NULL, 8 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x5a, 8 * MiB);
	hole = aligned_hole(8 * MiB, 2 * MiB);
	ASSERT_NE(NULL, hole);
	q = mremap(p, 8 * MiB, 8 * MiB, MREMAP_MAYMOVE | MREMAP_FIXED, hole);
	ASSERT_EQ(hole, q) {
		TH_LOG("mremap: %s", strerror(errno));
	}
	EXPECT_EQ(0x5a, q[4 * MiB + 5]);
	/* Not 2 MiB aligned: split to smaller entries. */
	hole = aligned_hole(8 * MiB + 4096, 2 * MiB) + 4096;
	p = mremap(q, 8 * MiB, 8 * MiB, MREMAP_MAYMOVE | MREMAP_FIXED, hole);
	ASSERT_EQ(hole, p) {
		TH_LOG("mremap: %s", strerror(errno));
	}
	EXPECT_EQ(0x5a, p[8 * MiB - 1]);
	munmap(p, 8 * MiB);
	close(fd);
	EXPECT_EQ(0, vk_free(self->dev, "fm-move"));
	EXPECT_EQ(free0, wait_free(self->dev, 0, free0));
}

/*
 * Test Case: the reviewer's reproducer.  A region of 1 GiB pages mapped
 * with a PUD (6.15 on) cannot be moved by mremap(), 1 GiB aligned or
 * not: mainline's move_page_tables() clears the PUD as "bad pud", leaks
 * the region's folio for good ("Bad rss-counter state", then "pages
 * still held after free", ENOSPC, rmmod EAGAIN).  EINVAL, the mapping as
 * it was, and the region's memory back in the pool after its FREE.
 * Before 6.15 the region is mapped with PMDs, which move.
 */
TEST_F_TIMEOUT(fm, mremap_move_1g, 120)
{
	uint64_t free0 = pool_free(self->dev, 1);
	int fd, i;
	char *p, *q, *hole;

	if (free0 < GiB)
		SKIP(return, "no pool of 1 GiB pages with 1 GiB free");
	fd = vk_alloc(self->dev, "fm-move1g", GiB, VMKEEP_ALLOC_ALIGN_1G);
	ASSERT_LE(0, fd);
	p = mmap(NULL, GiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, (uintptr_t)p & (GiB - 1));
	p[4096] = 0x61;
	for (i = 0; i < 2; i++) {
		/* 1 GiB aligned, then 2 MiB aligned only. */
		char *to;

		hole = aligned_hole(GiB + 2 * MiB, GiB);
		ASSERT_NE(NULL, hole);
		to = hole + i * 2 * MiB;

		q = mremap(p, GiB, GiB, MREMAP_MAYMOVE | MREMAP_FIXED, to);
		if (pud_maps()) {
			EXPECT_EQ(MAP_FAILED, q) {
				p = q;
			}
			EXPECT_EQ(EINVAL, errno);
		} else {
			ASSERT_EQ(to, q) {
				TH_LOG("mremap to %p: %s", to, strerror(errno));
			}
			p = q;
		}
		EXPECT_EQ(0x61, p[4096]);
	}
	munmap(p, GiB);
	close(fd);
	EXPECT_EQ(0, vk_free(self->dev, "fm-move1g"));
	EXPECT_EQ(free0, wait_free(self->dev, 1, free0));
}

/*
 * Test Case: ftruncate(), truncate() and O_TRUNC of a region file fail
 * with EINVAL (the size is the region's, as for device-dax and
 * secretmem) through the fd of ALLOC, a /proc/self/fd reopen and the
 * device node (which, as a device-dax node, ignores O_TRUNC); the size
 * stays and no mapping of the region is zapped (no fault when it is read
 * again).  simple_setattr() once took the size and zapped them all.
 */
TEST_F(fm, truncate_refused)
{
	int fd = vk_alloc(self->dev, "fm-trunc", 4 * MiB, 0), fd2, node;
	char path[64], *p, *q;
	struct stat st;
	long long faults;
	uint64_t off;

	ASSERT_LE(0, fd);
	p = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x3c, 4 * MiB);
	fd2 = reopen(fd, O_RDWR);
	ASSERT_LE(0, fd2);
	q = mmap(NULL, 4 * MiB, PROT_READ, MAP_SHARED, fd2, 0);
	ASSERT_NE(MAP_FAILED, q);
	for (off = 0; off < 4 * MiB; off += 4096)
		EXPECT_EQ(0x3c, ((volatile char *)q)[off]);

	faults = region_faults("fm-trunc");
	ASSERT_LE(0, faults);
	EXPECT_EQ(-1, ftruncate(fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ftruncate(fd2, 8 * MiB));
	EXPECT_EQ(EINVAL, errno);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	EXPECT_EQ(-1, truncate(path, 2 * MiB));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, reopen(fd, O_RDWR | O_TRUNC));
	/* A device node ignores O_TRUNC, as a device-dax node does. */
	node = open_node("fm-trunc", O_RDWR | O_TRUNC);
	ASSERT_LE(0, node);
	EXPECT_EQ(-1, ftruncate(node, 0));
	EXPECT_EQ(EINVAL, errno);
	close(node);

	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(4 * MiB, (uint64_t)st.st_size);
	ASSERT_EQ(0, fstat(fd2, &st));
	EXPECT_EQ(4 * MiB, (uint64_t)st.st_size);
	EXPECT_EQ(4 * MiB, (uint64_t)lseek(fd, 0, SEEK_END));
	for (off = 0; off < 4 * MiB; off += 4096)
		if (((volatile char *)p)[off] != 0x3c ||
		    ((volatile char *)q)[off] != 0x3c)
			break;
	EXPECT_EQ(4 * MiB, off);
	EXPECT_EQ(faults, region_faults("fm-trunc")) {
		TH_LOG("a mapping was zapped: it faulted again");
	}
	munmap(p, 4 * MiB);
	munmap(q, 4 * MiB);
	close(fd2);
	close(fd);
	EXPECT_EQ(0, vk_free(self->dev, "fm-trunc"));
}

/* Whether statx() reports the inode at @path as DAX. */
static int path_is_dax(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx))
		return -errno;
	if (!(stx.stx_attributes_mask & STATX_ATTR_DAX))
		return 0;
	return !!(stx.stx_attributes & STATX_ATTR_DAX);
}

/*
 * Node of @name: opened, mapped and touched, closed again; 0 when the
 * devtmpfs inode carries no DAX flag after it (nor during it).
 */
static int node_dax_after_use(const char *name, uint64_t len)
{
	char path[128], *p;
	int node, during, after;

	snprintf(path, sizeof(path), NODE_DIR "%s", name);
	node = open(path, O_RDWR | O_CLOEXEC);
	if (node < 0)
		return -errno;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, node, 0);
	if (p == MAP_FAILED)
		return -errno;
	p[0] = 1;
	during = path_is_dax(path);
	munmap(p, len);
	close(node);
	after = path_is_dax(path);
	return during < 0 ? during : after < 0 ? after : during || after;
}

/*
 * Test Case: opening, mapping and closing a region's device node leaves
 * no flag on the devtmpfs inode (statx: no STATX_ATTR_DAX): vmkeep once
 * set S_DAX on it, unlocked, and never cleared it (6.1: every node; 6.15
 * on: nodes of 1 GiB regions).  Huge faults still happen through it.
 */
TEST_F(fm, node_inode_untouched)
{
	int fd = vk_alloc(self->dev, "fm-node", 4 * MiB, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, node_dax_after_use("fm-node", 4 * MiB));
	close(fd);
	EXPECT_EQ(0, vk_free(self->dev, "fm-node"));
	if (pool_free(self->dev, 1) < GiB)
		SKIP(return, "no pool of 1 GiB pages with 1 GiB free");
	fd = vk_alloc(self->dev, "fm-node1g", GiB, VMKEEP_ALLOC_ALIGN_1G);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, node_dax_after_use("fm-node1g", GiB));
	close(fd);
	EXPECT_EQ(0, vk_free(self->dev, "fm-node1g"));
}

/*
 * A long-term pin of @len bytes at @p through io_uring's fixed buffers
 * (IORING_REGISTER_BUFFERS, raw syscalls): 0 or -errno.
 */
static int pin_io_uring(void *p, size_t len)
{
	struct iovec iov = { .iov_base = p, .iov_len = len };
	struct io_uring_params params = { 0 };
	int ring, ret = 0;

	ring = syscall(__NR_io_uring_setup, 1, &params);
	if (ring < 0)
		return -errno;
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS,
		    &iov, 1))
		ret = -errno;
	close(ring);
	return ret;
}

/* The same through an AF_XDP umem (XDP_UMEM_REG pins with FOLL_LONGTERM). */
static int pin_xdp(void *p, size_t len)
{
	struct xdp_umem_reg mr = { .addr = (uintptr_t)p, .len = len,
				   .chunk_size = 4096 };
	int s = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0), ret = 0;

	if (s < 0)
		return -errno;
	if (setsockopt(s, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)))
		ret = -errno;
	close(s);
	return ret;
}

/* Map 2 MiB of @fd at @off and pin it both ways; 0 when both pinned. */
static int pin_file(struct __test_metadata *_metadata, int fd, uint64_t off,
		    const char *what)
{
	int uring, xdp;
	char *p;

	p = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (p == MAP_FAILED)
		return -errno;
	p[0] = 1;
	uring = pin_io_uring(p, 2 * MiB);
	xdp = pin_xdp(p, 2 * MiB);
	munmap(p, 2 * MiB);
	TH_LOG("%s: io_uring %d, AF_XDP %d", what, uring, xdp);
	/* io_uring takes file mappings (but shmem, hugetlbfs) from 6.5 on. */
	if (!kernel_at_least(6, 5) && uring == -EOPNOTSUPP) {
		/* ... so AF_XDP must prove it there. */
		return xdp;
	}
	/* A kernel without AF_XDP (the debug kernel's small config). */
	if (xdp == -EAFNOSUPPORT)
		return uring;
	return uring ?: xdp;
}

/*
 * Every kind of file of region @name: the fd of ALLOC (@fd), a GET fd,
 * a /proc/self/fd reopen, the device node.
 */
static void pin_all(struct __test_metadata *_metadata, int dev, int fd,
		    const char *name)
{
	int get = vk_get(dev, name), re = reopen(fd, O_RDWR);
	int node = open_node(name, O_RDWR);

	ASSERT_LE(0, get);
	ASSERT_LE(0, re);
	ASSERT_LE(0, node);
	EXPECT_EQ(0, pin_file(_metadata, fd, 0, "alloc fd"));
	EXPECT_EQ(0, pin_file(_metadata, get, 0, "get fd"));
	EXPECT_EQ(0, pin_file(_metadata, re, 0, "/proc/self/fd reopen"));
	EXPECT_EQ(0, pin_file(_metadata, node, 0, "device node"));
	close(node);
	close(re);
	close(get);
}

/*
 * Test Case: long-term pins (VFIO, io_uring fixed buffers, RDMA; here
 * io_uring and AF_XDP umems) take a region of 2 MiB pages through every
 * kind of its files, on every kernel, as a device-dax device: region
 * files are not fs-dax files.  The memory is back in the pool once the
 * pins are gone.  Before 6.5 io_uring refuses every file mapping but
 * shmem and hugetlbfs (EOPNOTSUPP, accepted); AF_XDP takes them.
 */
TEST_F_TIMEOUT(fm, longterm_pin_2m, 60)
{
	uint64_t free0 = pool_free(self->dev, 0);
	int fd = vk_alloc(self->dev, "fm-pin", 4 * MiB, 0);

	ASSERT_LE(0, fd);
	pin_all(_metadata, self->dev, fd, "fm-pin");
	close(fd);
	EXPECT_EQ(0, vk_free(self->dev, "fm-pin"));
	EXPECT_EQ(free0, wait_free(self->dev, 0, free0));
}

/* Test Case: the same for a region of 1 GiB pages. */
TEST_F_TIMEOUT(fm, longterm_pin_1g, 120)
{
	uint64_t free0 = pool_free(self->dev, 1);
	int fd;

	if (free0 < GiB)
		SKIP(return, "no pool of 1 GiB pages with 1 GiB free");
	fd = vk_alloc(self->dev, "fm-pin1g", GiB, VMKEEP_ALLOC_ALIGN_1G);
	ASSERT_LE(0, fd);
	pin_all(_metadata, self->dev, fd, "fm-pin1g");
	close(fd);
	EXPECT_EQ(0, vk_free(self->dev, "fm-pin1g"));
	EXPECT_EQ(free0, wait_free(self->dev, 1, free0));
}

static sigjmp_buf bus_jmp;
static volatile siginfo_t bus_info;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	memcpy((void *)&bus_info, si, sizeof(*si));
	siglongjmp(bus_jmp, 1);
}

/* Whether the kernel log holds a line containing @what. */
static int klog_has(const char *what)
{
	char line[1024];
	int found = 0;
	FILE *f = popen("dmesg", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		found |= !!strstr(line, what);
	pclose(f);
	return found;
}

/* Whether a pool of the kind reports pages a memory failure hit. */
static int pool_bad(int dev, int pages_1g)
{
	struct vmkeep_pool_info p;
	unsigned int i;
	int bad = 0;

	for (i = 0; !vk_pool(dev, i, &p); i++)
		if (!!(p.flags & VMKEEP_POOL_PAGES_1G) == pages_1g)
			bad |= !!(p.flags & VMKEEP_POOL_BAD_PAGES);
	return bad;
}

/*
 * Read the byte at @p: the si_code of the SIGBUS it raised (0 if none),
 * with its si_addr in *@addr.
 */
static int touch(volatile char *p, void **addr)
{
	volatile char c;

	memset((void *)&bus_info, 0, sizeof(bus_info));
	if (!sigsetjmp(bus_jmp, 1))
		c = *p;
	(void)c;
	*addr = bus_info.si_addr;
	return bus_info.si_signo == SIGBUS ? bus_info.si_code : 0;
}

/* madvise(MADV_HWPOISON) of the page at @p, catching a SIGBUS. */
static int inject(volatile char *p)
{
	volatile int ret = -1;

	memset((void *)&bus_info, 0, sizeof(bus_info));
	errno = 0;
	if (!sigsetjmp(bus_jmp, 1))
		ret = madvise((void *)p, 4096, MADV_HWPOISON);
	return ret;
}

/* The ways to a region's file: its ALLOC fd, its node, a reopen. */
enum { VIA_ALLOC, VIA_NODE, VIA_REOPEN, VIA_N };

/*
 * A second process that maps region @name through its node, and once
 * told (@go), touches the page at @off: it must get SIGBUS
 * BUS_MCEERR_AR at that address, and read the pages beside it.
 */
static void second_mapper(const char *name, uint64_t len, uint64_t off,
			  int ready, int go)
{
	int node = open_node(name, O_RDWR);
	volatile char *q;
	void *addr;
	char c;

	if (node < 0)
		_exit(2);
	q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, node, 0);
	if (q == MAP_FAILED)
		_exit(3);
	if (q[off] != 7)
		_exit(4);
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1)
		_exit(5);
	if (touch(q + off, &addr) != BUS_MCEERR_AR)
		_exit(6);
	if (addr != (void *)(q + off))
		_exit(7);
	_exit(q[off - 4096] == 'a' && q[off + 4096] == 'b' ? 0 : 8);
}

/*
 * Poison the page at @off of a new region @name of @len bytes (ALLOC
 * @flags) through its mapping @via, while it is mapped in three ways
 * and by a second process; see the test case below.  Sets no_injection
 * when the kernel has no memory failure injection.
 */
static int no_injection;

static void mf_check(struct __test_metadata *_metadata, int dev,
		     const char *name, uint64_t len, uint32_t flags,
		     uint64_t off, int via)
{
	int pages_1g = !!(flags & VMKEEP_ALLOC_ALIGN_1G);
	uint64_t page = pages_1g ? GiB : 2 * MiB, free0 = pool_free(dev, pages_1g);
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO };
	int fds[VIA_N], ready[2], go[2], status, ret, i;
	struct vmkeep_region_info info;
	volatile char *m[VIA_N];
	static char big[1 << 20];
	char c, buf[128];
	void *addr;
	uint64_t o;
	pid_t child;

	fds[VIA_ALLOC] = vk_alloc(dev, name, len, flags);
	ASSERT_LE(0, fds[VIA_ALLOC]);
	fds[VIA_NODE] = open_node(name, O_RDWR);
	fds[VIA_REOPEN] = reopen(fds[VIA_ALLOC], O_RDWR);
	ASSERT_LE(0, fds[VIA_NODE]);
	ASSERT_LE(0, fds[VIA_REOPEN]);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	for (i = 0; i < VIA_N; i++) {
		m[i] = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			    fds[i], 0);
		ASSERT_NE(MAP_FAILED, m[i]);
	}
	m[VIA_ALLOC][0] = 'z';
	m[VIA_ALLOC][off - 4096] = 'a';
	m[VIA_ALLOC][off] = 7;
	m[VIA_ALLOC][off + 4096] = 'b';
	for (i = 0; i < VIA_N; i++)
		ASSERT_EQ(7, m[i][off]);

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		second_mapper(name, len, off, ready[1], go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1));

	ret = inject(m[via] + off);
	/* EINVAL: a kernel without CONFIG_MEMORY_FAILURE. */
	if (ret && errno == EINVAL) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		no_injection = 1;
		return;
	}
	EXPECT_EQ(0, ret) {
		TH_LOG("MADV_HWPOISON: %s", strerror(errno));
	}
	/* The page is unmapped, not yet touched: no signal yet. */
	EXPECT_EQ(0, bus_info.si_signo);

	/* Each mapping: SIGBUS at the poisoned page, its neighbours kept. */
	for (i = 0; i < VIA_N; i++) {
		EXPECT_EQ(BUS_MCEERR_AR, touch(m[i] + off, &addr)) {
			TH_LOG("mapping %d: si_code %d", i, bus_info.si_code);
		}
		EXPECT_EQ((void *)(m[i] + off), addr);
		EXPECT_EQ('a', m[i][off - 4096]);
		EXPECT_EQ('b', m[i][off + 4096]);
		EXPECT_EQ('z', m[i][0]);
	}
	/* And the second process, which maps it through the node. */
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status)) {
		TH_LOG("second mapper: status %#x", status);
	}
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);

	/* read and write: EIO at the page, and a read stops before it. */
	EXPECT_EQ(-1, pread(fds[VIA_ALLOC], buf, 16, off));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, pwrite(fds[VIA_ALLOC], "x", 1, off));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(4096, pread(fds[VIA_ALLOC], big, 8192, off - 4096));
	EXPECT_EQ('a', big[0]);
	EXPECT_EQ(16, pread(fds[VIA_ALLOC], buf, 16, off + 4096));
	EXPECT_EQ('b', buf[0]);

	/* The region and the pool report it; the log names region and offset. */
	ASSERT_EQ(0, vk_find(dev, name, &info));
	EXPECT_EQ(1, info.nr_bad_pages);
	EXPECT_TRUE(pool_bad(dev, pages_1g));
	snprintf(buf, sizeof(buf), "region '%s': memory failure at offset %#llx",
		 name, (unsigned long long)off);
	EXPECT_TRUE(klog_has(buf)) {
		TH_LOG("no kernel log line \"%s\"", buf);
	}

	for (i = 0; i < VIA_N; i++) {
		munmap((void *)m[i], len);
		close(fds[i]);
	}
	/* Freed, the page's unit (its 1 GiB page) stays out of the pool. */
	EXPECT_EQ(0, vk_free(dev, name));
	EXPECT_EQ(free0 - page, wait_free(dev, pages_1g, free0 - page));

	/* The next ALLOC of that size gets no bad page: it reads whole. */
	fds[0] = vk_alloc(dev, "fm-poison-next", len, flags);
	ASSERT_LE(0, fds[0]);
	ASSERT_EQ(0, vk_find(dev, "fm-poison-next", &info));
	EXPECT_EQ(0, info.nr_bad_pages);
	for (o = 0; o < len; o += sizeof(big))
		ASSERT_EQ((ssize_t)sizeof(big),
			  pread(fds[0], big, sizeof(big), o));
	close(fds[0]);
	EXPECT_EQ(0, vk_free(dev, "fm-poison-next"));
	EXPECT_EQ(free0 - page, wait_free(dev, pages_1g, free0 - page));
}

/*
 * Test Case: a memory failure in a region (injected with
 * madvise(MADV_HWPOISON), as memory_failure() sees a machine check)
 * reaches every process that maps the page, whichever way it opened the
 * region: the kernel unmaps it (a 2 MiB or 1 GiB entry that covers it
 * goes whole), and each mapping that touches it again - of the ALLOC fd,
 * the device node and a /proc/self/fd reopen, and a second process's -
 * gets SIGBUS BUS_MCEERR_AR at that address, as x86 delivers a machine
 * check in user memory.  The pages beside it keep their bytes; read and
 * write give EIO at it; the region reports 1 bad page, the pool says it
 * has bad pages, and the kernel log names the region and the offset.
 * After FREE the page's unit (the 1 GiB page of a pool of 1 GiB pages)
 * stays out of the pool and the next ALLOC gets none of it.  Poisoned
 * through each of the three mappings in a 2 MiB pool, then through the
 * ALLOC fd in a pool of 1 GiB pages, which loses the GiB.
 */
TEST_F_TIMEOUT(fm, hwpoison, 240)
{
	static const char *const names[VIA_N] = {
		"fm-poison-alloc", "fm-poison-node", "fm-poison-reopen"
	};
	int via;

	for (via = 0; via < VIA_N; via++) {
		mf_check(_metadata, self->dev, names[via], 4 * MiB, 0,
			 2 * MiB + 8192, via);
		if (no_injection)
			SKIP(return, "no memory failure injection in this kernel");
	}
	if (pool_free(self->dev, 1) < 2 * GiB)
		SKIP(return, "no pool of 1 GiB pages with 2 GiB free");
	mf_check(_metadata, self->dev, "fm-poison-1g", GiB,
		 VMKEEP_ALLOC_ALIGN_1G, 512 * MiB + 2 * MiB + 8192, VIA_ALLOC);
}

TEST_HARNESS_MAIN
