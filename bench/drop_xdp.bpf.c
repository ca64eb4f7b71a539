// SPDX-License-Identifier: GPL-2.0
/*
 * Baselines of bench/pps.sh, attached on the receiving veth end:
 *   xdp_drop, xdp_pass          empty programs, the cheapest possible XDP
 *   xdp_drop_cnt, xdp_pass_cnt  the same plus one per-CPU counter, which
 *                               pps_tx reads to cross-check the veth stats
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cnt SEC(".maps");

static __always_inline int count(int verdict)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&cnt, &k);

	if (v)
		(*v)++;
	return verdict;
}

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdp_drop_cnt(struct xdp_md *ctx)
{
	return count(XDP_DROP);
}

SEC("xdp")
int xdp_pass_cnt(struct xdp_md *ctx)
{
	return count(XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
