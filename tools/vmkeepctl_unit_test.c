// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * Host unit tests of vmkeepctl's pure part (util.c, output.c): sizes,
 * names, the kexec command-line verdict, pool placement, JSON and tables.
 * What the module would report comes from a made-up libvmkeep snapshot
 * (vmkeep_ctx_set_snapshot()), so no module is needed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "private.h"
#include "vmkeepctl.h"

#define MiB	(1ULL << 20)
#define GiB	(1ULL << 30)
#define LV_TEST_REGION	"libvirt-b3689790-516c-4277-a010-3efd62b7ee98"

/* Test Case: sizes are bytes or K/M/G/T (1024-based); junk, signs and overflow are refused. */
TEST(parse_size)
{
	static const struct {
		const char *s;
		int err;
		uint64_t v;
	} t[] = {
		{ "0", 0, 0 },
		{ "4096", 0, 4096 },
		{ "1K", 0, 1024 },
		{ "512M", 0, 512 * MiB },
		{ "4G", 0, 4 * GiB },
		{ "4g", 0, 4 * GiB },
		{ "2T", 0, 2ULL << 40 },
		{ "0x200000", 0, 2 * MiB },
		{ "0x1G", 0, GiB },
		{ "010", 0, 10 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "16777215T", 0, 16777215ULL << 40 },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "16777216T", -ERANGE, 0 },
		{ "0x10000000000000000", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "G", -EINVAL, 0 },
		{ "0x", -EINVAL, 0 },
		{ "1.5G", -EINVAL, 0 },
		{ "4GB", -EINVAL, 0 },
		{ "4GiB", -EINVAL, 0 },
		{ "4P", -EINVAL, 0 },
		{ "4X", -EINVAL, 0 },
	};
	unsigned int i;
	uint64_t v;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		v = 0;
		EXPECT_EQ(t[i].err, vk_parse_size(t[i].s, &v)) TH_LOG("'%s'", t[i].s);
		if (!t[i].err)
			EXPECT_EQ(t[i].v, v) TH_LOG("'%s'", t[i].s);
	}
}

/* Test Case: vmkeep.pools= values parse as the module's memparse() loop does. */
TEST(parse_pools)
{
	struct vk_pool_spec r[4];

	ASSERT_EQ(2, vk_parse_pools("4G@0x100000000,512M@040000000000", r, 4));
	EXPECT_EQ(0x100000000ULL, r[0].start);
	EXPECT_EQ(0x200000000ULL, r[0].end);
	EXPECT_EQ(4 * GiB, r[1].start);
	EXPECT_EQ(4 * GiB + 512 * MiB, r[1].end);
	EXPECT_EQ(1, vk_parse_pools("1G@1G,", r, 4));
	ASSERT_EQ(2, vk_parse_pools("3G@4G:1G,512M@1G", r, 4));
	EXPECT_EQ(4 * GiB, r[0].start);
	EXPECT_EQ(7 * GiB, r[0].end);
	EXPECT_TRUE(r[0].pages_1g);
	EXPECT_FALSE(r[1].pages_1g);
	EXPECT_EQ(-EINVAL, vk_parse_pools("3G@4G:2M", r, 4));
	EXPECT_EQ(0, vk_parse_pools("", r, 4));
	EXPECT_EQ(-EINVAL, vk_parse_pools("4G", r, 4));
	EXPECT_EQ(-EINVAL, vk_parse_pools("4G@", r, 4));
	EXPECT_EQ(-EINVAL, vk_parse_pools("4G@1G;2G@8G", r, 4));
	EXPECT_EQ(-EINVAL, vk_parse_pools("1G@1G,1G@2G", r, 1));
	EXPECT_EQ(-ERANGE, vk_parse_pools("2G@0xffffffffc0000000", r, 4));
}

/*
 * Test Case: names follow the kernel's rules: 1..63 bytes of
 * [A-Za-z0-9._:+@-], first alphanumeric.
 */
TEST(name_rules)
{
	static const struct {
		const char *name;
		bool ok;
	} t[] = {
		{ "vm1-ram", true },
		{ "a", true },
		{ "9", true },
		{ "Vm_1.ram:node0+x@host-a", true },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
		{ "", false },
		{ "-vm", false },
		{ ".vm", false },
		{ "_vm", false },
		{ "vm/1", false },
		{ "vm 1", false },
		{ "vm,1", false },
		{ "vm$1", false },
		{ "vm\xc3\xa9", false },
	};
	const char *err;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		err = vk_name_error(t[i].name);
		EXPECT_EQ(t[i].ok, !err) TH_LOG("'%s': %s", t[i].name, err ?: "valid");
	}
	EXPECT_STREQ("the name is empty", vk_name_error(""));
}

/*
 * Test Case: sizes print for people with binary units and two decimals, and
 * exactly for command lines.
 */
TEST(size_printing)
{
	static const struct {
		uint64_t v;
		const char *human, *shortform;
	} t[] = {
		{ 0, "0 B", "0" },
		{ 1023, "1023 B", "1023" },
		{ 1024, "1.00 KiB", "1K" },
		{ 256 * MiB, "256.00 MiB", "256M" },
		{ 1536 * MiB, "1.50 GiB", "1536M" },
		{ 4 * GiB, "4.00 GiB", "4G" },
		{ 64 * GiB, "64.00 GiB", "64G" },
		{ 3ULL << 40, "3.00 TiB", "3T" },
		{ 4 * GiB + 1, "4.00 GiB", "4294967297" },
		{ UINT64_MAX, "16.00 EiB", "18446744073709551615" },
	};
	char buf[64], params[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		vk_human_size(t[i].v, buf, sizeof(buf));
		EXPECT_STREQ(t[i].human, buf);
		vk_short_size(t[i].v, buf, sizeof(buf));
		EXPECT_STREQ(t[i].shortform, buf);
	}
	vk_pool_params(0x1000000000ULL, 64 * GiB, false, params, sizeof(params));
	EXPECT_STREQ("memmap=64G$0x1000000000 vmkeep.pools=64G@0x1000000000", params);
}

/*
 * Test Case: a parameter's value is found as the kernel splits the line:
 * last wins, quotes, "--".
 */
TEST(cmdline_param)
{
	const char *pools = "vmkeep.pools";
	char val[64];

	EXPECT_EQ(1, vk_cmdline_param("ro vmkeep.pools=1G@1G quiet", pools, val, sizeof(val)));
	EXPECT_STREQ("1G@1G", val);
	EXPECT_EQ(1, vk_cmdline_param("vmkeep.pools=1G@1G vmkeep.pools=2G@8G", pools, val, 64));
	EXPECT_STREQ("2G@8G", val);
	EXPECT_EQ(1, vk_cmdline_param("a=\"x y\" vmkeep.pools=\"1G@1G\"", "a", val, sizeof(val)));
	EXPECT_STREQ("x y", val);
	EXPECT_EQ(1, vk_cmdline_param("a=\"x y\" vmkeep.pools=\"1G@1G\"", pools, val, sizeof(val)));
	EXPECT_STREQ("1G@1G", val);
	EXPECT_EQ(1, vk_cmdline_param("\"vmkeep.pools=2G@8G\"", pools, val, sizeof(val)));
	EXPECT_STREQ("2G@8G", val);
	EXPECT_EQ(0, vk_cmdline_param("ro -- vmkeep.pools=1G@1G", pools, val, sizeof(val)));
	EXPECT_EQ(0, vk_cmdline_param("vmkeep.pools ro", pools, val, sizeof(val)));
	EXPECT_EQ(0, vk_cmdline_param("", pools, val, sizeof(val)));
	EXPECT_EQ(-E2BIG, vk_cmdline_param("vmkeep.pools=1G@1G", pools, val, 4));
}

/* A libvmkeep context that reports @r and @p, or NULL. */
static struct vmkeep_ctx *fake(const struct vmkeep_region_info *r, unsigned int nr,
			       const struct vmkeep_pool_info *p, unsigned int np,
			       uint32_t status_flags)
{
	struct vmkeep_ctx *vk;

	if (vmkeep_new(&vk))
		return NULL;
	if (vmkeep_ctx_set_snapshot(vk, r, nr, p, np, status_flags) < 0) {
		vmkeep_unref(vk);
		return NULL;
	}
	return vk;
}

static bool verdict(const char *cmdline, const struct vmkeep_pool_info *p,
		    unsigned int n, char *msg, size_t len)
{
	struct vmkeep_ctx *vk = fake(NULL, 0, p, n, 0);
	bool safe = vk && vk_kexec_verdict(cmdline, vk, msg, len);

	vmkeep_unref(vk);
	return safe;
}

#define POOL(b, l, r)	{ .base = (b), .length = (l), .nr_regions = (r) }

/* 4G@0x100000000 with regions, 2G@0x200000000 without */
static const struct vmkeep_pool_info one[] = {
	POOL(0x100000000ULL, 4 * GiB, 2),
	POOL(0x200000000ULL, 2 * GiB, 0),
};

/* Three memmap= ranges away from the pools */
#define THREE "memmap=1M$1G memmap=1M$2G memmap=1M$3G "

/* 4G@0x100000000 and 1G@0x300000000, both with regions */
static const struct vmkeep_pool_info two[] = {
	POOL(0x100000000ULL, 4 * GiB, 2),
	POOL(0x300000000ULL, 1 * GiB, 1),
};

