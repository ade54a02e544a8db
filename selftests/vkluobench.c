// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vkluobench - what a preserved memfd's bytes cost across a live update
 * (make bench, bench-luo.plan; /dev/liveupdate of vmkeep.luo=1)
 *
 *   vkluobench out MIB REP
 *	Before the kexec: fills a memfd of MIB, times a memcpy of it from
 *	its mapping into an anonymous buffer whose pages were touched
 *	first, preserves it in session "vkluobench" and leaves a daemon
 *	holding the session, as mainline's daemonize_and_wait() does.  The
 *	reboot notifier copies the bytes into the pool at the kexec and
 *	logs the time; a line "vkluobench: MIBM rep REP" in the kernel log
 *	says whose copy the next one is (scripts/bench-luo-report.sh
 *	pairs them on the host).
 *   vkluobench in MIB REP
 *	After the kexec: times RETRIEVE_FD (the kernel's copy into a new
 *	memfd), checks every byte, times the same memcpy again, FINISHes.
 *
 * Prints KTAP and the samples as "# bench: luo MIBM METRIC VALUE REP"
 * lines, METRIC memcpy_out_mibs, memcpy_in_mibs or retrieve_mibs (MiB/s).
 * Exits 1 when an operation failed or a byte differs; nothing here judges
 * speed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include <linux/liveupdate.h>

#include "vmkeep_util.h"

#define SESSION	"vkluobench"
#define TOKEN	1

static int nr_tests;
static bool failed;

