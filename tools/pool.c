// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeepctl pool suggest, format: where a pool can go, and erasing one
 * (with the live update sessions it keeps).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "vmkeepctl.h"

#define MAX_RAM		256

static struct {
	const char *size, *node, *pool;
	bool force;
} param;

const struct opt pool_opts[] = {
	{ "size", "SIZE", "a multiple of 2M, such as 64G", OPT_REQUIRED, .str = &param.size },
	{ "node", "N", "in System RAM of NUMA node N", .str = &param.node },
	{}
};

const struct opt adopt_opts[] = {
	{ "pool", "N", "the foreign pool's index in 'vmkeepctl status'", OPT_REQUIRED,
	  .str = &param.pool },
	{}
};

/* Pool @index in the pool snapshot, or NULL. */
static struct vmkeep_pool *find_pool_index(struct ctx *ctx, unsigned long index)
{
	struct vmkeep_pool *p;

	vmkeep_pool_foreach(ctx->vk, p)
		if (vmkeep_pool_get_index(p) == index)
			return p;
	return NULL;
}

/*
 * Whether pool @index is as a FORMAT leaves it although vmkeep_format()
 * failed, which it does for the ioctl and for keeping the identity alike:
 * ready, not held, no region, no handoff, and, when it was ready before
 * (@gen: its generation then, else 0), of a newer generation.  A refused
 * FORMAT of a ready pool (EBUSY: regions or live update sessions open)
 * leaves it as it was.
 */
static bool is_formatted(struct ctx *ctx, unsigned long index, uint64_t gen)
{
	struct vmkeep_pool *p = find_pool_index(ctx, index);

	return p && !strcmp(vmkeep_pool_get_state_name(p), "ready") &&
	       !vmkeep_pool_is_held(p) && !vmkeep_pool_get_nr_regions(p) &&
	       !vmkeep_pool_get_handoffs(p) && vmkeep_pool_get_generation(p) > gen;
}

const struct opt format_opts[] = {
	{ "pool", "N", "the pool's index in 'vmkeepctl status'", OPT_REQUIRED,
	  .str = &param.pool },
	{ "force", NULL, "also a damaged pool or one with regions: they are lost",
	  .flag = &param.force },
	{}
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The physical ranges of a NUMA node: its memory blocks, merged. */
static int node_ranges(long node, struct vk_range **out)
{
	uint64_t bs, id, *ids = NULL, *tmp;
	char path[64], *text, c;
	struct dirent *de;
	size_t n = 0, i;
	int m = 0;
	DIR *d;

	text = read_text("/sys/devices/system/memory/block_size_bytes");
	if (!text)
		return -ENOENT;
	bs = strtoull(text, NULL, 16);
	free(text);
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%ld", node);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "memory%" SCNu64 "%c", &id, &c) != 1)
			continue;
		tmp = reallocarray(ids, n + 1, sizeof(*ids));
		if (!tmp) {
			closedir(d);
			free(ids);
			return -ENOMEM;
		}
		ids = tmp;
		ids[n++] = id;
	}
	closedir(d);
	*out = calloc(n + 1, sizeof(**out));
	if (!*out || !n || !bs) {
		free(ids);
		free(*out);
		return -ENOENT;
	}
	qsort(ids, n, sizeof(*ids), cmp_u64);
	for (i = 0; i < n; i++) {
		if (m && (*out)[m - 1].end == ids[i] * bs) {
			(*out)[m - 1].end += bs;
		} else {
			(*out)[m].start = ids[i] * bs;
			(*out)[m++].end = ids[i] * bs + bs;
		}
	}
	free(ids);
	return m;
}

/*
 * @n ranges of @r cut to the firmware's RAM into @out (free() it): a
 * pool must be RAM in the firmware's memory map, not only in the running
 * kernel's, which memmap=SIZE@ADDR or exactmap may have grown.  Return
 * their count, or @n and @out NULL with a warning when the map cannot be
 * read, or -ENOMEM.
 */
