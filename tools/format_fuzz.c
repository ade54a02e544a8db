// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * libFuzzer target for the on-pool format reader (format/vmkeep_format.c).
 *
 * The input becomes the metadata a previous kernel left behind; the reader
 * must accept any of it without reading outside the 2 MiB buffer, and what
 * it hands back must hold the invariants the module relies on: every
 * region it does not quarantine has valid, in-bounds extents that no
 * other region's kept extents touch, and every name is a clean string.
 * The decoded regions, written again with the writer, must read back the
 * same.
 *
 * Input: one control byte, then either raw metadata bytes or a compact
 * "template" description that reaches deep checks with a few dozen bytes.
 *
 *   ctl bit 0	fix the header checksums
 *   ctl bit 1	fix the entry checksums
 *   ctl bit 2	template mode (else raw)
 *   ctl bit 3	raw: pool base and size from copy A's header;
 *		template: copy B holds the same entries (generation t[3])
 *   ctl bit 4-5	raw: pool size 64 MiB, 4 MiB, 1 TiB or 2^63;
 *		template: bit 4, pool size 2^63
 *   ctl bit 6	raw: the rest split in halves, copy A and copy B
 *   ctl bit 7	raw, with bit 0: keep nr_entries even when it counts
 *		entries past the input (they are zero; checking up to
 *		4094 of them makes a run 100 times slower)
 *
 * Raw: the bytes are copied to copy A (and B) from offset 0.
 *
 * Template: t[0] pool units past the metadata - 1, t[1] header flags,
 * t[2] and t[3] generations of A and B, t[4] next_id (255: ~0), then
 * entries of %TENTRY bytes (a short last one is zero-padded):
 *   0 id, 1 flags, 2 quarantine, 3 nr_extents, 4-5 mode (le16),
 *   6 misc: 0 reserved0, 1 reserved[], 2 length += (s8)[7] units,
 *	     3 uid ~0, 4 byte after the name's NUL, 6 break the crc,
 *   8-15 name (NUL-terminated after them),
 *   16-39 8 extents of 3 bytes: offset units, length units, perturb:
 *	     bits 0-3 add 4 KiB steps to the offset, bits 4-6 to the
 *	     length, bit 7 makes the offset -(units + 1) * 2 MiB.
 *
 * Every input also feeds the reader of live update set tables
 * (format/vmkeep_luo_format.c), whose checks are in check_luo(): its own
 * view of the same bytes, with the same control byte.
 *
 *   ctl bit 0	raw: fix the header checksums (raw counts are always cut
 *		to the records the input reaches)
 *   ctl bit 1	raw: fix the records' checksums
 *   ctl bit 2	with bit 5, template mode (else raw)
 *   ctl bit 3	raw: the set's number from copy A's header (else 7)
 *   ctl bit 4	raw: fix @tables_crc
 *   ctl bit 6	raw: the rest split in halves, copy A and copy B
 *
 * Raw: the bytes are copied to copy A (and B) from offset 0.
 *
 * Template: t[0], t[1] the generations of copies A and B, then items of
 * %TLUO bytes, x[0] & 3 saying what:
 *   0 session "n" x[1] x[2]: flags x[4] & 3, stored reason x[5], its
 *     first file x[6] back (sharing files)
 *   1 memfd: token x[1] & 7, x[2] pages less (x[3] & 15) * 256 bytes, runs
 *     of (x[3] >> 4) + 1 pages; x[4]: bit 0 first run x[5] pages back
 *     (overlap), 1 misaligned, 2 in the second data span, 3 one page too
 *     many, 4 first run x[6] back (shared runs), 5 position 2^63, 6 gone
 *   2 region: token x[1] & 7, id x[2]; x[4]: bit 0 position, 1 a run,
 *     6 gone
 *   3 tweak: byte x[1] | x[2] << 8 of copy (x[3] & 1)'s records ^= x[4],
 *     with every checksum made right again when x[3] & 2
 * written by the writer into both copies.
 *
 * Built with -DFORMAT_FUZZ_MAIN (no libFuzzer; "make corpus") it is a tool:
 * "format_fuzz_gen -o DIR" writes the seed corpus, "format_fuzz_gen
 * FILE..." runs the target on each file.
 */

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkeep/format.h>
#include <linux/vmkeep.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define UNIT		VMKEEP_FMT_UNIT
#define META		VMKEEP_FMT_META_SIZE
#define COPY		VMKEEP_FMT_COPY_SIZE
#define MAX_ENTRIES	((u32)VMKEEP_FMT_MAX_ENTRIES)
#define MAX_EXTENTS	VMKEEP_FMT_MAX_EXTENTS
#define TENTRY		40
#define TPARAMS		5
#define RAW_BASE	0x100000000ULL

enum {
	CTL_FIX_HDR = 1 << 0,
	CTL_FIX_ENT = 1 << 1,
	CTL_TEMPLATE = 1 << 2,
	CTL_GEOMETRY = 1 << 3,	/* raw; template: copy B */
	CTL_SIZE = 3 << 4,
	CTL_SPLIT = 1 << 6,
	CTL_ALL = 1 << 7,
	CTL_LUO_TEMPLATE = 1 << 5,	/* with CTL_TEMPLATE */
};

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "format_fuzz: %s:%d: %s\n",		\
			__FILE__, __LINE__, #x);			\
		__builtin_trap();					\
	}								\
} while (0)

static u8 *meta, *meta2;
static size_t dirty[2];		/* bytes of each copy the last input wrote */
static struct vmkeep_fmt_region *r1, *r2;
static struct vmkeep_fmt_span *spans;
static u32 *order;

/* Live update set tables: as many records as a copy holds of each kind */
#define LUO_COPY	VMKEEP_LUO_COPY_SIZE
#define LUO_MAX_S	((LUO_COPY - VMKEEP_LUO_HEADER_SIZE) / VMKEEP_LUO_SESSION_SIZE)
#define LUO_MAX_F	((LUO_COPY - VMKEEP_LUO_HEADER_SIZE) / VMKEEP_LUO_FILE_SIZE)
#define LUO_MAX_R	((LUO_COPY - VMKEEP_LUO_HEADER_SIZE) / VMKEEP_LUO_RUN_SIZE)
#define LUO_SET		7
#define TLUO		8
/* a template's tables: a few KiB, as raw inputs' */
#define TLUO_S		32
#define TLUO_F		64
#define TLUO_R		128
#define PG		VMKEEP_LUO_PAGE
#define DATA0		(1ULL << 30)
#define DATA1		(2ULL << 30)
#define DATA_LEN	(64ULL << 20)

/* The set's data; the last one wraps and must never hold a run. */
static const struct vmkeep_luo_span luo_data[] = {
	{ DATA0, DATA_LEN }, { DATA1, DATA_LEN }, { -PG, 2 * PG },
};
#define LUO_NR_DATA	ARRAY_SIZE(luo_data)

static u8 *luo, *luo2;
static size_t luo_dirty[2];
static struct vmkeep_luo_sess *lss, *lss2;
static struct vmkeep_luo_fil *lfs, *lfs2;
static struct vmkeep_luo_span *lrs, *lrs2, *lsp;

