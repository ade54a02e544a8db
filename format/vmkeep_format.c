// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: on-pool format code, shared by the module and the host tests
 *
 * This file owns every byte of the handoff: it encodes regions into the
 * inactive metadata copy, flips copies with a generation number, and
 * decodes what the previous kernel left behind.  The reader trusts nothing
 * it reads: the previous kernel may have been another vmkeep build, may
 * have stopped at any instant, or may have scribbled over its pool.  A bad
 * header makes the pool DAMAGED (left untouched); a bad entry quarantines
 * only its own region, and an entry whose memory another entry claims is
 * quarantined together with it, with its memory kept reserved.
 *
 * The same source is compiled into the module (kmod/Kbuild), into
 * libvmkeep (for the region name rule) and into the host unit tests and
 * fuzzer (tools/format_unit_test.c, tools/format_fuzz.c), so it allocates
 * nothing, calls nothing but string, byte-order and sort helpers and
 * cond_resched(), and never reads outside the %VMKEEP_FMT_META_SIZE bytes
 * it is given.  It is written as kernel code; userspace builds find the
 * few kernel headers it includes under tools/include/, as the kernel's
 * own tools/ do.  Everything the reader does is O(n log n) in the number
 * of entries, but for the repair of an entry that failed its checksum:
 * two passes over the other copy each (find_repair()).
 */

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <asm/byteorder.h>

#include <vmkeep/format.h>
#include <linux/vmkeep.h>

/* The layout is the contract: it must not move by accident. */
static_assert(sizeof(struct vmkeep_fmt_header) == VMKEEP_FMT_HEADER_SIZE,
	      "header size");
static_assert(sizeof(struct vmkeep_fmt_entry) == VMKEEP_FMT_ENTRY_SIZE,
	      "entry size");
static_assert(offsetof(struct vmkeep_fmt_header, crc) == 84, "header crc");
static_assert(offsetof(struct vmkeep_fmt_entry, name) == 48, "entry name");
static_assert(VMKEEP_FMT_HEADER_SIZE +
	      VMKEEP_FMT_MAX_ENTRIES * VMKEEP_FMT_ENTRY_SIZE <=
	      VMKEEP_FMT_COPY_SIZE, "entries fit in a copy");
static_assert(VMKEEP_FMT_NAME_LEN == VMKEEP_NAME_LEN, "uapi name length");
static_assert(VMKEEP_FMT_UNIT == VMKEEP_ALIGN, "uapi alignment");

