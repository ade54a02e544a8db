// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeepctl - the operator's tool for vmkeep: load the module, manage
 * regions, hand their fds to QEMU, and kexec only into a command line
 * that keeps every pool with regions reserved.  Laid out like ndctl and
 * daxctl: a table of commands, cmd_<verb>(argc, argv, ctx), --help per
 * command, and one kmod_ctx per program.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libkmod.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "vmkeepctl.h"

/* Exit codes, as Documentation/vmkeepctl.rst lists them. */
enum {
	RC_OK = 0,
	RC_FAIL = 1,	/* the operation failed */
	RC_USAGE = 2,	/* bad command line */
	RC_UNSAFE = 3,	/* kexec refused: regions would be lost */
	RC_NODEV = 4,	/* module or /dev/vmkeep not available */
};

#define MAX_FDS		32
#define MAX_RAM		256
#define EXAMPLE_POOL	(4ULL << 30)

struct ctx;

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct ctx *ctx);
	const char *help;
};

struct ctx {
	const struct cmd *cmd;
	struct kmod_ctx *kmod;
};

static int help(struct ctx *ctx)
{
	printf("usage: vmkeepctl %s", ctx->cmd->help);
	return RC_OK;
}

static int bad_usage(struct ctx *ctx)
{
	fprintf(stderr, "usage: vmkeepctl %s", ctx->cmd->help);
	return RC_USAGE;
}

/* "vmkeepctl: CMD[ OBJ]:[ strerror(err)][: why]" on stderr; returns @rc. */
static int fail(struct ctx *ctx, int rc, const char *obj, int err,
		const char *why)
{
	fprintf(stderr, "vmkeepctl: %s%s%s:", ctx->cmd->name, obj ? " " : "",
		obj ?: "");
	if (err)
		fprintf(stderr, " %s%s", strerror(err), why ? ":" : "");
	fprintf(stderr, "%s%s\n", why ? " " : "", why ?: "");
	return rc;
}

static int bad_arg(struct ctx *ctx, const char *opt, const char *val,
		   const char *expected)
{
	fprintf(stderr, "vmkeepctl: %s %s %s: expected %s\n",
		ctx->cmd->name, opt, val, expected);
	return RC_USAGE;
}

static int check_name(struct ctx *ctx, const char *name)
{
	const char *why = vk_name_error(name);

	return why ? fail(ctx, RC_USAGE, name, 0, why) : 0;
}

static int parse_uint(const char *s, int base, unsigned long max,
		      unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, base);
	return errno || *end || *out > max ? -1 : 0;
}

/* A user or group: a number or a name. */
static int parse_id(const char *s, bool group, __u32 *id)
{
	struct passwd *pw;
	struct group *gr;
	unsigned long v;

	if (!parse_uint(s, 10, UINT32_MAX - 1, &v)) {
		*id = v;
		return 0;
	}
	if (group) {
		gr = getgrnam(s);
		if (gr)
			*id = gr->gr_gid;
		return gr ? 0 : -1;
	}
	pw = getpwnam(s);
	if (pw)
		*id = pw->pw_uid;
	return pw ? 0 : -1;
}

/* "USER:GROUP" */
static int parse_owner(const char *s, __u32 *uid, __u32 *gid)
{
	const char *colon = strchr(s, ':');
	char user[LOGIN_NAME_MAX];

	if (!colon || colon - s >= (long)sizeof(user))
		return -1;
	memcpy(user, s, colon - s);
	user[colon - s] = '\0';
	return parse_id(user, false, uid) || parse_id(colon + 1, true, gid) ? -1 : 0;
}

