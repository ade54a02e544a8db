// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeep's own tests of its /dev/liveupdate (module parameter luo=1),
 * for what mainline's tools/testing/selftests/liveupdate does not cover:
 * a memfd's size, bytes, file position and seals across the kexec, a
 * region file in a session, what a preserved file may still do, who may
 * preserve what, VMKEEP_IOC_LUO_LIST, and damaged live update state
 * (plan: luo-vmkeep.plan, one pool of 64 MiB; vkcorrupt damages the
 * tables between the kexec and the load that reads them).
 *
 * Stage 1: the checks on outgoing sessions, then the sessions the kexec
 * hands over, held by a daemon as mainline's daemonize_and_wait() holds
 * them: "vk-luo" (a memfd of 3 MiB + 100 bytes at position 12345, one
 * sealed as systemd's token 0, an empty one, a region of 4 MiB) and one
 * small session per damage case.  Stage 2: "vk-luo" retrieved, checked,
 * finished; the damaged sessions as vkcorrupt left them; a new session
 * for stage 3, whose tables vkcorrupt erases.  The stage comes from
 * VMKEEP_TEST_STAGE (the VM's /init).
 */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <linux/liveupdate.h>

#include "kselftest_harness.h"
#include "vmkeep_util.h"

#define MAIN		"vk-luo"
#define REGION		"vk-luo-reg"
#define FACTS		"vk-luo-facts"
#define BIG_SIZE	(3 * MiB + 100)
#define BIG_POS		12345
#define REG_SIZE	(4 * MiB)
/* Written into the big memfd after it was preserved: it must arrive. */
#define LATE_OFF	(2 * MiB + 7)
#define LATE		"written-after-PRESERVE_FD"
/* And through a shared mapping made before PRESERVE_FD. */
#define MAPPED_OFF	(100 * 1000)
#define MAPPED		"stored-through-a-mapping"
#define TOKEN0		"{\"version\":1,\"fdstore\":[\"vk-luo\"]}"
#define SYSTEMD_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

enum { T_TOKEN0, T_BIG, T_EMPTY, T_REGION, NR_MAIN };

/*
 * One session per damage case, each with one memfd (token 7): vkcorrupt
 * breaks "vk-rep"'s record in copy A, "vk-crc"'s in both copies and a
 * byte of "vk-data"'s memfd; "vk-drop" is never retrieved.  "vk-two" is
 * stage 2's, in the set whose headers vkcorrupt erases.
 */
static const char * const damage[] = { "vk-rep", "vk-crc", "vk-data", "vk-drop" };
#define D_TOKEN		7
#define D_SIZE		(8192 + 17)

/* In the region FACTS: what a later stage compares with. */
struct facts {
	uint64_t magic;
	uint64_t free[4];	/* pool 0's free bytes, sessions held, by stage */
};
#define FACTS_MAGIC	0x7374636166756c76ULL

static int stage(void)
{
	const char *s = getenv("VMKEEP_TEST_STAGE");

	return s ? atoi(s) : 1;
}

#define NEED_STAGE(n) do {						\
	if (stage() != (n))						\
		SKIP(return, "stage %d only", (n));			\
} while (0)

static uint8_t big_byte(uint64_t off)
{
	return vk_pattern(MAIN, off & ~7ULL) >> (8 * (off & 7));
}

static uint8_t small_byte(const char *name, uint64_t off)
{
	return vk_pattern(name, off & ~7ULL) >> (8 * (off & 7));
}

static int luo_open(void)
{
	return open("/dev/liveupdate", O_RDWR);
}

static int luo_session(int luo, unsigned long cmd, const char *name)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a) };

	memcpy(a.name, name, strnlen(name, sizeof(a.name) - 1));
	if (ioctl(luo, cmd, &a))
		return -errno;
	return a.fd;
}

static int luo_create(int luo, const char *name)
{
	return luo_session(luo, LIVEUPDATE_IOCTL_CREATE_SESSION, name);
}

static int luo_retrieve(int luo, const char *name)
{
	return luo_session(luo, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, name);
}

static int luo_preserve(int s, int fd, uint64_t token)
{
	struct liveupdate_session_preserve_fd a = {
		.size = sizeof(a), .fd = fd, .token = token,
	};

	return ioctl(s, LIVEUPDATE_SESSION_PRESERVE_FD, &a) ? -errno : 0;
}

static int luo_get(int s, uint64_t token)
{
	struct liveupdate_session_retrieve_fd a = {
		.size = sizeof(a), .token = token,
	};

	if (ioctl(s, LIVEUPDATE_SESSION_RETRIEVE_FD, &a))
		return -errno;
	return a.fd;
}

static int luo_finish(int s)
{
	struct liveupdate_session_finish a = { .size = sizeof(a) };

	return ioctl(s, LIVEUPDATE_SESSION_FINISH, &a) ? -errno : 0;
}

/* VMKEEP_IOC_LUO_LIST, room for 64 sessions and 256 files. */
struct luo_list {
	struct vmkeep_luo_list l;
	struct vmkeep_luo_session_info s[64];
	struct vmkeep_luo_file_info f[256];
};

