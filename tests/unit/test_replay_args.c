// SPDX-License-Identifier: GPL-2.0
/* Unit tests of `replay`'s argument grammar (fg_args_replay in ctl/args.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include "fg.h"

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
	assert_int_equal(PARSE(&a, "x.pcap", "extra"), -FG_EUSAGE);
	assert_int_equal(PARSE(&a, "x.pcap", "idle-timeout", "5"), -FG_EUSAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_path_only),
		cmocka_unit_test(test_replay_max_flows),
		cmocka_unit_test(test_replay_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
