// SPDX-License-Identifier: GPL-2.0
/*
 * The rule stage through BPF_PROG_TEST_RUN: a matrix of packets against a
 * rule set (prefix lengths, IPv4 and IPv6, ports and ranges, priorities,
 * per-interface scope, count before a decision, neighbour discovery and
 * ARP safety, fragments, the guard's drops), asserting verdict, reason,
 * the deciding rule and every counter: per-rule hits (packets, octets),
 * the interface's drop reason `rule`, the flow's rule ID. Then the `rule`
 * check's actions, a switch to another set (counters go on for rules that
 * stay, the old half is cleared), the empty set, 100,000 prefixes, and
 * fg_tc_in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fgtest.h"
#include "fgrules.h"
#include "pkt.h"
#include "fg.h"
#include "fg_parse.h"
#include "rules.h"
#include "flowgate_xdp.skel.h"
#include "flowgate_tc.skel.h"

static struct fgt t;
static struct fg_rule_fds fds;
static struct fg_ruleset cur; /* the set in force */
static __u32 gen;

static int load_on(const struct fg_rule_fds *f, const char *text)
{
	return fgt_rules_load(f, &cur, &gen, text);
}

static int load(const char *text)
{
	return load_on(&fds, text);
}

struct want {
	__u64 packets, octets;
};
static struct want want[FG_RULE_MAX + 1];
static __u64 want_rule_drops;

enum { V_PASS = XDP_PASS, V_DROP = XDP_DROP };

struct tcase {
	const char *name;
	void (*build)(struct pkt *p, const struct tcase *c);
	const char *src, *dst;
	__u8 proto;
	__u16 sport, dport;
	int verdict; /* XDP action */
	__u32 reason;
	__u32 rule;    /* the deciding rule, 0: none */
	__u32 counted; /* a count rule hit before it, 0: none */
};

static void b_l4(struct pkt *p, const struct tcase *c)
{
	bool v6 = strchr(c->src, ':');

	pkt_init(p);
	pkt_eth(p);
	if (v6)
		pkt_ip6(p, c->src, c->dst);
	else
		pkt_ip4(p, c->src, c->dst);
	if (c->proto == IPPROTO_TCP)
		pkt_tcp(p, c->sport, c->dport, PKT_ACK);
	else if (c->proto == IPPROTO_UDP)
		pkt_udp(p, c->sport, c->dport);
	else if (c->proto == IPPROTO_ICMPV6)
		pkt_icmp6(p, c->dport >> 8, c->dport & 0xff, 0);
	pkt_data(p, NULL, 24);
}

/* UDP in two fragments: the first (ports), then the later one. */
static void b_frag_first(struct pkt *p, const struct tcase *c)
{
	struct iphdr *ip;
	pkt_init(p);
	pkt_eth(p);
	ip = pkt_ip4(p, c->src, c->dst);
	struct udphdr *u;

	pkt_ip4_frag(ip, 0, 1);
	u = pkt_udp(p, c->sport, c->dport);
	/* the datagram goes on in the later fragment */
	u->len = htons(8 + 16 + 16);
	pkt_keep(p);
	pkt_data(p, NULL, 16);
}

static void b_frag_later(struct pkt *p, const struct tcase *c)
{
	struct iphdr *ip;

	pkt_init(p);
	pkt_eth(p);
	ip = pkt_ip4(p, c->src, c->dst);
	pkt_ip4_frag(ip, 24, 0);
	ip->protocol = IPPROTO_UDP;
	pkt_data(p, NULL, 16);
}

static void b_arp(struct pkt *p, const struct tcase *c)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_arp(p, 1, c->src, c->dst);
}

static void b_synfin(struct pkt *p, const struct tcase *c)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ip4(p, c->src, c->dst);
	pkt_tcp(p, c->sport, c->dport, PKT_SYN | PKT_FIN);
}

#define U  IPPROTO_UDP
#define T  IPPROTO_TCP
#define I6 IPPROTO_ICMPV6
#define X  "198.51.100.200" /* a source no rule names */
#define D  "198.51.100.1"
#define R  FG_R_RULE

