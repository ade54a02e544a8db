// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: pools
 *
 * A pool is a physical range that no kernel owns: the admin reserves it on
 * the command line of every kernel (``memmap=SIZE$ADDR``) and names it to
 * the module (``vmkeep.pools=SIZE@ADDR``).  Memory a module allocates
 * after boot is not safe across kexec without KHO; memory that every
 * kernel leaves alone is.
 *
 * At load each pool is checked (2 MiB aligned, RAM in the firmware's
 * memory map (vmkeep_fwmap.c), reserved, no System RAM, not claimed by
 * anyone), claimed with request_mem_region(), and given
 * struct pages with memremap_pages() as device-dax does, so that mappings
 * of its regions work with get_user_pages() (O_DIRECT, VFIO).  Then its
 * metadata is read and validated as untrusted input (vmkeep_format.c).
 *
 * The struct pages are compound pages of the pool's page size, 2 MiB, or
 * 1 GiB for a pool named ``SIZE@ADDR:1G``, as device-dax makes them for
 * its alignment (vmemmap_shift): a huge entry from 6.15 on needs a folio
 * of its order, and the kernel then backs the struct pages of all but
 * the head of each compound page with one shared page of vmemmap
 * (ARCH_WANT_OPTIMIZE_DAX_VMEMMAP; 6.1 does it whenever struct page is a
 * power of two): 16 MiB of struct pages per GiB become 4 MiB, or 8 KiB
 * with 1 GiB pages, and the load time shrinks with them.  A 1 GiB pool
 * holds only regions made with %VMKEEP_ALLOC_ALIGN_1G, placed on 1 GiB
 * boundaries, and keeps its first GiB for the metadata: a compound page
 * never spans two regions, so that a page held by one never holds back
 * the memory of another.
 *
 * The allocator is a bitmap of 2 MiB units rebuilt from the metadata; it
 * is never stored.  Every change of the region list is written to the
 * pool at once (vmkeep_pool_commit()), so the handoff is always current
 * and a kexec needs no preparation beyond the clean mark.
 *
 * A checksum proves that metadata is whole, not who wrote it: a range
 * that was no pool before this boot holds whatever a tenant left there,
 * and a forged page at its base would otherwise be restored, nodes and
 * owners included, over another tenant's memory.  So FORMAT writes a
 * random identity into the header, which the host keeps where only root
 * reads it, and a pool with valid metadata loads FOREIGN: nothing is
 * restored, mapped or written until VMKEEP_IOC_TRUST presents that
 * identity (vmkeepctl load does), or the admin adopts the pool.
 *
 * Memory comes back to the pool only once a metadata write without its
 * region has reached the pool: a FREE that could not be written (a held
 * pool, the test build's crash knob) would otherwise hand a region's
 * memory to a new tenant while the next kernel restores the old region
 * over it.
 *
 * Loss-averse rules: a pool without metadata is used only after an
 * explicit FORMAT (vmkeep_pool_add_region() never formats); the memory of
 * a quarantined region stays reserved, also when its extents do not add
 * up; and while a quarantined region was not repaired from the other
 * metadata copy the pool is held: neither copy is written (no load-time
 * commit, no clean mark) and ALLOC takes nothing from it, so the last
 * description of that region survives until the admin frees it or
 * force-formats the pool.
 *
 * A region lives on three lists in turn: pending while its ALLOC makes
 * it, regions while it is live, freed from FREE until no file is open,
 * no page of it is referenced and the zeroer has let go of it.  Its
 * memory is
 * used as long as it is on any of them.  Checking for referenced pages
 * walks struct pages, so it runs outside vmkeep_lock, in
 * vmkeep_pools_reap().
 *
 * Memory failures (a machine check, or injection) reach the pool through
 * its pgmap's ->memory_failure op (vmkeep_memory_failure()), which the
 * kernel calls for ZONE_DEVICE pages instead of its generic device-dax
 * handler.  No page of a pool names a mapping (folio->mapping): that
 * handler would follow it to a region's inode without a reference.  The
 * op records the page in the pool (@bad), keeps its unit out of the
 * allocator, and zaps every mapping of it; faults then refuse the page
 * (SIGBUS BUS_MCEERR_AR on access, as x86's kill_me_maybe() expects when
 * memory_failure() returns 0), and the module never reads, writes or
 * clears it.  The record lasts as long as the load: it is not stored in
 * the pool (see the admin guide).  memory_failure() holds a reference on
 * the pgmap around the op, and the op takes vmkeep_lock: so the pgmap
 * is torn down (memunmap_pages(), vmkeep_pgmap_kill()) without that
 * lock, and a pool left claimed at unload is made unreachable first,
 * never left with an op into a module that is gone.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/ioport.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <crypto/algapi.h>
#include <linux/string.h>
#include <vmkeep/names.h>

#include "vmkeep_compat.h"
#include "vmkeep_internal.h"

struct vmkeep_pool *vmkeep_pools[VMKEEP_MAX_POOLS];
unsigned int vmkeep_nr_pools;

#define UNIT_SHIFT	21

/* Units of the metadata: the whole first page of a 1 GiB pool. */
static unsigned long pool_meta_units(const struct vmkeep_pool *pool)
{
	return max_t(u64, VMKEEP_FMT_META_SIZE, PAGE_SIZE << pool->page_order)
		>> UNIT_SHIFT;
}

/* Units a region starts on: its compound pages are its own. */
static unsigned long pool_align_units(const struct vmkeep_pool *pool)
{
	return (PAGE_SIZE << pool->page_order) >> UNIT_SHIFT;
}

static void pool_mark(struct vmkeep_pool *pool,
		      const struct vmkeep_fmt_region *r)
{
	u32 i;

	for (i = 0; i < r->nr_extents; i++)
		bitmap_set(pool->used, r->extents[i].offset >> UNIT_SHIFT,
			   r->extents[i].length >> UNIT_SHIFT);
}

/* Units with a bad page never go to a new region, nor 1 GiB pages with one. */
static void pool_mark_bad(struct vmkeep_pool *pool)
{
	const u64 page = PAGE_SIZE << pool->page_order;
	unsigned long idx;
	void *entry;

	xa_for_each(&pool->bad, idx, entry)
		bitmap_set(pool->used, ALIGN_DOWN(PFN_PHYS(idx), page) >> UNIT_SHIFT,
			   page >> UNIT_SHIFT);
}

/*
 * Quarantined regions may claim the same memory, so releasing one clears
 * nothing by itself: the map is rebuilt from the regions that remain.
 */
static void pool_rebuild(struct vmkeep_pool *pool)
{
	struct vmkeep_luo_chunk *chunk;
	struct vmkeep_region *region;

	lockdep_assert_held(&vmkeep_lock);
	bitmap_zero(pool->used, pool->nr_units);
	bitmap_set(pool->used, 0, pool_meta_units(pool));
	list_for_each_entry(region, &pool->regions, link)
		pool_mark(pool, &region->fmt);
	list_for_each_entry(region, &pool->pending, link)
		pool_mark(pool, &region->fmt);
	list_for_each_entry(region, &pool->freed, link)
		pool_mark(pool, &region->fmt);
	list_for_each_entry(chunk, &pool->luo, link)
		pool_mark(pool, &chunk->fmt);
	pool_mark_bad(pool);
}

/* Serialises reapers: a region on one's private list is its alone. */
static DEFINE_MUTEX(vmkeep_reap_lock);

/*
 * A freed region whose pages are still held keeps the module: its
 * struct pages and its pool must outlive the holder.  The holders cannot
 * tell us when they let go, so the next reap (ALLOC, STATUS, FREE, a
 * close) looks again.  Every reaper holds a reference on the module (an
 * open file, or the ioctl's), so the module is live here: the zeroer,
 * which holds none, never reaps.
 */
static void reap_one(struct vmkeep_region *region)
{
	lockdep_assert_held(&vmkeep_reap_lock);
	lockdep_assert_held(&vmkeep_lock);
	if (region->held) {
		if (!region->pins_module) {
			pr_warn("region '%s': pages still held after free, its memory stays used until they are let go\n",
				region->fmt.name);
			__module_get(THIS_MODULE);
			region->pins_module = true;
		}
		return;
	}
	list_del(&region->link);
	pool_rebuild(region->pool);
	if (region->pins_module)
		module_put(THIS_MODULE);
	vmkeep_region_put(region);
}

/**
 * vmkeep_pools_reap() - give back the memory of freed regions
 *
 * Of the freed regions that no file has open and that the pool's metadata
 * no longer lists, those whose pages nobody holds return to their pool.
 * Takes vmkeep_lock; the page walk runs without it.  Callers hold a
 * reference on the module (an open file).
 */
void vmkeep_pools_reap(void)
{
	struct vmkeep_region *region, *tmp;
	LIST_HEAD(check);
	unsigned int i;

	guard(mutex)(&vmkeep_reap_lock);
	scoped_guard(mutex, &vmkeep_lock)
		for (i = 0; i < vmkeep_nr_pools; i++)
			list_for_each_entry(region, &vmkeep_pools[i]->freed, link)
				if (!region->nr_open && !region->zero_busy &&
				    region->free_written)
					list_add_tail(&region->reap, &check);
	/* Freed and closed: nothing changes these regions but a reaper. */
	list_for_each_entry(region, &check, reap)
		region->held = vmkeep_region_held(region);
	guard(mutex)(&vmkeep_lock);
	list_for_each_entry_safe(region, tmp, &check, reap) {
		list_del_init(&region->reap);
		reap_one(region);
	}
}

u64 vmkeep_pool_free_bytes(const struct vmkeep_pool *pool)
{
	return (u64)(pool->nr_units - bitmap_weight(pool->used, pool->nr_units))
		<< UNIT_SHIFT;
}

/*
 * Find memory for a new region: one contiguous extent when the pool has
 * one, else the first free runs, at most %VMKEEP_FMT_MAX_EXTENTS of them.
 * r->length is the size; the extents are filled in.  In a 1 GiB pool every
 * region and so every free run starts and ends on a 1 GiB boundary.
 */
static int pool_reserve(struct vmkeep_pool *pool, struct vmkeep_fmt_region *r)
{
	unsigned long need = r->length >> UNIT_SHIFT, start, end, pos, next;
	unsigned long align = pool_align_units(pool);
	u32 n = 0;

	lockdep_assert_held(&vmkeep_lock);
	start = bitmap_find_next_zero_area(pool->used, pool->nr_units, 0,
					   need, align - 1);
	if (start < pool->nr_units) {
		r->extents[0].offset = (u64)start << UNIT_SHIFT;
		r->extents[0].length = r->length;
		r->nr_extents = 1;
		pool_mark(pool, r);
		return 0;
	}

	/* Free runs cut to whole compound pages, so none spans regions. */
	for (pos = 0; need && n < VMKEEP_FMT_MAX_EXTENTS; pos = next) {
		start = find_next_zero_bit(pool->used, pool->nr_units, pos);
		start = round_up(start, align);
		if (start >= pool->nr_units)
			break;
		next = find_next_bit(pool->used, pool->nr_units, start);
		end = min(round_down(next, align), start + need);
		if (end <= start)
			continue;
		r->extents[n].offset = (u64)start << UNIT_SHIFT;
		r->extents[n].length = (u64)(end - start) << UNIT_SHIFT;
		need -= end - start;
		n++;
	}
	if (need)
		return -ENOSPC;
	r->nr_extents = n;
	pool_mark(pool, r);
	return 0;
}

void *vmkeep_region_va(const struct vmkeep_region *region, u64 offset,
		       u64 *contig, phys_addr_t *phys)
{
	const struct vmkeep_fmt_region *r = &region->fmt;
	u32 i;

	for (i = 0; i < r->nr_extents; i++) {
		if (offset < r->extents[i].length) {
			u64 off = r->extents[i].offset + offset;

			*contig = r->extents[i].length - offset;
			if (phys)
				*phys = region->pool->base + off;
			return region->pool->va + off;
		}
		offset -= r->extents[i].length;
	}
	return NULL;
}

/**
 * vmkeep_pool_bad() - whether a memory failure hit [@phys, @phys + @len)
 * @pool: the pool of the range
 * @phys: start, page aligned
 * @len: bytes, a multiple of PAGE_SIZE, not 0
 * @first: if not NULL, set to the first bad page's address
 *
 * Without a lock (RCU inside xa_find()): the fault, read, write and
 * zeroing paths ask it for every range they touch.
 */
bool vmkeep_pool_bad(struct vmkeep_pool *pool, phys_addr_t phys, u64 len,
		     phys_addr_t *first)
{
	unsigned long idx = PHYS_PFN(phys - pool->base);

	if (xa_empty(&pool->bad) ||
	    !xa_find(&pool->bad, &idx, idx + PHYS_PFN(len) - 1, XA_PRESENT))
		return false;
	if (first)
		*first = pool->base + PFN_PHYS(idx);
	return true;
}

#if VMKEEP_FAULT_INJECT
/*
 * Fault injection for the crash tests, in the test build only (make
 * VMKEEP_FAULT_INJECT=1): after write step vmkeep_crash_after of a
 * metadata update, vmkeep writes no metadata any more, as if the machine
 * had stopped there; the test then kexecs.  The steps of an update: the
 * inactive header's invalidation, each entry, the header, the magic.
 * Protected by vmkeep_lock.
 */
unsigned int vmkeep_crash_after;
unsigned int vmkeep_crash_steps;
bool vmkeep_crashed;

/* Count a write step done; true when it was the last before the crash. */
static bool crash_point(const struct vmkeep_pool *pool, const char *what)
{
	if (!vmkeep_crash_after || ++vmkeep_crash_steps != vmkeep_crash_after)
		return false;
	vmkeep_crashed = true;
	pr_warn("pool %u: crash injected after write step %u (%s): no metadata is written any more\n",
		pool->index, vmkeep_crash_steps, what);
	return true;
}
#else
static bool crash_point(const struct vmkeep_pool *pool, const char *what)
{
	return false;
}
#endif

/*
 * The pool's metadata no longer lists the freed regions: their memory may
 * go back to the pool once nothing holds it.
 */
static void pool_written(struct vmkeep_pool *pool)
{
	struct vmkeep_region *region;

	lockdep_assert_held(&vmkeep_lock);
	list_for_each_entry(region, &pool->freed, link)
		region->free_written = true;
}

/**
 * vmkeep_pool_commit() - write the region list to the pool
 * @pool: the pool
 * @flags: header flags (%VMKEEP_FMT_CLEAN into kexec and at unload)
 *
 * Writes the inactive metadata copy and makes it active.  Pools that are
 * empty, damaged, foreign or held are left alone.
 */
void vmkeep_pool_commit(struct vmkeep_pool *pool, u32 flags)
{
	struct vmkeep_luo_chunk *chunk;
	struct vmkeep_region *region;
	ktime_t t0 = ktime_get();
	u32 i = 0;

	lockdep_assert_held(&vmkeep_lock);
	if (pool->fmt.state != VMKEEP_POOL_READY ||
	    (pool->flags & VMKEEP_POOL_HELD) || vmkeep_crashed)
		return;
	vmkeep_fmt_begin(pool->va, &pool->fmt);
	if (crash_point(pool, "header invalidated"))
		return;
	list_for_each_entry(region, &pool->regions, link) {
		vmkeep_fmt_put(pool->va, &pool->fmt, i++, &region->fmt);
		if (crash_point(pool, "entry"))
			return;
	}
	list_for_each_entry(chunk, &pool->luo, link)
		if (chunk->written)
			vmkeep_fmt_put(pool->va, &pool->fmt, i++, &chunk->fmt);
	vmkeep_fmt_write_header(pool->va, &pool->fmt, i, flags);
	if (crash_point(pool, "header"))
		return;
	vmkeep_fmt_write_magic(pool->va, &pool->fmt);
	if (crash_point(pool, "magic"))
		return;
	pool_written(pool);
	pool->commit_ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
}

/**
 * vmkeep_pool_add_region() - reserve memory for a new region
 * @pool: the pool, from which the region's memory comes
 * @r: name, length, owner and flags; the extents are filled in here
 *
 * The region is pending: its memory is reserved, but it is neither in
 * the metadata nor visible until vmkeep_pool_publish_region().  Its
 * memory is not zeroed here: each 2 MiB unit is, at its first touch
 * (vmkeep_zero.c).  The pool is ready and not
 * held (pool_pick()): a pool without metadata is never formatted here.
 *
 * Return: the region, with the pool's reference, or an ERR_PTR.
 */
struct vmkeep_region *vmkeep_pool_add_region(struct vmkeep_pool *pool,
					     const struct vmkeep_fmt_region *r)
{
	struct vmkeep_region *region;
	int ret;

	lockdep_assert_held(&vmkeep_lock);
	if (pool->fmt.state != VMKEEP_POOL_READY ||
	    (pool->flags & VMKEEP_POOL_HELD))
		return ERR_PTR(-ENOSPC);
	region = vmkeep_region_new(pool, r, VMKEEP_STATE_ACTIVE);
	if (!region)
		return ERR_PTR(-ENOMEM);
	ret = vmkeep_zero_alloc(region) ?: pool_reserve(pool, &region->fmt);
	if (ret) {
		vmkeep_region_put(region);
		return ERR_PTR(ret);
	}
	region->fmt.id = pool->fmt.next_id++;
	region->pending = true;
	list_add_tail(&region->link, &pool->pending);
	pool->nr_regions++;
	return region;
}

/*
 * A pending region joins the metadata and can be opened; the background
 * zeroer takes the units nobody touches.
 */
void vmkeep_pool_publish_region(struct vmkeep_region *region)
{
	lockdep_assert_held(&vmkeep_lock);
	region->pending = false;
	list_move_tail(&region->link, &region->pool->regions);
	vmkeep_zero_start(region);
	vmkeep_pool_commit(region->pool, 0);
	vmkeep_node_add(region);
}

static void pool_unlink_region(struct vmkeep_region *region)
{
	lockdep_assert_held(&vmkeep_lock);
	region->freed = true;
	vmkeep_zero_stop(region);
	vmkeep_node_remove(region);
	list_move_tail(&region->link, &region->pool->freed);
	region->pool->nr_regions--;
}

/* A held pool is written again once no quarantined region is left. */
static void pool_release_hold(struct vmkeep_pool *pool)
{
	struct vmkeep_region *region;

	list_for_each_entry(region, &pool->regions, link)
		if (region->state == VMKEEP_STATE_QUARANTINED &&
		    region->fmt.quarantine != VMKEEP_Q_UNCLEARED)
			return;
	if (pool->meta_bad)
		return;
	pool->flags &= ~VMKEEP_POOL_HELD;
	pr_info("pool %u: no quarantined region left, metadata written again\n",
		pool->index);
}

/**
 * vmkeep_pool_remove_region() - FREE: take a region out of the metadata
 * @region: live or pending
 *
 * Nothing can open it from now on; its memory stays used until
 * vmkeep_pools_reap() finds it closed and its pages let go.  A pending
 * region was never written, so its removal writes nothing either (it may
 * come after FREEZE or the clean mark).  In a held pool nothing is
 * written until the last quarantined region is freed; a region freed
 * before that comes back at the next load or kexec, and nothing takes
 * its memory meanwhile (ALLOC skips held pools).
 */
void vmkeep_pool_remove_region(struct vmkeep_region *region)
{
	struct vmkeep_pool *pool = region->pool;
	bool written = !region->pending;

	pool_unlink_region(region);
	region->free_written = !written;
	if (pool->flags & VMKEEP_POOL_HELD)
		pool_release_hold(pool);
	if (written)
		vmkeep_pool_commit(pool, 0);
}

/*
 * Drops every region (callers check that none is open or pending): they
 * are freed, and come back to the pool through vmkeep_pools_reap().
 */
void vmkeep_pool_format(struct vmkeep_pool *pool)
{
	struct vmkeep_region *region, *tmp;

	lockdep_assert_held(&vmkeep_lock);
	list_for_each_entry_safe(region, tmp, &pool->regions, link)
		pool_unlink_region(region);
	/*
	 * A ready pool's identity is proven and the host keeps it: it stays.
	 * Any other pool's may be a forger's.
	 */
	if (pool->fmt.state != VMKEEP_POOL_READY || !vmkeep_fmt_has_id(&pool->fmt))
		get_random_bytes(pool->fmt.id, sizeof(pool->fmt.id));
	vmkeep_fmt_format(pool->va, &pool->fmt);
	pool_written(pool);
	pool->flags = 0;
	pool->shifted = false;
	pool_rebuild(pool);
	pr_info("pool %u [mem %pa+%#llx] formatted\n", pool->index,
		&pool->base, pool->size);
}

/*
 * A pool that reads as empty but holds another pool's valid header at a
 * 1 MiB boundary overlaps that pool: vmkeep.pools= is shifted, shrunk or
 * mistyped.  It is reported damaged (geometry), so that only a forced
 * FORMAT can write over the regions the other header describes.
 */
static bool pool_find_shifted(struct vmkeep_pool *pool)
{
	u64 off, fbase, fsize;

	for (off = VMKEEP_FMT_META_SIZE; off < pool->size;
	     off += VMKEEP_FMT_COPY_SIZE) {
		if (!vmkeep_fmt_foreign(pool->va + off, &fbase, &fsize))
			continue;
		if (fbase != pool->base + off &&
		    fbase + VMKEEP_FMT_COPY_SIZE != pool->base + off)
			continue;
		pr_err("pool %u [mem %pa+%#llx]: holds the metadata of a vmkeep pool [mem %#llx+%#llx] at offset %#llx: shifted or overlapping vmkeep.pools=? Left untouched until a forced format\n",
		       pool->index, &pool->base, pool->size, fbase, fsize, off);
		pool->fmt.state = VMKEEP_POOL_DAMAGED;
		pool->fmt.damage = VMKEEP_D_GEOMETRY;
		pool->shifted = true;
		return true;
	}
	return false;
}

static struct vmkeep_region *region_find_in(struct list_head *list,
					    const char *name)
{
	struct vmkeep_region *region;

	list_for_each_entry(region, list, link)
		if (!strcmp(region->fmt.name, name))
			return region;
	return NULL;
}

/* A live region, or with @pending also one whose ALLOC is running. */
struct vmkeep_region *vmkeep_region_find(const char *name, bool pending)
{
	struct vmkeep_region *region = NULL;
	unsigned int i;

	lockdep_assert_held(&vmkeep_lock);
	for (i = 0; i < vmkeep_nr_pools && !region; i++) {
		region = region_find_in(&vmkeep_pools[i]->regions, name);
		if (!region && pending)
			region = region_find_in(&vmkeep_pools[i]->pending, name);
	}
	return region;
}

/*
 * Names are unique in a pool (vmkeep_fmt_regions()), not across pools: a
 * pool left off vmkeep.pools= may come back after its names were used
 * again.  The earlier pool keeps the name, even for a quarantined region;
 * this region is kept as found, quarantined under a name no ALLOC can
 * take ('!' is not a name byte, and the format's own are "!bad-N" and
 * "!dup-N").  The reason is a name, also for an uncleared region, so the
 * pool is held: its metadata keeps the entry's real name.
 *
 * Return: whether @r was quarantined here.
 */
static bool pool_rename_taken(struct vmkeep_pool *pool,
			      struct vmkeep_fmt_region *r, u32 idx)
{
	/* An ALLOC in progress holds its name too (a TRUST after load). */
	struct vmkeep_region *other = vmkeep_region_find(r->name, true);
	bool was_sound = !r->quarantine;

	if (!other)
		return false;
	pr_warn("pool %u: region '%s' (entry %u): name taken by pool %u's, kept quarantined as '!dup-%u-%u'\n",
		pool->index, r->name, idx, other->pool->index, pool->index, idx);
	memset(r->name, 0, sizeof(r->name));
	snprintf(r->name, sizeof(r->name), "!dup-%u-%u", pool->index, idx);
	if (was_sound || r->quarantine == VMKEEP_Q_UNCLEARED)
		r->quarantine = VMKEEP_Q_NAME;
	r->flags &= ~VMKEEP_FMT_REPAIRED;
	r->flags |= VMKEEP_FMT_QUARANTINED;
	return was_sound;
}

/* What the restore of a pool's regions found. */
struct pool_restore_counts {
	u32 quarantined;
	u32 repaired;
	u32 held;
};

/* Entry @idx becomes a region of @pool: incoming, or quarantined. */
static int pool_restore_one(struct vmkeep_pool *pool,
			    struct vmkeep_fmt_region *r, u32 idx,
			    struct pool_restore_counts *c)
{
	struct vmkeep_luo_chunk *chunk;
	struct vmkeep_region *region;

	if ((r->flags & VMKEEP_FMT_LUO) && !r->quarantine) {
		chunk = kzalloc(sizeof(*chunk), GFP_KERNEL);
		if (!chunk)
			return -ENOMEM;
		chunk->fmt = *r;
		chunk->written = true;
		list_add_tail(&chunk->link, &pool->luo);
		pool->nr_luo++;
		pool->fmt.next_id = max(pool->fmt.next_id, r->id + 1);
		return 0;
	}
	c->quarantined += pool_rename_taken(pool, r, idx);
	region = vmkeep_region_new(pool, r, r->quarantine ?
				   VMKEEP_STATE_QUARANTINED :
				   VMKEEP_STATE_INCOMING);
	if (!region)
		return -ENOMEM;
	region->restored = true;
	list_add_tail(&region->link, &pool->regions);
	pool->nr_regions++;
	pool->fmt.next_id = max(pool->fmt.next_id, r->id + 1);
	if (!r->quarantine)
		vmkeep_node_add(region);
	else
		pr_warn("pool %u: region '%s' quarantined: %s\n", pool->index,
			r->name, vmkeep_quarantine_desc(r->quarantine));
	/* An uncleared entry is sound: nothing to keep both copies for. */
	c->held += r->quarantine && r->quarantine != VMKEEP_Q_UNCLEARED;
	if (r->flags & VMKEEP_FMT_REPAIRED) {
		c->repaired++;
		pr_warn("pool %u: region '%s' repaired from the other metadata copy\n",
			pool->index, r->name);
	}
	return 0;
}

static void pool_drop_luo(struct vmkeep_pool *pool)
{
	struct vmkeep_luo_chunk *chunk, *tmp;

	list_for_each_entry_safe(chunk, tmp, &pool->luo, link) {
		list_del(&chunk->link);
		kvfree(chunk->pages);
		kfree(chunk);
	}
	pool->nr_luo = 0;
}

/* Undo a restore that ran out of memory: nothing was written or opened. */
static void pool_unrestore(struct vmkeep_pool *pool)
{
	struct vmkeep_region *region, *tmp;

	list_for_each_entry_safe(region, tmp, &pool->regions, link) {
		vmkeep_node_remove(region);
		list_del(&region->link);
		vmkeep_region_put(region);
	}
	pool->nr_regions = 0;
	pool_drop_luo(pool);
	pool_rebuild(pool);
}

/**
 * vmkeep_pool_luo_reserve() - memory for a live update set
 * @pool: a ready pool, not held
 * @length: bytes, a multiple of %VMKEEP_FMT_UNIT
 *
 * The chunk is not written until its set is (vmkeep_luo_reboot()): a
 * kernel that stops before forgets it, and its memory is free again.
 *
 * Return: the chunk, in @pool's list, or an ERR_PTR (-ENOSPC, -ENOMEM).
 */
struct vmkeep_luo_chunk *vmkeep_pool_luo_reserve(struct vmkeep_pool *pool,
						 u64 length)
{
	struct vmkeep_luo_chunk *chunk;
	int ret;

	lockdep_assert_held(&vmkeep_lock);
	if (pool->fmt.state != VMKEEP_POOL_READY ||
	    (pool->flags & VMKEEP_POOL_HELD) ||
	    pool->nr_regions + pool->nr_luo >= VMKEEP_FMT_MAX_ENTRIES)
		return ERR_PTR(-ENOSPC);
	chunk = kzalloc(sizeof(*chunk), GFP_KERNEL);
	if (!chunk)
		return ERR_PTR(-ENOMEM);
	chunk->fmt.length = round_up(length, PAGE_SIZE << pool->page_order);
	chunk->fmt.flags = VMKEEP_FMT_LUO;
	ret = pool_reserve(pool, &chunk->fmt);
	if (ret) {
		kfree(chunk);
		return ERR_PTR(ret);
	}
	chunk->fmt.id = pool->fmt.next_id++;
	list_add_tail(&chunk->link, &pool->luo);
	pool->nr_luo++;
	return chunk;
}

/*
 * A chunk's memory goes back to @pool; the caller writes the metadata if
 * the chunk was in it.
 */
void vmkeep_pool_luo_drop(struct vmkeep_luo_chunk *chunk,
			  struct vmkeep_pool *pool)
{
	lockdep_assert_held(&vmkeep_lock);
	list_del(&chunk->link);
	pool->nr_luo--;
	kvfree(chunk->pages);
	kfree(chunk);
	pool_rebuild(pool);
}

/* A forced FORMAT: the pool's live update memory goes with the rest. */
void vmkeep_pool_luo_forget(struct vmkeep_pool *pool)
{
	lockdep_assert_held(&vmkeep_lock);
	pool_drop_luo(pool);
	pool_rebuild(pool);
}

/* The live, sound region of @pool with @id, or NULL. */
struct vmkeep_region *vmkeep_pool_region_by_id(struct vmkeep_pool *pool,
					       u64 id)
{
	struct vmkeep_region *region;

	lockdep_assert_held(&vmkeep_lock);
	list_for_each_entry(region, &pool->regions, link)
		if (region->fmt.id == id)
			return region;
	return NULL;
}

/*
 * Flags, the hold, the load-time write and the log line of a pool whose
 * regions are restored.
 */
static void pool_restored(struct vmkeep_pool *pool,
			  const struct pool_restore_counts *c, ktime_t t0)
{
	pool_rebuild(pool);
	if (pool->fmt.flags & VMKEEP_FMT_CLEAN)
		pool->flags |= VMKEEP_POOL_CLEAN_HANDOFF;
	pool->flags |= VMKEEP_POOL_RESTORED;
	if (c->held) {
		/*
		 * Writing now would overwrite the other copy, which may hold
		 * the last description of a quarantined region that is intact
		 * but did not fit the rest.  Keep both until the admin decides.
		 */
		pool->flags |= VMKEEP_POOL_HELD;
		pr_warn("pool %u: %u quarantined region%s not repaired: both metadata copies kept as found, no ALLOC from the pool and no clean mark until %s freed or the pool force-formatted\n",
			pool->index, c->held, c->held == 1 ? "" : "s",
			c->held == 1 ? "it is" : "they are");
	}
	if (pool->fmt.torn) {
		/*
		 * The entries are not those the header was written with: a
		 * bit flip, or entries of an earlier update that pass their
		 * own checksums, and which ones is not known.
		 */
		pool->flags |= VMKEEP_POOL_HELD;
		pr_warn("pool %u: the active metadata copy's entries do not match its header (an update torn by a reset): check its regions; both copies kept as found, no ALLOC from the pool and no clean mark until a region is freed or the pool force-formatted\n",
			pool->index);
	}
	/*
	 * Clear the clean mark: only an orderly shutdown writes it again.
	 * A held pool keeps the mark it had (nothing is written).
	 */
	vmkeep_pool_commit(pool, 0);
	pool->restore_ns = ktime_to_ns(ktime_sub(ktime_get(), t0));

	/* As vmkeepctl counts: every region found, quarantined ones too. */
	pr_info("pool %u [mem %pa+%#llx] node %d: %u regions restored, %u repaired, %u quarantined, generation %llu, %s handoff, %llu us (struct pages %llu us)\n",
		pool->index, &pool->base, pool->size, pool->node,
		pool->nr_regions, c->repaired, c->quarantined,
		pool->fmt.generation,
		(pool->flags & VMKEEP_POOL_CLEAN_HANDOFF) ? "clean" : "unclean",
		div_u64(pool->restore_ns, NSEC_PER_USEC),
		div_u64(pool->memremap_ns, NSEC_PER_USEC));
}

/* The regions of a ready pool, proven to be this host's. */
static int pool_restore(struct vmkeep_pool *pool)
{
	u32 i, n = pool->fmt.nr_entries;
	struct pool_restore_counts c = {};
	struct vmkeep_fmt_span *spans;
	struct vmkeep_fmt_region *r;
	ktime_t t0 = ktime_get();
	int ret = -ENOMEM;

	lockdep_assert_held(&vmkeep_lock);
	r = kvcalloc(n ?: 1, sizeof(*r), GFP_KERNEL);
	spans = kvcalloc((n ?: 1) * VMKEEP_FMT_MAX_EXTENTS, sizeof(*spans),
			 GFP_KERNEL);
	if (r && spans) {
		c.quarantined = vmkeep_fmt_regions(pool->va, &pool->fmt, r, spans);
		for (i = 0, ret = 0; i < n && !ret; i++)
			ret = pool_restore_one(pool, &r[i], i, &c);
	}
	kvfree(r);
	kvfree(spans);
	if (ret) {
		/* Keep the metadata as it is: nothing may be lost. */
		pool_unrestore(pool);
		pr_err("pool %u: out of memory restoring regions\n", pool->index);
		return ret;
	}
	pool_restored(pool, &c, t0);
	return 0;
}

/*
 * Read the metadata at load.  Valid metadata proves nothing about who
 * wrote it: the pool stays foreign until vmkeep_pool_trust().
 */
static void pool_read(struct vmkeep_pool *pool)
{
	pool->fmt.base = pool->base;
	pool->fmt.size = pool->size;
	pool->fmt.page_shift = PAGE_SHIFT + pool->page_order;
	vmkeep_fmt_read(pool->va, &pool->fmt);
	if (pool->fmt.state == VMKEEP_POOL_EMPTY) {
		if (!pool_find_shifted(pool))
			pr_info("pool %u [mem %pa+%#llx] node %d: no vmkeep metadata, unused until formatted: 'vmkeepctl format --pool %u' initialises a new pool\n",
				pool->index, &pool->base, pool->size,
				pool->node, pool->index);
		return;
	}
	if (pool->fmt.state == VMKEEP_POOL_DAMAGED) {
		pr_err("pool %u [mem %pa+%#llx]: metadata damaged (%s), left untouched until a forced format\n",
		       pool->index, &pool->base, pool->size,
		       vmkeep_damage_desc(pool->fmt.damage));
		return;
	}
	pool->fmt.state = VMKEEP_POOL_FOREIGN;
	if (vmkeep_fmt_has_id(&pool->fmt))
		pr_info("pool %u [mem %pa+%#llx]: metadata with %u regions, foreign until the host presents the pool's identity ('vmkeepctl load')\n",
			pool->index, &pool->base, pool->size,
			pool->fmt.nr_entries);
	else
		pr_warn("pool %u [mem %pa+%#llx]: metadata with %u regions but no pool identity (written before it existed, or not by vmkeep): foreign until adopted ('vmkeepctl adopt --pool %u') or formatted\n",
			pool->index, &pool->base, pool->size,
			pool->fmt.nr_entries, pool->index);
}

/**
 * vmkeep_pool_trust() - restore a foreign pool that proves to be the host's
 * @pool: the pool
 * @id: in: the identity the host keeps for it; out with @adopt: the new one
 * @adopt: the admin takes the metadata as it is, whatever its identity
 *
 * Return: 0 when the pool is ready, -EKEYREJECTED for a wrong or missing
 * identity, -EINVAL to adopt a pool that is not foreign, -EIO when the
 * metadata is no longer valid, -ENOMEM.
 */
int vmkeep_pool_trust(struct vmkeep_pool *pool, u8 *id, bool adopt)
{
	u8 found[VMKEEP_ID_LEN];

	lockdep_assert_held(&vmkeep_lock);
	if (pool->fmt.state == VMKEEP_POOL_READY && !adopt)
		return crypto_memneq(id, pool->fmt.id, VMKEEP_ID_LEN) ?
		       -EKEYREJECTED : 0;
	if (pool->fmt.state != VMKEEP_POOL_FOREIGN)
		return -EINVAL;
	if (pool->meta_bad)
		return -EIO;
	/* Read again: the pool is the module's, but root may write /dev/mem. */
	vmkeep_fmt_read(pool->va, &pool->fmt);
	if (pool->fmt.state != VMKEEP_POOL_READY) {
		pr_err("pool %u: metadata changed since load (%s): left untouched\n",
		       pool->index, vmkeep_pool_state_name(pool->fmt.state));
		pool->fmt.state = VMKEEP_POOL_FOREIGN;
		return -EIO;
	}
	if (!adopt && (!vmkeep_fmt_has_id(&pool->fmt) ||
		       crypto_memneq(id, pool->fmt.id, VMKEEP_ID_LEN))) {
		pool->fmt.state = VMKEEP_POOL_FOREIGN;
		pr_warn("pool %u [mem %pa+%#llx]: the identity presented is not the pool's: still foreign\n",
			pool->index, &pool->base, pool->size);
		return -EKEYREJECTED;
	}
	memcpy(found, pool->fmt.id, VMKEEP_ID_LEN);
	if (adopt)
		get_random_bytes(pool->fmt.id, sizeof(pool->fmt.id));
	if (pool_restore(pool)) {
		/* Nothing restored: the pool stays as it was, foreign. */
		pool->fmt.state = VMKEEP_POOL_FOREIGN;
		memcpy(pool->fmt.id, found, VMKEEP_ID_LEN);
		return -ENOMEM;
	}
	if (adopt) {
		memcpy(id, pool->fmt.id, VMKEEP_ID_LEN);
		pr_warn("pool %u [mem %pa+%#llx]: adopted by the admin as it was found, new identity\n",
			pool->index, &pool->base, pool->size);
	}
	return 0;
}

/*
 * Drops the regions of @list at unload; whether a page of one is still
 * held.
 */
static bool pool_drop(struct list_head *list)
{
	struct vmkeep_region *region, *tmp;
	bool held = false;

	list_for_each_entry_safe(region, tmp, list, link) {
		held = held || vmkeep_region_held(region);
		vmkeep_node_remove(region);
		list_del(&region->link);
		vmkeep_region_put(region);
	}
	return held;
}

/* Where @phys lies in @region, if it does. */
static bool region_offset_of(const struct vmkeep_region *region,
			     phys_addr_t phys, u64 *off)
{
	const struct vmkeep_fmt_region *r = &region->fmt;
	phys_addr_t base;
	u64 start = 0;
	u32 i;

	for (i = 0; i < r->nr_extents; start += r->extents[i++].length) {
		base = region->pool->base + r->extents[i].offset;
		if (phys >= base && phys - base < r->extents[i].length) {
			*off = start + (phys - base);
			return true;
		}
	}
	return false;
}

/*
 * Bad pages in @region's memory, as LIST reports them: each once, however
 * a quarantined entry's extents overlap.  Bad pages are few.
 */
u32 vmkeep_region_bad_pages(const struct vmkeep_region *region)
{
	unsigned long idx;
	void *entry;
	u32 n = 0;
	u64 off;

	xa_for_each(&region->pool->bad, idx, entry)
		n += region_offset_of(region, region->pool->base + PFN_PHYS(idx),
				      &off);
	return n;
}

/*
 * The region whose memory @phys is, and where: a sound one before a
 * quarantined one that claims the same memory (only a sound one maps).
 */
static struct vmkeep_region *pool_region_at(struct vmkeep_pool *pool,
					    phys_addr_t phys, u64 *off)
{
	struct list_head *lists[] = { &pool->regions, &pool->pending,
				      &pool->freed };
	struct vmkeep_region *region, *found = NULL;
	unsigned int i;
	u64 o;

	lockdep_assert_held(&vmkeep_lock);
	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		list_for_each_entry(region, lists[i], link) {
			if (!region_offset_of(region, phys, &o))
				continue;
			if (!found || found->state == VMKEEP_STATE_QUARANTINED) {
				found = region;
				*off = o;
			}
		}
	}
	return found;
}

