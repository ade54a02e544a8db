/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 The vmkeep authors */

#ifndef _TOOLS_LINUX_SCHED_H
#define _TOOLS_LINUX_SCHED_H

/* Userspace builds of the format code have no scheduler to yield to. */
static inline void cond_resched(void)
{
}

#endif /* _TOOLS_LINUX_SCHED_H */
