#!/bin/sh
# mfrev_stale.sh STEP - review reproducer: a page that went bad in a
# unit nobody touched is skipped by the zeroer, the unit marked zeroed
# and the region stored cleared; after an unload/reload (or kexec) the
# bad page is forgotten and shows the previous tenant's bytes.
set -u
step=${1:?}
. "${0%/*}/ktap.sh"
CP=/sys/kernel/debug/hwpoison/corrupt-pfn
case $step in
setup)
	echo "1..5"
	free=$(vmkeepctl status --json | jq '.pools[0].free')
	echo "# pool 0 free $free"
	vmkeepctl alloc --name z-dirty --size $free >/dev/null &&
	head -c 4096 /dev/zero | tr '\0' '\245' |
		dd of=/dev/vmkeep-region/z-dirty bs=4096 seek=$((free / 4096 - 1)) conv=notrunc 2>/dev/null &&
	vmkeepctl free z-dirty
	ok $? "last page of pool 0 written 0xa5 by z-dirty, freed"
	i=0; while [ "$(vmkeepctl status --json | jq '.pools[0].free')" != "$free" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done
	# z-new over the same memory; corrupt-pfn at its last page before
	# the zeroer gets to the last unit.
	vmkeepctl alloc --name z-new --size $free >/dev/null && echo 0x5ffff000 >/sys/devices/system/memory/hard_offline_page
	ok $? "z-new allocated, hard_offline_page 0x5ffff000 (built-in injection)"
	dmesg | grep "memory failure at offset" | tail -2
	dmesg | grep -q "region 'z-new': memory failure at offset $(printf '%#x' $((free - 4096)))"
	ok $? "the op found z-new's last page"
	dd if=/dev/vmkeep-region/z-new bs=4096 skip=$((free / 4096 - 1)) count=1 of=/dev/null 2>/tmp/e
	grep -q 'Input/output error' /tmp/e
	ok $? "read of the bad page: EIO while loaded ($(cat /tmp/e | head -1))"
	sleep 5
	rmmod vmkeep && vmkeepctl load >/dev/null
	ok $? "unloaded (waits for the zeroer) and loaded again"
	;;
check)
	echo "1..1"
	free=$(vmkeepctl list --json | jq '.regions[] | select(.name == "z-new") | .size')
	vmkeepctl list
	n=$(dd if=/dev/vmkeep-region/z-new bs=4096 skip=$((free / 4096 - 1)) count=1 2>/dev/null | tr -d '\245' | wc -c)
	m=$(dd if=/dev/vmkeep-region/z-new bs=4096 skip=$((free / 4096 - 1)) count=1 2>/dev/null | tr -d '\0' | wc -c)
	echo "# last page of z-new after reload: $((4096 - n)) bytes 0xa5, $m bytes not zero"
	[ "$m" = 0 ]
	ok $? "z-new's last page reads zero after the reload (no earlier tenant's bytes)"
	;;
esac
