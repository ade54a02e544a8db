// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: live update set tables, shared by the module and the host tests
 *
 * This file owns the bytes of a live update set's tables unit (see "live
 * update sets" in format.h): it writes one copy at a time and reads back
 * what the previous kernel left, trusting none of it.  Like
 * vmkeep_format.c it allocates nothing, never reads outside the
 * %VMKEEP_FMT_UNIT it is given, and is built into the module, libvmkeep
 * and the host unit tests and fuzzer.
 *
 * A session comes back whole or not at all: each check that fails
 * quarantines the sessions it concerns, never the set.  The checks that
 * span sessions - files shared between sessions' slices, runs shared
 * between files' slices, memory claimed by two runs, names - sort their
 * candidates in @scratch and sweep them once, as vmkeep_format.c does for
 * extents, so decoding is O(n log n) in the number of records whatever
 * the records say, plus O(runs x data spans) for the runs' bounds.  Only
 * what a restore would use is cross-checked: the files of sessions that
 * are neither consumed nor quarantined by their own record.  A damaged
 * record is never read as a claim on memory, so it costs no other session
 * anything.
 */

#include <linux/build_bug.h>
#include <linux/compiler.h>
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
static_assert(sizeof(struct vmkeep_luo_header) == VMKEEP_LUO_HEADER_SIZE,
	      "luo header size");
static_assert(sizeof(struct vmkeep_luo_session) == VMKEEP_LUO_SESSION_SIZE,
	      "luo session size");
static_assert(sizeof(struct vmkeep_luo_file) == VMKEEP_LUO_FILE_SIZE,
	      "luo file size");
static_assert(sizeof(struct vmkeep_luo_run) == VMKEEP_LUO_RUN_SIZE,
	      "luo run size");
static_assert(offsetof(struct vmkeep_luo_header, crc) == 56, "luo header crc");
static_assert(offsetof(struct vmkeep_luo_session, crc) == 80, "session crc");
static_assert(offsetof(struct vmkeep_luo_file, crc) == 12, "file crc");
static_assert(offsetof(struct vmkeep_luo_file, runs_crc) == 56, "runs crc");
static_assert(2 * VMKEEP_LUO_COPY_SIZE == VMKEEP_FMT_UNIT, "two copies");
static_assert(VMKEEP_LUO_NAME_LEN == VMKEEP_NAME_LEN, "uapi name length");

enum { T_SESS, T_FILE, T_RUN };		/* the tables, in their order */
/* what a sweep looks for; CK_RUNS is check_files()' step that is none */
enum { SW_SESS, SW_FILE, SW_RUN, SW_SHARED, CK_RUNS };

/*
 * Reader state kept in the decoded flags until vmkeep_luo_decode()
 * returns: a session whose name takes part in the uniqueness check; why
 * a file makes its session quarantined, whether it is a memfd of a live
 * session that check_files() looked at, whether its runs are shared.
 */
#define SESS_NAMED	(1U << 8)
#define FIL_WHY_SHIFT	8
#define FIL_WHY_MASK	(0xffU << FIL_WHY_SHIFT)
#define FIL_LIVE	(1U << 16)
#define FIL_SHARED	(1U << 17)
#define FIL_READER	(FIL_WHY_MASK | FIL_LIVE | FIL_SHARED)

struct luo_dec {
	const void *area;
	const struct vmkeep_luo_set *s;
	const struct vmkeep_luo_span *data;
	u32 nr_data;
	struct vmkeep_luo_sess *ss;
	struct vmkeep_luo_fil *fs;
	struct vmkeep_luo_span *rs;
	struct vmkeep_luo_span *sp;
};

/**
 * vmkeep_luo_copy_bytes() - size of one copy of the tables
 * @nr_sessions: session records
 * @nr_files: file records
 * @nr_runs: run records
 *
 * Return: header and records in bytes; a copy is valid only when this is
 * at most %VMKEEP_LUO_COPY_SIZE.  Never overflows.
 */
u64 vmkeep_luo_copy_bytes(u32 nr_sessions, u32 nr_files, u32 nr_runs)
{
	return VMKEEP_LUO_HEADER_SIZE +
	       (u64)nr_sessions * VMKEEP_LUO_SESSION_SIZE +
	       (u64)nr_files * VMKEEP_LUO_FILE_SIZE +
	       (u64)nr_runs * VMKEEP_LUO_RUN_SIZE;
}

static bool counts_fit(const struct vmkeep_luo_set *s)
{
	return vmkeep_luo_copy_bytes(s->nr_sessions, s->nr_files,
				     s->nr_runs) <= VMKEEP_LUO_COPY_SIZE;
}

