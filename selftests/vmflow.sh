#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmflow.sh start|resume [VMS] [MiB] - running VMs survive a host kexec
# through vmkeepctl's own commands.  Prints KTAP.
#
#   start   (before the kexec) 'vmkeepctl vm run' VMS VMs (4, at most 15)
#           of MiB (32) running vkguest (guest/), and let them count.  A
#           keeper in the background copies each serial log into the
#           region vkf-logs whenever it grows, and the time (vkclock -r)
#           after them, so that both outlive the kexec.  The plan's
#           "kexec update" step then runs 'vmkeepctl update --exec': it
#           saves every VM, quits it and kexecs.
#   resume  (after) put the logs back, 'vmkeepctl vm resume --all', and
#           check per VM: the counter goes on from the last value before,
#           no RAM error, one BOOT, consecutive ticks, RAM bytes migrated
#           within max(2 MiB, min(8 MiB, RAM/32)).  Prints the counters,
#           the downtime and the bytes as "# vmflow:" lines, never
#           tested: per VM the downtime without the kexec (guest stopped
#           to QEMU gone, as update recorded it in the manifest, plus
#           QEMU start to running again, as vm resume prints it), and the
#           kexec: from the keeper's last stamp before it (it writes one
#           about every 0.3 s until the kernel goes) to the resume, on
#           CLOCK_REALTIME (vkclock -r), which each kernel sets from the
#           RTC's whole seconds: within about a second.  Then
#           'vm rm' must refuse a running VM, 'vm stop' quit each one and
#           keep its regions, and 'vm rm' free them.
#
# The serial checks are those of e2e_guests.sh, which does the same dance
# by hand over QEMU's human monitor.

set -u
mode=${1:?usage: vmflow.sh start|resume [VMS] [MiB]}
vms=${2:-4}
mib=${3:-32}
size=$((mib << 20))
bound=$((size / 32))
[ $bound -gt $((8 << 20)) ] && bound=$((8 << 20))
[ $bound -lt $((2 << 20)) ] && bound=$((2 << 20))
guest=/usr/lib/vmkeep/vkguest
dir=/tmp/vmflow
logs=vkf-logs
slot=256	# KiB of log per VM in $logs; the time in slot VMS
[ "$vms" -le 15 ] || { echo "vmflow.sh: at most 15 VMs" >&2; exit 2; }
. "${0%/*}/ktap.sh"

last_tick() { sed -n 's/^vkguest: tick \([0-9]*\) .*/\1/p' "$1" | tail -1; }
ticks() {
	c=$(grep -c '^vkguest: tick ' $dir/vkf$1.serial 2>/dev/null)
	echo "${c:-0}"
}

# wait_ticks I N SECONDS: until VM I printed N more tick lines.
wait_ticks() {
	want=$(($(ticks $1) + $2))
	k=0
	while [ "$(ticks $1)" -lt $want ] && [ $k -lt $(($3 * 10)) ]; do
		k=$((k + 1))
		sleep 0.1
	done
	[ "$(ticks $1)" -ge $want ]
}

# jget I KEY: KEY of VM vkfI in vm list --json (saved in $dir/list.json)
jget() {
	tr -d ' \n' <$dir/list.json | tr ',{}' '\n\n\n' |
		awk -F: -v vm="\"vkf$1\"" -v k="\"$2\"" '$1 == "\"name\"" { cur = $2 } $1 == k && cur == vm { print $2 }' |
		tr -d '"'
}

# vmstatus I: what vm list says of VM vkfI (nothing: no such VM)
vmstatus() {
	vmkeepctl vm list --json | jq -r ".[] | select(.name == \"vkf$1\") | .status"
}

