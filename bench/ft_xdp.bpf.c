// SPDX-License-Identifier: GPL-2.0
/*
 * Candidate flow tables in a copy of fg_xdp's path, for bench/cost.sh -t
 * only: the same parser, checks, rule stage, guard and interface counters
 * (fg_xdp's headers, unchanged), then flow accounting into another table.
 * The tables are described in bench/ft_table.h; today's table is fg_xdp
 * itself, measured in the same rounds.
 *   ft_b  the open-addressed array, per-CPU regions, 8-slot buckets
 *   ft_b2 the same with two bucket choices per key
 *   ft_b2m ft_b2 with a fill mark: drops skip a nearly full region
 *   ft_c  the per-CPU hash with a 20-byte IPv4 key (others: fg_flowtab)
 *   ft_n  no flow table: the floor of every table
 * No capture stage: it is switched off in every variant measured.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fg_ctx.bpf.h"
#include "fg_flow.bpf.h"
#include "fg_rules.bpf.h"
#include "ft_table.h"

FG_DEFINE_PARSE(ft_xdp_parse, struct xdp_md, FG_XDP_WIRE_END)

/* (b): FT_MAX_CPUS regions of FT_NB buckets; mmapable, so that a reader
 * would map it rather than read it a syscall per flow. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FT_NB *FT_MAX_CPUS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fg_ft_bucket);
} ft_bkt SEC(".maps");

/* (b)'s overflow aggregate as an array too (no helper, no 8-byte key
 * hashed): interface slot, direction, family (non-IP, 4, 6) and eight
 * protocol classes. */
#define FT_OVF_CLASSES 8
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FG_NSLOTS * 2 * 3 * FT_OVF_CLASSES);
	__type(key, __u32);
	__type(value, struct fg_ovf_val);
} ft_ovf SEC(".maps");

/* Set per attach from getrandom() in a product; 0 keeps the bench
 * deterministic. */
const volatile __u64 ft_seed = 0;

static __always_inline __u32 ft_ovf_class(__u8 proto)
{
	switch (proto) {
	case 6:
		return 0;
	case 17:
		return 1;
	case 1:
		return 2;
	case 58:
		return 3;
	case 132:
		return 4;
	case 47:
		return 5;
	case 50:
		return 6;
	default:
		return 7;
	}
}

static __always_inline void ft_ovf_add(const union fg_ft_key *u,
				       struct fg_flowstats *st, __u64 pkts,
				       __u64 octets)
{
	__u32 fam = u->k.ip_ver == 6 ? 2 : u->k.ip_ver == 4 ? 1 : 0;
	__u32 idx =
		((fg_slot_key(fg_slot, u->k.dir) * 3 + fam) * FT_OVF_CLASSES) +
		ft_ovf_class(u->k.proto);
	struct fg_ovf_val *ov = bpf_map_lookup_elem(&ft_ovf, &idx);

	st->insert_fail++;
	st->ovf_pkts += pkts;
	st->ovf_octets += octets;
	if (ov) {
		ov->packets += pkts;
		ov->octets += octets;
	} else {
		st->ovf_lost++; /* a slot beyond the array: still counted */
	}
}

/* The exporter acked all of the slot's current generation, as ended:
 * BPF may start it over (this key again) or give it to another key. */
static __always_inline int ft_acked(const struct fg_ft_slot *s)
{
	return s->ack_gen == s->gen && s->ack_pkts == s->val.packets &&
	       s->ack_octets == s->val.octets;
}

static __always_inline int ft_hint(const struct fg_ft_bucket *b, int i)
{
	return b->ack8[i] == (b->gen8[i] | FG_FT_ENDED);
}

/*
 * What the table's global functions need of a packet, in one argument
 * (BPF functions take five, and a global one checks a pointer argument as
 * memory: the caller's fg_pkt cannot be handed through a struct). The
 * fields fg_flow_update() reads of the packet are copied.
 */
