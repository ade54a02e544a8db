#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A pool must be RAM in the firmware's own memory map (issue 26).  Run by
# fwram.plan in a q35 guest with 3 GiB: RAM up to 0x7ffdffff, the ACPI
# tables at 0x7ffe0000-0x7fffffff ("Reserved"), the 32-bit PCI hole from
# 0x80000000, RAM again from 4 GiB.  The kernel command line reserves
# 0x40000000-0x7fffffff and 0xffe00000-0x1001fffff with memmap=, so the
# running kernel's resource tree shows all of it as reserved memory, and
# names three pools: a good one and two bad ones.  The bad pools:
#   acpi     512M@0x60000000  reaches over the ACPI tables
#   legacy   4M@0x0           over 0x9fc00-0x100000 (a memmap= there would
#                             leave the kernel no memory below 1 MiB for
#                             its real-mode trampoline: named, not reserved)
#   pcihole  4M@0xffe00000    from the PCI hole across 4 GiB
# Each is refused by the module with one line naming the firmware range,
# by 'vmkeepctl load', 'kexec --check' and 'update' (exit 3); 'format'
# says why there is no such pool; the good pool works, also after every
# byte vmkeep hands out was written.  The host compares the bytes of the
# firmware ranges before and after (the plan's "# watch:").  Prints KTAP.
# "fwram_test.sh kexec", after a kexec: the map kexec passed on makes the
# module refuse the same pools with the same lines.

set -u
. "${0%/*}/ktap.sh"
out=/tmp/fwram_test.out
ko=/lib/modules/$(uname -r)/extra/vmkeep.ko
GOOD=512M@0x40000000
ACPI=512M@0x60000000
LEGACY=4M@0x0
PCIHOLE=4M@0xffe00000
# The firmware ranges each bad pool meets first, as the module names them.
ACPI_FW='\[mem 0x000000007ffe0000-0x000000007fffffff\] as "Reserved"'
LEGACY_FW='\[mem 0x000000000009fc00-0x000000000009ffff\] as "Reserved"'
# kexec-tools hands the next kernel a map without the first KiB (the
# real-mode interrupt table): there the legacy pool meets that hole first.
[ "${1:-}" = kexec ] &&
	LEGACY_FW='\[mem 0x0000000000000000-0x00000000000003ff\] as a hole'
PCIHOLE_FW='\[mem 0x00000000fed20000-0x00000000fffbffff\] as a hole'
KX="vmkeepctl kexec --check --kernel /boot/vmlinuz"

# t EXPECTED_EXIT DESCRIPTION -- COMMAND...: run, check the exit code.
t() {
	want=$1
	desc=$2
	shift 3
	"$@" >$out 2>&1
	rc=$?
	n=$((n + 1))
	if [ $rc -eq "$want" ]; then
		echo "ok $n $desc"
	else
		echo "not ok $n $desc # exit $rc, expected $want"
		sed 's/^/#   /' $out
		fail=1
	fi
}

# has TEXT: the last command's output contains TEXT (a basic regex).
has() {
	n=$((n + 1))
	if grep -q -- "$1" $out; then
		echo "ok $n output has '$1'"
		grep -- "$1" $out | head -3 | sed 's/^/#   /'
	else
		echo "not ok $n output has '$1'"
		sed 's/^/#   /' $out
		fail=1
	fi
}

# The module's pools, as "INDEX@BASE" words.
pools() { vmkeepctl status --json | jq -r '.pools[] | "\(.pool)@\(.base)"'; }

# Whether [ADDR, ADDR + SIZE) lies in one "System RAM" entry of the
# firmware's map (bash-free arithmetic: busybox sh has 64-bit $(( ))).
in_fw_ram() {
	for d in /sys/firmware/memmap/*; do
		[ "$(cat "$d/type")" = "System RAM" ] || continue
		[ $(($(cat "$d/start") <= $1 && $1 + $2 - 1 <= $(cat "$d/end"))) = 1 ] &&
			return 0
	done
	return 1
}

echo "TAP version 13"
ram=$(grep -c 'System RAM' /sys/firmware/memmap/*/type | grep -c ':1$')
echo "# /sys/firmware/memmap: $(ls /sys/firmware/memmap | wc -l) entries, $ram System RAM"

# 1. The module, loaded with the pools named directly.
dmesg -C
t 0 "insmod with the good pool and the three bad ones" -- \
	insmod "$ko" pools=$GOOD,$ACPI,$LEGACY,$PCIHOLE
dmesg | grep 'vmkeep:' >$out
has "pool \[mem 0x0*60000000+0x20000000\] refused: the firmware's memory map has $ACPI_FW, not System RAM"
has "pool \[mem 0x0*+0x400000\] refused: the firmware's memory map has $LEGACY_FW, not System RAM"
has "pool \[mem 0x0*ffe00000+0x400000\] refused: the firmware's memory map has $PCIHOLE_FW, not System RAM"
[ "$(pools)" = 0@1073741824 ]
ok $? "the module took the good pool alone: $(pools | tr '\n' ' ')"

if [ "${1:-}" = kexec ]; then
	rmmod vmkeep
	echo "1..$n"
	exit $fail
fi

# 2. Everything vmkeep hands out, formatted, written and read back: no
# byte of it may lie in a firmware range.
for p in $(pools); do
	vmkeepctl format --pool "${p%@*}" --force >/dev/null 2>&1
done
i=0
while free=$(vmkeepctl status --json | jq '[.pools[].free] | max // 0') &&
      [ "$free" -gt 0 ] && [ $i -lt 16 ]; do
	i=$((i + 1))
	vmkeepctl alloc --name fill-$i --size "$free" >/dev/null 2>&1 || break
	vkpattern fill /dev/vmkeep-region/fill-$i $i || break
