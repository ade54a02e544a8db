// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Damaged handoffs, in two stages around a kexec (plan: corrupt.plan,
 * five pools).  Stage 1 formats pools 0-4 and makes regions on pool 0;
 * between the stages the plan unloads the module and vkcorrupt damages
 * the metadata.  Stage 2 checks that the module restored what is sound:
 * the good region is incoming with its bytes, each bad one quarantined
 * with its reason and never opened, damaged pools reported and unused, a
 * pool of random bytes seen as empty.  The stage comes from the pool.
 */
#include <sys/mman.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

static const char * const names[] = {
	"cr-good", "cr-crc", "cr-bounds", "cr-ovl-a", "cr-ovl-b", "cr-name",
};

static int the_stage;

static void __attribute__((constructor)) find_stage(void)
{
	the_stage = vk_stage("cr-good");
}

/* Test Case: stage 1 - pools 0-4 formatted, six regions on pool 0 with patterns. */
TEST(stage1_setup)
{
	struct vmkeep_format f = { .size = sizeof(f) };
	struct vmkeep_pool_info pool;
	uint64_t off, w;
	unsigned int i;
	int dev = vk_open(), fd;

	ASSERT_LE(0, dev);
	if (the_stage != 1)
		SKIP(return, "stage 2");
	for (i = 0; i <= 4; i++) {
		ASSERT_EQ(0, vk_format_kept(i)) TH_LOG("pool %u", i);
		ASSERT_EQ(0, vk_pool(dev, i, &pool));
		EXPECT_EQ(VMKEEP_POOL_READY, pool.state);
	}
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		fd = vk_alloc(dev, names[i], 2 * MiB, 0);
		ASSERT_LE(0, fd) TH_LOG("%s", names[i]);
		for (off = 0; off < 2 * MiB; off += 4096) {
			w = vk_pattern(names[i], off);
			ASSERT_EQ(8, pwrite(fd, &w, 8, off));
		}
		close(fd);
	}
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_EQ(ARRAY_SIZE(names), pool.nr_regions);
	close(dev);
}

static uint32_t reason(int dev, const char *name)
{
	struct vmkeep_region_info info = {};

	if (vk_find(dev, name, &info))
		return ~0U;
	return info.state == VMKEEP_STATE_QUARANTINED ? info.quarantine : 0;
}

/* Test Case: stage 2 - the sound region is back, every damaged one quarantined with its reason. */
TEST(stage2_quarantine)
{
	struct vmkeep_region_info *r, info = {};
	struct vmkeep_pool_info pool;
	uint64_t off, w;
	unsigned int i, bad_name = 0;
	uint32_t n;
	int dev = vk_open(), fd;

	ASSERT_LE(0, dev);
	if (the_stage != 2)
		SKIP(return, "stage 1");
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_EQ(VMKEEP_POOL_READY, pool.state);
	EXPECT_EQ(5U, pool.nr_quarantined);
	/*
	 * The unload before the damage wrote the clean mark, which the
	 * header still carries (vkcorrupt damaged the entries).
	 */
	EXPECT_TRUE(pool.flags & VMKEEP_POOL_CLEAN_HANDOFF);

	ASSERT_EQ(0, vk_find(dev, "cr-good", &info));
	EXPECT_EQ(VMKEEP_STATE_INCOMING, info.state);
	fd = vk_get(dev, "cr-good");
	ASSERT_LE(0, fd);
	for (off = 0; off < 2 * MiB; off += 4096) {
		ASSERT_EQ(8, pread(fd, &w, 8, off));
		ASSERT_EQ(vk_pattern("cr-good", off), w);
	}
	close(fd);

	EXPECT_EQ(VMKEEP_Q_CRC, reason(dev, "cr-crc"));
	EXPECT_EQ(VMKEEP_Q_EXTENT, reason(dev, "cr-bounds"));
	EXPECT_EQ(VMKEEP_Q_OVERLAP, reason(dev, "cr-ovl-a"));
	EXPECT_EQ(VMKEEP_Q_OVERLAP, reason(dev, "cr-ovl-b"));
	EXPECT_EQ(~0U, reason(dev, "cr-name"));
	r = vk_list(dev, &n);
	ASSERT_NE(NULL, r);
	for (i = 0; i < n; i++) {
		if (!strncmp(r[i].name, "!bad-", 5)) {
			bad_name++;
			EXPECT_EQ(VMKEEP_Q_NAME, r[i].quarantine);
		}
	}
	free(r);
	EXPECT_EQ(1U, bad_name);

	/* Quarantined memory is never handed out. */
	EXPECT_EQ(-EIO, vk_get(dev, "cr-crc"));
	EXPECT_EQ(-EIO, vk_get(dev, "cr-ovl-a"));
	EXPECT_EQ(-EIO, vk_finish(dev, "cr-bounds", 0));
	close(dev);
}

/*
 * Test Case: stage 2 - damaged pools are reported with their reason and
 * not used; random bytes read as empty.
 */
TEST(stage2_damaged_pools)
{
	struct vmkeep_pool_info pool;
	int dev = vk_open(), fd;

	ASSERT_LE(0, dev);
	if (the_stage != 2)
		SKIP(return, "stage 1");
	ASSERT_EQ(0, vk_pool(dev, 1, &pool));
	EXPECT_EQ(VMKEEP_POOL_DAMAGED, pool.state);
	EXPECT_EQ(VMKEEP_D_CRC, pool.damage);
	ASSERT_EQ(0, vk_pool(dev, 2, &pool));
	EXPECT_EQ(VMKEEP_POOL_DAMAGED, pool.state);
	EXPECT_EQ(VMKEEP_D_VERSION, pool.damage);
	ASSERT_EQ(0, vk_pool(dev, 3, &pool));
	EXPECT_EQ(VMKEEP_POOL_DAMAGED, pool.state);
	EXPECT_EQ(VMKEEP_D_FIELD, pool.damage);
	ASSERT_EQ(0, vk_pool(dev, 4, &pool));
	EXPECT_EQ(VMKEEP_POOL_EMPTY, pool.state);

	/*
	 * New regions come from sound pools only: pool 0 is held (its
	 * quarantined regions were not repaired), pools 1-3 are damaged and
	 * pool 4 was never formatted: ENOMEDIUM says so.
	 */
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_TRUE(pool.flags & VMKEEP_POOL_HELD);
	fd = vk_alloc(dev, "cr-fill", 2 * MiB, 0);
	EXPECT_EQ(-ENOMEDIUM, fd);
	if (fd >= 0)
		close(fd);
	close(dev);
}

/* Test Case: stage 2 - freeing the quarantined regions gives their memory back. */
TEST(stage2_free_all)
{
	struct vmkeep_region_info *r;
	struct vmkeep_pool_info pool;
	uint32_t n, i;
	int dev = vk_open();

	ASSERT_LE(0, dev);
	if (the_stage != 2)
		SKIP(return, "stage 1");
	r = vk_list(dev, &n);
	ASSERT_NE(NULL, r);
	for (i = 0; i < n; i++)
		EXPECT_EQ(0, vk_free(dev, r[i].name)) TH_LOG("%s", r[i].name);
	free(r);
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_EQ(0U, pool.nr_regions);
	EXPECT_EQ(pool.length - 2 * MiB, pool.free);
	close(dev);
}

TEST_HARNESS_MAIN
