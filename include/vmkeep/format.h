/* SPDX-License-Identifier: LGPL-2.1-or-later */
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
/*
 * Memory of a live update set (vmkeep_luo.c), not a region: never named,
 * opened or listed as one.  The name is "luo.SET" for the set's tables
 * (exactly one %VMKEEP_FMT_UNIT) and "luo.SET.N" for its data.  A
 * vmkeep that predates it quarantines the entry (unknown flag) and so
 * keeps its memory.
 */
#define VMKEEP_FMT_LUO		(1U << 3)
#define VMKEEP_FMT_ENTRY_FLAGS	\
	(VMKEEP_FMT_EXCLUSIVE | VMKEEP_FMT_QUARANTINED | VMKEEP_FMT_UNCLEARED | \
	 VMKEEP_FMT_LUO)

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
u32 vmkeep_fmt_header_crc(const void *h, size_t size, size_t at, __le64 magic);
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

/**
 * DOC: live update sets
 *
 * The state of mainline's live update uAPI (/dev/liveupdate) that one
 * kexec hands to the next is a *set*: its tables, in one unit of the pool
 * (the entry "luo.SET"), and the pages of its memfds, in units of its own
 * (entries "luo.SET.N").  The tables unit holds two copies, A at 0 and B
 * at %VMKEEP_LUO_COPY_SIZE, each a header followed by session, file and
 * run records.  Both copies are written whole on the way into kexec (B
 * after A), and rewritten (B, then A) when the next kernel marks sessions
 * consumed: the valid copy with the higher generation is the active one.
 *
 * Every record has its own checksum; run records, which have no room for
 * one, are covered by their file's @runs_crc.  A record that fails it is
 * taken from the other copy when that copy is valid and of the same
 * generation (a file's runs with it); otherwise its session is
 * quarantined whole, with every other session whose record of a file or
 * run is unsound: a session comes back whole or not at all, and a
 * quarantined one keeps its memory.  So a bit flipped anywhere costs no
 * session, and two flips cost one session at most.
 *
 * The header's @tables_crc covers all records: a copy whose records do
 * not match it (a bit flip, or records of an older generation under a
 * newer header, which pass their own checksums) is *torn*.  The reader
 * says so and prefers a twin that is not torn; what a torn active copy
 * means for the set is the caller's decision.
 *
 * A session's files are the slice [@first_file, @first_file + @nr_files)
 * of the file records, a memfd's runs the slice [@first_run, @first_run +
 * @nr_runs) of the run records.  Slices of two sessions, consumed ones
 * included, never share a file; slices of two files never share a run.
 */
#define VMKEEP_LUO_MAGIC	0x314f554c4b4d56ULL	/* "VMKLUO1" */
#define VMKEEP_LUO_VERSION	1
#define VMKEEP_LUO_COPY_SIZE	(1ULL << 20)
#define VMKEEP_LUO_HEADER_SIZE	256
#define VMKEEP_LUO_SESSION_SIZE	96
#define VMKEEP_LUO_FILE_SIZE	64
#define VMKEEP_LUO_RUN_SIZE	16
#define VMKEEP_LUO_NAME_LEN	64
#define VMKEEP_LUO_PAGE		4096ULL

/* vmkeep_luo_session.flags */
#define VMKEEP_LUO_F_CONSUMED	(1U << 0)	/* finished or dropped: gone */
#define VMKEEP_LUO_F_QUARANTINED	(1U << 1)	/* .quarantine says why */
#define VMKEEP_LUO_SESSION_FLAGS (VMKEEP_LUO_F_CONSUMED | VMKEEP_LUO_F_QUARANTINED)

/* vmkeep_luo_file.kind */
#define VMKEEP_LUO_FMT_MEMFD	1
#define VMKEEP_LUO_FMT_REGION	2

/* vmkeep_luo_file.flags */
#define VMKEEP_LUO_F_GONE		(1U << 0)	/* region freed before kexec */
#define VMKEEP_LUO_FILE_FLAGS	VMKEEP_LUO_F_GONE

/**
 * struct vmkeep_luo_header - one copy's header (256 bytes)
 * @magic: %VMKEEP_LUO_MAGIC; 0 while the copy is being rewritten
 * @version: %VMKEEP_LUO_VERSION
 * @header_size: %VMKEEP_LUO_HEADER_SIZE
 * @session_size: %VMKEEP_LUO_SESSION_SIZE
 * @file_size: %VMKEEP_LUO_FILE_SIZE
 * @run_size: %VMKEEP_LUO_RUN_SIZE
 * @nr_sessions: session records after the header
 * @nr_files: file records after the sessions
 * @nr_runs: run records after the files; all four tables fit the copy
 * @set: the set's number, as in its entries' names
 * @generation: +1 per rewrite of both copies
 * @crc: crc32c of the 256 bytes with @crc zero
 * @tables_crc: crc32c of all the records that follow
 * @reserved: zero
 */