static int fw_ram_only(const struct vk_range *r, int n, struct vk_range **out)
{
	struct vk_range *fr;
	struct vk_fw_range *fw;
	int nfw = read_fw_map(&fw);
	size_t m;

	*out = NULL;
	if (nfw < 0) {
		fprintf(stderr, "vmkeepctl: pool: warning: cannot read the firmware's memory map: /sys/firmware/memmap: %s; the pool is only RAM of the running kernel\n",
			strerror(-nfw));
		return n;
	}
	fr = calloc((size_t)nfw + 1, sizeof(*fr));
	*out = calloc((size_t)n * nfw + 1, sizeof(**out));
	if (fr && *out) {
		m = vk_fw_ram(fw, nfw, fr, nfw);
		n = vk_intersect(r, n, fr, m, *out, (size_t)n * nfw);
	} else {
		n = -ENOMEM;
	}
	free(fw);
	free(fr);
	return n;
}

/*
 * Where a pool of @size could go (on @node, unless negative).  Return 0,
 * or -errno with @whybuf filled in.
 */
int find_pool(uint64_t size, long node, uint64_t *addr, char *whybuf,
	      size_t len)
{
	struct vk_range ram[MAX_RAM], *nodes = NULL, *both = NULL, *r = ram, *fr;
	char *text = read_text("/proc/iomem"), hs[32];
	int n, m, err;

	if (!text) {
		snprintf(whybuf, len, "cannot read /proc/iomem");
		return -(errno ?: EIO);
	}
	n = vk_parse_iomem(text, ram, MAX_RAM);
	free(text);
	if (n < 0) {
		snprintf(whybuf, len, "/proc/iomem shows addresses only to root");
		return -EPERM;
	}
	if (node >= 0) {
		m = node_ranges(node, &nodes);
		if (m < 0) {
			snprintf(whybuf, len,
				 "cannot read the memory blocks of NUMA node %ld from sysfs", node);
			return m;
		}
		both = calloc((size_t)n * m + 1, sizeof(*both));
		if (!both) {
			free(nodes);
			return -ENOMEM;
		}
		n = vk_intersect(ram, n, nodes, m, both, (size_t)n * m);
		r = both;
		free(nodes);
	}
	n = fw_ram_only(r, n, &fr);
	err = n < 0 ? n : vk_pool_suggest(fr ?: r, n, size, addr);
	free(both);
	free(fr);
	if (err == -ENOMEM) {
		snprintf(whybuf, len, "out of memory");
	} else if (err) {
		vk_human_size(size, hs, sizeof(hs));
		snprintf(whybuf, len,
			 "System RAM%s, also in the firmware's memory map, has no 2 MiB aligned %s above 1 GiB",
			 node >= 0 ? " of the node" : "", hs);
	}
	return err;
}

/* A pool that takes most of the host's RAM: say how little is left. */
static void warn_host_ram(uint64_t size)
{
	char *text = read_text("/proc/iomem"), msg[160];
	struct vk_range ram[MAX_RAM];
	int n = text ? vk_parse_iomem(text, ram, MAX_RAM) : -1;

	free(text);
	if (n > 0 && vk_pool_leaves_little(ram, n, size, msg, sizeof(msg)))
		fprintf(stderr, "vmkeepctl: pool suggest: warning: %s\n", msg);
}

int cmd_pool(int argc, char **argv, struct ctx *ctx)
{
	struct vk_pool_spec sp = {};
	char whybuf[160], hs[32];
	uint64_t size, addr;
	long node;
	int err, rc = parse_opts(ctx, argc, argv);

	if (rc >= 0)
		return rc;
	rc = parse_region_size(ctx, "--size", param.size, "64G", &size) ?:
	     parse_node(ctx, param.node, &node);
	if (rc)
		return rc;
	if (argc == optind)
		return bad_operands(ctx, "the subcommand 'suggest'");
	if (strcmp(argv[optind], "suggest")) {
		fprintf(stderr, "vmkeepctl: pool: unknown subcommand '%s'\n", argv[optind]);
		return bad_usage(ctx);
	}
	if (argc - optind > 1) {
		fprintf(stderr, "vmkeepctl: pool suggest: unexpected operand '%s'\n",
			argv[optind + 1]);
		return bad_usage(ctx);
	}
	sp.end = size;
	if (vk_pool_spec_error(&sp))
		return bad_arg(ctx, "--size", param.size, "4 MiB or more, a multiple of 2 MiB");
	err = find_pool(size, node, &addr, whybuf, sizeof(whybuf));
	/* No room is an answer, not an error of the system: no strerror(). */
	if (err)
		return fail(ctx, RC_FAIL, "suggest", err == -ENOSPC ? 0 : -err, whybuf);
	warn_host_ram(size);
	vk_pool_params(addr, size, false, whybuf, sizeof(whybuf));
	vk_short_size(size, hs, sizeof(hs));
	printf("%s\n\n"
	       "Add both to GRUB_CMDLINE_LINUX in /etc/default/grub, with the $ written\n"
	       "as \\\\\\$ (the shell and GRUB each remove one level of escaping):\n"
	       "    GRUB_CMDLINE_LINUX=\"... memmap=%s\\\\\\$0x%" PRIx64
	       " vmkeep.pools=%s@0x%" PRIx64 "\"\n"
	       "then run update-grub and reboot; /proc/cmdline must show memmap=%s$0x%"
	       PRIx64 ".\n",
	       whybuf, hs, addr, hs, addr, hs, addr);
	return RC_OK;
}

