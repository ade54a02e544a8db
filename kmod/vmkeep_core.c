// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: vmkeep core
 *
 * /dev/vmkeep and its ioctls (include/uapi/linux/vmkeep.h), the clean
 * mark written on the way into kexec, a read-only debugfs view, and, in
 * the test build only, the crash-injection knob of the crash tests
 * (debugfs crash_after_write).
 *
 * One mutex, vmkeep_lock, serialises every change of pools, regions and
 * metadata: changes are rare (a VM starts or stops) and each is written
 * through to the pool at once.  The data path - faults, read, write -
 * takes no lock.  Nothing that can wait on userspace or take long runs
 * under it: replies are built in kernel memory and copied out after the
 * unlock, memory is cleared at first touch or in the background
 * (vmkeep_zero.c), and pages are checked for holders by the reaper.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/reboot.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <vmkeep/names.h>

#include "vmkeep_compat.h"
#include "vmkeep_internal.h"

/* Serialises every change of pools, regions and on-pool metadata. */
DEFINE_MUTEX(vmkeep_lock);

static char *pools;
module_param(pools, charp, 0444);
MODULE_PARM_DESC(pools, "SIZE@ADDR[:1G][,SIZE@ADDR[:1G]...]: reserved ranges (memmap=SIZE$ADDR) to keep regions in");

static bool luo;
module_param(luo, bool, 0444);
MODULE_PARM_DESC(luo, "provide /dev/liveupdate, mainline's live update uAPI, on a kernel without its own (default off: systemd uses any /dev/liveupdate it finds)");

static unsigned int max_regions = VMKEEP_FMT_MAX_ENTRIES;
module_param(max_regions, uint, 0444);
MODULE_PARM_DESC(max_regions, "regions per pool, at most 4094 (what one metadata copy holds)");

#if VMKEEP_FAULT_INJECT
module_param_named(crash_after_write, vmkeep_crash_after, uint, 0400);
MODULE_PARM_DESC(crash_after_write, "test build only: stop writing metadata after this write step (see debugfs vmkeep/crash_after_write)");
#endif

/*
 * Frozen: ALLOC, FREE, FINISH and FORMAT refused, metadata as FREEZE
 * wrote it.  Set by a FREEZE that completed, cleared by THAW; set for
 * good by the reboot notifier (@vmkeep_shutdown).  A FREEZE still waiting
 * for the zeroer freezes too, until it returns: so a killed FREEZE leaves
 * the module frozen only while another one waits or after one completed,
 * however they overlap.  THAW ends the waiting ones too: each FREEZE
 * notes the THAW count when it starts.
 */
static bool vmkeep_frozen;
static bool vmkeep_shutdown;
static unsigned int vmkeep_nr_freezing;
static u64 vmkeep_thaw_gen;

static bool vmkeep_is_frozen(void)
{
	lockdep_assert_held(&vmkeep_lock);
	return vmkeep_frozen || vmkeep_nr_freezing;
}

/* Copy the answer back, no more than the caller's structure holds. */
int vmkeep_respond(struct vmkeep_ucmd *ucmd, size_t size)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd, min_t(size_t, ucmd->user_size, size)))
		return -EFAULT;
	return 0;
}

static bool region_is_owner(const struct vmkeep_region *region,
			    struct vmkeep_caller *caller)
{
	return uid_eq(current_fsuid(), make_kuid(&init_user_ns, region->fmt.uid)) ||
	       vmkeep_caller_is_admin(caller);
}

enum region_access { REGION_FREE, REGION_FINISH, REGION_OPEN };

/*
 * Whether the owner and mode stored for @region are believed.  Those of a
 * region quarantined for its own entry (checksum, fields, name, extents),
 * for memory another entry claims too, or for a name another pool's
 * region has are not: nothing vouches for the bytes they came from.  An
 * uncleared region's entry is sound, as its kernel wrote it.
 */
static bool region_owner_trusted(const struct vmkeep_region *region)
{
	return region->state != VMKEEP_STATE_QUARANTINED ||
	       region->fmt.quarantine == VMKEEP_Q_UNCLEARED;
}

/**
 * region_lookup() - the live region @name, if the caller may use it
 * @name: from userspace: terminated and non-empty, or -EINVAL
 * @access: %REGION_FREE, %REGION_FINISH (owner or admin) or %REGION_OPEN
 *          (GET: the region's mode)
 *
 * A quarantined region is never opened or finished, whoever asks (-EIO),
 * and only CAP_SYS_ADMIN may free one whose owner is not believed
 * (region_owner_trusted()): freeing it may end the pool's hold and
 * overwrite the last copy of its entry.
 *
 * Return: the region, -ENOENT (also while its ALLOC is still running),
 * -EIO or -EACCES.
 */
static struct vmkeep_region *region_lookup(char *name, enum region_access access)
{
	struct vmkeep_caller caller = VMKEEP_CALLER_INIT;
	struct vmkeep_region *region;
	bool ok;

