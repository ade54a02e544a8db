#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# zero_kexec.sh STEP - memory cleared at first touch, across a kexec.
# Prints KTAP.  Pool 0 must be formatted, empty and at least 512 MiB.
#
# ALLOC clears nothing: a new region's units are cleared at first touch
# and by a background worker (kmod/vmkeep_zero.c).  The next kernel takes
# every byte of a restored region for the VM's, so:
#
#   clean-setup   dirty 64 MiB (write 0xa5, FREE), ALLOC z-keep over it
#                 and write a marker at offset 0; the plan then kexecs
#                 with 'vmkeepctl kexec', whose FREEZE waits for the
#                 clearing.
#   clean-check   z-keep is back incoming, the marker is there, and the
#                 rest reads zero: no 0xa5 of the freed region.
#   crash-setup   dirty again, ALLOC z-new over it with the crash knob set
#                 to stop every metadata write after that ALLOC's commit,
#                 as if the machine stopped while z-new was being cleared;
#                 the plan then kexecs with a plain 'kexec -e'.
#   crash-check   z-new is quarantined "uncleared" (kept, never mapped, no
#                 device node), its memory not free; once freed, a new
#                 region there reads zero.

set -u
step=${1:?usage: zero_kexec.sh clean-setup|clean-check|crash-setup|crash-check}
mib=64

. "${0%/*}/ktap.sh"
pool_free() {
	vmkeepctl status --json | jq '.pools[0].free'
}
region() {
	vmkeepctl list --json | jq -r --arg n "$1" ".regions[] | select(.name == \$n) | .$2"
}
# Write 0xa5 over $mib MiB of fresh memory of pool 0 and free it again.
dirty() {
	free0=$(pool_free)
	vmkeepctl alloc --name z-dirty --size ${mib}M >/dev/null &&
		head -c $((mib << 20)) /dev/zero | tr '\0' '\245' \
			>/dev/vmkeep-region/z-dirty &&
		vmkeepctl free z-dirty &&
		[ "$(pool_free)" = "$free0" ]
}
# Bytes of region $1 that are not zero, from offset $2 MiB on.
nonzero() {
	dd if="/dev/vmkeep-region/$1" bs=1M skip="$2" 2>/dev/null |
		tr -d '\0' | wc -c
}

case $step in
clean-setup)
	echo "1..3"
	dirty
	ok $? "$mib MiB of pool 0 written with 0xa5 and freed"
	vmkeepctl alloc --name z-keep --size ${mib}M >/dev/null
	ok $? "z-keep allocated over the dirty memory"
	printf 'vmkeep-marker' | dd of=/dev/vmkeep-region/z-keep conv=notrunc 2>/dev/null
	ok $? "marker written at offset 0"
	;;
clean-check)
	echo "1..4"
	[ "$(region z-keep state)" = incoming ]
	ok $? "z-keep restored incoming ($(region z-keep state))"
	[ "$(head -c 13 /dev/vmkeep-region/z-keep)" = vmkeep-marker ]
	ok $? "the marker written before the kexec is there"
	nz=$(nonzero z-keep 1)
	[ "$nz" = 0 ]
	ok $? "the rest of z-keep reads zero after the kexec ($nz bytes not zero)"
	vmkeepctl finish z-keep && vmkeepctl free z-keep
	ok $? "z-keep finished and freed"
	;;
crash-setup)
	echo "1..3"
	dirty
	ok $? "$mib MiB of pool 0 written with 0xa5 and freed"
	# A commit of one region is 4 write steps: header invalidated,
	# the entry, the header, the magic; then nothing is written.
	echo 4 >/sys/kernel/debug/vmkeep/crash_after_write
	ok $? "metadata writes stop after the next commit"
	vmkeepctl alloc --name z-new --size ${mib}M >/dev/null &&
		grep -q '^4 steps 4 crashed 1' /sys/kernel/debug/vmkeep/crash_after_write
	ok $? "z-new allocated and stored; the 'crash' came after its commit"
	;;
crash-check)
	echo "1..5"
	[ "$(region z-new state)" = quarantined ] &&
		[ "$(region z-new quarantine)" = uncleared ]
	ok $? "z-new quarantined: $(region z-new state) $(region z-new quarantine)"
	[ ! -e /dev/vmkeep-region/z-new ] && ! vmkeepctl get z-new >/dev/null 2>&1
	ok $? "z-new has no node and GET refuses it"
	[ "$(pool_free)" -le $((510 - mib << 20)) ]
	ok $? "its memory is not free ($(pool_free) bytes free)"
	vmkeepctl free z-new
	ok $? "the admin frees z-new"
	vmkeepctl alloc --name z-after --size ${mib}M >/dev/null &&
		nz=$(nonzero z-after 0) && [ "$nz" = 0 ] &&
		vmkeepctl free z-after
	ok $? "a new region over that memory reads zero (${nz:-?} bytes not zero)"
	;;
*)
	echo "unknown step $step" >&2
	exit 2
	;;
esac
