// SPDX-License-Identifier: GPL-2.0
/*
 * fg_xdp against the shared table of crafted cases (tests/lib/cases.c),
 * through BPF_PROG_TEST_RUN: the verdict, the recorded reason and hits, and
 * the per-CPU counters of ifindex 1 each packet moves. Then the monitor and
 * strict profiles against the host parser, actions changed at run time
 * through the config map, and the counter invariant.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>
#include "fg_parse.h"
#include "cases.h"
#include "fgtest.h"

static __u64 runs, run_bytes; /* every frame fg_xdp saw */

static int run(struct fgt *t, const struct pkt *k, struct fgt_result *r)
{
	int err = fgt_run(t, k->b, k->len, r);

	if (!err) {
		runs++;
		run_bytes += k->len;
	}
	return err;
}

/* What the counters of ifindex 1 must have moved by for one packet. */
static int check_delta(const struct fg_ifstats *a, const struct fg_ifstats *b,
		       __u32 len, __u32 reason, __u32 hits, char *why, size_t n)
{
	int r;

	if (b->rx_packets - a->rx_packets != 1 ||
	    b->rx_bytes - a->rx_bytes != len)
		return snprintf(why, n, "rx +%llu/+%llu bytes",
				b->rx_packets - a->rx_packets,
				b->rx_bytes - a->rx_bytes);
	if (b->pass_packets - a->pass_packets != !reason ||
	    b->pass_bytes - a->pass_bytes != (reason ? 0 : len))
		return snprintf(why, n, "pass +%llu",
				b->pass_packets - a->pass_packets);
	for (r = 0; r < 32; r++) {
		__u64 want = reason && (__u32)r == reason;

		if (b->drop_packets[r] - a->drop_packets[r] != want ||
		    b->drop_bytes[r] - a->drop_bytes[r] != want * len)
			return snprintf(why, n, "drop[%d] +%llu", r,
					b->drop_packets[r] -
						a->drop_packets[r]);
		want = hits >> r & 1;
		if (b->matched[r] - a->matched[r] != want)
			return snprintf(why, n, "matched[%d] +%llu", r,
					b->matched[r] - a->matched[r]);
	}
	return 0;
}

static __u32 verdict(__u32 reason)
{
	return reason ? XDP_DROP : XDP_PASS;
}

/* One case under the default profile: verdict, reason, hits, counters. */
static void test_case(struct fgt *t, const struct fgc_case *c)
{
	struct fg_ifstats a, b;
	struct fgt_result r;
	char why[128] = "";
	struct pkt k;
	int err;

	fgc_build(c, &k);
	err = fgt_stats(t, FGT_STATS_IN, &a);
	if (!err)
		err = run(t, &k, &r);
	if (!err)
		err = fgt_stats(t, FGT_STATS_IN, &b);
	if (err == -EINVAL && k.len < ETH_HLEN) {
		/* Newer kernels refuse it even behind XDP metadata; no
		 * driver hands XDP such a frame either. */
		fgt_skip("test run refuses frames under 14 bytes", "%s",
			 c->name);
		return;
	}
	if (err) {
		fgt_ok(false, "%s: %s", c->name, strerror(-err));
		return;
	}
	if (r.retval != verdict(c->reason) || r.reason != c->reason ||
	    r.hits != c->hits)
		snprintf(why, sizeof(why),
			 "retval %u reason %u hits %#x, want %u/%u/%#x",
			 r.retval, r.reason, r.hits, verdict(c->reason),
			 c->reason, c->hits);
	else
		check_delta(&a, &b, k.len, c->reason, c->hits, why,
			    sizeof(why));
	if (!fgt_ok(!why[0], "%s", c->name))
		fgt_diag("%s", why);
}

/* Every case under a whole profile: same reason and hits as the host
 * parser under the same config. */
static void test_profile(struct fgt *t, __u32 profile, const char *name)
{
	struct fg_config cfg = {.version = FG_CONFIG_VERSION};
	unsigned int i, bad = 0;
	struct fgt_result r;
	int err;
	struct fg_pkt p;
	struct pkt k;
	__u32 rr;

	cfg.profile = profile;
	for (rr = 1; rr < FG_R_MAX; rr++)
		cfg.act[rr] = fg_profile_action(profile, rr);
	if (fgt_set_config(t, &cfg)) {
		fgt_ok(false, "%s profile: config write", name);
		return;
	}
	for (i = 0; i < fgc_ncases; i++) {
		fgc_build(&fgc_cases[i], &k);
		fg_parse(k.b, k.b + k.len, &cfg, &p);
		err = run(t, &k, &r);
		if (err == -EINVAL && k.len < ETH_HLEN)
			continue; /* see test_case() */
		if (err || r.retval != verdict(p.reason) ||
		    r.reason != p.reason || r.hits != p.hits ||
		    (profile == FG_PROFILE_MONITOR && r.reason)) {
			fgt_diag("%s: bpf %u/%#x host %u/%#x",
				 fgc_cases[i].name, r.reason, r.hits, p.reason,
				 p.hits);
			bad++;
		}
	}
	fgt_ok(!bad, "%s profile: %u cases as on the host%s", name, fgc_ncases,
	       profile == FG_PROFILE_MONITOR ? ", none dropped" : "");
	memset(&cfg, 0, sizeof(cfg));
	fgt_set_config(t, &cfg);
}

