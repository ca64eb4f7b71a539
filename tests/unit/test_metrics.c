// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the Prometheus exposition (ctl/metrics/mx_prom.c), the
 * health verdict, the listen address grammar and the log lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "mx.h"

struct fg_opts fg_opts;

static const struct fg_mx_build build = {"1.2.3", "6.1.0-test"};

static char *render(const struct fg_mx *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fg_mx_prom(f, m, &build);
	fclose(f);
	return buf;
}

static void has(const char *text, const char *line)
{
	char *want;

	assert_true(asprintf(&want, "\n%s\n", line) > 0);
	if (!strstr(text, want))
		fail_msg("missing line: %s", line);
	free(want);
}

static void test_iface_and_reasons(void **state)
{
	struct fg_iface_stats is = {.name = "eth\"0", .ifindex = 3};
	struct fg_mx m = {.ifaces = &is,
			  .niface = 1,
			  .attached = 1,
			  .exp_err = -ENOENT,
			  .rtt_err = -ENOENT,
			  .rules_err = -ENOENT,
			  .flows = 7,
			  .capacity = 65536,
			  .slots = 81920,
			  .region_fill = 0.5,
			  .region_mark = 0.875};
	char *t;

	is.in.rx_packets = 10;
	is.in.rx_bytes = 1000;
	is.in.pass_packets = 7;
	is.in.pass_bytes = 700;
	is.in.drop_packets[FG_R_LAND] = 3;
	is.in.drop_bytes[FG_R_LAND] = 300;
	is.in.matched[FG_R_LAND] = 3;
	is.in.rxq_packets[2] = 10;
	is.in.rxq_octets[2] = 1000;
	is.out.flows.packets = 5;
	t = render(&m);
	has(t,
	    "flowgate_build_info{version=\"1.2.3\",kernel=\"6.1.0-test\"} 1");
	/* the quote in the name is escaped */
	has(t, "flowgate_received_packets_total{interface=\"eth\\\"0\"} 10");
	has(t, "flowgate_passed_bytes_total{interface=\"eth\\\"0\"} 700");
	has(t, "flowgate_dropped_packets_total{interface=\"eth\\\"0\"} 3");
	has(t, "flowgate_drop_reason_packets_total{interface=\"eth\\\"0\","
	       "reason=\"land\"} 3");
	/* every reason is there, zero or not */
	has(t, "flowgate_drop_reason_packets_total{interface=\"eth\\\"0\","
	       "reason=\"eth-trunc\"} 0");
	has(t, "flowgate_rx_queue_packets_total{interface=\"eth\\\"0\","
	       "queue=\"2\"} 10");
	assert_null(strstr(t, "queue=\"3\""));
	has(t, "flowgate_flow_packets_total{interface=\"eth\\\"0\","
	       "direction=\"out\"} 5");
	has(t, "flowgate_flow_table_entries 7");
	has(t, "flowgate_flow_table_capacity 65536");
	has(t, "flowgate_flow_table_slots 81920");
	has(t, "flowgate_flow_table_region_fill_ratio 0.500000");
	has(t, "flowgate_flow_table_region_mark_ratio 0.875000");
	has(t, "# TYPE flowgate_received_packets_total counter");
	/* absent parts have no series at all */
	assert_null(strstr(t, "flowgate_exporter_"));
	assert_null(strstr(t, "flowgate_tcp_rtt"));
	free(t);
}

static void test_rtt_histogram(void **state)
{
	struct fg_mx m = {
		.exp_err = -ENOENT, .rules_err = -ENOENT, .state_err = -ENOENT};
	char *t;

	m.rtt.hist.slots[0] = 1;		/* 0-1 us */
	m.rtt.hist.slots[6] = 2;		/* 64-127 us */
	m.rtt.hist.slots[FG_RTT_SLOTS - 1] = 1; /* 2^31 us and above */
	m.rtt.samples = 4;
	m.rtt.sum_us = 1 + 100 + 101 + 3000000000ull;
	t = render(&m);
	has(t, "# TYPE flowgate_tcp_rtt_seconds histogram");
	has(t, "flowgate_tcp_rtt_seconds_bucket{le=\"0.000002\"} 1");
	has(t, "flowgate_tcp_rtt_seconds_bucket{le=\"0.000064\"} 1");
	has(t, "flowgate_tcp_rtt_seconds_bucket{le=\"0.000128\"} 3");
	has(t, "flowgate_tcp_rtt_seconds_bucket{le=\"2147.483648\"} 3");
	has(t, "flowgate_tcp_rtt_seconds_bucket{le=\"+Inf\"} 4");
	has(t, "flowgate_tcp_rtt_seconds_sum 3000.000202");
	has(t, "flowgate_tcp_rtt_seconds_count 4");
	has(t, "flowgate_up 0");
	assert_null(strstr(t, "flowgate_received_packets_total{"));
	free(t);
}

