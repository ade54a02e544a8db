// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Host unit tests of the live update set tables (format/vmkeep_luo_format.c),
 * the same source the module builds.  The tables unit is a buffer of
 * exactly %VMKEEP_FMT_UNIT bytes and the decoder's scratch exactly
 * vmkeep_luo_scratch() spans, so that -fsanitize=address catches any
 * access outside them.
 */

#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkeep/format.h>
#include <linux/vmkeep.h>

#include "kselftest_harness.h"

#define AREA		VMKEEP_FMT_UNIT
#define COPY		VMKEEP_LUO_COPY_SIZE
#define PG		VMKEEP_LUO_PAGE
#define SET		7
#define DATA0		(1ULL << 30)	/* pool offsets of the set's data */
#define DATA1		(2ULL << 30)
#define DATA_LEN	(64ULL << 20)
/* as many records as a copy can hold of each kind */
#define MAX_S		((COPY - VMKEEP_LUO_HEADER_SIZE) / VMKEEP_LUO_SESSION_SIZE)
#define MAX_F		((COPY - VMKEEP_LUO_HEADER_SIZE) / VMKEEP_LUO_FILE_SIZE)
#define MAX_R		((COPY - VMKEEP_LUO_HEADER_SIZE) / VMKEEP_LUO_RUN_SIZE)

static const struct vmkeep_luo_span data[] = {
	{ DATA0, DATA_LEN }, { DATA1, DATA_LEN },
};

FIXTURE(luo) {
	u8 *area;
	struct vmkeep_luo_set w;	/* the writer's counts */
	struct vmkeep_luo_set r;	/* what the reader found */
	struct vmkeep_luo_sess *ss, *sso;
	struct vmkeep_luo_fil *fs, *fso;
	struct vmkeep_luo_span *rs, *rso;
	u64 next;			/* where the next run goes */
};

FIXTURE_SETUP(luo)
{
	self->area = calloc(1, AREA);
	self->ss = calloc(MAX_S, sizeof(*self->ss));
	self->sso = calloc(MAX_S, sizeof(*self->sso));
	self->fs = calloc(MAX_F, sizeof(*self->fs));
	self->fso = calloc(MAX_F, sizeof(*self->fso));
	self->rs = calloc(MAX_R, sizeof(*self->rs));
	self->rso = calloc(MAX_R, sizeof(*self->rso));
	ASSERT_TRUE(self->area && self->ss && self->sso && self->fs &&
		    self->fso && self->rs && self->rso);
	self->w.set = SET;
	self->w.generation = 1;
	self->next = DATA0;
}

FIXTURE_TEARDOWN(luo)
{
	free(self->area);
	free(self->ss);
	free(self->sso);
	free(self->fs);
	free(self->fso);
	free(self->rs);
	free(self->rso);
}

static void set_name(struct vmkeep_luo_sess *ss, const char *name)
{
	memset(ss->name, 0, sizeof(ss->name));
	memcpy(ss->name, name, strlen(name));
}

static u32 add_session(struct _test_data_luo *t, const char *name, u32 flags)
{
	struct vmkeep_luo_sess *ss = &t->ss[t->w.nr_sessions];

	memset(ss, 0, sizeof(*ss));
	memcpy(ss->name, name, strlen(name));
	ss->flags = flags;
	ss->first_file = t->w.nr_files;
	return t->w.nr_sessions++;
}

static struct vmkeep_luo_fil *add_file(struct _test_data_luo *t, u64 token,
				       u32 kind, u64 size)
{
	struct vmkeep_luo_fil *f = &t->fs[t->w.nr_files++];

	memset(f, 0, sizeof(*f));
	f->token = token;
	f->kind = kind;
	f->size = size;
	f->first_run = t->w.nr_runs;
	t->ss[t->w.nr_sessions - 1].nr_files++;
	return f;
}

/* A memfd of @size bytes in runs of @chunk pages, a page apart. */
static void add_memfd(struct _test_data_luo *t, u64 token, u64 size, u32 chunk)
{
	struct vmkeep_luo_fil *f = add_file(t, token, VMKEEP_LUO_FMT_MEMFD, size);
	u64 pages = (size + PG - 1) / PG, n;

	f->pos = size / 2;
	f->seals = 0xf;
	f->data_crc = 0xc0ffee00 + (u32)token;
	for (; pages; pages -= n) {
		n = pages < chunk ? pages : chunk;
		t->rs[t->w.nr_runs].offset = t->next;
		t->rs[t->w.nr_runs].length = n * PG;
		t->w.nr_runs++;
		f->nr_runs++;
		t->next += (n + 1) * PG;
	}
}

static void add_region(struct _test_data_luo *t, u64 token, u64 id)
{
	struct vmkeep_luo_fil *f = add_file(t, token, VMKEEP_LUO_FMT_REGION,
					    2ULL << 20);

	f->first_run = 0;
	f->region_id = id;
}

/*
 * The set most tests start from: five sessions, one consumed and one
 * without files; memfds with one run, several, none; regions.
 */
