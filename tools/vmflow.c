// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeepctl update and vm resume: the host update with running VMs.
 *
 * update checks the new kernel's command line first (no VM is touched
 * for a kexec that would be refused), then saves every running VM at
 * once, one thread each: stop, device state into its state region over
 * QMP (getfd + migrate fd:, x-ignore-shared; mode cpr-reboot on QEMU >=
 * 8.2), wait for completion.  The state goes through a socket that
 * vmkeepctl copies to or from the region: QEMU 11.1 refuses fd: on a
 * file ("fd: migration to a file is not supported"), and its file:
 * truncates the file to the offset, which a device node refuses.  Only
 * when all succeeded are the QEMUs quit and the manifests marked saved;
 * else every VM is continued and the update stops (--force: it goes on).
 * Then 'vmkeepctl kexec' does the rest.  vm resume is the way back:
 * each QEMU again with its recorded command line plus -incoming defer,
 * the state loaded from the region, continued, and its regions finished.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "vm.h"

#define FDNAME	"vmkeep-state"
#define PUMP_TIMEOUT_MS	120000	/* QEMU silent that long: give up */

static struct {
	const char *kernel, *initrd, *append;
	bool reuse, exec, force;
} param;

const struct opt update_opts[] = {
	{ "kernel", "FILE", "the kernel to boot", OPT_REQUIRED, .str = &param.kernel },
	{ "initrd", "FILE", "its initramfs", .str = &param.initrd },
	{ "append", "CMDLINE", "the new kernel's command line", OPT_ALT,
	  .str = &param.append },
	{ "reuse-cmdline", NULL, "the running kernel's (/proc/cmdline)",
	  .flag = &param.reuse },
	{ "exec", NULL, "boot it now", .flag = &param.exec },
	{ "force", NULL, "kexec although a VM could not be saved (it is lost)",
	  .flag = &param.force },
	{}
};

/* Run @fn for every VM with ok set, one thread each. */
static void run_all(struct vm *vms, unsigned int n, void *(*fn)(void *))
{
	pthread_t *t = calloc(n, sizeof(*t));
	bool *started = calloc(n, sizeof(*started));
	unsigned int i;

	for (i = 0; i < n; i++)
		if (vms[i].ok)
			started[i] = t && started &&
				     !pthread_create(&t[i], NULL, fn, &vms[i]);
	for (i = 0; i < n; i++) {
		if (started && started[i])
			pthread_join(t[i], NULL);
		else if (vms[i].ok)
			fn(&vms[i]);
	}
	free(t);
	free(started);
}

/*
 * One end of a socket pair to QEMU as fd FDNAME; the other end, which
 * vmkeepctl copies through, in @ours.
 */
static int pass_state_fd(struct vm *vm, int *ours)
{
	json_object *a = json_object_new_object();
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		json_object_put(a);
		snprintf(vm->q.err, sizeof(vm->q.err), "socketpair: %s", strerror(errno));
		return -1;
	}
	json_object_object_add(a, "fdname", json_object_new_string(FDNAME));
	rc = qmp_exec(&vm->q, "getfd", a, sv[1], NULL);
	close(sv[1]);
	*ours = rc ? -1 : sv[0];
	if (rc)
		close(sv[0]);
	return rc;
}

static int migrate_cmd(struct vm *vm, const char *cmd)
{
	json_object *a = json_object_new_object();

	json_object_object_add(a, "uri", json_object_new_string("fd:" FDNAME));
	return qmp_exec(&vm->q, cmd, a, -1, NULL);
}

static int pump_wait(struct vm *vm, int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	while ((n = poll(&p, 1, PUMP_TIMEOUT_MS)) < 0 && errno == EINTR)
		;
	if (n == 1)
		return 0;
	snprintf(vm->q.err, sizeof(vm->q.err), "device state: %s",
		 n ? strerror(errno) : "QEMU stalled for 120 s");
	return -1;
}

/*
 * What QEMU sends on @fd, into the state region after the manifest,
 * until QEMU closes its end; the byte count in vm->state_bytes.
 */