static void test_exporter_and_rules(void **state)
{
	struct fg_mx_rule r[2] = {{5, {9, 900, 1}}, {12, {0, 0, 0}}};
	struct fg_mx m = {.rtt_err = -ENOENT,
			  .rules = r,
			  .nrules = 2,
			  .rules_total = 150,
			  .exp_running = true};
	char *t;

	m.exp.nouts = 1;
	m.exp.rec_idle = 4;
	m.exp.rec_overflow = 1;
	m.exp.sweep_ns = 1500000;
	snprintf(m.exp.out[0].url, FG_URL_LEN, "tcp://[2001:db8::9]:4739");
	m.exp.out[0].kind = FG_OUT_TCP;
	m.exp.out[0].up = 1;
	m.exp.out[0].spool_bytes = 4096;
	t = render(&m);
	has(t, "flowgate_rules 150");
	has(t, "flowgate_rule_series_omitted 148");
	has(t, "flowgate_rule_matched_packets_total{rule_id=\"5\"} 9");
	has(t, "flowgate_rule_matched_bytes_total{rule_id=\"5\"} 900");
	has(t, "flowgate_rule_matched_packets_total{rule_id=\"12\"} 0");
	has(t, "flowgate_exporter_up 1");
	has(t,
	    "flowgate_exporter_records_total{end_reason=\"idle_timeout\"} 4");
	has(t, "flowgate_exporter_records_total{end_reason="
	       "\"lack_of_resources\"} 1");
	has(t, "flowgate_exporter_last_sweep_duration_seconds 0.0015");
	has(t, "flowgate_exporter_spool_bytes{output="
	       "\"tcp://[2001:db8::9]:4739\",transport=\"tcp\"} 4096");
	has(t, "flowgate_exporter_output_up{output="
	       "\"tcp://[2001:db8::9]:4739\",transport=\"tcp\"} 1");
	free(t);
}

static void test_health(void **state)
{
	struct fg_mx m = {.attached = 1, .exp_err = -ENOENT};
	char why[256];

	assert_int_equal(fg_mx_health(&m, why, sizeof(why)), 0);
	assert_string_equal(why, "ok");
	m.attached = 0;
	assert_int_equal(fg_mx_health(&m, why, sizeof(why)), -ENODEV);
	assert_string_equal(why, "no interface attached");
	m.attached = 1;
	snprintf(m.detached, sizeof(m.detached), "eth1");
	assert_int_equal(fg_mx_health(&m, why, sizeof(why)), -ENODEV);
	assert_string_equal(why, "the program attached to eth1 is gone");
	m.detached[0] = '\0';
	m.exp_err = 0;
	m.exp_running = false;
	assert_int_equal(fg_mx_health(&m, why, sizeof(why)), -ESRCH);
	m.exp_running = true;
	m.exp.nouts = 1;
	snprintf(m.exp.out[0].url, FG_URL_LEN, "tcp://192.0.2.9:4739");
	assert_int_equal(fg_mx_health(&m, why, sizeof(why)), -ENOTCONN);
	assert_string_equal(why, "output tcp://192.0.2.9:4739 is down");
	m.exp.out[0].up = 1;
	m.exp.out[0].last_lost_ms = (__u64)time(NULL) * 1000;
	assert_int_equal(fg_mx_health(&m, why, sizeof(why)), -EIO);
	m.exp.out[0].last_lost_ms -= 120000; /* two minutes ago */
	assert_int_equal(fg_mx_health(&m, why, sizeof(why)), 0);
}

static void test_table_recount(void **state)
{
	const __u64 s = 1000000000ull, ms = 1000000ull;

	assert_true(fg_mx_table_due(5 * s, 0, 0)); /* never counted */
	/* a count that took 1 ms is good for 100 ms */
	assert_false(fg_mx_table_due(5 * s + 99 * ms, 5 * s, ms));
	assert_true(fg_mx_table_due(5 * s + 100 * ms, 5 * s, ms));
	/* half a second (a million flows): 50 s */
	assert_false(fg_mx_table_due(60 * s, 11 * s, 500 * ms));
	assert_true(fg_mx_table_due(61 * s, 11 * s, 500 * ms));
}