/*
 * Test Case: kexec is allowed only when memmap= reserves and vmkeep.pools=
 * lists every pool with regions.
 */
TEST(kexec_verdict)
{
	static const struct {
		const struct vmkeep_pool_info *pools;
		const char *cmdline;
		bool safe;
	} t[] = {
		{ one, "memmap=4G$0x100000000 vmkeep.pools=4G@0x100000000", true },
		{ one, "root=/dev/vda1 ro memmap=4G$4G vmkeep.pools=4G@4G quiet", true },
		{ one, "memmap=4194304K$0x100000000 vmkeep.pools=0x100000000@0x100000000", true },
		{ one, "memmap=4G$040000000000 vmkeep.pools=4G@0x100000000", true },
		{ one, "memmap=1G$0x40000000,4G$0x100000000 vmkeep.pools=4G@0x100000000", true },
		{ one,
		  "memmap=2G$0x100000000 memmap=2G$0x180000000 vmkeep.pools=4G@0x100000000",
		  true },
		/* x86 KASLR avoids only the first four memmap= ranges */
		{ one, THREE "memmap=1M@0x1000000 memmap=4G$4G vmkeep.pools=4G@4G", false },
		{ one, "memmap=1M$1G,1M$2G,1M$3G,1M#0x1000000,4G$4G vmkeep.pools=4G@4G", false },
		{ one, THREE "memmap=1M@0x1000000 memmap=4G$4G vmkeep.pools=4G@4G nokaslr", true },
		{ one, "memmap=1M$1G,1M$2G,4G$4G memmap=1M$3G,1M$5G vmkeep.pools=4G@4G", true },
		/* one without an address is a limit, not a range */
		{ one, "memmap=64M " THREE "memmap=4G$4G vmkeep.pools=4G@4G", true },
		{ one, "memmap=8G$0xc0000000 vmkeep.pools=4G@0x100000000", true },
		{ one, "memmap=4G$0x100000000 vmkeep.pools=4G@0x100000000,2G@0x200000000", true },
		{ one, "\"memmap=4G$0x100000000\" vmkeep.pools=\"4G@0x100000000\"", true },
		{ one,
		  "memmap=4G$0x100000000 vmkeep.pools=2G@0x200000000 vmkeep.pools=4G@0x100000000",
		  true },
		{ one, "memmap=4G$0x100000000", false },
		{ one, "memmap=4G$0x100000000 vmkeep.pools=2G@0x100000000", false },
		{ one, "memmap=4G$0x100000000 vmkeep.pools=4G@0x140000000", false },
		{ one, "memmap=2G$0x100000000 vmkeep.pools=4G@0x100000000", false },
		{ one,
		  "memmap=2G$0x100000000 memmap=2G$0x180200000 vmkeep.pools=4G@0x100000000",
		  false },
		{ one, "memmap=4G$0x100200000 vmkeep.pools=4G@0x100000000", false },
		{ one, "vmkeep.pools=4G@0x100000000", false },
		{ one, "memmap=4G@0x100000000 vmkeep.pools=4G@0x100000000", false },
		{ one, "memmap=4G#0x100000000 vmkeep.pools=4G@0x100000000", false },
		{ one, "memmap=4G\\$0x100000000 vmkeep.pools=4G@0x100000000", false },
		{ one, "memmap=4G\\\\\\$0x100000000 vmkeep.pools=4G@0x100000000", false },
		{ one, "memmap=4G$0x100000000x vmkeep.pools=4G@0x100000000", false },
		{ one, "memmap=4G$04294967296 vmkeep.pools=4G@0x100000000", false },
		{ one,
		  "memmap=4G$0x100000000 vmkeep.pools=4G@0x100000000 vmkeep.pools=2G@0x200000000",
		  false },
		{ one, "quiet -- memmap=4G$0x100000000 vmkeep.pools=4G@0x100000000", false },
		{ one, "memmap=4G$0x100000000 vmkeep.pools=4G@0x100000000;", false },
		{ one, "memmap=4G$0x100000000 vmkeep.pools=4G", false },
		{ one, "memmap=4G$0x100000000 vmkeep.pool=4G@0x100000000", false },
		{ one, "memmap=4G$0x100000000 vmkeep.pools=", false },
		{ one, "", false },
		{ two,
		  "memmap=4G$0x100000000 memmap=1G$0x300000000 vmkeep.pools=4G@0x100000000,1G@0x300000000",
		  true },
		{ two,
		  "memmap=4G$0x100000000,1G$0x300000000 vmkeep.pools=1G@0x300000000,4G@0x100000000",
		  true },
		{ two, "memmap=4G$0x100000000 vmkeep.pools=4G@0x100000000,1G@0x300000000", false },
		{ two,
		  "memmap=4G$0x100000000 memmap=1G$0x300000000 vmkeep.pools=4G@0x100000000",
		  false },
		{ two,
		  "memmap=4G$0x100000000 memmap=1G$0x300000000 vmkeep.pools=1G@0x300000000",
		  false },
	};
	char msg[1024];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		EXPECT_EQ(t[i].safe,
			  verdict(t[i].cmdline, t[i].pools, 2, msg, sizeof(msg)))
			TH_LOG("'%s': %s", t[i].cmdline, msg);
		EXPECT_NE(0, msg[0]);
	}
}

/* Test Case: the verdict names the pool, the parameters to add, and the cause. */
TEST(kexec_verdict_message)
{
	static const struct vmkeep_pool_info none[] = { POOL(0x100000000ULL, 4 * GiB, 0) };
	const char *want;
	char msg[1024];

	EXPECT_FALSE(verdict("memmap=4G$0x100000000", one, 2, msg, sizeof(msg)));
	want = "pool 0 (2 regions) needs memmap=4G$0x100000000 vmkeep.pools=4G@0x100000000";
	EXPECT_NE(NULL, strstr(msg, want));
	EXPECT_NE(NULL, strstr(msg, "no vmkeep.pools=")) TH_LOG("%s", msg);

	EXPECT_FALSE(verdict("memmap=4G\\$0x100000000", one, 2, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "no memmap= reserves [0x100000000, 0x200000000)"))
		TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "backslash")) TH_LOG("%s", msg);

	EXPECT_FALSE(verdict("memmap=4G$4G vmkeep.pools=2G@4G", one, 2, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "vmkeep.pools=2G@4G does not list it")) TH_LOG("%s", msg);

	EXPECT_FALSE(verdict("", two, 2, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "pool 0 ")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "; pool 1 (1 region) needs memmap=1G$0x300000000"))
		TH_LOG("%s", msg);

	EXPECT_FALSE(verdict(THREE "memmap=1M$5G memmap=4G$4G vmkeep.pools=4G@4G",
			     one, 2, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "after the 4th, which x86 KASLR")) TH_LOG("%s", msg);

	EXPECT_TRUE(verdict("memmap=4G$4G vmkeep.pools=4G@4G", one, 2, msg, sizeof(msg)));
	EXPECT_STREQ("1 pool with regions reserved by memmap= and listed in vmkeep.pools=", msg);
	EXPECT_TRUE(verdict("", none, 1, msg, sizeof(msg)));
	EXPECT_STREQ("no pool holds regions", msg);
	EXPECT_TRUE(verdict("", NULL, 0, msg, sizeof(msg)));
}

static const char iomem[] =
	"00000000-00000fff : Reserved\n"
	"00001000-0009fbff : System RAM\n"
	"000f0000-000fffff : Reserved\n"
	"  000f0000-000fffff : System ROM\n"
	"00100000-bffdffff : System RAM\n"
	"  01000000-01ffffff : Kernel code\n"
	"  40000000-4fffffff : System RAM\n"
	"c0000000-febfffff : PCI Bus 0000:00\n"
	"100000000-43fffffff : System RAM\n"
	"440000000-47fffffff : Reserved\n"
	"480000000-87fffffff : System RAM\n"
	"880000000-8bfffffff : System RAMBO\n"
	"fd00000000-ffffffffff : Reserved";

/*
 * Test Case: the next kernel's command line is put together as kexec -l
 * does: --reuse-cmdline takes /proc/cmdline without BOOT_IMAGE=, --append
 * adds to it (or is the whole line alone), --command-line replaces it.
 */