static int pump_in(struct vm *vm, int fd)
{
	off_t room = lseek(vm->state_fd, 0, SEEK_END) - VM_STATE_OFF;
	char buf[65536];
	uint64_t n = 0;
	ssize_t r;

	for (;;) {
		if (pump_wait(vm, fd, POLLIN))
			return -1;
		r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(vm->q.err, sizeof(vm->q.err), "device state: recv: %s",
				 strerror(errno));
			return -1;
		}
		if (!r)
			break;
		if ((off_t)(n + r) > room) {
			snprintf(vm->q.err, sizeof(vm->q.err),
				 "device state larger than %s (%lld bytes after the manifest): make it larger (--state)",
				 vm->state, (long long)room);
			return -1;
		}
		if (pwrite(vm->state_fd, buf, r, VM_STATE_OFF + n) != r) {
			snprintf(vm->q.err, sizeof(vm->q.err), "device state: write to %s: %s",
				 vm->state, strerror(errno ?: EIO));
			return -1;
		}
		n += r;
	}
	if (!n) {
		snprintf(vm->q.err, sizeof(vm->q.err), "no device state written");
		return -1;
	}
	vm->state_bytes = n;
	return 0;
}

/* The saved device state to QEMU on @fd, then end of file. */
static int pump_out(struct vm *vm, int fd)
{
	char buf[65536];
	uint64_t n = 0;
	ssize_t r, w, k;

	while (n < vm->state_bytes) {
		r = pread(vm->state_fd, buf, vm->state_bytes - n < sizeof(buf) ?
			  vm->state_bytes - n : sizeof(buf), VM_STATE_OFF + n);
		if (r <= 0) {
			snprintf(vm->q.err, sizeof(vm->q.err), "device state: read %s: %s",
				 vm->state, r ? strerror(errno) : "short");
			return -1;
		}
		for (w = 0; w < r; ) {
			if (pump_wait(vm, fd, POLLOUT))
				return -1;
			k = send(fd, buf + w, r - w, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (k < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (k < 0) {
				snprintf(vm->q.err, sizeof(vm->q.err), "device state: send: %s",
					 strerror(errno));
				return -1;
			}
			w += k;
		}
		n += r;
	}
	return 0;
}

/* Thread: stop the VM and save its device state into its state region. */
static void *save_one(void *arg)
{
	struct vm *vm = arg;
	char path[108];
	int fd;

	vm->ok = false;
	vm->t0 = now_ms();
	vm_qmp_path(vm, path, sizeof(path));
	if (qmp_open(&vm->q, path, 2000) || qmp_exec(&vm->q, "stop", NULL, -1, NULL))
		goto out;
	vm->stopped = true;
	if (vm_mig_setup(vm, vm->qemu) || pass_state_fd(vm, &fd))
		goto out;
	/* QEMU closes its end when the migration ends, either way */
	vm->ok = !migrate_cmd(vm, "migrate") && !pump_in(vm, fd) &&
		 !vm_mig_wait(vm, &vm->ram_bytes);
	close(fd);
out:
	if (!vm->ok)
		snprintf(vm->err, sizeof(vm->err), "%s", vm->q.err);
	return NULL;
}

/* Quit a saved VM's QEMU and mark its manifest saved. */
static int quit_one(struct ctx *ctx, struct vm *vm)
{
	int err;

	if (qmp_exec(&vm->q, "quit", NULL, -1, NULL) || qmp_wait_close(&vm->q))
		return fail(ctx, RC_FAIL, vm->name, 0, vm->q.err);
	vm->t1 = now_ms();
	vm->save_ms = vm->t1 - vm->t0;
	vm->saved = true;
	err = vm_manifest_write(vm);
	if (err)
		return fail(ctx, RC_FAIL, vm->state, -err, "cannot write the manifest");
	printf("%s: saved: %llu bytes of device state in %s, %llu KiB of RAM sent, stopped %lld ms ago\n",
	       vm->name, (unsigned long long)vm->state_bytes, vm->state,
	       (unsigned long long)vm->ram_bytes >> 10, vm->save_ms);
	return 0;
}

/* A VM failed: continue every VM that was stopped, nothing is lost. */
static void continue_all(struct vm *vms, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!vms[i].stopped)
			continue;
		if (qmp_exec(&vms[i].q, "cont", NULL, -1, NULL))
			fprintf(stderr, "vmkeepctl: update %s: %s\n", vms[i].name, vms[i].q.err);
		else
			fprintf(stderr, "vmkeepctl: update %s: continued\n", vms[i].name);
	}
}

