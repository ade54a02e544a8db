// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * mf_race_test - memory failures against module unload (issue 21): the
 * pool's ->memory_failure op is module code that takes vmkeep_lock, and
 * memory_failure() calls it holding a reference on the pool's pgmap that
 * unload waits for.  So unload must never wait for that reference under
 * vmkeep_lock (a deadlock), and a pool that unload leaves claimed (a page
 * in a pipe) must never be found by memory_failure() again (a jump into
 * freed module text).  Each test unloads the module itself (delete_module,
 * as rmmod) and loads it with "vmkeepctl load".  The last test leaves the
 * pool claimed until reboot: run this binary last in its boot.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

#ifndef MADV_HWPOISON
#define MADV_HWPOISON	100
#endif

#define CORRUPT_PFN	"/sys/kernel/debug/hwpoison/corrupt-pfn"
#define HARD_OFFLINE	"/sys/devices/system/memory/hard_offline_page"
#define ROUNDS		20

FIXTURE(mf) {
	int unused;
};

FIXTURE_SETUP(mf)
{
}

FIXTURE_TEARDOWN(mf)
{
}

static int rmmod(void)
{
	return syscall(__NR_delete_module, "vmkeep", O_NONBLOCK) ? -errno : 0;
}


/* Times @what is in the kernel log. */
static int klog_count(const char *what)
{
	char line[1024];
	int n = 0;
	FILE *f = popen("dmesg", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !!strstr(line, what);
	pclose(f);
	return n;
}

/* The injector: MADV_HWPOISON on pages of @p until told to stop. */
struct injector {
	volatile char *p;
	uint64_t len;
	volatile int stop;
	unsigned int ok, failed, einval;
};

static void *inject_loop(void *arg)
{
	struct injector *in = arg;
	unsigned int i;

	for (i = 0; !in->stop; i++) {
		/* A different 2 MiB unit each time: each one poisoned is lost. */
		if (madvise((void *)(in->p + (i % (in->len >> 21)) * (2 << 20) + 4096),
			    4096, MADV_HWPOISON))
			/* EINVAL: no CONFIG_MEMORY_FAILURE (the debug kernel). */
			errno == EINVAL ? in->einval++ : in->failed++;
		else
			in->ok++;
		if (i % (in->len >> 21) == (in->len >> 21) - 1)
			usleep(1000);
	}
	return NULL;
}

/*
 * The other injector: hwpoison's corrupt-pfn at @pfn, which needs no
 * mapping, in a tight loop from just before the unload until it is done:
 * memory_failure() holds a reference on the pool's pgmap most of the
 * time, also while the module unloads (then the write fails: ENXIO).
 */
struct corrupter {
	unsigned long long pfn;
	volatile int stop;
	unsigned int ok, failed;
};

static void *corrupt_loop(void *arg)
{
	struct corrupter *c = arg;
	char buf[32];
	int fd = open(CORRUPT_PFN, O_WRONLY);

	snprintf(buf, sizeof(buf), "%#llx\n", c->pfn);
	while (fd >= 0 && !c->stop) {
		if (write(fd, buf, strlen(buf)) > 0)
			c->ok++;
		else
			c->failed++;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/*
 * Test Case: rmmod races memory failures.  Each round maps a region of
 * 16 MiB, and one thread injects MADV_HWPOISON into its pages while
 * another unmaps it, closes it, frees it, closes /dev/vmkeep and unloads
 * the module at once; a third injects at a free page of the pool through
 * hwpoison's corrupt-pfn all along (where the kernel has it): a
 * memory_failure() is inside the pool's op, holding a reference on the
 * pgmap, when the unload tears the pool down.
 * Every round must unload (memunmap_pages() is never called under the
 * lock the op waits for: no deadlock, lockdep quiet on the debug kernel)
 * and leave no pool claimed, and the next load must find the pool whole.
 */
TEST_F_TIMEOUT(mf, rmmod_race, 600)
{
	unsigned int round, unloaded = 0, ok = 0, failed = 0;
	struct injector in = { .len = 16 << 20 };
	int dev, fd, ret, i, claimed0, corrupt;
	struct corrupter cor = { 0 };
	struct vmkeep_pool_info pool;
	char name[VMKEEP_NAME_LEN];
	uint64_t free0 = 0;
	pthread_t t, tc;

	claimed0 = klog_count("left claimed");
	corrupt = !access(CORRUPT_PFN, W_OK);
	for (round = 0; round < ROUNDS; round++) {
		dev = vk_load();
		if (dev < 0)
			SKIP(return, "module or pool not available");
		ASSERT_EQ(0, vk_pool(dev, 0, &pool));
		if (!round)
			free0 = pool.free;
		/* The bad pages of the last round are forgotten: not stored. */
		EXPECT_EQ(free0, pool.free);
		EXPECT_EQ(0, pool.flags & VMKEEP_POOL_BAD_PAGES);
		snprintf(name, sizeof(name), "mr-%u", round);
		fd = vk_alloc(dev, name, in.len, 0);
		ASSERT_LE(0, fd);
		in.p = mmap(NULL, in.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, in.p);
		memset((void *)in.p, 0x5a, in.len);
		in.stop = 0;
		ASSERT_EQ(0, pthread_create(&t, NULL, inject_loop, &in));
		usleep(1000 * (round % 5));
		/* The pool's last page: a unit no region of 16 MiB takes first. */
		cor.pfn = (pool.base + pool.length) / 4096 - 1;
		cor.stop = 0;
		if (corrupt)
			ASSERT_EQ(0, pthread_create(&tc, NULL, corrupt_loop, &cor));
		munmap((void *)in.p, in.len);
		close(fd);
		vk_free(dev, name);
		close(dev);
		/*
		 * The injector's MADV_HWPOISON holds a page (get_user_pages)
		 * while it injects: a FREE that saw it keeps the module until
		 * a reap finds it let go, and STATUS reaps (as the admin
		 * guide says).
		 */
		for (i = 0, ret = rmmod(); ret && i < 500; i++) {
			usleep(10000);
			dev = vk_open();
			if (dev >= 0) {
				vk_pool(dev, 0, &pool);
				close(dev);
			}
			ret = rmmod();
		}
		in.stop = 1;
		pthread_join(t, NULL);
		cor.stop = 1;
		if (corrupt)
			pthread_join(tc, NULL);
		EXPECT_EQ(0, ret) {
			TH_LOG("round %u: rmmod %s", round, strerror(-ret));
		}
		unloaded += !ret;
		if (ret)
			break;
	}
	ok = in.ok;
	failed = in.failed;
	TH_LOG("%u rounds unloaded, MADV_HWPOISON: %u delivered, %u failed (unmapped or unloaded); corrupt-pfn: %u delivered, %u failed (unloaded)%s; %d lines of the op",
	       unloaded, ok, failed, cor.ok, cor.failed,
	       corrupt ? "" : " (no " CORRUPT_PFN ")",
	       klog_count("memory failure at offset"));
	EXPECT_EQ(ROUNDS, unloaded);
	if (in.einval)
		TH_LOG("no memory failure in this kernel: unload alone");
	else
		EXPECT_LT(0, ok);
	EXPECT_EQ(claimed0, klog_count("left claimed"));
	dev = vk_load();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_EQ(free0, pool.free);
	close(dev);
	EXPECT_EQ(0, rmmod());
}

/* The pfn that maps @p, from /proc/self/pagemap (root), or 0. */
static uint64_t pfn_of(volatile void *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), ((uintptr_t)p / 4096) * sizeof(e)) != sizeof(e))
		e = 0;
	close(fd);
	return (e >> 63) ? e & ((1ULL << 55) - 1) : 0;
}