/* A whole text file (as /proc files, which have no size), or NULL. */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &cap, '\0', f) < 0) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static char *proc_cmdline(void)
{
	char *s = read_text("/proc/cmdline");

	if (s)
		s[strcspn(s, "\n")] = '\0';
	return s;
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					       JSON_C_TO_STRING_SPACED |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static const char *dev_path(void)
{
	return getenv("VMKEEP_DEV") ?: "/dev/vmkeep";
}

static int dev_open(struct ctx *ctx, int *fd)
{
	*fd = open(dev_path(), O_RDWR | O_CLOEXEC);
	if (*fd >= 0)
		return 0;
	if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
		return fail(ctx, RC_NODEV, dev_path(), errno,
			    "the vmkeep module is not loaded ('vmkeepctl load')");
	return fail(ctx, RC_FAIL, dev_path(), errno,
		    errno == EACCES ? "needs root" : NULL);
}

/*
 * VMKEEP_IOC_LIST and VMKEEP_IOC_STATUS: ask with no room, learn the
 * count from EMSGSIZE, allocate, ask again; again if it grew meanwhile.
 * Return 0 or an errno.
 */
static int get_regions(int fd, struct vmkeep_region_info **out,
		       unsigned int *n)
{
	struct vmkeep_list l = { .size = sizeof(l) };
	struct vmkeep_region_info *r = NULL, *tmp;
	int err;

	for (;;) {
		l.regions = (uintptr_t)r;
		if (!ioctl(fd, VMKEEP_IOC_LIST, &l))
			break;
		err = errno;
		tmp = err == EMSGSIZE ? reallocarray(r, l.num_regions, sizeof(*r)) : NULL;
		if (!tmp) {
			free(r);
			return err == EMSGSIZE ? ENOMEM : err;
		}
		r = tmp;
	}
	*out = r;
	*n = l.num_regions;
	return 0;
}

static int get_pools(int fd, struct vmkeep_pool_info **out, unsigned int *n,
		     uint32_t *out_flags)
{
	struct vmkeep_status s = { .size = sizeof(s) };
	struct vmkeep_pool_info *p = NULL, *tmp;
	int err;

	for (;;) {
		s.pools = (uintptr_t)p;
		if (!ioctl(fd, VMKEEP_IOC_STATUS, &s))
			break;
		err = errno;
		tmp = err == EMSGSIZE ? reallocarray(p, s.num_pools, sizeof(*p)) : NULL;
		if (!tmp) {
			free(p);
			return err == EMSGSIZE ? ENOMEM : err;
		}
		p = tmp;
	}
	*out = p;
	*n = s.num_pools;
	*out_flags = s.out_flags;
	return 0;
}

static bool is_frozen(int fd)
{
	struct vmkeep_pool_info *p;
	unsigned int n;
	uint32_t flags;

	if (get_pools(fd, &p, &n, &flags))
		return false;
	free(p);
	return flags & VMKEEP_STATUS_FROZEN;
}

/* What an ioctl errno means here (the uAPI's "General ioctl format"). */
static const char *why(int fd, int err)
{
	switch (err) {
	case ENOENT:
		return "no region has that name";
	case EEXIST:
		return "a region with that name exists already";
	case EACCES:
		return "the region's owner and mode do not allow it";
	case EPERM:
		return "needs CAP_SYS_ADMIN";
	case EBUSY:
		return is_frozen(fd) ? "vmkeep is frozen for kexec ('vmkeepctl thaw')" :
				       "the region is exclusive and open elsewhere";
	case EIO:
		return "the region is quarantined: its metadata failed validation";
	case ENODEV:
		return "no usable pool ('vmkeepctl status')";
	case ENOTTY:
	case E2BIG:
	case EOPNOTSUPP:
		return "the loaded vmkeep module does not support this request";
	}
	return NULL;
}

static const struct vmkeep_region_info *
find_region(const struct vmkeep_region_info *r, unsigned int n,
	    const char *name)
{
	for (; n; n--, r++)
		if (!strncmp(r->name, name, VMKEEP_NAME_LEN))
			return r;
	return NULL;
}

static int show_region(struct ctx *ctx, int fd, const char *name, bool json)
{
	const struct vmkeep_region_info *ri;
	struct vmkeep_region_info *r;
	unsigned int n;
	int err = get_regions(fd, &r, &n);

	if (err)
		return fail(ctx, RC_FAIL, name, err, "cannot list regions");
	ri = find_region(r, n, name);
	if (!ri)
		err = fail(ctx, RC_FAIL, name, ENOENT, "freed meanwhile");
	else if (json)
		print_json(vk_regions_json(ri, 1));
	else
		vk_print_regions(stdout, ri, 1);
	free(r);
	return err;
}

/* VMKEEP_IOC_GET: a new O_CLOEXEC fd of a region. */
static int region_get(struct ctx *ctx, int fd, const char *name, int *out)
{
	struct vmkeep_get g = { .size = sizeof(g) };
	int err;

	strcpy(g.name, name);
	if (ioctl(fd, VMKEEP_IOC_GET, &g)) {
		err = errno;
		return fail(ctx, RC_FAIL, name, err, why(fd, err));
	}
	*out = g.out_fd;
	return 0;
}

/* Warn about regions still mapped, whose VMMs still run; how many. */
static unsigned int warn_mapped(struct ctx *ctx,
				const struct vmkeep_region_info *r,
				unsigned int n)
{
	unsigned int mapped = 0;

	for (; n; n--, r++) {
		if (!r->nr_mapped)
			continue;
		if (!mapped++)
			fprintf(stderr,
				"vmkeepctl: %s: warning: regions still mapped (their VMMs still run):",
				ctx->cmd->name);
		fprintf(stderr, " %.*s", VMKEEP_NAME_LEN, r->name);
	}
	if (mapped)
		fputc('\n', stderr);
	return mapped;
}

/* Options of the commands that take nothing but --json: -1 to go on. */
static int simple_opts(int argc, char **argv, struct ctx *ctx, bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j' && json)
			*json = true;
		else
			return c == 'h' ? help(ctx) : bad_usage(ctx);
	}
	return -1;
}

/* An ioctl with nothing to show but @done: FREE, FINISH, THAW. */
static int region_op(struct ctx *ctx, unsigned long req, void *arg,
		     const char *obj, const char *done)
{
	int fd, err, rc = dev_open(ctx, &fd);

	if (rc)
		return rc;
	if (ioctl(fd, req, arg)) {
		err = errno;
		rc = fail(ctx, RC_FAIL, obj, err, why(fd, err));
	} else {
		printf("%s\n", done);
	}
	close(fd);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The physical ranges of a NUMA node: its memory blocks, merged. */
static int node_ranges(long node, struct vk_range **out)
{
	uint64_t bs, id, *ids = NULL, *tmp;
	char path[64], *text, c;
	struct dirent *de;
	size_t n = 0, i;
	int m = 0;
	DIR *d;

	text = read_text("/sys/devices/system/memory/block_size_bytes");
	if (!text)
		return -ENOENT;
	bs = strtoull(text, NULL, 16);
	free(text);
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%ld", node);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "memory%" SCNu64 "%c", &id, &c) != 1)
			continue;
		tmp = reallocarray(ids, n + 1, sizeof(*ids));
		if (!tmp) {
			closedir(d);
			free(ids);
			return -ENOMEM;
		}
		ids = tmp;
		ids[n++] = id;
	}
	closedir(d);
	*out = calloc(n + 1, sizeof(**out));
	if (!*out || !n || !bs) {
		free(ids);
		free(*out);
		return -ENOENT;
	}
	qsort(ids, n, sizeof(*ids), cmp_u64);
	for (i = 0; i < n; i++) {
		if (m && (*out)[m - 1].end == ids[i] * bs) {
			(*out)[m - 1].end += bs;
		} else {
			(*out)[m].start = ids[i] * bs;
			(*out)[m++].end = ids[i] * bs + bs;
		}
	}
	free(ids);
	return m;
}

/*
 * Where a pool of @size could go (on @node, unless negative).  Return 0,
 * or -errno with @whybuf filled in.
 */
static int find_pool(uint64_t size, long node, uint64_t *addr,
		     char *whybuf, size_t len)
{
	struct vk_range ram[MAX_RAM], *nodes = NULL, *both = NULL, *r = ram;
	char *text = read_text("/proc/iomem"), hs[32];
	int n, m, err;

	if (!text) {
		snprintf(whybuf, len, "cannot read /proc/iomem");
		return -(errno ?: EIO);
	}
	n = vk_parse_iomem(text, ram, MAX_RAM);
	free(text);
	if (n < 0) {
		snprintf(whybuf, len, "/proc/iomem shows addresses only to root");
		return -EPERM;
	}
	if (node >= 0) {
		m = node_ranges(node, &nodes);
		if (m < 0) {
			snprintf(whybuf, len,
				 "cannot read the memory blocks of NUMA node %ld from sysfs", node);
			return m;
		}
		both = calloc((size_t)n * m + 1, sizeof(*both));
		if (!both) {
			free(nodes);
			return -ENOMEM;
		}
		n = vk_intersect(ram, n, nodes, m, both, (size_t)n * m);
		r = both;
		free(nodes);
	}
	err = vk_pool_suggest(r, n, size, addr);
	free(both);
	if (err) {
		vk_human_size(size, hs, sizeof(hs));
		snprintf(whybuf, len, "System RAM%s has no 2 MiB aligned %s above 1 GiB",
			 node >= 0 ? " of the node" : "", hs);
	}
	return err;
}

