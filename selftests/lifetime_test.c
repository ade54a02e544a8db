// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Region lifetime and the global lock, one test per finding of issue 12
 * ("finding N" below is the numbering):
 * a freed region is never reopened (through an O_PATH fd, a still-open
 * fd or after a forced FORMAT), exclusive regions hold for /proc/self/fd
 * reopens too, FORMAT racing close leaves exact accounting, nothing
 * blocks the lock while copying to user memory or zeroing, and FINISH
 * --all asks capable() at most once.  Needs root, the pool of
 * lifetime.plan and no other regions; regions made here are "lt-*" and
 * freed in the teardown.  FORMAT tests format pool 0.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

FIXTURE(lifetime) {
	int dev;
};

FIXTURE_SETUP(lifetime)
{
	struct vmkeep_pool_info pool;

	self->dev = vk_open();
	ASSERT_LE(0, self->dev) TH_LOG("open /dev/vmkeep: %s", strerror(errno));
	if (vk_pool(self->dev, 0, &pool))
		SKIP(return, "no pool");
}

FIXTURE_TEARDOWN(lifetime)
{
	struct vmkeep_region_info *r;
	uint32_t n, i;

	vk_ioctl(self->dev, VMKEEP_IOC_THAW, &(struct vmkeep_thaw){ .size = 8 });
	r = vk_list(self->dev, &n);
	for (i = 0; r && i < n; i++)
		if (!strncmp(r[i].name, "lt-", 3))
			vk_free(self->dev, r[i].name);
	free(r);
	close(self->dev);
}

/* Open /proc/self/fd/@fd again; returns the new fd or -errno. */
static int reopen(int fd, int flags)
{
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = open(path, flags | O_CLOEXEC);
	return ret < 0 ? -errno : ret;
}

/* Another tenant: @uid allocates @name and fills its first page with @byte. */
static int alloc_as(int dev, const char *name, uid_t uid, int byte)
{
	char buf[4096];
	int fd, status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(1);
		fd = vk_alloc(dev, name, 2 * MiB, 0);
		if (fd < 0)
			_exit(2);
		memset(buf, byte, sizeof(buf));
		_exit(pwrite(fd, buf, sizeof(buf), 0) == sizeof(buf) ? 0 : 3);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

/* A reopened file that should not exist: say whose bytes it shows. */
static void show_leak(struct __test_metadata *_metadata, int fd)
{
	unsigned char c = 0;

	if (fd < 0)
		return;
	if (pread(fd, &c, 1, 0) == 1)
		TH_LOG("reopened a freed region: first byte %#x (uid 2000 wrote 0xb2/0xb3)", c);
	close(fd);
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "objects N files N" of the module's debugfs file. */
static int debugfs_counts(int *objects, int *files)
{
	FILE *f = fopen("/sys/kernel/debug/vmkeep/state", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "objects %d files %d", objects, files);
	fclose(f);
	return n == 2 ? 0 : -1;
}

static const char *tracing_dir(void)
{
	static const char * const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	unsigned int i;

	mount("tracefs", dirs[0], "tracefs", 0, NULL);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/kprobe_events", dirs[i]);
		if (!access(path, W_OK))
			return dirs[i];
	}
	return NULL;
}

static int tracing_write(const char *dir, const char *file, const char *s,
			 int flags)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | flags);
	if (fd < 0)
		return -errno;
	ret = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -errno;
	close(fd);
	return ret;
}

static int kprobe_add(const char *dir, const char *func)
{
	char def[128];

	snprintf(def, sizeof(def), "p:vmkeep_lt/cap %s\n", func);
	return tracing_write(dir, "kprobe_events", def, O_APPEND);
}

/* Lines of the trace buffer that are hits of the vmkeep_lt/cap kprobe. */
static int tracing_hits(const char *dir)
{
	char path[256], line[512];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += line[0] != '#' && strstr(line, " cap: ");
	fclose(f);
	return n;
}

/*
 * Test Case: FINISH --all by a uid that owns none of 50 incoming regions
 * (the plan makes them and reloads the module) calls cap_capable() at
 * most once, not once per region (finding 7: audit/AVC flood).
 */