static const char set1[] =
	"id 1 src 192.0.2.0/24 action drop\n"
	"id 2 src 192.0.2.128/25 action pass\n"
	"id 3 src 192.0.2.200/32 action drop\n"
	"id 4 dst 198.51.100.0/24 proto udp dport 53 action drop\n"
	"id 5 dst 198.51.100.0/24 proto tcp dport 1000-2000 action drop\n"
	"id 6 src 203.0.113.0/24 prio 200 action pass\n"
	"id 7 src 203.0.113.0/24 dst 198.51.100.9 prio 300 action drop\n"
	"id 8 sport 7 action drop\n"
	"id 9 src 2001:db8:1::/48 action drop\n"
	"id 10 src 2001:db8:2::/48 prio 50 action pass\n"
	"id 11 dst ::/0 prio 10 action drop\n"
	"id 12 dev lo dst 198.51.100.77 action drop\n"
	"id 13 dev nosuch dst 198.51.100.78 action drop\n"
	"id 14 src 0.0.0.0/0 dst 198.51.100.99 action count\n"
	"id 15 dst 198.51.100.99 prio 50 action drop\n"
	"id 16 src 203.0.113.0/24 prio 150 action count\n"
	"id 17 dst 2001:db8::ff proto icmpv6 prio 400 action drop\n";

static const struct tcase matrix[] = {
	{"/24 drop", b_l4, "192.0.2.1", D, U, 1000, 9, V_DROP, R, 1, 0},
	{"/25 pass is longer", b_l4, "192.0.2.129", D, U, 1000, 9, V_PASS, 0, 2,
	 0},
	{"/32 drop is longest", b_l4, "192.0.2.200", D, U, 1000, 9, V_DROP, R,
	 3, 0},
	{"udp dport 53", b_l4, X, D, U, 1000, 53, V_DROP, R, 4, 0},
	{"udp dport 54: no rule", b_l4, X, D, U, 1000, 54, V_PASS, 0, 0, 0},
	{"tcp dport 1500 in range", b_l4, X, D, T, 1000, 1500, V_DROP, R, 5, 0},
	{"tcp dport 1000: range start", b_l4, X, D, T, 1001, 1000, V_DROP, R, 5,
	 0},
	{"tcp dport 2000: range end", b_l4, X, D, T, 1001, 2000, V_DROP, R, 5,
	 0},
	{"tcp dport 2001: past the range", b_l4, X, D, T, 1001, 2001, V_PASS, 0,
	 0, 0},
	{"udp dport 1500: tcp rule", b_l4, X, D, U, 1000, 1500, V_PASS, 0, 0,
	 0},
	{"prio 200 pass, count 16 after it", b_l4, "203.0.113.5", D, U, 1000, 9,
	 V_PASS, 0, 6, 0},
	{"prio 300 drop by src and dst", b_l4, "203.0.113.5", "198.51.100.9", U,
	 1000, 9, V_DROP, R, 7, 0},
	{"sport 7, no address", b_l4, X, D, U, 7, 9, V_DROP, R, 8, 0},
	{"sport 7 tcp", b_l4, X, D, T, 7, 9, V_DROP, R, 8, 0},
	{"/25 pass before sport 7", b_l4, "192.0.2.129", D, U, 7, 9, V_PASS, 0,
	 2, 0},
	{"IPv6 /48 drop", b_l4, "2001:db8:1::5", "2001:db8::2", U, 1000, 9,
	 V_DROP, R, 9, 0},
	{"IPv6 prio 50 pass over prio 10", b_l4, "2001:db8:2::5", "2001:db8::2",
	 U, 1000, 9, V_PASS, 0, 10, 0},
	{"IPv6 ::/0 drop", b_l4, "2001:db8:3::5", "2001:db8::2", U, 1000, 9,
	 V_DROP, R, 11, 0},
	{"IPv4: ::/0 does not cover it", b_l4, X, D, U, 1000, 9, V_PASS, 0, 0,
	 0},
	{"dev lo", b_l4, X, "198.51.100.77", U, 1000, 9, V_DROP, R, 12, 0},
	{"dev of another interface", b_l4, X, "198.51.100.78", U, 1000, 9,
	 V_PASS, 0, 0, 0},
	{"count 14 then drop 15", b_l4, X, "198.51.100.99", U, 1000, 9, V_DROP,
	 R, 15, 14},
	{"ND solicitation: address rules skip it", b_l4, "2001:db8:1::5",
	 "2001:db8::2", I6, 0, 135 << 8, V_PASS, 0, 0, 0},
	{"ND advertisement: ::/0 skips it", b_l4, "2001:db8:3::5",
	 "2001:db8::2", I6, 0, 136 << 8, V_PASS, 0, 0, 0},
	{"ICMPv6 echo: address rule applies", b_l4, "2001:db8:1::5",
	 "2001:db8::2", I6, 0, 128 << 8, V_DROP, R, 9, 0},
	{"ND with a rule naming icmpv6", b_l4, "2001:db8:3::5", "2001:db8::ff",
	 I6, 0, 135 << 8, V_DROP, R, 17, 0},
	{"ARP: no rule names it", b_arp, "192.0.2.1", "192.0.2.2", 0, 0, 0,
	 V_PASS, 0, 0, 0},
	{"first fragment, dport 53", b_frag_first, X, D, U, 1000, 53, V_DROP, R,
	 4, 0},
	{"later fragment: no ports to match", b_frag_later, X, D, U, 1000, 53,
	 V_PASS, 0, 0, 0},
	{"guard drop is not judged again", b_synfin, "192.0.2.1", D, T, 1000,
	 80, V_DROP, FG_R_TCP_FLAGS, 0, 0},
};

