// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the kernel feature table and the verifier log report
 * (ctl/lib/kfeat.c, ctl/lib/vlog.c), without a kernel: versions, the
 * error line, FLOWGATE_FAKE_KFEAT (a faked feature is never probed), the
 * last lines of a log and the report's format. */
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
#include <cmocka.h>
#include "fg.h"
#include "kfeat.h"

struct fg_opts fg_opts;

static void test_kver_parse(void **state)
{
	unsigned int v;

	assert_int_equal(fg_kver_parse("6.1.0-57-amd64", &v), 0);
	assert_int_equal(v, FG_KVER(6, 1));
	assert_int_equal(fg_kver_parse("5.14.0-427.13.1.el9_4.x86_64", &v), 0);
	assert_int_equal(v, FG_KVER(5, 14));
	assert_int_equal(fg_kver_parse("6.18.44-fc-v1300", &v), 0);
	assert_int_equal(v, FG_KVER(6, 18) + 44);
	assert_int_equal(fg_kver_parse("6.10", &v), 0);
	assert_int_equal(v, FG_KVER(6, 10));
	assert_int_equal(fg_kver_parse("5.10.300", &v), 0);
	assert_int_equal(v, FG_KVER(5, 10) + 255); /* patch saturates */
	assert_true(FG_KVER(5, 10) + 255 < FG_KVER(5, 11));
	assert_int_equal(fg_kver_parse("linux", &v), -EINVAL);
	assert_int_equal(fg_kver_parse("6", &v), -EINVAL);
	assert_int_equal(fg_kver_parse("6.x", &v), -EINVAL);
	assert_int_equal(fg_kver_parse("", &v), -EINVAL);
}

/* Every feature is complete, named once, and its first release is one
 * the manual's "Kernels" section gives. */
static void test_table(void **state)
{
	static const struct {
		const char *name;
		unsigned int since;
	} want[] = {
		{"btf", FG_KVER(5, 4)},
		{"xdp", FG_KVER(4, 8)},
		{"tc", FG_KVER(4, 5)},
		{"tcx", FG_KVER(6, 6)},
		{"coarse_clock", FG_KVER(5, 11)},
		{"xdp_test_ctx", FG_KVER(5, 15)},
		{"sock_ops", FG_KVER(4, 13)},
		{"rtt_cb_args", FG_KVER(6, 10)},
		{"freplace", FG_KVER(5, 10)},
		{"ringbuf", FG_KVER(5, 8)},
		{"xdp_load_bytes", FG_KVER(5, 18)},
	};
	const struct fg_kfeat *f;
	size_t i;
	int id;

	assert_int_equal(sizeof(want) / sizeof(want[0]), FG_KF_MAX);
	for (i = 0; i < FG_KF_MAX; i++) {
		f = fg_kfeat_get(i);
		assert_non_null(f);
		assert_non_null(f->what);
		assert_non_null(f->probe);
		assert_true(strlen(f->name) <= 15);
		id = fg_kfeat_by_name(want[i].name);
		assert_int_equal(id, (int)i);
		assert_int_equal(fg_kfeat_get(id)->since, want[i].since);
	}
	assert_int_equal(fg_kfeat_by_name("nope"), -1);
	assert_null(fg_kfeat_get(FG_KF_MAX));
}

/* Faked features are missing without a probe (no kernel here). */
static void test_fake(void **state)
{
	setenv("FLOWGATE_FAKE_KFEAT", "ringbuf,xdp", 1);
	assert_true(fg_kfeat_faked(FG_KF_RINGBUF));
	assert_true(fg_kfeat_faked(FG_KF_XDP));
	assert_false(fg_kfeat_faked(FG_KF_XDP_TEST_CTX)); /* prefix only */
	assert_false(fg_kfeat_faked(FG_KF_TC));
	assert_false(fg_kfeat_has(FG_KF_RINGBUF));
	assert_false(fg_kfeat_has(FG_KF_XDP));
	setenv("FLOWGATE_FAKE_KFEAT", ",,xdp_test_ctx,", 1);
	assert_true(fg_kfeat_faked(FG_KF_XDP_TEST_CTX));
	assert_false(fg_kfeat_faked(FG_KF_XDP));
	setenv("FLOWGATE_FAKE_KFEAT", "all", 1);
	assert_true(fg_kfeat_faked(FG_KF_RINGBUF));
	assert_false(fg_kfeat_has(FG_KF_RTT_ARGS));
	assert_string_equal(fg_kfeat_rtt_mode(), "coarse");
	unsetenv("FLOWGATE_FAKE_KFEAT");
	assert_false(fg_kfeat_faked(FG_KF_XDP));
}

