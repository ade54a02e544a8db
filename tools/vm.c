// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeepctl vm run | stop | rm | list, and what the VM flow builds on:
 * the manifest, QEMU's command line, its launch, and the migration
 * settings.
 *
 * A VM NAME has two regions: NAME-ram, its guest RAM, and NAME-state,
 * whose first VM_STATE_OFF bytes hold the manifest (a magic line, then
 * JSON: QEMU's command line, the region ids, QEMU's version, whether
 * device state is saved) and whose rest holds the device state that
 * 'update' saves.  Everything the next kernel needs is in the pool, so
 * nothing depends on a disk across the kexec.  QEMU gets its RAM by the
 * region's device node (mem-path=/dev/vmkeep-region/NAME-ram), which
 * keeps its command line the same in both kernels as QEMU's cpr-reboot
 * mode wants; without the node, through an inherited fd
 * (/proc/self/fd/10).  vmkeepctl owns the VM's QMP socket
 * (VM_RUN_DIR/NAME.qmp).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/vmkeep.h>

#include "vm.h"

#define MANIFEST_MAGIC	"vmkeep-vm-manifest-v1\n"
#define NODE_DIR	"/dev/vmkeep-region"
#define RAM_FD		10
#define MAX_EXTRA	16	/* options vmkeepctl adds to QEMU's */

static struct {
	const char *ram, *state;
} param;

bool vm_opt_all;

/* ---- the manifest ---- */

static json_object *manifest_json(const struct vm *vm)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	char **p;

	for (p = vm->argv; *p; p++)
		json_object_array_add(a, json_object_new_string(*p));
	json_object_object_add(o, "name", json_object_new_string(vm->name));
	json_object_object_add(o, "ram", json_object_new_string(vm->ram));
	json_object_object_add(o, "ram_id", json_object_new_int64(vm->ram_id));
	json_object_object_add(o, "ram_size", json_object_new_int64(vm->ram_size));
	json_object_object_add(o, "state", json_object_new_string(vm->state));
	json_object_object_add(o, "state_id", json_object_new_int64(vm->state_id));
	json_object_object_add(o, "qemu", json_object_new_string(vm->qemu));
	json_object_object_add(o, "argv", a);
	json_object_object_add(o, "saved", json_object_new_boolean(vm->saved));
	json_object_object_add(o, "state_bytes", json_object_new_int64(vm->state_bytes));
	json_object_object_add(o, "ram_bytes", json_object_new_int64(vm->ram_bytes));
	json_object_object_add(o, "save_ms", json_object_new_int64(vm->save_ms));
	json_object_object_add(o, "saved_at", json_object_new_int64(vm->saved_at));
	return o;
}

