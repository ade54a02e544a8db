# SPDX-License-Identifier: GPL-2.0
#
# vmkeep: out-of-tree module, tools and tests.  See README.md and
# Documentation/testing.rst.
#
#   make                  module (W=1, warnings are errors) and tools
#   make check            host unit tests, sparse, checkpatch, VM tests
#   make check KVER=6.1   the same on Debian 12's own kernel (KVER=7: sid's 7.x)
#   make check KVER=debug the same on Debian's 6.12 source built with KASAN,
#                         lockdep and other checkers (build-debug-kernel.sh)
#   make check-all        6.12, 6.1, 7 and debug, check-qemu, then DKMS, the
#                         GRUB line, then the packages in a systemd-booted
#                         VM across systemctl kexec
#   make grub-check       the documented memmap= line through grub-mkconfig
#                         and GRUB
#   make check-qemu       running guests across kexec on QEMU 7.2, 10.0, 11.1
#   make deb              Debian packages into .cache/deb
#   make bench            vmkeep vs memfd, hugetlbfs, full copy (benchmarks.rst)
#   make bench-vms        its VM downtime part alone: QEMU 7.2, 10.0, 11.1
#   make bench-luo        its live update part alone: memfd copies
#   make install          libvmkeep (.so, header, .pc), vmkeepctl, man page,
#                         bash completion
#   make demo             the main job, step by step, in a VM
#   make stress           longer fuzzing, concurrency and kexec churn, and
#                         crash injection at every metadata write step
#   make sparse | checkpatch
#
# KDIR builds against any kernel tree (default: the running kernel's
# build tree when it exists, else the Debian KVER kernel fetched into
# .cache).  VM targets always use the fetched KVER kernel.

KVER ?= 6.12
# make check also runs one libvirt root (bookworm: libvirt 9.0, QEMU 7.2,
# the vmkeep path) on the default kernel; the other roots and modes are in
# make libvirt-check (check-all).
CHECK_LIBVIRT ?= $(filter 6.12,$(KVER))
# ... and systemd 262's fd stores across 'systemctl kexec' through vmkeep's
# /dev/liveupdate in a sid root (sid's 7.2 kernel): once, with 6.12's run.
CHECK_SYSTEMD_LUO ?= $(filter 6.12,$(KVER))
CACHE := $(CURDIR)/.cache
export CACHE

# Fetch the Debian kernel on first use and read one of its variables.
kenv = $(shell . "$$($(CURDIR)/scripts/fetch-kernel.sh $(KVER))" && echo "$$$(1)")
VM_KDIR = $(call kenv,KDIR)
VM_KENV = $(CACHE)/kernels/$(KVER)/env

ifeq ($(origin KDIR),undefined)
ifeq ($(origin KVER),file)
KDIR := $(wildcard /lib/modules/$(shell uname -r)/build)
endif
ifeq ($(KDIR),)
KDIR = $(eval KDIR := $(VM_KDIR))$(KDIR)
endif
endif

# The debug kernel runs the plans up to ten times slower under TCG: the
# first stage of e2e.plan took 616 s (80 s on 6.12), past the default 300.
# Its checkers are why it runs: every stall fails there too (VM_STALLS,
# selftests/vm/console.awk), not only those with a vmkeep frame.
#
# no5lvl: QEMU's "-cpu max" offers LA57, and with 5-level paging about
# one boot in ten (cold or kexec'd, vmkeep loaded or not) printed "BUG:
# KASAN: wild-memory-access in do_raw_spin_lock" from the timer IRQ at
# 0.006 s.  identify_cpu() zeroes boot_cpu_data's feature bits while it
# rereads CPUID, so for that window pgtable_l5_enabled() is false,
# KASAN_SHADOW_START is computed for 47 bits and every direct-map
# address (0xff11...) is "wild": a false report (up to 7.2), no bad
# write.  Under 4-level paging the window changes nothing.
ifeq ($(KVER),debug)
VM_TIMEOUT ?= 900
VM_STALLS ?= fail
VM_APPEND += no5lvl
export VM_TIMEOUT VM_STALLS VM_APPEND
endif