/*
 * Test Case: a pool left claimed at unload is unreachable for memory
 * failures.  A page of a live region is in a pipe (vmsplice) when the
 * module unloads: the pool keeps its struct pages for the pipe, and the
 * module's code is gone.  A memory failure injected at that page through
 * the hwpoison debugfs (corrupt-pfn, which needs no mapping) must find no
 * pool (ENXIO: "memory outside kernel control"), not call into the freed
 * module (an Oops); the pipe still reads the page's bytes.  Also after a
 * failure injected while the module was loaded.  Leaves the pool claimed
 * until reboot: last.
 */
TEST_F_TIMEOUT(mf, left_claimed_unreachable, 120)
{
	char buf[4096], pfnbuf[32];
	int dev, fd, pfd[2], inj, ret;
	volatile char *p;
	struct iovec iov;
	uint64_t pfn;

	dev = vk_load();
	if (dev < 0)
		SKIP(return, "module or pool not available");
	fd = vk_alloc(dev, "mr-held", 4 << 20, 0);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset((void *)p, 0x5a, 4 << 20);
	pfn = pfn_of(p + (2 << 20));
	ASSERT_NE(0, pfn);
	/* A failure while loaded, in the other unit: delivered, on access. */
	ret = madvise((void *)(p + 8192), 4096, MADV_HWPOISON);
	if (ret && errno == EINVAL)
		TH_LOG("no memory failure in this kernel: none injected");
	else
		ASSERT_EQ(0, ret);
	iov = (struct iovec){ (void *)(p + (2 << 20)), 4096 };
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(4096, vmsplice(pfd[1], &iov, 1, 0));
	munmap((void *)p, 4 << 20);
	close(fd);
	close(dev);
	/* The live region's page is held: the pool stays, the module goes. */
	ASSERT_EQ(0, rmmod());
	EXPECT_LT(0, klog_count("pool left claimed"));

	/* Built in with CONFIG_MEMORY_FAILURE: 7.2 has no hwpoison-inject. */
	inj = open(HARD_OFFLINE, O_WRONLY);
	if (inj >= 0) {
		snprintf(pfnbuf, sizeof(pfnbuf), "%#llx\n",
			 (unsigned long long)pfn * getpagesize());
		ret = write(inj, pfnbuf, strlen(pfnbuf));
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(ENXIO, errno);
		close(inj);
		EXPECT_LT(0, klog_count("memory outside kernel control"));
	}
	ASSERT_EQ(4096, read(pfd[0], buf, sizeof(buf)));
	EXPECT_EQ(0x5a, buf[0]);
	EXPECT_EQ(0x5a, buf[4095]);
	close(pfd[0]);
	close(pfd[1]);
	if (inj < 0)
		SKIP(return, "no %s (CONFIG_MEMORY_FAILURE): nothing injected",
		     HARD_OFFLINE);
}

TEST_HARNESS_MAIN
