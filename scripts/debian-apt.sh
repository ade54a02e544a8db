#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debian-apt.sh - apt-get/apt-cache against a private package list
#
# Kernels, headers and kernel sources come from suites the host does not
# use (bookworm-backports, sid).  Packages are only ever downloaded from
# these lists (apt-get download, mmdebstrap), never installed on the host.  This keeps their package lists under
# $CACHE/apt and never touches the host's sources or state.
#
#   debian-apt.sh get|cache ARGS...   (run apt-get or apt-cache)

set -euo pipefail

CACHE=${CACHE:-$(cd "$(dirname "$0")/.." && pwd)/.cache}
dir=$CACHE/apt
suites=${VMKEEP_SUITES:-"bookworm bookworm-updates bookworm-backports sid"}

opts=(-o Dir::Etc::SourceList=/dev/null
      -o Dir::Etc::SourceParts="$dir/sources"
      -o Dir::State::Lists="$dir/lists"
      -o Dir::Cache="$dir/cache"
      -o APT::Sandbox::User=root)

if [ ! -e "$dir/lists/.stamp" ] ||
   [ -n "$(find "$dir/lists/.stamp" -mmin +1440)" ]; then
	mkdir -p "$dir/sources" "$dir/lists/partial" "$dir/cache/archives/partial"
	{
		printf 'Types: deb\nURIs: http://deb.debian.org/debian\n'
		printf 'Suites: %s\nComponents: main\n' "$suites"
		printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n'
		printf 'Types: deb\nURIs: http://deb.debian.org/debian-security\n'
		printf 'Suites: bookworm-security\nComponents: main\n'
		printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
	} >"$dir/sources/vmkeep.sources"
	apt-get "${opts[@]}" -qq update >&2
	touch "$dir/lists/.stamp"
fi

cmd=$1
shift
exec "apt-$cmd" "${opts[@]}" "$@"
