// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vkfdstore store|check [RESULT_FILE] - a service's fd store across
 * 'systemctl kexec' (selftests/vm/systemd-luo.sh)
 *
 * store: a memfd of known bytes (sealed F_SEAL_SHRINK, its position set)
 * and the vmkeep region file on fd 10 (vmkeepctl exec --region
 * NAME:fd=10), filled with known bytes, go to the service's fd store
 * (sd_notify "FDSTORE=1" with FDNAME=memfd and FDNAME=region, then a
 * barrier so that PID 1 has them before the service exits).  With
 * FileDescriptorStorePreserve=yes systemd 262 hands them to the next
 * kernel through /dev/liveupdate.
 * check: the fds systemd passed ($LISTEN_FDS, $LISTEN_FDNAMES) are those:
 * every byte, the memfd's size, position and seals.  One "ok - " or
 * "not ok - " line per check, on stdout and in RESULT_FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MEMFD_SIZE	(1024 * 1024 + 4097)
#define MEMFD_POS	4567
#define MEMFD_SEALS	F_SEAL_SHRINK
#define REGION_FD	10
#define BUF		65536

static FILE *result;
static int failed;

static void report(int ok, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("%s - %s\n", ok ? "ok" : "not ok", line);
	if (result)
		fprintf(result, "%s - %s\n", ok ? "ok" : "not ok", line);
	failed |= !ok;
}

/* Byte @off of the pattern @seed: not periodic within a page or a unit. */
static uint8_t pattern(uint32_t seed, uint64_t off)
{
	uint64_t x = (off / 8 + 1) * 0x9e3779b97f4a7c15ull ^ seed;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 32;
	return x >> (8 * (off % 8));
}

/* FNV-1a of what was compared, to record. */
static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static int fill(int fd, uint32_t seed, uint64_t size, uint32_t *hash)
{
	static uint8_t buf[BUF];
	uint64_t off, i, n;

	*hash = 2166136261u;
	for (off = 0; off < size; off += n) {
		n = size - off < BUF ? size - off : BUF;
		for (i = 0; i < n; i++)
			buf[i] = pattern(seed, off + i);
		if (pwrite(fd, buf, n, off) != (ssize_t)n)
			return -errno;
		*hash = fnv(*hash, buf, n);
	}
	return 0;
}

/* The offset of the first byte that differs, @size when all are equal. */
static uint64_t compare(int fd, uint32_t seed, uint64_t size, uint32_t *hash)
{
	static uint8_t buf[BUF];
	uint64_t off, i, n;

	*hash = 2166136261u;
	for (off = 0; off < size; off += n) {
		n = size - off < BUF ? size - off : BUF;
		if (pread(fd, buf, n, off) != (ssize_t)n)
			return off;
		for (i = 0; i < n; i++)
			if (buf[i] != pattern(seed, off + i))
				return off + i;
		*hash = fnv(*hash, buf, n);
	}
	return size;
}