	lockdep_assert_held(&vmkeep_lock);
	if (!memchr(name, 0, VMKEEP_NAME_LEN) || !name[0])
		return ERR_PTR(-EINVAL);
	region = vmkeep_region_find(name, false);
	if (!region)
		return ERR_PTR(-ENOENT);
	if (region->state == VMKEEP_STATE_QUARANTINED && access != REGION_FREE)
		return ERR_PTR(-EIO);
	if (!region_owner_trusted(region))
		ok = vmkeep_caller_is_admin(&caller);
	else if (access == REGION_OPEN)
		ok = vmkeep_region_may_open(region, &caller);
	else
		ok = region_is_owner(region, &caller);
	return ok ? region : ERR_PTR(-EACCES);
}

/*
 * Hand out a file for @region, which the caller has claimed and holds a
 * reference on, as a new fd: reserve the fd, build the file, tell
 * userspace, and only then install it.  Runs without vmkeep_lock: the
 * reply may fault on userspace memory.
 */
static int region_install_fd(struct vmkeep_region *region,
			     struct vmkeep_ucmd *ucmd, s32 *out_fd, size_t size)
{
	struct file *file;
	int fd, ret;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_unclaim;
	}
	file = vmkeep_region_file(region);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_put_fd;
	}
	*out_fd = fd;
	ret = vmkeep_respond(ucmd, size);
	if (ret)
		goto err_put_file;
	fd_install(fd, file);
	return 0;

err_put_file:
	/* The file's release gives up the claim. */
	fput(file);
	put_unused_fd(fd);
	return ret;
err_put_fd:
	put_unused_fd(fd);
err_unclaim:
	vmkeep_region_unclaim(region);
	return ret;
}

/*
 * The ready pool with the most free memory that can take @cmd; no side
 * effect.  Pools never formatted are not used (@empty says one was
 * there), nor are held ones.
 */
static struct vmkeep_pool *pool_pick(const struct vmkeep_alloc *cmd,
				     bool *empty)
{
	bool want_1g = cmd->flags & VMKEEP_ALLOC_ALIGN_1G, pages_1g;
	struct vmkeep_pool *pool, *best = NULL;
	u64 free, best_free = 0;
	unsigned int i;

	lockdep_assert_held(&vmkeep_lock);
	*empty = false;
	for (i = 0; i < vmkeep_nr_pools; i++) {
		pool = vmkeep_pools[i];
		if ((cmd->flags & VMKEEP_ALLOC_NODE) && pool->node != cmd->node)
			continue;
		if (pool->fmt.state == VMKEEP_POOL_EMPTY)
			*empty = true;
		if (pool->fmt.state != VMKEEP_POOL_READY ||
		    (pool->flags & VMKEEP_POOL_HELD))
			continue;
		/* 1 GiB pages are for 1 GiB aligned regions only. */
		pages_1g = pool->page_order == PUD_ORDER;
		if (want_1g != pages_1g)
			continue;
		if (pool->nr_regions >= max_regions ||
		    pool->nr_regions + pool->nr_luo >= VMKEEP_FMT_MAX_ENTRIES)
			continue;
		free = vmkeep_pool_free_bytes(pool);
		if (free >= cmd->length && free > best_free) {
			best = pool;
			best_free = free;
		}
	}
	return best;
}

#define VMKEEP_ALLOC_FLAGS \
	(VMKEEP_REGION_EXCLUSIVE | VMKEEP_ALLOC_NODE | VMKEEP_ALLOC_OWNER | \
	 VMKEEP_ALLOC_ALIGN_1G)

/* The region ALLOC asks for, checked; the extents come later. */
static int alloc_describe(const struct vmkeep_alloc *cmd,
			  struct vmkeep_fmt_region *r)
{
	if (cmd->flags & ~VMKEEP_ALLOC_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->mode & ~0777 ||
	    vmkeep_fmt_check_name(cmd->name, sizeof(cmd->name)) ||
	    !cmd->length || !IS_ALIGNED(cmd->length, VMKEEP_ALIGN))
		return -EINVAL;
	if ((cmd->flags & VMKEEP_ALLOC_ALIGN_1G) &&
	    !IS_ALIGNED(cmd->length, VMKEEP_ALIGN_1G))
		return -EINVAL;
	if (!(cmd->flags & VMKEEP_ALLOC_NODE) && cmd->node)
		return -EINVAL;
	if (cmd->flags & VMKEEP_ALLOC_OWNER) {
		if (!uid_valid(make_kuid(&init_user_ns, cmd->uid)) ||
		    !gid_valid(make_kgid(&init_user_ns, cmd->gid)))
			return -EINVAL;
		if (!capable(CAP_CHOWN))
			return -EPERM;
		r->uid = cmd->uid;
		r->gid = cmd->gid;
	} else {
		if (cmd->uid || cmd->gid)
			return -EINVAL;
		r->uid = from_kuid_munged(&init_user_ns, current_fsuid());
		r->gid = from_kgid_munged(&init_user_ns, current_fsgid());
	}
	strscpy(r->name, cmd->name, sizeof(r->name));
	r->length = cmd->length;
	r->mode = cmd->mode ?: 0600;
	r->flags = cmd->flags & VMKEEP_REGION_EXCLUSIVE ? VMKEEP_FMT_EXCLUSIVE : 0;
	return 0;
}