static void ok(bool pass, const char *what)
{
	printf("%sok %d %s\n", pass ? "" : "not ", ++nr_tests, what);
	failed |= !pass;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static double mibs(uint64_t len, uint64_t ns)
{
	return ns ? (double)len / MiB * 1e9 / ns : 0;
}

/* Word @i of the bytes of size @mib, repetition @rep. */
static uint64_t word(uint64_t mib, uint64_t rep, uint64_t i)
{
	return ((mib << 40 | rep << 32) ^ i) * 0x9e3779b97f4a7c15ULL;
}

/* A memcpy of @src into a buffer of its own, pages touched first. */
static int time_memcpy(const void *src, uint64_t len, uint64_t *ns)
{
	char *dst = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t off, t0;

	if (dst == MAP_FAILED)
		return -errno;
	for (off = 0; off < len; off += 4096)
		dst[off] = 1;
	t0 = now_ns();
	memcpy(dst, src, len);
	*ns = now_ns() - t0;
	/* The copy is used: the compiler keeps it. */
	__asm__ volatile("" : : "r"(dst) : "memory");
	munmap(dst, len);
	return 0;
}

static int luo_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int out(uint64_t mib, uint64_t rep)
{
	struct liveupdate_ioctl_create_session cs = { .size = sizeof(cs) };
	struct liveupdate_session_preserve_fd pf = { .size = sizeof(pf) };
	uint64_t len = mib * MiB, i, ns;
	int mfd, luo, kmsg, err;
	char line[80];
	uint64_t *p;
	pid_t pid;

	printf("1..3\n");
	mfd = memfd_create(SESSION, 0);
	err = mfd < 0 || ftruncate(mfd, len) ? -errno : 0;
	p = err ? MAP_FAILED : mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (!err && p == MAP_FAILED)
		err = -errno;
	if (!err) {
		for (i = 0; i < len / 8; i++)
			p[i] = word(mib, rep, i);
		err = time_memcpy(p, len, &ns);
		munmap(p, len);
	}
	if (err) {
		printf("# memfd of %llu MiB: %s\n", (unsigned long long)mib, strerror(-err));
		ok(false, "memfd filled, memcpy timed");
		return 1;
	}
	printf("# bench: luo %lluM memcpy_out_mibs %.1f %llu\n",
	       (unsigned long long)mib, mibs(len, ns), (unsigned long long)rep);
	ok(true, "memfd filled, memcpy timed");

	luo = open("/dev/liveupdate", O_RDWR);
	memcpy(cs.name, SESSION, sizeof(SESSION));
	err = luo < 0 ? -errno : luo_ioctl(luo, LIVEUPDATE_IOCTL_CREATE_SESSION, &cs);
	if (!err) {
		pf.fd = mfd;
		pf.token = TOKEN;
		err = luo_ioctl(cs.fd, LIVEUPDATE_SESSION_PRESERVE_FD, &pf);
	}
	if (err)
		printf("# session, PRESERVE_FD: %s\n", strerror(-err));
	ok(!err, "memfd preserved");
	if (err)
		return 1;
	close(mfd);
	close(luo);

	/* Whose copy the kernel logs next, for the host. */
	kmsg = open("/dev/kmsg", O_WRONLY);
	snprintf(line, sizeof(line), "vkluobench: %lluM rep %llu\n",
		 (unsigned long long)mib, (unsigned long long)rep);
	if (kmsg < 0 || write(kmsg, line, strlen(line)) < 0)
		printf("# /dev/kmsg: %s\n", strerror(errno));
	if (kmsg >= 0)
		close(kmsg);

	fflush(stdout);
	pid = fork();
	if (!pid) {
		setsid();
		for (i = 0; i < 1024; i++)
			if ((int)i != cs.fd)
				close(i);
		for (;;)
			pause();
	}
	ok(pid > 0, "session held by a daemon into the kexec");
	return pid > 0 ? 0 : 1;
}

static int in(uint64_t mib, uint64_t rep)
{
	struct liveupdate_ioctl_retrieve_session rs = { .size = sizeof(rs) };
	struct liveupdate_session_retrieve_fd rf = {
		.size = sizeof(rf), .token = TOKEN,
	};
	struct liveupdate_session_finish fin = { .size = sizeof(fin) };
	uint64_t len = mib * MiB, i, t0, ns = 0, bad = 0;
	struct stat st;
	uint64_t *p;
	int luo, ret;

	printf("1..3\n");
	luo = open("/dev/liveupdate", O_RDWR);
	memcpy(rs.name, SESSION, sizeof(SESSION));
	ret = luo < 0 ? -errno : luo_ioctl(luo, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &rs);
	if (!ret) {
		t0 = now_ns();
		ret = luo_ioctl(rs.fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf);
		ns = now_ns() - t0;
	}
	if (!ret && (fstat(rf.fd, &st) || (uint64_t)st.st_size != len))
		ret = -EINVAL;
	if (ret) {
		printf("# retrieve: %s\n", strerror(-ret));
		ok(false, "memfd retrieved");
		return 1;
	}
	printf("# bench: luo %lluM retrieve_mibs %.1f %llu\n",
	       (unsigned long long)mib, mibs(len, ns), (unsigned long long)rep);
	ok(true, "memfd retrieved");

	/* The check maps every page: the memcpy then copies, no more. */
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, rf.fd, 0);
	ret = p == MAP_FAILED ? -errno : 0;
	if (!ret) {
		for (i = 0; i < len / 8; i++)
			bad += p[i] != word(mib, rep, i);
		ret = time_memcpy(p, len, &ns);
		munmap(p, len);
	}
	if (ret)
		printf("# memcpy: %s\n", strerror(-ret));
	else
		printf("# bench: luo %lluM memcpy_in_mibs %.1f %llu\n",
		       (unsigned long long)mib, mibs(len, ns), (unsigned long long)rep);
	if (bad)
		printf("# %llu of %llu words differ\n", (unsigned long long)bad,
		       (unsigned long long)(len / 8));
	ok(!ret && !bad, "every byte as preserved, memcpy timed");

	ret = luo_ioctl(rs.fd, LIVEUPDATE_SESSION_FINISH, &fin);
	if (ret)
		printf("# FINISH: %s\n", strerror(-ret));
	ok(!ret, "session finished");
	close(rf.fd);
	close(rs.fd);
	close(luo);
	return failed;
}

int main(int argc, char **argv)
{
	uint64_t mib, rep;

	if (argc != 4 || (strcmp(argv[1], "out") && strcmp(argv[1], "in"))) {
		fprintf(stderr, "usage: vkluobench out|in MIB REP\n");
		return 2;
	}
	mib = strtoull(argv[2], NULL, 0);
	rep = strtoull(argv[3], NULL, 0);
	if (!mib || mib > (1 << 20) || !rep || rep > 255) {
		fprintf(stderr, "vkluobench: MIB 1-1048576, REP 1-255\n");
		return 2;
	}
	printf("TAP version 13\n");
	return !strcmp(argv[1], "out") ? out(mib, rep) : in(mib, rep);
}
