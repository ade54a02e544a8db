// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeepctl load, unload, status: the module and its pools.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmkeepctl.h"

#define EXAMPLE_POOL	(4ULL << 30)

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
 * How many pools libkmod's pools= names (modprobe.d, /proc/cmdline; the
 * last wins, as in the module), or --pools @param: 0 for none.
 */
static int named_pools(struct ctx *ctx, const char *param)
{
	struct vk_pool_spec r[64];
	char *conf = NULL, val[4096];
	int n;

	if (param)
		return vk_parse_pools(param, r, ARRAY_SIZE(r));
	if (vmkeep_module_get_options(ctx->vk, &conf))
		return 0;
	n = vk_cmdline_param(conf, "pools", val, sizeof(val)) == 1 ?
	    vk_parse_pools(val, r, ARRAY_SIZE(r)) : 0;
	free(conf);
	return n;
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

int cmd_load(int argc, char **argv, struct ctx *ctx)
{
	bool loaded = vmkeep_module_loaded(ctx->vk) > 0;
	int named, rc = parse_no_operands(ctx, argc, argv, false);

	if (rc >= 0)
		return rc;
	named = named_pools(ctx, param.pools);
	if (param.pools && named <= 0)
		return bad_arg(ctx, "--pools", param.pools, "SIZE@ADDR[:1G][,SIZE@ADDR[:1G]...]");
	rc = param.pools ? check_pools(ctx, "--pools", param.pools) : 0;
	if (rc)
		return rc;
	/* A malformed pools= is the module's to refuse, in its log. */
	if (!loaded && !named)
		return no_pool(ctx);
	rc = load_module(ctx, param.pools) ?: dev_open(ctx);
	if (rc)
		return rc;
	if (!loaded && named > 0)
		warn_refused(ctx, named);
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