static int print_status(struct ctx *ctx, int fd, bool json)
{
	struct vmkeep_pool_info *p;
	unsigned int n;
	uint32_t flags;
	int err = get_pools(fd, &p, &n, &flags);

	if (err)
		return fail(ctx, RC_FAIL, NULL, err, why(fd, err));
	if (json)
		print_json(vk_status_json(p, n, flags));
	else
		vk_print_pools(stdout, p, n, flags);
	free(p);
	return RC_OK;
}

static int vmkeep_module(struct ctx *ctx, struct kmod_module **mod)
{
	int err;

	ctx->kmod = kmod_new(NULL, NULL);
	if (!ctx->kmod)
		return fail(ctx, RC_NODEV, "vmkeep", ENOMEM, "kmod_new() failed");
	err = kmod_module_new_from_name(ctx->kmod, "vmkeep", mod);
	return err ? fail(ctx, RC_NODEV, "vmkeep", -err, NULL) : 0;
}

/* Why load refuses without a pool, and which parameters would give one. */
static int no_pool(struct ctx *ctx)
{
	char whybuf[160], params[128];
	uint64_t addr;

	fail(ctx, RC_FAIL, NULL, 0,
	     "no pool: neither /proc/cmdline (vmkeep.pools=), modprobe.d nor --pools names one");
	if (!find_pool(EXAMPLE_POOL, -1, &addr, whybuf, sizeof(whybuf))) {
		vk_pool_params(addr, EXAMPLE_POOL, params, sizeof(params));
		fprintf(stderr,
			"vmkeepctl: load: reserve one on the kernel command line and reboot, for example\n"
			"    %s\n", params);
	}
	fprintf(stderr,
		"vmkeepctl: load: 'vmkeepctl pool suggest --size SIZE' finds room for the size you need\n");
	return RC_FAIL;
}

static int cmd_load(int argc, char **argv, struct ctx *ctx)
{
	static const struct option opts[] = {
		{ "pools", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *pools = NULL, *conf;
	struct kmod_module *mod;
	struct vk_range r[64];
	char *opt = NULL, val[4096];
	int c, fd, err, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pools = optarg;
			break;
		case 'h':
			return help(ctx);
		default:
			return bad_usage(ctx);
		}
	}
	if (optind != argc)
		return bad_usage(ctx);
	if (pools && vk_parse_pools(pools, r, ARRAY_SIZE(r)) <= 0)
		return bad_arg(ctx, "--pools", pools, "SIZE@ADDR[,SIZE@ADDR...]");

	rc = vmkeep_module(ctx, &mod);
	if (rc)
		return rc;
	err = kmod_module_get_initstate(mod);
	/* libkmod's options of vmkeep: modprobe.d, then vmkeep.* of /proc/cmdline */
	conf = kmod_module_get_options(mod) ?: "";
	if (err == KMOD_MODULE_LIVE || err == KMOD_MODULE_BUILTIN) {
		printf("vmkeep is loaded already%s\n",
		       pools ? "; --pools applies at the next load" : "");
		err = 0;
	} else if (!pools && (vk_cmdline_param(conf, "pools", val, sizeof(val)) != 1 || !val[0])) {
		kmod_module_unref(mod);
		return no_pool(ctx);
	} else if (pools && asprintf(&opt, "pools=%s", pools) < 0) {
		err = -ENOMEM;
	} else {
		err = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST,
						      opt, NULL, NULL, NULL);
	}
	kmod_module_unref(mod);
	free(opt);
	if (err > 0)
		return fail(ctx, RC_NODEV, "vmkeep", 0, "the module is blacklisted in modprobe.d");
	if (err == -ENOENT)
		return fail(ctx, RC_NODEV, "vmkeep", ENOENT,
			    "no vmkeep module for this kernel (is it installed? 'dkms status')");
	if (err < 0)
		return fail(ctx, RC_NODEV, "vmkeep", -err, "see the kernel log (dmesg)");

	rc = dev_open(ctx, &fd);
	if (rc)
		return rc;
	rc = print_status(ctx, fd, false);
	close(fd);
	return rc;
}

/*
 * A freed region whose pages were held (a pin, a pipe) keeps the module
 * until the module looks again: any STATUS does, even one with no room.
 */
