// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeepctl alloc, get, list, free, finish, freeze, thaw: regions, one
 * libvmkeep call each.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/vmkeep.h>
#include <vmkeep/format.h>

#include "vmkeepctl.h"

static struct {
	const char *name, *size, *node, *mode, *owner, *align;
	bool exclusive, all;
} param;

const struct opt alloc_opts[] = {
	{ "name", "NAME", "1 to 63 bytes of [A-Za-z0-9._:+@-], first a letter or digit",
	  OPT_REQUIRED, .str = &param.name },
	{ "size", "SIZE", "bytes, or with K, M, G, T; a multiple of 2M",
	  OPT_REQUIRED, .str = &param.size },
	{ "node", "N", "take the memory from a pool on NUMA node N", .str = &param.node },
	{ "exclusive", NULL, "one open file at a time", .flag = &param.exclusive },
	{ "align", "1G", "1 GiB aligned, from a pool of 1 GiB pages: 1 GiB mappings",
	  .str = &param.align },
	{ "mode", "MODE", "octal permissions (default 0600)", .str = &param.mode },
	{ "owner", "USER:GROUP", "owner other than the caller (needs CAP_CHOWN)",
	  .str = &param.owner },
	{ "json", NULL, "for programs; sizes in bytes", .flag = &opt_json },
	{}
};

const struct opt finish_opts[] = {
	{ "all", NULL, "every incoming region you may finish", .flag = &param.all },
	{}
};

/* A user or group: a number or a name. */
static int parse_id(const char *s, bool group, uint32_t *id)
{
	struct passwd *pw;
	struct group *gr;
	unsigned long v;

	if (!parse_uint(s, 10, UINT32_MAX - 1, &v)) {
		*id = v;
		return 0;
	}
	if (group) {
		gr = getgrnam(s);
		if (gr)
			*id = gr->gr_gid;
		return gr ? 0 : -1;
	}
	pw = getpwnam(s);
	if (pw)
		*id = pw->pw_uid;
	return pw ? 0 : -1;
}

/* "USER:GROUP": 0, or a usage error naming what is wrong. */
static int parse_owner(struct ctx *ctx, const char *s, uint32_t *uid,
		       uint32_t *gid)
{
	const char *colon = strchr(s, ':');
	char user[LOGIN_NAME_MAX], msg[LOGIN_NAME_MAX + 32];

	if (!colon || colon == s || !colon[1] || colon - s >= (long)sizeof(user))
		return bad_arg(ctx, "--owner", s, "USER:GROUP, names or numbers");
	memcpy(user, s, colon - s);
	user[colon - s] = '\0';
	if (parse_id(user, false, uid))
		snprintf(msg, sizeof(msg), "no user '%s'", user);
	else if (parse_id(colon + 1, true, gid))
		snprintf(msg, sizeof(msg), "no group '%s'", colon + 1);
	else
		return 0;
	fprintf(stderr, "vmkeepctl: %s --owner %s: %s\n", ctx->cmd->name, s, msg);
	return RC_USAGE;
}

static int alloc_attr(struct ctx *ctx, struct vmkeep_alloc_attr *a)
{
	unsigned long v;
	long node;
	int rc = parse_node(ctx, param.node, &node);

	if (rc)
		return rc;
	if (node >= 0) {
		a->flags |= VMKEEP_ATTR_NODE;
		a->node = node;
	}
	if (param.exclusive)
		a->flags |= VMKEEP_ATTR_EXCLUSIVE;
	if (param.align) {
		if (strcmp(param.align, "1G") && strcmp(param.align, "2M"))
			return bad_arg(ctx, "--align", param.align, "1G or 2M");
		if (!strcmp(param.align, "1G"))
			a->flags |= VMKEEP_ATTR_ALIGN_1G;
	}
	if (param.mode) {
		if (parse_uint(param.mode, 8, 0777, &v) || !v)
			return bad_arg(ctx, "--mode", param.mode, "octal permissions 1 to 0777");
		a->flags |= VMKEEP_ATTR_MODE;
		a->mode = v;
	}
	if (param.owner) {
		rc = parse_owner(ctx, param.owner, &a->uid, &a->gid);
		if (rc)
			return rc;
		a->flags |= VMKEEP_ATTR_OWNER;
	}
	return 0;
}

/* Regions per pool: max_regions, at most what one metadata copy holds. */
static unsigned long region_limit(void)
{
	char *s = read_text("/sys/module/vmkeep/parameters/max_regions");
	unsigned long n = s ? strtoul(s, NULL, 10) : 0;

	free(s);
	return n && n < VMKEEP_FMT_MAX_ENTRIES ? n : VMKEEP_FMT_MAX_ENTRIES;
}

