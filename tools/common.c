// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * What every command group uses: one-line errors naming the command, the
 * object and the cause; argument checks; the device; what an errno means
 * here; the region and pool views that several commands print.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "vmkeepctl.h"

bool opt_json;

/* The option of the commands that print what they show as JSON too. */
const struct opt json_opts[] = {
	{ "json", NULL, "for programs; sizes in bytes", .flag = &opt_json },
	{}
};

/* "vmkeepctl: CMD[ OBJ]:[ strerror(err)][: why]" on stderr; returns @rc. */
int fail(struct ctx *ctx, int rc, const char *obj, int err, const char *why)
{
	fprintf(stderr, "vmkeepctl: %s%s%s:", ctx->cmd->name, obj ? " " : "",
		obj ?: "");
	if (err)
		fprintf(stderr, " %s%s", strerror(err), why ? ":" : "");
	fprintf(stderr, "%s%s\n", why ? " " : "", why ?: "");
	return rc;
}

int bad_arg(struct ctx *ctx, const char *opt, const char *val,
	    const char *expected)
{
	fprintf(stderr, "vmkeepctl: %s %s %s: expected %s\n",
		ctx->cmd->name, opt, val, expected);
	return RC_USAGE;
}

int check_name(struct ctx *ctx, const char *name)
{
	const char *why = vk_name_error(name);

	return why ? fail(ctx, RC_USAGE, name[0] ? name : "''", 0, why) : 0;
}

/* A name of an existing region: also a quarantined one's, '!' and a valid name. */
int check_region_name(struct ctx *ctx, const char *name)
{
	const char *why = vk_name_error(name + (name[0] == '!'));

	if (!why && strlen(name) > VMKEEP_NAME_MAX)
		why = "the name is longer than 63 bytes";
	return why ? fail(ctx, RC_USAGE, name[0] ? name : "''", 0, why) : 0;
}

int parse_uint(const char *s, int base, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, base);
	return errno || *end || *out > max ? -1 : 0;
}

/* --size of a region or pool: a non-zero multiple of 2 MiB. */
int parse_region_size(struct ctx *ctx, const char *opt, const char *s,
		      const char *example, uint64_t *size)
{
	int err = vk_parse_size(s, size);
	char expected[96];

	if (!err && *size && !(*size % VMKEEP_UNIT))
		return 0;
	snprintf(expected, sizeof(expected), "%s, such as %s %s",
		 err == -ERANGE ? "a size of at most 16 EiB" :
		 err ? "bytes or a number with K, M, G or T (powers of 1024)" :
		 "a non-zero multiple of 2 MiB", opt, example);
	return bad_arg(ctx, opt, s, expected);
}

/* Pools whose geometry the module would refuse: a usage error, before it is asked. */
int check_pools(struct ctx *ctx, const char *opt, const char *list)
{
	struct vk_pool_spec p[64];
	const char *why;
	char obj[96];
	int i, n = vk_parse_pools(list, p, ARRAY_SIZE(p));

	for (i = 0; i < n; i++) {
		why = vk_pool_spec_error(&p[i]);
		if (!why)
			continue;
		snprintf(obj, sizeof(obj), "%s %s: pool [0x%" PRIx64 ", 0x%" PRIx64 ")",
			 opt, list, p[i].start, p[i].end);
		return fail(ctx, RC_USAGE, obj, 0, why);
	}
	return 0;
}

/* --node: absent (-1) or a NUMA node number. */
int parse_node(struct ctx *ctx, const char *s, long *node)
{
	unsigned long v;

	*node = -1;
	if (!s)
		return 0;
	if (parse_uint(s, 10, INT_MAX, &v))
		return bad_arg(ctx, "--node", s, "a NUMA node number");
	*node = v;
	return 0;
}

/* A whole text file (as /proc files, which have no size), or NULL. */
char *read_text(const char *path)
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

/* As kmod/vmkeep_fwmap.c reads it: E820_MAX_ENTRIES is 3200 at most. */
#define FW_MAP		"/sys/firmware/memmap"
#define FW_MAX_ENTRIES	4096

static int fw_attr(size_t i, const char *attr, char **text)
{
	char path[64];

	snprintf(path, sizeof(path), FW_MAP "/%zu/%s", i, attr);
	errno = 0;
	*text = read_text(path);
	return *text ? 0 : -(errno ?: EIO);
}

/**
 * read_fw_map() - the firmware's memory map, as the module reads it
 * @out: its entries, 0, 1, ... of /sys/firmware/memmap until one is
 *       missing (kmod/vmkeep_fwmap.c); free() them
 *
 * Return: the number of entries, or -errno.
 */
