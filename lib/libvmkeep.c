// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: libvmkeep, the context, the ioctls and the snapshots
 *
 * One function per ioctl, each returning -errno, so that a caller can
 * tell EEXIST from ENOSPC without looking at errno.  LIST and STATUS
 * answer in arrays whose size the caller cannot know beforehand: both go
 * through get_array(), the one place that asks, learns the count from
 * EMSGSIZE and asks again; LUO_LIST, with two arrays, through
 * get_luo_arrays(), the same loop.  Their answers are kept in the context
 * as snapshots that the iterators walk, so that a VMM can look at many
 * fields of many regions with one ioctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <libkmod.h>

#include <vmkeep/format.h>
#include <vmkeep/names.h>
#include "private.h"

VMKEEP_EXPORT int vmkeep_new(struct vmkeep_ctx **out)
{
	struct vmkeep_ctx *ctx = calloc(1, sizeof(*ctx));
	const char *dev = getenv("VMKEEP_DEV");

	if (!ctx)
		return -ENOMEM;
	ctx->refcount = 1;
	ctx->fd = -1;
	ctx->dev_path = strdup(dev && *dev ? dev : "/dev/vmkeep");
	if (!ctx->dev_path) {
		free(ctx);
		return -ENOMEM;
	}
	*out = ctx;
	return 0;
}

VMKEEP_EXPORT struct vmkeep_ctx *vmkeep_ref(struct vmkeep_ctx *ctx)
{
	if (ctx)
		ctx->refcount++;
	return ctx;
}

/* Close /dev/vmkeep: an open fd keeps the module loaded. */
void vmkeep_ctx_close(struct vmkeep_ctx *ctx)
{
	if (ctx->fd >= 0)
		close(ctx->fd);
	ctx->fd = -1;
}

VMKEEP_EXPORT void vmkeep_unref(struct vmkeep_ctx *ctx)
{
	if (!ctx || --ctx->refcount)
		return;
	vmkeep_ctx_close(ctx);
	kmod_unref(ctx->kmod);
	free(ctx->regions);
	free(ctx->pools);
	free(ctx->luo_sessions);
	free(ctx->luo_files);
	free(ctx->dev_path);
	free(ctx);
}

VMKEEP_EXPORT int vmkeep_set_dev_path(struct vmkeep_ctx *ctx, const char *path)
{
	char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	vmkeep_ctx_close(ctx);
	free(ctx->dev_path);
	ctx->dev_path = p;
	return 0;
}

VMKEEP_EXPORT const char *vmkeep_get_dev_path(struct vmkeep_ctx *ctx)
{
	return ctx->dev_path;
}

VMKEEP_EXPORT int vmkeep_get_fd(struct vmkeep_ctx *ctx)
{
	if (ctx->fd < 0)
		ctx->fd = open(ctx->dev_path, O_RDWR | O_CLOEXEC);
	return ctx->fd >= 0 ? ctx->fd : -errno;
}

