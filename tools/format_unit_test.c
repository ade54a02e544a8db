// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Host unit tests of the on-pool format code (format/vmkeep_format.c), the
 * same source the module builds.  Every test works on a 2 MiB metadata
 * buffer of exactly %VMKEEP_FMT_META_SIZE bytes, so that a build with
 * -fsanitize=address catches any read outside it.
 */

#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkeep/format.h>
#include <linux/vmkeep.h>

#include "kselftest_harness.h"

#define UNIT		VMKEEP_FMT_UNIT
#define META		VMKEEP_FMT_META_SIZE
#define POOL_BASE	0x100000000ULL
#define POOL_SIZE	(256ULL << 30)
#define MAX_ENTRIES	((u32)VMKEEP_FMT_MAX_ENTRIES)

/*
 * Region @id: @nr extents, each in its own 2-unit slot starting at unit
 * 16 * @slot past the metadata; odd extents fill their slot, so extents
 * touch without overlapping.
 */
static void mkregion(struct vmkeep_fmt_region *r, u64 id, const char *name,
		     u32 slot, u32 nr)
{
	u32 j;

	memset(r, 0, sizeof(*r));
	r->id = id;
	r->uid = 1000 + id;
	r->gid = 100 + id;
	r->mode = 0600 | (id & 07);
	r->flags = id & 1 ? VMKEEP_FMT_EXCLUSIVE : 0;
	r->nr_extents = nr;
	snprintf(r->name, sizeof(r->name), "%s", name);
	for (j = 0; j < nr && j < VMKEEP_FMT_MAX_EXTENTS; j++) {
		r->extents[j].offset = META + (16ULL * slot + 2 * j) * UNIT;
		r->extents[j].length = (1 + (j & 1)) * UNIT;
		r->length += r->extents[j].length;
	}
}

/* Regions "vm-<i>", ids 1..n, with 1 to 8 extents. */
static void mkregions(struct vmkeep_fmt_region *r, u32 n)
{
	char name[VMKEEP_FMT_NAME_LEN];
	u32 i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "vm-%u", i);
		mkregion(&r[i], i + 1, name, i, 1 + i % VMKEEP_FMT_MAX_EXTENTS);
	}
}

/* What the module does for an update: begin, put each, commit. */
static void store(u8 *meta, struct vmkeep_fmt_pool *p,
		  const struct vmkeep_fmt_region *r, u32 n, u32 flags)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (r[i].id >= p->next_id)
			p->next_id = r[i].id + 1;
	vmkeep_fmt_begin(meta, p);
	for (i = 0; i < n; i++)
		vmkeep_fmt_put(meta, p, i, &r[i]);
	vmkeep_fmt_commit(meta, p, n, flags);
}

static struct vmkeep_fmt_header *hdr(u8 *meta, u32 copy)
{
	return (struct vmkeep_fmt_header *)(meta + copy * VMKEEP_FMT_COPY_SIZE);
}

static struct vmkeep_fmt_entry *ent(u8 *meta, u32 copy, u32 idx)
{
	return (struct vmkeep_fmt_entry *)((u8 *)hdr(meta, copy) +
					   VMKEEP_FMT_HEADER_SIZE) + idx;
}

static void fix_hdr(struct vmkeep_fmt_header *h)
{
	h->crc = 0;
	h->crc = htole32(vmkeep_crc32c(0, h, sizeof(*h)));
}

static void fix_ent(struct vmkeep_fmt_entry *e)
{
	e->crc = 0;
	e->crc = htole32(vmkeep_crc32c(0, e, sizeof(*e)));
}

/* Bytes of copy @copy up to its last non-zero byte */
static size_t used_bytes(const u8 *meta, u32 copy)
{
	const u8 *c = meta + copy * VMKEEP_FMT_COPY_SIZE;
	size_t n = VMKEEP_FMT_COPY_SIZE;

	while (n && !c[n - 1])
		n--;
	return n;
}

static bool printable(const char *name)
{
	size_t i, n = strnlen(name, VMKEEP_FMT_NAME_LEN);

	if (n == VMKEEP_FMT_NAME_LEN || !n)
		return false;
	for (i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] > '~')
			return false;
	return true;
}

FIXTURE(fmt) {
	u8 *meta;
	struct vmkeep_fmt_pool wp;	/* the writer's view */
	struct vmkeep_fmt_pool rp;	/* what a reader finds */
	struct vmkeep_fmt_region *in;	/* regions written */
	struct vmkeep_fmt_region *out;	/* regions read */
	struct vmkeep_fmt_span *scratch;
};

FIXTURE_SETUP(fmt)
{
	self->meta = calloc(1, META);
	self->in = calloc(MAX_ENTRIES, sizeof(*self->in));
	self->out = calloc(MAX_ENTRIES, sizeof(*self->out));
	self->scratch = calloc((size_t)MAX_ENTRIES * VMKEEP_FMT_MAX_EXTENTS,
			       sizeof(*self->scratch));
	ASSERT_NE(NULL, self->meta);
	ASSERT_NE(NULL, self->in);
	ASSERT_NE(NULL, self->out);
	ASSERT_NE(NULL, self->scratch);
	self->wp.base = POOL_BASE;
	self->wp.size = POOL_SIZE;
	vmkeep_fmt_format(self->meta, &self->wp);
}

FIXTURE_TEARDOWN(fmt)
{
	free(self->meta);
	free(self->in);
	free(self->out);
	free(self->scratch);
}

/* Reads the pool as the next kernel would; quarantined count or -1. */
static int load_pool(const u8 *meta, struct vmkeep_fmt_pool *rp,
		     struct vmkeep_fmt_region *out,
		     struct vmkeep_fmt_span *scratch)
{
	memset(rp, 0xa5, sizeof(*rp));
	rp->base = POOL_BASE;
	rp->size = POOL_SIZE;
	vmkeep_fmt_read(meta, rp);
	if (rp->state != VMKEEP_POOL_READY)
		return -1;
	memset(out, 0xa5, sizeof(*out) * rp->nr_entries);
	return vmkeep_fmt_regions(meta, rp, out, scratch);
}

#define LOAD() load_pool(self->meta, &self->rp, self->out, self->scratch)

/* Stores @n regions and returns entry @idx of the active copy. */
static struct vmkeep_fmt_entry *stored_entry(u8 *meta,
					     struct vmkeep_fmt_pool *wp,
					     struct vmkeep_fmt_region *in,
					     u32 n, u32 idx)
{
	mkregions(in, n);
	store(meta, wp, in, n, 0);
	return ent(meta, wp->copy, idx);
}

#define STORED(n, idx) stored_entry(self->meta, &self->wp, self->in, n, idx)

/* Entry @i came back quarantined for @why */
#define ASSERT_QUARANTINED(idx, why) do {				\
	const struct vmkeep_fmt_region *o_ = &self->out[idx];		\
	ASSERT_EQ(why, o_->quarantine);					\
	ASSERT_TRUE(o_->flags & VMKEEP_FMT_QUARANTINED);		\
	ASSERT_TRUE(printable(o_->name));				\
} while (0)

/* Entry @i came back exactly as written */
#define ASSERT_INTACT(idx) do {						\
	const u32 i_ = (idx);						\
	ASSERT_EQ(0, self->out[i_].quarantine);				\
	ASSERT_EQ(0, memcmp(&self->in[i_], &self->out[i_],		\
			    sizeof(self->out[i_])));			\
} while (0)

