#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-report.sh RESULTS OUTDIR DOCDIR - the report of a make bench run
#
# From the VM's results.txt (samples as "# bench:" lines) writes
# OUTDIR/summary.txt (bench-report.awk), OUTDIR/bench.json, and into
# DOCDIR benchmarks.rst with the tables and two gnuplot plots:
# bench-handoff.png (restore time vs region size and count) and
# bench-downtime.png (VM downtime vs guest RAM, vmkeep and full copy);
# bench-vms-report.sh adds the section of the bench-vms plans
# (OUTDIR/vms-VER/results.txt) and bench-vms.png, bench-luo-report.sh
# the live update section (OUTDIR/vm-luo).

set -euo pipefail

results=${1:?usage: bench-report.sh RESULTS OUTDIR DOCDIR}
out=${2:?}
doc=${3:?}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out" "$doc"
sum=$out/summary.txt
awk -f "$top/scripts/bench-report.awk" "$results" >"$sum"
[ -s "$sum" ] || { echo "bench-report: no samples in $results" >&2; exit 1; }
vm=$(dirname "$results")/vm.env
kernel=$(sed -n 's/^KREL=//p' "$vm" 2>/dev/null || echo unknown)
accel=$(sed -n 's/^ACCEL=//p' "$vm" 2>/dev/null || echo unknown)
date=$(date -u +%Y-%m-%d)

# Whole numbers from 100 up, three digits below.
num='function num(v) { return v >= 100 ? sprintf("%.0f", v) : sprintf("%.3g", v) }'
# fig GROUP LABEL METRIC [DIVISOR]: "median (min-max)", or "n/a".
fig() {
	awk -v k="$1 $2 $3" -v scale="${4:-1}" "$num"'
		$1 == "fig" && $2 " " $3 " " $4 == k {
			printf "%s (%s-%s)", num($6 / scale), num($7 / scale), num($8 / scale); f = 1 }
		END { if (!f) printf "n/a" }' "$sum"
}
ratio() {
	awk -v k="$1" "$num"'
		$1 == "ratio" && $2 == k {
			printf "%s (%s-%s)", num($4), num($5), num($6); f = 1 }
		END { if (!f) printf "n/a" }' "$sum"
}

# JSON: every figure with its samples, every ratio.
awk -v kernel="$kernel" -v accel="$accel" -v date="$date" '
	BEGIN { printf "{\n  \"kernel\": \"%s\",\n  \"accel\": \"%s\",\n  \"date\": \"%s\",\n", kernel, accel, date }
	$1 == "fig" {
		figs = figs (nf++ ? ",\n" : "") sprintf("    {\"group\": \"%s\", \"label\": \"%s\", \"metric\": \"%s\", \"n\": %d, \"median\": %s, \"min\": %s, \"max\": %s, \"samples\": [%s]}", $2, $3, $4, $5, $6, $7, $8, $9)
	}
	$1 == "ratio" {
		ratios = ratios (nr++ ? ",\n" : "") sprintf("    {\"name\": \"%s\", \"n\": %d, \"median\": %s, \"min\": %s, \"max\": %s}", $2, $3, $4, $5, $6)
	}
	END { printf "  \"figures\": [\n%s\n  ],\n  \"ratios\": [\n%s\n  ]\n}\n", figs, ratios }
' "$sum" >"$out/bench.json"

# Plot data: X median min max.
: >"$out/handoff-size.dat"
for s in 64:size-64M 1024:size-1G 3072:size-3G; do
	awk -v x="${s%%:*}" -v k="handoff ${s#*:} restore_us" \
		'$1 == "fig" && $2 " " $3 " " $4 == k { print x, $6, $7, $8 }' "$sum" >>"$out/handoff-size.dat"
done
: >"$out/handoff-count.dat"
for c in 1 100 1000; do
	awk -v x=$c -v k="handoff count-$c restore_us" \
		'$1 == "fig" && $2 " " $3 " " $4 == k { print x, $6, $7, $8 }' "$sum" >>"$out/handoff-count.dat"
done
sizes=$(awk '$1 == "fig" && $2 == "downtime" && $3 ~ /^vmkeep-/ && $4 == "downtime_ms" {
		sub(/^vmkeep-/, "", $3); sub(/M$/, "", $3); print $3 }' "$sum" | sort -n)
