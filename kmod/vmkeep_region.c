// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: region files
 *
 * A region is handed to userspace as a file that behaves like a regular
 * file of fixed size: fstat() and lseek(SEEK_END) give the size,
 * pread()/pwrite() copy, and mmap(MAP_SHARED) maps the pool memory
 * itself, with 2 MiB page-table entries - 1 GiB ones in a pool of 1 GiB
 * pages - wherever the mapping and the extent are aligned.  A region of
 * a 1 GiB pool is mapped at a 1 GiB aligned address, as device-dax maps
 * its devices.  The memory of a new region is cleared as it is first
 * touched (vmkeep_zero.c).  Private mappings are refused: a VMM that thinks it
 * keeps its RAM must never be writing to a copy.
 *
 * Every file gets its own inode on a private pseudo filesystem (like
 * secretmem's), carrying the region's owner and mode, so that reopening
 * /proc/self/fd/N - which stock QEMU does with mem-path - works and is
 * permission-checked by the VFS like any file.  These inodes are not
 * S_PRIVATE, so that LSMs see the reopen, the mmap() and every read and
 * write as they see a device-dax node's (security_inode_init_security_anon()
 * is not exported to modules: an LSM labels them as files of the
 * "vmkeep" filesystem).
 *
 * The file model is device-dax's.  Each region has one more inode, its
 * "dax inode" on an internal mount (vmkeep_dax_mnt), a character inode
 * with S_DAX as device-dax's dax_inode: its address space is the
 * f_mapping of every file of the region, whichever way it was opened
 * (ALLOC, GET, a reopen, the device node).  So every mapping of the
 * region is in one i_mmap tree.  The mappings are DAX mappings
 * (vma_is_dax()), which is
 * what the fault path needs to offer huge faults before 6.12 and PUD
 * faults from 6.15 on, while the files themselves are character files,
 * so that FOLL_LONGTERM pins (VFIO, io_uring fixed buffers, RDMA) take
 * them as they take a device-dax node: GUP refuses long-term pins of
 * fs-dax files only (vma_is_fsdax(): a DAX mapping of a file that is not
 * a character file).  Nothing is set on a device node's devtmpfs inode.
 * The dax inode lives as long as the region's struct, and the mount as
 * long as the module: it has no owner, so neither holds the module.
 *
 * The pages are ZONE_DEVICE pages (see vmkeep_pool.c) inserted as
 * device-dax inserts them (see vmkeep_compat.h), so get_user_pages() works
 * on mappings.  Unlike device-dax's, they never name the region
 * (folio->mapping): the kernel's generic handler of memory failures in
 * device pages would follow that pointer to the region's dax inode
 * without a reference, and the inode goes with the region while the
 * pages stay with the pool.  The pool's own ->memory_failure op finds
 * the region instead (vmkeep_pool.c) and zaps the mappings of the page
 * here (vmkeep_region_unmap_bad()); a fault never maps a bad page
 * (SIGBUS BUS_MCEERR_AR for the access) nor an entry that covers one
 * (the other pages map with smaller entries), and read and write stop
 * before it (EIO).  Every fault holds the dax inode's invalidate_lock
 * shared from its look at the bad pages to its entry, as a filesystem's
 * fault holds it against a hole punch, so that no fault that looked
 * before a page went bad maps it after its mappings were zapped.
 *
 * Lifetime: each inode holds a reference on the region, dropped when the
 * inode is evicted, and pins the filesystem with simple_pin_fs() as
 * drm_fs does; the filesystem type is owned by the module, so while any
 * inode lives - an O_PATH fd is enough - the module cannot be unloaded.
 * An inode may outlive its region's FREE: every open re-checks, under
 * vmkeep_lock, that the region is still live (vmkeep_region_claim()).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "vmkeep_compat.h"
#include "vmkeep_internal.h"

