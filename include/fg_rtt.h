/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP round-trip time: what the sock_ops program (bpf/sockops/) shares with
 * user space (ctl/rtt/, `flowgate rtt`, the exporter's join).
 */
#ifndef FG_RTT_H
#define FG_RTT_H

#include <linux/types.h>
#include "fg_common.h"

/*
 * One record per TCP connection of the host, keyed by its local and remote
 * end. A flow key turns into this key without a lookup: an egress flow
 * (dir 1, sent by the host) has src = local, an ingress flow (dir 0) has
 * src = remote (fg_rtt_key_from_flow() in ctl/rtt/rtt_join.c). Addresses and
 * port byte order are those of struct fg_flow_key, so the same bytes compare.
 */
struct fg_rtt_key {
	__u8 laddr[16]; /* IPv4 as ::ffff:a.b.c.d */
	__u8 raddr[16];
	__be16 lport;
	__be16 rport;
	__u8 ip_ver; /* 4 (also IPv4 on a dual-stack socket) or 6 */
	__u8 pad[3];
};

/* Samples are the kernel's RTT measurement of each RTT callback (mrtt,
 * args[0]), in microseconds; mean = sum_us / samples. */
struct fg_rtt_val {
	__u64 first_ns; /* first sample, CLOCK_MONOTONIC (coarse: 1-10 ms) */
	__u64 last_ns;	/* latest sample */
	__u64 close_ns; /* when it closed (fg_rtt_closed only), else 0 */
	__u64 sum_us;
	__u32 samples;
	__u32 min_us;
	__u32 max_us;
	__u32 last_us; /* latest sample */
	__u32 srtt_us; /* the kernel's smoothed RTT after the latest sample */
	__u32 flags;   /* FG_RTT_F_* */
};

#define FG_RTT_F_ACTIVE	 (1u << 0) /* the host opened it (connect) */
#define FG_RTT_F_PASSIVE (1u << 1) /* the host accepted it */
#define FG_RTT_F_CLOSED	 (1u << 2) /* final record, in fg_rtt_closed */
#define FG_RTT_F_COARSE	 (1u << 3) /* a sample came from skops->srtt_us */

/* log2 buckets in microseconds: slot 0 holds 0-1 us, slot i holds
 * [2^i, 2^(i+1)); the last one holds everything from 2^31 us up. */
#define FG_RTT_SLOTS 32

/*
 * Per-port histograms (per-CPU hash fg_rtt_phist). The port is the local
 * one for connections the host accepted, the remote one for connections
 * it opened: their local port is ephemeral, and one histogram per
 * ephemeral port would fill the table with nothing anyone asked for.
 */
struct fg_rtt_pkey {
	__u16 port; /* host order */
	__u8 side;  /* enum fg_rtt_side */
	__u8 pad;
};

enum fg_rtt_side {
	FG_RTT_SIDE_LOCAL = 0,	/* port is the local port (accepted) */
	FG_RTT_SIDE_REMOTE = 1, /* port is the remote port (opened) */
};

struct fg_rtt_hist {
	__u64 slots[FG_RTT_SLOTS];
};

/*
 * Counters and the global histogram (per-CPU array fg_rtt_stats, key 0):
 * one lookup per sample serves both. Every sample lands in hist, so
 * Σ hist = samples; Σ per-port histograms + port_full = samples.
 */
struct fg_rtt_stats {
	__u64 samples;	 /* RTT callbacks recorded */
	__u64 conns;	 /* connections entered in fg_rtt_conns */
	__u64 closed;	 /* connections closed: record moved to fg_rtt_closed */
	__u64 conn_full; /* record inserts refused, fg_rtt_conns full (a
			  * connection that never fits counts at every try) */
	__u64 port_full; /* sample in no per-port histogram: table full */
	__u64 coarse;	 /* samples from skops->srtt_us (no callback args) */
	__u64 untracked; /* closes of connections that had no record */
	__u64 closed_lost; /* final records the closed table refused */
	__u64 sum_us; /* of every sample: the histogram's sum (Prometheus) */
	struct fg_rtt_hist hist;
};

/* Written by user space at `rtt enable` (array fg_rtt_info, key 0). */
struct fg_rtt_info {
	__u64 cgroup_id;
	__u64 enable_time; /* CLOCK_REALTIME seconds */
	char cgroup[240];  /* the path given, for status */
};

/* Context of the test-only program fg_rtt_drive (BPF_PROG_TEST_RUN has
 * no sock_ops): it runs the callbacks' code on a key given by the test. */
struct fg_rtt_drive {
	__u32 op;      /* BPF_SOCK_OPS_TCP_CONNECT_CB, _PASSIVE_ESTABLISHED_CB,
			* _RTT_CB or _STATE_CB */
	__u32 flags;   /* FG_RTT_F_* to record (connect, established) */
	__u32 args[2]; /* as the kernel passes them to the callback */
	struct fg_rtt_key key;
};

#define FG_RTT_MAX_CONNS  65536
#define FG_RTT_MAX_CLOSED 8192
#define FG_RTT_MAX_PORTS  1024
/* Pins of the RTT path live in this subdirectory of the pin dir, so that
 * detaching the last interface leaves them, and `rtt disable` leaves the
 * rest. */
#define FG_RTT_PIN_SUBDIR "rtt"

#ifndef __bpf__
_Static_assert(sizeof(struct fg_rtt_key) == 40, "fg_rtt_key layout");
_Static_assert(sizeof(struct fg_rtt_val) == 56, "fg_rtt_val layout");
_Static_assert(sizeof(struct fg_rtt_pkey) == 4, "fg_rtt_pkey layout");
_Static_assert(sizeof(struct fg_rtt_stats) == 9 * 8 + 8 * FG_RTT_SLOTS,
	       "fg_rtt_stats layout");
_Static_assert(sizeof(struct fg_rtt_info) == 256, "fg_rtt_info layout");
_Static_assert(sizeof(struct fg_rtt_drive) == 56, "fg_rtt_drive layout");
#endif

#endif /* FG_RTT_H */
