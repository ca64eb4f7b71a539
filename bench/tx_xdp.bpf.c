// SPDX-License-Identifier: GPL-2.0
/*
 * Sender of bench/pps.sh: run by BPF_PROG_TEST_RUN in live-frames mode, it
 * sends every frame out of the interface named in ctx_in (XDP_TX there
 * means "transmit on ingress_ifindex"), so it arrives on the veth peer.
 *
 * With nflows > 1 it rewrites the source port of each frame (a fixed
 * Ethernet + IPv4 layout, built by pps_tx.c) so that the receiver sees
 * nflows distinct 5-tuples in turn. Live-frame pages are not reset between
 * runs, so the rewrite must be done on every frame.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define SPORT_OFF (14 + 20) /* Ethernet, IPv4 without options */

#define SPORT_BASE 40000

/* The only rodata variable: pps_tx sets it by offset 0. */
volatile const __u32 nflows = 1;
__u32 seq; /* one sending CPU: no atomics needed */

SEC("xdp")
int tx_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__be16 *sport = data + SPORT_OFF;

	if (nflows > 1 && (void *)(sport + 1) <= end)
		*sport = bpf_htons(SPORT_BASE + seq++ % nflows);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
