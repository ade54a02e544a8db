/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * libvmkeep - the vmkeep module's /dev/vmkeep as C calls, for VMMs and
 * tools.  See Documentation/libvmkeep.rst.
 *
 * A &struct vmkeep_ctx owns the /dev/vmkeep fd (opened on first use) and
 * the libkmod context used to load and unload the module.  Every call
 * that can fail returns a negative errno (the uAPI's "General ioctl
 * format" says what each means); calls that hand out a region fd return
 * it (O_CLOEXEC).  Regions, pools and live update sessions are read as a
 * snapshot: the first iteration takes one, vmkeep_regions_refresh() /
 * vmkeep_pools_refresh() / vmkeep_sessions_refresh() take a new one,
 * and a change this context makes (alloc, free, finish, format, freeze,
 * thaw) lets the next iteration take a new one.  Objects of an older
 * snapshot must not be used after a new one is taken.
 *
 * The library is not thread-safe per context: use one context per thread
 * or lock around it.
 */
#ifndef _LIBVMKEEP_H_
#define _LIBVMKEEP_H_

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vmkeep_ctx;
struct vmkeep_region;
struct vmkeep_pool;
struct vmkeep_session;
struct vmkeep_session_file;

/* Context */
int vmkeep_new(struct vmkeep_ctx **ctx);
struct vmkeep_ctx *vmkeep_ref(struct vmkeep_ctx *ctx);
void vmkeep_unref(struct vmkeep_ctx *ctx);
int vmkeep_set_dev_path(struct vmkeep_ctx *ctx, const char *path);
const char *vmkeep_get_dev_path(struct vmkeep_ctx *ctx);
int vmkeep_get_fd(struct vmkeep_ctx *ctx);

/* The module, through libkmod (modprobe.d and vmkeep.* of /proc/cmdline apply) */
int vmkeep_module_loaded(struct vmkeep_ctx *ctx);
int vmkeep_module_get_options(struct vmkeep_ctx *ctx, char **options);
int vmkeep_load(struct vmkeep_ctx *ctx, const char *options);
int vmkeep_unload(struct vmkeep_ctx *ctx);

/* Region names: 1 to 63 bytes of [A-Za-z0-9._:+@-], first a letter or digit */
#define VMKEEP_NAME_MAX	63
int vmkeep_check_name(const char *name);

/**
 * struct vmkeep_alloc_attr - optional attributes of a new region
 * @size: sizeof(struct vmkeep_alloc_attr), so that it can grow
 * @flags: VMKEEP_ATTR_*: which of the fields below apply
 * @node: NUMA node to take the memory from (%VMKEEP_ATTR_NODE)
 * @mode: permission bits, default 0600 (%VMKEEP_ATTR_MODE)
 * @uid: owner other than the caller (%VMKEEP_ATTR_OWNER, needs CAP_CHOWN)
 * @gid: group, with @uid
 */
struct vmkeep_alloc_attr {
	uint32_t size;
	uint32_t flags;
	int32_t node;
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
};

#define VMKEEP_ATTR_EXCLUSIVE	(1U << 0)	/* one open file at a time */
#define VMKEEP_ATTR_NODE	(1U << 1)
#define VMKEEP_ATTR_MODE	(1U << 2)
#define VMKEEP_ATTR_OWNER	(1U << 3)
/* 1 GiB aligned, from a pool of 1 GiB pages; the size a multiple of 1 GiB */
#define VMKEEP_ATTR_ALIGN_1G	(1U << 4)

/* Operations: 0 (or an fd) on success, else -errno */
int vmkeep_alloc(struct vmkeep_ctx *ctx, const char *name, uint64_t size,
		 const struct vmkeep_alloc_attr *attr);
int vmkeep_get(struct vmkeep_ctx *ctx, const char *name);
int vmkeep_free(struct vmkeep_ctx *ctx, const char *name);
int vmkeep_finish(struct vmkeep_ctx *ctx, const char *name);
int vmkeep_finish_all(struct vmkeep_ctx *ctx);
int vmkeep_freeze(struct vmkeep_ctx *ctx, unsigned int *nr_mapped);
int vmkeep_thaw(struct vmkeep_ctx *ctx);
int vmkeep_format(struct vmkeep_ctx *ctx, unsigned int pool, bool force);
/*
 * Pool identities (the host's, root-only: $VMKEEP_STATE_DIR/pools or
 * /var/lib/vmkeep/pools).  vmkeep_format() keeps the new pool's; a
 * -errno after the format means the pool is formatted but its identity
 * was not kept, so it loads foreign.  vmkeep_pools_trust() presents the
 * kept identity of each foreign pool, which restores its regions, and
 * returns how many proved theirs; vmkeep_pool_identities_prune() forgets
 * the identities of ranges that are System RAM in this boot (their
 * bytes were the kernel's to hand out) and returns how many;
 * vmkeep_pool_adopt() takes a foreign pool's metadata as it is and keeps
 * its new identity.
 */
int vmkeep_pools_trust(struct vmkeep_ctx *ctx);
int vmkeep_pool_identities_prune(struct vmkeep_ctx *ctx);
int vmkeep_pool_adopt(struct vmkeep_ctx *ctx, unsigned int pool);
int vmkeep_is_frozen(struct vmkeep_ctx *ctx);

/* Regions: a snapshot of VMKEEP_IOC_LIST */
int vmkeep_regions_refresh(struct vmkeep_ctx *ctx);
struct vmkeep_region *vmkeep_region_get_first(struct vmkeep_ctx *ctx);
struct vmkeep_region *vmkeep_region_get_next(struct vmkeep_region *region);
struct vmkeep_region *vmkeep_region_find(struct vmkeep_ctx *ctx,
					 const char *name);

#define vmkeep_region_foreach(ctx, region)			\
	for (region = vmkeep_region_get_first(ctx); region;	\
	     region = vmkeep_region_get_next(region))

struct vmkeep_ctx *vmkeep_region_get_ctx(struct vmkeep_region *region);
const char *vmkeep_region_get_name(struct vmkeep_region *region);
uint64_t vmkeep_region_get_id(struct vmkeep_region *region);
uint64_t vmkeep_region_get_size(struct vmkeep_region *region);
unsigned int vmkeep_region_get_state(struct vmkeep_region *region);
const char *vmkeep_region_get_state_name(struct vmkeep_region *region);
bool vmkeep_region_is_quarantined(struct vmkeep_region *region);
const char *vmkeep_region_get_quarantine_name(struct vmkeep_region *region);
uint32_t vmkeep_region_get_uid(struct vmkeep_region *region);
uint32_t vmkeep_region_get_gid(struct vmkeep_region *region);
uint32_t vmkeep_region_get_mode(struct vmkeep_region *region);
int vmkeep_region_get_node(struct vmkeep_region *region);
unsigned int vmkeep_region_get_pool(struct vmkeep_region *region);
bool vmkeep_region_is_exclusive(struct vmkeep_region *region);
bool vmkeep_region_is_repaired(struct vmkeep_region *region);
unsigned int vmkeep_region_get_nr_extents(struct vmkeep_region *region);
unsigned int vmkeep_region_get_nr_open(struct vmkeep_region *region);
unsigned int vmkeep_region_get_nr_mapped(struct vmkeep_region *region);
/* Pages of 4 KiB a memory failure hit since the module was loaded */
unsigned int vmkeep_region_get_nr_bad_pages(struct vmkeep_region *region);
int vmkeep_region_open(struct vmkeep_region *region);

/* Pools: a snapshot of VMKEEP_IOC_STATUS */
int vmkeep_pools_refresh(struct vmkeep_ctx *ctx);
struct vmkeep_pool *vmkeep_pool_get_first(struct vmkeep_ctx *ctx);
struct vmkeep_pool *vmkeep_pool_get_next(struct vmkeep_pool *pool);

#define vmkeep_pool_foreach(ctx, pool)				\
	for (pool = vmkeep_pool_get_first(ctx); pool;		\
	     pool = vmkeep_pool_get_next(pool))

struct vmkeep_ctx *vmkeep_pool_get_ctx(struct vmkeep_pool *pool);
unsigned int vmkeep_pool_get_index(struct vmkeep_pool *pool);
uint64_t vmkeep_pool_get_base(struct vmkeep_pool *pool);
uint64_t vmkeep_pool_get_size(struct vmkeep_pool *pool);
uint64_t vmkeep_pool_get_free(struct vmkeep_pool *pool);
int vmkeep_pool_get_node(struct vmkeep_pool *pool);
unsigned int vmkeep_pool_get_state(struct vmkeep_pool *pool);
const char *vmkeep_pool_get_state_name(struct vmkeep_pool *pool);
bool vmkeep_pool_is_damaged(struct vmkeep_pool *pool);
const char *vmkeep_pool_get_damage_name(struct vmkeep_pool *pool);
bool vmkeep_pool_is_restored(struct vmkeep_pool *pool);
bool vmkeep_pool_is_clean_handoff(struct vmkeep_pool *pool);
bool vmkeep_pool_is_held(struct vmkeep_pool *pool);
bool vmkeep_pool_is_foreign(struct vmkeep_pool *pool);
bool vmkeep_pool_has_bad_pages(struct vmkeep_pool *pool);
unsigned int vmkeep_pool_get_nr_regions(struct vmkeep_pool *pool);
unsigned int vmkeep_pool_get_nr_incoming(struct vmkeep_pool *pool);
unsigned int vmkeep_pool_get_nr_quarantined(struct vmkeep_pool *pool);
unsigned int vmkeep_pool_get_nr_repaired(struct vmkeep_pool *pool);
uint64_t vmkeep_pool_get_generation(struct vmkeep_pool *pool);
uint64_t vmkeep_pool_get_handoffs(struct vmkeep_pool *pool);
uint64_t vmkeep_pool_get_restore_ns(struct vmkeep_pool *pool);
uint64_t vmkeep_pool_get_meta_bytes(struct vmkeep_pool *pool);
uint64_t vmkeep_pool_get_page_size(struct vmkeep_pool *pool);

/*
 * Live update sessions (mainline's /dev/liveupdate, which the module
 * provides with luo=1): a snapshot of VMKEEP_IOC_LUO_LIST, -ENOTTY from
 * a module without it.  A session's state (vmkeep_session_get_state())
 * is 0 outgoing, 1 incoming, 2 retrieved, 3 quarantined; a file's kind
 * 1 memfd, 2 region.
 */
int vmkeep_sessions_refresh(struct vmkeep_ctx *ctx);
int vmkeep_liveupdate_is_enabled(struct vmkeep_ctx *ctx);
struct vmkeep_session *vmkeep_session_get_first(struct vmkeep_ctx *ctx);
struct vmkeep_session *vmkeep_session_get_next(struct vmkeep_session *session);

#define vmkeep_session_foreach(ctx, session)			\
	for (session = vmkeep_session_get_first(ctx); session;		\
	     session = vmkeep_session_get_next(session))

struct vmkeep_ctx *vmkeep_session_get_ctx(struct vmkeep_session *session);
const char *vmkeep_session_get_name(struct vmkeep_session *session);
unsigned int vmkeep_session_get_state(struct vmkeep_session *session);
const char *vmkeep_session_get_state_name(struct vmkeep_session *session);
bool vmkeep_session_is_quarantined(struct vmkeep_session *session);
const char *vmkeep_session_get_quarantine_name(struct vmkeep_session *session);
unsigned int vmkeep_session_get_pool(struct vmkeep_session *session);
/* The live update set it came in; 0 for an outgoing session */
uint64_t vmkeep_session_get_set(struct vmkeep_session *session);
/* Pool bytes its memfds hold (reserved, for an outgoing session) */
uint64_t vmkeep_session_get_bytes(struct vmkeep_session *session);
unsigned int vmkeep_session_get_nr_files(struct vmkeep_session *session);

struct vmkeep_session_file *vmkeep_session_file_get_first(struct vmkeep_session *session);
struct vmkeep_session_file *vmkeep_session_file_get_next(struct vmkeep_session_file *file);

#define vmkeep_session_file_foreach(session, file)			\
	for (file = vmkeep_session_file_get_first(session); file;	\
	     file = vmkeep_session_file_get_next(file))

struct vmkeep_session *vmkeep_session_file_get_session(struct vmkeep_session_file *file);
uint64_t vmkeep_session_file_get_token(struct vmkeep_session_file *file);
unsigned int vmkeep_session_file_get_kind(struct vmkeep_session_file *file);
const char *vmkeep_session_file_get_kind_name(struct vmkeep_session_file *file);
/* A memfd's size; a region's length */
uint64_t vmkeep_session_file_get_size(struct vmkeep_session_file *file);
/* A region's id in its pool; 0 for a memfd */
uint64_t vmkeep_session_file_get_region_id(struct vmkeep_session_file *file);
/* The one region of that id and size in the region snapshot, or NULL */
struct vmkeep_region *vmkeep_session_file_get_region(struct vmkeep_session_file *file);

#ifdef __cplusplus
}
#endif

#endif /* _LIBVMKEEP_H_ */
