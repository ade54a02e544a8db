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
#include <time.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

/* For TEST_F_TIMEOUT: each test loads and unloads the module itself. */
FIXTURE(unload) {
	int unused;
};

FIXTURE_SETUP(unload)
{
}

FIXTURE_TEARDOWN(unload)
{
}

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
	int dev = vk_load(), fd, opath, ret;
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
	EXPECT_EQ(0, system(VK_LOAD_POOLS));
}

/*
 * Test Case: a page of a freed region held in a pipe refuses rmmod; once
 * the pipe is drained and STATUS gave the memory back, rmmod works
 * (finding 3).
 */
TEST(rmmod_held_freed)
{
	struct vmkeep_pool_info pool;
	int dev = vk_load(), pfd[2], ret;
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
	EXPECT_EQ(0, system(VK_LOAD_POOLS));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Units of region @name the module has cleared so far (debugfs), -1 when
 * all are (or it has no bitmap), -2 when it is not listed.
 */
static long zeroed_units(const char *name)
{
	FILE *f = fopen("/sys/kernel/debug/vmkeep/state", "r");
	char line[1024], want[128], *z;
	long n = -2;

	if (!f)
		return -2;
	snprintf(want, sizeof(want), "  region %s id ", name);
	while (fgets(line, sizeof(line), f)) {
		z = strstr(line, " zeroed ");
		if (!strncmp(line, want, strlen(want)) && z)
			n = strtol(z + 8, NULL, 10);
	}
	fclose(f);
	return n;
}

/* Most of the pool: ~1 GiB, which the background zeroer takes a while on. */
static uint64_t big_len(int dev)
{
	struct vmkeep_pool_info pool;
	uint64_t len;

	if (vk_pool(dev, 0, &pool) || pool.free < 64 * MiB)
		return 0;
	len = (pool.free - 32 * MiB) & ~(VMKEEP_ALIGN - 1);
	return len < 1024 * MiB ? len : 1024 * MiB;
}

static int force_format(int dev)
{
	struct vmkeep_format f = { .size = sizeof(f), .flags = VMKEEP_FORMAT_FORCE };

	return vk_ioctl(dev, VMKEEP_IOC_FORMAT, &f);
}

#define FORMAT_ROUNDS	8

/*
 * Test Case: stress of rmmod racing a forced FORMAT (issue 21, item 4).
 * Each round allocates most of the pool, so that the background zeroer
 * is still clearing it, forces a FORMAT that drops it, closes
 * /dev/vmkeep and unloads at once.  In even rounds a page of the region
 * is in a pipe (vmsplice): rmmod must be refused until the pipe lets it
 * go (the page keeps the module and its struct pages), the pipe must
 * read the page's bytes, then rmmod works.  In odd rounds rmmod works at
 * once.  At the end the reloaded pool is whole.
 */
TEST_F_TIMEOUT(unload, rmmod_format_zeroing, 300)
{
	struct vmkeep_pool_info pool;
	int round, dev, fd, pfd[2], ret, busy = 0;
	char buf[4096];
	struct iovec iov;
	uint64_t len;
	long zeroed;
	char *p;

	for (round = 0; round < FORMAT_ROUNDS; round++) {
		dev = vk_load();
		if (dev < 0)
			SKIP(return, "module or pool not available");
		len = big_len(dev);
		ASSERT_NE(0, len);
		fd = vk_alloc(dev, "ul-fmt", len, 0);
		ASSERT_LE(0, fd);
		if (!(round & 1)) {
			p = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
			ASSERT_NE(MAP_FAILED, p);
			memset(p, 0x5a, 4096);
			iov = (struct iovec){ p, 4096 };
			ASSERT_EQ(0, pipe(pfd));
			ASSERT_EQ(4096, vmsplice(pfd[1], &iov, 1, 0));
			munmap(p, 2 * MiB);
		}
		close(fd);
		zeroed = zeroed_units("ul-fmt");
		busy += zeroed >= 0 && (uint64_t)zeroed < len / (2 * MiB);
		ASSERT_EQ(0, force_format(dev));
		close(dev);
		ret = rmmod();
		if (round & 1) {
			if (ret)
				ret = rmmod_settled();
			ASSERT_EQ(0, ret) TH_LOG("round %d: rmmod: %s", round, strerror(-ret));
			continue;
		}
		EXPECT_TRUE(REFUSED(ret))
			TH_LOG("round %d (zeroed %ld of %llu units at FORMAT): rmmod with a formatted region's page in a pipe: %s",
			       round, zeroed, (unsigned long long)(len / (2 * MiB)),
			       ret ? strerror(-ret) : "unloaded");
		ASSERT_EQ(sizeof(buf), read(pfd[0], buf, sizeof(buf)));
		EXPECT_EQ(0x5a, buf[0]);
		close(pfd[0]);
		close(pfd[1]);
		if (!ret)
			break;
		/* STATUS reaps: the page is let go, the module may go. */
		dev = vk_open();
		ASSERT_LE(0, dev);
		EXPECT_EQ(0, vk_pool(dev, 0, &pool));
		close(dev);
		ASSERT_EQ(0, rmmod_settled());
	}
	TH_LOG("%d rounds, the zeroer still clearing the region at FORMAT in %d",
	       round, busy);
	dev = vk_load();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, vk_pool(dev, 0, &pool));
	EXPECT_EQ(0U, pool.nr_regions);
	EXPECT_EQ(pool.length - 2 * MiB, pool.free);
	close(dev);
	if (!busy)
		SKIP(return, "the zeroer was done before every FORMAT");
}

