// SPDX-License-Identifier: GPL-2.0
/*
 * The flow table's host form (include/fg_flowtab.h, fg_ft_host_account:
 * what fg_dpdk and the unit tests account with) against BPF's own
 * (bpf/lib/fg_flow.bpf.h): the same frames through fg_xdp
 * (BPF_PROG_TEST_RUN, one region of a few buckets, seed 0, the capture's
 * clock) and through the portable parser and the host form into a table
 * in memory, the same flows ended in both through ctl/lib/flowtab.c,
 * then both tables compared bucket for bucket and slot for slot: tags,
 * generations and end hints, keys, counters and acknowledgements, the
 * region's fill counters, and the packets that went to the overflow
 * aggregate. The frames take both choices of a key, fill buckets to
 * overflow, start new generations of ended keys in place, reuse ended
 * slots for new keys (first and second bucket), keep a slot that took a
 * packet after its end, drop packets past the fill mark, and past the
 * drop budget of a tick (the capture's clock's ticks in both), and find
 * keys in their second bucket of a full region while the others skip it
 * (spill counters), which a rebuild from the keys gives again.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fgtest.h"
#include "fg_parse.h"
#include "fg_flowtab.h"
#include "ftmem.h"
#include "pkt.h"
#include "flowgate_xdp.skel.h"

#define NB    4 /* buckets: 32 slots, the fill mark at 28 live */
#define DTICK 4 /* the drop budget: drops into flow records a tick */

static struct fgt t;
static struct fg_ft host;
static struct fg_config cfg; /* the default profile, as fg_xdp's */
static __u64 host_ovf, host_rated, now = 1000000000ull;

/* UDP from 192.0.2.(src) port sport to 198.51.100.9:53; bad: with a
 * wrong IPv4 header checksum (a drop). */
static void frame(struct pkt *p, int src, __u16 sport, int bad)
{
	char a[32];

	snprintf(a, sizeof(a), "192.0.2.%d", src);
	pkt_init(p);
	pkt_eth(p);
	pkt_ip4(p, a, "198.51.100.9");
	pkt_udp(p, sport, 53);
	pkt_finish(p);
	if (bad)
		p->b[ETH_HLEN + 10] ^= 0x5a;
}

/* One frame through both tables at the same time. */
static void both(int src, __u16 sport, int bad)
{
	struct fgt_result r;
	struct fg_flow_key k;
	struct fg_ft_op c;
	struct fg_pkt fp;
	struct pkt p;
	__u32 octets;
	int way;

	frame(&p, src, sport, bad);
	now += 1000;
	t.skel->bss->fg_pkt_ns = now;
	if (fgt_run(&t, p.b, p.len, &r))
		fgt_diag("run failed");
	fg_parse_wire(p.b, p.b + p.len, p.len, &cfg, &fp);
	octets = fp.ip_len ? fp.ip_len : p.len;
	memset(&k, 0, sizeof(k));
	fg_flow_key_fill(&k, &fp, FGT_IFINDEX, FG_DIR_IN);
	fg_ft_host_op(&c, &fp, &k, 1, octets, now, 0);
	c.budget = DTICK;
	way = fg_ft_host_account(host.b, NB, &c); /* 2: by the budget */
	host_ovf += way != 0;
	host_rated += way == 2;
}

static struct fg_flow_key key_of(int src, __u16 sport)
{
	struct fg_flow_key k;
	struct fg_pkt fp;
	struct pkt p;

	frame(&p, src, sport, 0);
	fg_parse(p.b, p.b + p.len, &cfg, &fp);
	memset(&k, 0, sizeof(k));
	fg_flow_key_fill(&k, &fp, FGT_IFINDEX, FG_DIR_IN);
	return k;
}

