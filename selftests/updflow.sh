#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# updflow.sh start|checks|update|kexec - what 'vmkeepctl update --exec'
# and 'vmkeepctl kexec --exec' report when their stdout and stderr go
# through a pipe, as with '| tee update.log', ssh without a tty or a
# systemd unit (issue 25); what update checks before it stops a VM
# (issue 22).  Prints KTAP.
#
#   start   'vm run' two vkguest VMs (vku1, vku2) and a third that is
#           stopped again (vku3: recorded, neither running nor saved,
#           which update warns about on stderr); a reader copies the
#           kernel log (/dev/kmsg) into region kmsg1 as it grows, as
#           journald keeps a boot's kernel log.  The plan's "kexec update
#           >updlog" step then runs 'update --exec' with stdout and stderr
#           on a pipe whose reader writes into region updlog.
#   checks  (before that) update runs every check of 'kexec --check'
#           and takes kexec's line options; a failed check, or a QEMU
#           that 'vm run' did not start (named), stops no VM; a missing
#           initrd is a warning; kexec without --exec says which command
#           boots the kernel (systemctl kexec under systemd).
#   update  (after that kexec) every line update printed arrived in
#           updlog, and its lines reached the kernel log (kmsg1); vm
#           list and status show the last update's time and per-VM
#           figures, from the manifests; vku1 and vku2 come back and stop
#           again (regions kept), and a reader copies the kernel log
#           into kmsg2: the plan's "kexec vmkeepctl >kxlog" step runs
#           'kexec --exec' the same way.
#   kexec   (after that kexec) kexec's lines arrived in kxlog and in the
#           kernel log; the VMs are removed.

set -u
mode=${1:?usage: updflow.sh start|checks|update|kexec}
guest=/usr/lib/vmkeep/vkguest
dir=/tmp/updflow
. "${0%/*}/ktap.sh"

# text REGION: what a region holds, without the zeros after it
text() {
	vmkeepctl exec --region "$1:fd=11" -- cat /proc/self/fd/11 | tr -d '\0'
}

# has FILE REGEX WHAT: one result: a line of FILE matches REGEX (grep -E)
has() {
	grep -qE -- "$2" "$1"
	r=$?
	[ $r = 0 ] || echo "# updflow: no line of $(basename "$1") matches: $2"
	ok $r "$3"
}

# keep_kmsg REGION: copy the kernel log into REGION from now on
keep_kmsg() {
	vmkeepctl alloc --name "$1" --size 4M >/dev/null || return 1
	setsid vmkeepctl exec --region "$1:fd=11" -- sh -c \
		'while :; do cat /dev/kmsg; sleep 0.1; done 1<>/proc/self/fd/11' \
		</dev/null >/dev/null 2>&1 &
}

# t EXIT WHAT -- COMMAND...: one result: COMMAND exits with EXIT; its
# output (both streams) in $dir/out
t() {
	want=$1 what=$2
	shift 3
	"$@" >$dir/out 2>&1
	r=$?
	sed 's/^/# /' $dir/out
	[ $r = "$want" ] || echo "# updflow: exit $r, expected $want"
	[ $r = "$want" ]
	ok $? "$what"
}

# vm_runs NAME: vm list says it runs and it prints ticks still
vm_runs() {
	[ "$(vmkeepctl vm list --json | jq -r ".[] | select(.name == \"$1\") | .status")" = running ] &&
		c=$(grep -c '^vkguest: tick ' $dir/$1.serial) && sleep 2 &&
		[ "$(grep -c '^vkguest: tick ' $dir/$1.serial)" -gt "$c" ]
}

# vmrun NAME: a vkguest VM of 32 MiB under 'vm run'
vmrun() {
	vmkeepctl vm run "$1" --ram 32M -- qemu-system-x86_64 -accel tcg,tb-size=16 \
		-nodefaults -display none -machine pc -kernel $guest \
		-chardev file,id=ser0,path=$dir/$1.serial,append=on -serial chardev:ser0 \
		>$dir/run.out 2>&1
	r=$?
	sed 's/^/# /' $dir/run.out
	return $r
}

# wait_boot NAME: until the guest prints its first tick (3 minutes at most)
wait_boot() {
	k=0
	while ! grep -q '^vkguest: tick ' $dir/$1.serial 2>/dev/null && [ $k -lt 1800 ]; do
		k=$((k + 1))
		sleep 0.1
	done
	grep -q '^vkguest: tick ' $dir/$1.serial
}

echo "TAP version 13"
case $mode in
start)
	echo "1..4"
	rm -rf $dir
	mkdir -p $dir
	vmrun vku1 && vmrun vku2
	ok $? "start: vm run vku1, vku2"
	vmrun vku3 && wait_boot vku3 && vmkeepctl vm stop vku3 >/dev/null
	ok $? "start: vm run and vm stop vku3 (recorded, not running)"
	wait_boot vku1 && wait_boot vku2
	ok $? "start: vku1 and vku2 count"
	keep_kmsg kmsg1
	ok $? "start: a reader keeps the kernel log in region kmsg1"
	date +%s >$dir/t0
	vmkeepctl vm list | sed 's/^/# /'
	;;
