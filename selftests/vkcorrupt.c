// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vkcorrupt - damage a pool's metadata through /dev/mem, as a hostile or
 * broken previous kernel could, and check later that it stayed damaged.
 * The module must be unloaded (it claims the pool while loaded).
 *
 *   vkcorrupt SIZE@ADDR entries    in the active copy: break the checksum
 *                                  of "cr-crc", point "cr-bounds" past
 *                                  the pool, give "cr-ovl-b" the memory
 *                                  of "cr-ovl-a", take the NUL out of
 *                                  "cr-name" (checksums fixed up), and
 *                                  break the inactive header's checksum
 *   vkcorrupt SIZE@ADDR both-crc   break both headers' checksums
 *   vkcorrupt SIZE@ADDR version    active header says version 3 (valid
 *                                  checksum), the other copy is erased
 *   vkcorrupt SIZE@ADDR count      active header has 2^32-1 entries
 *                                  (valid checksum), the other erased
 *   vkcorrupt SIZE@ADDR random     2 MiB of seeded random bytes
 *   vkcorrupt SIZE@ADDR repair     flip a bit of the length of "hf-a" in
 *                                  the active copy, of "hf-b" in both
 *                                  (checksums left wrong)
 *   vkcorrupt SIZE@ADDR forge [legacy]
 *                                  plant metadata no vmkeep wrote, as a
 *                                  tenant of the previous kernel could:
 *                                  valid checksums, an identity of its
 *                                  own (none with "legacy"), region
 *                                  "loot" of uid 1000 over bytes that say
 *                                  "PREVIOUS-KERNEL-SECRET"
 *   vkcorrupt SIZE@ADDR check MODE the damage of MODE is still there
 *
 * Live update sets (format.h, "live update sets"): the tables of set SET
 * are the entry "luo.SET"; a session is named by its record in copy A.
 *   vkcorrupt SIZE@ADDR luo-rec SET NAME a|ab
 *                                  flip the top byte of session NAME's
 *                                  nr_files in copy A (a) or in both
 *                                  copies (ab), checksums left wrong: a
 *                                  reader that believed it would read 2^24
 *                                  more file records
 *   vkcorrupt SIZE@ADDR luo-data SET NAME
 *                                  flip byte 100 of the first memfd of
 *                                  session NAME, in the pool's data pages
 *   vkcorrupt SIZE@ADDR luo-zero SET
 *                                  zero both copies' headers
 *   vkcorrupt SIZE@ADDR check luo-zero SET
 *                                  both headers are still zero
 *
 * The format code is the module's own (format/vmkeep_format.c).
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vmkeep/format.h>
#include <linux/vmkeep.h>

#define COPY(meta, c) ((unsigned char *)(meta) + (c) * VMKEEP_FMT_COPY_SIZE)
#define HDR(meta, c) ((struct vmkeep_fmt_header *)COPY(meta, c))
#define ENTRY(meta, c, i) ((struct vmkeep_fmt_entry *)(COPY(meta, c) + \
	VMKEEP_FMT_HEADER_SIZE + (i) * VMKEEP_FMT_ENTRY_SIZE))

static void fix_header(struct vmkeep_fmt_header *h)
{
	h->crc = 0;
	h->crc = vmkeep_crc32c(0, h, sizeof(*h));
}

static void fix_entry(struct vmkeep_fmt_entry *e)
{
	e->crc = 0;
	e->crc = vmkeep_crc32c(0, e, sizeof(*e));
}

static struct vmkeep_fmt_entry *find(void *meta, const struct vmkeep_fmt_pool *p,
				     const char *name)
{
	unsigned int i;

	for (i = 0; i < p->nr_entries; i++)
		if (!strcmp(ENTRY(meta, p->copy, i)->name, name))
			return ENTRY(meta, p->copy, i);
	fprintf(stderr, "vkcorrupt: no entry '%s'\n", name);
	exit(1);
}

static void random_bytes(unsigned char *buf, size_t len)
{
	uint64_t x = 0x1234567887654321ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = x;
	}
}

/* The entry @name of copy @c, or NULL */
static struct vmkeep_fmt_entry *entry_in(void *meta, int c, const char *name)
{
	unsigned int i, n = HDR(meta, c)->nr_entries;

	for (i = 0; i < n && i < VMKEEP_FMT_MAX_ENTRIES; i++)
		if (!strcmp(ENTRY(meta, c, i)->name, name))
			return ENTRY(meta, c, i);
	return NULL;
}

