// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: zeroing
 *
 * A new region must never show an earlier tenant's bytes, yet ALLOC must
 * not cost the time to clear it: a TiB takes minutes.  So ALLOC clears
 * nothing.  Each 2 MiB unit of a new region is cleared when it is first
 * touched, as hugetlbfs clears a huge page at its fault: on every path
 * to its memory - a fault of any size (a 1 GiB fault clears its 512
 * units), write(), and read(), which copies zeros out of a unit never
 * touched instead of clearing it.  get_user_pages() (O_DIRECT, VFIO, KVM)
 * reaches the memory through faults only.
 *
 * Each region made by ALLOC has a bitmap of zeroed units, bits set once
 * and never cleared, read without a lock (test_bit_acquire() pairs with
 * the barrier before set_bit()), and a bitmap of bit locks: the first
 * toucher of a unit locks it, clears it and sets its zeroed bit; a second
 * one waits on the lock and then finds the bit set, so it neither sees
 * stale bytes nor clears what the first has written since.  The bitmaps
 * cost 2 bits per 2 MiB: 128 KiB per TiB.
 *
 * The next kernel cannot tell a unit never touched from a VM's memory.
 * So a new region is stored with %VMKEEP_FMT_UNCLEARED from its ALLOC
 * until a background worker has cleared every unit nobody touched; the
 * flag is then dropped with a commit.  A kernel that stops before (a
 * crash) leaves the flag, and the next kernel quarantines the region: its
 * memory is kept and reported, never handed to anyone.  An orderly kexec
 * or unload waits for the worker (vmkeep_zero_drain()): FREEZE and unload
 * killably, the reboot notifier not (a notifier cannot fail a kexec, and
 * a kexec without the wait would lose the regions to quarantine; the
 * wait is bounded by the memory of regions allocated since the last
 * FREEZE that nobody touched, and logged every 10 s).  A killed unload
 * stops the worker at its next unit and leaves the regions it did not
 * finish stored uncleared: the next load quarantines them.
 *
 * A page that a memory failure hit is never cleared (clearing could
 * consume its poison in the kernel): it may still hold an earlier
 * tenant's bytes.  Its unit counts as zeroed, since the page is never
 * shown while the module knows it bad and the unit's other pages must
 * not be cleared again under what the owner wrote since; but the region
 * keeps %VMKEEP_FMT_UNCLEARED for good (&vmkeep_region.zero_skipped):
 * the record of the bad page is not stored, so the next load or kernel
 * quarantines the region instead of showing those bytes.  The
 * ->memory_failure op waits for the unit's bit lock before it returns
 * (vmkeep_zero_sync()), and the clearer looks at each page under it: no
 * page is cleared after the op returned, when x86 may have taken the
 * page out of the kernel's mapping (set_mce_nospec()).
 *
 * Restored regions have no bitmap: their memory is the VM's.  While the
 * worker clears a freed region, its memory does not go back to the pool
 * (&vmkeep_region.zero_busy); it stops at the next unit, which FREE,
 * FORMAT and an undone ALLOC wait for (vmkeep_zero_wait()) before they
 * give the memory back themselves.  The worker never does: it holds no
 * reference on the module, so a page it found held could not keep the
 * module (and the struct pages the holder uses) from going.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "vmkeep_internal.h"

#define UNIT_SHIFT	21

/* Regions with units left for the worker; protected by vmkeep_lock. */
static LIST_HEAD(vmkeep_zero_list);
/* Regions stored with VMKEEP_FMT_UNCLEARED; protected by vmkeep_lock. */
static unsigned int vmkeep_nr_uncleared;
/* A killed unload: the worker takes no further unit. */
static bool vmkeep_zero_stopped;

static void vmkeep_zero_fn(struct work_struct *work);
static DECLARE_WORK(vmkeep_zero_work, vmkeep_zero_fn);

/* After a change that a waiter in wait_var_event() tests. */
static void zero_wake(void *var)
{
	/*
	 * Orders the change before wake_up_var()'s lockless look at the
	 * wait queue; pairs with the barrier in the waiter's
	 * prepare_to_wait_event(), so no wake-up is lost.
	 */
	smp_mb();
	wake_up_var(var);
}

