/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeepctl's shared declarations: the command and option tables
 * (options.c), the error helpers every command uses (common.c), the pure
 * part that host unit tests cover (util.c, output.c), and the commands,
 * one file per group (module.c, pool.c, region.c, exec.c, kexec.c).
 */
#ifndef _VMKEEPCTL_H
#define _VMKEEPCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>	/* optind */
#include <json-c/json.h>
#include <vmkeep/libvmkeep.h>

/* The kernel's __printf(), split in two: checkpatch flags the attribute on one line. */
#ifndef __printf
#define __printf(a, b)	__attribute__((	\
	format(printf, a, b)))
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define VMKEEP_UNIT	(2ULL << 20)	/* region sizes are multiples of it */

/* Exit codes, as Documentation/vmkeepctl.rst lists them. */
enum {
	RC_OK = 0,
	RC_FAIL = 1,	/* the operation failed */
	RC_USAGE = 2,	/* bad command line */
	RC_UNSAFE = 3,	/* kexec refused: regions would be lost */
	RC_NODEV = 4,	/* module or /dev/vmkeep not available */
};

struct ctx;

/**
 * struct opt - one option of a command, declared once: the parser, the
 * synopsis, --help, the man page check and bash completion read it
 * @name: the long name, without "--"
 * @arg: what its argument is ("SIZE"), or NULL for a flag
 * @help: one line for --help; NULL to show it in the synopsis only
 * @flags: OPT_REQUIRED, OPT_ALT
 * @str: where the argument goes (the last one given wins)
 * @flag: where a flag goes
 * @each: instead, called for every use of a repeatable option
 */
struct opt {
	const char *name;
	const char *arg;
	const char *help;
	unsigned int flags;
	const char **str;
	bool *flag;
	int (*each)(struct ctx *ctx, char *arg);
};

#define OPT_REQUIRED	(1U << 0)	/* bare in the synopsis */
#define OPT_ALT		(1U << 1)	/* "(this | the next)", one of them required */

/**
 * struct cmd - a command
 * @name: the verb
 * @fn: runs it; options are parsed by parse_opts(), operands follow
 * @opts: its options, ending with an empty entry; NULL for none
 * @args: the operands before the options in the synopsis ("NAME")
 * @tail: the synopsis after the options ("-- COMMAND [ARGS...]")
 * @about: what it does, for --help
 * @in_order: options end at the first operand (exec passes the rest on)
 */
struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct ctx *ctx);
	const struct opt *opts;
	const char *args;
	const char *tail;
	const char *about;
	bool in_order;
};

struct ctx {
	const struct cmd *cmd;
	struct vmkeep_ctx *vk;
};

/**
 * struct cmd_group - a verb with verbs of its own ("vm run", "libvirt hook")
 * @name: the group's verb ("vm")
 * @cmds: its commands, each named "GROUP VERB"
 * @nr: how many
 */
struct cmd_group {
	const char *name;
	const struct cmd *cmds;
	size_t nr;
};

/* options.c */
int parse_opts(struct ctx *ctx, int argc, char **argv);
int parse_no_operands(struct ctx *ctx, int argc, char **argv, bool dev);
void synopsis(const struct cmd *cmd, FILE *f);
int help(struct ctx *ctx);
int bad_usage(struct ctx *ctx);
int bad_operands(struct ctx *ctx, const char *expected);
void list_opts(const struct cmd *cmd);
int group_help(const struct cmd_group *g, struct ctx *ctx, const char *name);
int group_run(const struct cmd_group *g, int argc, char **argv, struct ctx *ctx);
struct option;
void bad_opt(const char *cmd, char **argv, const struct option *lo);

/* common.c */
extern bool opt_json;
int fail(struct ctx *ctx, int rc, const char *obj, int err, const char *why);
int bad_arg(struct ctx *ctx, const char *opt, const char *val,
	    const char *expected);
int check_name(struct ctx *ctx, const char *name);
int check_region_name(struct ctx *ctx, const char *name);
int parse_uint(const char *s, int base, unsigned long max, unsigned long *out);
int parse_region_size(struct ctx *ctx, const char *opt, const char *s,
		      const char *example, uint64_t *size);
