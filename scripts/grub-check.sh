#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# grub-check.sh - what a kernel booted by GRUB gets from the memmap= line
# that vmkeep tells an operator to write in /etc/default/grub
#
# The shell that runs grub-mkconfig and GRUB's own script language each
# remove a level of escaping, and GRUB expands "$0" (a positional
# parameter, empty) in an unescaped "memmap=8G$0x200000000": the kernel
# gets "memmap=8Gx200000000", which reserves nothing and caps RAM at 8G.
# This puts tools/host/grub.cfg (the packages' /etc/default/grub.d/
# vmkeep.cfg) with its example line uncommented into a Debian 12 root
# (grub2-common and grub-pc-bin, made once with mmdebstrap into
# $CACHE/chroot/grub-bookworm), runs grub-mkconfig there, and boots the
# grub.cfg it wrote with that root's GRUB (i386-pc, loaded by QEMU as a
# Linux image through lnxboot.img, the files on a vvfat disk) and the test
# kernel, whose initramfs prints /proc/cmdline.  Then the same with the
# "$" escaped once (\$), as the admin guide used to say.  KTAP.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$top/.cache}
# shellcheck source=/dev/null
. "$("$top/scripts/fetch-kernel.sh" 6.12)"
root=$CACHE/chroot/grub-bookworm
work=$CACHE/grub-check
pkgs=grub2-common,grub-pc-bin
want='memmap=8G$0x200000000 vmkeep.pools=8G@0x200000000'

if [ "$(cat "$root/.stamp" 2>/dev/null)" != "$pkgs" ]; then
	echo "grub-check: creating $root" >&2
	rm -rf "$root"
	mkdir -p "$CACHE/chroot"
	# No mirror argument: mmdebstrap's default is Debian's archive.
	mmdebstrap --quiet --variant=minbase --include="$pkgs" \
		--aptopt='APT::Install-Recommends "false"' bookworm "$root" >&2
	echo "$pkgs" >"$root/.stamp"
fi

rm -rf "$work"
mkdir -p "$work/initrd/bin" "$work/initrd/proc" "$work/initrd/dev"
install -m 0755 /bin/busybox "$work/initrd/bin/busybox"
cat >"$work/initrd/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo "CMDLINE: $(/bin/busybox cat /proc/cmdline)" >/dev/console
/bin/busybox poweroff -f
EOF
chmod 0755 "$work/initrd/init"
(cd "$work/initrd" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.img"

# GRUB on the serial port, no menu; the kernel grub-mkconfig finds is
# the test kernel.
mkdir -p "$root/boot/grub" "$root/etc/default/grub.d"
cp "$VMLINUZ" "$root/boot/vmlinuz-$KREL"
cp "$work/initrd.img" "$root/boot/initrd.img-$KREL"
grep -v '^GRUB_TIMEOUT=\|^GRUB_TERMINAL\|^GRUB_SERIAL_COMMAND=\|^GRUB_CMDLINE_LINUX=' \
	"$root/usr/share/grub/default/grub" >"$root/etc/default/grub"
cat >>"$root/etc/default/grub" <<'EOF'
GRUB_TIMEOUT=0
GRUB_TERMINAL=serial
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_CMDLINE_LINUX="console=ttyS0"
EOF
# The core image carries what the first lines need before grub.cfg loads
# more from the disk: the serial port first, else nothing is seen.
printf '%s\n' 'serial --unit=0 --speed=115200' 'terminal_input serial' \
	'terminal_output serial' 'set root=(hd0,msdos1)' \
	'configfile /boot/grub/grub.cfg' >"$root/tmp/early.cfg"
chroot "$root" grub-mkimage -O i386-pc -o /tmp/core.img -c /tmp/early.cfg \
	-p '(hd0,msdos1)/boot/grub' biosdisk part_msdos fat normal configfile \
	serial terminal linux echo test
cat "$root/usr/lib/grub/i386-pc/lnxboot.img" "$root/tmp/core.img" >"$work/grub.lnx"

n=0 rc=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; rc=1; fi
}

# boot NAME: grub-mkconfig with the vmkeep.cfg in the root, boot its
# grub.cfg; print the linux line and the kernel's command line.
boot() {
	local d=$work/$1
	unshare --mount --propagation private /bin/sh -c '
		r=$1
		mount -t proc proc "$r/proc"
		mount --rbind /sys "$r/sys"
		mount --rbind /dev "$r/dev"
		chroot "$r" grub-mkconfig -o /boot/grub/grub.cfg' grub-check "$root" \
		>"$work/$1.mkconfig.log" 2>&1
	mkdir -p "$d/boot/grub"
	cp "$root/boot/grub/grub.cfg" "$root/boot/vmlinuz-$KREL" "$root/boot/initrd.img-$KREL" "$d/boot/"
	mv "$d/boot/grub.cfg" "$d/boot/grub/grub.cfg"
	cp -r "$root/usr/lib/grub/i386-pc" "$d/boot/grub/"
	timeout 300 qemu-system-x86_64 -accel tcg -m 512 -nodefaults -display none \
		-no-reboot -serial file:"$work/$1.serial" -kernel "$work/grub.lnx" \
		-drive file=fat:"$d",format=raw,if=ide,snapshot=on >"$work/$1.qemu.log" 2>&1 || true
	line=$(grep -m1 -P '^\tlinux\t' "$d/boot/grub/grub.cfg" | sed 's/^\t//')
	got=$(tr -d '\r' <"$work/$1.serial" | sed -n 's/^CMDLINE: //p')
	echo "# $1: grub.cfg: $line"
	echo "# $1: /proc/cmdline: $got"
}

# The packages' template, its example line uncommented.
sed 's/^#GRUB_CMDLINE_LINUX=/GRUB_CMDLINE_LINUX=/' "$top/tools/host/grub.cfg" \
	>"$root/etc/default/grub.d/vmkeep.cfg"
echo "# vmkeep.cfg: $(grep '^GRUB_CMDLINE_LINUX=' "$root/etc/default/grub.d/vmkeep.cfg")"
boot shipped
ok "$([[ " $got " == *" $want "* ]]; echo $?)" "tools/host/grub.cfg's line gives the kernel '$want'"

# The $ escaped once.
sed -i 's/\\\\\\\$/\\$/' "$root/etc/default/grub.d/vmkeep.cfg"
echo "# vmkeep.cfg: $(grep '^GRUB_CMDLINE_LINUX=' "$root/etc/default/grub.d/vmkeep.cfg")"
boot once
ok "$([[ -n $got && " $got " != *" $want "* ]]; echo $?)" "the \$ escaped once (\\\$) loses it: the kernel gets '$(echo "$got" | grep -o 'memmap=[^ ]*')'"

rm -f "$root/etc/default/grub.d/vmkeep.cfg"
echo "1..$n"
exit $rc
