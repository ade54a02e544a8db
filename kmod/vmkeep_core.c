// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 */

/**
 * DOC: vmkeep core
 *
 * /dev/vmkeep and its ioctls (include/uapi/linux/vmkeep.h), the clean
 * mark written on the way into kexec, and a read-only debugfs view.
 *
 * One mutex, vmkeep_lock, serialises every change of pools, regions and
 * metadata: changes are rare (a VM starts or stops) and each is written
 * through to the pool at once.  The data path - faults, read, write -
 * takes no lock.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/reboot.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vmkeep_internal.h"

/* Serialises every change of pools, regions and on-pool metadata. */
DEFINE_MUTEX(vmkeep_lock);

static char *pools;
module_param(pools, charp, 0444);
MODULE_PARM_DESC(pools, "SIZE@ADDR[,SIZE@ADDR...]: reserved ranges (memmap=SIZE$ADDR) to keep regions in");

static unsigned int max_regions = VMKEEP_FMT_MAX_ENTRIES;
module_param(max_regions, uint, 0444);
MODULE_PARM_DESC(max_regions, "regions per pool, at most 4094 (what one metadata copy holds)");

/* Set by FREEZE, cleared by THAW; set for good by the reboot notifier. */
static bool vmkeep_frozen;
static bool vmkeep_shutdown;

struct vmkeep_ucmd {
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

/* Copy the answer back, no more than the caller's structure holds. */
static int vmkeep_respond(struct vmkeep_ucmd *ucmd, size_t size)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd, min_t(size_t, ucmd->user_size, size)))
		return -EFAULT;
	return 0;
}

static struct vmkeep_region *region_find(const char *name)
{
	struct vmkeep_region *region;
	unsigned int i;

	for (i = 0; i < vmkeep_nr_pools; i++)
		list_for_each_entry(region, &vmkeep_pools[i]->regions, link)
			if (!strcmp(region->fmt.name, name))
				return region;
	return NULL;
}

/* Names from userspace for lookups: terminated and non-empty. */
static struct vmkeep_region *region_lookup(char *name)
{
	if (!memchr(name, 0, VMKEEP_NAME_LEN) || !name[0])
		return ERR_PTR(-EINVAL);
	return region_find(name) ?: ERR_PTR(-ENOENT);
}

static bool region_is_owner(const struct vmkeep_region *region)
{
	return uid_eq(current_fsuid(), make_kuid(&init_user_ns, region->fmt.uid)) ||
	       capable(CAP_SYS_ADMIN);
}

/* Read and write access, checked as for a file with the region's mode. */
static bool region_may_open(const struct vmkeep_region *region)
{
	u32 mode = region->fmt.mode;

	if (uid_eq(current_fsuid(), make_kuid(&init_user_ns, region->fmt.uid)))
		mode >>= 6;
	else if (in_group_p(make_kgid(&init_user_ns, region->fmt.gid)))
		mode >>= 3;
	return (mode & 06) == 06 || capable(CAP_SYS_ADMIN);
}

/*
 * Hand out a file for @region as a new fd: reserve the fd, build the file,
 * tell userspace, and only then install it.  Caller holds vmkeep_lock.
 */
static int region_install_fd(struct vmkeep_region *region,
			     struct vmkeep_ucmd *ucmd, s32 *out_fd, size_t size)
{
	struct file *file;
	int fd, ret;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = vmkeep_region_file(region);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_put_fd;
	}
	*out_fd = fd;
	ret = vmkeep_respond(ucmd, size);
	if (ret)
		goto err_put_file;
	fd_install(fd, file);
	return 0;

err_put_file:
	/* The final release runs on return to userspace, after the unlock. */
	fput(file);
err_put_fd:
	put_unused_fd(fd);
	return ret;
}

static void region_unlink(struct vmkeep_region *region)
{
	struct vmkeep_pool *pool = region->pool;

	list_move(&region->link, &pool->freed);
	pool->nr_regions--;
	vmkeep_pool_commit(pool, 0);
	vmkeep_region_put(region);
}

