#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vmtest.sh - run a vmkeep test plan in a QEMU guest, across kexec
#
# usage: vmtest.sh [-v] [-k KERNEL_ENV] [-o DIR] PLAN
#
# Builds an initramfs (busybox, kexec, the module, vmkeepctl, the
# selftests, and QEMU when the plan says "# needs: qemu": the host's, or
# with "# needs: qemu VER" Debian's QEMU VER from scripts/qemu-root.sh,
# and the vkguest test guest), boots the
# kernel described by KERNEL_ENV (from scripts/fetch-kernel.sh) under
# QEMU with a memmap= pool, and lets the guest's /init run the plan.
# A plan line is "STAGE KIND COMMAND": KIND "test" expects KTAP from
# COMMAND, "run" passes when COMMAND exits 0, "kexec" boots the same
# kernel and initramfs into STAGE+1 with the same command line.
#
# Prints KTAP: one line per subtest of every "test" step, one per other
# step, and one for the console (no BUG/WARNING/Oops/Call Trace/
# refcount_t/panic, nor a UBSAN, lockdep, debug-objects, hung-task or
# soft-lockup report; a stall of a stock kernel path with no vmkeep frame
# under TCG is a warning: console.awk).  A step that did not run fails.
# Ends with "== PASS" or "== FAIL" and the run directory (console.log,
# results.log, ktap.txt) on stderr; exits non-zero on any failure.
#
# Environment: VMKEEP_KO (the module; kmod/vmkeep.ko), VM_MEM (MiB; default 2048 or the plan's "# mem: N"), VM_POOL
# (SIZE@ADDR; default 512M@0x40000000 or the plan's "# pool: SIZE@ADDR"),
# VM_TIMEOUT (seconds per boot, 300), VM_ACCEL (tcg|kvm|auto, auto),
# VM_STALLS (warn|fail, warn: whether a stall without a vmkeep frame
# fails), VM_APPEND (more kernel parameters).
# A plan's "# machine: TYPE" picks QEMU's machine (default: QEMU's, pc);
# "# modules: NAME..." adds those modules of the kernel (hwpoison-inject).
# "# append: PARAM..." adds kernel parameters (vmkeep.luo=1); "# needs:
# luo" adds mainline's liveupdate selftests and their do_kexec.sh
# (make luo-selftests: .cache/luo-st) to /selftests.
# "# watch: START-END[,START-END...]" backs guest RAM with a file that the
# host reads: the bytes of these guest-physical ranges (below the top of
# low RAM, where the file offset is the address) when stage 1 starts and
# when QEMU has exited must be the same (one more result, "watch").  The
# plan's first step must leave them alone for a few seconds (sleep): the
# first copy is taken while the guest runs, and is void if that step has
# ended by then.

set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${CACHE:-$top/.cache}
verbose=0
kenv=
dir=

while getopts "vk:o:" opt; do
	case $opt in
	v) verbose=1 ;;
	k) kenv=$OPTARG ;;
	o) dir=$OPTARG ;;
	*) sed -n '4,6p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
plan=${1:?usage: vmtest.sh [-v] [-k KERNEL_ENV] [-o DIR] PLAN}
[ -n "$kenv" ] || kenv=$("$top/scripts/fetch-kernel.sh" "${KVER:-6.12}")
# shellcheck source=/dev/null
. "$kenv"

# One tree builds for several kernels: refuse a module built for another.
ko=${VMKEEP_KO:-$top/kmod/vmkeep.ko}
magic=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
if [ "$magic" != "$KREL" ]; then
	echo "vmtest: $ko is built for '$magic', not $KREL" >&2
	exit 1
fi

