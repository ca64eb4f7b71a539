// SPDX-License-Identifier: GPL-2.0
/*
 * Host build of the parser/validator (include/fg_parse.h) against the shared
 * table of crafted cases (tests/lib/cases.c), then actions and profiles and
 * the fields later stages read. One TAP line per case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "fg.h"
#include "fg_parse.h"
#include "fg_flow.h"
#include "cases.h"

/* ctl/ objects are linked in and refer to the CLI's options (weak: should
 * ctl/ ever define them outside main.c, its definition wins). */
__attribute__((weak)) struct fg_opts fg_opts;

static void parse(const struct pkt *k, const struct fg_config *cfg,
		  struct fg_pkt *p)
{
	fg_parse(k->b, k->b + k->len, cfg, p);
}

static void parse_case(const struct fgc_case *c, const struct fg_config *cfg,
		       struct fg_pkt *p)
{
	struct pkt k;

	fgc_build(c, &k);
	parse(&k, cfg, p);
}

static const struct fgc_case *find_case(const char *name)
{
	unsigned int i;

	for (i = 0; i < fgc_ncases; i++)
		if (!strcmp(fgc_cases[i].name, name))
			return &fgc_cases[i];
	fail_msg("no case named %s", name);
	return NULL;
}

static void config_profile(struct fg_config *cfg, __u32 profile)
{
	int r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->profile = profile;
	for (r = 1; r < FG_R_MAX; r++)
		cfg->act[r] = fg_profile_action(profile, r);
}

/* ---- the shared table under the default profile ------------------------ */

static void test_case(void **state)
{
	const struct fgc_case *c = *state;
	struct fg_config cfg = {0};
	struct fg_pkt p;
	struct pkt k;

	fgc_build(c, &k);
	parse(&k, &cfg, &p);
	if (p.reason != c->reason || p.hits != c->hits) {
		pkt_dump(&k);
		fail_msg("%s: reason %u hits %#x, want reason %u hits %#x",
			 c->name, p.reason, p.hits, c->reason, c->hits);
	}
}

/* Every check has a malformed case, and every malformed case a twin. */
static void test_coverage(void **state)
{
	__u32 seen = 0;
	unsigned int i;
	int r;

	for (i = 0; i < fgc_ncases; i++) {
		const struct fgc_case *c = &fgc_cases[i];

		if (c->bad)
			seen |= c->hits;
		if (!c->bad || !strncmp(c->name, "combo/", 6))
			continue;
		assert_true(i + 1 < fgc_ncases);
		assert_ptr_equal(fgc_cases[i + 1].build, c->build);
		assert_int_equal(fgc_cases[i + 1].kind, c->kind);
		assert_int_equal(fgc_cases[i + 1].bad, 0);
	}
	for (r = 1; r < FG_R_MAX; r++)
		/* rule is the rule stage's reason, not a parser check */
		if (r != FG_R_RULE && !(seen & (1u << r)))
			fail_msg("no malformed case for reason %d (%s)", r,
				 fg_reason_name(r));
}

/* ---- actions ------------------------------------------------------------ */

/* For each malformed case, its reason set to off, count and drop. */
static void test_actions(void **state)
{
	struct fg_config cfg;
	struct fg_pkt p;
	unsigned int i;

	for (i = 0; i < fgc_ncases; i++) {
		const struct fgc_case *c = &fgc_cases[i];
		__u32 r = c->reason, bit = 1u << r;

		if (!r)
			continue;
		memset(&cfg, 0, sizeof(cfg));
		cfg.act[r] = FG_ACT_OFF;
		parse_case(c, &cfg, &p);
		if (p.reason == r || (p.hits & bit))
			fail_msg("%s: off still fires", c->name);
		cfg.act[r] = FG_ACT_COUNT;
		parse_case(c, &cfg, &p);
		if (p.reason == r || !(p.hits & bit))
			fail_msg("%s: count: reason %u hits %#x", c->name,
				 p.reason, p.hits);
		cfg.act[r] = FG_ACT_DROP;
		parse_case(c, &cfg, &p);
		assert_int_equal(p.reason, r);
		assert_int_equal(p.hits, c->hits);
	}
}

