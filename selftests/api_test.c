// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * /dev/vmkeep ioctls and region files on a live pool: each ioctl's happy
 * path, each documented errno, and the data path.  Needs root and a pool
 * with at least 300 MiB free; every region made here is named "t-*" and
 * freed in the teardown.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <stddef.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

FIXTURE(vmkeep) {
	int dev;
};

FIXTURE_SETUP(vmkeep)
{
	struct vmkeep_pool_info pool;

	self->dev = vk_open();
	ASSERT_LE(0, self->dev) TH_LOG("open /dev/vmkeep: %s", strerror(errno));
	if (vk_pool(self->dev, 0, &pool))
		SKIP(return, "no pool");
}

FIXTURE_TEARDOWN(vmkeep)
{
	struct vmkeep_region_info *r;
	uint32_t n, i;

	vk_ioctl(self->dev, VMKEEP_IOC_THAW, &(struct vmkeep_thaw){ .size = 8 });
	r = vk_list(self->dev, &n);
	for (i = 0; r && i < n; i++)
		if (!strncmp(r[i].name, "t-", 2))
			vk_free(self->dev, r[i].name);
	free(r);
	close(self->dev);
}

/* Test Case: alloc gives a regular-file-like fd of the asked size, listed active. */
TEST_F(vmkeep, alloc_basic)
{
	struct vmkeep_region_info info = {};
	struct vmkeep_pool_info before, after;
	struct stat st;
	int fd;

	ASSERT_EQ(0, vk_pool(self->dev, 0, &before));
	fd = vk_alloc(self->dev, "t-basic", 8 * MiB, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	ASSERT_EQ(0, fstat(fd, &st));
	/* A character file, as a device-dax node (issue 21). */
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777);
	EXPECT_EQ(8 * MiB, (uint64_t)st.st_size);
	EXPECT_EQ(8 * MiB, (uint64_t)lseek(fd, 0, SEEK_END));

	ASSERT_EQ(0, vk_find(self->dev, "t-basic", &info));
	EXPECT_EQ(8 * MiB, info.length);
	EXPECT_EQ(VMKEEP_STATE_ACTIVE, info.state);
	EXPECT_EQ(0U, info.uid);
	EXPECT_EQ(0600U, info.mode);
	EXPECT_EQ(1U, info.nr_open);
	ASSERT_EQ(0, vk_pool(self->dev, 0, &after));
	EXPECT_EQ(before.free - 8 * MiB, after.free);
	EXPECT_EQ(before.nr_regions + 1, after.nr_regions);
	EXPECT_LT(before.generation, after.generation);

	/* The region outlives its fd. */
	close(fd);
	ASSERT_EQ(0, vk_find(self->dev, "t-basic", &info));
	EXPECT_EQ(0U, info.nr_open);
	ASSERT_EQ(0, vk_free(self->dev, "t-basic"));
	EXPECT_EQ(-ENOENT, vk_find(self->dev, "t-basic", &info));
	ASSERT_EQ(0, vk_pool(self->dev, 0, &after));
	EXPECT_EQ(before.free, after.free);
}

/* Test Case: names are unique, validated, and looked up exactly. */
TEST_F(vmkeep, names)
{
	char longname[VMKEEP_NAME_LEN];
	int fd;

	fd = vk_alloc(self->dev, "t-name", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-EEXIST, vk_alloc(self->dev, "t-name", 2 * MiB, 0));
	EXPECT_EQ(-ENOENT, vk_get(self->dev, "t-nosuch"));
	EXPECT_EQ(-ENOENT, vk_free(self->dev, "t-nosuch"));
	EXPECT_EQ(-ENOENT, vk_finish(self->dev, "t-nosuch", 0));
	EXPECT_EQ(-EINVAL, vk_alloc(self->dev, "", 2 * MiB, 0));
	EXPECT_EQ(-EINVAL, vk_alloc(self->dev, "t-a/b", 2 * MiB, 0));
	EXPECT_EQ(-EINVAL, vk_alloc(self->dev, "t-a b", 2 * MiB, 0));
	EXPECT_EQ(-EINVAL, vk_alloc(self->dev, "t-\xff", 2 * MiB, 0));
	EXPECT_EQ(-EINVAL, vk_alloc(self->dev, ".t-dot", 2 * MiB, 0));
	memset(longname, 'a', sizeof(longname));
	longname[0] = 't';
	longname[1] = '-';
	/* 64 bytes, no NUL: vk_alloc copies with strncpy, so no terminator. */
	EXPECT_EQ(-EINVAL, vk_alloc(self->dev, longname, 2 * MiB, 0));
	EXPECT_EQ(-EINVAL, vk_get(self->dev, longname));
	longname[VMKEEP_NAME_LEN - 1] = 0;
	fd = vk_alloc(self->dev, longname, 2 * MiB, 0);
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(0, vk_free(self->dev, longname));
}