static struct vmkeep_pool *pool_pick(const struct vmkeep_alloc *cmd)
{
	struct vmkeep_pool *pool, *best = NULL;
	u64 free, best_free = 0;
	unsigned int i;

	for (i = 0; i < vmkeep_nr_pools; i++) {
		pool = vmkeep_pools[i];
		vmkeep_pool_reap(pool);
		if (pool->fmt.state == VMKEEP_POOL_DAMAGED)
			continue;
		if ((cmd->flags & VMKEEP_ALLOC_NODE) && pool->node != cmd->node)
			continue;
		if (pool->nr_regions >= min(max_regions, VMKEEP_FMT_MAX_ENTRIES))
			continue;
		free = vmkeep_pool_free_bytes(pool);
		if (free >= cmd->length && free > best_free) {
			best = pool;
			best_free = free;
		}
	}
	return best;
}

#define VMKEEP_ALLOC_FLAGS \
	(VMKEEP_REGION_EXCLUSIVE | VMKEEP_ALLOC_NODE | VMKEEP_ALLOC_OWNER)

static int vmkeep_ioc_alloc(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_alloc *cmd = ucmd->cmd;
	struct vmkeep_fmt_region r = {};
	struct vmkeep_region *region;
	struct vmkeep_pool *pool;
	int ret;

	if (cmd->flags & ~VMKEEP_ALLOC_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->mode & ~0777 ||
	    vmkeep_fmt_check_name(cmd->name, sizeof(cmd->name)) ||
	    !cmd->length || !IS_ALIGNED(cmd->length, VMKEEP_ALIGN))
		return -EINVAL;
	if (!(cmd->flags & VMKEEP_ALLOC_NODE) && cmd->node)
		return -EINVAL;
	if (cmd->flags & VMKEEP_ALLOC_OWNER) {
		if (!uid_valid(make_kuid(&init_user_ns, cmd->uid)) ||
		    !gid_valid(make_kgid(&init_user_ns, cmd->gid)))
			return -EINVAL;
		if (!capable(CAP_CHOWN))
			return -EPERM;
		r.uid = cmd->uid;
		r.gid = cmd->gid;
	} else {
		if (cmd->uid || cmd->gid)
			return -EINVAL;
		r.uid = from_kuid_munged(&init_user_ns, current_fsuid());
		r.gid = from_kgid_munged(&init_user_ns, current_fsgid());
	}
	strscpy(r.name, cmd->name, sizeof(r.name));
	r.length = cmd->length;
	r.mode = cmd->mode ?: 0600;
	r.flags = cmd->flags & VMKEEP_REGION_EXCLUSIVE ? VMKEEP_FMT_EXCLUSIVE : 0;

	guard(mutex)(&vmkeep_lock);
	if (vmkeep_frozen)
		return -EBUSY;
	if (!vmkeep_nr_pools)
		return -ENODEV;
	if (region_find(r.name))
		return -EEXIST;
	pool = pool_pick(cmd);
	if (!pool)
		return -ENOSPC;
	if (pool->fmt.state == VMKEEP_POOL_EMPTY)
		vmkeep_pool_format(pool);
	ret = vmkeep_pool_reserve(pool, &r);
	if (ret)
		return ret;
	region = vmkeep_region_new(pool, &r, VMKEEP_STATE_ACTIVE);
	if (!region) {
		vmkeep_pool_rebuild(pool);
		return -ENOMEM;
	}
	region->fmt.id = pool->fmt.next_id++;
	vmkeep_region_zero(region);
	list_add_tail(&region->link, &pool->regions);
	pool->nr_regions++;
	vmkeep_pool_commit(pool, 0);

	ret = region_install_fd(region, ucmd, &cmd->out_fd, sizeof(*cmd));
	if (ret)
		region_unlink(region);
	return ret;
}

