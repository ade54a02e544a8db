#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmbench.sh ram VREPS FREPS MIB... | vms VREPS FREPS MIB N...
#
# The guest side of make bench's VM downtime runs (vm/plans/bench-vms-*.plan):
# the downtime of running vkguest VMs (guest stopped to running again,
# the kexec excluded) on this QEMU, two ways, in this kernel:
#
#   vmkeep  'vmkeepctl vm run' each VM, then VREPS times: 'vmkeepctl
#           update' without --exec (saves every VM at once with
#           x-ignore-shared, quits it, freezes and loads the kernel),
#           'vmkeepctl thaw', 'kexec -u', 'vmkeepctl vm resume --all'.
#           That is a host update minus the kexec, whose time does not
#           depend on the VMs (vmflow.sh prints it).
#   full    the same guests, RAM in a region too, migrated without
#           x-ignore-shared FREPS times: stop, RAM and device state to a
#           file in tmpfs, quit; a new QEMU with -incoming defer loads it
#           and continues.  All VMs at once, as update and resume do.
#
#   ram     one VM of each size MIB...
#   vms     N... VMs of MIB each
#
# Prints KTAP, and every sample as
#   # vmbench: QEMU SWEEP METHOD VMS MIB METRIC VALUE
# METRIC per VM: downtime_ms, save_ms (stop to QEMU gone), restore_ms
# (QEMU start to running), stream_bytes (the whole migration stream) and,
# for vmkeep, ram_bytes (RAM pages QEMU sent: ram.normal-bytes).  No time
# is judged; a step fails when an operation fails.

set -u
trap '' PIPE
sweep=${1:?usage: vmbench.sh ram|vms VREPS FREPS MIB [N...]}
vreps=${2:?}
freps=${3:?}
shift 3
guest=/usr/lib/vmkeep/vkguest
dir=/tmp/vmbench
qver=$(qemu-system-x86_64 --version | sed -n 's/^QEMU emulator version \([0-9]*\.[0-9]*\).*/\1/p')

. "${0%/*}/ktap.sh"
sample() { echo "# vmbench: $qver $sweep $*"; }

ticks() {
	c=$(grep -c '^vkguest: tick ' "$1" 2>/dev/null)
	echo "${c:-0}"
}

# wait_ticks LOG N SECONDS: until LOG has N more tick lines.
wait_ticks() {
	want=$(($(ticks "$1") + $2))
	k=0
	while [ "$(ticks "$1")" -lt $want ] && [ $k -lt $(($3 * 10)) ]; do
		k=$((k + 1))
		sleep 0.1
	done
	[ "$(ticks "$1")" -ge $want ]
}

qemu_args() {
	echo "-accel tcg,tb-size=16 -nodefaults -display none -kernel $guest" \
		"-chardev file,id=ser0,path=$dir/$1.serial,append=on -serial chardev:ser0"
}

# ---- vmkeep: vmkeepctl's own commands ----

# vmkeep VMS MIB
vmkeep() {
	vms=$1 mib=$2
	r=0
	for i in $(seq "$vms"); do
		# shellcheck disable=SC2046
		vmkeepctl vm run bv$i --ram "${mib}M" -- qemu-system-x86_64 -machine pc \
			$(qemu_args bv$i) >/dev/null || r=1
	done
	for i in $(seq "$vms"); do
		wait_ticks $dir/bv$i.serial 2 600 || r=1
	done
	ok $r "vmkeep $vms x $mib MiB: vm run, guests count"
	[ $r = 0 ] || return
	for rep in $(seq "$vreps"); do
		r=0
		vmkeepctl update --kernel /boot/vmlinuz --append "$(cat /proc/cmdline)" \
			>$dir/update.out 2>&1 || r=1
		vmkeepctl thaw >/dev/null || r=1
		kexec -u
		vmkeepctl vm resume --all >$dir/resume.out 2>&1 || r=1
		[ $r = 0 ] || sed 's/^/# /' $dir/update.out $dir/resume.out
		sed -n 's/.*start to running \([0-9]*\) ms.*downtime without the kexec \([0-9]*\) ms (save \([0-9]*\) ms).*/\2 \3 \1/p' \
			$dir/resume.out | while read -r down save restore; do
			sample "vmkeep $vms $mib downtime_ms $down"
			sample "vmkeep $vms $mib save_ms $save"
			sample "vmkeep $vms $mib restore_ms $restore"
		done
		vmkeepctl vm list --json | jq -r '.[] | "\(.ram_bytes) \(.state_bytes)"' |
			while read -r ram stream; do
				sample "vmkeep $vms $mib ram_bytes $ram"
				sample "vmkeep $vms $mib stream_bytes $stream"
			done
		[ "$(grep -c 'running again' $dir/resume.out)" = "$vms" ] || r=1
		for i in $(seq "$vms"); do
			wait_ticks $dir/bv$i.serial 1 120 || r=1
		done
		ok $r "vmkeep $vms x $mib MiB: update, thaw, resume --all, guests count (rep $rep)"
	done
	r=0
	for i in $(seq "$vms"); do
		vmkeepctl vm stop bv$i >/dev/null && vmkeepctl vm rm bv$i >/dev/null || r=1
		grep -q 'RAM ERROR' $dir/bv$i.serial && r=1
	done
	ok $r "vmkeep $vms x $mib MiB: no RAM error; vm stop, vm rm"
}