/* A count-by-default check: off, count (the default) and drop. */
static void test_actions_ttl(void **state)
{
	const struct fgc_case *c = find_case("ttl-zero/ip4");
	struct fg_config cfg = {0};
	struct fg_pkt p;

	parse_case(c, &cfg, &p);
	assert_int_equal(p.reason, FG_R_NONE);
	assert_int_equal(p.hits, 1u << FG_R_TTL_ZERO);
	cfg.act[FG_R_TTL_ZERO] = FG_ACT_OFF;
	parse_case(c, &cfg, &p);
	assert_int_equal(p.reason, FG_R_NONE);
	assert_int_equal(p.hits, 0);
	cfg.act[FG_R_TTL_ZERO] = FG_ACT_COUNT;
	parse_case(c, &cfg, &p);
	assert_int_equal(p.reason, FG_R_NONE);
	assert_int_equal(p.hits, 1u << FG_R_TTL_ZERO);
	cfg.act[FG_R_TTL_ZERO] = FG_ACT_DROP;
	parse_case(c, &cfg, &p);
	assert_int_equal(p.reason, FG_R_TTL_ZERO);
	assert_int_equal(p.hits, 1u << FG_R_TTL_ZERO);
}

/* Turning one check off lets the parse go on to the next one. */
static void test_off_reaches_next_check(void **state)
{
	const struct fgc_case *c = find_case("combo/ttl0-from-127.0.0.1");
	struct fg_config cfg = {0};
	struct fg_pkt p;

	cfg.act[FG_R_MARTIAN_SRC] = FG_ACT_OFF;
	cfg.act[FG_R_TTL_ZERO] = FG_ACT_DROP;
	parse_case(c, &cfg, &p);
	assert_int_equal(p.reason, FG_R_TTL_ZERO);
	assert_int_equal(p.hits, 1u << FG_R_TTL_ZERO);
	cfg.act[FG_R_TTL_ZERO] = FG_ACT_OFF;
	parse_case(c, &cfg, &p);
	assert_int_equal(p.reason, FG_R_NONE);
	assert_int_equal(p.hits, 0);
}

/* Monitor: everything counted, nothing dropped, and at least what the
 * default profile saw is seen. */
static void test_monitor(void **state)
{
	struct fg_config cfg;
	struct fg_pkt p;
	unsigned int i;

	config_profile(&cfg, FG_PROFILE_MONITOR);
	for (i = 0; i < fgc_ncases; i++) {
		const struct fgc_case *c = &fgc_cases[i];

		parse_case(c, &cfg, &p);
		if (p.reason || (p.hits & c->hits) != c->hits)
			fail_msg("%s: monitor: reason %u hits %#x", c->name,
				 p.reason, p.hits);
	}
}

/* Strict drops what the default counts; it drops a packet exactly when the
 * default profile saw any check fire, for one of those checks. */
static void test_strict(void **state)
{
	struct fg_config cfg;
	struct fg_pkt p;
	unsigned int i;

	config_profile(&cfg, FG_PROFILE_STRICT);
	for (i = 0; i < fgc_ncases; i++) {
		const struct fgc_case *c = &fgc_cases[i];

		parse_case(c, &cfg, &p);
		if (!c->hits != !p.reason ||
		    (p.reason && !(c->hits & (1u << p.reason))))
			fail_msg("%s: strict: reason %u", c->name, p.reason);
	}
	parse_case(find_case("ttl-zero/ip4"), &cfg, &p);
	assert_int_equal(p.reason, FG_R_TTL_ZERO);
	parse_case(find_case("ttl-zero/ip6"), &cfg, &p);
	assert_int_equal(p.reason, FG_R_TTL_ZERO);
	parse_case(find_case("ip6-rh0/type-0"), &cfg, &p);
	assert_int_equal(p.reason, FG_R_IP6_RH0);
	parse_case(find_case("combo/ttl0-then-syn-fin"), &cfg, &p);
	assert_int_equal(p.reason, FG_R_TTL_ZERO);
	assert_int_equal(p.hits, 1u << FG_R_TTL_ZERO);
}

