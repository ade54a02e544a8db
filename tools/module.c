// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeepctl load, unload, status: the module and its pools.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmkeepctl.h"

#define EXAMPLE_POOL	(4ULL << 30)
#define MAX_POOLS	64

static struct {
	const char *pools;
} param;

const struct opt load_opts[] = {
	{ "pools", "SIZE@ADDR[:1G][,SIZE@ADDR[:1G]...]", "pools to use when /proc/cmdline has no vmkeep.pools=",
	  .str = &param.pools },
	{}
};

/* Why load refuses without a pool, and which parameters would give one. */
static int no_pool(struct ctx *ctx)
{
	char whybuf[160], params[128];
	uint64_t addr;

	fail(ctx, RC_FAIL, NULL, 0,
	     "no pool: neither /proc/cmdline (vmkeep.pools=), modprobe.d nor --pools names one");
	if (!find_pool(EXAMPLE_POOL, -1, &addr, whybuf, sizeof(whybuf))) {
		vk_pool_params(addr, EXAMPLE_POOL, false, params, sizeof(params));
		fprintf(stderr,
			"vmkeepctl: load: reserve one on the kernel command line and reboot, for example\n"
			"    %s\n", params);
	}
	fprintf(stderr,
		"vmkeepctl: load: 'vmkeepctl pool suggest --size SIZE' finds room for the size you need\n");
	return RC_FAIL;
}

/*
 * The pools libkmod's pools= names (modprobe.d, /proc/cmdline; the last
 * wins, as in the module), or --pools @param, into @r: how many, 0 for
 * none, or -errno when malformed.
 */
static int named_pools(struct ctx *ctx, const char *param,
		       struct vk_pool_spec *r, size_t max)
{
	char *conf = NULL, val[4096];
	int n;

	if (param)
		return vk_parse_pools(param, r, max);
	if (vmkeep_module_get_options(ctx->vk, &conf))
		return 0;
	n = vk_cmdline_param(conf, "pools", val, sizeof(val)) == 1 ?
	    vk_parse_pools(val, r, max) : 0;
	free(conf);
	return n;
}

/*
 * The module refuses a pool that is not RAM in the firmware's memory map
 * when it can read that map (kmod/vmkeep_fwmap.c).  Check here too,
 * before the load, for a module that cannot: a pool that is not RAM is
 * left out of the pools= the module gets, @opt (NULL when all are kept).
 * @r, @n: the pools named; on return those kept.
 */
static int fw_filter(struct ctx *ctx, struct vk_pool_spec *r, int *n, char **opt)
{
	char why[200], s[32], *o = NULL, *t;
	struct vk_fw_range *fw;
	int i, kept = 0, nfw = read_fw_map(&fw);

	*opt = NULL;
	if (nfw < 0) {
		fprintf(stderr, "vmkeepctl: load: warning: cannot check the pools against the firmware's memory map: /sys/firmware/memmap: %s\n",
			strerror(-nfw));
		return RC_OK;
	}
	for (i = 0; i < *n; i++) {
		vk_short_size(r[i].end - r[i].start, s, sizeof(s));
		/* An empty or misaligned pool is the module's to refuse. */
		if (r[i].end > r[i].start &&
		    vk_fw_not_ram(fw, nfw, r[i].start, r[i].end, why, sizeof(why))) {
			fprintf(stderr, "vmkeepctl: load: pool %s@0x%" PRIx64 "%s refused: %s\n",
				s, r[i].start, r[i].pages_1g ? ":1G" : "", why);
			continue;
		}
		if (asprintf(&t, "%s%s%s@0x%" PRIx64 "%s", o ?: "", o ? "," : "", s,
			     r[i].start, r[i].pages_1g ? ":1G" : "") < 0) {
			free(o);
			free(fw);
			return fail(ctx, RC_FAIL, NULL, ENOMEM, NULL);
		}
		free(o);
		o = t;
		r[kept++] = r[i];
	}
	free(fw);
	if (kept == *n) {
		free(o);
		return RC_OK;
	}
	*n = kept;
	if (!kept)
		return fail(ctx, RC_FAIL, NULL, 0,
			    "no pool left that is RAM in the firmware's memory map: correct vmkeep.pools= and memmap= ('vmkeepctl pool suggest')");
	*opt = o;
	return RC_OK;
}

