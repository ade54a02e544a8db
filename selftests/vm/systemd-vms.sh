#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# systemd-vms.sh - the guest side of 'systemd-test.sh -s systemd-vms.sh':
# vmkeep-vms.service brings back the VMs that 'vmkeepctl update' saved
#
# Runs as systemd-stage.sh does (vmkeep-test.service, results on
# /dev/ttyS1), in the root with the packages, the host's QEMU and
# vkguest, and vmkeep-vms.service enabled by the host:
#   stage 1: region sd-a; three VMs by 'vm run', sd-vm3 stopped again;
#            'vmkeepctl update' saves the two that run; then sd-vm2-ram
#            is freed and made anew (another id),
#            so that its VM's regions do not come back as recorded;
#            'vmkeepctl kexec' loads this kernel again, 'systemctl kexec'
#   stage 2: vmkeep-vms.service ran after vmkeep.service: sd-vm1 runs
#            and counts on, sd-vm2 is refused (the unit failed, the
#            journal says why) and stays saved, sd-vm3 is left alone;
#            all three are removed, sd-a stays for the host's poweroff
#            check

# shellcheck source=selftests/vm/stage-lib.sh
. /usr/local/lib/vmkeep-test/stage-lib.sh


# ticks VM: the last tick vkguest printed.
ticks() {
	sed -n 's/^vkguest: tick \([0-9]*\) .*/\1/p' "/var/tmp/$1.serial" | tail -n 1
}

{
	echo "@@ stage $stage start uptime=$(cut -d' ' -f1 /proc/uptime)"
	t "vmkeep.service is active" systemctl is-active --quiet vmkeep.service
	case $stage in
	1)
		t "vmkeep-vms.service has nothing to resume" bash -c \
			"journalctl -b -u vmkeep-vms -q -o cat | grep -q 'no saved VM in the pools'"
		t "format the new pool" vmkeepctl format --pool 0
		t "alloc a region" vmkeepctl alloc --name sd-a --size 8M
		for v in sd-vm1 sd-vm2 sd-vm3; do
			t "vm run $v" vmkeepctl vm run $v --ram 32M -- qemu-system-x86_64 \
				-accel tcg,tb-size=16 -nodefaults -display none -machine pc \
				-kernel /usr/lib/vmkeep/vkguest \
				-chardev file,id=ser0,path=/var/tmp/$v.serial,append=on \
				-serial chardev:ser0
		done
		t "both VMs tick" bash -c "for i in \$(seq 60); do
			[ -n \"\$(sed -n '/^vkguest: tick 3 /p' /var/tmp/sd-vm1.serial /var/tmp/sd-vm2.serial | sed -n 2p)\" ] && exit 0
			sleep 1; done; exit 1"
		t "vm stop sd-vm3: recorded, not running, not saved" vmkeepctl vm stop sd-vm3
		t "vmkeepctl update saves both VMs, freezes, loads" vmkeepctl update \
			--kernel "/boot/vmlinuz-$krel" --initrd "/boot/initrd.img-$krel" \
			--append "$(sed 's/^BOOT_IMAGE=[^ ]* //' /proc/cmdline) vmkeep_test.stage=2"
		ticks sd-vm1 >/var/tmp/sd-vm1.last
		t "both are saved" bash -c "[ \$(vmkeepctl vm list | grep -c ' saved ') = 2 ]"
		t "thaw; sd-vm2-ram freed and made anew" bash -c \
			"vmkeepctl thaw && vmkeepctl free sd-vm2-ram && vmkeepctl alloc --name sd-vm2-ram --size 32M"
		t "vmkeepctl kexec checks, freezes and loads" vmkeepctl kexec \
			--kernel "/boot/vmlinuz-$krel" --initrd "/boot/initrd.img-$krel" \
			--reuse-cmdline --append vmkeep_test.stage=2
		echo "@@ stage 1 kexec uptime=$(cut -d' ' -f1 /proc/uptime)"
		systemctl --no-block kexec
		;;
	2)
		t "vmkeep-vms.service ran after vmkeep.service" bash -c \
			"[ \$(systemctl show -P ExecMainStartTimestampMonotonic vmkeep-vms.service) -gt \
			   \$(systemctl show -P ExecMainExitTimestampMonotonic vmkeep.service) ]"
		t "it failed: a VM was refused" systemctl is-failed --quiet vmkeep-vms.service
		t "its journal: sd-vm1 runs again" bash -c \
			"journalctl -b -u vmkeep-vms -q -o cat | grep '^sd-vm1: running again on QEMU'"
		t "its journal: sd-vm2-ram is not the region recorded" bash -c \
			"journalctl -b -u vmkeep-vms -q -o cat | grep 'sd-vm2-ram: is not the region recorded'"
		t "its journal: sd-vm3, stopped, is left alone" bash -c \
			"journalctl -b -u vmkeep-vms -q -o cat | grep '^sd-vm3: not saved (stopped): left as it is'"
		t "vm list: sd-vm1 running, sd-vm2 saved, sd-vm3 stopped" bash -c \
			"vmkeepctl vm list; vmkeepctl vm list | grep -q '^sd-vm1 *running' &&
			 vmkeepctl vm list | grep -q '^sd-vm2 *saved' && vmkeepctl vm list | grep -q '^sd-vm3 *stopped'"
		t "sd-vm1 counts on from where it stopped" bash -c "last=\$(cat /var/tmp/sd-vm1.last)
			for i in \$(seq 60); do
				t=\$(sed -n 's/^vkguest: tick \([0-9]*\) .*/\1/p' /var/tmp/sd-vm1.serial | tail -n 1)
				[ \"\$t\" -gt \$((last + 2)) ] && { echo \"tick \$last before, \$t now\"; exit 0; }
				sleep 1; done; echo \"tick \$last before, \$t now\"; exit 1"
		t "vm stop sd-vm1; vm rm sd-vm1, sd-vm2, sd-vm3" bash -c \
			"vmkeepctl vm stop sd-vm1 && vmkeepctl vm rm sd-vm1 && vmkeepctl vm rm sd-vm2 &&
			 vmkeepctl vm rm sd-vm3"
		t "finish sd-a" vmkeepctl finish sd-a
		echo "@@ stage 2 poweroff"
		systemctl --no-block poweroff
		;;
	esac
} >$out 2>&1
exit 0
