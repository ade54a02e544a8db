// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * The pure part of vmkeepctl: parsing and checks that touch neither
 * /dev/vmkeep nor the system, so that host unit tests cover them.  Sizes
 * and command lines are read the way the kernel reads them (memparse(),
 * next_arg()), because the kexec check must agree with what the next
 * kernel will do with the same text.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vmkeepctl.h"

#define SZ_1G		(1ULL << 30)
#define SZ_4G		(4ULL << 30)
/* memmap= and vmkeep.pools= entries the kexec check looks at */
#define MAX_RANGES	64

static unsigned int digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return 16;
}

/*
 * A number with an optional binary suffix.  @kernel: as memparse() reads
 * it (base 0, so a leading 0 means octal; suffixes up to E); otherwise as
 * people write sizes (decimal or 0x hex; K, M, G, T).
 */
static int parse_num(const char *s, const char **end, bool kernel,
		     uint64_t *out)
{
	const char *sfx = kernel ? "KMGTPE" : "KMGT", *u;
	const char *p = s, *digits;
	unsigned int base = 10, d;
	uint64_t v = 0;

	if (p[0] == '0' && (p[1] | 0x20) == 'x' && digit(p[2]) < 16) {
		base = 16;
		p += 2;
	} else if (kernel && p[0] == '0') {
		base = 8;
	}
	for (digits = p; (d = digit(*p)) < base; p++) {
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (p == digits)
		return -EINVAL;
	u = *p ? strchr(sfx, toupper((unsigned char)*p)) : NULL;
	if (u) {
		unsigned int shift = 10 * (u - sfx + 1);

		if (v > UINT64_MAX >> shift)
			return -ERANGE;
		v <<= shift;
		p++;
	}
	*end = p;
	*out = v;
	return 0;
}

/**
 * vk_parse_size() - parse "4G", "512M", "4096" or "0x1000"
 * @s: the text; K, M, G, T are powers of 1024
 * @out: the size in bytes
 *
 * Return: 0, -EINVAL for junk (signs, blanks, unknown suffix), -ERANGE
 * when it does not fit 64 bits.
 */
int vk_parse_size(const char *s, uint64_t *out)
{
	const char *end;
	int err = parse_num(s, &end, false, out);

	if (err)
		return err;
	return *end ? -EINVAL : 0;
}

/**
 * vk_parse_pools() - parse a vmkeep.pools= value as the module does
 * @s: "SIZE@ADDR[:1G][,SIZE@ADDR[:1G]...]", numbers as memparse() reads
 *     them; ":1G" makes a pool of 1 GiB pages
 * @out: the pools as [ADDR, ADDR + SIZE), with their page size
 * @max: room in @out
 *
 * Return: the number of pools, or -EINVAL (-ERANGE) when @s is not such
 * a list or has more than @max entries.
 */
int vk_parse_pools(const char *s, struct vk_pool_spec *out, size_t max)
{
	uint64_t size, base;
	const char *p = s;
	bool pages_1g;
	size_t n = 0;
	int err;

	while (*p) {
		err = parse_num(p, &p, true, &size);
		if (err)
			return err;
		if (*p != '@')
			return -EINVAL;
		err = parse_num(p + 1, &p, true, &base);
		if (err)
			return err;
		pages_1g = !strncmp(p, ":1G", 3);
		if (pages_1g)
			p += 3;
		if ((*p && *p != ',') || n == max)
			return -EINVAL;
		if (base + size < base)
			return -ERANGE;
		out[n].start = base;
		out[n].end = base + size;
		out[n++].pages_1g = pages_1g;
		p += !!*p;
	}
	return n;
}

/**
 * vk_name_error() - check a region name with the kernel's rule
 * @name: the name
 *
 * The rule is the on-pool format's vmkeep_fmt_check_name(), through
 * libvmkeep; this only says which part of it @name breaks.
 *
 * Return: NULL when the name is valid, else why it is not.
 */
const char *vk_name_error(const char *name)
{
	char first[2] = { name[0] };

	if (!vmkeep_check_name(name))
		return NULL;
	if (!name[0])
		return "the name is empty";
	if (strlen(name) > VMKEEP_NAME_MAX)
		return "the name is longer than 63 bytes";
	if (vmkeep_check_name(first))
		return "the name must start with a letter or a digit";
	return "the name may only have bytes of [A-Za-z0-9._:+@-]";
}

/* For people: "512 B", "256.00 MiB", "4.00 GiB". */
void vk_human_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	unsigned int i = 0;

	while (i + 1 < ARRAY_SIZE(units) && bytes >> (10 * (i + 1)))
		i++;
	if (!i)
		snprintf(buf, len, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, len, "%.2f %s",
			 (double)bytes / (double)(1ULL << (10 * i)), units[i]);
}