int vmkeep_dev_ioctl(struct vmkeep_ctx *ctx, unsigned long cmd, void *arg)
{
	int fd = vmkeep_get_fd(ctx);

	if (fd < 0)
		return fd;
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* A change this context made: the next iteration takes new snapshots. */
static int changed(struct vmkeep_ctx *ctx, int ret)
{
	if (ret >= 0) {
		ctx->have_regions = false;
		ctx->have_pools = false;
		ctx->have_luo = false;
	}
	return ret;
}

VMKEEP_EXPORT int vmkeep_check_name(const char *name)
{
	return vmkeep_fmt_check_name(name, strlen(name) + 1) ? -EINVAL : 0;
}

/* The name field of a request: the name rule is the on-pool format's. */
static int set_name(char dst[VMKEEP_NAME_LEN], const char *name)
{
	if (vmkeep_check_name(name))
		return -EINVAL;
	strcpy(dst, name);
	return 0;
}

VMKEEP_EXPORT int vmkeep_alloc(struct vmkeep_ctx *ctx, const char *name,
			       uint64_t size,
			       const struct vmkeep_alloc_attr *attr)
{
	struct vmkeep_alloc a = { .size = sizeof(a), .length = size };
	struct vmkeep_alloc_attr at = {};
	int ret = set_name(a.name, name);

	if (ret)
		return ret;
	/* an older caller's smaller struct: the fields it lacks stay zero */
	if (attr)
		memcpy(&at, attr, attr->size < sizeof(at) ? attr->size : sizeof(at));
	if (at.flags & VMKEEP_ATTR_EXCLUSIVE)
		a.flags |= VMKEEP_REGION_EXCLUSIVE;
	if (at.flags & VMKEEP_ATTR_NODE) {
		a.flags |= VMKEEP_ALLOC_NODE;
		a.node = at.node;
	}
	if (at.flags & VMKEEP_ATTR_MODE)
		a.mode = at.mode;
	if (at.flags & VMKEEP_ATTR_ALIGN_1G)
		a.flags |= VMKEEP_ALLOC_ALIGN_1G;
	if (at.flags & VMKEEP_ATTR_OWNER) {
		a.flags |= VMKEEP_ALLOC_OWNER;
		a.uid = at.uid;
		a.gid = at.gid;
	}
	ret = changed(ctx, vmkeep_dev_ioctl(ctx, VMKEEP_IOC_ALLOC, &a));
	return ret ?: a.out_fd;
}

/*
 * The name field of a request for an existing region: also the name the
 * module gives a quarantined one, '!' and a valid name.
 */
static int set_region_name(char dst[VMKEEP_NAME_LEN], const char *name)
{
	if (strlen(name) >= VMKEEP_NAME_LEN ||
	    vmkeep_check_name(name + (name[0] == '!')))
		return -EINVAL;
	strcpy(dst, name);
	return 0;
}

VMKEEP_EXPORT int vmkeep_get(struct vmkeep_ctx *ctx, const char *name)
{
	struct vmkeep_get g = { .size = sizeof(g) };
	int ret = set_region_name(g.name, name);

	if (!ret)
		ret = vmkeep_dev_ioctl(ctx, VMKEEP_IOC_GET, &g);
	return ret ?: g.out_fd;
}

VMKEEP_EXPORT int vmkeep_free(struct vmkeep_ctx *ctx, const char *name)
{
	struct vmkeep_free f = { .size = sizeof(f) };

	return set_region_name(f.name, name) ?:
	       changed(ctx, vmkeep_dev_ioctl(ctx, VMKEEP_IOC_FREE, &f));
}

VMKEEP_EXPORT int vmkeep_finish(struct vmkeep_ctx *ctx, const char *name)
{
	struct vmkeep_finish f = { .size = sizeof(f) };

	return set_region_name(f.name, name) ?:
	       changed(ctx, vmkeep_dev_ioctl(ctx, VMKEEP_IOC_FINISH, &f));
}

VMKEEP_EXPORT int vmkeep_finish_all(struct vmkeep_ctx *ctx)
{
	struct vmkeep_finish f = { .size = sizeof(f), .flags = VMKEEP_FINISH_ALL };

	return changed(ctx, vmkeep_dev_ioctl(ctx, VMKEEP_IOC_FINISH, &f));
}

VMKEEP_EXPORT int vmkeep_freeze(struct vmkeep_ctx *ctx, unsigned int *nr_mapped)
{
	struct vmkeep_freeze f = { .size = sizeof(f) };
	int ret = changed(ctx, vmkeep_dev_ioctl(ctx, VMKEEP_IOC_FREEZE, &f));

	if (!ret && nr_mapped)
		*nr_mapped = f.out_mapped;
	return ret;
}

VMKEEP_EXPORT int vmkeep_thaw(struct vmkeep_ctx *ctx)
{
	struct vmkeep_thaw t = { .size = sizeof(t) };

	return changed(ctx, vmkeep_dev_ioctl(ctx, VMKEEP_IOC_THAW, &t));
}

VMKEEP_EXPORT int vmkeep_format(struct vmkeep_ctx *ctx, unsigned int pool,
				bool force)
{
	struct vmkeep_format f = {
		.size = sizeof(f),
		.flags = force ? VMKEEP_FORMAT_FORCE : 0,
		.pool = pool,
	};
	int ret = changed(ctx, vmkeep_dev_ioctl(ctx, VMKEEP_IOC_FORMAT, &f));

	return ret ?: vmkeep_pool_keep_id(ctx, pool, f.out_pool_id);
}

/*
 * VMKEEP_IOC_LIST and VMKEEP_IOC_STATUS: ask with no room, learn the
 * count from EMSGSIZE, allocate, ask again; again if it grew meanwhile.
 * @num and @ptr are the count and array fields of @arg.  Returns the
 * count, with the array in *@out for the caller to free, or -errno.
 */
static int get_array(struct vmkeep_ctx *ctx, unsigned long cmd, void *arg,
		     __u32 *num, __u64 *ptr, size_t elem, void **out)
{
	void *buf = NULL, *tmp;
	int ret;

	for (;;) {
		*ptr = (uintptr_t)buf;
		ret = vmkeep_dev_ioctl(ctx, cmd, arg);
		if (ret != -EMSGSIZE)
			break;
		tmp = reallocarray(buf, *num, elem);
		if (!tmp) {
			ret = -ENOMEM;
			break;
		}
		buf = tmp;
	}
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	return *num;
}

static int set_regions(struct vmkeep_ctx *ctx,
		       const struct vmkeep_region_info *r, unsigned int n)
{
	struct vmkeep_region *regions = calloc(n ?: 1, sizeof(*regions));
	unsigned int i;

	if (!regions)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		regions[i].ctx = ctx;
		regions[i].info = r[i];
		regions[i].info.name[VMKEEP_NAME_LEN - 1] = '\0';
	}
	free(ctx->regions);
	ctx->regions = regions;
	ctx->nr_regions = n;
	ctx->have_regions = true;
	return n;
}

