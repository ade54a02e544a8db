/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Userspace interface for /dev/vmkeep: memory regions that survive kexec.
 */
#ifndef _UAPI_LINUX_VMKEEP_H
#define _UAPI_LINUX_VMKEEP_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: General ioctl format
 *
 * Every ioctl takes a pointer to a structure whose first member is
 * ``__u32 size``: the caller sets it to sizeof() the structure it was
 * built with.  The kernel accepts older, shorter structures (the missing
 * tail reads as zero) and newer, longer ones as long as the extra bytes
 * are zero.  Flags are checked against the set this kernel knows, and
 * every ``__reserved`` field must be zero.
 *
 * Errors, the same for every ioctl:
 *
 *  - ENOTTY: unknown ioctl number.
 *  - E2BIG: the structure is longer than the kernel's and the extra bytes
 *    are not zero.
 *  - EOPNOTSUPP: a flag this kernel does not know.
 *  - EINVAL: a reserved field is not zero, a size is too small for the
 *    ioctl, a length is zero or not a multiple of %VMKEEP_ALIGN, or a name
 *    is empty, not NUL-terminated, or has a byte outside [A-Za-z0-9._:+@-].
 *  - ENOENT: no region has that name.
 *  - EEXIST: a region with that name exists already.
 *  - EACCES: the region's owner and mode do not allow the caller.
 *  - EPERM: the caller lacks the capability the ioctl needs.
 *  - EBUSY: the module is frozen for kexec, or an exclusive region is
 *    already open.
 *  - ENOSPC: no pool (on the requested node) has room for the region, or
 *    its metadata has no room for another region.
 *  - ENOMEM: the kernel could not allocate its own bookkeeping.
 *  - EMFILE: the caller has no free file descriptor (nothing was made).
 *  - EMSGSIZE: an output array is too small; the count it needs is
 *    written back.
 *  - EIO: the region is quarantined: its metadata from the previous
 *    kernel failed validation, so its memory is never mapped.
 *  - ENODEV: no usable pool.
 *  - ENOMEDIUM: ALLOC found no ready pool but one that was never
 *    formatted (%VMKEEP_POOL_EMPTY): a new pool is used only after an
 *    explicit VMKEEP_IOC_FORMAT, never formatted implicitly.
 *  - EKEYREJECTED: VMKEEP_IOC_TRUST: the identity given is not the
 *    pool's, or the pool has none (written before identities existed).
 *
 * A region file reopened through /proc/PID/fd/N (stock QEMU's mem-path)
 * is checked again: ENOENT once the region is freed or its pool
 * formatted, EIO if it is quarantined, EBUSY for an exclusive region
 * that another opener has open.
 */

#define VMKEEP_TYPE		0xBC
#define VMKEEP_NAME_LEN		64
/* Region lengths and pool layout are in units of this size (2 MiB). */
#define VMKEEP_ALIGN		(2ULL << 20)
/* Length and placement of a %VMKEEP_ALLOC_ALIGN_1G region (1 GiB). */
#define VMKEEP_ALIGN_1G		(1ULL << 30)

enum {
	VMKEEP_CMD_ALLOC = 0x00,
	VMKEEP_CMD_GET = 0x01,
	VMKEEP_CMD_LIST = 0x02,
	VMKEEP_CMD_FREE = 0x03,
	VMKEEP_CMD_FINISH = 0x04,
	VMKEEP_CMD_FREEZE = 0x05,
	VMKEEP_CMD_THAW = 0x06,
	VMKEEP_CMD_STATUS = 0x07,
	VMKEEP_CMD_FORMAT = 0x08,
	VMKEEP_CMD_TRUST = 0x09,
	VMKEEP_CMD_LUO_LIST = 0x0a,
};

/* Length of a pool's identity (&struct vmkeep_format, &struct vmkeep_trust). */
#define VMKEEP_ID_LEN		16

/* Region flags, in &struct vmkeep_alloc and &struct vmkeep_region_info. */
#define VMKEEP_REGION_EXCLUSIVE	(1U << 0)
/*
 * Info only: its entry in the active metadata copy was damaged, and it
 * was restored from the other copy, which held it intact.
 */
#define VMKEEP_REGION_REPAIRED	(1U << 1)
/* Alloc-only flags. */
#define VMKEEP_ALLOC_NODE	(1U << 8)
#define VMKEEP_ALLOC_OWNER	(1U << 9)
#define VMKEEP_ALLOC_ALIGN_1G	(1U << 10)

/**
 * struct vmkeep_alloc - ioctl(VMKEEP_IOC_ALLOC)
 * @size: sizeof(struct vmkeep_alloc)
 * @flags: Input; %VMKEEP_REGION_EXCLUSIVE: one open file at a time;
 *         %VMKEEP_ALLOC_NODE: take the memory from a pool on @node;
 *         %VMKEEP_ALLOC_OWNER: owner is @uid/@gid (needs CAP_CHOWN)
 *         instead of the caller's fsuid/fsgid;
 *         %VMKEEP_ALLOC_ALIGN_1G: take the memory from a pool of 1 GiB
 *         pages (``vmkeep.pools=SIZE@ADDR:1G``), 1 GiB aligned, so that
 *         mappings 1 GiB aligned to the file offset (mmap() picks such
 *         an address) use 1 GiB page-table entries; @length must be a
 *         multiple of %VMKEEP_ALIGN_1G (EINVAL), and without such a pool
 *         with room, ENOSPC.  Pools of 1 GiB pages take no other region.
 * @length: Input; bytes, a multiple of %VMKEEP_ALIGN
 * @node: Input; NUMA node, with %VMKEEP_ALLOC_NODE
 * @mode: Input; permission bits, at most 0777; 0 means 0600
 * @uid: Input; owner, with %VMKEEP_ALLOC_OWNER
 * @gid: Input; group, with %VMKEEP_ALLOC_OWNER
 * @out_fd: Output; a new O_CLOEXEC file for the region
 * @__reserved: must be 0
 * @name: Input; NUL-terminated, 1 to %VMKEEP_NAME_LEN - 1 bytes of
 *        [A-Za-z0-9._:+@-], unique among all regions
 *
 * Carves a region from a pool and returns a file for it.  The memory
 * reads as zero, however it is reached; it is cleared in 2 MiB units as
 * they are first touched, and in the background, so ALLOC takes the same
 * time for any length.  The region lives until VMKEEP_IOC_FREE, across
 * kexec, not until its files are closed.
 */
struct vmkeep_alloc {
	__u32 size;
	__u32 flags;
	__aligned_u64 length;
	__s32 node;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__s32 out_fd;
	__u32 __reserved;
	char name[VMKEEP_NAME_LEN];
};
#define VMKEEP_IOC_ALLOC	_IO(VMKEEP_TYPE, VMKEEP_CMD_ALLOC)

/**
 * struct vmkeep_get - ioctl(VMKEEP_IOC_GET)
 * @size: sizeof(struct vmkeep_get)
 * @flags: Input; must be 0
 * @out_fd: Output; a new O_CLOEXEC file for the region
 * @__reserved: must be 0
 * @name: Input; the region's name
 *
 * Opens an existing region, ``incoming`` or ``active``.  Allowed when the
 * region's mode grants read and write to the caller (owner, group, other,
 * as for a file) or the caller has CAP_SYS_ADMIN.  A quarantined region
 * is never opened: EIO, whoever asks.
 */
struct vmkeep_get {
	__u32 size;
	__u32 flags;
	__s32 out_fd;
	__u32 __reserved;
	char name[VMKEEP_NAME_LEN];
};
#define VMKEEP_IOC_GET		_IO(VMKEEP_TYPE, VMKEEP_CMD_GET)

/* enum of &struct vmkeep_region_info.state */
#define VMKEEP_STATE_ACTIVE	0	/* created or finished by this kernel */
#define VMKEEP_STATE_INCOMING	1	/* restored, not yet finished */
#define VMKEEP_STATE_QUARANTINED 2	/* failed validation: never mapped */

/* Why a region is quarantined: &struct vmkeep_region_info.quarantine */
#define VMKEEP_Q_NONE		0
#define VMKEEP_Q_CRC		1	/* entry checksum mismatch */
#define VMKEEP_Q_NAME		2	/* name empty, unterminated, bad byte or duplicate */
#define VMKEEP_Q_EXTENT		3	/* extent count, alignment, bounds or sum wrong */
#define VMKEEP_Q_OVERLAP	4	/* memory claimed by another region too */
#define VMKEEP_Q_FIELD		5	/* unknown flag or non-zero reserved field */
#define VMKEEP_Q_UNCLEARED	6	/* the kernel stopped before its memory was cleared */
/* Live update sessions only (&struct vmkeep_luo_session_info) */
#define VMKEEP_Q_LUO_DATA	16	/* a memfd's pages fail their checksum */
#define VMKEEP_Q_LUO_REGION	17	/* a region it holds is missing or quarantined */

/**
 * struct vmkeep_region_info - one region, as VMKEEP_IOC_LIST reports it
 * @name: NUL-terminated name
 * @length: bytes
 * @id: identifier, unique within its pool and stable across kexec
 * @uid: owner
 * @gid: group
 * @mode: permission bits
 * @flags: %VMKEEP_REGION_EXCLUSIVE, %VMKEEP_REGION_REPAIRED
 * @state: %VMKEEP_STATE_ACTIVE, %VMKEEP_STATE_INCOMING or
 *         %VMKEEP_STATE_QUARANTINED
 * @quarantine: %VMKEEP_Q_NONE or why the region is quarantined
 * @node: NUMA node of its memory
 * @pool: index of its pool, as in VMKEEP_IOC_STATUS
 * @nr_extents: number of physically contiguous pieces
 * @nr_open: open files of the region
 * @nr_mapped: live mappings of the region
 * @nr_bad_pages: pages of 4 KiB of the region that a memory failure hit
 *                since the module was loaded (the kernel log names each
 *                offset); 0 from kernels before it.  They map no more
 *                (SIGBUS %BUS_MCEERR_AR on access), read and write EIO,
 *                and after FREE their memory is not reused while the
 *                module stays loaded.  Not stored in the pool: an unload
 *                or a kexec forgets them.
 */
struct vmkeep_region_info {
	char name[VMKEEP_NAME_LEN];
	__aligned_u64 length;
	__aligned_u64 id;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 flags;
	__u32 state;
	__u32 quarantine;
	__s32 node;
	__u32 pool;
	__u32 nr_extents;
	__u32 nr_open;
	__u32 nr_mapped;
	__u32 nr_bad_pages;
};

/**
 * struct vmkeep_list - ioctl(VMKEEP_IOC_LIST)
 * @size: sizeof(struct vmkeep_list)
 * @flags: Input; must be 0
 * @num_regions: Input; room in @regions; Output; number of regions.
 *               If the room is too small, EMSGSIZE and only the count.
 * @__reserved: must be 0
 * @regions: Input; user pointer to an array of &struct vmkeep_region_info
 *
 * Lists every region, in pool order then offset order.  Needs no
 * permission beyond an open /dev/vmkeep.
 */
struct vmkeep_list {
	__u32 size;
	__u32 flags;
	__u32 num_regions;
	__u32 __reserved;
	__aligned_u64 regions;
};
#define VMKEEP_IOC_LIST		_IO(VMKEEP_TYPE, VMKEEP_CMD_LIST)

/**
 * struct vmkeep_free - ioctl(VMKEEP_IOC_FREE)
 * @size: sizeof(struct vmkeep_free)
 * @flags: Input; must be 0
 * @name: Input; the region's name
 *
 * Releases a region (also a quarantined one).  Its memory returns to the
 * pool when its last file and mapping are gone and no page of it is held
 * (a pin, a pipe buffer); the name is free at once, and no file of the
 * region can be opened again.
 * Allowed for the owner and for CAP_SYS_ADMIN.  A quarantined region
 * (but for %VMKEEP_Q_UNCLEARED, whose entry is sound) only for
 * CAP_SYS_ADMIN, else EACCES: its owner comes from metadata nothing
 * vouches for, and its FREE may end its pool's hold
 * (%VMKEEP_POOL_HELD), after which the metadata is written again over
 * the last copy of its entry.
 */
struct vmkeep_free {
	__u32 size;
	__u32 flags;
	char name[VMKEEP_NAME_LEN];
};
#define VMKEEP_IOC_FREE		_IO(VMKEEP_TYPE, VMKEEP_CMD_FREE)

#define VMKEEP_FINISH_ALL	(1U << 0)

/**
 * struct vmkeep_finish - ioctl(VMKEEP_IOC_FINISH)
 * @size: sizeof(struct vmkeep_finish)
 * @flags: Input; %VMKEEP_FINISH_ALL: every incoming region the caller may
 *         finish, @name must be empty
 * @name: Input; the region's name
 *
 * Marks an incoming region as claimed by this kernel (active).  Finishing
 * an active region succeeds and changes nothing; a quarantined one is
 * refused (EIO, whoever asks).  Allowed for the owner and for
 * CAP_SYS_ADMIN.
 */
struct vmkeep_finish {
	__u32 size;
	__u32 flags;
	char name[VMKEEP_NAME_LEN];
};
#define VMKEEP_IOC_FINISH	_IO(VMKEEP_TYPE, VMKEEP_CMD_FINISH)

/**
 * struct vmkeep_freeze - ioctl(VMKEEP_IOC_FREEZE)
 * @size: sizeof(struct vmkeep_freeze)
 * @flags: Input; must be 0
 * @out_mapped: Output; regions that still have live mappings
 * @__reserved: must be 0
 *
 * Prepares for kexec: writes the metadata of every pool and refuses
 * ALLOC, FREE, FINISH and FORMAT (EBUSY) until THAW.  Mapped regions keep
 * working; their count tells the caller which VMMs still run.  Needs
 * CAP_SYS_ADMIN.  First it waits until the memory of new regions is
 * cleared where nobody touched it, which takes as long as clearing that
 * memory (a region is cleared in the background from its ALLOC on).
 * While it waits the module is frozen too.  A fatal signal ends the
 * wait: EINTR, and the module stays frozen only if another FREEZE still
 * waits or has completed; EBUSY when a THAW came during the wait.
 * After the reboot notifier began a kexec the module is frozen for good
 * and its clean mark is the last metadata write: FREEZE then writes
 * nothing and succeeds.
 */
struct vmkeep_freeze {
	__u32 size;
	__u32 flags;
	__u32 out_mapped;
	__u32 __reserved;
};
#define VMKEEP_IOC_FREEZE	_IO(VMKEEP_TYPE, VMKEEP_CMD_FREEZE)

/**
 * struct vmkeep_thaw - ioctl(VMKEEP_IOC_THAW)
 * @size: sizeof(struct vmkeep_thaw)
 * @flags: Input; must be 0
 *
 * Undoes VMKEEP_IOC_FREEZE.  Needs CAP_SYS_ADMIN.
 */
struct vmkeep_thaw {
	__u32 size;
	__u32 flags;
};
#define VMKEEP_IOC_THAW		_IO(VMKEEP_TYPE, VMKEEP_CMD_THAW)

/* enum of &struct vmkeep_pool_info.state */
#define VMKEEP_POOL_READY	0	/* metadata valid, in use */
#define VMKEEP_POOL_EMPTY	1	/* no vmkeep metadata: unused until FORMAT */
#define VMKEEP_POOL_DAMAGED	2	/* invalid metadata: untouched until a forced FORMAT */
/*
 * Valid metadata that did not prove to be this host's (VMKEEP_IOC_TRUST):
 * nothing restored, mapped or written until it does, is adopted, or is
 * force-formatted.
 */
#define VMKEEP_POOL_FOREIGN	3

/* Why a pool is damaged: &struct vmkeep_pool_info.damage */
#define VMKEEP_D_NONE		0
#define VMKEEP_D_CRC		1	/* no superblock copy has a valid checksum */
#define VMKEEP_D_VERSION	2	/* written by an incompatible format version */
/* describes another pool address or size, or holds another pool's metadata */
#define VMKEEP_D_GEOMETRY	3
#define VMKEEP_D_FIELD		4	/* a superblock field is out of range */

/* &struct vmkeep_pool_info.flags */
#define VMKEEP_POOL_CLEAN_HANDOFF (1U << 0)	/* the previous kernel shut down in order */
#define VMKEEP_POOL_RESTORED	(1U << 1)	/* regions were restored at load */
/*
 * A quarantined region (but for %VMKEEP_Q_UNCLEARED, whose entry is
 * sound) was not repaired: both metadata copies are kept
 * as they were found (no write, no ALLOC from the pool, no clean mark)
 * until every quarantined region is freed or the pool force-formatted.
 */
#define VMKEEP_POOL_HELD	(1U << 2)
#define VMKEEP_POOL_PAGES_1G	(1U << 3)	/* 1 GiB pages: VMKEEP_ALLOC_ALIGN_1G regions */
/*
 * A memory failure hit pages of the pool since the module was loaded:
 * their memory is never handed out again until the module is unloaded,
 * which forgets them, as a kexec does (not stored in the pool).
 */
#define VMKEEP_POOL_BAD_PAGES	(1U << 4)

/**
 * struct vmkeep_pool_info - one pool, as VMKEEP_IOC_STATUS reports it
 * @base: physical address
 * @length: bytes, metadata included
 * @free: bytes not used by any region (or quarantined memory)
 * @generation: metadata generation, +1 per change
 * @handoffs: kexecs (and unloads) this pool's metadata went through in order
 * @restore_ns: time the module took to validate and restore it at load
 * @meta_bytes: bytes of metadata in use (one copy)
 * @node: NUMA node
 * @state: %VMKEEP_POOL_READY, %VMKEEP_POOL_EMPTY, %VMKEEP_POOL_DAMAGED or
 *         %VMKEEP_POOL_FOREIGN
 * @damage: %VMKEEP_D_NONE or why the pool is damaged
 * @flags: %VMKEEP_POOL_CLEAN_HANDOFF, %VMKEEP_POOL_RESTORED,
 *         %VMKEEP_POOL_HELD, %VMKEEP_POOL_PAGES_1G, %VMKEEP_POOL_BAD_PAGES
 * @nr_regions: regions in the pool, quarantined ones included
 * @nr_incoming: regions not finished since the last kexec
 * @nr_quarantined: regions that failed validation
 * @nr_repaired: regions restored from the other metadata copy at load
 *               (%VMKEEP_REGION_REPAIRED); 0 from kernels before it
 */
struct vmkeep_pool_info {
	__aligned_u64 base;
	__aligned_u64 length;
	__aligned_u64 free;
	__aligned_u64 generation;
	__aligned_u64 handoffs;
	__aligned_u64 restore_ns;
	__aligned_u64 meta_bytes;
	__s32 node;
	__u32 state;
	__u32 damage;
	__u32 flags;
	__u32 nr_regions;
	__u32 nr_incoming;
	__u32 nr_quarantined;
	__u32 nr_repaired;
};

#define VMKEEP_STATUS_FROZEN	(1U << 0)

/**
 * struct vmkeep_status - ioctl(VMKEEP_IOC_STATUS)
 * @size: sizeof(struct vmkeep_status)
 * @flags: Input; must be 0
 * @num_pools: Input; room in @pools; Output; number of pools.  If the
 *             room is too small, EMSGSIZE and only the count.
 * @out_flags: Output; %VMKEEP_STATUS_FROZEN
 * @pools: Input; user pointer to an array of &struct vmkeep_pool_info
 */
struct vmkeep_status {
	__u32 size;
	__u32 flags;
	__u32 num_pools;
	__u32 out_flags;
	__aligned_u64 pools;
};
#define VMKEEP_IOC_STATUS	_IO(VMKEEP_TYPE, VMKEEP_CMD_STATUS)

#define VMKEEP_FORMAT_FORCE	(1U << 0)

/**
 * struct vmkeep_format - ioctl(VMKEEP_IOC_FORMAT)
 * @size: sizeof(struct vmkeep_format)
 * @flags: Input; %VMKEEP_FORMAT_FORCE: also a damaged pool (which may be
 *         a shifted pool over another pool's regions: the kernel log
 *         names it), or one that still holds regions (they are lost)
 * @pool: Input; index of the pool, as in VMKEEP_IOC_STATUS
 * @__reserved: must be 0
 * @out_pool_id: Output; the pool's identity: random and new unless the
 *               pool was ready (its identity proven), which keeps its
 *               own.  The host keeps it where only root reads it and
 *               presents it with VMKEEP_IOC_TRUST after the next load
 *               or kexec.
 *
 * Writes empty metadata.  A pool that never held vmkeep metadata
 * (%VMKEEP_POOL_EMPTY) is used only after this.  Without
 * %VMKEEP_FORMAT_FORCE only an empty pool or one without regions is
 * formatted; otherwise EBUSY (also for a damaged or a foreign pool).
 * Regions of the pool that are still open return EBUSY even with the
 * flag.  Needs CAP_SYS_ADMIN.
 */
struct vmkeep_format {
	__u32 size;
	__u32 flags;
	__u32 pool;
	__u32 __reserved;
	__u8 out_pool_id[VMKEEP_ID_LEN];
};
#define VMKEEP_IOC_FORMAT	_IO(VMKEEP_TYPE, VMKEEP_CMD_FORMAT)

#define VMKEEP_TRUST_ADOPT	(1U << 0)

/**
 * struct vmkeep_trust - ioctl(VMKEEP_IOC_TRUST)
 * @size: sizeof(struct vmkeep_trust)
 * @flags: Input; %VMKEEP_TRUST_ADOPT: take the pool's metadata as it is,
 *         whatever its identity, and give the pool a new one
 * @pool: Input; index of the pool, as in VMKEEP_IOC_STATUS
 * @__reserved: must be 0
 * @pool_id: Input; the identity VMKEEP_IOC_FORMAT returned.  Output with
 *           %VMKEEP_TRUST_ADOPT: the pool's new identity.
 *
 * Checksums prove that metadata is whole, not who wrote it: a range that
 * was no pool before this boot may hold any bytes a tenant left there.
 * So a pool whose metadata is valid loads %VMKEEP_POOL_FOREIGN, and its
 * regions are restored, as at load, only once its identity is presented
 * here.  The identity is compared in constant time; a wrong one, or a
 * pool without one, is EKEYREJECTED and the pool stays foreign.
 * Presenting a ready pool's own identity succeeds and changes nothing.
 *
 * %VMKEEP_TRUST_ADOPT is the admin's word that the metadata is the
 * host's (a pool formatted before identities existed, or whose identity
 * was lost): its regions are restored and the new identity is written
 * with the next metadata update; EINVAL for a pool that is not foreign.
 * Needs CAP_SYS_ADMIN.
 */
struct vmkeep_trust {
	__u32 size;
	__u32 flags;
	__u32 pool;
	__u32 __reserved;
	__u8 pool_id[VMKEEP_ID_LEN];
};
#define VMKEEP_IOC_TRUST	_IO(VMKEEP_TYPE, VMKEEP_CMD_TRUST)

/* &struct vmkeep_luo_session_info.state */
#define VMKEEP_LUO_OUTGOING	0	/* made in this boot: goes to the next kernel */
#define VMKEEP_LUO_INCOMING	1	/* from the previous kernel, not retrieved */
#define VMKEEP_LUO_RETRIEVED	2	/* from the previous kernel, retrieved */
#define VMKEEP_LUO_QUARANTINED	3	/* failed validation: never retrieved */

/* &struct vmkeep_luo_file_info.kind */
#define VMKEEP_LUO_KIND_MEMFD	1
#define VMKEEP_LUO_KIND_REGION	2

/**
 * struct vmkeep_luo_session_info - one live update session
 * @name: NUL-terminated name, as given to LIVEUPDATE_IOCTL_CREATE_SESSION
 * @set: for an incoming session, the number of the live update set it
 *       came in (one above every set its kernel's pools held, from 1;
 *       its pool's entries ``luo.SET`` and ``luo.SET.N``); 0 for an
 *       outgoing one
 * @bytes: pool bytes its memfds hold (reserved, for an outgoing session)
 * @state: %VMKEEP_LUO_OUTGOING, %VMKEEP_LUO_INCOMING,
 *         %VMKEEP_LUO_RETRIEVED or %VMKEEP_LUO_QUARANTINED
 * @quarantine: why it is quarantined: a VMKEEP_Q_* value
 * @pool: index of the pool that holds its state
 * @nr_files: its files, listed in &struct vmkeep_luo_list.files
 */
struct vmkeep_luo_session_info {
	char name[VMKEEP_NAME_LEN];
	__aligned_u64 set;
	__aligned_u64 bytes;
	__u32 state;
	__u32 quarantine;
	__u32 pool;
	__u32 nr_files;
};

/**
 * struct vmkeep_luo_file_info - one file of a live update session
 * @token: the token it was preserved with
 * @size: a memfd's size; a region's length
 * @region_id: a region's id in its own pool, which need not be the
 *             session's (ids are unique per pool only); 0 for a memfd
 * @session: index of its session in &struct vmkeep_luo_list.sessions
 * @kind: %VMKEEP_LUO_KIND_MEMFD or %VMKEEP_LUO_KIND_REGION
 * @pool: index of the pool of its memory: a region's own pool (with
 *        @region_id, the region), a memfd's session's; %VMKEEP_LUO_NO_POOL
 *        for a region whose pool is not loaded
 * @__reserved: 0
 */
struct vmkeep_luo_file_info {
	__aligned_u64 token;
	__aligned_u64 size;
	__aligned_u64 region_id;
	__u32 session;
	__u32 kind;
	__u32 pool;
	__u32 __reserved;
};

#define VMKEEP_LUO_NO_POOL	0xffffffffU

#define VMKEEP_LUO_ENABLED	(1U << 0)

/**
 * struct vmkeep_luo_list - ioctl(VMKEEP_IOC_LUO_LIST)
 * @size: sizeof(struct vmkeep_luo_list)
 * @flags: Input; must be 0
 * @num_sessions: Input; room in @sessions; Output; number of sessions
 * @num_files: Input; room in @files; Output; number of files.  If either
 *             room is too small, EMSGSIZE and only the counts.
 * @out_flags: Output; %VMKEEP_LUO_ENABLED when this module provides
 *             /dev/liveupdate (module parameter ``luo=1``)
 * @__reserved: must be 0
 * @sessions: Input; user pointer to an array of
 *            &struct vmkeep_luo_session_info
 * @files: Input; user pointer to an array of &struct vmkeep_luo_file_info
 *
 * Lists the sessions of mainline's live update uAPI that this module
 * keeps: outgoing ones first, then those from the previous kernel.
 * Needs no permission beyond an open /dev/vmkeep.
 */
struct vmkeep_luo_list {
	__u32 size;
	__u32 flags;
	__u32 num_sessions;
	__u32 num_files;
	__u32 out_flags;
	__u32 __reserved;
	__aligned_u64 sessions;
	__aligned_u64 files;
};
#define VMKEEP_IOC_LUO_LIST	_IO(VMKEEP_TYPE, VMKEEP_CMD_LUO_LIST)

#endif /* _UAPI_LINUX_VMKEEP_H */
