/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Candidate flow tables for bench/cost.sh -t (bench/ft_xdp.bpf.c), what
 * the BPF side and the bench's loader (bench/cost.c) share besides the
 * product table's layout (include/fg_flowtab.h).
 *
 * (b) ft_bkt: the product's bucket array (one region of FT_NB buckets per
 * CPU, 8-slot buckets behind a header line, the key hashed in BPF), with
 * one choice of bucket (ft_b) or two (ft_b2), and with the fill mark
 * (ft_b2m), each in a copy of fg_xdp's path, so that the designs are
 * measured in the same rounds.
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
#include "fg_flowtab.h"

/* Buckets per CPU region: 65,536 slots, today's default max-flows. */
#define FT_NB	    8192
#define FT_MAX_CPUS 4 /* regions; a CPU beyond goes to the overflow */
/* Live slots of a region above which drops skip the table (ft_b2m). */
#define FT_MARK (FT_NB * FG_FT_SLOTS / 8 * 7)

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

#ifndef __bpf__
_Static_assert(sizeof(struct ft_key4) == 20, "ft_key4 layout");
#endif

#endif /* FT_TABLE_H */
