#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ktap-summary.sh FILE... - count KTAP results, print "N passed, N failed,
# N skipped", exit non-zero when anything failed or nothing ran.

awk '
/^ok [0-9]+ .*# *[Ss][Kk][Ii][Pp]/ { skip++; next }
/^ok [0-9]+ /                       { pass++; next }
/^not ok [0-9]+ /                   { fail++; print "FAILED: " $0 }
END {
	printf "%d passed, %d failed, %d skipped\n", pass, fail, skip
	exit (fail > 0 || pass + skip == 0)
}' "$@"
