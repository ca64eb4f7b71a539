/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The context layer: one parse library for XDP and TC. A program type only
 * says how to get data/data_end from its context; FG_DEFINE_PARSE() then
 * emits the stage functions for that context.
 *
 * The later stages are global (noinline, non-static) functions: the verifier
 * checks a global function once, with unknown arguments, instead of once per
 * path that reaches it. Without that the IPv6 extension walk times the L4
 * parse exceeds the verifier's one-million-instruction budget.
 * Offsets are bounded before use so that data + off stays a packet pointer
 * with a known range.
 */
#ifndef FG_CTX_BPF_H
#define FG_CTX_BPF_H

#include "fg_parse.h"
#include "fg_maps.bpf.h"
#include "fg_testrun.bpf.h"

/* The verifier only marks a packet pointer as checked when its variable
 * offset plus the access stays below 64 KiB (MAX_PACKET_OFF), so offsets
 * are bounded well below that: the IPv6 extension walk starts at most
 * 14 + 8 + 40 bytes in, and adds at most 8 * 2048 bytes. */
#define FG_MAX_EXT6_OFF 0xff
#define FG_MAX_L4_OFF	0x7fff
#define FG_MAX_END_OFF	FG_MAX_WIRE

/* WIRE_END(ctx, data, data_end, rec) says where the packet ends on the wire
 * (rec: the caller's fg_record_last):
 * data_end for XDP, data + skb->len for TC (the linear area may be
 * shorter than the packet).
 * An IPv4 packet without options is parsed to the end inline, by
 * fg_parse_head() itself: no extension walk comes before its L4 header,
 * so the verifier walks that once per path through the head (VLAN tags),
 * which is cheap, and the packet saves a call with its stack frame, the
 * reload of its offsets and their bounds. Options (rare) and IPv6 take
 * the global functions, which the option and extension walks' paths
 * would otherwise multiply. */
#define FG_DEFINE_PARSE(NAME, CTX, WIRE_END)                                   \
	__noinline int NAME##_opts4(CTX *ctx, struct fg_pkt *p, int stage)     \
	{                                                                      \
		void *data = (void *)(long)ctx->data;                          \
		void *data_end = (void *)(long)ctx->data_end;                  \
		__u32 l3 = p ? p->l3_off : 0, l4 = p ? p->l4_off : 0;          \
                                                                               \
		if (!p || l3 > FG_MAX_EXT6_OFF || l4 > FG_MAX_EXT6_OFF)        \
			return stage;                                          \
		return fg_parse_opts4(data, data_end, l3, l4, stage,           \
				      fg_config_get(), p);                     \
	}                                                                      \
                                                                               \
	__noinline __u32 NAME##_tlv(CTX *ctx, __u32 off, __u32 hlen,           \
				    __u32 hbh, struct fg_tlv *t)               \
	{                                                                      \
		void *data = (void *)(long)ctx->data;                          \
		void *data_end = (void *)(long)ctx->data_end;                  \
                                                                               \
		if (!t || off > FG_MAX_L4_OFF || hlen > 2048)                  \
			return FG_R_NONE;                                      \
		fg_barrier_var(off);                                           \
		off &= FG_MAX_L4_OFF;                                          \
		return fg_ip6_tlv_bad((const __u8 *)data + off, data_end,      \
				      hlen, hbh, t);                           \
	}                                                                      \
                                                                               \
	static __always_inline __u32 NAME##_tlv_hook(void *cookie, __u32 off,  \
						     __u32 hlen, __u32 hbh,    \
						     struct fg_tlv *t)         \
	{                                                                      \
		return NAME##_tlv((CTX *)cookie, off, hlen, hbh, t);           \
	}                                                                      \
                                                                               \
	__noinline int NAME##_ext6(CTX *ctx, struct fg_pkt *p)                 \
	{                                                                      \
		void *data = (void *)(long)ctx->data;                          \
		void *data_end = (void *)(long)ctx->data_end;                  \
		__u32 l4 = p ? p->l4_off : 0, l3e = p ? p->l3_end : 0;         \
                                                                               \
		if (!p || l4 > FG_MAX_EXT6_OFF || l3e > FG_MAX_END_OFF)        \
			return FG_STAGE_DONE;                                  \
		return fg_parse_ext6(data, data_end, l4, l3e, fg_config_get(), \
				     p, NAME##_tlv_hook, ctx);                 \
	}                                                                      \
                                                                               \
	__noinline int NAME##_tail(CTX *ctx, struct fg_pkt *p, int stage)      \
	{                                                                      \
		void *data = (void *)(long)ctx->data;                          \
		void *data_end = (void *)(long)ctx->data_end;                  \
		__u32 l4 = p ? p->l4_off : 0, l3e = p ? p->l3_end : 0;         \
                                                                               \
		if (!p || l4 > FG_MAX_L4_OFF || l3e > FG_MAX_END_OFF)          \
			return 0;                                              \
		fg_parse_tail(data, data_end, l4, l3e, stage, fg_config_get(), \
			      p);                                              \
		return 0;                                                      \
	}                                                                      \
                                                                               \
	static __always_inline void NAME(CTX *ctx, struct fg_pkt *p, int rec)  \
	{                                                                      \
		void *data = (void *)(long)ctx->data;                          \
		void *data_end = (void *)(long)ctx->data_end;                  \
		int stage;                                                     \
                                                                               \
		if (FG_WIRE_IS_END_##WIRE_END(rec))                            \
			stage = fg_parse_head(data, data_end, data_end,        \
					      fg_config_get(), p);             \
		else                                                           \
			stage = fg_parse_head(                                 \
				data, data_end,                                \
				WIRE_END(ctx, data, data_end, rec),            \
				fg_config_get(), p);                           \
                                                                               \
		if (stage == FG_STAGE_DONE)                                    \
			return;                                                \
		if (p->ip_ver == 4) /* with options */                         \
			stage = NAME##_opts4(ctx, p, stage);                   \
		else                                                           \
			stage = NAME##_ext6(ctx, p);                           \
		if (stage != FG_STAGE_DONE)                                    \
			NAME##_tail(ctx, p, stage);                            \
	}

/* XDP sees the whole frame, except a recorded packet cut short
 * (fg_wire_end). */
#define FG_XDP_WIRE_END(ctx, data, data_end, rec) \
	fg_wire_end(data, data_end, rec)
/* FG_WIRE_IS_END_<WIRE_END>(rec): true when the wire ends where the view
 * does; rec is the caller's fg_record_last (a constant in fg_xdp's bodies).
 * The head is then parsed with one end for both bounds, so that every
 * header's fit is one compare and one register fewer is live; on a NIC
 * (rodata fg_record_last off) the verifier removes the other copy. */
#define FG_WIRE_IS_END_FG_XDP_WIRE_END(rec) (!(rec))

/* An skb's linear area can be shorter than the packet; bounded by
 * FG_MAX_WIRE for the verifier (longer GSO packets are judged as if they
 * ended there). */
#define FG_SKB_WIRE_END(ctx, data, data_end, rec) \
	((void *)(data) + ((ctx)->len < FG_MAX_WIRE ? (ctx)->len : FG_MAX_WIRE))
#define FG_WIRE_IS_END_FG_SKB_WIRE_END(rec) 0

#endif /* FG_CTX_BPF_H */
