#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# systemd-root.sh [-l|-t] KREL - a Debian root that boots with systemd
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
# -t: the root of systemd's own TEST-91-LIVEUPDATE (systemd-test.sh -t),
# sid only, in $CACHE/chroot/test91-KREL: the systemd root and what the
# test needs of the image systemd's mkosi makes for it: systemd-tests
# (the test, util.sh, test-luo, test-fdstore), systemd-container, D-Bus,
# logind's PAM module, jq, the tools that make an ESP, user testuser
# (uid 4711), mkosi.extra's fd store drop-ins for user@.service and
# systemd-nspawn@.service, and the nspawn container template
# (/usr/share/TEST-13-NSPAWN-container-template) made as mkosi's
# minimal-base image: its Debian packages, its dummy /sbin/init, and
# test-fdstore in /usr/bin.
# Each root is made again when its package list changes.

set -euo pipefail

libvirt=0 test91=0
case ${1:-} in
-l) libvirt=1; shift ;;
-t) test91=1; shift ;;
esac
krel=${1:?usage: systemd-root.sh [-l|-t] KREL}
top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$top/.cache}
pkgs=systemd,systemd-sysv,udev,kexec-tools,kmod,dkms,openssl,initramfs-tools,linux-headers-$krel,linux-image-$krel,libjson-c5,libkmod2,libkmod-dev,pkg-config
root=$CACHE/chroot/systemd-$krel
if [ $libvirt = 1 ]; then
	pkgs=$pkgs,libvirt-daemon-system,libvirt-clients,libvirt-daemon-driver-qemu,qemu-system-x86,apparmor
	root=$CACHE/chroot/libvirt-$krel
fi
# mkosi.images/minimal-base of systemd-tests, its Debian configuration.
ctpkgs=bash,grep,socat,util-linux,coreutils,bsdextrautils,hostname,iproute2,mount,ncat,libsystemd0,libudev1
if [ $test91 = 1 ]; then
	case $krel in 6.*) echo "systemd-root: -t needs systemd 262: sid's 7.x kernel" >&2; exit 2 ;; esac
	pkgs=$pkgs,systemd-tests,systemd-container,dbus,libpam-systemd,jq,dosfstools,mtools,fdisk
	root=$CACHE/chroot/test91-$krel
fi
stamp=$pkgs$([ $test91 = 0 ] || echo " container:$ctpkgs")

if [ "$(cat "$root/.stamp" 2>/dev/null)" = "$stamp" ]; then
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
if [ $test91 = 1 ]; then
	tests=$root/usr/lib/systemd/tests
	ct=$root/usr/share/TEST-13-NSPAWN-container-template
	mmdebstrap --variant=essential --include="$ctpkgs" \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		"${suites[0]}" "$ct" "${suites[@]:1}" >&2
	# mkosi.images/minimal-base/mkosi.postinst
	printf '#!/usr/bin/env bash\necho "Hello from dummy init, beautiful day, innit?"\nip link\n' >"$ct/sbin/init"
	chmod +x "$ct/sbin/init"
	[ -e "$ct/etc/os-release" ] || ln -s ../usr/lib/os-release "$ct/etc/os-release"
	cp "$tests/unit-tests/manual/test-fdstore" "$ct/usr/bin/test-fdstore"
	for d in user@.service.d systemd-nspawn@.service.d; do
		cp -r "$tests/mkosi/mkosi.extra/usr/lib/systemd/system/$d" "$root/usr/lib/systemd/system/"
	done
	chroot "$root" useradd -u 4711 -U -m -s /bin/bash testuser
fi
echo "$stamp" >"$root/.stamp"
echo "$root"
