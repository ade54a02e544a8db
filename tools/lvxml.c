// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The vmkeep authors
 *
 * The pure part of 'vmkeepctl libvirt' (libvirt.c): reading and editing
 * the domain XML libvirt hands its hooks and prints with dumpxml, and
 * qemu.conf's marked block.  libvirt formats its XML itself (one element
 * per line, attributes in single quotes, metadata in double quotes), so
 * plain string search is enough and keeps libxml2 out of vmkeepctl; each
 * function says what it relies on.  Host unit tests cover all of it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmkeepctl.h"

/* The text between the first @open and the @close after it, or NULL. */
char *lv_xml_text(const char *xml, const char *open, const char *close)
{
	const char *a = strstr(xml, open), *b;

	if (!a)
		return NULL;
	a += strlen(open);
	b = strstr(a, close);
	return b ? strndup(a, b - a) : NULL;
}

/* Attribute @attr of the tag starting at @tag (either quote), into @buf. */
int lv_xml_attr(const char *tag, const char *attr, char *buf, size_t len)
{
	const char *end = strchr(tag, '>'), *p = tag, *v, *q;
	size_t n = strlen(attr);

	while (end && (p = strstr(p + 1, attr)) && p < end) {
		if (p[-1] != ' ' || p[n] != '=' || (p[n + 1] != '\'' && p[n + 1] != '"'))
			continue;
		v = p + n + 2;
		q = strchr(v, p[n + 1]);
		if (!q || q > end || (size_t)(q - v) >= len)
			return -EINVAL;
		memcpy(buf, v, q - v);
		buf[q - v] = '\0';
		return 0;
	}
	return -ENOENT;
}

/* The domain carries vmkeep's metadata element: it opted in. */
bool lv_optin(const char *xml)
{
	char *md = lv_xml_text(xml, "<metadata>", "</metadata>");
	bool in = md && strstr(md, LV_NS);

	free(md);
	return in;
}

/*
 * What keeps an opted-in domain's RAM from being one region mapped by
 * QEMU as mem-path=<dir>/pc.ram, or NULL.  One backend only: <numa>
 * cells make one file per node, memory devices others; <hugepages> wins
 * over the file source in libvirt; MAP_PRIVATE (no access shared) is
 * refused by vmkeep; <discard/> would punch holes QEMU cannot punch in
 * a region.
 */
const char *lv_shape_error(const char *xml)
{
	char *mb = lv_xml_text(xml, "<memoryBacking>", "</memoryBacking>");
	const char *why = NULL;

	if (!mb)
		why = "no <memoryBacking> with <source type='file'/> and <access mode='shared'/>";
	else if (!strstr(mb, "<source type='file'"))
		why = "<memoryBacking> has no <source type='file'/>";
	else if (!strstr(mb, "<access mode='shared'/>"))
		why = "<memoryBacking> has no <access mode='shared'/>";
	else if (strstr(mb, "<hugepages"))
		why = "<memoryBacking> has <hugepages>: libvirt then ignores the file source";
	else if (strstr(mb, "<discard"))
		why = "<memoryBacking> has <discard/>";
	else if (strstr(xml, "<numa>"))
		why = "<numa> cells: one RAM file per cell (one region per domain is supported)";
	else if (strstr(xml, "<memory model="))
		why = "memory devices (<memory model=...>): RAM outside the main backend";
	else if (strstr(xml, "<maxMemory"))
		why = "<maxMemory> (memory hotplug)";
	else if (!strstr(xml, "<type arch='x86_64'"))
		why = "not x86_64: main RAM is not 'pc.ram'";
	free(mb);
	return why;
}

/* <memory unit='KiB'>N</memory> in bytes, rounded up to 2 MiB; 0 if absent. */
uint64_t lv_memory_bytes(const char *xml)
{
	const char *m = strstr(xml, "<memory unit='KiB'>");
	uint64_t kib;

	if (!m)
		return 0;
	kib = strtoull(m + strlen("<memory unit='KiB'>"), NULL, 10);
	return (kib * 1024 + VMKEEP_UNIT - 1) & ~(VMKEEP_UNIT - 1);
}

