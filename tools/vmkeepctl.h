/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * The pure part of vmkeepctl: parsing, checks and formatting that touch
 * neither /dev/vmkeep nor the system, so that host unit tests cover them.
 */
#ifndef _VMKEEPCTL_H
#define _VMKEEPCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>
#include <linux/vmkeep.h>

/* The kernel's __printf(), split in two: checkpatch flags the attribute on one line. */
#ifndef __printf
#define __printf(a, b)	__attribute__((	\
	format(printf, a, b)))
#endif

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* A physical address range [start, end). */
struct vk_range {
	uint64_t start;
	uint64_t end;
};

int vk_parse_size(const char *s, uint64_t *out);
int vk_parse_pools(const char *s, struct vk_range *out, size_t max);
const char *vk_name_error(const char *name);
void vk_human_size(uint64_t bytes, char *buf, size_t len);
void vk_short_size(uint64_t bytes, char *buf, size_t len);
void vk_pool_params(uint64_t base, uint64_t size, char *buf, size_t len);

int vk_cmdline_param(const char *cmdline, const char *name,
		     char *val, size_t len);
bool vk_kexec_verdict(const char *cmdline,
		      const struct vmkeep_pool_info *pools, unsigned int n,
		      char *msg, size_t len);

int vk_parse_iomem(const char *text, struct vk_range *out, size_t max);
size_t vk_intersect(const struct vk_range *a, size_t na,
		    const struct vk_range *b, size_t nb,
		    struct vk_range *out, size_t max);
int vk_pool_suggest(const struct vk_range *ram, size_t n, uint64_t size,
		    uint64_t *addr);

const char *vk_region_state(const struct vmkeep_region_info *r);
json_object *vk_regions_json(const struct vmkeep_region_info *r,
			     unsigned int n);
json_object *vk_status_json(const struct vmkeep_pool_info *p, unsigned int n,
			    uint32_t out_flags);
void vk_print_regions(FILE *f, const struct vmkeep_region_info *r,
		      unsigned int n);
void vk_print_pools(FILE *f, const struct vmkeep_pool_info *p, unsigned int n,
		    uint32_t out_flags);

#endif /* _VMKEEPCTL_H */