/*
 * ENOSPC with @size free in a pool that @a may use: the pool is held,
 * holds as many regions as it may, or has its free memory in more pieces
 * than a region's extents.  Which, or NULL.
 */
static const char *full_pool(struct ctx *ctx, const struct vmkeep_alloc_attr *a,
			     uint64_t size)
{
	bool want_1g = a->flags & VMKEEP_ATTR_ALIGN_1G;
	const char *why = NULL;
	struct vmkeep_pool *p;

	if (vmkeep_pools_refresh(ctx->vk) < 0)
		return NULL;
	vmkeep_pool_foreach(ctx->vk, p) {
		if (vmkeep_pool_get_state(p) != VMKEEP_POOL_READY ||
		    vmkeep_pool_get_free(p) < size ||
		    (vmkeep_pool_get_page_size(p) == 1ULL << 30) != want_1g ||
		    (a->flags & VMKEEP_ATTR_NODE && vmkeep_pool_get_node(p) != a->node))
			continue;
		if (vmkeep_pool_is_held(p))
			why = "the pools with room are held: free their quarantined regions first";
		else if (vmkeep_pool_get_nr_regions(p) >= region_limit())
			why = "the pools with room hold all the regions they may (max_regions)";
		else
			why = "the free memory is in more pieces than a region may have extents";
	}
	return why;
}

/* Why ALLOC failed, where the general meaning of the errno is not enough. */

static int alloc_fail(struct ctx *ctx, const struct vmkeep_alloc_attr *a,
		      uint64_t size, int err)
{
	char hs[32], whybuf[96];
	const char *why;

	if (err == -ENOSPC) {
		why = full_pool(ctx, a, size);
		if (why)
			return fail(ctx, RC_FAIL, param.name, ENOSPC, why);
		vk_human_size(size, hs, sizeof(hs));
		snprintf(whybuf, sizeof(whybuf), "no pool%s%s has %s free",
			 a->flags & VMKEEP_ATTR_ALIGN_1G ? " of 1 GiB pages" : "",
			 a->flags & VMKEEP_ATTR_NODE ? " on the node" : "", hs);
		return fail(ctx, RC_FAIL, param.name, ENOSPC, whybuf);
	}
	if ((err == -EPERM || err == -EACCES) && a->flags & VMKEEP_ATTR_OWNER)
		return fail(ctx, RC_FAIL, param.name, -err, "--owner needs CAP_CHOWN");
	if (err == -EBUSY)
		return fail(ctx, RC_FAIL, param.name, EBUSY,
			    "vmkeep is frozen for kexec ('vmkeepctl thaw')");
	return op_fail(ctx, param.name, err);
}

int cmd_alloc(int argc, char **argv, struct ctx *ctx)
{
	struct vmkeep_alloc_attr a = { .size = sizeof(a) };
	uint64_t size;
	int fd, rc = parse_opts(ctx, argc, argv);

	if (rc >= 0)
		return rc;
	rc = parse_region_size(ctx, "--size", param.size, "4G", &size);
	if (rc)
		return rc;
	rc = alloc_attr(ctx, &a);
	if (rc)
		return rc;
	if (a.flags & VMKEEP_ATTR_ALIGN_1G && size % (1ULL << 30))
		return bad_arg(ctx, "--size", param.size, "a multiple of 1G with --align 1G");
	if (optind != argc)
		return bad_operands(ctx, "no operand (the name is --name NAME)");
	rc = check_name(ctx, param.name) ?: dev_open(ctx);
	if (rc)
		return rc;
	fd = vmkeep_alloc(ctx->vk, param.name, size, &a);
	if (fd < 0)
		return alloc_fail(ctx, &a, size, fd);
	/* the region outlives its fd */
	close(fd);
	return show_region(ctx, param.name, opt_json);
}

/* The one operand of get and free, an existing region's name: -1 to go on. */
static int one_name(struct ctx *ctx, int argc, char **argv, const char **name)
{
	int rc = parse_opts(ctx, argc, argv);

	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return bad_operands(ctx, "one region name");
	*name = argv[optind];
	return check_region_name(ctx, *name) ?: dev_open(ctx) ?: -1;
}

int cmd_get(int argc, char **argv, struct ctx *ctx)
{
	const char *name = NULL;
	int fd, rc = one_name(ctx, argc, argv, &name);

	if (rc >= 0)
		return rc;
	fd = vmkeep_get(ctx->vk, name);
	if (fd < 0)
		return op_fail(ctx, name, fd);
	close(fd);
	return show_region(ctx, name, opt_json);
}

