// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Module unload against what outlives a region's files (issue 12,
 * findings 2 and 3): an O_PATH fd pins the module; a held page of a freed
 * region pins it until let go; a held page of a live region leaves the
 * pool claimed, and /proc/iomem stays readable.  Each test unloads the
 * module itself (delete_module, as rmmod) and loads it again with
 * modprobe.  The last test leaves the pool claimed until reboot: run
 * this binary last in its boot.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

/* A module still in use: delete_module(O_NONBLOCK) says EWOULDBLOCK. */
#define REFUSED(ret)	((ret) == -EWOULDBLOCK || (ret) == -EBUSY)

static int rmmod(void)
{
	return syscall(__NR_delete_module, "vmkeep", O_NONBLOCK) ? -errno : 0;
}

/* Once nothing holds it: allow a second for references put late. */
static int rmmod_settled(void)
{
	int i, ret = rmmod();

	for (i = 0; i < 10 && REFUSED(ret); i++) {
		usleep(100000);
		ret = rmmod();
	}
	return ret;
}

/* Loads the module and presents the pools' identities (they load foreign). */
#define LOAD_POOLS	"vmkeepctl load >/dev/null"

/* Loaded, with a pool: the /dev/vmkeep fd, or -1. */
static int load(void)
{
	struct vmkeep_pool_info pool;
	int dev;

	if (system(LOAD_POOLS))
		return -1;
	dev = vk_open();
	if (dev >= 0 && vk_pool(dev, 0, &pool)) {
		close(dev);
		return -1;
	}
	return dev;
}

/* A 2 MiB region whose first page is vmsplice()d into @pfd; its fd is closed. */
static int held_region(int dev, const char *name, int pfd[2])
{
	struct iovec iov;
	int fd, ret = -1;
	char *p;

	fd = vk_alloc(dev, name, 2 * MiB, 0);
	if (fd < 0)
		return fd;
	p = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		memset(p, 0x5a, 4096);
		iov = (struct iovec){ p, 4096 };
		if (!pipe(pfd) && vmsplice(pfd[1], &iov, 1, 0) == 4096)
			ret = 0;
		munmap(p, 2 * MiB);
	}
	close(fd);
	return ret;
}

/* Times @msg is in the kernel log. */
static int klog_count(const char *msg)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0), n = 0;
	char *buf, *p;

	buf = len > 0 ? malloc(len + 1) : NULL;
	if (!buf)
		return -1;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	buf[len > 0 ? len : 0] = 0;
	for (p = buf; (p = strstr(p, msg)); p++)
		n++;
	free(buf);
	return n;
}

/*
 * Test Case: rmmod is refused while an O_PATH fd of a region file exists
 * (it keeps the module's inode and mount); after its close rmmod works,
 * and the close itself runs no unloaded code (finding 2).
 */
TEST(rmmod_opath)
{
	int dev = load(), fd, opath, ret;
	char path[64];

	if (dev < 0)
		SKIP(return, "module or pool not available");
	fd = vk_alloc(dev, "lt-opath", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	opath = open(path, O_PATH | O_CLOEXEC);
	ASSERT_LE(0, opath);
	close(fd);
	ASSERT_EQ(0, vk_free(dev, "lt-opath"));
	close(dev);
	ret = rmmod();
	EXPECT_TRUE(REFUSED(ret)) TH_LOG("rmmod with an O_PATH fd open: %s",
					 ret ? strerror(-ret) : "unloaded");
	close(opath);
	if (ret)
		EXPECT_EQ(0, rmmod_settled());
	EXPECT_EQ(0, system(LOAD_POOLS));
}

/*
 * Test Case: a page of a freed region held in a pipe refuses rmmod; once
 * the pipe is drained and STATUS gave the memory back, rmmod works
 * (finding 3).
 */
TEST(rmmod_held_freed)
{
	struct vmkeep_pool_info pool;
	int dev = load(), pfd[2], ret;
	char buf[4096];

	if (dev < 0)
		SKIP(return, "module or pool not available");
	ASSERT_EQ(0, held_region(dev, "lt-held", pfd));
	ASSERT_EQ(0, vk_free(dev, "lt-held"));
	close(dev);
	ret = rmmod();
	ASSERT_EQ(sizeof(buf), read(pfd[0], buf, sizeof(buf)));
	EXPECT_EQ(0x5a, buf[0]);
	close(pfd[0]);
	close(pfd[1]);
	ASSERT_TRUE(REFUSED(ret)) TH_LOG("rmmod with a freed region's page in a pipe: %s",
					 ret ? strerror(-ret) : "unloaded, the pool is lost until reboot");
	dev = vk_open();
	ASSERT_LE(0, dev);
	EXPECT_EQ(0, vk_pool(dev, 0, &pool));
	close(dev);
	EXPECT_EQ(0, rmmod_settled());
	EXPECT_EQ(0, system(LOAD_POOLS));
}

/*
 * Test Case: with a page of a live (closed, not freed) region in a pipe,
 * rmmod works and leaves the pool claimed with a log line, and reading
 * /proc/iomem afterwards does not oops on the pool's name (finding 3).
 * Leaves the pool claimed until reboot: the last test.
 */
TEST(rmmod_held_unfreed)
{
	static const char msg[] = "pages still held, pool left claimed";
	int dev = load(), pfd[2], logged, status;
	char buf[4096];
	pid_t pid;
	FILE *f;

	if (dev < 0)
		SKIP(return, "module or pool not available");
	ASSERT_EQ(0, held_region(dev, "lt-kept", pfd));
	close(dev);
	logged = klog_count(msg);
	ASSERT_EQ(0, rmmod());
	EXPECT_LT(logged, klog_count(msg));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		f = fopen("/proc/iomem", "r");
		if (!f)
			_exit(1);
		while (fgets(buf, sizeof(buf), f))
			;
		_exit(fclose(f) ? 2 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status) TH_LOG("reading /proc/iomem: %s",
				    WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "failed");
	ASSERT_EQ(sizeof(buf), read(pfd[0], buf, sizeof(buf)));
	close(pfd[0]);
	close(pfd[1]);
}

TEST_HARNESS_MAIN
