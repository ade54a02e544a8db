/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmkeep authors
 */
#ifndef _VMKEEP_INTERNAL_H
#define _VMKEEP_INTERNAL_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/memremap.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <linux/vmkeep.h>
#include <vmkeep/format.h>

#define VMKEEP_MAX_POOLS	8

/**
 * struct vmkeep_pool - a boot-reserved physical range and its regions
 * @index: position in vmkeep_pools[], as reported to userspace
 * @base: physical address
 * @size: bytes
 * @node: NUMA node of the memory
 * @name: the name of its iomem resource, allocated: a pool whose pages are
 *        still held when the module goes keeps its resource, and nothing of
 *        it may point into the module
 * @page_order: order of its compound pages: PMD (2 MiB) or, for a pool
 *              of 1 GiB pages (``SIZE@ADDR:1G``), PUD
 * @pgmap: ZONE_DEVICE pages for the whole range
 * @va: the kernel's mapping of the whole range
 * @fmt: state of the on-pool metadata
 * @used: one bit per %VMKEEP_FMT_UNIT, set while memory belongs to a
 *        region (or to the metadata)
 * @nr_units: bits in @used
 * @regions: live regions (&struct vmkeep_region.link), in metadata order
 * @pending: regions being zeroed by their ALLOC: memory reserved, not yet
 *           in the metadata or visible
 * @freed: regions freed whose memory is not free yet: a file is still
 *         open, or someone holds a page (a pin, a pipe buffer)
 * @nr_regions: entries of @regions and @pending
 * @memremap_ns: time memremap_pages() took at load (struct pages)
 * @restore_ns: time taken to validate and restore at load
 * @commit_ns: time the last metadata write took
 * @flags: VMKEEP_POOL_CLEAN_HANDOFF, VMKEEP_POOL_RESTORED, VMKEEP_POOL_HELD
 * @shifted: empty, but holds another pool's metadata: reported damaged
 * @meta_bad: a memory failure hit the metadata: never read or written
 *            again in this load (held, FORMAT and TRUST refused)
 * @luo: memory of live update sets (&struct vmkeep_luo_chunk.link)
 * @nr_luo: entries of @luo
 * @bad: the pages of 4 KiB that a memory failure hit since load, indexed
 *       by page from @base: never mapped, zeroed, read, written or handed
 *       to a new region again (vmkeep_pool_page_failed()).  Entries are
 *       only added, under vmkeep_lock; readers need no lock (RCU).
 *
 * Everything but @index, @base, @size, @node, @name, @page_order, @pgmap,
 * @va and @bad is protected by vmkeep_lock.
 */
struct vmkeep_pool {
	unsigned int index;
	phys_addr_t base;
	u64 size;
	int node;
	const char *name;
	unsigned int page_order;
	struct dev_pagemap pgmap;
	void *va;
	struct vmkeep_fmt_pool fmt;
	unsigned long *used;
	unsigned long nr_units;
	struct list_head regions;
	struct list_head pending;
	struct list_head freed;
	unsigned int nr_regions;
	u64 memremap_ns;
	u64 restore_ns;
	u64 commit_ns;
	u32 flags;
	bool shifted;
	bool meta_bad;
	struct list_head luo;
	unsigned int nr_luo;
	struct xarray bad;
};

/**
 * struct vmkeep_luo_chunk - pool memory of a live update set (vmkeep_luo.c)
 * @link: in &vmkeep_pool.luo
 * @fmt: its entry: %VMKEEP_FMT_LUO, named when the set is written
 * @written: in the pool's metadata (written into kexec, or found at load)
 * @pages: the 4 KiB pages taken, while its set is outgoing; else NULL
 *
 * Protected by vmkeep_lock, but for @pages (the live update lock).
 */
struct vmkeep_luo_chunk {
	struct list_head link;
	struct vmkeep_fmt_region fmt;
	bool written;
	unsigned long *pages;
};

