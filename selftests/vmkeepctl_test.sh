#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmkeepctl against the real module: every command, its exit code and
# its output.  Prints KTAP.  Needs the module loaded with a pool and no
# region named "ctl-*".

set -u
n=0
fail=0
out=/tmp/vmkeepctl_test.out

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

# has TEXT: the last command's output contains TEXT.
has() {
	n=$((n + 1))
	if grep -q -- "$1" $out; then
		echo "ok $n output has '$1'"
	else
		echo "not ok $n output has '$1'"
		sed 's/^/#   /' $out
		fail=1
	fi
}

# hasnot TEXT: the last command's output does not contain TEXT.
hasnot() {
	n=$((n + 1))
	if ! grep -q -- "$1" $out; then
		echo "ok $n output lacks '$1'"
	else
		echo "not ok $n output lacks '$1'"
		sed 's/^/#   /' $out
		fail=1
	fi
}

# jq_true EXPR: jq's EXPR is true of the last command's JSON (its first
# value, from the first line that opens one: a message may follow it).
jq_true() {
	n=$((n + 1))
	if sed -n '/^[{[]/,$p' $out | jq -e -n "input | $1" >/dev/null 2>&1; then
		echo "ok $n JSON: $1"
	else
		echo "not ok $n JSON: $1"
		sed 's/^/#   /' $out
		fail=1
	fi
}

echo "TAP version 13"
t 0 "status" -- vmkeepctl status
has "ready\|empty"
t 0 "status --json" -- vmkeepctl status --json
jq_true '.pools | length > 0'
t 0 "alloc with mode and exclusive" -- vmkeepctl alloc --name ctl-a --size 4M --mode 0640 --exclusive
t 1 "alloc of an existing name fails" -- vmkeepctl alloc --name ctl-a --size 4M
has "ctl-a"
t 2 "alloc with a bad name is a usage error" -- vmkeepctl alloc --name 'ctl/a' --size 4M
t 2 "alloc with a bad size is a usage error" -- vmkeepctl alloc --name ctl-b --size 3Q
t 1 "alloc bigger than the pool fails" -- vmkeepctl alloc --name ctl-b --size 64G
has "No space left on device"
t 0 "list" -- vmkeepctl list
has "ctl-a"
t 0 "list --json" -- vmkeepctl list --json
jq_true '.regions[] | select(.name == "ctl-a") | .size == 4194304'
jq_true '.regions[] | select(.name == "ctl-a") | .mode == "0640"'
t 0 "get" -- vmkeepctl get ctl-a
t 1 "get of an unknown region fails" -- vmkeepctl get ctl-nosuch
has "ctl-nosuch"
t 0 "exec leaves the region open on fd 10 without CLOEXEC" -- \
	vmkeepctl exec --region ctl-a:fd=10 -- sh -c 'test -e /proc/self/fd/10'
t 0 "exec: fill through the fd" -- vmkeepctl exec --region ctl-a:fd=10 -- vkpattern fill /proc/self/fd/10 7
t 0 "exec: the bytes are there on a second open" -- vmkeepctl exec --region ctl-a:fd=12 -- vkpattern check /proc/self/fd/12 7
t 0 "qemu-args" -- vmkeepctl qemu-args ctl-a
has "mem-path=/proc/self/fd/10"
has "size=4194304"
t 0 "freeze" -- vmkeepctl freeze
t 1 "alloc while frozen fails" -- vmkeepctl alloc --name ctl-b --size 2M
t 0 "thaw" -- vmkeepctl thaw
t 0 "finish one" -- vmkeepctl finish ctl-a
t 0 "finish --all" -- vmkeepctl finish --all
# The interlock: a command line that would lose the pool is refused.
t 3 "kexec refuses a command line without memmap=" -- \
	vmkeepctl kexec --kernel /boot/vmlinuz --append "console=ttyS0"
has "memmap"
pools=$(grep -o 'vmkeep.pools=[^ ]*' /proc/cmdline)
t 3 "kexec refuses a command line without vmkeep.pools=" -- \
	vmkeepctl kexec --kernel /boot/vmlinuz --append "console=ttyS0 $(grep -o 'memmap=[^ ]*' /proc/cmdline)"
t 3 "kexec refuses a pool that is not reserved" -- \
	vmkeepctl kexec --kernel /boot/vmlinuz --append "console=ttyS0 $pools"