TEST(kexec_cmdline)
{
	static const struct {
		const char *reused, *line, *append, *want;
	} t[] = {
		{ NULL, NULL, "console=ttyS0 vmkeep.pools=4G@4G",
		  "console=ttyS0 vmkeep.pools=4G@4G" },
		{ "root=/dev/vda ro", NULL, NULL, "root=/dev/vda ro" },
		{ "root=/dev/vda ro", NULL, "quiet", "root=/dev/vda ro quiet" },
		{ "BOOT_IMAGE=/vmlinuz-6.1.0-9-amd64 root=/dev/vda ro", NULL, "x=1",
		  "root=/dev/vda ro x=1" },
		{ "root=/dev/vda  BOOT_IMAGE=(hd0,gpt2)/vmlinuz ro ", NULL, NULL,
		  "root=/dev/vda ro" },
		{ "a \"b=BOOT_IMAGE= c\" d", NULL, NULL, "a \"b=BOOT_IMAGE= c\" d" },
		{ NULL, "root=/dev/vdb", NULL, "root=/dev/vdb" },
		{ NULL, "root=/dev/vdb", "quiet", "root=/dev/vdb quiet" },
		/* an explicit line is taken as it is, BOOT_IMAGE= and all */
		{ NULL, "BOOT_IMAGE=/x root=/dev/vdb", NULL, "BOOT_IMAGE=/x root=/dev/vdb" },
		{ "", NULL, "quiet", "quiet" },
		{ NULL, NULL, NULL, "" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		char *s = vk_kexec_cmdline(t[i].reused, t[i].line, t[i].append);

		ASSERT_NE(NULL, s);
		EXPECT_STREQ(t[i].want, s) TH_LOG("case %zu", i);
		free(s);
	}
}

/*
 * Test Case: kexec and update take the kernel line options alike, as
 * kexec-tools does: one of them at least; --append goes with either of
 * the others (update refused --reuse-cmdline --append before); only
 * --command-line and --reuse-cmdline exclude each other.
 */
TEST(cmdline_opts)
{
	static const struct {
		bool reuse, line, append, ok;
	} t[] = {
		{ false, false, false, false },
		{ true, false, false, true },
		{ false, true, false, true },
		{ false, false, true, true },
		{ true, false, true, true },
		{ false, true, true, true },
		{ true, true, false, false },
		{ true, true, true, false },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		EXPECT_EQ(t[i].ok, !vk_cmdline_opts_error(t[i].reuse, t[i].line, t[i].append))
			TH_LOG("reuse %d line %d append %d", t[i].reuse, t[i].line, t[i].append);
	EXPECT_STREQ("--append, --command-line or --reuse-cmdline is required",
		     vk_cmdline_opts_error(false, false, false));
	EXPECT_STREQ("--command-line and --reuse-cmdline exclude each other",
		     vk_cmdline_opts_error(true, true, true));
}

/* Test Case: the release comes from the bzImage header's version string. */
TEST(image_release)
{
	static const char ver[] = "6.12.38+deb12-amd64 (debian-kernel@lists.debian.org) #1 SMP";
	unsigned char img[0x1000] = {};
	char rel[64];

	memcpy(img + 0x202, "HdrS", 4);
	img[0x20e] = 0x00;
	img[0x20f] = 0x0c;	/* 0xc00 + 0x200 */
	memcpy(img + 0xe00, ver, sizeof(ver));
	ASSERT_EQ(0, vk_image_release(img, sizeof(img), rel, sizeof(rel)));
	EXPECT_STREQ("6.12.38+deb12-amd64", rel);
	EXPECT_EQ(-ENOEXEC, vk_image_release(img, sizeof(img), rel, 8));
	EXPECT_EQ(-ENOEXEC, vk_image_release(img, 0xe08, rel, sizeof(rel)));
	img[0x202] = 'X';
	EXPECT_EQ(-ENOEXEC, vk_image_release(img, sizeof(img), rel, sizeof(rel)));
	img[0x202] = 'H';
	img[0x20e] = 0;
	img[0x20f] = 0;
	EXPECT_EQ(-ENOEXEC, vk_image_release(img, sizeof(img), rel, sizeof(rel)));
}

/*
 * Test Case: without the module, every pool of the running kernel's
 * vmkeep.pools= must be kept by the new line.
 */
TEST(kexec_verdict_pools)
{
	static const struct vk_pool_spec p[] = { { 4 * GiB, 8 * GiB, false } };
	char msg[512];

	EXPECT_TRUE(vk_kexec_verdict_pools("memmap=4G$4G vmkeep.pools=4G@4G", p, 1,
					   msg, sizeof(msg)));
	EXPECT_FALSE(vk_kexec_verdict_pools("quiet", p, 1, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "pool 0 needs memmap=4G$0x100000000"));
	EXPECT_EQ(NULL, strstr(msg, "region"));
	EXPECT_TRUE(vk_kexec_verdict_pools("quiet", p, 0, msg, sizeof(msg)));
	EXPECT_STREQ("no pools", msg);
}

/*
 * Test Case: a pool of 1 GiB pages survives only when the next
 * vmkeep.pools= keeps its ":1G" too: the module refuses the range as a
 * pool of the other page size (and the other way round).
 */
TEST(kexec_verdict_pages_1g)
{
	static const struct vk_pool_spec p[] = { { 4 * GiB, 8 * GiB, true } };
	static const struct vk_pool_spec q[] = { { 4 * GiB, 8 * GiB, false } };
	char msg[512];

	EXPECT_TRUE(vk_kexec_verdict_pools("memmap=4G$4G vmkeep.pools=4G@4G:1G", p, 1,
					   msg, sizeof(msg)));
	EXPECT_FALSE(vk_kexec_verdict_pools("memmap=4G$4G vmkeep.pools=4G@4G", p, 1,
					    msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "vmkeep.pools=4G@0x100000000:1G"));
	EXPECT_FALSE(vk_kexec_verdict_pools("memmap=4G$4G vmkeep.pools=4G@4G:1G", q, 1,
					    msg, sizeof(msg)));
}

/*
 * Test Case: /proc/iomem yields its top-level System RAM ranges; zeroed
 * addresses mean "not root".
 */
TEST(parse_iomem)
{
	static const char hidden[] =
		"00000000-00000000 : Reserved\n"
		"00000000-00000000 : System RAM\n";
	struct vk_range r[8];

	ASSERT_EQ(4, vk_parse_iomem(iomem, r, 8));
	EXPECT_EQ(0x1000ULL, r[0].start);
	EXPECT_EQ(0x9fc00ULL, r[0].end);
	EXPECT_EQ(0x100000ULL, r[1].start);
	EXPECT_EQ(0xbffe0000ULL, r[1].end);
	EXPECT_EQ(0x100000000ULL, r[2].start);
	EXPECT_EQ(0x440000000ULL, r[2].end);
	EXPECT_EQ(0x480000000ULL, r[3].start);
	EXPECT_EQ(0x880000000ULL, r[3].end);
	EXPECT_EQ(2, vk_parse_iomem(iomem, r, 2));
	EXPECT_EQ(-EPERM, vk_parse_iomem(hidden, r, 8));
	EXPECT_EQ(-EPERM, vk_parse_iomem("", r, 8));
}

/* Test Case: a pool goes high, above 4 GiB, 1 GiB aligned if it can, never below 1 GiB. */
TEST(pool_suggest)
{
	static const struct vk_range low[] = { { 0x100000, 0xbffe0000 } };
	static const struct vk_range odd[] = {
		{ 1 * GiB, 3 * GiB },
		{ 0x100200000ULL, 0x140200000ULL },
	};
	struct vk_range r[8];
	uint64_t addr = 0;
	int n = vk_parse_iomem(iomem, r, 8);

	ASSERT_EQ(4, n);
	ASSERT_EQ(0, vk_pool_suggest(r, n, 4 * GiB, &addr));
	EXPECT_EQ(0x780000000ULL, addr);
	ASSERT_EQ(0, vk_pool_suggest(r, n, 16 * GiB, &addr));
	EXPECT_EQ(0x480000000ULL, addr);
	ASSERT_EQ(0, vk_pool_suggest(r, n, 13 * GiB, &addr));
	EXPECT_EQ(0x480000000ULL + 3 * GiB, addr);
	EXPECT_EQ(-ENOSPC, vk_pool_suggest(r, n, 17 * GiB, &addr));
	EXPECT_EQ(-EINVAL, vk_pool_suggest(r, n, 0, &addr));
	EXPECT_EQ(-EINVAL, vk_pool_suggest(r, n, GiB + 4096, &addr));

	/* below 4 GiB only when nothing fits above, and never below 1 GiB */
	ASSERT_EQ(0, vk_pool_suggest(low, 1, 1 * GiB, &addr));
	EXPECT_EQ(1 * GiB, addr);
	ASSERT_EQ(0, vk_pool_suggest(low, 1, 2 * GiB - 128 * MiB, &addr));
	EXPECT_EQ(1 * GiB, addr);
	EXPECT_EQ(-ENOSPC, vk_pool_suggest(low, 1, 2 * GiB, &addr));

	/* above 4 GiB at 2 MiB alignment beats 1 GiB alignment below */
	ASSERT_EQ(0, vk_pool_suggest(odd, 2, 1 * GiB, &addr));
	EXPECT_EQ(0x100200000ULL, addr);
	ASSERT_EQ(0, vk_pool_suggest(odd, 2, 512 * MiB, &addr));
	EXPECT_EQ(0x120200000ULL, addr);
}

/* The firmware's map of a q35 guest with 3 GiB, as /sys/firmware/memmap has it. */
static const struct vk_fw_range q35[] = {
	{ 0x0, 0x9fbff, "System RAM" },
	{ 0x9fc00, 0x9ffff, "Reserved" },
	{ 0xf0000, 0xfffff, "Reserved" },
	{ 0x100000, 0x7ffdffff, "System RAM" },
	{ 0x7ffe0000, 0x7fffffff, "Reserved" },
	{ 0xb0000000, 0xbfffffff, "Reserved" },
	{ 0xfed1c000, 0xfed1ffff, "Reserved" },
	{ 0xfffc0000, 0xffffffff, "Reserved" },
	{ 0x100000000ULL, 0x13fffffffULL, "System RAM" },
	{ 0xfd00000000ULL, 0xffffffffffULL, "Reserved" },
};

/*
 * Test Case: a range is firmware RAM only when every byte is in a
 * "System RAM" entry; otherwise the lowest entry of another type or hole
 * it meets is named, whole.
 */
TEST(fw_not_ram)
{
	static const struct {
		uint64_t start, end;
		const char *why;
	} t[] = {
		{ 0x40000000, 0x60000000, NULL },
		{ 0x100000, 0x7ffe0000, NULL },
		{ 0x100000000ULL, 0x140000000ULL, NULL },
		/* the ACPI tables at the top of low RAM */
		{ 0x60000000, 0x80000000,
		  "[mem 0x000000007ffe0000-0x000000007fffffff] as \"Reserved\"" },
		/* the legacy area: its first non-RAM range */
		{ 0x0, 0x400000,
		  "[mem 0x000000000009fc00-0x000000000009ffff] as \"Reserved\"" },
		{ 0xa0000, 0xf0000,
		  "[mem 0x00000000000a0000-0x00000000000effff] as a hole" },
		/* into the PCI hole from below (the ACPI tables come first) ... */
		{ 0x7fc00000, 0x80400000,
		  "[mem 0x000000007ffe0000-0x000000007fffffff] as \"Reserved\"" },
		/* ... and from above, across 4 GiB */
		{ 0xffe00000, 0x100200000ULL,
		  "[mem 0x00000000fed20000-0x00000000fffbffff] as a hole" },
		{ 0x80000000, 0x80200000,
		  "[mem 0x0000000080000000-0x00000000afffffff] as a hole" },
		/* past the end of RAM, and past the last entry */
		{ 0x13fe00000ULL, 0x140200000ULL,
		  "[mem 0x0000000140000000-0x000000fcffffffff] as a hole" },
		{ 0x10000000000ULL, 0x10000200000ULL,
		  "[mem 0x0000010000000000-0xffffffffffffffff] as a hole" },
	};
	/* Unsorted, and a reserved entry inside RAM: the reserved one wins. */
	static const struct vk_fw_range odd[] = {
		{ 0x200000000ULL, 0x2ffffffffULL, "System RAM" },
		{ 0x100000000ULL, 0x1ffffffffULL, "System RAM" },
		{ 0x180000000ULL, 0x1801fffffULL, "ACPI Non-volatile Storage" },
	};
	char why[200];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		why[0] = '\0';
		EXPECT_EQ(!!t[i].why,
			  vk_fw_not_ram(q35, ARRAY_SIZE(q35), t[i].start, t[i].end, why,
					sizeof(why)))
			TH_LOG("[%#llx, %#llx): %s", (unsigned long long)t[i].start,
			       (unsigned long long)t[i].end, why);
		if (t[i].why)
			EXPECT_NE(NULL, strstr(why, t[i].why)) TH_LOG("%s", why);
	}
	EXPECT_EQ(0, vk_fw_not_ram(odd, 3, 0x1c0000000ULL, 0x240000000ULL, why, sizeof(why)));
	EXPECT_EQ(1, vk_fw_not_ram(odd, 3, 0x100000000ULL, 0x300000000ULL, why, sizeof(why)));
	EXPECT_STREQ("the firmware's memory map has [mem 0x0000000180000000-0x00000001801fffff] as \"ACPI Non-volatile Storage\", not System RAM",
		     why);
	EXPECT_EQ(1, vk_fw_not_ram(odd, 0, 0x100000000ULL, 0x100200000ULL, why, sizeof(why)));
	EXPECT_STREQ("the firmware's memory map has [mem 0x0000000000000000-0xffffffffffffffff] as a hole, not System RAM",
		     why);
}

/*
 * Test Case: kexec --check and update refuse a next command line whose
 * vmkeep.pools= entries or memmap=SIZE$ADDR ranges are not firmware RAM,
 * naming each and the firmware range.
 */
TEST(fw_cmdline_verdict)
{
	char msg[1024];

	EXPECT_TRUE(vk_fw_verdict("memmap=512M$0x40000000 vmkeep.pools=512M@0x40000000,1G@4G:1G",
				  q35, ARRAY_SIZE(q35), msg, sizeof(msg)));
	EXPECT_STREQ("1 memmap= range and 2 vmkeep.pools= entries are System RAM in the firmware's memory map",
		     msg);
	EXPECT_TRUE(vk_fw_verdict("quiet", q35, ARRAY_SIZE(q35), msg, sizeof(msg)));
	EXPECT_FALSE(vk_fw_verdict("memmap=1024M$0x40000000 vmkeep.pools=512M@0x40000000,512M@0x60000000",
				   q35, ARRAY_SIZE(q35), msg, sizeof(msg)));
	EXPECT_STREQ("memmap=1G$0x40000000: the firmware's memory map has [mem 0x000000007ffe0000-0x000000007fffffff] as \"Reserved\", not System RAM; "
		     "vmkeep.pools= entry 512M@0x60000000: the firmware's memory map has [mem 0x000000007ffe0000-0x000000007fffffff] as \"Reserved\", not System RAM",
		     msg);
	EXPECT_FALSE(vk_fw_verdict("vmkeep.pools=4M@0x0", q35, ARRAY_SIZE(q35), msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "vmkeep.pools= entry 4M@0x0: the firmware's memory map has"));
	EXPECT_NE(NULL, strstr(msg, "[mem 0x000000000009fc00-0x000000000009ffff] as \"Reserved\""));
	/* what the kernel would not read as a reservation is the other check's */
	EXPECT_TRUE(vk_fw_verdict("memmap=4M\\$0xffe00000", q35, ARRAY_SIZE(q35), msg,
				  sizeof(msg)));
	EXPECT_FALSE(vk_fw_verdict("memmap=4M$0xffe00000 vmkeep.pools=4M@0xffe00000:1G",
				   q35, ARRAY_SIZE(q35), msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "vmkeep.pools= entry 4M@0xffe00000:1G: the firmware's"));
	EXPECT_NE(NULL, strstr(msg, "[mem 0x00000000fed20000-0x00000000fffbffff] as a hole"));
	/* a reservation of another kind is not vmkeep's: memmap=SIZE@ADDR adds RAM */
	EXPECT_TRUE(vk_fw_verdict("memmap=64M@0x80000000", q35, ARRAY_SIZE(q35), msg, sizeof(msg)));
}

/* Test Case: pool suggest keeps to what both the kernel and the firmware call RAM. */
TEST(fw_ram_suggest)
{
	/* The kernel's System RAM, here with RAM added where the firmware has none. */
	static const struct vk_range kernel[] = {
		{ 0x100000, 0x40000000 },
		{ 0x100200000ULL, 0x180000000ULL },
	};
	struct vk_range fw[16], both[16];
	uint64_t addr;
	size_t n, m;

	n = vk_fw_ram(q35, ARRAY_SIZE(q35), fw, 16);
	ASSERT_EQ(3, n);
	EXPECT_EQ(0x0ULL, fw[0].start);
	EXPECT_EQ(0x9fc00ULL, fw[0].end);
	EXPECT_EQ(0x100000000ULL, fw[2].start);
	EXPECT_EQ(0x140000000ULL, fw[2].end);
	m = vk_intersect(kernel, 2, fw, n, both, 16);
	ASSERT_EQ(0, vk_pool_suggest(kernel, 2, 1 * GiB, &addr));
	EXPECT_EQ(0x140000000ULL, addr);	/* the kernel alone: past the firmware's RAM */
	ASSERT_EQ(0, vk_pool_suggest(both, m, 512 * MiB, &addr));
	EXPECT_EQ(0x120000000ULL, addr);
	EXPECT_EQ(-ENOSPC, vk_pool_suggest(both, m, 1 * GiB, &addr));
}

/* Test Case: a pool that takes most of System RAM is warned about, with what the host keeps. */
TEST(pool_leaves_little)
{
	static const struct vk_range host23[] = {	/* 23 GiB of System RAM */
		{ 0x100000, 3 * GiB }, { 4 * GiB, 24 * GiB + 0x100000 },
	};
	char msg[128] = "";

	EXPECT_TRUE(vk_pool_leaves_little(host23, 2, 20 * GiB, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "keeps 3.00 GiB of its 23.00 GiB")) TH_LOG("%s", msg);
	EXPECT_TRUE(vk_pool_leaves_little(host23, 2, 18 * GiB, msg, sizeof(msg)));
	EXPECT_FALSE(vk_pool_leaves_little(host23, 2, 16 * GiB, msg, sizeof(msg)));
	EXPECT_TRUE(vk_pool_leaves_little(host23, 2, 32 * GiB, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "keeps 0 B")) TH_LOG("%s", msg);
}

/* Test Case: --pools that the module would refuse for its geometry alone, in its words. */
TEST(pool_spec_error)
{
	static const struct {
		struct vk_pool_spec p;
		const char *why;
	} t[] = {
		{ { 1 * GiB, 2 * GiB, false }, NULL },
		{ { 1 * GiB, 1 * GiB + 4 * MiB, false }, NULL },
		{ { 0x1000, 0x1000 + 3 * MiB, false }, "not 2 MiB aligned" },
		{ { 1 * GiB, 1 * GiB + 3 * MiB, false }, "not 2 MiB aligned" },
		{ { 1 * GiB, 1 * GiB, false }, "not 2 MiB aligned" },
		{ { 1 * GiB, 1 * GiB + 2 * MiB, false }, "smaller than 4 MiB" },
		{ { 1 * GiB, 2 * GiB, true }, "pages of 1 GiB need a pool of 2 GiB or more" },
		{ { 1 * GiB + 2 * MiB, 3 * GiB + 2 * MiB, true },
		  "pages of 1 GiB need a pool 1 GiB aligned in base and size" },
		{ { 4 * GiB, 7 * GiB, true }, NULL },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		const char *why = vk_pool_spec_error(&t[i].p);

		EXPECT_STREQ(t[i].why ?: "(none)", why ?: "(none)") TH_LOG("case %u", i);
	}
}

/* Test Case: System RAM restricted to a NUMA node's ranges keeps only the overlap. */
TEST(intersect)
{
	static const struct vk_range ram[] = { { 0, 10 }, { 20, 30 } };
	static const struct vk_range node[] = { { 5, 25 }, { 40, 50 } };
	struct vk_range out[4];

	ASSERT_EQ(2, vk_intersect(ram, 2, node, 2, out, 4));
	EXPECT_EQ(5, out[0].start);
	EXPECT_EQ(10, out[0].end);
	EXPECT_EQ(20, out[1].start);
	EXPECT_EQ(25, out[1].end);
	EXPECT_EQ(1, vk_intersect(ram, 2, node, 2, out, 1));
}

static void fill_regions(struct vmkeep_region_info *r)
{
	memset(r, 0, 2 * sizeof(*r));
	strcpy(r[0].name, "vm1-ram");
	r[0].length = 4 * GiB;
	r[0].id = 7;
	r[0].uid = 107;
	r[0].gid = 994;
	r[0].mode = 0640;
	r[0].flags = VMKEEP_REGION_EXCLUSIVE;
	r[0].state = VMKEEP_STATE_INCOMING;
	r[0].nr_extents = 1;
	r[0].nr_open = 1;
	r[0].nr_mapped = 2;
	r[0].nr_bad_pages = 3;
	memset(r[1].name, 'q', VMKEEP_NAME_LEN);	/* not terminated */
	r[1].length = 256 * MiB;
	r[1].mode = 0600;
	r[1].node = 1;
	r[1].pool = 1;
	r[1].state = VMKEEP_STATE_QUARANTINED;
	r[1].quarantine = VMKEEP_Q_CRC;
}

static json_object *regions_json(const struct vmkeep_region_info *r, unsigned int n)
{
	struct vmkeep_ctx *vk = fake(r, n, NULL, 0, 0);
	json_object *o = vk_regions_json(vk, NULL);

	vmkeep_unref(vk);
	return o;
}

static json_object *pools_json(const struct vmkeep_pool_info *p, unsigned int n,
			       uint32_t flags)
{
	struct vmkeep_ctx *vk = fake(NULL, 0, p, n, flags);
	json_object *o = vk_status_json(vk, "0.1");

	vmkeep_unref(vk);
	return o;
}

static json_object *key(json_object *o, const char *k, enum json_type type)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, type))
		return NULL;
	return v ?: (json_object *)1;	/* a present null */
}

