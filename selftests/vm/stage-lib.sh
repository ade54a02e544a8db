#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stage-lib.sh - what the stage scripts of systemd-test.sh share, sourced
# from /usr/local/lib/vmkeep-test/ in the root: the console the results
# go to, the stage this boot runs (vmkeep_test.stage=, 1 without), the
# kernel, and t().
# shellcheck disable=SC2034

out=/dev/ttyS1
stage=1
for w in $(cat /proc/cmdline); do
	case $w in vmkeep_test.stage=*) stage=${w#*=} ;; esac
done
krel=$(uname -r)

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
