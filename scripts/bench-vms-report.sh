#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-vms-report.sh BENCHDIR DOCDIR - the "VM downtime on each QEMU"
# section of benchmarks.rst, from the bench-vms-VER plans of make bench
#
# Reads BENCHDIR/vms-VER/results.txt (VER 7.2, 10.0, 11.1; samples as
# "# vmbench: QEMU SWEEP METHOD VMS MIB METRIC VALUE" lines, see
# selftests/vmbench.sh), writes BENCHDIR/vms-summary.txt, the plot
# DOCDIR/bench-vms.png, and prints the section (rst) on stdout;
# bench-report.sh appends it to benchmarks.rst.  A QEMU whose results are
# missing is left out; with none, the section says how to get them.

set -euo pipefail

bench=${1:?usage: bench-vms-report.sh BENCHDIR DOCDIR}
doc=${2:?}
sum=$bench/vms-summary.txt
vers="7.2 10.0 11.1"

files=()
for v in $vers; do
	[ -s "$bench/vms-$v/results.txt" ] && files+=("$bench/vms-$v/results.txt")
done

cat <<'EOF'

VM downtime on each QEMU
========================

Running ``vkguest`` VMs (``guest/``) on each QEMU that Debian ships, in
the test VM under TCG (``selftests/vmbench.sh``, plans
``bench-vms-VER.plan``).  vmkeep: the VMs are started by ``vmkeepctl vm
run`` and saved by ``vmkeepctl update`` (all at once, x-ignore-shared;
QEMU 10.0 and 11.1 also ``cpr-reboot``), which quits them; the kexec is
left out (``update`` without ``--exec``, then ``thaw``), and ``vmkeepctl
vm resume --all`` brings them back in the same kernel.  Full copy: the
same guests, RAM in a region too, migrate without x-ignore-shared: RAM
and device state to a file in tmpfs, then a new QEMU loads it; also all
VMs at once.  Downtime is per VM, guest stopped to running again: save
(stop to QEMU gone) plus restore (QEMU start to running).  Bytes are per
VM: the whole migration stream, and for vmkeep the RAM pages in it
(``ram.normal-bytes``).  The bytes do not depend on speed.  The ratio is
of the medians (the two methods run one after the other, not paired).

