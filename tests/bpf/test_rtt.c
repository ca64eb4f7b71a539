// SPDX-License-Identifier: GPL-2.0
/*
 * BPF tests of the RTT path (bpf/sockops/flowgate_rtt.bpf.c). BPF_PROG_TEST_RUN
 * has no sock_ops support (sock_ops_prog_ops has no .test_run), so the
 * callbacks' code is driven through the object's test-only syscall
 * program fg_rtt_drive, on a private instance of the maps; the sock_ops
 * program itself is covered end to end (tests/e2e/test_rtt.sh). The
 * join is checked the way the exporter will use it: keys made from flow
 * keys of both directions, fg_rtt_lookup() on the real maps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flowgate_rtt.skel.h"
#include "fg.h"
#include "fgtest.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* kernel-internal errno, as bpf() returns it */
#endif

/* Small enough to fill in a test. */
#define T_MAX_CONNS 4

static struct flowgate_rtt *skel;
static struct fg_rtt_maps maps;
static int drive_fd, stats_fd, phist_fd, ncpu;

static int t_load(void)
{
	struct bpf_map *m;
	int err;

	ncpu = libbpf_num_possible_cpus();
	skel = flowgate_rtt__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_map(m, skel->obj) bpf_map__set_pin_path(m, NULL);
	bpf_map__set_max_entries(skel->maps.fg_rtt_conns, T_MAX_CONNS);
	bpf_program__set_autoload(skel->progs.fg_rtt_drive, true);
	err = flowgate_rtt__load(skel);
	if (err)
		return err;
	drive_fd = bpf_program__fd(skel->progs.fg_rtt_drive);
	maps.conns_fd = bpf_map__fd(skel->maps.fg_rtt_conns);
	maps.closed_fd = bpf_map__fd(skel->maps.fg_rtt_closed);
	stats_fd = bpf_map__fd(skel->maps.fg_rtt_stats);
	phist_fd = bpf_map__fd(skel->maps.fg_rtt_phist);
	return 0;
}

static int drive(__u32 op, const struct fg_rtt_key *k, __u32 flags, __u32 arg0,
		 __u32 arg1)
{
	struct fg_rtt_drive d = {
		.op = op, .flags = flags, .args = {arg0, arg1}, .key = *k};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &d,
		    .ctx_size_in = sizeof(d));

	return bpf_prog_test_run_opts(drive_fd, &opts) ? -errno : 0;
}

/* One RTT callback: sample mrtt us, smoothed srtt us (passed << 3). */
static int sample(const struct fg_rtt_key *k, __u32 mrtt, __u32 srtt)
{
	return drive(BPF_SOCK_OPS_RTT_CB, k, 0, mrtt, srtt << 3);
}

static int closed(const struct fg_rtt_key *k)
{
	return drive(BPF_SOCK_OPS_STATE_CB, k, 0, 1 /* ESTABLISHED */,
		     BPF_TCP_CLOSE);
}

static void stats(struct fg_rtt_stats *sum)
{
	struct fg_rtt_stats *v = calloc(ncpu, sizeof(*v));
	__u32 zero = 0;
	size_t i;
	int c;

	memset(sum, 0, sizeof(*sum));
	if (!v || bpf_map_lookup_elem(stats_fd, &zero, v))
		goto out;
	for (c = 0; c < ncpu; c++)
		for (i = 0; i < sizeof(*sum) / 8; i++)
			((__u64 *)sum)[i] += ((__u64 *)&v[c])[i];
out:
	free(v);
}

static __u64 port_slot(__u16 port, __u8 side, int slot)
{
	struct fg_rtt_pkey k = {.port = port, .side = side};
	struct fg_rtt_hist *v = calloc(ncpu, sizeof(*v));
	__u64 n = 0;
	int c;

	if (v && !bpf_map_lookup_elem(phist_fd, &k, v))
		for (c = 0; c < ncpu; c++)
			n += v[c].slots[slot];
	free(v);
	return n;
}