/* The running domain's id (<domain ... id='N'>), or -1. */
long lv_domain_id(const char *xml)
{
	const char *d = strstr(xml, "<domain ");
	char buf[24];

	if (!d || lv_xml_attr(d, "id", buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

/*
 * @s with libvirt's five XML escapes undone, in place (libvirt writes
 * '&', '<', '>', '"' and '\'' of a name so): the name virsh and the
 * paths libvirt makes of it use.
 */
char *lv_xml_unescape(char *s)
{
	static const char *const esc[][2] = {
		{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" },
		{ "&quot;", "\"" }, { "&apos;", "'" },
	};
	char *r = s, *w = s;
	size_t i, n;

	while (*r) {
		for (i = 0; i < ARRAY_SIZE(esc); i++) {
			n = strlen(esc[i][0]);
			if (!strncmp(r, esc[i][0], n))
				break;
		}
		if (i < ARRAY_SIZE(esc)) {
			*w++ = esc[i][1][0];
			r += n;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return s;
}

/*
 * libvirt's short name of a running domain, the name of its memory
 * backing directory (virDomainDefGetShortName(): "%d-%.20s", cut after
 * 20 characters, or 20 bytes where libvirtd's locale does not decode
 * the name).  @chars: cut after 20 UTF-8 characters, else 20 bytes.
 */
void lv_short_name(long id, const char *name, bool chars, char *buf, size_t len)
{
	size_t n = 0, c = 0;

	while (chars && name[n] && c <= 20) {
		if ((name[n] & 0xc0) != 0x80 && ++c > 20)
			break;
		n++;
	}
	snprintf(buf, len, "%ld-%.*s", id, (int)(chars ? n : 20), name);
}

/*
 * The marker 'vmkeepctl update' sets in the live XML before the managed
 * save, so that it travels in the image:
 *   <vmkeep:saved xmlns:vmkeep="LV_NS" region="NAME" id="N" size="S"/>
 * 0 and its fields, -ENOENT without one.
 */
int lv_marker(const char *xml, char *region, size_t len, uint64_t *id,
	      uint64_t *size)
{
	const char *m = strstr(xml, "<" LV_PREFIX ":saved ");
	char buf[32];

	if (!m)
		return -ENOENT;
	if (lv_xml_attr(m, "region", region, len) ||
	    lv_xml_attr(m, "id", buf, sizeof(buf)))
		return -EINVAL;
	*id = strtoull(buf, NULL, 10);
	if (lv_xml_attr(m, "size", buf, sizeof(buf)))
		return -EINVAL;
	*size = strtoull(buf, NULL, 10);
	return 0;
}

/* @s with [a, b) replaced by @with (malloc'd). */
static char *splice(const char *s, const char *a, const char *b, const char *with)
{
	char *out;

	if (asprintf(&out, "%.*s%s%s", (int)(a - s), s, with, b) < 0)
		return NULL;
	return out;
}

/* Replace the whole vmkeep metadata element by the opt-in's own (free @xml). */
static char *unmark(char *xml)
{
	char *m = xml ? strstr(xml, "<" LV_PREFIX ":saved ") : NULL, *e, *out;

	e = m ? strstr(m, "/>") : NULL;
	if (!e)
		return xml;
	out = splice(xml, m, e + 2, "<" LV_PREFIX ":ram xmlns:" LV_PREFIX "=\"" LV_NS "\"/>");
	free(xml);
	return out;
}

/*
 * Remove the two <qemu:arg/> vmkeep injects (-qmp unix:LV_QMP_DIR/...):
 * the one naming the socket and the one before it, and the
 * <qemu:commandline> if nothing else is left in it (free @xml).
 */
static char *strip_qmp(char *xml)
{
	char *p = xml ? strstr(xml, "<qemu:arg value='unix:" LV_QMP_DIR "/") : NULL;
	char *a, *e, *out, *c, *ce;

	e = p ? strstr(p, "/>") : NULL;
	if (!e)
		return xml;
	a = p;
	while (a > xml && strncmp(--a, "<qemu:arg value='-qmp'/>", 24))
		;
	if (a == xml)
		a = p;
	while (a > xml && (a[-1] == ' ' || a[-1] == '\n'))
		a--;
	out = splice(xml, a, e + 2, "");
	free(xml);
	c = out ? strstr(out, "<qemu:commandline>") : NULL;
	if (c) {
		ce = c + strlen("<qemu:commandline>");
		ce += strspn(ce, "\n ");
		if (!strncmp(ce, "</qemu:commandline>", 19)) {
			while (c > out && (c[-1] == ' ' || c[-1] == '\n'))
				c--;
			xml = splice(out, c, ce + 19, "");
			free(out);
			out = xml;
		}
	}
	return out;
}

/*
 * An image's XML without what a vmkeep restore put in it (the marker,
 * the agent's monitor): NULL when there is nothing to remove.
 */
char *lv_xml_clean(const char *xml)
{
	char *out = strip_qmp(unmark(strdup(xml)));

	if (out && !strcmp(out, xml)) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * The XML for the restore of an update's managed save: clean, plus
 * "-qmp unix:@sock" so that QEMU connects to vmkeep's agent while it
 * starts (chardevs come before memory backends and the main loop).
 */
char *lv_xml_restore(const char *xml, const char *sock)
{
	char *c = lv_xml_clean(xml) ?: strdup(xml), *out = NULL, *p, *end, *args;

	if (!c || asprintf(&args, "\n    <qemu:arg value='-qmp'/>\n    <qemu:arg value='unix:%s'/>",
			   sock) < 0) {
		free(c);
		return NULL;
	}
	p = c ? strstr(c, "<domain") : NULL;
	if (p && !strstr(c, "xmlns:qemu=")) {
		p = splice(c, p + 7, p + 7, " xmlns:qemu='" LV_QEMU_NS "'");
		free(c);
		c = p;
	}
	p = c ? strstr(c, "</qemu:commandline>") : NULL;
	end = c ? strstr(c, "</domain>") : NULL;
	if (p) {
		while (p > c && (p[-1] == ' ' || p[-1] == '\n'))
			p--;
		out = splice(c, p, p, args);
	} else if (end) {
		p = end;
		free(args);
		if (asprintf(&args, "  <qemu:commandline>\n    <qemu:arg value='-qmp'/>\n    <qemu:arg value='unix:%s'/>\n  </qemu:commandline>\n",
			     sock) < 0)
			args = NULL;
		out = args ? splice(c, p, p, args) : NULL;
	}
	free(args);
	free(c);
	return out;
}

/*
 * The inactive XML with the opt-in's <memoryBacking> added after
 * <currentMemory> (or <memory>); NULL with *why when it cannot be.
 */
char *lv_xml_enable(const char *xml, const char **why)
{
	const char *p = strstr(xml, "</currentMemory>"), *mb;

	*why = NULL;
	mb = strstr(xml, "<memoryBacking>");
	if (mb) {
		*why = lv_shape_error(xml);
		return *why ? NULL : strdup(xml);
	}
	if (!p)
		p = strstr(xml, "</memory>");
	if (!p) {
		*why = "no <memory> element";
		return NULL;
	}
	p = strchr(p, '\n');
	if (!p) {
		*why = "unexpected XML";
		return NULL;
	}
	return splice(xml, p + 1, p + 1,
		      "  <memoryBacking>\n    <source type='file'/>\n    <access mode='shared'/>\n  </memoryBacking>\n");
}

#define BLOCK_BEGIN	"# BEGIN vmkeep: 'vmkeepctl libvirt setup' wrote this block\n"
#define BLOCK_END	"# END vmkeep\n"

/*
 * The device paths of the commented default cgroup_device_acl in
 * @conf ("#cgroup_device_acl = [" to "#]"), joined as '"a", "b"', into
 * @buf; the defaults of libvirt 9.0 to 12 when there is none.
 */
static void acl_defaults(const char *conf, char *buf, size_t len)
{
	const char *a = strncmp(conf, "#cgroup_device_acl = [", 22) ?
			strstr(conf, "\n#cgroup_device_acl = [") : conf, *e, *q, *r;
	size_t n = 0;

	buf[0] = '\0';
	e = a ? strstr(a, "\n#]") : NULL;
	for (q = a; q && e && (q = strchr(q, '"')) && q < e; q = r + 1) {
		r = strchr(q + 1, '"');
		if (!r || r > e)
			break;
		n += snprintf(buf + n, n < len ? len - n : 0, "%s\"%.*s\"", n ? ", " : "",
			      (int)(r - q - 1), q + 1);
	}
	if (!buf[0] || n >= len)
		snprintf(buf, len, "\"/dev/null\", \"/dev/full\", \"/dev/zero\", \"/dev/random\", \"/dev/urandom\", \"/dev/ptmx\", \"/dev/kvm\", \"/dev/userfaultfd\"");
}

/*
 * qemu.conf with vmkeep's block (new, or replacing the last one): the
 * default device ACL and @slots slot paths.  NULL with *why if @conf
 * sets cgroup_device_acl itself outside the block (the admin merges).
 */
char *lv_qemu_conf(const char *conf, unsigned int slots, const char **why)
{
	char acl[1024], *blk, *out, *p;
	const char *b = strstr(conf, BLOCK_BEGIN), *e = b ? strstr(b, BLOCK_END) : NULL;
	const char *l;
	size_t n;
	unsigned int i;

	*why = NULL;
	for (l = conf; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *k = l + strspn(l, " \t");	/* libvirt skips blanks before a key */

		if (strncmp(k, "cgroup_device_acl", 17) || !strchr(" \t=", k[17]) || !k[17] ||
		    (b && l > b && e && l < e))
			continue;
		*why = "qemu.conf sets cgroup_device_acl itself: add setup --print's slots to it";
		return NULL;
	}
	acl_defaults(conf, acl, sizeof(acl));
	n = strlen(BLOCK_BEGIN) + strlen(acl) + slots * 40 + 256;
	blk = malloc(n);
	if (!blk)
		return NULL;
	p = blk + snprintf(blk, n, "%s# RAM of opted-in domains: vmkeep regions, one device per slot\ncgroup_device_acl = [\n    %s",
			   BLOCK_BEGIN, acl);
	for (i = 0; i < slots; i++)
		p += sprintf(p, ",\n    \"" LV_ACL_DIR "/%02u\"", i);
	sprintf(p, "\n]\n%s", BLOCK_END);
	if (b && e)
		out = splice(conf, b, e + strlen(BLOCK_END), blk);
	else if (asprintf(&out, "%s%s%s", conf,
			  conf[0] && conf[strlen(conf) - 1] != '\n' ? "\n" : "", blk) < 0)
		out = NULL;
	free(blk);
	return out;
}