static void reap_held_pages(void)
{
	struct vmkeep_status s = { .size = sizeof(s) };
	int fd = open(dev_path(), O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	ioctl(fd, VMKEEP_IOC_STATUS, &s);
	close(fd);
}

static int cmd_unload(int argc, char **argv, struct ctx *ctx)
{
	struct kmod_module *mod;
	int rc = simple_opts(argc, argv, ctx, NULL), err;

	if (rc >= 0)
		return rc;
	if (optind != argc)
		return bad_usage(ctx);
	rc = vmkeep_module(ctx, &mod);
	if (rc)
		return rc;
	err = kmod_module_get_initstate(mod);
	if (err == KMOD_MODULE_LIVE || err == KMOD_MODULE_COMING) {
		reap_held_pages();
		err = kmod_module_remove_module(mod, 0);
	} else {
		printf("vmkeep is not loaded\n");
		err = 0;
	}
	kmod_module_unref(mod);
	if (err == -EBUSY || err == -EAGAIN)
		return fail(ctx, RC_FAIL, "vmkeep", -err,
			    "in use: /dev/vmkeep or a region file is open, a region is mapped, a process keeps an O_PATH fd or /proc/PID/fd link of one, or a freed region's page is still held");
	return err < 0 ? fail(ctx, RC_FAIL, "vmkeep", -err, NULL) : RC_OK;
}

static int cmd_status(int argc, char **argv, struct ctx *ctx)
{
	bool json = false;
	int fd, rc = simple_opts(argc, argv, ctx, &json);

	if (rc >= 0)
		return rc;
	if (optind != argc)
		return bad_usage(ctx);
	rc = dev_open(ctx, &fd);
	if (rc)
		return rc;
	rc = print_status(ctx, fd, json);
	close(fd);
	return rc;
}

static int cmd_list(int argc, char **argv, struct ctx *ctx)
{
	struct vmkeep_region_info *r;
	unsigned int n;
	bool json = false;
	int fd, err, rc = simple_opts(argc, argv, ctx, &json);

	if (rc >= 0)
		return rc;
	if (optind != argc)
		return bad_usage(ctx);
	rc = dev_open(ctx, &fd);
	if (rc)
		return rc;
	err = get_regions(fd, &r, &n);
	if (err) {
		rc = fail(ctx, RC_FAIL, NULL, err, why(fd, err));
	} else {
		if (json)
			print_json(vk_regions_json(r, n));
		else
			vk_print_regions(stdout, r, n);
		free(r);
	}
	close(fd);
	return rc;
}

static int cmd_alloc(int argc, char **argv, struct ctx *ctx)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "node", required_argument, NULL, 'N' },
		{ "exclusive", no_argument, NULL, 'x' },
		{ "mode", required_argument, NULL, 'm' },
		{ "owner", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct vmkeep_alloc a = { .size = sizeof(a) };
	const char *name = NULL, *hint;
	char hs[32], whybuf[96];
	unsigned long v;
	uint64_t len = 0;
	bool json = false;
	int c, fd, err, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 's':
			if (vk_parse_size(optarg, &len) || !len || len % VMKEEP_ALIGN)
				return bad_arg(ctx, "--size", optarg,
					       "a non-zero multiple of 2 MiB, such as 4G");
			a.length = len;
			break;
		case 'N':
			if (parse_uint(optarg, 10, INT_MAX, &v))
				return bad_arg(ctx, "--node", optarg, "a NUMA node number");
			a.node = v;
			a.flags |= VMKEEP_ALLOC_NODE;
			break;
		case 'x':
			a.flags |= VMKEEP_REGION_EXCLUSIVE;
			break;
		case 'm':
			if (parse_uint(optarg, 8, 0777, &v) || !v)
				return bad_arg(ctx, "--mode", optarg,
					       "octal permissions 1 to 0777");
			a.mode = v;
			break;
		case 'o':
			if (parse_owner(optarg, &a.uid, &a.gid))
				return bad_arg(ctx, "--owner", optarg,
					       "USER:GROUP, names or numbers");
			a.flags |= VMKEEP_ALLOC_OWNER;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			return help(ctx);
		default:
			return bad_usage(ctx);
		}
	}
	if (!name || !a.length || optind != argc)
		return bad_usage(ctx);
	rc = check_name(ctx, name);
	if (rc)
		return rc;
	strcpy(a.name, name);
	rc = dev_open(ctx, &fd);
	if (rc)
		return rc;
	if (ioctl(fd, VMKEEP_IOC_ALLOC, &a)) {
		err = errno;
		hint = why(fd, err);
		if (err == ENOSPC) {
			vk_human_size(a.length, hs, sizeof(hs));
			snprintf(whybuf, sizeof(whybuf), "no pool%s has %s free",
				 a.flags & VMKEEP_ALLOC_NODE ? " on the node" : "", hs);
			hint = whybuf;
		} else if ((err == EPERM || err == EACCES) && a.flags & VMKEEP_ALLOC_OWNER) {
			hint = "--owner needs CAP_CHOWN";
		} else if (err == EBUSY) {
			hint = "vmkeep is frozen for kexec ('vmkeepctl thaw')";
		}
		rc = fail(ctx, RC_FAIL, name, err, hint);
	} else {
		/* the region outlives its fd */
		close(a.out_fd);
		rc = show_region(ctx, fd, name, json);
	}
	close(fd);
	return rc;
}

static int cmd_get(int argc, char **argv, struct ctx *ctx)
{
	bool json = false;
	int fd, rfd, rc = simple_opts(argc, argv, ctx, &json);

	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return bad_usage(ctx);
	rc = check_name(ctx, argv[optind]);
	if (rc)
		return rc;
	rc = dev_open(ctx, &fd);
	if (rc)
		return rc;
	rc = region_get(ctx, fd, argv[optind], &rfd);
	if (!rc) {
		close(rfd);
		rc = show_region(ctx, fd, argv[optind], json);
	}
	close(fd);
	return rc;
}

static int cmd_finish(int argc, char **argv, struct ctx *ctx)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct vmkeep_finish f = { .size = sizeof(f) };
	char done[96];
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			f.flags = VMKEEP_FINISH_ALL;
			break;
		case 'h':
			return help(ctx);
		default:
			return bad_usage(ctx);
		}
	}
	if (argc - optind != !f.flags)
		return bad_usage(ctx);
	if (f.flags)
		return region_op(ctx, VMKEEP_IOC_FINISH, &f, "--all",
				 "every incoming region you may finish is active");
	rc = check_name(ctx, argv[optind]);
	if (rc)
		return rc;
	strcpy(f.name, argv[optind]);
	snprintf(done, sizeof(done), "%s: active", f.name);
	return region_op(ctx, VMKEEP_IOC_FINISH, &f, f.name, done);
}

static int cmd_free(int argc, char **argv, struct ctx *ctx)
{
	struct vmkeep_free f = { .size = sizeof(f) };
	int rc = simple_opts(argc, argv, ctx, NULL);
	char done[96];

	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return bad_usage(ctx);
	rc = check_name(ctx, argv[optind]);
	if (rc)
		return rc;
	strcpy(f.name, argv[optind]);
	snprintf(done, sizeof(done), "%s: freed", f.name);
	return region_op(ctx, VMKEEP_IOC_FREE, &f, f.name, done);
}

static int cmd_freeze(int argc, char **argv, struct ctx *ctx)
{
	struct vmkeep_freeze f = { .size = sizeof(f) };
	struct vmkeep_region_info *r;
	unsigned int n;
	int fd, err, rc = simple_opts(argc, argv, ctx, NULL);

	if (rc >= 0)
		return rc;
	if (optind != argc)
		return bad_usage(ctx);
	rc = dev_open(ctx, &fd);
	if (rc)
		return rc;
	if (ioctl(fd, VMKEEP_IOC_FREEZE, &f)) {
		err = errno;
		rc = fail(ctx, RC_FAIL, NULL, err, why(fd, err));
	} else {
		printf("vmkeep is frozen for kexec ('vmkeepctl thaw' undoes it)\n");
		if (f.out_mapped && !get_regions(fd, &r, &n)) {
			warn_mapped(ctx, r, n);
			free(r);
		}
	}
	close(fd);
	return rc;
}

static int cmd_thaw(int argc, char **argv, struct ctx *ctx)
{
	struct vmkeep_thaw t = { .size = sizeof(t) };
	int rc = simple_opts(argc, argv, ctx, NULL);

	if (rc >= 0)
		return rc;
	if (optind != argc)
		return bad_usage(ctx);
	return region_op(ctx, VMKEEP_IOC_THAW, &t, NULL, "vmkeep is thawed");
}