static void setup(void)
{
	if (meta)
		return;
	/* exactly the metadata size, so that ASan sees any overrun */
	meta = calloc(1, META);
	meta2 = calloc(1, META);
	r1 = calloc(MAX_ENTRIES, sizeof(*r1));
	r2 = calloc(MAX_ENTRIES, sizeof(*r2));
	spans = calloc((size_t)MAX_ENTRIES * MAX_EXTENTS, sizeof(*spans));
	order = calloc((size_t)MAX_ENTRIES * MAX_EXTENTS, sizeof(*order));
	luo = calloc(1, UNIT);
	luo2 = calloc(1, UNIT);
	lss = calloc(LUO_MAX_S, sizeof(*lss));
	lss2 = calloc(LUO_MAX_S, sizeof(*lss2));
	lfs = calloc(LUO_MAX_F, sizeof(*lfs));
	lfs2 = calloc(LUO_MAX_F, sizeof(*lfs2));
	lrs = calloc(LUO_MAX_R, sizeof(*lrs));
	lrs2 = calloc(LUO_MAX_R, sizeof(*lrs2));
	lsp = calloc(LUO_MAX_R, sizeof(*lsp));
	if (!meta || !meta2 || !r1 || !r2 || !spans || !order || !luo ||
	    !luo2 || !lss || !lss2 || !lfs || !lfs2 || !lrs || !lrs2 || !lsp)
		abort();
}

static u8 *copy_at(u32 copy)
{
	return meta + copy * COPY;
}

static struct vmkeep_fmt_header *hdr(u32 copy)
{
	return (struct vmkeep_fmt_header *)copy_at(copy);
}

static struct vmkeep_fmt_entry *ent(u32 copy, u32 idx)
{
	return (struct vmkeep_fmt_entry *)(copy_at(copy) +
					   VMKEEP_FMT_HEADER_SIZE) + idx;
}

static void touch(u32 copy, size_t end)
{
	if (end > dirty[copy])
		dirty[copy] = end;
}

static void fix_hdr(u32 copy)
{
	struct vmkeep_fmt_header *h = hdr(copy);

	h->crc = 0;
	h->crc = htole32(vmkeep_crc32c(0, h, sizeof(*h)));
	touch(copy, sizeof(*h));
}

static void fix_ent(u32 copy, u32 idx)
{
	struct vmkeep_fmt_entry *e = ent(copy, idx);

	e->crc = 0;
	e->crc = htole32(vmkeep_crc32c(0, e, sizeof(*e)));
	touch(copy, VMKEEP_FMT_HEADER_SIZE + (idx + 1) * sizeof(*e));
}

static void raw(u8 ctl, const u8 *in, size_t len, struct vmkeep_fmt_pool *p)
{
	static const u64 sizes[] = { 64ULL << 20, META + UNIT, 1ULL << 40,
				     1ULL << 63 };
	size_t part[2] = { len, 0 };
	u32 c, i, n, reach;

	if (ctl & CTL_SPLIT) {
		part[0] = len / 2;
		part[1] = len - part[0];
	}
	for (c = 0; c < 2; c++) {
		if (part[c] > COPY)
			part[c] = COPY;
		memcpy(copy_at(c), in, part[c]);
		touch(c, part[c]);
		in += part[c];
	}

	p->base = RAW_BASE;
	p->size = sizes[(ctl & CTL_SIZE) >> 4];
	if (ctl & CTL_GEOMETRY) {
		p->base = le64toh(hdr(0)->pool_base);
		p->size = le64toh(hdr(0)->pool_size);
	}

	for (c = 0; c < 2; c++) {
		/* entries the input reaches, and one more */
		reach = part[c] > VMKEEP_FMT_HEADER_SIZE ?
			(part[c] - VMKEEP_FMT_HEADER_SIZE) /
			VMKEEP_FMT_ENTRY_SIZE + 1 : 1;
		n = le32toh(hdr(c)->nr_entries);
		if (n > MAX_ENTRIES)
			n = MAX_ENTRIES;
		if (n > reach)
			n = reach;
		if (ctl & CTL_FIX_ENT)
			for (i = 0; i < n; i++)
				fix_ent(c, i);
		if (ctl & CTL_FIX_HDR) {
			if (!(ctl & CTL_ALL) &&
			    le32toh(hdr(c)->nr_entries) <= MAX_ENTRIES)
				hdr(c)->nr_entries = htole32(n);
			fix_hdr(c);
		}
	}
}

static void template_entry(const u8 *t, u32 idx, u64 *sum)
{
	struct vmkeep_fmt_entry *e = ent(0, idx);
	u64 off, len;
	u32 j, nr = t[3];
	const u8 *x;

	e->id = htole64(t[0]);
	e->flags = htole32(t[1]);
	e->quarantine = htole32(t[2]);
	e->nr_extents = htole32(nr);
	e->mode = htole32(t[4] | t[5] << 8);
	e->reserved0 = htole32(t[6] & 1);
	e->reserved[5] = t[6] & 2;
	e->uid = htole32(t[6] & 8 ? ~0U : 1000);
	memcpy(e->name, t + 8, 8);
	e->name[9] = t[6] & 16;
	*sum = 0;
	for (j = 0; j < MAX_EXTENTS; j++) {
		x = t + 16 + 3 * j;
		off = x[0] * UNIT + (x[2] & 0x0f) * 4096ULL;
		len = x[1] * UNIT + ((x[2] >> 4) & 7) * 4096ULL;
		if (x[2] & 0x80)
			off = -(x[0] + 1) * UNIT;
		e->extents[j].offset = htole64(off);
		e->extents[j].length = htole64(len);
		if (j < nr)
			*sum += len;
	}
	if (t[6] & 4)
		*sum += (int8_t)t[7] * UNIT;
	e->length = htole64(*sum);
}

static void template(u8 ctl, const u8 *in, size_t len,
		     struct vmkeep_fmt_pool *p)
{
	u8 t[TPARAMS] = { 0 }, te[TENTRY];
	struct vmkeep_fmt_header *h = hdr(0);
	u32 i, n;
	u64 sum;

	memcpy(t, in, len < TPARAMS ? len : TPARAMS);
	in += len < TPARAMS ? len : TPARAMS;
	len -= len < TPARAMS ? len : TPARAMS;
	n = (len + TENTRY - 1) / TENTRY;
	if (n > MAX_ENTRIES)
		n = MAX_ENTRIES;

	p->base = RAW_BASE;
	p->size = ctl & 0x10 ? 1ULL << 63 : META + (t[0] + 1ULL) * UNIT;

	for (i = 0; i < n; i++) {
		memset(te, 0, sizeof(te));
		memcpy(te, in + i * TENTRY,
		       len - i * TENTRY < TENTRY ? len - i * TENTRY : TENTRY);
		template_entry(te, i, &sum);
		if (ctl & CTL_FIX_ENT) {
			fix_ent(0, i);
			if (te[6] & 64)
				ent(0, i)->crc ^= htole32(1);
		}
	}
	touch(0, VMKEEP_FMT_HEADER_SIZE + n * VMKEEP_FMT_ENTRY_SIZE);

