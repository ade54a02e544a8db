# SPDX-License-Identifier: GPL-2.0
#
# results.awk - turn the guest's results log into one KTAP stream
#
# Input: the guest's ttyS1 log (see init).  Variables: plan (the plan
# file), console (the console log), qemu_rc, timeout, build, wall, and
# watched (vmtest.sh's verdict on the plan's "# watch:" ranges, if any).
# Every step of the plan yields at least one result line, so a step that
# never ran fails instead of vanishing.

function result(ok, name, directive) {
	ntests++
	printf "%sok %d %s%s\n", ok ? "" : "not ", ntests, name, directive
	if (!ok)
		nfail++
}

BEGIN {
	nsteps = 0
	while ((getline line < plan) > 0) {
		if (line ~ /^[ \t]*(#|$)/)
			continue
		nsteps++
		split(line, f, " ")
		stage[nsteps] = f[1]
		kind[nsteps] = f[2]
		sub(/^[ \t]*[0-9]+[ \t]+[a-z]+[ \t]*/, "", line)
		cmd[nsteps] = line
		split(line, w, " ")
		label[nsteps] = "stage" f[1] ":" (kind[nsteps] == "kexec" ? "kexec" (line == "" ? "" : " " line) : w[1])
		if (kind[nsteps] == "run")
			label[nsteps] = "stage" f[1] ":" line
	}
	print "TAP version 13"
	cur = 0
}

/^@@ stage [0-9]+ start/ {
	started[$3] = 1
	split($5, u, "=")
	boot[$3] = u[2]
	next
}
/^@@ stage [0-9]+ kexec/ { split($5, u, "="); kexec_at[$3] = u[2]; next }
/^@@ stage [0-9]+ done/ { done[$3] = 1; next }
/^@@ begin / { cur = $4; began[cur] = 1; planned[cur] = -1; nres[cur] = 0; next }
/^@@ end / {
	split($5, r, "=")
	rc[$4] = r[2]
	ended[$4] = 1
	cur = 0
	next
}
cur && kind[cur] == "test" {
	if ($0 ~ /^1\.\.[0-9]+/) {
		planned[cur] = substr($1, 4) + 0
	} else if ($0 ~ /^(not )?ok [0-9]+ /) {
		k = ++nres[cur]
		ok = $1 == "ok"
		name = $0
		sub(/^(not )?ok [0-9]+ /, "", name)
		dir = ""
		if (match(name, / # (SKIP|skip|TODO).*/)) {
			dir = substr(name, RSTART)
			name = substr(name, 1, RSTART - 1)
		}
		subname[cur, k] = label[cur] ":" name
		subok[cur, k] = ok
		subdir[cur, k] = dir
	}
}

END {
	for (i = 1; i <= nsteps; i++) {
		if (!began[i] || !ended[i]) {
			result(0, label[i], " # did not " (began[i] ? "finish" : "run"))
			continue
		}
		if (kind[i] == "kexec") {
			result(rc[i] == 0 && started[stage[i] + 1], label[i], "")
			continue
		}
		if (kind[i] == "run") {
			result(rc[i] == 0, label[i], rc[i] ? " # exit " rc[i] : "")
			continue
		}
		bad = 0
		for (k = 1; k <= nres[i]; k++) {
			result(subok[i, k], subname[i, k], subdir[i, k])
			bad += !subok[i, k]
		}
		if (planned[i] < 0 || nres[i] != planned[i])
			result(0, label[i], " # KTAP incomplete: plan " planned[i] ", results " nres[i])
		else if (rc[i] != 0 && !bad)
			result(0, label[i], " # exit " rc[i])
	}

	# The console must be clean, whatever the tests said.  BUG: and
	# WARNING: also cover KASAN, KFENCE, debug objects (ODEBUG:), soft
	# lockups and lockdep's splats; the rest are reports of the debug
	# kernel (KVER=debug) that carry neither.
	pat = "BUG:|WARNING:|Oops|Call Trace|refcount_t|Kernel panic|general protection fault"
	pat = pat "|UBSAN:|lockdep is turned off|locking correctness validator|blocked for more than"
	# pud_ERROR()/pmd_ERROR(): a huge entry cleared as a bad page table.
	pat = pat "|bad p[mu]d "
	n = 0
	while ((getline line < console) > 0) {
		if (line ~ pat) {
			if (n++ < 20)
				print "# console: " line
		}
	}
	result(n == 0, "console:clean", n ? " # " n " bad line(s)" : "")
	if (watched != "") {
		v = "no verdict"
		while ((getline line < watched) > 0) {
			if (line ~ /^#/)
				print line
			else
				v = line
		}
		result(v == "ok", "watch:unchanged", v == "ok" ? "" : " # " v)
	}
	result(qemu_rc == 0, "vm:exit", qemu_rc == 124 ? " # timeout after " timeout " s" : (qemu_rc ? " # qemu exit " qemu_rc : ""))

	printf "# vm: build %.1f s, wall %.1f s", build, wall
	for (s = 1; s in started; s++)
		printf ", stage%d boot %.2f s%s", s, boot[s], (s in kexec_at) ? sprintf(" (kexec -e at %.2f s)", kexec_at[s]) : ""
	printf "\n"
	printf "1..%d\n", ntests
	exit nfail > 0
}