int parse_node(struct ctx *ctx, const char *s, long *node);
int check_pools(struct ctx *ctx, const char *opt, const char *list);
char *read_text(const char *path);
int dev_open(struct ctx *ctx);
const char *why(struct ctx *ctx, int err);
int op_fail(struct ctx *ctx, const char *obj, int err);
void print_json(json_object *o);
int show_region(struct ctx *ctx, const char *name, bool json);
int print_status(struct ctx *ctx, bool json);
unsigned int warn_mapped(struct ctx *ctx);
struct vk_fw_range;
int read_fw_map(struct vk_fw_range **out);
bool fw_cmdline_ok(const char *cmdline, char *msg, size_t len);
void __printf(3, 4) report(struct ctx *ctx, const char *obj, const char *fmt, ...);
void __printf(2, 3) report_warn(struct ctx *ctx, const char *fmt, ...);
void flush_for_reboot(void);

/* the commands */
int cmd_load(int argc, char **argv, struct ctx *ctx);
int cmd_unload(int argc, char **argv, struct ctx *ctx);
int cmd_status(int argc, char **argv, struct ctx *ctx);
int cmd_list(int argc, char **argv, struct ctx *ctx);
int cmd_alloc(int argc, char **argv, struct ctx *ctx);
int cmd_get(int argc, char **argv, struct ctx *ctx);
int cmd_finish(int argc, char **argv, struct ctx *ctx);
int cmd_free(int argc, char **argv, struct ctx *ctx);
int cmd_freeze(int argc, char **argv, struct ctx *ctx);
int cmd_thaw(int argc, char **argv, struct ctx *ctx);
int cmd_format(int argc, char **argv, struct ctx *ctx);
int cmd_adopt(int argc, char **argv, struct ctx *ctx);
int cmd_pool(int argc, char **argv, struct ctx *ctx);
int cmd_exec(int argc, char **argv, struct ctx *ctx);
int cmd_send(int argc, char **argv, struct ctx *ctx);
int cmd_qemu_args(int argc, char **argv, struct ctx *ctx);
int cmd_kexec(int argc, char **argv, struct ctx *ctx);

extern const struct opt load_opts[], json_opts[], alloc_opts[], finish_opts[];
extern const struct opt format_opts[], adopt_opts[], pool_opts[], exec_opts[], send_opts[];
extern const struct opt qemu_args_opts[], kexec_opts[];

/**
 * struct kexec_param - the next kernel, as kexec and update take it
 * @kernel: --kernel FILE
 * @initrd: --initrd FILE, or NULL
 * @line: --command-line: the whole line, or NULL
 * @append: --append: added to the line; alone, the line
 * @release: --release: the release whose vmkeep.ko is checked, or NULL
 * @reuse: --reuse-cmdline: start from the running kernel's line
 * @check: --check: check only, change nothing
 * @exec: --exec: boot it at once
 * @force: go on although regions are mapped (--force-unmapped-ok;
 *         update's --force)
 */
struct kexec_param {
	const char *kernel, *initrd, *line, *append, *release;
	bool reuse, check, exec, force;
};

extern struct kexec_param kx;

/* The next kernel and its line: the same options, the same meaning, in kexec and update. */
#define KEXEC_KERNEL_OPTS \
	{ "kernel", "FILE", "the kernel to boot", OPT_REQUIRED, .str = &kx.kernel }, \
	{ "initrd", "FILE", "its initramfs", .str = &kx.initrd }, \
	{ "reuse-cmdline", NULL, "start from the running kernel's line (without BOOT_IMAGE=)", \
	  .flag = &kx.reuse }, \
	{ "command-line", "CMDLINE", "the new kernel's whole line", .str = &kx.line }, \
	{ "append", "CMDLINE", "add to that line (the whole line without the others)", \
	  .str = &kx.append }

/* kexec.c */
char *kexec_next_cmdline(void);
int kexec_load_boot(struct ctx *ctx, const char *cmdline);

/* check.c */
int kexec_check(struct ctx *ctx, const char *kernel, const char *initrd,
		const char *release, const char *cmdline);
int image_file_release(const char *kernel, char *rel, size_t len);

/* vm.c: the last update, from the VMs' manifests; printed to @f, and as JSON */
json_object *vm_last_update(struct ctx *ctx, FILE *f);

/* pool.c */
int find_pool(uint64_t size, long node, uint64_t *addr, char *whybuf,
	      size_t len);

/* util.c: parsing and checks that touch neither /dev/vmkeep nor the system */

/* A physical address range [start, end). */
struct vk_range {
	uint64_t start;
	uint64_t end;
};

/* A pool of vmkeep.pools=: [start, end), of 1 GiB pages (":1G") or 2 MiB. */
struct vk_pool_spec {
	uint64_t start;
	uint64_t end;
	bool pages_1g;
};

