// SPDX-License-Identifier: GPL-2.0
/*
 * Interface slots: fg_ifstats is a per-CPU array, and each program instance
 * counts into the entries of the slot attach wrote into its rodata
 * (fg_slot): fg_slot_key(slot, dir). Checked through BPF_PROG_TEST_RUN for
 * fg_xdp (ingress), fg_tc_in and fg_tc_out (TC object): every packet lands
 * in its slot's entry of its direction and nowhere else; an instance
 * without a slot counts in the catch-all slot 0; a slot beyond the array
 * falls back to slot 0 instead of losing the packet.
 */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fgtest.h"
#include "pkt.h"
#include "flowgate_xdp.skel.h"
#include "flowgate_tc.skel.h"

/* UDP 192.0.2.1 -> 198.51.100.2, 8 bytes of payload: IP length 36. */
static void frame_udp(struct pkt *k)
{
	static const char data[8] = "payload";

	pkt_init(k);
	pkt_eth(k);
	pkt_ip4(k, "192.0.2.1", "198.51.100.2");
	pkt_udp(k, 40000, 53);
	pkt_data(k, data, sizeof(data));
	pkt_finish(k);
}

/* Sum over CPUs of every entry of fg_ifstats but `except`: rx_packets and
 * flow packets, to show that nothing landed elsewhere. */
static __u64 others(int fd, int ncpu, __u32 except)
{
	struct fg_ifstats *v = calloc(ncpu, sizeof(*v));
	__u64 n = 0;
	__u32 key;
	int c;

	for (key = 0; v && key < 2 * FG_NSLOTS; key++) {
		if (key == except || bpf_map_lookup_elem(fd, &key, v))
			continue;
		for (c = 0; c < ncpu; c++)
			n += v[c].rx_packets + v[c].flows.packets;
	}
	free(v);
	return n;
}

/* fg_xdp with fg_slot = slot: a passed and a dropped packet must be counted
 * at fg_slot_key(want, in), want being where they must land. */
static void xdp_slot(__u32 slot, __u32 want)
{
	__u32 key = fg_slot_key(want, FG_DIR_IN);
	struct fg_ifstats s;
	struct fgt_result r1, r2;
	struct pkt k1, k2;
	struct fgt t;
	int err;

	err = fgt_open_slot(&t, slot);
	if (!fgt_ok(!err, "fg_xdp slot %u: load (%s)", slot,
		    err ? strerror(-err) : "ok"))
		return;
	frame_udp(&k1);
	pkt_synfin(&k2);
	err = fgt_run(&t, k1.b, k1.len, &r1);
	if (!err)
		err = fgt_run(&t, k2.b, k2.len, &r2);
	if (!err)
		err = fgt_stats(&t, key, &s);
	if (fgt_ok(!err, "fg_xdp slot %u: two runs (%s)", slot,
		   err ? strerror(-err) : "ok")) {
		fgt_ok(r1.retval == XDP_PASS && r2.retval == XDP_DROP &&
			       r2.reason == FG_R_TCP_FLAGS,
		       "fg_xdp slot %u: verdicts pass, drop tcp-flags", slot);
		fgt_ok(s.rx_packets == 2 && s.rx_bytes == k1.len + k2.len &&
			       s.pass_packets == 1 && s.pass_bytes == k1.len &&
			       s.drop_packets[FG_R_TCP_FLAGS] == 1 &&
			       s.drop_bytes[FG_R_TCP_FLAGS] == k2.len &&
			       s.matched[FG_R_TCP_FLAGS] == 1,
		       "fg_xdp slot %u: guard counters at key %u (rx %llu, "
		       "pass %llu, tcp-flags %llu)",
		       slot, key, (unsigned long long)s.rx_packets,
		       (unsigned long long)s.pass_packets,
		       (unsigned long long)s.drop_packets[FG_R_TCP_FLAGS]);
		fgt_ok(s.flows.packets == 2 && s.flows.octets == 36 + 40 &&
			       s.flows.ovf_pkts == 0,
		       "fg_xdp slot %u: flow counters at key %u (%llu "
		       "packets, %llu octets)",
		       slot, key, (unsigned long long)s.flows.packets,
		       (unsigned long long)s.flows.octets);
		fgt_ok(others(t.stats_fd, t.ncpu, key) == 0,
		       "fg_xdp slot %u: no other entry counted anything", slot);
	}
	fgt_close(&t);
}

