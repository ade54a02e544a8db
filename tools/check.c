// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeepctl kexec --check: would a kexec into this kernel keep the
 * regions and restore them?  It loads nothing and freezes nothing, and
 * works without the module, so that a kernel's installation (the
 * /etc/kernel/postinst.d hook) and an operator can ask before the
 * update; 'vmkeepctl update' runs them before it stops any VM.  Four
 * checks, each "ok", "FAILED", or "WARN" (ok, but worth a look):
 *
 *  image    the kernel's release, from its bzImage header (or --release)
 *  module   /lib/modules/RELEASE has a vmkeep.ko whose vermagic is RELEASE
 *  initrd   the initramfs given exists and is not empty; none given is a
 *           warning: Debian's kernels need theirs to mount the root
 *  cmdline  the new command line reserves and lists every pool: those
 *           with regions when the module is loaded; without the module,
 *           which pools hold regions is unknown, so every pool of the
 *           running kernel's vmkeep.pools= counts (the pools' metadata is
 *           readable only through the module: /dev/mem is closed to it
 *           with STRICT_DEVMEM, as on Debian's kernels).  And each of its
 *           memmap=SIZE$ADDR ranges and vmkeep.pools= entries is RAM in
 *           the firmware's memory map, which the kexec hands on.
 *           Warnings: bad pages, which the next kernel does not know, and
 *           live update sessions not finished, which the kexec drops.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <libkmod.h>

#include "vmkeepctl.h"

#define MAX_POOLS	64
#define HDR_MAX		(0x200 + 0x10000)

struct check {
	const char *name;
	bool ok;
	bool warn;	/* ok, but worth a look: not "ok" in the table */
	char detail[2048];
};

enum { C_IMAGE, C_MODULE, C_INITRD, C_CMDLINE, NR_CHECKS };