static int cmd_format(int argc, char **argv, struct ctx *ctx)
{
	static const struct option opts[] = {
		{ "pool", required_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct vmkeep_format f = { .size = sizeof(f) };
	char obj[24];
	const char *hint;
	unsigned long v;
	bool have_pool = false;
	int c, fd, err, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_uint(optarg, 10, UINT32_MAX, &v))
				return bad_arg(ctx, "--pool", optarg,
					       "a pool index ('vmkeepctl status')");
			f.pool = v;
			have_pool = true;
			break;
		case 'f':
			f.flags = VMKEEP_FORMAT_FORCE;
			break;
		case 'h':
			return help(ctx);
		default:
			return bad_usage(ctx);
		}
	}
	if (!have_pool || optind != argc)
		return bad_usage(ctx);
	snprintf(obj, sizeof(obj), "pool %u", f.pool);
	rc = dev_open(ctx, &fd);
	if (rc)
		return rc;
	if (ioctl(fd, VMKEEP_IOC_FORMAT, &f)) {
		err = errno;
		hint = why(fd, err);
		if (err == EINVAL || err == ENOENT)
			hint = "no such pool ('vmkeepctl status')";
		else if (err == EBUSY && !is_frozen(fd))
			hint = f.flags ? "regions of the pool are still open" :
			       "the pool holds regions or is damaged; --force erases them";
		rc = fail(ctx, RC_FAIL, obj, err, hint);
	} else {
		printf("pool %u: formatted\n", f.pool);
	}
	close(fd);
	return rc;
}

struct fd_map {
	const char *name;
	int target;
	int fd;
};

/* "NAME:fd=N[,NAME:fd=N...]"; a name may contain ':', so split at the last ":fd=". */
static int parse_fd_maps(struct ctx *ctx, char *spec, struct fd_map *m,
			 unsigned int *n)
{
	char *e, *sep, *q;
	unsigned long v;
	unsigned int i;
	int rc;

	while ((e = strsep(&spec, ","))) {
		for (sep = NULL, q = e; (q = strstr(q, ":fd=")); q++)
			sep = q;
		if (!sep || parse_uint(sep + 4, 10, INT_MAX, &v) || v < 3)
			return bad_arg(ctx, "--region", e, "NAME:fd=N with N >= 3");
		if (*n == MAX_FDS)
			return bad_arg(ctx, "--region", e, "at most 32 regions");
		*sep = '\0';
		rc = check_name(ctx, e);
		if (rc)
			return rc;
		for (i = 0; i < *n; i++)
			if (m[i].target == (int)v)
				return bad_arg(ctx, "--region", e, "each fd number once");
		m[*n].name = e;
		m[(*n)++].target = v;
	}
	return 0;
}

static int cmd_exec(int argc, char **argv, struct ctx *ctx)
{
	static const struct option opts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct fd_map m[MAX_FDS];
	unsigned int n = 0, i;
	int c, fd, rfd, top = 0, rc;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rc = parse_fd_maps(ctx, optarg, m, &n);
			if (rc)
				return rc;
			break;
		case 'h':
			return help(ctx);
		default:
			return bad_usage(ctx);
		}
	}
	if (!n || optind == argc)
		return bad_usage(ctx);
	for (i = 0; i < n; i++)
		if (m[i].target > top)
			top = m[i].target;
	rc = dev_open(ctx, &fd);
	if (rc)
		return rc;
	/*
	 * Park every region fd above all requested numbers first, so that
	 * moving one into place never closes another (or /dev/vmkeep).
	 */
	for (i = 0; i < n; i++) {
		rc = region_get(ctx, fd, m[i].name, &rfd);
		if (rc)
			return rc;
		m[i].fd = fcntl(rfd, F_DUPFD_CLOEXEC, top + 1);
		if (m[i].fd < 0)
			return fail(ctx, RC_FAIL, m[i].name, errno,
				    "fd number beyond the open-file limit");
		close(rfd);
	}
	close(fd);
	/* dup2() leaves the new fd without FD_CLOEXEC: the command inherits it */
	for (i = 0; i < n; i++) {
		if (dup2(m[i].fd, m[i].target) < 0)
			return fail(ctx, RC_FAIL, m[i].name, errno, "dup2() failed");
		close(m[i].fd);
	}
	execvp(argv[optind], argv + optind);
	return fail(ctx, RC_FAIL, argv[optind], errno, NULL);
}

/* One message on a unix socket, with @fd attached unless negative. */
static int send_fd(int sock, const char *data, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf = {};
	struct iovec iov = { .iov_base = (void *)data, .iov_len = strlen(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)iov.iov_len)
		return 0;
	return errno ?: EIO;
}

/*
 * The next QMP answer that is not an event: the greeting's "QMP" or a
 * "return" value into @out; an "error" is reported.
 */
static int qmp_answer(struct ctx *ctx, FILE *in, const char *obj,
		      json_object **out)
{
	json_object *o, *v, *desc;
	char *line = NULL;
	size_t cap = 0;
	int rc = -1;

	while (rc < 0 && getline(&line, &cap, in) > 0) {
		o = json_tokener_parse(line);
		if (!o)
			continue;
		if (json_object_object_get_ex(o, "error", &v)) {
			json_object_object_get_ex(v, "desc", &desc);
			rc = fail(ctx, RC_FAIL, obj, 0, json_object_get_string(desc));
		} else if (json_object_object_get_ex(o, "return", &v) ||
			   json_object_object_get_ex(o, "QMP", &v)) {
			*out = json_object_get(v);
			rc = 0;
		}
		json_object_put(o);
	}
	free(line);
	return rc < 0 ? fail(ctx, RC_FAIL, obj, 0, "QMP closed the connection") : rc;
}

static int qmp_call(struct ctx *ctx, int sock, FILE *in, const char *obj,
		    const char *data, int fd, json_object **ret)
{
	int err = send_fd(sock, data, fd);

	return err ? fail(ctx, RC_FAIL, obj, err, NULL) : qmp_answer(ctx, in, obj, ret);
}

static int qmp_int(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : -1;
}

