#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# e2e_qemu.sh save|restore|baseline [MiB] - a real QEMU keeps its guest RAM
# across a host kexec.  Prints KTAP.
#
#   save      (before kexec) allocate the RAM and state regions, fill the
#             RAM with a pattern, start QEMU on it through vmkeepctl exec,
#             check QEMU sees the pattern, migrate the device state with
#             x-ignore-shared into the state region, quit.
#   restore   (after kexec) both regions are incoming; start QEMU on them
#             with -incoming defer, load the state, dump all guest RAM
#             through QEMU and compare it with the pattern, finish, free.
#   baseline  the same guest with its RAM in a tmpfs file and without
#             x-ignore-shared: all of RAM goes through a state file.
#
# QEMU runs with -S under TCG (no guest code needs to run) and is driven
# through its human monitor on a FIFO.  Sizes and times are printed as
# "# e2e:" lines for make demo and make bench; no time is a test.
#
# Environment (make bench): E2E_TAG, a suffix for the region names, so
# that several VMs can be kept at once; E2E_VERIFY=0 skips the dumps of
# guest RAM (reported as SKIP).  E2E_ALIGN=1G puts the RAM in a region of
# 1 GiB pages (vmkeepctl alloc --align 1G) that QEMU maps with align=1G,
# and checks after each dump that the region was mapped with 1 GiB
# entries (2 MiB before 6.15) and never with 4 KiB ones.

set -u
trap '' PIPE
mode=${1:?usage: e2e_qemu.sh save|restore|baseline [MiB]}
mib=${2:-256}
size=$((mib << 20))
seed=0x5eed
# Guest-physical [640 KiB, 1 MiB) shows ROM and VGA, not RAM.
hole="0xa0000 0x100000"
# RAM bytes x-ignore-shared may still send: max(2 MiB, min(8 MiB, RAM/32)).
bound=$((size / 32))
[ $bound -gt $((8 << 20)) ] && bound=$((8 << 20))
[ $bound -lt $((2 << 20)) ] && bound=$((2 << 20))
# A local save is not throttled (QEMU 7.2 defaults to 32 MiB/s).
bw=100G
dir=/tmp/e2e
mkdir -p $dir
ram=e2e-ram${E2E_TAG:-}
align=${E2E_ALIGN:-}
state=e2e-state${E2E_TAG:-}
. "${0%/*}/ktap.sh"

# With E2E_ALIGN=1G: the region's faults were all 1 GiB (6.15 on) or
# 2 MiB (before), none 4 KiB.  Prints the counters.
huge_mapped() {
	[ -n "$align" ] || return 0
	line=$(grep "^ *region $ram " /sys/kernel/debug/vmkeep/state)
	pud=$(echo "$line" | sed -n 's/.* pud_faults \([0-9]*\).*/\1/p')
	pmd=$(echo "$line" | sed -n 's/.* pmd_faults \([0-9]*\).*/\1/p')
	pte=$(echo "$line" | sed -n 's/.* pte_faults \([0-9]*\).*/\1/p')
	echo "# e2e: $ram faults: pud $pud pmd $pmd pte $pte"
	case $(uname -r) in
	[0-5].*|6.[0-9].*|6.1[0-4].*) want=$pmd ;;
	*) want=$pud ;;
	esac
	[ "${want:-0}" -gt 0 ] && [ "$pte" = 0 ]
}
huge_check() {
	if [ -z "$align" ]; then
		n=$((n + 1))
		echo "ok $n $1 # SKIP no E2E_ALIGN"
		return
	fi
	huge_mapped
	ok $? "$1"
}