static int entry_crc_ok(struct vmkeep_fmt_entry *e)
{
	struct vmkeep_fmt_entry x = *e;

	x.crc = 0;
	return vmkeep_crc32c(0, &x, sizeof(x)) == e->crc;
}

/*
 * Nothing was written over either copy: both hold hf-b with its flipped
 * bit, one holds hf-a damaged and the other hf-a intact, as written.
 */
static int both_flipped(void *meta)
{
	struct vmkeep_fmt_entry *e;
	int c, intact = 0, damaged = 0;

	for (c = 0; c < 2; c++) {
		if (HDR(meta, c)->magic != VMKEEP_FMT_MAGIC)
			return 0;
		e = entry_in(meta, c, "hf-b");
		if (!e || e->length != (VMKEEP_FMT_UNIT ^ (1ULL << 30)))
			return 0;
		e = entry_in(meta, c, "hf-a");
		if (!e)
			return 0;
		if (entry_crc_ok(e) && e->length == VMKEEP_FMT_UNIT &&
		    !(e->flags & VMKEEP_FMT_QUARANTINED))
			intact++;
		else if (!entry_crc_ok(e) &&
			 e->length == (VMKEEP_FMT_UNIT ^ (1ULL << 30)))
			damaged++;
	}
	return intact == 1 && damaged == 1;
}

#define SECRET "PREVIOUS-KERNEL-SECRET"

/* The first bytes of the memory a forged region claims. */
static char *forged_bytes(int fd, const struct vmkeep_fmt_pool *p)
{
	char *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       p->base + VMKEEP_FMT_META_SIZE);

	if (b == MAP_FAILED) {
		perror("mmap /dev/mem");
		exit(1);
	}
	return b;
}

static void forge(void *meta, struct vmkeep_fmt_pool *p, int fd, bool legacy)
{
	struct vmkeep_fmt_region r = {
		.id = 1, .length = VMKEEP_FMT_UNIT, .uid = 1000, .gid = 1000,
		.mode = 0600, .nr_extents = 1, .name = "loot",
		.extents = { { VMKEEP_FMT_META_SIZE, VMKEEP_FMT_UNIT } },
	};

	if (!legacy)
		memset(p->id, 0xa5, sizeof(p->id));
	p->page_shift = 21;
	vmkeep_fmt_format(meta, p);
	p->next_id = 2;
	vmkeep_fmt_begin(meta, p);
	vmkeep_fmt_put(meta, p, 0, &r);
	vmkeep_fmt_commit(meta, p, 1, VMKEEP_FMT_CLEAN);
	strcpy(forged_bytes(fd, p), SECRET);
}

/* The forged metadata and bytes are as planted: nothing wrote over them. */
static int forged(void *meta, struct vmkeep_fmt_pool *p, int fd)
{
	p->page_shift = 21;
	vmkeep_fmt_read(meta, p);
	return p->state == VMKEEP_POOL_READY && p->generation == 2 &&
	       p->nr_entries == 1 && !strcmp(ENTRY(meta, p->copy, 0)->name, "loot") &&
	       !strcmp(forged_bytes(fd, p), SECRET);
}

#define LUO_COPY(t, c) ((unsigned char *)(t) + (c) * VMKEEP_LUO_COPY_SIZE)
#define LUO_HDR(t, c) ((struct vmkeep_luo_header *)LUO_COPY(t, c))

/* The tables of live update set @set, mapped; exits when there are none. */
static void *luo_tables(void *meta, const struct vmkeep_fmt_pool *p, int fd,
			const char *set)
{
	struct vmkeep_fmt_entry *e;
	char name[VMKEEP_NAME_LEN];
	void *t;

	snprintf(name, sizeof(name), "luo.%s", set);
	e = find(meta, p, name);
	if (!(e->flags & VMKEEP_FMT_LUO) || e->nr_extents != 1 ||
	    e->extents[0].length < VMKEEP_FMT_UNIT) {
		fprintf(stderr, "vkcorrupt: '%s' is no live update tables entry\n", name);
		exit(1);
	}
	t = mmap(NULL, VMKEEP_FMT_UNIT, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 p->base + e->extents[0].offset);
	if (t == MAP_FAILED) {
		perror("mmap /dev/mem");
		exit(1);
	}
	return t;
}

/* Session @name's record in copy @c, read with copy A's counts. */
static struct vmkeep_luo_session *luo_session(void *t, int c, const char *name)
{
	struct vmkeep_luo_header *h = LUO_HDR(t, 0);
	struct vmkeep_luo_session *s;
	uint32_t i;

