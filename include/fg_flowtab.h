/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The flow table (map fg_flowtab): its layout, hash and the rules by which
 * its two writers share it. Plain C, no map and no helper: the BPF side
 * (bpf/lib/fg_flow.bpf.h) inserts and updates, every reader in user space
 * (ctl/lib/flowtab.c: flow dump, flush, stats, metrics, the exporter,
 * replay) reads through a mapping of the same memory.
 *
 * An open-addressed table in one BPF_F_MMAPABLE array of buckets, one
 * region of nb buckets (a power of two) per CPU: the program on CPU c
 * writes only region c, so every BPF field has a single writer and needs
 * no atomics. A bucket is a header line (tags, generations, end hints)
 * and 8 slots of two lines each (key and generation; counters and the
 * reader's acknowledgement). A key hashes (fg_ft_hash, seeded) to two
 * candidate buckets of its region; a new key takes the emptier one. A
 * flow seen on two CPUs is two slots, one per region, with the same key:
 * readers sum them, as they summed a per-CPU hash's values.
 *
 * Spill counters: every bucket but a region's first counts, per 1/32 of
 * the tags (fg_ft_spill_ix), the keys of which it is the first bucket
 * that sit in their second (a slot's home names that first bucket, so
 * that the slot's reuse by another key takes its count back). A key that
 * misses its full first bucket, whose counter there is 0, is in no
 * bucket of the table; and when its region has no free and no ended
 * slot either (fg_ft_region_full), it goes to the overflow aggregate
 * without the second bucket's header line: what BPF would have decided
 * after reading it. A new key whose counter is 0 takes its second
 * bucket's free and hinted slots from that bucket's header words
 * (fg_ft_room), no search of them. fg_ft_spill_rebuild gives the
 * counters and homes a table's keys imply: what BPF keeps
 * (tests/bpf/test_ft_host.c).
 *
 * No reader deletes. A flow ends when a reader (the exporter, or flow
 * flush, serialized by the pin directory's lock) acknowledges exactly
 * the counters it took: ack_pkts, ack_octets, ack_ns, then ack_gen = gen,
 * then the header's hint ack8 = gen8 | FG_FT_ENDED. BPF takes such a
 * slot again (same key: a new generation in place; another key: when
 * both buckets are full) only while the acknowledgement equals the live
 * counters, so a packet that came after the reader's read keeps the slot
 * alive and is read next time: nothing counted is ever dropped.
 *
 * Generation: BPF makes gen odd while it rewrites a slot's key and
 * counters and even when done; a reader takes a slot's key and value
 * between two reads of an even, equal gen (fg_ft_read), a seqlock that
 * holds where loads and stores keep their order, as on x86 (BPF has no
 * barrier before Linux 6.15). Counters updated in place may be read
 * torn (packets new, octets old): an acknowledgement of a torn read does
 * not match and the slot is simply not reused.
 */
#ifndef FG_FLOWTAB_H
#define FG_FLOWTAB_H

#include <linux/types.h>
#include "fg_common.h"
#include "fg_parse.h"
#include "fg_flow.h"

#define FG_FT_SLOTS 8	  /* per bucket: the probe bound */
#define FG_FT_ENDED 0x80u /* ack8: the reader acked gen8 as ended */
#define FG_FT_GEN8  0x7fu /* gen8 = gen >> 1 & FG_FT_GEN8 */
/* Slots a region holds per configured flow (max-flows N over R regions:
 * nb = next power of two of N * 5 / 4 / 8 / R buckets a region). With
 * two choices a region overflows its first key at about 0.75 fill. */
#define FG_FT_ROOM_NUM 5
#define FG_FT_ROOM_DEN 4
/* Live slots of a region above which a dropped packet goes to the
 * overflow aggregate without hashing or probing: a flood of garbage
 * from many sources then costs no cache miss per source. 7/8 of the
 * region's slots. */
#define FG_FT_MARK(nb) ((nb)*FG_FT_SLOTS / 8 * 7)
/* The drop budget (attach drop-flow-rate): a region's drops that go to
 * flow records in one window of the kernel's clock (2^fg_ft_dshift
 * jiffies, FG_FT_WINDOW_MS or a little more, long enough that a burst
 * of ordinary drops fits in its budget; with the capture's clock,
 * 2^FG_FT_TICK_SHIFT ns of it), past which further drops of that window
 * go to the overflow aggregate as past the fill mark: a flood from one
 * source then pays no flow update per packet, and one from many sources
 * no insert per source, while a region has room. The header's drops
 * word holds the window's low FG_FT_TICK_BITS bits above the count: a
 * window whose low bits equal a stale word's (4096 windows without a
 * drop) starts from that count, at worst one window of a smaller
 * budget. */
#define FG_FT_TICK_BITS	 12
#define FG_FT_DROPS_BITS 20
#define FG_FT_DROPS_MAX	 ((1u << FG_FT_DROPS_BITS) - 1) /* a window */
#define FG_FT_TICK_SHIFT 22 /* capture clock: windows of 4.19 ms */
#define FG_FT_WINDOW_MS	 50

/* A slot: the key and the generation on one cache line (what a hit
 * compares), the counters and the reader's acknowledgement on the next. */
struct fg_ft_slot {
	struct fg_flow_key key; /* BPF */
	__u32 gen;		/* BPF: odd while rewritten; +2 a reuse */
	__u32 ack_gen;		/* reader: the generation it acked as ended */
	__u32 home; /* BPF: the key's first bucket when this is its second */
	struct fg_flow_val val; /* BPF */
	__u64 ack_pkts;		/* reader: the counters it took */
	__u64 ack_octets;
	__u64 ack_ns; /* reader: when (CLOCK_MONOTONIC) */
};

/* A bucket: the header line, then the slots. tag 0 is a free slot, never
 * used yet. gen8 (BPF) mirrors the slot's gen, ack8 (reader) says it was
 * acked as ended: a hint on the header line, so that an insert into a
 * full bucket learns from one line whether any slot may be taken; the
 * slot's own fields decide. The fill counters are used in a region's
 * first bucket only: slots are reused, never freed, so its live count
 * is used + reused - ended, counted by each writer on its own field; its
 * drops word is the region's drop budget (FG_FT_DROPS_BITS). */
struct fg_ft_bucket {
	__u32 tag[FG_FT_SLOTS]; /* BPF: fg_ft_tag(hash); 0 free */
	__u8 gen8[FG_FT_SLOTS]; /* BPF */
	__u8 ack8[FG_FT_SLOTS]; /* reader */
	union {
		struct {	      /* a region's first bucket */
			__u32 used;   /* BPF: free slots taken */
			__u32 reused; /* BPF: ended slots taken again */
			__u32 ended;  /* reader: slots acked as ended */
			__u32 drops;  /* BPF: the drop budget's window, count */
		};
		__u64 spill[2]; /* BPF, every other bucket: 32 counters */
	};
	struct fg_ft_slot slot[FG_FT_SLOTS];
};

/* What the table is, pinned beside it as the one-entry array fg_ftinfo
 * (written once by the attach that creates the table; every later
 * attach loads its programs with these values in rodata: fg_ft_nb,
 * fg_ft_nreg, fg_ft_seed). */
struct fg_ft_info {
	__u32 version;	 /* FG_FT_VERSION */
	__u32 nreg;	 /* regions: the possible CPUs at creation */
	__u32 nb;	 /* buckets a region, a power of two */
	__u32 max_flows; /* what attach max-flows asked for */
	__u64 seed;	 /* fg_ft_hash's seed, random (0 in tests, replay) */
};

/* The table's layout and its hash: keys of a table of another version sit
 * in other buckets, or lack the spill counters, so such a table is refused
 * (detach and purge). 2: the IPv4 key's hash of three words (fg_ft_hash),
 * spill counters and homes. */
#define FG_FT_VERSION 2

/* The flow key as 7 words for the hash: its 52 bytes and a zero half. */
union fg_ft_key {
	struct fg_flow_key k;
	__u64 w[7];
};

/* fg_flow_key_fill() into the key's words, the zero half word too: the
 * same 56 bytes, each word written whole, so that the word loads of the
 * hash and the probe that follow are forwarded from a store of their
 * size (a load over several narrower stores waits until they reach the
 * cache: a dozen cycles a word on the CPUs of BENCHMARKS.md). */
FG_INLINE void fg_ft_key_fill(union fg_ft_key *u, const struct fg_pkt *p,
			      __u32 ifindex, __u32 dir)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	__u64 proto = p->ip_ver ? p->proto : 0;

	u->w[0] = ifindex | (__u64)(__u8)dir << 32 | (__u64)p->ip_ver << 40 |
		  proto << 48 | (__u64)(__u8)p->reason << 56;
	__builtin_memcpy(&u->w[1], p->src, 16);
	__builtin_memcpy(&u->w[3], p->dst, 16);
	u->w[5] = p->sport | (__u64)p->dport << 16 |
		  (__u64)p->vlan_outer << 32 | (__u64)p->vlan_inner << 48;
	u->w[6] = p->l3_proto; /* eth_proto; pad and the zero half 0 */
#else
	u->w[6] = 0;
	fg_flow_key_fill(&u->k, p, ifindex, dir);
#endif
}

#define FG_FT_MUL 0xff51afd7ed558ccdull

/* One round of fg_ft_hash: word w into state h. */
FG_INLINE __u64 fg_ft_mix(__u64 h, __u64 w)
{
	h = (h ^ w) * FG_FT_MUL;
	return h ^ h >> 32;
}

/* Seeded multiply-xorshift over the key's words: a few ns in BPF (no
 * helper), and a sender who does not know the seed cannot aim a flood at
 * one bucket. An IPv4 key (ip_ver 4) takes three rounds, not seven: its
 * first word, its two addresses, and ports and VLANs are all it holds
 * beside the ::ffff: prefix and the EtherType, which the parser sets
 * alike for every IPv4 packet (the rounds are one serial chain of
 * multiplies, most of a warm packet's hash). The key compare still
 * covers all 52 bytes, so only the spread over buckets rests on that. */
FG_INLINE __u64 fg_ft_hash(const union fg_ft_key *u, __u64 seed)
{
	__u64 h = seed ^ 0x9e3779b97f4a7c15ull;
	__u32 s, d;
	int i;

	if (u->k.ip_ver == 4) {
		__builtin_memcpy(&s, u->k.src + 12, 4);
		__builtin_memcpy(&d, u->k.dst + 12, 4);
		h = fg_ft_mix(h, u->w[0]);
		h = fg_ft_mix(h, (__u64)s | (__u64)d << 32);
		return fg_ft_mix(h, u->w[5]);
	}
	FG_UNROLL
	for (i = 0; i < 7; i++)
		h = fg_ft_mix(h, u->w[i]);
	return h;
}

FG_INLINE __u32 fg_ft_tag(__u64 h)
{
	return (__u32)(h >> 32) | 1;
}

/* The key's two buckets in its region (equal when nb is 1). */
FG_INLINE __u32 fg_ft_b1(__u64 h, __u32 nb)
{
	return (__u32)h & (nb - 1);
}

FG_INLINE __u32 fg_ft_b2(__u64 h, __u32 nb)
{
	return ((__u32)(h >> 20) ^ 1) & (nb - 1);
}

FG_INLINE int fg_ft_key_eq(const struct fg_flow_key *a,
			   const union fg_ft_key *b)
{
	const __u64 *x = (const __u64 *)a;
	__u32 tail = *(const __u32 *)((const __u8 *)a + 48);

	return !((x[0] ^ b->w[0]) | (x[1] ^ b->w[1]) | (x[2] ^ b->w[2]) |
		 (x[3] ^ b->w[3]) | (x[4] ^ b->w[4]) | (x[5] ^ b->w[5]) |
		 (tail ^ (__u32)b->w[6]));
}

/* The spill counter of a tag: 32 counters of 4 bits in a bucket's
 * spill words, indexed by the tag's top bits (the hash's bits 59-63,
 * apart from the bits that pick either bucket). */
#define FG_FT_SPILL_MAX 15u
FG_INLINE __u32 fg_ft_spill_ix(__u32 tag)
{
	return tag >> 27;
}

/* Keys of tag's counter that bucket b (not a region's first) is the first
 * bucket of and that sit in their second; FG_FT_SPILL_MAX: at least so
 * many, for good (a counter that reached it is never decremented). */
FG_INLINE __u32 fg_ft_spilled(const struct fg_ft_bucket *b, __u32 tag)
{
	__u32 k = fg_ft_spill_ix(tag);

	return b->spill[k >> 4 & 1] >> (k & 15) * 4 & FG_FT_SPILL_MAX;
}

/* One key of tag more (up 1) or fewer (up 0) in its second bucket. */
FG_INLINE void fg_ft_spill_add(struct fg_ft_bucket *b, __u32 tag, int up)
{
	__u32 k = fg_ft_spill_ix(tag), sh = (k & 15) * 4;
	__u64 n = b->spill[k >> 4 & 1] >> sh & FG_FT_SPILL_MAX;

	if (n == FG_FT_SPILL_MAX || (!up && !n))
		return;
	if (up)
		b->spill[k >> 4 & 1] += 1ull << sh;
	else
		b->spill[k >> 4 & 1] -= 1ull << sh;
}

/* The region (head: its first bucket) has no free slot and no slot acked
 * as ended that was not taken again: from its fill counters, so that a
 * key whose first bucket is full and whose counter there is 0 goes to the
 * overflow aggregate without its second bucket's header line. Slots
 * acked as ended that took packets since count as not live here, so
 * this errs towards reading the second bucket; a slot a reader is
 * acknowledging (ack_gen written, ended not yet counted) counts as live
 * for that moment, as for the fill mark: such a key goes to the
 * aggregate, counted there, instead of taking that slot. */
FG_INLINE int fg_ft_region_full(const struct fg_ft_bucket *head, __u32 nb)
{
	return (int)(head->used + head->reused - head->ended) >=
	       (int)(nb * FG_FT_SLOTS);
}

/* The slot's generation as the header's gen8 holds it. */
FG_INLINE __u8 fg_ft_gen8(__u32 gen)
{
	return gen >> 1 & FG_FT_GEN8;
}

/* Acked as ended and nothing counted since: the slot holds no flow
 * (readers skip it) and BPF may take it again. */
FG_INLINE int fg_ft_dead(const struct fg_ft_slot *s)
{
	return s->ack_gen == s->gen && s->ack_pkts == s->val.packets &&
	       s->ack_octets == s->val.octets;
}

/* What a reader sees of a slot it read consistently (fg_ft_read): 0 for
 * none (dead), else 1 and the live flow in *v. A slot acked as ended
 * that took packets after the reader's read holds them as a flow of its
 * own: the counters above the acknowledgement, from the ack's time. */
FG_INLINE int fg_ft_view(const struct fg_ft_slot *s, struct fg_flow_val *v)
{
	if (fg_ft_dead(s))
		return 0;
	*v = s->val;
	if (s->ack_gen == s->gen) {
		v->packets -= s->ack_pkts;
		v->octets -= s->ack_octets;
		if (v->first_ns < s->ack_ns)
			v->first_ns = s->ack_ns;
	}
	return 1;
}

/* The reader's hint that slot i was acked as ended (its own fields
 * decide: fg_ft_dead). One header line tells an insert into a full
 * bucket whether to look at any slot. */
FG_INLINE int fg_ft_hinted(const struct fg_ft_bucket *b, int i)
{
	return b->ack8[i] == (b->gen8[i] | FG_FT_ENDED);
}

/* Exact zero bytes of x: a byte's top bit set when the byte is zero,
 * without the borrow across bytes of the usual (x - 1) & ~x test. */
FG_INLINE __u64 fg_ft_zero8(__u64 x)
{
	const __u64 l = 0x7f7f7f7f7f7f7f7full;

	return ~(((x & l) + l) | x | l);
}

/* Slots of b hinted as ended (fg_ft_hinted; a free slot never is, as
 * a reader acks only slots it found live), from two words of the header
 * line: no branch per slot. */
FG_INLINE int fg_ft_nhinted(const struct fg_ft_bucket *b)
{
	__u64 a = *(const __u64 *)b->ack8;
	__u64 g = *(const __u64 *)b->gen8 | 0x8080808080808080ull;
	__u64 z = fg_ft_zero8(a ^ g) >> 7;

	return (int)(z * 0x0101010101010101ull >> 56);
}

/* A probe's answer for a key known not to be in b (fg_ft_probe's miss,
 * without its search): free slots (tag 0), and in bits 4-7 the slots
 * hinted as ended, from the header's words at once, no branch per
 * slot. A second bucket whose first bucket's spill count of the key's
 * tag is 0 (fg_ft_spilled) is such a bucket: a cold insert's two
 * choices then read b2's free slots without a search. */
FG_INLINE int fg_ft_room(const struct fg_ft_bucket *b)
{
	const __u64 l = 0x7fffffff7fffffffull;
	const __u64 *w = (const __u64 *)b->tag;
	__u64 z = 0, x;
	int i;

	FG_UNROLL
	for (i = 0; i < FG_FT_SLOTS / 2; i++) {
		x = w[i];
		z += ~(((x & l) + l) | x | l) >> 31; /* 1 a zero lane */
	}
	return (int)((__u32)z + (__u32)(z >> 32)) | fg_ft_nhinted(b) << 4;
}

/* The fill mark, read in a region's first bucket (head): the region holds
 * more live flows than FG_FT_MARK, so that a drop goes to the overflow
 * aggregate without a key, a hash or a probe (BPF and the host form). */
FG_INLINE int fg_ft_marked(const struct fg_ft_bucket *head, __u32 nb)
{
	return head->used + head->reused - head->ended > FG_FT_MARK(nb);
}

/* The drop budget, read and spent in a region's first bucket (head): 1
 * when the region's drops into flow records of window tick reached
 * budget (per window, at least 1), so that this drop goes to the
 * overflow aggregate; else 0, the drop counted against the budget. A
 * spent budget writes nothing: a flood costs a load and a compare a
 * packet. */
FG_INLINE int fg_ft_budget_spent(struct fg_ft_bucket *head, __u32 tick,
				 __u32 budget)
{
	__u32 d = head->drops;

	if ((d ^ tick << FG_FT_DROPS_BITS) >> FG_FT_DROPS_BITS)
		d = tick << FG_FT_DROPS_BITS;
	if ((d & FG_FT_DROPS_MAX) >= budget)
		return 1;
	head->drops = d + 1;
	return 0;
}

#ifndef __bpf__
/* The drop budget's window on a kernel of hz ticks a second: 2^shift
 * jiffies, the shortest not under FG_FT_WINDOW_MS (hz 0, unknown: 0). */
FG_INLINE __u32 fg_ft_drop_shift(__u32 hz)
{
	__u32 s = 0;

	while (hz && s < 16 && (1000ull << s) < (__u64)FG_FT_WINDOW_MS * hz)
		s++;
	return s;
}

/* That window's length in ms (0 for an unknown hz). */
FG_INLINE __u32 fg_ft_drop_window_ms(__u32 hz)
{
	return hz ? (__u32)((1000ull << fg_ft_drop_shift(hz)) / hz) : 0;
}

/* A drop budget of rate drops a second (attach drop-flow-rate) per window
 * of 2^fg_ft_drop_shift(hz) ticks of a kernel of hz ticks a second:
 * rounded up, at most FG_FT_DROPS_MAX; 0 (no budget) for rate 0 or an
 * unknown hz (0). */
FG_INLINE __u32 fg_ft_drop_budget(__u32 rate, __u32 hz)
{
	__u64 n;

	if (!rate || !hz)
		return 0;
	n = (((__u64)rate << fg_ft_drop_shift(hz)) + hz - 1) / hz;
	return n > FG_FT_DROPS_MAX ? FG_FT_DROPS_MAX : (__u32)n;
}

/* Buckets a region needs for max-flows flows over nreg regions. User
 * space only: BPF's fg_ft_nb is the load-time setting of that name. */
FG_INLINE __u32 fg_ft_nb(__u32 max_flows, __u32 nreg)
{
	__u64 want = ((__u64)max_flows * FG_FT_ROOM_NUM / FG_FT_ROOM_DEN +
		      (__u64)FG_FT_SLOTS * nreg - 1) /
		     ((__u64)FG_FT_SLOTS * nreg);
	__u32 nb = 1;

	while (nb < want && nb < (1u << 30))
		nb <<= 1;
	return nb;
}

/*
 * BPF's decision for one packet (bpf/lib/fg_flow.bpf.h: fg_flow_account
 * from the fill mark on, fg_ft_first, fg_ft_add, fg_ft_probe, fg_ft_insert,
 * fg_ft_start) in plain C, for tables that live in host memory: fg_dpdk,
 * and the unit tests' stand-in for BPF. Its outcome is BPF's slot for
 * slot (tests/bpf/test_ft_host.c runs the same packets through both and
 * compares the tables), so that a host table holds what replay's holds.
 * The hash, tag, buckets, key compare, dead test and hint above are
 * shared; the rest is a copy, as BPF's functions are global (each
 * checked once by the verifier, frames of their own under 6.1's stack
 * limit), take map lookups and no pointer in their context argument:
 * keep the two in step (the test fails when they differ).
 */

/* One packet's accounting into a region. */
struct fg_ft_op {
	union fg_ft_key u; /* the flow key, its zero half word too */
	const struct fg_pkt *p;
	__u64 now;
	__u64 pkts;
	__u64 octets;
	__u64 h; /* fg_ft_hash(&u, seed) */
	__u32 tag;
	__u32 tick;   /* the drop budget's window: now >> FG_FT_TICK_SHIFT */
	__u32 budget; /* drops a window into flow records; 0 no limit */
};

/* The compiler keeps BPF's store order (gen odd, key and counters, gen
 * even, gen8, tag): a reader on another core relies on it (x86). */
#define FG_FT_HOST_ORDER() __asm__ __volatile__("" ::: "memory")

/* fg_ft_start: slot i of b starts a generation for c's key; a new key
 * (new_key) of first bucket home (0: b, or a region's first) takes the
 * slot's home, and the old key's is returned. */
static inline __u32 fg_ft_host_start(struct fg_ft_bucket *b, int i,
				     const struct fg_ft_op *c, int new_key,
				     __u32 home)
{
	struct fg_ft_slot *s = &b->slot[i];
	__u32 gen = s->gen + 1, old = s->home;

	s->gen = gen;
	FG_FT_HOST_ORDER();
	if (new_key) {
		__builtin_memcpy(&s->key, &c->u.k, sizeof(s->key));
		s->home = home;
	}
	__builtin_memset(&s->val, 0, sizeof(s->val));
	fg_flow_update(&s->val, c->p, c->pkts, c->octets, c->now);
	FG_FT_HOST_ORDER();
	gen++;
	s->gen = gen;
	b->gen8[i] = fg_ft_gen8(gen);
	if (new_key)
		b->tag[i] = c->tag;
	return old;
}

/* fg_ft_probe: FG_FT_HOST_HIT, FG_FT_HOST_REBORN, else free slots | slots
 * hinted as ended << 4. */
#define FG_FT_HOST_HIT	  -1
#define FG_FT_HOST_REBORN -2

static inline int fg_ft_host_probe(struct fg_ft_bucket *b,
				   const struct fg_ft_op *c)
{
	int i, n = 0, nh = 0;

	for (i = 0; i < FG_FT_SLOTS; i++) {
		if (!b->tag[i]) {
			n++;
			continue;
		}
		if (b->tag[i] != c->tag ||
		    !fg_ft_key_eq(&b->slot[i].key, &c->u)) {
			nh += fg_ft_hinted(b, i);
			continue;
		}
		if (fg_ft_dead(&b->slot[i])) {
			fg_ft_host_start(b, i, c, 0, 0);
			return FG_FT_HOST_REBORN;
		}
		fg_flow_update(&b->slot[i].val, c->p, c->pkts, c->octets,
			       c->now);
		return FG_FT_HOST_HIT;
	}
	return n | nh << 4;
}

/* fg_ft_insert into b of region reg: the first free slot (dead 0), or
 * the first slot hinted and confirmed as ended (dead 1), whose old key
 * gives its spill count back. 1 when taken. */
static inline int fg_ft_host_insert(struct fg_ft_bucket *reg, __u32 nb,
				    struct fg_ft_bucket *b,
				    const struct fg_ft_op *c, int dead,
				    __u32 home)
{
	__u32 old, otag;
	int i;

	for (i = 0; i < FG_FT_SLOTS; i++) {
		if (dead ? !b->tag[i] || !fg_ft_hinted(b, i) ||
				    !fg_ft_dead(&b->slot[i])
			 : b->tag[i] != 0)
			continue;
		otag = b->tag[i];
		old = fg_ft_host_start(b, i, c, 1, home) & (nb - 1);
		if (old)
			fg_ft_spill_add(&reg[old], otag, 0);
		return 1;
	}
	return 0;
}

/* fg_ft_add into the region of nb buckets at reg: 0 when a slot took
 * the packet, 1 when it goes to the overflow aggregate. */
static inline int fg_ft_host_add(struct fg_ft_bucket *reg, __u32 nb,
				 struct fg_ft_op *c)
{
	struct fg_ft_bucket *b1, *b2 = 0;
	__u32 i1 = fg_ft_b1(c->h, nb), i2 = fg_ft_b2(c->h, nb);
	int n1, n2 = 0, taken = 0;

	c->tag = fg_ft_tag(c->h);
	b1 = &reg[i1];
	n1 = fg_ft_host_probe(b1, c);
	if (n1 < 0)
		goto found;
	if (i2 != i1) {
		if (!n1 && i1 && !fg_ft_spilled(b1, c->tag) &&
		    fg_ft_region_full(reg, nb))
			return 1;
		b2 = &reg[i2];
		if (i1 && !fg_ft_spilled(b1, c->tag)) {
			n2 = fg_ft_room(b2);
		} else {
			n2 = fg_ft_host_probe(b2, c);
			if (n2 < 0) {
				n1 = n2;
				goto found;
			}
		}
	}
	if ((n2 & 0xf) > (n1 & 0xf) && b2)
		taken = fg_ft_host_insert(reg, nb, b2, c, 0, i1) ? 2 : 0;
	else if (n1 & 0xf)
		taken = fg_ft_host_insert(reg, nb, b1, c, 0, 0);
	if (!taken) {
		if (n1 >> 4 && fg_ft_host_insert(reg, nb, b1, c, 1, 0))
			taken = 1;
		else if (n2 >> 4 && b2 &&
			 fg_ft_host_insert(reg, nb, b2, c, 1, i1))
			taken = 2;
		else
			return 1;
		n1 = FG_FT_HOST_REBORN;
	}
	if (taken == 2 && i1)
		fg_ft_spill_add(b1, c->tag, 1);
found:
	if (n1 == FG_FT_HOST_REBORN)
		reg->reused++;
	else if (n1 != FG_FT_HOST_HIT)
		reg->used++;
	return 0;
}

/* Packet p (pkts packets, octets bytes) of key k (its 52 bytes as
 * fg_flow_key_fill() wrote them) as an operation on a table of this
 * seed. Apart from fg_ft_host_account(), so that a caller with a batch
 * of packets can hash them all and prefetch their buckets first. */
static inline void fg_ft_host_op(struct fg_ft_op *c, const struct fg_pkt *p,
				 const struct fg_flow_key *k, __u64 pkts,
				 __u64 octets, __u64 now, __u64 seed)
{
	c->u.w[6] = 0;
	c->u.k = *k;
	c->p = p;
	c->now = now;
	c->pkts = pkts;
	c->octets = octets;
	c->h = fg_ft_hash(&c->u, seed);
	c->tag = 0;
	c->tick = (__u32)(now >> FG_FT_TICK_SHIFT);
	c->budget = 0; /* the caller's to set */
}

/* fg_flow_account from the region on: c into the region at reg, unless
 * it is a drop and the region is past its fill mark or its drop budget
 * of the window is spent. 0 when a slot took it, 1 when it goes to the
 * overflow aggregate (the caller's, keyed as fg_ovf_add() keys it), 2
 * when it goes there by the drop budget (counted on its own too). */
static inline int fg_ft_host_account(struct fg_ft_bucket *reg, __u32 nb,
				     struct fg_ft_op *c)
{
	if (c->p->reason) {
		if (fg_ft_marked(reg, nb))
			return 1;
		if (c->budget && fg_ft_budget_spent(reg, c->tick, c->budget))
			return 2;
	}
	return fg_ft_host_add(reg, nb, c);
}

_Static_assert(sizeof(struct fg_ft_slot) == 128, "fg_ft_slot: two lines");
_Static_assert(sizeof(struct fg_ft_bucket) == 64 + 8 * 128,
	       "fg_ft_bucket layout");
_Static_assert(sizeof(union fg_ft_key) == 56, "fg_ft_key layout");
_Static_assert(sizeof(struct fg_ft_info) == 24, "fg_ft_info layout");
#endif

#endif /* FG_FLOWTAB_H */
