// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of what issue 15 ("safe to hand to an operator") made strict:
 * the one collector URL validator (ports, numeric hosts, IPv6), trailing
 * comments in rule and config lines, IPv4-mapped prefixes, "is a
 * directory", and the order of `flow dump`'s text lines.
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
#include <unistd.h>
#include <cmocka.h>
#include "fg.h"
#include "rules.h"
#include "cfgfile.h"

struct fg_opts fg_opts;

static int url(const char *u, char *out, char *msg)
{
	return fg_cfg_collector_parse(u, out, FG_URL_LEN, msg, 256);
}

static void test_url_accepted(void **state)
{
	static const char *const in[][2] = {
		{"udp://192.0.2.10", "udp://192.0.2.10:4739"},
		{"tcp://192.0.2.10:1", "tcp://192.0.2.10:1"},
		{"udp://127.0.0.1:65535", "udp://127.0.0.1:65535"},
		{"tcp://[2001:db8::10]:4739", "tcp://[2001:db8::10]:4739"},
		{"udp://[2001:db8::1]", "udp://[2001:db8::1]:4739"},
		{"udp://collector.example:9995",
		 "udp://collector.example:9995"},
	};
	char out[FG_URL_LEN], msg[256];
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(url(in[i][0], out, msg), 0);
		assert_string_equal(out, in[i][1]);
	}
}

static void test_url_refused(void **state)
{
	static const char *const in[][2] = {
		{"udp://127.0.0.1:99999", "bad port (1-65535)"},
		{"udp://127.0.0.1:0", "bad port (1-65535)"},
		{"udp://127.0.0.1:abc", "bad port (1-65535)"},
		{"udp://127.0.0.1:", "bad port (1-65535)"},
		{"udp://256.1.1.1", "bad IPv4 address '256.1.1.1'"},
		{"udp://10.1", "bad IPv4 address '10.1'"},
		{"udp://3232235777", "bad IPv4 address '3232235777'"},
		{"tcp://[2001:db8::1", "no ']'"},
		{"tcp://[zz::1]:4739", "bad IPv6 address 'zz::1'"},
		{"ftp://192.0.2.1", "udp://HOST:PORT or tcp://HOST:PORT"},
	};
	char out[FG_URL_LEN], msg[256];
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(url(in[i][0], out, msg), -EINVAL);
		if (!strstr(msg, in[i][1]))
			fail_msg("%s: '%s' lacks '%s'", in[i][0], msg,
				 in[i][1]);
	}
}

static void test_trailing_comments(void **state)
{
	char line[] = "src 198.51.100.0/24 action drop comment \"#42\" # why";
	char *argv[16];
	struct fg_perr e = {};

	assert_int_equal(fg_rule_tokenize(line, argv, 16, &e), 6);
	assert_string_equal(argv[5], "#42");
}

static void test_config_comments(void **state)
{
	const char text[] = "profile strict   # the strict one\n"
			    "sampling 4 # one in four\n"
			    "[export]  # for export\n"
			    "collector udp://192.0.2.10:4739 # up to 8\n"
			    "[rules]\n"
			    "src 198.51.100.0/24 action drop # attack\n";
	struct fg_daemon_cfg c = {};
	struct fg_perr e = {};

	assert_int_equal(fg_cfgfile_parse(text, strlen(text), &c, &e), 0);
	assert_int_equal(c.rules.n, 1);
	assert_int_equal(c.export.ncollectors, 1);
	fg_daemon_cfg_free(&c);
}

static void test_ipv4_mapped_refused(void **state)
{
	char *argv[] = {"src", "::ffff:198.51.100.1", "action", "drop"};
	char *argv2[] = {"dst", "::ffff:0:0/96", "action", "drop"};
	char *argv3[] = {"dst", "::/0", "action", "drop"};
	struct fg_rule_def d;
	struct fg_perr e = {};

	assert_int_equal(fg_rule_parse(4, argv, &d, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "IPv4-mapped"));
	assert_non_null(strstr(e.msg, "(198.51.100.1)"));
	assert_int_equal(fg_rule_parse(4, argv2, &d, &e), -EINVAL);
	assert_int_equal(fg_rule_parse(4, argv3, &d, &e), 0);
}

static void test_read_directory(void **state)
{
	char *buf;
	size_t len;

	assert_int_equal(fg_read_file("/", &buf, &len), -EISDIR);
}

static void test_flow_order(void **state)
{
	struct fg_flow_key a = {.ifindex = 2,
				.dir = FG_DIR_IN,
				.ip_ver = 4,
				.proto = 17,
				.sport = htons(9)},
			   b = a;

	b.sport = htons(256); /* bytes 0x01 0x00: smaller as memory */
	assert_true(fg_flow_key_cmp(&a, &b) < 0);
	b = a;
	b.dir = FG_DIR_OUT;
	assert_true(fg_flow_key_cmp(&a, &b) < 0);
	b = a;
	b.ifindex = 1;
	assert_true(fg_flow_key_cmp(&a, &b) > 0);
	assert_int_equal(fg_flow_key_cmp(&a, &a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_accepted),
		cmocka_unit_test(test_url_refused),
		cmocka_unit_test(test_trailing_comments),
		cmocka_unit_test(test_config_comments),
		cmocka_unit_test(test_ipv4_mapped_refused),
		cmocka_unit_test(test_read_directory),
		cmocka_unit_test(test_flow_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
