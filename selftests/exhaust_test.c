// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Exhaustion: a full metadata area and a full pool give ENOSPC, and the
 * regions already there keep their bytes.  Run with the module loaded
 * with a small max_regions (exhaust step of check.plan), so that a full
 * metadata area is reachable in a small pool.
 */
#include <stdio.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

static unsigned int read_max_regions(void)
{
	FILE *f = fopen("/sys/module/vmkeep/parameters/max_regions", "r");
	unsigned int n = 0;

	if (f) {
		if (fscanf(f, "%u", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n;
}

static void mark(int fd, const char *name)
{
	uint64_t w = vk_pattern(name, 0);

	pwrite(fd, &w, 8, 0);
}

static int marked(int dev, const char *name)
{
	int fd = vk_get(dev, name);
	uint64_t w = 0;

	if (fd < 0)
		return 0;
	pread(fd, &w, 8, 0);
	close(fd);
	return w == vk_pattern(name, 0);
}

/* Test Case: the metadata takes max_regions regions, then ENOSPC; the others are intact. */
TEST(metadata_full)
{
	unsigned int i, max = read_max_regions();
	char name[VMKEEP_NAME_LEN];
	int dev = vk_open(), fd;

	ASSERT_LE(0, dev);
	if (!max || max > 64)
		SKIP(return, "load vmkeep with max_regions=N, N <= 64");
	for (i = 0; i < max; i++) {
		snprintf(name, sizeof(name), "ex-%u", i);
		fd = vk_alloc(dev, name, 2 * MiB, 0);
		ASSERT_LE(0, fd) TH_LOG("%s", name);
		mark(fd, name);
		close(fd);
	}
	EXPECT_EQ(-ENOSPC, vk_alloc(dev, "ex-more", 2 * MiB, 0));
	for (i = 0; i < max; i++) {
		snprintf(name, sizeof(name), "ex-%u", i);
		EXPECT_TRUE(marked(dev, name)) TH_LOG("%s", name);
	}
	/* One freed entry makes room for one more. */
	ASSERT_EQ(0, vk_free(dev, "ex-0"));
	fd = vk_alloc(dev, "ex-more", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	close(fd);
	for (i = 1; i < max; i++) {
		snprintf(name, sizeof(name), "ex-%u", i);
		EXPECT_EQ(0, vk_free(dev, name));
	}
	EXPECT_EQ(0, vk_free(dev, "ex-more"));
	close(dev);
}

/* Test Case: a full pool gives ENOSPC, and the region filling it keeps its bytes. */
TEST(pool_full)
{
	struct vmkeep_pool_info pool;
	int dev = vk_open(), a, b;

	ASSERT_LE(0, dev);
	a = vk_alloc(dev, "ex-small", 2 * MiB, 0);
	ASSERT_LE(0, a);
	mark(a, "ex-small");
	close(a);
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	b = vk_alloc(dev, "ex-rest", pool.free, 0);
	ASSERT_LE(0, b);
	mark(b, "ex-rest");
	close(b);
	EXPECT_EQ(-ENOSPC, vk_alloc(dev, "ex-none", 2 * MiB, 0));
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_EQ(0ULL, pool.free);
	EXPECT_TRUE(marked(dev, "ex-small"));
	EXPECT_TRUE(marked(dev, "ex-rest"));
	EXPECT_EQ(0, vk_free(dev, "ex-small"));
	EXPECT_EQ(0, vk_free(dev, "ex-rest"));
	close(dev);
}

TEST_HARNESS_MAIN