/* Reserve memory for a new region, pending until it is published. */
static struct vmkeep_region *alloc_reserve(const struct vmkeep_alloc *cmd,
					   const struct vmkeep_fmt_region *r)
{
	struct vmkeep_pool *pool;
	bool empty;

	guard(mutex)(&vmkeep_lock);
	if (vmkeep_is_frozen())
		return ERR_PTR(-EBUSY);
	if (!vmkeep_nr_pools)
		return ERR_PTR(-ENODEV);
	if (vmkeep_region_find(r->name, true))
		return ERR_PTR(-EEXIST);
	pool = pool_pick(cmd, &empty);
	if (!pool)
		return ERR_PTR(empty ? -ENOMEDIUM : -ENOSPC);
	return vmkeep_pool_add_region(pool, r);
}

/*
 * The region goes into the metadata, claimed for the ALLOC's own file;
 * or it is dropped, when a FREEZE came meanwhile.
 */
static int alloc_publish(struct vmkeep_region *region)
{
	scoped_guard(mutex, &vmkeep_lock) {
		if (!vmkeep_is_frozen()) {
			vmkeep_pool_publish_region(region);
			return vmkeep_region_claim(region, NULL);
		}
		vmkeep_pool_remove_region(region);
	}
	vmkeep_pools_reap();
	return -EBUSY;
}

/*
 * ALLOC could not tell userspace about the fd: the region goes again,
 * unless a FREEZE or the clean mark came meanwhile: the metadata must not
 * change then, and the region stays for a FREE after THAW.  As after
 * FREE, its memory is back in the pool on return.
 */
static void alloc_undo(struct vmkeep_region *region)
{
	scoped_guard(mutex, &vmkeep_lock) {
		if (region->freed || vmkeep_is_frozen())
			return;
		vmkeep_pool_remove_region(region);
	}
	vmkeep_nodes_flush();
	vmkeep_zero_wait(region);
	vmkeep_pools_reap();
}

static int vmkeep_ioc_alloc(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_alloc *cmd = ucmd->cmd;
	struct vmkeep_fmt_region r = {};
	struct vmkeep_region *region;
	int ret;

	ret = alloc_describe(cmd, &r);
	if (ret)
		return ret;
	/* Memory held by freed regions may be free by now. */
	vmkeep_pools_reap();
	region = alloc_reserve(cmd, &r);
	if (IS_ERR(region))
		return PTR_ERR(region);

	/* The pool's reference: it stays on a list until the reaper runs. */
	kref_get(&region->kref);
	ret = alloc_publish(region);
	vmkeep_nodes_flush();
	if (!ret) {
		ret = region_install_fd(region, ucmd, &cmd->out_fd, sizeof(*cmd));
		if (ret)
			alloc_undo(region);
	}
	vmkeep_region_put(region);
	return ret;
}

static int vmkeep_ioc_get(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_get *cmd = ucmd->cmd;
	struct vmkeep_region *region;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	scoped_guard(mutex, &vmkeep_lock) {
		region = region_lookup(cmd->name, REGION_OPEN);
		if (IS_ERR(region))
			return PTR_ERR(region);
		ret = vmkeep_region_claim(region, NULL);
		if (ret)
			return ret;
		kref_get(&region->kref);
	}
	ret = region_install_fd(region, ucmd, &cmd->out_fd, sizeof(*cmd));
	vmkeep_region_put(region);
	return ret;
}

static void region_info(const struct vmkeep_region *region,
			struct vmkeep_region_info *info)
{
	strscpy(info->name, region->fmt.name, sizeof(info->name));
	info->length = region->fmt.length;
	info->id = region->fmt.id;
	info->uid = region->fmt.uid;
	info->gid = region->fmt.gid;
	info->mode = region->fmt.mode;
	info->flags = (region->fmt.flags & VMKEEP_FMT_EXCLUSIVE ?
		       VMKEEP_REGION_EXCLUSIVE : 0) |
		      (region->fmt.flags & VMKEEP_FMT_REPAIRED ?
		       VMKEEP_REGION_REPAIRED : 0);
	info->state = region->state;
	info->quarantine = region->fmt.quarantine;
	info->node = region->pool->node;
	info->pool = region->pool->index;
	info->nr_extents = region->fmt.nr_extents;
	info->nr_open = region->nr_open;
	info->nr_mapped = atomic_read(&region->nr_mapped);
	info->nr_bad_pages = vmkeep_region_bad_pages(region);
}

