/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * libvmkeep's own structures, shared by its files and by the host unit
 * test of vmkeepctl, which fills a context with a made-up snapshot
 * (vmkeep_ctx_set_snapshot()) instead of asking a module.
 */
#ifndef _LIBVMKEEP_PRIVATE_H_
#define _LIBVMKEEP_PRIVATE_H_

#include <linux/vmkeep.h>
#include <vmkeep/libvmkeep.h>

#define VMKEEP_EXPORT	__attribute__((visibility("default")))

struct kmod_ctx;

struct vmkeep_region {
	struct vmkeep_ctx *ctx;
	struct vmkeep_region_info info;
};

struct vmkeep_pool {
	struct vmkeep_ctx *ctx;
	unsigned int index;
	struct vmkeep_pool_info info;
};

/* @nr_files: its files in the snapshot, from @first_file of &vmkeep_ctx.luo_files */
struct vmkeep_session {
	struct vmkeep_ctx *ctx;
	struct vmkeep_luo_session_info info;
	unsigned int first_file;
	unsigned int nr_files;
};

struct vmkeep_session_file {
	struct vmkeep_session *session;
	struct vmkeep_luo_file_info info;
};

/**
 * struct vmkeep_ctx - library user context
 * @refcount: vmkeep_ref() / vmkeep_unref()
 * @fd: /dev/vmkeep, -1 until first used
 * @dev_path: the device ($VMKEEP_DEV or /dev/vmkeep)
 * @kmod: libkmod context, made on first load or unload
 * @regions: the region snapshot, @nr_regions entries
 * @pools: the pool snapshot, @nr_pools entries
 * @status_flags: &struct vmkeep_status.out_flags of the pool snapshot
 * @luo_sessions: the live update snapshot, @nr_luo_sessions entries
 * @luo_files: their files, @nr_luo_files entries, by session
 * @luo_flags: &struct vmkeep_luo_list.out_flags of that snapshot
 * @have_regions: @regions is current (nothing changed since it was taken)
 * @have_pools: likewise for @pools
 * @have_luo: likewise for @luo_sessions
 */
struct vmkeep_ctx {
	int refcount;
	int fd;
	char *dev_path;
	struct kmod_ctx *kmod;
	struct vmkeep_region *regions;
	unsigned int nr_regions;
	struct vmkeep_pool *pools;
	unsigned int nr_pools;
	__u32 status_flags;
	struct vmkeep_session *luo_sessions;
	unsigned int nr_luo_sessions;
	struct vmkeep_session_file *luo_files;
	unsigned int nr_luo_files;
	__u32 luo_flags;
	bool have_regions;
	bool have_pools;
	bool have_luo;
};

int vmkeep_ctx_set_snapshot(struct vmkeep_ctx *ctx,
			    const struct vmkeep_region_info *r, unsigned int nr,
			    const struct vmkeep_pool_info *p, unsigned int np,
			    __u32 status_flags);
int vmkeep_ctx_set_luo_snapshot(struct vmkeep_ctx *ctx,
				const struct vmkeep_luo_session_info *s,
				unsigned int ns,
				const struct vmkeep_luo_file_info *f,
				unsigned int nf, __u32 out_flags);
int vmkeep_status_noroom(struct vmkeep_ctx *ctx);
int vmkeep_dev_ioctl(struct vmkeep_ctx *ctx, unsigned long cmd, void *arg);
int vmkeep_pool_keep_id(struct vmkeep_ctx *ctx, unsigned int index,
			const uint8_t *id);
void vmkeep_ctx_close(struct vmkeep_ctx *ctx);

#endif /* _LIBVMKEEP_PRIVATE_H_ */
