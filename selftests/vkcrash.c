// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vkcrash - crash injection at every metadata write step (plans
 * crash.plan, the full walk, and crash-sample.plan, a sample of it).
 *
 * Each boot (stage S) checks the crash point of the boot before, then
 * sets up point S and triggers it: debugfs vmkeep/crash_after_write = N
 * (or the module parameter for the load-time commit) makes the module
 * stop writing metadata after write step N of the next update, as if the
 * machine had stopped there; the plan then kexecs at once, and the next
 * boot reads the pool as the next kernel would.  The steps of an update:
 * invalidate the inactive header, write each entry, write the header,
 * write the magic.  The operations: ALLOC, FREE, FREEZE, the clean mark
 * (reboot notifier, during the kexec) and the load-time commit, on a pool
 * of three regions (ck-log, ck-a, ck-b); FINISH writes no metadata, which
 * is checked at every boot.
 *
 *   vkcrash SIZE@ADDR check [all|sample]   module not loaded: the pool
 *                           holds exactly the state before or after the
 *                           interrupted update, never a third, and every
 *                           region has its bytes
 *   vkcrash SIZE@ADDR run [all|sample]     set up and trigger point S
 *
 * ck-log's first bytes keep what a check needs across the kexec: the
 * point, the state before it and the tally so far.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <vmkeep/format.h>
#include "vmkeep_util.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

enum op { OP_ALLOC, OP_FREE, OP_FREEZE, OP_CLEAN, OP_LOAD, NR_OPS };
static const char * const op_name[] = {
	"ALLOC", "FREE", "FREEZE", "clean mark", "load commit",
};
/* Write steps of each update on three regions (ALLOC writes four). */
static const unsigned int op_steps[] = { 7, 5, 6, 6, 6 };

struct point {
	enum op op;
	unsigned int n;
};

/* One from each kind of step of each operation. */
static const struct point sample[] = {
	{ OP_ALLOC, 3 }, { OP_ALLOC, 7 }, { OP_FREE, 4 }, { OP_FREEZE, 1 },
	{ OP_CLEAN, 5 }, { OP_LOAD, 4 },
};

#define LOG_MAGIC	0x676f6c6873617263ULL	/* "crashlog" */
#define MAX_OLD		8

struct log {
	uint64_t magic;
	uint32_t point;		/* 1-based, 0 before the first */
	uint32_t op;
	uint32_t n;
	uint32_t flags0;
	uint64_t gen0;
	uint64_t handoffs0;
	uint32_t nr_old;
	uint32_t nr_old_state;	/* tally: points that left the old state */
	uint32_t nr_new_state;	/* ... the new state */
	uint32_t nr_torn;
	uint64_t old_ids[MAX_OLD];
	char old_names[MAX_OLD][16];
};

static const char * const base_names[] = { "ck-log", "ck-a", "ck-b" };

static uint64_t pool_base, pool_size;
static int stage;

static unsigned int nr_points(bool all)
{
	unsigned int i, n = 0;

	if (!all)
		return NELEM(sample);
	for (i = 0; i < NR_OPS; i++)
		n += op_steps[i];
	return n;
}

/* Point @k (1-based) of the walk. */
static struct point point_of(bool all, unsigned int k)
{
	struct point p = { OP_ALLOC, 0 };
	unsigned int i;

	if (!all)
		return sample[k - 1];
	for (i = 0; i < NR_OPS; i++) {
		if (k <= op_steps[i]) {
			p.op = i;
			p.n = k;
			return p;
		}
		k -= op_steps[i];
	}
	return p;
}

static void die(const char *what)
{
	printf("vkcrash: %s\n", what);
	exit(1);
}

static unsigned char *map_pool(void)
{
	unsigned char *m;
	int fd = open("/dev/mem", O_RDWR | O_SYNC);

	if (fd < 0)
		die("cannot open /dev/mem");
	m = mmap(NULL, pool_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 pool_base);
	close(fd);
	if (m == MAP_FAILED)
		die("cannot map the pool through /dev/mem");
	return m;
}

/* The pool as the next kernel reads it; quarantined count or -1. */
static int decode(unsigned char *m, struct vmkeep_fmt_pool *p,
		  struct vmkeep_fmt_region *r)
{
	static struct vmkeep_fmt_span spans[64 * VMKEEP_FMT_MAX_EXTENTS];

