// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeepctl exec, send, qemu-args: handing region fds to a VMM - as
 * inherited fds, over a unix socket (plain or QMP add-fd), and the QEMU
 * options that map them.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "vmkeepctl.h"

#define MAX_FDS		32

struct fd_map {
	const char *name;
	int target;
	int fd;
};

static struct {
	struct fd_map map[MAX_FDS];
	unsigned int nr_map;
	const char *socket, *fdset, *fd, *id;
	bool qmp;
} param;

static int region_opt(struct ctx *ctx, char *spec);

const struct opt exec_opts[] = {
	{ "region", "NAME:fd=N[,NAME:fd=N...]",
	  "open region NAME on fd N (N >= 3); repeatable", OPT_REQUIRED,
	  .each = region_opt },
	{}
};

const struct opt send_opts[] = {
	{ "socket", "PATH", "a unix socket to connect to", OPT_REQUIRED,
	  .str = &param.socket },
	{ "qmp", NULL, "it is a QMP monitor: send each fd with add-fd", .flag = &param.qmp },
	{ "fdset", "ID", "with --qmp: fdset ID, ID+1, ... (default: new sets)",
	  .str = &param.fdset },
	{}
};

const struct opt qemu_args_opts[] = {
	{ "fd", "N", "the fd the region is open on (default 10)", .str = &param.fd },
	{ "id", "ID", "the memory backend's id (default ram0)", .str = &param.id },
	{ "fdset", "ID", "print -add-fd and mem-path=/dev/fdset/ID, for QEMU with the fdset patch",
	  .str = &param.fdset },
	{}
};

/* "NAME:fd=N[,NAME:fd=N...]"; a name may contain ':', so split at the last ":fd=". */
static int region_opt(struct ctx *ctx, char *spec)
{
	struct fd_map *m = param.map;
	char *e, *sep, *q;
	unsigned long v;
	unsigned int i;
	int rc;

	while ((e = strsep(&spec, ","))) {
		for (sep = NULL, q = e; (q = strstr(q, ":fd=")); q++)
			sep = q;
		if (!sep || parse_uint(sep + 4, 10, INT_MAX, &v) || v < 3)
			return bad_arg(ctx, "--region", e, "NAME:fd=N with N >= 3");
		if (param.nr_map == MAX_FDS)
			return bad_arg(ctx, "--region", e, "at most 32 regions");
		*sep = '\0';
		rc = check_name(ctx, e);
		if (rc)
			return rc;
		for (i = 0; i < param.nr_map; i++)
			if (m[i].target == (int)v)
				return bad_arg(ctx, "--region", e, "each fd number once");
		m[param.nr_map].name = e;
		m[param.nr_map++].target = v;
	}
	return -1;
}

/* A new O_CLOEXEC fd of region @name. */
static int region_fd(struct ctx *ctx, const char *name, int *fd)
{
	*fd = vmkeep_get(ctx->vk, name);
	return *fd < 0 ? op_fail(ctx, name, *fd) : 0;
}

/*
 * Park every region fd above all requested numbers first, so that
 * moving one into place never closes another (or /dev/vmkeep).
 */
static int open_regions(struct ctx *ctx, struct fd_map *m, unsigned int n)
{
	unsigned int i;
	int rfd, top = 0, rc;

	for (i = 0; i < n; i++)
		if (m[i].target > top)
			top = m[i].target;
	for (i = 0; i < n; i++) {
		rc = region_fd(ctx, m[i].name, &rfd);
		if (rc)
			return rc;
		m[i].fd = fcntl(rfd, F_DUPFD_CLOEXEC, top + 1);
		if (m[i].fd < 0)
			return fail(ctx, RC_FAIL, m[i].name, errno,
				    "fd number beyond the open-file limit");
		close(rfd);
	}
	return 0;
}

int cmd_exec(int argc, char **argv, struct ctx *ctx)
{
	struct fd_map *m = param.map;
	unsigned int i;
	int rc = parse_opts(ctx, argc, argv);

	if (rc >= 0)
		return rc;
	if (optind == argc)
		return bad_operands(ctx, "the command to run after '--'");
	rc = dev_open(ctx) ?: open_regions(ctx, m, param.nr_map);
	if (rc)
		return rc;
	vmkeep_unref(ctx->vk);
	ctx->vk = NULL;
	/* dup2() leaves the new fd without FD_CLOEXEC: the command inherits it */
	for (i = 0; i < param.nr_map; i++) {
		if (dup2(m[i].fd, m[i].target) < 0)
			return fail(ctx, RC_FAIL, m[i].name, errno, "dup2() failed");
		close(m[i].fd);
	}
	execvp(argv[optind], argv + optind);
	return fail(ctx, RC_FAIL, argv[optind], errno, NULL);
}

