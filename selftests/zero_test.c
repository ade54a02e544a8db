// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * zero_test - a new owner never sees an earlier tenant's bytes, and
 * regions of 1 GiB pages map with 1 GiB entries.
 *
 * ALLOC clears nothing: each 2 MiB unit is cleared at its first touch
 * (kmod/vmkeep_zero.c).  Each test first dirties the pool's free memory
 * (ALLOC, fill with 0xa5, FREE) and waits until it is back in the pool,
 * so the next ALLOC gets the dirty memory (first fit), then reads it at
 * once through every path: mmap, pread, a get_user_pages() reader
 * (vmsplice, process_vm_readv), O_DIRECT from the mapping to a file, and
 * many threads touching the same units at the same time.
 *
 * The 1 GiB tests need a pool of 1 GiB pages (vmkeep.pools=SIZE@ADDR:1G)
 * with 2 GiB free, and SKIP without one.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <linux/io_uring.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

#define LEN		(64 * MiB)
#define UNIT		(2 * MiB)
#define GiB		(1024 * MiB)
#define NR_THREADS	4

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
 * Fill @len bytes of fresh memory with 0xa5, every @stride bytes one
 * 2 MiB unit, and free it again; returns once the memory is back in its
 * pool (the background zeroer may hold a freed region for one unit).
 */
static int dirty(int dev, uint64_t len, uint64_t stride, uint32_t flags)
{
	int pages_1g = !!(flags & VMKEEP_ALLOC_ALIGN_1G);
	uint64_t before = pool_free(dev, pages_1g), off;
	char *buf = malloc(UNIT);
	int fd, i;

	vk_free(dev, "z-old");
	fd = vk_alloc(dev, "z-old", len, flags);
	if (fd < 0 || !buf)
		return fd < 0 ? fd : -ENOMEM;
	memset(buf, 0xa5, UNIT);
	for (off = 0; off < len; off += stride)
		if (pwrite(fd, buf, UNIT, off) != UNIT)
			return -EIO;
	free(buf);
	close(fd);
	if (vk_free(dev, "z-old"))
		return -EIO;
	for (i = 0; i < 1000 && pool_free(dev, pages_1g) < before; i++)
		usleep(10000);
	return pool_free(dev, pages_1g) >= before ? 0 : -EBUSY;
}

/* Offset of the first non-zero byte of @p, or -1. */
static long nonzero(const void *p, size_t len)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (((volatile const uint64_t *)w)[i])
			return i * 8;
	return -1;
}

/* "pud_faults N" (or pmd_, pte_) of region @name in debugfs, or -1. */
static long long region_counter(const char *name, const char *counter)
{
	char line[1024], key[80], *p;
	long long v = -1;
	FILE *f = fopen("/sys/kernel/debug/vmkeep/state", "r");

	if (!f)
		return -1;
	snprintf(key, sizeof(key), "  region %s ", name);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key))) {
			p = strstr(line, counter);
			if (p)
				v = atoll(p + strlen(counter) + 1);
		}
	fclose(f);
	return v;
}

FIXTURE(zero) {
	int dev;
	int fd;
	char *map;
};

FIXTURE_SETUP(zero)
{
	self->dev = vk_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, dirty(self->dev, LEN, UNIT, 0));
	self->fd = vk_alloc(self->dev, "z-new", LEN, 0);
	ASSERT_LE(0, self->fd);
	self->map = MAP_FAILED;
}

FIXTURE_TEARDOWN(zero)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, LEN);
	close(self->fd);
	vk_free(self->dev, "z-new");
	close(self->dev);
}

