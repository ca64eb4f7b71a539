// SPDX-License-Identifier: GPL-2.0
/*
 * Flow accounting through BPF_PROG_TEST_RUN: the key fg_xdp builds for
 * every protocol shape, the value it keeps (packets, octets, OR of TCP
 * flags, TTL min/max), drops as flows of their own, fragments lent their
 * first fragment's ports, sampling and the drop-flows switch, with the
 * fg_ifstats flow counters conserving every packet; and the table itself
 * (fg_flowtab, include/fg_flowtab.h): a key's two buckets, overflow when
 * both are full, slots reused only when acknowledged as ended, a flow's
 * regions summed, the fill mark and the drop budget. Flows are read as every
 * reader reads them, through ctl/lib/flowtab.h; the table tests also look at
 * slots.
 */
#include <arpa/inet.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fgtest.h"
#include "pkt.h"
#include "flowgate_xdp.skel.h"

static struct fgt t;

static void key_base(struct fg_flow_key *k, int ver, __u8 proto,
		     const char *src, const char *dst, __u16 sp, __u16 dp)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = FGT_IFINDEX;
	k->dir = FG_DIR_IN;
	k->ip_ver = ver;
	k->proto = proto;
	k->eth_proto = ver == 4 ? 0x0800 : ver == 6 ? 0x86dd : 0;
	if (ver == 4) {
		k->src[10] = k->src[11] = k->dst[10] = k->dst[11] = 0xff;
		pkt_addr(AF_INET, src, k->src + 12);
		pkt_addr(AF_INET, dst, k->dst + 12);
	} else if (ver == 6) {
		pkt_addr(AF_INET6, src, k->src);
		pkt_addr(AF_INET6, dst, k->dst);
	}
	k->sport = htons(sp);
	k->dport = htons(dp);
}

/* The flow's value summed over regions; packets 0 when absent. */
static struct fg_flow_val flow_get(const struct fg_flow_key *k)
{
	return fgt_flow(&t, k);
}

/* Flow counters of ingress on FGT_IFINDEX (part of fg_ifstats). */
static struct fg_flowstats fstats_get(void)
{
	struct fg_ifstats sum;

	if (fgt_stats(&t, FGT_STATS_IN, &sum))
		memset(&sum, 0, sizeof(sum));
	return sum.flows;
}

static void run(struct pkt *p)
{
	struct fgt_result r;

	pkt_finish(p);
	if (fgt_run(&t, p->b, p->len, &r))
		fgt_diag("run failed");
}

static void expect_flow(const char *name, const struct fg_flow_key *k,
			__u64 pkts, __u64 octets)
{
	struct fg_flow_val v = flow_get(k);

	if (!fgt_ok(v.packets == pkts && v.octets == octets && v.first_ns &&
			    v.last_ns >= v.first_ns,
		    "%s: key found, %llu packets, %llu octets", name,
		    (unsigned long long)pkts, (unsigned long long)octets))
		fgt_diag("got %llu packets, %llu octets",
			 (unsigned long long)v.packets,
			 (unsigned long long)v.octets);
}

static void test_tcp4_flags_ttl(void)
{
	struct fg_flow_key k;
	struct fg_flow_val v;
	struct iphdr *ip;
	struct pkt p;
	int i;
	const __u8 flags[] = {PKT_SYN, PKT_ACK, PKT_ACK | PKT_PSH};
	const __u8 ttls[] = {64, 32, 200};

	for (i = 0; i < 3; i++) {
		pkt_init(&p);
		pkt_eth(&p);
		ip = pkt_ip4(&p, "192.0.2.1", "198.51.100.2");
		ip->ttl = ttls[i];
		pkt_tcp(&p, 40000, 443, flags[i]);
		pkt_data(&p, NULL, 10);
		run(&p);
	}
	key_base(&k, 4, IPPROTO_TCP, "192.0.2.1", "198.51.100.2", 40000, 443);
	expect_flow("tcp4", &k, 3, 3 * (20 + 20 + 10));
	v = flow_get(&k);
	fgt_ok(v.tcp_flags == (PKT_SYN | PKT_ACK | PKT_PSH),
	       "tcp4: TCP flags OR-ed (0x%02x)", v.tcp_flags);
	fgt_ok(v.ttl_min == 32 && v.ttl_max == 200,
	       "tcp4: TTL min 32 max 200 (%u %u)", v.ttl_min, v.ttl_max);
}

static void test_shapes(void)
{
	struct fg_flow_key k;
	struct pkt p;

	/* IPv6 UDP behind hop-by-hop and destination options headers */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ip6(&p, "2001:db8::1", "2001:db8::2");
	pkt_ip6_opts(&p, PKT_NH_HOP, NULL, 0);
	pkt_ip6_opts(&p, PKT_NH_DSTOPTS, NULL, 0);
	pkt_udp(&p, 5353, 53);
	pkt_data(&p, NULL, 12);
	run(&p);
	key_base(&k, 6, IPPROTO_UDP, "2001:db8::1", "2001:db8::2", 5353, 53);
	expect_flow("udp6 after extension headers", &k, 1, 40 + 8 + 8 + 8 + 12);

	/* ICMP echo: type and code in the destination port */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ip4(&p, "192.0.2.1", "198.51.100.2");
	pkt_icmp(&p, 8, 0, 0x01020304);
	run(&p);
	key_base(&k, 4, IPPROTO_ICMP, "192.0.2.1", "198.51.100.2", 0, 8 << 8);
	expect_flow("icmp echo: dport = type << 8 | code", &k, 1, 28);

	pkt_init(&p);
	pkt_eth(&p);
	pkt_ip6(&p, "2001:db8::1", "2001:db8::2");
	pkt_icmp6(&p, 1, 4, 0);
	pkt_data(&p, NULL, 48);
	run(&p);
	key_base(&k, 6, IPPROTO_ICMPV6, "2001:db8::1", "2001:db8::2", 0,
		 1 << 8 | 4);
	expect_flow("icmpv6 unreachable 1/4", &k, 1, 40 + 8 + 48);

	/* QinQ: both VLAN IDs */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_vlan(&p, PKT_ETH_QINQ, 100);
	pkt_vlan(&p, PKT_ETH_VLAN, 200);
	pkt_ip4(&p, "192.0.2.1", "198.51.100.2");
	pkt_udp(&p, 1000, 2000);
	run(&p);
	key_base(&k, 4, IPPROTO_UDP, "192.0.2.1", "198.51.100.2", 1000, 2000);
	k.vlan = 100;
	k.vlan_inner = 200;
	expect_flow("qinq: outer and inner VLAN in the key", &k, 1, 28);

	/* SCTP ports; GRE has none */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ip4(&p, "192.0.2.1", "198.51.100.2");
	pkt_sctp(&p, 3868, 3869, 7);
	run(&p);
	key_base(&k, 4, IPPROTO_SCTP, "192.0.2.1", "198.51.100.2", 3868, 3869);
	/* IPv4 20 + SCTP common header 12 + INIT chunk 20 */
	expect_flow("sctp ports", &k, 1, 20 + 12 + 20);

	/* ARP: a non-IP flow keyed by EtherType, frame bytes */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_arp(&p, 1, "192.0.2.1", "192.0.2.2");
	run(&p);
	memset(&k, 0, sizeof(k));
	k.ifindex = FGT_IFINDEX;
	k.eth_proto = 0x0806;
	expect_flow("arp: non-IP flow by EtherType", &k, 1, p.len);
}

