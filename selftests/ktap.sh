# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the shell tests (". ${0%/*}/ktap.sh"):
#   ok STATUS DESCRIPTION  prints "ok N DESCRIPTION" when STATUS is 0, else
#                          "not ok N DESCRIPTION" and sets fail=1; N counts
#                          from 1
#   now_ms                 milliseconds since boot

n=0
fail=0

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		fail=1
	fi
}

now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