static int set_pools(struct vmkeep_ctx *ctx, const struct vmkeep_pool_info *p,
		     unsigned int n, __u32 status_flags)
{
	struct vmkeep_pool *pools = calloc(n ?: 1, sizeof(*pools));
	unsigned int i;

	if (!pools)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		pools[i].ctx = ctx;
		pools[i].index = i;
		pools[i].info = p[i];
	}
	free(ctx->pools);
	ctx->pools = pools;
	ctx->nr_pools = n;
	ctx->status_flags = status_flags;
	ctx->have_pools = true;
	return n;
}

int vmkeep_ctx_set_snapshot(struct vmkeep_ctx *ctx,
			    const struct vmkeep_region_info *r, unsigned int nr,
			    const struct vmkeep_pool_info *p, unsigned int np,
			    __u32 status_flags)
{
	int ret = set_regions(ctx, r, nr);

	if (ret >= 0)
		ret = vmkeep_ctx_set_luo_snapshot(ctx, NULL, 0, NULL, 0, 0);
	return ret < 0 ? ret : set_pools(ctx, p, np, status_flags);
}

/*
 * The live update snapshot: each session with its files, which the
 * module lists by session; a file of no listed session is left out.
 */
int vmkeep_ctx_set_luo_snapshot(struct vmkeep_ctx *ctx,
				const struct vmkeep_luo_session_info *s,
				unsigned int ns,
				const struct vmkeep_luo_file_info *f,
				unsigned int nf, __u32 out_flags)
{
	struct vmkeep_session *sessions = calloc(ns ?: 1, sizeof(*sessions));
	struct vmkeep_session_file *files = calloc(nf ?: 1, sizeof(*files));
	unsigned int i, k, n = 0;

	if (!sessions || !files) {
		free(sessions);
		free(files);
		return -ENOMEM;
	}
	for (i = 0; i < ns; i++) {
		sessions[i].ctx = ctx;
		sessions[i].info = s[i];
		sessions[i].info.name[VMKEEP_NAME_LEN - 1] = '\0';
	}
	/* by session, in the module's order within one */
	for (k = 0; k < nf; k++)
		if (f[k].session < ns)
			sessions[f[k].session].nr_files++;
	for (i = 0; i < ns; i++) {
		sessions[i].first_file = n;
		n += sessions[i].nr_files;
		sessions[i].nr_files = 0;
	}
	for (k = 0; k < nf; k++) {
		if (f[k].session >= ns)
			continue;
		i = f[k].session;
		files[sessions[i].first_file + sessions[i].nr_files].session = &sessions[i];
		files[sessions[i].first_file + sessions[i].nr_files++].info = f[k];
	}
	free(ctx->luo_sessions);
	free(ctx->luo_files);
	ctx->luo_sessions = sessions;
	ctx->nr_luo_sessions = ns;
	ctx->luo_files = files;
	ctx->nr_luo_files = n;
	ctx->luo_flags = out_flags;
	ctx->have_luo = true;
	return ns;
}

