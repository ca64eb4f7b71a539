/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow accounting, shared by the XDP and TC programs. BPF only.
 *
 * Every packet handed to fg_flow_account() ends up in exactly one of: a
 * flow record (fg_flows), the overflow aggregate (fg_overflow) when the
 * table is full, the sampled-out counter, or the unflowed counter (dropped
 * packets when drop flows are switched off). fg_ifstats.flows counts all
 * four per interface and direction, so user space can check the sum.
 */
#ifndef FG_FLOW_BPF_H
#define FG_FLOW_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fg_common.h"
#include "fg_parse.h"
#include "fg_flow.h"
#include "fg_maps.bpf.h"
#include "fg_clock.bpf.h"
#include "fg_testrun.bpf.h"

/* Preallocated per-CPU hash: no locks and no allocation on the fast path.
 * Its size is set at load time (attach ... max-flows N). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FG_DEFAULT_MAX_FLOWS);
	__type(key, struct fg_flow_key);
	__type(value, struct fg_flow_val);
} fg_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct fg_ovf_key);
	__type(value, struct fg_ovf_val);
} fg_overflow SEC(".maps");

/*
 * First fragments lend their ports to the later ones (which carry no L4
 * header), keyed like the kernel's reassembly queue. A direct-mapped
 * cache: a first fragment takes the slot its key hashes to, evicting
 * whatever was there, and a later fragment finds it there or not at all.
 * Not an LRU hash: its insert (free-list pop, bucket lock, list moves, an
 * eviction each time once a spray of first fragments has filled it) costs
 * more than the fragment's whole judgement. Shared by all CPUs,
 * not per CPU: the fragments of a datagram may be handled on different
 * CPUs (veth runs XDP on the sender's CPU, and a sender can move between
 * two fragments). No lock, but a seqlock's order: the writer clears the
 * key's version, then writes the ports, then the key; the reader compares
 * the key, reads the ports, and compares the key again, so ports it read
 * while another datagram took the slot are not lent (at worst a fragment
 * is an orphan). That holds where stores and loads keep their program
 * order, as on x86; BPF has no barrier to say so elsewhere. The
 * slot's hash is seeded per attach (fg_frag_seed, from getrandom), so
 * that a sender cannot aim at another datagram's slot; instances run on
 * captures and the tests keep 0 and stay deterministic.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FG_MAX_FRAGS);
	__type(key, __u32);
	__type(value, struct fg_frag_ent);
} fg_frags SEC(".maps");

const volatile __u32 fg_frag_seed = 0;

/* Later fragments take the ports of their first fragment, if it was seen.
 * The key, slot and lending are portable C: include/fg_flow.h. */
static __always_inline void fg_frag_ports(struct fg_pkt *p,
					  struct fg_flowstats *st)
{
	struct fg_frag_key fk;
	struct fg_frag_ent *e;
	__u32 slot;

	fg_frag_key_fill(&fk, p);
	slot = fg_frag_hash(&fk, fg_frag_seed);
	e = bpf_map_lookup_elem(&fg_frags, &slot);
	if (!e)
		return; /* cannot happen: the slot is masked */
	fg_frag_lend(p, e, &fk, st);
}

/* The table is full: aggregate per interface, direction, IP version and
 * protocol instead of losing the packet. */
static __always_inline void fg_overflow_add(const struct fg_flow_key *k,
					    struct fg_flowstats *st, __u64 pkts,
					    __u64 octets)
{
	struct fg_ovf_key ok = {.ifindex = k->ifindex,
				.dir = k->dir,
				.ip_ver = k->ip_ver,
				.proto = k->proto};
	struct fg_ovf_val *ov, init = {.packets = pkts, .octets = octets};

	st->insert_fail++;
	st->ovf_pkts += pkts;
	st->ovf_octets += octets;
	ov = bpf_map_lookup_elem(&fg_overflow, &ok);
	if (ov) {
		ov->packets += pkts;
		ov->octets += octets;
	} else if (bpf_map_update_elem(&fg_overflow, &ok, &init, BPF_NOEXIST)) {
		st->ovf_lost++; /* still counted, in ovf_pkts */
	}
}

/*
 * The table was found full at this time (0: it was not). While it is, and
 * for FG_FULL_RETRY_NS after, a packet without a record goes straight to
 * the overflow aggregate instead of paying for an insert that fails (a
 * bucket lock and a walk of every CPU's free list): a flood of new flows
 * into a full table then costs a lookup, not a lookup and a failed
 * insert. One insert is tried per interval, so the table takes flows
 * again at most that long after the exporter made room; replay's fg_take
 * clears it at once when it deletes. Global, not per CPU: it is written
 * once per interval, read by every packet.
 */
#define FG_FULL_RETRY_NS 1000000ull
__u64 fg_flows_full_ns = 0;
/* Inserts actually tried and failed: insert_fail counts every packet
 * that found no record and no room, tried or not (tests/bpf/test_flows). */
__u64 fg_full_tries = 0;

static __always_inline int fg_flows_full(__u64 now)
{
	__u64 t = fg_flows_full_ns;

	return t && now - t < FG_FULL_RETRY_NS;
}

/* A packet without a record, in a table not known to be full: insert its
 * record. Apart from fg_flow_account() so that the record's initial value
 * is built (and zeroed) on this path only, not for every packet. */