int vm_manifest_write(struct vm *vm)
{
	json_object *o = manifest_json(vm);
	char *buf = NULL;
	int n, err = 0;

	n = asprintf(&buf, "%s%s", MANIFEST_MAGIC,
		     json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	if (n < 0)
		return -ENOMEM;
	/* with its NUL, which ends what a later read parses */
	if (n + 1 > VM_STATE_OFF)
		err = -E2BIG;
	else if (pwrite(vm->state_fd, buf, n + 1, 0) != n + 1)
		err = -(errno ?: EIO);
	free(buf);
	return err;
}

static uint64_t get_u64(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

static int copy_str(json_object *o, const char *key, char *buf, size_t len)
{
	const char *s = qmp_str(o, key);

	if (!*s || strlen(s) >= len)
		return -EINVAL;
	strcpy(buf, s);
	return 0;
}

static int manifest_parse(struct vm *vm, json_object *o)
{
	json_object *a, *v;
	size_t i, n;

	if (copy_str(o, "name", vm->name, sizeof(vm->name)) ||
	    copy_str(o, "ram", vm->ram, sizeof(vm->ram)) ||
	    copy_str(o, "state", vm->state, sizeof(vm->state)) ||
	    copy_str(o, "qemu", vm->qemu, sizeof(vm->qemu)) ||
	    !json_object_object_get_ex(o, "argv", &a) ||
	    !json_object_is_type(a, json_type_array) || !json_object_array_length(a))
		return -EINVAL;
	vm->ram_id = get_u64(o, "ram_id");
	vm->state_id = get_u64(o, "state_id");
	vm->ram_size = get_u64(o, "ram_size");
	vm->state_bytes = get_u64(o, "state_bytes");
	vm->ram_bytes = get_u64(o, "ram_bytes");
	vm->save_ms = get_u64(o, "save_ms");
	vm->saved_at = get_u64(o, "saved_at");
	vm->saved = json_object_object_get_ex(o, "saved", &v) && json_object_get_boolean(v);
	n = json_object_array_length(a);
	vm->argv = calloc(n + 1, sizeof(char *));
	if (!vm->argv)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		vm->argv[i] = strdup(json_object_get_string(json_object_array_get_idx(a, i)) ?: "");
		if (!vm->argv[i])
			return -ENOMEM;
	}
	return 0;
}

/* The manifest of state region @fd; -ENOENT if it has none. */
static int manifest_read(struct vm *vm, int fd)
{
	size_t m = strlen(MANIFEST_MAGIC);
	json_object *o;
	char *buf = calloc(1, VM_STATE_OFF + 1);
	ssize_t n;
	int err;

	if (!buf)
		return -ENOMEM;
	n = pread(fd, buf, VM_STATE_OFF, 0);
	if (n < (ssize_t)m || memcmp(buf, MANIFEST_MAGIC, m)) {
		free(buf);
		return n < 0 ? -errno : -ENOENT;
	}
	o = json_tokener_parse(buf + m);
	free(buf);
	if (!o)
		return -EINVAL;
	err = manifest_parse(vm, o);
	json_object_put(o);
	return err;
}

void vm_put(struct vm *vm)
{
	char **p;

	for (p = vm->argv; p && *p; p++)
		free(*p);
	free(vm->argv);
	vm->argv = NULL;
	if (vm->state_fd > 0)
		close(vm->state_fd);
	vm->state_fd = -1;
	qmp_close(&vm->q);
}

/*
 * VM @name, from its state region's manifest; the region stays open in
 * vm->state_fd.  -ENOENT: no such VM (@quiet: say nothing).
 */
int vm_load(struct ctx *ctx, struct vm *vm, const char *name, bool quiet)
{
	char state[VMKEEP_NAME_MAX + 8];
	int err;

	memset(vm, 0, sizeof(*vm));
	vm->q.fd = -1;
	snprintf(state, sizeof(state), "%s-state", name);
	vm->state_fd = vmkeep_get(ctx->vk, state);
	if (vm->state_fd < 0) {
		err = vm->state_fd;
		vm->state_fd = -1;
		if (!quiet || err != -ENOENT)
			op_fail(ctx, state, err);
		return err;
	}
	err = manifest_read(vm, vm->state_fd);
	if (!err && strcmp(vm->name, name))
		err = -EINVAL;
	if (err && !(quiet && err == -ENOENT))
		fail(ctx, RC_FAIL, state, -err, err == -ENOENT ? "no VM manifest in it" :
		     "its VM manifest does not parse");
	if (err)
		vm_put(vm);
	return err;
}

/* Every VM of the pools: each region NAME-state with a manifest. */
int vm_load_all(struct ctx *ctx, struct vm **vms, unsigned int *nr)
{
	struct vmkeep_region *r;
	char name[VMKEEP_NAME_MAX + 1];
	unsigned int n = 0, cap = 0;
	struct vm *v = NULL, *t;
	size_t l;
	int err = vmkeep_regions_refresh(ctx->vk);

	if (err < 0)
		return op_fail(ctx, NULL, err);
	vmkeep_region_foreach(ctx->vk, r) {
		snprintf(name, sizeof(name), "%s", vmkeep_region_get_name(r));
		l = strlen(name);
		if (l < 7 || strcmp(name + l - 6, "-state") ||
		    vmkeep_region_is_quarantined(r))
			continue;
		name[l - 6] = '\0';
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			t = realloc(v, cap * sizeof(*v));
			if (!t)
				break;
			v = t;
		}
		if (!vm_load(ctx, &v[n], name, true))
			n++;
	}
	*vms = v;
	*nr = n;
	return 0;
}