static int luo_list(struct luo_list *out)
{
	int dev = vk_open(), ret;

	if (dev < 0)
		return -errno;
	memset(out, 0, sizeof(*out));
	out->l.size = sizeof(out->l);
	out->l.num_sessions = ARRAY_SIZE(out->s);
	out->l.num_files = ARRAY_SIZE(out->f);
	out->l.sessions = (uintptr_t)out->s;
	out->l.files = (uintptr_t)out->f;
	ret = vk_ioctl(dev, VMKEEP_IOC_LUO_LIST, &out->l);
	close(dev);
	return ret;
}

/* Index of session @name in @l, or -1. */
static int list_find(const struct luo_list *l, const char *name)
{
	uint32_t i;

	for (i = 0; i < l->l.num_sessions; i++)
		if (!strcmp(l->s[i].name, name))
			return i;
	return -1;
}

/* The file of session @idx with @token, or NULL. */
static const struct vmkeep_luo_file_info *list_file(const struct luo_list *l,
						    int idx, uint64_t token)
{
	uint32_t i;

	for (i = 0; i < l->l.num_files; i++)
		if ((int)l->f[i].session == idx && l->f[i].token == token)
			return &l->f[i];
	return NULL;
}

static uint64_t pool_free(void)
{
	struct vmkeep_pool_info p = {};
	int dev = vk_open();

	if (dev < 0 || vk_pool(dev, 0, &p))
		p.free = ~0ULL;
	close(dev);
	return p.free;
}

/* The FACTS region's contents (the region is made on first use). */
static int facts_rw(struct facts *f, bool write)
{
	int dev = vk_open(), fd;
	ssize_t n;

	if (dev < 0)
		return -1;
	fd = vk_get(dev, FACTS);
	if (fd < 0 && write)
		fd = vk_alloc(dev, FACTS, 2 * MiB, 0);
	close(dev);
	if (fd < 0)
		return -1;
	n = write ? pwrite(fd, f, sizeof(*f), 0) : pread(fd, f, sizeof(*f), 0);
	close(fd);
	return n == sizeof(*f) && f->magic == FACTS_MAGIC ? 0 : -1;
}

static int memfd_with(const char *name, unsigned int flags, uint64_t size,
		      uint8_t (*byte)(const char *, uint64_t), const char *key)
{
	int fd = memfd_create(name, flags);
	char buf[4096];
	uint64_t off, i;

	if (fd < 0 || ftruncate(fd, size))
		return -1;
	for (off = 0; off < size; off += sizeof(buf)) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = byte(key, off + i);
		if (pwrite(fd, buf, size - off < sizeof(buf) ? size - off : sizeof(buf),
			   off) < 0)
			return -1;
	}
	return fd;
}

static uint8_t big_of(const char *key, uint64_t off)
{
	(void)key;
	return big_byte(off);
}

/* The big memfd as it must come back: with the write after PRESERVE_FD. */
static uint8_t big_late(const char *key, uint64_t off)
{
	(void)key;
	if (off >= LATE_OFF && off < LATE_OFF + strlen(LATE))
		return LATE[off - LATE_OFF];
	if (off >= MAPPED_OFF && off < MAPPED_OFF + strlen(MAPPED))
		return MAPPED[off - MAPPED_OFF];
	return big_byte(off);
}

/* The big memfd: MFD_ALLOW_SEALING, no seal, the pattern, position 12345. */
static int big_memfd(void)
{
	int fd = memfd_with("vk-big", MFD_ALLOW_SEALING, BIG_SIZE, big_of, NULL);

	if (fd >= 0 && lseek(fd, BIG_POS, SEEK_SET) != BIG_POS)
		return -1;
	return fd;
}

/* systemd's token 0: a sealed JSON memfd, position at its end. */
static int token0_memfd(void)
{
	int fd = memfd_create("vk-token0", MFD_ALLOW_SEALING | MFD_CLOEXEC);

	if (fd < 0 || write(fd, TOKEN0, strlen(TOKEN0)) != (ssize_t)strlen(TOKEN0) ||
	    fcntl(fd, F_ADD_SEALS, SYSTEMD_SEALS))
		return -1;
	return fd;
}

static int small_memfd(const char *name)
{
	return memfd_with(name, MFD_ALLOW_SEALING, D_SIZE, small_byte, name);
}

/* The region of the main session: 4 MiB with its pattern. */
static int region_fd(int dev)
{
	uint64_t off, w;
	int fd = vk_alloc(dev, REGION, REG_SIZE, 0);

	for (off = 0; fd >= 0 && off < REG_SIZE; off += 4096) {
		w = vk_pattern(REGION, off);
		if (pwrite(fd, &w, 8, off) != 8)
			return -1;
	}
	return fd;
}

