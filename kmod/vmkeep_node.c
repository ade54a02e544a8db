// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: region device nodes
 *
 * Every live region that can be opened also appears as a character
 * device, /dev/vmkeep-region/NAME, with the region's owner, group and
 * mode, so that a VMM's command line can name its RAM by path and stay
 * the same across the kexec (QEMU's cpr-reboot relaunches the same
 * command line), as device-dax offers /dev/daxX.Y.  The node is made when
 * the region is published (ALLOC, or restored at load) and removed when
 * it is freed; opening it is a GET: the same permission, exclusive and
 * lifetime rules (vmkeep_region.c).  devtmpfs and udev alike get the
 * owner and mode from devnode (DEVUID, DEVGID, DEVMODE in the uevent).
 *
 * Minors map to regions in an xarray under vmkeep_lock; the struct
 * device carries its own copy of what devnode reports, since uevents may
 * ask at any time while it is registered.  A device number names whatever
 * device has it now, also for a node kept open by O_PATH or a node made
 * by hand: every open checks the region's owner and mode, and minors are
 * handed out cyclically so that one is reused as late as possible.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "vmkeep_compat.h"
#include "vmkeep_internal.h"

/* All minors: a freed region's minor is reused as late as possible. */
#define VMKEEP_MAX_NODES	MINORMASK

struct vmkeep_node {
	struct device dev;
	umode_t mode;
	kuid_t uid;
	kgid_t gid;
};

static dev_t vmkeep_devt;
static struct cdev vmkeep_cdev;
static DEFINE_XARRAY_ALLOC(vmkeep_minors);
static u32 vmkeep_next_minor;

static char *vmkeep_devnode(VMKEEP_DEVNODE_CONST struct device *dev,
			    umode_t *mode, kuid_t *uid, kgid_t *gid)
{
	const struct vmkeep_node *node = container_of(dev, struct vmkeep_node, dev);

	/* Removal asks for the name only. */
	if (mode)
		*mode = node->mode;
	if (uid)
		*uid = node->uid;
	if (gid)
		*gid = node->gid;
	return NULL;	/* the name, with '!' made '/' */
}

static void vmkeep_node_release(struct device *dev)
{
	kfree(container_of(dev, struct vmkeep_node, dev));
}

static const struct device_type vmkeep_node_type = {
	.name = "vmkeep-region",
	.devnode = vmkeep_devnode,
	.release = vmkeep_node_release,
};

static struct class vmkeep_class = {
	.name = "vmkeep",
};

/**
 * vmkeep_node_add() - /dev/vmkeep-region/NAME for @region
 * @region: live, not quarantined
 *
 * A region without a node still works through fds: a failure is logged,
 * not returned.
 */
void vmkeep_node_add(struct vmkeep_region *region)
{
	struct vmkeep_node *node;
	u32 minor;
	int ret;

	lockdep_assert_held(&vmkeep_lock);
	node = kzalloc(sizeof(*node), GFP_KERNEL);
	if (!node) {
		ret = -ENOMEM;
		goto err_log;
	}
	ret = xa_alloc_cyclic(&vmkeep_minors, &minor, region,
			      XA_LIMIT(0, VMKEEP_MAX_NODES - 1),
			      &vmkeep_next_minor, GFP_KERNEL);
	if (ret < 0) {
		kfree(node);
		goto err_log;
	}
	node->mode = region->fmt.mode;
	node->uid = make_kuid(&init_user_ns, region->fmt.uid);
	node->gid = make_kgid(&init_user_ns, region->fmt.gid);
	device_initialize(&node->dev);
	node->dev.class = &vmkeep_class;
	node->dev.type = &vmkeep_node_type;
	node->dev.devt = MKDEV(MAJOR(vmkeep_devt), minor);
	ret = dev_set_name(&node->dev, "vmkeep-region!%s", region->fmt.name);
	if (!ret)
		ret = device_add(&node->dev);
	if (ret) {
		xa_erase(&vmkeep_minors, minor);
		put_device(&node->dev);
		goto err_log;
	}
	region->node = node;
	return;

err_log:
	pr_warn("region '%s': no device node: %pe\n", region->fmt.name,
		ERR_PTR(ret));
}

/* The node goes with the region's FREE; open files of it stay. */
void vmkeep_node_remove(struct vmkeep_region *region)
{
	struct vmkeep_node *node = region->node;

	lockdep_assert_held(&vmkeep_lock);
	if (!node)
		return;
	xa_erase(&vmkeep_minors, MINOR(node->dev.devt));
	device_unregister(&node->dev);
	region->node = NULL;
}

/* The region behind an opened node, or NULL once it is freed. */
struct vmkeep_region *vmkeep_node_region(dev_t devt)
{
	lockdep_assert_held(&vmkeep_lock);
	return xa_load(&vmkeep_minors, MINOR(devt));
}

/*
 * The first step of the module's load and the last of its unload: the
 * regions' dax inodes (vmkeep_region.c) outlive every region and file.
 */
int vmkeep_nodes_init(void)
{
	int ret;

	ret = vmkeep_region_fs_init();
	if (ret)
		return ret;
	ret = alloc_chrdev_region(&vmkeep_devt, 0, VMKEEP_MAX_NODES,
				  "vmkeep-region");
	if (ret)
		goto err_fs;
	ret = class_register(&vmkeep_class);
	if (ret)
		goto err_chrdev;
	cdev_init(&vmkeep_cdev, &vmkeep_region_fops);
	vmkeep_cdev.owner = THIS_MODULE;
	ret = cdev_add(&vmkeep_cdev, vmkeep_devt, VMKEEP_MAX_NODES);
	if (ret)
		goto err_class;
	return 0;

err_class:
	class_unregister(&vmkeep_class);
err_chrdev:
	unregister_chrdev_region(vmkeep_devt, VMKEEP_MAX_NODES);
err_fs:
	vmkeep_region_fs_exit();
	return ret;
}

/* After vmkeep_pools_exit(): no node is left. */
void vmkeep_nodes_exit(void)
{
	cdev_del(&vmkeep_cdev);
	class_unregister(&vmkeep_class);
	unregister_chrdev_region(vmkeep_devt, VMKEEP_MAX_NODES);
	vmkeep_region_fs_exit();
}
