#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh STEP [ARGS] - the guest side of make bench (vm/plans/bench.plan)
#
# Prints KTAP, and every sample as "# bench: GROUP LABEL METRIC VALUE REP"
# for scripts/bench-report.sh.  A step fails only when an operation fails;
# no time is judged here.
#
#   handoff-setup REPS  fill pools 0-6 (one module load each, so every
#                       pool gets exactly its regions), load all pools,
#                       then time REPS metadata writes (FREEZE)
#   handoff-restore REP restore time of each pool at this load (after kexec)
#   work-only [I...]    reload the module with pools I (7 and 8) alone, so
#                       that the other steps cannot allocate from pools 0-6
#   poolscale REPS BASE GIB...
#                       module load time and struct-page memory for a pool
#                       of each size at BASE, with 2 MiB and 1 GiB pages
#   map MIB REPS        touch every page: vmkeep, memfd, memfd THP, hugetlbfs
#   alloc REPS MIB...   ALLOC vs memfd + fallocate vs hugetlbfs, per size
#   firsttouch MIB REPS get MIB and touch every page: vmkeep (1 GiB and
#                       2 MiB pages) vs hugetlbfs
#   full REPS MIB...    full RAM copy: save and restore in this kernel
#   save REP MIB...     vmkeep: save each VM, keeping its RAM for the kexec
#   restore REP MIB...  vmkeep: restore each VM after the kexec
#   luo-load MIB REP    vmkeepctl load after a kexec that carried a memfd
#                       of MIB through /dev/liveupdate (bench-luo.plan):
#                       the load checks its bytes against their checksum

set -u
step=${1:?usage: bench.sh STEP [ARGS]}
shift
# Pool i holds handoff configuration i: LABEL:MIB:COUNT.  The first pool
# restored pays for what runs for the first time (under TCG, translating
# the code): it is reported on its own.
configs="first:2:1 size-64M:64:1 size-1G:1024:1 size-3G:3072:1 count-1:2:1 count-100:2:100 count-1000:2:1000"
ko=/lib/modules/$(uname -r)/extra/vmkeep.ko

. "${0%/*}/ktap.sh"
cmdline_pool() {
	tr ' ' '\n' </proc/cmdline | sed -n 's/^vmkeep\.pools=//p' |
		tr ',' '\n' | sed -n "$(($1 + 1))p"
}
# debugfs: the commit_ns of pool $1.
commit_ns() {
	sed -n "s/^pool $1 .* commit_ns \([0-9]*\).*/\1/p" /sys/kernel/debug/vmkeep/state
}
# Formats every pool that was never formatted.
format_all() {
	for p in $(vmkeepctl status --json |
		   jq -r '.pools[] | select(.state == "empty") | .pool'); do
		vmkeepctl format --pool "$p" >/dev/null || return
	done
}
# Runs e2e_qemu.sh, turning its "# e2e:" lines into samples.
e2e() {
	mode=$1 mib=$2 label=$3 rep=$4
	E2E_TAG=-$mib E2E_VERIFY=0 e2e_qemu.sh "$mode" "$mib" >/tmp/bench.e2e
	rc=$?
	grep -v '^\(TAP\|1\.\.\)' /tmp/bench.e2e | sed 's/^\(not \)\?ok [0-9]* /# &/'
	sed -n "s/^# e2e: vmkeep save: \([0-9]*\) KiB .*, \([0-9]*\) ms .*/ram_kib \1\nsave_ms \2/p
		s/^# e2e: vmkeep restore: \([0-9]*\) ms .*/restore_ms \1/p
		s/^# e2e: full copy: \([0-9]*\) KiB .*, save \([0-9]*\) ms, restore \([0-9]*\) ms/ram_kib \1\nsave_ms \2\nrestore_ms \3/p" \
		/tmp/bench.e2e | while read -r metric v; do
		echo "# bench: downtime $label $metric $v $rep"
	done
	ok $rc "$mode $label rep $rep"
}

