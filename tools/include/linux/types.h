/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 The vmkeep authors */
/*
 * Userspace stand-ins for the few kernel headers that format/vmkeep_format.c
 * includes, as the kernel's own tools/include/ does: the codec is kernel
 * code, and userspace builds put this directory first on the include path.
 * The uAPI header of the same name supplies the __u and __le types.
 */
#ifndef _TOOLS_LINUX_TYPES_H
#define _TOOLS_LINUX_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include_next <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;

#endif /* _TOOLS_LINUX_TYPES_H */
