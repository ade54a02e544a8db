/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Kernel API differences between the kernels vmkeep supports, each with
 * the release that changed it.  Nothing else in vmkeep tests a version.
 */
#ifndef _VMKEEP_COMPAT_H
#define _VMKEEP_COMPAT_H

#include <linux/completion.h>
#include <linux/fcntl.h>
#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/memremap.h>
#include <linux/percpu-refcount.h>
#include <linux/version.h>

/* 6.4: PUD_ORDER. */
#ifndef PUD_ORDER
#define PUD_ORDER	(PUD_SHIFT - PAGE_SHIFT)
#endif

/* 6.6: ->huge_fault() takes a page order instead of enum page_entry_size. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
#define VMKEEP_DEFINE_HUGE_FAULT(name, fn)				\
static vm_fault_t name(struct vm_fault *vmf, enum page_entry_size pe)	\
{									\
	return fn(vmf, pe == PE_SIZE_PMD ? HPAGE_PMD_ORDER :		\
		       pe == PE_SIZE_PUD ? PUD_ORDER : 0);		\
}
#else
#define VMKEEP_DEFINE_HUGE_FAULT(name, fn)				\
static vm_fault_t name(struct vm_fault *vmf, unsigned int order)	\
{									\
	return fn(vmf, order);						\
}
#endif

/* 6.2: a device_type's devnode() takes a const struct device. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define VMKEEP_DEVNODE_CONST
#else
#define VMKEEP_DEVNODE_CONST	const
#endif

/* 6.3: inode operations take a struct mnt_idmap, not a user namespace. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
#define vmkeep_idmap	user_namespace
#else
#define vmkeep_idmap	mnt_idmap
#endif

/* 6.3: vm_flags became read-only outside the vm_flags_*() helpers. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

/*
 * Region mappings are DAX mappings on every kernel (vma_is_dax(): the
 * files' f_mapping is the region's S_DAX dax inode, vmkeep_region.c), as
 * device-dax's: before 6.12 the fault path offers ->huge_fault() only to
 * DAX mappings, and from 6.15 on a PUD fault only to DAX or special ones.
 * GUP refuses FOLL_LONGTERM pins of fs-dax mappings only (vma_is_fsdax(),
 * 6.1 to 7.2: a DAX mapping of a file that is not a character file), so
 * region files are character files, as device-dax nodes.
 */

/*
 * Pools of 1 GiB pages are mapped with PUDs from 6.15 on, with PMDs
 * before.  Some paths clear a huge PUD of a DAX-like mapping as "bad"
 * without a TLB flush: mprotect() before 6.12 ("mm/mprotect: fix dax pud
 * handlings"), and mremap() still (7.2): move_page_tables() looks every
 * old PUD up with get_old_pud(), whose pud_none_or_clear_bad() takes a
 * huge PUD for a bad table (x86's pud_bad()) and clears it, at any new
 * address, 1 GiB aligned or not.  Up to 6.14 the PUD is a devmap pfn
 * entry that holds no page reference, so the memory could go to the next
 * region while a stale TLB entry still reaches it.  From 6.15 on the
 * entry holds its folio, and the cleared PUD leaves it held ("Bad
 * rss-counter state", "pages still held after free"): the region's
 * memory would never come back.  So where PUDs map, an mremap() that
 * moves a mapping of 1 GiB pages is refused (EINVAL) when it asks
 * ->get_unmapped_area() for the new place, before any page table moves;
 * growing one is refused everywhere (VM_DONTEXPAND).  ->mremap() (one
 * argument, 6.1 to 7.2) cannot refuse it: it runs after the move.
 */
#define VMKEEP_PUD_MAPS	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0))

/*
 * 6.15: ZONE_DEVICE pages are mapped as refcounted folios, as device-dax
 * maps them since (vmf_insert_folio_pmd(), vmf_insert_folio_pud(),
 * vmf_insert_page_mkwrite()); a PMD or PUD entry needs a folio of exactly
 * that order, so a pool's struct pages are compound pages of its page
 * size (vmkeep_pool.c): 2 MiB pages map with PMDs and PTEs, 1 GiB pages
 * with PUDs and PTEs.  The VMA must not be VM_MIXEDMAP then, or the THP
 * code takes it for special (vma_is_special_huge()) and drops entries
 * without the folio's rmap and reference, e.g. splitting a PMD on a
 * partial munmap; a PUD fault, which the fault path offers only to
 * special or DAX mappings, needs a DAX mapping, as device-dax's, which
 * vma_is_special_huge() does not count as special.  Before, the pages
 * were inserted as devmap pfn_t entries, which carry neither and need
 * VM_MIXEDMAP for unmap and fork to leave them alone; any entry size maps
 * any compound page there.  Mapped folios count in the mapper's RSS from
 * 6.15 on.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 15, 0)
#include <linux/pfn_t.h>

#define VMKEEP_VM_FLAGS		(VM_HUGEPAGE | VM_MIXEDMAP)
/* Whether a PMD entry can map part of a compound page of @order. */
static inline bool vmkeep_pmd_maps(unsigned int order)
{
	return true;
}