# The keeper: each log into its slot of $logs whenever it grew, and the
# time into slot $vms, until the kexec.
keep_logs() {
	while :; do
		vkclock -r >$dir/clock 2>/dev/null &&
			vmkeepctl exec --region $logs:fd=11 -- dd if=$dir/clock \
				of=/proc/self/fd/11 bs=${slot}k seek=$vms count=1 \
				conv=notrunc 2>/dev/null
		for i in $(seq $vms); do
			s=$(wc -c <$dir/vkf$i.serial 2>/dev/null || echo 0)
			[ "$s" = "$(cat $dir/vkf$i.kept 2>/dev/null)" ] && continue
			vmkeepctl exec --region $logs:fd=11 -- dd if=$dir/vkf$i.serial \
				of=/proc/self/fd/11 bs=${slot}k seek=$((i - 1)) count=1 \
				conv=notrunc 2>/dev/null && echo "$s" >$dir/vkf$i.kept
		done
		sleep 0.1
	done
}

echo "TAP version 13"
case $mode in
start)
	echo "1..$((vms + 2))"
	rm -rf $dir
	mkdir -p $dir
	vmkeepctl alloc --name $logs --size 4M >/dev/null
	ok $? "start: region $logs for the serial logs"
	for i in $(seq $vms); do
		vmkeepctl vm run vkf$i --ram ${mib}M -- qemu-system-x86_64 \
			-accel tcg,tb-size=16 -nodefaults -display none -machine pc \
			-kernel $guest -chardev file,id=ser0,path=$dir/vkf$i.serial,append=on \
			-serial chardev:ser0 >$dir/run$i.out 2>&1
		r=$?
		sed 's/^/# vmflow: /' $dir/run$i.out
		ok $r "start: vmkeepctl vm run vkf$i"
	done
	setsid "$0" keep $vms $mib </dev/null >/dev/null 2>&1 &
	r=0
	for i in $(seq $vms); do
		wait_ticks $i 3 180 || { r=1; echo "# vmflow: vkf$i: no ticks"; }
	done
	ok $r "start: $vms guests boot and count"
	vmkeepctl vm list | sed 's/^/# /'
	;;