# qemu_start NAME BACKEND PREFIX [QEMU OPTIONS...]
# QEMU with its human monitor on a FIFO, run through PREFIX (vmkeepctl exec).
qemu_start() {
	name=$1
	backend=$2
	pre=$3
	shift 3
	rm -f $dir/$name.in
	mkfifo $dir/$name.in
	: >$dir/$name.out
	$pre qemu-system-x86_64 -accel tcg,tb-size=16 -S -nodefaults \
		-display none -machine pc,memory-backend=ram0 -m ${mib}M \
		-object "$backend" -monitor stdio "$@" \
		<$dir/$name.in >$dir/$name.out 2>&1 &
	qpid=$!
	exec 3>$dir/$name.in
	# Commands are answered in order: wait for the first prompt.
	i=0
	while ! grep -q '(qemu)' $dir/$name.out && kill -0 $qpid 2>/dev/null &&
	      [ $i -lt 1200 ]; do
		i=$((i + 1))
		sleep 0.05
	done
}

# mon CMD: send a monitor command and wait for the next prompt.
mon() {
	prompts=$(grep -c '(qemu)' $dir/$name.out)
	echo "$1" >&3
	i=0
	while [ "$(grep -c '(qemu)' $dir/$name.out)" -le "$prompts" ]; do
		if ! kill -0 $qpid 2>/dev/null; then
			echo "# e2e: QEMU exited:"
			sed 's/^/#   /' $dir/$name.out
			return 1
		fi
		i=$((i + 1))
		[ $i -gt 12000 ] && { echo "# e2e: no answer to '$1'"; return 1; }
		sleep 0.05
	done
}

# Poll "info migrate" until the migration completed or failed.
migrate_wait() {
	i=0
	while mon "info migrate"; do
		st=$(sed -n 's/^Migration status: *//p' $dir/$name.out | tr -d '\r' | tail -1)
		case $st in
		completed) return 0 ;;
		failed|cancelled) return 1 ;;
		esac
		i=$((i + 1))
		[ $i -gt 6000 ] && return 1
		sleep 0.1
	done
	return 1
}

qemu_quit() {
	echo quit >&3
	exec 3>&-
	wait $qpid
}

transferred() {
	sed -n 's/^transferred ram: *\([0-9]*\) kbytes.*/\1/p' $dir/$name.out |
		tr -d '\r' | tail -1
}

# dump_check LABEL: pmemsave all guest RAM, compare with the pattern.
dump_check() {
	if [ "${E2E_VERIFY:-1}" = 0 ]; then
		n=$((n + 1))
		echo "ok $n $1 # SKIP E2E_VERIFY=0"
		return
	fi
	mon "pmemsave 0 $size \"$dir/dump\""
	out=$(vkpattern check $dir/dump $seed $hole 2>&1)
	rc=$?
	echo "# $out"
	ok $rc "$1"
	rm -f $dir/dump
}

echo "TAP version 13"
case $mode in
save)
	echo "1..8"
	vmkeepctl alloc --name $ram --size ${mib}M ${align:+--align $align} >/dev/null
	ok $? "save: alloc $ram, ${mib} MiB${align:+, $align aligned}"
	vmkeepctl alloc --name $state --size 16M >/dev/null
	ok $? "save: alloc $state, 16 MiB"
	vmkeepctl exec --region $ram:fd=10 -- vkpattern fill /proc/self/fd/10 $seed | sed 's/^/# /'

	qemu_start save "memory-backend-file,id=ram0,size=${mib}M,mem-path=/proc/self/fd/10,share=on${align:+,align=$align}" \
		"vmkeepctl exec --region $ram:fd=10 --"
	mon "info status"
	dump_check "save: QEMU sees the pattern in guest RAM"
	huge_check "save: QEMU's guest RAM mapped with huge entries only"
	mon "migrate_set_capability x-ignore-shared on"
	mon "migrate_set_parameter max-bandwidth $bw"
	t0=$(now_ms)
	mon "stop"
	mon "migrate \"exec:cat > $dir/state\""
	migrate_wait &&
		vmkeepctl exec --region $state:fd=11 -- \
			dd if=$dir/state of=/proc/self/fd/11 conv=notrunc 2>/dev/null
	ok $? "save: device state ($(wc -c <$dir/state) bytes) kept in $state"
	t1=$(now_ms)
	kb=$(transferred)
	echo "# e2e: vmkeep save: ${kb:-?} KiB of RAM transferred, $((t1 - t0)) ms (stop to state saved), bound $((bound >> 10)) KiB"
	[ -n "$kb" ] && [ $((kb * 1024)) -lt $bound ]
	ok $? "save: RAM transferred (${kb:-?} KiB) below $((bound >> 10)) KiB"
	qemu_quit
	ok $? "save: QEMU exits cleanly"
	vmkeepctl list --json | tr -d ' \n' | grep -q "\"name\":\"$ram\""
	ok $? "save: $ram outlives QEMU"
	;;
