// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Host unit tests of libvmkeep where no module is needed: the context and
 * its device, -errno returns, the name rule (the on-pool format's), and
 * the iterators and accessors over a made-up snapshot.  What needs the
 * module (the ioctls, the EMSGSIZE loop, load and unload) is tested in
 * the VM (selftests/, vmkeepctl_test.sh).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "private.h"
#include <vmkeep/names.h>

/* Test Case: a context opens its device on first use and reports -errno. */
TEST(ctx_device)
{
	struct vmkeep_ctx *vk;

	unsetenv("VMKEEP_DEV");
	ASSERT_EQ(0, vmkeep_new(&vk));
	EXPECT_STREQ("/dev/vmkeep", vmkeep_get_dev_path(vk));
	EXPECT_EQ(vk, vmkeep_ref(vk));
	vmkeep_unref(vk);
	ASSERT_EQ(0, vmkeep_set_dev_path(vk, "/nonexistent/vmkeep"));
	EXPECT_EQ(-ENOENT, vmkeep_get_fd(vk));
	EXPECT_EQ(-ENOENT, vmkeep_regions_refresh(vk));
	EXPECT_EQ(NULL, vmkeep_region_get_first(vk));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-ENOENT, vmkeep_is_frozen(vk));
	/* not a vmkeep device: the ioctl's errno, negated */
	ASSERT_EQ(0, vmkeep_set_dev_path(vk, "/dev/null"));
	EXPECT_LE(0, vmkeep_get_fd(vk));
	EXPECT_EQ(-ENOTTY, vmkeep_pools_refresh(vk));
	EXPECT_EQ(-ENOTTY, vmkeep_thaw(vk));
	/* a module without LUO_LIST answers so too */
	EXPECT_EQ(-ENOTTY, vmkeep_sessions_refresh(vk));
	EXPECT_EQ(NULL, vmkeep_session_get_first(vk));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-ENOTTY, vmkeep_liveupdate_is_enabled(vk));
	vmkeep_unref(vk);

	setenv("VMKEEP_DEV", "/tmp/vk-dev", 1);
	ASSERT_EQ(0, vmkeep_new(&vk));
	EXPECT_STREQ("/tmp/vk-dev", vmkeep_get_dev_path(vk));
	vmkeep_unref(vk);
	unsetenv("VMKEEP_DEV");
	vmkeep_unref(NULL);
}

/* Test Case: names follow the on-pool format's rule; a bad one never reaches the device. */
TEST(names)
{
	char long_name[VMKEEP_NAME_MAX + 2];
	struct vmkeep_ctx *vk;

	EXPECT_EQ(0, vmkeep_check_name("vm1-ram"));
	EXPECT_EQ(0, vmkeep_check_name("a._:+@-0"));
	EXPECT_EQ(-EINVAL, vmkeep_check_name(""));
	EXPECT_EQ(-EINVAL, vmkeep_check_name("-a"));
	EXPECT_EQ(-EINVAL, vmkeep_check_name("a/b"));
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[VMKEEP_NAME_MAX] = '\0';
	EXPECT_EQ(0, vmkeep_check_name(long_name));
	long_name[VMKEEP_NAME_MAX] = 'a';
	long_name[VMKEEP_NAME_MAX + 1] = '\0';
	EXPECT_EQ(-EINVAL, vmkeep_check_name(long_name));

	ASSERT_EQ(0, vmkeep_new(&vk));
	ASSERT_EQ(0, vmkeep_set_dev_path(vk, "/nonexistent/vmkeep"));
	EXPECT_EQ(-EINVAL, vmkeep_alloc(vk, "a/b", 2 << 20, NULL));
	EXPECT_EQ(-EINVAL, vmkeep_get(vk, ""));
	EXPECT_EQ(-EINVAL, vmkeep_free(vk, long_name));
	EXPECT_EQ(-EINVAL, vmkeep_finish(vk, "/"));
	EXPECT_EQ(-ENOENT, vmkeep_alloc(vk, "ok", 2 << 20, NULL));
	vmkeep_unref(vk);
}

static struct vmkeep_region_info r[3] = {
		{ .name = "a", .length = 2 << 20, .state = VMKEEP_STATE_ACTIVE,
		  .flags = VMKEEP_REGION_EXCLUSIVE, .mode = 0100640, .node = -1 },
		{ .name = "b", .state = VMKEEP_STATE_INCOMING, .nr_mapped = 2 },
		{ .name = "!crc-2", .state = VMKEEP_STATE_QUARANTINED,
		  .quarantine = VMKEEP_Q_CRC, .pool = 1 },
};

