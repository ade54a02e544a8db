#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debian-apt.sh - apt-get/apt-cache against a private package list
#
# Kernels, headers and kernel sources come from suites the host does not
# use (bookworm-backports, trixie, sid).  Packages are only ever
# downloaded from these lists (apt-get download, mmdebstrap), never
# installed on the host.  This keeps their package lists under $CACHE/apt
# and never touches the host's sources or state.  The archive is the one
# the host's apt already uses (scripts/debian-mirror.sh).
#
#   debian-apt.sh get|cache ARGS...   (run apt-get or apt-cache)

set -euo pipefail

CACHE=${CACHE:-$(cd "$(dirname "$0")/.." && pwd)/.cache}
dir=$CACHE/apt
suites=${VMKEEP_SUITES:-"bookworm bookworm-updates bookworm-backports trixie sid"}

opts=(-o Dir::Etc::SourceList=/dev/null
      -o Dir::Etc::SourceParts="$dir/sources"
      -o Dir::State::Lists="$dir/lists"
      -o Dir::Cache="$dir/cache"
      -o APT::Sandbox::User=root)

if [ ! -e "$dir/lists/.stamp" ] ||
   [ -n "$(find "$dir/lists/.stamp" -mmin +1440)" ]; then
	mirror=$("$(dirname "$0")/debian-mirror.sh")
	security=$("$(dirname "$0")/debian-mirror.sh" --security 2>/dev/null) || security=
	mkdir -p "$dir/sources" "$dir/lists/partial" "$dir/cache/archives/partial"
	{
		printf 'Types: deb\nURIs: %s\n' "$mirror"
		printf 'Suites: %s\nComponents: main\n' "$suites"
		printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		if [ -n "$security" ]; then
			printf '\nTypes: deb\nURIs: %s\n' "$security"
			printf 'Suites: bookworm-security\nComponents: main\n'
			printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		fi
	} >"$dir/sources/vmkeep.sources"
	apt-get "${opts[@]}" -qq update >&2
	touch "$dir/lists/.stamp"
fi

cmd=$1
shift
exec "apt-$cmd" "${opts[@]}" "$@"