struct json_key {
	const char *key;
	enum json_type type;
};

/* "" when @o has exactly @keys with their types, else the first one wrong. */
static const char *wrong_key(json_object *o, const struct json_key *keys,
			     size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!key(o, keys[i].key, keys[i].type))
			return keys[i].key;
	return json_object_object_length(o) == (int)n ? "" : "(extra keys)";
}

/*
 * Test Case: list --json is {"regions":[...]} with snake_case keys, raw
 * byte sizes and typed values.
 */
TEST(list_json)
{
	static const struct json_key keys[] = {
		{ "name", json_type_string }, { "id", json_type_int },
		{ "size", json_type_int }, { "state", json_type_string },
		{ "uid", json_type_int }, { "gid", json_type_int },
		{ "mode", json_type_string }, { "node", json_type_int },
		{ "pool", json_type_int }, { "exclusive", json_type_boolean },
		{ "nr_extents", json_type_int }, { "nr_open", json_type_int },
		{ "nr_mapped", json_type_int }, { "repaired", json_type_boolean },
		{ "nr_bad_pages", json_type_int },
		{ "quarantine", json_type_null },
	};
	struct vmkeep_region_info r[2];
	json_object *o, *arr, *e;

	fill_regions(r);
	o = regions_json(r, 2);
	o = json_tokener_parse(json_object_to_json_string(o));
	ASSERT_NE(NULL, o);
	arr = key(o, "regions", json_type_array);
	ASSERT_NE(NULL, arr);
	ASSERT_EQ(2, json_object_array_length(arr));
	EXPECT_STREQ("", wrong_key(json_object_array_get_idx(arr, 0), keys, ARRAY_SIZE(keys)));
	e = json_object_array_get_idx(arr, 0);
	EXPECT_STREQ("vm1-ram", json_object_get_string(key(e, "name", json_type_string)));
	EXPECT_EQ(4 * GiB, json_object_get_uint64(key(e, "size", json_type_int)));
	EXPECT_STREQ("incoming", json_object_get_string(key(e, "state", json_type_string)));
	EXPECT_NE(NULL, key(e, "quarantine", json_type_null));
	EXPECT_STREQ("0640", json_object_get_string(key(e, "mode", json_type_string)));
	EXPECT_EQ(107, json_object_get_int(key(e, "uid", json_type_int)));
	EXPECT_TRUE(json_object_get_boolean(key(e, "exclusive", json_type_boolean)));
	EXPECT_EQ(2, json_object_get_int(key(e, "nr_mapped", json_type_int)));
	EXPECT_EQ(3, json_object_get_int(key(e, "nr_bad_pages", json_type_int)));
	e = json_object_array_get_idx(arr, 1);
	/* libvmkeep cuts a name the module failed to terminate */
	EXPECT_EQ(VMKEEP_NAME_LEN - 1,
		  strlen(json_object_get_string(key(e, "name", json_type_string))));
	EXPECT_STREQ("quarantined", json_object_get_string(key(e, "state", json_type_string)));
	EXPECT_STREQ("crc", json_object_get_string(key(e, "quarantine", json_type_string)));
	EXPECT_FALSE(json_object_get_boolean(key(e, "exclusive", json_type_boolean)));
	json_object_object_del(e, "quarantine");
	EXPECT_STREQ("", wrong_key(e, keys, ARRAY_SIZE(keys) - 1));
	json_object_put(o);

	o = json_tokener_parse(json_object_to_json_string(regions_json(NULL, 0)));
	ASSERT_NE(NULL, o);
	EXPECT_EQ(0, json_object_array_length(key(o, "regions", json_type_array)));
	json_object_put(o);
}

