#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# sid-chroot.sh CMD [ARGS...] - run CMD in a Debian sid chroot
#
# sid's kernel headers are built for sid's gcc (gcc-16 today), which
# Debian 12 lacks.  The chroot is made once with mmdebstrap from the
# host's Debian mirror (scripts/debian-mirror.sh) into $CACHE/chroot/sid;
# each call runs CMD in a private mount namespace where the source tree is bind-mounted at its own path and
# /proc is mounted (objtool needs it), so paths mean the same inside and
# out and nothing stays mounted afterwards.  A $CACHE/kernels that links
# out of the tree (a git worktree sharing another's kernels) is
# bind-mounted at its real path too.  CMD runs in the current directory,
# which must be inside the tree.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$top/.cache}
root=$CACHE/chroot/sid
pkgs=gcc-16,make,libelf-dev,bc,flex,bison,dwarves,kmod,sparse,dkms

if [ "$(cat "$root/.stamp" 2>/dev/null)" != "$pkgs" ]; then
	echo "sid-chroot: creating $root" >&2
	rm -rf "$root"
	mkdir -p "$CACHE/chroot"
	mmdebstrap --quiet --variant=minbase --include="$pkgs" \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		sid "$root" "$("$top/scripts/debian-mirror.sh")" >&2
	echo "$pkgs" >"$root/.stamp"
fi

case $PWD/ in
"$top"/*) ;;
*) echo "sid-chroot: $PWD is outside $top" >&2; exit 1 ;;
esac

kernels=$(readlink -f "$CACHE/kernels" 2>/dev/null) || kernels=
case $kernels/ in
/ | "$top"/*) kernels= ;;
esac

exec unshare --mount --propagation private /bin/sh -euc '
	root=$1 top=$2 cwd=$3 kernels=$4
	shift 4
	mkdir -p "$root$top"
	mount --bind "$top" "$root$top"
	if [ -n "$kernels" ]; then
		mkdir -p "$root$kernels"
		mount --bind "$kernels" "$root$kernels"
	fi
	mount -t proc proc "$root/proc"
	exec chroot "$root" /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"
' sid-chroot "$root" "$top" "$PWD" "$kernels" "$@"
