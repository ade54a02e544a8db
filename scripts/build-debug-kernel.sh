#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-debug-kernel.sh - Debian's 6.12 source with KASAN, lockdep & co.
#
# Builds the kernel of Debian's linux-source-6.12 package with
# allnoconfig + scripts/debug-kernel.config in $CACHE/kernels/debug/linux,
# fails when an option of the fragment did not make it into .config, and
# prints the path of an env file as fetch-kernel.sh does (KREL, KDIR,
# VMLINUZ, MODDIR).  The tree is the KDIR of the module build.  It is
# rebuilt only when the fragment (in place) or the package version (from
# scratch) changes.  Used by "fetch-kernel.sh debug" (make check
# KVER=debug).

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$top/.cache}
export CACHE
out=$CACHE/kernels/debug
src=$out/linux
frag=$top/scripts/debug-kernel.config
pkg=linux-source-6.12
apt=$top/scripts/debian-apt.sh

ver=$("$apt" cache policy "$pkg" | awk '/Candidate:/ { print $2 }')
[[ $ver == [0-9]* ]] ||
	{ echo "build-debug-kernel: no $pkg in the archive" >&2; exit 1; }
stamp="$pkg $ver $(sha256sum <"$frag" | cut -d' ' -f1)"
if [ -s "$out/env" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "$out/env"
	exit 0
fi

echo "build-debug-kernel: $pkg $ver, log in $out/build.log" >&2
if [ "$(cat "$out/version" 2>/dev/null)" != "$pkg $ver" ]; then
	rm -rf "$out"
	mkdir -p "$src"
	cd "$out"
	"$apt" get -qq download "$pkg=$ver" >&2
	tarball=$(dpkg-deb -c ./*.deb | awk '/linux-source-.*\.tar\.xz$/ { print $6 }')
	dpkg-deb --fsys-tarfile ./*.deb | tar -xO "$tarball" |
		tar -xJ -C "$src" --strip-components=1
	rm -f ./*.deb
	echo "$pkg $ver" >"$out/version"
fi
rm -f "$out/env" "$out/stamp"

cd "$src"
t0=$(date +%s)
{
	make allnoconfig
	scripts/kconfig/merge_config.sh -m .config "$frag"
	make olddefconfig
} >"$out/build.log" 2>&1
missing=$(grep -E '^CONFIG_|^# CONFIG_.* is not set$' "$frag" |
	  grep -vxF -f .config || true)
if [ -n "$missing" ]; then
	echo "build-debug-kernel: not in .config as asked:" >&2
	echo "$missing" >&2
	exit 1
fi
make -j2 all >>"$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log" >&2; exit 1; }
echo "build-debug-kernel: built in $(($(date +%s) - t0)) s" >&2

krel=$(make -s kernelrelease)
cat >"$out/env" <<EOT
KREL=$krel
KDIR=$src
VMLINUZ=$src/arch/x86/boot/bzImage
MODDIR=$src
EOT
echo "$stamp" >"$out/stamp"
echo "$out/env"