static const struct fgc_case *find_case(const char *name)
{
	unsigned int i;

	for (i = 0; i < fgc_ncases; i++)
		if (!strcmp(fgc_cases[i].name, name))
			return &fgc_cases[i];
	return NULL;
}

/* The same packet, its check switched at run time through the config map
 * (no reload): off, count, drop, back to the default profile. */
static void test_runtime_act(struct fgt *t, const char *name, __u32 reason)
{
	static const struct {
		__u8 act;
		const char *what;
	} steps[] = {
		{FG_ACT_OFF, "off"},	     {FG_ACT_COUNT, "count"},
		{FG_ACT_DROP, "drop"},	     {FG_ACT_OFF, "off again"},
		{FG_ACT_DEFAULT, "default"},
	};
	const struct fgc_case *c = find_case(name);
	__u32 bit = 1u << reason, want_reason, want_hits;
	struct fg_ifstats a, b;
	struct fgt_result r;
	char why[128];
	unsigned int i;
	struct pkt k;
	__u8 act;

	if (!c) {
		fgt_ok(false, "runtime %s: no such case", name);
		return;
	}
	fgc_build(c, &k);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		act = steps[i].act;
		if (act == FG_ACT_DEFAULT)
			act = fg_profile_action(FG_PROFILE_DEFAULT, reason);
		want_reason = act == FG_ACT_DROP ? reason : FG_R_NONE;
		want_hits = act == FG_ACT_OFF ? 0 : bit;
		why[0] = 0;
		if (fgt_set_act(t, reason, steps[i].act) ||
		    fgt_stats(t, FGT_STATS_IN, &a) || run(t, &k, &r) ||
		    fgt_stats(t, FGT_STATS_IN, &b))
			snprintf(why, sizeof(why), "bpf call failed");
		else if (r.retval != verdict(want_reason) ||
			 r.reason != want_reason || r.hits != want_hits)
			snprintf(why, sizeof(why),
				 "retval %u reason %u hits %#x", r.retval,
				 r.reason, r.hits);
		else
			check_delta(&a, &b, k.len, want_reason, want_hits, why,
				    sizeof(why));
		if (!fgt_ok(!why[0], "runtime %s set to %s: %s", name,
			    steps[i].what, want_reason ? "dropped" : "passed"))
			fgt_diag("%s", why);
	}
}

/* rx = pass + every drop, in packets and in bytes, and equal to what was
 * sent. */
static void test_invariant(struct fgt *t)
{
	__u64 drops = 0, drop_bytes = 0;
	struct fg_ifstats s;
	int r;

	if (fgt_stats(t, FGT_STATS_IN, &s)) {
		fgt_ok(false, "counters readable");
		return;
	}
	for (r = 0; r < 32; r++) {
		drops += s.drop_packets[r];
		drop_bytes += s.drop_bytes[r];
	}
	fgt_ok(s.rx_packets == runs && s.rx_bytes == run_bytes,
	       "rx_packets %llu == %llu frames run, rx_bytes %llu == %llu",
	       s.rx_packets, runs, s.rx_bytes, run_bytes);
	fgt_ok(s.rx_packets == s.pass_packets + drops,
	       "rx_packets %llu == pass %llu + drop %llu", s.rx_packets,
	       s.pass_packets, drops);
	fgt_ok(s.rx_bytes == s.pass_bytes + drop_bytes,
	       "rx_bytes %llu == pass %llu + drop %llu", s.rx_bytes,
	       s.pass_bytes, drop_bytes);
	fgt_ok(drops > 0 && s.pass_packets > 0, "both verdicts seen");
}

int main(void)
{
	struct fgt t;
	unsigned int i;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	err = fgt_open(&t);
	if (!fgt_ok(!err, "load fg_xdp with fg_record_last=1 (%s)",
		    err ? strerror(-err) : "ok"))
		return fgt_done();
	for (i = 0; i < fgc_ncases; i++)
		test_case(&t, &fgc_cases[i]);
	test_profile(&t, FG_PROFILE_MONITOR, "monitor");
	test_profile(&t, FG_PROFILE_STRICT, "strict");
	test_runtime_act(&t, "ttl-zero/ip4", FG_R_TTL_ZERO);
	test_runtime_act(&t, "tcp-flags/syn-fin", FG_R_TCP_FLAGS);
	test_runtime_act(&t, "ip6-rh0/type-0", FG_R_IP6_RH0);
	test_runtime_act(&t, "ip4-csum/header", FG_R_IP4_CSUM);
	test_invariant(&t);
	fgt_close(&t);
	return fgt_done();
}