/* Test Case: sizes must be non-zero multiples of 2 MiB that fit. */
TEST_F(vmkeep, sizes)
{
	struct vmkeep_pool_info pool;

	EXPECT_EQ(-EINVAL, vk_alloc(self->dev, "t-size", 0, 0));
	EXPECT_EQ(-EINVAL, vk_alloc(self->dev, "t-size", 4096, 0));
	EXPECT_EQ(-EINVAL, vk_alloc(self->dev, "t-size", 3 * MiB, 0));
	ASSERT_EQ(0, vk_pool(self->dev, 0, &pool));
	EXPECT_EQ(-ENOSPC, vk_alloc(self->dev, "t-size", pool.length, 0));
	EXPECT_EQ(-ENOSPC, vk_alloc(self->dev, "t-size", 1ULL << 62, 0));
}

/* Test Case: unknown flags, reserved fields and struct sizes get their errnos. */
TEST_F(vmkeep, struct_rules)
{
	struct {
		struct vmkeep_alloc a;
		uint64_t tail;
	} big = {};
	struct vmkeep_alloc a = { .size = sizeof(a), .length = 2 * MiB };
	struct vmkeep_get g = { .size = sizeof(g) };
	struct vmkeep_list l = { .size = sizeof(l), .flags = 1 };

	strcpy(a.name, "t-rules");
	a.flags = 1U << 31;
	EXPECT_EQ(-EOPNOTSUPP, vk_ioctl(self->dev, VMKEEP_IOC_ALLOC, &a));
	a.flags = 0;
	a.__reserved = 1;
	EXPECT_EQ(-EINVAL, vk_ioctl(self->dev, VMKEEP_IOC_ALLOC, &a));
	a.__reserved = 0;
	a.mode = 01777;
	EXPECT_EQ(-EINVAL, vk_ioctl(self->dev, VMKEEP_IOC_ALLOC, &a));
	a.mode = 0;
	a.uid = 5;
	EXPECT_EQ(-EINVAL, vk_ioctl(self->dev, VMKEEP_IOC_ALLOC, &a));
	a.uid = 0;
	a.size = offsetof(struct vmkeep_alloc, name);
	EXPECT_EQ(-EINVAL, vk_ioctl(self->dev, VMKEEP_IOC_ALLOC, &a));
	EXPECT_EQ(-EOPNOTSUPP, vk_ioctl(self->dev, VMKEEP_IOC_LIST, &l));
	g.__reserved = 1;
	strcpy(g.name, "t-rules");
	EXPECT_EQ(-EINVAL, vk_ioctl(self->dev, VMKEEP_IOC_GET, &g));

	/* A newer, longer struct: zero tail is fine, anything else E2BIG. */
	big.a = a;
	big.a.size = sizeof(big);
	big.tail = 1;
	EXPECT_EQ(-E2BIG, vk_ioctl(self->dev, VMKEEP_IOC_ALLOC, &big));
	big.tail = 0;
	ASSERT_EQ(0, vk_ioctl(self->dev, VMKEEP_IOC_ALLOC, &big));
	close(big.a.out_fd);

	EXPECT_EQ(-ENOTTY, vk_ioctl(self->dev, _IO(VMKEEP_TYPE, 0x7f), &a));
	EXPECT_EQ(-ENOTTY, vk_ioctl(self->dev, _IO('x', 0), &a));
	EXPECT_EQ(-EFAULT, vk_ioctl(self->dev, VMKEEP_IOC_ALLOC, (void *)8));
}

/* Test Case: LIST reports EMSGSIZE with the count when the buffer is short. */
TEST_F(vmkeep, list_emsgsize)
{
	struct vmkeep_region_info info[1];
	struct vmkeep_list l = { .size = sizeof(l), .num_regions = 1,
				 .regions = (uintptr_t)info };
	int a = vk_alloc(self->dev, "t-list1", 2 * MiB, 0);
	int b = vk_alloc(self->dev, "t-list2", 2 * MiB, 0);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	EXPECT_EQ(-EMSGSIZE, vk_ioctl(self->dev, VMKEEP_IOC_LIST, &l));
	EXPECT_LE(2U, l.num_regions);
	close(a);
	close(b);
}