/* Offset of record @idx of table @t in @copy; @s's counts fit. */
static size_t rec_off(const struct vmkeep_luo_set *s, u32 copy, u32 t,
		      u32 idx)
{
	static const u32 size[] = { VMKEEP_LUO_SESSION_SIZE,
				    VMKEEP_LUO_FILE_SIZE, VMKEEP_LUO_RUN_SIZE };
	size_t off = (copy ? VMKEEP_LUO_COPY_SIZE : 0) + VMKEEP_LUO_HEADER_SIZE;

	if (t > T_SESS)
		off += (size_t)s->nr_sessions * VMKEEP_LUO_SESSION_SIZE;
	if (t > T_FILE)
		off += (size_t)s->nr_files * VMKEEP_LUO_FILE_SIZE;
	return off + (size_t)idx * size[t];
}

static bool luo_zero(const void *buf, size_t len)
{
	const u8 *p = buf;

	while (len--)
		if (*p++)
			return false;
	return true;
}

static int cmp_u64(u64 a, u64 b)
{
	return (a > b) - (a < b);
}

static u32 header_crc(const struct vmkeep_luo_header *h, __le64 magic)
{
	return vmkeep_fmt_header_crc(h, sizeof(*h),
				     offsetof(struct vmkeep_luo_header, crc), magic);
}

static u32 tables_crc(const void *area, u32 copy,
		      const struct vmkeep_luo_set *s)
{
	u64 len = vmkeep_luo_copy_bytes(s->nr_sessions, s->nr_files,
					s->nr_runs) - VMKEEP_LUO_HEADER_SIZE;

	return vmkeep_crc32c(0, (const u8 *)area + rec_off(s, copy, T_SESS, 0),
			     len);
}

static const u8 damage_rank[] = {
	[VMKEEP_D_CRC] = 1,
	[VMKEEP_D_FIELD] = 2,
	[VMKEEP_D_GEOMETRY] = 3,
	[VMKEEP_D_VERSION] = 4,
};

/* VMKEEP_D_NONE for a valid header of set @set, else why it is not */
static u32 check_header(const struct vmkeep_luo_header *h, u64 set)
{
	if (header_crc(h, h->magic) != le32_to_cpu(h->crc))
		return VMKEEP_D_CRC;
	if (le32_to_cpu(h->version) != VMKEEP_LUO_VERSION)
		return VMKEEP_D_VERSION;
	if (le32_to_cpu(h->header_size) != VMKEEP_LUO_HEADER_SIZE ||
	    le32_to_cpu(h->session_size) != VMKEEP_LUO_SESSION_SIZE ||
	    le32_to_cpu(h->file_size) != VMKEEP_LUO_FILE_SIZE ||
	    le32_to_cpu(h->run_size) != VMKEEP_LUO_RUN_SIZE ||
	    vmkeep_luo_copy_bytes(le32_to_cpu(h->nr_sessions),
				  le32_to_cpu(h->nr_files),
				  le32_to_cpu(h->nr_runs)) > VMKEEP_LUO_COPY_SIZE ||
	    !luo_zero(h->reserved, sizeof(h->reserved)))
		return VMKEEP_D_FIELD;
	if (le64_to_cpu(h->set) != set)
		return VMKEEP_D_GEOMETRY;
	return VMKEEP_D_NONE;
}

/**
 * vmkeep_luo_read() - find the active copy of a set's tables
 * @area: the set's tables unit, %VMKEEP_FMT_UNIT bytes
 * @set: the set's number, from its entry's name
 * @s: filled in
 *
 * The active copy is the valid one with the higher generation.  Of two of
 * the same generation copy 0 is taken, unless only copy 0 is torn: the
 * records of a copy that matches its @tables_crc are all as written.
 * Without a valid copy @s->damage says why, the most specific reason a
 * copy with the magic gave (%VMKEEP_D_CRC when none has it).
 */
void vmkeep_luo_read(const void *area, u64 set, struct vmkeep_luo_set *s)
{
	struct vmkeep_luo_set c[2] = {};
	struct vmkeep_luo_header h;
	u32 copy, a, why, damage = VMKEEP_D_CRC, want[2] = {};
	bool valid[2] = {};

	for (copy = 0; copy < 2; copy++) {
		/* Read the untrusted header once; check and decode the copy. */
		memcpy(&h, (const u8 *)area + copy * VMKEEP_LUO_COPY_SIZE,
		       sizeof(h));
		if (le64_to_cpu(h.magic) != VMKEEP_LUO_MAGIC)
			continue;
		why = check_header(&h, set);
		if (why) {
			if (damage_rank[why] > damage_rank[damage])
				damage = why;
			continue;
		}
		valid[copy] = true;
		c[copy].set = set;
		c[copy].generation = le64_to_cpu(h.generation);
		c[copy].copy = copy;
		c[copy].nr_sessions = le32_to_cpu(h.nr_sessions);
		c[copy].nr_files = le32_to_cpu(h.nr_files);
		c[copy].nr_runs = le32_to_cpu(h.nr_runs);
		want[copy] = le32_to_cpu(h.tables_crc);
	}

	memset(s, 0, sizeof(*s));
	s->set = set;
	if (!valid[0] && !valid[1]) {
		s->damage = damage;
		return;
	}
	a = !valid[0] || (valid[1] && c[1].generation > c[0].generation);
	c[a].torn = tables_crc(area, a, &c[a]) != want[a];
	/* Up to 1 MiB more: only when a twin may do better. */
	if (c[a].torn && valid[!a] && c[!a].generation == c[a].generation) {
		c[!a].torn = tables_crc(area, !a, &c[!a]) != want[!a];
		if (!c[!a].torn)
			a = !a;
	}
	*s = c[a];
	s->twin = valid[!a] && c[!a].generation == s->generation &&
		  c[!a].nr_sessions == s->nr_sessions &&
		  c[!a].nr_files == s->nr_files && c[!a].nr_runs == s->nr_runs;
}