static void std_set(struct _test_data_luo *t)
{
	add_session(t, "systemd", 0);		/* 0 */
	add_memfd(t, 0, 5000, 1);		/* files 0-2, runs 0-1 */
	add_memfd(t, 1, 0, 1);
	add_region(t, 7, 3);
	add_session(t, "vm-a", 0);		/* 1 */
	add_memfd(t, 1, 3 * PG, 4);		/* files 3-4, run 2 */
	add_region(t, 2, 5);
	add_session(t, "empty", 0);		/* 2 */
	add_session(t, "old", VMKEEP_LUO_F_CONSUMED);	/* 3 */
	add_memfd(t, 0, PG, 1);			/* file 5, run 3 */
	t->next = DATA1;
	add_session(t, "x\001y", 0);		/* 4: any byte but NUL */
	add_memfd(t, 9, 10000, 2);		/* file 6, runs 4-5 */
}

/* One copy, as the module writes it. */
static void write_copy(struct _test_data_luo *t, u32 copy)
{
	u32 i;

	vmkeep_luo_begin(t->area, copy);
	for (i = 0; i < t->w.nr_sessions; i++)
		vmkeep_luo_put_session(t->area, copy, &t->w, i, &t->ss[i]);
	for (i = 0; i < t->w.nr_files; i++)
		vmkeep_luo_put_file(t->area, copy, &t->w, i, &t->fs[i]);
	for (i = 0; i < t->w.nr_runs; i++)
		vmkeep_luo_put_run(t->area, copy, &t->w, i, &t->rs[i]);
	vmkeep_luo_end(t->area, copy, &t->w);
}

/* Into kexec: copy 0, then copy 1. */
static void store(struct _test_data_luo *t)
{
	write_copy(t, 0);
	write_copy(t, 1);
}

/* The next kernel's view: quarantined sessions, or -1 when damaged. */
static int load(struct _test_data_luo *t)
{
	struct vmkeep_luo_span *scratch;
	u32 n;

	memset(&t->r, 0xa5, sizeof(t->r));
	vmkeep_luo_read(t->area, SET, &t->r);
	if (t->r.damage)
		return -1;
	memset(t->sso, 0xa5, sizeof(*t->sso) * t->r.nr_sessions);
	memset(t->fso, 0xa5, sizeof(*t->fso) * t->r.nr_files);
	memset(t->rso, 0xa5, sizeof(*t->rso) * t->r.nr_runs);
	/* exactly what the header asks for: ASan sees an overrun */
	scratch = malloc(sizeof(*scratch) * vmkeep_luo_scratch(&t->r) + 1);
	if (!scratch)
		abort();
	n = vmkeep_luo_decode(t->area, &t->r, data, ARRAY_SIZE(data), t->sso,
			      t->fso, t->rso, scratch);
	free(scratch);
	return n;
}

#define LOAD() load(self)

static u8 *rec(struct _test_data_luo *t, u32 copy, u32 table, u32 idx)
{
	size_t off = copy * COPY + VMKEEP_LUO_HEADER_SIZE;

	if (table > 0)
		off += t->w.nr_sessions * VMKEEP_LUO_SESSION_SIZE;
	if (table > 1)
		off += t->w.nr_files * VMKEEP_LUO_FILE_SIZE;
	return t->area + off + idx * (table == 0 ? VMKEEP_LUO_SESSION_SIZE :
				      table == 1 ? VMKEEP_LUO_FILE_SIZE :
						   VMKEEP_LUO_RUN_SIZE);
}

#define SESS(copy, i) ((struct vmkeep_luo_session *)rec(self, copy, 0, i))
#define FILE_(copy, f) ((struct vmkeep_luo_file *)rec(self, copy, 1, f))
#define RUN(copy, r) ((struct vmkeep_luo_run *)rec(self, copy, 2, r))

static struct vmkeep_luo_header *hdr(struct _test_data_luo *t, u32 copy)
{
	return (struct vmkeep_luo_header *)(t->area + copy * COPY);
}

/*
 * After raw edits: every checksum of @copy made right again, as if the
 * writer had written the edited records.
 */
static void reseal(struct _test_data_luo *t, u32 copy)
{
	struct vmkeep_luo_session *e;
	u32 i;

	for (i = 0; i < t->w.nr_sessions; i++) {
		e = (void *)rec(t, copy, 0, i);
		e->crc = 0;
		e->crc = htole32(vmkeep_crc32c(0, e, sizeof(*e)));
	}
	vmkeep_luo_end(t->area, copy, &t->w);
}

static void fix_hdr(struct vmkeep_luo_header *h)
{
	h->crc = 0;
	h->crc = htole32(vmkeep_crc32c(0, h, sizeof(*h)));
}

static bool printable(const char *name)
{
	size_t i, n = strnlen(name, VMKEEP_LUO_NAME_LEN);

	if (!n || n == VMKEEP_LUO_NAME_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] > '~')
			return false;
	return true;
}