for m in vmkeep full; do
	: >"$out/downtime-$m.dat"
	for s in $sizes; do
		awk -v x="$s" -v k="downtime $m-${s}M downtime_ms" \
			'$1 == "fig" && $2 " " $3 " " $4 == k { print x, $6 / 1000, $7 / 1000, $8 / 1000 }' \
			"$sum" >>"$out/downtime-$m.dat"
	done
done

for b in vmkeep memfd hugetlb; do
	: >"$out/alloc-$b.dat"
	for s in 2 16 128 1024 4096; do
		awk -v x="$s" -v k="alloc $b-${s}M us" \
			'$1 == "fig" && $2 " " $3 " " $4 == k { print x, $6 / 1000, $7 / 1000, $8 / 1000 }' \
			"$sum" >>"$out/alloc-$b.dat"
	done
done

gnuplot <<EOF
set terminal pngcairo size 800,500 font ",10"
set grid
set key top left
set output "$doc/bench-alloc.png"
set title "Time to get memory ready to use vs size ($kernel, $accel)"
set logscale xy
set xlabel "size (MiB)"
set ylabel "ms: median, min-max (log)"
plot "$out/alloc-vmkeep.dat" using 1:2:3:4 with yerrorlines title "vmkeep ALLOC", \
     "$out/alloc-memfd.dat" using 1:2:3:4 with yerrorlines title "memfd + fallocate", \
     "$out/alloc-hugetlb.dat" using 1:2:3:4 with yerrorlines title "hugetlbfs memfd + fallocate"
EOF

gnuplot <<EOF
set terminal pngcairo size 800,500 font ",10"
set grid
set key top left
set output "$doc/bench-handoff.png"
set multiplot layout 1,2 title "vmkeep handoff: restore at module load after kexec ($kernel, $accel)"
set logscale x
set xlabel "region size (MiB), one region"
set ylabel "restore time (us): median, min-max"
set yrange [0:*]
plot "$out/handoff-size.dat" using 1:2:3:4 with yerrorlines title "restore"
set xlabel "regions of 2 MiB (log-log: slope 1 is linear)"
set logscale y
set yrange [*:*]
plot "$out/handoff-count.dat" using 1:2:3:4 with yerrorlines title "restore"
unset multiplot
set output "$doc/bench-downtime.png"
unset logscale
set title "VM downtime (save + restore, kexec excluded) vs guest RAM ($kernel, $accel)"
set xlabel "guest RAM (MiB)"
set ylabel "seconds: median, min-max"
plot "$out/downtime-full.dat" using 1:2:3:4 with yerrorlines title "full RAM copy to a file", \
     "$out/downtime-vmkeep.dat" using 1:2:3:4 with yerrorlines title "vmkeep (x-ignore-shared)"
EOF