static void check_bytes(struct __test_metadata *_metadata, int fd,
			uint64_t size, uint8_t (*byte)(const char *, uint64_t),
			const char *key)
{
	static char buf[65536];
	uint64_t off, i, bad = 0, first = 0;
	ssize_t n;

	for (off = 0; off < size; off += n) {
		n = pread(fd, buf, sizeof(buf), off);
		ASSERT_LT(0, n) TH_LOG("pread at %llu", (unsigned long long)off);
		for (i = 0; i < (uint64_t)n; i++) {
			if ((uint8_t)buf[i] != byte(key, off + i) && !bad++)
				first = off + i;
		}
	}
	EXPECT_EQ(0, bad) TH_LOG("%s: %llu bytes differ, the first at %llu", key ?: MAIN,
				 (unsigned long long)bad, (unsigned long long)first);
	EXPECT_EQ(0, pread(fd, buf, 1, size)) TH_LOG("a byte past the end");
}

/* systemd knows a session fd by its link: "anon_inode:[luo_session] NAME". */
static int check_session_name(int fd, const char *name)
{
	char path[64], link[128], want[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	snprintf(want, sizeof(want), "anon_inode:[luo_session] %s", name);
	return strcmp(link, want) ? -EINVAL : 0;
}

/* A session fd lives on in a daemon that holds @fds and nothing else. */
static pid_t hold(int *fds, int n)
{
	pid_t pid = fork();
	int fd, i, keep;

	if (pid)
		return pid;
	setsid();
	for (fd = 0; fd < 1024; fd++) {
		for (i = 0, keep = 0; i < n; i++)
			keep |= fds[i] == fd;
		if (!keep)
			close(fd);
	}
	for (;;)
		pause();
}

/*
 * Test Case: /dev/liveupdate is root's (0600): a process of another uid
 * cannot open it, so it can neither make nor retrieve a session.
 */
TEST(s1_second_uid)
{
	struct stat st;
	int status;
	pid_t pid;

	NEED_STAGE(1);
	ASSERT_EQ(0, stat("/dev/liveupdate", &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(1);
		_exit(open("/dev/liveupdate", O_RDWR) < 0 && errno == EACCES ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("uid 65534 opened /dev/liveupdate");
}

/*
 * The kernel's own freeze of a memfd's mapping (SHMEM_F_MAPPING_FROZEN,
 * as mainline's memfd_luo_preserve() uses it) came after 6.12; without it
 * vmkeep seals the memfd's size, and a seal once given is never taken
 * away (whoever checked F_GET_SEALS may rely on it).
 */
static bool kernel_freezes(void)
{
	struct utsname u;

	return !uname(&u) && atoi(u.release) >= 7;
}

/*
 * Test Case: a preserved memfd keeps its size (ftruncate, a write past
 * the end and fallocate past it fail EPERM) and takes writes inside it.
 * 7.x: its seals are its own while preserved, and closing its session
 * thaws it (it grows again).  6.x: F_SEAL_GROW and F_SEAL_SHRINK are
 * added and stay after the session is closed.  Either way a sealed memfd
 * keeps its own seals, and an unpreserved memfd may be preserved again.
 */
TEST(s1_frozen_then_thawed)
{
	int luo = luo_open(), s, big, tok, frozen_seals;
	bool freeze = kernel_freezes();
	char c = 'x';

	NEED_STAGE(1);
	ASSERT_LE(0, luo);
	big = big_memfd();
	tok = token0_memfd();
	ASSERT_LE(0, big);
	ASSERT_LE(0, tok);
	ASSERT_EQ(0, fcntl(big, F_GET_SEALS));
	frozen_seals = freeze ? 0 : F_SEAL_GROW | F_SEAL_SHRINK;
	TH_LOG("%s", freeze ? "mapping frozen by the kernel" : "size sealed");
	s = luo_create(luo, "vk-t-frozen");
	ASSERT_LE(0, s);
	ASSERT_EQ(0, luo_preserve(s, big, 1));
	ASSERT_EQ(0, luo_preserve(s, tok, 0));
	EXPECT_EQ(frozen_seals, fcntl(big, F_GET_SEALS));
	EXPECT_EQ(SYSTEMD_SEALS, fcntl(tok, F_GET_SEALS));
	EXPECT_EQ(-1, ftruncate(big, BIG_SIZE + 1));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ftruncate(big, 4096));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, pwrite(big, &c, 1, BIG_SIZE));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, fallocate(big, 0, 0, BIG_SIZE + 4096));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(1, pwrite(big, &c, 1, BIG_SIZE - 1));
	/* An outgoing session cannot retrieve or finish. */
	EXPECT_EQ(-EINVAL, luo_get(s, 1));
	EXPECT_EQ(-EINVAL, luo_finish(s));
	ASSERT_EQ(0, close(s));
	EXPECT_EQ(frozen_seals, fcntl(big, F_GET_SEALS));
	EXPECT_EQ(SYSTEMD_SEALS, fcntl(tok, F_GET_SEALS));
	EXPECT_EQ(freeze ? 0 : -1, ftruncate(big, BIG_SIZE + 4096));
	EXPECT_EQ(-1, ftruncate(tok, 0));
	/* Unpreserved, it can go into a session again. */
	s = luo_create(luo, "vk-t-frozen");
	ASSERT_LE(0, s);
	EXPECT_EQ(0, luo_preserve(s, big, 1));
	close(s);
	close(big);
	close(tok);
	close(luo);
}

/*
 * Test Case: 6.x seals a preserved memfd's size for good, so only who may
 * write it may preserve it (F_ADD_SEALS needs FMODE_WRITE too): a
 * read-only fd of it gives EPERM and leaves it as it was.  7.x freezes it
 * only while preserved, as mainline does, from any fd.
 */
TEST(s1_read_only_memfd)
{
	int luo = luo_open(), s, big, ro;
	bool freeze = kernel_freezes();
	char path[64];

	NEED_STAGE(1);
	ASSERT_LE(0, luo);
	big = big_memfd();
	ASSERT_LE(0, big);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", big);
	ro = open(path, O_RDONLY);
	ASSERT_LE(0, ro);
	s = luo_create(luo, "vk-t-ro");
	ASSERT_LE(0, s);
	EXPECT_EQ(freeze ? 0 : -EPERM, luo_preserve(s, ro, 1));
	EXPECT_EQ(0, fcntl(big, F_GET_SEALS));
	close(s);
	EXPECT_EQ(0, fcntl(big, F_GET_SEALS));
	EXPECT_EQ(0, ftruncate(big, BIG_SIZE + 4096));
	close(ro);
	close(big);
	close(luo);
}

/*
 * Test Case: a file is in one session only, whatever fd names it: the
 * same memfd under a second token, in a second session, through a
 * /proc/self/fd reopen; the region through its fd, a reopen and its
 * device node: EBUSY.  An O_PATH fd is no file to preserve (EBADF, as
 * mainline's fget() gives), nor are a tmpfs file with a name, a
 * hugetlbfs memfd (mainline refuses MFD_HUGETLB), /dev/vmkeep and a
 * session fd (ENOENT).
 */
TEST(s1_one_session_per_file)
{
	int luo = luo_open(), dev = vk_open(), a, b, mfd, reg, fd, hfd;
	char path[64];

	NEED_STAGE(1);
	ASSERT_LE(0, luo);
	ASSERT_LE(0, dev);
	mfd = small_memfd("vk-t-busy");
	ASSERT_LE(0, mfd);
	reg = vk_alloc(dev, "vk-t-busy", 2 * MiB, 0);
	ASSERT_LE(0, reg);
	a = luo_create(luo, "vk-t-busy-a");
	b = luo_create(luo, "vk-t-busy-b");
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, luo_preserve(a, mfd, 1));
	ASSERT_EQ(0, luo_preserve(a, reg, 2));
	EXPECT_EQ(-EEXIST, luo_preserve(a, mfd, 1));
	EXPECT_EQ(-EBUSY, luo_preserve(a, mfd, 3));
	EXPECT_EQ(-EBUSY, luo_preserve(b, mfd, 1));
	EXPECT_EQ(-EBUSY, luo_preserve(b, reg, 2));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBUSY, luo_preserve(b, fd, 1));
	close(fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", reg);
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBUSY, luo_preserve(b, fd, 2));
	close(fd);
	fd = open("/dev/vmkeep-region/vk-t-busy", O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBUSY, luo_preserve(b, fd, 2));
	close(fd);
	fd = open(path, O_PATH);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADF, luo_preserve(b, fd, 4));
	close(fd);
	fd = open("/tmp/vk-t-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, luo_preserve(b, fd, 5));
	close(fd);
	unlink("/tmp/vk-t-file");
	hfd = memfd_create("vk-t-huge", MFD_HUGETLB);
	if (hfd >= 0) {
		EXPECT_EQ(-ENOENT, luo_preserve(b, hfd, 6));
		close(hfd);
	} else {
		TH_LOG("no MFD_HUGETLB here (%s): not tried", strerror(errno));
	}
	EXPECT_EQ(-ENOENT, luo_preserve(b, dev, 7));
	EXPECT_EQ(-ENOENT, luo_preserve(b, a, 8));
	EXPECT_EQ(-EBADF, luo_preserve(b, 1000, 9));
	close(a);
	/* Unpreserved with its session: the other session may have it now. */
	EXPECT_EQ(0, luo_preserve(b, mfd, 1));
	EXPECT_EQ(0, luo_preserve(b, reg, 2));
	close(b);
	close(mfd);
	close(reg);
	EXPECT_EQ(0, vk_free(dev, "vk-t-busy"));
	close(dev);
	close(luo);
}