/*
 * The regions, then the live update sessions: the module lists them
 * (ENOTTY: one from before them), and the JSON has them as null or
 * {"enabled": ..., "sessions": [...]}.
 */
int cmd_list(int argc, char **argv, struct ctx *ctx)
{
	int err, rc = parse_no_operands(ctx, argc, argv, true);
	json_object *o;
	bool luo;

	if (rc >= 0)
		return rc;
	err = vmkeep_regions_refresh(ctx->vk);
	if (err < 0)
		return op_fail(ctx, NULL, err);
	err = vmkeep_sessions_refresh(ctx->vk);
	if (err < 0 && err != -ENOTTY)
		return op_fail(ctx, "live update sessions", err);
	luo = err >= 0;
	if (opt_json) {
		o = vk_regions_json(ctx->vk, NULL);
		json_object_object_add(o, "live_update",
				       luo ? vk_sessions_json(ctx->vk) : NULL);
		print_json(o);
	} else {
		vk_print_regions(stdout, ctx->vk, NULL);
		if (luo)
			vk_print_sessions(stdout, ctx->vk);
	}
	return RC_OK;
}

/*
 * The result of an operation on @obj with nothing to show but what is
 * done: "@name: @what" (or @what alone without @name).
 */
static int done(struct ctx *ctx, const char *obj, int err, const char *name,
		const char *what)
{
	if (err < 0)
		return op_fail(ctx, obj, err);
	printf("%s%s%s\n", name ?: "", name ? ": " : "", what);
	return RC_OK;
}

/* The pool of region @name, or -1. */
static int pool_of(struct ctx *ctx, const char *name)
{
	struct vmkeep_region *r;

	if (vmkeep_regions_refresh(ctx->vk) < 0)
		return -1;
	r = vmkeep_region_find(ctx->vk, name);
	return r ? (int)vmkeep_region_get_pool(r) : -1;
}

/*
 * Whether pool @index is held after a free from it: nothing of it is
 * written until its last quarantined region goes, so the free comes
 * undone at the next load or kexec.
 */
static bool still_held(struct ctx *ctx, int index)
{
	struct vmkeep_pool *pool;

	if (index < 0 || vmkeep_pools_refresh(ctx->vk) < 0)
		return false;
	vmkeep_pool_foreach(ctx->vk, pool)
		if ((int)vmkeep_pool_get_index(pool) == index)
			return vmkeep_pool_is_held(pool);
	return false;
}

int cmd_free(int argc, char **argv, struct ctx *ctx)
{
	const char *name = NULL;
	int pool, rc = one_name(ctx, argc, argv, &name);

	if (rc >= 0)
		return rc;
	pool = pool_of(ctx, name);
	rc = done(ctx, name, vmkeep_free(ctx->vk, name), name, "freed");
	if (!rc && still_held(ctx, pool))
		fprintf(stderr, "vmkeepctl: free %s: warning: pool %d is held, its metadata is not written until its quarantined regions are freed: until then the next load or kexec brings %s back\n",
			name, pool, name);
	return rc;
}

int cmd_finish(int argc, char **argv, struct ctx *ctx)
{
	const char *name;
	int rc = parse_opts(ctx, argc, argv);

	if (rc >= 0)
		return rc;
	if (argc - optind != !param.all)
		return bad_operands(ctx, "one region name, or --all alone");
	if (param.all)
		return dev_open(ctx) ?:
		       done(ctx, "--all", vmkeep_finish_all(ctx->vk), NULL,
			    "every incoming region you may finish is active");
	name = argv[optind];
	rc = check_region_name(ctx, name) ?: dev_open(ctx);
	return rc ?: done(ctx, name, vmkeep_finish(ctx->vk, name), name, "active");
}

int cmd_freeze(int argc, char **argv, struct ctx *ctx)
{
	unsigned int mapped;
	int err, rc = parse_no_operands(ctx, argc, argv, true);

	if (rc >= 0)
		return rc;
	err = vmkeep_freeze(ctx->vk, &mapped);
	if (err < 0)
		return op_fail(ctx, NULL, err);
	printf("vmkeep is frozen for kexec ('vmkeepctl thaw' undoes it)\n");
	if (mapped)
		warn_mapped(ctx);
	return RC_OK;
}

int cmd_thaw(int argc, char **argv, struct ctx *ctx)
{
	int rc = parse_no_operands(ctx, argc, argv, true);

	if (rc >= 0)
		return rc;
	return done(ctx, NULL, vmkeep_thaw(ctx->vk), NULL, "vmkeep is thawed");
}
