// SPDX-License-Identifier: GPL-2.0
/*
 * The capture path of fg_xdp (bpf/lib/fg_capture.bpf.h) through
 * BPF_PROG_TEST_RUN, on a private instance whose selection is set
 * through the skeleton: nothing in the ring while it is off; with it on,
 * exactly the selected packets, each with its metadata and its bytes up
 * to snaplen; the reason and verdict filters; 1-in-N sampling; the token
 * bucket's burst; a ring too small for the packets (lost counted, and
 * captured + suppressed + lost = selected); a new capture (gen) starting
 * its sampling and bucket over.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include "fg.h"
#include "capstats.h"
#include "fgtest.h"
#include "pkt.h"
#include "flowgate_xdp.skel.h"

struct t {
	struct flowgate_xdp *skel;
	int prog_fd, stats_fd;
	struct ring_buffer *rb;
	struct fg_ft ft; /* the flow table, mapped */
	/* records read back */
	int nrec;
	struct fg_cap_rec rec[64];
	__u8 data[64][FG_CAP_SNAP_MAX];
};

static struct t T;

static int on_record(void *ctx, void *data, size_t size)
{
	const struct fg_cap_rec *r = data;

	if (T.nrec < 64 && size >= sizeof(*r) + r->cap_len) {
		T.rec[T.nrec] = *r;
		memcpy(T.data[T.nrec], r->data, r->cap_len);
	}
	T.nrec++;
	return 0;
}

static int load(__u32 ring)
{
	struct fg_ft_info info;
	struct bpf_map *m;
	int err;

	T.ft.fd = -1;
	T.skel = flowgate_xdp__open();
	if (!T.skel)
		return -errno;
	bpf_object__for_each_map(m, T.skel->obj) bpf_map__set_pin_path(m, NULL);
	T.skel->rodata->fg_record_last = 1;
	T.skel->rodata->fg_cap_loadable = 1;
	bpf_program__set_autoload(T.skel->progs.fg_replay, false);
	err = bpf_map__set_max_entries(T.skel->maps.fg_cap_ring, ring);
	if (!err)
		err = fgt_ft_info(&info, 0);
	if (!err)
		err = FGT_FT_SET(T.skel, &info);
	if (!err)
		err = flowgate_xdp__load(T.skel);
	if (!err)
		err = fgt_ft_map(&T.ft, bpf_map__fd(T.skel->maps.fg_flowtab),
				 &info);
	if (err) {
		flowgate_xdp__destroy(T.skel);
		T.skel = NULL;
		return err;
	}
	T.prog_fd = bpf_program__fd(T.skel->progs.fg_xdp);
	T.stats_fd = bpf_map__fd(T.skel->maps.fg_cap_stats);
	T.rb = ring_buffer__new(bpf_map__fd(T.skel->maps.fg_cap_ring),
				on_record, NULL, NULL);
	return T.rb ? 0 : -errno;
}

static void unload(void)
{
	ring_buffer__free(T.rb);
	fg_ft_close(&T.ft);
	flowgate_xdp__destroy(T.skel);
	T.rb = NULL;
	T.skel = NULL;
}

static int run(const struct pkt *k)
{
	struct xdp_md ctx = {.ingress_ifindex = 1, .rx_queue_index = 0};
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	static __u8 buf[PKT_MAX];

	memcpy(buf, k->b + k->headroom, k->len);
	ctx.data_end = k->len;
	opts.data_in = buf;
	opts.data_size_in = k->len;
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	opts.repeat = 1;
	return bpf_prog_test_run_opts(T.prog_fd, &opts) ? -errno
							: (int)opts.retval;
}

/* Records in the ring now, read into T.rec. */
static int drain(void)
{
	T.nrec = 0;
	ring_buffer__consume(T.rb);
	return T.nrec;
}

static void set(const struct fg_cap_cfg *c)
{
	T.skel->data_fg_cap->fg_cap_cfg = *c;
}

static void counts(struct fg_cap_count c[FG_CAP_NKEYS], struct fg_cap_count *t)
{
	memset(c, 0, FG_CAP_NKEYS * sizeof(*c));
	fg_cap_stats_sum(T.stats_fd, c);
	fg_cap_count_total(c, t);
}

