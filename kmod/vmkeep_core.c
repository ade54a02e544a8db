// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: vmkeep core
 *
 * /dev/vmkeep: the character device through which userspace asks for
 * region file descriptors.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/fs.h>

static const struct file_operations vmkeep_fops = {
	.owner = THIS_MODULE,
};

static struct miscdevice vmkeep_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmkeep",
	.fops = &vmkeep_fops,
	.mode = 0600,
};

static int __init vmkeep_init(void)
{
	return misc_register(&vmkeep_misc);
}

static void __exit vmkeep_exit(void)
{
	misc_deregister(&vmkeep_misc);
}

module_init(vmkeep_init);
module_exit(vmkeep_exit);
MODULE_DESCRIPTION("Keep VM memory across kexec");
MODULE_LICENSE("GPL");