	memset(p, 0, sizeof(*p));
	p->base = pool_base;
	p->size = pool_size;
	p->page_shift = 21;
	vmkeep_fmt_read(m, p);
	if (p->state != VMKEEP_POOL_READY || p->nr_entries > 64)
		return -1;
	return vmkeep_fmt_regions(m, p, r, spans);
}

static const struct vmkeep_fmt_region *by_name(const struct vmkeep_fmt_region *r,
					       unsigned int n, const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(r[i].name, name))
			return &r[i];
	return NULL;
}

static struct log *log_of(unsigned char *m, const struct vmkeep_fmt_region *r,
			  unsigned int n)
{
	const struct vmkeep_fmt_region *l = by_name(r, n, "ck-log");
	struct log *log;

	if (!l || !l->nr_extents)
		die("no ck-log region in the pool");
	log = (struct log *)(m + l->extents[0].offset);
	if (log->magic != LOG_MAGIC)
		die("ck-log holds no record");
	return log;
}

/* Every word the pattern wrote is there, read through the pool itself. */
static bool bytes_intact(unsigned char *m, const struct vmkeep_fmt_region *r)
{
	uint64_t off, at, in;
	unsigned int i;

	for (off = 0; off < r->length; off += 4096) {
		for (i = 0, in = off; i < r->nr_extents; i++) {
			if (in < r->extents[i].length)
				break;
			in -= r->extents[i].length;
		}
		if (i == r->nr_extents)
			return false;
		at = r->extents[i].offset + in;
		if (*(uint64_t *)(m + at) != vk_pattern(r->name, off))
			return false;
	}
	return true;
}

/* The regions as they must be after @op: old ones, minus or plus one. */
static bool same_set(const struct log *log, const struct vmkeep_fmt_region *r,
		     unsigned int n, bool after)
{
	unsigned int i, want = log->nr_old;
	const struct vmkeep_fmt_region *x;

	if (after && log->op == OP_ALLOC) {
		want++;
		if (!by_name(r, n, "ck-c"))
			return false;
	}
	if (after && log->op == OP_FREE)
		want--;
	if (n != want)
		return false;
	for (i = 0; i < log->nr_old; i++) {
		x = by_name(r, n, log->old_names[i]);
		if (after && log->op == OP_FREE &&
		    !strcmp(log->old_names[i], "ck-b")) {
			if (x)
				return false;
			continue;
		}
		if (!x || x->id != log->old_ids[i])
			return false;
	}
	return true;
}

static int cmd_check(bool all)
{
	static struct vmkeep_fmt_region r[64];
	struct vmkeep_fmt_pool p;
	unsigned char *m = map_pool();
	unsigned int i;
	const char *state = NULL;
	struct log *log;
	bool old, new;
	int q = decode(m, &p, r);
	const struct vmkeep_fmt_region *c;

	if (q < 0)
		die("TORN: the pool is not ready");
	log = log_of(m, r, p.nr_entries);
	/*
	 * The one quarantine allowed: ALLOC's region, stored uncleared and
	 * so never handed out after a crash (kmod/vmkeep_zero.c).
	 */
	c = by_name(r, p.nr_entries, "ck-c");
	if (q && !(q == 1 && log->op == OP_ALLOC && c &&
		   c->quarantine == VMKEEP_Q_UNCLEARED))
		die("TORN: a region is quarantined");
	if (log->point != (unsigned int)stage - 1)
		die("ck-log is not from the stage before");
	old = p.generation == log->gen0 && p.flags == log->flags0 &&
	      p.handoffs == log->handoffs0 && same_set(log, r, p.nr_entries, false);
	new = p.generation == log->gen0 + 1 &&
	      p.flags == (log->op == OP_CLEAN ? VMKEEP_FMT_CLEAN : 0) &&
	      p.handoffs == log->handoffs0 + (log->op == OP_CLEAN) &&
	      same_set(log, r, p.nr_entries, true);
	if (old)
		state = "old";
	else if (new)
		state = "new";
	for (i = 0; i < p.nr_entries; i++)
		if (strcmp(r[i].name, "ck-log") && !r[i].quarantine &&
		    !bytes_intact(m, &r[i]))
			state = NULL;
	printf("# crash point %u: %s, stopped after write step %u of %u: %s state (generation %llu, was %llu, %u regions)\n",
	       log->point, op_name[log->op], log->n, op_steps[log->op],
	       state ?: "TORN", (unsigned long long)p.generation,
	       (unsigned long long)log->gen0, p.nr_entries);
	log->nr_old_state += old;
	log->nr_new_state += !old && state;
	log->nr_torn += !state;
	if (log->point == nr_points(all))
		printf("# crash points: %u tried, %u old state, %u new state, %u torn\n",
		       log->point, log->nr_old_state, log->nr_new_state,
		       log->nr_torn);
	msync(m, pool_size, MS_SYNC);
	return state ? 0 : 1;
}