static void test_profile_table(void **state)
{
	struct fg_config cfg = {0};
	int r;

	for (r = 1; r < FG_R_MAX; r++) {
		int counted = r == FG_R_TTL_ZERO || r == FG_R_IP6_RH0 ||
			      r == FG_R_BOGON_SRC;

		assert_int_equal(fg_profile_action(FG_PROFILE_DEFAULT, r),
				 counted ? FG_ACT_COUNT : FG_ACT_DROP);
		assert_int_equal(fg_profile_action(FG_PROFILE_STRICT, r),
				 FG_ACT_DROP);
		assert_int_equal(fg_profile_action(FG_PROFILE_MONITOR, r),
				 FG_ACT_COUNT);
		/* A zeroed config is the default profile... */
		assert_int_equal(fg_action(&cfg, r),
				 fg_profile_action(FG_PROFILE_DEFAULT, r));
	}
	/* ... and an explicit action wins over it. */
	cfg.act[FG_R_LAND] = FG_ACT_COUNT;
	assert_int_equal(fg_action(&cfg, FG_R_LAND), FG_ACT_COUNT);
	cfg.act[FG_R_TTL_ZERO] = FG_ACT_DROP;
	assert_int_equal(fg_action(&cfg, FG_R_TTL_ZERO), FG_ACT_DROP);
	/* No check behind FG_R_NONE or past the last code. */
	assert_int_equal(fg_profile_action(FG_PROFILE_DEFAULT, FG_R_NONE),
			 FG_ACT_OFF);
	assert_int_equal(fg_profile_action(FG_PROFILE_STRICT, FG_R_MAX),
			 FG_ACT_OFF);
	assert_int_equal(FG_R_MAX, 29);
}

/* ---- parsed fields ------------------------------------------------------ */

static void parse_named(const char *name, struct fg_pkt *p)
{
	struct fg_config cfg = {0};

	parse_case(find_case(name), &cfg, p);
	assert_int_equal(p->reason, FG_R_NONE);
}

static void assert_addr(const __u8 *got, int family, const char *want)
{
	__u8 a[16] = {0};

	if (family == AF_INET) {
		a[10] = a[11] = 0xff;
		pkt_addr(AF_INET, want, a + 12);
	} else {
		pkt_addr(AF_INET6, want, a);
	}
	assert_memory_equal(got, a, 16);
}

static void test_fields_ip4(void **state)
{
	struct fg_pkt p;

	parse_named("tcp-flags/syn-fin [twin]", &p);
	assert_int_equal(p.l3_proto, ETH_P_IP);
	assert_int_equal(p.ip_ver, 4);
	assert_int_equal(p.proto, IPPROTO_TCP);
	assert_int_equal(p.ttl, 64);
	assert_int_equal(p.l4_ok, 1);
	assert_int_equal(ntohs(p.sport), 40000);
	assert_int_equal(ntohs(p.dport), 80);
	assert_int_equal(p.tcp_flags, PKT_SYN);
	assert_int_equal(p.frag, FG_FRAG_NONE);
	assert_int_equal(p.l3_off, 14);
	assert_int_equal(p.l4_off, 34);
	assert_int_equal(p.l3_end, 54);
	assert_int_equal(p.ip_len, 40);
	assert_addr(p.src, AF_INET, FGC_S4);
	assert_addr(p.dst, AF_INET, FGC_D4);

	/* Options move L4; padding after the IP packet is not counted. */
	parse_named("pass/ip4-opt-40-nops", &p);
	assert_int_equal(p.l4_off, 14 + 60);
	assert_int_equal(ntohs(p.dport), 53);
	parse_named("pass/ip4-dont-fragment", &p);
	assert_int_equal(p.frag, FG_FRAG_NONE);
	assert_int_equal(p.l4_ok, 1);
	assert_int_equal(p.tcp_flags, PKT_ACK | PKT_PSH);
	parse_named("pass/ip4-ethernet-padding", &p);
	assert_int_equal(p.ip_len, 20 + 8 + 2);
	assert_int_equal(p.l3_end, 14 + 30);
	/* DHCP's 0.0.0.0 maps to ::ffff:0.0.0.0. */
	parse_named("pass/dhcp-discover", &p);
	assert_addr(p.src, AF_INET, "0.0.0.0");
	assert_addr(p.dst, AF_INET, "255.255.255.255");
	assert_int_equal(ntohs(p.sport), 68);
	assert_int_equal(ntohs(p.dport), 67);
}

