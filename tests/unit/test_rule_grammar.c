// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the rule grammar (ctl/rules/rule_parse.c), rule sets and their
 * compilation (ctl/rules/rule_set.c) and the daemon's config file
 * (ctl/daemon/cfgfile.c): the obvious and the nasty inputs, with the exact
 * message each bad one gets.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <cmocka.h>
#include "fg.h"
#include "rules.h"
#include "cfgfile.h"

struct fg_opts fg_opts;

/* Parse one rule from a line; returns the error code, e gets the text. */
static int parse(const char *text, struct fg_rule_def *d, struct fg_perr *e)
{
	char buf[FG_LINE_MAX], *argv[FG_RULE_TOKENS];
	int argc;

	snprintf(buf, sizeof(buf), "%s", text);
	memset(e, 0, sizeof(*e));
	argc = fg_rule_tokenize(buf, argv, FG_RULE_TOKENS, e);
	if (argc < 0)
		return argc;
	return fg_rule_parse(argc, argv, d, e);
}

static void expect_err(const char *text, const char *msg)
{
	struct fg_rule_def d;
	struct fg_perr e;

	if (parse(text, &d, &e) != -EINVAL)
		fail_msg("'%s' was accepted", text);
	if (strcmp(e.msg, msg))
		fail_msg("'%s': got '%s', want '%s'", text, e.msg, msg);
}

static void addr4(const char *s, __u8 *out)
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, s, out + 12), 1);
}

static void test_full_rule(void **state)
{
	struct fg_rule_def d;
	struct fg_perr e;
	__u8 a[16];

	assert_int_equal(parse("src 192.0.2.0/24 dst 198.51.100.7 proto tcp "
			       "sport 1024-65535 dport 443 dev eth0 prio 7 "
			       "action drop comment \"web \\\"attack\\\"\"",
			       &d, &e),
			 0);
	assert_int_equal(d.flags, FG_RF_SRC | FG_RF_DST | FG_RF_PROTO |
					  FG_RF_SPORT | FG_RF_DPORT |
					  FG_RF_DEV);
	assert_int_equal(d.family, 4);
	addr4("192.0.2.0", a);
	assert_memory_equal(d.src, a, 16);
	assert_int_equal(d.src_len, 24);
	addr4("198.51.100.7", a);
	assert_memory_equal(d.dst, a, 16);
	assert_int_equal(d.dst_len, 32);
	assert_int_equal(d.proto, 6);
	assert_int_equal(d.sport_lo, 1024);
	assert_int_equal(d.sport_hi, 65535);
	assert_int_equal(d.dport_lo, 443);
	assert_int_equal(d.dport_hi, 443);
	assert_string_equal(d.dev, "eth0");
	assert_int_equal(d.prio, 7);
	assert_int_equal(d.action, FG_RULE_DROP);
	assert_string_equal(d.comment, "web \"attack\"");
	assert_int_equal(d.id, 0);
}

static void test_defaults_and_v6(void **state)
{
	struct fg_rule_def d;
	struct fg_perr e;
	__u8 a[16] = {};

	assert_int_equal(parse("action count", &d, &e), 0);
	assert_int_equal(d.flags, 0);
	assert_int_equal(d.prio, FG_RULE_PRIO_DEFAULT);
	assert_int_equal(d.family, 0);
	assert_int_equal(parse("dst ::/0 action pass", &d, &e), 0);
	assert_int_equal(d.family, 6);
	assert_int_equal(d.dst_len, 0);
	assert_memory_equal(d.dst, a, 16);
	assert_int_equal(
		parse("src 2001:db8::/32 proto icmpv6 action drop", &d, &e), 0);
	assert_int_equal(d.src_len, 32);
	assert_int_equal(d.proto, 58);
	assert_int_equal(parse("src 0.0.0.0/0 action drop", &d, &e), 0);
	assert_int_equal(d.family, 4);
	assert_int_equal(parse("proto 132 dport 9 action drop", &d, &e), 0);
	assert_int_equal(d.proto, 132);
	assert_int_equal(parse("proto arp dev lo action drop", &d, &e), 0);
	assert_int_equal(d.flags, FG_RF_ARP | FG_RF_DEV);
	assert_int_equal(parse("id 131072 prio 0 action drop", &d, &e), 0);
	assert_int_equal(d.id, FG_RULE_MAX);
	assert_int_equal(d.prio, 0);
	/* a port range of one port is that port */
	assert_int_equal(parse("dport 80-80 action drop", &d, &e), 0);
	assert_int_equal(d.dport_lo, 80);
	assert_int_equal(d.dport_hi, 80);
}