/*
 * Record @idx of table @t, read once into @rec (@len bytes, its checksum
 * at @crc_at): 0 when the active copy's holds its checksum, 1 when the
 * twin's does instead, -1 (and the active copy's bytes) when neither.
 */
static int get_rec(const struct luo_dec *d, u32 t, u32 idx, void *rec,
		   size_t len, size_t crc_at)
{
	const struct vmkeep_luo_set *s = d->s;
	u32 i, copy = s->copy, tries = s->twin ? 2 : 1;
	__le32 crc;

	for (i = 0; i < tries; i++, copy = !copy) {
		memcpy(rec, (const u8 *)d->area + rec_off(s, copy, t, idx),
		       len);
		memcpy(&crc, (u8 *)rec + crc_at, sizeof(crc));
		memset((u8 *)rec + crc_at, 0, sizeof(crc));
		if (vmkeep_crc32c(0, rec, len) == le32_to_cpu(crc))
			return i;
	}
	memcpy(rec, (const u8 *)d->area + rec_off(s, s->copy, t, idx), len);
	return -1;
}

static bool known_reason(u32 why)
{
	return (why >= VMKEEP_Q_CRC && why <= VMKEEP_Q_UNCLEARED) ||
	       why == VMKEEP_Q_LUO_DATA || why == VMKEEP_Q_LUO_REGION;
}

/* Mainline's rule: 1 to 63 bytes, any but NUL; here NUL-padded too. */
static bool name_ok(const char *name)
{
	size_t n = strnlen(name, VMKEEP_LUO_NAME_LEN);

	return n && n < VMKEEP_LUO_NAME_LEN &&
	       luo_zero(name + n, VMKEEP_LUO_NAME_LEN - n);
}

static bool printable(const char *name)
{
	const u8 *p = (const u8 *)name;

	for (; *p; p++)
		if (*p <= ' ' || *p > '~')
			return false;
	return true;
}

static void sess_quarantine(struct vmkeep_luo_sess *ss, u32 why)
{
	if (!(ss->flags & VMKEEP_LUO_F_CONSUMED) && !ss->quarantine)
		ss->quarantine = why;
}

static void fil_quarantine(struct vmkeep_luo_fil *x, u32 why)
{
	if (!(x->flags & FIL_WHY_MASK))
		x->flags |= why << FIL_WHY_SHIFT;
}

static u32 fil_why(const struct vmkeep_luo_fil *x)
{
	return (x->flags & FIL_WHY_MASK) >> FIL_WHY_SHIFT;
}

/* Neither consumed nor quarantined so far, its slice its own. */
static bool live(const struct vmkeep_luo_sess *ss)
{
	return !(ss->flags & (VMKEEP_LUO_F_CONSUMED | VMKEEP_FMT_UNTRUSTED)) &&
	       !ss->quarantine;
}

static void decode_session(struct luo_dec *d, u32 i)
{
	struct vmkeep_luo_sess *ss = &d->ss[i];
	struct vmkeep_luo_session e;
	u32 flags, why;
	int got;

	got = get_rec(d, T_SESS, i, &e, sizeof(e),
		      offsetof(struct vmkeep_luo_session, crc));
	flags = le32_to_cpu(e.flags);
	why = le32_to_cpu(e.quarantine);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss->name, e.name, sizeof(ss->name));
	if (got < 0) {
		/* Its files are not known: nothing of it is checked. */
		ss->flags = VMKEEP_FMT_UNTRUSTED;
		ss->quarantine = VMKEEP_Q_CRC;
		if (!name_ok(ss->name) || !printable(ss->name))
			goto rename;
		return;
	}
	ss->first_file = le32_to_cpu(e.first_file);
	ss->nr_files = le32_to_cpu(e.nr_files);
	if (got)
		ss->flags |= VMKEEP_FMT_REPAIRED;
	if (flags & VMKEEP_LUO_F_CONSUMED) {
		ss->flags |= VMKEEP_LUO_F_CONSUMED;
	} else if (flags & VMKEEP_LUO_F_QUARANTINED) {
		ss->flags |= VMKEEP_LUO_F_QUARANTINED;
		ss->quarantine = known_reason(why) ? why : VMKEEP_Q_FIELD;
	} else if (flags & ~VMKEEP_LUO_SESSION_FLAGS || why ||
		   !luo_zero(e.reserved, sizeof(e.reserved))) {
		ss->quarantine = VMKEEP_Q_FIELD;
	}
	if ((u64)ss->first_file + ss->nr_files > d->s->nr_files) {
		ss->first_file = 0;
		ss->nr_files = 0;
		ss->flags |= VMKEEP_FMT_UNTRUSTED;
		sess_quarantine(ss, VMKEEP_Q_EXTENT);
	}
	if (name_ok(ss->name)) {
		/* A stored quarantine is never looked up by name. */
		if (!(ss->flags & VMKEEP_LUO_F_QUARANTINED))
			ss->flags |= SESS_NAMED;
		return;
	}
	sess_quarantine(ss, VMKEEP_Q_NAME);
