/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Kernel API differences between the kernels vmkeep supports, each with
 * the release that changed it.  Nothing else in vmkeep tests a version.
 */
#ifndef _VMKEEP_COMPAT_H
#define _VMKEEP_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

/* 6.6: ->huge_fault() takes a page order instead of enum page_entry_size. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
#define VMKEEP_DEFINE_HUGE_FAULT(name, fn)				\
static vm_fault_t name(struct vm_fault *vmf, enum page_entry_size pe)	\
{									\
	return fn(vmf, pe == PE_SIZE_PMD ? HPAGE_PMD_ORDER :		\
		       pe == PE_SIZE_PTE ? 0 : ~0U);			\
}
#else
#define VMKEEP_DEFINE_HUGE_FAULT(name, fn)				\
static vm_fault_t name(struct vm_fault *vmf, unsigned int order)	\
{									\
	return fn(vmf, order);						\
}
#endif

/* 6.3: vm_flags became read-only outside the vm_flags_*() helpers. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

/*
 * 6.12: the fault path offers ->huge_fault() to any file mapping that has
 * one.  Before, only to DAX mappings (vma_is_dax()), so region inodes are
 * marked S_DAX there; that also makes FOLL_LONGTERM pins (VFIO) refuse
 * them, as for fs-dax.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define VMKEEP_INODE_FLAGS	S_DAX
#else
#define VMKEEP_INODE_FLAGS	0
#endif

#endif /* _VMKEEP_COMPAT_H */
