#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-check.sh - install vmkeep with DKMS the way an operator would
#
# In the sid chroot (scripts/sid-chroot.sh): install sid's newest
# linux-headers package from Debian's archive, put the committed tree in
# /usr/src/vmkeep-VERSION, and run dkms add, build and install for that
# kernel; check that the module landed under /lib/modules/KREL with the
# kernel's vermagic, then dkms remove.  Prints KTAP.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$top/.cache}
cd "$top"
# shellcheck source=/dev/null
. "$(scripts/fetch-kernel.sh 7)"
ver=$(cat VERSION)
work=$CACHE/dkms
rm -rf "$work"
mkdir -p "$work"
git archive --prefix="vmkeep-$ver/" -o "$work/src.tar" HEAD

cat >"$work/run.sh" <<EOS
set -eu
krel=$KREL ver=$ver
n=0
t() { n=\$((n + 1)); if "\$@" >>"$work/log" 2>&1; then echo "ok \$n \$*";
      else echo "not ok \$n \$*"; rc=1; fi; }
rc=0
echo 1..8
export DEBIAN_FRONTEND=noninteractive
t apt-get -qq update
t apt-get install -y -qq --no-install-recommends openssl linux-headers-\$krel
rm -rf /usr/src/vmkeep-\$ver /var/lib/dkms/vmkeep
tar -C /usr/src -xf "$work/src.tar"
t dkms add vmkeep/\$ver
t dkms build vmkeep/\$ver -k \$krel
t dkms install vmkeep/\$ver -k \$krel
ko=\$(find /lib/modules/\$krel -name 'vmkeep.ko*' | head -1)
t test "\$(modinfo -F vermagic "\$ko" | cut -d' ' -f1)" = \$krel
# The module a package ships has no fault injection (the test build's).
t sh -c "modinfo -p \$ko | grep -q '^pools:' && ! modinfo -p \$ko | grep -q crash_after_write"
cat /var/lib/dkms/vmkeep/\$ver/build/make.log >>"$work/log" 2>/dev/null || true
t dkms remove vmkeep/\$ver --all
exit \$rc
EOS
scripts/sid-chroot.sh sh "$work/run.sh" || { sed 's/^/# /' "$work/log"; exit 1; }
