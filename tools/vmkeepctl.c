// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeepctl - the operator's tool for vmkeep: load the module, manage
 * regions, hand their fds to QEMU, and kexec only into a command line
 * that keeps every pool with regions reserved.  Laid out like daxctl: this
 * file is the table of commands and the dispatch; each group of commands
 * has its own file and declares its options once (struct opt), and every
 * command works through libvmkeep.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "vmkeepctl.h"
#include "vm.h"

static int cmd_help(int argc, char **argv, struct ctx *ctx);

static const struct cmd commands[] = {
	{ .name = "load", .fn = cmd_load, .opts = load_opts,
	  .about = "Load the vmkeep module (libkmod; vmkeep.* options of /proc/cmdline apply)\n"
	  "and print its pools and what the previous kernel handed over.\n" },
	{ .name = "unload", .fn = cmd_unload,
	  .about = "Unload the module.  Regions stay in their pools for the next load.\n" },
	{ .name = "status", .fn = cmd_status, .opts = json_opts,
	  .about = "Print the pools: base, size, free, state, regions, handoff; the live\n"
	  "update sessions by state.\n" },
	{ .name = "list", .fn = cmd_list, .opts = json_opts,
	  .about = "Print every region: name, size, state, owner, mode, node, flags, use;\n"
	  "then the live update sessions (/dev/liveupdate, luo=1) and their files.\n" },
	{ .name = "alloc", .fn = cmd_alloc, .opts = alloc_opts,
	  .about = "Create a zeroed region that lives until 'free', across kexec.\n" },
	{ .name = "get", .fn = cmd_get, .opts = json_opts, .args = "NAME",
	  .about = "Open a region as its user would (checks the mode) and print it.\n"
	  "To hand its fd to a program, use 'vmkeepctl exec'.\n" },
	{ .name = "finish", .fn = cmd_finish, .opts = finish_opts, .args = "[NAME]",
	  .about = "Claim incoming regions for this kernel: they become active.\n"
	  "Give NAME or --all.\n" },
	{ .name = "free", .fn = cmd_free, .args = "NAME",
	  .about = "Release a region; its memory returns to the pool when unmapped.\n" },
	{ .name = "freeze", .fn = cmd_freeze,
	  .about = "Write all metadata and refuse changes until 'thaw'; warn about regions\n"
	  "still mapped.  'vmkeepctl kexec' does this itself.\n" },
	{ .name = "thaw", .fn = cmd_thaw,
	  .about = "Undo 'freeze'.\n" },
	{ .name = "format", .fn = cmd_format, .opts = format_opts,
	  .about = "Write empty metadata on pool N (index from 'status'); its identity\n"
	  "is kept in /var/lib/vmkeep: 'load' presents it after each boot.\n" },
	{ .name = "adopt", .fn = cmd_adopt, .opts = adopt_opts,
	  .about = "Take the metadata of a foreign pool N as this host's: its regions are\n"
	  "restored and the pool gets a new identity.  Only for a pool you know to be\n"
	  "this host's (formatted before pool identities, or its identity lost).\n" },
	{ .name = "exec", .fn = cmd_exec, .opts = exec_opts, .tail = "[--region ...] -- COMMAND [ARGS...]",
	  .about = "Run COMMAND with each region open on fd N (N >= 3).  For QEMU:\n"
	  "  -object memory-backend-file,id=ram0,size=SIZE,mem-path=/proc/self/fd/N,share=on\n"
	  "  (QEMU with the fdset patch: -add-fd fd=N,set=1 and mem-path=/dev/fdset/1)\n",
	  .in_order = true },
	{ .name = "send", .fn = cmd_send, .opts = send_opts, .tail = "NAME...",
	  .about = "Pass region fds over a unix socket (SCM_RIGHTS).  Plain: one message\n"
	  "per region, \"NAME\\n\" with its fd.  --qmp: a QMP monitor socket; each fd\n"
	  "goes with an add-fd command (fdset ID, ID+1, ... or new sets).\n" },
	{ .name = "qemu-args", .fn = cmd_qemu_args, .opts = qemu_args_opts, .args = "NAME",
	  .about = "Print the QEMU options that map region NAME, open on fd N (default 10,\n"
	  "as 'exec --region NAME:fd=10' leaves it), as memory backend ID (ram0).\n"
	  "The default is mem-path=/proc/self/fd/N: stock QEMU (7.2 in Debian 12)\n"
	  "opens mem-path with open() and cannot use /dev/fdset/ID.\n"
	  "Use the backend as RAM with -machine memory-backend=ID and -m SIZE.\n" },
	{ .name = "kexec", .fn = cmd_kexec, .opts = kexec_opts,
	  .about = "Load a kernel for kexec only if its command line keeps every pool with\n"
	  "regions: memmap=SIZE$ADDR reserves it and vmkeep.pools= lists SIZE@ADDR.\n"
	  "Then freeze vmkeep and load the kernel (kexec_file_load, else kexec -l).\n"
	  "Exit code 3 when unsafe.\n" },
	{ .name = "vm", .fn = cmd_vm, .args = "run|resume|stop|rm|list", .tail = "...",
	  .about = "VMs whose RAM and device state live in regions: 'vm run' starts one,\n"
	  "'vm resume' brings saved ones back after the kexec, 'vm stop' quits one,\n"
	  "'vm rm' frees its regions, 'vm list' shows them.\n"
	  "'vmkeepctl vm COMMAND --help' for each.\n" },
	{ .name = "libvirt", .fn = cmd_libvirt, .args = "setup|enable|hook|save|resume|status",
	  .tail = "...",
	  .about = "libvirt domains whose RAM is a region: 'libvirt setup' once per host,\n"
	  "'libvirt enable' opts a domain in; 'update' saves them with 'virsh managedsave'\n"
	  "(device state only), 'libvirt resume' starts them again after the kexec.\n"
	  "'vmkeepctl libvirt COMMAND --help' for each.\n" },
	{ .name = "update", .fn = cmd_update, .opts = update_opts,
	  .about = "Update the host kernel with its VMs.  First every check of 'kexec --check',\n"
	  "and that update can save every VM that runs (one that 'vm run' did not\n"
	  "start is named): a failed check stops no VM.  Then save each (all at once:\n"
	  "stop, device state into its state region, quit), freeze and load the kernel\n"
	  "as 'vmkeepctl kexec' does; 'systemctl kexec' boots it (--exec: now).\n"
	  "A VM that cannot be saved stops it all: every VM runs on (--force: go on).\n" },
	{ .name = "pool", .fn = cmd_pool, .opts = pool_opts, .args = "suggest",
	  .about = "Find room for a pool in System RAM (/proc/iomem, as root) and print the\n"
	  "memmap= and vmkeep.pools= parameters that reserve it, and how for GRUB.\n" },
	{ .name = "help", .fn = cmd_help, .args = "[COMMAND]",
	  .about = "Show the usage of COMMAND, or list the commands.\n" },
};

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static int main_usage(FILE *f)
{
	fprintf(f, "usage: vmkeepctl [--version] [--list-cmds] [--list-opts COMMAND] COMMAND [--help] [ARGS]\n");
	return f == stdout ? RC_OK : RC_USAGE;
}