/* ---- QEMU ---- */

void vm_qmp_path(const struct vm *vm, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.qmp", VM_RUN_DIR, vm->name);
}

/* Whether QEMU listens on the VM's QMP socket. */
bool vm_running(const struct vm *vm)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool up;

	vm_qmp_path(vm, sa.sun_path, sizeof(sa.sun_path));
	up = fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (fd >= 0)
		close(fd);
	return up;
}

/* cpr-reboot mode is QEMU 8.2's. */
bool vm_cpr(const char *version)
{
	int maj, min;

	if (sscanf(version, "%d.%d", &maj, &min) != 2)
		return false;
	return maj > 8 || (maj == 8 && min >= 2);
}

/* "MAJOR.MINOR" of @qemu, or "?" */
void qemu_version(const char *qemu, char *buf, size_t len)
{
	char *cmd = NULL, line[256];
	int maj, min;
	FILE *p = NULL;

	snprintf(buf, len, "?");
	if (strchr(qemu, '\'') || asprintf(&cmd, "'%s' -version 2>/dev/null", qemu) < 0)
		return;
	p = popen(cmd, "re");
	free(cmd);
	if (!p)
		return;
	if (fgets(line, sizeof(line), p) &&
	    sscanf(line, "QEMU emulator version %d.%d", &maj, &min) == 2)
		snprintf(buf, len, "%d.%d", maj, min);
	pclose(p);
}

/* What vmkeepctl adds to the VM's command line: RAM, QMP, daemon. */
static int extra_args(struct vm *vm, bool node, bool incoming, char **x)
{
	int n = 0, bad = 0;

	x[n++] = strdup("-object");
	if (node)
		bad |= asprintf(&x[n++], "memory-backend-file,id=vmkeep-ram,size=%llu,mem-path=%s/%s,share=on",
				(unsigned long long)vm->ram_size, NODE_DIR, vm->ram) < 0;
	else
		bad |= asprintf(&x[n++], "memory-backend-file,id=vmkeep-ram,size=%llu,mem-path=/proc/self/fd/%d,share=on",
				(unsigned long long)vm->ram_size, RAM_FD) < 0;
	x[n++] = strdup("-machine");
	x[n++] = strdup("memory-backend=vmkeep-ram");
	x[n++] = strdup("-m");
	bad |= asprintf(&x[n++], "%lluM", (unsigned long long)vm->ram_size >> 20) < 0;
	x[n++] = strdup("-qmp");
	bad |= asprintf(&x[n++], "unix:%s/%s.qmp,server=on,wait=off", VM_RUN_DIR, vm->name) < 0;
	x[n++] = strdup("-daemonize");
	x[n++] = strdup("-pidfile");
	bad |= asprintf(&x[n++], "%s/%s.pid", VM_RUN_DIR, vm->name) < 0;
	if (incoming) {
		x[n++] = strdup("-incoming");
		x[n++] = strdup("defer");
	}
	x[n] = NULL;
	while (n--)
		bad |= !x[n];
	return bad ? -ENOMEM : 0;
}

static int spawn_wait(char **argv, int ram_fd, char *err, size_t len)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, e;

	posix_spawn_file_actions_init(&fa);
	if (ram_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, ram_fd, RAM_FD);
	e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e) {
		snprintf(err, len, "%s: %s", argv[0], strerror(e));
		return -1;
	}
	/* -daemonize: the first process exits once QEMU is set up */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && !WEXITSTATUS(st))
		return 0;
	snprintf(err, len, "%s exited with %d before running (its error is above)",
		 argv[0], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return -1;
}

/**
 * vm_spawn() - start the VM's QEMU, as a daemon
 * @vm: the VM
 * @incoming: add -incoming defer
 * @ram_fd: the RAM region open, for QEMU without its device node; or -1
 * @err: why it failed
 * @len: its size
 *
 * Return: 0 once QEMU runs (or waits for its state), else -1.
 */