t 0 "free" -- vmkeepctl free ctl-a
t 1 "free of a freed region fails" -- vmkeepctl free ctl-a
t 1 "format of a pool that does not exist fails" -- vmkeepctl format --pool 7
t 0 "pool suggest" -- vmkeepctl pool suggest --size 64M
has "vmkeep.pools="
t 0 "kexec --check: this kernel, this line" -- \
	vmkeepctl kexec --check --kernel /boot/vmlinuz --reuse-cmdline
has "^module   ok .*vmkeep.ko, vermagic $(uname -r)"
has "^initrd   WARN   none given: .*CONFIG_BLK_DEV_INITRD=y"
t 0 "alloc a region for the pool to hold" -- vmkeepctl alloc --name ctl-k --size 2M
t 3 "kexec --check: a line without the pools" -- \
	vmkeepctl kexec --check --json --kernel /boot/vmlinuz --command-line console=ttyS0
jq_true '.safe == false'
jq_true '.checks.cmdline.ok == false'
# no --initrd: a warning, which fails nothing
jq_true '.checks.initrd.ok and .checks.initrd.warning'
t 0 "free it" -- vmkeepctl free ctl-k
t 3 "kexec --check: a release without vmkeep.ko" -- \
	vmkeepctl kexec --check --kernel /boot/vmlinuz --release 0.0-none --reuse-cmdline
has "^module   FAILED no vmkeep.ko in /lib/modules/0.0-none"
t 3 "kexec --check: a missing initrd" -- \
	vmkeepctl kexec --check --kernel /boot/vmlinuz --initrd /boot/nosuch --reuse-cmdline
has "^initrd   FAILED /boot/nosuch: No such file"

# Messages: one line with one prefix, naming what is wrong.
t 2 "an unknown option" -- vmkeepctl alloc --bogus
has "^vmkeepctl: alloc: unknown option '--bogus'$"
t 2 "an unknown top-level option" -- vmkeepctl --bogus
has "^vmkeepctl: unknown option '--bogus'$"
t 2 "an option without its argument" -- vmkeepctl alloc --size
has "^vmkeepctl: alloc: option '--size' needs an argument$"
t 2 "a missing required option is named" -- vmkeepctl alloc --size 4M
has "^vmkeepctl: alloc: --name is required$"
t 2 "kexec without a command line names the options" -- vmkeepctl kexec --kernel /boot/vmlinuz
has "^vmkeepctl: kexec: --append, --command-line or --reuse-cmdline is required$"
t 2 "--owner with an unknown user" -- vmkeepctl alloc --name ctl-o --size 2M --owner ctl-nouser:root
has "no user 'ctl-nouser'"
t 2 "--owner with an unknown group" -- vmkeepctl alloc --name ctl-o --size 2M --owner root:ctl-nogroup
has "no group 'ctl-nogroup'"
t 1 "a device that is not vmkeep's" -- env VMKEEP_DEV=/dev/null vmkeepctl status
has "not the vmkeep module's device"
hasnot "loaded vmkeep module"
t 1 "pool suggest without room" -- vmkeepctl pool suggest --size 64T
has "has no 2 MiB aligned"
hasnot "No space left"
# vm stop and vm rm act on a VM's manifest only, never on a bare region.
t 2 "vm stop without a NAME" -- vmkeepctl vm stop
t 1 "vm stop of a VM that does not exist" -- vmkeepctl vm stop ctl-novm
has "ctl-novm-state"
t 1 "vm rm of a VM that does not exist" -- vmkeepctl vm rm ctl-novm
t 0 "a region named like a VM's state region" -- vmkeepctl alloc --name ctl-v-state --size 2M
t 1 "vm rm refuses a NAME-state without a manifest" -- vmkeepctl vm rm ctl-v
has "no VM manifest"
t 0 "the region stays" -- vmkeepctl get ctl-v-state
t 0 "free it" -- vmkeepctl free ctl-v-state
t 0 "--version" -- vmkeepctl --version
has "^vmkeepctl [0-9]"
t 0 "status --json has the versions" -- vmkeepctl status --json
jq_true '.module_version | test("^[0-9]")'
jq_true '.format == "vmkeep-v1" and .format_version == 2'
t 0 "unload" -- vmkeepctl unload
# libkmod reads modprobe.d before libvmkeep can silence it.
mkdir -p /etc/modprobe.d
echo "ctl-bogus line" >/etc/modprobe.d/ctl-bad.conf
t 0 "load again, with a bad modprobe.d line" -- vmkeepctl load
hasnot "libkmod"
rm -f /etc/modprobe.d/ctl-bad.conf
echo "1..$n"
exit $fail
