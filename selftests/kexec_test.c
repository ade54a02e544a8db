// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Two-stage test across kexec.  The stage is found from the preserved
 * state itself: without the "kx-small" region this is stage 1, which
 * makes regions and fills them; with it, stage 2 checks that they came
 * back as incoming with their bytes, owners and flags, then finishes and
 * frees them.  The tests of the other stage are skipped.
 */
#include <sys/mman.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

static const struct {
	const char *name;
	uint64_t length;
	uint32_t flags, uid, gid, mode;
} kx[] = {
	{ "kx-small", 2 * MiB, 0, 0, 0, 0600 },
	{ "kx-mid", 64 * MiB, VMKEEP_REGION_EXCLUSIVE, 0, 0, 0600 },
	{ "kx-big", 130 * MiB, VMKEEP_ALLOC_OWNER, 1000, 1000, 0640 },
};

static int the_stage;

static void __attribute__((constructor)) find_stage(void)
{
	the_stage = vk_stage("kx-small");
}

static uint64_t check_pattern(const char *p, const char *name, uint64_t len)
{
	uint64_t off, bad = 0;

	for (off = 0; off < len; off += 8)
		bad += *(const uint64_t *)(p + off) != vk_pattern(name, off);
	return bad;
}

/* Test Case: stage 1 - make regions of several sizes and flags, fill them, free one. */
TEST(stage1_preserve)
{
	struct vmkeep_alloc a;
	unsigned int i;
	uint64_t off;
	char *p;
	int dev = vk_open(), fd;

	ASSERT_LE(0, dev);
	if (the_stage != 1)
		SKIP(return, "stage 2");
	for (i = 0; i < ARRAY_SIZE(kx); i++) {
		a = (struct vmkeep_alloc){ .size = sizeof(a), .flags = kx[i].flags,
					   .length = kx[i].length, .uid = kx[i].uid,
					   .gid = kx[i].gid, .mode = kx[i].mode };
		strcpy(a.name, kx[i].name);
		ASSERT_EQ(0, vk_ioctl(dev, VMKEEP_IOC_ALLOC, &a));
		fd = a.out_fd;
		p = mmap(NULL, kx[i].length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		for (off = 0; off < kx[i].length; off += 8)
			*(uint64_t *)(p + off) = vk_pattern(kx[i].name, off);
		munmap(p, kx[i].length);
		close(fd);
	}
	fd = vk_alloc(dev, "kx-gone", 4 * MiB, 0);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, vk_free(dev, "kx-gone"));
	close(dev);
}

/* Test Case: stage 2 - every region is back, incoming, with its owner, flags and bytes. */
TEST(stage2_restored)
{
	struct vmkeep_region_info info = {};
	struct vmkeep_pool_info pool;
	unsigned int i;
	char *p;
	int dev = vk_open(), fd;

	ASSERT_LE(0, dev);
	if (the_stage != 2)
		SKIP(return, "stage 1");
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_EQ(VMKEEP_POOL_READY, pool.state);
	EXPECT_TRUE(pool.flags & VMKEEP_POOL_CLEAN_HANDOFF);
	EXPECT_TRUE(pool.flags & VMKEEP_POOL_RESTORED);
	EXPECT_LE(1ULL, pool.handoffs);
	EXPECT_EQ(0U, pool.nr_quarantined);
	TH_LOG("pool restored in %llu ns, generation %llu, %u regions, %llu metadata bytes",
	       (unsigned long long)pool.restore_ns,
	       (unsigned long long)pool.generation, pool.nr_regions,
	       (unsigned long long)pool.meta_bytes);
	EXPECT_EQ(-ENOENT, vk_find(dev, "kx-gone", &info));

	for (i = 0; i < ARRAY_SIZE(kx); i++) {
		ASSERT_EQ(0, vk_find(dev, kx[i].name, &info)) TH_LOG("%s", kx[i].name);
		EXPECT_EQ(VMKEEP_STATE_INCOMING, info.state);
		EXPECT_EQ(kx[i].length, info.length);
		EXPECT_EQ(kx[i].uid, info.uid);
		EXPECT_EQ(kx[i].gid, info.gid);
		EXPECT_EQ(kx[i].mode, info.mode);
		EXPECT_EQ(kx[i].flags & VMKEEP_REGION_EXCLUSIVE, info.flags);
		fd = vk_get(dev, kx[i].name);
		ASSERT_LE(0, fd);
		p = mmap(NULL, kx[i].length, PROT_READ, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(0ULL, check_pattern(p, kx[i].name, kx[i].length))
			TH_LOG("%s: words differ", kx[i].name);
		munmap(p, kx[i].length);
		close(fd);
	}
	close(dev);
}

/* Test Case: stage 2 - finish one and all, then free: the pool is whole again. */
TEST(stage2_finish_free)
{
	struct vmkeep_region_info info = {};
	struct vmkeep_pool_info pool;
	unsigned int i;
	int dev = vk_open();

	ASSERT_LE(0, dev);
	if (the_stage != 2)
		SKIP(return, "stage 1");
	ASSERT_EQ(0, vk_finish(dev, "kx-small", 0));
	ASSERT_EQ(0, vk_find(dev, "kx-small", &info));
	EXPECT_EQ(VMKEEP_STATE_ACTIVE, info.state);
	EXPECT_EQ(-EINVAL, vk_finish(dev, "kx-mid", VMKEEP_FINISH_ALL));
	ASSERT_EQ(0, vk_finish(dev, NULL, VMKEEP_FINISH_ALL));
	for (i = 0; i < ARRAY_SIZE(kx); i++) {
		ASSERT_EQ(0, vk_find(dev, kx[i].name, &info));
		EXPECT_EQ(VMKEEP_STATE_ACTIVE, info.state);
		EXPECT_EQ(0, vk_free(dev, kx[i].name));
	}
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_EQ(0U, pool.nr_regions);
	EXPECT_EQ(pool.length - 2 * MiB, pool.free);
	close(dev);
}

TEST_HARNESS_MAIN