/* UDP 192.0.2.1 -> 198.51.100.2 with n bytes of payload. */
static void frame_udp(struct pkt *k, unsigned int n)
{
	static const __u8 pl[1500];

	pkt_init(k);
	pkt_eth(k);
	pkt_ip4(k, "192.0.2.1", "198.51.100.2");
	pkt_udp(k, 40000, 53);
	pkt_data(k, pl, n);
	pkt_finish(k);
}

/* The same with a broken header checksum: ip4-csum. */
static void frame_csum(struct pkt *k, unsigned int n)
{
	struct iphdr *ip;

	frame_udp(k, n);
	ip = (struct iphdr *)(k->b + k->headroom + ETH_HLEN);
	ip->check ^= 0x1234;
}

struct drops {
	struct fg_flow_key k;
	int n;
};

static int drop_one(const struct fg_flow_key *k, const struct fg_flow_val *v,
		    void *ctx)
{
	struct drops *d = ctx;

	if (k->reason) {
		d->k = *k;
		d->n++;
	}
	return 0;
}

/* The key of the one flow record of dropped packets. */
static int drop_flow(struct fg_flow_key *out)
{
	struct drops d = {.n = 0};
	int err = fg_ft_walk(&T.ft, drop_one, &d);

	if (err)
		return err;
	*out = d.k;
	return d.n == 1 ? 0 : -ENOENT;
}

static struct fg_cap_cfg sel(__u32 verdicts, __u32 gen)
{
	struct fg_cap_cfg c = {.on = 1,
			       .gen = gen,
			       .verdicts = verdicts,
			       .snaplen = FG_CAP_SNAP_MAX};
	return c;
}

static void test_off(void)
{
	struct fg_cap_count c[FG_CAP_NKEYS], t;
	struct pkt k;

	frame_csum(&k, 20);
	run(&k);
	fgt_ok(drain() == 0, "off: a drop leaves nothing in the ring");
	counts(c, &t);
	fgt_ok(t.selected == 0 && t.sampled_out == 0, "off: nothing counted");
}

static void test_drops(void)
{
	struct fg_cap_count c[FG_CAP_NKEYS], t;
	struct fg_cap_cfg s = sel(FG_CAP_DROP, 1);
	struct pkt ok, bad, big;
	const struct fg_cap_rec *r;
	struct fg_flow_key fk;
	int n;

	set(&s);
	frame_udp(&ok, 20);
	frame_csum(&bad, 20);
	frame_csum(&big, 1000);
	run(&ok);
	run(&bad);
	run(&ok);
	run(&big);
	n = drain();
	fgt_ok(n == 2, "drops: the two drops of four packets (got %d)", n);
	r = &T.rec[0];
	fgt_ok(r->reason == FG_R_IP4_CSUM && r->verdict == FG_CAP_DROP &&
		       r->dir == FG_DIR_IN && r->ifindex == 1 &&
		       r->rx_queue == 0 && !(r->flags & FG_CAP_F_WALL),
	       "drops: reason ip4-csum, verdict drop, in, ifindex 1, queue 0");
	fgt_ok(r->wire_len == bad.len && r->cap_len == bad.len &&
		       !memcmp(T.data[0], bad.b + bad.headroom, bad.len),
	       "drops: the small one whole (%u of %u bytes), byte for byte",
	       r->cap_len, r->wire_len);
	r = &T.rec[1];
	fgt_ok(r->wire_len == big.len && r->cap_len == big.len &&
		       !memcmp(T.data[1], big.b + big.headroom, big.len),
	       "drops: the big one (%u bytes) whole", big.len);
	fgt_ok(!drop_flow(&fk) &&
		       T.rec[0].flow_hash ==
			       fg_cap_flow_hash(fk.src, fk.dst, fk.sport,
						fk.dport, fk.proto, fk.ip_ver),
	       "drops: flow_hash is fg_cap_flow_hash() of its flow's key");
	fgt_ok(T.rec[0].ts_ns && T.rec[1].ts_ns >= T.rec[0].ts_ns,
	       "drops: stamped, in order");
	counts(c, &t);
	fgt_ok(c[FG_R_IP4_CSUM].selected == 2 &&
		       c[FG_R_IP4_CSUM].captured == 2 && t.selected == 2 &&
		       t.captured == 2 && !t.lost && !t.suppressed,
	       "drops: counted under ip4-csum: 2 selected, 2 captured");

	s.snaplen = 30;
	s.gen = 2;
	set(&s);
	run(&big);
	drain();
	fgt_ok(T.nrec == 1 && T.rec[0].cap_len == 30 &&
		       T.rec[0].wire_len == big.len &&
		       !memcmp(T.data[0], big.b + big.headroom, 30),
	       "snaplen 30: 30 bytes of %u, the first ones", big.len);
}

