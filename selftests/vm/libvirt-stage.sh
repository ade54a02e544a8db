#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# libvirt-stage.sh - the guest side of 'systemd-test.sh -l SUITE': libvirt
# domains across 'systemctl kexec'
#
# Runs as systemd-stage.sh does (vmkeep-test.service, results on
# /dev/ttyS1), in the libvirt root of 'systemd-root.sh -l' with the vmkeep
# packages and vkguest (/var/lib/libvirt/boot/vkguest).  Three domains of one
# template (domain_xml) run vkguest by direct kernel boot, their serial
# port in a file; two with file-backed shared RAM (the shape of the
# vmkeep opt-in), one plain.  vmkeep-stamp.service (this script, "stamp")
# runs before libvirt in both boots and writes every line of the serial
# files with the time it came, so that the downtime is the time from the
# last tick before the update to the first after it; it records the
# managed save files when it stops, after libvirt-guests.
#   stage 1: AppArmor on, libvirt up; prepare_$mode; define and start
#            the three, each confined by its own profile; they tick;
#            update_$mode: the way the domains go through the kexec,
#            then 'systemctl kexec'
#   stage 2: check_$mode, then the domains' counters, downtimes, denials;
#            destroy them and power off
# The update paths (mode, from vmkeep_test.mode= on the kernel command
# line, "baseline" without it):
#   baseline: libvirt-guests with ON_SHUTDOWN=suspend saves every domain
#             with managedsave (all of its RAM) when 'systemctl kexec'
#             stops it, and starts them again (ON_BOOT=start) after it.
#   vmkeep:   the vmkeep path: 'vmkeepctl libvirt setup', the two opt in
#             ('vmkeepctl libvirt enable'), libvirt-guests as in baseline
#             for the plain one; the safety tests on a fourth opted-in
#             domain; 'vmkeepctl update' saves the opted-in ones with
#             managedsave (device state only), two more of them lose
#             their region after it (freed; freed and made anew);
#             vmkeep-libvirt.service starts the saved ones after the
#             kexec and discards the managed saves of the other two.
#   cold:     the negative control: ON_SHUTDOWN=shutdown; vkguest ignores
#             ACPI, so the domains die with the kexec and boot anew after
#             it: every "counts on" line must fail.
# A new path is three functions: prepare_NAME (before the domains start),
# update_NAME (with them running, before 'systemctl kexec') and check_NAME
# (after it, before the checks every path has).

# shellcheck source=selftests/vm/stage-lib.sh
. /usr/local/lib/vmkeep-test/stage-lib.sh
mode=baseline
for w in $(cat /proc/cmdline); do
	case $w in vmkeep_test.mode=*) mode=${w#*=} ;; esac
done
state=/var/lib/vmkeep-test		# stamps and records, kept across the kexec
savedir=/var/lib/libvirt/qemu/save	# libvirt's managed save images
# The domains: NAME:OPTIN (1: the file-backed shared RAM of the opt-in).
domains="lv-vm1:1 lv-vm2:1 lv-plain:0"
ram_mib=64
# virt-aa-helper refuses a kernel under /usr/lib (a "restricted file").
kernel=/var/lib/libvirt/boot/vkguest

names() { for d in $domains; do echo "${d%%:*}"; done; }
serial() { echo "/var/log/libvirt/qemu/$1.serial"; }

# domain_xml NAME OPTIN: the one template of every domain.  OPTIN=1 adds
# the RAM shape a vmkeep domain has: a file (in libvirt's
# memory_backing_dir) mapped shared, and $optin_metadata (empty in the
# baseline; a path's prepare_NAME sets it to its opt-in element).
optin_metadata=
domain_xml() {
	local name=$1 optin=$2 mb=
	[ "$optin" = 1 ] && mb="${optin_metadata:+
  $optin_metadata}
  <memoryBacking>
    <source type='file'/>
    <access mode='shared'/>
  </memoryBacking>"
	cat <<EOX
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>$ram_mib</memory>
  <vcpu>1</vcpu>$mb
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$kernel</kernel>
  </os>
  <features>
    <tcg>
      <tb-cache unit='MiB'>16</tb-cache>
    </tcg>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <controller type='usb' model='none'/>
    <serial type='file'>
      <source path='$(serial "$name")' append='on'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOX
}


