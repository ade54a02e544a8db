#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# systemd-root.sh [-l] KREL - a Debian root that boots with systemd
#
# Made once with mmdebstrap from the host's Debian mirror
# (scripts/debian-mirror.sh) into $CACHE/chroot/systemd-KREL and printed:
# systemd and udev, kexec-tools, dkms with the headers of kernel KREL
# (bookworm-security or -backports), that kernel's Debian-signed image and an
# initramfs-tools initrd holding just what mounts a virtio disk.  The
# vmkeep packages are not in it: scripts/systemd-test.sh installs the
# ones "make deb" built into a copy for each run.
#
# -l: the root of the libvirt test (systemd-test.sh -l) in
# $CACHE/chroot/libvirt-KREL: the same and libvirt's daemon and client,
# Debian's QEMU and AppArmor, of the suite KREL comes from: bookworm for
# 6.x (libvirt 9.0, QEMU 7.2), sid for 7.x (libvirt 12, QEMU 11.1).
# Each root is made again when its package list changes.

set -euo pipefail

libvirt=0
[ "${1:-}" != -l ] || { libvirt=1; shift; }
krel=${1:?usage: systemd-root.sh [-l] KREL}
top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$top/.cache}
pkgs=systemd,systemd-sysv,udev,kexec-tools,kmod,dkms,openssl,initramfs-tools,linux-headers-$krel,linux-image-$krel,libjson-c5,libkmod2,libkmod-dev,pkg-config
root=$CACHE/chroot/systemd-$krel
if [ $libvirt = 1 ]; then
	pkgs=$pkgs,libvirt-daemon-system,libvirt-clients,libvirt-daemon-driver-qemu,qemu-system-x86,apparmor
	root=$CACHE/chroot/libvirt-$krel
fi

if [ "$(cat "$root/.stamp" 2>/dev/null)" = "$pkgs" ]; then
	echo "$root"
	exit 0
fi
echo "systemd-root: creating $root" >&2
mirror=$("$top/scripts/debian-mirror.sh")
case $krel in
6.*)	security=$("$top/scripts/debian-mirror.sh" --security)
	suites=(bookworm "deb $mirror bookworm main" "deb $mirror bookworm-updates main"
		"deb $mirror bookworm-backports main" "deb $security bookworm-security main") ;;
*)	suites=(sid "deb $mirror sid main") ;;
esac
rm -rf "$root"
mkdir -p "$CACHE/chroot"
# kexec-tools must not turn every reboot into a kexec of /vmlinuz; the
# initrd needs only the disk: MODULES=list with a modules.d file.
mmdebstrap --variant=minbase --include="$pkgs" \
	--aptopt='Acquire::Check-Valid-Until "false"' \
	--essential-hook='echo "kexec-tools kexec-tools/load_kexec boolean false" | chroot "$1" debconf-set-selections' \
	--essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d"' \
	--essential-hook='echo MODULES=list >"$1/etc/initramfs-tools/conf.d/vmkeep-test"' \
	--essential-hook='printf "virtio_pci\nvirtio_blk\next4\n" >"$1/usr/share/initramfs-tools/modules.d/vmkeep-test"' \
	--customize-hook='echo vmkeep-test >"$1/etc/hostname"; echo "/dev/vda / ext4 rw 0 1" >"$1/etc/fstab"' \
	--customize-hook='chroot "$1" passwd -d root' \
	"${suites[0]}" "$root" "${suites[@]:1}" >&2
echo "$pkgs" >"$root/.stamp"
echo "$root"