#define VMKEEP_FS_MAGIC		0x564d4b50	/* "VMKP" */
#define VMKEEP_DAX_MAGIC	0x564d4b44	/* "VMKD" */

static struct vfsmount *vmkeep_mnt;
static int vmkeep_mnt_count;
static struct vfsmount *vmkeep_dax_mnt;

/* Live region objects and files, for leak checks through debugfs. */
atomic_t vmkeep_nr_objects = ATOMIC_INIT(0);
atomic_t vmkeep_nr_files = ATOMIC_INIT(0);

struct vmkeep_region *vmkeep_region_new(struct vmkeep_pool *pool,
					const struct vmkeep_fmt_region *fmt,
					u32 state)
{
	struct vmkeep_region *region = kzalloc(sizeof(*region), GFP_KERNEL);
	struct inode *dax;

	if (!region)
		return NULL;
	dax = alloc_anon_inode(vmkeep_dax_mnt->mnt_sb);
	if (IS_ERR(dax)) {
		kfree(region);
		return NULL;
	}
	/* As device-dax's dax_inode; alloc_anon_inode() gave it no-op a_ops. */
	dax->i_mode = S_IFCHR;
	dax->i_flags |= S_DAX;
	region->dax = dax;
	atomic_inc(&vmkeep_nr_objects);
	kref_init(&region->kref);
	INIT_LIST_HEAD(&region->link);
	INIT_LIST_HEAD(&region->reap);
	INIT_LIST_HEAD(&region->zero_link);
	region->pool = pool;
	region->fmt = *fmt;
	region->state = state;
	return region;
}

/*
 * Call @fn on each folio of @region's memory, once: one per 2 MiB (or
 * 1 GiB), also one the extent starts inside.  Stops when @fn returns true
 * and returns the offset where it did, else the region's length.
 */
static u64 vmkeep_region_folios(struct vmkeep_region *region, u64 from,
				bool (*fn)(struct vmkeep_region *region,
					   struct folio *folio))
{
	const u64 step = PAGE_SIZE << region->pool->page_order;
	phys_addr_t phys;
	u64 off, contig, i;

	for (off = from; off < region->fmt.length; off += contig) {
		if (!vmkeep_region_va(region, off, &contig, &phys))
			break;
		for (i = 0; i < contig; i += step - ((phys + i) & (step - 1))) {
			if (fn(region, pfn_folio(PHYS_PFN(phys + i))))
				return off + i;
			cond_resched();
		}
	}
	return region->fmt.length;
}

static void vmkeep_region_release(struct kref *kref)
{
	struct vmkeep_region *region =
		container_of(kref, struct vmkeep_region, kref);

	iput(region->dax);
	vmkeep_zero_free(region);
	kfree(region);
	atomic_dec(&vmkeep_nr_objects);
}

/* The last reference goes with the pool's lists and the last inode. */
void vmkeep_region_put(struct vmkeep_region *region)
{
	kref_put(&region->kref, vmkeep_region_release);
}

static bool folio_held(struct vmkeep_region *region, struct folio *folio)
{
	return folio_ref_count(folio) > 1;
}

/*
 * Whether anyone but the pool still holds a page of @region.  Mappings
 * and files are gone by now, but a reference taken through them (a
 * long-term pin, a page in a pipe after vmsplice()) may outlive both, and
 * memory handed to the next region must not be reachable through it.
 * The pool's pages keep a reference of their own (MEMORY_DEVICE_GENERIC).
 * One folio per 2 MiB (or 1 GiB): 512 Ki of them per TiB, hence never
 * under vmkeep_lock.  Nothing can take a new reference to a closed
 * region, so the walk goes on from the page found held the last time:
 * one held page costs O(1) per look, not a walk of the whole region.
 */
bool vmkeep_region_held(struct vmkeep_region *region)
{
	/* Quarantined extents are not to be trusted, and were never mapped. */
	if (region->state == VMKEEP_STATE_QUARANTINED)
		return false;
	region->held_off = vmkeep_region_folios(region, region->held_off,
						folio_held);
	return region->held_off < region->fmt.length;
}

