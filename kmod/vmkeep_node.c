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
 *
 * device_add() and device_unregister() wait for devtmpfs and send
 * uevents, and a load or a FORMAT makes or removes thousands, so they run
 * outside vmkeep_lock: under it a minor only changes hands in the xarray
 * (so a node opens exactly while its region is live) and the device's
 * add or removal is queued; vmkeep_nodes_flush() runs the queue in order
 * after the unlock, so that a node is gone before a later node of the
 * same name is added, and an add still queued is cancelled by its
 * removal.
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

/*
 * @op: on vmkeep_node_ops while its add or removal waits (vmkeep_lock)
 * @removed: the op queued is the removal (vmkeep_lock)
 * @added: device_add() succeeded (vmkeep_nodes_lock)
 */
struct vmkeep_node {
	struct device dev;
	struct list_head op;
	bool removed;
	bool added;
	umode_t mode;
	kuid_t uid;
	kgid_t gid;
};

static dev_t vmkeep_devt;
static struct cdev vmkeep_cdev;
static DEFINE_XARRAY_ALLOC(vmkeep_minors);
static u32 vmkeep_next_minor;
/* Adds and removals to make, in order; protected by vmkeep_lock. */
static LIST_HEAD(vmkeep_node_ops);
/* Serialises the running of the queue: its order is the nodes' order. */
static DEFINE_MUTEX(vmkeep_nodes_lock);

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
 * The node appears at the next vmkeep_nodes_flush().  A region without
 * a node still works through fds: a failure is logged, not returned.
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
	INIT_LIST_HEAD(&node->op);
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
	if (ret) {
		xa_erase(&vmkeep_minors, minor);
		put_device(&node->dev);
		goto err_log;
	}
	list_add_tail(&node->op, &vmkeep_node_ops);
	region->node = node;
	return;

err_log:
	pr_warn("region '%s': no device node: %pe\n", region->fmt.name,
		ERR_PTR(ret));
}

/*
 * The node goes with the region's FREE, at the next vmkeep_nodes_flush();
 * no open finds the region through it from now on.  Open files of it stay.
 */
void vmkeep_node_remove(struct vmkeep_region *region)
{
	struct vmkeep_node *node = region->node;

	lockdep_assert_held(&vmkeep_lock);
	if (!node)
		return;
	xa_erase(&vmkeep_minors, MINOR(node->dev.devt));
	region->node = NULL;
	if (!list_empty(&node->op)) {
		/* Its add is still queued: never made, nothing to remove. */
		list_del(&node->op);
		put_device(&node->dev);
		return;
	}
	node->removed = true;
	list_add_tail(&node->op, &vmkeep_node_ops);
}

/**
 * vmkeep_nodes_flush() - make the device nodes queued, remove those gone
 *
 * Called without vmkeep_lock after a change of regions (ALLOC, FREE,
 * FORMAT, load, unload): on return the queue that change made has run,
 * by this caller or another.
 */
void vmkeep_nodes_flush(void)
{
	struct vmkeep_node *node;
	bool removal;
	int ret;

	guard(mutex)(&vmkeep_nodes_lock);
	for (;;) {
		/* Read under the lock: once popped, a removal may be queued. */
		scoped_guard(mutex, &vmkeep_lock) {
			node = list_first_entry_or_null(&vmkeep_node_ops,
							struct vmkeep_node, op);
			if (node) {
				list_del_init(&node->op);
				removal = node->removed;
			}
		}
		if (!node)
			return;
		if (removal) {
			if (node->added)
				device_del(&node->dev);
			put_device(&node->dev);
			continue;
		}
		ret = device_add(&node->dev);
		node->added = !ret;
		if (ret)
			pr_warn("%s: no device node: %pe\n", dev_name(&node->dev),
				ERR_PTR(ret));
	}
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

/* After vmkeep_pools_exit(): the last removals are queued. */
void vmkeep_nodes_exit(void)
{
	vmkeep_nodes_flush();
	cdev_del(&vmkeep_cdev);
	class_unregister(&vmkeep_class);
	unregister_chrdev_region(vmkeep_devt, VMKEEP_MAX_NODES);
	vmkeep_region_fs_exit();
}