static int cmd_send(int argc, char **argv, struct ctx *ctx)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "qmp", no_argument, NULL, 'q' },
		{ "fdset", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = NULL, *name;
	char data[256], set[32] = "";
	json_object *ret = NULL;
	unsigned long fdset = 0;
	bool qmp = false, have_set = false;
	FILE *in = NULL;
	int c, i, fd, sock, rfd, err, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'q':
			qmp = true;
			break;
		case 'f':
			if (parse_uint(optarg, 10, INT_MAX, &fdset))
				return bad_arg(ctx, "--fdset", optarg, "an fdset id");
			have_set = true;
			break;
		case 'h':
			return help(ctx);
		default:
			return bad_usage(ctx);
		}
	}
	if (!path || optind == argc || (have_set && !qmp))
		return bad_usage(ctx);
	if (strlen(path) >= sizeof(sa.sun_path))
		return bad_arg(ctx, "--socket", path, "a shorter path");
	for (i = optind; i < argc; i++) {
		rc = check_name(ctx, argv[i]);
		if (rc)
			return rc;
	}
	rc = dev_open(ctx, &fd);
	if (rc)
		return rc;
	strcpy(sa.sun_path, path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = fail(ctx, RC_FAIL, path, errno, NULL);
		goto out;
	}
	if (qmp) {
		/* the greeting, then leave capabilities negotiation mode */
		in = fdopen(dup(sock), "re");
		rc = in ? qmp_answer(ctx, in, path, &ret) : fail(ctx, RC_FAIL, path, errno, NULL);
		json_object_put(ret);
		ret = NULL;
		if (!rc)
			rc = qmp_call(ctx, sock, in, path,
				      "{\"execute\":\"qmp_capabilities\"}\n", -1, &ret);
		if (rc)
			goto out;
	}
	for (i = optind; i < argc; i++) {
		name = argv[i];
		rc = region_get(ctx, fd, name, &rfd);
		if (rc)
			break;
		if (have_set)
			snprintf(set, sizeof(set), "\"fdset-id\":%lu,", fdset + i - optind);
		if (!qmp) {
			snprintf(data, sizeof(data), "%s\n", name);
			err = send_fd(sock, data, rfd);
			close(rfd);
			if (err) {
				rc = fail(ctx, RC_FAIL, name, err, path);
				break;
			}
			printf("%s: sent\n", name);
			continue;
		}
		snprintf(data, sizeof(data),
			 "{\"execute\":\"add-fd\",\"arguments\":{%s\"opaque\":\"vmkeep:%s\"}}\n",
			 set, name);
		json_object_put(ret);
		ret = NULL;
		rc = qmp_call(ctx, sock, in, name, data, rfd, &ret);
		close(rfd);
		if (rc)
			break;
		fprintf(stdout,
			"%s: fdset-id %d, fd %d: mem-path=/dev/fdset/%d (fdset-patched QEMU) or /proc/self/fd/%d\n",
			name, qmp_int(ret, "fdset-id"), qmp_int(ret, "fd"),
			qmp_int(ret, "fdset-id"), qmp_int(ret, "fd"));
	}
out:
	json_object_put(ret);
	if (in)
		fclose(in);
	if (sock >= 0)
		close(sock);
	close(fd);
	return rc;
}

/* The version of the QEMU on $PATH, for the note on /dev/fdset. */
static void qemu_note(struct ctx *ctx, unsigned long set)
{
	FILE *p = popen("qemu-system-x86_64 -version 2>/dev/null", "re");
	char line[256], ver[64] = "no qemu-system-x86_64 on $PATH";
	int maj, min;

	if (p) {
		if (fgets(line, sizeof(line), p) &&
		    sscanf(line, "QEMU emulator version %d.%d", &maj, &min) == 2)
			snprintf(ver, sizeof(ver), "%d.%d here", maj, min);
		pclose(p);
	}
	fprintf(stderr,
		"vmkeepctl: %s: note: mem-path=/dev/fdset/%lu needs a QEMU with the fdset patch;"
		" stock QEMU (%s) opens mem-path with open(): leave out --fdset to use /proc/self/fd/N\n",
		ctx->cmd->name, set, ver);
}

static bool qemu_id_ok(const char *id)
{
	const char *p;

	for (p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
			return false;
	return isalpha((unsigned char)*id);
}

static int cmd_qemu_args(int argc, char **argv, struct ctx *ctx)
{
	static const struct option opts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "id", required_argument, NULL, 'i' },
		{ "fdset", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const struct vmkeep_region_info *ri;
	struct vmkeep_region_info *r;
	unsigned long nfd = 10, set = 0;
	const char *id = "ram0";
	bool have_set = false;
	unsigned int n;
	int c, fd, err, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_uint(optarg, 10, INT_MAX, &nfd) || nfd < 3)
				return bad_arg(ctx, "--fd", optarg, "an fd number >= 3");
			break;
		case 'i':
			id = optarg;
			if (!qemu_id_ok(id))
				return bad_arg(ctx, "--id", id,
					       "a QEMU id: a letter, then [A-Za-z0-9._-]");
			break;
		case 's':
			if (parse_uint(optarg, 10, INT_MAX, &set))
				return bad_arg(ctx, "--fdset", optarg, "an fdset id");
			have_set = true;
			break;
		case 'h':
			return help(ctx);
		default:
			return bad_usage(ctx);
		}
	}
	if (argc - optind != 1)
		return bad_usage(ctx);
	rc = check_name(ctx, argv[optind]);
	if (rc)
		return rc;
	rc = dev_open(ctx, &fd);
	if (rc)
		return rc;
	err = get_regions(fd, &r, &n);
	if (err)
		rc = fail(ctx, RC_FAIL, argv[optind], err, why(fd, err));
	close(fd);
	if (err)
		return rc;
	ri = find_region(r, n, argv[optind]);
	if (!ri) {
		rc = fail(ctx, RC_FAIL, argv[optind], ENOENT, "no region has that name");
	} else if (have_set) {
		fprintf(stdout,
			"-add-fd fd=%lu,set=%lu -object memory-backend-file,id=%s,size=%llu,mem-path=/dev/fdset/%lu,share=on\n",
			nfd, set, id, (unsigned long long)ri->length, set);
		qemu_note(ctx, set);
	} else {
		fprintf(stdout,
			"-object memory-backend-file,id=%s,size=%llu,mem-path=/proc/self/fd/%lu,share=on\n",
			id, (unsigned long long)ri->length, nfd);
	}
	free(r);
	return rc;
}

