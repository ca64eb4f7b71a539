// SPDX-License-Identifier: GPL-2.0
/*
 * fg_xdp: the XDP guard. Parses and validates every frame with the portable
 * parser in include/fg_parse.h, then accounts the verdict per interface.
 * Every packet increments rx_packets and exactly one verdict counter. The
 * same object carries replay's driver (replay.bpf.h), never attached.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <xdp/xdp_helpers.h>
#include "fg_ctx.bpf.h"
#include "fg_flow.bpf.h"
#include "fg_rules.bpf.h"
#include "fg_capture.bpf.h"

/* libxdp dispatcher metadata: run early (filters go first) and let the
 * next program see what we pass. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(fg_xdp);

FG_DEFINE_PARSE(fg_xdp_parse, struct xdp_md, FG_XDP_WIRE_END)

#define FG_XDP_FRAME(ctx)   ((__u32)((ctx)->data_end - (ctx)->data))
#define FG_XDP_IFINDEX(ctx) ((ctx)->ingress_ifindex)
#define FG_XDP_RXQ(ctx)	    ((ctx)->rx_queue_index)
FG_DEFINE_CAPTURE(fg_cap_xdp, struct xdp_md, bpf_xdp_load_bytes, FG_XDP_FRAME,
		  FG_XDP_IFINDEX, FG_XDP_RXQ, 0)

/* Set by the loader when the kernel has bpf_xdp_load_bytes() (5.18, the
 * kfeat probe "xdp_load_bytes"). Off, the call to fg_cap_xdp() is dead
 * code the verifier never walks, so that the XDP object loads from 5.12;
 * `flowgate capture` then refuses to start. */
const volatile __u8 fg_cap_loadable = 0;

/* What fg_xdp does with a frame; inlined in fg_xdp, and in the global
 * function fg_xdp_frame() that replay's fg_replay calls per frame. rec is
 * fg_record_last, a constant in fg_xdp's two copies. */
static __always_inline int fg_xdp_body(struct xdp_md *ctx, int rec)
{
	struct fg_pkt p;
	__u32 octets, ifindex;
	__u64 bytes;
	void *data;

	/* What follows the parse is read after it: a value live across the
	 * parse takes one of its registers and makes clang spill others. */
	fg_xdp_parse(ctx, &p, rec);
	data = (void *)(long)ctx->data;
	/* The packet's own length: in replay the frame may be a capture's
	 * cut (fg_wire_end); on a NIC it is data_end. */
	bytes = fg_wire_end(data, (void *)(long)ctx->data_end, rec) - data;
	/* Read once: the field is three dependent loads (rxq, its device,
	 * the device's index), which a call in between makes clang repeat. */
	ifindex = ctx->ingress_ifindex;
	/* IP packets count their IP-layer bytes, as IPFIX does; other
	 * frames their frame bytes. */
	octets = p.ip_len ? p.ip_len : bytes;
	fg_rule_stage(&p, ifindex, octets, rec);
	fg_account(&p, fg_dir_key(ifindex, FG_DIR_IN), ctx->rx_queue_index,
		   bytes, FG_PKTS_OCTETS(1, octets));
	if (fg_cap_loadable && fg_cap_active())
		fg_cap_xdp(ctx, &p, bytes, FG_DIR_IN);
	return p.reason ? XDP_DROP : XDP_PASS;
}

/* The rodata fg_record_last tested once, the body inlined for each value:
 * the verifier removes the branches on rodata it knows but keeps the loads
 * before them, so a test in each of the body's stages cost a load each on
 * a NIC. The copy for the other value is dead code it never walks. */
SEC("xdp")
int fg_xdp(struct xdp_md *ctx)
{
	int ret;

	/* A register move apart in each copy (a different asm text) keeps
	 * clang from merging the two back into one with rec in a register,
	 * live across the parse. */
	if (fg_record_last) {
		asm volatile("%0 += 0" : "+r"(ctx));
		ret = fg_xdp_body(ctx, 1);
	} else {
		asm volatile("%0 = %0" : "+r"(ctx));
		ret = fg_xdp_body(ctx, 0);
	}
	return ret;
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
	return fg_xdp_body(ctx, fg_record_last);
}

/* Replay's driver: its own file, compiled into this object so that a
 * capture runs through the very fg_xdp_frame() above. */
#include "replay.bpf.h"

char LICENSE[] SEC("license") = "GPL";
