// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * vmkeepctl libvirt: libvirt domains whose RAM is a vmkeep region, kept
 * across the host update by libvirt's own managed save carrying only
 * device state.  No libvirt or QEMU change:
 *
 * - The opt-in is <memoryBacking><source type='file'/><access
 *   mode='shared'/> plus vmkeep's <metadata> element ('libvirt enable').
 *   libvirt then gives QEMU mem-path=<memory_backing_dir>/<id>-<name>/pc.ram;
 *   QEMU opens an existing file there as it is and takes a character
 *   device's size from lseek.  The hook (/etc/libvirt/hooks/qemu.d/
 *   50-vmkeep -> 'libvirt hook') makes the region libvirt-UUID at
 *   "prepare", puts a node of it at that path at "start" (the directory
 *   exists and is labelled by then; QEMU is not yet exec'd), frees it at
 *   "release" unless an update saved it.
 * - QEMU's device cgroup allows only the devices of qemu.conf's
 *   cgroup_device_acl, stat()ed when the cgroup is built (after
 *   "start"): 'libvirt setup' lists slot paths there once, and
 *   "prepare" makes slot NN a node of the region's device number.
 * - The update sets x-ignore-shared on the running QEMU (virsh
 *   qemu-monitor-command) right before 'virsh managedsave', with a
 *   marker in the live XML naming the region and its id, so that the
 *   image names the RAM it needs.  libvirt sets only capabilities it
 *   knows; x-ignore-shared is not one of them.
 * - The restore: libvirt starts QEMU with -incoming defer and sends
 *   migrate-incoming itself, with no hook in between, and QEMU 7.2-10
 *   take x-ignore-shared only over QMP.  The "restore" hook checks the
 *   region is the one the image names and adds "-qmp unix:SOCK" to the
 *   XML; an agent it leaves listening sets x-ignore-shared when QEMU
 *   connects (chardevs are made before RAM and the main loop), clears
 *   it when the load completed.  Should libvirt's migrate-incoming come
 *   first, QEMU refuses the stream ("Capability x-ignore-shared is off,
 *   but received capability is on"): RAM-less streams load only onto
 *   the region recorded, through this gate.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "vm.h"

#define QEMU_CONF	"/etc/libvirt/qemu.conf"
#define AA_ABS		"/etc/apparmor.d/abstractions/libvirt-qemu"
#define AA_LOCAL	"/etc/apparmor.d/local/abstractions/libvirt-qemu"
#define AA_DROPIN	"/etc/apparmor.d/abstractions/libvirt-qemu.d/vmkeep"
#define SAVE_DIR	"/var/lib/libvirt/qemu/save"
#define SAVED_DIR	"/var/lib/vmkeep/libvirt/saved"	/* root's record of each save, kept */
#define NODE_DIR	"/dev/vmkeep-region"
#define MAX_SLOTS	100
#define AGENT_WAIT_MS	120000	/* QEMU connects within this, or the agent ends */

static const char *opt_slots, *opt_conf = QEMU_CONF;
static bool opt_print, lv_opt_force;

/* ---- running things ---- */

/*
 * Run @argv; its stdout into *@out (malloc'd, may be NULL), its stderr
 * (last line) into @err.  The exit status, or -1.
 */
static int run(char *const argv[], char **out, char *err, size_t errlen)
{
	int po[2], pe[2], st = -1;
	struct pollfd p[2];
	size_t n = 0, cap = 0, ne = 0;
	char buf[4096], ebuf[4096];
	char *o = NULL;
	ssize_t r;
	pid_t pid;

	if (err)
		err[0] = '\0';
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		sigset_t none;

		/* a terminal's Ctrl-C aborts vmkeepctl's step, not virsh's job */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	p[0] = (struct pollfd){ .fd = po[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = pe[0], .events = POLLIN };
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			r = read(po[0], buf, sizeof(buf));
			if (r <= 0) {
				p[0].fd = -1;
			} else {
				if (n + r + 1 > cap) {
					cap = (n + r + 1) * 2;
					o = realloc(o, cap);
				}
				if (o)
					memcpy(o + n, buf, r);
				n += r;
			}
		}
		if (p[1].revents) {
			r = read(pe[0], ebuf + ne, sizeof(ebuf) - 1 - ne);
			if (r <= 0)
				p[1].fd = -1;
			else
				ne = ne + r >= sizeof(ebuf) - 1 ? 0 : ne + r;
		}
	}
	close(po[0]);
	close(pe[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (o)
		o[n] = '\0';
	if (out)
		*out = o;
	else
		free(o);
	ebuf[ne] = '\0';
	while (ne && ebuf[ne - 1] == '\n')
		ebuf[--ne] = '\0';
	if (err && errlen) {
		ne = ne < errlen - 1 ? ne : errlen - 1;
		memcpy(err, ebuf, ne);
		err[ne] = '\0';
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define VIRSH(out, err, ...) \
	run((char *const[]){ "virsh", "-q", __VA_ARGS__, NULL }, out, err, sizeof(err))

static char *read_fd(int fd)
{
	size_t n = 0, cap = 65536;
	char *s = malloc(cap);
	ssize_t r;

	while (s && (r = read(fd, s + n, cap - n - 1)) > 0) {
		n += r;
		if (n + 1 == cap)
			s = realloc(s, cap *= 2);
	}
	if (s)
		s[n] = '\0';
	return s;
}

/* ---- the host's libvirt: qemu.conf, users, paths ---- */

/* The value of an uncommented 'KEY = "VALUE"' line of qemu.conf, or @def. */
static void conf_value(const char *key, const char *def, char *buf, size_t len)
{
	char *c = read_text(opt_conf), *l, *q, *e;
	size_t k = strlen(key);

	snprintf(buf, len, "%s", def);
	for (l = c; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		l += strspn(l, " \t");	/* libvirt takes a key after blanks too */
		if (strncmp(l, key, k) || (l[k] != ' ' && l[k] != '\t' && l[k] != '='))
			continue;
		q = strchr(l, '"');
		e = q ? strchr(q + 1, '"') : NULL;
		if (e && e < (strchr(l, '\n') ?: l + strlen(l)))
			snprintf(buf, len, "%.*s", (int)(e - q - 1), q + 1);
	}
	free(c);
}

/* The user and group QEMU runs as (qemu.conf, Debian's default). */
static int qemu_ids(uid_t *uid, gid_t *gid)
{
	char u[64], g[64];
	struct passwd *pw;
	struct group *gr;

	conf_value("user", "libvirt-qemu", u, sizeof(u));
	conf_value("group", "libvirt-qemu", g, sizeof(g));
	pw = getpwnam(u[0] == '+' ? u + 1 : u);
	if (!pw)
		return -ENOENT;
	*uid = pw->pw_uid;
	gr = getgrnam(g[0] == '+' ? g + 1 : g);
	*gid = gr ? gr->gr_gid : pw->pw_gid;
	return 0;
}

/* How many slot paths qemu.conf lists (uncommented), from 'libvirt setup'. */
static unsigned int conf_slots(void)
{
	char *c = read_text(opt_conf), *p;
	unsigned int n = 0;

	for (p = c; p && (p = strstr(p, "\"" LV_ACL_DIR "/")); p++)
		n++;
	free(c);
	return n;
}

static void region_name(const char *uuid, char *buf, size_t len)
{
	snprintf(buf, len, "libvirt-%s", uuid);
}

/* The device number of region @name's node. */
static int region_rdev(const char *name, dev_t *rdev)
{
	char path[128];
	struct stat st;
	int i;

	snprintf(path, sizeof(path), NODE_DIR "/%s", name);
	for (i = 0; i < 200; i++) {
		if (!stat(path, &st) && S_ISCHR(st.st_mode)) {
			*rdev = st.st_rdev;
			return 0;
		}
		usleep(10000);
	}
	return -ENOENT;
}

/* A domain: what the commands learn of it. */
struct dom {
	char name[256];
	char uuid[40];
	char region[VMKEEP_NAME_MAX + 1];
	char *xml;
};

static int dom_parse(struct dom *d, char *xml)
{
	char *s;

	d->xml = xml;
	s = lv_xml_text(xml, "<uuid>", "</uuid>");
	snprintf(d->uuid, sizeof(d->uuid), "%s", s ?: "");
	free(s);
	s = lv_xml_text(xml, "<name>", "</name>");
	snprintf(d->name, sizeof(d->name), "%s", s ? lv_xml_unescape(s) : "");
	free(s);
	region_name(d->uuid, d->region, sizeof(d->region));
	return d->uuid[0] && d->name[0] ? 0 : -EINVAL;
}

/* Not a verdict on the region: resume leaves the image for a later try. */
static const char unlisted[] = "cannot be checked (the regions cannot be listed)";
static const char mapped[] = "is mapped: a QEMU runs on it";

/*
 * Region @name is the one recorded (@id, at least @size bytes) and
 * nobody maps it: device state saved with it may be loaded onto it.
 */
static const char *region_ok(struct ctx *ctx, const char *name, uint64_t id,
			     uint64_t size)
{
	struct vmkeep_region *r;

	if (vmkeep_regions_refresh(ctx->vk) < 0)
		return unlisted;
	r = vmkeep_region_find(ctx->vk, name);
	if (!r)
		return "is gone (a cold boot, or its pool did not come back)";
	if (vmkeep_region_get_id(r) != id)
		return "is another region (its id changed): its memory is not the domain's";
	if (vmkeep_region_get_size(r) < size)
		return "is smaller than the domain's RAM";
	if (vmkeep_region_is_quarantined(r))
		return "is quarantined";
	if (vmkeep_region_get_nr_mapped(r))
		return mapped;
	return NULL;
}

static void path_of(char *buf, size_t len, const char *sub, const char *uuid)
{
	snprintf(buf, len, LV_RUN_DIR "/%s/%s", sub, uuid);
}

/*
 * Root's record of the update's save of domain @uuid: "ID NONCE", on disk
 * across the kexec, gone once restored.  The image's marker carries the
 * same; an image without a matching record (an old one, or one whose
 * marker an interrupted update left in the live XML) is never taken as
 * device state only.
 */
static void saved_path(char *buf, size_t len, const char *uuid)
{
	snprintf(buf, len, SAVED_DIR "/%s", uuid);
}

static bool saved_matches(const char *xml, const char *uuid, uint64_t id)
{
	const char *m = strstr(xml, "<" LV_PREFIX ":saved ");
	char path[128], nonce[40], rn[40], *rec;
	unsigned long long rid;
	bool ok;

	saved_path(path, sizeof(path), uuid);
	rec = read_text(path);
	ok = m && rec && !lv_xml_attr(m, "nonce", nonce, sizeof(nonce)) &&
	     sscanf(rec, "%llu %39s", &rid, rn) == 2 && rid == id && !strcmp(rn, nonce);
	free(rec);
	return ok;
}

static int mkdirs(const char *path, mode_t mode)
{
	char tmp[PATH_MAX], *p;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(tmp, mode) && errno != EEXIST ? -errno : 0;
}

static int write_file(const char *path, const char *text)
{
	char dir[PATH_MAX];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir, 0700);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

/*
 * The domain's memory backing directory, opened: libvirt's root (qemu.conf's
 * memory_backing_dir plus /libvirt/qemu, else its default) and the exact
 * <id>-<short name> of this start, made by libvirt and given to QEMU's
 * user; not a symlink, not a directory of another start.  An fd, or -errno.
 */
static int membacking_open(struct dom *d, uid_t uid)
{
	char conf[PATH_MAX - 128], path[PATH_MAX], sn[96];
	long id = lv_domain_id(d->xml);
	struct stat st;
	int fd = -ENOENT, i;

	conf_value("memory_backing_dir", "", conf, sizeof(conf));
	for (i = 0; i < 2 && fd < 0 && id >= 0; i++) {
		lv_short_name(id, d->name, i, sn, sizeof(sn));
		if (conf[0])
			snprintf(path, sizeof(path), "%s/libvirt/qemu/%s", conf, sn);
		else
			snprintf(path, sizeof(path), "/var/lib/libvirt/qemu/ram/%s", sn);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		fd = fd < 0 ? -errno : fd;
	}
	if (fd >= 0 && (fstat(fd, &st) || (st.st_uid != uid && st.st_uid != 0))) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* ---- the hook ---- */

/* Bind a cgroup_device_acl slot to @rdev: a node of it at LV_ACL_DIR/NN. */
static const char *slot_bind(dev_t rdev)
{
	unsigned int i, n = conf_slots();
	char path[64];
	struct stat st;

	if (!n)
		return "no vmkeep slot in qemu.conf's cgroup_device_acl: 'vmkeepctl libvirt setup'";
	mkdirs(LV_ACL_DIR, 0755);
	for (i = 0; i < n && i < MAX_SLOTS; i++) {
		snprintf(path, sizeof(path), LV_ACL_DIR "/%02u", i);
		if (!lstat(path, &st) && S_ISCHR(st.st_mode) && st.st_rdev == rdev)
			return NULL;
	}
	for (i = 0; i < n && i < MAX_SLOTS; i++) {
		snprintf(path, sizeof(path), LV_ACL_DIR "/%02u", i);
		if (!mknod(path, S_IFCHR | 0600, rdev))
			return NULL;
		if (errno != EEXIST)
			return "cannot make the slot node";
	}
	return "every cgroup_device_acl slot is taken: 'vmkeepctl libvirt setup --slots N'";
}

static void slot_unbind(dev_t rdev)
{
	char path[64];
	struct stat st;
	unsigned int i;

	for (i = 0; i < MAX_SLOTS; i++) {
		snprintf(path, sizeof(path), LV_ACL_DIR "/%02u", i);
		if (!lstat(path, &st) && S_ISCHR(st.st_mode) && st.st_rdev == rdev)
			unlink(path);
	}
}

static int hook_fail(struct dom *d, const char *what, const char *why)
{
	fprintf(stderr, "vmkeep: %s: %s%s%s\n", d->name, what, why ? ": " : "", why ?: "");
	syslog(LOG_ERR, "%s: %s%s%s", d->name, what, why ? ": " : "", why ?: "");
	return RC_FAIL;
}

static uint64_t pending_id(const char *uuid)
{
	char path[128], *s;
	uint64_t id;

	path_of(path, sizeof(path), "pending", uuid);
	s = read_text(path);
	id = s ? strtoull(s, NULL, 10) : 0;
	free(s);
	return id;
}

/* prepare: the region (made, or the saved one for a restore) and its slot. */
static int hook_prepare(struct ctx *ctx, struct dom *d)
{
	struct vmkeep_alloc_attr a = { .size = sizeof(a),
		.flags = VMKEEP_ATTR_EXCLUSIVE | VMKEEP_ATTR_MODE | VMKEEP_ATTR_OWNER,
		.mode = 0600 };
	uint64_t size = lv_memory_bytes(d->xml), id;
	bool restore = strstr(d->xml, "unix:" LV_QMP_DIR "/");
	const char *why = lv_shape_error(d->xml);
	struct vmkeep_region *r;
	char path[128];
	dev_t rdev;
	int fd;

	if (why)
		return hook_fail(d, "RAM cannot be a vmkeep region", why);
	if (!size)
		return hook_fail(d, "no <memory unit='KiB'>", NULL);
	if (qemu_ids(&a.uid, &a.gid))
		return hook_fail(d, "QEMU's user (qemu.conf) is unknown", NULL);
	if (dev_open(ctx))
		return hook_fail(d, "vmkeep is not available", NULL);
	if (restore) {
		id = pending_id(d->uuid);
		why = id ? region_ok(ctx, d->region, id, size) : "no restore was checked";
		if (why)
			return hook_fail(d, d->region, why);
		syslog(LOG_INFO, "%s: restoring onto %s (id %llu)", d->name, d->region,
		       (unsigned long long)id);
	} else {
		vmkeep_regions_refresh(ctx->vk);
		r = vmkeep_region_find(ctx->vk, d->region);
		if (r && vmkeep_region_get_nr_mapped(r))
			return hook_fail(d, d->region, "is mapped by another process");
		/* a fresh boot of the domain: what the region held is nobody's */
		saved_path(path, sizeof(path), d->uuid);
		unlink(path);
		fd = r ? vmkeep_free(ctx->vk, d->region) : 0;
		if (fd < 0)
			return hook_fail(d, d->region, strerror(-fd));
		fd = vmkeep_alloc(ctx->vk, d->region, size, &a);
		if (fd < 0)
			return hook_fail(d, d->region, strerror(-fd));
		close(fd);
		syslog(LOG_INFO, "%s: RAM is region %s (%llu MiB)%s", d->name, d->region,
		       (unsigned long long)size >> 20, r ? ", made anew" : "");
	}
	if (region_rdev(d->region, &rdev))
		return hook_fail(d, d->region, "has no node in " NODE_DIR);
	why = slot_bind(rdev);
	return why ? hook_fail(d, "device cgroup", why) : 0;
}

/*
 * start: the region's node where QEMU opens its RAM.  The directory is
 * QEMU's user's: everything in it through its fd, nothing followed.
 */
static int hook_start(struct dom *d)
{
	uid_t uid;
	gid_t gid;
	dev_t rdev;
	int dfd;

	if (region_rdev(d->region, &rdev) || qemu_ids(&uid, &gid))
		return hook_fail(d, d->region, "has no node");
	dfd = membacking_open(d, uid);
	if (dfd < 0)
		return hook_fail(d, "memory backing directory of this start", strerror(-dfd));
	if ((unlinkat(dfd, "pc.ram", 0) && errno != ENOENT) ||
	    mknodat(dfd, "pc.ram", S_IFCHR | 0600, rdev) ||
	    fchownat(dfd, "pc.ram", uid, gid, AT_SYMLINK_NOFOLLOW)) {
		close(dfd);
		return hook_fail(d, "pc.ram", strerror(errno));
	}
	/* a wrong file name must not become guest RAM in a file on disk */
	fchmod(dfd, 0500);
	close(dfd);
	return 0;
}

/* started: a restore is complete; the region is this kernel's. */
static int hook_started(struct ctx *ctx, struct dom *d)
{
	struct vmkeep_region *r = NULL;
	char path[128];
	int err;

	/* QEMU runs: its RAM is the region, or the domain must not run */
	if (!dev_open(ctx) && vmkeep_regions_refresh(ctx->vk) >= 0)
		r = vmkeep_region_find(ctx->vk, d->region);
	if (!r || !vmkeep_region_get_nr_mapped(r))
		return hook_fail(d, d->region, "QEMU does not map it: its RAM is elsewhere");
	path_of(path, sizeof(path), "pending", d->uuid);
	if (access(path, F_OK))
		return 0;
	err = vmkeep_finish(ctx->vk, d->region);
	if (err && err != -EINVAL)
		syslog(LOG_WARNING, "%s: finish %s: %s", d->name, d->region, strerror(-err));
	unlink(path);
	saved_path(path, sizeof(path), d->uuid);
	unlink(path);
	syslog(LOG_INFO, "%s: restored onto %s, RAM in place", d->name, d->region);
	return 0;
}

/* release: the slot goes; the region too unless an update saved it. */
static int hook_release(struct ctx *ctx, struct dom *d)
{
	char saved[128], pending[128];
	dev_t rdev;
	int err;

	if (!region_rdev(d->region, &rdev))
		slot_unbind(rdev);
	saved_path(saved, sizeof(saved), d->uuid);
	path_of(pending, sizeof(pending), "pending", d->uuid);
	if (!access(saved, F_OK) || !access(pending, F_OK)) {
		syslog(LOG_INFO, "%s: %s kept: its managed save needs it", d->name, d->region);
		return 0;
	}
	if (dev_open(ctx))
		return 0;
	err = vmkeep_free(ctx->vk, d->region);
	if (err && err != -ENOENT)
		syslog(LOG_WARNING, "%s: free %s: %s", d->name, d->region, strerror(-err));
	return 0;
}

/*
 * The agent's QMP client's pid runs QEMU for domain @uuid (@name): the
 * pid libvirt recorded for it, with its -uuid and its AppArmor label.
 */
static bool peer_is(int fd, const char *name, const char *uuid)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);
	char path[PATH_MAX], *a;
	size_t n = 0;
	bool ok = false;
	FILE *f;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l))
		return false;
	/* libvirt writes it before QEMU runs */
	snprintf(path, sizeof(path), "/run/libvirt/qemu/%s.pid", name);
	a = read_text(path);
	ok = a && atoi(a) == cr.pid;
	free(a);
	if (!ok)
		return false;
	ok = false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", cr.pid);
	f = fopen(path, "re");
	a = calloc(1, 65537);
	if (f && a)
		n = fread(a, 1, 65536, f);
	for (char *p = a; a && p < a + n; p += strlen(p) + 1)
		if (!strcmp(p, "-uuid") && p + 6 < a + n && !strcmp(p + 6, uuid))
			ok = true;
	if (f)
		fclose(f);
	free(a);
	/*
	 * A process can rewrite its own command line; not its AppArmor
	 * label: where libvirt confines QEMU, it must be this domain's.
	 */
	snprintf(path, sizeof(path), "/proc/%d/attr/apparmor/current", cr.pid);
	a = read_text(path);
	if (!a) {
		snprintf(path, sizeof(path), "/proc/%d/attr/current", cr.pid);
		a = read_text(path);
	}
	if (ok && a && !strncmp(a, "libvirt-", 8))
		ok = !strncmp(a + 8, uuid, strlen(uuid)) && a[8 + strlen(uuid)] == ' ';
	free(a);
	return ok;
}

static int set_ignore_shared(struct qmp *q, bool on)
{
	json_object *a = json_object_new_object(), *caps = json_object_new_array(),
		    *c = json_object_new_object();

	json_object_object_add(c, "capability", json_object_new_string("x-ignore-shared"));
	json_object_object_add(c, "state", json_object_new_boolean(on));
	json_object_array_add(caps, c);
	json_object_object_add(a, "capabilities", caps);
	return qmp_exec(q, "migrate-set-capabilities", a, -1, NULL);
}

/* The agent, in its own process: one QEMU, one incoming migration. */
static void agent(int lfd, const char *name, const char *uuid, const char *sock,
		  ino_t ino)
{
	struct stat sst;
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	json_object *st = NULL;
	const char *s = "";
	struct qmp q;
	int fd = -1, i;

	while (fd < 0) {
		if (poll(&p, 1, AGENT_WAIT_MS) != 1) {
			syslog(LOG_WARNING, "%s: QEMU did not connect to %s", name, sock);
			goto out;
		}
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0 && !peer_is(fd, name, uuid)) {
			syslog(LOG_WARNING, "%s: a process that is not its QEMU connected to %s",
			       name, sock);
			close(fd);
			fd = -1;
		}
	}
	memset(&q, 0, sizeof(q));
	q.fd = fd;
	if (qmp_attach(&q) || set_ignore_shared(&q, true)) {
		syslog(LOG_ERR, "%s: x-ignore-shared not set (%s): the restore fails, its managed save stays",
		       name, q.err);
		goto out_q;
	}
	syslog(LOG_INFO, "%s: x-ignore-shared on for the incoming device state", name);
	for (i = 0; i < 600000 / 20; i++) {
		if (qmp_exec(&q, "query-migrate", NULL, -1, &st))
			break;
		s = qmp_str(st, "status");
		if (!strcmp(s, "completed") || !strcmp(s, "failed") || !strcmp(s, "cancelled"))
			break;
		json_object_put(st);
		st = NULL;
		usleep(20000);
	}
	/* after the load, a save or migration must carry all of RAM again */
	if (set_ignore_shared(&q, false))
		syslog(LOG_ERR, "%s: x-ignore-shared still on (%s)", name, q.err);
	else
		syslog(LOG_INFO, "%s: incoming %s; x-ignore-shared off", name, s[0] ? s : "ended");
	json_object_put(st);
out_q:
	qmp_close(&q);
out:
	/* a later restore of the domain may have put its own socket there */
	if (!stat(sock, &sst) && sst.st_ino == ino)
		unlink(sock);
	_exit(0);
}

/* Listen on the agent's socket, then leave the agent to it. */
static int agent_start(struct dom *d, char *sock, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	uid_t uid;
	gid_t gid;
	int fd, nul;
	pid_t pid;

	snprintf(sock, len, LV_QMP_DIR "/%s.sock", d->uuid);
	if (qemu_ids(&uid, &gid) || mkdirs(LV_QMP_DIR, 0755))
		return -EINVAL;
	if (strlen(sock) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	unlink(sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chown(sock, uid, gid) || chmod(sock, 0600) || listen(fd, 4) || stat(sock, &st))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid) {
		close(fd);
		return 0;
	}
	/* libvirt reads the hook's output until EOF: let go of it */
	setsid();
	nul = open("/dev/null", O_RDWR);
	dup2(nul, 0);
	dup2(nul, 1);
	dup2(nul, 2);
	agent(fd, d->name, d->uuid, sock, st.st_ino);
	return 0;
}

/* restore: check the image's RAM is in place; hand over the XML to use. */
static int hook_restore(struct ctx *ctx, struct dom *d)
{
	char region[VMKEEP_NAME_MAX + 1], path[128], sock[128], idbuf[32];
	uint64_t id, size;
	const char *why;
	char *out;

	if (lv_marker(d->xml, region, sizeof(region), &id, &size) ||
	    !saved_matches(d->xml, d->uuid, id)) {
		/*
		 * A managed save with all of RAM, a plain 'virsh save', or an
		 * image this host's record does not name (a stale marker, an
		 * older save): as any image; QEMU refuses one without RAM.
		 */
		out = lv_xml_clean(d->xml);
		if (out)
			fputs(out, stdout);
		free(out);
		return 0;
	}
	if (strcmp(region, d->region))
		return hook_fail(d, "restore refused", "the image names another domain's region");
	why = dev_open(ctx) ? "vmkeep is not available" : region_ok(ctx, region, id, size);
	if (why) {
		fprintf(stderr, "vmkeep: %s: saved RAM region %s %s: restore refused, the device state would not find its RAM; 'vmkeepctl libvirt resume' discards it (virsh managedsave-remove)\n",
			d->name, region, why);
		syslog(LOG_ERR, "%s: saved RAM region %s %s: restore refused",
		       d->name, region, why);
		return RC_FAIL;
	}
	path_of(path, sizeof(path), "pending", d->uuid);
	snprintf(idbuf, sizeof(idbuf), "%llu\n", (unsigned long long)id);
	if (write_file(path, idbuf) || agent_start(d, sock, sizeof(sock)))
		return hook_fail(d, "restore refused", "cannot start vmkeep's restore agent");
	out = lv_xml_restore(d->xml, sock);
	if (!out)
		return hook_fail(d, "restore refused", "cannot edit the XML");
	fputs(out, stdout);
	free(out);
	return 0;
}

/*
 * libvirt hook: "hook DOMAIN OP SUBOP EXTRA", the XML on stdin.  Runs
 * inside libvirt's job on the domain: never calls virsh.
 */
/* An incoming migration: nothing of a vmkeep restore goes along. */
static void hook_migrate(const struct dom *d)
{
	char *out = lv_xml_clean(d->xml);

	if (out)
		fputs(out, stdout);
	free(out);
}

static int lv_hook(struct ctx *ctx, int argc, char **argv)
{
	struct dom d = {};
	int rc = 0;

	if (argc < 4)
		return bad_operands(ctx, "DOMAIN OPERATION SUBOPERATION [EXTRA]");
	openlog("vmkeep-libvirt", LOG_PID, LOG_DAEMON);
	if (dom_parse(&d, read_fd(0)) || !lv_optin(d.xml))
		goto out;
	if (!strcmp(argv[2], "prepare") && !strcmp(argv[3], "begin"))
		rc = hook_prepare(ctx, &d);
	else if (!strcmp(argv[2], "start") && !strcmp(argv[3], "begin"))
		rc = hook_start(&d);
	else if (!strcmp(argv[2], "started") && !strcmp(argv[3], "begin"))
		rc = hook_started(ctx, &d);
	else if (!strcmp(argv[2], "release") && !strcmp(argv[3], "end"))
		rc = hook_release(ctx, &d);
	else if (!strcmp(argv[2], "restore") && !strcmp(argv[3], "begin"))
		rc = hook_restore(ctx, &d);
	else if (!strcmp(argv[2], "migrate") && !strcmp(argv[3], "begin"))
		hook_migrate(&d);
out:
	free(d.xml);
	return rc;
}

/* ---- the update: save, resume ---- */

/*
 * Domain @uuid, parsed; its live XML, or the managed save's.  virsh is
 * given UUIDs only: a name may look like an option or another's id.
 */
static int dom_get(struct dom *d, const char *uuid, bool saved)
{
	char err[512], *xml = NULL;
	int rc = saved ? VIRSH(&xml, err, "managedsave-dumpxml", (char *)uuid)
		       : VIRSH(&xml, err, "dumpxml", (char *)uuid);

	memset(d, 0, sizeof(*d));
	if (rc || !xml) {
		free(xml);
		return -EINVAL;
	}
	return dom_parse(d, xml);
}

/*
 * The UUIDs of the domains virsh lists with @flag ("--state-running",
 * "--with-managed-save"; NULL: all).
 */
static char *names(const char *flag)
{
	char err[512], *out = NULL;

	if (flag ? VIRSH(&out, err, "list", "--all", (char *)flag, "--uuid") :
		   VIRSH(&out, err, "list", "--all", "--uuid")) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * Domain @d's QEMU maps its RAM from a node of region d->region: the
 * path of its maps that ends in /pc.ram, seen in QEMU's mount namespace.
 */
static const char *ram_is_region(struct ctx *ctx, struct dom *d)
{
	char path[PATH_MAX + 64], *pid, *line = NULL, *p;
	struct vmkeep_region *r;
	size_t cap = 0;
	bool found = false;
	struct stat st;
	dev_t rdev;
	FILE *f;

	snprintf(path, sizeof(path), "/run/libvirt/qemu/%s.pid", d->name);
	pid = read_text(path);
	if (!pid)
		return "its QEMU's pid file is missing";
	r = vmkeep_regions_refresh(ctx->vk) < 0 ? NULL : vmkeep_region_find(ctx->vk, d->region);
	if (!r || region_rdev(d->region, &rdev)) {
		free(pid);
		return "there is no region of its name (started before vmkeep's hook?)";
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", atoi(pid));
	f = fopen(path, "re");
	while (f && !found && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		p = strchr(line, '/');
		if (!p || strlen(p) < 7 || strcmp(p + strlen(p) - 7, "/pc.ram"))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/root%s", atoi(pid), p);
		found = !stat(path, &st) && S_ISCHR(st.st_mode) && st.st_rdev == rdev;
	}
	free(line);
	free(pid);
	if (f)
		fclose(f);
	if (!found)
		return "QEMU does not map its RAM from the region (not started by vmkeep's hook?)";
	return vmkeep_region_get_nr_mapped(r) ? NULL : "the region is not mapped";
}

static int qmp_cap(struct dom *d, bool on)
{
	char cmd[256], err[512];

	snprintf(cmd, sizeof(cmd), "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[{\"capability\":\"x-ignore-shared\",\"state\":%s}]}}",
		 on ? "true" : "false");
	return VIRSH(NULL, err, "qemu-monitor-command", d->uuid, cmd);
}

/* x-ignore-shared of the running domain: 1 on, 0 off, -1 unknown. */
static int cap_state(struct dom *d)
{
	char err[512], *out = NULL, *p;
	int on = -1;

	if (!VIRSH(&out, err, "qemu-monitor-command", d->uuid,
		   "{\"execute\":\"query-migrate-capabilities\"}") && out) {
		p = strstr(out, "\"x-ignore-shared\"");
		/* {"capability": "x-ignore-shared", "state": B}, either order */
		while (p && p > out && *p != '{')
			p--;
		p = p ? strstr(p, "\"state\"") : NULL;
		if (p && strchr(p, ':')) {
			p = strchr(p, ':') + 1;
			p += strspn(p, " ");
			on = !strncmp(p, "true", 4);
		}
	}
	free(out);
	return on;
}

/* The save's marker in the live XML (@nonce), or the plain opt-in element. */
static int set_marker(struct dom *d, uint64_t id, uint64_t size, const char *nonce)
{
	char md[320], err[512];

	if (nonce)
		snprintf(md, sizeof(md), "<saved region=\"%s\" id=\"%llu\" size=\"%llu\" nonce=\"%s\"/>",
			 d->region, (unsigned long long)id, (unsigned long long)size, nonce);
	else
		snprintf(md, sizeof(md), "<ram/>");
	return VIRSH(NULL, err, "metadata", d->uuid, "--live", "--uri", LV_NS, "--key",
		     LV_PREFIX, "--set", md);
}

/*
 * A domain an update armed (x-ignore-shared on, the marker in its live
 * XML) and did not save, vmkeepctl killed in between: still running,
 * both go, or its next save or snapshot carries no RAM.  Saved: its
 * record alone goes.  0, or -1 if one was left (virsh failed).
 */
static int lv_disarm(void)
{
	DIR *dir = opendir(LV_RUN_DIR "/armed");
	char path[128], err[512], *st;
	struct dirent *e;
	struct dom d;
	int rc = 0;

	while (dir && (e = readdir(dir))) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(d.uuid))
			continue;
		memset(&d, 0, sizeof(d));
		memcpy(d.uuid, e->d_name, strlen(e->d_name) + 1);
		st = NULL;
		if (VIRSH(&st, err, "domstate", d.uuid) || !st) {
			free(st);
			rc = -1;
			continue;
		}
		if (strncmp(st, "shut off", 8)) {
			if (qmp_cap(&d, false) || set_marker(&d, 0, 0, NULL)) {
				free(st);
				rc = -1;
				continue;
			}
			saved_path(path, sizeof(path), d.uuid);
			unlink(path);
			printf("libvirt domain %s: an interrupted update left x-ignore-shared and its marker on: cleared\n",
			       d.uuid);
		}
		free(st);
		path_of(path, sizeof(path), "armed", d.uuid);
		unlink(path);
	}
	if (dir)
		closedir(dir);
	return rc;
}

static long long file_size(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), SAVE_DIR "/%s.save", name);
	return stat(path, &st) ? -1 : (long long)st.st_size;
}