/* The flow ends in both tables, as the exporter or flow flush ends it. */
static void end_both(int src, __u16 sport)
{
	struct fg_flow_key k = key_of(src, sport);
	struct fg_flow_val v;
	bool ended;
	int ra, rb;

	now += 1000;
	ra = fg_ft_end(&t.ft, &k, now, 0, &v, &ended);
	rb = fg_ft_end(&host, &k, now, 0, &v, &ended);
	if (ra != rb)
		fgt_diag("end of 192.0.2.%d:%u: %d in BPF's table, %d in the "
			 "host's",
			 src, sport, ra, rb);
}

/* 0 when the tables are equal, else the first difference, named. */
static int tables_differ(const char *step)
{
	const struct fg_ft_bucket *a, *b;
	int bi, s;

	for (bi = 0; bi < NB; bi++) {
		a = &t.ft.b[bi];
		b = &host.b[bi];
		if (memcmp(a->tag, b->tag, sizeof(a->tag)) ||
		    memcmp(a->gen8, b->gen8, sizeof(a->gen8)) ||
		    memcmp(a->ack8, b->ack8, sizeof(a->ack8))) {
			fgt_diag("%s: bucket %d's header differs", step, bi);
			return 1;
		}
		if (a->used != b->used || a->reused != b->reused ||
		    a->ended != b->ended || a->drops != b->drops) {
			fgt_diag("%s: bucket %d: used %u/%u reused %u/%u "
				 "ended %u/%u drops %#x/%#x (BPF/host)",
				 step, bi, a->used, b->used, a->reused,
				 b->reused, a->ended, b->ended, a->drops,
				 b->drops);
			return 1;
		}
		for (s = 0; s < FG_FT_SLOTS; s++)
			if (memcmp(&a->slot[s], &b->slot[s],
				   sizeof(a->slot[s]))) {
				fgt_diag("%s: bucket %d slot %d differs: gen "
					 "%u/%u packets %llu/%llu",
					 step, bi, s, a->slot[s].gen,
					 b->slot[s].gen,
					 (unsigned long long)a->slot[s]
						 .val.packets,
					 (unsigned long long)b->slot[s]
						 .val.packets);
				return 1;
			}
	}
	return 0;
}

static __u64 bpf_ovf(void)
{
	struct fg_ifstats st;

	if (fgt_stats(&t, FGT_STATS_IN, &st))
		return ~0ull;
	return st.flows.ovf_pkts;
}

/* Drops BPF's budget sent to the aggregate (fg_ovfrate). */
static __u64 bpf_rated(void)
{
	struct fg_ovf_rate r;
	__u32 key = FGT_STATS_IN;

	if (fg_map_lookup_sum(bpf_map__fd(t.skel->maps.fg_ovfrate), &key, &r,
			      sizeof(r)))
		return ~0ull;
	return r.packets;
}

static int taken(void)
{
	int bi, s, n = 0;

	for (bi = 0; bi < NB; bi++)
		for (s = 0; s < FG_FT_SLOTS; s++)
			n += !!host.b[bi].tag[s];
	return n;
}

/* Keys whose first bucket is not their second: the second choice. */
static int two_choices(void)
{
	int i, n = 0;

	for (i = 0; i < 40; i++) {
		struct fg_flow_key k = key_of(10 + i, 1000);
		union fg_ft_key u = {.w = {0}};
		__u64 h;

		u.k = k;
		h = fg_ft_hash(&u, 0);
		n += fg_ft_b1(h, NB) != fg_ft_b2(h, NB);
	}
	return n;
}

static void check(const char *step)
{
	__u64 o = bpf_ovf(), r = bpf_rated();

	fgt_ok(!tables_differ(step) && o == host_ovf && r == host_rated,
	       "%s: the host form's table equals BPF's slot for slot, "
	       "overflow %llu packets in both, %llu of them by the drop "
	       "budget",
	       step, (unsigned long long)o, (unsigned long long)r);
	if (o != host_ovf)
		fgt_diag("overflow BPF %llu host %llu", (unsigned long long)o,
			 (unsigned long long)host_ovf);
}