/**
 * vmkeep_region_claim() - count an opener of @region, if it may open it
 * @region: the region
 * @inode: for a reopen, the inode reopened; NULL for a new file (GET,
 *         ALLOC), whose inode vmkeep_region_file() makes
 *
 * Every path to a new file of a region comes here: GET, ALLOC and the
 * reopen of an existing file through /proc/PID/fd/N (also from an O_PATH
 * fd, whose inode may have outlived the region).  Permission to the
 * region's mode is the caller's check.  An exclusive region has one
 * opener at a time: the files of one inode, so that a VMM may reopen its
 * own file (stock QEMU does), but nobody may once that file is closed and
 * another has opened the region.
 *
 * Return: 0, -ENOENT for a region that was freed, -EIO for a quarantined
 * one, -EBUSY when an exclusive region is open through another inode.
 */
int vmkeep_region_claim(struct vmkeep_region *region, struct inode *inode)
{
	lockdep_assert_held(&vmkeep_lock);
	if (region->freed)
		return -ENOENT;
	if (region->state == VMKEEP_STATE_QUARANTINED)
		return -EIO;
	if ((region->fmt.flags & VMKEEP_FMT_EXCLUSIVE) && region->nr_open &&
	    (!inode || inode != region->opener))
		return -EBUSY;
	if (!region->nr_open)
		region->opener = inode;
	region->nr_open++;
	return 0;
}

/* An opener is gone; the last one of a freed region lets its memory go. */
void vmkeep_region_unclaim(struct vmkeep_region *region)
{
	bool reap;

	scoped_guard(mutex, &vmkeep_lock)
		reap = !--region->nr_open && region->freed;
	if (reap)
		vmkeep_pools_reap();
}

static int check_vma(struct vmkeep_region *region, struct vm_area_struct *vma)
{
	u64 end = ((u64)vma->vm_pgoff << PAGE_SHIFT) +
		  (vma->vm_end - vma->vm_start);

	if (!(vma->vm_flags & VM_MAYSHARE)) {
		pr_info_ratelimited("%s[%d]: region '%s': MAP_PRIVATE refused, use MAP_SHARED\n",
				    current->comm, task_pid_nr(current),
				    region->fmt.name);
		return -EINVAL;
	}
	if (end > region->fmt.length || end < vma->vm_pgoff) {
		pr_info_ratelimited("%s[%d]: region '%s': mapping past its end\n",
				    current->comm, task_pid_nr(current),
				    region->fmt.name);
		return -EINVAL;
	}
	return 0;
}

/*
 * Whether an entry of @order may map a pool of @pool_order pages: a PUD
 * maps a pool of 1 GiB pages (from 6.15 on), a PMD any pool before 6.15 and
 * from then on only 2 MiB pages (whose folios it maps whole), a PTE any.
 */
static bool vmkeep_maps_order(unsigned int order, unsigned int pool_order)
{
	if (order == PUD_ORDER)
		return VMKEEP_PUD_MAPS && pool_order == PUD_ORDER;
	if (order == HPAGE_PMD_ORDER)
		return vmkeep_pmd_maps(pool_order);
	return !order;
}

/**
 * vmkeep_region_unmap_bad() - no mapping may reach a page gone bad
 * @region: the region, held by the caller
 * @off: offset of the bad page in the region
 *
 * The page is recorded in its pool already.  Every mapping of its 2 MiB
 * or 1 GiB page goes, so an entry that covers it goes whole: zapped, never
 * split (splitting a PUD needs the mapper's mmap_lock).  The next access
 * to any of it faults: the bad page gets SIGBUS, the others map again.
 * The exclusive invalidate_lock waits for faults that looked at the bad
 * pages before this one was recorded (see the DOC above).
 */