TEST_F_TIMEOUT(lifetime, finish_all_capable, 60)
{
	int ready[2], go[2], status, hits;
	struct vmkeep_region_info *r;
	uint32_t n, i, incoming = 0;
	const char *tr = tracing_dir();
	char filter[64], c;
	pid_t pid;

	r = vk_list(self->dev, &n);
	ASSERT_NE(NULL, r);
	for (i = 0; i < n; i++)
		incoming += r[i].state == VMKEEP_STATE_INCOMING && !r[i].uid;
	free(r);
	if (incoming < 50)
		SKIP(return, "needs 50 incoming regions of root (lifetime.plan)");
	if (!tr || (kprobe_add(tr, "cap_capable") && kprobe_add(tr, "security_capable")))
		SKIP(return, "no kprobe events");

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(go[1]);
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000) ||
		    write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		status = vk_finish(self->dev, NULL, VMKEEP_FINISH_ALL);
		/* Stay until the parent stopped counting: exit is not counted. */
		if (write(ready[1], "d", 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(status ? 3 : 0);
	}
	close(go[0]);
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	snprintf(filter, sizeof(filter), "common_pid == %d\n", pid);
	ASSERT_EQ(0, tracing_write(tr, "events/vmkeep_lt/cap/filter", filter, 0));
	ASSERT_EQ(0, tracing_write(tr, "trace", "", O_TRUNC));
	ASSERT_EQ(0, tracing_write(tr, "tracing_on", "1", 0));
	ASSERT_EQ(0, tracing_write(tr, "events/vmkeep_lt/cap/enable", "1", 0));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(1, read(ready[0], &c, 1));
	tracing_write(tr, "events/vmkeep_lt/cap/enable", "0", 0);
	hits = tracing_hits(tr);
	tracing_write(tr, "kprobe_events", "-:vmkeep_lt/cap\n", O_APPEND);
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	TH_LOG("FINISH --all over %u regions of another uid: %d capable() calls", incoming, hits);
	EXPECT_GE(1, hits);
}

/*
 * Test Case: an O_PATH fd outlives its region; after FREE and another
 * tenant's ALLOC on the same memory, reopening it fails with ENOENT
 * instead of opening the other tenant's RAM (finding 1).
 */
