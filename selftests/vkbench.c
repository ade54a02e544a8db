// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vkbench - mapping and allocation costs, vmkeep beside the alternatives
 *
 *   vkbench touch BACKEND MIB REPS
 *	BACKEND is vmkeep, memfd, memfd-thp or hugetlb.  The memory is
 *	allocated first (ALLOC, fallocate), untimed; each repetition then
 *	maps it afresh and writes one byte per 4 KiB page, and prints the
 *	page faults taken (speed-independent) and the time: the mapping
 *	cost alone.  memfd-thp relies on shmem_enabled=always.
 *   vkbench alloc REPS MIB...
 *	Each repetition times, for each MIB, ALLOC of a ready-to-use (zero)
 *	region, memfd_create + fallocate, and a hugetlbfs memfd (2 MiB
 *	pages) + fallocate; the last two only up to 1 GiB (their memory is
 *	the VM's own RAM).
 *   vkbench firsttouch MIB REPS
 *	Each repetition, alternating, times getting MIB and writing one byte
 *	per 4 KiB page: ALLOC from a pool of 1 GiB pages (ALIGN_1G), ALLOC
 *	from a pool of 2 MiB pages, and a hugetlbfs memfd of 2 MiB pages
 *	(which allocates and zeroes each page at its fault).
 *   vkbench time CMD [ARGS...]
 *	Runs CMD and prints the microseconds it took.
 *   vkbench fill PREFIX MIB COUNT
 *	Allocates COUNT regions PREFIX-0... of MIB each (not timed).
 *   vkbench pools
 *	One line per pool: "INDEX REGIONS INCOMING RESTORE_NS META_BYTES".
 *
 * Samples are printed as "# bench: GROUP LABEL METRIC VALUE REP" lines
 * for scripts/bench-report.sh (through selftests/bench.sh).  Exits 1 when
 * an operation failed; nothing here judges speed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "vmkeep_util.h"

#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << 26)
#endif

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static long faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

/* An fd of @len allocated bytes of @backend, or -1. */
static int backend_fd(const char *backend, uint64_t len, int dev)
{
	unsigned int flags = MFD_CLOEXEC;
	int fd;

	if (!strcmp(backend, "vmkeep"))
		return vk_alloc(dev, "bench-touch", len, 0);
	if (!strcmp(backend, "hugetlb"))
		flags |= MFD_HUGETLB | MFD_HUGE_2MB;
	else if (strcmp(backend, "memfd") && strcmp(backend, "memfd-thp"))
		return -1;
	fd = memfd_create(backend, flags);
	if (fd >= 0 && (ftruncate(fd, len) || fallocate(fd, 0, 0, len))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int map_bench(const char *backend, uint64_t len, int reps)
{
	int dev = vk_open(), fd, rep, failed = 0;
	uint64_t t0, t1, off;
	long f0, f1;
	char *p;

	fd = backend_fd(backend, len, dev);
	if (fd < 0) {
		printf("# %s: no memory: %s\n", backend, strerror(fd < -1 ? -fd : errno));
		return 1;
	}
	/* vmkeep clears memory at first touch: measure the mapping alone. */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		for (off = 0; off < len; off += 4096)
			((volatile char *)p)[off] = 1;
		munmap(p, len);
	}
	for (rep = 1; rep <= reps; rep++) {
		f0 = faults();
		t0 = now_ns();
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			printf("# %s: mmap: %s\n", backend, strerror(errno));
			failed = 1;
			break;
		}
		for (off = 0; off < len; off += 4096)
			((volatile char *)p)[off] = 1;
		t1 = now_ns();
		f1 = faults();
		printf("# bench: map %s faults_per_gib %llu %d\n", backend,
		       (unsigned long long)((f1 - f0) * (1ULL << 30) / len), rep);
		printf("# bench: map %s us %llu %d\n", backend,
		       (unsigned long long)(t1 - t0) / 1000, rep);
		munmap(p, len);
	}
	close(fd);
	if (!strcmp(backend, "vmkeep"))
		failed |= !!vk_free(dev, "bench-touch");
	close(dev);
	return failed;
}

/*
 * Until a pool has @len free: the background zeroer lets go of a freed
 * region at its next 2 MiB unit.  Not timed.
 */
static void wait_free(int dev, uint64_t len)
{
	struct vmkeep_pool_info p;
	unsigned int i;
	int tries;

	for (tries = 0; tries < 500; tries++) {
		for (i = 0; !vk_pool(dev, i, &p); i++)
			if (p.free >= len)
				return;
		usleep(10000);
	}
}

/* ALLOC of @len, timed; the region is freed again.  -1 on failure. */
static int64_t alloc_us(int dev, uint64_t len)
{
	uint64_t t0, t1;
	int fd;

	wait_free(dev, len);
	t0 = now_ns();
	fd = vk_alloc(dev, "bench-alloc", len, 0);

	t1 = now_ns();
	if (fd < 0) {
		printf("# ALLOC %llu MiB: %s\n", (unsigned long long)(len / MiB),
		       strerror(-fd));
		return -1;
	}
	close(fd);
	return vk_free(dev, "bench-alloc") ? -1 : (int64_t)(t1 - t0) / 1000;
}

/* memfd_create + fallocate of @len, timed; -1 on failure. */
static int64_t memfd_us(uint64_t len, unsigned int flags)
{
	uint64_t t0 = now_ns(), t1;
	int fd = memfd_create("bench", MFD_CLOEXEC | flags);
	int failed = fd < 0 || fallocate(fd, 0, 0, len);

	t1 = now_ns();
	if (failed)
		printf("# memfd %#x %llu MiB: %s\n", flags,
		       (unsigned long long)(len / MiB), strerror(errno));
	if (fd >= 0)
		close(fd);
	return failed ? -1 : (int64_t)(t1 - t0) / 1000;
}

#define HOST_MAX_MIB	1024

static int alloc_bench(int reps, char **mibs, int n)
{
	int dev = vk_open(), rep, i, failed = 0;
	uint64_t mib;
	int64_t us;

	for (rep = 1; rep <= reps && !failed; rep++) {
		for (i = 0; i < n && !failed; i++) {
			mib = strtoull(mibs[i], NULL, 0);
			us = alloc_us(dev, mib * MiB);
			failed |= us < 0;
			printf("# bench: alloc vmkeep-%lluM us %lld %d\n",
			       (unsigned long long)mib, (long long)us, rep);
			if (mib > HOST_MAX_MIB)
				continue;
			us = memfd_us(mib * MiB, 0);
			failed |= us < 0;
			printf("# bench: alloc memfd-%lluM us %lld %d\n",
			       (unsigned long long)mib, (long long)us, rep);
			us = memfd_us(mib * MiB, MFD_HUGETLB | MFD_HUGE_2MB);
			failed |= us < 0;
			printf("# bench: alloc hugetlb-%lluM us %lld %d\n",
			       (unsigned long long)mib, (long long)us, rep);
		}
	}
	close(dev);
	return failed;
}

/*
 * Get @len of @kind ("vmkeep-1G", "vmkeep-2M", "hugetlb") and write one
 * byte per 4 KiB page: the time and faults a VMM's first run pays.
 */
static int first_touch(int dev, const char *kind, uint64_t len, int rep)
{
	uint64_t t0, t1, off;
	long f0, f1;
	int fd;
	char *p;

	f0 = faults();
	t0 = now_ns();
	if (!strcmp(kind, "hugetlb")) {
		fd = memfd_create("bench", MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_2MB);
		if (fd >= 0 && ftruncate(fd, len)) {
			close(fd);
			fd = -errno;
		}
	} else {
		fd = vk_alloc(dev, "bench-touch", len,
			      strcmp(kind, "vmkeep-1G") ? 0 : VMKEEP_ALLOC_ALIGN_1G);
	}
	if (fd == -ENOSPC && !strcmp(kind, "vmkeep-1G")) {
		printf("# %s: no pool of 1 GiB pages with room, skipped\n", kind);
		return 0;
	}
	if (fd < 0) {
		printf("# %s: %s\n", kind, strerror(fd < -1 ? -fd : errno));
		return 1;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("# %s: mmap: %s\n", kind, strerror(errno));
		return 1;
	}
	for (off = 0; off < len; off += 4096)
		((volatile char *)p)[off] = 1;
	t1 = now_ns();
	f1 = faults();
	munmap(p, len);
	close(fd);
	printf("# bench: firsttouch %s us %llu %d\n", kind,
	       (unsigned long long)(t1 - t0) / 1000, rep);
	printf("# bench: firsttouch %s faults_per_gib %llu %d\n", kind,
	       (unsigned long long)((f1 - f0) * (1ULL << 30) / len), rep);
	if (strcmp(kind, "hugetlb") && vk_free(dev, "bench-touch"))
		return 1;
	return 0;
}

static int first_touch_bench(uint64_t len, int reps)
{
	static const char * const kinds[] = { "vmkeep-1G", "hugetlb", "vmkeep-2M" };
	int dev = vk_open(), rep, failed = 0;
	unsigned int k;

	for (rep = 1; rep <= reps && !failed; rep++)
		for (k = 0; k < 3 && !failed; k++)
			failed = first_touch(dev, kinds[(k + rep) % 3], len, rep);
	close(dev);
	return failed;
}

static int time_cmd(char **argv)
{
	uint64_t t0 = now_ns();
	int status;
	pid_t pid = fork();

	if (!pid) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	printf("%llu\n", (unsigned long long)(now_ns() - t0) / 1000);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int fill_pool(const char *prefix, uint64_t len, int count)
{
	int dev = vk_open(), i, fd = 0;
	char name[VMKEEP_NAME_LEN];

	for (i = 0; i < count && fd >= 0; i++) {
		snprintf(name, sizeof(name), "%s-%d", prefix, i);
		fd = vk_alloc(dev, name, len, 0);
		if (fd >= 0)
			close(fd);
	}
	if (fd < 0)
		printf("%s: %s\n", name, strerror(-fd));
	close(dev);
	return fd < 0;
}

static int list_pools(void)
{
	struct vmkeep_pool_info p;
	int dev = vk_open();
	unsigned int i;

	for (i = 0; !vk_pool(dev, i, &p); i++)
		printf("%u %u %u %llu %llu\n", i, p.nr_regions, p.nr_incoming,
		       (unsigned long long)p.restore_ns,
		       (unsigned long long)p.meta_bytes);
	close(dev);
	return !i;
}

int main(int argc, char **argv)
{
	uint64_t len = argc > 3 ? strtoull(argv[argc - 2], NULL, 0) * MiB : 0;
	int reps = argc > 3 ? atoi(argv[argc - 1]) : 0;

	if (argc == 5 && !strcmp(argv[1], "touch") && len && reps > 0)
		return map_bench(argv[2], len, reps);
	if (argc >= 4 && !strcmp(argv[1], "alloc") && atoi(argv[2]) > 0)
		return alloc_bench(atoi(argv[2]), argv + 3, argc - 3);
	if (argc == 4 && !strcmp(argv[1], "firsttouch") && len && reps > 0)
		return first_touch_bench(len, reps);
	if (argc >= 3 && !strcmp(argv[1], "time"))
		return time_cmd(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "fill") && len && reps > 0)
		return fill_pool(argv[2], len, reps);
	if (argc == 2 && !strcmp(argv[1], "pools"))
		return list_pools();
	fprintf(stderr, "usage: vkbench touch vmkeep|memfd|memfd-thp|hugetlb MIB REPS\n"
			"       vkbench alloc REPS MIB...\n"
			"       vkbench firsttouch MIB REPS\n"
			"       vkbench time CMD [ARGS...]\n"
			"       vkbench fill PREFIX MIB COUNT\n"
			"       vkbench pools\n");
	return 2;
}
