#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-luo-report.sh BENCHDIR - the "Live update: memfd copies" section
# of benchmarks.rst, from the run of bench-luo.plan in BENCHDIR/vm-luo
#
# The guest's samples (selftests/vkluobench.c, bench.sh luo-load) are in
# results.txt.  The copy at the kexec is timed by the kernel that kexecs:
# its line "live update: N bytes of memfds copied in T us" is in the
# console after vkluobench's "vkluobench: SIZE rep REP", which says whose
# copy it is (one memfd per kexec).  Writes BENCHDIR/luo-samples.txt (all
# of them as "# bench:" lines; make bench adds them to results.txt) and
# BENCHDIR/luo-summary.txt (bench-report.awk), and prints the section
# (rst) on stdout; bench-report.sh appends it to benchmarks.rst.
# BENCHDIR/luo-host.txt, if there, says what else ran on the host.

set -euo pipefail

bench=${1:?usage: bench-luo-report.sh BENCHDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
run=$bench/vm-luo
sum=$bench/luo-summary.txt
sizes="64 256 1024"

cat <<'EOF'

Live update: memfd copies
=========================

What a memfd preserved through ``/dev/liveupdate`` (``vmkeep.luo=1``)
costs, beside a plain ``memcpy()`` of the same size in the same boot
(``selftests/vkluobench.c``, plan ``bench-luo.plan``).  Each kexec
carries one memfd of 64, 256 or 1024 MiB filled with a pattern; three
repetitions of the three sizes.  Before the kexec the memfd's bytes are
copied once from its mapping into an anonymous buffer whose pages were
touched first (memcpy before), then the memfd is preserved in a session
that a daemon holds.  The reboot notifier copies them into the pool
(``kernel_read()`` of the memfd and a crc32c over the bytes) and logs the
time, which is read from the console (kexec copy).  In the next kernel
``vmkeepctl load`` checks the bytes against that checksum (its time is
``load``, module load and pool restore included); ``RETRIEVE_FD``
copies them page by page into a new memfd, allocating its pages (retrieve);
every byte is checked, and the memcpy is timed again (memcpy after).
The load's check is the crc32c alone: set beside the kexec copy (a read
and the same crc32c) it shows what the checksum costs.
A ratio is copy / memcpy in MiB/s, repetition by repetition, each copy
beside the memcpy of its own kernel: 1 is as fast as memcpy.

EOF
if [ ! -s "$run/results.txt" ] || [ ! -s "$run/console.log" ]; then
	echo "No samples: run \`\`make bench-luo\`\` (or \`\`make bench\`\`) to fill this section."
	exit 0
fi
{
	grep '^# bench: luo ' "$run/results.txt" || true
	tr -d '\r' <"$run/console.log" | awk '
		/ vkluobench: [0-9]+M rep [0-9]+$/ { label = $(NF - 2); rep = $NF; next }
		/ live update: [0-9]+ bytes of memfds copied in [0-9]+ us$/ {
			b = $(NF - 7); us = $(NF - 1)
			if (label != "" && b == (label + 0) * 1048576 && us > 0)
				printf "# bench: luo %s kexec_mibs %.1f %s\n", label, b / 1048576 * 1e6 / us, rep
			label = ""
		}'
} >"$bench/luo-samples.txt"
awk -f "$top/scripts/bench-report.awk" "$bench/luo-samples.txt" >"$sum"

# shellcheck source=scripts/bench-lib.sh
. "$top/scripts/bench-lib.sh"
med() {
	awk -v k="luo $1 $2" '$1 == "fig" && $2 " " $3 " " $4 == k { print $6 }' "$sum"
}
row() { printf '   * - %s\n' "$1"; shift; for c; do printf '     - %s\n' "$c"; done; }

kernel=$(sed -n 's/^KREL=//p' "$run/vm.env" 2>/dev/null || echo unknown)
accel=$(sed -n 's/^ACCEL=//p' "$run/vm.env" 2>/dev/null || echo unknown)
echo "This run: kernel $kernel, QEMU $accel, $(sed -n 's/^MEM=//p' "$run/vm.env" 2>/dev/null) MiB guest."
# luo-host.txt (make bench-luo-run): QEMUS LOAD CPUS when it started
if read -r qemus load cpus 2>/dev/null <"$bench/luo-host.txt"; then
	shared=$(awk -v q="$qemus" -v l="$load" 'BEGIN { print (q > 0 || l >= 0.5) ? "shared" : "idle" }')
	printf 'Before its VM started, the host (%s CPUs) ran %s other QEMU processes\nand had a load average of %s: the figures are those of a %s machine.\n' \
		"$cpus" "$qemus" "$load" "$shared"
fi
echo
printf '.. list-table:: MiB/s unless named: median (min-max)\n   :header-rows: 1\n\n'
row "memfd" "memcpy before" "kexec copy" "kexec / memcpy" "load (ms)" \
	"retrieve" "retrieve / memcpy" "memcpy after"
for s in $sizes; do
	row "$s MiB" "$(fig luo "${s}M" memcpy_out_mibs)" "$(fig luo "${s}M" kexec_mibs)" \
		"$(ratio "luo-kexec/memcpy-${s}M")" "$(fig luo "${s}M" load_us 1000)" \
		"$(fig luo "${s}M" retrieve_mibs)" "$(ratio "luo-retrieve/memcpy-${s}M")" \
		"$(fig luo "${s}M" memcpy_in_mibs)"
done
lo=$(med 64M load_us) hi=$(med 1024M load_us)
if [ -n "$lo" ] && [ -n "$hi" ]; then
	awk -v lo="$lo" -v hi="$hi" 'BEGIN {
		printf "\n- load, 1024 MiB minus 64 MiB (medians): %.0f ms for 960 MiB, %s\n",
			(hi - lo) / 1000, (hi > lo ? sprintf("%.0f MiB/s of checksum", 960 * 1e6 / (hi - lo)) : "no growth")
	}'
fi
echo "bench-luo-report: $bench/luo-samples.txt, $sum" >&2
