#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install-deps.sh - install the Debian 12 packages vmkeep builds and tests
# with, when any is missing (needs root then).  Kernels and kernel sources
# are not installed: the build fetches them into .cache/.  mmdebstrap makes
# the sid chroot that builds for KVER=7; gnuplot draws make bench's plots;
# jq reads vmkeepctl's JSON in the VM tests; lintian checks make deb's
# packages.
set -euo pipefail

pkgs="build-essential bc bison flex libelf-dev libssl-dev dwarves kmod cpio
      busybox-static kexec-tools qemu-system-x86 sparse pkg-config
      libkmod-dev libjson-c-dev clang mmdebstrap gnuplot-nox python3-docutils man-db
      debhelper dh-dkms e2fsprogs jq lintian"
missing=$(for p in $pkgs; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	  grep -q 'ok installed' || echo "$p"; done)
[ -z "$missing" ] && exit 0
echo "install-deps: installing" $missing >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
