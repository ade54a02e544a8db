// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Hostile ioctls and concurrent users.  Every answer must be a documented
 * errno or success, nothing may crash (the VM harness fails the run on
 * any Oops or WARNING), and afterwards the pool must be whole again: no
 * region, no byte of pool memory and no file reference leaked.
 * STRESS_SECONDS (default 5) bounds the concurrency test; make stress
 * raises it.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <stdio.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

static const unsigned long cmds[] = {
	VMKEEP_IOC_ALLOC, VMKEEP_IOC_GET, VMKEEP_IOC_LIST, VMKEEP_IOC_FREE,
	VMKEEP_IOC_FINISH, VMKEEP_IOC_FREEZE, VMKEEP_IOC_THAW,
	VMKEEP_IOC_STATUS, VMKEEP_IOC_FORMAT, VMKEEP_IOC_TRUST,
	_IO(VMKEEP_TYPE, 0x0a), _IO(VMKEEP_TYPE, 0xff), _IOWR(VMKEEP_TYPE, 0, int),
	_IO('x', 0), 0,
};

static const int allowed[] = {
	ENOTTY, E2BIG, EOPNOTSUPP, EINVAL, ENOENT, EEXIST, EACCES, EPERM,
	EBUSY, ENOSPC, ENOMEM, EMSGSIZE, EIO, ENODEV, EFAULT, EKEYREJECTED,
};

static uint64_t rnd(void)
{
	static uint64_t x = 88172645463325252ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Sizes and counts that matter: 0, small, exact, odd, huge. */
static uint64_t interesting(void)
{
	static const uint64_t v[] = {
		0, 1, 4, 7, 8, 16, 24, 56, 64, 104, 105, 4096, 2 << 20,
		(2 << 20) + 4096, 64 << 20, 1ULL << 32, ~0ULL, ~0ULL >> 1,
	};

	return rnd() % 3 ? v[rnd() % ARRAY_SIZE(v)] : rnd();
}

static void *pointer(void *good)
{
	switch (rnd() % 6) {
	case 0: return NULL;
	case 1: return (void *)1;
	case 2: return (void *)0xffff888000000000ULL;	/* kernel */
	case 3: return (char *)good + 4096 - 8;		/* runs off the page */
	default: return good;
	}
}

static void pool_state(int dev, uint64_t *free_bytes, uint32_t *regions)
{
	struct vmkeep_pool_info pool;

	*free_bytes = 0;
	*regions = 0;
	for (unsigned int i = 0; !vk_pool(dev, i, &pool); i++) {
		*free_bytes += pool.free;
		*regions += pool.nr_regions;
	}
}

/* The module's live region objects and files (debugfs). */
static int kernel_objects(int *objects, int *files)
{
	FILE *f = fopen("/sys/kernel/debug/vmkeep/state", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "objects %d files %d", objects, files);
	fclose(f);
	return n == 2 ? 0 : -1;
}

static void free_new_regions(int dev, const char *prefix)
{
	struct vmkeep_region_info *r;
	uint32_t n, i;

	r = vk_list(dev, &n);
	for (i = 0; r && i < n; i++)
		if (!prefix || !strncmp(r[i].name, prefix, strlen(prefix)))
			vk_free(dev, r[i].name);
	free(r);
}

/* Test Case: random sizes, flags, reserved bits, counts, pointers and names to every ioctl. */
TEST(hostile_ioctls)
{
	unsigned long ok = 0, refused = 0, i, iters = 20000;
	int objects0, files0, objects1, files1;
	uint64_t free0, free1;
	uint32_t nreg0, nreg1, e;
	unsigned char *page;
	int dev = vk_open(), ret, good;

	ASSERT_LE(0, dev);
	page = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, munmap(page + 4096, 4096));	/* a hole after it */
	pool_state(dev, &free0, &nreg0);
	if (nreg0)
		SKIP(return, "the pool must start without regions");
	ASSERT_EQ(0, kernel_objects(&objects0, &files0));

	for (i = 0; i < iters; i++) {
		unsigned long cmd = cmds[rnd() % ARRAY_SIZE(cmds)];
		uint32_t size = rnd() % 4 ? 8 + rnd() % 112 : interesting();

		for (e = 0; e < 4096 / 8; e++)
			((uint64_t *)page)[e] = rnd() % 2 ? interesting() : 0;
		memcpy(page, &size, 4);
		/* Half the time, a printable name where names go. */
		if (rnd() % 2)
			snprintf((char *)page + (cmd == VMKEEP_IOC_ALLOC ? 40 :
				 cmd == VMKEEP_IOC_GET ? 16 : 8), 64,
				 "fz-%u", (unsigned int)(rnd() % 64));
		ret = ioctl(dev, cmd, pointer(page));
		if (!ret) {
			ok++;
			if (cmd == VMKEEP_IOC_ALLOC)
				close(((struct vmkeep_alloc *)page)->out_fd);
			else if (cmd == VMKEEP_IOC_GET)
				close(((struct vmkeep_get *)page)->out_fd);
			continue;
		}
		refused++;
		good = 0;
		for (e = 0; e < ARRAY_SIZE(allowed); e++)
			good |= errno == allowed[e];
		ASSERT_TRUE(good) TH_LOG("cmd %#lx size %u: errno %d", cmd, size, errno);
	}
	TH_LOG("%lu ioctls: %lu succeeded, %lu refused with documented errnos",
	       iters, ok, refused);

	vk_ioctl(dev, VMKEEP_IOC_THAW, &(struct vmkeep_thaw){ .size = 8 });
	free_new_regions(dev, NULL);
	pool_state(dev, &free1, &nreg1);
	EXPECT_EQ(0U, nreg1);
	EXPECT_EQ(free0, free1);
	/* Every region object and file the ioctls made is gone again. */
	ASSERT_EQ(0, kernel_objects(&objects1, &files1));
	EXPECT_EQ(objects0, objects1);
	EXPECT_EQ(files0, files1);
	munmap(page, 4096);
	close(dev);
}