int read_fw_map(struct vk_fw_range **out)
{
	struct vk_fw_range *fw = NULL, *t;
	char *start = NULL, *end = NULL, *type = NULL;
	size_t n, cap = 0;
	int err = 0;

	for (n = 0; n < FW_MAX_ENTRIES && !err; n++) {
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			t = reallocarray(fw, cap, sizeof(*fw));
			if (!t) {
				err = -ENOMEM;
				break;
			}
			fw = t;
		}
		err = fw_attr(n, "start", &start) ?: fw_attr(n, "end", &end) ?:
		      fw_attr(n, "type", &type);
		if (!err) {
			fw[n].start = strtoull(start, NULL, 0);
			fw[n].last = strtoull(end, NULL, 0);
			type[strcspn(type, "\n")] = '\0';
			snprintf(fw[n].type, sizeof(fw[n].type), "%s", type);
			if (fw[n].last < fw[n].start)
				err = -EINVAL;
		}
		free(start);
		free(end);
		free(type);
		start = NULL;
		end = NULL;
		type = NULL;
	}
	/* The loop went one past the entry that failed. */
	if (err == -ENOENT && n > 1)
		err = 0;
	else if (!err)
		err = -E2BIG;
	if (err) {
		free(fw);
		return err;
	}
	*out = fw;
	return n - 1;
}

/*
 * vk_fw_verdict() against this machine's map (a kexec hands the next
 * kernel the same): also true when the map cannot be read, which @msg
 * then says.
 */
bool fw_cmdline_ok(const char *cmdline, char *msg, size_t len)
{
	struct vk_fw_range *fw;
	int n = read_fw_map(&fw);
	bool ok;

	if (n < 0) {
		snprintf(msg, len, "not checked against the firmware's memory map: %s: %s",
			 FW_MAP, strerror(-n));
		return true;
	}
	ok = vk_fw_verdict(cmdline, fw, n, msg, len);
	free(fw);
	return ok;
}

void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
					       JSON_C_TO_STRING_SPACED |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* Open /dev/vmkeep now, so that a missing module is its own exit code. */
int dev_open(struct ctx *ctx)
{
	const char *dev = vmkeep_get_dev_path(ctx->vk);
	int fd = vmkeep_get_fd(ctx->vk);

	if (fd >= 0)
		return 0;
	if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO)
		return fail(ctx, RC_NODEV, dev, -fd,
			    "the vmkeep module is not loaded ('vmkeepctl load')");
	return fail(ctx, RC_FAIL, dev, -fd, fd == -EACCES ? "needs root" : NULL);
}

/*
 * Whether the device we talk to is the one the vmkeep module registered
 * (/sys/class/misc/vmkeep/dev): VMKEEP_DEV may name any file.
 */
static bool is_vmkeep_dev(struct ctx *ctx)
{
	char *sys = read_text("/sys/class/misc/vmkeep/dev");
	unsigned int maj, min;
	struct stat st;
	bool ret;

	ret = sys && sscanf(sys, "%u:%u", &maj, &min) == 2 &&
	      !stat(vmkeep_get_dev_path(ctx->vk), &st) && S_ISCHR(st.st_mode) &&
	      major(st.st_rdev) == maj && minor(st.st_rdev) == min;
	free(sys);
	return ret;
}

static bool frozen_now(struct ctx *ctx)
{
	return vmkeep_pools_refresh(ctx->vk) >= 0 && vmkeep_is_frozen(ctx->vk) > 0;
}

/* What an ioctl errno means here (the uAPI's "General ioctl format"). */
const char *why(struct ctx *ctx, int err)
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
		return frozen_now(ctx) ? "vmkeep is frozen for kexec ('vmkeepctl thaw')" :
					 "the region is exclusive and open elsewhere";
	case EIO:
		return "the region is quarantined: its metadata failed validation";
	case ENODEV:
		return "no usable pool ('vmkeepctl status')";
	case ENOMEDIUM:
		return "no pool is formatted: 'vmkeepctl format --pool N' initialises a new one";
	case ENOTTY:
		if (!is_vmkeep_dev(ctx))
			return "not the vmkeep module's device";
		return "the loaded vmkeep module does not support this request";
	case E2BIG:
	case EOPNOTSUPP:
		return "the loaded vmkeep module does not support this request";
	}
	return NULL;
}

/* A libvmkeep call failed with -@err on @obj. */
int op_fail(struct ctx *ctx, const char *obj, int err)
{
	return fail(ctx, RC_FAIL, obj, -err, why(ctx, -err));
}

/* The row (or JSON) of one region, as list shows it. */
int show_region(struct ctx *ctx, const char *name, bool json)
{
	struct vmkeep_region *r;
	int err = vmkeep_regions_refresh(ctx->vk);

	if (err < 0)
		return fail(ctx, RC_FAIL, name, -err, "cannot list regions");
	r = vmkeep_region_find(ctx->vk, name);
	if (!r)
		return fail(ctx, RC_FAIL, name, ENOENT, "freed meanwhile");
	if (json)
		print_json(vk_regions_json(ctx->vk, r));
	else
		vk_print_regions(stdout, ctx->vk, r);
	return RC_OK;
}

/*
 * The pools, the live update sessions in a line or two (left out when
 * the module cannot list them: an older one, or no memory), and what the
 * last update saved.
 */