static int run(char *const argv[])
{
	pid_t pid;
	int st, err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);

	if (err) {
		fprintf(stderr, "vmkeepctl: %s: %s\n", argv[0], strerror(err));
		return -1;
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * kexec_file_load(2); kexec-tools (kexec_load) where that syscall is
 * missing, or refuses an unsigned kernel or one it cannot parse.
 */
static int load_kernel(struct ctx *ctx, const char *kernel,
		       const char *initrd, const char *cmdline)
{
	char *argv[6] = { "kexec", "-l", (char *)kernel }, *cl = NULL, *rd = NULL;
	int kfd, ifd = -1, err, rc = RC_OK;

	kfd = open(kernel, O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return fail(ctx, RC_FAIL, kernel, errno, NULL);
	if (initrd) {
		ifd = open(initrd, O_RDONLY | O_CLOEXEC);
		if (ifd < 0) {
			err = errno;
			close(kfd);
			return fail(ctx, RC_FAIL, initrd, err, NULL);
		}
	}
	err = syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1, cmdline,
		      initrd ? 0UL : (unsigned long)KEXEC_FILE_NO_INITRAMFS) ? errno : 0;
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	if (!err)
		return RC_OK;
	if (err != ENOSYS && err != EPERM && err != EKEYREJECTED && err != ENOEXEC)
		return fail(ctx, RC_FAIL, kernel, err, "kexec_file_load() failed");
	fprintf(stderr, "vmkeepctl: kexec %s: kexec_file_load(): %s; trying kexec -l\n",
		kernel, strerror(err));
	if (asprintf(&cl, "--command-line=%s", cmdline) < 0 ||
	    (initrd && asprintf(&rd, "--initrd=%s", initrd) < 0))
		rc = fail(ctx, RC_FAIL, kernel, ENOMEM, NULL);
	argv[3] = cl;
	argv[4] = rd;
	if (!rc && run(argv))
		rc = fail(ctx, RC_FAIL, kernel, 0, "kexec -l failed too");
	free(cl);
	free(rd);
	return rc;
}

static void thaw_vmkeep(int fd)
{
	struct vmkeep_thaw t = { .size = sizeof(t) };

	if (ioctl(fd, VMKEEP_IOC_THAW, &t))
		fprintf(stderr, "vmkeepctl: kexec: thaw: %s\n", strerror(errno));
}

static int cmd_kexec(int argc, char **argv, struct ctx *ctx)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "reuse-cmdline", no_argument, NULL, 'r' },
		{ "exec", no_argument, NULL, 'e' },
		{ "force-unmapped-ok", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *kernel = NULL, *initrd = NULL, *append = NULL;
	bool reuse = false, exec = false, force = false;
	struct vmkeep_freeze frz = { .size = sizeof(frz) };
	struct vmkeep_region_info *r = NULL;
	struct vmkeep_pool_info *p = NULL;
	char *cmdline = NULL, msg[1024];
	unsigned int nr, np, mapped;
	uint32_t flags;
	int c, fd, err, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			kernel = optarg;
			break;
		case 'i':
			initrd = optarg;
			break;
		case 'a':
			append = optarg;
			break;
		case 'r':
			reuse = true;
			break;
		case 'e':
			exec = true;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			return help(ctx);
		default:
			return bad_usage(ctx);
		}
	}
	if (!kernel || !append == !reuse || optind != argc)
		return bad_usage(ctx);
	cmdline = append ? strdup(append) : proc_cmdline();
	if (!cmdline)
		return fail(ctx, RC_FAIL, "/proc/cmdline", errno ?: ENOMEM, NULL);
	rc = dev_open(ctx, &fd);
	if (rc)
		goto out_free;
	err = get_pools(fd, &p, &np, &flags);
	if (!err)
		err = get_regions(fd, &r, &nr);
	if (err) {
		rc = fail(ctx, RC_FAIL, NULL, err, why(fd, err));
		goto out;
	}
	if (!vk_kexec_verdict(cmdline, p, np, msg, sizeof(msg))) {
		fprintf(stderr, "vmkeepctl: kexec: unsafe, regions would be lost: %s\n", msg);
		rc = RC_UNSAFE;
		goto out;
	}
	mapped = warn_mapped(ctx, r, nr);
	if (mapped && exec && !force) {
		rc = fail(ctx, RC_UNSAFE, NULL, 0,
			  "regions are still mapped: stop their VMMs first, or add --force-unmapped-ok");
		goto out;
	}
	if (ioctl(fd, VMKEEP_IOC_FREEZE, &frz)) {
		err = errno;
		rc = fail(ctx, RC_FAIL, "freeze", err, why(fd, err));
		goto out;
	}
	rc = load_kernel(ctx, kernel, initrd, cmdline);
	if (rc) {
		thaw_vmkeep(fd);
		goto out;
	}
	if (!exec) {
		printf("%s loaded (%s); vmkeep is frozen.\n"
		       "Boot it with 'kexec -e'; or cancel with 'kexec -u' and 'vmkeepctl thaw'.\n",
		       kernel, msg);
		goto out;
	}
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	err = errno;
	thaw_vmkeep(fd);
	rc = fail(ctx, RC_FAIL, kernel, err,
		  "reboot(LINUX_REBOOT_CMD_KEXEC) failed; vmkeep is thawed");
out:
	free(r);
	free(p);
	close(fd);
out_free:
	free(cmdline);
	return rc;
}

static int cmd_pool(int argc, char **argv, struct ctx *ctx)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "node", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char whybuf[160], hs[32];
	uint64_t size = 0, addr;
	unsigned long v;
	long node = -1;
	int c, err;

	if (argc < 2 || strcmp(argv[1], "suggest"))
		return argc == 2 && !strcmp(argv[1], "--help") ? help(ctx) : bad_usage(ctx);
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (vk_parse_size(optarg, &size) || !size || size % VMKEEP_ALIGN)
				return bad_arg(ctx, "--size", optarg,
					       "a non-zero multiple of 2 MiB, such as 64G");
			break;
		case 'N':
			if (parse_uint(optarg, 10, INT_MAX, &v))
				return bad_arg(ctx, "--node", optarg, "a NUMA node number");
			node = v;
			break;
		case 'h':
			return help(ctx);
		default:
			return bad_usage(ctx);
		}
	}
	if (!size || optind != argc - 1)
		return bad_usage(ctx);
	err = find_pool(size, node, &addr, whybuf, sizeof(whybuf));
	if (err)
		return fail(ctx, RC_FAIL, "suggest", -err, whybuf);
	vk_pool_params(addr, size, whybuf, sizeof(whybuf));
	vk_short_size(size, hs, sizeof(hs));
	printf("%s\n\n"
	       "Add both to GRUB_CMDLINE_LINUX in /etc/default/grub, with the $ written\n"
	       "as \\\\\\$ (the shell and GRUB each remove one level of escaping):\n"
	       "    GRUB_CMDLINE_LINUX=\"... memmap=%s\\\\\\$0x%" PRIx64
	       " vmkeep.pools=%s@0x%" PRIx64 "\"\n"
	       "then run update-grub and reboot; /proc/cmdline must show memmap=%s$0x%"
	       PRIx64 ".\n",
	       whybuf, hs, addr, hs, addr, hs, addr);
	return RC_OK;
}

