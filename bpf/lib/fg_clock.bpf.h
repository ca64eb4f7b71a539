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

static __always_inline __u64 fg_now(void)
{
	if (fg_capture_clock)
		return fg_pkt_ns;
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
