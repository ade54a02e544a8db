#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-luo.sh - mainline's live update uAPI and selftests, at build time
#
# Extracts from Debian's linux-source-7.2 package (sid):
#   $CACHE/luo-src/   tools/testing/selftests/{lib.mk,kselftest.h,
#                     kselftest_harness.h,liveupdate/} and
#                     include/uapi/linux/liveupdate.h, as the package has
#                     them, with VERSION (the package's version)
#   $CACHE/luo-uapi/linux/liveupdate.h and .../uapi/linux/liveupdate.h
#                     that header alone, twice: the include directory of
#                     the selftests (<linux/liveupdate.h>; no other header
#                     of 7.2 shadows the host's <linux/*.h>) and of the
#                     module on kernels whose headers lack it (6.1, 6.12),
#                     which may name it <linux/liveupdate.h> or, as the
#                     kernel's own code does, <uapi/linux/liveupdate.h>
# None of these files is ever committed to vmkeep.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$top/.cache}
src=$CACHE/luo-src
uapi=$CACHE/luo-uapi
pkg=linux-source-7.2

[ -f "$src/.stamp" ] && [ -f "$uapi/uapi/linux/liveupdate.h" ] && exit 0

rm -rf "$src.tmp" "$uapi.tmp"
mkdir -p "$src.tmp" "$uapi.tmp/linux" "$uapi.tmp/uapi/linux"
cd "$src.tmp"
CACHE=$CACHE "$top/scripts/debian-apt.sh" get -qq download "$pkg" >&2
deb=$(echo ./*.deb)
tarball=$(dpkg-deb -c "$deb" | awk '/linux-source-.*\.tar\.xz$/ { print $6 }')
dpkg-deb --fsys-tarfile "$deb" | tar -x "$tarball"
base=$(basename "$tarball" .tar.xz)
st=tools/testing/selftests
tar -xJf "$tarball" --strip-components=1 \
	"$base/include/uapi/linux/liveupdate.h" \
	"$base/$st/lib.mk" \
	"$base/$st/kselftest.h" \
	"$base/$st/kselftest_harness.h" \
	"$base/$st/liveupdate"
dpkg-deb -f "$deb" Version >VERSION
rm -rf "$deb" usr
cp include/uapi/linux/liveupdate.h "$uapi.tmp/linux/liveupdate.h"
cp include/uapi/linux/liveupdate.h "$uapi.tmp/uapi/linux/liveupdate.h"
touch .stamp
cd ..
rm -rf "$src" "$uapi"
mv "$uapi.tmp" "$uapi"
mv "$src.tmp" "$src"
echo "fetch-luo: $pkg $(cat "$src/VERSION") into $src and $uapi" >&2