/* Bitmaps for a region made by ALLOC: no unit is zero yet. */
int vmkeep_zero_alloc(struct vmkeep_region *region)
{
	unsigned long n = region->fmt.length >> UNIT_SHIFT;

	region->zeroed = kvcalloc(BITS_TO_LONGS(n), sizeof(long), GFP_KERNEL);
	region->zeroing = kvcalloc(BITS_TO_LONGS(n), sizeof(long), GFP_KERNEL);
	return region->zeroed && region->zeroing ? 0 : -ENOMEM;
}

void vmkeep_zero_free(struct vmkeep_region *region)
{
	kvfree(region->zeroed);
	kvfree(region->zeroing);
}

/* Whether the unit holding @off is known to be zero or written. */
bool vmkeep_region_unit_ready(const struct vmkeep_region *region, u64 off)
{
	return !region->zeroed ||
	       test_bit_acquire(off >> UNIT_SHIFT, region->zeroed);
}

static void unit_ready(struct vmkeep_region *region, unsigned long unit)
{
	unsigned long *word = &region->zeroing[BIT_WORD(unit)];
	int bit = unit % BITS_PER_LONG;
	phys_addr_t phys;
	u64 contig, i;
	void *va;

	if (test_bit_acquire(unit, region->zeroed))
		return;
	wait_on_bit_lock(word, bit, TASK_UNINTERRUPTIBLE);
	if (!test_bit(unit, region->zeroed)) {
		va = vmkeep_region_va(region, (u64)unit << UNIT_SHIFT, &contig,
				      &phys);
		/*
		 * A bad page is never shown (vmkeep_region.c) nor cleared.
		 * Each page is looked at under the bit lock: the op that
		 * records one waits for it (vmkeep_zero_sync()).
		 */
		for (i = 0; i < VMKEEP_FMT_UNIT; i += PAGE_SIZE) {
			if (vmkeep_pool_bad(region->pool, phys + i, PAGE_SIZE,
					    NULL))
				WRITE_ONCE(region->zero_skipped, true);
			else
				clear_page(va + i);
		}
		/* The zeros (and zero_skipped) before the bit. */
		smp_mb__before_atomic();
		set_bit(unit, region->zeroed);
	}
	clear_and_wake_up_bit(bit, word);
}

/**
 * vmkeep_zero_sync() - wait until nobody clears the unit at @off
 * @region: the region, held by the caller
 * @off: offset of a page just recorded bad
 *
 * A clearer that took the unit's bit lock before the page was recorded
 * may clear it still; one that takes it after skips it.
 */
void vmkeep_zero_sync(struct vmkeep_region *region, u64 off)
{
	unsigned long unit = off >> UNIT_SHIFT;
	unsigned long *word;

	if (!region->zeroed || test_bit_acquire(unit, region->zeroed))
		return;
	word = &region->zeroing[BIT_WORD(unit)];
	wait_on_bit_lock(word, unit % BITS_PER_LONG, TASK_UNINTERRUPTIBLE);
	clear_and_wake_up_bit(unit % BITS_PER_LONG, word);
}

/**
 * vmkeep_region_ready() - make [@off, @off + @len) safe to show
 * @region: the region
 * @off: offset in the region
 * @len: bytes, not 0
 *
 * Clears the units of the range that nobody has touched yet.  May sleep;
 * callers hold a file or mapping of the region, so its memory stays.
 */
void vmkeep_region_ready(struct vmkeep_region *region, u64 off, u64 len)
{
	unsigned long unit, last;

	if (!region->zeroed)
		return;
	last = (off + len - 1) >> UNIT_SHIFT;
	for (unit = off >> UNIT_SHIFT; unit <= last; unit++) {
		unit_ready(region, unit);
		if (unit != last)
			cond_resched();
	}
}

/*
 * A new region, about to be stored, is uncleared until the worker is
 * through with it.
 */
void vmkeep_zero_start(struct vmkeep_region *region)
{
	lockdep_assert_held(&vmkeep_lock);
	if (!region->zeroed)
		return;
	region->fmt.flags |= VMKEEP_FMT_UNCLEARED;
	region->zero_left = true;
	vmkeep_nr_uncleared++;
	list_add_tail(&region->zero_link, &vmkeep_zero_list);
	queue_work(system_unbound_wq, &vmkeep_zero_work);
}

/*
 * The worker is through with @region, or it is not stored any more:
 * nothing waits for it.  Its flag stays when a bad page was left as it
 * was.
 */
static void zero_done(struct vmkeep_region *region)
{
	lockdep_assert_held(&vmkeep_lock);
	if (!region->zero_left)
		return;
	region->zero_left = false;
	if (!READ_ONCE(region->zero_skipped))
		region->fmt.flags &= ~VMKEEP_FMT_UNCLEARED;
	vmkeep_nr_uncleared--;
	zero_wake(&vmkeep_nr_uncleared);
}

