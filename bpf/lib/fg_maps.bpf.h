/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps and accounting shared by the BPF programs (XDP now, TC later). BPF
 * only: user space sees these maps through the skeleton and the pins.
 */
#ifndef FG_MAPS_BPF_H
#define FG_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fg_common.h"
#include "fg_parse.h"
#include "fg_replay.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fg_config);
} fg_config SEC(".maps");

/* An array, not a hash keyed by ifindex: the verifier inlines an array
 * lookup (~1 ns), a per-CPU hash lookup costs ~24 ns a packet. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * FG_NSLOTS);
	__type(key, __u32);
	__type(value, struct fg_ifstats);
} fg_ifstats SEC(".maps");

/* Set by attach before load: this instance's interface slot (fg_iface.slot).
 * Every interface gets its own instance of the objects, so a constant per
 * instance is enough; FG_SLOT_OTHER for any other loader. */
const volatile __u32 fg_slot = FG_SLOT_OTHER;

/* Written by user space only (what `attach` did); part of the object so
 * that it is created and pinned with the rest of the state. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FG_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct fg_iface);
} fg_ifaces SEC(".maps");

/* Set by replay and tests before load: record each packet's verdict in
 * .bss so that user space can read it per BPF_PROG_TEST_RUN. Being rodata,
 * the verifier removes the stores when it is off. */
const volatile __u8 fg_record_last = 0;
__u32 fg_last_reason = 0;
__u32 fg_last_hits = 0;
/* Replay only: the packet's length on the wire when the frame handed to
 * BPF_PROG_TEST_RUN is shorter (capture snaplen, or cut to what test_run
 * accepts). 0: the frame is the whole packet. With FG_WIRE_SET, the rest
 * is the length even if shorter than the frame (padded runts). */
__u32 fg_wire_len = 0;

/* Replay only, set before load: flow times follow the capture's clock,
 * fg_replay_ns (the packet's timestamp, ns since the epoch), instead of
 * the kernel's. A switch of its own, not fg_record_last, so that tests
 * recording verdicts keep the kernel's clock. */
const volatile __u8 fg_capture_clock = 0;
__u64 fg_replay_ns = 0;

static __always_inline __u64 fg_now(void)
{
	if (fg_capture_clock)
		return fg_replay_ns;
	return bpf_ktime_get_coarse_ns();
}

/* Replay: sampling draws from this xorshift32 instead of the kernel's
 * prandom, so that two replays of a capture sample the same packets
 * (replay runs on one CPU, one test run at a time: no race on it). */
__u32 fg_replay_rand = 0x9e3779b9;

static __always_inline __u32 fg_rand(void)
{
	__u32 x = fg_replay_rand;

	if (!fg_capture_clock)
		return bpf_get_prandom_u32();
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	fg_replay_rand = x;
	return x;
}

/* Where the packet ends on the wire: data_end, except in replay where the
 * capture may hold only its first bytes. Bounded (FG_MAX_WIRE) so that
 * data + len stays a packet pointer the verifier can follow. */
static __always_inline void *fg_wire_end(void *data, void *data_end)
{
	__u32 len = fg_wire_len;

	if (!fg_record_last || !len)
		return data_end;
	if (!(len & FG_WIRE_SET) && len <= (__u32)(data_end - data))
		return data_end;
	len &= ~FG_WIRE_SET;
	if (len > FG_MAX_WIRE)
		len = FG_MAX_WIRE;
	return data + len;
}

static const struct fg_config fg_zero_config;

static __always_inline const struct fg_config *fg_config_get(void)
{
	__u32 key = 0;
	const struct fg_config *cfg = bpf_map_lookup_elem(&fg_config, &key);

	return cfg ? cfg : &fg_zero_config;
}

/* This instance's counters of one direction (enum fg_dir). */
static __always_inline struct fg_ifstats *fg_stats_get(__u32 dir)
{
	__u32 key = fg_slot_key(fg_slot, dir);
	struct fg_ifstats *s = bpf_map_lookup_elem(&fg_ifstats, &key);

	if (s)
		return s;
	/* A slot beyond the array (a loader that set fg_slot wrong): count
	 * under the catch-all rather than lose the packet. */
	key = fg_slot_key(FG_SLOT_OTHER, dir);
	return bpf_map_lookup_elem(&fg_ifstats, &key);
}

/* The guard's counters of one packet (ingress entries only). */
static __always_inline void fg_guard_count(struct fg_ifstats *s, __u32 reason,
					   __u32 hits, __u64 bytes)
{
	__u32 r;

	s->rx_packets++;
	s->rx_bytes += bytes;
	if (hits) {
		for (r = 1; r < FG_R_MAX; r++)
			if (hits & (1u << r))
				s->matched[r]++;
	}
	if (reason) {
		r = reason & 31;
		s->drop_packets[r]++;
		s->drop_bytes[r] += bytes;
	} else {
		s->pass_packets++;
		s->pass_bytes += bytes;
	}
}

#endif /* FG_MAPS_BPF_H */
