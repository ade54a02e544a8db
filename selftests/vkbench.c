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
 *   vkbench alloc MIB REPS
 *	Each repetition times ALLOC of a ready-to-use (zeroed) region of
 *	MIB and of 2 MiB, and memfd_create + fallocate of MIB.
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

/* ALLOC of @len, timed; the region is freed again.  -1 on failure. */
static int64_t alloc_us(int dev, uint64_t len)
{
	uint64_t t0 = now_ns(), t1;
	int fd = vk_alloc(dev, "bench-alloc", len, 0);

	t1 = now_ns();
	if (fd < 0) {
		printf("# ALLOC %llu MiB: %s\n", (unsigned long long)(len / MiB),
		       strerror(-fd));
		return -1;
	}
	close(fd);
	return vk_free(dev, "bench-alloc") ? -1 : (int64_t)(t1 - t0) / 1000;
}

static int alloc_bench(uint64_t len, int reps)
{
	int dev = vk_open(), rep, mfd, failed = 0;
	int64_t big, small;
	uint64_t t0, t1;

	for (rep = 1; rep <= reps && !failed; rep++) {
		big = alloc_us(dev, len);
		small = alloc_us(dev, 2 * MiB);
		t0 = now_ns();
		mfd = memfd_create("bench", MFD_CLOEXEC);
		failed = mfd < 0 || fallocate(mfd, 0, 0, len) || big < 0 || small < 0;
		t1 = now_ns();
		if (mfd >= 0)
			close(mfd);
		if (failed)
			break;
		printf("# bench: alloc vmkeep us %lld %d\n", (long long)big, rep);
		printf("# bench: alloc vmkeep-2M us %lld %d\n", (long long)small, rep);
		printf("# bench: alloc memfd-fallocate us %llu %d\n",
		       (unsigned long long)(t1 - t0) / 1000, rep);
	}
	close(dev);
	return failed;
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
	if (argc == 4 && !strcmp(argv[1], "alloc") && len && reps > 0)
		return alloc_bench(len, reps);
	if (argc == 5 && !strcmp(argv[1], "fill") && len && reps > 0)
		return fill_pool(argv[2], len, reps);
	if (argc == 2 && !strcmp(argv[1], "pools"))
		return list_pools();
	fprintf(stderr, "usage: vkbench touch vmkeep|memfd|memfd-thp|hugetlb MIB REPS\n"
			"       vkbench alloc MIB REPS\n"
			"       vkbench fill PREFIX MIB COUNT\n"
			"       vkbench pools\n");
	return 2;
}
