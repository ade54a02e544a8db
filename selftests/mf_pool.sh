#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mf_pool.sh STEP - memory failures in a pool (issue 21).  Prints KTAP.
# Pool 0 is 512M@0x40000000 (its last page 0x5ffff000), formatted and
# empty; the plan runs uncleared-setup, uncleared-check, then meta.
#
# A page that a memory failure hit before the zeroer reached it is never
# cleared (clearing could consume its poison),
# so it still holds the earlier tenant's bytes.  The record of the bad
# page lasts only as long as the load: the region must stay stored
# uncleared, so that the next load or kernel quarantines it instead of
# showing those bytes.
#
#   uncleared-setup   write 0xa5 into the pool's last page through z-dirty, FREE it,
#           ALLOC z-new over all of the pool, inject a memory failure at
#           its last page (hard_offline_page, built into every kernel
#           with CONFIG_MEMORY_FAILURE), read it (EIO), unload, load.
#   uncleared-check   z-new is quarantined "uncleared" (no node, GET
#           refused), the admin frees it, and a new region there reads zero.
#   meta    a memory failure in the pool's metadata (its first page): the
#           op says it was not recovered (EBUSY), so that x86 keeps the
#           page in the kernel's mapping; the pool is held (no commit,
#           clean mark, FORMAT or ALLOC) for the rest of the load, and
#           comes back from a reload as it was.

set -u
step=${1:?usage: mf_pool.sh uncleared-setup|uncleared-check|meta}
inj=/sys/devices/system/memory/hard_offline_page
last=0x5ffff000

. "${0%/*}/ktap.sh"
pool_free() {
	vmkeepctl status --json | jq '.pools[0].free'
}
region() {
	vmkeepctl list --json | jq -r --arg n "$1" ".regions[] | select(.name == \$n) | .$2"
}

if [ ! -w $inj ]; then
	echo "1..0 # SKIP no $inj (no CONFIG_MEMORY_FAILURE)"
	exit 0
fi
case $step in
uncleared-setup)
	echo "1..5"
	free=$(pool_free)
	echo "# pool 0: $free bytes free"
	vmkeepctl alloc --name z-dirty --size "$free" >/dev/null &&
		head -c 4096 /dev/zero | tr '\0' '\245' |
		dd of=/dev/vmkeep-region/z-dirty bs=4096 seek=$((free / 4096 - 1)) conv=notrunc 2>/dev/null &&
		vmkeepctl free z-dirty
	ok $? "the pool's last page written 0xa5 by z-dirty, which is freed"
	i=0
	while [ "$(pool_free)" != "$free" ] && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	# z-new over the same memory, and the failure before the zeroer
	# reaches the last unit (it clears 255 units before it).
	vmkeepctl alloc --name z-new --size "$free" >/dev/null && echo $last >$inj
	ok $? "z-new allocated, memory failure injected at $last"
	dmesg | grep "memory failure at offset" | tail -1
	dmesg | grep -q "region 'z-new': memory failure at offset $(printf '%#x' $((free - 4096)))"
	ok $? "the op found z-new's last page"
	dd if=/dev/vmkeep-region/z-new bs=4096 skip=$((free / 4096 - 1)) count=1 of=/dev/null 2>/tmp/mf-e
	grep -q 'Input/output error' /tmp/mf-e
	ok $? "read of the bad page: EIO while loaded ($(head -1 /tmp/mf-e))"
	rmmod vmkeep && vmkeepctl load >/dev/null
	ok $? "unloaded (after the zeroer) and loaded again"
	dmesg | grep "z-new" | tail -2
	;;
uncleared-check)
	echo "1..5"
	vmkeepctl list
	[ "$(region z-new state)" = quarantined ] &&
		[ "$(region z-new quarantine)" = uncleared ]
	ok $? "z-new back quarantined uncleared: $(region z-new state) $(region z-new quarantine)"
	stale=0
	if [ -e /dev/vmkeep-region/z-new ]; then
		size=$(region z-new size)
		stale=$(dd if=/dev/vmkeep-region/z-new bs=4096 skip=$((size / 4096 - 1)) count=1 2>/dev/null |
			tr -d '\0' | wc -c)
	fi
	[ ! -e /dev/vmkeep-region/z-new ] && ! vmkeepctl get z-new >/dev/null 2>&1
	ok $? "z-new has no node and GET refuses it ($stale bytes of its last page not zero)"
	[ "$stale" = 0 ]
	ok $? "nobody reads the earlier tenant's bytes"
	free=$(pool_free)
	vmkeepctl free z-new && [ "$(pool_free)" -gt "$free" ]
	ok $? "the admin frees z-new"
	size=$(pool_free)
	vmkeepctl alloc --name z-after --size "$size" >/dev/null &&
		nz=$(dd if=/dev/vmkeep-region/z-after bs=4096 skip=$((size / 4096 - 1)) count=1 2>/dev/null |
			tr -d '\0' | wc -c) && [ "$nz" = 0 ] &&
		vmkeepctl free z-after
	ok $? "a new region there reads zero (${nz:-?} bytes of its last page not zero)"
	;;
meta)
	echo "1..6"
	echo 0x40000000 >$inj 2>/tmp/mf-e
	cat /tmp/mf-e
	grep -q 'Device or resource busy' /tmp/mf-e
	ok $? "memory failure in the metadata: not recovered (EBUSY), the page stays mapped"
	dmesg | grep 'metadata'
	dmesg | grep -q "pool 0: memory failure in the pool's metadata at offset 0x0: pool held"
	ok $? "the kernel log says the pool is held"
	[ "$(vmkeepctl status --json | jq '.pools[0].held and .pools[0].bad_pages')" = true ]
	ok $? "status: pool 0 held, with bad pages"
	! vmkeepctl format --pool 0 2>/tmp/mf-e && grep -q 'Input/output error: its metadata went bad' /tmp/mf-e
	ok $? "FORMAT refused: $(head -1 /tmp/mf-e)"
	! vmkeepctl alloc --name m-after --size 2M >/dev/null 2>&1
	ok $? "ALLOC takes nothing from the pool"
	rmmod vmkeep && dmesg | grep -q 'pool 0: held .*no clean mark' &&
		vmkeepctl load >/dev/null &&
		[ "$(vmkeepctl status --json | jq -r '.pools[0].state')" = ready ]
	ok $? "unload writes no clean mark; the pool loads again ready: $(vmkeepctl status --json | jq -r '.pools[0].state')"
	;;
*)
	echo "unknown step $step" >&2
	exit 2
	;;
esac
exit $fail