static inline vm_fault_t vmkeep_insert_pud(struct vm_fault *vmf,
					   unsigned long pfn, bool write)
{
	return vmf_insert_pfn_pud(vmf, phys_to_pfn_t(PFN_PHYS(pfn), PFN_DEV | PFN_MAP),
				  write);
}

static inline vm_fault_t vmkeep_insert_pmd(struct vm_fault *vmf,
					   unsigned long pfn, bool write)
{
	return vmf_insert_pfn_pmd(vmf, phys_to_pfn_t(PFN_PHYS(pfn), PFN_DEV | PFN_MAP),
				  write);
}

static inline vm_fault_t vmkeep_insert_pte(struct vm_fault *vmf,
					   unsigned long pfn, bool write)
{
	return vmf_insert_mixed(vmf->vma, vmf->address,
				phys_to_pfn_t(PFN_PHYS(pfn), PFN_DEV | PFN_MAP));
}
#else
#define VMKEEP_VM_FLAGS		VM_HUGEPAGE
static inline bool vmkeep_pmd_maps(unsigned int order)
{
	return order == HPAGE_PMD_ORDER;
}

static inline vm_fault_t vmkeep_insert_pud(struct vm_fault *vmf,
					   unsigned long pfn, bool write)
{
	return vmf_insert_folio_pud(vmf, pfn_folio(pfn), write);
}

static inline vm_fault_t vmkeep_insert_pmd(struct vm_fault *vmf,
					   unsigned long pfn, bool write)
{
	return vmf_insert_folio_pmd(vmf, pfn_folio(pfn), write);
}

static inline vm_fault_t vmkeep_insert_pte(struct vm_fault *vmf,
					   unsigned long pfn, bool write)
{
	return vmf_insert_page_mkwrite(vmf, pfn_to_page(pfn), write);
}
#endif

/*
 * A pool left claimed at unload (a page of it still held, in a pipe)
 * keeps its struct pages, but its pgmap's ->memory_failure op is module
 * code: memory_failure() must never find the pgmap again.  This is the
 * first half of memunmap_pages(), identical on 6.1, 6.12 and 7.2 for a
 * MEMORY_DEVICE_GENERIC pgmap without altmap: kill pgmap->ref, put the
 * references memremap_pages() took for the range (pfn_len(): one per
 * compound page, pages >> vmemmap_shift; device private and coherent
 * pgmaps take none, ours is neither), and wait until the last transient
 * one is gone (get_dev_pagemap(): memory_failure() around the op, GUP of
 * a devmap entry before 6.15).  From then on get_dev_pagemap() fails for
 * the range, so memory_failure() says "memory outside kernel control"
 * and calls nothing; the struct pages, the pgmap and its xarray entry
 * stay for the page's holder (put_page() reads page->pgmap->type).
 * GENERIC pages hold no pgmap reference of their own on any of them
 * (free_zone_device_page()/_folio() resets their count to 1, and needs
 * no ->page_free for this type when the count never drops to 0).
 */
static inline void vmkeep_pgmap_kill(struct dev_pagemap *pgmap)
{
	percpu_ref_kill(&pgmap->ref);
	percpu_ref_put_many(&pgmap->ref,
			    PHYS_PFN(range_len(&pgmap->range)) >> pgmap->vmemmap_shift);
	wait_for_completion(&pgmap->done);
	WRITE_ONCE(pgmap->ops, NULL);
}

/* 6.3: F_SEAL_EXEC; a memfd sealed with it cannot come back to 6.1. */
#ifdef F_SEAL_EXEC
#define VMKEEP_F_SEAL_EXEC	F_SEAL_EXEC
#else
#define VMKEEP_F_SEAL_EXEC	0
#endif

/* 7.0: shmem_file_setup() takes vma_flags_t (7.2 checked). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
#define VMKEEP_SHMEM_NORESERVE	mk_vma_flags(VMA_NORESERVE_BIT)
#else
#define VMKEEP_SHMEM_NORESERVE	VM_NORESERVE
#endif

#endif /* _VMKEEP_COMPAT_H */
