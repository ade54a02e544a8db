#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# e2e_guests.sh save|restore [VMS] [MiB] - running VMs survive a host kexec.
# Prints KTAP.
#
#   save     (before kexec) start VMS QEMUs (4), each running vkguest
#            (guest/) with MiB (32) of RAM in a vmkeep region, let them
#            count, then one after the other: stop, save the device
#            state (QEMU >= 8.2: migration mode cpr-reboot; 7.2:
#            x-ignore-shared) into its state region, quit.  The serial
#            logs and times go into one more region for the next kernel.
#   restore  (after kexec) relaunch each QEMU with the same command line
#            plus -incoming defer, load its state, continue it, and watch
#            the serial logs: the counter goes on from the last value
#            before (printed per VM), no RAM error, no second BOOT.
#
# Checks, per VM: RAM bytes migrated within max(2 MiB, min(8 MiB, RAM/32)),
# counter continuity, the RAM pattern.  Printed as "# e2e:" lines, never
# tested: per-VM downtime (stop to state saved and QEMU gone, plus QEMU
# start to running again; the kexec is not in it) and the kexec itself
# (last VM saved to the restore starting, on the TSC, see vkclock.c).
# QEMU is driven through its human monitor, one FIFO per VM; the commands
# are the ones Documentation/admin-guide.rst gives.

set -u
trap '' PIPE
mode=${1:?usage: e2e_guests.sh save|restore [VMS] [MiB]}
vms=${2:-4}
mib=${3:-32}
size=$((mib << 20))
bound=$((size / 32))
[ $bound -gt $((8 << 20)) ] && bound=$((8 << 20))
[ $bound -lt $((2 << 20)) ] && bound=$((2 << 20))
guest=/usr/lib/vmkeep/vkguest
dir=/tmp/e2e-guests
notes=vkg-notes
mkdir -p $dir
. "${0%/*}/ktap.sh"

# QEMU's version decides the migration mode: cpr-reboot from 8.2 on.
qver=$(qemu-system-x86_64 --version | sed -n 's/^QEMU emulator version \([0-9]*\.[0-9]*\).*/\1/p')
cpr=0
case $qver in
[0-7].*|8.[01]) ;;
*) cpr=1 ;;
esac

# The command line of VM i, the same in both kernels.
qemu_cmd() {
	echo "qemu-system-x86_64 -accel tcg,tb-size=16 -nodefaults -display none" \
		"-machine pc,memory-backend=ram0 -m ${mib}M" \
		"-object memory-backend-file,id=ram0,size=${mib}M,mem-path=/proc/self/fd/10,share=on" \
		"-kernel $guest -chardev file,id=ser0,path=$dir/vm$1.serial,append=on" \
		"-serial chardev:ser0 -monitor stdio"
}

# qemu_start I [OPTIONS]: VM I under vmkeepctl exec, its monitor on a
# FIFO that a sleeping writer keeps open.
qemu_start() {
	i=$1
	shift
	rm -f $dir/vm$i.in
	mkfifo $dir/vm$i.in
	: >$dir/vm$i.out
	# shellcheck disable=SC2046
	vmkeepctl exec --region vkg$i-ram:fd=10 -- $(qemu_cmd $i) "$@" \
		<$dir/vm$i.in >$dir/vm$i.out 2>&1 &
	echo $! >$dir/vm$i.pid
	sleep 100000 >$dir/vm$i.in &
	echo $! >$dir/vm$i.holder
	k=0
	while ! grep -q '(qemu)' $dir/vm$i.out && [ $k -lt 1200 ]; do
		k=$((k + 1))
		sleep 0.05
	done
}

# mon I CMD: send a monitor command to VM I and wait for the next prompt.
mon() {
	p=$(grep -c '(qemu)' $dir/vm$1.out)
	echo "$2" >$dir/vm$1.in
	k=0
	while [ "$(grep -c '(qemu)' $dir/vm$1.out)" -le "$p" ]; do
		if ! kill -0 "$(cat $dir/vm$1.pid)" 2>/dev/null; then
			echo "# e2e: vm$1: QEMU exited:"
			sed 's/^/#   /' $dir/vm$1.out | tr -d '\r' | grep -v '\[K' | tail -5
			return 1
		fi
		k=$((k + 1))
		[ $k -gt 12000 ] && { echo "# e2e: vm$1: no answer to '$2'"; return 1; }
		sleep 0.05
	done
}