/*
 * The next QMP answer that is not an event: the greeting's "QMP" or a
 * "return" value into @out; an "error" is reported.
 */
static int qmp_answer(struct ctx *ctx, FILE *in, const char *obj,
		      json_object **out)
{
	json_object *o, *v, *desc;
	char *line = NULL;
	size_t cap = 0;
	int rc = -1;

	while (rc < 0 && getline(&line, &cap, in) > 0) {
		o = json_tokener_parse(line);
		if (!o)
			continue;
		if (json_object_object_get_ex(o, "error", &v)) {
			json_object_object_get_ex(v, "desc", &desc);
			rc = fail(ctx, RC_FAIL, obj, 0, json_object_get_string(desc));
		} else if (json_object_object_get_ex(o, "return", &v) ||
			   json_object_object_get_ex(o, "QMP", &v)) {
			*out = json_object_get(v);
			rc = 0;
		}
		json_object_put(o);
	}
	free(line);
	return rc < 0 ? fail(ctx, RC_FAIL, obj, 0, "QMP closed the connection") : rc;
}

static int qmp_call(struct ctx *ctx, int sock, FILE *in, const char *obj,
		    const char *data, int fd, json_object **ret)
{
	int err = vk_send_fd(sock, data, fd);

	return err ? fail(ctx, RC_FAIL, obj, err, NULL) : qmp_answer(ctx, in, obj, ret);
}

static int qmp_int(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int(v) : -1;
}

struct conn {
	int sock;
	FILE *in;		/* QMP answers */
	unsigned long fdset;	/* the next fdset id, with --fdset */
};

/* Connect to --socket; with --qmp, read the greeting and leave negotiation. */
static int connect_socket(struct ctx *ctx, struct conn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	json_object *ret = NULL;
	int rc;

	strcpy(sa.sun_path, param.socket);
	c->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->sock < 0 || connect(c->sock, (struct sockaddr *)&sa, sizeof(sa)))
		return fail(ctx, RC_FAIL, param.socket, errno, NULL);
	if (!param.qmp)
		return 0;
	c->in = fdopen(dup(c->sock), "re");
	if (!c->in)
		return fail(ctx, RC_FAIL, param.socket, errno, NULL);
	rc = qmp_answer(ctx, c->in, param.socket, &ret);
	json_object_put(ret);
	ret = NULL;
	if (!rc)
		rc = qmp_call(ctx, c->sock, c->in, param.socket,
			      "{\"execute\":\"qmp_capabilities\"}\n", -1, &ret);
	json_object_put(ret);
	return rc;
}

/* Plain: one message "NAME\n" with the fd. */
static int send_plain(struct ctx *ctx, struct conn *c, const char *name, int rfd)
{
	char data[VMKEEP_NAME_MAX + 2];
	int err;

	snprintf(data, sizeof(data), "%s\n", name);
	err = vk_send_fd(c->sock, data, rfd);
	if (err)
		return fail(ctx, RC_FAIL, name, err, param.socket);
	printf("%s: sent\n", name);
	return 0;
}

/* QMP: add-fd, into the next set of --fdset or a new one. */
static int send_qmp(struct ctx *ctx, struct conn *c, const char *name, int rfd)
{
	char data[256], set[32] = "";
	json_object *ret = NULL;
	int rc;

	if (param.fdset)
		snprintf(set, sizeof(set), "\"fdset-id\":%lu,", c->fdset++);
	snprintf(data, sizeof(data),
		 "{\"execute\":\"add-fd\",\"arguments\":{%s\"opaque\":\"vmkeep:%s\"}}\n",
		 set, name);
	rc = qmp_call(ctx, c->sock, c->in, name, data, rfd, &ret);
	if (!rc)
		fprintf(stdout,
			"%s: fdset-id %d, fd %d: mem-path=/dev/fdset/%d (fdset-patched QEMU) or /proc/self/fd/%d\n",
			name, qmp_int(ret, "fdset-id"), qmp_int(ret, "fd"),
			qmp_int(ret, "fdset-id"), qmp_int(ret, "fd"));
	json_object_put(ret);
	return rc;
}

static int send_opts_check(struct ctx *ctx, int argc, char **argv,
			   struct conn *c)
{
	struct sockaddr_un sa;
	int i, rc;