/* Test Case: right after ALLOC over dirty memory, the mapping reads zero everywhere. */
TEST_F(zero, mmap_reads_zero)
{
	self->map = mmap(NULL, LEN, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	EXPECT_EQ(-1, nonzero(self->map, LEN));
}

/* Test Case: pread() of a new region reads zero, before and after other units are written. */
TEST_F(zero, pread_reads_zero)
{
	char *buf = malloc(LEN);
	uint64_t v = 42;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(LEN, pread(self->fd, buf, LEN, 0));
	EXPECT_EQ(-1, nonzero(buf, LEN));
	/* A write clears the rest of its unit. */
	ASSERT_EQ(8, pwrite(self->fd, &v, 8, UNIT + 8));
	ASSERT_EQ(LEN, pread(self->fd, buf, LEN, 0));
	EXPECT_EQ(UNIT + 8, nonzero(buf, LEN));
	EXPECT_EQ(-1, nonzero(buf + UNIT + 16, LEN - UNIT - 16));
	free(buf);
}

/* Test Case: get_user_pages() readers (vmsplice, process_vm_readv) of new memory see zero. */
TEST_F(zero, gup_reads_zero)
{
	char *buf = malloc(UNIT);
	struct iovec local, remote;
	int pipefd[2];
	uint64_t off;

	ASSERT_NE(NULL, buf);
	self->map = mmap(NULL, LEN, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	for (off = 0; off < LEN / 2; off += UNIT) {
		local = (struct iovec){ buf, UNIT };
		remote = (struct iovec){ self->map + off, UNIT };
		ASSERT_EQ(UNIT, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
		ASSERT_EQ(-1, nonzero(buf, UNIT));
	}
	ASSERT_EQ(0, pipe(pipefd));
	for (; off < LEN; off += UNIT) {
		remote = (struct iovec){ self->map + off, 65536 };
		ASSERT_EQ(65536, vmsplice(pipefd[1], &remote, 1, 0));
		ASSERT_EQ(65536, read(pipefd[0], buf, 65536));
		ASSERT_EQ(-1, nonzero(buf, 65536));
	}
	close(pipefd[0]);
	close(pipefd[1]);
	free(buf);
}

/* Test Case: O_DIRECT writes from an untouched mapping put zeros in the file (tmpfs, 6.6+). */
TEST_F(zero, odirect_reads_zero)
{
	char dir[] = "/tmp/zero_test.XXXXXX", path[64];
	char *buf = malloc(LEN);
	int f;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("tmpfs", dir, "tmpfs", 0, "size=128m"));
	snprintf(path, sizeof(path), "%s/f", dir);
	f = open(path, O_RDWR | O_CREAT | O_DIRECT, 0600);
	if (f < 0 && errno == EINVAL) {
		umount(dir);
		SKIP(return, "tmpfs has no O_DIRECT before 6.6");
	}
	ASSERT_LE(0, f);
	self->map = mmap(NULL, LEN, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	ASSERT_EQ(LEN, write(f, self->map, LEN));
	ASSERT_EQ(LEN, pread(f, buf, LEN, 0));
	EXPECT_EQ(-1, nonzero(buf, LEN));
	close(f);
	umount(dir);
	rmdir(dir);
	free(buf);
}

struct toucher {
	int fd;
	int tid;
	char *map;
	pthread_barrier_t *start;
};

/*
 * Every thread touches every unit, in the same order, at the same time:
 * even threads by writing through the mapping, odd ones with pwrite(),
 * each its own word per unit, and all read the words beyond the threads'
 * slots.  A unit cleared twice would lose a word written in between.
 */
static void *touch_units(void *arg)
{
	struct toucher *t = arg;
	uint64_t off, v, w;

	pthread_barrier_wait(t->start);
	for (off = 0; off < LEN; off += UNIT) {
		v = 0x100 + t->tid;
		if (t->tid & 1) {
			if (pwrite(t->fd, &v, 8, off + t->tid * 8) != 8)
				return (void *)1;
		} else {
			((volatile uint64_t *)(t->map + off))[t->tid] = v;
		}
		if (pread(t->fd, &w, 8, off + UNIT - 8) != 8 || w ||
		    ((volatile uint64_t *)(t->map + off))[NR_THREADS + t->tid])
			return (void *)2;
	}
	return NULL;
}

/* Test Case: threads touching the same new units at once never see stale bytes nor lose a write. */
TEST_F_TIMEOUT(zero, concurrent_first_touch, 120)
{
	struct toucher t[NR_THREADS];
	pthread_t th[NR_THREADS];
	pthread_barrier_t start;
	void *ret;
	uint64_t off, *w;
	int i;

	self->map = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	pthread_barrier_init(&start, NULL, NR_THREADS);
	for (i = 0; i < NR_THREADS; i++) {
		t[i] = (struct toucher){ self->fd, i, self->map, &start };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, touch_units, &t[i]));
	}
	for (i = 0; i < NR_THREADS; i++) {
		ASSERT_EQ(0, pthread_join(th[i], &ret));
		EXPECT_EQ(NULL, ret);
	}
	for (off = 0; off < LEN; off += UNIT) {
		w = (uint64_t *)(self->map + off);
		for (i = 0; i < NR_THREADS; i++)
			ASSERT_EQ(0x100 + i, w[i]);
		ASSERT_EQ(-1, nonzero(w + NR_THREADS, UNIT - NR_THREADS * 8));
	}
	pthread_barrier_destroy(&start);
}

/* Test Case: 1 GiB aligned ALLOCs need a length in GiB, and a pool of 1 GiB pages. */
TEST(align_1g_rules)
{
	int dev = vk_open();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-EINVAL, vk_alloc(dev, "z-1g", 3 * UNIT, VMKEEP_ALLOC_ALIGN_1G));
	if (!pool_free(dev, 1))
		EXPECT_EQ(-ENOSPC, vk_alloc(dev, "z-1g", GiB, VMKEEP_ALLOC_ALIGN_1G));
	close(dev);
}