/* Test Case: status --json is {"frozen":bool,"pools":[...]} with raw sizes and handoff flags. */
TEST(status_json)
{
	static const struct json_key keys[] = {
		{ "pool", json_type_int }, { "base", json_type_int },
		{ "size", json_type_int }, { "free", json_type_int },
		{ "node", json_type_int }, { "state", json_type_string },
		{ "clean_handoff", json_type_boolean },
		{ "restored", json_type_boolean },
		{ "nr_regions", json_type_int }, { "nr_incoming", json_type_int },
		{ "nr_quarantined", json_type_int },
		{ "nr_repaired", json_type_int }, { "held", json_type_boolean },
		{ "foreign", json_type_boolean }, { "bad_pages", json_type_boolean },
		{ "page_size", json_type_int }, { "generation", json_type_int },
		{ "handoffs", json_type_int },
		{ "restore_ns", json_type_int }, { "meta_bytes", json_type_int },
		{ "damage", json_type_null },
	};
	struct vmkeep_pool_info p[2] = {
		{ .base = 0x40000000, .length = 512 * MiB, .free = 256 * MiB,
		  .state = VMKEEP_POOL_READY, .nr_regions = 1, .nr_incoming = 1,
		  .generation = 9, .handoffs = 2,
		  .flags = VMKEEP_POOL_CLEAN_HANDOFF | VMKEEP_POOL_RESTORED },
		{ .base = 0x200000000ULL, .length = 8 * GiB, .node = 1,
		  .state = VMKEEP_POOL_DAMAGED, .damage = VMKEEP_D_VERSION },
	};
	json_object *o, *arr, *e;

	o = pools_json(p, 2, VMKEEP_STATUS_FROZEN);
	o = json_tokener_parse(json_object_to_json_string(o));
	ASSERT_NE(NULL, o);
	EXPECT_TRUE(json_object_get_boolean(key(o, "frozen", json_type_boolean)));
	EXPECT_STREQ(VMKEEP_VERSION, json_object_get_string(key(o, "version", json_type_string)));
	EXPECT_STREQ("0.1", json_object_get_string(key(o, "module_version", json_type_string)));
	EXPECT_STREQ("vmkeep-v1", json_object_get_string(key(o, "format", json_type_string)));
	EXPECT_EQ(2, json_object_get_int(key(o, "format_version", json_type_int)));
	arr = key(o, "pools", json_type_array);
	ASSERT_NE(NULL, arr);
	ASSERT_EQ(2, json_object_array_length(arr));
	e = json_object_array_get_idx(arr, 0);
	EXPECT_STREQ("", wrong_key(e, keys, ARRAY_SIZE(keys)));
	EXPECT_EQ(0x40000000, json_object_get_uint64(key(e, "base", json_type_int)));
	EXPECT_EQ(256 * MiB, json_object_get_uint64(key(e, "free", json_type_int)));
	EXPECT_STREQ("ready", json_object_get_string(key(e, "state", json_type_string)));
	EXPECT_NE(NULL, key(e, "damage", json_type_null));
	EXPECT_TRUE(json_object_get_boolean(key(e, "clean_handoff", json_type_boolean)));
	e = json_object_array_get_idx(arr, 1);
	EXPECT_EQ(1, json_object_get_int(key(e, "pool", json_type_int)));
	EXPECT_EQ(8 * GiB, json_object_get_uint64(key(e, "size", json_type_int)));
	EXPECT_STREQ("damaged", json_object_get_string(key(e, "state", json_type_string)));
	EXPECT_STREQ("version", json_object_get_string(key(e, "damage", json_type_string)));
	json_object_put(o);
}

