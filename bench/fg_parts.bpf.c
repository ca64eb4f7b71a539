// SPDX-License-Identifier: GPL-2.0
/*
 * Pieces of fg_xdp, for `bench/cost.sh -b` only: each program runs one part
 * of the guard's data path so that the cost of fg_xdp can be split into
 * parsing/validation and per-interface accounting. Built from the same
 * headers as bpf/xdp/flowgate_xdp.bpf.c, so they follow it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fg_ctx.bpf.h"
#include "fg_flow.bpf.h"

FG_DEFINE_PARSE(fg_parts_parse, struct xdp_md, FG_XDP_WIRE_END)

/* Parse and validate (config lookup included), no accounting. */
SEC("xdp")
int fg_parse_only(struct xdp_md *ctx)
{
	struct fg_pkt p;

	fg_parts_parse(ctx, &p, fg_record_last);
	return p.reason ? XDP_DROP : XDP_PASS;
}

/* Accounting of a passed packet, no parsing: the stats lookup, the
 * counter updates and the flow record (of an IPv4 key otherwise all
 * zero, as the reference capture's are IPv4). */
SEC("xdp")
int fg_account_only(struct xdp_md *ctx)
{
	__u32 bytes = ctx->data_end - ctx->data;
	struct fg_pkt p = {.ip_ver = 4};

	fg_account(&p, fg_dir_key(ctx->ingress_ifindex, FG_DIR_IN), FG_NO_QUEUE,
		   bytes, FG_PKTS_OCTETS(1, bytes));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

/* The stats lookup alone (fg_ifstats, per-CPU array, the instance's
 * slot), no counter updates. */
SEC("xdp")
int fg_lookup_only(struct xdp_md *ctx)
{
	return fg_stats_get(FG_DIR_IN) ? XDP_PASS : XDP_DROP;
}

/* The guard's counter updates alone in a per-CPU array indexed by
 * ifindex (no global-function call, no flow): a floor for fg_account. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FG_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct fg_ifstats);
} bench_ifstats_arr SEC(".maps");

SEC("xdp")
int fg_account_array(struct xdp_md *ctx)
{
	__u32 ifindex = ctx->ingress_ifindex & (FG_MAX_IFACES - 1);
	__u64 bytes = ctx->data_end - ctx->data;
	struct fg_ifstats *s =
		bpf_map_lookup_elem(&bench_ifstats_arr, &ifindex);

	if (!s)
		return XDP_PASS;
	s->rx_packets++;
	s->rx_bytes += bytes;
	s->pass_packets++;
	s->pass_bytes += bytes;
	return XDP_PASS;
}

/* Flow accounting alone (fg_flow_account() of an IPv4 packet otherwise
 * all zero, as the reference capture's are IPv4, into a
 * stack copy of the flow counters): config lookup, key fill, clock, flow
 * table lookup (a hit after the first run) and update. No fg_ifstats. */
SEC("xdp")
int fg_flow_only(struct xdp_md *ctx)
{
	__u32 bytes = ctx->data_end - ctx->data;
	struct fg_flowstats st = {};
	struct fg_pkt p = {.ip_ver = 4};

	fg_flow_account(&p, p.reason, &st, ctx->ingress_ifindex, FG_DIR_IN, 1,
			bytes);
	return st.packets ? XDP_PASS : XDP_DROP;
}

/* The flow table alone (an IPv4 key, as the reference capture's, hashed;
 * fg_ft_first(): its bucket probed, compared and updated; the first run
 * inserts it), without the key's fill or the clock. */
SEC("xdp")
int fg_flow_lookup(struct xdp_md *ctx)
{
	struct fg_ft_ctx c = {};
	struct fg_pkt p = {};

	c.u.k.ifindex = ctx->ingress_ifindex;
	c.u.k.ip_ver = 4;
	c.h = fg_ft_hash(&c.u, fg_ft_seed);
	c.pkts = 1;
	return fg_ft_first(&c, &p) ? XDP_DROP : XDP_PASS;
}

/* The flow clock alone (fg_now(): jiffies times the tick where the loader
 * set it, else bpf_ktime_get_coarse_ns()). */
SEC("xdp")
int fg_clock_only(struct xdp_md *ctx)
{
	return fg_now() ? XDP_PASS : XDP_DROP;
}