rename:
	memset(ss->name, 0, sizeof(ss->name));
	snprintf(ss->name, sizeof(ss->name), "!bad-%u", i);
}

static bool file_fields_ok(const struct vmkeep_luo_file *e,
			   const struct vmkeep_luo_fil *x, u32 flags)
{
	if (flags & ~VMKEEP_LUO_FILE_FLAGS ||
	    !luo_zero(e->reserved, sizeof(e->reserved)))
		return false;
	/* A memfd's position is a loff_t. */
	if (x->kind == VMKEEP_LUO_FMT_MEMFD)
		return !x->region_id && !(flags & VMKEEP_LUO_F_GONE) &&
		       !(x->pos >> 63);
	/* A region's is its pool's base: ids are per pool. */
	return x->kind == VMKEEP_LUO_FMT_REGION && x->region_id &&
	       !(x->pos & (VMKEEP_FMT_UNIT - 1)) &&
	       !x->seals && !x->first_run && !x->nr_runs && !x->data_crc &&
	       !e->runs_crc;
}

static void decode_file(struct luo_dec *d, u32 f)
{
	struct vmkeep_luo_fil *x = &d->fs[f];
	struct vmkeep_luo_file e;
	u32 flags;
	int got;

	got = get_rec(d, T_FILE, f, &e, sizeof(e),
		      offsetof(struct vmkeep_luo_file, crc));
	flags = le16_to_cpu(e.flags);
	memset(x, 0, sizeof(*x));
	if (got < 0) {
		x->flags = VMKEEP_FMT_UNTRUSTED;
		fil_quarantine(x, VMKEEP_Q_CRC);
		return;
	}
	x->token = le64_to_cpu(e.token);
	x->kind = le16_to_cpu(e.kind);
	x->flags = (flags & VMKEEP_LUO_FILE_FLAGS) |
		   (got ? VMKEEP_FMT_REPAIRED : 0);
	x->size = le64_to_cpu(e.size);
	x->pos = le64_to_cpu(e.pos);
	x->region_id = le64_to_cpu(e.region_id);
	x->seals = le32_to_cpu(e.seals);
	x->first_run = le32_to_cpu(e.first_run);
	x->nr_runs = le32_to_cpu(e.nr_runs);
	x->data_crc = le32_to_cpu(e.data_crc);

	if (!file_fields_ok(&e, x, flags))
		fil_quarantine(x, VMKEEP_Q_FIELD);
	if ((u64)x->first_run + x->nr_runs > d->s->nr_runs) {
		x->first_run = 0;
		x->nr_runs = 0;
		fil_quarantine(x, VMKEEP_Q_EXTENT);
	}
}

static void decode_runs(struct luo_dec *d, u32 copy, u32 first, u32 nr)
{
	const struct vmkeep_luo_run *r = (const void *)
		((const u8 *)d->area + rec_off(d->s, copy, T_RUN, first));
	u32 i;

	for (i = 0; i < nr; i++) {
		d->rs[first + i].offset = le64_to_cpu(r[i].offset);
		d->rs[first + i].length = le64_to_cpu(r[i].length);
	}
}

static bool in_data(const struct luo_dec *d, u64 off, u64 end)
{
	u64 data_end;
	u32 i;

	for (i = 0; i < d->nr_data; i++)
		if (!check_add_overflow(d->data[i].offset, d->data[i].length,
					&data_end) &&
		    off >= d->data[i].offset && end <= data_end)
			return true;
	return false;
}

/*
 * A memfd's runs: checked against @runs_crc, taken from the twin when
 * only the twin's match, then each one checked.  Called once per file of
 * a live session, whose slices are disjoint: O(runs) in all.
 */