/*
 * VMKEEP_IOC_LUO_LIST as get_array() does it, with its two arrays: on
 * EMSGSIZE the module wrote both counts it needs.
 */
static int get_luo_arrays(struct vmkeep_ctx *ctx, struct vmkeep_luo_list *l,
			  struct vmkeep_luo_session_info **s,
			  struct vmkeep_luo_file_info **f)
{
	void *tmp;
	int ret;

	*s = NULL;
	*f = NULL;
	for (;;) {
		l->sessions = (uintptr_t)*s;
		l->files = (uintptr_t)*f;
		ret = vmkeep_dev_ioctl(ctx, VMKEEP_IOC_LUO_LIST, l);
		if (ret != -EMSGSIZE)
			break;
		ret = -ENOMEM;
		tmp = reallocarray(*s, l->num_sessions ?: 1, sizeof(**s));
		if (!tmp)
			break;
		*s = tmp;
		tmp = reallocarray(*f, l->num_files ?: 1, sizeof(**f));
		if (!tmp)
			break;
		*f = tmp;
	}
	if (ret) {
		free(*s);
		free(*f);
	}
	return ret;
}

VMKEEP_EXPORT int vmkeep_sessions_refresh(struct vmkeep_ctx *ctx)
{
	struct vmkeep_luo_list l = { .size = sizeof(l) };
	struct vmkeep_luo_session_info *s;
	struct vmkeep_luo_file_info *f;
	int ret = get_luo_arrays(ctx, &l, &s, &f);

	if (ret)
		return ret;
	ret = vmkeep_ctx_set_luo_snapshot(ctx, s, l.num_sessions, f, l.num_files,
					  l.out_flags);
	free(s);
	free(f);
	return ret;
}

VMKEEP_EXPORT int vmkeep_regions_refresh(struct vmkeep_ctx *ctx)
{
	struct vmkeep_list l = { .size = sizeof(l) };
	struct vmkeep_region_info *r = NULL;
	int n = get_array(ctx, VMKEEP_IOC_LIST, &l, &l.num_regions, &l.regions,
			  sizeof(*r), (void **)&r);

	if (n < 0)
		return n;
	n = set_regions(ctx, r, n);
	free(r);
	return n;
}

VMKEEP_EXPORT int vmkeep_pools_refresh(struct vmkeep_ctx *ctx)
{
	struct vmkeep_status s = { .size = sizeof(s) };
	struct vmkeep_pool_info *p = NULL;
	int n = get_array(ctx, VMKEEP_IOC_STATUS, &s, &s.num_pools, &s.pools,
			  sizeof(*p), (void **)&p);

	if (n < 0)
		return n;
	n = set_pools(ctx, p, n, s.out_flags);
	free(p);
	return n;
}

/*
 * A STATUS with no room for the answer: the module then looks at freed
 * regions whose pages were held (a pin, a pipe) and lets go of those no
 * longer held.  Its answer does not matter.
 */
int vmkeep_status_noroom(struct vmkeep_ctx *ctx)
{
	struct vmkeep_status s = { .size = sizeof(s) };

	return vmkeep_dev_ioctl(ctx, VMKEEP_IOC_STATUS, &s);
}