/*
 * The metadata was hit: nothing reads or writes it again in this load (no
 * commit, clean mark, FORMAT or TRUST), as x86 may take the page out of
 * the kernel's mapping.  The pool is held: ALLOC skips it, its regions
 * stay; the next kernel finds the copies as they were.
 */
static void pool_meta_failed(struct vmkeep_pool *pool, u64 poff)
{
	lockdep_assert_held(&vmkeep_lock);
	if (pool->meta_bad)
		return;
	pool->meta_bad = true;
	pool->flags |= VMKEEP_POOL_HELD;
	pr_err("pool %u: memory failure in the pool's metadata at offset %#llx: pool held, its metadata neither read nor written again until the module is unloaded (no commit, no clean mark, no format)\n",
	       pool->index, poff);
}

/*
 * A memory failure hit the page at @phys: record it, keep its unit out of
 * the allocator, and take every mapping of it away.  Return: 0; -EBUSY for
 * a page of the metadata, which the module cannot stop using at once (so
 * memory_failure() says it was not recovered, and x86 keeps the page in
 * the kernel's mapping); -ENOMEM when it could not be recorded (then
 * faults and read/write do not know it: memory_failure() says it was not
 * recovered, and x86 kills the process that consumed it).
 */
static int pool_page_failed(struct vmkeep_pool *pool, phys_addr_t phys)
{
	const u64 page = PAGE_SIZE << pool->page_order;
	u64 poff = phys - pool->base, off = 0;
	struct vmkeep_region *region;
	int ret;

	scoped_guard(mutex, &vmkeep_lock) {
		ret = xa_insert(&pool->bad, PHYS_PFN(poff), xa_mk_value(0),
				GFP_KERNEL);
		if (ret == -ENOMEM)
			pr_err("pool %u: memory failure at offset %#llx (pfn %#lx): no memory to record it\n",
			       pool->index, poff, PHYS_PFN(phys));
		if (poff < VMKEEP_FMT_META_SIZE) {
			pool_meta_failed(pool, poff);
			return -EBUSY;
		}
		/* Unrecorded too: nothing new maps it, its mappings go. */
		bitmap_set(pool->used, ALIGN_DOWN(poff, page) >> UNIT_SHIFT,
			   page >> UNIT_SHIFT);
		region = pool_region_at(pool, phys, &off);
		if (region)
			kref_get(&region->kref);
		/* -EBUSY: known already; its mappings are taken again. */
		if (!ret && region)
			pr_err("region '%s': memory failure at offset %#llx (pfn %#lx): unmapped, SIGBUS to any process that touches it; its memory is not reused until the module is unloaded\n",
			       region->fmt.name, off, PHYS_PFN(phys));
		else if (!ret)
			pr_err("pool %u: memory failure at offset %#llx (pfn %#lx), in no region: not reused until the module is unloaded\n",
			       pool->index, poff, PHYS_PFN(phys));
	}
	if (region) {
		/* No clearer is left in the page when the op returns. */
		vmkeep_zero_sync(region, off);
		vmkeep_region_unmap_bad(region, off);
		vmkeep_region_put(region);
	}
	return ret == -ENOMEM ? ret : 0;
}