static const struct cmd commands[] = {
	{ "load", cmd_load,
	  "load [--pools SIZE@ADDR[,SIZE@ADDR...]]\n"
	  "Load the vmkeep module (libkmod; vmkeep.* options of /proc/cmdline apply)\n"
	  "and print its pools and what the previous kernel handed over.\n"
	  "  --pools LIST  pools to use when /proc/cmdline has no vmkeep.pools=\n" },
	{ "unload", cmd_unload,
	  "unload\n"
	  "Unload the module.  Regions stay in their pools for the next load.\n" },
	{ "status", cmd_status,
	  "status [--json]\n"
	  "Print the pools: base, size, free, state, regions, handoff.\n"
	  "  --json  for programs; sizes in bytes\n" },
	{ "list", cmd_list,
	  "list [--json]\n"
	  "Print every region: name, size, state, owner, mode, node, flags, use.\n"
	  "  --json  for programs; sizes in bytes\n" },
	{ "alloc", cmd_alloc,
	  "alloc --name NAME --size SIZE [--node N] [--exclusive] [--mode MODE]\n"
	  "      [--owner USER:GROUP] [--json]\n"
	  "Create a zeroed region that lives until 'free', across kexec.\n"
	  "  --name NAME     1 to 63 bytes of [A-Za-z0-9._:+@-], first a letter or digit\n"
	  "  --size SIZE     bytes, or with K, M, G, T; a multiple of 2M\n"
	  "  --node N        take the memory from a pool on NUMA node N\n"
	  "  --exclusive     one open file at a time\n"
	  "  --mode MODE     octal permissions (default 0600)\n"
	  "  --owner U:G     owner other than the caller (needs CAP_CHOWN)\n" },
	{ "get", cmd_get,
	  "get NAME [--json]\n"
	  "Open a region as its user would (checks the mode) and print it.\n"
	  "To hand its fd to a program, use 'vmkeepctl exec'.\n" },
	{ "finish", cmd_finish,
	  "finish NAME | --all\n"
	  "Claim incoming regions for this kernel: they become active.\n" },
	{ "free", cmd_free,
	  "free NAME\n"
	  "Release a region; its memory returns to the pool when unmapped.\n" },
	{ "freeze", cmd_freeze,
	  "freeze\n"
	  "Write all metadata and refuse changes until 'thaw'; warn about regions\n"
	  "still mapped.  'vmkeepctl kexec' does this itself.\n" },
	{ "thaw", cmd_thaw,
	  "thaw\n"
	  "Undo 'freeze'.\n" },
	{ "format", cmd_format,
	  "format --pool N [--force]\n"
	  "Write empty metadata on pool N (index from 'status').\n"
	  "  --force  also a damaged pool or one with regions: they are lost\n" },
	{ "exec", cmd_exec,
	  "exec --region NAME:fd=N[,NAME:fd=N...] [--region ...] -- COMMAND [ARGS...]\n"
	  "Run COMMAND with each region open on fd N (N >= 3).  For QEMU:\n"
	  "  -object memory-backend-file,id=ram0,size=SIZE,mem-path=/proc/self/fd/N,share=on\n"
	  "  (QEMU with the fdset patch: -add-fd fd=N,set=1 and mem-path=/dev/fdset/1)\n" },
	{ "send", cmd_send,
	  "send --socket PATH [--qmp [--fdset ID]] NAME...\n"
	  "Pass region fds over a unix socket (SCM_RIGHTS).  Plain: one message\n"
	  "per region, \"NAME\\n\" with its fd.  --qmp: a QMP monitor socket; each fd\n"
	  "goes with an add-fd command (fdset ID, ID+1, ... or new sets).\n" },
	{ "qemu-args", cmd_qemu_args,
	  "qemu-args NAME [--fd N] [--id ID] [--fdset ID]\n"
	  "Print the QEMU options that map region NAME, open on fd N (default 10,\n"
	  "as 'exec --region NAME:fd=10' leaves it), as memory backend ID (ram0).\n"
	  "The default is mem-path=/proc/self/fd/N: stock QEMU (7.2 in Debian 12)\n"
	  "opens mem-path with open() and cannot use /dev/fdset/ID.\n"
	  "  --fdset ID  print -add-fd and mem-path=/dev/fdset/ID, for QEMU with the\n"
	  "              fdset patch\n"
	  "Use the backend as RAM with -machine memory-backend=ID and -m SIZE.\n" },
	{ "kexec", cmd_kexec,
	  "kexec --kernel FILE [--initrd FILE] (--append CMDLINE | --reuse-cmdline)\n"
	  "      [--exec] [--force-unmapped-ok]\n"
	  "Load a kernel for kexec only if its command line keeps every pool with\n"
	  "regions: memmap=SIZE$ADDR reserves it and vmkeep.pools= lists SIZE@ADDR.\n"
	  "Then freeze vmkeep and load the kernel (kexec_file_load, else kexec -l).\n"
	  "Exit code 3 when unsafe.\n"
	  "  --exec               boot it now\n"
	  "  --force-unmapped-ok  with --exec, go on although regions are mapped\n" },
	{ "pool", cmd_pool,
	  "pool suggest --size SIZE [--node N]\n"
	  "Find room for a pool in System RAM (/proc/iomem, as root) and print the\n"
	  "memmap= and vmkeep.pools= parameters that reserve it, and how for GRUB.\n" },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list-cmds", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	static const struct cmd top = { .name = "vmkeepctl" };
	struct ctx ctx = { .cmd = &top };
	unsigned int i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			for (i = 0; i < ARRAY_SIZE(commands); i++)
				printf("%s\n", commands[i].name);
			return RC_OK;
		case 'h':
			printf("usage: vmkeepctl [--list-cmds] COMMAND [--help] [ARGS]\n\n");
			for (i = 0; i < ARRAY_SIZE(commands); i++)
				printf("  %.*s\n", (int)strcspn(commands[i].help, "\n"),
				       commands[i].help);
			printf("\nExit codes: 0 ok, 1 failed, 2 usage, 3 unsafe kexec refused,\n"
			       "4 module or /dev/vmkeep not available.  VMKEEP_DEV overrides /dev/vmkeep.\n");
			return RC_OK;
		default:
			fprintf(stderr, "usage: vmkeepctl [--list-cmds] COMMAND [--help] [ARGS]\n");
			return RC_USAGE;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "usage: vmkeepctl [--list-cmds] COMMAND [--help] [ARGS]\n");
		return RC_USAGE;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[optind], commands[i].name))
			break;
	if (i == ARRAY_SIZE(commands)) {
		fprintf(stderr, "vmkeepctl: unknown command '%s' ('vmkeepctl --help')\n",
			argv[optind]);
		return RC_USAGE;
	}
	ctx.cmd = &commands[i];
	argc -= optind;
	argv += optind;
	optind = 0;
	rc = ctx.cmd->fn(argc, argv, &ctx);
	kmod_unref(ctx.kmod);
	return rc;
}