int vm_spawn(struct vm *vm, bool incoming, int ram_fd, char *err, size_t len)
{
	char *extra[MAX_EXTRA + 1] = {}, **argv, qmp[108];
	size_t n = 0, i;
	int rc = -1;

	while (vm->argv[n])
		n++;
	argv = calloc(n + MAX_EXTRA + 1, sizeof(char *));
	if (argv && !extra_args(vm, ram_fd < 0, incoming, extra)) {
		memcpy(argv, vm->argv, n * sizeof(char *));
		memcpy(argv + n, extra, sizeof(extra));
		mkdir("/run", 0755);
		mkdir(VM_RUN_DIR, 0700);
		vm_qmp_path(vm, qmp, sizeof(qmp));
		unlink(qmp);
		rc = spawn_wait(argv, ram_fd, err, len);
	} else {
		snprintf(err, len, "out of memory");
	}
	for (i = 0; i < MAX_EXTRA; i++)
		free(extra[i]);
	free(argv);
	return rc;
}

/* ---- migration settings, the same on both sides ---- */

int vm_mig_setup(struct vm *vm, const char *version)
{
	json_object *caps = json_object_new_array(), *c = json_object_new_object();
	json_object *p = json_object_new_object();
	int rc;

	json_object_object_add(c, "capability", json_object_new_string("x-ignore-shared"));
	json_object_object_add(c, "state", json_object_new_boolean(true));
	json_object_array_add(caps, c);
	c = json_object_new_object();
	json_object_object_add(c, "capabilities", caps);
	rc = qmp_exec(&vm->q, "migrate-set-capabilities", c, -1, NULL);
	json_object_object_add(p, "max-bandwidth", json_object_new_int64(100LL << 30));
	if (vm_cpr(version))
		json_object_object_add(p, "mode", json_object_new_string("cpr-reboot"));
	if (!rc)
		return qmp_exec(&vm->q, "migrate-set-parameters", p, -1, NULL);
	json_object_put(p);
	return rc;
}

/*
 * Poll query-migrate until it completes; the RAM bytes QEMU sent: the
 * pages it sent whole (ram.normal-bytes; a zero page goes as a flag).
 * Not ram.transferred: from QEMU 8.1 on that counts the whole stream,
 * device state included.
 */
int vm_mig_wait(struct vm *vm, uint64_t *ram_bytes)
{
	json_object *r = NULL;
	const char *st;
	int i;

	for (i = 0; i < 60000 / 10; i++, usleep(10000)) {
		if (qmp_exec(&vm->q, "query-migrate", NULL, -1, &r))
			return -1;
		st = qmp_str(r, "status");
		if (!strcmp(st, "completed")) {
			*ram_bytes = strtoull(qmp_str(r, "ram.normal-bytes"), NULL, 10);
			json_object_put(r);
			return 0;
		}
		if (!strcmp(st, "failed") || !strcmp(st, "cancelled")) {
			snprintf(vm->q.err, sizeof(vm->q.err), "migration %s: %s", st,
				 qmp_str(r, "error-desc"));
			json_object_put(r);
			return -1;
		}
		json_object_put(r);
		r = NULL;
	}
	snprintf(vm->q.err, sizeof(vm->q.err), "migration did not complete in 60 s");
	return -1;
}

/* ---- vm run ---- */

/*
 * Region @name of @size for VM @vm: allocated, or reused when it exists
 * with that size and no QEMU maps it.  Its id goes to @id.
 */
static int vm_region(struct ctx *ctx, const char *name, uint64_t size,
		     uint64_t *id)
{
	struct vmkeep_region *r;
	int fd, err = vmkeep_regions_refresh(ctx->vk);

	r = err < 0 ? NULL : vmkeep_region_find(ctx->vk, name);
	if (r && vmkeep_region_get_size(r) != size)
		return fail(ctx, RC_FAIL, name, EEXIST, "exists with another size");
	if (r && vmkeep_region_get_nr_mapped(r))
		return fail(ctx, RC_FAIL, name, EBUSY, "mapped: its VM runs");
	if (r && vmkeep_region_get_state(r) == VMKEEP_STATE_INCOMING) {
		err = vmkeep_finish(ctx->vk, name);
		if (err < 0)
			return op_fail(ctx, name, err);
	}
	if (!r) {
		fd = vmkeep_alloc(ctx->vk, name, size, NULL);
		if (fd < 0)
			return op_fail(ctx, name, fd);
		close(fd);
	}
	err = vmkeep_regions_refresh(ctx->vk);
	r = err < 0 ? NULL : vmkeep_region_find(ctx->vk, name);
	if (!r)
		return fail(ctx, RC_FAIL, name, ENOENT, "freed meanwhile");
	*id = vmkeep_region_get_id(r);
	return 0;
}