resume)
	echo "1..$((4 * vms + 4))"
	now=$(vkclock -r)
	rm -rf $dir
	mkdir -p $dir
	vmkeepctl exec --region $logs:fd=11 -- dd if=/proc/self/fd/11 \
		bs=${slot}k skip=$vms count=1 2>/dev/null | tr -d '\0' >$dir/clock
	before=$(head -1 $dir/clock)
	kexec_ms=$((now - ${before:-$now}))
	echo "# vmflow: kexec: ${kexec_ms} ms (+-1 s) from the keeper's last stamp before it to the resume (update's kexec, boot, module load), of it $(awk '{ printf "%d", $1 * 1000 }' /proc/uptime) ms in the new kernel"
	for i in $(seq $vms); do
		vmkeepctl exec --region $logs:fd=11 -- dd if=/proc/self/fd/11 \
			bs=${slot}k skip=$((i - 1)) count=1 2>/dev/null | tr -d '\0' >$dir/vkf$i.serial
		wc -l <$dir/vkf$i.serial >$dir/vkf$i.lines
	done
	vmkeepctl vm list | sed 's/^/# /'
	vmkeepctl vm resume --all >$dir/resume.out 2>&1
	ok $? "resume: vmkeepctl vm resume --all"
	sed 's/^/# vmflow: /' $dir/resume.out
	vmkeepctl vm list --json >$dir/list.json
	for i in $(seq $vms); do
		wait_ticks $i 3 120
	done
	for i in $(seq $vms); do
		f=$dir/vkf$i.serial
		lines=$(cat $dir/vkf$i.lines)
		last=$(head -n "$lines" $f | sed -n 's/^vkguest: tick \([0-9]*\) .*/\1/p' | tail -1)
		first=$(sed -n "$((lines + 1)),\$s/^vkguest: tick \([0-9]*\) .*/\1/p" $f | head -1)
		echo "# vmflow: vkf$i counter: last before ${last:-none}, first after ${first:-none}, now $(last_tick $f)"
		[ -n "$first" ] && [ -n "$last" ] && [ "$first" = $((last + 1)) ]
		ok $? "resume: vkf$i counter continues (${last:-none} -> ${first:-none})"
		boots=$(grep -c '^vkguest: BOOT' $f)
		errs=$(grep -c 'RAM ERROR\|FAULT\| bad ' $f)
		seq_ok=$(sed -n 's/^vkguest: tick \([0-9]*\) .*/\1/p' $f |
			awk 'NR > 1 && $1 != p + 1 { bad = 1 } { p = $1 } END { print bad ? 1 : 0 }')
		[ "$boots" = 1 ] && [ "$errs" = 0 ] && [ "$seq_ok" = 0 ]
		ok $? "resume: vkf$i one BOOT ($boots), no RAM error ($errs), ticks consecutive"
		# the manifest's record of the save, as vm list --json shows it
		b=$(jget $i ram_bytes)
		echo "# vmflow: vkf$i saved: RAM sent $b bytes, device state $(jget $i state_bytes) bytes, stop to QEMU gone $(jget $i save_ms) ms"
		[ -n "$b" ] && [ "$b" -le $bound ]
		ok $? "resume: vkf$i RAM migrated ${b:-?} bytes, bound $bound"
		[ "$(jget $i status)" = running ]
		ok $? "resume: vm list says vkf$i is running"
	done
	# Summary for people: downtimes sorted, median, and the bytes.
	ds=$(sed -n 's/.*downtime without the kexec \([0-9]*\) ms.*/\1/p' $dir/resume.out | sort -n)
	med=$(echo "$ds" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }')
	echo "# vmflow: QEMU $(jget 1 qemu): $vms VMs of $mib MiB, downtime without the kexec: median ${med:-?} ms (min $(echo "$ds" | head -1), max $(echo "$ds" | tail -1)), kexec $kexec_ms ms"
	echo "# vmflow: QEMU $(jget 1 qemu): RAM migrated per VM (bytes): $(for i in $(seq $vms); do printf '%s ' "$(jget $i ram_bytes)"; done)"
	# vm rm refuses a VM that runs; vm stop quits each, its regions
	# stay; then vm rm frees them.
	vmkeepctl vm rm vkf1 >$dir/rm.out 2>&1
	r=$?
	sed 's/^/# vmflow: /' $dir/rm.out
	[ $r = 1 ] && vmkeepctl get vkf1-ram >/dev/null && [ "$(vmstatus 1)" = running ]
	ok $? "resume: vm rm refuses the running vkf1 (exit $r), which runs on"
	r=0
	for i in $(seq $vms); do
		vmkeepctl vm stop vkf$i | sed 's/^/# vmflow: /'
		[ "$(vmstatus $i)" = stopped ] && [ ! -e /run/vmkeep/vkf$i.qmp ] &&
			vmkeepctl get vkf$i-ram >/dev/null && vmkeepctl get vkf$i-state >/dev/null &&
			vmkeepctl list --json | jq -e ".regions[] | select(.name == \"vkf$i-ram\") | .nr_mapped == 0" >/dev/null || r=1
	done
	ok $r "resume: vm stop quits each VM, its regions stay, unmapped"
	r=0
	for i in $(seq $vms); do
		vmkeepctl vm rm vkf$i | sed 's/^/# vmflow: /'
		vmkeepctl list --json | jq -e ".regions[] | select(.name | startswith(\"vkf$i-\"))" >/dev/null && r=1
		[ -z "$(vmstatus $i)" ] || r=1
	done
	vmkeepctl finish $logs >/dev/null && vmkeepctl free $logs >/dev/null || r=1
	ok $r "resume: vm rm frees both regions of each VM; no region left"
	;;
keep)
	keep_logs
	;;
*)
	echo "usage: vmflow.sh start|resume [VMS] [MiB]" >&2
	exit 2
	;;
esac
exit $fail
