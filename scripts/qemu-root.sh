#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu-root.sh VERSION - print the root directory of Debian's QEMU VERSION
#
# The VM tests run QEMU inside the test VM.  7.2 is Debian 12's own
# (the host's, root "/"); newer ones come from a root made once with
# mmdebstrap (minbase, qemu-system-x86 and its dependencies, no
# recommends) into $CACHE/chroot/qemu-SUITE, like the sid build root of
# scripts/sid-chroot.sh, and made again only when its package list
# changes.  The root's QEMU must be the version asked for: a suite that
# moved on to another release is an error, not a silent substitute.
#
#   VERSION  suite     QEMU in the archive (apt-cache policy qemu-system-x86)
#   7.2      host      1:7.2+dfsg-7+deb12u18 (bookworm)
#   10.0     trixie    1:10.0.x+ds-2+deb13uN (bookworm-backports has the same)
#   11.1     sid       1:11.1.x+ds-1
#
# The roots are only read (binaries, libraries with the root's own ld.so,
# firmware); nothing runs chrooted in them.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$top/.cache}
ver=${1:?usage: qemu-root.sh 7.2|10.0|11.1}

case $ver in
7.2)	suite= ;;
10.0)	suite=trixie ;;
11.1)	suite=sid ;;
*)	echo "qemu-root: no Debian suite known for QEMU $ver" >&2; exit 2 ;;
esac

if [ -z "$suite" ]; then
	root=/
else
	root=$CACHE/chroot/qemu-$suite
	pkgs=qemu-system-x86
	if [ "$(cat "$root/.stamp" 2>/dev/null)" != "$pkgs" ]; then
		echo "qemu-root: creating $root" >&2
		rm -rf "$root"
		mkdir -p "$CACHE/chroot"
		# No mirror argument: mmdebstrap's default is Debian's archive.
		mmdebstrap --quiet --variant=minbase --include="$pkgs" \
			--aptopt='Acquire::Check-Valid-Until "false"' \
			--aptopt='APT::Install-Recommends "false"' \
			"$suite" "$root" >&2
		echo "$pkgs" >"$root/.stamp"
	fi
fi

have=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Version}' qemu-system-x86)
case $have in
*:"$ver".*|"$ver".*|*:"$ver"+*) ;;
*)	echo "qemu-root: $root has qemu-system-x86 $have, not $ver" >&2; exit 1 ;;
esac
echo "$root"
