/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 The vmkeep authors */

#ifndef _TOOLS_LINUX_COMPILER_H
#define _TOOLS_LINUX_COMPILER_H

#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)

#endif /* _TOOLS_LINUX_COMPILER_H */