/* Session @i, its files and their runs came back as written. */
static bool sound(struct _test_data_luo *t, u32 i)
{
	const struct vmkeep_luo_sess *a = &t->ss[i], *b = &t->sso[i];
	struct vmkeep_luo_fil x;
	u32 f, r;

	if (b->quarantine || memcmp(a->name, b->name, sizeof(a->name)) ||
	    a->first_file != b->first_file || a->nr_files != b->nr_files ||
	    a->flags != (b->flags & ~VMKEEP_FMT_REPAIRED))
		return false;
	for (f = a->first_file; f < a->first_file + a->nr_files; f++) {
		x = t->fso[f];
		x.flags &= ~VMKEEP_FMT_REPAIRED;
		if (memcmp(&x, &t->fs[f], sizeof(x)))
			return false;
		for (r = x.first_run; r < x.first_run + x.nr_runs; r++)
			if (memcmp(&t->rso[r], &t->rs[r], sizeof(t->rs[r])))
				return false;
	}
	return true;
}

#define ASSERT_SOUND(i) ASSERT_TRUE(sound(self, i)) TH_LOG("session %u", i)

#define ASSERT_QUARANTINED(i, why) do {					\
	const struct vmkeep_luo_sess *o_ = &self->sso[i];		\
	ASSERT_EQ(why, o_->quarantine) TH_LOG("session %u", i);		\
	ASSERT_TRUE(o_->flags & VMKEEP_LUO_F_QUARANTINED);		\
	ASSERT_FALSE(o_->flags & VMKEEP_FMT_REPAIRED);			\
} while (0)

/* All of the standard set but @a and @b came back as written. */
#define ASSERT_OTHERS_SOUND(a, b) do {					\
	u32 k_;								\
	for (k_ = 0; k_ < self->w.nr_sessions; k_++)			\
		if (k_ != (a) && k_ != (b))				\
			ASSERT_SOUND(k_);				\
} while (0)

/* Test Case: a copy's size, without overflow for any count */
TEST(copy_bytes)
{
	ASSERT_EQ(256, vmkeep_luo_copy_bytes(0, 0, 0));
	ASSERT_EQ(256 + 96 + 2 * 64 + 3 * 16, vmkeep_luo_copy_bytes(1, 2, 3));
	ASSERT_EQ(256 + 0xffffffffULL * (96 + 64 + 16),
		  vmkeep_luo_copy_bytes(~0U, ~0U, ~0U));
	ASSERT_EQ(VMKEEP_LUO_COPY_SIZE, vmkeep_luo_copy_bytes(0, 0, MAX_R));
}

/* Test Case: a set written into kexec reads back whole from copy 0 */
TEST_F(luo, roundtrip)
{
	std_set(self);
	store(self);
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(0, self->r.copy);
	ASSERT_EQ(1, self->r.generation);
	ASSERT_EQ(SET, self->r.set);
	ASSERT_TRUE(self->r.twin);
	ASSERT_FALSE(self->r.torn);
	ASSERT_EQ(5, self->r.nr_sessions);
	ASSERT_EQ(7, self->r.nr_files);
	ASSERT_EQ(6, self->r.nr_runs);
	ASSERT_OTHERS_SOUND(~0U, ~0U);
	ASSERT_EQ(0, self->sso[0].flags);
	ASSERT_EQ(VMKEEP_LUO_F_CONSUMED, self->sso[3].flags);
	/* both copies are the same bytes */
	ASSERT_EQ(0, memcmp(self->area, self->area + COPY,
			    vmkeep_luo_copy_bytes(5, 7, 6)));
}

/*
 * Test Case: mainline's numbers - 2000 sessions, and one session of 500
 * memfds - fit one copy and read back sound
 */
TEST_F(luo, roundtrip_large)
{
	char name[16];
	u32 i;

	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		add_session(self, name, 0);
		add_memfd(self, i, PG, 1);
	}
	add_session(self, "many", 0);
	for (i = 0; i < 500; i++)
		add_memfd(self, i, 2 * PG, 1);
	store(self);
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(2001, self->r.nr_sessions);
	for (i = 0; i < 2001; i++)
		ASSERT_SOUND(i);
}

/* Test Case: copy bounds - a set that does not fit is never written valid */
TEST_F(luo, writer_bounds)
{
	std_set(self);
	store(self);
	self->w.nr_runs = MAX_R;	/* with the sessions, past 1 MiB */
	write_copy(self, 1);
	ASSERT_EQ(0, hdr(self, 1)->magic);
	self->w.nr_runs = 6;
	/* put past the counts writes nothing */
	vmkeep_luo_put_run(self->area, 0, &self->w, 6, &self->rs[0]);
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(0, self->r.copy);
	ASSERT_FALSE(self->r.torn);
	ASSERT_FALSE(self->r.twin);
}

/*
 * Test Case: a rewrite (copy 1, then copy 0, next generation) cut short
 * at any step leaves the old or the new tables
 */