struct vmkeep_luo_header {
	__le64 magic;
	__le32 version;
	__le32 header_size;
	__le32 session_size;
	__le32 file_size;
	__le32 run_size;
	__le32 nr_sessions;
	__le32 nr_files;
	__le32 nr_runs;
	__le64 set;
	__le64 generation;
	__le32 crc;
	__le32 tables_crc;
	u8 reserved[192];
};

/**
 * struct vmkeep_luo_session - one session (96 bytes)
 * @name: 1 to 63 bytes, NUL-terminated and NUL-padded
 * @first_file: index of its first file record
 * @nr_files: its file records, @first_file on; the sessions' slices are
 *            disjoint
 * @flags: %VMKEEP_LUO_SESSION_FLAGS
 * @quarantine: with %VMKEEP_LUO_F_QUARANTINED, why; else 0
 * @crc: crc32c of the 96 bytes with @crc zero
 * @reserved: zero
 */
struct vmkeep_luo_session {
	char name[VMKEEP_LUO_NAME_LEN];
	__le32 first_file;
	__le32 nr_files;
	__le32 flags;
	__le32 quarantine;
	__le32 crc;
	u8 reserved[12];
};

/**
 * struct vmkeep_luo_file - one preserved file (64 bytes)
 * @token: the user's token, unique in its session
 * @kind: %VMKEEP_LUO_FMT_MEMFD or %VMKEEP_LUO_FMT_REGION
 * @flags: %VMKEEP_LUO_FILE_FLAGS
 * @crc: crc32c of the 64 bytes with @crc zero
 * @size: a memfd's size in bytes; a region's length
 * @pos: a memfd's file position; a region's pool's base address (ids are
 *       per pool)
 * @region_id: a region's id in this pool; 0 for a memfd
 * @seals: a memfd's F_SEAL_* bits; 0 for a region
 * @first_run: a memfd's first run record; 0 for a region
 * @nr_runs: a memfd's runs, DIV_ROUND_UP(@size, 4096) pages in all; the
 *           files' slices are disjoint
 * @data_crc: crc32c of a memfd's @size bytes; 0 for a region
 * @runs_crc: crc32c of its @nr_runs run records (0 without runs); written
 *            by vmkeep_luo_end()
 * @reserved: zero
 */
struct vmkeep_luo_file {
	__le64 token;
	__le16 kind;
	__le16 flags;
	__le32 crc;
	__le64 size;
	__le64 pos;
	__le64 region_id;
	__le32 seals;
	__le32 first_run;
	__le32 nr_runs;
	__le32 data_crc;
	__le32 runs_crc;
	u8 reserved[4];
};

/**
 * struct vmkeep_luo_run - pages of a memfd (16 bytes)
 * @offset: from the start of the pool, a multiple of 4096, inside one
 *          extent of the set's data entries
 * @length: a non-zero multiple of 4096; no two runs overlap
 *
 * No checksum of its own: its file's @runs_crc covers it.
 */
struct vmkeep_luo_run {
	__le64 offset;
	__le64 length;
};

/*
 * Decoded, CPU-endian; the fields as above.  Whatever the records say,
 * every session's slice of @fs and every file's slice of @rs lies inside
 * the tables, and no two slices share a file or a run: an unknown or
 * out-of-range slice, or one shared with another, is decoded as empty
 * (but for the runs of a live session's memfds, which share none).  So
 * walking all slices, or writing the decoded set back, is O(records).
 *
 * &struct vmkeep_luo_sess.flags, besides the stored ones:
 * %VMKEEP_FMT_REPAIRED - a record of it, its files' or their runs' was
 *	taken from the twin (never with %VMKEEP_LUO_F_QUARANTINED);
 * %VMKEEP_FMT_UNTRUSTED - its slice of files is not known (decoded as
 *	empty): its record failed its checksum, or the slice lies outside
 *	the tables or shares files with another session's.
 * A quarantined session has %VMKEEP_LUO_F_QUARANTINED and @quarantine; a
 * consumed one is never quarantined.  The name of one whose record failed
 * its checksum, or whose name is invalid, is made printable: kept when it
 * is, else "!bad-<index>" (which a valid name may equal: quarantined
 * sessions are never looked up by name).
 *
 * &struct vmkeep_luo_fil.flags, besides %VMKEEP_LUO_F_GONE:
 * %VMKEEP_FMT_REPAIRED - its record or its runs were taken from the twin;
 * %VMKEEP_FMT_UNTRUSTED - its record failed its checksum: decoded as zero.
 * Runs of a memfd whose runs fail @runs_crc unrepaired are decoded as
 * read, its slice as empty.
 */
