// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vklife - adversarial stress of region lifetime (DESIGN.md "Object
 * lifetime")
 *
 *   vklife [-n OPS] [-t SECONDS] [-s SEED] [-p PROCS] [-q SECONDS]
 *          [-x OP,OP...] [-m MODULE] [-v]
 *
 * PROCS processes (default 4) under uids 0, 1000, 2000, 1000, 0, 2000...
 * each run a seeded random sequence of operations on regions of the pool:
 * ALLOC, GET, reopen of /proc/self/fd/N (of a region fd or an O_PATH fd),
 * O_PATH opens kept for later, mmap/munmap, vmsplice of a mapped page
 * into a pipe kept until drained, writes of the tag, close, FREE, opens of
 * another process's /proc/PID/fd/N, and as root FORMAT --force,
 * FREEZE/THAW, unload attempts and a quiesce: every process lets go of
 * its files and mappings (and half the time of its O_PATH fds and pipes
 * too), then the module must unload exactly when nothing of it is left,
 * the pool accounting must be exact, and the module is loaded again with
 * the same parameters (its regions come back from the pool metadata).
 *
 * Each region is named "lf-INC-UID" after its incarnation INC (unique in
 * the run) and owner, mode 0600, and the first 8 bytes of each 2 MiB unit
 * hold a tag of INC and the owner.  Invariants, checked after every step:
 *   content     a read through any fd, mapping or pipe shows zeros (only
 *               before its allocator stamped it) or its own tag
 *   access      GET, FREE or /proc/PID/fd/N open of another uid's region
 *               fails (EACCES; ENOENT once freed), and no read by a
 *               non-root uid shows the tag of another uid's region
 *   freed       GET, reopen or /proc/PID/fd/N open of a region known to
 *               be freed fails
 *   unload      delete_module fails while any fd, O_PATH fd, mapping or
 *               pipe page of the module is alive, and works when none is
 *   accounting  with nothing open: free + regions = the pool at start,
 *               debugfs "objects" = regions and "files 0"; at the end,
 *               after FREE of the rest: no region, free as at start,
 *               "objects 0 files 0", and the module unloads
 *   errno       every failure is one the operation may return
 *   workers     every process exits normally
 *
 * Stops after OPS operations per process or SECONDS (default 10),
 * whichever comes first.  Needs root, the module loaded, its pool
 * without regions, and debugfs; /dev/vmkeep is made 0666 for the other
 * uids while it runs.  Prints KTAP: one result per invariant, the
 * operation counts and the seed; exits 1 on any violation.
 */
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include "vmkeep_util.h"

#define UNIT		VMKEEP_ALIGN
#define TAG_MAGIC	0x564bU	/* "VK" in the top 16 bits, then owner, INC */
#define MAX_INC		(1U << 22)
#define RING		64
#define MAX_PROCS	16
#define NOBJ		8
#define MAX_REPORTS	8	/* of each kind, unless -v */
#define MAX_OPS		32
#define PAGE		4096

#define LOAD(p)		__atomic_load_n(p, __ATOMIC_SEQ_CST)
#define STORE(p, v)	__atomic_store_n(p, v, __ATOMIC_SEQ_CST)
#define ADD(p, v)	__atomic_add_fetch(p, v, __ATOMIC_SEQ_CST)
#define E(e)		(1ULL << (e))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum viol {
	V_CONTENT, V_ACCESS, V_FREED, V_UNLOAD, V_ACCOUNT, V_ERRNO, V_WORKER,
	NR_VIOL
};

static const char * const viol_name[NR_VIOL] = {
	"content", "access", "freed", "unload", "accounting", "errno", "workers",
};

/* Something of the module this process holds. */
struct obj {
	bool used;
	bool strict;	/* stamped before it was made: zeros are wrong */
	int fd;		/* a pipe's read end */
	int wfd;	/* a pipe's write end */
	void *map;
	uint64_t len;
	uint64_t inc;	/* the incarnation whose tag it must show */
	uid_t owner;	/* its owner */
	uint64_t unit;	/* a pipe's page: the unit it came from */
};

struct worker {
	unsigned int idx;
	uid_t uid;
	uint64_t rng;
	unsigned long op;
	const char *opname;
	unsigned int qgen;
	struct obj fds[NOBJ];	/* region files (O_RDWR) */
	struct obj paths[NOBJ];	/* O_PATH fds of region files */
	struct obj maps[NOBJ];
	struct obj pipes[NOBJ];
	uint64_t mine[NOBJ];	/* regions it allocated: INC << 16 | owner */
};

/* Shared by all processes (MAP_SHARED): set before fork() or atomic. */
struct shared {
	uint64_t next_inc;
	time_t deadline;
	uint64_t free0;
	unsigned int nprocs;
	unsigned int qgen, qbusy, qowner, qkeep;
	time_t qlast;
	unsigned int reports[NR_VIOL];
	uint64_t unloads;
	uint64_t tried[MAX_OPS], done[MAX_OPS];
	uint64_t viol[NR_VIOL];
	/* per process */
	pid_t pid[MAX_PROCS];
	uid_t uid[MAX_PROCS];
	int64_t alive[MAX_PROCS];	/* fds, O_PATH fds, mappings, pipes */
	unsigned int parked[MAX_PROCS];	/* the quiesce it answered */
	unsigned int gone[MAX_PROCS];	/* exited or died */
	uint64_t pub[MAX_PROCS][NOBJ];	/* its region fds: INC << 16 | fd */
	/* recently allocated regions: INC << 16 | owner */
	uint64_t ring[RING];
	uint8_t freed[MAX_INC / 8];	/* FREE or FORMAT returned */
};