static struct vmkeep_pool_info p[2] = {
		{ .base = 1ULL << 30, .length = 1ULL << 30, .state = VMKEEP_POOL_READY,
		  .flags = VMKEEP_POOL_RESTORED | VMKEEP_POOL_CLEAN_HANDOFF },
		{ .state = VMKEEP_POOL_DAMAGED, .damage = VMKEEP_D_GEOMETRY },
};

/* Test Case: the region iterators walk the snapshot; states are named as debugfs names them. */
TEST(region_iterators)
{
	struct vmkeep_region *region;
	struct vmkeep_ctx *vk;
	unsigned int n = 0;

	ASSERT_EQ(0, vmkeep_new(&vk));
	ASSERT_EQ(2, vmkeep_ctx_set_snapshot(vk, r, 3, p, 2, VMKEEP_STATUS_FROZEN));
	vmkeep_region_foreach(vk, region) {
		EXPECT_EQ(vk, vmkeep_region_get_ctx(region));
		n++;
	}
	EXPECT_EQ(3, n);
	region = vmkeep_region_find(vk, "a");
	ASSERT_NE(NULL, region);
	EXPECT_STREQ("active", vmkeep_region_get_state_name(region));
	EXPECT_EQ(NULL, vmkeep_region_get_quarantine_name(region));
	EXPECT_TRUE(vmkeep_region_is_exclusive(region));
	EXPECT_EQ(0640, vmkeep_region_get_mode(region));
	EXPECT_EQ(-1, vmkeep_region_get_node(region));
	EXPECT_EQ(2 << 20, vmkeep_region_get_size(region));
	region = vmkeep_region_find(vk, "b");
	ASSERT_NE(NULL, region);
	EXPECT_STREQ("incoming", vmkeep_region_get_state_name(region));
	EXPECT_EQ(2, vmkeep_region_get_nr_mapped(region));
	region = vmkeep_region_get_next(region);
	ASSERT_NE(NULL, region);
	EXPECT_TRUE(vmkeep_region_is_quarantined(region));
	EXPECT_STREQ("crc", vmkeep_region_get_quarantine_name(region));
	EXPECT_EQ(NULL, vmkeep_region_get_next(region));
	EXPECT_EQ(NULL, vmkeep_region_find(vk, "c"));
	EXPECT_EQ(ENOENT, errno);
	vmkeep_unref(vk);
}

/* Test Case: the pool iterators walk the snapshot; unknown values read "unknown". */
TEST(pool_iterators)
{
	struct vmkeep_region_info r0 = r[0];
	struct vmkeep_pool_info p0 = p[0];
	struct vmkeep_pool *pool;
	struct vmkeep_ctx *vk;

	ASSERT_EQ(0, vmkeep_new(&vk));
	ASSERT_EQ(2, vmkeep_ctx_set_snapshot(vk, r, 3, p, 2, VMKEEP_STATUS_FROZEN));
	pool = vmkeep_pool_get_first(vk);
	ASSERT_NE(NULL, pool);
	EXPECT_EQ(0, vmkeep_pool_get_index(pool));
	EXPECT_STREQ("ready", vmkeep_pool_get_state_name(pool));
	EXPECT_TRUE(vmkeep_pool_is_restored(pool));
	EXPECT_TRUE(vmkeep_pool_is_clean_handoff(pool));
	EXPECT_EQ(NULL, vmkeep_pool_get_damage_name(pool));
	pool = vmkeep_pool_get_next(pool);
	ASSERT_NE(NULL, pool);
	EXPECT_EQ(1, vmkeep_pool_get_index(pool));
	EXPECT_STREQ("damaged", vmkeep_pool_get_state_name(pool));
	EXPECT_STREQ("geometry", vmkeep_pool_get_damage_name(pool));
	EXPECT_EQ(NULL, vmkeep_pool_get_next(pool));
	EXPECT_EQ(1, vmkeep_is_frozen(vk));

	/* unknown values from a newer module */
	r0.state = 77;
	p0.state = 77;
	ASSERT_EQ(1, vmkeep_ctx_set_snapshot(vk, &r0, 1, &p0, 1, 0));
	EXPECT_STREQ("unknown", vmkeep_region_get_state_name(vmkeep_region_get_first(vk)));
	EXPECT_STREQ("unknown", vmkeep_pool_get_state_name(vmkeep_pool_get_first(vk)));
	EXPECT_EQ(0, vmkeep_is_frozen(vk));
	ASSERT_EQ(0, vmkeep_ctx_set_snapshot(vk, NULL, 0, NULL, 0, 0));
	EXPECT_EQ(NULL, vmkeep_region_get_first(vk));
	EXPECT_EQ(0, errno);
	vmkeep_unref(vk);
}