# The last value of a monitor field.  7.2 says "Migration status: X" and
# "transferred ram: N kbytes"; 10.0 and 11.1 say "Status: X" and
# "Transfers: transferred=N KiB" (11.1 with tabs).
mig_status() {
	tr -d '\r' <$dir/vm$1.out | sed -n 's/^\(Migration status\|Status\): *//p' | tail -1 | tr -d '\t '
}
mig_kib() {
	tr -d '\r' <$dir/vm$1.out |
		sed -n -e 's/^transferred ram: *\([0-9]*\) kbytes.*/\1/p' \
		       -e 's/^[[:space:]]*Transfers:[[:space:]]*transferred=\([0-9]*\) KiB.*/\1/p' \
		       -e 's/^[[:space:]]*Transfers:[[:space:]]*transferred=\([0-9]*\) B.*/0/p' | tail -1
}

migrate_wait() {
	k=0
	while mon $1 "info migrate"; do
		case $(mig_status $1) in
		completed) return 0 ;;
		failed|cancelled) return 1 ;;
		esac
		k=$((k + 1))
		[ $k -gt 1200 ] && return 1
		sleep 0.05
	done
	return 1
}

# Both sides set the same migration parameters.
mig_setup() {
	[ $cpr = 1 ] && mon $1 "migrate_set_parameter mode cpr-reboot"
	mon $1 "migrate_set_capability x-ignore-shared on"
	mon $1 "migrate_set_parameter max-bandwidth 100G"
}

qemu_quit() {
	echo quit >$dir/vm$1.in
	wait "$(cat $dir/vm$1.pid)"
	r=$?
	kill "$(cat $dir/vm$1.holder)" 2>/dev/null
	return $r
}

last_tick() { sed -n 's/^vkguest: tick \([0-9]*\) .*/\1/p' $dir/vm$1.serial | tail -1; }
ticks() { grep -c '^vkguest: tick ' $dir/vm$1.serial 2>/dev/null || true; }

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

# note I KEY VALUE: what the next kernel needs to know, kept in the
# notes region with the serial logs.
note() { echo "$2=$3" >>$dir/vm$1.notes; }
get() { sed -n "s/^$2=//p" $dir/vm$1.notes | tail -1; }

tsc_now() { vkclock; }