/* IP-layer bytes of a frame (frame bytes when not IP): what rules count. */
static __u32 octets_of(const struct pkt *p)
{
	unsigned int off = pkt_off_of(p, PKT_L_IP4);

	if (off < p->len)
		return p->len - off;
	off = pkt_off_of(p, PKT_L_IP6);
	return off < p->len ? p->len - off : p->len;
}

static int run(const struct pkt *p, struct fgt_result *r, __u32 *rule)
{
	int err = fgt_run(&t, p->b, p->len, r);

	*rule = t.skel->bss->fg_last_rule;
	return err;
}

static void run_case(const struct tcase *c)
{
	struct fgt_result r;
	struct pkt p;
	__u32 rule;

	c->build(&p, c);
	pkt_finish(&p);
	if (run(&p, &r, &rule)) {
		fgt_ok(false, "%s: test run", c->name);
		return;
	}
	if (!fgt_ok(r.retval == (__u32)c->verdict && r.reason == c->reason &&
			    rule == c->rule,
		    "%s: %s, reason %s, rule %u", c->name,
		    c->verdict == V_DROP ? "drop" : "pass",
		    fg_reason_name(c->reason), c->rule))
		fgt_diag("got action %u reason %u rule %u", r.retval, r.reason,
			 rule);
	if (c->rule) {
		want[c->rule].packets++;
		want[c->rule].octets += octets_of(&p);
	}
	if (c->counted) {
		want[c->counted].packets++;
		want[c->counted].octets += octets_of(&p);
	}
	if (c->reason == FG_R_RULE)
		want_rule_drops++;
}

static void check_hits(const char *when)
{
	struct fg_rule_hit h;
	__u32 id, bad = 0;

	for (id = 1; id <= 17; id++) {
		if (fg_rule_hits_read(&fds, id, &h) ||
		    h.packets != want[id].packets ||
		    h.octets != want[id].octets ||
		    !h.last_ns != !want[id].packets) {
			fgt_diag("rule %u: %llu packets %llu octets, want "
				 "%llu %llu",
				 id, (unsigned long long)h.packets,
				 (unsigned long long)h.octets,
				 (unsigned long long)want[id].packets,
				 (unsigned long long)want[id].octets);
			bad++;
		}
	}
	fgt_ok(!bad,
	       "%s: hit counters of rules 1-17 (packets, octets, last "
	       "hit)",
	       when);
}

static void check_ifstats(const char *when, __u64 matched)
{
	struct fg_ifstats s;

	fgt_stats(&t, FGT_STATS_IN, &s);
	if (!fgt_ok(s.drop_packets[FG_R_RULE] == want_rule_drops &&
			    s.matched[FG_R_RULE] == matched,
		    "%s: drop reason rule %llu packets, matched %llu", when,
		    (unsigned long long)want_rule_drops,
		    (unsigned long long)matched))
		fgt_diag("got %llu dropped, %llu matched",
			 (unsigned long long)s.drop_packets[FG_R_RULE],
			 (unsigned long long)s.matched[FG_R_RULE]);
}