/*
 * Test Case: a pool held with no quarantined region is held because a
 * memory failure hit its metadata, and status says that, not "freed".
 */
TEST(held_by_bad_metadata)
{
	struct vmkeep_pool_info p[1] = {
		{ .base = 0x40000000, .length = 512 * MiB, .free = 256 * MiB,
		  .flags = VMKEEP_POOL_HELD | VMKEEP_POOL_BAD_PAGES },
	};
	struct vmkeep_ctx *vk;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	vk = fake(NULL, 0, p, 1, 0);
	ASSERT_NE(NULL, vk);
	f = open_memstream(&buf, &len);
	ASSERT_NE(NULL, f);
	vk_print_pools(f, vk);
	fclose(f);
	vmkeep_unref(vk);
	ASSERT_NE(NULL, buf);
	EXPECT_NE(NULL, strstr(buf, "1 pool held: a memory failure hit its metadata"))
		TH_LOG("\n%s", buf);
	EXPECT_EQ(NULL, strstr(buf, "quarantined regions were not repaired"));
	free(buf);
}

/*
 * Test Case: the tables for people show human sizes, states with reasons,
 * and the handoff summary.
 */
TEST(tables)
{
	static const char summary[] =
		"3 regions restored, 2 incoming, 1 repaired, 1 quarantined; unclean handoff";
	struct vmkeep_region_info r[2];
	struct vmkeep_pool_info p[2] = {
		{ .base = 0x40000000, .length = 512 * MiB, .free = 256 * MiB,
		  .nr_regions = 3, .nr_incoming = 2, .nr_quarantined = 1,
		  .nr_repaired = 1,
		  .flags = VMKEEP_POOL_RESTORED | VMKEEP_POOL_HELD |
			   VMKEEP_POOL_BAD_PAGES },
		{ .base = 0x60000000, .length = 64 * MiB, .free = 62 * MiB,
		  .state = VMKEEP_POOL_EMPTY },
	};
	struct vmkeep_ctx *vk;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	fill_regions(r);
	r[0].flags |= VMKEEP_REGION_REPAIRED;
	vk = fake(r, 2, p, 2, 0);
	ASSERT_NE(NULL, vk);
	f = open_memstream(&buf, &len);
	ASSERT_NE(NULL, f);
	vk_print_regions(f, vk, NULL);
	vk_print_pools(f, vk);
	fclose(f);
	vmkeep_unref(vk);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, strncmp(buf, "NAME ", 5)) TH_LOG("\n%s", buf);
	EXPECT_NE(NULL, strstr(buf, "vm1-ram"));
	EXPECT_NE(NULL, strstr(buf, "4.00 GiB  incoming,repaired"));
	EXPECT_NE(NULL, strstr(buf, "ready,held"));
	EXPECT_NE(NULL, strstr(buf, "1 pool held: quarantined regions were not repaired"));
	EXPECT_NE(NULL, strstr(buf, "'vmkeepctl format --pool N'"));
	EXPECT_NE(NULL, strstr(buf, "107:994"));
	EXPECT_NE(NULL, strstr(buf, "0640"));
	EXPECT_NE(NULL, strstr(buf, "exclusive"));
	EXPECT_NE(NULL, strstr(buf, "256.00 MiB  quarantined(crc)"));
	EXPECT_NE(NULL, strstr(buf, "0x40000000"));
	EXPECT_NE(NULL, strstr(buf, "unclean"));
	EXPECT_NE(NULL, strstr(buf, summary));
	EXPECT_NE(NULL, strstr(buf, "vm1-ram: 3 bad pages (memory failure"));
	EXPECT_NE(NULL, strstr(buf, "1 pool with bad pages (memory failures since"));
	free(buf);
}

/* Sessions of pool 0: systemd (incoming, a memfd and vm1-ram), out (outgoing, no file), bad. */
static const struct vmkeep_luo_session_info sessions[3] = {
	{ .name = "systemd", .state = VMKEEP_LUO_INCOMING, .set = 4, .bytes = 8192,
	  .nr_files = 2 },
	{ .name = "out", .state = VMKEEP_LUO_OUTGOING },
	{ .name = "bad", .state = VMKEEP_LUO_QUARANTINED, .set = 3,
	  .quarantine = VMKEEP_Q_LUO_DATA, .nr_files = 2 },
};

static const struct vmkeep_luo_file_info session_files[4] = {
	{ .token = 0, .size = 5000, .kind = VMKEEP_LUO_KIND_MEMFD },
	{ .token = 18446744073709551615ULL, .size = 4 * GiB, .region_id = 7,
	  .kind = VMKEEP_LUO_KIND_REGION },
	{ .token = 3, .size = 4096, .session = 2, .kind = VMKEEP_LUO_KIND_MEMFD },
	{ .token = 4, .size = 2 * MiB, .region_id = 9, .session = 2,
	  .kind = VMKEEP_LUO_KIND_REGION },
};

/* fill_regions()' regions, @ns of the sessions above; /dev/liveupdate @on. */
static struct vmkeep_ctx *fake_luo(struct vmkeep_region_info *r, unsigned int ns,
				   bool on)
{
	struct vmkeep_ctx *vk = fake(r, 2, NULL, 0, 0);

	if (vk && vmkeep_ctx_set_luo_snapshot(vk, sessions, ns, session_files,
					      ns > 2 ? 4 : ns ? 2 : 0,
					      on ? VMKEEP_LUO_ENABLED : 0) < 0) {
		vmkeep_unref(vk);
		return NULL;
	}
	return vk;
}

/* What vk_print_sessions() and vk_print_sessions_summary() print, malloc'ed. */
static char *sessions_text(struct vmkeep_ctx *vk)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	vk_print_sessions(f, vk);
	fputs("--\n", f);
	vk_print_sessions_summary(f, vk);
	fclose(f);
	return buf;
}

/*
 * Test Case: with /dev/liveupdate off and no session, list and status
 * print nothing more than before; on, or with a session kept, a table of
 * one row per file and a summary
 */
TEST(sessions_tables)
{
	static const char * const on[] = {
		"\nSESSION  STATE              POOL   SET                 TOKEN  KIND          SIZE  REGION\n",
		"\nsystemd  incoming              0     4                     0  memfd     4.88 KiB  -\n",
		"\nsystemd  incoming              0     4  18446744073709551615  region    4.00 GiB  vm1-ram\n",
		"\nout      outgoing              0     -                     -  -                -  -\n",
		"\nbad      quarantined(data)     0     3                     4  region    2.00 MiB  id 9\n",
		"\nlive update: /dev/liveupdate on; 3 sessions: 1 outgoing, 1 incoming, 0 retrieved, 1 quarantined ('vmkeepctl list' shows them)\n",
		"\n1 live update session quarantined: its records or bytes failed validation,",
	};
	static const char * const off[] = {
		"\nsystemd  incoming ",
		"\n/dev/liveupdate is off (module parameter luo=1): these sessions are kept, not retrieved\n",
		"\nlive update: /dev/liveupdate off; 1 session: 0 outgoing, 1 incoming,",
		"\n1 live update session from an earlier kernel kept for /dev/liveupdate, which is off (module parameter luo=1)\n",
	};
	struct vmkeep_region_info r[2];
	struct vmkeep_ctx *vk;
	unsigned int i;
	char *buf;

	fill_regions(r);
	vk = fake_luo(r, 0, false);
	ASSERT_NE(NULL, vk);
	buf = sessions_text(vk);
	EXPECT_STREQ("--\n", buf);
	free(buf);
	vmkeep_unref(vk);

	vk = fake_luo(r, 0, true);
	ASSERT_NE(NULL, vk);
	buf = sessions_text(vk);
	EXPECT_STREQ("\nno live update sessions\n--\n"
		     "live update: /dev/liveupdate on; 0 sessions: 0 outgoing, 0 incoming, 0 retrieved, 0 quarantined\n",
		     buf);
	free(buf);
	vmkeep_unref(vk);

	vk = fake_luo(r, 3, true);
	ASSERT_NE(NULL, vk);
	buf = sessions_text(vk);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, strncmp(buf, on[0], strlen(on[0]))) TH_LOG("\n%s", buf);
	for (i = 1; i < ARRAY_SIZE(on); i++)
		EXPECT_NE(NULL, strstr(buf, on[i])) TH_LOG("on[%u] not in\n%s", i, buf);
	EXPECT_EQ(NULL, strstr(buf, "is off"));
	free(buf);
	vmkeep_unref(vk);

	/* off, with sessions an earlier kernel handed over: kept, shown */
	vk = fake_luo(r, 1, false);
	ASSERT_NE(NULL, vk);
	buf = sessions_text(vk);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < ARRAY_SIZE(off); i++)
		EXPECT_NE(NULL, strstr(buf, off[i])) TH_LOG("off[%u] not in\n%s", i, buf);
	free(buf);
	vmkeep_unref(vk);
}