static int main_help(void)
{
	size_t i;

	main_usage(stdout);
	putchar('\n');
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		fputs("  ", stdout);
		synopsis(&commands[i], stdout);
	}
	printf("\nExit codes: 0 ok, 1 failed, 2 usage, 3 unsafe kexec refused,\n"
	       "4 module or /dev/vmkeep not available.  VMKEEP_DEV overrides /dev/vmkeep.\n");
	return RC_OK;
}

static int unknown_cmd(const char *name)
{
	fprintf(stderr, "vmkeepctl: unknown command '%s' ('vmkeepctl --help')\n", name);
	return RC_USAGE;
}

static int cmd_help(int argc, char **argv, struct ctx *ctx)
{
	struct ctx sub = *ctx;
	int rc = parse_opts(ctx, argc, argv);

	if (rc >= 0)
		return rc;
	if (argc == optind)
		return main_help();
	sub.cmd = find_cmd(argv[optind]);
	if (!sub.cmd)
		return unknown_cmd(argv[optind]);
	/* "help vm [COMMAND]" is "vm [COMMAND] --help" */
	if (sub.cmd->fn == cmd_vm && argc - optind <= 2)
		return vm_help(&sub, argv[optind + 1]);
	if (sub.cmd->fn == cmd_libvirt && argc - optind <= 2)
		return lv_help(&sub, argv[optind + 1]);
	if (argc - optind > 1)
		return bad_usage(ctx);
	return help(&sub);
}

/* --list-cmds, --list-opts CMD (for bash completion), --help */
static int main_opts(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "list-cmds", no_argument, NULL, 'l' },
		{ "list-opts", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const struct cmd *cmd;
	size_t i;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			for (i = 0; i < ARRAY_SIZE(commands); i++)
				printf("%s\n", commands[i].name);
			return RC_OK;
		case 'o':
			cmd = find_cmd(optarg);
			if (!cmd)
				return unknown_cmd(optarg);
			list_opts(cmd);
			return RC_OK;
		case 'h':
			return main_help();
		case 'V':
			printf("vmkeepctl %s\n", VMKEEP_VERSION);
			return RC_OK;
		default:
			bad_opt(NULL, argv, opts);
			return main_usage(stderr);
		}
	}
	return optind == argc ? main_usage(stderr) : -1;
}

int main(int argc, char **argv)
{
	struct ctx ctx = {};
	int rc = main_opts(argc, argv), err;

	if (rc >= 0)
		return rc;
	ctx.cmd = find_cmd(argv[optind]);
	if (!ctx.cmd)
		return unknown_cmd(argv[optind]);
	/*
	 * libkmod parses modprobe.d in kmod_new(), before libvmkeep can
	 * silence it, and prints "libkmod: ERROR ..." lines of its own: an
	 * error is one line of ours.  KMOD_LOG set by the caller still wins.
	 */
	setenv("KMOD_LOG", "0", 0);
	err = vmkeep_new(&ctx.vk);
	if (err)
		return fail(&ctx, RC_FAIL, NULL, -err, NULL);
	rc = ctx.cmd->fn(argc - optind, argv + optind, &ctx);
	vmkeep_unref(ctx.vk);
	return rc;
}