/* The flow of the first matrix packet: dropped, reason rule, rule 1. */
static void check_flow(void)
{
	struct fg_flow_val sum;
	struct fg_flow_key k = {.ifindex = FGT_IFINDEX,
				.ip_ver = 4,
				.proto = IPPROTO_UDP,
				.reason = FG_R_RULE,
				.eth_proto = ETH_P_IP};

	k.src[10] = k.src[11] = k.dst[10] = k.dst[11] = 0xff;
	pkt_addr(AF_INET, "192.0.2.1", k.src + 12);
	pkt_addr(AF_INET, D, k.dst + 12);
	k.sport = htons(1000);
	k.dport = htons(9);
	sum = fgt_flow(&t, &k);
	fgt_ok(sum.packets == 1 && sum.rule_id == 1,
	       "flow of the /24 drop: reason rule, rule_id 1 (%llu packets, "
	       "rule_id %u)",
	       (unsigned long long)sum.packets, sum.rule_id);
}

/* A set written into the inactive half changes nothing until the switch:
 * the whole matrix is judged as before, counters included. */
static void test_staged(void)
{
	struct fg_ruleset s = {}, saved;
	struct fg_perr e = {};
	struct fgt_result r;
	struct pkt p;
	size_t i;
	__u32 rule, g0 = gen;
	const struct tcase *c = &matrix[4]; /* udp dport 54: no rule */

	if (fg_rules_parse_text("proto udp action drop\n", 22, &s, &e) ||
	    fg_ruleset_assign_ids(&s, &cur) ||
	    !fgt_ok(!fg_rule_stage(&fds, &s, &cur, &e),
		    "stage a set that drops all UDP"))
		return;
	for (i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++)
		run_case(&matrix[i]);
	check_hits("staged, not switched");
	fgt_ok(!fg_rule_switch(&fds, &gen, &e) && gen == g0 + 1,
	       "switch to the staged set");
	c->build(&p, c);
	pkt_finish(&p);
	run(&p, &r, &rule);
	fgt_ok(r.retval == XDP_DROP && rule == s.r[0].id,
	       "after the switch: UDP to dport 54 dropped by rule %u",
	       s.r[0].id);
	want_rule_drops++;
	saved = cur;
	cur = s;
	fg_ruleset_free(&saved);
	fgt_ok(!load(set1), "set 1 again");
	/* Its rules were not in force a moment ago: they count from 0. */
	memset(want, 0, sizeof(want));
	check_hits("set 1 again");
	check_ifstats("staged and back", want_rule_drops);
}

/* config set check rule count|off, and the monitor profile. */
static void test_check_actions(void)
{
	const struct tcase *c = &matrix[0]; /* /24 drop, rule 1 */
	struct fgt_result r;
	struct fg_ifstats s0, s1;
	struct pkt p;
	__u32 rule;

	c->build(&p, c);
	pkt_finish(&p);
	fgt_stats(&t, FGT_STATS_IN, &s0);
	fgt_set_act(&t, FG_R_RULE, FG_ACT_COUNT);
	run(&p, &r, &rule);
	fgt_ok(r.retval == XDP_PASS && r.reason == 0 &&
		       r.hits == 1u << FG_R_RULE && rule == 1,
	       "check rule count: passes, matched, rule 1 decided");
	want[1].packets++;
	want[1].octets += octets_of(&p);
	fgt_set_act(&t, FG_R_RULE, FG_ACT_OFF);
	run(&p, &r, &rule);
	fgt_ok(r.retval == XDP_PASS && r.hits == 0 && rule == 0,
	       "check rule off: the stage does not run");
	fgt_set_profile(&t, FG_PROFILE_MONITOR);
	run(&p, &r, &rule);
	fgt_ok(r.retval == XDP_PASS && r.hits == 1u << FG_R_RULE && rule == 1,
	       "monitor profile: rule drops are counts");
	want[1].packets++;
	want[1].octets += octets_of(&p);
	fgt_set_profile(&t, FG_PROFILE_STRICT);
	run(&p, &r, &rule);
	fgt_ok(r.retval == XDP_DROP && r.reason == FG_R_RULE,
	       "strict profile: rule drops");
	want[1].packets++;
	want[1].octets += octets_of(&p);
	want_rule_drops++;
	fgt_set_config(&t, &(struct fg_config){0});
	fgt_stats(&t, FGT_STATS_IN, &s1);
	fgt_ok(s1.matched[FG_R_RULE] - s0.matched[FG_R_RULE] == 3 &&
		       s1.drop_packets[FG_R_RULE] -
				       s0.drop_packets[FG_R_RULE] ==
			       1,
	       "check actions: 3 matched, 1 dropped");
	check_hits("after the check actions");
}

