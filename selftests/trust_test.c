// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * What the module trusts (issue 21, findings 1 and 3), run by trust.plan:
 * pool 0 (64M@0x40000000) and pool 1 (16M@0x44000000) hold metadata that
 * vkcorrupt forged, as a tenant of the previous kernel could, with a
 * region "loot" of uid 1000 over bytes of that kernel.  Neither may be
 * restored, mapped or written until the host proves the pool is its own.
 * Then pool 0 is formatted and a FREE that could not be written (the
 * test build's crash knob) must not give its memory to the next ALLOC:
 * after the kexec the old metadata brings the region back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vmkeep.h>
#include "kselftest_harness.h"
#include "vmkeep_util.h"

#define POOL_LEN	(62 * MiB)	/* all of 64M@0x40000000 but its metadata */

/* Runs @fn as @uid in a child; its return value is the exit code. */
static int as_uid(unsigned int uid, int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (!pid) {
		if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(100);
		_exit(fn());
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 101;
}

static int get_loot(void)
{
	int dev = vk_open();

	return dev < 0 ? 102 : -vk_get(dev, "loot");
}

/*
 * Test Case: a pool with forged metadata is foreign: nothing listed or
 * openable, no ALLOC from it, no FORMAT without force, a wrong identity
 * rejected, and only CAP_SYS_ADMIN may present one
 */
TEST(forged_pool_is_foreign)
{
	struct vmkeep_trust t = { .size = sizeof(t), .pool = 0 };
	struct vmkeep_format f = { .size = sizeof(f), .pool = 0 };
	struct vmkeep_pool_info p;
	struct vmkeep_region_info r;
	int dev = vk_open();

	ASSERT_LE(0, dev);
	ASSERT_EQ(0, vk_pool(dev, 0, &p));
	EXPECT_EQ(VMKEEP_POOL_FOREIGN, p.state);
	EXPECT_EQ(0, p.nr_regions);
	ASSERT_EQ(0, vk_pool(dev, 1, &p));
	EXPECT_EQ(VMKEEP_POOL_FOREIGN, p.state);
	EXPECT_EQ(-ENOENT, vk_find(dev, "loot", &r));
	ASSERT_EQ(0, fchmod(dev, 0666));
	EXPECT_EQ(ENOENT, as_uid(1000, get_loot));
	ASSERT_EQ(0, fchmod(dev, 0600));
	EXPECT_EQ(-ENOSPC, vk_alloc(dev, "tr-new", 2 * MiB, 0));
	EXPECT_EQ(-EBUSY, vk_ioctl(dev, VMKEEP_IOC_FORMAT, &f));
	memset(t.pool_id, 0xa6, sizeof(t.pool_id));
	EXPECT_EQ(-EKEYREJECTED, vk_ioctl(dev, VMKEEP_IOC_TRUST, &t));
	/* The forger's own identity is no proof either without the host's word. */
	t.pool = 1;
	EXPECT_EQ(-EKEYREJECTED, vk_ioctl(dev, VMKEEP_IOC_TRUST, &t));
	t.flags = 1U << 7;
	EXPECT_EQ(-EOPNOTSUPP, vk_ioctl(dev, VMKEEP_IOC_TRUST, &t));
	ASSERT_EQ(0, vk_pool(dev, 0, &p));
	EXPECT_EQ(VMKEEP_POOL_FOREIGN, p.state);
	close(dev);
}

static int trust_pool0(void)
{
	struct vmkeep_trust t = { .size = sizeof(t), .flags = VMKEEP_TRUST_ADOPT };
	int dev = vk_open();

	return dev < 0 ? 102 : -vk_ioctl(dev, VMKEEP_IOC_TRUST, &t);
}

/* Test Case: a user may not adopt a pool (CAP_SYS_ADMIN) */
TEST(adopt_needs_admin)
{
	int dev = vk_open();

	ASSERT_LE(0, dev);
	/* /dev/vmkeep is root's: open it first, then drop the uid. */
	ASSERT_EQ(0, fchmod(dev, 0666));
	EXPECT_EQ(EPERM, as_uid(1000, trust_pool0));
	ASSERT_EQ(0, fchmod(dev, 0600));
	close(dev);
}

static int free_a(void)
{
	int dev = vk_open();

	return dev < 0 ? 102 : -vk_free(dev, "tr-a");
}

/* uid 1001 takes all the pool's room and writes its secret there. */
static int alloc_b(void)
{
	int dev = vk_open(), fd;
	char *m;

	if (dev < 0)
		return 102;
	fd = vk_alloc(dev, "tr-b", POOL_LEN, 0);
	if (fd < 0)
		return -fd;
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 103;
	strcpy(m, "B-TENANT-SECRET");
	return 0;
}

static int alloc_a(void)
{
	int dev = vk_open(), fd;
	char *m;

	if (dev < 0)
		return 102;
	fd = vk_alloc(dev, "tr-a", POOL_LEN, 0);
	if (fd < 0)
		return -fd;
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 103;
	strcpy(m, "A-TENANT");
	return 0;
}

/*
 * Test Case: stage 1 - after a FREE whose metadata write did not happen
 * (crash knob), the freed memory goes to no one: the next ALLOC of it
 * fails; the kexec follows (trust.plan)
 */
TEST(free_not_written_keeps_memory)
{
	int dev = vk_open(), k;

	ASSERT_LE(0, dev);
	ASSERT_EQ(0, fchmod(dev, 0666));
	ASSERT_EQ(0, as_uid(1000, alloc_a));
	/* Its memory all cleared and written so: it comes back whole. */
	ASSERT_EQ(0, system("vmkeepctl freeze >/dev/null && vmkeepctl thaw"));
	k = open("/sys/kernel/debug/vmkeep/crash_after_write", O_WRONLY);
	ASSERT_LE(0, k);
	ASSERT_EQ(1, write(k, "1", 1));
	close(k);
	ASSERT_EQ(0, as_uid(1000, free_a));
	EXPECT_EQ(ENOSPC, as_uid(1001, alloc_b));
	ASSERT_EQ(0, fchmod(dev, 0600));
	close(dev);
}

static int read_a(void)
{
	int dev = vk_open(), fd;
	char *m;

	if (dev < 0)
		return 102;
	fd = vk_get(dev, "tr-a");
	if (fd < 0)
		return -fd;
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 103;
	return strcmp(m, "A-TENANT") ? (strstr(m, "B-TENANT") ? 104 : 105) : 0;
}

/*
 * Test Case: stage 2 - the region whose FREE was not written is back, and
 * holds its own bytes, not the next tenant's
 */
TEST(stage2_region_back_with_its_bytes)
{
	int dev = vk_open();

	ASSERT_LE(0, dev);
	ASSERT_EQ(0, fchmod(dev, 0666));
	EXPECT_EQ(0, as_uid(1000, read_a)) TH_LOG("104: uid 1000 read uid 1001's bytes");
	EXPECT_EQ(0, as_uid(1000, free_a));
	ASSERT_EQ(0, fchmod(dev, 0600));
	close(dev);
}

TEST_HARNESS_MAIN