/* As of the pool snapshot: vmkeep_pools_refresh() first for news. */
VMKEEP_EXPORT int vmkeep_is_frozen(struct vmkeep_ctx *ctx)
{
	int ret = ctx->have_pools ? 0 : vmkeep_pools_refresh(ctx);

	if (ret < 0)
		return ret;
	return !!(ctx->status_flags & VMKEEP_STATUS_FROZEN);
}

/* NULL with errno set when the snapshot cannot be taken. */
VMKEEP_EXPORT struct vmkeep_region *vmkeep_region_get_first(struct vmkeep_ctx *ctx)
{
	int ret = ctx->have_regions ? 0 : vmkeep_regions_refresh(ctx);

	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	errno = 0;
	return ctx->nr_regions ? &ctx->regions[0] : NULL;
}

VMKEEP_EXPORT struct vmkeep_region *vmkeep_region_get_next(struct vmkeep_region *region)
{
	struct vmkeep_ctx *ctx = region->ctx;

	return region + 1 < ctx->regions + ctx->nr_regions ? region + 1 : NULL;
}

VMKEEP_EXPORT struct vmkeep_region *vmkeep_region_find(struct vmkeep_ctx *ctx,
						       const char *name)
{
	struct vmkeep_region *region;

	vmkeep_region_foreach(ctx, region)
		if (!strcmp(region->info.name, name))
			return region;
	if (!errno)
		errno = ENOENT;
	return NULL;
}

VMKEEP_EXPORT struct vmkeep_pool *vmkeep_pool_get_first(struct vmkeep_ctx *ctx)
{
	int ret = ctx->have_pools ? 0 : vmkeep_pools_refresh(ctx);

	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	errno = 0;
	return ctx->nr_pools ? &ctx->pools[0] : NULL;
}

VMKEEP_EXPORT struct vmkeep_pool *vmkeep_pool_get_next(struct vmkeep_pool *pool)
{
	struct vmkeep_ctx *ctx = pool->ctx;

	return pool + 1 < ctx->pools + ctx->nr_pools ? pool + 1 : NULL;
}

/* As of the live update snapshot: vmkeep_sessions_refresh() first for news. */
VMKEEP_EXPORT int vmkeep_liveupdate_is_enabled(struct vmkeep_ctx *ctx)
{
	int ret = ctx->have_luo ? 0 : vmkeep_sessions_refresh(ctx);

	if (ret < 0)
		return ret;
	return !!(ctx->luo_flags & VMKEEP_LUO_ENABLED);
}

/* NULL with errno set when the snapshot cannot be taken (ENOTTY: a module without LUO_LIST). */
VMKEEP_EXPORT struct vmkeep_session *vmkeep_session_get_first(struct vmkeep_ctx *ctx)
{
	int ret = ctx->have_luo ? 0 : vmkeep_sessions_refresh(ctx);

	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	errno = 0;
	return ctx->nr_luo_sessions ? &ctx->luo_sessions[0] : NULL;
}

VMKEEP_EXPORT struct vmkeep_session *
vmkeep_session_get_next(struct vmkeep_session *session)
{
	struct vmkeep_ctx *ctx = session->ctx;

	return session + 1 < ctx->luo_sessions + ctx->nr_luo_sessions ?
	       session + 1 : NULL;
}

VMKEEP_EXPORT struct vmkeep_session_file *
vmkeep_session_file_get_first(struct vmkeep_session *session)
{
	return session->nr_files ? &session->ctx->luo_files[session->first_file] : NULL;
}

VMKEEP_EXPORT struct vmkeep_session_file *
vmkeep_session_file_get_next(struct vmkeep_session_file *file)
{
	struct vmkeep_session *s = file->session;

	return file + 1 < s->ctx->luo_files + s->first_file + s->nr_files ?
	       file + 1 : NULL;
}

VMKEEP_EXPORT const char *vmkeep_session_get_state_name(struct vmkeep_session *session)
{
	return vmkeep_luo_state_name(session->info.state);
}