void vmkeep_region_unmap_bad(struct vmkeep_region *region, u64 off)
{
	struct address_space *mapping = region->dax->i_mapping;
	u64 size = PAGE_SIZE << region->pool->page_order;

	filemap_invalidate_lock(mapping);
	unmap_mapping_range(mapping, ALIGN_DOWN(off, size), size, 0);
	filemap_invalidate_unlock(mapping);
}

/*
 * The largest entry that maps the fault (vmkeep_maps_order()), where the
 * VMA and the memory are aligned for it and no page under it went bad.
 * The units under the entry are cleared first if nobody touched them yet.
 * A bad page is not mapped: SIGBUS BUS_MCEERR_AR at the address, as the
 * arch fault handler sends it for hwpoison.  Called with the dax inode's
 * invalidate_lock shared (vmkeep_fault_locked()).
 */
static vm_fault_t vmkeep_fault_locked(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vmkeep_region *region = vma->vm_file->private_data;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	unsigned long size = PAGE_SIZE << order;
	unsigned long addr = vmf->address & ~(size - 1);
	phys_addr_t phys;
	u64 off, contig;
	vm_fault_t ret;

	if (!vmkeep_maps_order(order, region->pool->page_order) ||
	    addr < vma->vm_start || addr + size > vma->vm_end)
		return VM_FAULT_FALLBACK;

	off = ((u64)vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
	if (!vmkeep_region_va(region, off, &contig, &phys))
		return VM_FAULT_SIGBUS;
	if (order && (!IS_ALIGNED(phys, size) || contig < size))
		return VM_FAULT_FALLBACK;
	if (vmkeep_pool_bad(region->pool, phys, size, NULL))
		return order ? VM_FAULT_FALLBACK : VM_FAULT_HWPOISON;
	vmkeep_region_ready(region, off, size);

	if (order == PUD_ORDER) {
		ret = vmkeep_insert_pud(vmf, PHYS_PFN(phys), write);
		if (!(ret & VM_FAULT_ERROR))
			atomic64_inc(&region->pud_faults);
	} else if (order) {
		ret = vmkeep_insert_pmd(vmf, PHYS_PFN(phys), write);
		if (!(ret & VM_FAULT_ERROR))
			atomic64_inc(&region->pmd_faults);
	} else {
		ret = vmkeep_insert_pte(vmf, PHYS_PFN(phys), write);
		if (!(ret & VM_FAULT_ERROR))
			atomic64_inc(&region->pte_faults);
	}
	return ret;
}

static vm_fault_t vmkeep_fault_order(struct vm_fault *vmf, unsigned int order)
{
	struct address_space *mapping = vmf->vma->vm_file->f_mapping;
	vm_fault_t ret;

	filemap_invalidate_lock_shared(mapping);
	ret = vmkeep_fault_locked(vmf, order);
	filemap_invalidate_unlock_shared(mapping);
	return ret;
}

VMKEEP_DEFINE_HUGE_FAULT(vmkeep_huge_fault, vmkeep_fault_order)

static vm_fault_t vmkeep_fault(struct vm_fault *vmf)
{
	return vmkeep_fault_order(vmf, 0);
}

static void vmkeep_vm_open(struct vm_area_struct *vma)
{
	struct vmkeep_region *region = vma->vm_file->private_data;

	atomic_inc(&region->nr_mapped);
}

static void vmkeep_vm_close(struct vm_area_struct *vma)
{
	struct vmkeep_region *region = vma->vm_file->private_data;

	atomic_dec(&region->nr_mapped);
}

/*
 * A region of 1 GiB pages splits only on 1 GiB boundaries, as device-dax
 * with align=1G: a VMA cut inside a huge PUD would leave the PUD in place
 * (the mm splits huge PMDs only) and the next walk would read the
 * region's memory as a page table.
 */
static int vmkeep_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	struct vmkeep_region *region = vma->vm_file->private_data;

	if (region->pool->page_order == PUD_ORDER &&
	    !IS_ALIGNED(addr, PUD_SIZE))
		return -EINVAL;
	return 0;
}