static void free_doms(struct dom *ds, unsigned int n)
{
	while (n)
		free(ds[--n].xml);
	free(ds);
}

/*
 * The opted-in running domains, each checked: its RAM is its region,
 * mapped by its QEMU.  The others are named as libvirt-guests' to
 * handle.  How many cannot be saved (named); -1 without libvirt.
 */
static int lv_pick(struct ctx *ctx, struct dom **out, unsigned int *nr)
{
	char *list = names("--state-running"), *save = NULL, *n;
	struct dom *ds = NULL, d;
	const char *why;
	int bad = 0;

	*nr = 0;
	*out = NULL;
	if (!list)
		return -1;
	for (n = strtok_r(list, "\n", &save); n; n = strtok_r(NULL, "\n", &save)) {
		if (!n[0] || dom_get(&d, n, false))
			continue;
		if (!lv_optin(d.xml)) {
			printf("%s: libvirt domain not opted in to vmkeep: left to libvirt (libvirt-guests)\n",
			       d.name);
			free(d.xml);
			continue;
		}
		why = ram_is_region(ctx, &d);
		if (why) {
			fprintf(stderr, "vmkeepctl: %s libvirt %s: RAM is not a vmkeep region: %s; not saved\n",
				ctx->cmd->name, d.name, why);
			bad++;
			free(d.xml);
			continue;
		}
		ds = realloc(ds, (*nr + 1) * sizeof(*ds));
		ds[(*nr)++] = d;
	}
	free(list);
	*out = ds;
	return bad;
}