static void test_drop_flow(void)
{
	struct fg_flow_key k;
	struct fg_config cfg = {};
	struct fg_flowstats before, after;
	struct pkt p;
	int i;

	for (i = 0; i < 2; i++) {
		pkt_init(&p);
		pkt_eth(&p);
		pkt_ip4(&p, "192.0.2.7", "198.51.100.2");
		pkt_tcp(&p, 41000, 80, PKT_SYN | PKT_FIN);
		run(&p);
	}
	key_base(&k, 4, IPPROTO_TCP, "192.0.2.7", "198.51.100.2", 41000, 80);
	k.reason = FG_R_TCP_FLAGS;
	expect_flow("syn+fin: a flow marked dropped for tcp-flags", &k, 2, 80);

	/* drop-flows off: counted as unflowed instead */
	cfg.flags = FG_CFG_NO_DROP_FLOWS;
	fgt_set_config(&t, &cfg);
	before = fstats_get();
	run(&p);
	after = fstats_get();
	fgt_ok(flow_get(&k).packets == 2 &&
		       after.unflowed_pkts - before.unflowed_pkts == 1,
	       "drop-flows off: no flow update, one unflowed packet");
	cfg.flags = 0;
	fgt_set_config(&t, &cfg);
}

/* A later IPv4 fragment (offset 40) of datagram id: payload only. */
static void later_fragment(struct pkt *p, __u16 id)
{
	struct iphdr *ip;

	pkt_init(p);
	pkt_eth(p);
	ip = pkt_ip4(p, "192.0.2.9", "198.51.100.2");
	ip->id = htons(id);
	ip->protocol = IPPROTO_UDP;
	pkt_data(p, NULL, 40);
	pkt_finish(p);
	pkt_ip4_frag(ip, 40, 0);
	pkt_ip4_fix_csum(ip);
}

/* The first fragment (UDP header with ports, MF) of datagram id. */
static void first_fragment(struct pkt *p, __u16 id, __u16 sport, __u16 dport)
{
	struct iphdr *ip;

	pkt_init(p);
	pkt_eth(p);
	ip = pkt_ip4(p, "192.0.2.9", "198.51.100.2");
	ip->id = htons(id);
	pkt_udp(p, sport, dport);
	pkt_keep(p); /* the UDP length is the whole datagram's */
	pkt_data(p, NULL, 32);
	pkt_finish(p);
	((struct udphdr *)(p->b + pkt_off_of(p, PKT_L_UDP)))->len = htons(80);
	pkt_ip4_frag(ip, 0, 1);
	pkt_ip4_fix_csum(ip);
}

static void test_fragments(void)
{
	struct fg_flow_key k;
	struct fg_flowstats before, after;
	struct pkt p;

	before = fstats_get();
	first_fragment(&p, 777, 5555, 6666);
	run(&p);
	/* later fragment: payload only */
	later_fragment(&p, 777);
	run(&p);
	after = fstats_get();
	key_base(&k, 4, IPPROTO_UDP, "192.0.2.9", "198.51.100.2", 5555, 6666);
	expect_flow("fragments: both in the first fragment's flow", &k, 2,
		    (20 + 8 + 32) + (20 + 40));
	fgt_ok(after.frag_lent - before.frag_lent == 1,
	       "fragments: one later fragment lent its ports");

	/* a later fragment whose first was never seen */
	later_fragment(&p, 778);
	run(&p);
	key_base(&k, 4, IPPROTO_UDP, "192.0.2.9", "198.51.100.2", 0, 0);
	expect_flow("orphan fragment: ports 0", &k, 1, 60);
	fgt_ok(fstats_get().frag_orphan - after.frag_orphan == 1,
	       "orphan fragment counted");
}

#define FRAG_ENT_SIZE 44 /* struct fg_frag_ent (include/fg_flow.h) */

/* The slot of fg_frags whose bytes differ from before[]; -1 if none. */
static int frag_changed(const __u8 *before)
{
	int fd = bpf_map__fd(t.skel->maps.fg_frags);
	__u8 v[FRAG_ENT_SIZE];
	__u32 s;

	for (s = 0; s < FG_MAX_FRAGS; s++)
		if (!bpf_map_lookup_elem(fd, &s, v) &&
		    memcmp(v, before + s * FRAG_ENT_SIZE, FRAG_ENT_SIZE))
			return s;
	return -1;
}

static void frag_snapshot(__u8 *all)
{
	int fd = bpf_map__fd(t.skel->maps.fg_frags);
	__u32 s;

	for (s = 0; s < FG_MAX_FRAGS; s++)
		bpf_map_lookup_elem(fd, &s, all + s * FRAG_ENT_SIZE);
}

/*
 * The cache is direct-mapped: the first fragment of another datagram that
 * hashes to the same slot evicts the first one, whose later fragments are
 * then orphans, while the newcomer's are lent their ports. The colliding
 * datagram is found by trying IP IDs until one lands in the slot.
 */