/* Which VMs to save: the running ones; one neither running nor saved is lost already. */
static void pick_running(struct vm *vms, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		vms[i].ok = vm_running(&vms[i]);
		if (!vms[i].ok && !vms[i].saved)
			fprintf(stderr, "vmkeepctl: update: warning: %s is not running and has no saved state\n",
				vms[i].name);
	}
}

/*
 * QEMU closes its QMP socket before it exits and unmaps guest RAM: wait
 * until no saved VM's RAM is mapped, so that the kexec finds none.
 */
static int wait_unmapped(struct ctx *ctx, struct vm *vms, unsigned int n)
{
	struct vmkeep_region *r;
	unsigned int i, k, busy = 1;

	for (k = 0; busy && k < 3000; k++) {
		if (k)
			usleep(10000);
		if (vmkeep_regions_refresh(ctx->vk) < 0)
			break;
		busy = 0;
		for (i = 0; i < n; i++) {
			r = vmkeep_region_find(ctx->vk, vms[i].ram);
			busy += vms[i].ok && r && vmkeep_region_get_nr_mapped(r);
		}
	}
	if (busy)
		return fail(ctx, RC_FAIL, NULL, 0, "a QEMU that quit still maps its RAM after 30 s");
	return 0;
}

/* Region @r (NULL: none of that name) is the one recorded as @id. */
static const char *region_recorded(struct vmkeep_region *r, uint64_t id)
{
	if (!r)
		return "is gone";
	if (vmkeep_region_get_id(r) != id)
		return "is not the region recorded (its id changed): its memory is not the VM's";
	return NULL;
}

/*
 * A QEMU that vm run started (VM_RUN_DIR/NAME.qmp answers) but that no
 * manifest describes: its state region, which holds the manifest, was
 * freed or made anew.  update cannot save it.  How many.
 */
static unsigned int unrecorded_running(const struct vm *vms, unsigned int n)
{
	DIR *d = opendir(VM_RUN_DIR);
	struct vm probe = {};
	unsigned int i, bad = 0;
	struct dirent *e;
	size_t l;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		l = strlen(e->d_name);
		if (l < 5 || l - 4 > VMKEEP_NAME_MAX || strcmp(e->d_name + l - 4, ".qmp"))
			continue;
		snprintf(probe.name, sizeof(probe.name), "%.*s", (int)(l - 4), e->d_name);
		for (i = 0; i < n && strcmp(vms[i].name, probe.name); i++)
			;
		if (i < n || !vm_running(&probe))
			continue;
		fprintf(stderr, "vmkeepctl: update %s: runs, but %s-state, which records the VM, is gone\n",
			probe.name, probe.name);
		bad++;
	}
	closedir(d);
	return bad;
}

/*
 * A running VM whose RAM or state region was freed (or made anew under
 * its name) would not come back after the kexec: refuse before any VM
 * stops, or with --force leave that VM out.
 */
