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
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(void)
{
	struct timespec d = { 0, 200000000 };
	uint64_t t0, t1, c0, c1;
	cpu_set_t set;

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
