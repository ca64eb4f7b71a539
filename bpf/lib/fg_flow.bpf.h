/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow accounting, shared by the XDP and TC programs. BPF only.
 *
 * Every packet handed to fg_flow_account() ends up in exactly one of: a
 * flow record (a slot of fg_flowtab), the overflow aggregate (fg_ovfarr,
 * fg_overflow) when there is no room for it, the sampled-out counter, or the
 * unflowed counter (dropped packets when drop flows are switched off).
 * fg_ifstats.flows counts all four per interface and direction, so user space
 * can check the sum.
 */
#ifndef FG_FLOW_BPF_H
#define FG_FLOW_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fg_common.h"
#include "fg_parse.h"
#include "fg_flow.h"
#include "fg_flowtab.h"
#include "fg_maps.bpf.h"
#include "fg_clock.bpf.h"
#include "fg_testrun.bpf.h"

/* The flow table (include/fg_flowtab.h): fg_ft_nreg regions of fg_ft_nb
 * buckets, one region per CPU. Every loader sets its geometry, here and
 * in rodata, from fg_ftinfo (attach) or its own (replay, tests, bench):
 * max_entries = fg_ft_nreg * fg_ft_nb. Mapped by user space, which reads
 * flows and writes acknowledgements without a syscall. The defaults hold
 * 8 flows, too few for any use, so that a loader that forgot is seen. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fg_ft_bucket);
} fg_flowtab SEC(".maps");

const volatile __u32 fg_ft_nb = 1;   /* buckets a region, a power of two */
const volatile __u32 fg_ft_nreg = 1; /* regions: 1 uses region 0 only */
const volatile __u64 fg_ft_seed = 0; /* fg_ft_hash's; 0 deterministic */
/* The drop budget (include/fg_flowtab.h): drops a region puts in flow
 * records a window of 2^fg_ft_dshift jiffies, attach's drop-flow-rate
 * over the kernel's HZ (fg_ft_drop_budget, fg_ft_drop_shift); 0, as
 * replay and the tests load it unless they set it, no limit. */
const volatile __u32 fg_ft_dwin = 0;
const volatile __u32 fg_ft_dshift = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct fg_ovf_key);
	__type(value, struct fg_ovf_val);
} fg_overflow SEC(".maps");

/* The overflow aggregate's common protocols, without hashing: indexed by
 * fg_ovf_index(slot, dir, class) (include/fg_common.h). fg_overflow
 * keeps the other protocols and entries owned by another interface.
 * A per-CPU array lookup is inlined from Linux 6.10; on older kernels it
 * is a helper call, still without the hash of a key. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FG_OVF_ENTRIES);
	__type(key, __u32);
	__type(value, struct fg_ovf_cnt);
} fg_ovfarr SEC(".maps");

/* Drops the budget sent to the overflow aggregate (also counted there),
 * indexed as fg_ifstats (fg_slot_key): a map of its own, so that
 * fg_ifstats keeps the layout of pins an older attach made. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FG_NSLOTS * 2);
	__type(key, __u32);
	__type(value, struct fg_ovf_rate);
} fg_ovfrate SEC(".maps");

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
 * The key, slot and lending are portable C: include/fg_flow.h. Global,
 * so that the fragment's key is not in fg_account's frame beside the
 * flow key: see fg_ovf_hash_add() for the stack of the call chain. */
__noinline int fg_frag_ports(struct fg_pkt *p, struct fg_flowstats *st)
{
	struct fg_frag_key fk;
	struct fg_frag_ent *e;
	__u32 slot;

	if (!p || !st)
		return 0;
	fg_frag_key_fill(&fk, p);
	slot = fg_frag_hash(&fk, fg_frag_seed);
	e = bpf_map_lookup_elem(&fg_frags, &slot);
	if (!e)
		return 0; /* cannot happen: the slot is masked */
	fg_frag_lend(p, e, &fk, st);
	return 0;
}

/* No room for the packet's flow (both its buckets full of live flows,
 * its region nearly full or its drop budget spent for a drop, or a CPU
 * without a region):
 * aggregate per interface, direction, IP version and protocol instead of
 * losing the packet. The key's fields are the packet's own, so that a
 * drop need not fill the flow key to get here. */
