/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The portable half of accounting: how a parsed packet becomes a flow key,
 * how a flow record and the guard's counters take a packet, and the key
 * and slot of the fragment cache. Plain C on structures, no map and no
 * helper: the BPF programs (bpf/lib/fg_flow.bpf.h, fg_maps.bpf.h) and
 * host code (bench/dpdk) run the very same functions around their own
 * tables.
 */
#ifndef FG_FLOW_H
#define FG_FLOW_H

#include <linux/types.h>
#include "fg_common.h"
#include "fg_parse.h"

/* The flow record a packet belongs to: one per direction of a
 * conversation, interface and verdict (struct fg_flow_key). Writes every
 * byte of the key, the pad too (it is hashed), so that callers need not
 * zero it first: the BPF side saves a dozen stores a packet. */
FG_INLINE void fg_flow_key_fill(struct fg_flow_key *k, const struct fg_pkt *p,
				__u32 ifindex, __u32 dir)
{
	k->ifindex = ifindex;
	k->dir = dir;
	k->ip_ver = p->ip_ver;
	k->proto = p->ip_ver ? p->proto : 0;
	k->reason = p->reason;
	__builtin_memcpy(k->src, p->src, 16);
	__builtin_memcpy(k->dst, p->dst, 16);
	k->sport = p->sport;
	k->dport = p->dport;
	k->vlan = p->vlan_outer;
	k->vlan_inner = p->vlan_inner;
	k->eth_proto = p->l3_proto;
	k->pad = 0;
}

FG_INLINE void fg_flow_update(struct fg_flow_val *v, const struct fg_pkt *p,
			      __u64 pkts, __u64 octets, __u64 now)
{
	/* A per-CPU entry another CPU inserted: this CPU's slot is zeros
	 * until its first packet here. */
	if (!v->packets) {
		v->first_ns = now;
		v->ttl_min = 255;
	}
	v->packets += pkts;
	v->octets += octets;
	v->last_ns = now;
	v->rule_id = p->rule_id;
	v->tcp_flags |= p->tcp_flags;
	if (p->ttl < v->ttl_min)
		v->ttl_min = p->ttl;
	if (p->ttl > v->ttl_max)
		v->ttl_max = p->ttl;
}

/* The bits of fg_pkt.hits that name a check: 1 .. FG_R_MAX - 1. */
#define FG_HITS_MASK ((0xffffffffu >> (33 - FG_R_MAX)) << 1)

/* The index of the one bit set in x, a power of two: the bits below it,
 * counted. A SWAR popcount, with neither loop nor table, so that every
 * verifier follows it in a few instructions (Linux 6.1 included), and the
 * host computes the same. */
FG_INLINE __u32 fg_bit_index(__u32 x)
{
	x -= 1;
	x -= (x >> 1) & 0x55555555u;
	x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
	x = (x + (x >> 4)) & 0x0f0f0f0fu;
	return (__u32)(x * 0x01010101u) >> 24;
}

/* matched[] of every check in hits. One check is the usual case (a drop
 * for its reason alone, or one counted check on a pass): indexed
 * directly. Walking every check instead cost a drop about 90 ns in the
 * test-run bench (bench/cost.sh -f), a third of its whole cost. */
FG_INLINE void fg_guard_matched(struct fg_ifstats *s, __u32 hits)
{
	__u32 r;

	hits &= FG_HITS_MASK;
	if (!(hits & (hits - 1))) {
		if (hits)
			s->matched[fg_bit_index(hits) & 31]++;
		return;
	}
	for (r = 1; r < FG_R_MAX; r++)
		if (hits & (1u << r))
			s->matched[r]++;
}

/* The guard's counters of one packet (ingress entries only). */
FG_INLINE void fg_guard_count(struct fg_ifstats *s, __u32 reason, __u32 hits,
			      __u64 bytes)
{
	__u32 r;

	s->rx_packets++;
	s->rx_bytes += bytes;
	if (hits)
		fg_guard_matched(s, hits);
	if (reason) {
		r = reason & 31;
		s->drop_packets[r]++;
		s->drop_bytes[r] += bytes;
	} else {
		s->pass_packets++;
		s->pass_bytes += bytes;
	}
}