	if (h->magic != VMKEEP_LUO_MAGIC) {
		fprintf(stderr, "vkcorrupt: copy A of the tables has no magic\n");
		exit(1);
	}
	for (i = 0; i < h->nr_sessions; i++) {
		s = (void *)(LUO_COPY(t, c) + h->header_size + i * h->session_size);
		if (!strncmp(s->name, name, sizeof(s->name)))
			return s;
	}
	fprintf(stderr, "vkcorrupt: no session '%s'\n", name);
	exit(1);
}

/* Flip byte 100 of session @name's first file, a memfd, in the pool. */
static void luo_flip_data(void *t, const struct vmkeep_fmt_pool *p, int fd,
			  const char *name)
{
	struct vmkeep_luo_session *s = luo_session(t, 0, name);
	struct vmkeep_luo_header *h = LUO_HDR(t, 0);
	unsigned char *files = LUO_COPY(t, 0) + h->header_size +
			       h->nr_sessions * h->session_size;
	struct vmkeep_luo_file *f;
	struct vmkeep_luo_run *r;
	unsigned char *page;

	f = (void *)(files + s->first_file * h->file_size);
	if (f->kind != VMKEEP_LUO_FMT_MEMFD || !f->nr_runs || f->size <= 100) {
		fprintf(stderr, "vkcorrupt: '%s''s first file is no memfd of bytes\n", name);
		exit(1);
	}
	r = (void *)(files + h->nr_files * h->file_size + f->first_run * h->run_size);
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    p->base + r->offset);
	if (page == MAP_FAILED) {
		perror("mmap /dev/mem");
		exit(1);
	}
	page[100] ^= 0xff;
	msync(page, 4096, MS_SYNC);
	printf("vkcorrupt: '%s' token %llu: byte 100 at pool offset %#llx flipped\n",
	       name, (unsigned long long)f->token, (unsigned long long)r->offset);
}

static int luo_damage(void *meta, const struct vmkeep_fmt_pool *p, int fd,
		      int argc, char **argv)
{
	const char *mode = argv[2];
	void *t;
	int c;

	if (argc < 4)
		return 2;
	t = luo_tables(meta, p, fd, argv[3]);
	if (!strcmp(mode, "luo-rec") && argc == 6) {
		for (c = 0; c < (strcmp(argv[5], "ab") ? 1 : 2); c++)
			luo_session(t, c, argv[4])->nr_files ^= 0x01000000;
	} else if (!strcmp(mode, "luo-data") && argc == 5) {
		luo_flip_data(t, p, fd, argv[4]);
	} else if (!strcmp(mode, "luo-zero")) {
		memset(LUO_HDR(t, 0), 0, VMKEEP_LUO_HEADER_SIZE);
		memset(LUO_HDR(t, 1), 0, VMKEEP_LUO_HEADER_SIZE);
	} else {
		fprintf(stderr, "vkcorrupt: bad arguments for '%s'\n", mode);
		return 2;
	}
	msync(t, VMKEEP_FMT_UNIT, MS_SYNC);
	return 0;
}

/* Nothing wrote over the zeroed headers of set @set. */
static int luo_zeroed(void *meta, const struct vmkeep_fmt_pool *p, int fd,
		      const char *set)
{
	static const unsigned char zero[VMKEEP_LUO_HEADER_SIZE];
	void *t;

	vmkeep_fmt_read(meta, (struct vmkeep_fmt_pool *)p);
	if (p->state != VMKEEP_POOL_READY)
		return 0;
	t = luo_tables(meta, p, fd, set);
	return !memcmp(LUO_HDR(t, 0), zero, sizeof(zero)) &&
	       !memcmp(LUO_HDR(t, 1), zero, sizeof(zero));
}

static int check_damage(void *meta, struct vmkeep_fmt_pool *p, int fd,
			const char *mode, const char *arg)
{
	struct vmkeep_fmt_header *a = HDR(meta, 0), *b = HDR(meta, 1);
	unsigned char *buf;
	int ok;

	if (!strcmp(mode, "both-crc")) {
		ok = a->magic && b->magic && a->reserved[0] == 0x5a &&
		     b->reserved[0] == 0x5a;
	} else if (!strcmp(mode, "version")) {
		ok = (a->version == 3 && !b->magic) || (b->version == 3 && !a->magic);
	} else if (!strcmp(mode, "count")) {
		ok = (a->nr_entries == ~0U && !b->magic) ||
		     (b->nr_entries == ~0U && !a->magic);
	} else if (!strcmp(mode, "repair")) {
		ok = both_flipped(meta);
	} else if (!strcmp(mode, "forge")) {
		ok = forged(meta, p, fd);
	} else if (!strcmp(mode, "luo-zero") && arg) {
		ok = luo_zeroed(meta, p, fd, arg);
	} else if (!strcmp(mode, "random")) {
		buf = malloc(VMKEEP_FMT_META_SIZE);
		random_bytes(buf, VMKEEP_FMT_META_SIZE);
		ok = !memcmp(buf, meta, VMKEEP_FMT_META_SIZE);
		free(buf);
	} else {
		fprintf(stderr, "vkcorrupt: no check for '%s'\n", mode);
		return 2;
	}
	printf("vkcorrupt: %s damage %s\n", mode, ok ? "untouched" : "CHANGED");
	return !ok;
}

