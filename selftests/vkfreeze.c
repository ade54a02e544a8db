// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vkfreeze - FREEZE after the reboot notifier (issue 21, item 6)
 *
 *   vkfreeze    wait until the module is frozen without a FREEZE of its
 *               own (the reboot notifier on the way into kexec), then
 *               issue FREEZE until the machine is gone, logging the
 *               first to /dev/kmsg.  The next kernel must still find the
 *               clean mark the notifier wrote.
 *
 * Start it in the background before a kexec; nothing else may FREEZE.
 */
#include <stdio.h>

#include "vmkeep_util.h"

static int frozen(int dev)
{
	struct vmkeep_status s = { .size = sizeof(s) };

	/* num_pools 0: EMSGSIZE, with the flags filled in. */
	vk_ioctl(dev, VMKEEP_IOC_STATUS, &s);
	return s.out_flags & VMKEEP_STATUS_FROZEN;
}

int main(void)
{
	struct vmkeep_freeze fr = { .size = sizeof(fr) };
	int dev = vk_open(), kmsg, ret;
	unsigned long n;
	char line[128];

	kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (dev < 0 || kmsg < 0) {
		perror("vkfreeze: /dev/vmkeep or /dev/kmsg");
		return 2;
	}
	if (frozen(dev)) {
		fprintf(stderr, "vkfreeze: frozen already\n");
		return 2;
	}
	while (!frozen(dev))
		usleep(200);
	for (n = 1;; n++) {
		ret = vk_ioctl(dev, VMKEEP_IOC_FREEZE, &fr);
		if (n == 1 || ret) {
			snprintf(line, sizeof(line),
				 "vkfreeze: FREEZE %lu after the reboot notifier: %s\n",
				 n, ret ? strerror(-ret) : "ok");
			if (write(kmsg, line, strlen(line)) < 0)
				return 1;
		}
	}
}
