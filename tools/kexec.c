// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeepctl kexec: load a kernel for kexec only if its command line keeps
 * every pool that holds regions, freeze, and boot it if asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "vmkeepctl.h"

static struct {
	const char *kernel, *initrd, *append;
	bool reuse, exec, force;
} param;

const struct opt kexec_opts[] = {
	{ "kernel", "FILE", "the kernel to boot", OPT_REQUIRED, .str = &param.kernel },
	{ "initrd", "FILE", "its initramfs", .str = &param.initrd },
	{ "append", "CMDLINE", "the new kernel's command line", OPT_ALT,
	  .str = &param.append },
	{ "reuse-cmdline", NULL, "the running kernel's (/proc/cmdline)",
	  .flag = &param.reuse },
	{ "exec", NULL, "boot it now", .flag = &param.exec },
	{ "force-unmapped-ok", NULL, "with --exec, go on although regions are mapped",
	  .flag = &param.force },
	{}
};

static int run(char *const argv[])
{
	pid_t pid;
	int st, err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);

	if (err) {
		fprintf(stderr, "vmkeepctl: %s: %s\n", argv[0], strerror(err));
		return -1;
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * kexec_file_load(2); kexec-tools (kexec_load) where that syscall is
 * missing, or refuses an unsigned kernel or one it cannot parse.
 */
static int load_kernel(struct ctx *ctx, const char *kernel,
		       const char *initrd, const char *cmdline)
{
	char *argv[6] = { "kexec", "-l", (char *)kernel }, *cl = NULL, *rd = NULL;
	int kfd, ifd = -1, err, rc = RC_OK;

	kfd = open(kernel, O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return fail(ctx, RC_FAIL, kernel, errno, NULL);
	if (initrd) {
		ifd = open(initrd, O_RDONLY | O_CLOEXEC);
		if (ifd < 0) {
			err = errno;
			close(kfd);
			return fail(ctx, RC_FAIL, initrd, err, NULL);
		}
	}
	err = syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1, cmdline,
		      initrd ? 0UL : (unsigned long)KEXEC_FILE_NO_INITRAMFS) ? errno : 0;
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	if (!err)
		return RC_OK;
	if (err != ENOSYS && err != EPERM && err != EKEYREJECTED && err != ENOEXEC)
		return fail(ctx, RC_FAIL, kernel, err, "kexec_file_load() failed");
	fprintf(stderr, "vmkeepctl: kexec %s: kexec_file_load(): %s; trying kexec -l\n",
		kernel, strerror(err));
	if (asprintf(&cl, "--command-line=%s", cmdline) < 0 ||
	    (initrd && asprintf(&rd, "--initrd=%s", initrd) < 0))
		rc = fail(ctx, RC_FAIL, kernel, ENOMEM, NULL);
	argv[3] = cl;
	argv[4] = rd;
	if (!rc && run(argv))
		rc = fail(ctx, RC_FAIL, kernel, 0, "kexec -l failed too");
	free(cl);
	free(rd);
	return rc;
}

static void thaw_again(struct ctx *ctx)
{
	int err = vmkeep_thaw(ctx->vk);

	if (err)
		fprintf(stderr, "vmkeepctl: kexec: thaw: %s\n", strerror(-err));
}

static char *next_cmdline(void)
{
	char *s;

	if (param.append)
		return strdup(param.append);
	s = read_text("/proc/cmdline");
	if (s)
		s[strcspn(s, "\n")] = '\0';
	return s;
}

/* Refuse a command line that loses regions, or mapped regions with --exec. */
static int check_safe(struct ctx *ctx, const char *cmdline, char *msg,
		      size_t len)
{
	int err = vmkeep_pools_refresh(ctx->vk);

	if (err >= 0)
		err = vmkeep_regions_refresh(ctx->vk);
	if (err < 0)
		return op_fail(ctx, NULL, err);
	if (!vk_kexec_verdict(cmdline, ctx->vk, msg, len)) {
		fprintf(stderr, "vmkeepctl: kexec: unsafe, regions would be lost: %s\n", msg);
		return RC_UNSAFE;
	}
	if (warn_mapped(ctx) && param.exec && !param.force)
		return fail(ctx, RC_UNSAFE, NULL, 0,
			    "regions are still mapped: stop their VMMs first, or add --force-unmapped-ok");
	return RC_OK;
}

static int freeze_and_load(struct ctx *ctx, const char *cmdline, const char *msg)
{
	int err = vmkeep_freeze(ctx->vk, NULL), rc;

	if (err < 0)
		return fail(ctx, RC_FAIL, "freeze", -err, why(ctx, -err));
	rc = load_kernel(ctx, param.kernel, param.initrd, cmdline);
	if (rc) {
		thaw_again(ctx);
		return rc;
	}
	if (!param.exec) {
		printf("%s loaded (%s); vmkeep is frozen.\n"
		       "Boot it with 'kexec -e'; or cancel with 'kexec -u' and 'vmkeepctl thaw'.\n",
		       param.kernel, msg);
		return RC_OK;
	}
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	err = errno;
	thaw_again(ctx);
	return fail(ctx, RC_FAIL, param.kernel, err,
		    "reboot(LINUX_REBOOT_CMD_KEXEC) failed; vmkeep is thawed");
}

int cmd_kexec(int argc, char **argv, struct ctx *ctx)
{
	char *cmdline, msg[1024];
	int rc = parse_no_operands(ctx, argc, argv, false);

	if (rc >= 0)
		return rc;
	cmdline = next_cmdline();
	if (!cmdline)
		return fail(ctx, RC_FAIL, "/proc/cmdline", errno ?: ENOMEM, NULL);
	rc = dev_open(ctx) ?: check_safe(ctx, cmdline, msg, sizeof(msg)) ?:
	     freeze_and_load(ctx, cmdline, msg);
	free(cmdline);
	return rc;
}