static int check_regions(struct ctx *ctx, struct vm *vms, unsigned int n)
{
	unsigned int bad = unrecorded_running(vms, n);
	const char *why, *obj;
	struct vm *vm;

	for (vm = vms; vm < vms + n; vm++) {
		if (!vm->ok)
			continue;
		obj = vm->ram;
		why = region_recorded(vmkeep_region_find(ctx->vk, obj), vm->ram_id);
		if (!why) {
			obj = vm->state;
			why = region_recorded(vmkeep_region_find(ctx->vk, obj), vm->state_id);
		}
		if (why) {
			fprintf(stderr, "vmkeepctl: update %s: %s %s\n", vm->name, obj, why);
			vm->ok = false;
			bad++;
		}
	}
	if (bad && !param.force)
		return fail(ctx, RC_FAIL, NULL, 0, "a VM could not come back; the VMs run on, no kexec (--force to go on without it)");
	return RC_OK;
}

/* Save every running VM; 0 when all are saved and quit. */
static int save_all(struct ctx *ctx, struct vm *vms, unsigned int n)
{
	unsigned int i, nr = 0, bad = 0;
	bool *want;
	int rc;

	pick_running(vms, n);
	rc = check_regions(ctx, vms, n);
	if (rc)
		return rc;
	want = calloc(n ?: 1, sizeof(bool));
	if (!want)
		return fail(ctx, RC_FAIL, NULL, ENOMEM, NULL);
	for (i = 0; i < n; i++) {
		want[i] = vms[i].ok;
		nr += want[i];
	}
	printf("update: saving %u running VM%s\n", nr, nr == 1 ? "" : "s");
	run_all(vms, n, save_one);
	for (i = 0; i < n; i++) {
		if (want[i] && !vms[i].ok) {
			bad++;
			fail(ctx, RC_FAIL, vms[i].name, 0, vms[i].err);
		}
	}
	if (bad && !param.force) {
		continue_all(vms, n);
		rc = fail(ctx, RC_FAIL, NULL, 0, "a VM could not be saved; the VMs run on, no kexec (--force to go on)");
	}
	for (i = 0; !rc && i < n; i++)
		if (vms[i].ok && quit_one(ctx, &vms[i]))
			rc = RC_FAIL;
	if (!rc)
		rc = wait_unmapped(ctx, vms, n);
	free(want);
	return rc;
}

/* The kexec interlock, before any VM stops: 'vmkeepctl kexec' runs it again. */
static int precheck(struct ctx *ctx)
{
	char *cmdline = param.append ? strdup(param.append) : read_text("/proc/cmdline");
	char msg[1024];
	int err, rc = RC_OK;

	if (!cmdline)
		return fail(ctx, RC_FAIL, "/proc/cmdline", errno ?: ENOMEM, NULL);
	cmdline[strcspn(cmdline, "\n")] = '\0';
	err = vmkeep_pools_refresh(ctx->vk);
	if (err >= 0)
		err = vmkeep_regions_refresh(ctx->vk);
	if (err < 0)
		rc = op_fail(ctx, NULL, err);
	else if (!vk_kexec_verdict(cmdline, ctx->vk, msg, sizeof(msg)) ||
		 !fw_cmdline_ok(cmdline, msg, sizeof(msg)))
		rc = fail(ctx, RC_UNSAFE, NULL, 0, msg);
	free(cmdline);
	return rc;
}

static int kexec_now(struct ctx *ctx)
{
	static const struct cmd kx = { .name = "kexec", .fn = cmd_kexec, .opts = kexec_opts };
	char *a[12] = { "kexec", "--kernel", (char *)param.kernel };
	int n = 3;

	if (param.initrd) {
		a[n++] = "--initrd";
		a[n++] = (char *)param.initrd;
	}
	if (param.append) {
		a[n++] = "--append";
		a[n++] = (char *)param.append;
	} else {
		a[n++] = "--reuse-cmdline";
	}
	if (param.exec)
		a[n++] = "--exec";
	if (param.force)
		a[n++] = "--force-unmapped-ok";
	ctx->cmd = &kx;
	return cmd_kexec(n, a, ctx);
}