/*
 * The module takes no pool that is not RAM in the firmware's memory map
 * when it can read the map (kmod/vmkeep_fwmap.c).  Refuse to format one
 * here as well, also with --force, for a module that could not read it:
 * the firmware's tables there would be overwritten.  Return RC_OK, or
 * -1 when there is no such pool.
 */
static int fw_check_pool(struct ctx *ctx, unsigned long index, const char *obj,
			 const struct vk_fw_range *fw, int nfw)
{
	char why[200], msg[320];
	struct vmkeep_pool *p;
	uint64_t base;

	vmkeep_pool_foreach(ctx->vk, p) {
		if (vmkeep_pool_get_index(p) != index)
			continue;
		base = vmkeep_pool_get_base(p);
		if (nfw < 0 || !vk_fw_not_ram(fw, nfw, base, base + vmkeep_pool_get_size(p),
					      why, sizeof(why)))
			return RC_OK;
		snprintf(msg, sizeof(msg), "%s: formatting it would overwrite what is there, also with --force; correct vmkeep.pools= and memmap=",
			 why);
		return fail(ctx, RC_FAIL, obj, 0, msg);
	}
	return -1;
}

/* The pools the module was given but refused for the firmware's map. */
static void fw_why_missing(struct ctx *ctx, const struct vk_fw_range *fw, int nfw)
{
	char *param = read_text("/sys/module/vmkeep/parameters/pools"), why[200], s[32];
	struct vk_pool_spec r[64];
	struct vmkeep_pool *p;
	bool have;
	int i, n;

	n = param && nfw >= 0 ? vk_parse_pools(strtok(param, "\n") ?: "", r, 64) : 0;
	for (i = 0; i < n; i++) {
		have = false;
		vmkeep_pool_foreach(ctx->vk, p)
			have |= vmkeep_pool_get_base(p) == r[i].start &&
				vmkeep_pool_get_size(p) == r[i].end - r[i].start;
		if (have || r[i].end == r[i].start ||
		    !vk_fw_not_ram(fw, nfw, r[i].start, r[i].end, why, sizeof(why)))
			continue;
		vk_short_size(r[i].end - r[i].start, s, sizeof(s));
		fprintf(stderr, "vmkeepctl: %s: the module refused pool %s@0x%" PRIx64 "%s of its pools=: %s\n",
			ctx->cmd->name, s, r[i].start, r[i].pages_1g ? ":1G" : "", why);
	}
	free(param);
}

/*
 * The live update sessions pool @index keeps, and in *@open how many of
 * them are open: outgoing, or retrieved and not closed.  A forced FORMAT
 * drops the others and waits for none of these (EBUSY).
 */
static unsigned int pool_sessions(struct ctx *ctx, unsigned long index,
				  unsigned int *open)
{
	struct vmkeep_session *s;
	unsigned int n = 0;
	const char *state;

	*open = 0;
	if (vmkeep_sessions_refresh(ctx->vk) < 0)
		return 0;
	vmkeep_session_foreach(ctx->vk, s) {
		if (vmkeep_session_get_pool(s) != index)
			continue;
		state = vmkeep_session_get_state_name(s);
		*open += !strcmp(state, "outgoing") || !strcmp(state, "retrieved");
		n++;
	}
	return n;
}

