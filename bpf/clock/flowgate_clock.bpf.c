// SPDX-License-Identifier: GPL-2.0
/*
 * fg_clock_cal: the calibration of the data path's jiffies clock
 * (bpf/lib/fg_clock.bpf.h), never attached. ctl/lib/clock.c runs it
 * through BPF_PROG_TEST_RUN, many times a run, until it has seen jiffies
 * change between two runs close together, before it loads a
 * program that counts flows. Each run reads jiffies, then
 * CLOCK_MONOTONIC: the kernel makes jiffies J at a CLOCK_MONOTONIC time
 * of at least base + J * tick (the start of tick J), and less than a tick
 * after it, so every run's ns - J * tick is at least the base, and the
 * run right after a change comes less than a tick after it. A TC
 * program: XDP's test run switches the kernel's XDP dispatcher to the
 * program and back at every run, milliseconds each, where the
 * calibration wants runs microseconds apart.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u64 fg_clock_tick = 0; /* the loader's tick, ns */
/* Two runs at most this far apart see a change of jiffies closely. */
const volatile __u64 fg_cal_gap = 0;

__s64 fg_cal_min = 0x7fffffffffffffffll; /* of ns - jiffies * tick */
__u64 fg_cal_runs;
__u64 fg_cal_j, fg_cal_ns; /* the last run's */
__u64 fg_cal_seen;	   /* changes of jiffies seen closely */

SEC("tc")
int fg_clock_cal(struct __sk_buff *skb)
{
	__u64 j = bpf_jiffies64();
	__u64 ns = bpf_ktime_get_ns();
	__s64 d = (__s64)(ns - j * fg_clock_tick);

	if (d < fg_cal_min)
		fg_cal_min = d;
	if (fg_cal_runs++ && j != fg_cal_j && ns - fg_cal_ns <= fg_cal_gap)
		fg_cal_seen++;
	fg_cal_j = j;
	fg_cal_ns = ns;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