/* Test Case: the CRC-32C check value, and that the seed chains */
TEST(crc32c_vector)
{
	static const u8 zero32[32];

	ASSERT_EQ(0xe3069283, vmkeep_crc32c(0, "123456789", 9));
	ASSERT_EQ(0xe3069283,
		  vmkeep_crc32c(vmkeep_crc32c(0, "1234", 4), "56789", 5));
	ASSERT_EQ(0, vmkeep_crc32c(0, "", 0));
	/* 32 zero bytes, RFC 3720 B.4 */
	ASSERT_EQ(0x8a9136aa, vmkeep_crc32c(0, zero32, sizeof(zero32)));
}

/* Test Case: names are 1..63 bytes of [A-Za-z0-9._:+@-], NUL in the buffer */
TEST(name_rules)
{
	char buf[VMKEEP_FMT_NAME_LEN];
	static const char * const good[] = { "a", "vm1-ram", "A.b_c:d+e@f-g", "0", "9x" };
	static const char * const bad[] = { "", "-a", ".a", "_a", "a b", "a/b", "a!",
			      "a\n", "\x80", "a\xff", "@a", ":a" };
	const char *name;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		name = good[i];
		EXPECT_EQ(0, vmkeep_fmt_check_name(name, strlen(name) + 1))
			TH_LOG("'%s'", name);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		name = bad[i];
		EXPECT_EQ(-EINVAL, vmkeep_fmt_check_name(name, strlen(name) + 1))
			TH_LOG("'%s'", name);
	}

	memset(buf, 'a', sizeof(buf));
	buf[63] = 0;
	ASSERT_EQ(0, vmkeep_fmt_check_name(buf, sizeof(buf)));	/* 63 */
	buf[63] = 'a';
	ASSERT_EQ(-EINVAL, vmkeep_fmt_check_name(buf, sizeof(buf)));
	/* the NUL must lie within len, even when the bytes go on */
	ASSERT_EQ(-EINVAL, vmkeep_fmt_check_name("abc", 3));
	ASSERT_EQ(0, vmkeep_fmt_check_name("abc", 4));
}

/* Test Case: formatted pool reads back ready, empty, generation 1 */
TEST_F(fmt, format_reads_ready)
{
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(VMKEEP_POOL_READY, self->rp.state);
	ASSERT_EQ(VMKEEP_D_NONE, self->rp.damage);
	ASSERT_EQ(0, self->rp.copy);
	ASSERT_EQ(1, self->rp.generation);
	ASSERT_EQ(1, self->rp.next_id);
	ASSERT_EQ(0, self->rp.handoffs);
	ASSERT_EQ(0, self->rp.flags);
	ASSERT_EQ(0, self->rp.nr_entries);
	ASSERT_EQ(VMKEEP_FMT_MAGIC, le64toh(hdr(self->meta, 0)->magic));
	ASSERT_EQ(0, hdr(self->meta, 1)->magic);
}

/* Test Case: format over garbage and over damaged metadata */
TEST_F(fmt, format_over_garbage)
{
	size_t i;

	srand(1);
	for (i = 0; i < META; i++)
		self->meta[i] = rand();
	self->wp.state = VMKEEP_POOL_DAMAGED;
	vmkeep_fmt_format(self->meta, &self->wp);
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(1, self->rp.generation);
	ASSERT_EQ(0, self->rp.nr_entries);
}

/*
 * Test Case: a ready pool formatted again goes on from its generation: a
 * copy of before the format that a lost write left valid never wins
 */
TEST_F(fmt, format_ready_generation_goes_on)
{
	u8 *before = malloc(META);

	ASSERT_NE(NULL, before);
	mkregions(self->in, 2);
	store(self->meta, &self->wp, self->in, 2, 0);
	store(self->meta, &self->wp, self->in, 2, 0);
	memcpy(before, self->meta, META);
	vmkeep_fmt_format(self->meta, &self->wp);
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(4, self->rp.generation);
	/* The write that blanked copy B is lost: copy A still wins. */
	memcpy(self->meta + VMKEEP_FMT_COPY_SIZE, before + VMKEEP_FMT_COPY_SIZE,
	       VMKEEP_FMT_HEADER_SIZE);
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(4, self->rp.generation);
	ASSERT_EQ(0, self->rp.nr_entries);
	free(before);
}

/* Test Case: one region round-trips, every field, header values too */
TEST_F(fmt, roundtrip_one)
{
	size_t bytes;

	mkregion(&self->in[0], 1, "vm1-ram", 0, 1);
	self->in[0].uid = 0xfffffffe;
	self->in[0].gid = 0x12345678;
	self->in[0].mode = 0777;
	self->wp.handoffs = 5;
	store(self->meta, &self->wp, self->in, 1, VMKEEP_FMT_CLEAN);

	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(1, self->rp.copy);
	ASSERT_EQ(2, self->rp.generation);
	ASSERT_EQ(5, self->rp.handoffs);
	ASSERT_EQ(2, self->rp.next_id);
	ASSERT_EQ(VMKEEP_FMT_CLEAN, self->rp.flags);
	ASSERT_EQ(1, self->rp.nr_entries);
	ASSERT_INTACT(0);

	bytes = VMKEEP_FMT_HEADER_SIZE + 1 * VMKEEP_FMT_ENTRY_SIZE;
	ASSERT_GE(bytes, used_bytes(self->meta, 1));
	TH_LOG("metadata, 1 region: %zu bytes per copy, %zu for both",
	       bytes, 2 * bytes);
}

/* Test Case: 1000 regions with 1 to 8 extents round-trip exactly */
TEST_F(fmt, roundtrip_1000)
{
	size_t bytes;
	u32 i;

	mkregions(self->in, 1000);
	store(self->meta, &self->wp, self->in, 1000, 0);

	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(1000, self->rp.nr_entries);
	for (i = 0; i < 1000; i++)
		ASSERT_INTACT(i);

	bytes = VMKEEP_FMT_HEADER_SIZE + 1000 * VMKEEP_FMT_ENTRY_SIZE;
	ASSERT_GE(bytes, used_bytes(self->meta, 1));
	TH_LOG("metadata, 1000 regions: %zu bytes per copy, %zu for both",
	       bytes, 2 * bytes);
	TH_LOG("a copy is a %d-byte header and %u entries of %d bytes at most",
	       VMKEEP_FMT_HEADER_SIZE, MAX_ENTRIES, VMKEEP_FMT_ENTRY_SIZE);
}

/* Test Case: a full copy (VMKEEP_FMT_MAX_ENTRIES entries) round-trips */
TEST_F(fmt, roundtrip_full)
{
	u32 i;

	mkregions(self->in, MAX_ENTRIES);
	store(self->meta, &self->wp, self->in, MAX_ENTRIES, 0);
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(MAX_ENTRIES, self->rp.nr_entries);
	for (i = 0; i < MAX_ENTRIES; i++)
		ASSERT_INTACT(i);
	/* the next update goes to copy 0 and still fits */
	store(self->meta, &self->wp, self->in, MAX_ENTRIES, 0);
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(0, self->rp.copy);
}

/* Test Case: put() ignores an index past the copy; commit() clamps */
TEST_F(fmt, writer_guards)
{
	u32 before, after;

	mkregion(&self->in[0], 1, "a", 0, 1);
	vmkeep_fmt_begin(self->meta, &self->wp);
	before = vmkeep_crc32c(0, self->meta, META);
	vmkeep_fmt_put(self->meta, &self->wp, MAX_ENTRIES, &self->in[0]);
	vmkeep_fmt_put(self->meta, &self->wp, ~0U, &self->in[0]);
	after = vmkeep_crc32c(0, self->meta, META);
	ASSERT_EQ(before, after);

	vmkeep_fmt_commit(self->meta, &self->wp, MAX_ENTRIES + 1, ~0U);
	ASSERT_EQ(MAX_ENTRIES, self->wp.nr_entries);
	ASSERT_EQ(VMKEEP_FMT_CLEAN, self->wp.flags);
	ASSERT_EQ(MAX_ENTRIES, LOAD());
}