static void check_runs(struct luo_dec *d, u32 f)
{
	const size_t len = (size_t)d->fs[f].nr_runs * VMKEEP_LUO_RUN_SIZE;
	const struct vmkeep_luo_set *s = d->s;
	struct vmkeep_luo_fil *x = &d->fs[f];
	u32 i, copy = s->copy, want, tries = s->twin ? 2 : 1;
	u64 off, end, sum = 0, need;
	struct vmkeep_luo_file e;
	bool bad = false;

	/* @runs_crc is not decoded: the record again, as it was read. */
	if (get_rec(d, T_FILE, f, &e, sizeof(e),
		    offsetof(struct vmkeep_luo_file, crc)) < 0 ||
	    le32_to_cpu(e.first_run) != x->first_run ||
	    le32_to_cpu(e.nr_runs) != x->nr_runs) {
		fil_quarantine(x, VMKEEP_Q_CRC);
		return;
	}
	want = le32_to_cpu(e.runs_crc);
	for (i = 0; i < tries; i++, copy = !copy)
		if (vmkeep_crc32c(0, (const u8 *)d->area +
				  rec_off(s, copy, T_RUN, x->first_run),
				  len) == want)
			break;
	if (i == tries) {
		x->first_run = 0;
		x->nr_runs = 0;
		fil_quarantine(x, VMKEEP_Q_CRC);
		return;
	}
	decode_runs(d, copy, x->first_run, x->nr_runs);
	if (i)
		x->flags |= VMKEEP_FMT_REPAIRED;

	for (i = x->first_run; i < x->first_run + x->nr_runs; i++) {
		off = d->rs[i].offset;
		if (!d->rs[i].length ||
		    (off | d->rs[i].length) & (VMKEEP_LUO_PAGE - 1) ||
		    check_add_overflow(off, d->rs[i].length, &end) ||
		    !in_data(d, off, end) ||
		    check_add_overflow(sum, d->rs[i].length, &sum))
			bad = true;
	}
	if (bad || check_add_overflow(x->size, VMKEEP_LUO_PAGE - 1, &need) ||
	    sum != (need & ~(VMKEEP_LUO_PAGE - 1)))
		fil_quarantine(x, VMKEEP_Q_EXTENT);
}

/* Spans by start, then tag: a total order. */
static int cmp_span(const void *a, const void *b)
{
	const struct vmkeep_luo_span *x = a, *y = b;

	return cmp_u64(x->offset, y->offset) ?: cmp_u64(x->length, y->length);
}

/*
 * A sweep's spans: @offset the start, @length a tag naming the owner: a
 * session, a file, or (file << 32 | run).
 */
static u64 span_end(const struct luo_dec *d, u32 kind, u64 tag)
{
	if (kind == SW_SESS)
		return (u64)d->ss[tag].first_file + d->ss[tag].nr_files;
	if (kind != SW_RUN)
		return (u64)d->fs[tag].first_run + d->fs[tag].nr_runs;
	/* no overflow: check_runs() passed it */
	return d->rs[(u32)tag].offset + d->rs[(u32)tag].length;
}

static void span_hit(struct luo_dec *d, u32 kind, u64 tag)
{
	if (kind == SW_SESS) {
		d->ss[tag].flags |= VMKEEP_FMT_UNTRUSTED;
		sess_quarantine(&d->ss[tag], VMKEEP_Q_EXTENT);
	} else if (kind == SW_FILE) {
		fil_quarantine(&d->fs[tag], VMKEEP_Q_EXTENT);
	} else if (kind == SW_SHARED) {
		d->fs[tag].flags |= FIL_SHARED;
	} else {
		fil_quarantine(&d->fs[tag >> 32], VMKEEP_Q_OVERLAP);
	}
}

/*
 * The owners of any two of the @n non-empty spans in d->sp that
 * intersect are hit.  In start order, a span intersects an earlier one
 * exactly when it starts below the highest end so far, and then it
 * intersects the span that has that end (find_overlaps() in
 * vmkeep_format.c).
 */
static void sweep(struct luo_dec *d, u32 kind, u32 n)
{
	struct vmkeep_luo_span *sp = d->sp;
	u64 end = 0, e, owner = 0;
	u32 i;

	sort(sp, n, sizeof(*sp), cmp_span, NULL);
	for (i = 0; i < n; i++) {
		if (i && sp[i].offset < end) {
			span_hit(d, kind, sp[i].length);
			span_hit(d, kind, owner);
		}
		e = span_end(d, kind, sp[i].length);
		if (!i || e > end) {
			end = e;
			owner = sp[i].length;
		}
	}
	cond_resched();
}

/* Equal names sort together; @offset holds the session's address. */
static int cmp_name(const void *a, const void *b)
{
	const struct vmkeep_luo_span *x = a, *y = b;
	const struct vmkeep_luo_sess *sx = (void *)(uintptr_t)x->offset;
	const struct vmkeep_luo_sess *sy = (void *)(uintptr_t)y->offset;

	return memcmp(sx->name, sy->name, sizeof(sx->name)) ?:
	       cmp_u64(x->length, y->length);
}