/*
 * Fragment cache: first fragments lend their ports to the later ones
 * (which carry no L4 header), keyed like the kernel's reassembly queue. A
 * direct-mapped cache of FG_MAX_FRAGS slots: a first fragment takes the
 * slot its key hashes to, evicting whatever was there, and a later
 * fragment finds it there or not at all. The table itself is the caller's
 * (fg_frags in BPF: bpf/lib/fg_flow.bpf.h says why all CPUs share it).
 * No lock, but a seqlock's order: the writer clears the key's version,
 * then writes the ports, then the key; the reader compares the key, reads
 * the ports, and compares the key again, so ports it read while another
 * datagram took the slot are not lent (at worst a fragment is an orphan).
 * That holds where stores and loads keep their program order, as on x86;
 * BPF has no barrier to say so elsewhere.
 */
struct fg_frag_key {
	__u8 src[16];
	__u8 dst[16];
	__u32 id;
	__u8 proto;
	__u8 ip_ver;
	__u16 pad;
};

struct fg_frag_ent {
	struct fg_frag_key key; /* ip_ver 0: never used */
	__be16 sport;
	__be16 dport;
};

FG_INLINE void fg_frag_key_fill(struct fg_frag_key *fk, const struct fg_pkt *p)
{
	__builtin_memset(fk, 0, sizeof(*fk));
	__builtin_memcpy(fk->src, p->src, 16);
	__builtin_memcpy(fk->dst, p->dst, 16);
	fk->id = p->frag_id;
	fk->proto = p->proto;
	fk->ip_ver = p->ip_ver;
}

/* A multiply-xorshift over the key's words: a few ns, and the seed makes
 * the slots unpredictable from outside. */
FG_INLINE __u32 fg_frag_hash(const struct fg_frag_key *k, __u32 seed)
{
	const __u32 *w = (const __u32 *)k;
	__u32 h = seed ^ 0x9747b28c, i;

	FG_UNROLL
	for (i = 0; i < sizeof(*k) / 4; i++) {
		h = (h ^ w[i]) * 0x9e3779b1;
		h ^= h >> 15;
	}
	return h & (FG_MAX_FRAGS - 1);
}

FG_INLINE int fg_frag_same(const struct fg_frag_key *a,
			   const struct fg_frag_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
		 (x[4] ^ y[4]));
}

/* A fragment (p->frag set) at its slot e: a first one takes the slot, a
 * later one takes the ports found there if they are its datagram's. The
 * empty asm statements keep the compiler from merging or reordering the
 * accesses around them (the seqlock's order above). */
FG_INLINE void fg_frag_lend(struct fg_pkt *p, struct fg_frag_ent *e,
			    const struct fg_frag_key *fk,
			    struct fg_flowstats *st)
{
	if (p->frag == FG_FRAG_FIRST) {
		e->key.ip_ver = 0;
		asm volatile("" ::: "memory");
		e->sport = p->sport;
		e->dport = p->dport;
		asm volatile("" ::: "memory");
		e->key = *fk;
		return;
	}
	if (fg_frag_same(&e->key, fk)) {
		__be16 sport = e->sport, dport = e->dport;

		asm volatile("" ::: "memory");
		if (fg_frag_same(&e->key, fk)) {
			p->sport = sport;
			p->dport = dport;
			st->frag_lent++;
			return;
		}
	}
	st->frag_orphan++;
}

#ifndef __bpf__
_Static_assert(sizeof(struct fg_frag_key) == 40, "fg_frag_key layout");
_Static_assert(sizeof(struct fg_frag_ent) == 44, "fg_frag_ent layout");
#endif

#endif /* FG_FLOW_H */
