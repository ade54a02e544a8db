// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: the firmware's memory map
 *
 * A pool must be RAM in the memory map the firmware handed the kernel.
 * ``memmap=SIZE$ADDR`` makes any range reserved in the running kernel's
 * resource tree: over RAM, as meant, but just as well over the ACPI
 * tables, the legacy area below 1 MiB or the PCI hole, so after it the
 * checks of vmkeep_pool.c cannot tell a mistyped pool from a good one.
 * A pool there would be zeroed and handed to a VM, and the next kernel,
 * booted by the very kexec vmkeep exists for, would read the VM's bytes
 * as its ACPI tables.  So every byte of a pool must lie in an entry of
 * type "System RAM" of the map from before ``memmap=``; the first range
 * that does not (an entry of another type, or a hole that no entry
 * describes) is named in the refusal.
 *
 * How a module reads that map, on Debian's 6.1, 6.12 and 7.2 (checked
 * against their Module.symvers and sources):
 *
 * - e820_table_firmware, boot_params and the list behind
 *   /sys/firmware/memmap (drivers/firmware/memmap.c) are not exported.
 * - e820__mapped_raw_any() is, to any GPL module on 6.1 and 6.12 and to
 *   KVM's modules only on 7.x (EXPORT_SYMBOL_FOR_KVM).  It says whether
 *   an entry of one type meets a range; a hole has no entry, so it can
 *   never show that every byte is RAM.
 * - The sysfs files of that list, /sys/firmware/memmap/N/{start,end,type},
 *   exist on all three (CONFIG_FIRMWARE_MEMMAP=y).  6.1 and 6.12 fill it
 *   from e820_table_firmware, 7.x from e820_table_kexec, which is that
 *   table plus the kernel's own reservations; ``memmap=`` changes
 *   neither.  After a kexec it is the map the previous kernel passed on.
 *
 * So the module reads those files, from init's root, so that a loader
 * in another mount namespace reads the same map, with file_open_root()
 * and kernel_read() as a read(2) would: kernel_read_file() is meant for
 * blobs whose purpose an LSM judges, and IPE (in Debian's 6.12 and 7.x
 * LSM list) WARNs on a read of no known purpose (READING_UNKNOWN).
 * An entry that cannot be read (another kernel config, a /sys that is
 * not there) leaves no map at all: the module says so at load and keeps
 * only the checks of vmkeep_pool.c, and ``vmkeepctl load`` checks the
 * pools against the same files before it loads the module.
 * Entries are numbered from 0 in the order of the table; only memory
 * hot-remove leaves a gap, after which the rest would look like a hole
 * and a pool there would be refused, not taken.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/kstrtox.h>
#include <linux/overflow.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "vmkeep_internal.h"

/* E820_MAX_ENTRIES is 3200 with 1024 NUMA nodes. */
#define FW_MAX_ENTRIES	4096

struct vmkeep_fw_range {
	u64 start;
	u64 last;		/* inclusive, as the map says it */
	bool ram;		/* of type "System RAM" */
	char type[32];		/* "ACPI Non-volatile Storage" is the longest */
};

struct vmkeep_fwmap {
	unsigned int n;
	struct vmkeep_fw_range r[];
};

