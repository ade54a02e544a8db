/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: names of the uAPI's enumerations, shared by kernel and userspace
 *
 * The module's debugfs and kernel log, libvmkeep and vmkeepctl all name
 * region states, pool states, damage and quarantine reasons, and the
 * states and file kinds of live update sessions: the short names
 * (``incoming``, ``crc``) are what ``vmkeepctl list`` and its JSON print
 * and what the debugfs state file shows; the descriptions are what the
 * kernel log says.  One table each, here, so the two sides cannot drift
 * apart.  A value outside a table, or in a gap of one (quarantine reasons
 * 7 to 15), reads as ``unknown``: a newer module may report one that
 * this build does not know.
 *
 * Userspace builds find <linux/kernel.h> (ARRAY_SIZE) under tools/include/.
 */
#ifndef _VMKEEP_NAMES_H
#define _VMKEEP_NAMES_H

#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/vmkeep.h>

static inline const char *vmkeep_enum_str(const char * const *tbl, size_t n,
					  __u32 v)
{
	return v < n && tbl[v] ? tbl[v] : "unknown";
}

/* VMKEEP_STATE_*: "active", "incoming", "quarantined" */
static inline const char *vmkeep_region_state_name(__u32 state)
{
	static const char * const names[] = {
		[VMKEEP_STATE_ACTIVE] = "active",
		[VMKEEP_STATE_INCOMING] = "incoming",
		[VMKEEP_STATE_QUARANTINED] = "quarantined",
	};

	return vmkeep_enum_str(names, ARRAY_SIZE(names), state);
}

/* VMKEEP_POOL_*: "ready", "empty", "damaged", "foreign" */
static inline const char *vmkeep_pool_state_name(__u32 state)
{
	static const char * const names[] = {
		[VMKEEP_POOL_READY] = "ready",
		[VMKEEP_POOL_EMPTY] = "empty",
		[VMKEEP_POOL_DAMAGED] = "damaged",
		[VMKEEP_POOL_FOREIGN] = "foreign",
	};

	return vmkeep_enum_str(names, ARRAY_SIZE(names), state);
}

/* VMKEEP_D_*: why a pool is damaged, a word */
static inline const char *vmkeep_damage_name(__u32 damage)
{
	static const char * const names[] = {
		[VMKEEP_D_NONE] = "none",
		[VMKEEP_D_CRC] = "crc",
		[VMKEEP_D_VERSION] = "version",
		[VMKEEP_D_GEOMETRY] = "geometry",
		[VMKEEP_D_FIELD] = "field",
	};

	return vmkeep_enum_str(names, ARRAY_SIZE(names), damage);
}

/* VMKEEP_D_*: why a pool is damaged, for the log */
static inline const char *vmkeep_damage_desc(__u32 damage)
{
	static const char * const desc[] = {
		[VMKEEP_D_NONE] = "none",
		[VMKEEP_D_CRC] = "no superblock with a valid checksum",
		[VMKEEP_D_VERSION] = "incompatible format version",
		[VMKEEP_D_GEOMETRY] = "written for another pool address or size",
		[VMKEEP_D_FIELD] = "superblock field out of range",
	};

	return vmkeep_enum_str(desc, ARRAY_SIZE(desc), damage);
}

/* VMKEEP_Q_*: why a region or a live update session is quarantined, a word */
static inline const char *vmkeep_quarantine_name(__u32 why)
{
	static const char * const names[] = {
		[VMKEEP_Q_NONE] = "none",
		[VMKEEP_Q_CRC] = "crc",
		[VMKEEP_Q_NAME] = "name",
		[VMKEEP_Q_EXTENT] = "extent",
		[VMKEEP_Q_OVERLAP] = "overlap",
		[VMKEEP_Q_FIELD] = "field",
		[VMKEEP_Q_UNCLEARED] = "uncleared",
		[VMKEEP_Q_LUO_DATA] = "data",
		[VMKEEP_Q_LUO_REGION] = "region",
	};

	return vmkeep_enum_str(names, ARRAY_SIZE(names), why);
}

/* VMKEEP_Q_*: why a region or a live update session is quarantined, for the log */
static inline const char *vmkeep_quarantine_desc(__u32 why)
{
	static const char * const desc[] = {
		[VMKEEP_Q_NONE] = "none",
		[VMKEEP_Q_CRC] = "checksum mismatch",
		[VMKEEP_Q_NAME] = "bad or duplicate name",
		[VMKEEP_Q_EXTENT] = "extents out of bounds or inconsistent",
		[VMKEEP_Q_OVERLAP] = "memory claimed by another region",
		[VMKEEP_Q_FIELD] = "unknown flag or reserved field set",
		[VMKEEP_Q_UNCLEARED] = "kernel stopped before its memory was cleared",
		[VMKEEP_Q_LUO_DATA] = "a memfd's bytes fail their checksum",
		[VMKEEP_Q_LUO_REGION] = "a region it holds is missing or quarantined",
	};

	return vmkeep_enum_str(desc, ARRAY_SIZE(desc), why);
}

/* VMKEEP_LUO_*: a live update session's state */
static inline const char *vmkeep_luo_state_name(__u32 state)
{
	static const char * const names[] = {
		[VMKEEP_LUO_OUTGOING] = "outgoing",
		[VMKEEP_LUO_INCOMING] = "incoming",
		[VMKEEP_LUO_RETRIEVED] = "retrieved",
		[VMKEEP_LUO_QUARANTINED] = "quarantined",
	};

	return vmkeep_enum_str(names, ARRAY_SIZE(names), state);
}

/* VMKEEP_LUO_KIND_*: what a live update session's file is */
static inline const char *vmkeep_luo_kind_name(__u32 kind)
{
	static const char * const names[] = {
		[VMKEEP_LUO_KIND_MEMFD] = "memfd",
		[VMKEEP_LUO_KIND_REGION] = "region",
	};

	return vmkeep_enum_str(names, ARRAY_SIZE(names), kind);
}

#endif /* _VMKEEP_NAMES_H */