int cmd_update(int argc, char **argv, struct ctx *ctx)
{
	unsigned int n = 0, i;
	struct vm *vms = NULL;
	int rc = parse_no_operands(ctx, argc, argv, true);

	if (rc >= 0)
		return rc;
	rc = precheck(ctx) ?: vm_load_all(ctx, &vms, &n) ?: save_all(ctx, vms, n);
	for (i = 0; i < n; i++)
		vm_put(&vms[i]);
	free(vms);
	if (rc)
		return rc;
	rc = kexec_now(ctx);
	if (rc)
		fprintf(stderr, "vmkeepctl: update: the VMs are saved; 'vmkeepctl vm resume --all' runs them again\n");
	return rc;
}

/* ---- vm resume ---- */

/* Per resume: the QEMU version now, the RAM fd (when there is no node). */
struct resume {
	char qemu[16];
	int ram_fd;
};

static struct resume *resume_of(struct vm *vm, struct vm *vms, struct resume *rs)
{
	return &rs[vm - vms];
}

static struct {
	struct vm *vms;
	struct resume *rs;
} flow;

/* Thread: relaunch QEMU with -incoming defer, load its state, continue. */
static void *resume_one(void *arg)
{
	struct vm *vm = arg;
	struct resume *r = resume_of(vm, flow.vms, flow.rs);
	json_object *st = NULL;
	char path[108];
	uint64_t ram;
	int fd, rc;

	vm->ok = false;
	vm->t0 = now_ms();
	if (vm_spawn(vm, true, r->ram_fd, vm->err, sizeof(vm->err)))
		return NULL;
	vm_qmp_path(vm, path, sizeof(path));
	if (qmp_open(&vm->q, path, 10000) || vm_mig_setup(vm, r->qemu) ||
	    pass_state_fd(vm, &fd))
		goto out;
	rc = migrate_cmd(vm, "migrate-incoming") || pump_out(vm, fd);
	close(fd);
	if (rc || vm_mig_wait(vm, &ram))
		goto out;
	vm->t_loaded = now_ms();
	if (qmp_exec(&vm->q, "cont", NULL, -1, NULL) ||
	    qmp_exec(&vm->q, "query-status", NULL, -1, &st))
		goto out;
	vm->ok = !strcmp(qmp_str(st, "status"), "running");
	if (!vm->ok)
		snprintf(vm->q.err, sizeof(vm->q.err), "QEMU says '%s', not running",
			 qmp_str(st, "status"));
	json_object_put(st);
	vm->t1 = now_ms();
out:
	if (!vm->ok) {
		snprintf(vm->err, sizeof(vm->err), "%s", vm->q.err);
		if (vm->q.fd >= 0)
			qmp_exec(&vm->q, "quit", NULL, -1, NULL);
	}
	return NULL;
}

/* Region @name is the one recorded (@id), unused, and incoming or ours. */
static const char *region_check(struct ctx *ctx, const char *name, uint64_t id)
{
	struct vmkeep_region *r = vmkeep_region_find(ctx->vk, name);
	const char *why = region_recorded(r, id);

	if (why)
		return why;
	if (vmkeep_region_is_quarantined(r))
		return "is quarantined";
	if (vmkeep_region_get_nr_mapped(r))
		return "is mapped: a QEMU runs on it";
	return NULL;
}

/* Whether VM @vm can be resumed; says why not. */
static bool resumable(struct ctx *ctx, struct vm *vm, struct resume *r)
{
	const char *why = NULL, *obj = vm->name;

	if (!vm->saved)
		why = vm_running(vm) ? "runs" : "has no saved device state";
	else if (vm_running(vm))
		why = "runs already";
	if (!why) {
		why = region_check(ctx, vm->ram, vm->ram_id);
		obj = vm->ram;
	}
	if (!why) {
		why = region_check(ctx, vm->state, vm->state_id);
		obj = vm->state;
	}
	if (why) {
		fail(ctx, RC_FAIL, obj, 0, why);
		return false;
	}
	qemu_version(vm->argv[0], r->qemu, sizeof(r->qemu));
	r->ram_fd = vm_ram_fd(ctx, vm);
	return true;
}