static int vmkeep_ioc_get(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_get *cmd = ucmd->cmd;
	struct vmkeep_region *region;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	guard(mutex)(&vmkeep_lock);
	region = region_lookup(cmd->name);
	if (IS_ERR(region))
		return PTR_ERR(region);
	if (!region_may_open(region))
		return -EACCES;
	if (region->state == VMKEEP_STATE_QUARANTINED)
		return -EIO;
	if ((region->fmt.flags & VMKEEP_FMT_EXCLUSIVE) &&
	    atomic_read(&region->nr_open))
		return -EBUSY;
	return region_install_fd(region, ucmd, &cmd->out_fd, sizeof(*cmd));
}

static void region_info(const struct vmkeep_region *region,
			struct vmkeep_region_info *info)
{
	memset(info, 0, sizeof(*info));
	strscpy(info->name, region->fmt.name, sizeof(info->name));
	info->length = region->fmt.length;
	info->id = region->fmt.id;
	info->uid = region->fmt.uid;
	info->gid = region->fmt.gid;
	info->mode = region->fmt.mode;
	info->flags = region->fmt.flags & VMKEEP_FMT_EXCLUSIVE ?
		      VMKEEP_REGION_EXCLUSIVE : 0;
	info->state = region->state;
	info->quarantine = region->fmt.quarantine;
	info->node = region->pool->node;
	info->pool = region->pool->index;
	info->nr_extents = region->fmt.nr_extents;
	info->nr_open = atomic_read(&region->nr_open);
	info->nr_mapped = atomic_read(&region->nr_mapped);
}

static int vmkeep_ioc_list(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_list *cmd = ucmd->cmd;
	struct vmkeep_region_info __user *uptr = u64_to_user_ptr(cmd->regions);
	struct vmkeep_region_info info;
	struct vmkeep_region *region;
	u32 i, n = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	guard(mutex)(&vmkeep_lock);
	for (i = 0; i < vmkeep_nr_pools; i++)
		n += vmkeep_pools[i]->nr_regions;
	if (n > cmd->num_regions) {
		cmd->num_regions = n;
		return vmkeep_respond(ucmd, sizeof(*cmd)) ?: -EMSGSIZE;
	}
	n = 0;
	for (i = 0; i < vmkeep_nr_pools; i++) {
		list_for_each_entry(region, &vmkeep_pools[i]->regions, link) {
			region_info(region, &info);
			if (copy_to_user(&uptr[n++], &info, sizeof(info)))
				return -EFAULT;
		}
	}
	cmd->num_regions = n;
	return vmkeep_respond(ucmd, sizeof(*cmd));
}

static int vmkeep_ioc_free(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_free *cmd = ucmd->cmd;
	struct vmkeep_region *region;

	if (cmd->flags)
		return -EOPNOTSUPP;
	guard(mutex)(&vmkeep_lock);
	region = region_lookup(cmd->name);
	if (IS_ERR(region))
		return PTR_ERR(region);
	if (!region_is_owner(region))
		return -EACCES;
	if (vmkeep_frozen)
		return -EBUSY;
	region_unlink(region);
	return 0;
}

static int vmkeep_ioc_finish(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_finish *cmd = ucmd->cmd;
	struct vmkeep_region *region;
	unsigned int i;

	if (cmd->flags & ~VMKEEP_FINISH_ALL)
		return -EOPNOTSUPP;
	guard(mutex)(&vmkeep_lock);
	if (cmd->flags & VMKEEP_FINISH_ALL) {
		if (memchr_inv(cmd->name, 0, sizeof(cmd->name)))
			return -EINVAL;
		if (vmkeep_frozen)
			return -EBUSY;
		for (i = 0; i < vmkeep_nr_pools; i++)
			list_for_each_entry(region, &vmkeep_pools[i]->regions, link)
				if (region->state == VMKEEP_STATE_INCOMING &&
				    region_is_owner(region))
					region->state = VMKEEP_STATE_ACTIVE;
		return 0;
	}
	region = region_lookup(cmd->name);
	if (IS_ERR(region))
		return PTR_ERR(region);
	if (!region_is_owner(region))
		return -EACCES;
	if (vmkeep_frozen)
		return -EBUSY;
	if (region->state == VMKEEP_STATE_QUARANTINED)
		return -EIO;
	region->state = VMKEEP_STATE_ACTIVE;
	return 0;
}