/* Test Case: the sessions in list --json and their summary in status --json, typed and raw. */
TEST(sessions_json)
{
	static const struct json_key skeys[] = {
		{ "name", json_type_string }, { "state", json_type_string },
		{ "quarantine", json_type_null }, { "pool", json_type_int },
		{ "set", json_type_int }, { "bytes", json_type_int },
		{ "nr_files", json_type_int }, { "files", json_type_array },
	};
	static const struct json_key fkeys[] = {
		{ "token", json_type_int }, { "kind", json_type_string },
		{ "size", json_type_int }, { "region_id", json_type_null },
		{ "region", json_type_null },
	};
	struct vmkeep_region_info r[2];
	json_object *o, *arr, *e, *f;
	struct vmkeep_ctx *vk;

	fill_regions(r);
	vk = fake_luo(r, 3, true);
	ASSERT_NE(NULL, vk);
	o = json_tokener_parse(json_object_to_json_string(vk_sessions_json(vk)));
	ASSERT_NE(NULL, o);
	EXPECT_TRUE(json_object_get_boolean(key(o, "enabled", json_type_boolean)));
	arr = key(o, "sessions", json_type_array);
	ASSERT_NE(NULL, arr);
	ASSERT_EQ(3, json_object_array_length(arr));
	e = json_object_array_get_idx(arr, 0);
	EXPECT_STREQ("", wrong_key(e, skeys, ARRAY_SIZE(skeys)));
	EXPECT_EQ(4, json_object_get_uint64(key(e, "set", json_type_int)));
	arr = key(e, "files", json_type_array);
	ASSERT_EQ(2, json_object_array_length(arr));
	f = json_object_array_get_idx(arr, 0);
	EXPECT_STREQ("", wrong_key(f, fkeys, ARRAY_SIZE(fkeys)));
	EXPECT_STREQ("memfd", json_object_get_string(key(f, "kind", json_type_string)));
	EXPECT_EQ(5000, json_object_get_uint64(key(f, "size", json_type_int)));
	f = json_object_array_get_idx(arr, 1);
	EXPECT_EQ(18446744073709551615ULL, json_object_get_uint64(key(f, "token", json_type_int)));
	EXPECT_EQ(7, json_object_get_uint64(key(f, "region_id", json_type_int)));
	EXPECT_STREQ("vm1-ram", json_object_get_string(key(f, "region", json_type_string)));
	e = json_object_array_get_idx(json_object_object_get(o, "sessions"), 1);
	EXPECT_NE(NULL, key(e, "set", json_type_null));
	EXPECT_STREQ("outgoing", json_object_get_string(key(e, "state", json_type_string)));
	e = json_object_array_get_idx(json_object_object_get(o, "sessions"), 2);
	EXPECT_STREQ("quarantined", json_object_get_string(key(e, "state", json_type_string)));
	EXPECT_STREQ("data", json_object_get_string(key(e, "quarantine", json_type_string)));
	json_object_put(o);

	o = vk_sessions_summary_json(vk);
	ASSERT_NE(NULL, o);
	EXPECT_TRUE(json_object_get_boolean(key(o, "enabled", json_type_boolean)));
	EXPECT_EQ(3, json_object_get_int(key(o, "nr_sessions", json_type_int)));
	EXPECT_EQ(1, json_object_get_int(key(o, "nr_outgoing", json_type_int)));
	EXPECT_EQ(1, json_object_get_int(key(o, "nr_incoming", json_type_int)));
	EXPECT_EQ(0, json_object_get_int(key(o, "nr_retrieved", json_type_int)));
	EXPECT_EQ(1, json_object_get_int(key(o, "nr_quarantined", json_type_int)));
	EXPECT_EQ(6, json_object_object_length(o));
	json_object_put(o);
	vmkeep_unref(vk);
}

/* "" when each key of @o (and of the objects in it) is ``key`` in @doc, else the first not. */
static const char *undocumented(json_object *o, const char *doc)
{
	static char quoted[64];
	const char *miss;
	size_t i;

	json_object_object_foreach(o, k, v) {
		snprintf(quoted, sizeof(quoted), "``%s``", k);
		if (!strstr(doc, quoted))
			return quoted;
		if (json_object_is_type(v, json_type_object)) {
			miss = undocumented(v, doc);
			if (*miss)
				return miss;
		}
		if (!json_object_is_type(v, json_type_array))
			continue;
		for (i = 0; i < json_object_array_length(v); i++) {
			miss = undocumented(json_object_array_get_idx(v, i), doc);
			if (*miss)
				return miss;
		}
	}
	return "";
}

/* Test Case: every key status --json and list --json print is named in vmkeepctl.rst. */
TEST(json_keys_documented)
{
	struct vmkeep_pool_info p = { .base = 0x40000000, .length = 512 * MiB,
				      .state = VMKEEP_POOL_READY };
	struct vmkeep_region_info r[2];
	FILE *f = fopen("../Documentation/vmkeepctl.rst", "r");
	struct vmkeep_ctx *vk;
	size_t cap = 0;
	char *doc = NULL;
	json_object *o;

	ASSERT_NE(NULL, f);
	ASSERT_LT(0, getdelim(&doc, &cap, '\0', f));
	fclose(f);
	fill_regions(r);
	o = pools_json(&p, 1, 0);
	EXPECT_STREQ("", undocumented(o, doc));
	json_object_put(o);
	o = regions_json(r, 2);
	EXPECT_STREQ("", undocumented(o, doc));
	json_object_put(o);
	vk = fake_luo(r, 3, true);
	ASSERT_NE(NULL, vk);
	o = vk_regions_json(vk, NULL);
	json_object_object_add(o, "live_update", vk_sessions_json(vk));
	EXPECT_STREQ("", undocumented(o, doc));
	json_object_put(o);
	o = vk_status_json(vk, NULL);
	json_object_object_add(o, "live_update", vk_sessions_summary_json(vk));
	EXPECT_STREQ("", undocumented(o, doc));
	json_object_put(o);
	vmkeep_unref(vk);
	free(doc);
}

/* A domain as libvirt formats it: the opt-in shape, with or without the marker. */
static const char lv_dom[] =
	"<domain type='qemu' id='7'>\n"
	"  <name>lv-vm1</name>\n"
	"  <uuid>b3689790-516c-4277-a010-3efd62b7ee98</uuid>\n"
	"  <metadata>\n"
	"    <vmkeep:ram xmlns:vmkeep=\"" LV_NS "\"/>\n"
	"  </metadata>\n"
	"  <memory unit='KiB'>65536</memory>\n"
	"  <currentMemory unit='KiB'>65536</currentMemory>\n"
	"  <memoryBacking>\n"
	"    <source type='file'/>\n"
	"    <access mode='shared'/>\n"
	"  </memoryBacking>\n"
	"  <os>\n"
	"    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>\n"
	"  </os>\n"
	"</domain>\n";

/* Test Case: opt-in, shape, size and id are read from libvirt's XML; unsupported shapes named. */
TEST(libvirt_xml_read)
{
	static const struct {
		const char *from, *to, *why;
	} bad[] = {
		{ "    <access mode='shared'/>\n", "", "no <access mode='shared'/>" },
		{ "    <source type='file'/>\n", "", "no <source type='file'/>" },
		{ "  </memoryBacking>", "    <hugepages/>\n  </memoryBacking>", "<hugepages>" },
		{ "  </memoryBacking>", "    <discard/>\n  </memoryBacking>", "<discard/>" },
		{ "  <os>", "  <cpu><numa>", "<numa>" },
		{ "x86_64", "aarch64", "not x86_64" },
	};
	char *x, *p, buf[64];
	unsigned int i;

	ASSERT_TRUE(lv_optin(lv_dom));
	ASSERT_EQ(NULL, lv_shape_error(lv_dom));
	ASSERT_EQ(64 * MiB, lv_memory_bytes(lv_dom));
	ASSERT_EQ(7, lv_domain_id(lv_dom));
	ASSERT_EQ(0, lv_xml_attr(strstr(lv_dom, "<domain"), "type", buf, sizeof(buf)));
	ASSERT_STREQ("qemu", buf);
	ASSERT_EQ(-ENOENT, lv_xml_attr(strstr(lv_dom, "<domain"), "ty", buf, sizeof(buf)));
	ASSERT_EQ(-ENOENT, lv_marker(lv_dom, buf, sizeof(buf), &(uint64_t){0}, &(uint64_t){0}));
	/* 1 KiB over 64 MiB is 66 MiB of region: whole 2 MiB units */
	x = strdup(lv_dom);
	p = strstr(x, "65536</memory>");
	memcpy(p, "65537", 5);
	ASSERT_EQ(66 * MiB, lv_memory_bytes(x));
	free(x);
	/* the namespace elsewhere than in <metadata> is no opt-in */
	ASSERT_FALSE(lv_optin("<domain><description>" LV_NS "</description></domain>"));
	ASSERT_EQ(-1, lv_domain_id("<domain type='qemu'>"));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *at = strstr(lv_dom, bad[i].from);

		ASSERT_TRUE(asprintf(&x, "%.*s%s%s", (int)(at - lv_dom), lv_dom, bad[i].to,
				     at + strlen(bad[i].from)) > 0);
		ASSERT_NE(NULL, lv_shape_error(x));
		EXPECT_NE(NULL, strstr(lv_shape_error(x), bad[i].why))
			TH_LOG("%s", lv_shape_error(x));
		free(x);
	}
}