	if (optind == argc)
		return bad_operands(ctx, "one or more region names");
	if (param.fdset && !param.qmp)
		return bad_arg(ctx, "--fdset", param.fdset, "--qmp with it");
	if (param.fdset && parse_uint(param.fdset, 10, INT_MAX, &c->fdset))
		return bad_arg(ctx, "--fdset", param.fdset, "an fdset id");
	if (strlen(param.socket) >= sizeof(sa.sun_path))
		return bad_arg(ctx, "--socket", param.socket, "a shorter path");
	for (i = optind; i < argc; i++) {
		rc = check_name(ctx, argv[i]);
		if (rc)
			return rc;
	}
	return 0;
}

int cmd_send(int argc, char **argv, struct ctx *ctx)
{
	struct conn c = { .sock = -1 };
	int i, rfd, rc = parse_opts(ctx, argc, argv);

	if (rc >= 0)
		return rc;
	rc = send_opts_check(ctx, argc, argv, &c) ?: dev_open(ctx) ?:
	     connect_socket(ctx, &c);
	for (i = optind; !rc && i < argc; i++) {
		rc = region_fd(ctx, argv[i], &rfd);
		if (rc)
			break;
		rc = param.qmp ? send_qmp(ctx, &c, argv[i], rfd) :
				 send_plain(ctx, &c, argv[i], rfd);
		close(rfd);
	}
	if (c.in)
		fclose(c.in);
	if (c.sock >= 0)
		close(c.sock);
	return rc;
}

/* The version of the QEMU on $PATH, for the note on /dev/fdset. */
static void qemu_note(struct ctx *ctx, unsigned long set)
{
	FILE *p = popen("qemu-system-x86_64 -version 2>/dev/null", "re");
	char line[256], ver[64] = "no qemu-system-x86_64 on $PATH";
	int maj, min;

	if (p) {
		if (fgets(line, sizeof(line), p) &&
		    sscanf(line, "QEMU emulator version %d.%d", &maj, &min) == 2)
			snprintf(ver, sizeof(ver), "%d.%d here", maj, min);
		pclose(p);
	}
	fprintf(stderr,
		"vmkeepctl: %s: note: mem-path=/dev/fdset/%lu needs a QEMU with the fdset patch;"
		" stock QEMU (%s) opens mem-path with open(): leave out --fdset to use /proc/self/fd/N\n",
		ctx->cmd->name, set, ver);
}

static bool qemu_id_ok(const char *id)
{
	const char *p;

	for (p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-._", *p))
			return false;
	return isalpha((unsigned char)*id);
}

int cmd_qemu_args(int argc, char **argv, struct ctx *ctx)
{
	unsigned long nfd = 10, set = 0;
	const char *id = param.id ?: "ram0", *name;
	struct vmkeep_region *r;
	int err, rc = parse_opts(ctx, argc, argv);

	if (rc >= 0)
		return rc;
	if (param.fd && (parse_uint(param.fd, 10, INT_MAX, &nfd) || nfd < 3))
		return bad_arg(ctx, "--fd", param.fd, "an fd number >= 3");
	if (!qemu_id_ok(id))
		return bad_arg(ctx, "--id", id, "a QEMU id: a letter, then [A-Za-z0-9._-]");
	if (param.fdset && parse_uint(param.fdset, 10, INT_MAX, &set))
		return bad_arg(ctx, "--fdset", param.fdset, "an fdset id");
	if (argc - optind != 1)
		return bad_operands(ctx, "one region name");
	name = argv[optind];
	rc = check_name(ctx, name) ?: dev_open(ctx);
	if (rc)
		return rc;
	err = vmkeep_regions_refresh(ctx->vk);
	if (err < 0)
		return op_fail(ctx, name, err);
	r = vmkeep_region_find(ctx->vk, name);
	if (!r)
		return fail(ctx, RC_FAIL, name, ENOENT, "no region has that name");
	if (param.fdset) {
		fprintf(stdout,
			"-add-fd fd=%lu,set=%lu -object memory-backend-file,id=%s,size=%llu,mem-path=/dev/fdset/%lu,share=on\n",
			nfd, set, id, (unsigned long long)vmkeep_region_get_size(r), set);
		qemu_note(ctx, set);
	} else {
		fprintf(stdout,
			"-object memory-backend-file,id=%s,size=%llu,mem-path=/proc/self/fd/%lu,share=on\n",
			id, (unsigned long long)vmkeep_region_get_size(r), nfd);
	}
	return RC_OK;
}
