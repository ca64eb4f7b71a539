/* SPDX-License-Identifier: GPL-2.0 */
/*
 * REPLAY ONLY: the BPF side of `flowgate replay`, never attached to an
 * interface. Included once, at the end of flowgate_xdp.bpf.c, so that it
 * is part of the same object as fg_xdp and runs the same code on every
 * packet of a capture: fg_replay runs fg_xdp_frame() over a batch of
 * frames. User space: ctl/replay/.
 */
#ifndef FG_REPLAY_BPF_H
#define FG_REPLAY_BPF_H

#include "fg_replay.h"

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
		fg_pkt_ns = fg_rp_ns[i];
		fg_last_reason = FG_R_MAX;
		fg_xdp_frame(ctx);
		fg_rp_reason[i] = fg_last_reason;
	}
	return XDP_PASS;
}

#endif /* FG_REPLAY_BPF_H */
