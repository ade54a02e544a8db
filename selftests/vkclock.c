// SPDX-License-Identifier: GPL-2.0
/*
 * vkclock - a clock that keeps running across kexec: the TSC of CPU 0.
 *
 * CLOCK_MONOTONIC starts again at every boot, and the test VM's RTC has
 * whole seconds, so the time a kexec takes (from the last VM saved in
 * the old kernel to the first step in the new one) is measured with the
 * TSC, which kexec does not reset.  Prints "TSC KHZ": the counter and its
 * rate, calibrated against CLOCK_MONOTONIC over 200 ms.  Under TCG the
 * TSC is the host's, so the rate is the same in both kernels.
 *
 * vkclock -r prints CLOCK_REALTIME in ms instead.  Each kernel sets it
 * from the RTC's whole seconds at boot, so two readings in two kernels
 * are within about a second of the truth, whatever the TSC did: in
 * vmflow.plan the TSC difference across 'vmkeepctl update --exec' came
 * out seconds shorter than the new kernel's uptime alone.
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct timespec d = { 0, 200000000 };
	uint64_t t0, t1, c0, c1;
	cpu_set_t set;

	if (argc == 2 && !strcmp(argv[1], "-r")) {
		clock_gettime(CLOCK_REALTIME, &d);
		printf("%llu\n", d.tv_sec * 1000ull + d.tv_nsec / 1000000);
		return 0;
	}

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("vkclock: sched_setaffinity");
		return 1;
	}
	c0 = __rdtsc();
	t0 = now_ns();
	nanosleep(&d, NULL);
	c1 = __rdtsc();
	t1 = now_ns();
	printf("%llu %llu\n", (unsigned long long)c0,
	       (unsigned long long)((c1 - c0) * 1000000 / (t1 - t0)));
	return 0;
}