done
bad=0
for j in $(seq 1 $i); do
	vkpattern check /dev/vmkeep-region/fill-$j $j >/dev/null || bad=$((bad + 1))
	vmkeepctl free fill-$j >/dev/null 2>&1 || bad=$((bad + 1))
done
ok $bad "$i region(s) of all free memory written, read back and freed"

# 3. pool suggest proposes firmware RAM.
t 0 "pool suggest --size 64M" -- vmkeepctl pool suggest --size 64M
# Its line of parameters (a warning about the host's RAM may come first).
grep -m1 'memmap=64M' $out | sed 's/^/# /'
addr=$(sed -n 's/.*memmap=64M\$\(0x[0-9a-f]*\).*/\1/p' $out | head -1)
in_fw_ram "${addr:-0}" $((64 << 20))
ok $? "the suggested pool at ${addr:-none} is System RAM in the firmware's map"

# 4. kexec --check and update refuse a next command line whose pools or
# memmap= ranges are not firmware RAM, and say which range.
t 3 "kexec --check: vmkeep.pools= over the ACPI tables" -- \
	$KX --append "memmap=1024M\$0x40000000 vmkeep.pools=$GOOD,$ACPI"
has "vmkeep.pools= entry $ACPI: the firmware's memory map has $ACPI_FW, not System RAM"
t 3 "kexec --check: vmkeep.pools= over the legacy hole" -- \
	$KX --append "memmap=512M\$0x40000000 vmkeep.pools=$LEGACY,$GOOD"
has "vmkeep.pools= entry $LEGACY: the firmware's memory map has $LEGACY_FW, not System RAM"
t 3 "kexec --check: vmkeep.pools= into the PCI hole" -- \
	$KX --append "memmap=4M\$0xffe00000 vmkeep.pools=$PCIHOLE"
has "vmkeep.pools= entry $PCIHOLE: the firmware's memory map has $PCIHOLE_FW, not System RAM"
t 3 "kexec --check: a memmap= over the ACPI tables, no pool" -- \
	$KX --append "memmap=512M\$0x60000000"
has "memmap=512M\$0x60000000: the firmware's memory map has $ACPI_FW, not System RAM"
t 0 "kexec --check: the good pool passes" -- \
	$KX --append "memmap=512M\$0x40000000 vmkeep.pools=$GOOD"
for bad in "$ACPI $ACPI_FW" "$LEGACY $LEGACY_FW" "$PCIHOLE $PCIHOLE_FW"; do
	pool=${bad%% *}
	t 3 "update: vmkeep.pools=$pool" -- vmkeepctl update --kernel /boot/vmlinuz \
		--append "memmap=1024M\$0x40000000 vmkeep.pools=$GOOD,$pool"
	has "vmkeep.pools= entry $pool: the firmware's memory map has ${bad#* }, not System RAM"
	if [ "$(vmkeepctl status --json | jq .frozen)" != false ]; then
		ok 1 "update left vmkeep frozen; thawed, kexec -u"
		vmkeepctl thaw >/dev/null 2>&1
		kexec -u
	fi
done

# 5. format says why a named pool is not there.
t 1 "format --pool 1: no such pool" -- vmkeepctl format --pool 1 --force
has "$ACPI.*the firmware's memory map has $ACPI_FW"

# 6. vmkeepctl load checks before it loads, and leaves bad pools out of
# the module's pools=.
rmmod vmkeep
dmesg -C
t 0 "vmkeepctl load, pools from /proc/cmdline" -- vmkeepctl load
has "load: pool $ACPI refused: the firmware's memory map has $ACPI_FW, not System RAM"
has "load: pool $PCIHOLE refused: the firmware's memory map has $PCIHOLE_FW, not System RAM"
[ "$(cat /sys/module/vmkeep/parameters/pools)" = $GOOD ]
ok $? "the module was given pools=$(cat /sys/module/vmkeep/parameters/pools)"
rmmod vmkeep
t 0 "vmkeepctl load --pools $LEGACY,$GOOD" -- vmkeepctl load --pools $LEGACY,$GOOD
has "load: pool $LEGACY refused: the firmware's memory map has $LEGACY_FW, not System RAM"
[ "$(pools)" = 0@1073741824 ]
ok $? "the module took the good pool alone"
rmmod vmkeep
t 1 "vmkeepctl load --pools $ACPI: no pool left" -- vmkeepctl load --pools $ACPI
has "load: pool $ACPI refused"

# 7. Without the firmware's map (hidden here) the module says so, and
# keeps its other checks; vmkeepctl load says it cannot check.
mount -t tmpfs none /sys/firmware
dmesg -C
t 0 "insmod without /sys/firmware/memmap" -- insmod "$ko" pools=$GOOD
dmesg | grep 'vmkeep:' >$out
has "cannot read the firmware's memory map"
rmmod vmkeep
t 0 "vmkeepctl load without /sys/firmware/memmap" -- vmkeepctl load --pools $GOOD
has "cannot check the pools against the firmware's memory map"
umount /sys/firmware

# 8. The good pool still works.
t 0 "format --pool 0" -- vmkeepctl format --pool 0 --force
t 0 "alloc on the good pool" -- vmkeepctl alloc --name fw-good --size 64M
vkpattern fill /dev/vmkeep-region/fw-good 7 && vkpattern check /dev/vmkeep-region/fw-good 7
ok $? "its region is written and read back"
t 0 "free" -- vmkeepctl free fw-good
rmmod vmkeep

echo "1..$n"
exit $fail
