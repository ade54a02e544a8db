// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vkchurn - keep the metadata changing while a kexec happens
 *
 *   vkchurn ID     forever: allocate "ch-ID-N" (2-6 MiB), write one
 *                  pattern word per 4 KiB page in order, keep four such
 *                  regions, free the oldest
 *   vkchurn check  after the kexec: every region is incoming and holds a
 *                  prefix of its pattern followed by zeros (the writes
 *                  that happened before the jump), no pool memory is
 *                  lost (free + regions + metadata = pool); then free
 *                  them all and the pool is whole
 *
 * Exit status 0 when the check passes.
 */
#include <stdio.h>
#include <sys/mman.h>

#include "vmkeep_util.h"

static int check(int dev)
{
	struct vmkeep_region_info *r;
	struct vmkeep_pool_info pool;
	uint64_t off, w, used = 0;
	uint32_t n, i;
	int fd, bad = 0, zero;

	r = vk_list(dev, &n);
	if (vk_pool(dev, 0, &pool) || !r)
		return 1;
	for (i = 0; i < n; i++) {
		used += r[i].length;
		if (r[i].state != VMKEEP_STATE_INCOMING) {
			printf("%s: state %u\n", r[i].name, r[i].state);
			bad++;
			continue;
		}
		fd = vk_get(dev, r[i].name);
		zero = 0;
		for (off = 0; fd >= 0 && off < r[i].length; off += 4096) {
			if (pread(fd, &w, 8, off) != 8)
				break;
			if (!zero && w == vk_pattern(r[i].name, off))
				continue;
			if (w == 0) {
				zero = 1;
				continue;
			}
			printf("%s: word at %#llx is neither its pattern nor a zero tail\n",
			       r[i].name, (unsigned long long)off);
			bad++;
			break;
		}
		close(fd);
	}
	printf("vkchurn: %u regions restored, %llu bytes; pool %llu free of %llu\n",
	       n, (unsigned long long)used, (unsigned long long)pool.free,
	       (unsigned long long)pool.length);
	if (pool.free + used + 2 * MiB != pool.length) {
		printf("vkchurn: pool space lost\n");
		bad++;
	}
	for (i = 0; i < n; i++)
		bad += !!vk_free(dev, r[i].name);
	free(r);
	if (vk_pool(dev, 0, &pool) || pool.free + 2 * MiB != pool.length)
		bad++;
	return bad != 0;
}

int main(int argc, char **argv)
{
	char names[4][VMKEEP_NAME_LEN] = {};
	unsigned int id, k;
	uint64_t len, off, *p;
	int dev = vk_open(), fd;

	if (dev < 0 || argc != 2) {
		fprintf(stderr, "usage: vkchurn ID|check (with /dev/vmkeep)\n");
		return 2;
	}
	if (!strcmp(argv[1], "check"))
		return check(dev);
	id = atoi(argv[1]);
	for (k = 0;; k++) {
		char *name = names[k % 4];

		if (name[0])
			vk_free(dev, name);
		snprintf(name, VMKEEP_NAME_LEN, "ch-%u-%u", id, k);
		len = (1 + (k + id) % 3) * 2 * MiB;
		fd = vk_alloc(dev, name, len, 0);
		if (fd < 0) {
			name[0] = 0;
			usleep(1000);
			continue;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (p == MAP_FAILED)
			continue;
		for (off = 0; off < len; off += 4096)
			p[off / 8] = vk_pattern(name, off);
		munmap(p, len);
	}
}