/*
 * Test Case: a domain's name as libvirt escapes it in its XML, and the
 * memory backing directory libvirt makes of its id and name.
 */
TEST(libvirt_xml_name)
{
	char name[64] = "a&amp;b&lt;c&gt;&quot;d&apos;&amp;amp;", buf[64];
	unsigned int i;

	ASSERT_STREQ("a&b<c>\"d'&amp;", lv_xml_unescape(name));
	lv_short_name(3, "web1", true, buf, sizeof(buf));
	ASSERT_STREQ("3-web1", buf);
	lv_short_name(12, "abcdefghijklmnopqrstuvwxyz", false, buf, sizeof(buf));
	ASSERT_STREQ("12-abcdefghijklmnopqrst", buf);
	lv_short_name(12, "abcdefghijklmnopqrstuvwxyz", true, buf, sizeof(buf));
	ASSERT_STREQ("12-abcdefghijklmnopqrst", buf);
	/* 21 two-byte characters: 20 characters, or 20 bytes */
	memset(name, 0, sizeof(name));
	for (i = 0; i < 21; i++)
		memcpy(name + 2 * i, "\u00e9", 2);
	lv_short_name(1, name, true, buf, sizeof(buf));
	ASSERT_EQ(2 + 40, strlen(buf));
	lv_short_name(1, name, false, buf, sizeof(buf));
	ASSERT_EQ(2 + 20, strlen(buf));
}

/*
 * Test Case: the restore XML carries the agent's -qmp and the opt-in
 * element instead of the marker; cleaning it gives the original back,
 * and a user's own <qemu:commandline> stays whole.
 */
TEST(libvirt_xml_restore)
{
	const char *md = "    <vmkeep:ram xmlns:vmkeep=\"" LV_NS "\"/>\n";
	const char *mk = "    <vmkeep:saved xmlns:vmkeep=\"" LV_NS "\" region=\"" LV_TEST_REGION
			 "\" id=\"42\" size=\"67108864\"/>\n";
	char *saved, *r, *c, region[80], *own, *r2, *c2;
	const char *at = strstr(lv_dom, md);
	uint64_t id, size;

	ASSERT_TRUE(asprintf(&saved, "%.*s%s%s", (int)(at - lv_dom), lv_dom, mk,
			     at + strlen(md)) > 0);
	ASSERT_EQ(0, lv_marker(saved, region, sizeof(region), &id, &size));
	ASSERT_STREQ(LV_TEST_REGION, region);
	ASSERT_EQ(42, id);
	ASSERT_EQ(64 * MiB, size);
	r = lv_xml_restore(saved, LV_QMP_DIR "/u.sock");
	ASSERT_NE(NULL, r);
	ASSERT_NE(NULL, strstr(r, "<domain xmlns:qemu='" LV_QEMU_NS "' type='qemu'"));
	ASSERT_NE(NULL, strstr(r, "<qemu:arg value='-qmp'/>\n"
		"    <qemu:arg value='unix:" LV_QMP_DIR "/u.sock'/>"));
	ASSERT_EQ(NULL, strstr(r, ":saved"));
	ASSERT_TRUE(lv_optin(r));
	/* nothing of vmkeep's left: the original domain, namespace declaration aside */
	c = lv_xml_clean(r);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(NULL, strstr(c, "qemu:commandline"));
	ASSERT_EQ(NULL, strstr(c, "-qmp"));
	ASSERT_EQ(NULL, lv_xml_clean(lv_dom));
	ASSERT_EQ(NULL, lv_xml_clean(c));

	/* the user's own QEMU arguments */
	ASSERT_TRUE(asprintf(&own, "<domain type='qemu'>\n  <name>a</name>\n  <qemu:commandline>\n"
		"    <qemu:arg value='-d'/>\n    <qemu:arg value='guest_errors'/>\n"
		"  </qemu:commandline>\n</domain>\n") > 0);
	r2 = lv_xml_restore(own, "/run/vmkeep/libvirt/qmp/x.sock");
	ASSERT_NE(NULL, r2);
	ASSERT_NE(NULL, strstr(r2, "<qemu:arg value='guest_errors'/>\n"
		"    <qemu:arg value='-qmp'/>"));
	ASSERT_EQ(NULL, strstr(strstr(r2, "<qemu:commandline>") + 1, "<qemu:commandline>"));
	c2 = lv_xml_clean(r2);
	ASSERT_NE(NULL, c2);
	ASSERT_NE(NULL, strstr(c2, "<qemu:arg value='-d'/>\n    <qemu:arg value='guest_errors'/>\n"
		"  </qemu:commandline>"));
	ASSERT_EQ(NULL, strstr(c2, "-qmp"));
	free(saved);
	free(r);
	free(c);
	free(own);
	free(r2);
	free(c2);
}

/* Test Case: enable adds the opt-in's memoryBacking once; an unsupported one is refused. */
TEST(libvirt_xml_enable)
{
	const char *plain = "<domain type='qemu'>\n  <memory unit='KiB'>65536</memory>\n"
		"  <currentMemory unit='KiB'>65536</currentMemory>\n  <os>\n"
		"    <type arch='x86_64'>hvm</type>\n  </os>\n</domain>\n";
	const char *huge = "<domain type='qemu'>\n  <memory unit='KiB'>65536</memory>\n"
		"  <memoryBacking>\n    <hugepages/>\n  </memoryBacking>\n</domain>\n";
	const char *why;
	char *e, *e2;

	e = lv_xml_enable(plain, &why);
	ASSERT_NE(NULL, e);
	ASSERT_NE(NULL, strstr(e, "</currentMemory>\n  <memoryBacking>\n    <source type='file'/>\n"
		"    <access mode='shared'/>\n  </memoryBacking>\n  <os>"));
	ASSERT_EQ(NULL, lv_shape_error(e));
	e2 = lv_xml_enable(e, &why);
	ASSERT_STREQ(e, e2);
	ASSERT_EQ(NULL, lv_xml_enable(huge, &why));
	ASSERT_NE(NULL, why);
	free(e);
	free(e2);
}

/* Test Case: qemu.conf's block: libvirt's default ACL, the slots, once; an admin's ACL kept. */
TEST(libvirt_qemu_conf)
{
	char *c2;
	const char *conf = "# stock\n#cgroup_device_acl = [\n"
		"#    \"/dev/null\", \"/dev/full\", \"/dev/zero\",\n#    \"/dev/kvm\"\n#]\n"
		"user = \"libvirt-qemu\"\n";
	const char *why;
	char *a, *b, *c, *own;

	a = lv_qemu_conf(conf, 2, &why);
	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, strncmp(a, conf, strlen(conf)));
	ASSERT_NE(NULL, strstr(a, "cgroup_device_acl = [\n"
		"    \"/dev/null\", \"/dev/full\", \"/dev/zero\", \"/dev/kvm\",\n"
		"    \"" LV_ACL_DIR "/00\",\n    \"" LV_ACL_DIR "/01\"\n]\n# END vmkeep\n"));
	b = lv_qemu_conf(a, 2, &why);
	ASSERT_STREQ(a, b);
	c = lv_qemu_conf(a, 3, &why);
	ASSERT_NE(NULL, strstr(c, LV_ACL_DIR "/02"));
	ASSERT_EQ(NULL, strstr(strstr(c, "# BEGIN vmkeep") + 1, "# BEGIN vmkeep"));
	ASSERT_EQ(NULL, strstr(c, LV_ACL_DIR "/03"));
	ASSERT_TRUE(asprintf(&own, "%scgroup_device_acl = [ \"/dev/null\" ]\n", conf) > 0);
	ASSERT_EQ(NULL, lv_qemu_conf(own, 2, &why));
	ASSERT_NE(NULL, strstr(why, "sets cgroup_device_acl itself"));
	/* libvirt's parser takes a key after blanks too */
	why = NULL;
	EXPECT_EQ(NULL, lv_qemu_conf(" \tcgroup_device_acl=[ \"/dev/null\" ]\n", 2, &why));
	EXPECT_NE(NULL, why);
	/* not a longer key's prefix */
	c2 = lv_qemu_conf("cgroup_device_acl_x = 1\n", 2, &why);
	EXPECT_NE(NULL, c2);
	free(c2);
	free(a);
	free(b);
	free(c);
	free(own);
}

TEST_HARNESS_MAIN