TEST_F(luo, rewrite_steps)
{
	std_set(self);
	store(self);
	self->ss[1].flags |= VMKEEP_LUO_F_CONSUMED;
	self->w.generation = 2;

	vmkeep_luo_begin(self->area, 1);
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(0, self->r.copy);
	ASSERT_FALSE(self->r.twin);
	ASSERT_EQ(0, self->sso[1].flags);

	write_copy(self, 1);
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(1, self->r.copy);
	ASSERT_EQ(2, self->r.generation);
	ASSERT_FALSE(self->r.twin);
	ASSERT_EQ(VMKEEP_LUO_F_CONSUMED, self->sso[1].flags);

	vmkeep_luo_begin(self->area, 0);
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(1, self->r.copy);

	write_copy(self, 0);
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(0, self->r.copy);
	ASSERT_TRUE(self->r.twin);
	ASSERT_EQ(VMKEEP_LUO_F_CONSUMED, self->sso[1].flags);
}

/* Test Case: damage reasons - the most specific one any copy gave */
TEST_F(luo, damage)
{
	struct vmkeep_luo_header *h0 = hdr(self, 0), *h1 = hdr(self, 1);

	ASSERT_EQ(-1, LOAD());			/* blank */
	ASSERT_EQ(VMKEEP_D_CRC, self->r.damage);
	ASSERT_EQ(SET, self->r.set);

	std_set(self);
	store(self);
	h0->crc ^= htole32(1);
	h1->generation ^= htole64(1);
	ASSERT_EQ(-1, LOAD());
	ASSERT_EQ(VMKEEP_D_CRC, self->r.damage);

	h0->reserved[100] = 1;
	fix_hdr(h0);
	ASSERT_EQ(-1, LOAD());
	ASSERT_EQ(VMKEEP_D_FIELD, self->r.damage);

	h1->generation ^= htole64(1);
	h1->set = htole64(SET + 1);		/* another set's tables */
	fix_hdr(h1);
	ASSERT_EQ(-1, LOAD());
	ASSERT_EQ(VMKEEP_D_GEOMETRY, self->r.damage);

	h0->reserved[100] = 0;
	h0->version = htole32(2);
	fix_hdr(h0);
	ASSERT_EQ(-1, LOAD());
	ASSERT_EQ(VMKEEP_D_VERSION, self->r.damage);
	ASSERT_EQ(0, self->r.nr_sessions);
}

/* Test Case: each header field a valid copy needs, and the other copy wins */
TEST_F(luo, header_fields)
{
	static const size_t at[] = { 12, 16, 20, 24 };	/* the four sizes */
	struct vmkeep_luo_header *h = hdr(self, 0);
	u32 i;

	std_set(self);
	for (i = 0; i < ARRAY_SIZE(at) + 4; i++) {
		store(self);
		if (i < ARRAY_SIZE(at))
			((u8 *)h)[at[i]] ^= 0x40;
		else if (i == ARRAY_SIZE(at))
			h->nr_runs = htole32(MAX_R);	/* past the copy */
		else if (i == ARRAY_SIZE(at) + 1)
			h->nr_sessions = htole32(~0U);
		else if (i == ARRAY_SIZE(at) + 2)
			h->nr_files = htole32(0x80000000);
		else
			h->magic ^= htole64(1);		/* blank */
		fix_hdr(h);
		ASSERT_EQ(0, LOAD()) TH_LOG("case %u", i);
		ASSERT_EQ(1, self->r.copy);
		ASSERT_FALSE(self->r.twin);
		ASSERT_OTHERS_SOUND(~0U, ~0U);
		/* alone, the copy is damaged */
		vmkeep_luo_begin(self->area, 1);
		ASSERT_EQ(-1, LOAD());
		ASSERT_EQ(i < ARRAY_SIZE(at) + 3 ? VMKEEP_D_FIELD : VMKEEP_D_CRC,
			  self->r.damage);
	}
}

/*
 * Test Case: records of an older generation under a newer header pass
 * their checksums but make the copy torn; a twin that is not torn is
 * read instead
 */
TEST_F(luo, torn)
{
	u8 old[VMKEEP_LUO_SESSION_SIZE];

	std_set(self);
	store(self);
	memcpy(old, SESS(0, 1), sizeof(old));
	self->ss[1].flags |= VMKEEP_LUO_F_CONSUMED;
	self->w.generation = 2;
	store(self);
	memcpy(SESS(0, 1), old, sizeof(old));	/* lost cache lines */
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(1, self->r.copy);
	ASSERT_FALSE(self->r.torn);
	ASSERT_TRUE(self->r.twin);
	ASSERT_EQ(VMKEEP_LUO_F_CONSUMED, self->sso[1].flags);

	/* no twin: read, but said to be torn */
	vmkeep_luo_begin(self->area, 1);
	ASSERT_EQ(0, LOAD());
	ASSERT_EQ(0, self->r.copy);
	ASSERT_TRUE(self->r.torn);
	ASSERT_EQ(0, self->sso[1].flags);
}

