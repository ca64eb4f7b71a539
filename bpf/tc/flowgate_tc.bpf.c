// SPDX-License-Identifier: GPL-2.0
/*
 * clsact programs, same parser and accounting as fg_xdp:
 * - fg_tc_out (egress): flow accounting of what the host sends. It never
 *   drops, and egress flows are always "forwarded".
 * - fg_tc_in (ingress): the guard and flow accounting for interfaces where
 *   XDP is not wanted (`flowgate attach DEV hook tc`).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "fg_ctx.bpf.h"
#include "fg_flow.bpf.h"
#include "fg_rules.bpf.h"
#include "fg_capture.bpf.h"

FG_DEFINE_PARSE(fg_tc_parse, struct __sk_buff, FG_SKB_WIRE_END)

#define FG_TC_FRAME(skb)   ((skb)->len)
#define FG_TC_IFINDEX(skb) ((skb)->ifindex)
#define FG_TC_RXQ(skb)	   FG_CAP_NO_QUEUE
FG_DEFINE_CAPTURE(fg_cap_skb, struct __sk_buff, bpf_skb_load_bytes, FG_TC_FRAME,
		  FG_TC_IFINDEX, FG_TC_RXQ, FG_CAP_F_TC)

/*
 * Headers must be in the linear area for direct packet access. They
 * nearly always are: the stack builds its headers there and leaves the
 * payload in page fragments. So parse first, and pull (then parse again)
 * only when the parse stopped where the linear area ended (p->unseen).
 * Pulling every skb whose linear area is shorter than FG_TC_PULL bytes
 * copied payload into it, and reallocated its head when the tailroom was
 * short, for nearly every TCP segment the host sent.
 */
#define FG_TC_PULL 256

static __always_inline void fg_tc_parse_all(struct __sk_buff *skb,
					    struct fg_pkt *p)
{
	__u32 want = skb->len < FG_TC_PULL ? skb->len : FG_TC_PULL;

	fg_tc_parse(skb, p, 0);
	if (!p->unseen || skb->data_end - skb->data >= want)
		return;
	if (!bpf_skb_pull_data(skb, want))
		fg_tc_parse(skb, p, 0);
}

/* With VLAN offload the outer tag is in skb->vlan_tci, not in the data. */
static __always_inline void fg_tc_vlan(struct __sk_buff *skb, struct fg_pkt *p)
{
	if (!skb->vlan_present)
		return;
	p->vlan_inner = p->vlan_outer;
	p->vlan_outer = skb->vlan_tci & 0x0fff;
}

/* Count the packet, and its flow. A GSO packet leaves as gso_segs packets,
 * each with its own headers. */
static __always_inline void fg_tc_flow(struct __sk_buff *skb, struct fg_pkt *p,
				       __u32 dir)
{
	__u32 segs = skb->gso_segs > 1 ? skb->gso_segs : 1;
	__u32 octets = p->ip_len ? p->ip_len : skb->len;

	if (segs > 1 && p->ip_len)
		octets += (segs - 1) * (p->l4_off - p->l3_off + p->l4_hlen);
	fg_account(p, fg_dir_key(skb->ifindex, dir), FG_NO_QUEUE, skb->len,
		   FG_PKTS_OCTETS(segs, octets));
}

/* Parse, count and account one skb; returns the guard's verdict reason
 * (always FG_R_NONE on egress, which is counted, never judged). */
static __always_inline __u32 fg_tc_run(struct __sk_buff *skb, __u32 dir)
{
	struct fg_pkt p;

	fg_tc_parse_all(skb, &p);
	fg_tc_vlan(skb, &p);
	if (dir == FG_DIR_OUT)
		p.reason = FG_R_NONE;
	else /* rules judge ingress only, after the guard */
		fg_rule_stage(&p, skb->ifindex, p.ip_len ? p.ip_len : skb->len,
			      fg_record_last);
	fg_tc_flow(skb, &p, dir);
	if (fg_cap_active())
		fg_cap_skb(skb, &p, skb->len, dir);
	return p.reason;
}

SEC("tc")
int fg_tc_out(struct __sk_buff *skb)
{
	fg_tc_run(skb, FG_DIR_OUT);
	return TC_ACT_OK;
}

SEC("tc")
int fg_tc_in(struct __sk_buff *skb)
{
	return fg_tc_run(skb, FG_DIR_IN) ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
