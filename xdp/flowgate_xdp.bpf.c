// SPDX-License-Identifier: GPL-2.0
/*
 * fg_xdp: the XDP guard. Parses and validates every frame with the portable
 * parser in include/fg_parse.h, then accounts the verdict per interface.
 * Every packet increments rx_packets and exactly one verdict counter.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>
#include "fg_ctx.bpf.h"
#include "fg_flow.bpf.h"
#include "fg_rules.bpf.h"

/* libxdp dispatcher metadata: run early (filters go first) and let the
 * next program see what we pass. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(fg_xdp);

FG_DEFINE_PARSE(fg_xdp_parse, struct xdp_md, FG_XDP_WIRE_END)

SEC("xdp")
int fg_xdp(struct xdp_md *ctx)
{
	__u64 bytes = ctx->data_end - ctx->data;
	struct fg_pkt p;
	__u32 octets;

	fg_xdp_parse(ctx, &p);
	/* IP packets count their IP-layer bytes, as IPFIX does; other
	 * frames their frame bytes. */
	octets = p.ip_len ? p.ip_len : bytes;
	fg_rule_stage(&p, ctx->ingress_ifindex, octets);
	fg_account(&p, fg_dir_key(ctx->ingress_ifindex, FG_DIR_IN),
		   ctx->rx_queue_index, bytes, FG_PKTS_OCTETS(1, octets));
	return p.reason ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
