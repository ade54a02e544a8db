#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-synopsis.sh VMKEEPCTL RST - the man page's synopsis of every
# command is the one 'vmkeepctl help COMMAND' prints from the option
# tables (blanks and line breaks aside), and 'vmkeepctl --help' shows the
# synopsis of every top-level command whole.  Prints KTAP.

set -euo pipefail
tool=$1 rst=$2
n=0 rc=0

# The literal-block line "    vmkeepctl CMD ..." and its deeper-indented
# continuation lines, joined.  CMD may be two words ("vm run").
from_rst() {
	awk -v cmd="$1" '
		hit && /^     / { sub(/^ +/, ""); line = line " " $0; next }
		hit { exit }
		index($0, "    vmkeepctl " cmd " ") == 1 || $0 == "    vmkeepctl " cmd { hit = 1; line = $0 }
		END { print line }' "$rst" | tr -s ' ' | sed 's/^ //'
}

from_tool() {
	# shellcheck disable=SC2086
	"$tool" $1 --help | awk 'NR == 1 { sub(/^usage: /, ""); line = $0; next }
		/^ / && !done { line = line " " $0; next } { done = 1 }
		END { print line }' | tr -s ' '
}

# 'vmkeepctl --help': each command's whole synopsis, continuation lines joined.
main_help() {
	"$tool" --help | awk '/^  vmkeepctl / { if (line) print line; line = $0; next }
		/^      / && line { line = line " " $0; next }
		{ if (line) print line; line = "" }' | tr -s ' ' | sed 's/^ //'
}

echo "TAP version 13"
top=$(main_help)
# Commands with commands of their own ("vm run") come after their group.
cmds=$("$tool" --list-cmds)
for group in vm libvirt; do
	for sub in $("$tool" $group --list-cmds); do
		cmds="$cmds
$group $sub"
	done
done
while read -r cmd; do
	n=$((n + 1))
	want=$(from_tool "$cmd")
	have=$(from_rst "$cmd")
	if [ "$want" = "$have" ]; then
		echo "ok $n synopsis of $cmd"
	else
		echo "not ok $n synopsis of $cmd"
		echo "#   vmkeepctl help: $want"
		echo "#   $(basename "$rst"): ${have:-(none)}"
		rc=1
	fi
	[ "$cmd" = "${cmd% *}" ] || continue
	n=$((n + 1))
	if grep -qxF -- "$want" <<<"$top"; then
		echo "ok $n vmkeepctl --help shows the synopsis of $cmd"
	else
		echo "not ok $n vmkeepctl --help shows the synopsis of $cmd"
		rc=1
	fi
done <<EOF
$cmds
EOF
echo "1..$n"
exit $rc