static int churn(int dev, unsigned int id, time_t end)
{
	char name[VMKEEP_NAME_LEN];
	uint64_t len, off, *p, w;
	unsigned int n = 0;
	int fd, fd2;

	while (time(NULL) < end) {
		snprintf(name, sizeof(name), "cc-%u-%u", id, n++);
		len = (1 + rnd() % 4) * 2 * MiB;
		fd = vk_alloc(dev, name, len, rnd() % 2 ? VMKEEP_REGION_EXCLUSIVE : 0);
		if (fd == -ENOSPC)
			continue;
		if (fd < 0)
			return 1;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return 2;
		for (off = 0; off < len; off += 4096)
			p[off / 8] = vk_pattern(name, off);
		/* The mapping keeps the file open: exclusive needs both gone. */
		munmap(p, len);
		close(fd);
		fd2 = vk_get(dev, name);
		if (fd2 < 0)
			return 3;
		for (off = 0; off < len; off += 64 * 4096)
			if (pread(fd2, &w, 8, off) != 8 || w != vk_pattern(name, off))
				return 4;
		close(fd2);
		if (vk_free(dev, name))
			return 5;
		vk_pool(dev, 0, &(struct vmkeep_pool_info){});
	}
	return 0;
}

/*
 * Test Case: four processes allocate, map, write, reopen, read and free at
 * once; the pool comes out whole.
 */
TEST(concurrency)
{
	const char *s = getenv("STRESS_SECONDS");
	time_t end = time(NULL) + (s ? atoi(s) : 5);
	uint64_t free0, free1;
	uint32_t nreg0, nreg1;
	int dev = vk_open(), status, i;
	pid_t pid[4];

	ASSERT_LE(0, dev);
	pool_state(dev, &free0, &nreg0);
	for (i = 0; i < 4; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			rnd();
			for (int k = 0; k <= i; k++)
				rnd();
			_exit(churn(dev, i, end));
		}
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_EQ(0, WEXITSTATUS(status))
			TH_LOG("worker %d failed at step %d", i, WEXITSTATUS(status));
	}
	free_new_regions(dev, "cc-");
	pool_state(dev, &free1, &nreg1);
	EXPECT_EQ(nreg0, nreg1);
	EXPECT_EQ(free0, free1);
	close(dev);
}

TEST_HARNESS_MAIN
