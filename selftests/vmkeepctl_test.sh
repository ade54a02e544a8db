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

# jsonhas REGEX: the last command's JSON, without blanks, matches REGEX.
jsonhas() {
	n=$((n + 1))
	if tr -d ' \n' <$out | grep -q -- "$1"; then
		echo "ok $n JSON has $1"
	else
		echo "not ok $n JSON has $1"
		sed 's/^/#   /' $out
		fail=1
	fi
}

echo "TAP version 13"
t 0 "status" -- vmkeepctl status
has "ready\|empty"
t 0 "status --json" -- vmkeepctl status --json
jsonhas '"pools":\[{' 
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
jsonhas '"name":"ctl-a"[^}]*"size":4194304'
jsonhas '"name":"ctl-a"[^}]*"mode":\("0640"\|416\)' 
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
t 0 "unload" -- vmkeepctl unload
t 0 "load again" -- vmkeepctl load
echo "1..$n"
exit $fail