/* Claim the VM's regions for this kernel and mark it running. */
static int resumed(struct ctx *ctx, struct vm *vm, struct resume *r)
{
	int e1 = vmkeep_finish(ctx->vk, vm->ram), e2 = vmkeep_finish(ctx->vk, vm->state);
	long long down = vm->save_ms + vm->t1 - vm->t0;

	if (e1 || e2)
		return op_fail(ctx, e1 ? vm->ram : vm->state, e1 ?: e2);
	vm->saved = false;
	e1 = vm_manifest_write(vm);
	if (e1)
		return fail(ctx, RC_FAIL, vm->state, -e1, "cannot write the manifest");
	printf("%s: running again on QEMU %s: start to running %lld ms (state loaded after %lld ms); downtime without the kexec %lld ms (save %lld ms)\n",
	       vm->name, r->qemu, vm->t1 - vm->t0, vm->t_loaded - vm->t0, down,
	       vm->save_ms);
	return 0;
}

static int load_wanted(struct ctx *ctx, char **argv, struct vm **vms,
		       unsigned int *n)
{
	if (vm_opt_all)
		return vm_load_all(ctx, vms, n);
	*vms = calloc(1, sizeof(**vms));
	if (!*vms)
		return fail(ctx, RC_FAIL, NULL, ENOMEM, NULL);
	*n = 1;
	if (vm_load(ctx, *vms, argv[optind], false)) {
		*n = 0;
		return RC_FAIL;
	}
	return vmkeep_regions_refresh(ctx->vk) < 0 ? RC_FAIL : 0;
}

static int resume_all(struct ctx *ctx, struct vm *vms, unsigned int n)
{
	struct resume *rs = calloc(n ?: 1, sizeof(*rs));
	unsigned int i, bad = 0;

	if (!rs)
		return fail(ctx, RC_FAIL, NULL, ENOMEM, NULL);
	for (i = 0; i < n; i++) {
		rs[i].ram_fd = -1;
		vms[i].ok = resumable(ctx, &vms[i], &rs[i]);
		bad += !vms[i].ok;
	}
	flow.vms = vms;
	flow.rs = rs;
	run_all(vms, n, resume_one);
	for (i = 0; i < n; i++) {
		if (rs[i].ram_fd >= 0)
			close(rs[i].ram_fd);
		if (vms[i].ok && resumed(ctx, &vms[i], &rs[i]))
			bad++;
		else if (!vms[i].ok && vms[i].err[0])
			bad += !!fail(ctx, RC_FAIL, vms[i].name, 0, vms[i].err);
	}
	free(rs);
	if (!n)
		printf("vm resume: no saved VM in the pools\n");
	return bad ? RC_FAIL : RC_OK;
}

/*
 * --all: the VMs whose device state is saved.  One that runs or was
 * stopped has nothing to resume and is no failure: at boot
 * (vmkeep-vms.service) it is a VM that was not running when 'update'
 * saved the others.
 */
static void only_saved(struct vm *vms, unsigned int *n)
{
	unsigned int i, m = 0;

	for (i = 0; i < *n; i++) {
		if (vms[i].saved) {
			vms[m++] = vms[i];
			continue;
		}
		printf("%s: not saved (%s): left as it is\n", vms[i].name,
		       vm_running(&vms[i]) ? "runs" : "stopped");
		vm_put(&vms[i]);
	}
	*n = m;
}

int cmd_vm_resume(int argc, char **argv, struct ctx *ctx)
{
	unsigned int n = 0, i;
	struct vm *vms = NULL;
	int rc = parse_opts(ctx, argc, argv);

	if (rc >= 0)
		return rc;
	if (argc - optind != !vm_opt_all)
		return bad_operands(ctx, "one VM name, or --all alone");
	rc = dev_open(ctx) ?: load_wanted(ctx, argv, &vms, &n);
	if (!rc && vm_opt_all)
		only_saved(vms, &n);
	rc = rc ?: resume_all(ctx, vms, n);
	for (i = 0; i < n; i++)
		vm_put(&vms[i]);
	free(vms);
	return rc;
}