/* A saved VM of that name is not run afresh: its state would be lost. */
static int refuse_saved(struct ctx *ctx, const char *name)
{
	struct vm old;

	if (vm_load(ctx, &old, name, true))
		return 0;
	vm_put(&old);
	if (!old.saved && !vm_running(&old))
		return 0;
	return fail(ctx, RC_FAIL, name, 0, old.saved ?
		    "has saved device state: 'vmkeepctl vm resume' it, or free its regions" :
		    "runs already");
}

static int vm_setup(struct ctx *ctx, struct vm *vm, const char *name,
		    char **argv)
{
	uint64_t ssize = 4ULL << 20;
	int rc;

	memset(vm, 0, sizeof(*vm));
	vm->q.fd = -1;
	vm->state_fd = -1;
	if (strlen(name) > VMKEEP_NAME_MAX - 6)
		return bad_arg(ctx, "NAME", name, "at most 57 bytes");
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	snprintf(vm->ram, sizeof(vm->ram), "%s-ram", name);
	snprintf(vm->state, sizeof(vm->state), "%s-state", name);
	rc = check_name(ctx, vm->ram) ?:
	     parse_region_size(ctx, "--ram", param.ram, "4G", &vm->ram_size) ?:
	     (param.state ? parse_region_size(ctx, "--state", param.state, "4M", &ssize) : 0);
	if (rc)
		return rc;
	if (ssize < 2 * VM_STATE_OFF)
		return bad_arg(ctx, "--state", param.state, "at least 2M");
	vm->argv = argv;
	qemu_version(argv[0], vm->qemu, sizeof(vm->qemu));
	return dev_open(ctx) ?: refuse_saved(ctx, name) ?:
	       vm_region(ctx, vm->ram, vm->ram_size, &vm->ram_id) ?:
	       vm_region(ctx, vm->state, ssize, &vm->state_id);
}

/* The RAM region's fd for QEMU, unless QEMU can open its device node. */
int vm_ram_fd(struct ctx *ctx, struct vm *vm)
{
	char node[128];

	snprintf(node, sizeof(node), NODE_DIR "/%s", vm->ram);
	return access(node, R_OK | W_OK) ? vmkeep_get(ctx->vk, vm->ram) : -1;
}

static int cmd_vm_run(int argc, char **argv, struct ctx *ctx)
{
	char qmp[108];
	struct vm vm;
	int ram_fd, rc = parse_opts(ctx, argc, argv);

	if (rc >= 0)
		return rc;
	if (argc - optind < 2)
		return bad_operands(ctx, "the VM's name, then '--' and its QEMU command");
	rc = vm_setup(ctx, &vm, argv[optind], argv + optind + 1);
	if (rc)
		return rc;
	vm.state_fd = vmkeep_get(ctx->vk, vm.state);
	if (vm.state_fd < 0)
		return op_fail(ctx, vm.state, vm.state_fd);
	rc = vm_manifest_write(&vm);
	vm.argv = NULL;
	if (rc) {
		vm_put(&vm);
		return fail(ctx, RC_FAIL, vm.state, -rc, "cannot write the manifest");
	}
	ram_fd = vm_ram_fd(ctx, &vm);
	vm.argv = argv + optind + 1;
	rc = vm_spawn(&vm, false, ram_fd, vm.err, sizeof(vm.err));
	vm.argv = NULL;
	if (ram_fd >= 0)
		close(ram_fd);
	vm_put(&vm);
	if (rc)
		return fail(ctx, RC_FAIL, vm.name, 0, vm.err);
	vm_qmp_path(&vm, qmp, sizeof(qmp));
	printf("%s: running: QEMU %s, RAM %s (id %llu, %s), QMP %s\n", vm.name,
	       vm.qemu, vm.ram, (unsigned long long)vm.ram_id,
	       ram_fd >= 0 ? "fd" : "device node", qmp);
	return RC_OK;
}

