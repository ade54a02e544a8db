// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: libvmkeep, loading and unloading the module
 *
 * Through libkmod, as libdaxctl loads its drivers: one kmod_ctx per
 * library context, made on first use; kmod_module_new_from_name(), the
 * module's init state, then kmod_module_probe_insert_module() with
 * KMOD_PROBE_APPLY_BLACKLIST, so that modprobe.d's blacklist and options
 * and the vmkeep.* parameters of /proc/cmdline apply as with modprobe.
 * libkmod's own log is silenced: errors come back as -errno, and a
 * library must not write to its caller's stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <libkmod.h>

#include "private.h"

/* libkmod's messages go nowhere: the caller gets -errno instead. */
static void kmod_quiet(void *data, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	(void)format;
	(void)args;
}

/* The vmkeep module's libkmod handle, for the caller to unref. */
static int vmkeep_module(struct vmkeep_ctx *ctx, struct kmod_module **mod)
{
	if (!ctx->kmod) {
		ctx->kmod = kmod_new(NULL, NULL);
		if (!ctx->kmod)
			return -ENOMEM;
		kmod_set_log_fn(ctx->kmod, kmod_quiet, NULL);
	}
	return kmod_module_new_from_name(ctx->kmod, "vmkeep", mod);
}

static bool is_loaded(struct kmod_module *mod)
{
	int state = kmod_module_get_initstate(mod);

	return state == KMOD_MODULE_LIVE || state == KMOD_MODULE_COMING ||
	       state == KMOD_MODULE_BUILTIN;
}

/**
 * vmkeep_module_loaded() - whether the module is loaded
 * @ctx: library context
 *
 * Return: 1 loaded (or built in), 0 not, or -errno.
 */
VMKEEP_EXPORT int vmkeep_module_loaded(struct vmkeep_ctx *ctx)
{
	struct kmod_module *mod;
	int ret = vmkeep_module(ctx, &mod);

	if (ret)
		return ret;
	ret = is_loaded(mod);
	kmod_module_unref(mod);
	return ret;
}

/**
 * vmkeep_module_get_options() - the options a load would pass
 * @ctx: library context
 * @options: "pools=... max_regions=...", from modprobe.d and the
 *           vmkeep.* parameters of /proc/cmdline; free() it
 *
 * Return: 0 or -errno.
 */
VMKEEP_EXPORT int vmkeep_module_get_options(struct vmkeep_ctx *ctx,
					    char **options)
{
	struct kmod_module *mod;
	const char *o;
	int ret = vmkeep_module(ctx, &mod);

	if (ret)
		return ret;
	o = kmod_module_get_options(mod);
	*options = strdup(o ?: "");
	kmod_module_unref(mod);
	return *options ? 0 : -ENOMEM;
}

/**
 * vmkeep_load() - load the module
 * @ctx: library context
 * @options: module parameters added to those of modprobe.d and
 *           /proc/cmdline (later ones win), or NULL
 *
 * Return: 0 when loaded now, -EEXIST when it was loaded already,
 * -ECANCELED when modprobe.d blacklists it, -ENOENT when no module is
 * installed for the running kernel, else -errno of libkmod or the kernel
 * (see the kernel log).
 */
VMKEEP_EXPORT int vmkeep_load(struct vmkeep_ctx *ctx, const char *options)
{
	struct kmod_module *mod;
	int ret = vmkeep_module(ctx, &mod);

	if (ret)
		return ret;
	if (is_loaded(mod))
		ret = -EEXIST;
	else
		ret = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST,
						      options, NULL, NULL, NULL);
	kmod_module_unref(mod);
	return ret > 0 ? -ECANCELED : ret;
}

/**
 * vmkeep_unload() - unload the module
 * @ctx: library context
 *
 * Closes the context's own /dev/vmkeep fd first, and asks for STATUS
 * once: a freed region whose pages were held keeps the module until the
 * module looks again.  Regions stay in their pools for the next load.
 *
 * Return: 0, -ENOENT when it is not loaded, -EBUSY or -EAGAIN while it
 * is in use (an open file, a mapping, an O_PATH fd or held pages of a
 * region), else -errno.
 */
VMKEEP_EXPORT int vmkeep_unload(struct vmkeep_ctx *ctx)
{
	struct kmod_module *mod;
	int ret = vmkeep_module(ctx, &mod);

	if (ret)
		return ret;
	if (is_loaded(mod)) {
		vmkeep_status_noroom(ctx);
		vmkeep_ctx_close(ctx);
		ret = kmod_module_remove_module(mod, 0);
	} else {
		ret = -ENOENT;
	}
	kmod_module_unref(mod);
	return ret;
}
