/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * The VM commands (vm.c, vmflow.c) and their QMP client (qmp.c): QEMUs
 * whose RAM and device state live in regions, recorded in a manifest
 * kept in the pool, saved and kexec'd by 'update', relaunched by
 * 'vm resume'.
 */
#ifndef _VMKEEPCTL_VM_H
#define _VMKEEPCTL_VM_H

#include "vmkeepctl.h"

/* qmp.c */
struct qmp {
	int fd;
	char buf[16384];	/* what was received and not yet read */
	size_t len;
	char *line;		/* the last line read */
	char last_event[64];	/* the name of the last event seen */
	char err[512];		/* why the last call failed */
};

int qmp_open(struct qmp *q, const char *path, int wait_ms);
int qmp_attach(struct qmp *q);
void qmp_close(struct qmp *q);
int qmp_exec(struct qmp *q, const char *cmd, json_object *args, int fd,
	     json_object **ret);
const char *qmp_str(json_object *o, const char *key);
int qmp_wait_close(struct qmp *q);
long long now_ms(void);

/**
 * struct vm - one VM: its manifest, and what a command learns on the way
 * @name: the VM's name; its regions are NAME-ram and NAME-state
 * @ram: the RAM region's name
 * @state: the state region's name: the manifest, then the device state
 * @ram_id: region ids at 'vm run': a region made anew has another
 * @state_id: see @ram_id
 * @ram_size: bytes of guest RAM
 * @argv: QEMU's command line as given to 'vm run' (NULL-terminated)
 * @qemu: QEMU's version at 'vm run' ("7.2")
 * @saved: the state region holds the device state of the stopped VM
 * @state_bytes: how many bytes of device state
 * @ram_bytes: RAM bytes QEMU sent at the last save (whole pages)
 * @save_ms: guest stopped to QEMU gone, at the last save
 * @saved_at: when the update that saved it last began (seconds since the
 *            epoch), or 0
 * @state_fd: the state region, open
 * @q: the QMP connection
 * @ok: the step this VM is in went well
 * @stopped: the VM was stopped by us (to be continued on failure)
 * @t0: when the step started (ms)
 * @t_loaded: when the incoming state was loaded (ms)
 * @t1: when it ended (ms)
 * @err: why it failed
 */
struct vm {
	char name[VMKEEP_NAME_MAX + 1];
	char ram[VMKEEP_NAME_MAX + 1];
	char state[VMKEEP_NAME_MAX + 1];
	uint64_t ram_id, state_id, ram_size;
	char **argv;
	char qemu[16];
	bool saved;
	uint64_t state_bytes, ram_bytes;
	long long save_ms, saved_at;
	int state_fd;
	struct qmp q;
	bool ok, stopped;
	long long t0, t_loaded, t1;
	char err[600];
};

#define VM_STATE_OFF	(64 << 10)	/* the device state after the manifest */
#define VM_RUN_DIR	"/run/vmkeep"	/* QMP sockets and pid files */

/* vm.c */
int vm_load(struct ctx *ctx, struct vm *vm, const char *name, bool quiet);
int vm_load_all(struct ctx *ctx, struct vm **vms, unsigned int *nr);
void vm_put(struct vm *vm);
int vm_manifest_write(struct vm *vm);
bool vm_running(const struct vm *vm);
void vm_qmp_path(const struct vm *vm, char *buf, size_t len);
bool vm_cpr(const char *version);
void qemu_version(const char *qemu, char *buf, size_t len);
int vm_spawn(struct vm *vm, bool incoming, int ram_fd, char *err, size_t len);
int vm_mig_setup(struct vm *vm, const char *version);
int vm_mig_wait(struct vm *vm, uint64_t *ram_bytes);
int vm_ram_fd(struct ctx *ctx, struct vm *vm);
extern bool vm_opt_all;

/* vmflow.c */
int cmd_vm_resume(int argc, char **argv, struct ctx *ctx);

/* vm.c, vmflow.c */
int cmd_vm(int argc, char **argv, struct ctx *ctx);
int vm_help(struct ctx *ctx, const char *name);
int cmd_update(int argc, char **argv, struct ctx *ctx);
extern const struct opt update_opts[];

/* libvirt.c */
int cmd_libvirt(int argc, char **argv, struct ctx *ctx);
int lv_help(struct ctx *ctx, const char *name);
int lv_update(struct ctx *ctx, bool check, bool force);
bool lv_libvirt_pid(int pid);

#endif /* _VMKEEPCTL_VM_H */
