// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeepctl kexec: load a kernel for kexec only if its command line keeps
 * every pool that holds regions, freeze, and boot it if asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

struct kexec_param kx;

const struct opt kexec_opts[] = {
	KEXEC_KERNEL_OPTS,
	{ "check", NULL, "check only: no load, no freeze, no module needed",
	  .flag = &kx.check },
	{ "release", "KREL", "with --check: the release to look for vmkeep.ko of",
	  .str = &kx.release },
	{ "json", NULL, "with --check: the verdict for programs", .flag = &opt_json },
	{ "exec", NULL, "boot it now (without systemd: 'systemctl kexec' stops services)",
	  .flag = &kx.exec },
	{ "force-unmapped-ok", NULL, "with --exec, go on although regions are mapped",
	  .flag = &kx.force },
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

/* The new kernel's command line, as kexec-tools would make it; NULL: see errno. */
char *kexec_next_cmdline(void)
{
	char *proc = NULL, *s;

	if (kx.reuse && !kx.line) {
		proc = read_text("/proc/cmdline");
		if (!proc)
			return NULL;
		proc[strcspn(proc, "\n")] = '\0';
	}
	s = vk_kexec_cmdline(proc, kx.line, kx.append);
	free(proc);
	if (!s)
		errno = ENOMEM;
	return s;
}

/*
 * Refuse a command line that loses regions or names pools that are not
 * RAM in the firmware's memory map, or mapped regions with --exec.
 */
static int check_safe(struct ctx *ctx, const char *cmdline, char *msg,
		      size_t len)
{
	char fw[1024];
	int err = vmkeep_pools_refresh(ctx->vk);

	if (err >= 0)
		err = vmkeep_regions_refresh(ctx->vk);
	if (err < 0)
		return op_fail(ctx, NULL, err);
	if (!vk_kexec_verdict(cmdline, ctx->vk, msg, len)) {
		fprintf(stderr, "vmkeepctl: kexec: unsafe, regions would be lost: %s\n", msg);
		return RC_UNSAFE;
	}
	if (!fw_cmdline_ok(cmdline, fw, sizeof(fw))) {
		fprintf(stderr, "vmkeepctl: kexec: unsafe, not RAM in the firmware's memory map: %s\n",
			fw);
		return RC_UNSAFE;
	}
	if (warn_mapped(ctx) && kx.exec && !kx.force)
		return fail(ctx, RC_UNSAFE, NULL, 0,
			    "regions are still mapped: stop their VMMs first, or add --force-unmapped-ok");
	return RC_OK;
}

static int freeze_and_load(struct ctx *ctx, const char *cmdline, const char *msg)
{
	int err = vmkeep_freeze(ctx->vk, NULL), rc;
	char rel[256];

	if (err < 0)
		return fail(ctx, RC_FAIL, "freeze", -err, why(ctx, -err));
	rc = load_kernel(ctx, kx.kernel, kx.initrd, cmdline);
	if (rc) {
		thaw_again(ctx);
		return rc;
	}
	if (kx.release)
		snprintf(rel, sizeof(rel), "%s", kx.release);
	else if (image_file_release(kx.kernel, rel, sizeof(rel)))
		snprintf(rel, sizeof(rel), "release unknown");
	report(ctx, NULL, "%s (%s) loaded, vmkeep frozen: %s", kx.kernel, rel, msg);
	if (!kx.exec) {
		/* systemd's own test (sd_booted()): it stops the services first */
		if (!access("/run/systemd/system", F_OK))
			printf("Boot it with 'systemctl kexec'; or cancel with 'kexec -u' and 'vmkeepctl thaw'.\n");
		else
			printf("Boot it with 'kexec -e' once the VMMs and services are stopped (no systemd runs here); or cancel with 'kexec -u' and 'vmkeepctl thaw'.\n");
		return RC_OK;
	}
	report(ctx, NULL, "booting it now");
	flush_for_reboot();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	err = errno;
	thaw_again(ctx);
	return fail(ctx, RC_FAIL, kx.kernel, err,
		    "reboot(LINUX_REBOOT_CMD_KEXEC) failed; vmkeep is thawed");
}

/**
 * kexec_load_boot() - what kexec does after its option checks
 * @ctx: the command
 * @cmdline: the new kernel's command line
 *
 * Refuses a line that would lose regions (and mapped regions with
 * --exec), freezes, loads the kernel, reports both, and boots it with
 * --exec.  update runs this once its VMs are saved.
 *
 * Return: an exit code; with --exec, only when the kexec failed.
 */
int kexec_load_boot(struct ctx *ctx, const char *cmdline)
{
	char msg[1024];

	return dev_open(ctx) ?: check_safe(ctx, cmdline, msg, sizeof(msg)) ?:
	       freeze_and_load(ctx, cmdline, msg);
}

/* Options that go together, beyond what the option table says. */
static int check_opts(struct ctx *ctx)
{
	const char *bad = vk_cmdline_opts_error(kx.reuse, kx.line, kx.append);

	if (!bad && kx.check && (kx.exec || kx.force))
		bad = "--check loads nothing: it excludes --exec and --force-unmapped-ok";
	else if (!bad && !kx.check && (kx.release || opt_json))
		bad = "--release and --json go with --check";
	if (!bad)
		return -1;
	fprintf(stderr, "vmkeepctl: %s: %s\n", ctx->cmd->name, bad);
	return bad_usage(ctx);
}

int cmd_kexec(int argc, char **argv, struct ctx *ctx)
{
	char *cmdline;
	int rc = parse_no_operands(ctx, argc, argv, false);

	if (rc >= 0)
		return rc;
	/*
	 * Each line as it is printed, in order with stderr, also into a
	 * pipe; a reader that goes away must not end it between freeze and
	 * kexec.
	 */
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	rc = check_opts(ctx);
	if (rc >= 0)
		return rc;
	cmdline = kexec_next_cmdline();
	if (!cmdline)
		return fail(ctx, RC_FAIL, "/proc/cmdline", errno ?: ENOMEM, NULL);
	if (kx.check)
		rc = kexec_check(ctx, kx.kernel, kx.initrd, kx.release, cmdline);
	else
		rc = kexec_load_boot(ctx, cmdline);
	free(cmdline);
	return rc;
}