/* Test Case: session names - empty, unterminated, junk after the NUL */
TEST_F(luo, session_name)
{
	struct vmkeep_luo_session *e;
	u32 copy, i;

	std_set(self);
	for (i = 0; i < 3; i++) {
		store(self);
		for (copy = 0; copy < 2; copy++) {
			e = SESS(copy, 1);
			if (i == 0)
				memset(e->name, 0, sizeof(e->name));
			else if (i == 1)
				memset(e->name, 'n', sizeof(e->name));
			else
				e->name[40] = 'j';
			reseal(self, copy);
		}
		ASSERT_EQ(1, LOAD()) TH_LOG("case %u", i);
		ASSERT_QUARANTINED(1, VMKEEP_Q_NAME);
		ASSERT_STREQ("!bad-1", self->sso[1].name);
		ASSERT_OTHERS_SOUND(1, ~0U);
	}
	/* 63 bytes of any value but NUL are a name */
	memset(self->ss[2].name, 0xff, VMKEEP_LUO_NAME_LEN - 1);
	store(self);
	ASSERT_EQ(0, LOAD());
	ASSERT_SOUND(2);
}

/*
 * Test Case: two sessions of one name are both quarantined; a consumed
 * one or one quarantined before takes no part
 */
TEST_F(luo, session_name_dup)
{
	std_set(self);
	set_name(&self->ss[2], "systemd");
	store(self);
	ASSERT_EQ(2, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_NAME);
	ASSERT_QUARANTINED(2, VMKEEP_Q_NAME);
	ASSERT_OTHERS_SOUND(0, 2);

	set_name(&self->ss[2], "old");	/* as the consumed one */
	store(self);
	ASSERT_EQ(0, LOAD());

	set_name(&self->ss[2], "vm-a");
	self->ss[2].quarantine = VMKEEP_Q_LUO_DATA;
	store(self);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(2, VMKEEP_Q_LUO_DATA);
	ASSERT_SOUND(1);
}

/* Test Case: session fields - flags, reserved bytes, a stray reason */
TEST_F(luo, session_fields)
{
	struct vmkeep_luo_session *e;
	u32 copy, i;

	std_set(self);
	for (i = 0; i < 3; i++) {
		store(self);
		for (copy = 0; copy < 2; copy++) {
			e = SESS(copy, 4);
			if (i == 0)
				e->flags |= htole32(1U << 2);
			else if (i == 1)
				e->reserved[11] = 1;
			else
				e->quarantine = htole32(VMKEEP_Q_CRC);
			reseal(self, copy);
		}
		ASSERT_EQ(1, LOAD()) TH_LOG("case %u", i);
		ASSERT_QUARANTINED(4, VMKEEP_Q_FIELD);
		ASSERT_OTHERS_SOUND(4, ~0U);
	}
}

/* Test Case: a stored quarantine keeps its reason; an unknown one is FIELD */
TEST_F(luo, session_stored_quarantine)
{
	std_set(self);
	self->ss[1].quarantine = VMKEEP_Q_LUO_REGION;
	self->ss[3].quarantine = VMKEEP_Q_CRC;	/* consumed wins */
	store(self);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(1, VMKEEP_Q_LUO_REGION);
	ASSERT_EQ(VMKEEP_LUO_F_CONSUMED, self->sso[3].flags);
	ASSERT_EQ(0, self->sso[3].quarantine);

	self->ss[1].quarantine = 99;
	store(self);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(1, VMKEEP_Q_FIELD);
	ASSERT_OTHERS_SOUND(1, 3);
}

/*
 * Test Case: session slices - past the file table, or sharing files with
 * another session (a consumed one too, which is not counted)
 */
TEST_F(luo, session_slices)
{
	std_set(self);
	self->ss[2].first_file = 7;
	self->ss[2].nr_files = 1;		/* past the end */
	store(self);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(2, VMKEEP_Q_EXTENT);
	ASSERT_EQ(0, self->sso[2].nr_files);
	ASSERT_TRUE(self->sso[2].flags & VMKEEP_FMT_UNTRUSTED);
	ASSERT_OTHERS_SOUND(2, ~0U);

	self->ss[2].first_file = ~0U;		/* wraps in 32 bits */
	self->ss[2].nr_files = 2;
	store(self);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(2, VMKEEP_Q_EXTENT);

	self->ss[2].first_file = 4;		/* vm-a's second file */
	self->ss[2].nr_files = 1;
	store(self);
	ASSERT_EQ(2, LOAD());
	ASSERT_QUARANTINED(1, VMKEEP_Q_EXTENT);
	ASSERT_QUARANTINED(2, VMKEEP_Q_EXTENT);
	ASSERT_OTHERS_SOUND(1, 2);

	self->ss[2].first_file = 5;		/* the consumed one's file */
	store(self);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(2, VMKEEP_Q_EXTENT);
	ASSERT_EQ(0, self->sso[3].quarantine);
	ASSERT_OTHERS_SOUND(2, 3);
}

