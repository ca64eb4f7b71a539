// SPDX-License-Identifier: GPL-2.0
/* Unit tests of `replay`'s argument grammar (fg_args_replay in
 * ctl/cmd/replay.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "fg.h"
#include "cmds.h"
#include "replay_args.h"

struct fg_opts fg_opts;

#define ARGV(...)     ((char *[]){__VA_ARGS__, NULL})
#define ARGC(...)     ((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)))
#define PARSE(a, ...) fg_args_replay(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), a)

static void test_replay_path_only(void **state)
{
	struct fg_replay_args a;

	assert_int_equal(PARSE(&a, "x.pcap"), 0);
	assert_string_equal(a.path, "x.pcap");
	assert_int_equal(a.max_flows, 0); /* the default table */
	/* "-" alone is a file name, as for other tools. */
	assert_int_equal(PARSE(&a, "-"), 0);
	assert_string_equal(a.path, "-");
}

static void test_replay_several(void **state)
{
	struct fg_replay_args a;

	/* every word before the first keyword is a capture */
	assert_int_equal(
		PARSE(&a, "x.pcap", "y.pcapng", "z", "max-flows", "16"), 0);
	assert_int_equal(a.npaths, 3);
	assert_string_equal(a.paths[0], "x.pcap");
	assert_string_equal(a.paths[2], "z");
	assert_string_equal(a.path, "x.pcap");
	assert_int_equal(a.max_flows, 16);
	assert_int_equal(PARSE(&a, "x.pcap"), 0);
	assert_int_equal(a.npaths, 1);
	/* one output file each: FILE names them with {} */
	assert_int_equal(PARSE(&a, "x.pcap", "y.pcap", "ipfix", "o.ipfix"),
			 -FG_EUSAGE);
	assert_int_equal(PARSE(&a, "x.pcap", "y.pcap", "ipfix", "{}.ipfix"), 0);
	assert_int_equal(PARSE(&a, "x.pcap", "y.pcap", "capture", "o.pcapng"),
			 -FG_EUSAGE);
	assert_int_equal(
		PARSE(&a, "x.pcap", "y.pcap", "capture", "{}.pcapng", "all"),
		0);
	assert_int_equal(PARSE(&a, "x.pcap", "ipfix", "o.ipfix"), 0);
}

static void test_replay_max_flows(void **state)
{
	struct fg_replay_args a;

	assert_int_equal(PARSE(&a, "x.pcap", "max-flows", "16"), 0);
	assert_int_equal(a.max_flows, 16);
	assert_int_equal(PARSE(&a, "x.pcap", "max-flows", "16777216"), 0);
	assert_int_equal(a.max_flows, FG_MAX_FLOWS);
	assert_int_equal(PARSE(&a, "x.pcap", "max-flows", "15"), -FG_EUSAGE);
	assert_int_equal(PARSE(&a, "x.pcap", "max-flows", "16777217"),
			 -FG_EUSAGE);
	assert_int_equal(PARSE(&a, "x.pcap", "max-flows", "1k"), -FG_EUSAGE);
	assert_int_equal(PARSE(&a, "x.pcap", "max-flows"), -FG_EUSAGE);
	/* the last one given wins, as with attach */
	assert_int_equal(
		PARSE(&a, "x.pcap", "max-flows", "32", "max-flows", "64"), 0);
	assert_int_equal(a.max_flows, 64);
}

static void test_replay_usage(void **state)
{
	struct fg_replay_args a;

	assert_int_equal(fg_args_replay(0, ARGV(NULL), &a), -FG_EUSAGE);
	assert_int_equal(PARSE(&a, "--fast"), -FG_EUSAGE);
	/* after the first keyword, a bare word is no capture */
	assert_int_equal(PARSE(&a, "x.pcap", "max-flows", "16", "extra"),
			 -FG_EUSAGE);
	assert_int_equal(PARSE(&a, "x.pcap", "idle-timeout"), -FG_EUSAGE);
	assert_int_equal(PARSE(&a, "x.pcap", "ipfix"), -FG_EUSAGE);
}

static void test_replay_export(void **state)
{
	struct fg_replay_args a;

	assert_int_equal(PARSE(&a, "x.pcap", "ipfix", "o.ipfix",
			       "active-timeout", "2", "idle-timeout", "1",
			       "config", "fg.conf"),
			 0);
	assert_string_equal(a.ipfix, "o.ipfix");
	assert_string_equal(a.config, "fg.conf");
	assert_int_equal(a.active_s, 2);
	assert_int_equal(a.idle_s, 1);
	assert_int_equal(a.ncollectors, 0);
	/* timeouts unset: 0, the config file or the default decides */
	assert_int_equal(PARSE(&a, "x.pcap", "idle-timeout", "5"), 0);
	assert_int_equal(a.active_s, 0);
	/* collectors are normalised as in the config file: port 4739 */
	assert_int_equal(PARSE(&a, "x.pcap", "collector", "udp://192.0.2.1",
			       "collector", "tcp://[2001:db8::1]:9995"),
			 0);
	assert_int_equal(a.ncollectors, 2);
	assert_string_equal(a.collector[0], "udp://192.0.2.1:4739");
	assert_string_equal(a.collector[1], "tcp://[2001:db8::1]:9995");
	assert_null(a.ipfix);
}

static void test_replay_export_bad(void **state)
{
	struct fg_replay_args a;

	assert_int_equal(PARSE(&a, "x.pcap", "active-timeout", "0"),
			 -FG_EUSAGE);
	assert_int_equal(PARSE(&a, "x.pcap", "idle-timeout", "86401"),
			 -FG_EUSAGE);
	assert_int_equal(
		PARSE(&a, "x.pcap", "active-timeout", "2", "idle-timeout", "3"),
		-FG_EUSAGE);
	assert_int_equal(PARSE(&a, "x.pcap", "collector", "http://x"),
			 -FG_EUSAGE);
	assert_int_equal(PARSE(&a, "x.pcap", "ipfix", ""), -FG_EUSAGE);
	/* at most FG_MAX_COLLECTORS (7), as export and the config file */
	assert_int_equal(PARSE(&a, "x.pcap", "collector", "udp://a",
			       "collector", "udp://b", "collector", "udp://c",
			       "collector", "udp://d", "collector", "udp://e",
			       "collector", "udp://f", "collector", "udp://g",
			       "collector", "udp://h"),
			 -FG_EUSAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_path_only),
		cmocka_unit_test(test_replay_several),
		cmocka_unit_test(test_replay_max_flows),
		cmocka_unit_test(test_replay_usage),
		cmocka_unit_test(test_replay_export),
		cmocka_unit_test(test_replay_export_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