/* For command lines: exact, with the largest suffix that fits ("64G"). */
void vk_short_size(uint64_t bytes, char *buf, size_t len)
{
	static const char sfx[] = "TGMK";
	unsigned int i, shift;

	for (i = 0; bytes && i < 4; i++) {
		shift = 10 * (4 - i);
		if (!(bytes & ((1ULL << shift) - 1))) {
			snprintf(buf, len, "%" PRIu64 "%c", bytes >> shift, sfx[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, bytes);
}

/* The two kernel parameters that make [base, base + size) a pool. */
void vk_pool_params(uint64_t base, uint64_t size, bool pages_1g, char *buf,
		    size_t len)
{
	char s[32];

	vk_short_size(size, s, sizeof(s));
	snprintf(buf, len, "memmap=%s$0x%" PRIx64 " vmkeep.pools=%s@0x%" PRIx64 "%s",
		 s, base, s, base, pages_1g ? ":1G" : "");
}

/*
 * Split off the next "param[=value]" of a command line in place, as the
 * kernel's next_arg() does: blanks separate, double quotes group, quotes
 * around the value or the whole parameter are dropped.  NULL at the end
 * and at "--", after which the parameters belong to init.
 */
static char *next_param(char **args, char **val)
{
	char *p = *args, *param, *eq = NULL;
	bool quoted = false, in_quote = false;
	size_t i;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return NULL;
	if (*p == '"') {
		p++;
		quoted = true;
		in_quote = true;
	}
	for (i = 0; p[i]; i++) {
		if (isspace((unsigned char)p[i]) && !in_quote)
			break;
		if (!eq && p[i] == '=')
			eq = p + i;
		if (p[i] == '"')
			in_quote = !in_quote;
	}
	param = p;
	*val = NULL;
	if (eq) {
		*eq = '\0';
		*val = eq + 1;
		if (**val == '"') {
			(*val)++;
			if (p[i - 1] == '"')
				p[i - 1] = '\0';
		}
	}
	if (quoted && i > 0 && p[i - 1] == '"')
		p[i - 1] = '\0';
	if (p[i])
		p[i++] = '\0';
	*args = p + i;
	if (!*val && !strcmp(param, "--"))
		return NULL;
	return param;
}

/**
 * vk_cmdline_param() - the value of a kernel parameter
 * @cmdline: a kernel command line
 * @name: the parameter
 * @val: the value of its last occurrence (the one that wins)
 * @len: room in @val
 *
 * Return: 1 when found, 0 when not, -ENOMEM, -E2BIG when @val is too small.
 */
int vk_cmdline_param(const char *cmdline, const char *name,
		     char *val, size_t len)
{
	char *buf = strdup(cmdline), *args = buf, *param, *v;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	while ((param = next_param(&args, &v)))
		if (v && !strcmp(param, name))
			ret = snprintf(val, len, "%s", v) < (int)len ? 1 : -E2BIG;
	free(buf);
	return ret;
}

/*
 * x86 KASLR (arch/x86/boot/compressed/kaslr.c) keeps the decompressed
 * kernel out of the first four memmap= ranges with an address only
 * (MAX_MEMMAP_REGIONS); it may land on any later one.
 */
#define KASLR_MEMMAP	4

/*
 * Add the "SIZE$ADDR" entries of a memmap= value to @r, and those among
 * the first KASLR_MEMMAP entries with an address to @k.  An entry the
 * kernel would not parse whole reserves nothing here: when in doubt, the
 * range counts as unreserved.
 */
static void memmap_ranges(char *val, struct vk_range *r, size_t *n,
			  struct vk_range *k, size_t *nk, unsigned int *seen,
			  bool *backslash)
{
	uint64_t size, base;
	const char *p;
	char *e, type;

	while ((e = strsep(&val, ","))) {
		if (strchr(e, '\\'))
			*backslash = true;
		if (parse_num(e, &p, true, &size) || !*p || !strchr("@#$!", *p))
			continue;
		type = *p;
		if (parse_num(p + 1, &p, true, &base) || !base)
			continue;
		++*seen;
		if (type != '$' || *p || base + size < base || *n == MAX_RANGES)
			continue;
		r[*n].start = base;
		r[(*n)++].end = base + size;
		if (*seen <= KASLR_MEMMAP) {
			k[*nk].start = base;
			k[(*nk)++].end = base + size;
		}
	}
}

/* Whether the union of @r covers [start, end). */
static bool covered(const struct vk_range *r, size_t n,
		    uint64_t start, uint64_t end)
{
	bool moved = true;
	size_t i;

	while (start < end && moved) {
		moved = false;
		for (i = 0; i < n; i++) {
			if (r[i].start <= start && start < r[i].end) {
				start = r[i].end;
				moved = true;
			}
		}
	}
	return start >= end;
}

static void __printf(3, 4)
append(char *msg, size_t len, const char *fmt, ...)
{
	size_t used = strlen(msg);
	va_list ap;

	if (used && used + 2 < len) {
		strcpy(msg + used, "; ");
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(msg + used, len - used, fmt, ap);
	va_end(ap);
}

/* What the kexec check needs of the next kernel's command line. */
struct next_cmdline {
	char *buf;		/* the split copy the pointers below point into */
	struct vk_range res[MAX_RANGES], kaslr[KASLR_MEMMAP];
	struct vk_pool_spec listed[MAX_RANGES];
	size_t nres, nkaslr;
	unsigned int seen;	/* memmap= ranges with an address */
	int nlisted;		/* vmkeep.pools= entries, or -errno */
	const char *pools_val;	/* vmkeep.pools=, or NULL */
	bool backslash, nokaslr;
};

static int read_cmdline(const char *cmdline, struct next_cmdline *k)
{
	char *args, *param, *val;

	k->buf = strdup(cmdline);
	if (!k->buf)
		return -ENOMEM;
	args = k->buf;
	while ((param = next_param(&args, &val))) {
		if (!val)
			k->nokaslr |= !strcmp(param, "nokaslr");
		else if (!strcmp(param, "memmap"))
			memmap_ranges(val, k->res, &k->nres, k->kaslr, &k->nkaslr,
				      &k->seen, &k->backslash);
		else if (!strcmp(param, "vmkeep.pools"))
			k->pools_val = val;
	}
	if (k->pools_val)
		k->nlisted = vk_parse_pools(k->pools_val, k->listed, MAX_RANGES);
	return 0;
}

/* The module claims a pool again only with its range and its page size. */
static bool listed(const struct next_cmdline *k, const struct vk_pool_spec *pool)
{
	int j;

	for (j = 0; j < k->nlisted; j++)
		if (k->listed[j].start == pool->start &&
		    k->listed[j].end == pool->end &&
		    k->listed[j].pages_1g == pool->pages_1g)
			return true;
	return false;
}

/*
 * Append to @msg what @k lacks for pool @index at [@base, @base + @size)
 * to survive, if anything; @nr: its regions, or -1 when unknown.
 */
static void check_pool(const struct next_cmdline *k, unsigned int index,
		       const struct vk_pool_spec *pool, int nr, char *msg, size_t len)
{
	uint64_t base = pool->start, size = pool->end - pool->start;
	char want[128], who[192], regions[32] = "";

	vk_pool_params(base, size, pool->pages_1g, want, sizeof(want));
	if (nr >= 0)
		snprintf(regions, sizeof(regions), " (%d region%s)", nr, nr == 1 ? "" : "s");
	snprintf(who, sizeof(who), "pool %u%s needs %s", index, regions, want);
	if (!covered(k->res, k->nres, base, base + size))
		append(msg, len, "%s: no memmap= reserves [0x%" PRIx64 ", 0x%" PRIx64 ")%s",
		       who, base, base + size, k->backslash ?
		       " (a memmap= value has a backslash;"
		       " the kernel needs a plain $)" : "");
	else if (!k->nokaslr && !covered(k->kaslr, k->nkaslr, base, base + size))
		append(msg, len, "%s: reserved only by a memmap= range after the %dth, which x86 KASLR does not keep the new kernel out of (use at most %d memmap= ranges, adjacent pools can share one, or nokaslr)",
		       who, KASLR_MEMMAP, KASLR_MEMMAP);
	else if (!k->pools_val)
		append(msg, len, "%s: no vmkeep.pools=", who);
	else if (k->nlisted < 0)
		append(msg, len, "%s: vmkeep.pools=%s is not SIZE@ADDR[:1G][,SIZE@ADDR[:1G]...]",
		       who, k->pools_val);
	else if (!listed(k, pool))
		append(msg, len, "%s: vmkeep.pools=%s does not list it", who, k->pools_val);
}

/**
 * vk_kexec_verdict() - whether a command line keeps every pool with regions
 * @cmdline: the command line the next kernel will boot with
 * @vk: libvmkeep context whose pool snapshot is checked
 * @msg: what is missing for which pool, or a summary when nothing is
 * @len: room in @msg
 *
 * A pool's regions survive only when the next kernel leaves the pool
 * alone (a memmap=SIZE$ADDR reservation covers it, one of the first four
 * memmap= ranges unless KASLR is off: see KASLR_MEMMAP) and the module
 * claims it again (vmkeep.pools= lists exactly its SIZE@ADDR).  Pools
 * without regions have nothing to lose and are not checked.
 *
 * Return: true when safe.
 */
bool vk_kexec_verdict(const char *cmdline, struct vmkeep_ctx *vk,
		      char *msg, size_t len)
{
	struct next_cmdline k = {};
	struct vmkeep_pool *pool;
	unsigned int checked = 0;

	msg[0] = '\0';
	if (read_cmdline(cmdline, &k)) {
		snprintf(msg, len, "out of memory");
		return false;
	}
	vmkeep_pool_foreach(vk, pool) {
		struct vk_pool_spec r = {
			.start = vmkeep_pool_get_base(pool),
			.end = vmkeep_pool_get_base(pool) + vmkeep_pool_get_size(pool),
			.pages_1g = vmkeep_pool_get_page_size(pool) == SZ_1G,
		};

		if (!vmkeep_pool_get_nr_regions(pool))
			continue;
		checked++;
		check_pool(&k, vmkeep_pool_get_index(pool), &r,
			   vmkeep_pool_get_nr_regions(pool), msg, len);
	}
	free(k.buf);
	if (msg[0])
		return false;
	if (checked)
		snprintf(msg, len,
			 "%u pool%s with regions reserved by memmap= and listed in vmkeep.pools=",
			 checked, checked == 1 ? "" : "s");
	else
		snprintf(msg, len, "no pool holds regions");
	return true;
}

/**
 * vk_kexec_verdict_pools() - vk_kexec_verdict() without the module
 * @cmdline: the command line the next kernel will boot with
 * @pools: the pools, as the running kernel's vmkeep.pools= lists them
 * @n: how many
 * @msg: what is missing for which pool, or a summary when nothing is
 * @len: room in @msg
 *
 * Which pools hold regions is known only to the module: every pool
 * counts here.
 *
 * Return: true when safe.
 */
bool vk_kexec_verdict_pools(const char *cmdline, const struct vk_pool_spec *pools,
			    size_t n, char *msg, size_t len)
{
	struct next_cmdline k = {};
	size_t i;

	msg[0] = '\0';
	if (read_cmdline(cmdline, &k)) {
		snprintf(msg, len, "out of memory");
		return false;
	}
	for (i = 0; i < n; i++)
		check_pool(&k, i, &pools[i], -1, msg, len);
	free(k.buf);
	if (msg[0])
		return false;
	if (n)
		snprintf(msg, len,
			 "%zu pool%s reserved by memmap= and listed in vmkeep.pools=",
			 n, n == 1 ? "" : "s");
	else
		snprintf(msg, len, "no pools");
	return true;
}

/* The length of the blank-separated word at @s; double quotes group. */
static size_t word_len(const char *s)
{
	bool in_quote = false;
	size_t i;

	for (i = 0; s[i] && (in_quote || !isspace((unsigned char)s[i])); i++)
		if (s[i] == '"')
			in_quote = !in_quote;
	return i;
}

/**
 * vk_kexec_cmdline() - the next kernel's command line, as kexec-tools makes it
 * @reused: the running kernel's (/proc/cmdline) with --reuse-cmdline, or NULL
 * @line: --command-line, which replaces the line, or NULL
 * @append: --append: added at the end of the line, or the whole line
 *          when there is no other; or NULL
 *
 * ``kexec -l --reuse-cmdline --append=X`` boots "/proc/cmdline X"; the
 * BOOT_IMAGE= that a boot loader put into the reused line names the old
 * image, and is dropped as kexec-tools drops it.
 *
 * Return: a new string, or NULL when out of memory.
 */
char *vk_kexec_cmdline(const char *reused, const char *line, const char *append)
{
	const char *s = line ?: reused ?: "";
	size_t n, len = strlen(s) + (append ? strlen(append) : 0) + 2;
	char *out = malloc(len), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		n = word_len(s);
		if (n && (line || strncmp(s, "BOOT_IMAGE=", 11))) {
			if (o != out)
				*o++ = ' ';
			memcpy(o, s, n);
			o += n;
		}
		s += n;
	}
	if (append && *append) {
		if (o != out)
			*o++ = ' ';
		strcpy(o, append);
		o += strlen(append);
	}
	*o = '\0';
	return out;
}

/**
 * vk_cmdline_opts_error() - whether the line options of kexec and update go together
 * @reuse: --reuse-cmdline given
 * @line: --command-line given
 * @append: --append given
 *
 * As with kexec-tools: one of them at least, and --command-line, which
 * replaces the line, not with --reuse-cmdline, which takes the running
 * kernel's; --append adds to either, or is the line alone.
 *
 * Return: why they do not, or NULL.
 */
const char *vk_cmdline_opts_error(bool reuse, bool line, bool append)
{
	if (!reuse && !line && !append)
		return "--append, --command-line or --reuse-cmdline is required";
	if (reuse && line)
		return "--command-line and --reuse-cmdline exclude each other";
	return NULL;
}

/**
 * vk_image_release() - the release of an x86 bzImage, from its header
 * @img: the image's first bytes
 * @n: how many
 * @rel: the release ("6.12.38+deb12-amd64"): the first word of the
 *       version string that the boot protocol's kernel_version points to
 * @len: room in @rel
 *
 * Return: 0, or -ENOEXEC when @img is no bzImage with a version string.
 */
int vk_image_release(const unsigned char *img, size_t n, char *rel, size_t len)
{
	size_t off, i;

	/* "HdrS" at 0x202; kernel_version at 0x20e, relative to 0x200 */
	if (n < 0x210 || memcmp(img + 0x202, "HdrS", 4) || !len)
		return -ENOEXEC;
	off = (img[0x20e] | img[0x20f] << 8) + 0x200;
	if (off == 0x200 || off >= n)
		return -ENOEXEC;
	for (i = 0; off + i < n && i + 1 < len && img[off + i] > ' ' &&
	     img[off + i] < 0x7f; i++)
		rel[i] = img[off + i];
	rel[i] = '\0';
	return i && off + i < n && i + 1 < len ? 0 : -ENOEXEC;
}

static bool fw_ram(const struct vk_fw_range *r)
{
	return !strcmp(r->type, "System RAM");
}

/**
 * vk_fw_not_ram() - whether a range is not all RAM in the firmware's map
 * @fw: the map's entries, in any order
 * @n: how many
 * @start: the range [@start, @end), not empty
 * @end: its end; 0 for the end of the address space
 * @why: when it is not, the lowest entry of another type or hole it
 *       meets, whole, as the module names it (kmod/vmkeep_fwmap.c)
 * @len: room in @why
 *
 * An entry of another type wins over RAM where two overlap, as the
 * kernel's e820__update_table() lets the higher type win.
 *
 * Return: 1 when some byte of the range is not in a "System RAM" entry
 * or is in another one too, else 0.
 */
int vk_fw_not_ram(const struct vk_fw_range *fw, size_t n, uint64_t start,
		  uint64_t end, char *why, size_t len)
{
	uint64_t last = end - 1, pos = start, lo = 0, hi = UINT64_MAX;
	const struct vk_fw_range *bad = NULL;
	bool moved, covered = false;
	size_t i;

	for (i = 0; i < n; i++)
		if (!fw_ram(&fw[i]) && fw[i].start <= last && fw[i].last >= start &&
		    (!bad || fw[i].start < bad->start))
			bad = &fw[i];
	/* The first byte from @start on that no RAM entry holds. */
	do {
		moved = false;
		for (i = 0; i < n && !covered; i++) {
			if (!fw_ram(&fw[i]) || fw[i].start > pos || fw[i].last < pos)
				continue;
			covered = fw[i].last >= last;
			pos = fw[i].last + 1;
			moved = true;
		}
	} while (moved && !covered);

	if (bad && (covered || bad->start <= pos)) {
		snprintf(why, len, "the firmware's memory map has [mem 0x%016" PRIx64
			 "-0x%016" PRIx64 "] as \"%s\", not System RAM",
			 bad->start, bad->last, bad->type);
		return 1;
	}
	if (covered)
		return 0;
	for (i = 0; i < n; i++) {
		if (fw[i].last < pos && fw[i].last + 1 > lo)
			lo = fw[i].last + 1;
		if (fw[i].start > pos && fw[i].start - 1 < hi)
			hi = fw[i].start - 1;
	}
	snprintf(why, len, "the firmware's memory map has [mem 0x%016" PRIx64
		 "-0x%016" PRIx64 "] as a hole, not System RAM", lo, hi);
	return 1;
}

static int cmp_range(const void *a, const void *b)
{
	const struct vk_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/**
 * vk_fw_ram() - the firmware's RAM as ranges
 * @fw: the map's entries, in any order
 * @n: how many
 * @out: the bytes of "System RAM" entries that no other entry has,
 *       adjacent ones merged, by address
 * @max: room in @out
 *
 * Return: the number of ranges (at most @max).
 */
size_t vk_fw_ram(const struct vk_fw_range *fw, size_t n, struct vk_range *out,
		 size_t max)
{
	size_t i, j, m = 0;

	for (i = 0; i < n && m < max; i++) {
		if (!fw_ram(&fw[i]) || fw[i].last == UINT64_MAX)
			continue;
		out[m].start = fw[i].start;
		out[m++].end = fw[i].last + 1;
	}
	qsort(out, m, sizeof(*out), cmp_range);
	for (i = 0, j = 0; i < m; i++) {
		if (j && out[i].start <= out[j - 1].end) {
			if (out[i].end > out[j - 1].end)
				out[j - 1].end = out[i].end;
			continue;
		}
		out[j++] = out[i];
	}
	m = j;
	/* Cut out what other entries have, splitting a range they fall inside. */
	for (i = 0; i < n; i++) {
		if (fw_ram(&fw[i]))
			continue;
		for (j = 0; j < m; j++) {
			struct vk_range *r = &out[j];
			uint64_t s = fw[i].start, e = fw[i].last + 1;

			if (e <= r->start || s >= r->end || !e)
				continue;
			if (s > r->start && e < r->end && m < max) {
				memmove(r + 2, r + 1, (m - j - 1) * sizeof(*r));
				r[1].start = e;
				r[1].end = r->end;
				r->end = s;
				m++;
			} else if (s > r->start) {
				r->end = s;
			} else if (e < r->end) {
				r->start = e;
			} else {
				r->end = r->start;	/* dropped below */
			}
		}
	}
	for (i = 0, j = 0; i < m; i++)
		if (out[i].start < out[i].end)
			out[j++] = out[i];
	return j;
}

/**
 * vk_fw_verdict() - whether a command line reserves and lists only RAM
 * @cmdline: the command line the next kernel will boot with
 * @fw: the firmware's memory map; a kexec hands the next kernel this one
 * @n: its entries
 * @msg: which memmap=SIZE$ADDR ranges and vmkeep.pools= entries are not
 *       RAM there and why, or a summary
 * @len: room in @msg
 *
 * memmap= makes any range reserved, and the module refuses a pool that
 * is not RAM in the firmware's map: a mistyped pool would lose its
 * regions, and a memmap= over the PCI hole keeps devices out of it.
 *
 * Return: true when all of them are RAM.
 */
bool vk_fw_verdict(const char *cmdline, const struct vk_fw_range *fw, size_t n,
		   char *msg, size_t len)
{
	struct next_cmdline k = {};
	char why[200], s[32];
	size_t i;
	int j;

	msg[0] = '\0';
	if (read_cmdline(cmdline, &k)) {
		snprintf(msg, len, "out of memory");
		return false;
	}
	for (i = 0; i < k.nres; i++) {
		if (!vk_fw_not_ram(fw, n, k.res[i].start, k.res[i].end, why, sizeof(why)))
			continue;
		vk_short_size(k.res[i].end - k.res[i].start, s, sizeof(s));
		append(msg, len, "memmap=%s$0x%" PRIx64 ": %s", s, k.res[i].start, why);
	}
	for (j = 0; j < k.nlisted; j++) {
		const struct vk_pool_spec *p = &k.listed[j];

		if (p->end == p->start ||
		    !vk_fw_not_ram(fw, n, p->start, p->end, why, sizeof(why)))
			continue;
		vk_short_size(p->end - p->start, s, sizeof(s));
		append(msg, len, "vmkeep.pools= entry %s@0x%" PRIx64 "%s: %s", s, p->start,
		       p->pages_1g ? ":1G" : "", why);
	}
	free(k.buf);
	if (msg[0])
		return false;
	j = k.nlisted > 0 ? k.nlisted : 0;
	if (k.nres || j)
		snprintf(msg, len,
			 "%zu memmap= range%s and %d vmkeep.pools= entr%s are System RAM in the firmware's memory map",
			 k.nres, k.nres == 1 ? "" : "s", j, j == 1 ? "y" : "ies");
	else
		snprintf(msg, len, "no memmap= range or vmkeep.pools= entry");
	return true;
}

/**
 * vk_parse_iomem() - the top-level "System RAM" ranges of /proc/iomem
 * @text: the contents of /proc/iomem
 * @out: the ranges found
 * @max: room in @out
 *
 * Return: the number of ranges, or -EPERM when every address reads as
 * zero, as /proc/iomem shows it to a reader without CAP_SYS_ADMIN.
 */
int vk_parse_iomem(const char *text, struct vk_range *out, size_t max)
{
	bool addrs = false;
	const char *line;
	uint64_t s, e;
	size_t n = 0;
	int off;

	for (line = text; *line; line += strcspn(line, "\n") + !!line[strcspn(line, "\n")]) {
		off = 0;
		if (isspace((unsigned char)line[0]) ||
		    sscanf(line, "%" SCNx64 "-%" SCNx64 " : %n", &s, &e, &off) != 2 ||
		    !off)
			continue;
		addrs |= s || e;
		if (strncmp(line + off, "System RAM", 10) ||
		    (line[off + 10] && line[off + 10] != '\n') ||
		    e < s || e == UINT64_MAX || n == max)
			continue;
		out[n].start = s;
		out[n++].end = e + 1;
	}
	return addrs ? (int)n : -EPERM;
}

/* The pieces of @a that lie inside @b. */
size_t vk_intersect(const struct vk_range *a, size_t na,
		    const struct vk_range *b, size_t nb,
		    struct vk_range *out, size_t max)
{
	size_t i, j, n = 0;
	uint64_t s, e;

	for (i = 0; i < na; i++) {
		for (j = 0; j < nb && n < max; j++) {
			s = a[i].start > b[j].start ? a[i].start : b[j].start;
			e = a[i].end < b[j].end ? a[i].end : b[j].end;
			if (s < e) {
				out[n].start = s;
				out[n++].end = e;
			}
		}
	}
	return n;
}

/**
 * vk_pool_suggest() - where to reserve a pool
 * @ram: System RAM ranges
 * @n: entries of @ram
 * @size: bytes, a multiple of %VMKEEP_UNIT
 * @addr: the chosen base
 *
 * Never below 1 GiB, where firmware, the kernel image and its early
 * allocations live.  Preferred, in order: above 4 GiB (no competition
 * with 32-bit DMA), aligned to 1 GiB (gigantic pages), then the highest
 * address.
 *
 * Return: 0, -EINVAL for a bad @size, -ENOSPC when nothing fits.
 */
int vk_pool_suggest(const struct vk_range *ram, size_t n, uint64_t size,
		    uint64_t *addr)
{
	static const uint64_t floors[] = { SZ_4G, SZ_1G };
	static const uint64_t aligns[] = { SZ_1G, VMKEEP_UNIT };
	uint64_t lo, c, best;
	size_t f, a, i;
	bool found;

	if (!size || size % VMKEEP_UNIT)
		return -EINVAL;
	for (f = 0; f < ARRAY_SIZE(floors); f++) {
		for (a = 0; a < ARRAY_SIZE(aligns); a++) {
			found = false;
			best = 0;
			for (i = 0; i < n; i++) {
				if (ram[i].end < size)
					continue;
				lo = ram[i].start > floors[f] ? ram[i].start : floors[f];
				c = (ram[i].end - size) & ~(aligns[a] - 1);
				if (c >= lo && (!found || c > best)) {
					best = c;
					found = true;
				}
			}
			if (found) {
				*addr = best;
				return 0;
			}
		}
	}
	return -ENOSPC;
}