# tick NAME: the last tick the domain printed.
tick() {
	sed -n 's/^vkguest: tick \([0-9]*\) .*/\1/p' "$(serial "$1")" | tail -n 1
}

# wait_tick NAME N [SECONDS]: until the domain printed tick N or later.
wait_tick() {
	local i v
	for ((i = 0; i < ${3:-120}; i++)); do
		v=$(tick "$1")
		[ "${v:-0}" -ge "$2" ] && return 0
		sleep 1
	done
	echo "$1: tick ${v:-none} after ${3:-120} s, not $2"
	return 1
}

# across NAME: "LAST T_LAST FIRST T_FIRST" of the stamps: the last tick
# before the first boot's stamper stopped and the first one after it,
# each with the time (s since the epoch) its line came.
across() {
	awk '$2 == "stop" && !stop { stop = 1; next }
	     $3 == "tick" { if (!stop) { l = $4; tl = $1 } else if (f == "") { f = $4; tf = $1 } }
	     END { print l, tl, f, tf }' "$state/$1.ts"
}

# downtime_ms NAME: from the last tick before to the first after, less
# the second of guest time between them.
downtime_ms() {
	across "$1" | awk '{ printf "%d\n", ($4 - $2 - ($3 - $1)) * 1000 }'
}

# wait_guests: until libvirt-guests' start (ON_BOOT) is over.  Its unit
# is Type=oneshot in libvirt 9.0 but Type=exec in 12.x: there
# multi-user.target, and this stage, come while it still starts them.
wait_guests() {
	local i
	for ((i = 0; i < 900; i++)); do
		[ "$(systemctl show -P MainPID libvirt-guests.service)" = 0 ] && break
		sleep 1
	done
	systemctl show -P Type libvirt-guests.service
	systemctl show -P ExecMainExitTimestampMonotonic libvirt-guests.service |
		awk '{ printf "its start ended %.1f s after the kernel started\n", $1 / 1e6 }'
	systemctl is-active libvirt-guests.service
}

# in_state NAME STATE: virsh says the domain is in that state.
in_state() {
	[ "$(virsh domstate "$1" 2>&1)" = "$2" ] || { virsh domstate "$1"; return 1; }
}

# confined NAME: its QEMU runs under its own enforced AppArmor profile.
confined() {
	local pid label
	pid=$(cat "/run/libvirt/qemu/$1.pid") || return 1
	label=$(cat "/proc/$pid/attr/apparmor/current" 2>/dev/null || cat "/proc/$pid/attr/current")
	echo "$1: qemu pid $pid: $label"
	[ "$label" = "libvirt-$(virsh domuuid "$1" | head -n 1) (enforce)" ]
}

# ram_shape NAME OPTIN: its QEMU's main RAM as libvirt started it (the
# command line in its log): a memory-backend-file with share for the
# opt-in, no file otherwise.
ram_shape() {
	local o
	o=$(grep -o '"qom-type":"memory-backend-[a-z]*"[^}]*\|memory-backend-[a-z]*,[^ ]*' \
		"/var/log/libvirt/qemu/$1.log" | tail -n 1)
	echo "$1: $o"
	if [ "$2" = 1 ]; then
		echo "$o" | grep -q 'memory-backend-file' &&
			echo "$o" | grep -q '"share":true\|share=on'
	else
		! echo "$o" | grep -q 'memory-backend-file'
	fi
}