EOF
if [ ${#files[@]} = 0 ]; then
	echo "No samples: run \`\`make bench\`\` (the bench-vms plans) to fill this section."
	exit 0
fi

# fig QEMU SWEEP METHOD VMS MIB METRIC N MEDIAN MIN MAX
cat "${files[@]}" | awk '
	$1 == "#" && $2 == "vmbench:" && NF == 9 {
		k = $3 " " $4 " " $5 " " $6 " " $7 " " $8
		if (!(k in n))
			order[++nk] = k
		val[k, ++n[k]] = $9
	}
	function sort(a, m,    i, j, t) {
		for (i = 2; i <= m; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
	}
	END {
		for (o = 1; o <= nk; o++) {
			k = order[o]
			m = n[k]
			for (i = 1; i <= m; i++)
				a[i] = val[k, i] + 0
			sort(a, m)
			med = m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
			printf "fig %s %d %.10g %.10g %.10g\n", k, m, med, a[1], a[m]
		}
	}' >"$sum"

num='function num(v) { return v >= 100 ? sprintf("%.0f", v) : sprintf("%.3g", v) }'
# fig QEMU SWEEP METHOD VMS MIB METRIC [DIVISOR]: "median (min-max)",
# the median alone when min and max print the same, or "n/a"
fig() {
	awk -v k="$1 $2 $3 $4 $5 $6" -v s="${7:-1}" "$num"'
		$1 == "fig" && $2 " " $3 " " $4 " " $5 " " $6 " " $7 == k {
			f = 1
			if (num($10 / s) == num($11 / s))
				printf "%s", num($9 / s)
			else
				printf "%s (%s-%s)", num($9 / s), num($10 / s), num($11 / s)
		}
		END { if (!f) printf "n/a" }' "$sum"
}
med() {
	awk -v k="$1 $2 $3 $4 $5 $6" '$1 == "fig" && $2 " " $3 " " $4 " " $5 " " $6 " " $7 == k { print $9 }' "$sum"
}
# ratio of the medians: full / vmkeep of METRIC
ratio() {
	local f v
	f=$(med "$1" "$2" full "$3" "$4" "$5")
	v=$(med "$1" "$2" vmkeep "$3" "$4" "$5")
	if [ -n "$f" ] && [ -n "$v" ]; then
		awk -v f="$f" -v v="$v" "$num"'BEGIN { print (v > 0 ? num(f / v) : "n/a") }'
	else
		echo n/a
	fi
}
# the values of column 5 (VMS) or 6 (MIB) seen in SWEEP, sorted
axis() {
	awk -v s="$1" -v c="$2" '$1 == "fig" && $3 == s { print $c }' "$sum" | sort -nu
}
row() { printf '   * - %s\n' "$1"; shift; for c; do printf '     - %s\n' "$c"; done; }
have() { grep -q "^fig $1 " "$sum"; }

echo ".. list-table:: Downtime against guest RAM: one VM"
printf '   :header-rows: 1\n\n'
row QEMU "guest RAM (MiB)" "vmkeep downtime (ms)" "full copy downtime (ms)" \
	"full / vmkeep" "vmkeep KiB migrated: stream; RAM pages" "full copy KiB migrated"
for v in $vers; do
	have "$v ram" || continue
	for m in $(axis ram 6); do
		row "$v" "$m" "$(fig "$v" ram vmkeep 1 "$m" downtime_ms)" \
			"$(fig "$v" ram full 1 "$m" downtime_ms)" \
			"$(ratio "$v" ram 1 "$m" downtime_ms)" \
			"$(fig "$v" ram vmkeep 1 "$m" stream_bytes 1024); $(fig "$v" ram vmkeep 1 "$m" ram_bytes 1024)" \
			"$(fig "$v" ram full 1 "$m" stream_bytes 1024)"
	done
done
echo
mib=$(awk '$1 == "fig" && $3 == "vms" { print $6; exit }' "$sum")
echo ".. list-table:: Downtime against the number of VMs, ${mib:-?} MiB each (per VM)"
printf '   :header-rows: 1\n\n'
row QEMU VMs "vmkeep downtime (ms)" "vmkeep save (ms)" "vmkeep restore (ms)" \
	"full copy downtime (ms)" "full / vmkeep" "vmkeep KiB migrated" "full copy KiB migrated"
for v in $vers; do
	have "$v vms" || continue
	for k in $(axis vms 5); do
		row "$v" "$k" "$(fig "$v" vms vmkeep "$k" "$mib" downtime_ms)" \
			"$(fig "$v" vms vmkeep "$k" "$mib" save_ms)" \
			"$(fig "$v" vms vmkeep "$k" "$mib" restore_ms)" \
			"$(fig "$v" vms full "$k" "$mib" downtime_ms)" \
			"$(ratio "$v" vms "$k" "$mib" downtime_ms)" \
			"$(fig "$v" vms vmkeep "$k" "$mib" stream_bytes 1024)" \
			"$(fig "$v" vms full "$k" "$mib" stream_bytes 1024)"
	done
done

# Plot data: X median min max (seconds), one file per QEMU, sweep, method.
plots=()
for s in ram vms; do
	for v in $vers; do
		for meth in vmkeep full; do
			f=$bench/vms-plot-$s-$v-$meth.dat
			awk -v k="$v $s $meth" -v s="$s" '
				$1 == "fig" && $2 " " $3 " " $4 == k && $7 == "downtime_ms" {
					print (s == "ram" ? $6 : $5), $9 / 1000, $10 / 1000, $11 / 1000 }' "$sum" |
				sort -n >"$f"
			[ -s "$f" ] && plots+=("$s:$v:$meth:$f")
		done
	done
done
plot_cmd() {
	local s=$1 first=1 p v meth f
	for p in "${plots[@]}"; do
		IFS=: read -r ps v meth f <<<"$p"
		[ "$ps" = "$s" ] || continue
		[ $first = 1 ] || printf ', '
		first=0
		printf '"%s" using 1:2:3:4 with yerrorlines dt %s title "%s QEMU %s"' \
			"$f" "$([ "$meth" = full ] && echo 2 || echo 1)" \
			"$([ "$meth" = full ] && echo "full copy," || echo "vmkeep,")" "$v"
	done
	echo
}
if command -v gnuplot >/dev/null; then
	gnuplot <<EOF
set terminal pngcairo size 1000,450 font ",10"
set output "$doc/bench-vms.png"
set grid
set key top left
set multiplot layout 1,2 title "VM downtime per VM (save + restore, kexec excluded), TCG"
set logscale x 2
set xlabel "guest RAM (MiB), one VM"
set ylabel "seconds: median, min-max"
set yrange [0:*]
plot $(plot_cmd ram)
set xlabel "VMs of ${mib:-?} MiB, saved and restored at once"
plot $(plot_cmd vms)
unset multiplot
EOF
	printf '\n.. image:: bench-vms.png\n'
fi
echo "bench-vms-report: $sum, $doc/bench-vms.png" >&2