/* Test Case: each update flips copies; the newer valid copy wins */
TEST_F(fmt, ab_newer_wins)
{
	mkregions(self->in, 3);
	store(self->meta, &self->wp, self->in, 3, 0);		/* gen 2, B */
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(1, self->rp.copy);
	ASSERT_EQ(2, self->rp.generation);

	store(self->meta, &self->wp, self->in, 2, 0);		/* gen 3, A */
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(0, self->rp.copy);
	ASSERT_EQ(3, self->rp.generation);
	ASSERT_EQ(2, self->rp.nr_entries);

	/* higher generation wins whichever copy holds it */
	hdr(self->meta, 1)->generation = htole64(7);
	fix_hdr(hdr(self->meta, 1));
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(1, self->rp.copy);
	ASSERT_EQ(7, self->rp.generation);
	ASSERT_EQ(3, self->rp.nr_entries);

	/* a tie goes to copy 0 */
	hdr(self->meta, 1)->generation = htole64(3);
	fix_hdr(hdr(self->meta, 1));
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(0, self->rp.copy);
}

/* Test Case: a corrupt newer header falls back to the older copy */
TEST_F(fmt, ab_corrupt_newer_older_wins)
{
	u32 i;

	mkregions(self->in, 4);
	store(self->meta, &self->wp, self->in, 4, 0);		/* gen 2, B */
	store(self->meta, &self->wp, self->in, 1, 0);		/* gen 3, A */
	hdr(self->meta, 0)->next_id ^= htole64(1);		/* bit flip */

	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(1, self->rp.copy);
	ASSERT_EQ(2, self->rp.generation);
	ASSERT_EQ(4, self->rp.nr_entries);
	for (i = 0; i < 4; i++)
		ASSERT_INTACT(i);
}

/* Test Case: begin() and puts without commit (torn update) keep the old state */
TEST_F(fmt, ab_torn_update)
{
	struct vmkeep_fmt_region other[2];
	u32 i;

	mkregions(self->in, 3);
	store(self->meta, &self->wp, self->in, 3, 0);		/* gen 2, B */
	store(self->meta, &self->wp, self->in, 3, 0);		/* gen 3, A */

	/* the next update rewrites B; it stops before the commit */
	vmkeep_fmt_begin(self->meta, &self->wp);
	mkregion(&other[0], 9, "other", 100, 2);
	mkregion(&other[1], 10, "vm-0", 101, 1);
	vmkeep_fmt_put(self->meta, &self->wp, 0, &other[0]);
	vmkeep_fmt_put(self->meta, &self->wp, 1, &other[1]);
	ASSERT_EQ(0, hdr(self->meta, 1)->magic);

	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(0, self->rp.copy);
	ASSERT_EQ(3, self->rp.generation);
	for (i = 0; i < 3; i++)
		ASSERT_INTACT(i);

	/* stopped inside commit: header written, magic not yet */
	vmkeep_fmt_commit(self->meta, &self->wp, 2, 0);
	hdr(self->meta, 1)->magic = 0;
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(3, self->rp.generation);
	ASSERT_EQ(3, self->rp.nr_entries);
}

/* Test Case: zeroed metadata and random bytes without the magic are EMPTY */
TEST_F(fmt, empty)
{
	size_t i;

	memset(self->meta, 0, META);
	ASSERT_EQ(-1, LOAD());
	ASSERT_EQ(VMKEEP_POOL_EMPTY, self->rp.state);
	ASSERT_EQ(VMKEEP_D_NONE, self->rp.damage);
	ASSERT_EQ(0, self->rp.nr_entries);
	ASSERT_EQ(0, self->rp.generation);

	srand(2);
	for (i = 0; i < META; i++)
		self->meta[i] = rand();
	hdr(self->meta, 0)->magic ^= htole64(1ULL << 63);
	hdr(self->meta, 1)->magic ^= htole64(1ULL << 63);
	ASSERT_NE(VMKEEP_FMT_MAGIC, le64toh(hdr(self->meta, 0)->magic));
	ASSERT_NE(VMKEEP_FMT_MAGIC, le64toh(hdr(self->meta, 1)->magic));
	ASSERT_EQ(-1, LOAD());
	ASSERT_EQ(VMKEEP_POOL_EMPTY, self->rp.state);
}

/* Test Case: the magic with a bad checksum in both copies is DAMAGED/CRC */
TEST_F(fmt, damaged_crc)
{
	store(self->meta, &self->wp, self->in, 0, 0);		/* A and B */
	hdr(self->meta, 0)->reserved[0] = 1;
	hdr(self->meta, 1)->crc ^= htole32(1);
	ASSERT_EQ(-1, LOAD());
	ASSERT_EQ(VMKEEP_POOL_DAMAGED, self->rp.state);
	ASSERT_EQ(VMKEEP_D_CRC, self->rp.damage);
	ASSERT_EQ(0, self->rp.nr_entries);

	/* one damaged copy and one blank: still damaged, never empty */
	hdr(self->meta, 1)->magic = 0;
	ASSERT_EQ(-1, LOAD());
	ASSERT_EQ(VMKEEP_POOL_DAMAGED, self->rp.state);
	ASSERT_EQ(VMKEEP_D_CRC, self->rp.damage);
}

/* Test Case: another compatible string or version is DAMAGED/VERSION */
TEST_F(fmt, damaged_version)
{
	struct vmkeep_fmt_header *h = hdr(self->meta, 0);
	static const char * const compat[] = { "vmkeep-v2", "vmkeep-v1x",
					       "vmkeep-v", "" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(compat); i++) {
		vmkeep_fmt_format(self->meta, &self->wp);
		memset(h->compatible, 0, sizeof(h->compatible));
		snprintf(h->compatible, sizeof(h->compatible), "%s",
			 compat[i]);
		fix_hdr(h);
		ASSERT_EQ(-1, LOAD());
		ASSERT_EQ(VMKEEP_POOL_DAMAGED, self->rp.state);
		ASSERT_EQ(VMKEEP_D_VERSION, self->rp.damage);
	}

	/* not NUL-padded */
	vmkeep_fmt_format(self->meta, &self->wp);
	h->compatible[15] = 'x';
	fix_hdr(h);
	ASSERT_EQ(-1, LOAD());
	ASSERT_EQ(VMKEEP_D_VERSION, self->rp.damage);

	vmkeep_fmt_format(self->meta, &self->wp);
	h->version = htole32(3);
	fix_hdr(h);
	ASSERT_EQ(-1, LOAD());
	ASSERT_EQ(VMKEEP_D_VERSION, self->rp.damage);
}

/* Test Case: metadata of another pool base or size is DAMAGED/GEOMETRY */
TEST_F(fmt, damaged_geometry)
{
	self->wp.base = POOL_BASE + UNIT;
	vmkeep_fmt_format(self->meta, &self->wp);
	ASSERT_EQ(-1, LOAD());
	ASSERT_EQ(VMKEEP_POOL_DAMAGED, self->rp.state);
	ASSERT_EQ(VMKEEP_D_GEOMETRY, self->rp.damage);

	self->wp.base = POOL_BASE;
	self->wp.size = POOL_SIZE - UNIT;
	vmkeep_fmt_format(self->meta, &self->wp);
	ASSERT_EQ(-1, LOAD());
	ASSERT_EQ(VMKEEP_D_GEOMETRY, self->rp.damage);
}