# vmkeep-stamp.service: every serial line with its time; at the stop,
# after libvirt-guests, an end mark and the managed save files.
stamp() {
	mkdir -p "$state"
	for n in $(names); do
		tail -q -n 0 -F "$(serial "$n")" 2>/dev/null |
		while IFS= read -r l; do
			printf '%s %s\n' "$EPOCHREALTIME" "$l"
		done >>"$state/$n.ts" &
	done
	wait
}
stamp_stop() {
	sleep 1		# the lines still on their way
	for n in $(names); do
		echo "$EPOCHREALTIME stop" >>"$state/$n.ts"
	done
	stat -c '%s %n' "$savedir"/*.save >"$state/saves" 2>/dev/null || true
}

# libvirt_guests ON_SHUTDOWN: its configuration, then restarted so that
# it runs (and is stopped) with it.  Before any domain runs: the restart
# would suspend and resume them.
libvirt_guests() {
	printf 'ON_BOOT=start\nSTART_DELAY=0\nON_SHUTDOWN=%s\nSHUTDOWN_TIMEOUT=%s\n' \
		"$1" "${2:-300}" >/etc/default/libvirt-guests
	systemctl restart libvirt-guests.service
}

prepare_baseline() {
	t "libvirt-guests: ON_SHUTDOWN=suspend, ON_BOOT=start" libvirt_guests suspend
}

update_baseline() {
	:	# libvirt-guests does it all when 'systemctl kexec' stops it
}

check_baseline() {
	local n
	for n in $(names); do
		t "$n: libvirt-guests suspended it when the kexec stopped it" bash -c \
			"journalctl -b -1 -u libvirt-guests -q -o cat | grep '^Suspending $n: done'"
		t "$n: its managed save was $savedir/$n.save (full RAM)" \
			grep " $savedir/$n.save\$" "$state/saves"
		t "$n: libvirt-guests started it again" bash -c \
			"journalctl -b -u libvirt-guests -q -o cat | grep -A1 '^Resuming guest $n:' | grep -q '^done'"
	done
	t "the managed save files are gone after the restore" \
		bash -c "! ls $savedir/*.save"
	while read -r s f; do
		echo "# libvirt: managedsave $(basename "$f" .save): $s bytes ($((s / 1048576)) MiB) for $ram_mib MiB of RAM"
	done <"$state/saves"
	guests_times
}

prepare_cold() {
	t "libvirt-guests: ON_SHUTDOWN=shutdown (10 s), ON_BOOT=start" libvirt_guests shutdown 10
}

update_cold() {
	:
}

check_cold() {
	:
}

# ---- mode vmkeep ----
# vmkeep's own domains beside the three: lv-safe (the safety tests, gone
# before the update), lv-gone and lv-moved (saved by the update, then
# their region freed / made anew: never restored).
region_of() { echo "libvirt-$(virsh domuuid "$1" | head -n 1)"; }
# cap_of NAME: "true" or "false", x-ignore-shared of its QEMU.
cap_of() {
	virsh qemu-monitor-command "$1" '{"execute":"query-migrate-capabilities"}' | tr -d ' \n' |
		grep -o '{[^}]*"x-ignore-shared"[^}]*}' | grep -o '"state":[a-z]*' | cut -d: -f2
}
cap_is() { local c; c=$(cap_of "$1"); echo "x-ignore-shared: $c"; [ "$c" = "$2" ]; }
set_cap() {
	virsh qemu-monitor-command "$1" "{\"execute\":\"migrate-set-capabilities\",\"arguments\":{\"capabilities\":[{\"capability\":\"x-ignore-shared\",\"state\":$2}]}}"
}
# size_cmp FILE -ge|-lt BYTES
size_cmp() {
	local s
	s=$(stat -c %s "$1") || return 1
	echo "$1: $s bytes"
	[ "$s" "$2" "$3" ]
}
saved_size() { awk -v f="$savedir/$1.save" '$2 == f { print $1 }' "$state/saves"; }
saved_cmp() {
	local s
	s=$(saved_size "$1")
	echo "$savedir/$1.save: ${s:-none} bytes"
	[ -n "$s" ] && [ "$s" "$2" "$3" ]
}
define_extra() {
	domain_xml "$1" 1 >"$state/$1.xml"
	t "virsh define $1 (file-backed shared RAM)" virsh define "$state/$1.xml"
	t "vmkeepctl libvirt enable $1" vmkeepctl libvirt enable "$1"
	t "virsh start $1" virsh start "$1"
	t "$1 ticks" wait_tick "$1" 3
}
ram_is_region() {
	local r pid
	r=$(region_of "$1")
	pid=$(cat "/run/libvirt/qemu/$1.pid")
	vmkeepctl list | grep "^$r " | awk '{ print; exit !($NF > 0) }' || return 1
	grep ' /var/lib/libvirt/qemu/ram/.*/pc.ram' "/proc/$pid/maps" | head -n 1 | grep .
}
not_region() { ! vmkeepctl list | grep "$(virsh domuuid "$1" | head -n 1)"; }
setup_idempotent() { [ "$(vmkeepctl libvirt setup | tee /dev/stderr | grep -c 'there already')" = 2 ]; }
# A stream with RAM is most of RAM's size (QEMU sends a zero page as a
# flag); one without is device state, some 100 KiB.  And it restores
# onto a fresh, zeroed region only if its RAM came from the file: the
# ticks go on.
save_restore_full() {
	local before
	before=$(tick lv-safe)
	virsh save lv-safe /var/tmp/safe-full.save && size_cmp /var/tmp/safe-full.save -ge $(($1 / 2)) &&
		virsh restore /var/tmp/safe-full.save && wait_tick lv-safe $((before + 2)) 60 &&
		echo "tick $before before the save, $(tick lv-safe) after the restore" &&
		! tail -n 3 "$(serial lv-safe)" | grep -q 'BOOT\| bad \|ERROR'
}
snapshot_full() {
	virsh snapshot-create-as lv-safe s1 --memspec file=/var/tmp/safe-snap.mem,snapshot=external --no-metadata &&
		size_cmp /var/tmp/safe-snap.mem -ge $(($1 / 2))
}
save_without_ram() {
	set_cap lv-safe true && virsh save lv-safe /var/tmp/safe-noram.save &&
		size_cmp /var/tmp/safe-noram.save -lt $(($1 / 8))
}
# QEMU 7.2 names the capability in libvirt's error; 11.1 says "Failed to
# validate capabilities" there and names it in the domain's log.
restore_refused() {
	local o
	o=$(virsh restore /var/tmp/safe-noram.save 2>&1)
	echo "$o"
	o="$o
$(tail -n 20 /var/log/libvirt/qemu/lv-safe.log | grep -i 'capabilit' | tee /dev/stderr)"
	! in_state lv-safe running >/dev/null && echo "$o" | grep -q 'Capability x-ignore-shared is off, but received capability is on'
}
update_refuses() {
	local o rc
	vmkeepctl free "$(region_of lv-safe)" || return 1
	o=$(vmkeepctl update --check --kernel "/boot/vmlinuz-$krel" --initrd "/boot/initrd.img-$krel" --reuse-cmdline 2>&1)
	rc=$?
	echo "$o"
	[ $rc != 0 ] && echo "$o" | grep -q 'lv-safe: RAM is not a vmkeep region'
}
update_check_four() {
	vmkeepctl update --check --kernel "/boot/vmlinuz-$krel" --initrd "/boot/initrd.img-$krel" --reuse-cmdline |
		tee /dev/stderr | grep -c 'would save libvirt domain' | grep -qx 4
}
do_update() {
	vmkeepctl update --kernel "/boot/vmlinuz-$krel" --initrd "/boot/initrd.img-$krel" \
		--command-line "$(sed 's/^BOOT_IMAGE=[^ ]* //; s/ *vmkeep_test\.stage=[^ ]*//g' /proc/cmdline) vmkeep_test.stage=2" \
		>"$state/update.log" 2>&1
	local rc=$?
	cat "$state/update.log"
	return $rc
}
saved_by_update() {
	in_state "$1" "shut off" && virsh dominfo "$1" | grep 'Managed save: *yes'
}
lose_regions() {
	vmkeepctl thaw && vmkeepctl free "$(region_of lv-gone)" && vmkeepctl free "$(region_of lv-moved)" &&
		vmkeepctl alloc --name "$(region_of lv-moved)" --size "${ram_mib}M" && vmkeepctl freeze
}
discarded() {
	in_state "$1" "shut off" && virsh dominfo "$1" | grep 'Managed save: *no' &&
		journalctl -b -u vmkeep-libvirt -q -o cat | grep "$1: saved RAM region .* was discarded"
}
region_active() { vmkeepctl list | grep "^$(region_of "$1") " | grep active; }
post_save_full() {
	virsh save lv-vm2 /var/tmp/post.save && size_cmp /var/tmp/post.save -ge $(($1 / 2)) &&
		virsh restore /var/tmp/post.save
	local rc=$?
	rm -f /var/tmp/post.save
	return $rc
}
# vmkeepctl killed (SIGKILL, from a virsh in front of the real one)
# between x-ignore-shared and the managed save: the domain runs on with
# both, recorded as armed; 'libvirt disarm' clears them.
armed=/run/vmkeep/libvirt/armed
killed_save() {
	local w=/var/tmp/vk-kill u n
	mkdir -p $w
	printf '#!/bin/sh\ncase " $* " in *" managedsave "*) kill -KILL $PPID; exit 1 ;; esac\nexec /usr/bin/virsh "$@"\n' >$w/virsh
	chmod +x $w/virsh
	PATH=$w:$PATH vmkeepctl libvirt save
	echo "vmkeepctl libvirt save: rc $?"
	rm -rf $w
	u=$(ls $armed) && n=$(virsh domname "$u" | head -n 1) || return 1
	echo "armed: $u ($n)"
	echo "$n" >"$state/armed"
	cap_is "$n" true && virsh metadata "$n" --live --uri https://vmkeep.example/libvirt/1 |
		tee /dev/stderr | grep -q 'saved region='
}
disarmed() {
	local n
	n=$(cat "$state/armed")
	vmkeepctl libvirt disarm && cap_is "$n" false && in_state "$n" running || return 1
	# the opt-in element again, no marker
	virsh metadata "$n" --live --uri https://vmkeep.example/libvirt/1 >"$state/md" || return 1
	cat "$state/md"
	grep -q ram "$state/md" && ! grep -q saved "$state/md" && [ -z "$(ls $armed)" ]
}