static int tc_run(struct flowgate_tc *skel, struct bpf_program *prog,
		  const struct pkt *k, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = k->b,
		    .data_size_in = k->len, .repeat = 1);
	int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);

	*retval = opts.retval;
	return err ? -errno : 0;
}

/* Sum over CPUs of fg_ifstats[key] of the TC object. */
static int tc_stats(int fd, int ncpu, __u32 key, struct fg_ifstats *sum)
{
	struct fg_ifstats *v = calloc(ncpu, sizeof(*v));
	int c, err = 0;
	size_t i;

	memset(sum, 0, sizeof(*sum));
	if (!v || bpf_map_lookup_elem(fd, &key, v))
		err = -ENOENT;
	for (c = 0; !err && c < ncpu; c++)
		for (i = 0; i < sizeof(*sum) / 8; i++)
			((__u64 *)sum)[i] += ((__u64 *)&v[c])[i];
	free(v);
	return err;
}

/* The TC object with fg_slot = 7: fg_tc_out counts egress at key 15 (flows
 * only, no guard counters), fg_tc_in ingress at key 14 (guard and flows). */
static void tc_slot(void)
{
	const __u32 slot = 7, kin = fg_slot_key(slot, FG_DIR_IN),
		    kout = fg_slot_key(slot, FG_DIR_OUT);
	int ncpu = libbpf_num_possible_cpus(), fd, err;
	struct fg_ifstats in, out;
	struct fg_ft_info info;
	struct flowgate_tc *skel;
	__u32 rin = ~0u, rout = ~0u;
	struct bpf_map *m;
	struct pkt k;

	skel = flowgate_tc__open();
	if (!fgt_ok(skel != NULL, "TC object: open"))
		return;
	bpf_object__for_each_map(m, skel->obj) bpf_map__set_pin_path(m, NULL);
	skel->rodata->fg_slot = slot;
	err = fgt_ft_info(&info, 0);
	if (!err)
		err = FGT_FT_SET(skel, &info);
	if (!err)
		err = flowgate_tc__load(skel);
	if (!fgt_ok(!err, "TC object slot %u: load (%s)", slot,
		    err ? strerror(-err) : "ok"))
		goto out;
	fd = bpf_map__fd(skel->maps.fg_ifstats);
	frame_udp(&k);
	err = tc_run(skel, skel->progs.fg_tc_out, &k, &rout);
	if (!err)
		err = tc_run(skel, skel->progs.fg_tc_in, &k, &rin);
	if (!err)
		err = tc_stats(fd, ncpu, kin, &in);
	if (!err)
		err = tc_stats(fd, ncpu, kout, &out);
	if (!fgt_ok(!err, "TC slot %u: runs (%s)", slot,
		    err ? strerror(-err) : "ok"))
		goto out;
	fgt_ok(rout == 0 && rin == 0, "TC slot %u: both pass (TC_ACT_OK)",
	       slot);
	fgt_ok(out.flows.packets == 1 && out.flows.octets == 36 &&
		       out.rx_packets == 0,
	       "fg_tc_out slot %u: egress flow counters at key %u, no guard "
	       "counters (%llu packets, %llu octets, rx %llu)",
	       slot, kout, (unsigned long long)out.flows.packets,
	       (unsigned long long)out.flows.octets,
	       (unsigned long long)out.rx_packets);
	fgt_ok(in.rx_packets == 1 && in.pass_packets == 1 &&
		       in.flows.packets == 1 && in.flows.octets == 36,
	       "fg_tc_in slot %u: ingress counters at key %u (rx %llu, "
	       "flows %llu)",
	       slot, kin, (unsigned long long)in.rx_packets,
	       (unsigned long long)in.flows.packets);
	fgt_ok(others(fd, ncpu, kin) == 1 && others(fd, ncpu, kout) == 2,
	       "TC slot %u: nothing counted outside its two entries", slot);
out:
	flowgate_tc__destroy(skel);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	xdp_slot(FG_SLOT_OTHER, FG_SLOT_OTHER); /* no slot: the catch-all */
	xdp_slot(5, 5);
	xdp_slot(FG_MAX_IFACES, FG_MAX_IFACES); /* the last one */
	/* Beyond the array (a loader that set it wrong): not lost. */
	xdp_slot(FG_NSLOTS, FG_SLOT_OTHER);
	xdp_slot(0xffffffffu / 2, FG_SLOT_OTHER);
	tc_slot();
	return fgt_done();
}
