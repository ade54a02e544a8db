// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * The pure part of vmkeepctl.  Sizes and command lines are read the way
 * the kernel reads them (memparse(), next_arg()), because the kexec check
 * must agree with what the next kernel will do with the same text.
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
 * @s: "SIZE@ADDR[,SIZE@ADDR...]", numbers as memparse() reads them
 * @out: the pools as [ADDR, ADDR + SIZE)
 * @max: room in @out
 *
 * Return: the number of pools, or -EINVAL (-ERANGE) when @s is not such
 * a list or has more than @max entries.
 */
int vk_parse_pools(const char *s, struct vk_range *out, size_t max)
{
	uint64_t size, base;
	const char *p = s;
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
		if ((*p && *p != ',') || n == max)
			return -EINVAL;
		if (base + size < base)
			return -ERANGE;
		out[n].start = base;
		out[n++].end = base + size;
		p += !!*p;
	}
	return n;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/**
 * vk_name_error() - check a region name with the kernel's rules
 * @name: the name
 *
 * Return: NULL when the name is valid, else why it is not.
 */
const char *vk_name_error(const char *name)
{
	size_t i, len = strlen(name);

	if (!len)
		return "the name is empty";
	if (len >= VMKEEP_NAME_LEN)
		return "the name is longer than 63 bytes";
	if (!name_char(name[0]))
		return "the name must start with a letter or a digit";
	for (i = 1; i < len; i++)
		if (!name_char(name[i]) && !strchr("._:+@-", name[i]))
			return "the name may only have bytes of [A-Za-z0-9._:+@-]";
	return NULL;
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
void vk_pool_params(uint64_t base, uint64_t size, char *buf, size_t len)
{
	char s[32];

	vk_short_size(size, s, sizeof(s));
	snprintf(buf, len, "memmap=%s$0x%" PRIx64 " vmkeep.pools=%s@0x%" PRIx64,
		 s, base, s, base);
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

/**
 * vk_kexec_verdict() - whether a command line keeps every pool with regions
 * @cmdline: the command line the next kernel will boot with
 * @pools: the pools, as VMKEEP_IOC_STATUS reports them
 * @n: entries of @pools
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
bool vk_kexec_verdict(const char *cmdline,
		      const struct vmkeep_pool_info *pools, unsigned int n,
		      char *msg, size_t len)
{
	struct vk_range res[MAX_RANGES], listed[MAX_RANGES], kaslr[KASLR_MEMMAP];
	char *buf = strdup(cmdline), *args = buf, *param, *val;
	char *pools_val = NULL, want[128], who[192];
	bool backslash = false, nokaslr = false;
	unsigned int i, checked = 0, seen = 0;
	size_t nres = 0, nkaslr = 0;
	int j, nlisted = 0;

	msg[0] = '\0';
	if (!buf) {
		snprintf(msg, len, "out of memory");
		return false;
	}
	while ((param = next_param(&args, &val))) {
		if (!val)
			nokaslr |= !strcmp(param, "nokaslr");
		else if (!strcmp(param, "memmap"))
			memmap_ranges(val, res, &nres, kaslr, &nkaslr, &seen,
				      &backslash);
		else if (!strcmp(param, "vmkeep.pools"))
			pools_val = val;
	}
	if (pools_val)
		nlisted = vk_parse_pools(pools_val, listed, MAX_RANGES);

	for (i = 0; i < n; i++) {
		const struct vmkeep_pool_info *p = &pools[i];
		uint64_t end = p->base + p->length;

		if (!p->nr_regions)
			continue;
		checked++;
		vk_pool_params(p->base, p->length, want, sizeof(want));
		snprintf(who, sizeof(who), "pool %u (%u region%s) needs %s", i,
			 p->nr_regions, p->nr_regions == 1 ? "" : "s", want);
		if (!covered(res, nres, p->base, end)) {
			append(msg, len, "%s: no memmap= reserves [0x%" PRIx64 ", 0x%" PRIx64 ")%s",
			       who, (uint64_t)p->base, end, backslash ?
			       " (a memmap= value has a backslash;"
			       " the kernel needs a plain $)" : "");
			continue;
		}
		if (!nokaslr && !covered(kaslr, nkaslr, p->base, end)) {
			append(msg, len, "%s: reserved only by a memmap= range after the %dth, which x86 KASLR does not keep the new kernel out of (use at most %d memmap= ranges, adjacent pools can share one, or nokaslr)",
			       who, KASLR_MEMMAP, KASLR_MEMMAP);
			continue;
		}
		if (!pools_val) {
			append(msg, len, "%s: no vmkeep.pools=", who);
			continue;
		}
		if (nlisted < 0) {
			append(msg, len, "%s: vmkeep.pools=%s is not SIZE@ADDR[,SIZE@ADDR...]",
			       who, pools_val);
			continue;
		}
		for (j = 0; j < nlisted; j++)
			if (listed[j].start == p->base && listed[j].end == end)
				break;
		if (j == nlisted)
			append(msg, len, "%s: vmkeep.pools=%s does not list it", who, pools_val);
	}
	free(buf);
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
 * @size: bytes, a multiple of %VMKEEP_ALIGN
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
	static const uint64_t aligns[] = { SZ_1G, VMKEEP_ALIGN };
	uint64_t lo, c, best;
	size_t f, a, i;
	bool found;

	if (!size || size % VMKEEP_ALIGN)
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

static const char *enum_name(const char *const *names, size_t n, uint32_t v)
{
	return v < n && names[v] ? names[v] : "unknown";
}

/* "active", "incoming" or "quarantined" */
const char *vk_region_state(const struct vmkeep_region_info *r)
{
	static const char *const names[] = {
		[VMKEEP_STATE_ACTIVE] = "active",
		[VMKEEP_STATE_INCOMING] = "incoming",
		[VMKEEP_STATE_QUARANTINED] = "quarantined",
	};

	return enum_name(names, ARRAY_SIZE(names), r->state);
}

static const char *quarantine_name(uint32_t q)
{
	static const char *const names[] = {
		[VMKEEP_Q_NONE] = "none",
		[VMKEEP_Q_CRC] = "crc",
		[VMKEEP_Q_NAME] = "name",
		[VMKEEP_Q_EXTENT] = "extent",
		[VMKEEP_Q_OVERLAP] = "overlap",
		[VMKEEP_Q_FIELD] = "field",
	};

	return enum_name(names, ARRAY_SIZE(names), q);
}

static const char *pool_state_name(uint32_t s)
{
	static const char *const names[] = {
		[VMKEEP_POOL_READY] = "ready",
		[VMKEEP_POOL_EMPTY] = "empty",
		[VMKEEP_POOL_DAMAGED] = "damaged",
	};

	return enum_name(names, ARRAY_SIZE(names), s);
}

static const char *damage_name(uint32_t d)
{
	static const char *const names[] = {
		[VMKEEP_D_NONE] = "none",
		[VMKEEP_D_CRC] = "crc",
		[VMKEEP_D_VERSION] = "version",
		[VMKEEP_D_GEOMETRY] = "geometry",
		[VMKEEP_D_FIELD] = "field",
	};

	return enum_name(names, ARRAY_SIZE(names), d);
}

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void add_int(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void add_bool(json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

static void add_str(json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s ? json_object_new_string(s) : NULL);
}

/**
 * vk_regions_json() - {"regions": [...]} for ``vmkeepctl list --json``
 * @r: regions, as VMKEEP_IOC_LIST reports them
 * @n: entries of @r
 *
 * Sizes are bytes; "quarantine" is null unless the state is
 * "quarantined"; "mode" is an octal string such as "0600".
 *
 * Return: a new object for the caller to put.
 */
json_object *vk_regions_json(const struct vmkeep_region_info *r,
			     unsigned int n)
{
	json_object *root = json_object_new_object();
	json_object *arr = json_object_new_array(), *o, *name;
	char mode[8];
	unsigned int i;

	for (i = 0; i < n; i++, r++) {
		o = json_object_new_object();
		name = json_object_new_string_len(r->name, strnlen(r->name, VMKEEP_NAME_LEN));
		json_object_object_add(o, "name", name);
		add_u64(o, "id", r->id);
		add_u64(o, "size", r->length);
		add_str(o, "state", vk_region_state(r));
		add_str(o, "quarantine", r->state == VMKEEP_STATE_QUARANTINED ?
			quarantine_name(r->quarantine) : NULL);
		add_int(o, "uid", r->uid);
		add_int(o, "gid", r->gid);
		snprintf(mode, sizeof(mode), "%04o", r->mode & 07777);
		add_str(o, "mode", mode);
		add_int(o, "node", r->node);
		add_int(o, "pool", r->pool);
		add_bool(o, "exclusive", r->flags & VMKEEP_REGION_EXCLUSIVE);
		add_int(o, "nr_extents", r->nr_extents);
		add_int(o, "nr_open", r->nr_open);
		add_int(o, "nr_mapped", r->nr_mapped);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "regions", arr);
	return root;
}

/**
 * vk_status_json() - {"frozen": bool, "pools": [...]} for ``status --json``
 * @p: pools, as VMKEEP_IOC_STATUS reports them
 * @n: entries of @p
 * @out_flags: &struct vmkeep_status.out_flags
 *
 * Return: a new object for the caller to put.
 */
json_object *vk_status_json(const struct vmkeep_pool_info *p, unsigned int n,
			    uint32_t out_flags)
{
	json_object *root = json_object_new_object();
	json_object *arr = json_object_new_array(), *o;
	unsigned int i;

	add_bool(root, "frozen", out_flags & VMKEEP_STATUS_FROZEN);
	for (i = 0; i < n; i++, p++) {
		o = json_object_new_object();
		add_int(o, "pool", i);
		add_u64(o, "base", p->base);
		add_u64(o, "size", p->length);
		add_u64(o, "free", p->free);
		add_int(o, "node", p->node);
		add_str(o, "state", pool_state_name(p->state));
		add_str(o, "damage", p->state == VMKEEP_POOL_DAMAGED ?
			damage_name(p->damage) : NULL);
		add_bool(o, "clean_handoff", p->flags & VMKEEP_POOL_CLEAN_HANDOFF);
		add_bool(o, "restored", p->flags & VMKEEP_POOL_RESTORED);
		add_int(o, "nr_regions", p->nr_regions);
		add_int(o, "nr_incoming", p->nr_incoming);
		add_int(o, "nr_quarantined", p->nr_quarantined);
		add_u64(o, "generation", p->generation);
		add_u64(o, "handoffs", p->handoffs);
		add_u64(o, "restore_ns", p->restore_ns);
		add_u64(o, "meta_bytes", p->meta_bytes);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "pools", arr);
	return root;
}

static void region_state(const struct vmkeep_region_info *r, char *buf,
			 size_t len)
{
	if (r->state == VMKEEP_STATE_QUARANTINED)
		snprintf(buf, len, "quarantined(%s)", quarantine_name(r->quarantine));
	else
		snprintf(buf, len, "%s", vk_region_state(r));
}

/* The table of ``vmkeepctl list``. */
void vk_print_regions(FILE *f, const struct vmkeep_region_info *r,
		      unsigned int n)
{
	int wname = 4, wstate = 5, wowner = 5;
	char size[32], state[32], owner[24];
	unsigned int i;

	if (!n) {
		fprintf(f, "no regions\n");
		return;
	}
	for (i = 0; i < n; i++) {
		region_state(&r[i], state, sizeof(state));
		snprintf(owner, sizeof(owner), "%u:%u", r[i].uid, r[i].gid);
		if ((int)strnlen(r[i].name, VMKEEP_NAME_LEN) > wname)
			wname = strnlen(r[i].name, VMKEEP_NAME_LEN);
		if ((int)strlen(state) > wstate)
			wstate = strlen(state);
		if ((int)strlen(owner) > wowner)
			wowner = strlen(owner);
	}
	fprintf(f, "%-*s  %10s  %-*s  %-*s  MODE  NODE  %-9s  OPEN  MAPPED\n",
		wname, "NAME", "SIZE", wstate, "STATE", wowner, "OWNER", "FLAGS");
	for (i = 0; i < n; i++, r++) {
		vk_human_size(r->length, size, sizeof(size));
		region_state(r, state, sizeof(state));
		snprintf(owner, sizeof(owner), "%u:%u", r->uid, r->gid);
		fprintf(f, "%-*.*s  %10s  %-*s  %-*s  %04o  %4d  %-9s  %4u  %6u\n",
			wname, VMKEEP_NAME_LEN, r->name, size, wstate, state,
			wowner, owner, r->mode & 07777, r->node,
			r->flags & VMKEEP_REGION_EXCLUSIVE ? "exclusive" : "-",
			r->nr_open, r->nr_mapped);
	}
}

/*
 * The table of ``vmkeepctl status`` and what it means for the handoff:
 * regions restored, incoming, quarantined, and whether the previous
 * kernel shut down in order.
 */
void vk_print_pools(FILE *f, const struct vmkeep_pool_info *p, unsigned int n,
		    uint32_t out_flags)
{
	unsigned int i, restored = 0, incoming = 0, quarantined = 0;
	unsigned int handoffs = 0, unclean = 0, damaged = 0;
	char size[32], avail[32], state[32];

	if (!n) {
		fprintf(f, "no pools\n");
		return;
	}
	fprintf(f,
		"POOL  %-18s  %10s  %10s  NODE  %-18s  REGIONS  INCOMING  QUARANTINED  HANDOFF\n",
		"BASE", "SIZE", "FREE", "STATE");
	for (i = 0; i < n; i++, p++) {
		vk_human_size(p->length, size, sizeof(size));
		vk_human_size(p->free, avail, sizeof(avail));
		if (p->state == VMKEEP_POOL_DAMAGED)
			snprintf(state, sizeof(state), "damaged(%s)", damage_name(p->damage));
		else
			snprintf(state, sizeof(state), "%s", pool_state_name(p->state));
		fprintf(f, "%4u  0x%-16" PRIx64 "  %10s  %10s  %4d  %-18s  %7u  %8u  %11u  %s\n",
			i, (uint64_t)p->base, size, avail, p->node, state, p->nr_regions,
			p->nr_incoming, p->nr_quarantined,
			p->flags & VMKEEP_POOL_CLEAN_HANDOFF ? "clean" :
			p->flags & VMKEEP_POOL_RESTORED ? "unclean" : "-");
		if (p->flags & VMKEEP_POOL_RESTORED) {
			restored += p->nr_regions;
			handoffs++;
			unclean += !(p->flags & VMKEEP_POOL_CLEAN_HANDOFF);
		}
		incoming += p->nr_incoming;
		quarantined += p->nr_quarantined;
		damaged += p->state == VMKEEP_POOL_DAMAGED;
	}
	fprintf(f, "%u region%s restored, %u incoming, %u quarantined; ",
		restored, restored == 1 ? "" : "s", incoming, quarantined);
	if (!handoffs)
		fprintf(f, "no handoff from a previous kernel\n");
	else if (unclean)
		fprintf(f, "unclean handoff: the previous kernel did not shut down in order\n");
	else
		fprintf(f, "clean handoff\n");
	if (damaged)
		fprintf(f,
			"%u damaged pool%s left untouched: 'vmkeepctl format --pool N --force' erases one\n",
			damaged, damaged == 1 ? "" : "s");
	if (out_flags & VMKEEP_STATUS_FROZEN)
		fprintf(f,
			"frozen for kexec: alloc, free, finish and format fail until 'vmkeepctl thaw'\n");
}