static void __printf(3, 4)
set(struct check *c, bool ok, const char *fmt, ...)
{
	va_list ap;

	c->ok = ok;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

/**
 * image_file_release() - the release of a bzImage, from its header
 * @kernel: the image
 * @rel: the release
 * @len: room in @rel
 *
 * Return: 0, -ENOEXEC when it has no version string, or -errno.
 */
int image_file_release(const char *kernel, char *rel, size_t len)
{
	int fd = open(kernel, O_RDONLY | O_CLOEXEC), err;
	unsigned char *hdr;
	ssize_t n;

	if (fd < 0)
		return -errno;
	/* kernel_version is a 16-bit offset from 0x200 */
	hdr = malloc(HDR_MAX);
	n = hdr ? pread(fd, hdr, HDR_MAX, 0) : -1;
	err = !hdr ? -ENOMEM : n < 0 ? -errno : vk_image_release(hdr, n, rel, len);
	close(fd);
	free(hdr);
	return err;
}

static void check_image(struct check *c, const char *kernel, const char *release,
			char *rel, size_t len)
{
	int err = image_file_release(kernel, rel, len);

	if (err && err != -ENOEXEC) {
		set(c, false, "%s: %s", kernel, strerror(-err));
	} else if (err) {
		if (release)
			set(c, true, "%s: no version string; release %s from --release",
			    kernel, release);
		else
			set(c, false, "%s: no bzImage version string; name the release with --release",
			    kernel);
	} else if (release && strcmp(release, rel)) {
		set(c, true, "%s is %s; checking release %s from --release", kernel, rel,
		    release);
	} else {
		set(c, true, "%s is %s", kernel, rel);
	}
	if (release)
		snprintf(rel, len, "%s", release);
	else if (err)
		rel[0] = '\0';
}

/* The vermagic of the vmkeep.ko that modprobe would load for @rel. */
static void check_module(struct check *c, const char *rel)
{
	struct kmod_list *list = NULL, *info = NULL, *l;
	struct kmod_module *mod = NULL;
	const char *path = NULL, *magic = NULL;
	struct kmod_ctx *kctx;
	char dir[PATH_MAX];
	size_t n;

	snprintf(dir, sizeof(dir), "/lib/modules/%s", rel);
	kctx = kmod_new(dir, NULL);
	if (!kctx) {
		set(c, false, "libkmod: %s", strerror(ENOMEM));
		return;
	}
	if (!kmod_module_new_from_lookup(kctx, "vmkeep", &list) && list)
		mod = kmod_module_get_module(list);
	if (mod)
		path = kmod_module_get_path(mod);
	if (path && kmod_module_get_info(mod, &info) >= 0)
		kmod_list_foreach(l, info)
			if (!strcmp(kmod_module_info_get_key(l), "vermagic"))
				magic = kmod_module_info_get_value(l);
	n = strlen(rel);
	if (!path)
		set(c, false, "no vmkeep.ko in %s ('dkms install vmkeep/%s -k %s')", dir,
		    VMKEEP_VERSION, rel);
	else if (!magic || strncmp(magic, rel, n) || (magic[n] && magic[n] != ' '))
		set(c, false, "%s: vermagic '%s', not %s", path, magic ?: "", rel);
	else
		set(c, true, "%s, vermagic %s", path, rel);
	kmod_module_info_free_list(info);
	kmod_module_unref(mod);
	kmod_module_unref_list(list);
	kmod_unref(kctx);
}

static void check_initrd(struct check *c, const char *initrd, const char *rel)
{
	char guess[PATH_MAX];
	struct stat st;

	snprintf(guess, sizeof(guess), "/boot/initrd.img-%s", rel);
	if (!initrd) {
		set(c, true, "none given: a kernel with CONFIG_BLK_DEV_INITRD=y and its disk drivers as modules, as Debian builds each, mounts its root only from its initramfs (--initrd %s)",
		    rel[0] && !access(guess, R_OK) ? guess : "FILE");
		c->warn = true;
	} else if (stat(initrd, &st)) {
		set(c, false, "%s: %s", initrd, strerror(errno));
	} else if (!S_ISREG(st.st_mode) || !st.st_size) {
		set(c, false, "%s: not a file with contents", initrd);
	} else {
		set(c, true, "%s", initrd);
	}
}

/*
 * Memory failures are known to this load only (not stored in the pool):
 * the next kernel maps the bad pages of a region again, and hands their
 * memory out once it is freed.  A warning, not a failure.
 */
static void check_bad_pages(struct ctx *ctx, struct check *c)
{
	struct vmkeep_pool *p;
	size_t len;

	vmkeep_pool_foreach(ctx->vk, p) {
		if (!vmkeep_pool_has_bad_pages(p))
			continue;
		len = strlen(c->detail);
		snprintf(c->detail + len, sizeof(c->detail) - len,
			 "; pool %u has bad pages (memory failures, 'vmkeepctl list'): the next kernel does not know them",
			 vmkeep_pool_get_index(p));
		c->warn = true;
	}
}

/*
 * Live update sessions from the previous kernel that are not finished
 * are dropped by the next kexec, as mainline drops them (with
 * /dev/liveupdate off they are kept).  A warning, not a failure.
 */
static void check_sessions(struct ctx *ctx, struct check *c)
{
	struct vmkeep_session *s;
	unsigned int n = 0;
	const char *state;
	size_t len;

	if (vmkeep_sessions_refresh(ctx->vk) < 0 ||
	    vmkeep_liveupdate_is_enabled(ctx->vk) <= 0)
		return;
	vmkeep_session_foreach(ctx->vk, s) {
		state = vmkeep_session_get_state_name(s);
		n += !strcmp(state, "incoming") || !strcmp(state, "retrieved");
	}
	if (!n)
		return;
	len = strlen(c->detail);
	snprintf(c->detail + len, sizeof(c->detail) - len,
		 "; %u live update session%s from the previous kernel not finished ('vmkeepctl list'): the kexec drops %s",
		 n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
	c->warn = true;
}

/* The pools of the loaded module, else those the running kernel lists. */
static void check_kept_pools(struct ctx *ctx, struct check *c, const char *cmdline)
{
	struct vk_pool_spec pools[MAX_POOLS];
	char msg[900], *proc, val[4096];
	bool ok;
	int n = 0;

	if (vmkeep_get_fd(ctx->vk) >= 0 && vmkeep_pools_refresh(ctx->vk) >= 0) {
		ok = vk_kexec_verdict(cmdline, ctx->vk, msg, sizeof(msg));
		set(c, ok, "%s (pools of the loaded module)", msg);
		check_bad_pages(ctx, c);
		check_sessions(ctx, c);
		return;
	}
	proc = read_text("/proc/cmdline");
	if (proc && vk_cmdline_param(proc, "vmkeep.pools", val, sizeof(val)) == 1)
		n = vk_parse_pools(val, pools, MAX_POOLS);
	free(proc);
	if (n < 0) {
		set(c, false, "vmkeep.pools=%s of /proc/cmdline is not SIZE@ADDR[:1G][,SIZE@ADDR[:1G]...]",
		    val);
		return;
	}
	ok = vk_kexec_verdict_pools(cmdline, pools, n, msg, sizeof(msg));
	set(c, ok, "%s (module not loaded: every pool of /proc/cmdline counts)", msg);
}

/* The pools, then the firmware's memory map; a failure of the map first. */
static void check_cmdline(struct ctx *ctx, struct check *c, const char *cmdline)
{
	char fw[900], pools[sizeof(c->detail)];
	bool ok = fw_cmdline_ok(cmdline, fw, sizeof(fw));

	check_kept_pools(ctx, c, cmdline);
	snprintf(pools, sizeof(pools), "%s", c->detail);
	if (ok)
		set(c, c->ok, "%s; %s", pools, fw);
	else
		set(c, false, "%s; %s", fw, pools);
}

/**
 * kexec_check() - vmkeepctl kexec --check, and update's checks
 * @ctx: the command (kexec or update)
 * @kernel: the kernel image
 * @initrd: its initramfs, or NULL
 * @release: the release to check the module of, or NULL for the image's
 * @cmdline: the new kernel's command line
 *
 * Return: RC_OK when every check passes, else RC_UNSAFE.
 */
int kexec_check(struct ctx *ctx, const char *kernel, const char *initrd,
		const char *release, const char *cmdline)
{
	struct check c[NR_CHECKS] = {
		[C_IMAGE] = { "image" }, [C_MODULE] = { "module" },
		[C_INITRD] = { "initrd" }, [C_CMDLINE] = { "cmdline" },
	};
	char rel[256] = "", failed[64] = "";
	json_object *o, *checks;
	bool ok = true;
	int i;

	check_image(&c[C_IMAGE], kernel, release, rel, sizeof(rel));
	if (rel[0])
		check_module(&c[C_MODULE], rel);
	else
		set(&c[C_MODULE], false, "unknown release");
	check_initrd(&c[C_INITRD], initrd, rel);
	check_cmdline(ctx, &c[C_CMDLINE], cmdline);
	for (i = 0; i < NR_CHECKS; i++) {
		if (c[i].ok)
			continue;
		ok = false;
		snprintf(failed + strlen(failed), sizeof(failed) - strlen(failed),
			 "%s%s", failed[0] ? ", " : "", c[i].name);
	}
	if (opt_json) {
		o = json_object_new_object();
		checks = json_object_new_object();
		json_object_object_add(o, "kernel", json_object_new_string(kernel));
		json_object_object_add(o, "release", json_object_new_string(rel));
		json_object_object_add(o, "cmdline", json_object_new_string(cmdline));
		json_object_object_add(o, "safe", json_object_new_boolean(ok));
		for (i = 0; i < NR_CHECKS; i++) {
			json_object *one = json_object_new_object();

			json_object_object_add(one, "ok", json_object_new_boolean(c[i].ok));
			json_object_object_add(one, "warning", json_object_new_boolean(c[i].warn));
			json_object_object_add(one, "detail",
					       json_object_new_string(c[i].detail));
			json_object_object_add(checks, c[i].name, one);
		}
		json_object_object_add(o, "checks", checks);
		print_json(o);
	} else {
		for (i = 0; i < NR_CHECKS; i++)
			printf("%-8s %-6s %s\n", c[i].name,
			       c[i].warn ? "WARN" : c[i].ok ? "ok" : "FAILED", c[i].detail);
	}
	if (ok)
		return RC_OK;
	/* after the table, also where both go to one pipe */
	fflush(stdout);
	fprintf(stderr, "vmkeepctl: %s: a kexec into %s would not keep or restore the regions: %s failed\n",
		strcmp(ctx->cmd->name, "kexec") ? ctx->cmd->name : "kexec --check",
		rel[0] ? rel : kernel, failed);
	return RC_UNSAFE;
}