static void fill(int dev, const char *name)
{
	uint64_t off, w;
	int fd = vk_get(dev, name);

	if (fd < 0)
		die("cannot open a region");
	for (off = 0; off < 2 * MiB; off += 4096) {
		w = vk_pattern(name, off);
		if (pwrite(fd, &w, 8, off) != 8)
			die("pwrite");
	}
	close(fd);
}

static void make(int dev, const char *name)
{
	int fd = vk_alloc(dev, name, 2 * MiB, 0);

	if (fd < 0)
		die("ALLOC failed");
	close(fd);
	fill(dev, name);
}

static void arm(unsigned int n)
{
	FILE *f = fopen("/sys/kernel/debug/vmkeep/crash_after_write", "w");

	if (!f || fprintf(f, "%u\n", n) < 0 || fclose(f))
		die("cannot write debugfs vmkeep/crash_after_write");
}

/* "N steps S crashed C" */
static void knob(unsigned int *steps, int *crashed)
{
	FILE *f = fopen("/sys/kernel/debug/vmkeep/crash_after_write", "r");
	unsigned int n;

	if (!f || fscanf(f, "%u steps %u crashed %d", &n, steps, crashed) != 3)
		die("cannot read debugfs vmkeep/crash_after_write");
	fclose(f);
}

/* The record of the point, written into ck-log before the crash. */
static void record(struct log *log, unsigned int k, struct point pt,
		   const struct log *tally)
{
	log->magic = LOG_MAGIC;
	log->point = k;
	log->op = pt.op;
	log->n = pt.n;
	log->nr_old_state = tally->nr_old_state;
	log->nr_new_state = tally->nr_new_state;
	log->nr_torn = tally->nr_torn;
}