/* Attribute @attr of entry @i, without its newline. */
static int fw_attr(const struct path *root, unsigned int i, const char *attr,
		   char *buf, size_t len)
{
	struct file *file;
	char path[48];
	loff_t pos = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/firmware/memmap/%u/%s", i, attr);
	file = file_open_root(root, path, O_RDONLY, 0);
	if (IS_ERR(file))
		return PTR_ERR(file);
	n = kernel_read(file, buf, len - 1, &pos);
	fput(file);
	if (n < 0)
		return n;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int fw_entry(const struct path *root, unsigned int i,
		    struct vmkeep_fw_range *r)
{
	char num[24];
	int ret;

	ret = fw_attr(root, i, "start", num, sizeof(num)) ?:
	      kstrtoull(num, 0, &r->start) ?:
	      fw_attr(root, i, "end", num, sizeof(num)) ?:
	      kstrtoull(num, 0, &r->last) ?:
	      fw_attr(root, i, "type", r->type, sizeof(r->type));
	r->ram = !strcmp(r->type, "System RAM");
	return ret ?: (r->last < r->start ? -EINVAL : 0);
}

/**
 * vmkeep_fwmap_read() - the firmware's memory map, from sysfs
 *
 * Return: the map for vmkeep_fwmap_is_ram(), or NULL (said in the log)
 * when it cannot be read.  Free it with vmkeep_fwmap_free().
 */
struct vmkeep_fwmap *vmkeep_fwmap_read(void)
{
	struct vmkeep_fwmap *map;
	struct path root;
	unsigned int i = 0;
	int ret = -ENOMEM;

	map = kvzalloc(struct_size(map, r, FW_MAX_ENTRIES), GFP_KERNEL);
	if (map) {
		task_lock(&init_task);
		get_fs_root(init_task.fs, &root);
		task_unlock(&init_task);
		for (i = 0; i < FW_MAX_ENTRIES; i++) {
			ret = fw_entry(&root, i, &map->r[i]);
			if (ret)
				break;
		}
		path_put(&root);
	}
	/* The entries end where the next one is not there. */
	if (ret == -ENOENT && i)
		ret = 0;
	else if (!ret)
		ret = -E2BIG;
	if (ret) {
		pr_warn("cannot read the firmware's memory map (/sys/firmware/memmap/%u: %pe): pools are not checked against it; 'vmkeepctl load' checks them before it loads the module\n",
			i, ERR_PTR(ret));
		kvfree(map);
		return NULL;
	}
	map->n = i;
	return map;
}

void vmkeep_fwmap_free(struct vmkeep_fwmap *map)
{
	kvfree(map);
}

/**
 * vmkeep_fwmap_is_ram() - whether the firmware's map has a range as RAM
 * @map: the map
 * @base: the range's start
 * @size: its length, not 0; @base + @size does not wrap
 * @why: when not, the lowest entry of another type or hole it meets,
 *       for the log
 * @len: room in @why
 *
 * Entries may come in any order and overlap: an entry of another type
 * wins over RAM, as e820__update_table() lets the higher type win.
 *
 * Return: true when every byte of the range is in a "System RAM" entry
 * and in no other.
 */
bool vmkeep_fwmap_is_ram(const struct vmkeep_fwmap *map, u64 base, u64 size,
			 char *why, size_t len)
{
	const struct vmkeep_fw_range *r, *bad = NULL;
	u64 last = base + size - 1, pos = base, lo = 0, hi = U64_MAX;
	bool moved, covered = false;
	unsigned int i;

	for (i = 0; i < map->n; i++) {
		r = &map->r[i];
		if (!r->ram && r->start <= last && r->last >= base &&
		    (!bad || r->start < bad->start))
			bad = r;
	}
	/* The first byte from @base on that no RAM entry holds. */
	do {
		moved = false;
		for (i = 0; i < map->n && !covered; i++) {
			r = &map->r[i];
			if (!r->ram || r->start > pos || r->last < pos)
				continue;
			covered = r->last >= last;
			pos = r->last + 1;
			moved = true;
		}
	} while (moved && !covered);

	if (bad && (covered || bad->start <= pos)) {
		snprintf(why, len,
			 "the firmware's memory map has [mem 0x%016llx-0x%016llx] as \"%s\", not System RAM",
			 bad->start, bad->last, bad->type);
		return false;
	}
	if (covered)
		return true;
	/* No entry holds @pos: name the whole hole. */
	for (i = 0; i < map->n; i++) {
		r = &map->r[i];
		if (r->last < pos && r->last + 1 > lo)
			lo = r->last + 1;
		if (r->start > pos && r->start - 1 < hi)
			hi = r->start - 1;
	}
	snprintf(why, len,
		 "the firmware's memory map has [mem 0x%016llx-0x%016llx] as a hole, not System RAM",
		 lo, hi);
	return false;
}