/* Case @c of file_fields on file record @e */
static void file_case(struct vmkeep_luo_file *e, u32 c)
{
	switch (c) {
	case 0:
		e->kind = htole16(0);
		break;
	case 1:
		e->kind = htole16(3);
		break;
	case 2:
		e->flags = htole16(2);			/* unknown */
		break;
	case 3:
		e->reserved[3] = 1;
		break;
	case 4:
		e->region_id = htole64(1);		/* memfd */
		break;
	case 5:
		e->flags = htole16(VMKEEP_LUO_F_GONE);	/* memfd */
		break;
	case 6:
		e->pos = htole64(1);			/* region */
		break;
	case 7:
		e->region_id = 0;			/* region */
		break;
	case 8:
		e->pos = htole64(1ULL << 63);		/* memfd */
		break;
	case 9:
		e->data_crc = htole32(1);		/* region */
		break;
	case 10:
		e->seals = htole32(1);			/* region */
		break;
	default:
		e->nr_runs = htole32(1);		/* region */
	}
}

/* Test Case: file fields of each kind, and tokens unique in a session */
TEST_F(luo, file_fields)
{
	/* each case's file: memfds 0 (systemd's) and 3, regions 2 and 4 */
	static const u32 at[] = { 0, 3, 2, 4, 0, 3, 2, 4, 0, 2, 2, 4 };
	u32 copy, c, sess;

	std_set(self);
	for (c = 0; c < ARRAY_SIZE(at); c++) {
		sess = at[c] < 3 ? 0 : 1;
		store(self);
		for (copy = 0; copy < 2; copy++) {
			file_case(FILE_(copy, at[c]), c);
			reseal(self, copy);
		}
		ASSERT_EQ(1, LOAD()) TH_LOG("case %u", c);
		ASSERT_QUARANTINED(sess, VMKEEP_Q_FIELD);
		ASSERT_OTHERS_SOUND(sess, ~0U);
	}

	/* a region that was freed before the kexec is a sound record */
	self->fs[2].flags = VMKEEP_LUO_F_GONE;
	store(self);
	ASSERT_EQ(0, LOAD());
	ASSERT_SOUND(0);

	self->fs[2].token = 1;			/* systemd's memfd's */
	store(self);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_FIELD);
	ASSERT_OTHERS_SOUND(0, ~0U);
}

/*
 * Test Case: a memfd's runs - slice bounds, shared between files, their
 * sum, alignment, length, data bounds, overflow, overlap
 */
TEST_F(luo, memfd_runs)
{
	struct vmkeep_luo_fil *f0 = &self->fs[0], *f3 = &self->fs[3];
	struct vmkeep_luo_span *r0 = &self->rs[0];

	std_set(self);
	f0->nr_runs = 7;			/* past the run table */
	store(self);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_EXTENT);
	ASSERT_EQ(0, self->fso[0].nr_runs);
	ASSERT_OTHERS_SOUND(0, ~0U);
	f0->nr_runs = 2;

	f3->first_run = 1;			/* shares run 1 with file 0 */
	f3->nr_runs = 2;
	store(self);
	ASSERT_EQ(2, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_EXTENT);
	ASSERT_QUARANTINED(1, VMKEEP_Q_EXTENT);
	ASSERT_OTHERS_SOUND(0, 1);
	f3->first_run = 2;
	f3->nr_runs = 1;

	f0->size = 3 * PG;			/* two pages of runs */
	store(self);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_EXTENT);
	f0->size = 2 * PG;			/* exactly: sound */
	store(self);
	ASSERT_EQ(0, LOAD());
	f0->size = 5000;

	r0->offset += 512;			/* not page aligned */
	store(self);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_EXTENT);
	r0->offset -= 512;

	r0->offset = DATA0 - PG;		/* before the data */
	store(self);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_EXTENT);

	r0->offset = DATA0 + DATA_LEN - PG;	/* across its end */
	r0->length = 2 * PG;
	self->rs[1].length = 0;			/* and an empty run */
	store(self);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_EXTENT);

	r0->offset = -PG;			/* wraps */
	self->rs[1].length = PG;
	store(self);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_EXTENT);
	ASSERT_OTHERS_SOUND(0, ~0U);

	r0->offset = self->rs[2].offset + PG;	/* inside vm-a's run */
	r0->length = PG;
	store(self);
	ASSERT_EQ(2, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_OVERLAP);
	ASSERT_QUARANTINED(1, VMKEEP_Q_OVERLAP);
	ASSERT_OTHERS_SOUND(0, 1);

	r0->offset = self->rs[1].offset;	/* its own other run */
	store(self);
	ASSERT_EQ(1, LOAD());
	ASSERT_QUARANTINED(0, VMKEEP_Q_OVERLAP);

	r0->offset = self->rs[3].offset;	/* the consumed one's run */
	store(self);
	ASSERT_EQ(0, LOAD());
}

/*
 * Test Case: a record that fails its checksum is taken from the twin,
 * whichever of session, file and runs the damage hit in the active copy
 */