/* Live regions; pending ones are not there yet, freed ones no more. */
static u32 regions_count(void)
{
	struct vmkeep_region *region;
	unsigned int i;
	u32 n = 0;

	lockdep_assert_held(&vmkeep_lock);
	for (i = 0; i < vmkeep_nr_pools; i++)
		list_for_each_entry(region, &vmkeep_pools[i]->regions, link)
			n++;
	return n;
}

/*
 * LIST and STATUS: copy an array built under vmkeep_lock to userspace,
 * or say how many entries it needs.  @items is freed.
 */
static int respond_array(struct vmkeep_ucmd *ucmd, size_t size,
			 void __user *uptr, void *items, size_t item_size,
			 u32 n, u32 *num)
{
	int ret = 0;

	if (n > *num)
		ret = -EMSGSIZE;
	else if (copy_to_user(uptr, items, (size_t)n * item_size))
		ret = -EFAULT;
	kvfree(items);
	if (ret == -EFAULT)
		return ret;
	*num = n;
	return vmkeep_respond(ucmd, size) ?: ret;
}

static int vmkeep_ioc_list(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_list *cmd = ucmd->cmd;
	struct vmkeep_region_info *info = NULL;
	struct vmkeep_region *region;
	u32 i, n;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	scoped_guard(mutex, &vmkeep_lock) {
		n = regions_count();
		if (n > cmd->num_regions)
			break;
		info = kvcalloc(n ?: 1, sizeof(*info), GFP_KERNEL);
		if (!info)
			return -ENOMEM;
		n = 0;
		for (i = 0; i < vmkeep_nr_pools; i++)
			list_for_each_entry(region, &vmkeep_pools[i]->regions, link)
				region_info(region, &info[n++]);
	}
	return respond_array(ucmd, sizeof(*cmd), u64_to_user_ptr(cmd->regions),
			     info, sizeof(*info), n, &cmd->num_regions);
}

static int vmkeep_ioc_free(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_free *cmd = ucmd->cmd;
	struct vmkeep_region *region;

	if (cmd->flags)
		return -EOPNOTSUPP;
	scoped_guard(mutex, &vmkeep_lock) {
		region = region_lookup(cmd->name, REGION_FREE);
		if (IS_ERR(region))
			return PTR_ERR(region);
		if (vmkeep_is_frozen())
			return -EBUSY;
		vmkeep_pool_remove_region(region);
		kref_get(&region->kref);
	}
	vmkeep_nodes_flush();
	vmkeep_zero_wait(region);
	vmkeep_region_put(region);
	vmkeep_pools_reap();
	return 0;
}

static void finish_all(void)
{
	struct vmkeep_caller caller = VMKEEP_CALLER_INIT;
	struct vmkeep_region *region;
	unsigned int i;

	lockdep_assert_held(&vmkeep_lock);
	for (i = 0; i < vmkeep_nr_pools; i++)
		list_for_each_entry(region, &vmkeep_pools[i]->regions, link)
			if (region->state == VMKEEP_STATE_INCOMING &&
			    region_is_owner(region, &caller))
				region->state = VMKEEP_STATE_ACTIVE;
}

static int vmkeep_ioc_finish(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_finish *cmd = ucmd->cmd;
	struct vmkeep_region *region;

	if (cmd->flags & ~VMKEEP_FINISH_ALL)
		return -EOPNOTSUPP;
	guard(mutex)(&vmkeep_lock);
	if (cmd->flags & VMKEEP_FINISH_ALL) {
		if (memchr_inv(cmd->name, 0, sizeof(cmd->name)))
			return -EINVAL;
		if (vmkeep_is_frozen())
			return -EBUSY;
		finish_all();
		return 0;
	}
	region = region_lookup(cmd->name, REGION_FINISH);
	if (IS_ERR(region))
		return PTR_ERR(region);
	if (vmkeep_is_frozen())
		return -EBUSY;
	region->state = VMKEEP_STATE_ACTIVE;
	return 0;
}

static int vmkeep_ioc_freeze(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_freeze *cmd = ucmd->cmd;
	struct vmkeep_region *region;
	unsigned int i;
	int killed;
	u64 gen;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	scoped_guard(mutex, &vmkeep_lock) {
		vmkeep_nr_freezing++;
		gen = vmkeep_thaw_gen;
	}
	/* Untouched memory of new regions is cleared before the kexec. */
	killed = vmkeep_zero_drain(true);
	scoped_guard(mutex, &vmkeep_lock) {
		/* A THAW came during the wait, and ended this freeze too. */
		if (gen != vmkeep_thaw_gen)
			return killed ?: -EBUSY;
		vmkeep_nr_freezing--;
		if (killed)
			return killed;
		vmkeep_frozen = true;
		cmd->out_mapped = 0;
		for (i = 0; i < vmkeep_nr_pools; i++) {
			/* The reboot notifier's clean mark is the last write. */
			if (!vmkeep_shutdown)
				vmkeep_pool_commit(vmkeep_pools[i], 0);
			list_for_each_entry(region, &vmkeep_pools[i]->regions, link)
				cmd->out_mapped += !!atomic_read(&region->nr_mapped);
		}
	}
	return vmkeep_respond(ucmd, sizeof(*cmd));
}