/* Reflected Castagnoli polynomial 0x82f63b78, one byte at a time. */
static const u32 crc32c_table[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4,
	0xc79a971f, 0x35f1141c, 0x26a1e7e8, 0xd4ca64eb,
	0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24,
	0x105ec76f, 0xe235446c, 0xf165b798, 0x030e349b,
	0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54,
	0x5d1d08bf, 0xaf768bbc, 0xbc267848, 0x4e4dfb4b,
	0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35,
	0xaa64d611, 0x580f5512, 0x4b5fa6e6, 0xb93425e5,
	0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45,
	0xf779deae, 0x05125dad, 0x1642ae59, 0xe4292d5a,
	0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595,
	0x417b1dbc, 0xb3109ebf, 0xa0406d4b, 0x522bee48,
	0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687,
	0x0c38d26c, 0xfe53516f, 0xed03a29b, 0x1f682198,
	0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38,
	0xdbfc821c, 0x2997011f, 0x3ac7f2eb, 0xc8ac71e8,
	0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096,
	0xa65c047d, 0x5437877e, 0x4767748a, 0xb50cf789,
	0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46,
	0x7198540d, 0x83f3d70e, 0x90a324fa, 0x62c8a7f9,
	0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36,
	0x3cdb9bdd, 0xceb018de, 0xdde0eb2a, 0x2f8b6829,
	0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93,
	0x082f63b7, 0xfa44e0b4, 0xe9141340, 0x1b7f9043,
	0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3,
	0x55326b08, 0xa759e80b, 0xb4091bff, 0x466298fc,
	0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033,
	0xa24bb5a6, 0x502036a5, 0x4370c551, 0xb11b4652,
	0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d,
	0xef087a76, 0x1d63f975, 0x0e330a81, 0xfc588982,
	0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622,
	0x38cc2a06, 0xcaa7a905, 0xd9f75af1, 0x2b9cd9f2,
	0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530,
	0x0417b1db, 0xf67c32d8, 0xe52cc12c, 0x1747422f,
	0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0,
	0xd3d3e1ab, 0x21b862a8, 0x32e8915c, 0xc083125f,
	0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90,
	0x9e902e7b, 0x6cfbad78, 0x7fab5e8c, 0x8dc0dd8f,
	0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1,
	0x69e9f0d5, 0x9b8273d6, 0x88d28022, 0x7ab90321,
	0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81,
	0x34f4f86a, 0xc69f7b69, 0xd5cf889d, 0x27a40b9e,
	0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

/**
 * vmkeep_crc32c() - CRC-32C (Castagnoli) of a buffer
 * @crc: 0, or the result for the bytes before @buf to continue it
 * @buf: bytes
 * @len: number of bytes
 *
 * Return: the checksum; vmkeep_crc32c(0, "123456789", 9) == 0xe3069283.
 */
u32 vmkeep_crc32c(u32 crc, const void *buf, size_t len)
{
	const u8 *p = buf;

	crc = ~crc;
	while (len--)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static bool is_alnum(u8 c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool is_name_byte(u8 c)
{
	return is_alnum(c) || c == '.' || c == '_' || c == ':' || c == '+' ||
	       c == '@' || c == '-';
}

/**
 * vmkeep_fmt_check_name() - check a region name
 * @name: buffer holding the name
 * @len: size of the buffer
 *
 * A name is 1 to %VMKEEP_FMT_NAME_LEN - 1 bytes of [A-Za-z0-9._:+@-],
 * starting with a letter or digit, and NUL-terminated within @len.
 *
 * Return: 0 when @name is valid, else -EINVAL.
 */
int vmkeep_fmt_check_name(const char *name, size_t len)
{
	size_t n = strnlen(name, len);
	size_t i;

	if (!n || n == len || n >= VMKEEP_FMT_NAME_LEN || !is_alnum(name[0]))
		return -EINVAL;
	for (i = 1; i < n; i++)
		if (!is_name_byte(name[i]))
			return -EINVAL;
	return 0;
}

static bool is_zero(const void *buf, size_t len)
{
	const u8 *p = buf;

	while (len--)
		if (*p++)
			return false;
	return true;
}

static bool unit_aligned(u64 x)
{
	return !(x & (VMKEEP_FMT_UNIT - 1));
}

/* Compared with its NUL; the rest of the field must be zero too. */
static const char fmt_compatible[] = VMKEEP_FMT_COMPATIBLE;
static_assert(sizeof(fmt_compatible) <=
	      sizeof(((struct vmkeep_fmt_header *)NULL)->compatible),
	      "compatible string fits");

static void *copy_at(void *meta, u32 copy)
{
	return (u8 *)meta + (copy ? VMKEEP_FMT_COPY_SIZE : 0);
}

static const void *copy_at_const(const void *meta, u32 copy)
{
	return (const u8 *)meta + (copy ? VMKEEP_FMT_COPY_SIZE : 0);
}

static struct vmkeep_fmt_entry *entry_at(void *meta, u32 copy, u32 idx)
{
	return (struct vmkeep_fmt_entry *)((u8 *)copy_at(meta, copy) +
					   VMKEEP_FMT_HEADER_SIZE) + idx;
}

static const struct vmkeep_fmt_entry *
entry_at_const(const void *meta, u32 copy, u32 idx)
{
	return (const struct vmkeep_fmt_entry *)
		((const u8 *)copy_at_const(meta, copy) +
		 VMKEEP_FMT_HEADER_SIZE) + idx;
}

/**
 * vmkeep_fmt_header_crc() - checksum of a header of @size bytes
 * @h: the header: magic (8 bytes) first, the checksum (4 bytes) at @at
 * @size: its size
 * @at: offset of its checksum
 * @magic: the magic to checksum in place of @h's
 *
 * A header's checksum covers its magic, which is written last and read
 * from wherever the caller has it, and reads its crc field as zero (a
 * region table's header and a live update set's).  The header is read in
 * place, not copied or modified.
 *
 * Return: crc32c of the header with @magic and a zero checksum.
 */
u32 vmkeep_fmt_header_crc(const void *h, size_t size, size_t at, __le64 magic)
{
	static const u8 zero[sizeof(__le32)];
	const u8 *b = h;
	u32 crc;

	crc = vmkeep_crc32c(0, &magic, sizeof(magic));
	crc = vmkeep_crc32c(crc, b + sizeof(magic), at - sizeof(magic));
	crc = vmkeep_crc32c(crc, zero, sizeof(zero));
	return vmkeep_crc32c(crc, b + at + sizeof(zero), size - at - sizeof(zero));
}

static u32 header_crc(const struct vmkeep_fmt_header *h, __le64 magic)
{
	return vmkeep_fmt_header_crc(h, sizeof(*h),
				     offsetof(struct vmkeep_fmt_header, crc), magic);
}

static const u8 damage_rank[] = {
	[VMKEEP_D_CRC] = 1,
	[VMKEEP_D_FIELD] = 2,
	[VMKEEP_D_GEOMETRY] = 3,
	[VMKEEP_D_VERSION] = 4,
};

/* VMKEEP_D_NONE for a valid header, else why it is not */
static u32 check_header(const struct vmkeep_fmt_header *h,
			const struct vmkeep_fmt_pool *p)
{
	if (header_crc(h, h->magic) != le32_to_cpu(h->crc))
		return VMKEEP_D_CRC;
	if (memcmp(h->compatible, fmt_compatible, sizeof(fmt_compatible)) ||
	    !is_zero(h->compatible + sizeof(fmt_compatible),
		     sizeof(h->compatible) - sizeof(fmt_compatible)) ||
	    (le32_to_cpu(h->version) != VMKEEP_FMT_VERSION &&
	     le32_to_cpu(h->version) != VMKEEP_FMT_VERSION_NO_ID))
		return VMKEEP_D_VERSION;
	if (le64_to_cpu(h->pool_base) != p->base ||
	    le64_to_cpu(h->pool_size) != p->size)
		return VMKEEP_D_GEOMETRY;
	if (le32_to_cpu(h->header_size) != VMKEEP_FMT_HEADER_SIZE ||
	    le32_to_cpu(h->entry_size) != VMKEEP_FMT_ENTRY_SIZE ||
	    le32_to_cpu(h->nr_entries) > VMKEEP_FMT_MAX_ENTRIES ||
	    le32_to_cpu(h->flags) & ~VMKEEP_FMT_CLEAN ||
	    !le64_to_cpu(h->generation) ||
	    !is_zero(h->reserved, sizeof(h->reserved)))
		return VMKEEP_D_FIELD;
	/* Version 1 has no identity; version 2 has one. */
	if (le32_to_cpu(h->version) == VMKEEP_FMT_VERSION_NO_ID)
		return is_zero(h->pool_id, sizeof(h->pool_id)) &&
		       !h->page_shift && !h->entries_crc ? VMKEEP_D_NONE :
							   VMKEEP_D_FIELD;
	if (is_zero(h->pool_id, sizeof(h->pool_id)))
		return VMKEEP_D_FIELD;
	if (le32_to_cpu(h->page_shift) != 21 && le32_to_cpu(h->page_shift) != 30)
		return VMKEEP_D_FIELD;
	/* Pages of another size: compound pages would span regions. */
	if (le32_to_cpu(h->page_shift) != p->page_shift)
		return VMKEEP_D_GEOMETRY;
	return VMKEEP_D_NONE;
}

/* Checksum of the first @nr entries of @copy. */
static u32 entries_crc(const void *meta, u32 copy, u32 nr)
{
	return vmkeep_crc32c(0, entry_at_const(meta, copy, 0),
			     (size_t)nr * VMKEEP_FMT_ENTRY_SIZE);
}

bool vmkeep_fmt_has_id(const struct vmkeep_fmt_pool *p)
{
	return !is_zero(p->id, sizeof(p->id));
}

/**
 * vmkeep_fmt_read() - find the active metadata copy of a pool
 * @meta: the first %VMKEEP_FMT_META_SIZE bytes of the pool
 * @p: @p->base and @p->size set by the caller; the rest is filled in
 *
 * A copy without the magic is blank.  The active copy is the valid one
 * with the higher generation (copy 0 on a tie): %VMKEEP_POOL_READY.  Two
 * blank copies make %VMKEEP_POOL_EMPTY; otherwise the pool is
 * %VMKEEP_POOL_DAMAGED with the most specific reason any copy gave.
 */
void vmkeep_fmt_read(const void *meta, struct vmkeep_fmt_pool *p)
{
	const struct vmkeep_fmt_header *h, *best = NULL;
	u32 copy, why, damage = VMKEEP_D_NONE;
	bool blank = true;

	p->state = VMKEEP_POOL_DAMAGED;
	p->damage = VMKEEP_D_NONE;
	p->generation = 0;
	p->handoffs = 0;
	p->next_id = 0;
	p->copy = 0;
	p->flags = 0;
	p->nr_entries = 0;
	memset(p->id, 0, sizeof(p->id));
	p->torn = false;

	/* The module refuses such pools before it reads them. */
	if (p->size < VMKEEP_FMT_META_SIZE + VMKEEP_FMT_UNIT ||
	    !unit_aligned(p->size)) {
		p->damage = VMKEEP_D_GEOMETRY;
		return;
	}

	for (copy = 0; copy < 2; copy++) {
		h = copy_at_const(meta, copy);
		if (le64_to_cpu(h->magic) != VMKEEP_FMT_MAGIC)
			continue;
		blank = false;
		why = check_header(h, p);
		if (why) {
			if (damage_rank[why] > damage_rank[damage])
				damage = why;
			continue;
		}
		if (!best ||
		    le64_to_cpu(h->generation) > le64_to_cpu(best->generation)) {
			best = h;
			p->copy = copy;
		}
	}

	if (best) {
		p->state = VMKEEP_POOL_READY;
		p->generation = le64_to_cpu(best->generation);
		p->handoffs = le64_to_cpu(best->handoffs);
		p->next_id = le64_to_cpu(best->next_id);
		p->flags = le32_to_cpu(best->flags);
		p->nr_entries = le32_to_cpu(best->nr_entries);
		memcpy(p->id, best->pool_id, sizeof(p->id));
		p->torn = vmkeep_fmt_has_id(p) &&
			  entries_crc(meta, p->copy, p->nr_entries) !=
			  le32_to_cpu(best->entries_crc);
	} else if (blank) {
		p->state = VMKEEP_POOL_EMPTY;
	} else {
		p->damage = damage;
	}
}

static void quarantine(struct vmkeep_fmt_region *r, u32 why)
{
	if (!r->quarantine)
		r->quarantine = why;
}

static bool known_reason(u32 why)
{
	return why >= VMKEEP_Q_CRC && why <= VMKEEP_Q_UNCLEARED;
}

/* Fields that a valid, not quarantined entry must have as they are. */
static bool fields_ok(const struct vmkeep_fmt_entry *e,
		      const struct vmkeep_fmt_pool *p)
{
	size_t n = strnlen(e->name, sizeof(e->name));
	u64 id = le64_to_cpu(e->id);

	/* Ids are handed out from next_id, so every id is below it. */
	return !(le32_to_cpu(e->flags) & ~VMKEEP_FMT_ENTRY_FLAGS) &&
	       le32_to_cpu(e->mode) <= 0777 &&
	       !le32_to_cpu(e->quarantine) &&
	       !le32_to_cpu(e->reserved0) &&
	       is_zero(e->reserved, sizeof(e->reserved)) &&
	       is_zero(e->name + n, sizeof(e->name) - n) &&
	       id && id < p->next_id;
}

/*
 * In a pool of 1 GiB pages every extent is whole pages past the first
 * (the metadata's): a compound page never spans two regions, so a page
 * one region holds never holds back another's memory.
 */
static bool page_fits(const struct vmkeep_fmt_pool *p, u64 off, u64 len)
{
	const u64 gib = 1ULL << 30;

	return p->page_shift != 30 ||
	       (off >= gib && !(off & (gib - 1)) && !(len & (gib - 1)));
}

/*
 * Decodes the extents into @r.  They decide which memory stays reserved,
 * so they are checked for every entry, quarantined or not; false when
 * they cannot be trusted.
 */
static bool decode_extents(const struct vmkeep_fmt_entry *e,
			   const struct vmkeep_fmt_pool *p,
			   struct vmkeep_fmt_region *r)
{
	u32 nr = le32_to_cpu(e->nr_extents);
	u64 off, len, end, sum = 0;
	u32 i;

	if (!nr || nr > VMKEEP_FMT_MAX_EXTENTS)
		return false;
	for (i = 0; i < VMKEEP_FMT_MAX_EXTENTS; i++) {
		off = le64_to_cpu(e->extents[i].offset);
		len = le64_to_cpu(e->extents[i].length);
		if (i >= nr) {
			if (off || len)
				return false;
			continue;
		}
		if (!len || !unit_aligned(off) || !unit_aligned(len) ||
		    off < VMKEEP_FMT_META_SIZE || !page_fits(p, off, len) ||
		    check_add_overflow(off, len, &end) || end > p->size ||
		    check_add_overflow(sum, len, &sum))
			return false;
		r->extents[i].offset = off;
		r->extents[i].length = len;
	}
	if (sum != r->length)
		return false;
	r->nr_extents = nr;
	return true;
}

/*
 * When in doubt, reserve: of extents that cannot be trusted, every slot
 * that names aligned memory inside the pool is kept, whatever the count
 * and the length say, so that no memory the entry may have owned is
 * handed out again.  Such extents are never mapped (the region is
 * quarantined) and make no other region quarantined.
 */
static void reserve_extents(const struct vmkeep_fmt_entry *e,
			    const struct vmkeep_fmt_pool *p,
			    struct vmkeep_fmt_region *r)
{
	u64 off, len, end;
	u32 i, n = 0;

	memset(r->extents, 0, sizeof(r->extents));
	for (i = 0; i < VMKEEP_FMT_MAX_EXTENTS; i++) {
		off = le64_to_cpu(e->extents[i].offset);
		len = le64_to_cpu(e->extents[i].length);
		if (!len || !unit_aligned(off) || !unit_aligned(len) ||
		    off < VMKEEP_FMT_META_SIZE ||
		    check_add_overflow(off, len, &end) || end > p->size)
			continue;
		r->extents[n].offset = off;
		r->extents[n].length = len;
		n++;
	}
	r->nr_extents = n;
	r->flags |= VMKEEP_FMT_UNTRUSTED;
}

static void decode_entry(const struct vmkeep_fmt_entry *src,
			 const struct vmkeep_fmt_pool *p,
			 struct vmkeep_fmt_region *r)
{
	struct vmkeep_fmt_entry e;
	u32 crc, flags, why;

	/* Read the untrusted bytes once; check and decode the copy. */
	memcpy(&e, src, sizeof(e));
	crc = le32_to_cpu(e.crc);
	e.crc = 0;

	memset(r, 0, sizeof(*r));
	r->id = le64_to_cpu(e.id);
	r->length = le64_to_cpu(e.length);
	r->uid = le32_to_cpu(e.uid);
	r->gid = le32_to_cpu(e.gid);
	r->mode = le32_to_cpu(e.mode);
	flags = le32_to_cpu(e.flags);
	r->flags = flags & (VMKEEP_FMT_EXCLUSIVE | VMKEEP_FMT_LUO);
	memcpy(r->name, e.name, sizeof(r->name));

	if (vmkeep_crc32c(0, &e, sizeof(e)) != crc) {
		quarantine(r, VMKEEP_Q_CRC);
	} else if (flags & VMKEEP_FMT_QUARANTINED) {
		why = le32_to_cpu(e.quarantine);
		quarantine(r, known_reason(why) ? why : VMKEEP_Q_FIELD);
	} else if (!fields_ok(&e, p)) {
		quarantine(r, VMKEEP_Q_FIELD);
	} else if (vmkeep_fmt_check_name(e.name, sizeof(e.name))) {
		quarantine(r, VMKEEP_Q_NAME);
	} else if (flags & VMKEEP_FMT_UNCLEARED) {
		quarantine(r, VMKEEP_Q_UNCLEARED);
	}

	if (!decode_extents(&e, p, r)) {
		reserve_extents(&e, p, r);
		quarantine(r, VMKEEP_Q_EXTENT);
	}
	/* A bad entry's extents only keep its memory reserved. */
	if (r->quarantine)
		r->flags |= VMKEEP_FMT_UNTRUSTED;
}

static void rename_region(struct vmkeep_fmt_region *r, const char *why,
			  u32 idx)
{
	memset(r->name, 0, sizeof(r->name));
	snprintf(r->name, sizeof(r->name), "!%s-%u", why, idx);
	quarantine(r, VMKEEP_Q_NAME);
}

static int cmp_u64(u64 a, u64 b)
{
	return (a > b) - (a < b);
}

/* Extents by start; the rest only makes the order total. */
static int cmp_span(const void *a, const void *b)
{
	const struct vmkeep_fmt_span *x = a, *y = b;

	return cmp_u64(x->start, y->start) ?: cmp_u64(x->end, y->end) ?:
	       cmp_u64(x->idx, y->idx);
}

/*
 * Names: @start holds the region's address.  Equal names sort the
 * not quarantined region first, then by index, and the first one keeps
 * the name: a damaged entry never takes the name of a good one.
 */
static int cmp_name(const void *a, const void *b)
{
	const struct vmkeep_fmt_span *x = a, *y = b;
	const struct vmkeep_fmt_region *rx = (void *)(uintptr_t)x->start;
	const struct vmkeep_fmt_region *ry = (void *)(uintptr_t)y->start;

	return strcmp(rx->name, ry->name) ?:
	       cmp_u64(!!rx->quarantine, !!ry->quarantine) ?:
	       cmp_u64(x->idx, y->idx);
}

/* Ids: @start is the id, @end 1 when the region is quarantined. */
static void unique_ids(struct vmkeep_fmt_region *r, u32 nr,
		       struct vmkeep_fmt_span *s)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		s[i].start = r[i].id;
		s[i].end = !!r[i].quarantine;
		s[i].idx = i;
	}
	sort(s, nr, sizeof(*s), cmp_span, NULL);
	for (i = 1; i < nr; i++)
		if (s[i].start == s[i - 1].start)
			quarantine(&r[s[i].idx], VMKEEP_Q_FIELD);
}

static void unique_names(struct vmkeep_fmt_region *r, u32 nr,
			 struct vmkeep_fmt_span *s)
{
	u32 i, lead, n = 0;

	for (i = 0; i < nr; i++) {
		/* Live update memory has names of its own, not regions'. */
		if ((r[i].flags & VMKEEP_FMT_LUO) && !r[i].quarantine)
			continue;
		if (vmkeep_fmt_check_name(r[i].name, sizeof(r[i].name))) {
			/* '!' is not a name byte: no clash with real names */
			rename_region(&r[i], "bad", i);
			continue;
		}
		s[n].start = (uintptr_t)&r[i];
		s[n].end = 0;
		s[n].idx = i;
		n++;
	}
	sort(s, n, sizeof(*s), cmp_name, NULL);
	for (i = 1, lead = 0; i < n; i++) {
		if (strcmp(r[s[i].idx].name, r[s[lead].idx].name))
			lead = i;
		else
			rename_region(&r[s[i].idx], "dup", s[i].idx);
	}
}

/*
 * Memory claimed twice: every region with an extent that intersects any
 * other extent, its own or another region's, is quarantined.  Extents
 * are kept, so that none of the memory is handed out again.  Extents of
 * an entry that is bad on its own (%VMKEEP_FMT_UNTRUSTED) take no part:
 * they only keep memory reserved, never mapped, and a bit flipped in one
 * entry must not cost a sound region its RAM.
 *
 * In start order, an extent intersects an earlier one exactly when it
 * starts below the highest end so far, and then it intersects the extent
 * that has that end.  That extent, if it is not marked then, was marked
 * when it came: it started below a higher end of an earlier extent.
 */
static void find_overlaps(struct vmkeep_fmt_region *r, u32 nr,
			  struct vmkeep_fmt_span *s)
{
	u32 i, j, n = 0, owner = 0;
	u64 end = 0;

	for (i = 0; i < nr; i++) {
		if (r[i].flags & VMKEEP_FMT_UNTRUSTED)
			continue;
		for (j = 0; j < r[i].nr_extents; j++) {
			s[n].start = r[i].extents[j].offset;
			s[n].end = s[n].start + r[i].extents[j].length;
			s[n].idx = i;
			n++;
		}
	}
	sort(s, n, sizeof(*s), cmp_span, NULL);
	for (i = 0; i < n; i++) {
		if (i && s[i].start < end) {
			quarantine(&r[s[i].idx], VMKEEP_Q_OVERLAP);
			quarantine(&r[owner], VMKEEP_Q_OVERLAP);
		}
		if (!i || s[i].end > end) {
			end = s[i].end;
			owner = s[i].idx;
		}
	}
}

/* Equal but for the id and the checksum: the same region, its id hit. */
static bool same_but_id(const struct vmkeep_fmt_entry *a,
			const struct vmkeep_fmt_entry *b)
{
	const size_t id_end = sizeof(a->id);
	const size_t crc = offsetof(struct vmkeep_fmt_entry, crc);
	const size_t crc_end = crc + sizeof(a->crc);

	return !memcmp((const u8 *)a + id_end, (const u8 *)b + id_end,
		       crc - id_end) &&
	       !memcmp((const u8 *)a + crc_end, (const u8 *)b + crc_end,
		       sizeof(*a) - crc_end);
}

/*
 * The checksum aside, the entries differ within one aligned 8-byte word
 * at most: the damage of a bit flip or a stray word, not another region's
 * entry.
 */
static bool nearly_same(const struct vmkeep_fmt_entry *a,
			const struct vmkeep_fmt_entry *b)
{
	const size_t crc = offsetof(struct vmkeep_fmt_entry, crc);
	const u8 *x = (const u8 *)a, *y = (const u8 *)b;
	size_t i, word = SIZE_MAX;

	for (i = 0; i < sizeof(*a); i++) {
		if ((i >= crc && i < crc + sizeof(a->crc)) || x[i] == y[i])
			continue;
		if (word != SIZE_MAX && word != i / 8)
			return false;
		word = i / 8;
	}
	return true;
}

/*
 * The other copy's description of the region whose active entry @bad
 * failed its checksum: an entry of a valid other copy, sound on its own,
 * equal to @bad in every field but the id (the id or the checksum was
 * hit), or else with the same id and other bytes different in one
 * aligned word at most (another field was hit).  A region's entry
 * changes while it lives only when its uncleared flag is dropped, so
 * either is the entry as it was written, or the one before that: an
 * entry still uncleared is not taken (decode_entry() quarantines it), and
 * that region stays quarantined.  An entry that only shares the id may
 * be a region freed since, whose memory the damaged one now holds.
 * Whether it fits the rest is checked by the caller.
 */
static bool find_repair(const void *meta, const struct vmkeep_fmt_pool *p,
			const struct vmkeep_fmt_entry *bad,
			struct vmkeep_fmt_region *r)
{
	const struct vmkeep_fmt_header *h = copy_at_const(meta, !p->copy);
	const struct vmkeep_fmt_entry *e;
	u32 j, n, pass;

	if (le64_to_cpu(h->magic) != VMKEEP_FMT_MAGIC || check_header(h, p))
		return false;
	n = le32_to_cpu(h->nr_entries);
	for (pass = 0; pass < 2; pass++) {
		for (j = 0; j < n; j++) {
			e = entry_at_const(meta, !p->copy, j);
			if (pass ? e->id != bad->id || !nearly_same(e, bad) :
				   !same_but_id(e, bad))
				continue;
			decode_entry(e, p, r);
			if (!r->quarantine) {
				r->flags |= VMKEEP_FMT_REPAIRED;
				return true;
			}
		}
	}
	return false;
}

/* One pass over all entries; with @repair, damaged ones may be repaired. */
static void decode_all(const void *meta, const struct vmkeep_fmt_pool *p,
		       struct vmkeep_fmt_region *r,
		       struct vmkeep_fmt_span *scratch, bool repair)
{
	const struct vmkeep_fmt_entry *e;
	u32 i, nr = p->nr_entries;

	for (i = 0; i < nr; i++) {
		e = entry_at_const(meta, p->copy, i);
		decode_entry(e, p, &r[i]);
		/* Only a checksum failure: anything else was written so. */
		if (repair && r[i].quarantine == VMKEEP_Q_CRC &&
		    !find_repair(meta, p, e, &r[i]))
			decode_entry(e, p, &r[i]);
		/* Every entry damaged: 4094 searches of 4094 entries. */
		cond_resched();
	}
	unique_ids(r, nr, scratch);
	unique_names(r, nr, scratch);
	find_overlaps(r, nr, scratch);
}

/*
 * Whether repairs must be undone: a repaired region that is quarantined
 * after all, or any region quarantined for more than its own checksum
 * beside a repair (a name, an id or memory that a repaired entry may
 * have taken from a sound region, which the tie-breaks would not favour).
 */
static bool repair_clashed(const struct vmkeep_fmt_region *r, u32 nr)
{
	bool repaired = false, clash = false;
	u32 i;

	for (i = 0; i < nr; i++) {
		if (r[i].flags & VMKEEP_FMT_REPAIRED)
			repaired = true;
		if (r[i].quarantine && (r[i].flags & VMKEEP_FMT_REPAIRED ||
					r[i].quarantine != VMKEEP_Q_CRC))
			clash = true;
	}
	return repaired && clash;
}

/**
 * vmkeep_fmt_regions() - decode and validate the entries of a ready pool
 * @meta: the first %VMKEEP_FMT_META_SIZE bytes of the pool
 * @p: as vmkeep_fmt_read() filled it in, %VMKEEP_POOL_READY
 * @r: room for @p->nr_entries regions
 * @scratch: room for @p->nr_entries * %VMKEEP_FMT_MAX_EXTENTS spans
 *
 * Every entry is decoded into @r, in entry order.  An entry that fails
 * its checksum is taken from the other copy when that copy is valid and
 * holds the same region sound (%VMKEEP_FMT_REPAIRED), unless the result
 * does not fit the other regions (a name, an id or memory taken twice), or
 * any region is quarantined for more than its checksum beside a repair:
 * then no entry is repaired.  A region that fails a check is quarantined
 * with the reason of the first check it failed.  Its extents are kept
 * (the memory stays reserved); of extents that are themselves invalid,
 * those inside the pool are kept (%VMKEEP_FMT_UNTRUSTED).  Its name is
 * replaced by "!bad-<index>" or "!dup-<index>" when it is invalid or
 * taken.
 *
 * Return: the number of quarantined regions.
 */
u32 vmkeep_fmt_regions(const void *meta, const struct vmkeep_fmt_pool *p,
		       struct vmkeep_fmt_region *r,
		       struct vmkeep_fmt_span *scratch)
{
	u32 i, nr = p->nr_entries, bad = 0;

	if (p->state != VMKEEP_POOL_READY || nr > VMKEEP_FMT_MAX_ENTRIES)
		return 0;

	decode_all(meta, p, r, scratch, true);
	if (repair_clashed(r, nr))
		decode_all(meta, p, r, scratch, false);

	for (i = 0; i < nr; i++) {
		if (r[i].quarantine) {
			r[i].flags &= ~VMKEEP_FMT_REPAIRED;
			r[i].flags |= VMKEEP_FMT_QUARANTINED;
			bad++;
		}
	}
	return bad;
}

/**
 * vmkeep_fmt_begin() - start an update of the metadata
 * @meta: the first %VMKEEP_FMT_META_SIZE bytes of the pool
 * @p: the pool, %VMKEEP_POOL_READY
 *
 * Invalidates the inactive copy, which vmkeep_fmt_put() and
 * vmkeep_fmt_commit() then rewrite.  Until the commit, a reader finds
 * the active copy as it is.
 */
void vmkeep_fmt_begin(void *meta, const struct vmkeep_fmt_pool *p)
{
	struct vmkeep_fmt_header *h = copy_at(meta, !p->copy);

	WRITE_ONCE(h->magic, 0);
	/* The copy is invalid before any of its entries changes. */
	wmb();
}

/**
 * vmkeep_fmt_put() - write one entry of the inactive copy
 * @meta: the first %VMKEEP_FMT_META_SIZE bytes of the pool
 * @p: the pool
 * @idx: entry index, below %VMKEEP_FMT_MAX_ENTRIES
 * @r: the region; a non-zero @r->quarantine is written with its reason
 */
void vmkeep_fmt_put(void *meta, const struct vmkeep_fmt_pool *p, u32 idx,
		    const struct vmkeep_fmt_region *r)
{
	u32 i, nr = r->nr_extents;
	u32 flags = r->flags & (VMKEEP_FMT_EXCLUSIVE | VMKEEP_FMT_UNCLEARED |
				VMKEEP_FMT_LUO);
	struct vmkeep_fmt_entry e;

	if (idx >= VMKEEP_FMT_MAX_ENTRIES)
		return;

	memset(&e, 0, sizeof(e));
	e.id = cpu_to_le64(r->id);
	e.length = cpu_to_le64(r->length);
	e.uid = cpu_to_le32(r->uid);
	e.gid = cpu_to_le32(r->gid);
	e.mode = cpu_to_le32(r->mode & 0777);
	if (r->quarantine) {
		flags |= VMKEEP_FMT_QUARANTINED;
		e.quarantine = cpu_to_le32(r->quarantine);
	}
	e.flags = cpu_to_le32(flags);
	e.nr_extents = cpu_to_le32(nr);
	memcpy(e.name, r->name, strnlen(r->name, sizeof(e.name) - 1));
	if (nr > VMKEEP_FMT_MAX_EXTENTS)
		nr = VMKEEP_FMT_MAX_EXTENTS;
	for (i = 0; i < nr; i++) {
		e.extents[i].offset = cpu_to_le64(r->extents[i].offset);
		e.extents[i].length = cpu_to_le64(r->extents[i].length);
	}
	e.crc = cpu_to_le32(vmkeep_crc32c(0, &e, sizeof(e)));

	memcpy(entry_at(meta, !p->copy, idx), &e, sizeof(e));
}

/**
 * vmkeep_fmt_write_header() - write the inactive copy's header, not valid yet
 * @meta: the first %VMKEEP_FMT_META_SIZE bytes of the pool
 * @p: the pool
 * @nr: number of entries written with vmkeep_fmt_put()
 * @flags: header flags, %VMKEEP_FMT_CLEAN
 *
 * The header is written whole with its magic zero: the copy stays
 * invalid until vmkeep_fmt_write_magic().
 */
void vmkeep_fmt_write_header(void *meta, const struct vmkeep_fmt_pool *p,
			     u32 nr, u32 flags)
{
	struct vmkeep_fmt_header *h = copy_at(meta, !p->copy);
	__le64 magic = cpu_to_le64(VMKEEP_FMT_MAGIC);

	if (nr > VMKEEP_FMT_MAX_ENTRIES)
		nr = VMKEEP_FMT_MAX_ENTRIES;
	flags &= VMKEEP_FMT_CLEAN;

	WRITE_ONCE(h->magic, 0);
	/* Also without vmkeep_fmt_begin(), no half-written valid header. */
	wmb();
	memset(h, 0, sizeof(*h));
	memcpy(h->compatible, fmt_compatible, sizeof(fmt_compatible));
	h->version = cpu_to_le32(vmkeep_fmt_has_id(p) ? VMKEEP_FMT_VERSION :
				 VMKEEP_FMT_VERSION_NO_ID);
	h->header_size = cpu_to_le32(VMKEEP_FMT_HEADER_SIZE);
	h->entry_size = cpu_to_le32(VMKEEP_FMT_ENTRY_SIZE);
	h->nr_entries = cpu_to_le32(nr);
	h->pool_base = cpu_to_le64(p->base);
	h->pool_size = cpu_to_le64(p->size);
	h->generation = cpu_to_le64(p->generation + 1);
	h->handoffs = cpu_to_le64(p->handoffs);
	h->next_id = cpu_to_le64(p->next_id);
	h->flags = cpu_to_le32(flags);
	memcpy(h->pool_id, p->id, sizeof(h->pool_id));
	if (vmkeep_fmt_has_id(p)) {
		h->page_shift = cpu_to_le32(p->page_shift);
		h->entries_crc = cpu_to_le32(entries_crc(meta, !p->copy, nr));
	}
	h->crc = cpu_to_le32(header_crc(h, magic));
}

/**
 * vmkeep_fmt_write_magic() - make the inactive copy the active one
 * @meta: the first %VMKEEP_FMT_META_SIZE bytes of the pool
 * @p: the pool; its copy, generation, flags and entry count follow
 *
 * After vmkeep_fmt_write_header(): the magic last, after a write barrier,
 * so the copy is valid only when everything else is in place.
 */
void vmkeep_fmt_write_magic(void *meta, struct vmkeep_fmt_pool *p)
{
	u32 copy = !p->copy;
	struct vmkeep_fmt_header *h = copy_at(meta, copy);

	/* Entries and header are in place before the magic validates them. */
	wmb();
	WRITE_ONCE(h->magic, cpu_to_le64(VMKEEP_FMT_MAGIC));

	p->state = VMKEEP_POOL_READY;
	p->damage = VMKEEP_D_NONE;
	p->copy = copy;
	p->generation++;
	p->flags = le32_to_cpu(h->flags);
	p->nr_entries = le32_to_cpu(h->nr_entries);
}

/**
 * vmkeep_fmt_commit() - make the inactive copy the active one
 * @meta: the first %VMKEEP_FMT_META_SIZE bytes of the pool
 * @p: the pool; its copy, generation, flags and entry count follow
 * @nr: number of entries written with vmkeep_fmt_put()
 * @flags: header flags, %VMKEEP_FMT_CLEAN
 *
 * vmkeep_fmt_write_header(), then vmkeep_fmt_write_magic().
 */
void vmkeep_fmt_commit(void *meta, struct vmkeep_fmt_pool *p, u32 nr,
		       u32 flags)
{
	vmkeep_fmt_write_header(meta, p, nr, flags);
	vmkeep_fmt_write_magic(meta, p);
}

/**
 * vmkeep_fmt_foreign() - whether @hdr is a valid header of any pool
 * @hdr: %VMKEEP_FMT_HEADER_SIZE bytes, anywhere in memory
 * @base: the pool it describes, when it is one
 * @size: its size
 *
 * A pool range that holds such a header other than its own at offset 0
 * overlaps a pool that was configured elsewhere: a shifted or mistyped
 * vmkeep.pools=.  Checked like a copy's header, but for any geometry.
 *
 * Return: true for a valid header.
 */
bool vmkeep_fmt_foreign(const void *hdr, u64 *base, u64 *size)
{
	const struct vmkeep_fmt_header *h = hdr;
	struct vmkeep_fmt_pool p = {};

	if (le64_to_cpu(h->magic) != VMKEEP_FMT_MAGIC)
		return false;
	p.base = le64_to_cpu(h->pool_base);
	p.size = le64_to_cpu(h->pool_size);
	p.page_shift = le32_to_cpu(h->page_shift);
	if (check_header(h, &p))
		return false;
	*base = p.base;
	*size = p.size;
	return true;
}

/**
 * vmkeep_fmt_format() - write empty metadata
 * @meta: the first %VMKEEP_FMT_META_SIZE bytes of the pool
 * @p: @p->base and @p->size set; becomes a ready pool without regions
 *
 * Whatever the pool held is gone: copy 0 gets the next generation (1
 * unless the pool was ready), copy 1 is blank.  The header carries @p->id
 * and @p->page_shift, which the caller sets.
 */
void vmkeep_fmt_format(void *meta, struct vmkeep_fmt_pool *p)
{
	struct vmkeep_fmt_header *a = copy_at(meta, 0);
	struct vmkeep_fmt_header *b = copy_at(meta, 1);

	WRITE_ONCE(a->magic, 0);
	WRITE_ONCE(b->magic, 0);
	/* No old copy can come back once the new one is written. */
	wmb();
	memset(b, 0, sizeof(*b));

	p->copy = 1;
	/*
	 * A ready pool keeps its identity (the module's choice), so its
	 * generations go on: a copy of before the format that a lost
	 * write left valid never wins.  Any other pool starts anew.
	 */
	if (p->state != VMKEEP_POOL_READY)
		p->generation = 0;
	p->handoffs = 0;
	p->next_id = 1;
	p->torn = false;
	vmkeep_fmt_commit(meta, p, 0, 0);
}