static void test_msg(void **state)
{
	char buf[512];

	fg_kfeat_msg(buf, sizeof(buf), "5.10.0-30-amd64",
		     fg_kfeat_get(FG_KF_COARSE_NS), "still works: rtt enable");
	assert_string_equal(buf, "Linux 5.10.0-30-amd64 lacks "
				 "bpf_ktime_get_coarse_ns() (Linux 5.11 and "
				 "later); still works: rtt enable");
	fg_kfeat_msg(buf, sizeof(buf), "5.3.0", fg_kfeat_get(FG_KF_BTF), "x");
	assert_string_equal(buf, "Linux 5.3.0 lacks kernel BTF "
				 "(/sys/kernel/btf/vmlinux) (Linux 5.4 and "
				 "later, CONFIG_DEBUG_INFO_BTF); x");
}

/* Run fn with stderr into a file; return what it wrote (static). */
static const char *stderr_of(int (*fn)(void *), void *arg, int *ret)
{
	static char out[65536];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	*ret = fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return out;
}

static int need_capture(void *arg)
{
	return fg_kfeat_check_capture();
}

/* The check of a command: one Error: line, -EOPNOTSUPP, the first thing
 * missing named. */
static void test_need(void **state)
{
	const char *out;
	int ret;

	setenv("FLOWGATE_FAKE_KFEAT", "ringbuf,coarse_clock", 1);
	out = stderr_of(need_capture, NULL, &ret);
	assert_int_equal(ret, -EOPNOTSUPP);
	assert_non_null(strstr(out, "Error: Linux "));
	assert_non_null(strstr(out, " lacks bpf_ktime_get_coarse_ns() (Linux "
				    "5.11 and later); still works: "));
	/* one line */
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	unsetenv("FLOWGATE_FAKE_KFEAT");
}

