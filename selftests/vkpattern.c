// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vkpattern - fill or check guest RAM with a reproducible pattern
 *
 *   vkpattern fill FILE SEED          write the pattern over all of FILE
 *   vkpattern check FILE SEED [HOLE_START HOLE_END]
 *
 * FILE is a region file (e.g. /proc/self/fd/10) or a dump written by
 * QEMU's pmemsave; byte offset N of FILE holds word N/8 of the pattern.
 * "check" skips [HOLE_START, HOLE_END), where the guest sees ROM or VGA
 * instead of RAM, and reports the first differing offset and the count.
 * Exit status 0 when all words match.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t word(uint64_t seed, uint64_t off)
{
	uint64_t x = (seed ^ off) * 0x9e3779b97f4a7c15ULL;

	x ^= x >> 29;
	return x * 0xbf58476d1ce4e5b9ULL;
}

int main(int argc, char **argv)
{
	uint64_t seed, off, len, bad = 0, first = 0, hole_s = 0, hole_e = 0;
	int fill, fd;
	struct stat st;
	uint64_t *p;

	if (argc != 4 && !(argc == 6 && !strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: vkpattern fill|check FILE SEED [HOLE_START HOLE_END]\n");
		return 2;
	}
	fill = !strcmp(argv[1], "fill");
	seed = strtoull(argv[3], NULL, 0);
	if (argc == 6) {
		hole_s = strtoull(argv[4], NULL, 0);
		hole_e = strtoull(argv[5], NULL, 0);
	}
	fd = open(argv[2], fill ? O_RDWR : O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[2]);
		return 1;
	}
	len = lseek(fd, 0, SEEK_END);
	p = mmap(NULL, len, fill ? PROT_READ | PROT_WRITE : PROT_READ,
		 MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (off = 0; off + 8 <= len; off += 8) {
		if (fill) {
			p[off / 8] = word(seed, off);
		} else if ((off < hole_s || off >= hole_e) &&
			   p[off / 8] != word(seed, off)) {
			if (!bad++)
				first = off;
		}
	}
	if (fill) {
		printf("vkpattern: %s: %" PRIu64 " bytes written, seed %#" PRIx64 "\n",
		       argv[2], len, seed);
		return 0;
	}
	if (bad)
		printf("vkpattern: %s: %" PRIu64 " of %" PRIu64
		       " words differ, first at %#" PRIx64 "\n",
		       argv[2], bad, len / 8, first);
	else
		printf("vkpattern: %s: all %" PRIu64 " bytes match\n", argv[2], len);
	return bad != 0;
}