int print_status(struct ctx *ctx, bool json)
{
	int err = vmkeep_pools_refresh(ctx->vk);
	json_object *o;
	bool luo;
	char *ver;

	if (err < 0)
		return op_fail(ctx, NULL, err);
	luo = vmkeep_sessions_refresh(ctx->vk) >= 0;
	if (!json) {
		vk_print_pools(stdout, ctx->vk);
		if (luo)
			vk_print_sessions_summary(stdout, ctx->vk);
		json_object_put(vm_last_update(ctx, stdout));
		return RC_OK;
	}
	ver = read_text("/sys/module/vmkeep/version");
	if (ver)
		ver[strcspn(ver, "\n")] = '\0';
	o = vk_status_json(ctx->vk, ver);
	json_object_object_add(o, "live_update",
			       luo ? vk_sessions_summary_json(ctx->vk) : NULL);
	json_object_object_add(o, "last_update", vm_last_update(ctx, NULL));
	print_json(o);
	free(ver);
	return RC_OK;
}

/* Warn about regions still mapped, whose VMMs still run; how many. */
unsigned int warn_mapped(struct ctx *ctx)
{
	struct vmkeep_region *r;
	unsigned int mapped = 0;

	vmkeep_region_foreach(ctx->vk, r) {
		if (!vmkeep_region_get_nr_mapped(r))
			continue;
		if (!mapped++)
			fprintf(stderr,
				"vmkeepctl: %s: warning: regions still mapped (their VMMs still run):",
				ctx->cmd->name);
		fprintf(stderr, " %s", vmkeep_region_get_name(r));
	}
	if (mapped)
		fputc('\n', stderr);
	return mapped;
}

/* One record "vmkeepctl: @line" into the kernel log, at syslog @level. */
static bool klog(int level, const char *line)
{
	char rec[1024];
	bool ok;
	int fd;

	/*
	 * A new open per line: /dev/kmsg drops what one open file writes
	 * beyond 10 lines in 5 s (printk.devkmsg=ratelimit, the default).
	 */
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	snprintf(rec, sizeof(rec), "<%d>vmkeepctl: %s\n", level, line);
	/* one write() is one record */
	ok = write(fd, rec, strlen(rec)) == (ssize_t)strlen(rec);
	close(fd);
	return ok;
}

static void __printf(4, 0)
vreport(struct ctx *ctx, bool warn, const char *obj, const char *fmt, va_list ap)
{
	char text[900], line[1000];

	vsnprintf(text, sizeof(text), fmt, ap);
	if (warn) {
		fprintf(stderr, "vmkeepctl: %s: warning: %s\n", ctx->cmd->name, text);
		snprintf(line, sizeof(line), "%s: warning: %s", ctx->cmd->name, text);
	} else {
		printf("%s: %s\n", obj ?: ctx->cmd->name, text);
		snprintf(line, sizeof(line), "%s%s%s: %s", ctx->cmd->name, obj ? " " : "",
			 obj ?: "", text);
	}
	/* a --check changes nothing, the kernel log included */
	if (!kx.check)
		klog(warn ? 4 : 5, line);
}

/**
 * report() - a line of what update or kexec did
 * @ctx: the command
 * @obj: what it is about (a VM), or NULL
 * @fmt: the line
 *
 * To stdout as "OBJ: TEXT" (or "CMD: TEXT"), and to the kernel log as
 * "vmkeepctl: CMD[ OBJ]: TEXT": the journal keeps what an update did
 * whatever became of its stdout.
 */
void report(struct ctx *ctx, const char *obj, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ctx, false, obj, fmt, ap);
	va_end(ap);
}

/* report(), for a warning: "vmkeepctl: CMD: warning: TEXT" on stderr. */
void report_warn(struct ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ctx, true, NULL, fmt, ap);
	va_end(ap);
}

/**
 * flush_for_reboot() - before reboot(): what was printed reaches its reader
 *
 * reboot() waits for no process, and what is still in stdio's buffers,
 * in a pipe, a socket or the page cache dies with this kernel.  stdout
 * and stderr are written out; a file is synced; on a pipe or a socket
 * (tee, ssh, journald's stream) this waits until the reader has taken
 * every byte, 5 s at most, then gives it 200 ms to write what it took
 * before sync() writes the page cache.
 */
void flush_for_reboot(void)
{
	static const int fds[] = { STDOUT_FILENO, STDERR_FILENO };
	bool stream = false;
	struct stat st;
	int left, k;
	size_t i;

	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		if (fstat(fds[i], &st))
			continue;
		if (S_ISREG(st.st_mode))
			fsync(fds[i]);
		if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
			continue;
		stream = true;
		/* bytes in the pipe; for a socket, those its peer did not read */
		for (k = 0; k < 500; k++) {
			if (ioctl(fds[i], S_ISFIFO(st.st_mode) ? FIONREAD : SIOCOUTQ, &left) ||
			    !left)
				break;
			usleep(10000);
		}
	}
	if (stream)
		usleep(200000);
	sync();
}
