#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-kernel.sh KVER - fetch a Debian kernel (image + headers + kbuild)
#
# KVER is a series: 6.12 (bookworm-backports, the default), 6.1
# (bookworm) or 7 (sid's newest 7.x).  The newest amd64 build of the
# series is downloaded and unpacked into $CACHE/kernels/KVER/root; the
# script prints the path of an env file defining KREL, KDIR, VMLINUZ and
# MODDIR (modules.order and friends).  Nothing is installed on the host.
# KVER "debug" is Debian's 6.12 source built with KASAN, lockdep and
# other checkers by build-debug-kernel.sh.

set -euo pipefail

KVER=${1:?usage: fetch-kernel.sh KVER}
top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$top/.cache}
out=$CACHE/kernels/$KVER
apt=$top/scripts/debian-apt.sh

[ "$KVER" != debug ] || exec "$top/scripts/build-debug-kernel.sh"

if [ -s "$out/env" ] && grep -q "^MODDIR=" "$out/env"; then
	echo "$out/env"
	exit 0
fi

# sid splits the image (linux-binary-unsigned-*) from modules.order and
# the config (linux-base-*), under /usr/lib/modules.
pre=linux-image- suf=-unsigned
case $KVER in
6.12)	pat='^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' ;;
6.1)	pat='^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' ;;
7)	pat='^linux-binary-unsigned-7\.[0-9.]+\+deb[0-9]+-amd64$'
	pre=linux-binary-unsigned- suf= ;;
*)	echo "fetch-kernel: unknown KVER '$KVER' (6.12, 6.1, 7 or debug)" >&2
	exit 1 ;;
esac

# Newest image of the series that the archive can actually deliver.
image=
for p in $(CACHE=$CACHE "$apt" cache search --names-only "$pat" |
	   cut -d' ' -f1 | sort -rV); do
	pol=$(CACHE=$CACHE "$apt" cache policy "$p")
	if [[ $pol == *"Candidate: "[0-9]* ]]; then
		image=$p
		break
	fi
done
[ -n "$image" ] || { echo "fetch-kernel: no package matches $pat" >&2; exit 1; }

krel=${image#"$pre"}
krel=${krel%"$suf"}
headers=linux-headers-$krel
deps=$(CACHE=$CACHE "$apt" cache depends "$headers" |
       awk '/Depends: linux-(headers|kbuild)-/ { print $2 }')
[ "$KVER" != 7 ] || deps="$deps linux-base-$krel"

echo "fetch-kernel: $image $headers $deps" >&2
rm -rf "$out.tmp"
mkdir -p "$out.tmp/debs"
(cd "$out.tmp/debs" && CACHE=$CACHE "$apt" get -qq download "$image" "$headers" $deps >&2)
for d in "$out.tmp"/debs/*.deb; do
	dpkg-deb -x "$d" "$out.tmp/root"
done
rm -rf "$out.tmp/debs"

kdir=$out/root/usr/src/linux-headers-$krel
[ -f "$out.tmp/root/usr/src/linux-headers-$krel/Makefile" ] ||
	{ echo "fetch-kernel: $headers has no Makefile" >&2; exit 1; }
# The headers package includes its common part by absolute path.
sed -i "s|/usr/src/|$out/root/usr/src/|" "$out.tmp/root/usr/src/linux-headers-$krel/Makefile"
if [ "$KVER" = 7 ]; then
	moddir=$out/root/usr/lib/modules/$krel
	vmlinuz=$moddir/vmlinuz.unsigned
else
	moddir=$out/root/lib/modules/$krel
	vmlinuz=$out/root/boot/vmlinuz-$krel
fi
cat >"$out.tmp/env" <<EOF
KREL=$krel
KDIR=$kdir
VMLINUZ=$vmlinuz
MODDIR=$moddir
EOF
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out/env"