struct ft_ctx {
	union fg_ft_key u;
	__u64 now;
	__u64 pkts;
	__u64 octets;
	__u32 tag;
	__u32 rule_id;
	__u8 tcp_flags;
	__u8 ttl;
	__u8 pad[6];
};

/* fg_flow_update() on the copied fields. */
static __always_inline void ft_update(struct fg_flow_val *v,
				      const struct ft_ctx *c)
{
	if (!v->packets) {
		v->first_ns = c->now;
		v->ttl_min = 255;
	}
	v->packets += c->pkts;
	v->octets += c->octets;
	v->last_ns = c->now;
	v->rule_id = c->rule_id;
	v->tcp_flags |= c->tcp_flags;
	if (c->ttl < v->ttl_min)
		v->ttl_min = c->ttl;
	if (c->ttl > v->ttl_max)
		v->ttl_max = c->ttl;
}

/* Slot i of b starts a new generation for the key. The tag goes last, so
 * a reader that finds it finds the key. */
static __always_inline void ft_start(struct fg_ft_bucket *b, int i,
				     const struct ft_ctx *c)
{
	struct fg_ft_slot *s = &b->slot[i];
	__u64 *kw = (__u64 *)&s->key;
	__u32 gen = s->gen + 1;

	s->gen = gen;
	b->gen8[i] = gen & 0x7f;
	kw[0] = c->u.w[0];
	kw[1] = c->u.w[1];
	kw[2] = c->u.w[2];
	kw[3] = c->u.w[3];
	kw[4] = c->u.w[4];
	kw[5] = c->u.w[5];
	*(__u32 *)&kw[6] = (__u32)c->u.w[6];
	__builtin_memset(&s->val, 0, sizeof(s->val));
	ft_update(&s->val, c);
	b->tag[i] = c->tag;
}

/* Bucket b's tags against the key's: a hit updates the slot and returns
 * -1 (or restarts it, when the exporter acked all of it as ended: -2); a miss
 * returns how many slots are free or hinted reusable. A count, not a mask of
 * them: the verifier would follow each mask as a path of its own. Global, as
 * the insert: checked once, not at every call. */
__noinline int ft_probe(struct fg_ft_bucket *b, const struct ft_ctx *c)
{
	int i, n = 0;
	__u32 t;

	if (!b || !c)
		return 0;
	FG_UNROLL
	for (i = 0; i < FG_FT_SLOTS; i++) {
		t = b->tag[i];
		if (t == c->tag && fg_ft_key_eq(&b->slot[i].key, &c->u)) {
			if (ft_hint(b, i) && ft_acked(&b->slot[i])) {
				ft_start(b, i, c);
				return -2; /* a dead slot taken again */
			}
			ft_update(&b->slot[i].val, c);
			return -1;
		}
		if (!t || ft_hint(b, i))
			n++;
	}
	return n;
}

/* A new flow into b: a free slot (1), or one whose hint the slot's own
 * ack confirms (2). 0: none. The header line is read again (in cache). */
__noinline int ft_insert(struct fg_ft_bucket *b, const struct ft_ctx *c)
{
	__u32 t;
	int i;

	if (!b || !c)
		return 0;
	FG_UNROLL
	for (i = 0; i < FG_FT_SLOTS; i++) {
		if (b->tag[i] && !(ft_hint(b, i) && ft_acked(&b->slot[i])))
			continue;
		t = b->tag[i];
		ft_start(b, i, c);
		return t ? 2 : 1;
	}
	return 0;
}

/*
 * The key into this CPU's region: its first bucket, and with two (ft_b2)
 * a second one, the new flow going to the one with more room (two
 * choices keep buckets even, so that a table takes flows up to a high
 * fill before a bucket overflows). A hit costs the header line of its
 * bucket and the slot's lines; a miss into full buckets the header lines
 * alone; then the overflow aggregate.
 */