/*
 * memory_failure() of pages of a pool: a machine check, or injection
 * (madvise(MADV_HWPOISON), hwpoison's corrupt-pfn).  Called in process
 * context with memory_failure()'s mutex and a reference on @pgmap, which
 * keeps the pool and the module (pool_destroy()).  Never -EOPNOTSUPP:
 * the generic handler behind it would follow folio->mapping.
 */
static int vmkeep_memory_failure(struct dev_pagemap *pgmap, unsigned long pfn,
				 unsigned long nr_pages, int mf_flags)
{
	struct vmkeep_pool *pool = container_of(pgmap, struct vmkeep_pool, pgmap);
	unsigned long i;
	int ret = 0;

	for (i = 0; i < nr_pages && !ret; i++)
		ret = pool_page_failed(pool, PFN_PHYS(pfn + i));
	return ret;
}

static const struct dev_pagemap_ops vmkeep_pgmap_ops = {
	.memory_failure = vmkeep_memory_failure,
};

/* Give the range back: its struct pages are gone, or were never made. */
static void pool_release(struct vmkeep_pool *pool)
{
	release_mem_region(pool->base, pool->size);
	xa_destroy(&pool->bad);
	bitmap_free(pool->used);
	kfree(pool->name);
	kfree(pool);
}

/*
 * At unload no file or inode is left, nor a freed region with a held page
 * once its FREE was written (each holds the module), but freed regions
 * whose FREE was never written (a held pool) may be, and a page of one or
 * of a live region may still be in a pipe: then the struct pages, the
 * pool and its resource stay, and the pool is refused by the next load
 * until reboot.  Such a pool is made unreachable first: its pgmap's
 * ->memory_failure op is the module's code (vmkeep_pgmap_kill()).
 *
 * Never under vmkeep_lock: both memunmap_pages() and vmkeep_pgmap_kill()
 * wait for every reference on the pgmap, and memory_failure() holds one
 * while vmkeep_memory_failure() waits for vmkeep_lock.
 */