echo "TAP version 13"
case $step in
handoff-setup)
	reps=$1
	i=0
	for c in $configs; do
		label=${c%%:*} mib=${c#*:} count=${c##*:}
		mib=${mib%:*}
		rmmod vmkeep 2>/dev/null
		insmod "$ko" pools="$(cmdline_pool $i)" &&
			vmkeepctl format --pool 0 >/dev/null &&
			vkbench fill "h$i" "$mib" "$count" | sed 's/^/# /'
		ok $? "pool $i: $label, $count x $mib MiB"
		i=$((i + 1))
	done
	rmmod vmkeep && vmkeepctl load >/dev/null
	ok $? "all pools loaded"
	for rep in $(seq "$reps"); do
		vmkeepctl freeze >/dev/null
		i=0
		for c in $configs; do
			echo "# bench: handoff ${c%%:*} commit_us $(($(commit_ns $i) / 1000)) $rep"
			i=$((i + 1))
		done
		vmkeepctl thaw
		ok $? "metadata write rep $rep"
	done
	;;
handoff-restore)
	rep=$1
	i=0
	vkbench pools >/tmp/bench.pools
	for c in $configs; do
		label=${c%%:*} count=${c##*:}
		set -- $(sed -n "$((i + 1))p" /tmp/bench.pools)
		echo "# bench: handoff $label restore_us $(($4 / 1000)) $rep"
		echo "# bench: handoff $label meta_bytes $5 $rep"
		echo "# bench: handoff $label meta_bytes_per_region $(($5 / count)) $rep"
		[ "$2" = "$count" ] && [ "$3" = "$count" ]
		ok $? "pool $i: $label: $2 regions, $3 incoming, $count expected"
		i=$((i + 1))
	done
	;;
work-only)
	list=
	for i in ${*:-7 8}; do
		list=$list${list:+,}$(cmdline_pool "$i")
	done
	rmmod vmkeep 2>/dev/null
	insmod "$ko" pools="$list" && format_all
	ok $? "module reloaded with pools $list alone"
	;;
poolscale)
	reps=$1 base=$2
	shift 2
	rmmod vmkeep 2>/dev/null
	for rep in $(seq "$reps"); do
		for gib; do
			for pages in 2M 1G; do
				sfx=
				if [ $pages = 1G ]; then
					[ "$gib" -ge 2 ] || continue
					sfx=:1G
				fi
				label=${gib}G-$pages
				free0=$(sed -n 's/^MemFree: *\([0-9]*\) kB/\1/p' /proc/meminfo)
				mm0=$(sed -n 's/^nr_memmap\(_pages\)\? //p' /proc/vmstat)
				us=$(vkbench time insmod "$ko" pools="${gib}G@$base$sfx")
				rc=$?
				free1=$(sed -n 's/^MemFree: *\([0-9]*\) kB/\1/p' /proc/meminfo)
				mm1=$(sed -n 's/^nr_memmap\(_pages\)\? //p' /proc/vmstat)
				grep "^pool 0 " /sys/kernel/debug/vmkeep/state | sed 's/^/# /'
				mr=$(sed -n 's/^pool 0 .* memremap_ns \([0-9]*\).*/\1/p' /sys/kernel/debug/vmkeep/state)
				echo "# bench: poolscale $label load_us $us $rep"
				echo "# bench: poolscale $label memremap_us $((mr / 1000)) $rep"
				echo "# bench: poolscale $label memfree_kib_per_gib $(((free0 - free1) / gib)) $rep"
				[ -n "$mm0" ] && [ -n "$mm1" ] &&
					echo "# bench: poolscale $label memmap_kib_per_gib $(((mm1 - mm0) * 4 / gib)) $rep"
				rmmod vmkeep
				ok $((rc + $?)) "pool of $gib GiB, $pages pages, rep $rep: load $us us"
			done
		done
	done
	;;
map)
	mib=$1 reps=$2
	thp=/sys/kernel/mm/transparent_hugepage/shmem_enabled
	echo $((mib / 2)) >/proc/sys/vm/nr_hugepages
	for b in vmkeep memfd memfd-thp hugetlb; do
		if [ $b = memfd-thp ]; then echo always; else echo never; fi >$thp
		vkbench touch $b "$mib" "$reps"
		ok $? "map $b: $reps x $mib MiB"
	done
	echo 0 >/proc/sys/vm/nr_hugepages
	;;
alloc)
	reps=$1
	shift
	echo 512 >/proc/sys/vm/nr_hugepages
	vkbench alloc "$reps" "$@"
	ok $? "alloc: $reps x $* MiB"
	echo 0 >/proc/sys/vm/nr_hugepages
	;;
firsttouch)
	echo $(($1 / 2)) >/proc/sys/vm/nr_hugepages
	vkbench firsttouch "$1" "$2"
	ok $? "first touch: $2 x $1 MiB, vmkeep 1 GiB and 2 MiB pages, hugetlbfs"
	echo 0 >/proc/sys/vm/nr_hugepages
	;;
full)
	reps=$1
	shift
	for rep in $(seq "$reps"); do
		for mib; do
			e2e baseline "$mib" "full-${mib}M" "$rep"
		done
	done
	;;
save|restore)
	rep=$1
	shift
	for mib; do
		e2e "$step" "$mib" "vmkeep-${mib}M" "$rep"
	done
	;;
luo-load)
	mib=$1 rep=$2
	us=$(vkbench time sh -c 'vmkeepctl load >/dev/null')
	rc=$?
	echo "# bench: luo ${mib}M load_us $us $rep"
	ok $rc "vmkeepctl load, a memfd of $mib MiB incoming: $us us"
	;;
*)
	echo "bench.sh: unknown step $step" >&2
	exit 2
	;;
esac
echo "1..$n"
