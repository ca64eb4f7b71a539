/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packet capture (`flowgate capture`, `replay ... capture`): the ABI
 * between the data path (bpf/lib/fg_capture.bpf.h) and user space
 * (ctl/capture/). Included by fg_common.h: the skeletons of the XDP and
 * TC objects name struct fg_cap_cfg, so whoever includes one needs it.
 *
 * At the verdict point the programs (fg_xdp, fg_tc_in, fg_tc_out and
 * replay's fg_replay) test one global, fg_cap_cfg.on. When it is set, a
 * packet that matches the selection (verdict, check, rule, interface),
 * passes the 1-in-N sampling and the per-CPU token bucket is copied, up
 * to snaplen bytes, into one BPF ring buffer shared by all CPUs, behind
 * a struct fg_cap_rec. Every packet the selection matched is counted
 * per reason in exactly one of sampled_out, captured, suppressed (token
 * bucket) or lost (ring full), so that
 *	captured + suppressed + lost == selected.
 */
#ifndef FG_CAPTURE_H
#define FG_CAPTURE_H

#include <linux/types.h>

/* Bytes of a packet a record holds at most; records of packets cut to
 * at most FG_CAP_SNAP_SMALL bytes take a small slot of the ring (floods
 * are mostly small packets), the others a full one. */
#define FG_CAP_SNAP_MAX	    1536
#define FG_CAP_SNAP_SMALL   128
#define FG_CAP_SNAP_DEFAULT FG_CAP_SNAP_MAX

/* Ring sizes (attach ... capture-ring SIZE): a power of two, at least a
 * page. Every record takes 8 bytes of the kernel's header more. */
#define FG_CAP_RING_DEFAULT (4u << 20)
#define FG_CAP_RING_MIN	    4096u
#define FG_CAP_RING_MAX	    (1u << 30)
#define FG_CAP_RING_HDR	    8
/* What a record with ROOM packet bytes takes of the ring: the kernel
 * rounds a reservation up to 8 bytes and adds its header. */
#define FG_CAP_ROOM(ROOM) \
	(((sizeof(struct fg_cap_rec) + (ROOM) + 7) & ~7ul) + FG_CAP_RING_HDR)

/* Verdicts, as selection bits and in records. */
#define FG_CAP_PASS (1u << 0)
#define FG_CAP_DROP (1u << 1)
#define FG_CAP_ALL  (FG_CAP_PASS | FG_CAP_DROP)

/*
 * The selection: the global fg_cap_cfg of every program instance, a
 * one-entry array map pinned as FG_MAP_CAP_CFG and shared by all of
 * them, written by user space at runtime. All zero: capture off.
 */
struct fg_cap_cfg {
	__u32 on;	   /* 0: the data path does nothing else */
	__u32 gen;	   /* changed per capture: per-CPU state starts over */
	__u32 verdicts;	   /* FG_CAP_PASS and/or FG_CAP_DROP */
	__u32 checks;	   /* bit r: a packet on which check r fired (dropped
			    * or counted); 0: any */
	__u32 rule_id;	   /* packets rule ID dropped; 0: any */
	__u32 ifindex;	   /* 0: any interface */
	__u32 sample;	   /* 1 in N matching packets, per CPU; 0, 1: all */
	__u32 snaplen;	   /* 1..FG_CAP_SNAP_MAX */
	__u64 interval_ns; /* token bucket: one packet per interval per CPU;
			    * 0: no limit */
	__u64 burst_ns;	   /* (burst - 1) * interval_ns: how far ahead */
	__u32 owner;	   /* pid of the capture that set it */
	__u32 pad;
};

/* Per-CPU state of the selection (map FG_MAP_CAP_CPU, key 0). */
struct fg_cap_cpu {
	__u32 gen;    /* fg_cap_cfg.gen it belongs to */
	__u32 seen;   /* matching packets, for the sampling */
	__u64 tat_ns; /* token bucket: theoretical arrival time (GCRA) */
};

/* Counters of one reason (FG_R_NONE: passed packets), per CPU (map
 * FG_MAP_CAP_STATS, key = reason). */
struct fg_cap_count {
	__u64 sampled_out; /* matched, left out by the sampling */
	__u64 selected;	   /* matched and sampled */
	__u64 captured;	   /* in the ring */
	__u64 suppressed;  /* over the token bucket */
	__u64 lost;	   /* the ring was full */
};
#define FG_CAP_NKEYS 32 /* >= FG_R_MAX, asserted in fg_common.h */

/* Record flags. */
#define FG_CAP_F_WALL                                                  \
	(1u << 0)	      /* ts_ns is ns since the epoch (replay), \
			       * else CLOCK_MONOTONIC */
#define FG_CAP_F_TC (1u << 1) /* from a TC program, else XDP */

/* Queue of a packet whose RX queue is not known (TC). */
#define FG_CAP_NO_QUEUE 0xffffffffu

/* One record of the ring, followed by cap_len bytes of the packet. */
struct fg_cap_rec {
	__u64 ts_ns;
	__u32 ifindex;
	__u32 rx_queue;	 /* FG_CAP_NO_QUEUE: unknown */
	__u32 wire_len;	 /* the packet's length on the wire */
	__u32 cap_len;	 /* bytes that follow */
	__u32 reason;	 /* enum fg_reason; FG_R_NONE: passed */
	__u32 hits;	 /* bit r: check r fired */
	__u32 rule_id;	 /* the rule that dropped it, 0 if none */
	__u32 flow_hash; /* fg_cap_flow_hash() of its flow key */
	__u8 dir;	 /* enum fg_dir */
	__u8 verdict;	 /* FG_CAP_PASS or FG_CAP_DROP */
	__u8 flags;	 /* FG_CAP_F_* */
	__u8 pad[5];
	__u8 data[];
};

/*
 * Hash of a flow's addresses, ports, protocol and IP version (the fields
 * of struct fg_flow_key a packet has; addresses as there, IPv4 as
 * ::ffff:a.b.c.d): the record's flow_hash, which user space computes the
 * same way from a flow key to find a packet's flow.
 */
static inline __u32 fg_cap_flow_hash(const __u8 *src, const __u8 *dst,
				     __be16 sport, __be16 dport, __u8 proto,
				     __u8 ip_ver)
{
	__u32 h = 0x9747b28c, w[10], i;

	__builtin_memcpy(w, src, 16);
	__builtin_memcpy(&w[4], dst, 16);
	w[8] = (__u32)sport << 16 | dport;
	w[9] = (__u32)proto << 8 | ip_ver;
	for (i = 0; i < 10; i++) {
		h = (h ^ w[i]) * 0x9e3779b1;
		h ^= h >> 15;
	}
	return h;
}

#ifndef __bpf__
_Static_assert(sizeof(struct fg_cap_cfg) == 56, "fg_cap_cfg layout");
_Static_assert(sizeof(struct fg_cap_cpu) == 16, "fg_cap_cpu layout");
_Static_assert(sizeof(struct fg_cap_count) == 40, "fg_cap_count layout");
_Static_assert(sizeof(struct fg_cap_rec) == 48, "fg_cap_rec layout");
#endif

#endif /* FG_CAPTURE_H */
