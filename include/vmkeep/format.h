/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: vmkeep on-pool format, version 1
 *
 * This is a contract between kernels: the kernel that writes it and the
 * kernel that boots next by kexec, which may run another vmkeep build.
 * Every field is little-endian and fixed-width; nothing here may change
 * meaning without a new compatible string.  The reader trusts nothing it
 * reads (see vmkeep_fmt_read()).
 *
 * A pool starts with %VMKEEP_FMT_META_SIZE bytes of metadata: two copies
 * (A at 0, B at %VMKEEP_FMT_COPY_SIZE) of a header followed by region
 * entries.  Region memory follows, in %VMKEEP_FMT_UNIT units.
 *
 * An update writes the copy that is not active: it invalidates that
 * copy's header, writes the entries, then writes the header with the next
 * generation and its checksum.  The active copy is the valid one with the
 * higher generation, so whenever a kernel stops - power cut, panic,
 * kexec - a reader finds the old or the new state, never a mix.
 *
 * Each entry has its own checksum: a damaged entry is quarantined on its
 * own while the other regions come back.  The header's checksum covers
 * the entries too (@entries_crc), so that a copy whose entries mix two
 * generations - a reset that lost some of the cache lines of an update -
 * is told from a sound one.
 *
 * A pool proves where it comes from with a random identity that FORMAT
 * writes into the header and the host keeps in root-only state: a CRC is
 * no authentication, and a range that was not a pool before this boot may
 * hold any bytes a tenant left there.  Headers without an identity were
 * written before it existed; they carry neither @page_shift nor
 * @entries_crc.
 */
#ifndef _VMKEEP_FORMAT_H
#define _VMKEEP_FORMAT_H

/* Userspace builds get u8, u32, u64 and size_t from tools/include/. */
#include <linux/types.h>

#define VMKEEP_FMT_MAGIC	0x3150454b4d56ULL	/* "VMKEP1" */
#define VMKEEP_FMT_COMPATIBLE	"vmkeep-v1"
/* 2: headers with @pool_id; 1: written before identities, still read */
#define VMKEEP_FMT_VERSION	2
#define VMKEEP_FMT_VERSION_NO_ID	1
#define VMKEEP_FMT_UNIT		(2ULL << 20)
#define VMKEEP_FMT_COPY_SIZE	(1ULL << 20)
#define VMKEEP_FMT_META_SIZE	(2 * VMKEEP_FMT_COPY_SIZE)
#define VMKEEP_FMT_HEADER_SIZE	512
#define VMKEEP_FMT_ENTRY_SIZE	256
#define VMKEEP_FMT_MAX_ENTRIES	\
	((VMKEEP_FMT_COPY_SIZE - VMKEEP_FMT_HEADER_SIZE) / VMKEEP_FMT_ENTRY_SIZE)
#define VMKEEP_FMT_MAX_EXTENTS	8
#define VMKEEP_FMT_NAME_LEN	64
#define VMKEEP_FMT_ID_LEN	16

/* vmkeep_fmt_header.flags */
#define VMKEEP_FMT_CLEAN	(1U << 0)	/* written on the way into kexec */

/* vmkeep_fmt_entry.flags */
#define VMKEEP_FMT_EXCLUSIVE	(1U << 0)
#define VMKEEP_FMT_QUARANTINED	(1U << 1)	/* .quarantine says why */
/*
 * Units of the region nobody touched may still hold an earlier region's
 * bytes: stored from ALLOC until they are all cleared.  Read back, the
 * region is quarantined: its memory is neither the VM's alone nor zero.
 */
#define VMKEEP_FMT_UNCLEARED	(1U << 2)
#define VMKEEP_FMT_ENTRY_FLAGS	\
	(VMKEEP_FMT_EXCLUSIVE | VMKEEP_FMT_QUARANTINED | VMKEEP_FMT_UNCLEARED)

/*
 * &struct vmkeep_fmt_region.flags set by the reader only, never stored:
 * REPAIRED - the active copy's entry failed its checksum and the other
 *            copy's entry of the same region was taken instead;
 * UNTRUSTED - the region is quarantined by its own entry (checksum,
 *            fields, name, extents or a stored quarantine): its extents,
 *            all that lie inside the pool even when they do not add up,
 *            keep their memory reserved, are never mapped, and quarantine
 *            no other region.
 */
#define VMKEEP_FMT_REPAIRED	(1U << 30)
#define VMKEEP_FMT_UNTRUSTED	(1U << 31)