static __always_inline void fg_flow_insert(const struct fg_flow_key *k,
					   const struct fg_pkt *p,
					   struct fg_flowstats *st, __u32 pkts,
					   __u32 octets, __u64 now)
{
	struct fg_flow_val *v, init = {};
	/* An int, not the helper's long: Linux 6.1 hands the map's int
	 * error back zero-extended (-E2BIG came as 0xfffffff9), so only the
	 * low 32 bits compare on every kernel. */
	int err;

	fg_flow_update(&init, p, pkts, octets, now);
	err = bpf_map_update_elem(&fg_flows, k, &init, BPF_NOEXIST);
	if (!err) {
		if (fg_flows_full_ns)
			fg_flows_full_ns = 0;
		return;
	}
	if (err == -7 /* E2BIG: no free element */) {
		fg_flows_full_ns = now | 1;
		__sync_fetch_and_add(&fg_full_tries, 1);
	}
	/* Another CPU inserted it first: per-CPU values, so add ours. */
	v = err == -17 /* EEXIST */ ? bpf_map_lookup_elem(&fg_flows, k) : 0;
	if (v)
		fg_flow_update(v, p, pkts, octets, now);
	else
		fg_overflow_add(k, st, pkts, octets);
}

/* What fg_flow_account() counts before the flow table: the interface's
 * totals, and the packets that go to no flow record (sampled out, drops
 * with drop flows off). 1 when the packet is done with. */
static __always_inline int
fg_flow_pre(struct fg_pkt *p, struct fg_flowstats *st, __u32 pkts, __u32 octets)
{
	const struct fg_config *cfg = fg_config_get();

	st->packets += pkts;
	st->octets += octets;
	if (cfg->sampling > 1 && fg_rand() % cfg->sampling) {
		st->sampled_pkts += pkts;
		st->sampled_octets += octets;
		return 1;
	}
	if (p->reason && (cfg->flags & FG_CFG_NO_DROP_FLOWS)) {
		st->unflowed_pkts += pkts;
		st->unflowed_octets += octets;
		return 1;
	}
	if (p->frag != FG_FRAG_NONE && !p->reason)
		fg_frag_ports(p, st);
	return 0;
}

/* Flow accounting of one packet (or one GSO super-packet of pkts segments
 * carrying octets IP bytes) into its record, or wherever else it goes. */
static __always_inline void fg_flow_account(struct fg_pkt *p,
					    struct fg_flowstats *st,
					    __u32 ifindex, __u32 dir,
					    __u32 pkts, __u32 octets)
{
	/* Not zeroed: fg_flow_key_fill() writes every byte. */
	struct fg_flow_key k;
	struct fg_flow_val *v;
	__u64 now;
	int full;

	if (fg_flow_pre(p, st, pkts, octets))
		return;
	fg_flow_key_fill(&k, p, ifindex, dir);
	now = fg_now();
	full = fg_flows_full(now);
	if (fg_flow_skip_full(p->reason, full)) {
		fg_overflow_add(&k, st, pkts, octets);
		return;
	}
	v = bpf_map_lookup_elem(&fg_flows, &k);
	if (v) {
		fg_flow_update(v, p, pkts, octets, now);
		return;
	}
	if (full) {
		fg_overflow_add(&k, st, pkts, octets);
		return;
	}
	fg_flow_insert(&k, p, st, pkts, octets, now);
}

#define FG_NO_QUEUE 0xffffffffu

/* Packets and IP octets of one accounting call, in one argument (BPF
 * functions take at most five). */
#define FG_PKTS_OCTETS(pkts, octets) ((__u64)(pkts) << 32 | (__u32)(octets))

/*
 * Everything a packet is counted in, from one per-CPU array lookup (the
 * instance's slot, fg_stats_get()): the guard's verdict (ingress), its RX
 * queue (XDP), its flow. key is fg_dir_key(ifindex, dir), for the flow
 * key. A global (noinline) function: the verifier checks it once with
 * unknown arguments instead of once for every parser path that reaches it.
 */
__noinline int fg_account(struct fg_pkt *p, __u32 key, __u32 queue, __u32 bytes,
			  __u64 pkts_octets)
{
	__u32 ifindex = key & ~FG_KEY_OUT, q;
	__u32 dir = key & FG_KEY_OUT ? FG_DIR_OUT : FG_DIR_IN;
	struct fg_ifstats *s;

	if (!p)
		return 0;
	if (fg_record_last) {
		fg_last_reason = p->reason;
		fg_last_hits = p->hits;
	}
	s = fg_stats_get(dir);
	if (!s)
		return 0;
	if (dir == FG_DIR_IN)
		fg_guard_count(s, p->reason, p->hits, bytes);
	if (queue != FG_NO_QUEUE) {
		q = queue > FG_MAX_RXQ ? FG_MAX_RXQ : queue;
		/* The mask is what the verifier can follow; the barrier
		 * keeps clang from dropping it as redundant. */
		fg_barrier_var(q);
		q &= FG_MAX_RXQ;
		s->rxq_packets[q]++;
		s->rxq_octets[q] += bytes;
	}
	fg_flow_account(p, &s->flows, ifindex, dir, pkts_octets >> 32,
			(__u32)pkts_octets);
	return 0;
}

#endif /* FG_FLOW_BPF_H */
