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
#   cold:     the negative control: ON_SHUTDOWN=shutdown; vkguest ignores
#             ACPI, so the domains die with the kexec and boot anew after
#             it: every "counts on" line must fail.
# A new path is three functions: prepare_NAME (before the domains start),
# update_NAME (with them running, before 'systemctl kexec') and check_NAME
# (after it, before the checks every path has).

out=/dev/ttyS1
stage=1
mode=baseline
for w in $(cat /proc/cmdline); do
	case $w in
	vmkeep_test.stage=*) stage=${w#*=} ;;
	vmkeep_test.mode=*) mode=${w#*=} ;;
	esac
done
krel=$(uname -r)
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

# t DESCRIPTION COMMAND...: one result line; the output as diagnostics.
t() {
	local desc=$1 o rc
	shift
	o=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok - stage $stage: $desc"
	else
		echo "not ok - stage $stage: $desc # exit $rc"
	fi
	[ -z "$o" ] || echo "$o" | sed 's/^/#   /'
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