static __always_inline int ft_b_add(struct ft_ctx *c, struct fg_flowstats *st,
				    int two, int mark)
{
	__u64 h;
	__u32 cpu = bpf_get_smp_processor_id(), i1, i2;
	struct fg_ft_bucket *b1, *b2 = 0, *r = 0;
	int n1, n2 = 0, ins = 0;

	if (cpu >= FT_MAX_CPUS)
		goto ovf;
	if (mark) {
		/* The fill mark: a drop into a nearly full region goes to
		 * the aggregate without hashing or probing. */
		i1 = cpu * FT_NB;
		r = bpf_map_lookup_elem(&ft_bkt, &i1);
		if (!r)
			goto ovf;
		if (c->u.k.reason && r->used - r->ended + r->reused >= FT_MARK)
			goto ovf;
	}
	h = fg_ft_hash(&c->u, ft_seed);
	c->tag = (__u32)(h >> 32) | 1;
	i1 = cpu * FT_NB + ((__u32)h & (FT_NB - 1));
	b1 = bpf_map_lookup_elem(&ft_bkt, &i1);
	if (!b1)
		goto ovf;
	n1 = ft_probe(b1, c);
	if (n1 < 0)
		goto done;
	if (two) {
		i2 = cpu * FT_NB + (((__u32)(h >> 20) ^ 1) & (FT_NB - 1));
		if (i2 == i1)
			i2 ^= 1;
		b2 = bpf_map_lookup_elem(&ft_bkt, &i2);
		if (!b2)
			goto ovf;
		n2 = ft_probe(b2, c);
		if (n2 < 0) {
			n1 = n2;
			goto done;
		}
		if (n2 > n1)
			ins = ft_insert(b2, c);
	}
	if (!ins && n1)
		ins = ft_insert(b1, c);
	if (!ins && n2 && b2)
		ins = ft_insert(b2, c);
	if (!ins)
		goto ovf;
	n1 = -ins; /* -1 a free slot, -2 a dead one */
done:
	if (r && n1 == -2)
		r->reused++;
	else if (r && ins == 1)
		r->used++;
	return 0;
ovf:
	ft_ovf_add(&c->u, st, c->pkts, c->octets);
	return 0;
}

/* The table's part, global: the call chain's stack stays under the
 * verifier's 512 bytes (fg_xdp's frame, the accounting's, these). */
__noinline int ft_table_b(struct ft_ctx *c, struct fg_flowstats *st)
{
	return c && st ? ft_b_add(c, st, 0, 0) : 0;
}

__noinline int ft_table_b2(struct ft_ctx *c, struct fg_flowstats *st)
{
	return c && st ? ft_b_add(c, st, 1, 0) : 0;
}

__noinline int ft_table_b2m(struct ft_ctx *c, struct fg_flowstats *st)
{
	return c && st ? ft_b_add(c, st, 1, 1) : 0;
}

/* fg_flow_account()'s preamble, then (b). */
static __always_inline void ft_b_account(struct fg_pkt *p,
					 struct fg_flowstats *st, __u32 ifindex,
					 __u32 dir, __u32 pkts, __u32 octets,
					 int two)
{
	struct ft_ctx c;

	if (fg_flow_pre(p, p->reason, st, pkts, octets))
		return;
	c.u.w[6] = 0; /* the hash reads the word the key ends in */
	fg_flow_key_fill(&c.u.k, p, ifindex, dir);
	c.now = fg_now();
	c.pkts = pkts;
	c.octets = octets;
	c.tag = 0;
	c.rule_id = p->rule_id;
	c.tcp_flags = p->tcp_flags;
	c.ttl = p->ttl;
	*(__u32 *)c.pad = 0;
	*(__u16 *)&c.pad[4] = 0;
	if (two == 2)
		ft_table_b2m(&c, st);
	else if (two)
		ft_table_b2(&c, st);
	else
		ft_table_b(&c, st);
}