static int resume_one(struct ctx *ctx, const char *uuid);

/*
 * Domain @d is shut off: not running, not being started or restored
 * (libvirt makes it active, paused, before QEMU runs).
 */
static bool dom_inactive(struct dom *d)
{
	char err[512], *st = NULL;
	bool off = !VIRSH(&st, err, "domstate", d->uuid) && st && !strncmp(st, "shut off", 8);

	free(st);
	return off;
}

/*
 * 'vmkeepctl update' and 'libvirt save': every opted-in running domain
 * into its managed save with x-ignore-shared on (device state only),
 * one after the other.  Before any is saved, refused (@force: go on
 * without it) if one cannot be.  A failed save puts back what the
 * domain had, resumes those saved, and fails.
 */
int lv_update(struct ctx *ctx, bool check, bool force)
{
	unsigned int nr, i, k;
	struct dom *ds;
	char err[512], path[128], armed[128], nonce[20], rec[48];
	unsigned long long rnd[1];
	struct vmkeep_region *r;
	long long t0, ms, sz;
	sigset_t sigs, old;
	int bad, rc = 0;

	lv_disarm();
	bad = lv_pick(ctx, &ds, &nr);
	if (bad < 0)
		return 0;	/* no libvirt here */
	if (bad && !force) {
		free_doms(ds, nr);
		return fail(ctx, RC_FAIL, NULL, 0, "an opted-in libvirt domain cannot be saved: nothing was stopped (--force goes on without it)");
	}
	if (check) {
		for (i = 0; i < nr; i++)
			printf("update: would save libvirt domain %s (RAM in %s)\n",
			       ds[i].name, ds[i].region);
		free_doms(ds, nr);
		return 0;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	for (i = 0; i < nr && !rc; i++) {
		struct dom *d = &ds[i];

		r = vmkeep_region_find(ctx->vk, d->region);
		saved_path(path, sizeof(path), d->uuid);
		path_of(armed, sizeof(armed), "armed", d->uuid);
		/*
		 * From the cap to the end of the save, a signal would leave
		 * them on a running domain: held until the domain is saved
		 * or put back.  SIGKILL leaves the armed record, which the
		 * next update, resume or boot disarms.
		 */
		sigprocmask(SIG_BLOCK, &sigs, &old);
		/* a nonce per save: an older image of the same region is not this one */
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			rc = fail(ctx, RC_FAIL, d->name, errno, "no random nonce");
			break;
		}
		snprintf(nonce, sizeof(nonce), "%016llx", (unsigned long long)rnd[0]);
		snprintf(rec, sizeof(rec), "%llu %s\n",
			 (unsigned long long)vmkeep_region_get_id(r), nonce);
		t0 = now_ms();
		err[0] = '\0';
		if (write_file(path, rec) || write_file(armed, "") || qmp_cap(d, true) ||
		    set_marker(d, vmkeep_region_get_id(r), lv_memory_bytes(d->xml), nonce) ||
		    VIRSH(NULL, err, "managedsave", d->uuid)) {
			rc = fail(ctx, RC_FAIL, d->name, 0, err[0] ? err : "virsh failed");
			qmp_cap(d, false);
			set_marker(d, 0, 0, NULL);
			unlink(path);
		}
		unlink(armed);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (rc)
			break;
		ms = now_ms() - t0;
		sz = file_size(d->name);
		report(ctx, d->name, "libvirt managed save: %lld bytes (device state; RAM %llu MiB stays in %s), %lld ms",
		       sz, (unsigned long long)lv_memory_bytes(d->xml) >> 20, d->region, ms);
	}
	if (rc) {
		for (k = 0; k < i; k++)
			if (k != i - 1 || file_size(ds[k].name) >= 0)
				resume_one(ctx, ds[k].uuid);
		fprintf(stderr, "vmkeepctl: update: a libvirt domain could not be saved; the others run again, no kexec\n");
	}
	free_doms(ds, nr);
	return rc;
}