static const struct vm_operations_struct vmkeep_vm_ops = {
	.open = vmkeep_vm_open,
	.close = vmkeep_vm_close,
	.may_split = vmkeep_may_split,
	.fault = vmkeep_fault,
	.huge_fault = vmkeep_huge_fault,
};

static int vmkeep_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vmkeep_region *region = file->private_data;
	int ret = check_vma(region, vma);

	if (ret)
		return ret;
	vma->vm_ops = &vmkeep_vm_ops;
	/*
	 * VM_DONTEXPAND: mremap() cannot grow the mapping, in place or
	 * moved (EFAULT), nor keep its old range with MREMAP_DONTUNMAP
	 * (EINVAL); a grown mapping would reach pages mmap() never
	 * checked.  It also makes the VMA unmergeable, as hugetlbfs's: a
	 * merge moves a boundary without ->may_split (mprotect, madvise,
	 * mbind, mseal of the first or last pages next to a compatible
	 * VMA), so that every move of a boundary of a 1 GiB mapping is a
	 * split.
	 */
	vm_flags_set(vma, VMKEEP_VM_FLAGS | VM_DONTEXPAND);
	atomic_inc(&region->nr_mapped);
	return 0;
}

/*
 * Whether current->mm maps @file already at one of the @len bytes from
 * @pgoff: then this is the new place of an mremap() of that mapping
 * (or a second mmap() of the same open file over it).
 */
static bool vmkeep_mapped_here(struct file *file, unsigned long len,
			       unsigned long pgoff)
{
	unsigned long last = pgoff + (len >> PAGE_SHIFT) - 1;
	struct vm_area_struct *vma;
	VMA_ITERATOR(vmi, current->mm, 0);

	mmap_assert_locked(current->mm);
	for_each_vma(vmi, vma)
		if (vma->vm_file == file && vma->vm_pgoff <= last &&
		    vma->vm_pgoff + vma_pages(vma) > pgoff)
			return true;
	return false;
}

/*
 * A region of 1 GiB pages is mapped 1 GiB aligned to its file offset, so
 * that its faults can use PUDs: look for room 1 GiB longer and align in
 * it, as device-dax does; thp_get_unmapped_area() aligns to 2 MiB only.
 *
 * mremap() asks here for the new place of a mapping before it moves the
 * page tables, and nothing else of the region's is asked before: where
 * the mapping may hold PUDs, which mainline cannot move
 * (VMKEEP_PUD_MAPS), the move is refused here.
 */
static unsigned long vmkeep_get_unmapped_area(struct file *file,
					      unsigned long addr,
					      unsigned long len,
					      unsigned long pgoff,
					      unsigned long flags)
{
	struct vmkeep_region *region = file->private_data;
	unsigned long off = pgoff << PAGE_SHIFT, ret;

	if (VMKEEP_PUD_MAPS && region->pool->page_order == PUD_ORDER &&
	    vmkeep_mapped_here(file, len, pgoff)) {
		pr_info_ratelimited("%s[%d]: region '%s': mremap() of a mapping of 1 GiB pages refused\n",
				    current->comm, task_pid_nr(current),
				    region->fmt.name);
		return -EINVAL;
	}
	if (region->pool->page_order == PUD_ORDER && !addr &&
	    !(flags & MAP_FIXED) && len >= PUD_SIZE && len + PUD_SIZE > len) {
		ret = thp_get_unmapped_area(file, 0, len + PUD_SIZE, pgoff, flags);
		if (!IS_ERR_VALUE(ret))
			return ret + ((off - ret) & (PUD_SIZE - 1));
	}
	return thp_get_unmapped_area(file, addr, len, pgoff, flags);
}