/**
 * struct vmkeep_fmt_header - one metadata copy's header (512 bytes)
 * @magic: %VMKEEP_FMT_MAGIC; 0 while the copy is being rewritten
 * @compatible: "vmkeep-v1", NUL-padded
 * @version: %VMKEEP_FMT_VERSION, or %VMKEEP_FMT_VERSION_NO_ID for a header
 *           without @pool_id (an older vmkeep refuses a version 2 pool as
 *           written by an incompatible version, and keeps it)
 * @header_size: %VMKEEP_FMT_HEADER_SIZE
 * @entry_size: %VMKEEP_FMT_ENTRY_SIZE
 * @nr_entries: entries that follow the header, at most
 *              %VMKEEP_FMT_MAX_ENTRIES
 * @pool_base: physical address of the pool, as configured
 * @pool_size: bytes, as configured
 * @generation: +1 per update; the higher valid copy is active
 * @handoffs: kexecs passed with a clean mark
 * @next_id: the next region id to hand out
 * @flags: %VMKEEP_FMT_CLEAN
 * @crc: crc32c of the 512 bytes with @crc zero
 * @pool_id: random identity written by FORMAT, not all zero (version 2);
 *           all zero in version 1
 * @page_shift: log2 of the pool's page size, 21 or 30 (0 in version 1)
 * @entries_crc: crc32c of the @nr_entries entries that follow (0 in
 *               version 1)
 * @reserved: zero
 */
struct vmkeep_fmt_header {
	__le64 magic;
	char compatible[16];
	__le32 version;
	__le32 header_size;
	__le32 entry_size;
	__le32 nr_entries;
	__le64 pool_base;
	__le64 pool_size;
	__le64 generation;
	__le64 handoffs;
	__le64 next_id;
	__le32 flags;
	__le32 crc;
	u8 pool_id[VMKEEP_FMT_ID_LEN];
	__le32 page_shift;
	__le32 entries_crc;
	u8 reserved[400];
};

/**
 * struct vmkeep_fmt_extent - a physically contiguous piece of a region
 * @offset: from the start of the pool, a multiple of %VMKEEP_FMT_UNIT,
 *          at least %VMKEEP_FMT_META_SIZE
 * @length: a non-zero multiple of %VMKEEP_FMT_UNIT, inside the pool
 */
struct vmkeep_fmt_extent {
	__le64 offset;
	__le64 length;
};

/**
 * struct vmkeep_fmt_entry - one region (256 bytes)
 * @id: unique in the pool
 * @length: sum of the extents' lengths
 * @uid: owner
 * @gid: group
 * @mode: permission bits, at most 0777
 * @flags: %VMKEEP_FMT_ENTRY_FLAGS
 * @quarantine: VMKEEP_Q_* reason with %VMKEEP_FMT_QUARANTINED, else 0
 * @nr_extents: 1 to %VMKEEP_FMT_MAX_EXTENTS
 * @crc: crc32c of the 256 bytes with @crc zero
 * @reserved0: zero
 * @name: NUL-terminated and NUL-padded
 * @extents: the first @nr_extents are used, the rest are zero
 * @reserved: zero
 */
struct vmkeep_fmt_entry {
	__le64 id;
	__le64 length;
	__le32 uid;
	__le32 gid;
	__le32 mode;
	__le32 flags;
	__le32 quarantine;
	__le32 nr_extents;
	__le32 crc;
	__le32 reserved0;
	char name[VMKEEP_FMT_NAME_LEN];
	struct vmkeep_fmt_extent extents[VMKEEP_FMT_MAX_EXTENTS];
	u8 reserved[16];
};

/*
 * The reader and writer, shared by the module and by the host unit tests
 * and fuzzer (format/vmkeep_format.c).  Decoded values are CPU-endian.
 */

/**
 * struct vmkeep_fmt_region - a decoded entry
 * @id: see &struct vmkeep_fmt_entry
 * @length: bytes
 * @uid: owner
 * @gid: group
 * @mode: permission bits
 * @flags: %VMKEEP_FMT_EXCLUSIVE, %VMKEEP_FMT_QUARANTINED,
 *         %VMKEEP_FMT_REPAIRED, %VMKEEP_FMT_UNTRUSTED
 * @quarantine: VMKEEP_Q_* (uapi) when quarantined; 0 otherwise
 * @nr_extents: valid entries of @extents; for an %VMKEEP_FMT_UNTRUSTED
 *              region the in-bounds ones, reserved but never mapped
 * @name: NUL-terminated (bytes of an invalid name are replaced)
 * @extents: offset/length pairs, as in the entry
 */