static int vmkeep_ioc_thaw(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_thaw *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	guard(mutex)(&vmkeep_lock);
	if (vmkeep_shutdown)
		return -EBUSY;
	vmkeep_frozen = false;
	vmkeep_nr_freezing = 0;
	vmkeep_thaw_gen++;
	return 0;
}

static void pool_info(const struct vmkeep_pool *pool,
		      struct vmkeep_pool_info *info)
{
	const struct vmkeep_region *region;

	lockdep_assert_held(&vmkeep_lock);
	info->base = pool->base;
	info->length = pool->size;
	info->free = vmkeep_pool_free_bytes(pool);
	info->generation = pool->fmt.generation;
	info->handoffs = pool->fmt.handoffs;
	info->restore_ns = pool->restore_ns;
	info->meta_bytes = pool->fmt.state == VMKEEP_POOL_READY ?
		VMKEEP_FMT_HEADER_SIZE +
		(u64)pool->nr_regions * VMKEEP_FMT_ENTRY_SIZE : 0;
	info->node = pool->node;
	info->state = pool->fmt.state;
	info->damage = pool->fmt.damage;
	info->flags = pool->flags |
		      (pool->page_order == PUD_ORDER ? VMKEEP_POOL_PAGES_1G : 0) |
		      (xa_empty(&pool->bad) ? 0 : VMKEEP_POOL_BAD_PAGES);
	info->nr_regions = pool->nr_regions;
	list_for_each_entry(region, &pool->regions, link) {
		info->nr_incoming += region->state == VMKEEP_STATE_INCOMING;
		info->nr_quarantined += region->state == VMKEEP_STATE_QUARANTINED;
		info->nr_repaired += !!(region->fmt.flags & VMKEEP_FMT_REPAIRED);
	}
}

static int vmkeep_ioc_status(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_status *cmd = ucmd->cmd;
	struct vmkeep_pool_info *info = NULL;
	unsigned int i, n;

	if (cmd->flags)
		return -EOPNOTSUPP;
	vmkeep_pools_reap();
	scoped_guard(mutex, &vmkeep_lock) {
		cmd->out_flags = vmkeep_is_frozen() ? VMKEEP_STATUS_FROZEN : 0;
		n = vmkeep_nr_pools;
		if (n > cmd->num_pools)
			break;
		info = kcalloc(n ?: 1, sizeof(*info), GFP_KERNEL);
		if (!info)
			return -ENOMEM;
		for (i = 0; i < n; i++)
			pool_info(vmkeep_pools[i], &info[i]);
	}
	return respond_array(ucmd, sizeof(*cmd), u64_to_user_ptr(cmd->pools),
			     info, sizeof(*info), n, &cmd->num_pools);
}

/*
 * The region of @pool that the zeroer clears (one at most), with a
 * reference: FORMAT waits for it, as FREE does, and reaps it itself while
 * it holds the module (vmkeep_zero.c).
 */
static struct vmkeep_region *pool_zero_busy(struct vmkeep_pool *pool)
{
	struct vmkeep_region *region;

	lockdep_assert_held(&vmkeep_lock);
	list_for_each_entry(region, &pool->regions, link) {
		if (region->zero_busy) {
			kref_get(&region->kref);
			return region;
		}
	}
	return NULL;
}

/* Whether FORMAT may drop the pool's regions: none open or in the making. */
static bool pool_busy(const struct vmkeep_pool *pool)
{
	const struct vmkeep_region *region;

	lockdep_assert_held(&vmkeep_lock);
	if (!list_empty(&pool->pending) || !list_empty(&pool->freed))
		return true;
	list_for_each_entry(region, &pool->regions, link)
		if (region->nr_open)
			return true;
	return false;
}

/* The pool an admin ioctl names, while vmkeep is not frozen for kexec. */
static struct vmkeep_pool *pool_lookup(u32 index)
{
	lockdep_assert_held(&vmkeep_lock);
	if (index >= vmkeep_nr_pools)
		return ERR_PTR(-ENOENT);
	if (vmkeep_is_frozen())
		return ERR_PTR(-EBUSY);
	return vmkeep_pools[index];
}

/*
 * FORMAT's checks and the format.  Live update sets (vmkeep_luo.c) go
 * only with a forced FORMAT that passes every other check, under luo_lock.
 */
static int format_pool(struct vmkeep_format *cmd, struct vmkeep_ucmd *ucmd,
		       struct vmkeep_region **busy)
{
	bool force = cmd->flags & VMKEEP_FORMAT_FORCE;
	struct vmkeep_pool *pool;