/* Copy between @iter and the region from *@ppos, bounded by its length. */
static ssize_t vmkeep_rw(struct kiocb *iocb, struct iov_iter *iter, bool write)
{
	struct vmkeep_region *region = iocb->ki_filp->private_data;
	loff_t pos = iocb->ki_pos;
	size_t done = 0, len, n;
	phys_addr_t phys, bad;
	u64 contig;
	void *va;

	if (pos < 0)
		return -EINVAL;
	while (iov_iter_count(iter) && (u64)pos < region->fmt.length) {
		/*
		 * At most to the end of the 2 MiB page: hardened usercopy
		 * refuses copies that cross a compound page (6.15+).
		 */
		va = vmkeep_region_va(region, pos, &contig, &phys);
		contig = min_t(u64, contig, PMD_SIZE - (pos & ~PMD_MASK));
		len = min3((u64)iov_iter_count(iter), contig,
			   region->fmt.length - pos);
		/*
		 * A bad page is neither read (a machine check in the kernel)
		 * nor written: stop before it.  A page that goes bad during
		 * the copy ends a read short (_copy_mc_to_iter()).
		 */
		if (vmkeep_pool_bad(region->pool, ALIGN_DOWN(phys, PAGE_SIZE),
				    ALIGN(len + offset_in_page(phys), PAGE_SIZE),
				    &bad)) {
			len = bad > phys ? bad - phys : 0;
			if (!len) {
				if (!done)
					return -EIO;
				break;
			}
		}
		/* A unit nobody touched reads as zero; a write clears it. */
		if (write) {
			vmkeep_region_ready(region, pos, len);
			n = copy_from_iter(va, len, iter);
		} else if (vmkeep_region_unit_ready(region, pos)) {
			n = _copy_mc_to_iter(va, len, iter);
		} else {
			n = iov_iter_zero(len, iter);
		}
		done += n;
		pos += n;
		/*
		 * Short: the user buffer faulted, or (a read) the copy hit
		 * poison, which a caller must see as EIO.
		 */
		if (n < len) {
			if (done)
				break;
			return write || fault_in_iov_iter_writeable(iter, len - n) ?
			       -EFAULT : -EIO;
		}
		cond_resched();
	}
	if (write && !done && iov_iter_count(iter))
		return -ENOSPC;
	iocb->ki_pos = pos;
	return done;
}

static ssize_t vmkeep_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return vmkeep_rw(iocb, to, false);
}

static ssize_t vmkeep_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	return vmkeep_rw(iocb, from, true);
}

bool vmkeep_caller_is_admin(struct vmkeep_caller *caller)
{
	if (caller->admin < 0)
		caller->admin = capable(CAP_SYS_ADMIN);
	return caller->admin;
}

/* Read and write access, checked as for a file with the region's mode. */
bool vmkeep_region_may_open(const struct vmkeep_region *region,
			    struct vmkeep_caller *caller)
{
	u32 mode = region->fmt.mode;

	if (uid_eq(current_fsuid(), make_kuid(&init_user_ns, region->fmt.uid)))
		mode >>= 6;
	else if (in_group_p(make_kgid(&init_user_ns, region->fmt.gid)))
		mode >>= 3;
	return (mode & 06) == 06 || vmkeep_caller_is_admin(caller);
}

/* Each file holds a reference on its region, dropped at release. */
static void region_file_init(struct file *file, struct vmkeep_region *region)
{
	kref_get(&region->kref);
	atomic_inc(&vmkeep_nr_files);
	file->private_data = region;
}

static const struct inode_operations vmkeep_region_iops;

/*
 * A device node is a GET by path: the region behind its minor, if still
 * live, checked against the region's owner and mode (the node's own mode
 * may have been changed by hand), and a new opener for the exclusive
 * rule.  The devtmpfs inode is not ours and stays as it is: the file maps
 * through the region's dax inode (vmkeep_open()).
 */