/* (c): today's table and logic, with a 20-byte key for IPv4. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FG_DEFAULT_MAX_FLOWS);
	__type(key, struct ft_key4);
	__type(value, struct fg_flow_val);
} ft_flows4 SEC(".maps");

/* (c) keeps the full mark and malformed skip the product's per-CPU hash
 * had when these candidates were measured. */
#define FT_FULL_RETRY_NS 1000000ull
__u64 ft_c_full_ns = 0;

#define FT_X_MALFORMED(code, e, name, def, strict, cls, desc) \
	| (FG_CLASS_##cls == FG_CLASS_MALFORMED ? 1u << (code) : 0)
#define FT_MALFORMED_MASK (0 FG_REASONS(FT_X_MALFORMED))

static __always_inline int ft_skip_full(__u32 reason, int full)
{
	return full && reason && (FT_MALFORMED_MASK >> (reason & 31) & 1);
}

static __always_inline void ft_c_add(const struct ft_key4 *k,
				     const struct fg_flow_key *ok,
				     const struct fg_pkt *p,
				     struct fg_flowstats *st, __u32 pkts,
				     __u32 octets, __u64 now)
{
	__u64 t = ft_c_full_ns;
	int full = t && now - t < FT_FULL_RETRY_NS, err;
	struct fg_flow_val *v, init = {};

	if (ft_skip_full(p->reason, full))
		goto ovf;
	v = bpf_map_lookup_elem(&ft_flows4, k);
	if (v) {
		fg_flow_update(v, p, pkts, octets, now);
		return;
	}
	if (full)
		goto ovf;
	fg_flow_update(&init, p, pkts, octets, now);
	err = bpf_map_update_elem(&ft_flows4, k, &init, BPF_NOEXIST);
	if (!err) {
		if (ft_c_full_ns)
			ft_c_full_ns = 0;
		return;
	}
	if (err == -7 /* E2BIG */)
		ft_c_full_ns = now | 1;
	v = err == -17 /* EEXIST */ ? bpf_map_lookup_elem(&ft_flows4, k) : 0;
	if (v) {
		fg_flow_update(v, p, pkts, octets, now);
		return;
	}
ovf:
	fg_overflow_add(ok->ifindex, ok->dir, ok->ip_ver, ok->proto, st, pkts,
			octets);
}

static __always_inline void ft_c_account(struct fg_pkt *p,
					 struct fg_flowstats *st, __u32 ifindex,
					 __u32 dir, __u32 pkts, __u32 octets)
{
	struct fg_flow_key ok;
	struct ft_key4 k;

	if (p->ip_ver != 4 || p->vlan_inner) {
		fg_flow_account(p, p->reason, st, ifindex, dir, pkts, octets);
		return;
	}
	if (fg_flow_pre(p, p->reason, st, pkts, octets))
		return;
	k.ifdir = fg_dir_key(ifindex, dir);
	k.proto = p->proto;
	k.reason = p->reason;
	k.vlan = p->vlan_outer;
	k.src = *(const __be32 *)&p->src[12];
	k.dst = *(const __be32 *)&p->dst[12];
	k.sport = p->sport;
	k.dport = p->dport;
	/* The overflow aggregate's key: only these fields are read. */
	ok.ifindex = ifindex;
	ok.dir = dir;
	ok.ip_ver = 4;
	ok.proto = p->proto;
	ft_c_add(&k, &ok, p, st, pkts, octets, fg_now());
}

/* fg_account() with another flow accounting FLOWS(p, st, ifindex, dir,
 * pkts, octets): one global function per table, as fg_account is one. A
 * macro, not a switch on the table in one inline function: clang keeps
 * the stack of the branches it removes, which overran the verifier's
 * 512 bytes. */
#define FT_ACCOUNT(NAME, FLOWS)                                        \
	__noinline int NAME(struct fg_pkt *p, __u32 key, __u32 queue,  \
			    __u32 bytes, __u64 pkts_octets)            \
	{                                                              \
		__u32 ifindex = key & ~FG_KEY_OUT, q;                  \
		__u32 dir = key & FG_KEY_OUT ? FG_DIR_OUT : FG_DIR_IN; \
		struct fg_ifstats *s;                                  \
                                                                       \
		if (!p)                                                \
			return 0;                                      \
		s = fg_stats_get(dir);                                 \
		if (!s)                                                \
			return 0;                                      \
		if (dir == FG_DIR_IN)                                  \
			fg_guard_count(s, p->reason, p->hits, bytes);  \
		if (queue != FG_NO_QUEUE) {                            \
			q = queue > FG_MAX_RXQ ? FG_MAX_RXQ : queue;   \
			fg_barrier_var(q);                             \
			q &= FG_MAX_RXQ;                               \
			s->rxq_packets[q]++;                           \
			s->rxq_octets[q] += bytes;                     \
		}                                                      \
		FLOWS(p, &s->flows, ifindex, dir, pkts_octets >> 32,   \
		      (__u32)pkts_octets);                             \
		return 0;                                              \
	}

#define FT_FLOWS_B(p, st, i, d, n, o)	ft_b_account(p, st, i, d, n, o, 0)
#define FT_FLOWS_B2(p, st, i, d, n, o)	ft_b_account(p, st, i, d, n, o, 1)
#define FT_FLOWS_B2M(p, st, i, d, n, o) ft_b_account(p, st, i, d, n, o, 2)
FT_ACCOUNT(ft_account_b, FT_FLOWS_B)
FT_ACCOUNT(ft_account_b2, FT_FLOWS_B2)
FT_ACCOUNT(ft_account_b2m, FT_FLOWS_B2M)
FT_ACCOUNT(ft_account_c, ft_c_account)

/* No flow table at all: the packet is counted by the flow counters as
 * sampled out. The floor any table is measured against. */
static __always_inline void ft_n_account(struct fg_pkt *p,
					 struct fg_flowstats *st, __u32 ifindex,
					 __u32 dir, __u32 pkts, __u32 octets)
{
	st->packets += pkts;
	st->octets += octets;
	st->sampled_pkts += pkts;
	st->sampled_octets += octets;
}
FT_ACCOUNT(ft_account_n, ft_n_account)

/* fg_xdp_body() (bpf/xdp/flowgate_xdp.bpf.c) with another fg_account. */
#define FT_BODY(ctx, ACCOUNT)                                                  \
	({                                                                     \
		void *data = (void *)(long)(ctx)->data;                        \
		__u64 bytes = fg_wire_end(data, (void *)(long)(ctx)->data_end, \
					  fg_record_last) -                    \
			      data;                                            \
		struct fg_pkt p;                                               \
		__u32 octets;                                                  \
                                                                               \
		ft_xdp_parse(ctx, &p, fg_record_last);                         \
		octets = p.ip_len ? p.ip_len : bytes;                          \
		fg_rule_stage(&p, (ctx)->ingress_ifindex, octets,              \
			      fg_record_last);                                 \
		ACCOUNT(&p, fg_dir_key((ctx)->ingress_ifindex, FG_DIR_IN),     \
			(ctx)->rx_queue_index, bytes,                          \
			FG_PKTS_OCTETS(1, octets));                            \
		p.reason ? XDP_DROP : XDP_PASS;                                \
	})

SEC("xdp")
int ft_b(struct xdp_md *ctx)
{
	return FT_BODY(ctx, ft_account_b);
}

SEC("xdp")
int ft_b2(struct xdp_md *ctx)
{
	return FT_BODY(ctx, ft_account_b2);
}

SEC("xdp")
int ft_b2m(struct xdp_md *ctx)
{
	return FT_BODY(ctx, ft_account_b2m);
}

SEC("xdp")
int ft_n(struct xdp_md *ctx)
{
	return FT_BODY(ctx, ft_account_n);
}

SEC("xdp")
int ft_c(struct xdp_md *ctx)
{
	return FT_BODY(ctx, ft_account_c);
}

char LICENSE[] SEC("license") = "GPL";
