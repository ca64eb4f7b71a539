/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Operator rules: the types shared by the BPF rule stage
 * (bpf/lib/fg_rules.bpf.h) and the CLI (ctl/rule*.c). Only fixed-width
 * types; sizes asserted at the bottom.
 *
 * Every rule map holds two halves, 0 and 1 (the generation's low bit). The
 * data path reads fg_rule_ctl.gen once per packet and looks
 * only at that half; user space builds the other half, then switches gen
 * with one map update. ARCHITECTURE.md has the whole story.
 */
#ifndef FG_RULES_H
#define FG_RULES_H

#include <linux/types.h>

/* Rules per half; rule IDs run from 1 to FG_RULE_MAX. A power of two, so
 * that the data path can mask a slot number. */
#define FG_RULE_MAX (1u << 17)
/* Rules one index entry can name: a prefix's own rules and those of every
 * prefix covering it (and likewise for the list of rules without an
 * address). A power of two, for the same reason. */
#define FG_RULE_CAND 16
#define FG_RULE_NONE 0xffffffffu

enum fg_rule_action {
	FG_RULE_DROP = 1,
	FG_RULE_PASS = 2,
	FG_RULE_COUNT = 3, /* counted, evaluation goes on */
};

/* Which fields a rule sets (fg_rule_def.flags, fg_rule.flags). */
#define FG_RF_SRC   (1u << 0)
#define FG_RF_DST   (1u << 1)
#define FG_RF_PROTO (1u << 2)
#define FG_RF_SPORT (1u << 3)
#define FG_RF_DPORT (1u << 4)
#define FG_RF_DEV   (1u << 5)
#define FG_RF_ARP   (1u << 6) /* `proto arp`: ARP frames, nothing else */

enum fg_rule_field {
	FG_RULE_F_SRC = 0,
	FG_RULE_F_DST = 1,
};

/*
 * The index: per half and field, an inner map of fg_rule_mb4 (IPv4: the
 * multibit arrays below) and of fg_rule_mb6 and fg_rule_tl6 (IPv6: the
 * same arrays over 128 bits, and their tails) at slot half * 2 + field.
 */

/*
 * The IPv4 index as a multibit trie in arrays (fg_rule_mb4: one inner
 * array per half and field): a root
 * block of 2^16 entries indexed by the address's first 16 bits, then
 * blocks of 2^FG_MB_STRIDE entries, one per further FG_MB_STRIDE bits,
 * block b at FG_MB_ROOT + b * FG_MB_SIZE. An entry is 0 (no prefix covers
 * the address), FG_MB_PTR | b (go on in block b), or list + 1: the index
 * entry (fg_rule_lsts[half][list]) of the longest prefix covering every
 * address below it (prefixes are expanded to the stride). So a lookup is
 * at most 1 + FG_MB_LEVELS array reads, whatever the number of prefixes.
 */
#define FG_MB_ROOT_BITS 16
#define FG_MB_ROOT	(1u << FG_MB_ROOT_BITS)
#define FG_MB_STRIDE	4
#define FG_MB_SIZE	(1u << FG_MB_STRIDE)
#define FG_MB_LEVELS	((32 - FG_MB_ROOT_BITS) / FG_MB_STRIDE)
#define FG_MB_PTR	(1u << 31)

/* One element of a multibit array: a block (the root is FG_MB_ROOT /
 * FG_MB_SIZE of them, then block b is element FG_MB_ROOT / FG_MB_SIZE +
 * b). */
struct fg_rule_mbblk {
	__u32 e[FG_MB_SIZE];
};

/*
 * The IPv6 index (fg_rule_mb6: blocks, fg_rule_tl6: tails; one inner
 * array of each per half and field): the same root of the first 16 bits
 * and blocks of FG_MB_STRIDE bits, at most FG_MB6_LEVELS of them under
 * the root, with one more kind of entry: FG_MB6_TAIL | t, "exactly one
 * prefix longer than this entry lies below it". Tail t holds that prefix
 * and two leaves: its own, and the one of every other address under the
 * entry (the longest shorter prefix covering the entry, or 0). So blocks
 * exist only where two or more prefixes share a path: a lone /128 costs a
 * tail, not 28 blocks (ctl/rules/rule_mb6.c has the memory bound).
 */
#define FG_MB6_LEVELS ((128 - FG_MB_ROOT_BITS) / FG_MB_STRIDE)
#define FG_MB6_TAIL   (1u << 30)

/* The IPv6 blocks are stored in chunks of FG_MB6_CHUNK blocks (one array
 * element of 1 MB: the root's 4,096 blocks and the first 12,288 others):
 * block number g (root blocks first, as for IPv4) is block g %
 * FG_MB6_CHUNK of element g / FG_MB6_CHUNK. A walk looks a chunk up only
 * when the next block lies in another one (each lookup is a call; within
 * a chunk a level is a load), and user space numbers the blocks of a
 * chain consecutively: most walks cost one lookup, a deep chain across a
 * chunk boundary two. The price: 1 MB per field in use, where the root
 * alone is 256 KB; smaller chunks split a chain more often and cost more
 * at large sets (bench/cost.sh -r -6). */
#define FG_MB6_CHUNK_BITS 14
#define FG_MB6_CHUNK	  (1u << FG_MB6_CHUNK_BITS)

struct fg_rule_mb6chunk {
	struct fg_rule_mbblk b[FG_MB6_CHUNK];
};

struct fg_rule_tail6 {
	__u64 hi, lo;	/* the prefix, host order, masked to len */
	__u32 len;	/* FG_MB_ROOT_BITS + 1 to 128 */
	__u32 leaf;	/* list + 1 of the prefix */
	__u32 fallback; /* leaf (or 0) of the entry's other addresses */
	__u32 pad;
};

static inline __u32 fg_rule_slot(__u32 half, __u32 field)
{
	return (half & 1) * 2 + (field & 1);
}

/* Value of the index and of fg_rule_glob: the slots of the rules that may
 * match, ascending (slot order is evaluation order). */
struct fg_rule_list {
	__u32 n;
	__u32 slot[FG_RULE_CAND];
};

/*
 * One rule as the data path checks it (fg_rules[half * FG_RULE_MAX +
 * slot]). The field the rule was indexed by is already matched by the
 * index lookup; the other address, if any, is checked here.
 */
struct fg_rule {
	__u32 id;
	__u32 ifindex; /* 0: every interface */
	__u8 action;   /* enum fg_rule_action */
	__u8 flags;    /* FG_RF_*: what to check here */
	__u8 proto;
	__u8 family;		  /* 0: any IP packet; 4 or 6 */
	__u16 sport_lo, sport_hi; /* host order, inclusive */
	__u16 dport_lo, dport_hi;
	__u32 addr[4]; /* the other address, masked (FG_RF_SRC or _DST) */
	__u32 mask[4];
};

/* Single entry of fg_rule_ctl. The data path uses half gen & 1. User space
 * writes the inactive half's counts first, then gen + 1: a reader never
 * sees counts of a half it is not using. */
struct fg_rule_half {
	__u32 nrules;
	__u32 nsrc; /* index entries by source, by destination */
	__u32 ndst;
	__u32 nglob;  /* rules without an address */
	__u32 ncount; /* rules with action count */
	__u32 pad;
};

struct fg_rule_ctl {
	__u32 gen;
	__u32 pad;
	struct fg_rule_half half[2];
};

/* Per-CPU hit counters of one rule (fg_rule_hits[id]). */
struct fg_rule_hit {
	__u64 packets;
	__u64 octets;  /* IP-layer bytes (frame bytes for ARP) */
	__u64 last_ns; /* bpf_ktime_get_coarse_ns() of the last hit */
};

/*
 * A rule as the operator wrote it (fg_rule_defs, keyed by
 * fg_rule_def_key(half, id); user space only, the source of `rule list`
 * and `rule save`). Addresses are 16 bytes, IPv4 as ::ffff:a.b.c.d;
 * prefix lengths are in the family's own bits (0-32 or 0-128).
 */
struct fg_rule_def {
	__u32 id;
	__u32 prio;  /* higher runs first; default FG_RULE_PRIO_DEFAULT */
	__u8 action; /* enum fg_rule_action */
	__u8 flags;  /* FG_RF_* */
	__u8 proto;
	__u8 family; /* 0 (no address), 4 or 6 */
	__u8 src_len;
	__u8 dst_len;
	__u16 pad;
	__u16 sport_lo, sport_hi;
	__u16 dport_lo, dport_hi;
	__u8 src[16];
	__u8 dst[16];
	__u32 ifindex; /* dev resolved when the rule was added or loaded */
	char dev[16];
	char comment[64];
};

#define FG_RULE_PRIO_DEFAULT 100
#define FG_RULE_PRIO_MAX     65535

static inline __u32 fg_rule_def_key(__u32 half, __u32 id)
{
	return (half & 1) << 31 | id;
}

#ifndef __bpf__
_Static_assert(sizeof(struct fg_rule_list) == 4 + 4 * FG_RULE_CAND,
	       "fg_rule_list layout");
_Static_assert(sizeof(struct fg_rule) == 52, "fg_rule layout");
_Static_assert(sizeof(struct fg_rule_ctl) == 8 + 2 * 24, "fg_rule_ctl layout");
_Static_assert(sizeof(struct fg_rule_mbblk) == 4 * FG_MB_SIZE,
	       "fg_rule_mbblk layout");
_Static_assert(sizeof(struct fg_rule_tail6) == 32, "fg_rule_tail6 layout");
_Static_assert(sizeof(struct fg_rule_mb6chunk) == FG_MB6_CHUNK * 64,
	       "fg_rule_mb6chunk layout");
_Static_assert(sizeof(struct fg_rule_hit) == 24, "fg_rule_hit layout");
_Static_assert(sizeof(struct fg_rule_def) == 140, "fg_rule_def layout");
#endif

#endif /* FG_RULES_H */