int main(int argc, char **argv)
{
	struct vmkeep_fmt_pool p = {};
	struct vmkeep_fmt_entry *e;
	char *at;
	void *meta;
	int fd, c;

	at = argc < 3 ? NULL : strchr(argv[1], '@');
	if (!at) {
		fprintf(stderr, "usage: vkcorrupt SIZE@ADDR MODE\n");
		return 2;
	}
	p.size = strtoull(argv[1], NULL, 0) << 20;
	p.base = strtoull(at + 1, NULL, 0);
	p.page_shift = 21;	/* pools of 2 MiB pages */
	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0) {
		perror("/dev/mem");
		return 1;
	}
	meta = mmap(NULL, VMKEEP_FMT_META_SIZE, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, p.base);
	if (meta == MAP_FAILED) {
		perror("mmap /dev/mem");
		return 1;
	}
	if (!strcmp(argv[2], "check"))
		return argc >= 4 ? check_damage(meta, &p, fd, argv[3], argv[4]) : 2;
	if (!strcmp(argv[2], "forge")) {
		forge(meta, &p, fd, argc == 4 && !strcmp(argv[3], "legacy"));
		return 0;
	}
	if (!strcmp(argv[2], "random")) {
		random_bytes(meta, VMKEEP_FMT_META_SIZE);
		return 0;
	}

	vmkeep_fmt_read(meta, &p);
	if (p.state != VMKEEP_POOL_READY) {
		fprintf(stderr, "vkcorrupt: pool metadata not valid (state %u)\n", p.state);
		return 1;
	}
	c = p.copy;
	if (!strncmp(argv[2], "luo-", 4))
		return luo_damage(meta, &p, fd, argc, argv);
	if (!strcmp(argv[2], "entries")) {
		find(meta, &p, "cr-crc")->reserved[3] ^= 1;
		e = find(meta, &p, "cr-bounds");
		e->extents[0].offset = p.size;
		fix_entry(e);
		e = find(meta, &p, "cr-ovl-b");
		e->extents[0] = find(meta, &p, "cr-ovl-a")->extents[0];
		fix_entry(e);
		e = find(meta, &p, "cr-name");
		memset(e->name, 'x', sizeof(e->name));
		fix_entry(e);
		HDR(meta, !c)->crc ^= 1;
	} else if (!strcmp(argv[2], "repair")) {
		/* freeze left both copies alike: the same entries in each */
		find(meta, &p, "hf-a")->length ^= 1ULL << 30;
		find(meta, &p, "hf-b")->length ^= 1ULL << 30;
		e = entry_in(meta, !c, "hf-b");
		if (!e) {
			fprintf(stderr, "vkcorrupt: no hf-b in the other copy\n");
			return 1;
		}
		e->length ^= 1ULL << 30;
	} else if (!strcmp(argv[2], "both-crc")) {
		HDR(meta, 0)->reserved[0] = 0x5a;
		HDR(meta, 1)->reserved[0] = 0x5a;
		HDR(meta, 0)->magic = HDR(meta, 1)->magic = VMKEEP_FMT_MAGIC;
	} else if (!strcmp(argv[2], "version")) {
		HDR(meta, c)->version = 3;
		fix_header(HDR(meta, c));
		memset(HDR(meta, !c), 0, VMKEEP_FMT_HEADER_SIZE);
	} else if (!strcmp(argv[2], "count")) {
		HDR(meta, c)->nr_entries = ~0U;
		fix_header(HDR(meta, c));
		memset(HDR(meta, !c), 0, VMKEEP_FMT_HEADER_SIZE);
	} else {
		fprintf(stderr, "vkcorrupt: unknown mode '%s'\n", argv[2]);
		return 2;
	}
	msync(meta, VMKEEP_FMT_META_SIZE, MS_SYNC);
	return 0;
}