static struct vmkeep_luo_session_info ls[3] = {
		{ .name = "systemd", .state = VMKEEP_LUO_INCOMING, .set = 4,
		  .bytes = 8192, .nr_files = 2 },
		{ .name = "out", .state = VMKEEP_LUO_OUTGOING },
		{ .name = "bad", .state = VMKEEP_LUO_QUARANTINED, .pool = 1, .set = 3,
		  .quarantine = VMKEEP_Q_LUO_DATA, .nr_files = 1 },
};

/* Not in session order; the last names no session. */
static struct vmkeep_luo_file_info lf[4] = {
		{ .token = 0, .size = 5000, .session = 0, .kind = VMKEEP_LUO_KIND_MEMFD },
		{ .token = 9, .size = 4096, .session = 2, .kind = VMKEEP_LUO_KIND_MEMFD },
		{ .token = ~0ULL, .size = 2 << 20, .region_id = 7, .session = 0,
		  .kind = VMKEEP_LUO_KIND_REGION },
		{ .token = 1, .session = 3, .kind = VMKEEP_LUO_KIND_MEMFD },
};

/*
 * Test Case: the live update iterators walk sessions and each session's
 * files; states, kinds and reasons are named; a region file finds its
 * region by pool and id
 */
TEST(session_iterators)
{
	struct vmkeep_region_info ri[3] = {
		{ .name = "same-id-other-size", .id = 7, .pool = 1, .length = 4 << 20 },
		{ .name = "vm1-ram", .id = 7, .pool = 0, .length = 2 << 20 },
		{ .name = "vm2-ram", .id = 8, .pool = 1, .length = 2 << 20 },
	};
	struct vmkeep_session_file *file;
	struct vmkeep_session *s;
	struct vmkeep_ctx *vk;
	unsigned int n = 0;

	ASSERT_EQ(0, vmkeep_new(&vk));
	ASSERT_EQ(0, vmkeep_ctx_set_snapshot(vk, ri, 3, NULL, 0, 0));
	/* an empty live update snapshot comes with it: no device asked */
	EXPECT_EQ(NULL, vmkeep_session_get_first(vk));
	EXPECT_EQ(0, errno);
	EXPECT_EQ(0, vmkeep_liveupdate_is_enabled(vk));
	ASSERT_EQ(3, vmkeep_ctx_set_luo_snapshot(vk, ls, 3, lf, 4, VMKEEP_LUO_ENABLED));
	EXPECT_EQ(1, vmkeep_liveupdate_is_enabled(vk));
	vmkeep_session_foreach(vk, s) {
		EXPECT_EQ(vk, vmkeep_session_get_ctx(s));
		n++;
	}
	EXPECT_EQ(3, n);

	s = vmkeep_session_get_first(vk);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("systemd", vmkeep_session_get_name(s));
	EXPECT_STREQ("incoming", vmkeep_session_get_state_name(s));
	EXPECT_FALSE(vmkeep_session_is_quarantined(s));
	EXPECT_EQ(NULL, vmkeep_session_get_quarantine_name(s));
	EXPECT_EQ(4, vmkeep_session_get_set(s));
	EXPECT_EQ(8192, vmkeep_session_get_bytes(s));
	EXPECT_EQ(2, vmkeep_session_get_nr_files(s));
	file = vmkeep_session_file_get_first(s);
	ASSERT_NE(NULL, file);
	EXPECT_EQ(s, vmkeep_session_file_get_session(file));
	EXPECT_EQ(0, vmkeep_session_file_get_token(file));
	EXPECT_STREQ("memfd", vmkeep_session_file_get_kind_name(file));
	EXPECT_EQ(5000, vmkeep_session_file_get_size(file));
	EXPECT_EQ(NULL, vmkeep_session_file_get_region(file));
	file = vmkeep_session_file_get_next(file);
	ASSERT_NE(NULL, file);
	EXPECT_EQ(~0ULL, vmkeep_session_file_get_token(file));
	EXPECT_STREQ("region", vmkeep_session_file_get_kind_name(file));
	EXPECT_EQ(7, vmkeep_session_file_get_region_id(file));
	ASSERT_NE(NULL, vmkeep_session_file_get_region(file));
	EXPECT_STREQ("vm1-ram", vmkeep_region_get_name(vmkeep_session_file_get_region(file)));
	/* ids are per pool: of two regions of that id and size, its pool's */
	ri[0].length = 2 << 20;
	ASSERT_EQ(0, vmkeep_ctx_set_snapshot(vk, ri, 3, NULL, 0, 0));
	ASSERT_EQ(3, vmkeep_ctx_set_luo_snapshot(vk, ls, 3, lf, 4, VMKEEP_LUO_ENABLED));
	s = vmkeep_session_get_first(vk);
	file = vmkeep_session_file_get_next(vmkeep_session_file_get_first(s));
	EXPECT_EQ(7, vmkeep_session_file_get_region_id(file));
	EXPECT_STREQ("vm1-ram", vmkeep_region_get_name(vmkeep_session_file_get_region(file)));
	lf[2].pool = 1;
	ASSERT_EQ(3, vmkeep_ctx_set_luo_snapshot(vk, ls, 3, lf, 4, VMKEEP_LUO_ENABLED));
	s = vmkeep_session_get_first(vk);
	file = vmkeep_session_file_get_next(vmkeep_session_file_get_first(s));
	EXPECT_STREQ("same-id-other-size",
		     vmkeep_region_get_name(vmkeep_session_file_get_region(file)));
	lf[2].pool = 0;
	EXPECT_EQ(NULL, vmkeep_session_file_get_next(file));

	s = vmkeep_session_get_next(s);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("outgoing", vmkeep_session_get_state_name(s));
	EXPECT_EQ(0, vmkeep_session_get_nr_files(s));
	EXPECT_EQ(NULL, vmkeep_session_file_get_first(s));

	s = vmkeep_session_get_next(s);
	ASSERT_NE(NULL, s);
	EXPECT_TRUE(vmkeep_session_is_quarantined(s));
	EXPECT_STREQ("quarantined", vmkeep_session_get_state_name(s));
	EXPECT_STREQ("data", vmkeep_session_get_quarantine_name(s));
	EXPECT_EQ(1, vmkeep_session_get_pool(s));
	n = 0;
	vmkeep_session_file_foreach(s, file) {
		EXPECT_EQ(9, vmkeep_session_file_get_token(file));
		n++;
	}
	EXPECT_EQ(1, n);
	EXPECT_EQ(NULL, vmkeep_session_get_next(s));

	/* a change that failed keeps the snapshot */
	ASSERT_EQ(0, vmkeep_set_dev_path(vk, "/nonexistent/vmkeep"));
	EXPECT_EQ(-ENOENT, vmkeep_thaw(vk));
	EXPECT_NE(NULL, vmkeep_session_get_first(vk));
	EXPECT_EQ(-ENOENT, vmkeep_format(vk, 0, false));
	EXPECT_NE(NULL, vmkeep_session_get_first(vk));

	/* unknown values from a newer module; a name the module did not end */
	ls[1].state = 77;
	lf[0].kind = 77;
	memset(ls[1].name, 'x', sizeof(ls[1].name));
	ASSERT_EQ(3, vmkeep_ctx_set_luo_snapshot(vk, ls, 3, lf, 4, 0));
	s = vmkeep_session_get_next(vmkeep_session_get_first(vk));
	EXPECT_STREQ("unknown", vmkeep_session_get_state_name(s));
	EXPECT_EQ(VMKEEP_NAME_LEN - 1, strlen(vmkeep_session_get_name(s)));
	file = vmkeep_session_file_get_first(vmkeep_session_get_first(vk));
	EXPECT_STREQ("unknown", vmkeep_session_file_get_kind_name(file));
	EXPECT_EQ(0, vmkeep_liveupdate_is_enabled(vk));
	vmkeep_unref(vk);
}