static void test_listen_addr(void **state)
{
	struct sockaddr_storage sa;
	__u32 len;

	assert_int_equal(fg_mx_http_parse_addr("127.0.0.1:9464", &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&sa)->sin_port), 9464);
	assert_int_equal(fg_mx_http_parse_addr("[::1]:9464", &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_int_equal(fg_mx_http_parse_addr("0.0.0.0:1", &sa, &len), 0);
	assert_int_equal(fg_mx_http_parse_addr("::1:9464", &sa, &len), -EINVAL);
	assert_int_equal(fg_mx_http_parse_addr("[::1]", &sa, &len), -EINVAL);
	assert_int_equal(fg_mx_http_parse_addr("localhost:80", &sa, &len),
			 -EINVAL);
	assert_int_equal(fg_mx_http_parse_addr("127.0.0.1:0", &sa, &len),
			 -EINVAL);
	assert_int_equal(fg_mx_http_parse_addr("127.0.0.1:65536", &sa, &len),
			 -EINVAL);
	assert_int_equal(fg_mx_http_parse_addr(":80", &sa, &len), -EINVAL);
}

/* The log lines of one call, captured from stderr. */
static char *log_of(void (*fn)(void))
{
	char *buf = calloc(1, 4096);
	int fds[2], saved;
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	saved = dup(2);
	dup2(fds[1], 2);
	fn();
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	n = read(fds[0], buf, 4095);
	close(fds[0]);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void log_three(void)
{
	fg_log(FG_LOG_INFO, "listen", "addr=%s\tport=%u\tpath=%s", "127.0.0.1",
	       9464u, "a \"b\"");
	fg_log(FG_LOG_ERR, "send_failed", "output=%s", "udp://192.0.2.1:4739");
	fg_log(FG_LOG_ERR, "send_failed", "output=%s", "udp://192.0.2.1:4739");
}

static void log_established(void)
{
	int i;

	for (i = 0; i < 2; i++)
		fg_logt(FG_LOG_ERR | FG_LOG_NOLIMIT, "refused",
			"Error: f.conf:3: bad; the configuration in force "
			"stays",
			"file=%s\tline=%u", "f.conf", 3u);
	fg_logt(FG_LOG_INFO, "applied", "flowgate daemon: applied f.conf",
		"file=%s", "f.conf");
}

/* The daemons' established text lines stay as they were; JSON has them as
 * "msg" beside the fields. */
static void test_log_established(void **state)
{
	char *t;

	assert_int_equal(fg_log_set_format("text"), 0);
	t = log_of(log_established);
	assert_string_equal(
		t, "Error: f.conf:3: bad; the configuration in force stays\n"
		   "Error: f.conf:3: bad; the configuration in force stays\n"
		   "flowgate daemon: applied f.conf\n");
	free(t);
	assert_int_equal(fg_log_set_format("json"), 0);
	t = log_of(log_established);
	/* not rate-limited: both refusals are there */
	assert_non_null(strstr(strstr(t, "\"event\":\"refused\"") + 1,
			       "\"event\":\"refused\""));
	assert_non_null(strstr(t, "\"level\":\"error\",\"event\":\"refused\","
				  "\"msg\":\"Error: f.conf:3: bad; the "
				  "configuration in force stays\",\"file\":"
				  "\"f.conf\",\"line\":3}\n"));
	assert_non_null(strstr(t, "\"event\":\"applied\",\"msg\":"
				  "\"flowgate daemon: applied f.conf\","
				  "\"file\":\"f.conf\"}\n"));
	free(t);
	fg_log_set_format("text");
}

static void test_log(void **state)
{
	char *t, *p;

	assert_int_equal(fg_log_set_format("yaml"), -EINVAL);
	assert_int_equal(fg_log_set_format("json"), 0);
	t = log_of(log_three);
	/* the repeated error is rate-limited: two lines, not three */
	p = strchr(t, '\n');
	assert_non_null(p);
	assert_non_null(strchr(p + 1, '\n'));
	assert_null(strchr(strchr(p + 1, '\n') + 1, '\n'));
	assert_non_null(strstr(t, "\"level\":\"info\",\"event\":\"listen\","
				  "\"addr\":\"127.0.0.1\",\"port\":9464,"
				  "\"path\":\"a \\\"b\\\"\"}\n"));
	assert_non_null(strstr(p, "\"level\":\"error\",\"event\":"
				  "\"send_failed\",\"output\":"
				  "\"udp://192.0.2.1:4739\"}\n"));
	free(t);
	assert_int_equal(fg_log_set_format("text"), 0);
	t = log_of(log_three);
	assert_non_null(strstr(t, " level=info event=listen addr=127.0.0.1 "
				  "port=9464 path=\"a \\\"b\\\"\"\n"));
	/* still within the interval: the error stays suppressed */
	assert_null(strstr(t, "send_failed"));
	free(t);
}

static void log_two_outputs(void)
{
	static const char *const url[] = {"tcp://192.0.2.1:4739",
					  "tcp://192.0.2.2:4739",
					  "tcp://192.0.2.1:4739"};
	char t[64];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(t, sizeof(t), "export: %s: refused", url[i]);
		fg_logt(FG_LOG_WARN, "output_down", t, "output=%s\terror=%s",
			url[i], "refused");
	}
}

/* The limit is per event and subject (the first field): one output's
 * failures never hide another's, and each is still limited. */
static void test_log_subjects(void **state)
{
	char *t;

	assert_int_equal(fg_log_set_format("text"), 0);
	t = log_of(log_two_outputs);
	assert_string_equal(t, "export: tcp://192.0.2.1:4739: refused\n"
			       "export: tcp://192.0.2.2:4739: refused\n");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iface_and_reasons),
		cmocka_unit_test(test_rtt_histogram),
		cmocka_unit_test(test_exporter_and_rules),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_table_recount),
		cmocka_unit_test(test_listen_addr),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_log_established),
		cmocka_unit_test(test_log_subjects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
