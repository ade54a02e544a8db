#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# systemd-test.sh [-v] DEBDIR - the Debian packages on a host booted by
# systemd, across 'systemctl kexec', in a QEMU guest
#
# A copy of the Debian 12 root of scripts/systemd-root.sh (systemd, udev,
# kexec-tools, dkms, the 6.12 kernel with headers) gets the packages of
# DEBDIR ("make deb") with dpkg -i: DKMS builds vmkeep.ko for that kernel
# in the package's postinst and the kernel hook runs.  The root becomes
# an ext4 image on a virtio disk; QEMU boots the root's own kernel and
# initramfs with a memmap= pool.  vmkeep.service loads the module, and
# vmkeep-test.service runs selftests/vm/systemd-stage.sh, which makes a
# region, 'vmkeepctl update' and 'systemctl kexec'; after the kexec the
# region, its bytes and the service's journal lines are checked, then
# 'systemctl poweroff' must warn on the console that the region's memory
# does not survive.  Prints KTAP; the run directory is kept on failure.
# -s systemd-vms.sh runs that stage script instead (vmkeep-vms.service
# and VMs of 'vm run' across 'vmkeepctl update'): the host's QEMU and
# vkguest go into the root too, and vmkeep-vms.service is enabled.
# -l bookworm|sid: the libvirt root of 'systemd-root.sh -l' (libvirt,
# Debian's QEMU, AppArmor; 6.12 kernel on bookworm, 7.x on sid) gets
# vkguest and runs libvirt-stage.sh (-s names another), with
# vmkeep-stamp.service (that script's serial line stamper, before libvirt)
# enabled, 4 GiB and a pool of 1 GiB; -m MODE passes vmkeep_test.mode=MODE
# (libvirt-stage.sh's update path, "baseline" without it).
# -r sid: the systemd root of sid (systemd 262) with its 7.x kernel
# instead of Debian 12's.  -s systemd-luo.sh: the live update face
# (vmkeep.luo=1 through modprobe.d, loaded by the initramfs hook) and a
# service's fd store across 'systemctl kexec' (selftests/vkfdstore).
# -t: systemd's own TEST-91-LIVEUPDATE from sid's systemd-tests package,
# on the root of 'systemd-root.sh -t' with luo=1 as above, booted the
# way systemd's integration-test-wrapper.py boots it (systemd.unit=, its
# SYSTEMD_UNIT_PATH, its drop-in: output to the console, SuccessAction=
# exit with status 123; the meson file's command line), with an ESP on a
# second disk holding a boot loader entry for this kernel, which
# 'systemctl kexec --kernel-cmdline=' loads; vmkeep-format.service
# formats the new pool before the test's first boot.  The test passed
# when it wrote /testok and the unit's success action ran in the boot
# after the kexec.
#
# Environment: VM_TIMEOUT (seconds for both boots, 600; 900 with
# systemd-luo.sh; 1200 with VMs; 1800 with -t; 2400 with libvirt).

set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${CACHE:-$top/.cache}
verbose=0
stage=
suite=
libvirt=0
test91=0
mode=
while getopts "vs:l:r:m:t" opt; do
	case $opt in
	v) verbose=1 ;;
	s) stage=$OPTARG ;;
	l) suite=$OPTARG libvirt=1 ;;
	r) suite=$OPTARG ;;
	m) mode=$OPTARG ;;
	t) test91=1 suite=sid stage=TEST-91-LIVEUPDATE ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
debs=$(cd "${1:?usage: systemd-test.sh [-v] [-s STAGE_SCRIPT] [-r sid | -l bookworm|sid [-m MODE] | -t] DEBDIR}" && pwd)
case $suite in
"")	kver=6.12 ;;
bookworm) kver=6.12 ;;
sid)	kver=7 ;;
*)	echo "systemd-test: -l or -r bookworm or sid, not '$suite'" >&2; exit 2 ;;
esac
if [ $libvirt = 0 ]; then
	stage=${stage:-systemd-stage.sh} mem=2048 pool=512M@0x40000000 img=2G
	case $stage in
	systemd-stage.sh) tmo=600 ;;
	systemd-luo.sh) tmo=900 ;;
	TEST-91-LIVEUPDATE) tmo=1800 img=3G ;;
	*) tmo=1200 ;;
	esac