static void pool_destroy(struct vmkeep_pool *pool, bool held)
{
	lockdep_assert_not_held(&vmkeep_lock);
	if (held) {
		vmkeep_pgmap_kill(&pool->pgmap);
		pr_err("pool %u [mem %pa+%#llx]: pages still held, pool left claimed until reboot, its memory failures no longer reported\n",
		       pool->index, &pool->base, pool->size);
		return;
	}
	memunmap_pages(&pool->pgmap);
	pool_release(pool);
}

/*
 * Why [@base, @base + @size) cannot be a pool, or NULL if it can.  @fw:
 * the firmware's memory map, or NULL when it could not be read; @buf:
 * room for a reason that names a range of it.
 */
static const char *pool_check_range(phys_addr_t base, u64 size,
				    unsigned int order,
				    const struct vmkeep_fwmap *fw,
				    char *buf, size_t len)
{
	if (!size || !IS_ALIGNED(base | size, VMKEEP_FMT_UNIT))
		return "not 2 MiB aligned";
	if (order == PUD_ORDER && !IS_ALIGNED(base | size, PUD_SIZE))
		return "pages of 1 GiB need a pool 1 GiB aligned in base and size";
	if (order == PUD_ORDER && size < 2 * PUD_SIZE)
		return "pages of 1 GiB need a pool of 2 GiB or more";
	if (size < VMKEEP_FMT_META_SIZE + VMKEEP_FMT_UNIT)
		return "smaller than 4 MiB";
	if (base + size < base)
		return "wraps around";
	/*
	 * First: memmap= makes any range reserved, and a range that is not
	 * RAM must not be told to reserve itself with memmap=.
	 */
	if (fw && !vmkeep_fwmap_is_ram(fw, base, size, buf, len))
		return buf;
	if (region_intersects(base, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return "overlaps System RAM (reserve it with memmap=SIZE$ADDR)";
	if (region_intersects(base, size, IORESOURCE_MEM,
			      IORES_DESC_RESERVED) != REGION_INTERSECTS)
		return "not entirely reserved memory (memmap=SIZE$ADDR)";
	if (vmkeep_nr_pools == VMKEEP_MAX_POOLS)
		return "too many pools";
	return NULL;
}

/* Claim a checked range, give it struct pages and restore its regions. */
static int pool_create(phys_addr_t base, u64 size, unsigned int order)
{
	struct vmkeep_pool *pool;
	ktime_t t0;
	void *va;
	int ret;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return -ENOMEM;
	pool->name = kstrdup(KBUILD_MODNAME, GFP_KERNEL);
	pool->nr_units = size >> UNIT_SHIFT;
	pool->used = bitmap_zalloc(pool->nr_units, GFP_KERNEL);
	if (!pool->name || !pool->used) {
		ret = -ENOMEM;
		goto err_free;
	}
	if (!request_mem_region(base, size, pool->name)) {
		pr_err("pool [mem %pa+%#llx] refused: already claimed\n",
		       &base, size);
		ret = -EBUSY;
		goto err_free;
	}
	pool->index = vmkeep_nr_pools;
	pool->base = base;
	pool->size = size;
	pool->node = phys_to_target_node(base);
	pool->page_order = order;
	INIT_LIST_HEAD(&pool->regions);
	INIT_LIST_HEAD(&pool->pending);
	INIT_LIST_HEAD(&pool->freed);
	INIT_LIST_HEAD(&pool->luo);
	xa_init(&pool->bad);
	bitmap_set(pool->used, 0, pool_meta_units(pool));

	pool->pgmap.type = MEMORY_DEVICE_GENERIC;
	pool->pgmap.range.start = base;
	pool->pgmap.range.end = base + size - 1;
	pool->pgmap.nr_range = 1;
	pool->pgmap.vmemmap_shift = order;
	t0 = ktime_get();
	va = memremap_pages(&pool->pgmap, pool->node);
	pool->memremap_ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	if (IS_ERR(va)) {
		pr_err("pool [mem %pa+%#llx] refused: no struct pages: %pe\n",
		       &base, size, va);
		pool_release(pool);
		return PTR_ERR(va);
	}
	pool->va = va;
	/*
	 * Only now: memremap_pages() tears a pgmap down on failure, waiting
	 * for its references, under vmkeep_lock here, which the op takes.
	 * Until the store memory_failure() finds no op, and its generic
	 * handler refuses a page that names no mapping (EBUSY).
	 */
	WRITE_ONCE(pool->pgmap.ops, &vmkeep_pgmap_ops);
	if (pool->node == NUMA_NO_NODE)
		pool->node = page_to_nid(virt_to_page(va));

	pool_read(pool);
	vmkeep_pools[vmkeep_nr_pools++] = pool;
	return 0;

err_free:
	bitmap_free(pool->used);
	kfree(pool->name);
	kfree(pool);
	return ret;
}

static void pools_add(const char *param, const struct vmkeep_fwmap *fw)
{
	const char *p = param;
	unsigned int order;
	char buf[160];
	const char *why;
	phys_addr_t base;
	char *end;
	u64 size;

	guard(mutex)(&vmkeep_lock);
	while (p && *p) {
		size = memparse(p, &end);
		if (*end != '@') {
			pr_err("pools=%s: expected SIZE@ADDR at '%s'\n", param, p);
			return;
		}
		base = memparse(end + 1, &end);
		order = HPAGE_PMD_ORDER;
		if (!strncmp(end, ":1G", 3)) {
			order = PUD_ORDER;
			end += 3;
		}
		if (*end && *end != ',') {
			pr_err("pools=%s: expected ',' at '%s'\n", param, end);
			return;
		}
		why = pool_check_range(base, size, order, fw, buf, sizeof(buf));
		if (why)
			pr_err("pool [mem %pa+%#llx] refused: %s\n", &base, size, why);
		else
			pool_create(base, size, order);
		p = *end ? end + 1 : end;
	}
}

/**
 * vmkeep_pools_init() - claim and restore the pools named by @param
 * @param: "SIZE@ADDR[:1G][,SIZE@ADDR[:1G]...]", sizes with K/M/G/T
 *         suffixes; ":1G" makes a pool of 1 GiB pages
 *
 * A pool that fails is refused with one log line; the others still work.
 * The firmware's map is read first, without vmkeep_lock: it is file I/O.
 */
void vmkeep_pools_init(const char *param)
{
	struct vmkeep_fwmap *fw;

	if (!param || !*param)
		return;
	fw = vmkeep_fwmap_read();
	pools_add(param, fw);
	vmkeep_fwmap_free(fw);
}

/*
 * Unload: the regions go under vmkeep_lock, the struct pages after it
 * (pool_destroy()).
 */
void vmkeep_pools_exit(void)
{
	struct vmkeep_pool *pools[VMKEEP_MAX_POOLS];
	bool held[VMKEEP_MAX_POOLS];
	unsigned int i, n;

	scoped_guard(mutex, &vmkeep_lock) {
		n = vmkeep_nr_pools;
		for (i = 0; i < n; i++) {
			pools[i] = vmkeep_pools[i];
			held[i] = pool_drop(&pools[i]->regions);
			held[i] = pool_drop(&pools[i]->freed) || held[i];
			pool_drop_luo(pools[i]);
		}
		vmkeep_nr_pools = 0;
	}
	while (n--)
		pool_destroy(pools[n], held[n]);
}
