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
#include "fg_capture.bpf.h"
#include "fg_replay.h"

/* libxdp dispatcher metadata: run early (filters go first) and let the
 * next program see what we pass. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(fg_xdp);

FG_DEFINE_PARSE(fg_xdp_parse, struct xdp_md, FG_XDP_WIRE_END)

#define FG_XDP_FRAME(ctx) ((__u32)((ctx)->data_end - (ctx)->data))
#define FG_XDP_IFINDEX(ctx) ((ctx)->ingress_ifindex)
#define FG_XDP_RXQ(ctx) ((ctx)->rx_queue_index)
FG_DEFINE_CAPTURE(fg_cap_xdp, struct xdp_md, bpf_xdp_load_bytes, FG_XDP_FRAME,
		  FG_XDP_IFINDEX, FG_XDP_RXQ, 0)

/* What fg_xdp does with a frame; inlined in fg_xdp, and in the global
 * function fg_xdp_frame() that replay's fg_replay calls per frame. */
static __always_inline int fg_xdp_body(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	/* The packet's own length: in replay the frame may be a capture's
	 * cut (fg_wire_end); on a NIC it is data_end. */
	__u64 bytes = fg_wire_end(data, (void *)(long)ctx->data_end) - data;
	struct fg_pkt p;
	__u32 octets;

	fg_xdp_parse(ctx, &p);
	/* IP packets count their IP-layer bytes, as IPFIX does; other
	 * frames their frame bytes. */
	octets = p.ip_len ? p.ip_len : bytes;
	fg_rule_stage(&p, ctx->ingress_ifindex, octets);
	fg_account(&p, fg_dir_key(ctx->ingress_ifindex, FG_DIR_IN),
		   ctx->rx_queue_index, bytes, FG_PKTS_OCTETS(1, octets));
	if (fg_cap_active())
		fg_cap_xdp(ctx, &p, bytes, FG_DIR_IN);
	return p.reason ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int fg_xdp(struct xdp_md *ctx)
{
	return fg_xdp_body(ctx);
}

/*
 * fg_xdp's body as a global function, for fg_replay's loop: the verifier
 * checks it once, not once per iteration. Not called by fg_xdp itself,
 * which would pay for the call (6 ns a packet, bench/cost.c);
 * tests/bpf/test_replay.c checks that both give the same verdicts and
 * flows.
 */
__noinline int fg_xdp_frame(struct xdp_md *ctx)
{
	return fg_xdp_body(ctx);
}

/* Replay's batches (include/fg_replay.h): written by user space, read
 * back after the run through the skeleton's mmap. */
__u64 fg_rp_ns[FG_REPLAY_BATCH];
__u32 fg_rp_off[FG_REPLAY_BATCH];
__u32 fg_rp_len[FG_REPLAY_BATCH];
__u32 fg_rp_wire[FG_REPLAY_BATCH];
__u32 fg_rp_reason[FG_REPLAY_BATCH];
__u32 fg_rp_count = 0;

/*
 * Replay only (never attached): fg_xdp_frame() for each frame of a batch.
 * The frames lie in reverse order, so that each step moves the start of
 * the data back and its end in; user space checks every slot's verdict,
 * so a helper that refused a move leaves FG_R_MAX and fails the replay.
 */
SEC("xdp")
int fg_replay(struct xdp_md *ctx)
{
	__u32 i, n = fg_rp_count, off = 0;
	__u32 end = ctx->data_end - ctx->data;

	for (i = 0; i < FG_REPLAY_BATCH && i < n; i++) {
		if (bpf_xdp_adjust_head(ctx, (int)(fg_rp_off[i] - off)))
			break;
		off = fg_rp_off[i];
		if (bpf_xdp_adjust_tail(ctx, (int)(off + fg_rp_len[i] - end)))
			break;
		end = off + fg_rp_len[i];
		fg_wire_len = fg_rp_wire[i];
		fg_replay_ns = fg_rp_ns[i];
		fg_last_reason = FG_R_MAX;
		fg_xdp_frame(ctx);
		fg_rp_reason[i] = fg_last_reason;
	}
	return XDP_PASS;
}

/* Replay's exporter: lookups and deletes by key, a list per run
 * (include/fg_replay.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct fg_take);
} fg_take_buf SEC(".maps");

static long fg_take_one(__u64 i, void *ctx)
{
	const struct fg_take_args *a = ctx;
	__u32 k = i, op;
	struct fg_take *t = bpf_map_lookup_elem(&fg_take_buf, &k);
	struct fg_flow_val *v;

	if (!t)
		return 1; /* past the buffer: stop */
	v = bpf_map_lookup_elem(&fg_flows, &t->key);
	if (!v)
		return 0;
	t->val = *v;
	op = t->op;
	if ((op == FG_TAKE_DELETE ||
	     (op == FG_TAKE_IDLE && a->now_ns >= v->last_ns + a->idle_ns)) &&
	    !bpf_map_delete_elem(&fg_flows, &t->key))
		op |= FG_TAKE_DELETED;
	t->op = op | FG_TAKE_FOUND;
	return 0;
}

/* Replay only, and only loaded there ("?"): its flow table is a shared
 * hash, so the value read is the flow's only one. */
SEC("?syscall")
int fg_take(struct fg_take_args *a)
{
	struct fg_take_args args = *a; /* bpf_loop's context: the stack */

	bpf_loop(args.count, fg_take_one, &args, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
