// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Loss-averse handoff (plan: handoff.plan; pools 64M@0x40000000 and
 * 16M@0x44000000).  Stage 1: a never-used pool is not formatted by ALLOC;
 * after an explicit FORMAT four regions get patterns, FREEZE makes both
 * metadata copies alike, and between the stages vkcorrupt flips the
 * length of "hf-a" in the active copy only (repairable) and of "hf-b" in
 * both (not repairable).  Stage 2: "hf-a" is back, repaired, with its
 * bytes; "hf-b" is quarantined, its memory stays reserved, the pool is
 * held (nothing written, nothing allocated from it) until "hf-b" is freed.
 * "hf-b" belongs to uid 1000, whose claim in the damaged entry is not
 * believed: only CAP_SYS_ADMIN may free it and so end the hold.
 * The stage comes from VMKEEP_TEST_STAGE (the VM's /init).
 */
#include <stdio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

static const char * const names[] = { "hf-a", "hf-b", "hf-c", "hf-d" };

/* The owner of "hf-b": not root. */
#define HF_B_UID	1000

/* ALLOC of @name, owned by @uid when it is not 0 (root may give regions away). */
static int alloc_owned(int dev, const char *name, uid_t uid)
{
	struct vmkeep_alloc a = { .size = sizeof(a), .length = 2 * MiB };
	int ret;

	if (uid) {
		a.flags = VMKEEP_ALLOC_OWNER;
		a.uid = uid;
		a.gid = uid;
	}
	memcpy(a.name, name, strnlen(name, sizeof(a.name) - 1));
	ret = vk_ioctl(dev, VMKEEP_IOC_ALLOC, &a);
	return ret ?: a.out_fd;
}

static int stage(void)
{
	const char *s = getenv("VMKEEP_TEST_STAGE");

	return s ? atoi(s) : 1;
}

static void fill(struct __test_metadata *_metadata, int fd, const char *name)
{
	uint64_t off, w;

	for (off = 0; off < 2 * MiB; off += 4096) {
		w = vk_pattern(name, off);
		ASSERT_EQ(8, pwrite(fd, &w, 8, off));
	}
}

static void check(struct __test_metadata *_metadata, int dev, const char *name)
{
	uint64_t off, w;
	int fd = vk_get(dev, name);

	ASSERT_LE(0, fd) TH_LOG("%s", name);
	for (off = 0; off < 2 * MiB; off += 4096) {
		ASSERT_EQ(8, pread(fd, &w, 8, off));
		ASSERT_EQ(vk_pattern(name, off), w) TH_LOG("%s +%#llx", name,
							   (unsigned long long)off);
	}
	close(fd);
}

/*
 * Test Case: finding 3 - ALLOC never formats a pool without metadata: it
 * fails with ENOMEDIUM and the pool stays empty; FORMAT makes it ready.
 */
TEST(stage1_no_implicit_format)
{
	struct vmkeep_format f = { .size = sizeof(f) };
	struct vmkeep_pool_info pool;
	unsigned int i;
	int dev = vk_open();

	ASSERT_LE(0, dev);
	if (stage() != 1)
		SKIP(return, "stage 2");
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	ASSERT_EQ(VMKEEP_POOL_EMPTY, pool.state);
	EXPECT_EQ(-ENOMEDIUM, vk_alloc(dev, "hf-x", 2 * MiB, 0));
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_EQ(VMKEEP_POOL_EMPTY, pool.state);
	EXPECT_EQ(0U, pool.generation);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vk_format_kept(i));
		ASSERT_EQ(0, vk_pool(dev, i, &pool));
		EXPECT_EQ(VMKEEP_POOL_READY, pool.state);
	}
	close(dev);
}

/* Test Case: stage 1 - four regions with patterns, frozen: both copies alike. */
TEST(stage1_setup)
{
	struct vmkeep_freeze fr = { .size = sizeof(fr) };
	struct vmkeep_region_info info;
	unsigned int i;
	int dev = vk_open(), fd;

	ASSERT_LE(0, dev);
	if (stage() != 1)
		SKIP(return, "stage 2");
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		fd = alloc_owned(dev, names[i], i == 1 ? HF_B_UID : 0);
		ASSERT_LE(0, fd) TH_LOG("%s", names[i]);
		fill(_metadata, fd, names[i]);
		close(fd);
		ASSERT_EQ(0, vk_find(dev, names[i], &info));
		ASSERT_EQ(0U, info.pool);
	}
	ASSERT_EQ(0, vk_ioctl(dev, VMKEEP_IOC_FREEZE, &fr));
	close(dev);
}

/*
 * Test Case: finding 1 - the entry damaged in the active copy only comes
 * back from the other copy, marked repaired, with its bytes.
 */
TEST(stage2_repaired)
{
	struct vmkeep_region_info info = {};
	struct vmkeep_pool_info pool;
	int dev = vk_open();

	ASSERT_LE(0, dev);
	if (stage() != 2)
		SKIP(return, "stage 1");
	ASSERT_EQ(0, vk_find(dev, "hf-a", &info));
	EXPECT_EQ(VMKEEP_STATE_INCOMING, info.state);
	EXPECT_TRUE(info.flags & VMKEEP_REGION_REPAIRED);
	check(_metadata, dev, "hf-a");
	check(_metadata, dev, "hf-c");
	check(_metadata, dev, "hf-d");
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_EQ(1U, pool.nr_repaired);
	close(dev);
}

