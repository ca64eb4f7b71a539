/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rule stage: operator rules (`flowgate rule ...`), run on ingress
 * after the guard and before flow accounting. BPF only.
 *
 * Evaluation order is slot order: user space sorts the rules (priority,
 * then prefix lengths, then ID) and numbers them so. A packet's candidate
 * rules come from at most three lists of at most FG_RULE_CAND slots each:
 * the index entry of its source address (the longest prefix in the index,
 * whose list already holds the rules of every prefix covering it), that
 * of its destination address, and the list of rules without an address.
 * The first matching rule in slot order whose action is drop or pass
 * decides; matching count rules before it are counted. So the work per
 * packet is bounded by two index lookups (IPv4: at most 6 array lookups
 * each; IPv6: at most 29 block reads, mostly from one array element, a
 * tail and a list) and 3 * FG_RULE_CAND candidates, whatever the number
 * of rules.
 */
#ifndef FG_RULES_BPF_H
#define FG_RULES_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "fg_common.h"
#include "fg_parse.h"
#include "fg_rules.h"
#include "fg_maps.bpf.h"
#include "fg_testrun.bpf.h"

/* The rule set in force: a global in a data section of its own
 * (FG_RULE_CTL_SEC), pinned as fg_rule_ctl, as fg_config is
 * (fg_maps.bpf.h): every packet reads it, and a global needs no lookup. */
struct fg_rule_ctl fg_rule_ctl SEC(".data.fg_rctl") = {};

/* Source and destination prefixes: one index per half, field and family
 * (multibit arrays; IPv6's with an array of tails), made and filled by
 * user space and put in place whole. Replacing (or removing) one never
 * disturbs a packet still using it: the kernel frees it after every
 * program that could hold it has finished. Sizes, not types, in the inner
 * definitions: clang 14 emits only a forward declaration of a struct
 * reached through one, which libbpf cannot size. */
/* The IPv4 index (fg_rule_mb4) as a multibit trie (include/fg_rules.h,
 * FG_MB_*): one array of blocks per half and field, sized by user space to what
 * the set needs (BPF_F_INNER_MAP: each may have its own max_entries). An
 * element is a whole block, so that user space writes one element per block
 * (the root is FG_MB_ROOT / FG_MB_SIZE of them). Its leaves are indexes into
 * the half's array of lists, fg_rule_lsts[half]. */
struct fg_rule_mb {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct fg_rule_mbblk));
};

/* IPv6 blocks in chunks (include/fg_rules.h, fg_rule_mb6chunk) and tails
 * (fg_rule_tail6), per half and field. */
struct fg_rule_mb6c {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct fg_rule_mb6chunk));
};

struct fg_rule_tl {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct fg_rule_tail6));
};

struct fg_rule_lst {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct fg_rule_list));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct fg_rule_mb);
} fg_rule_mb4 SEC(".maps");

/* The IPv6 index: blocks as for IPv4 (128 bits deep, in chunks), and
 * tails. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct fg_rule_mb6c);
} fg_rule_mb6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct fg_rule_tl);
} fg_rule_tl6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct fg_rule_lst);
} fg_rule_lsts SEC(".maps");

/* Rules without an address, per half. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct fg_rule_list);
} fg_rule_glob SEC(".maps");

/* An array (its lookup is inlined), indexed half * FG_RULE_MAX + slot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * FG_RULE_MAX);
	__type(key, __u32);
	__type(value, struct fg_rule);
} fg_rules SEC(".maps");

/* Indexed by rule ID: counters survive a switch of halves. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FG_RULE_MAX + 1);
	__type(key, __u32);
	__type(value, struct fg_rule_hit);
} fg_rule_hits SEC(".maps");

/* The rules as written, for the CLI only; part of the object so that it
 * is created and pinned with the rest of the state. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * FG_RULE_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct fg_rule_def);
} fg_rule_defs SEC(".maps");

/* Tests (fg_record_last): the rule that decided the last packet, or 0. */
__u32 fg_last_rule = 0;