/* Why FORMAT of @pool failed, where the general meaning of the errno is not enough. */
static const char *format_why(struct ctx *ctx, unsigned long pool, int err)
{
	unsigned int open;

	if (err == EINVAL || err == ENOENT)
		return "no such pool ('vmkeepctl status')";
	if (err == EIO)
		return "its metadata went bad (the kernel log): reload the module first";
	if (err != EBUSY || (vmkeep_pools_refresh(ctx->vk) >= 0 &&
			     vmkeep_is_frozen(ctx->vk) > 0))
		return why(ctx, err);
	if (pool_sessions(ctx, pool, &open) && open)
		return "its live update sessions are open (outgoing, or retrieved): close them";
	return param.force ? "regions of the pool are still open" :
	       "the pool holds regions or live update sessions, or is damaged; --force erases them";
}

/*
 * format and adopt: --pool N, no operand, the device open; -1 to go on,
 * else the exit code.  @obj names the pool in messages.
 */
static int pool_cmd_start(struct ctx *ctx, int argc, char **argv,
			  unsigned long *pool, char *obj, size_t len)
{
	int rc = parse_opts(ctx, argc, argv);

	if (rc >= 0)
		return rc;
	if (parse_uint(param.pool, 10, UINT32_MAX, pool))
		return bad_arg(ctx, "--pool", param.pool, "a pool index ('vmkeepctl status')");
	if (optind != argc)
		return bad_operands(ctx, "no operand");
	snprintf(obj, len, "pool %lu", *pool);
	return dev_open(ctx) ?: -1;
}

int cmd_format(int argc, char **argv, struct ctx *ctx)
{
	struct vk_fw_range *fw = NULL;
	unsigned int sessions, open;
	struct vmkeep_pool *p;
	unsigned long pool;
	uint64_t gen;
	char obj[24];
	int err, nfw, rc = pool_cmd_start(ctx, argc, argv, &pool, obj, sizeof(obj));

	if (rc >= 0)
		return rc;
	err = vmkeep_pools_refresh(ctx->vk);
	if (err < 0)
		return op_fail(ctx, obj, err);
	nfw = read_fw_map(&fw);
	rc = fw_check_pool(ctx, pool, obj, fw, nfw);
	if (rc < 0) {
		rc = fail(ctx, RC_FAIL, obj, 0, format_why(ctx, pool, ENOENT));
		fw_why_missing(ctx, fw, nfw);
	}
	free(fw);
	if (rc)
		return rc;
	p = find_pool_index(ctx, pool);
	gen = p && !strcmp(vmkeep_pool_get_state_name(p), "ready") ?
	      vmkeep_pool_get_generation(p) : 0;
	sessions = pool_sessions(ctx, pool, &open);
	err = vmkeep_format(ctx->vk, pool, param.force);
	if (err < 0 && vmkeep_pools_refresh(ctx->vk) >= 0 && is_formatted(ctx, pool, gen))
		return fail(ctx, RC_FAIL, obj, -err,
			    "formatted, but its identity could not be kept in /var/lib/vmkeep: it loads foreign after the next boot ('vmkeepctl adopt')");
	if (err < 0)
		return fail(ctx, RC_FAIL, obj, -err, format_why(ctx, pool, -err));
	printf("pool %lu: formatted\n", pool);
	if (sessions)
		printf("pool %lu: %u live update session%s dropped\n", pool, sessions,
		       sessions == 1 ? "" : "s");
	return RC_OK;
}

int cmd_adopt(int argc, char **argv, struct ctx *ctx)
{
	unsigned long pool;
	char obj[24];
	int err, rc = pool_cmd_start(ctx, argc, argv, &pool, obj, sizeof(obj));

	if (rc >= 0)
		return rc;
	err = vmkeep_pool_adopt(ctx->vk, pool);
	if (err == -EINVAL || err == -ENOENT)
		return fail(ctx, RC_FAIL, obj, -err, "no foreign pool of that index ('vmkeepctl status')");
	if (err < 0)
		return fail(ctx, RC_FAIL, obj, -err, why(ctx, -err));
	printf("pool %lu: adopted as it was found, new identity kept\n", pool);
	return print_status(ctx, false);
}
