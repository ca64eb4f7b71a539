// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the CLI's argument grammar (ctl/lib/args.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "fg.h"
#include "cmds.h"
#include "export.h"

struct fg_opts fg_opts;

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)))

static void test_u32(void **state)
{
	__u32 v;

	assert_int_equal(fg_parse_u32("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(fg_parse_u32("4294967295", 0, UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(fg_parse_u32("4294967296", 0, UINT32_MAX, &v),
			 -ERANGE);
	assert_int_equal(fg_parse_u32("11", 0, 10, &v), -ERANGE);
	assert_int_equal(fg_parse_u32("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(fg_parse_u32("+1", 0, 10, &v), -EINVAL);
	assert_int_equal(fg_parse_u32("", 0, 10, &v), -EINVAL);
	assert_int_equal(fg_parse_u32("1x", 0, 10, &v), -ERANGE);
	assert_int_equal(fg_parse_u32(" 1", 0, 10, &v), -EINVAL);
}

static void test_names_roundtrip(void **state)
{
	int r;

	for (r = 1; r < FG_R_MAX; r++) {
		const char *n = fg_reason_name(r);

		assert_string_not_equal(n, "unknown");
		assert_int_equal(fg_reason_by_name(n), r);
		assert_true(strlen(fg_reason_desc(r)) > 0);
	}
	assert_int_equal(fg_reason_by_name("none"), -ENOENT);
	assert_int_equal(fg_reason_by_name("TCP-FLAGS"), -ENOENT);
	assert_int_equal(fg_reason_by_name(""), -ENOENT);
	assert_string_equal(fg_reason_name(FG_R_MAX), "unknown");
	assert_int_equal(fg_action_by_name("drop"), FG_ACT_DROP);
	assert_int_equal(fg_action_by_name("count"), FG_ACT_COUNT);
	assert_int_equal(fg_action_by_name("off"), FG_ACT_OFF);
	assert_int_equal(fg_action_by_name("default"), -ENOENT);
	assert_int_equal(fg_profile_by_name("strict"), FG_PROFILE_STRICT);
	assert_int_equal(fg_profile_by_name("paranoid"), -ENOENT);
}

static void test_attach_args(void **state)
{
	struct fg_attach_args a;

	assert_int_equal(fg_args_attach(ARGC("eth0"), ARGV("eth0"), &a), 0);
	assert_string_equal(a.dev, "eth0");
	assert_int_equal(a.mode, FG_MODE_NATIVE);
	assert_int_equal(a.hook, FG_HOOK_XDP);
	assert_int_equal(a.max_flows, 0);
	assert_int_equal(fg_args_attach(ARGC("eth0", "mode", "skb", "hook",
					     "tc", "max-flows", "1024"),
					ARGV("eth0", "mode", "skb", "hook",
					     "tc", "max-flows", "1024"),
					&a),
			 0);
	assert_int_equal(a.mode, FG_MODE_SKB);
	assert_int_equal(a.hook, FG_HOOK_TC);
	assert_int_equal(a.max_flows, 1024);
	assert_int_equal(fg_args_attach(0, ARGV(NULL), &a), -FG_EUSAGE);
	assert_int_equal(
		fg_args_attach(ARGC("eth0", "mode"), ARGV("eth0", "mode"), &a),
		-FG_EUSAGE);
	assert_int_equal(fg_args_attach(ARGC("eth0", "mode", "hw"),
					ARGV("eth0", "mode", "hw"), &a),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_attach(ARGC("eth0", "hook", "tcx"),
					ARGV("eth0", "hook", "tcx"), &a),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_attach(ARGC("eth0", "max-flows", "0"),
					ARGV("eth0", "max-flows", "0"), &a),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_attach(ARGC("eth0", "max-flows", "1e6"),
					ARGV("eth0", "max-flows", "1e6"), &a),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_attach(ARGC("eth0", "max-flows", "99999999"),
					ARGV("eth0", "max-flows", "99999999"),
					&a),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_attach(ARGC("eth0", "bogus", "x"),
					ARGV("eth0", "bogus", "x"), &a),
			 -FG_EUSAGE);
}

static void test_attach_drop_rate(void **state)
{
	struct fg_attach_args a;

	assert_int_equal(fg_args_attach(ARGC("eth0"), ARGV("eth0"), &a), 0);
	assert_false(a.drop_rate_set); /* attach takes the default */
	assert_int_equal(fg_args_attach(ARGC("eth0", "drop-flow-rate", "5000"),
					ARGV("eth0", "drop-flow-rate", "5000"),
					&a),
			 0);
	assert_true(a.drop_rate_set);
	assert_int_equal(a.drop_rate, 5000);
	assert_int_equal(fg_args_attach(ARGC("eth0", "drop-flow-rate", "0"),
					ARGV("eth0", "drop-flow-rate", "0"),
					&a),
			 0);
	assert_true(a.drop_rate_set);
	assert_int_equal(a.drop_rate, 0); /* no limit */
	assert_int_equal(
		fg_args_attach(ARGC("eth0", "drop-flow-rate", "10000000"),
			       ARGV("eth0", "drop-flow-rate", "10000000"), &a),
		0);
	assert_int_equal(a.drop_rate, FG_DROP_RATE_MAX);
	assert_int_equal(
		fg_args_attach(ARGC("eth0", "drop-flow-rate", "10000001"),
			       ARGV("eth0", "drop-flow-rate", "10000001"), &a),
		-FG_EUSAGE);
	assert_int_equal(fg_args_attach(ARGC("eth0", "drop-flow-rate", "-1"),
					ARGV("eth0", "drop-flow-rate", "-1"),
					&a),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_attach(ARGC("eth0", "drop-flow-rate", "1k"),
					ARGV("eth0", "drop-flow-rate", "1k"),
					&a),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_attach(ARGC("eth0", "drop-flow-rate"),
					ARGV("eth0", "drop-flow-rate"), &a),
			 -FG_EUSAGE);
}

static void test_config_set_profile(void **state)
{
	struct fg_config cur = {}, cfg;
	int r;

	assert_int_equal(fg_args_config_set(ARGC("profile", "monitor"),
					    ARGV("profile", "monitor"), &cur,
					    &cfg),
			 0);
	assert_int_equal(cfg.profile, FG_PROFILE_MONITOR);
	assert_int_equal(cfg.version, FG_CONFIG_VERSION);
	assert_int_equal(cfg.override, 0);
	for (r = 1; r < FG_R_MAX; r++)
		assert_int_equal(fg_config_action(&cfg, r), FG_ACT_COUNT);

	assert_int_equal(fg_args_config_set(ARGC("profile", "strict"),
					    ARGV("profile", "strict"), &cur,
					    &cfg),
			 0);
	assert_int_equal(fg_config_action(&cfg, FG_R_TTL_ZERO), FG_ACT_DROP);

	assert_int_equal(fg_args_config_set(ARGC("profile", "lax"),
					    ARGV("profile", "lax"), &cur, &cfg),
			 -FG_EUSAGE);
}

static void test_config_set_check(void **state)
{
	struct fg_config cur = {}, cfg, cfg2;

	/* A zeroed config (fresh maps) is the default profile. */
	assert_int_equal(fg_config_action(&cur, FG_R_TTL_ZERO), FG_ACT_COUNT);
	assert_int_equal(fg_config_action(&cur, FG_R_TCP_FLAGS), FG_ACT_DROP);

	assert_int_equal(fg_args_config_set(ARGC("check", "tcp-flags", "count"),
					    ARGV("check", "tcp-flags", "count"),
					    &cur, &cfg),
			 0);
	assert_int_equal(fg_config_action(&cfg, FG_R_TCP_FLAGS), FG_ACT_COUNT);
	assert_true(cfg.override & (1ULL << FG_R_TCP_FLAGS));
	/* The others keep the default profile's action. */
	assert_int_equal(fg_config_action(&cfg, FG_R_TTL_ZERO), FG_ACT_COUNT);
	assert_int_equal(fg_config_action(&cfg, FG_R_LAND), FG_ACT_DROP);

	/* Overrides accumulate on top of the current config. */
	assert_int_equal(fg_args_config_set(ARGC("check", "land", "off"),
					    ARGV("check", "land", "off"), &cfg,
					    &cfg2),
			 0);
	assert_int_equal(fg_config_action(&cfg2, FG_R_TCP_FLAGS), FG_ACT_COUNT);
	assert_int_equal(fg_config_action(&cfg2, FG_R_LAND), FG_ACT_OFF);

	assert_int_equal(fg_args_config_set(ARGC("check", "nope", "drop"),
					    ARGV("check", "nope", "drop"), &cur,
					    &cfg),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_config_set(ARGC("check", "land", "reject"),
					    ARGV("check", "land", "reject"),
					    &cur, &cfg),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_config_set(ARGC("check", "land"),
					    ARGV("check", "land"), &cur, &cfg),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_config_set(ARGC("sampling"), ARGV("sampling"),
					    &cur, &cfg),
			 -FG_EUSAGE);
}

static void test_config_set_flows(void **state)
{
	struct fg_config cur = {}, cfg, cfg2;

	assert_int_equal(fg_args_config_set(ARGC("sampling", "10"),
					    ARGV("sampling", "10"), &cur, &cfg),
			 0);
	assert_int_equal(cfg.sampling, 10);
	/* 1 in 1 is no sampling */
	assert_int_equal(fg_args_config_set(ARGC("sampling", "1"),
					    ARGV("sampling", "1"), &cfg, &cfg2),
			 0);
	assert_int_equal(cfg2.sampling, 0);
	assert_int_equal(fg_args_config_set(ARGC("sampling", "0"),
					    ARGV("sampling", "0"), &cur, &cfg),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_config_set(ARGC("sampling", "-3"),
					    ARGV("sampling", "-3"), &cur, &cfg),
			 -FG_EUSAGE);
	assert_int_equal(fg_args_config_set(ARGC("drop-flows", "off"),
					    ARGV("drop-flows", "off"), &cur,
					    &cfg),
			 0);
	assert_true(cfg.flags & FG_CFG_NO_DROP_FLOWS);
	/* a profile keeps sampling and flags */
	cfg.sampling = 7;
	assert_int_equal(fg_args_config_set(ARGC("profile", "strict"),
					    ARGV("profile", "strict"), &cfg,
					    &cfg2),
			 0);
	assert_int_equal(cfg2.sampling, 7);
	assert_true(cfg2.flags & FG_CFG_NO_DROP_FLOWS);
	assert_int_equal(fg_args_config_set(ARGC("drop-flows", "maybe"),
					    ARGV("drop-flows", "maybe"), &cur,
					    &cfg),
			 -FG_EUSAGE);
}

static int exp_args(int argc, char **argv, struct fg_exp_settings *s)
{
	fg_exp_settings_default(s);
	return fg_args_export(argc, argv, s);
}

static void test_export_args(void **state)
{
	struct fg_exp_settings s;

	/* defaults, documented in doc/flowgate.8 */
	assert_int_equal(
		exp_args(ARGC("file", "/tmp/x"), ARGV("file", "/tmp/x"), &s),
		0);
	assert_int_equal(s.active_s, 60);
	assert_int_equal(s.idle_s, 15);
	assert_int_equal(s.refresh_s, 300);
	assert_int_equal(s.domain, 1);
	assert_int_equal(s.mtu, 1500);
	assert_int_equal(s.tcp_flags_len, 1);
	assert_int_equal(s.pen, 32473);
	assert_int_equal(s.spool_bytes, 16 << 20);
	assert_int_equal(s.samp_style, FG_SAMP_LEGACY);
	assert_int_equal(
		exp_args(ARGC("collector", "udp://192.0.2.1:2055", "collector",
			      "tcp://[2001:db8::1]:4739", "active-timeout",
			      "30", "idle-timeout", "5", "domain", "7", "mtu",
			      "9000", "spool", "2m", "tcp-flags-octets", "2",
			      "sampling-announce", "both", "enterprise", "0"),
			 ARGV("collector", "udp://192.0.2.1:2055", "collector",
			      "tcp://[2001:db8::1]:4739", "active-timeout",
			      "30", "idle-timeout", "5", "domain", "7", "mtu",
			      "9000", "spool", "2m", "tcp-flags-octets", "2",
			      "sampling-announce", "both", "enterprise", "0"),
			 &s),
		0);
	assert_int_equal(s.nurls, 2);
	assert_string_equal(s.urls[1], "tcp://[2001:db8::1]:4739");
	assert_int_equal(s.active_s, 30);
	assert_int_equal(s.idle_s, 5);
	assert_int_equal(s.domain, 7);
	assert_int_equal(s.mtu, 9000);
	assert_int_equal(s.spool_bytes, 2 << 20);
	assert_int_equal(s.tcp_flags_len, 2);
	assert_int_equal(s.samp_style, FG_SAMP_BOTH);
	assert_int_equal(s.pen, 0);
}

static void test_export_args_bad(void **state)
{
	static const char *const bad[][4] = {
		{NULL}, /* nothing to export to */
		{"collector", "http://192.0.2.1"},
		{"collector", "udp://"},
		{"collector"},
		{"collector", "udp://192.0.2.1", "mtu", "575"},
		{"collector", "udp://192.0.2.1", "mtu", "65536"},
		{"collector", "udp://192.0.2.1", "active-timeout", "0"},
		{"collector", "udp://192.0.2.1", "idle-timeout", "-1"},
		{"collector", "udp://192.0.2.1", "tcp-flags-octets", "3"},
		{"collector", "udp://192.0.2.1", "spool", "64"},
		{"collector", "udp://192.0.2.1", "spool", "1x"},
		{"collector", "udp://192.0.2.1", "sampling-announce", "x"},
		{"collector", "udp://192.0.2.1", "domain", "4294967296"},
		{"collector", "udp://192.0.2.1", "frobnicate", "1"},
		{"file", ""},
	};
	struct fg_exp_settings s;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int n = 0;

		while (n < 4 && bad[i][n])
			n++;
		assert_int_equal(exp_args(n, (char **)bad[i], &s), -FG_EUSAGE);
	}
	/* idle above active makes no sense: a usage error */
	assert_int_equal(exp_args(ARGC("file", "f", "active-timeout", "10",
				       "idle-timeout", "20"),
				  ARGV("file", "f", "active-timeout", "10",
				       "idle-timeout", "20"),
				  &s),
			 -FG_EUSAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u32),
		cmocka_unit_test(test_names_roundtrip),
		cmocka_unit_test(test_attach_args),
		cmocka_unit_test(test_attach_drop_rate),
		cmocka_unit_test(test_config_set_profile),
		cmocka_unit_test(test_config_set_check),
		cmocka_unit_test(test_config_set_flows),
		cmocka_unit_test(test_export_args),
		cmocka_unit_test(test_export_args_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