/* sd_notify(@msg) with @fd attached, to $NOTIFY_SOCKET. */
static int notify(const char *msg, int fd)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
	struct msghdr mh = { .msg_name = &sa, .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	socklen_t len;
	int s, ret = 0;

	if (!path || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	strcpy(sa.sun_path, path);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	mh.msg_namelen = len;
	if (fd >= 0) {
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (sendmsg(s, &mh, MSG_NOSIGNAL) < 0)
		ret = -errno;
	close(s);
	return ret;
}

/* Wait until PID 1 has read everything sent before (sd_notify_barrier()). */
static int barrier(void)
{
	struct pollfd p;
	int pfd[2], ret;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	ret = notify("BARRIER=1", pfd[1]);
	close(pfd[1]);
	if (!ret) {
		p = (struct pollfd){ .fd = pfd[0], .events = 0 };
		ret = poll(&p, 1, 10000) == 1 && (p.revents & POLLHUP) ? 0 : -ETIMEDOUT;
	}
	close(pfd[0]);
	return ret;
}

static int fd_store(void)
{
	uint32_t mhash, rhash;
	struct stat st;
	int mfd, ret;

	if (fstat(REGION_FD, &st)) {
		report(0, "store: no region on fd %d: %s", REGION_FD, strerror(errno));
		return 1;
	}
	mfd = memfd_create("vk-fdstore", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ret = mfd < 0 ? -errno : fill(mfd, 0x6d656d66, MEMFD_SIZE, &mhash);
	if (!ret && (lseek(mfd, MEMFD_POS, SEEK_SET) != MEMFD_POS ||
		     fcntl(mfd, F_ADD_SEALS, MEMFD_SEALS)))
		ret = -errno;
	report(!ret, "store: memfd of %d bytes, fnv %08x, position %d, seals %#x: %s",
	       MEMFD_SIZE, mhash, MEMFD_POS, MEMFD_SEALS, strerror(-ret));
	if (ret)
		return 1;
	ret = fill(REGION_FD, 0x72656769, st.st_size, &rhash);
	report(!ret, "store: region of %lld bytes, fnv %08x: %s",
	       (long long)st.st_size, rhash, strerror(-ret));
	if (ret)
		return 1;
	ret = notify("FDSTORE=1\nFDNAME=memfd", mfd);
	if (!ret)
		ret = notify("FDSTORE=1\nFDNAME=region", REGION_FD);
	if (!ret)
		ret = barrier();
	report(!ret, "store: both fds sent to the fd store: %s", strerror(-ret));
	return !!ret;
}

static void check_memfd(int fd)
{
	uint32_t hash;
	struct stat st;
	uint64_t at;
	off_t pos;
	int seals;

	if (fstat(fd, &st)) {
		report(0, "memfd: fstat: %s", strerror(errno));
		return;
	}
	report(st.st_size == MEMFD_SIZE, "memfd: size %lld (stored %d)",
	       (long long)st.st_size, MEMFD_SIZE);
	pos = lseek(fd, 0, SEEK_CUR);
	report(pos == MEMFD_POS, "memfd: position %lld (stored %d)", (long long)pos, MEMFD_POS);
	seals = fcntl(fd, F_GET_SEALS);
	report(seals == MEMFD_SEALS, "memfd: seals %#x (stored %#x)", seals, MEMFD_SEALS);
	at = compare(fd, 0x6d656d66, MEMFD_SIZE, &hash);
	if (at == MEMFD_SIZE)
		report(1, "memfd: %d bytes equal to those stored, fnv %08x", MEMFD_SIZE, hash);
	else
		report(0, "memfd: byte %llu differs from the one stored", (unsigned long long)at);
}

static void check_region(int fd)
{
	uint32_t hash;
	off_t size = lseek(fd, 0, SEEK_END);
	uint64_t at;

	report(size > 0, "region: size %lld", (long long)size);
	if (size <= 0)
		return;
	at = compare(fd, 0x72656769, size, &hash);
	if (at == (uint64_t)size)
		report(1, "region: %lld bytes equal to those stored, fnv %08x",
		       (long long)size, hash);
	else
		report(0, "region: byte %llu differs from the one stored", (unsigned long long)at);
}

static int fd_check(void)
{
	const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
	char *names = getenv("LISTEN_FDNAMES"), *name, *save = NULL;
	char link[64], target[256];
	int fd, n, seen = 0;
	ssize_t len;

	n = nfds ? atoi(nfds) : 0;
	report(pid && atoi(pid) == getpid() && n == 2,
	       "check: LISTEN_PID=%s LISTEN_FDS=%s LISTEN_FDNAMES=%s",
	       pid ?: "", nfds ?: "", names ?: "");
	for (fd = 3, name = names ? strtok_r(names, ":", &save) : NULL;
	     fd < 3 + n && name; fd++, name = strtok_r(NULL, ":", &save)) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		len = readlink(link, target, sizeof(target) - 1);
		target[len < 0 ? 0 : len] = '\0';
		printf("# fd %d %s: %s\n", fd, name, target);
		if (!strcmp(name, "memfd")) {
			check_memfd(fd);
			seen |= 1;
		} else if (!strcmp(name, "region")) {
			check_region(fd);
			seen |= 2;
		}
	}
	report(seen == 3, "check: both fds came back (memfd %s, region %s)",
	       seen & 1 ? "yes" : "no", seen & 2 ? "yes" : "no");
	return failed;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc < 2 || (strcmp(argv[1], "store") && strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: vkfdstore store|check [RESULT_FILE]\n");
		return 2;
	}
	if (argc > 2) {
		result = fopen(argv[2], "we");
		if (!result) {
			perror(argv[2]);
			return 1;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = strcmp(argv[1], "store") ? fd_check() : fd_store();
	if (result)
		fclose(result);
	return ret;
}
