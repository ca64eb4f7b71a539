// SPDX-License-Identifier: GPL-2.0
/*
 * Breakdown of fg_xdp for bench/pps.sh -b: the same code as
 * xdp/flowgate_xdp.bpf.c (its headers, unchanged), stopped after each step,
 * so that the rate lost at each one shows on real traffic:
 *   step_parse    parse and validate only (config lookup included)
 *   step_account  + per-interface counters (fg_account)
 *   step_rxq      + per-RX-queue counters
 *   step_full     + flow accounting: what fg_xdp does
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

	step_xdp_parse(ctx, &p);
	if (upto >= 1)
		fg_account(ctx->ingress_ifindex, p.reason, p.hits, bytes);
	if (upto >= 2)
		fg_rxq_account(ctx->ingress_ifindex, ctx->rx_queue_index,
			       bytes);
	if (upto >= 3)
		fg_flow_account(&p, ctx->ingress_ifindex, FG_DIR_IN, 1,
				p.ip_len ? p.ip_len : bytes);
	return p.reason ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int step_parse(struct xdp_md *ctx)
{
	return step(ctx, 0);
}

SEC("xdp")
int step_account(struct xdp_md *ctx)
{
	return step(ctx, 1);
}

SEC("xdp")
int step_rxq(struct xdp_md *ctx)
{
	return step(ctx, 2);
}

SEC("xdp")
int step_full(struct xdp_md *ctx)
{
	return step(ctx, 3);
}

char LICENSE[] SEC("license") = "GPL";