/* Test Case: a pool too small or not a multiple of 2 MiB is DAMAGED/GEOMETRY */
TEST_F(fmt, damaged_pool_size)
{
	static const u64 sizes[] = { 0, UNIT, META, META + UNIT - 4096,
				     POOL_SIZE + 4096, ~0ULL };
	struct vmkeep_fmt_pool p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(self->meta, 0, META);
		p.base = POOL_BASE;
		p.size = sizes[i];
		vmkeep_fmt_read(self->meta, &p);
		ASSERT_EQ(VMKEEP_POOL_DAMAGED, p.state);
		ASSERT_EQ(VMKEEP_D_GEOMETRY, p.damage);
	}
	/* the smallest pool: metadata and one unit */
	p.size = META + UNIT;
	vmkeep_fmt_read(self->meta, &p);
	ASSERT_EQ(VMKEEP_POOL_EMPTY, p.state);
}

/* Test Case: each out-of-range header field is DAMAGED/FIELD */
TEST_F(fmt, damaged_field)
{
	struct vmkeep_fmt_header *h = hdr(self->meta, 0);
	int i;

	for (i = 0; i < 7; i++) {
		vmkeep_fmt_format(self->meta, &self->wp);
		switch (i) {
		case 0:
			h->header_size = htole32(1024);
			break;
		case 1:
			h->entry_size = htole32(128);
			break;
		case 2:
			h->nr_entries = htole32(MAX_ENTRIES + 1);
			break;
		case 3:
			h->flags = htole32(1U << 1);
			break;
		case 4:
			h->reserved[399] = 1;
			break;
		case 5:
			h->generation = 0;
			break;
		case 6:
			h->nr_entries = htole32(~0U);
			break;
		}
		fix_hdr(h);
		ASSERT_EQ(-1, LOAD()) TH_LOG("case %d", i);
		ASSERT_EQ(VMKEEP_POOL_DAMAGED, self->rp.state);
		ASSERT_EQ(VMKEEP_D_FIELD, self->rp.damage) TH_LOG("case %d", i);
	}
}

/* Test Case: with two damaged copies the most specific reason is reported */
TEST_F(fmt, damaged_priority)
{
	static const struct { u32 a, b, want; } tab[] = {
		{ VMKEEP_D_CRC, VMKEEP_D_FIELD, VMKEEP_D_FIELD },
		{ VMKEEP_D_GEOMETRY, VMKEEP_D_FIELD, VMKEEP_D_GEOMETRY },
		{ VMKEEP_D_GEOMETRY, VMKEEP_D_VERSION, VMKEEP_D_VERSION },
		{ VMKEEP_D_VERSION, VMKEEP_D_CRC, VMKEEP_D_VERSION },
		{ VMKEEP_D_CRC, VMKEEP_D_CRC, VMKEEP_D_CRC },
	};
	size_t i;
	u32 c, why;

	for (i = 0; i < ARRAY_SIZE(tab); i++) {
		store(self->meta, &self->wp, self->in, 0, 0);
		store(self->meta, &self->wp, self->in, 0, 0);
		for (c = 0; c < 2; c++) {
			struct vmkeep_fmt_header *h = hdr(self->meta, c);

			why = c ? tab[i].b : tab[i].a;
			if (why == VMKEEP_D_VERSION)
				h->version = htole32(9);
			else if (why == VMKEEP_D_GEOMETRY)
				h->pool_size = htole64(POOL_SIZE * 2);
			else if (why == VMKEEP_D_FIELD)
				h->flags = htole32(0x80);
			if (why != VMKEEP_D_CRC)
				fix_hdr(h);
			else
				h->crc ^= htole32(0x10);
		}
		ASSERT_EQ(-1, LOAD());
		ASSERT_EQ(tab[i].want, self->rp.damage) TH_LOG("case %zu", i);
	}
}

/* Test Case: an entry with a bad checksum is Q_CRC; its valid extents are kept */
TEST_F(fmt, entry_crc)
{
	mkregions(self->in, 3);
	store(self->meta, &self->wp, self->in, 3, 0);
	ent(self->meta, self->wp.copy, 1)->uid ^= htole32(1);
	ASSERT_EQ(1, LOAD());
	ASSERT_INTACT(0);
	ASSERT_QUARANTINED(1, VMKEEP_Q_CRC);
	ASSERT_EQ(self->in[1].nr_extents, self->out[1].nr_extents);
	ASSERT_EQ(0, memcmp(self->in[1].extents, self->out[1].extents,
			    sizeof(self->out[1].extents)));
	ASSERT_STREQ("vm-1", self->out[1].name);
	ASSERT_INTACT(2);

	/*
	 * bad checksum over a bad count: Q_CRC, and the extents inside the
	 * pool stay reserved, never to be mapped
	 */
	ent(self->meta, self->wp.copy, 1)->nr_extents = htole32(0);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(1, VMKEEP_Q_CRC);
	ASSERT_TRUE(self->out[1].flags & VMKEEP_FMT_UNTRUSTED);
	ASSERT_EQ(self->in[1].nr_extents, self->out[1].nr_extents);
	ASSERT_EQ(0, memcmp(self->in[1].extents, self->out[1].extents,
			    sizeof(self->out[1].extents)));
}

/* Test Case: a name without NUL is Q_NAME and renamed "!bad-<index>" */
TEST_F(fmt, entry_name_no_nul)
{
	struct vmkeep_fmt_entry *e;

	e = STORED(3, 1);
	memset(e->name, 'a', sizeof(e->name));
	fix_ent(e);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(1, VMKEEP_Q_NAME);
	ASSERT_STREQ("!bad-1", self->out[1].name);
	ASSERT_EQ(self->in[1].nr_extents, self->out[1].nr_extents);
	ASSERT_INTACT(0);
	ASSERT_INTACT(2);
}

/* Test Case: names with a bad byte, a bad first byte, or empty are Q_NAME */
TEST_F(fmt, entry_name_bad_byte)
{
	static const char * const names[] = { "vm 1", "-vm", "vm/1", "",
					       "vm\x7f", "!dup-2" };
	struct vmkeep_fmt_entry *e;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		e = STORED(3, 2);
		memset(e->name, 0, sizeof(e->name));
		snprintf(e->name, sizeof(e->name), "%s", names[i]);
		fix_ent(e);
		ASSERT_EQ(1, LOAD());
		ASSERT_QUARANTINED(2, VMKEEP_Q_NAME);
		ASSERT_STREQ("!bad-2", self->out[2].name);
	}
}

/* Test Case: a bad checksum over a non-printable name gives a clean name */
TEST_F(fmt, entry_name_unprintable)
{
	struct vmkeep_fmt_entry *e;

	e = STORED(3, 2);
	e->name[0] = 1;
	fix_ent(e);
	e->reserved0 = htole32(1);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(2, VMKEEP_Q_CRC);
	ASSERT_STREQ("!bad-2", self->out[2].name);
}