/* Whether the running kernel is @maj.@min or later. */
static int kernel_at_least(int maj, int min)
{
	struct utsname u;
	int a = 0, b = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return 0;
	return a > maj || (a == maj && b >= min);
}

/*
 * A long-term pin of 2 MiB at @p, as VFIO or io_uring's fixed buffers
 * take: 0 or -errno.
 */
static int longterm_pin(void *p)
{
	struct iovec iov = { .iov_base = p, .iov_len = 2 * MiB };
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

FIXTURE(pud) {
	int dev;
};

FIXTURE_SETUP(pud)
{
	self->dev = vk_open();
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(pud)
{
	vk_free(self->dev, "z-1g");
	close(self->dev);
}

/*
 * Test Case: a 2 GiB region of 1 GiB pages, mapped where mmap() puts it,
 * takes one fault per GiB touched (PUD entries), reads zero over dirty
 * memory, and maps at a 2 MiB aligned offset with smaller entries.
 * Under TCG, touching 2 GiB takes a while.
 */
TEST_F_TIMEOUT(pud, mappings, 300)
{
	uint64_t len = 2 * GiB, off;
	struct rusage r0, r1;
	int dev = self->dev, fd;
	long faults;
	char *p;

	if (pool_free(dev, 1) < len)
		SKIP(return, "no pool of 1 GiB pages with 2 GiB free");
	ASSERT_EQ(0, dirty(dev, len, 64 * MiB, VMKEEP_ALLOC_ALIGN_1G));
	fd = vk_alloc(dev, "z-1g", len, VMKEEP_ALLOC_ALIGN_1G);
	ASSERT_LE(0, fd);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, (uintptr_t)p & (GiB - 1));
	getrusage(RUSAGE_SELF, &r0);
	for (off = 0; off < len; off += 4096)
		if (((volatile char *)p)[off])
			break;
	getrusage(RUSAGE_SELF, &r1);
	EXPECT_EQ(len, off);
	faults = r1.ru_minflt - r0.ru_minflt;
	TH_LOG("%ld faults for 2 GiB, pud %lld pmd %lld pte %lld", faults,
	       region_counter("z-1g", "pud_faults"),
	       region_counter("z-1g", "pmd_faults"),
	       region_counter("z-1g", "pte_faults"));
	if (kernel_at_least(6, 15)) {
		EXPECT_EQ(2, faults);
		EXPECT_EQ(2, region_counter("z-1g", "pud_faults"));
		EXPECT_EQ(0, region_counter("z-1g", "pmd_faults"));
	} else {
		/* No PUD mappings before 6.15 (vmkeep_compat.h). */
		EXPECT_EQ(0, region_counter("z-1g", "pud_faults"));
		EXPECT_EQ(1024, region_counter("z-1g", "pmd_faults"));
	}
	p[GiB + 4096] = 7;
	munmap(p, len);

	/* Not 1 GiB aligned to the file: 2 MiB or 4 KiB entries, same bytes. */
	p = mmap(NULL, GiB, PROT_READ, MAP_SHARED, fd, 2 * MiB);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, p[0]);
	EXPECT_EQ(7, p[GiB - 2 * MiB + 4096]);
	EXPECT_EQ(kernel_at_least(6, 15) ? 2 : 0,
		  region_counter("z-1g", "pud_faults"));
	munmap(p, GiB);
	close(fd);
	EXPECT_EQ(0, vk_free(dev, "z-1g"));
}