static void test_fields_icmp(void **state)
{
	struct fg_pkt p;

	/* ICMP type and code in dport, as IPFIX puts them; sport 0. */
	parse_named("pass/icmp-port-unreachable", &p);
	assert_int_equal(p.proto, IPPROTO_ICMP);
	assert_int_equal(p.l4_ok, 1);
	assert_int_equal(ntohs(p.dport), 3 << 8 | 3);
	assert_int_equal(p.sport, 0);
	/* The outer header's addresses, not the quoted one's. */
	assert_addr(p.src, AF_INET, FGC_D4);
	parse_named("pass/icmp6-packet-too-big", &p);
	assert_int_equal(p.proto, IPPROTO_ICMPV6);
	assert_int_equal(ntohs(p.dport), 2 << 8);
	parse_named("pass/nd-ns-dad-from-any", &p);
	assert_int_equal(ntohs(p.dport), 135 << 8);
	assert_int_equal(p.ttl, 255);
	assert_addr(p.src, AF_INET6, "::");
	parse_named("pass/mldv2-report-hbh-router-alert", &p);
	assert_int_equal(p.proto, IPPROTO_ICMPV6);
	assert_int_equal(p.ext_count, 1);
	assert_int_equal(ntohs(p.dport), 143 << 8);
}

static void test_fields_vlan(void **state)
{
	struct fg_pkt p;

	parse_named("pass/vlan-802.1q", &p);
	assert_int_equal(p.vlan_depth, 1);
	assert_int_equal(p.vlan_outer, 100);
	assert_int_equal(p.vlan_inner, 0);
	assert_int_equal(p.l3_proto, ETH_P_IP);
	assert_int_equal(p.l3_off, 18);
	assert_int_equal(p.l4_off, 38);
	parse_named("pass/vlan-qinq", &p);
	assert_int_equal(p.vlan_depth, 2);
	assert_int_equal(p.vlan_outer, 200);
	assert_int_equal(p.vlan_inner, 100);
	assert_int_equal(p.l3_off, 22);
	assert_int_equal(p.l4_ok, 1);
	assert_int_equal(ntohs(p.dport), 53);
	/* A third tag is not parsed: to the parser the frame is not IP. */
	parse_named("pass/three-vlan-tags", &p);
	assert_int_equal(p.vlan_depth, 2);
	assert_int_equal(p.l3_proto, PKT_ETH_VLAN);
	assert_int_equal(p.ip_ver, 0);
	/* PCP and DEI are not part of the VID. */
	parse_named("pass/vlan-priority-tagged", &p);
	assert_int_equal(p.vlan_depth, 1);
	assert_int_equal(p.vlan_outer, 0);
	assert_int_equal(p.l3_proto, ETH_P_IP);
	parse_named("pass/lldp", &p);
	assert_int_equal(p.l3_proto, PKT_ETH_LLDP);
	assert_int_equal(p.vlan_depth, 0);
}