static int node_claim(struct inode *inode)
{
	struct vmkeep_caller caller = VMKEEP_CALLER_INIT;
	struct vmkeep_region *region;

	lockdep_assert_held(&vmkeep_lock);
	region = vmkeep_node_region(inode->i_rdev);
	if (!region)
		return -ENOENT;
	if (!vmkeep_region_may_open(region, &caller))
		return -EACCES;
	return vmkeep_region_claim(region, NULL);
}

/*
 * Reached when a device node, or /proc/PID/fd/N of a region file (also
 * through an O_PATH fd), is opened: the VFS has checked the inode's owner
 * and mode, the region's own rules are checked here.
 */
static int vmkeep_open(struct inode *inode, struct file *file)
{
	bool node = inode->i_op != &vmkeep_region_iops;
	struct vmkeep_region *region;
	int ret;

	/*
	 * A reopen cannot truncate a region (see vmkeep_setattr()); a device
	 * node ignores O_TRUNC, as any character device does.
	 */
	if (!node && (file->f_flags & O_TRUNC))
		return -EINVAL;
	scoped_guard(mutex, &vmkeep_lock) {
		if (node) {
			ret = node_claim(inode);
			region = vmkeep_node_region(inode->i_rdev);
		} else {
			region = inode->i_private;
			ret = vmkeep_region_claim(region, inode);
		}
		if (ret)
			return ret;
		region_file_init(file, region);
	}
	/* A reopen has it from its inode already (vmkeep_region_file()). */
	file->f_mapping = region->dax->i_mapping;
	return 0;
}

static int vmkeep_release(struct inode *inode, struct file *file)
{
	struct vmkeep_region *region = file->private_data;

	atomic_dec(&vmkeep_nr_files);
	vmkeep_region_unclaim(region);
	vmkeep_region_put(region);
	return 0;
}

/* The size is the region's: a device node's inode has none. */
static loff_t vmkeep_llseek(struct file *file, loff_t offset, int whence)
{
	struct vmkeep_region *region = file->private_data;

	return fixed_size_llseek(file, offset, whence, region->fmt.length);
}

const struct file_operations vmkeep_region_fops = {
	.owner = THIS_MODULE,
	.open = vmkeep_open,
	.release = vmkeep_release,
	.mmap = vmkeep_mmap,
	.get_unmapped_area = vmkeep_get_unmapped_area,
	.llseek = vmkeep_llseek,
	.read_iter = vmkeep_read_iter,
	.write_iter = vmkeep_write_iter,
};

/*
 * The size is the region's: a truncate would change what fstat() says and
 * zap every mapping of the inode (simple_setattr()), a VMM's too.
 * EINVAL, as for secretmem and for a device-dax node (ftruncate() of a
 * character device).  Owner and mode may change as on any file.
 */
static int vmkeep_setattr(struct vmkeep_idmap *idmap, struct dentry *dentry,
			  struct iattr *attr)
{
	if (attr->ia_valid & ATTR_SIZE)
		return -EINVAL;
	return simple_setattr(idmap, dentry, attr);
}

static const struct inode_operations vmkeep_region_iops = {
	.setattr = vmkeep_setattr,
};

/*
 * A region inode's reference on its region and its pin go with it; the
 * filesystem's root inode has neither.
 */
static void vmkeep_evict_inode(struct inode *inode)
{
	struct vmkeep_region *region = inode->i_private;

	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (region)
		vmkeep_region_put(region);
}

static const struct super_operations vmkeep_sops = {
	.statfs = simple_statfs,
	.evict_inode = vmkeep_evict_inode,
};

static int vmkeep_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, VMKEEP_FS_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->ops = &vmkeep_sops;
	/*
	 * Region files are character files of our own, with no device
	 * number behind them: a reopen through /proc/self/fd must open
	 * them, which SB_I_NODEV would refuse (init_pseudo() sets it in 7.2, not
	 * in 6.12).
	 */
	fc->s_iflags &= ~SB_I_NODEV;
	return 0;
}