/* ---- vm stop, vm rm ---- */

/* "vm stop|rm NAME": the VM, loaded; -1 to go on. */
static int one_vm(struct ctx *ctx, int argc, char **argv, struct vm *vm)
{
	int rc = parse_opts(ctx, argc, argv);

	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return bad_operands(ctx, "one VM name");
	if (strlen(argv[optind]) > VMKEEP_NAME_MAX - 6)
		return bad_arg(ctx, "NAME", argv[optind], "at most 57 bytes");
	rc = dev_open(ctx);
	if (rc)
		return rc;
	return vm_load(ctx, vm, argv[optind], false) ? RC_FAIL : -1;
}

/* Whether a process maps region @name; -errno when it cannot be told. */
static int region_mapped(struct ctx *ctx, const char *name)
{
	struct vmkeep_region *r;
	int err = vmkeep_regions_refresh(ctx->vk);

	if (err < 0)
		return err;
	r = vmkeep_region_find(ctx->vk, name);
	return r && vmkeep_region_get_nr_mapped(r);
}

static void vm_run_files_remove(const struct vm *vm)
{
	char path[128];

	vm_qmp_path(vm, path, sizeof(path));
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s.pid", VM_RUN_DIR, vm->name);
	unlink(path);
}

/*
 * QEMU closes its QMP socket before it exits and unmaps guest RAM: wait
 * up to 30 s for the RAM region to be unmapped.
 */
static int wait_ram_unmapped(struct ctx *ctx, const struct vm *vm)
{
	int k, m = 1;

	for (k = 0; k < 3000; k++) {
		m = region_mapped(ctx, vm->ram);
		if (m <= 0)
			break;
		usleep(10000);
	}
	if (m < 0)
		return op_fail(ctx, vm->ram, m);
	if (m)
		return fail(ctx, RC_FAIL, vm->ram, EBUSY, "still mapped 30 s after QEMU quit");
	return 0;
}

static int cmd_vm_stop(int argc, char **argv, struct ctx *ctx)
{
	char qmp[108];
	struct vm vm;
	int rc = one_vm(ctx, argc, argv, &vm);

	if (rc >= 0)
		return rc;
	vm_qmp_path(&vm, qmp, sizeof(qmp));
	if (!vm_running(&vm))
		rc = fail(ctx, RC_FAIL, vm.name, 0, vm.saved ?
			  "is not running (it is saved: 'vmkeepctl vm resume' runs it)" :
			  "is not running");
	else if (qmp_open(&vm.q, qmp, 2000) || qmp_exec(&vm.q, "quit", NULL, -1, NULL) ||
		 qmp_wait_close(&vm.q))
		rc = fail(ctx, RC_FAIL, vm.name, 0, vm.q.err);
	else
		rc = wait_ram_unmapped(ctx, &vm);
	if (!rc) {
		vm_run_files_remove(&vm);
		printf("%s: stopped; %s and %s stay ('vmkeepctl vm rm %s' frees them)\n",
		       vm.name, vm.ram, vm.state, vm.name);
	}
	vm_put(&vm);
	return rc;
}

static int cmd_vm_rm(int argc, char **argv, struct ctx *ctx)
{
	struct vm vm;
	int rc = one_vm(ctx, argc, argv, &vm), e1, e2;

	if (rc >= 0)
		return rc;
	/* the manifest is closed first: no file of ours holds the region */
	vm_put(&vm);
	if (vm_running(&vm))
		return fail(ctx, RC_FAIL, vm.name, EBUSY, "runs: 'vmkeepctl vm stop' it first");
	rc = region_mapped(ctx, vm.ram);
	if (rc < 0)
		return op_fail(ctx, vm.ram, rc);
	if (rc)
		return fail(ctx, RC_FAIL, vm.ram, EBUSY, "is mapped: a QEMU still runs on it");
	e1 = vmkeep_free(ctx->vk, vm.ram);
	e2 = vmkeep_free(ctx->vk, vm.state);
	if (e1 && e1 != -ENOENT)
		return op_fail(ctx, vm.ram, e1);
	if (e2)
		return op_fail(ctx, vm.state, e2);
	vm_run_files_remove(&vm);
	printf("%s: removed: %s and %s freed%s\n", vm.name, vm.ram, vm.state,
	       vm.saved ? ", with its saved device state" : "");
	return RC_OK;
}

