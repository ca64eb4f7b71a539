/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data path's clock and random numbers: the kernel's, or, for packets
 * of a capture run through the object, the capture's own time and a
 * seeded generator, so that two runs over the same capture write the same
 * flows.
 */
#ifndef FG_CLOCK_BPF_H
#define FG_CLOCK_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* Set before load: flow times follow fg_pkt_ns (the packet's timestamp,
 * ns since the epoch, written per packet by the program that runs the
 * capture) instead of the kernel's clock. A switch of its own, not
 * fg_record_last, so that tests recording verdicts keep the kernel's
 * clock. */
const volatile __u8 fg_capture_clock = 0;
__u64 fg_pkt_ns = 0;

/*
 * The kernel's clock without a helper call: jiffies, which the verifier
 * inlines as one load of jiffies_64 on 64-bit JITs (since Linux 5.5; a
 * helper call elsewhere), times the tick. The kernel advances jiffies one
 * TICK_NSEC of CLOCK_MONOTONIC at a time from a fixed origin, so that
 * base + jiffies * tick is CLOCK_MONOTONIC ns at the start of the current
 * tick, never later than what user space reads: as fine as the coarse
 * clock, which lags by a tick too. The loader finds both
 * (ctl/lib/clock.c: the tick from the kernel, the base measured at load
 * by bpf/clock/flowgate_clock.bpf.c) and sets them here; fg_clock_tick 0
 * (a loader that could not, or did not) keeps
 * bpf_ktime_get_coarse_ns(), the other branch then dead code for the
 * verifier.
 */
const volatile __u64 fg_clock_tick = 0; /* ns a jiffy; 0: the helper */
const volatile __u64 fg_clock_base = 0; /* ns at jiffies 0, modulo 2^64 */

static __always_inline __u64 fg_now(void)
{
	if (fg_capture_clock)
		return fg_pkt_ns;
	if (fg_clock_tick)
		return fg_clock_base + bpf_jiffies64() * fg_clock_tick;
	return bpf_ktime_get_coarse_ns();
}

/* With the capture's clock, sampling draws from this xorshift32 instead of
 * the kernel's prandom, so that two runs sample the same packets (a
 * capture runs on one CPU, one test run at a time: no race on it). */
__u32 fg_rand_state = 0x9e3779b9;

static __always_inline __u32 fg_rand(void)
{
	__u32 x = fg_rand_state;

	if (!fg_capture_clock)
		return bpf_get_prandom_u32();
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	fg_rand_state = x;
	return x;
}

#endif /* FG_CLOCK_BPF_H */