/*
 * Test Case: a mapping of 1 GiB pages splits only on 1 GiB boundaries
 * (munmap, mprotect, madvise inside a GiB: EINVAL), as device-dax with
 * align=1G: a VMA cut inside a huge PUD made 6.12 write zeros into the
 * region and 7.2 oops.  The memory stays as it was.  Found by review.
 */
TEST_F_TIMEOUT(pud, split_1g_only, 120)
{
	uint64_t len = 2 * GiB;
	int dev = self->dev, fd;
	char *p;

	if (pool_free(dev, 1) < len)
		SKIP(return, "no pool of 1 GiB pages with 2 GiB free");
	fd = vk_alloc(dev, "z-1g", len, VMKEEP_ALLOC_ALIGN_1G);
	ASSERT_LE(0, fd);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x80, 4096);
	p[GiB] = 0x81;
	EXPECT_EQ(-1, munmap(p + 4096, 4096));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mprotect(p + 4096, 4096, PROT_READ));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, madvise(p + 4096, 4096, MADV_NOHUGEPAGE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mprotect(p + 2 * MiB, GiB - 2 * MiB, PROT_READ));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, memcmp(p, p + 8, 4088));
	EXPECT_EQ((char)0x80, p[0]);
	/* On a GiB boundary it splits. */
	EXPECT_EQ(0, mprotect(p + GiB, GiB, PROT_READ));
	EXPECT_EQ((char)0x81, p[GiB]);
	/*
	 * Nor does a merge with the neighbour move the boundary into a
	 * GiB (no ->may_split there): 7.2 oopsed in commit_merge().
	 */
	EXPECT_EQ(-1, mprotect(p + GiB - 4096, 4096, PROT_READ));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, madvise(p + GiB, 4096, MADV_DONTDUMP));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, munmap(p + GiB, GiB));
	EXPECT_EQ((char)0x80, p[4095]);
	munmap(p, GiB);
	close(fd);
	EXPECT_EQ(0, vk_free(dev, "z-1g"));
}

/*
 * Test Case: a region of 1 GiB pages opened through its device node maps
 * with 1 GiB entries and takes long-term pins (VFIO, io_uring buffers),
 * as device-dax does, and so does the region file.  The pin is io_uring's
 * buffer registration, which takes file mappings from 6.5 on.
 */
TEST_F_TIMEOUT(pud, node_longterm_pin, 120)
{
	int dev = self->dev, fd, node, i;
	uint64_t free0 = pool_free(dev, 1);
	char *p;

	if (free0 < GiB)
		SKIP(return, "no pool of 1 GiB pages with 1 GiB free");
	fd = vk_alloc(dev, "z-1g", GiB, VMKEEP_ALLOC_ALIGN_1G);
	ASSERT_LE(0, fd);
	node = open("/dev/vmkeep-region/z-1g", O_RDWR);
	ASSERT_LE(0, node);
	p = mmap(NULL, GiB, PROT_READ | PROT_WRITE, MAP_SHARED, node, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	EXPECT_EQ(kernel_at_least(6, 15) ? 1 : 0,
		  region_counter("z-1g", "pud_faults"));
	/* Before 6.5 io_uring refuses every file mapping but hugetlbfs. */
	if (kernel_at_least(6, 5)) {
		EXPECT_EQ(0, longterm_pin(p));
	} else {
		TH_LOG("io_uring pins no file mappings before 6.5: %d",
		       longterm_pin(p));
	}
	munmap(p, GiB);
	p = mmap(NULL, GiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* The region file is a character file too (filemodel_test). */
	if (kernel_at_least(6, 5))
		EXPECT_EQ(0, longterm_pin(p));
	munmap(p, GiB);
	close(node);
	close(fd);
	EXPECT_EQ(0, vk_free(dev, "z-1g"));
	/* io_uring drops its pins after the ring's release, in a worker. */
	for (i = 0; i < 100 && pool_free(dev, 1) != free0; i++)
		usleep(100000);
	EXPECT_EQ(free0, pool_free(dev, 1));
}

TEST_HARNESS_MAIN