# A plan may ask for more memory: "# mem: MiB".
mem=${VM_MEM:-$(sed -n 's/^# mem: *\([0-9]*\).*/\1/p' "$plan" | head -1)}
mem=${mem:-2048}
pool=${VM_POOL:-$(sed -n 's/^# pool: *\([^ ]*\).*/\1/p' "$plan" | head -1)}
pool=${pool:-512M@0x40000000}
machine=$(sed -n 's/^# machine: *\([^ ]*\).*/\1/p' "$plan" | head -1)
watch=$(sed -n 's/^# watch: *\([^ ]*\).*/\1/p' "$plan" | head -1)
append=$(sed -n 's/^# append: *//p' "$plan" | tr '\n' ' ')
append=${append% }
luo_st=
if grep -q '^# needs: luo' "$plan"; then
	luo_st=$CACHE/luo-st
	[ -f "$luo_st/.stamp" ] || {
		echo "vmtest: $plan needs mainline's liveupdate selftests: make luo-selftests" >&2
		exit 1
	}
fi
tmo=${VM_TIMEOUT:-300}
# "# needs: qemu" takes the host's QEMU (Debian 12: 7.2), "# needs: qemu
# VER" Debian's QEMU VER from a root made by scripts/qemu-root.sh.
qemu_ver=
qemu_root=
if grep -q '^# needs: qemu' "$plan"; then
	qemu_ver=$(sed -n 's/^# needs: qemu *\([0-9.]*\).*/\1/p' "$plan" | head -1)
	qemu_root=$("$top/scripts/qemu-root.sh" "${qemu_ver:-7.2}")
fi
name=$(basename "$plan" .plan)
dir=${dir:-$CACHE/vmtest/$name-$KREL}
rm -rf "$dir"
mkdir -p "$dir/root"
root=$dir/root

log() { [ $verbose = 0 ] || echo "vmtest: $*" >&2; }

# Copy a dynamically linked program and the libraries it needs.
# A library from the build tree (libvmkeep, found through the program's
# RUNPATH) also goes to /usr/lib: the guest mounts a tmpfs over /tmp,
# where a clone of the tree may live.
add_bin() {
	local f=$1 dst=${2:-$1} lib
	install -D -m 0755 "$f" "$root$dst"
	for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
		case $lib in
		/lib/* | /lib64/* | /usr/*) ;;
		*) install -D -m 0755 "$(readlink -f "$lib")" "$root/usr/lib/${lib##*/}" ;;
		esac
	done
}

# QEMU from a Debian root (scripts/qemu-root.sh): the binary and the
# libraries the root's own ldd resolves go to /opt/qemu, run through the
# root's ld.so by a wrapper at /usr/bin/qemu-system-x86_64, so that they
# never mix with the host's libraries that vmkeepctl and kexec use.
# Firmware, data and modules keep their absolute paths: the root's QEMU
# looks for them there.  Symlinks are copied as symlinks (an absolute one
# points into the root, not the host).
add_qemu_root() {
	local r=$1 lib real d q=/opt/qemu
	install -D -m 0755 "$r/usr/bin/qemu-system-x86_64" "$root$q/bin/qemu-system-x86_64"
	for lib in $(chroot "$r" ldd /usr/bin/qemu-system-x86_64 | grep -o '/[^ ]*'); do
		real=$(chroot "$r" readlink -f "$lib")
		install -D -m 0755 "$r$real" "$root$q/lib/$(basename "$lib")"
	done
	[ -e "$root$q/lib/ld-linux-x86-64.so.2" ] || {
		echo "vmtest: no ld.so for $r's QEMU" >&2
		exit 1
	}
	for d in /usr/share/qemu /usr/share/seabios /usr/lib/x86_64-linux-gnu/qemu; do
		[ -d "$r$d" ] || continue
		mkdir -p "$root$d"
		cp -a "$r$d"/. "$root$d"/
	done
	mkdir -p "$root/usr/bin"
	printf '#!/bin/sh\n# QEMU %s from %s\nexec %s/lib/ld-linux-x86-64.so.2 --library-path %s/lib %s/bin/qemu-system-x86_64 "$@"\n' \
		"$qemu_ver" "${r#"$top/"}" $q $q $q >"$root/usr/bin/qemu-system-x86_64"
	chmod 0755 "$root/usr/bin/qemu-system-x86_64"
}