# ---- full copy: QEMU's human monitor on a FIFO, as e2e_guests.sh ----

# full_start I [OPTIONS]: VM bfI on region bfI-ram, its monitor on a FIFO
# that a sleeping writer keeps open.
full_start() {
	i=$1
	shift
	rm -f $dir/bf$i.in
	mkfifo $dir/bf$i.in
	# the previous QEMU's monitor output, for a failure
	cat $dir/bf$i.out >>$dir/bf$i.log 2>/dev/null
	: >$dir/bf$i.out
	# shellcheck disable=SC2046
	vmkeepctl exec --region bf$i-ram:fd=10 -- qemu-system-x86_64 \
		-machine pc,memory-backend=ram0 -m "${mib}M" \
		-object memory-backend-file,id=ram0,size="${mib}M",mem-path=/proc/self/fd/10,share=on \
		$(qemu_args bf$i) -monitor stdio "$@" <$dir/bf$i.in >$dir/bf$i.out 2>&1 &
	echo $! >$dir/bf$i.pid
	sleep 100000 >$dir/bf$i.in &
	echo $! >$dir/bf$i.holder
	k=0
	while ! grep -q '(qemu)' $dir/bf$i.out && [ $k -lt 2400 ]; do
		k=$((k + 1))
		sleep 0.05
	done
}

# mon I CMD: a monitor command, and wait for the next prompt.
mon() {
	p=$(grep -c '(qemu)' $dir/bf$1.out)
	echo "$2" >$dir/bf$1.in
	k=0
	while [ "$(grep -c '(qemu)' $dir/bf$1.out)" -le "$p" ]; do
		alive "$(cat $dir/bf$1.pid)" || return 1
		k=$((k + 1))
		[ $k -gt 24000 ] && return 1
		sleep 0.05
	done
}

mig_status() {
	tr -d '\r' <$dir/bf$1.out | sed -n 's/^\(Migration status\|Status\): *//p' | tail -1 | tr -d '\t '
}

migrate_wait() {
	while mon "$1" "info migrate"; do
		case $(mig_status "$1") in
		completed) return 0 ;;
		failed|cancelled) return 1 ;;
		esac
		sleep 0.05
	done
	return 1
}

# alive PID: the process exists and is not a zombie.
alive() {
	[ -e /proc/$1/stat ] && ! grep -q '^[0-9]* (.*) Z ' /proc/$1/stat 2>/dev/null
}

# full_quit I: quit QEMU and wait until it is gone (it need not be a
# child of this shell), up to 10 minutes: eight QEMUs quitting at once in
# a loaded test VM are slow.
full_quit() {
	pid=$(cat $dir/bf$1.pid)
	echo quit >$dir/bf$1.in
	k=0
	while alive "$pid"; do
		k=$((k + 1))
		[ $k -gt 12000 ] && return 1
		sleep 0.05
	done
	kill "$(cat $dir/bf$1.holder)" 2>/dev/null
	return 0
}

# failed I WHAT: why VM I's save or restore failed, for the report
failed() {
	echo "$2" >>$dir/bf$1.err
	return 1
}

# full_save I: stop, everything to a file, quit; "SAVE_MS BYTES" in bfI.res
full_save() {
	t0=$(now_ms)
	mon "$1" stop || failed "$1" "save: stop" || return
	mon "$1" "migrate \"exec:cat > $dir/bf$1.state\"" || failed "$1" "save: migrate" || return
	migrate_wait "$1" || failed "$1" "save: migration did not complete" || return
	full_quit "$1" || failed "$1" "save: QEMU did not exit" || return
	echo "$(($(now_ms) - t0)) $(wc -c <$dir/bf$1.state)" >$dir/bf$1.res
}

