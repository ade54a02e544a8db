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
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "vm.h"

#define FDNAME	"vmkeep-state"
#define PUMP_TIMEOUT_MS	120000	/* QEMU silent that long: give up */

/* The kernel line options are kexec's (struct kexec_param kx); --force is kx.force. */
const struct opt update_opts[] = {
	KEXEC_KERNEL_OPTS,
	{ "check", NULL, "check only: kexec --check's checks and update's own; no VM stops",
	  .flag = &kx.check },
	{ "release", "KREL", "the release to look for vmkeep.ko of (an image without a version)",
	  .str = &kx.release },
	{ "exec", NULL, "boot it now: for hosts without systemd ('systemctl kexec' after update)",
	  .flag = &kx.exec },
	{ "force", NULL, "go on without the VMs that cannot be saved (they are lost)",
	  .flag = &kx.force },
	{}
};

/* When this update started: the manifests of the VMs it saves record it. */
static long long update_time;

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
	vm->saved_at = update_time;
	err = vm_manifest_write(vm);
	if (err)
		return fail(ctx, RC_FAIL, vm->state, -err, "cannot write the manifest");
	report(ctx, vm->name, "saved: %llu bytes of device state in %s, %llu KiB of RAM sent, stopped %lld ms ago",
	       (unsigned long long)vm->state_bytes, vm->state,
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
static void pick_running(struct ctx *ctx, struct vm *vms, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		vms[i].ok = vm_running(&vms[i]);
		if (!vms[i].ok && !vms[i].saved)
			report_warn(ctx, "%s is not running and has no saved state", vms[i].name);
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
 * its name) would not come back after the kexec: named, and left out.
 * How many.
 */
static unsigned int check_regions(struct ctx *ctx, struct vm *vms, unsigned int n)
{
	unsigned int bad = 0;
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
	return bad;
}

/* The pids of the QEMUs that 'vm run' started (VM_RUN_DIR/NAME.pid); how many. */
static unsigned int vm_run_pids(pid_t *pids, unsigned int max)
{
	DIR *d = opendir(VM_RUN_DIR);
	char path[300], *s;
	unsigned int n = 0;
	struct dirent *e;
	size_t l;

	while (d && n < max && (e = readdir(d))) {
		l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".pid"))
			continue;
		snprintf(path, sizeof(path), VM_RUN_DIR "/%s", e->d_name);
		s = read_text(path);
		if (s && atoi(s) > 0)
			pids[n++] = atoi(s);
		free(s);
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * A region that process @pid maps, the first in its maps, into @name
 * ("" if none): region files show there as /vmkeep:NAME, device nodes
 * as /dev/vmkeep-region/NAME; a file of that path elsewhere is no
 * region mapped.
 */
static void mapped_region(struct ctx *ctx, int pid, char *name, size_t len)
{
	struct vmkeep_region *r;
	char path[64], *line = NULL, *p, *end;
	size_t cap = 0;
	FILE *f;

	name[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	while (f && !name[0] && getline(&line, &cap, f) > 0) {
		p = strchr(line, '/');
		if (!p)
			continue;
		end = strstr(p, " (deleted)") ?: p + strcspn(p, "\n");
		*end = '\0';
		if (!strncmp(p, "/vmkeep:", 8))
			snprintf(name, len, "%s", p + 8);
		else if (!strncmp(p, "/dev/vmkeep-region/", 19))
			snprintf(name, len, "%s", p + 19);
		r = name[0] ? vmkeep_region_find(ctx->vk, name) : NULL;
		if (!r || !vmkeep_region_get_nr_mapped(r))
			name[0] = '\0';
	}
	free(line);
	if (f)
		fclose(f);
}

/* QEMU's "-name" of process @pid, after ", -name ", or "". */
static void qemu_name(int pid, char *buf, size_t len)
{
	char path[64], *a, *arg;
	size_t n = 0;
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	a = calloc(1, 65537);
	if (a)
		n = fread(a, 1, 65536, f);
	fclose(f);
	for (arg = a; a && arg < a + n; arg += strlen(arg) + 1) {
		if (strcmp(arg, "-name") || arg + strlen(arg) + 1 >= a + n)
			continue;
		arg += strlen(arg) + 1;
		if (!strncmp(arg, "guest=", 6))
			arg += 6;
		snprintf(buf, len, ", -name %.*s", (int)strcspn(arg, ","), arg);
		break;
	}
	free(a);
}

/*
 * The VMs update cannot save, named: every process that maps a region
 * and every QEMU, that 'vm run' did not start.  The kexec ends them; a
 * region's RAM is kept, but without its device state no VM goes on
 * there.  How many.
 */
static unsigned int foreign_vms(struct ctx *ctx)
{
	char comm[64], *s, path[64], region[VMKEEP_NAME_MAX + 1], name[128];
	unsigned int nrun, i, bad = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t run[256];
	bool qemu;
	int pid;

	nrun = vm_run_pids(run, ARRAY_SIZE(run));
	while (d && (e = readdir(d))) {
		pid = atoi(e->d_name);
		for (i = 0; i < nrun && run[i] != pid; i++)
			;
		/* libvirt's QEMUs: 'libvirt save' and libvirt-guests have them */
		if (pid <= 0 || pid == getpid() || i < nrun || lv_libvirt_pid(pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		s = read_text(path);
		snprintf(comm, sizeof(comm), "%s", s ?: "?");
		free(s);
		comm[strcspn(comm, "\n")] = '\0';
		qemu = !strncmp(comm, "qemu-system-", 12) || !strcmp(comm, "qemu-kvm");
		mapped_region(ctx, pid, region, sizeof(region));
		if (!qemu && !region[0])
			continue;
		qemu_name(pid, name, sizeof(name));
		fprintf(stderr, "vmkeepctl: %s: pid %d (%s%s)%s%s, which 'vm run' did not start: update cannot save its VM\n",
			ctx->cmd->name, pid, comm, name, region[0] ? " maps region " : "",
			region);
		bad++;
	}
	if (d)
		closedir(d);
	return bad;
}

/*
 * Which VMs update saves (vm->ok): every VM of 'vm run' that runs.
 * Before any VM stops, update refuses (--force: goes on without them)
 * when it cannot save one that runs: its regions are not those
 * recorded, its manifest is gone, or 'vm run' did not start it.
 */
static int pick_vms(struct ctx *ctx, struct vm *vms, unsigned int n)
{
	unsigned int bad;

	pick_running(ctx, vms, n);
	bad = unrecorded_running(vms, n) + check_regions(ctx, vms, n) + foreign_vms(ctx);
	if (bad && !kx.force)
		return fail(ctx, RC_FAIL, NULL, 0, "update cannot save every VM that runs: no VM was stopped, nothing loaded (--force goes on without them)");
	return RC_OK;
}

/* update --check: what update would save. */
static int check_vms(struct ctx *ctx, struct vm *vms, unsigned int n)
{
	const char *sep = ":";
	unsigned int i, nr = 0;
	int rc = pick_vms(ctx, vms, n);

	for (i = 0; i < n; i++)
		nr += vms[i].ok;
	printf("update: would save %u running VM%s", nr, nr == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		if (!vms[i].ok)
			continue;
		printf("%s %s", sep, vms[i].name);
		sep = ",";
	}
	putchar('\n');
	return rc;
}

/* Save every running VM; 0 when all are saved and quit. */
static int save_all(struct ctx *ctx, struct vm *vms, unsigned int n)
{
	unsigned int i, nr = 0, bad = 0;
	bool *want;
	int rc = pick_vms(ctx, vms, n);

	if (rc)
		return rc;
	update_time = time(NULL);
	want = calloc(n ?: 1, sizeof(bool));
	if (!want)
		return fail(ctx, RC_FAIL, NULL, ENOMEM, NULL);
	for (i = 0; i < n; i++) {
		want[i] = vms[i].ok;
		nr += want[i];
	}
	report(ctx, NULL, "saving %u running VM%s", nr, nr == 1 ? "" : "s");
	run_all(vms, n, save_one);
	for (i = 0; i < n; i++) {
		if (want[i] && !vms[i].ok) {
			bad++;
			fail(ctx, RC_FAIL, vms[i].name, 0, vms[i].err);
		}
	}
	if (bad && !kx.force) {
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

/* Options that go together: the line options as kexec takes them. */
static int check_opts(struct ctx *ctx)
{
	const char *bad = vk_cmdline_opts_error(kx.reuse, kx.line, kx.append);

	if (!bad && kx.check && (kx.exec || kx.force))
		bad = "--check stops no VM and loads nothing: it excludes --exec and --force";
	if (!bad)
		return -1;
	fprintf(stderr, "vmkeepctl: %s: %s\n", ctx->cmd->name, bad);
	return bad_usage(ctx);
}

int cmd_update(int argc, char **argv, struct ctx *ctx)
{
	static const struct cmd kexec_cmd = { .name = "kexec" };
	unsigned int n = 0, i;
	struct vm *vms = NULL;
	char *cmdline;
	int rc = parse_no_operands(ctx, argc, argv, false);

	if (rc >= 0)
		return rc;
	rc = check_opts(ctx);
	if (rc >= 0)
		return rc;
	/*
	 * Each line as it is printed, in order with stderr, also into a
	 * pipe; a reader that goes away must not end the update halfway.
	 */
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	cmdline = kexec_next_cmdline();
	if (!cmdline)
		return fail(ctx, RC_FAIL, "/proc/cmdline", errno ?: ENOMEM, NULL);
	/* everything kexec --check checks, before any VM stops */
	rc = dev_open(ctx) ?: kexec_check(ctx, kx.kernel, kx.initrd, kx.release, cmdline);
	if (rc == RC_UNSAFE)
		fprintf(stderr, "vmkeepctl: update: no VM was stopped\n");
	if (!rc)
		rc = vm_load_all(ctx, &vms, &n);
	/* opted-in libvirt domains: checked before any VM stops, saved after */
	if (!rc)
		rc = lv_update(ctx, true, kx.force);
	if (!rc)
		rc = kx.check ? check_vms(ctx, vms, n) : save_all(ctx, vms, n);
	if (!rc && !kx.check) {
		rc = lv_update(ctx, false, kx.force);
		if (rc && n)
			fprintf(stderr, "vmkeepctl: update: the VMs of 'vm run' are saved; 'vmkeepctl vm resume --all' runs them again\n");
	}
	for (i = 0; i < n; i++)
		vm_put(&vms[i]);
	free(vms);
	if (!rc && !kx.check) {
		/* its lines and errors are kexec's */
		ctx->cmd = &kexec_cmd;
		rc = kexec_load_boot(ctx, cmdline);
		if (rc)
			fprintf(stderr, "vmkeepctl: update: the VMs are saved; 'vmkeepctl vm resume --all' runs them again\n");
	}
	free(cmdline);
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
