// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * What list and status print: tables for people (human sizes), JSON for
 * programs (raw sizes), from a libvmkeep snapshot.  The names of states
 * and reasons are the ones the module's debugfs uses (vmkeep/names.h,
 * through libvmkeep's accessors).  Live update sessions are shown only
 * when the module provides /dev/liveupdate or keeps a session, so that
 * what list and status print stays as it was on a host that does not
 * use them.
 */
#include <inttypes.h>
#include <string.h>
#include <linux/vmkeep.h>

#include "vmkeepctl.h"
#include "vmkeep/format.h"

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void add_int(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void add_bool(json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

static void add_str(json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s ? json_object_new_string(s) : NULL);
}

static json_object *region_json(struct vmkeep_region *r)
{
	json_object *o = json_object_new_object();
	char mode[8];

	add_str(o, "name", vmkeep_region_get_name(r));
	add_u64(o, "id", vmkeep_region_get_id(r));
	add_u64(o, "size", vmkeep_region_get_size(r));
	add_str(o, "state", vmkeep_region_get_state_name(r));
	add_str(o, "quarantine", vmkeep_region_get_quarantine_name(r));
	add_int(o, "uid", vmkeep_region_get_uid(r));
	add_int(o, "gid", vmkeep_region_get_gid(r));
	snprintf(mode, sizeof(mode), "%04o", vmkeep_region_get_mode(r));
	add_str(o, "mode", mode);
	add_int(o, "node", vmkeep_region_get_node(r));
	add_int(o, "pool", vmkeep_region_get_pool(r));
	add_bool(o, "exclusive", vmkeep_region_is_exclusive(r));
	add_bool(o, "repaired", vmkeep_region_is_repaired(r));
	add_int(o, "nr_extents", vmkeep_region_get_nr_extents(r));
	add_int(o, "nr_open", vmkeep_region_get_nr_open(r));
	add_int(o, "nr_mapped", vmkeep_region_get_nr_mapped(r));
	add_int(o, "nr_bad_pages", vmkeep_region_get_nr_bad_pages(r));
	return o;
}

/**
 * vk_regions_json() - {"regions": [...]} for ``vmkeepctl list --json``
 * @vk: libvmkeep context
 * @only: that region alone, or NULL for all
 *
 * Sizes are bytes; "quarantine" is null unless the state is
 * "quarantined"; "mode" is an octal string such as "0600".
 *
 * Return: a new object for the caller to put.
 */
json_object *vk_regions_json(struct vmkeep_ctx *vk, struct vmkeep_region *only)
{
	json_object *root = json_object_new_object();
	json_object *arr = json_object_new_array();
	struct vmkeep_region *r;

	if (only)
		json_object_array_add(arr, region_json(only));
	else
		vmkeep_region_foreach(vk, r)
			json_object_array_add(arr, region_json(r));
	json_object_object_add(root, "regions", arr);
	return root;
}

static json_object *pool_json(struct vmkeep_pool *p)
{
	json_object *o = json_object_new_object();

	add_int(o, "pool", vmkeep_pool_get_index(p));
	add_u64(o, "base", vmkeep_pool_get_base(p));
	add_u64(o, "size", vmkeep_pool_get_size(p));
	add_u64(o, "free", vmkeep_pool_get_free(p));
	add_int(o, "node", vmkeep_pool_get_node(p));
	add_str(o, "state", vmkeep_pool_get_state_name(p));
	add_str(o, "damage", vmkeep_pool_get_damage_name(p));
	add_bool(o, "clean_handoff", vmkeep_pool_is_clean_handoff(p));
	add_bool(o, "restored", vmkeep_pool_is_restored(p));
	add_int(o, "nr_regions", vmkeep_pool_get_nr_regions(p));
	add_int(o, "nr_incoming", vmkeep_pool_get_nr_incoming(p));
	add_int(o, "nr_quarantined", vmkeep_pool_get_nr_quarantined(p));
	add_int(o, "nr_repaired", vmkeep_pool_get_nr_repaired(p));
	add_bool(o, "held", vmkeep_pool_is_held(p));
	add_bool(o, "foreign", vmkeep_pool_is_foreign(p));
	add_bool(o, "bad_pages", vmkeep_pool_has_bad_pages(p));
	add_u64(o, "page_size", vmkeep_pool_get_page_size(p));
	add_u64(o, "generation", vmkeep_pool_get_generation(p));
	add_u64(o, "handoffs", vmkeep_pool_get_handoffs(p));
	add_u64(o, "restore_ns", vmkeep_pool_get_restore_ns(p));
	add_u64(o, "meta_bytes", vmkeep_pool_get_meta_bytes(p));
	return o;
}

/**
 * vk_status_json() - {"version": ..., "frozen": bool, "pools": [...]} for
 * ``status --json``
 * @vk: libvmkeep context
 * @module_version: the loaded module's MODULE_VERSION, or NULL
 *
 * The versions: this tool's, the module's, and the on-pool format this
 * tool reads (its compatible string and version).
 *
 * Return: a new object for the caller to put.
 */
json_object *vk_status_json(struct vmkeep_ctx *vk, const char *module_version)
{
	json_object *root = json_object_new_object();
	json_object *arr = json_object_new_array();
	struct vmkeep_pool *p;

	add_str(root, "version", VMKEEP_VERSION);
	add_str(root, "module_version", module_version);
	add_str(root, "format", VMKEEP_FMT_COMPATIBLE);
	add_int(root, "format_version", VMKEEP_FMT_VERSION);
	add_bool(root, "frozen", vmkeep_is_frozen(vk) > 0);
	vmkeep_pool_foreach(vk, p)
		json_object_array_add(arr, pool_json(p));
	json_object_object_add(root, "pools", arr);
	return root;
}

/*
 * "incoming", "incoming,repaired" when it came from the other metadata
 * copy, or "quarantined(crc)" with the reason
 */
static void region_state(struct vmkeep_region *r, char *buf, size_t len)
{
	if (vmkeep_region_is_quarantined(r))
		snprintf(buf, len, "quarantined(%s)",
			 vmkeep_region_get_quarantine_name(r));
	else
		snprintf(buf, len, "%s%s", vmkeep_region_get_state_name(r),
			 vmkeep_region_is_repaired(r) ? ",repaired" : "");
}

static void region_owner(struct vmkeep_region *r, char *buf, size_t len)
{
	snprintf(buf, len, "%u:%u", vmkeep_region_get_uid(r),
		 vmkeep_region_get_gid(r));
}

static void widen(int *w, const char *s)
{
	if ((int)strlen(s) > *w)
		*w = strlen(s);
}

#define for_each_shown(vk, only, r)	\
	for (r = (only) ?: vmkeep_region_get_first(vk); r; \
	     r = (only) ? NULL : vmkeep_region_get_next(r))

/* The table of ``vmkeepctl list``. */
void vk_print_regions(FILE *f, struct vmkeep_ctx *vk, struct vmkeep_region *only)
{
	int wname = 4, wstate = 5, wowner = 5;
	char size[32], state[32], owner[24];
	struct vmkeep_region *r;

	for_each_shown(vk, only, r) {
		region_state(r, state, sizeof(state));
		region_owner(r, owner, sizeof(owner));
		widen(&wname, vmkeep_region_get_name(r));
		widen(&wstate, state);
		widen(&wowner, owner);
	}
	if (!only && !vmkeep_region_get_first(vk)) {
		fprintf(f, "no regions\n");
		return;
	}
	fprintf(f, "%-*s  %10s  %-*s  %-*s  MODE  NODE  %-9s  OPEN  MAPPED\n",
		wname, "NAME", "SIZE", wstate, "STATE", wowner, "OWNER", "FLAGS");
	for_each_shown(vk, only, r) {
		vk_human_size(vmkeep_region_get_size(r), size, sizeof(size));
		region_state(r, state, sizeof(state));
		region_owner(r, owner, sizeof(owner));
		fprintf(f, "%-*s  %10s  %-*s  %-*s  %04o  %4d  %-9s  %4u  %6u\n",
			wname, vmkeep_region_get_name(r), size, wstate, state,
			wowner, owner, vmkeep_region_get_mode(r),
			vmkeep_region_get_node(r),
			vmkeep_region_is_exclusive(r) ? "exclusive" : "-",
			vmkeep_region_get_nr_open(r), vmkeep_region_get_nr_mapped(r));
	}
	for_each_shown(vk, only, r)
		if (vmkeep_region_get_nr_bad_pages(r))
			fprintf(f, "%s: %u bad page%s (memory failure; the kernel log has the offsets): SIGBUS on access, EIO to read or write\n",
				vmkeep_region_get_name(r), vmkeep_region_get_nr_bad_pages(r),
				vmkeep_region_get_nr_bad_pages(r) == 1 ? "" : "s");
}

static void print_pool(FILE *f, struct vmkeep_pool *p)
{
	char size[32], avail[32], state[32];

	vk_human_size(vmkeep_pool_get_size(p), size, sizeof(size));
	vk_human_size(vmkeep_pool_get_free(p), avail, sizeof(avail));
	if (vmkeep_pool_is_damaged(p))
		snprintf(state, sizeof(state), "damaged(%s)",
			 vmkeep_pool_get_damage_name(p));
	else if (vmkeep_pool_is_held(p))
		snprintf(state, sizeof(state), "ready,held");
	else
		snprintf(state, sizeof(state), "%s", vmkeep_pool_get_state_name(p));
	fprintf(f, "%4u  0x%-16" PRIx64 "  %10s  %10s  %4d  %-18s  %7u  %8u  %11u  %s\n",
		vmkeep_pool_get_index(p), vmkeep_pool_get_base(p), size, avail,
		vmkeep_pool_get_node(p), state, vmkeep_pool_get_nr_regions(p),
		vmkeep_pool_get_nr_incoming(p), vmkeep_pool_get_nr_quarantined(p),
		vmkeep_pool_is_clean_handoff(p) ? "clean" :
		vmkeep_pool_is_restored(p) ? "unclean" : "-");
}

/* Regions restored, incoming, quarantined, and how the last kernel left. */
static void print_handoff(FILE *f, struct vmkeep_ctx *vk)
{
	unsigned int restored = 0, incoming = 0, quarantined = 0, repaired = 0;
	unsigned int handoffs = 0, unclean = 0, damaged = 0, empty = 0, held = 0;
	unsigned int foreign = 0, bad = 0, meta_held = 0;
	struct vmkeep_pool *p;

	vmkeep_pool_foreach(vk, p) {
		if (vmkeep_pool_is_restored(p)) {
			restored += vmkeep_pool_get_nr_regions(p);
			handoffs++;
			unclean += !vmkeep_pool_is_clean_handoff(p);
		}
		incoming += vmkeep_pool_get_nr_incoming(p);
		quarantined += vmkeep_pool_get_nr_quarantined(p);
		repaired += vmkeep_pool_get_nr_repaired(p);
		damaged += vmkeep_pool_is_damaged(p);
		empty += !strcmp(vmkeep_pool_get_state_name(p), "empty");
		/* No quarantined region holds it: its metadata went bad. */
		if (vmkeep_pool_is_held(p) && !vmkeep_pool_get_nr_quarantined(p))
			meta_held++;
		else
			held += vmkeep_pool_is_held(p);
		foreign += vmkeep_pool_is_foreign(p);
		bad += vmkeep_pool_has_bad_pages(p);
	}
	fprintf(f, "%u region%s restored, %u incoming, %u repaired, %u quarantined; ",
		restored, restored == 1 ? "" : "s", incoming, repaired,
		quarantined);
	if (!handoffs)
		fprintf(f, "no handoff from a previous kernel\n");
	else if (unclean)
		fprintf(f, "unclean handoff: the previous kernel did not shut down in order\n");
	else
		fprintf(f, "clean handoff\n");
	if (damaged)
		fprintf(f,
			"%u damaged pool%s left untouched: 'vmkeepctl format --pool N --force' erases one\n",
			damaged, damaged == 1 ? "" : "s");
	if (held)
		fprintf(f,
			"%u pool%s held: quarantined regions were not repaired, so the metadata stays as found and nothing is allocated there until they are freed ('vmkeepctl free NAME')\n",
			held, held == 1 ? "" : "s");
	if (meta_held)
		fprintf(f,
			"%u pool%s held: a memory failure hit its metadata, which this load neither reads nor writes again (no allocation, no clean mark at kexec); its regions stay usable until the module is unloaded\n",
			meta_held, meta_held == 1 ? "" : "s");
	if (foreign)
		fprintf(f,
			"%u foreign pool%s: valid metadata this host holds no identity for (never formatted here, formatted before pool identities, or its range was System RAM in a boot since), so nothing is restored: 'vmkeepctl adopt --pool N' takes one as it is, 'vmkeepctl format --pool N --force' erases it\n",
			foreign, foreign == 1 ? "" : "s");
	if (bad)
		fprintf(f,
			"%u pool%s with bad pages (memory failures since the module was loaded, 'vmkeepctl list' says in which regions): known to this load only, not stored in the pool: after an unload or a kexec their memory is handed out again once its region is freed\n",
			bad, bad == 1 ? "" : "s");
	if (empty)
		fprintf(f,
			"%u pool%s without vmkeep metadata, unused: a new pool is initialised with 'vmkeepctl format --pool N' (check that vmkeep.pools= names it right first)\n",
			empty, empty == 1 ? "" : "s");
}

/*
 * The table of ``vmkeepctl status`` and what it means for the handoff:
 * regions restored, incoming, quarantined, and whether the previous
 * kernel shut down in order.
 */
void vk_print_pools(FILE *f, struct vmkeep_ctx *vk)
{
	struct vmkeep_pool *p;

	if (!vmkeep_pool_get_first(vk)) {
		fprintf(f, "no pools\n");
		return;
	}
	fprintf(f,
		"POOL  %-18s  %10s  %10s  NODE  %-18s  REGIONS  INCOMING  QUARANTINED  HANDOFF\n",
		"BASE", "SIZE", "FREE", "STATE");
	vmkeep_pool_foreach(vk, p)
		print_pool(f, p);
	print_handoff(f, vk);
	if (vmkeep_is_frozen(vk) > 0)
		fprintf(f,
			"frozen for kexec: alloc, free, finish and format fail until 'vmkeepctl thaw'\n");
}

/* Whether the live update part is shown: /dev/liveupdate on, or a session kept. */
static bool sessions_shown(struct vmkeep_ctx *vk)
{
	return vmkeep_liveupdate_is_enabled(vk) > 0 || vmkeep_session_get_first(vk);
}

static json_object *session_file_json(struct vmkeep_session_file *file)
{
	struct vmkeep_region *r = vmkeep_session_file_get_region(file);
	json_object *o = json_object_new_object();
	bool region = vmkeep_session_file_get_kind(file) == VMKEEP_LUO_KIND_REGION;

	add_u64(o, "token", vmkeep_session_file_get_token(file));
	add_str(o, "kind", vmkeep_session_file_get_kind_name(file));
	add_u64(o, "size", vmkeep_session_file_get_size(file));
	if (region)
		add_u64(o, "region_id", vmkeep_session_file_get_region_id(file));
	else
		add_str(o, "region_id", NULL);
	add_str(o, "region", r ? vmkeep_region_get_name(r) : NULL);
	return o;
}

static json_object *session_json(struct vmkeep_session *s)
{
	json_object *o = json_object_new_object();
	json_object *files = json_object_new_array();
	struct vmkeep_session_file *file;

	add_str(o, "name", vmkeep_session_get_name(s));
	add_str(o, "state", vmkeep_session_get_state_name(s));
	add_str(o, "quarantine", vmkeep_session_get_quarantine_name(s));
	add_int(o, "pool", vmkeep_session_get_pool(s));
	if (vmkeep_session_get_set(s))
		add_u64(o, "set", vmkeep_session_get_set(s));
	else
		add_str(o, "set", NULL);
	add_u64(o, "bytes", vmkeep_session_get_bytes(s));
	add_int(o, "nr_files", vmkeep_session_get_nr_files(s));
	vmkeep_session_file_foreach(s, file)
		json_object_array_add(files, session_file_json(file));
	json_object_object_add(o, "files", files);
	return o;
}

/**
 * vk_sessions_json() - the "live_update" of ``list --json``
 * @vk: libvmkeep context
 *
 * {"enabled": bool, "sessions": [{..., "files": [...]}...]}: "enabled"
 * when the module provides /dev/liveupdate; "set" and "region_id" are
 * null for an outgoing session and a memfd, "region" the name of the
 * region a file holds (vmkeep_session_file_get_region()), or null.
 *
 * Return: a new object for the caller to put, or NULL (JSON null) when
 * the module does not list sessions.
 */
json_object *vk_sessions_json(struct vmkeep_ctx *vk)
{
	json_object *root, *arr;
	struct vmkeep_session *s;
	int on = vmkeep_liveupdate_is_enabled(vk);

	if (on < 0)
		return NULL;
	root = json_object_new_object();
	arr = json_object_new_array();
	add_bool(root, "enabled", on);
	vmkeep_session_foreach(vk, s)
		json_object_array_add(arr, session_json(s));
	json_object_object_add(root, "sessions", arr);
	return root;
}

/* Sessions per state: outgoing, incoming, retrieved, quarantined. */
static unsigned int count_sessions(struct vmkeep_ctx *vk, unsigned int n[4])
{
	struct vmkeep_session *s;
	unsigned int all = 0;

	memset(n, 0, 4 * sizeof(*n));
	vmkeep_session_foreach(vk, s) {
		if (vmkeep_session_get_state(s) < 4)
			n[vmkeep_session_get_state(s)]++;
		all++;
	}
	return all;
}

/**
 * vk_sessions_summary_json() - the "live_update" of ``status --json``
 * @vk: libvmkeep context
 *
 * Return: {"enabled": bool, "nr_sessions", "nr_outgoing", "nr_incoming",
 * "nr_retrieved", "nr_quarantined"}, a new object, or NULL (JSON null)
 * when the module does not list sessions.
 */
json_object *vk_sessions_summary_json(struct vmkeep_ctx *vk)
{
	int on = vmkeep_liveupdate_is_enabled(vk);
	unsigned int n[4], all;
	json_object *o;

	if (on < 0)
		return NULL;
	all = count_sessions(vk, n);
	o = json_object_new_object();
	add_bool(o, "enabled", on);
	add_int(o, "nr_sessions", all);
	add_int(o, "nr_outgoing", n[VMKEEP_LUO_OUTGOING]);
	add_int(o, "nr_incoming", n[VMKEEP_LUO_INCOMING]);
	add_int(o, "nr_retrieved", n[VMKEEP_LUO_RETRIEVED]);
	add_int(o, "nr_quarantined", n[VMKEEP_LUO_QUARANTINED]);
	return o;
}

/* "incoming", or "quarantined(data)" with the reason */
static void session_state(struct vmkeep_session *s, char *buf, size_t len)
{
	if (vmkeep_session_is_quarantined(s))
		snprintf(buf, len, "quarantined(%s)",
			 vmkeep_session_get_quarantine_name(s));
	else
		snprintf(buf, len, "%s", vmkeep_session_get_state_name(s));
}

/* A file's region: its name, else "id N" (vmkeep_session_file_get_region()); "-" for a memfd. */
static void file_region(struct vmkeep_session_file *file, char *buf, size_t len)
{
	struct vmkeep_region *r = vmkeep_session_file_get_region(file);

	if (r)
		snprintf(buf, len, "%s", vmkeep_region_get_name(r));
	else if (vmkeep_session_file_get_kind(file) == VMKEEP_LUO_KIND_REGION)
		snprintf(buf, len, "id %" PRIu64, vmkeep_session_file_get_region_id(file));
	else
		snprintf(buf, len, "-");
}

struct session_cols {
	int name, state, token, region;
};

/*
 * One row of the sessions' table: @file of @s, or @s alone when it has
 * no file.  Without @f, only widen @w.
 */
static void session_row(FILE *f, struct session_cols *w, struct vmkeep_session *s,
			struct vmkeep_session_file *file)
{
	char state[40], token[24] = "-", size[32] = "-", region[48] = "-", set[24] = "-";

	session_state(s, state, sizeof(state));
	if (vmkeep_session_get_set(s))
		snprintf(set, sizeof(set), "%" PRIu64, vmkeep_session_get_set(s));
	if (file) {
		snprintf(token, sizeof(token), "%" PRIu64,
			 vmkeep_session_file_get_token(file));
		vk_human_size(vmkeep_session_file_get_size(file), size, sizeof(size));
		file_region(file, region, sizeof(region));
	}
	if (!f) {
		widen(&w->name, vmkeep_session_get_name(s));
		widen(&w->state, state);
		widen(&w->token, token);
		widen(&w->region, region);
		return;
	}
	fprintf(f, "%-*s  %-*s  %4u  %4s  %*s  %-6s  %10s  %s\n",
		w->name, vmkeep_session_get_name(s), w->state, state,
		vmkeep_session_get_pool(s), set, w->token, token,
		file ? vmkeep_session_file_get_kind_name(file) : "-", size, region);
}

/* Every row: one per file of each session, one for a session without files. */
static void session_rows(FILE *f, struct session_cols *w, struct vmkeep_ctx *vk)
{
	struct vmkeep_session_file *file;
	struct vmkeep_session *s;

	vmkeep_session_foreach(vk, s) {
		file = vmkeep_session_file_get_first(s);
		do
			session_row(f, w, s, file);
		while (file && (file = vmkeep_session_file_get_next(file)));
	}
}

/**
 * vk_print_sessions() - the live update part of ``vmkeepctl list``
 * @f: where
 * @vk: libvmkeep context
 *
 * After a blank line, one row per file of each session (a session with
 * no file has a row without one): session, state, pool, set, token,
 * kind, size, region.  Nothing unless the module provides
 * /dev/liveupdate or keeps a session.
 */
void vk_print_sessions(FILE *f, struct vmkeep_ctx *vk)
{
	struct session_cols w = { 7, 5, 5, 6 };

	if (!sessions_shown(vk))
		return;
	fputc('\n', f);
	if (!vmkeep_session_get_first(vk)) {
		fprintf(f, "no live update sessions\n");
		return;
	}
	session_rows(NULL, &w, vk);
	fprintf(f, "%-*s  %-*s  POOL  %4s  %*s  %-6s  %10s  %s\n",
		w.name, "SESSION", w.state, "STATE", "SET", w.token, "TOKEN",
		"KIND", "SIZE", "REGION");
	session_rows(f, &w, vk);
	if (vmkeep_liveupdate_is_enabled(vk) <= 0)
		fprintf(f, "/dev/liveupdate is off (module parameter luo=1): these sessions are kept, not retrieved\n");
}

/**
 * vk_print_sessions_summary() - the live update lines of ``vmkeepctl status``
 * @f: where
 * @vk: libvmkeep context
 *
 * Nothing unless the module provides /dev/liveupdate or keeps a session.
 */
void vk_print_sessions_summary(FILE *f, struct vmkeep_ctx *vk)
{
	int on = vmkeep_liveupdate_is_enabled(vk);
	unsigned int n[4], all;

	if (!sessions_shown(vk))
		return;
	all = count_sessions(vk, n);
	fprintf(f, "live update: /dev/liveupdate %s; %u session%s: %u outgoing, %u incoming, %u retrieved, %u quarantined%s\n",
		on > 0 ? "on" : "off", all, all == 1 ? "" : "s",
		n[VMKEEP_LUO_OUTGOING], n[VMKEEP_LUO_INCOMING],
		n[VMKEEP_LUO_RETRIEVED], n[VMKEEP_LUO_QUARANTINED],
		all ? " ('vmkeepctl list' shows them)" : "");
	if (n[VMKEEP_LUO_QUARANTINED])
		fprintf(f,
			"%u live update session%s quarantined: %s records or bytes failed validation, so %s never retrieved (EIO) and %s memory is kept, across kexec too, until a forced format of %s pool\n",
			n[VMKEEP_LUO_QUARANTINED],
			n[VMKEEP_LUO_QUARANTINED] == 1 ? "" : "s",
			n[VMKEEP_LUO_QUARANTINED] == 1 ? "its" : "their",
			n[VMKEEP_LUO_QUARANTINED] == 1 ? "it is" : "they are",
			n[VMKEEP_LUO_QUARANTINED] == 1 ? "its" : "their",
			n[VMKEEP_LUO_QUARANTINED] == 1 ? "its" : "their");
	if (on <= 0 && n[VMKEEP_LUO_INCOMING])
		fprintf(f,
			"%u live update session%s from an earlier kernel kept for /dev/liveupdate, which is off (module parameter luo=1)\n",
			n[VMKEEP_LUO_INCOMING], n[VMKEEP_LUO_INCOMING] == 1 ? "" : "s");
}
