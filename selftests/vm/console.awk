# SPDX-License-Identifier: GPL-2.0
#
# console.awk - sort the kernel reports of a VM's console log into those
# that fail the run and stalls that are only a warning
#
# console_check(FILE, STRICT) prints one "# console: ..." line per line
# that fails the run (the first 20), then each warning with its trace,
# and returns the number of reports that fail; console_warnings holds the
# number of warnings.  Standalone: awk -v console=FILE [-v strict=1]
# -v standalone=1 -f console.awk prints the same and "# console: N
# failing, N warning(s)", and exits 1 when anything fails.
#
# What fails, as before: every line with BUG:, WARNING:, Oops, Call
# Trace, refcount_t, a panic, a general protection fault, UBSAN:, a
# lockdep line or a bad pud/pmd: so every KASAN, KFENCE, lockdep, debug
# objects and UBSAN report, whatever its trace.
#
# What only warns: a stall report of a stock kernel path - the soft
# lockup detector ("watchdog: BUG: soft lockup"), an RCU stall ("rcu:
# INFO: rcu_preempt detected stalls") or a hung task ("INFO: task X:N
# blocked for more than N seconds") - with no line of its report naming
# vmkeep: no vmkeep_* or [vmkeep] frame, RIP or register symbol, no
# vmkeepctl task.  Under TCG on a busy host a vCPU thread can get no
# host CPU for tens of seconds, and the guest's watchdogs, which count
# host time, then report whatever the vCPU was running (khugepaged in
# clear_page_erms, a nested QEMU faulting in a THP): the trace names the
# victim, not a culprit.  A stall in our code fails.  With STRICT (the
# debug kernel, KVM, VM_STALLS=fail) every stall fails too.
#
# A report is its header line and the lines that follow it and look like
# a report's lines: indented (frames, <TASK>, lockdep detail), register
# and "CPU:"/"RIP:"/"Code:"-style lines, "rcu:" and "task:" lines, NMI
# backtraces of the other CPUs.  The first other line ends it; a line of
# a trace ("func+0x1/0x2", "<TASK>") that comes later still belongs to
# the last stall (another CPU's printk cut into it), up to the next
# report or boot.  "Modules linked in:" names vmkeep in every report
# once the module is loaded and does not count.

function console_strip(s) {
	sub(/\r$/, "", s)
	sub(/^\[ *[0-9]+\.[0-9]+\] ?/, "", s)
	sub(/^\[ *[CT][0-9]+\] ?/, "", s)	# CONFIG_PRINTK_CALLER
	return s
}

function console_is_stall(s) {
	return s ~ /^watchdog: BUG: soft lockup - CPU#[0-9]+ stuck for/ ||
	       s ~ /^(rcu: )?INFO: rcu_[a-z_]+ (self-detected stall|detected (expedited )?stall)/ ||
	       s ~ /^INFO: task .*:[0-9]+ blocked for more than [0-9]+ seconds/
}

function console_is_bad(s,    pat) {
	pat = "BUG:|WARNING:|Oops|Call Trace|refcount_t|Kernel panic|general protection fault"
	pat = pat "|UBSAN:|lockdep is turned off|locking correctness validator|blocked for more than"
	# pud_ERROR()/pmd_ERROR(): a huge entry cleared as a bad page table.
	pat = pat "|bad p[mu]d "
	return s ~ pat
}

# A line of a stack trace proper: a frame, a <TASK>/<IRQ> marker.
function console_is_frame(s) {
	return s ~ /[A-Za-z0-9_.]\+0x[0-9a-f]+\/0x[0-9a-f]+/ || s ~ /^ *<\/?(TASK|IRQ|NMI|EOE)>/ ||
	       s ~ /^ *Call Trace:/
}

function console_is_cont(s) {
	return s == "" || s ~ /^[ \t]/ || console_is_frame(s) ||
	       s ~ /^(Modules linked in|CPU:|CPU [0-9]|Hardware name|RIP:|Code:|Workqueue:|Tainted:|Not tainted)/ ||
	       s ~ /^(R[A-Z0-9][A-Z0-9]|FS|GS|CS|DS|ES|CR[0-9]|DR[0-9]|PKRU|EFLAGS):/ ||
	       s ~ /^(task:|Task dump|Sending NMI|NMI backtrace|rcu:|Unless rcu_|irq event stamp|hardirqs last|softirqs last|"echo 0 >|---\[ end )/
}

function console_open(kind, line) {
	nrep++
	rkind[nrep] = kind
	rlines[nrep] = 0
	console_add(nrep, line)
	return nrep
}

function console_add(r, line) {
	rline[r, ++rlines[r]] = line
	if (line !~ /Modules linked in:/ && line ~ /vmkeep/)
		rmine[r] = 1
}

function console_check(file, strict,    line, s, cur, last, r, k, nbad, nshown) {
	nrep = 0
	cur = last = 0
	while ((getline line < file) > 0) {
		sub(/\r$/, "", line)
		s = console_strip(line)
		if (s ~ /^Linux version /) {	# a new boot (kexec)
			cur = last = 0
		} else if (console_is_stall(s)) {
			cur = last = console_open("stall", line)
		} else if (console_is_bad(s) &&
			   !(s ~ /^ *Call Trace:/ && (cur ? rkind[cur] == "stall" : last))) {
			cur = console_open("bad", line)
			last = 0
		} else if (console_is_frame(s) && (cur ? rkind[cur] == "stall" : last)) {
			console_add(cur ? cur : last, line)
		} else if (cur && console_is_cont(s)) {
			console_add(cur, line)
		} else {
			cur = 0
		}
	}
	close(file)

	nbad = nshown = 0
	console_warnings = 0
	for (r = 1; r <= nrep; r++) {
		if (rkind[r] == "stall" && !rmine[r] && !strict) {
			console_warnings++
			printf "# console: warning: %s\n", console_strip(rline[r, 1])
			print "# console:   a stall of a stock kernel path, no vmkeep frame: the vCPU got no host CPU (TCG on a busy host?); not a failure"
			for (k = 2; k <= rlines[r] && k <= 60; k++)
				print "# console:   " rline[r, k]
			continue
		}
		nbad++
		for (k = 1; k <= rlines[r]; k++) {
			if (rkind[r] == "bad" && k > 1)
				break
			# A stall that fails: its header and every line naming vmkeep.
			if (k > 1 && (rline[r, k] ~ /Modules linked in:/ || rline[r, k] !~ /vmkeep/))
				continue
			if (nshown++ < 20)
				print "# console: " rline[r, k]
		}
		if (rkind[r] == "stall" && nshown <= 20)
			print "# console:   " (rmine[r] ? "a stall with vmkeep in its trace: fails" : "a stall: fails (strict: debug kernel, KVM or VM_STALLS=fail)")
	}
	return nbad
}

BEGIN {
	if (standalone) {
		n = console_check(console, strict)
		printf "# console: %d failing, %d warning(s)\n", n, console_warnings
		exit n > 0
	}
}
