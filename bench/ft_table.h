/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Candidate flow tables for bench/cost.sh -t (bench/ft_xdp.bpf.c), the
 * layout the BPF side and the bench's loader (bench/cost.c) share. Not
 * the product: the plan that would make candidate (b) the product's table
 * is written apart from the code.
 *
 * (b) ft_bkt: an open-addressed table in a BPF array (BPF_F_MMAPABLE, so
 * that a reader maps it instead of a syscall per flow), one region of
 * FT_NB buckets per CPU so that every slot has a single writer (the CPU's
 * program) and needs no atomics. A bucket is 8 slots behind one header
 * line: a packet hashes its key in BPF (no helper), reads the header
 * line, and compares the full key only where the tag matches; a miss
 * into a full bucket costs that one line. With two choices (ft_b2) a key
 * may live in either of two buckets and a new one goes to the emptier. The
 * exporter would write only the ack fields (what it has exported of the slot's
 * current generation); BPF takes a slot back only when the exporter has acked
 * all of it as ended, so nothing counted is lost between the read and reuse.
 *
 * (c) ft_flows4: today's per-CPU hash, but with a 20-byte key for IPv4
 * (no inner VLAN); everything else goes to fg_flows: what a smaller key
 * alone would save in the helper's hashing.
 */
#ifndef FT_TABLE_H
#define FT_TABLE_H

#include <linux/types.h>
#include "fg_common.h"
#include "fg_parse.h"

#define FT_SLOTS 8 /* per bucket: the probe bound */
/* Buckets per CPU region: 65,536 slots, today's default max-flows. */
#define FT_NB	     8192
#define FT_MAX_CPUS  4 /* regions; a CPU beyond goes to the overflow */
#define FT_ACK_ENDED 0x80u
/* Live slots of a region above which drops skip the table (ft_b2m). */
#define FT_MARK (FT_NB * FT_SLOTS / 8 * 7)

/* Slot: the key and the gen on one cache line (what a hit compares),
 * the counters and the exporter's ack on the next. */
struct ft_slot {
	struct fg_flow_key key;
	__u32 gen;     /* BPF: bumped at every (re)use of the slot */
	__u32 ack_gen; /* exporter: the gen its ack is about */
	__u32 pad0;
	struct fg_flow_val val; /* BPF */
	__u64 ack_pkts;		/* exporter: exported up to these */
	__u64 ack_octets;
	__u64 pad1;
};

/* Bucket: the header line, then the slots. tag 0 is a free slot; gen8
 * (BPF) is the slot's gen & 0x7f, ack8 (exporter) is gen8 | FT_ACK_ENDED
 * once the exporter acked that gen as ended (idle): a header-line hint,
 * so that a miss into a full bucket needs no slot line to learn that
 * nothing is reusable; the slot's own fields decide. */
struct ft_bucket {
	__u32 tag[FT_SLOTS];
	__u8 gen8[FT_SLOTS];
	__u8 ack8[FT_SLOTS];
	/* In a region's first bucket only: its fill, for the mark (ft_b2m).
	 * Slots are reused, never freed, so the live count needs both
	 * writers' events: used and reused (BPF), ended (the exporter). */
	__u32 used;
	__u32 reused;
	__u32 ended;
	__u32 pad;
	struct ft_slot slot[FT_SLOTS];
};

/* (c): IPv4 without an inner VLAN tag. Direction in bit 31 of ifindex
 * (FG_KEY_OUT), as fg_account() takes it. */
struct ft_key4 {
	__u32 ifdir;
	__u8 proto;
	__u8 reason;
	__u16 vlan;
	__be32 src;
	__be32 dst;
	__be16 sport;
	__be16 dport;
};

/* The flow key as 7 words for the hash: 52 bytes and a zero word half. */
union ft_key {
	struct fg_flow_key k;
	__u64 w[7];
};

/* A multiply-xorshift over 7 words, seeded: a few ns in BPF, and a
 * sender who does not know the seed cannot aim at a bucket. */
FG_INLINE __u64 ft_hash(const union ft_key *u, __u64 seed)
{
	__u64 h = seed ^ 0x9e3779b97f4a7c15ull;
	int i;

	FG_UNROLL
	for (i = 0; i < 7; i++) {
		h = (h ^ u->w[i]) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

FG_INLINE int ft_key_eq(const struct fg_flow_key *a, const union ft_key *b)
{
	const __u64 *x = (const __u64 *)a;
	__u32 tail = *(const __u32 *)((const __u8 *)a + 48);

	return !((x[0] ^ b->w[0]) | (x[1] ^ b->w[1]) | (x[2] ^ b->w[2]) |
		 (x[3] ^ b->w[3]) | (x[4] ^ b->w[4]) | (x[5] ^ b->w[5]) |
		 (tail ^ (__u32)b->w[6]));
}

#ifndef __bpf__
_Static_assert(sizeof(struct ft_slot) == 128, "ft_slot: two cache lines");
_Static_assert(sizeof(struct ft_bucket) == 64 + 8 * 128, "ft_bucket layout");
_Static_assert(sizeof(struct ft_key4) == 20, "ft_key4 layout");
_Static_assert(sizeof(union ft_key) == 56, "ft_key layout");
#endif

#endif /* FT_TABLE_H */
