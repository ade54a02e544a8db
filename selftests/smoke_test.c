// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * The module is loaded, /dev/vmkeep exists, and the pool on the kernel
 * command line is reserved memory, in every stage of a kexec chain.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest_harness.h"

/* Find "vmkeep.pools=SIZE@ADDR" on the command line; sizes take K/M/G. */
static int cmdline_pool(uint64_t *start, uint64_t *size)
{
	char buf[4096], *p, *end;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strstr(buf, "vmkeep.pools=") : NULL;
	if (!p)
		return -1;
	*size = strtoull(p + strlen("vmkeep.pools="), &end, 0);
	p = strchr("KMG", *end);
	if (*end && p) {
		*size <<= 10 * (p - "KMG" + 1);
		end++;
	}
	if (*end != '@')
		return -1;
	*start = strtoull(end + 1, NULL, 0);
	return 0;
}

/* Test Case: /dev/vmkeep is a root-only character device. */
TEST(devnode)
{
	struct stat st;
	int fd;

	ASSERT_EQ(0, stat("/dev/vmkeep", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600U, st.st_mode & 07777);
	fd = open("/dev/vmkeep", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	close(fd);
}

/* Test Case: the pool is a "Reserved" range of /proc/iomem, not System RAM. */
TEST(pool_reserved)
{
	uint64_t pstart, psize, s, e;
	char line[256];
	int found = 0;
	FILE *f;

	if (cmdline_pool(&pstart, &psize))
		SKIP(return, "no vmkeep.pools= on the command line");
	f = fopen("/proc/iomem", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %" SCNx64 "-%" SCNx64, &s, &e) != 2)
			continue;
		if (s > pstart + psize - 1 || e < pstart)
			continue;
		ASSERT_EQ(NULL, strstr(line, "System RAM")) TH_LOG("%s", line);
		if (strstr(line, "Reserved") && s <= pstart && e >= pstart + psize - 1)
			found = 1;
	}
	fclose(f);
	EXPECT_TRUE(found);
	TH_LOG("stage %s: pool %#" PRIx64 "+%#" PRIx64 " reserved",
	       getenv("VMKEEP_TEST_STAGE") ?: "?", pstart, psize);
}

TEST_HARNESS_MAIN