/*
 * Test Case: VMKEEP_IOC_LUO_LIST of outgoing sessions: state, set 0,
 * files with kind, token, size and region id, the pool bytes the memfds
 * hold; too little room is EMSGSIZE with the counts; no session is left
 * once its fd is closed.
 */
TEST(s1_list_outgoing)
{
	int luo = luo_open(), dev = vk_open(), s, big, empty, reg, i;
	struct vmkeep_region_info info;
	const struct vmkeep_luo_file_info *f;
	struct vmkeep_luo_list small = { .size = sizeof(small) };
	static struct luo_list l;

	NEED_STAGE(1);
	ASSERT_LE(0, luo);
	ASSERT_LE(0, dev);
	big = big_memfd();
	empty = memfd_create("vk-t-empty", 0);
	reg = vk_alloc(dev, "vk-t-list", 2 * MiB, 0);
	ASSERT_LE(0, big);
	ASSERT_LE(0, empty);
	ASSERT_LE(0, reg);
	ASSERT_EQ(0, vk_find(dev, "vk-t-list", &info));
	s = luo_create(luo, "vk-t-list");
	ASSERT_LE(0, s);
	ASSERT_EQ(0, luo_preserve(s, big, 11));
	ASSERT_EQ(0, luo_preserve(s, empty, 12));
	ASSERT_EQ(0, luo_preserve(s, reg, 13));
	ASSERT_EQ(0, luo_list(&l));
	EXPECT_EQ(VMKEEP_LUO_ENABLED, l.l.out_flags);
	i = list_find(&l, "vk-t-list");
	ASSERT_LE(0, i);
	EXPECT_EQ(VMKEEP_LUO_OUTGOING, l.s[i].state);
	EXPECT_EQ(0, l.s[i].set);
	EXPECT_EQ(0, l.s[i].quarantine);
	EXPECT_EQ(0, l.s[i].pool);
	EXPECT_EQ(3, l.s[i].nr_files);
	EXPECT_EQ((BIG_SIZE + 4095) & ~4095ULL, l.s[i].bytes);
	f = list_file(&l, i, 11);
	ASSERT_NE(NULL, f);
	EXPECT_EQ(VMKEEP_LUO_KIND_MEMFD, f->kind);
	EXPECT_EQ(BIG_SIZE, f->size);
	EXPECT_EQ(0, f->region_id);
	f = list_file(&l, i, 12);
	ASSERT_NE(NULL, f);
	EXPECT_EQ(0, f->size);
	f = list_file(&l, i, 13);
	ASSERT_NE(NULL, f);
	EXPECT_EQ(VMKEEP_LUO_KIND_REGION, f->kind);
	EXPECT_EQ(2 * MiB, f->size);
	EXPECT_EQ(info.id, f->region_id);
	small.num_sessions = 0;
	EXPECT_EQ(-EMSGSIZE, vk_ioctl(dev, VMKEEP_IOC_LUO_LIST, &small));
	EXPECT_EQ(1, small.num_sessions);
	EXPECT_EQ(3, small.num_files);
	small.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, vk_ioctl(dev, VMKEEP_IOC_LUO_LIST, &small));
	close(s);
	ASSERT_EQ(0, luo_list(&l));
	EXPECT_EQ(-1, list_find(&l, "vk-t-list"));
	close(big);
	close(empty);
	close(reg);
	EXPECT_EQ(0, vk_free(dev, "vk-t-list"));
	close(dev);
	close(luo);
}

