// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the RTT join and grammar (ctl/cmd/rtt.c): a flow key of
 * either direction turns into one connection key; `rtt` arguments. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "fg.h"
#include "cmds.h"

struct fg_opts fg_opts;

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)))

static void flow(struct fg_flow_key *f, __u8 dir, const char *src, __u16 sport,
		 const char *dst, __u16 dport)
{
	memset(f, 0xaa, sizeof(*f)); /* fields the key must not take */
	f->dir = dir;
	f->proto = IPPROTO_TCP;
	f->reason = 0;
	assert_int_equal(fg_addr_parse(src, f->src), 0);
	assert_int_equal(fg_addr_parse(dst, f->dst), 0);
	f->ip_ver = strchr(src, ':') ? 6 : 4;
	f->sport = htons(sport);
	f->dport = htons(dport);
}

static void test_key_v4(void **state)
{
	struct fg_flow_key out, in;
	struct fg_rtt_key a, b;
	__u8 local[16], remote[16];

	flow(&out, FG_DIR_OUT, "192.0.2.2", 443, "192.0.2.1", 40000);
	flow(&in, FG_DIR_IN, "192.0.2.1", 40000, "192.0.2.2", 443);
	in.ifindex = 3; /* another interface: still the same connection */
	assert_int_equal(fg_rtt_key_from_flow(&out, &a), 0);
	assert_int_equal(fg_rtt_key_from_flow(&in, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	fg_addr_parse("192.0.2.2", local);
	fg_addr_parse("192.0.2.1", remote);
	assert_memory_equal(a.laddr, local, 16);
	assert_memory_equal(a.raddr, remote, 16);
	/* ::ffff:192.0.2.2, as the sock_ops side writes it */
	assert_int_equal(a.laddr[10], 0xff);
	assert_int_equal(a.laddr[15], 2);
	assert_int_equal(a.lport, htons(443));
	assert_int_equal(a.rport, htons(40000));
	assert_int_equal(a.ip_ver, 4);
	assert_int_equal(a.pad[0] | a.pad[1] | a.pad[2], 0);
}

static void test_key_v6(void **state)
{
	struct fg_flow_key out, in;
	struct fg_rtt_key a, b;

	flow(&out, FG_DIR_OUT, "2001:db8::1", 50000, "2001:db8::2", 80);
	flow(&in, FG_DIR_IN, "2001:db8::2", 80, "2001:db8::1", 50000);
	assert_int_equal(fg_rtt_key_from_flow(&out, &a), 0);
	assert_int_equal(fg_rtt_key_from_flow(&in, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(a.ip_ver, 6);
	assert_int_equal(a.laddr[15], 1);
	assert_int_equal(a.raddr[15], 2);
	assert_int_equal(ntohs(a.lport), 50000);
	assert_int_equal(ntohs(a.rport), 80);
}

/* The two ends of one connection are two different keys. */
static void test_key_ends_differ(void **state)
{
	struct fg_flow_key f;
	struct fg_rtt_key a, b;

	flow(&f, FG_DIR_OUT, "192.0.2.2", 443, "192.0.2.1", 40000);
	fg_rtt_key_from_flow(&f, &a);
	flow(&f, FG_DIR_OUT, "192.0.2.1", 40000, "192.0.2.2", 443);
	fg_rtt_key_from_flow(&f, &b);
	assert_memory_not_equal(&a, &b, sizeof(a));
}

static void test_key_not_tcp(void **state)
{
	struct fg_flow_key f;
	struct fg_rtt_key k;

	flow(&f, FG_DIR_OUT, "192.0.2.2", 53, "192.0.2.1", 40000);
	f.proto = IPPROTO_UDP;
	assert_int_equal(fg_rtt_key_from_flow(&f, &k), -EINVAL);
	f.proto = IPPROTO_TCP;
	f.ip_ver = 0; /* a non-IP flow */
	assert_int_equal(fg_rtt_key_from_flow(&f, &k), -EINVAL);
}

static void test_mean(void **state)
{
	struct fg_rtt_val v = {};

	assert_int_equal(fg_rtt_mean_us(&v), 0);
	v.samples = 3;
	v.sum_us = 601;
	assert_int_equal(fg_rtt_mean_us(&v), 200);
	v.sum_us = 602; /* 200.67 rounds up */
	assert_int_equal(fg_rtt_mean_us(&v), 201);
}

static void test_args(void **state)
{
	struct fg_rtt_args a;

	assert_int_equal(fg_args_rtt(0, ARGV(NULL), &a), 0);
	assert_int_equal(a.verb, FG_RTT_SHOW);
	assert_int_equal(a.port, -1);
	assert_false(a.has_addr);
	assert_int_equal(fg_args_rtt(ARGC("show", "port", "443"),
				     ARGV("show", "port", "443"), &a),
			 0);
	assert_int_equal(a.port, 443);
	assert_int_equal(fg_args_rtt(ARGC("addr", "2001:db8::1"),
				     ARGV("addr", "2001:db8::1"), &a),
			 0);
	assert_true(a.has_addr);
	assert_int_equal(a.addr[15], 1);
	assert_int_equal(fg_args_rtt(ARGC("enable"), ARGV("enable"), &a), 0);
	assert_int_equal(a.verb, FG_RTT_ENABLE);
	assert_null(a.cgroup);
	assert_int_equal(fg_args_rtt(ARGC("enable", "cgroup", "/x"),
				     ARGV("enable", "cgroup", "/x"), &a),
			 0);
	assert_string_equal(a.cgroup, "/x");
	assert_int_equal(fg_args_rtt(ARGC("disable"), ARGV("disable"), &a), 0);
	assert_int_equal(a.verb, FG_RTT_DISABLE);
	/* usage errors */
	assert_int_equal(fg_args_rtt(ARGC("enable", "cgroup"),
				     ARGV("enable", "cgroup"), &a),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_rtt(ARGC("enable", "cgroup", ""),
				     ARGV("enable", "cgroup", ""), &a),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_rtt(ARGC("enable", "dev", "x"),
				     ARGV("enable", "dev", "x"), &a),
			 -FG_EUSAGE);
	assert_int_equal(
		fg_args_rtt(ARGC("disable", "now"), ARGV("disable", "now"), &a),
		-FG_EUSAGE);
	assert_int_equal(
		fg_args_rtt(ARGC("port", "65536"), ARGV("port", "65536"), &a),
		-FG_EUSAGE);
	assert_int_equal(fg_args_rtt(ARGC("addr", "192.0.2"),
				     ARGV("addr", "192.0.2"), &a),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_rtt(ARGC("port"), ARGV("port"), &a),
			 -FG_EUSAGE);
	assert_int_equal(
		fg_args_rtt(ARGC("dev", "eth0"), ARGV("dev", "eth0"), &a),
		-FG_EUSAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_v4),
		cmocka_unit_test(test_key_v6),
		cmocka_unit_test(test_key_ends_differ),
		cmocka_unit_test(test_key_not_tcp),
		cmocka_unit_test(test_mean),
		cmocka_unit_test(test_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