TEST_F(lifetime, reopen_freed_realloc)
{
	int fd, opath, fd2;

	fd = vk_alloc(self->dev, "lt-old", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	opath = reopen(fd, O_PATH);
	ASSERT_LE(0, opath);
	close(fd);
	ASSERT_EQ(0, vk_free(self->dev, "lt-old"));
	ASSERT_EQ(0, alloc_as(self->dev, "lt-tenant", 2000, 0xb2));
	fd2 = reopen(opath, O_RDWR);
	EXPECT_EQ(-ENOENT, fd2);
	show_leak(_metadata, fd2);
	close(opath);
}

/*
 * Test Case: a forced FORMAT drops a region whose only trace is an O_PATH
 * fd; reopening that fd after another tenant's ALLOC fails with ENOENT
 * (finding 1).
 */
TEST_F(lifetime, reopen_after_format)
{
	struct vmkeep_format f = { .size = sizeof(f), .flags = VMKEEP_FORMAT_FORCE };
	int fd, opath, fd2;

	fd = vk_alloc(self->dev, "lt-fmt", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	opath = reopen(fd, O_PATH);
	ASSERT_LE(0, opath);
	close(fd);
	ASSERT_EQ(0, vk_ioctl(self->dev, VMKEEP_IOC_FORMAT, &f));
	ASSERT_EQ(0, alloc_as(self->dev, "lt-tenant", 2000, 0xb3));
	fd2 = reopen(opath, O_RDWR);
	EXPECT_EQ(-ENOENT, fd2);
	show_leak(_metadata, fd2);
	close(opath);
}

/*
 * Test Case: after FREE, an open file keeps working, but a new open of
 * the freed region through /proc/self/fd fails with ENOENT (finding 1).
 */
TEST_F(lifetime, reopen_open_fd_after_free)
{
	int fd, fd2;

	fd = vk_alloc(self->dev, "lt-live", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vk_free(self->dev, "lt-live"));
	fd2 = reopen(fd, O_RDWR);
	EXPECT_EQ(-ENOENT, fd2);
	if (fd2 >= 0)
		close(fd2);
	EXPECT_EQ(1, pwrite(fd, "x", 1, 0));
	close(fd);
}

/*
 * Test Case: an exclusive region has one opener at a time.  The opener
 * may reopen its own file through /proc/self/fd (stock QEMU does), also
 * through an O_PATH fd of it; once its files are closed and another
 * opener has the region, the old O_PATH fd reopens nothing (EBUSY), and
 * after FREE nothing at all (ENOENT).
 */
TEST_F(lifetime, exclusive_reopen)
{
	int fd, opath, fd2, other;

	fd = vk_alloc(self->dev, "lt-excl", 2 * MiB, VMKEEP_REGION_EXCLUSIVE);
	ASSERT_LE(0, fd);
	opath = reopen(fd, O_PATH);
	ASSERT_LE(0, opath);
	EXPECT_EQ(-EBUSY, vk_get(self->dev, "lt-excl"));
	fd2 = reopen(fd, O_RDWR);
	EXPECT_LE(0, fd2);
	if (fd2 >= 0)
		close(fd2);
	fd2 = reopen(opath, O_RDWR);
	EXPECT_LE(0, fd2);
	EXPECT_EQ(-EBUSY, vk_get(self->dev, "lt-excl"));
	if (fd2 >= 0)
		close(fd2);
	close(fd);

	/* Closed: the next opener has it, the old O_PATH fd does not. */
	other = vk_get(self->dev, "lt-excl");
	ASSERT_LE(0, other);
	fd2 = reopen(opath, O_RDWR);
	EXPECT_EQ(-EBUSY, fd2);
	if (fd2 >= 0)
		close(fd2);
	fd2 = reopen(other, O_RDWR);
	EXPECT_LE(0, fd2);
	if (fd2 >= 0)
		close(fd2);
	close(other);

	ASSERT_EQ(0, vk_free(self->dev, "lt-excl"));
	EXPECT_EQ(-ENOENT, reopen(opath, O_RDWR));
	close(opath);
}

struct blocked_ioctl {
	int dev;
	unsigned long cmd;
	void *arg;
	int ret;
};

static void *blocked_ioctl(void *p)
{
	struct blocked_ioctl *b = p;

	b->ret = vk_ioctl(b->dev, b->cmd, b->arg);
	return NULL;
}

/* What another thread must still do: STATUS, GET + close, FREEZE + THAW. */
struct others {
	int dev;
	int step;
	int ret;
};

static void *others(void *p)
{
	struct vmkeep_freeze fr = { .size = sizeof(fr) };
	struct vmkeep_thaw th = { .size = sizeof(th) };
	struct vmkeep_pool_info pool;
	struct others *o = p;
	int fd;

	o->ret = vk_pool(o->dev, 0, &pool);
	__atomic_store_n(&o->step, 1, __ATOMIC_SEQ_CST);
	fd = vk_get(o->dev, "lt-uffd");
	if (fd >= 0)
		close(fd);
	__atomic_store_n(&o->step, 2, __ATOMIC_SEQ_CST);
	o->ret = o->ret ?: vk_ioctl(o->dev, VMKEEP_IOC_FREEZE, &fr) ?:
		 vk_ioctl(o->dev, VMKEEP_IOC_THAW, &th) ?: (fd < 0 ? fd : 0);
	__atomic_store_n(&o->step, 3, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * LIST or STATUS copying out into a userfaultfd page nobody serves: the
 * ioctl blocks in the fault; STATUS, GET + close and FREEZE + THAW from
 * another thread must finish within 10 s all the same (finding 5).
 */
static void uffd_blocked(struct __test_metadata *_metadata, int dev,
			 bool status)
{
	static const char * const steps[] = {
		"STATUS", "GET + close", "FREEZE + THAW", "",
	};
	long page = sysconf(_SC_PAGESIZE);
	struct vmkeep_list l = { .size = sizeof(l) };
	struct vmkeep_status s = { .size = sizeof(s), .num_pools = 8 };
	struct blocked_ioctl b = { .dev = dev };
	struct others o = { .dev = dev };
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zp = {};
	struct pollfd pfd = { .events = POLLIN };
	pthread_t bt, ot;
	struct uffd_msg msg;
	double t0;
	void *area;
	int fd;

	fd = vk_alloc(dev, "lt-uffd", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	close(fd);
	pfd.fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (pfd.fd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(pfd.fd, UFFDIO_API, &api));
	area = mmap(NULL, page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	reg.range = (struct uffdio_range){ (uintptr_t)area, page };
	ASSERT_EQ(0, ioctl(pfd.fd, UFFDIO_REGISTER, &reg));

	l.num_regions = page / sizeof(struct vmkeep_region_info);
	l.regions = (uintptr_t)area;
	s.pools = (uintptr_t)area;
	b.cmd = status ? VMKEEP_IOC_STATUS : VMKEEP_IOC_LIST;
	b.arg = status ? (void *)&s : (void *)&l;
	ASSERT_EQ(0, pthread_create(&bt, NULL, blocked_ioctl, &b));
	ASSERT_EQ(1, poll(&pfd, 1, 10000)) TH_LOG("the ioctl did not fault on the buffer");
	ASSERT_EQ(sizeof(msg), read(pfd.fd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	ASSERT_EQ(0, pthread_create(&ot, NULL, others, &o));
	for (t0 = now(); now() - t0 < 10; usleep(10000))
		if (__atomic_load_n(&o.step, __ATOMIC_SEQ_CST) == 3)
			break;
	EXPECT_EQ(3, __atomic_load_n(&o.step, __ATOMIC_SEQ_CST))
		TH_LOG("another thread hung in %s while the ioctl waited in a fault",
		       steps[o.step & 3]);

	/* Serve the fault: everything must come unstuck. */
	zp.range = reg.range;
	ASSERT_EQ(0, ioctl(pfd.fd, UFFDIO_ZEROPAGE, &zp));
	ASSERT_EQ(0, pthread_join(bt, NULL));
	ASSERT_EQ(0, pthread_join(ot, NULL));
	EXPECT_EQ(0, b.ret);
	EXPECT_EQ(0, o.ret);
	if (!status)
		EXPECT_STREQ("lt-uffd", ((struct vmkeep_region_info *)area)->name);
	munmap(area, page);
	close(pfd.fd);
}

/* Test Case: LIST blocked copying to a userfaultfd page does not block the module (finding 5). */
TEST_F_TIMEOUT(lifetime, uffd_list, 60)
{
	uffd_blocked(_metadata, self->dev, false);
}

/* Test Case: STATUS blocked copying to a userfaultfd page does not block the module (finding 5). */
TEST_F_TIMEOUT(lifetime, uffd_status, 60)
{
	uffd_blocked(_metadata, self->dev, true);
}

/* Zeroing 1 GiB takes ~0.6 s under TCG, seconds when first touched. */
static uint64_t big_len(const struct vmkeep_pool_info *pool)
{
	uint64_t len = (pool->free - 32 * MiB) & ~(VMKEEP_ALIGN - 1);

	return len < 1024 * MiB ? len : 1024 * MiB;
}

/* Until a child's ALLOC has taken its memory (or returned, or 10 s). */
static int wait_reserved(int dev, const struct vmkeep_pool_info *before,
			 struct vmkeep_pool_info *during, int done)
{
	double t0 = now();
	int ret;

	do {
		ret = vk_pool(dev, 0, during);
	} while (!ret && during->free == before->free && !readable(done) &&
		 now() - t0 < 10);
	return ret;
}

/* ALLOC in a child: a byte on @started before it, the seconds it took on @done after. */
static pid_t alloc_child(int dev, const char *name, uint64_t len,
			 int started, int done)
{
	pid_t pid = fork();
	double t0, t;
	int fd;

	if (pid)
		return pid;
	if (write(started, "s", 1) != 1)
		_exit(1);
	t0 = now();
	fd = vk_alloc(dev, name, len, 0);
	t = now() - t0;
	if (write(done, &t, sizeof(t)) != sizeof(t))
		_exit(2);
	_exit(fd < 0 ? 3 : 0);
}

/*
 * Test Case: while one process's big ALLOC zeroes its memory, STATUS and
 * LIST of another return at once; the new region is not listed yet but
 * its memory counts as used (finding 6: zeroing under the lock).
 */
TEST_F_TIMEOUT(lifetime, alloc_outside_lock, 120)
{
	struct vmkeep_pool_info before, during;
	struct vmkeep_region_info info;
	int started[2], done[2], status, listed;
	double t0, t_status, t_alloc;
	uint64_t len;
	bool returned;
	pid_t pid;
	char c;

	ASSERT_EQ(0, vk_pool(self->dev, 0, &before));
	len = big_len(&before);
	ASSERT_EQ(0, pipe(started));
	ASSERT_EQ(0, pipe(done));
	pid = alloc_child(self->dev, "lt-big", len, started[1], done[1]);
	ASSERT_LE(0, pid);
	ASSERT_EQ(1, read(started[0], &c, 1));
	t0 = now();
	ASSERT_EQ(0, wait_reserved(self->dev, &before, &during, done[0]));
	listed = vk_find(self->dev, "lt-big", &info);
	t_status = now() - t0;
	returned = readable(done[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	ASSERT_EQ(sizeof(t_alloc), read(done[0], &t_alloc, sizeof(t_alloc)));
	TH_LOG("ALLOC of %llu MiB took %.2f s; STATUS + LIST during it %.2f s",
	       (unsigned long long)(len / MiB), t_alloc, t_status);
	/*
	 * ALLOC clears nothing now (first touch): it may list the region
	 * before its child reports back, so "returned" may lag.
	 */
	if (t_alloc < 0.1)
		SKIP(return, "ALLOC too fast to watch");
	EXPECT_FALSE(returned) TH_LOG("STATUS and LIST waited for the ALLOC");
	EXPECT_EQ(-ENOENT, listed);
	EXPECT_EQ(before.free - len, during.free);
}

/*
 * Test Case: SIGKILL during a big ALLOC ends it: no region of that name
 * is left and the pool's free bytes are back (finding 6: not killable).
 */
TEST_F_TIMEOUT(lifetime, alloc_killable, 120)
{
	struct vmkeep_pool_info before, after;
	struct vmkeep_region_info info;
	int started[2], done[2], status;
	uint64_t len;
	double t0;
	pid_t pid;
	char c;

	ASSERT_EQ(0, vk_pool(self->dev, 0, &before));
	len = big_len(&before);
	ASSERT_EQ(0, pipe(started));
	ASSERT_EQ(0, pipe(done));
	pid = alloc_child(self->dev, "lt-kill", len, started[1], done[1]);
	ASSERT_LE(0, pid);
	ASSERT_EQ(1, read(started[0], &c, 1));
	usleep(50000);
	if (readable(done[0]))
		SKIP(return, "ALLOC of %llu MiB returned within 50 ms",
		     (unsigned long long)(len / MiB));
	t0 = now();
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	TH_LOG("SIGKILL took %.2f s to end the ALLOC of %llu MiB", now() - t0,
	       (unsigned long long)(len / MiB));
	/* A fast ALLOC (first-touch clearing) may finish before the kill. */
	if (!vk_find(self->dev, "lt-kill", &info)) {
		vk_free(self->dev, "lt-kill");
		SKIP(return, "ALLOC finished before the SIGKILL");
	}
	ASSERT_EQ(0, vk_pool(self->dev, 0, &after));
	EXPECT_EQ(before.free, after.free);
}

/*
 * Test Case: a FREEZE that comes while an ALLOC zeroes makes that ALLOC
 * fail (EBUSY) without writing the metadata again: the generation FREEZE
 * left is the one the kexec finds.
 */
TEST_F_TIMEOUT(lifetime, freeze_during_alloc, 120)
{
	struct vmkeep_freeze fr = { .size = sizeof(fr) };
	struct vmkeep_pool_info before, frozen, after;
	int started[2], done[2], status;
	uint64_t len;
	pid_t pid;
	char c;

	ASSERT_EQ(0, vk_pool(self->dev, 0, &before));
	len = big_len(&before);
	ASSERT_EQ(0, pipe(started));
	ASSERT_EQ(0, pipe(done));
	pid = alloc_child(self->dev, "lt-frz", len, started[1], done[1]);
	ASSERT_LE(0, pid);
	ASSERT_EQ(1, read(started[0], &c, 1));
	ASSERT_EQ(0, wait_reserved(self->dev, &before, &frozen, done[0]));
	ASSERT_EQ(0, vk_ioctl(self->dev, VMKEEP_IOC_FREEZE, &fr));
	ASSERT_EQ(0, vk_pool(self->dev, 0, &frozen));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		SKIP(return, "ALLOC finished before the FREEZE");
	EXPECT_EQ(3, WEXITSTATUS(status));
	ASSERT_EQ(0, vk_pool(self->dev, 0, &after));
	EXPECT_EQ(frozen.generation, after.generation);
	EXPECT_EQ(before.free, after.free);
}

static uint32_t status_flags(int dev)
{
	struct vmkeep_status s = { .size = sizeof(s) };

	/* num_pools 0: EMSGSIZE, with the flags and the count. */
	vk_ioctl(dev, VMKEEP_IOC_STATUS, &s);
	return s.out_flags;
}

/* A FREEZE in a child, which may wait for the zeroer; its errno on exit. */
static pid_t freeze_child(int dev)
{
	struct vmkeep_freeze fr = { .size = sizeof(fr) };
	pid_t pid = fork();

	if (!pid)
		_exit(-vk_ioctl(dev, VMKEEP_IOC_FREEZE, &fr));
	return pid;
}

/*
 * Test Case: two FREEZEs that overlap while the zeroer clears a new
 * region, both killed: neither froze the module for good, so it is not
 * frozen afterwards and ALLOC works (issue 21, item 6: the first one's
 * undo was skipped because the second had come, and the second had not
 * frozen it).
 */
TEST_F_TIMEOUT(lifetime, freeze_killed_twice, 120)
{
	struct vmkeep_pool_info before;
	int fd, i, status[2];
	pid_t pid[2];
	uint64_t len;

	ASSERT_EQ(0, vk_pool(self->dev, 0, &before));
	len = big_len(&before);
	fd = vk_alloc(self->dev, "lt-fz", len, 0);
	ASSERT_LE(0, fd);
	close(fd);
	for (i = 0; i < 2; i++) {
		pid[i] = freeze_child(self->dev);
		ASSERT_LE(0, pid[i]);
	}
	usleep(100000);
	for (i = 0; i < 2; i++) {
		if (waitpid(pid[i], &status[i], WNOHANG) == pid[i])
			SKIP(return, "a FREEZE returned within 100 ms (the zeroer was done)");
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, kill(pid[i], SIGKILL));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status[i], 0));
		EXPECT_TRUE(WIFSIGNALED(status[i]));
	}
	EXPECT_FALSE(status_flags(self->dev) & VMKEEP_STATUS_FROZEN)
		TH_LOG("two killed FREEZEs left the module frozen");
	fd = vk_alloc(self->dev, "lt-fz2", 2 * MiB, 0);
	EXPECT_LE(0, fd) TH_LOG("ALLOC after two killed FREEZEs: %s", strerror(-fd));
	if (fd >= 0)
		close(fd);
}

struct format_thread {
	int dev;
	int ret;
	double took;
	int done;
};

static void *format_thread(void *p)
{
	struct vmkeep_format f = { .size = sizeof(f), .flags = VMKEEP_FORMAT_FORCE };
	struct format_thread *t = p;
	double t0 = now();

	t->ret = vk_ioctl(t->dev, VMKEEP_IOC_FORMAT, &f);
	t->took = now() - t0;
	__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * Test Case: a forced FORMAT of a pool of many regions, each with a
 * device node, does not hold the global lock while it removes the
 * nodes: STATUS from another thread during it waits a small part of the
 * FORMAT's time (issue 21, item 6: device_unregister() per region under
 * vmkeep_lock; load made them the same way).
 */
TEST_F_TIMEOUT(lifetime, format_nodes_unlocked, 300)
{
	struct format_thread t = { .dev = self->dev };
	struct vmkeep_pool_info pool;
	double t0, wait, worst = 0;
	unsigned int i, n, calls = 0;
	char name[VMKEEP_NAME_LEN];
	pthread_t th;
	int fd;

	ASSERT_EQ(0, vk_pool(self->dev, 0, &pool));
	n = (pool.free - 16 * MiB) / (2 * MiB);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "lt-n-%u", i);
		fd = vk_alloc(self->dev, name, 2 * MiB, 0);
		ASSERT_LE(0, fd) TH_LOG("%s", name);
		close(fd);
	}
	ASSERT_EQ(0, access("/dev/vmkeep-region/lt-n-0", F_OK));
	ASSERT_EQ(0, pthread_create(&th, NULL, format_thread, &t));
	while (!__atomic_load_n(&t.done, __ATOMIC_SEQ_CST)) {
		t0 = now();
		ASSERT_EQ(0, vk_pool(self->dev, 0, &pool));
		wait = now() - t0;
		worst = wait > worst ? wait : worst;
		calls++;
	}
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(0, t.ret);
	TH_LOG("FORMAT of %u regions with nodes took %.3f s; %u STATUS meanwhile, the slowest %.3f s",
	       n, t.took, calls, worst);
	EXPECT_NE(0, access("/dev/vmkeep-region/lt-n-0", F_OK));
	ASSERT_EQ(0, vk_pool(self->dev, 0, &pool));
	EXPECT_EQ(0U, pool.nr_regions);
	if (t.took < 0.05)
		SKIP(return, "FORMAT too fast to watch");
	EXPECT_LT(worst, t.took / 2);
}

/*
 * Test Case: an inotify watch kept on a region file (through
 * /proc/self/fd/N) holds its inode past the close; dropping the watch
 * last must not hang (the pseudo filesystem's shutdown waited on the
 * watch the closing thread itself was dropping), and the module unloads
 * afterwards as usual.  Found by review.
 */
TEST_F_TIMEOUT(lifetime, inotify_last, 30)
{
	char path[64];
	int fd, ifd;

	fd = vk_alloc(self->dev, "lt-ino", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	ifd = inotify_init1(IN_CLOEXEC);
	ASSERT_LE(0, ifd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ASSERT_LE(0, inotify_add_watch(ifd, path, IN_ALL_EVENTS));
	close(fd);
	ASSERT_EQ(0, vk_free(self->dev, "lt-ino"));
	EXPECT_EQ(0, close(ifd));
}

#define RACE_SECONDS	5

/*
 * Test Case: FORMAT --force racing GET + close of the region it drops:
 * no region survives a format (LIST shows none, FREE finds none), and
 * afterwards the pool's accounting and the module's object counts are
 * exact (finding 4).  Runs RACE_SECONDS; last, as a ghost breaks the
 * pool for ALLOC.
 */
TEST_F_TIMEOUT(lifetime, format_race_close, 60)
{
	struct vmkeep_format f = { .size = sizeof(f), .flags = VMKEEP_FORMAT_FORCE };
	int i, fd, status, formats = 0, ghosts = 0, objects = -1, files = -1;
	struct vmkeep_pool_info before, after;
	struct vmkeep_region_info info;
	time_t end;
	pid_t pid[3];

	ASSERT_EQ(0, vk_pool(self->dev, 0, &before));
	ASSERT_EQ(0U, before.nr_regions);
	fd = vk_alloc(self->dev, "lt-race", 2 * MiB, 0);
	ASSERT_LE(0, fd);
	close(fd);
	end = time(NULL) + RACE_SECONDS;
	for (i = 0; i < 3; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			while (time(NULL) < end) {
				fd = vk_get(self->dev, "lt-race");
				if (fd >= 0)
					close(fd);
			}
			_exit(0);
		}
	}
	while (time(NULL) < end) {
		if (vk_ioctl(self->dev, VMKEEP_IOC_FORMAT, &f))
			continue;
		formats++;
		if (!vk_find(self->dev, "lt-race", &info) ||
		    !vk_free(self->dev, "lt-race"))
			ghosts++;
		fd = vk_alloc(self->dev, "lt-race", 2 * MiB, 0);
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < 3; i++)
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
	TH_LOG("%d forced formats, %d regions survived one", formats, ghosts);
	EXPECT_EQ(0, ghosts);
	vk_free(self->dev, "lt-race");
	ASSERT_EQ(0, vk_pool(self->dev, 0, &after));
	EXPECT_EQ(0U, after.nr_regions);
	EXPECT_EQ(before.free, after.free);
	ASSERT_EQ(0, debugfs_counts(&objects, &files));
	EXPECT_EQ(0, objects);
	EXPECT_EQ(0, files);
}

TEST_HARNESS_MAIN