VMKEEP_EXPORT bool vmkeep_session_is_quarantined(struct vmkeep_session *session)
{
	return session->info.state == VMKEEP_LUO_QUARANTINED;
}

/* NULL unless the session is quarantined */
VMKEEP_EXPORT const char *
vmkeep_session_get_quarantine_name(struct vmkeep_session *session)
{
	if (!vmkeep_session_is_quarantined(session))
		return NULL;
	return vmkeep_quarantine_name(session->info.quarantine);
}

VMKEEP_EXPORT const char *vmkeep_session_file_get_kind_name(struct vmkeep_session_file *file)
{
	return vmkeep_luo_kind_name(file->info.kind);
}

/*
 * The region a file holds, from the region snapshot (taken if there is
 * none): the region of its pool, id and length; NULL for a memfd or a
 * region gone.
 */
VMKEEP_EXPORT struct vmkeep_region *
vmkeep_session_file_get_region(struct vmkeep_session_file *file)
{
	struct vmkeep_region *region;

	if (file->info.kind != VMKEEP_LUO_KIND_REGION)
		return NULL;
	vmkeep_region_foreach(file->session->ctx, region)
		if (region->info.id == file->info.region_id &&
		    region->info.pool == file->info.pool &&
		    region->info.length == file->info.size)
			return region;
	return NULL;
}

VMKEEP_EXPORT int vmkeep_region_open(struct vmkeep_region *region)
{
	return vmkeep_get(region->ctx, region->info.name);
}

VMKEEP_EXPORT const char *vmkeep_region_get_state_name(struct vmkeep_region *region)
{
	return vmkeep_region_state_name(region->info.state);
}

VMKEEP_EXPORT bool vmkeep_region_is_quarantined(struct vmkeep_region *region)
{
	return region->info.state == VMKEEP_STATE_QUARANTINED;
}

/* NULL unless the region is quarantined */
VMKEEP_EXPORT const char *vmkeep_region_get_quarantine_name(struct vmkeep_region *region)
{
	if (!vmkeep_region_is_quarantined(region))
		return NULL;
	return vmkeep_quarantine_name(region->info.quarantine);
}

VMKEEP_EXPORT bool vmkeep_region_is_exclusive(struct vmkeep_region *region)
{
	return region->info.flags & VMKEEP_REGION_EXCLUSIVE;
}

/* Restored at load from the other metadata copy */
VMKEEP_EXPORT bool vmkeep_region_is_repaired(struct vmkeep_region *region)
{
	return region->info.flags & VMKEEP_REGION_REPAIRED;
}

VMKEEP_EXPORT const char *vmkeep_pool_get_state_name(struct vmkeep_pool *pool)
{
	return vmkeep_pool_state_name(pool->info.state);
}

VMKEEP_EXPORT bool vmkeep_pool_is_damaged(struct vmkeep_pool *pool)
{
	return pool->info.state == VMKEEP_POOL_DAMAGED;
}

/* NULL unless the pool is damaged */
VMKEEP_EXPORT const char *vmkeep_pool_get_damage_name(struct vmkeep_pool *pool)
{
	if (!vmkeep_pool_is_damaged(pool))
		return NULL;
	return vmkeep_damage_name(pool->info.damage);
}

VMKEEP_EXPORT bool vmkeep_pool_is_restored(struct vmkeep_pool *pool)
{
	return pool->info.flags & VMKEEP_POOL_RESTORED;
}

VMKEEP_EXPORT bool vmkeep_pool_is_clean_handoff(struct vmkeep_pool *pool)
{
	return pool->info.flags & VMKEEP_POOL_CLEAN_HANDOFF;
}

/* Quarantined regions not repaired: its metadata is kept as found */
VMKEEP_EXPORT bool vmkeep_pool_is_held(struct vmkeep_pool *pool)
{
	return pool->info.flags & VMKEEP_POOL_HELD;
}

/*
 * A memory failure hit pages of the pool since the module was loaded
 * (vmkeep_region_get_nr_bad_pages() says which regions hold them)
 */
