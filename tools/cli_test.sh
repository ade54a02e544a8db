#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cli_test.sh VMKEEPCTL - what vmkeepctl says and does without the module:
# usage errors (exit 2) found before /dev/vmkeep or the module is asked,
# help, bash completion, and what the docs and the host scripts say
# beside it.  VMKEEP_DEV points nowhere, so anything that reaches the
# device exits 4.  Prints KTAP.

set -uo pipefail
tool=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
top=$(cd "$(dirname "$0")/.." && pwd)
export VMKEEP_DEV=/nonexistent/vmkeep KMOD_LOG=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
n=0 rc=0

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		sed 's/^/#   /' "$out" | head -n 8
		rc=1
	fi
}

# t EXIT DESCRIPTION ARGS...: vmkeepctl ARGS exits EXIT.
t() {
	local want=$1 desc=$2 got
	shift 2
	"$tool" "$@" >"$out" 2>&1
	got=$?
	[ "$got" = "$want" ]
	ok $? "$desc (exit $got, expected $want)"
}

# has TEXT / hasnt TEXT: the last output has (not) TEXT.
has() { grep -qF -- "$1" "$out"; ok $? "output has '$1'"; }
hasnt() { ! grep -qF -- "$1" "$out"; ok $? "output has no '$1'"; }

echo "TAP version 13"

# help
t 0 "vm list --help" vm list --help
hasnt "NAME                 STATUS"
t 0 "help vm run" help vm run
has "usage: vmkeepctl vm run NAME --ram SIZE"
t 0 "help vm" help vm
has "vmkeepctl vm resume"

# sizes: junk, overflow and a bad multiple each say what is wrong
t 2 "alloc --size 2MiB" alloc --name x --size 2MiB
has "a number with K, M, G or T"
t 2 "alloc --size 99999999999T" alloc --name x --size 99999999999T
has "at most 16 EiB"
t 2 "alloc --size 3M" alloc --name x --size 3M
has "a non-zero multiple of 2 MiB"

t 2 "list --json=yes" list --json=yes
has "option '--json' takes no argument"
t 2 "--list-cmds=x" --list-cmds=x
has "option '--list-cmds' takes no argument"
t 2 "pool suggest extra" pool suggest extra --size 64G
has "unexpected operand 'extra'"
t 2 "pool bogus" pool bogus --size 64G
has "unknown subcommand 'bogus'"
t 2 "pool suggest --size 2M: below a pool's 4 MiB" pool suggest --size 2M
has "expected 4 MiB or more"
t 2 "alloc --name ''" alloc --name '' --size 2M
has "alloc '': the name is empty"
hasnt "  "

# checked before the module is asked
t 2 "alloc --align 1G --size 2M" alloc --name x --align 1G --size 2M
has "a multiple of 1G with --align 1G"
t 2 "load --pools 3M@0x1000" load --pools 3M@0x1000
has "not 2 MiB aligned"
t 2 "load --pools 1G@0x40000000:1G" load --pools 1G@0x40000000:1G
has "pages of 1 GiB need a pool of 2 GiB or more"
t 4 "alloc --size 2M reaches the device" alloc --name x --size 2M

# bash completion, from the tool's own tables
# shellcheck source=/dev/null
. "$top/tools/vmkeepctl.bash-completion"
compopt() { :; }
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	set +u	# as bash runs completion functions
	PATH=${complete_path:-$(dirname "$tool")}:$PATH _vmkeepctl 2>"$out.err"
	set -u
	printf '%s\n' "${COMPREPLY[@]}" >"$out"
	cat "$out.err" >>"$out"
	rm -f "$out.err"
}
complete_words vmkeepctl vm list --
has "--json"
complete_words vmkeepctl vm run vm1 --
has "--ram"
complete_words vmkeepctl vm run vm1 --ram 32M -- qemu-system-x86_6
has "qemu-system-x86_64"
complete_words vmkeepctl exec --region a:fd=3 -- qemu-system-x86_6
has "qemu-system-x86_64"
complete_words vmkeepctl vm ""
has "resume"
complete_words vmkeepctl al
has "alloc"
complete_words vmkeepctl libvirt ""
has "resume"
complete_words vmkeepctl libvirt setup --
has "--slots"
# Region names come from list's table of regions, not from the live
# update sessions after it: a vmkeepctl whose list prints both.
complete_path=$(mktemp -d)
cat >"$complete_path/vmkeepctl" <<EOF
#!/bin/sh
[ "\$1" = list ] || exec "$tool" "\$@"
printf 'NAME     SIZE\\nvm1-ram  4.00 GiB\\n\\nSESSION  STATE\\nsystemd  incoming\\n'
EOF
chmod +x "$complete_path/vmkeepctl"
complete_words vmkeepctl get ""
has "vm1-ram"
hasnt "systemd"
hasnt "SESSION"
rm -r "$complete_path"
unset complete_path

# libvirt: the hook leaves alone what did not opt in, refuses a shape it
# cannot serve before it asks vmkeep; setup's qemu.conf block, once.
lvxml() {
	printf "<domain type='qemu' id='3'>\n  <name>d1</name>\n  <uuid>0b5c3e7e-3b1c-4a8e-9f00-000000000001</uuid>\n%s  <memory unit='KiB'>65536</memory>\n%s  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n  </os>\n</domain>\n" "$1" "$2"
}
md="  <metadata>\n    <vmkeep:ram xmlns:vmkeep=\"https://vmkeep.example/libvirt/1\"/>\n  </metadata>\n"
for op in "prepare begin" "start begin" "restore begin" "release end"; do
	# shellcheck disable=SC2086
	lvxml "" "  <memoryBacking>\n    <source type='file'/>\n  </memoryBacking>\n" |
		"$tool" libvirt hook d1 $op - >"$out" 2>&1
	[ $? = 0 ] && [ ! -s "$out" ]
	ok $? "libvirt hook $op: a domain that did not opt in passes untouched"