static int vmkeep_ioc_freeze(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_freeze *cmd = ucmd->cmd;
	struct vmkeep_region *region;
	unsigned int i;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	guard(mutex)(&vmkeep_lock);
	vmkeep_frozen = true;
	cmd->out_mapped = 0;
	for (i = 0; i < vmkeep_nr_pools; i++) {
		vmkeep_pool_commit(vmkeep_pools[i], 0);
		list_for_each_entry(region, &vmkeep_pools[i]->regions, link)
			cmd->out_mapped += !!atomic_read(&region->nr_mapped);
	}
	return vmkeep_respond(ucmd, sizeof(*cmd));
}

static int vmkeep_ioc_thaw(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_thaw *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	guard(mutex)(&vmkeep_lock);
	if (vmkeep_shutdown)
		return -EBUSY;
	vmkeep_frozen = false;
	return 0;
}

static void pool_info(const struct vmkeep_pool *pool,
		      struct vmkeep_pool_info *info)
{
	const struct vmkeep_region *region;

	memset(info, 0, sizeof(*info));
	info->base = pool->base;
	info->length = pool->size;
	info->free = vmkeep_pool_free_bytes(pool);
	info->generation = pool->fmt.generation;
	info->handoffs = pool->fmt.handoffs;
	info->restore_ns = pool->restore_ns;
	info->meta_bytes = pool->fmt.state == VMKEEP_POOL_READY ?
		VMKEEP_FMT_HEADER_SIZE +
		(u64)pool->nr_regions * VMKEEP_FMT_ENTRY_SIZE : 0;
	info->node = pool->node;
	info->state = pool->fmt.state;
	info->damage = pool->fmt.damage;
	info->flags = pool->flags;
	info->nr_regions = pool->nr_regions;
	list_for_each_entry(region, &pool->regions, link) {
		info->nr_incoming += region->state == VMKEEP_STATE_INCOMING;
		info->nr_quarantined += region->state == VMKEEP_STATE_QUARANTINED;
	}
}

static int vmkeep_ioc_status(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_status *cmd = ucmd->cmd;
	struct vmkeep_pool_info __user *uptr = u64_to_user_ptr(cmd->pools);
	struct vmkeep_pool_info info;
	unsigned int i;

	if (cmd->flags)
		return -EOPNOTSUPP;
	guard(mutex)(&vmkeep_lock);
	for (i = 0; i < vmkeep_nr_pools; i++)
		vmkeep_pool_reap(vmkeep_pools[i]);
	cmd->out_flags = vmkeep_frozen ? VMKEEP_STATUS_FROZEN : 0;
	if (vmkeep_nr_pools > cmd->num_pools) {
		cmd->num_pools = vmkeep_nr_pools;
		return vmkeep_respond(ucmd, sizeof(*cmd)) ?: -EMSGSIZE;
	}
	for (i = 0; i < vmkeep_nr_pools; i++) {
		pool_info(vmkeep_pools[i], &info);
		if (copy_to_user(&uptr[i], &info, sizeof(info)))
			return -EFAULT;
	}
	cmd->num_pools = vmkeep_nr_pools;
	return vmkeep_respond(ucmd, sizeof(*cmd));
}