/**
 * struct vmkeep_region - a named piece of a pool
 * @kref: one for the pool's lists (dropped when its memory goes back to
 *        the pool), one for each inode of the region's files (dropped at
 *        evict: an O_PATH fd keeps an inode without an open file)
 * @link: in &vmkeep_pool.pending, .regions, then .freed
 * @reap: on the reaper's private list while its pages are checked
 * @pool: the pool the memory comes from
 * @fmt: name, owner, flags and extents, as stored on the pool
 * @state: VMKEEP_STATE_*
 * @pending: reserved by an ALLOC that has not published it yet
 * @freed: set by FREE or FORMAT: nothing may open the region again
 * @free_written: freed, and the pool's metadata without it is written:
 *                its memory may go back to the pool
 * @restored: restored at this load, not made by ALLOC since
 * @held: the reaper found a page of it still referenced
 * @held_off: the reaper found no page referenced below this offset
 * @pins_module: freed, closed and held: the module stays while the pages
 *               are referenced
 * @nr_open: open files, and opens in progress
 * @opener: while @nr_open, the inode whose files are open (compared, never
 *          followed): an exclusive region is open through one inode only
 * @node: its device node while it is live, or NULL
 * @nr_mapped: live VMAs
 * @pmd_faults: faults served with a 2 MiB mapping
 * @pte_faults: faults served with a 4 KiB mapping
 * @pud_faults: faults served with a 1 GiB mapping
 * @zeroed: for a region made by ALLOC, one bit per 2 MiB unit, set once
 *          the unit is zero (vmkeep_region_ready()); NULL when every unit
 *          is (restored regions: their content is the VM's)
 * @zeroing: bit locks of the units being zeroed, beside @zeroed
 * @zero_link: on the background zeroer's list while units are left
 * @zero_busy: the background zeroer works on it: its memory stays
 * @zero_left: counted in the regions the worker has to finish (FREEZE and
 *             unload wait for them)
 * @zero_skipped: a unit was cleared but for a bad page, which may hold an
 *                earlier tenant's bytes: stored uncleared for good
 * @dax: its dax inode, whose address space every file of the region
 *       maps (vmkeep_region.c)
 *
 * @fmt (but for %VMKEEP_FMT_UNCLEARED in @fmt.flags, which vmkeep_lock
 * protects), @pool, @zeroed and @zeroing never change while the region
 * exists (the bits are set with atomics), so the fault and read/write
 * paths use them without a lock.  @state, @pending, @freed, @free_written,
 * @nr_open, @opener,
 * @node, @link, @zero_link, @zero_busy and @zero_left are protected by
 * vmkeep_lock; @zero_skipped is set once, before the unit's zeroed bit;
 * @reap, @held, @held_off and @pins_module by the reaper's lock.
 */
struct vmkeep_region {
	struct kref kref;
	struct list_head link;
	struct list_head reap;
	struct vmkeep_pool *pool;
	struct vmkeep_fmt_region fmt;
	u32 state;
	bool pending;
	bool freed;
	bool free_written;
	bool restored;
	bool held;
	bool pins_module;
	u64 held_off;
	unsigned int nr_open;
	const struct inode *opener;
	struct vmkeep_node *node;
	atomic_t nr_mapped;
	atomic64_t pmd_faults;
	atomic64_t pte_faults;
	atomic64_t pud_faults;
	unsigned long *zeroed;
	unsigned long *zeroing;
	struct list_head zero_link;
	bool zero_busy;
	bool zero_left;
	bool zero_skipped;
	struct inode *dax;
};

/*
 * capable() writes an audit record for each denial: ask it at most once
 * per ioctl, and only when the caller's own rights are not enough.
 */
struct vmkeep_caller {
	int admin;	/* -1 until asked */
};

#define VMKEEP_CALLER_INIT	{ .admin = -1 }