	guard(mutex)(&vmkeep_lock);
	pool = pool_lookup(cmd->pool);
	if (IS_ERR(pool))
		return PTR_ERR(pool);
	if (!force && (pool->nr_regions || pool->fmt.state == VMKEEP_POOL_DAMAGED ||
		       pool->fmt.state == VMKEEP_POOL_FOREIGN))
		return -EBUSY;
	if (pool_busy(pool))
		return -EBUSY;
	/* A crash was injected, or the metadata went bad. */
	if (vmkeep_crashed || pool->meta_bad)
		return -EIO;
	if (!list_empty(&pool->luo) && (!force || vmkeep_luo_forget_pool(pool)))
		return -EBUSY;
	if (pool->shifted)
		pr_warn("pool %u: forced format over the metadata of another vmkeep pool (see above): its regions in this range are gone\n",
			pool->index);
	*busy = pool_zero_busy(pool);
	vmkeep_pool_format(pool);
	memcpy(cmd->out_pool_id, pool->fmt.id, sizeof(cmd->out_pool_id));
	if (ucmd->user_size < offsetofend(struct vmkeep_format, out_pool_id))
		pr_warn("pool %u: formatted by %s, built before pool identities: the identity is not returned, so the pool loads foreign after the next boot\n",
			pool->index, current->comm);
	return 0;
}

static int vmkeep_ioc_format(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_format *cmd = ucmd->cmd;
	struct vmkeep_region *busy = NULL;
	int ret;

	if (cmd->flags & ~VMKEEP_FORMAT_FORCE)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	vmkeep_luo_lock();
	ret = format_pool(cmd, ucmd, &busy);
	vmkeep_luo_unlock();
	if (ret)
		return ret;
	vmkeep_nodes_flush();
	if (busy) {
		vmkeep_zero_wait(busy);
		vmkeep_region_put(busy);
	}
	vmkeep_pools_reap();
	return vmkeep_respond(ucmd, sizeof(*cmd));
}

static int vmkeep_ioc_trust(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_trust *cmd = ucmd->cmd;
	bool adopt = cmd->flags & VMKEEP_TRUST_ADOPT;
	struct vmkeep_pool *pool;
	int ret;

	if (cmd->flags & ~VMKEEP_TRUST_ADOPT)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	scoped_guard(mutex, &vmkeep_lock) {
		pool = pool_lookup(cmd->pool);
		if (IS_ERR(pool))
			return PTR_ERR(pool);
		ret = vmkeep_pool_trust(pool, cmd->pool_id, adopt);
	}
	/* The restored regions' device nodes, then the live update sets. */
	vmkeep_nodes_flush();
	if (!ret)
		vmkeep_luo_restore(pool);
	if (ret || !adopt)
		return ret;
	return vmkeep_respond(ucmd, sizeof(*cmd));
}

static int vmkeep_ioc_luo_list(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_luo_list *cmd = ucmd->cmd;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	ret = vmkeep_luo_list(cmd);
	if (ret && ret != -EMSGSIZE)
		return ret;
	return vmkeep_respond(ucmd, sizeof(*cmd)) ?: ret;
}

union vmkeep_ucmd_buffer {
	struct vmkeep_alloc alloc;
	struct vmkeep_get get;
	struct vmkeep_list list;
	struct vmkeep_free free;
	struct vmkeep_finish finish;
	struct vmkeep_freeze freeze;
	struct vmkeep_thaw thaw;
	struct vmkeep_status status;
	struct vmkeep_format format;
	struct vmkeep_trust trust;
	struct vmkeep_luo_list luo_list;
};

struct vmkeep_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct vmkeep_ucmd *ucmd);
};

#define IOCTL_OP(_ioctl, _fn, _struct, _last)				\
	[_IOC_NR(_ioctl)] = {						\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union vmkeep_ucmd_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.ioctl_num = _ioctl,					\
		.execute = _fn,						\
	}

static const struct vmkeep_ioctl_op vmkeep_ops[] = {
	IOCTL_OP(VMKEEP_IOC_ALLOC, vmkeep_ioc_alloc, struct vmkeep_alloc, name),
	IOCTL_OP(VMKEEP_IOC_GET, vmkeep_ioc_get, struct vmkeep_get, name),
	IOCTL_OP(VMKEEP_IOC_LIST, vmkeep_ioc_list, struct vmkeep_list, regions),
	IOCTL_OP(VMKEEP_IOC_FREE, vmkeep_ioc_free, struct vmkeep_free, name),
	IOCTL_OP(VMKEEP_IOC_FINISH, vmkeep_ioc_finish, struct vmkeep_finish, name),
	IOCTL_OP(VMKEEP_IOC_FREEZE, vmkeep_ioc_freeze, struct vmkeep_freeze, __reserved),
	IOCTL_OP(VMKEEP_IOC_THAW, vmkeep_ioc_thaw, struct vmkeep_thaw, flags),
	IOCTL_OP(VMKEEP_IOC_STATUS, vmkeep_ioc_status, struct vmkeep_status, pools),
	IOCTL_OP(VMKEEP_IOC_FORMAT, vmkeep_ioc_format, struct vmkeep_format, __reserved),
	IOCTL_OP(VMKEEP_IOC_TRUST, vmkeep_ioc_trust, struct vmkeep_trust, pool_id),
	IOCTL_OP(VMKEEP_IOC_LUO_LIST, vmkeep_ioc_luo_list, struct vmkeep_luo_list, files),
};