/*
 * Test Case: the reasons of live update sessions (16 and 17) have names
 * and log descriptions; the gap below them and values past them read
 * "unknown"
 */
TEST(quarantine_names_luo)
{
	EXPECT_STREQ("uncleared", vmkeep_quarantine_name(VMKEEP_Q_UNCLEARED));
	EXPECT_STREQ("data", vmkeep_quarantine_name(VMKEEP_Q_LUO_DATA));
	EXPECT_STREQ("region", vmkeep_quarantine_name(VMKEEP_Q_LUO_REGION));
	EXPECT_STREQ("a memfd's bytes fail their checksum",
		     vmkeep_quarantine_desc(VMKEEP_Q_LUO_DATA));
	EXPECT_STREQ("a region it holds is missing or quarantined",
		     vmkeep_quarantine_desc(VMKEEP_Q_LUO_REGION));
	EXPECT_STREQ("unknown", vmkeep_quarantine_name(VMKEEP_Q_UNCLEARED + 1));
	EXPECT_STREQ("unknown", vmkeep_quarantine_name(VMKEEP_Q_LUO_DATA - 1));
	EXPECT_STREQ("unknown", vmkeep_quarantine_desc(VMKEEP_Q_LUO_DATA - 1));
	EXPECT_STREQ("unknown", vmkeep_quarantine_name(VMKEEP_Q_LUO_REGION + 1));
}