/* Slots holding a key in its second bucket (home set: not a region's
 * first bucket's key) and the spill counts of the host's table. */
static int spilled_keys(void)
{
	int bi, s, n = 0;

	for (bi = 0; bi < NB; bi++)
		for (s = 0; s < FG_FT_SLOTS; s++)
			n += host.b[bi].tag[s] && host.b[bi].slot[s].home;
	return n;
}

/* Whether key k sits in its second bucket of the host's table. */
static int in_second(const struct fg_flow_key *k)
{
	union fg_ft_key u = {.w = {0}};
	int bi, s;

	u.k = *k;
	for (bi = 0; bi < NB; bi++)
		for (s = 0; s < FG_FT_SLOTS; s++)
			if (host.b[bi].tag[s] && host.b[bi].slot[s].home &&
			    fg_ft_key_eq(&host.b[bi].slot[s].key, &u))
				return 1;
	return 0;
}

/* The region full: keys in their second bucket still take their packets,
 * new keys and keys without a slot go to the aggregate (most without the
 * second bucket's line: the outcome is the same, and BPF's equals the
 * host's). */
static void full_region(void)
{
	static const struct {
		int src, n;
		__u16 sport;
	} sets[] = {{10, 40, 1000}, {100, 24, 2000}, {200, 50, 4000}};
	struct fg_flow_val v;
	struct fg_flow_key k;
	__u64 ovf0, miss = 0;
	int i, j, second = 0;

	for (i = 0; i < 50 && !fg_ft_region_full(&host.b[0], NB); i++)
		both(200 + i, 4000, 0);
	check("the region filled up");
	fgt_ok(taken() == NB * FG_FT_SLOTS && fg_ft_region_full(&host.b[0], NB),
	       "every slot taken, the region full by its counters");
	ovf0 = host_ovf;
	for (j = 0; j < 3; j++)
		for (i = 0; i < sets[j].n; i++) {
			k = key_of(sets[j].src + i, sets[j].sport);
			miss += fg_ft_get(&host, &k, &v) != 0;
			second += in_second(&k);
			both(sets[j].src + i, sets[j].sport, 0);
		}
	check("every key again into the full region");
	fgt_ok(host_ovf - ovf0 == miss && second > 0,
	       "only the %llu keys without a slot went to the aggregate, "
	       "the %d in their second bucket took their packets",
	       (unsigned long long)miss, second);
}

/* Slots of the host's table (BPF's equals it) that hold a key another
 * slot holds too: a new key's insert reads its second bucket's free
 * slots without searching it when its spill count is 0 (fg_ft_room),
 * which would put a second copy of a key that is there beside it. */
static int keys_twice(void)
{
	union fg_ft_key u = {.w = {0}};
	int a, b, n = 0;

	for (a = 0; a < NB * FG_FT_SLOTS; a++) {
		if (!host.b[a / FG_FT_SLOTS].tag[a % FG_FT_SLOTS])
			continue;
		u.k = host.b[a / FG_FT_SLOTS].slot[a % FG_FT_SLOTS].key;
		for (b = a + 1; b < NB * FG_FT_SLOTS; b++)
			n += host.b[b / FG_FT_SLOTS].tag[b % FG_FT_SLOTS] &&
			     fg_ft_key_eq(&host.b[b / FG_FT_SLOTS]
						   .slot[b % FG_FT_SLOTS]
						   .key,
					  &u);
	}
	return n;
}

/* The counters and homes BPF kept, rebuilt from the keys alone (a table
 * an older release made): the same words. */
