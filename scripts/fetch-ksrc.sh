#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-ksrc.sh - the kernel's own test harness and checkers, at build time
#
# Extracts kselftest_harness.h, kselftest.h and checkpatch.pl (with the
# data files it reads) from Debian's linux-source-6.12 package into
# $CACHE/ksrc.  None of these files is ever committed to vmkeep.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$top/.cache}
out=$CACHE/ksrc
pkg=linux-source-6.12

[ -f "$out/.stamp" ] && exit 0

rm -rf "$out.tmp"
mkdir -p "$out.tmp"
cd "$out.tmp"
CACHE=$CACHE "$top/scripts/debian-apt.sh" get -qq download "$pkg" >&2
tarball=$(dpkg-deb -c ./*.deb | awk '/linux-source-.*\.tar\.xz$/ { print $6 }')
dpkg-deb --fsys-tarfile ./*.deb | tar -x "$tarball"
base=$(basename "$tarball" .tar.xz)
tar -xJf "$tarball" --strip-components=1 \
	"$base/tools/testing/selftests/kselftest_harness.h" \
	"$base/tools/testing/selftests/kselftest.h" \
	"$base/scripts/checkpatch.pl" \
	"$base/scripts/spelling.txt" \
	"$base/scripts/const_structs.checkpatch"
rm -rf ./*.deb usr
touch .stamp
cd ..
rm -rf "$out"
mv "$out.tmp" "$out"