/* Test Case: a duplicate name is Q_NAME "!dup-<index>"; the first keeps it */
TEST_F(fmt, entry_name_dup)
{
	struct vmkeep_fmt_entry *e;

	e = STORED(4, 3);
	memcpy(e->name, "vm-1", sizeof("vm-1"));
	fix_ent(e);
	ASSERT_EQ(1, LOAD());
	ASSERT_INTACT(0);
	ASSERT_INTACT(1);
	ASSERT_INTACT(2);
	ASSERT_QUARANTINED(3, VMKEEP_Q_NAME);
	ASSERT_STREQ("!dup-3", self->out[3].name);
	ASSERT_EQ(self->in[3].nr_extents, self->out[3].nr_extents);

	/* three of a kind */
	e = ent(self->meta, self->wp.copy, 0);
	memcpy(e->name, "vm-1", sizeof("vm-1"));
	fix_ent(e);
	ASSERT_EQ(2, LOAD());
	ASSERT_EQ(0, self->out[0].quarantine);
	ASSERT_STREQ("vm-1", self->out[0].name);
	ASSERT_STREQ("!dup-1", self->out[1].name);
	ASSERT_STREQ("!dup-3", self->out[3].name);
}

/* Test Case: a damaged entry never takes the name of a good one */
TEST_F(fmt, entry_name_dup_prefers_good)
{
	struct vmkeep_fmt_entry *e;

	e = STORED(3, 0);
	memcpy(e->name, "vm-2", sizeof("vm-2"));
	fix_ent(e);
	e->uid ^= htole32(1);				/* crc now wrong */
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_CRC);
	ASSERT_STREQ("!dup-0", self->out[0].name);
	ASSERT_INTACT(1);
	ASSERT_INTACT(2);
}

/*
 * Test Case: each bad extent list is Q_EXTENT; what lies inside the pool
 * stays reserved (untrusted: never mapped)
 */
TEST_F(fmt, entry_extents)
{
	static const char * const what[] = {
		"past the pool", "unaligned offset", "unaligned length",
		"zero length", "sum mismatch", "nr_extents 0", "nr_extents 9",
		"inside the metadata", "offset+length overflows",
		"unused extent not zero", "length 2^64 - UNIT",
	};
	struct vmkeep_fmt_entry *e;
	struct vmkeep_fmt_extent *x;
	u32 j;
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(what); i++) {
		/* entry 1 has two extents: 1 and 2 units */
		e = STORED(3, 1);
		x = e->extents;
		switch (i) {
		case 0:
			x[1].offset = htole64(POOL_SIZE - UNIT);
			break;
		case 1:
			x[0].offset = htole64(le64toh(x[0].offset) + 4096);
			break;
		case 2:
			x[0].length = htole64(UNIT + 4096);
			x[1].length = htole64(2 * UNIT - 4096);
			break;
		case 3:
			x[0].length = 0;
			e->length = htole64(2 * UNIT);
			break;
		case 4:
			e->length = htole64(le64toh(e->length) + UNIT);
			break;
		case 5:
			e->nr_extents = 0;
			break;
		case 6:
			e->nr_extents = htole32(9);
			break;
		case 7:
			x[0].offset = htole64(0);
			break;
		case 8:
			x[1].offset = htole64(-UNIT);
			break;
		case 9:
			x[7].length = htole64(UNIT);
			break;
		case 10:
			x[1].length = htole64(-UNIT);
			e->length = htole64(0);
			break;
		}
		fix_ent(e);
		ASSERT_EQ(1, LOAD()) TH_LOG("%s", what[i]);
		ASSERT_QUARANTINED(1, VMKEEP_Q_EXTENT);
		ASSERT_TRUE(self->out[1].flags & VMKEEP_FMT_UNTRUSTED);
		for (j = 0; j < self->out[1].nr_extents; j++) {
			u64 o = self->out[1].extents[j].offset;
			u64 l = self->out[1].extents[j].length;

			ASSERT_TRUE(o >= META && l && !(o % UNIT) &&
				    !(l % UNIT) && o + l > o &&
				    o + l <= POOL_SIZE);
		}
		ASSERT_STREQ("vm-1", self->out[1].name);
		ASSERT_INTACT(0);
		ASSERT_INTACT(2);
	}
}

/* Test Case: 8 extents fit, the last unit of the pool is usable */
TEST_F(fmt, entry_extents_limits)
{
	struct vmkeep_fmt_region *r = self->in;

	mkregion(&r[0], 1, "eight", 0, 8);
	mkregion(&r[1], 2, "last", 0, 0);
	r[1].nr_extents = 1;
	r[1].extents[0].offset = POOL_SIZE - UNIT;
	r[1].extents[0].length = UNIT;
	r[1].length = UNIT;
	store(self->meta, &self->wp, r, 2, 0);
	ASSERT_EQ(0, LOAD());
	ASSERT_INTACT(0);
	ASSERT_INTACT(1);
}

/* Test Case: two regions sharing memory are both Q_OVERLAP, extents kept */
TEST_F(fmt, overlap_two)
{
	struct vmkeep_fmt_entry *e;
	u32 i;

	/* entry 0 (one extent at unit 0) reaches into entry 1's unit 16 */
	e = STORED(4, 0);
	e->extents[0].length = htole64(17 * UNIT);
	e->length = e->extents[0].length;
	fix_ent(e);
	ASSERT_EQ(2, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_OVERLAP);
	ASSERT_QUARANTINED(1, VMKEEP_Q_OVERLAP);
	ASSERT_INTACT(2);
	ASSERT_INTACT(3);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(i + 1, self->out[i].nr_extents);
		ASSERT_STREQ(self->in[i].name, self->out[i].name);
	}
	ASSERT_EQ(17 * UNIT, self->out[0].extents[0].length);
	ASSERT_EQ(0, memcmp(self->in[1].extents, self->out[1].extents,
			    sizeof(self->out[1].extents)));
}

/* Test Case: a region inside another, and one after it touching it */
TEST_F(fmt, overlap_nested)
{
	struct vmkeep_fmt_region *r = self->in;

	mkregion(&r[0], 1, "big", 0, 1);
	r[0].extents[0].length = 10 * UNIT;
	r[0].length = 10 * UNIT;
	mkregion(&r[1], 2, "inner-a", 0, 1);
	r[1].extents[0].offset += 3 * UNIT;
	mkregion(&r[2], 3, "inner-b", 0, 1);
	r[2].extents[0].offset += 7 * UNIT;
	mkregion(&r[3], 4, "after", 0, 1);
	r[3].extents[0].offset += 10 * UNIT;
	mkregion(&r[4], 5, "before", 0, 0);
	r[4].nr_extents = 1;
	r[4].extents[0].offset = META;
	r[4].extents[0].length = UNIT;
	r[4].length = UNIT;
	r[0].extents[0].offset += UNIT;
	r[1].extents[0].offset += UNIT;
	r[2].extents[0].offset += UNIT;
	r[3].extents[0].offset += UNIT;
	store(self->meta, &self->wp, r, 5, 0);
	ASSERT_EQ(3, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_OVERLAP);
	ASSERT_QUARANTINED(1, VMKEEP_Q_OVERLAP);
	ASSERT_QUARANTINED(2, VMKEEP_Q_OVERLAP);
	ASSERT_INTACT(3);
	ASSERT_INTACT(4);
}

/* Test Case: a region whose own extents intersect is Q_OVERLAP */
TEST_F(fmt, overlap_self)
{
	struct vmkeep_fmt_entry *e;

	e = STORED(3, 1);
	e->extents[1].offset = e->extents[0].offset;
	fix_ent(e);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(1, VMKEEP_Q_OVERLAP);
	ASSERT_EQ(2, self->out[1].nr_extents);
	ASSERT_INTACT(0);
	ASSERT_INTACT(2);
}