static void spill_rebuilt(void)
{
	size_t len = NB * sizeof(struct fg_ft_bucket);
	struct fg_ft_bucket *c = malloc(len);
	struct fg_ft r;
	int bi, s, same;

	if (!c || fg_ft_open_mem(&r, c, len, &host.info)) {
		fgt_ok(false, "a copy of the table");
		free(c);
		return;
	}
	memcpy(c, t.ft.b, len);
	for (bi = 1; bi < NB; bi++)
		c[bi].spill[0] = c[bi].spill[1] = ~0ull;
	for (bi = 0; bi < NB; bi++)
		for (s = 0; s < FG_FT_SLOTS; s++)
			c[bi].slot[s].home = 7;
	fg_ft_spill_rebuild(&r);
	same = !memcmp(c, t.ft.b, len);
	fgt_ok(same && spilled_keys() > 0,
	       "the spill counters and homes rebuilt from the keys equal "
	       "BPF's");
	free(c);
}

int main(void)
{
	int i, ended_full;
	__u64 ovf0;

	if (ftmem_new(&host, 1, NB, 0)) {
		fgt_ok(false, "host table");
		return fgt_done();
	}
	if (fgt_open_budget(&t, FG_SLOT_OTHER, 1, NB, 1, DTICK)) {
		fgt_skip("cannot load fg_xdp", "host form against BPF");
		return fgt_done();
	}
	fgt_ok(two_choices() > 20, "the keys take two buckets each");

	/* 24 flows, two packets each: both choices, hits. */
	for (i = 0; i < 24; i++) {
		both(10 + i, 1000, 0);
		both(10 + i, 1000, 0);
	}
	check("24 flows");

	/* 16 more: buckets fill, later keys overflow. */
	for (i = 24; i < 40; i++)
		both(10 + i, 1000, 0);
	check("40 flows into 32 slots");
	fgt_ok(host_ovf > 0 && taken() > 24,
	       "the buckets filled and keys overflowed (%llu packets, %d "
	       "slots taken)",
	       (unsigned long long)host_ovf, taken());

	/* Past the fill mark a drop goes to the aggregate unprobed, even
	 * one of a key with a slot. */
	ovf0 = host_ovf;
	both(10, 1000, 1);
	both(11, 1000, 1);
	check("drops past the fill mark");
	fgt_ok(host_ovf == ovf0 + 2, "both drops went to the overflow");

	/* End half the flows; one takes a packet after its end (live, not
	 * reusable), two start a new generation in place. */
	for (i = 0; i < 40; i += 2)
		end_both(10 + i, 1000);
	check("20 flows ended");
	both(10, 1000, 0); /* ended: a new generation in place */
	both(12, 1000, 0);
	check("ended keys again, in place");
	both(14, 1000, 0);
	end_both(16, 1000);
	both(16, 1000, 0);
	check("a packet after the end");

	/* New keys: free slots gone, ended slots of either bucket reused,
	 * then overflow again. */
	for (i = 0; i < 24; i++)
		both(100 + i, 2000, 0);
	check("new keys into ended slots");
	ended_full = host.b[0].reused;
	fgt_ok(ended_full > 2, "ended slots were taken by new keys (%d)",
	       ended_full);

	/* Below the mark again (flows ended): drops probe and take slots. */
	for (i = 0; i < 24; i++)
		end_both(100 + i, 2000);
	for (i = 0; i < 6; i++)
		both(150 + i, 3000, 1);
	check("drops below the fill mark");
	fgt_ok(host_rated == 2 && host.b[0].used + host.b[0].reused > 0,
	       "the drop budget: 4 of 6 drops of a tick took slots, 2 went "
	       "to the aggregate");

	/* The next tick: the budget anew. */
	now = ((now >> FG_FT_TICK_SHIFT) + 1) << FG_FT_TICK_SHIFT;
	for (i = 6; i < 9; i++)
		both(150 + i, 3000, 1);
	check("drops of the next tick");
	fgt_ok(host_rated == 2, "the next tick's 3 drops took slots");

	full_region();
	spill_rebuilt();
	fgt_ok(!keys_twice() && spilled_keys() > 0,
	       "no key in two slots, %d keys in their second bucket",
	       spilled_keys());

	fgt_close(&t);
	ftmem_free(&host);
	return fgt_done();
}