build_initramfs() {
	local d m
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,boot,selftests,etc}
	install -m 0755 /bin/busybox "$root/bin/busybox"
	add_bin "$(command -v kexec)" /sbin/kexec
	add_bin "$(command -v jq)" /usr/bin/jq
	install -m 0755 "$top/selftests/vm/init" "$root/init"
	grep -v '^#' "$plan" >"$root/plan" || true
	echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

	m=$root/lib/modules/$KREL
	mkdir -p "$m/extra"
	install -m 0644 "$ko" "$m/extra/vmkeep.ko"
	cp "$MODDIR"/modules.{order,builtin,builtin.modinfo} "$m/"
	# "# modules: NAME..." adds the kernel's own modules, uncompressed
	# (busybox's modprobe), where the fetched kernel has them.
	for d in $(sed -n 's/^# modules: *//p' "$plan"); do
		d=$(find "$MODDIR/kernel" -name "$d.ko*" 2>/dev/null | head -1) || true
		[ -n "$d" ] || continue
		case $d in
		*.xz) xz -dc "$d" >"$m/extra/$(basename "$d" .xz)" ;;
		*) install -m 0644 "$d" "$m/extra/" ;;
		esac
	done
	depmod -b "$root" "$KREL"

	[ -x "$top/tools/vmkeepctl" ] && add_bin "$top/tools/vmkeepctl" /usr/sbin/vmkeepctl
	for f in "$top"/selftests/*; do
		[ -f "$f" ] && [ -x "$f" ] && add_bin "$f" "/selftests/$(basename "$f")"
	done
	if [ -n "$luo_st" ]; then
		for f in "$luo_st"/*; do
			add_bin "$f" "/selftests/$(basename "$f")"
		done
	fi
	# Sourced by the shell tests, not run.
	install -m 0644 "$top/selftests/ktap.sh" "$root/selftests/ktap.sh"

	if [ "$qemu_root" = / ]; then
		add_bin "$(command -v qemu-system-x86_64)" /usr/bin/qemu-system-x86_64
		for d in /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-*.so; do
			[ -e "$d" ] && add_bin "$d"
		done
		for d in /usr/share/qemu /usr/share/seabios; do
			mkdir -p "$root$d"
			cp -rL "$d"/. "$root$d"/
		done
	elif [ -n "$qemu_root" ]; then
		add_qemu_root "$qemu_root"
	fi
	[ -e "$top/guest/vkguest" ] && install -D -m 0644 "$top/guest/vkguest" "$root/usr/lib/vmkeep/vkguest"

	cp "$VMLINUZ" "$root/boot/vmlinuz"
	(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) |
		gzip -1 >"$dir/payload.img"
	mkdir -p "$dir/self/boot"
	cp "$dir/payload.img" "$dir/self/boot/payload.img"
	(cd "$dir/self" && printf "boot\nboot/payload.img\n" | cpio -o -H newc --quiet) >"$dir/self.cpio"
	cat "$dir/self.cpio" "$dir/payload.img" >"$dir/initrd.img"
	rm -rf "$dir/self" "$dir/self.cpio" "$dir/payload.img"
}

# The bytes of the watched ranges, one file per range: $dir/watch.$1.N
watch_copy() {
	local r n=0
	for r in ${watch//,/ }; do
		n=$((n + 1))
		dd if="$dir/ram" of="$dir/watch.$1.$n" iflag=skip_bytes,count_bytes \
			skip=$((${r%-*})) count=$((${r#*-} - ${r%-*})) status=none || return 1
	done
}

# After the run, for results.awk: a comment line per range, then "ok"
# or why not.
watch_verdict() {
	local r n=0 bad=0 d at
	if [ ! -e "$dir/watch.before.1" ]; then
		echo "no copy taken when stage 1 started"
		return
	fi
	if [ -e "$dir/watch.late" ]; then
		echo "the first copy was taken after the plan's first step ended"
		return
	fi
	watch_copy after || { echo "cannot read $dir/ram"; return; }
	for r in ${watch//,/ }; do
		n=$((n + 1))
		d=$(cmp -l "$dir/watch.before.$n" "$dir/watch.after.$n" | wc -l) || true
		if [ "$d" = 0 ]; then
			echo "# watch: [$r] unchanged, $(stat -c %s "$dir/watch.before.$n") bytes"
			continue
		fi
		bad=$((bad + 1))
		at=$(cmp "$dir/watch.before.$n" "$dir/watch.after.$n" |
			sed 's/.* byte \([0-9]*\).*/\1/') || true
		printf '# watch: [%s] %d bytes changed, the first at %#x\n' "$r" "$d" $((${r%-*} + at - 1))
	done
	[ $bad = 0 ] && echo ok || echo "$bad of $n ranges written"
}