/* Test Case: exclusive regions have one open file from GET/ALLOC at a time. */
TEST_F(vmkeep, exclusive)
{
	struct vmkeep_region_info info = {};
	int fd, fd2;

	fd = vk_alloc(self->dev, "t-excl", 2 * MiB, VMKEEP_REGION_EXCLUSIVE);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vk_find(self->dev, "t-excl", &info));
	EXPECT_EQ(VMKEEP_REGION_EXCLUSIVE, info.flags);
	EXPECT_EQ(-EBUSY, vk_get(self->dev, "t-excl"));
	close(fd);
	fd2 = vk_get(self->dev, "t-excl");
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-EBUSY, vk_get(self->dev, "t-excl"));
	close(fd2);

	fd = vk_alloc(self->dev, "t-shared", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	fd2 = vk_get(self->dev, "t-shared");
	ASSERT_LE(0, fd2);
	close(fd);
	close(fd2);
}

/* Test Case: while frozen, changes fail with EBUSY and mapped regions are counted. */
TEST_F(vmkeep, freeze)
{
	struct vmkeep_freeze fr = { .size = sizeof(fr) };
	struct vmkeep_thaw th = { .size = sizeof(th) };
	void *p;
	int fd;

	fd = vk_alloc(self->dev, "t-frz", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);

	ASSERT_EQ(0, vk_ioctl(self->dev, VMKEEP_IOC_FREEZE, &fr));
	EXPECT_LE(1U, fr.out_mapped);
	EXPECT_EQ(-EBUSY, vk_alloc(self->dev, "t-frz2", 2 * MiB, 0));
	EXPECT_EQ(-EBUSY, vk_free(self->dev, "t-frz"));
	EXPECT_EQ(-EBUSY, vk_finish(self->dev, "t-frz", 0));
	/* Mapped memory keeps working, and GET still hands out fds. */
	memset(p, 0x5a, 4096);
	close(vk_get(self->dev, "t-frz"));
	ASSERT_EQ(0, vk_ioctl(self->dev, VMKEEP_IOC_THAW, &th));
	EXPECT_EQ(0, vk_finish(self->dev, "t-frz", 0));
	munmap(p, 2 * MiB);
	close(fd);
	EXPECT_EQ(0, vk_free(self->dev, "t-frz"));
}

/* Test Case: a non-root uid cannot get, free or finish root's region. */
TEST_F(vmkeep, owner)
{
	struct vmkeep_alloc a = { .size = sizeof(a), .length = 2 * MiB,
				  .flags = VMKEEP_ALLOC_OWNER, .uid = 1000,
				  .gid = 1000, .mode = 0660 };
	struct vmkeep_region_info info = {};
	struct vmkeep_freeze fr = { .size = sizeof(fr) };
	int fd, status;
	pid_t pid;

	fd = vk_alloc(self->dev, "t-root", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	close(fd);
	strcpy(a.name, "t-user");
	ASSERT_EQ(0, vk_ioctl(self->dev, VMKEEP_IOC_ALLOC, &a));
	close(a.out_fd);
	ASSERT_EQ(0, vk_find(self->dev, "t-user", &info));
	EXPECT_EQ(1000U, info.uid);
	EXPECT_EQ(0660U, info.mode);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* The /dev/vmkeep fd stays open across the uid change. */
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(10);
		if (vk_get(self->dev, "t-root") != -EACCES)
			_exit(11);
		if (vk_free(self->dev, "t-root") != -EACCES)
			_exit(12);
		if (vk_finish(self->dev, "t-root", 0) != -EACCES)
			_exit(13);
		if (vk_ioctl(self->dev, VMKEEP_IOC_FREEZE, &fr) != -EPERM)
			_exit(14);
		a.uid = 1001;
		a.gid = 1001;
		strcpy(a.name, "t-chown");
		if (vk_ioctl(self->dev, VMKEEP_IOC_ALLOC, &a) != -EPERM)
			_exit(15);
		fd = vk_get(self->dev, "t-user");
		if (fd < 0)
			_exit(16);
		if (vk_finish(self->dev, "t-user", 0))
			_exit(17);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child step %d failed", WEXITSTATUS(status));

	/* Other users: mode 0660 grants nothing. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setresgid(2000, 2000, 2000) || setresuid(2000, 2000, 2000))
			_exit(10);
		_exit(vk_get(self->dev, "t-user") == -EACCES ? 0 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Test Case: only MAP_SHARED mappings, only inside the region. */
TEST_F(vmkeep, mmap_rules)
{
	void *p;
	int fd = vk_alloc(self->dev, "t-mmap", 4 * MiB, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, fd, 0));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4 * MiB, PROT_READ, MAP_SHARED, fd,
				   2 * MiB));
	p = mmap(NULL, 2 * MiB, PROT_READ, MAP_SHARED, fd, 2 * MiB);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, 2 * MiB);
	close(fd);
}

