#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# systemd-luo.sh - the guest side of 'systemd-test.sh -r sid -s systemd-luo.sh'
#
# A Debian sid root (systemd 262) booted by its 7.x kernel, vmkeep from
# the packages with "options vmkeep luo=1" in modprobe.d, so the
# initramfs hook put vmkeep.ko and vmkeepctl into the initrd and its
# init-bottom script loads the module and proves the pools before PID 1.
# Runs from vmkeep-test.service; prints "ok - ..." lines (numbered by
# the host) to /dev/ttyS1:
#   stage 1: the initramfs loaded vmkeep with luo=1 before PID 1 started;
#            a new pool is formatted, a region made; vk-fdstore.service
#            (FileDescriptorStorePreserve=yes) stores a memfd and the
#            region's fd; 'vmkeepctl kexec' loads this kernel (debug log
#            for PID 1 in the next boot), 'systemctl kexec'
#   stage 2: the initramfs loaded vmkeep again and proved the pool; PID 1
#            put both fds back into the unit's fd store from
#            /dev/liveupdate; the service gets them and compares every
#            byte; the journals of both boots name the LUO steps and no
#            LUO error; then 'systemctl poweroff'

# shellcheck source=selftests/vm/stage-lib.sh
. /usr/local/lib/vmkeep-test/stage-lib.sh
# systemd 262's LUO warnings and errors (src/shared/luo-util.c,
# src/core/luo.c) and the module's own.
# Expected, as with mainline's LUO: sid's journald and udevd keep fds
# that no LUO can preserve (journal stream sockets, udev's inotify fd)
# with FileDescriptorStorePreserve=yes, and PRESERVE_FD says ENOENT.
luo_expected="Failed to preserve LUO fd [0-9]+ \(name '(stored|inotify)'\) with token [0-9]+, will be lost across kexec: No such file or directory"
luo_errors="Failed to open /dev/liveupdate|Failed to create LUO session|Failed to preserve LUO|will be lost across kexec|Failed to retrieve LUO|Failed to parse LUO mapping|LUO mapping has unsupported version|for LUO serialization, as the session name|Unable to finish session|Failed to serialize.*LUO|Failed to deserialize.*LUO|vmkeep: .*(luo|LUO|liveupdate).*(fail|error|quarantin|lost|dropped)"

export luo_expected luo_errors


# The initramfs line comes before PID 1's first: /dev/liveupdate was there.
early() {
	journalctl -b -o short-monotonic -q | awk '
		/vmkeep: initramfs: vmkeep loaded, luo=Y/ && !pid1 { init = $0 }
		/systemd\[1\]: / && !pid1 { pid1 = $0 }
		END { print init; print pid1; exit !(init != "") }'
}

{
	echo "@@ stage $stage start uptime=$(cut -d' ' -f1 /proc/uptime)"
	t "the initramfs loaded vmkeep with luo=1 before PID 1's first line" early
	t "/dev/liveupdate is vmkeep's misc device" bash -c \
		"test -c /dev/liveupdate && grep -qw liveupdate /proc/misc && grep -qx Y /sys/module/vmkeep/parameters/luo"
	t "vmkeep.service is active" systemctl is-active --quiet vmkeep.service
	case $stage in
	1)
		t "format the new pool" vmkeepctl format --pool 0
		t "alloc a region" vmkeepctl alloc --name sd-luo --size 2M
		t "vk-fdstore.service stores a memfd and the region's fd" bash -c \
			"systemctl start vk-fdstore.service; r=\$?; journalctl -b -u vk-fdstore -q -o cat; exit \$r"
		t "its fd store holds 2 fds" bash -c \
			"n=\$(systemctl show -P NFileDescriptorStore vk-fdstore.service); echo NFileDescriptorStore=\$n; [ \"\$n\" = 2 ]"
		t "vmkeepctl kexec loads this kernel" vmkeepctl kexec --kernel "/boot/vmlinuz-$krel" \
			--initrd "/boot/initrd.img-$krel" --reuse-cmdline \
			--append "vmkeep_test.stage=2 systemd.log_level=debug systemd.log_ratelimit_kmsg=0 printk.devkmsg=on log_buf_len=16M"
		echo "@@ stage 1 kexec uptime=$(cut -d' ' -f1 /proc/uptime)"
		systemctl --no-block kexec
		;;
	2)
		t "PID 1 found session 'systemd' and restored 2 fds" bash -c \
			"journalctl -b -q -o cat | grep -E 'LUO|liveupdate' | grep -v 'vmkeep-test\\[' ;
			 journalctl -b -q -o cat | grep -q \"Found LUO session 'systemd', restoring fd stores\" &&
			 journalctl -b -q -o cat | grep -q 'Restored 2 fd(s) total from LUO session'"
		t "vk-fdstore.service's fd store holds 2 fds before it starts" bash -c \
			"n=\$(systemctl show -P NFileDescriptorStore vk-fdstore.service); echo NFileDescriptorStore=\$n; [ \"\$n\" = 2 ]"
		systemctl start vk-fdstore.service
		if [ -s /run/vk-fdstore.result ]; then
			sed "s/^\(not \)\?ok - /&stage $stage: vk-fdstore: /" /run/vk-fdstore.result
		else
			echo "not ok - stage $stage: vk-fdstore.service wrote no result"
		fi
		journalctl -b -u vk-fdstore -q -o cat | grep '^# ' | sed 's/^/#   /'
		t "no LUO error or warning in either boot's journal (but ENOENT for the fds of journald and udevd)" bash -c \
			"journalctl -b -1 -q -o cat | grep -E \"\$luo_expected\" | sed 's/^/expected: /';
			 ! { journalctl -b -1 -q -o cat; journalctl -b -q -o cat; } | grep -E \"\$luo_errors\" | grep -v -E \"\$luo_expected\""
		t "the region is listed" bash -c "vmkeepctl list; vmkeepctl list | grep -q '^sd-luo '"
		echo "@@ stage 2 poweroff"
		systemctl --no-block poweroff
		;;
	esac
} >$out 2>&1
exit 0
