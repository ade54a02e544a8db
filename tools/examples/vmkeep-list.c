// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeep-list - list vmkeep's pools and regions through libvmkeep, as a
 * VMM or an agent would.  Build it against the installed library:
 *
 *	cc -o vmkeep-list vmkeep-list.c $(pkg-config --cflags --libs libvmkeep)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <vmkeep/libvmkeep.h>

int main(void)
{
	struct vmkeep_region *region;
	struct vmkeep_pool *pool;
	struct vmkeep_ctx *ctx;
	int err = vmkeep_new(&ctx);

	if (err) {
		fprintf(stderr, "vmkeep_new: %s\n", strerror(-err));
		return 1;
	}
	err = vmkeep_pools_refresh(ctx);
	if (err < 0) {
		fprintf(stderr, "%s: %s\n", vmkeep_get_dev_path(ctx), strerror(-err));
		vmkeep_unref(ctx);
		return 1;
	}
	vmkeep_pool_foreach(ctx, pool)
		printf("pool %u: %" PRIu64 " bytes at 0x%" PRIx64 ", %" PRIu64 " free, %s\n",
		       vmkeep_pool_get_index(pool), vmkeep_pool_get_size(pool),
		       vmkeep_pool_get_base(pool), vmkeep_pool_get_free(pool),
		       vmkeep_pool_get_state_name(pool));
	vmkeep_region_foreach(ctx, region)
		printf("region %s: %" PRIu64 " bytes in pool %u, %s\n",
		       vmkeep_region_get_name(region), vmkeep_region_get_size(region),
		       vmkeep_region_get_pool(region),
		       vmkeep_region_get_state_name(region));
	err = errno;
	vmkeep_unref(ctx);
	if (err) {
		fprintf(stderr, "regions: %s\n", strerror(err));
		return 1;
	}
	return 0;
}