static __always_inline void fg_overflow_add(__u32 ifindex, __u32 dir,
					    __u8 ip_ver, __u8 proto,
					    struct fg_flowstats *st, __u64 pkts,
					    __u64 octets)
{
	struct fg_ovf_key ok = {.ifindex = ifindex,
				.dir = dir,
				.ip_ver = ip_ver,
				.proto = proto};
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

/* What the table's global functions need of a packet besides the packet
 * itself, in one argument (a BPF function takes at most five, and a
 * global one sees a pointer argument as plain memory: no pointer can
 * travel inside this struct, so the packet is an argument of its own). */
struct fg_ft_ctx {
	union fg_ft_key u;
	__u64 h; /* fg_ft_hash(&u, fg_ft_seed) */
	__u64 now;
	__u64 pkts;
	__u64 octets;
	__u32 tag;
	__u32 reg; /* the region: this CPU's */
	int n1;	   /* fg_ft_probe_in of the first bucket (fg_ft_first) */
	__u32 pad;
};

/* A probe's answers besides a count of free slots. */
#define FG_FT_HIT    -1 /* the key's live slot took the packet */
#define FG_FT_REBORN -2 /* the key's dead slot started a new generation */

/* Slot i of b starts a generation for c's key, its counters from zero:
 * gen odd while the key and counters are rewritten, even (+2) when they
 * are whole, then the header's gen8 and, for a new key, the tag last, so
 * that a reader finding the tag finds the key (include/fg_flowtab.h).
 * The empty asm statements keep clang from moving the stores across. A
 * new key takes the slot's home (its first bucket when b is its second,
 * else 0); the old key's is returned, for its spill count. */
static __always_inline __u32 fg_ft_start(struct fg_ft_bucket *b, int i,
					 const struct fg_ft_ctx *c,
					 const struct fg_pkt *p, int new_key,
					 __u32 home)
{
	struct fg_ft_slot *s = &b->slot[i];
	__u64 *kw = (__u64 *)&s->key;
	__u32 gen = s->gen + 1, old = s->home;

	s->gen = gen;
	asm volatile("" ::: "memory");
	if (new_key) {
		kw[0] = c->u.w[0];
		kw[1] = c->u.w[1];
		kw[2] = c->u.w[2];
		kw[3] = c->u.w[3];
		kw[4] = c->u.w[4];
		kw[5] = c->u.w[5];
		*(__u32 *)&kw[6] = (__u32)c->u.w[6];
		s->home = home;
	}
	__builtin_memset(&s->val, 0, sizeof(s->val));
	fg_flow_update(&s->val, p, c->pkts, c->octets, c->now);
	asm volatile("" ::: "memory");
	gen++;
	s->gen = gen;
	b->gen8[i] = fg_ft_gen8(gen);
	if (new_key)
		b->tag[i] = c->tag;
	return old;
}

/* The key's slot in bucket b, by tag then key: a live one takes the
 * packet (FG_FT_HIT), a dead one (acked as ended with nothing since)
 * starts a new generation in place (FG_FT_REBORN): what a delete and a
 * re-insert did in a hash. Else the count of free slots, and in bits 4-7
 * the count of slots hinted as ended (fg_ft_hinted): counts, not masks
 * of them, as the verifier follows every value of a mask carried to the
 * insert as a path of its own (over a million instructions on 6.18). A
 * full bucket without hints then costs no insert call.
 * The hinted slots are counted after the search, two header words at
 * once (fg_ft_nhinted), not per slot inside it: a miss into a full
 * bucket, every packet of a full table, then costs a tag compare a slot.
 * Inline for the first bucket, in fg_account (fg_ft_first: a hit there,
 * the common packet, costs no call), global for the second
 * (fg_ft_probe; only for a key its first bucket's spill count says may
 * be there, else fg_ft_room), as the insert: checked once, not at each
 * call; both inline take the verifier past its million instructions on
 * 6.18. */
static __always_inline int fg_ft_probe_in(struct fg_ft_bucket *b,
					  const struct fg_ft_ctx *c,
					  const struct fg_pkt *p)
{
	int i, n = 0;
	__u32 t, tag;

	if (!b || !c || !p)
		return 0;
	tag = c->tag; /* once: the slots' stores might alias c for clang */
	FG_UNROLL
	for (i = 0; i < FG_FT_SLOTS; i++) {
		t = b->tag[i];
		if (!t) {
			n++;
			continue;
		}
		if (t != tag || !fg_ft_key_eq(&b->slot[i].key, &c->u))
			continue;
		if (fg_ft_dead(&b->slot[i])) {
			fg_ft_start(b, i, c, p, 0, 0);
			return FG_FT_REBORN;
		}
		fg_flow_update(&b->slot[i].val, p, c->pkts, c->octets, c->now);
		return FG_FT_HIT;
	}
	return n | fg_ft_nhinted(b) << 4;
}

/* fg_ft_probe_in as a global function: the second bucket's probe. */
__noinline int fg_ft_probe(struct fg_ft_bucket *b, const struct fg_ft_ctx *c,
			   const struct fg_pkt *p)
{
	return fg_ft_probe_in(b, c, p);
}

/* Bucket b of region reg of nb buckets (fg_ft_nb, read once by a caller
 * that needs it twice: a volatile rodata is a load at each use). */
static __always_inline struct fg_ft_bucket *fg_ft_bkt_nb(__u32 reg, __u32 nb,
							 __u32 b)
{
	__u32 i = reg * nb + b;

	return bpf_map_lookup_elem(&fg_flowtab, &i);
}

/* Bucket b of region reg; bucket 0 holds the region's fill. */
static __always_inline struct fg_ft_bucket *fg_ft_bkt(__u32 reg, __u32 b)
{
	return fg_ft_bkt_nb(reg, fg_ft_nb, b);
}

/* A new key into bucket b, of first bucket home when b is its second
 * (else 0): its first free slot (dead 0), or its first slot acked as
 * ended and confirmed dead by its own fields (dead 1), whose old key
 * leaves its own first bucket's spill count. 1 when taken, else 0. The
 * header line is read again rather than handed over from the probe (it
 * is in cache; see fg_ft_probe). */
__noinline int fg_ft_insert(struct fg_ft_bucket *b, const struct fg_ft_ctx *c,
			    const struct fg_pkt *p, int dead, __u32 home)
{
	struct fg_ft_bucket *hb;
	__u32 t, old = 0, otag = 0;
	int i;

	if (!b || !c || !p)
		return 0;
	FG_UNROLL
	for (i = 0; i < FG_FT_SLOTS; i++) {
		t = b->tag[i];
		if (dead ? !t || !fg_ft_hinted(b, i) || !fg_ft_dead(&b->slot[i])
			 : t != 0)
			continue;
		otag = t;
		old = fg_ft_start(b, i, c, p, 1, home);
		goto taken;
	}
	return 0;
taken:
	/* masked: a home is in the region (a reader's stray write too) */
	old &= fg_ft_nb - 1;
	if (old) {
		hb = fg_ft_bkt(c->reg, old);
		if (hb)
			fg_ft_spill_add(hb, otag, 0);
	}
	return 1;
}

/*
 * The key into its region: a hit in either of its two buckets, else a new
 * slot: a free one in the bucket with more free slots (two choices keep
 * the buckets even, so that a region takes flows up to about 0.75 fill
 * before its first bucket overflows), else a dead one of either bucket,
 * else 1: the packet goes to the overflow aggregate. A hit costs the
 * header line of its bucket and the slot's lines; a miss into a full
 * region its first bucket's header line and the region's first, unless
 * a key of its tag was spilled from that bucket (include/fg_flowtab.h:
 * spill counters), else the two buckets' header lines. Global: fg_xdp's
 * frame, fg_account's and the key stay under the verifier's 512 bytes of
 * stack only with the table in frames of its own. Called by fg_ft_first
 * when its probe of the first bucket, b1, was not a hit: c->n1 is that
 * probe's answer (a slot started again there is counted here).
 */
__noinline int fg_ft_add(struct fg_ft_ctx *c, const struct fg_pkt *p,
			 struct fg_ft_bucket *b1)
{
	struct fg_ft_bucket *b2 = 0, *head;
	__u32 nb = fg_ft_nb, i1, i2;
	int n1, n2 = 0, taken = 0;
	__u64 h;

	if (!c || !p)
		return 0;
	h = c->h;
	c->tag = fg_ft_tag(h);
	i1 = fg_ft_b1(h, nb);
	i2 = fg_ft_b2(h, nb);
	if (!b1)
		goto ovf;
	n1 = c->n1; /* b1's probe (fg_ft_first) */
	if (n1 < 0)
		goto found;
	if (i2 != i1) {
		/* Not decided from b1 and the region's fill alone
		 * (fg_ft_full_miss, in fg_ft_first): b2's probe. */
		b2 = fg_ft_bkt(c->reg, i2);
		if (!b2)
			goto ovf;
		/* b1's spill count of the tag 0: the key is not in b2, whose
		 * free and hinted slots are all the insert needs. */
		if (i1 && !fg_ft_spilled(b1, c->tag)) {
			n2 = fg_ft_room(b2);
		} else {
			n2 = fg_ft_probe(b2, c, p);
			if (n2 < 0) {
				n1 = n2;
				goto found;
			}
		}
	}
	if ((n2 & 0xf) > (n1 & 0xf) && b2)
		taken = fg_ft_insert(b2, c, p, 0, i1) ? 2 : 0;
	else if (n1 & 0xf)
		taken = fg_ft_insert(b1, c, p, 0, 0);
	if (!taken) {
		if (n1 >> 4 && fg_ft_insert(b1, c, p, 1, 0))
			taken = 1;
		else if (n2 >> 4 && b2 && fg_ft_insert(b2, c, p, 1, i1))
			taken = 2;
		else
			goto ovf;
		n1 = FG_FT_REBORN;
	}
	/* A key in its second bucket: counted in its first (not a region's
	 * first bucket, whose words are the region's fill). */
	if (taken == 2 && i1)
		fg_ft_spill_add(b1, c->tag, 1);
found:
	if (n1 == FG_FT_HIT)
		return 0;
	/* The region's fill: BPF's two counters of the first bucket. */
	head = fg_ft_bkt(c->reg, 0);
	if (head) {
		if (n1 == FG_FT_REBORN)
			head->reused++;
		else
			head->used++;
	}
	return 0;
ovf:
	return 1;
}

/* A miss into b1, the key's full first bucket without a slot hinted as
 * ended (its probe's answer 0), that no slot of the region can take:
 * b1's spill count of the key's tag is 0, so the key is not in its
 * second bucket either, and the region has no free and no ended slot
 * (include/fg_flowtab.h: spill counters). Tested here, before
 * fg_ft_add's call, so that every packet of a full table goes to the
 * overflow aggregate without that call: its frame, its argument checks
 * and its hash-to-bucket work again. b1 is neither the region's first
 * bucket (whose spill words are the region's fill) nor b2. i1 and nb:
 * b1's index and fg_ft_nb, as fg_ft_first read them. */
static __always_inline int fg_ft_full_miss(const struct fg_ft_ctx *c,
					   const struct fg_ft_bucket *b1,
					   __u32 i1, __u32 nb)
{
	struct fg_ft_bucket *head;

	if (!i1 || i1 == fg_ft_b2(c->h, nb) || fg_ft_spilled(b1, c->tag))
		return 0;
	head = fg_ft_bkt(c->reg, 0);
	return head && fg_ft_region_full(head, nb);
}

/* The key into its region: its first bucket probed inline, so that a hit
 * there, a warm packet's usual way, costs no call; from anything else
 * fg_ft_add() goes on with that probe's answer (c->n1), not probing the
 * bucket again. c->h is the key's hash. 0 when a slot took the packet, 1
 * when it goes to the overflow aggregate. */
static __always_inline int fg_ft_first(struct fg_ft_ctx *c,
				       const struct fg_pkt *p)
{
	__u32 nb = fg_ft_nb, i1 = fg_ft_b1(c->h, nb);
	struct fg_ft_bucket *b1;

	c->tag = fg_ft_tag(c->h);
	b1 = fg_ft_bkt_nb(c->reg, nb, i1);
	if (!b1)
		return 1;
	c->n1 = fg_ft_probe_in(b1, c, p);
	if (c->n1 == FG_FT_HIT)
		return 0;
	if (!c->n1 && fg_ft_full_miss(c, b1, i1, nb))
		return 1;
	return fg_ft_add(c, p, b1);
}

/* This CPU's region, or -1 for a CPU beyond the table's regions (a CPU
 * brought up after the table was made). One region only (replay's
 * instance, run one batch at a time): region 0 whatever the CPU. */
static __always_inline int fg_ft_region(void)
{
	__u32 nreg = fg_ft_nreg, cpu; /* volatile: one load */

	if (nreg == 1)
		return 0;
	cpu = bpf_get_smp_processor_id();
	return cpu < nreg ? (int)cpu : -1;
}

/* The drop budget's window: of jiffies (on 64-bit JITs the verifier
 * turns bpf_jiffies64 into one load, as 6.1 and 6.18 do), or of the
 * capture's clock when it runs one (include/fg_flowtab.h). */
static __always_inline __u32 fg_ft_tick(void)
{
	if (fg_capture_clock)
		return (__u32)(fg_pkt_ns >> FG_FT_TICK_SHIFT);
	return (__u32)(bpf_jiffies64() >> fg_ft_dshift);
}

/* A drop's way into region reg: 0 to its flow record; 1 to the overflow
 * aggregate, the region past its fill mark (fg_ft_marked); 2 there too,
 * the region's drop budget of this window spent. A flood of garbage then
 * costs no key, clock, hash or probe per packet, from one source or from
 * many, into a table full or with room (passed packets always probe). */
static __always_inline int fg_ft_region_drop(__u32 reg)
{
	struct fg_ft_bucket *head = fg_ft_bkt(reg, 0);

	if (!head || fg_ft_marked(head, fg_ft_nb))
		return 1;
	if (fg_ft_dwin && fg_ft_budget_spent(head, fg_ft_tick(), fg_ft_dwin))
		return 2;
	return 0;
}

/* A drop the budget sent to the aggregate, counted on its own for the
 * operator (before fg_ovf_add() counts it with the rest). */
static __always_inline void fg_ovf_rate_add(__u32 dir, __u32 pkts, __u32 octets)
{
	__u32 i = fg_slot_key(fg_slot_or_other(), dir);
	struct fg_ovf_rate *v;

	v = bpf_map_lookup_elem(&fg_ovfrate, &i);
	if (v) {
		v->packets += pkts;
		v->octets += octets;
	}
}

/* Packets and IP octets of one accounting call, in one argument (BPF
 * functions take at most five). */
#define FG_PKTS_OCTETS(pkts, octets) ((__u64)(pkts) << 32 | (__u32)(octets))

/* The overflow aggregate's other way: fg_overflow_add(), for the
 * protocols fg_ovfarr has no class of and its entries another interface
 * owns. A global function: its key and initial value stay out of
 * fg_account's frame. Linux 6.1 rounds every frame of a call chain up to
 * 32 bytes, and fg_replay -> fg_xdp_frame -> fg_account -> fg_ft_add ->
 * fg_ft_probe came to 544 of the 512 allowed with them inline. key:
 * fg_dir_key(); ipp: ip_ver << 8 | proto. */
__noinline int fg_ovf_hash_add(__u32 key, __u32 ipp, struct fg_flowstats *st,
			       __u64 pkts_octets)
{
	if (!st)
		return 0;
	fg_overflow_add(key & ~FG_KEY_OUT,
			key & FG_KEY_OUT ? FG_DIR_OUT : FG_DIR_IN, ipp >> 8,
			ipp & 0xff, st, pkts_octets >> 32, (__u32)pkts_octets);
	return 0;
}

/* The overflow aggregate: fg_ovfarr for the common protocols, inline
 * (every packet of a full table comes here: on 6.10 and later the
 * per-CPU array's lookup is inlined too, and its index is all it adds
 * to fg_account's frame), else fg_ovf_hash_add(). */
static __always_inline void fg_ovf_add(__u32 ifindex, __u32 dir, __u32 ipp,
				       struct fg_flowstats *st,
				       __u64 pkts_octets)
{
	int c = fg_ovf_class(ipp >> 8, ipp & 0xff);
	struct fg_ovf_cnt *v;
	__u32 i;

	if (c >= 0) {
		i = fg_ovf_index(fg_slot_or_other(), dir, c);
		v = bpf_map_lookup_elem(&fg_ovfarr, &i);
		/* An entry is its interface's while it holds packets. */
		if (v && (v->ifindex == ifindex || !v->packets)) {
			v->ifindex = ifindex;
			v->packets += pkts_octets >> 32;
			v->octets += (__u32)pkts_octets;
			st->insert_fail++;
			st->ovf_pkts += pkts_octets >> 32;
			st->ovf_octets += (__u32)pkts_octets;
			return;
		}
	}
	fg_ovf_hash_add(fg_dir_key(ifindex, dir), ipp, st, pkts_octets);
}

/* What fg_flow_account() counts before the flow table: the interface's
 * totals, and the packets that go to no flow record (sampled out, drops
 * with drop flows off). 1 when the packet is done with. reason is
 * p->reason, read once by the caller. */
static __always_inline int fg_flow_pre(struct fg_pkt *p, __u32 reason,
				       struct fg_flowstats *st, __u32 pkts,
				       __u32 octets)
{
	const struct fg_config *cfg = fg_config_get();

	st->packets += pkts;
	st->octets += octets;
	if (cfg->sampling > 1 && fg_rand() % cfg->sampling) {
		st->sampled_pkts += pkts;
		st->sampled_octets += octets;
		return 1;
	}
	if (reason && (cfg->flags & FG_CFG_NO_DROP_FLOWS)) {
		st->unflowed_pkts += pkts;
		st->unflowed_octets += octets;
		return 1;
	}
	if (p->frag != FG_FRAG_NONE && !reason)
		fg_frag_ports(p, st);
	return 0;
}

/* Flow accounting of one packet (or one GSO super-packet of pkts segments
 * carrying octets IP bytes) into its record, or wherever else it goes.
 * The region, the fill mark and the drop budget come before the key and
 * the clock: a drop that goes to the aggregate needs neither. reason is
 * p->reason, read once by the caller. */
static __always_inline void fg_flow_account(struct fg_pkt *p, __u32 reason,
					    struct fg_flowstats *st,
					    __u32 ifindex, __u32 dir,
					    __u32 pkts, __u32 octets)
{
	struct fg_ft_ctx c;
	int reg, way;

	if (fg_flow_pre(p, reason, st, pkts, octets))
		return;
	reg = fg_ft_region();
	if (reg < 0)
		goto ovf;
	if (reason) {
		way = fg_ft_region_drop(reg);
		if (way == 2)
			fg_ovf_rate_add(dir, pkts, octets);
		if (way)
			goto ovf;
	}
	/* The key's words and its hash here, where the words are still in
	 * registers: the hash reads none of them back from the stack. */
	fg_ft_key_fill(&c.u, p, ifindex, dir);
	c.h = fg_ft_hash(&c.u, fg_ft_seed);
	c.now = fg_now();
	c.pkts = pkts;
	c.octets = octets;
	c.reg = reg;
	c.pad = 0; /* a global function's argument: all of it written */
	if (!fg_ft_first(&c, p))
		return;
ovf:
	fg_ovf_add(ifindex, dir,
		   (__u32)p->ip_ver << 8 | (p->ip_ver ? p->proto : 0), st,
		   FG_PKTS_OCTETS(pkts, octets));
}

#define FG_NO_QUEUE 0xffffffffu

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
	__u32 ifindex = key & ~FG_KEY_OUT, q, reason;
	__u32 dir = key & FG_KEY_OUT ? FG_DIR_OUT : FG_DIR_IN;
	struct fg_ifstats *s;

	if (!p)
		return 0;
	/* Read once: clang loads it again after every store to a map
	 * value, which might alias the packet's struct. */
	reason = p->reason;
	if (fg_record_last) {
		fg_last_reason = reason;
		fg_last_hits = p->hits;
	}
	s = fg_stats_get(dir);
	if (!s)
		return 0;
	if (dir == FG_DIR_IN)
		fg_guard_count(s, reason, p->hits, bytes);
	if (queue != FG_NO_QUEUE) {
		q = queue > FG_MAX_RXQ ? FG_MAX_RXQ : queue;
		/* The mask is what the verifier can follow; the barrier
		 * keeps clang from dropping it as redundant. */
		fg_barrier_var(q);
		q &= FG_MAX_RXQ;
		s->rxq_packets[q]++;
		s->rxq_octets[q] += bytes;
	}
	fg_flow_account(p, reason, &s->flows, ifindex, dir, pkts_octets >> 32,
			(__u32)pkts_octets);
	return 0;
}

#endif /* FG_FLOW_BPF_H */
