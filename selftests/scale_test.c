// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Many regions across kexec: stage 1 fills the pool with SCALE_N (1000)
 * regions of 2 MiB, each marked with its own words; stage 2 finds them
 * all incoming and intact, reports the module's restore time and the
 * metadata size, and frees them.  The stage comes from the pool itself.
 */
#include <sys/mman.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

#define SCALE_N 1000

static int the_stage;

static void __attribute__((constructor)) find_stage(void)
{
	the_stage = vk_stage("s-0000");
}

static void name_of(char *buf, unsigned int i)
{
	snprintf(buf, VMKEEP_NAME_LEN, "s-%04u", i);
}

FIXTURE(scale) {
	int dev;
};

FIXTURE_SETUP(scale)
{
	self->dev = vk_open();
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(scale)
{
	close(self->dev);
}

/*
 * Test Case: stage 1 - 1000 regions, each with its name's words at both
 * ends.  Each ALLOC and each region the zeroer finishes writes the whole
 * list: under TCG beside other VMs, 1000 took more than the default 30 s.
 */
TEST_F_TIMEOUT(scale, stage1_many, 300)
{
	char name[VMKEEP_NAME_LEN];
	struct vmkeep_pool_info pool;
	int dev = self->dev, fd;
	uint64_t w[2];
	unsigned int i;

	if (the_stage != 1)
		SKIP(return, "stage 2");
	for (i = 0; i < SCALE_N; i++) {
		name_of(name, i);
		fd = vk_alloc(dev, name, 2 * MiB, 0);
		ASSERT_LE(0, fd) TH_LOG("%s: %s", name, strerror(-fd));
		w[0] = vk_pattern(name, 0);
		w[1] = vk_pattern(name, 2 * MiB - 8);
		ASSERT_EQ(8, pwrite(fd, &w[0], 8, 0));
		ASSERT_EQ(8, pwrite(fd, &w[1], 8, 2 * MiB - 8));
		close(fd);
	}
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_EQ((uint32_t)SCALE_N, pool.nr_regions);
	TH_LOG("%u regions, %llu metadata bytes per copy", pool.nr_regions,
	       (unsigned long long)pool.meta_bytes);
}

/* Test Case: stage 2 - all 1000 are back, incoming, with their words; then freed. */
TEST_F_TIMEOUT(scale, stage2_many, 300)
{
	char name[VMKEEP_NAME_LEN];
	struct vmkeep_region_info *r;
	struct vmkeep_pool_info pool;
	unsigned int i, incoming = 0;
	int dev = self->dev, fd;
	uint64_t w[2];
	uint32_t n;

	if (the_stage != 2)
		SKIP(return, "stage 1");
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	TH_LOG("restore of %u regions took %llu us in the module; %llu metadata bytes per copy",
	       pool.nr_regions, (unsigned long long)pool.restore_ns / 1000,
	       (unsigned long long)pool.meta_bytes);
	EXPECT_EQ((uint32_t)SCALE_N, pool.nr_regions);
	EXPECT_EQ(0U, pool.nr_quarantined);
	r = vk_list(dev, &n);
	ASSERT_NE(NULL, r);
	for (i = 0; i < n; i++)
		incoming += r[i].state == VMKEEP_STATE_INCOMING;
	free(r);
	EXPECT_EQ((unsigned int)SCALE_N, incoming);

	for (i = 0; i < SCALE_N; i++) {
		name_of(name, i);
		fd = vk_get(dev, name);
		ASSERT_LE(0, fd) TH_LOG("%s", name);
		ASSERT_EQ(8, pread(fd, &w[0], 8, 0));
		ASSERT_EQ(8, pread(fd, &w[1], 8, 2 * MiB - 8));
		EXPECT_EQ(vk_pattern(name, 0), w[0]) TH_LOG("%s", name);
		EXPECT_EQ(vk_pattern(name, 2 * MiB - 8), w[1]) TH_LOG("%s", name);
		close(fd);
		ASSERT_EQ(0, vk_free(dev, name));
	}
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_EQ(0U, pool.nr_regions);
	EXPECT_EQ(pool.length - 2 * MiB, pool.free);
}

TEST_HARNESS_MAIN