# libvirtd (9.0) or virtqemud (12.x), whichever runs.
restart_driver() {
	local u
	for u in libvirtd virtqemud; do
		systemctl is-active --quiet "$u.service" || continue
		echo "restart $u"
		systemctl restart "$u.service" || return 1
	done
	virsh version >/dev/null
}
# The device cgroup: a running QEMU cannot open a region whose node
# no slot named when the domain started, even where AppArmor and the
# owner allow it (its own memory backing directory).
cgroup_blocks() {
	local pid dir st o
	pid=$(cat /run/libvirt/qemu/lv-safe.pid)
	dir=$(grep -o '/var/lib/libvirt/qemu/ram/[^ ]*/pc.ram' "/proc/$pid/maps" | head -n 1)
	dir=${dir%/pc.ram}
	vmkeepctl alloc --name cg-probe --size 2M --owner libvirt-qemu:libvirt-qemu >/dev/null || return 1
	st=$(stat -c '%t %T' /dev/vmkeep-region/cg-probe)
	mknod "$dir/probe.ram" c $((0x${st% *})) $((0x${st#* })) && chown libvirt-qemu:libvirt-qemu "$dir/probe.ram"
	o=$(virsh qemu-monitor-command lv-safe "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-file\",\"id\":\"probe\",\"mem-path\":\"$dir/probe.ram\",\"size\":2097152,\"share\":true}}" 2>&1)
	echo "$o"
	virsh qemu-monitor-command lv-safe '{"execute":"object-del","arguments":{"id":"probe"}}' >/dev/null 2>&1
	rm -f "$dir/probe.ram"
	vmkeepctl free cg-probe >/dev/null
	echo "$o" | grep -q 'Operation not permitted'
}

prepare_vmkeep() {
	t "format the pool" vmkeepctl format --pool 0
	t "vmkeepctl libvirt setup (qemu.conf slots, AppArmor rule)" vmkeepctl libvirt setup --slots 8
	t "setup again changes nothing" setup_idempotent
	grep -A14 'BEGIN vmkeep' /etc/libvirt/qemu.conf | sed 's/^/#   qemu.conf: /'
	t "the hook is installed" test -x /etc/libvirt/hooks/qemu.d/50-vmkeep
	t "libvirt's QEMU driver restarted (qemu.conf, the hook)" restart_driver
	t "libvirt-guests: ON_SHUTDOWN=suspend, ON_BOOT=start (the plain domain)" libvirt_guests suspend
}

defined_vmkeep() {
	[ "$2" = 1 ] || return 0
	t "vmkeepctl libvirt enable $1" vmkeepctl libvirt enable "$1"
}

update_vmkeep() {
	local n big=$((ram_mib * 1048576))
	for n in lv-vm1 lv-vm2; do
		t "$n: its RAM is region $(region_of "$n"), mapped by its QEMU from pc.ram" ram_is_region "$n"
	done
	t "lv-plain's RAM is no region" not_region lv-plain
	vmkeepctl libvirt status | sed 's/^/#   /'

	# Safety: outside an update a save carries all of RAM; with the
	# capability left on (the danger), the stream has none and no
	# restore takes it.
	define_extra lv-safe
	t "lv-safe: x-ignore-shared is off outside an update" cap_is lv-safe false
	t "device cgroup: QEMU cannot open a region node no slot named at its start" cgroup_blocks
	t "safety: virsh save of an opted-in domain carries all of RAM; virsh restore runs it" save_restore_full $big
	t "safety: an external memory snapshot of it carries all of RAM" snapshot_full $big
	t "safety: x-ignore-shared forced on, virsh save writes a stream without RAM" save_without_ram $big
	t "safety: that stream is not restored (QEMU refuses its x-ignore-shared)" restore_refused
	rm -f /var/tmp/safe-*.save /var/tmp/safe-snap.mem
	t "lv-safe boots anew" virsh start lv-safe
	t "interrupted save: vmkeepctl killed before managedsave leaves its domain armed (x-ignore-shared, marker)" killed_save
	t "libvirt disarm: x-ignore-shared off, the marker gone, the domain runs" disarmed
	t "update refuses an opted-in domain whose RAM is not a region (region freed under it)" update_refuses
	virsh destroy lv-safe >/dev/null 2>&1
	virsh undefine lv-safe >/dev/null 2>&1

	define_extra lv-gone
	define_extra lv-moved
	t "vmkeepctl update --check: would save the four opted-in domains" update_check_four
	t "vmkeepctl update: managedsave of the opted-in domains, freeze, load" do_update
	for n in lv-vm1 lv-vm2 lv-gone lv-moved; do
		t "$n: saved by the update (shut off, managed save)" saved_by_update "$n"
	done
	t "lv-plain still runs (libvirt-guests' to save)" in_state lv-plain running
	t "lv-gone: region freed; lv-moved: region freed and made anew (another id)" lose_regions
}

check_vmkeep() {
	local n big=$((ram_mib * 1048576))
	t "vmkeep-libvirt.service started lv-vm1 and lv-vm2 again" bash -c \
		"journalctl -b -u vmkeep-libvirt -q -o cat | grep -c ': running again' | grep -qx 2"
	journalctl -b -u vmkeep-libvirt -q -o cat | sed 's/^/#   vmkeep-libvirt: /'
	journalctl -b -1 -t vmkeep-libvirt -q -o cat | sed 's/^/#   hook, boot 1: /'
	journalctl -b -t vmkeep-libvirt -q -o cat | sed 's/^/#   hook, boot 2: /'
	for n in lv-vm1 lv-vm2; do
		t "$n: its managed save was device state only" saved_cmp "$n" -lt $((big / 8))
		t "$n: region $(region_of "$n") is active (finished) again" region_active "$n"
		t "$n: x-ignore-shared is off again after the restore" cap_is "$n" false
	done
	t "lv-plain: libvirt-guests saved it with all of RAM" saved_cmp lv-plain -ge $((big / 2))
	t "lv-plain: libvirt-guests started it" bash -c \
		"journalctl -b -u libvirt-guests -q -o cat | grep -A1 '^Resuming guest lv-plain:' | grep -q '^done'"
	for n in lv-gone lv-moved; do
		t "$n: not restored: managed save discarded, domain off, the journal says why" discarded "$n"
	done
	t "after the restore, virsh save of lv-vm2 carries all of RAM again" post_save_full $big
	while read -r s f; do
		echo "# libvirt: managedsave $(basename "$f" .save): $s bytes ($((s / 1024)) KiB) for $ram_mib MiB of RAM"
	done <"$state/saves"
	grep 'libvirt managed save' "$state/update.log" | sed 's/^/# libvirt: update: /'
	journalctl -b -u vmkeep-libvirt -q -o short-unix | sed 's/^/# libvirt: resume: /'
	guests_times
	vmkeepctl libvirt status | sed 's/^/#   /'
}

# guests_times: per domain, libvirt-guests' save (boot 1, its stop) and
# start (boot 2) in seconds, from its journal lines' times.  It prints
# "Resuming guest NAME: " and "done" only when the start is over: a start
# is from the line before to its "done".
guests_times() {
	journalctl -b -1 -u libvirt-guests -q -o short-unix | awk '
		$4 == "Suspending" && $6 == "..." { n = $5; sub(/:$/, "", n); if (!(n in s)) s[n] = $1 }
		$4 == "Suspending" && $6 == "done" { n = $5; sub(/:$/, "", n); e[n] = $1 }
		END { for (n in e) printf "# libvirt: %s: libvirt-guests saved it in %.1f s\n", n, e[n] - s[n] }'
	journalctl -b -u libvirt-guests -q -o short-unix | awk '
		$4 == "Resuming" && $5 == "guests" { prev = $1 }
		$4 == "Resuming" && $5 == "guest" { n = $6; sub(/:$/, "", n); s[n] = prev; cur = n; next }
		cur != "" && $NF == "done" { e[cur] = $1; cur = "" }
		{ prev = $1 }
		END { for (n in e) printf "# libvirt: %s: libvirt-guests started it in %.1f s\n", n, e[n] - s[n] }'
}

# The figures of a boot: when libvirt was up, AppArmor's profiles.
boot_figures() {
	local d
	for d in libvirtd virtqemud libvirt-guests apparmor; do
		systemctl is-active --quiet "$d.service" || continue
		echo "# libvirt: boot $stage: $d.service active $(systemctl show -P ActiveEnterTimestampMonotonic "$d.service" |
			awk '{ printf "%.1f", $1 / 1e6 }') s after the kernel started"
	done
	aa-status 2>/dev/null | grep -E 'profiles are (loaded|in enforce|in complain)|processes are in enforce' |
		sed 's/^/# libvirt: boot '"$stage"': aa-status: /'
}

case ${1:-} in
stamp) stamp; exit 0 ;;
stamp-stop) stamp_stop; exit 0 ;;
esac

