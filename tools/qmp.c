// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * A small QMP client (docs/interop/qmp-spec.rst) for the VM commands:
 * connect to a QEMU monitor socket, leave capabilities negotiation, run
 * one command at a time, an fd attached when asked (getfd).  Events that
 * arrive between answers are remembered by name only (qmp_saw()): the VM
 * commands poll query-migrate and query-status, which say the same and
 * cannot be missed.  Every read waits at most QMP_TIMEOUT_MS.  Errors go
 * into @q->err, not to stderr, so that one thread per VM can run it.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "vm.h"

#define QMP_TIMEOUT_MS	120000

static int qmp_fail(struct qmp *q, const char *fmt, ...) __printf(2, 3);

static int qmp_fail(struct qmp *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q->err, sizeof(q->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* One line of the socket into q->line (NUL-terminated); -1 on EOF. */
static int qmp_line(struct qmp *q)
{
	struct pollfd p = { .fd = q->fd, .events = POLLIN };
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(q->buf, '\n', q->len);
		if (nl) {
			*nl = '\0';
			free(q->line);
			q->line = strdup(q->buf);
			q->len -= nl + 1 - q->buf;
			memmove(q->buf, nl + 1, q->len);
			return q->line ? 0 : qmp_fail(q, "out of memory");
		}
		if (q->len == sizeof(q->buf))
			return qmp_fail(q, "QMP line too long");
		if (poll(&p, 1, QMP_TIMEOUT_MS) != 1)
			return qmp_fail(q, "no answer from QEMU");
		n = recv(q->fd, q->buf + q->len, sizeof(q->buf) - q->len, 0);
		if (n <= 0)
			return qmp_fail(q, "QEMU closed its QMP socket");
		q->len += n;
	}
}

/* The next message that is not an event: the greeting or an answer. */
static int qmp_read(struct qmp *q, json_object **ret)
{
	json_object *o, *v, *d;

	for (;;) {
		if (qmp_line(q))
			return -1;
		o = json_tokener_parse(q->line);
		if (!o)
			continue;
		if (json_object_object_get_ex(o, "event", &v)) {
			snprintf(q->last_event, sizeof(q->last_event), "%s",
				 json_object_get_string(v));
			json_object_put(o);
			continue;
		}
		break;
	}
	if (json_object_object_get_ex(o, "error", &v)) {
		json_object_object_get_ex(v, "desc", &d);
		qmp_fail(q, "%s", json_object_get_string(d) ?: "QMP error");
		json_object_put(o);
		return -1;
	}
	if (!json_object_object_get_ex(o, "return", &v) &&
	    !json_object_object_get_ex(o, "QMP", &v)) {
		json_object_put(o);
		return qmp_fail(q, "unexpected QMP message");
	}
	if (ret)
		*ret = json_object_get(v);
	json_object_put(o);
	return 0;
}

/* Connect to @path, waiting up to @wait_ms for QEMU to listen. */
int qmp_open(struct qmp *q, const char *path, int wait_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int waited = 0;

	memset(q, 0, sizeof(*q));
	if (strlen(path) >= sizeof(sa.sun_path))
		return qmp_fail(q, "%s: path too long", path);
	strcpy(sa.sun_path, path);
	for (;;) {
		q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (q->fd < 0)
			return qmp_fail(q, "socket: %s", strerror(errno));
		if (!connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		close(q->fd);
		q->fd = -1;
		if (waited >= wait_ms)
			return qmp_fail(q, "%s: %s", path, strerror(errno));
		usleep(20000);
		waited += 20;
	}
	if (qmp_read(q, NULL))
		return -1;
	return qmp_exec(q, "qmp_capabilities", NULL, -1, NULL);
}

/* A connection QEMU made (q->fd): its greeting, then out of negotiation. */
int qmp_attach(struct qmp *q)
{
	if (qmp_read(q, NULL))
		return -1;
	return qmp_exec(q, "qmp_capabilities", NULL, -1, NULL);
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	free(q->line);
	q->line = NULL;
}

/* One message on a unix socket, with @fd attached unless negative: 0 or an errno. */
int vk_send_fd(int sock, const char *data, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf = {};
	struct iovec iov = { .iov_base = (void *)data, .iov_len = strlen(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)iov.iov_len)
		return 0;
	return errno ?: EIO;
}

/* Send @data, with @fd attached (SCM_RIGHTS) unless it is negative. */
static int qmp_send(struct qmp *q, const char *data, int fd)
{
	int err = vk_send_fd(q->fd, data, fd);

	return err ? qmp_fail(q, "send: %s", strerror(err)) : 0;
}

/**
 * qmp_exec() - run one QMP command and wait for its answer
 * @q: the connection
 * @cmd: the command's name
 * @args: its arguments, or NULL; the reference is taken over
 * @fd: an fd to pass along (getfd), or -1
 * @ret: the "return" value (to put), or NULL
 *
 * Return: 0, or -1 with the reason in @q->err.
 */
int qmp_exec(struct qmp *q, const char *cmd, json_object *args, int fd,
	     json_object **ret)
{
	json_object *o = json_object_new_object();
	char *msg = NULL, tmp[sizeof(q->err)];
	int rc;

	json_object_object_add(o, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(o, "arguments", args);
	/* one message: QEMU must have the fd when it parses the command */
	if (asprintf(&msg, "%s\n",
		     json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) < 0)
		msg = NULL;
	json_object_put(o);
	rc = msg ? qmp_send(q, msg, fd) : qmp_fail(q, "out of memory");
	free(msg);
	if (!rc)
		rc = qmp_read(q, ret);
	if (rc) {
		snprintf(tmp, sizeof(tmp), "%s", q->err);
		qmp_fail(q, "%s: %s", cmd, tmp);
	}
	return rc;
}

/* The string at @key of @o ("a.b" looks one level down), or "". */
const char *qmp_str(json_object *o, const char *key)
{
	const char *dot = strchr(key, '.');
	char first[64];
	json_object *v;

	if (dot) {
		snprintf(first, sizeof(first), "%.*s", (int)(dot - key), key);
		if (!json_object_object_get_ex(o, first, &v))
			return "";
		return qmp_str(v, dot + 1);
	}
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

/* Milliseconds on CLOCK_MONOTONIC. */
long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* After quit: wait until QEMU closes the socket, which it does on exit. */
int qmp_wait_close(struct qmp *q)
{
	while (!qmp_line(q))
		;
	return strstr(q->err, "closed") ? 0 : -1;
}