/* Whether @pid is a QEMU libvirt started (/run/libvirt/qemu/NAME.pid). */
bool lv_libvirt_pid(int pid)
{
	DIR *dir = opendir("/run/libvirt/qemu");
	char path[PATH_MAX], *s;
	struct dirent *e;
	bool is = false;
	size_t l;

	while (dir && !is && (e = readdir(dir))) {
		l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".pid"))
			continue;
		snprintf(path, sizeof(path), "/run/libvirt/qemu/%s", e->d_name);
		s = read_text(path);
		is = s && atoi(s) == pid;
		free(s);
	}
	if (dir)
		closedir(dir);
	return is;
}

/*
 * Bring one managed save of an update back through libvirt, or discard
 * it when its RAM is not in place.  0 when it runs again.
 */
static int resume_one(struct ctx *ctx, const char *uuid)
{
	char region[VMKEEP_NAME_MAX + 1], err[512], path[128];
	uint64_t id, size;
	const char *why, *name;
	struct dom d;
	long long t0;
	int tries, rc = RC_FAIL;

	if (dom_get(&d, uuid, true))
		return fail(ctx, RC_FAIL, uuid, 0, "cannot read its managed save's XML");
	name = d.name;
	if (!lv_optin(d.xml) || lv_marker(d.xml, region, sizeof(region), &id, &size) ||
	    !saved_matches(d.xml, d.uuid, id)) {
		printf("%s: managed save with all of its RAM (or not vmkeep's record): left to libvirt\n",
		       name);
		free(d.xml);
		return 0;
	}
	/*
	 * libvirt's autostart may be restoring it (or has): then it is
	 * libvirt's.  The image is discarded only on a definite mismatch.
	 */
	if (!dom_inactive(&d)) {
		printf("%s: already active (libvirt's autostart?): left to libvirt\n", name);
		free(d.xml);
		return 0;
	}
	why = strcmp(region, d.region) ? "is another domain's" : region_ok(ctx, region, id, size);
	if (why == unlisted || why == mapped) {
		fprintf(stderr, "vmkeepctl: libvirt resume %s: saved RAM region %s %s: its managed save stays; resume again\n",
			name, region, why);
		free(d.xml);
		return RC_FAIL;
	}
	if (why) {
		if (!dom_inactive(&d)) {
			free(d.xml);
			return 0;
		}
		VIRSH(NULL, err, "managedsave-remove", d.uuid);
		saved_path(path, sizeof(path), d.uuid);
		unlink(path);
		fprintf(stderr, "vmkeepctl: libvirt resume %s: saved RAM region %s %s: its managed save (device state only) was discarded; the domain is off: start it anew\n",
			name, region, why);
		free(d.xml);
		return RC_FAIL;
	}
	t0 = now_ms();
	for (tries = 0; tries < 3 && rc; tries++) {
		/* a lost race with libvirt's migrate-incoming fails safe: again */
		if (!VIRSH(NULL, err, "start", d.uuid))
			rc = 0;
		else if (file_size(name) < 0)
			break;
	}
	if (rc) {
		free(d.xml);
		return fail(ctx, RC_FAIL, name, 0, err);
	}
	if (cap_state(&d) == 1) {
		qmp_cap(&d, false);
		report_warn(ctx, "%s: x-ignore-shared was still on: cleared", name);
	}
	printf("%s: running again on its RAM (%s): virsh start %lld ms\n", name, region,
	       now_ms() - t0);
	free(d.xml);
	return 0;
}

