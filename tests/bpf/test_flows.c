// SPDX-License-Identifier: GPL-2.0
/*
 * Flow accounting through BPF_PROG_TEST_RUN: the key fg_xdp builds for
 * every protocol shape, the value it keeps (packets, octets, OR of TCP
 * flags, TTL min/max), drops as flows of their own, fragments lent their
 * first fragment's ports, sampling and the drop-flows switch, with the
 * fg_ifstats flow counters conserving every packet.
 */
#include <arpa/inet.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fgtest.h"
#include "pkt.h"
#include "flowgate_xdp.skel.h"

static struct fgt t;
static int flows_fd;

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

/* The flow's value summed over CPUs; packets 0 when absent. */
static struct fg_flow_val flow_get(const struct fg_flow_key *k)
{
	struct fg_flow_val *v = calloc(t.ncpu, sizeof(*v)), sum = {};
	int c;

	if (v && !bpf_map_lookup_elem(flows_fd, k, v)) {
		sum.ttl_min = 255;
		for (c = 0; c < t.ncpu; c++) {
			if (!v[c].packets)
				continue;
			sum.packets += v[c].packets;
			sum.octets += v[c].octets;
			sum.tcp_flags |= v[c].tcp_flags;
			if (v[c].ttl_min < sum.ttl_min)
				sum.ttl_min = v[c].ttl_min;
			if (v[c].ttl_max > sum.ttl_max)
				sum.ttl_max = v[c].ttl_max;
			if (v[c].first_ns)
				sum.first_ns = v[c].first_ns;
			if (v[c].last_ns > sum.last_ns)
				sum.last_ns = v[c].last_ns;
		}
	}
	free(v);
	return sum;
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

/* A flow inserted on one CPU and then hit on another: the second CPU's
 * slot starts as zeros and must get its own first time and TTL minimum
 * (it once kept first_ns 0 and ttl_min 0, which made the exporter take a
 * live flow for a new one). */
static void test_second_cpu_slot(void)
{
	struct fg_flow_val *v = calloc(t.ncpu, sizeof(*v));
	struct fg_flow_key k;
	struct iphdr *ip;
	cpu_set_t set;
	struct pkt p;
	int c, good = 0;

	if (t.ncpu < 2 || !v) {
		fgt_skip("needs 2 CPUs", "second CPU slot");
		free(v);
		return;
	}
	for (c = 0; c < 2; c++) {
		CPU_ZERO(&set);
		CPU_SET(c, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			fgt_diag("cannot move to CPU %d", c);
		pkt_init(&p);
		pkt_eth(&p);
		ip = pkt_ip4(&p, "192.0.2.7", "198.51.100.7");
		ip->ttl = 50 + c;
		pkt_udp(&p, 4444, 5555);
		run(&p);
	}
	CPU_ZERO(&set);
	for (c = 0; c < t.ncpu; c++)
		CPU_SET(c, &set);
	sched_setaffinity(0, sizeof(set), &set);
	key_base(&k, 4, IPPROTO_UDP, "192.0.2.7", "198.51.100.7", 4444, 5555);
	if (!bpf_map_lookup_elem(flows_fd, &k, v))
		for (c = 0; c < 2; c++)
			good += v[c].packets == 1 && v[c].first_ns &&
				v[c].ttl_min == 50 + c &&
				v[c].ttl_max == 50 + c;
	fgt_ok(good == 2, "second CPU slot: own first time and TTL min/max");
	free(v);
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

/*
 * A full table stops trying to insert (fg_flows_full_ns): new flows go to
 * the overflow aggregate without a failed insert each, flows already in
 * the table keep being counted there, every packet stays counted once,
 * and inserts resume once there is room again.
 */
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

static __u64 flow_packets(int fd, int ncpu, const struct fg_flow_key *k)
{
	struct fg_flow_val *v = calloc(ncpu, sizeof(*v));
	__u64 n = 0;
	int c;

	if (v && !bpf_map_lookup_elem(fd, k, v))
		for (c = 0; c < ncpu; c++)
			n += v[c].packets;
	free(v);
	return n;
}

static void test_full_table(void)
{
	struct fg_ifstats s;
	struct fg_flow_key k;
	struct fgt f;
	__u64 tries, held;
	int i, fd;

	/* The capture's clock: a run takes milliseconds on a loaded machine
	 * (test runs wait for RCU), so the kernel's clock would let the retry
	 * interval pass between any two packets. 10 us a packet here. */
	if (fgt_open_flows(&f, FG_SLOT_OTHER, 16, 1)) {
		fgt_ok(0, "full table: instance with 16 flows loads");
		return;
	}
	fd = bpf_map__fd(f.skel->maps.fg_flows);
	for (i = 0; i < 15; i++)
		send_udp(&f, "192.0.2.60", 1000 + i);
	send_bad_csum(&f, "192.0.2.63");
	fgt_ok(!f.skel->bss->fg_flows_full_ns && !f.skel->bss->fg_full_tries,
	       "full table: 16 flows fit, not marked full");
	/* 50 new flows, then one of the 16 again, in 0.5 ms: less than the
	 * retry interval, so one insert is tried. */
	for (i = 0; i < 50; i++)
		send_udp(&f, "192.0.2.61", 2000 + i);
	send_udp(&f, "192.0.2.60", 1000);
	tries = f.skel->bss->fg_full_tries;
	fgt_ok(f.skel->bss->fg_flows_full_ns != 0, "full table: marked full");
	if (!fgt_ok(tries == 1,
		    "full table: 50 new flows, %llu inserts tried (1)",
		    (unsigned long long)tries))
		fgt_diag("an insert per packet would be 50");
	fgt_stats(&f, FGT_STATS_IN, &s);
	fgt_ok(s.flows.insert_fail == 50 && s.flows.ovf_pkts == 50,
	       "full table: 50 packets without room counted (%llu), in "
	       "overflow (%llu)",
	       (unsigned long long)s.flows.insert_fail,
	       (unsigned long long)s.flows.ovf_pkts);
	key_base(&k, 4, IPPROTO_UDP, "192.0.2.60", "198.51.100.9", 1000, 53);
	held = flow_packets(fd, f.ncpu, &k);
	fgt_ok(held == 2,
	       "full table: a flow in the table still counted (%llu)",
	       (unsigned long long)held);
	/* A malformed drop, though its flow is in the table: straight to
	 * the aggregate, counted by reason. */
	send_bad_csum(&f, "192.0.2.63");
	fgt_stats(&f, FGT_STATS_IN, &s);
	key_base(&k, 4, IPPROTO_UDP, "192.0.2.63", "198.51.100.9", 0, 0);
	k.reason = FG_R_IP4_CSUM;
	held = flow_packets(fd, f.ncpu, &k);
	fgt_ok(held == 1 && s.flows.ovf_pkts == 51 &&
		       s.drop_packets[FG_R_IP4_CSUM] == 2,
	       "full table: a malformed drop goes to the aggregate, not its "
	       "flow (flow %llu, overflow %llu, ip4-csum drops %llu)",
	       (unsigned long long)held, (unsigned long long)s.flows.ovf_pkts,
	       (unsigned long long)s.drop_packets[FG_R_IP4_CSUM]);
	key_base(&k, 4, IPPROTO_UDP, "192.0.2.60", "198.51.100.9", 1000, 53);
	fgt_ok(s.flows.packets == 68 &&
		       s.flows.packets == 17 + s.flows.ovf_pkts,
	       "full table: conservation, 68 = 17 in flows + %llu overflow",
	       (unsigned long long)s.flows.ovf_pkts);
	/* Room again (as the exporter deletes): after the retry interval
	 * the next new flow is inserted. */
	bpf_map_delete_elem(fd, &k);
	f.skel->bss->fg_pkt_ns += 2000000;
	send_udp(&f, "192.0.2.62", 3000);
	key_base(&k, 4, IPPROTO_UDP, "192.0.2.62", "198.51.100.9", 3000, 53);
	fgt_ok(flow_packets(fd, f.ncpu, &k) == 1 &&
		       !f.skel->bss->fg_flows_full_ns,
	       "full table: room again, the next new flow is inserted and the "
	       "mark cleared");
	fgt_close(&f);
}

int main(void)
{
	if (fgt_open(&t))
		return 1;
	flows_fd = bpf_map__fd(t.skel->maps.fg_flows);
	test_tcp4_flags_ttl();
	test_shapes();
	test_drop_flow();
	test_fragments();
	test_fragment_eviction();
	test_sampling_conserves();
	test_second_cpu_slot();
	test_full_table();
	fgt_close(&t);
	return fgt_done();
}