/*
 * Test Case: a damaged entry that claims a good region's memory keeps it
 * reserved but does not quarantine the good region: a flipped bit in one
 * entry costs no other region its RAM
 */
TEST_F(fmt, overlap_with_quarantined)
{
	struct vmkeep_fmt_entry *e;

	e = STORED(3, 0);
	e->extents[0].offset = htole64(META + 32 * UNIT);
	fix_ent(e);
	e->gid ^= htole32(1);				/* crc now wrong */
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_CRC);
	ASSERT_EQ(1, self->out[0].nr_extents);
	ASSERT_INTACT(1);
	ASSERT_INTACT(2);
}

/* Test Case: unknown flags, mode, reserved bytes, stray reason, name padding, ids: Q_FIELD */
TEST_F(fmt, entry_fields)
{
	static const char * const what[] = {
		"unknown flag", "mode 01000", "reserved0", "reserved[15]",
		"quarantine without flag", "name padding", "id 0",
		"id >= next_id",
	};
	struct vmkeep_fmt_entry *e;
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(what); i++) {
		e = STORED(3, 1);
		switch (i) {
		case 0:
			/* the lowest bit that is not a known flag */
			e->flags |= htole32(~VMKEEP_FMT_ENTRY_FLAGS &
					    (VMKEEP_FMT_ENTRY_FLAGS + 1));
			break;
		case 1:
			e->mode = htole32(01000);
			break;
		case 2:
			e->reserved0 = htole32(1);
			break;
		case 3:
			e->reserved[15] = 0x80;
			break;
		case 4:
			e->quarantine = htole32(VMKEEP_Q_CRC);
			break;
		case 5:
			e->name[63] = 'x';
			break;
		case 6:
			e->id = 0;
			break;
		case 7:
			e->id = htole64(self->wp.next_id);
			break;
		}
		fix_ent(e);
		ASSERT_EQ(1, LOAD()) TH_LOG("%s", what[i]);
		ASSERT_QUARANTINED(1, VMKEEP_Q_FIELD);
		ASSERT_EQ(2, self->out[1].nr_extents);
		ASSERT_INTACT(0);
		ASSERT_INTACT(2);
	}
}

/* Test Case: a region stored while being cleared comes back quarantined, Q_UNCLEARED */
TEST_F(fmt, entry_uncleared)
{
	mkregions(self->in, 3);
	self->in[1].flags |= VMKEEP_FMT_UNCLEARED;
	store(self->meta, &self->wp, self->in, 3, 0);
	ASSERT_NE(0, le32toh(ent(self->meta, self->wp.copy, 1)->flags) &
		     VMKEEP_FMT_UNCLEARED);
	ASSERT_EQ(1, LOAD());
	ASSERT_INTACT(0);
	ASSERT_QUARANTINED(1, VMKEEP_Q_UNCLEARED);
	ASSERT_EQ(self->in[1].nr_extents, self->out[1].nr_extents);
	ASSERT_INTACT(2);

	/* cleared and written again: restored */
	self->in[1].flags &= ~VMKEEP_FMT_UNCLEARED;
	store(self->meta, &self->wp, self->in, 3, 0);
	ASSERT_EQ(0, LOAD());
	ASSERT_INTACT(1);
}

/*
 * Test Case: live update memory (VMKEEP_FMT_LUO, vmkeep_luo.c) is stored
 * and read back as such, never as a region of that name; two of one name
 * (a set's tables, "luo.N") are no duplicate region names.
 */
TEST_F(fmt, entry_luo)
{
	u32 i;

	mkregions(self->in, 3);
	for (i = 1; i < 3; i++) {
		self->in[i].flags = VMKEEP_FMT_LUO;
		self->in[i].uid = 0;
		self->in[i].gid = 0;
		self->in[i].mode = 0;
		snprintf(self->in[i].name, sizeof(self->in[i].name), "luo.1");
	}
	store(self->meta, &self->wp, self->in, 3, 0);
	ASSERT_NE(0, le32toh(ent(self->meta, self->wp.copy, 1)->flags) &
		     VMKEEP_FMT_LUO);
	ASSERT_EQ(0, LOAD());
	ASSERT_INTACT(0);
	ASSERT_INTACT(1);
	ASSERT_INTACT(2);
}

/* Test Case: a duplicate id quarantines the later region, Q_FIELD */
TEST_F(fmt, entry_dup_id)
{
	struct vmkeep_fmt_entry *e;

	e = STORED(3, 2);
	e->id = htole64(1);
	fix_ent(e);
	ASSERT_EQ(1, LOAD());
	ASSERT_INTACT(0);
	ASSERT_INTACT(1);
	ASSERT_QUARANTINED(2, VMKEEP_Q_FIELD);
}

/* Test Case: a stored quarantine reason round-trips; unknown ones become Q_FIELD */
TEST_F(fmt, stored_quarantine)
{
	u32 why;

	mkregions(self->in, 7);
	for (why = VMKEEP_Q_CRC; why <= VMKEEP_Q_FIELD; why++)
		self->in[why].quarantine = why;
	store(self->meta, &self->wp, self->in, 7, 0);
	ASSERT_EQ(5, LOAD());
	ASSERT_INTACT(0);
	ASSERT_INTACT(6);
	for (why = VMKEEP_Q_CRC; why <= VMKEEP_Q_FIELD; why++) {
		ASSERT_QUARANTINED(why, why);
		ASSERT_EQ(self->in[why].nr_extents,
			  self->out[why].nr_extents);
		ASSERT_STREQ(self->in[why].name, self->out[why].name);
	}

	/* the flag with reason 0 or an unknown reason */
	ent(self->meta, self->wp.copy, 1)->quarantine = 0;
	fix_ent(ent(self->meta, self->wp.copy, 1));
	ent(self->meta, self->wp.copy, 2)->quarantine = htole32(99);
	fix_ent(ent(self->meta, self->wp.copy, 2));
	ASSERT_EQ(5, LOAD());
	ASSERT_QUARANTINED(1, VMKEEP_Q_FIELD);
	ASSERT_QUARANTINED(2, VMKEEP_Q_FIELD);

	/* and the decoded regions written again read the same */
	memcpy(self->in, self->out, 7 * sizeof(*self->in));
	store(self->meta, &self->wp, self->in, 7, 0);
	ASSERT_EQ(5, LOAD());
	for (why = 0; why < 7; why++)
		ASSERT_EQ(0, memcmp(&self->in[why], &self->out[why],
				    sizeof(self->out[why])));
}

/* Test Case: good regions among many bad ones come back unchanged */
TEST_F(fmt, good_next_to_bad)
{
	struct vmkeep_fmt_entry *e;
	u32 i, n = 64;

	mkregions(self->in, n);
	store(self->meta, &self->wp, self->in, n, 0);
	for (i = 0; i < n; i += 2) {
		e = ent(self->meta, self->wp.copy, i);
		switch (i % 8) {
		case 0:
			e->crc ^= htole32(1);	/* checksum stays wrong */
			continue;
		case 2:
			e->name[0] = ' ';
			break;
		case 4:
			e->nr_extents = 0;
			break;
		case 6:
			e->reserved[0] = 1;
			break;
		}
		fix_ent(e);
	}
	ASSERT_EQ(n / 2, LOAD());
	for (i = 1; i < n; i += 2)
		ASSERT_INTACT(i);
	for (i = 0; i < n; i += 2)
		ASSERT_NE(0, self->out[i].quarantine);
}

