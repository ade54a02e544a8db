/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 The vmkeep authors */

#ifndef _TOOLS_ASM_BYTEORDER_H
#define _TOOLS_ASM_BYTEORDER_H

#include <endian.h>

#define le16_to_cpu(x)	le16toh(x)
#define le32_to_cpu(x)	le32toh(x)
#define le64_to_cpu(x)	le64toh(x)
#define cpu_to_le16(x)	htole16(x)
#define cpu_to_le32(x)	htole32(x)
#define cpu_to_le64(x)	htole64(x)

#endif /* _TOOLS_ASM_BYTEORDER_H */