/* The old half's index maps are gone, and only the active half's
 * definitions are left. */
static void check_halves(const char *when)
{
	__u32 half = gen & 1, id, dk, slot, bad = 0, n = 0, k;
	int outer[] = {fds.idx4, fds.mb6, fds.tl6};
	int fam, field, fd, err;

	for (fam = 0; fam < 3; fam++) {
		for (field = 0; field < 2; field++) {
			slot = fg_rule_slot(!half, field);
			if (!bpf_map_lookup_elem(outer[fam], &slot, &id))
				bad++; /* an old index map left */
			slot = fg_rule_slot(half, field);
			if (bpf_map_lookup_elem(outer[fam], &slot, &id))
				continue;
			fd = bpf_map_get_fd_by_id(id);
			for (err = bpf_map_get_next_key(fd, NULL, &k); !err;
			     err = bpf_map_get_next_key(fd, &k, &k))
				n++;
			close(fd);
		}
	}
	for (err = bpf_map_get_next_key(fds.defs, NULL, &dk); !err;
	     err = bpf_map_get_next_key(fds.defs, &dk, &dk))
		bad += dk >> 31 != half;
	fgt_ok(!bad, "%s: only the active half is left (%u index entries)",
	       when, n);
}

static void test_switch(void)
{
	struct fgt_result r;
	struct fg_rule_hit h;
	struct pkt p;
	__u32 rule, g0 = gen;
	const struct tcase arp = {.name = "arp",
				  .build = b_arp,
				  .src = "192.0.2.1",
				  .dst = "192.0.2.2"};

	if (!fgt_ok(!load("src 192.0.2.0/24 action pass\n"
			  "proto arp dev lo action drop\n"),
		    "switch to set 2"))
		return;
	fgt_ok(gen == g0 + 1, "generation %u -> %u", g0, gen);
	fgt_ok(cur.r[0].id == 1 || cur.r[1].id == 1,
	       "src 192.0.2.0/24 keeps ID 1 (same match)");
	matrix[0].build(&p, &matrix[0]);
	pkt_finish(&p);
	run(&p, &r, &rule);
	fgt_ok(r.retval == XDP_PASS && rule == 1,
	       "set 2: 192.0.2.1 passes by rule 1");
	fg_rule_hits_read(&fds, 1, &h);
	fgt_ok(h.packets == want[1].packets + 1,
	       "rule 1's counters go on across the switch (%llu)",
	       (unsigned long long)h.packets);
	arp.build(&p, &arp);
	pkt_finish(&p);
	run(&p, &r, &rule);
	fgt_ok(r.retval == XDP_DROP && r.reason == FG_R_RULE && rule == 18,
	       "set 2: ARP dropped by the rule naming it (rule %u)", rule);
	fg_rule_hits_read(&fds, 18, &h);
	fgt_ok(h.packets == 1 && h.octets == p.len,
	       "new rule 18 counts from zero, frame bytes for ARP");
	check_halves("set 2");
	fgt_ok(!load(""), "switch to the empty set");
	run(&p, &r, &rule);
	fgt_ok(r.retval == XDP_PASS && rule == 0, "empty set: ARP passes");
	check_halves("empty set");
}