echo "TAP version 13"
echo "# e2e: QEMU $qver, $vms VMs of $mib MiB, mode $([ $cpr = 1 ] && echo cpr-reboot || echo normal), x-ignore-shared"
case $mode in
save)
	echo "1..$((3 * vms + 3))"
	rm -f $dir/*
	r=0
	for i in $(seq $vms); do
		vmkeepctl alloc --name vkg$i-ram --size ${mib}M >/dev/null &&
		vmkeepctl alloc --name vkg$i-state --size 2M >/dev/null || r=1
	done
	vmkeepctl alloc --name $notes --size 2M >/dev/null || r=1
	ok $r "save: alloc RAM and state regions for $vms VMs, and the notes"
	for i in $(seq $vms); do
		qemu_start $i
		mig_setup $i
	done
	r=0
	for i in $(seq $vms); do
		wait_ticks $i 3 180 || { r=1; echo "# e2e: vm$i: no ticks:"; sed 's/^/#   /' $dir/vm$i.serial; }
	done
	ok $r "save: $vms guests boot and count"
	for i in $(seq $vms); do
		t0=$(now_ms)
		mon $i stop
		if [ $cpr = 1 ]; then
			mon $i "migrate file:$dir/vm$i.state"
		else
			mon $i "migrate \"exec:cat > $dir/vm$i.state\""
		fi
		migrate_wait $i &&
			vmkeepctl exec --region vkg$i-state:fd=11 -- \
				dd if=$dir/vm$i.state of=/proc/self/fd/11 conv=notrunc 2>/dev/null
		r=$?
		kib=$(mig_kib $i)
		qemu_quit $i || r=1
		t1=$(now_ms)
		ok $r "save: vm$i device state ($(wc -c <$dir/vm$i.state) bytes) kept in vkg$i-state"
		[ -n "$kib" ] && [ $((kib * 1024)) -le $bound ]
		ok $? "save: vm$i RAM migrated ${kib:-?} KiB, bound $((bound >> 10)) KiB"
		last=$(last_tick $i)
		note $i last "$last"
		note $i lines "$(wc -l <$dir/vm$i.serial)"
		note $i kib "${kib:-?}"
		note $i save_ms $((t1 - t0))
		note $i state_bytes "$(wc -c <$dir/vm$i.state)"
		grep -q "RAM ERROR" $dir/vm$i.serial
		ok $((!$?)) "save: vm$i counted to $last without a RAM error"
		echo "# e2e: vm$i saved: last tick $last, ${kib:-?} KiB RAM migrated, stop to QEMU gone $((t1 - t0)) ms"
	done
	tsc_now >$dir/clock
	(cd $dir && tar cf notes.tar clock vm*.serial vm*.notes) &&
		vmkeepctl exec --region $notes:fd=11 -- \
			dd if=$dir/notes.tar of=/proc/self/fd/11 conv=notrunc 2>/dev/null
	ok $? "save: serial logs and notes kept in $notes"
	;;
restore)
	echo "1..$((4 * vms + 2))"
	set -- $(tsc_now)
	rm -rf $dir
	mkdir -p $dir
	vmkeepctl exec --region $notes:fd=11 -- \
		dd if=/proc/self/fd/11 of=$dir/notes.tar 2>/dev/null &&
		(cd $dir && tar xf notes.tar)
	ok $? "restore: serial logs and notes back from $notes"
	read -r tsc0 khz <$dir/clock
	kexec_ms=$((($1 - tsc0) / $2))
	echo "# e2e: kexec: ${kexec_ms} ms from the last VM saved to the restore starting (vmkeepctl kexec, boot, module load; TSC at ${khz} kHz), of it $(now_ms) ms in the new kernel"
	for i in $(seq $vms); do
		vmkeepctl list --json | tr -d ' \n' | grep -q "\"name\":\"vkg$i-ram\"[^}]*\"state\":\"incoming\""
		ok $? "restore: vkg$i-ram is incoming"
		t0=$(now_ms)
		qemu_start $i -incoming defer
		tq=$(now_ms)
		mig_setup $i
		vmkeepctl exec --region vkg$i-state:fd=11 -- \
			head -c "$(get $i state_bytes)" /proc/self/fd/11 >$dir/vm$i.state
		if [ $cpr = 1 ]; then
			mon $i "migrate_incoming file:$dir/vm$i.state"
		else
			mon $i "migrate_incoming \"exec:cat $dir/vm$i.state\""
		fi
		tl=$tq
		migrate_wait $i && tl=$(now_ms) && mon $i cont && mon $i "info status" &&
			tr -d '\r' <$dir/vm$i.out | grep -q '^VM status: running'
		r=$?
		t1=$(now_ms)
		ok $r "restore: vm$i loaded its state and runs"
		down=$(($(get $i save_ms) + t1 - t0))
		note $i down_ms $down
		echo "# e2e: vm$i restored: QEMU start to running $((t1 - t0)) ms (to its monitor $((tq - t0)), state loaded $((tl - tq)), cont $((t1 - tl))); downtime without the kexec $down ms (save $(get $i save_ms) ms)"
	done
	# Watch them count: three more seconds of guest time each.
	for i in $(seq $vms); do
		wait_ticks $i 3 120
	done
	for i in $(seq $vms); do
		last=$(get $i last)
		first=$(sed -n "$(($(get $i lines) + 1)),\$s/^vkguest: tick \([0-9]*\) .*/\1/p" $dir/vm$i.serial | head -1)
		now=$(last_tick $i)
		echo "# e2e: vm$i counter: last before $last, first after ${first:-none}, now ${now:-none}"
		[ -n "$first" ] && [ "$first" = $((last + 1)) ]
		ok $? "restore: vm$i counter continues ($last -> ${first:-none})"
		# Every tick line is the previous one plus one: no reset, no gap.
		boots=$(grep -c '^vkguest: BOOT' $dir/vm$i.serial)
		errs=$(grep -c 'RAM ERROR\|FAULT\| bad ' $dir/vm$i.serial)
		seq_ok=$(sed -n 's/^vkguest: tick \([0-9]*\) .*/\1/p' $dir/vm$i.serial |
			awk 'NR > 1 && $1 != p + 1 { bad = 1 } { p = $1 } END { print bad ? 1 : 0 }')
		[ "$boots" = 1 ] && [ "$errs" = 0 ] && [ "$seq_ok" = 0 ]
		ok $? "restore: vm$i one BOOT ($boots), no RAM error ($errs), ticks consecutive"
		[ "$errs" = 0 ] || grep 'RAM ERROR\|FAULT' $dir/vm$i.serial | head -5 | sed 's/^/# /'
		qemu_quit $i
	done
	# Summary for people and make bench: downtimes sorted, median.
	ds=$(for i in $(seq $vms); do get $i down_ms; done | sort -n)
	set -- $ds
	med=$(echo "$ds" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }')
	echo "# e2e: QEMU $qver: $vms VMs, downtime without the kexec: median $med ms (min $1, max $(echo "$ds" | tail -1)), kexec $kexec_ms ms"
	echo "# e2e: QEMU $qver: RAM migrated per VM (KiB): $(for i in $(seq $vms); do printf '%s ' "$(get $i kib)"; done)"
	r=0
	for i in $(seq $vms); do
		for g in vkg$i-ram vkg$i-state; do
			vmkeepctl finish $g >/dev/null && vmkeepctl free $g >/dev/null || r=1
		done
	done
	vmkeepctl finish $notes >/dev/null && vmkeepctl free $notes >/dev/null || r=1
	ok $r "restore: finish and free every region"
	;;
*)
	echo "usage: e2e_guests.sh save|restore [VMS] [MiB]" >&2
	exit 2
	;;
esac
exit $fail