TEST_F(luo, repair)
{
	u32 k;

	std_set(self);
	for (k = 0; k < 3; k++) {
		store(self);
		/* damage in both copies (both torn), elsewhere in copy 1 */
		SESS(1, 4)->name[1] ^= 1;
		if (k == 0)
			SESS(0, 1)->name[0] ^= 4;
		else if (k == 1)
			FILE_(0, 3)->size ^= htole64(PG);
		else
			RUN(0, 2)->offset ^= htole64(1ULL << 40);
		ASSERT_EQ(0, LOAD()) TH_LOG("case %u", k);
		ASSERT_EQ(0, self->r.copy);
		ASSERT_TRUE(self->r.torn);
		ASSERT_OTHERS_SOUND(~0U, ~0U);
		ASSERT_TRUE(self->sso[1].flags & VMKEEP_FMT_REPAIRED);
		ASSERT_EQ(k > 0, !!(self->fso[3].flags & VMKEEP_FMT_REPAIRED));
		ASSERT_FALSE(self->sso[0].flags & VMKEEP_FMT_REPAIRED);
		ASSERT_FALSE(self->sso[4].flags & VMKEEP_FMT_REPAIRED);
	}
}

/*
 * Test Case: no repair from a copy of another generation (a rewrite cut
 * short), nor when both copies are damaged at the same record: that
 * session alone is quarantined, with a printable name
 */
TEST_F(luo, no_repair)
{
	u32 copy;

	std_set(self);
	store(self);
	self->w.generation = 2;
	write_copy(self, 1);
	SESS(1, 0)->first_file ^= htole32(1);
	ASSERT_EQ(1, LOAD());
	ASSERT_EQ(1, self->r.copy);
	ASSERT_FALSE(self->r.twin);
	ASSERT_QUARANTINED(0, VMKEEP_Q_CRC);
	ASSERT_STREQ("systemd", self->sso[0].name);
	ASSERT_EQ(0, self->sso[0].nr_files);
	ASSERT_OTHERS_SOUND(0, ~0U);

	store(self);
	for (copy = 0; copy < 2; copy++) {
		SESS(copy, 1)->name[2] = '\n';
		RUN(copy, 4)->length ^= htole64(PG);
		FILE_(copy, 5)->kind ^= htole16(8);	/* consumed: no matter */
	}
	ASSERT_EQ(2, LOAD());
	ASSERT_QUARANTINED(1, VMKEEP_Q_CRC);
	ASSERT_STREQ("!bad-1", self->sso[1].name);
	ASSERT_QUARANTINED(4, VMKEEP_Q_CRC);
	ASSERT_EQ(0, self->fso[6].nr_runs);
	ASSERT_TRUE(self->fso[5].flags & VMKEEP_FMT_UNTRUSTED);
	ASSERT_EQ(0, self->sso[3].quarantine);
	ASSERT_SOUND(0);
	ASSERT_SOUND(2);
}

/* The repair units of the standard set's records, and who owns them. */
struct unit {
	u32 table, first, nr;	/* records [first, first + nr) of a table */
	u32 sess;		/* the session it belongs to */
};

static u32 units(struct _test_data_luo *t, struct unit *u)
{
	u32 n = 0, i, f;

	for (i = 0; i < t->w.nr_sessions; i++) {
		u[n++] = (struct unit){ 0, i, 1, i };
		for (f = t->ss[i].first_file;
		     f < t->ss[i].first_file + t->ss[i].nr_files; f++) {
			u[n++] = (struct unit){ 1, f, 1, i };
			if (t->fs[f].nr_runs)
				u[n++] = (struct unit){ 2, t->fs[f].first_run,
							t->fs[f].nr_runs, i };
		}
	}
	return n;
}

static size_t unit_bytes(const struct unit *u)
{
	return u->nr * (u->table == 0 ? VMKEEP_LUO_SESSION_SIZE :
			u->table == 1 ? VMKEEP_LUO_FILE_SIZE :
					VMKEEP_LUO_RUN_SIZE);
}

struct flips {
	u32 flips, lost, other_copy, repaired, wrong;
};

/*
 * Reads the tables after flips and counts: live sessions that did not
 * come back as written (but @expect, which must come back quarantined
 * for its checksum), reads of copy 1, sessions repaired, and anything
 * else quarantined that should not be.
 */
static void tally(struct _test_data_luo *t, struct flips *fl, u32 expect)
{
	int n = load(t);
	u32 i;

	fl->flips++;
	if (n < 0) {
		for (i = 0; i < t->w.nr_sessions; i++)
			fl->lost += !(t->ss[i].flags & VMKEEP_LUO_F_CONSUMED);
		return;
	}
	fl->other_copy += t->r.copy;
	for (i = 0; i < t->w.nr_sessions; i++) {
		fl->repaired += !!(t->sso[i].flags & VMKEEP_FMT_REPAIRED);
		if (i == expect) {
			fl->wrong += t->sso[i].quarantine != VMKEEP_Q_CRC;
			continue;
		}
		if (t->ss[i].flags & VMKEEP_LUO_F_CONSUMED)
			fl->wrong += !!t->sso[i].quarantine;
		else
			fl->lost += !sound(t, i);
	}
	fl->wrong += (u32)n != (expect != ~0U);
}