# sid's headers (KVER=7) need sid's gcc: build in a chroot made on first use.
KRUN = $(if $(filter 7,$(KVER)),$(CURDIR)/scripts/sid-chroot.sh)
KSRC := $(CACHE)/ksrc
# Mainline's live update uAPI header and selftests, from Debian's
# linux-source-7.2 (scripts/fetch-luo.sh): the module includes the header
# from LUO_UAPI where the kernel's headers lack it (kmod/Kbuild).
LUO_SRC := $(CACHE)/luo-src
LUO_UAPI := $(CACHE)/luo-uapi
KBUILD = $(KRUN) $(MAKE) -C $(KDIR) M=$(CURDIR) W=1 KCFLAGS=-Werror LUO_UAPI=$(LUO_UAPI)

all: modules tools

modules: $(LUO_SRC)/.stamp
	$(KBUILD) modules

$(LUO_SRC)/.stamp:
	scripts/fetch-luo.sh

tools:
	$(MAKE) -C lib
	$(MAKE) -C tools

$(KSRC)/.stamp:
	scripts/fetch-ksrc.sh

selftests: $(KSRC)/.stamp tools guest luo-selftests
	$(MAKE) -C selftests KSFT=$(KSRC)/tools/testing/selftests LUO_UAPI=$(LUO_UAPI)