static void test_fragment_eviction(void)
{
	int fd = bpf_map__fd(t.skel->maps.fg_frags);
	__u8 *all = calloc(FG_MAX_FRAGS, FRAG_ENT_SIZE);
	__u8 v0[FRAG_ENT_SIZE], v[FRAG_ENT_SIZE];
	struct fg_flowstats a, b;
	struct fg_flow_key k;
	struct pkt p;
	int slot = -1;
	__u32 id, s;

	if (!all) {
		fgt_ok(0, "fragment eviction: out of memory");
		return;
	}
	frag_snapshot(all);
	first_fragment(&p, 4242, 7000, 7001);
	run(&p);
	slot = frag_changed(all);
	s = slot;
	fgt_ok(slot >= 0 && !bpf_map_lookup_elem(fd, &s, v0),
	       "fragment eviction: the first fragment took one slot (%d)",
	       slot);
	for (id = 4243; slot >= 0 && id < 4243 + 40 * FG_MAX_FRAGS; id++) {
		first_fragment(&p, id, 7002, 7003);
		run(&p);
		if (!bpf_map_lookup_elem(fd, &s, v) && memcmp(v, v0, sizeof(v)))
			break;
	}
	fgt_ok(slot >= 0 && id < 4243 + 40 * FG_MAX_FRAGS,
	       "fragment eviction: datagram %u hashes to the same slot", id);
	a = fstats_get();
	later_fragment(&p, 4242);
	run(&p);
	later_fragment(&p, id);
	run(&p);
	b = fstats_get();
	fgt_ok(b.frag_orphan - a.frag_orphan == 1 &&
		       b.frag_lent - a.frag_lent == 1,
	       "fragment eviction: the evicted datagram's later fragment is "
	       "an orphan, the newcomer's is lent its ports");
	key_base(&k, 4, IPPROTO_UDP, "192.0.2.9", "198.51.100.2", 7002, 7003);
	fgt_ok(flow_get(&k).packets == id - 4243 + 2,
	       "fragment eviction: the lent fragment is in the newcomer's "
	       "flow");
	free(all);
}

static void test_sampling_conserves(void)
{
	struct fg_config cfg = {.sampling = 3};
	struct fg_flowstats before, after;
	struct fg_flow_key k;
	struct pkt p;
	__u64 flowed;
	int i;

	fgt_set_config(&t, &cfg);
	before = fstats_get();
	for (i = 0; i < 300; i++) {
		pkt_init(&p);
		pkt_eth(&p);
		pkt_ip4(&p, "192.0.2.50", "198.51.100.2");
		pkt_udp(&p, 9999, 9);
		run(&p);
	}
	after = fstats_get();
	key_base(&k, 4, IPPROTO_UDP, "192.0.2.50", "198.51.100.2", 9999, 9);
	flowed = flow_get(&k).packets;
	fgt_ok(after.packets - before.packets == 300,
	       "sampling: 300 packets seen");
	fgt_ok(flowed + after.sampled_pkts - before.sampled_pkts == 300,
	       "sampling: flowed %llu + sampled out %llu == 300",
	       (unsigned long long)flowed,
	       (unsigned long long)(after.sampled_pkts - before.sampled_pkts));
	fgt_ok(flowed > 50 && flowed < 150,
	       "sampling: about 1 in 3 flowed (%llu)",
	       (unsigned long long)flowed);
	cfg.sampling = 0;
	fgt_set_config(&t, &cfg);
}

static void send_udp(struct fgt *in, const char *src, __u16 sport)
{
	struct fgt_result r;
	struct pkt p;

	pkt_init(&p);
	pkt_eth(&p);
	pkt_ip4(&p, src, "198.51.100.9");
	pkt_udp(&p, sport, 53);
	pkt_finish(&p);
	in->skel->bss->fg_pkt_ns += 10000;
	if (fgt_run(in, p.b, p.len, &r))
		fgt_diag("run failed");
}

/* A UDP datagram whose IPv4 header checksum is wrong (ip4-csum,
 * class malformed). */
static void send_bad_csum(struct fgt *in, const char *src)
{
	struct fgt_result r;
	struct pkt p;

	pkt_init(&p);
	pkt_eth(&p);
	pkt_ip4(&p, src, "198.51.100.9");
	pkt_udp(&p, 7, 53);
	pkt_finish(&p);
	p.b[ETH_HLEN + 10] ^= 0x5a;
	in->skel->bss->fg_pkt_ns += 10000;
	if (fgt_run(in, p.b, p.len, &r) || r.reason != FG_R_IP4_CSUM)
		fgt_diag("bad checksum run: reason %u", r.reason);
}

/* ---- The table itself (fg_flowtab) ------------------------------------- */

