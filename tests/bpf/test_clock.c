// SPDX-License-Identifier: GPL-2.0
/*
 * The data path's clock (bpf/lib/fg_clock.bpf.h, ctl/lib/clock.c): flow
 * times are CLOCK_MONOTONIC ns that every reader compares with its own
 * clock_gettime(), so a flow time must never be later than the clock read
 * right after its packet (an unsigned now - last would wrap), and no more
 * than two ticks earlier than the coarse clock read right before it (the
 * kernel's tick: under emulation ticks come late, and the coarse clock,
 * the helper's, lags with them). Checked run
 * by run over several ticks for fg_xdp on the jiffies clock (jiffies times
 * the tick plus the base found at load), on the helper it falls back to
 * (fg_clock_tick 0), and for fg_tc_in; the jiffies clock is what the
 * programs read (fg_xdp's base moved back a second moves its flow times
 * back a second) and costs no helper call (fg_xdp's translated code has
 * one call fewer than with the helper: the verifier inlines jiffies).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fgtest.h"
#include "pkt.h"
#include "flowgate_xdp.skel.h"
#include "flowgate_tc.skel.h"

#define NS_MS 1000000ll
#define NS_S  1000000000ll

static __u64 tick;

static __s64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * NS_S + ts.tv_nsec;
}

static __s64 mono(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* UDP 192.0.2.1:40000 -> 198.51.100.2:53, and its flow key on ingress. */
static void frame_udp(struct pkt *p, struct fg_flow_key *k)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ip4(p, "192.0.2.1", "198.51.100.2");
	pkt_udp(p, 40000, 53);
	pkt_data(p, "payload", 8);
	pkt_finish(p);
	memset(k, 0, sizeof(*k));
	k->ifindex = FGT_IFINDEX;
	k->dir = FG_DIR_IN;
	k->ip_ver = 4;
	k->proto = IPPROTO_UDP;
	k->eth_proto = 0x0800;
	k->src[10] = k->src[11] = k->dst[10] = k->dst[11] = 0xff;
	pkt_addr(AF_INET, "192.0.2.1", k->src + 12);
	pkt_addr(AF_INET, "198.51.100.2", k->dst + 12);
	k->sport = htons(40000);
	k->dport = htons(53);
}

/* One packet of the flow through a program; 0 or -errno. */
typedef int run_fn(void *ctx, const struct pkt *p);

struct span {
	int runs, errs, missing, late, early, first_bad;
	__s64 max_ahead, max_lag; /* ns */
};

/* Packets of one flow for span_ns (and at least 5 ticks): each run's
 * flow time (plus back, a base moved back) against the coarse clock read
 * right before the run and CLOCK_MONOTONIC read right after it. */
static struct span run_span(run_fn *run, void *ctx, const struct fg_ft *ft,
			    __s64 back, __s64 span_ns)
{
	struct span s = {.max_ahead = INT64_MIN, .max_lag = INT64_MIN};
	__s64 t0 = mono(), bc, a, at;
	struct fg_flow_val v;
	struct fg_flow_key k;
	struct pkt p;

	frame_udp(&p, &k);
	if (span_ns < 5 * (__s64)tick)
		span_ns = 5 * (__s64)tick;
	do {
		bc = clock_ns(CLOCK_MONOTONIC_COARSE);
		if (run(ctx, &p)) {
			s.errs++;
			break;
		}
		a = mono();
		if (fg_ft_get(ft, &k, &v) || !v.packets) {
			s.missing++;
			break;
		}
		at = (__s64)v.last_ns + back;
		if (!s.runs++ && v.first_ns != v.last_ns)
			s.first_bad++;
		s.late += at > a;
		s.early += at < bc - 2 * (__s64)tick;
		if (at - a > s.max_ahead)
			s.max_ahead = at - a;
		if (bc - at > s.max_lag)
			s.max_lag = bc - at;
	} while (a - t0 < span_ns);
	return s;
}

static void report(const char *what, const struct span *s)
{
	if (!fgt_ok(!s->errs && !s->missing && s->runs > 0,
		    "%s: %d runs, the flow found after each", what, s->runs))
		return;
	fgt_ok(!s->first_bad,
	       "%s: the flow's first time is its last after "
	       "one packet",
	       what);
	fgt_ok(!s->late,
	       "%s: no flow time after the clock read right after its run "
	       "(%d were; latest %lld ns before it)",
	       what, s->late, (long long)-s->max_ahead);
	fgt_ok(!s->early,
	       "%s: no flow time two ticks before the coarse clock read "
	       "right before its run (%d were; at most %lld us before it)",
	       what, s->early, (long long)s->max_lag / 1000);
}

static int xdp_run(void *ctx, const struct pkt *p)
{
	struct fgt_result r;

	return fgt_run(ctx, p->b, p->len, &r);
}

/* Clock settings of the next fgt_open(), applied after the loader's. */
static int clk_mode;
#define CLK_HELPER 1
#define CLK_BACK   2 /* the loader's, its base moved back a second */

