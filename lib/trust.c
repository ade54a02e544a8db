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
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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

/*
 * The state directory, root's and closed to others, locked against the
 * other writers (vmkeepctl format and load may run at once); -ENOENT
 * when it does not exist and @create is false.
 */
struct store {
	int dir;
	int lock;
};

static int store_open(struct store *st, bool create)
{
	struct stat sb;
	int ret;

	if (create && mkdir(state_dir(), 0700) && errno != EEXIST)
		return -errno;
	st->dir = open(state_dir(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st->dir < 0)
		return -errno;
	if (fstat(st->dir, &sb)) {
		ret = -errno;
		goto err_dir;
	}
	if (sb.st_uid != geteuid() || (sb.st_mode & 077)) {
		ret = -EPERM;
		goto err_dir;
	}
	st->lock = openat(st->dir, "pools.lock",
			  O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (st->lock < 0) {
		ret = -errno;
		goto err_dir;
	}
	if (flock(st->lock, LOCK_EX)) {
		ret = -errno;
		close(st->lock);
		goto err_dir;
	}
	return 0;

err_dir:
	close(st->dir);
	return ret;
}

static void store_close(struct store *st)
{
	close(st->lock);
	close(st->dir);
}

/* The identities kept, at most MAX_IDS; lines that do not parse are dropped. */
static int ids_read(struct store *st, struct pool_id *ids)
{
	char line[256], hex[64];
	int fd, n = 0;
	FILE *f;

	fd = openat(st->dir, "pools", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	while (n < MAX_IDS && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %63s", &ids[n].base,
			   &ids[n].size, hex) == 3 && !parse_id(hex, ids[n].id))
			n++;
	}
	fclose(f);
	return n;
}

/* Replace the file: written whole, synced, renamed over the old one. */
static int ids_write(struct store *st, const struct pool_id *ids, int n)
{
	static const char tmp[] = "pools.new";
	int fd, i, j, ret = 0;
	FILE *f;

	unlinkat(st->dir, tmp, 0);
	fd = openat(st->dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlinkat(st->dir, tmp, 0);
		return -ENOMEM;
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
	if (!ret && renameat(st->dir, tmp, st->dir, "pools"))
		ret = -errno;
	if (ret)
		unlinkat(st->dir, tmp, 0);
	else if (fsync(st->dir))
		ret = -errno;
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
	struct store st;
	int i, n, ret = store_open(&st, true);

	if (ret)
		return ret;
	n = ids_read(&st, ids);
	for (i = 0; i < n; i++) {
		if (ids[i].base < base + size && base < ids[i].base + ids[i].size)
			ids[i--] = ids[--n];
	}
	if (n >= 0) {
		ids[n].base = base;
		ids[n].size = size;
		memcpy(ids[n].id, id, VMKEEP_ID_LEN);
		n = ids_write(&st, ids, n + 1);
	}
	store_close(&st);
	return n < 0 ? n : 0;
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
	int i, n, dropped = 0, ret;
	struct store st;
	FILE *iomem;

	(void)ctx;
	ret = store_open(&st, false);
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	n = ids_read(&st, ids);
	ret = n;
	iomem = n > 0 ? fopen("/proc/iomem", "re") : NULL;
	if (n > 0 && !iomem)
		ret = -errno;
	for (i = 0; iomem && i < n; i++) {
		if (is_system_ram(iomem, ids[i].base, ids[i].size)) {
			ids[i--] = ids[--n];
			dropped++;
		}
	}
	if (iomem)
		fclose(iomem);
	if (dropped)
		ret = ids_write(&st, ids, n) ?: dropped;
	store_close(&st);
	return ret < 0 ? ret : dropped;
}

VMKEEP_EXPORT int vmkeep_pools_trust(struct vmkeep_ctx *ctx)
{
	struct vmkeep_trust t = { .size = sizeof(t) };
	int i, n, trusted = 0, err = 0, ret;
	struct pool_id ids[MAX_IDS];
	struct vmkeep_pool *pool;
	struct store st;

	ret = store_open(&st, false);
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	n = ids_read(&st, ids);
	store_close(&st);
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
		/* A pool that fails leaves the others to try. */
		if (ret && ret != -EKEYREJECTED && !err)
			err = ret;
		trusted += !ret;
	}
	stale(ctx);
	return err ?: trusted;
}