/* Pin this thread to CPU c (-1: every CPU again); test runs run on it. */
static int pin_cpu(int c, int ncpu)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < ncpu; i++)
		if (c < 0 || i == c)
			CPU_SET(i, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The hash of k as BPF computes it (include/fg_flowtab.h). */
static __u64 key_hash(const struct fg_ft *ft, const struct fg_flow_key *k)
{
	union fg_ft_key u;

	u.w[6] = 0;
	u.k = *k;
	return fg_ft_hash(&u, ft->info.seed);
}

static struct fg_ft_bucket *bucket_at(const struct fg_ft *ft, __u32 reg,
				      __u32 b)
{
	return &ft->b[(size_t)reg * ft->info.nb + b];
}

/* The slot of region reg holding k (either of its buckets, by tag and
 * key), its bucket in *bp and index in *ip; NULL when there is none. */
static struct fg_ft_slot *slot_find(const struct fg_ft *ft, __u32 reg,
				    const struct fg_flow_key *k,
				    struct fg_ft_bucket **bp, int *ip)
{
	__u64 h = key_hash(ft, k);
	__u32 bi[2] = {fg_ft_b1(h, ft->info.nb), fg_ft_b2(h, ft->info.nb)};
	union fg_ft_key u;
	struct fg_ft_bucket *b;
	int j, i;

	u.w[6] = 0;
	u.k = *k;
	for (j = 0; j < 2; j++) {
		b = bucket_at(ft, reg, bi[j]);
		for (i = 0; i < FG_FT_SLOTS; i++) {
			if (b->tag[i] != fg_ft_tag(h) ||
			    !fg_ft_key_eq(&b->slot[i].key, &u))
				continue;
			if (bp)
				*bp = b;
			if (ip)
				*ip = i;
			return &b->slot[i];
		}
	}
	return NULL;
}

/* Acknowledge slot i of b as ended, field by field as a reader's
 * fg_ft_end() does: the counters it read (pkts, octets), its time, the
 * generation, then the header's hint; the region's ended count once. */
static void ack_slot(struct fg_ft *ft, struct fg_ft_bucket *b, int i,
		     __u64 pkts, __u64 octets, __u64 now)
{
	struct fg_ft_slot *s = &b->slot[i];

	s->ack_pkts = pkts;
	s->ack_octets = octets;
	s->ack_ns = now;
	__atomic_store_n(&s->ack_gen, s->gen, __ATOMIC_RELEASE);
	b->ack8[i] = b->gen8[i] | FG_FT_ENDED;
	bucket_at(ft, 0, 0)->ended++;
}

/* The overflow aggregate of (ifindex, in, ip_ver, proto) as readers see
 * it (fg_ovf_read: both maps, every CPU); *octets too if asked. */
static __u64 ovf_get(struct fgt *in, __u32 ifindex, __u8 ip_ver, __u8 proto,
		     __u64 *octets)
{
	struct fg_ovf_ent *e = NULL;
	__u64 n = 0, o = 0;
	size_t i, ne = 0;

	if (fg_ovf_read(bpf_map__fd(in->skel->maps.fg_ovfarr),
			bpf_map__fd(in->skel->maps.fg_overflow), &e, &ne))
		fgt_diag("fg_ovf_read failed");
	for (i = 0; i < ne; i++)
		if (e[i].k.ifindex == ifindex && e[i].k.dir == FG_DIR_IN &&
		    e[i].k.ip_ver == ip_ver && e[i].k.proto == proto) {
			n = e[i].packets;
			o = e[i].octets;
		}
	free(e);
	if (octets)
		*octets = o;
	return n;
}

/* The overflow aggregate of IPv4 UDP into FGT_IFINDEX. */
static __u64 ovf_udp4(struct fgt *in)
{
	return ovf_get(in, FGT_IFINDEX, 4, IPPROTO_UDP, NULL);
}

static int sum_packets(const struct fg_flow_key *k, const struct fg_flow_val *v,
		       void *ctx)
{
	*(__u64 *)ctx += v->packets;
	return 0;
}

/* Packets in live flows, every region, as readers see them. */
static __u64 live_packets(struct fgt *in)
{
	__u64 n = 0;

	if (fg_ft_walk(&in->ft, sum_packets, &n))
		fgt_diag("walk failed");
	return n;
}

/* A flow seen on two CPUs is a slot in each one's region, each with its
 * own first time and TTLs; readers sum them. */
static void test_two_regions(void)
{
	struct fg_ft_slot *s[2];
	struct fg_flow_key k;
	struct fg_flow_val v;
	struct iphdr *ip;
	struct pkt p;
	int c, good = 0;

	if (t.ncpu < 2) {
		fgt_skip("needs 2 CPUs", "two regions of one flow");
		return;
	}
	for (c = 0; c < 2; c++) {
		if (pin_cpu(c, t.ncpu))
			fgt_diag("cannot move to CPU %d", c);
		pkt_init(&p);
		pkt_eth(&p);
		ip = pkt_ip4(&p, "192.0.2.7", "198.51.100.7");
		ip->ttl = 50 + c;
		pkt_udp(&p, 4444, 5555);
		run(&p);
	}
	pin_cpu(-1, t.ncpu);
	key_base(&k, 4, IPPROTO_UDP, "192.0.2.7", "198.51.100.7", 4444, 5555);
	for (c = 0; c < 2; c++) {
		s[c] = slot_find(&t.ft, c, &k, NULL, NULL);
		good += s[c] && s[c]->val.packets == 1 && s[c]->val.first_ns &&
			s[c]->val.ttl_min == 50 + c &&
			s[c]->val.ttl_max == 50 + c;
	}
	fgt_ok(good == 2,
	       "two regions: a slot in each CPU's region, own first time and "
	       "TTL min/max");
	v = flow_get(&k);
	fgt_ok(v.packets == 2 && v.octets == 2 * 28 && v.ttl_min == 50 &&
		       v.ttl_max == 51,
	       "two regions: read as one flow, summed (%llu packets, TTL "
	       "%u-%u)",
	       (unsigned long long)v.packets, v.ttl_min, v.ttl_max);
}

/* A CPU beyond the table's regions (brought up after it was made) counts
 * in the overflow aggregate. */
static void test_cpu_beyond(void)
{
	struct fg_ifstats s;
	struct fgt f;

	if (t.ncpu < 3) {
		fgt_skip("needs 3 CPUs (1 region means region 0 for all)",
			 "a CPU without a region");
		return;
	}
	if (fgt_open_ft(&f, FG_SLOT_OTHER, t.ncpu - 1, 4, 1)) {
		fgt_ok(0, "CPU without a region: instance loads");
		return;
	}
	pin_cpu(t.ncpu - 1, t.ncpu);
	send_udp(&f, "192.0.2.70", 7000);
	pin_cpu(-1, t.ncpu);
	fgt_stats(&f, FGT_STATS_IN, &s);
	fgt_ok(s.flows.packets == 1 && s.flows.ovf_pkts == 1 &&
		       ovf_udp4(&f) == 1 && !live_packets(&f),
	       "CPU without a region: its packet in the overflow aggregate");
	fgt_close(&f);
}

#define BK_KEYS 18

/* Keys from 192.0.2.60 to port 53 whose first and second buckets of nb
 * are the same two distinct buckets, in the same order (one choice would
 * overflow the first at its 9th key): BK_KEYS of them, their source
 * ports in sp[]. */
static int pair_keys(const struct fg_ft *ft, struct fg_flow_key *keys,
		     __u16 *sp)
{
	__u32 b1, b2, p1 = 0, p2 = 0, port;
	struct fg_flow_key k;
	__u64 h;
	int n = 0;

	for (port = 1000; n < BK_KEYS && port < 65000; port++) {
		key_base(&k, 4, IPPROTO_UDP, "192.0.2.60", "198.51.100.9", port,
			 53);
		h = key_hash(ft, &k);
		b1 = fg_ft_b1(h, ft->info.nb);
		b2 = fg_ft_b2(h, ft->info.nb);
		if (b1 == b2)
			continue;
		if (!n) {
			p1 = b1;
			p2 = b2;
		}
		if (b1 != p1 || b2 != p2)
			continue;
		keys[n] = k;
		sp[n++] = port;
	}
	return n;
}

static int bucket_full(const struct fg_ft_bucket *b)
{
	int i, n = 0;

	for (i = 0; i < FG_FT_SLOTS; i++)
		n += b->tag[i] != 0;
	return n == FG_FT_SLOTS;
}

/*
 * One region of 4 buckets: 16 keys that share their two buckets fill
 * both (two choices: each goes to the emptier, though all have the same
 * first bucket), the 17th overflows. A
 * slot acknowledged as ended takes the next new key; one whose ack does
 * not match the live counters (a packet came after the reader's read)
 * does not; a packet of an ended flow starts it again in place. Every
 * packet is counted once: in a live flow, in what the reader took, or in
 * the aggregate.
 */
static void test_buckets(void)
{
	struct fg_flow_key keys[BK_KEYS];
	struct fg_ft_bucket *b, *head;
	struct fg_ft_slot *sl, *s3;
	__u64 acked = 0, ovf0;
	struct fg_flow_val v;
	__u16 sp[BK_KEYS];
	struct fg_ifstats s;
	__u32 gen;
	struct fgt f;
	int i, n, ok, si;

	if (fgt_open_ft(&f, FG_SLOT_OTHER, 1, 4, 1)) {
		fgt_ok(0, "buckets: instance of 1 region x 4 buckets loads");
		return;
	}
	head = bucket_at(&f.ft, 0, 0);
	if (!fgt_ok(pair_keys(&f.ft, keys, sp) == BK_KEYS,
		    "buckets: %d keys sharing their two buckets", BK_KEYS)) {
		fgt_close(&f);
		return;
	}
	for (i = 0; i < 16; i++)
		send_udp(&f, "192.0.2.60", sp[i]);
	for (i = ok = 0; i < 16; i++)
		ok += fgt_flow(&f, &keys[i]).packets == 1;
	fgt_stats(&f, FGT_STATS_IN, &s);
	sl = slot_find(&f.ft, 0, &keys[0], &b, NULL);
	fgt_ok(ok == 16 && !s.flows.insert_fail && head->used == 16,
	       "buckets: 16 keys of one bucket pair all held (%d, used %u, "
	       "overflowed %llu)",
	       ok, head->used, (unsigned long long)s.flows.insert_fail);
	{
		__u64 h = key_hash(&f.ft, &keys[0]);

		fgt_ok(bucket_full(bucket_at(&f.ft, 0, fg_ft_b1(h, 4))) &&
			       bucket_full(bucket_at(&f.ft, 0, fg_ft_b2(h, 4))),
		       "buckets: both buckets full, 8 and 8");
	}
	ovf0 = ovf_udp4(&f);
	send_udp(&f, "192.0.2.60", sp[16]);
	fgt_stats(&f, FGT_STATS_IN, &s);
	fgt_ok(s.flows.insert_fail == 1 && s.flows.ovf_pkts == 1 &&
		       ovf_udp4(&f) == ovf0 + 1 &&
		       !fgt_flow(&f, &keys[16]).packets,
	       "buckets: the 17th key overflows into the aggregate");

	/* Ended: the reader took keys[3] whole and acked it. */
	s3 = slot_find(&f.ft, 0, &keys[3], &b, &si);
	if (!fgt_ok(s3 != NULL, "buckets: keys[3] found by hash")) {
		fgt_close(&f);
		return;
	}
	gen = s3->gen;
	acked += s3->val.packets;
	ack_slot(&f.ft, b, si, s3->val.packets, s3->val.octets,
		 f.skel->bss->fg_pkt_ns);
	fgt_ok(!fgt_flow(&f, &keys[3]).packets,
	       "buckets: a slot acked as ended is no flow for readers");
	send_udp(&f, "192.0.2.60", sp[16]);
	fgt_stats(&f, FGT_STATS_IN, &s);
	sl = slot_find(&f.ft, 0, &keys[16], NULL, NULL);
	fgt_ok(sl == s3 && s3->gen == gen + 2 && !(s3->gen & 1) &&
		       b->gen8[si] == fg_ft_gen8(s3->gen) &&
		       head->reused == 1 && s.flows.insert_fail == 1 &&
		       fgt_flow(&f, &keys[16]).packets == 1,
	       "buckets: the ended slot takes the next new key (gen %u -> "
	       "%u, reused %u)",
	       gen, s3->gen, head->reused);
	fgt_ok(!slot_find(&f.ft, 0, &keys[3], NULL, NULL),
	       "buckets: the ended key is gone from its bucket");

	/* Raced: keys[4] read at 1 packet, a packet comes, then the ack of
	 * what was read. It does not match: the slot is not taken. */
	sl = slot_find(&f.ft, 0, &keys[4], &b, &si);
	v = sl ? sl->val : (struct fg_flow_val){};
	send_udp(&f, "192.0.2.60", sp[4]);
	if (sl) {
		acked += v.packets;
		ack_slot(&f.ft, b, si, v.packets, v.octets,
			 f.skel->bss->fg_pkt_ns);
	}
	send_udp(&f, "192.0.2.60", sp[17]);
	fgt_stats(&f, FGT_STATS_IN, &s);
	fgt_ok(sl && slot_find(&f.ft, 0, &keys[4], NULL, NULL) == sl &&
		       sl->val.packets == 2 && head->reused == 1 &&
		       s.flows.insert_fail == 2 &&
		       !fgt_flow(&f, &keys[17]).packets,
	       "buckets: an ack that does not match the counters: the slot "
	       "is kept, the new key overflows");
	v = fgt_flow(&f, &keys[4]);
	fgt_ok(v.packets == 1 && v.octets == 28,
	       "buckets: the packet after the ack is read as a flow of its "
	       "own (%llu packets)",
	       (unsigned long long)v.packets);

	/* Ended, then its key again: a new generation in place. */
	sl = slot_find(&f.ft, 0, &keys[5], &b, &si);
	if (sl) {
		gen = sl->gen;
		acked += sl->val.packets;
		ack_slot(&f.ft, b, si, sl->val.packets, sl->val.octets,
			 f.skel->bss->fg_pkt_ns);
	}
	send_udp(&f, "192.0.2.60", sp[5]);
	fgt_stats(&f, FGT_STATS_IN, &s);
	v = fgt_flow(&f, &keys[5]);
	fgt_ok(sl && slot_find(&f.ft, 0, &keys[5], NULL, NULL) == sl &&
		       sl->gen == gen + 2 && sl->val.packets == 1 &&
		       sl->val.first_ns == f.skel->bss->fg_pkt_ns &&
		       v.packets == 1 && head->reused == 2 &&
		       s.flows.insert_fail == 2,
	       "buckets: a packet of an ended flow starts it again in place "
	       "(new first time, reused %u)",
	       head->reused);

	n = 16 + 2 + 1 + 1 + 1;
	fgt_ok(s.flows.packets == (__u64)n &&
		       s.flows.packets ==
			       live_packets(&f) + acked + s.flows.ovf_pkts,
	       "buckets: conservation, %d = %llu live + %llu acked + %llu "
	       "overflow",
	       n, (unsigned long long)live_packets(&f),
	       (unsigned long long)acked, (unsigned long long)s.flows.ovf_pkts);
	fgt_close(&f);
}

/*
 * The fill mark: one region of one bucket (mark: more than 7 live
 * slots). Above it, a drop goes to the aggregate even though its flow is
 * in the table; a passed packet still finds its flow. Once a slot ends,
 * the region is at the mark, not above: drops are flows again.
 */
static void test_fill_mark(void)
{
	struct fg_flow_key d, k;
	struct fg_ft_bucket *b, *head;
	struct fg_ft_slot *sl;
	struct fg_ifstats s;
	__u64 acked = 0;
	struct fgt f;
	int i, si;

	if (fgt_open_ft(&f, FG_SLOT_OTHER, 1, 1, 1)) {
		fgt_ok(0, "fill mark: instance of 1 bucket loads");
		return;
	}
	head = bucket_at(&f.ft, 0, 0);
	for (i = 0; i < 7; i++)
		send_udp(&f, "192.0.2.60", 2000 + i);
	send_bad_csum(&f, "192.0.2.63");
	key_base(&d, 4, IPPROTO_UDP, "192.0.2.63", "198.51.100.9", 0, 0);
	d.reason = FG_R_IP4_CSUM;
	fgt_stats(&f, FGT_STATS_IN, &s);
	fgt_ok(fgt_flow(&f, &d).packets == 1 && head->used == 8 &&
		       !s.flows.insert_fail,
	       "fill mark: at the mark (7 live) a drop is still a flow; 8 "
	       "live now");
	send_bad_csum(&f, "192.0.2.63");
	fgt_stats(&f, FGT_STATS_IN, &s);
	fgt_ok(fgt_flow(&f, &d).packets == 1 && s.flows.insert_fail == 1 &&
		       s.flows.ovf_pkts == 1 && ovf_udp4(&f) == 1 &&
		       s.drop_packets[FG_R_IP4_CSUM] == 2,
	       "fill mark: above it a drop goes to the aggregate, though its "
	       "flow is held (flow %llu, overflow %llu)",
	       (unsigned long long)fgt_flow(&f, &d).packets,
	       (unsigned long long)s.flows.ovf_pkts);
	send_udp(&f, "192.0.2.60", 2000);
	key_base(&k, 4, IPPROTO_UDP, "192.0.2.60", "198.51.100.9", 2000, 53);
	fgt_stats(&f, FGT_STATS_IN, &s);
	fgt_ok(fgt_flow(&f, &k).packets == 2 && s.flows.insert_fail == 1,
	       "fill mark: a passed packet still probes and finds its flow");
	key_base(&k, 4, IPPROTO_UDP, "192.0.2.60", "198.51.100.9", 2001, 53);
	sl = slot_find(&f.ft, 0, &k, &b, &si);
	if (sl) {
		acked += sl->val.packets;
		ack_slot(&f.ft, b, si, sl->val.packets, sl->val.octets,
			 f.skel->bss->fg_pkt_ns);
	}
	send_bad_csum(&f, "192.0.2.63");
	fgt_stats(&f, FGT_STATS_IN, &s);
	fgt_ok(sl && fgt_flow(&f, &d).packets == 2 && s.flows.insert_fail == 1,
	       "fill mark: one flow ended, back at the mark: drops are "
	       "flows again");
	fgt_ok(s.flows.packets == 11 &&
		       s.flows.packets ==
			       live_packets(&f) + acked + s.flows.ovf_pkts,
	       "fill mark: conservation, 11 = %llu live + %llu acked + %llu "
	       "overflow",
	       (unsigned long long)live_packets(&f), (unsigned long long)acked,
	       (unsigned long long)s.flows.ovf_pkts);
	fgt_close(&f);
}

/* ---- The drop budget (attach drop-flow-rate) ---------------------------- */

/* Drops the budget sent to the aggregate, as stats reads them. */
static struct fg_ovf_rate rated_get(struct fgt *in)
{
	struct fg_ovf_rate r;
	__u32 key = FGT_STATS_IN;

	if (fg_map_lookup_sum(bpf_map__fd(in->skel->maps.fg_ovfrate), &key, &r,
			      sizeof(r)))
		memset(&r, 0xff, sizeof(r));
	return r;
}

/* n drops (wrong IPv4 checksum) from n sources from 192.0.2.(first). */
static void drops_from(struct fgt *in, int first, int n)
{
	char a[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "192.0.2.%d", first + i);
		send_bad_csum(in, a);
	}
}