	h->magic = htole64(VMKEEP_FMT_MAGIC);
	memcpy(h->compatible, VMKEEP_FMT_COMPATIBLE,
	       sizeof(VMKEEP_FMT_COMPATIBLE));
	h->version = htole32(VMKEEP_FMT_VERSION);
	h->header_size = htole32(VMKEEP_FMT_HEADER_SIZE);
	h->entry_size = htole32(VMKEEP_FMT_ENTRY_SIZE);
	h->nr_entries = htole32(n);
	h->pool_base = htole64(p->base);
	h->pool_size = htole64(p->size);
	h->generation = htole64(t[2]);
	h->next_id = htole64(t[4] == 255 ? ~0ULL : t[4]);
	h->flags = htole32(t[1]);
	if (ctl & CTL_FIX_HDR)
		fix_hdr(0);

	if (ctl & CTL_GEOMETRY) {
		memcpy(copy_at(1), copy_at(0), dirty[0]);
		touch(1, dirty[0]);
		hdr(1)->generation = htole64(t[3]);
		if (ctl & CTL_FIX_HDR)
			fix_hdr(1);
	}
}

static bool printable(const char *name)
{
	size_t i, n = strnlen(name, VMKEEP_FMT_NAME_LEN);

	if (!n || n == VMKEEP_FMT_NAME_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] > '~')
			return false;
	return true;
}

static const struct vmkeep_fmt_region *cmp_regions;

static int cmp_name(const void *a, const void *b)
{
	return strcmp(cmp_regions[*(const u32 *)a].name,
		      cmp_regions[*(const u32 *)b].name);
}