/* Sessions that share files, then names: each one of them quarantined. */
static void check_sessions(struct luo_dec *d)
{
	struct vmkeep_luo_sess *ss = d->ss;
	struct vmkeep_luo_span *sp = d->sp;
	u32 i, n = 0;

	/* Consumed sessions' slices count: their files stay theirs. */
	for (i = 0; i < d->s->nr_sessions; i++) {
		if (ss[i].flags & VMKEEP_FMT_UNTRUSTED || !ss[i].nr_files)
			continue;
		sp[n].offset = ss[i].first_file;
		sp[n++].length = i;
	}
	sweep(d, SW_SESS, n);
	for (i = 0; i < d->s->nr_sessions; i++) {
		if (ss[i].flags & VMKEEP_FMT_UNTRUSTED) {
			ss[i].first_file = 0;
			ss[i].nr_files = 0;
		}
	}

	for (i = 0, n = 0; i < d->s->nr_sessions; i++) {
		if (!(ss[i].flags & SESS_NAMED) ||
		    ss[i].flags & VMKEEP_LUO_F_CONSUMED)
			continue;
		sp[n].offset = (uintptr_t)&ss[i];
		sp[n++].length = i;
	}
	sort(sp, n, sizeof(*sp), cmp_name, NULL);
	for (i = 1; i < n; i++) {
		if (memcmp(ss[sp[i].length].name, ss[sp[i - 1].length].name,
			   VMKEEP_LUO_NAME_LEN))
			continue;
		sess_quarantine(&ss[sp[i].length], VMKEEP_Q_NAME);
		sess_quarantine(&ss[sp[i - 1].length], VMKEEP_Q_NAME);
	}
}

/*
 * One step of check_files() on memfd @f of a live session that is still
 * sound; @n counts the spans it adds to d->sp.
 */
static void check_file(struct luo_dec *d, u32 step, u32 f, u32 *n)
{
	struct vmkeep_luo_fil *x = &d->fs[f];
	u32 r;

	if (x->kind != VMKEEP_LUO_FMT_MEMFD || fil_why(x))
		return;
	x->flags |= FIL_LIVE;
	if (step == SW_FILE && x->nr_runs) {
		d->sp[*n].offset = x->first_run;
		d->sp[(*n)++].length = f;
	} else if (step == CK_RUNS) {
		check_runs(d, f);
	} else if (step == SW_RUN) {
		for (r = x->first_run; r < x->first_run + x->nr_runs; r++) {
			d->sp[*n].offset = d->rs[r].offset;
			d->sp[(*n)++].length = (u64)f << 32 | r;
		}
	}
}

/*
 * The files of live sessions: runs shared between files (SW_FILE), the
 * runs themselves (CK_RUNS), memory claimed by two runs (SW_RUN).  Each
 * step takes the memfds still sound, whose slices are then disjoint: at
 * most s->nr_runs spans, O(s->nr_runs) work.
 */
static void check_files(struct luo_dec *d)
{
	static const u32 steps[] = { SW_FILE, CK_RUNS, SW_RUN };
	const struct vmkeep_luo_sess *ss;
	u32 i, k, f, n;

	for (k = 0; k < ARRAY_SIZE(steps); k++) {
		for (i = 0, n = 0; i < d->s->nr_sessions; i++) {
			ss = &d->ss[i];
			if (!live(ss))
				continue;
			for (f = ss->first_file;
			     f < ss->first_file + ss->nr_files; f++)
				check_file(d, steps[k], f, &n);
		}
		if (steps[k] != CK_RUNS)
			sweep(d, steps[k], n);
	}
}

/* A live session takes the first reason any of its files gives. */
static void settle_session(struct luo_dec *d, u32 i)
{
	struct vmkeep_luo_sess *ss = &d->ss[i];
	struct vmkeep_luo_span *sp = d->sp;
	u32 f, n = 0;

	if (!live(ss))
		return;
	for (f = ss->first_file; f < ss->first_file + ss->nr_files; f++) {
		if (fil_why(&d->fs[f]))
			sess_quarantine(ss, fil_why(&d->fs[f]));
		if (d->fs[f].flags & VMKEEP_FMT_REPAIRED)
			ss->flags |= VMKEEP_FMT_REPAIRED;
		sp[n].offset = d->fs[f].token;
		sp[n++].length = f;
	}
	sort(sp, n, sizeof(*sp), cmp_span, NULL);
	for (f = 1; f < n; f++)
		if (sp[f].offset == sp[f - 1].offset)
			sess_quarantine(ss, VMKEEP_Q_FIELD);
}

/*
 * Slices of runs that two files share are decoded as empty, but those of
 * sound memfds of live sessions, which share none: every run is then in
 * one file's slice at most, and writing the decoded set back costs
 * vmkeep_luo_end() O(runs) whatever the records said.
 */
static void drop_shared_runs(struct luo_dec *d)
{
	struct vmkeep_luo_fil *fs = d->fs;
	u32 f, n = 0;

	for (f = 0; f < d->s->nr_files; f++) {
		if (!fs[f].nr_runs)
			continue;
		d->sp[n].offset = fs[f].first_run;
		d->sp[n++].length = f;
	}
	sweep(d, SW_SHARED, n);
	for (f = 0; f < d->s->nr_files; f++) {
		if (fs[f].flags & FIL_SHARED &&
		    (!(fs[f].flags & FIL_LIVE) || fil_why(&fs[f]))) {
			fs[f].first_run = 0;
			fs[f].nr_runs = 0;
		}
		fs[f].flags &= ~FIL_READER;
	}
}