static int vmkeep_ioc_format(struct vmkeep_ucmd *ucmd)
{
	struct vmkeep_format *cmd = ucmd->cmd;
	struct vmkeep_region *region;
	struct vmkeep_pool *pool;

	if (cmd->flags & ~VMKEEP_FORMAT_FORCE)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	guard(mutex)(&vmkeep_lock);
	if (cmd->pool >= vmkeep_nr_pools)
		return -ENOENT;
	if (vmkeep_frozen)
		return -EBUSY;
	pool = vmkeep_pools[cmd->pool];
	if (!(cmd->flags & VMKEEP_FORMAT_FORCE) &&
	    (pool->nr_regions || pool->fmt.state == VMKEEP_POOL_DAMAGED))
		return -EBUSY;
	if (!list_empty(&pool->freed))
		return -EBUSY;
	list_for_each_entry(region, &pool->regions, link)
		if (atomic_read(&region->nr_open))
			return -EBUSY;
	vmkeep_pool_format(pool);
	return 0;
}

union vmkeep_ucmd_buffer {
	struct vmkeep_alloc alloc;
	struct vmkeep_get get;
	struct vmkeep_list list;
	struct vmkeep_free free;
	struct vmkeep_finish finish;
	struct vmkeep_freeze freeze;
	struct vmkeep_thaw thaw;
	struct vmkeep_status status;
	struct vmkeep_format format;
};

struct vmkeep_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct vmkeep_ucmd *ucmd);
};

#define IOCTL_OP(_ioctl, _fn, _struct, _last)				\
	[_IOC_NR(_ioctl)] = {						\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union vmkeep_ucmd_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.ioctl_num = _ioctl,					\
		.execute = _fn,						\
	}

static const struct vmkeep_ioctl_op vmkeep_ops[] = {
	IOCTL_OP(VMKEEP_IOC_ALLOC, vmkeep_ioc_alloc, struct vmkeep_alloc, name),
	IOCTL_OP(VMKEEP_IOC_GET, vmkeep_ioc_get, struct vmkeep_get, name),
	IOCTL_OP(VMKEEP_IOC_LIST, vmkeep_ioc_list, struct vmkeep_list, regions),
	IOCTL_OP(VMKEEP_IOC_FREE, vmkeep_ioc_free, struct vmkeep_free, name),
	IOCTL_OP(VMKEEP_IOC_FINISH, vmkeep_ioc_finish, struct vmkeep_finish, name),
	IOCTL_OP(VMKEEP_IOC_FREEZE, vmkeep_ioc_freeze, struct vmkeep_freeze, __reserved),
	IOCTL_OP(VMKEEP_IOC_THAW, vmkeep_ioc_thaw, struct vmkeep_thaw, flags),
	IOCTL_OP(VMKEEP_IOC_STATUS, vmkeep_ioc_status, struct vmkeep_status, pools),
	IOCTL_OP(VMKEEP_IOC_FORMAT, vmkeep_ioc_format, struct vmkeep_format, __reserved),
};

static long vmkeep_fops_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	const struct vmkeep_ioctl_op *op;
	union vmkeep_ucmd_buffer buf;
	struct vmkeep_ucmd ucmd = {};
	unsigned int nr = _IOC_NR(cmd);
	int ret;

	if (_IOC_TYPE(cmd) != VMKEEP_TYPE || nr >= ARRAY_SIZE(vmkeep_ops))
		return -ENOTTY;
	op = &vmkeep_ops[nr];
	if (op->ioctl_num != cmd)
		return -ENOTTY;

	ucmd.ubuffer = (void __user *)arg;
	ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (ret)
		return ret;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	ucmd.cmd = &buf;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	return op->execute(&ucmd);
}

static const struct file_operations vmkeep_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = vmkeep_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice vmkeep_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmkeep",
	.fops = &vmkeep_fops,
	.mode = 0600,
};

/*
 * On the way into kexec (or any reboot): refuse further changes and mark
 * every pool's metadata clean, so the next kernel knows the handoff was
 * orderly.  Processes still run here, hence the lock and the flag.
 */