static int cmp_start(const void *a, const void *b)
{
	const struct vmkeep_fmt_span *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* One decoded region; its extents are added to spans[] from @ns on. */
static u32 check_region(const struct vmkeep_fmt_pool *p,
			const struct vmkeep_fmt_region *x, u32 i, u32 ns)
{
	u64 off, len, end, sum;
	u32 j;

	CHECK(!!x->quarantine == !!(x->flags & VMKEEP_FMT_QUARANTINED));
	CHECK(!(x->flags & ~(VMKEEP_FMT_ENTRY_FLAGS | VMKEEP_FMT_REPAIRED |
			     VMKEEP_FMT_UNTRUSTED)));
	/* Untrusted extents belong to quarantined regions only. */
	CHECK(x->quarantine || !(x->flags & VMKEEP_FMT_UNTRUSTED));
	CHECK(!x->quarantine || !(x->flags & VMKEEP_FMT_REPAIRED));
	CHECK(x->quarantine <= VMKEEP_Q_UNCLEARED);
	CHECK(printable(x->name));
	CHECK(x->nr_extents <= MAX_EXTENTS);
	if (!x->quarantine) {
		CHECK(!vmkeep_fmt_check_name(x->name, sizeof(x->name)));
		CHECK(x->nr_extents >= 1);
		CHECK(x->mode <= 0777);
		CHECK(x->id && x->id < p->next_id);
	}
	sum = 0;
	for (j = 0; j < MAX_EXTENTS; j++) {
		off = x->extents[j].offset;
		len = x->extents[j].length;
		if (j >= x->nr_extents) {
			CHECK(!off && !len);
			continue;
		}
		CHECK(len && !(off % UNIT) && !(len % UNIT));
		CHECK(off >= META);
		CHECK(!__builtin_add_overflow(off, len, &end));
		CHECK(end <= p->size);
		sum += len;
		spans[ns].start = off;
		spans[ns].end = end;
		spans[ns].idx = i;
		ns++;
	}
	CHECK(!x->nr_extents || (x->flags & VMKEEP_FMT_UNTRUSTED) ||
	      sum == x->length);
	return ns;
}

static void check_regions(const struct vmkeep_fmt_pool *p,
			  const struct vmkeep_fmt_region *r, u32 nq)
{
	u32 i, j, n = p->nr_entries, bad = 0, ns = 0;

	for (i = 0; i < n; i++) {
		bad += !!r[i].quarantine;
		ns = check_region(p, &r[i], i, ns);
	}
	CHECK(bad == nq);

	/*
	 * Any two kept extents that intersect belong to quarantined regions,
	 * unless one is untrusted (kept only to stay reserved).
	 */
	qsort(spans, ns, sizeof(*spans), cmp_start);
	for (i = 0; i < ns; i++) {
		for (j = i + 1; j < ns && spans[j].start < spans[i].end; j++) {
			if ((r[spans[i].idx].flags | r[spans[j].idx].flags) &
			    VMKEEP_FMT_UNTRUSTED)
				continue;
			CHECK(r[spans[i].idx].quarantine);
			CHECK(r[spans[j].idx].quarantine);
		}
	}

	/* Names are unique, quarantined or not. */
	for (i = 0; i < n; i++)
		order[i] = i;
	cmp_regions = r;
	qsort(order, n, sizeof(*order), cmp_name);
	for (i = 1; i < n; i++)
		CHECK(strcmp(r[order[i]].name, r[order[i - 1]].name));

	/* Ids of the regions in use are unique. */
	for (i = 0, ns = 0; i < n; i++) {
		if (r[i].quarantine)
			continue;
		spans[ns].start = r[i].id;
		spans[ns].idx = i;
		ns++;
	}
	qsort(spans, ns, sizeof(*spans), cmp_start);
	for (i = 1; i < ns; i++)
		CHECK(spans[i].start != spans[i - 1].start);
}

/* The decoded regions, written again, read back the same. */
static void roundtrip(const struct vmkeep_fmt_pool *p, u32 nq)
{
	struct vmkeep_fmt_pool w = { .base = p->base, .size = p->size };
	struct vmkeep_fmt_pool q = { .base = p->base, .size = p->size };
	u32 i, n = p->nr_entries;

	vmkeep_fmt_format(meta2, &w);
	w.next_id = p->next_id;
	w.handoffs = p->handoffs;
	vmkeep_fmt_begin(meta2, &w);
	for (i = 0; i < n; i++)
		vmkeep_fmt_put(meta2, &w, i, &r1[i]);
	vmkeep_fmt_commit(meta2, &w, n, p->flags);

	vmkeep_fmt_read(meta2, &q);
	CHECK(q.state == VMKEEP_POOL_READY);
	CHECK(q.copy == 1 && q.generation == 2);
	CHECK(q.nr_entries == n && q.flags == p->flags);
	CHECK(q.next_id == p->next_id && q.handoffs == p->handoffs);
	CHECK(vmkeep_fmt_regions(meta2, &q, r2, spans) == nq);
	for (i = 0; i < n; i++) {
		CHECK(r2[i].quarantine == r1[i].quarantine);
		if (!r1[i].quarantine) {
			struct vmkeep_fmt_region a = r1[i];

			/* a repaired region is written as it was */
			a.flags &= ~VMKEEP_FMT_REPAIRED;
			CHECK(!memcmp(&a, &r2[i], sizeof(a)));
			continue;
		}
		CHECK(r2[i].nr_extents == r1[i].nr_extents);
		CHECK(!memcmp(r2[i].extents, r1[i].extents,
			      sizeof(r1[i].extents)));
	}
}

/* ---- live update set tables ---- */

static u8 *luo_at(u8 *area, u32 copy, const struct vmkeep_luo_set *c, u32 t,
		  u32 idx)
{
	size_t off = copy * LUO_COPY + VMKEEP_LUO_HEADER_SIZE;

	if (t > 0)
		off += (size_t)c->nr_sessions * VMKEEP_LUO_SESSION_SIZE;
	if (t > 1)
		off += (size_t)c->nr_files * VMKEEP_LUO_FILE_SIZE;
	return area + off + (size_t)idx * (t == 0 ? VMKEEP_LUO_SESSION_SIZE :
					   t == 1 ? VMKEEP_LUO_FILE_SIZE :
						    VMKEEP_LUO_RUN_SIZE);
}

static struct vmkeep_luo_header *luo_hdr(u32 copy)
{
	return (struct vmkeep_luo_header *)(luo + copy * LUO_COPY);
}

static void luo_counts(u32 copy, struct vmkeep_luo_set *c)
{
	memset(c, 0, sizeof(*c));
	c->nr_sessions = le32toh(luo_hdr(copy)->nr_sessions);
	c->nr_files = le32toh(luo_hdr(copy)->nr_files);
	c->nr_runs = le32toh(luo_hdr(copy)->nr_runs);
}

/*
 * The checksums of copy @copy made right: records (@ctl bit 1), tables
 * (bit 4), header (bit 0).
 */
static void luo_fix(u32 copy, u8 ctl)
{
	struct vmkeep_luo_header *h = luo_hdr(copy);
	struct vmkeep_luo_session *se;
	struct vmkeep_luo_file *fe;
	struct vmkeep_luo_set c;
	u32 i, first, nr;
	u64 bytes, budget;
	const u8 *runs;

	luo_counts(copy, &c);
	bytes = vmkeep_luo_copy_bytes(c.nr_sessions, c.nr_files, c.nr_runs);
	if (bytes <= LUO_COPY && (ctl & CTL_FIX_ENT)) {
		for (i = 0; i < c.nr_sessions; i++) {
			se = (void *)luo_at(luo, copy, &c, 0, i);
			se->crc = 0;
			se->crc = htole32(vmkeep_crc32c(0, se, sizeof(*se)));
		}
		/* runs sealed twice over at most: slices may all overlap */
		budget = 2 * (u64)c.nr_runs;
		for (i = 0; i < c.nr_files; i++) {
			fe = (void *)luo_at(luo, copy, &c, 1, i);
			first = le32toh(fe->first_run);
			nr = le32toh(fe->nr_runs);
			if ((u64)first + nr <= c.nr_runs && nr <= budget) {
				budget -= nr;
				runs = luo_at(luo, copy, &c, 2, first);
				nr *= VMKEEP_LUO_RUN_SIZE;
				fe->runs_crc = htole32(vmkeep_crc32c(0, runs, nr));
			}
			fe->crc = 0;
			fe->crc = htole32(vmkeep_crc32c(0, fe, sizeof(*fe)));
		}
	}
	if (bytes <= LUO_COPY && (ctl & 0x10))
		h->tables_crc = htole32(vmkeep_crc32c(0, h + 1, bytes - sizeof(*h)));
	if (ctl & CTL_FIX_HDR) {
		h->crc = 0;
		h->crc = htole32(vmkeep_crc32c(0, h, sizeof(*h)));
	}
	if (bytes > luo_dirty[copy] && bytes <= LUO_COPY)
		luo_dirty[copy] = bytes;
}

static u64 luo_raw(u8 ctl, const u8 *in, size_t len)
{
	size_t part[2] = { len, 0 };
	struct vmkeep_luo_header *h;
	struct vmkeep_luo_set w;
	u32 c;

	if (ctl & CTL_SPLIT) {
		part[0] = len / 2;
		part[1] = len - part[0];
	}
	for (c = 0; c < 2; c++) {
		if (part[c] > LUO_COPY)
			part[c] = LUO_COPY;
		memcpy(luo + c * LUO_COPY, in, part[c]);
		if (part[c] > luo_dirty[c])
			luo_dirty[c] = part[c];
		in += part[c];
		h = luo_hdr(c);
		/*
		 * Counts cut to the records the input reaches: tables of a
		 * whole copy are luo_unit_test's (garbage_records).
		 */
		luo_counts(c, &w);
		while (vmkeep_luo_copy_bytes(w.nr_sessions, w.nr_files,
					     w.nr_runs) > part[c] + 256) {
			if (w.nr_runs)
				w.nr_runs /= 2;
			else if (w.nr_files)
				w.nr_files /= 2;
			else
				w.nr_sessions /= 2;
		}
		h->nr_sessions = htole32(w.nr_sessions);
		h->nr_files = htole32(w.nr_files);
		h->nr_runs = htole32(w.nr_runs);
		luo_fix(c, ctl);
	}
	return ctl & CTL_GEOMETRY ? le64toh(luo_hdr(0)->set) : LUO_SET;
}

static void luo_write(u8 *area, const struct vmkeep_luo_set *w, u32 copy,
		      const struct vmkeep_luo_sess *ss,
		      const struct vmkeep_luo_fil *fs,
		      const struct vmkeep_luo_span *rs)
{
	u32 i;

	vmkeep_luo_begin(area, copy);
	for (i = 0; i < w->nr_sessions; i++)
		vmkeep_luo_put_session(area, copy, w, i, &ss[i]);
	for (i = 0; i < w->nr_files; i++)
		vmkeep_luo_put_file(area, copy, w, i, &fs[i]);
	for (i = 0; i < w->nr_runs; i++)
		vmkeep_luo_put_run(area, copy, w, i, &rs[i]);
	vmkeep_luo_end(area, copy, w);
}

static void luo_memfd(struct vmkeep_luo_set *w, const u8 *x, u64 *next)
{
	struct vmkeep_luo_fil *f = &lfs[w->nr_files++];
	u64 pages, n, span = !!(x[4] & 4);

	lss[w->nr_sessions - 1].nr_files++;
	memset(f, 0, sizeof(*f));
	f->token = x[1] & 7;
	f->kind = VMKEEP_LUO_FMT_MEMFD;
	f->size = x[2] ? x[2] * PG - (x[3] & 15) * 256 : 0;
	f->pos = x[4] & 32 ? 1ULL << 63 : x[5];
	f->flags = x[4] & 64 ? VMKEEP_LUO_F_GONE : 0;
	f->seals = x[7];
	f->data_crc = x[7] * 0x01010101U;
	f->first_run = w->nr_runs;
	pages = (f->size + PG - 1) / PG + !!(x[4] & 8);
	for (; pages && w->nr_runs < TLUO_R; pages -= n) {
		n = pages < (x[3] >> 4) + 1U ? pages : (x[3] >> 4) + 1U;
		lrs[w->nr_runs].offset = next[span];
		lrs[w->nr_runs].length = n * PG;
		next[span] += (n + 1) * PG;
		w->nr_runs++;
		f->nr_runs++;
	}
	if (f->nr_runs && (x[4] & 1))
		lrs[f->first_run].offset -= x[5] * PG;
	if (f->nr_runs && (x[4] & 2))
		lrs[f->first_run].offset += 512;
	if (x[4] & 16)
		f->first_run -= x[6] % 4 < f->first_run ? x[6] % 4 : f->first_run;
}

/* Template tweak @x on tables of @bytes per copy; false when none. */
static bool luo_tweak(const u8 *x, u64 bytes)
{
	u64 off;

	if (bytes <= VMKEEP_LUO_HEADER_SIZE)
		return false;
	off = (x[1] | x[2] << 8) % (bytes - VMKEEP_LUO_HEADER_SIZE);
	luo[(x[3] & 1) * LUO_COPY + VMKEEP_LUO_HEADER_SIZE + off] ^= x[4];
	return true;
}

static u64 luo_template(const u8 *in, size_t len)
{
	struct vmkeep_luo_set w = { .set = LUO_SET };
	u64 next[2] = { DATA0, DATA1 }, bytes;
	const u8 *x, *tweak[16];
	u32 i, nt = 0, back;
	bool fixed[2] = { 0 };
	u8 g[2] = { 0 };

	memcpy(g, in, len < 2 ? len : 2);
	in += len < 2 ? len : 2;
	len -= len < 2 ? len : 2;
	for (; len >= TLUO; in += TLUO, len -= TLUO) {
		x = in;
		switch (x[0] & 3) {
		case 0:
			if (w.nr_sessions == TLUO_S)
				break;
			memset(&lss[w.nr_sessions], 0, sizeof(*lss));
			lss[w.nr_sessions].name[0] = 'n';
			lss[w.nr_sessions].name[1] = x[1];
			lss[w.nr_sessions].name[2] = x[1] ? x[2] : 0;
			lss[w.nr_sessions].flags = x[4] & VMKEEP_LUO_F_CONSUMED;
			lss[w.nr_sessions].quarantine = x[4] & 2 ? x[5] : 0;
			back = x[6] % 4 < w.nr_files ? x[6] % 4 : w.nr_files;
			lss[w.nr_sessions].first_file = w.nr_files - back;
			lss[w.nr_sessions++].nr_files = back;
			break;
		case 1:
			if (w.nr_sessions && w.nr_files < TLUO_F)
				luo_memfd(&w, x, next);
			break;
		case 2:
			if (!w.nr_sessions || w.nr_files == TLUO_F)
				break;
			memset(&lfs[w.nr_files], 0, sizeof(*lfs));
			lfs[w.nr_files].token = x[1] & 7;
			lfs[w.nr_files].kind = VMKEEP_LUO_FMT_REGION;
			lfs[w.nr_files].region_id = x[2];
			lfs[w.nr_files].size = 2ULL << 20;
			lfs[w.nr_files].pos = x[4] & 1;
			lfs[w.nr_files].nr_runs = !!(x[4] & 2);
			lfs[w.nr_files].flags = x[4] & 64 ? VMKEEP_LUO_F_GONE : 0;
			w.nr_files++;
			lss[w.nr_sessions - 1].nr_files++;
			break;
		default:
			if (nt < ARRAY_SIZE(tweak))
				tweak[nt++] = x;
		}
	}
	w.generation = g[0];
	luo_write(luo, &w, 0, lss, lfs, lrs);
	w.generation = g[1];
	luo_write(luo, &w, 1, lss, lfs, lrs);
	bytes = vmkeep_luo_copy_bytes(w.nr_sessions, w.nr_files, w.nr_runs);
	luo_dirty[0] = luo_dirty[0] > bytes ? luo_dirty[0] : bytes;
	luo_dirty[1] = luo_dirty[1] > bytes ? luo_dirty[1] : bytes;
	/* tweaks written so, checksums made right once; then the others */
	for (i = 0; i < nt; i++)
		if (tweak[i][3] & 2)
			fixed[tweak[i][3] & 1] |= luo_tweak(tweak[i], bytes);
	for (i = 0; i < 2; i++)
		if (fixed[i])
			luo_fix(i, CTL_FIX_HDR | CTL_FIX_ENT | 0x10);
	for (i = 0; i < nt; i++)
		if (!(tweak[i][3] & 2))
			luo_tweak(tweak[i], bytes);
	return LUO_SET;
}

static bool luo_name_ok(const char *name)
{
	size_t i, n = strnlen(name, VMKEEP_LUO_NAME_LEN);

	if (!n || n == VMKEEP_LUO_NAME_LEN)
		return false;
	for (i = n; i < VMKEEP_LUO_NAME_LEN; i++)
		if (name[i])
			return false;
	return true;
}

static bool luo_live(const struct vmkeep_luo_sess *x)
{
	return !(x->flags & (VMKEEP_LUO_F_CONSUMED | VMKEEP_LUO_F_QUARANTINED));
}

static int cmp_lspan(const void *a, const void *b)
{
	const struct vmkeep_luo_span *x = a, *y = b;

	return (x->offset > y->offset) - (x->offset < y->offset);
}

/* @n spans of lsp, as (start, end): no two intersect. */
static void luo_disjoint(u32 n)
{
	u32 i;

	qsort(lsp, n, sizeof(*lsp), cmp_lspan);
	for (i = 1; i < n; i++)
		CHECK(lsp[i].offset >= lsp[i - 1].length);
}

static int cmp_sname(const void *a, const void *b)
{
	return memcmp(lss[*(const u32 *)a].name, lss[*(const u32 *)b].name,
		      VMKEEP_LUO_NAME_LEN);
}

/* A live session's memfd: fields, runs inside one data span, their sum. */
static void luo_check_memfd(const struct vmkeep_luo_fil *y)
{
	u64 sum = 0, end, off, len;
	u32 r, k;
	bool in;

	CHECK(!y->region_id && !(y->flags & VMKEEP_LUO_F_GONE));
	CHECK(!(y->pos >> 63));
	for (r = y->first_run; r < y->first_run + y->nr_runs; r++) {
		off = lrs[r].offset;
		len = lrs[r].length;
		CHECK(len && !(off % PG) && !(len % PG));
		CHECK(!__builtin_add_overflow(off, len, &end));
		for (k = 0, in = false; k < 2; k++)
			in |= off >= luo_data[k].offset &&
			      end <= luo_data[k].offset + luo_data[k].length;
		CHECK(in);
		sum += len;
	}
	CHECK(sum == (y->size + PG - 1) / PG * PG);
}

static void luo_invariants(const struct vmkeep_luo_set *s, u32 nq)
{
	const struct vmkeep_luo_sess *x;
	const struct vmkeep_luo_fil *y;
	u32 i, f, r, n, bad = 0;

	for (f = 0; f < s->nr_files; f++) {
		CHECK((u64)lfs[f].first_run + lfs[f].nr_runs <= s->nr_runs);
		CHECK(!(lfs[f].flags & ~(VMKEEP_LUO_F_GONE | VMKEEP_FMT_REPAIRED |
					 VMKEEP_FMT_UNTRUSTED)));
	}
	for (i = 0, n = 0; i < s->nr_sessions; i++) {
		x = &lss[i];
		CHECK(strnlen(x->name, VMKEEP_LUO_NAME_LEN) < VMKEEP_LUO_NAME_LEN);
		CHECK(!(x->flags & ~(VMKEEP_LUO_SESSION_FLAGS |
				     VMKEEP_FMT_REPAIRED | VMKEEP_FMT_UNTRUSTED)));
		CHECK(!!x->quarantine == !!(x->flags & VMKEEP_LUO_F_QUARANTINED));
		CHECK(!(x->flags & VMKEEP_LUO_F_CONSUMED) || !x->quarantine);
		CHECK(!x->quarantine || !(x->flags & VMKEEP_FMT_REPAIRED));
		CHECK(x->quarantine <= VMKEEP_Q_UNCLEARED ||
		      x->quarantine == VMKEEP_Q_LUO_DATA ||
		      x->quarantine == VMKEEP_Q_LUO_REGION);
		CHECK((u64)x->first_file + x->nr_files <= s->nr_files);
		CHECK(!(x->flags & VMKEEP_FMT_UNTRUSTED) || !x->nr_files);
		bad += !!x->quarantine;
		/* No two sessions' slices share a file. */
		if (x->nr_files) {
			lsp[n].offset = x->first_file;
			lsp[n++].length = x->first_file + x->nr_files;
		}
		if (!luo_live(x))
			continue;
		CHECK(!(x->flags & VMKEEP_FMT_UNTRUSTED));
		CHECK(luo_name_ok(x->name));
		for (f = x->first_file; f < x->first_file + x->nr_files; f++) {
			y = &lfs[f];
			CHECK(!(y->flags & VMKEEP_FMT_UNTRUSTED));
			if (y->kind == VMKEEP_LUO_FMT_MEMFD)
				luo_check_memfd(y);
			else
				CHECK(y->kind == VMKEEP_LUO_FMT_REGION &&
				      y->region_id && !y->seals &&
				      !(y->pos & (VMKEEP_FMT_UNIT - 1)) &&
				      !y->first_run && !y->nr_runs &&
				      !y->data_crc);
		}
	}
	CHECK(bad == nq);
	luo_disjoint(n);

	/* live sessions: names, tokens, run slices, memory, each once */
	for (i = 0, n = 0; i < s->nr_sessions; i++)
		if (luo_live(&lss[i]))
			order[n++] = i;
	qsort(order, n, sizeof(*order), cmp_sname);
	for (i = 1; i < n; i++)
		CHECK(cmp_sname(&order[i - 1], &order[i]));
	for (i = 0; i < s->nr_sessions; i++) {
		x = &lss[i];
		if (!luo_live(x))
			continue;
		for (f = x->first_file, n = 0; f < x->first_file + x->nr_files; f++) {
			lsp[n].offset = lfs[f].token;
			lsp[n++].length = lfs[f].token;
		}
		qsort(lsp, n, sizeof(*lsp), cmp_lspan);
		for (f = 1; f < n; f++)
			CHECK(lsp[f].offset != lsp[f - 1].offset);
	}
	/* no two files' slices share a run: writing back is O(runs) */
	for (f = 0, n = 0; f < s->nr_files; f++) {
		if (!lfs[f].nr_runs)
			continue;
		lsp[n].offset = lfs[f].first_run;
		lsp[n++].length = lfs[f].first_run + lfs[f].nr_runs;
	}
	luo_disjoint(n);
	for (i = 0, n = 0; i < s->nr_sessions; i++) {
		x = &lss[i];
		for (f = x->first_file; luo_live(x) &&
		     f < x->first_file + x->nr_files; f++) {
			for (r = lfs[f].first_run;
			     r < lfs[f].first_run + lfs[f].nr_runs; r++) {
				lsp[n].offset = lrs[r].offset;
				lsp[n++].length = lrs[r].offset + lrs[r].length;
			}
		}
	}
	luo_disjoint(n);
}

static u32 luo_decode(u8 *area, const struct vmkeep_luo_set *s,
		      struct vmkeep_luo_sess *ss, struct vmkeep_luo_fil *fs,
		      struct vmkeep_luo_span *rs)
{
	/* exactly what the header asks for, so that ASan sees an overrun */
	struct vmkeep_luo_span *scratch = malloc(sizeof(*scratch) *
						 vmkeep_luo_scratch(s) + 1);
	u32 nq;

	if (!scratch)
		abort();
	nq = vmkeep_luo_decode(area, s, luo_data, LUO_NR_DATA, ss, fs, rs,
			       scratch);
	free(scratch);
	return nq;
}

/* The decoded set, written again, decodes the same. */
static void luo_roundtrip(const struct vmkeep_luo_set *s, u64 set, u32 nq)
{
	struct vmkeep_luo_set q, w = *s;
	struct vmkeep_luo_sess a;
	struct vmkeep_luo_fil b;
	u64 bytes;
	u32 i, f;

	/* copy 1 the same bytes: its writer is the template's to try */
	luo_write(luo2, &w, 0, lss, lfs, lrs);
	bytes = vmkeep_luo_copy_bytes(w.nr_sessions, w.nr_files, w.nr_runs);
	memcpy(luo2 + LUO_COPY, luo2, bytes);
	vmkeep_luo_read(luo2, set, &q);
	CHECK(!q.damage && q.copy == 0 && q.twin && !q.torn);
	CHECK(q.generation == s->generation);
	CHECK(q.nr_sessions == s->nr_sessions && q.nr_files == s->nr_files &&
	      q.nr_runs == s->nr_runs);
	CHECK(luo_decode(luo2, &q, lss2, lfs2, lrs2) == nq);
	for (i = 0; i < s->nr_sessions; i++) {
		CHECK(lss2[i].quarantine == lss[i].quarantine);
		if (!luo_live(&lss[i]))
			continue;
		a = lss[i];
		a.flags &= ~VMKEEP_FMT_REPAIRED;
		CHECK(!memcmp(&a, &lss2[i], sizeof(a)));
		for (f = a.first_file; f < a.first_file + a.nr_files; f++) {
			b = lfs[f];
			b.flags &= ~VMKEEP_FMT_REPAIRED;
			CHECK(!memcmp(&b, &lfs2[f], sizeof(b)));
			CHECK(!memcmp(&lrs[b.first_run], &lrs2[b.first_run],
				      sizeof(*lrs) * b.nr_runs));
		}
	}
}

static void luo_input(u8 ctl, const u8 *in, size_t len)
{
	struct vmkeep_luo_set s;
	u64 set;
	u32 nq;

	memset(luo, 0, luo_dirty[0]);
	memset(luo + LUO_COPY, 0, luo_dirty[1]);
	luo_dirty[0] = 0;
	luo_dirty[1] = 0;
	if ((ctl & CTL_TEMPLATE) && (ctl & CTL_LUO_TEMPLATE))
		set = luo_template(in, len);
	else
		set = luo_raw(ctl, in, len);

	vmkeep_luo_read(luo, set, &s);
	CHECK(s.set == set);
	if (s.damage) {
		CHECK(s.damage <= VMKEEP_D_FIELD);
		CHECK(!s.nr_sessions && !s.nr_files && !s.nr_runs);
		CHECK(!luo_decode(luo, &s, lss, lfs, lrs));
		return;
	}
	CHECK(s.copy <= 1);
	CHECK(vmkeep_luo_copy_bytes(s.nr_sessions, s.nr_files, s.nr_runs) <=
	      LUO_COPY);
	nq = luo_decode(luo, &s, lss, lfs, lrs);
	CHECK(nq <= s.nr_sessions);
	luo_invariants(&s, nq);
	luo_roundtrip(&s, set, nq);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct vmkeep_fmt_pool p;
	u32 nq;
	u8 ctl;

	setup();
	memset(copy_at(0), 0, dirty[0]);
	memset(copy_at(1), 0, dirty[1]);
	dirty[0] = 0;
	dirty[1] = 0;
	if (!size)
		return 0;
	ctl = data[0];
	luo_input(ctl, data + 1, size - 1);
	if (ctl & CTL_TEMPLATE)
		template(ctl, data + 1, size - 1, &p);
	else
		raw(ctl, data + 1, size - 1, &p);

	vmkeep_fmt_read(meta, &p);
	switch (p.state) {
	case VMKEEP_POOL_READY:
		CHECK(p.damage == VMKEEP_D_NONE);
		CHECK(p.copy <= 1 && p.generation);
		CHECK(p.nr_entries <= MAX_ENTRIES);
		CHECK(!(p.flags & ~VMKEEP_FMT_CLEAN));
		break;
	case VMKEEP_POOL_EMPTY:
		CHECK(p.damage == VMKEEP_D_NONE && !p.nr_entries);
		return 0;
	case VMKEEP_POOL_DAMAGED:
		CHECK(p.damage >= VMKEEP_D_CRC && p.damage <= VMKEEP_D_FIELD);
		CHECK(!p.nr_entries);
		return 0;
	default:
		CHECK(0);
	}

	nq = vmkeep_fmt_regions(meta, &p, r1, spans);
	CHECK(nq <= p.nr_entries);
	check_regions(&p, r1, nq);
	roundtrip(&p, nq);
	return 0;
}

#ifdef FORMAT_FUZZ_MAIN
/* Seed corpus, and running inputs without libFuzzer. */

static const char *outdir;
static u8 seed[16384];
static size_t seed_len;

static void put(const void *buf, size_t len)
{
	if (seed_len + len > sizeof(seed))
		abort();
	memcpy(seed + seed_len, buf, len);
	seed_len += len;
}

static void emit(const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(seed, 1, seed_len, f) != seed_len || fclose(f)) {
		perror(path);
		exit(1);
	}
	LLVMFuzzerTestOneInput(seed, seed_len);
	seed_len = 0;
}