static int cmd_run(bool all)
{
	struct vmkeep_freeze fr = { .size = sizeof(fr) };
	struct vmkeep_thaw th = { .size = sizeof(th) };
	static struct vmkeep_fmt_region r[64];
	unsigned int k = stage, i, steps;
	struct vmkeep_region_info *info;
	struct vmkeep_pool_info pool;
	struct log log = {}, tally = {};
	struct vmkeep_fmt_pool p;
	struct point pt;
	unsigned char *m;
	uint32_t n;
	char cmd[160];
	int dev, fd, crashed;

	if (k > nr_points(all))
		return 0;
	pt = point_of(all, k);
	if (k > 1) {
		m = map_pool();
		if (decode(m, &p, r) < 0)
			die("pool not ready");
		tally = *log_of(m, r, p.nr_entries);
		munmap(m, pool_size);
	}

	if (pt.op == OP_LOAD) {
		/* The regions are those of the clean-mark points: as set up. */
		m = map_pool();
		if (decode(m, &p, r))
			die("pool not sound");
		record(&log, k, pt, &tally);
		log.gen0 = p.generation;
		log.flags0 = p.flags;
		log.handoffs0 = p.handoffs;
		log.nr_old = p.nr_entries;
		for (i = 0; i < p.nr_entries && i < MAX_OLD; i++) {
			log.old_ids[i] = r[i].id;
			snprintf(log.old_names[i], sizeof(log.old_names[i]), "%s", r[i].name);
		}
		memcpy(log_of(m, r, p.nr_entries), &log, sizeof(log));
		msync(m, pool_size, MS_SYNC);
		snprintf(cmd, sizeof(cmd),
			 "insmod /lib/modules/$(uname -r)/extra/vmkeep.ko pools=%lluM@%#llx crash_after_write=%u",
			 (unsigned long long)(pool_size >> 20),
			 (unsigned long long)pool_base, pt.n);
		/* The pool loads foreign: its load-time write comes with TRUST. */
		if (system(cmd) || system("vmkeepctl load >/dev/null"))
			die("insmod failed");
		knob(&steps, &crashed);
		printf("# crash point %u: %s, stop after write step %u: %s\n", k,
		       op_name[pt.op], pt.n, crashed ? "stopped" : "NOT REACHED");
		return crashed ? 0 : 1;
	}

	if (system("vmkeepctl load >/dev/null"))
		die("modprobe failed");
	dev = vk_open();
	if (dev < 0)
		die("no /dev/vmkeep");
	if (k == 1) {
		/* vmkeepctl keeps the pool's identity for the loads to come. */
		if (system("vmkeepctl format --pool 0 --force >/dev/null"))
			die("FORMAT failed");
		for (i = 0; i < NELEM(base_names); i++)
			make(dev, base_names[i]);
	}

	/* FINISH writes no metadata: not one write step. */
	arm(1);
	if (vk_finish(dev, NULL, VMKEEP_FINISH_ALL))
		die("FINISH failed");
	knob(&steps, &crashed);
	if (steps || crashed)
		die("FINISH wrote metadata");
	arm(0);

	/* The same three regions before every point. */
	vk_free(dev, "ck-c");
	if (vk_find(dev, "ck-b", &(struct vmkeep_region_info){}))
		make(dev, "ck-b");
	/*
	 * A new region is stored uncleared until its memory is cleared
	 * (kmod/vmkeep_zero.c): FREEZE waits for that, so that no point
	 * but ALLOC's own meets an uncleared region.
	 */
	if (vk_ioctl(dev, VMKEEP_IOC_FREEZE, &fr) ||
	    vk_ioctl(dev, VMKEEP_IOC_THAW, &th))
		die("FREEZE and THAW failed");
	if (vk_pool(dev, 0, &pool))
		die("STATUS failed");
	info = vk_list(dev, &n);
	if (!info || n != NELEM(base_names) || n > MAX_OLD)
		die("not the three regions");
	record(&log, k, pt, &tally);
	log.gen0 = pool.generation;
	log.flags0 = 0;
	log.handoffs0 = pool.handoffs;
	log.nr_old = n;
	for (i = 0; i < n; i++) {
		log.old_ids[i] = info[i].id;
		snprintf(log.old_names[i], sizeof(log.old_names[i]), "%s", info[i].name);
	}
	free(info);
	fd = vk_get(dev, "ck-log");
	if (fd < 0 || pwrite(fd, &log, sizeof(log), 0) != sizeof(log))
		die("cannot write ck-log");
	close(fd);

	arm(pt.n);
	switch (pt.op) {
	case OP_ALLOC:
		make(dev, "ck-c");
		break;
	case OP_FREE:
		if (vk_free(dev, "ck-b"))
			die("FREE failed");
		break;
	case OP_FREEZE: {
		struct vmkeep_freeze fr = { .size = sizeof(fr) };

		if (vk_ioctl(dev, VMKEEP_IOC_FREEZE, &fr))
			die("FREEZE failed");
		break;
	}
	default:
		/* the clean mark: written by the kexec that follows */
		break;
	}
	knob(&steps, &crashed);
	printf("# crash point %u: %s, stop after write step %u: %s\n", k,
	       op_name[pt.op], pt.n,
	       pt.op == OP_CLEAN ? "armed for the kexec" :
	       crashed ? "stopped" : "NOT REACHED");
	close(dev);
	return pt.op == OP_CLEAN || crashed ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *s = getenv("VMKEEP_TEST_STAGE");
	char *at = argc < 3 ? NULL : strchr(argv[1], '@');
	bool all = argc < 4 || strcmp(argv[3], "sample");

	if (!at || !s) {
		fprintf(stderr, "usage: vkcrash SIZE@ADDR check|run [all|sample] (in the test VM)\n");
		return 2;
	}
	pool_size = strtoull(argv[1], NULL, 0) << 20;
	pool_base = strtoull(at + 1, NULL, 0);
	stage = atoi(s);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[2], "check"))
		return stage > 1 && stage <= (int)nr_points(all) + 1 ?
		       cmd_check(all) : 0;
	if (!strcmp(argv[2], "run"))
		return cmd_run(all);
	return 2;
}