# Mainline's tools/testing/selftests/liveupdate, built as the package has
# them with only the uAPI's include path set, into $(LUO_ST) with their
# do_kexec.sh; luo.plan runs them.  Their Makefile writes objects next to
# the sources, so they build in a copy.
LUO_ST := $(CACHE)/luo-st
luo-selftests: $(LUO_ST)/.stamp
$(LUO_ST)/.stamp: $(LUO_SRC)/.stamp
	rm -rf $(CACHE)/luo-build $(LUO_ST)
	cp -a $(LUO_SRC) $(CACHE)/luo-build
	mkdir -p $(LUO_ST)
	$(MAKE) -C $(CACHE)/luo-build/tools/testing/selftests/liveupdate \
		OUTPUT=$(LUO_ST) KHDR_INCLUDES="-isystem $(LUO_UAPI)"
	cp $(LUO_SRC)/tools/testing/selftests/liveupdate/do_kexec.sh $(LUO_ST)/
	rm -f $(LUO_ST)/*.[od]
	touch $@

# vkguest, the tiny guest the VM tests run in QEMU.
guest:
	$(MAKE) -C guest

# sparse prints its findings as warnings without failing: fail on them.
sparse: $(LUO_SRC)/.stamp
	$(KBUILD) C=2 modules 2>&1 | tee $(CACHE)/sparse.log
	! grep -E ': (warning|error):' $(CACHE)/sparse.log

# What checkpatch may not say, and why:
#  LINUX_VERSION_CODE, CONSTANT_COMPARISON, MACRO_WITH_FLOW_CONTROL:
#    kmod/vmkeep_compat.h exists to test kernel versions and to supply
#    guard()/scoped_guard() where the kernel lacks them.
#  LINE_SPACING: the uAPI header keeps each ioctl number next to its
#    struct, as iommufd.h does.
#  BIT_MACRO: the uAPI, on-pool format and libvmkeep headers are read by
#    userspace, which has no BIT().
#  MACRO_ARG_REUSE: the module's IOCTL_OP() table and the foreach
#    iterators name their arguments twice, as list_for_each_entry() does.
CHECKPATCH = $(KSRC)/scripts/checkpatch.pl --no-tree --strict --quiet --show-types \
	--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,MACRO_WITH_FLOW_CONTROL,LINE_SPACING,BIT_MACRO,MACRO_ARG_REUSE

# Userspace, besides:
#  PREFER_KERNEL_TYPES, STRCPY: it uses stdint types and libc's string
#    functions (strcpy only into buffers whose size was checked).
#  CAMELCASE: inttypes.h's PRIx64 and SCNu64.
#  VOLATILE: selftests keep the compiler from dropping memory accesses
#    they time or fault in.
#  ENOSYS: kexec_file_load() may be missing; ENOSYS says so.
#  LONG_LINE_STRING: a long message stays on one line to be grepped for
#    (coding-style: "Breaking long lines").
#  COMPLEX_MACRO: libvmkeep defines its one-field accessors with one macro.
CHECKPATCH_USER := PREFER_KERNEL_TYPES,STRCPY,CAMELCASE,VOLATILE,ENOSYS,LONG_LINE_STRING,COMPLEX_MACRO

checkpatch: $(KSRC)/.stamp
	$(CHECKPATCH) -f $$(git ls-files 'kmod/*.[ch]' 'format/*.[ch]' 'include/*.h' ':!include/vmkeep/libvmkeep.h')
	$(CHECKPATCH) --ignore $(CHECKPATCH_USER) \
		-f $$(git ls-files include/vmkeep/libvmkeep.h 'lib/*.[ch]' 'tools/*.[ch]' 'selftests/*.[ch]')

# Host unit tests, then the VM plan; each writes KTAP to .cache/results.
RESULTS := $(CACHE)/results/$(KVER)
PLANS ?= selftests/vm/plans/check.plan selftests/vm/plans/corrupt.plan \
	selftests/vm/plans/handoff.plan selftests/vm/plans/crash-sample.plan \
	selftests/vm/plans/interrupt.plan selftests/vm/plans/scale.plan \
	selftests/vm/plans/e2e.plan selftests/vm/plans/lifetime.plan \
	selftests/vm/plans/vklife.plan selftests/vm/plans/zero.plan \
	selftests/vm/plans/e2e-1g.plan selftests/vm/plans/fwram.plan \
	selftests/vm/plans/trust.plan selftests/vm/plans/filemodel.plan \
	selftests/vm/plans/e2e-7.2.plan selftests/vm/plans/updflow.plan \
	selftests/vm/plans/mf-race.plan selftests/vm/plans/luo.plan \
	selftests/vm/plans/luo-vmkeep.plan selftests/vm/plans/luotools.plan
QEMU_PLANS := selftests/vm/plans/e2e-7.2.plan selftests/vm/plans/e2e-10.0.plan \
	selftests/vm/plans/e2e-11.1.plan selftests/vm/plans/vmflow.plan \
	selftests/vm/plans/vmflow-10.0.plan selftests/vm/plans/vmflow-11.1.plan

unit: $(KSRC)/.stamp
	$(MAKE) -C tools unit
	selftests/vm/console_test.sh

# The module is copied per kernel, so a build for another KVER cannot
# slip into this run.
vmtest: selftests
	$(MAKE) KDIR=$(VM_KDIR) VMKEEP_FAULT_INJECT=1 modules
	@mkdir -p $(RESULTS)
	cp kmod/vmkeep.ko $(RESULTS)/vmkeep.ko
	@rc=0; for p in $(PLANS); do \
		k=$(RESULTS)/$$(basename $$p .plan).ktap; \
		VMKEEP_KO=$(RESULTS)/vmkeep.ko selftests/vm/vmtest.sh -k $(VM_KENV) $$p > $$k || \
			{ rc=1; echo "not ok 1 $$p # vmtest.sh failed" >> $$k; }; \
		cat $$k; \
	done; exit $$rc

check:
	@rm -rf $(RESULTS); mkdir -p $(RESULTS)
	@rc=0; \
	$(MAKE) unit > $(RESULTS)/unit.log 2>&1 || rc=1; \
	grep -h -E '^(not )?ok |^# ' $(RESULTS)/unit.log > $(RESULTS)/unit.ktap; \
	[ $$rc = 0 ] || { cat $(RESULTS)/unit.log; echo "not ok 1 unit # build or run failed" >> $(RESULTS)/unit.ktap; }; \
	for c in sparse checkpatch; do \
		if $(MAKE) -s $$c > $(RESULTS)/$$c.log 2>&1; then echo "ok 1 $$c"; \
		else sed "s/^/# /" $(RESULTS)/$$c.log; echo "not ok 1 $$c"; rc=1; fi; \
	done > $(RESULTS)/lint.ktap; \
	$(MAKE) vmtest || rc=1; \
	$(if $(CHECK_LIBVIRT),$(MAKE) -s libvirt-check LIBVIRT_SUITES=bookworm LIBVIRT_MODES=vmkeep \
		LIBVIRT_KTAP=$(RESULTS) || rc=1;) \
	$(if $(CHECK_SYSTEMD_LUO),$(MAKE) -s systemd-luo-check SYSTEMD_LUO_KTAP=$(RESULTS) || rc=1;) \
	scripts/ktap-summary.sh $(RESULTS)/*.ktap && [ $$rc = 0 ]

# Running guests across a kexec on each QEMU Debian ships (7.2 is the
# host's; 10.0 and 11.1 come from trixie and sid roots, scripts/qemu-root.sh).
check-qemu:
	@rm -rf $(RESULTS)/qemu; mkdir -p $(RESULTS)/qemu
	@rc=0; $(MAKE) vmtest PLANS="$(QEMU_PLANS)" RESULTS=$(RESULTS)/qemu || rc=1; \
	scripts/ktap-summary.sh $(RESULTS)/qemu/*.ktap && [ $$rc = 0 ]

# The three kernels, the debug kernel, the QEMU versions, then DKMS as an
# operator would use it.
check-all:
	$(MAKE) check KVER=6.12
	$(MAKE) check KVER=6.1
	$(MAKE) check KVER=7
	$(MAKE) check KVER=debug
	$(MAKE) check-qemu
	$(MAKE) systemd-test91-check
	$(MAKE) dkms-check
	$(MAKE) grub-check
	$(MAKE) systemd-check
	$(MAKE) libvirt-check

dkms-check:
	scripts/dkms-check.sh

# The memmap= line of tools/host/grub.cfg (and of the docs) through
# Debian 12's grub-mkconfig and GRUB, booted in QEMU.
grub-check:
	scripts/grub-check.sh

# Debian packages (debian/): vmkeep-dkms, vmkeepctl, libvmkeep1 and
# libvmkeep-dev, built from the files git knows of (not .cache or
# .git) copied into $(DEB)/src; the .debs land in $(DEB).
# kmod/luo-uapi, the uAPI header of the DKMS source (debian/rules), comes
# from $(LUO_UAPI) and is never committed.
DEB := $(CACHE)/deb
deb: $(LUO_SRC)/.stamp
	@v=$$(dpkg-parsechangelog -S Version); [ "$$v" = "$$(cat VERSION)" ] || \
		{ echo "debian/changelog is at $$v, VERSION at $$(cat VERSION)" >&2; exit 1; }
	rm -rf $(DEB)
	mkdir -p $(DEB)/src
	git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - | tar -xf - -C $(DEB)/src
	cp -a $(LUO_UAPI) $(DEB)/src/kmod/luo-uapi
	cd $(DEB)/src && dpkg-buildpackage -b -uc -us >../build.log 2>&1 || \
		{ tail -n 30 ../build.log; exit 1; }
	@ls $(DEB)/*.deb
	@# No lintian error or warning, pedantic tags included (info tags shown).
	cd $(DEB) && lintian --pedantic -I --fail-on error,warning,pedantic *.changes

# The packages installed into a Debian 12 root that boots with systemd:
# DKMS builds the module there, the service loads it at boot, and regions
# come back after 'systemctl kexec' (selftests/vm/systemd-test.sh).
systemd-check: deb guest
	@rc=0; selftests/vm/systemd-test.sh $(DEB) || rc=1; \
	selftests/vm/systemd-test.sh -s systemd-vms.sh $(DEB) || rc=1; exit $$rc

# The live update face under systemd 262, on a sid root booting sid's
# 7.x kernel: luo=1 in modprobe.d, vmkeep loaded by the initramfs hook,
# a service's memfd and region fd back from its fd store after
# 'systemctl kexec' (selftests/vm/systemd-luo.sh).
# SYSTEMD_LUO_KTAP: a directory that keeps the KTAP (make check's).
systemd-luo-check: deb
	$(MAKE) -C selftests vkfdstore
	@k=$${SYSTEMD_LUO_KTAP:-$(CACHE)/results}/systemd-luo.ktap; mkdir -p $${k%/*}; \
	rc=0; selftests/vm/systemd-test.sh -r sid -s systemd-luo.sh $(DEB) > $$k || \
		{ rc=1; echo "not ok 1 systemd-luo # systemd-test.sh failed" >> $$k; }; \
	cat $$k; exit $$rc

# systemd's own TEST-91-LIVEUPDATE (sid's systemd-tests) on vmkeep's
# /dev/liveupdate, booted as its integration-test wrapper boots it
# (selftests/vm/systemd-test.sh -t).
systemd-test91-check: deb
	selftests/vm/systemd-test.sh -t $(DEB)

# libvirt domains across 'systemctl kexec' in the libvirt roots (Debian 12:
# libvirt 9.0, QEMU 7.2; sid: libvirt 12, QEMU 11.1), AppArmor on
# (selftests/vm/systemd-test.sh -l, selftests/vm/libvirt-stage.sh).
# LIBVIRT_SUITES picks the roots.
LIBVIRT_SUITES ?= bookworm sid
LIBVIRT_MODES ?= baseline vmkeep
# LIBVIRT_KTAP: a directory that keeps each run's KTAP (make check's).
libvirt-check: deb guest
	@rc=0; for s in $(LIBVIRT_SUITES); do for m in $(LIBVIRT_MODES); do \
		k=$${LIBVIRT_KTAP:-$(CACHE)/results}/libvirt-$$s-$$m.ktap; mkdir -p $${k%/*}; \
		selftests/vm/systemd-test.sh -l $$s -m $$m $(DEB) > $$k || \
			{ rc=1; echo "not ok 1 libvirt $$s $$m # systemd-test.sh failed" >> $$k; }; \
		cat $$k; done; done; exit $$rc

# vmkeep beside memfd, hugetlbfs and a full RAM copy, in one VM run:
# samples in $(BENCH)/vm/results.txt, then bench.json, the plots and
# Documentation/benchmarks.rst.  Not part of make check: nothing is timed
# there.
BENCH := $(CACHE)/bench
bench: selftests
	$(MAKE) KDIR=$(VM_KDIR) modules
	@mkdir -p $(BENCH)
	VM_TIMEOUT=900 selftests/vm/vmtest.sh -k $(VM_KENV) -o $(BENCH)/vm \
		selftests/vm/plans/bench.plan > $(BENCH)/ktap.txt || \
		{ cat $(BENCH)/ktap.txt; exit 1; }
	VM_TIMEOUT=900 selftests/vm/vmtest.sh -k $(VM_KENV) -o $(BENCH)/vm-scale \
		selftests/vm/plans/bench-scale.plan > $(BENCH)/ktap-scale.txt || \
		{ cat $(BENCH)/ktap-scale.txt; exit 1; }
	$(MAKE) bench-luo-run
	cat $(BENCH)/vm/results.txt $(BENCH)/vm-scale/results.txt $(BENCH)/luo-samples.txt > $(BENCH)/results.txt
	cp $(BENCH)/vm/vm.env $(BENCH)/vm.env
	@# a failed bench-vms plan still leaves the report, then fails
	@rc=0; $(MAKE) bench-vms-run || rc=1; \
	scripts/bench-report.sh $(BENCH)/results.txt $(BENCH) Documentation && exit $$rc

# The live update step (issue 24): a memfd of 64, 256 and 1024 MiB through
# /dev/liveupdate, one per kexec, its copies beside a memcpy in the same
# boot (bench-luo.plan, selftests/vkluobench.c).  The kexec copy is timed
# by the kernel that kexecs, in the console: scripts/bench-luo-report.sh
# reads it and writes the samples to $(BENCH)/luo-samples.txt and the
# section of benchmarks.rst to $(BENCH)/luo.rst, with the other QEMUs and
# the load average when the run started ($(BENCH)/luo-host.txt).  make
# bench-luo runs it alone.
bench-luo-run:
	@mkdir -p $(BENCH)
	@# what else ran on the host when it started: the report says it
	@echo "$$(pgrep -c qemu-system || true) $$(cut -d' ' -f1 /proc/loadavg) $$(nproc)" > $(BENCH)/luo-host.txt
	VM_TIMEOUT=900 selftests/vm/vmtest.sh -k $(VM_KENV) -o $(BENCH)/vm-luo \
		selftests/vm/plans/bench-luo.plan > $(BENCH)/ktap-luo.txt || \
		{ cat $(BENCH)/ktap-luo.txt; exit 1; }
	scripts/bench-luo-report.sh $(BENCH) > $(BENCH)/luo.rst

bench-luo: selftests
	$(MAKE) KDIR=$(VM_KDIR) modules
	$(MAKE) bench-luo-run

# Running VMs on each QEMU, vmkeep beside a full copy, against guest RAM
# and the number of VMs (bench-vms-VER.plan, selftests/vmbench.sh): into
# $(BENCH)/vms-VER.  make bench-vms runs them alone and prints their
# section of benchmarks.rst ($(BENCH)/vms.rst, bench-vms.png there too).
BENCH_VMS_QEMU := 7.2 10.0 11.1
bench-vms-run:
	@mkdir -p $(BENCH)
	@rc=0; for v in $(BENCH_VMS_QEMU); do \
		VM_TIMEOUT=1800 selftests/vm/vmtest.sh -k $(VM_KENV) -o $(BENCH)/vms-$$v \
			selftests/vm/plans/bench-vms-$$v.plan > $(BENCH)/vms-$$v.ktap || \
			{ cat $(BENCH)/vms-$$v.ktap; rc=1; }; \
	done; exit $$rc

bench-vms: selftests
	$(MAKE) KDIR=$(VM_KDIR) modules
	$(MAKE) bench-vms-run
	scripts/bench-vms-report.sh $(BENCH) $(BENCH) > $(BENCH)/vms.rst

# Longer runs: 10 minutes of fuzzing, longer concurrency and churn.
stress: $(KSRC)/.stamp
	$(MAKE) -C tools stress-fuzz
	$(MAKE) vmtest PLANS="selftests/vm/plans/stress.plan selftests/vm/plans/crash.plan"

# libvmkeep, the tool, its man page and bash completion (PREFIX, DESTDIR,
# LIBDIR); the module installs with DKMS (dkms.conf) or "make
# modules_install" of Kbuild.
install uninstall:
	$(MAKE) -C tools $@

deps:
	scripts/install-deps.sh

demo: deps
	$(MAKE) selftests
	$(MAKE) KDIR=$(VM_KDIR) modules
	selftests/vm/vmtest.sh -v -k $(VM_KENV) selftests/vm/plans/demo.plan

clean:
	-$(KBUILD) clean 2>/dev/null
	rm -f format/*.o format/.*.cmd
	$(MAKE) -C lib clean
	$(MAKE) -C tools clean
	$(MAKE) -C selftests clean
	$(MAKE) -C guest clean

distclean: clean
	rm -rf $(CACHE)

.PHONY: deps all modules tools guest selftests luo-selftests check-qemu sparse checkpatch unit vmtest check check-all dkms-check grub-check deb systemd-check systemd-luo-check systemd-test91-check libvirt-check bench bench-luo bench-luo-run bench-vms bench-vms-run install uninstall stress demo clean distclean