/* The module refuses a pool with one line in the kernel log only. */
static void warn_refused(struct ctx *ctx, int named)
{
	struct vmkeep_pool *pool;
	int n = 0;

	if (vmkeep_pools_refresh(ctx->vk) < 0)
		return;
	vmkeep_pool_foreach(ctx->vk, pool)
		n++;
	if (n < named)
		fprintf(stderr, "vmkeepctl: load: warning: the module took %d of the %d pools named; 'dmesg | grep vmkeep' says why it refused the others\n",
			n, named);
}

static int load_module(struct ctx *ctx, const char *pools)
{
	char *opt = NULL;
	int err;

	if (pools && asprintf(&opt, "pools=%s", pools) < 0)
		return fail(ctx, RC_NODEV, "vmkeep", ENOMEM, NULL);
	err = vmkeep_load(ctx->vk, opt);
	free(opt);
	if (err == -EEXIST)
		printf("vmkeep is loaded already%s\n",
		       pools ? "; --pools applies at the next load" : "");
	else if (err == -ECANCELED)
		return fail(ctx, RC_NODEV, "vmkeep", 0, "the module is blacklisted in modprobe.d");
	else if (err == -ENOENT)
		return fail(ctx, RC_NODEV, "vmkeep", ENOENT,
			    "no vmkeep module for this kernel (is it installed? 'dkms status')");
	else if (err < 0)
		return fail(ctx, RC_NODEV, "vmkeep", -err, "see the kernel log (dmesg)");
	return RC_OK;
}

/*
 * A range the kernel had as System RAM in this boot was anybody's: its
 * identity is forgotten, first thing, whether or not the module loads
 * (a boot without the pool's memmap= is one where it does not).
 */
static void prune_identities(struct ctx *ctx)
{
	int n = vmkeep_pool_identities_prune(ctx->vk);

	if (n > 0)
		fprintf(stderr, "vmkeepctl: load: warning: forgot %d pool identit%s: the range was System RAM in this boot, so its bytes were not vmkeep's; a pool there loads foreign\n",
			n, n == 1 ? "y" : "ies");
	else if (n < 0)
		fprintf(stderr, "vmkeepctl: load: warning: pool identities: %s\n",
			strerror(-n));
}

/* Pools load foreign: present the identities this host keeps. */
static void prove_pools(struct ctx *ctx)
{
	int n = vmkeep_pools_trust(ctx->vk);

	if (n < 0)
		fprintf(stderr, "vmkeepctl: load: warning: could not present the pool identities: %s\n",
			strerror(-n));
}

int cmd_load(int argc, char **argv, struct ctx *ctx)
{
	bool loaded = vmkeep_module_loaded(ctx->vk) > 0;
	struct vk_pool_spec r[MAX_POOLS];
	int named, rc = parse_no_operands(ctx, argc, argv, false);
	char *kept = NULL;

	if (rc >= 0)
		return rc;
	prune_identities(ctx);
	named = named_pools(ctx, param.pools, r, ARRAY_SIZE(r));
	if (param.pools && named <= 0)
		return bad_arg(ctx, "--pools", param.pools, "SIZE@ADDR[:1G][,SIZE@ADDR[:1G]...]");
	/* A malformed pools= is the module's to refuse, in its log. */
	if (!loaded && !named)
		return no_pool(ctx);
	rc = !loaded && named > 0 ? fw_filter(ctx, r, &named, &kept) : RC_OK;
	if (!rc)
		rc = load_module(ctx, kept ?: param.pools) ?: dev_open(ctx);
	free(kept);
	if (rc)
		return rc;
	if (!loaded && named > 0)
		warn_refused(ctx, named);
	prove_pools(ctx);
	return print_status(ctx, false);
}

int cmd_unload(int argc, char **argv, struct ctx *ctx)
{
	int err, rc = parse_no_operands(ctx, argc, argv, false);

	if (rc >= 0)
		return rc;
	err = vmkeep_unload(ctx->vk);
	if (err == -ENOENT) {
		printf("vmkeep is not loaded\n");
		return RC_OK;
	}
	if (err == -EBUSY || err == -EAGAIN)
		return fail(ctx, RC_FAIL, "vmkeep", -err,
			    "in use: /dev/vmkeep or a region file is open, a region is mapped, a process keeps an O_PATH fd or /proc/PID/fd link of one, or a freed region's page is still held");
	return err < 0 ? fail(ctx, RC_FAIL, "vmkeep", -err, NULL) : RC_OK;
}

int cmd_status(int argc, char **argv, struct ctx *ctx)
{
	int rc = parse_no_operands(ctx, argc, argv, true);

	return rc >= 0 ? rc : print_status(ctx, opt_json);
}
