/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow accounting, shared by the XDP and TC programs. BPF only.
 *
 * Every packet handed to fg_flow_account() ends up in exactly one of: a
 * flow record (fg_flows), the overflow aggregate (fg_overflow) when the
 * table is full, the sampled-out counter, or the unflowed counter (dropped
 * packets when drop flows are switched off). fg_flowstats counts all four
 * per interface and direction, so user space can check the sum.
 */
#ifndef FG_FLOW_BPF_H
#define FG_FLOW_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fg_common.h"
#include "fg_parse.h"
#include "fg_maps.bpf.h"

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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 2 * FG_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct fg_flowstats);
} fg_flowstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FG_MAX_IFACES * 8);
	__type(key, __u32);
	__type(value, struct fg_rxq_val);
} fg_rxq SEC(".maps");

/* First fragments lend their ports to the later ones (which carry no L4
 * header). Keyed like the kernel's reassembly queue; LRU, so a flood of
 * first fragments cannot fill it for good. */
struct fg_frag_key {
	__u8 src[16];
	__u8 dst[16];
	__u32 id;
	__u8 proto;
	__u8 ip_ver;
	__u16 pad;
};

struct fg_frag_val {
	__be16 sport;
	__be16 dport;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FG_MAX_FRAGS);
	__type(key, struct fg_frag_key);
	__type(value, struct fg_frag_val);
} fg_frags SEC(".maps");

static const struct fg_flowstats fg_zero_flowstats;

static __always_inline struct fg_flowstats *fg_flowstats_get(__u32 key)
{
	struct fg_flowstats *s = bpf_map_lookup_elem(&fg_flowstats, &key);

	if (s)
		return s;
	bpf_map_update_elem(&fg_flowstats, &key, &fg_zero_flowstats,
			    BPF_NOEXIST);
	s = bpf_map_lookup_elem(&fg_flowstats, &key);
	if (s)
		return s;
	key = FG_IFINDEX_OTHER | (key & FG_KEY_OUT);
	bpf_map_update_elem(&fg_flowstats, &key, &fg_zero_flowstats,
			    BPF_NOEXIST);
	return bpf_map_lookup_elem(&fg_flowstats, &key);
}

/* Later fragments take the ports of their first fragment, if it was seen. */
static __always_inline void fg_frag_ports(struct fg_pkt *p,
					  struct fg_flowstats *st)
{
	struct fg_frag_key fk = {};
	struct fg_frag_val fv, *v;

	__builtin_memcpy(fk.src, p->src, 16);
	__builtin_memcpy(fk.dst, p->dst, 16);
	fk.id = p->frag_id;
	fk.proto = p->proto;
	fk.ip_ver = p->ip_ver;
	if (p->frag == FG_FRAG_FIRST) {
		fv.sport = p->sport;
		fv.dport = p->dport;
		bpf_map_update_elem(&fg_frags, &fk, &fv, BPF_ANY);
		return;
	}
	v = bpf_map_lookup_elem(&fg_frags, &fk);
	if (v) {
		p->sport = v->sport;
		p->dport = v->dport;
		st->frag_lent++;
	} else {
		st->frag_orphan++;
	}
}

static __always_inline void fg_flow_key_fill(struct fg_flow_key *k,
					     const struct fg_pkt *p,
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
}

static __always_inline void fg_flow_update(struct fg_flow_val *v,
					   const struct fg_pkt *p, __u64 pkts,
					   __u64 octets, __u64 now)
{
	v->packets += pkts;
	v->octets += octets;
	v->last_ns = now;
	v->tcp_flags |= p->tcp_flags;
	if (p->ttl < v->ttl_min)
		v->ttl_min = p->ttl;
	if (p->ttl > v->ttl_max)
		v->ttl_max = p->ttl;
}

/* The table is full: aggregate per interface, direction, IP version and
 * protocol instead of losing the packet. */
static __always_inline void fg_overflow_add(const struct fg_flow_key *k,
					    struct fg_flowstats *st,
					    __u64 pkts, __u64 octets)
{
	struct fg_ovf_key ok = { .ifindex = k->ifindex, .dir = k->dir,
				 .ip_ver = k->ip_ver, .proto = k->proto };
	struct fg_ovf_val *ov, init = { .packets = pkts, .octets = octets };

	st->insert_fail++;
	st->ovf_pkts += pkts;
	st->ovf_octets += octets;
	ov = bpf_map_lookup_elem(&fg_overflow, &ok);
	if (ov) {
		ov->packets += pkts;
		ov->octets += octets;
	} else if (bpf_map_update_elem(&fg_overflow, &ok, &init,
				       BPF_NOEXIST)) {
		st->ovf_lost++; /* still counted, in ovf_pkts */
	}
}

/*
 * Account one packet (or one GSO super-packet of pkts segments carrying
 * octets IP bytes). A global function: verified once, whatever path of the
 * parser led here.
 */
__noinline int fg_flow_account(struct fg_pkt *p, __u32 ifindex, __u32 dir,
			       __u32 pkts, __u32 octets)
{
	const struct fg_config *cfg = fg_config_get();
	struct fg_flowstats *st;
	struct fg_flow_key k = {};
	struct fg_flow_val *v, init = {};
	__u64 now;
	long err;

	if (!p)
		return 0;
	st = fg_flowstats_get(fg_dir_key(ifindex, dir));
	if (!st)
		return 0;
	st->packets += pkts;
	st->octets += octets;
	if (cfg->sampling > 1 && bpf_get_prandom_u32() % cfg->sampling) {
		st->sampled_pkts += pkts;
		st->sampled_octets += octets;
		return 0;
	}
	if (p->reason && (cfg->flags & FG_CFG_NO_DROP_FLOWS)) {
		st->unflowed_pkts += pkts;
		st->unflowed_octets += octets;
		return 0;
	}
	if (p->frag != FG_FRAG_NONE && !p->reason)
		fg_frag_ports(p, st);
	fg_flow_key_fill(&k, p, ifindex, dir);
	now = bpf_ktime_get_ns();
	v = bpf_map_lookup_elem(&fg_flows, &k);
	if (v) {
		fg_flow_update(v, p, pkts, octets, now);
		return 0;
	}
	init.first_ns = now;
	init.ttl_min = 255;
	fg_flow_update(&init, p, pkts, octets, now);
	err = bpf_map_update_elem(&fg_flows, &k, &init, BPF_NOEXIST);
	if (!err)
		return 0;
	/* Another CPU inserted it first: per-CPU values, so add ours. */
	v = err == -17 /* EEXIST */ ? bpf_map_lookup_elem(&fg_flows, &k) : 0;
	if (v)
		fg_flow_update(v, p, pkts, octets, now);
	else
		fg_overflow_add(&k, st, pkts, octets);
	return 0;
}

/* Per RX queue counters, so that RSS imbalance shows. */
static __always_inline void fg_rxq_account(__u32 ifindex, __u32 queue,
					   __u64 bytes)
{
	__u32 key = ifindex << 8 | (queue < FG_MAX_RXQ ? queue : FG_MAX_RXQ);
	struct fg_rxq_val *v = bpf_map_lookup_elem(&fg_rxq, &key);
	struct fg_rxq_val init = { .packets = 1, .octets = bytes };

	if (v) {
		v->packets++;
		v->octets += bytes;
	} else {
		bpf_map_update_elem(&fg_rxq, &key, &init, BPF_NOEXIST);
	}
}

#endif /* FG_FLOW_BPF_H */