/* Test Case: garbage entries never read past the buffer, names stay clean */
TEST_F(fmt, garbage_entries)
{
	struct vmkeep_fmt_header *h;
	u32 i, round;
	int q;

	srand(3);
	for (round = 0; round < 4; round++) {
		vmkeep_fmt_format(self->meta, &self->wp);
		h = hdr(self->meta, 0);
		for (i = VMKEEP_FMT_HEADER_SIZE; i < VMKEEP_FMT_COPY_SIZE; i++)
			self->meta[i] = rand() % (round + 2);
		for (i = 0; i < MAX_ENTRIES; i += 1 + round)
			fix_ent(ent(self->meta, 0, i));
		h->nr_entries = htole32(MAX_ENTRIES);
		h->next_id = htole64(~0ULL);
		fix_hdr(h);
		q = LOAD();
		ASSERT_LE(0, q);
		ASSERT_GE((int)MAX_ENTRIES, q);
		for (i = 0; i < MAX_ENTRIES; i++) {
			ASSERT_TRUE(printable(self->out[i].name));
			ASSERT_EQ(!!self->out[i].quarantine,
				  !!(self->out[i].flags &
				     VMKEEP_FMT_QUARANTINED));
		}
	}
}

/* Stores @n regions twice, as a freeze leaves them: both copies alike. */
static void store_frozen(u8 *meta, struct vmkeep_fmt_pool *wp,
			 struct vmkeep_fmt_region *in, u32 n)
{
	mkregions(in, n);
	store(meta, wp, in, n, 0);
	store(meta, wp, in, n, 0);
}

/* out[idx] is in[idx] as written, taken from the other copy */
#define ASSERT_REPAIRED(idx) do {					\
	struct vmkeep_fmt_region o_ = self->out[idx];			\
	ASSERT_EQ(0, o_.quarantine);					\
	ASSERT_TRUE(o_.flags & VMKEEP_FMT_REPAIRED);			\
	o_.flags &= ~VMKEEP_FMT_REPAIRED;				\
	ASSERT_EQ(0, memcmp(&self->in[idx], &o_, sizeof(o_)));		\
} while (0)

/*
 * Test Case: finding 1 - an entry of the active copy that fails its
 * checksum comes back from the other copy, which holds the same region
 * intact, whichever of its fields the damage hit.
 */
TEST_F(fmt, repair_from_other_copy)
{
	static const size_t at[] = { 0, 8, 16, 28, 36, 40, 48, 112, 120, 250 };
	struct vmkeep_fmt_entry *e;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(at); i++) {
		store_frozen(self->meta, &self->wp, self->in, 3);
		e = ent(self->meta, self->wp.copy, 1);
		((u8 *)e)[at[i]] ^= 0x10;
		ASSERT_EQ(0, LOAD()) TH_LOG("byte %zu", at[i]);
		ASSERT_INTACT(0);
		ASSERT_REPAIRED(1);
		ASSERT_INTACT(2);
	}
}

/*
 * Test Case: finding 1 - repair takes the same region only: the other
 * copy's entry at that place, a region freed since, is not taken.
 */
TEST_F(fmt, repair_same_region_only)
{
	struct vmkeep_fmt_entry *e;

	store_frozen(self->meta, &self->wp, self->in, 3);
	/* region 2 freed, a new one (id 4) takes its place and memory */
	self->in[1].id = 4;
	snprintf(self->in[1].name, sizeof(self->in[1].name), "vm-new");
	store(self->meta, &self->wp, self->in, 3, 0);
	e = ent(self->meta, self->wp.copy, 1);
	e->crc ^= htole32(1);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(1, VMKEEP_Q_CRC);
	ASSERT_FALSE(self->out[1].flags & VMKEEP_FMT_REPAIRED);
	/* its memory stays reserved all the same */
	ASSERT_EQ(self->in[1].nr_extents, self->out[1].nr_extents);
	ASSERT_INTACT(0);
	ASSERT_INTACT(2);
}

/*
 * Test Case: a freed region's entry in the other copy is not taken for a
 * live region whose id was hit to the freed one's and another field too
 * (found by review): the live region stays quarantined with its memory
 * reserved, and the freed one does not come back.
 */
TEST_F(fmt, repair_not_a_freed_region)
{
	struct vmkeep_fmt_entry *e;

	store_frozen(self->meta, &self->wp, self->in, 3);
	/* region 2 freed, a new one (id 4, elsewhere) made: the last update */
	self->in[1].id = 4;
	snprintf(self->in[1].name, sizeof(self->in[1].name), "vm-new");
	self->in[1].extents[0].offset += 64ULL << 20;
	store(self->meta, &self->wp, self->in, 3, 0);
	e = ent(self->meta, self->wp.copy, 1);
	e->id = htole64(2);
	e->length ^= htole64(2ULL << 20);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(1, VMKEEP_Q_CRC);
	ASSERT_FALSE(self->out[1].flags & VMKEEP_FMT_REPAIRED);
	ASSERT_EQ(self->in[1].extents[0].offset, self->out[1].extents[0].offset);
	ASSERT_INTACT(0);
	ASSERT_INTACT(2);
}

/*
 * Test Case: finding 1 - the other copy's entry is not taken when it does
 * not fit the rest: its memory is another region's.
 */
TEST_F(fmt, repair_refused_inconsistent)
{
	struct vmkeep_fmt_entry *e;

	mkregions(self->in, 3);
	/* the other copy: region 2 in the memory region 3 has now */
	self->in[1].extents[0].offset = self->in[2].extents[0].offset;
	store(self->meta, &self->wp, self->in, 3, 0);
	mkregions(self->in, 3);
	store(self->meta, &self->wp, self->in, 3, 0);
	e = ent(self->meta, self->wp.copy, 1);
	e->crc ^= htole32(1);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(1, VMKEEP_Q_CRC);
	ASSERT_INTACT(0);
	ASSERT_INTACT(2);
}

/* Every unit of @r's extents is set in @used */
static bool reserved(const u8 *used, const struct vmkeep_fmt_region *r)
{
	u64 u, i;

	for (i = 0; i < r->nr_extents; i++)
		for (u = r->extents[i].offset / UNIT;
		     u < (r->extents[i].offset + r->extents[i].length) / UNIT; u++)
			if (!used[u])
				return false;
	return true;
}

#define SWEEP_UNITS	1024

/* ALLOC's view, as kmod/vmkeep_pool.c rebuilds it: every region's extents */
static void alloc_map(u8 *used, const struct vmkeep_fmt_region *out, u32 n)
{
	u64 u, end;
	u32 i, j;

	memset(used, 0, SWEEP_UNITS);
	for (u = 0; u < META / UNIT; u++)
		used[u] = 1;
	for (i = 0; i < n; i++) {
		for (j = 0; j < out[i].nr_extents; j++) {
			end = (out[i].extents[j].offset +
			       out[i].extents[j].length) / UNIT;
			for (u = out[i].extents[j].offset / UNIT;
			     u < end && u < SWEEP_UNITS; u++)
				used[u] = 1;
		}
	}
}

/*
 * Test Case: finding 2 - a damaged entry whose extents no longer add up
 * keeps the ones inside the pool reserved, never to be mapped.
 */