/* Scan modes (bit 1 of fg_rule_scan's mode argument). */
#define FG_SCAN_FIND  0
#define FG_SCAN_COUNT 2

/* Neighbour discovery (RFC 4861: router and neighbour solicitation and
 * advertisement, redirect) is only matched by rules naming ICMPv6. */
static __always_inline int fg_rule_is_nd(const struct fg_pkt *p)
{
	__u8 type = fg_ntohs(p->dport) >> 8;

	return p->proto == 58 && p->l4_ok && type >= 133 && type <= 137;
}

static __always_inline int fg_rule_addr_ok(const __u32 *a, const __u32 *addr,
					   const __u32 *mask)
{
	return ((a[0] & mask[0]) ^ addr[0]) == 0 &&
	       ((a[1] & mask[1]) ^ addr[1]) == 0 &&
	       ((a[2] & mask[2]) ^ addr[2]) == 0 &&
	       ((a[3] & mask[3]) ^ addr[3]) == 0;
}

static __always_inline int fg_rule_ports_ok(const struct fg_rule *r,
					    const struct fg_pkt *p)
{
	__u16 sp = fg_ntohs(p->sport), dp = fg_ntohs(p->dport);

	/* Ports exist in TCP, UDP and SCTP headers that were parsed; never
	 * in a later fragment. */
	if (!p->l4_ok || (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP &&
			  p->proto != IPPROTO_SCTP))
		return 0;
	if ((r->flags & FG_RF_SPORT) && (sp < r->sport_lo || sp > r->sport_hi))
		return 0;
	return !(r->flags & FG_RF_DPORT) ||
	       (dp >= r->dport_lo && dp <= r->dport_hi);
}

static __always_inline int fg_rule_match(const struct fg_rule *r,
					 const struct fg_pkt *p, __u32 ifindex)
{
	if (r->ifindex && r->ifindex != ifindex)
		return 0;
	if (r->flags & FG_RF_ARP)
		return p->l3_proto == ETH_P_ARP;
	if (!p->ip_ver || (r->family && r->family != p->ip_ver))
		return 0;
	if (fg_rule_is_nd(p) && !((r->flags & FG_RF_PROTO) && r->proto == 58))
		return 0;
	if ((r->flags & FG_RF_PROTO) && r->proto != p->proto)
		return 0;
	if ((r->flags & (FG_RF_SPORT | FG_RF_DPORT)) && !fg_rule_ports_ok(r, p))
		return 0;
	if ((r->flags & FG_RF_SRC) &&
	    !fg_rule_addr_ok((const __u32 *)p->src, r->addr, r->mask))
		return 0;
	return !(r->flags & FG_RF_DST) ||
	       fg_rule_addr_ok((const __u32 *)p->dst, r->addr, r->mask);
}

static __always_inline const struct fg_rule *fg_rule_get(__u32 half, __u32 slot)
{
	__u32 idx = (half & 1) * FG_RULE_MAX + (slot & (FG_RULE_MAX - 1));

	return bpf_map_lookup_elem(&fg_rules, &idx);
}

static __always_inline void fg_rule_count(__u32 id, __u32 octets)
{
	struct fg_rule_hit *h = bpf_map_lookup_elem(&fg_rule_hits, &id);

	if (!h)
		return;
	h->packets++;
	h->octets += octets;
	h->last_ns = bpf_ktime_get_coarse_ns();
}

/*
 * One list, in slot order, up to (not including) slot `limit`. FIND:
 * return the slot of the first matching drop or pass rule. COUNT: count
 * every matching count rule. A global function: the verifier checks the
 * loop once, not once per list and caller. mode: half in bit 0, the scan
 * mode in bit 1, the packet's octets in the upper 32 bits.
 */