static int lv_resume(struct ctx *ctx)
{
	char *list = names("--with-managed-save"), *save = NULL, *n;
	int rc = 0;

	if (!list)
		return fail(ctx, RC_FAIL, NULL, 0, "virsh list failed: is libvirt running?");
	lv_disarm();
	if (dev_open(ctx))
		fprintf(stderr, "vmkeepctl: libvirt resume: vmkeep is not available: vmkeep's managed saves stay; resume again once it is\n");
	for (n = strtok_r(list, "\n", &save); n; n = strtok_r(NULL, "\n", &save))
		if (n[0] && resume_one(ctx, n))
			rc = RC_FAIL;
	free(list);
	return rc;
}

/* ---- setup, enable, status ---- */

/*
 * @text into a new file @path of @mode, never through a symlink or an
 * existing file: qemu.conf may hold VNC/SPICE passwords, so its copies
 * are no more readable than it is.
 */
static int write_new(const char *path, const char *text, mode_t mode)
{
	size_t n = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) || write(fd, text, n) != (ssize_t)n || fsync(fd)) {
		int err = errno ? -errno : -EIO;

		close(fd);
		unlink(path);
		return err;
	}
	return close(fd) ? -errno : 0;
}

static int replace_file(struct ctx *ctx, const char *path, const char *text)
{
	char tmp[PATH_MAX], bak[PATH_MAX];
	struct stat st = { .st_mode = 0644 };
	int err;

	stat(path, &st);
	snprintf(bak, sizeof(bak), "%s.vmkeep-%ld", path, (long)time(NULL));
	snprintf(tmp, sizeof(tmp), "%s.vmkeep-new", path);
	if (!access(path, F_OK)) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		char *old = fd >= 0 ? read_fd(fd) : NULL;	/* an empty file too */

		if (fd >= 0)
			close(fd);
		err = old ? write_new(bak, old, st.st_mode & 07777) : -errno;
		free(old);
		if (err)
			return fail(ctx, RC_FAIL, bak, -err, "no backup, nothing changed");
	}
	unlink(tmp);	/* one a killed run left */
	err = write_new(tmp, text, st.st_mode & 07777);
	if (err || rename(tmp, path))
		return fail(ctx, RC_FAIL, path, err ? -err : errno, NULL);
	printf("%s: written (before: %s)\n", path, access(bak, F_OK) ? "none" : bak);
	return 0;
}