static int vmkeep_reboot(struct notifier_block *nb, unsigned long action,
			 void *data)
{
	unsigned int i;

	guard(mutex)(&vmkeep_lock);
	vmkeep_frozen = true;
	vmkeep_shutdown = true;
	for (i = 0; i < vmkeep_nr_pools; i++) {
		struct vmkeep_pool *pool = vmkeep_pools[i];

		if (pool->fmt.state != VMKEEP_POOL_READY)
			continue;
		pool->fmt.handoffs++;
		vmkeep_pool_commit(pool, VMKEEP_FMT_CLEAN);
		pr_info("pool %u: clean mark written, generation %llu\n",
			pool->index, pool->fmt.generation);
	}
	return NOTIFY_DONE;
}

static struct notifier_block vmkeep_reboot_nb = {
	.notifier_call = vmkeep_reboot,
};

static const char * const state_str[] = { "active", "incoming", "quarantined" };
static const char * const pool_state_str[] = { "ready", "empty", "damaged" };

static int vmkeep_debugfs_show(struct seq_file *m, void *unused)
{
	struct vmkeep_region *region;
	struct vmkeep_pool *pool;
	unsigned int i;
	u32 e;

	guard(mutex)(&vmkeep_lock);
	seq_printf(m, "objects %d files %d\n", atomic_read(&vmkeep_nr_objects),
		   atomic_read(&vmkeep_nr_files));
	for (i = 0; i < vmkeep_nr_pools; i++) {
		pool = vmkeep_pools[i];
		seq_printf(m, "pool %u %pa+%#llx node %d %s damage %u generation %llu handoffs %llu free %llu regions %u flags %#x restore_ns %llu commit_ns %llu\n",
			   i, &pool->base, pool->size, pool->node,
			   pool_state_str[pool->fmt.state], pool->fmt.damage,
			   pool->fmt.generation, pool->fmt.handoffs,
			   vmkeep_pool_free_bytes(pool), pool->nr_regions,
			   pool->flags, pool->restore_ns, pool->commit_ns);
		list_for_each_entry(region, &pool->regions, link) {
			seq_printf(m, "  region %s id %llu length %llu %s q %u uid %u gid %u mode %o flags %#x open %d mapped %d pmd_faults %lld pte_faults %lld extents",
				   region->fmt.name, region->fmt.id,
				   region->fmt.length, state_str[region->state],
				   region->fmt.quarantine, region->fmt.uid,
				   region->fmt.gid, region->fmt.mode,
				   region->fmt.flags,
				   atomic_read(&region->nr_open),
				   atomic_read(&region->nr_mapped),
				   atomic64_read(&region->pmd_faults),
				   atomic64_read(&region->pte_faults));
			for (e = 0; e < region->fmt.nr_extents; e++)
				seq_printf(m, " %#llx+%#llx",
					   region->fmt.extents[e].offset,
					   region->fmt.extents[e].length);
			seq_putc(m, '\n');
		}
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmkeep_debugfs);

static struct dentry *vmkeep_debugfs_dir;

static int __init vmkeep_init(void)
{
	int ret;

	ret = vmkeep_fs_init();
	if (ret)
		return ret;
	vmkeep_pools_init(pools);
	ret = misc_register(&vmkeep_misc);
	if (ret)
		goto err_pools;
	register_reboot_notifier(&vmkeep_reboot_nb);
	vmkeep_debugfs_dir = debugfs_create_dir("vmkeep", NULL);
	debugfs_create_file("state", 0400, vmkeep_debugfs_dir, NULL,
			    &vmkeep_debugfs_fops);
	return 0;

err_pools:
	vmkeep_pools_exit();
	vmkeep_fs_exit();
	return ret;
}

static void __exit vmkeep_exit(void)
{
	debugfs_remove_recursive(vmkeep_debugfs_dir);
	unregister_reboot_notifier(&vmkeep_reboot_nb);
	misc_deregister(&vmkeep_misc);
	vmkeep_pools_exit();
	vmkeep_fs_exit();
}

module_init(vmkeep_init);
module_exit(vmkeep_exit);
MODULE_DESCRIPTION("Keep VM memory across kexec in boot-reserved pools");
MODULE_LICENSE("GPL");
