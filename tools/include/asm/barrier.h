/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 The vmkeep authors */

#ifndef _TOOLS_ASM_BARRIER_H
#define _TOOLS_ASM_BARRIER_H

/* Orders the stores before it against the stores after it. */
#define wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#endif /* _TOOLS_ASM_BARRIER_H */