/* A freed region's memory needs no clearing before the next ALLOC. */
void vmkeep_zero_stop(struct vmkeep_region *region)
{
	lockdep_assert_held(&vmkeep_lock);
	list_del_init(&region->zero_link);
	zero_done(region);
}

static void vmkeep_zero_fn(struct work_struct *work)
{
	struct vmkeep_region *region;
	unsigned long unit, n;

	for (;;) {
		scoped_guard(mutex, &vmkeep_lock) {
			region = list_first_entry_or_null(&vmkeep_zero_list,
							  struct vmkeep_region,
							  zero_link);
			if (region && !READ_ONCE(vmkeep_zero_stopped)) {
				list_del_init(&region->zero_link);
				region->zero_busy = true;
			} else {
				region = NULL;
			}
		}
		if (!region)
			return;
		n = region->fmt.length >> UNIT_SHIFT;
		/*
		 * Hints: FREE needs no zeroing, and waits for the next unit;
		 * a killed unload waits for it too.
		 */
		for (unit = 0; unit < n; unit++) {
			if (READ_ONCE(region->freed) ||
			    READ_ONCE(vmkeep_zero_stopped))
				break;
			unit_ready(region, unit);
			cond_resched();
		}
		/* Whoever freed the region gives its memory back, not us. */
		scoped_guard(mutex, &vmkeep_lock) {
			if (unit == n && !region->freed) {
				zero_done(region);
				if (region->fmt.flags & VMKEEP_FMT_UNCLEARED)
					pr_warn("region '%s': a page that went bad was not cleared: the region stays stored uncleared, quarantined at the next load or kernel\n",
						region->fmt.name);
				else
					vmkeep_pool_commit(region->pool, 0);
			}
			WRITE_ONCE(region->zero_busy, false);
			zero_wake(&region->zero_busy);
		}
	}
}

/*
 * FREE gives the memory back at once: wait for the worker to stop at the
 * unit it clears.  The caller holds a reference on @region, and then
 * reaps (vmkeep_pools_reap()).
 */
void vmkeep_zero_wait(struct vmkeep_region *region)
{
	wait_var_event(&region->zero_busy, !READ_ONCE(region->zero_busy));
}

/**
 * vmkeep_zero_drain() - wait until no stored region is uncleared
 * @killable: give up on a fatal signal
 *
 * Before a kexec or unload, whose next kernel or load would quarantine
 * the regions still uncleared.  Callers have stopped new ALLOCs (frozen)
 * and hold no vmkeep_lock.  The wait lasts as long as clearing what new
 * regions' owners have not touched yet.
 *
 * Return: 0, or -EINTR when killed.
 */
int vmkeep_zero_drain(bool killable)
{
	queue_work(system_unbound_wq, &vmkeep_zero_work);
	/* Minutes for TiBs: say so, and never look hung. */
	while (!killable &&
	       !wait_var_event_timeout(&vmkeep_nr_uncleared,
				       !READ_ONCE(vmkeep_nr_uncleared),
				       10 * HZ))
		pr_info("clearing the untouched memory of %u new regions\n",
			READ_ONCE(vmkeep_nr_uncleared));
	if (!killable)
		return 0;
	if (wait_var_event_killable(&vmkeep_nr_uncleared,
				    !READ_ONCE(vmkeep_nr_uncleared)))
		return -EINTR;
	return 0;
}

/*
 * Unload: wait until no region is uncleared, and for the worker to be
 * gone.  rmmod can be killed: then the worker stops at its next unit and
 * the regions it did not finish stay stored uncleared (pools_mark_clean()
 * writes them so), which the next load quarantines.
 */
void vmkeep_zero_exit(void)
{
	unsigned int left = READ_ONCE(vmkeep_nr_uncleared);

	if (left)
		pr_info("unload waits until the untouched memory of %u new regions is cleared; if rmmod is killed they are quarantined (uncleared) at the next load\n",
			left);
	if (vmkeep_zero_drain(true))
		WRITE_ONCE(vmkeep_zero_stopped, true);
	flush_work(&vmkeep_zero_work);
	left = READ_ONCE(vmkeep_nr_uncleared);
	if (left)
		pr_warn("rmmod killed: %u new regions left uncleared; the next load quarantines them, their memory kept\n",
			left);
}
