// SPDX-License-Identifier: GPL-2.0
/*
 * Breakdown of fg_xdp for bench/pps.sh -b: the same code as
 * bpf/xdp/flowgate_xdp.bpf.c (its headers, unchanged), stopped after each step,
 * so that the rate lost at each one shows on real traffic:
 *   step_parse    parse and validate only (config lookup included)
 *   step_full     + fg_account: guard, RX queue and flow counters (one
 *                 stats lookup) and the flow record: what fg_xdp does
 * Maps start empty (the default profile), as after `flowgate attach`.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "fg_ctx.bpf.h"
#include "fg_flow.bpf.h"

FG_DEFINE_PARSE(step_xdp_parse, struct xdp_md, FG_XDP_WIRE_END)

static __always_inline int step(struct xdp_md *ctx, int upto)
{
	__u64 bytes = ctx->data_end - ctx->data;
	struct fg_pkt p;

	step_xdp_parse(ctx, &p, fg_record_last);
	if (upto >= 1)
		fg_account(&p, fg_dir_key(ctx->ingress_ifindex, FG_DIR_IN),
			   ctx->rx_queue_index, bytes,
			   FG_PKTS_OCTETS(1, p.ip_len ? p.ip_len : bytes));
	return p.reason ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int step_parse(struct xdp_md *ctx)
{
	return step(ctx, 0);
}

SEC("xdp")
int step_full(struct xdp_md *ctx)
{
	return step(ctx, 1);
}

char LICENSE[] SEC("license") = "GPL";