struct vmkeep_fmt_region {
	u64 id;
	u64 length;
	u32 uid;
	u32 gid;
	u32 mode;
	u32 flags;
	u32 quarantine;
	u32 nr_extents;
	char name[VMKEEP_FMT_NAME_LEN];
	struct {
		u64 offset;
		u64 length;
	} extents[VMKEEP_FMT_MAX_EXTENTS];
};

/**
 * struct vmkeep_fmt_pool - the decoded state of a pool's metadata
 * @base: physical address of the pool (input to the reader)
 * @size: bytes (input to the reader)
 * @state: VMKEEP_POOL_* (uapi)
 * @damage: VMKEEP_D_* (uapi) when @state is %VMKEEP_POOL_DAMAGED
 * @generation: of the active copy
 * @handoffs: see &struct vmkeep_fmt_header
 * @next_id: see &struct vmkeep_fmt_header
 * @copy: index of the active copy, 0 or 1
 * @flags: header flags of the active copy
 * @nr_entries: entries in the active copy
 * @page_shift: the pool's page size, log2 (input to the reader and writer)
 * @id: the pool's identity (read; written by the writer); all zero for a
 *      header written before identities existed
 * @torn: the active copy's entries do not match its @entries_crc
 */
struct vmkeep_fmt_pool {
	u64 base;
	u64 size;
	u32 state;
	u32 damage;
	u64 generation;
	u64 handoffs;
	u64 next_id;
	u32 copy;
	u32 flags;
	u32 nr_entries;
	u32 page_shift;
	u8 id[VMKEEP_FMT_ID_LEN];
	bool torn;
};

/* CRC-32C (Castagnoli); vmkeep_crc32c(0, "123456789", 9) == 0xe3069283 */
u32 vmkeep_crc32c(u32 crc, const void *buf, size_t len);
/* 0 when @name (NUL within @len) is a valid region name, else -EINVAL */
int vmkeep_fmt_check_name(const char *name, size_t len);

/*
 * Reading.  @meta is the pool's first %VMKEEP_FMT_META_SIZE bytes; p->base
 * and p->size are set by the caller.  vmkeep_fmt_read() fills in the
 * rest of @p.  When p->state is %VMKEEP_POOL_READY, vmkeep_fmt_regions()
 * decodes all p->nr_entries entries into @r, validates each, repairs an
 * entry that fails its checksum from the other copy when that copy holds
 * the same region intact, quarantines the bad ones (also every region
 * whose memory another region claims), and returns the number of
 * quarantined regions.  @scratch must hold
 * p->nr_entries * %VMKEEP_FMT_MAX_EXTENTS elements.
 */
struct vmkeep_fmt_span {
	u64 start;
	u64 end;
	u32 idx;
};

void vmkeep_fmt_read(const void *meta, struct vmkeep_fmt_pool *p);
u32 vmkeep_fmt_regions(const void *meta, const struct vmkeep_fmt_pool *p,
		       struct vmkeep_fmt_region *r,
		       struct vmkeep_fmt_span *scratch);

/*
 * Writing.  vmkeep_fmt_begin() invalidates the inactive copy,
 * vmkeep_fmt_put() encodes entry @idx into it, and vmkeep_fmt_commit()
 * writes its header with @nr entries and @flags, the next generation,
 * and makes it active (p->copy, p->generation follow).
 * vmkeep_fmt_format() writes empty metadata with generation 1.
 */
void vmkeep_fmt_begin(void *meta, const struct vmkeep_fmt_pool *p);
void vmkeep_fmt_put(void *meta, const struct vmkeep_fmt_pool *p, u32 idx,
		    const struct vmkeep_fmt_region *r);
void vmkeep_fmt_commit(void *meta, struct vmkeep_fmt_pool *p, u32 nr,
		       u32 flags);
/* vmkeep_fmt_commit() in its two write steps: header, then magic. */
void vmkeep_fmt_write_header(void *meta, const struct vmkeep_fmt_pool *p,
			     u32 nr, u32 flags);
void vmkeep_fmt_write_magic(void *meta, struct vmkeep_fmt_pool *p);
/* A valid vmkeep header at @hdr for any pool: its base and size, or false. */
bool vmkeep_fmt_foreign(const void *hdr, u64 *base, u64 *size);
void vmkeep_fmt_format(void *meta, struct vmkeep_fmt_pool *p);
/* Whether @p->id is set: the header was written with an identity. */
bool vmkeep_fmt_has_id(const struct vmkeep_fmt_pool *p);

#endif /* _VMKEEP_FORMAT_H */
