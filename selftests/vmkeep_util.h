/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Small wrappers around the /dev/vmkeep ioctls for the selftests: each
 * returns 0 or -errno, so a test can ASSERT_EQ(-EEXIST, ...).
 */
#ifndef _VMKEEP_UTIL_H
#define _VMKEEP_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vmkeep.h>

#define MiB (1ULL << 20)

static inline int vk_open(void)
{
	return open("/dev/vmkeep", O_RDWR | O_CLOEXEC);
}

static inline int vk_ioctl(int dev, unsigned long cmd, void *arg)
{
	return ioctl(dev, cmd, arg) ? -errno : 0;
}

/*
 * FORMAT as the host does it: vmkeepctl keeps the pool's identity, which
 * the next load (vmkeepctl load) presents; a bare FORMAT of a new pool
 * would leave it foreign after the kexec.
 */
static inline int vk_format_kept(unsigned int pool)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "vmkeepctl format --pool %u >/dev/null", pool);
	return system(cmd) ? -EIO : 0;
}

/* Returns the new fd or -errno. */
static inline int vk_alloc(int dev, const char *name, uint64_t length,
			   uint32_t flags)
{
	struct vmkeep_alloc a = { .size = sizeof(a), .flags = flags,
				  .length = length };
	int ret;

	memcpy(a.name, name, strnlen(name, sizeof(a.name)));
	ret = vk_ioctl(dev, VMKEEP_IOC_ALLOC, &a);
	return ret ?: a.out_fd;
}

static inline int vk_get(int dev, const char *name)
{
	struct vmkeep_get g = { .size = sizeof(g) };
	int ret;

	memcpy(g.name, name, strnlen(name, sizeof(g.name)));
	ret = vk_ioctl(dev, VMKEEP_IOC_GET, &g);
	return ret ?: g.out_fd;
}

static inline int vk_free(int dev, const char *name)
{
	struct vmkeep_free f = { .size = sizeof(f) };

	memcpy(f.name, name, strnlen(name, sizeof(f.name)));
	return vk_ioctl(dev, VMKEEP_IOC_FREE, &f);
}

static inline int vk_finish(int dev, const char *name, uint32_t flags)
{
	struct vmkeep_finish f = { .size = sizeof(f), .flags = flags };

	if (name)
		memcpy(f.name, name, strnlen(name, sizeof(f.name)));
	return vk_ioctl(dev, VMKEEP_IOC_FINISH, &f);
}

/* Returns a malloc'ed array of *n regions, or NULL. */
static inline struct vmkeep_region_info *vk_list(int dev, uint32_t *n)
{
	struct vmkeep_list l = { .size = sizeof(l) };
	struct vmkeep_region_info *r = NULL;

	for (;;) {
		if (!vk_ioctl(dev, VMKEEP_IOC_LIST, &l)) {
			*n = l.num_regions;
			return r ?: calloc(1, sizeof(*r));
		}
		if (errno != EMSGSIZE)
			break;
		free(r);
		r = calloc(l.num_regions, sizeof(*r));
		if (!r)
			return NULL;
		l.regions = (uintptr_t)r;
	}
	free(r);
	return NULL;
}

static inline int vk_find(int dev, const char *name,
			  struct vmkeep_region_info *out)
{
	struct vmkeep_region_info *r;
	uint32_t n, i;
	int ret = -ENOENT;

	r = vk_list(dev, &n);
	if (!r)
		return -errno;
	for (i = 0; i < n; i++) {
		if (!strcmp(r[i].name, name)) {
			*out = r[i];
			ret = 0;
			break;
		}
	}
	free(r);
	return ret;
}

static inline int vk_pool(int dev, unsigned int idx,
			  struct vmkeep_pool_info *out)
{
	struct vmkeep_pool_info p[8];
	struct vmkeep_status s = { .size = sizeof(s), .num_pools = 8,
				   .pools = (uintptr_t)p };
	int ret = vk_ioctl(dev, VMKEEP_IOC_STATUS, &s);

	if (ret)
		return ret;
	if (idx >= s.num_pools)
		return -ENOENT;
	*out = p[idx];
	return 0;
}

/*
 * Two-stage tests find their stage from the preserved state itself: stage
 * 2 when the region @marker exists, else stage 1.  Call it before any
 * test changes the regions (from a constructor).
 */
static inline int vk_stage(const char *marker)
{
	struct vmkeep_region_info info = {};
	int dev = vk_open(), stage;

	stage = dev >= 0 && !vk_find(dev, marker, &info) ? 2 : 1;
	close(dev);
	return stage;
}

/* A pattern that differs per region and per 8-byte word. */
static inline uint64_t vk_pattern(const char *name, uint64_t off)
{
	uint64_t h = 1469598103934665603ULL;

	while (*name)
		h = (h ^ (unsigned char)*name++) * 1099511628211ULL;
	return (h ^ off) * 0x9e3779b97f4a7c15ULL;
}

/* Loads the module and presents the pools' identities (they load foreign). */
#define VK_LOAD_POOLS	"vmkeepctl load >/dev/null"

/* Loaded, with a pool: the /dev/vmkeep fd, or -1. */
static inline int vk_load(void)
{
	struct vmkeep_pool_info pool;
	int dev;

	if (system(VK_LOAD_POOLS))
		return -1;
	dev = vk_open();
	if (dev >= 0 && vk_pool(dev, 0, &pool)) {
		close(dev);
		return -1;
	}
	return dev;
}

#endif /* _VMKEEP_UTIL_H */