static void region(struct vmkeep_fmt_region *r, u64 id, const char *name,
		   u32 first, u32 nr)
{
	u32 j;

	memset(r, 0, sizeof(*r));
	r->id = id;
	r->uid = 1000;
	r->gid = 1000;
	r->mode = 0600;
	r->flags = id & 1 ? VMKEEP_FMT_EXCLUSIVE : 0;
	r->nr_extents = nr;
	snprintf(r->name, sizeof(r->name), "%s", name);
	for (j = 0; j < nr; j++) {
		r->extents[j].offset = META + (first + 2ULL * j) * UNIT;
		r->extents[j].length = UNIT;
		r->length += UNIT;
	}
}

/* Raw seed from regions written by the real writer. */
static void raw_seed(const char *name, struct vmkeep_fmt_region *r, u32 n,
		     int both, void (*tweak)(u8 *m))
{
	struct vmkeep_fmt_pool w = { .base = RAW_BASE, .size = 64ULL << 20 };
	size_t bytes = VMKEEP_FMT_HEADER_SIZE + n * VMKEEP_FMT_ENTRY_SIZE;
	u8 ctl = CTL_GEOMETRY | (both ? CTL_SPLIT : 0);
	u32 i, round;

	memset(meta2, 0, META);
	vmkeep_fmt_format(meta2, &w);
	w.next_id = n + 1;
	for (round = 0; round < 2; round++) {
		vmkeep_fmt_begin(meta2, &w);
		for (i = 0; i < n; i++)
			vmkeep_fmt_put(meta2, &w, i, &r[i]);
		vmkeep_fmt_commit(meta2, &w, n, round ? VMKEEP_FMT_CLEAN : 0);
	}
	if (tweak) {
		tweak(meta2);
		ctl |= CTL_FIX_HDR | CTL_FIX_ENT;
	}
	put(&ctl, 1);
	put(meta2, bytes);
	if (both)
		put(meta2 + COPY, bytes);
	emit(name);
}