static void test_fields_frag(void **state)
{
	struct fg_pkt p;

	/* A later fragment: no L4 read, whatever the payload looks like. */
	parse_named("pass/ip4-later-frag-syn-fin-payload", &p);
	assert_int_equal(p.frag, FG_FRAG_LATER);
	assert_int_equal(p.l4_ok, 0);
	assert_int_equal(p.tcp_flags, 0);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.proto, IPPROTO_TCP);
	parse_named("pass/ip6-later-frag-syn-fin-payload", &p);
	assert_int_equal(p.frag, FG_FRAG_LATER);
	assert_int_equal(p.l4_ok, 0);
	assert_int_equal(p.proto, IPPROTO_TCP);
	assert_int_equal(p.ext_count, 1);
	/* First fragments are L4-parsed. */
	parse_named("tiny-frag/tcp-8-bytes [twin]", &p);
	assert_int_equal(p.frag, FG_FRAG_FIRST);
	assert_int_equal(p.l4_ok, 1);
	assert_int_equal(p.tcp_flags, PKT_ACK);
	parse_named("pass/ip6-first-frag-udp", &p);
	assert_int_equal(p.frag, FG_FRAG_FIRST);
	assert_int_equal(p.proto, IPPROTO_UDP);
	assert_int_equal(p.l4_ok, 1);
	/* An atomic fragment is no fragment (RFC 6946). */
	parse_named("pass/ip6-atomic-fragment", &p);
	assert_int_equal(p.frag, FG_FRAG_NONE);
	assert_int_equal(p.ext_count, 1);
	assert_int_equal(p.proto, IPPROTO_UDP);
	assert_int_equal(p.l4_off, 14 + 40 + 8);
	assert_int_equal(ntohs(p.sport), 40000);
}

static void test_fields_ip6(void **state)
{
	struct fg_pkt p;

	parse_named("pass/ip6-six-header-chain", &p);
	assert_int_equal(p.ip_ver, 6);
	assert_int_equal(p.ext_count, 6);
	assert_int_equal(p.proto, IPPROTO_TCP);
	assert_int_equal(p.l4_off, 14 + 40 + 8 + 8 + 24 + 8 + 24 + 8);
	assert_int_equal(ntohs(p.dport), 80);
	assert_addr(p.src, AF_INET6, FGC_S6);
	assert_addr(p.dst, AF_INET6, FGC_D6);
	parse_named("pass/ip6-no-next-header", &p);
	assert_int_equal(p.proto, 59);
	assert_int_equal(p.l4_ok, 0);
	parse_named("pass/ip6-ethernet-padding", &p);
	assert_int_equal(p.ip_len, 40 + 8 + 2);
	parse_named("pass/esp6", &p);
	assert_int_equal(p.proto, IPPROTO_ESP);
	assert_int_equal(p.l4_ok, 0);
	parse_named("pass/sctp6-init", &p);
	assert_int_equal(p.proto, IPPROTO_SCTP);
	assert_int_equal(ntohs(p.sport), 5000);
	assert_int_equal(ntohs(p.dport), 5001);
}

/* A jumbogram (RFC 2675) of 70000 bytes of payload: UDP length 0, the
 * length in a Jumbo Payload option. Whole (fg_parse), as a capture cut
 * after 200 bytes (fg_parse_wire), and one byte short of what the option
 * says. */
static void test_jumbogram(void **state)
{
	const __u32 n = 70000, frame = 14 + 40 + n;
	struct fg_config cfg = {0};
	struct fg_pkt p;
	struct pkt k;
	__u8 *b;

	pkt_jumbo_udp(&k, FGC_S6, FGC_D6, n, 64);
	b = calloc(1, frame + 1);
	assert_non_null(b);
	memcpy(b, k.b, k.len);

	fg_parse(b, b + frame, &cfg, &p);
	assert_int_equal(p.reason, FG_R_NONE);
	assert_int_equal(p.hits, 0);
	assert_int_equal(p.jumbo, 1);
	assert_int_equal(p.ip_len, 40 + n);
	assert_int_equal(p.l3_end, frame);
	assert_int_equal(p.l4_ok, 1);
	assert_int_equal(ntohs(p.dport), 53);
	/* Ethernet padding after it is not part of it. */
	fg_parse(b, b + frame + 1, &cfg, &p);
	assert_int_equal(p.reason, FG_R_NONE);
	assert_int_equal(p.l3_end, frame);
	fg_parse_wire(b, b + 200, frame, &cfg, &p);
	assert_int_equal(p.reason, FG_R_NONE);
	assert_int_equal(p.ip_len, 40 + n);
	fg_parse(b, b + frame - 1, &cfg, &p);
	assert_int_equal(p.reason, FG_R_IP6_JUMBO);
	fg_parse_wire(b, b + 200, frame - 1, &cfg, &p);
	assert_int_equal(p.reason, FG_R_IP6_JUMBO);
	free(b);
}