static struct shared *sh;

static struct {
	unsigned long nops;
	unsigned int secs, procs, qsecs;
	uint64_t seed, exclude;
	bool verbose;
	char ko[256];
	char params[512];
} opt = { .secs = 10, .procs = 4, .qsecs = 4 };

static const uid_t uids[] = { 0, 1000, 2000, 1000, 0, 2000 };

static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (write(1, buf, n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1) < 0)
		_exit(3);
}

static void broken(struct worker *w, enum viol v, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	ADD(&sh->viol[v], 1);
	if (ADD(&sh->reports[v], 1) > MAX_REPORTS && !opt.verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("# violation %s: worker %u uid %u op %lu %s: %s\n", viol_name[v],
	    w->idx, w->uid, w->op, w->opname, msg);
}

/* A failure with errno @err: fine when it is one of @allowed. */
static int expect(struct worker *w, int err, uint64_t allowed)
{
	if (err <= 0 || err >= 64 || !(allowed & E(err)))
		broken(w, V_ERRNO, "unexpected errno %d (%s)", err,
		       strerror(err));
	return 0;
}

static uint64_t rnd(struct worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static uint64_t tag(const struct obj *o)
{
	return (uint64_t)TAG_MAGIC << 48 | (uint64_t)o->owner << 32 | o->inc;
}

static void region_name(char *buf, uint64_t inc, uid_t owner)
{
	snprintf(buf, VMKEEP_NAME_LEN, "lf-%llu-%u", (unsigned long long)inc,
		 owner);
}

static void mark_freed(uint64_t inc)
{
	__atomic_fetch_or(&sh->freed[inc / 8], 1 << (inc % 8), __ATOMIC_SEQ_CST);
}

static bool is_freed(uint64_t inc)
{
	return LOAD(&sh->freed[inc / 8]) & (1 << (inc % 8));
}

static void alive(struct worker *w, int n)
{
	ADD(&sh->alive[w->idx], n);
}

/* What anyone still holds: processes that died hold nothing. */
static int64_t alive_total(void)
{
	int64_t n = 0;
	unsigned int i;

	for (i = 0; i < sh->nprocs; i++)
		if (LOAD(&sh->gone[i]) != 2)
			n += LOAD(&sh->alive[i]);
	return n;
}

/* /dev/vmkeep pins the module too; -1 while it is unloaded. */
static int dev_open(struct worker *w)
{
	int dev = vk_open();

	if (dev >= 0)
		alive(w, 1);
	return dev;
}

static void dev_close(struct worker *w, int dev)
{
	alive(w, -1);
	close(dev);
}

static struct obj *free_slot(struct obj *a)
{
	for (int i = 0; i < NOBJ; i++)
		if (!a[i].used)
			return &a[i];
	return NULL;
}

static struct obj *pick(struct worker *w, struct obj *a)
{
	int i, n = 0, k;

	for (i = 0; i < NOBJ; i++)
		n += a[i].used;
	if (!n)
		return NULL;
	k = rnd(w) % n;
	for (i = 0; i < NOBJ; i++)
		if (a[i].used && !k--)
			break;
	return &a[i];
}

static void hold(struct worker *w, struct obj *o, const struct obj *from,
		 int fd)
{
	*o = *from;
	o->used = true;
	o->fd = fd;
	alive(w, 1);
	if (o >= w->fds && o < w->fds + NOBJ)
		STORE(&sh->pub[w->idx][o - w->fds], o->inc << 16 | fd);
}

/* ---- content checks ---- */

static void check_word(struct worker *w, const struct obj *o, uint64_t v,
		       const char *via, uint64_t unit)
{
	uid_t owner = (v >> 32) & 0xffff;

	if (v == tag(o) || (!v && !o->strict))
		return;
	/* Another tenant's memory: an access the owner never allowed. */
	if (v >> 48 == TAG_MAGIC && w->uid && owner != w->uid)
		broken(w, V_ACCESS, "lf-%llu unit %llu through %s shows lf-%llu-%u's tag",
		       (unsigned long long)o->inc, (unsigned long long)unit,
		       via, (unsigned long long)(v & 0xffffffff), owner);
	else if (v >> 48 == TAG_MAGIC)
		broken(w, V_CONTENT, "lf-%llu unit %llu through %s shows lf-%llu-%u's tag",
		       (unsigned long long)o->inc, (unsigned long long)unit,
		       via, (unsigned long long)(v & 0xffffffff), owner);
	else
		broken(w, V_CONTENT, "lf-%llu unit %llu through %s shows %#llx",
		       (unsigned long long)o->inc, (unsigned long long)unit,
		       via, (unsigned long long)v);
}

static void check_fd(struct worker *w, const struct obj *o, const char *via)
{
	uint64_t u, v;

	for (u = 0; u < o->len / UNIT; u++) {
		if (pread(o->fd, &v, 8, u * UNIT) != 8) {
			broken(w, V_ERRNO, "lf-%llu: pread through %s: %s",
			       (unsigned long long)o->inc, via, strerror(errno));
			return;
		}
		check_word(w, o, v, via, u);
	}
}

static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
	siglongjmp(fault_jmp, sig);
}

static void check_map(struct worker *w, const struct obj *o)
{
	volatile uint64_t u;
	int sig;

	for (u = 0; u < o->len / UNIT; u++) {
		sig = sigsetjmp(fault_jmp, 1);
		if (sig) {
			broken(w, V_CONTENT, "lf-%llu unit %llu: signal %d reading the mapping",
			       (unsigned long long)o->inc,
			       (unsigned long long)u, sig);
			return;
		}
		check_word(w, o, *(volatile uint64_t *)((char *)o->map + u * UNIT),
			   "mapping", u);
	}
}

/* ---- letting go ---- */

static void close_fd(struct worker *w, struct obj *o)
{
	if (o >= w->fds && o < w->fds + NOBJ) {
		STORE(&sh->pub[w->idx][o - w->fds], 0);
		check_fd(w, o, "fd");
	}
	alive(w, -1);
	close(o->fd);
	o->used = false;
}

static void unmap(struct worker *w, struct obj *o)
{
	check_map(w, o);
	alive(w, -1);
	munmap(o->map, o->len);
	o->used = false;
}

static void drain(struct worker *w, struct obj *o)
{
	uint64_t buf[PAGE / 8];

	/* Reading the page out of the pipe lets go of it. */
	alive(w, -1);
	if (read(o->fd, buf, PAGE) != PAGE)
		broken(w, V_ERRNO, "lf-%llu: pipe read: %s",
		       (unsigned long long)o->inc, strerror(errno));
	else
		check_word(w, o, buf[0], "pipe", o->unit);
	close(o->fd);
	close(o->wfd);
	o->used = false;
}

/* Files and mappings always; O_PATH fds and pipes unless @keep. */
static void let_go(struct worker *w, bool keep)
{
	for (int i = 0; i < NOBJ; i++) {
		if (w->fds[i].used)
			close_fd(w, &w->fds[i]);
		if (w->maps[i].used)
			unmap(w, &w->maps[i]);
		if (w->paths[i].used && !keep)
			close_fd(w, &w->paths[i]);
		if (w->pipes[i].used && !keep)
			drain(w, &w->pipes[i]);
	}
}

/* ---- region operations ---- */

static int op_alloc(struct worker *w)
{
	struct vmkeep_alloc a = { .size = sizeof(a) };
	struct obj *o = free_slot(w->fds), r = { .strict = true };
	uint64_t u, *mine = NULL;
	int dev, ret, i;

	for (i = 0; i < NOBJ; i++)
		if (!w->mine[i])
			mine = &w->mine[i];
	if (!o || !mine)
		return -1;
	dev = dev_open(w);
	if (dev < 0)
		return -1;
	r.inc = ADD(&sh->next_inc, 1);
	if (r.inc >= MAX_INC) {
		dev_close(w, dev);
		return -1;
	}
	r.len = (1 + rnd(w) % 2) * UNIT;
	r.owner = w->uid;
	a.length = r.len;
	/* Root allocates for any of the uids, the others for themselves. */
	if (!w->uid) {
		a.flags = VMKEEP_ALLOC_OWNER;
		a.uid = uids[rnd(w) % 3];
		a.gid = a.uid;
		r.owner = a.uid;
	}
	region_name(a.name, r.inc, r.owner);
	ret = vk_ioctl(dev, VMKEEP_IOC_ALLOC, &a);
	dev_close(w, dev);
	if (ret)
		return expect(w, -ret, E(ENOSPC) | E(EBUSY) | E(ENODEV));
	for (u = 0; u < r.len / UNIT; u++)
		if (pwrite(a.out_fd, &(uint64_t){ tag(&r) }, 8, u * UNIT) != 8)
			broken(w, V_ERRNO, "%s: stamping: %s", a.name,
			       strerror(errno));
	hold(w, o, &r, a.out_fd);
	*mine = r.inc << 16 | r.owner;
	STORE(&sh->ring[r.inc % RING], *mine);
	return 1;
}

static bool unpack(uint64_t v, uint64_t *inc, uid_t *owner)
{
	*inc = v >> 16;
	*owner = v & 0xffff;
	return v;
}

/* A recently allocated region, perhaps freed since. */
static bool pick_region(struct worker *w, uint64_t *inc, uid_t *owner)
{
	return unpack(LOAD(&sh->ring[rnd(w) % RING]), inc, owner);
}

static int op_get(struct worker *w)
{
	struct vmkeep_get g = { .size = sizeof(g) };
	struct obj *o = free_slot(w->fds), r = {};
	bool mine, freed;
	struct stat st;
	int dev, ret;

	if (!o || !pick_region(w, &r.inc, &r.owner))
		return -1;
	mine = !w->uid || r.owner == w->uid;
	region_name(g.name, r.inc, r.owner);
	dev = dev_open(w);
	if (dev < 0)
		return -1;
	freed = is_freed(r.inc);
	ret = vk_ioctl(dev, VMKEEP_IOC_GET, &g);
	dev_close(w, dev);
	if (ret)
		return expect(w, -ret, mine ? E(ENOENT) : E(ENOENT) | E(EACCES));
	if (!mine)
		broken(w, V_ACCESS, "GET of %s succeeded", g.name);
	if (freed)
		broken(w, V_FREED, "GET of freed %s succeeded", g.name);
	r.len = fstat(g.out_fd, &st) ? 0 : st.st_size;
	hold(w, o, &r, g.out_fd);
	check_fd(w, o, "GET fd");
	return 1;
}

/* Reopen /proc/self/fd/N of a region fd or an O_PATH fd, as QEMU does. */
static int op_reopen(struct worker *w)
{
	bool path = rnd(w) % 2, freed;
	struct obj *from = pick(w, path ? w->paths : w->fds);
	struct obj *o = free_slot(w->fds);
	char proc[64];
	int fd;

	if (!from || !o)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", from->fd);
	freed = is_freed(from->inc);
	fd = open(proc, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return expect(w, errno, E(ENOENT));
	if (freed)
		broken(w, V_FREED, "reopen of freed lf-%llu through %s succeeded",
		       (unsigned long long)from->inc, path ? "an O_PATH fd" : "a region fd");
	hold(w, o, from, fd);
	check_fd(w, o, path ? "O_PATH reopen" : "reopen");
	return 1;
}

/* An O_PATH fd keeps the inode without opening the region. */
static int op_opath(struct worker *w)
{
	bool path = rnd(w) % 2;
	struct obj *from = pick(w, path ? w->paths : w->fds);
	struct obj *o = free_slot(w->paths);
	char proc[64];
	int fd;

	if (!from || !o)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", from->fd);
	fd = open(proc, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return expect(w, errno, 0);
	hold(w, o, from, fd);
	return 1;
}

static int op_mmap(struct worker *w)
{
	struct obj *from = pick(w, w->fds), *o = free_slot(w->maps);
	void *p;

	if (!from || !o || !from->len)
		return -1;
	p = mmap(NULL, from->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 from->fd, 0);
	if (p == MAP_FAILED)
		return expect(w, errno, E(ENOENT) | E(ENODEV) | E(EIO) | E(ENOMEM));
	hold(w, o, from, -1);
	o->map = p;
	check_map(w, o);
	return 1;
}

static int op_munmap(struct worker *w)
{
	struct obj *o = pick(w, w->maps);

	if (!o)
		return -1;
	unmap(w, o);
	return 1;
}

/* Write the tag again, through a file or a mapping. */
static int op_stamp(struct worker *w)
{
	bool map = rnd(w) % 2;
	struct obj *o = pick(w, map ? w->maps : w->fds);
	uint64_t unit, t;
	int sig;

	if (!o || !o->len)
		return -1;
	unit = rnd(w) % (o->len / UNIT);
	t = tag(o);
	if (!map) {
		if (pwrite(o->fd, &t, 8, unit * UNIT) != 8)
			broken(w, V_ERRNO, "lf-%llu: pwrite: %s",
			       (unsigned long long)o->inc, strerror(errno));
		return 1;
	}
	sig = sigsetjmp(fault_jmp, 1);
	if (sig)
		broken(w, V_CONTENT, "lf-%llu: signal %d writing the mapping",
		       (unsigned long long)o->inc, sig);
	else
		*(volatile uint64_t *)((char *)o->map + unit * UNIT) = t;
	return 1;
}

/* A pipe takes a reference on a mapped page: kept until drained. */
static int op_vmsplice(struct worker *w)
{
	struct obj *from = pick(w, w->maps), *o = free_slot(w->pipes);
	struct iovec iov;
	int p[2];

	if (!from || !o)
		return -1;
	if (pipe2(p, O_CLOEXEC))
		return expect(w, errno, E(EMFILE) | E(ENFILE));
	hold(w, o, from, p[0]);
	o->wfd = p[1];
	o->unit = rnd(w) % (from->len / UNIT);
	iov.iov_base = (char *)from->map + o->unit * UNIT;
	iov.iov_len = PAGE;
	if (vmsplice(p[1], &iov, 1, 0) != PAGE) {
		broken(w, V_ERRNO, "lf-%llu: vmsplice: %s",
		       (unsigned long long)from->inc, strerror(errno));
		alive(w, -1);
		close(p[0]);
		close(p[1]);
		o->used = false;
	}
	return 1;
}

static int op_drain(struct worker *w)
{
	struct obj *o = pick(w, w->pipes);

	if (!o)
		return -1;
	drain(w, o);
	return 1;
}

static int op_close(struct worker *w)
{
	struct obj *o = pick(w, rnd(w) % 2 ? w->paths : w->fds);

	if (!o)
		return -1;
	close_fd(w, o);
	return 1;
}

/* Mostly its own regions; root also frees other people's. */
static int op_free(struct worker *w)
{
	struct vmkeep_free f = { .size = sizeof(f) };
	uint64_t inc, *mine = NULL;
	bool allowed;
	uid_t owner;
	int dev, ret;

	if (rnd(w) % 4) {
		mine = &w->mine[rnd(w) % NOBJ];
		if (!unpack(*mine, &inc, &owner))
			return -1;
	} else if (!pick_region(w, &inc, &owner)) {
		return -1;
	}
	allowed = !w->uid || owner == w->uid;
	region_name(f.name, inc, owner);
	dev = dev_open(w);
	if (dev < 0)
		return -1;
	ret = vk_ioctl(dev, VMKEEP_IOC_FREE, &f);
	dev_close(w, dev);
	/* Frozen: try again later. */
	if (mine && ret != -EBUSY)
		*mine = 0;
	if (ret)
		return expect(w, -ret, E(ENOENT) | E(EBUSY) |
			      (allowed ? 0 : E(EACCES)));
	if (!allowed)
		broken(w, V_ACCESS, "FREE of %s succeeded", f.name);
	mark_freed(inc);
	return 1;
}

/* Open another process's /proc/PID/fd/N of a region: QEMU's pattern. */
static int op_peek(struct worker *w)
{
	unsigned int j = rnd(w) % sh->nprocs;
	uint64_t v = LOAD(&sh->pub[j][rnd(w) % NOBJ]), inc;
	struct obj *o = free_slot(w->fds), r = {};
	char proc[64], link[128], *s;
	bool freed, allowed;
	uid_t owner;
	ssize_t n;
	int fd;

	if (j == w->idx || !v || !o)
		return -1;
	allowed = !w->uid || sh->uid[j] == w->uid;
	snprintf(proc, sizeof(proc), "/proc/%d/fd/%d", sh->pid[j],
		 (int)(v & 0xffff));
	freed = is_freed(v >> 16);
	fd = open(proc, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return expect(w, errno, E(ENOENT) | E(EACCES));
	/* The fd may have been closed and reused since: ask what it is. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	s = strstr(link, "vmkeep:lf-");
	if (!s || sscanf(s, "vmkeep:lf-%llu-%u", (unsigned long long *)&inc,
			 &owner) != 2) {
		close(fd);
		return 1;
	}
	if (!allowed)
		broken(w, V_ACCESS, "uid %u opened %s of uid %u: %s", w->uid,
		       proc, sh->uid[j], link);
	if (freed && inc == v >> 16)
		broken(w, V_FREED, "open of %s after its FREE succeeded", link);
	r.inc = inc;
	r.owner = owner;
	r.len = lseek(fd, 0, SEEK_END);
	hold(w, o, &r, fd);
	check_fd(w, o, "/proc/PID/fd");
	return 1;
}

/* ---- pool and module operations (root) ---- */

/* Incarnations of the lf- regions now listed, as a bitmap. */
static void listed(int dev, uint8_t *map)
{
	struct vmkeep_region_info *r;
	unsigned long long inc;
	uint32_t n, i;

	memset(map, 0, MAX_INC / 8);
	r = vk_list(dev, &n);
	for (i = 0; r && i < n; i++)
		if (sscanf(r[i].name, "lf-%llu-", &inc) == 1 && inc < MAX_INC)
			map[inc / 8] |= 1 << (inc % 8);
	free(r);
}

/* Forced: whatever is not open is gone, and must stay gone. */
static int op_format(struct worker *w)
{
	static uint8_t before[MAX_INC / 8], after[MAX_INC / 8];
	struct vmkeep_format f = { .size = sizeof(f),
				   .flags = VMKEEP_FORMAT_FORCE };
	int dev, ret;

	dev = dev_open(w);
	if (dev < 0)
		return -1;
	listed(dev, before);
	ret = vk_ioctl(dev, VMKEEP_IOC_FORMAT, &f);
	if (!ret)
		listed(dev, after);
	dev_close(w, dev);
	if (ret)
		return expect(w, -ret, E(EBUSY) | E(ENOENT));
	for (unsigned int i = 0; i < MAX_INC / 8; i++)
		if (before[i] & ~after[i])
			__atomic_fetch_or(&sh->freed[i], before[i] & ~after[i],
					  __ATOMIC_SEQ_CST);
	return 1;
}

static int op_freeze(struct worker *w)
{
	struct vmkeep_freeze fr = { .size = sizeof(fr) };
	struct vmkeep_thaw th = { .size = sizeof(th) };
	int dev, ret;

	dev = dev_open(w);
	if (dev < 0)
		return -1;
	ret = vk_ioctl(dev, VMKEEP_IOC_FREEZE, &fr);
	if (ret) {
		dev_close(w, dev);
		return expect(w, -ret, 0);
	}
	ret = vk_ioctl(dev, VMKEEP_IOC_THAW, &th);
	dev_close(w, dev);
	return ret ? expect(w, -ret, 0) : 1;
}

static int reload(void)
{
	int fd = open(opt.ko, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, opt.params, 0) ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	/* Pools load foreign: the host presents their identities. */
	if (system("vmkeepctl load >/dev/null"))
		return -EKEYREJECTED;
	chmod("/dev/vmkeep", 0666);
	return 0;
}

static int unload(void)
{
	if (syscall(SYS_delete_module, "vmkeep", O_NONBLOCK))
		return -errno;
	ADD(&sh->unloads, 1);
	return 0;
}

/* After a successful unload: was anything still alive?  Then reload. */
static void after_unload(struct worker *w)
{
	int64_t n = alive_total();
	int ret;

	if (n > 0)
		broken(w, V_UNLOAD, "the module unloaded while %lld objects of it were alive",
		       (long long)n);
	ret = reload();
	if (ret)
		broken(w, V_UNLOAD, "loading %s again: %s", opt.ko,
		       strerror(-ret));
}

static int op_unload(struct worker *w)
{
	int ret = unload();

	if (ret)
		return expect(w, -ret, E(EBUSY) | E(EAGAIN) | E(ENOENT));
	after_unload(w);
	return 1;
}

/* Pool and debugfs figures, after STATUS gave back unheld memory. */
struct snap {
	uint64_t free, listed;
	uint32_t regions, nlisted;
	int objects, files;
};

static int snapshot(struct worker *w, struct snap *s)
{
	struct vmkeep_region_info *r;
	struct vmkeep_pool_info p;
	FILE *f;
	int dev;

	memset(s, 0, sizeof(*s));
	dev = dev_open(w);
	if (dev < 0)
		return -1;
	for (unsigned int i = 0; !vk_pool(dev, i, &p); i++) {
		s->free += p.free;
		s->regions += p.nr_regions;
	}
	r = vk_list(dev, &s->nlisted);
	for (uint32_t i = 0; r && i < s->nlisted; i++)
		s->listed += r[i].length;
	free(r);
	dev_close(w, dev);
	f = fopen("/sys/kernel/debug/vmkeep/state", "r");
	if (!f || fscanf(f, "objects %d files %d", &s->objects, &s->files) != 2) {
		s->objects = -1;
		s->files = -1;
	}
	if (f)
		fclose(f);
	return 0;
}

static void check_idle(struct worker *w, const struct snap *s,
		       const char *when)
{
	if (s->free + s->listed != sh->free0)
		broken(w, V_ACCOUNT, "%s: free %llu + regions %llu != %llu at start",
		       when, (unsigned long long)s->free,
		       (unsigned long long)s->listed,
		       (unsigned long long)sh->free0);
	if (s->files || s->objects != (int)s->nlisted)
		broken(w, V_ACCOUNT, "%s: debugfs objects %d files %d with %u regions and nothing open",
		       when, s->objects, s->files, s->nlisted);
}

/* Unload with nothing open: a reference may take a moment to go. */
static int unload_idle(void)
{
	int ret = -EBUSY;

	for (int i = 0; i < 50 && ret; i++) {
		ret = unload();
		if (ret)
			usleep(20000);
	}
	return ret;
}

static bool wait_parked(struct worker *w, unsigned int gen)
{
	for (int t = 0; t < 10000; t++) {
		unsigned int n = 0;

		for (unsigned int i = 0; i < sh->nprocs; i++)
			n += i == w->idx || LOAD(&sh->parked[i]) == gen ||
			     LOAD(&sh->gone[i]);
		if (n == sh->nprocs)
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * Everyone lets go of files and mappings, maybe keeping O_PATH fds and
 * pipe pages: the module must unload exactly when nothing is left.
 */
static int op_quiesce(struct worker *w)
{
	unsigned int zero = 0, gen;
	struct snap before, after;
	bool all, idle;
	int ret;

	if (time(NULL) < LOAD(&sh->qlast) + (time_t)opt.qsecs)
		return -1;
	if (!__atomic_compare_exchange_n(&sh->qowner, &zero, w->idx + 1, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return -1;
	STORE(&sh->qkeep, (unsigned int)(rnd(w) % 2));
	STORE(&sh->qbusy, 1);
	gen = ADD(&sh->qgen, 1);
	w->qgen = gen;
	let_go(w, LOAD(&sh->qkeep) && rnd(w) % 2);
	all = wait_parked(w, gen);
	if (snapshot(w, &before))
		goto out;
	idle = all && !alive_total();
	if (idle)
		check_idle(w, &before, "quiesced");
	ret = idle ? unload_idle() : unload();
	if (ret == -EBUSY || ret == -EAGAIN) {
		if (idle)
			broken(w, V_UNLOAD, "unload refused with nothing of the module alive");
	} else if (ret) {
		expect(w, -ret, 0);
	} else {
		after_unload(w);
		/* The regions come back from the pool's metadata. */
		if (idle && !snapshot(w, &after) &&
		    (after.nlisted != before.nlisted ||
		     after.free != before.free))
			broken(w, V_ACCOUNT, "after reload: %u regions, %llu free; before: %u, %llu",
			       after.nlisted, (unsigned long long)after.free,
			       before.nlisted, (unsigned long long)before.free);
	}
out:
	STORE(&sh->qlast, time(NULL));
	STORE(&sh->qbusy, 0);
	STORE(&sh->qowner, 0);
	return 1;
}

static void park(struct worker *w)
{
	unsigned int gen = LOAD(&sh->qgen);

	w->qgen = gen;
	w->opname = "park";
	let_go(w, LOAD(&sh->qkeep) && rnd(w) % 2);
	STORE(&sh->parked[w->idx], gen);
	/* Not forever: the process that asked may have died. */
	while (LOAD(&sh->qbusy) && LOAD(&sh->qgen) == gen &&
	       time(NULL) < sh->deadline + 60)
		usleep(1000);
}

/* ---- the table and the processes ---- */

struct op {
	const char *name;
	int (*fn)(struct worker *w);
	unsigned int weight;
	bool root;
};

static const struct op ops[] = {
	{ "alloc",	op_alloc,	8, false },
	{ "get",	op_get,		6, false },
	{ "reopen",	op_reopen,	6, false },
	{ "opath",	op_opath,	5, false },
	{ "mmap",	op_mmap,	5, false },
	{ "munmap",	op_munmap,	4, false },
	{ "stamp",	op_stamp,	4, false },
	{ "vmsplice",	op_vmsplice,	3, false },
	{ "drain",	op_drain,	3, false },
	{ "close",	op_close,	7, false },
	{ "free",	op_free,	6, false },
	{ "peek",	op_peek,	3, false },
	{ "format",	op_format,	1, true },
	{ "freeze",	op_freeze,	1, true },
	{ "unload",	op_unload,	2, true },
	{ "quiesce",	op_quiesce,	2, true },
};

#define NR_OPS	ARRAY_SIZE(ops)
_Static_assert(NR_OPS <= MAX_OPS, "MAX_OPS");

static unsigned int pick_op(struct worker *w)
{
	unsigned int i, total = 0, k;

	for (i = 0; i < NR_OPS; i++)
		if ((!ops[i].root || !w->uid) && !(opt.exclude & E(i)))
			total += ops[i].weight;
	k = rnd(w) % total;
	for (i = 0; i < NR_OPS; i++) {
		if ((ops[i].root && w->uid) || (opt.exclude & E(i)))
			continue;
		if (k < ops[i].weight)
			break;
		k -= ops[i].weight;
	}
	return i;
}

static int worker(unsigned int idx)
{
	struct worker w = { .idx = idx, .uid = sh->uid[idx] };
	struct sigaction sa = { .sa_handler = on_fault };
	unsigned int i;
	int ret;

	w.rng = (opt.seed + idx + 1) * 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < 8 || !w.rng; i++)
		w.rng = w.rng * 6364136223846793005ULL + 1442695040888963407ULL;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	if (w.uid && (setgroups(0, NULL) || setresgid(w.uid, w.uid, w.uid) ||
		      setresuid(w.uid, w.uid, w.uid)))
		return 2;
	/* Lets other processes of the same uid open our /proc/PID/fd. */
	prctl(PR_SET_DUMPABLE, 1);

	while (time(NULL) < sh->deadline && (!opt.nops || w.op < opt.nops)) {
		if (LOAD(&sh->qgen) != w.qgen)
			park(&w);
		i = pick_op(&w);
		w.opname = ops[i].name;
		ret = ops[i].fn(&w);
		if (ret < 0)
			continue;
		w.op++;
		ADD(&sh->tried[i], 1);
		ADD(&sh->done[i], ret);
	}
	w.opname = "exit";
	let_go(&w, false);
	STORE(&sh->gone[idx], 1);
	return 0;
}

static uint64_t parse_exclude(const char *s)
{
	uint64_t mask = 0;
	unsigned int i;
	char *dup = strdup(s), *tok, *save;

	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NR_OPS && strcmp(ops[i].name, tok); i++)
			;
		if (i == NR_OPS) {
			fprintf(stderr, "vklife: no operation '%s'\n", tok);
			exit(2);
		}
		mask |= E(i);
	}
	free(dup);
	return mask;
}

static int read_param(const char *name, char *buf, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/vmkeep/parameters/%s", name);
	f = fopen(path, "r");
	if (!f || !fgets(buf, len, f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int setup(void)
{
	char pools[256], maxr[32];
	struct utsname u;
	struct snap s;
	struct worker w = { .opname = "setup" };

	if (read_param("pools", pools, sizeof(pools)) ||
	    read_param("max_regions", maxr, sizeof(maxr))) {
		say("1..0 # SKIP vmkeep is not loaded\n");
		return 4;
	}
	snprintf(opt.params, sizeof(opt.params), "pools=%s max_regions=%s",
		 pools, maxr);
	if (!opt.ko[0]) {
		uname(&u);
		snprintf(opt.ko, sizeof(opt.ko),
			 "/lib/modules/%s/extra/vmkeep.ko", u.release);
	}
	/* Room for every process's regions. */
	if (snapshot(&w, &s) || s.regions || s.objects ||
	    s.free < opt.procs * NOBJ * 2 * UNIT) {
		say("1..0 # SKIP needs /dev/vmkeep, debugfs and a pool without regions, %llu MiB free\n",
		    (unsigned long long)(opt.procs * NOBJ * 2 * UNIT / MiB));
		return 4;
	}
	sh->free0 = s.free;
	chmod("/dev/vmkeep", 0666);
	return 0;
}

/* Everyone has exited: free what is left; all must be as at the start. */
static void final_check(void)
{
	struct worker w = { .idx = 0, .opname = "final" };
	struct vmkeep_region_info *r;
	struct snap s;
	uint32_t n, i;
	int dev, ret;

	dev = vk_open();
	if (dev < 0 && reload()) {
		broken(&w, V_ACCOUNT, "the module is gone and does not load again");
		return;
	}
	if (dev < 0)
		dev = vk_open();
	vk_ioctl(dev, VMKEEP_IOC_THAW, &(struct vmkeep_thaw){ .size = 8 });
	r = vk_list(dev, &n);
	for (i = 0; r && i < n; i++)
		if (vk_free(dev, r[i].name))
			broken(&w, V_ACCOUNT, "FREE of %s at the end failed", r[i].name);
	free(r);
	close(dev);
	if (snapshot(&w, &s))
		return;
	if (s.regions || s.free != sh->free0 || s.objects || s.files)
		broken(&w, V_ACCOUNT, "at the end: %u regions, free %llu (%llu at start), objects %d files %d",
		       s.regions, (unsigned long long)s.free,
		       (unsigned long long)sh->free0, s.objects, s.files);
	ret = unload_idle();
	if (ret)
		broken(&w, V_UNLOAD, "unload at the end: %s", strerror(-ret));
	else if (reload())
		broken(&w, V_UNLOAD, "loading %s again at the end failed", opt.ko);
	chmod("/dev/vmkeep", 0600);
}

static void report(time_t start)
{
	unsigned long long total = 0, bad = 0;
	char ops_line[400], uid_line[80];
	unsigned int i;
	int n = 0, k = 0;

	for (i = 0; i < NR_OPS; i++) {
		total += sh->tried[i];
		n += snprintf(ops_line + n, sizeof(ops_line) - n, " %s %llu/%llu",
			      ops[i].name, (unsigned long long)sh->done[i],
			      (unsigned long long)sh->tried[i]);
	}
	for (i = 0; i < sh->nprocs; i++)
		k += snprintf(uid_line + k, sizeof(uid_line) - k, "%s%u",
			      i ? "," : "", sh->uid[i]);
	for (i = 0; i < NR_VIOL; i++)
		bad += sh->viol[i];
	say("# vklife: seed %llu, %u processes (uids %s), %ld s, %llu operations, %llu regions, %llu unloads, %llu violations\n",
	    (unsigned long long)opt.seed, sh->nprocs, uid_line,
	    (long)(time(NULL) - start), total,
	    (unsigned long long)sh->next_inc, (unsigned long long)sh->unloads,
	    bad);
	say("# operations done/tried:%s\n", ops_line);
	for (i = 0; i < NR_VIOL; i++) {
		if (sh->viol[i])
			say("not ok %u %s # %llu violation(s), seed %llu\n",
			    i + 1, viol_name[i], (unsigned long long)sh->viol[i],
			    (unsigned long long)opt.seed);
		else
			say("ok %u %s\n", i + 1, viol_name[i]);
	}
}

static void help(void)
{
	fprintf(stderr, "vklife [-n OPS] [-t SECONDS] [-s SEED] [-p PROCS] [-q SECONDS] [-x OP,...] [-m MODULE] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	time_t start = time(NULL);
	unsigned int i, died = 0;
	int c, status, ret;
	pid_t pid;

	opt.seed = start ^ getpid();
	while ((c = getopt(argc, argv, "n:t:s:p:q:x:m:v")) != -1) {
		switch (c) {
		case 'n':
			opt.nops = strtoul(optarg, NULL, 0);
			break;
		case 't':
			opt.secs = strtoul(optarg, NULL, 0);
			break;
		case 's':
			opt.seed = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			opt.procs = strtoul(optarg, NULL, 0);
			break;
		case 'q':
			opt.qsecs = strtoul(optarg, NULL, 0);
			break;
		case 'x':
			opt.exclude = parse_exclude(optarg);
			break;
		case 'm':
			snprintf(opt.ko, sizeof(opt.ko), "%s", optarg);
			break;
		case 'v':
			opt.verbose = true;
			break;
		default:
			help();
		}
	}
	if (optind != argc || opt.procs < 2 || opt.procs > MAX_PROCS)
		help();
	for (i = 0; i < NR_OPS && (ops[i].root || (opt.exclude & E(i))); i++)
		;
	if (i == NR_OPS)
		help();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	say("TAP version 13\n");
	ret = setup();
	if (ret)
		return ret;
	say("1..%d\n", NR_VIOL);
	say("# vklife: seed %llu (rerun with -s %llu)\n",
	    (unsigned long long)opt.seed, (unsigned long long)opt.seed);
	sh->nprocs = opt.procs;
	sh->deadline = start + opt.secs;
	sh->qlast = start;
	for (i = 0; i < opt.procs; i++) {
		sh->uid[i] = uids[i % ARRAY_SIZE(uids)];
		pid = fork();
		if (pid < 0)
			return 2;
		if (!pid)
			_exit(worker(i));
		sh->pid[i] = pid;
	}
	for (i = 0; i < opt.procs; i++) {
		pid = wait(&status);
		for (c = 0; c < (int)opt.procs && sh->pid[c] != pid; c++)
			;
		if (c == (int)opt.procs)
			continue;
		/* A dead process's files are closed: it holds nothing. */
		STORE(&sh->gone[c], WIFEXITED(status) ? 1U : 2U);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			struct worker w = { .idx = c, .uid = sh->uid[c],
					    .opname = "wait" };

			died++;
			broken(&w, V_WORKER, "process %d %s %d", pid,
			       WIFEXITED(status) ? "exited with" : "killed by signal",
			       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		}
	}
	final_check();
	report(start);
	for (i = 0; i < NR_VIOL; i++)
		if (sh->viol[i])
			return 1;
	return died ? 1 : 0;
}