/* A TCP flow record as the flow table has it. */
static void flow(struct fg_flow_key *f, __u8 dir, const char *src, __u16 sport,
		 const char *dst, __u16 dport)
{
	memset(f, 0, sizeof(*f));
	f->ifindex = 7;
	f->dir = dir;
	f->proto = IPPROTO_TCP;
	fg_addr_parse(src, f->src);
	fg_addr_parse(dst, f->dst);
	f->ip_ver = strchr(src, ':') ? 6 : 4;
	f->sport = htons(sport);
	f->dport = htons(dport);
}

static void test_no_sockops_test_run(void)
{
	char ctx[sizeof(struct bpf_sock_ops)] = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx,
		    .ctx_size_in = sizeof(ctx));
	int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.fg_rtt),
					 &opts);

	/* If this ever passes, sock_ops can be tested directly. */
	fgt_ok(err && (errno == ENOTSUPP || errno == EINVAL),
	       "BPF_PROG_TEST_RUN refuses sock_ops on this kernel (errno %d): "
	       "callbacks are driven through fg_rtt_drive",
	       err ? errno : 0);
}

/* The server side of 192.0.2.2:443 <- 192.0.2.1:40000, accepted. */
static void test_samples_and_join(void)
{
	struct fg_flow_key out, in;
	struct fg_rtt_key k, k2;
	struct fg_rtt_val v, w;
	struct fg_rtt_stats st;

	flow(&out, FG_DIR_OUT, "192.0.2.2", 443, "192.0.2.1", 40000);
	flow(&in, FG_DIR_IN, "192.0.2.1", 40000, "192.0.2.2", 443);
	fgt_ok(!fg_rtt_key_from_flow(&out, &k) &&
		       !fg_rtt_key_from_flow(&in, &k2) &&
		       !memcmp(&k, &k2, sizeof(k)),
	       "egress and ingress flow give one connection key");
	fgt_ok(!drive(BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB, &k, FG_RTT_F_PASSIVE,
		      0, 0) &&
		       !sample(&k, 100, 100) && !sample(&k, 300, 125) &&
		       !sample(&k, 201, 134),
	       "accept and three samples");
	fgt_ok(!fg_rtt_lookup(&maps, &out, &v) &&
		       !fg_rtt_lookup(&maps, &in, &w) &&
		       !memcmp(&v, &w, sizeof(v)),
	       "lookup by the egress and the ingress flow finds one record");
	fgt_ok(v.samples == 3 && v.min_us == 100 && v.max_us == 300 &&
		       v.sum_us == 601 && fg_rtt_mean_us(&v) == 200 &&
		       v.last_us == 201 && v.srtt_us == 134,
	       "samples 3, min 100, max 300, mean 200, last 201, srtt 134 "
	       "(got %u %u %u %u %u %u)",
	       v.samples, v.min_us, v.max_us, fg_rtt_mean_us(&v), v.last_us,
	       v.srtt_us);
	fgt_ok(v.flags == FG_RTT_F_PASSIVE && v.first_ns && !v.close_ns &&
		       v.last_ns >= v.first_ns,
	       "passive, live, times set");
	stats(&st);
	fgt_ok(st.samples == 3 && st.conns == 1 && st.hist.slots[6] == 1 &&
		       st.hist.slots[7] == 1 && st.hist.slots[8] == 1,
	       "global histogram: 100, 201, 300 us in slots 6, 7, 8");
	fgt_ok(st.sum_us == 601, "global sum of the samples: 601 us (got %llu)",
	       (unsigned long long)st.sum_us);
	fgt_ok(port_slot(443, FG_RTT_SIDE_LOCAL, 6) == 1 &&
		       port_slot(443, FG_RTT_SIDE_LOCAL, 8) == 1 &&
		       port_slot(40000, FG_RTT_SIDE_LOCAL, 6) == 0,
	       "per-port histogram under the local port 443 of an accepted "
	       "connection");
	out.sport = htons(444);
	fgt_ok(fg_rtt_lookup(&maps, &out, &v) == -ENOENT,
	       "another port: -ENOENT");
	out.proto = IPPROTO_UDP;
	fgt_ok(fg_rtt_lookup(&maps, &out, &v) == -EINVAL,
	       "a UDP flow: -EINVAL");

	/* close: the record leaves the live table for the closed LRU */
	fgt_ok(!closed(&k) && bpf_map_lookup_elem(maps.conns_fd, &k, &v) &&
		       errno == ENOENT,
	       "close: no live record left");
	fgt_ok(!fg_rtt_lookup(&maps, &in, &v) && v.samples == 3 &&
		       v.min_us == 100 && v.max_us == 300 &&
		       v.flags == (FG_RTT_F_PASSIVE | FG_RTT_F_CLOSED) &&
		       v.close_ns >= v.last_ns,
	       "close: the final record is still found, marked closed");
	stats(&st);
	fgt_ok(st.closed == 1 && st.untracked == 0, "close counted");
	fgt_ok(!fg_rtt_forget(&maps, &in) &&
		       fg_rtt_lookup(&maps, &in, &v) == -ENOENT,
	       "forget: the final record is gone");
}