static void fill(char *p, const char *name, uint64_t len)
{
	uint64_t off;

	for (off = 0; off < len; off += 8)
		*(uint64_t *)(p + off) = vk_pattern(name, off);
}

/* Test Case: bytes written through mmap read back with pread, and vice versa. */
TEST_F(vmkeep, data_mmap_pread)
{
	const uint64_t len = 6 * MiB;
	char *p, *buf = malloc(len);
	uint64_t v = 0x1122334455667788ULL;
	int fd = vk_alloc(self->dev, "t-data", len, 0);

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill(p, "t-data", len);
	ASSERT_EQ((ssize_t)len, pread(fd, buf, len, 0));
	EXPECT_EQ(0, memcmp(p, buf, len));
	ASSERT_EQ(8, pwrite(fd, &v, 8, 3 * MiB + 8));
	EXPECT_EQ(v, *(uint64_t *)(p + 3 * MiB + 8));
	/* End of file: short read, write refused. */
	EXPECT_EQ(4, pread(fd, buf, 8, len - 4));
	EXPECT_EQ(0, pread(fd, buf, 8, len));
	EXPECT_EQ(-1, pwrite(fd, buf, 8, len));
	munmap(p, len);
	free(buf);
	close(fd);
}

/* Test Case: reopening /proc/self/fd/N, as stock QEMU does, maps the same bytes. */
TEST_F(vmkeep, proc_reopen)
{
	char path[64], *p, *q;
	struct stat st;
	int fd, fd2;

	fd = vk_alloc(self->dev, "t-reopen", 4 * MiB, 0);
	ASSERT_LE(0, fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd2 = open(path, O_RDWR);
	ASSERT_LE(0, fd2) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, fstat(fd2, &st));
	EXPECT_EQ(4 * MiB, (uint64_t)st.st_size);
	p = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	q = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, q);
	fill(p, "t-reopen", 4 * MiB);
	EXPECT_EQ(0, memcmp(p, q, 4 * MiB));
	munmap(p, 4 * MiB);
	munmap(q, 4 * MiB);
	close(fd2);
	close(fd);
}

/* Test Case: freed memory handed out again reads as zero. */
TEST_F(vmkeep, zero_after_free)
{
	const uint64_t len = 64 * MiB;
	uint64_t off, i, *buf = malloc(MiB);
	char *p;
	int fd;

	ASSERT_NE(NULL, buf);
	fd = vk_alloc(self->dev, "t-old", len, 0);
	ASSERT_LE(0, fd);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0xa5, len);
	munmap(p, len);
	close(fd);
	ASSERT_EQ(0, vk_free(self->dev, "t-old"));

	fd = vk_alloc(self->dev, "t-new", len, 0);
	ASSERT_LE(0, fd);
	for (off = 0; off < len; off += MiB) {
		ASSERT_EQ((ssize_t)MiB, pread(fd, buf, MiB, off));
		for (i = 0; i < MiB / 8; i++)
			ASSERT_EQ(0ULL, buf[i])
				TH_LOG("byte %#llx", (unsigned long long)(off + i * 8));
	}
	free(buf);
	close(fd);
}

/* Test Case: touching every 4 KiB page costs at most 1024 faults per GiB (2 MiB mappings). */
TEST_F(vmkeep, faults_per_gib)
{
	const uint64_t len = 256 * MiB;
	struct rusage r0, r1;
	uint64_t off, faults;
	volatile char *p;
	int fd = vk_alloc(self->dev, "t-faults", len, 0);

	ASSERT_LE(0, fd);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	getrusage(RUSAGE_SELF, &r0);
	for (off = 0; off < len; off += 4096)
		p[off] = 1;
	getrusage(RUSAGE_SELF, &r1);
	faults = (r1.ru_minflt - r0.ru_minflt) * (1024 * MiB / len);
	TH_LOG("%llu faults per GiB touched", (unsigned long long)faults);
	EXPECT_GE(1024ULL, faults);
	munmap((void *)p, len);
	close(fd);
}