/*
 * Test Case: the sessions the kexec hands over, held by a daemon: "vk-luo"
 * with its four files (writes inside the big memfd after PRESERVE_FD,
 * by pwrite and through a mapping made before), and the damage cases'
 * sessions; the session fd's link is systemd's "[luo_session] NAME"; the
 * pool's free bytes go to FACTS.
 */
TEST(s1_handover)
{
	int luo = luo_open(), dev = vk_open(), fds[8], n = 0, big, tok, empty, reg, mfd;
	struct facts facts = { .magic = FACTS_MAGIC };
	char *map;
	static struct luo_list l;
	unsigned int i;
	pid_t pid;

	NEED_STAGE(1);
	ASSERT_LE(0, luo);
	ASSERT_LE(0, dev);
	/* Made first: the region's memory is not the sessions'. */
	ASSERT_EQ(-1, facts_rw(&facts, false));
	facts.magic = FACTS_MAGIC;
	ASSERT_EQ(0, facts_rw(&facts, true));
	fds[n] = luo_create(luo, MAIN);
	ASSERT_LE(0, fds[n]);
	tok = token0_memfd();
	big = big_memfd();
	empty = memfd_create("vk-empty", 0);
	reg = region_fd(dev);
	ASSERT_LE(0, tok);
	ASSERT_LE(0, big);
	ASSERT_LE(0, empty);
	ASSERT_LE(0, reg);
	map = mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, big, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, check_session_name(fds[n], MAIN));
	/* systemd's token 0 at its end, as systemd leaves it. */
	ASSERT_EQ((off_t)strlen(TOKEN0), lseek(tok, 0, SEEK_CUR));
	ASSERT_EQ(0, luo_preserve(fds[n], tok, T_TOKEN0));
	ASSERT_EQ(0, luo_preserve(fds[n], big, T_BIG));
	ASSERT_EQ(0, luo_preserve(fds[n], empty, T_EMPTY));
	ASSERT_EQ(0, luo_preserve(fds[n], reg, T_REGION));
	ASSERT_EQ((ssize_t)strlen(LATE), pwrite(big, LATE, strlen(LATE), LATE_OFF));
	memcpy(map + MAPPED_OFF, MAPPED, strlen(MAPPED));
	munmap(map, BIG_SIZE);
	/* The session holds the files: the fds may go. */
	close(tok);
	close(big);
	close(empty);
	close(reg);
	n++;
	for (i = 0; i < ARRAY_SIZE(damage); i++) {
		fds[n] = luo_create(luo, damage[i]);
		ASSERT_LE(0, fds[n]);
		mfd = small_memfd(damage[i]);
		ASSERT_LE(0, mfd);
		ASSERT_EQ(0, luo_preserve(fds[n], mfd, D_TOKEN));
		close(mfd);
		n++;
	}
	ASSERT_EQ(0, luo_list(&l));
	EXPECT_EQ(1 + ARRAY_SIZE(damage), l.l.num_sessions);
	EXPECT_EQ(NR_MAIN + ARRAY_SIZE(damage), l.l.num_files);
	i = list_find(&l, MAIN);
	ASSERT_LE(0, (int)i);
	EXPECT_EQ(NR_MAIN, l.s[i].nr_files);
	EXPECT_EQ(4096 + ((BIG_SIZE + 4095) & ~4095ULL), l.s[i].bytes);
	facts.free[1] = pool_free();
	ASSERT_EQ(0, facts_rw(&facts, true));
	TH_LOG("pool 0: %llu bytes free with the sessions held",
	       (unsigned long long)facts.free[1]);
	close(luo);
	close(dev);
	pid = hold(fds, n);
	ASSERT_LT(0, pid);
	while (n)
		close(fds[--n]);
	usleep(100000);
	EXPECT_EQ(0, kill(pid, 0));
	ASSERT_EQ(0, luo_list(&l));
	EXPECT_EQ(1 + ARRAY_SIZE(damage), l.l.num_sessions) TH_LOG("the daemon holds them");
}