static size_t read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return n;
}

/*
 * Test Case: the host keeps each pool's identity root-only, one per
 * range (a new pool over an old range replaces it); the identities of
 * ranges that are System RAM in this boot are forgotten
 */
TEST(pool_identities)
{
	struct vmkeep_pool_info p = { .base = 0xfff00000000ULL, .length = 1ULL << 30 };
	char dir[] = "/tmp/vk-state-XXXXXX", sub[64], path[96], buf[1024];
	struct vmkeep_ctx *vk;
	uint8_t id[VMKEEP_ID_LEN];
	struct stat st;

	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/state", dir);
	snprintf(path, sizeof(path), "%s/pools", sub);
	setenv("VMKEEP_STATE_DIR", sub, 1);
	ASSERT_EQ(0, vmkeep_new(&vk));
	ASSERT_EQ(0, vmkeep_set_dev_path(vk, "/dev/null"));
	ASSERT_EQ(1, vmkeep_ctx_set_snapshot(vk, NULL, 0, &p, 1, 0));
	memset(id, 0xab, sizeof(id));
	ASSERT_EQ(0, vmkeep_pool_keep_id(vk, 0, id));
	ASSERT_EQ(0, stat(sub, &st));
	EXPECT_EQ(0700, st.st_mode & 07777);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	read_file(path, buf, sizeof(buf));
	EXPECT_NE(NULL, strstr(buf,
			       "\n0xfff00000000 0x40000000 abababababababababababababababab\n"));

	/* A pool formatted over part of the old range replaces it. */
	p.base += 512 << 20;
	memset(id, 0xcd, sizeof(id));
	ASSERT_EQ(1, vmkeep_ctx_set_snapshot(vk, NULL, 0, &p, 1, 0));
	ASSERT_EQ(0, vmkeep_pool_keep_id(vk, 0, id));
	read_file(path, buf, sizeof(buf));
	EXPECT_EQ(NULL, strstr(buf, "0xfff00000000 "));
	EXPECT_NE(NULL, strstr(buf, "0xfff20000000 0x40000000 cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"));
	EXPECT_EQ(0, vmkeep_pool_identities_prune(vk));

	/* 1 MiB up is System RAM on every PC; /proc/iomem shows it to root. */
	if (geteuid())
		SKIP(goto out, "/proc/iomem shows addresses to root only");
	p.base = 1 << 20;
	p.length = 2 << 20;
	ASSERT_EQ(1, vmkeep_ctx_set_snapshot(vk, NULL, 0, &p, 1, 0));
	ASSERT_EQ(0, vmkeep_pool_keep_id(vk, 0, id));
	EXPECT_EQ(1, vmkeep_pool_identities_prune(vk));
	read_file(path, buf, sizeof(buf));
	EXPECT_EQ(NULL, strstr(buf, "0x100000 "));
	EXPECT_NE(NULL, strstr(buf, "0xfff20000000 "));
out:
	unlink(path);
	rmdir(sub);
	rmdir(dir);
	unsetenv("VMKEEP_STATE_DIR");
	vmkeep_unref(vk);
}

TEST_HARNESS_MAIN