#define AA_BEGIN	"# BEGIN vmkeep: 'vmkeepctl libvirt setup' wrote this block\n"
#define AA_RULE		"  " LV_QMP_DIR "/*.sock rw,\n"
#define AA_END		"# END vmkeep\n"

static int lv_setup(struct ctx *ctx)
{
	unsigned long slots;
	const char *why;
	char *conf, *nc, *aa, *na = NULL, *abs, dir[PATH_MAX];
	const char *aa_path;
	int rc = 0;

	/* run again without --slots: as many as the block has */
	if (!opt_slots)
		slots = conf_slots() ?: 32;
	else if (parse_uint(opt_slots, 10, MAX_SLOTS, &slots) || !slots)
		return bad_arg(ctx, "--slots", opt_slots, "1 to 100");
	conf = read_text(opt_conf);
	if (!conf)
		return fail(ctx, RC_FAIL, opt_conf, errno, NULL);
	nc = lv_qemu_conf(conf, slots, &why);
	if (!nc) {
		free(conf);
		return fail(ctx, RC_FAIL, opt_conf, 0, why);
	}
	if (opt_print)
		fputs(strstr(nc, "# BEGIN vmkeep"), stdout);
	else if (strcmp(nc, conf))
		rc = replace_file(ctx, opt_conf, nc);
	else
		printf("%s: vmkeep's block is there already\n", opt_conf);
	free(conf);
	free(nc);
	if (rc || opt_print || strcmp(opt_conf, QEMU_CONF))
		return rc;
	/*
	 * The agent's socket, for every domain's AppArmor profile: in the
	 * abstraction's drop-in directory where it has one (libvirt 10 and
	 * later), else in the site file (libvirt 9: made empty by libvirt).
	 */
	abs = read_text(AA_ABS);
	if (!abs) {
		printf("AppArmor: no libvirt-qemu abstraction, nothing to add\n");
		return 0;
	}
	aa_path = strstr(abs, "<abstractions/libvirt-qemu.d>") ? AA_DROPIN : AA_LOCAL;
	free(abs);
	aa = read_text(aa_path);
	if (!aa && !access(aa_path, F_OK))
		aa = strdup("");	/* read_text() gives NULL for an empty file */
	if (aa && strstr(aa, AA_BEGIN)) {
		printf("%s: vmkeep's block is there already\n", aa_path);
	} else if (asprintf(&na, "%s%s" AA_BEGIN AA_RULE AA_END, aa ?: "",
			    aa && aa[0] && aa[strlen(aa) - 1] != '\n' ? "\n" : "") >= 0) {
		snprintf(dir, sizeof(dir), "%s", aa_path);
		*strrchr(dir, '/') = '\0';
		mkdirs(dir, 0755);
		rc = replace_file(ctx, aa_path, na);
	}
	free(aa);
	free(na);
	if (!rc)
		printf("restart libvirt's QEMU driver for qemu.conf to apply (systemctl try-restart libvirtd virtqemud); running domains go on\n");
	return rc;
}