struct vmkeep_luo_sess {
	char name[VMKEEP_LUO_NAME_LEN];
	u32 first_file;
	u32 nr_files;
	u32 flags;
	u32 quarantine;
};

struct vmkeep_luo_fil {
	u64 token;
	u32 kind;
	u32 flags;
	u64 size;
	u64 pos;
	u64 region_id;
	u32 seals;
	u32 first_run;
	u32 nr_runs;
	u32 data_crc;
};

struct vmkeep_luo_span {
	u64 offset;
	u64 length;
};

/**
 * struct vmkeep_luo_set - the decoded header of a set's tables
 * @set: the set's number
 * @generation: of the active copy
 * @copy: the active copy, 0 (A) or 1 (B)
 * @nr_sessions: records in the active copy
 * @nr_files: records in the active copy
 * @nr_runs: records in the active copy
 * @damage: VMKEEP_D_* when no copy is valid (every session of the set is
 *          lost to the reader, its memory kept); else %VMKEEP_D_NONE.
 *          %VMKEEP_D_GEOMETRY: the tables of another set.
 * @torn: the active copy's records do not match its @tables_crc
 * @twin: the other copy is valid, of the same generation and with the
 *        same counts (repairs)
 */
struct vmkeep_luo_set {
	u64 set;
	u64 generation;
	u32 copy;
	u32 nr_sessions;
	u32 nr_files;
	u32 nr_runs;
	u32 damage;
	bool torn;
	bool twin;
};

/* Bytes of one copy with these many records. */
u64 vmkeep_luo_copy_bytes(u32 nr_sessions, u32 nr_files, u32 nr_runs);

/*
 * Reading.  @area is the set's tables unit (%VMKEEP_FMT_UNIT bytes), @set
 * the number its entry's name gives (a copy of another set is invalid).
 * vmkeep_luo_read() fills in @s.  Unless s->damage, vmkeep_luo_decode()
 * decodes the active copy's records into @ss, @fs and @rs (s->nr_* each),
 * repairs a record that fails its checksum from the twin, checks every
 * field, slice, name (unique), token (unique in its session), and run
 * (inside one of the @nr_data spans of the set's data, no overlap), and
 * quarantines each session with an unsound record of its own, file or
 * run (%VMKEEP_LUO_F_QUARANTINED with a VMKEEP_Q_* reason).  Returns the
 * number of sessions quarantined.  @scratch must hold
 * vmkeep_luo_scratch(s) spans: the largest of the three counts.
 */
static inline u32 vmkeep_luo_scratch(const struct vmkeep_luo_set *s)
{
	u32 n = s->nr_sessions > s->nr_files ? s->nr_sessions : s->nr_files;

	return n > s->nr_runs ? n : s->nr_runs;
}

void vmkeep_luo_read(const void *area, u64 set, struct vmkeep_luo_set *s);
u32 vmkeep_luo_decode(const void *area, const struct vmkeep_luo_set *s,
		      const struct vmkeep_luo_span *data, u32 nr_data,
		      struct vmkeep_luo_sess *ss, struct vmkeep_luo_fil *fs,
		      struct vmkeep_luo_span *rs, struct vmkeep_luo_span *scratch);

/*
 * Writing one copy (@copy 0 or 1): vmkeep_luo_begin() clears its magic,
 * the put functions encode record @idx (in any order), vmkeep_luo_end()
 * seals each memfd's record with the checksum of its runs, computes the
 * tables' checksum over the @s->nr_* records and writes the header with
 * @s->set and @s->generation, its magic last.  A caller writes copy 0
 * then copy 1 with the same @s (into kexec), or 1 then 0 (a rewrite,
 * @s->generation + 1).  Records the counts do not fit are not written.
 * A session is written with %VMKEEP_LUO_F_QUARANTINED when its
 * @quarantine is non-zero.
 */
void vmkeep_luo_begin(void *area, u32 copy);
void vmkeep_luo_put_session(void *area, u32 copy, const struct vmkeep_luo_set *s,
			    u32 idx, const struct vmkeep_luo_sess *ss);
void vmkeep_luo_put_file(void *area, u32 copy, const struct vmkeep_luo_set *s,
			 u32 idx, const struct vmkeep_luo_fil *fs);
void vmkeep_luo_put_run(void *area, u32 copy, const struct vmkeep_luo_set *s,
			u32 idx, const struct vmkeep_luo_span *rs);
void vmkeep_luo_end(void *area, u32 copy, const struct vmkeep_luo_set *s);

#endif /* _VMKEEP_FORMAT_H */
