/* SPDX-License-Identifier: GPL-2.0 */
/* Copyright (C) 2026 The vmkeep authors */

#ifndef _TOOLS_LINUX_COMPILER_H
#define _TOOLS_LINUX_COMPILER_H

#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)

#endif /* _TOOLS_LINUX_COMPILER_H */