static void pre_load(struct flowgate_xdp *skel)
{
	if (clk_mode == CLK_HELPER)
		skel->rodata->fg_clock_tick = 0;
	if (clk_mode == CLK_BACK)
		skel->rodata->fg_clock_base -= NS_S;
}

static int open_mode(struct fgt *t, int mode)
{
	int err;

	clk_mode = mode;
	fgt_pre_load = pre_load;
	err = fgt_open(t);
	fgt_pre_load = NULL;
	return err;
}

/* Helper calls in a loaded program's translated code (subprograms
 * included); -1 when it cannot be read. */
static int helper_calls(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), i, n;
	struct bpf_insn *insns;
	int calls = 0;

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) ||
	    !info.xlated_prog_len)
		return -1;
	n = info.xlated_prog_len / sizeof(*insns);
	insns = calloc(n, sizeof(*insns));
	if (!insns)
		return -1;
	memset(&info, 0, sizeof(info));
	info.xlated_prog_len = n * sizeof(*insns);
	info.xlated_prog_insns = (__u64)(unsigned long)insns;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		free(insns);
		return -1;
	}
	for (i = 0; i < n; i++)
		calls += insns[i].code == (BPF_JMP | BPF_CALL) &&
			 insns[i].src_reg == 0;
	free(insns);
	return calls;
}

/* fg_xdp loads twice (each load is a second of verification, more in
 * the kernel matrix's emulated VM): on the jiffies clock as the loader
 * set it, its base then moved back a second, and on the helper. */
static void test_xdp(void)
{
	const struct fg_clock *c = fg_clock_get();
	int calls_j = -1, calls_h = -1;
	struct span s;
	struct fgt t;

	if (!fgt_ok(c->jiffies,
		    "the jiffies clock calibrates (tick %llu ns, %s)",
		    (unsigned long long)c->tick_ns,
		    c->jiffies ? "ok" : strerror(-c->err)))
		return;
	tick = c->tick_ns;
	if (fgt_ok(!open_mode(&t, CLK_BACK), "fg_xdp, jiffies clock: load")) {
		fgt_ok(t.skel->rodata->fg_clock_tick == c->tick_ns &&
			       t.skel->rodata->fg_clock_base ==
				       c->base_ns - NS_S,
		       "fg_xdp: the loader set the jiffies clock in rodata");
		s = run_span(xdp_run, &t, &t.ft, NS_S, 40 * NS_MS);
		report("fg_xdp, jiffies clock, its base a second back: flow "
		       "times a second back",
		       &s);
		calls_j = helper_calls(t.prog_fd);
		fgt_close(&t);
	}
	if (fgt_ok(!open_mode(&t, CLK_HELPER), "fg_xdp, the helper: load")) {
		s = run_span(xdp_run, &t, &t.ft, 0, 0);
		report("fg_xdp, the helper (fg_clock_tick 0)", &s);
		calls_h = helper_calls(t.prog_fd);
		fgt_close(&t);
	}
	fgt_ok(calls_j >= 0 && calls_j == calls_h - 1,
	       "fg_xdp: one helper call fewer on the jiffies clock (%d, "
	       "against %d with the helper)",
	       calls_j, calls_h);
}

struct tc_ctx {
	int fd;
};

static int tc_run(void *ctx, const struct pkt *p)
{
	struct tc_ctx *c = ctx;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->b,
		    .data_size_in = p->len, .repeat = 1);

	return bpf_prog_test_run_opts(c->fd, &opts) ? -errno : 0;
}

static void test_tc(void)
{
	struct flowgate_tc *skel = flowgate_tc__open();
	struct fg_ft_info info;
	struct tc_ctx ctx;
	struct bpf_map *m;
	struct fg_ft ft = {.fd = -1};
	struct span s;
	int err;

	if (!fgt_ok(skel != NULL, "fg_tc: open"))
		return;
	bpf_object__for_each_map(m, skel->obj) bpf_map__set_pin_path(m, NULL);
	err = fgt_ft_info(&info, 0);
	if (!err)
		err = FGT_FT_SET(skel, &info);
	if (!err)
		err = flowgate_tc__load(skel);
	if (!err)
		err = fgt_ft_map(&ft, bpf_map__fd(skel->maps.fg_flowtab),
				 &info);
	if (!fgt_ok(!err, "fg_tc: load (%s)", err ? strerror(-err) : "ok"))
		goto out;
	fgt_ok(skel->rodata->fg_clock_tick == tick,
	       "fg_tc: the loader set the jiffies clock in rodata");
	ctx.fd = bpf_program__fd(skel->progs.fg_tc_in);
	s = run_span(tc_run, &ctx, &ft, 0, 0);
	report("fg_tc_in, jiffies clock", &s);
out:
	fg_ft_close(&ft);
	flowgate_tc__destroy(skel);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_xdp();
	if (tick)
		test_tc();
	return fgt_done();
}