/* The client side of [2001:db8::1]:50000 -> [2001:db8::2]:80. */
static void test_active_v6(void)
{
	struct fg_flow_key out;
	struct fg_rtt_key k;
	struct fg_rtt_val v;

	flow(&out, FG_DIR_OUT, "2001:db8::1", 50000, "2001:db8::2", 80);
	fg_rtt_key_from_flow(&out, &k);
	fgt_ok(k.ip_ver == 6 && k.lport == htons(50000) && k.rport == htons(80),
	       "IPv6 key: local 50000, remote 80");
	/* the handshake sample comes before ACTIVE_ESTABLISHED; connect
	 * has recorded the side already */
	fgt_ok(!drive(BPF_SOCK_OPS_TCP_CONNECT_CB, &k, FG_RTT_F_ACTIVE, 0, 0) &&
		       !sample(&k, 5000, 5000) &&
		       !fg_rtt_lookup(&maps, &out, &v) &&
		       v.flags == FG_RTT_F_ACTIVE && v.samples == 1,
	       "connect, then a sample: active");
	fgt_ok(port_slot(80, FG_RTT_SIDE_REMOTE, 12) == 1 &&
		       port_slot(50000, FG_RTT_SIDE_LOCAL, 12) == 0,
	       "per-port histogram under the remote port 80 of an opened "
	       "connection, not the ephemeral one");
	fgt_ok(!drive(BPF_SOCK_OPS_STATE_CB, &k, 0, 1, 4 /* FIN_WAIT1 */) &&
		       !bpf_map_lookup_elem(maps.conns_fd, &k, &v),
	       "another state change keeps the record");
	fgt_ok(!closed(&k) && !bpf_map_lookup_elem(maps.closed_fd, &k, &v),
	       "close keeps the final record");
}

static void test_log2_slots(void)
{
	static const __u32 us[] = {
		0, 1, 2, 3, 4, 1023, 1024, 0x7fffffff, 0x80000000, 0xffffffff};
	static const int slot[] = {0, 0, 1, 1, 2, 9, 10, 30, 31, 31};
	struct fg_rtt_stats a, b;
	struct fg_flow_key f;
	struct fg_rtt_key k;
	unsigned int i;
	bool ok = true;

	flow(&f, FG_DIR_OUT, "198.51.100.1", 1000, "198.51.100.2", 2000);
	fg_rtt_key_from_flow(&f, &k);
	for (i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
		stats(&a);
		sample(&k, us[i], us[i]);
		stats(&b);
		if (b.hist.slots[slot[i]] != a.hist.slots[slot[i]] + 1) {
			fgt_diag("%u us: not in slot %d", us[i], slot[i]);
			ok = false;
		}
	}
	fgt_ok(ok, "log2 buckets: 0-1 in slot 0, [2^i, 2^(i+1)) in slot i, "
		   "2^31 and above in slot 31");
	closed(&k);
}