static void tweak_version(u8 *m)
{
	((struct vmkeep_fmt_header *)m)->version = htole32(2);
}

static void tweak_dup(u8 *m)
{
	struct vmkeep_fmt_entry *e = (void *)(m + VMKEEP_FMT_HEADER_SIZE);

	memcpy(e[1].name, e[0].name, sizeof(e[0].name));
}

/* Template entry (see the top of the file); no @ext: one unit of its own */
static void tentry(u8 id, u8 flags, u8 q, u8 nr, const char *name,
		   const u8 (*ext)[3], u8 misc)
{
	u8 t[TENTRY] = { id, flags, q, nr, 0x80, 0x01, misc, 1 };

	memcpy(t + 8, name, strnlen(name, 8));
	if (ext) {
		memcpy(t + 16, ext, 3 * (nr < MAX_EXTENTS ? nr : MAX_EXTENTS));
	} else {
		/* one unit of its own */
		t[16] = 64 + 2 * id;
		t[17] = 1;
	}
	put(t, sizeof(t));
}

static void template_seeds(void)
{
	static const u8 two[][3] = { { 2, 1, 0 }, { 4, 2, 0 } };
	static const u8 three[][3] = { { 8, 1, 0 }, { 10, 1, 0 },
				       { 12, 1, 0 } };
	static const u8 big[][3] = { { 60, 8, 0 } };
	static const u8 far[][3] = { { 120, 1, 0 } };
	static const u8 self[][3] = { { 20, 2, 0 }, { 21, 1, 0 } };
	static const u8 unal[][3] = { { 30, 1, 0x01 } };
	static const u8 eight[][3] = { { 40, 1, 0 }, { 42, 1, 0 },
				       { 44, 1, 0 }, { 46, 1, 0 },
				       { 48, 1, 0 }, { 50, 1, 0 },
				       { 52, 1, 0 }, { 54, 1, 0 } };
	static const u8 wrap[][3] = { { 0, 2, 0x80 } };
	u8 ctl = CTL_TEMPLATE | CTL_FIX_HDR | CTL_FIX_ENT;
	u8 t[TPARAMS] = { 127, 0, 2, 0, 20 };

	put(&ctl, 1);
	put(t, sizeof(t));
	tentry(1, 1, 0, 1, "vm1-ram", NULL, 0);
	tentry(2, 0, 0, 2, "vm2-ram", two, 0);
	tentry(3, 0, 0, 3, "vm3", three, 0);
	emit("template-good");

	put(&ctl, 1);
	put(t, sizeof(t));
	tentry(1, 0, 0, 1, "a", NULL, 0);
	tentry(2, 0, 0, 1, "a", NULL, 0);		/* dup name */
	tentry(14, 0, 0, 1, "big", big, 0);		/* overlap */
	tentry(3, 0, 0, 2, "self", self, 0);
	tentry(4, 0, 0, 1, "unal", unal, 0);
	tentry(5, 0, 0, 8, "eight", eight, 0);
	tentry(6, 0, 0, 1, "wrap", wrap, 0);
	tentry(7, 4, 0, 1, "flag", NULL, 0);
	tentry(8, 2, 4, 1, "stored", NULL, 0);
	tentry(9, 0, 0, 1, "bad name", NULL, 0);
	tentry(10, 0, 0, 9, "nine", eight, 0);
	tentry(11, 0, 0, 1, "crc", NULL, 64);
	tentry(12, 0, 0, 1, "sum", NULL, 4);
	tentry(13, 0, 0, 1, "pad", NULL, 16);
	tentry(5, 0, 0, 1, "dup-id", far, 0);
	emit("template-bad");

	ctl |= CTL_GEOMETRY;
	t[3] = 3;
	put(&ctl, 1);
	put(t, sizeof(t));
	tentry(1, 1, 0, 1, "vm1-ram", NULL, 0);
	emit("template-ab");
}