/*
 * Test Case: every bit of copy 0 flipped alone loses no session (copy 1
 * read, or the record repaired); so does every bit of its records with a
 * bit of another record's flipped in copy 1 (the record repaired)
 */
TEST_F(luo, bitflip_sweep)
{
	struct unit u[32];
	struct flips one = {}, two = {};
	u32 n, k, j, bit;
	size_t len, b;
	u8 *p, *q;

	std_set(self);
	store(self);
	n = units(self, u);
	len = vmkeep_luo_copy_bytes(5, 7, 6);
	for (b = 0; b < len; b++) {
		for (bit = 0; bit < 8; bit++) {
			self->area[b] ^= 1U << bit;
			tally(self, &one, ~0U);
			self->area[b] ^= 1U << bit;
		}
	}
	for (k = 0; k < n; k++) {
		/* a bit of the next unit's first record in copy 1 */
		q = rec(self, 1, u[(k + 1) % n].table, u[(k + 1) % n].first);
		p = rec(self, 0, u[k].table, u[k].first);
		for (j = 0; j < unit_bytes(&u[k]) * 8; j++) {
			p[j / 8] ^= 1U << (j % 8);
			q[j % 16] ^= 1U << (j / 16 % 8);
			tally(self, &two, ~0U);
			p[j / 8] ^= 1U << (j % 8);
			q[j % 16] ^= 1U << (j / 16 % 8);
		}
	}
	ksft_print_msg("luo bit-flip sweep, one copy: %u flips, %u sessions lost, %u reads of copy 1, %u sessions repaired, %u wrong\n",
		       one.flips, one.lost, one.other_copy, one.repaired,
		       one.wrong);
	ksft_print_msg("luo bit-flip sweep, other records of both copies: %u flips, %u sessions lost, %u reads of copy 1, %u sessions repaired, %u wrong\n",
		       two.flips, two.lost, two.other_copy, two.repaired,
		       two.wrong);
	EXPECT_EQ(0U, one.lost);
	EXPECT_EQ(0U, one.wrong);
	EXPECT_EQ(0U, two.lost);
	EXPECT_EQ(0U, two.wrong);
}

/*
 * Test Case: the same bit of one record flipped in both copies costs its
 * own session (quarantined for its checksum) and no other; a consumed
 * session's files cost nothing
 */
TEST_F(luo, bitflip_both_copies)
{
	struct flips fl = {};
	struct unit u[32];
	u32 n, k, j, expect;
	u8 *p, *q;

	std_set(self);
	store(self);
	n = units(self, u);
	for (k = 0; k < n; k++) {
		p = rec(self, 0, u[k].table, u[k].first);
		q = rec(self, 1, u[k].table, u[k].first);
		expect = u[k].sess;
		if (self->ss[expect].flags & VMKEEP_LUO_F_CONSUMED &&
		    u[k].table)
			expect = ~0U;
		for (j = 0; j < unit_bytes(&u[k]) * 8; j++) {
			p[j / 8] ^= 1U << (j % 8);
			q[j / 8] ^= 1U << (j % 8);
			tally(self, &fl, expect);
			/* a name the record's checksum no longer vouches for */
			if (!u[k].table)
				ASSERT_TRUE(printable(self->sso[expect].name));
			p[j / 8] ^= 1U << (j % 8);
			q[j / 8] ^= 1U << (j % 8);
		}
	}
	ksft_print_msg("luo bit-flip sweep, same record of both copies: %u flips, %u other sessions lost, %u wrong\n",
		       fl.flips, fl.lost, fl.wrong);
	EXPECT_EQ(0U, fl.lost);
	EXPECT_EQ(0U, fl.wrong);
}

/*
 * Test Case: tables of any shape the header admits decode within the
 * scratch the header asks for: all records zero, all 0xff
 */
TEST_F(luo, garbage_records)
{
	struct vmkeep_luo_header *h;
	u32 copy;
	int n;

	std_set(self);
	store(self);
	for (copy = 0; copy < 2; copy++) {
		self->w.nr_sessions = copy ? 2000 : 5000;
		self->w.nr_files = copy ? 5000 : 2000;
		self->w.nr_runs = 20000;
		memset(rec(self, 0, 0, 0), copy ? 0xff : 0,
		       COPY - VMKEEP_LUO_HEADER_SIZE);
		vmkeep_luo_end(self->area, 0, &self->w);
		h = hdr(self, 0);
		h->generation = htole64(5);
		fix_hdr(h);
		n = LOAD();
		ASSERT_EQ(0, self->r.copy);
		ASSERT_EQ((int)self->w.nr_sessions, n);
	}
}

TEST_HARNESS_MAIN