/* Live flows in every region. */
static int count_flow(const struct fg_flow_key *k, const struct fg_flow_val *v,
		      void *ctx)
{
	(*(__u64 *)ctx)++;
	return 0;
}

static __u64 live_flows(struct fgt *in)
{
	__u64 n = 0;

	if (fg_ft_walk(&in->ft, count_flow, &n))
		fgt_diag("walk failed");
	return n;
}

/*
 * The budget of 4 drops a tick, on the capture's clock (ticks of
 * 2^FG_FT_TICK_SHIFT ns) into a table with room: of a tick's drops the
 * first 4 take flow records, the rest go to the aggregate, counted on
 * their own too; passed packets are not limited; the next tick has 4
 * again. Then the kernel's clock (jiffies), and 0: no limit.
 */
static void test_drop_budget(void)
{
	struct fg_ovf_rate r;
	struct fg_ifstats s;
	__u64 ovf_oct, ovf0, t0, t1, n1, n2, ticks;
	struct timespec ts;
	struct fgt f;
	int i;

	if (fgt_open_budget(&f, FG_SLOT_OTHER, 1, 64, 1, 4)) {
		fgt_ok(0, "drop budget: instance loads");
		return;
	}
	f.skel->bss->fg_pkt_ns = 1000ull << FG_FT_TICK_SHIFT;
	drops_from(&f, 10, 10);
	fgt_stats(&f, FGT_STATS_IN, &s);
	r = rated_get(&f);
	ovf_get(&f, FGT_IFINDEX, 4, IPPROTO_UDP, &ovf_oct);
	fgt_ok(live_flows(&f) == 4 && s.flows.ovf_pkts == 6 &&
		       s.flows.insert_fail == 6 && ovf_udp4(&f) == 6 &&
		       r.packets == 6 && r.octets == s.flows.ovf_octets &&
		       ovf_oct == r.octets &&
		       s.drop_packets[FG_R_IP4_CSUM] == 10,
	       "drop budget: 10 drops of a tick, 4 flows and 6 in the "
	       "aggregate, counted as budget's (%llu flows, %llu overflow, "
	       "%llu by the budget)",
	       (unsigned long long)live_flows(&f),
	       (unsigned long long)s.flows.ovf_pkts,
	       (unsigned long long)r.packets);
	for (i = 0; i < 3; i++)
		send_udp(&f, "192.0.2.90", 3000 + i);
	fgt_stats(&f, FGT_STATS_IN, &s);
	fgt_ok(live_flows(&f) == 7 && s.flows.ovf_pkts == 6 &&
		       rated_get(&f).packets == 6,
	       "drop budget: passed packets of the spent tick take flows");
	f.skel->bss->fg_pkt_ns = 1001ull << FG_FT_TICK_SHIFT;
	drops_from(&f, 30, 5);
	fgt_stats(&f, FGT_STATS_IN, &s);
	fgt_ok(live_flows(&f) == 11 && s.flows.ovf_pkts == 7 &&
		       rated_get(&f).packets == 7,
	       "drop budget: the next tick, 4 of 5 drops take flows anew");
	fgt_ok(s.flows.packets == 18 &&
		       s.flows.packets == live_packets(&f) + s.flows.ovf_pkts,
	       "drop budget: conservation, 18 = %llu in flows + %llu overflow",
	       (unsigned long long)live_packets(&f),
	       (unsigned long long)s.flows.ovf_pkts);
	fgt_close(&f);

	/* The kernel's clock: a burst is within one tick or two (a
	 * coarse clock reading ticks with jiffies says how many). */
	if (fgt_open_budget(&f, FG_SLOT_OTHER, 1, 64, 0, 4)) {
		fgt_ok(0, "drop budget: instance on the kernel's clock loads");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	t0 = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	drops_from(&f, 10, 40);
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	t1 = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	clock_getres(CLOCK_MONOTONIC_COARSE, &ts);
	ticks = (t1 - t0) / (ts.tv_nsec ? ts.tv_nsec : 1) + 2;
	n1 = live_flows(&f);
	fgt_stats(&f, FGT_STATS_IN, &s);
	/* Under emulation (the kernel matrix) the 40 may span 10 ticks. */
	fgt_ok(n1 >= 4 && n1 <= 4 * ticks && (ticks >= 12 || n1 < 40) &&
		       s.flows.ovf_pkts == 40 - n1 &&
		       rated_get(&f).packets == 40 - n1,
	       "drop budget, jiffies: 40 drops in %llu ticks or fewer, %llu "
	       "flows (4 a tick), the rest by the budget",
	       (unsigned long long)ticks, (unsigned long long)n1);
	usleep(30000); /* 3 ticks at HZ 100 */
	drops_from(&f, 60, 8);
	n2 = live_flows(&f) - n1;
	fgt_ok(n2 >= 4,
	       "drop budget, jiffies: renewed a tick later (%llu "
	       "flows of 8 drops)",
	       (unsigned long long)n2);
	fgt_close(&f);

	/* 0, as the shared instance loads: no limit (its table has room). */
	n1 = live_flows(&t);
	fgt_stats(&t, FGT_STATS_IN, &s);
	ovf0 = s.flows.ovf_pkts;
	drops_from(&t, 200, 20);
	fgt_stats(&t, FGT_STATS_IN, &s);
	fgt_ok(live_flows(&t) == n1 + 20 && s.flows.ovf_pkts == ovf0 &&
		       !rated_get(&t).packets,
	       "drop budget 0: no limit, 20 drops at once are 20 flows");
}

/* ---- The overflow aggregate's two maps ---------------------------------- */

/* One overflow case: a frame and where its packet must be counted. */
struct ovf_case {
	const char *name;
	__u8 ip_ver, proto;
	int hash; /* 1: fg_overflow (no class), 0: fg_ovfarr */
};

static void ovf_frame(struct pkt *p, int i)
{
	struct iphdr *ip;

	pkt_init(p);
	pkt_eth(p);
	if (i == 8) { /* non-IP */
		pkt_arp(p, 1, "192.0.2.1", "192.0.2.2");
		pkt_finish(p);
		return;
	}
	if (i < 6 || i == 9) {
		ip = pkt_ip4(p, "192.0.2.80", "198.51.100.9");
	} else {
		ip = NULL;
		pkt_ip6(p, "2001:db8::80", "2001:db8::9");
	}
	switch (i) {
	case 0:
		pkt_tcp(p, 4000, 80, 0x02);
		break;
	case 1:
		pkt_udp(p, 4000, 53);
		break;
	case 2:
		pkt_icmp(p, 8, 0, 1);
		break;
	case 3:
		pkt_sctp(p, 4000, 80, 1);
		break;
	case 4:
		pkt_esp(p, 1, 1);
		pkt_data(p, NULL, 16);
		break;
	case 5:
		pkt_gre(p, 0x88b5);
		pkt_data(p, NULL, 16);
		break;
	case 6:
		pkt_tcp(p, 4000, 80, 0x02);
		break;
	case 7:
		pkt_icmp6(p, 128, 0, 1);
		break;
	case 9:
		pkt_data(p, NULL, 16);
		break; /* protocol set below */
	case 10:
		pkt_icmp(p, 8, 0, 1);
		break; /* ICMP (not v6) in IPv6 */
	}
	pkt_finish(p);
	if (i == 9) {
		ip->protocol = 99;
		pkt_ip4_fix_csum(ip);
	}
}

static const struct ovf_case ovf_cases[] = {
	{"IPv4 TCP", 4, 6, 0},	{"IPv4 UDP", 4, 17, 0},
	{"IPv4 ICMP", 4, 1, 0}, {"IPv4 SCTP", 4, 132, 0},
	{"IPv4 ESP", 4, 50, 0}, {"IPv4 GRE", 4, 47, 0},
	{"IPv6 TCP", 6, 6, 0},	{"IPv6 ICMPv6", 6, 58, 0},
	{"non-IP", 0, 0, 0},	{"IPv4 protocol 99", 4, 99, 1},
	{"IPv6 ICMP", 6, 1, 1},
};

#define OVF_NCASES   (int)(sizeof(ovf_cases) / sizeof(ovf_cases[0]))
#define OVF_OTHER_IF 999 /* a slot's earlier interface */

static int ovf_in_hash(struct fgt *in, __u32 ifindex, const struct ovf_case *c)
{
	struct fg_ovf_key k = {.ifindex = ifindex,
			       .dir = FG_DIR_IN,
			       .ip_ver = c->ip_ver,
			       .proto = c->proto};
	struct fg_ovf_val *v = calloc(in->ncpu, sizeof(*v));
	int r = v && !bpf_map_lookup_elem(
			     bpf_map__fd(in->skel->maps.fg_overflow), &k, v);

	free(v);
	return r;
}

/* Every class of a full table's overflow counted exactly, in the map it
 * belongs to; an entry still holding another interface's packets (its
 * slot taken again) sends the packet to the hash, and neither count
 * moves to the other interface; the sum of both maps is what fg_ifstats
 * says overflowed (conservation). */
static void test_ovf_classes(void)
{
	struct fg_ovf_cnt *own;
	struct fg_ovf_ent *e = NULL;
	__u64 pk = 0, oc = 0, o;
	struct fg_ifstats s;
	struct fgt_result r;
	size_t i, ne = 0;
	struct pkt p;
	struct fgt f;
	__u32 idx;
	int c, ok;

	if (fgt_open_ft(&f, FG_SLOT_OTHER, 1, 1, 1)) {
		fgt_ok(0, "overflow classes: instance of 1 bucket loads");
		return;
	}
	pin_cpu(0, t.ncpu);
	for (c = 0; c < FG_FT_SLOTS; c++)
		send_udp(&f, "192.0.2.60", 2000 + c);
	/* CPU 0's IPv4 UDP entry holds another interface's packets. */
	own = calloc(f.ncpu, sizeof(*own));
	idx = fg_ovf_index(FG_SLOT_OTHER, FG_DIR_IN, fg_ovf_class(4, 17));
	own[0] = (struct fg_ovf_cnt){
		.packets = 5, .octets = 500, .ifindex = OVF_OTHER_IF};
	bpf_map_update_elem(bpf_map__fd(f.skel->maps.fg_ovfarr), &idx, own, 0);
	free(own);
	for (c = 0; c < OVF_NCASES; c++) {
		ovf_frame(&p, c);
		f.skel->bss->fg_pkt_ns += 10000;
		if (fgt_run(&f, p.b, p.len, &r))
			fgt_diag("run failed");
	}
	pin_cpu(-1, t.ncpu);
	for (c = 0; c < OVF_NCASES; c++) {
		const struct ovf_case *k = &ovf_cases[c];
		/* IPv4 UDP: its entry is the other interface's. */
		int hash = k->hash || c == 1;

		ok = ovf_get(&f, FGT_IFINDEX, k->ip_ver, k->proto, &o) == 1 &&
		     o > 0 && ovf_in_hash(&f, FGT_IFINDEX, k) == hash;
		fgt_ok(ok, "overflow classes: %s counted once, in %s", k->name,
		       hash ? "fg_overflow" : "fg_ovfarr");
	}
	fgt_ok(ovf_get(&f, OVF_OTHER_IF, 4, 17, &o) == 5 && o == 500,
	       "overflow classes: the slot's earlier interface keeps its "
	       "5 packets");
	fgt_stats(&f, FGT_STATS_IN, &s);
	if (fg_ovf_read(bpf_map__fd(f.skel->maps.fg_ovfarr),
			bpf_map__fd(f.skel->maps.fg_overflow), &e, &ne))
		ne = 0;
	for (i = 0; i < ne; i++) {
		if (e[i].k.ifindex != FGT_IFINDEX)
			continue;
		pk += e[i].packets;
		oc += e[i].octets;
	}
	free(e);
	fgt_ok(s.flows.ovf_pkts == OVF_NCASES && pk == s.flows.ovf_pkts &&
		       oc == s.flows.ovf_octets && !s.flows.ovf_lost &&
		       s.flows.packets == live_packets(&f) + pk,
	       "overflow classes: conservation (%llu packets, %llu of them "
	       "overflowed, both maps %llu packets %llu octets)",
	       (unsigned long long)s.flows.packets,
	       (unsigned long long)s.flows.ovf_pkts, (unsigned long long)pk,
	       (unsigned long long)oc);
	fgt_close(&f);
}

/* Every class names one (IP version, protocol) and back; nothing else
 * has a class. */
static void test_ovf_class_map(void)
{
	__u32 c, v, pr, n = 0, bad = 0;
	__u8 iv, ip;

	for (c = 0; c < FG_OVF_NCLASS - 1; c++) {
		fg_ovf_class_key(c, &iv, &ip);
		bad += fg_ovf_class(iv, ip) != (int)c;
	}
	for (v = 0; v <= 6; v++)
		for (pr = 0; pr < 256; pr++)
			n += fg_ovf_class(v, pr) >= 0;
	fgt_ok(!bad && n == FG_OVF_NCLASS - 1,
	       "overflow classes: %u classes, each its own key (%u wrong)", n,
	       bad);
}

int main(void)
{
	if (fgt_open(&t))
		return 1;
	test_tcp4_flags_ttl();
	test_shapes();
	test_drop_flow();
	test_fragments();
	test_fragment_eviction();
	test_sampling_conserves();
	test_two_regions();
	test_cpu_beyond();
	test_buckets();
	test_fill_mark();
	test_drop_budget();
	test_ovf_classes();
	test_ovf_class_map();
	fgt_close(&t);
	return fgt_done();
}
