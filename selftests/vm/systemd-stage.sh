#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# systemd-stage.sh - the guest side of scripts/systemd-test.sh
#
# Runs from vmkeep-test.service, after vmkeep.service, in a Debian root
# booted by systemd with the vmkeep packages installed.  Prints "ok N ..."
# lines (numbered by the host) to /dev/ttyS1, then leaves with systemd:
#   stage 1: the service loaded the module; a region is made and written;
#            'vmkeepctl kexec' loads this kernel and names 'systemctl
#            kexec' to boot it (then kexec -u, thaw); the update flow:
#            'vmkeepctl update' checks, saves (no VM here), freezes and
#            loads, then 'systemctl kexec'
#   stage 2: the service restored the region (journal), its bytes are
#            there, the previous boot's journal has the shutdown check's
#            line and update's report (kernel log, 'journalctl -t
#            vmkeepctl'); 'systemctl poweroff' with the region still
#            there (the host looks for the warning on the console)

# shellcheck source=selftests/vm/stage-lib.sh
. /usr/local/lib/vmkeep-test/stage-lib.sh
msg=vmkeep-was-here


{
	echo "@@ stage $stage start uptime=$(cut -d' ' -f1 /proc/uptime)"
	t "vmkeep.service is active" systemctl is-active --quiet vmkeep.service
	t "the module has its MODULE_VERSION" \
		grep -qx "$(vmkeepctl --version | cut -d' ' -f2)" /sys/module/vmkeep/version
	case $stage in
	1)
		t "the journal has the load's summary" \
			bash -c "journalctl -b -u vmkeep -q -o cat | grep -q 'no handoff from a previous kernel'"
		t "format the new pool" vmkeepctl format --pool 0
		t "alloc a region" vmkeepctl alloc --name sd-a --size 8M
		t "write it" vmkeepctl exec --region sd-a:fd=10 -- \
			sh -c "printf $msg | dd of=/proc/self/fd/10 conv=notrunc status=none"
		t "kexec --check passes" vmkeepctl kexec --check --kernel "/boot/vmlinuz-$krel" \
			--initrd "/boot/initrd.img-$krel" --reuse-cmdline --append vmkeep_test.stage=2
		t "kexec --check without the pools fails with 3" bash -c \
			"vmkeepctl kexec --check --kernel /boot/vmlinuz-$krel --command-line root=/dev/vda; [ \$? = 3 ]"
		t "vmkeepctl kexec loads, and says 'systemctl kexec' boots it" bash -c \
			"vmkeepctl kexec --kernel /boot/vmlinuz-$krel --initrd /boot/initrd.img-$krel \
			 --reuse-cmdline >/tmp/kexec.out 2>&1; r=\$?; cat /tmp/kexec.out; [ \$r = 0 ] &&
			 grep -q \"^Boot it with 'systemctl kexec'; or cancel\" /tmp/kexec.out"
		t "kexec -u, thaw" bash -c "kexec -u && vmkeepctl thaw"
		t "update --check runs kexec's checks" bash -c \
			"vmkeepctl update --check --kernel /boot/vmlinuz-$krel --initrd /boot/initrd.img-$krel \
			 --reuse-cmdline --append vmkeep_test.stage=2 >/tmp/update.out 2>&1; r=\$?;
			 cat /tmp/update.out; [ \$r = 0 ] && grep -q '^module   ok ' /tmp/update.out &&
			 grep -q '^update: would save 0 running VMs' /tmp/update.out"
		# The update flow: vmkeepctl update, then systemctl kexec.
		t "vmkeepctl update checks, saves, freezes, loads; says 'systemctl kexec'" bash -c \
			"vmkeepctl update --kernel /boot/vmlinuz-$krel --initrd /boot/initrd.img-$krel \
			 --reuse-cmdline --append vmkeep_test.stage=2 >/tmp/update.out 2>&1; r=\$?;
			 cat /tmp/update.out; [ \$r = 0 ] && grep -q '^update: saving 0 running VMs' /tmp/update.out &&
			 grep -q \"^Boot it with 'systemctl kexec'\" /tmp/update.out"
		t "vmkeep is frozen" bash -c "vmkeepctl status | grep -q '^frozen for kexec'"
		echo "@@ stage 1 kexec uptime=$(cut -d' ' -f1 /proc/uptime)"
		systemctl --no-block kexec
		;;
	2)
		t "the journal has the restore summary" bash -c \
			"journalctl -b -u vmkeep -q -o cat | grep -q '1 region restored, 1 incoming, 0 repaired, 0 quarantined; clean handoff'"
		t "the region is back, incoming" bash -c "vmkeepctl list | grep -q '^sd-a .* incoming '"
		t "its bytes are there" bash -c \
			"vmkeepctl exec --region sd-a:fd=10 -- head -c ${#msg} /proc/self/fd/10 | grep -qx $msg"
		t "the previous boot's journal has the kexec check's line" bash -c \
			"journalctl -b -1 -u vmkeep -q -o cat | grep -q 'vmkeep: kexec: 1 region(s) frozen for the next kernel: sd-a'"
		t "the previous boot's journal has update's report (journalctl -t vmkeepctl)" bash -c \
			"journalctl -b -1 -t vmkeepctl -q -o cat >/tmp/report.txt; cat /tmp/report.txt;
			 grep -q '^update: saving 0 running VMs$' /tmp/report.txt &&
			 grep -q '^kexec: /boot/vmlinuz-$krel ($krel) loaded, vmkeep frozen: 1 pool with regions' /tmp/report.txt"
		t "finish" vmkeepctl finish sd-a
		echo "@@ stage 2 poweroff"
		systemctl --no-block poweroff
		;;
	esac
} >$out 2>&1
exit 0