__noinline __u32 fg_rule_scan(const struct fg_rule_list *l, struct fg_pkt *p,
			      __u32 ifindex, __u64 mode, __u32 limit)
{
	__u32 i, n, s, half = mode & 1, counting = mode & FG_SCAN_COUNT;
	const struct fg_rule *r;

	if (!l || !p)
		return FG_RULE_NONE;
	n = l->n;
	for (i = 0; i < FG_RULE_CAND && i < n; i++) {
		s = l->slot[i];
		if (s >= limit)
			break; /* the rest come later in the order */
		r = fg_rule_get(half, s);
		if (!r)
			break;
		if ((r->action == FG_RULE_COUNT) != !!counting)
			continue;
		if (!fg_rule_match(r, p, ifindex))
			continue;
		if (!counting)
			return s;
		fg_rule_count(r->id, mode >> 32);
	}
	return FG_RULE_NONE;
}

/* The IPv4 multibit trie: the root entry of the first 16 bits, then one
 * entry per FG_MB_STRIDE bits while the entry points to a block; a leaf
 * names the index entry of the longest prefix covering the address. */
static __always_inline const struct fg_rule_list *
fg_rule_mb_index(__u32 half, __u32 slot, const __u8 *a)
{
	const struct fg_rule_mbblk *b;
	__u32 addr, idx, v, l;
	void *mb, *lists;

	mb = bpf_map_lookup_elem(&fg_rule_mb4, &slot);
	if (!mb)
		return 0;
	addr = (__u32)a[12] << 24 | (__u32)a[13] << 16 | (__u32)a[14] << 8 |
	       a[15];
	idx = addr >> (32 - FG_MB_ROOT_BITS + FG_MB_STRIDE);
	b = bpf_map_lookup_elem(mb, &idx);
	if (!b)
		return 0;
	v = b->e[addr >> (32 - FG_MB_ROOT_BITS) & (FG_MB_SIZE - 1)];
	for (l = 0; l < FG_MB_LEVELS && (v & FG_MB_PTR); l++) {
		idx = FG_MB_ROOT / FG_MB_SIZE + (v & ~FG_MB_PTR);
		b = bpf_map_lookup_elem(mb, &idx);
		if (!b)
			return 0;
		idx = addr >> (32 - FG_MB_ROOT_BITS - FG_MB_STRIDE * (l + 1));
		v = b->e[idx & (FG_MB_SIZE - 1)];
	}
	if (!v || (v & FG_MB_PTR))
		return 0;
	lists = bpf_map_lookup_elem(&fg_rule_lsts, &half);
	if (!lists)
		return 0;
	idx = v - 1;
	return bpf_map_lookup_elem(lists, &idx);
}

/* Does the address (host order) lie in tail t's prefix? len is 17-128
 * (masked anyway: a shift by 64 or more is undefined). */
static __always_inline int fg_rule_tail_ok(const struct fg_rule_tail6 *t,
					   __u64 hi, __u64 lo)
{
	__u32 len = t->len;

	hi ^= t->hi;
	lo ^= t->lo;
	if (len <= 64)
		return !(hi >> ((64 - len) & 63));
	return !hi && !(lo >> ((128 - len) & 63));
}

/*
 * The IPv6 index: the root entry of the first 16 bits, then one entry
 * per FG_MB_STRIDE bits while the entry points to a block (at most
 * FG_MB6_LEVELS), then, for a tail, one compare. Returns the leaf (list +
 * 1) or 0. The address is read once as two host-order halves; (h, l) is
 * it shifted left so that the next nibble is the top of h: an index the
 * verifier sees bounded by the shift alone, as the block's place in its
 * chunk is by the mask. A chunk is looked up (a call: inner maps of their
 * own size are never inlined) only when the walk leaves the one it is in.
 * Inline: as a global function the call and its checks cost 14 ns a
 * packet (bench/cost.sh -r -6, fg-rules-10), and the verifier takes the
 * two copies of the loop in its stride.
 */