static int lv_enable(struct ctx *ctx, const char *name)
{
	char err[512], *xml = NULL, *nx, tmp[] = "/tmp/vmkeep-enable-XXXXXX";
	const char *why;
	int fd, rc;

	struct dom d;

	/* the user's name as an option's value: never taken for an option */
	if (VIRSH(&xml, err, "dumpxml", "--inactive", "--domain", (char *)name) || !xml ||
	    dom_parse(&d, xml)) {
		free(xml);
		return fail(ctx, RC_FAIL, name, 0, err);
	}
	nx = lv_xml_enable(xml, &why);
	if (!nx) {
		free(xml);
		return fail(ctx, RC_FAIL, name, 0, why);
	}
	rc = 0;
	if (strcmp(nx, xml)) {
		fd = mkstemp(tmp);
		if (fd < 0 || write(fd, nx, strlen(nx)) != (ssize_t)strlen(nx) ||
		    close(fd) || VIRSH(NULL, err, "define", tmp))
			rc = fail(ctx, RC_FAIL, name, 0, err[0] ? err : "cannot write the XML");
		unlink(tmp);
	}
	if (!rc && VIRSH(NULL, err, "metadata", d.uuid, "--config", "--uri", LV_NS,
			 "--key", LV_PREFIX, "--set", "<ram/>"))
		rc = fail(ctx, RC_FAIL, name, 0, err);
	if (!rc)
		printf("%s: opted in: its RAM is region libvirt-UUID from its next start (a running domain: shut it down and start it)\n",
		       name);
	free(xml);
	free(nx);
	return rc;
}