checks)
	# update checks everything before it stops a VM (issue 22, items
	# 4 to 7): the VMs started above run on through all of this.
	echo "1..22"
	line=$(sed 's/ *vmkeep_test\.stage=[0-9]*//' /proc/cmdline)
	t 3 "checks: update --check with a missing initrd fails" -- \
		vmkeepctl update --check --kernel /boot/vmlinuz --initrd /boot/nosuch \
		--reuse-cmdline --append vmkeep_test.x=1
	has $dir/out '^initrd +FAILED /boot/nosuch: No such file' "checks: ... the initrd check says why"
	has $dir/out '^vmkeepctl: update: no VM was stopped$' "checks: ... and that no VM was stopped"
	t 3 "checks: update without vmkeep.ko for the release stops no VM" -- \
		vmkeepctl update --kernel /boot/vmlinuz --release 0.0-none --append "$line"
	has $dir/out '^module +FAILED no vmkeep.ko in /lib/modules/0.0-none' "checks: ... the module check says why"
	t 3 "checks: update onto a line without the pools stops no VM" -- \
		vmkeepctl update --kernel /boot/vmlinuz --command-line console=ttyS0
	has $dir/out '^cmdline +FAILED ' "checks: ... the cmdline check says why"
	k0=$(dmesg | grep -c 'vmkeepctl: ')
	t 0 "checks: update --check, --reuse-cmdline with --append, no initrd" -- \
		vmkeepctl update --check --kernel /boot/vmlinuz --reuse-cmdline --append vmkeep_test.x=1
	k1=$(dmesg | grep -c 'vmkeepctl: ')
	has $dir/out '^initrd +WARN +none given: .*CONFIG_BLK_DEV_INITRD=y' \
		"checks: ... a missing initrd is a warning naming CONFIG_BLK_DEV_INITRD"
	has $dir/out '^update: would save 2 running VMs: vku1, vku2$' "checks: ... names the VMs it would save"
	# QEMUs that 'vm run' did not start: one on a region, one without.
	vmkeepctl alloc --name vkx-ram --size 32M >/dev/null &&
		vmkeepctl exec --region vkx-ram:fd=10 -- qemu-system-x86_64 -accel tcg,tb-size=16 \
			-nodefaults -display none -machine pc,memory-backend=ram0 -m 32M \
			-object memory-backend-file,id=ram0,size=32M,mem-path=/proc/self/fd/10,share=on \
			-kernel $guest -name vkx -daemonize -pidfile $dir/vkx.pid &&
		qemu-system-x86_64 -accel tcg,tb-size=16 -nodefaults -display none -machine pc \
			-m 32M -kernel $guest -name guest=vky,debug-threads=on -daemonize \
			-pidfile $dir/vky.pid
	ok $? "checks: two QEMUs that 'vm run' did not start"
	t 1 "checks: update refuses to go on without them" -- \
		vmkeepctl update --kernel /boot/vmlinuz --append "$line"
	has $dir/out "^vmkeepctl: update: pid $(cat $dir/vkx.pid) \(qemu-system-x86, -name vkx\) maps region vkx-ram, which 'vm run' did not start: update cannot save its VM$" \
		"checks: ... naming the one on a region"
	has $dir/out "^vmkeepctl: update: pid $(cat $dir/vky.pid) \(qemu-system-x86, -name vky\), which 'vm run' did not start: update cannot save its VM$" \
		"checks: ... and the other"
	kill "$(cat $dir/vkx.pid)" "$(cat $dir/vky.pid)"
	sleep 2
	vmkeepctl free vkx-ram >/dev/null
	ok $? "checks: they quit, vkx-ram freed"
	# kexec without --exec: which command boots what it loaded
	t 0 "checks: kexec loads and freezes" -- \
		vmkeepctl kexec --kernel /boot/vmlinuz --reuse-cmdline
	has $dir/out "^Boot it with 'kexec -e' once the VMMs and services are stopped \\(no systemd runs here\\)" \
		"checks: ... without systemd it says 'kexec -e'"
	kexec -u && vmkeepctl thaw >/dev/null && mkdir -p /run/systemd/system
	t 0 "checks: kexec loads and freezes, under systemd" -- \
		vmkeepctl kexec --kernel /boot/vmlinuz --reuse-cmdline
	has $dir/out "^Boot it with 'systemctl kexec'; or cancel with 'kexec -u' and 'vmkeepctl thaw'\.$" \
		"checks: ... with systemd it says 'systemctl kexec'"
	rmdir /run/systemd/system /run/systemd
	kexec -u && vmkeepctl thaw >/dev/null && dmesg >$dir/dmesg.txt
	has $dir/dmesg.txt 'vmkeepctl: kexec: /boot/vmlinuz \([^)]+\) loaded, vmkeep frozen: ' \
		"checks: kexec's verdict went to the kernel log"
	[ "$k0" = "$k1" ]
	ok $? "checks: update --check wrote nothing to the kernel log ($k0, $k1 lines)"
	vm_runs vku1 && vm_runs vku2
	ok $? "checks: vku1 and vku2 still run"
	;;