static __always_inline __u32 fg_rule_mb6_find(struct fg_pkt *p, __u32 slot,
					      __u32 field)
{
	const struct fg_rule_mb6chunk *c;
	const struct fg_rule_tail6 *t;
	__u64 hi, lo, h, l;
	__u32 g, cur, v, i;
	const __u32 *a;
	void *mb, *tl;

	a = (const __u32 *)(field == FG_RULE_F_SRC ? p->src : p->dst);
	hi = (__u64)bpf_ntohl(a[0]) << 32 | bpf_ntohl(a[1]);
	lo = (__u64)bpf_ntohl(a[2]) << 32 | bpf_ntohl(a[3]);
	mb = bpf_map_lookup_elem(&fg_rule_mb6, &slot);
	if (!mb)
		return 0;
	g = hi >> (64 - FG_MB_ROOT_BITS + FG_MB_STRIDE);
	cur = g >> FG_MB6_CHUNK_BITS;
	c = bpf_map_lookup_elem(mb, &cur);
	if (!c)
		return 0;
	v = c->b[g & (FG_MB6_CHUNK - 1)]
		    .e[hi >> (64 - FG_MB_ROOT_BITS) & (FG_MB_SIZE - 1)];
	h = hi << FG_MB_ROOT_BITS | lo >> (64 - FG_MB_ROOT_BITS);
	l = lo << FG_MB_ROOT_BITS;
	for (i = 0; i < FG_MB6_LEVELS && (v & FG_MB_PTR); i++) {
		g = FG_MB_ROOT / FG_MB_SIZE + (v & ~FG_MB_PTR);
		if (g >> FG_MB6_CHUNK_BITS != cur) {
			cur = g >> FG_MB6_CHUNK_BITS;
			c = bpf_map_lookup_elem(mb, &cur);
			if (!c)
				return 0;
		}
		v = c->b[g & (FG_MB6_CHUNK - 1)].e[h >> (64 - FG_MB_STRIDE)];
		h = h << FG_MB_STRIDE | l >> (64 - FG_MB_STRIDE);
		l <<= FG_MB_STRIDE;
	}
	if (v & FG_MB_PTR)
		return 0; /* never: no chain is deeper than 128 bits */
	if (!(v & FG_MB6_TAIL))
		return v;
	tl = bpf_map_lookup_elem(&fg_rule_tl6, &slot);
	if (!tl)
		return 0;
	g = v & ~FG_MB6_TAIL;
	t = bpf_map_lookup_elem(tl, &g);
	if (!t)
		return 0;
	return fg_rule_tail_ok(t, hi, lo) ? t->leaf : t->fallback;
}

/* The list a leaf names (0: none). */
static __always_inline const struct fg_rule_list *fg_rule_leaf_list(__u32 half,
								    __u32 v)
{
	void *lists;

	if (!v)
		return 0;
	lists = bpf_map_lookup_elem(&fg_rule_lsts, &half);
	if (!lists)
		return 0;
	v--;
	return bpf_map_lookup_elem(lists, &v);
}

/* The index entry of the packet's IPv6 source or destination address:
 * the longest prefix in that field's index (NULL: no IPv6 rule is indexed
 * by that field, or none covers the address). */
static __always_inline const struct fg_rule_list *
fg_rule_index6(__u32 half, __u32 field, struct fg_pkt *p)
{
	return fg_rule_leaf_list(
		half, fg_rule_mb6_find(p, fg_rule_slot(half, field), field));
}

static __always_inline __u32 fg_min(__u32 a, __u32 b)
{
	return a < b ? a : b;
}

/*
 * The rule stage proper (a global function, called only when the active
 * half has rules). A rule drop is the guard's reason FG_R_RULE, so it is
 * counted and made a flow like every other drop; the `rule` check's
 * action (config set check rule ...) turns it into a count, or the whole
 * stage off.
 */