/* ---- vm list ---- */

static const char *vm_status(const struct vm *vm)
{
	if (vm_running(vm))
		return "running";
	return vm->saved ? "saved" : "stopped";
}

static json_object *vm_json(const struct vm *vm)
{
	json_object *o = manifest_json(vm);
	char qmp[108];

	vm_qmp_path(vm, qmp, sizeof(qmp));
	json_object_object_add(o, "status", json_object_new_string(vm_status(vm)));
	json_object_object_add(o, "qmp", json_object_new_string(qmp));
	return o;
}

/* @t as "2026-12-06 20:46:05" (local time), or "-" for 0 */
static void when(long long t, char *buf, size_t len)
{
	time_t tt = t;
	struct tm tm;

	if (!t || !localtime_r(&tt, &tm) || !strftime(buf, len, "%F %T", &tm))
		snprintf(buf, len, "-");
}

static int cmd_vm_list(int argc, char **argv, struct ctx *ctx)
{
	json_object *a = json_object_new_array();
	unsigned int n = 0, i;
	struct vm *vms = NULL;
	char size[32], at[32];
	int rc = parse_no_operands(ctx, argc, argv, true);

	/* --help is 0 from parse_no_operands(): nothing more to print */
	if (rc < 0)
		rc = vm_load_all(ctx, &vms, &n) ?: -1;
	if (rc >= 0) {
		json_object_put(a);
		return rc;
	}
	if (!opt_json)
		printf("%-20s %-8s %-6s %10s %10s %9s %8s  %-19s  %s\n", "NAME", "STATUS",
		       "QEMU", "RAM", "STATE", "RAM SENT", "SAVE", "SAVED AT", "REGIONS");
	for (i = 0; i < n; i++) {
		if (opt_json) {
			json_object_array_add(a, vm_json(&vms[i]));
		} else {
			vk_short_size(vms[i].ram_size, size, sizeof(size));
			when(vms[i].saved_at, at, sizeof(at));
			printf("%-20s %-8s %-6s %10s %9lluK %8lluK %6lldms  %-19s  %s %s\n",
			       vms[i].name, vm_status(&vms[i]), vms[i].qemu, size,
			       (unsigned long long)vms[i].state_bytes >> 10,
			       (unsigned long long)vms[i].ram_bytes >> 10, vms[i].save_ms, at,
			       vms[i].ram, vms[i].state);
		}
		vm_put(&vms[i]);
	}
	free(vms);
	if (opt_json)
		print_json(a);
	else
		json_object_put(a);
	return RC_OK;
}

/**
 * vm_last_update() - what the last update saved, from the manifests
 * @ctx: the command (status, load)
 * @f: where to print it for people, or NULL
 *
 * The VMs whose manifests record the latest update time: after the
 * kexec this is the record of what the update did, whatever became of
 * its output.
 *
 * Return: {"time": SECONDS, "vms": [{"name", "status", "state_bytes",
 * "ram_bytes", "save_ms"}...]}, or NULL when no update saved a VM.
 */