update)
	echo "1..15"
	rm -rf $dir
	mkdir -p $dir
	text updlog >$dir/update.log
	text kmsg1 | sed 's/^[^;]*;//' >$dir/kmsg.log
	sed 's/^/# update: /' $dir/update.log
	grep 'vmkeepctl' $dir/kmsg.log | sed 's/^/# kmsg: /'
	has $dir/update.log '^cmdline +ok ' "update: its checks arrived through the pipe"
	has $dir/update.log '^update: saving 2 running VMs$' "update: 'saving 2 running VMs' arrived"
	for v in vku1 vku2; do
		has $dir/update.log "^$v: saved: [0-9]+ bytes of device state in $v-state, [0-9]+ KiB of RAM sent, stopped [0-9]+ ms ago$" \
			"update: '$v: saved: ...' arrived"
	done
	has $dir/update.log '^vmkeepctl: update: warning: vku3 is not running and has no saved state$' \
		"update: the warning on stderr arrived"
	has $dir/update.log '^kexec: /boot/vmlinuz \([^)]+\) loaded, vmkeep frozen: 1 pool with regions reserved by memmap= and listed in vmkeep.pools=$' \
		"update: kexec's verdict and kernel arrived"
	has $dir/update.log '^kexec: booting it now$' "update: kexec's last line arrived"
	for v in vku1 vku2; do
		has $dir/kmsg.log "^vmkeepctl: update $v: saved: [0-9]+ bytes of device state" \
			"update: kernel log: $v saved"
	done
	has $dir/kmsg.log '^vmkeepctl: kexec: /boot/vmlinuz \([^)]+\) loaded, vmkeep frozen: 1 pool with regions' \
		"update: kernel log: the verdict and the kernel"
	# The manifests' record of the update, after the kexec.
	vmkeepctl vm list >$dir/list.txt 2>&1
	vmkeepctl status >$dir/status.txt 2>&1
	sed 's/^/# /' $dir/list.txt $dir/status.txt
	has $dir/list.txt '^vku1 +saved +7\.2 +32M +[0-9]+K +[0-9]+K +[0-9]+ms +20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:]{8}  vku1-ram vku1-state$' \
		"update: vm list shows vku1's last save: state, RAM sent, time, when"
	has $dir/status.txt '^last update 20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:]{8} [A-Z]+: 2 VMs saved$' \
		"update: status shows the last update's time"
	has $dir/status.txt '^  vku2 \(saved\): [0-9]+ bytes of device state, [0-9]+ KiB of RAM sent, save [0-9]+ ms$' \
		"update: status shows vku2's figures"
	# Back, then stopped with their regions kept, for kexec --exec.
	vmkeepctl vm resume vku1 >$dir/resume.out 2>&1 &&
		vmkeepctl vm resume vku2 >>$dir/resume.out 2>&1 &&
		vmkeepctl vm stop vku1 >/dev/null && vmkeepctl vm stop vku2 >/dev/null &&
		vmkeepctl free kmsg1 >/dev/null && vmkeepctl free updlog >/dev/null
	r=$?
	sed 's/^/# /' $dir/resume.out
	ok $r "update: vm resume vku1 vku2, vm stop vku1 vku2; logs freed"
	keep_kmsg kmsg2
	ok $? "update: a reader keeps the kernel log in region kmsg2"
	;;
kexec)
	echo "1..4"
	rm -rf $dir
	mkdir -p $dir
	text kxlog >$dir/kexec.log
	text kmsg2 | sed 's/^[^;]*;//' >$dir/kmsg.log
	sed 's/^/# kexec: /' $dir/kexec.log
	grep 'vmkeepctl' $dir/kmsg.log | sed 's/^/# kmsg: /'
	has $dir/kexec.log '^kexec: /boot/vmlinuz \([^)]+\) loaded, vmkeep frozen: 1 pool with regions reserved by memmap= and listed in vmkeep.pools=$' \
		"kexec: the verdict and the kernel arrived through the pipe"
	has $dir/kexec.log '^kexec: booting it now$' "kexec: its last line arrived"
	has $dir/kmsg.log '^vmkeepctl: kexec: booting it now$' "kexec: kernel log: its last line"
	r=0
	for v in vku1 vku2 vku3; do
		vmkeepctl vm rm $v >/dev/null || r=1
	done
	for g in kxlog kmsg2; do
		vmkeepctl free $g >/dev/null || r=1
	done
	ok $r "kexec: vm rm vku1 vku2 vku3; logs freed"
	;;
*)
	echo "usage: updflow.sh start|checks|update|kexec" >&2
	exit 2
	;;
esac
exit $fail
