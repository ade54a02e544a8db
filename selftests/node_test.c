// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Region device nodes, /dev/vmkeep-region/NAME: made on ALLOC with the
 * region's owner, group and mode, the same memory as the region's fd,
 * the rules of GET when opened, gone on FREE.  Needs root and a pool;
 * regions made here are "nd-*" and freed in the teardown.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

#define NODE_DIR	"/dev/vmkeep-region/"

FIXTURE(node) {
	int dev;
};

FIXTURE_SETUP(node)
{
	struct vmkeep_pool_info pool;

	self->dev = vk_open();
	ASSERT_LE(0, self->dev) TH_LOG("open /dev/vmkeep: %s", strerror(errno));
	if (vk_pool(self->dev, 0, &pool))
		SKIP(return, "no pool");
}

FIXTURE_TEARDOWN(node)
{
	struct vmkeep_region_info *r;
	uint32_t n, i;

	r = vk_list(self->dev, &n);
	for (i = 0; r && i < n; i++)
		if (!strncmp(r[i].name, "nd-", 3))
			vk_free(self->dev, r[i].name);
	free(r);
	close(self->dev);
}

static int alloc_owned(int dev, const char *name, uint32_t mode, uint32_t uid,
		       uint32_t gid, uint32_t flags)
{
	struct vmkeep_alloc a = { .size = sizeof(a), .length = 2 * MiB,
				  .flags = flags | VMKEEP_ALLOC_OWNER,
				  .mode = mode, .uid = uid, .gid = gid };
	int ret;

	strcpy(a.name, name);
	ret = vk_ioctl(dev, VMKEEP_IOC_ALLOC, &a);
	return ret ?: a.out_fd;
}

static int open_node(const char *name, int flags)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), NODE_DIR "%s", name);
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Open the node as @uid in a child: 0 or the errno of open(). */
static int open_node_as(const char *name, uid_t uid)
{
	int status, fd;
	pid_t pid = fork();

	if (!pid) {
		if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(255);
		fd = open_node(name, O_RDWR);
		_exit(fd < 0 ? -fd : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Test Case: the node carries the region's owner, group and mode. */
TEST_F(node, owner_and_mode)
{
	struct stat st;
	int fd;

	fd = alloc_owned(self->dev, "nd-owner", 0640, 1000, 2000, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, stat(NODE_DIR "nd-owner", &st)) TH_LOG("%s", strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0640, st.st_mode & 07777);
	EXPECT_EQ(1000U, st.st_uid);
	EXPECT_EQ(2000U, st.st_gid);
	/* Owner rw: opens; group r only, others nothing: refused. */
	EXPECT_EQ(0, open_node_as("nd-owner", 1000));
	EXPECT_EQ(EACCES, open_node_as("nd-owner", 3000));
	close(fd);
}

/* Test Case: the node reaches the region's memory: size, pread, mmap. */
TEST_F(node, same_memory)
{
	char buf[8] = "";
	int fd, nfd;
	char *p;

	fd = vk_alloc(self->dev, "nd-mem", 4 * MiB, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(7, pwrite(fd, "vmkeep!", 7, 3 * MiB));
	nfd = open_node("nd-mem", O_RDWR);
	ASSERT_LE(0, nfd) TH_LOG("%s", strerror(-nfd));
	EXPECT_EQ((off_t)(4 * MiB), lseek(nfd, 0, SEEK_END));
	EXPECT_EQ(7, pread(nfd, buf, 7, 3 * MiB));
	EXPECT_STREQ("vmkeep!", buf);
	p = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, nfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, memcmp(p + 3 * MiB, "vmkeep!", 7));
	memcpy(p, "node", 4);
	EXPECT_EQ(4, pread(fd, buf, 4, 0));
	EXPECT_EQ(0, memcmp(buf, "node", 4));
	munmap(p, 4 * MiB);
	close(nfd);
	close(fd);
}

/*
 * Test Case: opening the node is a GET: an exclusive region open through
 * its fd refuses it, and takes it once closed.
 */
TEST_F(node, exclusive)
{
	int fd, nfd;

	fd = vk_alloc(self->dev, "nd-excl", 2 * MiB, VMKEEP_REGION_EXCLUSIVE);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBUSY, open_node("nd-excl", O_RDWR));
	close(fd);
	nfd = open_node("nd-excl", O_RDWR);
	ASSERT_LE(0, nfd);
	EXPECT_EQ(-EBUSY, vk_get(self->dev, "nd-excl"));
	EXPECT_EQ(-EBUSY, open_node("nd-excl", O_RDWR));
	close(nfd);
}

/*
 * Test Case: FREE removes the node; a file opened through it keeps its
 * memory, and reopening that file through /proc/self/fd fails (ENOENT).
 */
TEST_F(node, gone_on_free)
{
	char path[64];
	struct stat st;
	int fd, nfd;

	fd = vk_alloc(self->dev, "nd-free", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	nfd = open_node("nd-free", O_RDWR);
	ASSERT_LE(0, nfd);
	close(fd);
	ASSERT_EQ(0, vk_free(self->dev, "nd-free"));
	EXPECT_EQ(-1, stat(NODE_DIR "nd-free", &st));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(1, pwrite(nfd, "x", 1, 0));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", nfd);
	EXPECT_EQ(-1, open(path, O_RDWR));
	EXPECT_EQ(ENOENT, errno);
	close(nfd);
}

TEST_HARNESS_MAIN