static long vmkeep_fops_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	const struct vmkeep_ioctl_op *op;
	union vmkeep_ucmd_buffer buf;
	struct vmkeep_ucmd ucmd = {};
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	if (_IOC_TYPE(cmd) != VMKEEP_TYPE || nr >= ARRAY_SIZE(vmkeep_ops))
		return -ENOTTY;
	op = &vmkeep_ops[nr];
	if (op->ioctl_num != cmd)
		return -ENOTTY;

	ucmd.ubuffer = (void __user *)arg;
	ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (ret)
		return ret;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	ucmd.cmd = &buf;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	return op->execute(&ucmd);
}

static const struct file_operations vmkeep_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = vmkeep_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice vmkeep_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmkeep",
	.fops = &vmkeep_fops,
	.mode = 0600,
};

/*
 * The last write of an orderly handoff, into kexec or the next load of
 * the module: every pool's metadata marked clean.  New regions' untouched
 * memory is cleared by now (vmkeep_zero_drain()).
 */
static void pools_mark_clean(void)
{
	unsigned int i;

	lockdep_assert_held(&vmkeep_lock);
	/* A crash was injected: the machine "stopped" there. */
	if (vmkeep_crashed)
		return;
	for (i = 0; i < vmkeep_nr_pools; i++) {
		struct vmkeep_pool *pool = vmkeep_pools[i];

		if (pool->fmt.state != VMKEEP_POOL_READY)
			continue;
		if (pool->flags & VMKEEP_POOL_HELD) {
			pr_warn("pool %u: held (quarantined regions, or its metadata went bad): no clean mark, its metadata stays as found\n",
				pool->index);
			continue;
		}
		pool->fmt.handoffs++;
		vmkeep_pool_commit(pool, VMKEEP_FMT_CLEAN);
		pr_info("pool %u: clean mark written, generation %llu\n",
			pool->index, pool->fmt.generation);
	}
}

/*
 * On the way into kexec (or any reboot): refuse further changes, finish
 * clearing new regions' untouched memory, and mark the pools clean, so
 * the next kernel knows the handoff was orderly.  Processes still run
 * here, hence the lock and the flag.
 */
static int vmkeep_reboot(struct notifier_block *nb, unsigned long action,
			 void *data)
{
	scoped_guard(mutex, &vmkeep_lock) {
		vmkeep_frozen = true;
		vmkeep_shutdown = true;
		if (vmkeep_crashed)
			return NOTIFY_DONE;
	}
	vmkeep_zero_drain(false);
	vmkeep_luo_reboot();
	guard(mutex)(&vmkeep_lock);
	pools_mark_clean();
	return NOTIFY_DONE;
}

static struct notifier_block vmkeep_reboot_nb = {
	.notifier_call = vmkeep_reboot,
};

/* Units cleared so far of a new region, or -1 when all are ready. */
static long region_zeroed_units(const struct vmkeep_region *region)
{
	if (!region->zeroed)
		return -1;
	return bitmap_weight(region->zeroed, region->fmt.length >> 21);
}