/* 100,000 IPv6 /64s and IPv4 /32s: loaded, and each still decides. */
static void test_capacity(void)
{
	size_t cap = 8u << 20, len = 0, i;
	char *text = malloc(cap);
	struct timespec t0, t1;
	struct fgt_result r;
	struct pkt p;
	char src[64];
	__u32 rule, bad = 0;
	const size_t n = 100000;
	int err;

	if (!text)
		return;
	for (i = 0; i < n; i++)
		len += snprintf(text + len, cap - len,
				"src 2001:db8:%zx:%zx::/64 action %s\n",
				i >> 16, i & 0xffff, i % 2 ? "drop" : "pass");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = load(text);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(text);
	if (!fgt_ok(!err, "100,000 prefixes loaded"))
		return;
	fgt_diag("100,000 rules published in %.0f ms",
		 (t1.tv_sec - t0.tv_sec) * 1e3 +
			 (t1.tv_nsec - t0.tv_nsec) / 1e6);
	for (i = 1; i < n; i += 9973) {
		snprintf(src, sizeof(src), "2001:db8:%zx:%zx::1", i >> 16,
			 i & 0xffff);
		pkt_init(&p);
		pkt_eth(&p);
		pkt_ip6(&p, src, "2001:db8::2");
		pkt_udp(&p, 1000, 9);
		pkt_finish(&p);
		run(&p, &r, &rule);
		if (r.retval != (i % 2 ? XDP_DROP : XDP_PASS) || !rule ||
		    fg_ruleset_find(&cur, rule) == NULL ||
		    memcmp(fg_ruleset_find(&cur, rule)->src, p.b + 14 + 8, 8))
			bad++;
	}
	fgt_ok(!bad, "100,000 prefixes: each sampled source is decided by "
		     "its /64");
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ip6(&p, "2001:db8:ffff::1", "2001:db8::2");
	pkt_udp(&p, 1000, 9);
	pkt_finish(&p);
	run(&p, &r, &rule);
	fgt_ok(r.retval == XDP_PASS && rule == 0,
	       "100,000 prefixes: an address outside them passes");
	fgt_ok(!load(""), "back to the empty set");
	check_halves("after 100,000");
}

/* fg_tc_in runs the same stage (its own private maps here). */
static void test_tc(void)
{
	struct flowgate_tc *tc = flowgate_tc__open();
	struct fg_ft_info info;
	struct fg_rule_fds tf;
	struct fg_ruleset saved = cur;
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	struct bpf_map *m;
	struct pkt p;
	int fd, err;

	if (!tc)
		return (void)fgt_ok(false, "tc: open");
	bpf_object__for_each_map(m, tc->obj) bpf_map__set_pin_path(m, NULL);
	tc->rodata->fg_record_last = 1;
	if (fgt_ft_info(&info, 0) || FGT_FT_SET(tc, &info) ||
	    flowgate_tc__load(tc) || fg_rule_fds_from_obj(tc->obj, &tf)) {
		fgt_ok(false, "tc: load");
		flowgate_tc__destroy(tc);
		return;
	}
	memset(&cur, 0, sizeof(cur));
	fgt_ok(!load_on(&tf, "src 192.0.2.0/24 proto udp action drop\n"),
	       "tc: rules loaded");
	fd = bpf_program__fd(tc->progs.fg_tc_in);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ip4(&p, "192.0.2.1", D);
	pkt_udp(&p, 1000, 9);
	pkt_finish(&p);
	opts.data_in = p.b;
	opts.data_size_in = p.len;
	opts.repeat = 1;
	err = bpf_prog_test_run_opts(fd, &opts);
	fgt_ok(!err && opts.retval == TC_ACT_SHOT &&
		       tc->bss->fg_last_reason == FG_R_RULE &&
		       tc->bss->fg_last_rule == 1,
	       "tc ingress: udp from 192.0.2.1 shot by rule 1 (%u)",
	       opts.retval);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ip4(&p, "192.0.2.1", D);
	pkt_tcp(&p, 1000, 9, PKT_ACK);
	pkt_finish(&p);
	opts.data_size_out = 0; /* the first run set it */
	opts.data_in = p.b;
	opts.data_size_in = p.len;
	err = bpf_prog_test_run_opts(fd, &opts);
	fgt_ok(!err && opts.retval == TC_ACT_OK,
	       "tc ingress: tcp from 192.0.2.1 passes (%u)", opts.retval);
	fg_ruleset_free(&cur);
	cur = saved;
	fg_rule_fds_close(&tf);
	flowgate_tc__destroy(tc);
}

int main(void)
{
	size_t i;

	if (fgt_open(&t) || fg_rule_fds_from_obj(t.skel->obj, &fds)) {
		printf("Bail out! cannot load the skeleton\n");
		return 1;
	}
	if (!fgt_ok(!load(set1), "set 1: 17 rules loaded"))
		return fgt_done();
	for (i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++)
		run_case(&matrix[i]);
	check_hits("matrix");
	check_ifstats("matrix", want_rule_drops);
	check_flow();
	check_halves("set 1");
	test_staged();
	test_check_actions();
	test_switch();
	test_capacity();
	test_tc();
	fg_ruleset_free(&cur);
	fg_rule_fds_close(&fds);
	fgt_close(&t);
	return fgt_done();
}