else
	stage=${stage:-libvirt-stage.sh} mem=4096 pool=1G@0x40000000 img=6G tmo=2400
fi
# shellcheck source=/dev/null
. "$("$top/scripts/fetch-kernel.sh" $kver)"
base=$("$top/scripts/systemd-root.sh" $([ $libvirt = 0 ] || echo -l) $([ $test91 = 0 ] || echo -t) "$KREL")
# The live update face on: the admin's modprobe.d line.
luo=$([ "$stage" = systemd-luo.sh ] || [ $test91 = 1 ] && echo 1 || echo 0)
dir=$CACHE/systemd-test$([ "$stage" = systemd-stage.sh ] && [ -z "$suite" ] ||
	echo "-${stage%.sh}${suite:+-$suite}${mode:+-$mode}")
root=$dir/root
log() { [ $verbose = 0 ] || echo "systemd-test: $*" >&2; }

rm -rf "$dir"
mkdir -p "$dir"
t0=$(date +%s)
cp -a "$base" "$root"

# In the root, with /proc, /sys and /dev, as dpkg would run on the host.
in_root() {
	unshare --mount --propagation private /bin/sh -c '
		r=$1; shift
		mount -t proc proc "$r/proc"
		mount --rbind /sys "$r/sys"
		mount --rbind /dev "$r/dev"
		exec chroot "$r" "$@"' in_root "$root" "$@"
}

n=0 rc=0 nfail=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; rc=1; nfail=$((nfail + 1)); fi
}
check() {
	local desc=$1
	shift
	"$@" >>"$dir/install.log" 2>&1
	ok $? "$desc"
}

echo "TAP version 13"
mkdir -p "$root/tmp/debs"
cp "$debs"/*.deb "$root/tmp/debs/"
rm -f "$root"/tmp/debs/*-dbgsym_*.deb
log "dpkg -i $(cd "$root/tmp/debs" && echo *.deb)"
# The admin's opt-in to the live update face, before the packages: their
# initramfs trigger then builds an initrd with vmkeep in it.
if [ $luo = 1 ]; then
	echo "options vmkeep luo=1" >"$root/etc/modprobe.d/vmkeep.conf"
fi
set +e
check "dpkg -i vmkeep-dkms vmkeepctl libvmkeep1 libvmkeep-dev" \
	in_root sh -c 'DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/debs/*.deb'
# Compressed as the kernel's own modules are (xz on Debian 6.12).
ko=$(find "$root/lib/modules/$KREL/updates/dkms" -name 'vmkeep.ko*' 2>/dev/null | head -1)
ko=${ko:-vmkeep.ko}
check "dkms built vmkeep.ko for $KREL in the postinst" \
	test "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$KREL"
signer=$(modinfo -F signer "$ko" 2>/dev/null)
if [ -n "$signer" ]; then
	echo "# vmkeep.ko is signed by '$signer' (dkms's MOK key, /var/lib/dkms/mok.pub)"
	ok 0 "dkms signed vmkeep.ko with its MOK key"
else
	n=$((n + 1)); echo "ok $n dkms signed vmkeep.ko # SKIP dkms made no key"
fi
if [ $luo = 1 ]; then
	in_root lsinitramfs "/boot/initrd.img-$KREL" >"$dir/initrd.list" 2>&1
	for f in 'usr/lib/modules/.*/vmkeep\.ko' usr/sbin/vmkeepctl 'usr/lib/.*/libvmkeep\.so\.1' \
		 scripts/init-bottom/vmkeep etc/modprobe.d/vmkeep.conf; do
		check "the initramfs trigger put $f into the initrd" grep -q "^$f" "$dir/initrd.list"
	done
	check "no pool identity in the initrd" sh -c "! grep -q 'var/lib/vmkeep' '$dir/initrd.list'"
	echo "# initrd.img-$KREL: mode $(stat -c %a "$root/boot/initrd.img-$KREL"), $(wc -l <"$dir/initrd.list") files"
fi
for f in /usr/sbin/vmkeepctl /usr/share/man/man8/vmkeepctl.8.gz \
	 /usr/share/bash-completion/completions/vmkeepctl \
	 /lib/systemd/system/vmkeep.service /usr/lib/vmkeep/vmkeep-shutdown \
	 /etc/kernel/postinst.d/zz-vmkeep /etc/default/grub.d/vmkeep.cfg \
	 /usr/share/initramfs-tools/hooks/vmkeep \
	 /usr/share/initramfs-tools/scripts/init-bottom/vmkeep \
	 /usr/include/vmkeep/libvmkeep.h /usr/lib/x86_64-linux-gnu/pkgconfig/libvmkeep.pc \
	 /usr/src/vmkeep-0.1/dkms.conf; do
	check "installed $f" test -e "$root$f"