{
	echo "@@ stage $stage start uptime=$(cut -d' ' -f1 /proc/uptime) mode=$mode"
	boot_figures
	t "AppArmor is enabled (aa-status --enabled)" aa-status --enabled
	t "libvirt's QEMU driver answers (virsh version)" virsh version
	case $stage in
	1)
		mkdir -p "$state"
		t "vmkeep-stamp.service runs" systemctl is-active --quiet vmkeep-stamp.service
		"prepare_$mode"
		for d in $domains; do
			n=${d%%:*}
			domain_xml "$n" "${d#*:}" >"$state/$n.xml"
			t "virsh define $n ($([ "${d#*:}" = 1 ] && echo "file-backed shared RAM" || echo "plain RAM"))" \
				virsh define "$state/$n.xml"
			! declare -F "defined_$mode" >/dev/null || "defined_$mode" "$n" "${d#*:}"
			t "virsh start $n" virsh start "$n"
		done
		for n in $(names); do
			t "$n ticks" wait_tick "$n" 3
			t "$n is confined by its AppArmor profile" confined "$n"
		done
		for d in $domains; do
			t "${d%%:*}: its RAM is $([ "${d#*:}" = 1 ] && echo "a file mapped shared" || echo "anonymous")" \
				ram_shape "${d%%:*}" "${d#*:}"
		done
		"update_$mode"
		for n in $(names); do
			echo "# libvirt: $n: tick $(tick "$n") before the kexec"
		done
		t "kexec -l this kernel" kexec -l "/boot/vmlinuz-$krel" --initrd="/boot/initrd.img-$krel" \
			--append="$(sed 's/^BOOT_IMAGE=[^ ]* //; s/ *vmkeep_test\.stage=[^ ]*//g' /proc/cmdline) vmkeep_test.stage=2"
		echo "@@ stage 1 kexec uptime=$(cut -d' ' -f1 /proc/uptime)"
		systemctl --no-block kexec
		;;
	2)
		t "libvirt-guests' start is over" wait_guests
		"check_$mode"
		for n in $(names); do
			t "virsh list: $n is running" in_state "$n" running
			read -r last tl first tf < <(across "$n")
			t "$n counts on from where it stopped (tick $last, then $first)" bash -c \
				"[ '$first' = $((last + 1)) ] && [ \$(sed -n '/ stop\$/,\$p' $state/$n.ts | grep -c 'BOOT\| bad \|ERROR') = 0 ]"
			[ -z "$first" ] ||
			echo "# libvirt: $n: downtime $(downtime_ms "$n") ms (tick $last at $tl, tick $first at $tf; the stamps are the guest's wall clock, within 1 s across the kexec: the RTC)"
		done
		den=$( (journalctl -k -b -1 -q -o cat; dmesg) | grep -i 'apparmor="DENIED"')
		[ -z "$den" ] || echo "$den" | sed 's/^/# libvirt: /'
		t "no AppArmor denial in either boot ($(echo -n "$den" | grep -c .) seen)" test -z "$den"
		for n in $(names); do
			virsh destroy "$n" >/dev/null 2>&1
		done
		echo "@@ stage 2 poweroff"
		systemctl --no-block poweroff
		;;
	esac
} >$out 2>&1
exit 0
