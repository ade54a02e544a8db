// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * The host's pool identities.  FORMAT gives a pool a random identity
 * and writes it into the pool's header; the host keeps it here, where
 * only root reads it ($VMKEEP_STATE_DIR/pools, /var/lib/vmkeep/pools),
 * and presents it after each load (VMKEEP_IOC_TRUST), which restores the
 * pool's regions.  A pool whose identity the host does not hold stays
 * foreign: its metadata may be bytes a tenant left in a range that was
 * not a pool before.
 *
 * An identity is kept only while its range stays out of the kernel's
 * hands: a boot in which the range is System RAM gives its bytes,
 * header included, to whoever the kernel hands them to, so such an
 * identity is forgotten (vmkeep_pool_identities_prune()).
 *
 * One line per pool: "BASE SIZE ID", hex, the identity as 32 digits.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

#define STATE_DIR	"/var/lib/vmkeep"
#define MAX_IDS		64

struct pool_id {
	uint64_t base;
	uint64_t size;
	uint8_t id[VMKEEP_ID_LEN];
};

/* Pools and regions changed: the next iteration takes new snapshots. */
static void stale(struct vmkeep_ctx *ctx)
{
	ctx->have_pools = false;
	ctx->have_regions = false;
}

static const char *state_dir(void)
{
	const char *dir = secure_getenv("VMKEEP_STATE_DIR");

	return dir && *dir ? dir : STATE_DIR;
}

static int parse_id(const char *hex, uint8_t *id)
{
	unsigned int i, b;

	for (i = 0; i < VMKEEP_ID_LEN; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -EINVAL;
		id[i] = b;
	}
	return hex[2 * VMKEEP_ID_LEN] == '\0' ? 0 : -EINVAL;
}

/* The identities kept, at most MAX_IDS; lines that do not parse are dropped. */
static int ids_read(struct pool_id *ids)
{
	char path[4096], line[256], hex[64];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/pools", state_dir());
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (n < MAX_IDS && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %63s", &ids[n].base,
			   &ids[n].size, hex) == 3 && !parse_id(hex, ids[n].id))
			n++;
	}
	fclose(f);
	return n;
}

/* Replace the file: written whole, synced, then renamed over the old one. */
static int ids_write(const struct pool_id *ids, int n)
{
	char path[4096], tmp[4200];
	int fd, i, j, ret = 0;
	FILE *f;

	if (mkdir(state_dir(), 0700) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/pools", state_dir());
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	fprintf(f, "# vmkeep pool identities: BASE SIZE ID (written by libvmkeep; keep it root-only)\n");
	for (i = 0; i < n; i++) {
		fprintf(f, "%#" PRIx64 " %#" PRIx64 " ", ids[i].base, ids[i].size);
		for (j = 0; j < VMKEEP_ID_LEN; j++)
			fprintf(f, "%02x", ids[i].id[j]);
		fputc('\n', f);
	}
	if (fflush(f) || fsync(fd))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int find(const struct pool_id *ids, int n, uint64_t base, uint64_t size)
{
	int i;

	for (i = 0; i < n; i++)
		if (ids[i].base == base && ids[i].size == size)
			return i;
	return -1;
}

/* Keep @id for the pool at @base, @size; a range overlapping it is dropped. */
static int id_keep(uint64_t base, uint64_t size, const uint8_t *id)
{
	struct pool_id ids[MAX_IDS + 1];
	int i, n = ids_read(ids);

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (ids[i].base < base + size && base < ids[i].base + ids[i].size)
			ids[i--] = ids[--n];
	}
	ids[n].base = base;
	ids[n].size = size;
	memcpy(ids[n].id, id, VMKEEP_ID_LEN);
	return ids_write(ids, n + 1);
}

static struct vmkeep_pool *pool_at(struct vmkeep_ctx *ctx, unsigned int index)
{
	struct vmkeep_pool *pool;

	vmkeep_pool_foreach(ctx, pool)
		if (pool->index == index)
			return pool;
	return NULL;
}

/* After FORMAT or an adoption: the identity the pool now has, kept. */
int vmkeep_pool_keep_id(struct vmkeep_ctx *ctx, unsigned int index,
			const uint8_t *id)
{
	struct vmkeep_pool *pool = pool_at(ctx, index);

	if (!pool)
		return -ENOENT;
	return id_keep(pool->info.base, pool->info.length, id);
}

VMKEEP_EXPORT int vmkeep_pool_adopt(struct vmkeep_ctx *ctx, unsigned int pool)
{
	struct vmkeep_trust t = {
		.size = sizeof(t),
		.flags = VMKEEP_TRUST_ADOPT,
		.pool = pool,
	};
	int ret = vmkeep_dev_ioctl(ctx, VMKEEP_IOC_TRUST, &t);

	stale(ctx);
	return ret ?: vmkeep_pool_keep_id(ctx, pool, t.pool_id);
}

/* Whether [@base, @base + @size) holds System RAM in /proc/iomem. */
static int is_system_ram(FILE *iomem, uint64_t base, uint64_t size)
{
	char line[256];
	uint64_t start, end;
	int n;

	rewind(iomem);
	while (fgets(line, sizeof(line), iomem)) {
		/* Top-level resources only: children start with spaces. */
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " : %n", &start, &end, &n) != 2)
			continue;
		if (strncmp(line + n, "System RAM", 10) || !end)
			continue;
		if (start < base + size && base <= end)
			return 1;
	}
	return 0;
}

VMKEEP_EXPORT int vmkeep_pool_identities_prune(struct vmkeep_ctx *ctx)
{
	struct pool_id ids[MAX_IDS];
	int i, n = ids_read(ids), dropped = 0;
	FILE *iomem;

	(void)ctx;
	if (n <= 0)
		return n;
	iomem = fopen("/proc/iomem", "re");
	if (!iomem)
		return -errno;
	for (i = 0; i < n; i++) {
		if (is_system_ram(iomem, ids[i].base, ids[i].size)) {
			ids[i--] = ids[--n];
			dropped++;
		}
	}
	fclose(iomem);
	return dropped ? ids_write(ids, n) ?: dropped : 0;
}

VMKEEP_EXPORT int vmkeep_pools_trust(struct vmkeep_ctx *ctx)
{
	struct vmkeep_trust t = { .size = sizeof(t) };
	struct pool_id ids[MAX_IDS];
	int i, n = ids_read(ids), trusted = 0, ret;
	struct vmkeep_pool *pool;

	if (n < 0)
		return n;
	ret = vmkeep_pools_refresh(ctx);
	if (ret < 0)
		return ret;
	vmkeep_pool_foreach(ctx, pool) {
		if (pool->info.state != VMKEEP_POOL_FOREIGN)
			continue;
		i = find(ids, n, pool->info.base, pool->info.length);
		if (i < 0)
			continue;
		t.pool = pool->index;
		memcpy(t.pool_id, ids[i].id, VMKEEP_ID_LEN);
		ret = vmkeep_dev_ioctl(ctx, VMKEEP_IOC_TRUST, &t);
		if (ret && ret != -EKEYREJECTED)
			break;
		trusted += !ret;
		ret = 0;
	}
	stale(ctx);
	return ret ?: trusted;
}