static int vmkeep_debugfs_show(struct seq_file *m, void *unused)
{
	struct vmkeep_region *region;
	struct vmkeep_pool *pool;
	unsigned int i;
	u32 e;

	guard(mutex)(&vmkeep_lock);
	seq_printf(m, "objects %d files %d\n", atomic_read(&vmkeep_nr_objects),
		   atomic_read(&vmkeep_nr_files));
	for (i = 0; i < vmkeep_nr_pools; i++) {
		pool = vmkeep_pools[i];
		seq_printf(m, "pool %u %pa+%#llx node %d %s damage %u generation %llu handoffs %llu free %llu regions %u flags %#x restore_ns %llu commit_ns %llu page_order %u memremap_ns %llu\n",
			   i, &pool->base, pool->size, pool->node,
			   vmkeep_pool_state_name(pool->fmt.state), pool->fmt.damage,
			   pool->fmt.generation, pool->fmt.handoffs,
			   vmkeep_pool_free_bytes(pool), pool->nr_regions,
			   pool->flags, pool->restore_ns, pool->commit_ns,
			   pool->page_order, pool->memremap_ns);
		list_for_each_entry(region, &pool->regions, link) {
			seq_printf(m, "  region %s id %llu length %llu %s q %u uid %u gid %u mode %o flags %#x open %d mapped %d pmd_faults %lld pte_faults %lld pud_faults %lld zeroed %ld extents",
				   region->fmt.name, region->fmt.id,
				   region->fmt.length, vmkeep_region_state_name(region->state),
				   region->fmt.quarantine, region->fmt.uid,
				   region->fmt.gid, region->fmt.mode,
				   region->fmt.flags,
				   region->nr_open,
				   atomic_read(&region->nr_mapped),
				   atomic64_read(&region->pmd_faults),
				   atomic64_read(&region->pte_faults),
				   atomic64_read(&region->pud_faults),
				   region_zeroed_units(region));
			for (e = 0; e < region->fmt.nr_extents; e++)
				seq_printf(m, " %#llx+%#llx",
					   region->fmt.extents[e].offset,
					   region->fmt.extents[e].length);
			seq_putc(m, '\n');
		}
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmkeep_debugfs);

#if VMKEEP_FAULT_INJECT
/*
 * crash_after_write: reads "N steps S crashed C"; writing N (0: off)
 * restarts the count of metadata write steps and stops every metadata
 * write after step N (vmkeep_pool.c), for the crash tests.
 */
static int vmkeep_crash_show(struct seq_file *m, void *unused)
{
	guard(mutex)(&vmkeep_lock);
	seq_printf(m, "%u steps %u crashed %d\n", vmkeep_crash_after,
		   vmkeep_crash_steps, vmkeep_crashed);
	return 0;
}

static int vmkeep_crash_open(struct inode *inode, struct file *file)
{
	return single_open(file, vmkeep_crash_show, NULL);
}

/*
 * A test knob that stops metadata writes must never pass unnoticed on a
 * host: the regions made after it fires are not in the handoff.
 */
static void vmkeep_crash_armed(void)
{
	pr_warn("crash injection armed (crash_after_write=%u): metadata writes stop after that step; test use only\n",
		vmkeep_crash_after);
	add_taint(TAINT_USER, LOCKDEP_STILL_OK);
}

static ssize_t vmkeep_crash_write(struct file *file, const char __user *ubuf,
				  size_t len, loff_t *ppos)
{
	unsigned int n;
	int ret;

	ret = kstrtouint_from_user(ubuf, len, 0, &n);
	if (ret)
		return ret;
	guard(mutex)(&vmkeep_lock);
	vmkeep_crash_after = n;
	vmkeep_crash_steps = 0;
	vmkeep_crashed = false;
	if (n)
		vmkeep_crash_armed();
	return len;
}

static const struct file_operations vmkeep_crash_fops = {
	.owner = THIS_MODULE,
	.open = vmkeep_crash_open,
	.read = seq_read,
	.write = vmkeep_crash_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static void vmkeep_crash_init(void)
{
	if (vmkeep_crash_after)
		vmkeep_crash_armed();
}

static void vmkeep_crash_debugfs(struct dentry *dir)
{
	debugfs_create_file("crash_after_write", 0600, dir, NULL,
			    &vmkeep_crash_fops);
}
#else
static void vmkeep_crash_init(void)
{
}

static void vmkeep_crash_debugfs(struct dentry *dir)
{
}
#endif

static struct dentry *vmkeep_debugfs_dir;

static int __init vmkeep_init(void)
{
	int ret;

	vmkeep_crash_init();
	ret = vmkeep_nodes_init();
	if (ret)
		return ret;
	ret = misc_register(&vmkeep_misc);
	if (ret)
		goto err_nodes;
	ret = vmkeep_luo_init(luo);
	if (ret)
		goto err_misc;
	/*
	 * Last step that makes region nodes openable: nothing may fail after
	 * it, or a node file opened meanwhile would outlive the module.
	 */
	vmkeep_pools_init(pools);
	vmkeep_nodes_flush();
	register_reboot_notifier(&vmkeep_reboot_nb);
	vmkeep_debugfs_dir = debugfs_create_dir("vmkeep", NULL);
	debugfs_create_file("state", 0400, vmkeep_debugfs_dir, NULL,
			    &vmkeep_debugfs_fops);
	vmkeep_crash_debugfs(vmkeep_debugfs_dir);
	return 0;

err_misc:
	misc_deregister(&vmkeep_misc);
err_nodes:
	vmkeep_nodes_exit();
	return ret;
}

static void __exit vmkeep_exit(void)
{
	debugfs_remove_recursive(vmkeep_debugfs_dir);
	unregister_reboot_notifier(&vmkeep_reboot_nb);
	vmkeep_luo_exit();
	misc_deregister(&vmkeep_misc);
	/* The next load takes every byte of a region for the VM's. */
	vmkeep_zero_exit();
	/* An unload is an orderly handoff to the next load. */
	scoped_guard(mutex, &vmkeep_lock)
		pools_mark_clean();
	vmkeep_pools_exit();
	vmkeep_nodes_exit();
}

module_init(vmkeep_init);
module_exit(vmkeep_exit);
MODULE_DESCRIPTION("Keep VM memory across kexec in boot-reserved pools");
MODULE_LICENSE("GPL");
MODULE_VERSION(VMKEEP_VERSION);