static void test_bad_prefixes(void **state)
{
	expect_err("src 10.0.0.0/33 action drop",
		   "bad prefix length in '10.0.0.0/33' (0-32 for IPv4)");
	expect_err("src 1.2.3 action drop",
		   "bad address '1.2.3' (IPv4 a.b.c.d or IPv6)");
	expect_err("dst ::/129 action drop",
		   "bad prefix length in '::/129' (0-128 for IPv6)");
	expect_err("src fe80::1%eth0 action drop",
		   "'fe80::1%eth0': a zone index (%...) has no place in a "
		   "prefix");
	expect_err("src fe80::/10%eth0 action drop",
		   "'fe80::/10%eth0': a zone index (%...) has no place in a "
		   "prefix");
	expect_err("src 10.0.0.1/8 action drop",
		   "host bits set in '10.0.0.1/8' (the prefix is 10.0.0.0/8)");
	expect_err("dst 2001:db8::1/32 action drop",
		   "host bits set in '2001:db8::1/32' (the prefix is "
		   "2001:db8::/32)");
	expect_err("src 10.0.0.0/ action drop",
		   "bad prefix length in '10.0.0.0/' (0-32 for IPv4)");
	expect_err("src 10.0.0.0/-1 action drop",
		   "bad prefix length in '10.0.0.0/-1' (0-32 for IPv4)");
	expect_err("src 10.0.0.0/+8 action drop",
		   "bad prefix length in '10.0.0.0/+8' (0-32 for IPv4)");
	expect_err("src /8 action drop", "bad address in '/8'");
	expect_err("src 256.0.0.0/8 action drop",
		   "bad address '256.0.0.0' (IPv4 a.b.c.d or IPv6)");
	expect_err("src 010.0.0.0/8 action drop",
		   "bad address '010.0.0.0' (IPv4 a.b.c.d or IPv6)");
	expect_err("src example.com action drop",
		   "bad address 'example.com' (IPv4 a.b.c.d or IPv6)");
	expect_err("src 10.0.0.0/8 dst 2001:db8::/32 action drop",
		   "src and dst are of different address families");
}

static void test_bad_ports_protos(void **state)
{
	expect_err("dport 70000 action drop",
		   "bad dport '70000' (a port 0-65535 or a range P-Q)");
	expect_err("sport 100-50 action drop",
		   "sport range '100-50' is reversed (write 50-100)");
	expect_err("dport 80- action drop",
		   "bad dport '80-' (a port 0-65535 or a range P-Q)");
	expect_err("dport -80 action drop",
		   "bad dport '-80' (a port 0-65535 or a range P-Q)");
	expect_err("dport 1-2-3 action drop",
		   "bad dport '1-2-3' (a port 0-65535 or a range P-Q)");
	expect_err("dport 0x50 action drop",
		   "bad dport '0x50' (a port 0-65535 or a range P-Q)");
	expect_err("proto tpc action drop",
		   "unknown protocol 'tpc' (tcp, udp, icmp, icmpv6, sctp, gre, "
		   "esp, arp or a number 0-255)");
	expect_err("proto 256 action drop",
		   "unknown protocol '256' (tcp, udp, icmp, icmpv6, sctp, gre, "
		   "esp, arp or a number 0-255)");
	expect_err("proto TCP action drop",
		   "unknown protocol 'TCP' (tcp, udp, icmp, icmpv6, sctp, gre, "
		   "esp, arp or a number 0-255)");
	expect_err("proto icmp dport 8 action drop",
		   "ports need proto tcp, udp or sctp (or no proto: then any "
		   "of them)");
	expect_err("proto arp src 10.0.0.0/8 action drop",
		   "proto arp takes no addresses or ports");
	expect_err("proto arp dport 1 action drop",
		   "proto arp takes no addresses or ports");
}