static void test_tail(void **state)
{
	const char *log = "a\nb\nc\nd\n\n";
	const char *t;
	size_t len;

	t = fg_vlog_tail(log, 2, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(t, "c\nd", 3);
	t = fg_vlog_tail(log, 10, &len);
	assert_ptr_equal(t, log);
	assert_int_equal(len, 7);
	t = fg_vlog_tail("one line", 10, &len);
	assert_int_equal(len, 8);
	t = fg_vlog_tail("", 10, &len);
	assert_int_equal(len, 0);
}

/* A log of 30 lines, as libbpf hands it to the print callback. */
static char *fake_libbpf_msg(void)
{
	char *msg = malloc(4096);
	size_t n;
	int i;

	n = sprintf(msg, "libbpf: prog 'fg_reject': -- BEGIN PROG LOAD LOG "
			 "--\n");
	for (i = 0; i < 29; i++)
		n += sprintf(msg + n, "%d: (b7) r0 = %d\n", i, i);
	n += sprintf(msg + n, "invalid access to packet, off=0 size=1\n"
			      "-- END PROG LOAD LOG --\n");
	return msg;
}

static int report(void *arg)
{
	return fg_vlog_report(arg);
}

static void test_report(void **state)
{
	char *msg = fake_libbpf_msg();
	const char *out, *p;
	int ret, lines = 0;

	/* Outside begin/end nothing is kept. */
	fg_vlog_feed(msg);
	out = stderr_of(report, "cannot load", &ret);
	assert_int_equal(ret, 0);
	assert_string_equal(out, "");

	fg_vlog_begin();
	fg_vlog_feed("libbpf: prog 'fg_reject': BPF program load failed: "
		     "Permission denied\n");
	assert_false(fg_vlog_owns("libbpf: some warning\n"));
	assert_true(fg_vlog_owns(msg));
	fg_vlog_feed(msg);
	unsetenv("FLOWGATE_DEBUG");
	out = stderr_of(report, "cannot load the XDP program", &ret);
	assert_int_equal(ret, 1);
	p = strchr(out, '\n');
	assert_non_null(p);
	assert_true(!strncmp(out,
			     "Error: cannot load the XDP program: the "
			     "verifier of Linux ",
			     56));
	assert_non_null(strstr(out, " rejected program fg_reject; its last "
				    "lines (FLOWGATE_DEBUG=1 shows the whole "
				    "log):\n"));
	for (p = out; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 1 + 10);
	assert_non_null(strstr(out, "\n  20: (b7) r0 = 20\n"));
	assert_null(strstr(out, "19: (b7)"));
	assert_non_null(strstr(out, "\n  invalid access to packet, off=0 "
				    "size=1\n"));
	fg_vlog_end();

	/* FLOWGATE_DEBUG=1: the whole log. */
	fg_vlog_begin();
	fg_vlog_feed(msg);
	setenv("FLOWGATE_DEBUG", "1", 1);
	out = stderr_of(report, "cannot load", &ret);
	unsetenv("FLOWGATE_DEBUG");
	assert_int_equal(ret, 1);
	assert_non_null(strstr(out, "rejected program fg_reject; its log:\n"));
	for (lines = 0, p = out; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, 1 + 30);
	assert_non_null(strstr(out, "\n  0: (b7) r0 = 0\n"));
	fg_vlog_end();

	/* After end, nothing is left to report. */
	out = stderr_of(report, "cannot load", &ret);
	assert_int_equal(ret, 0);
	free(msg);
}

static void test_func(void **state)
{
	char f[80];

	fg_vlog_func("func#0 @0\nfunc#1 @40\nValidating fg_xdp_frame() "
		     "func#1...\n0: R1=ctx()\nmath between pkt pointer\n",
		     f, sizeof(f));
	assert_string_equal(f, "fg_xdp_frame");
	/* validated, then the main program failed */
	fg_vlog_func("Validating fg_a() func#1...\n1: ok\nFunc#1 ('fg_a') is "
		     "safe for any args that match its prototype\n0: (b7) "
		     "r0 = 0\ninvalid access\n",
		     f, sizeof(f));
	assert_string_equal(f, "");
	fg_vlog_func("Validating fg_a() func#1...\nFunc#1 is safe for any "
		     "args that match its prototype\nValidating fg_b() "
		     "func#2...\nR1 invalid mem access\n",
		     f, sizeof(f));
	assert_string_equal(f, "fg_b");
	fg_vlog_func("0: (b7) r0 = 0\ninvalid access\n", f, sizeof(f));
	assert_string_equal(f, "");
}

static void test_kernel_hz(void **state)
{
	unsigned int hz = fg_kernel_hz();
	struct timespec ts;

	assert_int_equal(fg_hz_of_tick(4000000), 250);
	assert_int_equal(fg_hz_of_tick(1000000), 1000);
	assert_int_equal(fg_hz_of_tick(3333333), 300); /* TICK_NSEC at 300 */
	assert_int_equal(fg_hz_of_tick(10000000), 100);
	assert_int_equal(fg_hz_of_tick(0), 0);
	assert_int_equal(fg_hz_of_tick(1000), 0);	/* 1 MHz: no tick */
	assert_int_equal(fg_hz_of_tick(1000000000), 0); /* 1 Hz */
	/* The running kernel's, from its coarse clock; read once. */
	assert_int_equal(clock_getres(CLOCK_MONOTONIC_COARSE, &ts), 0);
	assert_int_equal(hz, fg_hz_of_tick(ts.tv_nsec));
	assert_int_equal(fg_kernel_hz(), hz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kver_parse), cmocka_unit_test(test_table),
		cmocka_unit_test(test_fake),	   cmocka_unit_test(test_msg),
		cmocka_unit_test(test_need),	   cmocka_unit_test(test_tail),
		cmocka_unit_test(test_report),	   cmocka_unit_test(test_func),
		cmocka_unit_test(test_kernel_hz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
