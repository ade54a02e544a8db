#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# console_test.sh - the VM console check (console.awk, through
# results.awk as vmtest.sh runs it) on kernel logs whose verdict is known.
# KTAP; run by "make unit".
#
# console/demo-softlockup.log is the console of a "make demo" run beside
# "stress-ng --cpu 2" (6.12, TCG): both boots and a soft lockup of
# khugepaged in clear_page_erms without a vmkeep frame.  Most other cases
# are that log with one line changed; lockdep-no-vmkeep.log is written in
# lockdep's format (no lockdep kernel was run for it).

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
demo=$here/console/demo-softlockup.log

n=0 rc=0
# expect NAME FILE STRICT OK WARNINGS: console:clean passes (OK 1) or
# fails (0) with that many stall warnings.
expect() {
	local out line
	out=$(awk -v plan=/dev/null -v qemu_rc=0 -v timeout=0 -v build=0 -v wall=0 \
		-v strict="$3" -v console="$2" -f "$here/console.awk" \
		-f "$here/results.awk" /dev/null || true)
	line=$(grep 'console:clean' <<<"$out" || true)
	n=$((n + 1))
	if [[ $line == "$([ "$4" = 1 ] || echo "not ")ok "* ]] &&
	   [ "$(grep -c '^# console: warning:' <<<"$out")" = "$5" ]; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		sed 's/^/# /' <<<"$out" | grep -v '^# # console:   \[' | head -n 20
		rc=1
	fi
}

# change LINE_PATTERN REPLACEMENT: the demo log with one line changed.
change() {
	sed "s/$1/$2/" "$demo" >"$tmp/log"
	! cmp -s "$demo" "$tmp/log" || { echo "# no '$1' in $demo" >&2; exit 1; }
	echo "$tmp/log"
}

echo "TAP version 13"
expect "soft lockup of khugepaged in clear_page_erms, no vmkeep frame: a warning" \
	"$demo" 0 1 1
expect "the same on the debug kernel, KVM or VM_STALLS=fail (strict): fails" \
	"$demo" 1 0 0
expect "the same with a vmkeep_ frame in its trace: fails" \
	"$(change ' collapse_huge_page+0xf7\/0x12c0' ' vmkeep_fault+0x1c2\/0x3a0 [vmkeep]')" 1 0 0
expect "the same with RIP in vmkeep: fails" \
	"$(change 'RIP: 0010:clear_page_erms+0xb\/0x20' 'RIP: 0010:vmkeep_zero_range+0x4b\/0x90 [vmkeep]')" 1 0 0
expect "the same in a vmkeepctl task: fails" \
	"$(change '\[khugepaged:41\]' '[vmkeepctl:212]')" 1 0 0

# Another CPU's printk cuts into the trace; a vmkeep frame after it still counts.
sed -e '/^\[   64.652825\] Call Trace:/a [   64.652830] vmkeep: pool 0: clean mark written, generation 19' \
	-e 's/ khugepaged+0x6c9\/0x940/ vmkeep_zero_work+0x6c\/0x140 [vmkeep]/' "$demo" >"$tmp/cut"
expect "a trace cut by another printk, a vmkeep frame after the cut: fails" "$tmp/cut" 0 0 0
sed '/^\[   64.652825\] Call Trace:/a [   64.652830] vmkeep: pool 0: clean mark written, generation 19' \
	"$demo" >"$tmp/cut2"
expect "a trace cut by another printk, no vmkeep frame: a warning" "$tmp/cut2" 0 1 1

# Real too, from a demo run beside the hog with watchdog_thresh=1 and
# hung_task_timeout_secs=3: a hung khugepaged, and vmkeepctl's
# kexec_file_load() hashing the 68 MiB initramfs, whose stack still holds
# "? vmkeep_fops_ioctl" of the FREEZE before it.
expect "hung task khugepaged, no vmkeep frame: a warning" \
	"$here/console/hung-khugepaged.log" 0 1 1
expect "soft lockup of vmkeepctl in kexec_file_load with a '? vmkeep_' frame: fails" \
	"$here/console/softlockup-vmkeepctl-kexec.log" 0 0 0
expect "a lockdep splat without a vmkeep frame: fails" \
	"$here/console/lockdep-no-vmkeep.log" 0 0 0
for l in 'refcount_t: underflow; use-after-free.' \
	 'BUG: KASAN: slab-use-after-free in rmap_walk_file+0x1c6\/0x5a0' \
	 'BUG: KFENCE: out-of-bounds read in __d_lookup_rcu+0x70\/0x290' \
	 'UBSAN: shift-out-of-bounds in mm\/huge_memory.c:3105:12' \
	 'mm\/pgtable-generic.c:54: bad pud 00000000a1b2c3d4(80000000400000e7)' \
	 'Kernel panic - not syncing: softlockup: hung tasks'; do
	# One line added to the demo log after the soft lockup.
	sed "/^\[   96.191912\]/i [   95.000000] $l" "$demo" >"$tmp/one"
	expect "'${l%%:*}: ...' anywhere: fails" "$tmp/one" 0 0 1
done
echo "1..$n"
exit $rc
