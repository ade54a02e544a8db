#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-lib.sh - figures of a bench-report.awk summary ($sum), for the
# report scripts (sourced; the caller sets $sum)
# shellcheck disable=SC2154

# Whole numbers from 100 up, three digits below.
num='function num(v) { return v >= 100 ? sprintf("%.0f", v) : sprintf("%.3g", v) }'
# fig GROUP LABEL METRIC [DIVISOR]: "median (min-max)", or "n/a".
fig() {
	awk -v k="$1 $2 $3" -v scale="${4:-1}" "$num"'
		$1 == "fig" && $2 " " $3 " " $4 == k {
			printf "%s (%s-%s)", num($6 / scale), num($7 / scale), num($8 / scale); f = 1 }
		END { if (!f) printf "n/a" }' "$sum"
}
# ratio NAME: "median (min-max)", or "n/a".
ratio() {
	awk -v k="$1" "$num"'
		$1 == "ratio" && $2 == k {
			printf "%s (%s-%s)", num($4), num($5), num($6); f = 1 }
		END { if (!f) printf "n/a" }' "$sum"
}
