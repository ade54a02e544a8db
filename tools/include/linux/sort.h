/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 The vmkeep authors */

#ifndef _TOOLS_LINUX_SORT_H
#define _TOOLS_LINUX_SORT_H

#include <stdlib.h>

/* The kernel's sort() is a heapsort with an optional swap helper. */
static inline void sort(void *base, size_t num, size_t size,
			int (*cmp)(const void *, const void *), void *swap)
{
	(void)swap;
	qsort(base, num, size, cmp);
}

#endif /* _TOOLS_LINUX_SORT_H */