/* An ioctl's structure, copied in; vmkeep_respond() copies it back. */
struct vmkeep_ucmd {
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

int vmkeep_respond(struct vmkeep_ucmd *ucmd, size_t size);

extern struct mutex vmkeep_lock;
extern atomic_t vmkeep_nr_objects;
extern atomic_t vmkeep_nr_files;
extern struct vmkeep_pool *vmkeep_pools[VMKEEP_MAX_POOLS];
extern unsigned int vmkeep_nr_pools;
#if VMKEEP_FAULT_INJECT
extern unsigned int vmkeep_crash_after;
extern unsigned int vmkeep_crash_steps;
extern bool vmkeep_crashed;
#else
#define vmkeep_crashed	false
#endif

/* vmkeep_fwmap.c */
struct vmkeep_fwmap;
struct vmkeep_fwmap *vmkeep_fwmap_read(void);
void vmkeep_fwmap_free(struct vmkeep_fwmap *map);
bool vmkeep_fwmap_is_ram(const struct vmkeep_fwmap *map, u64 base, u64 size,
			 char *why, size_t len);

/* vmkeep_pool.c */
void vmkeep_pools_init(const char *param);
void vmkeep_pools_exit(void);
void vmkeep_pools_reap(void);
void vmkeep_pool_commit(struct vmkeep_pool *pool, u32 flags);
void vmkeep_pool_format(struct vmkeep_pool *pool);
int vmkeep_pool_trust(struct vmkeep_pool *pool, u8 *id, bool adopt);
struct vmkeep_region *vmkeep_pool_add_region(struct vmkeep_pool *pool,
					     const struct vmkeep_fmt_region *r);
void vmkeep_pool_publish_region(struct vmkeep_region *region);
void vmkeep_pool_remove_region(struct vmkeep_region *region);
struct vmkeep_region *vmkeep_region_find(const char *name, bool pending);
u64 vmkeep_pool_free_bytes(const struct vmkeep_pool *pool);
void *vmkeep_region_va(const struct vmkeep_region *region, u64 offset,
		       u64 *contig, phys_addr_t *phys);
bool vmkeep_pool_bad(struct vmkeep_pool *pool, phys_addr_t phys, u64 len,
		     phys_addr_t *first);
u32 vmkeep_region_bad_pages(const struct vmkeep_region *region);
struct vmkeep_luo_chunk *vmkeep_pool_luo_reserve(struct vmkeep_pool *pool,
						 u64 length);
void vmkeep_pool_luo_drop(struct vmkeep_luo_chunk *chunk,
			  struct vmkeep_pool *pool);
void vmkeep_pool_luo_forget(struct vmkeep_pool *pool);
struct vmkeep_region *vmkeep_pool_region_by_id(struct vmkeep_pool *pool,
					       u64 id);

/* vmkeep_luo.c */
int vmkeep_luo_init(bool on);
void vmkeep_luo_exit(void);
void vmkeep_luo_restore(struct vmkeep_pool *pool);
void vmkeep_luo_reboot(void);
int vmkeep_luo_forget_pool(struct vmkeep_pool *pool);
void vmkeep_luo_lock(void);
void vmkeep_luo_unlock(void);
struct vmkeep_luo_list;
int vmkeep_luo_list(struct vmkeep_luo_list *cmd);

/* vmkeep_node.c */
int vmkeep_nodes_init(void);
void vmkeep_nodes_exit(void);
void vmkeep_node_add(struct vmkeep_region *region);
void vmkeep_node_remove(struct vmkeep_region *region);
void vmkeep_nodes_flush(void);
struct vmkeep_region *vmkeep_node_region(dev_t devt);

/* vmkeep_region.c */
extern const struct file_operations vmkeep_region_fops;
int vmkeep_region_fs_init(void);
void vmkeep_region_fs_exit(void);
bool vmkeep_caller_is_admin(struct vmkeep_caller *caller);
bool vmkeep_region_may_open(const struct vmkeep_region *region,
			    struct vmkeep_caller *caller);
struct vmkeep_region *vmkeep_region_new(struct vmkeep_pool *pool,
					const struct vmkeep_fmt_region *fmt,
					u32 state);
void vmkeep_region_put(struct vmkeep_region *region);
bool vmkeep_region_held(struct vmkeep_region *region);
void vmkeep_region_unmap_bad(struct vmkeep_region *region, u64 off);

/* vmkeep_zero.c */
int vmkeep_zero_alloc(struct vmkeep_region *region);
void vmkeep_zero_free(struct vmkeep_region *region);
bool vmkeep_region_unit_ready(const struct vmkeep_region *region, u64 off);
void vmkeep_region_ready(struct vmkeep_region *region, u64 off, u64 len);
void vmkeep_zero_start(struct vmkeep_region *region);
void vmkeep_zero_stop(struct vmkeep_region *region);
void vmkeep_zero_wait(struct vmkeep_region *region);
void vmkeep_zero_sync(struct vmkeep_region *region, u64 off);
int vmkeep_zero_drain(bool killable);
void vmkeep_zero_exit(void);
int vmkeep_region_claim(struct vmkeep_region *region, struct inode *inode);
void vmkeep_region_unclaim(struct vmkeep_region *region);
struct file *vmkeep_region_file(struct vmkeep_region *region);

#endif /* _VMKEEP_INTERNAL_H */