pick_accel() {
	local a=${VM_ACCEL:-auto} probe=$CACHE/kvm-probe.$KREL
	if [ "$a" = auto ]; then
		if [ ! -e "$probe" ]; then
			echo tcg >"$probe"
			if [ -w /dev/kvm ] &&
			   timeout 15 qemu-system-x86_64 -accel kvm -cpu host -m 512 \
				-nodefaults -no-reboot -display none \
				-serial file:"$dir/probe.log" -kernel "$VMLINUZ" \
				-initrd "$dir/initrd.img" \
				-append "console=ttyS0 panic=-1 vmkeep_test.probe=1" \
				>/dev/null 2>&1 &&
			   grep -q 'vmkeep-probe-ok' "$dir/probe.log"; then
				echo kvm >"$probe"
			fi
		fi
		a=$(cat "$probe")
	fi
	echo "$a"
}

t0=$(date +%s.%N)
build_initramfs
t1=$(date +%s.%N)
accel=$(pick_accel)
stages=$(awk '!/^#/ && NF { if ($1 > n) n = $1 } END { print n + 0 }' "$plan")
# memmap=SIZE$ADDR for each pool of the list.
# One memmap= per run of adjacent pools: x86 KASLR keeps the kernel out of
# the first four memmap= ranges only, and may decompress it into a fifth.
memmap=$(echo "$pool" | tr ',' '\n' | awk -F@ '
	function mib(s) { return s ~ /^[0-9]+G$/ ? s * 1024 : s ~ /^[0-9]+M$/ ? s + 0 : -1 }
	function hex(s,    i, v) {
		if (tolower(s) !~ /^0x[0-9a-f]+$/) return -1
		for (i = 3; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
		return v
	}
	{
		sub(/:1G$/, "", $2)	# a pool of 1 GiB pages is reserved the same way
		size = mib($1); base = hex($2) / 1048576
		if (size < 0 || base < 0) { bad = 1; exit }
		if (n && base == end) { len[n] += size } else { start[++n] = $2; len[n] = size }
		end = base + size
	}
	END {
		if (bad || n > 4) exit 1
		for (i = 1; i <= n; i++) printf "memmap=%dM$%s ", len[i], start[i]
	}') || { echo "vmtest: pools $pool need more than 4 memmap= ranges" >&2; exit 1; }
cpu=max
[ "$accel" = kvm ] && cpu=host
# Multi-threaded TCG can run a stale translation of kernel text that was
# just live-patched (an int3 Oops in the first boot, seen with 6.12):
# one TCG thread for both vCPUs keeps code modification coherent.
[ "$accel" = tcg ] && accel=tcg,thread=single
mach=${machine:+type=$machine}
ram=()
if [ -n "$watch" ]; then
	ram=(-object "memory-backend-file,id=ram0,size=${mem}M,mem-path=$dir/ram,share=on")
	mach=${mach:+$mach,}memory-backend=ram0
fi
log "kernel $KREL, $accel, ${machine:-pc}, ${mem} MiB, pool $pool, $stages stage(s), initramfs $(du -h "$dir/initrd.img" | cut -f1)"
printf 'KREL=%s\nACCEL=%s\nMEM=%s\nPOOL=%s\n' "$KREL" "$accel" "$mem" "$pool" >"$dir/vm.env"

: >"$dir/results.log"
if [ $verbose = 1 ]; then
	tail -F -n +1 "$dir/results.log" 2>/dev/null | sed -u 's/\r$//' |
		grep --line-buffered -v '^@@ \(end\|stage\)' | sed -u 's/^@@ begin [0-9]* [0-9]* kexec */\n$ kexec /; s/^@@ begin [0-9]* [0-9]* [a-z]* /\n$ /' >&2 &
	tailer=$!
fi
t2=$(date +%s.%N)
if [ -n "$watch" ]; then
	# The first copy once the guest's /init runs: the firmware has
	# written its tables by then, and the plan's first step waits.
	(
		until grep -q '^@@ stage 1 start' "$dir/results.log" 2>/dev/null; do
			[ -e "$dir/qemu.done" ] && exit 0
			sleep 0.1
		done
		watch_copy before
		if grep -q '^@@ end 1 1 ' "$dir/results.log"; then
			touch "$dir/watch.late"
		fi
	) &
	watcher=$!
fi
rc=0
timeout $((tmo * stages)) qemu-system-x86_64 \
	-accel "$accel" -cpu $cpu -smp 2 -m "$mem" ${mach:+-machine "$mach"} "${ram[@]}" \
	-nodefaults -no-reboot -display none \
	-serial file:"$dir/console.log" -serial file:"$dir/results.log" \
	-kernel "$VMLINUZ" -initrd "$dir/initrd.img" \
	-append "console=ttyS0 panic=-1 no_timer_check ${memmap}vmkeep.pools=$pool${append:+ $append}${VM_APPEND:+ $VM_APPEND}" \
	>"$dir/qemu.log" 2>&1 || rc=$?
t3=$(date +%s.%N)
watched=
if [ -n "$watch" ]; then
	touch "$dir/qemu.done"
	wait "$watcher" || true
	watch_verdict >"$dir/watch.txt"
	watched=$dir/watch.txt
	rm -f "$dir/ram"
fi
if [ $verbose = 1 ]; then
	sleep 0.5
	kill "$tailer" 2>/dev/null || true
fi

tr -d '\r' <"$dir/results.log" >"$dir/results.txt"
# A stall with no vmkeep frame only warns under TCG (console.awk); on
# KVM, or with VM_STALLS=fail (the debug kernel), every stall fails.
strict=0
if [ "${VM_STALLS:-warn}" = fail ] || [ "${accel%%,*}" != tcg ]; then
	strict=1
fi
# results.awk exits non-zero when a check failed: the verdict below is
# printed either way.
awk -v plan="$plan" -v qemu_rc=$rc -v timeout=$((tmo * stages)) -v strict=$strict \
    -v console="$dir/console.log" -v build="$(echo "$t1 - $t0" | bc)" \
    -v wall="$(echo "$t3 - $t2" | bc)" -v watched="$watched" \
    -f "$top/selftests/vm/console.awk" \
    -f "$top/selftests/vm/results.awk" "$dir/results.txt" >"$dir/ktap.txt" || true
cat "$dir/ktap.txt"
nok=$(grep -c '^ok ' "$dir/ktap.txt" || true)
nfail=$(grep -c '^not ok ' "$dir/ktap.txt" || true)
warn=$(grep -c '^# console: warning:' "$dir/ktap.txt" || true)
warn=$([ "$warn" = 0 ] || echo ", $warn console warning(s)")
if [ "$nok" = 0 ] && [ "$nfail" = 0 ]; then
	echo "== FAIL: no results (results.awk failed); logs in $dir" >&2
	exit 1
elif [ "$nfail" != 0 ]; then
	echo "== FAIL: $nfail of $((nok + nfail)) checks failed$warn; logs in $dir" >&2
	exit 1
fi
rm -rf "$root" "$dir/initrd.img"
echo "== PASS: all $nok checks passed$warn; logs in $dir" >&2