__noinline int fg_rules_eval(struct fg_pkt *p, __u32 ifindex, __u32 octets)
{
	const struct fg_rule_list *ls = 0, *ld = 0, *lg = 0;
	const struct fg_rule_half *h;
	const struct fg_rule_ctl *c;
	const struct fg_rule *r;
	__u32 half, t;
	__u64 mode;

	c = &fg_rule_ctl;
	if (!p)
		return 0;
	half = c->gen & 1;
	h = &c->half[half];
	/* One test of the family, then both fields: with a test per field
	 * (and the IPv6 walk inlined beside the IPv4 one) IPv4 packets paid
	 * 4-7 ns more with 100,000 rules (BENCHMARKS.md). */
	if (p->ip_ver == 4) {
		if (h->nsrc)
			ls = fg_rule_mb_index(half,
					      fg_rule_slot(half, FG_RULE_F_SRC),
					      p->src);
		if (h->ndst)
			ld = fg_rule_mb_index(half,
					      fg_rule_slot(half, FG_RULE_F_DST),
					      p->dst);
	} else if (p->ip_ver == 6) {
		if (h->nsrc)
			ls = fg_rule_index6(half, FG_RULE_F_SRC, p);
		if (h->ndst)
			ld = fg_rule_index6(half, FG_RULE_F_DST, p);
	}
	if (h->nglob)
		lg = bpf_map_lookup_elem(&fg_rule_glob, &half);
	if (!ls && !ld && !lg)
		return 0; /* most packets: no rule names their addresses */
	mode = (__u64)octets << 32 | half;
	/* Each list is in order: the next one only needs to look before
	 * the best slot found so far. */
	t = FG_RULE_NONE;
	if (ls)
		t = fg_rule_scan(ls, p, ifindex, mode, t);
	if (ld)
		t = fg_min(t, fg_rule_scan(ld, p, ifindex, mode, t));
	if (lg)
		t = fg_min(t, fg_rule_scan(lg, p, ifindex, mode, t));
	if (h->ncount) {
		mode |= FG_SCAN_COUNT;
		if (ls)
			fg_rule_scan(ls, p, ifindex, mode, t);
		if (ld)
			fg_rule_scan(ld, p, ifindex, mode, t);
		if (lg)
			fg_rule_scan(lg, p, ifindex, mode, t);
	}
	if (t == FG_RULE_NONE)
		return 0;
	r = fg_rule_get(half, t);
	if (!r)
		return 0;
	fg_rule_count(r->id, octets);
	if (fg_record_last)
		fg_last_rule = r->id;
	if (r->action != FG_RULE_DROP)
		return 0;
	p->hits |= 1u << FG_R_RULE;
	if (fg_action(fg_config_get(), FG_R_RULE) == FG_ACT_DROP) {
		p->reason = FG_R_RULE;
		p->rule_id = r->id;
	}
	return 0;
}

/* Set before load by a loader whose rules are known at load time and
 * never change, and are none: the rule stage is dead code, so the verifier
 * never checks fg_rules_eval() and fg_rule_scan(), a third of its work. */
const volatile __u8 fg_rules_off = 0;

/* Called by the ingress programs between the guard and fg_account().
 * Inline, so that without rules a packet pays one array lookup. rec is
 * fg_record_last, or a constant where the caller has tested it. */
static __always_inline void fg_rule_stage(struct fg_pkt *p, __u32 ifindex,
					  __u32 octets, int rec)
{
	const struct fg_rule_ctl *c = &fg_rule_ctl;

#ifdef FG_BENCH_NO_RULES /* bench/cost.sh -r: the program without it */
	return;
#endif
	if (rec)
		fg_last_rule = 0;
	if (fg_rules_off)
		return;
	if (p->reason)
		return; /* the guard's drop stands; rules never see it */
	if (!c->half[c->gen & 1].nrules)
		return;
	if (fg_action(fg_config_get(), FG_R_RULE) == FG_ACT_OFF)
		return;
	fg_rules_eval(p, ifindex, octets);
}

#endif /* FG_RULES_BPF_H */