/**
 * vmkeep_luo_decode() - decode and check the active copy of a set's tables
 * @area: the set's tables unit, %VMKEEP_FMT_UNIT bytes
 * @s: as vmkeep_luo_read() filled it in
 * @data: the set's data extents, as pool offsets and lengths
 * @nr_data: elements of @data
 * @ss: room for @s->nr_sessions sessions
 * @fs: room for @s->nr_files files
 * @rs: room for @s->nr_runs runs
 * @scratch: room for vmkeep_luo_scratch(@s) spans
 *
 * See format.h for what comes back.  A session is quarantined with the
 * reason of the first check it fails: its record (checksum, stored
 * quarantine, fields, name, slice bounds), its slice shared with another
 * session's, its name another's, then its files in order (checksum,
 * fields, runs shared with another file, runs' checksum, runs' bounds,
 * memory another run claims), then a token twice.  A torn copy (@s->torn)
 * is decoded as any other.
 *
 * Return: the number of sessions quarantined, 0 for a damaged set.
 */
u32 vmkeep_luo_decode(const void *area, const struct vmkeep_luo_set *s,
		      const struct vmkeep_luo_span *data, u32 nr_data,
		      struct vmkeep_luo_sess *ss, struct vmkeep_luo_fil *fs,
		      struct vmkeep_luo_span *rs, struct vmkeep_luo_span *scratch)
{
	struct luo_dec d = {
		.area = area, .s = s, .data = data, .nr_data = nr_data,
		.ss = ss, .fs = fs, .rs = rs, .sp = scratch,
	};
	u32 i, bad = 0;

	if (s->damage || s->copy > 1 || !counts_fit(s))
		return 0;

	for (i = 0; i < s->nr_sessions; i++)
		decode_session(&d, i);
	check_sessions(&d);
	for (i = 0; i < s->nr_files; i++)
		decode_file(&d, i);
	decode_runs(&d, s->copy, 0, s->nr_runs);
	check_files(&d);

	for (i = 0; i < s->nr_sessions; i++) {
		settle_session(&d, i);
		ss[i].flags &= ~SESS_NAMED;
		if (ss[i].flags & VMKEEP_LUO_F_CONSUMED) {
			ss[i].flags &= ~VMKEEP_LUO_F_QUARANTINED;
		} else if (ss[i].quarantine) {
			ss[i].flags &= ~VMKEEP_FMT_REPAIRED;
			ss[i].flags |= VMKEEP_LUO_F_QUARANTINED;
			bad++;
		}
	}
	drop_shared_runs(&d);
	return bad;
}

static struct vmkeep_luo_header *header_at(void *area, u32 copy)
{
	return (void *)((u8 *)area + (copy ? VMKEEP_LUO_COPY_SIZE : 0));
}

/**
 * vmkeep_luo_begin() - start writing one copy of a set's tables
 * @area: the set's tables unit
 * @copy: 0 or 1
 */
void vmkeep_luo_begin(void *area, u32 copy)
{
	struct vmkeep_luo_header *h = header_at(area, copy);

	WRITE_ONCE(h->magic, 0);
	/* The copy is invalid before any of its records changes. */
	wmb();
}

static void *rec_at(void *area, const struct vmkeep_luo_set *s, u32 copy,
		    u32 t, u32 idx)
{
	return (u8 *)area + rec_off(s, copy, t, idx);
}

/**
 * vmkeep_luo_put_session() - encode session record @idx into @copy
 * @area: the set's tables unit
 * @copy: 0 or 1
 * @s: the counts of the tables being written
 * @idx: below @s->nr_sessions
 * @ss: the session; %VMKEEP_LUO_F_CONSUMED and @quarantine are stored
 */
void vmkeep_luo_put_session(void *area, u32 copy, const struct vmkeep_luo_set *s,
			    u32 idx, const struct vmkeep_luo_sess *ss)
{
	u32 flags = ss->flags & VMKEEP_LUO_F_CONSUMED;
	struct vmkeep_luo_session e;

	if (!counts_fit(s) || idx >= s->nr_sessions)
		return;
	memset(&e, 0, sizeof(e));
	memcpy(e.name, ss->name, strnlen(ss->name, sizeof(e.name) - 1));
	e.first_file = cpu_to_le32(ss->first_file);
	e.nr_files = cpu_to_le32(ss->nr_files);
	if (ss->quarantine) {
		flags |= VMKEEP_LUO_F_QUARANTINED;
		e.quarantine = cpu_to_le32(ss->quarantine);
	}
	e.flags = cpu_to_le32(flags);
	e.crc = cpu_to_le32(vmkeep_crc32c(0, &e, sizeof(e)));
	memcpy(rec_at(area, s, copy, T_SESS, idx), &e, sizeof(e));
}

/**
 * vmkeep_luo_put_file() - encode file record @idx into @copy
 * @area: the set's tables unit
 * @copy: 0 or 1
 * @s: the counts of the tables being written
 * @idx: below @s->nr_files
 * @fs: the file; of its flags only %VMKEEP_LUO_F_GONE is stored
 *
 * Its checksums are vmkeep_luo_end()'s: they cover its runs.
 */