VMKEEP_EXPORT bool vmkeep_pool_has_bad_pages(struct vmkeep_pool *pool)
{
	return pool->info.flags & VMKEEP_POOL_BAD_PAGES;
}

/* Valid metadata the host did not prove to be its own: nothing restored */
VMKEEP_EXPORT bool vmkeep_pool_is_foreign(struct vmkeep_pool *pool)
{
	return pool->info.state == VMKEEP_POOL_FOREIGN;
}

/* 1 GiB for a pool of 1 GiB pages (vmkeep.pools=SIZE@ADDR:1G), else 2 MiB */
VMKEEP_EXPORT uint64_t vmkeep_pool_get_page_size(struct vmkeep_pool *pool)
{
	return pool->info.flags & VMKEEP_POOL_PAGES_1G ? 1ULL << 30 : 2ULL << 20;
}

/* The plain accessors: one field of the snapshot each. */
#define ACCESSOR(obj, type, field, expr)				\
VMKEEP_EXPORT type vmkeep_##obj##_get_##field(struct vmkeep_##obj *o)	\
{									\
	return expr;							\
}

ACCESSOR(region, struct vmkeep_ctx *, ctx, o->ctx)
ACCESSOR(region, const char *, name, o->info.name)
ACCESSOR(region, uint64_t, id, o->info.id)
ACCESSOR(region, uint64_t, size, o->info.length)
ACCESSOR(region, unsigned int, state, o->info.state)
ACCESSOR(region, uint32_t, uid, o->info.uid)
ACCESSOR(region, uint32_t, gid, o->info.gid)
ACCESSOR(region, uint32_t, mode, o->info.mode & 07777)
ACCESSOR(region, int, node, o->info.node)
ACCESSOR(region, unsigned int, pool, o->info.pool)
ACCESSOR(region, unsigned int, nr_extents, o->info.nr_extents)
ACCESSOR(region, unsigned int, nr_open, o->info.nr_open)
ACCESSOR(region, unsigned int, nr_mapped, o->info.nr_mapped)
ACCESSOR(region, unsigned int, nr_bad_pages, o->info.nr_bad_pages)

ACCESSOR(pool, struct vmkeep_ctx *, ctx, o->ctx)
ACCESSOR(pool, unsigned int, index, o->index)
ACCESSOR(pool, uint64_t, base, o->info.base)
ACCESSOR(pool, uint64_t, size, o->info.length)
ACCESSOR(pool, uint64_t, free, o->info.free)
ACCESSOR(pool, int, node, o->info.node)
ACCESSOR(pool, unsigned int, state, o->info.state)
ACCESSOR(pool, unsigned int, nr_regions, o->info.nr_regions)
ACCESSOR(pool, unsigned int, nr_incoming, o->info.nr_incoming)
ACCESSOR(pool, unsigned int, nr_quarantined, o->info.nr_quarantined)
ACCESSOR(pool, unsigned int, nr_repaired, o->info.nr_repaired)
ACCESSOR(pool, uint64_t, generation, o->info.generation)
ACCESSOR(pool, uint64_t, handoffs, o->info.handoffs)
ACCESSOR(pool, uint64_t, restore_ns, o->info.restore_ns)
ACCESSOR(pool, uint64_t, meta_bytes, o->info.meta_bytes)

ACCESSOR(session, struct vmkeep_ctx *, ctx, o->ctx)
ACCESSOR(session, const char *, name, o->info.name)
ACCESSOR(session, unsigned int, state, o->info.state)
ACCESSOR(session, unsigned int, pool, o->info.pool)
ACCESSOR(session, uint64_t, set, o->info.set)
ACCESSOR(session, uint64_t, bytes, o->info.bytes)
ACCESSOR(session, unsigned int, nr_files, o->nr_files)

ACCESSOR(session_file, struct vmkeep_session *, session, o->session)
ACCESSOR(session_file, uint64_t, token, o->info.token)
ACCESSOR(session_file, unsigned int, kind, o->info.kind)
ACCESSOR(session_file, uint64_t, size, o->info.size)
ACCESSOR(session_file, uint64_t, region_id, o->info.region_id)