static void test_filters(void)
{
	struct fg_cap_cfg s = sel(FG_CAP_PASS, 3);
	struct pkt ok, bad, sf;

	frame_udp(&ok, 20);
	frame_csum(&bad, 20);
	pkt_synfin(&sf);
	set(&s);
	run(&ok);
	run(&bad);
	run(&sf);
	drain();
	fgt_ok(T.nrec == 1 && T.rec[0].verdict == FG_CAP_PASS &&
		       T.rec[0].reason == FG_R_NONE,
	       "passes: only the pass, reason none");
	s = sel(FG_CAP_ALL, 4);
	s.checks = 1u << FG_R_TCP_FLAGS;
	set(&s);
	run(&ok);
	run(&bad);
	run(&sf);
	drain();
	fgt_ok(T.nrec == 1 && T.rec[0].reason == FG_R_TCP_FLAGS,
	       "reason tcp-flags: only the SYN+FIN");
	s = sel(FG_CAP_ALL, 5);
	s.ifindex = 7;
	set(&s);
	run(&bad);
	fgt_ok(drain() == 0, "dev: another interface's packet is not taken");
}

static void test_sample_limit(void)
{
	struct fg_cap_count c[FG_CAP_NKEYS], t0, t;
	struct fg_cap_cfg s = sel(FG_CAP_DROP, 6);
	struct pkt bad;
	int i;

	frame_csum(&bad, 20);
	counts(c, &t0);
	s.sample = 3;
	set(&s);
	for (i = 0; i < 9; i++)
		run(&bad);
	drain();
	counts(c, &t);
	fgt_ok(T.nrec == 3 && t.selected - t0.selected == 3 &&
		       t.sampled_out - t0.sampled_out == 6,
	       "sample 3: 3 of 9 captured, 6 sampled out");

	/* 1 a second, burst 4: the run takes far less than a second */
	s = sel(FG_CAP_DROP, 7);
	s.interval_ns = 1000000000ull;
	s.burst_ns = 3 * s.interval_ns;
	set(&s);
	t0 = t;
	for (i = 0; i < 10; i++)
		run(&bad);
	drain();
	counts(c, &t);
	fgt_ok(T.nrec == 4 && t.captured - t0.captured == 4 &&
		       t.suppressed - t0.suppressed == 6 &&
		       t.selected - t0.selected == 10,
	       "limit 1/s burst 4: 4 of 10 captured, 6 suppressed");
	s.gen = 8;
	set(&s);
	run(&bad);
	fgt_ok(drain() == 1, "a new capture (gen) starts with a full bucket");
}

static void test_small_ring(void)
{
	struct fg_cap_count c[FG_CAP_NKEYS], t;
	struct fg_cap_cfg s = sel(FG_CAP_DROP, 1);
	__u32 slot = FG_CAP_ROOM(FG_CAP_SNAP_SMALL); /* a small record */
	__u32 fit = FG_CAP_RING_MIN / slot;
	struct pkt bad;
	int i, n;

	unload();
	if (!fgt_ok(!load(FG_CAP_RING_MIN), "load with a %u-byte ring",
		    FG_CAP_RING_MIN))
		return;
	set(&s);
	frame_csum(&bad, 20);
	for (i = 0; i < 30; i++)
		run(&bad);
	counts(c, &t);
	n = drain();
	fgt_ok(t.captured == fit && t.lost == 30 - fit && n == (int)fit,
	       "small ring: %u fit (captured %llu, read %d), %u lost (%llu)",
	       fit, (unsigned long long)t.captured, n, 30 - fit,
	       (unsigned long long)t.lost);
	fgt_ok(t.captured + t.suppressed + t.lost == t.selected &&
		       t.selected == 30,
	       "small ring: captured + suppressed + lost = selected = 30");
	run(&bad);
	fgt_ok(drain() == 1, "small ring: room again once read");
}

int main(void)
{
	cpu_set_t cpus;

	/* one CPU: one slot of the per-CPU sampling and bucket state */
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	if (!fgt_ok(!load(FG_CAP_RING_DEFAULT), "load fg_xdp with capture"))
		return fgt_done();
	test_off();
	test_drops();
	test_filters();
	test_sample_limit();
	test_small_ring();
	unload();
	return fgt_done();
}