static void test_bad_words(void **state)
{
	expect_err("src 10.0.0.0/8", "a rule needs an action (action "
				     "drop|pass|count)");
	expect_err("", "a rule needs an action (action drop|pass|count)");
	expect_err("action reject", "unknown action 'reject' (drop, pass or "
				    "count)");
	expect_err("action drop action pass", "action given twice");
	expect_err("src 10.0.0.0/8 src 10.0.0.0/8 action drop",
		   "src given twice");
	expect_err("action", "action needs a value");
	expect_err("from 10.0.0.0/8 action drop",
		   "unknown keyword 'from' (id, src, dst, proto, sport, dport, "
		   "dev, prio, action, comment)");
	expect_err("prio 65536 action drop", "bad prio '65536' (0-65535)");
	expect_err("prio -1 action drop", "bad prio '-1' (0-65535)");
	expect_err("id 0 action drop", "bad id '0' (1-131072)");
	expect_err("id 131073 action drop", "bad id '131073' (1-131072)");
	expect_err("dev eth0/1 action drop", "bad device name 'eth0/1'");
	expect_err("dev abcdefghijklmnop action drop",
		   "bad device name 'abcdefghijklmnop' (1-15 characters)");
	expect_err("action drop comment "
		   "0123456789012345678901234567890123456789012345678901234567"
		   "890123",
		   "comment longer than 63 bytes");
	expect_err("action drop comment \"a\tb\"",
		   "comment has a control character");
	expect_err("action drop comment \"open", "unterminated quote");
	expect_err("action drop comment ab\"c", "stray quote in 'ab\"c'");
	expect_err("action drop comment \"a\"b",
		   "text right after a closing quote");
}

static void test_tokenize(void **state)
{
	char line[] = "  a\t\"b c\"  \"\" \"d\\\\e\\\"\"  ";
	char *argv[8];
	struct fg_perr e;

	assert_int_equal(fg_rule_tokenize(line, argv, 8, &e), 4);
	assert_string_equal(argv[0], "a");
	assert_string_equal(argv[1], "b c");
	assert_string_equal(argv[2], "");
	assert_string_equal(argv[3], "d\\e\"");
}

/* parse -> format -> parse gives the same rule */
static void test_format_roundtrip(void **state)
{
	static const char *const rules[] = {
		"src 192.0.2.0/24 dst 198.51.100.7/32 proto tcp sport "
		"1024-65535 dport 443 dev eth0 prio 7 action drop comment "
		"\"web \\\"x\\\" \\\\ y\"",
		"dst 2001:db8::/32 proto icmpv6 action count",
		"proto arp action drop",
		"id 5 src ::/0 action pass",
		"proto 47 action drop",
	};
	struct fg_rule_def a, b;
	struct fg_perr e;
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		assert_int_equal(parse(rules[i], &a, &e), 0);
		assert_true(fg_rule_format(&a, true, text, sizeof(text)) > 0);
		if (parse(text, &b, &e))
			fail_msg("'%s' formatted as '%s': %s", rules[i], text,
				 e.msg);
		assert_memory_equal(&a, &b, sizeof(a));
	}
	assert_int_equal(parse(rules[1], &a, &e), 0);
	fg_rule_format(&a, false, text, sizeof(text));
	assert_string_equal(text, rules[1]);
	assert_int_equal(fg_rule_format(&a, false, text, 10), -ENOSPC);
}

static int parse_text(const char *text, struct fg_ruleset *s, struct fg_perr *e)
{
	memset(s, 0, sizeof(*s));
	return fg_rules_parse_text(text, strlen(text), s, e);
}