json_object *vm_last_update(struct ctx *ctx, FILE *f)
{
	json_object *o = NULL, *a, *v;
	unsigned int n = 0, i, nr = 0;
	struct vm *vms = NULL;
	long long last = 0;
	char at[32], tz[16] = "";
	struct tm tm;
	time_t tt;

	if (vm_load_all(ctx, &vms, &n))
		return NULL;
	for (i = 0; i < n; i++)
		if (vms[i].saved_at > last)
			last = vms[i].saved_at;
	for (i = 0; i < n; i++)
		nr += last && vms[i].saved_at == last;
	if (nr) {
		o = json_object_new_object();
		a = json_object_new_array();
		json_object_object_add(o, "time", json_object_new_int64(last));
		json_object_object_add(o, "vms", a);
		tt = last;
		when(last, at, sizeof(at));
		if (localtime_r(&tt, &tm))
			strftime(tz, sizeof(tz), " %Z", &tm);
		if (f)
			fprintf(f, "last update %s%s: %u VM%s saved\n", at, tz, nr,
				nr == 1 ? "" : "s");
	}
	for (i = 0; i < n; i++) {
		if (nr && vms[i].saved_at == last) {
			v = json_object_new_object();
			json_object_object_add(v, "name", json_object_new_string(vms[i].name));
			json_object_object_add(v, "status",
					       json_object_new_string(vm_status(&vms[i])));
			json_object_object_add(v, "state_bytes",
					       json_object_new_int64(vms[i].state_bytes));
			json_object_object_add(v, "ram_bytes",
					       json_object_new_int64(vms[i].ram_bytes));
			json_object_object_add(v, "save_ms", json_object_new_int64(vms[i].save_ms));
			json_object_array_add(a, v);
			if (f)
				fprintf(f, "  %s (%s): %llu bytes of device state, %llu KiB of RAM sent, save %lld ms\n",
					vms[i].name, vm_status(&vms[i]),
					(unsigned long long)vms[i].state_bytes,
					(unsigned long long)vms[i].ram_bytes >> 10, vms[i].save_ms);
		}
		vm_put(&vms[i]);
	}
	free(vms);
	return o;
}

/* ---- vm: run | resume | stop | rm | list ---- */

static const struct opt vm_run_opts[] = {
	{ "ram", "SIZE", "guest RAM: region NAME-ram", OPT_REQUIRED, .str = &param.ram },
	{ "state", "SIZE", "region NAME-state: manifest and device state (default 4M)",
	  .str = &param.state },
	{}
};

static const struct opt vm_resume_opts[] = {
	{ "all", NULL, "every saved VM", .flag = &vm_opt_all },
	{}
};

static const struct cmd vm_cmds[] = {
	{ .name = "vm run", .fn = cmd_vm_run, .opts = vm_run_opts, .args = "NAME",
	  .tail = "-- QEMU [ARGS...]",
	  .about = "Run QEMU as VM NAME with its RAM in region NAME-ram (allocated, or reused)\n"
	  "and a manifest (command line, region ids, QEMU version) in NAME-state.\n"
	  "vmkeepctl adds the RAM backend, -m, a QMP socket in " VM_RUN_DIR "/ and\n"
	  "-daemonize; it returns once QEMU runs.\n" },
	{ .name = "vm resume", .fn = cmd_vm_resume, .opts = vm_resume_opts, .args = "[NAME]",
	  .about = "After the kexec: relaunch each saved VM with its recorded command line\n"
	  "and -incoming defer, load its device state, continue it, finish its\n"
	  "regions.  Refused when a region is not the one recorded.  NAME or --all.\n" },
	{ .name = "vm stop", .fn = cmd_vm_stop, .args = "NAME",
	  .about = "Quit VM NAME's QEMU (QMP quit) and wait until its RAM is unmapped.\n"
	  "Its regions and manifest stay: 'vm run' boots it again on the same RAM.\n" },
	{ .name = "vm rm", .fn = cmd_vm_rm, .args = "NAME",
	  .about = "Free VM NAME's regions, NAME-ram and NAME-state, with any saved device\n"
	  "state.  Refused while the VM runs or a process maps its RAM.\n" },
	{ .name = "vm list", .fn = cmd_vm_list, .opts = json_opts,
	  .about = "Print the VMs recorded in the pools: running, saved or stopped.\n" },
};

static const struct cmd_group vm_group = { "vm", vm_cmds, ARRAY_SIZE(vm_cmds) };

int vm_help(struct ctx *ctx, const char *name)
{
	return group_help(&vm_group, ctx, name);
}

int cmd_vm(int argc, char **argv, struct ctx *ctx)
{
	return group_run(&vm_group, argc, argv, ctx);
}