/*
 * Test Case: findings 1 and 2 - the entry damaged in both copies is
 * quarantined; its memory stays reserved although its extents do not add
 * up; the pool is held: ALLOC takes nothing from it.
 */
TEST(stage2_quarantined_held)
{
	struct vmkeep_region_info info = {};
	struct vmkeep_pool_info pool;
	int dev = vk_open(), fd;

	ASSERT_LE(0, dev);
	if (stage() != 2)
		SKIP(return, "stage 1");
	ASSERT_EQ(0, vk_find(dev, "hf-b", &info));
	EXPECT_EQ(VMKEEP_STATE_QUARANTINED, info.state);
	EXPECT_EQ(VMKEEP_Q_CRC, info.quarantine);
	EXPECT_EQ(1U, info.nr_extents);
	EXPECT_EQ(-EIO, vk_get(dev, "hf-b"));
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_EQ(1U, pool.nr_quarantined);
	EXPECT_TRUE(pool.flags & VMKEEP_POOL_HELD);
	/* metadata + four regions, hf-b's memory included */
	EXPECT_EQ(pool.length - 2 * MiB - 4 * 2 * MiB, pool.free);
	/* a new region comes from pool 1, never from the held pool */
	fd = vk_alloc(dev, "hf-new", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, vk_find(dev, "hf-new", &info));
	EXPECT_EQ(1U, info.pool);
	EXPECT_EQ(0, vk_free(dev, "hf-new"));
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_EQ(pool.length - 2 * MiB - 4 * 2 * MiB, pool.free);
	close(dev);
}

/* What @uid gets from FREE, GET and FINISH of @name: -errno each. */
static int as_uid(int dev, uid_t uid, const char *name, int res[3])
{
	int p[2], status;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(1);
		res[0] = vk_free(dev, name);
		res[1] = vk_get(dev, name);
		res[2] = vk_finish(dev, name, 0);
		_exit(write(p[1], res, 3 * sizeof(int)) != 3 * sizeof(int));
	}
	close(p[1]);
	if (pid < 0 || read(p[0], res, 3 * sizeof(int)) != 3 * sizeof(int))
		pid = -1;
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/*
 * Test Case: issue 21, item 6 - the owner named by an entry that failed
 * its checksum is not believed: uid 1000, "hf-b"'s owner in that entry,
 * may neither free it (EACCES: that would end the hold and overwrite the
 * other copy) nor get or finish it (EIO); the pool stays held, nothing
 * is written.  Root may (stage2_free_releases).
 */
TEST(stage2_quarantined_owner)
{
	struct vmkeep_pool_info before, after;
	struct vmkeep_region_info info = {};
	int dev = vk_open(), res[3] = {};

	ASSERT_LE(0, dev);
	if (stage() != 2)
		SKIP(return, "stage 1");
	ASSERT_EQ(0, vk_find(dev, "hf-b", &info));
	ASSERT_EQ(VMKEEP_STATE_QUARANTINED, info.state);
	ASSERT_EQ(HF_B_UID, info.uid);
	ASSERT_EQ(0, vk_pool(dev, 0, &before));
	ASSERT_EQ(0, as_uid(dev, HF_B_UID, "hf-b", res));
	EXPECT_EQ(-EACCES, res[0]) TH_LOG("FREE by the uid of a damaged entry: %s",
					  res[0] ? strerror(-res[0]) : "freed");
	EXPECT_EQ(-EIO, res[1]);
	EXPECT_EQ(-EIO, res[2]);
	ASSERT_EQ(0, vk_pool(dev, 0, &after));
	EXPECT_TRUE(after.flags & VMKEEP_POOL_HELD);
	EXPECT_EQ(before.generation, after.generation);
	EXPECT_EQ(0, vk_find(dev, "hf-b", &info));
	close(dev);
}

/*
 * Test Case: freeing the quarantined region ends the hold: the pool is
 * written and allocated from again, the other regions unharmed.
 */
TEST(stage2_free_releases)
{
	struct vmkeep_pool_info pool, before;
	struct vmkeep_region_info info = {};
	int dev = vk_open(), fd;

	ASSERT_LE(0, dev);
	if (stage() != 2)
		SKIP(return, "stage 1");
	ASSERT_EQ(0, vk_pool(dev, 0, &before));
	ASSERT_TRUE(before.flags & VMKEEP_POOL_HELD);
	ASSERT_EQ(0, vk_free(dev, "hf-b"));
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_FALSE(pool.flags & VMKEEP_POOL_HELD);
	EXPECT_EQ(before.generation + 1, pool.generation);
	EXPECT_EQ(before.free + 2 * MiB, pool.free);
	fd = vk_alloc(dev, "hf-b2", 4 * MiB, 0);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, vk_find(dev, "hf-b2", &info));
	EXPECT_EQ(0U, info.pool);
	check(_metadata, dev, "hf-a");
	check(_metadata, dev, "hf-c");
	check(_metadata, dev, "hf-d");
	close(dev);
}

TEST_HARNESS_MAIN