# benchmarks.rst
row() { printf '   * - %s\n' "$1"; shift; for c; do printf '     - %s\n' "$c"; done; }
table() {
	printf '.. list-table::\n   :header-rows: 1\n\n'
	row "$@"
}
{
cat <<EOF
.. SPDX-License-Identifier: GPL-2.0
.. Generated by make bench (scripts/bench-report.sh); do not edit.

==========
Benchmarks
==========

\`\`make bench\`\` boots test VMs (bench.plan; bench-scale.plan for
allocation and first touch; bench-luo.plan for live update) and
measures vmkeep beside what an operator would use instead, side by
side in the same VM.  Every figure is
the median of its repetitions, with the minimum and maximum in brackets;
every ratio is computed repetition by repetition (both sides of a pair
from the same repetition in the same VM), then summarised the same way.
The raw samples are in \`\`.cache/bench/bench.json\`\`.

This run: kernel $kernel, QEMU $accel, $date.  Under TCG every CPU
instruction is emulated, so absolute times are many times slower than on
hardware and noisy; only the ratios and the counts (page faults, bytes
migrated, metadata bytes) carry over to real hardware.

Handoff
=======

Each configuration lives in its own pool, so the module reports its
restore time (validating the metadata, rebuilding the pool, creating the
region objects) separately; each kexec is one repetition.  The three
sizes live in pools of the same size (3 GiB), so that only the region
size differs: a pool's restore runs right after its struct pages are set
up, and that leaves caches colder the larger the pool is.  The first pool
restored pays once for what runs for the first time (under TCG that
includes translating the code), so it holds a 2 MiB region of its own and
is reported apart.  "Write" is the metadata write of FREEZE, which the
reboot notifier repeats before the kexec.  Metadata bytes are for one
copy; the pool keeps two.

EOF
table configuration "restore (us)" "write (us)" "metadata (bytes)" "metadata per region (bytes)"
for c in first size-64M size-1G size-3G count-1 count-100 count-1000; do
	row "$c" "$(fig handoff $c restore_us)" "$(fig handoff $c commit_us)" \
		"$(fig handoff $c meta_bytes)" "$(fig handoff $c meta_bytes_per_region)"
done
cat <<EOF

- restore, 3 GiB / 64 MiB region: $(ratio handoff-restore-size-3G/size-64M) (flat in size: at most 1.2)
- restore, 1 GiB / 64 MiB region: $(ratio handoff-restore-size-1G/size-64M)
- restore, 100 / 1 regions: $(ratio handoff-restore-count-100/count-1) (linear: at most 100)
- restore, 1000 / 100 regions: $(ratio handoff-restore-count-1000/count-100) (linear: at most 10)
- write, 1000 / 100 regions: $(ratio handoff-write-count-1000/count-100) (linear: at most 10)
- the next kernel, kexec to /init (ms): $(fig kexec next-kernel boot_ms)

.. image:: bench-handoff.png

Mapping
=======

Time to map 1 GiB afresh and write one byte to every 4 KiB page, the
memory being allocated beforehand (ALLOC, fallocate), so that only the
mapping is measured.  Page faults per GiB do not depend on speed: 512
means every fault mapped 2 MiB.

EOF
table backend "faults per GiB" "time (ms)" "time, vmkeep / backend"
for b in vmkeep memfd memfd-thp hugetlb; do
	r=$( [ $b = vmkeep ] && echo 1 || ratio map-time-vmkeep/$b)
	row "$b" "$(fig map $b faults_per_gib)" "$(fig map $b us 1000)" "$r"
done
cat <<EOF

Allocation
==========

Time to get memory ready to use, by size: ALLOC beside memfd_create +
fallocate and a hugetlbfs memfd (2 MiB pages) + fallocate, both of which
allocate and zero every page.  ALLOC clears nothing: each 2 MiB unit is
cleared at its first touch, whatever reaches it (fault, read, write,
get_user_pages), and a background worker clears what nobody touches
(kmod/vmkeep_zero.c), so ALLOC costs an ioctl, a metadata write and a
file, whatever the size.  memfd and hugetlbfs stop at 1 GiB: their
memory is the test VM's own RAM.

EOF
table "size (MiB)" "vmkeep ALLOC (ms)" "memfd + fallocate (ms)" "hugetlbfs + fallocate (ms)"
for s in 2 16 128 1024 4096; do
	row "$s" "$(fig alloc vmkeep-${s}M us 1000)" "$(fig alloc memfd-${s}M us 1000)" \
		"$(fig alloc hugetlb-${s}M us 1000)"
done
cat <<EOF

- ALLOC 4 GiB / ALLOC 2 MiB: $(ratio alloc-vmkeep-4096M/2M) (goal: at most 2)
- ALLOC 1 GiB / ALLOC 2 MiB: $(ratio alloc-vmkeep-1024M/2M)
- ALLOC 1 GiB / memfd + fallocate 1 GiB: $(ratio alloc-vmkeep/memfd-1024M)
- ALLOC 1 GiB / hugetlbfs + fallocate 1 GiB: $(ratio alloc-vmkeep/hugetlb-1024M)

.. image:: bench-alloc.png

First touch
===========

What a VMM's first run pays for 1 GiB: get it (ALLOC, or a hugetlbfs
memfd of 2 MiB pages with ftruncate only), map it, and write one byte per
4 KiB page; both clear memory as it is touched (vmkeep's background
worker may clear some units first, on the other vCPU).  vmkeep from a
pool of 1 GiB pages (\`\`--align 1G\`\`: PUD entries) and from one of
2 MiB pages (PMD entries); the three alternate within each repetition.

EOF
table "backend" "faults per GiB" "time (ms)" "vmkeep / hugetlbfs"
row "vmkeep, 1 GiB pages" "$(fig firsttouch vmkeep-1G faults_per_gib)" \
	"$(fig firsttouch vmkeep-1G us 1000)" "$(ratio firsttouch-vmkeep-1G/hugetlb) (goal: at most 1.1)"
row "vmkeep, 2 MiB pages" "$(fig firsttouch vmkeep-2M faults_per_gib)" \
	"$(fig firsttouch vmkeep-2M us 1000)" "$(ratio firsttouch-vmkeep-2M/hugetlb)"
row "hugetlbfs, 2 MiB pages" "$(fig firsttouch hugetlb faults_per_gib)" \
	"$(fig firsttouch hugetlb us 1000)" "1"
cat <<EOF

Pool scale
==========

Loading the module with one pool of each size, at the same address, over
the bench's reserved memory (the metadata found there belongs to a pool
of another size, so it is left alone).  "Load" is insmod as a whole;
"struct pages" is memremap_pages(), which bounds it.  Struct-page memory
is the growth of nr_memmap in /proc/vmstat (6.11 on; n/a before) and the
drop of MemFree, per GiB of pool.  The pool's struct pages are compound
pages of its page size (vmemmap_shift, as device-dax makes them): where
the kernel shares the vmemmap of tail pages, 16 MiB per GiB become
4 MiB with 2 MiB pages and about 8 KiB with 1 GiB pages.

EOF
table "pool" "load (ms)" "struct pages (ms)" "memmap (KiB/GiB)" "MemFree drop (KiB/GiB)"
for g in 1 4 8 11 15 16 20; do
	for p in 2M 1G; do
		[ "$(fig poolscale "${g}G-$p" load_us)" = n/a ] && continue
		row "$g GiB, $p pages" "$(fig poolscale "${g}G-$p" load_us 1000)" \
			"$(fig poolscale "${g}G-$p" memremap_us 1000)" \
			"$(fig poolscale "${g}G-$p" memmap_kib_per_gib)" \
			"$(fig poolscale "${g}G-$p" memfree_kib_per_gib)"
	done
done
cat <<EOF

- load, 15 GiB / 1 GiB pool (2 MiB pages): $(ratio poolscale-load-15G/1G) (linear: at most 15)
- load, 15 GiB / 4 GiB pool (2 MiB pages): $(ratio poolscale-load-15G/4G) (linear: at most 3.75)
- load, 15 GiB / 4 GiB pool (1 GiB pages): $(ratio poolscale-load-1G-pages-15G/4G) (linear: at most 3.75)

VM downtime
===========

The end-to-end flow of \`\`selftests/e2e_qemu.sh\`\` with QEMU under TCG
in the test VM, guest RAM filled with a pattern.  vmkeep: QEMU is
stopped and migrates with x-ignore-shared (RAM stays in the region);
after the kexec a new QEMU maps the region and loads the device state.
Full copy: the same guest with RAM in a tmpfs file migrates everything
to a file and a new QEMU loads it back, in the same kernel.  Downtime is
save (stop to state saved) plus restore (QEMU start to all RAM present);
the kexec itself, the same for both, is reported under Handoff.  The
full copy stops at 1 GiB ("n/a" above that): under TCG one copy of 2 GiB
takes four and a half minutes, and three would take make bench past 30.

EOF
table "guest RAM" "method" "RAM migrated (KiB)" "save (ms)" "restore (ms)" "downtime (ms)" "full / vmkeep"
for s in $sizes; do
	row "$s MiB" vmkeep "$(fig downtime vmkeep-${s}M ram_kib)" "$(fig downtime vmkeep-${s}M save_ms)" \
		"$(fig downtime vmkeep-${s}M restore_ms)" "$(fig downtime vmkeep-${s}M downtime_ms)" ""
	row "" "full copy" "$(fig downtime full-${s}M ram_kib)" "$(fig downtime full-${s}M save_ms)" \
		"$(fig downtime full-${s}M restore_ms)" "$(fig downtime full-${s}M downtime_ms)" \
		"$(ratio downtime-full/vmkeep-${s}M) in time, $(ratio ram-migrated-full/vmkeep-${s}M) in bytes"
done
cat <<EOF

.. image:: bench-downtime.png
EOF
} >"$doc/benchmarks.rst"
# VM downtime on each QEMU (the bench-vms plans): its own section and plot.
"$top/scripts/bench-vms-report.sh" "$out" "$doc" >>"$doc/benchmarks.rst"
# The live update step (bench-luo.plan): memfd copies beside memcpy.
"$top/scripts/bench-luo-report.sh" "$out" >>"$doc/benchmarks.rst"
echo "bench-report: $out/bench.json, $doc/benchmarks.rst, $doc/bench-handoff.png, $doc/bench-downtime.png" >&2