static void test_table_full(void)
{
	struct fg_rtt_stats a, b;
	struct fg_flow_key f;
	struct fg_rtt_key k[T_MAX_CONNS + 1];
	struct fg_rtt_val v;
	int i, n = 0;

	stats(&a);
	for (i = 0; i <= T_MAX_CONNS; i++) {
		flow(&f, FG_DIR_OUT, "203.0.113.1", 30000 + i, "203.0.113.2",
		     8080);
		fg_rtt_key_from_flow(&f, &k[i]);
		drive(BPF_SOCK_OPS_TCP_CONNECT_CB, &k[i], FG_RTT_F_ACTIVE, 0,
		      0);
		sample(&k[i], 50, 50);
		n += !bpf_map_lookup_elem(maps.conns_fd, &k[i], &v);
	}
	stats(&b);
	fgt_ok(n == T_MAX_CONNS && b.conns - a.conns == T_MAX_CONNS,
	       "table of %d: %d connections recorded", T_MAX_CONNS, n);
	/* connect and the sample's retry each miss once */
	fgt_ok(b.conn_full - a.conn_full == 2,
	       "the connection that did not fit is counted, not silent "
	       "(conn_full +%llu)",
	       (unsigned long long)(b.conn_full - a.conn_full));
	fgt_ok(b.samples - a.samples == T_MAX_CONNS + 1 &&
		       b.hist.slots[5] - a.hist.slots[5] == T_MAX_CONNS + 1,
	       "its sample still counts in the histograms");
	closed(&k[T_MAX_CONNS]);
	stats(&a);
	fgt_ok(a.untracked - b.untracked == 1,
	       "its close is counted as untracked");
	for (i = 0; i < T_MAX_CONNS; i++)
		closed(&k[i]);
	fgt_ok(bpf_map_get_next_key(maps.conns_fd, NULL, &k[0]) &&
		       errno == ENOENT,
	       "every connection closed: the live table is empty");
	/* a connect that never got a sample leaves no final record */
	drive(BPF_SOCK_OPS_TCP_CONNECT_CB, &k[0], FG_RTT_F_ACTIVE, 0, 0);
	bpf_map_delete_elem(maps.closed_fd, &k[0]);
	closed(&k[0]);
	fgt_ok(bpf_map_lookup_elem(maps.closed_fd, &k[0], &v) &&
		       bpf_map_lookup_elem(maps.conns_fd, &k[0], &v),
	       "a connection without samples leaves nothing on close");
}

static void test_conservation(void)
{
	struct fg_rtt_pkey k, next;
	struct fg_rtt_stats st;
	__u64 g = 0, p = 0;
	int i, err;

	stats(&st);
	for (i = 0; i < FG_RTT_SLOTS; i++)
		g += st.hist.slots[i];
	for (err = bpf_map_get_next_key(phist_fd, NULL, &k); !err;
	     err = bpf_map_get_next_key(phist_fd, &k, &next), k = next)
		for (i = 0; i < FG_RTT_SLOTS; i++)
			p += port_slot(k.port, k.side, i);
	fgt_ok(g == st.samples && p + st.port_full == st.samples,
	       "every sample in the global histogram and in one per-port "
	       "histogram (%llu, %llu, %llu)",
	       (unsigned long long)st.samples, (unsigned long long)g,
	       (unsigned long long)p);
}

int main(void)
{
	int err = t_load();

	if (err) {
		printf("Bail out! cannot load the RTT object: %s\n",
		       strerror(-err));
		return 1;
	}
	test_no_sockops_test_run();
	test_samples_and_join();
	test_active_v6();
	test_log2_slots();
	test_table_full();
	test_conservation();
	flowgate_rtt__destroy(skel);
	return fgt_done();
}