/* Test Case: the pages have struct pages: get_user_pages (process_vm_readv) works. */
TEST_F(vmkeep, gup)
{
	struct iovec local, remote;
	char *p, buf[4096];
	int fd = vk_alloc(self->dev, "t-gup", 2 * MiB, 0);

	ASSERT_LE(0, fd);
	p = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p + 8192, 0x3c, sizeof(buf));
	local = (struct iovec){ buf, sizeof(buf) };
	remote = (struct iovec){ p + 8192, sizeof(buf) };
	ASSERT_EQ((ssize_t)sizeof(buf),
		  process_vm_readv(getpid(), &local, 1, &remote, 1, 0))
		TH_LOG("process_vm_readv: %s", strerror(errno));
	EXPECT_EQ(0x3c, buf[0]);
	EXPECT_EQ(0x3c, buf[sizeof(buf) - 1]);
	munmap(p, 2 * MiB);
	close(fd);
}

/*
 * Test Case: a page still held after FREE (here by a pipe, after
 * vmsplice()) keeps its memory out of the next ALLOC, which would zero
 * it under the holder, and the memory returns once the page is let go.
 */
TEST_F(vmkeep, held_pages)
{
	struct vmkeep_pool_info before, held, after;
	char *p, buf[4096];
	struct iovec iov;
	int fd, pfd[2];

	ASSERT_EQ(0, vk_pool(self->dev, 0, &before));
	fd = vk_alloc(self->dev, "t-held", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x5a, sizeof(buf));
	ASSERT_EQ(0, pipe(pfd));
	iov = (struct iovec){ p, sizeof(buf) };
	ASSERT_EQ((ssize_t)sizeof(buf), vmsplice(pfd[1], &iov, 1, 0));
	munmap(p, 2 * MiB);
	close(fd);
	ASSERT_EQ(0, vk_free(self->dev, "t-held"));
	ASSERT_EQ(0, vk_pool(self->dev, 0, &held));
	EXPECT_EQ(before.free - 2 * MiB, held.free);

	/* All the free memory, zeroed by ALLOC: the held page is not in it. */
	fd = vk_alloc(self->dev, "t-rest", held.free, 0);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ((ssize_t)sizeof(buf), read(pfd[0], buf, sizeof(buf)));
	EXPECT_EQ(0x5a, buf[0]);
	EXPECT_EQ(0x5a, buf[sizeof(buf) - 1]);
	close(pfd[0]);
	close(pfd[1]);
	ASSERT_EQ(0, vk_free(self->dev, "t-rest"));
	ASSERT_EQ(0, vk_pool(self->dev, 0, &after));
	EXPECT_EQ(before.free, after.free);
}

/* Test Case: out of fds, ALLOC fails with EMFILE and leaves no region behind. */
TEST_F(vmkeep, fd_limit)
{
	struct vmkeep_region_info info;
	struct vmkeep_pool_info before, after;
	struct rlimit rl;
	int fd, i;

	ASSERT_EQ(0, vk_pool(self->dev, 0, &before));
	fd = dup(0);
	ASSERT_LE(0, fd);
	close(fd);
	/* The lowest free fd is fd: allow no more than those below it. */
	rl.rlim_cur = fd;
	rl.rlim_max = fd;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	/*
	 * The background zeroer may have taken the region already: its
	 * memory must still be back when ALLOC returns.  Repeated, as that
	 * is a race.
	 */
	for (i = 0; i < 32; i++) {
		ASSERT_EQ(-EMFILE, vk_alloc(self->dev, "t-nofd", 64 * MiB, 0));
		ASSERT_EQ(-ENOENT, vk_find(self->dev, "t-nofd", &info));
		ASSERT_EQ(0, vk_pool(self->dev, 0, &after));
		ASSERT_EQ(before.free, after.free) TH_LOG("round %d", i);
		ASSERT_EQ(before.nr_regions, after.nr_regions);
	}
}

/* Test Case: FORMAT refuses a pool with regions unless forced, and needs CAP_SYS_ADMIN rules. */
TEST_F(vmkeep, format_refused)
{
	struct vmkeep_format f = { .size = sizeof(f) };
	int fd = vk_alloc(self->dev, "t-fmt", 2 * MiB, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBUSY, vk_ioctl(self->dev, VMKEEP_IOC_FORMAT, &f));
	f.flags = VMKEEP_FORMAT_FORCE;
	/* Even forced: an open region is never formatted away. */
	EXPECT_EQ(-EBUSY, vk_ioctl(self->dev, VMKEEP_IOC_FORMAT, &f));
	f.pool = 99;
	EXPECT_EQ(-ENOENT, vk_ioctl(self->dev, VMKEEP_IOC_FORMAT, &f));
	close(fd);
}

TEST_HARNESS_MAIN