/*
 * Test Case: rmmod waiting for the zeroer can be killed (issue 21, item
 * 6): a region of most of the pool was just allocated and closed, rmmod
 * waits in the module's exit to clear it; SIGKILL ends the wait, the
 * module is gone, and after the next load the region is quarantined as
 * uncleared (its memory kept, never handed out as zero), not restored as
 * if it were cleared.
 */
TEST_F_TIMEOUT(unload, rmmod_killed_zeroing, 120)
{
	struct vmkeep_region_info info = {};
	int dev = vk_load(), fd, status;
	double t0, t;
	uint64_t len;
	pid_t pid;

	if (dev < 0)
		SKIP(return, "module or pool not available");
	len = big_len(dev);
	ASSERT_NE(0, len);
	fd = vk_alloc(dev, "ul-kill", len, 0);
	ASSERT_LE(0, fd);
	close(fd);
	close(dev);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(syscall(__NR_delete_module, "vmkeep", 0) ? errno : 0);
	usleep(100000);
	if (waitpid(pid, &status, WNOHANG) == pid) {
		dev = vk_load();
		if (dev >= 0)
			vk_free(dev, "ul-kill");
		close(dev);
		SKIP(return, "rmmod was done within 100 ms (status %#x)", status);
	}
	t0 = now();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	t = now() - t0;
	TH_LOG("SIGKILL ended rmmod after %.3f s", t);
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_NE(0, access("/sys/module/vmkeep", F_OK));
	dev = vk_load();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, vk_find(dev, "ul-kill", &info));
	EXPECT_EQ(VMKEEP_STATE_QUARANTINED, info.state)
		TH_LOG("region after a killed rmmod: state %u (the wait went on after the kill)",
		       info.state);
	EXPECT_EQ(VMKEEP_Q_UNCLEARED, info.quarantine);
	EXPECT_EQ(0, vk_free(dev, "ul-kill"));
	close(dev);
}

/*
 * Test Case: with a page of a live (closed, not freed) region in a pipe,
 * rmmod works and leaves the pool claimed with a log line, and reading
 * /proc/iomem afterwards does not oops on the pool's name (finding 3).
 * Leaves the pool claimed until reboot: the last test (the harness runs
 * the tests of the global fixture first, then this fixture's in order).
 */
TEST_F(unload, rmmod_held_unfreed)
{
	static const char msg[] = "pages still held, pool left claimed";
	int dev = vk_load(), pfd[2], logged, status;
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