static int lv_status(struct ctx *ctx)
{
	char *list = names(NULL), *save = NULL, *n, err[512], *ms = NULL, *all;
	struct vmkeep_region *r;
	struct dom d;
	bool vk = !dev_open(ctx);

	if (!list)
		return fail(ctx, RC_FAIL, NULL, 0, "virsh list failed: is libvirt running?");
	all = strdup(list);
	if (vk)
		vmkeep_regions_refresh(ctx->vk);
	printf("%-20s %-10s %-46s %-10s %s\n", "DOMAIN", "STATE", "REGION", "REGION-ST", "MANAGED-SAVE");
	for (n = strtok_r(list, "\n", &save); n; n = strtok_r(NULL, "\n", &save)) {
		if (!n[0] || dom_get(&d, n, false))
			continue;
		if (lv_optin(d.xml)) {
			char region[VMKEEP_NAME_MAX + 1];
			uint64_t id, size;
			struct dom s;
			const char *msv = "none";

			VIRSH(&ms, err, "domstate", d.uuid);
			r = vk ? vmkeep_region_find(ctx->vk, d.region) : NULL;
			if (file_size(d.name) >= 0 && !dom_get(&s, d.uuid, true)) {
				msv = lv_marker(s.xml, region, sizeof(region), &id, &size) ?
				      "all RAM" : "vmkeep (device state)";
				free(s.xml);
			}
			printf("%-20s %-10.10s %-46s %-10s %s\n", d.name,
			       ms ? strtok(ms, "\n") ?: "" : "?",
			       d.region, r ? vmkeep_region_get_state_name(r) : "none", msv);
			free(ms);
			ms = NULL;
		}
		free(d.xml);
	}
	/* a region of a domain libvirt no longer knows holds RAM of nobody's */
	vmkeep_region_foreach(ctx->vk, r) {
		const char *rn = vmkeep_region_get_name(r);

		if (vk && all && !strncmp(rn, "libvirt-", 8) && !strstr(all, rn + 8))
			printf("%-20s %-10s %-46s %-10s %s\n", "(none: leaked)", "-", rn,
			       vmkeep_region_get_state_name(r), "'vmkeepctl free' it");
	}
	free(all);
	free(list);
	return 0;
}

/* ---- the command group ---- */

static int cmd_lv_setup(int argc, char **argv, struct ctx *ctx)
{
	int rc = parse_no_operands(ctx, argc, argv, false);

	return rc >= 0 ? rc : lv_setup(ctx);
}

static int cmd_lv_enable(int argc, char **argv, struct ctx *ctx)
{
	int rc = parse_opts(ctx, argc, argv);

	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return bad_operands(ctx, "one DOMAIN");
	return lv_enable(ctx, argv[optind]);
}

static int cmd_lv_hook(int argc, char **argv, struct ctx *ctx)
{
	int rc = parse_opts(ctx, argc, argv);

	return rc >= 0 ? rc : lv_hook(ctx, argc - optind + 1, argv + optind - 1);
}

static int cmd_lv_save(int argc, char **argv, struct ctx *ctx)
{
	int rc = parse_no_operands(ctx, argc, argv, false);

	/* in order with stderr, in a unit's journal too */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (rc >= 0)
		return rc;
	rc = dev_open(ctx);
	return rc ?: lv_update(ctx, false, lv_opt_force);
}

static int cmd_lv_resume(int argc, char **argv, struct ctx *ctx)
{
	int rc = parse_no_operands(ctx, argc, argv, false);

	setvbuf(stdout, NULL, _IOLBF, 0);
	return rc >= 0 ? rc : lv_resume(ctx);
}

static int cmd_lv_disarm(int argc, char **argv, struct ctx *ctx)
{
	int rc = parse_no_operands(ctx, argc, argv, false);

	if (rc >= 0)
		return rc;
	if (lv_disarm())
		return fail(ctx, RC_FAIL, NULL, 0, "an armed domain could not be disarmed (virsh failed)");
	return 0;
}

static int cmd_lv_status(int argc, char **argv, struct ctx *ctx)
{
	int rc = parse_no_operands(ctx, argc, argv, false);

	return rc >= 0 ? rc : lv_status(ctx);
}

static const struct opt lv_setup_opts[] = {
	{ "slots", "N", "domains with vmkeep RAM that may run at once (32; again: as before)",
	  .str = &opt_slots },
	{ "qemu-conf", "FILE", "the qemu.conf to edit (" QEMU_CONF ")", .str = &opt_conf },
	{ "print", NULL, "print the block, change nothing", .flag = &opt_print },
	{}
};

static const struct opt lv_save_opts[] = {
	{ "force", NULL, "go on without the domains that cannot be saved", .flag = &lv_opt_force },
	{}
};

static const struct cmd lv_cmds[] = {
	{ .name = "libvirt setup", .fn = cmd_lv_setup, .opts = lv_setup_opts,
	  .about = "Once per host, as root: list N device slots in qemu.conf's cgroup_device_acl\n"
	  "(a marked block after libvirt's defaults; a backup is kept) and let QEMU reach\n"
	  "vmkeep's restore agent (AppArmor, local/abstractions/libvirt-qemu).\n" },
	{ .name = "libvirt enable", .fn = cmd_lv_enable, .args = "DOMAIN",
	  .about = "Opt a libvirt domain in: file-backed shared RAM (<memoryBacking>) and\n"
	  "vmkeep's <metadata> element.  From its next start its RAM is region\n"
	  "libvirt-UUID, owned by QEMU's user.\n" },
	{ .name = "libvirt hook", .fn = cmd_lv_hook,
	  .args = "DOMAIN OPERATION SUBOPERATION [EXTRA]",
	  .about = "libvirt's qemu hook (/etc/libvirt/hooks/qemu.d/50-vmkeep), XML on stdin.\n" },
	{ .name = "libvirt save", .fn = cmd_lv_save, .opts = lv_save_opts,
	  .about = "Save every opted-in running domain with 'virsh managedsave', device state only\n"
	  "(x-ignore-shared); 'vmkeepctl update' does it before the kexec.\n" },
	{ .name = "libvirt resume", .fn = cmd_lv_resume,
	  .about = "After the kexec: 'virsh start' each domain vmkeep saved, onto its RAM.  One\n"
	  "whose region is not the one saved with: its managed save is discarded, the\n"
	  "domain stays off.  Managed saves with all of RAM are left to libvirt.\n" },
	{ .name = "libvirt disarm", .fn = cmd_lv_disarm,
	  .about = "Clear x-ignore-shared and the save marker of each running domain an\n"
	  "interrupted save left them on (update, resume and vmkeep-libvirt.service do it).\n" },
	{ .name = "libvirt status", .fn = cmd_lv_status,
	  .about = "The opted-in domains: state, region, managed save.\n" },
};

static const struct cmd_group lv_group = { "libvirt", lv_cmds, ARRAY_SIZE(lv_cmds) };

int lv_help(struct ctx *ctx, const char *name)
{
	return group_help(&lv_group, ctx, name);
}

int cmd_libvirt(int argc, char **argv, struct ctx *ctx)
{
	return group_run(&lv_group, argc, argv, ctx);
}