TEST_F(fmt, reserve_damaged_extents)
{
	u8 used[SWEEP_UNITS];
	struct vmkeep_fmt_entry *e;
	int fixed;

	for (fixed = 0; fixed < 2; fixed++) {
		e = STORED(3, 1);
		e->length ^= htole64(UNIT);	/* the sum is wrong now */
		if (fixed)
			fix_ent(e);		/* written so: Q_EXTENT */
		ASSERT_EQ(1, LOAD());
		ASSERT_QUARANTINED(1, fixed ? VMKEEP_Q_EXTENT : VMKEEP_Q_CRC);
		ASSERT_TRUE(self->out[1].flags & VMKEEP_FMT_UNTRUSTED);
		alloc_map(used, self->out, 3);
		ASSERT_TRUE(reserved(used, &self->in[1]));
		ASSERT_INTACT(0);
		ASSERT_INTACT(2);
	}
	/* an extent outside the pool is dropped, the others stay */
	e = STORED(3, 2);
	e->extents[1].offset = htole64(POOL_SIZE);
	fix_ent(e);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(2, VMKEEP_Q_EXTENT);
	ASSERT_EQ(self->in[2].nr_extents - 1, self->out[2].nr_extents);
}

struct sweep {
	u32 n, flips, repaired, lost, unreserved, phantom;
};

/* Read the pool after one flip and count what became of each region. */
static void sweep_one(struct sweep *sw, const u8 *meta,
		      struct vmkeep_fmt_pool *rp,
		      const struct vmkeep_fmt_region *in,
		      struct vmkeep_fmt_region *out,
		      struct vmkeep_fmt_span *scratch)
{
	struct vmkeep_fmt_region o;
	u8 used[SWEEP_UNITS];
	u32 k, j;

	sw->flips++;
	if (load_pool(meta, rp, out, scratch) < 0) {
		sw->lost += sw->n;
		return;
	}
	alloc_map(used, out, rp->nr_entries);
	for (k = 0; k < sw->n; k++) {
		memset(&o, 0, sizeof(o));
		if (!reserved(used, &in[k]))
			sw->unreserved++;
		for (j = 0; j < rp->nr_entries; j++)
			if (out[j].id == in[k].id && !out[j].quarantine)
				o = out[j];
		sw->repaired += !!(o.flags & VMKEEP_FMT_REPAIRED);
		o.flags &= ~VMKEEP_FMT_REPAIRED;
		sw->lost += !!memcmp(&o, &in[k], sizeof(o));
	}
	for (j = 0; j < rp->nr_entries; j++)
		sw->phantom += !out[j].quarantine && out[j].id > sw->n;
}

/*
 * Test Case: deliverable 5 - flip every bit of the metadata of a pool in
 * the state a freeze leaves (both copies describe the same regions) and
 * read it: no region is lost, and ALLOC (the bitmap rebuilt from every
 * region, quarantined ones included) never gets memory of a region that
 * was not freed.
 */
TEST_F(fmt, bitflip_sweep)
{
	struct sweep sw = { .n = 6 };
	size_t len, byte;
	u32 copy;
	u8 *c;
	int bit;

	store_frozen(self->meta, &self->wp, self->in, sw.n);
	len = VMKEEP_FMT_HEADER_SIZE + sw.n * VMKEEP_FMT_ENTRY_SIZE;
	for (copy = 0; copy < 2; copy++) {
		c = self->meta + copy * VMKEEP_FMT_COPY_SIZE;
		for (byte = 0; byte < len; byte++) {
			for (bit = 0; bit < 8; bit++) {
				c[byte] ^= 1U << bit;
				sweep_one(&sw, self->meta, &self->rp, self->in,
					  self->out, self->scratch);
				c[byte] ^= 1U << bit;
			}
		}
	}
	ksft_print_msg("bit-flip sweep: %u regions, %u flips, %u regions repaired, %u regions lost, %u times memory of a live region free for ALLOC, %u phantom regions\n",
		       sw.n, sw.flips, sw.repaired, sw.lost, sw.unreserved,
		       sw.phantom);
	EXPECT_EQ(0U, sw.lost);
	EXPECT_EQ(0U, sw.unreserved);
	EXPECT_EQ(0U, sw.phantom);
}

/* The module's view: its own page size, the identity FORMAT gave. */
static void read_as_module(const u8 *meta, struct vmkeep_fmt_pool *rp,
			   u32 page_shift)
{
	memset(rp, 0xa5, sizeof(*rp));
	rp->base = POOL_BASE;
	rp->size = POOL_SIZE;
	rp->page_shift = page_shift;
	vmkeep_fmt_read(meta, rp);
}

static void format_with_id(u8 *meta, struct vmkeep_fmt_pool *wp)
{
	memset(wp->id, 0x5a, sizeof(wp->id));
	wp->page_shift = 21;
	vmkeep_fmt_format(meta, wp);
}

/*
 * Test Case: a pool formatted with an identity reads back with it; read
 * with another page size it is damaged (geometry), never restored
 */
TEST_F(fmt, identity)
{
	format_with_id(self->meta, &self->wp);
	mkregions(self->in, 3);
	store(self->meta, &self->wp, self->in, 3, 0);
	read_as_module(self->meta, &self->rp, 21);
	ASSERT_EQ(VMKEEP_POOL_READY, self->rp.state);
	ASSERT_TRUE(vmkeep_fmt_has_id(&self->rp));
	ASSERT_EQ(0, memcmp(self->wp.id, self->rp.id, sizeof(self->rp.id)));
	ASSERT_FALSE(self->rp.torn);
	ASSERT_EQ(21, le32toh(hdr(self->meta, self->wp.copy)->page_shift));

	read_as_module(self->meta, &self->rp, 30);
	ASSERT_EQ(VMKEEP_POOL_DAMAGED, self->rp.state);
	ASSERT_EQ(VMKEEP_D_GEOMETRY, self->rp.damage);
}

/*
 * Test Case: a header without an identity (written before identities)
 * reads as one, and such a header with a page size or an entries
 * checksum is damaged (field)
 */
TEST_F(fmt, identity_legacy)
{
	struct vmkeep_fmt_header *h = hdr(self->meta, self->wp.copy);

	read_as_module(self->meta, &self->rp, 21);
	ASSERT_EQ(VMKEEP_POOL_READY, self->rp.state);
	ASSERT_FALSE(vmkeep_fmt_has_id(&self->rp));
	h->page_shift = htole32(21);
	fix_hdr(h);
	read_as_module(self->meta, &self->rp, 21);
	ASSERT_EQ(VMKEEP_POOL_DAMAGED, self->rp.state);
	ASSERT_EQ(VMKEEP_D_FIELD, self->rp.damage);
}

/*
 * Test Case: an entry of an older update under the newer header (a reset
 * that lost cache lines of the update) passes its own checksum but makes
 * the copy torn
 */
TEST_F(fmt, torn_entries)
{
	struct vmkeep_fmt_entry old;

	format_with_id(self->meta, &self->wp);
	mkregions(self->in, 3);
	store(self->meta, &self->wp, self->in, 3, 0);
	memcpy(&old, ent(self->meta, self->wp.copy, 1), sizeof(old));
	self->in[1].mode = 0640;
	store(self->meta, &self->wp, self->in, 3, 0);
	read_as_module(self->meta, &self->rp, 21);
	ASSERT_FALSE(self->rp.torn);

	memcpy(ent(self->meta, self->wp.copy, 1), &old, sizeof(old));
	read_as_module(self->meta, &self->rp, 21);
	ASSERT_EQ(VMKEEP_POOL_READY, self->rp.state);
	ASSERT_TRUE(self->rp.torn);
	ASSERT_EQ(0, vmkeep_fmt_regions(self->meta, &self->rp, self->out,
					self->scratch));
}

TEST_HARNESS_MAIN