void vmkeep_luo_put_file(void *area, u32 copy, const struct vmkeep_luo_set *s,
			 u32 idx, const struct vmkeep_luo_fil *fs)
{
	struct vmkeep_luo_file e;

	if (!counts_fit(s) || idx >= s->nr_files)
		return;
	memset(&e, 0, sizeof(e));
	e.token = cpu_to_le64(fs->token);
	e.kind = cpu_to_le16(fs->kind);
	e.flags = cpu_to_le16(fs->flags & VMKEEP_LUO_FILE_FLAGS);
	e.size = cpu_to_le64(fs->size);
	e.pos = cpu_to_le64(fs->pos);
	e.region_id = cpu_to_le64(fs->region_id);
	e.seals = cpu_to_le32(fs->seals);
	e.first_run = cpu_to_le32(fs->first_run);
	e.nr_runs = cpu_to_le32(fs->nr_runs);
	e.data_crc = cpu_to_le32(fs->data_crc);
	memcpy(rec_at(area, s, copy, T_FILE, idx), &e, sizeof(e));
}

/**
 * vmkeep_luo_put_run() - encode run record @idx into @copy
 * @area: the set's tables unit
 * @copy: 0 or 1
 * @s: the counts of the tables being written
 * @idx: below @s->nr_runs
 * @rs: the run
 */
void vmkeep_luo_put_run(void *area, u32 copy, const struct vmkeep_luo_set *s,
			u32 idx, const struct vmkeep_luo_span *rs)
{
	struct vmkeep_luo_run e = {
		.offset = cpu_to_le64(rs->offset),
		.length = cpu_to_le64(rs->length),
	};

	if (!counts_fit(s) || idx >= s->nr_runs)
		return;
	memcpy(rec_at(area, s, copy, T_RUN, idx), &e, sizeof(e));
}

/* File record @f with the checksum of its runs, then its own. */
static void seal_file(void *area, u32 copy, const struct vmkeep_luo_set *s,
		      u32 f)
{
	struct vmkeep_luo_file *p = rec_at(area, s, copy, T_FILE, f), e;
	const void *runs;
	u32 first, nr;

	memcpy(&e, p, sizeof(e));
	first = le32_to_cpu(e.first_run);
	nr = le32_to_cpu(e.nr_runs);
	e.runs_crc = 0;
	if ((u64)first + nr <= s->nr_runs) {
		runs = rec_at(area, s, copy, T_RUN, first);
		e.runs_crc = cpu_to_le32(vmkeep_crc32c(0, runs, (size_t)nr *
						       VMKEEP_LUO_RUN_SIZE));
	}
	e.crc = 0;
	e.crc = cpu_to_le32(vmkeep_crc32c(0, &e, sizeof(e)));
	memcpy(p, &e, sizeof(e));
}

/**
 * vmkeep_luo_end() - seal one copy of a set's tables
 * @area: the set's tables unit
 * @copy: 0 or 1
 * @s: the counts, @set and @generation to write
 *
 * The header is written whole with its magic zero, and the magic after a
 * write barrier: a copy cut short anywhere is invalid, never half-valid.
 * Counts that do not fit a copy leave it invalid.
 */
void vmkeep_luo_end(void *area, u32 copy, const struct vmkeep_luo_set *s)
{
	struct vmkeep_luo_header *h = header_at(area, copy);
	__le64 magic = cpu_to_le64(VMKEEP_LUO_MAGIC);
	u32 f;

	/* Also without vmkeep_luo_begin(), no half-written valid copy. */
	WRITE_ONCE(h->magic, 0);
	/* The copy is invalid before its header or records change. */
	wmb();
	if (!counts_fit(s))
		return;
	for (f = 0; f < s->nr_files; f++)
		seal_file(area, copy, s, f);
	memset(h, 0, sizeof(*h));
	h->version = cpu_to_le32(VMKEEP_LUO_VERSION);
	h->header_size = cpu_to_le32(VMKEEP_LUO_HEADER_SIZE);
	h->session_size = cpu_to_le32(VMKEEP_LUO_SESSION_SIZE);
	h->file_size = cpu_to_le32(VMKEEP_LUO_FILE_SIZE);
	h->run_size = cpu_to_le32(VMKEEP_LUO_RUN_SIZE);
	h->nr_sessions = cpu_to_le32(s->nr_sessions);
	h->nr_files = cpu_to_le32(s->nr_files);
	h->nr_runs = cpu_to_le32(s->nr_runs);
	h->set = cpu_to_le64(s->set);
	h->generation = cpu_to_le64(s->generation);
	h->tables_crc = cpu_to_le32(tables_crc(area, copy, s));
	h->crc = cpu_to_le32(header_crc(h, magic));
	/* Records and header are in place before the magic validates them. */
	wmb();
	WRITE_ONCE(h->magic, magic);
}
