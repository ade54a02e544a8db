# SPDX-License-Identifier: GPL-2.0
#
# bench-report.awk - summarise the "# bench:" samples of a make bench run
#
# Input: the VM's results.txt.  Lines "# bench: GROUP LABEL METRIC VALUE
# REP" are samples; "@@ stage S start uptime=T" (S > 1) gives the time the
# next kernel took from kexec to /init.  Output: one line per figure,
#   fig GROUP LABEL METRIC N MEDIAN MIN MAX S1,S2,...
# and one per ratio, computed repetition by repetition (both sides of a
# pair come from the same repetition in the same VM):
#   ratio NAME N MEDIAN MIN MAX

function add(k, rep, v) {
	if (!(k in n))
		order[++nk] = k
	n[k]++
	val[k, n[k]] = v
	at[k, rep] = v
	maxrep = rep > maxrep ? rep : maxrep
}

# Sorts a[1..m] numerically in place.
function sort(a, m,    i, j, t) {
	for (i = 2; i <= m; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
}

function median(a, m) {
	return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}

function summary(kind, name, a, m,    i, list) {
	list = ""
	for (i = 1; i <= m; i++)
		list = list (i > 1 ? "," : "") a[i]
	sort(a, m)
	if (kind == "fig")
		printf "fig %s %d %.6g %.6g %.6g %s\n", name, m, median(a, m), a[1], a[m], list
	else
		printf "ratio %s %d %.4g %.4g %.4g\n", name, m, median(a, m), a[1], a[m]
}

# ratio NAME: num / den repetition by repetition, where both exist.
function ratio(name, num, den,    r, m, a) {
	m = 0
	for (r = 1; r <= maxrep; r++)
		if (((num, r) in at) && ((den, r) in at) && at[den, r] > 0)
			a[++m] = at[num, r] / at[den, r]
	if (m)
		summary("ratio", name, a, m)
}

$1 == "#" && $2 == "bench:" && NF == 7 {
	add($3 " " $4 " " $5, $7, $6)
}

$1 == "@@" && $2 == "stage" && $4 == "start" && $3 > 1 {
	sub(/^uptime=/, "", $5)
	add("kexec next-kernel boot_ms", $3 - 1, $5 * 1000)
}

END {
	# Downtime of one repetition: save, then restore.
	for (i = 1; i <= nk; i++) {
		k = order[i]
		split(k, f, " ")
		if (f[1] != "downtime" || f[3] != "save_ms")
			continue
		r2 = "downtime " f[2] " restore_ms"
		for (r = 1; r <= maxrep; r++)
			if (((k, r) in at) && ((r2, r) in at))
				add("downtime " f[2] " downtime_ms", r, at[k, r] + at[r2, r])
	}
	for (i = 1; i <= nk; i++) {
		k = order[i]
		delete a
		for (j = 1; j <= n[k]; j++)
			a[j] = val[k, j]
		summary("fig", k, a, n[k])
	}

	ratio("handoff-restore-size-3G/size-64M", "handoff size-3G restore_us", "handoff size-64M restore_us")
	ratio("handoff-restore-size-1G/size-64M", "handoff size-1G restore_us", "handoff size-64M restore_us")
	ratio("handoff-restore-count-100/count-1", "handoff count-100 restore_us", "handoff count-1 restore_us")
	ratio("handoff-restore-count-1000/count-100", "handoff count-1000 restore_us", "handoff count-100 restore_us")
	ratio("handoff-write-count-1000/count-100", "handoff count-1000 commit_us", "handoff count-100 commit_us")
	ratio("map-time-vmkeep/memfd", "map vmkeep us", "map memfd us")
	ratio("map-time-vmkeep/memfd-thp", "map vmkeep us", "map memfd-thp us")
	ratio("map-time-vmkeep/hugetlb", "map vmkeep us", "map hugetlb us")
	ratio("alloc-vmkeep-4096M/2M", "alloc vmkeep-4096M us", "alloc vmkeep-2M us")
	ratio("alloc-vmkeep-1024M/2M", "alloc vmkeep-1024M us", "alloc vmkeep-2M us")
	ratio("alloc-vmkeep/memfd-1024M", "alloc vmkeep-1024M us", "alloc memfd-1024M us")
	ratio("alloc-vmkeep/hugetlb-1024M", "alloc vmkeep-1024M us", "alloc hugetlb-1024M us")
	ratio("firsttouch-vmkeep-1G/hugetlb", "firsttouch vmkeep-1G us", "firsttouch hugetlb us")
	ratio("firsttouch-vmkeep-2M/hugetlb", "firsttouch vmkeep-2M us", "firsttouch hugetlb us")
	ratio("poolscale-load-15G/1G", "poolscale 15G-2M load_us", "poolscale 1G-2M load_us")
	ratio("poolscale-load-15G/4G", "poolscale 15G-2M load_us", "poolscale 4G-2M load_us")
	ratio("poolscale-load-1G-pages-15G/4G", "poolscale 15G-1G load_us", "poolscale 4G-1G load_us")
	# Live update: each copy beside the memcpy of its own kernel.
	for (i = 1; i <= nk; i++) {
		split(order[i], f, " ")
		if (f[1] == "luo" && f[3] == "kexec_mibs")
			ratio("luo-kexec/memcpy-" f[2], order[i], "luo " f[2] " memcpy_out_mibs")
		if (f[1] == "luo" && f[3] == "retrieve_mibs")
			ratio("luo-retrieve/memcpy-" f[2], order[i], "luo " f[2] " memcpy_in_mibs")
	}
	for (i = 1; i <= nk; i++) {
		split(order[i], f, " ")
		if (f[1] != "downtime" || f[2] !~ /^full-/ || f[3] != "downtime_ms")
			continue
		s = substr(f[2], 6)
		ratio("downtime-full/vmkeep-" s, order[i], "downtime vmkeep-" s " downtime_ms")
		ratio("ram-migrated-full/vmkeep-" s, "downtime full-" s " ram_kib", "downtime vmkeep-" s " ram_kib")
	}
}
