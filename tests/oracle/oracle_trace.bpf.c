// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of the oracle test: every skb the receiving namespace's
 * veth end frees, with the drop reason (skb:kfree_skb) or as consumed
 * (skb:consume_skb). Only skbs whose device is that interface in that
 * namespace count: the machine is shared, and the receiver's own replies
 * (ICMP errors looped through lo, say) are not the frame's fate.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

const volatile __u32 ot_netns; /* inode of the receiver's netns */
const volatile __u32 ot_ifindex;

struct ot_event {
	__u32 reason; /* enum skb_drop_reason; 0 for consume_skb */
	__u32 consumed;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} ot_events SEC(".maps");

static __always_inline int ours(struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);

	if (!dev || BPF_CORE_READ(dev, ifindex) != (int)ot_ifindex)
		return 0;
	return BPF_CORE_READ(dev, nd_net.net, ns.inum) == ot_netns;
}

static __always_inline void emit(__u32 reason, __u32 consumed)
{
	struct ot_event *e = bpf_ringbuf_reserve(&ot_events, sizeof(*e), 0);

	if (!e)
		return;
	e->reason = reason;
	e->consumed = consumed;
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(ot_kfree, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason)
{
	if (ours(skb))
		emit(reason, 0);
	return 0;
}

SEC("tp_btf/consume_skb")
int BPF_PROG(ot_consume, struct sk_buff *skb)
{
	if (ours(skb))
		emit(0, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