/* Test Case: stage 2 - the pool's memory: every byte the sessions held is still held. */
TEST(s2_memory_kept)
{
	struct facts facts;

	NEED_STAGE(2);
	ASSERT_EQ(0, facts_rw(&facts, false));
	EXPECT_EQ(facts.free[1], pool_free());
}

static void check_memfd_seals(struct __test_metadata *_metadata, int fd,
			      int seals)
{
	EXPECT_EQ(seals, fcntl(fd, F_GET_SEALS));
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

/*
 * Test Case: stage 2 - "vk-luo" back whole: each memfd with its bytes (the
 * write after PRESERVE_FD too), size, position and its own seals (those
 * preservation added are gone), the fds O_CLOEXEC; a second RETRIEVE_FD
 * is the same open file; the region maps its pattern and is incoming
 * until FINISH, active after, and another uid holding the session fd
 * cannot open it (EACCES, not kept for root's try); LUO_LIST says
 * retrieved; after FINISH no file, after close no session.
 */
TEST(s2_main_session)
{
	int luo = luo_open(), dev = vk_open(), s, tok, big, big2, empty, reg, i, status;
	struct vmkeep_region_info info;
	pid_t pid;
	const struct vmkeep_luo_file_info *f;
	static struct luo_list l;
	struct stat st, st2;
	char buf[128] = "";
	uint64_t off, *map;
	char c = 'x';

	NEED_STAGE(2);
	ASSERT_LE(0, luo);
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, luo_list(&l));
	i = list_find(&l, MAIN);
	ASSERT_LE(0, i);
	EXPECT_EQ(VMKEEP_LUO_INCOMING, l.s[i].state);
	EXPECT_EQ(1, l.s[i].set);
	EXPECT_EQ(NR_MAIN, l.s[i].nr_files);
	EXPECT_EQ(4096 + ((BIG_SIZE + 4095) & ~4095ULL), l.s[i].bytes);
	f = list_file(&l, i, T_REGION);
	ASSERT_NE(NULL, f);
	EXPECT_EQ(VMKEEP_LUO_KIND_REGION, f->kind);
	EXPECT_EQ(REG_SIZE, f->size);
	ASSERT_EQ(0, vk_find(dev, REGION, &info));
	EXPECT_EQ(info.id, f->region_id);
	EXPECT_EQ(VMKEEP_STATE_INCOMING, info.state);

	s = luo_retrieve(luo, MAIN);
	ASSERT_LE(0, s);
	EXPECT_EQ(0, check_session_name(s, MAIN));
	EXPECT_EQ(-EINVAL, luo_retrieve(luo, MAIN));
	EXPECT_EQ(-EINVAL, luo_preserve(s, 0, 99));
	ASSERT_EQ(0, luo_list(&l));
	i = list_find(&l, MAIN);
	ASSERT_LE(0, i);
	EXPECT_EQ(VMKEEP_LUO_RETRIEVED, l.s[i].state);

	tok = luo_get(s, T_TOKEN0);
	ASSERT_LE(0, tok);
	EXPECT_EQ((ssize_t)strlen(TOKEN0), pread(tok, buf, sizeof(buf), 0));
	EXPECT_STREQ(TOKEN0, buf);
	EXPECT_EQ((off_t)strlen(TOKEN0), lseek(tok, 0, SEEK_CUR));
	check_memfd_seals(_metadata, tok, SYSTEMD_SEALS);
	EXPECT_EQ(-1, pwrite(tok, &c, 1, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, tok, 0));

	big = luo_get(s, T_BIG);
	ASSERT_LE(0, big);
	ASSERT_EQ(0, fstat(big, &st));
	EXPECT_EQ(BIG_SIZE, st.st_size);
	EXPECT_EQ(BIG_POS, lseek(big, 0, SEEK_CUR));
	check_memfd_seals(_metadata, big, 0);
	ASSERT_EQ((ssize_t)strlen(LATE), pread(big, buf, strlen(LATE), LATE_OFF));
	EXPECT_EQ(0, memcmp(buf, LATE, strlen(LATE)));
	check_bytes(_metadata, big, BIG_SIZE, big_late, NULL);
	/* The same open file again: one offset. */
	big2 = luo_get(s, T_BIG);
	ASSERT_LE(0, big2);
	EXPECT_NE(big, big2);
	ASSERT_EQ(0, fstat(big2, &st2));
	EXPECT_EQ(st.st_ino, st2.st_ino);
	EXPECT_EQ(777, lseek(big, 777, SEEK_SET));
	EXPECT_EQ(777, lseek(big2, 0, SEEK_CUR));
	/* Its own again: it may grow. */
	EXPECT_EQ(0, ftruncate(big2, BIG_SIZE + 1));

	empty = luo_get(s, T_EMPTY);
	ASSERT_LE(0, empty);
	ASSERT_EQ(0, fstat(empty, &st));
	EXPECT_EQ(0, st.st_size);
	EXPECT_EQ(0, lseek(empty, 0, SEEK_CUR));
	check_memfd_seals(_metadata, empty, F_SEAL_SEAL);

	/*
	 * The session fd in another uid's hands opens no region it may not
	 * open (root's, 0600), and its EACCES does not stick.
	 */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(1);
		_exit(luo_get(s, T_REGION) == -EACCES ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("uid 65534 got root's region");
	reg = luo_get(s, T_REGION);
	ASSERT_LE(0, reg);
	EXPECT_EQ(FD_CLOEXEC, fcntl(reg, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(REG_SIZE, lseek(reg, 0, SEEK_END));
	map = mmap(NULL, REG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, reg, 0);
	ASSERT_NE(MAP_FAILED, map);
	for (off = 0; off < REG_SIZE; off += 4096)
		ASSERT_EQ(vk_pattern(REGION, off), map[off / 8]);
	munmap(map, REG_SIZE);
	ASSERT_EQ(0, vk_find(dev, REGION, &info));
	EXPECT_EQ(VMKEEP_STATE_INCOMING, info.state);

	EXPECT_EQ(-ENOENT, luo_get(s, 12345));
	ASSERT_EQ(0, luo_finish(s));
	ASSERT_EQ(0, vk_find(dev, REGION, &info));
	EXPECT_EQ(VMKEEP_STATE_ACTIVE, info.state);
	EXPECT_EQ(-ENOENT, luo_get(s, T_BIG));
	/* Finished, not yet closed: no second retrieve. */
	EXPECT_EQ(-EINVAL, luo_retrieve(luo, MAIN));
	close(s);
	EXPECT_EQ(-ENOENT, luo_retrieve(luo, MAIN));
	ASSERT_EQ(0, luo_list(&l));
	EXPECT_EQ(-1, list_find(&l, MAIN));
	/* The files are the caller's, past FINISH and the session. */
	ASSERT_EQ(1, pread(big, &c, 1, 5));
	EXPECT_EQ(big_byte(5), (uint8_t)c);
	close(tok);
	close(big);
	close(big2);
	close(empty);
	close(reg);
	close(dev);
	close(luo);
}

/* Whole check of a damage case's memfd; the session is finished. */
static void take_small(struct __test_metadata *_metadata, const char *name)
{
	int luo = luo_open(), s, fd;
	struct stat st;

	ASSERT_LE(0, luo);
	s = luo_retrieve(luo, name);
	ASSERT_LE(0, s) TH_LOG("%s: %s", name, strerror(-s));
	fd = luo_get(s, D_TOKEN);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(D_SIZE, st.st_size);
	check_bytes(_metadata, fd, D_SIZE, small_byte, name);
	EXPECT_EQ(0, luo_finish(s));
	close(fd);
	close(s);
	close(luo);
}

/*
 * Test Case: stage 2 - "vk-rep", whose record vkcorrupt broke in copy A
 * only, comes back from copy B: listed incoming, retrieved whole.
 */
TEST(s2_repaired_from_copy_b)
{
	static struct luo_list l;
	int i;

	NEED_STAGE(2);
	ASSERT_EQ(0, luo_list(&l));
	i = list_find(&l, "vk-rep");
	ASSERT_LE(0, i);
	EXPECT_EQ(VMKEEP_LUO_INCOMING, l.s[i].state);
	EXPECT_EQ(0, l.s[i].quarantine);
	EXPECT_EQ(1, l.s[i].nr_files);
	take_small(_metadata, "vk-rep");
}

static void check_quarantined(struct __test_metadata *_metadata,
			      const char *name, uint32_t why)
{
	static struct luo_list l;
	int luo = luo_open(), i;

	ASSERT_LE(0, luo);
	ASSERT_EQ(0, luo_list(&l));
	i = list_find(&l, name);
	ASSERT_LE(0, i) TH_LOG("%s not listed", name);
	EXPECT_EQ(VMKEEP_LUO_QUARANTINED, l.s[i].state);
	EXPECT_EQ(why, l.s[i].quarantine);
	EXPECT_EQ(-EIO, luo_retrieve(luo, name));
	close(luo);
}

/*
 * Test Case: stage 2 - "vk-crc", its record broken in both copies, is
 * quarantined (crc): listed, RETRIEVE_SESSION EIO.
 */
TEST(s2_quarantined_crc)
{
	NEED_STAGE(2);
	check_quarantined(_metadata, "vk-crc", VMKEEP_Q_CRC);
}

/*
 * Test Case: stage 2 - "vk-data", a byte of its memfd flipped, is
 * quarantined (data), never half-restored.
 */
TEST(s2_quarantined_data)
{
	NEED_STAGE(2);
	check_quarantined(_metadata, "vk-data", VMKEEP_Q_LUO_DATA);
}

/*
 * Test Case: stage 2 - with its good sessions finished, the set keeps all
 * its memory while a quarantined session is in it; what is left is listed.
 */
TEST(s2_left_after_finish)
{
	static struct luo_list l;
	struct facts facts;

	NEED_STAGE(2);
	ASSERT_EQ(0, facts_rw(&facts, false));
	EXPECT_EQ(facts.free[1], pool_free());
	ASSERT_EQ(0, luo_list(&l));
	EXPECT_EQ(3, l.l.num_sessions);
	EXPECT_EQ(-1, list_find(&l, MAIN));
	EXPECT_EQ(-1, list_find(&l, "vk-rep"));
	EXPECT_LE(0, list_find(&l, "vk-crc"));
	EXPECT_LE(0, list_find(&l, "vk-data"));
	EXPECT_LE(0, list_find(&l, "vk-drop"));
}

/*
 * Test Case: stage 2 - a session for the next kexec ("vk-two", whose
 * tables vkcorrupt erases); "vk-drop" is left unretrieved, to be dropped
 * by that kexec.  The pool's free bytes go to FACTS.
 */
TEST(s2_handover)
{
	int luo = luo_open(), s, mfd;
	static struct luo_list l;
	struct facts facts;
	pid_t pid;

	NEED_STAGE(2);
	ASSERT_LE(0, luo);
	ASSERT_EQ(0, facts_rw(&facts, false));
	s = luo_create(luo, "vk-two");
	ASSERT_LE(0, s);
	mfd = small_memfd("vk-two");
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, luo_preserve(s, mfd, D_TOKEN));
	close(mfd);
	facts.free[2] = pool_free();
	ASSERT_EQ(0, facts_rw(&facts, true));
	close(luo);
	pid = hold(&s, 1);
	ASSERT_LT(0, pid);
	close(s);
	usleep(100000);
	EXPECT_EQ(0, kill(pid, 0));
	ASSERT_EQ(0, luo_list(&l));
	EXPECT_LE(0, list_find(&l, "vk-two"));
}

/*
 * Test Case: stage 3 - set 2's tables lost both headers: none of its
 * sessions is offered and none of its memory is freed; set 1 keeps its
 * quarantined sessions (stored so), its unretrieved one was dropped.
 */
TEST(s3_tables_erased)
{
	int luo = luo_open(), i;
	static struct luo_list l;
	struct facts facts;

	NEED_STAGE(3);
	ASSERT_LE(0, luo);
	ASSERT_EQ(0, facts_rw(&facts, false));
	EXPECT_EQ(facts.free[2], pool_free());
	ASSERT_EQ(0, luo_list(&l));
	EXPECT_EQ(2, l.l.num_sessions);
	EXPECT_EQ(-1, list_find(&l, "vk-two"));
	EXPECT_EQ(-1, list_find(&l, "vk-drop"));
	EXPECT_EQ(-ENOENT, luo_retrieve(luo, "vk-two"));
	EXPECT_EQ(-ENOENT, luo_retrieve(luo, "vk-drop"));
	i = list_find(&l, "vk-crc");
	ASSERT_LE(0, i);
	EXPECT_EQ(VMKEEP_LUO_QUARANTINED, l.s[i].state);
	EXPECT_EQ(VMKEEP_Q_CRC, l.s[i].quarantine);
	i = list_find(&l, "vk-data");
	ASSERT_LE(0, i);
	EXPECT_EQ(VMKEEP_LUO_QUARANTINED, l.s[i].state);
	EXPECT_EQ(VMKEEP_Q_LUO_DATA, l.s[i].quarantine);
	EXPECT_EQ(-EIO, luo_retrieve(luo, "vk-data"));
	close(luo);
}

TEST_HARNESS_MAIN
