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
	if (!meta || !meta2 || !r1 || !r2 || !spans || !order)
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
