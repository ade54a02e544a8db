// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vkluo - one session of vmkeep's /dev/liveupdate, for luotools.plan,
 * which checks what vmkeepctl and libvmkeep show of it:
 *
 *   vkluo preserve SESSION REGION
 *	a memfd of 10,000 bytes, its position at 1234 (token 1), and the
 *	region REGION with a line at its start (token 2) in a new session;
 *	the memfd's size is frozen while it is preserved (ftruncate EPERM;
 *	on 6.x F_SEAL_GROW and F_SEAL_SHRINK shown).  A child keeps the
 *	session until the kexec;
 *	the parent exits 0 once all is made.
 *   vkluo retrieve SESSION REGION
 *	both back: the memfd a new "memfd:" file with the bytes, size,
 *	position and no seal, the region with its line; then FINISH.
 *
 * Exits 1 with a line on stderr at the first thing that is not so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/liveupdate.h>

#include "vmkeep_util.h"

#define MEMFD_TOKEN	1
#define REGION_TOKEN	2
#define MEMFD_SIZE	10000
#define MEMFD_POS	1234
#define REGION_LINE	"vkluo: this region went through the kexec by reference\n"

static int fail(const char *what)
{
	fprintf(stderr, "vkluo: %s: %s\n", what, strerror(errno));
	return 1;
}

static int wrong(const char *what, long long got, long long want)
{
	fprintf(stderr, "vkluo: %s is %lld, expected %lld\n", what, got, want);
	return 1;
}

static void fill(char *buf)
{
	unsigned int i;

	for (i = 0; i < MEMFD_SIZE; i++)
		buf[i] = 'a' + i % 26;
}

static int session(const char *name, bool create)
{
	struct liveupdate_ioctl_create_session cs = { .size = sizeof(cs) };
	struct liveupdate_ioctl_retrieve_session rs = { .size = sizeof(rs) };
	int luo = open("/dev/liveupdate", O_RDWR | O_CLOEXEC);
	int ret;

	if (luo < 0)
		return -1;
	if (create) {
		snprintf((char *)cs.name, sizeof(cs.name), "%s", name);
		ret = ioctl(luo, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs) ? -1 : cs.fd;
	} else {
		snprintf((char *)rs.name, sizeof(rs.name), "%s", name);
		ret = ioctl(luo, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &rs) ? -1 : rs.fd;
	}
	/* The sessions outlive the device's fd, as in mainline. */
	close(luo);
	return ret;
}

static int preserve_fd(int s, int fd, __u64 token)
{
	struct liveupdate_session_preserve_fd p = {
		.size = sizeof(p), .fd = fd, .token = token,
	};

	return ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &p);
}

static int retrieve_fd(int s, __u64 token)
{
	struct liveupdate_session_retrieve_fd r = { .size = sizeof(r), .token = token };

	return ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &r) ? -1 : r.fd;
}

static int preserve(const char *name, const char *region)
{
	static char buf[MEMFD_SIZE];
	int s, m, dev, r, seals;

	fill(buf);
	s = session(name, true);
	if (s < 0)
		return fail("CREATE_SESSION");
	m = memfd_create("vkluo", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (m < 0 || write(m, buf, MEMFD_SIZE) != MEMFD_SIZE ||
	    lseek(m, MEMFD_POS, SEEK_SET) != MEMFD_POS)
		return fail("memfd");
	if (preserve_fd(s, m, MEMFD_TOKEN))
		return fail("PRESERVE_FD of the memfd");
	/* 6.x: the seals that freeze its size; 7.x: mainline's freeze, none */
	seals = fcntl(m, F_GET_SEALS);
	if (seals != (F_SEAL_GROW | F_SEAL_SHRINK) && seals)
		return wrong("F_GET_SEALS of the preserved memfd", seals,
			     F_SEAL_GROW | F_SEAL_SHRINK);
	if (ftruncate(m, 2 * MEMFD_SIZE) != -1 || errno != EPERM)
		return wrong("ftruncate of the preserved memfd: errno", errno, EPERM);

	dev = vk_open();
	r = dev < 0 ? -ENODEV : vk_get(dev, region);
	if (r < 0) {
		errno = -r;
		return fail(region);
	}
	if (pwrite(r, REGION_LINE, strlen(REGION_LINE), 0) != (ssize_t)strlen(REGION_LINE))
		return fail("pwrite into the region");
	if (preserve_fd(s, r, REGION_TOKEN))
		return fail("PRESERVE_FD of the region");
	close(r);
	close(dev);

	/* The session lives while its fd is open: a child holds it into the kexec. */
	switch (fork()) {
	case -1:
		return fail("fork");
	case 0:
		setsid();
		dup2(open("/dev/null", O_RDWR), 0);
		dup2(0, 1);
		dup2(0, 2);
		for (;;)
			pause();
	}
	return 0;
}

static int retrieve(const char *name, const char *region)
{
	struct liveupdate_session_finish f = { .size = sizeof(f) };
	static char want[MEMFD_SIZE], got[MEMFD_SIZE];
	char link[64], path[64], line[sizeof(REGION_LINE)];
	int s, m, r, seals;
	struct stat st;
	ssize_t n;

	fill(want);
	s = session(name, false);
	if (s < 0)
		return fail("RETRIEVE_SESSION");
	m = retrieve_fd(s, MEMFD_TOKEN);
	if (m < 0)
		return fail("RETRIEVE_FD of the memfd");
	if (fstat(m, &st))
		return fail("fstat of the memfd");
	if (st.st_size != MEMFD_SIZE)
		return wrong("the memfd's size", st.st_size, MEMFD_SIZE);
	if (lseek(m, 0, SEEK_CUR) != MEMFD_POS)
		return wrong("the memfd's position", lseek(m, 0, SEEK_CUR), MEMFD_POS);
	seals = fcntl(m, F_GET_SEALS);
	if (seals)
		return wrong("F_GET_SEALS of the retrieved memfd", seals, 0);
	if (pread(m, got, MEMFD_SIZE, 0) != MEMFD_SIZE || memcmp(got, want, MEMFD_SIZE))
		return wrong("memcmp of the memfd's bytes", 1, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", m);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	if (strncmp(link, "/memfd:", 7)) {
		fprintf(stderr, "vkluo: the retrieved memfd is '%s', expected /memfd:...\n", link);
		return 1;
	}

	r = retrieve_fd(s, REGION_TOKEN);
	if (r < 0)
		return fail("RETRIEVE_FD of the region");
	if (lseek(r, 0, SEEK_END) != 2 * MiB)
		return wrong("the region's size", lseek(r, 0, SEEK_END), 2 * MiB);
	n = pread(r, line, strlen(REGION_LINE), 0);
	if (n != (ssize_t)strlen(REGION_LINE) || memcmp(line, REGION_LINE, n))
		return wrong("memcmp of the region's line", 1, 0);

	if (ioctl(s, LIVEUPDATE_SESSION_FINISH, &f))
		return fail("FINISH");
	printf("vkluo: %s: memfd of %d bytes and region %s back\n", name, MEMFD_SIZE, region);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "preserve"))
		return preserve(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "retrieve"))
		return retrieve(argv[2], argv[3]);
	fprintf(stderr, "usage: vkluo preserve|retrieve SESSION REGION\n");
	return 2;
}