static void test_file_crlf(void **state)
{
	const char *text = "# rules: \"a comment may say anything,\" in any "
			   "number of words, \"unbalanced\r\n\r\n"
			   "  src 192.0.2.0/24 action drop\r\n"
			   "\t# indented comment\r\n"
			   "dst 198.51.100.0/24 action count";
	struct fg_ruleset s;
	struct fg_perr e;

	assert_int_equal(parse_text(text, &s, &e), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.line[0], 3);
	assert_int_equal(s.line[1], 5);
	assert_int_equal(s.r[1].action, FG_RULE_COUNT);
	fg_ruleset_free(&s);
	/* CRLF without a final newline, the error on the last line */
	assert_int_equal(
		parse_text("action drop\r\nsrc 1.2.3 action drop", &s, &e),
		-EINVAL);
	assert_int_equal(e.line, 2);
	assert_string_equal(e.msg, "bad address '1.2.3' (IPv4 a.b.c.d or "
				   "IPv6)");
	fg_ruleset_free(&s);
	/* empty file, file of comments */
	assert_int_equal(parse_text("", &s, &e), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(parse_text("#\n#\n\n", &s, &e), 0);
	assert_int_equal(s.n, 0);
}

static void test_file_nasty(void **state)
{
	char text[FG_LINE_MAX + 64];
	struct fg_ruleset s;
	struct fg_perr e;

	/* duplicates: same match and prio, whatever the action */
	assert_int_equal(parse_text("src 192.0.2.0/24 action drop\n"
				    "dport 53 action pass\n"
				    "src 192.0.2.0/24 action count\n",
				    &s, &e),
			 -EINVAL);
	assert_int_equal(e.line, 3);
	assert_string_equal(e.msg, "line 3 has the same match and prio as "
				   "line 1");
	/* same match, another prio: allowed (order is defined) */
	assert_int_equal(parse_text("src 192.0.2.0/24 action drop\n"
				    "src 192.0.2.0/24 prio 200 action pass\n",
				    &s, &e),
			 0);
	fg_ruleset_free(&s);
	assert_int_equal(parse_text("id 4 action drop\nid 4 dport 1 action "
				    "drop\n",
				    &s, &e),
			 -EINVAL);
	assert_string_equal(e.msg, "id 4 is used twice (line 1)");
	assert_int_equal(e.line, 2);
	/* NUL byte, overlong line */
	assert_int_equal(fg_rules_parse_text("action drop\n\0x\n", 15, &s, &e),
			 -EINVAL);
	assert_int_equal(e.line, 2);
	assert_string_equal(e.msg, "NUL byte in the line");
	memset(text, ' ', sizeof(text));
	memcpy(text + FG_LINE_MAX, "action drop", 12);
	assert_int_equal(parse_text(text, &s, &e), -EINVAL);
	assert_string_equal(e.msg, "line longer than 4096 bytes");
	assert_int_equal(parse_text("a b c d e f g h i j k l m n o p q r s t u "
				    "v w x y z 1 2 3 4 5 6 7\n",
				    &s, &e),
			 -EINVAL);
	assert_string_equal(e.msg, "more than 32 words");
}

/* 10 MB of rules (100,000 of them, padded by comments) parse, and in
 * reasonable time; one rule more than the maximum is refused by line. */
static void test_file_10mb(void **state)
{
	size_t cap = 11u << 20, len = 0, i;
	char *text = malloc(cap);
	struct fg_ruleset s;
	struct fg_perr e;
	struct timespec t0, t1;

	assert_non_null(text);
	for (i = 0; i < 100000; i++)
		len += snprintf(text + len, cap - len,
				"src 10.%zu.%zu.%zu dport %zu action drop "
				"comment \"rule %zu of the 10 MB file, "
				"padding padding padding padding\"\n",
				i >> 16, i >> 8 & 255, i & 255, i % 65536, i);
	assert_true(len >= 10u << 20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(parse_text(text, &s, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(s.n, 100000);
	print_message("# 10 MB file (%zu bytes) parsed in %.0f ms\n", len,
		      (t1.tv_sec - t0.tv_sec) * 1e3 +
			      (t1.tv_nsec - t0.tv_nsec) / 1e6);
	fg_ruleset_free(&s);
	len = 0;
	for (i = 0; i <= FG_RULE_MAX; i++)
		len += snprintf(text + len, cap - len,
				"dport %zu prio %zu "
				"action drop\n",
				i % 65536, i / 65536);
	assert_int_equal(parse_text(text, &s, &e), -EINVAL);
	assert_int_equal(e.line, FG_RULE_MAX + 1);
	assert_string_equal(e.msg, "more than 131072 rules");
	fg_ruleset_free(&s);
	free(text);
}

static void test_order(void **state)
{
	struct fg_ruleset s;
	struct fg_perr e;
	struct fg_rule_image img;

	assert_int_equal(parse_text("id 1 src 10.0.0.0/8 action drop\n"
				    "id 2 src 10.1.0.0/16 action pass\n"
				    "id 3 dst 192.0.2.0/24 action drop\n"
				    "id 4 action count\n"
				    "id 5 src 10.0.0.0/8 prio 1 action pass\n"
				    "id 6 src 10.0.0.0/8 dst 192.0.2.0/25 "
				    "action drop\n"
				    "id 7 prio 300 dport 22 action drop\n",
				    &s, &e),
			 0);
	assert_int_equal(fg_rule_compile(&s, &img, &e), 0);
	/* prio 300, then /16, /8 with dst /25, /8, no src (dst /24, none),
	 * prio 1 last */
	assert_int_equal(s.r[0].id, 7);
	assert_int_equal(s.r[1].id, 2);
	assert_int_equal(s.r[2].id, 6);
	assert_int_equal(s.r[3].id, 1);
	assert_int_equal(s.r[4].id, 3);
	assert_int_equal(s.r[5].id, 4);
	assert_int_equal(s.r[6].id, 5);
	assert_int_equal(img.ids[2], 6);
	/* lines travel with their rules */
	assert_int_equal(s.line[0], 7);
	assert_int_equal(s.line[6], 5);
	assert_int_equal(img.counts.nrules, 7);
	assert_int_equal(img.counts.ncount, 1);
	assert_int_equal(img.counts.nglob, 2); /* ids 7, 4 */
	assert_int_equal(img.glob.n, 2);
	assert_int_equal(img.glob.slot[0], 0);
	assert_int_equal(img.glob.slot[1], 5);
	fg_rule_image_free(&img);
	fg_ruleset_free(&s);
}

static const struct fg_rule_list *find_list(const struct fg_rule_image *img,
					    int field, const char *p4, int len)
{
	__u8 a[16];
	size_t i;

	addr4(p4, a);
	for (i = 0; i < img->nidx; i++)
		if (img->keys[i].field == field && img->keys[i].family == 4 &&
		    img->keys[i].bits == 96 + len &&
		    !memcmp(img->keys[i].addr, a, 16))
			return &img->lists[i];
	return NULL;
}

/* Every index entry lists its own rules and those of covering prefixes,
 * in slot order; a rule is indexed by its longer prefix. */
static void test_inheritance(void **state)
{
	const struct fg_rule_list *l;
	struct fg_rule_image img;
	struct fg_ruleset s;
	struct fg_perr e;

	assert_int_equal(parse_text("src 10.0.0.0/8 action drop\n"
				    "src 10.1.0.0/16 action pass\n"
				    "src 10.1.2.0/24 action count\n"
				    "src 10.2.0.0/16 action pass\n"
				    "src 11.0.0.0/8 action drop\n"
				    "src 0.0.0.0/1 dst 192.0.2.7 action drop\n"
				    "src ::/0 action count\n",
				    &s, &e),
			 0);
	assert_int_equal(fg_ruleset_assign_ids(&s, NULL), 0);
	assert_int_equal(fg_rule_compile(&s, &img, &e), 0);
	/* order: /24 (0), /16s (1: 10.1, 2: 10.2), /8s (3: 10, 4: 11),
	 * /1 with dst /32 indexed by dst (5), ::/0 (6) */
	l = find_list(&img, FG_RULE_F_SRC, "10.1.2.0", 24);
	assert_non_null(l);
	assert_int_equal(l->n, 3);
	assert_int_equal(l->slot[0], 0);
	assert_int_equal(l->slot[1], 1);
	assert_int_equal(l->slot[2], 3);
	l = find_list(&img, FG_RULE_F_SRC, "10.2.0.0", 16);
	assert_int_equal(l->n, 2);
	assert_int_equal(l->slot[0], 2);
	assert_int_equal(l->slot[1], 3);
	l = find_list(&img, FG_RULE_F_SRC, "11.0.0.0", 8);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->slot[0], 4);
	l = find_list(&img, FG_RULE_F_DST, "192.0.2.7", 32);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->slot[0], 5);
	assert_null(find_list(&img, FG_RULE_F_SRC, "0.0.0.0", 1));
	/* its source is checked from the rule: 0.0.0.0/1 */
	assert_int_equal(img.rules[5].flags & FG_RF_SRC, FG_RF_SRC);
	assert_int_equal(img.rules[5].mask[3], htonl(0x80000000));
	assert_int_equal(img.rules[5].mask[2], 0xffffffff);
	assert_int_equal(img.counts.nsrc, 6); /* 4 IPv4 + 10/8 + ::/0 */
	assert_int_equal(img.counts.ndst, 1);
	assert_int_equal(img.counts.nglob, 0);
	fg_rule_image_free(&img);
	fg_ruleset_free(&s);
}

static void test_too_many_candidates(void **state)
{
	char text[4096];
	struct fg_rule_image img;
	struct fg_ruleset s;
	struct fg_perr e;
	size_t len = 0, i;

	/* 16 nested prefixes fit, the 17th is one too many */
	for (i = 8; i <= 24; i++)
		len += snprintf(text + len, sizeof(text) - len,
				"src 10.0.0.0/%zu action drop\n", i);
	assert_int_equal(parse_text(text, &s, &e), 0);
	assert_int_equal(fg_ruleset_assign_ids(&s, NULL), 0);
	assert_int_equal(fg_rule_compile(&s, &img, &e), -E2BIG);
	assert_int_equal(e.line, 17);
	assert_string_equal(e.msg, "src 10.0.0.0/24: more than 16 rules would "
				   "apply to one address through this prefix "
				   "and those covering it");
	fg_ruleset_free(&s);
	len = 0;
	for (i = 0; i < 17; i++)
		len += snprintf(text + len, sizeof(text) - len,
				"dport %zu action drop\n", i);
	assert_int_equal(parse_text(text, &s, &e), 0);
	assert_int_equal(fg_ruleset_assign_ids(&s, NULL), 0);
	assert_int_equal(fg_rule_compile(&s, &img, &e), -E2BIG);
	assert_int_equal(e.line, 17);
	assert_string_equal(e.msg, "more than 16 rules without src or dst "
				   "(rule 17 is one too many)");
	fg_ruleset_free(&s);
	/* 16 of each is fine */
	assert_int_equal(
		parse_text(text + strlen("dport 0 action drop\n"), &s, &e), 0);
	assert_int_equal(fg_ruleset_assign_ids(&s, NULL), 0);
	assert_int_equal(fg_rule_compile(&s, &img, &e), 0);
	fg_rule_image_free(&img);
	fg_ruleset_free(&s);
}

static void test_ids(void **state)
{
	struct fg_ruleset old, s;
	struct fg_perr e;

	assert_int_equal(parse_text("src 192.0.2.0/24 action drop\n"
				    "dport 53 action pass\n"
				    "dport 54 action pass\n",
				    &old, &e),
			 0);
	assert_int_equal(fg_ruleset_assign_ids(&old, NULL), 0);
	assert_int_equal(old.r[0].id, 1);
	assert_int_equal(old.r[2].id, 3);
	/* same match keeps its ID (another action too); new rules get IDs
	 * no rule in force has; explicit IDs stay */
	assert_int_equal(parse_text("dport 99 action drop\n"
				    "dport 54 action count\n"
				    "id 9 dport 100 action drop\n",
				    &s, &e),
			 0);
	assert_int_equal(fg_ruleset_assign_ids(&s, &old), 0);
	assert_int_equal(s.r[0].id, 4);
	assert_int_equal(s.r[1].id, 3);
	assert_int_equal(s.r[2].id, 9);
	assert_ptr_equal(fg_ruleset_find(&s, 9), &s.r[2]);
	assert_null(fg_ruleset_find(&s, 1));
	fg_ruleset_free(&s);
	fg_ruleset_free(&old);
}

/* Every ID in force: new rules take the smallest ones anyway. */
static void test_ids_exhausted(void **state)
{
	struct fg_ruleset old = {}, s = {};
	struct fg_rule_def d = {
		.prio = 1, .action = FG_RULE_DROP, .flags = FG_RF_DPORT};
	__u32 i;

	for (i = 0; i < FG_RULE_MAX; i++) {
		d.dport_lo = d.dport_hi = i % 65536;
		d.prio = 1000 + i / 65536;
		d.id = i + 1;
		assert_int_equal(fg_ruleset_add(&old, &d, 0), 0);
	}
	d.id = 0;
	d.prio = 1;
	for (i = 0; i < 10; i++) {
		d.dport_lo = d.dport_hi = i;
		assert_int_equal(fg_ruleset_add(&s, &d, 0), 0);
	}
	assert_int_equal(fg_ruleset_assign_ids(&s, &old), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(s.r[i].id, i + 1);
	/* one rule more than there are IDs */
	d.id = 0;
	for (i = 0; i < FG_RULE_MAX; i++) {
		old.r[i].id = 0;
		old.r[i].prio = 5;
	}
	assert_int_equal(fg_ruleset_add(&old, &d, 0), 0);
	assert_int_equal(fg_ruleset_assign_ids(&old, NULL), -E2BIG);
	fg_ruleset_free(&s);
	fg_ruleset_free(&old);
}

/* ---- the daemon's config file ------------------------------------------ */

static int parse_cfg(const char *text, struct fg_daemon_cfg *c,
		     struct fg_perr *e)
{
	return fg_cfgfile_parse(text, strlen(text), c, e);
}

static void expect_cfg_err(const char *text, unsigned int line, const char *msg)
{
	struct fg_daemon_cfg c;
	struct fg_perr e;

	if (parse_cfg(text, &c, &e) != -EINVAL)
		fail_msg("accepted: %s", text);
	if (e.line != line || strcmp(e.msg, msg))
		fail_msg("got %u '%s', want %u '%s'", e.line, e.msg, line, msg);
}

static void test_cfg_full(void **state)
{
	struct fg_daemon_cfg c;
	struct fg_perr e;

	assert_int_equal(parse_cfg("# flowgate\r\n"
				   "profile monitor\r\n"
				   "check ttl-zero drop\r\n"
				   "check rule count\r\n"
				   "sampling 8\r\n"
				   "drop-flows off\r\n"
				   "[export]\r\n"
				   "collector udp://192.0.2.10\r\n"
				   "collector tcp://[2001:db8::10]:9995\r\n"
				   "collector udp://collector.example:2055\r\n"
				   "active-timeout 120\r\n"
				   "idle-timeout 30\r\n"
				   "template-refresh 300\r\n"
				   "domain 42\r\n"
				   "mtu 9000\r\n"
				   "[rules]\r\n"
				   "src 192.0.2.0/24 action drop\r\n"
				   "# comment\r\n"
				   "dport 22 action count",
				   &c, &e),
			 0);
	assert_int_equal(c.cfg.version, FG_CONFIG_VERSION);
	assert_int_equal(c.cfg.profile, FG_PROFILE_MONITOR);
	assert_int_equal(c.cfg.act[FG_R_TTL_ZERO], FG_ACT_DROP);
	assert_int_equal(c.cfg.act[FG_R_RULE], FG_ACT_COUNT);
	assert_int_equal(c.cfg.act[FG_R_LAND], FG_ACT_COUNT); /* monitor */
	assert_int_equal(c.cfg.override,
			 1ull << FG_R_TTL_ZERO | 1ull << FG_R_RULE);
	assert_int_equal(c.cfg.sampling, 8);
	assert_int_equal(c.cfg.flags, FG_CFG_NO_DROP_FLOWS);
	assert_true(c.export.present);
	assert_int_equal(c.export.ncollectors, 3);
	assert_string_equal(c.export.collector[0], "udp://192.0.2.10:4739");
	assert_string_equal(c.export.collector[1], "tcp://[2001:db8::10]:9995");
	assert_string_equal(c.export.collector[2],
			    "udp://collector.example:2055");
	assert_int_equal(c.export.active_timeout, 120);
	assert_int_equal(c.export.idle_timeout, 30);
	assert_int_equal(c.export.template_refresh, 300);
	assert_int_equal(c.export.domain, 42);
	assert_int_equal(c.export.mtu, 9000);
	assert_int_equal(c.rules.n, 2);
	assert_int_equal(c.rules.line[1], 19);
	fg_daemon_cfg_free(&c);
}

static void test_cfg_defaults(void **state)
{
	struct fg_daemon_cfg c;
	struct fg_config def;
	struct fg_perr e;

	assert_int_equal(parse_cfg("", &c, &e), 0);
	fg_config_apply_profile(&def, FG_PROFILE_DEFAULT);
	assert_memory_equal(&c.cfg, &def, sizeof(def));
	assert_false(c.export.present);
	assert_int_equal(c.export.ncollectors, 0);
	assert_int_equal(c.export.active_timeout, 60);
	assert_int_equal(c.export.idle_timeout, 15);
	assert_int_equal(c.export.template_refresh, 300);
	assert_int_equal(c.export.domain, 1);
	assert_int_equal(c.export.mtu, 1500);
	assert_int_equal(c.rules.n, 0);
	fg_daemon_cfg_free(&c);
	assert_int_equal(parse_cfg("# a comment of many words, \"quoted\n"
				   "[export]\n  # and another one, here\n"
				   "[rules]\n# and in the rules, too many "
				   "words for a rule: 1 2 3 4 5 6 7 8 9 10 11 "
				   "12 13 14 15 16 17 18 19 20 21 22 23 24 25 "
				   "26 27 28 29 30 31 32 33\n",
				   &c, &e),
			 0);
	assert_true(c.export.present);
	fg_daemon_cfg_free(&c);
}

static void test_cfg_errors(void **state)
{
	expect_cfg_err("profile default\nprofile strict\n", 2,
		       "profile given twice");
	expect_cfg_err("profile paranoid\n", 1,
		       "unknown profile 'paranoid' (default, monitor or "
		       "strict)");
	expect_cfg_err("check land\n", 1,
		       "check land needs off, count or "
		       "drop");
	expect_cfg_err("check bogus drop\n", 1, "unknown check 'bogus'");
	expect_cfg_err("check land drop\ncheck land off\n", 2,
		       "check land given twice");
	expect_cfg_err("sampling 0\n", 1,
		       "sampling takes N of 1 in N (1 to "
		       "2^30)");
	expect_cfg_err("drop-flows yes\n", 1, "drop-flows takes on or off");
	expect_cfg_err("verbose on\n", 1,
		       "unknown setting 'verbose' (profile, check, sampling, "
		       "drop-flows, or a section [export] / [rules])");
	expect_cfg_err("profile\n", 1, "profile needs a value");
	expect_cfg_err("profile default strict\n", 1,
		       "profile takes one "
		       "value");
	expect_cfg_err("[export]\n[export]\n", 2, "[export] given twice");
	expect_cfg_err("[bogus]\n", 1,
		       "unknown section '[bogus]' ([export] "
		       "or [rules])");
	expect_cfg_err("[rules]\n[export]\n", 2,
		       "[rules] must be the last section");
	expect_cfg_err("[rules]\naction drop\nsrc 1.2.3 action drop\n", 3,
		       "bad address '1.2.3' (IPv4 a.b.c.d or IPv6)");
	expect_cfg_err("[rules]\r\ndport 1 action drop\r\ndport 1 action "
		       "drop",
		       3, "line 3 has the same match and prio as line 2");
	expect_cfg_err("[export]\nmtu 100\n", 2,
		       "mtu '100': a number from 576 to 65535");
	expect_cfg_err("[export]\nidle-timeout 0\n", 2,
		       "idle-timeout '0': a number from 1 to 86400");
	expect_cfg_err("[export]\ndomain 1\ndomain 2\n", 3,
		       "domain given twice");
	expect_cfg_err(
		"[export]\nprofile strict\n", 2,
		"unknown export setting 'profile' (collector, "
		"active-timeout, idle-timeout, template-refresh, domain, "
		"mtu)");
	expect_cfg_err("[export]\ncollector 192.0.2.1:4739\n", 2,
		       "collector '192.0.2.1:4739': udp://HOST:PORT or "
		       "tcp://HOST:PORT");
	expect_cfg_err("[export]\ncollector udp://\n", 2,
		       "collector 'udp://': bad host (an IPv4 address, [IPv6] "
		       "or a name)");
	expect_cfg_err("[export]\ncollector udp://192.0.2.1:0\n", 2,
		       "collector 'udp://192.0.2.1:0': bad port (1-65535)");
	expect_cfg_err("[export]\ncollector udp://192.0.2.1:70000\n", 2,
		       "collector 'udp://192.0.2.1:70000': bad port (1-65535)");
	expect_cfg_err("[export]\ncollector tcp://[2001:db8::1:4739\n", 2,
		       "collector 'tcp://[2001:db8::1:4739': no ']'");
	expect_cfg_err("[export]\ncollector tcp://[2001:db8::g]:1\n", 2,
		       "collector 'tcp://[2001:db8::g]:1': bad IPv6 address "
		       "'2001:db8::g'");
	expect_cfg_err("[export]\ncollector udp://a_b:1\n", 2,
		       "collector 'udp://a_b:1': bad host (an IPv4 address, "
		       "[IPv6] or a name)");
	expect_cfg_err("[export]\ncollector udp://a\ncollector udp://b\n"
		       "collector udp://c\ncollector udp://d\n"
		       "collector udp://e\ncollector udp://f\n"
		       "collector udp://g\ncollector udp://h\n",
		       9, "more than 7 collectors");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_rule),
		cmocka_unit_test(test_defaults_and_v6),
		cmocka_unit_test(test_bad_prefixes),
		cmocka_unit_test(test_bad_ports_protos),
		cmocka_unit_test(test_bad_words),
		cmocka_unit_test(test_tokenize),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_file_crlf),
		cmocka_unit_test(test_file_nasty),
		cmocka_unit_test(test_file_10mb),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_too_many_candidates),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_ids_exhausted),
		cmocka_unit_test(test_cfg_full),
		cmocka_unit_test(test_cfg_defaults),
		cmocka_unit_test(test_cfg_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