done
check "pkg-config finds libvmkeep $(cat "$top/VERSION")" \
	test "$(in_root pkg-config --modversion libvmkeep)" = "$(cat "$top/VERSION")"

check "vmkeep.service is enabled" \
	test -L "$root/etc/systemd/system/multi-user.target.wants/vmkeep.service"
check "vmkeep-vms.service is installed and not enabled" \
	sh -c "test -f $root/lib/systemd/system/vmkeep-vms.service &&
	       ! test -e $root/etc/systemd/system/multi-user.target.wants/vmkeep-vms.service"
check "the kernel hook is quiet for a kernel with vmkeep.ko" \
	test -z "$(in_root /etc/kernel/postinst.d/zz-vmkeep "$KREL" "/boot/vmlinuz-$KREL" 2>&1)"
in_root /etc/kernel/postinst.d/zz-vmkeep 6.0.0-none "/boot/vmlinuz-$KREL" >"$dir/hook.log" 2>&1
sed 's/^/# /' "$dir/hook.log"
check "the kernel hook warns for a kernel without it" \
	grep -q "^vmkeep:   module   FAILED no vmkeep.ko in /lib/modules/6.0.0-none" "$dir/hook.log"
set -e

# The VMs' stage: the host's QEMU (Debian 12's, as the root's) with the
# libraries the root lacks and its firmware, vkguest, and the unit on.
if [ "$stage" = systemd-vms.sh ]; then
	q=$(command -v qemu-system-x86_64)
	for f in "$q" /usr/lib/x86_64-linux-gnu/qemu/*.so; do
		[ -e "$f" ] || continue
		install -D -m 0755 "$f" "$root$f"
		for lib in $(ldd "$f" | grep -o '/[^ ]*'); do
			[ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
		done
	done
	for d in /usr/share/qemu /usr/share/seabios; do
		mkdir -p "$root$d"
		cp -rL "$d"/. "$root$d"/
	done
	install -D -m 0644 "$top/guest/vkguest" "$root/usr/lib/vmkeep/vkguest"
	ln -s /lib/systemd/system/vmkeep-vms.service \
		"$root/etc/systemd/system/multi-user.target.wants/vmkeep-vms.service"
fi
# The libvirt stage: the root's own libvirt and QEMU run vkguest; the
# stamper of the domains' serial lines runs before libvirt and stops
# after libvirt-guests.
if [ $libvirt = 1 ]; then
	install -D -m 0644 "$top/guest/vkguest" "$root/var/lib/libvirt/boot/vkguest"
	cat >"$root/etc/systemd/system/vmkeep-stamp.service" <<'EOU'
[Unit]
Description=vmkeep test: the domains' serial lines with their time
Before=libvirtd.service virtqemud.service libvirt-guests.service
[Service]
ExecStart=/usr/local/sbin/vmkeep-test stamp
ExecStop=/usr/local/sbin/vmkeep-test stamp-stop
[Install]
WantedBy=multi-user.target
EOU
	ln -s /etc/systemd/system/vmkeep-stamp.service \
		"$root/etc/systemd/system/multi-user.target.wants/vmkeep-stamp.service"
fi

# The live update stage: the service whose fd store crosses the kexec.
if [ "$stage" = systemd-luo.sh ]; then
	install -D -m 0755 "$top/selftests/vkfdstore" "$root/usr/local/bin/vkfdstore"
	cat >"$root/etc/systemd/system/vk-fdstore.service" <<'EOU'
[Unit]
Description=vmkeep test: a memfd and a region file in the fd store across kexec
After=vmkeep.service
[Service]
Type=oneshot
RemainAfterExit=yes
NotifyAccess=all
FileDescriptorStoreMax=4
FileDescriptorStorePreserve=yes
ExecStart=/bin/sh -c 'case "$$(cat /proc/cmdline)" in \
	*vmkeep_test.stage=2*) exec /usr/local/bin/vkfdstore check /run/vk-fdstore.result ;; \
	*) exec vmkeepctl exec --region sd-luo:fd=10 -- /usr/local/bin/vkfdstore store ;; esac'
EOU
fi

# TEST-91: what integration-test-wrapper.py gives the unit (a drop-in
# in a credential there), the pool formatted before it, and an ESP with
# a Type #1 boot loader entry of this kernel, on /efi.
cmdline= esp=()
if [ $test91 = 1 ]; then
	d=$root/etc/systemd/system/TEST-91-LIVEUPDATE.service.d
	mkdir -p "$d"
	cat >"$d/vmkeep-test.conf" <<'EOU'
[Service]
StandardOutput=journal+console

[Unit]
SuccessAction=exit
SuccessActionExitStatus=123
FailureAction=exit
Wants=vmkeep-format.service vmkeep-run-exec.service
After=vmkeep-format.service vmkeep-run-exec.service
EOU
	# The wrapper's emergency-exit.service, for a boot that fails early.
	cat >"$root/etc/systemd/system/emergency-exit.service" <<'EOU'
[Unit]
DefaultDependencies=no
Conflicts=shutdown.target
Conflicts=rescue.service
Before=shutdown.target
Before=rescue.service
FailureAction=exit

[Service]
ExecStart=false
EOU
	mkdir -p "$root/etc/systemd/system/emergency.target.d"
	printf '[Unit]\nWants=emergency-exit.service\n' \
		>"$root/etc/systemd/system/emergency.target.d/vmkeep-test.conf"
	# initramfs-tools mounts /run noexec and hands it to the root; the
	# test runs a script from /run, as systemd's own initrd allows.
	cat >"$root/etc/systemd/system/vmkeep-run-exec.service" <<'EOU'
[Unit]
Description=vmkeep test: /run without noexec, as systemd's initrd mounts it
DefaultDependencies=no
After=local-fs.target
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/bin/mount -o remount,exec /run
EOU
	cat >"$root/etc/systemd/system/vmkeep-format.service" <<'EOU'
[Unit]
Description=vmkeep test: format the new pool before TEST-91's first boot
DefaultDependencies=no
After=vmkeep.service local-fs.target
ConditionKernelCommandLine=!luo_nboot=1
[Service]
Type=oneshot
RemainAfterExit=yes
StandardOutput=journal+console
ExecStart=/usr/sbin/vmkeepctl format --pool 0
EOU
	cmdline="kho=on liveupdate=on systemd.minimum_uptime_sec=0 systemd.hostname=H"
	cmdline="$cmdline SYSTEMD_UNIT_PATH=/usr/lib/systemd/tests/testdata/TEST-91-LIVEUPDATE.units:/usr/lib/systemd/tests/testdata/units:"
	cmdline="$cmdline systemd.unit=TEST-91-LIVEUPDATE.service systemd.mask=systemd-networkd-wait-online.service"
	cmdline="$cmdline systemd.mask=serial-getty@.service systemd.show_status=error systemd.crash_shell=0"
	cmdline="$cmdline systemd.crash_action=poweroff loglevel=6"
	mkdir -p "$root/efi"
	echo "/dev/vdb1 /efi vfat umask=0077 0 2" >>"$root/etc/fstab"
	cat >"$root/tmp/entry.conf" <<EOE
title Debian sid, vmkeep's TEST-91 run
version $KREL
linux /vmlinuz-$KREL
initrd /initrd.img-$KREL
options console=ttyS0 root=/dev/vda rw
EOE
	in_root sh -c "set -e; cd /tmp; rm -f esp.img; truncate -s 96M esp.img
		echo 'label: gpt
start=2048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp' | sfdisk -q esp.img
		mkfs.vfat -F 32 -n ESP --offset=2048 esp.img $((95 * 1024)) >/dev/null
		mmd -i esp.img@@1M ::loader ::loader/entries
		mcopy -i esp.img@@1M /boot/vmlinuz-$KREL /boot/initrd.img-$KREL ::
		mcopy -i esp.img@@1M entry.conf ::loader/entries/debian-vmkeep.conf
		mdir -i esp.img@@1M -/ ::" >"$dir/esp.log" 2>&1
	ok $? "an ESP with a boot loader entry for $KREL"
	sed 's/^/# esp: /' "$dir/esp.log"
	mv "$root/tmp/esp.img" "$dir/esp.img"
	esp=(-drive "file=$dir/esp.img,if=virtio,format=raw,cache=unsafe")
	rm -f "$root/tmp/entry.conf"
else
	# The test unit; the journal on disk (for boot -1) and on the console.
	install -m 0755 "$top/selftests/vm/$stage" "$root/usr/local/sbin/vmkeep-test"
	install -D -m 0644 "$top/selftests/vm/stage-lib.sh" \
		"$root/usr/local/lib/vmkeep-test/stage-lib.sh"
	cat >"$root/etc/systemd/system/vmkeep-test.service" <<'EOU'
[Unit]
Description=vmkeep systemd test stage
After=vmkeep.service multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/vmkeep-test
[Install]
WantedBy=multi-user.target
EOU
	ln -s /etc/systemd/system/vmkeep-test.service \
		"$root/etc/systemd/system/multi-user.target.wants/vmkeep-test.service"
fi
# Under TCG every unit costs seconds: none that this test does not need.
for u in e2scrub_reap getty-static kexec-load systemd-update-utmp \
	 systemd-update-utmp-runlevel getty@tty1 serial-getty@ttyS0 \
	 modprobe@dm_mod modprobe@fuse modprobe@loop modprobe@efi_pstore \
	 modprobe@configfs; do
	ln -sf /dev/null "$root/etc/systemd/system/$u.service"
done
for u in apt-daily apt-daily-upgrade dpkg-db-backup fstrim logrotate man-db; do
	ln -sf /dev/null "$root/etc/systemd/system/$u.timer"
done
mkdir -p "$root/var/log/journal" "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nForwardToConsole=yes\nTTYPath=/dev/ttyS0\nMaxLevelConsole=info\n' \
	>"$root/etc/systemd/journald.conf.d/vmkeep-test.conf"
rm -rf "$root/tmp/debs"
rm -f "$dir/root.img"
mkfs.ext4 -q -L root -d "$root" "$dir/root.img" $img
cp -L "$root/boot/vmlinuz-$KREL" "$root/boot/initrd.img-$KREL" "$dir/"
rm -rf "$root"
t1=$(date +%s)

memmap="memmap=${pool%@*}\$${pool#*@}"
log "booting $KREL from an ext4 root, pool $pool"
set +e
timeout "${VM_TIMEOUT:-$tmo}" qemu-system-x86_64 \
	-accel tcg,thread=single -cpu max -smp 2 -m $mem \
	-nodefaults -no-reboot -display none \
	-serial file:"$dir/console.log" -serial file:"$dir/results.log" \
	-drive file="$dir/root.img",if=virtio,format=raw,cache=unsafe \
	"${esp[@]}" \
	-kernel "$dir/vmlinuz-$KREL" -initrd "$dir/initrd.img-$KREL" \
	-append "console=ttyS0 root=/dev/vda rw panic=-1 $memmap vmkeep.pools=$pool${mode:+ vmkeep_test.mode=$mode}${cmdline:+ $cmdline}" \
	>"$dir/qemu.log" 2>&1
qrc=$?
# From here on every check reports, none ends the script.
t2=$(date +%s)

tr -d '\r' <"$dir/results.log" >"$dir/results.txt"
tr -d '\r' <"$dir/console.log" >"$dir/console.txt"
while IFS= read -r l; do
	case $l in
	"ok - "*) ok 0 "${l#ok - }" ;;
	"not ok - "*) ok 1 "${l#not ok - }" ;;
	"#"*) echo "$l" ;;
	esac
done <"$dir/results.txt"
for s in "@@ stage 1 kexec" "@@ stage 2 start" "@@ stage 2 poweroff"; do
	[ $test91 = 0 ] || break
	grep -q "^$s" "$dir/results.txt"
	ok $? "the guest reached '$s'"
done
if [ $test91 = 1 ]; then
	grep -a -E "LUO|liveupdate|vmkeep: initramfs|luo_nboot|/testok|exit 123|TEST-91-LIVEUPDATE.service: |Power down" "$dir/console.txt" |
		grep -a -v -E 'Sent message|Got message|Bus n/a|sd-bus|varlink|json-stream|Notify message' |
		cut -c1-240 | sed 's/^/# console: /'
	# (the line is too long for "Command line:": the unknown ones name it)
	grep -a -q 'Unknown kernel command line parameters .*luo_nboot=1' "$dir/console.txt"
	ok $? "TEST-91: systemctl kexec booted the kernel of the boot loader entry (luo_nboot=1)"
	! grep -a -q '/dev/liveupdate not available, skipping test' "$dir/console.txt"
	ok $? "TEST-91: /dev/liveupdate was there (no exit 77)"
	debugfs -R 'stat /testok' "$dir/root.img" 2>&1 | grep -q '^Inode:'
	ok $? "TEST-91: the test wrote /testok in the second boot"
	# Its last step; the wrapper takes exit status 123 for a pass (a VM
	# powers off instead: 'poweroff-force action instead of exit-force').
	grep -a -A1 'TEST-91-LIVEUPDATE.sh\[[0-9]*\]: + touch /testok' "$dir/console.txt" |
		grep -a -q 'TEST-91-LIVEUPDATE.sh\[[0-9]*\]: + systemctl --no-block exit 123'
	ok $? "TEST-91: passed (touch /testok, then 'systemctl exit 123', the wrapper's pass)"
fi
if [ $libvirt = 0 ] && [ $luo = 0 ]; then
	grep -q "vmkeep: poweroff with 1 region(s): sd-a: their memory does not survive a cold boot" "$dir/console.txt"
	ok $? "systemctl poweroff warns that the region's memory does not survive"
fi
# systemd-shutdown logs its LUO lines after journald is gone: console only.
if [ $luo = 1 ]; then
	[ $test91 = 1 ] || grep -a -E 'LUO|liveupdate|vmkeep: initramfs' "$dir/console.txt" | sed 's/^/# console: /'
	grep -a -q "systemd\[1\]: Serialized [0-9]* fd store entries for LUO." "$dir/console.txt"
	ok $? "PID 1 serialized the fd stores for LUO (console)"
	if [ $test91 = 1 ]; then
		# The wrapper's loglevel=6 keeps systemd-shutdown's info lines off the console.
		n=$((n + 1)); echo "ok $n systemd-shutdown's 'Preserved fd stores' line # SKIP loglevel=6 hides it"
	else
		grep -q "Preserved fd stores in LUO session 'systemd' for kexec." "$dir/console.txt"
		ok $? "systemd-shutdown preserved the fd stores in LUO session 'systemd' (console)"
	fi
	# TEST-91 stores a session named "systemd" to see PID 1 skip it.
	errors=$(sed -n 's/^luo_errors="\(.*\)"$/\1/p' "$top/selftests/vm/systemd-luo.sh")
	expected=$(sed -n 's/^luo_expected="\(.*\)"$/\1/p' "$top/selftests/vm/systemd-luo.sh")
	grep -a -E "$expected" "$dir/console.txt" | sed 's/^/# expected, as with mainline LUO: /'
	grep -a -E "$errors" "$dir/console.txt" | grep -v -E "$expected" |
		{ if [ $test91 = 1 ]; then grep -v "TEST-91-LIVEUPDATE-hijack.service' for LUO serialization, as the session name 'systemd'"; else cat; fi; } |
		sed 's/^/# LUO error: /' | grep .
	ok $((!$?)) "console: no LUO error or warning (but ENOENT for the fds of journald and udevd)"
fi
grep -q "reboot: Power down" "$dir/console.txt"
ok $? "the guest powered off (qemu exit $qrc)"
# The rules of vmtest.sh's console check: a stall without vmkeep in its
# trace only warns (selftests/vm/console.awk).
crc=0
awk -v console="$dir/console.txt" -v strict="$([ "${VM_STALLS:-warn}" = fail ] && echo 1 || echo 0)" \
	-v standalone=1 -f "$top/selftests/vm/console.awk" || crc=$?
ok $crc "console: no BUG, WARNING, Oops, Call Trace"
grep -a 'vmkeep\(ctl\|-shutdown\)\[' "$dir/console.txt" | sed 's/^/# journal: /' || true
echo "# systemd-test: setup $((t1 - t0)) s, VM $((t2 - t1)) s (two boots and a systemctl kexec, TCG)${suite:+, $suite $([ $libvirt = 1 ] && echo libvirt || echo systemd) root}"
echo "1..$n"
if [ $rc = 0 ]; then
	rm -f "$dir/root.img" "$dir/esp.img"
	echo "== PASS: all $n checks passed; logs in $dir" >&2
else
	echo "== FAIL: $nfail of $n checks failed; logs in $dir" >&2
fi
exit $rc
