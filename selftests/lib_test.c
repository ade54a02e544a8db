// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * libvmkeep against the real module, as a VMM links it: operations
 * return -errno, the iterators see what LIST and STATUS report (also past
 * the library's first guess of the count), FREEZE and THAW, the live
 * update sessions' list.  Needs root
 * and a pool with room; regions made here are "lb-*" and freed in the
 * teardown.  The uAPI itself is api_test's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vmkeep/libvmkeep.h>

#include "kselftest_harness.h"

#define MiB (1ULL << 20)

FIXTURE(lib) {
	struct vmkeep_ctx *ctx;
};

FIXTURE_SETUP(lib)
{
	ASSERT_EQ(0, vmkeep_new(&self->ctx));
	if (vmkeep_get_fd(self->ctx) < 0)
		SKIP(return, "no /dev/vmkeep");
}

FIXTURE_TEARDOWN(lib)
{
	struct vmkeep_region *r;
	char name[64];

	vmkeep_thaw(self->ctx);
	vmkeep_regions_refresh(self->ctx);
	vmkeep_region_foreach(self->ctx, r) {
		snprintf(name, sizeof(name), "%s", vmkeep_region_get_name(r));
		if (!strncmp(name, "lb-", 3))
			vmkeep_free(self->ctx, name);
	}
	vmkeep_unref(self->ctx);
}

static uint64_t pool0_free(struct vmkeep_ctx *ctx)
{
	struct vmkeep_pool *p;

	if (vmkeep_pools_refresh(ctx) < 0)
		return 0;
	p = vmkeep_pool_get_first(ctx);
	return p ? vmkeep_pool_get_free(p) : 0;
}

/*
 * Test Case: ALLOC with attributes, the region as the iterator and the
 * accessors show it, its memory counted in its pool, GET of it, FREE.
 */
TEST_F(lib, alloc_find_free)
{
	struct vmkeep_alloc_attr attr = { .size = sizeof(attr),
					  .flags = VMKEEP_ATTR_MODE,
					  .mode = 0640 };
	struct vmkeep_region *r;
	uint64_t before = pool0_free(self->ctx);
	int fd, fd2;

	fd = vmkeep_alloc(self->ctx, "lb-a", 4 * MiB, &attr);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	ASSERT_LE(0, vmkeep_regions_refresh(self->ctx));
	r = vmkeep_region_find(self->ctx, "lb-a");
	ASSERT_NE(NULL, r);
	EXPECT_EQ(4 * MiB, vmkeep_region_get_size(r));
	EXPECT_EQ(0640U, vmkeep_region_get_mode(r));
	EXPECT_STREQ("active", vmkeep_region_get_state_name(r));
	EXPECT_EQ(1U, vmkeep_region_get_nr_open(r));
	EXPECT_FALSE(vmkeep_region_is_quarantined(r));
	EXPECT_EQ(before - 4 * MiB, pool0_free(self->ctx));

	fd2 = vmkeep_get(self->ctx, "lb-a");
	ASSERT_LE(0, fd2);
	EXPECT_EQ((off_t)(4 * MiB), lseek(fd2, 0, SEEK_END));
	close(fd2);
	close(fd);
	ASSERT_EQ(0, vmkeep_free(self->ctx, "lb-a"));
	ASSERT_LE(0, vmkeep_regions_refresh(self->ctx));
	EXPECT_EQ(NULL, vmkeep_region_find(self->ctx, "lb-a"));
	EXPECT_EQ(before, pool0_free(self->ctx));
}

/* Test Case: errors come back as -errno, as the uAPI defines them. */
TEST_F(lib, errors)
{
	char long_name[VMKEEP_NAME_MAX + 2];
	int fd;

	EXPECT_EQ(-EINVAL, vmkeep_check_name("-bad"));
	EXPECT_EQ(0, vmkeep_check_name("good.name"));
	EXPECT_EQ(-ENOENT, vmkeep_get(self->ctx, "lb-nosuch"));
	EXPECT_EQ(-ENOENT, vmkeep_free(self->ctx, "lb-nosuch"));
	/* A quarantined region's name reaches FREE, nothing else does. */
	EXPECT_EQ(-ENOENT, vmkeep_free(self->ctx, "!dup-9-9"));
	EXPECT_EQ(-EINVAL, vmkeep_free(self->ctx, "!"));
	EXPECT_EQ(-EINVAL, vmkeep_free(self->ctx, "!!a"));
	/* '!' and 63 bytes: 64 with the NUL is one too many. */
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[0] = '!';
	long_name[sizeof(long_name) - 1] = 0;
	EXPECT_EQ(64, strlen(long_name));
	EXPECT_EQ(-EINVAL, vmkeep_free(self->ctx, long_name));
	EXPECT_EQ(-ENOENT, vmkeep_get(self->ctx, "!dup-9-9"));
	EXPECT_EQ(-ENOENT, vmkeep_finish(self->ctx, "!dup-9-9"));
	EXPECT_EQ(-EINVAL, vmkeep_alloc(self->ctx, "lb-odd", 3 * MiB, NULL));
	fd = vmkeep_alloc(self->ctx, "lb-dup", 2 * MiB, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EEXIST, vmkeep_alloc(self->ctx, "lb-dup", 2 * MiB, NULL));
	close(fd);
}

/*
 * Test Case: the region iterator sees every region, more than the
 * library's first LIST asks room for (its EMSGSIZE retry).
 */
TEST_F(lib, iterate_many)
{
	struct vmkeep_region *r;
	unsigned int i, seen = 0;
	char name[32];
	int fd;

	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "lb-m%u", i);
		fd = vmkeep_alloc(self->ctx, name, 2 * MiB, NULL);
		ASSERT_LE(0, fd) TH_LOG("%s: %s", name, strerror(-fd));
		close(fd);
	}
	ASSERT_LE(0, vmkeep_regions_refresh(self->ctx));
	vmkeep_region_foreach(self->ctx, r)
		seen += !strncmp(vmkeep_region_get_name(r), "lb-m", 4);
	EXPECT_EQ(40U, seen);
}