/* Every prefix of every case: whatever the cut, the parser neither reads
 * past the end (run under ASan/valgrind to see it) nor passes a frame cut
 * inside its IP header. */
static void test_prefixes(void **state)
{
	struct fg_config cfg = {0};
	struct fg_pkt p, full;
	unsigned int i, n;
	struct pkt k;
	int ip;

	for (i = 0; i < fgc_ncases; i++) {
		fgc_build(&fgc_cases[i], &k);
		parse(&k, &cfg, &full);
		ip = full.ip_ver && !full.reason && !full.jumbo;
		for (n = 0; n <= k.len; n++) {
			/* Exactly n bytes on the heap: ASan sees overreads. */
			__u8 *copy = malloc(n ? n : 1);

			assert_non_null(copy);
			memcpy(copy, k.b, n);
			fg_parse(copy, copy + n, &cfg, &p);
			free(copy);
			if (n < 14)
				assert_int_equal(p.reason, FG_R_ETH_TRUNC);
			if (ip && n >= full.l3_off && n < full.l3_end &&
			    !p.reason)
				fail_msg("%s cut at %u passes",
					 fgc_cases[i].name, n);
		}
	}
}

/* fg_guard_count() of one packet with hits h: matched[r] moved for every
 * check r in h and nothing else (the one-check shortcut and the walk of
 * several agree with the definition), and one verdict counted. */
static void guard_count_one(__u32 h, __u32 reason)
{
	struct fg_ifstats s;
	__u32 r;

	memset(&s, 0, sizeof(s));
	fg_guard_count(&s, reason, h, 100);
	for (r = 0; r < 32; r++)
		if (s.matched[r] != (r >= 1 && r < FG_R_MAX && (h >> r & 1)))
			fail_msg("hits %#x: matched[%u] = %llu", h, r,
				 (unsigned long long)s.matched[r]);
	assert_int_equal(s.rx_packets, 1);
	assert_int_equal(s.pass_packets, !reason);
	assert_int_equal(s.drop_packets[reason], !!reason);
	assert_int_equal(s.drop_bytes[reason], reason ? 100 : 0);
}

static void test_guard_matched(void **state)
{
	__u32 a, b;

	(void)state;
	guard_count_one(0, 0);
	guard_count_one(FG_HITS_MASK, FG_R_MAX - 1);
	guard_count_one(0xffffffffu, FG_R_MAX - 1);
	for (a = 0; a < 32; a++) {
		assert_int_equal(fg_bit_index(1u << a), a);
		/* a drop for its reason alone, a check counted on a pass */
		guard_count_one(1u << a, a < FG_R_MAX ? a : 0);
		guard_count_one(1u << a, 0);
		for (b = a + 1; b < 32; b++)
			guard_count_one(1u << a | 1u << b,
					b < FG_R_MAX ? b : 0);
	}
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_coverage),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_actions_ttl),
		cmocka_unit_test(test_off_reaches_next_check),
		cmocka_unit_test(test_monitor),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_profile_table),
		cmocka_unit_test(test_fields_ip4),
		cmocka_unit_test(test_fields_icmp),
		cmocka_unit_test(test_fields_vlan),
		cmocka_unit_test(test_fields_frag),
		cmocka_unit_test(test_fields_ip6),
		cmocka_unit_test(test_jumbogram),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_guard_matched),
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest *t = calloc(fgc_ncases + nfixed, sizeof(*t));
	unsigned int i;
	int rc;

	if (!t)
		return 1;
	for (i = 0; i < fgc_ncases; i++) {
		t[i].name = fgc_cases[i].name;
		t[i].test_func = test_case;
		t[i].initial_state = (void *)&fgc_cases[i];
	}
	memcpy(t + fgc_ncases, fixed, sizeof(fixed));
	rc = _cmocka_run_group_tests("parse", t, fgc_ncases + nfixed, NULL,
				     NULL);
	free(t);
	return rc;
}