static void tluo(u8 op, u8 a, u8 b, u8 c, u8 d, u8 e, u8 f, u8 g)
{
	u8 x[TLUO] = { op, a, b, c, d, e, f, g };

	put(x, sizeof(x));
}

/* The items of a sound set: four sessions, one consumed, one empty. */
static void tluo_good(void)
{
	tluo(0, 's', 'y', 0, 0, 0, 0, 0);
	tluo(1, 0, 2, 0x18, 0, 3, 0, 0xf);	/* 6 KiB, runs of 2 pages */
	tluo(1, 1, 0, 0, 0, 0, 0, 0);		/* empty memfd */
	tluo(2, 7, 3, 0, 0, 0, 0, 0);		/* region */
	tluo(0, 'v', 'm', 0, 0, 0, 0, 0);
	tluo(1, 1, 3, 0x30, 4, 0, 0, 0);	/* in the second span */
	tluo(2, 2, 5, 0, 64, 0, 0, 0);		/* region freed before */
	tluo(0, 'o', 0, 0, 1, 0, 0, 0);		/* consumed */
	tluo(1, 0, 1, 0, 0, 0, 0, 0);
	tluo(0, 'e', 0, 0, 0, 0, 0, 0);		/* no files */
}

static void luo_seeds(void)
{
	u8 ctl = CTL_TEMPLATE | CTL_LUO_TEMPLATE | CTL_FIX_HDR | CTL_FIX_ENT;
	struct vmkeep_luo_session *se;
	u8 g[2] = { 1, 1 }, raw;
	static u8 items[256];
	size_t n, bytes;

	put(&ctl, 1);
	put(g, sizeof(g));
	tluo_good();
	emit("luo-template-good");

	/* a record damaged in each copy: repairs */
	put(&ctl, 1);
	put(g, sizeof(g));
	tluo_good();
	tluo(3, 40, 0, 0, 0x10, 0, 0, 0);
	tluo(3, 200, 1, 1, 0x01, 0, 0, 0);
	emit("luo-template-repair");

	/* every check once, and copies of two generations */
	g[0] = 2;
	put(&ctl, 1);
	put(g, sizeof(g));
	tluo_good();
	tluo(0, 's', 'y', 0, 0, 0, 0, 0);	/* a name twice */
	tluo(1, 3, 1, 0, 1, 2, 0, 0);		/* overlaps a run */
	tluo(0, 'a', 0, 0, 0, 0, 1, 0);		/* shares a file */
	tluo(1, 4, 2, 0, 2, 0, 0, 0);		/* misaligned */
	tluo(0, 'b', 0, 0, 0, 0, 0, 0);
	tluo(1, 4, 2, 0, 8, 0, 0, 0);		/* a page too many */
	tluo(1, 4, 1, 0, 0, 0, 0, 0);		/* token twice */
	tluo(0, 'c', 0, 0, 2, 16, 0, 0);	/* stored quarantine */
	tluo(1, 5, 2, 0, 16, 0, 1, 0);		/* shares runs */
	tluo(0, 'd', 0, 0, 0, 0, 0, 0);
	tluo(1, 6, 1, 0, 32, 0, 0, 0);		/* position past loff_t */
	tluo(2, 6, 0, 0, 3, 0, 0, 0);		/* region with fields */
	tluo(3, 30, 0, 2, 0x80, 0, 0, 0);	/* written so */
	emit("luo-template-bad");

	/* raw: a sound set's two copies, and one copy with checksums fixed */
	g[0] = 1;
	put(g, sizeof(g));
	tluo_good();
	memcpy(items, seed, seed_len);
	n = seed_len;
	seed_len = 0;
	luo_template(items, n);
	bytes = vmkeep_luo_copy_bytes(le32toh(luo_hdr(0)->nr_sessions),
				      le32toh(luo_hdr(0)->nr_files),
				      le32toh(luo_hdr(0)->nr_runs));
	raw = CTL_GEOMETRY | CTL_SPLIT;
	put(&raw, 1);
	put(luo, bytes);
	put(luo + LUO_COPY, bytes);
	emit("luo-raw-ab");

	/* the second session's slice takes the first's files */
	luo_template(items, n);
	se = (struct vmkeep_luo_session *)(luo + VMKEEP_LUO_HEADER_SIZE);
	se[1].first_file = 0;
	raw = CTL_FIX_HDR | CTL_FIX_ENT | CTL_GEOMETRY | 0x10;
	put(&raw, 1);
	put(luo, bytes);
	emit("luo-raw-fixed");
}

static void seeds(void)
{
	struct vmkeep_fmt_region r[8];
	u8 empty = 0;

	put(&empty, 1);
	emit("empty");

	raw_seed("raw-format", r, 0, 0, NULL);
	region(&r[0], 1, "vm1-ram", 0, 1);
	raw_seed("raw-one", r, 1, 0, NULL);
	region(&r[1], 2, "vm2-ram", 10, 8);
	region(&r[2], 3, "vm3", 26, 2);
	r[2].quarantine = VMKEEP_Q_OVERLAP;
	raw_seed("raw-three-ab", r, 3, 1, NULL);
	raw_seed("raw-version", r, 1, 0, tweak_version);
	raw_seed("raw-dup", r, 2, 0, tweak_dup);
	template_seeds();
	luo_seeds();
}

int main(int argc, char **argv)
{
	static u8 buf[1 << 20];
	size_t n;
	FILE *f;
	int i;

	setup();
	if (argc == 3 && !strcmp(argv[1], "-o")) {
		outdir = argv[2];
		seeds();
		return 0;
	}
	for (i = 1; i < argc; i++) {
		f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("%d inputs ok\n", argc - 1);
	return 0;
}
#endif
