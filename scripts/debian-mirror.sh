#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debian-mirror.sh [--security] - the Debian archive this host's apt uses
#
# Prints the first URI of an enabled "deb" source for a Debian suite
# (bookworm, bookworm-updates, sid, ...; with --security: a *-security
# suite) from the host's own apt configuration: deb822 stanzas in
# /etc/apt/sources.list.d/*.sources, then one-line entries in
# /etc/apt/sources.list and /etc/apt/sources.list.d/*.list.  The tree
# names no server: kernels, headers and the sid chroot come from the
# mirror the host already trusts.  VMKEEP_MIRROR (VMKEEP_SECURITY_MIRROR)
# overrides it.

set -euo pipefail

if [ "${1:-}" = --security ]; then
	re='-security$'
	uri=${VMKEEP_SECURITY_MIRROR:-}
else
	re='^[a-z]+(-updates|-backports|-proposed-updates)?$'
	uri=${VMKEEP_MIRROR:-}
fi

deb822() {
	awk -v re="$re" 'BEGIN { RS = ""; FS = "\n" }
	{
		types = uris = suites = ""; enabled = "yes"
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^#/) continue
			split($i, kv, ":[ \t]*")
			key = tolower(kv[1]); val = substr($i, length(kv[1]) + 2)
			sub(/^[ \t]+/, "", val)
			if (key == "types") types = val
			else if (key == "uris") uris = val
			else if (key == "suites") suites = val
			else if (key == "enabled") enabled = tolower(val)
		}
		if (enabled == "no" || (" " types " ") !~ / deb /) next
		n = split(suites, s, /[ \t]+/)
		for (i = 1; i <= n; i++)
			if (s[i] ~ re) { split(uris, u, /[ \t]+/); print u[1]; exit }
	}' "$1"
}

oneline() {
	awk -v re="$re" '$1 == "deb" {
		i = 2
		if ($i ~ /^\[/) while ($i !~ /\]$/ && i < NF) i++
		if ($i ~ /^\[/ || $i ~ /\]$/) i++
		if ($(i + 1) ~ re) { print $i; exit }
	}' "$1"
}

if [ -z "$uri" ]; then
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && uri=$(deb822 "$f") && [ -n "$uri" ] && break
	done
fi
if [ -z "$uri" ]; then
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] && uri=$(oneline "$f") && [ -n "$uri" ] && break
	done
fi
if [ -z "$uri" ]; then
	echo "debian-mirror.sh: no Debian archive${1:+ ($1)} in the host's apt sources; set VMKEEP_MIRROR" >&2
	exit 1
fi
echo "${uri%/}"