done
lvxml "$(printf "$md")" "  <memoryBacking>\n    <source type='file'/>\n  </memoryBacking>\n" |
	"$tool" libvirt hook d1 prepare begin - >"$out" 2>&1
[ $? = 1 ]
ok $? "libvirt hook prepare: an opted-in domain without access shared is refused"
has "vmkeep: d1: RAM cannot be a vmkeep region: <memoryBacking> has no <access mode='shared'/>"
t 2 "libvirt enable without a domain" libvirt enable
t 2 "libvirt: unknown command" libvirt nosuch
t 2 "libvirt setup --slots 0" libvirt setup --slots 0 --qemu-conf /nonexistent
printf '#cgroup_device_acl = [\n#    "/dev/null", "/dev/kvm"\n#]\n' >"$out.conf"
chmod 600 "$out.conf"
t 0 "libvirt setup --print changes nothing" libvirt setup --qemu-conf "$out.conf" --slots 2 --print
has '"/dev/null", "/dev/kvm",'
has '"/run/vmkeep/libvirt/acl/01"'
t 0 "libvirt setup writes qemu.conf's block, with a backup" libvirt setup --qemu-conf "$out.conf" --slots 2
has "written (before: $out.conf.vmkeep-"
# qemu.conf may hold VNC/SPICE passwords: neither copy more readable
[ "$(stat -c %a "$out.conf" "$out.conf".vmkeep-* | sort -u)" = 600 ]
ok $? "libvirt setup: qemu.conf and its backup keep mode 0600 ($(stat -c %a "$out.conf" "$out.conf".vmkeep-* | tr '\n' ' '))"
t 0 "libvirt setup again changes nothing" libvirt setup --qemu-conf "$out.conf"
has "vmkeep's block is there already"
[ "$(grep -c 'BEGIN vmkeep' "$out.conf")" = 1 ] && grep -q '^cgroup_device_acl = \[' "$out.conf"
ok $? "qemu.conf has the block once"
echo 'cgroup_device_acl = [ "/dev/null" ]' >>"$out.conf"
t 1 "libvirt setup leaves an admin's own cgroup_device_acl alone" libvirt setup --qemu-conf "$out.conf"
has "sets cgroup_device_acl itself"
rm -f "$out.conf" "$out.conf".vmkeep-*

# The GRUB line: \\\$ for $ wherever an operator is told how to write it
# (scripts/grub-check.sh boots it through grub-mkconfig and GRUB).
"$tool" pool suggest --size 64M >"$out.suggest" 2>&1
for f in "$top/README.md" "$top/Documentation/admin-guide.rst" \
	 "$top/Documentation/vmkeepctl.rst" "$top/tools/host/grub.cfg" "$out.suggest"; do
	grep 'GRUB_CMDLINE_LINUX=' "$f" >"$out"
	name=${f#"$top/"}
	[ "$f" != "$out.suggest" ] || name="'pool suggest'"
	[ -s "$out" ] && ! grep -v 'memmap=[0-9]*[KMGT]\\\\\\\$0x' "$out"
	ok $? "every GRUB_CMDLINE_LINUX= line of $name writes memmap=SIZE\\\\\\\$ADDR"
done
rm -f "$out.suggest"

# README's demo is demo.plan's
grep -o 'vmflow.sh start [0-9]*' "$top/selftests/vm/plans/demo.plan" >"$out"
guests=$(awk '{ print $3 }' "$out")
words=(zero one two three four five six)
tr '\n' ' ' <"$top/README.md" | grep -qi "${words[$guests]} running guests"
ok $? "README's demo runs the ${words[$guests]} guests of demo.plan"

# The installed host scripts' PATH names each directory once.
d=$(mktemp -d)
make -s -C "$top/tools" install DESTDIR="$d" PREFIX=/usr >/dev/null 2>&1
for f in "$d/usr/lib/vmkeep/vmkeep-shutdown" "$d/etc/kernel/postinst.d/zz-vmkeep"; do
	sed -n 's/^PATH=//p' "$f" | tr ':' '\n' | sort | uniq -d >"$out"
	[ -f "$f" ] && [ ! -s "$out" ] && grep -qE '^PATH=/[a-z/]+(:/[a-z/]+)+$' "$f"
	ok $? "${f#"$d"}: PATH names each directory once"
done
rm -rf "$d"

# CPPFLAGS reach every compile: _FORTIFY_SOURCE from dpkg-buildflags.
for d in lib tools; do
	make -s -n -B -C "$top/$d" CPPFLAGS=-DVMKEEP_CPPFLAGS_SEEN \
		$([ $d = tools ] && echo vmkeepctl.inst) >"$out" 2>&1
	grep -q -- '-DVMKEEP_CPPFLAGS_SEEN' "$out" && ! grep -E '^(cc|gcc) .* -c ' "$out" | grep -qv -- '-DVMKEEP_CPPFLAGS_SEEN'
	ok $? "$d/Makefile passes CPPFLAGS to every compile"
done

echo "1..$n"
exit $rc