restore)
	echo "1..6"
	vmkeepctl list --json | tr -d ' \n' | grep -q "\"name\":\"$ram\"[^}]*\"state\":\"incoming\""
	ok $? "restore: $ram is incoming after kexec"
	t0=$(now_ms)
	qemu_start restore "memory-backend-file,id=ram0,size=${mib}M,mem-path=/proc/self/fd/10,share=on${align:+,align=$align}" \
		"vmkeepctl exec --region $ram:fd=10 --" -incoming defer
	# QEMU's exec: children do not inherit fd 11: copy the state out.
	vmkeepctl exec --region $state:fd=11 -- \
		dd if=/proc/self/fd/11 of=$dir/state 2>/dev/null
	mon "migrate_set_capability x-ignore-shared on"
	mon "migrate_incoming \"exec:cat $dir/state\""
	migrate_wait
	ok $? "restore: incoming migration completed"
	t1=$(now_ms)
	echo "# e2e: vmkeep restore: $((t1 - t0)) ms (QEMU start to all RAM present), kernel uptime at restore start $(cut -d' ' -f1 /proc/uptime) s"
	dump_check "restore: every byte of guest RAM is the pattern"
	qemu_quit
	ok $? "restore: QEMU exits cleanly"
	vmkeepctl finish $ram && vmkeepctl finish $state
	ok $? "restore: finish"
	vmkeepctl free $ram && vmkeepctl free $state
	ok $? "restore: free"
	;;
baseline)
	echo "1..4"
	file=/dev/shm/e2e-base
	rm -f $file $file.new $dir/full.state
	truncate -s $size $file
	vkpattern fill $file $seed | sed 's/^/# /'
	qemu_start base "memory-backend-file,id=ram0,size=${mib}M,mem-path=$file,share=on" ""
	mon "migrate_set_parameter max-bandwidth $bw"
	t0=$(now_ms)
	mon "stop"
	mon "migrate \"exec:cat > $dir/full.state\""
	migrate_wait
	ok $? "baseline: full RAM copy saved"
	t1=$(now_ms)
	kb=$(transferred)
	qemu_quit
	rm -f $file
	truncate -s $size $file.new
	t2=$(now_ms)
	qemu_start base2 "memory-backend-file,id=ram0,size=${mib}M,mem-path=$file.new,share=on" "" -incoming defer
	mon "migrate_incoming \"exec:cat $dir/full.state\""
	migrate_wait
	ok $? "baseline: full RAM copy restored"
	t3=$(now_ms)
	echo "# e2e: full copy: ${kb:-?} KiB of RAM transferred, $(wc -c <$dir/full.state) state bytes, save $((t1 - t0)) ms, restore $((t3 - t2)) ms"
	rm -f $dir/full.state
	dump_check "baseline: every byte of guest RAM is the pattern"
	qemu_quit
	ok $? "baseline: QEMU exits cleanly"
	rm -f $file.new
	;;
*)
	echo "usage: e2e_qemu.sh save|restore|baseline [MiB]" >&2
	exit 2
	;;
esac
exit $fail