static struct file_system_type vmkeep_fs_type = {
	.name = "vmkeep",
	.owner = THIS_MODULE,
	.init_fs_context = vmkeep_init_fs_context,
	.kill_sb = kill_anon_super,
};

static int vmkeep_dax_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, VMKEEP_DAX_MAGIC) ? 0 : -ENOMEM;
}

/*
 * The regions' dax inodes, as device-dax's dax filesystem: mounted from
 * load to unload, with no owner, so that a region (which lives as long as
 * the module, files or not) does not hold the module.  vmkeep_pools_exit()
 * has put every region when it is unmounted.
 */
static struct file_system_type vmkeep_dax_fs_type = {
	.name = "vmkeep-dax",
	.init_fs_context = vmkeep_dax_init_fs_context,
	.kill_sb = kill_anon_super,
};

int vmkeep_region_fs_init(void)
{
	vmkeep_dax_mnt = kern_mount(&vmkeep_dax_fs_type);
	return PTR_ERR_OR_ZERO(vmkeep_dax_mnt);
}

void vmkeep_region_fs_exit(void)
{
	kern_unmount(vmkeep_dax_mnt);
}

/**
 * vmkeep_region_file() - a new file for @region
 * @region: claimed by the caller (vmkeep_region_claim()); the claim passes
 *          to the file on success
 *
 * Each file gets its own inode, which carries the owner, mode and size,
 * holds a reference on the region and pins the filesystem (and so the
 * module) until it is evicted.
 */
struct file *vmkeep_region_file(struct vmkeep_region *region)
{
	char name[VMKEEP_NAME_LEN + 8];
	struct inode *inode;
	struct file *file;
	int ret;

	ret = simple_pin_fs(&vmkeep_fs_type, &vmkeep_mnt, &vmkeep_mnt_count);
	if (ret)
		return ERR_PTR(ret);
	inode = alloc_anon_inode(vmkeep_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		file = ERR_CAST(inode);
		goto out;
	}
	/*
	 * alloc_anon_inode() leaves the inode off the sb's list: an inode
	 * kept by an fsnotify mark would then stall the sb's shutdown.
	 */
	inode_sb_list_add(inode);
	/*
	 * A character file, as a device-dax node (see the DOC above), whose
	 * mappings go to the region's dax inode; not S_PRIVATE, so that
	 * LSMs mediate its reopen and use.
	 */
	inode->i_mode = S_IFCHR | region->fmt.mode;
	inode->i_flags &= ~S_PRIVATE;
	inode->i_mapping = region->dax->i_mapping;
	inode->i_uid = make_kuid(&init_user_ns, region->fmt.uid);
	inode->i_gid = make_kgid(&init_user_ns, region->fmt.gid);
	kref_get(&region->kref);
	inode->i_private = region;
	inode->i_op = &vmkeep_region_iops;
	inode->i_fop = &vmkeep_region_fops;
	i_size_write(inode, region->fmt.length);

	snprintf(name, sizeof(name), "vmkeep:%s", region->fmt.name);
	/* The file holds the mount (and so the sb and module) from here. */
	file = alloc_file_pseudo(inode, vmkeep_mnt, name, O_RDWR | O_LARGEFILE,
				 &vmkeep_region_fops);
	if (IS_ERR(file)) {
		iput(inode);
		goto out;
	}
	/* __fput() drops a reference for f_op; alloc_file_pseudo() took none. */
	__module_get(THIS_MODULE);
	file->f_mode |= FMODE_PREAD | FMODE_PWRITE;
	region_file_init(file, region);
	/* The caller's claim is the only one if the region is exclusive. */
	scoped_guard(mutex, &vmkeep_lock)
		region->opener = inode;
out:
	simple_release_fs(&vmkeep_mnt, &vmkeep_mnt_count);
	return file;
}