int vk_parse_size(const char *s, uint64_t *out);
int vk_parse_pools(const char *s, struct vk_pool_spec *out, size_t max);
const char *vk_pool_spec_error(const struct vk_pool_spec *p);
const char *vk_name_error(const char *name);
void vk_human_size(uint64_t bytes, char *buf, size_t len);
void vk_short_size(uint64_t bytes, char *buf, size_t len);
void vk_pool_params(uint64_t base, uint64_t size, bool pages_1g, char *buf,
		    size_t len);

int vk_cmdline_param(const char *cmdline, const char *name,
		     char *val, size_t len);
bool vk_kexec_verdict(const char *cmdline, struct vmkeep_ctx *vk,
		      char *msg, size_t len);
bool vk_kexec_verdict_pools(const char *cmdline, const struct vk_pool_spec *pools,
			    size_t n, char *msg, size_t len);
char *vk_kexec_cmdline(const char *reused, const char *line, const char *append);
const char *vk_cmdline_opts_error(bool reuse, bool line, bool append);
int vk_image_release(const unsigned char *img, size_t n, char *rel, size_t len);

/* An entry of the firmware's memory map (/sys/firmware/memmap/N). */
struct vk_fw_range {
	uint64_t start;
	uint64_t last;		/* inclusive, as the map says it */
	char type[32];		/* "System RAM", "Reserved", "ACPI Tables", ... */
};

int vk_fw_not_ram(const struct vk_fw_range *fw, size_t n, uint64_t start,
		  uint64_t end, char *why, size_t len);
size_t vk_fw_ram(const struct vk_fw_range *fw, size_t n, struct vk_range *out,
		 size_t max);
bool vk_fw_verdict(const char *cmdline, const struct vk_fw_range *fw, size_t n,
		   char *msg, size_t len);

int vk_parse_iomem(const char *text, struct vk_range *out, size_t max);
size_t vk_intersect(const struct vk_range *a, size_t na,
		    const struct vk_range *b, size_t nb,
		    struct vk_range *out, size_t max);
int vk_pool_suggest(const struct vk_range *ram, size_t n, uint64_t size,
		    uint64_t *addr);
bool vk_pool_leaves_little(const struct vk_range *ram, size_t n, uint64_t size,
			   char *msg, size_t len);

/* output.c: tables and JSON of a libvmkeep snapshot; @only: that region alone */
json_object *vk_regions_json(struct vmkeep_ctx *vk, struct vmkeep_region *only);
json_object *vk_status_json(struct vmkeep_ctx *vk, const char *module_version);
void vk_print_regions(FILE *f, struct vmkeep_ctx *vk, struct vmkeep_region *only);
void vk_print_pools(FILE *f, struct vmkeep_ctx *vk);
/* the same of live update sessions: list's, then status' summary */
json_object *vk_sessions_json(struct vmkeep_ctx *vk);
json_object *vk_sessions_summary_json(struct vmkeep_ctx *vk);
void vk_print_sessions(FILE *f, struct vmkeep_ctx *vk);
void vk_print_sessions_summary(FILE *f, struct vmkeep_ctx *vk);
/* qmp.c */
int vk_send_fd(int sock, const char *data, int fd);

/* lvxml.c: libvirt's domain XML and qemu.conf, for 'vmkeepctl libvirt' */
#define LV_NS		"https://vmkeep.example/libvirt/1"	/* metadata namespace */
#define LV_PREFIX	"vmkeep"
#define LV_QEMU_NS	"http://libvirt.org/schemas/domain/qemu/1.0"
#define LV_RUN_DIR	"/run/vmkeep/libvirt"
#define LV_ACL_DIR	LV_RUN_DIR "/acl"	/* the cgroup_device_acl slots */
#define LV_QMP_DIR	LV_RUN_DIR "/qmp"	/* the restore agent's sockets */
char *lv_xml_text(const char *xml, const char *open, const char *close);
int lv_xml_attr(const char *tag, const char *attr, char *buf, size_t len);
bool lv_optin(const char *xml);
const char *lv_shape_error(const char *xml);
uint64_t lv_memory_bytes(const char *xml);
long lv_domain_id(const char *xml);
char *lv_xml_unescape(char *s);
void lv_short_name(long id, const char *name, bool chars, char *buf, size_t len);
int lv_marker(const char *xml, char *region, size_t len, uint64_t *id,
	      uint64_t *size);
char *lv_xml_clean(const char *xml);
char *lv_xml_restore(const char *xml, const char *sock);
char *lv_xml_enable(const char *xml, const char **why);
char *lv_qemu_conf(const char *conf, unsigned int slots, const char **why);

#endif /* _VMKEEPCTL_H */