# full_restore I: a new QEMU loads the file and continues; "RESTORE_MS" in bfI.res2
full_restore() {
	t0=$(now_ms)
	full_start "$1" -incoming defer
	mon "$1" "migrate_incoming \"exec:cat $dir/bf$1.state\"" ||
		failed "$1" "restore: migrate_incoming" || return
	migrate_wait "$1" || failed "$1" "restore: load did not complete" || return
	mon "$1" cont && mon "$1" "info status" || failed "$1" "restore: cont" || return
	tr -d '\r' <$dir/bf$1.out | grep -q '^VM status: running' ||
		failed "$1" "restore: not running" || return
	echo "$(($(now_ms) - t0))" >$dir/bf$1.res2
}

# full VMS MIB
full() {
	vms=$1 mib=$2
	r=0
	for i in $(seq "$vms"); do
		vmkeepctl alloc --name bf$i-ram --size "${mib}M" >/dev/null || r=1
	done
	for i in $(seq "$vms"); do
		full_start $i
		mon $i "migrate_set_parameter max-bandwidth 100G" || r=1
	done
	for i in $(seq "$vms"); do
		wait_ticks $dir/bf$i.serial 2 600 || r=1
	done
	ok $r "full $vms x $mib MiB: QEMUs run, guests count"
	[ $r = 0 ] || return
	for rep in $(seq "$freps"); do
		rm -f $dir/bf*.res $dir/bf*.res2 $dir/bf*.err $dir/bf*.state
		# wait for these only: the QEMUs and FIFO holders are children too
		pids=
		for i in $(seq "$vms"); do
			full_save $i &
			pids="$pids $!"
		done
		# shellcheck disable=SC2086
		wait $pids
		pids=
		for i in $(seq "$vms"); do
			full_restore $i &
			pids="$pids $!"
		done
		# shellcheck disable=SC2086
		wait $pids
		r=0
		for i in $(seq "$vms"); do
			if [ -s $dir/bf$i.res ] && [ -s $dir/bf$i.res2 ]; then
				read -r save bytes <$dir/bf$i.res
				restore=$(cat $dir/bf$i.res2)
				sample "full $vms $mib downtime_ms $((save + restore))"
				sample "full $vms $mib save_ms $save"
				sample "full $vms $mib restore_ms $restore"
				sample "full $vms $mib stream_bytes $bytes"
			else
				r=1
				sed "s/^/# bf$i: /" $dir/bf$i.err 2>/dev/null
				# the last line, a prompt, has no newline: add one
				{ cat $dir/bf$i.log $dir/bf$i.out; echo; } 2>/dev/null | tr -d '\r' |
					grep -v '\[K' | tail -12 | sed 's/^/# /'
			fi
		done
		for i in $(seq "$vms"); do
			wait_ticks $dir/bf$i.serial 1 120 || r=1
		done
		ok $r "full $vms x $mib MiB: save and restore, guests count (rep $rep)"
	done
	r=0
	for i in $(seq "$vms"); do
		full_quit $i || r=1
		grep -q 'RAM ERROR' $dir/bf$i.serial && r=1
	done
	rm -f $dir/bf*.state
	for i in $(seq "$vms"); do
		vmkeepctl free bf$i-ram >/dev/null || r=1
	done
	ok $r "full $vms x $mib MiB: no RAM error; quit, free"
}

echo "TAP version 13"
echo "# vmbench: QEMU $qver, $sweep sweep, vmkeep $vreps and full copy $freps repetitions"
rm -rf $dir
mkdir -p $dir
case $sweep in
ram)
	echo "1..$((($# * (vreps + freps + 4))))"
	for mib in "$@"; do
		vmkeep 1 "$mib"
		full 1 "$mib"
	done
	;;
vms)
	mib=${1:?}
	shift
	echo "1..$((($# * (vreps + freps + 4))))"
	for v in "$@"; do
		vmkeep "$v" "$mib"
		full "$v" "$mib"
	done
	;;
*)
	echo "usage: vmbench.sh ram|vms VREPS FREPS MIB [N...]" >&2
	exit 2
	;;
esac
exit $fail