/*
 * Test Case: FREEZE reports mapped regions and refuses ALLOC until THAW.
 * Everything is read before THAW and checked after, so that a failure
 * never leaves the module frozen for the tests after this one.
 */
TEST_F(lib, freeze_thaw)
{
	int frozen, thawed, ret, refused, fd;
	unsigned int mapped = ~0U;

	ASSERT_EQ(0, vmkeep_freeze(self->ctx, &mapped));
	ret = vmkeep_pools_refresh(self->ctx);
	frozen = vmkeep_is_frozen(self->ctx);
	refused = vmkeep_alloc(self->ctx, "lb-frozen", 2 * MiB, NULL);
	ASSERT_EQ(0, vmkeep_thaw(self->ctx));
	EXPECT_LE(0, ret);
	EXPECT_EQ(0U, mapped);
	EXPECT_EQ(1, frozen);
	EXPECT_EQ(-EBUSY, refused);
	ASSERT_LE(0, vmkeep_pools_refresh(self->ctx));
	thawed = !vmkeep_is_frozen(self->ctx);
	EXPECT_TRUE(thawed);
	fd = vmkeep_alloc(self->ctx, "lb-frozen", 2 * MiB, NULL);
	EXPECT_LE(0, fd);
	close(fd);
}

/*
 * Test Case: LUO_LIST through the library: this module answers it, says
 * whether it provides /dev/liveupdate (luo=1), and the iterator agrees
 * with the count.
 */
TEST_F(lib, sessions)
{
	struct vmkeep_session *s;
	int n = vmkeep_sessions_refresh(self->ctx);

	ASSERT_LE(0, n);
	EXPECT_EQ(access("/sys/module/vmkeep/parameters/luo", R_OK) ? 0 :
		  !access("/dev/liveupdate", F_OK),
		  vmkeep_liveupdate_is_enabled(self->ctx));
	s = vmkeep_session_get_first(self->ctx);
	EXPECT_EQ(n ? 1 : 0, !!s);
	EXPECT_EQ(0, errno);
}

TEST_HARNESS_MAIN
