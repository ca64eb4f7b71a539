// SPDX-License-Identifier: GPL-2.0
/*
 * Test only (tests/bpf/test_vlog.c): fg_reject reads the packet without a
 * bounds check, which every verifier refuses ("invalid access to
 * packet"), after enough instructions that its log is longer than the
 * ten lines a rejection report shows; fg_reject_fn is refused inside its
 * global function; fg_accept is fg_reject, checked.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __always_inline __u32 fg_mix(__u32 x)
{
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

SEC("?xdp")
int fg_reject(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	__u32 x = fg_mix(fg_mix(ctx->ingress_ifindex));

	return (data[0] ^ x) & 1 ? XDP_DROP : XDP_PASS;
}

/* Global: checked on its own, before the program that calls it. */
__noinline int fg_bad_global(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;

	return data[1];
}

SEC("?xdp")
int fg_reject_fn(struct xdp_md *ctx)
{
	return fg_bad_global(ctx) & 1 ? XDP_DROP : XDP_PASS;
}

SEC("?xdp")
int fg_accept(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	unsigned char *end = (void *)(long)ctx->data_end;
	__u32 x = fg_mix(fg_mix(ctx->ingress_ifindex));

	if (data + 1 > end)
		return XDP_PASS;
	return (data[0] ^ x) & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
